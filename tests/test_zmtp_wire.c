/* SPDX-License-Identifier: MPL-2.0 */
/*
 * ZMTP on the wire, seen from a raw TCP peer that the test plays itself:
 * the staged greeting libzmq sends, NULL handshake and READY bytes,
 * 3.x / 2.0 / 1.0 framing in both directions, SUBSCRIBE / CANCEL in the
 * 3.1 command form and the 3.0 message form, PING / PONG with context
 * and TTL, and robustness against bad peers: each bad connection must be
 * closed on its own, reported on the monitor, and leave the socket
 * working for the next, well-behaved peer.
 *
 * Reference bytes are libzmq 4.3's (captured, see libzmq-facts.md 5).
 * Where libzmq 4.3 itself reports differently, a comment says so.
 *
 * Raw sockets are blocking with 3 s send/receive timeouts, so nothing
 * can hang.  The fuzz test prints its seed; set ZMTP_FUZZ_SEED to
 * replay one.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_sys.h"
#define TIMEOUT_MS 3000
#include "testutil_socket.h"

/* test_huge_frames makes the library ask malloc for 2^62 bytes on a
 * peer's word; that must fail and close the connection (libzmq 4.3 does
 * the same).  AddressSanitizer would abort on such a request instead of
 * returning NULL, so it is told to return NULL; its other checks stay. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* A library hang (a connection that never closes, a zmq_ctx_term that
 * never returns) ends the program with a message instead of leaving it to
 * ctest's timeout; results so far are printed line by line. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_zmtp_wire: timed out after 50 s: the "
                              "test after the last one listed hung\n";
    ssize_t rc = write(2, msg, sizeof msg - 1);
    (void)rc;
    _exit(1);
}

__attribute__((constructor)) static void watchdog(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGALRM, on_alarm);
    alarm(50);
}

/* ------------------------------------------------------------------------ */
/* Raw sockets                                                               */
/* ------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void raw_options(int fd)
{
    struct timeval tv = {TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static int port_of(const char *ep)
{
    const char *colon = strrchr(ep, ':');
    return colon != NULL ? atoi(colon + 1) : -1;
}

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    raw_options(fd);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A listening socket on 127.0.0.1 and an ephemeral port. */
static int raw_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int raw_accept(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, TIMEOUT_MS) != 1)
        return -1;
    int fd = accept(lfd, NULL, NULL);
    if (fd >= 0)
        raw_options(fd);
    return fd;
}

static bool send_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

#define SEND_LIT(fd, lit) send_all((fd), (lit), sizeof(lit) - 1)

/* Reads exactly n bytes: false on end of stream, error or timeout. */
static bool read_exact(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return false;
        }
        p += r;
        n -= (size_t)r;
    }
    return true;
}

/* True when nothing arrives (and the peer does not close) for ms. */
static bool quiet(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 0;
}

/* True when the peer closes the connection (end of stream or reset)
 * within ms; bytes before that are read and dropped. */
static bool expect_closed(int fd, int ms)
{
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return false;
        unsigned char buf[4096];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return true;
        if (r < 0 && errno != EINTR && errno != EAGAIN)
            return false;
    }
}

static void dump(const char *what, const unsigned char *p, size_t n)
{
    fprintf(stderr, "  %s (%zu bytes):", what, n);
    for (size_t i = 0; i < n && i < 96; i++)
        fprintf(stderr, " %02x", p[i]);
    fprintf(stderr, n > 96 ? " ...\n" : "\n");
}

/* Reads n bytes and compares them with want, showing both if they
 * differ. */
static bool expect_bytes_(int fd, const void *want, size_t n, int line)
{
    unsigned char *got = malloc(n > 0 ? n : 1);
    if (got == NULL)
        return false;
    bool ok = read_exact(fd, got, n);
    if (!ok)
        fprintf(stderr, "%s:%d: wanted %zu bytes, read failed (%s)\n", __FILE__,
                line, n, errno ? strerror(errno) : "closed");
    else if (memcmp(got, want, n) != 0) {
        fprintf(stderr, "%s:%d: bytes differ\n", __FILE__, line);
        dump("want", want, n);
        dump("got ", got, n);
        ok = false;
    }
    free(got);
    return ok;
}

#define EXPECT_BYTES(fd, want, n)                                              \
    CHECK(expect_bytes_((fd), (want), (n), __LINE__))
#define EXPECT_LIT(fd, lit) EXPECT_BYTES((fd), (lit), sizeof(lit) - 1)

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * (7 - i)));
}

/* ------------------------------------------------------------------------ */
/* ZMTP 3.x pieces                                                           */
/* ------------------------------------------------------------------------ */

static const unsigned char sig_no_id[10] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f};

/* A 64-byte 3.x greeting. */
static void make_greeting(unsigned char g[64], const char *mech,
                          unsigned char minor)
{
    memset(g, 0, 64);
    memcpy(g, sig_no_id, 10);
    g[10] = 3;
    g[11] = minor;
    memcpy(g + 12, mech, strlen(mech));
}

static size_t add_prop(unsigned char *p, const char *name, const void *value,
                       size_t vlen)
{
    size_t nlen = strlen(name);
    p[0] = (unsigned char)nlen;
    memcpy(p + 1, name, nlen);
    p[1 + nlen] = (unsigned char)(vlen >> 24);
    p[2 + nlen] = (unsigned char)(vlen >> 16);
    p[3 + nlen] = (unsigned char)(vlen >> 8);
    p[4 + nlen] = (unsigned char)vlen;
    memcpy(p + 5 + nlen, value, vlen);
    return 5 + nlen + vlen;
}

/* A READY command frame with Socket-Type `type`, then `extra` raw
 * metadata bytes.  Returns the frame's length. */
static size_t make_ready(unsigned char *buf, const char *type,
                         const void *extra, size_t extra_len)
{
    unsigned char *p = buf + 2;
    memcpy(p, "\x05READY", 6);
    p += 6;
    p += add_prop(p, "Socket-Type", type, strlen(type));
    if (extra_len > 0)
        memcpy(p, extra, extra_len);
    p += extra_len;
    buf[0] = 0x04;
    buf[1] = (unsigned char)(p - buf - 2);
    return (size_t)(p - buf);
}

/* Checks the 64-byte greeting of one of our sockets without routing id. */
static bool check_greeting_(int fd, int line)
{
    unsigned char want[64];
    make_greeting(want, "NULL", 1);
    return expect_bytes_(fd, want, 64, line);
}

/* Plays a 3.x NULL peer announcing `type` and `minor`: sends greeting and
 * READY at once, then checks our socket's greeting and READY (whose type
 * is `ours`; it has no Identity property).  Returns false on failure. */
static bool handshake_(int fd, const char *type, unsigned char minor,
                       const char *ours, int line)
{
    unsigned char g[64], ready[128];
    make_greeting(g, "NULL", minor);
    size_t n = make_ready(ready, type, NULL, 0);
    if (!send_all(fd, g, 64) || !send_all(fd, ready, n)) {
        fprintf(stderr, "%s:%d: sending the greeting failed\n", __FILE__, line);
        return false;
    }
    if (!check_greeting_(fd, line))
        return false;
    n = make_ready(ready, ours, NULL, 0);
    return expect_bytes_(fd, ready, n, line);
}

#define HANDSHAKE(fd, type, minor, ours)                                       \
    handshake_((fd), (type), (minor), (ours), __LINE__)

/* ------------------------------------------------------------------------ */
/* Our sockets                                                               */
/* ------------------------------------------------------------------------ */

static void *monitor_open(void *ctx, void *s, const char *addr)
{
    if (zmq_socket_monitor(s, addr, ZMQ_EVENT_ALL) != 0)
        return NULL;
    void *m = zmq_socket(ctx, ZMQ_PAIR);
    if (m == NULL)
        return NULL;
    set_int(m, ZMQ_LINGER, 0);
    if (zmq_connect(m, addr) != 0) {
        zmq_close(m);
        return NULL;
    }
    return m;
}

/* The next version 1 event, waiting at most ms. */
static bool monitor_next(void *m, int *event, uint32_t *value, int ms)
{
    set_int(m, ZMQ_RCVTIMEO, ms > 0 ? ms : 1);
    unsigned char head[6];
    char ep[256];
    if (zmq_recv(m, head, sizeof head, 0) != 6)
        return false;
    int more = 0;
    size_t sz = sizeof more;
    zmq_getsockopt(m, ZMQ_RCVMORE, &more, &sz);
    if (more && zmq_recv(m, ep, sizeof ep, 0) < 0)
        return false;
    uint16_t ev;
    memcpy(&ev, head, 2);
    memcpy(value, head + 2, 4);
    *event = ev;
    return true;
}

/* Waits for an event in `mask`, skipping others; false after 4 s.
 * Handshake failures seen on the way are counted in *failures. */
static bool monitor_wait(void *m, int mask, int *event, uint32_t *value,
                         int *failures)
{
    int64_t deadline = now_ms() + 4000;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || !monitor_next(m, event, value, (int)left))
            return false;
        if (*event & mask)
            return true;
        if (failures != NULL &&
            (*event & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)))
            (*failures)++;
    }
}

/* One of our sockets bound to tcp://127.0.0.1:*, in its own context. */
struct target {
    void *ctx, *s, *mon;
    int type, port;
    char ep[64];
};

static bool target_open(struct target *t, int type, const char *mon_addr,
                        int64_t maxmsgsize)
{
    memset(t, 0, sizeof *t);
    t->type = type;
    t->ctx = zmq_ctx_new();
    if (t->ctx == NULL)
        return false;
    t->s = new_socket(t->ctx, type);
    if (t->s == NULL)
        return false;
    set_int(t->s, ZMQ_LINGER, 0);
    if (maxmsgsize >= 0)
        CHECK_EQ(zmq_setsockopt(t->s, ZMQ_MAXMSGSIZE, &maxmsgsize,
                                sizeof maxmsgsize),
                 0);
    if (mon_addr != NULL) {
        t->mon = monitor_open(t->ctx, t->s, mon_addr);
        CHECK(t->mon != NULL);
        if (t->mon == NULL)
            return false;
    }
    if (bind_ep(t->s, "tcp://127.0.0.1:*", t->ep, sizeof t->ep) != 0)
        return false;
    t->port = port_of(t->ep);
    return t->port > 0;
}

static void target_close(struct target *t)
{
    if (t->mon != NULL)
        zmq_close(t->mon);
    if (t->s != NULL)
        zmq_close(t->s);
    if (t->ctx != NULL)
        CHECK_EQ(zmq_ctx_term(t->ctx), 0);
    memset(t, 0, sizeof *t);
}

/* Receives one message and compares it with want / more. */
static bool recv_is_(void *s, const void *want, size_t n, int more, int line)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = zmq_msg_recv(&m, s, 0);
    bool ok = rc == (int)n && memcmp(zmq_msg_data(&m), want, n) == 0 &&
              zmq_msg_more(&m) == more;
    if (!ok) {
        fprintf(stderr, "%s:%d: received %d bytes (%s), more %d\n", __FILE__,
                line, rc, rc < 0 ? zmq_strerror(errno) : "ok",
                zmq_msg_more(&m));
        dump("want", want, n);
        if (rc > 0)
            dump("got ", zmq_msg_data(&m), zmq_msg_size(&m));
    }
    zmq_msg_close(&m);
    return ok;
}

#define RECV_IS(s, want, n, more)                                              \
    CHECK(recv_is_((s), (want), (n), (more), __LINE__))
#define RECV_LIT(s, lit, more) RECV_IS((s), (lit), sizeof(lit) - 1, (more))

/* A normal zmq peer connects to the target and one message goes through.
 * Unless strict, earlier messages waiting in the target are skipped.  A
 * PUSH target may still hold the pipe of a peer that just left (its
 * DISCONNECTED event comes before the socket drops the pipe), and a
 * message sent there is lost: it sends again until one arrives. */
static bool target_works(struct target *t, const char *token, bool strict)
{
    bool push = t->type != ZMQ_PULL;
    void *c = new_socket(t->ctx, push ? ZMQ_PULL : ZMQ_PUSH);
    if (c == NULL)
        return false;
    set_int(c, ZMQ_LINGER, 0);
    bool ok = zmq_connect(c, t->ep) == 0;
    void *to = push ? t->s : c;
    void *from = push ? c : t->s;
    if (push)
        set_int(c, ZMQ_RCVTIMEO, 250);
    size_t n = strlen(token);
    bool got = false;
    for (int tries = 0; ok && !got && tries < (push ? 12 : 1); tries++) {
        ok = zmq_send(to, token, n, 0) == (int)n;
        for (int i = 0; ok && !got && i < 10000; i++) {
            char buf[256];
            int rc = zmq_recv(from, buf, sizeof buf, 0);
            if (rc < 0)
                break;
            got = rc == (int)n && memcmp(buf, token, n) == 0;
            if (!got && strict) {
                fprintf(stderr, "target_works: unexpected %d-byte message\n",
                        rc);
                ok = false;
            }
        }
    }
    zmq_close(c);
    return ok && got;
}

/* ------------------------------------------------------------------------ */
/* 1. The staged greeting                                                    */
/* ------------------------------------------------------------------------ */

/* Our DEALER (routing id `id`, or none) connects to a raw listener; the
 * raw peer sends its greeting a stage at a time and checks that ours
 * follows the same stages, then the READY bytes, then one message. */
static void greeting_stages(const char *id, const unsigned char sig[10],
                            const void *ready, size_t ready_len)
{
    int port = 0;
    int lfd = raw_listen(&port);
    REQUIRE(lfd >= 0);
    void *ctx = zmq_ctx_new();
    void *s = new_socket(ctx, ZMQ_DEALER);
    set_int(s, ZMQ_LINGER, 0);
    if (id != NULL)
        CHECK_EQ(zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id)), 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_EQ(zmq_connect(s, ep), 0);
    int fd = raw_accept(lfd);
    CHECK(fd >= 0);
    if (fd >= 0) {
        /* Stage 1: the 10-byte signature, nothing more. */
        EXPECT_BYTES(fd, sig, 10);
        CHECK(quiet(fd, 100));
        CHECK(send_all(fd, sig_no_id, 10));
        /* Stage 2: the major version once our signature is in. */
        EXPECT_LIT(fd, "\x03");
        CHECK(quiet(fd, 100));
        CHECK(SEND_LIT(fd, "\x03"));
        /* Stage 3: minor, mechanism, as-server and filler. */
        unsigned char want[64];
        make_greeting(want, "NULL", 1);
        EXPECT_BYTES(fd, want + 11, 53);
        /* READY waits for the whole of our greeting. */
        CHECK(quiet(fd, 100));
        CHECK(send_all(fd, want + 11, 53));
        EXPECT_BYTES(fd, ready, ready_len);
        /* Finish the handshake as a ROUTER; a message then flows. */
        unsigned char r[128];
        size_t n = make_ready(r, "ROUTER", NULL, 0);
        CHECK(send_all(fd, r, n));
        CHECK_EQ(zmq_send(s, "hi", 2, 0), 2);
        EXPECT_LIT(fd, "\x00\x02"
                       "hi");
        close(fd);
    }
    close(lfd);
    zmq_close(s);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_greeting_stages_with_routing_id(void)
{
    static const unsigned char sig[10] = {0xff, 0, 0, 0, 0, 0, 0, 0, 3, 0x7f};
    static const char ready[] = "\x04\x2b\x05READY"
                                "\x0bSocket-Type\x00\x00\x00\x06"
                                "DEALER"
                                "\x08Identity\x00\x00\x00\x02"
                                "AB";
    greeting_stages("AB", sig, ready, sizeof ready - 1);
}

static void test_greeting_stages_without_routing_id(void)
{
    static const char ready[] = "\x04\x29\x05READY"
                                "\x0bSocket-Type\x00\x00\x00\x06"
                                "DEALER"
                                "\x08Identity\x00\x00\x00\x00";
    greeting_stages(NULL, sig_no_id, ready, sizeof ready - 1);
}

/* ------------------------------------------------------------------------ */
/* 2. NULL handshake and 3.x framing                                         */
/* ------------------------------------------------------------------------ */

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + seed);
}

static void test_raw_push_into_pull(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "PUSH", 1, "PULL")) {
        unsigned char big[300], b255[255];
        fill_pattern(big, sizeof big, 1);
        fill_pattern(b255, sizeof b255, 2);
        unsigned char h[9] = {0x02};
        CHECK(SEND_LIT(fd, "\x00\x05"
                           "hello"));
        put_u64(h + 1, 300);
        CHECK(send_all(fd, h, 9) && send_all(fd, big, 300));
        /* The long form is fine for a short body too. */
        put_u64(h + 1, 5);
        CHECK(send_all(fd, h, 9) && SEND_LIT(fd, "world"));
        CHECK(SEND_LIT(fd, "\x00\x00"));
        CHECK(SEND_LIT(fd, "\x01\x03"
                           "abc"
                           "\x01\x00"
                           "\x00\x03"
                           "def"));
        CHECK(SEND_LIT(fd, "\x00\xff") && send_all(fd, b255, 255));
        RECV_LIT(t.s, "hello", 0);
        RECV_IS(t.s, big, 300, 0);
        RECV_LIT(t.s, "world", 0);
        RECV_IS(t.s, "", 0, 0);
        RECV_LIT(t.s, "abc", 1);
        RECV_IS(t.s, "", 0, 1);
        RECV_LIT(t.s, "def", 0);
        RECV_IS(t.s, b255, 255, 0);
    }
    if (fd >= 0)
        close(fd);
    target_close(&t);
}

static void test_push_to_raw_pull(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PUSH, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "PULL", 1, "PUSH")) {
        unsigned char big[300], b255[255], b256[256];
        fill_pattern(big, sizeof big, 3);
        fill_pattern(b255, sizeof b255, 4);
        fill_pattern(b256, sizeof b256, 5);
        CHECK_EQ(zmq_send(t.s, "hello", 5, 0), 5);
        EXPECT_LIT(fd, "\x00\x05"
                       "hello");
        CHECK_EQ(zmq_send(t.s, big, 300, 0), 300);
        EXPECT_LIT(fd, "\x02\x00\x00\x00\x00\x00\x00\x01\x2c");
        EXPECT_BYTES(fd, big, 300);
        CHECK_EQ(zmq_send(t.s, b255, 255, 0), 255);
        EXPECT_LIT(fd, "\x00\xff");
        EXPECT_BYTES(fd, b255, 255);
        CHECK_EQ(zmq_send(t.s, b256, 256, 0), 256);
        EXPECT_LIT(fd, "\x02\x00\x00\x00\x00\x00\x00\x01\x00");
        EXPECT_BYTES(fd, b256, 256);
        CHECK_EQ(zmq_send(t.s, "ab", 2, ZMQ_SNDMORE), 2);
        CHECK_EQ(zmq_send(t.s, "", 0, ZMQ_SNDMORE), 0);
        CHECK_EQ(zmq_send(t.s, "c", 1, 0), 1);
        EXPECT_LIT(fd, "\x01\x02"
                       "ab"
                       "\x01\x00"
                       "\x00\x01"
                       "c");
    }
    if (fd >= 0)
        close(fd);
    target_close(&t);
}

/* ------------------------------------------------------------------------ */
/* 3. Subscriptions                                                          */
/* ------------------------------------------------------------------------ */

/* Our SUB connects to a raw PUB announcing ZMTP 3.`minor`. */
static void sub_to_raw_pub(unsigned char minor)
{
    int port = 0;
    int lfd = raw_listen(&port);
    REQUIRE(lfd >= 0);
    void *ctx = zmq_ctx_new();
    void *s = new_socket(ctx, ZMQ_SUB);
    set_int(s, ZMQ_LINGER, 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    CHECK_EQ(zmq_connect(s, ep), 0);
    int fd = raw_accept(lfd);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "PUB", minor, "SUB")) {
        CHECK_EQ(zmq_setsockopt(s, ZMQ_SUBSCRIBE, "ab", 2), 0);
        if (minor >= 1)
            EXPECT_LIT(fd, "\x04\x0c\x09SUBSCRIBE"
                           "ab");
        else
            EXPECT_LIT(fd, "\x00\x03\x01"
                           "ab");
        /* The subscription filters what the peer publishes. */
        CHECK(SEND_LIT(fd, "\x00\x03"
                           "zzz"
                           "\x00\x03"
                           "abc"));
        RECV_LIT(s, "abc", 0);
        CHECK_EQ(zmq_setsockopt(s, ZMQ_UNSUBSCRIBE, "ab", 2), 0);
        if (minor >= 1)
            EXPECT_LIT(fd, "\x04\x09\x06"
                           "CANCEL"
                           "ab");
        else
            EXPECT_LIT(fd, "\x00\x03\x00"
                           "ab");
        close(fd);
    }
    close(lfd);
    zmq_close(s);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_sub_subscribe_zmtp31_command(void)
{
    sub_to_raw_pub(1);
}

static void test_sub_subscribe_zmtp30_message(void)
{
    sub_to_raw_pub(0);
}

static void test_xpub_accepts_both_forms(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_XPUB, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "SUB", 1, "XPUB")) {
        CHECK(SEND_LIT(fd, "\x04\x0c\x09SUBSCRIBE"
                           "ab"));
        RECV_LIT(t.s,
                 "\x01"
                 "ab",
                 0);
        CHECK(SEND_LIT(fd, "\x00\x03\x01"
                           "cd"));
        RECV_LIT(t.s,
                 "\x01"
                 "cd",
                 0);
        /* Both subscriptions now route messages to the peer. */
        CHECK_EQ(zmq_send(t.s, "cdX", 3, 0), 3);
        EXPECT_LIT(fd, "\x00\x03"
                       "cdX");
        CHECK_EQ(zmq_send(t.s, "zz", 2, 0), 2);
        CHECK_EQ(zmq_send(t.s, "abY", 3, 0), 3);
        EXPECT_LIT(fd, "\x00\x03"
                       "abY");
        CHECK(SEND_LIT(fd, "\x04\x09\x06"
                           "CANCEL"
                           "ab"));
        RECV_LIT(t.s,
                 "\x00"
                 "ab",
                 0);
        CHECK(SEND_LIT(fd, "\x00\x03\x00"
                           "cd"));
        RECV_LIT(t.s,
                 "\x00"
                 "cd",
                 0);
    }
    if (fd >= 0)
        close(fd);
    target_close(&t);
}

/* ------------------------------------------------------------------------ */
/* 4. PING / PONG                                                            */
/* ------------------------------------------------------------------------ */

static void test_ping_pong_and_ttl(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "PUSH", 1, "PULL")) {
        /* No TTL, no context. */
        CHECK(SEND_LIT(fd, "\x04\x07\x04PING\x00\x00"));
        EXPECT_LIT(fd, "\x04\x05\x04PONG");
        /* The context comes back, cut to 16 bytes. */
        CHECK(SEND_LIT(fd, "\x04\x1b\x04PING\x00\x00"
                           "0123456789abcdefghij"));
        EXPECT_LIT(fd, "\x04\x15\x04PONG"
                       "0123456789abcdef");
        CHECK(SEND_LIT(fd, "\x00\x02"
                           "ok"));
        RECV_LIT(t.s, "ok", 0);
        /* TTL 1.0 s and context "xy": a PONG, then with no more traffic
         * the connection is dropped about a second later. */
        CHECK(SEND_LIT(fd, "\x04\x09\x04PING\x00\x0a"
                           "xy"));
        EXPECT_LIT(fd, "\x04\x07\x04PONG"
                       "xy");
        int64_t t0 = now_ms();
        CHECK(expect_closed(fd, 3000));
        int64_t took = now_ms() - t0;
        if (took < 700 || took > 2500)
            fprintf(stderr, "TTL: connection closed after %lld ms\n",
                    (long long)took);
        CHECK(took >= 700 && took <= 2500);
        CHECK(target_works(&t, "after-ttl", true));
    }
    if (fd >= 0)
        close(fd);
    target_close(&t);
}

/* ------------------------------------------------------------------------ */
/* 5. Robustness                                                             */
/* ------------------------------------------------------------------------ */

/* xorshift64*: reproducible junk. */
static uint64_t rng_state = 88172645463325252ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static void rng_fill(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(rng() >> 32);
}

enum expect_kind {
    CLOSED,           /* closed, a DISCONNECTED event */
    FAILED_PROTOCOL,  /* HANDSHAKE_FAILED_PROTOCOL with a value, then
                         DISCONNECTED */
    CLOSED_AFTER_SYNC /* closed after a good handshake: no handshake
                         failure event */
};

/* The target (with a monitor) gets `bytes` from a new raw peer, after a
 * good NULL handshake if `handshake`, while another raw peer is connected.
 * The bad connection must close with the expected events, the other must
 * still work, and so must a normal zmq peer connected afterwards. */
static void bad_peer_(int type, bool handshake, const void *bytes, size_t n,
                      enum expect_kind kind, uint32_t want_value,
                      int64_t maxmsgsize, int line)
{
    static int seq;
    char mon[64];
    snprintf(mon, sizeof mon, "inproc://wire-mon-%d", ++seq);
    struct target t;
    if (!target_open(&t, type, mon, maxmsgsize)) {
        fprintf(stderr, "%s:%d: target_open failed\n", __FILE__, line);
        test_failed_ = 1;
        target_close(&t);
        return;
    }
    const char *peer_type = type == ZMQ_PULL ? "PUSH" : "PULL";
    const char *our_type = type == ZMQ_PULL ? "PULL" : "PUSH";
    int ev = 0, failures = 0;
    uint32_t value = 0;
    /* A good peer that must not be disturbed by the bad one. */
    int by = raw_connect(t.port);
    bool ok =
        by >= 0 && handshake_(by, peer_type, 1, our_type, line) &&
        monitor_wait(t.mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &ev, &value, NULL);
    int fd = ok ? raw_connect(t.port) : -1;
    ok = ok && fd >= 0;
    if (ok && handshake)
        ok = handshake_(fd, peer_type, 1, our_type, line);
    ok = ok && send_all(fd, bytes, n);
    if (!ok)
        fprintf(stderr, "%s:%d: raw peer setup failed\n", __FILE__, line);
    bool closed = ok && expect_closed(fd, 3000);
    if (ok && !closed)
        fprintf(stderr, "%s:%d: the connection was not closed\n", __FILE__,
                line);
    ok = ok && closed;

    if (ok && kind == FAILED_PROTOCOL) {
        const int fail = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        if (!monitor_wait(t.mon, fail, &ev, &value, NULL)) {
            fprintf(stderr, "%s:%d: no handshake event\n", __FILE__, line);
            ok = false;
        } else if (ev != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                   value != want_value) {
            fprintf(stderr,
                    "%s:%d: event 0x%x value 0x%x, wanted "
                    "HANDSHAKE_FAILED_PROTOCOL 0x%x\n",
                    __FILE__, line, ev, value, want_value);
            ok = false;
        }
    }
    if (ok &&
        !monitor_wait(t.mon, ZMQ_EVENT_DISCONNECTED, &ev, &value, &failures)) {
        fprintf(stderr, "%s:%d: no DISCONNECTED event\n", __FILE__, line);
        ok = false;
    }
    if (ok && kind == CLOSED_AFTER_SYNC && failures > 0) {
        fprintf(stderr,
                "%s:%d: handshake failure reported after the "
                "handshake\n",
                __FILE__, line);
        ok = false;
    }
    /* The good peer still talks; then it leaves, so that the normal zmq
     * peer below is the only one. */
    static const char bys[] = "\x00\x03"
                              "bys";
    bool good = ok;
    if (good && type == ZMQ_PULL)
        good = SEND_LIT(by, bys) && recv_is_(t.s, "bys", 3, 0, line);
    else if (good)
        good = zmq_send(t.s, "bys", 3, 0) == 3 &&
               expect_bytes_(by, bys, sizeof bys - 1, line);
    if (ok && !good)
        fprintf(stderr, "%s:%d: the good peer was disturbed\n", __FILE__, line);
    ok = good;
    if (by >= 0)
        close(by);
    by = -1;
    if (ok && !monitor_wait(t.mon, ZMQ_EVENT_DISCONNECTED, &ev, &value, NULL)) {
        fprintf(stderr, "%s:%d: no DISCONNECTED for the good peer\n", __FILE__,
                line);
        ok = false;
    }
    if (ok && !target_works(&t, "still-works", true)) {
        fprintf(stderr, "%s:%d: the socket no longer works\n", __FILE__, line);
        ok = false;
    }
    if (!ok)
        test_failed_ = 1;
    if (fd >= 0)
        close(fd);
    if (by >= 0)
        close(by);
    target_close(&t);
}

#define BAD_PEER(type, hs, bytes, n, kind, value)                              \
    bad_peer_((type), (hs), (bytes), (n), (kind), (value), -1, __LINE__)

/* a. Garbage instead of a greeting. */
static void test_garbage_greeting(void)
{
    unsigned char g[64];
    /* 0xFF, a versioned signature (bit 0 of byte 9 set), a 3.x revision,
     * then junk where the mechanism goes: the mechanisms differ. */
    rng_fill(g, sizeof g);
    g[0] = 0xff;
    g[9] |= 1;
    g[10] = (unsigned char)(3 + g[10] % 253);
    g[12] = 'X';
    BAD_PEER(ZMQ_PULL, false, g, sizeof g, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
}

/* b. The peer wants PLAIN, we are NULL. */
static void test_mechanism_mismatch(void)
{
    unsigned char g[64];
    make_greeting(g, "PLAIN", 1);
    BAD_PEER(ZMQ_PULL, false, g, sizeof g, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    /* A prefix of our mechanism's name is not our mechanism. */
    make_greeting(g, "NUL", 1);
    BAD_PEER(ZMQ_PULL, false, g, sizeof g, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
}

/* Greeting + one frame, for the handshake cases. */
static size_t greeting_and(unsigned char *buf, const void *frame, size_t n)
{
    make_greeting(buf, "NULL", 1);
    memcpy(buf + 64, frame, n);
    return 64 + n;
}

/* c. READY from a PUSH to our PUSH.  libzmq 4.3's NULL mechanism fails
 * this handshake (parse_metadata: EINVAL) without a protocol event of
 * its own; its PLAIN/CURVE mechanisms report INVALID_METADATA for a bad
 * READY, which is what we report. */
static void test_incompatible_socket_type(void)
{
    unsigned char ready[128], buf[256];
    size_t n = make_ready(ready, "PUSH", NULL, 0);
    n = greeting_and(buf, ready, n);
    BAD_PEER(ZMQ_PUSH, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
    /* An unknown type name too. */
    n = greeting_and(buf, ready, make_ready(ready, "BOGUS", NULL, 0));
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
}

/* d. A data frame where READY belongs. */
static void test_data_before_ready(void)
{
    unsigned char buf[128];
    size_t n = greeting_and(buf,
                            "\x00\x05"
                            "hello",
                            7);
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
    /* Another command where READY belongs. */
    n = greeting_and(buf, "\x04\x06\x05HELLO", 8);
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
}

/* e. Malformed READY metadata.  libzmq 4.3's NULL mechanism closes these
 * with no protocol event of its own and accepts a zero-length name
 * (RFC 37 requires 1 to 255 name characters); we report
 * INVALID_METADATA. */
static void test_malformed_ready(void)
{
    unsigned char ready[128], buf[256];
    /* A property name running past the end. */
    size_t n = make_ready(ready, "PUSH", "\x20Short", 6);
    n = greeting_and(buf, ready, n);
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
    /* A value running past the end. */
    n = make_ready(ready, "PUSH", "\x05X-Abc\x00\x00\x00\x10xy", 12);
    n = greeting_and(buf, ready, n);
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
    /* A name without its value length. */
    n = make_ready(ready, "PUSH", "\x05X-Abc\x00\x00", 8);
    n = greeting_and(buf, ready, n);
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
    /* A zero-length name. */
    n = make_ready(ready, "PUSH", "\x00\x00\x00\x00\x00", 5);
    n = greeting_and(buf, ready, n);
    BAD_PEER(ZMQ_PULL, false, buf, n, FAILED_PROTOCOL,
             ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
}

/* f. Frame headers claiming too much. */
static void test_huge_frames(void)
{
    unsigned char h[16] = {0x02};
    /* 2^62 and 2^64 - 1 bytes: no allocation of that size can succeed,
     * the connection is dropped. */
    put_u64(h + 1, (uint64_t)1 << 62);
    BAD_PEER(ZMQ_PULL, true, h, 12, CLOSED_AFTER_SYNC, 0);
    put_u64(h + 1, UINT64_MAX);
    BAD_PEER(ZMQ_PULL, true, h, 12, CLOSED_AFTER_SYNC, 0);
    /* The same on a message-more frame with a command bit. */
    h[0] = 0x07;
    put_u64(h + 1, (uint64_t)1 << 62);
    BAD_PEER(ZMQ_PULL, true, h, 12, CLOSED_AFTER_SYNC, 0);

    /* MAXMSGSIZE 1000: a 1000-byte frame passes, 1001 closes. */
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, "inproc://wire-mon-max", 1000));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "PUSH", 1, "PULL")) {
        unsigned char body[1000];
        fill_pattern(body, sizeof body, 9);
        h[0] = 0x02;
        put_u64(h + 1, 1000);
        CHECK(send_all(fd, h, 9) && send_all(fd, body, 1000));
        RECV_IS(t.s, body, 1000, 0);
        put_u64(h + 1, 1001);
        CHECK(send_all(fd, h, 9) && send_all(fd, body, 1000));
        CHECK(expect_closed(fd, 3000));
        int ev;
        uint32_t value;
        CHECK(monitor_wait(t.mon, ZMQ_EVENT_DISCONNECTED, &ev, &value, NULL));
        CHECK(target_works(&t, "after-max", true));
    }
    if (fd >= 0)
        close(fd);
    target_close(&t);

    /* 2000 bytes against MAXMSGSIZE 1000, as the first frame. */
    put_u64(h + 1, 2000);
    bad_peer_(ZMQ_PULL, true, h, 9, CLOSED_AFTER_SYNC, 0, 1000, __LINE__);
}

/* g. Commands we do not know, after the handshake: libzmq 4.3 passes
 * them to the session, which drops them; the connection stays.  (Not
 * tested: libzmq 4.3.4 hands a SUBSCRIBE command sent to a PULL to the
 * application as a message "\x09SUBSCRIBE..."; we drop it.) */
static void test_unknown_command_ignored(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0 && HANDSHAKE(fd, "PUSH", 1, "PULL")) {
        CHECK(SEND_LIT(fd, "\x04\x06\x05HELLO"));
        /* An empty command, and one whose name runs past its end. */
        CHECK(SEND_LIT(fd, "\x04\x00"));
        CHECK(SEND_LIT(fd, "\x04\x02\x09X"));
        CHECK(SEND_LIT(fd, "\x00\x02"
                           "ok"));
        RECV_LIT(t.s, "ok", 0);
        CHECK(quiet(fd, 100));
        CHECK(SEND_LIT(fd, "\x04\x06\x05HELLO"
                           "\x00\x03"
                           "ok2"));
        RECV_LIT(t.s, "ok2", 0);
        CHECK(quiet(fd, 50));
    }
    if (fd >= 0)
        close(fd);
    CHECK(target_works(&t, "after-unknown", true));
    target_close(&t);
}

/* h. Many raw peers sending a valid start and then junk. */
static void test_fuzz_after_greeting(void)
{
    uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    const char *env = getenv("ZMTP_FUZZ_SEED");
    if (env != NULL)
        seed = strtoull(env, NULL, 0);
    printf("test_fuzz_after_greeting: seed %llu (ZMTP_FUZZ_SEED)\n",
           (unsigned long long)seed);
    fflush(stdout);
    uint64_t saved = rng_state;
    rng_state = seed ? seed : 1;

    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, NULL, -1));
    /* One normal peer first, so the context's threads are up. */
    CHECK(target_works(&t, "warm-up", true));
    usleep(100000);
    int base = test_count_fds();

    unsigned char g[64], ready[128], buf[2048];
    make_greeting(g, "NULL", 1);
    size_t rn = make_ready(ready, "PUSH", NULL, 0);
    int failed_connects = 0;
    for (int i = 0; i < 300; i++) {
        int fd = raw_connect(t.port);
        if (fd < 0) {
            failed_connects++;
            continue;
        }
        size_t n = 0;
        switch (i % 4) {
        case 0: /* A prefix of the greeting. */
            n = 1 + rng() % 64;
            memcpy(buf, g, n);
            break;
        case 1: /* The greeting. */
            memcpy(buf, g, 64);
            n = 64;
            break;
        case 2: /* Greeting and READY. */
        case 3:
            memcpy(buf, g, 64);
            memcpy(buf + 64, ready, rn);
            n = 64 + rn;
            break;
        }
        if (i % 4 == 3) {
            /* Frames with random flags and small sizes. */
            while (n < 700) {
                unsigned char flags = (unsigned char)(rng() & 0x07);
                size_t size = rng() % 200;
                buf[n++] = flags;
                if (flags & 0x02) {
                    put_u64(buf + n, size);
                    n += 8;
                } else {
                    buf[n++] = (unsigned char)size;
                }
                rng_fill(buf + n, size);
                n += size;
            }
        }
        size_t junk = rng() % 300;
        rng_fill(buf + n, junk);
        n += junk;
        send_all(fd, buf, n);
        if (i % 5 == 0)
            quiet(fd, 1); /* sometimes let it be read first */
        close(fd);
    }
    CHECK_EQ(failed_connects, 0);

    /* Our socket lets every connection go: the count of descriptors
     * comes back to where it was (a little slack for the kernel). */
    int n = test_count_fds();
    int64_t deadline = now_ms() + 5000;
    while (n > base + 2 && now_ms() < deadline) {
        usleep(20000);
        n = test_count_fds();
    }
    if (n > base + 2)
        fprintf(stderr, "fuzz: %d descriptors open, %d before\n", n, base);
    CHECK(n <= base + 2);
    CHECK(target_works(&t, "after-fuzz", false));
    target_close(&t);
    rng_state = saved;
}

/* ------------------------------------------------------------------------ */
/* 6. ZMTP 2.0 peers (RFC 15)                                                */
/* ------------------------------------------------------------------------ */

/* The 2.0 greeting from the raw side: signature, then revision 1 and the
 * socket type byte; ours answers with 0x03 (its revision) and its type,
 * then its identity frame. */
static bool v2_greeting(int fd, unsigned char our_type, unsigned char type)
{
    if (!expect_bytes_(fd, sig_no_id, 10, __LINE__) ||
        !send_all(fd, sig_no_id, 10) || !expect_bytes_(fd, "\x03", 1, __LINE__))
        return false;
    unsigned char rev[2] = {0x01, type};
    if (!send_all(fd, rev, 2) || !expect_bytes_(fd, &our_type, 1, __LINE__))
        return false;
    /* Our (empty) identity, then theirs. */
    return expect_bytes_(fd, "\x00\x00", 2, __LINE__) &&
           send_all(fd, "\x00\x00", 2);
}

static void test_zmtp20_push_into_pull(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0) {
        bool ok = v2_greeting(fd, ZMQ_PULL, ZMQ_PUSH);
        CHECK(ok);
        if (ok) {
            unsigned char big[300], h[9] = {0x02};
            fill_pattern(big, sizeof big, 6);
            put_u64(h + 1, 300);
            CHECK(SEND_LIT(fd, "\x00\x05"
                               "hello"
                               "\x01\x03"
                               "abc"
                               "\x00\x03"
                               "def"));
            CHECK(send_all(fd, h, 9) && send_all(fd, big, 300));
            RECV_LIT(t.s, "hello", 0);
            RECV_LIT(t.s, "abc", 1);
            RECV_LIT(t.s, "def", 0);
            RECV_IS(t.s, big, 300, 0);
        }
        close(fd);
    }
    target_close(&t);
}

static void test_zmtp20_push_to_raw_pull(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PUSH, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0) {
        bool ok = v2_greeting(fd, ZMQ_PUSH, ZMQ_PULL);
        CHECK(ok);
        if (ok) {
            unsigned char big[300];
            fill_pattern(big, sizeof big, 7);
            CHECK_EQ(zmq_send(t.s, "hello", 5, 0), 5);
            EXPECT_LIT(fd, "\x00\x05"
                           "hello");
            CHECK_EQ(zmq_send(t.s, big, 300, 0), 300);
            EXPECT_LIT(fd, "\x02\x00\x00\x00\x00\x00\x00\x01\x2c");
            EXPECT_BYTES(fd, big, 300);
            CHECK_EQ(zmq_send(t.s, "ab", 2, ZMQ_SNDMORE), 2);
            CHECK_EQ(zmq_send(t.s, "c", 1, 0), 1);
            EXPECT_LIT(fd, "\x01\x02"
                           "ab"
                           "\x00\x01"
                           "c");
        }
        close(fd);
    }
    target_close(&t);
}

/* ------------------------------------------------------------------------ */
/* 7. ZMTP 1.0 peers                                                         */
/* ------------------------------------------------------------------------ */

/* A 1.0 peer starts with its identity frame (length 1: flags only).  Our
 * 10-byte signature reads as the header of our identity frame: length
 * 0xFF + 8-byte 1 and flags 0x7F; the empty identity adds nothing. */
static bool v1_start(int fd)
{
    return send_all(fd, "\x01\x00", 2) &&
           expect_bytes_(fd, sig_no_id, 10, __LINE__) && quiet(fd, 50);
}

static void test_zmtp10_push_into_pull(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PULL, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0) {
        bool ok = v1_start(fd);
        CHECK(ok);
        if (ok) {
            unsigned char big[300], h[10] = {0xff};
            fill_pattern(big, sizeof big, 8);
            put_u64(h + 1, 301);
            h[9] = 0;
            CHECK(SEND_LIT(fd, "\x06\x00"
                               "hello"
                               "\x04\x01"
                               "abc"
                               "\x04\x00"
                               "def"));
            CHECK(send_all(fd, h, 10) && send_all(fd, big, 300));
            RECV_LIT(t.s, "hello", 0);
            RECV_LIT(t.s, "abc", 1);
            RECV_LIT(t.s, "def", 0);
            RECV_IS(t.s, big, 300, 0);
        }
        close(fd);
    }
    target_close(&t);
}

static void test_zmtp10_push_to_raw_pull(void)
{
    struct target t;
    REQUIRE(target_open(&t, ZMQ_PUSH, NULL, -1));
    int fd = raw_connect(t.port);
    CHECK(fd >= 0);
    if (fd >= 0) {
        bool ok = v1_start(fd);
        CHECK(ok);
        if (ok) {
            unsigned char b253[253], b254[254];
            fill_pattern(b253, sizeof b253, 10);
            fill_pattern(b254, sizeof b254, 11);
            CHECK_EQ(zmq_send(t.s, "hello", 5, 0), 5);
            EXPECT_LIT(fd, "\x06\x00"
                           "hello");
            /* Length 254 still fits the short form; 255 does not. */
            CHECK_EQ(zmq_send(t.s, b253, 253, 0), 253);
            EXPECT_LIT(fd, "\xfe\x00");
            EXPECT_BYTES(fd, b253, 253);
            CHECK_EQ(zmq_send(t.s, b254, 254, 0), 254);
            EXPECT_LIT(fd, "\xff\x00\x00\x00\x00\x00\x00\x00\xff\x00");
            EXPECT_BYTES(fd, b254, 254);
            CHECK_EQ(zmq_send(t.s, "ab", 2, ZMQ_SNDMORE), 2);
            CHECK_EQ(zmq_send(t.s, "c", 1, 0), 1);
            EXPECT_LIT(fd, "\x03\x01"
                           "ab"
                           "\x02\x00"
                           "c");
        }
        close(fd);
    }
    target_close(&t);
}

/* a (continued). Junk that reads as a ZMTP 1.0 peer: it is framed
 * junk, and must just be closed. */
static void test_garbage_greeting_v1(void)
{
    unsigned char g[64];
    rng_fill(g, sizeof g);
    /* 0xFF with bit 0 of byte 9 clear is an unversioned 1.0 peer: its
     * first frame has a long length of 0, which is invalid (the length
     * counts the flags byte). */
    memset(g, 0, 10);
    g[0] = 0xff;
    BAD_PEER(ZMQ_PULL, false, g, sizeof g, CLOSED, 0);

    /* Not 0xFF: a 1.0 peer.  Length 0 is invalid at once. */
    rng_fill(g, sizeof g);
    g[0] = 0;
    BAD_PEER(ZMQ_PULL, false, g, sizeof g, CLOSED, 0);

    /* A 1.0 identity frame of junk, then a frame of length 0. */
    rng_fill(g, sizeof g);
    g[0] = (unsigned char)(2 + g[0] % 40);
    g[g[0] + 1] = 0;
    BAD_PEER(ZMQ_PULL, false, g, sizeof g, CLOSED, 0);
}

TEST_MAIN(TEST(test_greeting_stages_with_routing_id),
          TEST(test_greeting_stages_without_routing_id),
          TEST(test_raw_push_into_pull), TEST(test_push_to_raw_pull),
          TEST(test_sub_subscribe_zmtp31_command),
          TEST(test_sub_subscribe_zmtp30_message),
          TEST(test_xpub_accepts_both_forms), TEST(test_ping_pong_and_ttl),
          TEST(test_garbage_greeting), TEST(test_mechanism_mismatch),
          TEST(test_incompatible_socket_type), TEST(test_data_before_ready),
          TEST(test_malformed_ready), TEST(test_huge_frames),
          TEST(test_unknown_command_ignored), TEST(test_fuzz_after_greeting),
          TEST(test_zmtp20_push_into_pull), TEST(test_zmtp20_push_to_raw_pull),
          TEST(test_garbage_greeting_v1), TEST(test_zmtp10_push_into_pull),
          TEST(test_zmtp10_push_to_raw_pull))
