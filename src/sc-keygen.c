/* SPDX-License-Identifier: MIT */
/*
 * sc-keygen: makes the user's console key, prints fingerprints, pins a VMM
 * key, seals the key to a VMM in a bind request, and checks and records the
 * VMM's answer to it (sc-keygen(1), sccrypt(7)).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sc_proto.h"
#include "io.h"
#include "level.h"
#include "client/fingerprint.h"
#include "client/instances.h"
#include "client/keyfile.h"
#include "client/known_vmms.h"
#include "client/msg.h"
#include "client/ossl_crypto.h"
#include "text.h"

#define EXIT_INTEGRITY  1
#define EXIT_USAGE      2

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sc-keygen [-f] [-k FILE]              make a console key, print its fingerprint\n"
        "       sc-keygen -l [-k FILE]                print the key's fingerprint\n"
        "       sc-keygen --vmm-fingerprint FILE|-    print a VMM public key's fingerprint\n"
        "       sc-keygen --pin VMMPUB|- --expect FINGERPRINT [--name NAME] [--replace]\n"
        "                                             pin a VMM key (no bind request)\n"
        "       sc-keygen --seal VMMPUB|- --expect FINGERPRINT --domain UUID|GUEST\n"
        "                 --challenge FILE|HEX [--require LEVEL] [--name NAME] [--replace]\n"
        "                 [-k FILE] [-o OUT]\n"
        "                                             write a bind request sealed to the VMM\n"
        "       sc-keygen --bound REQUEST [--guest GUEST] [--name NAME] [-k FILE] [ANSWER|-]\n"
        "                                             check and record the VMM's bind answer\n"
        "       sc-keygen -h | --version\n");
}

enum { OPT_VMMFP = 256, OPT_SEAL, OPT_EXPECT, OPT_DOMAIN, OPT_NAME, OPT_REPLACE, OPT_VERSION,
       OPT_PIN, OPT_BOUND, OPT_GUEST, OPT_CHALLENGE, OPT_REQUIRE };

static const struct option longopts[] = {
    { "force", no_argument, NULL, 'f' },
    { "key", required_argument, NULL, 'k' },
    { "fingerprint", no_argument, NULL, 'l' },
    { "output", required_argument, NULL, 'o' },
    { "vmm-fingerprint", required_argument, NULL, OPT_VMMFP },
    { "seal", required_argument, NULL, OPT_SEAL },
    { "expect", required_argument, NULL, OPT_EXPECT },
    { "domain", required_argument, NULL, OPT_DOMAIN },
    { "name", required_argument, NULL, OPT_NAME },
    { "replace", no_argument, NULL, OPT_REPLACE },
    { "pin", required_argument, NULL, OPT_PIN },
    { "bound", required_argument, NULL, OPT_BOUND },
    { "guest", required_argument, NULL, OPT_GUEST },
    { "challenge", required_argument, NULL, OPT_CHALLENGE },
    { "require", required_argument, NULL, OPT_REQUIRE },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/*
 * --challenge: 32 hex digits, or a file ("-": stdin) holding the line
 * "sccrypt-challenge-v1 HEX" as sc-relay --challenge prints it (after the
 * VMM key's line, with --vmm-key).
 */
#define CHALLENGE_TAG   "sccrypt-challenge-v1 "

static int challenge_read(const char *arg, uint8_t chal[SC_CHALLENGE_LEN])
{
    char buf[512];
    const char *p;
    ssize_t n;
    int fd;

    if (strlen(arg) == 2 * SC_CHALLENGE_LEN && hex_decode(chal, SC_CHALLENGE_LEN, arg) == 0)
        return 0;
    fd = strcmp(arg, "-") == 0 ? 0 : open(arg, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        msg_errno("%s (--challenge: a file or 32 hex digits)", arg);
        return -1;
    }
    n = io_read_full(fd, buf, sizeof(buf) - 1);
    if (n < 0)
        msg_errno("%s", arg);
    if (fd != 0)
        close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    p = strstr(buf, CHALLENGE_TAG);
    if (p == NULL || (p != buf && p[-1] != '\n') ||
        strspn(p + strlen(CHALLENGE_TAG), "0123456789abcdefABCDEF") != 2 * SC_CHALLENGE_LEN ||
        hex_decode(chal, SC_CHALLENGE_LEN, p + strlen(CHALLENGE_TAG)) < 0) {
        msg_err("%s: no bind challenge (expected a line \"" CHALLENGE_TAG "<32 hex>\", as "
                "sc-relay --challenge GUEST prints it)", arg);
        return -1;
    }
    return 0;
}

static int write_request(const char *out, const uint8_t req[SC_BIND_LEN])
{
    int fd = 1;

    if (out != NULL && strcmp(out, "-") != 0) {
        struct stat st;

        /* Non-blocking and checked before truncating: a FIFO or device planted there is refused. */
        fd = open(out, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);
        if (fd < 0 && errno == ENXIO) {
            msg_err("%s: not a regular file; refusing to write the bind request there", out);
            return -1;
        }
        if (fd < 0) {
            msg_errno("cannot create %s", out);
            return -1;
        }
        if (fstat(fd, &st) < 0) {
            msg_errno("%s", out);
            close(fd);
            return -1;
        }
        if (!S_ISREG(st.st_mode)) {
            msg_err("%s: not a regular file; refusing to write the bind request there", out);
            close(fd);
            return -1;
        }
        if (st.st_uid != geteuid()) {
            msg_err("%s: owned by another user; refusing to write the bind request there", out);
            close(fd);
            return -1;
        }
        if (ftruncate(fd, 0) < 0) {
            msg_errno("%s", out);
            close(fd);
            return -1;
        }
    }
    if (io_write_all(fd, req, SC_BIND_LEN) < 0) {
        msg_errno("%s", fd == 1 ? "standard output" : out);
        if (fd != 1)
            close(fd);
        return -1;
    }
    if (fd != 1 && close(fd) < 0) {
        msg_errno("%s", out);
        return -1;
    }
    return 0;
}

#define BOUND_TAG   "sccrypt-bound-v1 "

/* A whole small file (at most cap bytes; more is an error): its length, or -1 said why. */
static ssize_t read_small(const char *file, uint8_t *buf, size_t cap)
{
    int fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_NOCTTY);
    ssize_t n;

    if (fd < 0) {
        msg_errno("%s", file);
        return -1;
    }
    n = io_read_full(fd, buf, cap);
    if (n < 0)
        msg_errno("%s", fd == 0 ? "stdin" : file);
    if (fd != 0)
        close(fd);
    if (n == (ssize_t)cap) {
        msg_err("%s: longer than expected", fd == 0 ? "stdin" : file);
        return -1;
    }
    return n;
}

/*
 * --bound REQUEST: the relay's line "sccrypt-bound-v1 HEX" (sc-relay --bind
 * prints it) checked against the request and the key, and its domain and
 * instance recorded, so the first session is not taken for an impostor.
 */
static int do_bound(const char *reqfile, const char *ansfile, const char *vname,
                    const char *guest, const uint8_t key[SC_KEY_LEN])
{
    uint8_t req[SC_BIND_LEN + 1], ans[SC_BOUND_LEN], pub[SC_PUB_LEN];
    char line[256], vmm[KV_NAME_MAX], keyfp[FP_BUFLEN];
    char us[37], ih[33], lt[LEVEL_TEXT_MAX];
    struct sc_identity id;
    ssize_t n;
    size_t l;
    int r;

    n = read_small(reqfile, req, sizeof(req));
    if (n < 0)
        return EXIT_USAGE;
    if (n != SC_BIND_LEN) {
        msg_err("%s: not a bind request (sc-keygen --seal)", reqfile);
        return EXIT_USAGE;
    }
    n = read_small(ansfile, (uint8_t *)line, sizeof(line) - 1);
    if (n < 0)
        return EXIT_USAGE;
    line[n] = '\0';
    l = strlen(line);
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
        line[--l] = '\0';
    if (l == 0) {
        msg_err("no bind answer on %s: the bind failed, or the VMM sends none (an older "
                "one); nothing recorded", strcmp(ansfile, "-") == 0 ? "stdin" : ansfile);
        return EXIT_USAGE;
    }
    if (strncmp(line, BOUND_TAG, strlen(BOUND_TAG)) != 0 ||
        strlen(line + strlen(BOUND_TAG)) != 2 * SC_BOUND_LEN ||
        hex_decode(ans, SC_BOUND_LEN, line + strlen(BOUND_TAG)) < 0) {
        msg_err("not a bind answer (sc-relay --bind prints one line \"" BOUND_TAG
                "HEX\"); nothing recorded");
        return EXIT_INTEGRITY;
    }
    if (kv_select(vname, pub, vmm) < 0)
        return EXIT_USAGE;
    r = sc_bound_check(&sc_ossl_crypto, ans, SC_BOUND_LEN, req, SC_BIND_LEN, key, pub, &id);
    if (r < 0) {
        msg_err("the bind answer failed authentication (%s): not the VMM's answer to this "
                "request under this key (forged or replayed by dom0, or another request, key "
                "or VMM); nothing recorded", sc_strerror(-r));
        return EXIT_INTEGRITY;
    }
    fp_key(keyfp, key);
    if (inst_record(keyfp, vmm, id.uuid, id.instance, guest) < 0)
        return EXIT_USAGE;
    uuid_format(us, id.uuid);
    hex_encode(ih, id.instance, 16);
    msg_err("VMM %s bound domain %lu uuid %s%s%s instance %s to key %s; recorded", vmm,
            (unsigned long)id.domid, us, guest ? " as " : "", guest ? guest : "", ih, keyfp);
    level_describe(lt, sizeof(lt), &id.level);
    msg_err("seal level: %s", lt);
    return 0;
}

int main(int argc, char **argv)
{
    const char *kopt = NULL, *out = NULL, *vmmfp = NULL, *seal = NULL, *expect = NULL;
    const char *domain = NULL, *name = NULL, *pin = NULL, *bound = NULL, *guest = NULL;
    const char *chalopt = NULL, *ropt = NULL;
    uint8_t chal[SC_CHALLENGE_LEN];
    struct sc_level least;
    char lw[LEVEL_TEXT_MAX];
    int force = 0, list = 0, replace = 0, c, rc = EXIT_USAGE, is_default, r;
    char path[CL_PATH_MAX], fp[FP_BUFLEN], want[FP_BUFLEN];
    uint8_t key[SC_KEY_LEN], pub[SC_PUB_LEN], uuid[SC_UUID_LEN], eph[32];
    uint8_t req[SC_BIND_LEN];

    msg_init("sc-keygen");
    while ((c = getopt_long(argc, argv, "fk:lo:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': force = 1; break;
        case 'k': kopt = optarg; break;
        case 'l': list = 1; break;
        case 'o': out = optarg; break;
        case OPT_VMMFP: vmmfp = optarg; break;
        case OPT_SEAL: seal = optarg; break;
        case OPT_EXPECT: expect = optarg; break;
        case OPT_DOMAIN: domain = optarg; break;
        case OPT_NAME: name = optarg; break;
        case OPT_REPLACE: replace = 1; break;
        case OPT_PIN: pin = optarg; break;
        case OPT_BOUND: bound = optarg; break;
        case OPT_GUEST: guest = optarg; break;
        case OPT_CHALLENGE: chalopt = optarg; break;
        case OPT_REQUIRE: ropt = optarg; break;
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: printf("sc-keygen %s\n", SC_VERSION); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc && !(bound && optind + 1 == argc)) {
        msg_err("unexpected argument: %s", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if ((list != 0) + (vmmfp != NULL) + (seal != NULL) + (pin != NULL) + (bound != NULL) > 1 ||
        ((list || vmmfp || pin || bound) && force)) {
        msg_err("-l, --vmm-fingerprint, --pin, --seal, --bound and -f do not go together");
        return EXIT_USAGE;
    }
    if (seal == NULL && pin == NULL && (expect || replace)) {
        msg_err("--expect and --replace go with --seal or --pin");
        return EXIT_USAGE;
    }
    if ((seal == NULL || pin != NULL) && (domain || out || chalopt || ropt)) {
        msg_err("--domain, --challenge, --require and -o go with --seal");
        return EXIT_USAGE;
    }
    if (seal == NULL && pin == NULL && bound == NULL && name) {
        msg_err("--name goes with --seal, --pin or --bound");
        return EXIT_USAGE;
    }
    if (bound == NULL && guest) {
        msg_err("--guest goes with --bound");
        return EXIT_USAGE;
    }
    if (guest && !inst_name_valid(guest)) {
        msg_err("%s: not a valid guest name (letters, digits, '.', '_', '@', '+' and '-')",
                guest);
        return EXIT_USAGE;
    }
    if (pin != NULL)
        seal = pin;                 /* the same checks, then only the pin */

    /* --vmm-fingerprint: no key involved. */
    if (vmmfp != NULL) {
        if (vmmpub_read(vmmfp, pub) < 0)
            return EXIT_USAGE;
        fp_vmm(fp, pub);
        printf("%s\n", fp);
        return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
    }

    if (seal != NULL) {
        if (expect == NULL) {
            msg_err("--seal needs --expect FINGERPRINT: the VMM key's fingerprint as the "
                    "provider published it (not as dom0 printed it)");
            return EXIT_USAGE;
        }
        if (domain == NULL && pin == NULL) {
            msg_err("--seal needs --domain UUID: the UUID of the domain to bind");
            return EXIT_USAGE;
        }
        if (pin == NULL && chalopt == NULL) {
            msg_err("--seal needs --challenge FILE|HEX: the domain's current bind challenge "
                    "(sc-relay --challenge GUEST prints it)");
            return EXIT_USAGE;
        }
        if (pin == NULL && challenge_read(chalopt, chal) < 0)
            return EXIT_USAGE;
        if (pin == NULL && level_default("sc-keygen", ropt, &least) < 0)
            return EXIT_USAGE;
        if (strncmp(expect, "SHA256:", 7) != 0)
            r = snprintf(want, sizeof(want), "SHA256:%s", expect);
        else
            r = snprintf(want, sizeof(want), "%s", expect);
        if (r < 0 || (size_t)r >= sizeof(want) || !fp_valid(want)) {
            msg_err("%s: not a VMM key fingerprint (SHA256: and 43 base64 characters)", expect);
            return EXIT_USAGE;
        }
        if (domain && uuid_parse(uuid, domain) < 0 && !inst_name_valid(domain)) {
            msg_err("%s: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or a guest name",
                    domain);
            return EXIT_USAGE;
        }
        if (name == NULL)
            name = "default";
        if (!kv_name_valid(name)) {
            msg_err("%s: not a valid VMM name (letters, digits, '.', '_' and '-')", name);
            return EXIT_USAGE;
        }
        if (pin == NULL && (out == NULL || strcmp(out, "-") == 0) && isatty(1)) {
            msg_err("refusing to write the binary bind request to a terminal; "
                    "use -o FILE or redirect standard output");
            return EXIT_USAGE;
        }
    }

    if (key_path(path, sizeof(path), kopt, &is_default) < 0)
        return EXIT_USAGE;

    if (bound != NULL) {
        if (key_load(path, key) < 0)
            goto out;
        rc = do_bound(bound, optind < argc ? argv[optind] : "-", name, guest, key);
        goto out;
    }

    if (list) {
        if (key_load(path, key) < 0)
            goto out;
        fp_key(fp, key);
        printf("%s\n", fp);
        rc = fflush(stdout) == 0 ? 0 : EXIT_USAGE;
        goto out;
    }

    if (seal != NULL) {
        if (vmmpub_read(seal, pub) < 0)
            goto out;
        fp_vmm(fp, pub);
        if (strcmp(fp, want) != 0) {
            msg_err("the VMM key's fingerprint %s is not the expected %s: refusing to seal "
                    "(dom0 may be handing out a key of its own)", fp, want);
            rc = EXIT_INTEGRITY;
            goto out;
        }
        if (pin == NULL && key_load(path, key) < 0)
            goto out;
        r = kv_record(name, pub, replace);
        if (r != 0) {
            rc = r > 0 ? EXIT_INTEGRITY : EXIT_USAGE;
            goto out;
        }
        if (pin != NULL) {
            msg_err("pinned VMM %s (%s)", name, fp);
            rc = 0;
            goto out;
        }
        if (uuid_parse(uuid, domain) < 0) {
            /* A guest bound by name before (sc-keygen --bound --guest): its UUID. */
            fp_key(want, key);
            if (inst_find(want, name, domain, uuid) != 0)
                goto out;
        }
        if (sc_ossl_random(eph, sizeof(eph)) < 0) {
            msg_err("no random bytes from OpenSSL");
            goto out;
        }
        r = sc_bind_seal_level(&sc_ossl_crypto, req, key, uuid, pub, eph, chal, &least);
        if (r < 0) {
            msg_err("cannot seal the bind request: %s", sc_strerror(-r));
            rc = r == -SC_EAUTH ? EXIT_INTEGRITY : EXIT_USAGE;
            goto out;
        }
        if (write_request(out, req) < 0)
            goto out;
        fp_key(want, key);
        level_words(lw, sizeof(lw), &least);
        msg_err("bind request for domain %s: key %s sealed to VMM %s (%s), least seal level "
                "%s", domain, want, name, fp, lw);
        rc = 0;
        goto out;
    }

    /* Make a key. */
    if (is_default && cl_mkdirs_for(path) < 0)
        goto out;
    if (sc_ossl_random(key, sizeof(key)) < 0) {
        msg_err("no random bytes from OpenSSL");
        goto out;
    }
    if (key_save(path, key, force) < 0)
        goto out;
    fp_key(fp, key);
    msg_err("wrote the console key to %s", path);
    printf("%s\n", fp);
    rc = fflush(stdout) == 0 ? 0 : EXIT_USAGE;
out:
    cl_wipe(key, sizeof(key));
    cl_wipe(eph, sizeof(eph));
    cl_wipe(req, sizeof(req));
    return rc;
}
