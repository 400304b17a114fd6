/* SPDX-License-Identifier: MIT */
/*
 * sc-relay's policy file: parser, loader and matcher (relay_policy.h).
 *
 * The grammar (sc-relay(8), THE POLICY FILE), one directive a line:
 *
 *   # a comment, to the end of the line
 *   backend sim|xen
 *   socket /absolute/path
 *   allow user:NAME|group:NAME ACTION[,ACTION...] DOMAIN [DOMAIN...]
 *
 * ACTION is attach, bind, takeover or all; DOMAIN is name:NAME, uuid:UUID
 * or * (any domain).  Words are separated by spaces or tabs.  Only
 * printable ASCII, spaces and tabs are allowed; anything else, an unknown
 * word, a missing or extra field, or a broken limit refuses the whole file.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "relay_policy.h"
#include "text.h"

#define WORDS_MAX   35              /* allow SUBJ ACTIONS and up to 32 domains */

static int failf(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* A user, group or domain name: [A-Za-z0-9._@+-], not starting with '-', 1..63 bytes. */
static int name_ok(const char *s)
{
    return name_valid(s, RP_NAME_MAX - 1);
}

/* 8-4-4-4-12 hex digits; lowercased into out (37 bytes). */
static int uuid_ok(const char *s, char out[37])
{
    size_t i;

    if (strlen(s) != 36)
        return 0;
    for (i = 0; i < 36; i++) {
        char c = s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (c >= 'A' && c <= 'F') {
            c = (char)(c - 'A' + 'a');
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
        out[i] = c;
    }
    out[36] = '\0';
    return 1;
}

static int parse_actions(char *s, unsigned *out)
{
    char *a, *save = NULL;
    unsigned v = 0;

    if (*s == '\0' || s[0] == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
        return -1;
    for (a = strtok_r(s, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        if (strcmp(a, "attach") == 0)
            v |= RP_ATTACH;
        else if (strcmp(a, "bind") == 0)
            v |= RP_BIND;
        else if (strcmp(a, "takeover") == 0)
            v |= RP_TAKEOVER;
        else if (strcmp(a, "all") == 0)
            v |= RP_ALL;
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* One line (NUL-terminated, no newline, checked for characters already). */
static int parse_line(struct relay_policy *p, char *line, unsigned ln, int *seen_backend,
                      int *seen_socket, char *err, size_t cap)
{
    char *w[WORDS_MAX], *s = line;
    struct rp_rule r;
    size_t n = 0, i;

    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            break;
        if (n == WORDS_MAX)
            return failf(err, cap, "line %u: too many words (at most 32 domains a line)", ln);
        w[n++] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        if (*s)
            *s++ = '\0';
    }
    if (n == 0)
        return 0;
    if (strcmp(w[0], "backend") == 0) {
        if (n != 2)
            return failf(err, cap, "line %u: expected 'backend sim' or 'backend xen'", ln);
        if (*seen_backend)
            return failf(err, cap, "line %u: a second backend line", ln);
        if (strcmp(w[1], "sim") != 0 && strcmp(w[1], "xen") != 0)
            return failf(err, cap, "line %u: unknown backend (sim or xen)", ln);
        strcpy(p->backend, w[1]);
        *seen_backend = 1;
        return 0;
    }
    if (strcmp(w[0], "socket") == 0) {
        if (n != 2)
            return failf(err, cap, "line %u: expected 'socket /absolute/path'", ln);
        if (*seen_socket)
            return failf(err, cap, "line %u: a second socket line", ln);
        if (w[1][0] != '/')
            return failf(err, cap, "line %u: the socket path must be absolute", ln);
        if (strlen(w[1]) >= RP_PATH_MAX)
            return failf(err, cap, "line %u: the socket path is longer than %d bytes", ln,
                         RP_PATH_MAX - 1);
        strcpy(p->socket, w[1]);
        *seen_socket = 1;
        return 0;
    }
    if (strcmp(w[0], "allow") != 0)
        return failf(err, cap, "line %u: unknown directive (allow, backend or socket)", ln);
    if (n < 4)
        return failf(err, cap, "line %u: expected 'allow user:NAME|group:NAME ACTIONS "
                     "DOMAIN...'", ln);
    memset(&r, 0, sizeof(r));
    r.line = ln;
    if (strncmp(w[1], "user:", 5) == 0)
        r.subj_kind = 'u';
    else if (strncmp(w[1], "group:", 6) == 0)
        r.subj_kind = 'g';
    else
        return failf(err, cap, "line %u: the subject must be user:NAME or group:NAME", ln);
    s = w[1] + (r.subj_kind == 'u' ? 5 : 6);
    if (!name_ok(s))
        return failf(err, cap, "line %u: a bad %s name (letters, digits, . _ @ + -, at most "
                     "%d)", ln, r.subj_kind == 'u' ? "user" : "group", RP_NAME_MAX - 1);
    strcpy(r.subj, s);
    if (parse_actions(w[2], &r.actions) < 0)
        return failf(err, cap, "line %u: actions must be attach, bind, takeover or all, "
                     "separated by commas", ln);
    for (i = 3; i < n; i++) {
        if (p->nrules == RP_RULES_MAX)
            return failf(err, cap, "line %u: more than %d rules", ln, RP_RULES_MAX);
        if (strcmp(w[i], "*") == 0) {
            r.dom_kind = '*';
            r.dom[0] = '\0';
        } else if (strncmp(w[i], "name:", 5) == 0) {
            if (!name_ok(w[i] + 5))
                return failf(err, cap, "line %u: a bad domain name (letters, digits, . _ @ + "
                             "-, at most %d)", ln, RP_NAME_MAX - 1);
            r.dom_kind = 'n';
            strcpy(r.dom, w[i] + 5);
        } else if (strncmp(w[i], "uuid:", 5) == 0) {
            if (!uuid_ok(w[i] + 5, r.dom))
                return failf(err, cap, "line %u: a bad UUID (8-4-4-4-12 hex digits)", ln);
            r.dom_kind = 'u';
        } else {
            return failf(err, cap, "line %u: a domain must be name:NAME, uuid:UUID or *", ln);
        }
        p->rules[p->nrules++] = r;
    }
    return 0;
}

int rp_parse(struct relay_policy *p, const char *text, size_t len, char *err, size_t cap)
{
    char line[RP_LINE_MAX + 1];
    size_t off = 0, ll;
    unsigned ln = 0;
    int seen_backend = 0, seen_socket = 0;

    memset(p, 0, sizeof(*p));
    if (len > RP_FILE_MAX)
        return failf(err, cap, "longer than %d bytes", RP_FILE_MAX);
    while (off < len) {
        ln++;
        ll = 0;
        while (off < len && text[off] != '\n') {
            unsigned char c = (unsigned char)text[off++];

            if ((c < 0x20 && c != '\t') || c > 0x7e) {
                memset(p, 0, sizeof(*p));
                return failf(err, cap, "line %u: a control or non-ASCII character (byte "
                             "0x%02x)", ln, c);
            }
            if (ll == RP_LINE_MAX) {
                memset(p, 0, sizeof(*p));
                return failf(err, cap, "line %u: longer than %d bytes", ln, RP_LINE_MAX);
            }
            line[ll++] = (char)c;
        }
        off++;                      /* the newline, or past the end */
        line[ll] = '\0';
        if (parse_line(p, line, ln, &seen_backend, &seen_socket, err, cap) < 0) {
            memset(p, 0, sizeof(*p));
            return -1;
        }
    }
    return 0;
}

int rp_load(struct relay_policy *p, const char *path, char *err, size_t cap)
{
    char dir[4096], *slash, *buf;
    struct stat st;
    ssize_t n;
    int fd, e;

    memset(p, 0, sizeof(*p));
    if (strlen(path) >= sizeof(dir) || path[0] != '/')
        return failf(err, cap, "%s: not an absolute path", path);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        e = errno;
        failf(err, cap, "%s: %s", path, e == ELOOP ? "a symbolic link (refused)" : strerror(e));
        errno = e;
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        e = errno;
        close(fd);
        return failf(err, cap, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return failf(err, cap, "%s: not a regular file", path);
    }
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        close(fd);
        return failf(err, cap, "%s: must be owned by root and writable by nobody else "
                     "(chown root %s; chmod go-w %s)", path, path, path);
    }
    if (st.st_size > RP_FILE_MAX) {
        close(fd);
        return failf(err, cap, "%s: longer than %d bytes", path, RP_FILE_MAX);
    }
    strcpy(dir, path);
    slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) < 0) {
        e = errno;
        close(fd);
        return failf(err, cap, "%s: %s", dir, strerror(e));
    }
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        close(fd);
        return failf(err, cap, "%s: the policy's directory must be owned by root and "
                     "writable by nobody else (chown root %s; chmod go-w %s)", dir, dir, dir);
    }
    buf = malloc(RP_FILE_MAX + 1);
    if (!buf) {
        close(fd);
        return failf(err, cap, "%s: out of memory", path);
    }
    /* Read one byte past the limit: a file that grew since fstat is refused too. */
    n = io_read_full(fd, buf, RP_FILE_MAX + 1);
    e = errno;
    close(fd);
    if (n < 0) {
        free(buf);
        return failf(err, cap, "%s: %s", path, strerror(e));
    }
    if (n > RP_FILE_MAX) {
        free(buf);
        return failf(err, cap, "%s: longer than %d bytes", path, RP_FILE_MAX);
    }
    if (rp_parse(p, buf, (size_t)n, dir, sizeof(dir)) < 0) {
        free(buf);
        return failf(err, cap, "%s: %s", path, dir);
    }
    free(buf);
    return 0;
}

int rp_caller_of(struct rp_caller *c, uid_t uid, char *err, size_t cap)
{
    struct passwd *pw;
    int n;

    memset(c, 0, sizeof(*c));
    errno = 0;
    pw = getpwuid(uid);
    if (!pw)
        return failf(err, cap, "user id %u: %s", (unsigned)uid,
                     errno ? strerror(errno) : "not in the password database");
    if (strlen(pw->pw_name) >= sizeof(c->user))
        return failf(err, cap, "user id %u: name too long", (unsigned)uid);
    strcpy(c->user, pw->pw_name);
    c->uid = uid;
    c->gid = pw->pw_gid;
    n = (int)(sizeof(c->groups) / sizeof(c->groups[0]));
    if (getgrouplist(pw->pw_name, pw->pw_gid, c->groups, &n) < 0)
        return failf(err, cap, "user %s: in more than %d groups", c->user, n);
    c->ngroups = n;
    return 0;
}

static int subject_matches(const struct rp_rule *r, const struct rp_caller *c)
{
    struct group *gr;
    int i;

    if (r->subj_kind == 'u')
        return strcmp(r->subj, c->user) == 0;
    gr = getgrnam(r->subj);
    if (!gr)
        return 0;
    for (i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gr->gr_gid)
            return 1;
    return 0;
}

unsigned rp_allowed(const struct relay_policy *p, const struct rp_caller *c, const char *name,
                    const char *uuid)
{
    char u[37];
    unsigned v = 0;
    size_t i;
    int have_uuid = uuid && uuid_ok(uuid, u);

    if (name && !name_ok(name))
        name = NULL;                    /* not a name a rule can spell: compared whole or not at all */

    for (i = 0; i < p->nrules; i++) {
        const struct rp_rule *r = &p->rules[i];

        if ((r->actions & ~v) == 0 || !subject_matches(r, c))
            continue;
        if (r->dom_kind == '*' || (r->dom_kind == 'n' && name && strcmp(r->dom, name) == 0) ||
            (r->dom_kind == 'u' && have_uuid && strcmp(r->dom, u) == 0))
            v |= r->actions;
    }
    return v;
}

int rp_domain_name(char out[RP_NAME_MAX], const char *in, size_t len)
{
    size_t i, n = len < RP_NAME_MAX - 1 ? len : RP_NAME_MAX - 2;
    int whole = len > 0 && len < RP_NAME_MAX;

    for (i = 0; i < n; i++) {
        char c = in[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '@' || c == '+' || c == '-';

        out[i] = ok ? c : '?';
        whole &= ok;
    }
    if (n < len)
        out[n++] = '?';
    out[n] = '\0';
    return whole && name_ok(out) ? 1 : 0;
}

int rp_mentions(const struct relay_policy *p, const struct rp_caller *c)
{
    size_t i;

    for (i = 0; i < p->nrules; i++)
        if (subject_matches(&p->rules[i], c))
            return 1;
    return 0;
}

const char *rp_action_name(unsigned action)
{
    switch (action) {
    case RP_ATTACH: return "attach";
    case RP_BIND: return "bind";
    case RP_TAKEOVER: return "takeover";
    default: return "?";
    }
}
