/* SPDX-License-Identifier: MIT */
/* Reading frames (2-byte big-endian body length, then the body) from a descriptor. */
#ifndef SC_CLIENT_FRAME_H
#define SC_CLIENT_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_EOF       0           /* end of input on a frame boundary */
#define FRAME_ERR       (-1)        /* read error (errno set) */
#define FRAME_TRUNC     (-2)        /* end of input inside a frame */
#define FRAME_TOOLONG   (-3)        /* the header names more than cap - 2 bytes */

/*
 * frame_read: reads one whole frame (header included) into buf (cap
 * bytes); returns its length, or one of the FRAME_ codes above.
 */
ssize_t frame_read(int fd, uint8_t *buf, size_t cap);

#endif /* SC_CLIENT_FRAME_H */
