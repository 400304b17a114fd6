/* SPDX-License-Identifier: MIT */
/*
 * Constant-time comparison and a wipe the compiler cannot remove.
 */
#include "sccrypt_crypto.h"

int sc_ct_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *pa = a;
    const volatile uint8_t *pb = b;
    uint32_t d = 0;
    size_t i;

    for ( i = 0; i < len; i++ )
        d |= pa[i] ^ pb[i];

    /* d is 0..255: (d - 1) >> 8 is 1 exactly when d == 0, without a branch. */
    return (int)(((d - 1) >> 8) & 1);
}

/* A word the compiler may not assume is free of other types' data. */
typedef uint64_t __attribute__((__may_alias__)) sc_wipe_word;

void sc_wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;

    /* Bytes up to an 8-byte boundary, then aligned words, then the tail. */
    for ( ; len && ((unsigned long)v & 7); len-- )
        *v++ = 0;
    for ( ; len >= 8; len -= 8, v += 8 )
        *(volatile sc_wipe_word *)v = 0;
    for ( ; len; len-- )
        *v++ = 0;
    /* Tell the compiler the zeroed memory is used, so no store is dropped. */
    __asm__ __volatile__ ( "" : : "r" (p) : "memory" );
}
