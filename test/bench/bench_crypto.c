/* SPDX-License-Identifier: MIT */
/*
 * bench_crypto: the core against OpenSSL libcrypto in the same run.
 *
 * AEAD: seal then open of one message, at 16 B, 1 KiB and 16 KiB, in MB/s
 * of message (each message is sealed once and opened once).  OpenSSL is
 * used as a record layer would: one EVP context, re-keyed with the key and
 * nonce for every message.  X25519: shared-secret computations per second
 * (the core's sc_x25519 against EVP_PKEY_derive with pre-built keys).
 * Every figure is the median of 7 runs of about 0.1 s; the ratio is core
 * over OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "sccrypt_crypto.h"

#define RUNS 7

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof(*v), cmp_double);
    return v[RUNS / 2];
}

static uint8_t key[32], nonce[12], ad[13], *pt, *ct, *back;
static EVP_CIPHER_CTX *ectx, *dctx;
static volatile int sink;

static void core_aead(size_t len)
{
    uint8_t tag[16];

    sc_chacha20_poly1305_seal(ct, tag, key, nonce, ad, sizeof(ad), pt, len);
    sink += sc_chacha20_poly1305_open(back, key, nonce, ad, sizeof(ad), ct, len, tag);
}

static void ossl_aead(size_t len)
{
    uint8_t tag[16];
    int l, ok = 1;

    ok &= EVP_EncryptInit_ex(ectx, NULL, NULL, key, nonce);
    ok &= EVP_EncryptUpdate(ectx, NULL, &l, ad, sizeof(ad));
    ok &= EVP_EncryptUpdate(ectx, ct, &l, pt, (int)len);
    ok &= EVP_EncryptFinal_ex(ectx, ct + l, &l);
    ok &= EVP_CIPHER_CTX_ctrl(ectx, EVP_CTRL_AEAD_GET_TAG, 16, tag);

    ok &= EVP_DecryptInit_ex(dctx, NULL, NULL, key, nonce);
    ok &= EVP_DecryptUpdate(dctx, NULL, &l, ad, sizeof(ad));
    ok &= EVP_DecryptUpdate(dctx, back, &l, ct, (int)len);
    ok &= EVP_CIPHER_CTX_ctrl(dctx, EVP_CTRL_AEAD_SET_TAG, 16, tag);
    ok &= EVP_DecryptFinal_ex(dctx, back + l, &l) > 0;
    if ( !ok )
    {
        fprintf(stderr, "bench_crypto: OpenSSL AEAD failed\n");
        exit(2);
    }
}

/* MB/s of fn(len): iterations calibrated to about 0.1 s per run. */
static double aead_rate(void (*fn)(size_t), size_t len)
{
    double v[RUNS], t0, t;
    long n = 1, i;
    int r;

    for ( ;; )
    {
        t0 = now();
        for ( i = 0; i < n; i++ )
            fn(len);
        t = now() - t0;
        if ( t > 0.02 )
            break;
        n *= 2;
    }
    n = (long)(n * 0.1 / t) + 1;
    for ( r = 0; r < RUNS; r++ )
    {
        t0 = now();
        for ( i = 0; i < n; i++ )
            fn(len);
        t = now() - t0;
        v[r] = (double)len * (double)n / t / 1e6;
    }
    return median(v);
}

static uint8_t xk[32], xu[32], xout[32];
static EVP_PKEY_CTX *xctx;

static void core_x25519(void)
{
    sink += sc_x25519(xout, xk, xu);
}

static void ossl_x25519(void)
{
    size_t l = 32;

    if ( EVP_PKEY_derive(xctx, xout, &l) <= 0 )
    {
        fprintf(stderr, "bench_crypto: OpenSSL X25519 failed\n");
        exit(2);
    }
}

static double op_rate(void (*fn)(void))
{
    double v[RUNS], t0, t;
    long n = 1, i;
    int r;

    for ( ;; )
    {
        t0 = now();
        for ( i = 0; i < n; i++ )
            fn();
        t = now() - t0;
        if ( t > 0.02 )
            break;
        n *= 2;
    }
    n = (long)(n * 0.1 / t) + 1;
    for ( r = 0; r < RUNS; r++ )
    {
        t0 = now();
        for ( i = 0; i < n; i++ )
            fn();
        t = now() - t0;
        v[r] = (double)n / t;
    }
    return median(v);
}

int main(void)
{
    static const size_t sizes[] = { 16, 1024, 16384 };
    EVP_PKEY *priv, *pub;
    double c, o;
    size_t i;

    for ( i = 0; i < sizeof(key); i++ )
        key[i] = (uint8_t)(i * 7 + 1);
    for ( i = 0; i < sizeof(nonce); i++ )
        nonce[i] = (uint8_t)i;
    pt = calloc(1, 16384);
    ct = calloc(1, 16384);
    back = calloc(1, 16384);
    ectx = EVP_CIPHER_CTX_new();
    dctx = EVP_CIPHER_CTX_new();
    if ( !pt || !ct || !back || !ectx || !dctx ||
         !EVP_EncryptInit_ex(ectx, EVP_chacha20_poly1305(), NULL, NULL, NULL) ||
         !EVP_DecryptInit_ex(dctx, EVP_chacha20_poly1305(), NULL, NULL, NULL) )
    {
        fprintf(stderr, "bench_crypto: setup failed\n");
        return 2;
    }

    printf("# median of %d runs; ratio = core / OpenSSL %s\n", RUNS,
           OpenSSL_version(OPENSSL_VERSION));
    printf("%-34s %12s %12s %7s\n", "operation", "core", "OpenSSL", "ratio");
    for ( i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++ )
    {
        char name[64];

        c = aead_rate(core_aead, sizes[i]);
        o = aead_rate(ossl_aead, sizes[i]);
        snprintf(name, sizeof(name), "AEAD seal+open %zu B (MB/s)", sizes[i]);
        printf("%-34s %12.1f %12.1f %7.2f\n", name, c, o, c / o);
    }

    for ( i = 0; i < 32; i++ )
    {
        xk[i] = (uint8_t)(i * 13 + 5);
        xu[i] = (uint8_t)(i * 29 + 3);
    }
    xu[31] &= 0x7f;
    priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, xk, 32);
    pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, xu, 32);
    xctx = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
    if ( !xctx || !pub || EVP_PKEY_derive_init(xctx) <= 0 ||
         EVP_PKEY_derive_set_peer(xctx, pub) <= 0 )
    {
        fprintf(stderr, "bench_crypto: X25519 setup failed\n");
        return 2;
    }
    c = op_rate(core_x25519);
    o = op_rate(ossl_x25519);
    printf("%-34s %12.0f %12.0f %7.2f\n", "X25519 (ops/s)", c, o, c / o);

    EVP_PKEY_CTX_free(xctx);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
    EVP_CIPHER_CTX_free(ectx);
    EVP_CIPHER_CTX_free(dctx);
    free(pt);
    free(ct);
    free(back);
    return 0;
}
