/* SPDX-License-Identifier: MIT */
/*
 * ptyfeed: runs a command with its standard input on a new pseudo-terminal
 * and types a file into it, as a terminal emulator would a paste.
 *
 *   ptyfeed FILE CMD [ARGS...]
 *
 * Waits until the command has put the terminal in raw mode (ICANON off),
 * writes FILE to the terminal, then what ptyfeed's own stdin brings until
 * its end, keeps the terminal open until the command exits, and exits with
 * the command's status (128 + N for signal N).  stdout and stderr are the
 * command's own.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "io.h"

static void die(const char *m)
{
    fprintf(stderr, "ptyfeed: %s: %s\n", m, strerror(errno));
    exit(3);
}

#include "pty_spawn.h"

int main(int argc, char **argv)
{
    static uint8_t data[1 << 20];
    struct termios t;
    ssize_t len;
    size_t off = 0;
    pid_t pid;
    int m, fd, st, i;

    if (argc < 3) {
        fprintf(stderr, "usage: ptyfeed FILE CMD [ARGS...]\n");
        return 3;
    }
    fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        die(argv[1]);
    len = io_read_full(fd, data, sizeof(data));
    if (len < 0)
        die(argv[1]);
    close(fd);

    pid = pty_spawn(argv + 2, &m);

    /* Type only once the program reads raw bytes (else the line discipline edits them). */
    for (i = 0; i < 1000; i++) {
        if (tcgetattr(m, &t) < 0)
            die("tcgetattr");
        if (!(t.c_lflag & ICANON))
            break;
        if (waitpid(pid, &st, WNOHANG) == pid)
            goto done;
        (void)poll(NULL, 0, 10);
    }
    while (off < (size_t)len) {
        ssize_t w = write(m, data + off, (size_t)len - off);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;                  /* the program is gone */
        }
        off += (size_t)w;
    }
    while (off == (size_t)len) {
        ssize_t n = io_read(0, data, sizeof(data));

        if (n <= 0 || io_write_all(m, data, (size_t)n) < 0)
            break;
    }
    if (waitpid(pid, &st, 0) < 0)
        die("waitpid");
done:
    close(m);
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}
