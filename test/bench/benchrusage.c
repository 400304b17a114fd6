/* SPDX-License-Identifier: MIT */
/*
 * benchrusage: runs a command and appends what it cost to a file, for
 * `make bench`:
 *
 *   benchrusage FILE NAME CMD [ARG...]
 *
 * appends "NAME USER_S SYS_S MAXRSS_KIB CSW" (getrusage of the command, and
 * of any child it waited for; CSW its context switches, voluntary or not)
 * to FILE with one write, and exits with the
 * command's status (128 + the signal when one killed it).  stdin, stdout
 * and stderr are the command's; we only wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"

int main(int argc, char **argv)
{
    struct rusage ru;
    char line[256];
    pid_t pid, w;
    int st, fd, len;

    if (argc < 4) {
        fprintf(stderr, "usage: benchrusage FILE NAME CMD [ARG...]\n");
        return 2;
    }
    fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "benchrusage: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "benchrusage: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        fprintf(stderr, "benchrusage: %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    /* A signal meant for the group reaches the command too; we outlive it to report. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    do
        w = wait4(pid, &st, 0, &ru);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        fprintf(stderr, "benchrusage: wait4: %s\n", strerror(errno));
        return 2;
    }
    len = snprintf(line, sizeof(line), "%s %ld.%06ld %ld.%06ld %ld %ld\n", argv[2],
                   (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
                   (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss,
                   ru.ru_nvcsw + ru.ru_nivcsw);
    if (io_write_all(fd, line, (size_t)len) < 0) {
        fprintf(stderr, "benchrusage: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    close(fd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
