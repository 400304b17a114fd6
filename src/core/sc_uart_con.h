/* SPDX-License-Identifier: MIT */
/*
 * sc_uart_con.h: a UART console, the glue between the 16550A model
 * (sc_uart.h) and the VMM engine (sc_vmm.h), the same in Xen's port
 * handler for COM1 and in the simulator's UART guest.
 *
 * The engine speaks to a console ring (struct sc_xencons): sc_vmm_input
 * writes decrypted input into its in[], and the host's output path
 * (sc_backlog_drain_ring) takes guest output from its out[].  For a UART
 * guest that ring is not shared with anybody: it lives here, private to
 * the host (never mapped into the guest or dom0), and this glue moves
 * bytes between it and the UART's registers:
 *   - in[] -> the receiver, only when the receiver is drained
 *     (sc_uart_rx_ready), at most one FIFO load at a time, so the guest
 *     never sees an overrun however slowly it reads; when no more input
 *     can follow for now, the FIFO's character timeout is raised
 *     (sc_uart_rx_idle), as a real UART does after four character times;
 *   - a BREAK (sc_uart_con_break) is delivered in order: after the bytes
 *     that were in in[] when it was queued, before the bytes after them;
 *   - THR bytes -> out[], as space allows; while out[] is full the model's
 *     small transmit buffer fills, then THR holds the next byte and
 *     LSR.THRE stays clear: a guest that honours THRE waits, nothing is
 *     lost.  The host drains out[] in batches, not once per byte.
 *
 * A host in outline (one lock per domain around each step; this is what
 * the simulator's src/sim/server.c uart_pump does):
 *
 *   the guest's port access (Xen: the handler for 0x3f8-0x3ff):
 *     v = sc_uart_con_io(&d->con, port - 0x3f8, dir == IOREQ_WRITE, val);
 *     then "move" below;
 *   the relay's input (the hypercall's input op):
 *     sc_vmm_input(&d->dom, &d->con.ring, ...), as for a PV guest's ring,
 *     then "move";
 *   move:
 *     if ( sc_uart_con_events(&d->con) & SC_UART_CON_IN_ROOM )
 *         sc_vmm_flush_input(&d->dom, &d->con.ring), and wake the relay if
 *         its input waited for room;
 *     if ( sc_vmm_break_pending(&d->dom) && sc_uart_con_break(&d->con) == 0 )
 *         sc_vmm_break_taken(&d->dom);        (input after it may follow)
 *     sc_uart_con_kick(&d->con);
 *     if ( sc_uart_con_out_pending(&d->con) >= a batch, or
 *          sc_uart_con_tx_waiting(&d->con), or on a timer when the guest
 *          went quiet )
 *         sc_backlog_drain_ring(&d->bl, &d->con.ring) (or the session's
 *         output path, as for a PV ring), then sc_uart_con_kick(&d->con);
 *     set ISA IRQ 4 to sc_uart_con_irq(&d->con) (assert or deassert on change).
 *
 * Freestanding: no allocation, no calls out, no writable globals.  The
 * host owns the struct; it holds guest plaintext (in[], out[], the FIFO),
 * so the host wipes it when the domain goes (sc_uart_con_wipe).
 */
#ifndef SC_UART_CON_H
#define SC_UART_CON_H

#include "sc_types.h"
#include "sc_ring.h"
#include "sc_uart.h"

/* The model's transmit buffer: a 16550A's transmit FIFO. */
#define SC_UART_CON_TX      SC_UART_FIFO
/* BREAKs queued and not yet delivered, at most. */
#define SC_UART_CON_BREAKS  4

/* sc_uart_con_events bits. */
#define SC_UART_CON_IN_ROOM 0x01    /* bytes left in[]: there is room for more input */
#define SC_UART_CON_OUT     0x02    /* bytes entered out[]: guest output for the host */
#define SC_UART_CON_BREAK   0x04    /* a queued BREAK reached the receiver */

struct sc_uart_con {
    struct sc_uart uart;
    /* Host-private: the engine's ring (sc_vmm_input, sc_backlog_drain_ring). */
    struct sc_xencons ring;
    uint8_t tx[SC_UART_CON_TX];     /* the model's transmit buffer */
    uint32_t brk_at[SC_UART_CON_BREAKS];    /* in_prod when each BREAK was queued */
    uint32_t brk_n;                 /* BREAKs queued, oldest first */
    uint32_t events;                /* SC_UART_CON_* since sc_uart_con_events */
};

/*
 * sc_uart_con_init(c): c in its power-on state: the UART as
 * sc_uart_init leaves it, an empty ring, no BREAK queued.
 */
void sc_uart_con_init(struct sc_uart_con *c);

/* sc_uart_con_wipe(c): wipes every byte c holds (plaintext) and re-inits it. */
void sc_uart_con_wipe(struct sc_uart_con *c);

/*
 * sc_uart_con_io(c, off, is_write, val): the guest's access to base +
 * (off & 7): a write of val when is_write, else a read.  Then moves
 * bytes as sc_uart_con_kick does.  Returns the value read (0 for a write).
 * Every value from the guest is taken: the model masks it.
 */
uint8_t sc_uart_con_io(struct sc_uart_con *c, unsigned int off, int is_write, uint8_t val);

/*
 * sc_uart_con_kick(c): moves what can move now: in[] (and a due BREAK)
 * to the receiver when it is drained, the character timeout when no more
 * input can follow, and transmitted bytes to out[] as it has room.  Call
 * it after the engine put input into c->ring, after a BREAK was queued,
 * and after the host took output from c->ring.  Never fails.
 */
void sc_uart_con_kick(struct sc_uart_con *c);

/*
 * sc_uart_con_break(c): queues a BREAK after the input now in c->ring.in[]
 * (the bytes the engine wrote before it), ahead of any written later; the
 * guest sees it as a zero byte with LSR.BI once it has read those bytes.
 * 0, or -1 with nothing queued when SC_UART_CON_BREAKS are waiting already
 * (the host keeps the BREAK and tries again after the guest read on).
 * Call sc_uart_con_kick after it.
 */
int sc_uart_con_break(struct sc_uart_con *c);

/* sc_uart_con_irq(c): the level of the interrupt line (ISA IRQ 4): sc_uart_irq. */
int sc_uart_con_irq(const struct sc_uart_con *c);

/* Guest output in out[] the host has not taken yet (bytes). */
size_t sc_uart_con_out_pending(const struct sc_uart_con *c);

/*
 * 1 when the guest waits for the host: out[] and the transmit buffer are
 * full and a byte waits in THR (LSR.THRE clear).  Drain out[] now.
 */
int sc_uart_con_tx_waiting(const struct sc_uart_con *c);

/* Input in in[] (and BREAKs) not yet given to the receiver: 1 when any waits. */
int sc_uart_con_in_pending(const struct sc_uart_con *c);

/* The SC_UART_CON_* events since the last call; clears them. */
unsigned int sc_uart_con_events(struct sc_uart_con *c);

#endif /* SC_UART_CON_H */
