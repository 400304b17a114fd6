/* SPDX-License-Identifier: MIT */
/*
 * The guest's console ring, as Xen lays it out (public/io/console.h,
 * struct xencons_interface), and the VMM's backlog of guest output.
 *
 * The guest writes in_cons and out_prod at any time, so every index it
 * wrote is read once, checked against what is possible, and masked before
 * use: a hostile index can make the copy short, never make it reach
 * outside the ring.
 */
#ifndef SC_RING_H
#define SC_RING_H

#include "sc_types.h"

#define SC_RING_IN_SIZE     1024
#define SC_RING_OUT_SIZE    2048

/* Byte for byte the layout of Xen's struct xencons_interface. */
struct sc_xencons {
    char in[SC_RING_IN_SIZE];
    char out[SC_RING_OUT_SIZE];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

/*
 * sc_ring_put_in(ring, p, len): copy up to len bytes of p into the free
 * space of in[], publish them with a write barrier before in_prod, and
 * return how many were copied (0 when the ring is full).  The caller
 * notifies the guest when it returns more than 0.
 */
size_t sc_ring_put_in(volatile struct sc_xencons *ring, const uint8_t *p, size_t len);

/*
 * sc_ring_get_out(ring, p, max): copy up to max bytes the guest has
 * produced in out[] to p, release the space (out_cons) after the copy, and
 * return how many were copied.
 */
size_t sc_ring_get_out(volatile struct sc_xencons *ring, uint8_t *p, size_t max);

/* Bytes of free space in in[] (what sc_ring_put_in would take now). */
size_t sc_ring_in_space(const volatile struct sc_xencons *ring);

/*
 * The backlog: a byte FIFO over memory the host provides, holding guest
 * output until a session carries it.  When full, the oldest bytes go and
 * are counted in dropped, so the guest never stalls on a full ring.
 */
struct sc_backlog {
    uint8_t *buf;
    size_t cap;
    size_t head;                    /* index of the oldest byte */
    size_t len;
    uint64_t dropped;               /* bytes lost since the last session took the count */
};

void sc_backlog_init(struct sc_backlog *b, uint8_t *buf, size_t cap);
void sc_backlog_push(struct sc_backlog *b, const uint8_t *p, size_t len);
/* Copies up to max of the oldest bytes to p without removing them. */
size_t sc_backlog_peek(const struct sc_backlog *b, uint8_t *p, size_t max);
void sc_backlog_drop(struct sc_backlog *b, size_t n);
/*
 * Moves what the guest produced, at most one ring's worth, from the ring
 * straight into the backlog (no bounce buffer holds a copy), and returns the
 * count released from the ring; what the backlog cannot keep is counted in
 * dropped.
 */
size_t sc_backlog_drain_ring(struct sc_backlog *b, volatile struct sc_xencons *ring);
/* Wipes the backlog's bytes (guest output is plaintext) and empties it. */
void sc_backlog_wipe(struct sc_backlog *b);

#endif /* SC_RING_H */
