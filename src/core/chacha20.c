/* SPDX-License-Identifier: MIT */
/*
 * ChaCha20 (RFC 8439, sections 2.1 to 2.4), portable scalar code.
 *
 * One block at a time, with the state in sixteen 32-bit locals; full blocks
 * are XORed a 32-bit word at a time.  Nothing here depends on the key or the
 * data for a branch or an address.
 */
#include "sc_bytes.h"
#include "chacha20.h"
#include "sccrypt_crypto.h"



#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))

/* The quarter round (RFC 8439, section 2.1). */
#define QR(a, b, c, d)                          \
    do {                                        \
        a += b; d ^= a; d = ROTL32(d, 16);      \
        c += d; b ^= c; b = ROTL32(b, 12);      \
        a += b; d ^= a; d = ROTL32(d, 8);       \
        c += d; b ^= c; b = ROTL32(b, 7);       \
    } while ( 0 )

/* "expand 32-byte k" (RFC 8439, section 2.3) */
#define SIGMA0 0x61707865U
#define SIGMA1 0x3320646eU
#define SIGMA2 0x79622d32U
#define SIGMA3 0x6b206574U

/*
 * The keystream block of state j (16 words, j[12] the counter) into x: 20
 * rounds (10 column and 10 diagonal rounds), then the input added.
 */
static void chacha20_core(uint32_t x[16], const uint32_t j[16])
{
    uint32_t x0 = j[0], x1 = j[1], x2 = j[2], x3 = j[3];
    uint32_t x4 = j[4], x5 = j[5], x6 = j[6], x7 = j[7];
    uint32_t x8 = j[8], x9 = j[9], x10 = j[10], x11 = j[11];
    uint32_t x12 = j[12], x13 = j[13], x14 = j[14], x15 = j[15];
    int i;

    for ( i = 0; i < 10; i++ )
    {
        QR(x0, x4, x8, x12);
        QR(x1, x5, x9, x13);
        QR(x2, x6, x10, x14);
        QR(x3, x7, x11, x15);
        QR(x0, x5, x10, x15);
        QR(x1, x6, x11, x12);
        QR(x2, x7, x8, x13);
        QR(x3, x4, x9, x14);
    }

    x[0] = x0 + j[0];
    x[1] = x1 + j[1];
    x[2] = x2 + j[2];
    x[3] = x3 + j[3];
    x[4] = x4 + j[4];
    x[5] = x5 + j[5];
    x[6] = x6 + j[6];
    x[7] = x7 + j[7];
    x[8] = x8 + j[8];
    x[9] = x9 + j[9];
    x[10] = x10 + j[10];
    x[11] = x11 + j[11];
    x[12] = x12 + j[12];
    x[13] = x13 + j[13];
    x[14] = x14 + j[14];
    x[15] = x15 + j[15];
}

/* The initial state (RFC 8439, section 2.3). */
static void chacha20_init(uint32_t j[16], const uint8_t key[32],
                          uint32_t counter, const uint8_t nonce[12])
{
    int i;

    j[0] = SIGMA0;
    j[1] = SIGMA1;
    j[2] = SIGMA2;
    j[3] = SIGMA3;
    for ( i = 0; i < 8; i++ )
        j[4 + i] = sc_load32_le(key + 4 * i);
    j[12] = counter;
    j[13] = sc_load32_le(nonce);
    j[14] = sc_load32_le(nonce + 4);
    j[15] = sc_load32_le(nonce + 8);
}

void sc_chacha20_block(uint8_t out[64], const uint8_t key[32], uint32_t counter,
                       const uint8_t nonce[12])
{
    uint32_t j[16], x[16];
    int i;

    chacha20_init(j, key, counter, nonce);
    chacha20_core(x, j);
    for ( i = 0; i < 16; i++ )
        sc_store32_le(out + 4 * i, x[i]);
    sc_wipe(j, sizeof(j));
    sc_wipe(x, sizeof(x));
}

void sc_chacha20_xor_masked(uint8_t *out, const uint8_t *in, size_t len,
                            const uint8_t key[32], uint32_t counter,
                            const uint8_t nonce[12], uint64_t mask)
{
    uint32_t j[16], x[16];
    uint32_t m32 = (uint32_t)mask;
    uint8_t m8 = (uint8_t)mask;
    size_t i;

    chacha20_init(j, key, counter, nonce);

    while ( len >= 64 )
    {
        chacha20_core(x, j);
        for ( i = 0; i < 16; i++ )
            sc_store32_le(out + 4 * i,
                       (sc_load32_le(in + 4 * i) ^ x[i]) & m32);
        j[12]++;
        in += 64;
        out += 64;
        len -= 64;
    }

    if ( len > 0 )
    {
        chacha20_core(x, j);
        for ( i = 0; i < len; i++ )
            out[i] = (uint8_t)((in[i] ^ (uint8_t)(x[i / 4] >> (8 * (i % 4)))) &
                               m8);
    }

    sc_wipe(j, sizeof(j));
    sc_wipe(x, sizeof(x));
}

void sc_chacha20_xor(uint8_t *out, const uint8_t *in, size_t len,
                     const uint8_t key[32], uint32_t counter,
                     const uint8_t nonce[12])
{
    sc_chacha20_xor_masked(out, in, len, key, counter, nonce, ~(uint64_t)0);
}
