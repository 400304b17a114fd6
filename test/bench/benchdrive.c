/* SPDX-License-Identifier: MIT */
/*
 * benchdrive: plays the user at one end of a console pipeline for
 * `make bench`, and times it.
 *
 *   benchdrive [-w FILE] [-W FILE] MODE COUNT CMD
 *
 * runs `sh -c CMD` in a process group of its own (sc-enc and sc-dec pair
 * up by process group), with its stdin and stdout on pipes to us, the
 * guest being test/bench/benchguest.  It writes one byte at once and waits
 * for its echo: the time from the start to that echo is the launch time.
 * Then, by MODE:
 *
 *   rtt N      N keystrokes, one at a time: a byte written, its echo read
 *   out N      one byte written, then N bytes of guest output read (the
 *              time runs from its echo to the last byte)
 *   in N       one byte written, then N bytes of input written and the
 *              guest's '!' read (the time runs from the echo to the '!')
 *
 * then closes the pipeline's stdin, reads its output to the end, and waits
 * for it (5 s, then SIGTERM and SIGKILL to the group).  -w and -W name
 * files that grow with the wire traffic in and out (tee copies): their
 * growth during the keystrokes, divided by N, is printed.
 *
 * Prints one line: launch_us=.. then rtt_us=MEDIAN, or mib_s=..;
 * wire_in=.. wire_out=.. (bytes per keystroke) with -w/-W; exit=STATUS of
 * the pipeline.  Exit status 0, or 2 on an error (with a message),
 * including a byte that is not the expected echo and 30 s with no
 * progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

#define STALL_MS    30000

static int to_fd = -1, from_fd = -1;
static pid_t child;

static double now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "benchdrive: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    if (child > 0) {
        kill(-child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    exit(2);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Reads what is there (waiting for it): the count, or 0 at end of file. */
static size_t get(uint8_t *buf, size_t cap)
{
    struct pollfd p = { .fd = from_fd, .events = POLLIN };
    ssize_t n;
    int r;

    do
        r = poll(&p, 1, STALL_MS);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        fail("poll", strerror(errno));
    if (r == 0)
        fail("no output from the pipeline for 30 s", NULL);
    n = io_read(from_fd, buf, cap);
    if (n < 0)
        fail("read", strerror(errno));
    return (size_t)n;
}

/* Waits for exactly the byte c. */
static void expect(uint8_t c)
{
    uint8_t got;
    char what[64];

    if (get(&got, 1) != 1)
        fail("the pipeline ended before the echo", NULL);
    if (got != c) {
        snprintf(what, sizeof(what), "echo 0x%02x where 0x%02x was typed", got, c);
        fail(what, NULL);
    }
}

static void put(const void *p, size_t len)
{
    if (io_write_all(to_fd, p, len) < 0)
        fail("write to the pipeline", strerror(errno));
}

static long long file_size(const char *path)
{
    struct stat st;

    if (!path)
        return 0;
    if (stat(path, &st) < 0)
        fail(path, strerror(errno));
    return (long long)st.st_size;
}

static size_t parse_count(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v == 0)
        fail(s, "not a positive count");
    return (size_t)v;
}

/* Closes the pipeline's input, reads it dry, and returns its exit status. */
static int finish(void)
{
    static uint8_t sink[65536];
    struct pollfd p;
    double end = now_us() + 5e6;
    int st = 0, r, killed = 0;

    close(to_fd);
    for (;;) {
        p.fd = from_fd;
        p.events = POLLIN;
        r = poll(&p, 1, 100);
        if (r > 0 && io_read(from_fd, sink, sizeof(sink)) <= 0)
            break;
        if (now_us() > end) {
            if (killed >= 2)
                break;
            kill(-child, killed ? SIGKILL : SIGTERM);
            killed++;
            end = now_us() + 1e6;
        }
    }
    close(from_fd);
    while (waitpid(child, &st, 0) < 0)
        if (errno != EINTR)
            fail("waitpid", strerror(errno));
    /* Whatever of the group is left (an ssh, a relay) goes too. */
    kill(-child, SIGKILL);
    if (killed)
        return 128 + SIGTERM;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    static uint8_t buf[65536];
    const char *win = NULL, *wout = NULL, *mode;
    int tochild[2], fromchild[2], o;
    double t0, launch, t1, t2, *rtt;
    long long in0 = 0, out0 = 0, in1, out1;
    size_t n, i, got;
    uint8_t c;

    while ((o = getopt(argc, argv, "+w:W:")) != -1) {
        if (o == 'w')
            win = optarg;
        else if (o == 'W')
            wout = optarg;
        else
            return 2;
    }
    if (argc - optind != 3 || (strcmp(argv[optind], "rtt") && strcmp(argv[optind], "out") &&
                               strcmp(argv[optind], "in"))) {
        fprintf(stderr, "usage: benchdrive [-w FILE] [-W FILE] rtt|out|in COUNT CMD\n");
        return 2;
    }
    mode = argv[optind];
    n = parse_count(argv[optind + 1]);
    signal(SIGPIPE, SIG_IGN);
    if (pipe2(tochild, O_CLOEXEC) < 0 || pipe2(fromchild, O_CLOEXEC) < 0)
        fail("pipe", strerror(errno));

    t0 = now_us();
    child = fork();
    if (child < 0)
        fail("fork", strerror(errno));
    if (child == 0) {
        setpgid(0, 0);
        if (dup2(tochild[0], 0) < 0 || dup2(fromchild[1], 1) < 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", argv[optind + 2], (char *)NULL);
        _exit(127);
    }
    setpgid(child, child);
    close(tochild[0]);
    close(fromchild[1]);
    to_fd = tochild[1];
    from_fd = fromchild[0];

    put("a", 1);
    expect('a');
    t1 = now_us();
    launch = t1 - t0;

    if (strcmp(mode, "rtt") == 0) {
        rtt = calloc(n, sizeof(*rtt));
        if (!rtt)
            fail("out of memory", NULL);
        in0 = file_size(win);
        out0 = file_size(wout);
        for (i = 0; i < n; i++) {
            c = (uint8_t)('b' + i % 24);
            t1 = now_us();
            put(&c, 1);
            expect(c);
            rtt[i] = now_us() - t1;
        }
        in1 = file_size(win);
        out1 = file_size(wout);
        qsort(rtt, n, sizeof(*rtt), cmp_double);
        printf("launch_us=%.0f rtt_us=%.1f", launch, rtt[n / 2]);
        if (win)
            printf(" wire_in=%.2f", (double)(in1 - in0) / (double)n);
        if (wout)
            printf(" wire_out=%.2f", (double)(out1 - out0) / (double)n);
        free(rtt);
    } else if (strcmp(mode, "out") == 0) {
        for (got = 0; got < n; got += i) {
            i = get(buf, n - got < sizeof(buf) ? n - got : sizeof(buf));
            if (i == 0)
                fail("the pipeline ended before all the output came", NULL);
        }
        t2 = now_us();
        printf("launch_us=%.0f mib_s=%.2f", launch, (double)n / 1048576.0 / ((t2 - t1) * 1e-6));
    } else {
        for (i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)('0' + i % 64);
        for (got = 0; got < n; got += i) {
            i = n - got < sizeof(buf) ? n - got : sizeof(buf);
            put(buf, i);
        }
        expect('!');
        t2 = now_us();
        printf("launch_us=%.0f mib_s=%.2f", launch, (double)n / 1048576.0 / ((t2 - t1) * 1e-6));
    }
    printf(" exit=%d\n", finish());
    return 0;
}
