/* SPDX-License-Identifier: MIT */
/*
 * xen/include/xen/sccrypt.h: the hooks SCCrypt (common/sccrypt/) adds to
 * the rest of the hypervisor.
 */
#ifndef __XEN_SCCRYPT_H__
#define __XEN_SCCRYPT_H__

#include <xen/types.h>
#include <xen/time.h>
#include <xen/event.h>
#include <public/grant_table.h>

struct domain;

#ifdef CONFIG_SCCRYPT
/* Wipes and frees d's console binding; called once from domain_kill(). */
void sccrypt_domain_destroy(struct domain *d);
/* Does a sealed domain exist (live or dying)?  sysctl.c: debug keys. */
bool sccrypt_any_sealed(void);
/* domain.c: d's pause count went to or from zero (guest run time). */
void sccrypt_pause_changed(struct domain *d);
/* domain.c: d is shutting down (suspend, poweroff, crash); remote: not by itself. */
void sccrypt_shutdown(struct domain *d, bool remote);
/*
 * hvm.c, at an HVM domain's creation: Xen's handler for the ports that are
 * dead while the domain is sealed (dead_ports.c: COM2-4, i8042, VGA).
 */
void sccrypt_dead_ports_init(struct domain *d);
/* Does the port access [port, port + size) touch one of those ports? */
bool sccrypt_port_dead(unsigned int port, unsigned int size);
#else
static inline void sccrypt_dead_ports_init(struct domain *d) {}
static inline void sccrypt_domain_destroy(struct domain *d) {}
static inline bool sccrypt_any_sealed(void) { return false; }
static inline void sccrypt_pause_changed(struct domain *d) {}
static inline void sccrypt_shutdown(struct domain *d, bool remote) {}
#endif

/*
 * kexec.c: called by a bind (first as a dry run that changes nothing);
 * -EEXIST while a kexec image is loaded, else kexec loads, unloads and
 * execs are refused from then on until reboot.
 */
#if defined(CONFIG_SCCRYPT) && defined(CONFIG_KEXEC)
int kexec_seal(bool dry_run);
#else
static inline int kexec_seal(bool dry_run) { return 0; }
#endif

/*
 * livepatch.c: called by a bind (first as a dry run that changes nothing);
 * -ENOTEMPTY while a livepatch payload is loaded, else livepatch uploads
 * and actions are refused from then on until reboot.
 */
#if defined(CONFIG_SCCRYPT) && defined(CONFIG_LIVEPATCH)
int livepatch_seal(bool dry_run);
#else
static inline int livepatch_seal(bool dry_run) { return 0; }
#endif

/*
 * xenoprof.c: is d on xenoprof's active or passive list, or has it a
 * profiling buffer?  The bind is refused then; a sealed domain is never
 * added (set_active, set_passive: -EPERM).
 */
#if defined(CONFIG_SCCRYPT) && defined(CONFIG_XENOPROF)
bool xenoprof_sccrypt_profiled(const struct domain *d);
#else
static inline bool xenoprof_sccrypt_profiled(const struct domain *d)
{
    return false;
}
#endif

/*
 * domctl.c, sysctl.c, platform_hypercall.c: a sealed domain's run time (and
 * while any domain is sealed, a pCPU's idle time) is told to other domains
 * only in whole grains: a guest that woke for a key and one that woke for
 * chaff look the same.
 */
#define SCCRYPT_TIME_GRAIN      MILLISECS(100)
static inline uint64_t sccrypt_coarse_ns(uint64_t t)
{
    return t - t % SCCRYPT_TIME_GRAIN;
}

/* xsm_core.c: the active XSM policy (FLASK) decides without the seal. */
extern bool xsm_sccrypt_seal_off;

/*
 * domctl.c: does [s, e] (frame numbers) overlap RAM?  memory_mapping and
 * iomem_permission refuse RAM: a guest's or Xen's frames are never MMIO.
 */
#ifdef CONFIG_SCCRYPT
bool sccrypt_range_is_ram(unsigned long s, unsigned long e);
#else
static inline bool sccrypt_range_is_ram(unsigned long s, unsigned long e)
{
    return false;
}
#endif

/*
 * grant_table.c: is d's grant table as a fresh domain's?  Version 1 (or not
 * set up); no entry offered but 0 (console_frame) and 1 (store_frame);
 * nothing mapped or copied but entry 1.  0; -EBUSY when entry 0 is still
 * mapped (xenconsoled letting go); -EPERM otherwise.
 */
int gnttab_sccrypt_pristine(struct domain *d, unsigned long console_frame,
                            unsigned long store_frame);

/* event_channel.c */
bool evtchn_port_is_unbound(struct domain *d, evtchn_port_t port);
int evtchn_claim_for_xen(struct domain *d, evtchn_port_t gport,
                         xen_event_channel_notification_t fn);
/* A Xen-owned unbound port of d for remote_domid (the relay); no XSM check. */
int sccrypt_alloc_relay_port(struct domain *d, domid_t remote_domid);


#endif /* __XEN_SCCRYPT_H__ */
