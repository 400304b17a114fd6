/* SPDX-License-Identifier: MIT */
/*
 * HMAC-SHA256 (RFC 2104, section 2; test vectors in RFC 4231).
 */
#include "sha256.h"
#include "sccrypt_crypto.h"

void sc_hmac_sha256_init(struct sc_hmac_sha256 *st, const uint8_t *key,
                         size_t keylen)
{
    uint8_t k[64], pad[64];
    size_t i;

    /* Keys longer than the block are hashed; shorter ones padded with 0. */
    for ( i = 0; i < 64; i++ )
        k[i] = 0;
    if ( keylen > 64 )
        sc_sha256(k, key, keylen);
    else
        for ( i = 0; i < keylen; i++ )
            k[i] = key[i];

    for ( i = 0; i < 64; i++ )
        pad[i] = k[i] ^ 0x36;
    sc_sha256_init(&st->inner);
    sc_sha256_update(&st->inner, pad, 64);

    for ( i = 0; i < 64; i++ )
        pad[i] = k[i] ^ 0x5c;
    sc_sha256_init(&st->outer);
    sc_sha256_update(&st->outer, pad, 64);

    sc_wipe(k, sizeof(k));
    sc_wipe(pad, sizeof(pad));
}

void sc_hmac_sha256_update(struct sc_hmac_sha256 *st, const uint8_t *m,
                           size_t len)
{
    sc_sha256_update(&st->inner, m, len);
}

void sc_hmac_sha256_final(struct sc_hmac_sha256 *st, uint8_t out[32])
{
    uint8_t ih[32];

    sc_sha256_final(&st->inner, ih);
    sc_sha256_update(&st->outer, ih, 32);
    sc_sha256_final(&st->outer, out);
    sc_wipe(ih, sizeof(ih));
    sc_wipe(st, sizeof(*st));
}

void sc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen,
                    const uint8_t *m, size_t len)
{
    struct sc_hmac_sha256 st;

    sc_hmac_sha256_init(&st, key, keylen);
    sc_hmac_sha256_update(&st, m, len);
    sc_hmac_sha256_final(&st, out);
}
