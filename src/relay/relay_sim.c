/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's sim backend: the hypercall's operations over the VMM
 * simulator's UNIX socket (protocol in src/sim/sim_proto.h).  Every byte
 * here is ciphertext or a public key.
 *
 * Once a session is open it is a stream: xfer() sends input with one SEND
 * (no response; as much as the credit allows) and hands over the output
 * the simulator has pushed on the stream socket, which ack() reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "io.h"
#include "relay_backend.h"
#include "relay_policy.h"
#include "relay_sim.h"
#include "sc_proto.h"               /* constants only */
#include "sim/sim_proto.h"

/* Pushed output held until xfer() hands it over; the stream is read only with room for more. */
#define PUSHED_CAP  (256 * 1024)
#define READ_MIN    4096

struct relay_conn {
    int fd;
    int evfd;                       /* the session's stream socket */
    unsigned int acked;             /* RELAY_EV_* of what the last ack() read */
    size_t credit;                  /* input bytes we may send */
    uint8_t *ob;                    /* pushed output not handed over yet */
    size_t ooff, olen;
    uint8_t hdr[SIM_HDR_LEN];       /* a push's header as it comes */
    size_t hgot;
    size_t pleft;                   /* output bytes of the current push still to come */
    int ended;                      /* the session's end came (its close is in ob) */
    int verr;                       /* a refused input record, not reported yet */
};

static const char *sock_override;
static char sock_default[256];
static char errbuf[512];

void relay_sim_set_socket(const char *path)
{
    sock_override = path;
}

const char *relay_sim_socket(void)
{
    const char *e = getenv("SCCRYPT_SIM_SOCKET"), *rt = getenv("XDG_RUNTIME_DIR");

    if (sock_override)
        return sock_override;
    if (e && *e)
        return e;
    if (geteuid() == 0)
        return "/run/sccrypt-sim/sim.sock";
    if (rt && *rt)
        snprintf(sock_default, sizeof(sock_default), "%s/sccrypt-sim/sim.sock", rt);
    else
        snprintf(sock_default, sizeof(sock_default), "/tmp/sccrypt-sim-%u/sim.sock",
                 (unsigned)getuid());
    return sock_default;
}

static const char *fail(const char *what, int e)
{
    snprintf(errbuf, sizeof(errbuf), "%s: %s", what, strerror(e));
    errno = e;
    return errbuf;
}

static int sim_available(void)
{
    struct stat st;

    return stat(relay_sim_socket(), &st) == 0 && S_ISSOCK(st.st_mode);
}

static int sim_connect(struct relay_conn **cp, const char **err)
{
    const char *path = relay_sim_socket();
    struct sockaddr_un sa;
    struct relay_conn *c;
    int fd, e;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        *err = "simulator socket path too long";
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *err = fail("socket", errno);
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        e = errno;
        close(fd);
        snprintf(errbuf, sizeof(errbuf), "simulator socket %s: %s (is sc-vmmsim running?)",
                 path, strerror(e));
        *err = errbuf;
        errno = e;
        return -1;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        *err = fail("memory", ENOMEM);
        return -1;
    }
    c->fd = fd;
    c->evfd = -1;
    *cp = c;
    return 0;
}

static void sim_disconnect(struct relay_conn *c)
{
    if (!c)
        return;
    if (c->evfd >= 0)
        close(c->evfd);
    close(c->fd);
    free(c->ob);
    free(c);
}

/*
 * Sends all of a request, header and payload in one sendmsg() as far as the
 * socket takes them: 0 or -1 with errno.
 */
static int send_req(int fd, const uint8_t h[SIM_HDR_LEN], const uint8_t *p, size_t len)
{
    struct msghdr mh;
    struct iovec iov[2];
    size_t done;
    ssize_t n;

    memset(&mh, 0, sizeof(mh));
    iov[0].iov_base = (void *)h;
    iov[0].iov_len = SIM_HDR_LEN;
    iov[1].iov_base = (void *)p;
    iov[1].iov_len = len;
    mh.msg_iov = iov;
    mh.msg_iovlen = len ? 2 : 1;
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    done = (size_t)n;
    if (done < SIM_HDR_LEN) {
        if (io_write_all(fd, h + done, SIM_HDR_LEN - done) < 0)
            return -1;
        done = SIM_HDR_LEN;
    }
    done -= SIM_HDR_LEN;
    return done < len ? io_write_all(fd, p + done, len - done) : 0;
}

/*
 * One request and its response.  The payload goes to rbuf (cap bytes);
 * *rlen its length; *passfd a descriptor that came with it (or -1).  The
 * response is read with one recvmsg() when it is all there: nothing else
 * comes on the socket while a request is pending, so reading ahead into
 * rbuf takes only this response's bytes.
 */
static int request(struct relay_conn *c, uint8_t op, uint8_t flags, uint8_t arg8, uint32_t domid,
                   uint32_t arg, const uint8_t *p, size_t len, uint8_t rh[SIM_HDR_LEN],
                   uint8_t *rbuf, size_t cap, size_t *rlen, int *passfd, int *vmm_err,
                   const char **err)
{
    uint8_t h[SIM_HDR_LEN];
    struct msghdr mh;
    struct iovec iov[2];
    union {
        struct cmsghdr cm;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct cmsghdr *cm;
    ssize_t n;
    size_t got, plen, pgot = 0;
    int fd = -1;

    if (passfd)
        *passfd = -1;
    if (vmm_err)
        *vmm_err = 0;
    if (rlen)
        *rlen = 0;
    h[0] = SIM_WIRE_VERSION;
    h[1] = op;
    h[2] = flags;
    h[3] = arg8;
    sim_put32(h + 4, domid);
    sim_put32(h + 8, arg);
    sim_put32(h + 12, (uint32_t)len);
    if (send_req(c->fd, h, p, len) < 0) {
        *err = fail("simulator socket", errno);
        return -1;
    }

    memset(&mh, 0, sizeof(mh));
    iov[0].iov_base = rh;
    iov[0].iov_len = SIM_HDR_LEN;
    iov[1].iov_base = rbuf;
    iov[1].iov_len = rbuf ? cap : 0;
    mh.msg_iov = iov;
    mh.msg_iovlen = rbuf && cap ? 2 : 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof(u.buf);
    do
        n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        *err = fail("simulator socket", errno);
        return -1;
    }
    for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len >= CMSG_LEN(sizeof(int)))
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    got = (size_t)n;
    if (got > SIM_HDR_LEN) {
        pgot = got - SIM_HDR_LEN;
        got = SIM_HDR_LEN;
    }
    if (n > 0 && got < SIM_HDR_LEN) {
        n = io_read_full(c->fd, rh + got, SIM_HDR_LEN - got);
        got = n < 0 ? got : got + (size_t)n;
    }
    if (got < SIM_HDR_LEN) {
        *err = "the simulator closed the connection (did sc-vmmsim stop?)";
        goto bad;
    }
    plen = sim_get32(rh + 12);
    if (rh[0] != SIM_WIRE_VERSION || rh[1] != op || plen > cap || pgot > plen) {
        *err = "the simulator sent a malformed response (another sc-vmmsim version?)";
        goto bad;
    }
    if (plen > pgot && io_read_full(c->fd, rbuf + pgot, plen - pgot) != (ssize_t)(plen - pgot)) {
        *err = "the simulator closed the connection (did sc-vmmsim stop?)";
        goto bad;
    }
    if (rlen)
        *rlen = plen;
    if (rh[2] == SIM_STATUS_VMM) {
        if (vmm_err)
            *vmm_err = rh[3];
        *err = "the VMM refused";
        goto bad;
    }
    if (rh[2] != SIM_STATUS_OK) {
        *err = "the simulator rejected the request as malformed";
        goto bad;
    }
    if (passfd)
        *passfd = fd;
    else if (fd >= 0)
        close(fd);
    return 0;
bad:
    if (fd >= 0)
        close(fd);
    return -1;
}

static int sim_status(struct relay_conn *c, uint32_t *version, const char **err)
{
    uint8_t rh[SIM_HDR_LEN];

    if (request(c, SIM_OP_STATUS, 0, 0, 0, 0, NULL, 0, rh, NULL, 0, NULL, NULL, NULL, err) < 0)
        return -1;
    *version = sim_get32(rh + 4);
    return 0;
}

static int sim_vmm_key(struct relay_conn *c, uint8_t pub[32], const char **err)
{
    uint8_t rh[SIM_HDR_LEN];
    size_t n;

    if (request(c, SIM_OP_VMM_KEY, 0, 0, 0, 0, NULL, 0, rh, pub, 32, &n, NULL, NULL, err) < 0)
        return -1;
    if (n != 32) {
        *err = "the simulator sent a VMM key of the wrong length";
        return -1;
    }
    return 0;
}

static int sim_bind(struct relay_conn *c, uint32_t domid, const uint8_t *req, size_t len,
                    uint8_t ans[SC_BOUND_LEN], size_t *alen, int *vmm_err, const char **err)
{
    uint8_t rh[SIM_HDR_LEN];

    *alen = 0;
    return request(c, SIM_OP_BIND, 0, 0, domid, 0, req, len, rh, ans, SC_BOUND_LEN, alen, NULL,
                   vmm_err, err);
}

static int sim_challenge(struct relay_conn *c, uint32_t domid, uint8_t chal[SC_CHALLENGE_LEN],
                         int *vmm_err, const char **err)
{
    uint8_t rh[SIM_HDR_LEN];
    size_t n = 0;

    if (request(c, SIM_OP_CHALLENGE, 0, 0, domid, 0, NULL, 0, rh, chal, SC_CHALLENGE_LEN, &n,
                NULL, vmm_err, err) < 0)
        return -1;
    if (n != SC_CHALLENGE_LEN) {
        *err = "the simulator sent a bind challenge of the wrong length";
        return -1;
    }
    return 0;
}

static int sim_open(struct relay_conn *c, uint32_t domid, int takeover, const uint8_t *hello,
                    size_t hlen, uint8_t *answer, size_t *alen, int *vmm_err, const char **err)
{
    uint8_t rh[SIM_HDR_LEN];
    int fd;

    if (!c->ob && !(c->ob = malloc(PUSHED_CAP))) {
        *err = fail("memory", ENOMEM);
        return -1;
    }
    if (request(c, SIM_OP_OPEN, takeover ? SIM_F_TAKEOVER : 0, 0, domid, 0, hello, hlen, rh,
                answer, *alen, alen, &fd, vmm_err, err) < 0)
        return -1;
    if (fd < 0) {
        *err = "the simulator sent no event channel with the answer";
        return -1;
    }
    if (io_set_nonblock(fd, 1) < 0) {
        close(fd);
        *err = fail("event channel", errno);
        return -1;
    }
    if (c->evfd >= 0)
        close(c->evfd);
    c->evfd = fd;
    c->credit = SIM_CREDIT;
    c->ooff = c->olen = c->hgot = c->pleft = 0;
    c->ended = c->verr = 0;
    c->acked = 0;
    return 0;
}

/*
 * The longest prefix of in made of whole frames that the credit covers (a
 * frame of a length out of range counts as its header: the VMM refuses it).
 */
static size_t within_credit(const uint8_t *in, size_t len, size_t credit)
{
    size_t off = 0, flen;

    while (len - off >= SC_FRAME_HDR) {
        flen = (size_t)in[off] << 8 | in[off + 1];
        if (flen < SC_REC_MIN_BODY || flen > SC_REC_MAX_BODY)
            flen = 0;
        flen += SC_FRAME_HDR;
        if (flen > len - off || flen > credit - off)
            break;
        off += flen;
    }
    return off;
}

/*
 * The stream's exchange: input goes out in one SEND as far as the credit
 * allows (the rest waits for credit: RELAY_EV_ROOM), and the output already
 * pushed comes back; nothing here waits for the simulator.
 */
static int sim_xfer(struct relay_conn *c, const uint8_t *in, size_t inlen, size_t *consumed,
                    uint8_t *out, size_t cap, size_t *outlen, int *ended, int *vmm_err,
                    const char **err)
{
    uint8_t h[SIM_HDR_LEN];
    size_t n;

    *consumed = 0;
    *outlen = 0;
    *ended = 0;
    if (vmm_err)
        *vmm_err = 0;
    if (c->evfd < 0 || !c->ob) {
        *err = "no session is open";
        return -1;
    }
    n = inlen ? within_credit(in, inlen, c->credit) : 0;
    if (n) {
        h[0] = SIM_WIRE_VERSION;
        h[1] = SIM_OP_SEND;
        h[2] = h[3] = 0;
        sim_put32(h + 4, 0);
        sim_put32(h + 8, 0);
        sim_put32(h + 12, (uint32_t)n);
        if (send_req(c->fd, h, in, n) < 0) {
            *err = fail("simulator socket", errno);
            return -1;
        }
        c->credit -= n;
        *consumed = n;
    }
    n = c->olen < cap ? c->olen : cap;
    if (n) {
        memcpy(out, c->ob + c->ooff, n);
        c->ooff += n;
        c->olen -= n;
        *outlen = n;
    }
    if (c->olen == 0)
        c->ooff = 0;
    *ended = c->ended && c->olen == 0 && c->pleft == 0;
    if (c->verr) {
        if (vmm_err)
            *vmm_err = c->verr;
        c->verr = 0;
        *err = "the VMM refused";
        return -1;
    }
    return 0;
}

static int sim_close(struct relay_conn *c, unsigned int reason, const char **err)
{
    uint8_t rh[SIM_HDR_LEN];

    return request(c, SIM_OP_CLOSE, 0, (uint8_t)reason, 0, 0, NULL, 0, rh, NULL, 0, NULL, NULL,
                   NULL, err);
}

/* The stream socket, while there is room for what it brings. */
static int sim_event_fd(struct relay_conn *c)
{
    if (c->evfd < 0 || !c->ob || PUSHED_CAP - c->olen < READ_MIN)
        return -1;
    return c->evfd;
}

/* Splits what the stream brought into pushes: credit and flags kept, output into ob. */
static int demux(struct relay_conn *c, const uint8_t *p, size_t n, const char **err)
{
    size_t k;
    uint32_t credit;

    while (n) {
        if (c->pleft) {
            k = c->pleft < n ? c->pleft : n;
            memcpy(c->ob + c->ooff + c->olen, p, k);
            c->olen += k;
            c->pleft -= k;
            p += k;
            n -= k;
            continue;
        }
        if (c->ended) {
            *err = "the simulator sent more after the session's end";
            return -1;
        }
        k = SIM_HDR_LEN - c->hgot < n ? SIM_HDR_LEN - c->hgot : n;
        memcpy(c->hdr + c->hgot, p, k);
        c->hgot += k;
        p += k;
        n -= k;
        if (c->hgot < SIM_HDR_LEN)
            continue;
        c->hgot = 0;
        credit = sim_get32(c->hdr + 4);
        if (c->hdr[0] != SIM_WIRE_VERSION || c->hdr[1] != SIM_OP_PUSH ||
            sim_get32(c->hdr + 12) > SIM_MAX_PAYLOAD || credit > SIM_CREDIT - c->credit ||
            (c->hdr[2] != SIM_STATUS_OK && c->hdr[2] != SIM_STATUS_VMM)) {
            *err = "the simulator pushed a malformed message (another sc-vmmsim version?)";
            return -1;
        }
        if (credit) {
            c->credit += credit;
            c->acked |= RELAY_EV_ROOM;
        }
        if (c->hdr[2] == SIM_STATUS_VMM) {
            c->verr = c->hdr[3] ? c->hdr[3] : SC_EAUTH;
            c->acked |= RELAY_EV_OUTPUT;
        }
        if (sim_get32(c->hdr + 8) & SIM_V_ENDED) {
            c->ended = 1;
            c->acked |= RELAY_EV_OUTPUT;
        }
        c->pleft = sim_get32(c->hdr + 12);
        if (c->pleft)
            c->acked |= RELAY_EV_OUTPUT;
    }
    return 0;
}

/*
 * Reads what the stream has, as far as ob has room for its output (a read
 * that does not fill the room took all there was), and keeps what it says
 * for sim_acked() and sim_xfer().
 */
static int sim_ack(struct relay_conn *c, const char **err)
{
    uint8_t buf[64 * 1024];
    size_t want;
    ssize_t n;

    c->acked = 0;
    for (;;) {
        if (c->ooff && c->olen)
            memmove(c->ob, c->ob + c->ooff, c->olen);
        c->ooff = 0;
        want = PUSHED_CAP - c->olen;
        if (want > sizeof(buf))
            want = sizeof(buf);
        if (want == 0)
            return 0;
        n = read(c->evfd, buf, want);
        if (n > 0) {
            if (demux(c, buf, (size_t)n, err) < 0)
                return -1;
            if ((size_t)n < want)
                return 0;
            continue;
        }
        if (n == 0) {
            if (c->ended)
                return 0;
            *err = "the simulator went away (its event channel closed)";
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return 0;
        *err = fail("stream socket", errno);
        return -1;
    }
}

static unsigned int sim_acked(struct relay_conn *c)
{
    return c->acked | (c->olen ? RELAY_EV_OUTPUT : 0);
}

/* Pushed output (or a refusal, or the end) that xfer() has not handed over yet. */
static int sim_pending(struct relay_conn *c)
{
    return c->olen > 0 || c->verr || (c->ended && c->pleft == 0);
}

static int sim_dominfo(struct relay_conn *c, uint32_t domid, char name[64], uint8_t uuid[16],
                       int *vmm_err, const char **err)
{
    uint8_t rh[SIM_HDR_LEN], p[16 + 256];
    size_t n = 0;

    if (request(c, SIM_OP_DOMINFO, 0, 0, domid, 0, NULL, 0, rh, p, sizeof(p), &n, NULL,
                vmm_err, err) < 0) {
        if (*vmm_err == SIM_ERR_NODOMAIN)
            *vmm_err = SC_ENODOMAIN;
        return -1;
    }
    if (n <= 16) {
        *err = "the simulator sent a domain's name and UUID of the wrong length";
        return -1;
    }
    memcpy(uuid, p, 16);
    rp_domain_name(name, (const char *)p + 16, n - 16);   /* whole, or one no rule matches */
    return 0;
}

static int sim_domains(struct relay_conn *c, uint32_t *ids, size_t cap, size_t *n,
                       const char **err)
{
    uint8_t rh[SIM_HDR_LEN], p[4 * 64];
    size_t len = 0, i;
    int verr = 0;

    *n = 0;
    if (request(c, SIM_OP_LIST, 0, 0, 0, 0, NULL, 0, rh, p, sizeof(p), &len, NULL, &verr,
                err) < 0)
        return -1;
    if (len % 4) {
        *err = "the simulator sent a domain list of the wrong length";
        return -1;
    }
    for (i = 0; i < len / 4 && i < cap; i++)
        ids[i] = sim_get32(p + 4 * i);
    *n = i;
    return 0;
}

const struct relay_backend relay_backend_sim = {
    .name = "sim",
    .available = sim_available,
    .connect = sim_connect,
    .disconnect = sim_disconnect,
    .status = sim_status,
    .vmm_key = sim_vmm_key,
    .challenge = sim_challenge,
    .bind = sim_bind,
    .open = sim_open,
    .xfer = sim_xfer,
    .close = sim_close,
    .event_fd = sim_event_fd,
    .ack = sim_ack,
    .acked = sim_acked,
    .pending = sim_pending,
    .dominfo = sim_dominfo,
    .domains = sim_domains,
};
