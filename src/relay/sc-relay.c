/* SPDX-License-Identifier: MIT */
/*
 * sc-relay: dom0's end of an SCCrypt console session.  Runs as root
 * through sudo, holds no key, links no crypto and never sees plaintext:
 * it moves frames between its stdin/stdout and the VMM (the hypercall, or
 * the simulator's socket).  See sc-relay(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "exits.h"
#include "io.h"
#include "level.h"
#include "relay_backend.h"
#include "relay_gate.h"
#include "relay_sim.h"
#include "sc_proto.h"              /* constants only: the relay links no core */
#include "sim/sim_proto.h"         /* SIM_ERR_* */
#include "text.h"                  /* uuid_parse */

/* Exit statuses (sc-relay(8)). */
#define EX_ENDED    SC_EX_OK        /* the VMM ended the session; --vmm-key, --bind done */
#define EX_OPER     SC_EX_OPER      /* usage or operational error */
#define EX_REFUSED  SC_EX_REFUSED   /* the VMM refused (bind, open, an input record) */
#define EX_SIGNAL   SC_EX_SIGNAL    /* ended on a signal: the relay asked the VMM to close */
#define EX_POLICY   GATE_EX_POLICY  /* 5: the policy file does not allow the caller */
#define EX_BUSY     SC_EX_BUSY      /* the open was refused: another session holds the console */
#define EX_UNBOUND  SC_EX_UNBOUND   /* the open was refused: the domain is not bound */

/* Room for several maximum frames each way; output in one call as the VMM has it. */
#define IN_CAP      (128 * 1024)
#define OUT_CAP     (256 * 1024)
/* Output room worth a call: a maximum record and a keystroke record, as the VMM needs. */
#define OUT_MIN     (SC_REC_MAX_FRAME + SC_KEYSTROKE_FRAME > SIM_OUTPUT_MIN ? \
                     SC_REC_MAX_FRAME + SC_KEYSTROKE_FRAME : SIM_OUTPUT_MIN)
#define CLOSE_WAIT_MS 5000

static int sigpipe_fd[2] = { -1, -1 };
/*
 * Once a session is open the user's terminal may be raw (sc-enc(1)), and
 * ssh passes our stderr to it as it is: lines end in CR LF from then on.
 */
static const char *eol = "\n";
static int saved_fl[2] = { -1, -1 };
static uint8_t inbuf[IN_CAP];
static uint8_t outbuf[OUT_CAP];

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sc-relay [-v] [-b sim|xen] [--socket PATH] [--takeover] GUEST\n"
        "       sc-relay [-b sim|xen] [--socket PATH] --vmm-key\n"
        "       sc-relay [-b sim|xen] [--socket PATH] [--vmm-key] --challenge GUEST\n"
        "       sc-relay [-b sim|xen] [--socket PATH] --bind GUEST < request\n"
        "       sc-relay --check-policy [FILE]\n"
        "       sc-relay -h | --version\n"
        "  -b, --backend sim|xen  the VMM to talk to (default $SCCRYPT_RELAY, else xen when\n"
        "                         /dev/xen/privcmd answers, else sim)\n"
        "  -s, --socket PATH      the simulator's socket (sim backend)\n"
        "  -t, --takeover         take over a domain another session holds\n"
        "      --vmm-key          print the VMM's public key (sccrypt-vmm-v1 HEX)\n"
        "      --challenge GUEST  print the domain's current bind challenge\n"
        "                         (sccrypt-challenge-v1 HEX, for sc-keygen --seal --challenge);\n"
        "                         with --vmm-key, the key's line first\n"
        "      --bind GUEST       hand a sealed bind request (sc-keygen --seal) to the VMM and\n"
        "                         print its answer (for sc-keygen --bound)\n"
        "  GUEST: a domain id, or the name or UUID of exactly one domain\n"
        "  -v, --verbose          also write the syslog lines to stderr\n"
        "      --check-policy [FILE]  check the policy file (default " SC_RELAY_POLICY ")\n"
        "exit: 0 the VMM ended the session, 2 operational error, 3 the VMM refused,\n"
        "      4 ended on a signal (the VMM was asked to close), 5 the policy file\n"
        "      does not allow it (through sudo), 6 the console is busy (another\n"
        "      session holds it), 7 the domain is not bound\n");
}

#define SC_STR_(x)   #x
#define SC_STR(x)    SC_STR_(x)

static const char *vmm_strerror(int e)
{
    switch (e) {
    case SC_EINVAL: return "malformed request";
    case SC_EVERSION: return "the client speaks another protocol version than the VMM "
                             "(version " SC_STR(SC_PROTO_VERSION) "): update sc-enc, sc-dec "
                             "and sc-keygen on the client, or the hypervisor, so they match";
    case SC_EAUTH: return "authentication failed (wrong key, or not the key bound to this domain)";
    case SC_EREPLAY: return "the domain has no current bind challenge (each bind attempt uses "
                            "it up): fetch a new one (sc-relay --challenge GUEST) and seal a "
                            "new request for it (sc-keygen --seal --challenge)";
    case SC_EFULL: return "(an older VMM) its table of used bind requests is full until the "
                          "hypervisor reboots";
    case SC_EUUID: return "the request names another domain (UUID mismatch): a session meant "
                          "for another guest is refused; check the domain id or name "
                          "(xl domid NAME)";
    case SC_EKEYINUSE: return "the key already binds as many live domains as the VMM allows "
                              "(sccrypt(7)); use another key (sc-keygen -k FILE) for this one";
    case SC_EGUEST: return "this key binds several domains here and the session named none: "
                           "name the guest (sc-enc -g NAME|UUID, sc-console HOST NAME)";
    case SC_EBOUND: return "the domain's console is bound already; a guest is bound once, "
                           "while paused: create it again (xl create -p) to bind it anew";
    case SC_ENOTBOUND: return "the domain's console is not bound (sc-relay --bind GUEST < request)";
    case SC_ENOSESSION: return "no session is open";
    case SC_ECLOSED: return "the session has ended";
    case SC_ESPACE: return "buffer too small";
    case SC_ENORANDOM: return "the VMM has no cryptographic randomness";
    case SC_ELEVEL: return "this host seals the domain less well than the request's least "
                           "seal level (sccrypt(7) LEVELS); nothing was bound";
    case SIM_ERR_BUSY: return "another session holds the domain's console (--takeover takes it over)";
    case SIM_ERR_NODOMAIN: return "no such domain";
    case SIM_ERR_ATTACHED: return "this connection has a session already";
    default: return "unknown refusal";
    }
}

/* stdin is a pipe or a socket (ssh's, a pipeline's): a client is upstream. */
static int stdin_is_pipe(void)
{
    struct stat st;

    return fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static void on_signal(int sig)
{
    uint8_t b = (uint8_t)sig;
    int e = errno;

    if (write(sigpipe_fd[1], &b, 1) < 0) {
        /* the pipe is full: a signal is already pending */
    }
    errno = e;
}

static void restore_fds(void)
{
    int fd;

    for (fd = 0; fd < 2; fd++)
        if (saved_fl[fd] >= 0)
            fcntl(fd, F_SETFL, saved_fl[fd]);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *who(void)
{
    const char *u = getenv("SUDO_USER");
    struct passwd *pw;

    if (u && *u)
        return u;
    pw = getpwuid(getuid());
    return pw ? pw->pw_name : "?";
}

#define BOUND_TAG   "sccrypt-bound-v1"

/*
 * Writes "TAG HEX\n" on stdout, the form the user's tools read (sc-keygen
 * --pin, --seal --challenge, --bound): EX_ENDED, or EX_OPER, said.
 */
static int put_tagged(const char *tag, const uint8_t *b, size_t len)
{
    char line[64 + 2 * 128 + 2];
    size_t t = strlen(tag);

    if (t > 64 || len > 128)
        return EX_OPER;                 /* cannot happen: our own tags and sizes */
    memcpy(line, tag, t);
    line[t] = ' ';
    hex_encode(line + t + 1, b, len);
    line[t + 1 + 2 * len] = '\n';
    if (io_write_all(1, line, t + 2 + 2 * len) < 0) {
        fprintf(stderr, "sc-relay: stdout: %s\n", strerror(errno));
        return EX_OPER;
    }
    return EX_ENDED;
}

static int parse_domid(const char *s, uint32_t *d);

/* A name as the policy spells them ([A-Za-z0-9._@+-], 1..63 bytes, no leading '-'). */
static int guest_name_ok(const char *s)
{
    char tmp[64];

    return rp_domain_name(tmp, s, strlen(s)) == 1;
}

/*
 * GUEST: a domain id, or a name or UUID that names exactly one domain the
 * backend knows (dom0's word: the user's tools check the UUID in the VMM's
 * authenticated answer).  0, or an exit status with the reason said.
 */
static int resolve_guest(const struct relay_backend *be, struct relay_conn *c,
                         const char *guest, uint32_t *domid)
{
    uint32_t ids[256];
    uint8_t want[16], u[16];
    char name[64];
    const char *err = NULL;
    size_t n = 0, i, found = 0;
    int by_uuid, verr;

    if (parse_domid(guest, domid) == 0)
        return 0;
    by_uuid = strlen(guest) == 36 && uuid_parse(want, guest) == 0;
    if (!by_uuid && !guest_name_ok(guest)) {
        fprintf(stderr, "sc-relay: %s: not a domain id, name or UUID\n", guest);
        return EX_OPER;
    }
    if (be->domains(c, ids, sizeof(ids) / sizeof(ids[0]), &n, &err) < 0) {
        fprintf(stderr, "sc-relay: %s: cannot list the domains to find %s: %s\n", be->name,
                guest, err);
        return EX_OPER;
    }
    for (i = 0; i < n; i++) {
        verr = 0;
        if (be->dominfo(c, ids[i], name, u, &verr, &err) < 0)
            continue;           /* gone meanwhile, or without a UUID: not this one */
        if (by_uuid ? memcmp(u, want, 16) == 0 : strcmp(name, guest) == 0) {
            *domid = ids[i];
            found++;
        }
    }
    if (found == 1)
        return 0;
    if (found == 0) {
        fprintf(stderr, "sc-relay: %s: no such domain\n", guest);
        return EX_REFUSED;
    }
    fprintf(stderr, "sc-relay: %s: %zu domains have this %s; name one by its %s\n", guest,
            found, by_uuid ? "UUID" : "name", by_uuid ? "id" : "UUID");
    return EX_OPER;
}

static int parse_domid(const char *s, uint32_t *d)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > 0x7fef || s[0] == '-')
        return -1;
    *d = (uint32_t)v;
    return 0;
}

static const struct relay_backend *choose(const char *name)
{
    if (!name)
        name = getenv("SCCRYPT_RELAY");
    if (name && *name) {
        if (strcmp(name, "sim") == 0)
            return &relay_backend_sim;
        if (strcmp(name, "xen") == 0)
            return &relay_backend_xen;
        fprintf(stderr, "sc-relay: unknown backend '%s' (sim or xen)\n", name);
        return NULL;
    }
    if (relay_backend_xen.available())
        return &relay_backend_xen;
    if (relay_backend_sim.available())
        return &relay_backend_sim;
    if (geteuid() != 0) {
        /* The usual mistake: sc-relay without sudo (both ways in are root's on a host). */
        fprintf(stderr, "sc-relay: no VMM reachable without root: run it with sudo (sudo sc-relay "
                "...), or start sc-vmmsim as yourself to try things out (its socket: %s)\n",
                relay_sim_socket());
        return NULL;
    }
    fprintf(stderr, "sc-relay: no VMM found: neither the Xen hypercall (/dev/xen/privcmd) nor "
            "the simulator's socket (%s); start sc-vmmsim or pass -b\n", relay_sim_socket());
    return NULL;
}

/* Connects and checks that the VMM speaks our protocol version. */
static int attach(const struct relay_backend *be, struct relay_conn **c)
{
    const char *err = NULL;
    uint32_t ver;

    if (be->connect(c, &err) < 0) {
        fprintf(stderr, "sc-relay: %s: %s\n", be->name, err);
        *c = NULL;
        return -1;
    }
    if (be->status(*c, &ver, &err) < 0) {
        fprintf(stderr, "sc-relay: %s: status: %s\n", be->name, err);
        return -1;
    }
    if (ver != SC_PROTO_VERSION) {
        fprintf(stderr, "sc-relay: %s: the VMM speaks SCCrypt protocol version %u, this "
                "sc-relay speaks version %u; install matching versions\n", be->name,
                (unsigned)ver, (unsigned)SC_PROTO_VERSION);
        return -1;
    }
    return 0;
}

static int do_vmm_key(const struct relay_backend *be, struct relay_conn *c)
{
    uint8_t pub[32];
    const char *err = NULL;

    if (be->vmm_key(c, pub, &err) < 0) {
        fprintf(stderr, "sc-relay: %s: vmm key: %s\n", be->name, err);
        return EX_OPER;
    }
    return put_tagged("sccrypt-vmm-v1", pub, sizeof(pub));
}

#define CHALLENGE_TAG   "sccrypt-challenge-v1"

static int do_challenge(const struct relay_backend *be, struct relay_conn *c, uint32_t domid)
{
    uint8_t chal[SC_CHALLENGE_LEN];
    const char *err = NULL;
    int verr = 0;

    if (be->challenge(c, domid, chal, &verr, &err) < 0) {
        if (verr) {
            fprintf(stderr, "sc-relay: domain %u: the VMM refused the challenge: %s\n",
                    (unsigned)domid, vmm_strerror(verr));
            return EX_REFUSED;
        }
        fprintf(stderr, "sc-relay: %s: challenge: %s\n", be->name, err);
        return EX_OPER;
    }
    return put_tagged(CHALLENGE_TAG, chal, sizeof(chal));
}

/*
 * A refused bind's reason: the session's words, but for the two the bind
 * changes.  A request that fails authentication holds the user's key, so
 * "wrong key" would mislead: it was sealed for a challenge no longer
 * current, or to the VMM key of an earlier boot of the hypervisor.
 */
static const char *bind_strerror(int e)
{
    switch (e) {
    case SC_EAUTH: return "the request does not open under the domain's current bind "
                          "challenge and this VMM's key: each bind attempt uses the challenge "
                          "up (a re-created domain has a new one), and the VMM key changes at "
                          "every boot of the hypervisor; fetch both again (sc-relay --vmm-key "
                          "--challenge GUEST), check the key's fingerprint and seal a new "
                          "request (sc-keygen --seal --challenge)";
    case SC_EUUID: return "the request names another domain's UUID (sealed with this "
                          "domain's challenge, which it used up): check the domain id or "
                          "name (xl domid NAME) and the --domain UUID, then fetch a new "
                          "challenge and seal a new request";
    default: return vmm_strerror(e);
    }
}

static int do_bind(const struct relay_backend *be, struct relay_conn *c, uint32_t domid)
{
    uint8_t req[SC_BIND_LEN + 1], ans[SC_BOUND_LEN];
    const char *err = NULL;
    size_t alen = 0;
    int verr = 0;
    ssize_t n;

    if (isatty(0)) {
        fprintf(stderr, "sc-relay: --bind reads the request from stdin: "
                "sc-relay --bind %u < request\n", (unsigned)domid);
        return EX_OPER;
    }
    n = io_read_full(0, req, sizeof(req));
    if (n < 0) {
        fprintf(stderr, "sc-relay: stdin: %s\n", strerror(errno));
        return EX_OPER;
    }
    if (n != SC_BIND_LEN) {
        fprintf(stderr, "sc-relay: stdin: expected a %d-byte bind request (sc-keygen --seal), "
                "got %s\n", SC_BIND_LEN, n > SC_BIND_LEN ? "more" : "fewer");
        return EX_OPER;
    }
    if (be->bind(c, domid, req, SC_BIND_LEN, ans, &alen, &verr, &err) < 0) {
        if (verr == SC_ELEVEL) {
            struct sc_level least;
            char lw[LEVEL_TEXT_MAX];

            least.flags = req[2];
            least.console = req[3];
            level_words(lw, sizeof(lw), &least);
            fprintf(stderr, "sc-relay: domain %u: the VMM refused the bind: %s. The request "
                    "requires at least: %s. If the user accepts a weaker seal, they seal a "
                    "new request with sc-keygen --seal ... --require LEVEL (sc-console --bind "
                    "--require LEVEL) for a fresh challenge\n", (unsigned)domid,
                    bind_strerror(verr), lw);
        } else if (verr) {
            fprintf(stderr, "sc-relay: domain %u: the VMM refused the bind: %s\n",
                    (unsigned)domid, bind_strerror(verr));
        }
        if (verr) {
            syslog(LOG_NOTICE, "bind refused: user=%s domain=%u reason=%s", who(),
                   (unsigned)domid, bind_strerror(verr));
            return EX_REFUSED;
        }
        if (errno == EACCES && !strcmp(be->name, "xen")) {  /* not pristine */
            fprintf(stderr, "sc-relay: domain %u: the hypervisor refused the bind: %s\n",
                    (unsigned)domid, err);
            syslog(LOG_NOTICE, "bind refused: user=%s domain=%u reason=not pristine", who(),
                   (unsigned)domid);
            return EX_REFUSED;
        }
        fprintf(stderr, "sc-relay: %s: bind: %s\n", be->name, err);
        return EX_OPER;
    }
    syslog(LOG_NOTICE, "bound: user=%s domain=%u", who(), (unsigned)domid);
    fprintf(stderr, "sc-relay: domain %u: console bound\n", (unsigned)domid);
    if (alen != SC_BOUND_LEN)
        return EX_ENDED;        /* a VMM that sends no bind answer */
    /* The VMM's answer, for the user's tools to check and record (sc-keygen --bound). */
    return put_tagged(BOUND_TAG, ans, sizeof(ans));
}

/* --check-policy [FILE]: parse it as the relay would (ownership, modes, syntax). */
static int check_policy(const char *file, int nargs)
{
    struct relay_policy *p;
    char err[512];
    int rc;

    if (nargs > 1) {
        usage(stderr);
        return EX_OPER;
    }
    openlog("sc-relay", LOG_PID, LOG_AUTHPRIV);
    rc = gate_check_policy(file);
    if (rc)
        return rc;
    if (!file)
        file = SC_RELAY_POLICY;
    p = malloc(sizeof(*p));
    if (!p) {
        fprintf(stderr, "sc-relay: out of memory\n");
        return EX_OPER;
    }
    if (rp_load(p, file, err, sizeof(err)) < 0) {
        fprintf(stderr, "sc-relay: %s\n", err);
        free(p);
        return EX_OPER;
    }
    printf("%s: %zu rule%s, backend %s, socket %s\n", file, p->nrules, p->nrules == 1 ? "" : "s",
           p->backend[0] ? p->backend : "xen (default)",
           p->socket[0] ? p->socket : "/run/sccrypt-sim/sim.sock (default)");
    free(p);
    return 0;
}

/* --- the session --- */

struct sess {
    const struct relay_backend *be;
    struct relay_conn *c;
    uint32_t domid;
    size_t inlen, outoff, outlen;
    uint64_t bytes_in, bytes_out;
    /* For the session's log line: VMM exchanges (xen: hypercalls), events, input records. */
    uint64_t exchanges, events, records_in;
    int opened, ended, stdin_eof, input_dead;
    int in_blocked;                 /* the VMM left input untaken: wait for room */
    size_t offer;                   /* input to offer at most in one exchange */
    int want;                       /* the VMM has news not fetched yet */
    int out_blocked;                /* stdout took no more: wait for POLLOUT */
    int eof_told;                   /* the VMM was told our input ended */
    int refused;                    /* the VMM refused an input record */
    int fatal;                      /* an operational error: stop */
};

/* Length of the longest prefix of inbuf made of whole frames. */
static size_t whole_frames(const uint8_t *p, size_t len)
{
    size_t off = 0, blen;

    while (len - off >= SC_FRAME_HDR) {
        blen = (size_t)p[off] << 8 | p[off + 1];
        if (blen < SC_REC_MIN_BODY || blen > SC_REC_MAX_BODY)
            return off + SC_FRAME_HDR;     /* the VMM refuses it and says so */
        if (len - off < SC_FRAME_HDR + blen)
            break;
        off += SC_FRAME_HDR + blen;
    }
    return off;
}

/*
 * xfer() for a backend without its own: input, then output until the VMM
 * has no more or the room is used up (as many calls as that takes).
 */
static int xfer_composed(struct sess *s, const uint8_t *in, size_t inlen, size_t *consumed,
                         uint8_t *out, size_t cap, size_t *outlen, int *ended, int *vmm_err,
                         const char **err)
{
    size_t got;
    int i;

    *consumed = 0;
    *outlen = 0;
    *ended = 0;
    *vmm_err = 0;
    if (inlen && s->be->input(s->c, in, inlen, consumed, vmm_err, err) < 0)
        return -1;
    for (i = 0; i < 64 && cap - *outlen >= OUT_MIN && !*ended; i++) {
        if (s->be->output(s->c, out + *outlen, cap - *outlen, &got, ended, vmm_err, err) < 0)
            return -1;
        *outlen += got;
        if (got == 0)
            break;
    }
    return 0;
}

/*
 * One exchange with the VMM, when there is something to exchange: the
 * whole input frames it has not refused, and as much output as we have
 * room for.  Input the VMM left is kept and offered again only after an
 * event says it has room, and then not much more than it took last time
 * (s->offer: what it took and one maximum frame; half as much again each
 * time it takes all, and the rest offered at once): bytes are not sent
 * over and over for nothing.  (The sim backend takes what its credit
 * covers and its room comes back as credit; nothing crosses twice.)
 */
static void exchange(struct sess *s)
{
    const char *err = NULL;
    size_t whole = 0, used = 0, got = 0, room;
    int ended = 0, verr = 0, rc;

    if (!s->opened || s->ended || s->fatal)
        return;
    if (s->input_dead)
        s->inlen = 0;
    else if (!s->in_blocked)
        whole = whole_frames(inbuf, s->inlen < s->offer ? s->inlen : s->offer);
    if (s->outlen == 0)
        s->outoff = 0;
    else if (s->outoff && s->outoff + s->outlen > OUT_CAP - OUT_MIN) {
        memmove(outbuf, outbuf + s->outoff, s->outlen);
        s->outoff = 0;
    }
    room = OUT_CAP - s->outoff - s->outlen;
    if (room < OUT_MIN)
        room = 0;
    if (whole == 0 && (!s->want || room == 0))
        return;
    if (room)
        s->want = 0;
    s->exchanges++;
    if (s->be->xfer)
        rc = s->be->xfer(s->c, inbuf, whole, &used, outbuf + s->outoff + s->outlen, room, &got,
                         &ended, &verr, &err);
    else
        rc = xfer_composed(s, inbuf, whole, &used, outbuf + s->outoff + s->outlen, room, &got,
                           &ended, &verr, &err);
    if (used > whole)
        used = whole;
    if (got > room)
        got = room;
    for (size_t off = 0; off + SC_FRAME_HDR <= used; off += SC_FRAME_HDR + ((size_t)inbuf[off] << 8 | inbuf[off + 1]))
        s->records_in++;
    memmove(inbuf, inbuf + used, s->inlen - used);
    s->inlen -= used;
    s->bytes_in += used;
    if (used < whole) {
        s->in_blocked = 1;
        s->offer = used + SC_REC_MAX_FRAME;
    } else if (whole && s->offer < IN_CAP) {
        s->offer = s->offer < IN_CAP / 3 * 2 ? s->offer + s->offer / 2 : IN_CAP;
    }
    s->outlen += got;
    s->bytes_out += got;
    if (ended)
        s->ended = 1;
    /* Room ran out: the VMM may have more (a backend with xfer() says so with an event). */
    if (room && room - got < OUT_MIN && !s->be->xfer)
        s->want = 1;
    /* The backend holds output that came already (the sim backend's stream). */
    if (s->be->pending && s->be->pending(s->c))
        s->want = 1;
    if (rc == 0)
        return;
    if (verr == SC_EAUTH || verr == SC_EINVAL || verr == SC_ECLOSED) {
        if (verr != SC_ECLOSED) {
            fprintf(stderr, "sc-relay: domain %u: the VMM refused an input record: %s%s",
                    (unsigned)s->domid, vmm_strerror(verr), eol);
            s->refused = 1;
        }
        s->input_dead = 1;
        s->inlen = 0;
        s->want = 1;                /* its close record, if it did not come with this */
        return;
    }
    if (verr == SC_ENOSESSION)
        fprintf(stderr, "sc-relay: domain %u: the VMM has no session for us any more%s",
                (unsigned)s->domid, eol);
    else if (verr)
        fprintf(stderr, "sc-relay: domain %u: %s%s", (unsigned)s->domid, vmm_strerror(verr),
                eol);
    else
        fprintf(stderr, "sc-relay: %s: %s%s", s->be->name, err, eol);
    s->fatal = 1;
}

/*
 * Reads what stdin has, in large reads: a read that does not fill the room
 * took all there was, so no read ends in EAGAIN on the way.
 */
static void read_stdin(struct sess *s)
{
    size_t room;
    ssize_t r;

    while ((room = IN_CAP - s->inlen) > 0) {
        r = read(0, inbuf + s->inlen, room);
        if (r > 0) {
            s->inlen += (size_t)r;
            if ((size_t)r < room)
                return;
            continue;
        }
        if (r == 0) {
            s->stdin_eof = 1;
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            fprintf(stderr, "sc-relay: stdin: %s%s", strerror(errno), eol);
            s->stdin_eof = 1;
        }
        return;
    }
}

/* Writes what output we hold, as stdout takes it: 0, or -1 on an error. */
static int flush_out(struct sess *s)
{
    ssize_t n;

    while (s->outlen > 0) {
        n = write(1, outbuf + s->outoff, s->outlen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                s->out_blocked = 1;
                return 0;
            }
            return -1;
        }
        s->outoff += (size_t)n;
        s->outlen -= (size_t)n;
    }
    s->outoff = 0;
    return 0;
}

/*
 * In place of the answer: the refusal notice (exits.h), so that sc-dec exits
 * with our status.  Best effort: sc-dec may be gone.
 */
static void send_notice(int rc)
{
    uint8_t f[SC_FRAME_HDR + SC_NOTICE_BODY];

    if (isatty(1))
        return;                     /* a person, not sc-dec: the message said it all */
    f[0] = 0;
    f[1] = SC_NOTICE_BODY;
    memcpy(f + SC_FRAME_HDR, SC_NOTICE_MAGIC, SC_NOTICE_BODY - 1);
    f[SC_FRAME_HDR + SC_NOTICE_BODY - 1] = (uint8_t)rc;
    for (;;) {
        struct pollfd p = { .fd = 1, .events = POLLOUT };

        if (io_write_all(1, f, sizeof(f)) == 0 || errno != EAGAIN)
            return;
        /* stdout is non-blocking in a session: wait a little for room, once. */
        if (poll(&p, 1, 1000) <= 0)
            return;
    }
}

static int open_session(struct sess *s, int takeover)
{
    uint8_t answer[SC_ANSWER_LEN + 16];
    size_t alen = sizeof(answer);
    const char *err = NULL;
    int verr = 0;

    if (s->be->open(s->c, s->domid, takeover, inbuf + SC_FRAME_HDR, SC_HELLO_LEN, answer, &alen,
                    &verr, &err) < 0) {
        if (verr) {
            int rc = verr == SC_ENOTBOUND ? EX_UNBOUND : verr == SIM_ERR_BUSY ? EX_BUSY :
                     EX_REFUSED;

            fprintf(stderr, "sc-relay: domain %u: the VMM refused the session: %s\n",
                    (unsigned)s->domid, vmm_strerror(verr));
            syslog(LOG_NOTICE, "session refused: user=%s domain=%u reason=%s", who(),
                   (unsigned)s->domid, vmm_strerror(verr));
            send_notice(rc);
            return rc;
        }
        fprintf(stderr, "sc-relay: %s: open: %s\n", s->be->name, err);
        return EX_OPER;
    }
    if (alen != SC_ANSWER_LEN) {
        fprintf(stderr, "sc-relay: %s: the VMM's answer has the wrong length\n", s->be->name);
        return EX_OPER;
    }
    memmove(inbuf, inbuf + SC_FRAME_HDR + SC_HELLO_LEN, s->inlen - SC_FRAME_HDR - SC_HELLO_LEN);
    s->inlen -= SC_FRAME_HDR + SC_HELLO_LEN;
    s->bytes_in += SC_FRAME_HDR + SC_HELLO_LEN;
    outbuf[0] = (uint8_t)(SC_ANSWER_LEN >> 8);
    outbuf[1] = (uint8_t)SC_ANSWER_LEN;
    memcpy(outbuf + 2, answer, SC_ANSWER_LEN);
    s->outoff = 0;
    s->outlen = SC_FRAME_HDR + SC_ANSWER_LEN;
    s->bytes_out += s->outlen;
    s->opened = 1;
    eol = "\r\n";
    syslog(LOG_NOTICE, "session start: user=%s domain=%u backend=%s%s", who(),
           (unsigned)s->domid, s->be->name, takeover ? " takeover" : "");
    return 0;
}

static int run_session(const struct relay_backend *be, struct relay_conn *c, uint32_t domid,
                       int takeover)
{
    struct sess s;
    struct pollfd pfd[4];
    const char *err = NULL, *how = "ended by the VMM";
    uint64_t deadline = 0;
    int closing = 0, rc = EX_ENDED, n, i, timeout, evfd, stdout_err = 0;

    memset(&s, 0, sizeof(s));
    s.be = be;
    s.c = c;
    s.domid = domid;
    s.offer = 4 * SC_REC_MAX_FRAME < IN_CAP ? 4 * SC_REC_MAX_FRAME : IN_CAP;
    for (i = 0; i < 2; i++) {
        saved_fl[i] = fcntl(i, F_GETFL);
        if (saved_fl[i] >= 0)
            fcntl(i, F_SETFL, saved_fl[i] | O_NONBLOCK);
    }
    atexit(restore_fds);

    for (;;) {
        /*
         * What the last pass brought: output stdout now has room for, one
         * exchange with the VMM, then its output to stdout at once (POLLOUT
         * only when stdout is full).
         */
        if (s.outlen && !s.out_blocked && flush_out(&s) < 0)
            stdout_err = errno;
        if (!stdout_err) {
            exchange(&s);
            if (s.outlen && !s.out_blocked && flush_out(&s) < 0)
                stdout_err = errno;
        }
        if (stdout_err) {
            fprintf(stderr, "sc-relay: stdout: %s%s", strerror(stdout_err), eol);
            if (!closing && !s.ended)
                (void)be->close(c, SC_CLOSE_RELAY, &err);
            rc = EX_OPER;
            how = "stdout closed";
            break;
        }
        if (s.fatal) {
            rc = EX_OPER;
            how = "operational error";
            break;
        }
        if (s.ended && s.outlen == 0)
            break;
        /*
         * Input ended and all of it is with the VMM: ask it to end the session.
         * It ends one still waiting for the client's close (sc-enc died, or the
         * handshake failed) with CLOSE RELAY; after the client's close it goes
         * on to its quiet end as before.
         */
        if (s.opened && s.stdin_eof && !s.ended && !closing && !s.eof_told &&
            (s.input_dead || whole_frames(inbuf, s.inlen) == 0)) {
            s.eof_told = 1;
            if (be->close(c, SC_CLOSE_RELAY, &err) == 0) {
                s.want = 1;
                continue;
            }
        }
        if (closing && now_ms() >= deadline) {
            fprintf(stderr, "sc-relay: domain %u: the VMM did not end the session in time%s",
                    (unsigned)domid, eol);
            rc = EX_SIGNAL;
            break;
        }
        n = 0;
        pfd[n].fd = sigpipe_fd[0];
        pfd[n++].events = POLLIN;
        /* A descriptor we do not want now is left out: back-pressure. */
        pfd[n].fd = (!s.stdin_eof && s.inlen < IN_CAP && !s.ended) ? 0 : -1;
        pfd[n++].events = POLLIN;
        pfd[n].fd = s.outlen ? 1 : -1;
        pfd[n++].events = POLLOUT;
        evfd = s.opened && !s.ended ? be->event_fd(c) : -1;
        pfd[n].fd = evfd;
        pfd[n++].events = POLLIN;
        timeout = closing ? (int)(deadline - now_ms()) : -1;
        /*
         * The VMM took all we offered and more is whole, or it has news and
         * stdout made room for it: the next exchange comes now, not after a wait.
         */
        if (s.opened && !s.ended && ((!s.input_dead && !s.in_blocked &&
                                      whole_frames(inbuf, s.inlen) > 0) ||
                                     (s.want && OUT_CAP - s.outlen >= OUT_MIN)))
            timeout = 0;
        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sc-relay: poll: %s%s", strerror(errno), eol);
            rc = EX_OPER;
            break;
        }
        if (pfd[0].revents & POLLIN) {
            uint8_t b[16];

            if (read(sigpipe_fd[0], b, sizeof(b)) > 0) {
                if (closing || !s.opened) {
                    rc = EX_SIGNAL;
                    how = "signal";
                    break;
                }
                closing = 1;
                how = "signal: the relay asked the VMM to close";
                deadline = now_ms() + CLOSE_WAIT_MS;
                if (be->close(c, SC_CLOSE_RELAY, &err) < 0) {
                    rc = EX_SIGNAL;
                    break;
                }
                s.want = 1;
            }
        }
        if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            read_stdin(&s);
            if (!s.opened) {
                if (s.inlen >= SC_FRAME_HDR &&
                    ((size_t)inbuf[0] << 8 | inbuf[1]) != SC_HELLO_LEN) {
                    fprintf(stderr, "sc-relay: stdin does not start with a hello "
                            "(is sc-enc on the other end?)\n");
                    rc = EX_OPER;
                    break;
                }
                if (s.inlen >= SC_FRAME_HDR + SC_HELLO_LEN) {
                    rc = open_session(&s, takeover);
                    if (rc)
                        break;
                    /* The VMM says when output waits (an event, or the sim backend's push); ask the others. */
                    if (!be->xfer)
                        s.want = 1;
                } else if (s.stdin_eof) {
                    /*
                     * Nothing at all: the client never began (sc-enc said
                     * why, a bad key say); only a cut hello is ours to report.
                     */
                    if (s.inlen > 0 || !stdin_is_pipe())
                        fprintf(stderr, "sc-relay: stdin ended before the hello%s", eol);
                    rc = EX_OPER;
                    break;
                }
            }
        }
        if (evfd >= 0 && (pfd[3].revents & (POLLIN | POLLHUP | POLLERR))) {
            unsigned int ev;

            s.events++;
            if (be->ack(c, &err) < 0) {
                fprintf(stderr, "sc-relay: %s: %s%s", be->name, err, eol);
                s.fatal = 1;
                continue;
            }
            ev = be->acked ? be->acked(c) : RELAY_EV_OUTPUT | RELAY_EV_ROOM;
            if (ev & RELAY_EV_ROOM)
                s.in_blocked = 0;
            if (ev & RELAY_EV_OUTPUT)
                s.want = 1;
        }
        if (pfd[2].revents & (POLLOUT | POLLERR | POLLHUP))
            s.out_blocked = 0;
    }
    if (rc == EX_ENDED && closing)
        rc = EX_SIGNAL;
    if (rc == EX_ENDED && s.refused) {
        rc = EX_REFUSED;
        how = "the VMM refused an input record";
    }
    if (s.opened)
        syslog(LOG_NOTICE, "session end: user=%s domain=%u in=%llu out=%llu records_in=%llu "
               "exchanges=%llu events=%llu how=%s", who(), (unsigned)domid,
               (unsigned long long)s.bytes_in, (unsigned long long)s.bytes_out,
               (unsigned long long)s.records_in, (unsigned long long)s.exchanges,
               (unsigned long long)s.events, how);
    restore_fds();
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "backend", required_argument, NULL, 'b' },
        { "socket", required_argument, NULL, 's' },
        { "takeover", no_argument, NULL, 't' },
        { "vmm-key", no_argument, NULL, 'K' },
        { "bind", no_argument, NULL, 'B' },
        { "challenge", no_argument, NULL, 'C' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "check-policy", no_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    const struct relay_backend *be;
    struct relay_conn *c = NULL;
    struct sigaction sa;
    const char *bname = NULL, *sockopt = NULL;
    struct relay_gate gate;
    int opt, takeover = 0, vmmkey = 0, bind = 0, chal = 0, verbose = 0, checkpol = 0, rc;
    uint8_t domuuid[16];
    uint32_t domid = 0;
    const char *guest = NULL;

    while ((opt = getopt_long(argc, argv, "b:s:tvh", lo, NULL)) != -1) {
        switch (opt) {
        case 'b':
            bname = optarg;
            break;
        case 's':
            relay_sim_set_socket(optarg);
            sockopt = optarg;
            break;
        case 't':
            takeover = 1;
            break;
        case 'K':
            vmmkey = 1;
            break;
        case 'B':
            bind = 1;
            break;
        case 'C':
            chal = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("sc-relay %s\n", SC_VERSION);
            return 0;
        case 'P':
            checkpol = 1;
            break;
        default:
            usage(stderr);
            return EX_OPER;
        }
    }
    if (checkpol)
        return check_policy(optind < argc ? argv[optind] : NULL, argc - optind);
    if ((vmmkey && !chal) ? optind != argc : optind + 1 != argc) {
        usage(stderr);
        return EX_OPER;
    }
    if (chal && (bind || takeover)) {
        usage(stderr);
        return EX_OPER;
    }
    if (chal)
        vmmkey = vmmkey ? 2 : 0;    /* 2: the key's line, then the challenge's */
    if (!vmmkey || chal) {
        guest = argv[optind];
        if (parse_domid(guest, &domid) < 0 && !guest_name_ok(guest) &&
            !(strlen(guest) == 36 && uuid_parse(domuuid, guest) == 0)) {
            fprintf(stderr, "sc-relay: %s: not a domain id, name or UUID\n", guest);
            return EX_OPER;
        }
    }
    if (vmmkey == 1 && (bind || takeover)) {
        usage(stderr);
        return EX_OPER;
    }
    openlog("sc-relay", LOG_PID | (verbose ? LOG_PERROR : 0), LOG_AUTHPRIV);

    signal(SIGPIPE, SIG_IGN);
    if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
        fprintf(stderr, "sc-relay: pipe: %s\n", strerror(errno));
        return EX_OPER;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    /* Under sudo the policy decides, before anything reaches the VMM. */
    rc = gate_begin(&gate, &bname, sockopt);
    if (rc) {
        if (rc == EX_POLICY && !vmmkey && !bind && !chal)
            send_notice(rc);
        return rc;
    }
    be = choose(bname);
    if (!be)
        return EX_OPER;
    if (attach(be, &c) < 0) {
        if (c)
            be->disconnect(c);
        return EX_OPER;
    }
    if (vmmkey == 1)
        rc = gate_vmm_key(&gate);
    else if ((rc = resolve_guest(be, c, guest, &domid)) != 0)
        rc = rc == EX_REFUSED ? GATE_EX_NODOM : rc;
    else
        rc = gate_domain(&gate, be, c, domid,
                         bind || chal ? RP_BIND : takeover ? RP_TAKEOVER : RP_ATTACH);
    if (!vmmkey && !bind && !chal && (rc == EX_POLICY || rc == GATE_EX_NODOM))
        send_notice(rc);            /* a session refused before it began: sc-dec says so */
    if (rc == 0 && (vmmkey || chal)) {
        if (vmmkey)
            rc = do_vmm_key(be, c);
        if (rc == 0 && chal)
            rc = do_challenge(be, c, domid);
    } else if (rc == 0 && bind)
        rc = do_bind(be, c, domid);
    else if (rc == 0)
        rc = run_session(be, c, domid, takeover);
    be->disconnect(c);
    gate_end(&gate);
    closelog();
    return rc;
}
