/* SPDX-License-Identifier: MIT */
/*
 * X25519 (RFC 7748, section 5): a Montgomery ladder over GF(2^255 - 19).
 *
 * Field elements are five 51-bit limbs in uint64_t, products in unsigned
 * __int128.  Limbs may exceed 51 bits between operations ("loose"): fe_add
 * and fe_sub do not carry, fe_mul and fe_sq accept limbs below 2^56 and
 * return limbs below 2^52.  Only fe_tobytes reduces fully.
 *
 * Constant time: the ladder does the same operations for every scalar bit,
 * and swaps with a mask (fe_cswap); there is no table lookup, and the only
 * data-dependent result, "the output is all zero", is computed without a
 * branch.
 */
#include "sc_bytes.h"
#include "sccrypt_crypto.h"

typedef unsigned __int128 u128;
typedef uint64_t fe[5];

#define MASK51 (((uint64_t)1 << 51) - 1)



/* Decodes a little-endian u-coordinate, ignoring bit 255 (section 5). */
static void fe_frombytes(fe h, const uint8_t s[32])
{
    uint64_t a = sc_load64_le(s), b = sc_load64_le(s + 8);
    uint64_t c = sc_load64_le(s + 16), d = sc_load64_le(s + 24);

    h[0] = a & MASK51;
    h[1] = ((a >> 51) | (b << 13)) & MASK51;
    h[2] = ((b >> 38) | (c << 26)) & MASK51;
    h[3] = ((c >> 25) | (d << 39)) & MASK51;
    h[4] = (d >> 12) & MASK51;
}

/* Carries once through the limbs, folding the top carry back times 19. */
static inline void fe_carry(fe h)
{
    uint64_t c;

    c = h[0] >> 51;
    h[0] &= MASK51;
    h[1] += c;
    c = h[1] >> 51;
    h[1] &= MASK51;
    h[2] += c;
    c = h[2] >> 51;
    h[2] &= MASK51;
    h[3] += c;
    c = h[3] >> 51;
    h[3] &= MASK51;
    h[4] += c;
    c = h[4] >> 51;
    h[4] &= MASK51;
    h[0] += 19 * c;
}

/* Encodes h fully reduced modulo p, little-endian (section 5). */
static void fe_tobytes(uint8_t s[32], const fe f)
{
    fe h;
    uint64_t q;

    h[0] = f[0];
    h[1] = f[1];
    h[2] = f[2];
    h[3] = f[3];
    h[4] = f[4];
    fe_carry(h);
    fe_carry(h);
    /* Now h < 2^255 + 2^13: q = 1 exactly when h >= p. */
    q = (h[0] + 19) >> 51;
    q = (h[1] + q) >> 51;
    q = (h[2] + q) >> 51;
    q = (h[3] + q) >> 51;
    q = (h[4] + q) >> 51;
    /* h - q * p = h + 19 * q - q * 2^255 */
    h[0] += 19 * q;
    q = h[0] >> 51;
    h[0] &= MASK51;
    h[1] += q;
    q = h[1] >> 51;
    h[1] &= MASK51;
    h[2] += q;
    q = h[2] >> 51;
    h[2] &= MASK51;
    h[3] += q;
    q = h[3] >> 51;
    h[3] &= MASK51;
    h[4] += q;
    h[4] &= MASK51;

    sc_store64_le(s, h[0] | (h[1] << 51));
    sc_store64_le(s + 8, (h[1] >> 13) | (h[2] << 38));
    sc_store64_le(s + 16, (h[2] >> 26) | (h[3] << 25));
    sc_store64_le(s + 24, (h[3] >> 39) | (h[4] << 12));
    sc_wipe(h, sizeof(h));
}

static inline void fe_copy(fe h, const fe f)
{
    h[0] = f[0];
    h[1] = f[1];
    h[2] = f[2];
    h[3] = f[3];
    h[4] = f[4];
}

/* h = n, for a small n */
static inline void fe_set(fe h, uint64_t n)
{
    h[0] = n;
    h[1] = 0;
    h[2] = 0;
    h[3] = 0;
    h[4] = 0;
}

static inline void fe_add(fe h, const fe f, const fe g)
{
    h[0] = f[0] + g[0];
    h[1] = f[1] + g[1];
    h[2] = f[2] + g[2];
    h[3] = f[3] + g[3];
    h[4] = f[4] + g[4];
}

/* h = f - g + 4p, for g with limbs below 2^53 (outputs of fe_mul). */
static inline void fe_sub(fe h, const fe f, const fe g)
{
    h[0] = (f[0] + 0x1fffffffffffb4ULL) - g[0];
    h[1] = (f[1] + 0x1ffffffffffffcULL) - g[1];
    h[2] = (f[2] + 0x1ffffffffffffcULL) - g[2];
    h[3] = (f[3] + 0x1ffffffffffffcULL) - g[3];
    h[4] = (f[4] + 0x1ffffffffffffcULL) - g[4];
}

/* Reduces five 128-bit column sums into h. */
static inline void fe_reduce128(fe h, u128 t0, u128 t1, u128 t2, u128 t3,
                                u128 t4)
{
    uint64_t c;

    t1 += (uint64_t)(t0 >> 51);
    h[0] = (uint64_t)t0 & MASK51;
    t2 += (uint64_t)(t1 >> 51);
    h[1] = (uint64_t)t1 & MASK51;
    t3 += (uint64_t)(t2 >> 51);
    h[2] = (uint64_t)t2 & MASK51;
    t4 += (uint64_t)(t3 >> 51);
    h[3] = (uint64_t)t3 & MASK51;
    c = (uint64_t)(t4 >> 51);
    h[4] = (uint64_t)t4 & MASK51;
    h[0] += c * 19;
    c = h[0] >> 51;
    h[0] &= MASK51;
    h[1] += c;
}

static void fe_mul(fe h, const fe f, const fe g)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4];
    uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3;
    uint64_t g4_19 = 19 * g4;
    u128 t0, t1, t2, t3, t4;

    t0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 +
         (u128)f3 * g2_19 + (u128)f4 * g1_19;
    t1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 +
         (u128)f3 * g3_19 + (u128)f4 * g2_19;
    t2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 +
         (u128)f3 * g4_19 + (u128)f4 * g3_19;
    t3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 +
         (u128)f3 * g0 + (u128)f4 * g4_19;
    t4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 +
         (u128)f3 * g1 + (u128)f4 * g0;

    fe_reduce128(h, t0, t1, t2, t3, t4);
}

static void fe_sq(fe h, const fe f)
{
    uint64_t f0 = f[0], f1 = f[1], f2 = f[2], f3 = f[3], f4 = f[4];
    uint64_t f0_2 = 2 * f0, f1_2 = 2 * f1;
    uint64_t f1_38 = 38 * f1, f2_38 = 38 * f2, f3_38 = 38 * f3;
    uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;
    u128 t0, t1, t2, t3, t4;

    t0 = (u128)f0 * f0 + (u128)f1_38 * f4 + (u128)f2_38 * f3;
    t1 = (u128)f0_2 * f1 + (u128)f2_38 * f4 + (u128)f3_19 * f3;
    t2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_38 * f4;
    t3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4_19 * f4;
    t4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;

    fe_reduce128(h, t0, t1, t2, t3, t4);
}

/* h = f^(2^n) */
static void fe_sqn(fe h, const fe f, int n)
{
    int i;

    fe_sq(h, f);
    for ( i = 1; i < n; i++ )
        fe_sq(h, h);
}

/* h = 121665 * f (a24 of section 5) */
static inline void fe_mul_a24(fe h, const fe f)
{
    u128 t0 = (u128)f[0] * 121665, t1 = (u128)f[1] * 121665;
    u128 t2 = (u128)f[2] * 121665, t3 = (u128)f[3] * 121665;
    u128 t4 = (u128)f[4] * 121665;

    fe_reduce128(h, t0, t1, t2, t3, t4);
}

/* Swaps f and g when bit is 1, leaves them when 0, without a branch. */
static inline void fe_cswap(fe f, fe g, uint64_t bit)
{
    uint64_t mask = 0 - bit, x;
    int i;

    for ( i = 0; i < 5; i++ )
    {
        x = mask & (f[i] ^ g[i]);
        f[i] ^= x;
        g[i] ^= x;
    }
}

/* h = z^(p - 2) = z^-1 (z = 0 gives 0), by the usual addition chain. */
static void fe_invert(fe h, const fe z)
{
    fe z2, z9, z11, z2_5_0, z2_10_0, z2_20_0, z2_50_0, z2_100_0, t;

    fe_sq(z2, z);                       /* 2 */
    fe_sqn(t, z2, 2);                   /* 8 */
    fe_mul(z9, t, z);                   /* 9 */
    fe_mul(z11, z9, z2);                /* 11 */
    fe_sq(t, z11);                      /* 22 */
    fe_mul(z2_5_0, t, z9);              /* 2^5 - 2^0 */
    fe_sqn(t, z2_5_0, 5);
    fe_mul(z2_10_0, t, z2_5_0);         /* 2^10 - 2^0 */
    fe_sqn(t, z2_10_0, 10);
    fe_mul(z2_20_0, t, z2_10_0);        /* 2^20 - 2^0 */
    fe_sqn(t, z2_20_0, 20);
    fe_mul(t, t, z2_20_0);              /* 2^40 - 2^0 */
    fe_sqn(t, t, 10);
    fe_mul(z2_50_0, t, z2_10_0);        /* 2^50 - 2^0 */
    fe_sqn(t, z2_50_0, 50);
    fe_mul(z2_100_0, t, z2_50_0);       /* 2^100 - 2^0 */
    fe_sqn(t, z2_100_0, 100);
    fe_mul(t, t, z2_100_0);             /* 2^200 - 2^0 */
    fe_sqn(t, t, 50);
    fe_mul(t, t, z2_50_0);              /* 2^250 - 2^0 */
    fe_sqn(t, t, 5);                    /* 2^255 - 2^5 */
    fe_mul(h, t, z11);                  /* 2^255 - 21 = p - 2 */

    sc_wipe(z2, sizeof(z2));
    sc_wipe(z9, sizeof(z9));
    sc_wipe(z11, sizeof(z11));
    sc_wipe(z2_5_0, sizeof(z2_5_0));
    sc_wipe(z2_10_0, sizeof(z2_10_0));
    sc_wipe(z2_20_0, sizeof(z2_20_0));
    sc_wipe(z2_50_0, sizeof(z2_50_0));
    sc_wipe(z2_100_0, sizeof(z2_100_0));
    sc_wipe(t, sizeof(t));
}

int sc_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
    uint8_t e[32];
    fe x1, x2, z2, x3, z3, a, aa, b, bb, ee, c, d, da, cb;
    uint64_t swap = 0, bit;
    uint32_t zero = 0;
    int i, pos;

    /* decodeScalar25519 (section 5): clamp a copy. */
    for ( i = 0; i < 32; i++ )
        e[i] = scalar[i];
    e[0] &= 248;
    e[31] &= 127;
    e[31] |= 64;

    fe_frombytes(x1, point);
    fe_set(x2, 1);
    fe_set(z2, 0);
    fe_copy(x3, x1);
    fe_set(z3, 1);

    /* The ladder of section 5, bit 254 down to bit 0. */
    for ( pos = 254; pos >= 0; pos-- )
    {
        bit = (e[pos >> 3] >> (pos & 7)) & 1;
        swap ^= bit;
        fe_cswap(x2, x3, swap);
        fe_cswap(z2, z3, swap);
        swap = bit;

        fe_add(a, x2, z2);              /* A = x_2 + z_2 */
        fe_sq(aa, a);                   /* AA = A^2 */
        fe_sub(b, x2, z2);              /* B = x_2 - z_2 */
        fe_sq(bb, b);                   /* BB = B^2 */
        fe_sub(ee, aa, bb);             /* E = AA - BB */
        fe_add(c, x3, z3);              /* C = x_3 + z_3 */
        fe_sub(d, x3, z3);              /* D = x_3 - z_3 */
        fe_mul(da, d, a);               /* DA = D * A */
        fe_mul(cb, c, b);               /* CB = C * B */
        fe_add(x3, da, cb);
        fe_sq(x3, x3);                  /* x_3 = (DA + CB)^2 */
        fe_sub(z3, da, cb);
        fe_sq(z3, z3);
        fe_mul(z3, z3, x1);             /* z_3 = x_1 * (DA - CB)^2 */
        fe_mul(x2, aa, bb);             /* x_2 = AA * BB */
        fe_mul_a24(z2, ee);
        fe_add(z2, z2, aa);
        fe_mul(z2, z2, ee);             /* z_2 = E * (AA + a24 * E) */
    }
    fe_cswap(x2, x3, swap);
    fe_cswap(z2, z3, swap);

    /* x_2 * z_2^(p - 2) */
    fe_invert(z2, z2);
    fe_mul(x2, x2, z2);
    fe_tobytes(out, x2);

    for ( i = 0; i < 32; i++ )
        zero |= out[i];

    sc_wipe(e, sizeof(e));
    sc_wipe(x1, sizeof(x1));
    sc_wipe(x2, sizeof(x2));
    sc_wipe(z2, sizeof(z2));
    sc_wipe(x3, sizeof(x3));
    sc_wipe(z3, sizeof(z3));
    sc_wipe(a, sizeof(a));
    sc_wipe(aa, sizeof(aa));
    sc_wipe(b, sizeof(b));
    sc_wipe(bb, sizeof(bb));
    sc_wipe(ee, sizeof(ee));
    sc_wipe(c, sizeof(c));
    sc_wipe(d, sizeof(d));
    sc_wipe(da, sizeof(da));
    sc_wipe(cb, sizeof(cb));

    /* -1 when out is all zero: (zero - 1) >> 8 is 1 only for zero == 0. */
    return -(int)(((zero - 1) >> 8) & 1);
}

void sc_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    static const uint8_t nine[32] = { 9 };

    /* The result is never zero for a clamped scalar and u = 9. */
    (void)sc_x25519(out, scalar, nine);
}
