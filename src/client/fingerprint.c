/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "sc_proto.h"
#include "fingerprint.h"
#include "msg.h"
#include "ossl_crypto.h"
#include "text.h"

static void fp_of(char out[FP_BUFLEN], const uint8_t h[32])
{
    memcpy(out, "SHA256:", 7);
    b64_encode(out + 7, h, 32);
}

void fp_key(char out[FP_BUFLEN], const uint8_t key[32])
{
    static const char label[] = "sccrypt v1 key id";
    uint8_t m[sizeof(label) - 1 + 32];
    uint8_t h[32];

    memcpy(m, label, sizeof(label) - 1);
    memcpy(m + sizeof(label) - 1, key, 32);
    sc_ossl_crypto.sha256(h, m, sizeof(m));
    cl_wipe(m, sizeof(m));
    fp_of(out, h);
}

void fp_vmm(char out[FP_BUFLEN], const uint8_t pub[32])
{
    uint8_t h[32];

    sc_ossl_crypto.sha256(h, pub, 32);
    fp_of(out, h);
}

int fp_valid(const char *s)
{
    size_t i;
    char c;

    if (strlen(s) != FP_LEN || strncmp(s, "SHA256:", 7) != 0)
        return 0;
    for (i = 7; i < FP_LEN; i++) {
        c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return 0;
    }
    return 1;
}
