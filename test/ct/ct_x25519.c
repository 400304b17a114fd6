/* SPDX-License-Identifier: MIT */
/*
 * ct_x25519: constant-time check of X25519 with valgrind memcheck (the
 * ctgrind technique).  The scalar (and, for good measure, the point) are
 * marked undefined; memcheck then reports every branch and every memory
 * index that depends on them.  The results are declassified only after the
 * call, to check them against known answers.
 *
 * Run it as: valgrind --error-exitcode=99 ct_x25519
 * With --leak it branches on a secret byte on purpose, so that a test can
 * see that the harness does catch a leak.  Outside valgrind the client
 * requests do nothing and this is an ordinary test.
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "sccrypt_crypto.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)

static int hexeq(const uint8_t *p, const char *hex)
{
    char s[65];
    int i;

    for ( i = 0; i < 32; i++ )
        snprintf(s + 2 * i, 3, "%02x", p[i]);
    return strcmp(s, hex) == 0;
}

int main(int argc, char **argv)
{
    /* RFC 7748 6.1 */
    static const uint8_t a_sk[32] = {
        0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72,
        0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
        0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a,
    };
    static const uint8_t b_pk[32] = {
        0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61, 0xc2,
        0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78, 0x67, 0x4d,
        0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f,
    };
    uint8_t k[32], u[32], out[32];
    int r, bad = 0, i;

    memcpy(k, a_sk, 32);
    memcpy(u, b_pk, 32);

    if ( argc > 1 && strcmp(argv[1], "--leak") == 0 )
    {
        /*
         * A deliberate secret-dependent branch and table index: memcheck
         * must report both.
         */
        static volatile uint8_t table[256] = { 1 };

        SECRET(k, 32);
        if ( k[0] & 1 )
            puts("ct_x25519: leaking on purpose (odd)");
        else
            puts("ct_x25519: leaking on purpose (even)");
        printf("ct_x25519: table entry %d\n", table[k[1]]);
        PUBLIC(k, 32);
    }

    /* public key: secret scalar */
    SECRET(k, 32);
    sc_x25519_base(out, k);
    PUBLIC(out, 32);
    bad |= !hexeq(out, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");

    /* shared secret: secret scalar and point */
    SECRET(u, 32);
    r = sc_x25519(out, k, u);
    PUBLIC(&r, sizeof(r));
    PUBLIC(out, 32);
    bad |= r != 0;
    bad |= !hexeq(out, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

    /* a low-order point: the all-zero result is found without a branch */
    memset(u, 0, 32);
    SECRET(u, 32);
    r = sc_x25519(out, k, u);
    PUBLIC(&r, sizeof(r));
    PUBLIC(out, 32);
    bad |= r != -1;
    for ( i = 0; i < 32; i++ )
        bad |= out[i] != 0;

    /* two more scalars, the same code path with other bits */
    for ( i = 0; i < 2; i++ )
    {
        memset(k, 0x5a + i * 0x33, 32);
        memcpy(u, b_pk, 32);
        SECRET(k, 32);
        SECRET(u, 32);
        r = sc_x25519(out, k, u);
        PUBLIC(&r, sizeof(r));
        bad |= r != 0;
    }

    PUBLIC(k, 32);
    PUBLIC(u, 32);
    printf("ct_x25519: %s\n", bad ? "WRONG RESULTS" : "results correct");
    return bad ? 1 : 0;
}
