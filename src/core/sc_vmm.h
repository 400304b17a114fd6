/* SPDX-License-Identifier: MIT */
/*
 * The VMM's protocol engine: what the hypervisor (hcall/) and the
 * user-space simulator both run, unchanged, for each console operation.
 *
 * The host owns the memory (one struct sc_vmm per boot, one struct sc_dom
 * per bound domain, the backlog's buffer), the locking, the clock and the
 * random bytes; the engine only computes.
 *
 * Time: every now_ms argument is the domain's *guest run time* in
 * milliseconds: a monotonic count that advances only while the guest can
 * run, and stands still while the domain is paused (or, in the simulator,
 * while the guest process is stopped).  Each domain has its own; it never
 * goes backwards for that domain.  It decides when a finished session ends
 * (the quiet time: time the guest ran without printing) and when a silent
 * session is dropped, never whether anything is authentic.  A host that
 * passes wall-clock or host-monotonic time instead lets whoever pauses the
 * guest fake a clean end (the guest "quiet" only because it was stopped).
 */
#ifndef SC_VMM_H
#define SC_VMM_H

#include "sc_types.h"
#include "sc_proto.h"
#include "sc_ring.h"

/*
 * Live domains one key may bind at once.  The VMM keeps no separate table:
 * each bound domain holds its key, and the host counts (key_binds below).
 */
#define SC_VMM_KEY_DOMAINS  256
/* Output chaff owed is capped: a flood of input chaff earns no more than this. */
#define SC_VMM_CHAFF_MAX    64
/*
 * Guest run time a session may stay open without the client proving it live
 * (its first authentic input record), and, once live, without any input
 * record; past either the VMM ends it with SC_CLOSE_TIMEOUT.
 */
#define SC_VMM_LIVE_MS      30000
#define SC_VMM_IDLE_MS      (4 * SC_KEEPALIVE_MS)
/*
 * Echo hiding (issue 17.3): in an obfuscating session, guest output small
 * enough for one fixed-size record waits for the next input slot's answer
 * and rides in it, while slots come (one came within this much guest run
 * time); so every slot, key or chaff, gets exactly one fixed-size record.
 * Past it (the client's chaff stopped), such output goes on its own.
 */
#define SC_VMM_ECHO_HOLD_MS 250

struct sc_vmm {
    const struct sc_crypto *cr;
    uint8_t secret[32];
    uint8_t pub[SC_PUB_LEN];
};

/* Session states of one domain. */
#define SC_SESS_NONE        0       /* no session since the bind, or the last one ended */
#define SC_SESS_OPEN        1       /* hello accepted, records flow both ways */
#define SC_SESS_DRAINING    2       /* input closed; output flows until the guest is quiet */
#define SC_SESS_CLOSING     3       /* a close record is owed to the output stream */

struct sc_dom {
    uint32_t domid;
    uint8_t uuid[SC_UUID_LEN];
    uint32_t bound;
    uint8_t key[SC_KEY_LEN];
    uint8_t instance[SC_INSTANCE_LEN];
    /*
     * The host's seal level for this domain (sccrypt(7) LEVELS): the host
     * sets it (sc_dom_set_level) before each sc_vmm_bind and sc_vmm_open.
     * The bind refuses a request whose least level it does not meet; the
     * answer vouches for it.  sc_dom_init: no flag, PV ring (the weakest).
     * A UART console (SC_CON_UART, sc_uart_con.h) is what lets a session
     * send BREAKs (sc_opts_accepted).
     */
    struct sc_level level;
    uint8_t pad_level[2];
    uint32_t has_challenge;         /* an unbound domain's bind challenge is current */
    uint8_t challenge[SC_CHALLENGE_LEN];

    const struct sc_crypto *cr;     /* the VMM's, set when a session opens */
    uint32_t state;
    uint16_t options;
    uint8_t close_reason;           /* with SC_SESS_CLOSING */
    uint8_t brk_pending;            /* a BREAK record waits for the host (sc_vmm_break_pending) */
    uint32_t quiet_ms;              /* from the client's close */
    uint64_t last_output_ms;        /* when the guest last produced output */
    uint32_t chaff_owed;
    uint32_t live;                  /* an authentic input record came: the client is live */
    uint64_t last_input_ms;         /* the open, or the last authentic input record */
    uint64_t dropped_told;          /* backlog loss this session's answer reported */
    uint64_t slot_ms;               /* the last keystroke-size input record (obfuscating) */
    uint32_t slots;                 /* one came: small output waits for the next answer */
    struct sc_dir in, out;

    /* Input opened but not yet in the ring because it was full. */
    uint32_t pending_off, pending_len;
    uint8_t pending[SC_REC_MAX_IN_PT];  /* sc_rec_open decrypts into it */
};

/* sc_vmm_init: the VMM identity from 32 random bytes; -SC_EINVAL if unusable. */
int sc_vmm_init(struct sc_vmm *v, const struct sc_crypto *cr, const uint8_t secret[32]);
void sc_vmm_wipe(struct sc_vmm *v);

/* A domain the host created, not yet bound. */
void sc_dom_init(struct sc_dom *d, uint32_t domid, const uint8_t uuid[SC_UUID_LEN]);
/* Wipes keys, session and pending input (the host's level stays); the domain is unbound after it. */
void sc_dom_wipe(struct sc_dom *d);
/*
 * The host's word on d's seal level (the hypervisor and the simulator each
 * compute theirs); -SC_EINVAL, d unchanged, unless l is a valid level
 * (sc_level_valid, a console kind named).
 */
int sc_dom_set_level(struct sc_dom *d, const struct sc_level *l);

/*
 * The bind challenge (sccrypt(7) BIND CHALLENGE).  sc_vmm_challenge writes
 * d's current challenge to out, making it from fresh (16 random bytes) when
 * d has none; -SC_EBOUND when d is bound.  Each bind attempt that
 * authenticates under it uses it up, whatever follows, so a request binds
 * at most once and no table of used requests is needed.
 */
int sc_vmm_challenge(struct sc_dom *d, const uint8_t fresh[SC_CHALLENGE_LEN],
                     uint8_t out[SC_CHALLENGE_LEN]);

/*
 * sc_vmm_bind: unseal req under d's current challenge and bind its key to
 * d when it names d's UUID, d is not bound, d's level (d->level, the
 * host's) is at least the request's least level (else -SC_ELEVEL, and
 * nothing is bound), and key_binds(ctx, key) (the
 * number of live domains the host has bound to key; NULL: none) is below
 * SC_VMM_KEY_DOMAINS.  instance is 16 fresh random bytes.  The host checks
 * beforehand that d's UUID is unique among live domains.  -SC_EREPLAY when
 * d has no current challenge, -SC_EAUTH when req was not sealed for it (or
 * for this VMM); a request that authenticates uses the challenge up whether
 * or not the bind then succeeds.  Returns 0 or -SC_E*.
 * It is sc_vmm_bind_open then sc_vmm_bind_commit: a host that does not run
 * the slow half under its lock copies d's challenge (sc_vmm_challenge_peek),
 * opens outside the lock, and commits under it.
 */
int sc_vmm_bind(struct sc_vmm *v, struct sc_dom *d, const uint8_t *req, size_t len,
                const uint8_t instance[SC_INSTANCE_LEN],
                int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]), void *ctx);
/* d's current challenge into out: 0, or -SC_EREPLAY when it has none. */
int sc_vmm_challenge_peek(const struct sc_dom *d, uint8_t out[SC_CHALLENGE_LEN]);
/*
 * The slow half, touching no domain: unseal req under challenge (the X25519);
 * writes the key, UUID and least level it carries.  v is only read.  0 or
 * -SC_E*.
 */
int sc_vmm_bind_open(const struct sc_vmm *v, const uint8_t *req, size_t len,
                     const uint8_t challenge[SC_CHALLENGE_LEN],
                     uint8_t key[SC_KEY_LEN], uint8_t uuid[SC_UUID_LEN],
                     struct sc_level *least);
/*
 * The fast half, under the host's lock: -SC_EREPLAY unless challenge is
 * still d's current one (another attempt used it meanwhile); else uses it
 * up and binds key to d as sc_vmm_bind says.  Wipes nothing of the caller's.
 */
int sc_vmm_bind_commit(struct sc_dom *d, const uint8_t challenge[SC_CHALLENGE_LEN],
                       const uint8_t key[SC_KEY_LEN], const uint8_t uuid[SC_UUID_LEN],
                       const struct sc_level *least, const uint8_t instance[SC_INSTANCE_LEN],
                       int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]), void *ctx);

/*
 * sc_vmm_bound: after a successful sc_vmm_bind of req (len bytes) to d, the
 * bind answer for the user (SC_BOUND_LEN bytes): d's instance, UUID and id,
 * and level, authenticated under d's key and bound to req.  0 or -SC_E*.
 */
int sc_vmm_bound(struct sc_vmm *v, const struct sc_dom *d, const uint8_t *req, size_t len,
                 uint8_t ans[SC_BOUND_LEN]);

/*
 * sc_vmm_open: check a hello against d's binding and start a session,
 * replacing any session d had (the host closes that one first when it
 * wants the old client told).  eph is 32 fresh random bytes; dropped is the
 * backlog bytes lost while no live session was attached (the backlog's
 * dropped count: the host must not reset it at an open), vouched for in the
 * answer with d's level (d->level).  Writes SC_ANSWER_LEN bytes to answer.  A refused hello leaves d
 * as it was.  The session is not live yet: it gets no backlog until the
 * client's first authentic input record (which needs the keys only the
 * holder of this hello's secret can derive from the answer), so a replayed
 * hello takes nothing from the backlog.
 * The hello must name d's UUID (-SC_EUUID), or name none while d is the
 * only live domain bound to its key: key_binds(ctx, key) (as for
 * sc_vmm_bind, d included) at most 1, else -SC_EGUEST.  NULL key_binds:
 * the host binds each key to one domain.
 */
int sc_vmm_open(struct sc_vmm *v, struct sc_dom *d, const uint8_t *hello, size_t len,
                uint8_t answer[SC_ANSWER_LEN], const uint8_t eph[32], uint64_t dropped,
                uint64_t now_ms, int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]),
                void *ctx);

/*
 * sc_vmm_open in two halves, for a host that runs no X25519 under its lock.
 * sc_vmm_open_prepare, with no domain state: checks the hello against the
 * binding b (copied from the domain under the lock: its key, instance, UUID
 * and id) and makes the answer and the session's keys into o; -SC_EUUID
 * when the hello names another UUID.  v is only read.
 * sc_vmm_open_commit, under the lock: -SC_ENOTBOUND unless d is still bound
 * to the same key and instance as b (another bind or a teardown meanwhile),
 * -SC_EGUEST as sc_vmm_open says; else starts the session from o.  o is
 * wiped either way (sc_vmm_open_wipe wipes one that is not committed).
 */
struct sc_vmm_opening {
    struct sc_dir in, out;
    uint16_t options;
    uint8_t names_none;             /* the hello named no domain */
    uint8_t pad0;
    uint64_t dropped;
};
int sc_vmm_open_prepare(const struct sc_vmm *v, const struct sc_dom *b, const uint8_t *hello,
                        size_t len, uint8_t answer[SC_ANSWER_LEN], const uint8_t eph[32],
                        uint64_t dropped, struct sc_vmm_opening *o);
int sc_vmm_open_commit(struct sc_dom *d, const struct sc_dom *b, const struct sc_crypto *cr,
                       struct sc_vmm_opening *o, uint64_t now_ms,
                       int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]), void *ctx);
void sc_vmm_open_wipe(struct sc_vmm_opening *o);

/*
 * sc_vmm_input: open whole frames from buf (len bytes) and copy their data
 * into the guest's in ring; stops at the first frame that does not fit
 * (the ring full and input pending), after a BREAK record (see
 * sc_vmm_break_pending), at the first incomplete frame, or at the
 * session's end.  *consumed says how many bytes of buf were taken; the
 * caller keeps the rest and offers it again later.  *written says how many
 * bytes went into the ring (notify the guest when > 0).
 * A frame that fails authentication or format ends the session: the
 * engine owes the client a close record SC_CLOSE_PROTOCOL and returns
 * -SC_EAUTH (or -SC_EINVAL); nothing of that frame reaches the ring.
 */
int sc_vmm_input(struct sc_dom *d, volatile struct sc_xencons *ring,
                 const uint8_t *buf, size_t len, size_t *consumed, size_t *written,
                 uint64_t now_ms);

/*
 * BREAK records (SC_OPT_BREAK sessions, UART consoles only).  sc_vmm_input
 * stops after a BREAK record, once the data before it is in the ring (or
 * pending), and takes no more input until the host has delivered it:
 * sc_vmm_break_pending(d) is 1 while it waits and no input is pending for
 * the ring; the host then queues it behind the ring's bytes
 * (sc_uart_con_break) and calls sc_vmm_break_taken(d), and input goes on.
 * A BREAK record in a session that did not negotiate it ends the session
 * as any bad record does (-SC_EINVAL, SC_CLOSE_PROTOCOL).
 */
int sc_vmm_break_pending(const struct sc_dom *d);
void sc_vmm_break_taken(struct sc_dom *d);

/* Moves pending input into the ring as space allows (call on a guest event). */
size_t sc_vmm_flush_input(struct sc_dom *d, volatile struct sc_xencons *ring);

/*
 * The least output capacity sc_vmm_output works with: a rekey record and a
 * fixed-size record.  Larger capacities take larger records, up to
 * SC_REC_MAX_DATA of backlog in one record.
 */
#define SC_VMM_OUT_MIN      (2 * SC_KEYSTROKE_FRAME)

/*
 * sc_vmm_output: seal what is owed to the client into frames in out (cap
 * bytes, at least SC_VMM_OUT_MIN): backlog bytes (only once the session is
 * live; taken from the backlog only once sealed, sealed in place in out, in
 * records as large as the backlog and cap allow; the first time, the loss
 * the answer reported is taken off b->dropped), answers owed (one record
 * for each keystroke-size input record: output that fits one fixed-size
 * record rides in it, else chaff; in an obfuscating session such small
 * output waits for the next answer while input slots come, see
 * SC_VMM_ECHO_HOLD_MS), then a close record when
 * one is owed, when the session timed out (SC_VMM_LIVE_MS, SC_VMM_IDLE_MS),
 * or when, after the client's close, the backlog (b, which must not be
 * NULL then) is empty and the guest has run quietly for the time asked
 * since output last waited anywhere (sc_vmm_guest_output; backlog output
 * counts until it is sealed): SC_CLOSE_QUIET, or SC_CLOSE_LOST when
 * b->dropped says output was lost during the session.  In an obfuscating session every record
 * that fits the fixed size is padded to it.  *outlen is the bytes written.
 * Returns 1 when the session ended with this output (its close is in out),
 * 0 when it goes on, -SC_ENOSESSION when no session is open.
 */
int sc_vmm_output(struct sc_dom *d, struct sc_backlog *b, uint8_t *out, size_t cap,
                  size_t *outlen, uint64_t now_ms);

/*
 * Milliseconds of guest run time after now_ms at which sc_vmm_output must
 * be called again (for a quiet close, a timeout, or output held for a slot
 * that did not come), or -1 when nothing is timed.
 */
int64_t sc_vmm_wake_in(const struct sc_dom *d, uint64_t now_ms);

/*
 * Records that guest output moved or waited at now_ms, so the guest was not
 * quiet then: call it when the guest writes into the ring, when output
 * waits in the ring, and while records sealed for the relay are not yet
 * taken by it.  (Output waiting in the backlog the engine sees itself.)
 */
void sc_vmm_guest_output(struct sc_dom *d, uint64_t now_ms);

/*
 * sc_vmm_abandon: ends d's session, if any, with nobody to tell (its relay
 * went away): keys, counters and pending input are wiped; the binding
 * stays, and so does the host's backlog.  Never fails.
 */
void sc_vmm_abandon(struct sc_dom *d);

/* True when the engine owes the client output (chaff or a close). */
int sc_vmm_output_owed(const struct sc_dom *d);

/*
 * True when sc_vmm_output(d, b, ..., now_ms) would produce a record now:
 * the host's test for waking the relay.  It is false while small output
 * waits for the next input slot (echo hiding), so a host that signals the
 * relay only on it tells dom0 nothing of an echo before its slot.
 */
int sc_vmm_has_output(const struct sc_dom *d, const struct sc_backlog *b, uint64_t now_ms);

/* True once the session's client proved it live: only then does the backlog flow to it. */
int sc_vmm_live(const struct sc_dom *d);

/*
 * sc_vmm_close: end d's session with reason (SC_CLOSE_RELAY,
 * SC_CLOSE_GUEST_GONE, SC_CLOSE_TAKEOVER); the next sc_vmm_output carries
 * the close record.  No effect when no session is open, nor for
 * SC_CLOSE_RELAY after the client's own close (the relay's input ended
 * with it; the session goes on to its quiet end).
 */
void sc_vmm_close(struct sc_dom *d, unsigned int reason);

#endif /* SC_VMM_H */
