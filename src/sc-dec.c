/* SPDX-License-Identifier: MIT */
/*
 * sc-dec: the output end of an SCCrypt console session (sc-dec(1)).
 *
 * Reads the VMM's answer at the head of the relay's output, checks it with
 * the hello's secret that sc-enc left in the rendezvous, hands the VMM's
 * ephemeral key back to sc-enc, then writes the guest's output as each
 * record proves authentic.  Exit 0 only on the VMM's authenticated "quiet"
 * close.
 */
#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sc_proto.h"
#include "exits.h"
#include "io.h"
#include "level.h"
#include "client/fingerprint.h"
#include "client/frame.h"
#include "client/instances.h"
#include "client/keyfile.h"
#include "client/known_vmms.h"
#include "client/msg.h"
#include "client/ossl_crypto.h"
#include "client/rendezvous.h"
#include "text.h"

#define EXIT_INTEGRITY  SC_EX_INTEGRITY
#define EXIT_USAGE      SC_EX_OPER

#define HELLO_FILE_LEN  (32 + SC_HELLO_LEN)
#define ANSWER_FILE_LEN (1 + SC_PUB_LEN + 2)   /* status | S | accepted options be16 */
#define HELLO_WAKE_MS   100         /* look for the hello this often even when watching */
#define REFUSE_WAIT_MS  1000        /* no session: how long to wait for sc-enc's hello to refuse it */
#define READ_CHUNK      65536       /* ciphertext read at once (at least) */
#define UNTIL_LINE      4096        /* the end of a line that -u matches against */
#define BATCH_MAX       65536       /* plaintext gathered before a write */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sc-dec [-Aq] [-k FILE] [-r LEVEL] [-t SECONDS] [-u REGEX] [-V NAME]\n"
        "       sc-dec -h | --version\n"
        "  -k FILE       console key (default $SCCRYPT_KEY, else ~/.config/sccrypt/key)\n"
        "  -V NAME       the VMM from known_vmms (default $SCCRYPT_VMM, the only or \"default\")\n"
        "  -A            accept and remember a domain instance other than the last one\n"
        "  -q            do not print which domain the session reached, nor its seal level\n"
        "  -r, --require LEVEL  the least seal level accepted: strongest (the default,\n"
        "                unless $SCCRYPT_REQUIRE says otherwise), none, or words from\n"
        "                dma, sealed, ring, uart joined by commas (sccrypt(7) LEVELS)\n"
        "  -t SECONDS    wait this long for sc-enc's hello in the rendezvous (default 10)\n"
        "  -u REGEX      write the output up to the first match of REGEX (an extended\n"
        "                regular expression, matched within a line), then close the output\n"
        "                and keep checking the stream to its end\n"
        "exit: 0 clean end, 1 integrity failure, 2 error, 3 the VMM refused, 4 the relay\n"
        "      ended the session, 5 the relay's policy refused, 6 the console is busy or\n"
        "      was taken over, 7 the domain is not bound (or went away), 8 another\n"
        "      domain instance, not accepted,\n"
        "      9 a clean end but the output never matched -u, 10 the seal level is\n"
        "      below the one required (-r)\n");
}

struct dec {
    uint8_t key[SC_KEY_LEN];
    uint8_t vmm_pub[SC_PUB_LEN];
    uint8_t hfile[HELLO_FILE_LEN];  /* c || hello, from sc-enc */
    uint8_t afile[ANSWER_FILE_LEN];
    uint8_t answer[SC_ANSWER_LEN];
    /*
     * The relay's output, read in large chunks (a whole frame always fits
     * after a partial one), and the plaintext of the records authenticated
     * since the last write: room past the batch for one more record's
     * plaintext, which sc_rec_open decrypts in place (SC_REC_MAX_PT).
     */
    uint8_t inbuf[FRAME_MAX + READ_CHUNK];
    uint8_t batch[BATCH_MAX + SC_REC_MAX_PT];
    size_t blen;
    struct frame_buf fb;
    struct sc_dir in, out;
    struct sc_identity id;
    struct rv rv;
    int rv_ok;
    /*
     * -u: the current line of output (its last UNTIL_LINE bytes, CRs and
     * NULs left out), matched when a newline or the end of a record's data
     * comes, so that a prompt with no newline after it matches at once.
     */
    char uline[UNTIL_LINE + 1];
    size_t ulen;
    int unotbol;                    /* the line's start was dropped */
};

static struct dec D;
static regex_t until_re;            /* -u REGEX (not secret: outside D, which is wiped) */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Tells sc-enc waiting on hello id that there will be no session (status
 * code: the exit status it should use, never 0), and wipes its hello file
 * first: it holds the session's ephemeral secret, which must not outlive a
 * session that failed (sc-enc wipes it too, but may be gone).
 */
static void refuse_peer(const uint8_t id[SC_HELLO_ID_LEN], int code)
{
    uint8_t a[ANSWER_FILE_LEN];

    rv_discard(&D.rv, id, RV_HELLO);
    memset(a, 0, sizeof(a));
    a[0] = (uint8_t)code;
    /* Best effort: that sc-enc may be gone already, and nothing is owed to it. */
    (void)rv_put(&D.rv, id, RV_ANSWER, a, sizeof(a), 1);
}

/*
 * Before we know the hello: refuse the one sc-enc of our pipeline, if there
 * is one.  A relay that failed at once can end the stream before sc-enc has
 * even written its hello file: wait a moment for it, so that sc-enc exits
 * with our status and says nothing of its own (we said why).
 */
static void refuse_pipeline(int code)
{
    uint8_t other[SC_HELLO_ID_LEN];
    uint64_t deadline = now_ms() + REFUSE_WAIT_MS, t;
    int n;

    if (!D.rv_ok)
        return;
    rv_watch(&D.rv);
    for (;;) {
        n = rv_other_hellos(&D.rv, NULL, other);
        if (n == 1)
            refuse_peer(other, code);
        t = now_ms();
        if (n != 0 || t >= deadline)
            break;
        (void)rv_wait(&D.rv, -1, NULL, -1, NULL, (int)(deadline - t));
    }
    rv_unwatch(&D.rv);
}

/*
 * The relay's refusal notice (exits.h) in place of the answer: the status
 * it carries, or 0 when the frame is not one.  Only the statuses of a
 * refused open are taken; dom0 can say this falsely, but only to end a
 * session that never started, which it can do anyway.
 */
static int relay_notice(const uint8_t *f, ssize_t flen)
{
    int code;

    if (flen != SC_FRAME_HDR + SC_NOTICE_BODY ||
        memcmp(f + SC_FRAME_HDR, SC_NOTICE_MAGIC, SC_NOTICE_BODY - 1) != 0)
        return 0;
    code = f[SC_FRAME_HDR + SC_NOTICE_BODY - 1];
    if (code != SC_EX_REFUSED && code != SC_EX_POLICY && code != SC_EX_BUSY &&
        code != SC_EX_UNBOUND)
        return 0;
    return code;
}

/* The exit status for the VMM's authenticated close reason (sccrypt(7)). */
static int close_status(unsigned int reason)
{
    switch (reason) {
    case SC_CLOSE_QUIET: return SC_EX_OK;
    case SC_CLOSE_RELAY: return SC_EX_SIGNAL;
    case SC_CLOSE_TAKEOVER: return SC_EX_BUSY;
    case SC_CLOSE_GUEST_GONE:
    case SC_CLOSE_STOPPED: return SC_EX_UNBOUND;
    case SC_CLOSE_TIMEOUT: return SC_EX_OPER;
    case SC_CLOSE_LOST: return SC_EX_INTEGRITY;    /* output missing: as a truncation */
    default: return SC_EX_INTEGRITY;   /* PROTOCOL: our input was tampered with; or unknown */
    }
}

static int fail_record(unsigned long long n, int err)
{
    if (err == -SC_EINVAL)
        msg_err("record %llu is malformed: the stream was modified or the VMM is broken; "
                "session ended", n);
    else
        msg_err("record %llu failed authentication: the stream was modified, replayed or "
                "reordered; session ended", n);
    return EXIT_INTEGRITY;
}

/*
 * The next whole frame of stdin (at most max_body bytes of body), reading
 * as needed: its length, or FRAME_EOF, FRAME_TRUNC, FRAME_TOOLONG, FRAME_ERR.
 */
static ssize_t next_frame(size_t max_body, const uint8_t **f)
{
    ssize_t n;

    for (;;) {
        n = frame_next(&D.fb, max_body, f);
        if (n != FRAME_MORE)
            return n;
        n = frame_fill(&D.fb, 0);
        if (n <= 0)
            return n;
    }
}

/*
 * -u: looks for the first match of until_re in the next n bytes of output p,
 * line by line.  Returns 1 and sets *cut to the bytes of p up to the end of
 * the match (all of p's line before it, when the match ended in bytes of the
 * line that came before p), or 0 when nothing matched yet.
 */
static int until_scan(const uint8_t *p, size_t n, size_t *cut)
{
    size_t i, j, start = 0, fresh = 0;
    long before = (long)D.ulen;     /* D.uline[k] is the (k - before)-th kept byte of p from start */
    long need, seen;
    regmatch_t m;

    for (i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n') {
            if (p[i] == '\r' || p[i] == '\0')
                continue;
            if (D.ulen == UNTIL_LINE) {
                memmove(D.uline, D.uline + UNTIL_LINE / 2, UNTIL_LINE / 2);
                D.ulen = UNTIL_LINE / 2;
                before -= UNTIL_LINE / 2;
                D.unotbol = 1;
            }
            D.uline[D.ulen++] = (char)p[i];
            fresh++;
            continue;
        }
        /* A newline (an empty line too) or the end of the data with something new. */
        if (i < n || fresh > 0) {
            D.uline[D.ulen] = '\0';
            if (regexec(&until_re, D.uline, 1, &m, D.unotbol ? REG_NOTBOL : 0) == 0) {
                need = (long)m.rm_eo - before;
                for (j = start, seen = 0; j < n && seen < need; j++)
                    if (p[j] != '\r' && p[j] != '\0')
                        seen++;
                *cut = j;
                return 1;
            }
        }
        if (i < n) {
            D.ulen = 0;
            D.unotbol = 0;
            start = i + 1;
            before = 0;
            fresh = 0;
        }
    }
    return 0;
}

/* Writes the batch of authenticated plaintext (one write, all of it) and wipes it: 0 or -1. */
static int batch_flush(void)
{
    int r = 0;

    if (D.blen == 0)
        return 0;
    if (io_write_all(1, D.batch, D.blen) < 0) {
        if (errno == EPIPE)
            msg_err("output closed: %s", strerror(EPIPE));
        else
            msg_errno("standard output");
        r = -1;
    }
    cl_wipe(D.batch, D.blen);
    D.blen = 0;
    return r;
}

/* Standard input is a pipe or a socket: sc-dec in a pipeline, sc-enc upstream. */
static int in_pipe(void)
{
    struct stat st;

    return fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* -u matched: stdout becomes /dev/null, so that its reader sees the end now. */
static int until_close_output(void)
{
    int fd = open("/dev/null", O_WRONLY);

    if (fd < 0 || dup2(fd, 1) < 0) {
        msg_errno("/dev/null");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (fd != 1)
        close(fd);
    return 0;
}

static void loud_warning(const char *keyfp, const char *vmm, const char *uuid,
                         const uint8_t prev[16], const uint8_t now[16])
{
    char ph[33], nh[33];

    hex_encode(ph, prev, 16);
    hex_encode(nh, now, 16);
    msg_err("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    msg_err("@   WARNING: YOUR KEY REACHED ANOTHER DOMAIN INSTANCE!      @");
    msg_err("@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@");
    msg_err("key %s on VMM %s reached domain uuid %s", keyfp, vmm, uuid);
    msg_err("as instance %s last time; the VMM now vouches for instance %s.", ph, nh);
    msg_err("A rebooted or re-created guest is a new instance and needs a new bind.");
    msg_err("If you did not bind this key again yourself, someone else did (an impostor");
    msg_err("domain made to look like yours): do not accept it.");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "key", required_argument, NULL, 'k' },
        { "vmm", required_argument, NULL, 'V' },
        { "quiet", no_argument, NULL, 'q' },
        { "accept-instance", no_argument, NULL, 'A' },
        { "timeout", required_argument, NULL, 't' },
        { "until", required_argument, NULL, 'u' },
        { "require", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 256 },
        { NULL, 0, NULL, 0 },
    };
    const char *kopt = NULL, *vname = NULL, *ropt = NULL;
    struct sc_level want;
    char ltext[LEVEL_TEXT_MAX], lacks[2 * LEVEL_TEXT_MAX], accept_words[LEVEL_TEXT_MAX];
    char path[CL_PATH_MAX], vmm_name[KV_NAME_MAX], keyfp[FP_BUFLEN], us[37], ih[33];
    const uint8_t *f;
    uint8_t hid[SC_HELLO_ID_LEN], other[SC_HELLO_ID_LEN], check[SC_HELLO_ID_LEN], prev[16];
    unsigned long timeout_s = 10;
    unsigned long long nrec = 0;
    uint64_t deadline, t;
    unsigned int type;
    size_t dlen;
    ssize_t flen;
    int c, rc = EXIT_USAGE, is_default, r, quiet = 0, nothers, accept = 0, inst, watching = 0;
    int until = 0, matched = 0;
    size_t cut;
    char *end, ebuf[128];

    msg_init("sc-dec");
    D.rv.wfd = D.rv.wd = -1;       /* no watch until rv_watch (rv_init sets it too) */
    while ((c = getopt_long(argc, argv, "k:V:qAr:t:u:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': kopt = optarg; break;
        case 'V': vname = optarg; break;
        case 'q': quiet = 1; break;
        case 'A': accept = 1; break;
        case 'r': ropt = optarg; break;
        case 't':
            errno = 0;
            timeout_s = strtoul(optarg, &end, 10);
            if (errno || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' ||
                timeout_s == 0 || timeout_s > 86400) {
                msg_err("-t %s: seconds from 1 to 86400", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'u':
            if (until)
                regfree(&until_re);
            r = regcomp(&until_re, optarg, REG_EXTENDED);
            if (r != 0) {
                regerror(r, &until_re, ebuf, sizeof(ebuf));
                msg_err("-u %s: not a regular expression: %s", optarg, ebuf);
                return EXIT_USAGE;
            }
            until = 1;
            break;
        case 'h': usage(stdout); return 0;
        case 256: printf("sc-dec %s\n", SC_VERSION); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        msg_err("unexpected argument: %s", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (level_default("sc-dec", ropt, &want) < 0)
        return EXIT_USAGE;
    if (isatty(0)) {
        msg_err("refusing to read ciphertext from a terminal; pipe the relay's output in, "
                "e.g. sc-enc | ssh HOST sudo sc-relay DOMID | sc-dec");
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    /*
     * sc-enc reads the same key and says the same when it is bad, and then
     * sends nothing: in a pipeline ours is said only when something came (a
     * session that began without us), so that a bad key gets one message.
     */
    msg_hold(in_pipe());
    r = key_path(path, sizeof(path), kopt, &is_default) < 0 || key_load(path, D.key) < 0;
    msg_hold(0);
    if (r) {
        uint8_t b;
        ssize_t n;

        do
            n = read(0, &b, 1);
        while (n < 0 && errno == EINTR);
        if (n == 0) {
            msg_drop();
        } else {
            msg_release();
            /* Our sc-enc (its key was good) need not wait for an answer. */
            if (rv_init(&D.rv) == 0) {
                D.rv_ok = 1;
                refuse_pipeline(EXIT_USAGE);
            }
        }
        goto out;
    }
    if (kv_select(vname, D.vmm_pub, vmm_name) < 0)
        goto out;
    if (rv_init(&D.rv) < 0)
        goto out;
    D.rv_ok = 1;
    rv_mark(&D.rv);                 /* sc-enc: an sc-dec reads this pipeline's relay */
    frame_buf_init(&D.fb, D.inbuf, sizeof(D.inbuf));
    /* While sc-enc, the relay and the VMM make the answer: ready our crypto for checking it. */
    sc_ossl_warm();

    /* The answer: the first frame of the stream. */
    flen = next_frame(65535, &f);
    if (flen == FRAME_ERR) {
        msg_errno("standard input");
        refuse_pipeline(EXIT_USAGE);
        goto out;
    }
    if (flen == FRAME_EOF) {
        /* Nothing at all: no session began (ssh or the relay failed, and said why). */
        msg_err("the stream ended before the VMM's answer: no session (did ssh or the relay "
                "fail?)");
        refuse_pipeline(EXIT_USAGE);
        goto out;
    }
    if (flen == FRAME_TRUNC) {
        msg_err("the stream ended inside the VMM's answer (truncated); session refused");
        refuse_pipeline(EXIT_INTEGRITY);
        rc = EXIT_INTEGRITY;
        goto out;
    }
    r = relay_notice(f, flen);
    if (r != 0) {
        msg_err("no session: the relay says %s (exit %d; its message says why)",
                r == SC_EX_POLICY ? "its policy does not allow it" :
                r == SC_EX_BUSY ? "another session holds the console" :
                r == SC_EX_UNBOUND ? "the domain is not bound" : "the VMM refused it", r);
        refuse_pipeline(r);
        rc = r;
        goto out;
    }
    if (flen != SC_FRAME_HDR + SC_ANSWER_LEN) {
        msg_err("the stream does not start with a VMM answer; session refused");
        refuse_pipeline(EXIT_INTEGRITY);
        rc = EXIT_INTEGRITY;
        goto out;
    }
    memcpy(D.answer, f + SC_FRAME_HDR, SC_ANSWER_LEN);
    memcpy(hid, D.answer + 4, SC_HELLO_ID_LEN);

    /*
     * Our sc-enc's hello, named by the id the answer claims to answer
     * (sc-enc writes it before it sends the hello, so it is nearly always
     * there already); its arrival in the rendezvous wakes us (rv_watch).
     */
    deadline = now_ms() + (uint64_t)timeout_s * 1000;
    for (;;) {
        r = rv_take(&D.rv, hid, RV_HELLO, D.hfile, sizeof(D.hfile));
        if (r < 0) {
            refuse_peer(hid, EXIT_USAGE);
            goto out;
        }
        if (r == 1)
            break;
        nothers = rv_other_hellos(&D.rv, hid, other);
        if (nothers > 0) {
            /* sc-enc writes its hello before sending it: the answer is not for it. */
            msg_err("the VMM's answer is not for this session's hello (replayed or swapped by "
                    "the relay); session refused");
            if (nothers == 1)
                refuse_peer(other, EXIT_INTEGRITY);
            rc = EXIT_INTEGRITY;
            goto out;
        }
        if (now_ms() >= deadline) {
            msg_err("no hello from sc-enc for the VMM's answer within %lu s: is sc-enc in this "
                    "pipeline (the same process group)? A replayed answer also ends here",
                    timeout_s);
            rc = EXIT_INTEGRITY;
            goto out;
        }
        if (!watching) {
            /* Watching from now on; then look again, in case it came meanwhile. */
            rv_watch(&D.rv);
            watching = 1;
            continue;
        }
        t = now_ms();
        (void)rv_wait(&D.rv, -1, NULL, -1, NULL,
                      deadline - t < HELLO_WAKE_MS ? (int)(deadline - t) : HELLO_WAKE_MS);
    }
    rv_unwatch(&D.rv);
    sc_hello_id(&sc_ossl_crypto, check, D.hfile + 32);
    if (memcmp(check, hid, SC_HELLO_ID_LEN) != 0) {
        msg_err("the rendezvous file does not hold the hello it is named after");
        refuse_peer(hid, EXIT_INTEGRITY);
        rc = EXIT_INTEGRITY;
        goto out;
    }
    r = sc_answer_check(&sc_ossl_crypto, D.answer, SC_ANSWER_LEN, D.hfile + 32, D.key, D.vmm_pub,
                        D.hfile, &D.id, &D.in, &D.out, D.afile + 1);
    cl_wipe(D.hfile, 32);
    if (r < 0) {
        if (r == -SC_EVERSION)
            msg_err("the VMM's answer speaks protocol version %u, this sc-dec version %u: "
                    "update the tools or the hypervisor so they match; session refused",
                    (unsigned)D.answer[0], (unsigned)SC_PROTO_VERSION);
        else if (r == -SC_EUUID)
            msg_err("the VMM answered for another domain than the one this session is for "
                    "(sc-enc -g): dom0 routed it elsewhere; session refused");
        else
            msg_err("the VMM's answer failed authentication (%s): a wrong key or VMM, or "
                    "forged by the relay; session refused", sc_strerror(-r));
        refuse_peer(hid, EXIT_INTEGRITY);
        rc = EXIT_INTEGRITY;
        goto out;
    }
    sc_dir_wipe(&D.in);             /* sc-dec only reads the output direction */

    /* What the VMM vouches for (authenticated in the answer). */
    uuid_format(us, D.id.uuid);
    hex_encode(ih, D.id.instance, 16);
    if (!quiet)
        msg_err("connected to domain %lu uuid %s instance %s", (unsigned long)D.id.domid, us,
                ih);
    /*
     * The seal level the VMM vouches for (authenticated with the answer),
     * on one line like ssh's host key, and refused when below -r: before
     * sc-enc gets the VMM's key, so nothing typed reaches a weaker seal.
     */
    level_describe(ltext, sizeof(ltext), &D.id.level);
    if (!quiet)
        msg_err("seal level: %s", ltext);
    if (!sc_level_at_least(&D.id.level, &want)) {
        level_lacks(lacks, sizeof(lacks), accept_words, sizeof(accept_words), &D.id.level,
                    &want);
        msg_err("the seal is weaker than required: %s. Nothing you type was sent. To accept "
                "this, run sc-dec with --require %s (sc-console --require %s, or "
                "SCCRYPT_REQUIRE=%s); sccrypt(7) LEVELS says what each part means",
                lacks, accept_words, accept_words, accept_words);
        refuse_peer(hid, SC_EX_LEVEL);
        rc = SC_EX_LEVEL;
        goto out;
    }
    /*
     * Strict identity: sc-enc sends nothing until we hand it the VMM's key,
     * so an instance the user has not accepted never gets a keystroke.
     */
    fp_key(keyfp, D.key);
    inst = inst_check(keyfp, vmm_name, D.id.uuid, D.id.instance, prev, accept);
    if (inst < 0) {
        msg_err("cannot check the domain instance against the last session; session refused "
                "(fix the file above)");
        refuse_peer(hid, EXIT_USAGE);
        goto out;
    }
    if (inst == INST_CHANGED) {
        loud_warning(keyfp, vmm_name, us, prev, D.id.instance);
        if (!accept) {
            msg_err("Nothing you type was sent to it. If you bound this key to this domain "
                    "again yourself, accept the new instance with sc-dec -A "
                    "(sc-console --accept-instance); it is then remembered.");
            refuse_peer(hid, SC_EX_INSTANCE);
            rc = SC_EX_INSTANCE;
            goto out;
        }
        msg_err("accepted instance %s (-A) and remembered it", ih);
    }
    D.afile[0] = 0;
    /* The options the VMM accepted (authenticated with the answer): SC_OPT_BREAK for sc-enc's ~B. */
    D.afile[1 + SC_PUB_LEN] = (uint8_t)(D.id.options >> 8);
    D.afile[2 + SC_PUB_LEN] = (uint8_t)D.id.options;
    if (rv_put(&D.rv, hid, RV_ANSWER, D.afile, sizeof(D.afile), 0) < 0)
        goto out;
    if (D.id.dropped)
        msg_err("warning: %llu bytes of console output were lost while nobody was attached",
                (unsigned long long)D.id.dropped);

    /*
     * Records: every whole frame of each read is authenticated in turn, its
     * data added to the batch, and the batch written before the next read
     * (or when full), so output is never held back waiting for more.  A
     * record that fails ends the session with only the records before it
     * written: nothing of an unauthenticated record reaches stdout.
     */
    for (;;) {
        flen = frame_next(&D.fb, SC_REC_MAX_BODY, &f);
        if (flen == FRAME_MORE) {
            if (batch_flush() < 0)
                goto out;
            flen = frame_fill(&D.fb, 0);
            if (flen > 0)
                continue;
            if (flen == FRAME_ERR) {
                msg_errno("standard input");
                goto out;
            }
            msg_err("the stream ended without an authenticated close (truncated)");
            rc = EXIT_INTEGRITY;
            goto out;
        }
        nrec++;
        if (flen < 0 || sc_frame_body_len(f) < 0) {
            if (batch_flush() < 0)
                goto out;
            rc = fail_record(nrec, -SC_EINVAL);
            goto out;
        }
        if (D.blen > BATCH_MAX && batch_flush() < 0)
            goto out;
        /* sc_rec_open writes nothing to the batch unless the record is authentic. */
        r = sc_rec_open(&sc_ossl_crypto, &D.out, f, (size_t)flen, &type, D.batch + D.blen,
                        &dlen);
        if (r < 0) {
            if (batch_flush() < 0)
                goto out;
            rc = fail_record(nrec, r);
            goto out;
        }
        if (type == SC_REC_DATA && matched) {
            /* -u matched: the rest is checked, not written. */
            cl_wipe(D.batch + D.blen, dlen);
        } else if (type == SC_REC_DATA) {
            if (until && until_scan(D.batch + D.blen, dlen, &cut)) {
                /* Up to the match, then the output closes for whoever reads it. */
                cl_wipe(D.batch + D.blen + cut, dlen - cut);
                D.blen += cut;
                if (batch_flush() < 0 || until_close_output() < 0)
                    goto out;
                matched = 1;
            } else {
                D.blen += dlen;
            }
        } else if (type == SC_REC_CLOSE) {
            unsigned int reason = dlen >= 1 ? D.batch[D.blen] : SC_CLOSE_MAX + 1;

            cl_wipe(D.batch + D.blen, dlen);
            if (batch_flush() < 0)
                goto out;
            if (reason == SC_CLOSE_QUIET && until && !matched) {
                msg_err("the session ended cleanly, but the guest's output never matched -u");
                rc = SC_EX_NOMATCH;
                goto out;
            }
            if (reason == SC_CLOSE_QUIET) {
                rc = 0;
                goto out;
            }
            msg_err("the VMM ended the session: %s",
                    dlen >= 1 ? sc_close_reason(reason) : "no reason given");
            rc = dlen >= 1 ? close_status(reason) : EXIT_INTEGRITY;
            goto out;
        } else if (type == SC_REC_BREAK) {
            /* Input only: the VMM never sends one. */
            cl_wipe(D.batch + D.blen, dlen);
            if (batch_flush() < 0)
                goto out;
            rc = fail_record(nrec, -SC_EINVAL);
            goto out;
        } else {
            /* SC_REC_CHAFF: nothing; SC_REC_REKEY: sc_rec_open moved to the next epoch. */
            cl_wipe(D.batch + D.blen, dlen);
        }
    }
out:
    rv_unwatch(&D.rv);
    if (D.rv_ok)
        rv_unmark(&D.rv);
    cl_wipe(&D, sizeof(D));
    if (until)
        regfree(&until_re);
    return rc;
}
