/* SPDX-License-Identifier: MIT */
/*
 * sc-vmmsim: the SCCrypt VMM simulator.  Plays the hypervisor and the
 * guests' console devices in user space, with the very VMM engine and
 * ring code the Xen patch runs, so that sc-enc | sc-relay | sc-dec works on
 * any Linux machine.  See sc-vmmsim(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "level.h"
#include "sim/sim.h"
#include "text.h"

#define MAX_DOMS 64

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sc-vmmsim [-f] [-d DIR] [-s SOCKET] [--pid-file FILE] [--backlog BYTES]\n"
        "                 [--domain ID[:NAME[:UUID]] [--guest CMD] [--guest-password PW]\n"
        "                  [--uart]]...\n"
        "       sc-vmmsim -h | --version\n"
        "  -d, --state-dir DIR     identity key (default\n"
        "                          /var/lib/sccrypt-sim as root, else $XDG_STATE_HOME/sccrypt-sim)\n"
        "  -s, --socket PATH       the relay's socket (default $SCCRYPT_SIM_SOCKET, else\n"
        "                          /run/sccrypt-sim/sim.sock as root, else\n"
        "                          $XDG_RUNTIME_DIR/sccrypt-sim/sim.sock)\n"
        "      --domain ID[:NAME[:UUID]]  a simulated domain (repeatable; default 5:demo)\n"
        "      --guest CMD         the guest: a shell command on the console's pty, for the\n"
        "                          domain named before it or for all (default: a login guest)\n"
        "      --guest-password PW the built-in login guest's password (default demo)\n"
        "      --uart              the console is a 16550A UART at COM1 (an HVM guest's), for\n"
        "                          the domain named before it or for all (default: PV ring)\n"
        "      --backlog BYTES     output kept while nobody is attached (default 65536)\n"
        "  -f, --foreground        stay in the foreground and log to stderr\n"
        "      --pid-file FILE     write the simulator's pid to FILE once ready\n"
        "      --guest-user USER   run every guest as USER (needs root), not as root\n"
        "      --claim-level FLAGS claim a stronger seal level than the honest one (none):\n"
        "                          dma, sealed or both; for tests of the clients only\n");
}

/* The socket both the simulator and sc-relay default to (sim_proto.h). */
static char *default_socket(void)
{
    const char *e = getenv("SCCRYPT_SIM_SOCKET"), *rt = getenv("XDG_RUNTIME_DIR");
    char *p = NULL;

    if (e && *e)
        return strdup(e);
    if (geteuid() == 0)
        return strdup("/run/sccrypt-sim/sim.sock");
    if (rt && *rt) {
        if (asprintf(&p, "%s/sccrypt-sim/sim.sock", rt) < 0)
            return NULL;
    } else if (asprintf(&p, "/tmp/sccrypt-sim-%u/sim.sock", (unsigned)getuid()) < 0) {
        return NULL;
    }
    return p;
}

static int parse_domain(struct sim_domcfg *dc, const char *arg)
{
    char buf[256], *name, *uuid, *end;
    unsigned long id;

    if (strlen(arg) >= sizeof(buf))
        return -1;
    strcpy(buf, arg);
    name = strchr(buf, ':');
    uuid = NULL;
    if (name) {
        *name++ = '\0';
        uuid = strchr(name, ':');
        if (uuid)
            *uuid++ = '\0';
    }
    errno = 0;
    id = strtoul(buf, &end, 10);
    if (errno || end == buf || *end || id > 0x7fef)
        return -1;
    dc->domid = (uint32_t)id;
    if (name && *name) {
        if (strlen(name) >= sizeof(dc->name) || strpbrk(name, " \t\n/"))
            return -1;
        strcpy(dc->name, name);
    } else {
        snprintf(dc->name, sizeof(dc->name), "dom%lu", id);
    }
    if (uuid && *uuid)
        return uuid_parse(dc->uuid, uuid);
    if (sim_random(dc->uuid, 16) < 0)
        return -1;
    dc->uuid[6] = (uint8_t)((dc->uuid[6] & 0x0f) | 0x40);
    dc->uuid[8] = (uint8_t)((dc->uuid[8] & 0x3f) | 0x80);
    return 0;
}

static char *absolute(const char *p)
{
    char cwd[4096], *r = NULL;

    if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return strdup(p);
    if (asprintf(&r, "%s/%s", cwd, p) < 0)
        return NULL;
    return r;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "state-dir", required_argument, NULL, 'd' },
        { "socket", required_argument, NULL, 's' },
        { "domain", required_argument, NULL, 'D' },
        { "guest", required_argument, NULL, 'g' },
        { "guest-password", required_argument, NULL, 'P' },
        { "uart", no_argument, NULL, 'u' },
        { "backlog", required_argument, NULL, 'b' },
        { "foreground", no_argument, NULL, 'f' },
        { "pid-file", required_argument, NULL, 'p' },
        { "guest-login", no_argument, NULL, 'L' },
        { "report-version", required_argument, NULL, 'R' },
        { "claim-level", required_argument, NULL, 'C' },
        { "guest-user", required_argument, NULL, 'U' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    static struct sim_domcfg doms[MAX_DOMS];
    struct sim_cfg cfg;
    const char *all_guest = NULL, *all_pw = NULL;
    int all_uart = 0;
    char self[4096], *end;
    int guest_set[MAX_DOMS] = { 0 }, pw_set[MAX_DOMS] = { 0 };
    int opt, readyfd = -1, pipefd[2], fd, rc;
    unsigned long long bl;
    ssize_t n;
    size_t i, j;
    pid_t pid;
    char c;

    memset(&cfg, 0, sizeof(cfg));
    cfg.backlog = SIM_BACKLOG_DEFAULT;
    cfg.doms = doms;
    while ((opt = getopt_long(argc, argv, "d:s:fh", lo, NULL)) != -1) {
        switch (opt) {
        case 'd':
            cfg.statedir = optarg;
            break;
        case 's':
            cfg.socket = optarg;
            break;
        case 'D':
            if (cfg.ndoms == MAX_DOMS) {
                fprintf(stderr, "sc-vmmsim: at most %d domains\n", MAX_DOMS);
                return 2;
            }
            if (parse_domain(&doms[cfg.ndoms], optarg) < 0) {
                fprintf(stderr, "sc-vmmsim: --domain %s: expected ID[:NAME[:UUID]] "
                        "(UUID as 8-4-4-4-12 hex)\n", optarg);
                return 2;
            }
            cfg.ndoms++;
            break;
        case 'g':
            if (cfg.ndoms) {
                doms[cfg.ndoms - 1].guest = optarg;
                guest_set[cfg.ndoms - 1] = 1;
            } else {
                all_guest = optarg;
            }
            break;
        case 'P':
            if (cfg.ndoms) {
                doms[cfg.ndoms - 1].password = optarg;
                pw_set[cfg.ndoms - 1] = 1;
            } else {
                all_pw = optarg;
            }
            break;
        case 'u':
            if (cfg.ndoms)
                doms[cfg.ndoms - 1].uart = 1;
            else
                all_uart = 1;
            break;
        case 'b':
            errno = 0;
            bl = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || bl < 4096 || bl > (1ULL << 30)) {
                fprintf(stderr, "sc-vmmsim: --backlog %s: expected 4096 to 1073741824 bytes\n",
                        optarg);
                return 2;
            }
            cfg.backlog = (size_t)bl;
            break;
        case 'f':
            cfg.foreground = 1;
            break;
        case 'p':
            cfg.pidfile = optarg;
            break;
        case 'R':
            cfg.report_version = (uint32_t)strtoul(optarg, NULL, 10);
            break;
        case 'C': {
            struct sc_level l;

            if (level_parse(optarg, &l) < 0 || l.console != SC_CON_ANY) {
                fprintf(stderr, "sc-vmmsim: --claim-level %s: expected none, strongest, or "
                        "dma and sealed joined by a comma (the console kind is the "
                        "guest's)\n", optarg);
                return 2;
            }
            cfg.claim_flags = l.flags;
            break;
        }
        case 'U':
            cfg.guest_user = optarg;
            break;
        case 'L':
            return sim_login_main(getenv("SCCRYPT_SIM_DOMNAME"),
                                  getenv("SCCRYPT_SIM_GUEST_PASSWORD"));
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("sc-vmmsim %s\n", SC_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (cfg.guest_user) {
        struct passwd *pw;

        if (geteuid() != 0) {
            fprintf(stderr, "sc-vmmsim: --guest-user needs root (without it the guests run as "
                    "you)\n");
            return 2;
        }
        errno = 0;
        pw = getpwnam(cfg.guest_user);
        if (!pw) {
            fprintf(stderr, "sc-vmmsim: --guest-user %s: %s\n", cfg.guest_user,
                    errno ? strerror(errno) : "no such user");
            return 2;
        }
        if (pw->pw_uid == 0) {
            fprintf(stderr, "sc-vmmsim: --guest-user %s: that is root; name an unprivileged "
                    "user\n", cfg.guest_user);
            return 2;
        }
        cfg.guest_uid = pw->pw_uid;
        cfg.guest_gid = pw->pw_gid;
    }
    if (cfg.ndoms == 0) {
        if (parse_domain(&doms[0], "5:demo") < 0)
            return 2;
        cfg.ndoms = 1;
    }
    for (i = 0; i < cfg.ndoms; i++) {
        if (!guest_set[i])
            doms[i].guest = all_guest;
        if (!pw_set[i])
            doms[i].password = all_pw;
        if (all_uart)
            doms[i].uart = 1;
        for (j = 0; j < i; j++) {
            if (doms[j].domid == doms[i].domid) {
                fprintf(stderr, "sc-vmmsim: domain %u named twice\n", (unsigned)doms[i].domid);
                return 2;
            }
            if (memcmp(doms[j].uuid, doms[i].uuid, 16) == 0) {
                fprintf(stderr, "sc-vmmsim: domains %u and %u have the same UUID\n",
                        (unsigned)doms[j].domid, (unsigned)doms[i].domid);
                return 2;
            }
        }
    }
    if (!cfg.guest_user && geteuid() == 0) {
        /* Said, not refused: tests and one-off runs as root are common; silence is not. */
        fprintf(stderr, "sc-vmmsim: WARNING: running as root without --guest-user: every guest "
                "is a real program on this machine and runs as root (the built-in login's shell "
                "too), so whoever types into a console controls this machine; give --guest-user "
                "nobody (or another unprivileged user)\n");
    }
    if (!cfg.statedir) {
        const char *xs = getenv("XDG_STATE_HOME");
        char *p = NULL;

        if (geteuid() == 0)
            p = strdup("/var/lib/sccrypt-sim");
        else if (xs && *xs)
            rc = asprintf(&p, "%s/sccrypt-sim", xs);
        else
            rc = asprintf(&p, "%s/.local/state/sccrypt-sim", getenv("HOME") ? getenv("HOME") : "/tmp");
        cfg.statedir = p;
    }
    if (!cfg.socket)
        cfg.socket = default_socket();
    if (!cfg.statedir || !cfg.socket)
        return 2;
    cfg.statedir = absolute(cfg.statedir);
    cfg.socket = absolute(cfg.socket);
    if (cfg.pidfile)
        cfg.pidfile = absolute(cfg.pidfile);
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        fprintf(stderr, "sc-vmmsim: /proc/self/exe: %s\n", strerror(errno));
        return 2;
    }
    self[n] = '\0';
    cfg.self = self;

    /* Nothing inherited beyond stdio (a test harness's descriptors included). */
    for (fd = 3; fd < 1024; fd++)
        close(fd);

    if (!cfg.foreground) {
        if (pipe(pipefd) < 0)
            return 2;
        pid = fork();
        if (pid < 0) {
            fprintf(stderr, "sc-vmmsim: fork: %s\n", strerror(errno));
            return 2;
        }
        if (pid > 0) {
            close(pipefd[1]);
            n = io_read(pipefd[0], &c, 1);
            return n == 1 ? 0 : 2;
        }
        close(pipefd[0]);
        readyfd = pipefd[1];
        io_set_cloexec(readyfd);
        setsid();
        fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            if (isatty(2))
                cfg.stderr_off_when_ready = 1;
            if (fd > 2)
                close(fd);
        }
        sim_log_init(1, 1);
    } else {
        sim_log_init(0, 1);
    }
    if (cfg.pidfile) {
        FILE *f = fopen(cfg.pidfile, "we");

        if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
            sim_log("%s: %s", cfg.pidfile, strerror(errno));
            return 2;
        }
    }
    rc = sim_serve(&cfg, readyfd);
    if (cfg.pidfile)
        unlink(cfg.pidfile);
    return rc;
}
