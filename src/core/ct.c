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

void sc_wipe(void *p, size_t len)
{
    volatile uint8_t *v = p;
    size_t i;

    for ( i = 0; i < len; i++ )
        v[i] = 0;
    /* Tell the compiler the zeroed memory is used, so no store is dropped. */
    __asm__ __volatile__ ( "" : : "r" (p) : "memory" );
}
