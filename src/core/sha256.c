/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4, sections 4.1.2, 4.2.2, 5 and 6.2).
 */
#include "sc_bytes.h"
#include "sha256.h"
#include "sccrypt_crypto.h"

static const uint32_t K[64] = {
    0x428a2f98U, 0x71374491U, 0xb5c0fbcfU, 0xe9b5dba5U,
    0x3956c25bU, 0x59f111f1U, 0x923f82a4U, 0xab1c5ed5U,
    0xd807aa98U, 0x12835b01U, 0x243185beU, 0x550c7dc3U,
    0x72be5d74U, 0x80deb1feU, 0x9bdc06a7U, 0xc19bf174U,
    0xe49b69c1U, 0xefbe4786U, 0x0fc19dc6U, 0x240ca1ccU,
    0x2de92c6fU, 0x4a7484aaU, 0x5cb0a9dcU, 0x76f988daU,
    0x983e5152U, 0xa831c66dU, 0xb00327c8U, 0xbf597fc7U,
    0xc6e00bf3U, 0xd5a79147U, 0x06ca6351U, 0x14292967U,
    0x27b70a85U, 0x2e1b2138U, 0x4d2c6dfcU, 0x53380d13U,
    0x650a7354U, 0x766a0abbU, 0x81c2c92eU, 0x92722c85U,
    0xa2bfe8a1U, 0xa81a664bU, 0xc24b8b70U, 0xc76c51a3U,
    0xd192e819U, 0xd6990624U, 0xf40e3585U, 0x106aa070U,
    0x19a4c116U, 0x1e376c08U, 0x2748774cU, 0x34b0bcb5U,
    0x391c0cb3U, 0x4ed8aa4aU, 0x5b9cca4fU, 0x682e6ff3U,
    0x748f82eeU, 0x78a5636fU, 0x84c87814U, 0x8cc70208U,
    0x90befffaU, 0xa4506cebU, 0xbef9a3f7U, 0xc67178f2U,
};

static const uint32_t H0[8] = {
    0x6a09e667U, 0xbb67ae85U, 0x3c6ef372U, 0xa54ff53aU,
    0x510e527fU, 0x9b05688cU, 0x1f83d9abU, 0x5be0cd19U,
};

#define ROTR32(v, n) (((v) >> (n)) | ((v) << (32 - (n))))
#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)     (ROTR32(x, 2) ^ ROTR32(x, 13) ^ ROTR32(x, 22))
#define BSIG1(x)     (ROTR32(x, 6) ^ ROTR32(x, 11) ^ ROTR32(x, 25))
#define SSIG0(x)     (ROTR32(x, 7) ^ ROTR32(x, 18) ^ ((x) >> 3))
#define SSIG1(x)     (ROTR32(x, 17) ^ ROTR32(x, 19) ^ ((x) >> 10))



/* The compression function over nblocks 64-byte blocks (section 6.2.2). */
static void sha256_blocks(uint32_t h[8], const uint8_t *m, size_t nblocks)
{
    uint32_t w[16];
    uint32_t a, b, c, d, e, f, g, hh, t1, t2;
    int i;

    while ( nblocks-- > 0 )
    {
        a = h[0];
        b = h[1];
        c = h[2];
        d = h[3];
        e = h[4];
        f = h[5];
        g = h[6];
        hh = h[7];

        for ( i = 0; i < 64; i++ )
        {
            if ( i < 16 )
                w[i] = sc_load32_be(m + 4 * i);
            else
                w[i & 15] += SSIG1(w[(i - 2) & 15]) + w[(i - 7) & 15] +
                             SSIG0(w[(i - 15) & 15]);
            t1 = hh + BSIG1(e) + CH(e, f, g) + K[i] + w[i & 15];
            t2 = BSIG0(a) + MAJ(a, b, c);
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }

        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
        m += 64;
    }

    sc_wipe(w, sizeof(w));
}

void sc_sha256_init(struct sc_sha256 *st)
{
    int i;

    for ( i = 0; i < 8; i++ )
        st->h[i] = H0[i];
    st->len = 0;
    st->used = 0;
}

void sc_sha256_update(struct sc_sha256 *st, const uint8_t *m, size_t len)
{
    size_t n, i;

    st->len += len;

    if ( st->used > 0 )
    {
        n = 64 - st->used;
        if ( n > len )
            n = len;
        for ( i = 0; i < n; i++ )
            st->buf[st->used + i] = m[i];
        st->used += n;
        m += n;
        len -= n;
        if ( st->used < 64 )
            return;
        sha256_blocks(st->h, st->buf, 1);
        st->used = 0;
    }

    if ( len >= 64 )
    {
        n = len / 64;
        sha256_blocks(st->h, m, n);
        m += 64 * n;
        len -= 64 * n;
    }

    for ( i = 0; i < len; i++ )
        st->buf[i] = m[i];
    st->used = len;
}

void sc_sha256_final(struct sc_sha256 *st, uint8_t out[32])
{
    uint64_t bits = st->len * 8;
    size_t i;

    /* Padding (section 5.1.1): 0x80, zeros, the 64-bit big-endian length. */
    st->buf[st->used++] = 0x80;
    if ( st->used > 56 )
    {
        for ( i = st->used; i < 64; i++ )
            st->buf[i] = 0;
        sha256_blocks(st->h, st->buf, 1);
        st->used = 0;
    }
    for ( i = st->used; i < 56; i++ )
        st->buf[i] = 0;
    for ( i = 0; i < 8; i++ )
        st->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_blocks(st->h, st->buf, 1);

    for ( i = 0; i < 8; i++ )
        sc_store32_be(out + 4 * i, st->h[i]);

    sc_wipe(st, sizeof(*st));
}

void sc_sha256(uint8_t out[32], const uint8_t *m, size_t len)
{
    struct sc_sha256 st;

    sc_sha256_init(&st);
    sc_sha256_update(&st, m, len);
    sc_sha256_final(&st, out);
}
