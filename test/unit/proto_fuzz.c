/* SPDX-License-Identifier: MIT */
/*
 * Hostile-input fuzzing of the VMM side: "never trust dom0's bytes" and "a
 * hostile guest index must not make the VMM read or write outside the
 * ring" (sccrypt(7), STYLE.md), plus the client's parsers of what the VMM
 * sends.
 *
 * A deterministic mutation fuzzer.  Every iteration draws its own generator
 * from (seed, iteration), so a failure is replayed alone with -s SEED -i N.
 * An iteration takes valid messages of a real session (bind request, hello,
 * answer, record streams both ways), mutates them (bit flips, byte sets,
 * truncation, extension, length headers, splices with another session's or
 * the other direction's stream, dropped/duplicated/swapped frames, records
 * that authenticate but break the format, random bytes) and feeds them, in
 * exact-size heap buffers so that ASan sees any over-read, to sc_vmm_bind,
 * sc_vmm_open, sc_vmm_input, sc_vmm_flush_input, sc_vmm_output,
 * sc_vmm_close, sc_answer_check and sc_rec_open.  It checks:
 *
 *  - input that differs from the valid stream is refused, or delivers
 *    exactly the data of the valid records before the first changed byte
 *    (the ring's in[] and in_prod are compared byte for byte with a shadow
 *    copy after every call, so nothing of an unauthenticated record, and
 *    nothing anywhere else, reaches the ring);
 *  - *consumed never exceeds len and covers whole frames only;
 *  - every output is a run of well-formed frames the client opens, its
 *    data exactly what the guest wrote, a close only last;
 *  - the session state is always one of SC_SESS_*;
 *  - after a refusal the engine emits exactly one CLOSE PROTOCOL, then
 *    -SC_ENOSESSION, with keys and pending input wiped;
 *  - a refused bind, hello, answer or record leaves its outputs and the
 *    state untouched (a refused answer leaves no key behind);
 *  - a hostile guest (wild in_cons, in_prod, out_cons, out_prod) makes the
 *    ring code touch nothing outside the ring (the ring, the domain and the
 *    caller's buffers sit between canaries) and the counts stay in bounds.
 *
 * The VMM side runs on the core's crypto, the client side on OpenSSL's, as
 * in the real tools.
 *
 * usage: proto_fuzz [-s SEED] [-n ITERATIONS] [-t SECONDS] [-i ITERATION]
 *                   [-c stream|bind|hello|answer|record|ring] [-x]
 * -x plants a fault in the oracle, to show that a broken invariant fails.
 * Prints "N passed, N failed"; exits 1 when anything failed, 2 on usage.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ossl_crypto.h"
#include "sc_proto.h"
#include "sc_ring.h"
#include "sc_vmm.h"
#include "sccrypt_crypto.h"

#define NELEM(a)        (sizeof(a) / sizeof((a)[0]))
#define DEFAULT_SEED    0x5cc0f022a11ceULL
#define DEFAULT_ITERS   1000000UL
#define DEFAULT_SECONDS 20.0

static const struct sc_crypto *const vcr = &sc_core_crypto;    /* the VMM's */
static const struct sc_crypto *const ccr = &sc_ossl_crypto;    /* the client's */

/* ---- the generator: splitmix64, one per iteration ---- */

static uint64_t rs;

static uint64_t r64(void)
{
    uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rn(size_t n)
{
    return n ? (size_t)(r64() % n) : 0;
}

static int chance(unsigned pct)
{
    return rn(100) < pct;
}

static void rfill(uint8_t *p, size_t n)
{
    size_t i;

    for ( i = 0; i < n; i++ )
        p[i] = (uint8_t)r64();
}

/* ---- reporting ---- */

static uint64_t seed;
static unsigned long iter;
static const char *cur_case = "setup";
static char what[160];
static unsigned long passed, failed, printed;
static int fault;                   /* -x */
static uint64_t digest = 0xcbf29ce484222325ULL;

static void mix(uint64_t v)
{
    digest = (digest ^ v) * 0x100000001b3ULL;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    size_t n = strlen(what);
    va_list ap;

    if ( n + 2 >= sizeof(what) )
        return;
    if ( n )
        what[n++] = ' ';
    va_start(ap, fmt);
    vsnprintf(what + n, sizeof(what) - n, fmt, ap);
    va_end(ap);
}

static void fail_at(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_at(int line, const char *fmt, ...)
{
    va_list ap;

    if ( printed++ >= 20 )
        return;
    printf("FAIL proto_fuzz.c:%d seed=0x%" PRIx64 " iter=%lu case=%s [%s]: ", line, seed, iter,
           cur_case, what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n  replay: proto_fuzz -s 0x%" PRIx64 " -i %lu%s\n", seed, iter, fault ? " -x" : "");
}

/* Every check returns from the iteration: the first broken invariant is the one to see. */
#define EXPECT(c, ...) do { \
        if ( !(c) ) \
        { \
            fail_at(__LINE__, __VA_ARGS__); \
            return -1; \
        } \
    } while ( 0 )

static void die(const char *m)
{
    printf("proto_fuzz: setup failed: %s\n", m);
    printf("%lu passed, %lu failed\n", passed, failed + 1);
    exit(1);
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put_be16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int all_byte(const void *p, int b, size_t n)
{
    const uint8_t *q = p;
    size_t i;

    for ( i = 0; i < n; i++ )
        if ( q[i] != (uint8_t)b )
            return 0;
    return 1;
}

/* sc_rec_open decrypts into its data buffer and wipes what it must not leave: only b or 0 remain. */
static int only_byte_or_zero(const void *p, int b, size_t n)
{
    const uint8_t *q = p;
    size_t i;

    for ( i = 0; i < n; i++ )
        if ( q[i] != (uint8_t)b && q[i] != 0 )
            return 0;
    return 1;
}

static int is_refusal(int rc)
{
    return rc == -SC_EINVAL || rc == -SC_EVERSION || rc == -SC_EAUTH;
}

/* Bytes dom0 sent, in a heap block of exactly their size. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);

    if ( b == NULL )
        die("out of memory");
    if ( n )
        memcpy(b, p, n);
    return b;
}

/* ---- worlds: a VMM, a bound domain with an open session, the client ---- */

#define NWORLD 4

struct world {
    struct sc_vmm vmm;
    struct sc_dom dom;
    struct sc_dir cin, cout;            /* the client's ends */
    uint8_t key[32], uuid[16], c[32], hello[SC_HELLO_LEN], answer[SC_ANSWER_LEN];
    uint8_t c2[32], hello2[SC_HELLO_LEN];       /* a second valid hello, other options */
    uint8_t hello_x[SC_HELLO_LEN];              /* authentic, unknown option bit */
    uint8_t answer2[SC_ANSWER_LEN];             /* a second valid answer to hello */
    uint8_t in2key[32], out2key[32];            /* the keys answer2 gives */
    uint8_t in0key[32], out0key[32];            /* the keys answer gives */
    uint16_t opt;
};

static struct world W[NWORLD];

/* The hello's tag made from the spec (sccrypt(7) HANDSHAKE) with the client's primitives. */
static void raw_hello(uint8_t h[SC_HELLO_LEN], const uint8_t key[32], const uint8_t vpub[32],
                      const uint8_t c[32], unsigned options)
{
    static const char label[] = "sccrypt v2 hello";
    static const uint8_t z12[12];
    uint8_t dh1[32], ikm[64], info[64], kh[32];

    h[0] = SC_PROTO_VERSION;
    h[1] = SC_KIND_HELLO;
    put_be16(h + 2, options);
    ccr->x25519_base(h + 4, c);
    if ( ccr->x25519(dh1, c, vpub) )
        die("x25519");
    memcpy(ikm, key, 32);
    memcpy(ikm + 32, dh1, 32);
    memcpy(info, vpub, 32);
    memcpy(info + 32, h + 4, 32);
    memset(h + 36, 0, 16);                      /* v3: the domain's UUID; none named */
    if ( ccr->hkdf(kh, 32, (const uint8_t *)label, sizeof(label) - 1, ikm, 64, info, 64) )
        die("hkdf");
    ccr->seal(h + 52, h + 52, kh, z12, h, 52, NULL, 0);
}

/* A bind request from the spec (sccrypt(7) BIND REQUEST) with any header bytes. */
static void raw_bind(uint8_t r[SC_BIND_LEN], const uint8_t key[32], const uint8_t uuid[16],
                     const uint8_t vpub[32], const uint8_t e[32], const uint8_t hdr[4],
                     const uint8_t chal[16])
{
    static const char label[] = "sccrypt v2 bind";
    static const uint8_t z12[12];
    uint8_t dh[32], info[64], kb[32], pt[48], ad[52];

    memcpy(r, hdr, 4);
    ccr->x25519_base(r + 4, e);
    if ( ccr->x25519(dh, e, vpub) )
        die("x25519");
    memcpy(info, r + 4, 32);
    memcpy(info + 32, vpub, 32);
    if ( ccr->hkdf(kb, 32, (const uint8_t *)label, sizeof(label) - 1, dh, 32, info, 64) )
        die("hkdf");
    memcpy(pt, key, 32);
    memcpy(pt + 32, uuid, 16);
    memcpy(ad, r, 36);
    memcpy(ad + 36, chal, 16);
    ccr->seal(r + 36, r + 84, kb, z12, ad, 52, pt, 48);
}

static void build_world(struct world *w, int idx)
{
    uint8_t s[32], e[32], inst[16], req[SC_BIND_LEN], sp[32], ch[16], cur[16];
    struct sc_identity id;
    struct sc_dir a, b;

    memset(w, 0, sizeof(*w));
    rfill(s, 32);
    if ( sc_vmm_init(&w->vmm, vcr, s) )
        die("sc_vmm_init");
    rfill(w->uuid, 16);
    sc_dom_init(&w->dom, 10 + (uint32_t)idx, w->uuid);
    rfill(w->key, 32);
    rfill(e, 32);
    rfill(inst, 16);
    rfill(ch, 16);
    if ( sc_vmm_challenge(&w->dom, ch, cur) ||
         sc_bind_seal(ccr, req, w->key, w->uuid, w->vmm.pub, e, cur) ||
         sc_vmm_bind(&w->vmm, &w->dom, req, sizeof(req), inst, NULL, NULL) )
        die("bind");
    w->opt = (idx & 1) ? SC_OPT_CHAFF : 0;
    rfill(w->c, 32);
    if ( sc_hello_make(ccr, w->hello, w->key, w->vmm.pub, w->c, w->opt) )
        die("hello");
    raw_hello(w->hello_x, w->key, w->vmm.pub, w->c, w->opt);
    if ( memcmp(w->hello_x, w->hello, SC_HELLO_LEN) )
        die("the hello made from the spec differs from sc_hello_make's");
    raw_hello(w->hello_x, w->key, w->vmm.pub, w->c, 1u << (2 + idx * 4));   /* 0x0004 up: unknown */
    rfill(w->c2, 32);
    if ( sc_hello_make(ccr, w->hello2, w->key, w->vmm.pub, w->c2, w->opt ^ SC_OPT_CHAFF) )
        die("hello2");
    rfill(s, 32);
    if ( sc_vmm_open(&w->vmm, &w->dom, w->hello, SC_HELLO_LEN, w->answer2, s, 7, 1000, NULL, NULL) ||
         sc_answer_check(ccr, w->answer2, SC_ANSWER_LEN, w->hello, w->key, w->vmm.pub, w->c,
                         &id, &a, &b, sp) )
        die("answer2");
    memcpy(w->in2key, a.key, 32);
    memcpy(w->out2key, b.key, 32);
    rfill(s, 32);
    if ( sc_vmm_open(&w->vmm, &w->dom, w->hello, SC_HELLO_LEN, w->answer, s, 0, 1000, NULL, NULL) ||
         sc_answer_check(ccr, w->answer, SC_ANSWER_LEN, w->hello, w->key, w->vmm.pub, w->c,
                         &id, &w->cin, &w->cout, sp) )
        die("answer");
    memcpy(w->in0key, w->cin.key, 32);
    memcpy(w->out0key, w->cout.key, 32);
    if ( memcmp(w->dom.in.key, w->cin.key, 32) || memcmp(w->dom.out.key, w->cout.key, 32) )
        die("the client and the VMM derived different keys");
    if ( idx == 2 )
    {
        /* Counters at the edge: both directions cross a rekey within a few records. */
        w->dom.in.counter = w->cin.counter = SC_REKEY_AFTER - 3;
        w->dom.out.counter = w->cout.counter = SC_REKEY_AFTER - 2;
    }
    if ( idx == 3 )
    {
        /* The last epoch but one: one more rekey, then none. */
        w->dom.in.epoch = w->cin.epoch = UINT32_MAX - 1;
        w->dom.out.epoch = w->cout.epoch = UINT32_MAX - 1;
    }
    passed++;
}

/* ---- record streams ---- */

#define MAXF    96                  /* a chaff storm; other streams hold at most 16 */
#define MAXM    (3 * MAXF * SC_REC_MAX_FRAME + 8192)

struct stream {
    size_t len;
    int nf;
    size_t end[MAXF + 1];           /* end[j]: the byte after frame j (end[0] = 0) */
    size_t dl[MAXF + 1];            /* DATA bytes in frames 1..j */
    unsigned nchaff[MAXF + 1];      /* CHAFF records in frames 1..j, and keystroke-size DATA */
                                    /* records (an obfuscating session answers those too) */
    int close_at;                   /* the CLOSE frame (1-based), 0: none */
    uint32_t quiet;
    uint8_t type[MAXF];
    size_t roff[MAXF], rlen[MAXF];  /* every record's data in rdata */
    struct sc_dir st[MAXF + 1];     /* the sender before frame j + 1 */
    uint8_t buf[MAXF * SC_REC_MAX_FRAME];
    uint8_t data[MAXF * SC_REC_MAX_DATA];
    uint8_t rdata[MAXF * SC_REC_MAX_DATA];
};

/* A data length for a record; max is SC_REC_MAX_DATA for output, SC_REC_MAX_IN_DATA for input. */
static size_t pick_len(size_t max)
{
    switch ( rn(11) )
    {
    case 0: return 0;
    case 1: return 1;
    case 2: return 1 + rn(29);
    case 3: return SC_KEYSTROKE_DATA;
    case 4: return SC_KEYSTROKE_DATA + 1;
    case 5: return 1 + rn(200);
    case 6: return 1 + rn(max);
    case 7: return max;
    case 8: return max - 1;
    case 9: return rn(64);
    default: return 3 + rn(60);
    }
}

static uint32_t pick_quiet(void)
{
    switch ( rn(6) )
    {
    case 0: return 0;
    case 1: return (uint32_t)rn(100);
    case 2: return (uint32_t)rn(3000);
    case 3: return UINT32_MAX;
    case 4: return (uint32_t)r64();
    default: return 1000;
    }
}

/*
 * A valid stream as a sender makes it: for input (the client) DATA, CHAFF,
 * REKEY and perhaps a final CLOSE EOF/ESCAPE; for output (the VMM) the
 * same with any VMM close reason.  The sender rekeys before its counter
 * runs out; a seal the sender refuses (the last epoch) ends the stream.
 */
static void gen_stream(struct stream *s, const struct sc_crypto *cr, const struct sc_dir *start,
                       int nmax, int output)
{
    static const uint8_t vmm_reasons[] = { SC_CLOSE_QUIET, SC_CLOSE_RELAY, SC_CLOSE_GUEST_GONE,
                                           SC_CLOSE_TAKEOVER, SC_CLOSE_PROTOCOL };
    struct sc_dir d = *start;
    uint8_t buf[SC_REC_MAX_DATA];
    size_t n = 0, roff = 0;
    unsigned type;
    int f, len, storm = 0;

    /* Sometimes a chaff storm: more chaff than the VMM will ever owe. */
    if ( nmax > 16 )
    {
        storm = 1;
        nmax = SC_VMM_CHAFF_MAX + 1 + (int)rn(MAXF - SC_VMM_CHAFF_MAX);
    }

    s->len = 0;
    s->nf = 0;
    s->end[0] = s->dl[0] = 0;
    s->nchaff[0] = 0;
    s->close_at = 0;
    s->quiet = 0;
    for ( f = 0; f < nmax; f++ )
    {
        s->st[f] = d;
        if ( d.counter >= SC_REKEY_AFTER - 1 )
            type = SC_REC_REKEY;
        else if ( f == nmax - 1 && chance(30) )
            type = SC_REC_CLOSE;
        else if ( storm )
            type = chance(95) ? SC_REC_CHAFF : SC_REC_DATA;
        else
        {
            size_t r = rn(100);

            type = r < 65 ? SC_REC_DATA : r < 88 ? SC_REC_CHAFF : SC_REC_REKEY;
        }
        switch ( type )
        {
        case SC_REC_DATA:
            n = storm ? rn(SC_KEYSTROKE_DATA + 1) :
                    pick_len(output ? SC_REC_MAX_DATA : SC_REC_MAX_IN_DATA);
            rfill(buf, n);
            break;
        case SC_REC_CLOSE:
            if ( output )
            {
                n = 1;
                buf[0] = vmm_reasons[rn(sizeof(vmm_reasons))];
            }
            else
            {
                n = SC_CLOSE_INPUT_LEN;
                buf[0] = chance(50) ? SC_CLOSE_EOF : SC_CLOSE_ESCAPE;
                s->quiet = pick_quiet();
                put_be32(buf + 1, s->quiet);
            }
            break;
        default:
            n = 0;
        }
        len = sc_rec_seal(cr, &d, s->buf + s->len, sizeof(s->buf) - s->len, type, buf, n,
                          (n <= SC_KEYSTROKE_DATA && chance(50)) ? SC_REC_MIN_PT : 0);
        if ( len < 0 )
            break;
        s->type[f] = (uint8_t)type;
        memcpy(s->rdata + roff, buf, n);
        s->roff[f] = roff;
        s->rlen[f] = n;
        roff += n;
        s->len += (size_t)len;
        s->end[f + 1] = s->len;
        s->dl[f + 1] = s->dl[f];
        s->nchaff[f + 1] = s->nchaff[f] + (type == SC_REC_CHAFF ||
                                           (type == SC_REC_DATA && len == SC_KEYSTROKE_FRAME));
        if ( type == SC_REC_DATA )
        {
            memcpy(s->data + s->dl[f], buf, n);
            s->dl[f + 1] += n;
        }
        s->nf = f + 1;
        if ( type == SC_REC_CLOSE )
        {
            s->close_at = f + 1;
            break;
        }
    }
    s->st[s->nf] = d;
}

/* One record sealed by hand (RFC 8439 with the spec's nonce), so it can break the format. */
static size_t raw_seal(const struct sc_dir *d, uint8_t *frame, const uint8_t *pt, size_t ptlen)
{
    uint8_t nonce[12];

    put_be16(frame, (unsigned)(ptlen + SC_TAG_LEN));
    put_be32(nonce, d->dir);
    put_be32(nonce + 4, (uint32_t)(d->counter >> 32));
    put_be32(nonce + 8, (uint32_t)d->counter);
    ccr->seal(frame + 2, frame + 2 + ptlen, d->key, nonce, frame, 2, pt, ptlen);
    return SC_FRAME_HDR + ptlen + SC_TAG_LEN;
}

/*
 * A record that authenticates under d but that a receiver must refuse:
 * every format rule of sccrypt(7) RECORDS broken in turn, and for input
 * the close rules the VMM adds.
 */
static int k_close;                 /* bad_record made a CLOSE with bad contents */

static size_t bad_record(uint8_t *frame, const struct sc_dir *d, int input)
{
    static const uint8_t bad_types[] = { SC_REC_MAX_TYPE + 1, SC_REC_MAX_TYPE + 2, 0x7f, 0x80, 0xff };
    static const uint8_t bad_reasons[] = { SC_CLOSE_QUIET, SC_CLOSE_RELAY, SC_CLOSE_GUEST_GONE,
                                           SC_CLOSE_TAKEOVER, SC_CLOSE_PROTOCOL, 7, 0xff };
    static const size_t bad_close_len[] = { 0, 1, 2, 4, 6, 29 };
    uint8_t pt[SC_REC_MAX_PT];
    size_t ptlen, n = 0, k;
    int fixed = chance(50);

    /* v2 plaintext: data | type | zero padding, padded only to the fixed size. */
    memset(pt, 0, sizeof(pt));
    k = rn(input ? 8 : 6);
    k_close = k >= 6;
    if ( k == 5 && d->epoch != UINT32_MAX )
        k = 0;
    switch ( k )
    {
    case 0:
        note("bad-type");
        n = rn(SC_KEYSTROKE_DATA + 1);
        rfill(pt, n);
        pt[n] = bad_types[rn(sizeof(bad_types))];
        ptlen = fixed ? SC_REC_MIN_PT : n + 1;
        break;
    case 1:
        note("chaff/rekey/break-with-data");
        n = 1 + rn(SC_KEYSTROKE_DATA);
        rfill(pt, n);
        pt[n] = chance(40) ? SC_REC_CHAFF : chance(50) ? SC_REC_REKEY : SC_REC_BREAK;
        ptlen = fixed ? SC_REC_MIN_PT : n + 1;
        break;
    case 2:
        note("no-type");
        /* All zero (fixed size), or data ending in 0 where the type should be. */
        ptlen = fixed ? SC_REC_MIN_PT : 1 + rn(40);
        if ( !fixed )
            rfill(pt, ptlen - 1);
        break;
    case 3:
    case 4:
        note(k == 3 ? "padding-outside-the-fixed-size" : "padding-beyond-the-fixed-size");
        do
            ptlen = k == 3 ? 2 + rn(SC_REC_MIN_PT + 8) :
                             SC_REC_MIN_PT + 1 + rn(SC_REC_MAX_PT - SC_REC_MIN_PT);
        while ( ptlen == SC_REC_MIN_PT );
        if ( chance(80) )
        {
            n = rn(ptlen - 1);
            rfill(pt, n);
            pt[n] = SC_REC_DATA;
        }
        else
            pt[0] = SC_REC_CHAFF;
        break;
    case 5:
        note("rekey-past-the-last-epoch");
        pt[0] = SC_REC_REKEY;
        ptlen = fixed ? SC_REC_MIN_PT : 1;
        break;
    case 6:
        note("close-wrong-length");
        n = bad_close_len[rn(NELEM(bad_close_len))];
        rfill(pt, n);
        if ( n )
            pt[0] = SC_CLOSE_EOF;
        pt[n] = SC_REC_CLOSE;
        ptlen = (fixed && n <= SC_KEYSTROKE_DATA) ? SC_REC_MIN_PT : n + 1;
        break;
    default:
        note("close-reason-not-the-client's");
        n = SC_CLOSE_INPUT_LEN;
        rfill(pt, n);
        pt[0] = bad_reasons[rn(sizeof(bad_reasons))];
        pt[n] = SC_REC_CLOSE;
        ptlen = fixed ? SC_REC_MIN_PT : n + 1;
        break;
    }
    return raw_seal(d, frame, pt, ptlen);
}

/* ---- mutations of a stream: M starts as a copy of the valid stream G ---- */

static struct {
    unsigned long cases[6];
    unsigned long refused_auth, refused_inval, incomplete, all_delivered, quiet_closes,
                  relay_closes, proto_closes, bad_records, close_counted, out_rekeys, ring_broken,
                  ring_full, bind_ok, hello_ok, answer_ok, unknown_opt;
} stat;

static uint8_t M[MAXM];
static size_t mlen;
/*
 * The length of an authentic CLOSE record with bad contents inserted into
 * M, else 0.  sc_vmm_input counts such a refused frame in *consumed, where
 * it counts no refused forged or malformed frame.  Harmless (the session
 * ends either way), so tolerated: either count passes.
 */
static size_t bad_close_len;
static struct stream G, S2;

static void m_insert(size_t at, const uint8_t *p, size_t n)
{
    if ( mlen + n > MAXM )
        n = MAXM - mlen;
    memmove(M + at + n, M + at, mlen - at);
    memcpy(M + at, p, n);
    mlen += n;
}

static void m_delete(size_t at, size_t n)
{
    memmove(M + at, M + at + n, mlen - at - n);
    mlen -= n;
}

/* A cut point: often a frame boundary of G, or one byte either side. */
static size_t cut(size_t max)
{
    size_t c;

    if ( G.nf && chance(60) )
    {
        c = G.end[rn((size_t)G.nf + 1)];
        if ( chance(30) )
            c = chance(50) ? c + 1 : c - (c > 0);
    }
    else
        c = rn(max + 1);
    return c > max ? max : c;
}

static void mutate_bytes(int frame_kind)
{
    static const uint16_t hdrs[] = { 0, 1, 47, 48, 49, 1042, 1043, 1044, 0x7fff, 0xffff };
    size_t i, k, j, a, b, n;
    uint8_t tmp[3 * SC_REC_MAX_FRAME];

    switch ( rn(frame_kind ? 10 : 6) )
    {
    case 0:
        k = 1 + rn(4);
        note("flip%zu", k);
        for ( i = 0; i < k && mlen; i++ )
        {
            j = rn(mlen);
            M[j] ^= (uint8_t)(1u << rn(8));
        }
        break;
    case 1:
        k = 1 + rn(3);
        note("set%zu", k);
        for ( i = 0; i < k && mlen; i++ )
            M[rn(mlen)] = chance(30) ? 0 : chance(30) ? 0xff : (uint8_t)r64();
        break;
    case 2:
        n = cut(mlen);
        note("truncate@%zu", n);
        mlen = n;
        break;
    case 3:
        n = 1 + rn(chance(50) ? 8 : 300);
        note("extend+%zu", n);
        rfill(tmp, n);
        if ( frame_kind && n >= 2 && chance(50) )
            put_be16(tmp, (unsigned)(SC_REC_MIN_BODY + rn(SC_REC_MAX_BODY - SC_REC_MIN_BODY + 1)));
        m_insert(mlen, tmp, n);
        break;
    case 4:
        n = rn(chance(50) ? 200 : 2500);
        note("random%zu", n);
        a = chance(50) ? cut(mlen) : 0;
        mlen = a;
        rfill(tmp, n);
        m_insert(mlen, tmp, n);
        break;
    case 5:
        /* Another message of the same kind spliced in: S2 holds it. */
        a = cut(mlen);
        b = rn(S2.len + 1);
        n = rn(S2.len - b + 1);
        note("splice@%zu+other[%zu,%zu)", a, b, b + n);
        mlen = a;
        m_insert(mlen, S2.buf + b, n);
        break;
    case 6:
        if ( !G.nf )
            break;
        j = rn((size_t)G.nf);
        if ( G.end[j] + 2 > mlen )
            break;
        n = chance(50) ? hdrs[rn(NELEM(hdrs))] :
            chance(50) ? (size_t)(be16(M + G.end[j]) + rn(33) - 16) : rn(0x10000);
        note("hdr%zu=%zu", j + 1, n & 0xffff);
        put_be16(M + G.end[j], (unsigned)n);
        break;
    case 7:
        if ( !G.nf || G.end[G.nf] > mlen )
            break;
        j = rn((size_t)G.nf);
        n = G.end[j + 1] - G.end[j];
        note("drop%zu", j + 1);
        m_delete(G.end[j], n);
        break;
    case 8:
        if ( !G.nf || G.end[G.nf] > mlen )
            break;
        j = rn((size_t)G.nf);
        n = G.end[j + 1] - G.end[j];
        memcpy(tmp, M + G.end[j], n);
        k = chance(50) ? G.end[j + 1] : G.end[rn((size_t)G.nf + 1)];
        note("dup%zu@%zu", j + 1, k);
        m_insert(k, tmp, n);
        break;
    default:
        if ( G.nf < 2 || G.end[G.nf] > mlen )
            break;
        j = rn((size_t)G.nf - 1);
        a = G.end[j + 1] - G.end[j];
        b = G.end[j + 2] - G.end[j + 1];
        note("swap%zu,%zu", j + 1, j + 2);
        memcpy(tmp, M + G.end[j], a + b);
        memcpy(M + G.end[j], tmp + a, b);
        memcpy(M + G.end[j] + b, tmp, a);
        break;
    }
}

/* Builds M from G: mostly one mutation, sometimes several, sometimes none. */
static void mutate_stream(int input)
{
    uint8_t bad[SC_REC_MAX_FRAME + 16];
    size_t r, j, n, k;

    memcpy(M, G.buf, G.len);
    mlen = G.len;
    bad_close_len = 0;
    r = rn(100);
    if ( r < 6 )
    {
        note("none");
        return;
    }
    if ( r < 24 )
    {
        /* A record that authenticates at frame j + 1 but breaks the format. */
        j = rn((size_t)G.nf + 1);
        n = bad_record(bad, &G.st[j], input);
        bad_close_len = k_close ? n : 0;
        note("@%zu", j + 1);
        stat.bad_records++;
        mlen = G.end[j];
        m_insert(mlen, bad, n);
        if ( chance(50) )
            m_insert(mlen, G.buf + G.end[j], G.len - G.end[j]);
        return;
    }
    k = chance(75) ? 1 : 2 + rn(3);
    while ( k-- )
        mutate_bytes(1);
}

/* Where M first differs from G; G's prefix when M is a prefix of G, or the other way. */
static size_t first_diff(void)
{
    size_t n = mlen < G.len ? mlen : G.len, i;

    for ( i = 0; i < n; i++ )
        if ( M[i] != G.buf[i] )
            return i;
    return n;
}

/*
 * The oracle: the receiver must accept exactly the valid frames that lie
 * wholly before the first changed byte (and none after a CLOSE), and must
 * refuse the next frame when M holds it whole, or a length header that is
 * no record (for input: longer than an input record may be, SC_REC_MAX_IN_BODY,
 * refused on sight).  *refuse says whether a refusal is due.
 */
static int oracle(int *refuse, size_t max_body)
{
    size_t p = first_diff(), rem, h;
    int j = 0;

    while ( j < G.nf && G.end[j + 1] <= p )
        j++;
    if ( G.close_at && j >= G.close_at )
    {
        *refuse = 0;
        return G.close_at;
    }
    rem = mlen - G.end[j];
    *refuse = 0;
    if ( rem >= SC_FRAME_HDR )
    {
        h = be16(M + G.end[j]);
        if ( h < SC_REC_MIN_BODY || h > max_body || rem >= SC_FRAME_HDR + h )
            *refuse = 1;
    }
    return j;
}

/* ---- the stream case: mutated input through the engine into a real-layout ring ---- */

#define CANARY      0xc3
#define BOXPAD      64

static struct {
    uint8_t pre[BOXPAD];
    struct sc_xencons r;
    uint8_t post[BOXPAD];
} rbox;

static struct {
    uint8_t pre[BOXPAD];
    struct sc_dom d;
    uint8_t post[BOXPAD];
} dbox;

static struct sc_xencons shadow;    /* what the ring must hold */
static uint8_t blbuf[32768 + BOXPAD];
static struct sc_backlog bl;
static uint8_t gout[16384];         /* everything the guest wrote this iteration */
static size_t gout_len, recv_len;   /* ... and how much of it the client received */
static uint8_t delivered[MAXF * SC_REC_MAX_DATA];
static size_t ring_total, guest_got;        /* bytes the VMM put into in[], the guest read */


static void boxes_arm(void)
{
    memset(rbox.pre, CANARY, BOXPAD);
    memset(rbox.post, CANARY, BOXPAD);
    memset(dbox.pre, CANARY, BOXPAD);
    memset(dbox.post, CANARY, BOXPAD);
    memset(blbuf + sizeof(blbuf) - BOXPAD, CANARY, BOXPAD);
}

static int boxes_ok(void)
{
    return all_byte(rbox.pre, CANARY, BOXPAD) && all_byte(rbox.post, CANARY, BOXPAD) &&
           all_byte(dbox.pre, CANARY, BOXPAD) && all_byte(dbox.post, CANARY, BOXPAD) &&
           all_byte(blbuf + sizeof(blbuf) - BOXPAD, CANARY, BOXPAD);
}

static int state_ok(const struct sc_dom *d)
{
    return (d->state == SC_SESS_NONE || d->state == SC_SESS_OPEN ||
            d->state == SC_SESS_DRAINING || d->state == SC_SESS_CLOSING) &&
           d->pending_off <= SC_REC_MAX_IN_DATA && d->pending_len <= SC_REC_MAX_IN_DATA - d->pending_off &&
           d->chaff_owed <= SC_VMM_CHAFF_MAX && d->close_reason <= SC_CLOSE_MAX;
}

/*
 * After any engine call: the guest's indexes and out[] untouched, and what
 * appeared in in[] is exactly `claimed` new bytes at in_prod, which are the
 * next bytes of valid data (at most `limit` in all).
 */
static int ring_after(const char *call, size_t claimed, size_t limit)
{
    volatile struct sc_xencons *r = &rbox.r;
    uint32_t n = r->in_prod - shadow.in_prod, k;
    uint8_t b;

    EXPECT(boxes_ok(), "%s wrote outside the ring, the domain or the backlog", call);
    EXPECT(state_ok(&dbox.d), "%s left state %u (pending %u+%u, chaff %u)", call,
           dbox.d.state, dbox.d.pending_off, dbox.d.pending_len, dbox.d.chaff_owed);
    EXPECT(r->in_cons == shadow.in_cons && r->out_prod == shadow.out_prod &&
           r->out_cons == shadow.out_cons, "%s moved an index it does not own", call);
    EXPECT(n == claimed, "%s moved in_prod by %u but reported %zu", call, n, claimed);
    EXPECT(n <= SC_RING_IN_SIZE, "%s put %u bytes in a %d-byte ring", call, n, SC_RING_IN_SIZE);
    EXPECT(ring_total + n <= limit, "%s delivered %zu bytes where only %zu are authentic", call,
           ring_total + n, limit);
    for ( k = 0; k < n; k++ )
    {
        b = (uint8_t)r->in[(shadow.in_prod + k) & (SC_RING_IN_SIZE - 1)];
        EXPECT(b == G.data[ring_total + k], "%s delivered a byte that is not the valid data's "
               "(offset %zu)", call, ring_total + k);
        shadow.in[(shadow.in_prod + k) & (SC_RING_IN_SIZE - 1)] = (char)b;
    }
    shadow.in_prod += n;
    ring_total += n;
    EXPECT(memcmp((const void *)r->in, shadow.in, SC_RING_IN_SIZE) == 0,
           "%s wrote into in[] outside the bytes it published", call);
    EXPECT(memcmp((const void *)r->out, shadow.out, SC_RING_OUT_SIZE) == 0,
           "%s wrote into out[]", call);
    return 0;
}

/* The honest guest reads up to max bytes of input. */
static void guest_read(size_t max)
{
    volatile struct sc_xencons *r = &rbox.r;

    while ( r->in_cons != r->in_prod && max-- )
    {
        delivered[guest_got++] = (uint8_t)r->in[r->in_cons & (SC_RING_IN_SIZE - 1)];
        r->in_cons++;
    }
    shadow.in_cons = r->in_cons;
}

static size_t guest_write(size_t n, uint64_t now)
{
    volatile struct sc_xencons *r = &rbox.r;
    size_t space = SC_RING_OUT_SIZE - (r->out_prod - r->out_cons), i;
    uint8_t b;

    if ( n > space )
        n = space;
    if ( n > sizeof(gout) - gout_len )
        n = sizeof(gout) - gout_len;
    for ( i = 0; i < n; i++ )
    {
        b = (uint8_t)r64();
        gout[gout_len++] = b;
        r->out[r->out_prod & (SC_RING_OUT_SIZE - 1)] = (char)b;
        shadow.out[r->out_prod & (SC_RING_OUT_SIZE - 1)] = (char)b;
        r->out_prod++;
    }
    shadow.out_prod = r->out_prod;
    if ( n )
        sc_vmm_guest_output(&dbox.d, now);
    return n;
}

struct session {
    struct sc_dir cout;
    int ended;                      /* a close reached the client */
    unsigned reason;
    uint64_t t_end;                 /* when */
    uint64_t t_data;                /* the last output call that carried guest output */
    unsigned out_chaff;
};

/*
 * The host's output step: drain the ring into the backlog, let the engine
 * seal, and open every frame as sc-dec would.
 */
/*
 * Where the quiet time starts: the client's close, the guest's last write,
 * or the last output that left the backlog (output waiting is not quiet).
 */
static uint64_t quiet_from(uint64_t t_drain, uint64_t t_write, uint64_t t_data)
{
    uint64_t t = t_drain > t_write ? t_drain : t_write;

    return t > t_data ? t : t_data;
}

static int host_output(struct session *s, uint64_t now, size_t limit, unsigned in_chaff, int *rcp)
{
    const size_t need = SC_REC_MAX_FRAME + SC_KEYSTROKE_FRAME;
    static uint8_t out[4 * (SC_REC_MAX_FRAME + SC_KEYSTROKE_FRAME)];
    uint8_t data[SC_REC_MAX_PT];
    uint32_t avail = shadow.out_prod - shadow.out_cons;
    size_t cap, olen = 12345, n, pos, fl, dlen;
    uint8_t *ob;
    unsigned type, state = dbox.d.state;
    int rc;

    n = sc_backlog_drain_ring(&bl, &rbox.r);
    EXPECT(n == avail, "sc_backlog_drain_ring took %zu of %u bytes", n, avail);
    shadow.out_cons += (uint32_t)n;
    EXPECT(bl.len <= bl.cap && bl.head < bl.cap && bl.dropped == 0, "backlog broken");
    if ( ring_after("sc_backlog_drain_ring", 0, limit) )
        return -1;

    cap = chance(8) ? rn(need) : need + rn(3 * need);
    /* The engine writes into a block of exactly cap bytes: ASan sees any overrun. */
    ob = malloc(cap ? cap : 1);
    if ( ob == NULL )
        die("out of memory");
    rc = sc_vmm_output(&dbox.d, &bl, ob, cap, &olen, now);
    *rcp = rc;
    memcpy(out, ob, olen <= cap ? olen : 0);
    free(ob);
    if ( ring_after("sc_vmm_output", 0, limit) )
        return -1;
    if ( rc < 0 )
    {
        EXPECT(olen == 0, "sc_vmm_output failed with %d but wrote %zu bytes", rc, olen);
        EXPECT(rc == (state == SC_SESS_NONE ? -SC_ENOSESSION : -SC_ESPACE),
               "sc_vmm_output: %d in state %u with cap %zu", rc, state, cap);
        EXPECT(state != SC_SESS_NONE || s->ended, "no session but the client was not told");
        return 0;
    }
    EXPECT(!s->ended, "output after the session's close");
    EXPECT(rc == 0 || rc == 1, "sc_vmm_output returned %d", rc);
    EXPECT(olen <= cap, "sc_vmm_output wrote %zu bytes into %zu", olen, cap);
    for ( pos = 0; pos < olen; pos += fl )
    {
        EXPECT(olen - pos >= SC_FRAME_HDR && sc_frame_body_len(out + pos) > 0,
               "output frame at %zu has no valid header", pos);
        fl = SC_FRAME_HDR + (size_t)sc_frame_body_len(out + pos);
        EXPECT(fl <= olen - pos, "output frame at %zu runs past the output", pos);
        rc = sc_rec_open(ccr, &s->cout, out + pos, fl, &type, data, &dlen);
        EXPECT(rc == 0, "the client cannot open output frame at %zu: %d", pos, rc);
        EXPECT(!s->ended, "a record after the close");
        switch ( type )
        {
        case SC_REC_DATA:
            EXPECT(dlen > 0 && recv_len + dlen <= gout_len &&
                   memcmp(data, gout + recv_len, dlen) == 0,
                   "output data is not what the guest wrote (at %zu, %zu bytes)", recv_len, dlen);
            recv_len += dlen;
            s->t_data = now;
            break;
        case SC_REC_CHAFF:
            s->out_chaff++;
            EXPECT(s->out_chaff <= in_chaff, "%u output chaff for %u input chaff or keys",
                   s->out_chaff, in_chaff);
            break;
        case SC_REC_REKEY:
            stat.out_rekeys++;
            break;
        case SC_REC_CLOSE:
            EXPECT(dlen == 1 && data[0] <= SC_CLOSE_MAX && data[0] != SC_CLOSE_EOF &&
                   data[0] != SC_CLOSE_ESCAPE, "bad close record from the VMM");
            s->ended = 1;
            s->reason = data[0];
            s->t_end = now;
            break;
        default:
            EXPECT(0, "unknown output record type %u", type);
        }
    }
    EXPECT(pos == olen, "output frames do not cover the output");
    EXPECT(s->ended == (*rcp == 1), "sc_vmm_output returned %d, close record %d", *rcp, s->ended);
    if ( s->ended )
    {
        EXPECT(dbox.d.state == SC_SESS_NONE, "session not over after its close");
        EXPECT(all_byte(dbox.d.in.key, 0, 32) && all_byte(dbox.d.out.key, 0, 32) &&
               all_byte(dbox.d.pending, 0, sizeof(dbox.d.pending)) && dbox.d.pending_len == 0,
               "keys or pending input not wiped at the end");
    }
    return 0;
}

/* Every call after the end: nothing taken, nothing given, nothing in the ring. */
static int after_end(uint64_t now, size_t limit)
{
    uint8_t *buf, out[2 * SC_REC_MAX_FRAME];
    size_t cons = 99, wr = 99, olen = 99, n;
    int rc;

    buf = exact(M, mlen);
    rc = sc_vmm_input(&dbox.d, &rbox.r, buf, mlen, &cons, &wr, now);
    free(buf);
    EXPECT(rc == -SC_ENOSESSION && cons == 0 && wr == 0,
           "input after the end: %d, consumed %zu, written %zu", rc, cons, wr);
    n = sc_vmm_flush_input(&dbox.d, &rbox.r);
    EXPECT(n == 0, "flush after the end delivered %zu", n);
    sc_vmm_close(&dbox.d, SC_CLOSE_RELAY + (unsigned)rn(3));
    EXPECT(dbox.d.state == SC_SESS_NONE, "a host close after the end revived the session");
    rc = sc_vmm_output(&dbox.d, &bl, out, sizeof(out), &olen, now);
    EXPECT(rc == -SC_ENOSESSION && olen == 0, "output after the end: %d, %zu bytes", rc, olen);
    EXPECT(!sc_vmm_output_owed(&dbox.d) && sc_vmm_wake_in(&dbox.d, now) == -1,
           "the engine still owes output after the end");
    return ring_after("the calls after the end", 0, limit);
}

static int case_stream(void)
{
    struct world *w = &W[rn(NWORLD)];
    struct session s;
    uint8_t *buf;
    size_t off = 0, arrival = 0, cons, wr, n, pos, fl, limit, chunk;
    uint64_t now = 1000 + rn(1000), t_drain = 0, t_write = 0;
    int j, refuse, rc = 0, refused = 0, relay = 0, step, done = 0, orc, jj = 0, changed;
    size_t tolerated = 0;
    unsigned relay_reason = 0;

    cur_case = "stream";
    note("world%d", (int)(w - W));
    gen_stream(&G, ccr, &w->cin, chance(5) ? MAXF : 1 + (int)rn(chance(80) ? 6 : 16), 0);
    /* What may be spliced in: another session's input, or this session's output (reflection). */
    if ( chance(50) )
        gen_stream(&S2, ccr, &W[(w - W + 1) % NWORLD].cin, 1 + (int)rn(6), 0);
    else
        gen_stream(&S2, vcr, &w->dom.out, 1 + (int)rn(6), 1);
    mutate_stream(1);
    j = oracle(&refuse, SC_REC_MAX_IN_BODY);
    limit = G.dl[j];
    changed = mlen != G.len || memcmp(M, G.buf, mlen) != 0;
    note("nf=%d len=%zu mlen=%zu j=%d refuse=%d", G.nf, G.len, mlen, j, refuse);

    dbox.d = w->dom;
    memset(&shadow, 0, sizeof(shadow));
    rfill((uint8_t *)shadow.in, SC_RING_IN_SIZE);
    rfill((uint8_t *)shadow.out, SC_RING_OUT_SIZE);
    shadow.in_cons = shadow.in_prod = (uint32_t)(chance(30) ? UINT32_MAX - rn(1500) : r64());
    shadow.out_cons = shadow.out_prod = (uint32_t)(chance(30) ? UINT32_MAX - rn(3000) : r64());
    memcpy((void *)&rbox.r, &shadow, sizeof(shadow));
    sc_backlog_init(&bl, blbuf, sizeof(blbuf) - BOXPAD);
    boxes_arm();
    gout_len = recv_len = ring_total = guest_got = 0;
    memset(&s, 0, sizeof(s));
    s.cout = w->cout;

    for ( step = 0; step < 20000 && !done; step++ )
    {
        now += rn(20);
        if ( arrival < mlen && chance(60) )
        {
            switch ( rn(4) )
            {
            case 0: chunk = 1; break;
            case 1: chunk = rn(64); break;
            case 2: chunk = rn(2 * SC_REC_MAX_FRAME); break;
            default: chunk = mlen; break;
            }
            arrival = arrival + chunk > mlen ? mlen : arrival + chunk;
        }
        if ( chance(70) )
            guest_read(chance(50) ? rn(1100) : SIZE_MAX);
        if ( chance(15) && guest_write(rn(chance(80) ? 40 : 1500), now) )
            t_write = now;
        if ( !relay && !refused && chance(1) && chance(20) )
        {
            relay_reason = SC_CLOSE_RELAY + (unsigned)rn(3);
            /* After the client's close, the relay's close only says its input ended. */
            if ( dbox.d.state == SC_SESS_OPEN ||
                 (dbox.d.state == SC_SESS_DRAINING && relay_reason != SC_CLOSE_RELAY) )
                relay = 1;
            sc_vmm_close(&dbox.d, relay_reason);
            if ( ring_after("sc_vmm_close", 0, limit) )
                return -1;
        }
        if ( chance(20) )
        {
            n = sc_vmm_flush_input(&dbox.d, &rbox.r);
            if ( ring_after("sc_vmm_flush_input", n, limit) )
                return -1;
        }

        buf = exact(M + off, arrival - off);
        cons = wr = 12345;
        rc = sc_vmm_input(&dbox.d, &rbox.r, buf, arrival - off, &cons, &wr, now);
        free(buf);
        if ( ring_after("sc_vmm_input", wr, limit) )
            return -1;
        EXPECT(cons <= arrival - off, "consumed %zu of %zu", cons, arrival - off);
        for ( pos = 0; pos < cons; pos += fl )
        {
            EXPECT(cons - pos >= SC_FRAME_HDR && sc_frame_body_len(M + off + pos) > 0,
                   "consumed bytes at %zu are no frame", off + pos);
            fl = SC_FRAME_HDR + (size_t)sc_frame_body_len(M + off + pos);
            EXPECT(fl <= cons - pos, "consumed %zu ends inside a frame", cons);
        }
        off += cons;
        for ( jj = 0; jj <= j && G.end[jj] != off; jj++ )
            ;
        if ( jj > j && rc == -SC_EINVAL && bad_close_len && off == G.end[j] + bad_close_len )
        {
            jj = j;
            tolerated = bad_close_len;
            stat.close_counted++;
        }
        EXPECT(jj <= j, "the engine took %zu bytes: past the valid frames (%zu)", off, G.end[j]);
        if ( dbox.d.state == SC_SESS_DRAINING && !t_drain )
            t_drain = now;

        if ( rc == -SC_EAUTH || rc == -SC_EINVAL )
        {
            refused = 1;
            EXPECT(dbox.d.state == SC_SESS_CLOSING && dbox.d.close_reason == SC_CLOSE_PROTOCOL &&
                   dbox.d.pending_len == 0 && all_byte(dbox.d.pending, 0, sizeof(dbox.d.pending)),
                   "a refusal must owe CLOSE PROTOCOL and wipe pending input");
            done = 1;
        }
        else if ( rc == -SC_ECLOSED || rc == -SC_ENOSESSION )
            done = 1;
        else
        {
            EXPECT(rc == 0, "sc_vmm_input returned %d", rc);
            if ( arrival == mlen && cons == 0 && dbox.d.pending_len == 0 )
                done = 1;
        }
        if ( chance(25) || (s.ended == 0 && dbox.d.state == SC_SESS_NONE) )
        {
            if ( host_output(&s, now, limit, G.nchaff[jj], &orc) )
                return -1;
            if ( s.ended )
                done = 1;
        }
    }
    EXPECT(done, "the engine made no progress in %d steps", step);

    /* Let the guest take everything, the engine deliver what is pending. */
    for ( step = 0; step < 64 && dbox.d.pending_len && dbox.d.state != SC_SESS_NONE; step++ )
    {
        guest_read(SIZE_MAX);
        n = sc_vmm_flush_input(&dbox.d, &rbox.r);
        if ( ring_after("sc_vmm_flush_input", n, limit) )
            return -1;
    }
    guest_read(SIZE_MAX);
    EXPECT(guest_got == ring_total && memcmp(delivered, G.data, guest_got) == 0,
           "the guest read other bytes than the VMM published");
    if ( !relay )
    {
        EXPECT(refused == refuse, "%s (first change at %zu, %zu of %zu bytes taken)",
               refuse ? "a changed stream was not refused" : "a valid prefix was refused",
               first_diff(), off, mlen);
        EXPECT(off == G.end[j] + tolerated, "consumed %zu bytes, the valid frames end at %zu",
               off, G.end[j]);
        EXPECT(ring_total == limit + (fault && changed),
               "delivered %zu bytes, the valid frames hold %zu%s", ring_total, limit,
               fault ? " (-x: a planted fault wants one byte more)" : "");
    }
    if ( refused && rc == -SC_EAUTH )
        stat.refused_auth++;
    else if ( refused )
        stat.refused_inval++;
    else if ( off < mlen && !relay )
        stat.incomplete++;
    else if ( !relay )
        stat.all_delivered++;

    /* The end: QUIET once drained and quiet, else the reason the host gave. */
    if ( !s.ended )
    {
        if ( refused && chance(50) )
        {
            sc_vmm_close(&dbox.d, SC_CLOSE_RELAY + (unsigned)rn(3));
            EXPECT(dbox.d.state == SC_SESS_CLOSING && dbox.d.close_reason == SC_CLOSE_PROTOCOL,
                   "a host close replaced the owed CLOSE PROTOCOL");
        }
        if ( !refused && !relay )
        {
            if ( dbox.d.state == SC_SESS_DRAINING )
            {
                if ( now < quiet_from(t_drain, t_write, s.t_data) + G.quiet )
                    now = quiet_from(t_drain, t_write, s.t_data) + G.quiet;
                EXPECT(G.close_at && j == G.close_at, "draining without the client's close");
            }
            else
            {
                EXPECT(dbox.d.state == SC_SESS_OPEN, "state %u with no end", dbox.d.state);
                relay_reason = SC_CLOSE_RELAY + (unsigned)rn(3);
                relay = 1;
                sc_vmm_close(&dbox.d, relay_reason);
            }
        }
        for ( step = 0; step < 40 && !s.ended; step++ )
        {
            if ( host_output(&s, now, limit, G.nchaff[j], &orc) )
                return -1;
            /* Output that left the backlog just now starts the quiet time again (issue 17.1). */
            if ( !s.ended && !refused && !relay && s.t_data == now )
                now += G.quiet;
        }
        EXPECT(s.ended, "the session never sent its close");
    }
    if ( refused )
    {
        EXPECT(s.reason == SC_CLOSE_PROTOCOL, "refused, but the close says %u", s.reason);
        stat.proto_closes++;
    }
    else if ( relay )
    {
        EXPECT(s.reason == relay_reason, "closed by the host with %u, the client saw %u",
               relay_reason, s.reason);
        stat.relay_closes++;
    }
    else
    {
        EXPECT(s.reason == SC_CLOSE_QUIET, "the client's close ended with %u", s.reason);
        EXPECT(recv_len == gout_len, "QUIET before all guest output was sent (%zu of %zu)",
               recv_len, gout_len);
        EXPECT(s.t_end - quiet_from(t_drain, t_write, s.t_data) >= G.quiet,
               "QUIET before the guest was quiet for %" PRIu32 " ms since its output "
               "last waited", G.quiet);
        stat.quiet_closes++;
    }
    mix((uint64_t)(refused * 4 + relay * 2 + s.reason) << 48 ^ off << 24 ^ ring_total);
    return after_end(now, limit);
}

/* ---- the client parser of output records: sc_rec_open ---- */

static int case_record(void)
{
    struct world *w = &W[rn(NWORLD)];
    uint8_t data[SC_REC_MAX_PT + 16], *buf;
    struct sc_dir d, save;
    size_t pos = 0, rem, fl, dlen;
    unsigned type;
    int j, refuse, f = 0, rc, how, odd;

    cur_case = "record";
    note("world%d", (int)(w - W));
    gen_stream(&G, vcr, &w->dom.out, 1 + (int)rn(chance(80) ? 5 : 16), 1);
    if ( chance(50) )
        gen_stream(&S2, vcr, &W[(w - W + 1) % NWORLD].dom.out, 1 + (int)rn(5), 1);
    else
        gen_stream(&S2, ccr, &w->cin, 1 + (int)rn(5), 0);
    mutate_stream(0);
    j = oracle(&refuse, SC_REC_MAX_BODY);
    note("nf=%d mlen=%zu j=%d refuse=%d", G.nf, mlen, j, refuse);
    d = w->cout;

    /* sc-dec's loop: a header, a whole frame, open it; stop at the first failure. */
    for ( ;; )
    {
        how = 2;                    /* ran out: a truncated stream */
        rem = mlen - pos;
        if ( rem < SC_FRAME_HDR )
            break;
        fl = SC_FRAME_HDR + be16(M + pos);
        if ( sc_frame_body_len(M + pos) > 0 && fl > rem )
            break;
        if ( fl > rem )
            fl = rem;
        /* Sometimes a caller's length that disagrees with the header. */
        odd = chance(5) && (fl < rem || chance(50));
        if ( odd )
            fl = fl < rem && chance(50) ? fl + 1 : fl - 1;
        buf = exact(M + pos, fl);
        memset(data, 0x5a, sizeof(data));
        save = d;
        type = 0xdead;
        dlen = 0xbeef;
        rc = sc_rec_open(ccr, &d, buf, fl, &type, data, &dlen);
        free(buf);
        if ( rc )
        {
            EXPECT(rc == -SC_EAUTH || rc == -SC_EINVAL, "sc_rec_open returned %d", rc);
            EXPECT(memcmp(&d, &save, sizeof(d)) == 0, "a refused record changed the direction");
            EXPECT(only_byte_or_zero(data, 0x5a, sizeof(data)) && type == 0xdead &&
                   dlen == 0xbeef, "a refused record left its plaintext or wrote its outputs");
            how = odd ? 4 : 1;
            break;
        }
        EXPECT(f < G.nf && pos == G.end[f] && fl == G.end[f + 1] - G.end[f] &&
               memcmp(M + pos, G.buf + pos, fl) == 0,
               "sc_rec_open accepted frame %d at %zu that is not the valid one", f + 1, pos);
        EXPECT(type == G.type[f] && dlen == G.rlen[f] &&
               memcmp(data, G.rdata + G.roff[f], dlen) == 0 &&
               only_byte_or_zero(data + dlen, 0x5a, 16),
               "record %d opened to other contents", f + 1);
        EXPECT(d.counter == (type == SC_REC_REKEY ? 0 : save.counter + 1) &&
               d.epoch == save.epoch + (type == SC_REC_REKEY), "counter or epoch wrong");
        EXPECT(!odd, "sc_rec_open accepted a length that disagrees with the header");
        pos += fl;
        f++;
        how = 3;
        if ( type == SC_REC_CLOSE )
            break;
    }
    EXPECT(f <= j, "accepted %d frames, only %d are valid", f, j);
    if ( how == 1 )
        EXPECT(f == j && refuse, "frame %d refused, %d are valid", f + 1, j);
    else if ( how == 2 )
        EXPECT(f == j && !refuse, "stopped at %d of %d valid frames, refusal due %d", f, j, refuse);
    else if ( how == 3 )
        EXPECT(f == j && f == G.close_at, "stopped at a close %d, %d valid", f, j);
    mix((uint64_t)f << 32 ^ pos ^ (uint64_t)how << 60);
    return 0;
}

/* ---- the client parser of the answer: sc_answer_check ---- */

static void mutate_msg(const uint8_t *valid, size_t len, const uint8_t *other, size_t olen)
{
    size_t k;

    memset(&G, 0, offsetof(struct stream, st));
    memcpy(M, valid, len);
    mlen = len;
    memcpy(S2.buf, other, olen);
    S2.len = olen;
    if ( chance(5) )
    {
        note("none");
        return;
    }
    if ( chance(10) )
    {
        /* The header alone: version, kind, reserved or options. */
        k = rn(4);
        M[k] = chance(50) ? (uint8_t)r64() : (uint8_t)(M[k] ^ (1u << rn(8)));
        note("hdr[%zu]=%02x", k, M[k]);
        return;
    }
    k = chance(75) ? 1 : 2 + rn(3);
    while ( k-- )
        mutate_bytes(0);
}

static int case_answer(void)
{
    struct world *w = &W[rn(NWORLD)];
    struct world *o = &W[(w - W + 1 + rn(NWORLD - 1)) % NWORLD];
    struct sc_identity id, id2;
    struct sc_dir in, out, in2, out2;
    uint8_t S[32], S2b[32], *buf;
    int rc, rc2, is1, is2;

    cur_case = "answer";
    note("world%d", (int)(w - W));
    mutate_msg(chance(20) ? w->answer2 : w->answer, SC_ANSWER_LEN,
               chance(50) ? o->answer : w->answer2, SC_ANSWER_LEN);
    is1 = mlen == SC_ANSWER_LEN && memcmp(M, w->answer, mlen) == 0;
    is2 = mlen == SC_ANSWER_LEN && memcmp(M, w->answer2, mlen) == 0;
    memset(&id, 0xcc, sizeof(id));
    memset(&in, 0xcc, sizeof(in));
    memset(&out, 0xcc, sizeof(out));
    memset(S, 0xcc, sizeof(S));
    buf = exact(M, mlen);
    rc = sc_answer_check(ccr, buf, mlen, w->hello, w->key, w->vmm.pub, w->c, &id, &in, &out, S);
    /* Both ends share the parser: the core's crypto must give the same verdict. */
    rc2 = sc_answer_check(vcr, buf, mlen, w->hello, w->key, w->vmm.pub, w->c, &id2, &in2, &out2,
                          S2b);
    free(buf);
    EXPECT(rc == rc2, "OpenSSL says %d, the core says %d", rc, rc2);
    if ( is1 || is2 )
    {
        EXPECT(rc == 0, "a valid answer refused: %d", rc);
        EXPECT(memcmp(in.key, is1 ? w->in0key : w->in2key, 32) == 0 &&
               memcmp(out.key, is1 ? w->out0key : w->out2key, 32) == 0 &&
               in.counter == 0 && out.counter == 0 && in.epoch == 0 && out.epoch == 0,
               "a valid answer gave other keys");
        EXPECT(id.domid == w->dom.domid && memcmp(id.uuid, w->uuid, 16) == 0 &&
               memcmp(id.instance, w->dom.instance, 16) == 0 && id.dropped == (is1 ? 0 : 7) &&
               memcmp(S, M + 20, 32) == 0, "a valid answer vouched for something else");
        stat.answer_ok++;
    }
    else
    {
        EXPECT(is_refusal(rc), "a changed answer gave %d", rc);
        EXPECT(mlen == 0 || M[0] == SC_PROTO_VERSION || rc == -SC_EVERSION,
               "version %u answered %d, not unsupported version", M[0], rc);
        EXPECT((all_byte(&in, 0xcc, sizeof(in)) || all_byte(&in, 0, sizeof(in))) &&
               (all_byte(&out, 0xcc, sizeof(out)) || all_byte(&out, 0, sizeof(out))),
               "a refused answer left key material in its outputs");
        EXPECT(all_byte(&id, 0xcc, sizeof(id)) && all_byte(S, 0xcc, sizeof(S)),
               "a refused answer wrote the identity or S");
    }
    mix((uint64_t)(unsigned)rc);
    return 0;
}

/* ---- the VMM's hello: sc_vmm_open ---- */

static int case_hello(void)
{
    struct world *w = &W[rn(NWORLD)];
    struct world *o = &W[(w - W + 1 + rn(NWORLD - 1)) % NWORLD];
    uint8_t answer[SC_ANSWER_LEN], eph[32], S[32], *buf, vsec[32], vpub[32];
    const uint8_t *base;
    struct sc_identity id;
    struct sc_dir in, out;
    uint64_t dropped = r64() >> rn(64);
    int rc, is1, is2, isx, unbound = chance(10);

    cur_case = "hello";
    note("world%d%s", (int)(w - W), unbound ? " unbound" : "");
    base = chance(15) ? w->hello_x : chance(15) ? w->hello2 : w->hello;
    mutate_msg(base, SC_HELLO_LEN, chance(50) ? o->hello : w->hello2, SC_HELLO_LEN);
    is1 = mlen == SC_HELLO_LEN && memcmp(M, w->hello, mlen) == 0;
    is2 = mlen == SC_HELLO_LEN && memcmp(M, w->hello2, mlen) == 0;
    isx = mlen == SC_HELLO_LEN && memcmp(M, w->hello_x, mlen) == 0;
    memcpy(vsec, w->vmm.secret, 32);
    memcpy(vpub, w->vmm.pub, 32);
    dbox.d = w->dom;
    if ( unbound )
        sc_dom_init(&dbox.d, w->dom.domid, w->uuid);
    if ( chance(30) )
    {
        /* A session mid-way: pending input, chaff owed, draining. */
        dbox.d.pending_len = (uint32_t)rn(SC_REC_MAX_IN_DATA + 1);
        rfill(dbox.d.pending, dbox.d.pending_len);
        dbox.d.chaff_owed = (uint32_t)rn(SC_VMM_CHAFF_MAX + 1);
        dbox.d.state = chance(50) ? SC_SESS_DRAINING : unbound ? SC_SESS_NONE : SC_SESS_OPEN;
    }
    {
        static struct sc_dom before;

        before = dbox.d;
        boxes_arm();
        memset(answer, 0xcc, sizeof(answer));
        rfill(eph, 32);
        buf = exact(M, mlen);
        rc = sc_vmm_open(&w->vmm, &dbox.d, buf, mlen, answer, eph, dropped, 5000, NULL, NULL);
        free(buf);
        EXPECT(boxes_ok(), "sc_vmm_open wrote outside the domain");
        EXPECT(state_ok(&dbox.d), "sc_vmm_open left state %u", dbox.d.state);
        EXPECT(memcmp(w->vmm.secret, vsec, 32) == 0 && memcmp(w->vmm.pub, vpub, 32) == 0,
               "sc_vmm_open changed the VMM");
        if ( unbound )
        {
            EXPECT(rc == -SC_ENOTBOUND, "a hello to an unbound domain gave %d", rc);
            EXPECT(memcmp(&before, &dbox.d, sizeof(before)) == 0, "refused hello changed d");
        }
        else if ( is1 || is2 )
        {
            EXPECT(rc == 0, "a valid hello refused: %d", rc);
            rc = sc_answer_check(ccr, answer, SC_ANSWER_LEN, M, w->key, w->vmm.pub,
                                 is1 ? w->c : w->c2, &id, &in, &out, S);
            EXPECT(rc == 0, "the client refuses the answer to a valid hello: %d", rc);
            EXPECT(memcmp(in.key, dbox.d.in.key, 32) == 0 && memcmp(out.key, dbox.d.out.key, 32) == 0,
                   "the answer's keys are not the session's");
            EXPECT(id.dropped == dropped && id.domid == w->dom.domid, "identity wrong");
            EXPECT(dbox.d.state == SC_SESS_OPEN && dbox.d.pending_len == 0 &&
                   dbox.d.chaff_owed == 0 && all_byte(dbox.d.pending, 0, sizeof(dbox.d.pending)) &&
                   dbox.d.options == be16(M + 2) && dbox.d.in.counter == 0 &&
                   dbox.d.out.counter == 0, "the new session did not start clean");
            stat.hello_ok++;
        }
        else
        {
            EXPECT(is_refusal(rc), "a changed hello gave %d", rc);
            EXPECT(!isx || rc == -SC_EINVAL, "an authentic hello with unknown options gave %d", rc);
            stat.unknown_opt += isx;
            EXPECT(mlen == 0 || M[0] == SC_PROTO_VERSION || rc == -SC_EVERSION,
                   "version %u answered %d", M[0], rc);
            EXPECT(memcmp(&before, &dbox.d, sizeof(before)) == 0,
                   "a refused hello changed the domain");
            EXPECT(all_byte(answer, 0xcc, sizeof(answer)) || all_byte(answer, 0, sizeof(answer)),
                   "a refused hello wrote an answer");
        }
    }
    mix((uint64_t)(unsigned)rc);
    return 0;
}

/* ---- the VMM's bind: sc_vmm_bind ---- */

static struct sc_vmm BV;
static uint8_t bkey[32], buuid[16], buuid2[16], bchal[16], bchal2[16];
static uint8_t breq[SC_BIND_LEN], breq2[SC_BIND_LEN], breq_x[4][SC_BIND_LEN];

/* The host's per-key count: at the limit when the test says the key is "in use". */
static int in_use_cb(void *ctx, const uint8_t key[SC_KEY_LEN])
{
    return *(const int *)ctx ? SC_VMM_KEY_DOMAINS : 0;
}

static void bind_setup(void)
{
    static const uint8_t hdrs[4][4] = {
        { SC_PROTO_VERSION + 1, SC_KIND_BIND, 0, 0 }, /* another version */
        { SC_PROTO_VERSION, SC_KIND_HELLO, 0, 0 },  /* another kind */
        { SC_PROTO_VERSION, SC_KIND_BIND, 0, SC_CON_MAX + 1 },  /* an unknown console kind */
        { SC_PROTO_VERSION, SC_KIND_BIND, 0x80, 0 },  /* an unknown least-level flag */
    };
    uint8_t e[32];
    int i;

    BV = W[0].vmm;
    rfill(bkey, 32);
    rfill(buuid, 16);
    rfill(buuid2, 16);
    rfill(bchal, 16);
    memcpy(bchal2, bchal, 16);
    bchal2[rn(16)] ^= (uint8_t)(1 + rn(255));
    rfill(e, 32);
    if ( sc_bind_seal(ccr, breq, bkey, buuid, BV.pub, e, bchal) )
        die("bind seal");
    raw_bind(breq2, bkey, buuid, BV.pub, e, breq, bchal);
    if ( memcmp(breq, breq2, SC_BIND_LEN) )
        die("the bind request made from the spec differs from sc_bind_seal's");
    rfill(e, 32);
    if ( sc_bind_seal(ccr, breq2, bkey, buuid2, BV.pub, e, bchal) )
        die("bind seal");
    for ( i = 0; i < 4; i++ )
    {
        rfill(e, 32);
        raw_bind(breq_x[i], bkey, buuid, BV.pub, e, hdrs[i], bchal);
    }
    passed++;
}

static int case_bind(void)
{
    static struct sc_dom before, spent;
    uint8_t inst[16], cur[16], *buf;
    int rc, in_use = chance(10), stale = chance(5), none = chance(3), is1, is2;
    const uint8_t *base;
    size_t i;

    cur_case = "bind";
    note("%s%s%s", in_use ? "key-in-use " : "", stale ? "stale " : "", none ? "no-challenge" : "");
    base = chance(20) ? breq_x[rn(4)] : chance(10) ? breq2 : breq;
    mutate_msg(base, SC_BIND_LEN, chance(50) ? breq2 : breq_x[rn(4)], SC_BIND_LEN);
    is1 = mlen == SC_BIND_LEN && memcmp(M, breq, mlen) == 0;
    is2 = mlen == SC_BIND_LEN && memcmp(M, breq2, mlen) == 0;
    boxes_arm();
    sc_dom_init(&dbox.d, 77, buuid);
    if ( !none && sc_vmm_challenge(&dbox.d, stale ? bchal2 : bchal, cur) )
        die("challenge");
    before = dbox.d;
    spent = before;
    memset(spent.challenge, 0, 16);
    spent.has_challenge = 0;
    rfill(inst, 16);
    buf = exact(M, mlen);
    rc = sc_vmm_bind(&BV, &dbox.d, buf, mlen, inst, in_use_cb, &in_use);
    free(buf);
    EXPECT(boxes_ok(), "sc_vmm_bind wrote outside the domain");
    if ( none && rc == 0 )
        EXPECT(0, "a bind with no challenge fetched succeeded");
    else if ( none )
    {
        EXPECT(rc == -SC_EREPLAY, "a bind with no challenge fetched gave %d", rc);
        EXPECT(memcmp(&before, &dbox.d, sizeof(before)) == 0, "a refused bind changed d");
    }
    else if ( (is1 || is2) && stale )
    {
        /* Sealed for a challenge the domain no longer has: refused, nothing used up. */
        EXPECT(rc == -SC_EAUTH, "a request for a stale challenge gave %d", rc);
        EXPECT(memcmp(&before, &dbox.d, sizeof(before)) == 0, "a refused bind changed d");
    }
    else if ( is2 )
    {
        /* Another domain's request: authentic, so it uses the challenge up. */
        EXPECT(rc == -SC_EUUID, "a request for another domain gave %d", rc);
        EXPECT(memcmp(&spent, &dbox.d, sizeof(spent)) == 0,
               "a request for another domain did not just use the challenge up");
    }
    else if ( is1 && !in_use )
    {
        EXPECT(rc == 0 && dbox.d.bound == 1 && memcmp(dbox.d.key, bkey, 32) == 0 &&
               memcmp(dbox.d.instance, inst, 16) == 0 && !dbox.d.has_challenge,
               "a valid bind refused: %d", rc);
        /* Spent: to this domain again, or to a twin with its own challenge. */
        rc = sc_vmm_bind(&BV, &dbox.d, M, mlen, inst, in_use_cb, &in_use);
        EXPECT(rc == -SC_EREPLAY, "a replayed bind gave %d", rc);
        sc_dom_init(&dbox.d, 78, buuid);
        rfill(cur, 16);
        sc_vmm_challenge(&dbox.d, cur, cur);
        rc = sc_vmm_bind(&BV, &dbox.d, M, mlen, inst, in_use_cb, &in_use);
        EXPECT(rc == -SC_EAUTH && !dbox.d.bound, "a replayed bind to a twin gave %d", rc);
        stat.bind_ok++;
    }
    else if ( is1 )
    {
        EXPECT(rc == -SC_EKEYINUSE, "an authentic bind that must fail gave %d", rc);
        EXPECT(memcmp(&spent, &dbox.d, sizeof(spent)) == 0,
               "an authentic refused bind did not just use the challenge up");
    }
    else
    {
        EXPECT(is_refusal(rc), "a changed bind request gave %d", rc);
        EXPECT(mlen == 0 || M[0] == SC_PROTO_VERSION || rc == -SC_EVERSION,
               "version %u answered %d", M[0], rc);
        EXPECT(memcmp(&before, &dbox.d, sizeof(before)) == 0, "a refused bind changed d");
        for ( i = 0; i < 4; i++ )
            if ( mlen == SC_BIND_LEN && memcmp(M, breq_x[i], mlen) == 0 && !stale )
                EXPECT(rc == (i == 0 ? -SC_EVERSION : -SC_EINVAL),
                       "an authentic request with a bad header gave %d", rc);
    }
    mix((uint64_t)(unsigned)rc);
    return 0;
}

/* ---- the hostile guest: wild indexes around every ring function ---- */

static uint32_t wild(uint32_t other, uint32_t size)
{
    switch ( rn(10) )
    {
    case 0: return (uint32_t)r64();
    case 1: return other;
    case 2: return other + size;
    case 3: return other + size + 1;
    case 4: return other - 1;
    case 5: return other + (uint32_t)rn(size + 1);
    case 6: return other + 0x80000000u;
    case 7: return other - size;
    case 8: return UINT32_MAX - (uint32_t)rn(4);
    default: return other + (uint32_t)rn(4 * size);
    }
}

static int case_ring(void)
{
    volatile struct sc_xencons *r = &rbox.r;
    struct sc_xencons before;
    uint8_t src[4 * SC_REC_MAX_DATA], *dst, frames[4 * SC_REC_MAX_FRAME];
    size_t n, len, want, i, cons, wr, fl = 0, nd = 0;
    uint32_t used;
    int op, k, rc, len1;
    struct world *w = &W[rn(NWORLD)];
    struct sc_dir cin;

    cur_case = "ring";
    for ( k = 0; k < 8; k++ )
    {
        rfill((uint8_t *)&before, sizeof(before));
        before.in_cons = (uint32_t)r64();
        before.in_prod = wild(before.in_cons, SC_RING_IN_SIZE);
        if ( chance(30) )
            before.in_cons = wild(before.in_prod, SC_RING_IN_SIZE);
        before.out_cons = (uint32_t)r64();
        before.out_prod = wild(before.out_cons, SC_RING_OUT_SIZE);
        if ( chance(30) )
            before.out_cons = wild(before.out_prod, SC_RING_OUT_SIZE);
        memcpy((void *)r, &before, sizeof(before));
        boxes_arm();
        shadow = before;
        op = (int)rn(6);
        what[0] = 0;
        note("op%d in %08x..%08x out %08x..%08x", op, before.in_cons, before.in_prod,
             before.out_cons, before.out_prod);
        used = before.in_prod - before.in_cons;
        stat.ring_broken += used > SC_RING_IN_SIZE;
        stat.ring_full += used == SC_RING_IN_SIZE;
        switch ( op )
        {
        case 0:
            n = sc_ring_in_space(r);
            EXPECT(n == (used > SC_RING_IN_SIZE ? 0 : SC_RING_IN_SIZE - used),
                   "sc_ring_in_space says %zu", n);
            EXPECT(memcmp((const void *)r, &before, sizeof(before)) == 0 && boxes_ok(),
                   "sc_ring_in_space wrote");
            break;
        case 1:
            len = chance(20) ? sizeof(src) : rn(sizeof(src) + 1);
            rfill(src, len);
            dst = exact(src, len);
            n = sc_ring_put_in(r, dst, len);
            free(dst);
            want = used > SC_RING_IN_SIZE ? 0 : SC_RING_IN_SIZE - used;
            want = want < len ? want : len;
            EXPECT(n == want && n <= SC_RING_IN_SIZE, "sc_ring_put_in put %zu of %zu, "
                   "room for %zu", n, len, want);
            for ( i = 0; i < n; i++ )
                shadow.in[(before.in_prod + i) & (SC_RING_IN_SIZE - 1)] = (char)src[i];
            shadow.in_prod += (uint32_t)n;
            EXPECT(memcmp((const void *)r, &shadow, sizeof(shadow)) == 0 && boxes_ok(),
                   "sc_ring_put_in wrote something else than %zu bytes at in_prod", n);
            break;
        case 2:
            len = chance(20) ? SC_RING_OUT_SIZE + 100 : rn(SC_RING_OUT_SIZE + 200);
            dst = malloc(len + BOXPAD);
            if ( dst == NULL )
                die("out of memory");
            memset(dst, CANARY, len + BOXPAD);
            n = sc_ring_get_out(r, dst, len);
            want = before.out_prod - before.out_cons;
            want = want > SC_RING_OUT_SIZE ? SC_RING_OUT_SIZE : want;
            want = want < len ? want : len;
            rc = n == want && n <= SC_RING_OUT_SIZE && all_byte(dst + n, CANARY, len + BOXPAD - n);
            for ( i = 0; rc && i < n; i++ )
                rc = dst[i] == (uint8_t)before.out[(before.out_cons + i) & (SC_RING_OUT_SIZE - 1)];
            free(dst);
            EXPECT(rc, "sc_ring_get_out copied %zu, expected %zu, or wrote past them", n, want);
            shadow.out_cons += (uint32_t)n;
            EXPECT(memcmp((const void *)r, &shadow, sizeof(shadow)) == 0 && boxes_ok(),
                   "sc_ring_get_out wrote something else than out_cons");
            break;
        case 3:
            /* The backlog's memory in a block of exactly its size. */
            len = 1 + rn(chance(50) ? 300 : 8192);
            dst = malloc(len);
            if ( dst == NULL )
                die("out of memory");
            sc_backlog_init(&bl, dst, len);
            n = sc_backlog_drain_ring(&bl, r);
            rc = bl.len + bl.dropped == n && bl.len <= bl.cap && bl.head < bl.cap;
            /* What the backlog keeps is the newest of what the guest wrote. */
            for ( i = 0; rc && i < bl.len; i++ )
                rc = dst[(bl.head + i) % bl.cap] ==
                     (uint8_t)before.out[(before.out_cons + n - bl.len + i) & (SC_RING_OUT_SIZE - 1)];
            free(dst);
            want = before.out_prod - before.out_cons;
            want = want > SC_RING_OUT_SIZE ? SC_RING_OUT_SIZE : want;
            EXPECT(n == want && rc, "sc_backlog_drain_ring took %zu, expected %zu, or kept "
                   "other bytes", n, want);
            shadow.out_cons += (uint32_t)n;
            EXPECT(memcmp((const void *)r, &shadow, sizeof(shadow)) == 0 && boxes_ok(),
                   "sc_backlog_drain_ring wrote something else than out_cons");
            break;
        case 4:
            /* Engine-owned pending input, a guest-owned broken ring. */
            dbox.d = w->dom;
            dbox.d.pending_off = (uint32_t)rn(SC_REC_MAX_IN_DATA + 1);
            dbox.d.pending_len = (uint32_t)rn(SC_REC_MAX_IN_DATA - dbox.d.pending_off + 1);
            rfill(dbox.d.pending, sizeof(dbox.d.pending));
            memcpy(src, dbox.d.pending + dbox.d.pending_off, dbox.d.pending_len);
            len = dbox.d.pending_len;
            boxes_arm();
            n = sc_vmm_flush_input(&dbox.d, r);
            want = used > SC_RING_IN_SIZE ? 0 : SC_RING_IN_SIZE - used;
            want = want < len ? want : len;
            EXPECT(n == want && dbox.d.pending_len == len - n && state_ok(&dbox.d),
                   "sc_vmm_flush_input delivered %zu of %zu, room %zu", n, len, want);
            for ( i = 0; i < n; i++ )
                shadow.in[(before.in_prod + i) & (SC_RING_IN_SIZE - 1)] = (char)src[i];
            shadow.in_prod += (uint32_t)n;
            EXPECT(memcmp((const void *)r, &shadow, sizeof(shadow)) == 0 && boxes_ok(),
                   "sc_vmm_flush_input wrote something else than %zu bytes at in_prod", n);
            break;
        default:
            /* Valid records into a ring whose indexes the guest broke. */
            dbox.d = w->dom;
            cin = w->cin;
            nd = fl = 0;
            for ( i = 0, len = 1 + rn(3); i < len; i++ )
            {
                size_t dl = pick_len(SC_REC_MAX_IN_DATA);

                rfill(src + nd, dl);
                if ( cin.counter >= SC_REKEY_AFTER - 1 )
                    break;
                len1 = sc_rec_seal(ccr, &cin, frames + fl, sizeof(frames) - fl, SC_REC_DATA,
                                   src + nd, dl, 0);
                if ( len1 < 0 )
                    break;
                fl += (size_t)len1;
                nd += dl;
            }
            boxes_arm();
            dst = exact(frames, fl);
            rc = sc_vmm_input(&dbox.d, r, dst, fl, &cons, &wr, 1000);
            free(dst);
            want = used > SC_RING_IN_SIZE ? 0 : SC_RING_IN_SIZE - used;
            EXPECT(rc == 0 && cons <= fl && wr == (want < nd ? want : nd) && state_ok(&dbox.d),
                   "sc_vmm_input under a broken ring: %d, consumed %zu of %zu, wrote %zu", rc,
                   cons, fl, wr);
            for ( i = 0; i < wr; i++ )
                shadow.in[(before.in_prod + i) & (SC_RING_IN_SIZE - 1)] = (char)src[i];
            shadow.in_prod += (uint32_t)wr;
            EXPECT(memcmp((const void *)r, &shadow, sizeof(shadow)) == 0 && boxes_ok(),
                   "sc_vmm_input wrote something else than %zu bytes at in_prod", wr);
            break;
        }
        mix((uint64_t)op << 56 ^ r->in_prod ^ (uint64_t)r->out_cons << 24);
    }
    return 0;
}

/* ---- the driver ---- */

static const char *const case_names[] = { "stream", "bind", "hello", "answer", "record", "ring" };

static int run_one(int only)
{
    size_t r = rn(100);
    int c;

    what[0] = 0;
    if ( only >= 0 )
        c = only;
    else
        c = r < 50 ? 0 : r < 58 ? 1 : r < 66 ? 2 : r < 74 ? 3 : r < 88 ? 4 : 5;
    stat.cases[c]++;
    mix((uint64_t)c);
    switch ( c )
    {
    case 0: return case_stream();
    case 1: return case_bind();
    case 2: return case_hello();
    case 3: return case_answer();
    case 4: return case_record();
    default: return case_ring();
    }
}

static double secs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: proto_fuzz [-s SEED] [-n ITERATIONS] [-t SECONDS] [-i ITERATION] "
            "[-c stream|bind|hello|answer|record|ring] [-x]\n");
    exit(2);
}

/* The coverage a long enough run must reach, or the fuzzer has gone blind. */
static void coverage(unsigned long n, int only)
{
    struct { const char *name; unsigned long v; } c[] = {
        { "refused forged records", stat.refused_auth },
        { "refused malformed records", stat.refused_inval },
        { "incomplete frames left waiting", stat.incomplete },
        { "whole streams delivered", stat.all_delivered },
        { "QUIET closes", stat.quiet_closes },
        { "host closes", stat.relay_closes },
        { "PROTOCOL closes", stat.proto_closes },
        { "output rekeys", stat.out_rekeys },
        { "broken guest rings", stat.ring_broken },
        { "valid binds", stat.bind_ok },
        { "valid hellos", stat.hello_ok },
        { "authentic hellos with unknown options", stat.unknown_opt },
        { "valid answers", stat.answer_ok },
    };
    size_t i;

    if ( only >= 0 || n < 20000 )
        return;
    for ( i = 0; i < sizeof(c) / sizeof(c[0]); i++ )
    {
        if ( c[i].v )
            passed++;
        else
        {
            failed++;
            printf("FAIL coverage: no %s in %lu iterations\n", c[i].name, n);
        }
    }
}

int main(int argc, char **argv)
{
    unsigned long n = DEFAULT_ITERS, one = 0, done;
    double limit = DEFAULT_SECONDS, t0, t;
    int opt, only = -1, single = 0, i;
    char *end;

    seed = DEFAULT_SEED;
    while ( (opt = getopt(argc, argv, "s:n:t:i:c:x")) != -1 )
    {
        switch ( opt )
        {
        case 's':
            seed = strtoull(optarg, &end, 0);
            if ( *end || !*optarg )
                usage();
            break;
        case 'n':
            n = strtoul(optarg, &end, 0);
            if ( *end || !*optarg )
                usage();
            break;
        case 't':
            limit = strtod(optarg, &end);
            if ( *end || !*optarg || limit <= 0 )
                usage();
            break;
        case 'i':
            one = strtoul(optarg, &end, 0);
            if ( *end || !*optarg )
                usage();
            single = 1;
            break;
        case 'c':
            for ( i = 0; i < 6 && strcmp(optarg, case_names[i]); i++ )
                ;
            if ( i == 6 )
                usage();
            only = i;
            break;
        case 'x':
            fault = 1;
            break;
        default:
            usage();
        }
    }
    if ( optind != argc )
        usage();

    printf("proto_fuzz: seed 0x%" PRIx64 " (replay an iteration: proto_fuzz -s 0x%" PRIx64
           " -i N)\n", seed, seed);
    fflush(stdout);
    rs = seed;
    for ( i = 0; i < NWORLD; i++ )
        build_world(&W[i], i);
    bind_setup();

    t0 = secs();
    for ( done = 0, iter = single ? one : 0; single ? done < 1 : done < n; done++, iter++ )
    {
        rs = seed ^ (iter * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
        r64();
        if ( run_one(only) )
            failed++;
        else
            passed++;
        if ( (done & 63) == 63 && secs() - t0 > limit )
        {
            done++;
            break;
        }
    }
    t = secs() - t0;
    printf("proto_fuzz: %lu iterations in %.1f s (%.0f/s): stream %lu, bind %lu, hello %lu, "
           "answer %lu, record %lu, ring %lu\n", done, t, t > 0 ? (double)done / t : 0.0,
           stat.cases[0], stat.cases[1], stat.cases[2], stat.cases[3], stat.cases[4],
           stat.cases[5]);
    printf("proto_fuzz: refused %lu forged and %lu malformed, %lu incomplete left waiting, "
           "%lu delivered whole; closes: %lu quiet, %lu host, %lu protocol; %lu output rekeys; "
           "%lu broken and %lu full guest rings\n", stat.refused_auth, stat.refused_inval,
           stat.incomplete, stat.all_delivered, stat.quiet_closes, stat.relay_closes,
           stat.proto_closes, stat.out_rekeys, stat.ring_broken, stat.ring_full);
    if ( stat.close_counted )
        printf("proto_fuzz: note: %lu refused CLOSE records were counted in *consumed, "
               "unlike other refused records\n", stat.close_counted);
    printf("proto_fuzz: digest 0x%016" PRIx64 "\n", digest);
    if ( !single )
        coverage(done, only);
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
