/* SPDX-License-Identifier: MIT */
/*
 * The VMM's protocol engine (sc_vmm.h): bindings, sessions, and the
 * decrypt-into-ring / encrypt-from-backlog steps, identical in the
 * hypervisor and in the simulator.
 */
#include "sc_bytes.h"
#include "sc_vmm.h"
#include "sccrypt_crypto.h"


static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    size_t i;

    for ( i = 0; i < n; i++ )
        acc |= p[i];
    return acc == 0;
}

int sc_vmm_init(struct sc_vmm *v, const struct sc_crypto *cr, const uint8_t secret[32])
{
    sc_wipe(v, sizeof(*v));
    v->cr = cr;
    sc_copy(v->secret, secret, 32);
    cr->x25519_base(v->pub, v->secret);
    if ( all_zero(v->secret, 32) || all_zero(v->pub, SC_PUB_LEN) )
    {
        sc_vmm_wipe(v);
        return -SC_EINVAL;
    }
    return 0;
}

void sc_vmm_wipe(struct sc_vmm *v)
{
    sc_wipe(v, sizeof(*v));
}

void sc_dom_init(struct sc_dom *d, uint32_t domid, const uint8_t uuid[SC_UUID_LEN])
{
    sc_wipe(d, sizeof(*d));
    d->domid = domid;
    sc_copy(d->uuid, uuid, SC_UUID_LEN);
    d->level.flags = 0;
    d->level.console = SC_CON_RING;
}

int sc_dom_set_level(struct sc_dom *d, const struct sc_level *l)
{
    if ( !sc_level_valid(l, 0) )
        return -SC_EINVAL;
    d->level = *l;
    return 0;
}

void sc_dom_wipe(struct sc_dom *d)
{
    uint32_t domid = d->domid;
    uint8_t uuid[SC_UUID_LEN];
    struct sc_level level = d->level;

    sc_copy(uuid, d->uuid, SC_UUID_LEN);
    sc_dom_init(d, domid, uuid);
    d->level = level;
}

/* End the session: keys, counters and undelivered input are wiped. */
static void session_end(struct sc_dom *d)
{
    sc_dir_wipe(&d->in);
    sc_dir_wipe(&d->out);
    sc_wipe(d->pending, sizeof(d->pending));
    d->pending_off = d->pending_len = 0;
    d->brk_pending = 0;
    d->state = SC_SESS_NONE;
    d->options = 0;
    d->close_reason = 0;
    d->quiet_ms = 0;
    d->chaff_owed = 0;
    d->live = 0;
    d->last_input_ms = 0;
    d->dropped_told = 0;
    d->slot_ms = 0;
    d->slots = 0;
}

int sc_vmm_challenge(struct sc_dom *d, const uint8_t fresh[SC_CHALLENGE_LEN],
                     uint8_t out[SC_CHALLENGE_LEN])
{
    if ( d->bound )
        return -SC_EBOUND;
    if ( !d->has_challenge )
    {
        sc_copy(d->challenge, fresh, SC_CHALLENGE_LEN);
        d->has_challenge = 1;
    }
    sc_copy(out, d->challenge, SC_CHALLENGE_LEN);
    return 0;
}

int sc_vmm_challenge_peek(const struct sc_dom *d, uint8_t out[SC_CHALLENGE_LEN])
{
    if ( !d->has_challenge )
        return -SC_EREPLAY;
    sc_copy(out, d->challenge, SC_CHALLENGE_LEN);
    return 0;
}

int sc_vmm_bind_open(const struct sc_vmm *v, const uint8_t *req, size_t len,
                     const uint8_t challenge[SC_CHALLENGE_LEN],
                     uint8_t key[SC_KEY_LEN], uint8_t uuid[SC_UUID_LEN],
                     struct sc_level *least)
{
    uint8_t id[16];
    int rc;

    rc = sc_bind_open(v->cr, req, len, v->secret, v->pub, challenge, key, uuid, id);
    if ( rc == 0 )
        sc_bind_least(req, least);
    return rc;
}

int sc_vmm_bind_commit(struct sc_dom *d, const uint8_t challenge[SC_CHALLENGE_LEN],
                       const uint8_t key[SC_KEY_LEN], const uint8_t uuid[SC_UUID_LEN],
                       const struct sc_level *least, const uint8_t instance[SC_INSTANCE_LEN],
                       int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]), void *ctx)
{
    /*
     * The request authenticated under this challenge: it is used up here,
     * whatever follows, so no request binds twice (a request for another
     * domain, refused below, uses it up too: dom0 gains nothing by that it
     * could not get by withholding the request).
     */
    if ( !d->has_challenge ||
         !sc_ct_equal(d->challenge, challenge, SC_CHALLENGE_LEN) )
        return -SC_EREPLAY;
    sc_wipe(d->challenge, SC_CHALLENGE_LEN);
    d->has_challenge = 0;

    if ( !sc_ct_equal(uuid, d->uuid, SC_UUID_LEN) )
        return -SC_EUUID;
    if ( d->bound )
        return -SC_EBOUND;
    /*
     * The user's least level: dom0 cannot bind the key to a domain the
     * host seals less well than the user accepts (an HVM guest whose device
     * model may map its memory, a host without a strict IOMMU).
     */
    if ( !sc_level_valid(&d->level, 0) || !sc_level_at_least(&d->level, least) )
        return -SC_ELEVEL;
    if ( key_binds && key_binds(ctx, key) >= SC_VMM_KEY_DOMAINS )
        return -SC_EKEYINUSE;
    session_end(d);
    sc_copy(d->key, key, SC_KEY_LEN);
    sc_copy(d->instance, instance, SC_INSTANCE_LEN);
    d->bound = 1;
    return 0;
}

int sc_vmm_bind(struct sc_vmm *v, struct sc_dom *d, const uint8_t *req, size_t len,
                const uint8_t instance[SC_INSTANCE_LEN],
                int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]), void *ctx)
{
    uint8_t key[SC_KEY_LEN], uuid[SC_UUID_LEN], chal[SC_CHALLENGE_LEN];
    struct sc_level least;
    int rc;

    rc = sc_vmm_challenge_peek(d, chal);
    if ( rc )
        return rc;
    rc = sc_vmm_bind_open(v, req, len, chal, key, uuid, &least);
    if ( rc == 0 )
        rc = sc_vmm_bind_commit(d, chal, key, uuid, &least, instance, key_binds, ctx);
    sc_wipe(key, sizeof(key));
    return rc;
}

int sc_vmm_bound(struct sc_vmm *v, const struct sc_dom *d, const uint8_t *req, size_t len,
                 uint8_t ans[SC_BOUND_LEN])
{
    struct sc_identity id;

    if ( !d->bound )
        return -SC_ENOTBOUND;
    sc_copy(id.instance, d->instance, SC_INSTANCE_LEN);
    sc_copy(id.uuid, d->uuid, SC_UUID_LEN);
    id.domid = d->domid;
    id.dropped = 0;
    id.options = 0;
    id.level = d->level;
    return sc_bound_make(v->cr, ans, req, len, d->key, v->pub, &id);
}

static const uint8_t no_uuid[SC_UUID_LEN];

void sc_vmm_open_wipe(struct sc_vmm_opening *o)
{
    sc_dir_wipe(&o->in);
    sc_dir_wipe(&o->out);
    sc_wipe(o, sizeof(*o));
}

int sc_vmm_open_prepare(const struct sc_vmm *v, const struct sc_dom *b, const uint8_t *hello,
                        size_t len, uint8_t answer[SC_ANSWER_LEN], const uint8_t eph[32],
                        uint64_t dropped, struct sc_vmm_opening *o)
{
    struct sc_identity id;
    uint16_t options;
    int rc;

    sc_wipe(o, sizeof(*o));
    if ( !b->bound )
        return -SC_ENOTBOUND;
    rc = sc_hello_check(v->cr, hello, len, b->key, v->secret, v->pub, &options);
    if ( rc )
        return rc;
    /*
     * The session is for the domain the hello names: one key may bind many
     * domains, and dom0 chooses which one a hello reaches.  A hello that
     * names none is for the key's only domain (checked at the commit).
     */
    if ( sc_ct_equal(sc_hello_uuid(hello), no_uuid, SC_UUID_LEN) )
        o->names_none = 1;
    else if ( !sc_ct_equal(sc_hello_uuid(hello), b->uuid, SC_UUID_LEN) )
        return -SC_EUUID;
    sc_copy(id.instance, b->instance, SC_INSTANCE_LEN);
    sc_copy(id.uuid, b->uuid, SC_UUID_LEN);
    id.domid = b->domid;
    id.dropped = dropped;
    /* BREAKs only where there is a UART to deliver them to (the answer's console kind says so). */
    id.options = options & sc_opts_accepted(&b->level);
    options = id.options;
    id.level = b->level;
    rc = sc_answer_make(v->cr, answer, hello, b->key, v->secret, v->pub, eph, &id,
                        &o->in, &o->out);
    if ( rc )
    {
        sc_vmm_open_wipe(o);
        return rc;
    }
    o->options = options;
    o->dropped = dropped;
    return 0;
}

int sc_vmm_open_commit(struct sc_dom *d, const struct sc_dom *b, const struct sc_crypto *cr,
                       struct sc_vmm_opening *o, uint64_t now_ms,
                       int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]), void *ctx)
{
    int rc = 0;

    if ( !d->bound || !sc_ct_equal(d->key, b->key, SC_KEY_LEN) ||
         !sc_ct_equal(d->instance, b->instance, SC_INSTANCE_LEN) )
        rc = -SC_ENOTBOUND;
    else if ( o->names_none && key_binds && key_binds(ctx, d->key) > 1 )
        rc = -SC_EGUEST;
    if ( rc )
    {
        sc_vmm_open_wipe(o);
        return rc;
    }
    session_end(d);
    d->in = o->in;
    d->out = o->out;
    d->cr = cr;
    d->options = o->options;
    d->state = SC_SESS_OPEN;
    d->last_output_ms = now_ms;
    d->last_input_ms = now_ms;
    d->dropped_told = o->dropped;
    sc_vmm_open_wipe(o);
    return 0;
}

int sc_vmm_open(struct sc_vmm *v, struct sc_dom *d, const uint8_t *hello, size_t len,
                uint8_t answer[SC_ANSWER_LEN], const uint8_t eph[32], uint64_t dropped,
                uint64_t now_ms, int (*key_binds)(void *ctx, const uint8_t key[SC_KEY_LEN]),
                void *ctx)
{
    struct sc_vmm_opening o;
    int rc;

    rc = sc_vmm_open_prepare(v, d, hello, len, answer, eph, dropped, &o);
    if ( rc == 0 )
        rc = sc_vmm_open_commit(d, d, v->cr, &o, now_ms, key_binds, ctx);
    return rc;
}

size_t sc_vmm_flush_input(struct sc_dom *d, volatile struct sc_xencons *ring)
{
    size_t n;

    if ( d->pending_len == 0 )
        return 0;
    n = sc_ring_put_in(ring, d->pending + d->pending_off, d->pending_len);
    d->pending_off += (uint32_t)n;
    d->pending_len -= (uint32_t)n;
    if ( d->pending_len == 0 )
    {
        sc_wipe(d->pending, d->pending_off);
        d->pending_off = 0;
    }
    return n;
}

int sc_vmm_break_pending(const struct sc_dom *d)
{
    return d->brk_pending && d->pending_len == 0;
}

void sc_vmm_break_taken(struct sc_dom *d)
{
    d->brk_pending = 0;
}

/* A record we could not accept ends the session; the client is told why. */
static int refuse(struct sc_dom *d, int rc)
{
    sc_wipe(d->pending, sizeof(d->pending));
    d->pending_off = d->pending_len = 0;
    d->brk_pending = 0;
    d->state = SC_SESS_CLOSING;
    d->close_reason = SC_CLOSE_PROTOCOL;
    return rc;
}

int sc_vmm_input(struct sc_dom *d, volatile struct sc_xencons *ring,
                 const uint8_t *buf, size_t len, size_t *consumed, size_t *written,
                 uint64_t now_ms)
{
    unsigned int type;
    size_t off = 0, n, flen;
    int body;
    int rc = 0;

    *consumed = 0;
    *written = 0;
    if ( d->state == SC_SESS_NONE )
        return -SC_ENOSESSION;
    *written = sc_vmm_flush_input(d, ring);
    if ( d->state != SC_SESS_OPEN )
        return -SC_ECLOSED;

    while ( d->pending_len == 0 && !d->brk_pending && len - off >= SC_FRAME_HDR )
    {
        body = sc_frame_body_len(buf + off);
        if ( body < 0 )
        {
            rc = refuse(d, -SC_EINVAL);
            break;
        }
        /* Longer than an input record may be: refused before it is decrypted. */
        if ( (size_t)body > SC_REC_MAX_IN_BODY )
        {
            rc = refuse(d, -SC_EINVAL);
            break;
        }
        flen = SC_FRAME_HDR + (size_t)body;
        if ( len - off < flen )
            break;
        rc = sc_rec_open(d->cr, &d->in, buf + off, flen, &type, d->pending, &n);
        if ( rc )
        {
            rc = refuse(d, rc);
            break;
        }
        if ( type == SC_REC_CLOSE &&
             (n != SC_CLOSE_INPUT_LEN ||
              (d->pending[0] != SC_CLOSE_EOF && d->pending[0] != SC_CLOSE_ESCAPE)) )
        {
            /* Authentic but not a client close: refused, and not counted as taken. */
            rc = refuse(d, -SC_EINVAL);
            break;
        }
        if ( type == SC_REC_BREAK && !(d->options & SC_OPT_BREAK) )
        {
            /* Not negotiated (no UART, or the client did not offer it): refused. */
            rc = refuse(d, -SC_EINVAL);
            break;
        }
        off += flen;
        /* Authentic: the client holds this session's keys, so it is live. */
        d->live = 1;
        d->last_input_ms = now_ms;
        /*
         * Every keystroke-size record of an obfuscating client (a key or
         * chaff, which dom0 cannot tell apart) earns the same answer, at
         * once, whether the guest echoes the key or not; so does all chaff.
         */
        if ( type == SC_REC_CHAFF ||
             ((type == SC_REC_DATA || type == SC_REC_BREAK) && flen == SC_KEYSTROKE_FRAME &&
              (d->options & SC_OPT_CHAFF)) )
        {
            if ( d->chaff_owed < SC_VMM_CHAFF_MAX )
                d->chaff_owed++;
            /* An input slot: small output now waits for the next one (echo hiding). */
            if ( d->options & SC_OPT_CHAFF )
            {
                d->slot_ms = now_ms;
                d->slots = 1;
            }
        }
        if ( type == SC_REC_DATA )
        {
            d->pending_off = 0;
            d->pending_len = (uint32_t)n;
            *written += sc_vmm_flush_input(d, ring);
        }
        else if ( type == SC_REC_BREAK )
            d->brk_pending = 1;     /* the loop stops until the host delivered it */
        else if ( type == SC_REC_CLOSE )
        {
            d->quiet_ms = sc_load32_be(d->pending + 1);
            sc_wipe(d->pending, n);
            d->state = SC_SESS_DRAINING;
            d->last_output_ms = now_ms;
            break;
        }
        /* SC_REC_REKEY: sc_rec_open moved to the next epoch already. */
    }
    *consumed = off;
    return rc;
}

/*
 * Issue 17.1: "quiet" means the guest had nothing to say.  The host calls
 * this whenever guest output moves or waits anywhere the engine cannot
 * see (the guest wrote into the ring, the ring holds output, records it
 * sealed are not yet taken by the relay); the engine itself counts output
 * waiting in the backlog (see sc_vmm_output).  The quiet time starts again
 * from now_ms.
 */
void sc_vmm_guest_output(struct sc_dom *d, uint64_t now_ms)
{
    if ( now_ms > d->last_output_ms )
        d->last_output_ms = now_ms;
}

/*
 * Issue 17.2: ends d's session with nobody to tell (the relay's connection
 * is gone): the session's keys, counters and pending input are wiped; the
 * binding and the host's backlog stay for the next session.  It cannot
 * fail, so no host needs a fallback that wipes the binding.
 */
void sc_vmm_abandon(struct sc_dom *d)
{
    session_end(d);
}

int sc_vmm_output_owed(const struct sc_dom *d)
{
    return d->state == SC_SESS_CLOSING || d->chaff_owed > 0;
}

int sc_vmm_live(const struct sc_dom *d)
{
    return d->state != SC_SESS_NONE && d->live;
}

/*
 * Milliseconds left before an open session times out: not live within
 * SC_VMM_LIVE_MS of the open, or no input record for SC_VMM_IDLE_MS.
 * -1 when it cannot time out now (not open, or input waits for the ring).
 */
static int64_t open_timeout_in(const struct sc_dom *d, uint64_t now_ms)
{
    uint64_t bound = d->live ? SC_VMM_IDLE_MS : SC_VMM_LIVE_MS, since;

    if ( d->state != SC_SESS_OPEN || d->pending_len || d->brk_pending )
        return -1;
    if ( now_ms < d->last_input_ms )
        return (int64_t)bound;
    since = now_ms - d->last_input_ms;
    return since >= bound ? 0 : (int64_t)(bound - since);
}

/*
 * Issue 17.3, echo hiding.  Before, a key got two output records (the
 * answer at once, then its echo about 0.4 ms later) and chaff one, so the
 * echo marked the keys.  Now, in an obfuscating session that is open and
 * getting input slots, output that fits one fixed-size record is not sent
 * on its own: it waits (at most SC_VMM_ECHO_HOLD_MS after the last slot)
 * for the next slot's answer and rides in it, padded to the fixed size.
 * Every slot thus gets exactly one fixed-size record, at once, key or
 * chaff; an echo costs up to one slot of latency.  Output too large for
 * one record is not held (it is visible by its size anyway).
 */
static int in_slots(const struct sc_dom *d, uint64_t now_ms)
{
    return (d->options & SC_OPT_CHAFF) && d->state == SC_SESS_OPEN && d->slots &&
           now_ms >= d->slot_ms && now_ms - d->slot_ms < SC_VMM_ECHO_HOLD_MS;
}

static int echo_held(const struct sc_dom *d, const struct sc_backlog *b, uint64_t now_ms)
{
    return in_slots(d, now_ms) && d->chaff_owed == 0 && b->len <= SC_KEYSTROKE_DATA;
}

int64_t sc_vmm_wake_in(const struct sc_dom *d, uint64_t now_ms)
{
    uint64_t since;
    int64_t w, h;

    if ( sc_vmm_output_owed(d) )
        return 0;
    if ( d->state == SC_SESS_OPEN )
    {
        w = open_timeout_in(d, now_ms);
        /*
         * Output held for a slot goes on its own when no slot came in time:
         * the host looks again when the hold runs out (whether anything is
         * held is the backlog's to say, which this does not see).
         */
        if ( in_slots(d, now_ms) )
        {
            h = (int64_t)(SC_VMM_ECHO_HOLD_MS - (now_ms - d->slot_ms));
            if ( w < 0 || h < w )
                w = h;
        }
        return w;
    }
    if ( d->state != SC_SESS_DRAINING || d->pending_len || d->brk_pending )
        return -1;
    since = now_ms - d->last_output_ms;
    if ( now_ms < d->last_output_ms || since >= d->quiet_ms )
        return 0;
    return (int64_t)(d->quiet_ms - since);
}

int sc_vmm_has_output(const struct sc_dom *d, const struct sc_backlog *b, uint64_t now_ms)
{
    if ( d->state == SC_SESS_NONE )
        return 0;
    if ( sc_vmm_output_owed(d) )
        return 1;
    if ( b && b->len && d->live && !echo_held(d, b, now_ms) )
        return 1;
    if ( d->state == SC_SESS_DRAINING )
        return b && b->len == 0 && sc_vmm_wake_in(d, now_ms) == 0;
    return open_timeout_in(d, now_ms) == 0;
}

void sc_vmm_close(struct sc_dom *d, unsigned int reason)
{
    if ( d->state != SC_SESS_OPEN && d->state != SC_SESS_DRAINING )
        return;
    /* The client closed already: the relay's close only says its input ended. */
    if ( d->state == SC_SESS_DRAINING && reason == SC_CLOSE_RELAY )
        return;
    d->state = SC_SESS_CLOSING;
    d->close_reason = (uint8_t)reason;
}

/* sc_rec_seal's pt_min for a record of len data bytes: an obfuscating session pads all that fit. */
static size_t rec_pad(const struct sc_dom *d, size_t len)
{
    return ((d->options & SC_OPT_CHAFF) && len <= SC_KEYSTROKE_DATA) ? SC_REC_MIN_PT : 0;
}

/* Room a record of len data bytes takes on the wire in this session. */
static size_t rec_frame_len(const struct sc_dom *d, size_t len)
{
    return SC_FRAME_HDR + (rec_pad(d, len) ? SC_REC_MIN_PT : len + SC_REC_HDR) + SC_TAG_LEN;
}

/* Before a record: move to the next epoch when the counter says so. */
static int rekey_if_due(struct sc_dom *d, uint8_t *out, size_t cap, size_t *off)
{
    int n;

    if ( d->out.counter < SC_REKEY_AFTER - 1 )
        return 0;
    n = sc_rec_seal(d->cr, &d->out, out + *off, cap - *off, SC_REC_REKEY, NULL, 0, rec_pad(d, 0));
    if ( n < 0 )
        return n;
    *off += (size_t)n;
    return 0;
}

/* Seal one output record of len bytes; data may already sit in place at out + *off + 2. */
static int seal_out(struct sc_dom *d, uint8_t *out, size_t cap, size_t *off,
                    unsigned int type, const uint8_t *data, size_t len)
{
    int n;

    n = sc_rec_seal(d->cr, &d->out, out + *off, cap - *off, type, data, len, rec_pad(d, len));
    if ( n < 0 )
        return n;
    *off += (size_t)n;
    if ( d->chaff_owed )
        d->chaff_owed--;
    return 0;
}

int sc_vmm_output(struct sc_dom *d, struct sc_backlog *b, uint8_t *out, size_t cap,
                  size_t *outlen, uint64_t now_ms)
{
    /* Headroom kept for a rekey record in front of the next record. */
    const size_t rekey_room = SC_KEYSTROKE_FRAME;
    const size_t overhead = SC_FRAME_HDR + SC_REC_HDR + SC_TAG_LEN;
    uint8_t reason, *body;
    size_t off = 0, n, room;
    int rc = 0;

    *outlen = 0;
    if ( d->state == SC_SESS_NONE )
        return -SC_ENOSESSION;
    if ( cap < SC_VMM_OUT_MIN )
        return -SC_ESPACE;

    if ( open_timeout_in(d, now_ms) == 0 )
    {
        d->state = SC_SESS_CLOSING;
        d->close_reason = SC_CLOSE_TIMEOUT;
    }
    /* The answer reported this loss; the live client has it now. */
    if ( d->live && b && d->dropped_told )
    {
        b->dropped -= d->dropped_told < b->dropped ? d->dropped_told : b->dropped;
        d->dropped_told = 0;
    }

    while ( cap - off >= rekey_room + rec_frame_len(d, 1) )
    {
        if ( d->state == SC_SESS_CLOSING )
        {
            reason = d->close_reason;
            rc = rekey_if_due(d, out, cap, &off);
            if ( rc == 0 )
                rc = seal_out(d, out, cap, &off, SC_REC_CLOSE, &reason, 1);
            if ( rc == 0 )
            {
                session_end(d);
                rc = 1;
            }
            break;
        }
        /* Small output waits for the next slot's answer (echo hiding): not sent alone. */
        if ( b && b->len && d->live && !echo_held(d, b, now_ms) )
        {
            /* As much of the backlog as one record and the space left take. */
            room = cap - off - rekey_room - overhead;
            n = b->len < room ? b->len : room;
            if ( n > SC_REC_MAX_DATA )
                n = SC_REC_MAX_DATA;
            /* A sliver at the end of a full buffer waits for the next call, unless it is all. */
            if ( n < b->len && n < 256 && off > 0 )
                break;
            rc = rekey_if_due(d, out, cap, &off);
            if ( rc )
                break;
            /* Copied straight into the record's place: no other buffer holds it. */
            body = out + off + SC_FRAME_HDR;
            n = sc_backlog_peek(b, body, n);
            rc = seal_out(d, out, cap, &off, SC_REC_DATA, body, n);
            if ( rc )
            {
                sc_wipe(body, n);
                break;
            }
            sc_backlog_drop(b, n);
            /*
             * Issue 17.1: output that waited in the backlog (dom0 not
             * reading) was not quiet; the quiet time runs from when the
             * last of it left, never from when the guest first wrote it.
             */
            if ( d->last_output_ms < now_ms )
                d->last_output_ms = now_ms;
            continue;
        }
        if ( d->chaff_owed )
        {
            rc = rekey_if_due(d, out, cap, &off);
            if ( rc == 0 )
                rc = seal_out(d, out, cap, &off, SC_REC_CHAFF, NULL, 0);
            if ( rc )
                break;
            continue;
        }
        /*
         * The quiet end: only with the backlog empty (output waiting there
         * is not quiet; without a backlog nothing says it is empty).  A
         * session that lost output since its answer (b->dropped is
         * what this session was not told of) never ends clean.
         */
        if ( d->state == SC_SESS_DRAINING && b && b->len == 0 &&
             sc_vmm_wake_in(d, now_ms) == 0 )
        {
            d->state = SC_SESS_CLOSING;
            d->close_reason = b->dropped ? SC_CLOSE_LOST : SC_CLOSE_QUIET;
            continue;
        }
        break;
    }
    *outlen = off;
    return rc;
}
