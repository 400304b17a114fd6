/* SPDX-License-Identifier: MIT */
/* Descriptor I/O that survives EINTR and short transfers. */
#ifndef SC_IO_H
#define SC_IO_H

#include <stddef.h>
#include <sys/types.h>

/* One read(2), retried on EINTR: > 0 bytes, 0 at end of file, -1 on error. */
ssize_t io_read(int fd, void *buf, size_t len);
/*
 * Reads until len bytes, end of file or an error: returns the bytes read
 * (fewer than len only at end of file), or -1 on error.
 */
ssize_t io_read_full(int fd, void *buf, size_t len);
/* Writes all len bytes, retrying on EINTR and short writes: 0 or -1. */
int io_write_all(int fd, const void *buf, size_t len);
/* Marks fd close-on-exec / non-blocking: 0 or -1. */
int io_set_cloexec(int fd);
int io_set_nonblock(int fd, int on);

#endif /* SC_IO_H */
