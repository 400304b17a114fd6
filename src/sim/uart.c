/* SPDX-License-Identifier: MIT */
/*
 * The simulator's UART guest (sc-vmmsim --uart): the guest's side of a
 * 16550A at COM1, driven the way Linux's 8250 driver drives one, between
 * the guest program's pty (its tty) and the register model.
 *
 * The hypervisor's side is the core's, untouched: the model (sc_uart.h)
 * behind the UART console glue (sc_uart_con.h), whose host-private ring
 * the VMM engine reads and writes as it does a PV guest's.  Every byte the
 * guest program types or prints passes through the model's registers here,
 * one sc_uart_con_io() per register access, as one VM exit each in Xen:
 *   - probe (drivers/tty/serial/8250/8250_port.c autoconfig): IER
 *     readback, scratch register, loopback MSR test, FIFO bits in IIR;
 *   - start-up: FIFOs cleared and enabled (receive trigger 8), 8N1 at
 *     115200 (the divisor through DLAB), DTR|RTS|OUT2, RLSI|RDI enabled;
 *   - the interrupt handler (serial8250_handle_irq), run while the model's
 *     interrupt line is high: IIR, LSR, received bytes while LSR.DR
 *     (RDI or the character timeout), a BREAK seen as LSR.BI, modem
 *     status, and THRE-driven output: up to a FIFO's worth per interrupt,
 *     each byte only while LSR.THRE says there is room;
 *   - start_tx / stop_tx: IER.THRI on while output waits, off when none
 *     does; throttle: IER.RDI off while the tty does not take input, so
 *     received bytes wait in the FIFO (and the glue gives no more).
 * A BREAK is what Linux's serial console takes as the Magic SysRq key: the
 * driver says so on the console, "sysrq: BREAK on ttyS0 (LSR.BI)", through
 * THR like the kernel's own messages, and hands the tty the zero byte that
 * came with it, in its place among the received bytes, as Linux's tty layer
 * does for a BREAK on a tty without IGNBRK or BRKINT (stty raw).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

#define RBR     SC_UART_RBR
#define THR     SC_UART_THR
#define DLL     SC_UART_DLL
#define DLM     SC_UART_DLM
#define IER     SC_UART_IER
#define IIR     SC_UART_IIR
#define FCR     SC_UART_FCR
#define LCR     SC_UART_LCR
#define MCR     SC_UART_MCR
#define LSR     SC_UART_LSR
#define MSR     SC_UART_MSR
#define SCR     SC_UART_SCR

#define BREAK_MSG   "\r\nsysrq: BREAK on ttyS0 (LSR.BI)\r\n"

static uint8_t in(struct sim_uart *u, unsigned int reg)
{
    u->ios++;
    return sc_uart_con_io(&u->con, reg, 0, 0);
}

static void out(struct sim_uart *u, unsigned int reg, uint8_t v)
{
    u->ios++;
    (void)sc_uart_con_io(&u->con, reg, 1, v);
}

static void set_ier(struct sim_uart *u, uint8_t ier)
{
    if (ier == u->ier)
        return;
    u->ier = ier;
    out(u, IER, ier);
}

/* Linux's autoconfig(): is there a 16550A?  0, or -1 naming the failed test in *why. */
static int probe(struct sim_uart *u, const char **why)
{
    uint8_t s1, s2, s3;

    s1 = in(u, IER);
    out(u, IER, 0);
    s2 = in(u, IER) & 0x0f;
    out(u, IER, 0x0f);
    s3 = in(u, IER) & 0x0f;
    out(u, IER, s1);
    if (s2 != 0 || s3 != 0x0f) {
        *why = "IER readback";
        return -1;
    }
    out(u, SCR, 0xa5);
    s1 = in(u, SCR);
    out(u, SCR, 0x5a);
    if (s1 != 0xa5 || in(u, SCR) != 0x5a) {
        *why = "scratch register";
        return -1;
    }
    s1 = in(u, MCR);
    out(u, MCR, SC_UART_MCR_LOOP | SC_UART_MCR_RTS | SC_UART_MCR_OUT2);
    s2 = in(u, MSR) & 0xf0;
    out(u, MCR, s1);
    if (s2 != (SC_UART_MSR_DCD | SC_UART_MSR_CTS)) {
        *why = "loopback MSR";
        return -1;
    }
    out(u, FCR, SC_UART_FCR_FE);
    s1 = in(u, IIR);
    out(u, FCR, 0);
    if ((s1 & SC_UART_IIR_FIFO) != SC_UART_IIR_FIFO) {
        *why = "16550A FIFO bits in IIR";
        return -1;
    }
    return 0;
}

/* serial8250_do_startup and set_termios, in short. */
static void startup(struct sim_uart *u)
{
    out(u, FCR, SC_UART_FCR_FE);
    out(u, FCR, SC_UART_FCR_FE | SC_UART_FCR_RFR | SC_UART_FCR_XFR);
    out(u, FCR, 0);
    (void)in(u, LSR);
    (void)in(u, RBR);
    (void)in(u, IIR);
    (void)in(u, MSR);
    out(u, LCR, SC_UART_LCR_DLAB | 0x03);
    out(u, DLL, 1);                 /* 115200 baud */
    out(u, DLM, 0);
    out(u, LCR, 0x03);              /* 8N1 */
    out(u, FCR, SC_UART_FCR_FE | 0x80);     /* receive trigger 8 */
    out(u, MCR, SC_UART_MCR_DTR | SC_UART_MCR_RTS | SC_UART_MCR_OUT2);
    u->ier = 0;
    set_ier(u, SC_UART_IER_RLSI | SC_UART_IER_RDI);
}

int sim_uart_init(struct sim_uart *u, const char **why)
{
    memset(u, 0, sizeof(*u));
    sc_uart_con_init(&u->con);
    if (probe(u, why) < 0)
        return -1;
    startup(u);
    u->up = 1;
    return 0;
}

void sim_uart_wipe(struct sim_uart *u)
{
    sc_uart_con_wipe(&u->con);
    explicit_bzero(u->rxq, sizeof(u->rxq));
    explicit_bzero(u->txq, sizeof(u->txq));
    u->rxlen = u->txoff = u->txlen = 0;
}

size_t sim_uart_tx_room(const struct sim_uart *u)
{
    return u->up ? sizeof(u->txq) - u->txlen : 0;
}

/* Bytes for THR, at the end of txq (the caller checked the room). */
static void tx_add(struct sim_uart *u, const uint8_t *p, size_t n)
{
    if (u->txoff && u->txoff + u->txlen + n > sizeof(u->txq)) {
        memmove(u->txq, u->txq + u->txoff, u->txlen);
        u->txoff = 0;
    }
    memcpy(u->txq + u->txoff + u->txlen, p, n);
    u->txlen += n;
}

/* start_tx: THRE interrupts on while output waits (the model arms THRE on 0 -> 1). */
static void start_tx(struct sim_uart *u)
{
    if (u->txlen)
        set_ier(u, u->ier | SC_UART_IER_THRI);
}

/* Received bytes while LSR says so and the tty buffer has room (serial8250_rx_chars). */
static int rx_chars(struct sim_uart *u, uint8_t lsr)
{
    int max = 256, moved = 0;
    uint8_t c;

    while ((lsr & (SC_UART_LSR_DR | SC_UART_LSR_BI)) && max-- > 0 &&
           u->rxlen < sizeof(u->rxq)) {
        c = in(u, RBR);
        moved = 1;
        if (lsr & SC_UART_LSR_BI) {
            /* TTY_BREAK: the console reports it; the tty gets its zero byte. */
            u->breaks++;
            if (sim_uart_tx_room(u) >= sizeof(BREAK_MSG) - 1) {
                tx_add(u, (const uint8_t *)BREAK_MSG, sizeof(BREAK_MSG) - 1);
                start_tx(u);
            }
        } else {
            u->rx++;
        }
        u->rxq[u->rxlen++] = c;
        lsr = in(u, LSR);
    }
    /* throttle: the tty takes no more for now; bytes wait in the FIFO. */
    if (u->rxlen + SC_UART_FIFO > sizeof(u->rxq))
        set_ier(u, u->ier & (uint8_t)~(SC_UART_IER_RDI | SC_UART_IER_RLSI));
    return moved;
}

/*
 * Up to a FIFO's worth of output (the handler is called with THRE set),
 * each further byte only while LSR.THRE says there is room, as 8250's
 * tx_chars does for a UART whose FIFO may fill (UART_CAP_HFIFO).
 */
static int tx_chars(struct sim_uart *u)
{
    int count = SC_UART_FIFO, moved = 0;

    while (count-- > 0 && u->txlen) {
        out(u, THR, u->txq[u->txoff]);
        u->tx++;
        u->txq[u->txoff] = 0;
        u->txoff++;
        u->txlen--;
        moved = 1;
        if (!(in(u, LSR) & SC_UART_LSR_THRE)) {
            /* The host has not taken the output yet: wait for the THRE interrupt. */
            u->thre_waits++;
            break;
        }
    }
    if (u->txlen == 0) {
        u->txoff = 0;
        set_ier(u, u->ier & (uint8_t)~SC_UART_IER_THRI);     /* stop_tx */
    }
    return moved;
}

int sim_uart_isr(struct sim_uart *u)
{
    int moved = 0, rounds = 0;
    uint8_t iir, lsr;

    if (!u->up)
        return 0;
    while (sc_uart_con_irq(&u->con) && rounds++ < 64) {
        u->irqs++;
        iir = in(u, IIR);
        if (iir & SC_UART_IIR_NONE)
            break;
        lsr = in(u, LSR);
        if ((lsr & (SC_UART_LSR_DR | SC_UART_LSR_BI)) && (u->ier & SC_UART_IER_RDI))
            moved |= rx_chars(u, lsr);
        if ((iir & 0x0f) == SC_UART_IIR_MSI)
            (void)in(u, MSR);
        if ((lsr & SC_UART_LSR_THRE) && (u->ier & SC_UART_IER_THRI))
            moved |= tx_chars(u);
    }
    return moved;
}

ssize_t sim_uart_from_pty(int ptm, struct sim_uart *u)
{
    uint8_t buf[sizeof(u->txq)];
    size_t room = sim_uart_tx_room(u);
    ssize_t n;

    if (room == 0)
        return 0;
    n = read(ptm, buf, room);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    tx_add(u, buf, (size_t)n);
    explicit_bzero(buf, (size_t)n);
    start_tx(u);
    return n;
}

ssize_t sim_uart_to_pty(int ptm, struct sim_uart *u)
{
    ssize_t n;

    if (u->rxlen == 0)
        return 0;
    n = write(ptm, u->rxq, u->rxlen);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n < 0)
        return -1;
    memmove(u->rxq, u->rxq + n, u->rxlen - (size_t)n);
    explicit_bzero(u->rxq + u->rxlen - (size_t)n, (size_t)n);
    u->rxlen -= (size_t)n;
    /* unthrottle once there is room for a FIFO load again */
    if (u->up && u->rxlen + SC_UART_FIFO <= sizeof(u->rxq))
        set_ier(u, u->ier | SC_UART_IER_RDI | SC_UART_IER_RLSI);
    return n;
}
