/* SPDX-License-Identifier: MIT */
/*
 * The xen backend of an sc-relay built without libxen-dev: never
 * available, and says why when asked for by name.
 */
#include <errno.h>
#include <stddef.h>

#include "relay_backend.h"

static const char nox[] = "built without Xen support (install libxen-dev and rebuild sc-relay)";

static int nox_available(void)
{
    return 0;
}

static int nox_connect(struct relay_conn **c, const char **err)
{
    *c = NULL;
    *err = nox;
    errno = ENOSYS;
    return -1;
}

static void nox_disconnect(struct relay_conn *c)
{
    (void)c;
}

static int nox_status(struct relay_conn *c, uint32_t *version, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_vmm_key(struct relay_conn *c, uint8_t pub[32], const char **err)
{
    *err = nox;
    return -1;
}

static int nox_bind(struct relay_conn *c, uint32_t domid, const uint8_t *req, size_t len,
                    uint8_t ans[SC_BOUND_LEN], size_t *alen, int *vmm_err, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_challenge(struct relay_conn *c, uint32_t domid, uint8_t chal[SC_CHALLENGE_LEN],
                         int *vmm_err, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_open(struct relay_conn *c, uint32_t domid, int takeover, const uint8_t *hello,
                    size_t hlen, uint8_t *answer, size_t *alen, int *vmm_err, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_input(struct relay_conn *c, const uint8_t *buf, size_t len, size_t *consumed,
                     int *vmm_err, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_output(struct relay_conn *c, uint8_t *buf, size_t cap, size_t *len, int *ended,
                      int *vmm_err, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_close(struct relay_conn *c, unsigned int reason, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_event_fd(struct relay_conn *c)
{
    return -1;
}

static int nox_ack(struct relay_conn *c, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_dominfo(struct relay_conn *c, uint32_t domid, char name[64], uint8_t uuid[16],
                       int *vmm_err, const char **err)
{
    *err = nox;
    return -1;
}

static int nox_domains(struct relay_conn *c, uint32_t *ids, size_t cap, size_t *n,
                       const char **err)
{
    *n = 0;
    *err = nox;
    return -1;
}

const struct relay_backend relay_backend_xen = {
    .name = "xen",
    .available = nox_available,
    .connect = nox_connect,
    .disconnect = nox_disconnect,
    .status = nox_status,
    .vmm_key = nox_vmm_key,
    .challenge = nox_challenge,
    .bind = nox_bind,
    .open = nox_open,
    .input = nox_input,
    .output = nox_output,
    .close = nox_close,
    .event_fd = nox_event_fd,
    .ack = nox_ack,
    .dominfo = nox_dominfo,
    .domains = nox_domains,
};
