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
    /*
     * The seal level's per-domain parts (sccrypt(7) LEVELS), which the bind
     * vouches for in the domain's answers (sccrypt.c: sccrypt_host_level).
     * The bind starts them at the PV ring and sealed memory.
     * console_kind: SC_CON_RING, or SC_CON_UART when the hypervisor emulates
     * the domain's COM1 (the HVM console glue sets it).
     * dm_may_map: a device model may still map the domain's memory (an HVM
     * guest that cannot run without emulated DMA; pristine.c's HVM rules set
     * it when they admit such a domain): the level then lacks "memory
     * sealed", and the engine binds only a request whose least level
     * allows that.
     */
    unsigned int console_kind;
    bool dm_may_map;
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

/*
 * XEN_SCCRYPT_L_DMA when the IOMMU keeps dom0's devices off guests
 * (sccrypt.c: read once at boot).
 */
unsigned int sccrypt_seal_level(void);

#endif /* __SCCRYPT_PRISTINE_H__ */
