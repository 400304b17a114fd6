/* SPDX-License-Identifier: MIT */
/*
 * HKDF-SHA256 (RFC 5869, section 2).
 */
#include "sha256.h"
#include "sccrypt_crypto.h"

int sc_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
        const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen)
{
    static const uint8_t zero_salt[32];
    struct sc_hmac_sha256 base, st;
    uint8_t prk[32], t[32];
    uint8_t ctr;
    size_t n, i, done = 0;

    if ( outlen > 255 * 32 )
        return -1;

    /* Extract (section 2.2): PRK = HMAC(salt, IKM); no salt is 32 zeros. */
    if ( saltlen == 0 )
        sc_hmac_sha256(prk, zero_salt, sizeof(zero_salt), ikm, ikmlen);
    else
        sc_hmac_sha256(prk, salt, saltlen, ikm, ikmlen);

    /* Expand (section 2.3): T(i) = HMAC(PRK, T(i-1) | info | i). */
    sc_hmac_sha256_init(&base, prk, sizeof(prk));
    for ( ctr = 1; done < outlen; ctr++ )
    {
        st = base;
        if ( ctr > 1 )
            sc_hmac_sha256_update(&st, t, sizeof(t));
        sc_hmac_sha256_update(&st, info, infolen);
        sc_hmac_sha256_update(&st, &ctr, 1);
        sc_hmac_sha256_final(&st, t);

        n = outlen - done;
        if ( n > 32 )
            n = 32;
        for ( i = 0; i < n; i++ )
            out[done + i] = t[i];
        done += n;
    }

    sc_wipe(&base, sizeof(base));
    sc_wipe(prk, sizeof(prk));
    sc_wipe(t, sizeof(t));
    return 0;
}
