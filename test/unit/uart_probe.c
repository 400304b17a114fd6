/* SPDX-License-Identifier: MIT */
/*
 * uart_probe: the 16550A model (src/core/uart16550.c) under the exact
 * register sequences real guests use to find and start a COM port, read
 * from their sources and replayed access by access:
 *   - Linux drivers/tty/serial/8250/8250_port.c: autoconfig() (IER test,
 *     loopback MSR test, EFR probe, FIFO enable and IIR bits),
 *     autoconfig_16550a() (EFR, NS16550A, 16750 and XScale checks, size_fifo),
 *     autoconfig_irq(), serial8250_do_startup() (THRE test, TXEN test);
 *   - Xen tools/firmware/hvmloader/util.c: uart_exists();
 *   - EDK2 (OVMF) MdeModulePkg/Bus/Pci/PciSioSerialDxe/SerialIo.c:
 *     SerialPresent() (scratch register), and
 *     MdeModulePkg/Library/BaseSerialPortLib16550: SerialPortInitialize(),
 *     SerialPortWrite(), SerialPortRead();
 *   - GRUB grub-core/term/ns8250.c: grub_ns8250_init() (scratch register),
 *     do_real_config(), serial_hw_put(), serial_hw_fetch();
 * then the register behaviours one by one (IIR priority, trigger levels,
 * timeout, break, modem deltas, THR back-pressure, hostile offsets, never
 * an overrun from the host).  Prints "uart_probe: N checks, 0 failures".
 */
#include <stdio.h>
#include <string.h>

#include "sc_uart.h"

static int checks, failures;

#define CHECK(c)                                                              \
    do {                                                                      \
        checks++;                                                             \
        if ( !(c) )                                                           \
        {                                                                     \
            fprintf(stderr, "uart_probe: %s:%d: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                       \
        }                                                                     \
    } while ( 0 )

#define EQ(a, b)                                                              \
    do {                                                                      \
        unsigned int a_ = (a), b_ = (b);                                      \
        checks++;                                                             \
        if ( a_ != b_ )                                                       \
        {                                                                     \
            fprintf(stderr, "uart_probe: %s:%d: %s is 0x%02x, want 0x%02x\n", \
                    __FILE__, __LINE__, #a, a_, b_);                          \
            failures++;                                                       \
        }                                                                     \
    } while ( 0 )

static struct sc_uart u;
static uint8_t txbuf[4096];

/* Register names as the drivers use them. */
enum { RX = 0, TX = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, EFR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static uint8_t in(unsigned int r)
{
    return sc_uart_read(&u, r);
}

static void out(unsigned int r, uint8_t v)
{
    sc_uart_write(&u, r, v);
}

static void reset(void)
{
    sc_uart_init(&u, txbuf, sizeof(txbuf));
}

/* Xen tools/firmware/hvmloader/util.c: uart_exists(). */
static void test_hvmloader(void)
{
    uint8_t a, b, c;

    reset();
    out(IER, 0x05);
    a = in(IER);
    out(IER, 0);
    b = in(IER);
    out(IER, 0xf);
    c = in(IER);
    out(IER, a);
    CHECK(b == 0 && c == 0xf);          /* uart_exists() returns 1 */
    EQ(in(IER), 0x05);                  /* and the IER it found is back */
}

/* EDK2 PciSioSerialDxe SerialPresent(): scratch register round trip. */
static void test_ovmf_present(void)
{
    uint8_t t;
    int present = 1;

    reset();
    out(SCR, 0x3c);
    t = in(SCR);
    out(SCR, 0xaa);
    if ( in(SCR) != 0xaa )
        present = 0;
    out(SCR, 0x55);
    if ( in(SCR) != 0x55 )
        present = 0;
    out(SCR, t);
    CHECK(present);
    EQ(in(SCR), 0x3c);
}

/*
 * EDK2 BaseSerialPortLib16550 SerialPortInitialize() with OVMF's PCDs
 * (115200 8N1: divisor 1, line control 0x03, FIFO control 0x07), then
 * SerialPortWrite() and SerialPortRead().
 */
static void test_ovmf_init(void)
{
    unsigned int div;
    int initialized = 1, i;
    uint8_t buf[3];
    static const uint8_t msg[] = "BdsDxe: loading Boot0001";

    reset();
    if ( (in(LCR) & 0x3f) != 0x03 )
        initialized = 0;
    out(LCR, in(LCR) | 0x80);
    div = in(DLM) << 8;
    div |= in(DLL);
    out(LCR, in(LCR) & ~0x80);
    if ( div != 1 )
        initialized = 0;
    CHECK(!initialized);
    EQ(div, 12);                        /* the power-on divisor: 9600 baud */
    EQ(in(LSR) & 0x60, 0x60);           /* the wait for TEMT|THRE ends at once */
    out(LCR, 0x80);
    out(DLM, 0);
    out(DLL, 1);
    out(LCR, 0x03);
    out(FCR, 0x00);
    out(FCR, 0x07 & 0x21);
    out(MCR, 0x00);

    /* Again: now it finds the port initialised (LCR and divisor). */
    initialized = 1;
    if ( (in(LCR) & 0x3f) != 0x03 )
        initialized = 0;
    out(LCR, in(LCR) | 0x80);
    div = in(DLM) << 8;
    div |= in(DLL);
    out(LCR, in(LCR) & ~0x80);
    CHECK(initialized && div == 1);
    EQ(in(LCR), 0x03);
    EQ(in(IIR), 0xc1);                  /* FIFOs on, nothing pending */

    /* SerialPortWrite(): wait for TEMT, then fill the 16-byte FIFO. */
    for ( i = 0; i < (int)sizeof(msg) - 1; i++ )
    {
        if ( i % 16 == 0 )
            CHECK(in(LSR) & 0x40);
        out(TX, msg[i]);
    }
    EQ(sc_uart_tx_len(&u), sizeof(msg) - 1);
    CHECK(!memcmp(txbuf, msg, sizeof(msg) - 1));
    sc_uart_tx_done(&u, sc_uart_tx_len(&u));

    /* SerialPortRead(): poll LSR.DR, read RBR. */
    CHECK(sc_uart_rx_ready(&u));
    EQ(sc_uart_rx_put(&u, (const uint8_t *)"abc", 3), 3);
    for ( i = 0; i < 3; i++ )
    {
        CHECK(in(LSR) & 0x01);
        buf[i] = in(RX);
    }
    CHECK(!memcmp(buf, "abc", 3));
    CHECK(!(in(LSR) & 0x01));
    /* MCR 0: OUT2 clear, so even an enabled interrupt never reaches IRQ 4. */
    out(IER, 0x02);
    CHECK(sc_uart_pending(&u));
    CHECK(!sc_uart_irq(&u));
}

/* GRUB grub-core/term/ns8250.c: probe, do_real_config(), put, fetch. */
static void test_grub(void)
{
    static const char msg[] = "GNU GRUB  version 2.06";
    size_t i;

    reset();
    out(SCR, 0x5a);
    CHECK(in(SCR) == 0x5a);
    out(SCR, 0xa5);
    CHECK(in(SCR) == 0xa5);

    /* do_real_config() at 115200 8N1, no rtscts. */
    out(IER, 0);
    out(LCR, 0x80);
    out(DLL, 1);
    out(DLM, 0);
    out(LCR, 0x03);
    out(FCR, 0xc7);
    out(MCR, 0x0b);
    for ( i = 0; i < 1000 && (in(LSR) & 0x01); i++ )
        in(RX);
    EQ(i, 0);                           /* nothing to drain: port->broken stays 0 */
    EQ(in(IIR), 0xc1);

    /* serial_hw_put(): wait for THRE, write. */
    for ( i = 0; i < sizeof(msg) - 1; i++ )
    {
        CHECK(in(LSR) & 0x20);
        out(TX, msg[i]);
    }
    EQ(sc_uart_tx_len(&u), sizeof(msg) - 1);
    CHECK(!memcmp(txbuf, msg, sizeof(msg) - 1));

    /* serial_hw_fetch(): a key. */
    EQ(in(LSR) & 0x01, 0);
    EQ(sc_uart_rx_put(&u, (const uint8_t *)"\r", 1), 1);
    CHECK(in(LSR) & 0x01);
    EQ(in(RX), '\r');
    EQ(in(LSR) & 0x01, 0);
}

/*
 * Linux 8250_port.c autoconfig() and autoconfig_16550a() for a port
 * without UPF_BUGGY_UART or UPF_SKIP_TEST, with the full 16550A variant
 * probe; returns 1 when it ends with PORT_16550A and a 16-byte FIFO.
 */
static int linux_autoconfig(void)
{
    uint8_t scratch, scratch2, scratch3, status1, status2, save_lcr, save_mcr;
    uint8_t old_lcr, old_fcr, old_mcr, iersave;
    unsigned int old_dl, id;
    int count, type16550a;

    /* IER test. */
    scratch = in(IER);
    out(IER, 0);
    scratch2 = in(IER) & 0x0f;
    out(IER, 0x0f);
    scratch3 = in(IER) & 0x0f;
    out(IER, scratch);
    if ( scratch2 != 0 || scratch3 != 0x0f )
        return 0;

    save_mcr = in(MCR);
    save_lcr = in(LCR);

    /* Loopback test: LOOP|OUT2|RTS must read back as DCD|CTS. */
    out(MCR, 0x10 | 0x08 | 0x02);
    status1 = in(MSR) & 0xf0;
    out(MCR, save_mcr);
    if ( status1 != (0x80 | 0x10) )
        return 0;

    /* Clear EFR (with LCR 0xbf the 16550A sees an FCR write of 0). */
    out(LCR, 0xbf);
    out(EFR, 0);
    out(LCR, 0);
    out(FCR, 0x01);
    if ( (in(IIR) & 0xc0) != 0xc0 )
        return 0;                       /* 8250/16450 (0x00) or 16550 (0x80) */

    /* autoconfig_16550a(): an EFR at LCR 0x80 reads as zero. */
    out(LCR, 0x80);
    if ( in(EFR) == 0 )
        return 0;                       /* would be a 16650 or FSL64 */
    out(LCR, 0xbf);
    if ( in(EFR) == 0 )
        return 0;                       /* would be EFRv2: 16C950/16850/16654 */

    /* NS16550A: bit 4 of IIR at LCR 0xe0 follows MCR.LOOP. */
    out(LCR, 0);
    status1 = in(MCR);
    out(LCR, 0xe0);
    status2 = in(0x02);
    if ( !((status2 ^ status1) & 0x10) )
    {
        out(LCR, 0);
        out(MCR, status1 ^ 0x10);
        out(LCR, 0xe0);
        status2 = in(0x02);
        out(LCR, 0);
        out(MCR, status1);
        if ( (status2 ^ status1) & 0x10 )
            return 0;                   /* would be a NS16550A */
    }

    /* 16750: the 64-byte FIFO bit sticks only with DLAB set. */
    out(LCR, 0);
    out(FCR, 0x01 | 0x20);
    status1 = in(IIR) & (0x20 | 0xc0);
    out(FCR, 0x01);
    out(LCR, 0x80);
    out(FCR, 0x01 | 0x20);
    status2 = in(IIR) & (0x20 | 0xc0);
    out(FCR, 0x01);
    out(LCR, 0);
    if ( status1 == 0xc0 && status2 == (0x20 | 0xc0) )
        return 0;                       /* would be a 16750 */

    /* XScale: IER bit 6 (UUE) must not stick. */
    iersave = in(IER);
    out(IER, iersave & ~0x40);
    if ( !(in(IER) & 0x40) )
    {
        out(IER, iersave | 0x40);
        if ( in(IER) & 0x40 )
            return 0;                   /* would be an XScale */
    }
    out(IER, iersave);
    type16550a = 1;

    /* size_fifo(): 256 bytes through loopback, count what arrives. */
    old_lcr = in(LCR);
    out(LCR, 0);
    old_fcr = in(FCR);                  /* reads IIR, as Linux does */
    old_mcr = in(MCR);
    out(FCR, 0x01 | 0x02 | 0x04);
    out(MCR, 0x10);
    out(LCR, 0x80);
    old_dl = in(DLL) | in(DLM) << 8;
    out(DLL, 1);
    out(DLM, 0);
    out(LCR, 0x03);
    for ( count = 0; count < 256; count++ )
        out(TX, count);
    EQ(sc_uart_tx_len(&u), 0);          /* loopback: nothing leaves */
    for ( count = 0; (in(LSR) & 0x01) && count < 256; count++ )
        in(RX);
    out(FCR, old_fcr);
    out(MCR, old_mcr);
    out(LCR, 0x80);
    out(DLL, old_dl & 0xff);
    out(DLM, old_dl >> 8);
    out(LCR, old_lcr);
    if ( count != 16 )
        return 0;                       /* 64 would be a U6_16550A */

    /* autoconfig_read_divisor_id() is not reached for a 16550A. */
    id = old_dl;
    (void)id;

    /* Back in autoconfig(): restore, clear FIFOs, read RX, clear IER. */
    out(LCR, save_lcr);
    out(MCR, save_mcr);
    out(FCR, 0x01);
    out(FCR, 0x01 | 0x02 | 0x04);
    out(FCR, 0);
    in(RX);
    out(IER, 0);
    return type16550a;
}

/* Linux autoconfig_irq(): an interrupt must reach the line. */
static int linux_autoconfig_irq(void)
{
    uint8_t save_mcr, save_ier;
    int irq;

    save_mcr = in(MCR);
    save_ier = in(IER);
    out(MCR, 0x04 | 0x08);
    out(MCR, 0);
    out(MCR, 0x01 | 0x02 | 0x08);
    out(IER, 0x0f);
    in(LSR);
    in(RX);
    in(IIR);
    in(MSR);
    out(TX, 0xff);
    irq = sc_uart_irq(&u);              /* probe_irq_off() sees IRQ 4 */
    out(MCR, save_mcr);
    out(IER, save_ier);
    sc_uart_tx_done(&u, sc_uart_tx_len(&u));
    return irq;
}

/* Linux serial8250_do_startup() for a 16550A with an IRQ. */
static void linux_startup(void)
{
    uint8_t iir1, iir, lsr;
    int bug_thre, bug_txen;

    /* serial8250_clear_fifos(), then the reads that clear interrupts. */
    out(FCR, 0x01);
    out(FCR, 0x01 | 0x02 | 0x04);
    out(FCR, 0);
    in(LSR);
    in(RX);
    in(IIR);
    in(MSR);
    CHECK(in(LSR) != 0xff);             /* "LSR safety check" */

    /* The THRE test (UART_BUG_THRE). */
    CHECK(in(LSR) & 0x20);              /* wait_for_xmitr(THRE) */
    out(IER, 0x02);
    iir1 = in(IIR);
    out(IER, 0);
    out(IER, 0x02);
    iir = in(IIR);
    out(IER, 0);
    bug_thre = !(iir1 & 0x01) && (iir & 0x01);
    EQ(iir1, 0x02);
    EQ(iir, 0x02);
    CHECK(!bug_thre);

    out(LCR, 0x03);
    out(MCR, 0x08 | 0x01 | 0x02);       /* serial8250_set_mctrl: OUT2|DTR|RTS */

    /* The TXEN test (UART_BUG_TXEN). */
    out(IER, 0x02);
    lsr = in(LSR);
    iir = in(IIR);
    out(IER, 0);
    bug_txen = (lsr & 0x40) && (iir & 0x01);
    CHECK(!bug_txen);

    in(LSR);
    in(RX);
    in(IIR);
    in(MSR);
    CHECK(!sc_uart_irq(&u));
}

/*
 * Linux at run time: set_termios (115200 8N1, FIFO trigger 8), the
 * console writing, an interrupt-driven receive with the FIFO timeout.
 */
static void linux_run(void)
{
    static const char boot[] = "[    0.000000] Linux version 6.1.0";
    uint8_t got[32];
    size_t i, n;

    out(IER, 0x05);                     /* RLSI|RDI */
    out(LCR, 0x83);
    out(DLL, 1);
    out(DLM, 0);
    out(LCR, 0x03);
    out(FCR, 0x01);
    out(FCR, 0x81);                     /* 16550A default: FIFO, trigger 8 */
    out(MCR, 0x0b);
    CHECK(!sc_uart_irq(&u));

    /* serial8250_console_write: wait for THRE per byte. */
    for ( i = 0; i < sizeof(boot) - 1; i++ )
    {
        CHECK(in(LSR) & 0x20);
        out(TX, boot[i]);
    }
    CHECK(!memcmp(txbuf, boot, sizeof(boot) - 1));
    sc_uart_tx_done(&u, sc_uart_tx_len(&u));

    /* Five keystrokes: below the trigger level, no interrupt ... */
    EQ(sc_uart_rx_put(&u, (const uint8_t *)"root\r", 5), 5);
    CHECK(!sc_uart_irq(&u));
    CHECK(!sc_uart_rx_ready(&u));
    EQ(sc_uart_rx_put(&u, (const uint8_t *)"x", 1), 0);
    /* ... until the line is idle: the character timeout. */
    sc_uart_rx_idle(&u);
    CHECK(sc_uart_irq(&u));
    EQ(in(IIR), 0xcc);
    /* serial8250_handle_irq: read LSR, then RBR while DR. */
    n = 0;
    while ( (in(LSR) & 0x01) && n < sizeof(got) )
        got[n++] = in(RX);
    EQ(n, 5);
    CHECK(!memcmp(got, "root\r", 5));
    EQ(in(IIR), 0xc1);
    CHECK(!sc_uart_irq(&u));
    CHECK(sc_uart_rx_ready(&u));

    /* Sixteen at once reach the trigger: RDI without any timeout. */
    EQ(sc_uart_rx_put(&u, (const uint8_t *)"0123456789abcdefXYZ", 19), 16);
    CHECK(sc_uart_irq(&u));
    EQ(in(IIR), 0xc4);
    for ( i = 0; i < 8; i++ )
        in(RX);
    EQ(in(IIR), 0xc4);                  /* still 8 >= trigger */
    in(RX);
    EQ(in(IIR), 0xc1);                  /* 7 left: below it again */
    for ( i = 0; i < 7; i++ )
        in(RX);
    CHECK(!(in(LSR) & 0x01));
    EQ(in(LSR) & 0x02, 0);              /* never an overrun */
}

static void test_linux(void)
{
    reset();
    CHECK(linux_autoconfig());
    EQ(in(IIR) & 0xc0, 0);              /* autoconfig leaves the FIFOs off */
    CHECK(linux_autoconfig_irq());
    linux_startup();
    linux_run();
}

/* IIR reports the highest-priority source, and each source clears its way. */
static void test_priority(void)
{
    int i;

    reset();
    out(FCR, 0x01);                     /* FIFO, trigger 1 */
    out(MCR, 0x10);                     /* loopback */
    for ( i = 0; i < 17; i++ )          /* one more than fits: overrun */
        out(TX, 'a' + i);
    out(MCR, 0x18);                     /* OUT2 too (in loopback: still gated) */
    out(MCR, 0x00);
    out(MCR, 0x08);
    out(IER, 0x0f);
    sc_uart_set_modem(&u, 0x30);        /* DCD dropped: DDCD */
    EQ(in(IIR), 0xc6);                  /* line status first */
    EQ(in(LSR), 0x60 | 0x02 | 0x01);    /* OE|DR, cleared by the read */
    EQ(in(IIR), 0xc4);                  /* then received data */
    for ( i = 0; i < 16; i++ )
        EQ(in(RX), 'a' + i);            /* the FIFO kept its 16; the 17th was lost */
    EQ(in(IIR), 0xc2);                  /* then THRE, cleared by this read */
    EQ(in(IIR), 0xc0);                  /* then modem status */
    EQ(in(MSR), 0x30 | 0x08);
    EQ(in(IIR), 0xc1);
    CHECK(!sc_uart_irq(&u));

    /* TERI only on the trailing edge of RI. */
    sc_uart_set_modem(&u, 0x70);
    EQ(in(MSR), 0x70);                  /* rising RI: no delta */
    sc_uart_set_modem(&u, 0x30);
    EQ(in(MSR), 0x30 | 0x04);
}

/* Each trigger level raises RDI exactly at its count. */
static void test_triggers(void)
{
    static const uint8_t fcr[4] = { 0x01, 0x41, 0x81, 0xc1 };
    static const int level[4] = { 1, 4, 8, 14 };
    int t, i;

    for ( t = 0; t < 4; t++ )
    {
        reset();
        out(FCR, fcr[t]);
        out(MCR, 0x10);
        out(IER, 0x01);
        for ( i = 1; i <= 16; i++ )
        {
            out(TX, i);
            EQ(sc_uart_pending(&u), i >= level[t]);
        }
    }
}

/* BREAK: a zero byte with BI (and LSR bit 7 in FIFO mode), for SysRq. */
static void test_break(void)
{
    reset();
    out(FCR, 0x01);
    out(IER, 0x05);
    out(MCR, 0x0b);
    CHECK(!sc_uart_break(&u));
    CHECK(sc_uart_irq(&u));
    EQ(in(IIR), 0xc6);
    EQ(in(LSR), 0x80 | 0x60 | 0x10 | 0x01);
    EQ(in(LSR), 0x60 | 0x01);           /* BI and bit 7 read once */
    EQ(in(RX), 0);
    EQ(in(LSR), 0x60);
    /* Not while the receiver holds data: the host retries later. */
    EQ(sc_uart_rx_put(&u, (const uint8_t *)"k", 1), 1);
    EQ(sc_uart_break(&u), -1);
    EQ(in(RX), 'k');
    EQ(sc_uart_break(&u), 0);

    /* Without FIFOs: no bit 7. */
    reset();
    CHECK(!sc_uart_break(&u));
    EQ(in(LSR), 0x60 | 0x10 | 0x01);
    EQ(in(RX), 0);
}

/* A full output buffer holds the byte in THR, with THRE clear. */
static void test_backpressure(void)
{
    uint8_t small[4];

    sc_uart_init(&u, small, sizeof(small));
    out(IER, 0x02);
    out(MCR, 0x08);
    out(TX, 'a');
    out(TX, 'b');
    out(TX, 'c');
    out(TX, 'd');
    EQ(in(LSR) & 0x60, 0x60);
    EQ(in(IIR), 0x02);
    out(TX, 'e');
    EQ(in(LSR) & 0x60, 0x00);
    EQ(in(IIR), 0x01);
    CHECK(!sc_uart_irq(&u));
    out(IER, 0x00);
    out(IER, 0x02);                     /* re-enabling does not arm: THR is full */
    EQ(in(IIR), 0x01);
    sc_uart_tx_done(&u, 2);
    EQ(sc_uart_tx_len(&u), 3);
    CHECK(!memcmp(small, "cde", 3));
    EQ(in(LSR) & 0x60, 0x60);
    CHECK(sc_uart_irq(&u));
    EQ(in(IIR), 0x02);
    sc_uart_tx_done(&u, 1000);          /* more than there is: all */
    EQ(sc_uart_tx_len(&u), 0);

    /* No buffer: bytes go nowhere, THRE always set. */
    sc_uart_init(&u, NULL, 0);
    out(TX, 'x');
    EQ(in(LSR) & 0x60, 0x60);
    EQ(sc_uart_tx_len(&u), 0);
}

/* Offsets and values a guest picks are masked; the host never overruns. */
static void test_hostile(void)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    uint8_t data[64];
    unsigned int i, j;
    size_t fed = 0, got = 0;

    reset();
    sc_uart_write(&u, 0xffffffffu, 0x42);   /* offset 7: SCR */
    EQ(sc_uart_read(&u, 0x3ff), 0x42);
    out(IER, 0xff);
    EQ(in(IER), 0x0f);
    out(MCR, 0xff);
    EQ(in(MCR), 0x1f);
    out(MCR, 0x0b);
    out(LSR, 0x00);
    out(MSR, 0x00);
    EQ(in(LSR), 0x60);
    EQ(in(MSR), 0xb0);

    /* A random guest reading at random, the host feeding when it may. */
    for ( i = 0; i < sizeof(data); i++ )
        data[i] = i;
    for ( i = 0; i < 20000; i++ )
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if ( s % 97 == 0 )
            out(FCR, (uint8_t)(s >> 8) & 0xc7);
        if ( sc_uart_rx_ready(&u) )
            fed += sc_uart_rx_put(&u, data, 1 + (s >> 16) % sizeof(data));
        for ( j = 0; j < (s >> 24) % 4; j++ )
            if ( in(LSR) & 0x01 )
            {
                in(RX);
                got++;
            }
        if ( u.lsr & 0x02 )
            break;
    }
    EQ(u.lsr & 0x02, 0);                /* no overrun in 20000 rounds */
    CHECK(fed > 1000);
    CHECK(got <= fed);
}

/*
 * Any mix of guest accesses and host calls keeps the state sane: the FIFO
 * count within 16, the output within the host's buffer, LSR.DR exactly
 * when there is data, IIR a real 16550A value, the line only when pending
 * and OUT2 is set outside loopback, and no overrun from the host.
 */
static void test_invariants(void)
{
    uint64_t s = 0x0123456789abcdefULL;
    uint8_t small[8], data[40];
    unsigned int i, bad = 0, overrun = 0;

    sc_uart_init(&u, small, sizeof(small));
    for ( i = 0; i < sizeof(data); i++ )
        data[i] = 0x80 + i;
    for ( i = 0; i < 300000; i++ )
    {
        unsigned int r, v, iir;

        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        r = s % 100;
        v = (uint8_t)(s >> 8);
        if ( r < 40 )
            sc_uart_write(&u, (unsigned int)(s >> 16), v);
        else if ( r < 80 )
            sc_uart_read(&u, (unsigned int)(s >> 16));
        else if ( r < 88 )
        {
            int oe = u.lsr & SC_UART_LSR_OE, ready = sc_uart_rx_ready(&u);
            size_t n = sc_uart_rx_put(&u, data, (s >> 20) % sizeof(data));

            if ( !ready && n )
                bad++;
            if ( !oe && (u.lsr & SC_UART_LSR_OE) )
                overrun++;              /* the host's bytes overran */
        }
        else if ( r < 94 )
            sc_uart_tx_done(&u, (s >> 20) % 12);
        else if ( r < 96 )
            sc_uart_rx_idle(&u);
        else if ( r < 98 )
            sc_uart_break(&u);
        else
            sc_uart_set_modem(&u, v);

        if ( u.rx_count > SC_UART_FIFO || u.rx_head >= SC_UART_FIFO ||
             u.tx_len > u.tx_cap )
            bad++;
        if ( (u.fcr & SC_UART_FCR_FE) &&
             !(u.lsr & SC_UART_LSR_DR) != !u.rx_count )
            bad++;
        if ( u.thr_held != !(u.lsr & SC_UART_LSR_THRE) )
            bad++;
        iir = sc_uart_pending(&u);
        if ( sc_uart_irq(&u) && (!iir || (u.mcr & 0x18) != 0x08) )
            bad++;
        if ( u.ier & 0xf0 || u.mcr & 0xe0 )
            bad++;
    }
    EQ(bad, 0);
    EQ(overrun, 0);
}

int main(void)
{
    test_hvmloader();
    test_ovmf_present();
    test_ovmf_init();
    test_grub();
    test_linux();
    test_priority();
    test_triggers();
    test_break();
    test_backpressure();
    test_hostile();
    test_invariants();
    printf("uart_probe: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
