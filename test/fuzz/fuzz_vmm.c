/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the VMM engine (src/core/vmm.c) on the bytes dom0
 * controls.  The first byte picks what the rest is:
 *   0  a bind request for an unbound domain
 *   1  a hello for a bound domain
 *   2  the raw input stream of an open session, cut into calls as the rest
 *      of the bytes say, with output, guest and time steps between
 *   3  a program of steps on an open session whose records are sealed with
 *      the client's real keys (so the fuzzer gets past authentication):
 *      data, chaff, rekey, client close, a raw frame, guest output, guest
 *      reads, time passing, output, relay close, a second hello
 * After every step the engine's invariants are checked (abort on breach).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sc_proto.h"
#include "sc_ring.h"
#include "sc_vmm.h"
#include "sccrypt_crypto.h"

static const struct sc_crypto *cr = &sc_core_crypto;

static struct sc_vmm vmm0;
static struct sc_dom unbound0, bound0, open0;
static struct sc_dir cin0, cout0;
static uint8_t key[SC_KEY_LEN], hello0[SC_HELLO_LEN], c0[32];
static int ready;

static void setup(void)
{
    uint8_t s[32], uuid[SC_UUID_LEN], inst[SC_INSTANCE_LEN], req[SC_BIND_LEN], e[32];
    uint8_t answer[SC_ANSWER_LEN], sp[SC_PUB_LEN], ch[SC_CHALLENGE_LEN];
    struct sc_identity id;
    int i;

    for ( i = 0; i < 32; i++ )
    {
        s[i] = (uint8_t)(i * 7 + 1);
        key[i] = (uint8_t)(i * 13 + 5);
        e[i] = (uint8_t)(i * 3 + 9);
        c0[i] = (uint8_t)(i * 11 + 2);
    }
    memset(uuid, 0x5a, sizeof(uuid));
    memset(inst, 0xa5, sizeof(inst));
    if ( sc_vmm_init(&vmm0, cr, s) )
        abort();
    sc_dom_init(&unbound0, 5, uuid);
    memset(ch, 0x3c, sizeof(ch));
    if ( sc_vmm_challenge(&unbound0, ch, ch) )
        abort();
    bound0 = unbound0;
    if ( sc_bind_seal(cr, req, key, uuid, vmm0.pub, e, ch) ||
         sc_vmm_bind(&vmm0, &bound0, req, sizeof(req), inst, NULL, NULL) )
        abort();
    open0 = bound0;
    if ( sc_hello_make(cr, hello0, key, vmm0.pub, c0, SC_OPT_CHAFF) )
        abort();
    memset(e, 0x77, sizeof(e));
    if ( sc_vmm_open(&vmm0, &open0, hello0, sizeof(hello0), answer, e, 3, 1000, NULL, NULL) ||
         sc_answer_check(cr, answer, sizeof(answer), hello0, key, vmm0.pub, c0, &id, &cin0,
                         &cout0, sp) )
        abort();
    ready = 1;
}

static void check(const struct sc_dom *d, const struct sc_backlog *b)
{
    if ( d->state > SC_SESS_CLOSING || d->chaff_owed > SC_VMM_CHAFF_MAX ||
         d->pending_len > sizeof(d->pending) ||
         d->pending_off + d->pending_len > sizeof(d->pending) ||
         d->close_reason > SC_CLOSE_MAX || b->len > b->cap )
        abort();
    if ( d->state == SC_SESS_NONE && (d->live || d->pending_len || d->chaff_owed) )
        abort();
}

/* The client's view of the output: every record must open, in order. */
static void client_read(struct sc_dir *out, const uint8_t *p, size_t len, int *ended)
{
    uint8_t data[SC_REC_MAX_PT];
    unsigned int type;
    size_t off = 0, n, fl;
    int body;

    while ( off < len )
    {
        if ( len - off < SC_FRAME_HDR || (body = sc_frame_body_len(p + off)) < 0 )
            abort();
        fl = SC_FRAME_HDR + (size_t)body;
        if ( fl > len - off || sc_rec_open(cr, out, p + off, fl, &type, data, &n) )
            abort();
        if ( type == SC_REC_CLOSE )
            *ended = 1;
        off += fl;
    }
}

struct world {
    struct sc_vmm vmm;
    struct sc_dom d;
    struct sc_dir cin, cout;
    struct sc_xencons ring;
    struct sc_backlog bl;
    uint8_t blbuf[4096];
    uint64_t now;
    int ended;
};

static struct world W;
static uint8_t out[4 * SC_REC_MAX_FRAME];

static void world_open(void)
{
    memcpy(&W.vmm, &vmm0, sizeof(W.vmm));
    W.d = open0;
    W.cin = cin0;
    W.cout = cout0;
    memset(&W.ring, 0, sizeof(W.ring));
    sc_backlog_init(&W.bl, W.blbuf, sizeof(W.blbuf));
    W.bl.dropped = 3;
    W.now = 1000;
    W.ended = 0;
}

static void do_output(void)
{
    size_t olen;
    int rc;

    rc = sc_vmm_output(&W.d, &W.bl, out, sizeof(out), &olen, W.now);
    if ( rc < 0 && rc != -SC_ENOSESSION )
        abort();
    if ( olen > sizeof(out) || (rc == -SC_ENOSESSION && olen) )
        abort();
    if ( !W.ended )
        client_read(&W.cout, out, olen, &W.ended);
    if ( rc == 1 && (!W.ended || W.d.state != SC_SESS_NONE) )
        abort();
    check(&W.d, &W.bl);
}

static void guest_write(const uint8_t *p, size_t n)
{
    size_t i;

    for ( i = 0; i < n; i++ )
        W.ring.out[W.ring.out_prod++ & (SC_RING_OUT_SIZE - 1)] = (char)p[i];
    sc_backlog_drain_ring(&W.bl, &W.ring);
    if ( n )
        sc_vmm_guest_output(&W.d, W.now);
}

static void guest_read(size_t n)
{
    while ( n-- && W.ring.in_cons != W.ring.in_prod )
        W.ring.in_cons++;
    sc_vmm_flush_input(&W.d, &W.ring);
}

static void feed(const uint8_t *p, size_t n)
{
    size_t cons, wr;
    int rc;

    rc = sc_vmm_input(&W.d, &W.ring, p, n, &cons, &wr, W.now);
    if ( cons > n || (rc && rc != -SC_EAUTH && rc != -SC_EINVAL && rc != -SC_ECLOSED &&
                      rc != -SC_ENOSESSION) )
        abort();
    check(&W.d, &W.bl);
}

static void run_raw(const uint8_t *p, size_t n)
{
    size_t off = 0, step;

    world_open();
    while ( off < n )
    {
        step = 1 + p[off] % 97;
        off++;
        if ( step > n - off )
            step = n - off;
        feed(p + off, step);
        off += step;
        guest_read(512);
        guest_write(p, off % 7);
        W.now += off % 50;
        do_output();
    }
    sc_vmm_close(&W.d, SC_CLOSE_RELAY);
    do_output();
}

static void run_program(const uint8_t *p, size_t n)
{
    uint8_t f[SC_REC_MAX_FRAME], d[SC_REC_MAX_PT], cl[SC_CLOSE_INPUT_LEN], ans[SC_ANSWER_LEN];
    uint8_t e[32];
    size_t off = 0, len;
    unsigned int op;
    int fl;

    world_open();
    while ( off + 2 <= n )
    {
        op = p[off] % 12;
        len = p[off + 1];
        off += 2;
        if ( len > n - off )
            len = n - off;
        memset(d, 0, sizeof(d));
        memcpy(d, p + off, len);
        switch ( op )
        {
        case 0: case 1:             /* data: keystroke size or bulk (up to 4 x len) */
            fl = sc_rec_seal(cr, &W.cin, f, sizeof(f), SC_REC_DATA, d,
                             op ? (len * 4 > SC_REC_MAX_IN_DATA ? SC_REC_MAX_IN_DATA : len * 4)
                                : (len % (SC_KEYSTROKE_DATA + 1)), op ? 0 : SC_REC_MIN_PT);
            if ( fl > 0 )
                feed(f, (size_t)fl);
            break;
        case 2:
            fl = sc_rec_seal(cr, &W.cin, f, sizeof(f), SC_REC_CHAFF, NULL, 0, SC_REC_MIN_PT);
            if ( fl > 0 )
                feed(f, (size_t)fl);
            break;
        case 3:
            fl = sc_rec_seal(cr, &W.cin, f, sizeof(f), SC_REC_REKEY, NULL, 0, 0);
            if ( fl > 0 )
                feed(f, (size_t)fl);
            break;
        case 4:                     /* a close: EOF, ESCAPE, or something the VMM must refuse */
            memcpy(cl, d, sizeof(cl));
            fl = sc_rec_seal(cr, &W.cin, f, sizeof(f), SC_REC_CLOSE, cl,
                             len < sizeof(cl) ? len : sizeof(cl), SC_REC_MIN_PT);
            if ( fl > 0 )
                feed(f, (size_t)fl);
            break;
        case 5:                     /* raw bytes from dom0 */
            feed(d, len);
            break;
        case 6:
            guest_write(d, len);
            break;
        case 7:
            guest_read(len * 8);
            break;
        case 8:                     /* guest run time passes */
            W.now += (uint64_t)len * len * 8;
            break;
        case 9:
            do_output();
            break;
        case 10:
            sc_vmm_close(&W.d, d[0] % (SC_CLOSE_MAX + 1));
            check(&W.d, &W.bl);
            break;
        default:                    /* a replayed hello, or a forged one */
            memset(e, d[0], sizeof(e));
            if ( len )
                (void)sc_vmm_open(&W.vmm, &W.d, d, len, ans, e, W.bl.dropped, W.now, NULL, NULL);
            else if ( sc_vmm_open(&W.vmm, &W.d, hello0, sizeof(hello0), ans, e, W.bl.dropped,
                                  W.now, NULL, NULL) == 0 )
                W.ended = 1;        /* a session nobody here can follow */
            check(&W.d, &W.bl);
            break;
        }
        off += len;
        if ( off < n && p[off - 1] & 1 )
            do_output();
    }
    do_output();
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
    uint8_t ans[SC_ANSWER_LEN], inst[SC_INSTANCE_LEN], e[32];

    if ( !ready )
        setup();
    if ( n < 1 )
        return 0;
    switch ( p[0] % 4 )
    {
    case 0:
        memcpy(&W.vmm, &vmm0, sizeof(W.vmm));
        W.d = unbound0;
        memset(inst, 1, sizeof(inst));
        if ( sc_vmm_bind(&W.vmm, &W.d, p + 1, n - 1, inst, NULL, NULL) == 0 &&
             !W.d.bound )
            abort();
        break;
    case 1:
        memcpy(&W.vmm, &vmm0, sizeof(W.vmm));
        W.d = bound0;
        memset(e, 2, sizeof(e));
        if ( sc_vmm_open(&W.vmm, &W.d, p + 1, n - 1, ans, e, 0, 1, NULL, NULL) == 0 &&
             W.d.state != SC_SESS_OPEN )
            abort();
        break;
    case 2:
        run_raw(p + 1, n - 1);
        break;
    default:
        run_program(p + 1, n - 1);
        break;
    }
    return 0;
}
