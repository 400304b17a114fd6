/* SPDX-License-Identifier: MIT */
/*
 * uart_con: the UART console glue (src/core/uart_con.c) between the 16550A
 * model and the engine's ring, under guests driven as Linux's 8250 driver
 * and firmware drive a COM port:
 *   - input of 3000 bytes, fed into the ring as the engine does
 *     (sc_ring_put_in as space allows), reaches the guest's RBR reads whole
 *     and in order, with LSR.OE never set, under an interrupt-driven guest
 *     that reads one byte per interrupt, a polling guest, and a guest with
 *     the FIFOs off; the feeding and reading interleave at random;
 *   - output larger than the ring waits (LSR.THRE clear while out[] is
 *     full) and arrives whole and in order once the host drains out[] in
 *     batches;
 *   - the interrupt line follows: THRE, received data, the character
 *     timeout, MCR.OUT2, and low once everything is read;
 *   - a BREAK arrives in order with the bytes around it (LSR.BI with a zero
 *     byte after the bytes queued before it), and the BREAK queue is bounded.
 * Prints "uart_con: N checks, 0 failures".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sc_uart_con.h"

static int checks, failures;

#define CHECK(c)                                                              \
    do {                                                                      \
        checks++;                                                             \
        if ( !(c) )                                                           \
        {                                                                     \
            fprintf(stderr, "uart_con: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                       \
        }                                                                     \
    } while ( 0 )

enum { RX = 0, TX = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, SCR = 7 };

static struct sc_uart_con con;
static unsigned long seed = 1;
static int oe_seen;

static unsigned int rnd(unsigned int n)
{
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned int)((seed >> 33) % n);
}

static uint8_t in(unsigned int r)
{
    uint8_t v = sc_uart_con_io(&con, r, 0, 0);

    if ( (r & 7) == LSR && (v & SC_UART_LSR_OE) )
        oe_seen = 1;
    return v;
}

static void out(unsigned int r, uint8_t v)
{
    sc_uart_con_io(&con, r, 1, v);
}

/* The engine's side: as much of src[*off..len) as the ring takes now. */
static void feed(const uint8_t *src, size_t len, size_t *off)
{
    size_t n;

    if ( *off >= len )
        return;
    n = sc_ring_put_in(&con.ring, src + *off, len - *off);
    *off += n;
    if ( n )
        sc_uart_con_kick(&con);
}

/* Linux's serial8250_do_startup in short: FIFO on (trigger 8), OUT2, interrupts. */
static void guest_init(int fifo, uint8_t ier)
{
    sc_uart_con_init(&con);
    out(LCR, 0x03);
    out(FCR, fifo ? 0x81 : 0x00);
    out(MCR, SC_UART_MCR_DTR | SC_UART_MCR_RTS | SC_UART_MCR_OUT2);
    out(IER, ier);
    (void)in(LSR);
    (void)in(RX);
    (void)in(IIR);
}

/*
 * mode 0: interrupt-driven, one byte per interrupt (a slow guest);
 * mode 1: polling LSR.DR with interrupts off; mode 2: FIFOs off, interrupts.
 */
static void input_run(int mode)
{
    static uint8_t src[3000], got[3000];
    size_t off = 0, n = 0, i, spins = 0;
    uint8_t iir, lsr;

    for ( i = 0; i < sizeof(src); i++ )
        src[i] = (uint8_t)rnd(256);
    oe_seen = 0;
    guest_init(mode != 2, mode == 1 ? 0 : SC_UART_IER_RDI | SC_UART_IER_RLSI);
    while ( n < sizeof(src) && spins++ < 1000000 )
    {
        /* The engine writes into the ring at random moments, in random amounts. */
        if ( rnd(3) == 0 )
        {
            size_t lim = off + 1 + rnd(700);

            feed(src, lim < sizeof(src) ? lim : sizeof(src), &off);
        }
        if ( mode == 1 )
        {
            lsr = in(LSR);
            if ( (lsr & SC_UART_LSR_DR) && rnd(2) )
                got[n++] = in(RX);
            continue;
        }
        if ( !sc_uart_con_irq(&con) )
            continue;
        iir = in(IIR);
        CHECK(!(iir & SC_UART_IIR_NONE));
        if ( (iir & 0x0f) != SC_UART_IIR_RDI && (iir & 0x0f) != SC_UART_IIR_CTI )
            continue;
        lsr = in(LSR);
        CHECK(lsr & SC_UART_LSR_DR);
        if ( lsr & SC_UART_LSR_DR )
            got[n++] = in(RX);
    }
    CHECK(n == sizeof(src));
    CHECK(memcmp(got, src, sizeof(src)) == 0);
    CHECK(!oe_seen);
    CHECK(!(con.uart.lsr & SC_UART_LSR_OE));
    CHECK(!sc_uart_con_in_pending(&con));
    CHECK(!(in(LSR) & SC_UART_LSR_DR));
    CHECK(!sc_uart_con_irq(&con));
}

/* Output of 10000 bytes through a 2 KiB ring: THRE holds the guest back, nothing is lost. */
static void output_run(int batchy)
{
    static uint8_t src[10000], got[10000];
    size_t off = 0, n = 0, spins = 0, k;
    int waited = 0;
    uint8_t lsr;

    for ( k = 0; k < sizeof(src); k++ )
        src[k] = (uint8_t)rnd(256);
    guest_init(1, 0);
    while ( n < sizeof(src) && spins++ < 1000000 )
    {
        if ( off < sizeof(src) )
        {
            lsr = in(LSR);
            if ( lsr & SC_UART_LSR_THRE )
                out(TX, src[off++]);
            else
            {
                waited = 1;
                CHECK(sc_uart_con_out_pending(&con) == SC_RING_OUT_SIZE);
                CHECK(sc_uart_con_tx_waiting(&con));
            }
        }
        /* The host drains in batches: once the guest waits on THRE, or now and then. */
        if ( (batchy && !(con.uart.lsr & SC_UART_LSR_THRE) && rnd(4) == 0) ||
             (!batchy && rnd(50) == 0) || off == sizeof(src) )
        {
            k = sc_ring_get_out(&con.ring, got + n, sizeof(got) - n);
            n += k;
            sc_uart_con_kick(&con);
        }
    }
    CHECK(n == sizeof(src));
    CHECK(memcmp(got, src, sizeof(src)) == 0);
    CHECK(!batchy || waited);
    CHECK(in(LSR) & SC_UART_LSR_THRE);
    CHECK(sc_uart_con_out_pending(&con) == 0);
    CHECK(!sc_uart_con_tx_waiting(&con));
}

/* A guest that writes while THRE is clear (a bad driver) loses bytes, never the host's memory. */
static void output_ignores_thre(void)
{
    size_t k;

    guest_init(1, 0);
    for ( k = 0; k < 3 * SC_RING_OUT_SIZE; k++ )
        out(TX, (uint8_t)k);
    CHECK(sc_uart_con_out_pending(&con) == SC_RING_OUT_SIZE);
    CHECK(!(in(LSR) & SC_UART_LSR_THRE));
}

static void irq_line(void)
{
    uint8_t abc[3] = { 'a', 'b', 'c' };
    uint8_t many[40];
    unsigned int i;

    guest_init(1, 0);
    CHECK(!sc_uart_con_irq(&con));
    /* IER.THRI 0 -> 1 with THR empty: the THRE interrupt, cleared by reading IIR. */
    out(IER, SC_UART_IER_THRI);
    CHECK(sc_uart_con_irq(&con));
    CHECK((in(IIR) & 0x0f) == SC_UART_IIR_THRI);
    CHECK(!sc_uart_con_irq(&con));
    /* A byte written and taken at once: THRE again. */
    out(TX, 'x');
    CHECK(sc_uart_con_irq(&con));
    (void)in(IIR);
    CHECK(!sc_uart_con_irq(&con));
    /* Three bytes, below the trigger level of 8: the character timeout raises the line. */
    out(IER, SC_UART_IER_RDI);
    CHECK(sc_ring_put_in(&con.ring, abc, 3) == 3);
    sc_uart_con_kick(&con);
    CHECK(sc_uart_con_irq(&con));
    CHECK((in(IIR) & 0x0f) == SC_UART_IIR_CTI);
    CHECK(in(RX) == 'a');
    /* Two left and nothing more coming: the timeout again (the line is silent). */
    CHECK(sc_uart_con_irq(&con));
    CHECK(in(RX) == 'b');
    CHECK(in(RX) == 'c');
    CHECK(!sc_uart_con_irq(&con));
    /* OUT2 off: the line stays low whatever is pending. */
    for ( i = 0; i < sizeof(many); i++ )
        many[i] = (uint8_t)i;
    CHECK(sc_ring_put_in(&con.ring, many, sizeof(many)) == sizeof(many));
    sc_uart_con_kick(&con);
    CHECK(sc_uart_con_irq(&con));
    /* A full FIFO load, and nothing more until it is read: data or its timeout. */
    i = in(IIR) & 0x0f;
    CHECK(i == SC_UART_IIR_RDI || i == SC_UART_IIR_CTI);
    out(MCR, SC_UART_MCR_DTR);
    CHECK(!sc_uart_con_irq(&con));
    out(MCR, SC_UART_MCR_OUT2);
    CHECK(sc_uart_con_irq(&con));
    for ( i = 0; i < sizeof(many); i++ )
    {
        CHECK(in(LSR) & SC_UART_LSR_DR);
        CHECK(in(RX) == (uint8_t)i);
    }
    CHECK(!(in(LSR) & SC_UART_LSR_DR));
    CHECK(!sc_uart_con_irq(&con));
    CHECK(sc_uart_con_events(&con) & SC_UART_CON_IN_ROOM);
    CHECK(sc_uart_con_events(&con) == 0);
}

static void break_in_order(int fifo)
{
    static const uint8_t ab[2] = { 'a', 'b' }, cd[2] = { 'c', 'd' };
    uint8_t lsr;
    int i;

    guest_init(fifo, SC_UART_IER_RDI | SC_UART_IER_RLSI);
    CHECK(sc_ring_put_in(&con.ring, ab, 2) == 2);
    CHECK(sc_uart_con_break(&con) == 0);
    CHECK(sc_ring_put_in(&con.ring, cd, 2) == 2);
    sc_uart_con_kick(&con);
    CHECK(sc_uart_con_in_pending(&con));
    /* 'a' and 'b' first, with no break flagged. */
    lsr = in(LSR);
    CHECK((lsr & (SC_UART_LSR_DR | SC_UART_LSR_BI)) == SC_UART_LSR_DR);
    CHECK(in(RX) == 'a');
    lsr = in(LSR);
    CHECK((lsr & (SC_UART_LSR_DR | SC_UART_LSR_BI)) == SC_UART_LSR_DR);
    CHECK(in(RX) == 'b');
    /* Then the BREAK: LSR.BI with a zero byte, the line status interrupt first. */
    CHECK(sc_uart_con_events(&con) & SC_UART_CON_BREAK);
    CHECK(sc_uart_con_irq(&con));
    CHECK((in(IIR) & 0x0f) == SC_UART_IIR_RLSI);
    lsr = in(LSR);
    CHECK(lsr & SC_UART_LSR_BI);
    CHECK(lsr & SC_UART_LSR_DR);
    CHECK(in(RX) == 0);
    /* Then 'c' and 'd', no break. */
    lsr = in(LSR);
    CHECK((lsr & (SC_UART_LSR_DR | SC_UART_LSR_BI)) == SC_UART_LSR_DR);
    CHECK(in(RX) == 'c');
    CHECK(in(RX) == 'd');
    CHECK(!(in(LSR) & SC_UART_LSR_DR));
    CHECK(!sc_uart_con_in_pending(&con));
    CHECK(!sc_uart_con_irq(&con));

    /* Two BREAKs in a row with nothing between them: two zero bytes with BI. */
    CHECK(sc_uart_con_break(&con) == 0);
    CHECK(sc_uart_con_break(&con) == 0);
    sc_uart_con_kick(&con);
    for ( i = 0; i < 2; i++ )
    {
        lsr = in(LSR);
        CHECK(lsr & SC_UART_LSR_BI);
        CHECK(in(RX) == 0);
    }
    CHECK(!(in(LSR) & SC_UART_LSR_DR));

    /* The queue is bounded: one more than it holds is refused, the rest arrive. */
    for ( i = 0; i < SC_UART_CON_BREAKS; i++ )
        CHECK(sc_uart_con_break(&con) == 0);
    CHECK(sc_uart_con_break(&con) == -1);
    sc_uart_con_kick(&con);
    for ( i = 0; i < SC_UART_CON_BREAKS; i++ )
    {
        CHECK(in(LSR) & SC_UART_LSR_BI);
        CHECK(in(RX) == 0);
    }
    CHECK(!sc_uart_con_in_pending(&con));
}

/* Hostile offsets and values from the guest touch only the model's registers. */
static void hostile(void)
{
    unsigned int i;

    guest_init(1, 0x0f);
    for ( i = 0; i < 200000; i++ )
    {
        if ( rnd(2) )
            (void)sc_uart_con_io(&con, rnd(0x10000), 0, 0);
        else
            (void)sc_uart_con_io(&con, rnd(0x10000), 1, (uint8_t)rnd(256));
        if ( rnd(8) == 0 )
        {
            uint8_t b[64];

            memset(b, (int)rnd(256), sizeof(b));
            (void)sc_ring_put_in(&con.ring, b, rnd(sizeof(b)));
            sc_uart_con_kick(&con);
        }
        if ( rnd(16) == 0 )
            (void)sc_uart_con_break(&con);
        if ( rnd(8) == 0 )
        {
            uint8_t b[SC_RING_OUT_SIZE];

            (void)sc_ring_get_out(&con.ring, b, rnd(sizeof(b)));
            sc_uart_con_kick(&con);
        }
        CHECK(con.ring.in_prod - con.ring.in_cons <= SC_RING_IN_SIZE);
        CHECK(con.ring.out_prod - con.ring.out_cons <= SC_RING_OUT_SIZE);
        CHECK(con.brk_n <= SC_UART_CON_BREAKS);
        if ( failures )
            break;
    }
    sc_uart_con_wipe(&con);
    CHECK(sc_uart_con_out_pending(&con) == 0 && !sc_uart_con_in_pending(&con));
}

int main(int argc, char **argv)
{
    int round;

    if ( argc > 1 )
        seed = strtoul(argv[1], NULL, 10);
    for ( round = 0; round < 20; round++ )
    {
        input_run(0);
        input_run(1);
        input_run(2);
        output_run(1);
        output_run(0);
    }
    output_ignores_thre();
    irq_line();
    break_in_order(1);
    break_in_order(0);
    hostile();
    printf("uart_con: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
