/* SPDX-License-Identifier: MIT */
/*
 * xen/common/sccrypt/uart_port.c: COM1 and port 0xe9 of a bound HVM domain,
 * emulated in Xen (uart_port.h says what and how it is locked).
 *
 * Xen's own port handlers are tried before any ioreq server, so once the
 * handler for 0x3f8-0x3ff is registered QEMU never sees those ports; the
 * handler can never be removed (hvm/intercept.c has no unregister), so it
 * is registered once, at the bind, and answers "not mine"
 * (X86EMUL_UNHANDLEABLE: the access goes on to the ioreq servers) for a
 * domain that has no UART state.  Port 0xe9 already has Xen's handler
 * (hvm_print_line, which prints on Xen's console); the bind points that
 * same entry at ours, which keeps the bytes in the session instead.
 */
#include <xen/lib.h>
#include <xen/sched.h>
#include <xen/time.h>
#include <xen/timer.h>
#include <xen/spinlock.h>
#include <asm/hvm/io.h>
#include <asm/hvm/irq.h>
#include <asm/hvm/emulate.h>
#include <public/hvm/ioreq.h>

#include "uart_port.h"
#include "sccrypt_crypto.h"

static void cf_check flush_timer_fn(void *data)
{
    struct sccrypt_uart *u = data;

    spin_lock(&u->lock);
    u->flush_armed = false;
    u->flushes++;
    spin_unlock(&u->lock);
    u->flush_fn(u->ctx);
}

void sccrypt_uart_init(struct sccrypt_uart *u, struct domain *d,
                       void (*flush_fn)(void *ctx), void *ctx, unsigned int cpu)
{
    spin_lock_init(&u->lock);
    u->d = d;
    sc_uart_con_init(&u->con);
    u->flush_fn = flush_fn;
    u->ctx = ctx;
    init_timer(&u->flush, flush_timer_fn, u, cpu);
}

/* Asks for the engine's attention in delay (lock held); an earlier ask stands. */
static void flush_in(struct sccrypt_uart *u, s_time_t delay)
{
    s_time_t at = NOW() + delay;

    if ( u->flush_armed && u->flush_at <= at )
        return;
    u->flush_armed = true;
    u->flush_at = at;
    set_timer(&u->flush, at);
}

/* After the model moved (lock held): IRQ 4 on a change, the engine if needed. */
static void settle(struct sccrypt_uart *u)
{
    unsigned int ev = sc_uart_con_events(&u->con);
    bool level = sc_uart_con_irq(&u->con);

    if ( level != u->irq )
    {
        u->irq = level;
        if ( level )
            hvm_isa_irq_assert(u->d, SCCRYPT_UART_IRQ, NULL);
        else
            hvm_isa_irq_deassert(u->d, SCCRYPT_UART_IRQ);
    }
    if ( ev & SC_UART_CON_OUT )
        flush_in(u, sc_uart_con_out_pending(&u->con) >= SCCRYPT_UART_BATCH
                    ? 0 : MICROSECS(SCCRYPT_UART_FLUSH_US));
    /* The guest read in[] empty while the engine holds more: feed it now. */
    if ( (ev & SC_UART_CON_IN_ROOM) && u->in_waiting && !sc_uart_con_in_pending(&u->con) )
        flush_in(u, 0);
}

static int cf_check uart_io(int dir, unsigned int port, unsigned int bytes, uint32_t *val)
{
    struct sccrypt_uart *u = ACCESS_ONCE(current->domain->sccrypt_uart);
    unsigned int i, off;
    uint32_t v = 0;

    if ( !u )
        return X86EMUL_UNHANDLEABLE;
    spin_lock(&u->lock);
    u->io++;
    /* A wider access is that many byte accesses to the registers in turn. */
    for ( i = 0; i < bytes && i < 4; i++ )
    {
        off = port + i - SCCRYPT_UART_BASE;
        if ( off > 7 )
            break;
        if ( dir == IOREQ_WRITE )
        {
            if ( off == SC_UART_THR && !(u->con.uart.lcr & SC_UART_LCR_DLAB) )
                u->tx++;
            sc_uart_con_io(&u->con, off, 1, (uint8_t)(*val >> (8 * i)));
        }
        else
        {
            if ( off == SC_UART_RBR && !(u->con.uart.lcr & SC_UART_LCR_DLAB) &&
                 (u->con.uart.lsr & SC_UART_LSR_DR) )
                u->rx++;
            v |= (uint32_t)sc_uart_con_io(&u->con, off, 0, 0) << (8 * i);
        }
    }
    if ( dir == IOREQ_READ )
        *val = v;
    settle(u);
    spin_unlock(&u->lock);
    return X86EMUL_OKAY;
}

/*
 * Port 0xe9 of a bound domain: with a UART, its bytes join the guest's
 * output (the ring's out[], in order with the UART's); without one (PVH),
 * they are dropped.  Reads are refused, as hvm_print_line refuses them.
 */
static int cf_check debug_io(int dir, unsigned int port, unsigned int bytes, uint32_t *val)
{
    struct sccrypt_uart *u = ACCESS_ONCE(current->domain->sccrypt_uart);
    struct sc_xencons *r;
    uint32_t prod;

    if ( dir != IOREQ_WRITE )
        return X86EMUL_UNHANDLEABLE;
    if ( !u )
        return X86EMUL_OKAY;
    spin_lock(&u->lock);
    u->io++;
    r = &u->con.ring;
    prod = r->out_prod;
    if ( prod - r->out_cons < SC_RING_OUT_SIZE )
    {
        r->out[prod & (SC_RING_OUT_SIZE - 1)] = (char)*val;
        r->out_prod = prod + 1;
        u->e9++;
        flush_in(u, prod + 1 - r->out_cons >= SCCRYPT_UART_BATCH
                    ? 0 : MICROSECS(SCCRYPT_UART_FLUSH_US));
    }
    else
        u->e9_lost++;       /* the port has no flow control: a full ring loses it */
    spin_unlock(&u->lock);
    return X86EMUL_OKAY;
}

static bool portio_covers(const struct hvm_io_handler *h, unsigned int s, unsigned int e)
{
    return h->type == IOREQ_TYPE_PIO && h->portio.port <= e &&
           h->portio.port + h->portio.size > s;
}

int sccrypt_uart_check(const struct domain *d)
{
    unsigned int i;

    if ( !is_hvm_domain(d) || !has_vpic(d) || !d->arch.hvm.io_handler )
        return -EINVAL;
    if ( d->arch.hvm.io_handler_count >= NR_IO_HANDLERS )
        return -EBUSY;
    for ( i = 0; i < d->arch.hvm.io_handler_count; i++ )
        if ( portio_covers(&d->arch.hvm.io_handler[i], SCCRYPT_UART_BASE,
                           SCCRYPT_UART_BASE + 7) )
            return -EBUSY;
    return 0;
}

/* Points the entry of Xen's debug port handler (hvm_print_line) at ours. */
static void debug_port_take(struct domain *d)
{
    unsigned int i;

    for ( i = 0; i < d->arch.hvm.io_handler_count; i++ )
    {
        struct hvm_io_handler *h = &d->arch.hvm.io_handler[i];

        if ( h->type == IOREQ_TYPE_PIO && h->portio.port == SCCRYPT_DEBUG_PORT &&
             h->portio.size == 1 )
            ACCESS_ONCE(h->portio.action) = debug_io;
    }
}

void sccrypt_debug_port_seal(struct domain *d)
{
    if ( is_hvm_domain(d) && d->arch.hvm.io_handler )
        debug_port_take(d);
}

void sccrypt_uart_claim(struct sccrypt_uart *u)
{
    struct domain *d = u->d;

    ASSERT(!sccrypt_uart_check(d));
    ACCESS_ONCE(d->sccrypt_uart) = u;
    smp_wmb();
    register_portio_handler(d, SCCRYPT_UART_BASE, 8, uart_io);
    debug_port_take(d);
}

void sccrypt_uart_lock(struct sccrypt_uart *u)
{
    spin_lock(&u->lock);
}

void sccrypt_uart_unlock(struct sccrypt_uart *u)
{
    sc_uart_con_kick(&u->con);
    settle(u);
    spin_unlock(&u->lock);
}

void sccrypt_uart_kill(struct sccrypt_uart *u)
{
    kill_timer(&u->flush);
    if ( u->d )
    {
        printk(XENLOG_INFO "SCCrypt: %pd: UART: %"PRIu64" port accesses, %"PRIu64
               " bytes out, %"PRIu64" in, %"PRIu64" on port 0xe9 (%"PRIu64" lost), %"
               PRIu64" flushes\n", u->d, u->io, u->tx, u->rx, u->e9, u->e9_lost,
               u->flushes);
        ACCESS_ONCE(u->d->sccrypt_uart) = NULL;
    }
    sc_uart_con_wipe(&u->con);
}
