/* SPDX-License-Identifier: MIT */
/*
 * simconn: a hostile or idle client of the simulator's socket, for tests.
 *
 *   simconn SOCKET half N SECONDS   N connections, each sends 5 bytes of a
 *                                   request header, then holds it
 *   simconn SOCKET idle N SECONDS   N connections that send nothing
 *
 * Prints "ready" on stdout once every connection is made, then holds them
 * for SECONDS and exits 0 (2 on a usage or connection error).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NMAX 256

int main(int argc, char **argv)
{
    static const unsigned char part[5] = { 1, 1, 0, 0, 0 };
    struct sockaddr_un sa;
    int fds[NMAX], n, i, half;

    if (argc != 5 || (strcmp(argv[2], "half") != 0 && strcmp(argv[2], "idle") != 0) ||
        (n = atoi(argv[3])) < 1 || n > NMAX || strlen(argv[1]) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: simconn SOCKET half|idle N SECONDS\n");
        return 2;
    }
    half = strcmp(argv[2], "half") == 0;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, argv[1]);
    for (i = 0; i < n; i++) {
        fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            fprintf(stderr, "simconn: %s: %s\n", argv[1], strerror(errno));
            return 2;
        }
        if (half && write(fds[i], part, sizeof(part)) != (ssize_t)sizeof(part)) {
            fprintf(stderr, "simconn: write: %s\n", strerror(errno));
            return 2;
        }
    }
    printf("ready\n");
    fflush(stdout);
    (void)poll(NULL, 0, atoi(argv[4]) * 1000);
    for (i = 0; i < n; i++)
        close(fds[i]);
    return 0;
}
