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
#else
#include <stdint.h>
#include <stddef.h>
#endif

#endif /* SC_TYPES_H */
