/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART register model (see sc_uart.h for how a host drives it).
 *
 * Written from the National Semiconductor PC16550D data sheet, with QEMU's
 * hw/char/serial.c and bhyve's uart_emul.c read as behavioural references
 * (no code taken).  Where a guest could tell the difference, QEMU's
 * behaviour is followed, so that test/uart's differential test can compare
 * every register read and the interrupt line:
 *   - the THRE interrupt is armed whenever THR empties (on a THR write, once
 *     the byte is taken; on clearing the transmit FIFO) and when IER.THRI
 *     goes from 0 to 1 while THR is empty (Windows and Linux rely on it);
 *     reading IIR while it reports THRE, or writing THR, disarms it;
 *   - in loopback, MSR reads the MCR outputs (DTR->DSR, RTS->CTS,
 *     OUT1->RI, OUT2->DCD) with no delta bits (the data sheet and bhyve set
 *     deltas as the outputs change; QEMU, what Xen's HVM guests have run
 *     against until now, does not, and no probe we know of looks at them:
 *     Linux masks them off);
 *   - the power-on MCR has OUT2 set (the data sheet says 0), so a guest that
 *     never writes MCR still gets interrupts, as under QEMU;
 *   - LSR and MSR ignore writes; LCR's break bit sends nothing.
 * Unlike QEMU, the interrupt line is gated by MCR.OUT2 as on a PC
 * (sc_uart_irq); sc_uart_pending is the ungated condition QEMU reports.
 */
#include "sc_uart.h"

#define LSR_INT_ANY     (SC_UART_LSR_OE | SC_UART_LSR_PE | SC_UART_LSR_FE | \
                         SC_UART_LSR_BI)
#define MSR_DELTAS      0x0f

static int fifo_on(const struct sc_uart *u)
{
    return (u->fcr & SC_UART_FCR_FE) != 0;
}

/* The interrupt identification (IIR bits 0-3), highest priority first. */
static uint8_t iir_id(const struct sc_uart *u)
{
    if ( (u->ier & SC_UART_IER_RLSI) && (u->lsr & LSR_INT_ANY) )
        return SC_UART_IIR_RLSI;
    if ( (u->ier & SC_UART_IER_RDI) && u->timeout_ipending )
        return SC_UART_IIR_CTI;
    if ( (u->ier & SC_UART_IER_RDI) && (u->lsr & SC_UART_LSR_DR) &&
         (!fifo_on(u) || u->rx_count >= u->rx_trigger) )
        return SC_UART_IIR_RDI;
    if ( (u->ier & SC_UART_IER_THRI) && u->thr_ipending )
        return SC_UART_IIR_THRI;
    if ( (u->ier & SC_UART_IER_MSI) && (u->msr & MSR_DELTAS) )
        return SC_UART_IIR_MSI;
    return SC_UART_IIR_NONE;
}

int sc_uart_pending(const struct sc_uart *u)
{
    return iir_id(u) != SC_UART_IIR_NONE;
}

int sc_uart_irq(const struct sc_uart *u)
{
    if ( (u->mcr & (SC_UART_MCR_OUT2 | SC_UART_MCR_LOOP)) != SC_UART_MCR_OUT2 )
        return 0;
    return sc_uart_pending(u);
}

void sc_uart_init(struct sc_uart *u, uint8_t *tx_buf, size_t tx_cap)
{
    unsigned int i;

    u->ier = 0;
    u->lcr = 0;
    u->mcr = SC_UART_MCR_OUT2;
    u->lsr = SC_UART_LSR_THRE | SC_UART_LSR_TEMT;
    u->msr = SC_UART_MSR_DCD | SC_UART_MSR_DSR | SC_UART_MSR_CTS;
    u->scr = 0;
    u->fcr = 0;
    u->dll = 12;
    u->dlm = 0;
    u->rbr = 0;
    u->thr = 0;
    u->thr_held = 0;
    u->thr_ipending = 0;
    u->timeout_ipending = 0;
    u->rx_trigger = 1;
    u->rx_head = 0;
    u->rx_count = 0;
    for ( i = 0; i < SC_UART_FIFO; i++ )
        u->rx[i] = 0;
    u->tx_buf = tx_cap ? tx_buf : NULL;
    u->tx_cap = tx_buf ? tx_cap : 0;
    u->tx_len = 0;
}

/* One byte arrives at the receiver (from the host or from loopback). */
static void receive(struct sc_uart *u, uint8_t c)
{
    if ( fifo_on(u) )
    {
        if ( u->rx_count < SC_UART_FIFO )
        {
            u->rx[(u->rx_head + u->rx_count) % SC_UART_FIFO] = c;
            u->rx_count++;
        }
        else
            u->lsr |= SC_UART_LSR_OE;   /* the FIFO keeps its bytes */
    }
    else
    {
        if ( u->lsr & SC_UART_LSR_DR )
            u->lsr |= SC_UART_LSR_OE;
        u->rbr = c;
    }
    u->lsr |= SC_UART_LSR_DR;
}

static void rx_clear(struct sc_uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->timeout_ipending = 0;
    u->lsr &= ~(SC_UART_LSR_DR | SC_UART_LSR_BI | SC_UART_LSR_FIFOE);
}

/* The transmitter takes THR's byte; 0 when there is no room for it yet. */
static int transmit(struct sc_uart *u, uint8_t c)
{
    if ( u->mcr & SC_UART_MCR_LOOP )
        receive(u, c);              /* the serial output goes nowhere else */
    else if ( u->tx_cap )
    {
        if ( u->tx_len >= u->tx_cap )
            return 0;
        u->tx_buf[u->tx_len++] = c;
    }
    return 1;
}

static void write_thr(struct sc_uart *u, uint8_t val)
{
    u->thr_ipending = 0;
    if ( !u->thr_held && transmit(u, val) )
    {
        u->lsr |= SC_UART_LSR_THRE | SC_UART_LSR_TEMT;
        u->thr_ipending = 1;
        return;
    }
    /* No room: the byte waits in THR (a second one replaces it, as in THR). */
    u->thr = val;
    u->thr_held = 1;
    u->lsr &= ~(SC_UART_LSR_THRE | SC_UART_LSR_TEMT);
}

static void write_ier(struct sc_uart *u, uint8_t val)
{
    uint8_t changed = (u->ier ^ val) & 0x0f;

    u->ier = val & 0x0f;
    if ( changed & SC_UART_IER_THRI )
        u->thr_ipending = (u->ier & SC_UART_IER_THRI) &&
                          (u->lsr & SC_UART_LSR_THRE);
}

static void write_fcr(struct sc_uart *u, uint8_t val)
{
    static const uint8_t trigger[4] = { 1, 4, 8, 14 };

    /* Enabling or disabling the FIFOs clears both. */
    if ( (val ^ u->fcr) & SC_UART_FCR_FE )
        val |= SC_UART_FCR_RFR | SC_UART_FCR_XFR;
    if ( val & SC_UART_FCR_RFR )
        rx_clear(u);
    if ( val & SC_UART_FCR_XFR )
    {
        /* A byte still waiting to be transmitted is dropped with the FIFO. */
        u->thr_held = 0;
        u->lsr |= SC_UART_LSR_THRE | SC_UART_LSR_TEMT;
        u->thr_ipending = 1;
    }
    u->fcr = val & (SC_UART_FCR_FE | SC_UART_FCR_DMA | SC_UART_FCR_TRIG);
    if ( val & SC_UART_FCR_FE )
        u->rx_trigger = trigger[(val >> 6) & 3];
}

void sc_uart_write(struct sc_uart *u, unsigned int off, uint8_t val)
{
    int dlab = (u->lcr & SC_UART_LCR_DLAB) != 0;

    switch ( off & 7 )
    {
    case SC_UART_THR:
        if ( dlab )
            u->dll = val;
        else
            write_thr(u, val);
        break;
    case SC_UART_IER:
        if ( dlab )
            u->dlm = val;
        else
            write_ier(u, val);
        break;
    case SC_UART_FCR:
        write_fcr(u, val);
        break;
    case SC_UART_LCR:
        u->lcr = val;
        break;
    case SC_UART_MCR:
        u->mcr = val & 0x1f;
        break;
    case SC_UART_LSR:
    case SC_UART_MSR:
        /* Read-only here (the 16550's factory test writes are not modelled). */
        break;
    default:
        u->scr = val;
        break;
    }
}

static uint8_t read_rbr(struct sc_uart *u)
{
    uint8_t c;

    if ( !fifo_on(u) )
    {
        u->lsr &= ~(SC_UART_LSR_DR | SC_UART_LSR_BI);
        return u->rbr;
    }
    u->timeout_ipending = 0;
    if ( !u->rx_count )
        return 0;
    c = u->rx[u->rx_head % SC_UART_FIFO];
    u->rx_head = (u->rx_head + 1) % SC_UART_FIFO;
    u->rx_count--;
    if ( !u->rx_count )
        rx_clear(u);
    return c;
}

static uint8_t read_msr(struct sc_uart *u)
{
    uint8_t m = u->mcr, v;

    if ( m & SC_UART_MCR_LOOP )
        return ((m & SC_UART_MCR_DTR) ? SC_UART_MSR_DSR : 0) |
               ((m & SC_UART_MCR_RTS) ? SC_UART_MSR_CTS : 0) |
               ((m & SC_UART_MCR_OUT1) ? SC_UART_MSR_RI : 0) |
               ((m & SC_UART_MCR_OUT2) ? SC_UART_MSR_DCD : 0);
    v = u->msr;
    u->msr &= ~MSR_DELTAS;
    return v;
}

uint8_t sc_uart_read(struct sc_uart *u, unsigned int off)
{
    int dlab = (u->lcr & SC_UART_LCR_DLAB) != 0;
    uint8_t v;

    switch ( off & 7 )
    {
    case SC_UART_RBR:
        return dlab ? u->dll : read_rbr(u);
    case SC_UART_IER:
        return dlab ? u->dlm : u->ier;
    case SC_UART_IIR:
        v = iir_id(u);
        if ( v == SC_UART_IIR_THRI )
            u->thr_ipending = 0;
        return v | (fifo_on(u) ? SC_UART_IIR_FIFO : 0);
    case SC_UART_LCR:
        return u->lcr;
    case SC_UART_MCR:
        return u->mcr;
    case SC_UART_LSR:
        v = u->lsr;
        u->lsr &= ~(SC_UART_LSR_OE | SC_UART_LSR_BI | SC_UART_LSR_FIFOE);
        return v;
    case SC_UART_MSR:
        return read_msr(u);
    default:
        return u->scr;
    }
}

size_t sc_uart_tx_len(const struct sc_uart *u)
{
    return u->tx_len;
}

void sc_uart_tx_done(struct sc_uart *u, size_t n)
{
    size_t i;

    if ( n > u->tx_len )
        n = u->tx_len;
    for ( i = n; i < u->tx_len; i++ )
        u->tx_buf[i - n] = u->tx_buf[i];
    u->tx_len -= n;
    if ( u->thr_held && u->tx_len < u->tx_cap )
    {
        u->thr_held = 0;
        write_thr(u, u->thr);
    }
}

int sc_uart_rx_ready(const struct sc_uart *u)
{
    return !(u->lsr & SC_UART_LSR_DR) && !(u->mcr & SC_UART_MCR_LOOP);
}

size_t sc_uart_rx_put(struct sc_uart *u, const uint8_t *p, size_t len)
{
    size_t n, i;

    if ( !sc_uart_rx_ready(u) || !len )
        return 0;
    n = fifo_on(u) ? SC_UART_FIFO : 1;
    if ( n > len )
        n = len;
    for ( i = 0; i < n; i++ )
        receive(u, p[i]);
    return n;
}

void sc_uart_rx_idle(struct sc_uart *u)
{
    if ( u->rx_count )
        u->timeout_ipending = 1;
}

int sc_uart_break(struct sc_uart *u)
{
    if ( !sc_uart_rx_ready(u) )
        return -1;
    receive(u, 0);
    u->lsr |= SC_UART_LSR_BI | (fifo_on(u) ? SC_UART_LSR_FIFOE : 0);
    return 0;
}

void sc_uart_set_modem(struct sc_uart *u, uint8_t msr)
{
    uint8_t old = u->msr & 0xf0, now = msr & 0xf0, d = 0;

    if ( (old ^ now) & SC_UART_MSR_CTS )
        d |= SC_UART_MSR_DCTS;
    if ( (old ^ now) & SC_UART_MSR_DSR )
        d |= SC_UART_MSR_DDSR;
    if ( (old & SC_UART_MSR_RI) && !(now & SC_UART_MSR_RI) )
        d |= SC_UART_MSR_TERI;
    if ( (old ^ now) & SC_UART_MSR_DCD )
        d |= SC_UART_MSR_DDCD;
    u->msr = now | (u->msr & MSR_DELTAS) | d;
}
