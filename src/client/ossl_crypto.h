/* SPDX-License-Identifier: MIT */
/*
 * The protocol's crypto table on OpenSSL libcrypto (the user's side):
 * EVP ChaCha20-Poly1305, X25519, HKDF-SHA256 and SHA-256, with the
 * contracts of src/core/sccrypt_crypto.h.
 */
#ifndef SC_CLIENT_OSSL_CRYPTO_H
#define SC_CLIENT_OSSL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "sc_proto.h"

extern const struct sc_crypto sc_ossl_crypto;

/* len bytes from OpenSSL's private CSPRNG into buf: 0, or -1 (buf wiped). */
int sc_ossl_random(void *buf, size_t len);
/* Erases and frees the AEAD contexts (they hold the last record's key); call before exit. */
void sc_ossl_cleanup(void);
/*
 * Does OpenSSL's first-use set-up now (providers, method fetches), with
 * public dummy inputs, so that a later first operation on the critical
 * path of a session's start does not pay for it.
 */
void sc_ossl_warm(void);

#endif /* SC_CLIENT_OSSL_CRYPTO_H */
