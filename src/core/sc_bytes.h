/* SPDX-License-Identifier: MIT */
/*
 * Byte order and copying for the core: one definition of each, inline, so
 * the freestanding code needs no libc and the compiler sees through them.
 */
#ifndef SC_BYTES_H
#define SC_BYTES_H

#include "sc_types.h"

static inline uint32_t sc_load32_le(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
           ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t sc_load64_le(const uint8_t *p)
{
    return (uint64_t)sc_load32_le(p) | ((uint64_t)sc_load32_le(p + 4) << 32);
}

static inline void sc_store32_le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void sc_store64_le(uint8_t *p, uint64_t v)
{
    sc_store32_le(p, (uint32_t)v);
    sc_store32_le(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t sc_load16_be(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t sc_load32_be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t sc_load64_be(const uint8_t *p)
{
    return ((uint64_t)sc_load32_be(p) << 32) | sc_load32_be(p + 4);
}

static inline void sc_store16_be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void sc_store32_be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void sc_store64_be(uint8_t *p, uint64_t v)
{
    sc_store32_be(p, (uint32_t)(v >> 32));
    sc_store32_be(p + 4, (uint32_t)v);
}

/* A byte copy for buffers that may hold secrets or live in guest-shared memory. */
static inline void sc_copy(uint8_t *d, const uint8_t *s, size_t n)
{
    size_t i;

    for ( i = 0; i < n; i++ )
        d[i] = s[i];
}

#endif /* SC_BYTES_H */
