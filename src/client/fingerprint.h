/* SPDX-License-Identifier: MIT */
/*
 * Fingerprints (sccrypt(7) FINGERPRINTS), safe to print:
 *   key: "SHA256:" + unpadded base64 of SHA-256("sccrypt v1 key id" || K)
 *   VMM: "SHA256:" + unpadded base64 of SHA-256(VMM public key)
 */
#ifndef SC_CLIENT_FINGERPRINT_H
#define SC_CLIENT_FINGERPRINT_H

#include <stdint.h>

#define FP_LEN      (7 + 43)        /* without the NUL */
#define FP_BUFLEN   (FP_LEN + 1)

void fp_key(char out[FP_BUFLEN], const uint8_t key[32]);
void fp_vmm(char out[FP_BUFLEN], const uint8_t pub[32]);
/* Is s a well-formed fingerprint ("SHA256:" and 43 base64 characters)? */
int fp_valid(const char *s);

#endif /* SC_CLIENT_FINGERPRINT_H */
