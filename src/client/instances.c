/* SPDX-License-Identifier: MIT */
/*
 * The instances file (instances.h): one line per (key, VMM, domain),
 * "KEY-FINGERPRINT VMM-NAME UUID INSTANCE-HEX [GUEST-NAME]".  Read whole,
 * changed in memory, written whole to a temporary file and renamed over it.
 * Lines this code does not understand are kept as they are.
 */
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
#include "instances.h"
#include "msg.h"
#include "text.h"

#define INST_FILE_MAX (1 << 20)

struct ifile {
    char path[CL_PATH_MAX];
    char *text;                     /* the file, NUL-terminated */
    size_t len;
};

/* One entry's fields, parsed from a line (0) or not an entry of ours (-1). */
struct ient {
    char fp[FP_BUFLEN + 1], vmm[80], uuid[40], inst[40], name[INST_NAME_MAX + 1];
};

static int ient_parse(struct ient *e, const char *line, size_t ll)
{
    char cur[512];
    int n;

    if (ll >= sizeof(cur))
        return -1;
    memcpy(cur, line, ll);
    cur[ll] = '\0';
    e->name[0] = '\0';
    n = sscanf(cur, "%51s %79s %39s %39s %63s", e->fp, e->vmm, e->uuid, e->inst, e->name);
    return n == 4 || n == 5 ? 0 : -1;
}

static int ifile_load(struct ifile *f)
{
    struct stat st;
    int fd;

    f->text = NULL;
    f->len = 0;
    if (cl_state_path(f->path, sizeof(f->path), "instances", 1) < 0)
        return -1;
    fd = open(f->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT) {
            msg_errno("%s", f->path);
            return -1;
        }
        f->text = calloc(1, 1);
        if (!f->text) {
            msg_errno("%s", f->path);
            return -1;
        }
        return 0;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > INST_FILE_MAX) {
        msg_err("%s: not a regular file of at most 1 MiB", f->path);
        close(fd);
        return -1;
    }
    f->text = malloc((size_t)st.st_size + 1);
    if (f->text == NULL || io_read_full(fd, f->text, (size_t)st.st_size) != st.st_size) {
        msg_errno("%s", f->path);
        close(fd);
        free(f->text);
        f->text = NULL;
        return -1;
    }
    close(fd);
    f->len = (size_t)st.st_size;
    f->text[f->len] = '\0';
    return 0;
}

static int ifile_save(struct ifile *f, const char *out, size_t olen)
{
    char tmp[CL_PATH_MAX];
    int fd, n;

    n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", f->path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        msg_err("%s: path too long", f->path);
        return -1;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        msg_errno("cannot create %s", tmp);
        return -1;
    }
    if (io_write_all(fd, out, olen) < 0) {
        msg_errno("%s", tmp);
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0) {
        msg_errno("%s", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, f->path) < 0) {
        msg_errno("cannot replace %s", f->path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/*
 * Rewrites the file with (keyfp, vmm, uuid) set to instance and name (name
 * NULL: keep the entry's own), dropping name from every other entry of
 * (keyfp, vmm): a name names one domain.  *result and prev say what the entry held.
 */
static int update(const char *keyfp, const char *vmm, const char *us, const char *ih,
                  const char *name, int only_if_changed_ok, int accept, int *result,
                  uint8_t prev[16])
{
    struct ifile f;
    char *out = NULL, line[512], keep[INST_NAME_MAX + 1] = "";
    size_t off = 0, olen = 0;
    int rc = -1, n;

    *result = INST_NEW;
    if (ifile_load(&f) < 0)
        return -1;
    out = malloc(f.len + sizeof(line) + 1);
    if (out == NULL) {
        msg_errno("%s", f.path);
        goto out;
    }
    while (off < f.len) {
        char *nl = memchr(f.text + off, '\n', f.len - off);
        size_t ll = nl ? (size_t)(nl - (f.text + off)) + 1 : f.len - off;
        struct ient e;
        int ours = ient_parse(&e, f.text + off, ll) == 0 && strcmp(e.fp, keyfp) == 0 &&
                   strcmp(e.vmm, vmm) == 0;

        if (ours && strcmp(e.uuid, us) == 0) {
            if (prev && strlen(e.inst) == 32 && hex_decode(prev, 16, e.inst) == 0)
                *result = strcmp(e.inst, ih) == 0 ? INST_SAME : INST_CHANGED;
            snprintf(keep, sizeof(keep), "%s", e.name);
        } else if (ours && name && *name && strcmp(e.name, name) == 0) {
            n = snprintf(line, sizeof(line), "%s %s %s %s\n", e.fp, e.vmm, e.uuid, e.inst);
            if (n < 0 || (size_t)n >= sizeof(line))
                goto out;
            memcpy(out + olen, line, (size_t)n);
            olen += (size_t)n;
        } else {
            memcpy(out + olen, f.text + off, ll);
            olen += ll;
            if (f.text[off + ll - 1] != '\n')
                out[olen++] = '\n';
        }
        off += ll;
    }
    if (only_if_changed_ok &&
        (*result == INST_SAME || (*result == INST_CHANGED && !accept))) {
        rc = 0;                     /* nothing to record */
        goto out;
    }
    if (name && *name)
        snprintf(keep, sizeof(keep), "%s", name);
    n = snprintf(line, sizeof(line), "%s %s %s %s%s%s\n", keyfp, vmm, us, ih,
                 keep[0] ? " " : "", keep);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        msg_err("%s: entry too long", f.path);
        goto out;
    }
    memcpy(out + olen, line, (size_t)n);
    olen += (size_t)n;
    rc = ifile_save(&f, out, olen);
out:
    free(f.text);
    free(out);
    return rc;
}

int inst_check(const char *keyfp, const char *vmm, const uint8_t uuid[16],
               const uint8_t instance[16], uint8_t prev[16], int accept)
{
    char us[37], ih[33];
    int result;

    uuid_format(us, uuid);
    hex_encode(ih, instance, 16);
    if (update(keyfp, vmm, us, ih, NULL, 1, accept, &result, prev) < 0)
        return -1;
    return result;
}

int inst_record(const char *keyfp, const char *vmm, const uint8_t uuid[16],
                const uint8_t instance[16], const char *name)
{
    char us[37], ih[33];
    uint8_t prev[16];
    int result;

    if (name && *name && !inst_name_valid(name)) {
        msg_err("%s: not a valid guest name (letters, digits, '.', '_', '@', '+' and '-')",
                name);
        return -1;
    }
    uuid_format(us, uuid);
    hex_encode(ih, instance, 16);
    return update(keyfp, vmm, us, ih, name, 0, 1, &result, prev);
}

int inst_name_valid(const char *s)
{
    return name_valid(s, INST_NAME_MAX);
}

int inst_find(const char *keyfp, const char *vmm, const char *guest, uint8_t uuid[16])
{
    struct ifile f;
    size_t off = 0;
    int found = 0;

    if (strlen(guest) == 36 && uuid_parse(uuid, guest) == 0)
        return 0;
    if (!inst_name_valid(guest)) {
        msg_err("%s: not a guest name or UUID", guest);
        return -1;
    }
    if (ifile_load(&f) < 0)
        return -1;
    while (off < f.len) {
        char *nl = memchr(f.text + off, '\n', f.len - off);
        size_t ll = nl ? (size_t)(nl - (f.text + off)) + 1 : f.len - off;
        struct ient e;

        if (ient_parse(&e, f.text + off, ll) == 0 && strcmp(e.fp, keyfp) == 0 &&
            strcmp(e.vmm, vmm) == 0 && strcmp(e.name, guest) == 0 &&
            uuid_parse(uuid, e.uuid) == 0)
            found = 1;
        off += ll;
    }
    free(f.text);
    if (!found)
        msg_err("no guest %s bound with this key at VMM %s (%s): bind it by name first "
                "(sc-console --bind HOST %s --uuid UUID, or sc-keygen --bound), or name it "
                "by its UUID", guest, vmm, f.path, guest);
    return found ? 0 : 1;
}
