/* SPDX-License-Identifier: MIT */
/*
 * qtest_diff SEED OPS [QEMU]: the 16550A model (src/core/uart16550.c)
 * against QEMU's 16550A (hw/char/serial.c, COM1 at 0x3f8, IRQ 4), driven
 * through QEMU's qtest protocol (docs/devel/qtest.rst: `inb`, `outb`,
 * `clock_step`, `irq_intercept_in`, asynchronous `IRQ raise|lower N`).
 *
 * OPS random accesses (seeded) go to both: writes and reads of all eight
 * offsets, with DLAB on and off, loopback on and off (loopback is how bytes
 * reach QEMU's receiver without a chardev to feed), FIFOs on and off with
 * every trigger level.  Every
 * read must return the same value, and after every operation QEMU's IRQ 4
 * must be at the model's level.
 *
 * The one documented difference: QEMU's line is not gated by MCR.OUT2 (nor
 * forced low in loopback, where a real 16550's OUT2 pin is inactive), while
 * a PC's mainboard only drives IRQ 4 while OUT2 is set; so QEMU's line is
 * compared with sc_uart_pending (the ungated condition), and sc_uart_irq is
 * checked to be that gated by OUT2 and loopback.
 *
 * QEMU runs stopped (-S): its virtual clock stands still, so its FIFO
 * character timeout (four character times after the last byte) never
 * fires by itself, and the model's sc_uart_rx_idle is not called.  Debian's
 * QEMU has no qtest accelerator, so `clock_step` cannot move that clock;
 * the timeout interrupt is covered by test/unit/uart_probe.c instead.
 *
 * Prints one summary line; exits 0 when all agree, 1 on a difference (with
 * the operations leading to it), 2 when QEMU cannot be run.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sc_uart.h"

#define BASE        0x3f8
#define HISTORY     24

static FILE *to_q, *from_q;
static int irq4;
static unsigned long irq_changes;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Sends one command, returns the value of its OK reply (0 if it has none). */
static unsigned long qcmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static unsigned long qcmd(const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    vfprintf(to_q, fmt, ap);
    va_end(ap);
    fputc('\n', to_q);
    if ( fflush(to_q) == EOF )
    {
        fprintf(stderr, "qtest_diff: writing to qemu: %s\n", strerror(errno));
        exit(2);
    }
    for ( ;; )
    {
        if ( !fgets(line, sizeof(line), from_q) )
        {
            fprintf(stderr, "qtest_diff: qemu closed the qtest stream\n");
            exit(2);
        }
        if ( !strncmp(line, "IRQ raise 4\n", 12) || !strncmp(line, "IRQ lower 4\n", 12) )
        {
            int v = line[4] == 'r';

            irq_changes += v != irq4;
            irq4 = v;
            continue;
        }
        if ( !strncmp(line, "IRQ ", 4) )
            continue;               /* other lines (the PIT's, the RTC's) */
        if ( !strncmp(line, "OK", 2) )
            return line[2] == ' ' ? strtoul(line + 3, NULL, 0) : 0;
        fprintf(stderr, "qtest_diff: qemu answered: %s", line);
        exit(2);
    }
}

struct op {
    char kind;                      /* 'r' read, 'w' write */
    uint8_t off, val;
};

static void show(const struct op *h, unsigned long n)
{
    unsigned long i = n > HISTORY ? n - HISTORY : 0;

    fprintf(stderr, "qtest_diff: the operations up to it:\n");
    for ( ; i <= n; i++ )
    {
        const struct op *o = &h[i % HISTORY];

        if ( o->kind == 'w' )
            fprintf(stderr, "  %lu: outb +%u 0x%02x\n", i, o->off, o->val);
        else if ( o->kind == 'r' )
            fprintf(stderr, "  %lu: inb +%u -> 0x%02x\n", i, o->off, o->val);
    }
}

/*
 * A random operation, biased towards what exercises the interesting paths:
 * now and then a burst of THR writes with no read between, so that in
 * loopback the receive FIFO reaches every trigger level and overruns.
 */
static struct op pick(uint64_t *s)
{
    static unsigned int burst;
    struct op o;
    unsigned int r = rnd(s) % 100;

    o.val = (uint8_t)rnd(s);
    if ( !burst && r < 3 )
        burst = 8 + rnd(s) % 16;
    if ( burst )
    {
        burst--;
        o.kind = 'w';
        o.off = 0;
        return o;
    }
    o.kind = r < 50 ? 'r' : 'w';
    o.off = rnd(s) % 8;
    if ( o.kind == 'w' )
    {
        r = rnd(s) % 100;
        if ( r < 30 )
            o.off = 0;              /* THR: the busiest register */
        else if ( r < 38 )
            o.off = 1;
        switch ( o.off )
        {
        case 3:                     /* mostly DLAB off, else little happens */
            if ( rnd(s) % 4 )
                o.val &= 0x7f;
            break;
        case 2:                     /* FIFOs mostly left as they are */
            if ( rnd(s) % 3 )
                o.val = (o.val & ~0x06) | 0x01;
            break;
        }
    }
    else if ( rnd(s) % 3 == 0 )
        o.off = 0;                  /* reads of RBR drain the receiver */
    return o;
}

int main(int argc, char **argv)
{
    static uint8_t txbuf[1 << 16];
    struct op hist[HISTORY];
    struct sc_uart u;
    uint64_t seed, s;
    unsigned long nops, i, reads = 0, mism = 0, loop_ops = 0, fifo_ops = 0, dlab_ops = 0;
    unsigned long sent = 0;
    const char *qemu;
    int in[2], out[2];
    pid_t pid;
    int st;

    if ( argc < 3 || argc > 4 )
    {
        fprintf(stderr, "usage: qtest_diff SEED OPS [QEMU]\n");
        return 2;
    }
    seed = strtoull(argv[1], NULL, 0);
    nops = strtoul(argv[2], NULL, 0);
    qemu = argc > 3 ? argv[3] : "qemu-system-x86_64";
    s = seed ? seed : 1;

    signal(SIGPIPE, SIG_IGN);
    if ( pipe(in) || pipe(out) )
    {
        perror("qtest_diff: pipe");
        return 2;
    }
    pid = fork();
    if ( pid < 0 )
    {
        perror("qtest_diff: fork");
        return 2;
    }
    if ( pid == 0 )
    {
        if ( dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 )
            _exit(127);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        execlp(qemu, qemu, "-machine", "pc", "-display", "none", "-nodefaults",
               "-serial", "null", "-qtest", "stdio", "-qtest-log", "/dev/null", "-S",
               (char *)NULL);
        fprintf(stderr, "qtest_diff: %s: %s\n", qemu, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_q = fdopen(in[1], "w");
    from_q = fdopen(out[0], "r");
    if ( !to_q || !from_q )
    {
        perror("qtest_diff: fdopen");
        return 2;
    }

    qcmd("irq_intercept_in ioapic");
    sc_uart_init(&u, txbuf, sizeof(txbuf));

    for ( i = 0; i < nops && mism == 0; i++ )
    {
        struct op o = pick(&s);
        int want;

        loop_ops += (u.mcr & SC_UART_MCR_LOOP) != 0;
        fifo_ops += (u.fcr & SC_UART_FCR_FE) != 0;
        dlab_ops += (u.lcr & SC_UART_LCR_DLAB) != 0;
        if ( o.kind == 'w' )
        {
            qcmd("outb 0x%x 0x%x", BASE + o.off, o.val);
            sc_uart_write(&u, o.off, o.val);
        }
        else if ( o.kind == 'r' )
        {
            unsigned long q = qcmd("inb 0x%x", BASE + o.off);
            uint8_t m = sc_uart_read(&u, o.off);

            reads++;
            o.val = m;
            if ( q != m )
            {
                hist[i % HISTORY] = o;
                fprintf(stderr, "qtest_diff: op %lu: inb +%u: qemu 0x%02lx, model 0x%02x\n",
                        i, o.off, q, m);
                show(hist, i);
                mism++;
                break;
            }
        }
        hist[i % HISTORY] = o;
        sent += sc_uart_tx_len(&u);
        sc_uart_tx_done(&u, sc_uart_tx_len(&u));

        want = sc_uart_pending(&u);
        if ( irq4 != want )
        {
            fprintf(stderr, "qtest_diff: op %lu: IRQ 4: qemu %d, model %d\n", i, irq4, want);
            show(hist, i);
            mism++;
        }
        if ( sc_uart_irq(&u) != (want && (u.mcr & 0x18) == 0x08) )
        {
            fprintf(stderr, "qtest_diff: op %lu: sc_uart_irq is not pending gated by OUT2\n", i);
            mism++;
        }
    }

    /* SIGTERM before EOF: QEMU 7.2's qtest warns when its stream closes first. */
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    fclose(to_q);
    fclose(from_q);

    printf("qtest_diff: seed %llu: %lu ops (%lu reads, %lu in loopback, "
           "%lu with FIFOs, %lu with DLAB), %lu bytes sent, %lu IRQ 4 changes, "
           "%lu differences\n", (unsigned long long)seed, i, reads, loop_ops,
           fifo_ops, dlab_ops, sent, irq_changes, mism);
    return mism ? 1 : 0;
}
