/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's gate: who is asking, and whether the policy file lets them.
 * A caller through sudo (or a set-user-id install) acts only as the policy
 * (relay_policy.h, sc-relay(8)) allows; root itself, and a user running
 * sc-relay with their own rights, are not limited by it.  Every function
 * says why it refuses (stderr, and syslog for refusals) and returns the
 * exit status to use.
 */
#ifndef RELAY_GATE_H
#define RELAY_GATE_H

#include <stdint.h>

#include "relay_backend.h"
#include "relay_policy.h"

#ifndef SC_RELAY_POLICY
#define SC_RELAY_POLICY "/etc/sccrypt/relay.conf"
#endif

#define GATE_EX_OPER    2           /* operational error (a broken policy file) */
#define GATE_EX_NODOM   3           /* no such domain (as the VMM would say) */
#define GATE_EX_POLICY  5           /* the policy does not allow it */

struct relay_gate {
    int limited;                    /* the caller acts under the policy */
    struct rp_caller caller;
    struct relay_policy *pol;
};

/*
 * gate_begin(g, bname, sockopt): finds the caller; when limited, loads
 * the policy and checks the backend (-b, $SCCRYPT_RELAY), the socket
 * (--socket, $SCCRYPT_SIM_SOCKET) against it, then sets *bname and the sim
 * backend's socket to the policy's.  Returns 0 to go on, or an exit status.
 */
int gate_begin(struct relay_gate *g, const char **bname, const char *sockopt);

/* May the caller do action (RP_*) on domid?  Asks the backend for its name and UUID. */
int gate_domain(struct relay_gate *g, const struct relay_backend *be, struct relay_conn *c,
                uint32_t domid, unsigned action);

/* --vmm-key: any caller the policy names at all. */
int gate_vmm_key(struct relay_gate *g);

/* --check-policy: may this caller check FILE?  0 or an exit status. */
int gate_check_policy(const char *file);

void gate_end(struct relay_gate *g);

#endif /* RELAY_GATE_H */
