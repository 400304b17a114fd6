/* SPDX-License-Identifier: MIT */
/*
 * The simulator's host services: messages, the monotonic clock, random
 * bytes from getrandom(2) and the identity key file kept in the state
 * directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "sccrypt_crypto.h"
#include "sim.h"
#include "text.h"

static int log_syslog, log_stderr = 1;

void sim_log_init(int use_syslog, int use_stderr)
{
    log_syslog = use_syslog;
    log_stderr = use_stderr;
    if (use_syslog)
        openlog("sc-vmmsim", LOG_PID, LOG_DAEMON);
}

void sim_log(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (log_syslog)
        syslog(LOG_NOTICE, "%s", buf);
    if (log_stderr) {
        char line[600];

        n = snprintf(line, sizeof(line), "sc-vmmsim: %s\n", buf);
        if (n > 0)
            (void)io_write_all(2, line, strlen(line));
    }
}

uint64_t sim_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sim_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    ssize_t n;

    while (len > 0) {
        n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}


void sim_fingerprint(char out[64], const uint8_t pub[32])
{
    uint8_t h[32];

    sc_sha256(h, pub, 32);
    memcpy(out, "SHA256:", 7);
    b64_encode(out + 7, h, sizeof(h));
}




int sim_mkdirs(const char *path, mode_t mode)
{
    char buf[4096];
    size_t i, n = strlen(path);

    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];

            buf[i] = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return -1;
            buf[i] = c;
        }
    }
    return 0;
}

#define KEY_TAG "sccrypt-vmm-secret-v1 "

static int load_identity(const char *path, uint8_t secret[32])
{
    char buf[128];
    struct stat st;
    ssize_t n;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        sim_log("%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        sim_log("%s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        sim_log("%s: readable by group or others; run chmod 600 %s", path, path);
        goto out;
    }
    n = io_read_full(fd, buf, sizeof(buf) - 1);
    if (n != (ssize_t)(sizeof(KEY_TAG) - 1 + 64 + 1) ||
        memcmp(buf, KEY_TAG, sizeof(KEY_TAG) - 1) != 0 || buf[n - 1] != '\n') {
        sim_log("%s: not a VMM key file (%s...)", path, KEY_TAG);
        goto out;
    }
    if (hex_decode(secret, 32, buf + sizeof(KEY_TAG) - 1) < 0) {
        sim_log("%s: not a VMM key file", path);
        goto out;
    }
    rc = 0;
out:
    explicit_bzero(buf, sizeof(buf));
    close(fd);
    return rc;
}

int sim_identity(const char *dir, uint8_t secret[32])
{
    char path[4096], line[128];
    size_t off;
    int fd, i;

    if (sim_mkdirs(dir, 0700) < 0) {
        sim_log("%s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/vmm-key", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return load_identity(path, secret);
    if (fd < 0) {
        sim_log("%s: %s", path, strerror(errno));
        return -1;
    }
    if (sim_random(secret, 32) < 0) {
        sim_log("no cryptographic randomness (getrandom): %s", strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    memcpy(line, KEY_TAG, sizeof(KEY_TAG) - 1);
    off = sizeof(KEY_TAG) - 1;
    for (i = 0; i < 32; i++) {
        line[off++] = "0123456789abcdef"[secret[i] >> 4];
        line[off++] = "0123456789abcdef"[secret[i] & 15];
    }
    line[off++] = '\n';
    if (io_write_all(fd, line, off) < 0 || fsync(fd) < 0) {
        sim_log("%s: %s", path, strerror(errno));
        explicit_bzero(line, sizeof(line));
        close(fd);
        unlink(path);
        return -1;
    }
    explicit_bzero(line, sizeof(line));
    close(fd);
    sim_log("made a new VMM identity key in %s", path);
    return 0;
}
