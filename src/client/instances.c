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
#include "instances.h"
#include "msg.h"
#include "text.h"

#define INST_FILE_MAX (1 << 20)

int inst_check(const char *keyfp, const char *vmm, const uint8_t uuid[16],
               const uint8_t instance[16], uint8_t prev[16], int accept)
{
    char path[CL_PATH_MAX], tmp[CL_PATH_MAX], us[37], ih[33], line[256];
    char *text = NULL, *out = NULL;
    size_t len = 0, off = 0, olen = 0;
    struct stat st;
    int fd, rc = -1, result = INST_NEW, n;

    if (cl_state_path(path, sizeof(path), "instances", 1) < 0)
        return -1;
    uuid_format(us, uuid);
    hex_encode(ih, instance, 16);
    fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > INST_FILE_MAX) {
            msg_err("%s: not a regular file of at most 1 MiB", path);
            close(fd);
            return -1;
        }
        text = malloc((size_t)st.st_size + 1);
        if (text == NULL || io_read_full(fd, text, (size_t)st.st_size) != st.st_size) {
            msg_errno("%s", path);
            close(fd);
            goto out;
        }
        len = (size_t)st.st_size;
        text[len] = '\0';
        close(fd);
    } else if (errno != ENOENT) {
        msg_errno("%s", path);
        return -1;
    }
    out = malloc(len + sizeof(line) + 1);
    if (out == NULL) {
        msg_errno("%s", path);
        goto out;
    }
    /* Copy every line except ours; note what ours said. */
    while (off < len) {
        char *nl = memchr(text + off, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - (text + off)) + 1 : len - off;
        char f1[FP_BUFLEN + 1], f2[80], f3[40], f4[40];
        char cur[256];
        size_t cl = ll < sizeof(cur) ? ll : sizeof(cur) - 1;

        memcpy(cur, text + off, cl);
        cur[cl] = '\0';
        if (sscanf(cur, "%51s %79s %39s %39s", f1, f2, f3, f4) == 4 &&
            strcmp(f1, keyfp) == 0 && strcmp(f2, vmm) == 0 && strcmp(f3, us) == 0) {
            if (strlen(f4) == 32 && hex_decode(prev, 16, f4) == 0)
                result = memcmp(prev, instance, 16) == 0 ? INST_SAME : INST_CHANGED;
        } else {
            memcpy(out + olen, text + off, ll);
            olen += ll;
            if (text[off + ll - 1] != '\n')
                out[olen++] = '\n';
        }
        off += ll;
    }
    if (result == INST_SAME || (result == INST_CHANGED && !accept)) {
        rc = result;                /* nothing to record */
        goto out;
    }
    n = snprintf(line, sizeof(line), "%s %s %s %s\n", keyfp, vmm, us, ih);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        msg_err("%s: entry too long", path);
        goto out;
    }
    memcpy(out + olen, line, (size_t)n);
    olen += (size_t)n;
    n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        msg_err("%s: path too long", path);
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        msg_errno("cannot create %s", tmp);
        goto out;
    }
    if (io_write_all(fd, out, olen) < 0) {
        msg_errno("%s", tmp);
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd) < 0) {
        msg_errno("%s", tmp);
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        msg_errno("cannot replace %s", path);
        unlink(tmp);
        goto out;
    }
    rc = result;
out:
    free(text);
    free(out);
    return rc;
}
