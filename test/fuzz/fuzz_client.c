/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: what sc-dec reads from dom0.  The first byte picks:
 *   0  the VMM's answer (sc_answer_check against a real hello)
 *   1  the output stream: frames read through a frame_buf (sc-dec's reader,
 *      on a memfd fed in chunks the next byte sizes) and opened with
 *      sc_rec_open under a real session's keys
 *   2  a program: records sealed with the session's real output keys
 *      (data, chaff, rekey, close) with the fuzzer's bit flips, cuts and
 *      duplicates, opened in order as sc-dec does
 * Every failure must leave the direction unchanged; an abort marks a breach.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sc_proto.h"
#include "sccrypt_crypto.h"
#include "frame.h"
#include "ossl_crypto.h"

static const struct sc_crypto *cr = &sc_ossl_crypto;
static uint8_t key[SC_KEY_LEN], vpub[SC_PUB_LEN], vsec[32], hello[SC_HELLO_LEN], c[32];
static struct sc_dir in0, out0;
static int ready, mfd = -1;

static void setup(void)
{
    uint8_t s[32], ans[SC_ANSWER_LEN];
    struct sc_identity id;
    struct sc_dir vin, vout;
    int i;

    for ( i = 0; i < 32; i++ )
    {
        vsec[i] = (uint8_t)(i * 7 + 1);
        key[i] = (uint8_t)(i * 13 + 5);
        c[i] = (uint8_t)(i * 11 + 2);
        s[i] = (uint8_t)(i * 5 + 3);
    }
    sc_core_crypto.x25519_base(vpub, vsec);
    memset(&id, 0, sizeof(id));
    id.level.console = SC_CON_RING;     /* a valid level: the weakest, as the simulator's */
    if ( sc_hello_make(cr, hello, key, vpub, c, 0) ||
         sc_answer_make(&sc_core_crypto, ans, hello, key, vsec, vpub, s, &id, &vin, &vout) )
        abort();
    in0 = vin;
    out0 = vout;
    mfd = memfd_create("fuzz", 0);
    if ( mfd < 0 )
        abort();
    ready = 1;
}

/* Opens one frame; a failure must leave d as it was. */
static void open_one(struct sc_dir *d, const uint8_t *f, size_t len)
{
    uint8_t data[SC_REC_MAX_PT];
    struct sc_dir before = *d;
    unsigned int type;
    size_t n;

    if ( sc_rec_open(cr, d, f, len, &type, data, &n) )
    {
        if ( memcmp(&before, d, sizeof(before)) != 0 )
            abort();
        return;
    }
    if ( n > SC_REC_MAX_DATA || type < 1 || type > 4 )
        abort();
}

/*
 * sc-dec's reader: the stream fed to a frame_buf in chunks of a size the
 * input picks (so frames split across reads), each whole frame checked to be
 * exactly the next bytes of the stream, then opened.
 */
static void run_stream(const uint8_t *p, size_t n)
{
    static uint8_t buf[FRAME_MAX + 65536];
    struct frame_buf fb;
    struct sc_dir d = out0;
    const uint8_t *f;
    size_t chunk, fed = 0, used = 0, k;
    ssize_t fl;

    if ( n < 1 )
        return;
    chunk = 1 + (size_t)p[0] * 37;
    p++;
    n--;
    if ( ftruncate(mfd, 0) < 0 || lseek(mfd, 0, SEEK_SET) != 0 )
        abort();
    frame_buf_init(&fb, buf, sizeof(buf));
    for ( ;; )
    {
        fl = frame_next(&fb, SC_REC_MAX_BODY, &f);
        if ( fl == FRAME_MORE )
        {
            k = n - fed < chunk ? n - fed : chunk;
            if ( k > 0 && pwrite(mfd, p + fed, k, (off_t)fed) != (ssize_t)k )
                abort();
            fed += k;
            fl = frame_fill(&fb, mfd);
            if ( fl > 0 )
            {
                if ( (size_t)fl != k )
                    abort();
                continue;
            }
            /* The end: only once all is fed, truncated exactly when bytes are left over. */
            if ( fl == FRAME_ERR || fed != n || (fl == FRAME_TRUNC) != (used < n) )
                abort();
            break;
        }
        if ( fl == FRAME_TOOLONG )
        {
            if ( n - used < 2 || ((size_t)p[used] << 8 | p[used + 1]) <= SC_REC_MAX_BODY )
                abort();
            break;                  /* sc-dec: malformed, session ended */
        }
        if ( fl < 2 || (size_t)fl > SC_REC_MAX_FRAME || used + (size_t)fl > n ||
             memcmp(f, p + used, (size_t)fl) != 0 )
            abort();
        used += (size_t)fl;
        if ( sc_frame_body_len(f) < 0 )
            break;                  /* sc-dec: malformed, session ended */
        open_one(&d, f, (size_t)fl);
    }
}

static void run_program(const uint8_t *p, size_t n)
{
    uint8_t f[SC_REC_MAX_FRAME + 8], data[SC_REC_MAX_PT], prev[SC_REC_MAX_FRAME];
    struct sc_dir vmm = out0, cli = out0;
    size_t off = 0, len, plen = 0;
    unsigned int op, type;
    int fl;

    memset(data, 0, sizeof(data));
    while ( off + 3 <= n )
    {
        op = p[off];
        len = (size_t)p[off + 1] << 2 | (p[off + 2] & 3);
        off += 3;
        if ( len > SC_REC_MAX_DATA )
            len = SC_REC_MAX_DATA;
        type = 1 + (op & 3);
        if ( type == SC_REC_CLOSE && len < 1 )
            len = 1;
        if ( type == SC_REC_CHAFF || type == SC_REC_REKEY )
            len = 0;
        fl = sc_rec_seal(cr, &vmm, f, sizeof(f), type, data, len,
                         ((op & 4) && len <= SC_KEYSTROKE_DATA) ? SC_REC_MIN_PT : 0);
        if ( fl < 0 )
            abort();
        switch ( (op >> 3) & 7 )
        {
        case 1:                     /* flip a bit dom0 chose */
            if ( off < n )
                f[p[off] % (size_t)fl] ^= (uint8_t)(1u << (p[off] & 7));
            break;
        case 2:                     /* cut it */
            if ( off < n )
                fl = p[off] % fl;
            break;
        case 3:                     /* send the previous one again */
            if ( plen )
            {
                open_one(&cli, prev, plen);
                continue;
            }
            break;
        case 4:                     /* drop it */
            memcpy(prev, f, (size_t)fl);
            plen = (size_t)fl;
            continue;
        default:
            break;
        }
        memcpy(prev, f, (size_t)fl);
        plen = (size_t)fl;
        open_one(&cli, f, (size_t)fl);
        if ( off < n )
            off++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
    struct sc_identity id;
    struct sc_dir in, out;
    uint8_t sp[SC_PUB_LEN];

    if ( !ready )
        setup();
    if ( n < 1 )
        return 0;
    switch ( p[0] % 3 )
    {
    case 0:
        if ( sc_answer_check(cr, p + 1, n - 1, hello, key, vpub, c, &id, &in, &out, sp) == 0 &&
             (memcmp(&in, &in0, sizeof(in)) != 0 || memcmp(&out, &out0, sizeof(out)) != 0) )
            abort();                /* an answer that checks gives this session's keys */
        break;
    case 1:
        run_stream(p + 1, n - 1);
        break;
    default:
        run_program(p + 1, n - 1);
        break;
    }
    (void)in0;
    return 0;
}
