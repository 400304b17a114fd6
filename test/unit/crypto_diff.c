/* SPDX-License-Identifier: MIT */
/*
 * crypto_diff: the core against OpenSSL libcrypto on random inputs.
 *
 *   AEAD      every plaintext length 0..1100 and 200 random lengths up to
 *             70000, each with random AD (0..64 bytes): our seal equals
 *             OpenSSL's, our open opens OpenSSL's output, OpenSSL opens
 *             ours, and both work in place.  On a few messages, every
 *             single-bit flip of ciphertext, tag, AD and nonce is refused
 *             and leaves the plaintext buffer all zero.
 *   SHA-256   3000 random lengths, one call and in random pieces
 *   HMAC      3000 random key and message lengths
 *   HKDF      2000 random salt/IKM/info lengths and output lengths
 *   X25519    3000 random scalars and points (EVP_PKEY_derive) and base
 *             point multiplications (EVP_PKEY_get_raw_public_key); the
 *             low-order points give -1 and all zero
 *
 * The PRNG seed is the first argument, else taken from the clock; it is
 * printed with every failure and in the summary, so that a failure can be
 * replayed.  Exits 0 when all agree, else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "sccrypt_crypto.h"
#include "sha256.h"

static unsigned long long seed, rng_state;
static long checks, failures;

/* splitmix64 */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
    return (size_t)(rnd() % n);
}

static void rnd_bytes(uint8_t *p, size_t len)
{
    size_t i;

    for ( i = 0; i < len; i++ )
        p[i] = (uint8_t)rnd();
}

static void fail(const char *what, long a, long b, const char *why)
{
    failures++;
    fprintf(stderr, "FAIL (seed %llu) %s (%ld, %ld)%s%s\n", seed, what, a, b,
            why ? ": " : "", why ? why : "");
    if ( failures > 20 )
    {
        fprintf(stderr, "too many failures, stopping (seed %llu)\n", seed);
        exit(1);
    }
}

static void same(const char *what, long a, long b, const void *x,
                 const void *y, size_t len)
{
    checks++;
    if ( memcmp(x, y, len) != 0 )
        fail(what, a, b, "outputs differ");
}

static void is_int(const char *what, long a, long b, int got, int want)
{
    checks++;
    if ( got != want )
        fail(what, a, b, "wrong return value");
}

static void die(const char *what)
{
    fprintf(stderr, "crypto_diff: OpenSSL %s failed (seed %llu)\n", what, seed);
    exit(2);
}

/* ---------------- AEAD ---------------- */

static EVP_CIPHER_CTX *ectx, *dctx;

static void ossl_seal(uint8_t *ct, uint8_t tag[16], const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *pt, size_t len)
{
    int l;

    if ( !EVP_EncryptInit_ex(ectx, NULL, NULL, key, nonce) ||
         !EVP_EncryptUpdate(ectx, NULL, &l, ad, (int)adlen) ||
         !EVP_EncryptUpdate(ectx, ct, &l, pt, (int)len) ||
         !EVP_EncryptFinal_ex(ectx, ct + l, &l) ||
         !EVP_CIPHER_CTX_ctrl(ectx, EVP_CTRL_AEAD_GET_TAG, 16, tag) )
        die("seal");
}

/* 1 when OpenSSL finds the message authentic, 0 when not */
static int ossl_open(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
                     const uint8_t *ad, size_t adlen, const uint8_t *ct,
                     size_t len, const uint8_t tag[16])
{
    int l;

    if ( !EVP_DecryptInit_ex(dctx, NULL, NULL, key, nonce) ||
         !EVP_DecryptUpdate(dctx, NULL, &l, ad, (int)adlen) ||
         !EVP_DecryptUpdate(dctx, pt, &l, ct, (int)len) ||
         !EVP_CIPHER_CTX_ctrl(dctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag) )
        die("open");
    return EVP_DecryptFinal_ex(dctx, pt + l, &l) > 0;
}

static uint8_t *pt, *ct, *oct, *buf;
#define MAXLEN 70000

static void aead_one(size_t len)
{
    uint8_t key[32], nonce[12], ad[64], tag[16], otag[16];
    size_t adlen = rnd_below(65);
    long l = (long)len, a = (long)adlen;

    rnd_bytes(key, sizeof(key));
    rnd_bytes(nonce, sizeof(nonce));
    rnd_bytes(ad, adlen);
    rnd_bytes(pt, len);

    /* our seal == OpenSSL's seal */
    sc_chacha20_poly1305_seal(ct, tag, key, nonce, ad, adlen, pt, len);
    ossl_seal(oct, otag, key, nonce, ad, adlen, pt, len);
    same("AEAD seal ciphertext vs OpenSSL (len, adlen)", l, a, ct, oct, len);
    same("AEAD seal tag vs OpenSSL (len, adlen)", l, a, tag, otag, 16);

    /* our open opens OpenSSL's output */
    memset(buf, 0xaa, len);
    is_int("AEAD open of OpenSSL's message (len, adlen)", l, a,
           sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, oct, len, otag), 0);
    same("AEAD open of OpenSSL's message (len, adlen)", l, a, buf, pt, len);

    /* OpenSSL opens ours */
    memset(buf, 0xaa, len);
    is_int("OpenSSL open of our message (len, adlen)", l, a,
           ossl_open(buf, key, nonce, ad, adlen, ct, len, tag), 1);
    same("OpenSSL open of our message (len, adlen)", l, a, buf, pt, len);

    /* in place, both ways */
    memcpy(buf, pt, len);
    sc_chacha20_poly1305_seal(buf, tag, key, nonce, ad, adlen, buf, len);
    same("AEAD seal in place (len, adlen)", l, a, buf, oct, len);
    same("AEAD seal in place tag (len, adlen)", l, a, tag, otag, 16);
    is_int("AEAD open in place (len, adlen)", l, a,
           sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, buf, len, tag), 0);
    same("AEAD open in place (len, adlen)", l, a, buf, pt, len);
}

/* Every single-bit flip of ciphertext, tag, AD and nonce is refused. */
static void aead_flips(size_t len, size_t adlen)
{
    uint8_t key[32], nonce[12], ad[64], tag[16], zero[128];
    size_t bit;
    long l = (long)len, a = (long)adlen;

    memset(zero, 0, sizeof(zero));
    rnd_bytes(key, sizeof(key));
    rnd_bytes(nonce, sizeof(nonce));
    rnd_bytes(ad, adlen);
    rnd_bytes(pt, len);
    sc_chacha20_poly1305_seal(ct, tag, key, nonce, ad, adlen, pt, len);

#define REFUSED(what, flipped_open)                                          \
    do {                                                                     \
        memset(buf, 0xaa, len);                                              \
        is_int(what " is refused (len, bit)", l, (long)bit, flipped_open, -1); \
        same(what " leaves zeros (len, bit)", l, (long)bit, buf, zero, len); \
    } while ( 0 )

    for ( bit = 0; bit < 8 * len; bit++ )
    {
        ct[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        REFUSED("AEAD ciphertext bit flip",
                sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, ct, len, tag));
        /* in place too: the flipped ciphertext is wiped */
        memcpy(buf, ct, len);
        checks++;
        if ( sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, buf, len, tag) != -1 ||
             memcmp(buf, zero, len) != 0 )
            fail("AEAD ciphertext bit flip in place not refused (len, bit)", l,
                 (long)bit, NULL);
        ct[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for ( bit = 0; bit < 8 * 16; bit++ )
    {
        tag[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        REFUSED("AEAD tag bit flip",
                sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, ct, len, tag));
        tag[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for ( bit = 0; bit < 8 * adlen; bit++ )
    {
        ad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        REFUSED("AEAD AD bit flip",
                sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, ct, len, tag));
        ad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    for ( bit = 0; bit < 8 * 12; bit++ )
    {
        nonce[bit / 8] ^= (uint8_t)(1 << (bit % 8));
        REFUSED("AEAD nonce bit flip",
                sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, ct, len, tag));
        nonce[bit / 8] ^= (uint8_t)(1 << (bit % 8));
    }
    /* a longer AD by one zero byte, a shorter ciphertext */
    bit = 0;
    if ( adlen < sizeof(ad) )
    {
        ad[adlen] = 0;
        REFUSED("AEAD AD extended by a zero byte",
                sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen + 1, ct, len, tag));
    }
    if ( len > 0 )
    {
        len--;
        REFUSED("AEAD ciphertext cut by a byte",
                sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, ct, len, tag));
        len++;
    }
    /* and unmodified, it opens */
    is_int("AEAD unmodified message opens (len, adlen)", l, a,
           sc_chacha20_poly1305_open(buf, key, nonce, ad, adlen, ct, len, tag), 0);
    same("AEAD unmodified message opens (len, adlen)", l, a, buf, pt, len);
#undef REFUSED
}

static void aead(void)
{
    static const size_t flips[][2] = {
        { 0, 0 }, { 0, 13 }, { 1, 0 }, { 15, 16 }, { 64, 12 }, { 100, 33 },
    };
    size_t len;
    int i;

    for ( len = 0; len <= 1100; len++ )
        aead_one(len);
    for ( i = 0; i < 200; i++ )
        aead_one(1101 + rnd_below(MAXLEN - 1100));
    aead_one(MAXLEN);
    for ( i = 0; i < (int)(sizeof(flips) / sizeof(flips[0])); i++ )
        aead_flips(flips[i][0], flips[i][1]);
}

/* ---------------- SHA-256, HMAC, HKDF ---------------- */

static void hashes(void)
{
    uint8_t a[32], b[32], key[200], *out1, *out2;
    size_t len, keylen, off, n;
    struct sc_sha256 st;
    int i;

    for ( i = 0; i < 3000; i++ )
    {
        len = i < 300 ? (size_t)i : rnd_below(i < 2900 ? 5000 : MAXLEN);
        rnd_bytes(pt, len);
        sc_sha256(a, pt, len);
        if ( !EVP_Digest(pt, len, b, NULL, EVP_sha256(), NULL) )
            die("sha256");
        same("SHA-256 vs OpenSSL (len, i)", (long)len, i, a, b, 32);

        sc_sha256_init(&st);
        for ( off = 0; off < len; off += n )
        {
            n = rnd_below(150);
            if ( n > len - off )
                n = len - off;
            sc_sha256_update(&st, pt + off, n);
        }
        sc_sha256_final(&st, a);
        same("SHA-256 in random pieces vs OpenSSL (len, i)", (long)len, i, a, b, 32);
    }

    for ( i = 0; i < 3000; i++ )
    {
        size_t outl = 32;

        keylen = rnd_below(sizeof(key) + 1);
        len = rnd_below(3000);
        rnd_bytes(key, keylen);
        rnd_bytes(pt, len);
        sc_hmac_sha256(a, key, keylen, pt, len);
        if ( !EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, pt,
                        len, b, 32, &outl) )
            die("hmac");
        same("HMAC-SHA256 vs OpenSSL (keylen, len)", (long)keylen, (long)len, a, b, 32);
    }

    out1 = malloc(255 * 32);
    out2 = malloc(255 * 32);
    if ( !out1 || !out2 )
        die("malloc");
    for ( i = 0; i < 2000; i++ )
    {
        EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
        EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
        OSSL_PARAM p[5], *q = p;
        size_t saltlen = rnd_below(4) == 0 ? 0 : rnd_below(100);
        size_t ikmlen = 1 + rnd_below(100), infolen = rnd_below(100);
        size_t outlen = 1 + (i % 10 == 0 ? rnd_below(255 * 32) : rnd_below(100));
        uint8_t *salt = buf, *ikm = buf + 100, *info = buf + 200;

        rnd_bytes(buf, 300);
        *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, ikmlen);
        if ( saltlen )
            *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, saltlen);
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, infolen);
        *q = OSSL_PARAM_construct_end();
        if ( !c || EVP_KDF_derive(c, out2, outlen, p) <= 0 )
            die("hkdf");
        EVP_KDF_CTX_free(c);
        EVP_KDF_free(kdf);

        is_int("HKDF-SHA256 returns 0 (outlen, i)", (long)outlen, i,
               sc_hkdf_sha256(out1, outlen, salt, saltlen, ikm, ikmlen, info, infolen), 0);
        same("HKDF-SHA256 vs OpenSSL (outlen, i)", (long)outlen, i, out1, out2, outlen);
    }
    free(out1);
    free(out2);
}

/* ---------------- X25519 ---------------- */

/* 1 and out when OpenSSL derives, 0 when it refuses (all-zero result) */
static int ossl_x25519(uint8_t out[32], const uint8_t k[32], const uint8_t u[32])
{
    EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, 32);
    EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, u, 32);
    EVP_PKEY_CTX *c = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
    size_t l = 32;
    int ok;

    if ( !c || !pub || EVP_PKEY_derive_init(c) <= 0 ||
         EVP_PKEY_derive_set_peer(c, pub) <= 0 )
        die("x25519 setup");
    ok = EVP_PKEY_derive(c, out, &l) > 0;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    return ok;
}

static void x25519(void)
{
    /* u = 0, 1, the two points of order 8, p - 1, p, p + 1 */
    static const char *const low[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };
    uint8_t k[32], u[32], a[32], b[32], zero[32];
    size_t l;
    int i, j, r;

    memset(zero, 0, sizeof(zero));
    for ( i = 0; i < 3000; i++ )
    {
        rnd_bytes(k, 32);
        rnd_bytes(u, 32);
        if ( i % 4 == 0 )
            u[31] |= 0x80;      /* bit 255 must be ignored */
        r = sc_x25519(a, k, u);
        if ( !ossl_x25519(b, k, u) )
            fail("OpenSSL refused a random point (i, 0)", i, 0, NULL);
        is_int("X25519 of a random point returns 0 (i, 0)", i, 0, r, 0);
        same("X25519 vs OpenSSL derive (i, 0)", i, 0, a, b, 32);

        if ( i < 1000 )
        {
            EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, 32);

            l = 32;
            if ( !priv || !EVP_PKEY_get_raw_public_key(priv, b, &l) )
                die("x25519 public key");
            EVP_PKEY_free(priv);
            sc_x25519_base(a, k);
            same("X25519 base point vs OpenSSL public key (i, 0)", i, 0, a, b, 32);
        }
        if ( i < 100 )
        {
            /* out may be the scalar's or the point's own buffer */
            uint8_t k2[32], u2[32];

            memcpy(k2, k, 32);
            memcpy(u2, u, 32);
            sc_x25519(a, k, u);
            sc_x25519(k2, k2, u);
            same("X25519 with out == scalar (i, 0)", i, 0, k2, a, 32);
            sc_x25519(u2, k, u2);
            same("X25519 with out == point (i, 0)", i, 0, u2, a, 32);
            memcpy(k2, k, 32);
            sc_x25519_base(a, k);
            sc_x25519_base(k2, k2);
            same("X25519 base with out == scalar (i, 0)", i, 0, k2, a, 32);
        }
    }

    for ( i = 0; i < (int)(sizeof(low) / sizeof(low[0])); i++ )
    {
        for ( j = 0; j < 32; j++ )
        {
            unsigned v;

            sscanf(low[i] + 2 * j, "%2x", &v);
            u[j] = (uint8_t)v;
        }
        for ( j = 0; j < 2; j++ )
        {
            rnd_bytes(k, 32);
            if ( j == 1 )
                u[31] |= 0x80;
            memset(a, 0x55, 32);
            r = sc_x25519(a, k, u);
            is_int("X25519 of a low-order point returns -1 (point, high bit)", i, j, r, -1);
            same("X25519 of a low-order point writes zeros (point, high bit)", i, j,
                 a, zero, 32);
            checks++;
            if ( ossl_x25519(b, k, u) )
                fail("OpenSSL accepted a low-order point (point, high bit)", i, j, NULL);
        }
    }
}

int main(int argc, char **argv)
{
    seed = argc > 1 ? strtoull(argv[1], NULL, 0)
                    : (unsigned long long)time(NULL) ^ ((unsigned long long)clock() << 32);
    rng_state = seed;

    pt = malloc(MAXLEN);
    ct = malloc(MAXLEN);
    oct = malloc(MAXLEN);
    buf = malloc(MAXLEN);
    ectx = EVP_CIPHER_CTX_new();
    dctx = EVP_CIPHER_CTX_new();
    if ( !pt || !ct || !oct || !buf || !ectx || !dctx ||
         !EVP_EncryptInit_ex(ectx, EVP_chacha20_poly1305(), NULL, NULL, NULL) ||
         !EVP_DecryptInit_ex(dctx, EVP_chacha20_poly1305(), NULL, NULL, NULL) )
        die("setup");

    aead();
    hashes();
    x25519();

    printf("crypto_diff: seed %llu: %ld checks, %ld failures\n", seed, checks,
           failures);
    EVP_CIPHER_CTX_free(ectx);
    EVP_CIPHER_CTX_free(dctx);
    free(pt);
    free(ct);
    free(oct);
    free(buf);
    return failures ? 1 : 0;
}
