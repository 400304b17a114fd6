/* SPDX-License-Identifier: MIT */
/*
 * The rendezvous of sc-enc and sc-dec (sccrypt(7) RENDEZVOUS): files in a
 * private directory ($XDG_RUNTIME_DIR/sccrypt, else /tmp/sccrypt-UID),
 * named "<pgid>-<32 hex of the hello id>.hello|.answer".  The process group
 * pairs the two ends of one pipeline; dom0 cannot influence it, and the
 * hello id, not bytes from dom0, names the file.
 */
#ifndef SC_CLIENT_RENDEZVOUS_H
#define SC_CLIENT_RENDEZVOUS_H

#include <stddef.h>
#include <stdint.h>

#include "keyfile.h"

#define RV_HELLO    "hello"
#define RV_ANSWER   "answer"

struct rv {
    char dir[CL_PATH_MAX];
    long pgid;
    int wfd;                        /* the directory's watch (rv_watch), or -1 */
    int wd;                         /* its watch descriptor, or -1 */
};

/* Finds or makes the directory and checks it is private (lstat, owner, 0700): 0 or -1. */
int rv_init(struct rv *r);
/* The path of a rendezvous file into buf (CL_PATH_MAX): 0 or -1. */
int rv_path(const struct rv *r, const uint8_t id[16], const char *ext, char *buf,
            size_t cap);
/*
 * Writes len bytes atomically (a .tmp file made O_EXCL|O_NOFOLLOW 0600, then
 * renamed): 0 or -1, said on stderr unless quiet (a best-effort write).
 */
int rv_put(const struct rv *r, const uint8_t id[16], const char *ext,
           const uint8_t *data, size_t len, int quiet);
/*
 * Takes the file if it is there: reads exactly len bytes, overwrites them
 * with zeros, unlinks it.  1 when taken, 0 when not there yet, -1 on an
 * error (a file of the wrong size, owner or mode, or an I/O error).
 */
int rv_take(const struct rv *r, const uint8_t id[16], const char *ext,
            uint8_t *data, size_t len);
/*
 * Waiting for a file to appear.  rv_watch starts watching the directory for
 * files moved or created into it (inotify on Linux) before the first look,
 * so that no arrival is missed; without one (another system, or an error)
 * the waiter looks every RV_POLL_MS, as it always did.  rv_wait sleeps
 * until something arrives in the directory, fd (if >= 0, for POLLIN, or -1)
 * is readable, out (if >= 0) reports an error or hang-up, or max_ms pass;
 * it returns poll's count and the revents of fd and out (0 when not
 * polled), or -1 with errno (EINTR included).  rv_unwatch closes the watch.
 */
#define RV_POLL_MS  10
void rv_watch(struct rv *r);
int rv_wait(struct rv *r, int fd, short *fd_rev, int out, short *out_rev, int max_ms);
void rv_unwatch(struct rv *r);
/* Wipes and unlinks the file if it is there (no message). */
void rv_discard(const struct rv *r, const uint8_t id[16], const char *ext);
/*
 * Wipes and unlinks the files that pipelines now gone left behind (a .hello
 * of an sc-enc killed with SIGKILL, an .answer sc-dec left for an sc-enc that
 * had exited): those whose process group no longer exists.  No message.
 */
void rv_sweep(const struct rv *r);
/*
 * sc-dec's presence in the pipeline: rv_mark makes "<pgid>.dec" (empty,
 * 0600), rv_unmark removes it, rv_marked says whether it is there; sc-enc
 * tells a pipeline without sc-dec (the relay's output on a terminal) soon.
 */
void rv_mark(const struct rv *r);
int rv_marked(const struct rv *r);
void rv_unmark(const struct rv *r);
/*
 * Hello files of our process group other than id (id may be NULL): returns
 * how many there are (0, 1, ...) and the first one's id in other.
 */
int rv_other_hellos(const struct rv *r, const uint8_t *id, uint8_t other[16]);

#endif /* SC_CLIENT_RENDEZVOUS_H */
