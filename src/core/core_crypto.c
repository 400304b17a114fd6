/* SPDX-License-Identifier: MIT */
/* The protocol's crypto table on the core's own primitives (the VMM's side). */
#include "sc_proto.h"
#include "sccrypt_crypto.h"

const struct sc_crypto sc_core_crypto = {
    .seal = sc_chacha20_poly1305_seal,
    .open = sc_chacha20_poly1305_open,
    .x25519 = sc_x25519,
    .x25519_base = sc_x25519_base,
    .hkdf = sc_hkdf_sha256,
    .sha256 = sc_sha256,
};
