/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the tcp transport: wildcard and explicit binds,
 * endpoint errors, IPv6, connect before bind, unbind and disconnect,
 * message sizes and multipart, PEER with zmq_connect_peer across a
 * server restart, the monitor events of a connection's life, the
 * handshake timeout, heartbeats (with a hand-driven ZMTP 3.1 peer that
 * never answers), ZMQ_MAXMSGSIZE, and descriptor leaks over many
 * connect/disconnect cycles.
 *
 * Waits are bounded: sockets from new_socket time out after TIMEOUT_MS,
 * monitor events are awaited with a deadline, and the raw sockets of the
 * wire tests are read through poll() with a timeout.  The only fixed
 * sleep is the idle period of the heartbeat test, which is what that
 * test is about.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <arpa/inet.h>
#include <asm/socket.h> /* SO_BUSY_POLL, hidden by _POSIX_C_SOURCE */
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_sys.h"

/* The longest any single blocking call in this file may wait. */
#define TIMEOUT_MS 5000

#include "testutil_socket.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* The port of "<prefix><port>", or -1 if ep has another shape. */
static int port_of(const char *ep, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(ep, prefix, n) != 0)
        return -1;
    const char *p = ep + n;
    if (*p == '\0')
        return -1;
    long port = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        port = port * 10 + (*p - '0');
        if (port > 65535)
            return -1;
    }
    return (int)port;
}

/* A blocking TCP connection to 127.0.0.1:port; the fd, or -1 (errno). */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* Reads what is there (at most n bytes), waiting up to timeout_ms.
 * Returns the count, 0 at end of stream, -1 on error (errno; a reset is
 * reported as ECONNRESET) and -2 on timeout. */
static int raw_read(int fd, void *buf, size_t n, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, timeout_ms);
    if (rc == 0)
        return -2;
    if (rc < 0)
        return -1;
    ssize_t got = read(fd, buf, n);
    return got < 0 ? -1 : (int)got;
}

/* Reads exactly n bytes before the deadline; 0 or -1. */
static int raw_read_exact(int fd, void *buf, size_t n, long long deadline)
{
    size_t have = 0;
    while (have < n) {
        long long left = deadline - test_now_ms();
        if (left <= 0)
            return -1;
        int rc = raw_read(fd, (char *)buf + have, n - have, (int)left);
        if (rc <= 0)
            return -1;
        have += (size_t)rc;
    }
    return 0;
}

/* Reads and discards until end of stream.  Returns 1 if the stream ended
 * (EOF or reset) before the deadline, 0 otherwise; *total counts the
 * bytes discarded. */
static int raw_drain_until_closed(int fd, long long deadline, size_t *total,
                                  unsigned char *first, size_t first_cap)
{
    unsigned char buf[512];
    for (;;) {
        long long left = deadline - test_now_ms();
        if (left <= 0)
            return 0;
        int rc = raw_read(fd, buf, sizeof buf, (int)left);
        if (rc == 0 || (rc == -1 && errno == ECONNRESET))
            return 1;
        if (rc < 0)
            return 0;
        if (first != NULL && *total < first_cap) {
            size_t n = first_cap - *total;
            memcpy(first + *total, buf, (size_t)rc < n ? (size_t)rc : n);
        }
        *total += (size_t)rc;
    }
}

/* Sends and receives one text message, checking it arrives intact. */
static void check_flow(void *from, void *to, const char *text)
{
    size_t len = strlen(text);
    CHECK_EQ(zmq_send(from, text, len, 0), (int)len);
    char buf[256];
    int rc = zmq_recv(to, buf, sizeof buf - 1, 0);
    CHECK_EQ(rc, (int)len);
    if (rc == (int)len) {
        buf[rc] = '\0';
        CHECK(strcmp(buf, text) == 0);
    }
}

/* --- monitor --------------------------------------------------------- */

/* Starts a version 1 monitor of every event of s on inproc://name and
 * returns the PAIR that receives them. */
static void *monitor_open(void *ctx, void *s, const char *name)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://%s", name);
    int rc = zmq_socket_monitor(s, ep, ZMQ_EVENT_ALL);
    CHECK_EQ(rc, 0);
    void *m = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(m != NULL);
    if (m == NULL)
        return NULL;
    set_int(m, ZMQ_LINGER, 0);
    rc = zmq_connect(m, ep);
    CHECK_EQ(rc, 0);
    return m;
}

/* The next event within timeout_ms: its number, or -1 when none came.
 * value and ep (the endpoint, NUL-terminated) may be NULL. */
static int monitor_next(void *m, int timeout_ms, uint32_t *value, char *ep,
                        size_t eplen)
{
    set_int(m, ZMQ_RCVTIMEO, timeout_ms < 0 ? 0 : timeout_ms);
    unsigned char head[6];
    int rc = zmq_recv(m, head, sizeof head, 0);
    if (rc < 0)
        return -1;
    CHECK_EQ(rc, 6);
    int more = 0;
    size_t sz = sizeof more;
    zmq_getsockopt(m, ZMQ_RCVMORE, &more, &sz);
    CHECK_EQ(more, 1);
    uint16_t event;
    uint32_t v;
    memcpy(&event, head, 2);
    memcpy(&v, head + 2, 4);
    char buf[256];
    set_int(m, ZMQ_RCVTIMEO, TIMEOUT_MS);
    rc = zmq_recv(m, buf, sizeof buf - 1, 0);
    CHECK(rc >= 0);
    if (rc < 0)
        rc = 0;
    if (rc > (int)sizeof buf - 1)
        rc = (int)sizeof buf - 1;
    buf[rc] = '\0';
    if (value != NULL)
        *value = v;
    if (ep != NULL && eplen > 0)
        snprintf(ep, eplen, "%s", buf);
    return event;
}

/* Reads events until `want` comes (returns 1) or timeout_ms passes
 * (returns 0).  Events read before it are stored in seen[] (up to cap,
 * count in *nseen) when seen is not NULL. */
static int monitor_wait(void *m, int want, int timeout_ms, uint32_t *value,
                        char *ep, size_t eplen, int *seen, int cap, int *nseen)
{
    long long deadline = test_now_ms() + timeout_ms;
    if (nseen != NULL)
        *nseen = 0;
    for (;;) {
        long long left = deadline - test_now_ms();
        if (left < 0)
            return 0;
        int ev = monitor_next(m, (int)left, value, ep, eplen);
        if (ev < 0)
            return 0;
        if (seen != NULL && *nseen < cap)
            seen[(*nseen)++] = ev;
        if (ev == want)
            return 1;
    }
}

/* Whether `event` is among the events queued on m right now. */
static int monitor_saw(void *m, int event)
{
    int found = 0, ev;
    while ((ev = monitor_next(m, 0, NULL, NULL, 0)) >= 0)
        if (ev == event)
            found = 1;
    return found;
}

/* ------------------------------------------------------------------------ */
/* 1. Binding, endpoints and their errors                                   */
/* ------------------------------------------------------------------------ */

static void bind_connect_flow(const char *bind_addr)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    char ep[256];
    CHECK_EQ(bind_ep(pull, bind_addr, ep, sizeof ep), 0);
    int port = port_of(ep, "tcp://127.0.0.1:");
    if (port <= 0)
        fprintf(stderr, "bind %s: LAST_ENDPOINT is \"%s\"\n", bind_addr, ep);
    CHECK(port > 0);
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "hello");
    check_flow(push, pull, "world");
    close_now(push);
    close_now(pull);
    term(ctx);
}

static void test_bind_wildcard_port(void)
{
    bind_connect_flow("tcp://127.0.0.1:*");
}

static void test_bind_port_zero(void)
{
    bind_connect_flow("tcp://127.0.0.1:0");
}

static void test_bind_in_use(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a = new_socket(ctx, ZMQ_PULL);
    void *b = new_socket(ctx, ZMQ_PULL);
    char ep[64];
    int port = test_free_tcp_ep(ep, sizeof ep);
    REQUIRE(port > 0);
    CHECK_EQ(zmq_bind(a, ep), 0);
    char last[256];
    size_t len = sizeof last;
    CHECK_EQ(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, last, &len), 0);
    CHECK(strcmp(last, ep) == 0);
    CHECK_ERR(zmq_bind(b, ep), -1, EADDRINUSE);
    /* The failed bind did not disturb the first one. */
    void *push = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, a, "still");
    close_now(push);
    close_now(a);
    close_now(b);
    term(ctx);
}

static void test_malformed_endpoints(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = new_socket(ctx, ZMQ_PUSH);
    static const char *const both[] = {"tcp://", "tcp://127.0.0.1",
                                       "tcp://127.0.0.1:abc",
                                       "tcp://127.0.0.1:70000"};
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        errno = 0;
        int rc = zmq_bind(s, both[i]);
        int err = errno;
        if (rc != -1 || err != EINVAL)
            fprintf(stderr, "bind \"%s\": rc %d errno %d\n", both[i], rc, err);
        CHECK(rc == -1 && err == EINVAL);
        errno = 0;
        rc = zmq_connect(s, both[i]);
        err = errno;
        if (rc != -1 || err != EINVAL)
            fprintf(stderr, "connect \"%s\": rc %d errno %d\n", both[i], rc,
                    err);
        CHECK(rc == -1 && err == EINVAL);
    }
    CHECK_ERR(zmq_connect(s, "tcp://:5555"), -1, EINVAL);
    CHECK_ERR(zmq_connect(s, "tcp://*:*"), -1, EINVAL);
    close_now(s);
    term(ctx);
}

static void test_unknown_interface(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = new_socket(ctx, ZMQ_PULL);
    CHECK_ERR(zmq_bind(s, "tcp://nosuchif0:5555"), -1, ENODEV);
    close_now(s);
    term(ctx);
}

/* Whether this machine can bind a TCP socket to ::1. */
static int have_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static void test_ipv6(void)
{
    if (!have_ipv6_loopback()) {
        printf("note: test_ipv6 skipped: no IPv6 loopback on this machine\n");
        return;
    }
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(pull, ZMQ_IPV6, 1);
    set_int(push, ZMQ_IPV6, 1);
    char ep[256];
    CHECK_EQ(bind_ep(pull, "tcp://[::1]:*", ep, sizeof ep), 0);
    int port = port_of(ep, "tcp://[::1]:");
    if (port <= 0)
        fprintf(stderr, "LAST_ENDPOINT is \"%s\"\n", ep);
    CHECK(port > 0);
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "over six");
    close_now(push);
    close_now(pull);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 2. Connect before bind                                                    */
/* ------------------------------------------------------------------------ */

static void test_connect_before_bind(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char ep[64];
    int port = test_free_tcp_ep(ep, sizeof ep);
    REQUIRE(port > 0);

    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_RECONNECT_IVL, 50);
    CHECK_EQ(zmq_connect(push, ep), 0);
    /* Queued on the pipe: no peer is needed to accept them. */
    for (int i = 0; i < 10; i++) {
        char text[16];
        int n = snprintf(text, sizeof text, "msg %d", i);
        CHECK_EQ(zmq_send(push, text, (size_t)n, ZMQ_DONTWAIT), n);
    }

    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    for (int i = 0; i < 10; i++) {
        char want[16], buf[32];
        snprintf(want, sizeof want, "msg %d", i);
        int rc = zmq_recv(pull, buf, sizeof buf - 1, 0);
        CHECK_EQ(rc, (int)strlen(want));
        if (rc < 0)
            break;
        buf[rc] = '\0';
        CHECK(strcmp(buf, want) == 0);
    }
    close_now(push);
    close_now(pull);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 3. Unbind and disconnect                                                  */
/* ------------------------------------------------------------------------ */

static void test_unbind(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *mon = monitor_open(ctx, pull, "unbind");
    char ep[256];
    CHECK_EQ(bind_ep(pull, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    int port = port_of(ep, "tcp://127.0.0.1:");
    CHECK(port > 0);

    CHECK_EQ(zmq_unbind(pull, ep), 0);
    CHECK_ERR(zmq_unbind(pull, ep), -1, ENOENT);
    CHECK_ERR(zmq_unbind(pull, "tcp://127.0.0.1:*"), -1, ENOENT);

    /* The listener closes on its I/O thread; its CLOSED event says when. */
    CHECK(monitor_wait(mon, ZMQ_EVENT_CLOSED, TIMEOUT_MS, NULL, NULL, 0, NULL,
                       0, NULL));
    if (port > 0) {
        int fd = raw_connect(port);
        int err = errno;
        CHECK(fd < 0);
        if (fd >= 0)
            close(fd);
        else
            CHECK_EQ(err, ECONNREFUSED);
    }

    void *push = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_connect(push, ep), 0);
    CHECK_EQ(zmq_send(push, "lost", 4, ZMQ_DONTWAIT), 4);
    set_int(pull, ZMQ_RCVTIMEO, 300);
    char buf[16];
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, 0), -1, EAGAIN);

    close_now(push);
    close_now(mon);
    close_now(pull);
    term(ctx);
}

static void test_disconnect(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    char ep[256];
    CHECK_EQ(bind_ep(pull, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "before");

    CHECK_EQ(zmq_disconnect(push, ep), 0);
    CHECK_ERR(zmq_disconnect(push, ep), -1, ENOENT);
    CHECK_ERR(zmq_disconnect(push, "tcp://127.0.0.1:1"), -1, ENOENT);
    /* The connection's pipe is gone: nothing to send to. */
    CHECK_ERR(zmq_send(push, "x", 1, ZMQ_DONTWAIT), -1, EAGAIN);

    /* Connecting again works. */
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "after");
    close_now(push);
    close_now(pull);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 4. Sizes and multipart                                                    */
/* ------------------------------------------------------------------------ */

static unsigned char pattern(size_t i, size_t size)
{
    return (unsigned char)((i * 7 + size * 13 + (i >> 8)) & 0xff);
}

/* ZMQ_BUSY_POLL sets SO_BUSY_POLL on both ends of a connection (seen
 * through the received message's ZMQ_SRCFD); raising it needs
 * CAP_NET_ADMIN, and without it the connection works without it. */
static void test_busy_poll(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a = new_socket(ctx, ZMQ_DEALER);
    void *b = new_socket(ctx, ZMQ_DEALER);
    set_int(a, ZMQ_BUSY_POLL, 50);
    set_int(b, ZMQ_BUSY_POLL, 50);
    char ep[256];
    CHECK_EQ(bind_ep(a, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(b, ep), 0);
    CHECK_EQ(zmq_send(b, "x", 1, 0), 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, a, 0), 1);
    int fd = zmq_msg_get(&m, ZMQ_SRCFD);
    CHECK(fd >= 0);
    int value = -1;
    socklen_t len = sizeof value;
    CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &value, &len), 0);
    CHECK_EQ(value, geteuid() == 0 ? 50 : 0);
    zmq_msg_close(&m);
    zmq_close(a);
    zmq_close(b);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ZMQ_OUT_BATCH_SIZE bounds the bytes gathered per write: the smallest
 * (clamped to the engine's minimum), an odd size and the default all
 * carry a stream of mixed sizes, whole and in order. */
static void test_out_batch_size(void)
{
    static const int batches[] = {1, 3000, 0};
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        void *ctx = zmq_ctx_new();
        REQUIRE(ctx != NULL);
        void *pull = new_socket(ctx, ZMQ_PULL);
        void *push = new_socket(ctx, ZMQ_PUSH);
        if (batches[b] > 0)
            set_int(push, ZMQ_OUT_BATCH_SIZE, batches[b]);
        char ep[256];
        CHECK_EQ(bind_ep(pull, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
        CHECK_EQ(zmq_connect(push, ep), 0);
        enum { N = 1500 }; /* within SNDHWM + RCVHWM: no reader needed */
        unsigned char buf[2000];
        for (int i = 0; i < N; i++) {
            size_t size = (size_t)(i * 7919) % 1500;
            for (size_t j = 0; j < size; j++)
                buf[j] = pattern(j + (size_t)i, size);
            CHECK_EQ(zmq_send(push, buf, size, 0), (int)size);
        }
        int bad = 0;
        for (int i = 0; i < N; i++) {
            size_t size = (size_t)(i * 7919) % 1500;
            int rc = zmq_recv(pull, buf, sizeof buf, 0);
            if (rc != (int)size) {
                bad++;
                continue;
            }
            for (size_t j = 0; j < size; j++)
                if (buf[j] != pattern(j + (size_t)i, size)) {
                    bad++;
                    break;
                }
        }
        CHECK_EQ(bad, 0);
        zmq_close(push);
        zmq_close(pull);
        CHECK_EQ(zmq_ctx_term(ctx), 0);
    }
}

static void test_sizes_and_multipart(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a = new_socket(ctx, ZMQ_DEALER);
    void *b = new_socket(ctx, ZMQ_DEALER);
    char ep[256];
    CHECK_EQ(bind_ep(a, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(b, ep), 0);

    static const size_t sizes[] = {0, 1, 255, 256, 65536, 4u << 20};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t size = sizes[k];
        zmq_msg_t m;
        CHECK_EQ(zmq_msg_init_size(&m, size), 0);
        unsigned char *d = zmq_msg_data(&m);
        for (size_t i = 0; i < size; i++)
            d[i] = pattern(i, size);
        CHECK_EQ(zmq_msg_send(&m, b, 0), (int)size);
        zmq_msg_close(&m);
    }
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t size = sizes[k];
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, a, 0);
        CHECK_EQ(rc, (int)size);
        if (rc == (int)size) {
            const unsigned char *d = zmq_msg_data(&m);
            size_t bad = size;
            for (size_t i = 0; i < size && bad == size; i++)
                if (d[i] != pattern(i, size))
                    bad = i;
            if (bad != size)
                fprintf(stderr, "size %zu: byte %zu differs\n", size, bad);
            CHECK(bad == size);
            CHECK_EQ(zmq_msg_more(&m), 0);
        }
        zmq_msg_close(&m);
    }

    /* Three parts, the middle one empty, in both directions. */
    void *pairs[2][2] = {{b, a}, {a, b}};
    for (int dir = 0; dir < 2; dir++) {
        void *from = pairs[dir][0], *to = pairs[dir][1];
        CHECK_EQ(zmq_send(from, "first", 5, ZMQ_SNDMORE), 5);
        CHECK_EQ(zmq_send(from, "", 0, ZMQ_SNDMORE), 0);
        CHECK_EQ(zmq_send(from, "third", 5, 0), 5);
        static const char *const want[] = {"first", "", "third"};
        for (int p = 0; p < 3; p++) {
            char buf[16];
            int rc = zmq_recv(to, buf, sizeof buf - 1, 0);
            CHECK_EQ(rc, (int)strlen(want[p]));
            if (rc >= 0) {
                buf[rc] = '\0';
                CHECK(strcmp(buf, want[p]) == 0);
            }
            int more = -1;
            size_t len = sizeof more;
            CHECK_EQ(zmq_getsockopt(to, ZMQ_RCVMORE, &more, &len), 0);
            CHECK_EQ(more, p < 2);
        }
    }
    close_now(b);
    close_now(a);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 5. PEER over tcp                                                          */
/* ------------------------------------------------------------------------ */

/* Binds s to ep, retrying while the port is still held by a socket that
 * is being closed (its listener closes on an I/O thread). */
static int bind_retry(void *s, const char *ep)
{
    long long deadline = test_now_ms() + TIMEOUT_MS;
    for (;;) {
        int rc = zmq_bind(s, ep);
        if (rc == 0 || errno != EADDRINUSE || test_now_ms() > deadline)
            return rc;
        test_sleep_ms(10);
    }
}

static void test_peer(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *server = new_socket(ctx, ZMQ_PEER);
    void *client = new_socket(ctx, ZMQ_PEER);
    set_int(client, ZMQ_RECONNECT_IVL, 50);
    char ep[256];
    CHECK_EQ(bind_ep(server, "tcp://127.0.0.1:*", ep, sizeof ep), 0);

    uint32_t id = zmq_connect_peer(client, ep);
    CHECK(id != 0);
    /* At once, before the connection can have completed. */
    CHECK_EQ(send_to(client, id, "hello", 0), 5);

    char buf[64];
    uint32_t s_id = 0;
    CHECK_EQ(recv_from(server, buf, sizeof buf, &s_id, 0), 5);
    CHECK(strcmp(buf, "hello") == 0);
    CHECK(s_id != 0);
    CHECK_EQ(send_to(server, s_id, "world", 0), 5);
    uint32_t from = 0;
    CHECK_EQ(recv_from(client, buf, sizeof buf, &from, 0), 5);
    CHECK(strcmp(buf, "world") == 0);
    CHECK_EQ(from, id);

    /* The server goes away and a new one takes its port. */
    close_now(server);
    void *server2 = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(bind_retry(server2, ep), 0);

    /* What the client sends before it notices the old connection died
     * may be lost with it; the id stays valid throughout. */
    set_int(server2, ZMQ_RCVTIMEO, 50);
    int got = -1;
    uint32_t s2_id = 0;
    long long deadline = test_now_ms() + TIMEOUT_MS;
    while (got < 0 && test_now_ms() < deadline) {
        int rc = send_to(client, id, "again", ZMQ_DONTWAIT);
        if (rc < 0) {
            CHECK_EQ(errno, EAGAIN);
            if (errno != EAGAIN)
                break;
        }
        got = recv_from(server2, buf, sizeof buf, &s2_id, 0);
    }
    CHECK_EQ(got, 5);
    if (got == 5) {
        CHECK(strcmp(buf, "again") == 0);
        CHECK(s2_id != 0);
        set_int(server2, ZMQ_RCVTIMEO, TIMEOUT_MS);
        CHECK_EQ(send_to(server2, s2_id, "back", 0), 4);
        from = 0;
        CHECK_EQ(recv_from(client, buf, sizeof buf, &from, 0), 4);
        CHECK(strcmp(buf, "back") == 0);
        CHECK_EQ(from, id);
    }
    close_now(client);
    close_now(server2);
    term(ctx);
}

static void test_connect_peer_errors(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *dealer = new_socket(ctx, ZMQ_DEALER);
    CHECK_ERR(zmq_connect_peer(dealer, "tcp://127.0.0.1:5555"), 0, ENOTSUP);
    void *peer = new_socket(ctx, ZMQ_PEER);
    CHECK_ERR(zmq_connect_peer(peer, "foo://127.0.0.1:5555"), 0,
              EPROTONOSUPPORT);
    CHECK_ERR(zmq_connect_peer(peer, "tcp://127.0.0.1"), 0, EINVAL);
    CHECK_ERR(zmq_connect_peer(peer, "tcp://127.0.0.1:abc"), 0, EINVAL);
    void *imm = new_socket(ctx, ZMQ_PEER);
    set_int(imm, ZMQ_IMMEDIATE, 1);
    CHECK_ERR(zmq_connect_peer(imm, "tcp://127.0.0.1:5555"), 0, EFAULT);
    close_now(dealer);
    close_now(peer);
    close_now(imm);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 6. Monitor events                                                         */
/* ------------------------------------------------------------------------ */

static void print_events(const char *who, const int *ev, int n)
{
    fprintf(stderr, "%s events:", who);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " 0x%x", ev[i]);
    fprintf(stderr, "\n");
}

static void test_monitor_connection(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *binder = new_socket(ctx, ZMQ_PAIR);
    void *connecter = new_socket(ctx, ZMQ_PAIR);
    void *bmon = monitor_open(ctx, binder, "mon-b");
    void *cmon = monitor_open(ctx, connecter, "mon-c");
    REQUIRE(bmon != NULL && cmon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(binder, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(connecter, ep), 0);

    /* Binding side: LISTENING, ACCEPTED, HANDSHAKE_SUCCEEDED. */
    int seen[16], n = 0;
    uint32_t value = 0;
    char evep[256];
    int ev = monitor_next(bmon, TIMEOUT_MS, &value, evep, sizeof evep);
    CHECK_EQ(ev, ZMQ_EVENT_LISTENING);
    CHECK(strcmp(evep, ep) == 0);
    ev = monitor_next(bmon, TIMEOUT_MS, &value, evep, sizeof evep);
    CHECK_EQ(ev, ZMQ_EVENT_ACCEPTED);
    CHECK(strcmp(evep, ep) == 0);
    ev = monitor_next(bmon, TIMEOUT_MS, &value, evep, sizeof evep);
    CHECK_EQ(ev, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
    CHECK_EQ(value, 0);
    CHECK(strcmp(evep, ep) == 0);

    /* Connecting side: [CONNECT_DELAYED] CONNECTED HANDSHAKE_SUCCEEDED. */
    CHECK(monitor_wait(cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, TIMEOUT_MS, &value,
                       evep, sizeof evep, seen, 16, &n));
    int ok = (n == 2 && seen[0] == ZMQ_EVENT_CONNECTED) ||
             (n == 3 && seen[0] == ZMQ_EVENT_CONNECT_DELAYED &&
              seen[1] == ZMQ_EVENT_CONNECTED);
    if (!ok)
        print_events("connecter", seen, n);
    CHECK(ok);
    CHECK(strcmp(evep, ep) == 0);
    check_flow(connecter, binder, "ping");
    check_flow(binder, connecter, "pong");

    /* The connecter goes: the binder sees the connection drop. */
    close_now(connecter);
    CHECK(monitor_wait(bmon, ZMQ_EVENT_DISCONNECTED, TIMEOUT_MS, &value, evep,
                       sizeof evep, seen, 16, &n));
    CHECK(strcmp(evep, ep) == 0);
    close_now(cmon);
    close_now(bmon);
    close_now(binder);
    term(ctx);
}

/* The binder goes away: the connecter sees DISCONNECTED, then retries. */
static void test_monitor_peer_closes(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *binder = new_socket(ctx, ZMQ_PAIR);
    void *connecter = new_socket(ctx, ZMQ_PAIR);
    set_int(connecter, ZMQ_RECONNECT_IVL, 50);
    void *cmon = monitor_open(ctx, connecter, "mon-c2");
    REQUIRE(cmon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(binder, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(connecter, ep), 0);
    check_flow(connecter, binder, "hi");
    CHECK(monitor_wait(cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, TIMEOUT_MS, NULL,
                       NULL, 0, NULL, 0, NULL));
    close_now(binder);
    char evep[256];
    CHECK(monitor_wait(cmon, ZMQ_EVENT_DISCONNECTED, TIMEOUT_MS, NULL, evep,
                       sizeof evep, NULL, 0, NULL));
    CHECK(strcmp(evep, ep) == 0);
    uint32_t value = 0;
    CHECK(monitor_wait(cmon, ZMQ_EVENT_CONNECT_RETRIED, TIMEOUT_MS, &value,
                       evep, sizeof evep, NULL, 0, NULL));
    CHECK(value > 0);
    close_now(cmon);
    close_now(connecter);
    term(ctx);
}

static void test_monitor_connect_retried(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char ep[64];
    int port = test_free_tcp_ep(ep, sizeof ep);
    REQUIRE(port > 0);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_RECONNECT_IVL, 50);
    void *mon = monitor_open(ctx, push, "mon-retry");
    REQUIRE(mon != NULL);
    CHECK_EQ(zmq_connect(push, ep), 0);
    uint32_t value = 0;
    char evep[256];
    CHECK(monitor_wait(mon, ZMQ_EVENT_CONNECT_RETRIED, TIMEOUT_MS, &value, evep,
                       sizeof evep, NULL, 0, NULL));
    CHECK(strcmp(evep, ep) == 0);
    CHECK(value > 0);
    /* And again: it keeps trying. */
    CHECK(monitor_wait(mon, ZMQ_EVENT_CONNECT_RETRIED, TIMEOUT_MS, &value, NULL,
                       0, NULL, 0, NULL));
    close_now(mon);
    close_now(push);
    term(ctx);
}

static void test_monitor_bind_failed(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a = new_socket(ctx, ZMQ_PULL);
    void *b = new_socket(ctx, ZMQ_PULL);
    void *mon = monitor_open(ctx, b, "mon-bindfail");
    REQUIRE(mon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(a, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_ERR(zmq_bind(b, ep), -1, EADDRINUSE);
    uint32_t value = 0;
    char evep[256];
    CHECK(monitor_wait(mon, ZMQ_EVENT_BIND_FAILED, TIMEOUT_MS, &value, evep,
                       sizeof evep, NULL, 0, NULL));
    CHECK_EQ(value, EADDRINUSE);
    /* libzmq names the address without its scheme here. */
    CHECK(strcmp(evep, ep) == 0 || strcmp(evep, ep + 6) == 0);
    close_now(mon);
    close_now(a);
    close_now(b);
    term(ctx);
}

static void test_monitor_unbind_closed(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = new_socket(ctx, ZMQ_PULL);
    void *mon = monitor_open(ctx, s, "mon-closed");
    REQUIRE(mon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(s, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    char evep[256];
    CHECK_EQ(monitor_next(mon, TIMEOUT_MS, NULL, evep, sizeof evep),
             ZMQ_EVENT_LISTENING);
    CHECK_EQ(zmq_unbind(s, ep), 0);
    int ev = monitor_next(mon, TIMEOUT_MS, NULL, evep, sizeof evep);
    CHECK_EQ(ev, ZMQ_EVENT_CLOSED);
    CHECK(strcmp(evep, ep) == 0);
    close_now(mon);
    close_now(s);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 7. Handshake timeout                                                      */
/* ------------------------------------------------------------------------ */

static void test_handshake_ivl(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    set_int(pull, ZMQ_HANDSHAKE_IVL, 200);
    void *mon = monitor_open(ctx, pull, "mon-hs");
    REQUIRE(mon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(pull, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    int port = port_of(ep, "tcp://127.0.0.1:");
    REQUIRE(port > 0);

    long long start = test_now_ms();
    int fd = raw_connect(port);
    REQUIRE(fd >= 0);
    unsigned char greeting[64];
    size_t total = 0;
    int closed = raw_drain_until_closed(fd, start + 2000, &total, greeting, 64);
    long long took = test_now_ms() - start;
    CHECK(closed);
    /* Our silence kept it at the signature, maybe a little more. */
    CHECK(total >= 10 && total <= 64);
    if (total >= 10) {
        CHECK_EQ(greeting[0], 0xff);
        CHECK_EQ(greeting[9], 0x7f);
    }
    /* Not before the interval. */
    CHECK(took >= 150);
    close(fd);

    int seen[16], n = 0;
    CHECK(monitor_wait(mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, TIMEOUT_MS,
                       NULL, NULL, 0, seen, 16, &n));
    CHECK(monitor_wait(mon, ZMQ_EVENT_DISCONNECTED, TIMEOUT_MS, NULL, NULL, 0,
                       NULL, 0, NULL));

    /* The socket still serves real clients. */
    void *push = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "after the silent one");
    close_now(push);
    close_now(mon);
    close_now(pull);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 8. Heartbeats                                                             */
/* ------------------------------------------------------------------------ */

static void test_heartbeat_keeps_alive(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a = new_socket(ctx, ZMQ_PAIR);
    void *b = new_socket(ctx, ZMQ_PAIR);
    void *s[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        set_int(s[i], ZMQ_HEARTBEAT_IVL, 50);
        set_int(s[i], ZMQ_HEARTBEAT_TIMEOUT, 200);
    }
    void *amon = monitor_open(ctx, a, "hb-a");
    void *bmon = monitor_open(ctx, b, "hb-b");
    REQUIRE(amon != NULL && bmon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(a, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(b, ep), 0);
    CHECK(monitor_wait(amon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, TIMEOUT_MS, NULL,
                       NULL, 0, NULL, 0, NULL));
    CHECK(monitor_wait(bmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, TIMEOUT_MS, NULL,
                       NULL, 0, NULL, 0, NULL));
    check_flow(b, a, "first");

    /* Idle for three heartbeat timeouts: the pings must keep it up. */
    test_sleep_ms(600);

    check_flow(b, a, "still there");
    check_flow(a, b, "and back");
    CHECK(!monitor_saw(amon, ZMQ_EVENT_DISCONNECTED));
    CHECK(!monitor_saw(bmon, ZMQ_EVENT_DISCONNECTED));
    close_now(amon);
    close_now(bmon);
    close_now(b);
    close_now(a);
    term(ctx);
}

/* Reads one ZMTP frame: its flags, and its body into body (size in
 * *len, truncated to cap).  0 or -1. */
static int read_frame(int fd, unsigned char *flags, unsigned char *body,
                      size_t cap, size_t *len, long long deadline)
{
    unsigned char head[9];
    if (raw_read_exact(fd, head, 2, deadline) < 0)
        return -1;
    *flags = head[0];
    uint64_t size = head[1];
    if (head[0] & 0x02) {
        if (raw_read_exact(fd, head + 2, 7, deadline) < 0)
            return -1;
        size = 0;
        for (int i = 1; i < 9; i++)
            size = (size << 8) | head[i];
    }
    *len = (size_t)size;
    unsigned char skip[256];
    uint64_t done = 0;
    while (done < size) {
        size_t want =
            size - done > sizeof skip ? sizeof skip : (size_t)(size - done);
        if (raw_read_exact(fd, skip, want, deadline) < 0)
            return -1;
        if (done < cap)
            memcpy(body + done, skip, cap - done < want ? cap - done : want);
        done += want;
    }
    return 0;
}

static void test_heartbeat_dead_peer(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pair = new_socket(ctx, ZMQ_PAIR);
    set_int(pair, ZMQ_HEARTBEAT_IVL, 50);
    set_int(pair, ZMQ_HEARTBEAT_TIMEOUT, 300);
    void *mon = monitor_open(ctx, pair, "hb-dead");
    REQUIRE(mon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(pair, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    int port = port_of(ep, "tcp://127.0.0.1:");
    REQUIRE(port > 0);
    int fd = raw_connect(port);
    REQUIRE(fd >= 0);
    long long deadline = test_now_ms() + TIMEOUT_MS;

    /* ZMTP 3.1 greeting, NULL mechanism, as client. */
    unsigned char greeting[64];
    memset(greeting, 0, sizeof greeting);
    greeting[0] = 0xff;
    greeting[8] = 1;
    greeting[9] = 0x7f;
    greeting[10] = 3;
    greeting[11] = 1;
    memcpy(greeting + 12, "NULL", 4);
    CHECK_EQ(test_write_all(fd, greeting, sizeof greeting), 0);
    unsigned char theirs[64];
    CHECK_EQ(raw_read_exact(fd, theirs, sizeof theirs, deadline), 0);
    CHECK_EQ(theirs[0], 0xff);
    CHECK_EQ(theirs[9], 0x7f);
    CHECK_EQ(theirs[10], 3);
    CHECK(memcmp(theirs + 12, "NULL", 5) == 0);

    static const unsigned char ready[] = {
        0x04, 26,  5,   'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e',
        't',  '-', 'T', 'y', 'p', 'e', 0,   0,   0,  4,   'P', 'A', 'I', 'R'};
    CHECK_EQ(test_write_all(fd, ready, sizeof ready), 0);

    unsigned char flags = 0, body[64];
    size_t len = 0;
    CHECK_EQ(read_frame(fd, &flags, body, sizeof body, &len, deadline), 0);
    CHECK_EQ(flags, 0x04);
    CHECK(len >= 6 && memcmp(body, "\x05READY", 6) == 0);
    CHECK(monitor_wait(mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, TIMEOUT_MS, NULL,
                       NULL, 0, NULL, 0, NULL));
    long long handshaken = test_now_ms();

    /* Pings come and go unanswered. */
    CHECK_EQ(read_frame(fd, &flags, body, sizeof body, &len, deadline), 0);
    CHECK_EQ(flags, 0x04);
    CHECK(len >= 7 && memcmp(body, "\x04PING", 5) == 0);

    /* Then the connection is dropped; what comes before is more pings. */
    int pings = 1, closed = 0;
    while (!closed && test_now_ms() < deadline) {
        int rc = read_frame(fd, &flags, body, sizeof body, &len, deadline);
        if (rc < 0) {
            unsigned char c;
            int r = raw_read(fd, &c, 1, 0);
            closed = r == 0 || (r == -1 && errno == ECONNRESET);
            break;
        }
        CHECK(flags == 0x04 && len >= 5 && memcmp(body, "\x04PING", 5) == 0);
        pings++;
    }
    long long dropped = test_now_ms();
    CHECK(closed);
    CHECK(dropped - handshaken >= 250);
    CHECK(dropped - handshaken < 3000);
    CHECK(pings >= 1);
    CHECK(monitor_wait(mon, ZMQ_EVENT_DISCONNECTED, TIMEOUT_MS, NULL, NULL, 0,
                       NULL, 0, NULL));
    close(fd);
    close_now(mon);
    close_now(pair);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 9. ZMQ_MAXMSGSIZE                                                         */
/* ------------------------------------------------------------------------ */

static void test_maxmsgsize(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    int64_t max = 100;
    CHECK_EQ(zmq_setsockopt(pull, ZMQ_MAXMSGSIZE, &max, sizeof max), 0);
    void *mon = monitor_open(ctx, pull, "maxmsg");
    REQUIRE(mon != NULL);
    char ep[256];
    CHECK_EQ(bind_ep(pull, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    void *push = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_connect(push, ep), 0);

    char big[101];
    memset(big, 'm', sizeof big);
    CHECK_EQ(zmq_send(push, big, 100, 0), 100);
    char buf[128];
    CHECK_EQ(zmq_recv(pull, buf, sizeof buf, 0), 100);
    CHECK(!monitor_saw(mon, ZMQ_EVENT_DISCONNECTED));

    CHECK_EQ(zmq_send(push, big, 101, 0), 101);
    CHECK(monitor_wait(mon, ZMQ_EVENT_DISCONNECTED, TIMEOUT_MS, NULL, NULL, 0,
                       NULL, 0, NULL));
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    close_now(push);
    close_now(mon);
    close_now(pull);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 10. Descriptor leaks over many cycles                                     */
/* ------------------------------------------------------------------------ */

/* Waits until at most `limit` descriptors are open, draining pull and
 * asking push for its ZMQ_EVENTS meanwhile: a connection ends once both
 * sockets have acted on its end.  The final count. */
static int await_fds(int limit, void *pull, void *push)
{
    long long deadline = test_now_ms() + TIMEOUT_MS;
    int n = test_count_fds();
    while (n > limit && test_now_ms() < deadline) {
        char c;
        while (zmq_recv(pull, &c, 1, ZMQ_DONTWAIT) >= 0)
            ;
        int events;
        size_t len = sizeof events;
        zmq_getsockopt(push, ZMQ_EVENTS, &events, &len);
        test_sleep_ms(10);
        n = test_count_fds();
    }
    return n;
}

static void test_fd_leaks(void)
{
    int before = test_count_fds();
    REQUIRE(before > 0);
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    char ep[256];
    CHECK_EQ(bind_ep(pull, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_LINGER, 0);
    int base = test_count_fds();
    /* One full connection first: the cycles below may end before their
     * connections complete. */
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "warm up");
    CHECK_EQ(zmq_disconnect(push, ep), 0);

    int failures = 0;
    for (int i = 0; i < 1000 && failures < 5; i++) {
        if (zmq_connect(push, ep) != 0 ||
            zmq_send(push, "x", 1, ZMQ_DONTWAIT) != 1 ||
            zmq_disconnect(push, ep) != 0) {
            fprintf(stderr, "cycle %d: errno %d\n", i, errno);
            failures++;
        }
    }
    CHECK_EQ(failures, 0);
    int after = await_fds(base + 3, pull, push);
    if (after > base + 3)
        fprintf(stderr, "connect/disconnect: %d fds, baseline %d\n", after,
                base);
    CHECK(after <= base + 3);

    failures = 0;
    for (int i = 0; i < 200 && failures < 5; i++) {
        void *s = zmq_socket(ctx, ZMQ_PUSH);
        if (s == NULL || zmq_connect(s, ep) != 0) {
            fprintf(stderr, "socket cycle %d: errno %d\n", i, errno);
            failures++;
        }
        if (s != NULL)
            close_now(s);
    }
    CHECK_EQ(failures, 0);
    after = await_fds(base + 3, pull, push);
    if (after > base + 3)
        fprintf(stderr, "socket cycles: %d fds, baseline %d\n", after, base);
    CHECK(after <= base + 3);

    close_now(push);
    close_now(pull);
    term(ctx);
    int end = test_count_fds();
    if (end > before)
        fprintf(stderr, "after zmq_ctx_term: %d fds, before %d\n", end, before);
    CHECK(end <= before);
}

/* As libzmq: DEALER, REQ, SUB and PUB connect to one endpoint once; a
 * second zmq_connect to it returns 0 and makes no second connection.
 * (PUSH, by contrast, makes one per call.) */
static void test_single_connect(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *router = new_socket(ctx, ZMQ_ROUTER);
    void *dealer = new_socket(ctx, ZMQ_DEALER);
    char ep[256];
    CHECK_EQ(bind_ep(router, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(zmq_connect(dealer, ep), 0);
    /* Three messages round-robin over the dealer's connections: one
     * connection means one routing id on all three. */
    unsigned char first[256];
    int first_len = -1;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(zmq_send(dealer, "x", 1, 0), 1);
        unsigned char id[256];
        int n = zmq_recv(router, id, sizeof id, 0);
        REQUIRE(n > 0);
        char body[8];
        CHECK_EQ(zmq_recv(router, body, sizeof body, 0), 1);
        if (first_len < 0) {
            first_len = n;
            memcpy(first, id, (size_t)n);
        } else {
            CHECK(n == first_len && memcmp(first, id, (size_t)n) == 0);
        }
    }
    /* One disconnect ends it. */
    CHECK_EQ(zmq_disconnect(dealer, ep), 0);
    CHECK_ERR(zmq_disconnect(dealer, ep), -1, ENOENT);
    close_now(dealer);
    close_now(router);
    term(ctx);
}

/* ZMQ_IMMEDIATE: no queue before the connection is up (a send finds no
 * peer: EAGAIN), and messages flow once it is. */
static void test_immediate(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char ep[64];
    int port = test_free_tcp_ep(ep, sizeof ep);
    REQUIRE(port > 0);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_IMMEDIATE, 1);
    set_int(push, ZMQ_RECONNECT_IVL, 20);
    CHECK_EQ(zmq_connect(push, ep), 0);
    CHECK_ERR(zmq_send(push, "early", 5, ZMQ_DONTWAIT), -1, EAGAIN);

    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    /* The pipe comes with the handshake; a blocking send waits for it. */
    CHECK_EQ(zmq_send(push, "late", 4, 0), 4);
    char buf[16];
    CHECK_EQ(zmq_recv(pull, buf, sizeof buf, 0), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    close_now(push);
    close_now(pull);
    term(ctx);
}

/* ZMQ_RECONNECT_STOP_CONN_REFUSED: a refused connect is not retried. */
static void test_reconnect_stop_refused(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char ep[64];
    int port = test_free_tcp_ep(ep, sizeof ep);
    REQUIRE(port > 0);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_RECONNECT_IVL, 20);
    set_int(push, ZMQ_RECONNECT_STOP, ZMQ_RECONNECT_STOP_CONN_REFUSED);
    void *mon = monitor_open(ctx, push, "mon-stop");
    REQUIRE(mon != NULL);
    CHECK_EQ(zmq_connect(push, ep), 0);
    /* The attempt is made (CONNECT_DELAYED or at once refused), and then
     * nothing: no CONNECT_RETRIED within ten intervals. */
    CHECK(!monitor_wait(mon, ZMQ_EVENT_CONNECT_RETRIED, 200, NULL, NULL, 0,
                        NULL, 0, NULL));
    /* Without the flag it retries (the control case). */
    void *push2 = new_socket(ctx, ZMQ_PUSH);
    set_int(push2, ZMQ_RECONNECT_IVL, 20);
    void *mon2 = monitor_open(ctx, push2, "mon-nostop");
    REQUIRE(mon2 != NULL);
    CHECK_EQ(zmq_connect(push2, ep), 0);
    CHECK(monitor_wait(mon2, ZMQ_EVENT_CONNECT_RETRIED, TIMEOUT_MS, NULL, NULL,
                       0, NULL, 0, NULL));
    close_now(mon);
    close_now(mon2);
    close_now(push);
    close_now(push2);
    term(ctx);
}

TEST_MAIN(TEST(test_bind_wildcard_port), TEST(test_bind_port_zero),
          TEST(test_single_connect), TEST(test_immediate),
          TEST(test_reconnect_stop_refused), TEST(test_bind_in_use),
          TEST(test_malformed_endpoints), TEST(test_unknown_interface),
          TEST(test_ipv6), TEST(test_connect_before_bind), TEST(test_unbind),
          TEST(test_disconnect), TEST(test_sizes_and_multipart),
          TEST(test_out_batch_size), TEST(test_busy_poll), TEST(test_peer),
          TEST(test_connect_peer_errors), TEST(test_monitor_connection),
          TEST(test_monitor_peer_closes), TEST(test_monitor_connect_retried),
          TEST(test_monitor_bind_failed), TEST(test_monitor_unbind_closed),
          TEST(test_handshake_ivl), TEST(test_heartbeat_keeps_alive),
          TEST(test_heartbeat_dead_peer), TEST(test_maxmsgsize),
          TEST(test_fd_leaks))
