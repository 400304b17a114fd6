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
#define FRAME_MORE      (-4)        /* frame_next: no whole frame buffered yet */

/* The largest frame a 2-byte header can name. */
#define FRAME_MAX       (2 + 65535)

/*
 * frame_read: reads one whole frame (header included) into buf (cap
 * bytes); returns its length, or one of the FRAME_ codes above.  Two
 * read()s a frame: for the test tools; sc-dec reads through a frame_buf.
 */
ssize_t frame_read(int fd, uint8_t *buf, size_t cap);

/*
 * Buffered reading: large reads into buf, whole frames handed out of it in
 * place, so that one read() brings many frames.  cap must be more than
 * FRAME_MAX (a frame the header allows always fits, with room to read).
 */
struct frame_buf {
    uint8_t *buf;
    size_t cap;
    size_t off;                     /* the next frame starts here */
    size_t end;                     /* bytes read so far end here */
};

void frame_buf_init(struct frame_buf *fb, uint8_t *buf, size_t cap);
/*
 * The next whole frame in the buffer: sets *f to it (header included) and
 * returns its length; FRAME_MORE when the buffer holds none yet (call
 * frame_fill); FRAME_TOOLONG as soon as a header names a body of more than
 * max_body bytes (max_body <= 65535).  The frame stays valid until the next
 * frame_fill.
 */
ssize_t frame_next(struct frame_buf *fb, size_t max_body, const uint8_t **f);
/*
 * One read() (retried on EINTR) of as much as fits after what is buffered
 * (moved to the front first): the bytes read, FRAME_EOF at end of input on
 * a frame boundary, FRAME_TRUNC at end of input inside a frame, FRAME_ERR on
 * a read error (errno set).
 */
ssize_t frame_fill(struct frame_buf *fb, int fd);

#endif /* SC_CLIENT_FRAME_H */
