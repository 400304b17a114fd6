/* SPDX-License-Identifier: MIT */
/*
 * The simulated guest: a program on a pty, and the guest's half of the
 * console ring (what hvc0's driver does in a real guest): pty output goes
 * into out[], in[] goes to the pty.  The VMM's half is the core's
 * sc_ring_* code, untouched.  Also the built-in login guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "io.h"
#include "sim.h"

#define gmb()   __atomic_thread_fence(__ATOMIC_SEQ_CST)

/*
 * --guest-user, in the guest's child: give up root before running anything
 * (supplementary groups, group, user, then check root cannot come back),
 * and start in /.  0, or -1 with a message on the pty.
 */
static int drop_to_guest_user(const struct sim_cfg *cfg)
{
    if (setgroups(1, &cfg->guest_gid) < 0 || setgid(cfg->guest_gid) < 0 ||
        setuid(cfg->guest_uid) < 0) {
        dprintf(2, "sc-vmmsim: guest: cannot become %s: %s\n", cfg->guest_user,
                strerror(errno));
        return -1;
    }
    if (setuid(0) == 0 || geteuid() != cfg->guest_uid || getegid() != cfg->guest_gid) {
        dprintf(2, "sc-vmmsim: guest: still privileged after becoming %s\n", cfg->guest_user);
        return -1;
    }
    if (chdir("/") < 0) {
        dprintf(2, "sc-vmmsim: guest: /: %s\n", strerror(errno));
        return -1;
    }
    setenv("HOME", "/", 1);
    setenv("USER", cfg->guest_user, 1);
    setenv("LOGNAME", cfg->guest_user, 1);
    return 0;
}

pid_t sim_guest_spawn(const struct sim_cfg *cfg, const struct sim_domcfg *dc, int *ptm,
                      const sigset_t *origmask)
{
    static char *const login_argv[] = { "sc-vmmsim", "--guest-login", NULL };
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };
    char domid[16];
    pid_t pid;
    int fd, selffd;

    pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigprocmask(SIG_SETMASK, origmask, NULL);
        snprintf(domid, sizeof(domid), "%u", (unsigned)dc->domid);
        setenv("SCCRYPT_SIM_DOMID", domid, 1);
        setenv("SCCRYPT_SIM_DOMNAME", dc->name, 1);
        if (dc->uart)
            setenv("SCCRYPT_SIM_CONSOLE", "ttyS0", 1);
        else
            unsetenv("SCCRYPT_SIM_CONSOLE");
        if (!getenv("TERM"))
            setenv("TERM", "vt100", 1);
        /* Our own executable, opened while we may still reach its directory. */
        selffd = dc->guest ? -1 : open(cfg->self, O_RDONLY | O_CLOEXEC);
        if (cfg->guest_user && drop_to_guest_user(cfg) < 0)
            _exit(127);
        if (dc->guest) {
            execl("/bin/sh", "sh", "-c", dc->guest, (char *)NULL);
        } else {
            setenv("SCCRYPT_SIM_GUEST_PASSWORD", dc->password ? dc->password : "demo", 1);
            if (selffd >= 0)
                fexecve(selffd, login_argv, environ);
            else
                execv(cfg->self, login_argv);
        }
        dprintf(2, "sc-vmmsim: guest: %s\n", strerror(errno));
        _exit(127);
    }
    if (io_set_cloexec(fd) < 0 || io_set_nonblock(fd, 1) < 0) {
        close(fd);
        kill(pid, SIGKILL);
        return -1;
    }
    *ptm = fd;
    return pid;
}

int sim_ring_out_space(const volatile struct sc_xencons *ring)
{
    uint32_t used = ring->out_prod - ring->out_cons;

    return used > SC_RING_OUT_SIZE ? 0 : (int)(SC_RING_OUT_SIZE - used);
}

int sim_ring_in_used(const volatile struct sc_xencons *ring)
{
    uint32_t used = ring->in_prod - ring->in_cons;

    return used > SC_RING_IN_SIZE ? SC_RING_IN_SIZE : (int)used;
}

/* Guest as producer of out[]: 1 or more bytes, 0 nothing now, -1 the pty closed. */
ssize_t sim_guest_to_ring(int ptm, volatile struct sc_xencons *ring)
{
    uint8_t buf[SC_RING_OUT_SIZE];
    uint32_t prod = ring->out_prod;
    int space = sim_ring_out_space(ring);
    ssize_t n, i;

    if (space == 0)
        return 0;
    n = read(ptm, buf, (size_t)space);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    for (i = 0; i < n; i++)
        ring->out[(prod + (uint32_t)i) & (SC_RING_OUT_SIZE - 1)] = (char)buf[i];
    gmb();
    ring->out_prod = prod + (uint32_t)n;
    explicit_bzero(buf, (size_t)n);
    return n;
}

/* Guest as consumer of in[]: bytes moved, 0 none (pty full or ring empty), -1 error. */
ssize_t sim_ring_to_guest(int ptm, volatile struct sc_xencons *ring)
{
    uint8_t buf[SC_RING_IN_SIZE];
    uint32_t cons = ring->in_cons;
    int used = sim_ring_in_used(ring);
    ssize_t n, i;

    if (used == 0)
        return 0;
    gmb();
    for (i = 0; i < used; i++)
        buf[i] = (uint8_t)ring->in[(cons + (uint32_t)i) & (SC_RING_IN_SIZE - 1)];
    n = write(ptm, buf, (size_t)used);
    explicit_bzero(buf, (size_t)used);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n < 0)
        return -1;
    gmb();
    ring->in_cons = cons + (uint32_t)n;
    return n;
}

/* --- the built-in login guest, running on the pty --- */

static void say(const char *s)
{
    (void)io_write_all(1, s, strlen(s));
}

/* Reads a line byte by byte, echoing only when echo is set. -1 at end of file. */
static int get_line(char *buf, size_t cap, int echo)
{
    size_t len = 0;
    char c;

    for (;;) {
        if (io_read(0, &c, 1) != 1)
            return -1;
        if (c == '\r' || c == '\n')
            break;
        if (c == 0x7f || c == '\b') {
            if (len > 0) {
                len--;
                if (echo)
                    say("\b \b");
            }
            continue;
        }
        if (c == 0x15) {            /* ^U */
            while (echo && len > 0) {
                len--;
                say("\b \b");
            }
            len = 0;
            continue;
        }
        if ((unsigned char)c < 0x20)
            continue;
        if (len + 1 < cap) {
            buf[len++] = c;
            if (echo)
                (void)io_write_all(1, &c, 1);
        }
    }
    buf[len] = '\0';
    say("\n");
    return 0;
}

int sim_login_main(const char *name, const char *password)
{
    struct termios t0, t;
    char user[64], pw[256], ps1[160];
    const char *want = password ? password : "demo";
    int ok, have_tty;

    have_tty = tcgetattr(0, &t0) == 0;
    if (have_tty) {
        /*
         * Echo is ours, byte by byte as we read: a password typed ahead of
         * its prompt (a scripted session) is never echoed by the tty.
         */
        t = t0;
        t.c_lflag &= ~(ICANON | ECHO | ECHONL | ISIG);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        tcsetattr(0, TCSANOW, &t);
    }
    say("\nSCCrypt simulated guest \"");
    say(name ? name : "demo");
    if (getenv("SCCRYPT_SIM_CONSOLE") && strcmp(getenv("SCCRYPT_SIM_CONSOLE"), "ttyS0") == 0)
        say("\" (sc-vmmsim, console ttyS0: a 16550A UART)\n\n");
    else
        say("\" (sc-vmmsim)\n\n");
    for (;;) {
        say("login: ");
        if (get_line(user, sizeof(user), 1) < 0)
            return 1;
        if (user[0] == '\0')
            continue;
        say("Password: ");
        if (get_line(pw, sizeof(pw), 0) < 0)
            return 1;
        ok = strlen(pw) == strlen(want) && memcmp(pw, want, strlen(want)) == 0;
        explicit_bzero(pw, sizeof(pw));
        if (ok)
            break;
        sleep(1);
        say("Login incorrect\n\n");
    }
    if (have_tty)
        tcsetattr(0, TCSANOW, &t0);
    say("Welcome to the simulated guest. Everything on this console is end-to-end encrypted.\n");
    snprintf(ps1, sizeof(ps1), "%s@%s:%c ", user, name ? name : "demo", geteuid() ? '$' : '#');
    setenv("PS1", ps1, 1);
    setenv("USER", user, 1);
    setenv("LOGNAME", user, 1);
    unsetenv("SCCRYPT_SIM_GUEST_PASSWORD");
    execl("/bin/sh", "sh", "-i", (char *)NULL);
    say("sc-vmmsim: /bin/sh: cannot run\n");
    return 127;
}
