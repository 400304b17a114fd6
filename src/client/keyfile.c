/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "keyfile.h"
#include "msg.h"
#include "text.h"

#define KEY_PREFIX  "sccrypt-key-v1 "
#define VMM_PREFIX  "sccrypt-vmm-v1 "

static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    struct passwd *pw;

    if (h != NULL && h[0] == '/')
        return h;
    pw = getpwuid(getuid());
    if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] == '/')
        return pw->pw_dir;
    return NULL;
}

int cl_mkdirs_for(const char *path)
{
    char tmp[CL_PATH_MAX];
    size_t n = strlen(path);
    char *p;

    if (n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        msg_errno("%s", path);
        return -1;
    }
    memcpy(tmp, path, n + 1);
    p = strrchr(tmp, '/');
    if (p == NULL || p == tmp)
        return 0;
    *p = '\0';
    for (p = tmp + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;

            *p = '\0';
            if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
                msg_errno("cannot create %s", tmp);
                return -1;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

static int xdg_path(char *buf, size_t cap, const char *env, const char *fallback,
                    const char *leaf, int mkdirs)
{
    const char *base = getenv(env), *home;
    int n;

    if (base != NULL && base[0] == '/') {
        n = snprintf(buf, cap, "%s/sccrypt/%s", base, leaf);
    } else {
        home = home_dir();
        if (home == NULL) {
            msg_err("cannot find the home directory: set HOME or %s", env);
            return -1;
        }
        n = snprintf(buf, cap, "%s/%s/sccrypt/%s", home, fallback, leaf);
    }
    if (n < 0 || (size_t)n >= cap) {
        msg_err("%s: path too long", env);
        return -1;
    }
    if (mkdirs && cl_mkdirs_for(buf) < 0)
        return -1;
    return 0;
}

int cl_config_path(char *buf, size_t cap, const char *leaf, int mkdirs)
{
    return xdg_path(buf, cap, "XDG_CONFIG_HOME", ".config", leaf, mkdirs);
}

int cl_state_path(char *buf, size_t cap, const char *leaf, int mkdirs)
{
    return xdg_path(buf, cap, "XDG_STATE_HOME", ".local/state", leaf, mkdirs);
}

int key_path(char *buf, size_t cap, const char *opt, int *is_default)
{
    const char *env = getenv("SCCRYPT_KEY");
    const char *p = opt;

    *is_default = 0;
    if (p == NULL && env != NULL && env[0] != '\0')
        p = env;
    if (p == NULL) {
        *is_default = 1;
        return cl_config_path(buf, cap, "key", 0);
    }
    if (strlen(p) >= cap) {
        msg_err("%s: path too long", p);
        return -1;
    }
    memcpy(buf, p, strlen(p) + 1);
    return 0;
}

int key_load(const char *path, uint8_t key[32])
{
    char buf[128];
    struct stat st;
    ssize_t n;
    int fd, rc = -1;

    fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            msg_err("%s: no such key file (create one with sc-keygen)", path);
        else
            msg_errno("%s", path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        msg_errno("%s", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        msg_err("%s: not a regular file", path);
        goto out;
    }
    /*
     * The format first: advice about a file's owner or mode is only for a
     * key file (sc-keygen -l -k /etc/passwd is not told to chmod it).
     */
    n = io_read_full(fd, buf, sizeof(buf));
    if (n < 0) {
        msg_errno("%s", path);
        goto out;
    }
    if (!((n == 80 && buf[79] == '\n') || n == 79) ||
        memcmp(buf, KEY_PREFIX, sizeof(KEY_PREFIX) - 1) != 0 ||
        hex_decode(key, 32, buf + sizeof(KEY_PREFIX) - 1) < 0) {
        msg_err("%s: not an sccrypt key file (expected a line \"sccrypt-key-v1 <64 hex>\")",
                path);
        goto out;
    }
    if (st.st_uid != getuid()) {
        msg_err("%s: the key file belongs to another user", path);
        goto out;
    }
    if (st.st_mode & 077) {
        msg_err("%s: group or others can access the key file; run chmod 600 %s", path, path);
        goto out;
    }
    rc = 0;
out:
    cl_wipe(buf, sizeof(buf));
    if (rc < 0)
        cl_wipe(key, 32);
    close(fd);
    return rc;
}

int key_save(const char *path, const uint8_t key[32], int force)
{
    char line[81];
    char tmp[CL_PATH_MAX];
    const char *target = path;
    int fd, n, rc = -1;

    memcpy(line, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    hex_encode(line + sizeof(KEY_PREFIX) - 1, key, 32);
    line[79] = '\n';
    if (force) {
        n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
        if (n < 0 || (size_t)n >= sizeof(tmp)) {
            msg_err("%s: path too long", path);
            goto out_nofd;
        }
        fd = mkstemp(tmp);          /* O_CREAT|O_EXCL, mode 0600 */
        target = tmp;
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600);
    }
    if (fd < 0) {
        if (errno == EEXIST && !force)
            msg_err("%s: the key file exists; use -f to overwrite it", path);
        else
            msg_errno("cannot create %s", target);
        goto out_nofd;
    }
    if (fchmod(fd, 0600) < 0 || io_write_all(fd, line, 80) < 0 || fsync(fd) < 0) {
        msg_errno("%s", target);
        close(fd);
        unlink(target);
        goto out_nofd;
    }
    if (close(fd) < 0) {
        msg_errno("%s", target);
        unlink(target);
        goto out_nofd;
    }
    if (force && rename(tmp, path) < 0) {
        msg_errno("cannot replace %s", path);
        unlink(tmp);
        goto out_nofd;
    }
    rc = 0;
out_nofd:
    cl_wipe(line, sizeof(line));
    return rc;
}

int vmmpub_parse(uint8_t pub[32], const char *text, size_t len)
{
    size_t pl = sizeof(VMM_PREFIX) - 1;

    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
                       text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len != pl + 64 || memcmp(text, VMM_PREFIX, pl) != 0)
        return -1;
    return hex_decode(pub, 32, text + pl);
}

#define CHALLENGE_PREFIX "sccrypt-challenge-v1 "

int vmmpub_read(const char *path, uint8_t pub[32])
{
    char buf[256];
    const char *name = strcmp(path, "-") == 0 ? "standard input" : path;
    ssize_t n;
    int fd;

    fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_NOCTTY);
    if (fd < 0) {
        msg_errno("%s", path);
        return -1;
    }
    n = io_read_full(fd, buf, sizeof(buf));
    if (n < 0)
        msg_errno("%s", name);
    if (fd != 0)
        close(fd);
    if (n < 0)
        return -1;
    /* sc-relay --vmm-key --challenge GUEST: the key's line, then the challenge's. */
    {
        const char *nl = memchr(buf, '\n', (size_t)n);

        if (nl && (size_t)(buf + n - (nl + 1)) > strlen(CHALLENGE_PREFIX) &&
            memcmp(nl + 1, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) == 0)
            n = nl + 1 - buf;
    }
    if (vmmpub_parse(pub, buf, (size_t)n) < 0) {
        msg_err("%s: not a VMM public key (expected a line \"sccrypt-vmm-v1 <64 hex>\", "
                "as sc-relay --vmm-key prints it)", name);
        return -1;
    }
    return 0;
}
