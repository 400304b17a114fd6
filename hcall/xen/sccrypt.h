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
#else
static inline void sccrypt_domain_destroy(struct domain *d) {}
#endif

/* event_channel.c */
bool evtchn_port_is_unbound(struct domain *d, evtchn_port_t port);
int evtchn_claim_for_xen(struct domain *d, evtchn_port_t gport,
                         xen_event_channel_notification_t fn);

/* grant_table.c */
bool gnttab_entry_pinned(struct domain *d, grant_ref_t ref);

#endif /* __XEN_SCCRYPT_H__ */
