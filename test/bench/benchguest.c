/* SPDX-License-Identifier: MIT */
/*
 * benchguest: the guest program of `make bench`, run on the console's pty
 * by sc-vmmsim or by plaincon (the plaintext baseline), the same binary
 * and the same terminal settings in both.  It puts its terminal in raw
 * mode (no echo, no line discipline, no output translation) and serves
 * sessions that come and go, forever:
 *
 *   benchguest echo      writes back every byte it reads, at once
 *   benchguest out N     for every byte it reads: writes it back, then N
 *                        bytes of output (a rolling pattern of printable
 *                        bytes), in writes of 64 KiB
 *   benchguest in N      for every byte it reads: writes it back, then
 *                        reads N bytes and writes '!' when it has them all
 *
 * It exits 0 at end of input, 2 on an error.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "io.h"

static uint8_t buf[65536];

static int put(const void *p, size_t len)
{
    if (io_write_all(1, p, len) < 0) {
        fprintf(stderr, "benchguest: write: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static size_t parse_size(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v == 0) {
        fprintf(stderr, "benchguest: %s: not a positive byte count\n", s);
        exit(2);
    }
    return (size_t)v;
}

int main(int argc, char **argv)
{
    struct termios t;
    size_t n = 0, left, i, chunk;
    ssize_t r;
    uint8_t c;
    int mode;

    if (argc == 2 && strcmp(argv[1], "echo") == 0) {
        mode = 0;
    } else if (argc == 3 && (strcmp(argv[1], "out") == 0 || strcmp(argv[1], "in") == 0)) {
        mode = argv[1][0] == 'o' ? 1 : 2;
        n = parse_size(argv[2]);
    } else {
        fprintf(stderr, "usage: benchguest echo | out BYTES | in BYTES\n");
        return 2;
    }
    if (isatty(0)) {
        if (tcgetattr(0, &t) < 0) {
            fprintf(stderr, "benchguest: tcgetattr: %s\n", strerror(errno));
            return 2;
        }
        cfmakeraw(&t);
        if (tcsetattr(0, TCSANOW, &t) < 0) {
            fprintf(stderr, "benchguest: tcsetattr: %s\n", strerror(errno));
            return 2;
        }
    }
    for (i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)('0' + i % 64);

    for (;;) {
        if (mode == 0) {
            r = io_read(0, buf, sizeof(buf));
            if (r <= 0)
                break;
            if (put(buf, (size_t)r) < 0)
                return 2;
            continue;
        }
        r = io_read(0, &c, 1);
        if (r <= 0)
            break;
        if (put(&c, 1) < 0)
            return 2;
        if (mode == 1) {
            for (left = n; left > 0; left -= chunk) {
                chunk = left < sizeof(buf) ? left : sizeof(buf);
                if (put(buf, chunk) < 0)
                    return 2;
            }
            continue;
        }
        for (left = n; left > 0; left -= (size_t)r) {
            uint8_t in[65536];

            r = io_read(0, in, left < sizeof(in) ? left : sizeof(in));
            if (r <= 0) {
                fprintf(stderr, "benchguest: input ended %zu bytes early\n", left);
                return 2;
            }
        }
        if (put("!", 1) < 0)
            return 2;
    }
    if (r < 0) {
        fprintf(stderr, "benchguest: read: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}
