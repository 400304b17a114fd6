/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's policy file (/etc/sccrypt/relay.conf, format in sc-relay(8)):
 * which users and groups may attach to, bind and take over which domains,
 * and the one backend and simulator socket callers through sudo may use.
 *
 * The parser reads text an operator wrote but must survive anything
 * (garbage, NUL bytes, endless lines): every limit below is checked and
 * a file that breaks one is refused whole, never half read.  Messages name
 * the line and what is wrong, never the file's text.
 */
#ifndef RELAY_POLICY_H
#define RELAY_POLICY_H

#include <stddef.h>
#include <sys/types.h>

#define RP_FILE_MAX     (64 * 1024)     /* bytes in the file */
#define RP_LINE_MAX     1024            /* bytes in one line, newline excluded */
#define RP_RULES_MAX    1024            /* (subject, domain) pairs */
#define RP_NAME_MAX     64              /* user, group or domain name, NUL included */
#define RP_PATH_MAX     108             /* a UNIX socket path, NUL included */

#define RP_ATTACH       0x1u            /* open a session (sc-relay DOMID) */
#define RP_BIND         0x2u            /* sc-relay --bind DOMID */
#define RP_TAKEOVER     0x4u            /* sc-relay --takeover DOMID */
#define RP_ALL          (RP_ATTACH | RP_BIND | RP_TAKEOVER)

struct rp_rule {
    unsigned line;
    char subj_kind;                     /* 'u' user, 'g' group */
    char subj[RP_NAME_MAX];
    unsigned actions;                   /* RP_* */
    char dom_kind;                      /* 'n' name, 'u' UUID (lowercase), '*' any */
    char dom[RP_NAME_MAX];
};

struct relay_policy {
    char backend[8];                    /* "sim", "xen", or "" (not said: xen) */
    char socket[RP_PATH_MAX];           /* "" (not said: the root default) */
    size_t nrules;
    struct rp_rule rules[RP_RULES_MAX];
};

/* Who is asking, as the policy sees it. */
struct rp_caller {
    uid_t uid;
    gid_t gid;
    char user[RP_NAME_MAX];
    gid_t groups[256];
    int ngroups;
};

/*
 * rp_parse(p, text, len, err, errcap): parses len bytes of text into *p.
 * Returns 0, or -1 with "line N: what is wrong" in err (and *p emptied).
 */
int rp_parse(struct relay_policy *p, const char *text, size_t len, char *err, size_t errcap);

/*
 * rp_load(p, path, err, errcap): opens path (no symbolic link), checks that
 * it is a regular file owned by root and writable by nobody else, in a
 * directory owned by root and writable by nobody else, at most RP_FILE_MAX
 * bytes, and parses it.  Returns 0; -1 with errno ENOENT when there is no
 * such file; -1 with a message in err otherwise.
 */
int rp_load(struct relay_policy *p, const char *path, char *err, size_t errcap);

/*
 * rp_caller_of(c, uid, err, errcap): fills c for the user uid (name and
 * groups from the password and group databases).  0, or -1 with err.
 */
int rp_caller_of(struct rp_caller *c, uid_t uid, char *err, size_t errcap);

/*
 * rp_allowed(p, c, name, uuid): the RP_* actions the policy grants c on
 * the domain called name with UUID uuid (36 characters, any case; either
 * may be NULL when unknown, and then matches no rule naming it).
 */
unsigned rp_allowed(const struct relay_policy *p, const struct rp_caller *c, const char *name,
                    const char *uuid);

/*
 * rp_domain_name(out, in, len): the domain name in (len bytes, as the host
 * keeps it, not NUL-terminated) as the policy sees it.  Returns 1 when in is
 * whole a name a rule can spell (1..63 bytes of [A-Za-z0-9._@+-]); out is
 * then in.  Returns 0 otherwise: out is a display form that no rule matches
 * (each other byte '?', and a name longer than 62 bytes cut there with a
 * '?'), so a rule never matches part of a name.
 */
int rp_domain_name(char out[RP_NAME_MAX], const char *in, size_t len);

/* Does any rule name c (directly or through a group)? */
int rp_mentions(const struct relay_policy *p, const struct rp_caller *c);

/* "attach", "bind", "takeover" for one RP_* bit. */
const char *rp_action_name(unsigned action);

#endif /* RELAY_POLICY_H */
