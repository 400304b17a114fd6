/* SPDX-License-Identifier: MIT */
/* Text forms: lowercase hex, UUIDs (8-4-4-4-12), unpadded base64, names. */
#ifndef SC_TEXT_H
#define SC_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex digits and a NUL to out (2*len+1 bytes). */
void hex_encode(char *out, const uint8_t *in, size_t len);
/* Parses exactly 2*len hex digits (either case) at s: 0, or -1 (out wiped). */
int hex_decode(uint8_t *out, size_t len, const char *s);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx": 0 or -1. */
int uuid_parse(uint8_t out[16], const char *s);
/* 37 bytes with the NUL. */
void uuid_format(char out[37], const uint8_t in[16]);
/* Unpadded standard base64 of len bytes; out must hold 4*ceil(len/3)+1. */
void b64_encode(char *out, const uint8_t *in, size_t len);

/*
 * A user, group or guest name: 1..max bytes of [A-Za-z0-9._@+-], not
 * starting with '-' (so it never reads as an option): 1, else 0.
 */
int name_valid(const char *s, size_t max);

#endif /* SC_TEXT_H */
