/* SPDX-License-Identifier: MIT */
/*
 * xen/common/sccrypt/uart_port.h: COM1 (ports 0x3f8-0x3ff, ISA IRQ 4) and
 * the debug port 0xe9 of a bound HVM domain, emulated by Xen itself.
 *
 * The UART is src/core's 16550A model with its console glue
 * (sc_uart_con.h): the glue's host-private ring is the ring the engine
 * reads and writes for this domain (sccrypt.c), so the decrypted input
 * reaches the guest only through the UART's receiver, and what the guest
 * transmits (and writes to port 0xe9) goes into the session's output, never
 * to QEMU or to Xen's console.
 *
 * Locking: one spinlock per domain, u->lock, guards everything here (the
 * model, the ring, the counters).  The port handlers take only it: a guest
 * exit for one byte never touches sccrypt.c's global lock.  sccrypt.c takes
 * it inside its own (sccrypt_lock, then u->lock; never the other way) when
 * the engine reads or writes the ring.  The port handlers ask for the
 * engine's attention through a per-domain timer (flush), due at once when a
 * batch of output is ready or input waits for room, else a little later:
 * the relay hears of output per batch, not per byte.
 */
#ifndef SCCRYPT_UART_PORT_H
#define SCCRYPT_UART_PORT_H

#include <xen/spinlock.h>
#include <xen/timer.h>
#include "sc_uart_con.h"

#define SCCRYPT_UART_BASE       0x3f8
#define SCCRYPT_UART_IRQ        4
#define SCCRYPT_DEBUG_PORT      0xe9
/* Output waiting in the ring that makes the flush due at once. */
#define SCCRYPT_UART_BATCH      512
/* Otherwise the flush comes this long after the first byte of a batch. */
#define SCCRYPT_UART_FLUSH_US   2000

struct domain;

struct sccrypt_uart {
    spinlock_t lock;
    struct domain *d;
    struct sc_uart_con con;
    bool irq;                   /* ISA IRQ 4 as last driven */
    bool in_waiting;            /* the engine holds input that did not fit in[] */
    bool flush_armed;
    s_time_t flush_at;
    struct timer flush;
    void (*flush_fn)(void *ctx);    /* sccrypt.c: drain, feed, tell the relay */
    void *ctx;
    /* Counters (the figures of make bench-xen), printed when the domain goes. */
    uint64_t io;                /* port accesses emulated (VM exits or rep elements) */
    uint64_t tx, rx;            /* bytes the guest transmitted / received */
    uint64_t e9, e9_lost;       /* debug port bytes kept / lost to a full ring */
    uint64_t flushes;           /* flush timer runs */
};

/* u for d (not yet claimed): flush_fn(ctx) runs from u's timer on cpu. */
void sccrypt_uart_init(struct sccrypt_uart *u, struct domain *d,
                       void (*flush_fn)(void *ctx), void *ctx, unsigned int cpu);

/*
 * Can d's COM1 be claimed: an HVM domain with emulated devices, no handler
 * of Xen's covering 0x3f8-0x3ff, room for one more?  0 or -EBUSY.
 */
int sccrypt_uart_check(const struct domain *d);

/*
 * Claims COM1 and 0xe9 for u (d paused, never ran, sccrypt_uart_check
 * passed): registers the port handler (once per domain: Xen keeps it
 * until the domain dies) and turns Xen's debug port handler to ours.
 */
void sccrypt_uart_claim(struct sccrypt_uart *u);

/*
 * A bound PVH domain (no UART): its 0xe9 bytes are dropped rather than
 * printed on Xen's console (dom0 reads that with xl dmesg).
 */
void sccrypt_debug_port_seal(struct domain *d);

/* The engine's side: around every use of u->con.ring. */
void sccrypt_uart_lock(struct sccrypt_uart *u);
/* Moves what can move (sc_uart_con_kick), drives IRQ 4, then unlocks. */
void sccrypt_uart_unlock(struct sccrypt_uart *u);

/* The domain is going: stops the timer, prints the counters, wipes u. */
void sccrypt_uart_kill(struct sccrypt_uart *u);

#endif /* SCCRYPT_UART_PORT_H */
