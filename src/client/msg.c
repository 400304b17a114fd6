/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static void vmsg(int err, const char *fmt, va_list ap)
{
    char buf[1024];
    int n;

    n = snprintf(buf, sizeof(buf), "%s: ", prog);
    if (n < 0)
        return;
    vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
    if (err)
        fprintf(stderr, "%s: %s\n", buf, strerror(err));
    else
        fprintf(stderr, "%s\n", buf);
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
