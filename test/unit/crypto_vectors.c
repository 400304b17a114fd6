/* SPDX-License-Identifier: MIT */
/*
 * crypto_vectors: every published test vector of the core's primitives.
 *
 * RFC 8439 (ChaCha20, Poly1305, the AEAD: sections 2.1.1 to 2.8.2 and all
 * of appendix A), RFC 7748 (X25519: 5.2 and its 1 and 1,000 iteration
 * vectors, 6.1), RFC 5869 (HKDF-SHA256, test cases 1 to 3), RFC 4231
 * (HMAC-SHA256, test cases 1 to 7) and FIPS 180 (SHA-256 "abc", the 448-bit
 * message and one million 'a').  Each vector is checked against the core
 * and, where OpenSSL can compute it, against OpenSSL too, so that a vector
 * mistyped here cannot pass unnoticed.  The core's boot self-test runs last.
 *
 * Prints one line per failure and a summary; exits 0 when all pass, else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "sccrypt_crypto.h"
#include "chacha20.h"
#include "poly1305.h"
#include "sha256.h"

static int checks, failures;

/* Parses hex, skipping blanks, newlines and colons; returns the length. */
static size_t unhex(uint8_t *out, size_t max, const char *s)
{
    size_t n = 0;
    int hi = -1, v;

    for ( ; *s; s++ )
    {
        if ( *s >= '0' && *s <= '9' )
            v = *s - '0';
        else if ( *s >= 'a' && *s <= 'f' )
            v = *s - 'a' + 10;
        else if ( *s >= 'A' && *s <= 'F' )
            v = *s - 'A' + 10;
        else if ( *s == ' ' || *s == '\n' || *s == ':' )
            continue;
        else
        {
            fprintf(stderr, "bad hex character '%c'\n", *s);
            exit(2);
        }
        if ( hi < 0 )
            hi = v;
        else
        {
            if ( n >= max )
            {
                fprintf(stderr, "hex too long\n");
                exit(2);
            }
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if ( hi >= 0 )
    {
        fprintf(stderr, "odd hex length\n");
        exit(2);
    }
    return n;
}

static void dump(const char *label, const uint8_t *p, size_t len)
{
    size_t i;

    fprintf(stderr, "  %s:", label);
    for ( i = 0; i < len; i++ )
        fprintf(stderr, "%s%02x", i % 32 ? "" : "\n    ", p[i]);
    fprintf(stderr, "\n");
}

static void check(const char *what, const uint8_t *got, const uint8_t *want,
                  size_t len)
{
    checks++;
    if ( memcmp(got, want, len) != 0 )
    {
        failures++;
        fprintf(stderr, "FAIL %s\n", what);
        dump("got", got, len);
        dump("want", want, len);
    }
}

static void check_int(const char *what, long got, long want)
{
    checks++;
    if ( got != want )
    {
        failures++;
        fprintf(stderr, "FAIL %s: got %ld, want %ld\n", what, got, want);
    }
}

/* ---- OpenSSL references (prove each vector as typed here) ---- */

static void ossl_chacha20(uint8_t *out, const uint8_t *in, size_t len,
                          const uint8_t key[32], uint32_t ctr,
                          const uint8_t nonce[12])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t iv[16];
    int l;

    iv[0] = (uint8_t)ctr;
    iv[1] = (uint8_t)(ctr >> 8);
    iv[2] = (uint8_t)(ctr >> 16);
    iv[3] = (uint8_t)(ctr >> 24);
    memcpy(iv + 4, nonce, 12);
    if ( !c || !EVP_EncryptInit_ex(c, EVP_chacha20(), NULL, key, iv) ||
         !EVP_EncryptUpdate(c, out, &l, in, (int)len) )
    {
        fprintf(stderr, "openssl chacha20 failed\n");
        exit(2);
    }
    EVP_CIPHER_CTX_free(c);
}

static void ossl_poly1305(uint8_t tag[16], const uint8_t *m, size_t len,
                          const uint8_t key[32])
{
    size_t outl = 16;

    if ( !EVP_Q_mac(NULL, "POLY1305", NULL, NULL, NULL, key, 32, m, len,
                    tag, 16, &outl) )
    {
        fprintf(stderr, "openssl poly1305 failed\n");
        exit(2);
    }
}

static void ossl_seal(uint8_t *ct, uint8_t tag[16], const uint8_t key[32],
                      const uint8_t nonce[12], const uint8_t *ad, size_t adlen,
                      const uint8_t *pt, size_t ptlen)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int l;

    if ( !c || !EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce) ||
         !EVP_EncryptUpdate(c, NULL, &l, ad, (int)adlen) ||
         !EVP_EncryptUpdate(c, ct, &l, pt, (int)ptlen) ||
         !EVP_EncryptFinal_ex(c, ct + l, &l) ||
         !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) )
    {
        fprintf(stderr, "openssl seal failed\n");
        exit(2);
    }
    EVP_CIPHER_CTX_free(c);
}

static void ossl_hmac(uint8_t out[32], const uint8_t *key, size_t keylen,
                      const uint8_t *m, size_t len)
{
    size_t outl = 32;

    if ( !EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, m, len,
                    out, 32, &outl) )
    {
        fprintf(stderr, "openssl hmac failed\n");
        exit(2);
    }
}

static void ossl_hkdf(uint8_t *out, size_t outlen, const uint8_t *salt,
                      size_t saltlen, const uint8_t *ikm, size_t ikmlen,
                      const uint8_t *info, size_t infolen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM p[5], *q = p;

    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
    if ( saltlen )
        *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
    *q = OSSL_PARAM_construct_end();
    if ( !c || EVP_KDF_derive(c, out, outlen, p) <= 0 )
    {
        fprintf(stderr, "openssl hkdf failed\n");
        exit(2);
    }
    EVP_KDF_CTX_free(c);
    EVP_KDF_free(kdf);
}

static void ossl_x25519(uint8_t out[32], const uint8_t k[32], const uint8_t u[32])
{
    EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, 32);
    EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, u, 32);
    EVP_PKEY_CTX *c = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
    size_t l = 32;

    if ( !c || !pub || EVP_PKEY_derive_init(c) <= 0 ||
         EVP_PKEY_derive_set_peer(c, pub) <= 0 ||
         EVP_PKEY_derive(c, out, &l) <= 0 )
    {
        fprintf(stderr, "openssl x25519 failed\n");
        exit(2);
    }
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(priv);
    EVP_PKEY_free(pub);
}

/* ---- RFC 8439 ---- */

#define QR(a, b, c, d)                                          \
    do {                                                        \
        a += b; d ^= a; d = (d << 16) | (d >> 16);              \
        c += d; b ^= c; b = (b << 12) | (b >> 20);              \
        a += b; d ^= a; d = (d << 8) | (d >> 24);               \
        c += d; b ^= c; b = (b << 7) | (b >> 25);               \
    } while ( 0 )

static void rfc8439_quarter_round(void)
{
    /* 2.1.1 */
    uint32_t a = 0x11111111, b = 0x01020304, c = 0x9b8d6f43, d = 0x01234567;
    /* 2.2.1 */
    uint32_t s[16] = {
        0x879531e0, 0xc5ecf37d, 0x516461b1, 0xc9a62f8a,
        0x44c20ef3, 0x3390af7f, 0xd9fc690b, 0x2a5f714c,
        0x53372767, 0xb00a5631, 0x974c541a, 0x359e9963,
        0x5c971061, 0x3d631689, 0x2098d9d6, 0x91dbd320,
    };
    const uint32_t want[16] = {
        0x879531e0, 0xc5ecf37d, 0xbdb886dc, 0xc9a62f8a,
        0x44c20ef3, 0x3390af7f, 0xd9fc690b, 0xcfacafd2,
        0xe46bea80, 0xb00a5631, 0x974c541a, 0x359e9963,
        0x5c971061, 0xccc07c79, 0x2098d9d6, 0x91dbd320,
    };

    /*
     * The quarter round is internal to chacha20.c; the block vectors below
     * exercise it.  These check the RFC's own arithmetic with the same
     * definition, so that the two sections' numbers are covered too.
     */
    QR(a, b, c, d);
    check_int("RFC 8439 2.1.1 quarter round a", a, 0xea2a92f4);
    check_int("RFC 8439 2.1.1 quarter round b", b, 0xcb1cf8ce);
    check_int("RFC 8439 2.1.1 quarter round c", c, 0x4581472e);
    check_int("RFC 8439 2.1.1 quarter round d", d, 0x5881c4bb);
    QR(s[2], s[7], s[8], s[13]);
    check("RFC 8439 2.2.1 quarter round on the state", (uint8_t *)s,
          (const uint8_t *)want, sizeof(s));
}

struct block_vec
{
    const char *name, *key, *nonce;
    uint32_t counter;
    const char *out;
};

static const struct block_vec block_vecs[] = {
    { "RFC 8439 2.3.2 block function",
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
      "000000090000004a00000000", 1,
      "10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4"
      "c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e"
      "d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2"
      "b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e" },
    { "RFC 8439 A.1 block test vector #1",
      "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", 0,
      "76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28"
      "bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7"
      "da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37"
      "6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86" },
    { "RFC 8439 A.1 block test vector #2",
      "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", 1,
      "9f 07 e7 be 55 51 38 7a 98 ba 97 7c 73 2d 08 0d"
      "cb 0f 29 a0 48 e3 65 69 12 c6 53 3e 32 ee 7a ed"
      "29 b7 21 76 9c e6 4e 43 d5 71 33 b0 74 d8 39 d5"
      "31 ed 1f 28 51 0a fb 45 ac e1 0a 1f 4b 79 4d 6f" },
    { "RFC 8439 A.1 block test vector #3",
      "0000000000000000000000000000000000000000000000000000000000000001",
      "000000000000000000000000", 1,
      "3a eb 52 24 ec f8 49 92 9b 9d 82 8d b1 ce d4 dd"
      "83 20 25 e8 01 8b 81 60 b8 22 84 f3 c9 49 aa 5a"
      "8e ca 00 bb b4 a7 3b da d1 92 b5 c4 2f 73 f2 fd"
      "4e 27 36 44 c8 b3 61 25 a6 4a dd eb 00 6c 13 a0" },
    { "RFC 8439 A.1 block test vector #4",
      "00ff000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", 2,
      "72 d5 4d fb f1 2e c4 4b 36 26 92 df 94 13 7f 32"
      "8f ea 8d a7 39 90 26 5e c1 bb be a1 ae 9a f0 ca"
      "13 b2 5a a2 6c b4 a6 48 cb 9b 9d 1b e6 5b 2c 09"
      "24 a6 6c 54 d5 45 ec 1b 73 74 f4 87 2e 99 f0 96" },
    { "RFC 8439 A.1 block test vector #5",
      "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000002", 0,
      "c2 c6 4d 37 8c d5 36 37 4a e2 04 b9 ef 93 3f cd"
      "1a 8b 22 88 b3 df a4 96 72 ab 76 5b 54 ee 27 c7"
      "8a 97 0e 0e 95 5c 14 f3 a8 8e 74 1b 97 c2 86 f7"
      "5f 8f c2 99 e8 14 83 62 fa 19 8a 39 53 1b ed 6d" },
};

static const char sunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only "
    "one tip for the future, sunscreen would be it.";

static const char ietf[] =
    "Any submission to the IETF intended by the Contributor for publication "
    "as all or part of an IETF Internet-Draft or RFC and any statement made "
    "within the context of an IETF activity is considered an \"IETF "
    "Contribution\". Such statements include oral statements in IETF "
    "sessions, as well as written and electronic communications made at any "
    "time or place, which are addressed to";

static const char jabberwocky[] =
    "'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\n"
    "All mimsy were the borogoves,\nAnd the mome raths outgrabe.";

struct enc_vec
{
    const char *name, *key, *nonce;
    uint32_t counter;
    const char *pt_text;        /* ASCII plaintext, or NULL: 64 zero bytes */
    const char *ct;
};

static const struct enc_vec enc_vecs[] = {
    { "RFC 8439 2.4.2 encryption",
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
      "000000000000004a00000000", 1, sunscreen,
      "6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81"
      "e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b"
      "f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57"
      "16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8"
      "07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e"
      "52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36"
      "5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42"
      "87 4d" },
    { "RFC 8439 A.2 encryption test vector #1",
      "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000", 0, NULL,
      "76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28"
      "bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7"
      "da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37"
      "6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86" },
    { "RFC 8439 A.2 encryption test vector #2",
      "0000000000000000000000000000000000000000000000000000000000000001",
      "000000000000000000000002", 1, ietf,
      "a3 fb f0 7d f3 fa 2f de 4f 37 6c a2 3e 82 73 70"
      "41 60 5d 9f 4f 4f 57 bd 8c ff 2c 1d 4b 79 55 ec"
      "2a 97 94 8b d3 72 29 15 c8 f3 d3 37 f7 d3 70 05"
      "0e 9e 96 d6 47 b7 c3 9f 56 e0 31 ca 5e b6 25 0d"
      "40 42 e0 27 85 ec ec fa 4b 4b b5 e8 ea d0 44 0e"
      "20 b6 e8 db 09 d8 81 a7 c6 13 2f 42 0e 52 79 50"
      "42 bd fa 77 73 d8 a9 05 14 47 b3 29 1c e1 41 1c"
      "68 04 65 55 2a a6 c4 05 b7 76 4d 5e 87 be a8 5a"
      "d0 0f 84 49 ed 8f 72 d0 d6 62 ab 05 26 91 ca 66"
      "42 4b c8 6d 2d f8 0e a4 1f 43 ab f9 37 d3 25 9d"
      "c4 b2 d0 df b4 8a 6c 91 39 dd d7 f7 69 66 e9 28"
      "e6 35 55 3b a7 6c 5c 87 9d 7b 35 d4 9e b2 e6 2b"
      "08 71 cd ac 63 89 39 e2 5e 8a 1e 0e f9 d5 28 0f"
      "a8 ca 32 8b 35 1c 3c 76 59 89 cb cf 3d aa 8b 6c"
      "cc 3a af 9f 39 79 c9 2b 37 20 fc 88 dc 95 ed 84"
      "a1 be 05 9c 64 99 b9 fd a2 36 e7 e8 18 b0 4b 0b"
      "c3 9c 1e 87 6b 19 3b fe 55 69 75 3f 88 12 8c c0"
      "8a aa 9b 63 d1 a1 6f 80 ef 25 54 d7 18 9c 41 1f"
      "58 69 ca 52 c5 b8 3f a3 6f f2 16 b9 c1 d3 00 62"
      "be bc fd 2d c5 bc e0 91 19 34 fd a7 9a 86 f6 e6"
      "98 ce d7 59 c3 ff 9b 64 77 33 8f 3d a4 f9 cd 85"
      "14 ea 99 82 cc af b3 41 b2 38 4d d9 02 f3 d1 ab"
      "7a c6 1d d2 9c 6f 21 ba 5b 86 2f 37 30 e3 7c fd"
      "c4 fd 80 6c 22 f2 21" },
    { "RFC 8439 A.2 encryption test vector #3",
      "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0"
      "47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0",
      "000000000000000000000002", 42, jabberwocky,
      "62 e6 34 7f 95 ed 87 a4 5f fa e7 42 6f 27 a1 df"
      "5f b6 91 10 04 4c 0d 73 11 8e ff a9 5b 01 e5 cf"
      "16 6d 3d f2 d7 21 ca f9 b2 1e 5f b1 4c 61 68 71"
      "fd 84 c5 4f 9d 65 b2 83 19 6c 7f e4 f6 05 53 eb"
      "f3 9c 64 02 c4 22 34 e3 2a 35 6b 3e 76 43 12 a6"
      "1a 55 32 05 57 16 ea d6 96 25 68 f8 7d 3f 3f 77"
      "04 c6 a8 d1 bc d1 bf 4d 50 d6 15 4b 6d a7 31 b1"
      "87 b5 8d fd 72 8a fa 36 75 7a 79 7a c1 88 d1" },
};

struct mac_vec
{
    const char *name, *key;
    const char *text;           /* ASCII message, or NULL: msg is hex */
    const char *msg;
    const char *tag;
};

static const struct mac_vec mac_vecs[] = {
    { "RFC 8439 2.5.2 Poly1305",
      "85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:"
      "01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b",
      "Cryptographic Forum Research Group", NULL,
      "a8:06:1d:c1:30:51:36:c6:c2:2b:8b:af:0c:01:27:a9" },
    { "RFC 8439 A.3 Poly1305 test vector #1",
      "0000000000000000000000000000000000000000000000000000000000000000",
      NULL,
      "0000000000000000000000000000000000000000000000000000000000000000"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "00000000000000000000000000000000" },
    { "RFC 8439 A.3 Poly1305 test vector #2",
      "00000000000000000000000000000000"
      "36 e5 f6 b5 c5 e0 60 70 f0 ef ca 96 22 7a 86 3e",
      ietf, NULL,
      "36 e5 f6 b5 c5 e0 60 70 f0 ef ca 96 22 7a 86 3e" },
    { "RFC 8439 A.3 Poly1305 test vector #3",
      "36 e5 f6 b5 c5 e0 60 70 f0 ef ca 96 22 7a 86 3e"
      "00000000000000000000000000000000",
      ietf, NULL,
      "f3 47 7e 7c d9 54 17 af 89 a6 b8 79 4c 31 0c f0" },
    { "RFC 8439 A.3 Poly1305 test vector #4",
      "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0"
      "47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0",
      jabberwocky, NULL,
      "45 41 66 9a 7e aa ee 61 e7 08 dc 7c bc c5 eb 62" },
    { "RFC 8439 A.3 Poly1305 test vector #5 (partially reduced result)",
      "02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      NULL,
      "FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF",
      "03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" },
    { "RFC 8439 A.3 Poly1305 test vector #6 (s addition overflows)",
      "02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF",
      NULL,
      "02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      "03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" },
    { "RFC 8439 A.3 Poly1305 test vector #7 (carry into an all-ones limb)",
      "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      NULL,
      "FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"
      "F0 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"
      "11 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      "05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" },
    { "RFC 8439 A.3 Poly1305 test vector #8 (result exactly 2^130-5)",
      "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      NULL,
      "FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"
      "FB FE FE FE FE FE FE FE FE FE FE FE FE FE FE FE"
      "01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01",
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" },
    { "RFC 8439 A.3 Poly1305 test vector #9 (result exactly 2^130-6)",
      "02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      NULL,
      "FD FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF",
      "FA FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF" },
    { "RFC 8439 A.3 Poly1305 test vector #10 (131-bit intermediate)",
      "01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      NULL,
      "E3 35 94 D7 50 5E 43 B9 00 00 00 00 00 00 00 00"
      "33 94 D7 50 5E 43 79 CD 01 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
      "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      "14 00 00 00 00 00 00 00 55 00 00 00 00 00 00 00" },
    { "RFC 8439 A.3 Poly1305 test vector #11 (131-bit final result)",
      "01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      NULL,
      "E3 35 94 D7 50 5E 43 B9 00 00 00 00 00 00 00 00"
      "33 94 D7 50 5E 43 79 CD 01 00 00 00 00 00 00 00"
      "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
      "13 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" },
};

struct otk_vec
{
    const char *name, *key, *nonce, *otk;
};

static const struct otk_vec otk_vecs[] = {
    { "RFC 8439 2.6.2 Poly1305 key generation",
      "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f"
      "90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f",
      "00 00 00 00 00 01 02 03 04 05 06 07",
      "8a d5 a0 8b 90 5f 81 cc 81 50 40 27 4a b2 94 71"
      "a8 33 b6 37 e3 fd 0d a5 08 db b8 e2 fd d1 a6 46" },
    { "RFC 8439 A.4 key generation test vector #1",
      "0000000000000000000000000000000000000000000000000000000000000000",
      "000000000000000000000000",
      "76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28"
      "bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7" },
    { "RFC 8439 A.4 key generation test vector #2",
      "0000000000000000000000000000000000000000000000000000000000000001",
      "000000000000000000000002",
      "ec fa 25 4f 84 5f 64 74 73 d3 cb 14 0d a9 e8 76"
      "06 cb 33 06 6c 44 7b 87 bc 26 66 dd e3 fb b7 39" },
    { "RFC 8439 A.4 key generation test vector #3",
      "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0"
      "47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0",
      "000000000000000000000002",
      "96 5e 3b c6 f9 ec 7e d9 56 08 08 f4 d2 29 f9 4b"
      "13 7f f2 75 ca 9b 3f cb dd 59 de aa d2 33 10 ae" },
};

static void rfc8439(void)
{
    uint8_t key[32], nonce[12], want[512], got[512], pt[512];
    uint8_t zero64[64] = { 0 };
    const uint8_t *in;
    size_t i, n, len;
    char what[160];

    rfc8439_quarter_round();

    for ( i = 0; i < sizeof(block_vecs) / sizeof(block_vecs[0]); i++ )
    {
        const struct block_vec *v = &block_vecs[i];

        unhex(key, 32, v->key);
        unhex(nonce, 12, v->nonce);
        n = unhex(want, sizeof(want), v->out);
        check_int(v->name, (long)n, 64);
        sc_chacha20_block(got, key, v->counter, nonce);
        check(v->name, got, want, 64);
        ossl_chacha20(got, zero64, 64, key, v->counter, nonce);
        snprintf(what, sizeof(what), "%s (OpenSSL)", v->name);
        check(what, got, want, 64);
    }

    for ( i = 0; i < sizeof(enc_vecs) / sizeof(enc_vecs[0]); i++ )
    {
        const struct enc_vec *v = &enc_vecs[i];

        unhex(key, 32, v->key);
        unhex(nonce, 12, v->nonce);
        len = unhex(want, sizeof(want), v->ct);
        in = v->pt_text ? (const uint8_t *)v->pt_text : zero64;
        check_int(v->name, (long)len,
                  v->pt_text ? (long)strlen(v->pt_text) : 64);
        sc_chacha20_xor(got, in, len, key, v->counter, nonce);
        check(v->name, got, want, len);
        /* and back, in place */
        sc_chacha20_xor(got, got, len, key, v->counter, nonce);
        snprintf(what, sizeof(what), "%s (decrypted in place)", v->name);
        check(what, got, in, len);
        ossl_chacha20(got, in, len, key, v->counter, nonce);
        snprintf(what, sizeof(what), "%s (OpenSSL)", v->name);
        check(what, got, want, len);
    }

    for ( i = 0; i < sizeof(mac_vecs) / sizeof(mac_vecs[0]); i++ )
    {
        const struct mac_vec *v = &mac_vecs[i];

        unhex(key, 32, v->key);
        if ( v->text )
        {
            len = strlen(v->text);
            memcpy(pt, v->text, len);
        }
        else
            len = unhex(pt, sizeof(pt), v->msg);
        unhex(want, 16, v->tag);
        sc_poly1305(got, pt, len, key);
        check(v->name, got, want, 16);
        ossl_poly1305(got, pt, len, key);
        snprintf(what, sizeof(what), "%s (OpenSSL)", v->name);
        check(what, got, want, 16);
    }

    for ( i = 0; i < sizeof(otk_vecs) / sizeof(otk_vecs[0]); i++ )
    {
        const struct otk_vec *v = &otk_vecs[i];

        unhex(key, 32, v->key);
        unhex(nonce, 12, v->nonce);
        unhex(want, 32, v->otk);
        sc_chacha20_block(got, key, 0, nonce);
        check(v->name, got, want, 32);
        ossl_chacha20(got, zero64, 32, key, 0, nonce);
        snprintf(what, sizeof(what), "%s (OpenSSL)", v->name);
        check(what, got, want, 32);
    }
}

/* 2.8.2 and A.5: the AEAD both ways */
static void rfc8439_aead(void)
{
    static const char a5_pt[] =
        "Internet-Drafts are draft documents valid for a maximum of six "
        "months and may be updated, replaced, or obsoleted by other "
        "documents at any time. It is inappropriate to use Internet-Drafts "
        "as reference material or to cite them other than as "
        "/\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
    uint8_t key[32], nonce[12], ad[16], ct[512], tag[16], got[512], gtag[16];
    size_t adlen, len;
    const char *name;

    /* 2.8.2: sender constant 07 00 00 00, IV 40..47 */
    name = "RFC 8439 2.8.2 AEAD seal";
    unhex(key, 32, "80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f"
                   "90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f");
    unhex(nonce, 12, "07 00 00 00 40 41 42 43 44 45 46 47");
    adlen = unhex(ad, sizeof(ad), "50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7");
    len = unhex(ct, sizeof(ct),
        "d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2"
        "a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6"
        "3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b"
        "1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36"
        "92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58"
        "fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc"
        "3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b"
        "61 16");
    unhex(tag, 16, "1a:e1:0b:59:4f:09:e2:6a:7e:90:2e:cb:d0:60:06:91");
    check_int(name, (long)len, (long)strlen(sunscreen));
    sc_chacha20_poly1305_seal(got, gtag, key, nonce, ad, adlen,
                              (const uint8_t *)sunscreen, len);
    check(name, got, ct, len);
    check("RFC 8439 2.8.2 AEAD seal tag", gtag, tag, 16);
    ossl_seal(got, gtag, key, nonce, ad, adlen, (const uint8_t *)sunscreen, len);
    check("RFC 8439 2.8.2 AEAD seal (OpenSSL)", got, ct, len);
    check("RFC 8439 2.8.2 AEAD seal tag (OpenSSL)", gtag, tag, 16);
    check_int("RFC 8439 2.8.2 AEAD open",
              sc_chacha20_poly1305_open(got, key, nonce, ad, adlen, ct, len, tag), 0);
    check("RFC 8439 2.8.2 AEAD open plaintext", got,
          (const uint8_t *)sunscreen, len);

    /* A.5 */
    name = "RFC 8439 A.5 AEAD decryption";
    unhex(key, 32, "1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0"
                   "47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0");
    unhex(nonce, 12, "00 00 00 00 01 02 03 04 05 06 07 08");
    adlen = unhex(ad, sizeof(ad), "f3 33 88 86 00 00 00 00 00 00 4e 91");
    len = unhex(ct, sizeof(ct),
        "64 a0 86 15 75 86 1a f4 60 f0 62 c7 9b e6 43 bd"
        "5e 80 5c fd 34 5c f3 89 f1 08 67 0a c7 6c 8c b2"
        "4c 6c fc 18 75 5d 43 ee a0 9e e9 4e 38 2d 26 b0"
        "bd b7 b7 3c 32 1b 01 00 d4 f0 3b 7f 35 58 94 cf"
        "33 2f 83 0e 71 0b 97 ce 98 c8 a8 4a bd 0b 94 81"
        "14 ad 17 6e 00 8d 33 bd 60 f9 82 b1 ff 37 c8 55"
        "97 97 a0 6e f4 f0 ef 61 c1 86 32 4e 2b 35 06 38"
        "36 06 90 7b 6a 7c 02 b0 f9 f6 15 7b 53 c8 67 e4"
        "b9 16 6c 76 7b 80 4d 46 a5 9b 52 16 cd e7 a4 e9"
        "90 40 c5 a4 04 33 22 5e e2 82 a1 b0 a0 6c 52 3e"
        "af 45 34 d7 f8 3f a1 15 5b 00 47 71 8c bc 54 6a"
        "0d 07 2b 04 b3 56 4e ea 1b 42 22 73 f5 48 27 1a"
        "0b b2 31 60 53 fa 76 99 19 55 eb d6 31 59 43 4e"
        "ce bb 4e 46 6d ae 5a 10 73 a6 72 76 27 09 7a 10"
        "49 e6 17 d9 1d 36 10 94 fa 68 f0 ff 77 98 71 30"
        "30 5b ea ba 2e da 04 df 99 7b 71 4d 6c 6f 2c 29"
        "a6 ad 5c b4 02 2b 02 70 9b");
    unhex(tag, 16, "ee ad 9d 67 89 0c bb 22 39 23 36 fe a1 85 1f 38");
    check_int(name, (long)len, (long)strlen(a5_pt));
    check_int(name, sc_chacha20_poly1305_open(got, key, nonce, ad, adlen, ct,
                                              len, tag), 0);
    check(name, got, (const uint8_t *)a5_pt, len);
    ossl_seal(got, gtag, key, nonce, ad, adlen, (const uint8_t *)a5_pt, len);
    check("RFC 8439 A.5 AEAD decryption (OpenSSL seal)", got, ct, len);
    check("RFC 8439 A.5 AEAD decryption tag (OpenSSL seal)", gtag, tag, 16);
    /* one-time key of A.5 */
    unhex(gtag, 16, "bd f0 4a a9 5c e4 de 89 95 b1 4b b6 a1 8f ec af");
    sc_chacha20_block(got, key, 0, nonce);
    check("RFC 8439 A.5 one-time key", got, gtag, 16);
    /* in place, and a forged tag */
    memcpy(got, ct, len);
    check_int("RFC 8439 A.5 AEAD decryption in place",
              sc_chacha20_poly1305_open(got, key, nonce, ad, adlen, got, len, tag), 0);
    check("RFC 8439 A.5 AEAD decryption in place", got, (const uint8_t *)a5_pt, len);
    tag[0] ^= 1;
    memset(got, 0xaa, len);
    check_int("RFC 8439 A.5 AEAD with a flipped tag bit is refused",
              sc_chacha20_poly1305_open(got, key, nonce, ad, adlen, ct, len, tag), -1);
    memset(ct, 0, len);
    check("RFC 8439 A.5 AEAD with a flipped tag bit leaves zeros", got, ct, len);
}

/* ---- RFC 7748 ---- */

static void rfc7748(void)
{
    static const char *const v52[2][3] = {
        { "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
          "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
          "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
        { "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
          "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
          "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
    };
    uint8_t k[32], u[32], want[32], got[32], t[32];
    uint8_t a_sk[32], a_pk[32], b_sk[32], b_pk[32], shared[32];
    int i, r;

    for ( i = 0; i < 2; i++ )
    {
        char what[80];

        unhex(k, 32, v52[i][0]);
        unhex(u, 32, v52[i][1]);
        unhex(want, 32, v52[i][2]);
        snprintf(what, sizeof(what), "RFC 7748 5.2 vector %d", i + 1);
        check_int(what, sc_x25519(got, k, u), 0);
        check(what, got, want, 32);
        ossl_x25519(got, k, u);
        snprintf(what, sizeof(what), "RFC 7748 5.2 vector %d (OpenSSL)", i + 1);
        check(what, got, want, 32);
    }

    /* Iterated: k = u = 9; then u, k = k, X25519(k, u). */
    memset(k, 0, 32);
    k[0] = 9;
    memcpy(u, k, 32);
    for ( i = 1; i <= 1000; i++ )
    {
        r = sc_x25519(t, k, u);
        if ( r != 0 )
            check_int("RFC 7748 5.2 iteration returns 0", r, 0);
        memcpy(u, k, 32);
        memcpy(k, t, 32);
        if ( i == 1 )
        {
            unhex(want, 32, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
            check("RFC 7748 5.2 after 1 iteration", k, want, 32);
        }
    }
    unhex(want, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
    check("RFC 7748 5.2 after 1,000 iterations", k, want, 32);

    /* 6.1 */
    unhex(a_sk, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    unhex(a_pk, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    unhex(b_sk, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    unhex(b_pk, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    unhex(shared, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    sc_x25519_base(got, a_sk);
    check("RFC 7748 6.1 Alice's public key", got, a_pk, 32);
    sc_x25519_base(got, b_sk);
    check("RFC 7748 6.1 Bob's public key", got, b_pk, 32);
    check_int("RFC 7748 6.1 Alice's shared secret", sc_x25519(got, a_sk, b_pk), 0);
    check("RFC 7748 6.1 Alice's shared secret", got, shared, 32);
    check_int("RFC 7748 6.1 Bob's shared secret", sc_x25519(got, b_sk, a_pk), 0);
    check("RFC 7748 6.1 Bob's shared secret", got, shared, 32);
    ossl_x25519(got, a_sk, b_pk);
    check("RFC 7748 6.1 shared secret (OpenSSL)", got, shared, 32);

    /* Low order: u = 0 and u = 1 give all zero and -1. */
    memset(u, 0, 32);
    memset(got, 0xaa, 32);
    check_int("X25519 of u = 0 returns -1", sc_x25519(got, a_sk, u), -1);
    memset(want, 0, 32);
    check("X25519 of u = 0 writes all zero", got, want, 32);
    u[0] = 1;
    check_int("X25519 of u = 1 returns -1", sc_x25519(got, a_sk, u), -1);
    check("X25519 of u = 1 writes all zero", got, want, 32);
}

/* ---- RFC 4231, RFC 5869, FIPS 180 ---- */

static void rfc4231(void)
{
    static const char *const want_hex[7] = {
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        "a3b6167473100ee06e0c796c2955552b",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    };
    uint8_t key[131], msg[160], want[32], got[32];
    size_t keylen = 0, msglen = 0, wantlen;
    char what[80];
    int i;

    for ( i = 0; i < 7; i++ )
    {
        switch ( i )
        {
        case 0:
            keylen = 20;
            memset(key, 0x0b, keylen);
            msglen = strlen("Hi There");
            memcpy(msg, "Hi There", msglen);
            break;
        case 1:
            keylen = 4;
            memcpy(key, "Jefe", 4);
            msglen = strlen("what do ya want for nothing?");
            memcpy(msg, "what do ya want for nothing?", msglen);
            break;
        case 2:
            keylen = 20;
            memset(key, 0xaa, keylen);
            msglen = 50;
            memset(msg, 0xdd, msglen);
            break;
        case 3:
            keylen = unhex(key, sizeof(key),
                           "0102030405060708090a0b0c0d0e0f10111213141516171819");
            msglen = 50;
            memset(msg, 0xcd, msglen);
            break;
        case 4:
            keylen = 20;
            memset(key, 0x0c, keylen);
            msglen = strlen("Test With Truncation");
            memcpy(msg, "Test With Truncation", msglen);
            break;
        case 5:
            keylen = 131;
            memset(key, 0xaa, keylen);
            msglen = strlen("Test Using Larger Than Block-Size Key - Hash Key First");
            memcpy(msg, "Test Using Larger Than Block-Size Key - Hash Key First", msglen);
            break;
        case 6:
            keylen = 131;
            memset(key, 0xaa, keylen);
            msglen = strlen("This is a test using a larger than block-size key "
                            "and a larger than block-size data. The key needs to "
                            "be hashed before being used by the HMAC algorithm.");
            memcpy(msg, "This is a test using a larger than block-size key "
                        "and a larger than block-size data. The key needs to "
                        "be hashed before being used by the HMAC algorithm.", msglen);
            break;
        }
        wantlen = unhex(want, sizeof(want), want_hex[i]);
        sc_hmac_sha256(got, key, keylen, msg, msglen);
        snprintf(what, sizeof(what), "RFC 4231 test case %d", i + 1);
        check(what, got, want, wantlen);
        ossl_hmac(got, key, keylen, msg, msglen);
        snprintf(what, sizeof(what), "RFC 4231 test case %d (OpenSSL)", i + 1);
        check(what, got, want, wantlen);
    }
}

static void rfc5869(void)
{
    static const struct
    {
        const char *ikm, *salt, *info;
        size_t l;
        const char *prk, *okm;
    } v[3] = {
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
          "000102030405060708090a0b0c",
          "f0f1f2f3f4f5f6f7f8f9", 42,
          "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
          "34007208d5b887185865" },
        { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
          "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
          "404142434445464748494a4b4c4d4e4f",
          "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
          "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
          "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
          "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
          "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
          "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", 82,
          "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
          "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
          "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
          "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "", 42,
          "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
          "9d201395faa4b61a96c8" },
    };
    uint8_t ikm[80], salt[80], info[80], prk[32], okm[82], got[82];
    size_t ikmlen, saltlen, infolen;
    static const uint8_t zeros[32];
    char what[80];
    int i;

    for ( i = 0; i < 3; i++ )
    {
        ikmlen = unhex(ikm, sizeof(ikm), v[i].ikm);
        saltlen = unhex(salt, sizeof(salt), v[i].salt);
        infolen = unhex(info, sizeof(info), v[i].info);
        unhex(prk, 32, v[i].prk);
        unhex(okm, sizeof(okm), v[i].okm);

        /* PRK = HMAC(salt or 32 zeros, IKM) */
        if ( saltlen )
            sc_hmac_sha256(got, salt, saltlen, ikm, ikmlen);
        else
            sc_hmac_sha256(got, zeros, 32, ikm, ikmlen);
        snprintf(what, sizeof(what), "RFC 5869 test case %d PRK", i + 1);
        check(what, got, prk, 32);

        memset(got, 0, sizeof(got));
        snprintf(what, sizeof(what), "RFC 5869 test case %d OKM", i + 1);
        check_int(what, sc_hkdf_sha256(got, v[i].l, salt, saltlen, ikm, ikmlen,
                                       info, infolen), 0);
        check(what, got, okm, v[i].l);
        ossl_hkdf(got, v[i].l, salt, saltlen, ikm, ikmlen, info, infolen);
        snprintf(what, sizeof(what), "RFC 5869 test case %d OKM (OpenSSL)", i + 1);
        check(what, got, okm, v[i].l);
    }

    /* The length limit: 255 * 32 works, one more is refused untouched. */
    {
        static uint8_t big[255 * 32 + 1];

        memset(big, 0xaa, sizeof(big));
        check_int("HKDF refuses 255 * 32 + 1 bytes",
                  sc_hkdf_sha256(big, sizeof(big), salt, 13, ikm, 22, info, 10), -1);
        memset(got, 0xaa, sizeof(got));
        check("HKDF leaves out untouched when it refuses", big, got, 80);
        check_int("HKDF gives 255 * 32 bytes",
                  sc_hkdf_sha256(big, sizeof(big) - 1, salt, 13, ikm, 22, info, 10), 0);
    }
}

static void fips180(void)
{
    static const char two_block[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t want[32], got[32];
    struct sc_sha256 st;
    uint8_t *million;
    int i;

    unhex(want, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sc_sha256(got, (const uint8_t *)"abc", 3);
    check("FIPS 180 SHA-256 \"abc\"", got, want, 32);
    EVP_Digest("abc", 3, got, NULL, EVP_sha256(), NULL);
    check("FIPS 180 SHA-256 \"abc\" (OpenSSL)", got, want, 32);

    unhex(want, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sc_sha256(got, (const uint8_t *)two_block, strlen(two_block));
    check("FIPS 180 SHA-256 448-bit message", got, want, 32);
    EVP_Digest(two_block, strlen(two_block), got, NULL, EVP_sha256(), NULL);
    check("FIPS 180 SHA-256 448-bit message (OpenSSL)", got, want, 32);

    unhex(want, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    million = malloc(1000000);
    if ( !million )
        exit(2);
    memset(million, 'a', 1000000);
    sc_sha256(got, million, 1000000);
    check("FIPS 180 SHA-256 one million 'a'", got, want, 32);
    /* the same, fed in pieces of 1, 63, 64, 65 ... bytes */
    sc_sha256_init(&st);
    for ( i = 0; i < 1000000; )
    {
        int n = 1 + (i * 7) % 130;

        if ( n > 1000000 - i )
            n = 1000000 - i;
        sc_sha256_update(&st, million + i, (size_t)n);
        i += n;
    }
    sc_sha256_final(&st, got);
    check("FIPS 180 SHA-256 one million 'a' fed in pieces", got, want, 32);
    EVP_Digest(million, 1000000, got, NULL, EVP_sha256(), NULL);
    check("FIPS 180 SHA-256 one million 'a' (OpenSSL)", got, want, 32);
    free(million);
}

static void misc(void)
{
    uint8_t a[64], b[64];

    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    check_int("sc_ct_equal says 1 for equal buffers", sc_ct_equal(a, b, 64), 1);
    check_int("sc_ct_equal says 1 for empty buffers", sc_ct_equal(a, b, 0), 1);
    b[63] ^= 0x80;
    check_int("sc_ct_equal says 0 for a difference in the last bit",
              sc_ct_equal(a, b, 64), 0);
    b[63] ^= 0x80;
    b[0] ^= 1;
    check_int("sc_ct_equal says 0 for a difference in the first bit",
              sc_ct_equal(a, b, 64), 0);
    sc_wipe(a, sizeof(a));
    memset(b, 0, sizeof(b));
    check("sc_wipe zeroes the buffer", a, b, 64);
    check_int("sc_crypto_selftest passes", sc_crypto_selftest(), 0);
}

int main(void)
{
    rfc8439();
    rfc8439_aead();
    rfc7748();
    rfc4231();
    rfc5869();
    fips180();
    misc();

    printf("crypto_vectors: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
