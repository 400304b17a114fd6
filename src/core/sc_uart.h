/* SPDX-License-Identifier: MIT */
/*
 * sc_uart.h: a 16550A UART register model (the PC's COM1 as guests probe
 * and drive it), written for the freestanding core so that Xen's port
 * handler, the simulator and the unit tests run the same code.
 *
 * The host owns everything: the struct, the buffer transmitted bytes go
 * to, the source of received bytes, the interrupt line and the clock.  The
 * model only keeps register state.  It never allocates, never calls out,
 * and takes any offset or value from the guest: offsets are masked to the
 * eight registers, values to the bits each register has.
 *
 * How a host drives it:
 *   - guest I/O at base + off: sc_uart_read(u, off) / sc_uart_write(u, off, v);
 *   - after every call that may change it, set the interrupt line (ISA IRQ 4
 *     on a PC) to sc_uart_irq(u);
 *   - guest output: the model appends each transmitted byte to the host's
 *     buffer (given to sc_uart_init); the host takes a batch whenever it
 *     likes (sc_uart_tx_len, then sc_uart_tx_done).  While the buffer is
 *     full, the byte written last waits in THR and LSR.THRE stays clear, so
 *     a guest that honours THRE waits instead of losing bytes;
 *   - guest input: when sc_uart_rx_ready(u) says the receiver is drained,
 *     the host gives the next bytes with sc_uart_rx_put (at most 16 in FIFO
 *     mode, 1 otherwise), so the guest never sees an overrun caused by the
 *     host; when no more input follows for now, sc_uart_rx_idle raises the
 *     FIFO's character timeout interrupt (a real UART does so after four
 *     character times of silence);
 *   - a BREAK received: sc_uart_break (LSR.BI with a zero byte, as the
 *     hardware reports it).
 * Locking is the host's: one lock per UART around every call.
 *
 * A port handler (Xen's, for 0x3f8-0x3ff; the simulator's) in outline:
 *
 *     lock(d);
 *     if ( dir == IOREQ_READ )
 *         *val = sc_uart_read(&d->uart, port - 0x3f8);
 *     else
 *         sc_uart_write(&d->uart, port - 0x3f8, *val);
 *     while ( sc_uart_rx_ready(&d->uart) && input_left(d) )
 *         input_took(d, sc_uart_rx_put(&d->uart, input_ptr(d), input_left(d)));
 *     if ( !input_left(d) )
 *         sc_uart_rx_idle(&d->uart);      (or from a timer, 4 character times on)
 *     if ( sc_uart_tx_len(&d->uart) >= batch )   (or on a timer, when idle)
 *         pass that many bytes of the buffer on, then sc_uart_tx_done(n);
 *     set ISA IRQ 4 to sc_uart_irq(&d->uart) (assert or deassert on change);
 *     unlock(d);
 *
 * The guest's THR bytes wait in the host's buffer until the host takes
 * them, so the host chooses the batch (a full buffer, an idle guest, a
 * timer); a guest that fills the buffer waits on THRE, it loses nothing.
 */
#ifndef SC_UART_H
#define SC_UART_H

#include "sc_types.h"

#define SC_UART_FIFO        16      /* bytes in the 16550A's receive FIFO */

/* Register offsets from the base port (DLAB: LCR bit 7). */
#define SC_UART_RBR         0       /* read, DLAB=0: receive buffer */
#define SC_UART_THR         0       /* write, DLAB=0: transmit holding */
#define SC_UART_DLL         0       /* DLAB=1: divisor latch, low byte */
#define SC_UART_IER         1       /* DLAB=0: interrupt enable */
#define SC_UART_DLM         1       /* DLAB=1: divisor latch, high byte */
#define SC_UART_IIR         2       /* read: interrupt identification */
#define SC_UART_FCR         2       /* write: FIFO control */
#define SC_UART_LCR         3       /* line control */
#define SC_UART_MCR         4       /* modem control */
#define SC_UART_LSR         5       /* line status */
#define SC_UART_MSR         6       /* modem status */
#define SC_UART_SCR         7       /* scratch */

#define SC_UART_IER_RDI     0x01    /* received data (and FIFO timeout) */
#define SC_UART_IER_THRI    0x02    /* transmit holding register empty */
#define SC_UART_IER_RLSI    0x04    /* receiver line status */
#define SC_UART_IER_MSI     0x08    /* modem status */

#define SC_UART_IIR_NONE    0x01    /* bit 0 set: no interrupt pending */
#define SC_UART_IIR_MSI     0x00
#define SC_UART_IIR_THRI    0x02
#define SC_UART_IIR_RDI     0x04
#define SC_UART_IIR_RLSI    0x06
#define SC_UART_IIR_CTI     0x0c    /* character timeout (FIFO mode) */
#define SC_UART_IIR_FIFO    0xc0    /* both set: FIFOs enabled (16550A) */

#define SC_UART_FCR_FE      0x01    /* FIFO enable */
#define SC_UART_FCR_RFR     0x02    /* clear the receive FIFO */
#define SC_UART_FCR_XFR     0x04    /* clear the transmit FIFO */
#define SC_UART_FCR_DMA     0x08
#define SC_UART_FCR_TRIG    0xc0    /* receive trigger level: 1, 4, 8, 14 */

#define SC_UART_LCR_DLAB    0x80

#define SC_UART_MCR_DTR     0x01
#define SC_UART_MCR_RTS     0x02
#define SC_UART_MCR_OUT1    0x04
#define SC_UART_MCR_OUT2    0x08    /* on a PC: gates the interrupt line */
#define SC_UART_MCR_LOOP    0x10

#define SC_UART_LSR_DR      0x01    /* data ready */
#define SC_UART_LSR_OE      0x02    /* overrun */
#define SC_UART_LSR_PE      0x04
#define SC_UART_LSR_FE      0x08
#define SC_UART_LSR_BI      0x10    /* break received */
#define SC_UART_LSR_THRE    0x20    /* transmit holding register empty */
#define SC_UART_LSR_TEMT    0x40    /* transmitter empty */
#define SC_UART_LSR_FIFOE   0x80    /* an error (here: a break) in the FIFO */

#define SC_UART_MSR_DCTS    0x01
#define SC_UART_MSR_DDSR    0x02
#define SC_UART_MSR_TERI    0x04
#define SC_UART_MSR_DDCD    0x08
#define SC_UART_MSR_CTS     0x10
#define SC_UART_MSR_DSR     0x20
#define SC_UART_MSR_RI      0x40
#define SC_UART_MSR_DCD     0x80

/* The whole state; the host owns it.  Read only through the functions. */
struct sc_uart {
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    uint8_t rbr;                    /* receive holding, FIFOs disabled */
    uint8_t thr;                    /* a byte waiting for room in tx_buf */
    uint8_t thr_held;               /* 1: thr holds such a byte */
    uint8_t thr_ipending;           /* THRE interrupt armed (cleared by reading IIR) */
    uint8_t timeout_ipending;       /* FIFO character timeout pending */
    uint8_t rx_trigger;             /* 1, 4, 8 or 14 */
    uint8_t rx_head, rx_count;      /* receive FIFO: rx[rx_head], rx_count bytes */
    uint8_t rx[SC_UART_FIFO];
    uint8_t *tx_buf;                /* the host's: transmitted bytes, oldest first */
    size_t tx_cap, tx_len;
};

/*
 * sc_uart_init(u, tx_buf, tx_cap): put u in its power-on state (as QEMU's
 * 16550A: 9600 baud divisor 12, MCR.OUT2 set, LSR THRE|TEMT, MSR CTS|DSR|DCD)
 * with transmitted bytes going to tx_buf (tx_cap bytes, owned by the host;
 * tx_cap 0: transmitted bytes are discarded, as by a null device).
 */
void sc_uart_init(struct sc_uart *u, uint8_t *tx_buf, size_t tx_cap);

/*
 * sc_uart_read(u, off): the guest reads the register at base + (off & 7);
 * returns its value, with the hardware's read side effects (RBR pops the
 * FIFO, IIR clears a THRE interrupt it reports, LSR clears OE and BI, MSR
 * clears its delta bits).
 */
uint8_t sc_uart_read(struct sc_uart *u, unsigned int off);

/* sc_uart_write(u, off, val): the guest writes val to base + (off & 7). */
void sc_uart_write(struct sc_uart *u, unsigned int off, uint8_t val);

/*
 * sc_uart_irq(u): the level of the UART's interrupt line as a PC's
 * mainboard delivers it: 1 when an enabled interrupt is pending and
 * MCR.OUT2 is set (OUT2 enables the IRQ driver; in loopback the OUT2 pin
 * is held inactive, so the line stays low).
 */
int sc_uart_irq(const struct sc_uart *u);

/* sc_uart_pending(u): 1 when an enabled interrupt is pending (IIR bit 0 clear), ungated. */
int sc_uart_pending(const struct sc_uart *u);

/* sc_uart_tx_len(u): transmitted bytes waiting at the start of tx_buf. */
size_t sc_uart_tx_len(const struct sc_uart *u);

/*
 * sc_uart_tx_done(u, n): the host has taken the first n bytes of tx_buf
 * (n above sc_uart_tx_len counts as all); the rest move to the front, and a
 * byte waiting in THR goes into the freed space (THRE interrupt).
 */
void sc_uart_tx_done(struct sc_uart *u, size_t n);

/*
 * sc_uart_rx_ready(u): 1 when the receiver is drained (no data ready) and
 * outside loopback, so sc_uart_rx_put and sc_uart_break would be taken.
 */
int sc_uart_rx_ready(const struct sc_uart *u);

/*
 * sc_uart_rx_put(u, p, len): receive up to len bytes of p, only when
 * sc_uart_rx_ready: at most SC_UART_FIFO in FIFO mode, 1 otherwise.
 * Returns how many were taken (0 when not ready or len is 0).
 */
size_t sc_uart_rx_put(struct sc_uart *u, const uint8_t *p, size_t len);

/*
 * sc_uart_rx_idle(u): the line has been silent for four character times:
 * in FIFO mode with bytes below the trigger level, the timeout interrupt
 * (IIR 0x0c) becomes pending.  Harmless at any other time.
 */
void sc_uart_rx_idle(struct sc_uart *u);

/*
 * sc_uart_break(u): a BREAK arrived: a zero byte with LSR.BI (and in FIFO
 * mode LSR bit 7), only when sc_uart_rx_ready.  Returns 0, or -1 with u
 * untouched when the receiver is not drained (the host retries later).
 */
int sc_uart_break(struct sc_uart *u);

/*
 * sc_uart_set_modem(u, msr): the modem inputs changed to msr's top four
 * bits (CTS, DSR, RI, DCD); the delta bits record each change, TERI only
 * when RI goes from on to off, as the 16550A does.
 */
void sc_uart_set_modem(struct sc_uart *u, uint8_t msr);

#endif /* SC_UART_H */
