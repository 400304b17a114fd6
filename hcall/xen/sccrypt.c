/* SPDX-License-Identifier: MIT */
/*
 * xen/common/sccrypt/sccrypt.c: SCCrypt, the end-to-end encrypted PV
 * console, hypervisor side.
 *
 * The control domain's sc-relay moves ciphertext through the sccrypt_op
 * hypercall (public/sccrypt_op.h); this file hosts the protocol engine of
 * src/core (compiled here unchanged) and owns, for every bound domain, the
 * guest's console ring and console event channel.
 *
 * Locking.  One spinlock, sccrypt_lock, guards everything here: the DRBG,
 * the list of bound domains with their engine state, backlog and session,
 * each unbound domain's bind challenge (struct domain's sccrypt_challenge),
 * and the table of final records.  The VMM identity (vmm) is written once,
 * at boot, before any hypercall, and only read after: it needs no lock.
 * The rule for slow work: no X25519 runs with sccrypt_lock held.  The bind
 * copies the domain's challenge under the lock, unseals the request
 * (sc_vmm_bind_open: its X25519) with no lock held, then retakes the lock
 * and commits only if the challenge it unsealed under is still the
 * domain's current one (sc_vmm_bind_commit: anything else that used or
 * replaced it meanwhile makes the bind fail, -SC_EREPLAY); the domain
 * itself cannot go away meanwhile (the bind holds a reference, and its
 * sccrypt_sealed flag keeps a second bind out).  The handshake does the
 * same: the binding is copied under the lock, the hello checked and the
 * answer made (sc_vmm_open_prepare: three X25519s and a base-point one)
 * with no lock held, and the session started under the lock only if the
 * domain is still bound to the same key and instance (sc_vmm_open_commit).
 * It is taken by
 *   - the hypercall (after the guest buffers were copied into a bounce
 *     buffer; no guest memory is touched with the lock held),
 *   - the guest's console event (a Xen-consumer event channel callback,
 *     run from the guest's EVTCHNOP_send with no event channel lock held),
 *   - the quiet-time timer (softirq context, never interrupting a holder on
 *     the same CPU),
 *   - domain teardown (domain_kill, before evtchn_destroy).
 * Teardown unlinks the state under the lock, so a later event or timer finds
 * nothing; the timer is killed outside the lock (kill_timer waits for a
 * running handler, which may be waiting for the lock) and only then is the
 * state wiped and freed.  Notifications to the guest and to the relay are
 * sent with the lock held; they only set a pending bit.  A second, leaf
 * spinlock, sccrypt_time_lock (IRQ-safe), guards a sealed domain's pause
 * accounting, which domain.c's pause and unpause update from any context.
 * The bind takes no lock while it waits in rcu_barrier().
 */
#include <xen/init.h>
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/event.h>
#include <xen/guest_access.h>
#include <xen/xmalloc.h>
#include <xen/spinlock.h>
#include <xen/domain_page.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/tasklet.h>
#include <xen/list.h>
#include <xen/grant_table.h>
#include <xen/hypercall.h>
#include <xen/param.h>
#include <xen/iommu.h>
#include <xen/sccrypt.h>
#include <xsm/xsm.h>
#include <public/sccrypt_op.h>
#include <public/hvm/params.h>
#include <asm/p2m.h>
#include <asm/e820.h>
#include <asm/hvm/hvm.h>

#include "pristine.h"
#include "uart_port.h"
#include "sc_vmm.h"
#include "sccrypt_crypto.h"
#include "chacha20.h"

/* Guest output kept while nobody is attached (or the relay is slow). */
#define SCCRYPT_BACKLOG         16384
#define SCCRYPT_FINALS          8
#define SCCRYPT_FINAL_MAX       256

struct sccrypt_dom {
    struct list_head list;
    struct domain *d;
    struct sc_dom dom;
    /*
     * The ring the engine reads and writes: the guest's console page (PV,
     * PVH), or for an HVM guest the UART's host-private ring (uart_port.h),
     * whose ring is used under uart.lock.
     */
    volatile struct sc_xencons *ring;
    volatile struct sc_xencons *page;   /* global mapping of the console page */
    bool has_uart;                      /* HVM: COM1 and 0xe9 are Xen's (uart) */
    struct sccrypt_uart uart;
    struct page_info *ring_page;        /* holds a reference (and for PV a type) */
    evtchn_port_t guest_port;           /* the guest's console port */
    evtchn_port_t xen_port;             /* Xen's end of it */
    evtchn_port_t relay_port;           /* Xen-consumer port the relay binds */
    bool relay_bound;                   /* the session's relay was seen bound to it */
    uint64_t session;                   /* 0: no relay attached */
    struct timer timer;                 /* quiet-time close */
    s_time_t bound_at;                  /* guest run time (run_ms()) counts from here */
    s_time_t paused_at_bind, runnable_at_bind, offline_at_bind;
    uint64_t last_run_ms;
    struct sc_backlog bl;
    uint8_t blbuf[SCCRYPT_BACKLOG];
};

/* The last words of a session whose state went away (takeover, domain death). */
struct sccrypt_final {
    uint64_t session;
    uint32_t len;
    uint8_t buf[SCCRYPT_FINAL_MAX];
};

static DEFINE_SPINLOCK(sccrypt_lock);
static LIST_HEAD(sccrypt_doms);
static struct sc_vmm *vmm;              /* NULL: disabled (no RNG or self-test failed) */
static bool sccrypt_rng_ok, sccrypt_selftest_ok;
static uint64_t next_session = 1;
static struct sccrypt_final finals[SCCRYPT_FINALS];
static unsigned int next_final;
static struct sc_dom scratch;           /* old session at takeover; under the lock */
static uint64_t hw_last;                /* the health test's last output; under the lock */
/*
 * The host's part of the seal level (sccrypt(7) LEVELS): dom0's DMA is
 * confined when the IOMMU is on and dom0's IOMMU mappings are strict (its
 * own memory only: not relaxed, not passthrough).  iommu_hwdom_strict is
 * __hwdom_initdata, freed after boot (without CONFIG_LATE_HWDOM), so it is
 * read once, here at boot, after iommu_setup(); a PVH dom0, which Xen makes
 * strict later (check_hwdom_reqs), is then reported as not confined: the
 * level may say less than the host has, never more.
 */
static bool __ro_after_init sccrypt_dma_confined;

/* ---- the DRBG ----------------------------------------------------------
 * A ChaCha20 generator with fast key erasure: each request makes keystream
 * under the current key, takes the first 32 bytes as the next key and hands
 * out the rest.  Seeded at boot from RDSEED (else RDRAND) and timing
 * jitter through SHA-256, and reseeded with 32 RDRAND bytes on every request.
 * Without a hardware source it never becomes ready: binds are refused.
 * A continuous health test (a repetition count test with cutoff 2 on 64-bit
 * outputs, plus the all-zero and all-one words a broken RDRAND returns)
 * fails the request, and the caller refuses what needed the randomness.
 */
static struct {
    uint8_t key[32];
    uint64_t nonce;
} drbg;

static bool hw_random64(uint64_t *v, bool seed)
{
    unsigned int i;
    uint8_t ok;

    for ( i = 0; i < 32; i++ )
    {
        if ( seed )
            asm volatile ( "rdseed %0; setc %1" : "=r" (*v), "=qm" (ok) );
        else
            asm volatile ( "rdrand %0; setc %1" : "=r" (*v), "=qm" (ok) );
        if ( !ok )
            continue;
        /* Continuous health test: a stuck or broken source fails closed. */
        if ( *v == hw_last || *v == 0 || *v == ~0ULL )
            return false;
        hw_last = *v;
        return true;
    }
    return false;
}

static bool hw_random(uint8_t *p, size_t len)
{
    bool seed = cpu_has_rdseed;
    uint64_t v;
    size_t n;

    while ( len )
    {
        if ( !hw_random64(&v, seed) && !(seed && hw_random64(&v, false)) )
        {
            v = 0;
            return false;
        }
        n = len < 8 ? len : 8;
        memcpy(p, &v, n);
        p += n;
        len -= n;
    }
    v = 0;
    return true;
}

static int __init drbg_seed(void)
{
    uint8_t pool[64 + 64 * 8];
    uint64_t t, prev;
    unsigned int i, j;
    volatile unsigned int spin = 0;

    if ( !cpu_has_rdrand && !cpu_has_rdseed )
        return -ENODEV;
    if ( !hw_random(pool, 64) )
        return -EIO;
    /* Timing jitter: TSC deltas around small busy loops. */
    prev = rdtsc_ordered();
    for ( i = 0; i < 64; i++ )
    {
        for ( j = 0; j < 64 + (pool[i] & 63); j++ )
            spin++;
        t = rdtsc_ordered();
        memcpy(pool + 64 + i * 8, &t, 8);
        t -= prev;
        prev += t;
    }
    sc_sha256(drbg.key, pool, sizeof(pool));
    sc_wipe(pool, sizeof(pool));
    drbg.nonce = 0;
    return 0;
}

/* Fills p with len (<= 256) random bytes; -1 when the hardware source failed. */
static int drbg_get(uint8_t *p, size_t len)
{
    uint8_t mix[32 + 32 + 8], block[64];
    uint8_t nonce[12] = { 0 };
    uint32_t ctr = 0;
    uint64_t t;
    size_t n;

    if ( !sccrypt_rng_ok || len > 256 )
        return -1;
    memcpy(mix, drbg.key, 32);
    if ( !hw_random(mix + 32, 32) )
    {
        sc_wipe(mix, sizeof(mix));
        return -1;
    }
    t = rdtsc_ordered();
    memcpy(mix + 64, &t, 8);
    sc_sha256(drbg.key, mix, sizeof(mix));
    sc_wipe(mix, sizeof(mix));

    drbg.nonce++;
    memcpy(nonce, &drbg.nonce, 8);
    sc_chacha20_block(block, drbg.key, ctr++, nonce);
    memcpy(drbg.key, block, 32);                /* fast key erasure */
    n = len < 32 ? len : 32;
    memcpy(p, block + 32, n);
    p += n;
    len -= n;
    while ( len )
    {
        sc_chacha20_block(block, drbg.key, ctr++, nonce);
        n = len < 64 ? len : 64;
        memcpy(p, block, n);
        p += n;
        len -= n;
    }
    sc_chacha20_block(block, drbg.key, ctr, nonce);
    memcpy(drbg.key, block, 32);
    sc_wipe(block, sizeof(block));
    return 0;
}

/* ---- boot ------------------------------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* OpenSSH-style fingerprint: "SHA256:" + unpadded base64 (43 characters). */
static void fingerprint(char out[7 + 44], const uint8_t pub[32])
{
    uint8_t h[33];
    unsigned int i, o = 7;

    sc_sha256(h, pub, 32);
    h[32] = 0;
    memcpy(out, "SHA256:", 7);
    for ( i = 0; i < 33; i += 3 )
    {
        uint32_t v = (h[i] << 16) | ((i + 1 < 33 ? h[i + 1] : 0) << 8) |
                     (i + 2 < 33 ? h[i + 2] : 0);

        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if ( i + 1 < 32 )
            out[o++] = b64[(v >> 6) & 63];
        if ( i + 2 < 32 )
            out[o++] = b64[v & 63];
    }
    out[o] = 0;
}

static int __init sccrypt_init(void)
{
    uint8_t secret[32];
    char fpr[7 + 44];

    sccrypt_selftest_ok = sc_crypto_selftest() == 0;
    printk("SCCrypt: core self-test %s\n", sccrypt_selftest_ok ? "passed" : "FAILED");
    sccrypt_dma_confined = iommu_enabled && iommu_hwdom_strict && !iommu_hwdom_passthrough;
    printk("SCCrypt: dom0's DMA is %s\n", sccrypt_dma_confined ?
           "confined (IOMMU, dom0 strict): seal level \"dma\"" :
           "NOT confined (no IOMMU, or dom0's IOMMU mode relaxed or passthrough): "
           "answers say so, and requests that require \"dma\" are refused");
    if ( drbg_seed() == 0 )
        sccrypt_rng_ok = true;
    else
        printk("SCCrypt: no hardware random source (RDRAND/RDSEED): "
               "console encryption disabled, binds will be refused\n");
    if ( !sccrypt_selftest_ok || !sccrypt_rng_ok )
        return 0;

    vmm = xzalloc(struct sc_vmm);
    if ( !vmm || drbg_get(secret, sizeof(secret)) ||
         sc_vmm_init(vmm, &sc_core_crypto, secret) )
    {
        sc_wipe(secret, sizeof(secret));
        xfree(vmm);
        vmm = NULL;
        printk("SCCrypt: cannot make the VMM key: console encryption disabled\n");
        return 0;
    }
    sc_wipe(secret, sizeof(secret));
    fingerprint(fpr, vmm->pub);
    printk("SCCrypt: VMM key fingerprint %s\n", fpr);
    return 0;
}
__initcall(sccrypt_init);

unsigned int sccrypt_seal_level(void)
{
    return sccrypt_dma_confined ? XEN_SCCRYPT_L_DMA : 0;
}

/*
 * The seal level the bind vouches for in d's answers (sccrypt(7) LEVELS):
 * dom0's DMA confined (boot), the console kind and whether a device model
 * may still map the domain's memory (con, which the HVM glue and
 * pristine.c's HVM rules fill in; a PV or PVH domain that passed the
 * pristine check is sealed on the PV ring).
 */
static void sccrypt_host_level(const struct sccrypt_console *con, struct sc_level *l)
{
    l->flags = (sccrypt_dma_confined ? SC_LEVEL_DMA : 0) |
               (con->dm_may_map ? 0 : SC_LEVEL_SEALED);
    l->console = con->console_kind == SC_CON_UART ? SC_CON_UART : SC_CON_RING;
}

/* ---- per-domain state ------------------------------------------------- */

/*
 * Guest run time.  The engine's times decide when a finished session ends
 * (the guest was quiet that long) and when a silent one is dropped; if they
 * were wall-clock time, dom0 could pause the guest, or starve it through its
 * scheduling, in the middle of its output and fake a clean end.  So the
 * engine gets only the time since the bind that the guest could run, in
 * milliseconds, never going backwards: wall time less the time the domain
 * was paused or shut down (pause accounting below, fed by domain.c's pause,
 * unpause and shutdown), less the time vCPU 0 waited for a CPU while it
 * wanted one (runnable), less the time vCPU 0 was offline outside those
 * pauses (paused on its own, parked by a credit cap, down).  Time it spent
 * blocked, idle by its own choice, counts: an idle guest is a quiet one.
 * A domain that another domain suspended or shut down never runs again while
 * sealed (resuming it is not on the seal's allowlist): its session ends at
 * once with CLOSE STOPPED, never clean.
 */
static DEFINE_SPINLOCK(sccrypt_time_lock);

/* vCPU 0's time in runstate state, read without its lock (approximate). */
static s_time_t runstate_ns(const struct domain *d, int state, s_time_t now)
{
    const struct vcpu *v = d->vcpu ? d->vcpu[0] : NULL;
    s_time_t t;

    if ( !v )
        return 0;
    t = ACCESS_ONCE(v->runstate.time[state]);
    if ( ACCESS_ONCE(v->runstate.state) == state )
        t += now - ACCESS_ONCE(v->runstate.state_entry_time);
    return t;
}

static bool stopped(const struct domain *d)
{
    return atomic_read(&d->pause_count) > 0 || ACCESS_ONCE(d->is_shutting_down);
}

void sccrypt_pause_changed(struct domain *d)
{
    unsigned long flags;
    s_time_t now = NOW();

    spin_lock_irqsave(&sccrypt_time_lock, flags);
    if ( stopped(d) )
    {
        if ( !d->sccrypt_paused_since )
        {
            d->sccrypt_paused_since = now;
            d->sccrypt_offline_mark = runstate_ns(d, RUNSTATE_offline, now);
        }
    }
    else if ( d->sccrypt_paused_since )
    {
        d->sccrypt_paused_total += now - d->sccrypt_paused_since;
        d->sccrypt_offline_paused += runstate_ns(d, RUNSTATE_offline, now) -
                                     d->sccrypt_offline_mark;
        d->sccrypt_paused_since = 0;
    }
    spin_unlock_irqrestore(&sccrypt_time_lock, flags);
}

/* Time paused or shut down, and vCPU 0's offline time outside of it. */
static void stopped_ns(struct domain *d, s_time_t now, s_time_t *paused,
                       s_time_t *offline)
{
    unsigned long flags;
    s_time_t off;

    spin_lock_irqsave(&sccrypt_time_lock, flags);
    off = runstate_ns(d, RUNSTATE_offline, now);
    *paused = d->sccrypt_paused_total +
              (d->sccrypt_paused_since ? now - d->sccrypt_paused_since : 0);
    *offline = off - d->sccrypt_offline_paused -
               (d->sccrypt_paused_since ? off - d->sccrypt_offline_mark : 0);
    spin_unlock_irqrestore(&sccrypt_time_lock, flags);
}

static void run_clock_start(struct sccrypt_dom *s)
{
    s_time_t now = NOW();

    sccrypt_pause_changed(s->d);
    s->bound_at = now;
    stopped_ns(s->d, now, &s->paused_at_bind, &s->offline_at_bind);
    s->runnable_at_bind = runstate_ns(s->d, RUNSTATE_runnable, now);
    s->last_run_ms = 0;
}

static uint64_t run_ms(struct sccrypt_dom *s)
{
    s_time_t now = NOW(), paused, offline, t;
    uint64_t ms;

    stopped_ns(s->d, now, &paused, &offline);
    t = (now - s->bound_at) - (paused - s->paused_at_bind) -
        (offline - s->offline_at_bind) -
        (runstate_ns(s->d, RUNSTATE_runnable, now) - s->runnable_at_bind);
    ms = t > 0 ? (uint64_t)t / MILLISECS(1) : 0;
    if ( ms < s->last_run_ms )
        ms = s->last_run_ms;
    s->last_run_ms = ms;
    return ms;
}

static struct sccrypt_dom *find_dom(const struct domain *d)
{
    struct sccrypt_dom *s;

    list_for_each_entry ( s, &sccrypt_doms, list )
        if ( s->d == d )
            return s;
    return NULL;
}

static struct sccrypt_dom *find_session(uint64_t session)
{
    struct sccrypt_dom *s;

    if ( !session )
        return NULL;
    list_for_each_entry ( s, &sccrypt_doms, list )
        if ( s->session == session )
            return s;
    return NULL;
}

/* The VMM's per-key count: how many live domains key binds (sc_vmm_bind, sc_vmm_open). */
static int cf_check key_binds(void *ctx, const uint8_t key[SC_KEY_LEN])
{
    struct sccrypt_dom *s;
    int n = 0;

    list_for_each_entry ( s, &sccrypt_doms, list )
        n += s->dom.bound && sc_ct_equal(s->dom.key, key, SC_KEY_LEN);
    return n;
}

static bool session_open(const struct sccrypt_dom *s)
{
    return s->session && s->dom.state != SC_SESS_NONE;
}

/*
 * The engine's ring of an HVM guest is the UART's: taken under its
 * per-domain lock (inside sccrypt_lock), and on release the UART moves
 * what it can (input to the receiver, held output into the ring) and
 * drives IRQ 4.  Nothing for PV and PVH.
 */
static void ring_lock(struct sccrypt_dom *s)
{
    if ( s->has_uart )
        sccrypt_uart_lock(&s->uart);
}

static void ring_unlock(struct sccrypt_dom *s)
{
    if ( s->has_uart )
    {
        /*
         * A BREAK record the engine stopped at goes behind the input before
         * it (LSR.BI once the guest read that far); input then goes on.  While
         * the UART's queue of BREAKs is full it waits, as input does.
         */
        if ( sc_vmm_break_pending(&s->dom) && !sc_uart_con_break(&s->uart.con) )
            sc_vmm_break_taken(&s->dom);
        /* Input the engine still holds: the port handler asks back for it. */
        s->uart.in_waiting = s->dom.pending_len != 0 || sc_vmm_break_pending(&s->dom);
        sccrypt_uart_unlock(&s->uart);
    }
}

static uint32_t out_used(const volatile struct sc_xencons *r)
{
    uint32_t used = ACCESS_ONCE(r->out_prod) - ACCESS_ONCE(r->out_cons);

    return used > SC_RING_OUT_SIZE ? SC_RING_OUT_SIZE : used;
}

static uint32_t ring_out_used(struct sccrypt_dom *s)
{
    uint32_t used;

    ring_lock(s);
    used = out_used(s->ring);
    ring_unlock(s);
    if ( s->has_uart && s->page )
        used += out_used(s->page);
    return used;
}

static size_t drain_one(struct sccrypt_dom *s, volatile struct sc_xencons *r)
{
    uint32_t used = out_used(r);

    if ( !used )
        return 0;
    if ( session_open(s) && s->bl.cap - s->bl.len < used )
        return 0;
    return sc_backlog_drain_ring(&s->bl, r);
}

/*
 * Moves guest output into the backlog.  While a relay is attached the
 * backlog is not allowed to overflow (the guest waits for the relay);
 * otherwise the oldest output goes.  Returns the bytes moved.  An HVM
 * guest's PV console ring is drained too (into the same session: it
 * carries nothing out in plaintext); its input only ever goes to the UART.
 */
static size_t drain(struct sccrypt_dom *s)
{
    size_t n;

    ring_lock(s);
    n = drain_one(s, s->ring);
    ring_unlock(s);
    if ( s->has_uart && s->page )
        n += drain_one(s, s->page);
    if ( n && session_open(s) )
        sc_vmm_guest_output(&s->dom, run_ms(s));
    return n;
}

/*
 * Output left in the ring (the backlog has no room: the relay does not
 * read) is not quiet (issue 17.1); the engine sees the backlog itself.
 */
static void ring_waiting(struct sccrypt_dom *s)
{
    if ( session_open(s) && ring_out_used(s) )
        sc_vmm_guest_output(&s->dom, run_ms(s));
}

/* Is there anything for the relay to fetch? */
static bool relay_has_news(struct sccrypt_dom *s)
{
    if ( !session_open(s) )
        return false;
    /*
     * What the engine would seal now: the backlog only for a live session,
     * and not the small output it holds for the next input slot (echo
     * hiding): an event for that would tell dom0 when the guest echoed.
     */
    return sc_vmm_has_output(&s->dom, &s->bl, run_ms(s));
}

/*
 * Issue 17.2: a relay killed (or its ssh connection dropped) leaves its
 * session open in the engine, with nobody to call OUTPUT.  Its port tells:
 * dom0 closing its end (the relay's process gone) puts ours back to
 * ECS_UNBOUND.  relay_seen() notes, on each relay call, that the session's
 * relay has bound its port; relay_gone() is true once it had and no longer
 * has.  The next open then ends that session (its keys go, the binding and
 * the backlog stay) instead of refusing the console as busy.
 */
static bool relay_port_bound(const struct sccrypt_dom *s)
{
    if ( !s->relay_port || !port_is_valid(s->d, s->relay_port) )
        return false;
    return ACCESS_ONCE(evtchn_from_port(s->d, s->relay_port)->state) == ECS_INTERDOMAIN;
}

static void relay_seen(struct sccrypt_dom *s)
{
    if ( !s->relay_bound && relay_port_bound(s) )
        s->relay_bound = true;
}

static bool relay_gone(const struct sccrypt_dom *s)
{
    return s->relay_bound && !relay_port_bound(s);
}

/* Tells the relay (if one has bound the session's port) to call OUTPUT. */
static void notify_relay(struct sccrypt_dom *s)
{
    if ( s->relay_port )
        notify_via_xen_event_channel(s->d, s->relay_port);
}

/*
 * The timer for the engine's next deadline (lock held).  A deadline that
 * has passed already (wake_in 0) is news for the relay now.  The caller's
 * own look (relay_has_news) read the run time a moment before this one, and
 * run time ticks on in between: the quiet time can run out after it said
 * "nothing yet" and before this says "nothing to wait for".  Without the
 * notify, that session waited for an event nobody would send (seen on
 * check-xen under load: DRAINING, quiet long over, timer not armed).
 */
static void arm_timer(struct sccrypt_dom *s)
{
    int64_t w;

    if ( !session_open(s) )
        return;
    w = sc_vmm_wake_in(&s->dom, run_ms(s));
    if ( w > 0 )
        set_timer(&s->timer, NOW() + MILLISECS(w));
    else if ( w == 0 && relay_has_news(s) )
        notify_relay(s);
}

static void cf_check sccrypt_timer_fn(void *data)
{
    struct sccrypt_dom *s = data;

    spin_lock(&sccrypt_lock);
    if ( relay_has_news(s) )
        notify_relay(s);
    else
        arm_timer(s);
    spin_unlock(&sccrypt_lock);
}

/* Takes the guest's output, gives it pending input, tells the relay (lock held). */
static void console_news_locked(struct sccrypt_dom *s)
{
    size_t moved, moved_in;

    moved = drain(s);
    ring_lock(s);
    moved_in = sc_vmm_flush_input(&s->dom, s->ring);
    ring_unlock(s);
    if ( moved || moved_in )
        notify_via_xen_event_channel(s->d, s->xen_port);
    /*
     * The relay hears of output the engine would send now, and of room
     * for input it was kept waiting for (pending input went in); not of
     * the guest merely reading a key or echoing one (issue 17.3: either
     * would mark the key apart from chaff).
     */
    if ( relay_has_news(s) || (session_open(s) && s->dom.pending_len == 0 && moved_in) )
        notify_relay(s);
}

/* The guest notified its console. */
static void cf_check sccrypt_console_event(struct vcpu *v, unsigned int port)
{
    struct sccrypt_dom *s;

    spin_lock(&sccrypt_lock);
    s = find_dom(v->domain);
    if ( s && s->xen_port == port )
        console_news_locked(s);
    spin_unlock(&sccrypt_lock);
}

/*
 * An HVM guest's UART asks for the engine (uart_port.h): a batch of output
 * is ready, or it read its input and more waits.  From the UART's timer.
 */
static void uart_flush(void *ctx)
{
    struct sccrypt_dom *s = ctx;

    spin_lock(&sccrypt_lock);
    if ( find_dom(s->d) == s )
    {
        console_news_locked(s);
        arm_timer(s);
    }
    spin_unlock(&sccrypt_lock);
}

/* Keeps a session's last frames for its relay's next output call. */
static void final_put(uint64_t session, const uint8_t *p, size_t len)
{
    struct sccrypt_final *f = &finals[next_final++ % SCCRYPT_FINALS];

    sc_wipe(f, sizeof(*f));
    if ( len > sizeof(f->buf) )
        return;
    f->session = session;
    f->len = len;
    memcpy(f->buf, p, len);
}

/* Ends the engine session in dom with reason, keeping its close record. */
static void session_end_final(struct sc_dom *dom, uint64_t session, unsigned int reason,
                              uint64_t now)
{
    uint8_t out[SC_VMM_OUT_MIN];         /* a rekey and the close: all a closing session sends */
    size_t n = 0;
    int rc;

    sc_vmm_close(dom, reason);
    rc = sc_vmm_output(dom, NULL, out, sizeof(out), &n, now);
    if ( rc == 1 )
        final_put(session, out, n);
    else
        sc_vmm_abandon(dom);    /* keys go, the binding stays (proto_vmm tests rc is 1) */
    sc_wipe(out, sizeof(out));
}

static void release_console(struct sccrypt_dom *s)
{
    if ( s->page )
        unmap_domain_page_global((void *)s->page);
    s->page = NULL;
    s->ring = NULL;
    if ( s->ring_page )
    {
        if ( is_pv_domain(s->d) )
            put_page_and_type(s->ring_page);
        else
            put_page(s->ring_page);
    }
    s->ring_page = NULL;
}

void sccrypt_domain_destroy(struct domain *d)
{
    struct sccrypt_dom *s;

    spin_lock(&sccrypt_lock);
    s = find_dom(d);
    if ( s )
    {
        list_del(&s->list);
        if ( session_open(s) )
        {
            uint64_t now = run_ms(s);

            /*
             * What kept the session open, for a session that should have
             * ended (counts and states only, after the guest is gone).
             */
            printk(XENLOG_INFO "SCCrypt: d%d: session open at the end: state %u, "
                   "input pending %u%s, backlog %zu, output owed %d, quiet %u ms, "
                   "last output %"PRIu64" ms before, ring out %u, timer %s\n",
                   d->domain_id, s->dom.state, s->dom.pending_len,
                   s->dom.brk_pending ? " and a BREAK" : "", s->bl.len,
                   sc_vmm_output_owed(&s->dom), s->dom.quiet_ms,
                   now >= s->dom.last_output_ms ? now - s->dom.last_output_ms : 0,
                   ring_out_used(s), timer_is_active(&s->timer) ? "armed" : "not armed");
            session_end_final(&s->dom, s->session, SC_CLOSE_GUEST_GONE, now);
            /* The relay fetches its final record; the ports still exist. */
            notify_relay(s);
        }
        sc_dom_wipe(&s->dom);
    }
    spin_unlock(&sccrypt_lock);
    if ( !s )
        return;
    kill_timer(&s->timer);
    if ( s->has_uart )
        sccrypt_uart_kill(&s->uart);    /* its handler now answers "not mine" */
    release_console(s);
    /* The event channels go with the domain (evtchn_destroy). */
    sc_backlog_wipe(&s->bl);
    sc_wipe(s, sizeof(*s));
    xfree(s);
    printk(XENLOG_INFO "SCCrypt: d%d: console state wiped\n", d->domain_id);
}

bool sccrypt_any_sealed(void)
{
    const struct domain *d;
    bool sealed = false;

    /* A dying domain stays on the list (and sealed) until it is freed. */
    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( d )
        if ( d->sccrypt_sealed )
        {
            sealed = true;
            break;
        }
    rcu_read_unlock(&domlist_read_lock);
    return sealed;
}

/* Ends the open sessions of domains another domain stopped (CLOSE STOPPED). */
static void cf_check sccrypt_stop_fn(void *unused)
{
    struct sccrypt_dom *s;

    spin_lock(&sccrypt_lock);
    list_for_each_entry ( s, &sccrypt_doms, list )
        if ( ACCESS_ONCE(s->d->sccrypt_stopped) && session_open(s) &&
             s->dom.state != SC_SESS_CLOSING )
        {
            sc_vmm_close(&s->dom, SC_CLOSE_STOPPED);
            notify_relay(s);
        }
    spin_unlock(&sccrypt_lock);
}
static DECLARE_SOFTIRQ_TASKLET(sccrypt_stop_tasklet, sccrypt_stop_fn, NULL);

/*
 * domain.c, with d's shutdown lock held and from any context: its guest run
 * time stops; stopped by another domain (a remote suspend or poweroff, a
 * crash Xen declared), its session ends STOPPED, from a tasklet.
 */
void sccrypt_shutdown(struct domain *d, bool remote)
{
    sccrypt_pause_changed(d);
    if ( !remote )
        return;
    ACCESS_ONCE(d->sccrypt_stopped) = true;
    smp_wmb();
    tasklet_schedule(&sccrypt_stop_tasklet);
}

/* ---- hypercall -------------------------------------------------------- */

/* Takes a reference (and for PV a writable type) on d's console page. */
static int take_console(struct domain *d, const struct sccrypt_console *con,
                        struct page_info **pg)
{
    p2m_type_t t;
    struct page_info *page = get_page_from_gfn(d, con->ring, &t, P2M_ALLOC);

    if ( !page )
        return -EINVAL;
    if ( !p2m_is_ram(t) || (is_pv_domain(d) && !get_page_type(page, PGT_writable_page)) )
    {
        put_page(page);
        return -EINVAL;
    }
    *pg = page;
    return 0;
}

/* The machine frame of d's console page (0 when it has none). */
static unsigned long console_mfn(struct domain *d, const struct sccrypt_console *con)
{
    p2m_type_t t;
    mfn_t mfn;

    if ( !paging_mode_translate(d) )
        return con->ring;
    mfn = get_gfn_query_unlocked(d, con->ring, &t);
    return p2m_is_ram(t) && mfn_valid(mfn) ? mfn_x(mfn) : 0;
}

/* memory_mapping, iomem_permission: does [s, e] overlap RAM in the e820 map? */
bool sccrypt_range_is_ram(unsigned long s, unsigned long e)
{
    unsigned int i;

    for ( i = 0; i < e820.nr_map; i++ )
    {
        const struct e820entry *r = &e820.map[i];

        if ( r->type == E820_RAM && PFN_DOWN(r->addr) <= e &&
             PFN_UP(r->addr + r->size) > s )
            return true;
    }
    return false;
}

static bool uuid_unique(const struct domain *d)
{
    const struct domain *o;
    bool unique = true;

    rcu_read_lock(&domlist_read_lock);
    for_each_domain ( o )
        if ( o != d && !o->is_dying &&
             !memcmp(o->handle, d->handle, sizeof(d->handle)) )
            unique = false;
    rcu_read_unlock(&domlist_read_lock);
    return unique;
}

/*
 * Binds a console key to a pristine domain and seals it.  The sealed flag is
 * set first and every check runs after it: nothing dom0 starts meanwhile
 * gets in (xsm/sccrypt_seal.h refuses it), and a failed bind unseals.  An
 * operation that passed its XSM check just before the flag was set may
 * still be running on another CPU: rcu_barrier() waits until every CPU has
 * left the hypercall it was in (the doors hold no work across a softirq
 * point; long ones restart through a continuation, which checks again), so
 * the checks see whatever such an operation took.  Hence a domain
 * reference, not an RCU read lock, for the whole bind.
 * Refusals that cost nothing come before the VMM uses the domain's bind
 * challenge up, and kexec and livepatch are locked just before it does (a
 * load racing the bind fails, not the user's request).  The request is
 * unsealed with no lock held (see Locking).
 */
static int op_bind(struct xen_sccrypt_op *op, const uint8_t *req, size_t len,
                   uint8_t ans[SC_BOUND_LEN])
{
    struct domain *d;
    struct sccrypt_dom *s = NULL;
    struct page_info *page = NULL;
    struct sccrypt_console con;
    uint8_t inst[SC_INSTANCE_LEN], chal[SC_CHALLENGE_LEN], tmp[SC_CHALLENGE_LEN];
    uint8_t key[SC_KEY_LEN], uuid[SC_UUID_LEN];
    struct sc_level least, level;
    unsigned int why = 0;
    int rc, xport;

    memset(&con, 0, sizeof(con));
    con.console_kind = SC_CON_RING;     /* the HVM console glue makes it SC_CON_UART */
    d = get_domain_by_id(op->domid);
    if ( !d )
        return -ESRCH;
    rc = -EINVAL;
    if ( d == current->domain || is_control_domain(d) || is_hardware_domain(d) ||
         d->is_dying || !uuid_unique(d) )
        goto out_unlock;
    /*
     * No kexec image (a crash kernel would see the domain's memory and the
     * VMM key) and no livepatch payload (dom0's code inside Xen) may be
     * loaded; both are locked once the bind succeeded.
     */
    rc = kexec_seal(true);
    if ( rc )
        goto out_unlock;
    rc = livepatch_seal(true);
    if ( rc )
        goto out_unlock;

    rc = -EBUSY;
    if ( test_and_set_bool(d->sccrypt_sealed) )
        goto out_unlock;                /* bound, or a bind under way */
    smp_mb();
    rcu_barrier();                      /* operations checked before the flag are done */

    rc = sccrypt_guest_console(d, &con);
    if ( rc )
        why = XEN_SCCRYPT_P_CONSOLE;
    else
    {
        /*
         * From here on no grant entry maps the console frame for another
         * domain (grant_table.c); one pinned before is what the pristine
         * check below sees.
         */
        ACCESS_ONCE(d->sccrypt_console_mfn) = console_mfn(d, &con);
        smp_mb();
        rc = sccrypt_pristine(d, &con, &why);
    }
    /*
     * An HVM guest (emulated devices): its console is COM1, which Xen
     * takes; nothing of Xen's may cover those ports already.
     */
    if ( !rc && is_hvm_domain(d) && has_vpic(d) )
    {
        if ( sccrypt_uart_check(d) )
        {
            why = XEN_SCCRYPT_P_DEVICE;
            rc = -EPERM;
        }
        con.console_kind = SC_CON_UART;
    }
    if ( rc )
        goto out_unseal;
    rc = take_console(d, &con, &page);
    if ( rc )
    {
        why = XEN_SCCRYPT_P_CONSOLE;
        goto out_unseal;
    }
    rc = -ENOMEM;
    s = xzalloc(struct sccrypt_dom);
    if ( !s )
        goto out_page;
    s->d = d;
    s->guest_port = con.port;
    s->ring_page = page;
    sc_backlog_init(&s->bl, s->blbuf, sizeof(s->blbuf));
    init_timer(&s->timer, sccrypt_timer_fn, s, smp_processor_id());
    s->has_uart = is_hvm_domain(d) && has_vpic(d);
    if ( s->has_uart )
        sccrypt_uart_init(&s->uart, d, uart_flush, s, smp_processor_id());

    /* Only one consumer may own a ring: the console must be let go first. */
    rc = -EBUSY;
    if ( !evtchn_port_is_unbound(d, con.port) )
        goto out_free;
    s->page = map_domain_page_global(page_to_mfn(page));
    rc = -ENOMEM;
    if ( !s->page )
        goto out_free;
    s->ring = s->has_uart ? (volatile struct sc_xencons *)&s->uart.con.ring : s->page;

    /* The challenge under the lock; the unsealing (X25519) outside it. */
    spin_lock(&sccrypt_lock);
    rc = d->sccrypt_has_challenge ? 0 : -SC_EREPLAY;
    if ( !rc )
        memcpy(chal, d->sccrypt_challenge, SC_CHALLENGE_LEN);
    spin_unlock(&sccrypt_lock);
    if ( !rc )
        rc = sc_vmm_bind_open(vmm, req, len, chal, key, uuid, &least);
    if ( rc )
    {
        op->vmm_err = -rc;          /* nothing was used up */
        rc = -EACCES;
        goto out_free;
    }

    spin_lock(&sccrypt_lock);
    rc = -EBUSY;
    if ( find_dom(d) )
        goto out_locked;
    op->vmm_err = SC_ENORANDOM;
    rc = -EACCES;
    if ( !vmm || drbg_get(inst, sizeof(inst)) )
        goto out_locked;
    /*
     * Lock kexec and livepatch before the engine uses the request up: a
     * load racing the bind then fails, not the user's single-use request.
     * A bind that fails from here on leaves them locked until reboot.
     */
    op->vmm_err = 0;
    rc = kexec_seal(false);
    if ( !rc )
        rc = livepatch_seal(false);
    if ( rc )
        goto out_locked;
    /*
     * The engine's commit: only under the challenge still current (another
     * bind attempt or a new challenge meanwhile: -SC_EREPLAY), which it
     * then uses up; the domain's copy goes with it.
     */
    sc_dom_init(&s->dom, d->domain_id, d->handle);
    /*
     * The weaker level "device model may map memory" (sccrypt(7) LEVELS):
     * only for an HVM guest (its console the UART), and only when the
     * user's request allows it, by a least level without sealed memory; an
     * HVM guest that needs emulated DMA (direct kernel boot's fw_cfg, a disk
     * or NIC) cannot run otherwise.  Its device model may then map its RAM
     * (xsm_mmu_update) and its string I/O keeps the guest address.
     */
    con.dm_may_map = con.console_kind == SC_CON_UART &&
                     !(least.flags & SC_LEVEL_SEALED);
    /* The level this domain's answers will vouch for; the commit checks the request's least. */
    sccrypt_host_level(&con, &level);
    sc_dom_set_level(&s->dom, &level);
    rc = -SC_EREPLAY;
    if ( d->sccrypt_has_challenge &&
         sc_ct_equal(d->sccrypt_challenge, chal, SC_CHALLENGE_LEN) )
    {
        sc_wipe(d->sccrypt_challenge, SC_CHALLENGE_LEN);
        d->sccrypt_has_challenge = false;
        rc = sc_vmm_challenge(&s->dom, chal, tmp);
        if ( !rc )
            rc = sc_vmm_bind_commit(&s->dom, chal, key, uuid, &least, inst, key_binds, NULL);
    }
    sc_wipe(inst, sizeof(inst));
    sc_wipe(key, sizeof(key));
    if ( !rc )
    {
        rc = sc_vmm_bound(vmm, &s->dom, req, len, ans);
        if ( rc )
            sc_dom_wipe(&s->dom);
    }
    if ( rc )
    {
        op->vmm_err = -rc;
        rc = -EACCES;
        goto out_locked;
    }
    op->vmm_err = 0;

    /* Take the console event channel over. */
    xport = evtchn_claim_for_xen(d, con.port, sccrypt_console_event);
    if ( xport < 0 )
    {
        /* Lost a race with the console's old owner. */
        rc = -EBUSY;
        sc_dom_wipe(&s->dom);
        goto out_locked;
    }
    s->xen_port = xport;
    run_clock_start(s);
    list_add(&s->list, &sccrypt_doms);
    /*
     * HVM: COM1 and port 0xe9 are Xen's from now on (uart_port.c); PVH:
     * its 0xe9 bytes no longer reach Xen's console.
     */
    if ( s->has_uart )
    {
        sccrypt_uart_claim(&s->uart);
        ACCESS_ONCE(d->sccrypt_dm_map) = con.dm_may_map;
    }
    else if ( is_hvm_domain(d) )
        sccrypt_debug_port_seal(d);
    drain(s);
    spin_unlock(&sccrypt_lock);
    printk(XENLOG_INFO "SCCrypt: d%d: console bound and domain sealed (%s%s)\n",
           d->domain_id, s->has_uart ? "HVM, COM1" : is_hvm_domain(d) ? "PVH" : "PV",
           d->sccrypt_dm_map ? "; its device model may map its memory" : "");
    put_domain(d);
    return 0;

 out_locked:
    spin_unlock(&sccrypt_lock);
 out_free:
    sc_wipe(key, sizeof(key));
    kill_timer(&s->timer);
    if ( s->has_uart )
        kill_timer(&s->uart.flush);
    if ( s->page )
        unmap_domain_page_global((void *)s->page);
    sc_wipe(s, sizeof(*s));
    xfree(s);
 out_page:
    if ( is_pv_domain(d) )
        put_page_and_type(page);
    else
        put_page(page);
 out_unseal:
    if ( why )
    {
        op->value2 = why;
        rc = -EACCES;
        printk(XENLOG_INFO "SCCrypt: d%d: bind refused: not pristine (reason %u)\n",
               d->domain_id, why);
    }
    smp_mb();
    d->sccrypt_sealed = false;
    d->sccrypt_console_mfn = 0;
 out_unlock:
    put_domain(d);
    return rc;
}

/*
 * The domain's bind challenge, made from the DRBG when first asked; an
 * unbound domain only (a bind under way: -EBUSY; bound: SC_EBOUND).
 */
static int op_challenge(struct xen_sccrypt_op *op, uint8_t out[SC_CHALLENGE_LEN])
{
    struct domain *d;
    int rc;

    d = rcu_lock_domain_by_id(op->domid);
    if ( !d )
        return -ESRCH;
    rc = -EINVAL;
    if ( d == current->domain || is_control_domain(d) || is_hardware_domain(d) ||
         d->is_dying )
        goto out;
    spin_lock(&sccrypt_lock);
    rc = -EACCES;
    op->vmm_err = SC_EBOUND;
    if ( find_dom(d) )
        goto out_locked;
    op->vmm_err = 0;
    rc = -EBUSY;
    if ( ACCESS_ONCE(d->sccrypt_sealed) )
        goto out_locked;            /* a bind is under way */
    rc = -EACCES;
    op->vmm_err = SC_ENORANDOM;
    if ( !d->sccrypt_has_challenge )
    {
        if ( drbg_get(d->sccrypt_challenge, SC_CHALLENGE_LEN) )
            goto out_locked;
        d->sccrypt_has_challenge = true;
    }
    op->vmm_err = 0;
    memcpy(out, d->sccrypt_challenge, SC_CHALLENGE_LEN);
    rc = 0;
 out_locked:
    spin_unlock(&sccrypt_lock);
 out:
    rcu_unlock_domain(d);
    return rc;
}

/*
 * The console can be held: a session open with a relay still there, and no
 * takeover asked (-EBUSY).  A session whose relay is gone ends unheard
 * (binding and backlog stay).  Lock held.
 */
static int open_busy(struct xen_sccrypt_op *op, struct sccrypt_dom *s)
{
    if ( !session_open(s) || (op->flags & XEN_SCCRYPT_F_TAKEOVER) )
        return 0;
    if ( !relay_gone(s) )
        return -EBUSY;
    sc_vmm_abandon(&s->dom);
    s->session = 0;
    printk(XENLOG_INFO "SCCrypt: d%d: the relay went away; session ended\n",
           s->d->domain_id);
    return 0;
}

/*
 * Lock held: d's state, bound and with its console free to open (or taken
 * over); NULL with *rc (and op->vmm_err) saying why not.  op_open asks twice,
 * before and after the handshake's work outside the lock.
 */
static struct sccrypt_dom *open_target_locked(struct xen_sccrypt_op *op,
                                              struct domain *d, int *rc)
{
    struct sccrypt_dom *s = find_dom(d);

    if ( !s )
    {
        op->vmm_err = SC_ENOTBOUND;
        *rc = -EACCES;
        return NULL;
    }
    op->vmm_err = 0;
    *rc = open_busy(op, s);
    return *rc ? NULL : s;
}

/*
 * The handshake's X25519s run with no lock held (see Locking): the binding
 * is copied under the lock, the hello checked and the answer made outside
 * it (sc_vmm_open_prepare), and the session started under the lock again
 * only if the domain is still bound to the same key and instance
 * (sc_vmm_open_commit), the console's holder checked again.
 */
static int op_open(struct xen_sccrypt_op *op, const uint8_t *hello, size_t len,
                   uint8_t *answer)
{
    struct sccrypt_dom *s;
    struct sc_dom *b;
    struct sc_vmm_opening o;
    struct domain *d;
    uint8_t eph[32];
    uint64_t old, dropped;
    int rc, rport, oldport = 0;

    d = rcu_lock_domain_by_id(op->domid);
    if ( !d )
        return -ESRCH;
    b = xzalloc(struct sc_dom);
    if ( !b )
    {
        rcu_unlock_domain(d);
        return -ENOMEM;
    }
    memset(&o, 0, sizeof(o));
    /*
     * Each session gets a fresh port for the relay to bind: a relay that
     * takes over cannot bind the port its predecessor still holds.
     */
    rport = sccrypt_alloc_relay_port(d, current->domain->domain_id);
    if ( rport < 0 )
    {
        xfree(b);
        rcu_unlock_domain(d);
        return rport;
    }
    spin_lock(&sccrypt_lock);
    s = open_target_locked(op, d, &rc);
    if ( !s )
        goto out;
    rc = -EACCES;
    op->vmm_err = SC_ENORANDOM;
    if ( drbg_get(eph, sizeof(eph)) )
        goto out;
    op->vmm_err = 0;
    /* The binding only (no session keys, no pending input). */
    b->bound = s->dom.bound;
    b->domid = s->dom.domid;
    memcpy(b->key, s->dom.key, SC_KEY_LEN);
    memcpy(b->instance, s->dom.instance, SC_INSTANCE_LEN);
    memcpy(b->uuid, s->dom.uuid, SC_UUID_LEN);
    b->level = s->dom.level;            /* the seal level the answer vouches for */
    dropped = s->bl.dropped;
    spin_unlock(&sccrypt_lock);

    rc = sc_vmm_open_prepare(vmm, b, hello, len, answer, eph, dropped, &o);
    sc_wipe(eph, sizeof(eph));
    if ( rc )
    {
        op->vmm_err = -rc;
        rc = -EACCES;
        goto out_unlocked;
    }

    spin_lock(&sccrypt_lock);
    s = open_target_locked(op, d, &rc);
    if ( !s )
        goto out;
    old = session_open(s) ? s->session : 0;
    if ( old )
        scratch = s->dom;
    rc = sc_vmm_open_commit(&s->dom, b, vmm->cr, &o, run_ms(s), key_binds, NULL);
    if ( rc )
    {
        sc_wipe(&scratch, sizeof(scratch));
        op->vmm_err = -rc;
        rc = -EACCES;
        goto out;
    }
    if ( old )
    {
        session_end_final(&scratch, old, SC_CLOSE_TAKEOVER, run_ms(s));
        sc_wipe(&scratch, sizeof(scratch));
    }
    /* bl.dropped stays: the engine takes it off once a live session was told. */
    s->session = next_session++;
    oldport = s->relay_port;
    if ( oldport )
        notify_relay(s);                /* the old relay fetches its final record */
    s->relay_port = rport;
    s->relay_bound = false;
    rport = 0;
    op->session = s->session;
    op->value = s->relay_port;
    op->len = SC_ANSWER_LEN;
    op->vmm_err = 0;
    if ( ACCESS_ONCE(d->sccrypt_stopped) )
        sc_vmm_close(&s->dom, SC_CLOSE_STOPPED);    /* it will never run again */
    if ( relay_has_news(s) )
        notify_relay(s);
    rc = 0;
 out:
    spin_unlock(&sccrypt_lock);
 out_unlocked:
    sc_vmm_open_wipe(&o);
    sc_wipe(eph, sizeof(eph));
    sc_wipe(b, sizeof(*b));
    xfree(b);
    if ( rport > 0 )
        free_xen_event_channel(d, rport);
    if ( oldport > 0 )
        free_xen_event_channel(d, oldport);
    rcu_unlock_domain(d);
    return rc;
}

/*
 * Input frames into the session's engine and the guest's ring (lock held).
 * *total: bytes taken.  Returns 0 or the engine's -SC_E* refusal.
 */
static int input_locked(struct sccrypt_dom *s, const uint8_t *buf, size_t len, size_t *total)
{
    size_t used, wrote;
    int rc;

    *total = 0;
    for ( ;; )
    {
        ring_lock(s);
        rc = sc_vmm_input(&s->dom, s->ring, buf + *total, len - *total, &used, &wrote,
                          run_ms(s));
        ring_unlock(s);
        *total += used;
        /*
         * An obfuscating session's guest gets an event for every record,
         * chaff too: its wake-ups (which dom0 sees in its scheduling) are
         * the same for a key and for chaff.
         */
        if ( wrote || (used && (s->dom.options & SC_OPT_CHAFF)) )
            notify_via_xen_event_channel(s->d, s->xen_port);
        if ( rc || *total == len || !used )
            break;
    }
    return rc;
}

/*
 * A session that is gone: hand over its last frames once (with
 * XEN_SCCRYPT_V_ENDED in *ended); while they do not fit in cap (an input-only
 * xfer) they wait, and nothing is returned.  No frames: -ENOENT.  Lock held.
 */
static int output_final_locked(struct xen_sccrypt_op *op, struct sccrypt_dom *s, uint8_t *out,
                               size_t cap, uint32_t *ended)
{
    unsigned int i;

    for ( i = 0; i < SCCRYPT_FINALS; i++ )
        if ( op->session && finals[i].session == op->session )
        {
            if ( finals[i].len > cap )
                return 0;
            memcpy(out, finals[i].buf, finals[i].len);
            op->len = finals[i].len;
            *ended = XEN_SCCRYPT_V_ENDED;
            sc_wipe(&finals[i], sizeof(finals[i]));
            return 0;
        }
    if ( s && s->session == op->session )
        s->session = 0;
    op->vmm_err = SC_ENOSESSION;
    return -ENOENT;
}

/*
 * Everything the session has for the relay, up to cap bytes, into out
 * (lock held): guest output moved from the ring as it frees, sealed in
 * records as large as what waits.  Sets op->len and *ended.  Returns 0
 * or the engine's -SC_E*.
 */
static int output_locked(struct xen_sccrypt_op *op, struct sccrypt_dom *s, uint8_t *out,
                         size_t cap, uint32_t *ended)
{
    size_t off = 0, n, moved;
    unsigned int i;
    int rc = 0;

    for ( i = 0; i < 64 && cap - off >= SC_VMM_OUT_MIN; i++ )
    {
        moved = drain(s);
        if ( moved )
            notify_via_xen_event_channel(s->d, s->xen_port);
        ring_waiting(s);
        rc = sc_vmm_output(&s->dom, &s->bl, out + off, cap - off, &n, run_ms(s));
        off += n;
        if ( rc )
            break;
        if ( !n && !moved )
            break;
    }
    if ( rc == 1 )
    {
        *ended = XEN_SCCRYPT_V_ENDED;
        s->session = 0;
        rc = 0;
    }
    else
        arm_timer(s);
    op->len = off;
    return rc;
}

static int op_input(struct xen_sccrypt_op *op, const uint8_t *buf, size_t len)
{
    struct sccrypt_dom *s;
    size_t total = 0, moved;
    int rc;

    spin_lock(&sccrypt_lock);
    s = find_session(op->session);
    if ( !s || !session_open(s) )
    {
        spin_unlock(&sccrypt_lock);
        op->vmm_err = SC_ENOSESSION;
        return -ENOENT;
    }
    relay_seen(s);
    rc = input_locked(s, buf, len, &total);
    moved = drain(s);
    if ( moved )
        notify_via_xen_event_channel(s->d, s->xen_port);
    if ( rc || relay_has_news(s) )
        notify_relay(s);
    arm_timer(s);
    spin_unlock(&sccrypt_lock);
    op->value = total;
    if ( rc )
    {
        op->vmm_err = -rc;
        return -EACCES;
    }
    return 0;
}

static int op_output(struct xen_sccrypt_op *op, uint8_t *out, size_t cap)
{
    struct sccrypt_dom *s;
    int rc;

    spin_lock(&sccrypt_lock);
    s = find_session(op->session);
    if ( !s || !session_open(s) )
    {
        rc = output_final_locked(op, s, out, cap, &op->value);
        spin_unlock(&sccrypt_lock);
        return rc;
    }
    relay_seen(s);
    rc = output_locked(op, s, out, cap, &op->value);
    spin_unlock(&sccrypt_lock);
    if ( rc < 0 )
    {
        op->vmm_err = -rc;
        return -EACCES;
    }
    return rc;
}

/*
 * One call per batch: the relay's input frames in, and everything ready
 * out, under one lock.  The relay is signalled afterwards only for news
 * this call did not carry (output beyond cap, or what comes later).  An
 * input record the VMM refuses still returns the output, whose last
 * record is the VMM's PROTOCOL close: -EACCES with vmm_err set.
 */
static int op_xfer(struct xen_sccrypt_op *op, const uint8_t *buf, size_t len, uint8_t *out,
                   size_t cap)
{
    struct sccrypt_dom *s;
    size_t total = 0;
    int rc, orc;

    spin_lock(&sccrypt_lock);
    s = find_session(op->session);
    if ( !s || !session_open(s) )
    {
        rc = output_final_locked(op, s, out, cap, &op->value2);
        spin_unlock(&sccrypt_lock);
        return rc;
    }
    relay_seen(s);
    rc = len ? input_locked(s, buf, len, &total) : 0;
    op->value = total;
    orc = output_locked(op, s, out, cap, &op->value2);
    if ( !op->value2 && relay_has_news(s) )
        notify_relay(s);
    spin_unlock(&sccrypt_lock);
    if ( rc == 0 )
        rc = orc;
    if ( rc < 0 )
    {
        op->vmm_err = -rc;
        return -EACCES;
    }
    return 0;
}

static int op_close(struct xen_sccrypt_op *op)
{
    struct sccrypt_dom *s;

    /* dom0 may end a session, never make it look clean. */
    if ( op->arg != SC_CLOSE_RELAY )
        return -EINVAL;
    spin_lock(&sccrypt_lock);
    s = find_session(op->session);
    if ( !s || !session_open(s) )
    {
        spin_unlock(&sccrypt_lock);
        op->vmm_err = SC_ENOSESSION;
        return -ENOENT;
    }
    sc_vmm_close(&s->dom, op->arg);
    notify_relay(s);
    spin_unlock(&sccrypt_lock);
    return 0;
}

static int op_dom_status(struct xen_sccrypt_op *op)
{
    struct sccrypt_dom *s;
    struct domain *d = rcu_lock_domain_by_id(op->domid);

    if ( !d )
        return -ESRCH;
    spin_lock(&sccrypt_lock);
    s = find_dom(d);
    op->value = (s ? XEN_SCCRYPT_D_BOUND : 0) |
                (s && session_open(s) ? XEN_SCCRYPT_D_SESSION : 0);
    spin_unlock(&sccrypt_lock);
    rcu_unlock_domain(d);
    return 0;
}

long do_sccrypt_op(XEN_GUEST_HANDLE_PARAM(void) arg)
{
    XEN_GUEST_HANDLE_PARAM(xen_sccrypt_op_t) uop =
        guest_handle_cast(arg, xen_sccrypt_op_t);
    struct xen_sccrypt_op op;
    uint8_t *buf = NULL, *out = NULL;
    size_t len, cap;
    long rc;

    rc = xsm_sccrypt_op(XSM_PRIV);
    if ( rc )
        return rc;
    if ( copy_from_guest(&op, uop, 1) )
        return -EFAULT;
    op.vmm_err = op.value = op.value2 = 0;

    len = op.len;
    cap = op.cap;
    if ( len > XEN_SCCRYPT_IO_MAX )
        return -EINVAL;
    /* A domid is 16 bits: 0x10005 must not name domain 5. */
    if ( op.domid >= DOMID_FIRST_RESERVED &&
         (op.cmd == XEN_SCCRYPT_bind || op.cmd == XEN_SCCRYPT_open ||
          op.cmd == XEN_SCCRYPT_dom_status || op.cmd == XEN_SCCRYPT_challenge) )
        return -ESRCH;
    if ( cap > XEN_SCCRYPT_IO_MAX )
        cap = XEN_SCCRYPT_IO_MAX;
    op.len = 0;

    if ( op.cmd != XEN_SCCRYPT_status && op.cmd != XEN_SCCRYPT_dom_status && !vmm )
    {
        op.vmm_err = SC_ENORANDOM;
        rc = -EACCES;
        goto copy_back;
    }

    if ( len )
    {
        buf = xmalloc_bytes(len);
        if ( !buf )
            return -ENOMEM;
        if ( copy_from_guest(buf, op.buf, len) )
        {
            rc = -EFAULT;
            goto out;
        }
    }

    switch ( op.cmd )
    {
    case XEN_SCCRYPT_status:
        op.value = SC_PROTO_VERSION;
        op.value2 = XEN_SCCRYPT_INTERFACE_VERSION;
        op.flags = (sccrypt_rng_ok ? XEN_SCCRYPT_S_RANDOM : 0) |
                   (sccrypt_selftest_ok ? XEN_SCCRYPT_S_SELFTEST : 0) |
                   (sccrypt_seal_level() & XEN_SCCRYPT_L_DMA ? XEN_SCCRYPT_S_DMA : 0);
        rc = 0;
        break;

    case XEN_SCCRYPT_vmm_key:
        rc = -ENOBUFS;
        if ( cap < SC_PUB_LEN )
            break;
        rc = -EFAULT;
        if ( copy_to_guest(op.buf, vmm->pub, SC_PUB_LEN) )
            break;
        op.len = SC_PUB_LEN;
        rc = 0;
        break;

    case XEN_SCCRYPT_challenge:
    {
        uint8_t ch[SC_CHALLENGE_LEN];

        rc = -ENOBUFS;
        if ( cap < SC_CHALLENGE_LEN )
            break;
        rc = op_challenge(&op, ch);
        if ( !rc && copy_to_guest(op.buf, ch, SC_CHALLENGE_LEN) )
            rc = -EFAULT;
        if ( !rc )
            op.len = SC_CHALLENGE_LEN;
        break;
    }

    case XEN_SCCRYPT_bind:
        out = xzalloc_bytes(SC_BOUND_LEN);
        rc = -ENOMEM;
        if ( !out )
            break;
        rc = op_bind(&op, buf, len, out);
        /* The bind answer, for a relay that has room for it (an older one has none). */
        if ( !rc && cap >= SC_BOUND_LEN )
        {
            if ( copy_to_guest(op.buf, out, SC_BOUND_LEN) )
                rc = -EFAULT;
            else
                op.len = SC_BOUND_LEN;
        }
        break;

    case XEN_SCCRYPT_open:
        rc = -ENOBUFS;
        if ( cap < SC_ANSWER_LEN )
            break;
        out = xzalloc_bytes(SC_ANSWER_LEN);
        rc = -ENOMEM;
        if ( !out )
            break;
        rc = op_open(&op, buf, len, out);
        if ( !rc && copy_to_guest(op.buf, out, SC_ANSWER_LEN) )
            rc = -EFAULT;
        sc_wipe(out, SC_ANSWER_LEN);
        break;

    case XEN_SCCRYPT_input:
        rc = op_input(&op, buf, len);
        break;

    case XEN_SCCRYPT_output:
        rc = -ENOBUFS;
        if ( cap < XEN_SCCRYPT_OUTPUT_MIN )
            break;
        out = xmalloc_bytes(cap);
        rc = -ENOMEM;
        if ( !out )
            break;
        rc = op_output(&op, out, cap);
        if ( !rc && op.len && copy_to_guest(op.buf, out, op.len) )
            rc = -EFAULT;
        break;

    case XEN_SCCRYPT_xfer:
        /* A cap too small for output means input only; the event tells of output. */
        if ( cap < XEN_SCCRYPT_OUTPUT_MIN )
            cap = 0;
        out = xmalloc_bytes(cap ? cap : 1);
        rc = -ENOMEM;
        if ( !out )
            break;
        rc = op_xfer(&op, buf, len, out, cap);
        /* The output travels with an input refusal too: it ends in the VMM's close. */
        if ( (!rc || rc == -EACCES) && op.len && copy_to_guest(op.buf, out, op.len) )
            rc = -EFAULT;
        break;

    case XEN_SCCRYPT_close:
        rc = op_close(&op);
        break;

    case XEN_SCCRYPT_dom_status:
        rc = op_dom_status(&op);
        break;

    default:
        rc = -EOPNOTSUPP;
        break;
    }

 out:
    if ( buf )
        sc_wipe(buf, len);
    xfree(buf);
    xfree(out);
 copy_back:
    if ( __copy_to_guest(uop, &op, 1) )
        rc = -EFAULT;
    return rc;
}
