/* SPDX-License-Identifier: MIT */
/*
 * rp_fuzz: hostile input for sc-relay's policy parser (src/relay_policy.c),
 * built with ASan and UBSan by test/relay-policy.bats.  Mutates a valid
 * policy (byte flips, insertions of the grammar's own words and of bytes
 * the parser must refuse, truncations, long runs) and checks that every
 * parse either fails with a message or yields rules within the limits.
 *
 * usage: rp_fuzz SEED ITERATIONS   (prints "rp_fuzz: N parsed, M refused")
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay_policy.h"

static const char seed_text[] =
    "# the operator's policy\n"
    "backend sim\n"
    "socket /run/sccrypt-sim/sim.sock\n"
    "allow user:alice attach,bind name:web1 uuid:5a5a5a5a-1111-4222-8333-444444444444\n"
    "allow group:consoles all *\t# everyone in consoles\n";

static const char *const words[] = {
    "allow", "user:", "group:", "name:", "uuid:", "*", ",", "attach", "bind", "takeover",
    "all", "backend", "socket", "#", "\n", "\t", " ", "\r", "\0", "\xff", ":", "--",
};

static uint64_t st;

static uint32_t rnd(void)
{
    st ^= st << 13;
    st ^= st >> 7;
    st ^= st << 17;
    return (uint32_t)(st >> 16);
}

int main(int argc, char **argv)
{
    static struct relay_policy p;
    static char buf[RP_FILE_MAX + 4096];
    struct rp_caller c;
    char err[512];
    unsigned long it, n, parsed = 0, refused = 0;
    size_t len, i, k;

    if (argc != 3)
        return 2;
    st = strtoull(argv[1], NULL, 0) | 1;
    n = strtoul(argv[2], NULL, 0);
    memset(&c, 0, sizeof(c));
    strcpy(c.user, "alice");
    for (it = 0; it < n; it++) {
        memcpy(buf, seed_text, sizeof(seed_text) - 1);
        len = sizeof(seed_text) - 1;
        for (k = rnd() % 8 + 1; k > 0; k--) {
            size_t at = len ? rnd() % len : 0;

            switch (rnd() % 5) {
            case 0:                         /* flip a byte */
                if (len)
                    buf[at] = (char)rnd();
                break;
            case 1: {                       /* insert a word of the grammar */
                const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
                size_t wl = w[0] ? strlen(w) : 1;

                memmove(buf + at + wl, buf + at, len - at);
                memcpy(buf + at, w, wl);
                len += wl;
                break;
            }
            case 2:                         /* truncate */
                len = at;
                break;
            case 3: {                       /* a long run of one byte */
                size_t run = rnd() % 2048;
                char ch = "a:,/ #\n*"[rnd() % 8];

                if (len + run > RP_FILE_MAX + 1024)
                    break;
                memmove(buf + at + run, buf + at, len - at);
                memset(buf + at, ch, run);
                len += run;
                break;
            }
            default:                        /* duplicate the text (more lines, more rules) */
                if (2 * len < sizeof(buf)) {
                    memcpy(buf + len, buf, len);
                    len *= 2;
                }
            }
            if (len > RP_FILE_MAX + 1024)
                len = RP_FILE_MAX + 1024;
        }
        err[0] = '\0';
        if (rp_parse(&p, buf, len, err, sizeof(err)) < 0) {
            if (err[0] == '\0' || p.nrules != 0) {
                fprintf(stderr, "rp_fuzz: iteration %lu: a refusal without a message, or "
                        "with rules left\n", it);
                return 1;
            }
            refused++;
            continue;
        }
        if (p.nrules > RP_RULES_MAX || len > RP_FILE_MAX) {
            fprintf(stderr, "rp_fuzz: iteration %lu: accepted beyond the limits\n", it);
            return 1;
        }
        for (i = 0; i < p.nrules; i++) {
            if ((p.rules[i].subj_kind != 'u' && p.rules[i].subj_kind != 'g') ||
                p.rules[i].actions == 0 || (p.rules[i].actions & ~RP_ALL) ||
                strlen(p.rules[i].subj) == 0 || strlen(p.rules[i].subj) >= RP_NAME_MAX) {
                fprintf(stderr, "rp_fuzz: iteration %lu: rule %zu is malformed\n", it, i);
                return 1;
            }
        }
        (void)rp_allowed(&p, &c, "web1", "5A5A5A5A-1111-4222-8333-444444444444");
        parsed++;
    }
    printf("rp_fuzz: %lu parsed, %lu refused\n", parsed, refused);
    return 0;
}
