/* SPDX-License-Identifier: MIT */
/*
 * xen/common/sccrypt/pristine.h: what the bind checks before it binds
 * (pristine.c).
 */
#ifndef __SCCRYPT_PRISTINE_H__
#define __SCCRYPT_PRISTINE_H__

struct domain;

/* A guest's console and xenstore, as the guest itself will find them. */
struct sccrypt_console {
    unsigned long ring;         /* console frame: gfn (PVH) or mfn (PV) */
    unsigned long store;        /* xenstore frame, the same way */
    unsigned long port;         /* console event channel */
};

/*
 * Reads d's console frame, port and xenstore frame from its HVM parameters
 * (PVH) or its start_info page (64-bit PV).  0, or -EINVAL.
 */
int sccrypt_guest_console(struct domain *d, struct sccrypt_console *con);

/*
 * Is d pristine (pristine.c says what that means)?  d must be sealed
 * already.  0; -EBUSY when only the console is still held (retry);
 * -EPERM with *why = XEN_SCCRYPT_P_* otherwise; -ENOMEM.
 */
int sccrypt_pristine(struct domain *d, const struct sccrypt_console *con,
                     unsigned int *why);

/* XEN_SCCRYPT_L_DMA when the IOMMU keeps dom0's devices off guests. */
unsigned int sccrypt_seal_level(void);

#endif /* __SCCRYPT_PRISTINE_H__ */
