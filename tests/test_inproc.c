/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of messaging over inproc with PAIR, PUSH and PULL:
 * exchange, multipart, zmq_send_const, zmq_msg_send/recv ownership,
 * truncation, bind/connect order, endpoint errors, unbind/disconnect,
 * ZMQ_LAST_ENDPOINT, PAIR's single peer, round robin and fair queuing,
 * timeouts, high-water marks, ZMQ_FD/ZMQ_EVENTS, linger and many
 * socket life cycles.
 *
 * Transport-agnostic style: each pattern is a function taking a context
 * and an endpoint to bind.  Connecting sockets use the binder's
 * ZMQ_LAST_ENDPOINT, so a later transport can pass a wildcard such as
 * "tcp://127.0.0.1:*"; patterns needing several binds derive their
 * endpoints with ep_variant.  Only inproc runs them for now.
 *
 * Every socket made with sock() has 5 s send and receive timeouts, so a
 * missing message fails a check instead of hanging; each pattern runs
 * under a watchdog that names it if it hangs anyway.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_sys.h"

#define TIMEOUT_MS 5000

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *volatile watchdog_what;

static void watchdog_fired(int sig)
{
    (void)sig;
    static const char head[] = "WATCHDOG: hung in ";
    const char *what = watchdog_what ? watchdog_what : "?";
    size_t n = 0;
    while (what[n] != '\0')
        n++;
    ssize_t rc = write(2, head, sizeof head - 1);
    rc = write(2, what, n);
    rc = write(2, "\n", 1);
    (void)rc;
    _exit(2);
}

static void watchdog_arm(unsigned seconds, const char *what)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fired;
    sigaction(SIGALRM, &sa, NULL);
    watchdog_what = what;
    alarm(seconds);
}

static void watchdog_disarm(void)
{
    alarm(0);
}

static int get_int(void *s, int option)
{
    int value = -12345;
    size_t len = sizeof value;
    if (zmq_getsockopt(s, option, &value, &len) != 0)
        return -12345;
    return value;
}

static int set_int(void *s, int option, int value)
{
    return zmq_setsockopt(s, option, &value, sizeof value);
}

/* Sockets made by sock() during a pattern; run() closes those left. */
static void *open_socks[64];
static size_t n_open;

static void *sock(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (s == NULL)
        return NULL;
    set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
    set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
    if (n_open < sizeof open_socks / sizeof open_socks[0])
        open_socks[n_open++] = s;
    return s;
}

/* Closes a socket made by sock() (part of what a pattern checks). */
static int sock_close(void *s)
{
    for (size_t i = 0; i < n_open; i++) {
        if (open_socks[i] == s) {
            open_socks[i] = open_socks[--n_open];
            break;
        }
    }
    return zmq_close(s);
}

typedef void pattern_fn(void *ctx, const char *ep);

/* Runs a pattern in a fresh context, then closes what it left open and
 * terminates the context. */
static void run(const char *name, pattern_fn *fn, const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    n_open = 0;
    watchdog_arm(20, name);
    fn(ctx, ep);
    while (n_open > 0) {
        void *s = open_socks[--n_open];
        set_int(s, ZMQ_LINGER, 0);
        CHECK_EQ(zmq_close(s), 0);
    }
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

/* A test running pattern_<name> over inproc. */
#define INPROC_TEST(name)                                                      \
    static void test_##name(void)                                              \
    {                                                                          \
        run(#name, pattern_##name, "inproc://" #name);                         \
    }

/* The i-th endpoint to bind for a pattern needing several: a wildcard
 * endpoint is reused as is, a named one gets a suffix. */
static void ep_variant(char *out, size_t size, const char *ep, int i)
{
    size_t n = strlen(ep);
    if (n > 0 && ep[n - 1] == '*')
        snprintf(out, size, "%s", ep);
    else
        snprintf(out, size, "%s-%d", ep, i);
}

/* Binds s to ep and gives the endpoint peers must connect to. */
static int bind_ep(void *s, const char *ep, char *out, size_t size)
{
    if (zmq_bind(s, ep) != 0)
        return -1;
    return zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &size);
}

static int send_str(void *s, const char *str, int flags)
{
    return zmq_send(s, str, strlen(str), flags);
}

/* Receives one part and checks it is `want`, with RCVMORE `more`. */
static int expect(void *s, const char *want, int more)
{
    char buf[256];
    int n = zmq_recv(s, buf, sizeof buf - 1, 0);
    if (n < 0) {
        fprintf(stderr, "  expected \"%s\", recv failed: %s\n", want,
                zmq_strerror(errno));
        return 0;
    }
    buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = '\0';
    int got_more = get_int(s, ZMQ_RCVMORE);
    if ((size_t)n != strlen(want) || strcmp(buf, want) != 0 ||
        got_more != more) {
        fprintf(stderr, "  expected \"%s\" more %d, got \"%s\" more %d\n", want,
                more, buf, got_more);
        return 0;
    }
    return 1;
}

/* Nothing more arrives within ms. */
static int nothing_within(void *s, int ms)
{
    int old = get_int(s, ZMQ_RCVTIMEO);
    set_int(s, ZMQ_RCVTIMEO, ms);
    char buf[64];
    errno = 0;
    int rc = zmq_recv(s, buf, sizeof buf, 0);
    int err = errno;
    set_int(s, ZMQ_RCVTIMEO, old);
    if (rc >= 0)
        fprintf(stderr, "  unexpected message of %d bytes\n", rc);
    return rc == -1 && err == EAGAIN;
}

/* Sends with DONTWAIT until EAGAIN (at most limit); returns the count. */
static int fill(void *s, int limit)
{
    int n = 0;
    char body[16];
    for (; n < limit; n++) {
        snprintf(body, sizeof body, "%d", n);
        if (zmq_send(s, body, strlen(body), ZMQ_DONTWAIT) < 0)
            break;
    }
    if (n < limit && errno != EAGAIN)
        fprintf(stderr, "  fill stopped with %s\n", zmq_strerror(errno));
    return n;
}

/* Receives count messages numbered from 0 in order. */
static int drain_numbered(void *s, int count)
{
    char want[16];
    for (int i = 0; i < count; i++) {
        snprintf(want, sizeof want, "%d", i);
        if (!expect(s, want, 0)) {
            fprintf(stderr, "  (message %d of %d)\n", i, count);
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Exchange and message forms                                                */
/* ------------------------------------------------------------------------ */

static void pattern_pair_exchange(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(b, addr) == 0);

    for (int round = 0; round < 3; round++) {
        CHECK_EQ(send_str(b, "hello", 0), 5);
        CHECK(expect(a, "hello", 0));
        CHECK_EQ(send_str(a, "world", 0), 5);
        CHECK(expect(b, "world", 0));
    }
    /* Sizes around the inline-storage limit and large ones, both ways. */
    static const size_t sizes[] = {0, 1, 32, 33, 34, 255, 256, 8192, 100000};
    static unsigned char out[100000], in[100001];
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        for (size_t i = 0; i < n; i++)
            out[i] = (unsigned char)(i * 7 + k);
        void *from = k % 2 ? a : b, *to = k % 2 ? b : a;
        CHECK_EQ(zmq_send(from, out, n, 0), (int)n);
        memset(in, 0xee, sizeof in);
        CHECK_EQ(zmq_recv(to, in, sizeof in, 0), (int)n);
        CHECK(memcmp(in, out, n) == 0);
        CHECK_EQ(in[n], 0xee);
    }
}
INPROC_TEST(pair_exchange)

static void pattern_multipart(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(b, addr) == 0);
    CHECK_EQ(get_int(a, ZMQ_RCVMORE), 0);

    /* zmq_send / zmq_recv / ZMQ_RCVMORE. */
    CHECK_EQ(send_str(b, "a", ZMQ_SNDMORE), 1);
    CHECK_EQ(send_str(b, "bb", ZMQ_SNDMORE), 2);
    CHECK_EQ(send_str(b, "ccc", 0), 3);
    CHECK_EQ(send_str(b, "single", 0), 6);
    CHECK(expect(a, "a", 1));
    CHECK(expect(a, "bb", 1));
    CHECK(expect(a, "ccc", 0));
    CHECK(expect(a, "single", 0));

    /* zmq_msg_send / zmq_msg_recv / zmq_msg_more / zmq_msg_get. */
    zmq_msg_t m;
    const char *parts[] = {"x", "", "zzz"};
    for (int i = 0; i < 3; i++) {
        REQUIRE(zmq_msg_init_buffer(&m, parts[i], strlen(parts[i])) == 0);
        CHECK_EQ(zmq_msg_send(&m, a, i < 2 ? ZMQ_SNDMORE : 0),
                 (int)strlen(parts[i]));
        zmq_msg_close(&m);
    }
    for (int i = 0; i < 3; i++) {
        REQUIRE(zmq_msg_init(&m) == 0);
        CHECK_EQ(zmq_msg_recv(&m, b, 0), (int)strlen(parts[i]));
        CHECK_EQ(zmq_msg_size(&m), strlen(parts[i]));
        CHECK(memcmp(zmq_msg_data(&m), parts[i], strlen(parts[i])) == 0);
        CHECK_EQ(zmq_msg_more(&m), i < 2);
        CHECK_EQ(zmq_msg_get(&m, ZMQ_MORE), i < 2);
        CHECK_EQ(get_int(b, ZMQ_RCVMORE), i < 2);
        zmq_msg_close(&m);
    }

    /* A multipart message is delivered whole: the receiver does not see
     * its first part before the last one was sent. */
    CHECK_EQ(send_str(b, "first", ZMQ_SNDMORE), 5);
    char buf[16];
    CHECK_ERR(zmq_recv(a, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK_EQ(send_str(b, "last", 0), 4);
    CHECK(expect(a, "first", 1));
    CHECK(expect(a, "last", 0));
}
INPROC_TEST(multipart)

static void pattern_send_const(void *ctx, const char *ep)
{
    void *pull = sock(ctx, ZMQ_PULL), *push = sock(ctx, ZMQ_PUSH);
    REQUIRE(pull != NULL && push != NULL);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    static const char body[] = "constant data";
    static const char big[4096] = "big constant";
    CHECK_EQ(zmq_send_const(push, body, 4, ZMQ_SNDMORE), 4);
    CHECK_EQ(zmq_send_const(push, body, sizeof body - 1, 0), 13);
    CHECK_EQ(zmq_send_const(push, NULL, 0, 0), 0);
    CHECK_EQ(zmq_send_const(push, big, sizeof big, 0), (int)sizeof big);
    CHECK(expect(pull, "cons", 1));
    CHECK(expect(pull, "constant data", 0));
    CHECK(expect(pull, "", 0));
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    CHECK_EQ(zmq_msg_recv(&m, pull, 0), (int)sizeof big);
    CHECK(memcmp(zmq_msg_data(&m), big, sizeof big) == 0);
    zmq_msg_close(&m);
}
INPROC_TEST(send_const)

static void pattern_msg_ownership(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);

    /* Failure: the message stays the caller's, unchanged. */
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_buffer(&m, "keep me", 7) == 0);
    CHECK_ERR(zmq_msg_send(&m, b, ZMQ_DONTWAIT), -1, EAGAIN); /* no peer */
    CHECK_EQ(zmq_msg_size(&m), 7);
    CHECK(memcmp(zmq_msg_data(&m), "keep me", 7) == 0);
    CHECK_ERR(zmq_sendmsg(b, &m, ZMQ_DONTWAIT | ZMQ_SNDMORE), -1, EAGAIN);
    CHECK_EQ(zmq_msg_size(&m), 7);
    CHECK_EQ(zmq_msg_more(&m), 0);

    /* Success: the socket took it and left the message empty. */
    REQUIRE(zmq_connect(b, addr) == 0);
    CHECK_EQ(zmq_msg_send(&m, b, 0), 7);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);

    /* A large (heap) message too, through the old names. */
    char big[1000];
    memset(big, 'q', sizeof big);
    REQUIRE(zmq_msg_init_buffer(&m, big, sizeof big) == 0);
    CHECK_EQ(zmq_sendmsg(b, &m, 0), (int)sizeof big);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);

    /* Receiving into a message that holds data replaces the data. */
    REQUIRE(zmq_msg_init_buffer(&m, "old content", 11) == 0);
    CHECK_EQ(zmq_msg_recv(&m, a, 0), 7);
    CHECK_EQ(zmq_msg_size(&m), 7);
    CHECK(memcmp(zmq_msg_data(&m), "keep me", 7) == 0);
    CHECK_EQ(zmq_recvmsg(a, &m, 0), (int)sizeof big);
    CHECK(memcmp(zmq_msg_data(&m), big, sizeof big) == 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
}
INPROC_TEST(msg_ownership)

static void pattern_truncation(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(b, addr) == 0);
    CHECK_EQ(send_str(b, "0123456789", 0), 10);
    CHECK_EQ(send_str(b, "abc", 0), 3);
    char buf[8];
    memset(buf, '#', sizeof buf);
    /* Returns the full size; only the buffer's length is written. */
    CHECK_EQ(zmq_recv(a, buf, 4, 0), 10);
    CHECK(memcmp(buf, "0123####", 8) == 0);
    /* A zero-length buffer takes a message too. */
    CHECK_EQ(zmq_recv(a, NULL, 0, 0), 3);
}
INPROC_TEST(truncation)

/* ------------------------------------------------------------------------ */
/* Bind, connect, endpoints                                                  */
/* ------------------------------------------------------------------------ */

/* Messages sent before the bind are delivered after it. */
static void pattern_connect_before_bind(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(push != NULL && pull != NULL && a != NULL && b != NULL);
    char ep2[256];
    ep_variant(ep2, sizeof ep2, ep, 2);
    CHECK_EQ(zmq_connect(push, ep), 0);
    CHECK_EQ(zmq_connect(b, ep2), 0);
    for (int i = 0; i < 5; i++) {
        char body[8];
        snprintf(body, sizeof body, "%d", i);
        CHECK_EQ(zmq_send(push, body, strlen(body), ZMQ_DONTWAIT),
                 (int)strlen(body));
    }
    CHECK_EQ(send_str(b, "early", ZMQ_DONTWAIT), 5);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    CHECK_EQ(zmq_bind(a, ep2), 0);
    CHECK(drain_numbered(pull, 5));
    CHECK(expect(a, "early", 0));
    /* And the connection works both ways afterwards. */
    CHECK_EQ(send_str(a, "reply", 0), 5);
    CHECK(expect(b, "reply", 0));
    CHECK_EQ(send_str(push, "5", 0), 1);
    CHECK(expect(pull, "5", 0));
}
INPROC_TEST(connect_before_bind)

static void pattern_bind_before_connect(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    for (int i = 0; i < 5; i++) {
        char body[8];
        snprintf(body, sizeof body, "%d", i);
        CHECK_EQ(zmq_send(push, body, strlen(body), 0), (int)strlen(body));
    }
    CHECK(drain_numbered(pull, 5));
}
INPROC_TEST(bind_before_connect)

static void pattern_endpoint_errors(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);

    /* In use, by another socket or by the same one. */
    CHECK_ERR(zmq_bind(b, addr), -1, EADDRINUSE);
    CHECK_ERR(zmq_bind(a, addr), -1, EADDRINUSE);

    /* Unknown scheme; malformed endpoints. */
    CHECK_ERR(zmq_bind(b, "nosuch://x"), -1, EPROTONOSUPPORT);
    CHECK_ERR(zmq_connect(b, "nosuch://x"), -1, EPROTONOSUPPORT);
    static const char *const bad[] = {"inproc:/x", "nothing", "inproc://",
                                      "",          "://x",    "inproc:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int failed_before = test_failed_;
        test_failed_ = 0;
        CHECK_ERR(zmq_bind(b, bad[i]), -1, EINVAL);
        CHECK_ERR(zmq_connect(b, bad[i]), -1, EINVAL);
        if (test_failed_)
            fprintf(stderr, "  (the failures above are \"%s\"'s)\n", bad[i]);
        test_failed_ |= failed_before;
    }

    /* Unbind / disconnect what is not bound / connected here. */
    char other[256];
    ep_variant(other, sizeof other, ep, 9);
    CHECK_ERR(zmq_unbind(b, other), -1, ENOENT);
    CHECK_ERR(zmq_disconnect(b, other), -1, ENOENT);
    CHECK_ERR(zmq_unbind(b, addr), -1, ENOENT); /* a's, not b's */
    CHECK_ERR(zmq_disconnect(b, addr), -1, ENOENT);

    /* None of that disturbed a. */
    REQUIRE(zmq_connect(b, addr) == 0);
    CHECK_EQ(send_str(b, "still", 0), 5);
    CHECK(expect(a, "still", 0));
}
INPROC_TEST(endpoint_errors)

static void pattern_rebind(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PULL), *b = sock(ctx, ZMQ_PULL);
    void *push = sock(ctx, ZMQ_PUSH), *early = sock(ctx, ZMQ_PUSH);
    REQUIRE(a != NULL && b != NULL && push != NULL && early != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(early, addr) == 0);
    CHECK_EQ(zmq_unbind(a, addr), 0);
    /* Unbinding a name keeps the connections made through it. */
    CHECK_EQ(send_str(early, "kept", 0), 4);
    CHECK(expect(a, "kept", 0));
    CHECK_ERR(zmq_unbind(a, addr), -1, ENOENT);
    /* The name is free: another socket may take it ... */
    CHECK_EQ(zmq_bind(b, addr), 0);
    CHECK_ERR(zmq_bind(a, addr), -1, EADDRINUSE);
    /* ... and a new connect reaches the new owner only. */
    CHECK_EQ(zmq_connect(push, addr), 0);
    CHECK_EQ(send_str(push, "to-b", 0), 4);
    CHECK(expect(b, "to-b", 0));
    CHECK(nothing_within(a, 50));
    CHECK_EQ(zmq_unbind(b, addr), 0);
    /* The first owner can bind it again. */
    CHECK_EQ(zmq_bind(a, addr), 0);
    CHECK_EQ(zmq_disconnect(push, addr), 0);
    CHECK_EQ(zmq_connect(push, addr), 0);
    CHECK_EQ(send_str(push, "to-a", 0), 4);
    CHECK(expect(a, "to-a", 0));
}
INPROC_TEST(rebind)

static void pattern_last_endpoint(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char buf[256];
    size_t len = sizeof buf;
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, buf, &len), 0);
    CHECK_EQ(len, 1);
    CHECK_EQ(buf[0], '\0');

    CHECK_EQ(zmq_bind(a, ep), 0);
    len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, buf, &len), 0);
    if (strchr(ep, '*') == NULL) {
        CHECK(strcmp(buf, ep) == 0);
        CHECK_EQ(len, strlen(ep) + 1);
    }
    char addr[256];
    memcpy(addr, buf, sizeof addr);

    CHECK_EQ(zmq_connect(b, addr), 0);
    len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(b, ZMQ_LAST_ENDPOINT, buf, &len), 0);
    CHECK(strcmp(buf, addr) == 0);

    /* A failed bind does not change it. */
    CHECK_ERR(zmq_bind(b, addr), -1, EADDRINUSE);
    len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(b, ZMQ_LAST_ENDPOINT, buf, &len), 0);
    CHECK(strcmp(buf, addr) == 0);

    /* Too small a buffer. */
    len = 3;
    CHECK_ERR(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, buf, &len), -1, EINVAL);
}
INPROC_TEST(last_endpoint)

/* After disconnect the PUSH sends only to the peers it still has. */
static void pattern_disconnect(void *ctx, const char *ep)
{
    void *x = sock(ctx, ZMQ_PULL), *y = sock(ctx, ZMQ_PULL);
    void *push = sock(ctx, ZMQ_PUSH);
    REQUIRE(x != NULL && y != NULL && push != NULL);
    char ep_x[256], ep_y[256], addr_x[256], addr_y[256];
    ep_variant(ep_x, sizeof ep_x, ep, 1);
    ep_variant(ep_y, sizeof ep_y, ep, 2);
    REQUIRE(bind_ep(x, ep_x, addr_x, sizeof addr_x) == 0);
    REQUIRE(bind_ep(y, ep_y, addr_y, sizeof addr_y) == 0);
    REQUIRE(zmq_connect(push, addr_x) == 0);
    REQUIRE(zmq_connect(push, addr_y) == 0);
    CHECK_EQ(send_str(push, "m0", 0), 2);
    CHECK_EQ(send_str(push, "m1", 0), 2);
    CHECK(expect(x, "m0", 0));
    CHECK(expect(y, "m1", 0));

    CHECK_EQ(zmq_disconnect(push, addr_x), 0);
    CHECK_ERR(zmq_disconnect(push, addr_x), -1, ENOENT);
    for (int i = 2; i < 6; i++) {
        char body[8];
        snprintf(body, sizeof body, "m%d", i);
        CHECK_EQ(send_str(push, body, 0), 2);
    }
    CHECK(expect(y, "m2", 0));
    CHECK(expect(y, "m3", 0));
    CHECK(expect(y, "m4", 0));
    CHECK(expect(y, "m5", 0));
    CHECK(nothing_within(x, 100));

    /* With its only peer disconnected, a PAIR cannot send. */
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char ep_a[256], addr_a[256];
    ep_variant(ep_a, sizeof ep_a, ep, 3);
    REQUIRE(bind_ep(a, ep_a, addr_a, sizeof addr_a) == 0);
    REQUIRE(zmq_connect(b, addr_a) == 0);
    CHECK_EQ(send_str(b, "before", 0), 6);
    CHECK(expect(a, "before", 0));
    CHECK_EQ(zmq_disconnect(b, addr_a), 0);
    CHECK_ERR(send_str(b, "after", ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK(nothing_within(a, 100));
}
INPROC_TEST(disconnect)

/* A bound PAIR keeps its first peer; a second connector is refused and
 * none of its messages arrive. */
static void pattern_pair_single_peer(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    void *c = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL && c != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(b, addr) == 0);
    CHECK_EQ(send_str(b, "from-b", 0), 6);
    CHECK(expect(a, "from-b", 0)); /* b is a's peer now */

    CHECK_EQ(zmq_connect(c, addr), 0);
    /* c's connect may leave it a pipe to write into, but nothing
     * written there reaches a. */
    for (int i = 0; i < 3; i++)
        zmq_send(c, "from-c", 6, ZMQ_DONTWAIT);
    CHECK_EQ(send_str(b, "b-again", 0), 7);
    CHECK(expect(a, "b-again", 0));
    CHECK(nothing_within(a, 100));
    CHECK_EQ(send_str(a, "to-b", 0), 4);
    CHECK(expect(b, "to-b", 0));
    CHECK(nothing_within(c, 50));
}
INPROC_TEST(pair_single_peer)

/* ------------------------------------------------------------------------ */
/* Load balancing and fair queuing                                           */
/* ------------------------------------------------------------------------ */

#define SHARE 10

static void pattern_push_round_robin(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH);
    void *pull[3];
    REQUIRE(push != NULL);
    char addr[256];
    REQUIRE(bind_ep(push, ep, addr, sizeof addr) == 0);
    for (int i = 0; i < 3; i++) {
        pull[i] = sock(ctx, ZMQ_PULL);
        REQUIRE(pull[i] != NULL);
        REQUIRE(zmq_connect(pull[i], addr) == 0);
    }
    for (int n = 0; n < 3 * SHARE; n++) {
        char body[8];
        snprintf(body, sizeof body, "%d", n);
        CHECK_EQ(zmq_send(push, body, strlen(body), 0), (int)strlen(body));
    }
    /* Each PULL gets exactly SHARE messages, every third one in order,
     * and the three get different thirds. */
    int residue[3];
    for (int i = 0; i < 3; i++) {
        int last = -1;
        for (int k = 0; k < SHARE; k++) {
            char buf[16] = "";
            int len = zmq_recv(pull[i], buf, sizeof buf - 1, ZMQ_DONTWAIT);
            CHECK(len > 0);
            if (len <= 0)
                break;
            buf[len] = '\0';
            int n = atoi(buf);
            if (k == 0)
                residue[i] = n % 3;
            else
                CHECK_EQ(n, last + 3);
            last = n;
        }
        CHECK(nothing_within(pull[i], 20));
    }
    CHECK(residue[0] != residue[1] && residue[1] != residue[2] &&
          residue[0] != residue[2]);
}
INPROC_TEST(push_round_robin)

static void pattern_pull_fair_queue(void *ctx, const char *ep)
{
    void *pull = sock(ctx, ZMQ_PULL);
    void *push[3];
    REQUIRE(pull != NULL);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    for (int i = 0; i < 3; i++) {
        push[i] = sock(ctx, ZMQ_PUSH);
        REQUIRE(push[i] != NULL);
        REQUIRE(zmq_connect(push[i], addr) == 0);
    }
    /* All queued before the first receive. */
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < SHARE; k++) {
            char body[16];
            snprintf(body, sizeof body, "%d:%d", i, k);
            CHECK_EQ(zmq_send(push[i], body, strlen(body), 0),
                     (int)strlen(body));
        }
    }
    int next[3] = {0, 0, 0};
    int seen_in_round[3] = {0, 0, 0};
    for (int n = 0; n < 3 * SHARE; n++) {
        char buf[16] = "";
        int len = zmq_recv(pull, buf, sizeof buf - 1, 0);
        CHECK(len > 0);
        if (len <= 0)
            break;
        buf[len] = '\0';
        int i = -1, k = -1;
        sscanf(buf, "%d:%d", &i, &k);
        REQUIRE(i >= 0 && i < 3);
        CHECK_EQ(k, next[i]); /* per-sender order */
        next[i] = k + 1;
        /* Interleaved: each round of three has one from each sender. */
        CHECK_EQ(seen_in_round[i], n / 3);
        seen_in_round[i]++;
    }
    CHECK(nothing_within(pull, 20));
}
INPROC_TEST(pull_fair_queue)

/* ------------------------------------------------------------------------ */
/* Unsupported operations, DONTWAIT, timeouts                                */
/* ------------------------------------------------------------------------ */

static void pattern_unsupported(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    char buf[8];
    CHECK_ERR(zmq_recv(push, buf, sizeof buf, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_recv(push, buf, sizeof buf, ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK_ERR(zmq_send(pull, "x", 1, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_send(pull, "x", 1, ZMQ_DONTWAIT), -1, ENOTSUP);
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_buffer(&m, "x", 1) == 0);
    CHECK_ERR(zmq_msg_send(&m, pull, 0), -1, ENOTSUP);
    CHECK_EQ(zmq_msg_size(&m), 1);
    CHECK_ERR(zmq_msg_recv(&m, push, 0), -1, ENOTSUP);
    zmq_msg_close(&m);
    /* The sockets still work the supported way. */
    CHECK_EQ(send_str(push, "ok", 0), 2);
    CHECK(expect(pull, "ok", 0));
}
INPROC_TEST(unsupported)

static void pattern_dontwait(void *ctx, const char *ep)
{
    (void)ep;
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    void *pair = sock(ctx, ZMQ_PAIR);
    REQUIRE(push != NULL && pull != NULL && pair != NULL);
    char buf[8];
    uint64_t t0 = now_ms();
    CHECK_ERR(zmq_send(push, "x", 1, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK_ERR(zmq_send(pair, "x", 1, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK_ERR(zmq_recv(pair, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK(now_ms() - t0 < 1000); /* none of them waited */
    /* A zero timeout is the same as DONTWAIT. */
    set_int(pull, ZMQ_RCVTIMEO, 0);
    set_int(push, ZMQ_SNDTIMEO, 0);
    t0 = now_ms();
    CHECK_ERR(zmq_recv(pull, buf, sizeof buf, 0), -1, EAGAIN);
    CHECK_ERR(zmq_send(push, "x", 1, 0), -1, EAGAIN);
    CHECK(now_ms() - t0 < 1000);
}
INPROC_TEST(dontwait)

/* A blocking call with a timeout fails with EAGAIN, not before the
 * timeout (the clock's millisecond rounding aside) and not absurdly
 * late. */
static int times_out(void *s, int recv, int timeout_ms)
{
    CHECK_EQ(set_int(s, recv ? ZMQ_RCVTIMEO : ZMQ_SNDTIMEO, timeout_ms), 0);
    char buf[8] = "x";
    uint64_t t0 = now_us();
    errno = 0;
    int rc = recv ? zmq_recv(s, buf, sizeof buf, 0) : zmq_send(s, buf, 1, 0);
    int err = errno;
    uint64_t elapsed = now_us() - t0;
    int ok = rc == -1 && err == EAGAIN &&
             elapsed + 1000 >= (uint64_t)timeout_ms * 1000u &&
             elapsed < (uint64_t)timeout_ms * 1000u + 3000000u;
    if (!ok)
        fprintf(stderr, "  %s timeout %d ms: rc %d errno %d after %llu us\n",
                recv ? "recv" : "send", timeout_ms, rc, err,
                (unsigned long long)elapsed);
    return ok;
}

static void pattern_timeouts(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    /* No peer at all. */
    CHECK(times_out(pull, 1, 200));
    CHECK(times_out(push, 0, 150));
    /* A peer, but nothing to receive / no room to send. */
    CHECK_EQ(set_int(push, ZMQ_SNDHWM, 1), 0);
    CHECK_EQ(set_int(pull, ZMQ_RCVHWM, 1), 0);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    CHECK(times_out(pull, 1, 100));
    CHECK_EQ(fill(push, 100), 2);
    CHECK(times_out(push, 0, 100));
    /* Still usable after the timeouts. */
    CHECK(drain_numbered(pull, 2));
}
INPROC_TEST(timeouts)

/* ------------------------------------------------------------------------ */
/* High-water marks                                                          */
/* ------------------------------------------------------------------------ */

/* With SNDHWM a on the PUSH and RCVHWM b on the PULL, set before bind
 * and connect, exactly a + b messages fit (inproc adds both sides). */
static void hwm_case(void *ctx, const char *ep, int a, int b, int push_binds,
                     int connect_first)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    CHECK_EQ(set_int(push, ZMQ_SNDHWM, a), 0);
    CHECK_EQ(set_int(pull, ZMQ_RCVHWM, b), 0);
    void *binder = push_binds ? push : pull;
    void *connector = push_binds ? pull : push;
    char addr[256];
    if (connect_first) {
        CHECK_EQ(zmq_connect(connector, ep), 0);
        CHECK_EQ(zmq_bind(binder, ep), 0);
    } else {
        REQUIRE(bind_ep(binder, ep, addr, sizeof addr) == 0);
        CHECK_EQ(zmq_connect(connector, addr), 0);
    }
    int sent = fill(push, a + b + 100);
    if (sent != a + b) {
        fprintf(stderr,
                "  SNDHWM %d RCVHWM %d (%s binds%s): %d sent, want %d\n", a, b,
                push_binds ? "PUSH" : "PULL",
                connect_first ? ", connect first" : "", sent, a + b);
        test_failed_ = 1;
    }
    CHECK(drain_numbered(pull, sent));
    CHECK(nothing_within(pull, 10));
    /* Room again once read. */
    CHECK_EQ(send_str(push, "again", ZMQ_DONTWAIT), 5);
    CHECK(expect(pull, "again", 0));
    set_int(push, ZMQ_LINGER, 0);
    CHECK_EQ(sock_close(push), 0);
    CHECK_EQ(sock_close(pull), 0);
}

static void pattern_hwm(void *ctx, const char *ep)
{
    static const int cases[][2] = {{1, 1}, {2, 5},    {5, 2},      {1, 10},
                                   {7, 3}, {100, 50}, {1000, 1000}};
    char name[256];
    int k = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int mode = 0; mode < 4; mode++) {
            int push_binds = mode & 1, connect_first = mode >> 1;
            ep_variant(name, sizeof name, ep, k++);
            hwm_case(ctx, name, cases[i][0], cases[i][1], push_binds,
                     connect_first);
        }
    }
}
INPROC_TEST(hwm)

/* The parts of a multipart message count as one message. */
static void pattern_hwm_multipart(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    CHECK_EQ(set_int(push, ZMQ_SNDHWM, 2), 0);
    CHECK_EQ(set_int(pull, ZMQ_RCVHWM, 1), 0);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    int whole = 0;
    while (whole < 100 &&
           send_str(push, "p1", ZMQ_DONTWAIT | ZMQ_SNDMORE) == 2) {
        CHECK_EQ(send_str(push, "p2", ZMQ_DONTWAIT | ZMQ_SNDMORE), 2);
        CHECK_EQ(send_str(push, "p3", ZMQ_DONTWAIT), 2);
        whole++;
    }
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(whole, 3);
    for (int i = 0; i < whole; i++) {
        CHECK(expect(pull, "p1", 1));
        CHECK(expect(pull, "p2", 1));
        CHECK(expect(pull, "p3", 0));
    }
    CHECK(nothing_within(pull, 10));
}
INPROC_TEST(hwm_multipart)

/* 0 on either side means no limit. */
static void pattern_hwm_zero_unlimited(void *ctx, const char *ep)
{
    enum { N = 100000 };
    for (int side = 0; side < 2; side++) {
        void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
        REQUIRE(push != NULL && pull != NULL);
        CHECK_EQ(set_int(side ? pull : push, side ? ZMQ_RCVHWM : ZMQ_SNDHWM, 0),
                 0);
        char name[256], addr[256];
        ep_variant(name, sizeof name, ep, side);
        REQUIRE(bind_ep(pull, name, addr, sizeof addr) == 0);
        REQUIRE(zmq_connect(push, addr) == 0);
        int sent = fill(push, N);
        CHECK_EQ(sent, N);
        CHECK(drain_numbered(pull, sent));
        CHECK_EQ(sock_close(push), 0);
        CHECK_EQ(sock_close(pull), 0);
    }
}
INPROC_TEST(hwm_zero_unlimited)

struct sender {
    void *sock;
    const char *body;
    atomic_int state; /* 1: about to send, 2: returned */
    int rc, err;
};

static void *sender_main(void *arg)
{
    struct sender *t = arg;
    atomic_store(&t->state, 1);
    t->rc = zmq_send(t->sock, t->body, strlen(t->body), 0);
    t->err = errno;
    atomic_store(&t->state, 2);
    return NULL;
}

/* A send blocked at the HWM resumes when the receiver reads. */
static void pattern_blocked_send_resumes(void *ctx, const char *ep)
{
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    CHECK_EQ(set_int(push, ZMQ_SNDHWM, 1), 0);
    CHECK_EQ(set_int(pull, ZMQ_RCVHWM, 1), 0);
    CHECK_EQ(set_int(push, ZMQ_SNDTIMEO, -1), 0);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    REQUIRE(fill(push, 100) == 2);

    struct sender t = {.sock = push, .body = "2"};
    atomic_init(&t.state, 0);
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, sender_main, &t) == 0);
    uint64_t end = now_ms() + TIMEOUT_MS;
    while (atomic_load(&t.state) < 1 && now_ms() < end)
        pause_ms(1);
    CHECK_EQ(atomic_load(&t.state), 1);
    /* It blocks while the pipe is full ... */
    end = now_ms() + 100;
    while (now_ms() < end && atomic_load(&t.state) < 2)
        pause_ms(1);
    CHECK_EQ(atomic_load(&t.state), 1);
    /* ... and completes once the PULL reads. */
    CHECK(drain_numbered(pull, 3));
    pthread_join(th, NULL);
    CHECK_EQ(t.rc, 1);
}
INPROC_TEST(blocked_send_resumes)

/* ------------------------------------------------------------------------ */
/* ZMQ_FD and ZMQ_EVENTS                                                     */
/* ------------------------------------------------------------------------ */

static int fd_readable(zmq_fd_t fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* The edge-triggered contract: once ZMQ_EVENTS has reported the state,
 * the FD becomes readable when that state changes, and ZMQ_EVENTS then
 * shows the change. */
static void pattern_fd_events(void *ctx, const char *ep)
{
    void *a = sock(ctx, ZMQ_PAIR), *b = sock(ctx, ZMQ_PAIR);
    REQUIRE(a != NULL && b != NULL);
    char addr[256];
    REQUIRE(bind_ep(a, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(b, addr) == 0);
    zmq_fd_t fd_a = -1, fd_b = -1;
    size_t len = sizeof fd_a;
    CHECK_EQ(zmq_getsockopt(a, ZMQ_FD, &fd_a, &len), 0);
    len = sizeof fd_b;
    CHECK_EQ(zmq_getsockopt(b, ZMQ_FD, &fd_b, &len), 0);
    CHECK(fd_a >= 0 && fd_b >= 0 && fd_a != fd_b);

    for (int round = 0; round < 5; round++) {
        void *from = round % 2 ? b : a, *to = round % 2 ? a : b;
        zmq_fd_t fd = round % 2 ? fd_a : fd_b;
        int ev = get_int(to, ZMQ_EVENTS);
        CHECK(!(ev & ZMQ_POLLIN));
        CHECK(ev & ZMQ_POLLOUT); /* a peer with room */
        CHECK_EQ(send_str(from, "ping", 0), 4);
        CHECK(fd_readable(fd, TIMEOUT_MS));
        CHECK(get_int(to, ZMQ_EVENTS) & ZMQ_POLLIN);
        char buf[8];
        CHECK_EQ(zmq_recv(to, buf, sizeof buf, ZMQ_DONTWAIT), 4);
        CHECK(!(get_int(to, ZMQ_EVENTS) & ZMQ_POLLIN));
    }

    /* The same for POLLOUT on a full PUSH. */
    void *push = sock(ctx, ZMQ_PUSH), *pull = sock(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    CHECK_EQ(set_int(push, ZMQ_SNDHWM, 1), 0);
    CHECK_EQ(set_int(pull, ZMQ_RCVHWM, 1), 0);
    char ep2[256];
    ep_variant(ep2, sizeof ep2, ep, 2);
    REQUIRE(bind_ep(pull, ep2, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    zmq_fd_t fd_push = -1;
    len = sizeof fd_push;
    CHECK_EQ(zmq_getsockopt(push, ZMQ_FD, &fd_push, &len), 0);
    for (int round = 0; round < 3; round++) {
        CHECK(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT);
        CHECK_EQ(fill(push, 100), 2);
        CHECK_EQ(get_int(push, ZMQ_EVENTS), 0); /* neither in nor out */
        CHECK(drain_numbered(pull, 2));
        CHECK(fd_readable(fd_push, TIMEOUT_MS));
        CHECK(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT);
    }
    CHECK(!(get_int(pull, ZMQ_EVENTS) & ZMQ_POLLOUT)); /* never */
}
INPROC_TEST(fd_events)

/* ------------------------------------------------------------------------ */
/* Linger and life cycles                                                    */
/* ------------------------------------------------------------------------ */

/* With the default LINGER (-1) what a PUSH sent before closing is all
 * delivered; its close returns at once all the same. */
static void pattern_linger_delivers(void *ctx, const char *ep)
{
    void *pull = sock(ctx, ZMQ_PULL), *push = sock(ctx, ZMQ_PUSH);
    REQUIRE(pull != NULL && push != NULL);
    CHECK_EQ(get_int(push, ZMQ_LINGER), -1);
    char addr[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    int sent = fill(push, 500);
    CHECK_EQ(sent, 500);
    CHECK_EQ(send_str(push, "part1", ZMQ_SNDMORE), 5);
    CHECK_EQ(send_str(push, "part2", 0), 5);
    uint64_t t0 = now_ms();
    CHECK_EQ(sock_close(push), 0);
    CHECK(now_ms() - t0 < 1000);
    CHECK(drain_numbered(pull, sent));
    CHECK(expect(pull, "part1", 1));
    CHECK(expect(pull, "part2", 0));
    CHECK(nothing_within(pull, 20));
}
INPROC_TEST(linger_delivers)

/* zmq_close returns at once even when nothing it sent can be delivered
 * (the peer does not read and the pipe is full). */
static void pattern_close_does_not_block(void *ctx, const char *ep)
{
    void *pull = sock(ctx, ZMQ_PULL), *push = sock(ctx, ZMQ_PUSH);
    void *pair = sock(ctx, ZMQ_PAIR);
    REQUIRE(pull != NULL && push != NULL && pair != NULL);
    char addr[256], ep2[256];
    REQUIRE(bind_ep(pull, ep, addr, sizeof addr) == 0);
    REQUIRE(zmq_connect(push, addr) == 0);
    CHECK(fill(push, 100000) > 0);
    CHECK_ERR(send_str(push, "x", ZMQ_DONTWAIT), -1, EAGAIN);
    /* Never bound: nobody will ever read. */
    ep_variant(ep2, sizeof ep2, ep, 2);
    REQUIRE(zmq_connect(pair, ep2) == 0);
    CHECK(fill(pair, 100) > 0);
    uint64_t t0 = now_ms();
    CHECK_EQ(sock_close(push), 0);
    CHECK_EQ(sock_close(pair), 0);
    CHECK(now_ms() - t0 < 1000);
}
INPROC_TEST(close_does_not_block)

/* Descriptors this process has open. */
/* Many short-lived sockets: everything they took is given back (ASan
 * checks memory; descriptors are counted here). */
static void test_socket_cycles(void)
{
    enum { CYCLES = 10000 };
    int fds_before = test_count_fds();
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    watchdog_arm(25, "socket_cycles");
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    REQUIRE(pull != NULL);
    set_int(pull, ZMQ_RCVTIMEO, TIMEOUT_MS);
    CHECK_EQ(zmq_bind(pull, "inproc://cycles"), 0);
    int failures = 0;
    for (int i = 0; i < CYCLES && failures < 10; i++) {
        void *s = zmq_socket(ctx, i % 2 ? ZMQ_PUSH : ZMQ_PAIR);
        if (s == NULL) {
            fprintf(stderr, "  cycle %d: zmq_socket: %s\n", i,
                    zmq_strerror(errno));
            failures++;
            continue;
        }
        if (i % 2) {
            /* Connected, one message delivered, closed. */
            char body[16];
            snprintf(body, sizeof body, "%d", i);
            if (zmq_connect(s, "inproc://cycles") != 0 ||
                zmq_send(s, body, strlen(body), 0) < 0)
                failures++;
            zmq_close(s);
            char buf[16] = "";
            int n = zmq_recv(pull, buf, sizeof buf - 1, 0);
            if (n <= 0 || atoi(buf) != i)
                failures++;
        } else {
            /* Connected to a name never bound, with a message queued. */
            if (zmq_connect(s, "inproc://cycles-never") != 0 ||
                zmq_send(s, "q", 1, ZMQ_DONTWAIT) != 1)
                failures++;
            zmq_close(s);
        }
    }
    CHECK_EQ(failures, 0);
    CHECK_EQ(zmq_close(pull), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
    CHECK_EQ(test_count_fds(), fds_before);
}

TEST_MAIN(TEST(test_pair_exchange), TEST(test_multipart), TEST(test_send_const),
          TEST(test_msg_ownership), TEST(test_truncation),
          TEST(test_connect_before_bind), TEST(test_bind_before_connect),
          TEST(test_endpoint_errors), TEST(test_rebind),
          TEST(test_last_endpoint), TEST(test_disconnect),
          TEST(test_pair_single_peer), TEST(test_push_round_robin),
          TEST(test_pull_fair_queue), TEST(test_unsupported),
          TEST(test_dontwait), TEST(test_timeouts), TEST(test_hwm),
          TEST(test_hwm_multipart), TEST(test_hwm_zero_unlimited),
          TEST(test_blocked_send_resumes), TEST(test_fd_events),
          TEST(test_linger_delivers), TEST(test_close_does_not_block),
          TEST(test_socket_cycles))
