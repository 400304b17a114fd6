/* SPDX-License-Identifier: MIT */
/*
 * xen/include/xen/sccrypt.h: the hooks SCCrypt (common/sccrypt/) adds to
 * the rest of the hypervisor.
 */
#ifndef __XEN_SCCRYPT_H__
#define __XEN_SCCRYPT_H__

#include <xen/types.h>
#include <xen/event.h>
#include <public/grant_table.h>

struct domain;

#ifdef CONFIG_SCCRYPT
/* Wipes and frees d's console binding; called once from domain_kill(). */
void sccrypt_domain_destroy(struct domain *d);
/* Does a sealed domain exist (live or dying)?  sysctl.c: debug keys. */
bool sccrypt_any_sealed(void);
#else
static inline void sccrypt_domain_destroy(struct domain *d) {}
static inline bool sccrypt_any_sealed(void) { return false; }
#endif

/*
 * kexec.c: called by a bind; -EEXIST while a kexec image is loaded, else
 * kexec loads, unloads and execs are refused from then on until reboot.
 */
#if defined(CONFIG_SCCRYPT) && defined(CONFIG_KEXEC)
int kexec_seal(void);
#else
static inline int kexec_seal(void) { return 0; }
#endif

/*
 * livepatch.c: called by a bind; -ENOTEMPTY while a livepatch payload is
 * loaded, else livepatch uploads and actions are refused from then on until
 * reboot.
 */
#if defined(CONFIG_SCCRYPT) && defined(CONFIG_LIVEPATCH)
int livepatch_seal(void);
#else
static inline int livepatch_seal(void) { return 0; }
#endif

/* event_channel.c */
bool evtchn_port_is_unbound(struct domain *d, evtchn_port_t port);
int evtchn_claim_for_xen(struct domain *d, evtchn_port_t gport,
                         xen_event_channel_notification_t fn);

/* grant_table.c */
bool gnttab_entry_pinned(struct domain *d, grant_ref_t ref);

#endif /* __XEN_SCCRYPT_H__ */
