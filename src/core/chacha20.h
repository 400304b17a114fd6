/* SPDX-License-Identifier: MIT */
/*
 * chacha20.h: ChaCha20 (RFC 8439, sections 2.3 and 2.4), private to the core
 * (the AEAD, the self-test and a future ChaCha20-based DRBG use it).
 */
#ifndef SC_CHACHA20_H
#define SC_CHACHA20_H

#include "sc_types.h"

/*
 * sc_chacha20_block: the ChaCha20 block function (RFC 8439, section 2.3):
 * the 64-byte keystream block number counter for the 32-byte key and the
 * 12-byte nonce, into out (64 bytes).
 */
void sc_chacha20_block(uint8_t out[64], const uint8_t key[32], uint32_t counter,
                       const uint8_t nonce[12]);

/*
 * sc_chacha20_xor: ChaCha20 encryption (RFC 8439, section 2.4): XORs len
 * bytes of in with the keystream that starts at block counter, into out
 * (out == in works; otherwise they must not overlap).  The 32-bit block
 * counter wraps after 2^32 blocks: callers keep len within 64 * (2^32 -
 * counter) bytes, the RFC's limit.
 */
void sc_chacha20_xor(uint8_t *out, const uint8_t *in, size_t len,
                     const uint8_t key[32], uint32_t counter,
                     const uint8_t nonce[12]);

/*
 * sc_chacha20_xor_masked: as sc_chacha20_xor, but every output byte is
 * ANDed with mask (0xff...ff or 0): with mask 0 it writes len zero bytes and
 * no plaintext ever exists, without a branch on mask (the AEAD's open uses
 * it to decrypt only when the tag matched, in constant time).
 */
void sc_chacha20_xor_masked(uint8_t *out, const uint8_t *in, size_t len,
                            const uint8_t key[32], uint32_t counter,
                            const uint8_t nonce[12], uint64_t mask);

#endif /* SC_CHACHA20_H */
