/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ossl_crypto.h"

/*
 * ChaCha20-Poly1305 (RFC 8439, 2.8) on one cipher fetched once and one
 * context per direction of use, set up again for each record: a fetch
 * and a context per record cost more than the record (a keystroke's
 * 20 bytes).  The contexts hold the last record's key until the next
 * record or the process's end (sc_ossl_cleanup erases them).
 */
static EVP_CIPHER *aead;
static EVP_CIPHER_CTX *seal_ctx, *open_ctx;

static EVP_CIPHER_CTX *aead_ctx(EVP_CIPHER_CTX **ctx)
{
    static int registered;

    /*
     * Our exit handler must run before OpenSSL's: handlers run in reverse
     * order of registration, so OpenSSL registers its own first (at init).
     */
    if (!registered && OPENSSL_init_crypto(0, NULL) == 1 && atexit(sc_ossl_cleanup) == 0)
        registered = 1;
    if (aead == NULL)
        aead = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    if (aead != NULL && *ctx == NULL)
        *ctx = EVP_CIPHER_CTX_new();
    return aead != NULL ? *ctx : NULL;
}

void sc_ossl_cleanup(void)
{
    /* Freeing a context erases its key (the provider frees it with OPENSSL_clear_free). */
    EVP_CIPHER_CTX_free(seal_ctx);
    EVP_CIPHER_CTX_free(open_ctx);
    EVP_CIPHER_free(aead);
    seal_ctx = open_ctx = NULL;
    aead = NULL;
}

/*
 * The table's seal cannot fail; should OpenSSL fail (no memory), ct and
 * tag are zeroed so nothing of the plaintext leaves and the receiver
 * refuses the record.
 */
static void ossl_seal(uint8_t *ct, uint8_t tag[16], const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *pt, size_t ptlen)
{
    EVP_CIPHER_CTX *ctx;
    uint8_t fin[16];
    int n, ok = 0;

    if (ptlen > INT_MAX || adlen > INT_MAX)
        goto out;
    ctx = aead_ctx(&seal_ctx);
    if (ctx == NULL)
        goto out;
    /* The cipher's IV length is 12 bytes by default: RFC 8439's nonce. */
    if (EVP_EncryptInit_ex2(ctx, aead, key, nonce, NULL) == 1 &&
        (adlen == 0 || EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)adlen) == 1) &&
        (ptlen == 0 || EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) == 1) &&
        EVP_EncryptFinal_ex(ctx, fin, &n) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1)
        ok = 1;
out:
    if (!ok) {
        OPENSSL_cleanse(ct, ptlen);
        OPENSSL_cleanse(tag, 16);
    }
}

/* 0 when authentic; -1 when forged, and then pt is all zero. */
static int ossl_open(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
                     const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
                     const uint8_t tag[16])
{
    EVP_CIPHER_CTX *ctx;
    uint8_t t[16], fin[16];
    int n, ok = 0;

    if (ctlen > INT_MAX || adlen > INT_MAX)
        goto out;
    ctx = aead_ctx(&open_ctx);
    if (ctx == NULL)
        goto out;
    memcpy(t, tag, 16);
    if (EVP_DecryptInit_ex2(ctx, aead, key, nonce, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, t) == 1 &&
        (adlen == 0 || EVP_DecryptUpdate(ctx, NULL, &n, ad, (int)adlen) == 1) &&
        (ctlen == 0 || EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) == 1) &&
        EVP_DecryptFinal_ex(ctx, fin, &n) == 1)
        ok = 1;
out:
    if (!ok) {
        /* EVP decrypts before it checks the tag: wipe what it wrote. */
        OPENSSL_cleanse(pt, ctlen);
        return -1;
    }
    return 0;
}

static int all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;
    size_t i;

    for (i = 0; i < len; i++)
        acc |= p[i];
    return acc == 0;
}

/* X25519 (RFC 7748, 5): out always written; -1 (out zero) on a low-order point. */
static int ossl_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32])
{
    EVP_PKEY *priv = NULL, *peer = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    uint8_t p[32];
    size_t outlen = 32;
    int ok = 0;

    /* RFC 7748, 5: the top bit of the u-coordinate is ignored. */
    memcpy(p, point, 32);
    p[31] &= 0x7f;
    priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, p, 32);
    if (priv != NULL && peer != NULL)
        ctx = EVP_PKEY_CTX_new(priv, NULL);
    if (ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
        EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
        EVP_PKEY_derive(ctx, out, &outlen) == 1 && outlen == 32)
        ok = 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer);
    EVP_PKEY_free(priv);
    if (!ok || all_zero(out, 32)) {
        OPENSSL_cleanse(out, 32);
        return -1;
    }
    return 0;
}

static void ossl_x25519_base(uint8_t out[32], const uint8_t scalar[32])
{
    EVP_PKEY *priv;
    size_t outlen = 32;

    priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    if (priv == NULL || EVP_PKEY_get_raw_public_key(priv, out, &outlen) != 1 || outlen != 32)
        OPENSSL_cleanse(out, 32);   /* all zero: a low-order point every peer refuses */
    EVP_PKEY_free(priv);
}

/* HKDF-SHA256 (RFC 5869): 0, or -1 (out untouched) when outlen > 255 * 32. */
static int ossl_hkdf(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
                     const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
    static const uint8_t zero_salt[32];
    static const uint8_t empty[1];
    EVP_KDF *kdf;
    EVP_KDF_CTX *ctx = NULL;
    OSSL_PARAM params[5], *p = params;
    uint8_t tmp[255 * 32];
    int ok = 0;

    if (outlen > sizeof(tmp))
        return -1;
    if (saltlen == 0) {
        salt = zero_salt;
        saltlen = sizeof(zero_salt);
    }
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                             (void *)(ikmlen ? ikm : empty), ikmlen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                             (void *)(infolen ? info : empty), infolen);
    *p = OSSL_PARAM_construct_end();
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (kdf != NULL)
        ctx = EVP_KDF_CTX_new(kdf);
    if (ctx != NULL && outlen > 0 && EVP_KDF_derive(ctx, tmp, outlen, params) == 1)
        ok = 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    if (ok)
        memcpy(out, tmp, outlen);
    else if (outlen == 0)
        ok = 1;
    else
        OPENSSL_cleanse(out, outlen);  /* should OpenSSL fail: no key from garbage */
    OPENSSL_cleanse(tmp, outlen);
    return ok ? 0 : -1;
}

static void ossl_sha256(uint8_t out[32], const uint8_t *m, size_t len)
{
    static const uint8_t empty[1];
    unsigned int n = 32;

    if (EVP_Digest(len ? m : empty, len, out, &n, EVP_sha256(), NULL) != 1)
        OPENSSL_cleanse(out, 32);
}

const struct sc_crypto sc_ossl_crypto = {
    .seal = ossl_seal,
    .open = ossl_open,
    .x25519 = ossl_x25519,
    .x25519_base = ossl_x25519_base,
    .hkdf = ossl_hkdf,
    .sha256 = ossl_sha256,
};

int sc_ossl_random(void *buf, size_t len)
{
    if (len > INT_MAX || RAND_priv_bytes(buf, (int)len) != 1) {
        OPENSSL_cleanse(buf, len);
        return -1;
    }
    return 0;
}

void sc_ossl_warm(void)
{
    /* Public, fixed inputs: only OpenSSL's first-use set-up is wanted, not the results. */
    static const uint8_t one[32] = { 9 };
    uint8_t a[32], b[32], tag[16], n12[12] = { 0 };

    ossl_x25519_base(a, one);
    (void)ossl_x25519(b, one, a);
    (void)ossl_hkdf(b, 32, one, 32, a, 32, one, 32);
    ossl_seal(a, tag, one, n12, one, 2, one, 1);
    (void)ossl_open(b, one, n12, one, 2, a, 1, tag);
    ossl_sha256(a, one, 32);
}
