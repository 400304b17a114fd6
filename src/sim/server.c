/* SPDX-License-Identifier: MIT */
/*
 * The simulator's hypervisor half: domains, their rings and backlogs, the
 * VMM engine, and the socket that serves the hypercall's operations
 * (sim_proto.h).  One thread, one poll() loop: guests' ptys, relay
 * connections, signals (signalfd) and the engine's quiet-time timer.
 * Nothing in the loop blocks: requests are gathered as their bytes come and
 * served when whole, answers leave as the socket takes them, so one slow or
 * hostile connection never stalls another.  Once a session is open its
 * connection is a stream both ways (sim_proto.h): input comes with SEND and
 * waits in the connection's input buffer for room in the ring; output is
 * sealed into the connection's push buffer as soon as it exists and that
 * buffer has room, and leaves on the session's stream socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "sccrypt_crypto.h"
#include "sim.h"
#include "text.h"
#include "sim_proto.h"

#define MAX_CONNS       64
#define MAX_CONNS_UID   (MAX_CONNS / 2) /* one user cannot take every slot */
#define REQ_WHOLE_MS    2000        /* a request begun must be whole within this */
#define IDLE_MS         10000       /* a connection without a session may idle this long */
#define SEND_STALL_MS   5000        /* an answer the relay does not read for this long */
#define OUT_NEED        SC_VMM_OUT_MIN
/* A push buffer holds a maximum record and a taken-over session's last words, with room to spare. */
#define PUSH_CAP        (64 * 1024 + SIM_HDR_LEN)
#define FINAL_CAP       16384
/* Credit comes back unasked once this much is owed (see sim_proto.h). */
#define CREDIT_BATCH    (SIM_CREDIT / 4)
#if CREDIT_BATCH > SIM_CREDIT - SC_REC_MAX_FRAME
#error "a relay short of credit for one frame must always be owed a batch"
#endif
#define DYING_GRACE_MS  2000
#define OUTQ_POLL_MS    20          /* how often a draining session's unread stream is looked at */
#define RESTART_MIN_MS  1000

struct sconn;

struct sdom {
    struct sim_domcfg *cfg;
    pid_t pid;                      /* the guest's process, 0 when none */
    int ptm;                        /* pty master, -1 when none */
    int pty_eof;                    /* every slave descriptor is closed */
    int pty_full;                   /* a write to the pty found it full: wait for POLLOUT */
    int dying;                      /* 1: delivering its last output, 2: close owed or sent */
    int status;
    uint64_t started_ms, died_ms, restart_at;
    unsigned int generation;
    volatile struct sc_xencons *ring;   /* the guest's PV ring, or the UART console's (private) */
    struct sim_uart *uart;          /* --uart: COM1 and its driver (uart.c), else NULL */
    struct sc_dom dom;
    struct sc_backlog bl;
    uint8_t *blbuf;
    struct sconn *holder;           /* the connection whose session is open */
    /* Guest run time (sc_vmm.h): host time less the time the guest was stopped. */
    int stopped;                    /* the guest process is stopped (SIGSTOP, SIGTSTP...) */
    uint64_t stopped_since, stopped_total;
};

struct sconn {
    int fd;
    uid_t uid;                      /* the peer's (SO_PEERCRED) */
    uint64_t last_ms;               /* the last request, or the accept */
    uint64_t req_ms;                /* when the request being gathered began */
    uint8_t *ib;                    /* requests as they come: header and payload, */
    size_t iblen, ibcap;            /* and what a client sent ahead of its answer */
    uint8_t *wbuf;                  /* an answer not yet taken by the socket */
    size_t woff, wlen;
    uint64_t wsince;
    int evfd;                       /* our end of the session's stream socketpair */
    struct sdom *d;
    int opened;                     /* an OPEN succeeded on this connection */
    int taken;                      /* its session was taken over */
    int input_dead;                 /* an input record failed: SENDs are dropped */
    int verr;                       /* that record's refusal, to push (SC_E*), or 0 */
    unsigned int close_reason;      /* a CLOSE waiting for the input sent before it */
    uint8_t *inq;                   /* input the VMM has not taken yet (SIM_CREDIT) */
    size_t inqlen;
    size_t owed;                    /* input taken and not yet credited back */
    uint8_t *pb;                    /* pushes not yet taken by the stream socket */
    size_t poff, plen;
    uint8_t *final;                 /* output of a session taken over, with its close */
    size_t finallen;
};

static const struct sim_cfg *cfg;
static struct sc_vmm vmm;
static struct sdom *doms;
static size_t ndoms;
static struct sconn conns[MAX_CONNS];
static sigset_t origmask;

static void conn_push(struct sconn *c);

static int session_open(const struct sdom *d)
{
    return d->dom.state != SC_SESS_NONE;
}

static int ring_out_used(const struct sdom *d)
{
    return SC_RING_OUT_SIZE - sim_ring_out_space(d->ring);
}

static struct sdom *find_dom(uint32_t domid)
{
    size_t i;

    for (i = 0; i < ndoms; i++)
        if (doms[i].cfg->domid == domid)
            return &doms[i];
    return NULL;
}

static void hexid(char out[17], const uint8_t *p)
{
    int i;

    for (i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* --- domains and guests --- */

/*
 * The domain's guest run time, the clock the core takes (sc_vmm.h): it
 * stands still while the guest's process is stopped, as a paused domain's
 * does in Xen, so stopping the guest cannot make it look quiet.
 */
static uint64_t dom_now(const struct sdom *d)
{
    uint64_t now = sim_now_ms(), off = d->stopped_total;

    if (d->stopped && now >= d->stopped_since)
        off += now - d->stopped_since;
    return now >= off ? now - off : 0;
}

static int dom_start_guest(struct sdom *d)
{
    d->pid = sim_guest_spawn(cfg, d->cfg, &d->ptm, &origmask);
    if (d->pid < 0) {
        d->pid = 0;
        d->ptm = -1;
        sim_log("domain %u (%s): cannot start the guest: %s", (unsigned)d->cfg->domid,
                d->cfg->name, strerror(errno));
        d->restart_at = sim_now_ms() + 5000;
        return -1;
    }
    d->pty_eof = 0;
    d->pty_full = 0;
    d->started_ms = sim_now_ms();
    d->restart_at = 0;
    return 0;
}

/* A new instance of the domain: same id and UUID, no binding, empty ring and backlog. */
static void dom_new_instance(struct sdom *d)
{
    const char *why = NULL;

    sc_dom_init(&d->dom, d->cfg->domid, d->cfg->uuid);
    if (d->uart) {
        /* A new 16550A at power-on, which the guest's driver probes and starts. */
        sim_uart_wipe(d->uart);
        if (sim_uart_init(d->uart, &why) < 0)
            sim_log("domain %u (%s): the guest's UART driver found no 16550A (%s)",
                    (unsigned)d->cfg->domid, d->cfg->name, why);
    } else {
        memset((void *)d->ring, 0, sizeof(*d->ring));
    }
    sc_backlog_wipe(&d->bl);
    d->bl.dropped = 0;
    d->dying = 0;
    d->generation++;
}

static void dom_destroy(struct sdom *d)
{
    uint64_t now = sim_now_ms();

    if (d->ptm >= 0)
        close(d->ptm);
    d->ptm = -1;
    if (d->pid > 0)
        kill(-d->pid, SIGKILL);
    sc_dom_wipe(&d->dom);
    dom_new_instance(d);
    d->restart_at = d->started_ms + RESTART_MIN_MS > now ? d->started_ms + RESTART_MIN_MS : now;
    sim_log("domain %u (%s): guest exited (status %d); starting it again as a new instance "
            "of the domain: its console must be bound again", (unsigned)d->cfg->domid,
            d->cfg->name, d->status);
}

/* Guest output waiting anywhere the engine cannot see: the ring, or the UART driver's queue. */
static int guest_out_waiting(const struct sdom *d)
{
    return ring_out_used(d) > 0 || (d->uart && d->uart->txlen > 0);
}

/*
 * A UART guest: its driver (uart.c) between the pty and COM1's registers,
 * the glue between the registers and the engine's ring, and the VMM's drain
 * of the ring into the backlog.  A BREAK record the engine stopped at is
 * queued behind the input before it (sc_uart_con_break), then input goes on.
 */
static int uart_pump(struct sdom *d, int readable)
{
    struct sim_uart *u = d->uart;
    int any = 0, progress, i;
    size_t room;
    ssize_t r;

    for (i = 0; i < 64; i++) {
        progress = 0;
        if (!d->pty_full && u->rxlen > 0) {
            r = sim_uart_to_pty(d->ptm, u);
            if (r > 0)
                progress = 1;
            else if (r == 0)
                d->pty_full = 1;
        }
        if (d->dom.pending_len && sc_vmm_flush_input(&d->dom, d->ring) > 0)
            progress = 1;
        if (sc_vmm_break_pending(&d->dom) && sc_uart_con_break(&u->con) == 0) {
            sc_vmm_break_taken(&d->dom);
            progress = 1;
        }
        /* What the engine put into the ring, or took from it, moves on to the registers. */
        sc_uart_con_kick(&u->con);
        if (readable && !d->pty_eof && (room = sim_uart_tx_room(u)) > 0) {
            r = sim_uart_from_pty(d->ptm, u);
            readable = r == (ssize_t)room;  /* a short read took all there was */
            if (r > 0) {
                progress = 1;
                if (session_open(d))
                    sc_vmm_guest_output(&d->dom, dom_now(d));
            } else if (r < 0) {
                d->pty_eof = 1;
            }
        }
        /* The guest takes its interrupts. */
        if (sim_uart_isr(u))
            progress = 1;
        if (ring_out_used(d) > 0 &&
            (!session_open(d) || d->bl.cap - d->bl.len >= (size_t)ring_out_used(d))) {
            if (sc_backlog_drain_ring(&d->bl, d->ring) > 0) {
                progress = 1;
                sc_uart_con_kick(&u->con);      /* a byte held in THR moves on */
                if (session_open(d))
                    sc_vmm_guest_output(&d->dom, dom_now(d));
            }
        }
        if (guest_out_waiting(d) && session_open(d))
            sc_vmm_guest_output(&d->dom, dom_now(d));
        if (!progress)
            break;
        any = 1;
    }
    return any;
}

/*
 * Guest side of the ring (the guest's driver) and the VMM's drain into the
 * backlog.  The pty is read only when poll() said it is readable (readable
 * set): a read that does not fill the ring's room took all there was, so
 * no pass ends in a read that finds nothing.  Writes to the pty are tried
 * when the in ring holds bytes (POLLOUT is asked for only when one found it
 * full).  Returns whether anything moved.
 */
static int dom_pump(struct sdom *d, int readable)
{
    int any = 0, progress, i, space;
    ssize_t r;

    if (d->ptm < 0)
        return 0;
    if (d->uart)
        return uart_pump(d, readable);
    for (i = 0; i < 64; i++) {
        progress = 0;
        if (!d->pty_full && sim_ring_in_used(d->ring) > 0) {
            r = sim_ring_to_guest(d->ptm, d->ring);
            if (r > 0)
                progress = 1;
            else if (r == 0)
                d->pty_full = 1;
        }
        if (d->dom.pending_len && sc_vmm_flush_input(&d->dom, d->ring) > 0)
            progress = 1;
        if (readable && !d->pty_eof && (space = sim_ring_out_space(d->ring)) > 0) {
            r = sim_guest_to_ring(d->ptm, d->ring);
            readable = r == space;  /* a short read took all there was */
            if (r > 0) {
                progress = 1;
                if (session_open(d))
                    sc_vmm_guest_output(&d->dom, dom_now(d));
            } else if (r < 0) {
                d->pty_eof = 1;
            }
        }
        if (ring_out_used(d) > 0 &&
            (!session_open(d) || d->bl.cap - d->bl.len >= (size_t)ring_out_used(d))) {
            if (sc_backlog_drain_ring(&d->bl, d->ring) > 0) {
                progress = 1;
                /* Issue 17.1: output moving towards the user is not quiet. */
                if (session_open(d))
                    sc_vmm_guest_output(&d->dom, dom_now(d));
            }
        }
        /* Output left in the ring waits for room in the backlog: not quiet either. */
        if (ring_out_used(d) > 0 && session_open(d))
            sc_vmm_guest_output(&d->dom, dom_now(d));
        if (!progress)
            break;
        any = 1;
    }
    return any;
}

/* A guest that exited: its last output is delivered, then its session closed. */
static void dom_check_dying(struct sdom *d, uint64_t now)
{
    if (!d->dying)
        return;
    if (d->dying == 1) {
        if (!d->pty_eof && now - d->died_ms < DYING_GRACE_MS)
            return;
        if (session_open(d) && (guest_out_waiting(d) || d->bl.len > 0))
            return;
        d->dying = 2;
        if (session_open(d))
            sc_vmm_close(&d->dom, SC_CLOSE_GUEST_GONE);
    }
    if (d->dying == 2 && !session_open(d))
        dom_destroy(d);
}

/* The VMM's per-key count: how many live domains key binds (sc_vmm_bind, sc_vmm_open). */
static int key_binds(void *ctx, const uint8_t key[SC_KEY_LEN])
{
    size_t i;
    int n = 0;

    (void)ctx;
    for (i = 0; i < ndoms; i++)
        n += doms[i].dom.bound && sc_ct_equal(doms[i].dom.key, key, SC_KEY_LEN);
    return n;
}

/* --- connections --- */

/* Hands what the socket takes of c's queued answer to it: 0, or -1 to close c. */
static int conn_flush(struct sconn *c)
{
    ssize_t n;

    while (c->woff < c->wlen) {
        n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        c->woff += (size_t)n;
        c->wsince = sim_now_ms();
    }
    free(c->wbuf);
    c->wbuf = NULL;
    c->woff = c->wlen = 0;
    return 0;
}

/*
 * Sends one answer, header and payload in one sendmsg() (a descriptor, if
 * any, goes with it), and queues what the socket does not take now; the
 * rest leaves on POLLOUT.  A connection sends its next request only after
 * reading the whole answer, so the socket has room for a header here
 * unless the peer misbehaves: then -1, and the connection is closed.
 */
static int send_resp(struct sconn *c, uint8_t op, uint8_t status, uint8_t err, uint32_t value,
                     uint32_t value2, const uint8_t *p, size_t len, int passfd)
{
    uint8_t h[SIM_HDR_LEN];
    struct msghdr mh;
    struct iovec iov[2];
    union {
        struct cmsghdr cm;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    size_t sent, rest;
    ssize_t n;

    if (c->wlen)
        return -1;
    h[0] = SIM_WIRE_VERSION;
    h[1] = op;
    h[2] = status;
    h[3] = err;
    sim_put32(h + 4, value);
    sim_put32(h + 8, value2);
    sim_put32(h + 12, (uint32_t)len);
    memset(&mh, 0, sizeof(mh));
    iov[0].iov_base = h;
    iov[0].iov_len = sizeof(h);
    iov[1].iov_base = (void *)p;
    iov[1].iov_len = len;
    mh.msg_iov = iov;
    mh.msg_iovlen = len ? 2 : 1;
    if (passfd >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        u.cm.cmsg_level = SOL_SOCKET;
        u.cm.cmsg_type = SCM_RIGHTS;
        u.cm.cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(&u.cm), &passfd, sizeof(int));
    }
    do
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (passfd >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)))
        return -1;
    sent = n < 0 ? 0 : (size_t)n;
    if (passfd >= 0 && sent < sizeof(h))
        return -1;
    rest = sizeof(h) + len - sent;
    if (rest == 0)
        return 0;
    c->wbuf = malloc(rest);
    if (c->wbuf == NULL)
        return -1;
    if (sent < sizeof(h)) {
        memcpy(c->wbuf, h + sent, sizeof(h) - sent);
        if (len)
            memcpy(c->wbuf + sizeof(h) - sent, p, len);
    } else {
        memcpy(c->wbuf, p + (sent - sizeof(h)), rest);
    }
    c->woff = 0;
    c->wlen = rest;
    c->wsince = sim_now_ms();
    return 0;
}

static int refuse(struct sconn *c, uint8_t op, int err, uint32_t value)
{
    return send_resp(c, op, SIM_STATUS_VMM, (uint8_t)err, value, 0, NULL, 0, -1);
}

/* A session ended (its close record went out, or nobody will read it). */
static void session_detach(struct sconn *c)
{
    struct sdom *d = c->d;

    if (d && d->holder == c)
        d->holder = NULL;
    c->d = NULL;
}

/*
 * Ends d's session with nobody to read its close (its relay went away), in
 * whatever state it is, the quiet wait after the user's close included:
 * the session's keys go, the binding and the backlog stay for the next
 * session (issue 17.2: this fell to a wipe of the binding while draining).
 */
static void session_abandon(struct sdom *d)
{
    if (session_open(d))
        sc_vmm_abandon(&d->dom);
}

static void conn_close(struct sconn *c)
{
    struct sdom *d = c->d;

    if (d && d->holder == c && session_open(d)) {
        session_abandon(d);
        sim_log("domain %u (%s): the relay went away; session ended",
                (unsigned)d->cfg->domid, d->cfg->name);
    }
    session_detach(c);
    if (c->evfd >= 0)
        close(c->evfd);
    close(c->fd);
    free(c->final);
    if (c->inq)
        sc_wipe(c->inq, SIM_CREDIT);
    free(c->inq);
    free(c->pb);
    if (c->ib)
        sc_wipe(c->ib, c->ibcap);
    free(c->ib);
    free(c->wbuf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->evfd = -1;
}

/*
 * The simulator's seal level for d (sccrypt(7) LEVELS), set before each
 * bind and open.  Honest by default: the simulator is a user-space process
 * that anyone with its uid or root may trace, so it claims neither a sealed
 * memory nor confined DMA; --claim-level claims more, for tests of the
 * clients only.  The console kind is the guest's: the PV ring, or
 * SC_CON_UART for a --uart guest (which is what lets its sessions send BREAKs).
 */
static void host_level(struct sdom *d)
{
    struct sc_level l;

    l.flags = cfg->claim_flags;
    l.console = d->uart ? SC_CON_UART : SC_CON_RING;
    (void)sc_dom_set_level(&d->dom, &l);
}

static int op_bind(struct sconn *c, uint32_t domid, const uint8_t *req, size_t len)
{
    struct sdom *d = find_dom(domid);
    uint8_t inst[SC_INSTANCE_LEN], ans[SC_BOUND_LEN];
    char id[17];
    int rc;

    if (!d)
        return refuse(c, SIM_OP_BIND, SIM_ERR_NODOMAIN, 0);
    if (sim_random(inst, sizeof(inst)) < 0)
        return refuse(c, SIM_OP_BIND, SC_ENORANDOM, 0);
    host_level(d);
    rc = sc_vmm_bind(&vmm, &d->dom, req, len, inst, key_binds, NULL);
    if (rc) {
        sim_log("domain %u (%s): bind refused: %s", (unsigned)domid, d->cfg->name,
                sc_strerror(rc));
        return refuse(c, SIM_OP_BIND, -rc, 0);
    }
    hexid(id, inst);
    sim_log("domain %u (%s): console bound (instance %s...)", (unsigned)domid, d->cfg->name, id);
    rc = sc_vmm_bound(&vmm, &d->dom, req, len, ans);
    if (rc)
        return refuse(c, SIM_OP_BIND, -rc, 0);
    return send_resp(c, SIM_OP_BIND, SIM_STATUS_OK, 0, 0, 0, ans, sizeof(ans), -1);
}

/* The domain's bind challenge, made when first asked (sc_vmm_challenge). */
static int op_challenge(struct sconn *c, uint32_t domid)
{
    struct sdom *d = find_dom(domid);
    uint8_t fresh[SC_CHALLENGE_LEN], chal[SC_CHALLENGE_LEN];
    int rc;

    if (!d)
        return refuse(c, SIM_OP_CHALLENGE, SIM_ERR_NODOMAIN, 0);
    if (sim_random(fresh, sizeof(fresh)) < 0)
        return refuse(c, SIM_OP_CHALLENGE, SC_ENORANDOM, 0);
    rc = sc_vmm_challenge(&d->dom, fresh, chal);
    explicit_bzero(fresh, sizeof(fresh));
    if (rc)
        return refuse(c, SIM_OP_CHALLENGE, -rc, 0);
    return send_resp(c, SIM_OP_CHALLENGE, SIM_STATUS_OK, 0, 0, 0, chal, sizeof(chal), -1);
}

/* The old session's last words when another takes the domain over. */
static void takeover_old(struct sconn *old, struct sc_dom *snap)
{
    size_t n, off = 0, cap = FINAL_CAP;
    int rc = 0, i;

    sc_vmm_close(snap, SC_CLOSE_TAKEOVER);
    old->final = malloc(cap);
    for (i = 0; old->final && i < 16 && rc == 0 && cap - off >= OUT_NEED; i++) {
        rc = sc_vmm_output(snap, NULL, old->final + off, cap - off, &n,
                           old->d ? dom_now(old->d) : 0);
        off += n;
    }
    old->finallen = off;
    if (!old->final || rc != 1) {
        free(old->final);
        old->final = NULL;
        old->finallen = 0;
    }
    sc_wipe(snap, sizeof(*snap));
    session_detach(old);
    old->taken = 1;
    old->input_dead = 1;
    old->inqlen = 0;
    if (!old->final && old->evfd >= 0) {    /* nothing to say: let it see the end */
        close(old->evfd);
        old->evfd = -1;
    }
}

static int op_open(struct sconn *c, uint32_t domid, int takeover, const uint8_t *hello,
                   size_t len)
{
    struct sdom *d = find_dom(domid);
    struct sc_dom snap;
    struct sconn *old = NULL;
    uint8_t answer[SC_ANSWER_LEN], eph[32];
    int sv[2], rc;

    if (c->d && session_open(c->d))
        return refuse(c, SIM_OP_OPEN, SIM_ERR_ATTACHED, 0);
    session_detach(c);
    if (!d)
        return refuse(c, SIM_OP_OPEN, SIM_ERR_NODOMAIN, 0);
    if (!c->inq && !(c->inq = malloc(SIM_CREDIT)))
        return -1;
    if (!c->pb && !(c->pb = malloc(PUSH_CAP)))
        return -1;
    if (d->dying)
        return refuse(c, SIM_OP_OPEN, SC_ENOTBOUND, 0);
    if (d->holder && session_open(d)) {
        if (!takeover)
            return refuse(c, SIM_OP_OPEN, SIM_ERR_BUSY, 0);
        old = d->holder;
        snap = d->dom;
    }
    if (sim_random(eph, sizeof(eph)) < 0)
        return refuse(c, SIM_OP_OPEN, SC_ENORANDOM, 0);
    host_level(d);
    rc = sc_vmm_open(&vmm, &d->dom, hello, len, answer, eph, d->bl.dropped, dom_now(d),
                     key_binds, NULL);
    sc_wipe(eph, sizeof(eph));
    if (rc) {
        if (old)
            sc_wipe(&snap, sizeof(snap));
        sim_log("domain %u (%s): hello refused: %s", (unsigned)domid, d->cfg->name,
                sc_strerror(rc));
        return refuse(c, SIM_OP_OPEN, -rc, 0);
    }
    /* The count stays until a live session has had it (the core takes it off then). */
    if (d->bl.dropped)
        sim_log("domain %u (%s): %llu bytes of output were dropped while no live session "
                "was attached", (unsigned)domid, d->cfg->name,
                (unsigned long long)d->bl.dropped);
    if (old) {
        takeover_old(old, &snap);
        sim_log("domain %u (%s): session taken over", (unsigned)domid, d->cfg->name);
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        session_abandon(d);
        return -1;
    }
    io_set_nonblock(sv[0], 1);
    if (c->evfd >= 0)
        close(c->evfd);
    c->evfd = sv[0];
    c->d = d;
    c->opened = 1;
    c->taken = c->input_dead = c->verr = 0;
    c->close_reason = 0;
    c->inqlen = c->owed = 0;
    c->poff = c->plen = 0;
    free(c->final);
    c->final = NULL;
    c->finallen = 0;
    d->holder = c;
    sim_log("domain %u (%s): session opened", (unsigned)domid, d->cfg->name);
    rc = send_resp(c, SIM_OP_OPEN, SIM_STATUS_OK, 0, 0, 0, answer, sizeof(answer), sv[1]);
    close(sv[1]);
    return rc;
}

/*
 * Input frames into the session's ring, as many as fit (pending input
 * pushed on to the guest between them): *total bytes taken.  0, or -SC_E*
 * when a record failed (the session is closing then).
 */
static int take_input(struct sconn *c, const uint8_t *p, size_t len, size_t *total)
{
    struct sdom *d = c->d;
    size_t used, wrote;
    int rc = 0, moved;
    uint64_t now = dom_now(d);

    *total = 0;
    for (;;) {
        rc = sc_vmm_input(&d->dom, d->ring, p + *total, len - *total, &used, &wrote, now);
        *total += used;
        if (rc || *total == len)
            break;
        moved = dom_pump(d, 0);
        if (used == 0 && !moved)
            break;
    }
    /*
     * No pump here: the caller seals what the input owes (a slot's answer)
     * before the input goes on to the guest's pty, so a key's answer leaves
     * no later than chaff's (issue 17.3), then pumps.
     */
    if (rc == -SC_EAUTH || rc == -SC_EINVAL)
        sim_log("domain %u (%s): an input record failed: %s; session closing",
                (unsigned)d->cfg->domid, d->cfg->name, sc_strerror(rc));
    return rc;
}

/*
 * Output frames that are ready, into out, up to cap bytes: *off bytes,
 * *ended when the session ended with them (its close last).  0 or -SC_E*.
 */
static int give_output(struct sconn *c, uint8_t *out, size_t cap, size_t *off, int *ended)
{
    struct sdom *d = c->d;
    uint64_t now = sim_now_ms();
    size_t n;
    int rc = 0, i;

    *off = 0;
    *ended = 0;
    /* Sealing first, then the guest's side: what is owed leaves before the guest is fed. */
    for (i = 0; i < 1024 && cap - *off >= OUT_NEED; i++) {
        int moved;

        rc = sc_vmm_output(&d->dom, &d->bl, out + *off, cap - *off, &n, dom_now(d));
        *off += n;
        if (rc == 1) {
            *ended = 1;
            rc = 0;
            break;
        }
        moved = dom_pump(d, 0);
        dom_check_dying(d, now);
        if (rc < 0 || (n == 0 && !moved))
            break;
    }
    if (rc < 0) {
        sc_wipe(out, *off);
        *off = 0;
        return rc;
    }
    if (*ended) {
        sim_log("domain %u (%s): session ended", (unsigned)d->cfg->domid, d->cfg->name);
        session_detach(c);
        dom_check_dying(d, now);
    }
    return 0;
}

/* A CLOSE the relay sent ends the session once the input sent before it is taken. */
static void conn_close_due(struct sconn *c)
{
    struct sdom *d = c->d;

    if (!c->close_reason || (c->inqlen && !c->input_dead))
        return;
    if (d && session_open(d) && !c->input_dead) {
        sc_vmm_close(&d->dom, c->close_reason);
        sim_log("domain %u (%s): the relay asked to end the session", (unsigned)d->cfg->domid,
                d->cfg->name);
    }
    c->close_reason = 0;
}

/* Whether input waits and the ring has room for it. */
static int conn_can_feed(const struct sconn *c)
{
    const struct sdom *d = c->d;

    return c->inqlen && d && session_open(d) && !c->input_dead && d->dom.pending_len == 0 &&
           !d->dom.brk_pending && sc_ring_in_space(d->ring) > 0;
}

/*
 * Gives the VMM what it has room for of the input that waits (the rest
 * stays for the guest to make room); what it takes is owed back as credit.
 * Returns whether it took any.
 */
static int conn_feed(struct sconn *c)
{
    size_t total = 0;
    int rc;

    if (!conn_can_feed(c))
        return 0;
    rc = take_input(c, c->inq, c->inqlen, &total);
    if (total > c->inqlen)
        total = c->inqlen;
    if (rc) {
        /* Nothing after a record that failed is taken; the relay is told why. */
        if (rc == -SC_EAUTH || rc == -SC_EINVAL)
            c->verr = -rc;
        c->input_dead = 1;
        total = c->inqlen;
    }
    if (total == 0)
        return 0;
    memmove(c->inq, c->inq + total, c->inqlen - total);
    c->inqlen -= total;
    c->owed += total;
    conn_close_due(c);
    return 1;
}

/*
 * SEND: input frames for the session's stream, no response.  The relay
 * holds SIM_CREDIT of credit, so the input buffer always has room for
 * them; more than that, or a SEND before any OPEN, closes the connection.
 * Input for a session that ended is dropped.
 */
static int op_send(struct sconn *c, const uint8_t *p, size_t len)
{
    if (!c->opened) {
        sim_log("uid %u: input before any session", (unsigned)c->uid);
        return -1;
    }
    if (!c->d || !session_open(c->d) || c->input_dead)
        return 0;
    if (len > SIM_CREDIT - c->inqlen - c->owed) {
        sim_log("domain %u (%s): the relay sent input beyond its credit",
                (unsigned)c->d->cfg->domid, c->d->cfg->name);
        return -1;
    }
    memcpy(c->inq + c->inqlen, p, len);
    c->inqlen += len;
    if (conn_feed(c)) {
        /* The answer the input earned leaves now, then the input goes on to the guest. */
        conn_push(c);
        if (c->d && session_open(c->d))
            dom_pump(c->d, 0);
    }
    return 0;
}

static int op_close(struct sconn *c, unsigned int reason)
{
    struct sdom *d = c->d;

    if (c->taken)
        return send_resp(c, SIM_OP_CLOSE, SIM_STATUS_OK, 0, 0, 0, NULL, 0, -1);
    if (!d || !session_open(d))
        return refuse(c, SIM_OP_CLOSE, SC_ENOSESSION, 0);
    /* dom0 may end a session, never make it look clean. */
    if (reason != SC_CLOSE_RELAY)
        return refuse(c, SIM_OP_CLOSE, SC_EINVAL, 0);
    /* It comes after the input sent before it (the client's own close may be there). */
    c->close_reason = reason;
    conn_close_due(c);
    return send_resp(c, SIM_OP_CLOSE, SIM_STATUS_OK, 0, 0, 0, NULL, 0, -1);
}

/* The domain's UUID and name, for the relay's policy. */
static int op_dominfo(struct sconn *c, uint32_t domid)
{
    const struct sdom *d = find_dom(domid);
    uint8_t p[SC_UUID_LEN + SIM_NAME_MAX];
    size_t n;

    if (!d)
        return refuse(c, SIM_OP_DOMINFO, SIM_ERR_NODOMAIN, 0);
    n = strnlen(d->cfg->name, SIM_NAME_MAX - 1);
    memcpy(p, d->cfg->uuid, SC_UUID_LEN);
    memcpy(p + SC_UUID_LEN, d->cfg->name, n);
    return send_resp(c, SIM_OP_DOMINFO, SIM_STATUS_OK, 0, 0, 0, p, SC_UUID_LEN + n, -1);
}

/* Every domain's id (for sc-relay's names: it asks DOMINFO of each). */
static int op_list(struct sconn *c)
{
    uint8_t p[4 * 64];                  /* at most 64 domains (sim_serve) */
    size_t i;

    for (i = 0; i < ndoms && i < 64; i++)
        sim_put32(p + 4 * i, doms[i].cfg->domid);
    return send_resp(c, SIM_OP_LIST, SIM_STATUS_OK, 0, 0, 0, p, 4 * i, -1);
}

/* One whole request (header h, payload reqbuf of len bytes); -1 closes the connection. */
static int conn_dispatch(struct sconn *c, const uint8_t *h, const uint8_t *reqbuf, uint32_t len)
{
    uint32_t domid, arg;
    int rc;

    domid = sim_get32(h + 4);
    arg = sim_get32(h + 8);
    (void)arg;
    switch (h[1]) {
    case SIM_OP_STATUS:
        rc = send_resp(c, h[1], SIM_STATUS_OK, 0,
                       cfg->report_version ? cfg->report_version : SC_PROTO_VERSION,
                       SIM_WIRE_VERSION, NULL, 0, -1);
        break;
    case SIM_OP_VMM_KEY:
        rc = send_resp(c, h[1], SIM_STATUS_OK, 0, 0, 0, vmm.pub, SC_PUB_LEN, -1);
        break;
    case SIM_OP_BIND:
        rc = op_bind(c, domid, reqbuf, len);
        break;
    case SIM_OP_CHALLENGE:
        rc = op_challenge(c, domid);
        break;
    case SIM_OP_OPEN:
        rc = op_open(c, domid, h[2] & SIM_F_TAKEOVER, reqbuf, len);
        break;
    case SIM_OP_SEND:
        rc = op_send(c, reqbuf, len);
        break;
    case SIM_OP_CLOSE:
        rc = op_close(c, h[3]);
        break;
    case SIM_OP_DOMINFO:
        rc = op_dominfo(c, domid);
        break;
    case SIM_OP_LIST:
        rc = op_list(c);
        break;
    default:
        send_resp(c, h[1], SIM_STATUS_BADREQ, 0, 0, 0, NULL, 0, -1);
        rc = -1;
    }
    return rc;
}

/* recv() that never blocks: bytes read, 0 when none yet, -1 at the end or on an error. */
static ssize_t conn_recv(struct sconn *c, uint8_t *p, size_t n)
{
    ssize_t r;

    do
        r = recv(c->fd, p, n, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    return r == 0 ? -1 : r;
}

/*
 * Serves the requests gathered in c->ib that are whole, one at a time: the
 * next only once the answer to the last has left.  0, or -1 to close c.
 */
static int conn_serve(struct sconn *c)
{
    uint32_t len;
    size_t whole;
    int rc;

    while (c->wlen == 0 && c->iblen >= SIM_HDR_LEN) {
        len = sim_get32(c->ib + 12);
        if (c->ib[0] != SIM_WIRE_VERSION || len > SIM_MAX_PAYLOAD) {
            send_resp(c, c->ib[1], SIM_STATUS_BADREQ, 0, 0, 0, NULL, 0, -1);
            return -1;
        }
        whole = SIM_HDR_LEN + (size_t)len;
        if (c->iblen < whole)
            return 0;
        rc = conn_dispatch(c, c->ib, c->ib + SIM_HDR_LEN, len);
        if (rc < 0)
            return -1;
        sc_wipe(c->ib, whole);
        memmove(c->ib, c->ib + whole, c->iblen - whole);
        c->iblen -= whole;
        c->last_ms = c->req_ms = sim_now_ms();
    }
    return 0;
}

/*
 * Reads what has come of c's requests, in one recv() when the buffer has
 * room for it all (header and payload together), and serves what is whole.
 * 0, or -1 to close c.
 */
static int conn_read(struct sconn *c)
{
    size_t need = SIM_HDR_LEN + 4096, cap;
    uint8_t *nb;
    ssize_t n;

    if (c->iblen >= SIM_HDR_LEN && sim_get32(c->ib + 12) <= SIM_MAX_PAYLOAD &&
        SIM_HDR_LEN + (size_t)sim_get32(c->ib + 12) > need)
        need = SIM_HDR_LEN + sim_get32(c->ib + 12);
    if (c->ibcap < need) {
        cap = need;
        nb = malloc(cap);
        if (nb == NULL)
            return -1;
        if (c->iblen)
            memcpy(nb, c->ib, c->iblen);
        if (c->ib)
            sc_wipe(c->ib, c->ibcap);
        free(c->ib);
        c->ib = nb;
        c->ibcap = cap;
    }
    if (c->iblen >= c->ibcap)
        return -1;                  /* cannot be: whole requests were served above */
    n = conn_recv(c, c->ib + c->iblen, c->ibcap - c->iblen);
    if (n <= 0)
        return (int)n;
    if (c->iblen == 0)
        c->req_ms = sim_now_ms();
    c->iblen += (size_t)n;
    return conn_serve(c);
}

/* Whether c's session has output for the relay that is not sealed yet. */
static int conn_has_news(struct sconn *c)
{
    struct sdom *d = c->d;

    if (!d || !session_open(d))
        return 0;
    /* What sc_vmm_output would seal now (small output held for a slot is not news). */
    if (sc_vmm_has_output(&d->dom, &d->bl, dom_now(d)))
        return 1;
    return ring_out_used(d) > 0 && d->bl.cap - d->bl.len >= (size_t)ring_out_used(d);
}

/*
 * Hands what the stream socket takes of c's pushes to it.  A relay that
 * closed its end takes nothing more: the session waits for the connection
 * to close.
 */
static void conn_send_push(struct sconn *c)
{
    ssize_t n;

    while (c->evfd >= 0 && c->poff < c->plen) {
        n = send(c->evfd, c->pb + c->poff, c->plen - c->poff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            sim_log("uid %u: stream socket: %s", (unsigned)c->uid, strerror(errno));
            close(c->evfd);
            c->evfd = -1;
            c->poff = c->plen = 0;
            return;
        }
        c->poff += (size_t)n;
    }
    /*
     * Issue 17.1: sealed output the relay has not taken (or took only
     * now) is not quiet.  The quiet wait begins once the relay has all.
     */
    if (c->plen && c->d && c->d->holder == c && session_open(c->d))
        sc_vmm_guest_output(&c->d->dom, dom_now(c->d));
    if (c->poff == c->plen)
        c->poff = c->plen = 0;
}

/*
 * Seals what c's session has for the relay into pushes, as far as the push
 * buffer holds them (never more: sealed bytes must all be delivered, in
 * order), with the credit it is owed and a refusal or the end, and sends
 * them; until nothing is left to seal or the socket takes no more (its
 * POLLOUT brings us back).  Credit alone goes out once CREDIT_BATCH is owed.
 */
static void conn_push(struct sconn *c)
{
    uint8_t *h;
    size_t room, olen, credit;
    int i, ended, status, rc;

    for (i = 0; i < 1024 && c->evfd >= 0 && c->pb; i++) {
        conn_send_push(c);
        if (c->poff && PUSH_CAP - c->plen < PUSH_CAP / 2) {
            memmove(c->pb, c->pb + c->poff, c->plen - c->poff);
            c->plen -= c->poff;
            c->poff = 0;
        }
        room = PUSH_CAP - c->plen;
        if (room < SIM_HDR_LEN + OUT_NEED)
            break;                  /* the socket's POLLOUT brings us back */
        h = c->pb + c->plen;
        olen = 0;
        ended = 0;
        if (c->final) {
            if (room < SIM_HDR_LEN + c->finallen)
                break;
            memcpy(h + SIM_HDR_LEN, c->final, c->finallen);
            olen = c->finallen;
            ended = 1;
            free(c->final);
            c->final = NULL;
            c->finallen = 0;
        } else if (!c->verr && conn_has_news(c)) {
            struct sdom *d = c->d;

            rc = give_output(c, h + SIM_HDR_LEN, room - SIM_HDR_LEN, &olen, &ended);
            if (rc < 0) {
                sim_log("domain %u (%s): output: %s", (unsigned)d->cfg->domid, d->cfg->name,
                        sc_strerror(rc));
                olen = 0;
                ended = 0;
            }
        }
        credit = 0;
        if (c->owed && (olen || ended || c->verr || c->owed >= CREDIT_BATCH)) {
            credit = c->owed;
            c->owed = 0;
        }
        status = c->verr != 0;
        if (!olen && !ended && !status && !credit) {
            /* Room in the backlog again: the guest's output waiting in the ring comes next. */
            if (c->d && session_open(c->d) && dom_pump(c->d, 0))
                continue;
            break;
        }
        h[0] = SIM_WIRE_VERSION;
        h[1] = SIM_OP_PUSH;
        h[2] = status ? SIM_STATUS_VMM : SIM_STATUS_OK;
        h[3] = (uint8_t)c->verr;
        sim_put32(h + 4, (uint32_t)credit);
        sim_put32(h + 8, ended ? SIM_V_ENDED : 0);
        sim_put32(h + 12, (uint32_t)olen);
        c->plen += SIM_HDR_LEN + olen;
        c->verr = 0;
        if (ended)
            break;
    }
    conn_send_push(c);
}

/* --- setup and the loop --- */

static int listen_socket(const char *path)
{
    struct sockaddr_un sa;
    char dir[sizeof(sa.sun_path)];
    struct stat st;
    char *slash;
    mode_t old;
    int fd, probe;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        sim_log("%s: socket path too long", path);
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    strcpy(dir, path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (sim_mkdirs(dir, 0700) < 0) {
            sim_log("%s: %s", dir, strerror(errno));
            return -1;
        }
        /*
         * Another user's directory (say, /tmp/sccrypt-sim-UID made first) could
         * swap the socket: it must be ours (or root's), and if others may write
         * in it, sticky (as /tmp is), so nobody else can replace our socket.
         */
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
            (st.st_uid != geteuid() && st.st_uid != 0) ||
            ((st.st_mode & 022) != 0 && (st.st_mode & S_ISVTX) == 0)) {
            sim_log("%s: the socket's directory must be a directory (not a symlink) owned by "
                    "you or root, and sticky if others can write in it; remove it or choose "
                    "another --socket", dir);
            return -1;
        }
    }
    probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(probe);
        sim_log("%s: another simulator is serving this socket", path);
        return -1;
    }
    if (probe >= 0)
        close(probe);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    old = umask(077);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
        umask(old);
        sim_log("%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    umask(old);
    return fd;
}

/* Bytes pushed into c's stream socket that the relay has not read yet (0 when unknown). */
static int stream_unread(const struct sconn *c)
{
    int n = 0;

    if (c->evfd < 0 || ioctl(c->evfd, SIOCOUTQ, &n) < 0)
        return 0;
    return n;
}

/* A connection holding no session: it may make room for a new one. */
static int conn_idle(const struct sconn *c)
{
    return c->fd >= 0 && c->d == NULL && c->final == NULL && c->wlen == 0 &&
           c->poff == c->plen;
}

/*
 * Takes a new connection.  One user holds at most MAX_CONNS_UID; when that
 * user's share or the table is full, the connection that has been idle
 * (no session) longest gives way (the same user's first); none idle: refused.
 */
static void accept_conn(int lfd)
{
    struct ucred cr;
    socklen_t crlen = sizeof(cr);
    int fd, i, free_slot = -1, mine = 0, victim = -1;

    fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0) {
        close(fd);
        return;
    }
    for (i = 0; i < MAX_CONNS; i++) {
        if (conns[i].fd < 0) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (conns[i].uid == cr.uid)
            mine++;
    }
    if (mine >= MAX_CONNS_UID || free_slot < 0) {
        for (i = 0; i < MAX_CONNS; i++) {
            if (!conn_idle(&conns[i]) || (mine >= MAX_CONNS_UID && conns[i].uid != cr.uid))
                continue;
            if (victim < 0 || conns[i].last_ms < conns[victim].last_ms)
                victim = i;
        }
        if (victim < 0) {
            sim_log("uid %u: too many connections; refused", (unsigned)cr.uid);
            close(fd);
            return;
        }
        sim_log("uid %u: too many connections; closed the longest idle one",
                (unsigned)cr.uid);
        conn_close(&conns[victim]);
        if (free_slot < 0)
            free_slot = victim;
    }
    memset(&conns[free_slot], 0, sizeof(conns[free_slot]));
    conns[free_slot].fd = fd;
    conns[free_slot].evfd = -1;
    conns[free_slot].uid = cr.uid;
    conns[free_slot].last_ms = sim_now_ms();
}

/* Closes a connection that stalls: a request not whole in time, an answer not read, idling. */
static int conn_expire(struct sconn *c, uint64_t now)
{
    const char *why = NULL;

    if (c->iblen > 0 && c->wlen == 0 && now - c->req_ms >= REQ_WHOLE_MS)
        why = "a request was not whole in time";
    else if (c->wlen > 0 && now - c->wsince >= SEND_STALL_MS)
        why = "its answer was not read in time";
    else if (conn_idle(c) && c->iblen == 0 && now - c->last_ms >= IDLE_MS)
        why = "idle without a session";
    if (why == NULL)
        return 0;
    sim_log("uid %u: connection closed: %s", (unsigned)c->uid, why);
    conn_close(c);
    return 1;
}

static void reap(void)
{
    pid_t pid;
    size_t i;
    int st;

    while ((pid = waitpid(-1, &st, WNOHANG | WUNTRACED | WCONTINUED)) > 0) {
        for (i = 0; i < ndoms; i++) {
            struct sdom *d = &doms[i];

            if (d->pid != pid)
                continue;
            /* Stopped and continued: its run time stands still meanwhile. */
            if (WIFSTOPPED(st)) {
                if (!d->stopped) {
                    d->stopped = 1;
                    d->stopped_since = sim_now_ms();
                }
                continue;
            }
            if (WIFCONTINUED(st)) {
                if (d->stopped) {
                    d->stopped_total += sim_now_ms() - d->stopped_since;
                    d->stopped = 0;
                }
                continue;
            }
            if (d->stopped) {
                d->stopped_total += sim_now_ms() - d->stopped_since;
                d->stopped = 0;
            }
            d->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            /* The rest of its process group goes with it; its output stays readable. */
            kill(-pid, SIGKILL);
            d->pid = 0;
            d->dying = 1;
            d->died_ms = sim_now_ms();
        }
    }
}

static void shutdown_all(int lfd)
{
    size_t i;

    for (i = 0; i < MAX_CONNS; i++)
        if (conns[i].fd >= 0)
            conn_close(&conns[i]);
    close(lfd);
    unlink(cfg->socket);
    for (i = 0; i < ndoms; i++) {
        struct sdom *d = &doms[i];

        if (d->ptm >= 0)
            close(d->ptm);
        if (d->pid > 0) {
            kill(-d->pid, SIGHUP);
            kill(-d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
        }
        sc_dom_wipe(&d->dom);
        sc_backlog_wipe(&d->bl);
        if (d->uart) {
            struct sim_uart *u = d->uart;

            sim_log("domain %u (%s): COM1: %llu bytes in, %llu out, %llu register accesses, "
                    "%llu interrupts, %llu waits on THRE, %llu BREAKs", (unsigned)d->cfg->domid,
                    d->cfg->name, (unsigned long long)u->rx, (unsigned long long)u->tx,
                    (unsigned long long)u->ios, (unsigned long long)u->irqs,
                    (unsigned long long)u->thre_waits, (unsigned long long)u->breaks);
            sim_uart_wipe(d->uart);
        }
    }
    sc_vmm_wipe(&vmm);
}

int sim_serve(const struct sim_cfg *c, int readyfd)
{
    struct pollfd pfd[2 + 2 * MAX_CONNS + 64];
    int pidx[MAX_CONNS], eidx[MAX_CONNS], didx[64];
    uint8_t secret[32];
    char fp[64], uuid[37];
    sigset_t mask;
    uint64_t now;
    int lfd, sfd, i, j, n, timeout, rc, fed;
    size_t k;

    cfg = c;
    if (cfg->ndoms > 64) {
        sim_log("at most 64 domains");
        return 2;
    }
    for (i = 0; i < MAX_CONNS; i++) {
        conns[i].fd = -1;
        conns[i].evfd = -1;
    }
    if (sim_identity(cfg->statedir, secret) < 0)
        return 2;
    rc = sc_vmm_init(&vmm, &sc_core_crypto, secret);
    explicit_bzero(secret, sizeof(secret));
    if (rc) {
        sim_log("%s/vmm-key: unusable key", cfg->statedir);
        return 2;
    }
    sim_fingerprint(fp, vmm.pub);
    sim_log("VMM key fingerprint %s", fp);

    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, &origmask);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    lfd = listen_socket(cfg->socket);
    if (sfd < 0 || lfd < 0) {
        sc_vmm_wipe(&vmm);
        return 2;
    }

    ndoms = cfg->ndoms;
    doms = calloc(ndoms, sizeof(*doms));
    if (!doms)
        return 2;
    for (k = 0; k < ndoms; k++) {
        struct sdom *d = &doms[k];

        d->cfg = &cfg->doms[k];
        d->ptm = -1;
        if (d->cfg->uart) {
            d->uart = calloc(1, sizeof(*d->uart));
            if (!d->uart)
                return 2;
            d->ring = &d->uart->con.ring;
        } else {
            d->ring = aligned_alloc(4096, 4096);
        }
        d->blbuf = malloc(cfg->backlog);
        if (!d->ring || !d->blbuf)
            return 2;
        sc_backlog_init(&d->bl, d->blbuf, cfg->backlog);
        dom_new_instance(d);
        uuid_format(uuid, d->cfg->uuid);
        sim_log("domain %u name %s uuid %s guest %s%s", (unsigned)d->cfg->domid,
                d->cfg->name, uuid, d->cfg->guest ? d->cfg->guest : "(built-in login)",
                d->uart ? " console uart (16550A at COM1)" : "");
        dom_start_guest(d);
    }
    sim_log("listening on %s", cfg->socket);
    sim_log("ready");
    if (readyfd >= 0) {
        (void)io_write_all(readyfd, "r", 1);
        close(readyfd);
    }
    /* The fingerprint and domains were shown on the user's terminal; now detach from it. */
    if (c->stderr_off_when_ready) {
        int nfd = open("/dev/null", O_WRONLY);

        if (nfd >= 0) {
            dup2(nfd, 2);
            close(nfd);
        }
        sim_log_init(1, 0);
    }

    for (;;) {
        now = sim_now_ms();
        timeout = -1;
        for (k = 0; k < ndoms; k++) {
            struct sdom *d = &doms[k];

            dom_pump(d, 0);
            dom_check_dying(d, now);
            /*
             * After dom_check_dying, which may have just destroyed the domain
             * and set its restart time: the wait below must end by then (it
             * waited for something else to wake the loop).
             */
            if (d->pid == 0 && !d->dying && d->ptm < 0 && d->restart_at) {
                if (d->restart_at <= now)
                    dom_start_guest(d);
                else if (timeout < 0 || d->restart_at - now < (uint64_t)timeout)
                    timeout = (int)(d->restart_at - now);
            }
            if (d->dying == 1 && (timeout < 0 || timeout > 100))
                timeout = 100;
        }
        for (i = 0; i < MAX_CONNS; i++) {
            struct sconn *cn = &conns[i];
            int64_t w;

            if (cn->fd < 0 || conn_expire(cn, sim_now_ms()))
                continue;
            /*
             * Issue 17.1: records in the stream socket the relay has not read
             * yet are not quiet either.  The kernel says how many bytes wait
             * (SIOCOUTQ) but not when they go: while draining, look again
             * every OUTQ_POLL_MS until they have.
             */
            if (cn->d && cn->d->holder == cn && cn->d->dom.state == SC_SESS_DRAINING &&
                stream_unread(cn) > 0) {
                sc_vmm_guest_output(&cn->d->dom, dom_now(cn->d));
                if (timeout < 0 || timeout > OUTQ_POLL_MS)
                    timeout = OUTQ_POLL_MS;
            }
            /* Wake to expire it in time. */
            if ((cn->iblen > 0 || cn->wlen > 0 || conn_idle(cn)) && (timeout < 0 || timeout > 250))
                timeout = 250;
            /*
             * The stream: input into the ring as it has room, output out as it
             * exists.  Sealing runs the guest's side of the ring too, which may
             * make room for more input: nothing would wake us for that.
             */
            for (j = 0, fed = 0; j < 16; j++) {
                fed = conn_feed(cn);
                conn_push(cn);
                if (cn->d && session_open(cn->d))
                    dom_pump(cn->d, 0);
                if (!conn_can_feed(cn) || (!fed && j > 0))
                    break;
            }
            /* Still taking input when the round ran out: come back at once. */
            if (fed && conn_can_feed(cn))
                timeout = 0;
            /*
             * A deadline that passed since conn_push looked (the clock ticked
             * in between) is due now: push again, or it would wait for an
             * event that may never come.  Still 0 after that, the push is
             * blocked, and the socket's POLLOUT brings us back.
             */
            if (cn->d && session_open(cn->d) &&
                sc_vmm_wake_in(&cn->d->dom, dom_now(cn->d)) == 0)
                conn_push(cn);
            if (cn->d && session_open(cn->d) &&
                (w = sc_vmm_wake_in(&cn->d->dom, dom_now(cn->d))) > 0)
                if (timeout < 0 || w < timeout)
                    timeout = (int)w;
        }

        n = 0;
        pfd[n].fd = sfd;
        pfd[n++].events = POLLIN;
        pfd[n].fd = lfd;
        pfd[n++].events = POLLIN;
        for (i = 0; i < MAX_CONNS; i++) {
            pidx[i] = eidx[i] = -1;
            if (conns[i].fd < 0)
                continue;
            pidx[i] = n;
            pfd[n].fd = conns[i].fd;
            pfd[n++].events = conns[i].wlen ? POLLOUT : POLLIN;
            if (conns[i].evfd >= 0 && conns[i].poff < conns[i].plen) {
                eidx[i] = n;
                pfd[n].fd = conns[i].evfd;
                pfd[n++].events = POLLOUT;
            }
        }
        for (k = 0; k < ndoms; k++) {
            struct sdom *d = &doms[k];
            short ev = 0;

            didx[k] = -1;
            if (d->ptm < 0 || d->pty_eof)
                continue;
            if (d->uart ? sim_uart_tx_room(d->uart) > 0 : sim_ring_out_space(d->ring) > 0)
                ev |= POLLIN;
            if (d->pty_full && (d->uart ? d->uart->rxlen > 0 : sim_ring_in_used(d->ring) > 0))
                ev |= POLLOUT;
            if (!ev)
                continue;
            didx[k] = n;
            pfd[n].fd = d->ptm;
            pfd[n++].events = ev;
        }
        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            sim_log("poll: %s", strerror(errno));
            break;
        }
        if (pfd[0].revents) {
            struct signalfd_siginfo si;
            int stop = 0;

            while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                    reap();
                else
                    stop = 1;
            }
            if (stop) {
                sim_log("stopping");
                break;
            }
        }
        if (pfd[1].revents & POLLIN)
            accept_conn(lfd);
        /* Guests first, so that an answer served below has their latest output. */
        for (k = 0; k < ndoms; k++) {
            short re;

            if (didx[k] < 0 || (re = pfd[didx[k]].revents) == 0)
                continue;
            if (re & POLLOUT)
                doms[k].pty_full = 0;
            dom_pump(&doms[k], (re & (POLLIN | POLLHUP | POLLERR)) != 0);
        }
        for (i = 0; i < MAX_CONNS; i++) {
            struct sconn *cn = &conns[i];

            if (eidx[i] >= 0 && cn->fd >= 0 && pfd[eidx[i]].revents)
                conn_send_push(cn);
            if (pidx[i] < 0 || cn->fd < 0 || !pfd[pidx[i]].revents)
                continue;
            if (cn->wlen) {
                /* Its answer gone, a request it sent ahead is served. */
                if (conn_flush(cn) < 0 || (cn->wlen == 0 && conn_serve(cn) < 0))
                    conn_close(cn);
            } else if (conn_read(cn) < 0) {
                conn_close(cn);
            }
        }
    }
    shutdown_all(lfd);
    close(sfd);
    return 0;
}
