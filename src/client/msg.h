/* SPDX-License-Identifier: MIT */
/*
 * Messages of the client tools: "prog: what went wrong[: strerror]" on
 * stderr.  Nothing here exits; callers return -1 and main() unwinds.
 */
#ifndef SC_CLIENT_MSG_H
#define SC_CLIENT_MSG_H

#include <stddef.h>

/* Sets the name every message starts with (the tool's name). */
void msg_init(const char *prog);
const char *msg_prog(void);
/*
 * The line end for stderr now: CR LF while it is a terminal without output
 * processing (raw mode, sc-enc(1)), else LF.  Every message uses it.
 */
const char *msg_eol(void);
/* "prog: text\n" */
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: text: strerror(errno)\n" (errno as it was on entry) */
void msg_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * msg_hold(1): the messages from now on are kept, not printed, until
 * msg_hold(0) (kept, 2 KiB at most), then msg_release() prints them or
 * msg_drop() forgets them: for a message that another tool of the pipeline
 * may already have printed.
 */
void msg_hold(int on);
void msg_release(void);
void msg_drop(void);

/* Wipes len bytes at p that held a secret, in a way the compiler keeps. */
void cl_wipe(void *p, size_t len);

#endif /* SC_CLIENT_MSG_H */
