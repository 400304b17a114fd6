/* SPDX-License-Identifier: MIT */
/*
 * tamper: a hostile relay for tests.  Copies frames (2-byte big-endian
 * length + body) from stdin to stdout, each as soon as it is whole, and
 * applies one mutation.  Frames count from 0 (the hello or the answer).
 *
 *   tamper pass                 copy unchanged
 *   tamper flip N [OFF]         flip the low bit of body byte OFF (default: the last) of frame N
 *   tamper drop N               leave frame N out
 *   tamper dup N                send frame N twice
 *   tamper swap N               send frame N+1 before frame N
 *   tamper truncate N           send frames 0..N-1, then close stdout (and drain stdin)
 *   tamper cut N BYTES          send frames 0..N-1 and BYTES bytes of frame N, then close
 *   tamper relen N LEN          frame N's header names LEN bytes (its body sent as it was)
 *   tamper replace N FILE K     send frame K of the stream in FILE instead of frame N
 *   tamper insert N FILE K      send frame K of FILE before frame N
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "io.h"

static uint8_t buf[2 + 65535], held[2 + 65535], other[2 + 65535];

static void die(const char *m)
{
    fprintf(stderr, "tamper: %s\n", m);
    exit(2);
}

static void out(const uint8_t *p, size_t n)
{
    if (io_write_all(1, p, n) < 0)
        exit(errno == EPIPE ? 0 : 2);
}

static size_t load_frame(const char *file, unsigned long k)
{
    unsigned long i;
    ssize_t n = 0;
    int fd = open(file, O_RDONLY);

    if (fd < 0)
        die("cannot open the frame file");
    for (i = 0; i <= k; i++) {
        n = frame_read(fd, other, sizeof(other));
        if (n <= 0)
            die("no such frame in the file");
    }
    close(fd);
    return (size_t)n;
}

static void drain(void)
{
    uint8_t tmp[4096];

    close(1);
    while (io_read(0, tmp, sizeof(tmp)) > 0)
        ;
    exit(0);
}

int main(int argc, char **argv)
{
    const char *op;
    unsigned long n = 0, arg = 0, idx;
    size_t olen = 0, hlen = 0;
    long off = -1;
    ssize_t len;

    signal(SIGPIPE, SIG_IGN);
    if (argc < 2)
        die("usage: tamper pass|flip|drop|dup|swap|truncate|cut|relen|replace|insert N [...]");
    op = argv[1];
    if (strcmp(op, "pass") != 0) {
        if (argc < 3)
            die("missing frame number");
        n = strtoul(argv[2], NULL, 10);
    }
    if (strcmp(op, "flip") == 0 && argc > 3)
        off = strtol(argv[3], NULL, 10);
    if (strcmp(op, "cut") == 0 || strcmp(op, "relen") == 0) {
        if (argc < 4)
            die("cut|relen N BYTES");
        arg = strtoul(argv[3], NULL, 10);
    }
    if (strcmp(op, "replace") == 0 || strcmp(op, "insert") == 0) {
        if (argc < 5)
            die("replace|insert N FILE K");
        olen = load_frame(argv[3], strtoul(argv[4], NULL, 10));
    }
    for (idx = 0; ; idx++) {
        if (strcmp(op, "truncate") == 0 && idx == n)
            drain();
        len = frame_read(0, buf, sizeof(buf));
        if (len == FRAME_EOF)
            break;
        if (len < 0) {
            /* a broken frame: pass what there is no more; the end is the end */
            break;
        }
        if (idx != n && idx != n + 1) {
            out(buf, (size_t)len);
            continue;
        }
        if (strcmp(op, "flip") == 0 && idx == n) {
            size_t body = (size_t)len - 2;
            size_t at = off < 0 ? body - 1 : (size_t)off;

            if (body > 0 && at < body)
                buf[2 + at] ^= 1;
            out(buf, (size_t)len);
        } else if (strcmp(op, "drop") == 0 && idx == n) {
            /* nothing */
        } else if (strcmp(op, "dup") == 0 && idx == n) {
            out(buf, (size_t)len);
            out(buf, (size_t)len);
        } else if (strcmp(op, "swap") == 0 && idx == n) {
            memcpy(held, buf, (size_t)len);
            hlen = (size_t)len;
        } else if (strcmp(op, "swap") == 0 && idx == n + 1) {
            out(buf, (size_t)len);
            out(held, hlen);
            hlen = 0;
        } else if (strcmp(op, "cut") == 0 && idx == n) {
            out(buf, arg < (size_t)len ? arg : (size_t)len);
            drain();
        } else if (strcmp(op, "relen") == 0 && idx == n) {
            buf[0] = (uint8_t)(arg >> 8);
            buf[1] = (uint8_t)arg;
            out(buf, (size_t)len);
        } else if (strcmp(op, "replace") == 0 && idx == n) {
            out(other, olen);
        } else if (strcmp(op, "insert") == 0 && idx == n) {
            out(other, olen);
            out(buf, (size_t)len);
        } else {
            out(buf, (size_t)len);
        }
    }
    if (hlen)
        out(held, hlen);
    return 0;
}
