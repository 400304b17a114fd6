/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the files the client tools parse, and the VMM key text
 * that comes from dom0 (sc-relay --vmm-key).  The first byte picks:
 *   0  the console key file (key_load)
 *   1  the known-VMMs file (kv_select, by default and by name)
 *   2  the instances file (inst_check, which also rewrites it)
 *   3  the VMM public key text (vmmpub_parse)
 * The file is written with mode 0600 in a private directory made at start
 * ($XDG_CONFIG_HOME and $XDG_STATE_HOME point there).  The tools' messages
 * are stubbed out here (msg.c is not linked): only the parsers run.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instances.h"
#include "keyfile.h"
#include "known_vmms.h"
#include "msg.h"

/* The tools' message functions, silenced. */
void msg_init(const char *prog) { (void)prog; }
const char *msg_prog(void) { return "fuzz"; }
void msg_err(const char *fmt, ...) { (void)fmt; }
void msg_errno(const char *fmt, ...) { (void)fmt; }
void cl_wipe(void *p, size_t len) { explicit_bzero(p, len); }

static char keyp[4096], kvp[4096], instp[4096];
static int ready;

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    char tmpl[4096], sub[4096], *dir;

    snprintf(tmpl, sizeof(tmpl), "%s/sc-fuzz-files-XXXXXX", t && *t == '/' ? t : "/tmp");
    dir = mkdtemp(tmpl);
    if ( dir == NULL )
        abort();
    snprintf(sub, sizeof(sub), "%s/cfg/sccrypt", dir);
    snprintf(keyp, sizeof(keyp), "%s/cfg", dir);
    mkdir(keyp, 0700);
    mkdir(sub, 0700);
    snprintf(keyp, sizeof(keyp), "%s/state", dir);
    mkdir(keyp, 0700);
    snprintf(keyp, sizeof(keyp), "%s/state/sccrypt", dir);
    mkdir(keyp, 0700);
    snprintf(keyp, sizeof(keyp), "%s/cfg", dir);
    setenv("XDG_CONFIG_HOME", keyp, 1);
    snprintf(keyp, sizeof(keyp), "%s/state", dir);
    setenv("XDG_STATE_HOME", keyp, 1);
    snprintf(keyp, sizeof(keyp), "%s/cfg/sccrypt/key", dir);
    snprintf(kvp, sizeof(kvp), "%s/cfg/sccrypt/known_vmms", dir);
    snprintf(instp, sizeof(instp), "%s/state/sccrypt/instances", dir);
    ready = 1;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if ( fd < 0 || (n && write(fd, p, n) != (ssize_t)n) || close(fd) < 0 )
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
    static const uint8_t uuid[16] = { 1, 2, 3 }, inst[16] = { 4, 5, 6 };
    uint8_t k[32], pub[32], prev[16];
    char chosen[KV_NAME_MAX], text[512];
    int r;

    if ( !ready )
        setup();
    if ( n < 1 )
        return 0;
    switch ( p[0] % 4 )
    {
    case 0:
        put(keyp, p + 1, n - 1);
        (void)key_load(keyp, k);
        break;
    case 1:
        put(kvp, p + 1, n - 1);
        r = kv_select(NULL, pub, chosen);
        if ( r == 0 && (strlen(chosen) == 0 || !kv_name_valid(chosen)) )
            abort();
        (void)kv_select("default", pub, chosen);
        (void)kv_select("b", pub, chosen);
        break;
    case 2:
        put(instp, p + 1, n - 1);
        r = inst_check("SHA256:fuzzkey", "default", uuid, inst, prev, 0);
        if ( r != -1 && r != INST_NEW && r != INST_SAME && r != INST_CHANGED )
            abort();
        /* another instance, not accepted: nothing recorded, still another one */
        if ( r == INST_CHANGED &&
             inst_check("SHA256:fuzzkey", "default", uuid, inst, prev, 0) != INST_CHANGED )
            abort();
        r = inst_check("SHA256:fuzzkey", "default", uuid, inst, prev, 1);
        if ( r != -1 && r != INST_NEW && r != INST_SAME && r != INST_CHANGED )
            abort();
        /* what it wrote back (accepted) must read as the same instance now */
        if ( r >= 0 && inst_check("SHA256:fuzzkey", "default", uuid, inst, prev, 0) != INST_SAME )
            abort();
        break;
    default:
        if ( n - 1 < sizeof(text) )
        {
            memcpy(text, p + 1, n - 1);
            (void)vmmpub_parse(pub, text, n - 1);
        }
        break;
    }
    return 0;
}
