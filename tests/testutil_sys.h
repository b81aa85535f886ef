/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Small system helpers shared by the network tests: a monotonic clock in
 * milliseconds, a sleep that survives signals (for pacing and bounded
 * polling loops, never in place of awaiting a condition), and the
 * number of descriptors the process has open (leak checks), a whole
 * write to a socket, and a free tcp port for endpoints that must be
 * known before anything binds.
 */
#ifndef TESTUTIL_SYS_H
#define TESTUTIL_SYS_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static inline long long test_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void test_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Open descriptors of this process, or -1. */
static inline int test_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* Writes all n bytes to socket fd (no SIGPIPE); 0, or -1 on error. */
static inline int test_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t rc = send(fd, p, n, MSG_NOSIGNAL);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += rc;
        n -= (size_t)rc;
    }
    return 0;
}

/* A TCP port on 127.0.0.1 that nothing listens on right now, or 0. */
static inline int test_free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    int port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* "tcp://127.0.0.1:<a free port>" in ep; the port, or 0. */
static inline int test_free_tcp_ep(char *ep, size_t size)
{
    int port = test_free_tcp_port();
    if (port > 0)
        snprintf(ep, size, "tcp://127.0.0.1:%d", port);
    return port;
}

#endif
