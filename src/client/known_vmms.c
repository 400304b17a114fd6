/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fingerprint.h"
#include "io.h"
#include "keyfile.h"
#include "known_vmms.h"
#include "msg.h"
#include "text.h"

#define KV_FILE_MAX (1 << 20)
#define KV_MAX      256

struct kv_entry {
    char name[KV_NAME_MAX];
    uint8_t pub[32];
    size_t line_off, line_len;      /* the line in the file, newline included */
};

struct kv_file {
    char path[CL_PATH_MAX];
    char *text;
    size_t len;
    size_t n;
    struct kv_entry e[KV_MAX];
};

int kv_name_valid(const char *name)
{
    size_t i, n = strlen(name);

    if (n == 0 || n >= KV_NAME_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Reads and parses the file; a missing file is empty.  0 or -1. */
static int kv_load(struct kv_file *f, int mkdirs)
{
    struct stat st;
    size_t off = 0, lineno = 0;
    ssize_t n;
    int fd;

    f->text = NULL;
    f->len = 0;
    f->n = 0;
    if (cl_config_path(f->path, sizeof(f->path), "known_vmms", mkdirs) < 0)
        return -1;
    fd = open(f->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        msg_errno("%s", f->path);
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        msg_errno("%s", f->path);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > KV_FILE_MAX) {
        msg_err("%s: not a regular file of at most 1 MiB", f->path);
        close(fd);
        return -1;
    }
    f->text = malloc((size_t)st.st_size + 1);
    if (f->text == NULL) {
        msg_errno("%s", f->path);
        close(fd);
        return -1;
    }
    n = io_read_full(fd, f->text, (size_t)st.st_size);
    close(fd);
    if (n < 0) {
        msg_errno("%s", f->path);
        return -1;
    }
    f->len = (size_t)n;
    f->text[f->len] = '\0';
    while (off < f->len) {
        char line[512], name[KV_NAME_MAX], fp[FP_BUFLEN], hex[65], want[FP_BUFLEN];
        char *nl = memchr(f->text + off, '\n', f->len - off);
        size_t ll = nl ? (size_t)(nl - (f->text + off)) + 1 : f->len - off;
        size_t content = nl ? ll - 1 : ll;
        char *p;
        struct kv_entry *e;

        lineno++;
        if (content >= sizeof(line)) {
            msg_err("%s:%zu: line too long", f->path, lineno);
            return -1;
        }
        memcpy(line, f->text + off, content);
        line[content] = '\0';
        p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#' || *p == '\r') {
            off += ll;
            continue;
        }
        if (f->n == KV_MAX) {
            msg_err("%s: more than %d entries", f->path, KV_MAX);
            return -1;
        }
        e = &f->e[f->n];
        if (sscanf(p, "%63s %50s %64s", name, fp, hex) != 3 || strlen(hex) != 64 ||
            !kv_name_valid(name) || !fp_valid(fp) || hex_decode(e->pub, 32, hex) < 0) {
            msg_err("%s:%zu: malformed line (expected \"NAME SHA256:<fingerprint> <64 hex>\")",
                    f->path, lineno);
            return -1;
        }
        fp_vmm(want, e->pub);
        if (strcmp(fp, want) != 0) {
            msg_err("%s:%zu: the fingerprint does not match the key on that line",
                    f->path, lineno);
            return -1;
        }
        memcpy(e->name, name, sizeof(name));
        e->line_off = off;
        e->line_len = ll;
        f->n++;
        off += ll;
    }
    return 0;
}

static void kv_free(struct kv_file *f)
{
    free(f->text);
    f->text = NULL;
}

static struct kv_entry *kv_find(struct kv_file *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (strcmp(f->e[i].name, name) == 0)
            return &f->e[i];
    return NULL;
}

int kv_select(const char *name, uint8_t pub[32], char chosen[KV_NAME_MAX])
{
    static struct kv_file f;
    struct kv_entry *e = NULL;
    const char *env = getenv("SCCRYPT_VMM");
    int rc = -1;

    if (name == NULL && env != NULL && env[0] != '\0')
        name = env;
    if (name != NULL && !kv_name_valid(name)) {
        msg_err("%s: not a valid VMM name (letters, digits, '.', '_' and '-')", name);
        return -1;
    }
    if (kv_load(&f, 0) < 0)
        goto out;
    if (name != NULL) {
        e = kv_find(&f, name);
        if (e == NULL) {
            msg_err("no known VMM named %s in %s; run sc-keygen --seal --name %s", name,
                    f.path, name);
            goto out;
        }
    } else if (f.n == 1) {
        e = &f.e[0];
    } else if (f.n == 0) {
        msg_err("no known VMM; run sc-keygen --seal");
        goto out;
    } else {
        e = kv_find(&f, "default");
        if (e == NULL) {
            msg_err("%s names several VMMs and none is \"default\": choose one with -V NAME",
                    f.path);
            goto out;
        }
    }
    memcpy(pub, e->pub, 32);
    memcpy(chosen, e->name, KV_NAME_MAX);
    rc = 0;
out:
    kv_free(&f);
    return rc;
}

int kv_record(const char *name, const uint8_t pub[32], int replace)
{
    static struct kv_file f;
    struct kv_entry *e;
    char line[KV_NAME_MAX + FP_BUFLEN + 66 + 2], hex[65], fp[FP_BUFLEN];
    char tmp[CL_PATH_MAX];
    size_t ll;
    int fd = -1, rc = -1, n;

    if (kv_load(&f, 1) < 0)
        goto out;
    e = kv_find(&f, name);
    if (e != NULL && memcmp(e->pub, pub, 32) == 0) {
        rc = 0;
        goto out;
    }
    if (e != NULL && !replace) {
        fp_vmm(fp, e->pub);
        msg_err("%s already pins another key for the VMM named %s (%s): refusing it; if the "
                "provider really changed the VMM key, check the new fingerprint outside dom0 "
                "and use --replace", f.path, name, fp);
        rc = 1;
        goto out;
    }
    fp_vmm(fp, pub);
    hex_encode(hex, pub, 32);
    n = snprintf(line, sizeof(line), "%s %s %s\n", name, fp, hex);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        msg_err("%s: name too long", name);
        goto out;
    }
    ll = (size_t)n;
    n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", f.path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        msg_err("%s: path too long", f.path);
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        msg_errno("cannot create %s", tmp);
        goto out;
    }
    if (fchmod(fd, 0644) < 0)
        goto werr;
    if (e != NULL) {
        /* Replace that line in place, keep the rest verbatim. */
        if (io_write_all(fd, f.text, e->line_off) < 0 ||
            io_write_all(fd, line, ll) < 0 ||
            io_write_all(fd, f.text + e->line_off + e->line_len,
                         f.len - e->line_off - e->line_len) < 0)
            goto werr;
    } else {
        if (io_write_all(fd, f.text ? f.text : "", f.len) < 0)
            goto werr;
        if (f.len > 0 && f.text[f.len - 1] != '\n' && io_write_all(fd, "\n", 1) < 0)
            goto werr;
        if (io_write_all(fd, line, ll) < 0)
            goto werr;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        goto werr;
    }
    fd = -1;
    if (rename(tmp, f.path) < 0) {
        msg_errno("cannot replace %s", f.path);
        unlink(tmp);
        goto out;
    }
    rc = 0;
    goto out;
werr:
    msg_errno("%s", tmp);
    if (fd >= 0)
        close(fd);
    unlink(tmp);
out:
    kv_free(&f);
    return rc;
}
