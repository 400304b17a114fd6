/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's xen backend: the sccrypt_op hypercall (hcall/sccrypt_op.h)
 * through libxencall, output waited for on an event channel through
 * libxenevtchn (no polling on a timer), and the PV console's frame and port
 * read from xenstore for the bind (the hypervisor finds a PVH guest's
 * itself).  Every buffer here is ciphertext or a public key.
 *
 * The console handover at bind: the relay writes console/type = "sccrypt"
 * in the domain's xenstore directory; the patched xenconsoled then unmaps
 * the ring and closes its event channel, and the hypervisor, which
 * refuses to bind while anyone still holds them (-EBUSY), takes them over.
 * The relay retries for a few seconds while xenconsoled lets go, and puts
 * "xenconsoled" back if the bind fails.
 */
#define __XEN_TOOLS__ 1

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xencall.h>
#include <xenevtchn.h>
#include <xenstore.h>
#include <xen/xen.h>

#include "relay_backend.h"
#include "relay_policy.h"          /* rp_domain_name */
#include "text.h"                  /* uuid_parse */
#include "sc_proto.h"              /* constants only */
#include "../hcall/sccrypt_op.h"

#define BIND_WAIT_MS    5000

struct relay_conn {
    xencall_handle *xc;
    struct xen_sccrypt_op *op;      /* hypercall buffer */
    uint8_t *data;                  /* hypercall buffer, XEN_SCCRYPT_IO_MAX bytes */
    xenevtchn_handle *xce;
    evtchn_port_t lport;
    uint32_t domid;
    uint64_t session;
    char msg[200];
};

static const char nopatch[] =
    "this hypervisor has no SCCrypt support (sccrypt_op, hypercall 43, answers ENOSYS): "
    "boot the Xen built with the SCCrypt patch (hcall/)";

static int xen_available(void)
{
    struct stat st;

    return stat("/dev/xen/privcmd", &st) == 0;
}

static void xen_disconnect(struct relay_conn *c)
{
    if (!c)
        return;
    if (c->xce)
        xenevtchn_close(c->xce);
    if (c->xc) {
        if (c->data)
            xencall_free_buffer(c->xc, c->data);
        if (c->op)
            xencall_free_buffer(c->xc, c->op);
        xencall_close(c->xc);
    }
    free(c);
}

static int xen_connect(struct relay_conn **cp, const char **err)
{
    static char msg[200];
    struct relay_conn *c;

    *cp = NULL;
    c = calloc(1, sizeof(*c));
    if (!c) {
        *err = "out of memory";
        return -1;
    }
    /* Ask first, so libxencall's own log line does not precede our message. */
    if (access("/dev/xen/privcmd", R_OK | W_OK) == 0)
        c->xc = xencall_open(NULL, 0);
    if (!c->xc) {
        snprintf(msg, sizeof(msg), "cannot open /dev/xen/privcmd (not dom0, or "
                 "the xen-privcmd module is not loaded): %s", strerror(errno));
        *err = msg;
        xen_disconnect(c);
        return -1;
    }
    c->op = xencall_alloc_buffer(c->xc, sizeof(*c->op));
    c->data = xencall_alloc_buffer(c->xc, XEN_SCCRYPT_IO_MAX);
    if (!c->op || !c->data) {
        *err = "cannot allocate hypercall buffers";
        xen_disconnect(c);
        return -1;
    }
    *cp = c;
    return 0;
}

/*
 * One sccrypt_op call: op (cmd, domid, ... filled by the caller) with inlen
 * bytes of in, room for cap bytes of output.  Returns 0, or -1 with errno
 * set, *vmm_err set when the VMM (or the host) refused, and *err set.
 */
static int call(struct relay_conn *c, struct xen_sccrypt_op *op, const void *in, size_t inlen,
                size_t cap, int *vmm_err, const char **err)
{
    int rc, e;

    if (inlen > XEN_SCCRYPT_IO_MAX)
        inlen = XEN_SCCRYPT_IO_MAX;
    if (cap > XEN_SCCRYPT_IO_MAX)
        cap = XEN_SCCRYPT_IO_MAX;
    if (inlen)
        memcpy(c->data, in, inlen);
    op->len = (uint32_t)inlen;
    op->cap = (uint32_t)cap;
    set_xen_guest_handle(op->buf, c->data);
    *c->op = *op;
    rc = xencall1(c->xc, __HYPERVISOR_sccrypt_op, (uint64_t)(uintptr_t)c->op);
    e = errno;
    *op = *c->op;
    if (rc >= 0)
        return 0;
    if (vmm_err)
        *vmm_err = 0;
    switch (e) {
    case ENOSYS:
        *err = nopatch;
        break;
    case EPERM:
        *err = "the hypervisor refused: only the control domain may call sccrypt_op";
        break;
    case EACCES:
        if (vmm_err)
            *vmm_err = (int)op->vmm_err;
        *err = "the VMM refused";
        break;
    case ESRCH:
        if (vmm_err)
            *vmm_err = SC_ENODOMAIN;
        *err = "no such domain";
        break;
    case ENOENT:
        if (vmm_err)
            *vmm_err = SC_ENOSESSION;
        *err = "the session is gone";
        break;
    default:
        snprintf(c->msg, sizeof(c->msg), "sccrypt_op: %s", strerror(e));
        *err = c->msg;
    }
    errno = e;
    return -1;
}

static int xen_status(struct relay_conn *c, uint32_t *version, const char **err)
{
    struct xen_sccrypt_op op = { .cmd = XEN_SCCRYPT_status };

    if (call(c, &op, NULL, 0, 0, NULL, err) < 0)
        return -1;
    if (op.value2 != XEN_SCCRYPT_INTERFACE_VERSION) {
        snprintf(c->msg, sizeof(c->msg), "the hypervisor's sccrypt_op interface is version "
                 "%u, this sc-relay's %u", (unsigned)op.value2,
                 (unsigned)XEN_SCCRYPT_INTERFACE_VERSION);
        *err = c->msg;
        return -1;
    }
    if (!(op.flags & XEN_SCCRYPT_S_RANDOM) || !(op.flags & XEN_SCCRYPT_S_SELFTEST)) {
        *err = !(op.flags & XEN_SCCRYPT_S_SELFTEST)
            ? "the hypervisor's SCCrypt self-test failed at boot: encryption is disabled"
            : "the hypervisor found no hardware random source (RDRAND/RDSEED) at boot: "
              "encryption is disabled";
        return -1;
    }
    *version = op.value;
    return 0;
}

static int xen_vmm_key(struct relay_conn *c, uint8_t pub[32], const char **err)
{
    struct xen_sccrypt_op op = { .cmd = XEN_SCCRYPT_vmm_key };
    int verr = 0;

    if (call(c, &op, NULL, 0, 32, &verr, err) < 0)
        return -1;
    if (op.len != 32) {
        *err = "the hypervisor returned a key of the wrong length";
        return -1;
    }
    memcpy(pub, c->data, 32);
    return 0;
}

static int xen_challenge(struct relay_conn *c, uint32_t domid, uint8_t chal[SC_CHALLENGE_LEN],
                         int *vmm_err, const char **err)
{
    struct xen_sccrypt_op op = { .cmd = XEN_SCCRYPT_challenge, .domid = domid };

    *vmm_err = 0;
    if (call(c, &op, NULL, 0, SC_CHALLENGE_LEN, vmm_err, err) < 0) {
        if (errno == EBUSY)
            *err = "a bind of this domain is under way: try again when it has ended";
        return -1;
    }
    if (op.len != SC_CHALLENGE_LEN) {
        *err = "the hypervisor returned a bind challenge of the wrong length";
        return -1;
    }
    memcpy(chal, c->data, SC_CHALLENGE_LEN);
    return 0;
}

/* Reads /local/domain/DOMID/console/NAME as a number; -1 if absent. */
static int xs_num(struct xs_handle *xs, uint32_t domid, const char *name, unsigned long long *v)
{
    char path[80], *s, *end;
    unsigned int len;

    snprintf(path, sizeof(path), "/local/domain/%u/console/%s", (unsigned)domid, name);
    s = xs_read(xs, XBT_NULL, path, &len);
    if (!s)
        return -1;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (errno || end == s || *end) {
        free(s);
        return -1;
    }
    free(s);
    return 0;
}

static int xs_set_type(struct xs_handle *xs, uint32_t domid, const char *type)
{
    char path[80];

    snprintf(path, sizeof(path), "/local/domain/%u/console/type", (unsigned)domid);
    return xs_write(xs, XBT_NULL, path, type, strlen(type)) ? 0 : -1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Why the hypervisor found the domain not pristine (XEN_SCCRYPT_P_*), and what to do. */
static const char *not_pristine(uint32_t why)
{
    switch (why) {
    case XEN_SCCRYPT_P_RUN:
        return "the domain has already run or is not paused: create it with "
               "`xl create -p`, bind it, then `xl unpause` it";
    case XEN_SCCRYPT_P_TARGET:
        return "another domain has this domain as its target (a device model or helper "
               "that could map its memory): destroy that domain and create the guest again";
    case XEN_SCCRYPT_P_INTROSPECT:
        return "the domain is being introspected, paged, shared, debugged or traced "
               "(monitor ring, altp2m, log-dirty or vmtrace): create it again "
               "without them";
    case XEN_SCCRYPT_P_DEVICE:
        return "the domain has a passed-through device or I/O permissions, which could DMA "
               "into it: create it without them";
    case XEN_SCCRYPT_P_GRANT:
        return "the domain's grant table offers or maps more than its console and "
               "xenstore pages: create the guest again";
    case XEN_SCCRYPT_P_MAPPED:
        return "another domain holds a mapping of the domain's memory (a foreign mapping "
               "made before the bind): end it (or create the guest again), then bind";
    case XEN_SCCRYPT_P_DMA:
        return "(an older hypervisor) this host cannot stop DMA into guests: boot Xen with "
               "an IOMMU and dom0-iommu=strict (or, knowingly, with sccrypt_allow_dma)";
    case XEN_SCCRYPT_P_TRACE:
        return "hypervisor tracing (xentrace) is on: stop it, then bind";
    case XEN_SCCRYPT_P_XSM:
        return "Xen runs the FLASK XSM policy, which the seal is not part of: boot with "
               "xsm=dummy (the default) or xsm=silo";
    case XEN_SCCRYPT_P_XENPAGE:
        return "another domain holds a mapping of the domain's grant table, shared info or "
               "another page Xen shares with it (XENMEM_acquire_resource or a foreign "
               "mapping made before the bind): end it (or create the guest again), then bind";
    case XEN_SCCRYPT_P_P2M:
        return "the domain's memory map holds memory it does not own (a foreign, grant or "
               "MMIO entry, or a page table naming another domain's frame): create the "
               "guest again without it";
    case XEN_SCCRYPT_P_PROFILE:
        return "the domain is being profiled (xenoprof's active or passive list), or the "
               "vPMU samples every guest (XENPMU_MODE_ALL): stop the profiler, then bind";
    case XEN_SCCRYPT_P_IOREQ_LEGACY:
        return "the guest's device model gets its I/O requests through guest frames "
               "(legacy HVM_PARAM_IOREQ_PFN pages), so it maps guest memory: use a device "
               "model that maps Xen's ioreq pages (qemu-xen 2.12 or later, "
               "XENMEM_acquire_resource)";
    case XEN_SCCRYPT_P_DM_MAPPED:
        return "the guest's device model (QEMU in dom0) or another domain holds a mapping of "
               "its RAM, as an emulated disk, NIC or VGA needs for DMA and video memory: "
               "configure it without them (vga=\"none\", disks at xvde or later or PV only, "
               "NICs with type=vif, no emulated devices), create it again, then bind";
    case XEN_SCCRYPT_P_DM_VGA:
        return "the guest's device model emulates a VGA card, whose text console would "
               "reach dom0 in plaintext: configure vga=\"none\" (and nographic), create "
               "it again, then bind";
    case XEN_SCCRYPT_P_CONSOLE:
        return "the hypervisor found no console in the guest's own start_info or HVM "
               "parameters (or it is a 32-bit PV guest)";
    default:
        return "the hypervisor refused: the domain is not pristine";
    }
}

static int xen_bind(struct relay_conn *c, uint32_t domid, const uint8_t *req, size_t len,
                    uint8_t ans[SC_BOUND_LEN], size_t *alen, int *vmm_err, const char **err)
{
    struct xen_sccrypt_op op;
    struct xs_handle *xs;
    unsigned long long ring = 0, port = 0;
    long waited = 0;
    int rc, e;

    *vmm_err = 0;
    xs = xs_open(0);
    if (!xs) {
        snprintf(c->msg, sizeof(c->msg), "cannot connect to xenstore: %s", strerror(errno));
        *err = c->msg;
        return -1;
    }
    if (xs_num(xs, domid, "ring-ref", &ring) < 0 || xs_num(xs, domid, "port", &port) < 0) {
        snprintf(c->msg, sizeof(c->msg), "domain %u has no console in xenstore "
                 "(/local/domain/%u/console/{ring-ref,port})", (unsigned)domid, (unsigned)domid);
        *err = c->msg;
        xs_close(xs);
        return -1;
    }
    /* Ask xenconsoled to let go of the console (the patched one does). */
    if (xs_set_type(xs, domid, "sccrypt") < 0) {
        snprintf(c->msg, sizeof(c->msg), "cannot write console/type in xenstore: %s",
                 strerror(errno));
        *err = c->msg;
        xs_close(xs);
        return -1;
    }
    for (;;) {
        memset(&op, 0, sizeof(op));
        op.cmd = XEN_SCCRYPT_bind;
        op.domid = domid;       /* the console comes from the guest, not from xenstore */
        rc = call(c, &op, req, len, SC_BOUND_LEN, vmm_err, err);
        if (rc == 0 || errno != EBUSY || waited >= BIND_WAIT_MS)
            break;
        sleep_ms(100);
        waited += 100;
    }
    if (rc < 0) {
        e = errno;
        if (e == EACCES && op.value2 != 0) {
            *vmm_err = 0;
            *err = not_pristine(op.value2);
        } else if (e == EBUSY)
            *err = "the console is still held by another consumer (xenconsoled without the "
                   "SCCrypt patch, or a mapping of its grant): the hypervisor refuses to bind";
        else if (e == EEXIST)
            *err = "a kexec image is loaded in the hypervisor (a crash kernel would see the "
                   "sealed domain's memory): unload it, then bind again";
        else if (e == ENOTEMPTY)
            *err = "a livepatch payload is loaded in the hypervisor (its code would see the "
                   "sealed domain's memory): unload it (xen-livepatch unload), then bind again";
        (void)xs_set_type(xs, domid, "xenconsoled");
    }
    xs_close(xs);
    if (rc < 0)
        errno = e;              /* EACCES: the hypervisor refused (sc-relay exits 3) */
    *alen = 0;
    if (rc == 0 && op.len == SC_BOUND_LEN) {
        memcpy(ans, c->data, SC_BOUND_LEN);
        *alen = SC_BOUND_LEN;
    }
    return rc;
}

static int xen_open(struct relay_conn *c, uint32_t domid, int takeover, const uint8_t *hello,
                    size_t hlen, uint8_t *answer, size_t *alen, int *vmm_err, const char **err)
{
    struct xen_sccrypt_op op;
    xenevtchn_port_or_error_t lp;

    *vmm_err = 0;
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SCCRYPT_open;
    op.domid = domid;
    op.flags = takeover ? XEN_SCCRYPT_F_TAKEOVER : 0;
    if (call(c, &op, hello, hlen, SC_ANSWER_LEN, vmm_err, err) < 0) {
        if (errno == EBUSY) {
            *vmm_err = SC_EBUSY;
            *err = "another session holds the domain's console";
        }
        return -1;
    }
    if (op.len > *alen) {
        *err = "the VMM's answer does not fit";
        return -1;
    }
    memcpy(answer, c->data, op.len);
    *alen = op.len;
    c->domid = domid;
    c->session = op.session;

    if (c->xce)
        xenevtchn_close(c->xce);
    c->xce = xenevtchn_open(NULL, 0);
    if (!c->xce) {
        snprintf(c->msg, sizeof(c->msg), "cannot open /dev/xen/evtchn: %s", strerror(errno));
        *err = c->msg;
        return -1;
    }
    lp = xenevtchn_bind_interdomain(c->xce, domid, op.value);
    if (lp < 0) {
        snprintf(c->msg, sizeof(c->msg), "cannot bind the VMM's event channel (domain %u "
                 "port %u): %s", (unsigned)domid, (unsigned)op.value, strerror(errno));
        *err = c->msg;
        return -1;
    }
    c->lport = (evtchn_port_t)lp;
    return 0;
}

static int xen_input(struct relay_conn *c, const uint8_t *buf, size_t len, size_t *consumed,
                     int *vmm_err, const char **err)
{
    struct xen_sccrypt_op op;
    size_t off = 0, n;

    *vmm_err = 0;
    *consumed = 0;
    while (off < len) {
        n = len - off;
        if (n > XEN_SCCRYPT_IO_MAX)
            n = XEN_SCCRYPT_IO_MAX;
        memset(&op, 0, sizeof(op));
        op.cmd = XEN_SCCRYPT_input;
        op.session = c->session;
        if (call(c, &op, buf + off, n, 0, vmm_err, err) < 0) {
            *consumed = off + (op.value <= n ? op.value : 0);
            return -1;
        }
        if (op.value > n)
            op.value = (uint32_t)n;
        off += op.value;
        if (op.value < n)
            break;                  /* the ring is full: the rest waits for an event */
    }
    *consumed = off;
    return 0;
}

static int xen_output(struct relay_conn *c, uint8_t *buf, size_t cap, size_t *len, int *ended,
                      int *vmm_err, const char **err)
{
    struct xen_sccrypt_op op;

    *vmm_err = 0;
    *len = 0;
    *ended = 0;
    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SCCRYPT_output;
    op.session = c->session;
    if (call(c, &op, NULL, 0, cap, vmm_err, err) < 0)
        return -1;
    if (op.len > cap || op.len > XEN_SCCRYPT_IO_MAX) {
        *err = "the hypervisor returned more output than asked for";
        return -1;
    }
    memcpy(buf, c->data, op.len);
    *len = op.len;
    *ended = (op.value & XEN_SCCRYPT_V_ENDED) != 0;
    return 0;
}

/*
 * One exchange: XEN_SCCRYPT_xfer carries the input and brings back all
 * output that is ready, one hypercall per batch.  More calls only when
 * one call's buffer limit (XEN_SCCRYPT_IO_MAX) cut it short: input the
 * hypervisor took whole while more waits, or output that filled the room.
 */
static int xen_xfer(struct relay_conn *c, const uint8_t *in, size_t inlen, size_t *consumed,
                    uint8_t *out, size_t cap, size_t *outlen, int *ended, int *vmm_err,
                    const char **err)
{
    struct xen_sccrypt_op op;
    size_t n, room;
    int rc = 0;

    *vmm_err = 0;
    *consumed = 0;
    *outlen = 0;
    *ended = 0;
    for (;;) {
        n = inlen - *consumed;
        if (n > XEN_SCCRYPT_IO_MAX)
            n = XEN_SCCRYPT_IO_MAX;
        room = cap - *outlen;
        if (room > XEN_SCCRYPT_IO_MAX)
            room = XEN_SCCRYPT_IO_MAX;
        if (room < XEN_SCCRYPT_OUTPUT_MIN)
            room = 0;               /* input only; the event says when output waits */
        memset(&op, 0, sizeof(op));
        op.cmd = XEN_SCCRYPT_xfer;
        op.session = c->session;
        rc = call(c, &op, in + *consumed, n, room, vmm_err, err);
        /* A refused input record still brings the output, which ends in the VMM's close. */
        if (rc < 0 && !*vmm_err)
            return -1;
        if (op.value > n || op.len > room) {
            *err = "the hypervisor returned more than was asked for";
            return -1;
        }
        *consumed += op.value;
        memcpy(out + *outlen, c->data, op.len);
        *outlen += op.len;
        if (op.value2 & XEN_SCCRYPT_V_ENDED)
            *ended = 1;
        if (rc < 0 || *ended || op.value < n)
            break;                  /* refused, over, or the ring is full */
        if (*consumed < inlen)
            continue;
        if (room == 0 || room - op.len >= XEN_SCCRYPT_OUTPUT_MIN)
            break;                  /* all output that was ready fitted */
    }
    return rc < 0 ? -1 : 0;
}

static int xen_close(struct relay_conn *c, unsigned int reason, const char **err)
{
    struct xen_sccrypt_op op;
    int verr = 0;

    memset(&op, 0, sizeof(op));
    op.cmd = XEN_SCCRYPT_close;
    op.session = c->session;
    op.arg = reason;
    return call(c, &op, NULL, 0, 0, &verr, err);
}

static int xen_event_fd(struct relay_conn *c)
{
    return c->xce ? xenevtchn_fd(c->xce) : -1;
}

static int xen_ack(struct relay_conn *c, const char **err)
{
    xenevtchn_port_or_error_t p;

    if (!c->xce) {
        *err = "no event channel";
        return -1;
    }
    p = xenevtchn_pending(c->xce);
    if (p < 0) {
        if (errno == EAGAIN)
            return 0;
        snprintf(c->msg, sizeof(c->msg), "event channel: %s", strerror(errno));
        *err = c->msg;
        return -1;
    }
    if (xenevtchn_unmask(c->xce, (evtchn_port_t)p) < 0) {
        snprintf(c->msg, sizeof(c->msg), "event channel: unmask: %s", strerror(errno));
        *err = c->msg;
        return -1;
    }
    return 0;
}

/*
 * The domain's name (/local/domain/N/name) and UUID (the last part of
 * /local/domain/N/vm, "/vm/UUID"), as the toolstack wrote them in xenstore:
 * dom0's own records, which is what the operator's policy speaks of.
 */
static int xen_dominfo(struct relay_conn *c, uint32_t domid, char name[64], uint8_t uuid[16],
                       int *vmm_err, const char **err)
{
    struct xs_handle *xs;
    char path[80], *s, *v;
    unsigned int len;
    int ok;

    *vmm_err = 0;
    xs = xs_open(0);
    if (!xs) {
        snprintf(c->msg, sizeof(c->msg), "cannot connect to xenstore: %s", strerror(errno));
        *err = c->msg;
        return -1;
    }
    snprintf(path, sizeof(path), "/local/domain/%u/name", (unsigned)domid);
    s = xs_read(xs, XBT_NULL, path, &len);
    if (!s || len == 0) {
        free(s);
        xs_close(xs);
        *vmm_err = SC_ENODOMAIN;
        *err = "no such domain";
        return -1;
    }
    rp_domain_name(name, s, len);           /* the whole name, or one no rule matches */
    free(s);
    snprintf(path, sizeof(path), "/local/domain/%u/vm", (unsigned)domid);
    s = xs_read(xs, XBT_NULL, path, &len);
    xs_close(xs);
    v = s ? strrchr(s, '/') : NULL;
    ok = v && strlen(v + 1) == 36 && uuid_parse(uuid, v + 1) == 0;
    free(s);
    if (!ok) {
        snprintf(c->msg, sizeof(c->msg), "domain %u has no UUID in xenstore "
                 "(/local/domain/%u/vm)", (unsigned)domid, (unsigned)domid);
        *err = c->msg;
        return -1;
    }
    return 0;
}

/* The domain ids xenstore lists under /local/domain (dom0's word, as the names are). */
static int xen_domains(struct relay_conn *c, uint32_t *ids, size_t cap, size_t *n,
                       const char **err)
{
    struct xs_handle *xs;
    char **ent, *end;
    unsigned int num, i;
    unsigned long v;

    *n = 0;
    xs = xs_open(0);
    if (!xs) {
        snprintf(c->msg, sizeof(c->msg), "cannot connect to xenstore: %s", strerror(errno));
        *err = c->msg;
        return -1;
    }
    ent = xs_directory(xs, XBT_NULL, "/local/domain", &num);
    xs_close(xs);
    if (!ent) {
        snprintf(c->msg, sizeof(c->msg), "cannot list /local/domain in xenstore: %s",
                 strerror(errno));
        *err = c->msg;
        return -1;
    }
    for (i = 0; i < num && *n < cap; i++) {
        errno = 0;
        v = strtoul(ent[i], &end, 10);
        if (!errno && end != ent[i] && !*end && v < 0x7ff0)
            ids[(*n)++] = (uint32_t)v;
    }
    free(ent);
    return 0;
}

const struct relay_backend relay_backend_xen = {
    .name = "xen",
    .available = xen_available,
    .connect = xen_connect,
    .disconnect = xen_disconnect,
    .status = xen_status,
    .vmm_key = xen_vmm_key,
    .challenge = xen_challenge,
    .bind = xen_bind,
    .open = xen_open,
    .input = xen_input,
    .output = xen_output,
    .xfer = xen_xfer,
    .close = xen_close,
    .event_fd = xen_event_fd,
    .ack = xen_ack,
    .dominfo = xen_dominfo,
    .domains = xen_domains,
};
