/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "msg.h"

static const char *prog = "sccrypt";

void msg_init(const char *p)
{
    prog = p;
}

const char *msg_prog(void)
{
    return prog;
}

const char *msg_eol(void)
{
    struct termios t;

    /* sc-enc may have put the terminal raw: no output processing turns \n into CR LF. */
    if (isatty(2) && tcgetattr(2, &t) == 0 && !(t.c_oflag & OPOST))
        return "\r\n";
    return "\n";
}

static int holding;
static char held[2048];
static size_t held_len;

void msg_hold(int on)
{
    holding = on;
}

void msg_release(void)
{
    if (held_len > 0) {
        fwrite(held, 1, held_len, stderr);
        fflush(stderr);
    }
    held_len = 0;
}

void msg_drop(void)
{
    held_len = 0;
}

static void vmsg(int err, const char *fmt, va_list ap)
{
    char buf[1024];
    int n;

    n = snprintf(buf, sizeof(buf), "%s: ", prog);
    if (n < 0)
        return;
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    if (holding) {
        n = snprintf(held + held_len, sizeof(held) - held_len, "%s%s%s%s", buf,
                     err ? ": " : "", err ? strerror(err) : "", msg_eol());
        if (n > 0)
            held_len += (size_t)n < sizeof(held) - held_len ? (size_t)n
                                                            : sizeof(held) - held_len - 1;
        return;
    }
    if (err)
        fprintf(stderr, "%s: %s%s", buf, strerror(err), msg_eol());
    else
        fprintf(stderr, "%s%s", buf, msg_eol());
    fflush(stderr);
}

void msg_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(0, fmt, ap);
    va_end(ap);
}

void msg_errno(const char *fmt, ...)
{
    int e = errno;
    va_list ap;

    va_start(ap, fmt);
    vmsg(e ? e : EIO, fmt, ap);
    va_end(ap);
    errno = e;
}

void cl_wipe(void *p, size_t len)
{
    /* OPENSSL_cleanse: explicit_bzero's effect on every platform we build on. */
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}
