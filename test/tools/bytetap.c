/* SPDX-License-Identifier: MIT */
/*
 * bytetap: copies stdin to stdout and appends one line per read to LOG:
 * the CLOCK_MONOTONIC time in milliseconds (three decimals) and the byte
 * count.  For measuring when output reaches the user (test/echo-attack.sh).
 *
 *   bytetap LOG
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

static char buf[65536];

int main(int argc, char **argv)
{
    struct timespec ts;
    char line[64];
    ssize_t n;
    int log, len;

    if (argc != 2) {
        fprintf(stderr, "usage: bytetap LOG\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log < 0) {
        fprintf(stderr, "bytetap: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    for (;;) {
        n = io_read(0, buf, sizeof(buf));
        if (n <= 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        len = snprintf(line, sizeof(line), "%.3f %zd\n",
                       (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6, n);
        if (io_write_all(log, line, (size_t)len) < 0 || io_write_all(1, buf, (size_t)n) < 0)
            break;
    }
    close(log);
    return 0;
}
