/* SPDX-License-Identifier: MIT */
/*
 * sccrypt_crypto.h: the public API of SCCrypt's freestanding crypto core.
 *
 * The same .c files are compiled into the Xen hypervisor, the user-space
 * VMM simulator and the unit tests.  They use no libc, no heap, no SIMD and
 * no writable globals; the compiler may emit memcpy, memset and memmove.
 *
 * Constant time: no branch and no memory index depends on a key, a scalar,
 * a plaintext or the outcome of a tag comparison.  Every temporary that held
 * key material is wiped before return.  Sizes are in the signatures; all
 * pointers must be valid for the stated lengths (NULL is allowed only with a
 * zero length).
 */
#ifndef SCCRYPT_CRYPTO_H
#define SCCRYPT_CRYPTO_H

#include "sc_types.h"

/*
 * sc_chacha20_poly1305_seal: ChaCha20-Poly1305 AEAD encryption (RFC 8439,
 * section 2.8).  Encrypts ptlen bytes of pt into ct (ptlen bytes; ct == pt
 * for in-place use, otherwise the buffers must not overlap) and writes the
 * 16-byte tag over the ad (adlen bytes) and the ciphertext.  The key is 32
 * bytes, the nonce 12 bytes and must never repeat under one key.  ptlen is
 * at most 2^38 - 64 bytes (the 32-bit block counter, section 2.8).
 */
void sc_chacha20_poly1305_seal(uint8_t *ct, uint8_t tag[16], const uint8_t key[32],
        const uint8_t nonce[12], const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen);
/*
 * sc_chacha20_poly1305_open: ChaCha20-Poly1305 AEAD decryption (RFC 8439,
 * section 2.8).  Computes the tag over ad (adlen bytes) and ct (ctlen
 * bytes) and compares it in constant time with tag (16 bytes) BEFORE any
 * plaintext is produced.  Returns 0 when authentic, with the plaintext in
 * pt (ctlen bytes; pt == ct for in-place use); returns -1 when forged, and
 * then pt is all zero (ctlen bytes) and no plaintext was ever written.
 */
/* 0 when authentic; -1 when forged, and then pt is all zero */
int sc_chacha20_poly1305_open(uint8_t *pt, const uint8_t key[32], const uint8_t nonce[12],
        const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen, const uint8_t tag[16]);
/*
 * sc_sha256: SHA-256 (FIPS 180-4, section 6.2) of len bytes at m into the
 * 32-byte out.
 */
void sc_sha256(uint8_t out[32], const uint8_t *m, size_t len);
/*
 * sc_hmac_sha256: HMAC-SHA256 (RFC 2104; test vectors RFC 4231) of len
 * bytes at m under a key of keylen bytes (any length; longer than 64 bytes
 * is hashed first) into the 32-byte out.
 */
void sc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *m, size_t len);
/*
 * sc_hkdf_sha256: HKDF-SHA256 (RFC 5869, sections 2.2 and 2.3): extract a
 * PRK from ikm (ikmlen bytes) with salt (saltlen bytes; an empty salt means
 * 32 zero bytes), then expand it with info (infolen bytes) into outlen
 * bytes at out.  Returns 0, or -1 when outlen > 255 * 32, and then out is
 * left untouched.
 */
/* 0, or -1 when outlen > 255 * 32 */
int sc_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *salt, size_t saltlen,
        const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen);
/*
 * sc_x25519: the X25519 function (RFC 7748, section 5): the 32-byte scalar
 * (clamped here, the caller's copy is not modified) times the 32-byte
 * u-coordinate point (its top bit is ignored, non-canonical values are
 * reduced), written to the 32-byte out.  Returns 0, or -1 when out is all
 * zero, i.e. the point had small order (RFC 7748, section 6.1): callers
 * doing Diffie-Hellman must then abort.  out may be the same buffer as
 * scalar or point.  Montgomery ladder with constant-time swaps.
 */
/* out is always written; returns -1 when it is all zero (a low-order point), else 0 */
int sc_x25519(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);
/*
 * sc_x25519_base: the X25519 public key of the 32-byte scalar, i.e. the
 * scalar times the base point u = 9 (RFC 7748, section 6.1), into the
 * 32-byte out (which may be the same buffer as scalar).
 */
void sc_x25519_base(uint8_t out[32], const uint8_t scalar[32]);
/*
 * sc_ct_equal: compares len bytes at a and b in time that depends on len
 * only.  Returns 1 when equal, 0 when not.
 */
int sc_ct_equal(const void *a, const void *b, size_t len);   /* 1 equal, 0 not */
/*
 * sc_wipe: sets len bytes at p to zero in a way the compiler cannot drop,
 * for buffers that held secrets.
 */
void sc_wipe(void *p, size_t len);

/*
 * sc_crypto_selftest: known-answer test of every primitive above (vectors
 * from RFC 8439, RFC 7748, RFC 5869, RFC 4231 and FIPS 180-4), for Xen to
 * run at boot.  Returns 0 when every answer matches, else -1.
 */
int sc_crypto_selftest(void);

#endif /* SCCRYPT_CRYPTO_H */
