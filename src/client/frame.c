/* SPDX-License-Identifier: MIT */
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
