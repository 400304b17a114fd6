/* SPDX-License-Identifier: MIT */
/*
 * sc-guest-io: the guest's half of check-xen's HVM seal attacks.  Runs as
 * root inside an HVM guest (Linux, x86-64), freestanding (no libc: a few
 * kilobytes in the guest's initramfs, which the firmware may have to load
 * one byte per I/O exit).
 *
 *   sc-guest-io inb PORT          prints the byte read from PORT in hex:
 *                                 a dead port gives ff
 *   sc-guest-io outs PORT         one `rep outsb` of the 8 bytes "sccrypt!"
 *                                 to PORT, from a page whose other half holds
 *                                 the line read from standard input (never
 *                                 sent): a device model handed the guest
 *                                 address (data_is_ptr) can read that line
 *                                 through it; one handed the bytes by value
 *                                 gets "sccrypt!" only
 *   sc-guest-io ins PORT          one `rep insb` of 8 bytes from PORT into a
 *                                 page-aligned buffer; prints them in hex
 *   sc-guest-io puts PORT TEXT    TEXT and a newline to PORT, one outb each
 *                                 (the 0xe9 debug port: `xl dmesg`)
 * PORT is decimal or 0x hex.  Exit 0, or 2 on a usage or permission error.
 */
typedef unsigned long size_t;

#define SYS_read    0
#define SYS_write   1
#define SYS_iopl    172
#define SYS_exit    60

static long sys3(long n, long a, long b, long c)
{
    long r;

    __asm__ volatile ("syscall" : "=a" (r) : "a" (n), "D" (a), "S" (b), "d" (c)
                      : "rcx", "r11", "memory");
    return r;
}

static size_t len(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

static void put(const char *s)
{
    sys3(SYS_write, 1, (long)s, (long)len(s));
}

static void hex(const unsigned char *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    char b[3 * 64 + 1];
    size_t i, o = 0;

    for (i = 0; i < n && i < 64; i++) {
        b[o++] = d[p[i] >> 4];
        b[o++] = d[p[i] & 15];
        b[o++] = i + 1 < n ? ' ' : '\n';
    }
    b[o] = 0;
    put(b);
}

static int port_of(const char *s, unsigned int *port)
{
    unsigned int v = 0, base = 10, digits = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (; *s; s++, digits++) {
        unsigned int c = (unsigned char)*s, x;

        if (c >= '0' && c <= '9')
            x = c - '0';
        else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            x = (c | 0x20) - 'a' + 10;
        else
            return -1;
        if (x >= base)
            return -1;
        v = v * base + x;
        if (v > 0xffff)
            return -1;
    }
    if (!digits)
        return -1;
    *port = v;
    return 0;
}

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static unsigned char page[4096] __attribute__((aligned(4096)));

static int cmain(long argc, char **argv)
{
    unsigned int port;
    long n;

    if (argc < 3 || port_of(argv[2], &port)) {
        put("usage: sc-guest-io inb|outs|ins PORT | puts PORT TEXT\n");
        return 2;
    }
    if (sys3(SYS_iopl, 3, 0, 0) < 0) {
        put("sc-guest-io: iopl(3) refused: run it as root\n");
        return 2;
    }
    if (argc == 3 && streq(argv[1], "inb")) {
        unsigned char v;

        __asm__ volatile ("inb %w1, %0" : "=a" (v) : "Nd" (port));
        hex(&v, 1);
    } else if (argc == 3 && streq(argv[1], "outs")) {
        unsigned long cnt = 8;
        const unsigned char *src = page;

        n = sys3(SYS_read, 0, (long)(page + 2048), 2047);
        if (n < 0)
            n = 0;
        page[2048 + n] = 0;
        __builtin_memcpy(page, "sccrypt!", 8);
        __asm__ volatile ("cld; rep outsb" : "+S" (src), "+c" (cnt) : "d" (port)
                          : "memory");
        put("sent\n");
    } else if (argc == 3 && streq(argv[1], "ins")) {
        unsigned long cnt = 8;
        unsigned char *dst = page;

        __asm__ volatile ("cld; rep insb" : "+D" (dst), "+c" (cnt) : "d" (port)
                          : "memory");
        hex(page, 8);
    } else if (argc == 4 && streq(argv[1], "puts")) {
        const char *t = argv[3];

        for (; *t; t++)
            __asm__ volatile ("outb %b0, %w1" : : "a" (*t), "Nd" (port));
        __asm__ volatile ("outb %b0, %w1" : : "a" ('\n'), "Nd" (port));
    } else {
        put("usage: sc-guest-io inb|outs|ins PORT | puts PORT TEXT\n");
        return 2;
    }
    return 0;
}

void cstart(long *sp);

void cstart(long *sp)
{
    sys3(SYS_exit, cmain(sp[0], (char **)(sp + 1)), 0, 0);
    for (;;)
        ;
}

__asm__ (".globl _start\n"
         "_start:\n"
         "    mov %rsp, %rdi\n"
         "    and $-16, %rsp\n"
         "    call cstart\n"
         "    hlt\n");
