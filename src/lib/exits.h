/* SPDX-License-Identifier: MIT */
/*
 * Exit statuses, the same in every tool (README, each man page's EXIT
 * STATUS), and the relay's refusal notice that carries one to sc-dec.
 */
#ifndef SC_LIB_EXITS_H
#define SC_LIB_EXITS_H

#define SC_EX_OK        0   /* success; a session that ended cleanly and authentically */
#define SC_EX_INTEGRITY 1   /* forged, replayed, reordered, truncated, wrong key */
#define SC_EX_OPER      2   /* usage or operational error */
#define SC_EX_REFUSED   3   /* the VMM refused (a bad or unauthentic request, no such domain) */
#define SC_EX_SIGNAL    4   /* the relay ended the session (a signal, or it asked the VMM) */
#define SC_EX_POLICY    5   /* the relay's policy file does not allow it */
#define SC_EX_BUSY      6   /* another session holds the console, or took it over */
#define SC_EX_UNBOUND   7   /* the domain is not bound, or its binding went with the guest */
#define SC_EX_INSTANCE  8   /* another domain instance than the one accepted (sc-dec -A) */
#define SC_EX_NOMATCH   9   /* a script's wait failed: the output never matched (sc-dec -u), the
                               command's end never came, or the time ran out (sc-console) */
#define SC_EX_LEVEL     10  /* the seal level the VMM vouches for is below the one required
                               (sc-dec --require, sccrypt(7) LEVELS) */

/*
 * When the VMM refuses to open a session, sc-relay writes this frame (the
 * 2-byte length 8, "REFUSED", then the exit status above) in place of the
 * answer, so that sc-dec can exit with the relay's status instead of
 * reporting a truncated stream.  It is dom0's word, not the VMM's: it only
 * ever ends a session that has not started, with a non-zero status.
 */
#define SC_NOTICE_BODY  8
#define SC_NOTICE_MAGIC "REFUSED"   /* 7 bytes, then the status byte */

#endif /* SC_LIB_EXITS_H */
