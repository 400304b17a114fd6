/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's gate (relay_gate.h): the policy file applied to the user who
 * ran sc-relay through sudo, before anything reaches the VMM.
 *
 * Who is asking: with an effective user id other than root, sc-relay has
 * only its caller's rights and nothing is limited.  With a real user id
 * other than root (a set-user-id install), the caller is that user.  As
 * root, the caller is the user that sudo ($SUDO_UID, $SUDO_USER, $SUDO_GID),
 * pkexec ($PKEXEC_UID) or doas ($DOAS_USER) names, so that no way up to root
 * skips the policy; every one of them that is set must be well formed and
 * name the same user (find_caller), or the gate refuses: a caller it cannot
 * attribute is never taken for root.  Without any, or when they name root,
 * root itself.  sudo resets the environment, so a user cannot set these;
 * do not grant SETENV (a SETENV caller can still claim to be root by
 * setting all three consistently, which only the audit login uid, where
 * pam_loginuid sets it, gives away).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "relay_gate.h"
#include "relay_sim.h"
#include "sc_proto.h"               /* constants only */
#include "text.h"

#define SIM_ROOT_SOCKET "/run/sccrypt-sim/sim.sock"

static int refuse_id(const char *what)
{
    fprintf(stderr, "sc-relay: %s; refusing (run sc-relay through sudo, or as root with "
            "SUDO_UID, SUDO_USER, SUDO_GID, PKEXEC_UID and DOAS_USER unset)\n", what);
    syslog(LOG_WARNING, "policy refused: caller unknown: %s", what);
    return -1;
}

/* A decimal id below 2^31, nothing else: 0, or -1 when s is anything else. */
static int parse_id(const char *s, unsigned long *v)
{
    char *end;

    if (!s || s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    *v = strtoul(s, &end, 10);
    return errno || *end || *v > 0x7fffffffUL ? -1 : 0;
}

/* The audit login uid of this process (pam_loginuid), or -1 when unset or unknown. */
static long login_uid(void)
{
    char buf[16];
    unsigned long v;
    ssize_t n;
    int fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    do
        n = read(fd, buf, sizeof(buf) - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    if (parse_id(buf, &v) < 0)
        return -1;              /* 4294967295: no login uid (a daemon, a container) */
    return (long)v;
}

/*
 * 1 limited (*uid the caller), 0 not limited, -1 refused (said why).
 *
 * Every way up to root that left its mark is read, and all must agree:
 * sudo's SUDO_UID, SUDO_USER and SUDO_GID come together (sudo sets all
 * three), each non-empty and well formed, SUDO_USER naming SUDO_UID's user;
 * PKEXEC_UID and DOAS_USER, when set, are a user id and a user name that
 * exist.  A variable that is set but empty, malformed or at odds with
 * another is a caller the gate cannot attribute: refused, never taken as
 * root.  A claim of root from a login session that belongs to another user
 * (the audit login uid) is refused as well.
 */
static int find_caller(uid_t *uid)
{
    const char *su = getenv("SUDO_UID"), *sn = getenv("SUDO_USER"), *sg = getenv("SUDO_GID");
    const char *pk = getenv("PKEXEC_UID"), *doas = getenv("DOAS_USER");
    struct passwd *pw;
    unsigned long v, g, claim = 0;
    int claims = 0;
    long lu;

    if (geteuid() != 0)
        return 0;
    if (getuid() != 0) {
        *uid = getuid();
        return 1;
    }
    if (su || sn || sg) {
        if (!su || !sn || !sg)
            return refuse_id("SUDO_UID, SUDO_USER and SUDO_GID must be set together, as "
                             "sudo sets them");
        if (parse_id(su, &v) < 0)
            return refuse_id("SUDO_UID is not a user id");
        if (parse_id(sg, &g) < 0)
            return refuse_id("SUDO_GID is not a group id");
        errno = 0;
        pw = getpwuid((uid_t)v);
        if (!pw || !*sn || strcmp(pw->pw_name, sn) != 0)
            return refuse_id("SUDO_USER and SUDO_UID name different users");
        claim = v;
        claims++;
    }
    if (pk) {
        if (parse_id(pk, &v) < 0)
            return refuse_id("PKEXEC_UID is not a user id");
        if (!getpwuid((uid_t)v))
            return refuse_id("PKEXEC_UID names no user");
        if (claims && v != claim)
            return refuse_id("PKEXEC_UID and SUDO_UID name different users");
        claim = v;
        claims++;
    }
    if (doas) {
        errno = 0;
        pw = *doas ? getpwnam(doas) : NULL;
        if (!pw)
            return refuse_id("DOAS_USER names no user");
        if (claims && pw->pw_uid != claim)
            return refuse_id("DOAS_USER and the other caller ids name different users");
        claim = pw->pw_uid;
        claims++;
    }
    lu = claims ? login_uid() : -1;
    if (claims && claim == 0 && lu > 0)
        return refuse_id("this login session is another user's, but its caller id says root");
    if (claim == 0)
        return 0;
    *uid = (uid_t)claim;
    return 1;
}

static int refuse(struct relay_gate *g, const char *what, const char *reason)
{
    syslog(LOG_WARNING, "policy refused: user=%s uid=%u %s reason=%s", g->caller.user,
           (unsigned)g->caller.uid, what, reason);
    return GATE_EX_POLICY;
}

int gate_begin(struct relay_gate *g, const char **bname, const char *sockopt)
{
    const char *env_be = getenv("SCCRYPT_RELAY"), *env_sock = getenv("SCCRYPT_SIM_SOCKET");
    const char *be, *sock;
    char err[512];
    uid_t uid = 0;
    int k;

    memset(g, 0, sizeof(*g));
    k = find_caller(&uid);
    if (k < 0)
        return GATE_EX_POLICY;
    if (k == 0)
        return 0;
    g->limited = 1;
    if (rp_caller_of(&g->caller, uid, err, sizeof(err)) < 0) {
        fprintf(stderr, "sc-relay: %s; refusing\n", err);
        syslog(LOG_WARNING, "policy refused: uid=%u reason=unknown user", (unsigned)uid);
        return GATE_EX_POLICY;
    }
    g->pol = malloc(sizeof(*g->pol));
    if (!g->pol) {
        fprintf(stderr, "sc-relay: out of memory\n");
        return GATE_EX_OPER;
    }
    if (rp_load(g->pol, SC_RELAY_POLICY, err, sizeof(err)) < 0) {
        if (errno == ENOENT) {
            fprintf(stderr, "sc-relay: only root may use sc-relay: there is no policy file "
                    "%s; to let %s attach to a domain, root adds a line such as "
                    "'allow user:%s attach name:DOMAIN' to it (see sc-relay(8))\n",
                    SC_RELAY_POLICY, g->caller.user, g->caller.user);
            return refuse(g, "action=any", "no policy file");
        }
        fprintf(stderr, "sc-relay: %s; only root may use sc-relay until root fixes it "
                "(sc-relay --check-policy)\n", err);
        syslog(LOG_ERR, "policy file refused: %s", err);
        refuse(g, "action=any", "policy file refused");
        return GATE_EX_OPER;
    }
    be = g->pol->backend[0] ? g->pol->backend : "xen";
    if ((*bname && strcmp(*bname, be) != 0) || (env_be && *env_be && strcmp(env_be, be) != 0)) {
        fprintf(stderr, "sc-relay: the policy (%s) lets callers through sudo use only the %s "
                "backend; leave out -b and SCCRYPT_RELAY\n", SC_RELAY_POLICY, be);
        return refuse(g, "action=any", "backend not allowed");
    }
    sock = g->pol->socket[0] ? g->pol->socket : SIM_ROOT_SOCKET;
    if ((sockopt && strcmp(sockopt, sock) != 0) ||
        (env_sock && *env_sock && strcmp(env_sock, sock) != 0)) {
        fprintf(stderr, "sc-relay: the policy (%s) lets callers through sudo use only the "
                "simulator socket %s; leave out --socket and SCCRYPT_SIM_SOCKET\n",
                SC_RELAY_POLICY, sock);
        return refuse(g, "action=any", "socket not allowed");
    }
    *bname = be;
    relay_sim_set_socket(sock);
    return 0;
}

int gate_domain(struct relay_gate *g, const struct relay_backend *be, struct relay_conn *c,
                uint32_t domid, unsigned action)
{
    char name[64], uuid[37], what[200];
    uint8_t u[16];
    const char *err = NULL;
    const char *act = rp_action_name(action);
    int verr = 0;

    if (!g->limited)
        return 0;
    if (be->dominfo(c, domid, name, u, &verr, &err) < 0) {
        if (verr == SC_ENODOMAIN) {
            fprintf(stderr, "sc-relay: domain %u: no such domain\n", (unsigned)domid);
            snprintf(what, sizeof(what), "action=%s domain=%u", act, (unsigned)domid);
            refuse(g, what, "no such domain");
            return GATE_EX_NODOM;
        }
        fprintf(stderr, "sc-relay: %s: domain %u: %s; refusing, since the policy speaks of "
                "names and UUIDs\n", be->name, (unsigned)domid, err);
        snprintf(what, sizeof(what), "action=%s domain=%u", act, (unsigned)domid);
        refuse(g, what, "domain unknown to the backend");
        return GATE_EX_OPER;
    }
    uuid_format(uuid, u);
    if (rp_allowed(g->pol, &g->caller, name, uuid) & action)
        return 0;
    fprintf(stderr, "sc-relay: %s may not %s domain %u (name %s, UUID %s): no rule in %s "
            "allows it; ask root to add a line such as 'allow user:%s %s name:%s' "
            "(see sc-relay(8))\n", g->caller.user,
            action == RP_ATTACH ? "attach to" : action == RP_BIND ? "bind" : "take over",
            (unsigned)domid, name, uuid, SC_RELAY_POLICY, g->caller.user, act, name);
    snprintf(what, sizeof(what), "action=%s domain=%u name=%s uuid=%s", act, (unsigned)domid,
             name, uuid);
    return refuse(g, what, "no rule");
}

int gate_vmm_key(struct relay_gate *g)
{
    if (!g->limited || rp_mentions(g->pol, &g->caller))
        return 0;
    fprintf(stderr, "sc-relay: %s may not use sc-relay: no rule in %s names them; ask root to "
            "add one (see sc-relay(8))\n", g->caller.user, SC_RELAY_POLICY);
    return refuse(g, "action=vmm-key", "no rule");
}

int gate_check_policy(const char *file)
{
    uid_t uid = 0;
    int k = find_caller(&uid);

    if (k == 0)
        return 0;
    if (k > 0 && (!file || strcmp(file, SC_RELAY_POLICY) == 0))
        return 0;
    fprintf(stderr, "sc-relay: through sudo, --check-policy checks only %s\n", SC_RELAY_POLICY);
    syslog(LOG_WARNING, "policy refused: uid=%u action=check-policy reason=other file",
           (unsigned)uid);
    return GATE_EX_POLICY;
}

void gate_end(struct relay_gate *g)
{
    free(g->pol);
    g->pol = NULL;
}
