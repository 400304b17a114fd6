/* SPDX-License-Identifier: MIT */
/*
 * typist: runs a command with its standard input on a new pseudo-terminal
 * and types into it as a person would, one key at a time, at the times a
 * script gives; logs when each key was typed.  For measuring what dom0 can
 * learn of keystrokes (test/echo-attack.sh).
 *
 *   typist SCRIPT LOG CMD [ARGS...]
 *
 * SCRIPT has one key per line: "MS KEY", where MS is how long to wait
 * before typing it (milliseconds) and KEY one byte, or \r, \n, \e, \b, \t,
 * \x7f (the backslash escapes), or ~. to type "~." after an Enter (ends the
 * session).  Typing begins once the command has put the terminal in raw
 * mode.  LOG gets one line per key: the CLOCK_MONOTONIC time it was written,
 * in milliseconds with three decimals, and the byte in decimal.  Exits with
 * the command's status (128 + N for signal N).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

static void die(const char *m)
{
    fprintf(stderr, "typist: %s: %s\n", m, strerror(errno));
    exit(3);
}

#include "pty_spawn.h"

static double mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The byte a KEY field names, or -1. */
static int key_byte(const char *k)
{
    if (k[0] == '\\') {
        if (strcmp(k, "\\r") == 0) return '\r';
        if (strcmp(k, "\\n") == 0) return '\n';
        if (strcmp(k, "\\e") == 0) return 27;
        if (strcmp(k, "\\b") == 0) return '\b';
        if (strcmp(k, "\\t") == 0) return '\t';
        if (strcmp(k, "\\x7f") == 0) return 127;
        if (strcmp(k, "\\\\") == 0) return '\\';
        return -1;
    }
    return k[0] != '\0' && k[1] == '\0' ? (unsigned char)k[0] : -1;
}

/* Sleeps ms milliseconds (EINTR resumed). */
static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    struct termios t;
    char line[256], key[64], out[64];
    FILE *sc;
    pid_t pid;
    long ms;
    int m, logfd, st, i, b, len;
    unsigned char c;

    if (argc < 4) {
        fprintf(stderr, "usage: typist SCRIPT LOG CMD [ARGS...]\n");
        return 3;
    }
    signal(SIGPIPE, SIG_IGN);
    sc = fopen(argv[1], "r");
    if (sc == NULL)
        die(argv[1]);
    logfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (logfd < 0)
        die(argv[2]);

    pid = pty_spawn(argv + 3, &m);

    /* Type only once the program reads raw bytes (sc-enc does so once the VMM answered). */
    for (i = 0; i < 3000; i++) {
        if (tcgetattr(m, &t) < 0)
            die("tcgetattr");
        if (!(t.c_lflag & ICANON))
            break;
        if (waitpid(pid, &st, WNOHANG) == pid)
            goto done;
        sleep_ms(10);
    }
    while (fgets(line, sizeof(line), sc) != NULL) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%ld %63s", &ms, key) != 2 || ms < 0) {
            fprintf(stderr, "typist: %s: bad line: %s", argv[1], line);
            kill(pid, SIGTERM);
            return 3;
        }
        sleep_ms(ms);
        if (strcmp(key, "~.") == 0) {
            if (io_write_all(m, "\r~.", 3) < 0)
                break;
            continue;
        }
        b = key_byte(key);
        if (b < 0) {
            fprintf(stderr, "typist: %s: bad key: %s\n", argv[1], key);
            kill(pid, SIGTERM);
            return 3;
        }
        c = (unsigned char)b;
        if (io_write_all(m, &c, 1) < 0)
            break;                  /* the program is gone */
        len = snprintf(out, sizeof(out), "%.3f %d\n", mono_ms(), b);
        if (io_write_all(logfd, out, (size_t)len) < 0)
            die(argv[2]);
    }
    fclose(sc);
    /* Keep the terminal open (reading what it says) until the program exits. */
    for (;;) {
        struct pollfd p = { .fd = m, .events = POLLIN };

        if (waitpid(pid, &st, WNOHANG) == pid)
            break;
        if (poll(&p, 1, 100) > 0 && read(m, line, sizeof(line)) < 0 && errno != EINTR &&
            errno != EAGAIN) {
            if (waitpid(pid, &st, 0) < 0)
                die("waitpid");
            break;
        }
    }
done:
    close(m);
    close(logfd);
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}
