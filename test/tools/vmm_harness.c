/* SPDX-License-Identifier: MIT */
/*
 * vmm_harness: the VMM engine (src/core, sc_vmm.h, on the core's own
 * crypto) hosted in-process for end-to-end tests of the real sc-enc and
 * sc-dec, before or without the simulator:
 *
 *     sc-enc | vmm_harness run ... | sc-dec
 *
 * stdin carries the input stream (hello, then records), stdout the output
 * stream (answer, then records).  The "guest" behind the console ring
 * echoes what it receives (optionally upper-cased) and logs it to a file.
 *
 *   vmm_harness pub SECRET-HEX
 *       prints the VMM public key ("sccrypt-vmm-v1 <hex>")
 *   vmm_harness run --secret HEX --bind REQ --uuid UUID [--domid N]
 *       [--guest echo|upper|sink] [--guest-log FILE] [--pre-output TEXT]
 *       [--backlog BYTES] [--instance HEX] [--evil reflect-in|reflect-out]
 *       [--close-after-input BYTES]
 *   vmm_harness bind --secret HEX [dom DOMID UUID | bind DOMID FILE | destroy DOMID]...
 *       runs bind requests against domains within one boot; prints each result
 *   vmm_harness challenge SECRET-HEX K
 *       prints the bind challenge ("sccrypt-challenge-v1 <hex>") of the K-th
 *       domain (from 0) that a run or bind makes: the harness derives each
 *       domain's challenge from its secret and the count, so that a test can
 *       seal for it beforehand; a re-created domain gets the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sc_proto.h"
#include "sc_ring.h"
#include "sc_vmm.h"
#include "sccrypt_crypto.h"
#include "frame.h"
#include "io.h"
#include "ossl_crypto.h"
#include "text.h"

#define MAXDOM 8

static struct sc_vmm V;
static struct sc_dom doms[MAXDOM];
static int live[MAXDOM];
static struct sc_xencons ring;
static uint8_t backlog_buf[1 << 16];
static struct sc_backlog B;
static uint8_t inbuf[1 << 16];
static size_t inlen;
static uint8_t outbuf[16384];

static void die(const char *m)
{
    fprintf(stderr, "vmm_harness: %s\n", m);
    exit(3);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rnd(uint8_t *p, size_t n)
{
    if (sc_ossl_random(p, n) < 0)
        die("no random bytes");
}

static void load_secret(const char *hex)
{
    uint8_t s[32];

    if (strlen(hex) != 64 || hex_decode(s, 32, hex) < 0)
        die("--secret needs 64 hex digits");
    if (sc_vmm_init(&V, &sc_core_crypto, s) < 0)
        die("unusable VMM secret");
    sc_wipe(s, sizeof(s));
}

static size_t read_file(const char *path, uint8_t *p, size_t cap)
{
    int fd = open(path, O_RDONLY);
    ssize_t n;

    if (fd < 0)
        die("cannot open a request file");
    n = io_read_full(fd, p, cap);
    close(fd);
    if (n < 0)
        die("cannot read a request file");
    return (size_t)n;
}

static int key_binds(void *ctx, const uint8_t key[SC_KEY_LEN])
{
    int i, n = 0;

    (void)ctx;
    for (i = 0; i < MAXDOM; i++)
        if (live[i] && doms[i].bound && memcmp(doms[i].key, key, SC_KEY_LEN) == 0)
            n++;
    return n;
}

static int find_dom(unsigned long domid)
{
    int i;

    for (i = 0; i < MAXDOM; i++)
        if (live[i] && doms[i].domid == domid)
            return i;
    return -1;
}

/* The K-th domain's challenge: SHA-256("vmm_harness challenge" | secret | K)[0..16]. */
static void harness_challenge(unsigned int k, uint8_t ch[SC_CHALLENGE_LEN])
{
    uint8_t m[21 + 32 + 4], h[32];

    memcpy(m, "vmm_harness challenge", 21);
    memcpy(m + 21, V.secret, 32);
    m[53] = (uint8_t)(k >> 24);
    m[54] = (uint8_t)(k >> 16);
    m[55] = (uint8_t)(k >> 8);
    m[56] = (uint8_t)k;
    sc_core_crypto.sha256(h, m, sizeof(m));
    memcpy(ch, h, SC_CHALLENGE_LEN);
}

static unsigned int doms_made;

/* A new domain i: its challenge made at once (the host's first "asked"). */
static void dom_make(int i, uint32_t domid, const uint8_t uuid[16])
{
    uint8_t fresh[SC_CHALLENGE_LEN], ch[SC_CHALLENGE_LEN];

    sc_dom_init(&doms[i], domid, uuid);
    harness_challenge(doms_made++, fresh);
    if (sc_vmm_challenge(&doms[i], fresh, ch) < 0)
        die("challenge");
}

static int fixed_instance;
static uint8_t the_instance[SC_INSTANCE_LEN];

static int do_bind(int i, const uint8_t *req, size_t len)
{
    uint8_t inst[SC_INSTANCE_LEN];
    int j;

    for (j = 0; j < MAXDOM; j++)
        if (j != i && live[j] && memcmp(doms[j].uuid, doms[i].uuid, SC_UUID_LEN) == 0)
            return -SC_EUUID;       /* the host's check: UUIDs unique among live domains */
    if (fixed_instance)
        memcpy(inst, the_instance, sizeof(inst));
    else
        rnd(inst, sizeof(inst));
    return sc_vmm_bind(&V, &doms[i], req, len, inst, key_binds, &doms[i]);
}

static int cmd_bind(int argc, char **argv)
{
    uint8_t uuid[16], req[512];
    int i, a, failures = 0, r;

    for (a = 0; a < argc; a++) {
        if (strcmp(argv[a], "dom") == 0 && a + 2 < argc) {
            for (i = 0; i < MAXDOM && live[i]; i++)
                ;
            if (i == MAXDOM || uuid_parse(uuid, argv[a + 2]) < 0)
                die("dom DOMID UUID");
            dom_make(i, (uint32_t)strtoul(argv[a + 1], NULL, 10), uuid);
            live[i] = 1;
            a += 2;
        } else if (strcmp(argv[a], "bind") == 0 && a + 2 < argc) {
            size_t len;

            i = find_dom(strtoul(argv[a + 1], NULL, 10));
            if (i < 0)
                die("bind: no such domain");
            len = read_file(argv[a + 2], req, sizeof(req));
            r = do_bind(i, req, len);
            printf("bind %s: %s\n", argv[a + 1], r == 0 ? "ok" : sc_strerror(-r));
            failures += r != 0;
            a += 2;
        } else if (strcmp(argv[a], "destroy") == 0 && a + 1 < argc) {
            i = find_dom(strtoul(argv[a + 1], NULL, 10));
            if (i < 0)
                die("destroy: no such domain");
            sc_dom_wipe(&doms[i]);
            live[i] = 0;
            a += 1;
        } else {
            die("bind: unknown operation");
        }
    }
    return failures ? 1 : 0;
}

/* The guest: takes what is in in[], logs it, echoes it into out[]. */
static int guest_mode;                  /* 0 echo, 1 upper, 2 sink */
static int guest_log = -1;
static size_t guest_got;

static void guest_step(void)
{
    char c;

    while (ring.in_cons != ring.in_prod) {
        uint32_t free_out = SC_RING_OUT_SIZE - (ring.out_prod - ring.out_cons);

        if (guest_mode != 2 && free_out == 0)
            break;
        c = ring.in[ring.in_cons & (SC_RING_IN_SIZE - 1)];
        ring.in_cons++;
        guest_got++;
        if (guest_log >= 0)
            (void)io_write_all(guest_log, &c, 1);
        if (guest_mode == 1 && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (guest_mode != 2) {
            ring.out[ring.out_prod & (SC_RING_OUT_SIZE - 1)] = c;
            ring.out_prod++;
        }
    }
}

static void put_out(const uint8_t *p, size_t n)
{
    if (io_write_all(1, p, n) < 0) {
        fprintf(stderr, "vmm_harness: output: %s\n", strerror(errno));
        exit(3);
    }
}

static int cmd_run(int argc, char **argv)
{
    const char *bindf = NULL, *evil = "", *pre = NULL;
    uint8_t uuid[16], req[512], hello[2 + 65535], answer[2 + SC_ANSWER_LEN], eph[32];
    uint8_t reflect[2 + SC_REC_MAX_BODY];
    size_t reflect_len = 0, consumed, written, outlen, cap = sizeof(backlog_buf);
    unsigned long domid = 5;
    int have_uuid = 0, a, r, in_eof = 0, reflected = 0, timeout, moved;
    ssize_t n;
    int64_t w;
    struct pollfd pfd;

    for (a = 0; a < argc; a++) {
        const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;

        if (v == NULL)
            die("missing option argument");
        a++;
        if (strcmp(o, "--secret") == 0)
            load_secret(v);
        else if (strcmp(o, "--bind") == 0)
            bindf = v;
        else if (strcmp(o, "--uuid") == 0) {
            if (uuid_parse(uuid, v) < 0)
                die("--uuid");
            have_uuid = 1;
        } else if (strcmp(o, "--domid") == 0)
            domid = strtoul(v, NULL, 10);
        else if (strcmp(o, "--guest") == 0)
            guest_mode = strcmp(v, "upper") == 0 ? 1 : strcmp(v, "sink") == 0 ? 2 : 0;
        else if (strcmp(o, "--guest-log") == 0) {
            guest_log = open(v, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (guest_log < 0)
                die("--guest-log");
        } else if (strcmp(o, "--pre-output") == 0)
            pre = v;
        else if (strcmp(o, "--backlog") == 0)
            cap = strtoul(v, NULL, 10);
        else if (strcmp(o, "--instance") == 0) {
            if (strlen(v) != 32 || hex_decode(the_instance, 16, v) < 0)
                die("--instance needs 32 hex digits");
            fixed_instance = 1;
        } else if (strcmp(o, "--evil") == 0)
            evil = v;
        else
            die("unknown option");
    }
    if (bindf == NULL || !have_uuid || cap == 0 || cap > sizeof(backlog_buf))
        die("run needs --secret, --bind and --uuid");
    signal(SIGPIPE, SIG_IGN);
    dom_make(0, (uint32_t)domid, uuid);
    live[0] = 1;
    r = do_bind(0, req, read_file(bindf, req, sizeof(req)));
    if (r < 0) {
        fprintf(stderr, "vmm_harness: bind refused: %s\n", sc_strerror(-r));
        return 3;
    }
    sc_backlog_init(&B, backlog_buf, cap);
    if (pre != NULL)
        sc_backlog_push(&B, (const uint8_t *)pre, strlen(pre));

    n = frame_read(0, hello, sizeof(hello));
    if (n <= 0)
        die("no hello");
    rnd(eph, sizeof(eph));
    r = sc_vmm_open(&V, &doms[0], hello + 2, (size_t)n - 2, answer + 2, eph, B.dropped,
                    now_ms(), key_binds, NULL);
    sc_wipe(eph, sizeof(eph));
    if (r < 0) {
        fprintf(stderr, "vmm_harness: hello refused: %s\n", sc_strerror(-r));
        return 3;
    }
    sc_frame_put_hdr(answer, SC_ANSWER_LEN);
    put_out(answer, sizeof(answer));

    for (;;) {
        /* Input. */
        moved = 0;
        if (inlen > 0) {
            if (strcmp(evil, "reflect-in") == 0 && !reflected && inlen >= 2) {
                size_t fl = 2 + ((size_t)inbuf[0] << 8 | inbuf[1]);

                if (inlen >= fl && fl <= sizeof(reflect)) {
                    put_out(inbuf, fl);    /* an input record into the output stream */
                    reflected = 1;
                }
            }
            r = sc_vmm_input(&doms[0], &ring, inbuf, inlen, &consumed, &written, now_ms());
            memmove(inbuf, inbuf + consumed, inlen - consumed);
            inlen -= consumed;
            moved = consumed > 0 && inlen > 0;
            if (r < 0 && r != -SC_ECLOSED)
                fprintf(stderr, "vmm_harness: input refused: %s\n", sc_strerror(-r));
            if (r == -SC_ECLOSED)
                inlen = 0;
        }
        guest_step();
        (void)sc_vmm_flush_input(&doms[0], &ring);
        guest_step();
        if (sc_backlog_drain_ring(&B, &ring) > 0)
            sc_vmm_guest_output(&doms[0], now_ms());

        /* Output. */
        r = sc_vmm_output(&doms[0], &B, outbuf, sizeof(outbuf), &outlen, now_ms());
        if (outlen > 0) {
            put_out(outbuf, outlen);
            if (strcmp(evil, "reflect-out") == 0 && !reflected && r == 0) {
                reflect_len = 2 + ((size_t)outbuf[0] << 8 | outbuf[1]);
                if (inlen + reflect_len <= sizeof(inbuf)) {
                    memmove(inbuf + reflect_len, inbuf, inlen);
                    memcpy(inbuf, outbuf, reflect_len);   /* an output record fed back in */
                    inlen += reflect_len;
                }
                reflected = 1;
                continue;
            }
        }
        if (r == 1)
            return 0;
        if (r < 0) {
            fprintf(stderr, "vmm_harness: output: %s\n", sc_strerror(-r));
            return 3;
        }
        if (outlen > 0)
            continue;

        if (in_eof && doms[0].state == SC_SESS_OPEN) {
            /* The relay's input ended without the client's close. */
            sc_vmm_close(&doms[0], SC_CLOSE_RELAY);
            continue;
        }
        w = sc_vmm_wake_in(&doms[0], now_ms());
        timeout = w < 0 ? -1 : (int)(w > 1000 ? 1000 : w);
        if (in_eof && timeout < 0)
            timeout = 100;
        if (doms[0].pending_len > 0 || moved)
            timeout = 0;            /* the guest takes the rest as it reads; more may be whole */
        pfd.fd = in_eof || inlen == sizeof(inbuf) ? -1 : 0;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
            die("poll");
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            n = io_read(0, inbuf + inlen, sizeof(inbuf) - inlen);
            if (n < 0)
                die("input");
            if (n == 0)
                in_eof = 1;
            else
                inlen += (size_t)n;
        }
    }
}

int main(int argc, char **argv)
{
    uint8_t s[32];
    char hex[65];

    if (argc >= 3 && strcmp(argv[1], "pub") == 0) {
        if (strlen(argv[2]) != 64 || hex_decode(s, 32, argv[2]) < 0)
            die("pub SECRET-HEX");
        if (sc_vmm_init(&V, &sc_core_crypto, s) < 0)
            die("unusable VMM secret");
        hex_encode(hex, V.pub, 32);
        printf("sccrypt-vmm-v1 %s\n", hex);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "challenge") == 0) {
        uint8_t ch[SC_CHALLENGE_LEN];

        if (strlen(argv[2]) != 64 || hex_decode(s, 32, argv[2]) < 0)
            die("challenge SECRET-HEX K");
        if (sc_vmm_init(&V, &sc_core_crypto, s) < 0)
            die("unusable VMM secret");
        harness_challenge((unsigned int)strtoul(argv[3], NULL, 10), ch);
        hex_encode(hex, ch, SC_CHALLENGE_LEN);
        printf("sccrypt-challenge-v1 %s\n", hex);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (argc >= 4 && strcmp(argv[1], "bind") == 0 && strcmp(argv[2], "--secret") == 0) {
        load_secret(argv[3]);
        return cmd_bind(argc - 4, argv + 4);
    }
    die("usage: vmm_harness pub HEX | run ... | bind --secret HEX ...");
    return 3;
}
