/* SPDX-License-Identifier: MIT */
/*
 * Seal levels in words (sccrypt(7) LEVELS): what the tools print and what
 * --require and SCCRYPT_REQUIRE take.  The encoding and the ordering are
 * the core's (sc_proto.h: struct sc_level, sc_level_at_least); this file
 * only names them, so the relay, which links no core, can use it too.
 */
#ifndef SC_LIB_LEVEL_H
#define SC_LIB_LEVEL_H

#include <stddef.h>

#include "sc_proto.h"

#define LEVEL_TEXT_MAX  160

/*
 * level_parse: a least level from words: "strongest" (dma,sealed, the
 * default), "none" (accept any), or a comma-separated list of dma (alias
 * iommu), sealed, ring, uart (at most one console kind).  0, or -1 with
 * nothing written to l.
 */
int level_parse(const char *s, struct sc_level *l);
/*
 * level_default: the least level the user asked for: opt when not NULL,
 * else $SCCRYPT_REQUIRE when set, else the strongest.  0, or -1 with a
 * message (prog names the tool) when the words do not parse.
 */
int level_default(const char *prog, const char *opt, struct sc_level *l);
/* The words for l, as level_parse takes them ("dma,sealed", "sealed,uart", "none"). */
void level_words(char *buf, size_t cap, const struct sc_level *l);
/*
 * A level as the user reads it: "console PV ring, memory sealed, DMA NOT
 * confined (no strict IOMMU)".
 */
void level_describe(char *buf, size_t cap, const struct sc_level *l);
/*
 * What have lacks of want, in words ("DMA NOT confined (no strict IOMMU):
 * a device dom0 drives may read and write the guest's memory"), and in
 * accept the words of the least level that have meets and that keeps the
 * rest of want (for the message that says how to accept it).
 */
void level_lacks(char *buf, size_t cap, char *accept, size_t acap,
                 const struct sc_level *have, const struct sc_level *want);

#endif /* SC_LIB_LEVEL_H */
