/* SPDX-License-Identifier: MIT */
/*
 * The protocol and the VMM engine in one process: binds and their rules,
 * the handshake, records through a real-layout ring, and every way a
 * record can be tampered with.  Prints "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_proto.h"
#include "sc_ring.h"
#include "sc_uart_con.h"
#include "sc_vmm.h"
#include "sccrypt_crypto.h"

static int passed, failed;
#define CHECK(cond, name) do { \
        if ( cond ) passed++; \
        else { failed++; printf("FAIL %s:%d %s\n", __FILE__, __LINE__, name); } \
    } while ( 0 )

static const struct sc_crypto *cr = &sc_core_crypto;
static uint64_t rng_state = 0x5cc0ffee12345678ULL;

static void rnd(uint8_t *p, size_t n)
{
    size_t i;

    for ( i = 0; i < n; i++ )
    {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        p[i] = (uint8_t)rng_state;
    }
}

struct world {
    struct sc_vmm vmm;
    struct sc_dom dom, other;
    struct sc_xencons ring;
    struct sc_backlog bl;
    uint8_t blbuf[8192];
    uint8_t key[32], uuid[16], hello[SC_HELLO_LEN], c[32];
    struct sc_dir cin, cout;        /* the client's view */
    uint64_t now;
};

static int other_has_key(void *ctx, const uint8_t key[32])
{
    struct world *w = ctx;

    return w->other.bound && sc_ct_equal(w->other.key, key, 32);
}

/* The host's per-key count over both domains (sc_vmm_bind, sc_vmm_open). */
static int key_binds(void *ctx, const uint8_t key[32])
{
    struct world *w = ctx;

    return (w->dom.bound && sc_ct_equal(w->dom.key, key, 32)) +
           (w->other.bound && sc_ct_equal(w->other.key, key, 32));
}

static int many_binds(void *ctx, const uint8_t key[32])
{
    (void)ctx;
    (void)key;
    return SC_VMM_KEY_DOMAINS;
}

static void world_init(struct world *w)
{
    uint8_t s[32], ouuid[16];

    memset(w, 0, sizeof(*w));
    rnd(s, 32);
    CHECK(sc_vmm_init(&w->vmm, cr, s) == 0, "vmm init");
    rnd(w->uuid, 16);
    rnd(ouuid, 16);
    sc_dom_init(&w->dom, 5, w->uuid);
    sc_dom_init(&w->other, 6, ouuid);
    sc_backlog_init(&w->bl, w->blbuf, sizeof(w->blbuf));
    rnd(w->key, 32);
    w->now = 1000;
}

/* d's current bind challenge, as the host hands it out (made when first asked). */
static int challenge(struct sc_dom *d, uint8_t ch[16])
{
    uint8_t fresh[16];

    rnd(fresh, 16);
    return sc_vmm_challenge(d, fresh, ch);
}

/* A request naming uuid sealed for d's current challenge. */
static int seal_for(struct world *w, struct sc_dom *d, const uint8_t key[32],
                    const uint8_t uuid[16], uint8_t req[SC_BIND_LEN])
{
    uint8_t e[32], ch[16];
    int rc;

    rnd(e, 32);
    rc = challenge(d, ch);          /* -SC_EBOUND for a bound domain */
    if ( rc )
        return rc;
    if ( sc_bind_seal(cr, req, key, uuid, w->vmm.pub, e, ch) )
        return -100;
    return 0;
}

static int bind(struct world *w, struct sc_dom *d, const uint8_t key[32], const uint8_t uuid[16],
                uint8_t req[SC_BIND_LEN])
{
    uint8_t inst[16];
    int rc;

    rnd(inst, 16);
    rc = seal_for(w, d, key, uuid, req);
    if ( rc )
        return rc;
    return sc_vmm_bind(&w->vmm, d, req, SC_BIND_LEN, inst, other_has_key, w);
}

/* A session with the given backlog loss in the answer; *told gets what the client read. */
static int handshake_dropped(struct world *w, uint16_t opt, uint64_t dropped, uint64_t *told)
{
    uint8_t answer[SC_ANSWER_LEN], s[32], sp[32];
    struct sc_identity id;
    struct sc_dir in2, out2;
    int rc;

    rnd(w->c, 32);
    if ( sc_hello_make(cr, w->hello, w->key, w->vmm.pub, w->c, opt) )
        return -100;
    rnd(s, 32);
    rc = sc_vmm_open(&w->vmm, &w->dom, w->hello, SC_HELLO_LEN, answer, s, dropped, w->now, NULL, NULL);
    if ( rc )
        return rc;
    rc = sc_answer_check(cr, answer, SC_ANSWER_LEN, w->hello, w->key, w->vmm.pub, w->c, &id,
                         &w->cin, &w->cout, sp);
    if ( rc )
        return rc;
    if ( told )
        *told = id.dropped;
    CHECK(id.domid == 5 && memcmp(id.uuid, w->uuid, 16) == 0 &&
          memcmp(id.instance, w->dom.instance, 16) == 0, "answer names the domain");
    /* sc-enc's side derives the same keys from S alone. */
    CHECK(sc_session_keys_client(cr, w->hello, w->key, w->vmm.pub, w->c, sp, &in2, &out2) == 0 &&
          memcmp(in2.key, w->cin.key, 32) == 0 && memcmp(out2.key, w->cout.key, 32) == 0,
          "sc-enc derives sc-dec's keys");
    CHECK(memcmp(w->cin.key, w->cout.key, 32) != 0, "input and output keys differ");
    return 0;
}

static int handshake(struct world *w, uint16_t opt)
{
    return handshake_dropped(w, opt, 0, NULL);
}

/* Guest side of the ring: take what the VMM put into in[]. */
static size_t guest_read_in(struct sc_xencons *r, uint8_t *p, size_t max)
{
    size_t n = 0;

    while ( r->in_cons != r->in_prod && n < max )
        p[n++] = (uint8_t)r->in[r->in_cons++ & (SC_RING_IN_SIZE - 1)];
    return n;
}

static void guest_write_out(struct sc_xencons *r, const uint8_t *p, size_t n)
{
    size_t i;

    for ( i = 0; i < n; i++ )
        r->out[r->out_prod++ & (SC_RING_OUT_SIZE - 1)] = (char)p[i];
}

static int client_seal(struct world *w, uint8_t *frame, unsigned type, const void *data, size_t n)
{
    return sc_rec_seal(cr, &w->cin, frame, SC_REC_MAX_FRAME, type, data, n, 0);
}

/* A fixed-size record, as an obfuscating client sends keystrokes and chaff. */
static int client_seal_fixed(struct world *w, uint8_t *frame, unsigned type, const void *data,
                             size_t n)
{
    return sc_rec_seal(cr, &w->cin, frame, SC_REC_MAX_FRAME, type, data, n, SC_REC_MIN_PT);
}

/* Wire size of an unpadded record carrying n data bytes. */
#define REC(n)  (SC_FRAME_HDR + (n) + SC_REC_HDR + SC_TAG_LEN)

/* The client's first record (chaff), as sc-enc sends it right after the handshake. */
static int go_live(struct world *w)
{
    uint8_t f[SC_REC_MAX_FRAME];
    size_t cons, wr;
    int len = client_seal(w, f, SC_REC_CHAFF, NULL, 0);

    return sc_vmm_input(&w->dom, &w->ring, f, (size_t)len, &cons, &wr, w->now);
}

static void test_bind_rules(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], req2[SC_BIND_LEN], inst[16] = { 0 }, ch[16], ch2[16];
    int i;

    world_init(&w);
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_EREPLAY,
          "no challenge fetched: refused");
    CHECK(bind(&w, &w.dom, w.key, w.uuid, req) == 0, "bind accepted");
    CHECK(w.dom.bound == 1 && !w.dom.has_challenge, "domain bound, its challenge used up");
    CHECK(challenge(&w.dom, ch) == -SC_EBOUND, "a bound domain hands out no challenge");
    /* The same request again, to the same or another domain: spent. */
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, other_has_key, &w) == -SC_EREPLAY,
          "replayed bind refused");
    CHECK(challenge(&w.other, ch) == 0 &&
          sc_vmm_bind(&w.vmm, &w.other, req, SC_BIND_LEN, inst, other_has_key, &w) == -SC_EAUTH,
          "evil twin: replayed request aimed at another domain refused (its challenge differs)");
    CHECK(w.other.bound == 0 && w.other.has_challenge, "evil twin not bound");
    /*
     * The domain re-created with the same UUID (dom0's own image): the
     * request replayed to the new instance is refused: its challenge is new.
     */
    {
        struct sc_dom again;

        sc_dom_init(&again, 7, w.uuid);
        CHECK(challenge(&again, ch) == 0 &&
              sc_vmm_bind(&w.vmm, &again, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_EAUTH &&
              !again.bound, "a request replayed after a successful bind to a re-created domain "
              "is refused");
    }
    /* A fresh request naming domain 5's UUID, aimed at domain 6: used up there. */
    CHECK(bind(&w, &w.other, w.key, w.uuid, req2) == -SC_EUUID, "request for another UUID refused");
    CHECK(!w.other.has_challenge, "... and domain 6's challenge is used up");
    /* Sent to the wrong domain, a request is not spent: its challenge is the other domain's. */
    {
        struct world w3;
        uint8_t req3[SC_BIND_LEN];

        world_init(&w3);
        CHECK(seal_for(&w3, &w3.dom, w3.key, w3.uuid, req3) == 0, "sealed");
        CHECK(challenge(&w3.other, ch) == 0 &&
              sc_vmm_bind(&w3.vmm, &w3.other, req3, SC_BIND_LEN, inst, other_has_key, &w3) ==
              -SC_EAUTH, "wrong domain id: refused");
        CHECK(w3.other.has_challenge && w3.dom.has_challenge,
              "wrong domain id: neither challenge used up");
        CHECK(sc_vmm_bind(&w3.vmm, &w3.dom, req3, SC_BIND_LEN, inst, other_has_key, &w3) == 0,
              "the same request then binds the domain it names");
    }
    /*
     * A request sealed for a challenge that a failed attempt used up is
     * refused, with the challenge fetched again or not.
     */
    {
        struct world w6;
        uint8_t ra[SC_BIND_LEN], rb[SC_BIND_LEN], e[32];

        world_init(&w6);
        CHECK(challenge(&w6.dom, ch) == 0, "challenge");
        rnd(e, 32);
        sc_bind_seal(cr, ra, w6.key, w6.other.uuid, w6.vmm.pub, e, ch);   /* wrong UUID */
        rnd(e, 32);
        sc_bind_seal(cr, rb, w6.key, w6.uuid, w6.vmm.pub, e, ch);         /* good, same challenge */
        CHECK(sc_vmm_bind(&w6.vmm, &w6.dom, ra, SC_BIND_LEN, inst, NULL, NULL) == -SC_EUUID,
              "the failed attempt");
        CHECK(sc_vmm_bind(&w6.vmm, &w6.dom, rb, SC_BIND_LEN, inst, NULL, NULL) == -SC_EREPLAY &&
              !w6.dom.bound, "a request for a used-up challenge refused (none fetched since)");
        CHECK(challenge(&w6.dom, ch2) == 0 && memcmp(ch, ch2, 16) != 0, "a new challenge");
        CHECK(sc_vmm_bind(&w6.vmm, &w6.dom, rb, SC_BIND_LEN, inst, NULL, NULL) == -SC_EAUTH &&
              !w6.dom.bound, "a request for a used-up challenge refused (a new one fetched)");
        CHECK(w6.dom.has_challenge && memcmp(w6.dom.challenge, ch2, 16) == 0,
              "a stale request uses nothing up");
        /* No table to fill: 2000 used-up attempts, then a good request binds. */
        for ( i = 0; i < 2000; i++ )
            if ( bind(&w6, &w6.dom, w6.key, w6.other.uuid, ra) != -SC_EUUID )
                break;
        CHECK(i == 2000, "2000 authentic attempts that failed, each using its challenge up");
        CHECK(bind(&w6, &w6.dom, w6.key, w6.uuid, rb) == 0,
              "after 2000 used-up bind attempts a good request still binds (no table to fill)");
    }
    /* Bound already. */
    CHECK(bind(&w, &w.dom, w.key, w.uuid, req2) == -SC_EBOUND, "second bind refused");
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req2, SC_BIND_LEN, inst, NULL, NULL) == -SC_EREPLAY &&
          w.dom.bound, "a bound domain has no challenge to bind against");
    /* One key binds many domains; each session names the one it is for. */
    {
        struct world w2;
        uint8_t hello[SC_HELLO_LEN], c[32], s[32], sp[32], answer[SC_ANSWER_LEN];
        uint8_t rq[SC_BIND_LEN], e[32], in2[16], bans[SC_BOUND_LEN];
        struct sc_identity id;
        struct sc_dir ci, co;

        world_init(&w2);
        CHECK(bind(&w2, &w2.other, w2.key, w2.other.uuid, req) == 0, "other domain bound");
        CHECK(bind(&w2, &w2.dom, w2.key, w2.uuid, req) == 0,
              "the same key binds a second domain");
        rnd(c, 32);
        rnd(s, 32);
        /* A session meant for domain 5, routed by dom0 to domain 6 (same key). */
        CHECK(sc_hello_make_for(cr, hello, w2.key, w2.vmm.pub, c, 0, w2.uuid) == 0, "hello");
        CHECK(sc_vmm_open(&w2.vmm, &w2.other, hello, SC_HELLO_LEN, answer, s, 0, w2.now,
                          key_binds, &w2) == -SC_EUUID &&
              w2.other.state == SC_SESS_NONE,
              "a hello for one domain is refused by another bound to the same key");
        CHECK(sc_vmm_open(&w2.vmm, &w2.dom, hello, SC_HELLO_LEN, answer, s, 0, w2.now,
                          key_binds, &w2) == 0, "the hello opens the domain it names");
        CHECK(sc_answer_check(cr, answer, SC_ANSWER_LEN, hello, w2.key, w2.vmm.pub, c, &id,
                              &ci, &co, sp) == 0 && memcmp(id.uuid, w2.uuid, 16) == 0,
              "the client accepts the answer of the domain it named");
        /* An authentic answer of domain 6 to a hello that named domain 5: refused by the client. */
        {
            struct world w4 = w2;

            memcpy(w4.other.uuid, w2.uuid, 16);     /* (the engine never would) */
            memcpy(w4.dom.uuid, w2.other.uuid, 16);
            CHECK(sc_vmm_open(&w4.vmm, &w4.dom, hello, SC_HELLO_LEN, answer, s, 0, w4.now,
                              NULL, NULL) == -SC_EUUID, "uuid checked against the domain");
            w4.dom.bound = 1;
            sc_hello_make_for(cr, hello, w2.key, w2.vmm.pub, c, 0, NULL);
            CHECK(sc_vmm_open(&w4.vmm, &w4.dom, hello, SC_HELLO_LEN, answer, s, 0, w4.now,
                              NULL, NULL) == 0, "a hello naming none opens with one binding");
            sc_wipe(&w4, sizeof(w4));
        }
        /* An authentic answer naming domain 6 to a hello that named domain 5: refused. */
        {
            struct sc_identity bad = { .domid = 6, .level = { 0, SC_CON_RING } };
            struct sc_dir vi, vo;

            memcpy(bad.uuid, w2.other.uuid, 16);
            sc_hello_make_for(cr, hello, w2.key, w2.vmm.pub, c, 0, w2.uuid);
            CHECK(sc_answer_make(cr, answer, hello, w2.key, w2.vmm.secret, w2.vmm.pub, s, &bad,
                                 &vi, &vo) == 0, "answer made");
            CHECK(sc_answer_check(cr, answer, SC_ANSWER_LEN, hello, w2.key, w2.vmm.pub, c, &id,
                                  &ci, &co, sp) == -SC_EUUID,
                  "the client refuses an answer for another domain than its hello named");
            sc_dir_wipe(&vi);
            sc_dir_wipe(&vo);
        }
        /* A hello naming no domain while the key binds two: refused, whichever dom0 picks. */
        CHECK(sc_hello_make_for(cr, hello, w2.key, w2.vmm.pub, c, 0, NULL) == 0, "hello");
        CHECK(sc_vmm_open(&w2.vmm, &w2.other, hello, SC_HELLO_LEN, answer, s, 0, w2.now,
                          key_binds, &w2) == -SC_EGUEST, "a hello naming none refused (two)");
        /* The per-key limit. */
        rnd(e, 32);
        rnd(in2, 16);
        {
            struct world w5;

            world_init(&w5);
            seal_for(&w5, &w5.dom, w5.key, w5.uuid, rq);
            CHECK(sc_vmm_bind(&w5.vmm, &w5.dom, rq, SC_BIND_LEN, in2, many_binds, NULL) ==
                  -SC_EKEYINUSE && !w5.dom.bound, "a key at its limit binds no more");
            /* The bind answer: names the instance, under the key, for this request only. */
            world_init(&w5);
            seal_for(&w5, &w5.dom, w5.key, w5.uuid, rq);
            CHECK(sc_vmm_bind(&w5.vmm, &w5.dom, rq, SC_BIND_LEN, in2, key_binds, &w5) == 0 &&
                  sc_vmm_bound(&w5.vmm, &w5.dom, rq, SC_BIND_LEN, bans) == 0, "bind answer");
            CHECK(sc_bound_check(cr, bans, SC_BOUND_LEN, rq, SC_BIND_LEN, w5.key, w5.vmm.pub,
                                 &id) == 0 && memcmp(id.instance, in2, 16) == 0 &&
                  memcmp(id.uuid, w5.uuid, 16) == 0 && id.domid == 5, "bind answer checks");
            CHECK(sc_bound_check(cr, bans, SC_BOUND_LEN, req, SC_BIND_LEN, w5.key, w5.vmm.pub,
                                 &id) == -SC_EAUTH, "bind answer to another request refused");
            CHECK(sc_bound_check(cr, bans, SC_BOUND_LEN, rq, SC_BIND_LEN, w2.key, w5.vmm.pub,
                                 &id) == -SC_EAUTH, "bind answer under another key refused");
            for ( i = 0; i < SC_BOUND_LEN; i++ )
            {
                bans[i] ^= 0x01;
                CHECK(sc_bound_check(cr, bans, SC_BOUND_LEN, rq, SC_BIND_LEN, w5.key,
                                     w5.vmm.pub, &id) < 0, "tampered bind answer refused");
                bans[i] ^= 0x01;
            }
        }
    }
    /* Tampered request. */
    for ( i = 0; i < SC_BIND_LEN; i += 7 )
    {
        seal_for(&w, &w.other, w.key, w.other.uuid, req2);
        req2[i] ^= 0x10;
        CHECK(sc_vmm_bind(&w.vmm, &w.other, req2, SC_BIND_LEN, inst, NULL, NULL) < 0,
              "tampered bind refused");
    }
    req2[0] = SC_PROTO_VERSION + 1;
    CHECK(sc_vmm_bind(&w.vmm, &w.other, req2, SC_BIND_LEN, inst, NULL, NULL) == -SC_EVERSION,
          "unknown version refused");
    CHECK(sc_vmm_bind(&w.vmm, &w.other, req2, SC_BIND_LEN - 1, inst, NULL, NULL) < 0,
          "short request refused");
    CHECK(!w.other.bound && w.other.has_challenge, "tampered requests use nothing up");
}

static void test_session(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], frame[4 * SC_REC_MAX_FRAME], out[8192], got[4096];
    uint8_t data[SC_REC_MAX_PT];
    size_t cons, wr, olen, n, off;
    unsigned type;
    int len, len2, rc;

    world_init(&w);
    CHECK(handshake(&w, 0) == -SC_ENOTBOUND, "hello to an unbound domain refused");
    CHECK(bind(&w, &w.dom, w.key, w.uuid, req) == 0, "bind");
    CHECK(handshake(&w, 0) == 0, "handshake");

    /* Input: two records, one frame buffer, into the ring. */
    len = client_seal(&w, frame, SC_REC_DATA, "root\n", 5);
    len2 = client_seal(&w, frame + len, SC_REC_DATA, "secret\n", 7);
    CHECK(len == REC(5) && len2 == REC(7), "a record costs what it carries, no padding");
    rc = sc_vmm_input(&w.dom, &w.ring, frame, (size_t)(len + len2), &cons, &wr, w.now);
    CHECK(rc == 0 && cons == (size_t)(len + len2) && wr == 12, "input delivered");
    n = guest_read_in(&w.ring, got, sizeof(got));
    CHECK(n == 12 && memcmp(got, "root\nsecret\n", 12) == 0, "guest reads the bytes");

    /* A partial frame is left for later. */
    len = client_seal(&w, frame, SC_REC_DATA, "x", 1);
    rc = sc_vmm_input(&w.dom, &w.ring, frame, (size_t)len - 1, &cons, &wr, w.now);
    CHECK(rc == 0 && cons == 0 && wr == 0, "incomplete frame waits");
    rc = sc_vmm_input(&w.dom, &w.ring, frame, (size_t)len, &cons, &wr, w.now);
    CHECK(rc == 0 && cons == (size_t)len && wr == 1, "completed frame delivered");
    guest_read_in(&w.ring, got, sizeof(got));

    /* Back-pressure: 6 KiB of input through the 1 KiB ring, nothing lost. */
    {
        uint8_t big[3 * SC_REC_MAX_IN_DATA], recv[3 * SC_REC_MAX_IN_DATA];
        size_t have = 0, fl = 0, recvd = 0, i;

        for ( i = 0; i < sizeof(big); i++ )
            big[i] = (uint8_t)(i * 7 + 3);
        for ( i = 0; i < 3; i++ )
            fl += (size_t)client_seal(&w, frame + fl, SC_REC_DATA, big + i * SC_REC_MAX_IN_DATA,
                                      SC_REC_MAX_IN_DATA);
        while ( recvd < sizeof(big) )
        {
            rc = sc_vmm_input(&w.dom, &w.ring, frame + have, fl - have, &cons, &wr, w.now);
            if ( rc )
                break;
            have += cons;
            recvd += guest_read_in(&w.ring, recv + recvd, sizeof(recv) - recvd);
        }
        CHECK(rc == 0 && have == fl && recvd == sizeof(big) && memcmp(big, recv, recvd) == 0,
              "back-pressure keeps every byte in order");
    }

    /* Output: guest writes, VMM seals, client opens. */
    guest_write_out(&w.ring, (const uint8_t *)"Password: ", 10);
    CHECK(sc_backlog_drain_ring(&w.bl, &w.ring) == 10, "backlog drains the ring");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == REC(10), "output sealed, no padding");
    rc = sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    CHECK(rc == 0 && type == SC_REC_DATA && n == 10 && memcmp(data, "Password: ", 10) == 0,
          "client opens output");

    /* Chaff is answered by chaff of the same size. */
    len = client_seal(&w, frame, SC_REC_CHAFF, NULL, 0);
    CHECK(len == REC(0), "chaff is type and tag only");
    rc = sc_vmm_input(&w.dom, &w.ring, frame, (size_t)len, &cons, &wr, w.now);
    CHECK(rc == 0 && wr == 0 && sc_vmm_output_owed(&w.dom), "chaff owes chaff");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == REC(0), "chaff answered");
    rc = sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    CHECK(rc == 0 && type == SC_REC_CHAFF, "answer is chaff");

    /* Rekey in both directions. */
    len = client_seal(&w, frame, SC_REC_REKEY, NULL, 0);
    len2 = client_seal(&w, frame + len, SC_REC_DATA, "k", 1);
    CHECK(w.cin.epoch == 1 && w.cin.counter == 1, "client moved to epoch 1");
    rc = sc_vmm_input(&w.dom, &w.ring, frame, (size_t)(len + len2), &cons, &wr, w.now);
    CHECK(rc == 0 && wr == 1 && w.dom.in.epoch == 1, "VMM follows the rekey");
    guest_read_in(&w.ring, got, sizeof(got));
    w.dom.out.counter = SC_REKEY_AFTER - 1;
    w.cout.counter = SC_REKEY_AFTER - 1;
    guest_write_out(&w.ring, (const uint8_t *)"z", 1);
    sc_backlog_drain_ring(&w.bl, &w.ring);
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == REC(0) + REC(1), "VMM rekeys before its counter runs out");
    rc = sc_rec_open(cr, &w.cout, out, REC(0), &type, data, &n);
    CHECK(rc == 0 && type == SC_REC_REKEY && w.cout.epoch == 1, "client follows output rekey");
    off = REC(0);
    rc = sc_rec_open(cr, &w.cout, out + off, REC(1), &type, data, &n);
    CHECK(rc == 0 && type == SC_REC_DATA && n == 1 && data[0] == 'z', "data after rekey");

    /* Client close: quiet time, then a QUIET close. */
    {
        uint8_t cl[5] = { SC_CLOSE_EOF, 0, 0, 0x01, 0xf4 };     /* 500 ms */

        len = client_seal(&w, frame, SC_REC_CLOSE, cl, 5);
        rc = sc_vmm_input(&w.dom, &w.ring, frame, (size_t)len, &cons, &wr, w.now);
        CHECK(rc == 0 && w.dom.state == SC_SESS_DRAINING, "close starts draining");
        CHECK(sc_vmm_wake_in(&w.dom, w.now + 100) == 400, "wake when quiet time is up");
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 100);
        CHECK(rc == 0 && olen == 0, "no close before the quiet time");
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 500);
        CHECK(rc == 1 && olen == REC(1), "quiet close sent");
        rc = sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
        CHECK(rc == 0 && type == SC_REC_CLOSE && n == 1 && data[0] == SC_CLOSE_QUIET,
              "client sees QUIET");
        CHECK(w.dom.state == SC_SESS_NONE, "session over");
        CHECK(sc_vmm_input(&w.dom, &w.ring, frame, (size_t)len, &cons, &wr, w.now) ==
              -SC_ENOSESSION, "input after the end refused");
    }
}

/* Each tampering of an input stream is refused and delivers nothing of the bad record. */
static void test_tamper(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], f1[SC_REC_MAX_FRAME], f2[SC_REC_MAX_FRAME];
    uint8_t both[2 * SC_REC_MAX_FRAME], out[8192], data[SC_REC_MAX_PT];
    size_t cons, wr, olen, n, i;
    unsigned type;
    int l1, l2, rc, bit, kind;

    for ( kind = 0; kind < 6; kind++ )
    {
        world_init(&w);
        bind(&w, &w.dom, w.key, w.uuid, req);
        handshake(&w, 0);
        if ( kind == 4 )
            go_live(&w);            /* else no output flows to reflect */
        l1 = client_seal(&w, f1, SC_REC_DATA, "AAAA", 4);
        l2 = client_seal(&w, f2, SC_REC_DATA, "BBBB", 4);
        switch ( kind )
        {
        case 0: /* flip a bit in the ciphertext */
            f1[10] ^= 1;
            rc = sc_vmm_input(&w.dom, &w.ring, f1, (size_t)l1, &cons, &wr, w.now);
            break;
        case 1: /* drop the first record */
            rc = sc_vmm_input(&w.dom, &w.ring, f2, (size_t)l2, &cons, &wr, w.now);
            break;
        case 2: /* reorder */
            memcpy(both, f2, (size_t)l2);
            memcpy(both + l2, f1, (size_t)l1);
            rc = sc_vmm_input(&w.dom, &w.ring, both, (size_t)(l1 + l2), &cons, &wr, w.now);
            break;
        case 3: /* duplicate */
            memcpy(both, f1, (size_t)l1);
            memcpy(both + l1, f1, (size_t)l1);
            rc = sc_vmm_input(&w.dom, &w.ring, both, (size_t)(2 * l1), &cons, &wr, w.now);
            CHECK(wr == 4, "first copy delivered once");
            wr = 0;
            break;
        case 4: /* reflect: an output record fed back as input */
            guest_write_out(&w.ring, (const uint8_t *)"echo", 4);
            sc_backlog_drain_ring(&w.bl, &w.ring);
            sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
            rc = sc_vmm_input(&w.dom, &w.ring, out, olen, &cons, &wr, w.now);
            break;
        default: /* a length that is no record */
            f1[0] = 0xff;
            rc = sc_vmm_input(&w.dom, &w.ring, f1, (size_t)l1, &cons, &wr, w.now);
            break;
        }
        CHECK(rc < 0, "tampered input refused");
        CHECK(wr == 0 && w.ring.in_prod == (kind == 3 ? 4u : 0u), "nothing of it reached the ring");
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        CHECK(rc == 1, "VMM ends the session");
        /* In the reflect case the client's output counter is behind: skip the echo. */
        if ( kind == 4 )
            continue;
        rc = sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
        CHECK(rc == 0 && type == SC_REC_CLOSE && data[0] == SC_CLOSE_PROTOCOL,
              "client told PROTOCOL");
    }

    /* Every bit of a record and of its length header: flipped, refused by the client. */
    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    handshake(&w, 0);
    l1 = sc_rec_seal(cr, &w.dom.out, f1, sizeof(f1), SC_REC_DATA, (const uint8_t *)"hello", 5, 0);
    for ( bit = 0; bit < l1 * 8; bit++ )
    {
        struct sc_dir save = w.cout;

        memcpy(f2, f1, (size_t)l1);
        f2[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        memset(data, 0x5a, (size_t)l1);
        rc = sc_rec_open(cr, &w.cout, f2, (size_t)l1, &type, data, &n);
        if ( rc == 0 || memcmp(&save, &w.cout, sizeof(save)) )
            break;
        /* The open decrypts into data: on failure nothing of the record may stay there. */
        for ( i = 0; i < (size_t)l1 && (data[i] == 0 || data[i] == 0x5a); i++ )
            ;
        if ( i < (size_t)l1 )
            break;
    }
    CHECK(bit == l1 * 8, "every single-bit flip refused, nothing left in data, state unchanged");

    /* A hello or answer replayed into a new session is useless. */
    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    {
        uint8_t ans1[SC_ANSWER_LEN], ans2[SC_ANSWER_LEN], s[32], sp[32];
        struct sc_identity id;
        struct sc_dir a, b;

        handshake(&w, 0);
        rnd(s, 32);
        CHECK(sc_vmm_open(&w.vmm, &w.dom, w.hello, SC_HELLO_LEN, ans1, s, 0, w.now, NULL, NULL) == 0,
              "replayed hello gets an answer");
        rnd(s, 32);
        CHECK(sc_vmm_open(&w.vmm, &w.dom, w.hello, SC_HELLO_LEN, ans2, s, 0, w.now, NULL, NULL) == 0 &&
              memcmp(ans1 + 20, ans2 + 20, 32) != 0, "with a new ephemeral each time");
        /* Old input records do not open under the new session. */
        l1 = client_seal(&w, f1, SC_REC_DATA, "rm -rf /\n", 9);
        rc = sc_vmm_input(&w.dom, &w.ring, f1, (size_t)l1, &cons, &wr, w.now);
        CHECK(rc == -SC_EAUTH && w.ring.in_prod == 0, "replayed input session does nothing");
        /* An answer from one session does not check under another hello. */
        {
            uint8_t c2[32], hello2[SC_HELLO_LEN];

            rnd(c2, 32);
            sc_hello_make(cr, hello2, w.key, w.vmm.pub, c2, 0);
            CHECK(sc_answer_check(cr, ans1, SC_ANSWER_LEN, hello2, w.key, w.vmm.pub, c2, &id,
                                  &a, &b, sp) == -SC_EAUTH, "replayed answer refused");
        }
        /* The wrong key: the hello is refused. */
        {
            uint8_t k2[32], hello3[SC_HELLO_LEN];

            rnd(k2, 32);
            sc_hello_make(cr, hello3, k2, w.vmm.pub, w.c, 0);
            CHECK(sc_vmm_open(&w.vmm, &w.dom, hello3, SC_HELLO_LEN, ans1, s, 0, w.now, NULL, NULL) ==
                  -SC_EAUTH, "hello under the wrong key refused");
            hello3[0] = 9;
            CHECK(sc_vmm_open(&w.vmm, &w.dom, hello3, SC_HELLO_LEN, ans1, s, 0, w.now, NULL, NULL) ==
                  -SC_EVERSION, "hello of an unknown version refused");
        }
    }
}

static void test_relay_close_and_backlog(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], out[8192], data[SC_REC_MAX_PT], big[10000];
    size_t olen, n, got = 0, off;
    unsigned type;
    int rc;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    /* 10000 bytes into an 8192-byte backlog: the oldest go, counted. */
    memset(big, 'q', sizeof(big));
    sc_backlog_push(&w.bl, big, sizeof(big));
    CHECK(w.bl.len == sizeof(w.blbuf) && w.bl.dropped == sizeof(big) - sizeof(w.blbuf),
          "full backlog drops the oldest and counts them");
    handshake(&w, 0);
    CHECK(go_live(&w) == 0, "client proves it is live");
    while ( w.bl.len )
    {
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        for ( off = 0; rc == 0 && off < olen; )
        {
            size_t fl = SC_FRAME_HDR + (size_t)sc_frame_body_len(out + off);

            if ( sc_rec_open(cr, &w.cout, out + off, fl, &type, data, &n) )
                break;
            got += n;
            off += fl;
        }
    }
    CHECK(got == sizeof(w.blbuf), "new session receives the backlog");
    sc_vmm_close(&w.dom, SC_CLOSE_RELAY);
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 1, "relay close ends the session");
    rc = sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    CHECK(rc == 0 && type == SC_REC_CLOSE && data[0] == SC_CLOSE_RELAY, "client told RELAY");
}

/* Regression: an authentic record that is no client close was counted as consumed. */
static void test_bad_client_close_not_consumed(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], f[SC_REC_MAX_FRAME], cl[5] = { SC_CLOSE_QUIET, 0, 0, 0, 0 };
    size_t cons = 99, wr = 99;
    int len, rc;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    handshake(&w, 0);
    len = client_seal(&w, f, SC_REC_CLOSE, cl, 5);
    rc = sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now);
    CHECK(rc == -SC_EINVAL && cons == 0 && wr == 0, "a client close claiming QUIET is refused, not taken");
}

/*
 * Issue 9 item 1: with obfuscation on, a keystroke record the guest does not
 * echo got no answer while chaff got one at once, so an attacker marking the
 * unanswered records found the password's keys.  Every keystroke-size input
 * record must now be answered the same way, at once.
 */
static void test_keystrokes_answered_like_chaff(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], f[SC_REC_MAX_FRAME], out[8192], data[SC_REC_MAX_PT];
    size_t cons, wr, olen, n, unanswered = 0, odd = 0;
    unsigned type;
    int i, len, rc;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, SC_OPT_CHAFF) == 0, "obfuscating session");
    /* 144 slots at a silent prompt: 12 keys (never echoed), chaff in the rest. */
    for ( i = 0; i < 144; i++ )
    {
        if ( i % 12 == 5 )
            len = client_seal_fixed(&w, f, SC_REC_DATA, "k", 1);
        else
            len = client_seal_fixed(&w, f, SC_REC_CHAFF, NULL, 0);
        rc = sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now);
        if ( rc )
            break;
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        if ( rc || olen == 0 )
        {
            unanswered++;
            continue;
        }
        if ( olen != SC_KEYSTROKE_FRAME ||
             sc_rec_open(cr, &w.cout, out, olen, &type, data, &n) || type != SC_REC_CHAFF )
            odd++;
        w.now += 20;
    }
    CHECK(i == 144, "all 144 records taken");
    CHECK(unanswered == 0, "every keystroke-size record is answered at once, key or chaff");
    CHECK(odd == 0, "every answer is one keystroke-size chaff record");
}

/*
 * Issue 9 item 4: the backlog drained into any session whose hello checked
 * out, so dom0's replayed hello swallowed it, and the loss count was reset
 * at every open.  Now only a live session gets it, and the loss is reported
 * until a live session has it.
 */
static void test_backlog_only_for_live_sessions(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], out[8192], data[SC_REC_MAX_PT], big[9000];
    size_t olen, n, off, got = 0;
    uint64_t told = 0;
    unsigned type;
    int rc;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    memset(big, 'b', sizeof(big));
    sc_backlog_push(&w.bl, big, sizeof(big));
    CHECK(w.bl.dropped == sizeof(big) - sizeof(w.blbuf), "backlog overflowed");

    /* dom0 replays a hello: the VMM answers, but nobody can go on from there. */
    CHECK(handshake_dropped(&w, 0, w.bl.dropped, &told) == 0, "replayed hello answered");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == 0, "a session not proven live gets no backlog");
    CHECK(w.bl.len == sizeof(w.blbuf) && w.bl.dropped == sizeof(big) - sizeof(w.blbuf),
          "the backlog and its loss count stay for the next session");

    /* The user's own session: told of the loss, then given the backlog once live. */
    CHECK(handshake_dropped(&w, 0, w.bl.dropped, &told) == 0, "user's session");
    CHECK(told == sizeof(big) - sizeof(w.blbuf), "the next session is told what was lost");
    CHECK(go_live(&w) == 0, "client proves it is live");
    while ( w.bl.len )
    {
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        if ( rc || olen == 0 )
            break;
        for ( off = 0; off < olen; )
        {
            size_t fl = SC_FRAME_HDR + (size_t)sc_frame_body_len(out + off);

            if ( sc_rec_open(cr, &w.cout, out + off, fl, &type, data, &n) )
                break;
            if ( type == SC_REC_DATA )
                got += n;
            off += fl;
        }
    }
    CHECK(got == sizeof(w.blbuf), "the live session gets the whole backlog");
    CHECK(w.bl.dropped == 0, "the loss count is taken once a live session had it");
}

/* Issue 9 item 6 (VMM side): a session nobody completes or keeps alive ends by itself. */
static void test_session_timeouts(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], out[8192], data[SC_REC_MAX_PT];
    size_t olen, n;
    unsigned type;
    int rc;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, 0) == 0, "session");
    CHECK(sc_vmm_wake_in(&w.dom, w.now) == SC_VMM_LIVE_MS, "wake when the handshake is due");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + SC_VMM_LIVE_MS - 1);
    CHECK(rc == 0 && olen == 0, "no timeout before the bound");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + SC_VMM_LIVE_MS);
    CHECK(rc == 1 && sc_rec_open(cr, &w.cout, out, olen, &type, data, &n) == 0 &&
          type == SC_REC_CLOSE && data[0] == SC_CLOSE_TIMEOUT,
          "a client that never completes the handshake is dropped with TIMEOUT");
    CHECK(w.dom.state == SC_SESS_NONE, "the console is free again");
    /* Issue 17 item 6: the client's silence and dom0 withholding its records look alike. */
    CHECK(strstr(sc_close_reason(SC_CLOSE_TIMEOUT), "dom0 withheld") != NULL &&
          strstr(sc_close_reason(SC_CLOSE_TIMEOUT), "cannot be told") != NULL,
          "TIMEOUT's text does not blame the client alone");

    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0, "live session");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);     /* its answer */
    rc |= sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    w.now += SC_VMM_IDLE_MS - 1;
    rc |= go_live(&w);              /* a keepalive just in time */
    rc |= sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    rc |= sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    CHECK(rc == 0 && sc_vmm_wake_in(&w.dom, w.now) == SC_VMM_IDLE_MS, "keepalive restarts the bound");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + SC_VMM_IDLE_MS);
    CHECK(rc == 1 && olen == REC(1) &&
          sc_rec_open(cr, &w.cout, out, olen, &type, data, &n) == 0 &&
          type == SC_REC_CLOSE && data[0] == SC_CLOSE_TIMEOUT,
          "a live client silent past the bound is dropped with TIMEOUT");
}

/*
 * Issue 11: the v2 record format.  Without obfuscation a record costs what
 * it carries; with it, every record that fits is one fixed size (SSH's 36
 * bytes), so an echo, chaff and a close look alike; guest output leaves in
 * records as large as the backlog allows; padding anywhere but in the fixed
 * size is refused.
 */
static void test_record_sizes(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], f[SC_REC_MAX_FRAME], out[65536], data[SC_REC_MAX_PT];
    uint8_t big[40000], pt[64], nonce[12];
    size_t cons, wr, olen, n, off, nrec = 0, got = 0, i;
    unsigned type;
    int len, rc, ok;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0, "plain session");
    len = client_seal(&w, f, SC_REC_DATA, "k", 1);
    CHECK(len == 20, "a keystroke without obfuscation is 20 bytes on the wire");
    CHECK(sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now) == 0 && wr == 1,
          "and reaches the guest");
    CHECK(sc_rec_seal(cr, &w.cin, f, sizeof(f), SC_REC_DATA, big, SC_KEYSTROKE_DATA + 1,
                      SC_REC_MIN_PT) == -SC_EINVAL, "no fixed-size record holds more than fits");

    /* Bulk: 40000 bytes of guest output leave in records of SC_REC_MAX_DATA. */
    for ( i = 0; i < sizeof(big); i++ )
        big[i] = (uint8_t)(i * 13 + 1);
    sc_backlog_push(&w.bl, big, sizeof(w.blbuf) < sizeof(big) ? sizeof(w.blbuf) : sizeof(big));
    ok = 1;
    while ( w.bl.len && ok )
    {
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        if ( rc || olen == 0 )
            break;
        for ( off = 0; off < olen; off += SC_FRAME_HDR + (size_t)sc_frame_body_len(out + off) )
        {
            if ( sc_rec_open(cr, &w.cout, out + off, SC_FRAME_HDR + (size_t)sc_frame_body_len(out + off),
                             &type, data, &n) || type != SC_REC_DATA ||
                 memcmp(data, big + got, n) )
            {
                ok = 0;
                break;
            }
            got += n;
            nrec++;
        }
    }
    CHECK(ok && got == (sizeof(w.blbuf) < sizeof(big) ? sizeof(w.blbuf) : sizeof(big)),
          "bulk output arrives whole and in order");
    CHECK(nrec == (got + SC_REC_MAX_DATA - 1) / SC_REC_MAX_DATA,
          "bulk output leaves in records of SC_REC_MAX_DATA");

    /* A small output buffer still works, in smaller records. */
    sc_backlog_push(&w.bl, big, 3000);
    rc = sc_vmm_output(&w.dom, &w.bl, out, SC_VMM_OUT_MIN, &olen, w.now);
    CHECK(rc == 0 && olen > 0 && olen <= SC_VMM_OUT_MIN && w.bl.len == 3000 - (olen - REC(0)),
          "the least capacity takes a small record");
    CHECK(sc_vmm_output(&w.dom, &w.bl, out, SC_VMM_OUT_MIN - 1, &olen, w.now) == -SC_ESPACE,
          "below the least capacity is refused");
    sc_backlog_wipe(&w.bl);
    w.cout = w.dom.out;

    /* Padding in a record that is not the fixed size: authentic, but refused. */
    memset(pt, 0, sizeof(pt));
    pt[0] = 'x';
    pt[1] = SC_REC_DATA;                /* then 30 zero bytes: 32 bytes of plaintext */
    f[0] = 0;
    f[1] = 32 + SC_TAG_LEN;
    nonce[0] = 0; nonce[1] = 0; nonce[2] = 0; nonce[3] = SC_DIR_IN;
    for ( i = 0; i < 8; i++ )
        nonce[4 + i] = (uint8_t)(w.cin.counter >> (56 - 8 * i));
    cr->seal(f + 2, f + 2 + 32, w.cin.key, nonce, f, 2, pt, 32);
    rc = sc_vmm_input(&w.dom, &w.ring, f, 2 + 32 + SC_TAG_LEN, &cons, &wr, w.now);
    CHECK(rc == -SC_EINVAL && wr == 0, "padding outside the fixed size is refused");

    /* An input record longer than SC_REC_MAX_IN_DATA is refused before it is opened. */
    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, 0) == 0, "plain session");
    len = client_seal(&w, f, SC_REC_DATA, big, SC_REC_MAX_IN_DATA + 1);
    rc = sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now);
    CHECK(rc == -SC_EINVAL && wr == 0 && cons == 0 && w.ring.in_prod == 0,
          "an input record over the limit is refused and nothing reaches the guest");

    /* Obfuscating: an echo, chaff and the close are all one fixed size. */
    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, SC_OPT_CHAFF) == 0, "obfuscating session");
    len = client_seal_fixed(&w, f, SC_REC_DATA, "k", 1);
    CHECK(len == SC_KEYSTROKE_FRAME && SC_KEYSTROKE_FRAME == 36, "a fixed record is 36 bytes");
    CHECK(sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now) == 0 && wr == 1,
          "the padded keystroke reaches the guest, padding stripped");
    CHECK(guest_read_in(&w.ring, data, sizeof(data)) == 1 && data[0] == 'k', "guest reads the key");
    guest_write_out(&w.ring, (const uint8_t *)"k", 1);
    sc_backlog_drain_ring(&w.bl, &w.ring);
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == SC_KEYSTROKE_FRAME, "the echo is the keystroke's answer: 36 bytes");
    CHECK(sc_rec_open(cr, &w.cout, out, SC_KEYSTROKE_FRAME, &type, data, &n) == 0 &&
          type == SC_REC_DATA && n == 1 && data[0] == 'k', "the echo opens to one byte");
    len = client_seal_fixed(&w, f, SC_REC_CHAFF, NULL, 0);
    rc = sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now);
    rc |= sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && len == SC_KEYSTROKE_FRAME && olen == SC_KEYSTROKE_FRAME &&
          sc_rec_open(cr, &w.cout, out, olen, &type, data, &n) == 0 && type == SC_REC_CHAFF,
          "chaff is answered by chaff, both 36 bytes");
    sc_vmm_close(&w.dom, SC_CLOSE_RELAY);
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 1 && olen == SC_KEYSTROKE_FRAME, "the close is 36 bytes too");
}


/* The client's close with quiet_ms, then the session drains. */
static int client_close(struct world *w, uint32_t quiet_ms)
{
    uint8_t f[SC_REC_MAX_FRAME], cl[5] = { SC_CLOSE_EOF };
    size_t cons, wr;
    int len;

    cl[1] = (uint8_t)(quiet_ms >> 24);
    cl[2] = (uint8_t)(quiet_ms >> 16);
    cl[3] = (uint8_t)(quiet_ms >> 8);
    cl[4] = (uint8_t)quiet_ms;
    len = client_seal(w, f, SC_REC_CLOSE, cl, 5);
    return sc_vmm_input(&w->dom, &w->ring, f, (size_t)len, &cons, &wr, w->now);
}

/* The close reason in the last record of out (olen bytes), or -1. */
static int last_close(struct world *w, const uint8_t *out, size_t olen)
{
    uint8_t data[SC_REC_MAX_PT];
    size_t off = 0, fl, n;
    unsigned type = 0;

    while ( off < olen )
    {
        fl = SC_FRAME_HDR + (size_t)sc_frame_body_len(out + off);
        if ( sc_rec_open(cr, &w->cout, out + off, fl, &type, data, &n) )
            return -2;
        off += fl;
    }
    return type == SC_REC_CLOSE ? data[0] : -1;
}

/*
 * Issue 17 item 1: the quiet time ran from the guest's last write, so output
 * that waited in the backlog while dom0 did not read made the guest look
 * quiet: the close came right behind the backlog, with the ring still full.
 * Now output waiting in the backlog is not quiet, the quiet time runs from
 * when the last of it left, and a session that lost output never ends clean.
 */
static void test_quiet_means_nothing_waiting(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], out[8192], big[6000];
    size_t olen;
    int rc, len;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0, "live session");
    memset(big, 'o', sizeof(big));
    sc_backlog_push(&w.bl, big, sizeof(big));
    sc_vmm_guest_output(&w.dom, w.now);
    CHECK(client_close(&w, 300) == 0 && w.dom.state == SC_SESS_DRAINING, "draining");
    /* dom0 reads nothing for 2 s: then a small read takes part of the backlog. */
    w.now += 2000;
    rc = sc_vmm_output(&w.dom, &w.bl, out, 1024, &olen, w.now);
    CHECK(rc == 0 && w.bl.len > 0 && last_close(&w, out, olen) == -1,
          "no close while output waits in the backlog, however long it waited");
    /* The rest in one read: no close right behind it, though 2 s passed. */
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && w.bl.len == 0 && last_close(&w, out, olen) == -1,
          "the backlog's last record is not followed by a close: it left just now");
    /* The ring's output waiting on the host's side counts too. */
    sc_vmm_guest_output(&w.dom, w.now + 200);
    CHECK(sc_vmm_wake_in(&w.dom, w.now + 200) == 300, "output waiting restarts the quiet time");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 499);
    CHECK(rc == 0 && olen == 0, "no close before the quiet time after the last output");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 500);
    CHECK(rc == 1 && last_close(&w, out, olen) == SC_CLOSE_QUIET,
          "QUIET once nothing waited for the quiet time");

    /* Without a backlog the engine cannot know it is empty: never a quiet end. */
    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0 && client_close(&w, 0) == 0, "again");
    rc = sc_vmm_output(&w.dom, NULL, out, sizeof(out), &olen, w.now + 10000);
    CHECK(rc == 0 && last_close(&w, out, olen) == -1, "no quiet end without a backlog to check");

    /* Output lost during the session (a host that let the backlog overflow). */
    sc_backlog_push(&w.bl, big, sizeof(big));
    sc_backlog_push(&w.bl, big, sizeof(big));
    CHECK(w.bl.dropped > 0, "backlog overflowed during the session");
    for ( rc = 0, len = -1; rc == 0 && len == -1; w.now += 1000 )
    {
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 10000);
        len = last_close(&w, out, olen);
    }
    CHECK(rc == 1 && len == SC_CLOSE_LOST, "a session that lost output ends with LOST, never QUIET");
}

/*
 * Issue 17 item 2: a session abandoned while draining (the relay killed in
 * the quiet wait) could not be closed by a RELAY close, and the host's
 * "cannot happen" fallback wiped the binding.  sc_vmm_abandon ends a session
 * in any state and keeps the binding; and every close the hosts seal for a
 * gone relay (TAKEOVER, GUEST_GONE) ends the session within one
 * SC_VMM_OUT_MIN output, from every state, in both record formats.
 */
static void test_abandon_keeps_binding(void)
{
    static const unsigned reasons[] = { SC_CLOSE_TAKEOVER, SC_CLOSE_GUEST_GONE,
                                        SC_CLOSE_RELAY };
    struct world w;
    uint8_t req[SC_BIND_LEN], out[SC_VMM_OUT_MIN], key[32];
    size_t olen;
    unsigned st, r, opt;
    int rc, ok = 1, len;
    uint8_t f[SC_REC_MAX_FRAME];
    size_t cons, wr;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    memcpy(key, w.dom.key, 32);
    for ( opt = 0; opt < 2; opt++ )
        for ( st = 0; st < 4; st++ )
            for ( r = 0; r < 3; r++ )
            {
                if ( handshake(&w, opt ? SC_OPT_CHAFF : 0) )
                {
                    ok = 0;
                    continue;
                }
                if ( st >= 1 )
                    go_live(&w);
                if ( st == 2 )
                    client_close(&w, 60000);        /* draining, a long quiet wait */
                if ( st == 3 )
                {
                    /* a record that fails: a PROTOCOL close is owed */
                    len = client_seal(&w, f, SC_REC_DATA, "x", 1);
                    f[len - 1] ^= 1;
                    sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now);
                }
                /* the counter about to roll over: the close needs a rekey in front */
                w.dom.out.counter = SC_REKEY_AFTER - 1;
                sc_vmm_close(&w.dom, reasons[r]);
                rc = sc_vmm_output(&w.dom, NULL, out, sizeof(out), &olen, w.now);
                if ( reasons[r] == SC_CLOSE_RELAY && st == 2 )
                {
                    /* the relay's close in DRAINING only notes its input ended */
                    ok &= rc == 0 && w.dom.state == SC_SESS_DRAINING;
                    sc_vmm_abandon(&w.dom);
                }
                else
                    ok &= rc == 1;
                ok &= w.dom.state == SC_SESS_NONE && w.dom.bound &&
                      memcmp(w.dom.key, key, 32) == 0;
            }
    CHECK(ok, "every close for a gone relay ends the session in one minimal output; "
              "a draining one is abandoned; the binding stays");

    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0 && client_close(&w, 60000) == 0,
          "draining session");
    sc_vmm_abandon(&w.dom);
    CHECK(w.dom.state == SC_SESS_NONE && w.dom.bound && memcmp(w.dom.key, key, 32) == 0 &&
          w.dom.pending_len == 0, "abandoned while draining: session gone, binding kept");
    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0, "the same key opens the next session");
    CHECK(bind(&w, &w.dom, w.key, w.uuid, req) == -SC_EBOUND, "no second bind of the domain");
}

/*
 * Issue 17 item 3: at an echoing prompt a key got two output records (the
 * answer at once, then the echo as soon as the guest printed it) and chaff
 * one.  Now, while input slots come, small output waits for the next slot's
 * answer and rides in it: every slot, key or chaff, gets exactly one record
 * of the fixed size, and a host asking in between (sc_vmm_has_output, or
 * sc_vmm_output on the guest's event) gets nothing.
 */
static void test_echo_rides_in_the_next_answer(void)
{
    struct world w;
    uint8_t req[SC_BIND_LEN], f[SC_REC_MAX_FRAME], out[8192], data[SC_REC_MAX_PT];
    uint8_t echoed[256];
    size_t cons, wr, olen, n, off, nech = 0, between = 0, odd = 0, got;
    unsigned type;
    int i, len, rc, key;

    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, SC_OPT_CHAFF) == 0 && go_live(&w) == 0, "obfuscating session");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    for ( i = 0; i < 120; i++ )
    {
        key = i % 5 == 2;
        if ( key )
            len = client_seal_fixed(&w, f, SC_REC_DATA, "k", 1);
        else
            len = client_seal_fixed(&w, f, SC_REC_CHAFF, NULL, 0);
        rc = sc_vmm_input(&w.dom, &w.ring, f, (size_t)len, &cons, &wr, w.now);
        if ( rc )
            break;
        /* The slot's answer, at once. */
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        got = 0;
        for ( off = 0; rc == 0 && off < olen; got++ )
        {
            size_t fl = SC_FRAME_HDR + (size_t)sc_frame_body_len(out + off);

            if ( fl != SC_KEYSTROKE_FRAME || sc_rec_open(cr, &w.cout, out + off, fl, &type,
                                                         data, &n) )
                odd++;
            else if ( type == SC_REC_DATA && nech + n <= sizeof(echoed) )
            {
                memcpy(echoed + nech, data, n);
                nech += n;
            }
            off += fl;
        }
        if ( got != 1 )
            odd++;
        /* The guest echoes the key a moment later; the host looks for news. */
        if ( key )
        {
            n = guest_read_in(&w.ring, data, sizeof(data));
            guest_write_out(&w.ring, data, n);
            sc_backlog_drain_ring(&w.bl, &w.ring);
            sc_vmm_guest_output(&w.dom, w.now + 1);
        }
        if ( sc_vmm_has_output(&w.dom, &w.bl, w.now + 1) )
            between++;
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 1);
        if ( rc || olen )
            between++;
        w.now += 20;
    }
    CHECK(i == 120 && odd == 0, "every slot, key or chaff, gets exactly one fixed-size record");
    CHECK(between == 0, "nothing is sent, or signalled, between slots");
    CHECK(nech == 24 && memcmp(echoed, "kkkkkkkkkkkkkkkkkkkkkkkk", 24) == 0,
          "every echo arrives, each in the next slot's answer");

    /* The client's chaff stops: output held for a slot goes on its own. */
    guest_write_out(&w.ring, (const uint8_t *)"late", 4);
    sc_backlog_drain_ring(&w.bl, &w.ring);
    /* A host that asks only when told (no sc_vmm_output since) still wakes in time. */
    CHECK(!sc_vmm_has_output(&w.dom, &w.bl, w.now) &&
          sc_vmm_wake_in(&w.dom, w.now) == SC_VMM_ECHO_HOLD_MS - 20,
          "held output is no news, and the host's timer covers the hold");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == 0, "small output waits for a slot");
    CHECK(sc_vmm_wake_in(&w.dom, w.now) == SC_VMM_ECHO_HOLD_MS - 20,
          "the host is woken when the hold runs out");
    w.now += SC_VMM_ECHO_HOLD_MS;
    CHECK(sc_vmm_has_output(&w.dom, &w.bl, w.now), "past the hold it is news");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == SC_KEYSTROKE_FRAME &&
          sc_rec_open(cr, &w.cout, out, olen, &type, data, &n) == 0 && type == SC_REC_DATA &&
          n == 4 && memcmp(data, "late", 4) == 0, "and goes on its own, fixed size");

    /* Output too large for one record is never held. */
    rc = sc_vmm_input(&w.dom, &w.ring, f, (size_t)client_seal_fixed(&w, f, SC_REC_CHAFF, NULL, 0),
                      &cons, &wr, w.now);
    rc |= sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    rc |= sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    memset(data, 'L', 100);
    guest_write_out(&w.ring, data, 100);
    sc_backlog_drain_ring(&w.bl, &w.ring);
    rc |= sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now + 1);
    CHECK(rc == 0 && olen == REC(100), "bulk output flows at once");

    /* Without obfuscation nothing is held: an echo goes at once. */
    world_init(&w);
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake(&w, 0) == 0 && go_live(&w) == 0, "plain session");
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    sc_rec_open(cr, &w.cout, out, olen, &type, data, &n);
    guest_write_out(&w.ring, (const uint8_t *)"e", 1);
    sc_backlog_drain_ring(&w.bl, &w.ring);
    rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
    CHECK(rc == 0 && olen == REC(1), "an echo goes at once without obfuscation");
}

/*
 * The split handshake (a host that runs the X25519s outside its lock): the
 * answer made for one binding starts no session on a domain bound anew
 * meanwhile, and one made for the current binding does.
 */
static void test_open_split(void)
{
    struct world w;
    struct sc_dom b;
    struct sc_vmm_opening o;
    uint8_t req[SC_BIND_LEN], answer[SC_ANSWER_LEN], s[32], c[32], hello[SC_HELLO_LEN];
    uint8_t key2[32];

    world_init(&w);
    CHECK(bind(&w, &w.dom, w.key, w.uuid, req) == 0, "bound");
    rnd(c, 32);
    rnd(s, 32);
    CHECK(sc_hello_make(cr, hello, w.key, w.vmm.pub, c, 0) == 0, "hello");
    b = w.dom;
    CHECK(sc_vmm_open_prepare(&w.vmm, &b, hello, SC_HELLO_LEN, answer, s, 0, &o) == 0,
          "prepared outside the lock");
    /* Meanwhile the domain died and a new one with its id and UUID was bound to another key. */
    sc_dom_init(&w.dom, 5, w.uuid);
    rnd(key2, 32);
    CHECK(bind(&w, &w.dom, key2, w.uuid, req) == 0, "the new domain bound to another key");
    CHECK(sc_vmm_open_commit(&w.dom, &b, w.vmm.cr, &o, w.now, NULL, NULL) == -SC_ENOTBOUND &&
          w.dom.state == SC_SESS_NONE, "a prepared session is refused once the binding changed");
    /* The same key bound again: a new instance, still refused. */
    sc_dom_init(&w.dom, 5, w.uuid);
    CHECK(bind(&w, &w.dom, w.key, w.uuid, req) == 0, "bound again, same key");
    CHECK(sc_vmm_open_prepare(&w.vmm, &b, hello, SC_HELLO_LEN, answer, s, 0, &o) == 0 &&
          sc_vmm_open_commit(&w.dom, &b, w.vmm.cr, &o, w.now, NULL, NULL) == -SC_ENOTBOUND,
          "a prepared session is refused on another instance of the same key's binding");
    b = w.dom;
    CHECK(sc_vmm_open_prepare(&w.vmm, &b, hello, SC_HELLO_LEN, answer, s, 0, &o) == 0 &&
          sc_vmm_open_commit(&w.dom, &b, w.vmm.cr, &o, w.now, NULL, NULL) == 0 &&
          w.dom.state == SC_SESS_OPEN, "prepared and committed on the same binding: open");
    sc_wipe(&b, sizeof(b));
}

/* A session on w.dom whose answer's options (what the VMM accepted) go to *acc. */
static int handshake_opts(struct world *w, uint16_t opt, uint16_t *acc)
{
    uint8_t answer[SC_ANSWER_LEN], s[32], sp[32];
    struct sc_identity id;
    int rc;

    rnd(w->c, 32);
    if ( sc_hello_make(cr, w->hello, w->key, w->vmm.pub, w->c, opt) )
        return -100;
    rnd(s, 32);
    rc = sc_vmm_open(&w->vmm, &w->dom, w->hello, SC_HELLO_LEN, answer, s, 0, w->now, NULL, NULL);
    if ( rc )
        return rc;
    rc = sc_answer_check(cr, answer, SC_ANSWER_LEN, w->hello, w->key, w->vmm.pub, w->c, &id,
                         &w->cin, &w->cout, sp);
    *acc = id.options;
    return rc;
}

/* The one close record in out: its reason, or -1. */
static int close_reason_in(struct world *w, const uint8_t *out, size_t olen)
{
    uint8_t data[SC_REC_MAX_PT];
    size_t off = 0, n, fl;
    unsigned type;
    int reason = -1;

    while ( off + 2 <= olen )
    {
        fl = 2 + (((size_t)out[off] << 8) | out[off + 1]);
        if ( sc_rec_open(cr, &w->cout, out + off, fl, &type, data, &n) )
            return -2;
        if ( type == SC_REC_CLOSE && n == 1 )
            reason = data[0];
        off += fl;
    }
    return reason;
}

/*
 * Issue 15: a BREAK record (SC_OPT_BREAK) for a UART console.  It is
 * accepted only when the VMM's console is a UART and the hello offered it
 * (the answer says which), delivered in order through sc_uart_con, and
 * otherwise ends the session like any bad record.
 */
static void test_break(void)
{
    static struct world w;
    static struct sc_uart_con con;
    uint8_t req[SC_BIND_LEN], buf[4 * SC_REC_MAX_FRAME], out[8192], answer[SC_ANSWER_LEN];
    uint8_t got[8], lsr, s[32];
    size_t cons, wr, olen, off, total, ng = 0;
    struct sc_identity id;
    struct sc_dir a, b;
    uint16_t acc = 0xffff;
    int rc, len, i, bi_at = -1, kind;

    /* A UART console: the offer is accepted and echoed. */
    world_init(&w);
    w.dom.level.console = SC_CON_UART;
    bind(&w, &w.dom, w.key, w.uuid, req);
    CHECK(handshake_opts(&w, SC_OPT_BREAK | SC_OPT_CHAFF, &acc) == 0 &&
          acc == (SC_OPT_BREAK | SC_OPT_CHAFF), "a UART console accepts SC_OPT_BREAK and says so");
    CHECK(w.dom.level.console == SC_CON_UART, "the bind keeps the console kind");
    sc_uart_con_init(&con);
    /* The guest starts its UART as Linux does: FIFO on (trigger 8), interrupts. */
    sc_uart_con_io(&con, 3, 1, 0x03);
    sc_uart_con_io(&con, 2, 1, 0x81);
    sc_uart_con_io(&con, 1, 1, SC_UART_IER_RDI | SC_UART_IER_RLSI);
    off = 0;
    off += (size_t)client_seal(&w, buf + off, SC_REC_DATA, "ab", 2);
    off += (size_t)client_seal(&w, buf + off, SC_REC_BREAK, NULL, 0);
    off += (size_t)client_seal(&w, buf + off, SC_REC_DATA, "cd", 2);
    len = (int)off;
    rc = sc_vmm_input(&w.dom, &con.ring, buf, (size_t)len, &cons, &wr, w.now);
    CHECK(rc == 0 && wr == 2 && cons == (size_t)(REC(2) + REC(0)),
          "input stops after a BREAK, the data before it in the ring");
    CHECK(sc_vmm_break_pending(&w.dom), "the BREAK waits for the host");
    total = cons;
    rc = sc_vmm_input(&w.dom, &con.ring, buf + total, (size_t)len - total, &cons, &wr, w.now);
    CHECK(rc == 0 && cons == 0 && wr == 0, "nothing after the BREAK is taken before it is delivered");
    CHECK(sc_vmm_wake_in(&w.dom, w.now) == -1 &&
          !sc_vmm_has_output(&w.dom, &w.bl, w.now + 2 * SC_VMM_IDLE_MS),
          "a BREAK waiting for the guest stops the idle timeout, as pending input does");
    CHECK(sc_uart_con_break(&con) == 0, "the glue queues it behind the ring's bytes");
    sc_vmm_break_taken(&w.dom);
    CHECK(!sc_vmm_break_pending(&w.dom), "taken");
    rc = sc_vmm_input(&w.dom, &con.ring, buf + total, (size_t)len - total, &cons, &wr, w.now);
    CHECK(rc == 0 && wr == 2 && total + cons == (size_t)len, "the data after it follows");
    sc_uart_con_kick(&con);
    for ( i = 0; i < 16 && ng < sizeof(got); i++ )
    {
        lsr = sc_uart_con_io(&con, 5, 0, 0);
        if ( !(lsr & SC_UART_LSR_DR) )
            break;
        if ( lsr & SC_UART_LSR_BI )
            bi_at = (int)ng;
        got[ng++] = sc_uart_con_io(&con, 0, 0, 0);
    }
    CHECK(ng == 5 && memcmp(got, "ab\0cd", 5) == 0 && bi_at == 2,
          "the guest reads a, b, the BREAK (LSR.BI, a zero byte), c, d");

    /* In an obfuscating session a fixed-size BREAK earns its answer, as a key does. */
    w.dom.chaff_owed = 0;
    len = client_seal_fixed(&w, buf, SC_REC_BREAK, NULL, 0);
    rc = sc_vmm_input(&w.dom, &con.ring, buf, (size_t)len, &cons, &wr, w.now);
    CHECK(rc == 0 && w.dom.chaff_owed == 1 && sc_vmm_break_pending(&w.dom),
          "a keystroke-size BREAK is answered like a keystroke");
    sc_vmm_break_taken(&w.dom);

    for ( kind = 0; kind < 3; kind++ )
    {
        /* 0: a PV ring console; 1: a UART, but the client did not offer it; 2: forged. */
        world_init(&w);
        w.dom.level.console = kind != 0 ? SC_CON_UART : SC_CON_RING;
        bind(&w, &w.dom, w.key, w.uuid, req);
        CHECK(handshake_opts(&w, kind == 1 ? 0 : SC_OPT_BREAK, &acc) == 0 &&
              acc == (kind == 2 ? SC_OPT_BREAK : 0),
              kind == 0 ? "a ring console does not accept SC_OPT_BREAK" :
                          kind == 1 ? "nothing is accepted that was not offered" :
                                      "the UART session accepts it");
        go_live(&w);
        off = 0;
        off += (size_t)client_seal(&w, buf + off, SC_REC_DATA, "ab", 2);
        i = client_seal(&w, buf + off, SC_REC_BREAK, NULL, 0);
        if ( kind == 2 )
            buf[off + 3] ^= 0x40;   /* dom0 flips a bit of the BREAK record */
        off += (size_t)i;
        off += (size_t)client_seal(&w, buf + off, SC_REC_DATA, "cd", 2);
        memset(&w.ring, 0, sizeof(w.ring));
        rc = sc_vmm_input(&w.dom, &w.ring, buf, off, &cons, &wr, w.now);
        CHECK(rc == (kind == 2 ? -SC_EAUTH : -SC_EINVAL) && cons == (size_t)REC(2) && wr == 2 &&
              !sc_vmm_break_pending(&w.dom),
              kind == 2 ? "a forged BREAK is refused and nothing after it is taken" :
                          "an unnegotiated BREAK is refused and nothing after it is taken");
        CHECK(w.ring.in_prod == 2 && memcmp((const char *)w.ring.in, "ab", 2) == 0,
              "only the data before it reached the guest");
        rc = sc_vmm_output(&w.dom, &w.bl, out, sizeof(out), &olen, w.now);
        CHECK(rc == 1 && close_reason_in(&w, out, olen) == SC_CLOSE_PROTOCOL,
              "the session ends with SC_CLOSE_PROTOCOL");
    }

    /* The accepted options: the VMM cannot claim what was not offered; the client derives them. */
    world_init(&w);
    w.dom.level.console = SC_CON_UART;
    bind(&w, &w.dom, w.key, w.uuid, req);
    rnd(w.c, 32);
    sc_hello_make(cr, w.hello, w.key, w.vmm.pub, w.c, 0);
    memset(&id, 0, sizeof(id));
    id.options = SC_OPT_BREAK;
    id.level = w.dom.level;
    rnd(s, 32);
    CHECK(sc_answer_make(cr, answer, w.hello, w.key, w.vmm.secret, w.vmm.pub, s, &id, &a, &b) ==
          -SC_EINVAL, "an answer cannot accept an option the hello did not offer");
    sc_hello_make(cr, w.hello, w.key, w.vmm.pub, w.c, SC_OPT_BREAK);
    CHECK(sc_vmm_open(&w.vmm, &w.dom, w.hello, SC_HELLO_LEN, answer, s, 0, w.now, NULL, NULL) == 0,
          "open");
    CHECK(answer[3] == SC_CON_UART, "the answer's header names the UART console");
    answer[3] = SC_CON_RING;
    CHECK(sc_answer_check(cr, answer, SC_ANSWER_LEN, w.hello, w.key, w.vmm.pub, w.c, &id, &a, &b,
                          s) == -SC_EAUTH, "dom0 cannot hide the accepted BREAK (the console kind is authenticated)");
    answer[3] = SC_CON_UART;
    CHECK(sc_answer_check(cr, answer, SC_ANSWER_LEN, w.hello, w.key, w.vmm.pub, w.c, &id, &a, &b,
                          s) == 0 && id.options == SC_OPT_BREAK, "the client derives the accepted BREAK");
    sc_dir_wipe(&a);
    sc_dir_wipe(&b);
}

/*
 * Issue 15.4, the seal level.  A bind request names the least level the
 * user accepts; the engine binds only when the host's level (d->level) is
 * at least that, and the answer vouches for the host's level under the
 * session's authentication.
 */
static void test_seal_levels(void)
{
    static const struct sc_level strongest = { SC_LEVEL_DMA | SC_LEVEL_SEALED, SC_CON_ANY };
    static const struct sc_level sealed_uart = { SC_LEVEL_SEALED, SC_CON_UART };
    static const struct sc_level host_weak = { SC_LEVEL_SEALED, SC_CON_RING };
    static const struct sc_level host_hvm = { 0, SC_CON_UART };
    static const struct sc_level bad_flags = { 0x80, SC_CON_RING };
    static const struct sc_level bad_any = { 0, SC_CON_ANY };
    struct world w;
    struct sc_level l;
    struct sc_identity id;
    struct sc_dir ci, co;
    uint8_t req[SC_BIND_LEN], e[32], ch[16], inst[16], answer[SC_ANSWER_LEN], s[32], sp[32];
    uint8_t bans[SC_BOUND_LEN];

    /* The ordering: flags are strengths, console kinds are not ordered. */
    CHECK(sc_level_at_least(&strongest, &host_weak) == 0 &&
          sc_level_at_least(&host_weak, &strongest) == 0, "kinds and flags compare as documented");
    l.flags = SC_LEVEL_DMA | SC_LEVEL_SEALED;
    l.console = SC_CON_UART;
    CHECK(sc_level_at_least(&l, &strongest) && sc_level_at_least(&l, &sealed_uart) &&
          !sc_level_at_least(&host_weak, &sealed_uart) && sc_level_at_least(&host_weak, &bad_any),
          "a level is at least every level with fewer flags and any or the same kind");
    CHECK(sc_level_valid(&bad_flags, 1) == 0 && sc_level_valid(&bad_any, 0) == 0 &&
          sc_level_valid(&bad_any, 1) == 1, "unknown flags are invalid; any kind only as least");

    world_init(&w);
    CHECK(w.dom.level.flags == 0 && w.dom.level.console == SC_CON_RING,
          "a new domain's level is the weakest until the host says otherwise");
    CHECK(sc_dom_set_level(&w.dom, &bad_flags) == -SC_EINVAL &&
          sc_dom_set_level(&w.dom, &bad_any) == -SC_EINVAL && w.dom.level.flags == 0,
          "the host cannot set an invalid level");
    CHECK(sc_dom_set_level(&w.dom, &host_weak) == 0, "host level set");

    /* The request requires the strongest; the host has no strict IOMMU: refused. */
    rnd(e, 32);
    rnd(inst, 16);
    CHECK(challenge(&w.dom, ch) == 0 &&
          sc_bind_seal_level(cr, req, w.key, w.uuid, w.vmm.pub, e, ch, &strongest) == 0,
          "a request for the strongest level");
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_ELEVEL,
          "a bind whose host level is below the request's least level is refused");
    CHECK(!w.dom.bound && !w.dom.has_challenge,
          "nothing is bound, and the challenge is used up (a new request is needed)");
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_EREPLAY,
          "the refused request cannot be retried after dom0 changes the host's level");
    /* A console kind the user asked for that the host does not offer: refused too. */
    CHECK(challenge(&w.dom, ch) == 0 &&
          sc_bind_seal_level(cr, req, w.key, w.uuid, w.vmm.pub, e, ch, &sealed_uart) == 0 &&
          sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_ELEVEL &&
          !w.dom.bound, "a bind requiring the UART on a PV ring host is refused");
    /* dom0 lowering the least level in the request: fails authentication. */
    CHECK(challenge(&w.dom, ch) == 0 &&
          sc_bind_seal_level(cr, req, w.key, w.uuid, w.vmm.pub, e, ch, &strongest) == 0,
          "request");
    req[2] = 0;
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_EAUTH &&
          !w.dom.bound, "a request whose least level dom0 lowered fails authentication");
    /* An unknown flag in a request: malformed, before any crypto. */
    req[2] = 0x80;
    CHECK(sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == -SC_EINVAL,
          "a request with an unknown level flag is malformed");

    /* A request the host meets: bound, and the bind answer carries the level. */
    l.flags = SC_LEVEL_SEALED;
    l.console = SC_CON_ANY;
    CHECK(challenge(&w.dom, ch) == 0 &&
          sc_bind_seal_level(cr, req, w.key, w.uuid, w.vmm.pub, e, ch, &l) == 0 &&
          sc_vmm_bind(&w.vmm, &w.dom, req, SC_BIND_LEN, inst, NULL, NULL) == 0 && w.dom.bound,
          "a bind whose host level meets the least level succeeds");
    CHECK(sc_vmm_bound(&w.vmm, &w.dom, req, SC_BIND_LEN, bans) == 0 &&
          sc_bound_check(cr, bans, SC_BOUND_LEN, req, SC_BIND_LEN, w.key, w.vmm.pub, &id) == 0 &&
          id.level.flags == SC_LEVEL_SEALED && id.level.console == SC_CON_RING,
          "the bind answer vouches for the host's level");
    bans[2] ^= SC_LEVEL_DMA;
    CHECK(sc_bound_check(cr, bans, SC_BOUND_LEN, req, SC_BIND_LEN, w.key, w.vmm.pub, &id) ==
          -SC_EAUTH, "a level dom0 raised in the bind answer fails authentication");

    /* The answer: the host's level at the open, authenticated. */
    CHECK(sc_dom_set_level(&w.dom, &host_hvm) == 0, "host level set");
    rnd(w.c, 32);
    rnd(s, 32);
    CHECK(sc_hello_make(cr, w.hello, w.key, w.vmm.pub, w.c, 0) == 0 &&
          sc_vmm_open(&w.vmm, &w.dom, w.hello, SC_HELLO_LEN, answer, s, 0, w.now, NULL, NULL) == 0,
          "open");
    CHECK(answer[2] == 0 && answer[3] == SC_CON_UART, "the level is in the answer's header");
    CHECK(sc_answer_check(cr, answer, SC_ANSWER_LEN, w.hello, w.key, w.vmm.pub, w.c, &id, &ci,
                          &co, sp) == 0 && id.level.flags == 0 && id.level.console == SC_CON_UART,
          "the client reads the host's level from an authentic answer");
    {
        static const uint8_t flips[][2] = {
            { 2, SC_LEVEL_DMA }, { 2, SC_LEVEL_SEALED }, { 2, SC_LEVEL_DMA | SC_LEVEL_SEALED },
            { 3, 3 }, { 2, 0x80 }, { 3, 0xff },
        };
        size_t i;
        int all = 1;

        for ( i = 0; i < sizeof(flips) / sizeof(flips[0]); i++ )
        {
            answer[flips[i][0]] ^= flips[i][1];
            if ( sc_answer_check(cr, answer, SC_ANSWER_LEN, w.hello, w.key, w.vmm.pub, w.c, &id,
                                 &ci, &co, sp) != -SC_EAUTH )
                all = 0;
            answer[flips[i][0]] ^= flips[i][1];
        }
        CHECK(all, "every level dom0 writes into the answer (stronger, other kind, unknown) "
              "fails authentication");
    }
    /* The version byte: an answer or hello of another version is a version error. */
    answer[0] = 3;
    CHECK(sc_answer_check(cr, answer, SC_ANSWER_LEN, w.hello, w.key, w.vmm.pub, w.c, &id, &ci,
                          &co, sp) == -SC_EVERSION, "an answer of version 3 is a version error");
    w.hello[0] = 3;
    CHECK(sc_vmm_open(&w.vmm, &w.dom, w.hello, SC_HELLO_LEN, answer, s, 0, w.now, NULL, NULL) ==
          -SC_EVERSION, "a hello of version 3 is a version error");
    sc_dir_wipe(&ci);
    sc_dir_wipe(&co);
}

int main(void)
{
    test_seal_levels();
    test_bind_rules();
    test_open_split();
    test_session();
    test_tamper();
    test_record_sizes();
    test_relay_close_and_backlog();
    test_bad_client_close_not_consumed();
    test_keystrokes_answered_like_chaff();
    test_backlog_only_for_live_sessions();
    test_session_timeouts();
    test_quiet_means_nothing_waiting();
    test_abandon_keeps_binding();
    test_echo_rides_in_the_next_answer();
    test_break();
    printf("sizeof(struct sc_dom) = %zu bytes, sizeof(struct sc_vmm) = %zu bytes\n",
           sizeof(struct sc_dom), sizeof(struct sc_vmm));
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
