/* SPDX-License-Identifier: MIT */
/*
 * sc-enc: the input end of an SCCrypt console session (sc-enc(1)).
 *
 *     sc-enc | ssh host sudo sc-relay DOMID | sc-dec
 *
 * Sends a hello, learns the VMM's answer from sc-dec through the
 * rendezvous, then seals what it reads from stdin into records on stdout.
 * Nothing of stdin leaves before the handshake is complete.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "sc_proto.h"
#include "exits.h"
#include "io.h"
#include "client/fingerprint.h"
#include "client/instances.h"
#include "client/keyfile.h"
#include "client/known_vmms.h"
#include "client/msg.h"
#include "client/ossl_crypto.h"
#include "client/rendezvous.h"
#include "client/tty.h"

#define EXIT_INTEGRITY  SC_EX_INTEGRITY
#define EXIT_USAGE      SC_EX_OPER

#define TICK_MS         20          /* the keystroke cadence */
#define TAIL_MIN_MS     1000        /* chaff goes on 1 to 3 s after the last key */
#define TAIL_SPAN_MS    2000
#define PEND_MAX        65536       /* input read but not yet sent */
/* The data of one input record at most (input records are bounded below output ones). */
#define IN_MAX_DATA     SC_REC_MAX_IN_DATA
/*
 * The records of one batch, written at once: all of the pending input in
 * records of IN_MAX_DATA, with room for a rekey, a keepalive and the close.
 */
#define OUT_MAX         (PEND_MAX + 4 * SC_REC_MAX_FRAME)
#define HELLO_FILE_LEN  (32 + SC_HELLO_LEN)
#define ANSWER_FILE_LEN (1 + SC_PUB_LEN + 2)   /* status | S | accepted options be16 */
#define ANSWER_WAKE_MS  100         /* look for the answer this often even when watching */
#define OUT_GONE_GRACE_MS 2000      /* output closed before the answer: wait this long for sc-dec's word */
#define NO_DEC_MS       5000        /* no answer yet: look for sc-dec's mark in the rendezvous */

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sc-enc [-N] [-e CHAR|none] [-g GUEST] [-k FILE] [-t SECONDS] [-V NAME] [-w MS]\n"
        "       sc-enc -h | --version\n"
        "  -k FILE       console key (default $SCCRYPT_KEY, else ~/.config/sccrypt/key)\n"
        "  -V NAME       the VMM from known_vmms (default $SCCRYPT_VMM, the only or \"default\")\n"
        "  -g GUEST      the domain the session is for: its UUID, or the name it was bound by\n"
        "                (default: the one domain the key binds at this VMM)\n"
        "  -e CHAR       escape character (default $SCCRYPT_ESCAPE, else ~; ^X for a control\n"
        "                key; none: no escape)\n"
        "  -N            no keystroke-timing obfuscation (no chaff)\n"
        "  -t SECONDS    wait this long for the VMM's answer (default 30)\n"
        "  -w MS         after end of input, end once the guest is quiet this long (default 1000)\n"
        "escapes, after Enter: ~. end the session, ~^Z suspend, ~B BREAK (a UART's BREAK;\n"
        "                      hvc0's SysRq key ^O on a PV console),\n"
        "                      ~? list them, ~~ send one ~\n");
}

/* Everything main() must wipe or undo on the way out. */
struct enc {
    uint8_t key[SC_KEY_LEN];
    uint8_t vmm_pub[SC_PUB_LEN];
    uint8_t hfile[HELLO_FILE_LEN];  /* c[32] || hello */
    uint8_t afile[ANSWER_FILE_LEN];
    uint8_t hid[SC_HELLO_ID_LEN];
    struct sc_dir in, out;
    struct rv rv;
    int rv_live;                    /* our hello file may exist */
    uint8_t pend[PEND_MAX];
    size_t plen;
    int brk_ok;                     /* the VMM accepted SC_OPT_BREAK: a UART console */
    int brk;                        /* ~B typed: a BREAK record is owed before pend[brk_at] */
    size_t brk_at;
    uint8_t rbuf[PEND_MAX];         /* one read of stdin */
    uint8_t obuf[OUT_MAX];          /* sealed records not yet written */
    size_t olen;
    /* interactive */
    int tty, chaff, esc;            /* esc: the escape byte, or -1 */
    int line_start, esc_held, escaped;
    int eof;
    int live;                       /* the handshake is done: sc-dec reports the stream's end */
    uint64_t last_sent;             /* when the last record left (for the keepalive) */
};

static struct enc E;
static char hello_path[CL_PATH_MAX];

/* Async-signal-safe: wipe and remove the hello file (it holds the secret c). */
static void signal_hook(void)
{
    static const uint8_t zero[HELLO_FILE_LEN];
    int fd;

    if (hello_path[0] == '\0')
        return;
    fd = open(hello_path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0) {
        ssize_t w = write(fd, zero, sizeof(zero));

        (void)w;
        close(fd);
    }
    unlink(hello_path);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int parse_escape(const char *s)
{
    if (strcmp(s, "none") == 0)
        return -1;
    if (s[0] != '\0' && s[1] == '\0')
        return (unsigned char)s[0];
    if (s[0] == '^' && s[1] != '\0' && s[2] == '\0') {
        if (s[1] == '?')
            return 0x7f;
        if ((s[1] >= '@' && s[1] <= '_') || (s[1] >= 'a' && s[1] <= 'z'))
            return s[1] & 0x1f;
    }
    return -2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    *v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || *v > max)
        return -1;
    return 0;
}

/* The caller leaves room (pend_room()); a byte past the end is dropped, never written. */
static void pend_add(uint8_t b)
{
    if (E.plen < PEND_MAX)
        E.pend[E.plen++] = b;
}

/*
 * Bytes of stdin that surely fit: one read byte can add two (a held escape
 * character goes in with the byte after it).
 */
static size_t pend_room(void)
{
    size_t held = E.esc_held ? 1 : 0;

    return E.plen + held >= PEND_MAX ? 0 : PEND_MAX - E.plen - held;
}

/* The escape character as the user types it: "~", or "^]" for a control key. */
static void escape_name(char out[3])
{
    if (E.esc < 0x20 || E.esc == 0x7f) {
        out[0] = '^';
        out[1] = E.esc == 0x7f ? '?' : (char)(E.esc | 0x40);
        out[2] = '\0';
    } else {
        out[0] = (char)E.esc;
        out[1] = '\0';
    }
}

/* ~?: the escapes, on the raw terminal (CR LF). */
static void escape_help(void)
{
    char e[3], buf[512];
    int n;

    escape_name(e);
    n = snprintf(buf, sizeof(buf),
                 "\r\nsc-enc escapes (after Enter):\r\n"
                 "  %s.   end the session\r\n"
                 "  %s^Z  suspend the console (fg resumes it)\r\n"
                 "  %sB   send a BREAK (%s)\r\n"
                 "  %s?   this list\r\n"
                 "  %s%s   send %s itself\r\n",
                 e, e, e, E.brk_ok ? "the UART's BREAK: then the SysRq command" :
                 "hvc0's SysRq key, ^O: then the SysRq command", e, e, e, e);
    if (n > 0 && io_write_all(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0) {
        /* stderr gone: nothing better to say it on */
    }
}

/*
 * ~^Z: stops the whole pipeline (our process group: sc-enc, ssh, sc-dec),
 * as ^Z would on a terminal that is not raw; tty_suspend restores the
 * terminal before we stop and makes it raw again when we are continued.
 */
static void suspend(void)
{
    char e[3], buf[128];
    int n;

    escape_name(e);
    n = snprintf(buf, sizeof(buf), "\r\nsc-enc: suspended (%s^Z); fg resumes\r\n", e);
    if (n > 0 && io_write_all(2, buf, (size_t)n) < 0) {
        /* stderr gone */
    }
    if (tty_suspend() < 0)
        msg_errno("cannot suspend or resume the terminal");
}

/*
 * Takes n bytes read from stdin into the pending buffer, watching for the
 * escape sequence (interactive only): the escape character right after
 * CR or LF (or at the start) is held; '.' then ends the session, the escape
 * character again sends one, anything else sends both.
 */
static void take_input(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && !E.escaped; i++) {
        uint8_t b = p[i];

        if (E.esc < 0 || !E.tty) {
            pend_add(b);
            continue;
        }
        if (E.esc_held) {
            E.esc_held = 0;
            if (b == '.') {
                E.escaped = 1;
                break;
            }
            if (b == '?') {
                escape_help();
                continue;           /* still at the start of a line */
            }
            if (b == 0x1a) {        /* ^Z */
                suspend();
                continue;
            }
            if (b == 'B') {
                /*
                 * A UART console (the VMM accepted SC_OPT_BREAK): a BREAK
                 * record after what was typed before it (one at a time:
                 * another ~B before it left is the same BREAK).  Else BREAK
                 * as the Xen PV console (hvc0) takes it: ^O, its SysRq key.
                 * The SysRq command is the next key typed.
                 */
                if (E.brk_ok && !E.brk) {
                    E.brk = 1;
                    E.brk_at = E.plen;
                } else if (!E.brk_ok) {
                    pend_add(0x0f);
                }
                E.line_start = 0;
                continue;
            }
            pend_add((uint8_t)E.esc);
            if (b == (uint8_t)E.esc) {
                E.line_start = 0;
                continue;
            }
        }
        if (E.line_start && b == (uint8_t)E.esc) {
            E.esc_held = 1;
            continue;
        }
        pend_add(b);
        E.line_start = (b == '\r' || b == '\n');
    }
}

/*
 * Our output closed.  Once the session is up, sc-dec (there is one: it made
 * the handshake) says why the stream ended, so this says nothing more: the
 * "Broken pipe" that came after most unclean ends, beside sc-dec's reason.
 */
static int out_closed_msg(void)
{
    if (!E.live)
        msg_err("output closed (the relay or ssh ended): %s", strerror(EPIPE));
    return -1;
}

static int put(const uint8_t *p, size_t n)
{
    if (io_write_all(1, p, n) < 0) {
        if (errno == EPIPE)
            return out_closed_msg();
        msg_errno("standard output");
        return -1;
    }
    return 0;
}

/*
 * The padding of a record (sc_rec_seal's pt_min): with obfuscation every
 * record has the one keystroke size (chaff, keys, the close); without it,
 * none is padded at all.
 */
static size_t pad_for(size_t len)
{
    return E.chaff && len <= SC_KEYSTROKE_DATA ? SC_REC_MIN_PT : 0;
}

/* Writes the records sealed so far, in one write, and wipes them: 0 or -1. */
static int out_flush(void)
{
    int r;

    if (E.olen == 0)
        return 0;
    r = put(E.obuf, E.olen);
    cl_wipe(E.obuf, E.olen);
    E.olen = 0;
    if (r == 0)
        E.last_sent = now_ms();
    return r;
}

/* Seals one record after the others of the batch (a REKEY first when the counter says so). */
static int seal_rec(unsigned int type, const uint8_t *data, size_t len)
{
    int n;

    if (OUT_MAX - E.olen < 2 * SC_REC_MAX_FRAME && out_flush() < 0)
        return -1;
    if (E.in.counter >= SC_REKEY_AFTER - 1) {
        n = sc_rec_seal(&sc_ossl_crypto, &E.in, E.obuf + E.olen, OUT_MAX - E.olen, SC_REC_REKEY,
                        NULL, 0, pad_for(0));
        if (n < 0)
            goto fail;
        E.olen += (size_t)n;
    }
    n = sc_rec_seal(&sc_ossl_crypto, &E.in, E.obuf + E.olen, OUT_MAX - E.olen, type, data, len,
                    pad_for(len));
    if (n < 0)
        goto fail;
    E.olen += (size_t)n;
    return 0;
fail:
    msg_err("cannot seal a record: %s", sc_strerror(-n));
    return -1;
}

/* Seals and writes one record now. */
static int send_rec(unsigned int type, const uint8_t *data, size_t len)
{
    if (seal_rec(type, data, len) < 0)
        return -1;
    return out_flush();
}

static void pend_drop(size_t n)
{
    memmove(E.pend, E.pend + n, E.plen - n);
    E.plen -= n;
    cl_wipe(E.pend + E.plen, n);
    if (E.brk)
        E.brk_at = E.brk_at > n ? E.brk_at - n : 0;
}

/* Input owed to the VMM: typed bytes, or a BREAK. */
static int pend_any(void)
{
    return E.plen > 0 || E.brk;
}

/* Pending bytes that may leave before the BREAK owed (all when none is). */
static size_t pend_before_break(void)
{
    return E.brk && E.brk_at < E.plen ? E.brk_at : E.plen;
}

/* Seals the BREAK owed when nothing typed before it waits: 1 sealed, 0 none due, -1 error. */
static int seal_break_due(void)
{
    if (!E.brk || E.brk_at > 0)
        return 0;
    if (seal_rec(SC_REC_BREAK, NULL, 0) < 0)
        return -1;
    E.brk = 0;
    E.brk_at = 0;
    return 1;
}

/*
 * Seals all pending input into the batch: bulk records, or keystroke-size
 * ones when obfuscating.
 */
static int seal_pending(void)
{
    size_t n, off = 0, max = E.chaff ? SC_KEYSTROKE_DATA : IN_MAX_DATA;
    int r = 0;

    for (;;) {
        /* A BREAK goes between the bytes typed before and after it. */
        if (E.brk && E.brk_at <= off) {
            if (seal_rec(SC_REC_BREAK, NULL, 0) < 0) {
                r = -1;
                break;
            }
            E.brk = 0;
        }
        if (off >= E.plen)
            break;
        n = E.plen - off < max ? E.plen - off : max;
        if (E.brk && E.brk_at > off && E.brk_at - off < n)
            n = E.brk_at - off;
        if (seal_rec(SC_REC_DATA, E.pend + off, n) < 0) {
            r = -1;
            break;
        }
        off += n;
    }
    pend_drop(off);                 /* once: what is sealed leaves the buffer together */
    return r;
}

/* Seals the close after what is pending and writes the batch. */
static int send_close(unsigned int reason, uint32_t quiet)
{
    uint8_t d[SC_CLOSE_INPUT_LEN];

    d[0] = (uint8_t)reason;
    d[1] = (uint8_t)(quiet >> 24);
    d[2] = (uint8_t)(quiet >> 16);
    d[3] = (uint8_t)(quiet >> 8);
    d[4] = (uint8_t)quiet;
    if (seal_pending() < 0 || seal_rec(SC_REC_CLOSE, d, sizeof(d)) < 0)
        return -1;
    return out_flush();
}

/* Reads what stdin has (up to what fits); -1 on an error.  Sets E.eof at end of input. */
static int read_stdin(void)
{
    size_t room = pend_room();
    ssize_t n;

    if (room == 0)
        return 0;
    if (room > sizeof(E.rbuf))
        room = sizeof(E.rbuf);
    n = io_read(0, E.rbuf, room);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        msg_errno("standard input");
        return -1;
    }
    if (n == 0) {
        E.eof = 1;
        return 0;
    }
    if (E.esc < 0 || !E.tty) {
        memcpy(E.pend + E.plen, E.rbuf, (size_t)n);     /* no escapes: n <= room */
        E.plen += (size_t)n;
    } else {
        take_input(E.rbuf, (size_t)n);
    }
    cl_wipe(E.rbuf, (size_t)n);
    return (int)n;
}

/*
 * Reads what stdin has ready now, its end included, without waiting: piped
 * input that was there before the answer leaves with its close in one
 * write, however the handshake raced the reads.  0, or -1 on an error.
 */
static int read_ready(void)
{
    struct pollfd p;
    int r;

    while (!E.eof && pend_room() > 0) {
        p.fd = 0;
        p.events = POLLIN;
        r = poll(&p, 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            msg_errno("poll");
            return -1;
        }
        if (r == 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            return 0;
        r = read_stdin();
        if (r < 0)
            return -1;
        if (r == 0 && !E.eof)
            return 0;               /* EAGAIN, or no room: seal first */
    }
    return 0;
}

/* Is stdout's reader gone? (poll reports POLLERR on a pipe without a reader) */
static int out_gone(short revents)
{
    return (revents & (POLLERR | POLLHUP)) != 0;
}

/*
 * Waits for sc-dec's answer file, reading stdin meanwhile.  0 when the
 * keys are there, else the exit code.  out_open: the hello was written
 * (else our output closed already, and only sc-dec's word is waited for).
 */
static int handshake(unsigned long timeout_s, int out_open)
{
    uint64_t start = now_ms(), deadline = start + (uint64_t)timeout_s * 1000, t;
    short in_rev, out_rev;
    int r, out = 1, in_grace = 0, dec_checked = 0;

    if (!out_open) {
        out = -1;
        deadline = now_ms() + OUT_GONE_GRACE_MS;
        in_grace = 1;
    }

    for (;;) {
        r = rv_take(&E.rv, E.hid, RV_ANSWER, E.afile, sizeof(E.afile));
        if (r < 0)
            return EXIT_USAGE;
        if (r == 1)
            break;
        if (E.escaped)
            return -1;
        t = now_ms();
        if (!dec_checked && t >= start + NO_DEC_MS) {
            dec_checked = 1;
            if (!rv_marked(&E.rv)) {
                msg_err("no sc-dec in this pipeline (the same process group) reads the relay's "
                        "output: sc-enc | ssh HOST sudo sc-relay DOMID | sc-dec");
                return EXIT_USAGE;
            }
        }
        if (t >= deadline && out < 0 && in_grace) {
            msg_err("output closed (the relay or ssh ended): %s", strerror(EPIPE));
            return EXIT_USAGE;
        }
        if (t >= deadline) {
            msg_err("no answer from the VMM within %lu s: is sc-dec reading the relay's output?",
                    timeout_s);
            return EXIT_USAGE;
        }
        /*
         * A terminal stays untouched (not raw, not read) until the answer:
         * ssh and sudo may be asking it for a password meanwhile.  Keys
         * typed ahead wait in the terminal; piped input is read ahead.
         * The answer's arrival in the rendezvous wakes us (rv_watch).
         */
        r = rv_wait(&E.rv, (E.tty || E.eof || pend_room() == 0) ? -1 : 0, &in_rev, out, &out_rev,
                    deadline - t < ANSWER_WAKE_MS ? (int)(deadline - t) : ANSWER_WAKE_MS);
        if (r < 0 && errno != EINTR) {
            msg_errno("poll");
            return EXIT_USAGE;
        }
        if (r > 0 && out >= 0 && out_gone(out_rev)) {
            /*
             * The relay or ssh ended before the answer: sc-dec, if it is
             * there, says why and hands us its status in a moment; only
             * without it do we say what we saw.
             */
            out = -1;
            if (deadline > t + OUT_GONE_GRACE_MS) {
                deadline = t + OUT_GONE_GRACE_MS;
                in_grace = 1;
            }
        }
        if (r > 0 && (in_rev & (POLLIN | POLLHUP | POLLERR)) && read_stdin() < 0)
            return EXIT_USAGE;
    }
    rv_unwatch(&E.rv);
    /*
     * The hello file stays ours to wipe (main's way out) until the end: on a
     * refusal sc-dec may never have taken it, and it holds the secret c.
     */
    if (E.afile[0] != 0) {
        /* No session: sc-dec said why, and which status to exit with. */
        switch (E.afile[0]) {
        case SC_EX_OPER: case SC_EX_REFUSED: case SC_EX_POLICY: case SC_EX_BUSY:
        case SC_EX_UNBOUND: case SC_EX_INSTANCE: case SC_EX_LEVEL:
            return E.afile[0];
        default:
            msg_err("the VMM's answer failed authentication (see sc-dec)");
            return EXIT_INTEGRITY;
        }
    }
    r = sc_session_keys_client(&sc_ossl_crypto, E.hfile + 32, E.key, E.vmm_pub, E.hfile,
                               E.afile + 1, &E.in, &E.out);
    cl_wipe(E.hfile, 32);           /* c: the session's keys are all we need now */
    sc_dir_wipe(&E.out);
    E.brk_ok = (((unsigned)E.afile[1 + SC_PUB_LEN] << 8 | E.afile[2 + SC_PUB_LEN]) &
                SC_OPT_BREAK) != 0;
    if (r < 0) {
        msg_err("cannot derive the session keys: %s", sc_strerror(-r));
        return EXIT_INTEGRITY;
    }
    return 0;
}

/* Milliseconds until a keepalive is due (sccrypt(7): SC_KEEPALIVE_MS), 0 when it is. */
static int keepalive_in(void)
{
    uint64_t t = now_ms(), due = E.last_sent + SC_KEEPALIVE_MS;

    return t >= due ? 0 : (int)(due - t);
}

/* A chaff record: the first one proves to the VMM that we hold the session's keys. */
static int send_chaff(void)
{
    return send_rec(SC_REC_CHAFF, NULL, 0);
}

/*
 * No obfuscation (not a terminal, or -N): each read leaves at once, as few
 * records as it takes, all in one write; a key typed at a terminal is one
 * small record.
 */
static int run_direct(uint32_t quiet)
{
    struct pollfd pfd[2];
    int r;

    for (;;) {
        if (read_ready() < 0)
            return EXIT_USAGE;
        if (E.escaped)
            return send_close(SC_CLOSE_ESCAPE, 0) < 0 ? EXIT_USAGE : 0;
        if (E.eof)
            return send_close(SC_CLOSE_EOF, quiet) < 0 ? EXIT_USAGE : 0;
        if (seal_pending() < 0)
            return EXIT_USAGE;
        if (E.olen == 0 && keepalive_in() == 0 && seal_rec(SC_REC_CHAFF, NULL, 0) < 0)
            return EXIT_USAGE;
        if (out_flush() < 0)
            return EXIT_USAGE;
        pfd[0].fd = 0;
        pfd[0].events = POLLIN;
        pfd[1].fd = 1;
        pfd[1].events = 0;
        r = poll(pfd, 2, keepalive_in());
        if (r < 0) {
            if (errno == EINTR)
                continue;
            msg_errno("poll");
            return EXIT_USAGE;
        }
        if (out_gone(pfd[1].revents)) {
            out_closed_msg();
            return EXIT_USAGE;
        }
        if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && read_stdin() < 0)
            return EXIT_USAGE;
    }
}

/*
 * Keys came at t (read now, or typed ahead before the cadence began): chaff
 * goes on for a random 1 to 3 s after them, and an idle cadence starts at
 * the next slot of the grid that began at t0.  0, or -1 without randomness.
 */
static int keys_came(uint64_t t0, uint64_t t, int *active, uint64_t *next, uint64_t *until)
{
    uint16_t rnd;

    if (sc_ossl_random(&rnd, sizeof(rnd)) < 0) {
        msg_err("no random bytes from OpenSSL");
        return -1;
    }
    *until = t + TAIL_MIN_MS + rnd % (TAIL_SPAN_MS + 1);
    if (!*active) {
        *active = 1;
        *next = t0 + ((t - t0) / TICK_MS + 1) * TICK_MS;
    }
    return 0;
}

/*
 * Keystroke-timing obfuscation: while keys come and for a random 1 to 3 s
 * after the last one, exactly one keystroke-size record leaves every tick:
 * up to SC_KEYSTROKE_DATA bytes of what was typed, else chaff.
 */
static int run_chaff(uint32_t quiet)
{
    uint64_t t0 = now_ms(), next = 0, until = 0, t;
    struct pollfd pfd[2];
    size_t n;
    int r, active = 0, timeout;

    /*
     * Input already pending (typed during the handshake) leaves at the first
     * slot: the cadence used to start only on a read, so it waited for the
     * next key.
     */
    if (pend_any() && keys_came(t0, t0, &active, &next, &until) < 0)
        return EXIT_USAGE;
    for (;;) {
        t = now_ms();
        if (E.escaped || E.eof) {
            /* What is still pending leaves with the close, in keystroke-size records. */
            if (E.escaped)
                return send_close(SC_CLOSE_ESCAPE, 0) < 0 ? EXIT_USAGE : 0;
            return send_close(SC_CLOSE_EOF, quiet) < 0 ? EXIT_USAGE : 0;
        }
        if (active && t >= next) {
            /* A BREAK takes its slot like a key: fixed size, no other record with it. */
            r = seal_break_due();
            if (r < 0 || (r > 0 && out_flush() < 0))
                return EXIT_USAGE;
            if (r == 0 && E.plen > 0) {
                n = pend_before_break();
                if (n > SC_KEYSTROKE_DATA)
                    n = SC_KEYSTROKE_DATA;
                if (send_rec(SC_REC_DATA, E.pend, n) < 0)
                    return EXIT_USAGE;
                pend_drop(n);
            } else if (r == 0 && send_rec(SC_REC_CHAFF, NULL, 0) < 0) {
                return EXIT_USAGE;
            }
            /* The next slot on the grid; never a burst to catch up. */
            next += TICK_MS;
            if (next <= t)
                next = t0 + ((t - t0) / TICK_MS + 1) * TICK_MS;
            if (t >= until && !pend_any())
                active = 0;
            continue;
        }
        if (!active && keepalive_in() == 0) {
            if (send_chaff() < 0)
                return EXIT_USAGE;
            continue;
        }
        timeout = active ? (int)(next - t) : keepalive_in();
        pfd[0].fd = pend_room() == 0 ? -1 : 0;
        pfd[0].events = POLLIN;
        pfd[1].fd = 1;
        pfd[1].events = 0;
        r = poll(pfd, 2, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            msg_errno("poll");
            return EXIT_USAGE;
        }
        if (r > 0 && out_gone(pfd[1].revents)) {
            out_closed_msg();
            return EXIT_USAGE;
        }
        if (r > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            r = read_stdin();
            if (r < 0)
                return EXIT_USAGE;
            if (r > 0 && keys_came(t0, now_ms(), &active, &next, &until) < 0)
                return EXIT_USAGE;
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "key", required_argument, NULL, 'k' },
        { "vmm", required_argument, NULL, 'V' },
        { "guest", required_argument, NULL, 'g' },
        { "escape", required_argument, NULL, 'e' },
        { "no-chaff", no_argument, NULL, 'N' },
        { "timeout", required_argument, NULL, 't' },
        { "quiet-time", required_argument, NULL, 'w' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 256 },
        { NULL, 0, NULL, 0 },
    };
    const char *kopt = NULL, *vname = NULL, *guest = NULL;
    char path[CL_PATH_MAX], vmm_name[KV_NAME_MAX], keyfp[FP_BUFLEN];
    uint8_t guuid[SC_UUID_LEN];
    unsigned long timeout_s = 30, quiet = 1000;
    int c, rc = EXIT_USAGE, is_default, r, nochaff = 0, out_open;
    uint16_t options;
    uint8_t hframe[SC_FRAME_HDR + SC_HELLO_LEN];

    msg_init("sc-enc");
    E.rv.wfd = E.rv.wd = -1;       /* no watch until rv_watch (rv_init sets it too) */
    E.esc = '~';
    if (getenv("SCCRYPT_ESCAPE") != NULL && getenv("SCCRYPT_ESCAPE")[0] != '\0') {
        E.esc = parse_escape(getenv("SCCRYPT_ESCAPE"));
        if (E.esc == -2) {
            msg_err("SCCRYPT_ESCAPE=%s: the escape must be one character, ^X or none",
                    getenv("SCCRYPT_ESCAPE"));
            return EXIT_USAGE;
        }
    }
    while ((c = getopt_long(argc, argv, "k:V:g:e:Nt:w:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': kopt = optarg; break;
        case 'V': vname = optarg; break;
        case 'g': guest = optarg; break;
        case 'e':
            E.esc = parse_escape(optarg);
            if (E.esc == -2) {
                msg_err("-e %s: the escape must be one character, ^X or none", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'N': nochaff = 1; break;
        case 't':
            if (parse_uint(optarg, 86400, &timeout_s) < 0 || timeout_s == 0) {
                msg_err("-t %s: seconds from 1 to 86400", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'w':
            if (parse_uint(optarg, UINT32_MAX, &quiet) < 0) {
                msg_err("-w %s: milliseconds from 0 to 4294967295", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h': usage(stdout); return 0;
        case 256: printf("sc-enc %s\n", SC_VERSION); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        msg_err("unexpected argument: %s", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (isatty(1)) {
        msg_err("refusing to write ciphertext to a terminal; pipe it to the relay, e.g. "
                "sc-enc | ssh HOST sudo sc-relay DOMID | sc-dec");
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    E.tty = isatty(0);
    E.chaff = E.tty && !nochaff;
    E.line_start = 1;

    if (key_path(path, sizeof(path), kopt, &is_default) < 0 || key_load(path, E.key) < 0)
        goto out;
    if (kv_select(vname, E.vmm_pub, vmm_name) < 0)
        goto out;
    if (guest) {
        /* The session names its domain inside the hello: dom0 cannot send it elsewhere. */
        fp_key(keyfp, E.key);
        if (inst_find(keyfp, vmm_name, guest, guuid) != 0)
            goto out;
    }
    if (rv_init(&E.rv) < 0)
        goto out;
    rv_sweep(&E.rv);                /* what earlier pipelines, now gone, left behind */
    if (tty_signals(signal_hook) < 0) {
        msg_errno("sigaction");
        goto out;
    }

    if (sc_ossl_random(E.hfile, 32) < 0) {
        msg_err("no random bytes from OpenSSL");
        goto out;
    }
    /* BREAK is offered always; the answer says whether the VMM (a UART console) took it. */
    options = (E.chaff ? SC_OPT_CHAFF : 0) | SC_OPT_BREAK;
    r = sc_hello_make_for(&sc_ossl_crypto, E.hfile + 32, E.key, E.vmm_pub, E.hfile, options,
                          guest ? guuid : NULL);
    if (r < 0) {
        msg_err("cannot make the hello: %s", sc_strerror(-r));
        rc = r == -SC_EAUTH ? EXIT_INTEGRITY : EXIT_USAGE;
        goto out;
    }
    sc_hello_id(&sc_ossl_crypto, E.hid, E.hfile + 32);
    if (rv_path(&E.rv, E.hid, RV_HELLO, hello_path, sizeof(hello_path)) < 0)
        goto out;
    E.rv_live = 1;
    if (rv_put(&E.rv, E.hid, RV_HELLO, E.hfile, sizeof(E.hfile), 0) < 0)
        goto out;

    /* Watching before the hello leaves: sc-dec cannot answer before it. */
    rv_watch(&E.rv);
    sc_frame_put_hdr(hframe, SC_HELLO_LEN);
    memcpy(hframe + SC_FRAME_HDR, E.hfile + 32, SC_HELLO_LEN);
    out_open = 1;
    if (io_write_all(1, hframe, sizeof(hframe)) < 0) {
        if (errno != EPIPE) {
            msg_errno("standard output");
            goto out;
        }
        out_open = 0;               /* the relay is gone already: the handshake hears sc-dec */
    }

    r = handshake(timeout_s, out_open);
    if (r < 0) {
        rc = 0;                     /* ~. before the VMM answered: nothing was sent */
        goto out;
    }
    if (r > 0) {
        rc = r;
        goto out;
    }
    E.live = 1;
    /*
     * Raw mode only now, with the session up (ssh and sudo are done with the
     * terminal): keys typed ahead are still in it, and go first.
     */
    if (E.tty && tty_raw(0) < 0) {
        msg_errno("cannot set the terminal to raw mode");
        goto out;
    }
    /* At once: the VMM gives a session nothing of its backlog before it. */
    if (send_chaff() < 0)
        goto out;
    rc = E.chaff ? run_chaff((uint32_t)quiet) : run_direct((uint32_t)quiet);
out:
    if (E.escaped && E.tty) {
        /* ~.: one line, on a line of its own, before the shell's prompt. */
        static const char closed[] = "\r\nsc-enc: session closed\r\n";

        if (io_write_all(2, closed, sizeof(closed) - 1) < 0) {
            /* stderr gone */
        }
    }
    tty_restore();
    rv_unwatch(&E.rv);
    if (E.rv_live) {
        rv_discard(&E.rv, E.hid, RV_HELLO);
        rv_discard(&E.rv, E.hid, RV_ANSWER);
        hello_path[0] = '\0';
    }
    cl_wipe(&E, sizeof(E));
    return rc;
}
