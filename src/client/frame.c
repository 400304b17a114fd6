/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "frame.h"
#include "io.h"

ssize_t frame_read(int fd, uint8_t *buf, size_t cap)
{
    ssize_t n;
    size_t body;

    if (cap < 2)
        return FRAME_TOOLONG;
    n = io_read_full(fd, buf, 2);
    if (n < 0)
        return FRAME_ERR;
    if (n == 0)
        return FRAME_EOF;
    if (n < 2)
        return FRAME_TRUNC;
    body = (size_t)buf[0] << 8 | buf[1];
    if (body > cap - 2)
        return FRAME_TOOLONG;
    n = io_read_full(fd, buf + 2, body);
    if (n < 0)
        return FRAME_ERR;
    if ((size_t)n < body)
        return FRAME_TRUNC;
    return (ssize_t)(body + 2);
}

void frame_buf_init(struct frame_buf *fb, uint8_t *buf, size_t cap)
{
    fb->buf = buf;
    fb->cap = cap;
    fb->off = 0;
    fb->end = 0;
}

ssize_t frame_next(struct frame_buf *fb, size_t max_body, const uint8_t **f)
{
    size_t have = fb->end - fb->off, body;
    const uint8_t *p = fb->buf + fb->off;

    if (have < 2)
        return FRAME_MORE;
    body = (size_t)p[0] << 8 | p[1];
    if (body > max_body)
        return FRAME_TOOLONG;
    if (have < 2 + body)
        return FRAME_MORE;
    *f = p;
    fb->off += 2 + body;
    return (ssize_t)(2 + body);
}

ssize_t frame_fill(struct frame_buf *fb, int fd)
{
    size_t have = fb->end - fb->off;
    ssize_t n;

    if (fb->off > 0) {
        memmove(fb->buf, fb->buf + fb->off, have);
        fb->off = 0;
        fb->end = have;
    }
    if (fb->end >= fb->cap) {
        errno = ENOBUFS;            /* cap <= FRAME_MAX: the caller's mistake */
        return FRAME_ERR;
    }
    n = io_read(fd, fb->buf + fb->end, fb->cap - fb->end);
    if (n < 0)
        return FRAME_ERR;
    if (n == 0)
        return have > 0 ? FRAME_TRUNC : FRAME_EOF;
    fb->end += (size_t)n;
    return n;
}
