/* SPDX-License-Identifier: MIT */
/*
 * sccrypt_op.h: the sccrypt_op hypercall ABI (SCCrypt's end-to-end
 * encrypted PV console).  One truth: the patch installs this file as
 * xen/include/public/sccrypt_op.h, and sc-relay's xen backend
 * (src/relay/relay_xen.c) includes it from hcall/.
 *
 *   long sccrypt_op(struct xen_sccrypt_op *op)      hypercall number 43
 *
 * Only the control domain may call it (XSM hook xsm_sccrypt_op: dummy
 * policy XSM_PRIV, FLASK permission xen2:sccrypt_op).  op is read at the
 * start and written back at the end of every call; data travels in the
 * buffer op->buf (op->len bytes in, at most op->cap bytes out).  All
 * fields have fixed sizes and offsets on every architecture.
 *
 * Return: 0, or a negative errno: -EPERM (not the control domain),
 * -ENOSYS (a hypervisor without the patch), -EINVAL (malformed op),
 * -ESRCH (no such domain), -EBUSY (another session holds the domain, or
 * xenconsoled/another mapping still holds the console), -EACCES (the VMM
 * refused: op->vmm_err is the SC_E* code of src/core/sc_proto.h),
 * -ENOENT (the session named is gone), -EFAULT (a bad buffer), -ENOMEM.
 */
#ifndef __XEN_PUBLIC_SCCRYPT_OP_H__
#define __XEN_PUBLIC_SCCRYPT_OP_H__

#ifdef __XEN__
#include "xen.h"
#else
#include <xen/xen.h>            /* from libxen-dev; define __XEN_TOOLS__ first */
#endif

#ifndef __HYPERVISOR_sccrypt_op
#define __HYPERVISOR_sccrypt_op         43
#endif

#define XEN_SCCRYPT_INTERFACE_VERSION   3   /* 3: challenge; bind requests sealed for it */

/*
 * Sub-operations (op->cmd).  "Session" ops act on the session op->session
 * names, which OPEN returned; a session taken over by another OPEN
 * answers its last OUTPUT with the TAKEOVER close and then -ENOENT.
 */
#define XEN_SCCRYPT_status      0   /* -> value: SC_PROTO_VERSION; value2: interface version;
                                     *    flags: XEN_SCCRYPT_S_* */
#define XEN_SCCRYPT_vmm_key     1   /* -> buf: the VMM's X25519 public key (32 bytes) */
#define XEN_SCCRYPT_bind        2   /* domid; buf: bind request (SC_BIND_LEN), sealed for
                                     * the domain's current challenge -> buf:
                                     * the bind answer (SC_BOUND_LEN) when cap has
                                     * room for it.  The
                                     * console comes from the guest's own HVM params
                                     * (PVH) or start_info (PV); ring_gfn and port
                                     * are ignored.  Refused unless the domain is
                                     * pristine (value2: XEN_SCCRYPT_P_*) */
#define XEN_SCCRYPT_open        3   /* domid; buf: hello (SC_HELLO_LEN) -> buf: answer
                                     * (SC_ANSWER_LEN); session; value: the port the
                                     * relay binds (interdomain, remote = domid) */
#define XEN_SCCRYPT_input       4   /* session; buf: whole input frames -> value:
                                     * bytes consumed */
#define XEN_SCCRYPT_output      5   /* session; cap -> buf: output frames; value bit 0:
                                     * XEN_SCCRYPT_V_ENDED */
#define XEN_SCCRYPT_close       6   /* session; arg: close reason (SC_CLOSE_RELAY) */
#define XEN_SCCRYPT_dom_status  7   /* domid -> value: XEN_SCCRYPT_D_* flags */
#define XEN_SCCRYPT_xfer        8   /* session; buf: whole input frames (len, may be 0);
                                     * cap (below XEN_SCCRYPT_OUTPUT_MIN: no output)
                                     * -> value: input bytes consumed; buf: output
                                     * frames (all that is ready and fits); value2 bit
                                     * 0: XEN_SCCRYPT_V_ENDED.  One call per batch:
                                     * the relay's event fires only for news this
                                     * call did not carry.  A refused input record
                                     * gives -EACCES with vmm_err and still returns
                                     * the output, which ends in the VMM's close. */

#define XEN_SCCRYPT_challenge   9   /* domid -> buf: the domain's bind challenge
                                     * (SC_CHALLENGE_LEN bytes), made when first asked,
                                     * used up by any bind attempt that authenticates.
                                     * -EACCES with vmm_err SC_EBOUND once bound;
                                     * -EBUSY while a bind is under way */

/* op->flags, in */
#define XEN_SCCRYPT_F_TAKEOVER  0x0001      /* open: take the domain over */
/* op->flags, out (status) */
#define XEN_SCCRYPT_S_RANDOM    0x0001      /* a hardware random source seeded the DRBG */
#define XEN_SCCRYPT_S_SELFTEST  0x0002      /* the core's known-answer self-test passed */
#define XEN_SCCRYPT_S_DMA       0x0004      /* the IOMMU keeps dom0's devices off guests */
/* op->value2 when a bind is refused (-EACCES, vmm_err 0): the domain is not pristine */
#define XEN_SCCRYPT_P_RUN       1   /* it has run, or is not paused by the toolstack */
#define XEN_SCCRYPT_P_TARGET    2   /* another domain has it as target (or fork parent) */
#define XEN_SCCRYPT_P_INTROSPECT 3  /* monitor, paging, sharing, altp2m, log-dirty,
                                     * debugger or vmtrace state exists */
#define XEN_SCCRYPT_P_DEVICE    4   /* it has a device, I/O memory, I/O ports or IRQs */
#define XEN_SCCRYPT_P_GRANT     5   /* a grant entry beyond console and xenstore is set
                                     * or mapped */
#define XEN_SCCRYPT_P_MAPPED    6   /* another domain holds a reference to its memory */
#define XEN_SCCRYPT_P_DMA       7   /* (no longer returned: whether dom0's DMA is confined
                                     * is in the seal level the answers vouch for, and the
                                     * bind request's least level decides; an older
                                     * hypervisor: no strict IOMMU, and no
                                     * sccrypt_allow_dma) */
#define XEN_SCCRYPT_P_TRACE     8   /* hypervisor tracing (xentrace) is on */
#define XEN_SCCRYPT_P_XSM       9   /* the FLASK XSM policy decides: the seal is not in it */
#define XEN_SCCRYPT_P_CONSOLE   10  /* no console in its HVM params / start_info
                                     * (or a 32-bit PV guest) */
#define XEN_SCCRYPT_P_XENPAGE   11  /* another domain holds a mapping of a page Xen
                                     * shares with it: a grant table or status frame
                                     * (XENMEM_acquire_resource), its shared info */
#define XEN_SCCRYPT_P_P2M       12  /* its memory map holds what it does not own: a
                                     * foreign, grant, MMIO, shared or paged p2m entry
                                     * (PVH), a page table naming another's frame (PV) */
#define XEN_SCCRYPT_P_PROFILE   13  /* xenoprof profiles it (active or passive list), or
                                     * the vPMU samples every guest (XENPMU_MODE_ALL) */
#define XEN_SCCRYPT_P_IOREQ_LEGACY 14 /* a device model's ioreq server uses guest frames
                                     * (legacy HVM_PARAM_IOREQ_PFN), not Xen's pages */
#define XEN_SCCRYPT_P_DM_MAPPED 15  /* HVM with a device model: another domain holds a
                                     * reference to its RAM (QEMU's mapcache: emulated
                                     * disk, NIC or VGA, a ROM) */
#define XEN_SCCRYPT_P_DM_VGA    16  /* its device model emulates VGA (claims the VGA
                                     * window 0xa0000-0xbffff or ports 0x3b0-0x3df) */
/* status: op->value2 bit for the seal level (dom_status value2 as well) */
#define XEN_SCCRYPT_L_DMA       0x0001
/* op->value bits (output) */
#define XEN_SCCRYPT_V_ENDED     0x0001      /* the session ended; its close record is last */
/* op->value bits (dom_status) */
#define XEN_SCCRYPT_D_BOUND     0x0001
#define XEN_SCCRYPT_D_SESSION   0x0002

/* Output buffers must hold at least this (one record and a rekey record). */
#define XEN_SCCRYPT_OUTPUT_MIN  2048
/* Input and output are capped per call (the hypervisor bounces through this). */
#define XEN_SCCRYPT_IO_MAX      16384

#if defined(__XEN__) || defined(__XEN_TOOLS__)
struct xen_sccrypt_op {
    uint32_t cmd;           /* IN: XEN_SCCRYPT_* */
    uint32_t domid;         /* IN: bind, open, dom_status */
    uint32_t flags;         /* IN/OUT */
    uint32_t arg;           /* IN: close reason */
    uint64_t session;       /* IN: input/output/close; OUT: open */
    uint64_t ring_gfn;      /* IN: bind (PV) */
    uint32_t port;          /* IN: bind (PV) */
    uint32_t vmm_err;       /* OUT: SC_E* code when the VMM refused (-EACCES) */
    uint32_t value;         /* OUT */
    uint32_t value2;        /* OUT */
    uint32_t len;           /* IN: bytes in buf; OUT: bytes written to buf */
    uint32_t cap;           /* IN: room in buf */
    XEN_GUEST_HANDLE_64(uint8) buf;
};
typedef struct xen_sccrypt_op xen_sccrypt_op_t;
DEFINE_XEN_GUEST_HANDLE(xen_sccrypt_op_t);
#endif /* __XEN__ || __XEN_TOOLS__ */

#endif /* __XEN_PUBLIC_SCCRYPT_OP_H__ */
