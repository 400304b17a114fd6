/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's view of a VMM: the operations of the sccrypt_op hypercall,
 * served either by the hypervisor (relay_xen.c) or by the simulator's socket
 * (relay_sim.c).  The relay links no crypto: every buffer here is
 * ciphertext or a public key.
 *
 * Every function returns 0 on success or -1 with a message already written
 * to *err (a static or backend-owned string, never secret) and errno set
 * where it applies.  VMM refusals come back as vmm_err (an SC_E* code from
 * src/core/sc_proto.h, positive) so the relay can name them.
 */
#ifndef RELAY_BACKEND_H
#define RELAY_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "sc_proto.h"               /* constants only */

struct relay_conn;                  /* a backend's connection, opaque */

#define RELAY_EV_OUTPUT     0x01    /* output is waiting */
#define RELAY_EV_ROOM       0x02    /* input the VMM did not take has room now */

struct relay_backend {
    const char *name;               /* "xen" or "sim" */
    /* Is this backend present on this machine? (for automatic choice) */
    int (*available)(void);
    int (*connect)(struct relay_conn **c, const char **err);
    void (*disconnect)(struct relay_conn *c);
    /* Protocol version the VMM speaks. */
    int (*status)(struct relay_conn *c, uint32_t *version, const char **err);
    int (*vmm_key)(struct relay_conn *c, uint8_t pub[32], const char **err);
    /* domid's current bind challenge (SC_CHALLENGE_LEN bytes), made when first asked. */
    int (*challenge)(struct relay_conn *c, uint32_t domid, uint8_t chal[SC_CHALLENGE_LEN],
                     int *vmm_err, const char **err);
    /*
     * Bind: req in; ans gets the VMM's bind answer (SC_BOUND_LEN bytes, *alen
     * its length; 0 from a VMM that sends none).
     */
    int (*bind)(struct relay_conn *c, uint32_t domid, const uint8_t *req, size_t len,
                uint8_t ans[SC_BOUND_LEN], size_t *alen, int *vmm_err, const char **err);
    /*
     * Attach to domid's console and hand over the hello; answer gets the
     * VMM's answer frame body (alen in: capacity, out: length).  Refuses with
     * vmm_err when another relay holds the domain unless takeover is set.
     */
    int (*open)(struct relay_conn *c, uint32_t domid, int takeover, const uint8_t *hello,
                size_t hlen, uint8_t *answer, size_t *alen, int *vmm_err, const char **err);
    /*
     * Whole input frames in; *consumed bytes were taken (the rest waits for
     * room).  NULL when xfer() does it all.
     */
    int (*input)(struct relay_conn *c, const uint8_t *buf, size_t len, size_t *consumed,
                 int *vmm_err, const char **err);
    /*
     * Output frames out, up to cap bytes; *ended set when the VMM closed the
     * session (its close record is in buf).  NULL when xfer() does it all.
     */
    int (*output)(struct relay_conn *c, uint8_t *buf, size_t cap, size_t *len, int *ended,
                  int *vmm_err, const char **err);
    /*
     * One exchange per wake-up: whole input frames in (inlen may be 0),
     * *consumed bytes taken (the rest waits for room: offer it again only
     * after an event says so, see acked()); then output frames out, up to
     * cap bytes (0: none), *ended set when the VMM closed the session (its
     * close record is the last frame in out).  On a refused input record
     * (vmm_err set) *consumed, *outlen and *ended still say what came back.
     * The xen backend makes it one hypercall.  The sim backend's session is
     * a stream: "taken" means sent within its credit (the VMM's room comes
     * back as credit, RELAY_EV_ROOM), and the output is what the simulator
     * pushed and ack() read; it never waits.
     * NULL: sc-relay composes it from input() and output().
     */
    int (*xfer)(struct relay_conn *c, const uint8_t *in, size_t inlen, size_t *consumed,
                uint8_t *out, size_t cap, size_t *outlen, int *ended, int *vmm_err,
                const char **err);
    /* Ask the VMM to end the session with reason (SC_CLOSE_*). */
    int (*close)(struct relay_conn *c, unsigned int reason, const char **err);
    /*
     * A descriptor that becomes readable when output is waiting or input
     * room freed up; call ack() after poll() says so.  -1 while the backend
     * holds all it can of what came (pending() then says so).
     */
    int (*event_fd)(struct relay_conn *c);
    int (*ack)(struct relay_conn *c, const char **err);
    /*
     * What the events the last ack() took said: RELAY_EV_* bits.  NULL when
     * the backend cannot tell: then any event may mean either.
     */
    unsigned int (*acked)(struct relay_conn *c);
    /*
     * Whether output (or a refusal, or the end) already came and xfer() has
     * not handed it all over (its room ran out): no event will say so again.
     * NULL: the backend holds nothing (its events say when the VMM has more).
     */
    int (*pending)(struct relay_conn *c);
    /*
     * The domain's name (rp_domain_name: the whole name, or, for a name
     * longer than 63 bytes or with bytes outside [A-Za-z0-9._@+-], a display
     * form with '?' that no rule matches) and UUID as the host knows them, for the policy (relay_policy.h).  vmm_err SC_ENODOMAIN
     * when there is no such domain.
     */
    int (*dominfo)(struct relay_conn *c, uint32_t domid, char name[64], uint8_t uuid[16],
                   int *vmm_err, const char **err);
    /*
     * Every domain's id, at most cap of them (*n: how many), for finding a
     * domain by name or UUID (sc-relay web1).
     */
    int (*domains)(struct relay_conn *c, uint32_t *ids, size_t cap, size_t *n,
                   const char **err);
};

extern const struct relay_backend relay_backend_sim;
extern const struct relay_backend relay_backend_xen;

#endif /* RELAY_BACKEND_H */
