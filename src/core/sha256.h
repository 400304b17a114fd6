/* SPDX-License-Identifier: MIT */
/*
 * sha256.h: incremental SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104),
 * private to the core (HMAC, HKDF and the protocol code use them).
 */
#ifndef SC_SHA256_H
#define SC_SHA256_H

#include "sc_types.h"

struct sc_sha256
{
    uint32_t h[8];              /* chaining value */
    uint64_t len;               /* bytes hashed so far */
    uint8_t buf[64];            /* a partial block */
    size_t used;                /* bytes in buf, 0..63 */
};

/* Starts a SHA-256 hash (FIPS 180-4, section 5.3.3). */
void sc_sha256_init(struct sc_sha256 *st);
/* Feeds len bytes at m (any split gives the same digest). */
void sc_sha256_update(struct sc_sha256 *st, const uint8_t *m, size_t len);
/* Pads (section 5.1.1), writes the 32-byte digest and wipes the state. */
void sc_sha256_final(struct sc_sha256 *st, uint8_t out[32]);

struct sc_hmac_sha256
{
    struct sc_sha256 inner;     /* after key ^ ipad */
    struct sc_sha256 outer;     /* after key ^ opad */
};

/*
 * Starts an HMAC (RFC 2104, section 2) under a key of keylen bytes (any
 * length).  A started state may be copied to MAC several messages under one
 * key (HKDF's expand does).
 */
void sc_hmac_sha256_init(struct sc_hmac_sha256 *st, const uint8_t *key,
                         size_t keylen);
/* Feeds len bytes at m. */
void sc_hmac_sha256_update(struct sc_hmac_sha256 *st, const uint8_t *m,
                           size_t len);
/* Writes the 32-byte MAC and wipes the state. */
void sc_hmac_sha256_final(struct sc_hmac_sha256 *st, uint8_t out[32]);

#endif /* SC_SHA256_H */
