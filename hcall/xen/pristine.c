/* SPDX-License-Identifier: MIT */
/*
 * xen/common/sccrypt/pristine.c: SCCrypt binds only a pristine domain.
 *
 * The seal (xsm/sccrypt_seal.h) stops every new way into a bound domain;
 * this file makes sure nothing made before the bind is still there.  The
 * bind sets the sealed flag first and only then calls sccrypt_pristine(),
 * so nothing can slip in between the check and the seal.
 *
 * Pristine means: no hypervisor tracing; not profiled (xenoprof's lists,
 * vPMU in XENPMU_MODE_ALL); never run and paused by the toolstack; no
 * domain has it as its target; no introspection, paging, sharing, altp2m,
 * log-dirty, debugger or vmtrace state; no device, I/O port, I/O memory or
 * IRQ; a grant table with nothing offered but the console and xenstore
 * frames and nothing mapped but xenstore's; a device model (an HVM guest's
 * ioreq server, QEMU in dom0) only as described under "device models"
 * below; and every page the domain owns or shares accounted for:
 *   - its RAM (d->page_list): no reference beyond the ones its own page
 *     tables, its pinned tables and its vCPUs hold (what Xen itself takes
 *     for a fresh domain), the xenstore page excepted (xenstored maps it);
 *   - its Xen pages (d->xenpage_list: grant table shared frames, v2 status
 *     frames, shared info, vCPU info living there) and extra pages
 *     (d->extra_page_list: Xen's own per-domain pages such as a VMX guest's
 *     APIC access page): no reference beyond the allocation's and what Xen
 *     itself holds, so nobody keeps a mapping (XENMEM_acquire_resource of
 *     its grant table, a foreign map of its shared info) across the bind;
 *     the pages of its device models' ioreq servers are the one exception
 *     (their device model maps them: they carry I/O requests, not memory);
 *   - its memory map: for PVH, every p2m entry up to the highest mapped gfn
 *     is a hole, populate-on-demand, or RAM the domain owns (no foreign,
 *     grant, MMIO, shared, paged or ioreq entry; a VMX APIC access page is
 *     the one MMIO entry Xen makes itself); for PV, every present entry of
 *     its validated page tables names a frame it owns.
 * The console ring and event channel are read from what the guest will
 * use: its HVM parameters, or for PV its start_info page, found through its
 * initial page tables.
 *
 * Device models.  libxl starts QEMU in dom0 for every HVM guest; it serves
 * the guest's PCI configuration space, the ports and MMIO ranges it claimed
 * through an ioreq server.  The bind admits an ioreq server only when:
 *   - its request pages are Xen's own (allocated for XENMEM_acquire_resource,
 *     PGC_extra on d->extra_page_list), not guest frames handed out by the
 *     legacy HVM_PARAM_IOREQ_PFN route (XEN_SCCRYPT_P_IOREQ_LEGACY): a
 *     device model that maps guest frames maps guest memory;
 *   - it claims neither the legacy VGA window (0xa0000-0xbffff) nor the VGA
 *     ports (0x3b0-0x3df) (XEN_SCCRYPT_P_DM_VGA): text the guest writes to
 *     a VGA console would reach dom0 in plaintext;
 *   - nobody holds a reference to the guest's RAM (the rule for RAM above):
 *     QEMU's mapcache keeps guest RAM mapped after emulated DMA, a ROM it
 *     loaded or a video RAM (XEN_SCCRYPT_P_DM_MAPPED when a device model is
 *     there, so the message names the emulated disk, NIC or VGA).
 * After the bind its dm_ops are refused (the seal), string I/O reaches it by
 * value (hvm/emulate.c: no guest address), and the ports around the UART
 * are dead for it (dead_ports.c).
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/domain_page.h>
#include <xen/mm.h>
#include <xen/param.h>
#include <xen/softirq.h>
#include <xen/sort.h>
#include <xen/vmap.h>
#include <xen/rangeset.h>
#include <xen/iommu.h>
#include <xen/ioreq.h>
#include <xen/pci.h>
#include <xen/trace.h>
#include <xen/vm_event.h>
#include <xen/sccrypt.h>
#include <public/sccrypt_op.h>
#include <public/hvm/dm_op.h>
#include <public/hvm/params.h>
#include <public/pmu.h>
#include <asm/altp2m.h>
#include <asm/iocap.h>
#include <asm/mem_paging.h>
#include <asm/paging.h>
#include <asm/p2m.h>
#include <asm/hvm/hvm.h>
#include <asm/vpmu.h>

#include "pristine.h"

/* ---- the console, as the guest will find it ------------------------- */

/* 64-bit PV: the frame behind va in v's initial kernel page tables. */
static int pv_walk(struct vcpu *v, unsigned long va, mfn_t *out)
{
    struct domain *d = v->domain;
    mfn_t mfn = pagetable_get_mfn(v->arch.guest_table);
    unsigned int level;
    intpte_t e;

    for ( level = 4; level >= 1; level-- )
    {
        const intpte_t *t;

        if ( !mfn_valid(mfn) || page_get_owner(mfn_to_page(mfn)) != d )
            return -EINVAL;
        t = map_domain_page(mfn);
        e = t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
        unmap_domain_page(t);
        if ( !(e & _PAGE_PRESENT) || (level > 1 && (e & _PAGE_PSE)) )
            return -EINVAL;
        mfn = _mfn((e & PADDR_MASK & PAGE_MASK) >> PAGE_SHIFT);
    }
    if ( !mfn_valid(mfn) || page_get_owner(mfn_to_page(mfn)) != d )
        return -EINVAL;
    *out = mfn;
    return 0;
}

int sccrypt_guest_console(struct domain *d, struct sccrypt_console *con)
{
    if ( is_hvm_domain(d) )
    {
        uint64_t ring, port, store;

        if ( hvm_get_param(d, HVM_PARAM_CONSOLE_PFN, &ring) ||
             hvm_get_param(d, HVM_PARAM_CONSOLE_EVTCHN, &port) ||
             hvm_get_param(d, HVM_PARAM_STORE_PFN, &store) )
            return -EINVAL;
        con->ring = ring;
        con->port = port;
        con->store = store;
    }
    else
    {
        /*
         * PV: the builder left the start_info's virtual address in vCPU 0's
         * rsi and its page tables in cr3; the guest reads its console frame
         * and port (and xenstore's) from there, so Xen does too.
         */
        struct vcpu *v = d->vcpu ? d->vcpu[0] : NULL;
        const start_info_t *si;
        mfn_t mfn;

        if ( !v || is_pv_32bit_domain(d) || !v->is_initialised ||
             pv_walk(v, v->arch.user_regs.rsi, &mfn) )
            return -EINVAL;
        si = map_domain_page(mfn);
        if ( memcmp(si->magic, "xen-", 4) )
        {
            unmap_domain_page(si);
            return -EINVAL;
        }
        con->ring = ACCESS_ONCE(si->console.domU.mfn);
        con->port = ACCESS_ONCE(si->console.domU.evtchn);
        con->store = ACCESS_ONCE(si->store_mfn);
        unmap_domain_page(si);
    }
    if ( !con->ring || !con->port || con->port > UINT32_MAX ||
         con->ring == con->store || con->ring != (unsigned long)con->ring )
        return -EINVAL;
    return 0;
}

/* ---- device models (HVM ioreq servers) ------------------------------- */

/* Xen's own request pages of d's ioreq servers (at most two per server). */
struct dm_pages {
    unsigned int n;
    const struct page_info *pg[2 * MAX_NR_IOREQ_SERVERS];
};

static bool vga_claimed(const struct ioreq_server *s)
{
    return rangeset_overlaps_range(s->range[XEN_DMOP_IO_RANGE_MEMORY],
                                   0xa0000, 0xbffff) ||
           rangeset_overlaps_range(s->range[XEN_DMOP_IO_RANGE_PORT],
                                   0x3b0, 0x3df);
}

/*
 * Are d's ioreq servers ones the bind admits (the head of this file says
 * which)?  Records their Xen-allocated request pages in *dm.  Sets *has when
 * d has any.  0, or -EPERM with *why.  Called with d sealed: no ioreq server
 * is made, changed or mapped from here on (dm_op and acquire_resource are
 * refused), so what this sees stays so.
 */
static int device_models(struct domain *d, struct dm_pages *dm, bool *has,
                         unsigned int *why)
{
    int rc = 0;
#ifdef CONFIG_IOREQ_SERVER
    unsigned int i, b;

    dm->n = 0;
    *has = false;
    if ( !is_hvm_domain(d) )
        return 0;
    spin_lock_recursive(&d->ioreq_server.lock);
    for ( i = 0; i < MAX_NR_IOREQ_SERVERS && !rc; i++ )
    {
        const struct ioreq_server *s = d->ioreq_server.server[i];

        if ( !s )
            continue;
        *has = true;
        for ( b = 0; b < 2; b++ )
        {
            const struct ioreq_page *iorp = b ? &s->bufioreq : &s->ioreq;

            if ( !iorp->page )
                continue;
            if ( !gfn_eq(iorp->gfn, INVALID_GFN) ||
                 !(iorp->page->count_info & PGC_extra) ||
                 page_get_owner(iorp->page) != d )
            {
                printk(XENLOG_INFO "SCCrypt: %pd: ioreq server %u (%pd) uses guest "
                       "frame %#lx for its %s page (legacy HVM_PARAM_IOREQ_PFN)\n",
                       d, i, s->emulator, gfn_x(iorp->gfn), b ? "buffered" : "request");
                *why = XEN_SCCRYPT_P_IOREQ_LEGACY;
                rc = -EPERM;
                break;
            }
            dm->pg[dm->n++] = iorp->page;
        }
        if ( !rc && vga_claimed(s) )
        {
            printk(XENLOG_INFO "SCCrypt: %pd: ioreq server %u (%pd) emulates VGA "
                   "(claims 0xa0000-0xbffff or ports 0x3b0-0x3df)\n",
                   d, i, s->emulator);
            *why = XEN_SCCRYPT_P_DM_VGA;
            rc = -EPERM;
        }
    }
    spin_unlock_recursive(&d->ioreq_server.lock);
#else
    dm->n = 0;
    *has = false;
#endif
    return rc;
}

static bool dm_page(const struct dm_pages *dm, const struct page_info *pg)
{
    unsigned int i;

    for ( i = 0; i < dm->n; i++ )
        if ( dm->pg[i] == pg )
            return true;
    return false;
}

/* ---- page references -------------------------------------------------- */

static int cf_check cmp_mfn(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

    return x < y ? -1 : x > y;
}

static void cf_check swap_mfn(void *a, void *b, size_t size)
{
    unsigned long t = *(unsigned long *)a;

    *(unsigned long *)a = *(unsigned long *)b;
    *(unsigned long *)b = t;
}

static unsigned long refs_to(const unsigned long *v, unsigned long n, unsigned long mfn)
{
    unsigned long lo = 0, hi = n, first, c = 0;

    while ( lo < hi )
    {
        unsigned long mid = lo + (hi - lo) / 2;

        if ( v[mid] < mfn )
            lo = mid + 1;
        else
            hi = mid;
    }
    for ( first = lo; first < n && v[first] == mfn; first++ )
        c++;
    return c;
}

static bool own_frame(const struct domain *d, mfn_t mfn)
{
    return mfn_valid(mfn) && page_get_owner(mfn_to_page(mfn)) == d;
}

/*
 * PV: the general references d's own state holds on each of its pages.
 * Every present entry of a validated page table of d takes one on the page
 * it names (get_page_from_l?e), a pinned table holds one, and so does each
 * vCPU's cr3.  With from == NULL only counts; else records the frames.
 * Sets *foreign (and stops) when an entry names a frame d does not own: a
 * page of another domain or I/O memory made part of d's address space
 * before the bind (say, while it had an I/O permission since revoked).
 */
static unsigned long pv_own_refs(struct domain *d, unsigned long *from,
                                 bool *foreign)
{
    const struct page_info *pg;
    struct vcpu *v;
    unsigned long n = 0;

    *foreign = false;
#define RECORD(m) do { if ( from ) from[n] = (m); n++; } while ( 0 )
    page_list_for_each ( pg, &d->page_list )
    {
        unsigned long type = pg->u.inuse.type_info;
        unsigned int i, level;
        const intpte_t *t;

        switch ( type & PGT_type_mask )
        {
        case PGT_l1_page_table: level = 1; break;
        case PGT_l2_page_table: level = 2; break;
        case PGT_l3_page_table: level = 3; break;
        case PGT_l4_page_table: level = 4; break;
        default: continue;
        }
        if ( type & PGT_pinned )
            RECORD(mfn_x(page_to_mfn(pg)));
        if ( !(type & PGT_validated) || !(type & PGT_count_mask) )
            continue;
        t = map_domain_page(page_to_mfn(pg));
        for ( i = 0; i < L1_PAGETABLE_ENTRIES; i++ )
        {
            intpte_t e = t[i];
            mfn_t m = _mfn((e & PADDR_MASK & PAGE_MASK) >> PAGE_SHIFT);

            if ( !(e & _PAGE_PRESENT) || (level == 4 && !is_guest_l4_slot(d, i)) )
                continue;
            if ( !own_frame(d, m) )
            {
                printk(XENLOG_INFO "SCCrypt: %pd: its L%u table %#lx maps frame %#lx "
                       "it does not own\n", d, level, mfn_x(page_to_mfn(pg)), mfn_x(m));
                *foreign = true;
                unmap_domain_page(t);
                return n;
            }
            RECORD(mfn_x(m));
        }
        unmap_domain_page(t);
    }
    for_each_vcpu ( d, v )
    {
        if ( !pagetable_is_null(v->arch.guest_table) )
            RECORD(mfn_x(pagetable_get_mfn(v->arch.guest_table)));
        if ( !pagetable_is_null(v->arch.guest_table_user) )
            RECORD(mfn_x(pagetable_get_mfn(v->arch.guest_table_user)));
    }
#undef RECORD
    return n;
}

/* A VMX guest's APIC access page: Xen's own, in d's p2m as MMIO. */
static bool apic_access_page(const struct domain *d, mfn_t mfn)
{
    return cpu_has_vmx && is_hvm_domain(d) &&
           mfn_eq(mfn, d->arch.hvm.vmx.apic_access_mfn);
}

/*
 * PVH/HVM: is every entry of d's p2m up to the highest mapped gfn a hole,
 * populate-on-demand, or RAM that d owns?  Anything else (a foreign or
 * grant mapping, MMIO, a shared, paged or broken page, an ioreq server's
 * type) would put memory another domain reads or writes where the guest
 * keeps its own.  0 or -EPERM.  Walks by the order of each entry, so holes
 * and superpages cost one lookup.
 */
static int p2m_foreign(struct domain *d)
{
    struct p2m_domain *p2m = p2m_get_hostp2m(d);
    unsigned long gfn = 0, end;

    if ( !paging_mode_translate(d) )
        return 0;
    end = ACCESS_ONCE(p2m->max_mapped_pfn);
    while ( gfn <= end )
    {
        p2m_type_t t;
        p2m_access_t a;
        unsigned int order = 0;
        unsigned long n, i;
        mfn_t mfn = get_gfn_type_access(p2m, gfn, &t, &a, 0, &order);
        bool ok;

        put_gfn(d, gfn);
        n = (1UL << order) - (gfn & ((1UL << order) - 1));
        switch ( t )
        {
        case p2m_invalid:
        case p2m_mmio_dm:
        case p2m_populate_on_demand:
            ok = true;
            break;
        case p2m_ram_rw:
        case p2m_ram_ro:
        case p2m_ram_logdirty:
            ok = true;
            for ( i = 0; ok && i < n; i++ )
                ok = own_frame(d, mfn_add(mfn, i));
            break;
        case p2m_mmio_direct:
            ok = n == 1 && apic_access_page(d, mfn);
            break;
        default:
            ok = false;
            break;
        }
        if ( !ok )
        {
            printk(XENLOG_INFO "SCCrypt: %pd: p2m entry at gfn %#lx: type %d, frame %#lx\n",
                   d, gfn, t, mfn_x(mfn));
            return -EPERM;
        }
        if ( gfn + n < gfn )
            break;
        gfn += n;
        if ( !(gfn & 0xffff) )
            process_pending_softirqs();
    }
    return 0;
}

/*
 * Does anyone outside d hold a reference to one of its pages?
 *   - RAM: each page must have the allocation reference plus what d's own
 *     state holds (PV; nothing for PVH, whose p2m takes none), except the
 *     xenstore page, which xenstored maps.  -EBUSY when it is the console
 *     page (xenconsoled may still be letting go), else *why MAPPED.
 *   - Xen pages shared with d (grant frames, status frames, shared info):
 *     the allocation reference share_xen_page_with_guest() took, plus d's
 *     own page tables' (PV); every mapping by another domain, read-only or
 *     writable, adds one; else *why XENPAGE.
 *   - extra pages: the allocation reference, one more of Xen's for a VMX
 *     APIC access page, plus d's own; else *why XENPAGE.  The request pages
 *     of its ioreq servers (*dm) are left out: their device model maps them.
 *   - PV page tables naming frames d does not own: *why P2M.
 * With a device model (has_dm), a reference to RAM is DM_MAPPED, not MAPPED:
 * the likely holder is QEMU's mapcache (emulated DMA, a ROM, video RAM).
 */
static int foreign_refs(struct domain *d, const struct sccrypt_console *con,
                        const struct dm_pages *dm, bool has_dm, unsigned int *why)
{
    unsigned long *own = NULL, n = 0;
    const struct page_info *pg;
    bool foreign = false;
    int rc = 0;

    if ( is_pv_domain(d) )
    {
        n = pv_own_refs(d, NULL, &foreign);
        if ( foreign )
            return *why = XEN_SCCRYPT_P_P2M, -EPERM;
        own = vmalloc((n ? n : 1) * sizeof(*own));
        if ( !own )
            return -ENOMEM;
        if ( pv_own_refs(d, own, &foreign) != n || foreign )
        {
            vfree(own);
            return *why = foreign ? XEN_SCCRYPT_P_P2M : XEN_SCCRYPT_P_MAPPED, -EPERM;
        }
        sort(own, n, sizeof(*own), cmp_mfn, swap_mfn);
    }
    spin_lock(&d->page_alloc_lock);
    page_list_for_each ( pg, &d->page_list )
    {
        unsigned long mfn = mfn_x(page_to_mfn(pg));
        unsigned long gfn = is_pv_domain(d) ? mfn : gfn_x(mfn_to_gfn(d, _mfn(mfn)));
        unsigned long want = 1 + (own ? refs_to(own, n, mfn) : 0);

        if ( gfn == con->store )
            continue;
        if ( !(pg->count_info & PGC_allocated) ||
             (pg->count_info & PGC_count_mask) != want )
        {
            rc = gfn == con->ring ? -EBUSY : -EPERM;
            if ( rc == -EPERM )
            {
                printk(XENLOG_INFO "SCCrypt: %pd: RAM at gfn %#lx has %lu references "
                       "(%lu expected)%s\n", d, gfn, pg->count_info & PGC_count_mask,
                       want, has_dm ? ": a device model may map it" : "");
                *why = has_dm ? XEN_SCCRYPT_P_DM_MAPPED : XEN_SCCRYPT_P_MAPPED;
                break;
            }
        }
    }
    page_list_for_each ( pg, &d->xenpage_list )
    {
        unsigned long mfn = mfn_x(page_to_mfn(pg));
        unsigned long want = 1 + (own ? refs_to(own, n, mfn) : 0);

        if ( rc == -EPERM )
            break;
        if ( (pg->count_info & PGC_count_mask) != want )
        {
            printk(XENLOG_INFO "SCCrypt: %pd: %s frame %#lx has %lu references "
                   "(%lu expected): mapped by another domain\n", d,
                   pg == virt_to_page(d->shared_info) ? "shared info" : "Xen page",
                   mfn, pg->count_info & PGC_count_mask, want);
            rc = -EPERM;
            *why = XEN_SCCRYPT_P_XENPAGE;
        }
    }
    page_list_for_each ( pg, &d->extra_page_list )
    {
        unsigned long mfn = mfn_x(page_to_mfn(pg));
        unsigned long want = 1 + (own ? refs_to(own, n, mfn) : 0) +
                             apic_access_page(d, page_to_mfn(pg));

        if ( rc == -EPERM )
            break;
        if ( dm_page(dm, pg) )
            continue;
        if ( (pg->count_info & PGC_count_mask) != want )
        {
            printk(XENLOG_INFO "SCCrypt: %pd: extra page %#lx has %lu references "
                   "(%lu expected)\n", d, mfn, pg->count_info & PGC_count_mask, want);
            rc = -EPERM;
            *why = XEN_SCCRYPT_P_XENPAGE;
        }
    }
    spin_unlock(&d->page_alloc_lock);
    vfree(own);
    return rc;
}

/* ---- the whole check -------------------------------------------------- */

static bool targeted(const struct domain *d)
{
    const struct domain *o;
    bool t = false;

    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( o )
    {
        if ( o == d )
            continue;
        if ( o->target == d )
            t = true;
#ifdef CONFIG_MEM_SHARING
        if ( o->parent == d )
            t = true;
#endif
    }
    rcu_read_unlock(&domlist_read_lock);
    return t;
}

static bool introspected(struct domain *d)
{
    if ( vm_event_check_ring(d->vm_event_monitor) || mem_paging_enabled(d) ||
         d->debugger_attached || d->vmtrace_size || paging_mode_log_dirty(d) )
        return true;
#ifdef CONFIG_MEM_SHARING
    if ( vm_event_check_ring(d->vm_event_share) || d->parent ||
         (is_hvm_domain(d) && d->arch.hvm.mem_sharing.enabled) )
        return true;
#endif
    if ( is_hvm_domain(d) && altp2m_active(d) )
        return true;
    return false;
}

static bool has_io(const struct domain *d)
{
    return has_arch_pdevs(d) || !rangeset_is_empty(d->iomem_caps) ||
           !rangeset_is_empty(d->irq_caps) ||
           !rangeset_is_empty(d->arch.ioport_caps);
}

static bool has_run(const struct domain *d)
{
    const struct vcpu *v;

    if ( d->controller_pause_count <= 0 )
        return true;
    for_each_vcpu ( d, v )
        if ( v->runstate.time[RUNSTATE_running] ||
             v->runstate.state == RUNSTATE_running )
            return true;
    return false;
}

int sccrypt_pristine(struct domain *d, const struct sccrypt_console *con,
                     unsigned int *why)
{
    struct dm_pages dm;
    bool has_dm;
    int rc;

    ASSERT(d->sccrypt_sealed);
    *why = 0;
#ifdef CONFIG_XSM
    if ( xsm_sccrypt_seal_off )
        return *why = XEN_SCCRYPT_P_XSM, -EPERM;
#endif
    /*
     * No IOMMU refusal here: whether dom0's DMA is confined is part of the
     * seal level the answer vouches for (sccrypt.c), and the user's bind
     * request says whether a host without a strict IOMMU is acceptable.
     */
    if ( tb_init_done )
        return *why = XEN_SCCRYPT_P_TRACE, -EPERM;
    if ( (vpmu_mode & XENPMU_MODE_ALL) || xenoprof_sccrypt_profiled(d) )
        return *why = XEN_SCCRYPT_P_PROFILE, -EPERM;
    if ( has_run(d) )
        return *why = XEN_SCCRYPT_P_RUN, -EPERM;
    if ( targeted(d) )
        return *why = XEN_SCCRYPT_P_TARGET, -EPERM;
    if ( introspected(d) )
        return *why = XEN_SCCRYPT_P_INTROSPECT, -EPERM;
    if ( has_io(d) )
        return *why = XEN_SCCRYPT_P_DEVICE, -EPERM;
    rc = device_models(d, &dm, &has_dm, why);
    if ( rc )
        return rc;
    rc = gnttab_sccrypt_pristine(d, con->ring, con->store);
    if ( rc == -EPERM )
        *why = XEN_SCCRYPT_P_GRANT;
    if ( rc )
        return rc;
    rc = foreign_refs(d, con, &dm, has_dm, why);
    if ( rc )
        return rc;
    if ( p2m_foreign(d) )
        return *why = XEN_SCCRYPT_P_P2M, -EPERM;
    return 0;
}
