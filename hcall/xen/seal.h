/* SPDX-License-Identifier: MIT */
/*
 * xen/include/xsm/sccrypt_seal.h: SCCrypt's seal of a bound domain, the
 * rule and its allowlist, in one place.  Included by xsm/dummy.h.
 *
 * The invariant: once a domain is bound (d->sccrypt_sealed, set by the
 * sccrypt_op bind and never cleared while the domain lives), nothing outside
 * it reads or writes its memory or its vCPU state, by any hypercall.
 *
 * The rule sits where Xen already asks "may A do this to B": every decision
 * of the default XSM policy goes through xsm_default_action(action, A, B),
 * and that refuses (-EPERM) whenever B is sealed and A is another domain,
 * whatever the action class, XSM_HOOK included.  A hook that takes a domain
 * and is not named below is therefore refused on a sealed domain; a hook
 * added to Xen later is refused too until someone lists it here.
 *
 * The allowlist: the hooks that are exempt (they call
 * xsm_seal_exempt_action() in dummy.h; `grep -n seal_exempt dummy.h` must
 * list exactly these), and why each leaves memory and vCPU state alone:
 *
 *   getdomaininfo          state, pause count, memory totals: xl list
 *   domctl                 only the commands sccrypt_seal_domctl_allowed()
 *                          names (below)
 *   domctl_scheduler_op    weights, caps, budgets
 *   memory_stat_reservation  current/maximum reservation (page counts)
 *   schedop_shutdown       SCHEDOP_remote_shutdown: stop, reboot, crash
 *                          the domain (denial of service, always dom0's)
 *   evtchn_interdomain     a backend binds a port the guest offered
 *   grant_mapref, grant_unmapref, grant_copy
 *                          the guest's own grants to its backends (disk,
 *                          network, xenstore); grant_table.c refuses entry 0
 *                          and any entry that names the console frame
 *                          (d->sccrypt_console_mfn), the bind admits only a
 *                          grant table the toolstack left with entries 0
 *                          and 1 and nobody mapping its frames, and mapping
 *                          the table (domain_resource_map) is refused after
 *   hvm_param              HVMOP_get_param only (frame numbers and ports)
 *   mmu_update             only a foreign mapping of a bound HVM domain
 *                          whose device model may map its RAM
 *                          (d->sccrypt_dm_map: the user's bind request
 *                          allowed the level without "sealed"), only by the
 *                          hardware domain or the domain targeting it
 *                          (QEMU's mapcache, for emulated DMA)
 *
 * XSM_SEAL_EXEMPT: getdomaininfo domctl domctl_scheduler_op
 * XSM_SEAL_EXEMPT: memory_stat_reservation schedop_shutdown evtchn_interdomain
 * XSM_SEAL_EXEMPT: grant_mapref grant_unmapref grant_copy hvm_param mmu_update
 * (check-xen checks that exactly these hooks of the patched dummy.h call
 * xsm_seal_exempt_action().)
 *
 * Not on the allowlist, on purpose: dm_op, every one of its ops.  An HVM
 * guest keeps its device model (QEMU in dom0) after the bind, but each dm_op
 * either maps or retypes the guest's memory (set_mem_type, modified_memory,
 * track_dirty_vram, relocate_memory, map_mem_type_to_ioreq_server), puts
 * dom0's interrupts into the guest or its virtual chipset (set_isa_irq_level,
 * set_pci_intx_level, set_pci_link_route, inject_msi, inject_event), or
 * changes an ioreq server (create, destroy, get_info, which maps legacy
 * guest-frame pages, map and unmap of ranges, set_state); nr_vcpus tells
 * nothing a device model needs after its start.  QEMU ignores the refusals:
 * it keeps serving the ports and ranges it claimed before the bind, with
 * values only (string I/O goes by value, hvm/emulate.c).  Which device
 * models the bind admits: pristine.c.
 *
 * The relay's event channel into a bound domain is allocated by the
 * hypervisor itself (sccrypt_alloc_relay_port(), no XSM decision: it is not
 * the caller's doing); the relay binds it through evtchn_interdomain.
 *
 * Two places where a page of one domain would enter another's address space
 * without an XSM decision about the page's owner are closed beside the rule:
 * memory_mapping and iomem_permission refuse RAM (domctl.c), so no frame of
 * a guest or of Xen becomes "MMIO" for a helper domain, and the hooks that
 * move pages (mmu_update's page-table and page owners, priv_mapping in
 * get_page_from_l1e, map_gmfn_foreign in p2m_add_foreign) pass both owners
 * to the rule.  Pages a sealed domain frees are scrubbed (page_alloc.c).
 *
 * The rule sees only the hooks that are handed a target.  The operations
 * that reach a domain without naming it to XSM carry their own checks
 * (hcall/scripts/check-seal.sh checks each in the built tree; sccrypt(7)
 * lists them): xenoprof's set_active and set_passive, XENPMU_MODE_ALL,
 * XEN_MC_msrinject with MC_MSRINJ_F_GPADDR, cpupool movedomain,
 * XENPF_add_memtype, trace buffers, debug keys, get_pmstat; getdomaininfo,
 * getvcpuinfo, getcpuinfo and XENPF_getidletime report run and idle time
 * in whole 100 ms (SCCRYPT_TIME_GRAIN).
 *
 * With CONFIG_XSM and the FLASK policy the rule is not in the decision
 * path; the bind refuses then (sccrypt.c, xsm_seal_enforced()).
 */
#ifndef __XSM_SCCRYPT_SEAL_H__
#define __XSM_SCCRYPT_SEAL_H__

#include <xen/sched.h>
#include <public/domctl.h>
#include <public/hvm/hvm_op.h>

/* The rule: may src act on target?  No, when target is sealed against it. */
static always_inline bool xsm_sealed_against(const struct domain *src,
                                             const struct domain *target)
{
    return target && src != target && unlikely(target->sccrypt_sealed);
}

/* The domctls another domain may still issue on a sealed domain. */
static always_inline bool sccrypt_seal_domctl_allowed(unsigned int cmd)
{
    switch ( cmd )
    {
    case XEN_DOMCTL_pausedomain:        /* run state only */
    case XEN_DOMCTL_unpausedomain:
    case XEN_DOMCTL_destroydomain:
    case XEN_DOMCTL_getdomaininfo:
    case XEN_DOMCTL_getvcpuinfo:        /* online, blocked, cpu time: no registers */
    case XEN_DOMCTL_max_mem:            /* a limit; freeing needs the guest */
    case XEN_DOMCTL_setvcpuaffinity:    /* placement */
    case XEN_DOMCTL_getvcpuaffinity:
    case XEN_DOMCTL_setnodeaffinity:
    case XEN_DOMCTL_getnodeaffinity:
    case XEN_DOMCTL_scheduler_op:
        return true;
    }
    return false;
}

/* The HVM ops another domain may still issue on a sealed domain. */
static always_inline bool sccrypt_seal_hvm_param_allowed(unsigned long op)
{
    return op == HVMOP_get_param;
}

#endif /* __XSM_SCCRYPT_SEAL_H__ */
