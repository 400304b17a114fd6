/* SPDX-License-Identifier: MIT */
/*
 * ct_aead: constant-time check of the symmetric path with valgrind memcheck
 * (the ctgrind technique): ChaCha20-Poly1305 seal and open with the key and
 * the plaintext marked undefined, open of a forged message (the tag
 * comparison decides, without a branch, whether plaintext or zeros come
 * out), and the HKDF-SHA256 / HMAC-SHA256 key derivation with secret input
 * keying material.  memcheck reports every branch and every memory index
 * that depends on a secret; results are declassified only after the call.
 *
 * Run it as: valgrind --error-exitcode=99 ct_aead
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "sccrypt_crypto.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED(p, n)

static uint8_t pt[4200], ct[4200], back[4200];

int main(void)
{
    static const size_t lens[] = { 0, 1, 15, 16, 63, 64, 65, 1000, 4133 };
    uint8_t key[32], nonce[12], ad[21], tag[16], okm[100], ikm[40], salt[20];
    uint8_t mac[32];
    size_t i, j, len;
    int r, bad = 0;

    for ( i = 0; i < sizeof(key); i++ )
        key[i] = (uint8_t)(3 * i + 1);
    for ( i = 0; i < sizeof(nonce); i++ )
        nonce[i] = (uint8_t)(0xa0 + i);
    for ( i = 0; i < sizeof(ad); i++ )
        ad[i] = (uint8_t)i;
    for ( i = 0; i < sizeof(pt); i++ )
        pt[i] = (uint8_t)(i * 7);

    for ( j = 0; j < sizeof(lens) / sizeof(lens[0]); j++ )
    {
        len = lens[j];

        /* seal: secret key and plaintext */
        SECRET(key, sizeof(key));
        SECRET(pt, len);
        sc_chacha20_poly1305_seal(ct, tag, key, nonce, ad, sizeof(ad), pt, len);
        PUBLIC(ct, len);        /* the ciphertext and tag are sent */
        PUBLIC(tag, sizeof(tag));

        /* open: secret key; the plaintext comes out secret */
        memset(back, 0xee, len);
        r = sc_chacha20_poly1305_open(back, key, nonce, ad, sizeof(ad), ct, len, tag);
        PUBLIC(&r, sizeof(r));  /* authentic or not: the one public result */
        PUBLIC(back, len);
        PUBLIC(pt, len);
        bad |= r != 0 || memcmp(back, pt, len) != 0;

        /* open in place */
        memcpy(back, ct, len);
        r = sc_chacha20_poly1305_open(back, key, nonce, ad, sizeof(ad), back, len, tag);
        PUBLIC(&r, sizeof(r));
        PUBLIC(back, len);
        bad |= r != 0 || memcmp(back, pt, len) != 0;

        /* a forgery: the secret-dependent comparison leaks nothing either */
        tag[j % 16] ^= 0x10;
        r = sc_chacha20_poly1305_open(back, key, nonce, ad, sizeof(ad), ct, len, tag);
        PUBLIC(&r, sizeof(r));
        PUBLIC(back, len);
        bad |= r != -1;
        for ( i = 0; i < len; i++ )
            bad |= back[i] != 0;
        PUBLIC(key, sizeof(key));
    }

    /* key derivation: secret IKM and salt */
    memset(ikm, 0x0b, sizeof(ikm));
    memset(salt, 0x42, sizeof(salt));
    SECRET(ikm, sizeof(ikm));
    SECRET(salt, sizeof(salt));
    r = sc_hkdf_sha256(okm, sizeof(okm), salt, sizeof(salt), ikm, sizeof(ikm),
                       ad, sizeof(ad));
    PUBLIC(&r, sizeof(r));
    bad |= r != 0;
    SECRET(okm, 32);
    sc_hmac_sha256(mac, okm, 32, pt, 100);
    sc_sha256(mac, okm, 32);
    /* the constant-time compare on secrets */
    SECRET(mac, sizeof(mac));
    r = sc_ct_equal(mac, okm, sizeof(mac));
    PUBLIC(&r, sizeof(r));
    bad |= r != 0;

    printf("ct_aead: %s\n", bad ? "WRONG RESULTS" : "results correct");
    return bad ? 1 : 0;
}
