/* SPDX-License-Identifier: MIT */
/*
 * poly1305.h: the Poly1305 one-time authenticator (RFC 8439, section 2.5),
 * private to the core (the AEAD and the self-test use it).
 */
#ifndef SC_POLY1305_H
#define SC_POLY1305_H

#include "sc_types.h"

/* State: r and s of the key, the accumulator h, and a partial block. */
struct sc_poly1305
{
    uint64_t r0, r1;            /* clamped r, little-endian halves */
    uint64_t s0, s1;            /* s, added at the end */
    uint64_t h0, h1, h2;        /* accumulator, partially reduced */
    uint8_t buf[16];            /* a partial block */
    size_t used;                /* bytes in buf, 0..15 */
};

/* Starts a MAC under the 32-byte one-time key (r, then s). */
void sc_poly1305_init(struct sc_poly1305 *st, const uint8_t key[32]);

/* Feeds len bytes at m. */
void sc_poly1305_update(struct sc_poly1305 *st, const uint8_t *m, size_t len);

/* Writes the 16-byte tag and wipes the state. */
void sc_poly1305_final(struct sc_poly1305 *st, uint8_t tag[16]);

/* One call: the 16-byte tag of len bytes at m under the 32-byte key. */
void sc_poly1305(uint8_t tag[16], const uint8_t *m, size_t len,
                 const uint8_t key[32]);

#endif /* SC_POLY1305_H */
