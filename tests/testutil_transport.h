/* SPDX-License-Identifier: MPL-2.0 */
/*
 * One test body, run once per transport (design.md section 6).
 *
 * A test program that includes this header (after zmq.h and testutil.h)
 * runs all its cases over the transport named by its first argument:
 *
 *     test_pubsub          inproc (the default)
 *     test_pubsub tcp      tcp on 127.0.0.1, ports chosen by the kernel
 *     test_pubsub ipc      ipc on Linux abstract names unique per process
 *
 * With no argument the environment variable ZMQ_TEST_TRANSPORT is read
 * instead; an unknown name stops the program with exit status 2.  ctest
 * registers each such program as <name> (inproc), <name>_tcp and
 * <name>_ipc.  This header replaces testutil.h's TEST_MAIN with one that
 * reads the transport before running the cases and prints it first.
 *
 * Endpoints are made from a short place name (unique within the
 * program):
 *   tt_bind(s, "name", ep, size)   binds s to inproc://name,
 *                                  tcp://127.0.0.1:* or
 *                                  ipc://@zmqt-<pid>-name
 *                                  and writes the endpoint to connect to
 *                                  (ZMQ_LAST_ENDPOINT) into ep;
 *   tt_fixed_ep("name", ep, size)  a concrete endpoint usable before
 *                                  anything is bound (connect first, bind
 *                                  later): over tcp an explicit port that
 *                                  the kernel just reported free.
 *
 * Over tcp and ipc a connection completes some time after zmq_connect,
 * in the I/O thread.  Where a body needs every connection up (a binder
 * round-robining to several peers, fairness between several senders) it
 * waits for the ZMTP handshakes: tt_monitor() before connecting, then
 * tt_await_handshakes().  Over inproc both are no-ops, as a connection is
 * there when zmq_connect returns.
 *
 * tt_zmtp_connect/_send/_recv speak ZMTP 3.1 (NULL mechanism) over a
 * plain tcp or ipc socket, as a peer of any claimed type, for what no
 * libzmq socket would send (a multipart message to a PEER, say).
 *
 * Cases that exercise inproc semantics only (socket types inproc does
 * not check, high-water marks that inproc adds up, what is queued "now")
 * start with `if (tt_inproc_only("why")) return;`, which reports the case
 * as skipped over the other transports.
 */
#ifndef ZMQ_TESTUTIL_TRANSPORT_H
#define ZMQ_TESTUTIL_TRANSPORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil_sys.h"

enum tt_transport { TT_INPROC, TT_TCP, TT_IPC };

static enum tt_transport tt_transport_ = TT_INPROC;
static const char *const tt_names_[] = {"inproc", "tcp", "ipc"};

static inline const char *tt_name(void)
{
    return tt_names_[tt_transport_];
}

static inline bool tt_is_inproc(void)
{
    return tt_transport_ == TT_INPROC;
}

/* Reads the transport from argv[1] or ZMQ_TEST_TRANSPORT; 0 or -1. */
static inline int tt_init(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : getenv("ZMQ_TEST_TRANSPORT");
    if (name == NULL || *name == '\0')
        name = "inproc";
    for (size_t i = 0; i < sizeof tt_names_ / sizeof tt_names_[0]; i++) {
        if (strcmp(name, tt_names_[i]) == 0) {
            tt_transport_ = (enum tt_transport)i;
            printf("transport: %s\n", name);
            fflush(stdout);
            return 0;
        }
    }
    fprintf(stderr, "unknown transport \"%s\" (inproc, tcp or ipc)\n", name);
    return -1;
}

#undef TEST_MAIN
#define TEST_MAIN(...)                                                         \
    int main(int argc, char **argv)                                            \
    {                                                                          \
        static const struct test_case cases_[] = {__VA_ARGS__};                \
        if (tt_init(argc, argv) != 0)                                          \
            return 2;                                                          \
        return test_run_all(cases_, sizeof cases_ / sizeof cases_[0]);         \
    }

/* 1 (and a note on stdout) when the running case must be skipped
 * because the transport is not inproc; why says what inproc-only
 * behaviour the case checks. */
static inline int tt_inproc_only(const char *why)
{
    if (tt_is_inproc())
        return 0;
    printf("  skipped over %s (inproc only: %s)\n", tt_name(), why);
    return 1;
}

/* The endpoint to bind for the place `name`. */
static inline void tt_bind_ep(const char *name, char *ep, size_t size)
{
    switch (tt_transport_) {
    case TT_INPROC:
        snprintf(ep, size, "inproc://%s", name);
        break;
    case TT_TCP:
        snprintf(ep, size, "tcp://127.0.0.1:*");
        break;
    case TT_IPC:
        snprintf(ep, size, "ipc://@zmqt-%ld-%s", (long)getpid(), name);
        break;
    }
}

/* Binds sock for the place `name` and writes the endpoint to connect to
 * into connect_ep.  0, or -1 with errno. */
static inline int tt_bind(void *sock, const char *name, char *connect_ep,
                          size_t size)
{
    char ep[256];
    tt_bind_ep(name, ep, sizeof ep);
    if (zmq_bind(sock, ep) != 0)
        return -1;
    size_t len = size;
    return zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, connect_ep, &len);
}

/* A concrete endpoint for the place `name`, the same for zmq_bind and
 * zmq_connect, for bodies that connect before they bind.  0, or -1. */
static inline int tt_fixed_ep(const char *name, char *ep, size_t size)
{
    if (tt_transport_ != TT_TCP) {
        tt_bind_ep(name, ep, size);
        return 0;
    }
    return test_free_tcp_ep(ep, size) > 0 ? 0 : -1;
}

/* Starts watching sock's ZMTP handshakes (call before its connects or
 * binds).  Returns the socket to give tt_await_handshakes, or NULL over
 * inproc, where there is nothing to wait for. */
static inline void *tt_monitor(void *ctx, void *sock)
{
    static int seq;
    if (tt_is_inproc())
        return NULL;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://tt-monitor-%d", ++seq);
    if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) != 0)
        return NULL;
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    if (mon == NULL)
        return NULL;
    int linger = 0;
    zmq_setsockopt(mon, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(mon, ep) != 0) {
        zmq_close(mon);
        return NULL;
    }
    return mon;
}

/* Waits up to timeout_ms for n more handshakes on the monitored socket.
 * 1 when they came (at once over inproc, mon NULL). */
static inline int tt_await_handshakes(void *mon, int n, int timeout_ms)
{
    if (tt_is_inproc())
        return 1;
    if (mon == NULL)
        return 0;
    zmq_setsockopt(mon, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    for (int got = 0; got < n;) {
        unsigned char head[6];
        char addr[256];
        if (zmq_recv(mon, head, sizeof head, 0) != (int)sizeof head)
            return 0;
        if (zmq_recv(mon, addr, sizeof addr, 0) < 0)
            return 0;
        uint16_t event;
        memcpy(&event, head, sizeof event);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            got++;
    }
    return 1;
}

/* Stops watching sock and closes the monitor socket (NULL is fine). */
static inline void tt_monitor_stop(void *sock, void *mon)
{
    if (mon == NULL)
        return;
    zmq_socket_monitor(sock, NULL, 0);
    zmq_close(mon);
}

/* ------------------------------------------------------------------------ */
/* A raw ZMTP 3.1 peer (NULL mechanism) over tcp or ipc, for what no       */
/* libzmq socket sends, such as a multipart message to a PEER or CHANNEL.  */
/* ------------------------------------------------------------------------ */

static inline int tt_io_full(int fd, void *buf, size_t n, bool writing)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Sends one frame: a command (flag 0x04) or a message part. */
static inline int tt_zmtp_frame(int fd, unsigned flags, const void *data,
                                size_t size)
{
    unsigned char head[9];
    size_t hn;
    if (size < 256) {
        head[0] = (unsigned char)flags;
        head[1] = (unsigned char)size;
        hn = 2;
    } else {
        head[0] = (unsigned char)(flags | 0x02);
        for (int i = 0; i < 8; i++)
            head[1 + i] = (unsigned char)((uint64_t)size >> (56 - 8 * i));
        hn = 9;
    }
    if (tt_io_full(fd, head, hn, true) != 0)
        return -1;
    return size == 0 ? 0 : tt_io_full(fd, (void *)(uintptr_t)data, size, true);
}

/* Reads one frame into buf (truncated to cap); its size or -1.  *flags
 * gets its flags byte (0x01 MORE, 0x04 command). */
static inline long tt_zmtp_read_frame(int fd, void *buf, size_t cap,
                                      unsigned *flags)
{
    unsigned char head[9];
    if (tt_io_full(fd, head, 2, false) != 0)
        return -1;
    uint64_t size = head[1];
    if (head[0] & 0x02) {
        if (tt_io_full(fd, head + 2, 7, false) != 0)
            return -1;
        size = 0;
        for (int i = 1; i < 9; i++)
            size = size << 8 | head[i];
    }
    *flags = head[0];
    unsigned char *p = buf;
    for (uint64_t off = 0; off < size;) {
        unsigned char junk[256];
        unsigned char *dst = off < cap ? p + off : junk;
        uint64_t n = off < cap ? cap - off : sizeof junk;
        if (n > size - off)
            n = size - off;
        if (tt_io_full(fd, dst, (size_t)n, false) != 0)
            return -1;
        off += n;
    }
    return (long)size;
}

/* Connects to ep (tcp://host:port or ipc://path, ipc://@abstract), does
 * the ZMTP 3.1 NULL handshake announcing socket_type, and returns the
 * connected descriptor (reads time out after 5 s), or -1. */
static inline int tt_zmtp_connect(const char *ep, const char *socket_type)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (strncmp(ep, "tcp://", 6) == 0) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        unsigned a, b, c, d, port;
        if (sscanf(ep + 6, "%u.%u.%u.%u:%u", &a, &b, &c, &d, &port) != 5)
            return -1;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(a << 24 | b << 16 | c << 8 | d);
        in->sin_port = htons((uint16_t)port);
        len = sizeof *in;
    } else if (strncmp(ep, "ipc://", 6) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)&ss;
        const char *path = ep + 6;
        size_t n = strlen(path);
        if (n >= sizeof un->sun_path)
            return -1;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, n);
        if (path[0] == '@')
            un->sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                          (path[0] == '@' ? 0 : 1));
    } else {
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    /* Signature, version 3.1, mechanism NULL, as-server 0, filler. */
    unsigned char greeting[64];
    memset(greeting, 0, sizeof greeting);
    greeting[0] = 0xff;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[11] = 1;
    memcpy(greeting + 12, "NULL", 4);
    unsigned char peer[64];
    unsigned char ready[64];
    size_t tn = strlen(socket_type);
    size_t rn = 0;
    if (tn > 32)
        goto fail;
    ready[rn++] = 5;
    memcpy(ready + rn, "READY", 5);
    rn += 5;
    ready[rn++] = 11;
    memcpy(ready + rn, "Socket-Type", 11);
    rn += 11;
    ready[rn++] = 0;
    ready[rn++] = 0;
    ready[rn++] = 0;
    ready[rn++] = (unsigned char)tn;
    memcpy(ready + rn, socket_type, tn);
    rn += tn;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0 ||
        tt_io_full(fd, greeting, sizeof greeting, true) != 0 ||
        tt_io_full(fd, peer, sizeof peer, false) != 0 || peer[0] != 0xff ||
        peer[9] != 0x7f || peer[10] < 3 ||
        tt_zmtp_frame(fd, 0x04, ready, rn) != 0)
        goto fail;
    unsigned flags = 0;
    unsigned char cmd[256];
    long n = tt_zmtp_read_frame(fd, cmd, sizeof cmd, &flags);
    if (n < 6 || !(flags & 0x04) || memcmp(cmd, "\5READY", 6) != 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* Sends a message part (more: another part follows). */
static inline int tt_zmtp_send(int fd, const void *data, size_t size, bool more)
{
    return tt_zmtp_frame(fd, more ? 0x01 : 0x00, data, size);
}

/* Receives the next message part (commands are skipped); its size or -1.
 * *more tells whether another part follows. */
static inline long tt_zmtp_recv(int fd, void *buf, size_t cap, bool *more)
{
    for (;;) {
        unsigned flags = 0;
        long n = tt_zmtp_read_frame(fd, buf, cap, &flags);
        if (n < 0 || !(flags & 0x04)) {
            *more = n >= 0 && (flags & 0x01);
            return n;
        }
    }
}

#endif
