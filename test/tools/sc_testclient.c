/* SPDX-License-Identifier: MIT */
/*
 * sc_testclient: a one-process client of the VMM (sc-enc and sc-dec in
 * one, on the core's crypto) for testing the simulator and the relay on
 * their own.  Not a user tool: the key is passed in hex on the command line.
 *
 *   sc_testclient seal KEYHEX UUID VMMPUBHEX CHALLENGEHEX > request
 *   sc_testclient session [-w QUIET_MS] [-c] KEYHEX VMMPUBHEX -- RELAY ARGS...
 *
 * session runs the relay with pipes, sends the hello, checks the answer,
 * sends stdin as bulk records (-c: keystroke-size records and one chaff
 * per record), writes the guest's output to stdout, and at stdin's end
 * sends the close.  Exit: 0 on a quiet close, 1 on another close or a cut
 * stream (the reason on stderr), 2 on an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "sc_proto.h"

static int unhex(uint8_t *out, size_t n, const char *s)
{
    size_t i;
    unsigned int v;

    if (strlen(s) != 2 * n)
        return -1;
    for (i = 0; i < n; i++) {
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static int parse_uuid(uint8_t u[16], const char *s)
{
    char h[33];
    size_t i, k = 0;

    for (i = 0; s[i] && k < 32; i++)
        if (s[i] != '-')
            h[k++] = s[i];
    h[k] = '\0';
    return unhex(u, 16, h);
}

static void rnd(uint8_t *p, size_t n)
{
    if (getrandom(p, n, 0) != (ssize_t)n)
        abort();
}

static int do_seal(char **argv)
{
    uint8_t key[32], uuid[16], pub[32], eph[32], req[SC_BIND_LEN], ch[SC_CHALLENGE_LEN];

    if (unhex(key, 32, argv[0]) || parse_uuid(uuid, argv[1]) || unhex(pub, 32, argv[2]) ||
        unhex(ch, SC_CHALLENGE_LEN, argv[3]))
        return 2;
    rnd(eph, 32);
    if (sc_bind_seal(&sc_core_crypto, req, key, uuid, pub, eph, ch))
        return 2;
    return io_write_all(1, req, sizeof(req)) ? 2 : 0;
}

static uint8_t obuf[1 << 20];
static size_t olen;

static int do_session(int argc, char **argv)
{
    uint8_t key[32], pub[32], c[32], hello[2 + SC_HELLO_LEN], ans[2 + SC_ANSWER_LEN];
    uint8_t data[SC_REC_MAX_PT], rbuf[65536];
    struct sc_dir in, out;
    struct sc_identity id;
    struct pollfd pfd[3];
    uint32_t quiet = 200;
    size_t rlen = 0, chunk = SC_REC_MAX_IN_DATA, dlen;
    int to[2], from[2], opt, keys = 0, in_eof = 0, rc = 1, n, i;
    unsigned int type;
    pid_t pid;

    while ((opt = getopt(argc, argv, "+w:c")) != -1) {
        if (opt == 'w')
            quiet = (uint32_t)atoi(optarg);
        else if (opt == 'c')
            keys = 1;
        else
            return 2;
    }
    if (argc - optind < 3 || unhex(key, 32, argv[optind]) || unhex(pub, 32, argv[optind + 1]))
        return 2;
    if (strcmp(argv[optind + 2], "--") == 0)
        optind++;
    if (pipe(to) || pipe(from))
        return 2;
    pid = fork();
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]);
        close(to[1]);
        close(from[0]);
        close(from[1]);
        execvp(argv[optind + 2], argv + optind + 2);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    signal(SIGPIPE, SIG_IGN);
    rnd(c, 32);
    if (sc_hello_make(&sc_core_crypto, hello + 2, key, pub, c, keys ? SC_OPT_CHAFF : 0))
        return 2;
    sc_frame_put_hdr(hello, SC_HELLO_LEN);
    if (io_write_all(to[1], hello, sizeof(hello)))
        return 2;
    if (io_read_full(from[0], ans, sizeof(ans)) != (ssize_t)sizeof(ans)) {
        fprintf(stderr, "sc_testclient: no answer\n");
        goto out;
    }
    if (sc_answer_check(&sc_core_crypto, ans + 2, SC_ANSWER_LEN, hello + 2, key, pub, c, &id,
                        &in, &out, data)) {
        fprintf(stderr, "sc_testclient: answer failed authentication\n");
        goto out;
    }
    fprintf(stderr, "sc_testclient: domain %u instance %02x%02x%02x%02x dropped %llu\n",
            (unsigned)id.domid, id.instance[0], id.instance[1], id.instance[2], id.instance[3],
            (unsigned long long)id.dropped);
    if (keys)
        chunk = SC_KEYSTROKE_DATA;
    io_set_nonblock(to[1], 1);
    for (;;) {
        pfd[0].fd = (!in_eof && olen < sizeof(obuf) - 2 * SC_REC_MAX_FRAME) ? 0 : -1;
        pfd[0].events = POLLIN;
        pfd[1].fd = from[0];
        pfd[1].events = POLLIN;
        pfd[2].fd = olen ? to[1] : -1;
        pfd[2].events = POLLOUT;
        if (poll(pfd, 3, -1) < 0 && errno != EINTR)
            goto out;
        if (pfd[0].revents) {
            n = (int)read(0, data, chunk);
            if (n <= 0) {
                uint8_t cl[SC_CLOSE_INPUT_LEN] = { SC_CLOSE_EOF, (uint8_t)(quiet >> 24),
                    (uint8_t)(quiet >> 16), (uint8_t)(quiet >> 8), (uint8_t)quiet };

                in_eof = 1;
                n = sc_rec_seal(&sc_core_crypto, &in, obuf + olen, sizeof(obuf) - olen,
                                SC_REC_CLOSE, cl, sizeof(cl), keys ? SC_REC_MIN_PT : 0);
            } else {
                n = sc_rec_seal(&sc_core_crypto, &in, obuf + olen, sizeof(obuf) - olen,
                                SC_REC_DATA, data, (size_t)n, keys ? SC_REC_MIN_PT : 0);
                if (n > 0 && keys) {
                    olen += (size_t)n;
                    n = sc_rec_seal(&sc_core_crypto, &in, obuf + olen, sizeof(obuf) - olen,
                                    SC_REC_CHAFF, NULL, 0, SC_REC_MIN_PT);
                }
            }
            if (n < 0)
                goto out;
            olen += (size_t)n;
        }
        if (pfd[2].revents) {
            ssize_t w = write(to[1], obuf, olen);

            if (w < 0 && errno != EAGAIN) {
                fprintf(stderr, "sc_testclient: relay stdin: %s\n", strerror(errno));
                olen = 0;
                in_eof = 1;
            } else if (w > 0) {
                memmove(obuf, obuf + w, olen - (size_t)w);
                olen -= (size_t)w;
            }
        }
        if (pfd[1].revents) {
            n = (int)read(from[0], rbuf + rlen, sizeof(rbuf) - rlen);
            if (n <= 0) {
                fprintf(stderr, "sc_testclient: stream truncated\n");
                goto out;
            }
            rlen += (size_t)n;
            for (;;) {
                size_t fl;

                if (rlen < 2)
                    break;
                fl = 2 + ((size_t)rbuf[0] << 8 | rbuf[1]);
                if (fl > SC_REC_MAX_FRAME) {
                    fprintf(stderr, "sc_testclient: bad frame\n");
                    goto out;
                }
                if (rlen < fl)
                    break;
                if (sc_rec_open(&sc_core_crypto, &out, rbuf, fl, &type, data, &dlen)) {
                    fprintf(stderr, "sc_testclient: output record failed authentication\n");
                    goto out;
                }
                memmove(rbuf, rbuf + fl, rlen - fl);
                rlen -= fl;
                if (type == SC_REC_DATA && io_write_all(1, data, dlen))
                    goto out;
                if (type == SC_REC_CLOSE) {
                    fprintf(stderr, "sc_testclient: closed: %s\n", sc_close_reason(data[0]));
                    rc = data[0] == SC_CLOSE_QUIET ? 0 : 1;
                    goto out;
                }
            }
        }
    }
out:
    close(to[1]);
    close(from[0]);
    for (i = 0; i < 100; i++) {
        if (waitpid(pid, &n, WNOHANG) == pid) {
            fprintf(stderr, "sc_testclient: relay exit %d\n",
                    WIFEXITED(n) ? WEXITSTATUS(n) : 128 + WTERMSIG(n));
            break;
        }
        usleep(50000);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 6 && strcmp(argv[1], "seal") == 0)
        return do_seal(argv + 2);
    if (argc >= 2 && strcmp(argv[1], "session") == 0)
        return do_session(argc - 1, argv + 1);
    fprintf(stderr, "usage: sc_testclient seal KEYHEX UUID VMMPUBHEX CHALLENGEHEX > request\n"
            "       sc_testclient session [-w MS] [-c] KEYHEX VMMPUBHEX -- RELAY ARGS...\n");
    return 2;
}
