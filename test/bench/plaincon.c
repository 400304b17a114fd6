/* SPDX-License-Identifier: MIT */
/*
 * plaincon: the plaintext console that `make bench` measures SCCrypt
 * against, shaped like Xen's own (xenconsoled and `xl console`):
 *
 *   plaincon serve SOCKET CMD [PIDFILE]
 *       the console daemon: runs `sh -c CMD` on a pty (80x24, like
 *       sc-vmmsim's guests), listens on the UNIX socket SOCKET and copies
 *       between one connection at a time and the pty, in reads of at most
 *       the console ring's sizes (1 KiB towards the guest, 2 KiB from it),
 *       with poll(2) and non-blocking descriptors, as xenconsoled does.  While
 *       nobody is connected the guest's output waits in the pty.  Writes its
 *       pid to PIDFILE once it listens; stops on SIGTERM.
 *   plaincon relay SOCKET
 *       the console client: connects to SOCKET and copies stdin to the
 *       socket and the socket to stdout, each read forwarded at once, until
 *       either side ends.
 *
 * Exit status: 0 at a clean end, 2 on an error (with a message).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"

#define IN_RING     1024
#define OUT_RING    2048

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static int die(const char *what)
{
    fprintf(stderr, "plaincon: %s: %s\n", what, strerror(errno));
    return 2;
}

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa->sun_path)) {
        fprintf(stderr, "plaincon: %s: socket path too long\n", path);
        return -1;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

/*
 * One direction of a copy: a buffer of at most cap bytes, filled by one
 * read of src and emptied by writes to dst.
 */
struct pipe_buf {
    uint8_t data[65536];
    size_t cap, off, len;
};

/* Reads once into an empty buffer: 1 data, 0 nothing now, -1 end or error. */
static int fill(struct pipe_buf *b, int fd)
{
    ssize_t n;

    do
        n = read(fd, b->data, b->cap);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 0;
    if (n < 0 && errno == EIO)      /* a pty whose slave side is closed */
        return -1;
    if (n <= 0) {
        if (n < 0)
            fprintf(stderr, "plaincon: read: %s\n", strerror(errno));
        return -1;
    }
    b->off = 0;
    b->len = (size_t)n;
    return 1;
}

/* Writes what it can: 0, or -1 when the reader went away or on an error. */
static int drain(struct pipe_buf *b, int fd)
{
    ssize_t n;

    while (b->len > 0) {
        do
            n = write(fd, b->data + b->off, b->len);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN)
            return 0;
        if (n < 0) {
            if (errno != EPIPE && errno != ECONNRESET)
                fprintf(stderr, "plaincon: write: %s\n", strerror(errno));
            return -1;
        }
        b->off += (size_t)n;
        b->len -= (size_t)n;
    }
    return 0;
}

/*
 * Copies between a (a_in, a_out) and b until one side ends: returns 1 when
 * a ended (end of file, or its reader went away), 2 when b did, -1 on an
 * error or a stop signal.
 */
static int copy_loop(int a_in, int a_out, int b, size_t a_to_b_cap, size_t b_to_a_cap)
{
    static struct pipe_buf ab, ba;
    struct pollfd p[3];
    int r;

    ab.cap = a_to_b_cap;
    ba.cap = b_to_a_cap;
    ab.len = ba.len = 0;
    while (!stop) {
        p[0].fd = ab.len ? -1 : a_in;
        p[0].events = POLLIN;
        p[1].fd = ba.len ? a_out : -1;
        p[1].events = POLLOUT;
        p[2].fd = b;
        p[2].events = (short)((ab.len ? POLLOUT : 0) | (ba.len ? 0 : POLLIN));
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "plaincon: poll: %s\n", strerror(errno));
            return -1;
        }
        if (p[0].revents) {
            r = fill(&ab, a_in);
            if (r < 0)
                return 1;
        }
        if (ab.len && drain(&ab, b) < 0)
            return 2;
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR) && !ba.len) {
            r = fill(&ba, b);
            if (r < 0)
                return 2;
        }
        if (ba.len && drain(&ba, a_out) < 0)
            return 1;
    }
    return -1;
}

static int relay(const char *path)
{
    struct sockaddr_un sa;
    int fd, rc;

    if (unix_addr(&sa, path) < 0)
        return 2;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return die("socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return die(path);
    if (io_set_nonblock(0, 1) < 0 || io_set_nonblock(1, 1) < 0 || io_set_nonblock(fd, 1) < 0)
        return die("fcntl");
    signal(SIGPIPE, SIG_IGN);
    rc = copy_loop(0, 1, fd, 65536, 65536);
    close(fd);
    return rc < 0 ? 2 : 0;
}

static int serve(const char *path, const char *cmd, const char *pidfile)
{
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };
    struct sockaddr_un sa;
    struct sigaction act;
    int lfd, cfd, ptm;
    pid_t pid;
    FILE *f;

    if (unix_addr(&sa, path) < 0)
        return 2;
    pid = forkpty(&ptm, NULL, NULL, &ws);
    if (pid < 0)
        return die("forkpty");
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        fprintf(stderr, "plaincon: /bin/sh: %s\n", strerror(errno));
        _exit(127);
    }
    if (io_set_cloexec(ptm) < 0 || io_set_nonblock(ptm, 1) < 0)
        return die("fcntl");
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_term;
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    signal(SIGPIPE, SIG_IGN);
    unlink(path);
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        return die("socket");
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
        return die(path);
    if (pidfile) {
        f = fopen(pidfile, "w");
        if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0)
            return die(pidfile);
    }
    while (!stop) {
        cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
            if (errno == EINTR)
                continue;
            return die("accept");
        }
        /* The guest's pty is a, the connection b: a ending (the guest gone) ends us. */
        if (copy_loop(ptm, ptm, cfd, OUT_RING, IN_RING) == 1) {
            close(cfd);
            fprintf(stderr, "plaincon: the guest's console closed\n");
            break;
        }
        close(cfd);
    }
    close(lfd);
    unlink(path);
    kill(pid, SIGHUP);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && argc <= 5 && strcmp(argv[1], "serve") == 0)
        return serve(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
    if (argc == 3 && strcmp(argv[1], "relay") == 0)
        return relay(argv[2]);
    fprintf(stderr, "usage: plaincon serve SOCKET CMD [PIDFILE] | plaincon relay SOCKET\n");
    return 2;
}
