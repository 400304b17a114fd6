/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "io.h"
#include "msg.h"
#include "rendezvous.h"
#include "text.h"

#define RV_FILE_MAX 128

int rv_init(struct rv *r)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    int n, made = 0;

    r->pgid = (long)getpgrp();
    r->wfd = -1;
    r->wd = -1;
    if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
        st.st_uid == geteuid())
        n = snprintf(r->dir, sizeof(r->dir), "%s/sccrypt", xdg);
    else
        n = snprintf(r->dir, sizeof(r->dir), "/tmp/sccrypt-%lu", (unsigned long)geteuid());
    if (n < 0 || (size_t)n >= sizeof(r->dir) - 64) {
        msg_err("XDG_RUNTIME_DIR: path too long");
        return -1;
    }
    if (mkdir(r->dir, 0700) == 0)
        made = 1;
    else if (errno != EEXIST) {
        msg_errno("cannot create the rendezvous directory %s", r->dir);
        return -1;
    }
    if (made && chmod(r->dir, 0700) < 0) {
        msg_errno("%s", r->dir);
        return -1;
    }
    if (lstat(r->dir, &st) < 0) {
        msg_errno("%s", r->dir);
        return -1;
    }
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 07777) != 0700) {
        msg_err("%s: the rendezvous directory must be a directory (not a symlink) owned by "
                "you with mode 0700; fix or remove it", r->dir);
        return -1;
    }
    return 0;
}

int rv_path(const struct rv *r, const uint8_t id[16], const char *ext, char *buf, size_t cap)
{
    char hex[33];
    int n;

    hex_encode(hex, id, 16);
    n = snprintf(buf, cap, "%s/%ld-%s.%s", r->dir, r->pgid, hex, ext);
    if (n < 0 || (size_t)n >= cap) {
        msg_err("%s: path too long", r->dir);
        return -1;
    }
    return 0;
}

int rv_put(const struct rv *r, const uint8_t id[16], const char *ext,
           const uint8_t *data, size_t len, int quiet)
{
    char path[CL_PATH_MAX], tmp[CL_PATH_MAX];
    int fd, n;

    if (rv_path(r, id, ext, path, sizeof(path)) < 0)
        return -1;
    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        if (!quiet)
            msg_err("%s: path too long", r->dir);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd < 0) {
        if (!quiet)
            msg_errno("cannot create %s", tmp);
        return -1;
    }
    if (io_write_all(fd, data, len) < 0) {
        if (!quiet)
            msg_errno("%s", tmp);
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        if (!quiet)
            msg_errno("%s", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

int rv_take(const struct rv *r, const uint8_t id[16], const char *ext,
            uint8_t *data, size_t len)
{
    static const uint8_t zero[RV_FILE_MAX];
    char path[CL_PATH_MAX];
    struct stat st;
    ssize_t n;
    int fd, rc = -1;

    if (len > RV_FILE_MAX || rv_path(r, id, ext, path, sizeof(path)) < 0)
        return -1;
    fd = open(path, O_RDWR | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        msg_errno("%s", path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        msg_errno("%s", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
        st.st_size != (off_t)len) {
        msg_err("%s: not a rendezvous file of this session (wrong type, owner, mode or size)",
                path);
        unlink(path);
        goto out;
    }
    n = io_read_full(fd, data, len);
    if (n != (ssize_t)len) {
        if (n < 0)
            msg_errno("%s", path);
        else
            msg_err("%s: short rendezvous file", path);
        cl_wipe(data, len);
        goto out;
    }
    /* The hello file holds the ephemeral secret c: overwrite, then unlink. */
    if (lseek(fd, 0, SEEK_SET) == 0)
        (void)io_write_all(fd, zero, len);
    rc = 1;
out:
    if (rc == 1 && unlink(path) < 0) {
        msg_errno("cannot remove %s", path);
        cl_wipe(data, len);
        rc = -1;
    }
    close(fd);
    return rc;
}

void rv_watch(struct rv *r)
{
#ifdef __linux__
    if (r->wfd >= 0)
        return;
    r->wfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (r->wfd < 0)
        return;                     /* looking every RV_POLL_MS will do */
    /* The directory rv_init checked; never through a symlink put in its place. */
    r->wd = inotify_add_watch(r->wfd, r->dir, IN_MOVED_TO | IN_CREATE | IN_ONLYDIR |
                              IN_DONT_FOLLOW);
    if (r->wd < 0)
        rv_unwatch(r);
#else
    (void)r;
#endif
}

void rv_unwatch(struct rv *r)
{
    if (r->wfd < 0)
        return;
#ifdef __linux__
    /*
     * Closing an inotify instance waits for an SRCU grace period in the
     * kernel (10-20 ms here), which the handshake's end would pay before
     * the first key leaves.  Removing the watch does not wait; the emptied
     * instance is closed with the process.
     */
    if (r->wd >= 0 && inotify_rm_watch(r->wfd, r->wd) == 0) {
        r->wd = -1;
        r->wfd = -1;
        return;
    }
#endif
    close(r->wfd);
    r->wfd = -1;
}

/* Reads the watch's events (only their arrival matters); on an error, stops watching. */
static void rv_drain(struct rv *r)
{
    char ev[4096];
    ssize_t n;

    for (;;) {
        n = read(r->wfd, ev, sizeof(ev));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        rv_unwatch(r);              /* an error or end: back to looking every RV_POLL_MS */
        return;
    }
}

int rv_wait(struct rv *r, int fd, short *fd_rev, int out, short *out_rev, int max_ms)
{
    struct pollfd pfd[3];
    int n, ms = max_ms;

    pfd[0].fd = fd;
    pfd[0].events = POLLIN;
    pfd[0].revents = 0;
    pfd[1].fd = out;
    pfd[1].events = 0;
    pfd[1].revents = 0;
    pfd[2].fd = r->wfd;
    pfd[2].events = POLLIN;
    pfd[2].revents = 0;
    if (r->wfd < 0 && (ms < 0 || ms > RV_POLL_MS))
        ms = RV_POLL_MS;
    n = poll(pfd, 3, ms);
    if (n > 0 && r->wfd >= 0 && (pfd[2].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)))
        rv_drain(r);
    if (fd_rev != NULL)
        *fd_rev = fd >= 0 && n > 0 ? pfd[0].revents : 0;
    if (out_rev != NULL)
        *out_rev = out >= 0 && n > 0 ? pfd[1].revents : 0;
    return n;
}

/* Overwrites a rendezvous file with zeros (it may hold a secret) and unlinks it. */
static void wipe_unlink(const char *path)
{
    static const uint8_t zero[RV_FILE_MAX];
    struct stat st;
    int fd;

    fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            st.st_size <= RV_FILE_MAX)
            (void)io_write_all(fd, zero, (size_t)st.st_size);
        close(fd);
    }
    unlink(path);
}

void rv_discard(const struct rv *r, const uint8_t id[16], const char *ext)
{
    char path[CL_PATH_MAX], tmp[CL_PATH_MAX];

    if (rv_path(r, id, ext, path, sizeof(path)) < 0)
        return;
    wipe_unlink(path);
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) < (int)sizeof(tmp))
        wipe_unlink(tmp);
}

/* "<dir>/<pgid>.dec": sc-dec's sign that it is in this pipeline. */
static int dec_path(const struct rv *r, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/%ld.dec", r->dir, r->pgid);

    return n > 0 && (size_t)n < cap ? 0 : -1;
}

void rv_mark(const struct rv *r)
{
    char path[CL_PATH_MAX];
    int fd;

    if (dec_path(r, path, sizeof(path)) < 0)
        return;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600);
    if (fd >= 0)
        close(fd);
}

int rv_marked(const struct rv *r)
{
    char path[CL_PATH_MAX];
    struct stat st;

    return dec_path(r, path, sizeof(path)) == 0 && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void rv_unmark(const struct rv *r)
{
    char path[CL_PATH_MAX];

    if (dec_path(r, path, sizeof(path)) == 0)
        unlink(path);
}

void rv_sweep(const struct rv *r)
{
    char path[CL_PATH_MAX];
    struct dirent *de;
    DIR *d;

    d = opendir(r->dir);
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name, *p;
        char *end;
        long pgid;
        size_t i;

        if (nm[0] < '1' || nm[0] > '9')
            continue;
        errno = 0;
        pgid = strtol(nm, &end, 10);
        if (errno || pgid <= 0 || pgid == r->pgid)
            continue;
        if (strcmp(end, ".dec") == 0)
            goto gone;
        if (*end != '-')
            continue;
        p = end + 1;
        for (i = 0; i < 32; i++)
            if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
                break;
        if (i != 32)
            continue;
        p += 32;
        if (strcmp(p, ".hello") != 0 && strcmp(p, ".answer") != 0 &&
            strcmp(p, ".hello.tmp") != 0 && strcmp(p, ".answer.tmp") != 0)
            continue;
gone:
        /* Only a group that is gone: a live pipeline's files are its own. */
        if (kill((pid_t)-pgid, 0) == 0 || errno != ESRCH)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", r->dir, nm) >= (int)sizeof(path))
            continue;
        wipe_unlink(path);
    }
    closedir(d);
}

int rv_other_hellos(const struct rv *r, const uint8_t *id, uint8_t other[16])
{
    char prefix[32], want[33];
    size_t pl;
    struct dirent *de;
    DIR *d;
    int count = 0;

    snprintf(prefix, sizeof(prefix), "%ld-", r->pgid);
    pl = strlen(prefix);
    if (id != NULL)
        hex_encode(want, id, 16);
    d = opendir(r->dir);
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        uint8_t got[16];

        if (strlen(nm) != pl + 32 + 6 || strncmp(nm, prefix, pl) != 0 ||
            strcmp(nm + pl + 32, ".hello") != 0)
            continue;
        if (id != NULL && strncmp(nm + pl, want, 32) == 0)
            continue;
        {
            char hex[33];

            memcpy(hex, nm + pl, 32);
            hex[32] = '\0';
            if (hex_decode(got, 16, hex) < 0)
                continue;
        }
        if (count++ == 0)
            memcpy(other, got, 16);
    }
    closedir(d);
    return count;
}
