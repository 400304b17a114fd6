/* SPDX-License-Identifier: MIT */
/*
 * qtest_diff SEED OPS [QEMU]: the 16550A model (src/core/uart16550.c)
 * against QEMU's 16550A (hw/char/serial.c, COM1 at 0x3f8, IRQ 4), driven
 * through QEMU's qtest protocol (docs/devel/qtest.rst: `inb`, `outb`,
 * `clock_step`, `irq_intercept_in`, asynchronous `IRQ raise|lower N`).
 *
 * OPS random accesses (seeded) go to both: writes and reads of all eight
 * offsets, with DLAB on and off, loopback on and off, FIFOs on and off with
 * every trigger level; and bytes from outside: COM1's chardev is a Unix
 * socket this program holds the other end of, so what QEMU transmits is
 * compared with what the model hands its host, and bytes sent in (when the
 * receiver is drained, as a host feeds the model) reach QEMU's receiver and
 * the model's sc_uart_rx_put alike.  Every read must return the same value,
 * after every operation QEMU's IRQ 4 must be at the model's level, and the
 * bytes transmitted must be the same.
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
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
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
    char kind;                      /* 'r' read, 'w' write, 'x' bytes from outside */
    uint8_t off, val;
};

static int sock = -1;               /* COM1's chardev, QEMU's side of the line */
static uint8_t qout[1 << 16], mout[1 << 16];
static size_t nqout, nmout;

/* Collects what QEMU has transmitted so far. */
static void drain_sock(void)
{
    for ( ;; )
    {
        ssize_t r = read(sock, qout + nqout, sizeof(qout) - nqout);

        if ( r > 0 )
        {
            nqout += r;
            continue;
        }
        if ( r < 0 && errno == EINTR )
            continue;
        if ( r < 0 && errno != EAGAIN )
        {
            fprintf(stderr, "qtest_diff: reading COM1's socket: %s\n", strerror(errno));
            exit(2);
        }
        return;
    }
}

/* Sends n bytes into QEMU's receiver, then polls LSR until it has them. */
static unsigned long feed_qemu(const uint8_t *p, size_t n)
{
    unsigned long lsr = 0;
    int tries;

    if ( write(sock, p, n) != (ssize_t)n )
    {
        fprintf(stderr, "qtest_diff: writing COM1's socket: %s\n", strerror(errno));
        exit(2);
    }
    for ( tries = 0; tries < 5000; tries++ )
    {
        lsr = qcmd("inb 0x%x", BASE + 5);
        if ( lsr & SC_UART_LSR_DR )
            return lsr;
        usleep(1000);
    }
    fprintf(stderr, "qtest_diff: QEMU's COM1 never received the bytes sent\n");
    exit(2);
}

static void show(const struct op *h, unsigned long n)
{
    unsigned long i = n > HISTORY ? n - HISTORY : 0;

    fprintf(stderr, "qtest_diff: the operations up to it:\n");
    for ( ; i <= n; i++ )
    {
        const struct op *o = &h[i % HISTORY];

        if ( o->kind == 'x' )
            fprintf(stderr, "  %lu: %u bytes in from outside, then inb +5 -> 0x%02x\n",
                    i, o->off, o->val);
        else if ( o->kind == 'w' )
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
    r = rnd(s) % 100;
    if ( o.kind == 'w' )
    {
        if ( r < 30 )
            o.off = 0;              /* THR: the busiest register */
        else if ( r < 45 )
            o.off = 1;              /* IER: arms and disarms THRE */
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
    else if ( r < 30 )
        o.off = 0;                  /* RBR drains the receiver */
    else if ( r < 55 )
        o.off = 2;                  /* IIR, with its side effect on THRE */
    else if ( r < 65 )
        o.off = 5;                  /* LSR */
    return o;
}

int main(int argc, char **argv)
{
    static uint8_t txbuf[1 << 16];
    struct op hist[HISTORY];
    struct sc_uart u;
    uint64_t seed, s;
    unsigned long nops, i, reads = 0, mism = 0, loop_ops = 0, fifo_ops = 0, dlab_ops = 0;
    unsigned long sent = 0, rx_ops = 0, rx_bytes = 0, iir_seen[16] = { 0 };
    const char *qemu;
    char dir[] = "/tmp/qtest_diff.XXXXXX", chardev[200];
    struct sockaddr_un sa;
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
    if ( !mkdtemp(dir) )
    {
        perror("qtest_diff: mkdtemp");
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/com1", dir);
    snprintf(chardev, sizeof(chardev), "socket,id=com1,path=%s,server=on,wait=off",
             sa.sun_path);
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
               "-chardev", chardev, "-serial", "chardev:com1",
               "-qtest", "stdio", "-qtest-log", "/dev/null", "-S",
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

    /* The other end of COM1's line; one byte each way proves it connected. */
    sock = socket(AF_UNIX, SOCK_STREAM, 0);
    if ( sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa)) ||
         fcntl(sock, F_SETFL, O_NONBLOCK) )
    {
        fprintf(stderr, "qtest_diff: %s: %s\n", sa.sun_path, strerror(errno));
        return 2;
    }
    {
        const uint8_t hello = 'h';
        unsigned long q;

        q = feed_qemu(&hello, 1);
        sc_uart_rx_put(&u, &hello, 1);
        if ( q != sc_uart_read(&u, 5) || qcmd("inb 0x%x", BASE) != sc_uart_read(&u, 0) )
        {
            fprintf(stderr, "qtest_diff: the first byte received differs\n");
            return 1;
        }
    }

    for ( i = 0; i < nops && mism == 0; i++ )
    {
        struct op o = pick(&s);
        int want;

        /*
         * Bytes from outside, only when the receiver is drained (the only
         * way the host feeds the model) and holds no error to report, so
         * that QEMU's LSR polls below change nothing; as many as QEMU's
         * flow control takes at once (its trigger level, or 1), the same
         * to both.
         */
        if ( sc_uart_rx_ready(&u) && !(u.lsr & (SC_UART_LSR_OE | SC_UART_LSR_BI)) &&
             rnd(&s) % 100 < 15 )
        {
            uint8_t b[SC_UART_FIFO];
            size_t n = (u.fcr & SC_UART_FCR_FE) ? u.rx_trigger : 1, k;
            unsigned long q;
            uint8_t m;

            for ( k = 0; k < n; k++ )
                b[k] = (uint8_t)rnd(&s);
            q = feed_qemu(b, n);
            if ( sc_uart_rx_put(&u, b, n) != n )
            {
                fprintf(stderr, "qtest_diff: op %lu: the model refused %zu bytes\n", i, n);
                return 1;
            }
            m = sc_uart_read(&u, 5);
            rx_ops++;
            rx_bytes += n;
            o.kind = 'x';
            o.off = n;
            o.val = m;
            hist[i % HISTORY] = o;
            if ( q != m )
            {
                fprintf(stderr, "qtest_diff: op %lu: LSR after %zu bytes in: qemu 0x%02lx, "
                        "model 0x%02x\n", i, n, q, m);
                show(hist, i);
                mism++;
                break;
            }
            goto compare_irq;
        }

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
            if ( (o.off & 7) == 2 )
                iir_seen[m & 0x0f]++;
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
    compare_irq:
        if ( nmout + sc_uart_tx_len(&u) > sizeof(mout) )
            break;
        memcpy(mout + nmout, txbuf, sc_uart_tx_len(&u));
        nmout += sc_uart_tx_len(&u);
        sent += sc_uart_tx_len(&u);
        sc_uart_tx_done(&u, sc_uart_tx_len(&u));
        drain_sock();
        if ( nqout > nmout || memcmp(qout, mout, nqout) )
        {
            fprintf(stderr, "qtest_diff: op %lu: QEMU transmitted bytes the model did not\n", i);
            show(hist, i);
            mism++;
        }

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

    /* Everything transmitted has arrived: a qtest round trip follows QEMU's writes. */
    qcmd("inb 0x%x", BASE + 7);
    drain_sock();
    if ( !mism && (nqout != nmout || memcmp(qout, mout, nmout)) )
    {
        fprintf(stderr, "qtest_diff: QEMU transmitted %zu bytes, the model %zu, or others\n",
                nqout, nmout);
        mism++;
    }
    close(sock);
    unlink(sa.sun_path);
    rmdir(dir);

    /* SIGTERM before EOF: QEMU 7.2's qtest warns when its stream closes first. */
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    fclose(to_q);
    fclose(from_q);

    printf("qtest_diff: seed %llu: %lu ops (%lu reads, %lu in loopback, "
           "%lu with FIFOs, %lu with DLAB, %lu receiving %lu bytes from outside), "
           "%lu bytes transmitted, %lu IRQ 4 changes, %lu differences\n",
           (unsigned long long)seed, i, reads, loop_ops, fifo_ops, dlab_ops, rx_ops,
           rx_bytes, sent, irq_changes, mism);
    printf("qtest_diff: IIR read as line status %lu, timeout %lu, data %lu, THRE %lu, "
           "modem %lu, none %lu times\n", iir_seen[6], iir_seen[12], iir_seen[4],
           iir_seen[2], iir_seen[0], iir_seen[1]);
    return mism ? 1 : 0;
}
