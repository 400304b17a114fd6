/* SPDX-License-Identifier: MIT */
/*
 * sc_types.h: the only types header of the freestanding core.
 *
 * Inside Xen (__XEN__) the fixed-width types come from <xen/types.h>
 * (Xen builds with -nostdinc); everywhere else from <stdint.h> and
 * <stddef.h>, which are freestanding headers.
 */
#ifndef SC_TYPES_H
#define SC_TYPES_H

#ifdef __XEN__
#include <xen/types.h>
/* What the core uses of <stdint.h> that Xen's types header lacks. */
#ifndef UINT64_MAX
#define UINT64_MAX      (~(uint64_t)0)
#endif
#ifndef INT64_MAX
#define INT64_MAX       ((int64_t)(UINT64_MAX >> 1))
#endif
#else
#include <stdint.h>
#include <stddef.h>
#endif

#endif /* SC_TYPES_H */
