/* SPDX-License-Identifier: MIT */
/* Seal levels in words (level.h, sccrypt(7) LEVELS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "level.h"

/* Appends s to buf (cap bytes, NUL-terminated), cutting it short when full. */
static void cat(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);

    if (n + 1 < cap)
        snprintf(buf + n, cap - n, "%s", s);
}

int level_parse(const char *s, struct sc_level *l)
{
    struct sc_level r = { 0, SC_CON_ANY };
    const char *p = s, *e;
    size_t n;

    if (strcmp(s, "none") == 0 || strcmp(s, "any") == 0) {
        *l = r;
        return 0;
    }
    if (strcmp(s, "strongest") == 0) {
        r.flags = SC_LEVEL_STRONGEST;
        *l = r;
        return 0;
    }
    for (;;) {
        e = strchr(p, ',');
        n = e ? (size_t)(e - p) : strlen(p);
        if ((n == 3 && !strncmp(p, "dma", 3)) || (n == 5 && !strncmp(p, "iommu", 5)))
            r.flags |= SC_LEVEL_DMA;
        else if (n == 6 && !strncmp(p, "sealed", 6))
            r.flags |= SC_LEVEL_SEALED;
        else if (n == 4 && !strncmp(p, "ring", 4) && r.console != SC_CON_UART)
            r.console = SC_CON_RING;
        else if (n == 4 && !strncmp(p, "uart", 4) && r.console != SC_CON_RING)
            r.console = SC_CON_UART;
        else
            return -1;
        if (!e)
            break;
        p = e + 1;
    }
    *l = r;
    return 0;
}

int level_default(const char *prog, const char *opt, struct sc_level *l)
{
    const char *env = getenv("SCCRYPT_REQUIRE");

    if (opt) {
        if (level_parse(opt, l) == 0)
            return 0;
        fprintf(stderr, "%s: --require %s: expected strongest, none, or words from dma, "
                "sealed, ring, uart joined by commas (sccrypt(7) LEVELS)\n", prog, opt);
        return -1;
    }
    if (env && *env) {
        if (level_parse(env, l) == 0)
            return 0;
        fprintf(stderr, "%s: SCCRYPT_REQUIRE=%s: expected strongest, none, or words from "
                "dma, sealed, ring, uart joined by commas (sccrypt(7) LEVELS)\n", prog, env);
        return -1;
    }
    l->flags = SC_LEVEL_STRONGEST;
    l->console = SC_CON_ANY;
    return 0;
}

void level_words(char *buf, size_t cap, const struct sc_level *l)
{
    const char *sep = "";

    if (cap == 0)
        return;
    buf[0] = '\0';
    if (l->flags & SC_LEVEL_DMA) {
        cat(buf, cap, "dma");
        sep = ",";
    }
    if (l->flags & SC_LEVEL_SEALED) {
        cat(buf, cap, sep);
        cat(buf, cap, "sealed");
        sep = ",";
    }
    if (l->console == SC_CON_RING || l->console == SC_CON_UART) {
        cat(buf, cap, sep);
        cat(buf, cap, l->console == SC_CON_RING ? "ring" : "uart");
    }
    if (buf[0] == '\0')
        cat(buf, cap, "none");
}

static const char *console_name(unsigned int kind)
{
    switch (kind) {
    case SC_CON_RING: return "PV ring";
    case SC_CON_UART: return "UART";
    case SC_CON_ANY: return "any";
    default: return "unknown";
    }
}

void level_describe(char *buf, size_t cap, const struct sc_level *l)
{
    snprintf(buf, cap, "console %s, %s, %s", console_name(l->console),
             (l->flags & SC_LEVEL_SEALED) ? "memory sealed" :
             "memory NOT sealed (something outside the guest may map it)",
             (l->flags & SC_LEVEL_DMA) ? "DMA confined (strict IOMMU)" :
             "DMA NOT confined (no strict IOMMU)");
}

void level_lacks(char *buf, size_t cap, char *accept, size_t acap,
                 const struct sc_level *have, const struct sc_level *want)
{
    struct sc_level ok = *want;
    char tmp[LEVEL_TEXT_MAX];

    if (cap)
        buf[0] = '\0';
    if ((want->flags & SC_LEVEL_DMA) && !(have->flags & SC_LEVEL_DMA)) {
        cat(buf, cap, "DMA NOT confined (no strict IOMMU): a device dom0 drives may read and "
            "write the guest's memory");
        ok.flags &= (uint8_t)~SC_LEVEL_DMA;
    }
    if ((want->flags & SC_LEVEL_SEALED) && !(have->flags & SC_LEVEL_SEALED)) {
        if (buf[0])
            cat(buf, cap, "; ");
        cat(buf, cap, "memory NOT sealed: something outside the guest (a device model, or "
            "the host itself) may map its memory");
        ok.flags &= (uint8_t)~SC_LEVEL_SEALED;
    }
    if (want->console != SC_CON_ANY && want->console != have->console) {
        if (buf[0])
            cat(buf, cap, "; ");
        snprintf(tmp, sizeof(tmp), "console %s, not the %s asked for",
                 console_name(have->console), console_name(want->console));
        cat(buf, cap, tmp);
        ok.console = SC_CON_ANY;
    }
    level_words(accept, acap, &ok);
}
