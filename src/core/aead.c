/* SPDX-License-Identifier: MIT */
/*
 * The ChaCha20-Poly1305 AEAD (RFC 8439, section 2.8).
 *
 * The Poly1305 key is the first 32 bytes of ChaCha20 block 0 (section 2.6);
 * the data is encrypted from block 1 on; the tag covers
 * ad | pad16 | ciphertext | pad16 | le64(adlen) | le64(ctlen).
 *
 * open computes the tag first and compares it in constant time; the result
 * becomes a mask (all ones or zero) that is ANDed into every output byte of
 * the decryption.  A forgery therefore writes ctlen zero bytes, no
 * plaintext ever exists, and nothing branches on the comparison.
 */
#include "sc_bytes.h"
#include "sccrypt_crypto.h"
#include "chacha20.h"
#include "poly1305.h"

static const uint8_t zeros[16];


/* The tag of section 2.8 over ad and the ciphertext c, under otk. */
static void aead_tag(uint8_t tag[16], const uint8_t otk[32],
                     const uint8_t *ad, size_t adlen,
                     const uint8_t *c, size_t clen)
{
    struct sc_poly1305 st;
    uint8_t lens[16];

    sc_poly1305_init(&st, otk);
    sc_poly1305_update(&st, ad, adlen);
    sc_poly1305_update(&st, zeros, (16 - (adlen % 16)) % 16);
    sc_poly1305_update(&st, c, clen);
    sc_poly1305_update(&st, zeros, (16 - (clen % 16)) % 16);
    sc_store64_le(lens, (uint64_t)adlen);
    sc_store64_le(lens + 8, (uint64_t)clen);
    sc_poly1305_update(&st, lens, 16);
    sc_poly1305_final(&st, tag);
}

/* The one-time Poly1305 key (section 2.6): block 0, first 32 bytes. */
static void aead_otk(uint8_t otk[32], const uint8_t key[32],
                     const uint8_t nonce[12])
{
    uint8_t block[64];
    int i;

    sc_chacha20_block(block, key, 0, nonce);
    for ( i = 0; i < 32; i++ )
        otk[i] = block[i];
    sc_wipe(block, sizeof(block));
}

void sc_chacha20_poly1305_seal(uint8_t *ct, uint8_t tag[16], const uint8_t key[32],
        const uint8_t nonce[12], const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen)
{
    uint8_t otk[32];

    aead_otk(otk, key, nonce);
    sc_chacha20_xor(ct, pt, ptlen, key, 1, nonce);
    aead_tag(tag, otk, ad, adlen, ct, ptlen);
    sc_wipe(otk, sizeof(otk));
}

int sc_chacha20_poly1305_open(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
        const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen, const uint8_t tag[16])
{
    uint8_t otk[32], mine[16];
    uint64_t ok;

    aead_otk(otk, key, nonce);
    aead_tag(mine, otk, ad, adlen, ct, ctlen);
    ok = (uint64_t)sc_ct_equal(mine, tag, 16);      /* 1 or 0 */

    /* Decrypt ANDed with all ones when authentic, zero when forged. */
    sc_chacha20_xor_masked(pt, ct, ctlen, key, 1, nonce, 0 - ok);

    sc_wipe(otk, sizeof(otk));
    sc_wipe(mine, sizeof(mine));
    return (int)ok - 1;
}
