/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of ZMQ_CONFLATE: PUSH -> PULL with the option on the
 * sender or on the receiver (bound or connecting, and a sender that
 * connects before the receiver binds), PUB -> SUB, DEALER <-> DEALER, a
 * type that ignores the option (PAIR), a conflating sender that never
 * waits at its high-water mark, multipart messages (the last one is
 * delivered whole), subscriptions that are not conflated, and a sender
 * thread racing a receiver.
 *
 * The program runs once per transport (testutil_transport.h).  inproc
 * moves messages at send time, so after the sends return the newest one
 * is waiting: the receiver polls (with a timeout) for it, and "nothing
 * more" is a ZMQ_DONTWAIT receive after it.  Over tcp and ipc messages
 * leave through the I/O thread one by one, so the receiver may see some
 * older ones first: it takes what comes, which must be in order and end
 * with the newest (expect_newest), and nothing may follow that (what was
 * sent before it cannot arrive after it).  link_up waits for the
 * connection (its ZMTP handshake) so that a binder has somewhere to send.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_transport.h"

#define TIMEOUT_MS 5000
#define N          100

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static void watchdog_fired(int sig)
{
    (void)sig;
    static const char msg[] = "WATCHDOG: test_conflate hung\n";
    ssize_t rc = write(2, msg, sizeof msg - 1);
    (void)rc;
    _exit(2);
}

static void watchdog_arm(unsigned seconds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fired;
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
}

static int set_int(void *s, int option, int value)
{
    return zmq_setsockopt(s, option, &value, sizeof value);
}

static int get_int(void *s, int option)
{
    int value = -12345;
    size_t len = sizeof value;
    if (zmq_getsockopt(s, option, &value, &len) != 0)
        return -12345;
    return value;
}

/* A socket with timeouts, so that a failing test cannot hang. */
static void *sock(void *ctx, int type, int conflate)
{
    void *s = zmq_socket(ctx, type);
    if (s == NULL)
        return NULL;
    set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
    set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
    set_int(s, ZMQ_LINGER, 0);
    if (conflate)
        set_int(s, ZMQ_CONFLATE, 1);
    return s;
}

/* Binds binder for the place `name`, connects connecter to it and
 * waits until the connection is up (the binder can send on it). */
static int link_up(void *ctx, void *binder, void *connecter, const char *name)
{
    char ep[256];
    void *mon = tt_monitor(ctx, binder);
    int rc = tt_bind(binder, name, ep, sizeof ep) || zmq_connect(connecter, ep)
                 ? -1
                 : 0;
    if (rc == 0 && !tt_await_handshakes(mon, 1, TIMEOUT_MS)) {
        fprintf(stderr, "  no connection to %s\n", ep);
        rc = -1;
    }
    tt_monitor_stop(binder, mon);
    return rc;
}

static int send_fmt(void *s, const char *prefix, int i, int flags)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s%d", prefix, i);
    return zmq_send(s, buf, (size_t)n, flags);
}

/* Sends prefix0 .. prefix(n-1) without ever waiting; the count sent. */
static int send_many(void *s, const char *prefix, int n)
{
    int sent = 0;
    for (int i = 0; i < n; i++)
        sent += send_fmt(s, prefix, i, ZMQ_DONTWAIT) >= 0;
    return sent;
}

/* Waits (bounded) for a message, receives it and checks it is `want`
 * with RCVMORE `more`. */
static int expect(void *s, const char *want, int more)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, TIMEOUT_MS) != 1) {
        fprintf(stderr, "  expected \"%s\", nothing came\n", want);
        return 0;
    }
    char buf[64];
    int n = zmq_recv(s, buf, sizeof buf - 1, ZMQ_DONTWAIT);
    if (n < 0) {
        fprintf(stderr, "  expected \"%s\", recv failed: %s\n", want,
                zmq_strerror(errno));
        return 0;
    }
    buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] = '\0';
    int got_more = get_int(s, ZMQ_RCVMORE);
    if (strcmp(buf, want) != 0 || got_more != more) {
        fprintf(stderr, "  expected \"%s\" more %d, got \"%s\" more %d\n", want,
                more, buf, got_more);
        return 0;
    }
    return 1;
}

/* Receives prefix<k> messages until prefix<last> came: over inproc that
 * must be the first, otherwise each must be newer than the one before. */
static int expect_newest(void *s, const char *prefix, int last)
{
    char want[32];
    snprintf(want, sizeof want, "%s%d", prefix, last);
    if (tt_is_inproc())
        return expect(s, want, 0);
    size_t plen = strlen(prefix);
    int prev = -1;
    for (;;) {
        char buf[64];
        int n = zmq_recv(s, buf, sizeof buf - 1, 0);
        if (n < 0) {
            fprintf(stderr, "  expected \"%s\", recv failed: %s\n", want,
                    zmq_strerror(errno));
            return 0;
        }
        buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] = '\0';
        int k = strncmp(buf, prefix, plen) == 0 ? atoi(buf + plen) : -1;
        if (k <= prev || k > last || get_int(s, ZMQ_RCVMORE) != 0) {
            fprintf(stderr, "  expected \"%s\" or older after %d, got \"%s\"\n",
                    want, prev, buf);
            return 0;
        }
        if (k == last)
            return 1;
        prev = k;
    }
}

/* Nothing is waiting now (the last message is known to have come). */
static int nothing_now(void *s)
{
    char buf[64];
    int n = zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT);
    if (n >= 0) {
        fprintf(stderr, "  expected nothing, got \"%.*s\"\n",
                n < (int)sizeof buf ? n : (int)sizeof buf, buf);
        return 0;
    }
    if (errno != EAGAIN) {
        fprintf(stderr, "  expected EAGAIN, got %s\n", zmq_strerror(errno));
        return 0;
    }
    return 1;
}

/* N messages from `from`, with no receive meanwhile: `to` gets only the
 * last, then nothing. */
static void check_conflated(void *from, void *to, const char *prefix)
{
    CHECK_EQ(send_many(from, prefix, N), N);
    CHECK(expect_newest(to, prefix, N - 1));
    CHECK(nothing_now(to));
    /* And again, once the receiver has drained the pipe. */
    for (int i = N; i < 2 * N; i++)
        CHECK(send_fmt(from, prefix, i, ZMQ_DONTWAIT) >= 0);
    CHECK(expect_newest(to, prefix, 2 * N - 1));
    CHECK(nothing_now(to));
}

static void *ctx_new(void)
{
    watchdog_arm(60);
    return zmq_ctx_new();
}

static void ctx_end(void *ctx, void *a, void *b)
{
    if (a != NULL)
        CHECK_EQ(zmq_close(a), 0);
    if (b != NULL)
        CHECK_EQ(zmq_close(b), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    alarm(0);
}

/* ------------------------------------------------------------------------ */
/* PUSH -> PULL                                                              */
/* ------------------------------------------------------------------------ */

/* CONFLATE on the sender, which binds, then connects. */
static void test_push_pull_sender(void)
{
    for (int push_binds = 0; push_binds < 2; push_binds++) {
        void *ctx = ctx_new();
        REQUIRE(ctx != NULL);
        void *push = sock(ctx, ZMQ_PUSH, 1), *pull = sock(ctx, ZMQ_PULL, 0);
        REQUIRE(push && pull);
        if (push_binds)
            CHECK_EQ(link_up(ctx, push, pull, "push-sender"), 0);
        else
            CHECK_EQ(link_up(ctx, pull, push, "push-sender"), 0);
        check_conflated(push, pull, "s");
        ctx_end(ctx, push, pull);
    }
}

/* CONFLATE on the receiver, which binds, then connects. */
static void test_push_pull_receiver(void)
{
    for (int pull_binds = 0; pull_binds < 2; pull_binds++) {
        void *ctx = ctx_new();
        REQUIRE(ctx != NULL);
        void *push = sock(ctx, ZMQ_PUSH, 0), *pull = sock(ctx, ZMQ_PULL, 1);
        REQUIRE(push && pull);
        if (pull_binds)
            CHECK_EQ(link_up(ctx, pull, push, "push-receiver"), 0);
        else
            CHECK_EQ(link_up(ctx, push, pull, "push-receiver"), 0);
        check_conflated(push, pull, "r");
        ctx_end(ctx, push, pull);
    }
}

/* A conflating sender that connects before anyone binds: what it sends
 * meanwhile is conflated too, and the binder gets the last. */
static void test_connect_before_bind(void)
{
    void *ctx = ctx_new();
    REQUIRE(ctx != NULL);
    void *push = sock(ctx, ZMQ_PUSH, 1), *pull = sock(ctx, ZMQ_PULL, 0);
    REQUIRE(push && pull);
    char ep[256];
    REQUIRE(tt_fixed_ep("early", ep, sizeof ep) == 0);
    CHECK_EQ(zmq_connect(push, ep), 0);
    CHECK_EQ(send_many(push, "e", N), N);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    CHECK(expect(pull, "e99", 0)); /* nothing left before the bind */
    CHECK(nothing_now(pull));
    check_conflated(push, pull, "e");
    ctx_end(ctx, push, pull);
}

/* At its high-water mark a conflating sender neither waits nor fails;
 * without CONFLATE the same pair refuses (the control case).  Over tcp
 * and ipc the kernel's socket buffers hold more than the marks, so there
 * the messages are large (16 MB in all, more than the kernel holds). */
static void test_never_blocks(void)
{
    enum { BIG = 16384 };
    static char buf[BIG];
    const int count = tt_is_inproc() ? 10000 : 1000;
    const size_t size = tt_is_inproc() ? 8 : BIG;
    for (int conflate = 0; conflate < 2; conflate++) {
        void *ctx = ctx_new();
        REQUIRE(ctx != NULL);
        void *push = sock(ctx, ZMQ_PUSH, conflate);
        void *pull = sock(ctx, ZMQ_PULL, 0);
        REQUIRE(push && pull);
        CHECK_EQ(set_int(push, ZMQ_SNDHWM, 1), 0);
        CHECK_EQ(set_int(pull, ZMQ_RCVHWM, 1), 0);
        CHECK_EQ(set_int(push, ZMQ_SNDTIMEO, 0), 0);
        CHECK_EQ(link_up(ctx, pull, push, "hwm"), 0);
        int sent = 0;
        for (int i = 0; i < count; i++) {
            if (conflate)
                CHECK(get_int(push, ZMQ_EVENTS) & ZMQ_POLLOUT);
            memset(buf, 0, 16);
            snprintf(buf, 16, "h%d", i);
            /* SNDTIMEO 0 */
            sent += zmq_send(push, buf, size, 0) == (int)size;
        }
        if (conflate) {
            CHECK_EQ(sent, count);
            CHECK(expect_newest(pull, "h", count - 1));
        } else {
            CHECK(sent < count);
            if (tt_is_inproc())
                CHECK(sent < 10); /* the marks add up: 2 */
            CHECK(expect(pull, "h0", 0));
        }
        ctx_end(ctx, push, pull);
    }
}

/* The last complete multipart message is delivered whole. */
static void test_multipart(void)
{
    void *ctx = ctx_new();
    REQUIRE(ctx != NULL);
    void *push = sock(ctx, ZMQ_PUSH, 1), *pull = sock(ctx, ZMQ_PULL, 0);
    REQUIRE(push && pull);
    CHECK_EQ(link_up(ctx, pull, push, "multipart"), 0);
    for (int i = 0; i < 10; i++) {
        CHECK(send_fmt(push, "a", i, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0);
        CHECK(send_fmt(push, "b", i, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0);
        CHECK(send_fmt(push, "c", i, ZMQ_DONTWAIT) >= 0);
    }
    /* An unfinished message is not delivered before its last part. */
    CHECK(send_fmt(push, "a", 10, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0);
    /* Over tcp and ipc older messages may come first, each whole. */
    int k = -1;
    while (!tt_is_inproc() && k < 9 && !test_failed_) {
        char buf[16];
        int n = zmq_recv(pull, buf, sizeof buf - 1, 0);
        REQUIRE(n > 1 && n < (int)sizeof buf && buf[0] == 'a' &&
                get_int(pull, ZMQ_RCVMORE));
        buf[n] = '\0';
        int j = atoi(buf + 1);
        CHECK(j > k && j <= 9);
        k = j;
        if (k < 9) {
            snprintf(buf, sizeof buf, "b%d", k);
            CHECK(expect(pull, buf, 1));
            snprintf(buf, sizeof buf, "c%d", k);
            CHECK(expect(pull, buf, 0));
        }
    }
    if (tt_is_inproc())
        CHECK(expect(pull, "a9", 1));
    CHECK(expect(pull, "b9", 1));
    CHECK(expect(pull, "c9", 0));
    CHECK(nothing_now(pull));
    CHECK(send_fmt(push, "b", 10, ZMQ_DONTWAIT) >= 0);
    CHECK(expect(pull, "a10", 1));
    CHECK(expect(pull, "b10", 0));
    CHECK(nothing_now(pull));
    ctx_end(ctx, push, pull);
}

/* ------------------------------------------------------------------------ */
/* PUB -> SUB                                                                */
/* ------------------------------------------------------------------------ */

/* Over tcp and ipc the subscriptions reach the PUB some time after the
 * connection: publishes "<topic>~probe" until the SUB gets one, then
 * "<topic>~last" and reads up to that, so that no probe is left on its
 * way.  Over inproc the subscriptions made before the connect are there
 * when it returns, so this does nothing. */
static int await_sub(void *pub, void *sub, const char *topic)
{
    if (tt_is_inproc())
        return 1;
    char probe[32], last[32], buf[64];
    snprintf(probe, sizeof probe, "%s~probe", topic);
    snprintf(last, sizeof last, "%s~last", topic);
    for (int i = 0; i < 500; i++) {
        zmq_send(pub, probe, strlen(probe), ZMQ_DONTWAIT);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 10) <= 0)
            continue;
        zmq_send(pub, last, strlen(last), 0);
        int n;
        while ((n = zmq_recv(sub, buf, sizeof buf, 0)) >= 0)
            if ((size_t)n == strlen(last) && memcmp(buf, last, n) == 0)
                return 1;
        fprintf(stderr, "  last probe lost: %s\n", zmq_strerror(errno));
        return 0;
    }
    fprintf(stderr, "  subscription to \"%s\" never arrived\n", topic);
    return 0;
}

static void test_pub_sub(void)
{
    /* CONFLATE on the SUB (which connects), then on the PUB (which
     * binds). */
    for (int on_pub = 0; on_pub < 2; on_pub++) {
        void *ctx = ctx_new();
        REQUIRE(ctx != NULL);
        void *pub = sock(ctx, ZMQ_PUB, on_pub),
             *sub = sock(ctx, ZMQ_SUB, !on_pub);
        REQUIRE(pub && sub);
        /* Subscribed before connecting: the PUB learns it on attach. */
        CHECK_EQ(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
        CHECK_EQ(link_up(ctx, pub, sub, "pubsub"), 0);
        CHECK(await_sub(pub, sub, ""));
        check_conflated(pub, sub, "p");
        ctx_end(ctx, pub, sub);
    }
}

/* Subscriptions travel the other way and are never conflated: all of
 * a burst reach the publisher. */
static void test_subscriptions_kept(void)
{
    for (int on_pub = 0; on_pub < 2; on_pub++) {
        void *ctx = ctx_new();
        REQUIRE(ctx != NULL);
        void *pub = sock(ctx, ZMQ_PUB, on_pub),
             *sub = sock(ctx, ZMQ_SUB, !on_pub);
        REQUIRE(pub && sub);
        CHECK_EQ(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "a", 1), 0);
        CHECK_EQ(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "b", 1), 0);
        CHECK_EQ(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "c", 1), 0);
        CHECK_EQ(link_up(ctx, pub, sub, "subs"), 0);
        /* They travel in order: once "c" is there, all are. */
        CHECK(await_sub(pub, sub, "c"));
        CHECK(zmq_send(pub, "a1", 2, 0) == 2);
        CHECK(expect(sub, "a1", 0));
        CHECK(zmq_send(pub, "b1", 2, 0) == 2);
        CHECK(expect(sub, "b1", 0));
        CHECK(zmq_send(pub, "x1", 2, 0) == 2); /* filtered */
        CHECK(zmq_send(pub, "c1", 2, 0) == 2);
        CHECK(expect(sub, "c1", 0));
        CHECK(nothing_now(sub));
        ctx_end(ctx, pub, sub);
    }
}

/* ------------------------------------------------------------------------ */
/* DEALER <-> DEALER, PAIR                                                   */
/* ------------------------------------------------------------------------ */

/* One DEALER conflates: both directions of its connections do. */
static void test_dealer_dealer(void)
{
    for (int binder_conflates = 0; binder_conflates < 2; binder_conflates++) {
        void *ctx = ctx_new();
        REQUIRE(ctx != NULL);
        void *a = sock(ctx, ZMQ_DEALER, binder_conflates);
        void *b = sock(ctx, ZMQ_DEALER, !binder_conflates);
        REQUIRE(a && b);
        CHECK_EQ(link_up(ctx, a, b, "dealer"), 0);
        check_conflated(b, a, "ba");
        check_conflated(a, b, "ab");
        ctx_end(ctx, a, b);
    }
}

/* PAIR accepts the option and ignores it, as libzmq. */
static void test_pair_ignores(void)
{
    void *ctx = ctx_new();
    REQUIRE(ctx != NULL);
    void *a = sock(ctx, ZMQ_PAIR, 1), *b = sock(ctx, ZMQ_PAIR, 1);
    REQUIRE(a && b);
    CHECK_EQ(get_int(a, ZMQ_CONFLATE), 1);
    CHECK_EQ(link_up(ctx, a, b, "pair"), 0);
    CHECK_EQ(send_many(a, "q", N), N);
    char want[32];
    for (int i = 0; i < N; i++) {
        snprintf(want, sizeof want, "q%d", i);
        CHECK(expect(b, want, 0));
    }
    CHECK(nothing_now(b));
    ctx_end(ctx, a, b);
}

/* ------------------------------------------------------------------------ */
/* A sender thread against a receiver                                        */
/* ------------------------------------------------------------------------ */

#define RACE_N 200000

static void *race_sender(void *arg)
{
    void *push = arg;
    for (uint32_t i = 0; i < RACE_N; i++)
        if (zmq_send(push, &i, sizeof i, 0) != sizeof i)
            break;
    return NULL;
}

/* The receiver sees a strictly increasing subsequence that ends with the
 * last message. */
static void test_race(void)
{
    void *ctx = ctx_new();
    REQUIRE(ctx != NULL);
    void *push = sock(ctx, ZMQ_PUSH, 1), *pull = sock(ctx, ZMQ_PULL, 1);
    REQUIRE(push && pull);
    CHECK_EQ(link_up(ctx, pull, push, "race"), 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, race_sender, push) == 0);
    uint32_t v = 0, prev = 0;
    int got = 0, ordered = 1;
    while (zmq_recv(pull, &v, sizeof v, 0) == sizeof v) {
        if (got > 0 && v <= prev)
            ordered = 0;
        prev = v;
        got++;
        if (v == RACE_N - 1)
            break;
    }
    pthread_join(t, NULL);
    CHECK(ordered);
    CHECK_EQ(prev, RACE_N - 1);
    CHECK(got >= 1 && got <= RACE_N);
    CHECK(nothing_now(pull));
    ctx_end(ctx, push, pull);
}

TEST_MAIN(TEST(test_push_pull_sender), TEST(test_push_pull_receiver),
          TEST(test_connect_before_bind), TEST(test_never_blocks),
          TEST(test_multipart), TEST(test_pub_sub),
          TEST(test_subscriptions_kept), TEST(test_dealer_dealer),
          TEST(test_pair_ignores), TEST(test_race))
