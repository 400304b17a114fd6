/* SPDX-License-Identifier: MIT */
/*
 * A UART console (sc_uart_con.h): the 16550A model fed from, and draining
 * into, a host-private console ring that the VMM engine reads and writes
 * as it does a PV guest's.
 *
 * The ring is the host's own memory, written only by the engine's
 * sc_ring_put_in (in_prod) and read only by sc_backlog_drain_ring
 * (out_cons); this file owns in_cons and out_prod.  Nobody else writes
 * it, yet every index is still checked and masked, as for a shared ring:
 * the cost is nothing and a bug elsewhere stays a short copy.
 */
#include "sc_uart_con.h"
#include "sccrypt_crypto.h"

#define IN_MASK(i)  ((i) & (SC_RING_IN_SIZE - 1))
#define OUT_MASK(i) ((i) & (SC_RING_OUT_SIZE - 1))

void sc_uart_con_init(struct sc_uart_con *c)
{
    sc_wipe(c, sizeof(*c));
    sc_uart_init(&c->uart, c->tx, sizeof(c->tx));
}

void sc_uart_con_wipe(struct sc_uart_con *c)
{
    sc_uart_con_init(c);
}

/* Bytes in in[], checked: the engine never puts more than the ring holds. */
static uint32_t in_used(const struct sc_uart_con *c)
{
    uint32_t used = c->ring.in_prod - c->ring.in_cons;

    return used > SC_RING_IN_SIZE ? 0 : used;
}

/* Input the receiver may take now: up to the first BREAK queued. */
static uint32_t in_before_break(const struct sc_uart_con *c)
{
    uint32_t used = in_used(c), upto;

    if ( !c->brk_n )
        return used;
    upto = c->brk_at[0] - c->ring.in_cons;
    return upto < used ? upto : used;
}

/* in[] (and a BREAK that is due) into the receiver while it is drained. */
static void move_in(struct sc_uart_con *c)
{
    uint8_t buf[SC_UART_FIFO];
    uint32_t avail, cons, n, i;
    size_t took;

    while ( sc_uart_rx_ready(&c->uart) )
    {
        avail = in_before_break(c);
        if ( avail == 0 )
        {
            if ( !c->brk_n )
                break;
            /* The bytes before it are read: the BREAK is due. */
            if ( sc_uart_break(&c->uart) )
                break;
            for ( i = 1; i < c->brk_n; i++ )
                c->brk_at[i - 1] = c->brk_at[i];
            c->brk_n--;
            c->brk_at[c->brk_n] = 0;
            c->events |= SC_UART_CON_BREAK;
            continue;
        }
        n = avail < SC_UART_FIFO ? avail : SC_UART_FIFO;
        cons = c->ring.in_cons;
        for ( i = 0; i < n; i++ )
            buf[i] = (uint8_t)c->ring.in[IN_MASK(cons + i)];
        took = sc_uart_rx_put(&c->uart, buf, n);
        sc_wipe(buf, n);
        if ( !took )
            break;
        for ( i = 0; i < took; i++ )
            c->ring.in[IN_MASK(cons + i)] = 0;
        c->ring.in_cons = cons + (uint32_t)took;
        c->events |= SC_UART_CON_IN_ROOM;
    }
    /*
     * Nothing more reaches the receiver until the guest reads on: the line
     * is silent, so a FIFO below its trigger level times out (as a real
     * UART does four character times on) and the guest is told.
     */
    sc_uart_rx_idle(&c->uart);
}

/* Transmitted bytes into out[] as it has room; a byte held in THR follows. */
static void move_out(struct sc_uart_con *c)
{
    uint32_t prod, used, room, n, i;
    size_t len;

    while ( (len = sc_uart_tx_len(&c->uart)) > 0 )
    {
        prod = c->ring.out_prod;
        used = prod - c->ring.out_cons;
        if ( used >= SC_RING_OUT_SIZE )
            break;
        room = SC_RING_OUT_SIZE - used;
        n = len < room ? (uint32_t)len : room;
        for ( i = 0; i < n; i++ )
            c->ring.out[OUT_MASK(prod + i)] = (char)c->tx[i];
        c->ring.out_prod = prod + n;
        sc_uart_tx_done(&c->uart, n);
        sc_wipe(c->tx + sc_uart_tx_len(&c->uart), sizeof(c->tx) - sc_uart_tx_len(&c->uart));
        c->events |= SC_UART_CON_OUT;
    }
}

void sc_uart_con_kick(struct sc_uart_con *c)
{
    move_out(c);
    move_in(c);
}

uint8_t sc_uart_con_io(struct sc_uart_con *c, unsigned int off, int is_write, uint8_t val)
{
    uint8_t v = 0;

    if ( is_write )
        sc_uart_write(&c->uart, off, val);
    else
        v = sc_uart_read(&c->uart, off);
    sc_uart_con_kick(c);
    return v;
}

int sc_uart_con_break(struct sc_uart_con *c)
{
    if ( c->brk_n >= SC_UART_CON_BREAKS )
        return -1;
    c->brk_at[c->brk_n++] = c->ring.in_prod;
    return 0;
}

int sc_uart_con_irq(const struct sc_uart_con *c)
{
    return sc_uart_irq(&c->uart);
}

size_t sc_uart_con_out_pending(const struct sc_uart_con *c)
{
    uint32_t used = c->ring.out_prod - c->ring.out_cons;

    return used > SC_RING_OUT_SIZE ? SC_RING_OUT_SIZE : used;
}

int sc_uart_con_tx_waiting(const struct sc_uart_con *c)
{
    return c->uart.thr_held != 0;
}

int sc_uart_con_in_pending(const struct sc_uart_con *c)
{
    return in_used(c) > 0 || c->brk_n > 0;
}

unsigned int sc_uart_con_events(struct sc_uart_con *c)
{
    unsigned int ev = c->events;

    c->events = 0;
    return ev;
}
