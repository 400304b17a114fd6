/* SPDX-License-Identifier: MIT */
/*
 * pty_spawn: the test tools' way to run a program on a new pseudo-terminal
 * (its stdin the pty's slave), as a user's terminal would.  Include it after
 * defining die(const char *); the tools are one file each.
 */
#ifndef SC_TEST_PTY_SPAWN_H
#define SC_TEST_PTY_SPAWN_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* Runs argv[0] with stdin on a new pty; returns its pid, the master in *master. */
static pid_t pty_spawn(char *const argv[], int *master)
{
    const char *sname;
    pid_t pid;
    int m, s;

    m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || (sname = ptsname(m)) == NULL)
        die("posix_openpt");
    s = open(sname, O_RDWR | O_NOCTTY);
    if (s < 0)
        die(sname);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(m);
        if (dup2(s, 0) < 0)
            die("dup2");
        close(s);
        execvp(argv[0], argv);
        die(argv[0]);
    }
    close(s);
    *master = m;
    return pid;
}

#endif /* SC_TEST_PTY_SPAWN_H */
