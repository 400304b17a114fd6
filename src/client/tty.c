/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

static struct termios saved, raw;
static volatile sig_atomic_t raw_active;
static int tty_fd = -1;
static void (*exit_hook)(void);

int tty_raw(int fd)
{
    struct termios t;

    if (tcgetattr(fd, &t) < 0)
        return -1;
    saved = t;
    /* What ssh's enter_raw_mode does, with 8-bit characters. */
    t.c_iflag |= IGNPAR;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL |
                             IXON | IXANY | IXOFF);
    t.c_lflag &= ~(tcflag_t)(ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHONL | IEXTEN);
    t.c_oflag &= ~(tcflag_t)OPOST;
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tty_fd = fd;
    raw = t;
    raw_active = 1;
    if (tcsetattr(fd, TCSADRAIN, &t) < 0) {
        raw_active = 0;
        return -1;
    }
    return 0;
}

void tty_restore(void)
{
    if (raw_active) {
        raw_active = 0;
        (void)tcsetattr(tty_fd, TCSADRAIN, &saved);
    }
}

static void on_fatal(int sig)
{
    struct sigaction sa;

    tty_restore();
    if (exit_hook != NULL)
        exit_hook();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(sig, &sa, NULL);
    (void)raise(sig);
}

static void on_tstp(int sig)
{
    struct sigaction sa, old;
    sigset_t set;
    int e = errno, was_raw = raw_active;

    (void)sig;
    tty_restore();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTSTP, &sa, &old);
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    (void)sigprocmask(SIG_UNBLOCK, &set, NULL);
    (void)raise(SIGTSTP);
    /* Continued: the shell may have changed the settings; keep those as the ones to restore. */
    (void)sigprocmask(SIG_BLOCK, &set, NULL);
    (void)sigaction(SIGTSTP, &old, NULL);
    if (was_raw && tcgetattr(tty_fd, &saved) == 0) {
        raw_active = 1;
        (void)tcsetattr(tty_fd, TCSADRAIN, &raw);
    }
    errno = e;
}

int tty_suspend(void)
{
    int was_raw = raw_active, fd = tty_fd, rc = 0;

    /*
     * Restore first, while we still hold the terminal: once the group is
     * stopped the shell takes the terminal back, and a tcsetattr from the
     * SIGTSTP handler would then stop us with SIGTTOU, out of step with
     * the rest of the pipeline.  The handler finds nothing to restore.
     */
    tty_restore();
    if (kill(0, SIGTSTP) < 0)
        rc = -1;
    /* Continued (fg gave us the terminal first): raw again, over whatever the shell left. */
    if (was_raw && tty_raw(fd) < 0)
        rc = -1;
    return rc;
}

int tty_signals(void (*hook)(void))
{
    static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct sigaction sa;
    size_t i;

    exit_hook = hook;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        sigaddset(&sa.sa_mask, fatal[i]);
    sigaddset(&sa.sa_mask, SIGTSTP);
    sa.sa_handler = on_fatal;
    for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        if (sigaction(fatal[i], &sa, NULL) < 0)
            return -1;
    sa.sa_handler = on_tstp;
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGTSTP, &sa, NULL) < 0)
        return -1;
    return 0;
}
