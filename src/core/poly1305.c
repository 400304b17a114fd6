/* SPDX-License-Identifier: MIT */
/*
 * Poly1305 (RFC 8439, section 2.5) with two 64-bit limbs and a small third
 * one, products in unsigned __int128.
 *
 * The accumulator h is kept below about 2^130 + 2^66 ("partially reduced")
 * between blocks, and fully reduced modulo 2^130 - 5 only in final.  Every
 * step is branch-free: carries come from 128-bit additions, the final
 * choice between h and h - p is a mask.
 */
#include "sc_bytes.h"
#include "poly1305.h"
#include "sccrypt_crypto.h"

typedef unsigned __int128 u128;



void sc_poly1305_init(struct sc_poly1305 *st, const uint8_t key[32])
{
    /* Clamp r: r &= 0x0ffffffc0ffffffc0ffffffc0fffffff (section 2.5.1). */
    st->r0 = sc_load64_le(key) & 0x0ffffffc0fffffffULL;
    st->r1 = sc_load64_le(key + 8) & 0x0ffffffc0ffffffcULL;
    st->s0 = sc_load64_le(key + 16);
    st->s1 = sc_load64_le(key + 24);
    st->h0 = 0;
    st->h1 = 0;
    st->h2 = 0;
    st->used = 0;
}

/*
 * h = (h + m[i] + hibit * 2^128) * r, partially reduced, for each 16-byte
 * block of m (nblocks of them).
 */
static void poly1305_blocks(struct sc_poly1305 *st, const uint8_t *m,
                            size_t nblocks, uint64_t hibit)
{
    uint64_t r0 = st->r0, r1 = st->r1;
    /* r1's low 2 bits are clear, so s1 = 5 * r1 / 4 exactly. */
    uint64_t s1 = r1 + (r1 >> 2);
    uint64_t h0 = st->h0, h1 = st->h1, h2 = st->h2;
    uint64_t c;
    u128 d0, d1;

    while ( nblocks-- > 0 )
    {
        /* h += m */
        d0 = (u128)h0 + sc_load64_le(m);
        h0 = (uint64_t)d0;
        d1 = (u128)h1 + (uint64_t)(d0 >> 64) + sc_load64_le(m + 8);
        h1 = (uint64_t)d1;
        h2 += (uint64_t)(d1 >> 64) + hibit;

        /*
         * h *= r: with 2^130 = 5 (mod p), h1 * r1 * 2^128 folds into
         * h1 * (5 * r1 / 4) * 2^0 and h2 * r1 * 2^192 into h2 * s1 * 2^64.
         * h2 is at most 7, so h2 * s1 and h2 * r0 fit 64 bits.
         */
        d0 = (u128)h0 * r0 + (u128)h1 * s1;
        d1 = (u128)h0 * r1 + (u128)h1 * r0 + h2 * s1;
        h2 = h2 * r0;

        /* h = h2 * 2^128 + d1 * 2^64 + d0 */
        h0 = (uint64_t)d0;
        d1 += (uint64_t)(d0 >> 64);
        h1 = (uint64_t)d1;
        h2 += (uint64_t)(d1 >> 64);

        /* Fold the bits from 2^130 up back in: h2 >> 2 times 5. */
        c = (h2 >> 2) + (h2 & ~(uint64_t)3);
        h2 &= 3;
        d0 = (u128)h0 + c;
        h0 = (uint64_t)d0;
        d1 = (u128)h1 + (uint64_t)(d0 >> 64);
        h1 = (uint64_t)d1;
        h2 += (uint64_t)(d1 >> 64);

        m += 16;
    }

    st->h0 = h0;
    st->h1 = h1;
    st->h2 = h2;
}

void sc_poly1305_update(struct sc_poly1305 *st, const uint8_t *m, size_t len)
{
    size_t n, i;

    if ( st->used > 0 )
    {
        n = 16 - st->used;
        if ( n > len )
            n = len;
        for ( i = 0; i < n; i++ )
            st->buf[st->used + i] = m[i];
        st->used += n;
        m += n;
        len -= n;
        if ( st->used < 16 )
            return;
        poly1305_blocks(st, st->buf, 1, 1);
        st->used = 0;
    }

    if ( len >= 16 )
    {
        n = len / 16;
        poly1305_blocks(st, m, n, 1);
        m += 16 * n;
        len -= 16 * n;
    }

    for ( i = 0; i < len; i++ )
        st->buf[i] = m[i];
    st->used = len;
}

void sc_poly1305_final(struct sc_poly1305 *st, uint8_t tag[16])
{
    uint64_t h0, h1, h2, g0, g1, g2, mask;
    u128 t;
    size_t i;

    if ( st->used > 0 )
    {
        /* The last, short block: a 1 byte after it, then zeros; no 2^128. */
        st->buf[st->used] = 1;
        for ( i = st->used + 1; i < 16; i++ )
            st->buf[i] = 0;
        poly1305_blocks(st, st->buf, 1, 0);
    }

    h0 = st->h0;
    h1 = st->h1;
    h2 = st->h2;

    /* g = h + 5 - 2^130: h >= p exactly when g is not negative. */
    t = (u128)h0 + 5;
    g0 = (uint64_t)t;
    t = (u128)h1 + (uint64_t)(t >> 64);
    g1 = (uint64_t)t;
    g2 = h2 + (uint64_t)(t >> 64);

    /* mask is all ones when bit 130 of h + 5 is set, i.e. take g. */
    mask = 0 - (g2 >> 2);
    h0 = (h0 & ~mask) | (g0 & mask);
    h1 = (h1 & ~mask) | (g1 & mask);

    /* tag = (h + s) mod 2^128 */
    t = (u128)h0 + st->s0;
    h0 = (uint64_t)t;
    t = (u128)h1 + st->s1 + (uint64_t)(t >> 64);
    h1 = (uint64_t)t;

    sc_store64_le(tag, h0);
    sc_store64_le(tag + 8, h1);

    sc_wipe(st, sizeof(*st));
}

void sc_poly1305(uint8_t tag[16], const uint8_t *m, size_t len,
                 const uint8_t key[32])
{
    struct sc_poly1305 st;

    sc_poly1305_init(&st, key);
    sc_poly1305_update(&st, m, len);
    sc_poly1305_final(&st, tag);
}
