/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "text.h"

/* Clears a partly decoded secret; volatile so the compiler keeps it. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;

    while (n--)
        *v++ = 0;
}

void hex_encode(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(uint8_t *out, size_t len, const char *s)
{
    size_t i;
    int hi, lo;

    for (i = 0; i < len; i++) {
        hi = nibble(s[2 * i]);
        lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            wipe(out, len);
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int uuid_parse(uint8_t out[16], const char *s)
{
    static const int groups[5] = { 4, 2, 2, 2, 6 };
    size_t g, o = 0;

    if (strlen(s) != 36)
        return -1;
    for (g = 0; g < 5; g++) {
        if (hex_decode(out + o, (size_t)groups[g], s) < 0)
            return -1;
        s += 2 * groups[g];
        o += (size_t)groups[g];
        if (g < 4 && *s++ != '-')
            return -1;
    }
    return 0;
}

void uuid_format(char out[37], const uint8_t in[16])
{
    static const int groups[5] = { 4, 2, 2, 2, 6 };
    size_t g, i = 0;
    char *p = out;

    for (g = 0; g < 5; g++) {
        hex_encode(p, in + i, (size_t)groups[g]);
        p += 2 * groups[g];
        i += (size_t)groups[g];
        if (g < 4)
            *p++ = '-';
    }
    *p = '\0';
}

void b64_encode(char *out, const uint8_t *in, size_t len)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    uint32_t v;

    for (i = 0; i + 3 <= len; i += 3) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = tab[v >> 18 & 63];
        *out++ = tab[v >> 12 & 63];
        *out++ = tab[v >> 6 & 63];
        *out++ = tab[v & 63];
    }
    if (len - i == 1) {
        v = (uint32_t)in[i] << 16;
        *out++ = tab[v >> 18 & 63];
        *out++ = tab[v >> 12 & 63];
    } else if (len - i == 2) {
        v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        *out++ = tab[v >> 18 & 63];
        *out++ = tab[v >> 12 & 63];
        *out++ = tab[v >> 6 & 63];
    }
    *out = '\0';
}

int name_valid(const char *s, size_t max)
{
    size_t n = strlen(s), i;

    if (n == 0 || n > max || s[0] == '-')
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '@' || c == '+' || c == '-'))
            return 0;
    }
    return 1;
}
