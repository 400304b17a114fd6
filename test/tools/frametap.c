/* SPDX-License-Identifier: MIT */
/*
 * frametap: what a watching relay records.  Copies frames (be16 length +
 * body) from stdin to stdout, each as soon as it is whole, and appends one
 * line per frame to LOG: the monotonic time in milliseconds (three decimals)
 * and the body length.
 *
 *   frametap LOG
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "io.h"

static uint8_t buf[2 + 65535];

int main(int argc, char **argv)
{
    struct timespec ts;
    char line[64];
    ssize_t n;
    int log, len;

    if (argc != 2) {
        fprintf(stderr, "usage: frametap LOG\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    log = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
    if (log < 0) {
        fprintf(stderr, "frametap: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    for (;;) {
        n = frame_read(0, buf, sizeof(buf));
        if (n < 2)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        len = snprintf(line, sizeof(line), "%llu.%03llu %zd\n",
                       (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000,
                       (unsigned long long)ts.tv_nsec / 1000 % 1000, n - 2);
        if (io_write_all(log, line, (size_t)len) < 0 || io_write_all(1, buf, (size_t)n) < 0)
            break;
    }
    close(log);
    return 0;
}
