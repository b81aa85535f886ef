/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of PUB, SUB, XPUB and XSUB (RFC 29): prefix filtering,
 * subscribe/unsubscribe with reference counts, late joiners and
 * subscribers that bind, fan-out, fan-in, multipart messages, the
 * XPUB/XSUB subscription messages, a proxy chain forwarded by hand,
 * every XPUB/XSUB option, high-water marks (drop vs XPUB_NODROP),
 * ZMQ_TOPICS_COUNT, CONFLATE on SUB, and the errors of each type.
 *
 * Each pattern takes a context and an endpoint to bind (inproc://name,
 * tcp://127.0.0.1:* or ipc://@...-name; the program runs once per
 * transport, see testutil_transport.h); connecting sockets use the
 * binder's ZMQ_LAST_ENDPOINT.  Subscriptions reach a PUB
 * asynchronously, so a pattern waits for them: on XPUB by receiving the
 * subscription itself, on PUB with await_sub(), which publishes probes on
 * the topic until one arrives, then a last probe it reads up to, so no
 * probe is left in flight (bounded waits for an event, not sleeps).
 * expect() skips stray probes.  Filtering is checked by sequence: after
 * messages that must be dropped comes one that must arrive, and it must
 * be the next.  Where only inproc can promise an exact count (marks that
 * add up, what is queued "now") the check says so.
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
#define PROBE      "~probe~"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

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

static int set_str(void *s, int option, const char *value)
{
    return zmq_setsockopt(s, option, value, strlen(value));
}

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

static int sock_close(void *s)
{
    for (size_t i = 0; i < n_open; i++) {
        if (open_socks[i] == s) {
            open_socks[i] = open_socks[--n_open];
            break;
        }
    }
    set_int(s, ZMQ_LINGER, 0);
    return zmq_close(s);
}

typedef void pattern_fn(void *ctx, const char *ep);

static void run(const char *name, pattern_fn *fn, const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    n_open = 0;
    watchdog_arm(30, name);
    fn(ctx, ep);
    while (n_open > 0) {
        void *s = open_socks[--n_open];
        set_int(s, ZMQ_LINGER, 0);
        CHECK_EQ(zmq_close(s), 0);
    }
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    alarm(0);
}

#define TRANSPORT_TEST(name)                                                   \
    static void test_##name(void)                                              \
    {                                                                          \
        char ep_[256];                                                         \
        tt_bind_ep(#name, ep_, sizeof ep_);                                    \
        run(#name, pattern_##name, ep_);                                       \
    }

static void ep_variant(char *out, size_t size, const char *ep, int i)
{
    size_t n = strlen(ep);
    if (n > 0 && ep[n - 1] == '*')
        snprintf(out, size, "%s", ep);
    else
        snprintf(out, size, "%s-%d", ep, i);
}

/* Binds s to ep; out gets the endpoint peers connect to. */
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

/* Sends a subscription message (XSUB): byte 1 or 0, then the topic. */
static int send_sub(void *s, int subscribe, const char *topic, int flags)
{
    char buf[256];
    size_t n = strlen(topic);
    buf[0] = (char)subscribe;
    memcpy(buf + 1, topic, n);
    return zmq_send(s, buf, n + 1, flags);
}

static int is_probe(const char *buf, int n)
{
    size_t k = strlen(PROBE);
    return n >= (int)k && memcmp(buf + n - k, PROBE, k) == 0;
}

/* Receives one part (skipping probes) and checks it is `want` (n bytes,
 * may hold NULs) with RCVMORE `more`. */
static int expect_n(void *s, const char *want, size_t wn, int more)
{
    char buf[256];
    int n;
    do {
        n = zmq_recv(s, buf, sizeof buf, 0);
    } while (n >= 0 && is_probe(buf, n) && !get_int(s, ZMQ_RCVMORE));
    if (n < 0) {
        fprintf(stderr, "  expected \"%s\", recv failed: %s\n", want + !wn,
                zmq_strerror(errno));
        return 0;
    }
    int got_more = get_int(s, ZMQ_RCVMORE);
    if ((size_t)n != wn || memcmp(buf, want, wn) != 0 || got_more != more) {
        buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] = '\0';
        fprintf(stderr,
                "  expected \"%.*s\" (%zu) more %d, got \"%s\" (%d) more %d\n",
                (int)wn, want, wn, more, buf, n, got_more);
        return 0;
    }
    return 1;
}

static int expect(void *s, const char *want, int more)
{
    return expect_n(s, want, strlen(want), more);
}

/* Expects a subscription message (XPUB recv). */
static int expect_sub(void *s, int subscribe, const char *topic)
{
    char buf[256];
    size_t n = strlen(topic);
    buf[0] = (char)subscribe;
    memcpy(buf + 1, topic, n);
    return expect_n(s, buf, n + 1, 0);
}

/* Nothing is waiting now (inproc: what was sent is already there). */
static int nothing_now(void *s)
{
    char buf[256];
    int n;
    do {
        errno = 0;
        n = zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT);
    } while (n >= 0 && is_probe(buf, n));
    if (n >= 0)
        fprintf(stderr, "  unexpected message of %d bytes\n", n);
    return n < 0 && errno == EAGAIN;
}

/* Publishes `topic`PROBE on pub until receiver gets a message (any):
 * the subscription to topic has reached pub.  Then publishes a last
 * probe and reads up to it, so that no probe is still on its way (over
 * tcp and ipc several may be). */
static int await_sub(void *pub, void *receiver, const char *topic)
{
    char probe[128], last[128], buf[256];
    snprintf(probe, sizeof probe, "%s%s", topic, PROBE);
    snprintf(last, sizeof last, "%s~last%s", topic, PROBE);
    size_t last_n = strlen(last);
    for (int i = 0; i < 1000; i++) {
        send_str(pub, probe, ZMQ_DONTWAIT);
        zmq_pollitem_t item = {receiver, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 10) > 0) {
            if (zmq_recv(receiver, buf, sizeof buf, 0) < 0)
                return 0;
            send_str(pub, last, 0);
            int n;
            while ((n = zmq_recv(receiver, buf, sizeof buf, 0)) >= 0)
                if ((size_t)n == last_n && memcmp(buf, last, last_n) == 0)
                    return 1;
            fprintf(stderr, "  last probe on \"%s\" lost: %s\n", topic,
                    zmq_strerror(errno));
            return 0;
        }
    }
    fprintf(stderr, "  subscription to \"%s\" never arrived\n", topic);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* PUB / SUB                                                                 */
/* ------------------------------------------------------------------------ */

static void pattern_basic(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "A"), 0);
    REQUIRE(await_sub(pub, sub, "A"));
    CHECK_EQ(send_str(pub, "A1", 0), 2);
    CHECK_EQ(send_str(pub, "B1", 0), 2);
    CHECK_EQ(send_str(pub, "A2", 0), 2);
    CHECK(expect(sub, "A1", 0));
    CHECK(expect(sub, "A2", 0));
    /* A message nobody subscribed to is dropped, not an error. */
    CHECK_EQ(send_str(pub, "zzz", ZMQ_DONTWAIT), 3);
}
TRANSPORT_TEST(basic)

static void pattern_prefix(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "ab"), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "x"), 0);
    REQUIRE(await_sub(pub, sub, "x"));
    REQUIRE(await_sub(pub, sub, "ab"));
    const char *out[] = {"abc", "a", "b", "xyz", "ab", "ba", "x"};
    for (size_t i = 0; i < 7; i++)
        send_str(pub, out[i], 0);
    CHECK(expect(sub, "abc", 0));
    CHECK(expect(sub, "xyz", 0));
    CHECK(expect(sub, "ab", 0));
    CHECK(expect(sub, "x", 0));

    /* Binary topics with NULs.  Subscriptions travel in order, so once
     * the one after it is in place, so is this one. */
    CHECK_EQ(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "\0\1", 2), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "sync"), 0);
    REQUIRE(await_sub(pub, sub, "sync"));
    CHECK_EQ(zmq_send(pub, "\0\2", 2, 0), 2);
    CHECK_EQ(zmq_send(pub, "\0\1\0", 3, 0), 3);
    CHECK(expect_n(sub, "\0\1\0", 3, 0));

    /* Unsubscribe: "x" goes, "ab" stays. */
    CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, "x"), 0);
    send_str(pub, "x1", 0);
    send_str(pub, "ab1", 0);
    CHECK(expect(sub, "ab1", 0));
    /* Unsubscribing what was never subscribed is fine. */
    CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, "never"), 0);
}
TRANSPORT_TEST(prefix)

/* Subscriptions are counted: two SUBSCRIBEs need two UNSUBSCRIBEs. */
static void pattern_refcount(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "t"), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "t"), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "end"), 0);
    REQUIRE(await_sub(pub, sub, "t"));
    REQUIRE(await_sub(pub, sub, "end"));
    CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, "t"), 0);
    send_str(pub, "t1", 0);
    CHECK(expect(sub, "t1", 0));
    CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, "t"), 0);
    send_str(pub, "t2", 0);
    send_str(pub, "end", 0);
    CHECK(expect(sub, "end", 0));
}
TRANSPORT_TEST(refcount)

/* The empty subscription gets everything. */
static void pattern_all(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, NULL, 0), 0);
    REQUIRE(await_sub(pub, sub, ""));
    send_str(pub, "anything", 0);
    CHECK_EQ(zmq_send(pub, "", 0, 0), 0);
    CHECK(expect(sub, "anything", 0));
    CHECK(expect(sub, "", 0));
}
TRANSPORT_TEST(all)

/* Subscriptions made before the connection exists (connect before bind,
 * subscribe before connect) and a SUB that binds all reach the PUB. */
static void pattern_late_joiner(void *ctx, const char *ep)
{
    char addr[256], ep2[256], addr2[256];
    void *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(sub);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "news"), 0);
    ep_variant(ep2, sizeof ep2, ep, 2);
    REQUIRE(bind_ep(sub, ep2, addr2, sizeof addr2) == 0);

    /* A PUB connecting to a bound SUB learns its subscriptions. */
    void *pub1 = sock(ctx, ZMQ_PUB);
    REQUIRE(pub1);
    CHECK_EQ(zmq_connect(pub1, addr2), 0);
    REQUIRE(await_sub(pub1, sub, "news"));
    send_str(pub1, "weather", 0);
    send_str(pub1, "news1", 0);
    CHECK(expect(sub, "news1", 0));

    /* A PUB that binds later gets them too (over tcp the SUB keeps
     * retrying the connection until the bind). */
    void *pub2 = sock(ctx, ZMQ_PUB);
    REQUIRE(pub2);
    REQUIRE(tt_fixed_ep("late_joiner-fixed", addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0); /* before the bind */
    CHECK_EQ(zmq_bind(pub2, addr), 0);
    REQUIRE(await_sub(pub2, sub, "news"));
    send_str(pub2, "sport", 0);
    send_str(pub2, "news2", 0);
    CHECK(expect(sub, "news2", 0));
}
TRANSPORT_TEST(late_joiner)

/* One PUB, three SUBs with different subscriptions. */
static void pattern_fan_out(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB);
    REQUIRE(pub);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    void *subs[3];
    const char *topics[3] = {"a", "b", ""};
    for (int i = 0; i < 3; i++) {
        subs[i] = sock(ctx, ZMQ_SUB);
        REQUIRE(subs[i]);
        CHECK_EQ(zmq_connect(subs[i], addr), 0);
        CHECK_EQ(set_str(subs[i], ZMQ_SUBSCRIBE, topics[i]), 0);
        CHECK_EQ(set_str(subs[i], ZMQ_SUBSCRIBE, "end"), 0);
        REQUIRE(await_sub(pub, subs[i], "end"));
    }
    send_str(pub, "a1", 0);
    send_str(pub, "b1", 0);
    send_str(pub, "c1", 0);
    send_str(pub, "end", 0);
    CHECK(expect(subs[0], "a1", 0));
    CHECK(expect(subs[0], "end", 0));
    CHECK(expect(subs[1], "b1", 0));
    CHECK(expect(subs[1], "end", 0));
    CHECK(expect(subs[2], "a1", 0));
    CHECK(expect(subs[2], "b1", 0));
    CHECK(expect(subs[2], "c1", 0));
    CHECK(expect(subs[2], "end", 0));
}
TRANSPORT_TEST(fan_out)

/* Two PUBs into one SUB: both are heard, fairly. */
static void pattern_fan_in(void *ctx, const char *ep)
{
    char ep1[256], ep2[256], a1[256], a2[256];
    void *pub1 = sock(ctx, ZMQ_PUB), *pub2 = sock(ctx, ZMQ_PUB);
    void *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub1 && pub2 && sub);
    ep_variant(ep1, sizeof ep1, ep, 1);
    ep_variant(ep2, sizeof ep2, ep, 2);
    REQUIRE(bind_ep(pub1, ep1, a1, sizeof a1) == 0);
    REQUIRE(bind_ep(pub2, ep2, a2, sizeof a2) == 0);
    CHECK_EQ(zmq_connect(sub, a1), 0);
    CHECK_EQ(zmq_connect(sub, a2), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "m"), 0);
    REQUIRE(await_sub(pub1, sub, "m"));
    REQUIRE(await_sub(pub2, sub, "m"));
    for (int i = 0; i < 3; i++) {
        send_str(pub1, "m-one", 0);
        send_str(pub2, "m-two", 0);
    }
    int one = 0, two = 0, alternations = 0;
    char prev = 0;
    for (int i = 0; i < 6; i++) {
        char buf[32];
        int n;
        do {
            n = zmq_recv(sub, buf, sizeof buf - 1, 0);
        } while (n >= 0 && is_probe(buf, n));
        REQUIRE(n > 0);
        buf[n] = '\0';
        one += strcmp(buf, "m-one") == 0;
        two += strcmp(buf, "m-two") == 0;
        alternations += i > 0 && buf[2] != prev;
        prev = buf[2];
    }
    CHECK_EQ(one, 3);
    CHECK_EQ(two, 3);
    if (tt_is_inproc())
        CHECK_EQ(alternations, 5); /* strictly fair when all is there */
}
TRANSPORT_TEST(fan_in)

/* A message matches by its first part; all its parts follow, and a
 * message that does not match is dropped whole. */
static void pattern_multipart(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "top"), 0);
    REQUIRE(await_sub(pub, sub, "top"));
    send_str(pub, "zzz", ZMQ_SNDMORE);
    send_str(pub, "top-but-second", 0);
    send_str(pub, "topic", ZMQ_SNDMORE);
    send_str(pub, "x", ZMQ_SNDMORE);
    send_str(pub, "body", 0);
    send_str(pub, "nope", ZMQ_SNDMORE);
    send_str(pub, "body2", 0);
    send_str(pub, "top2", 0);
    CHECK(expect(sub, "topic", 1));
    CHECK(expect(sub, "x", 1));
    CHECK(expect(sub, "body", 0));
    CHECK(expect(sub, "top2", 0));

    /* Large bodies are shared between subscribers, not copied. */
    void *sub2 = sock(ctx, ZMQ_SUB);
    REQUIRE(sub2);
    CHECK_EQ(zmq_connect(sub2, addr), 0);
    CHECK_EQ(set_str(sub2, ZMQ_SUBSCRIBE, "top"), 0);
    REQUIRE(await_sub(pub, sub2, "top"));
    char big[200];
    memset(big, 'q', sizeof big);
    memcpy(big, "top", 3);
    CHECK_EQ(zmq_send(pub, big, sizeof big, 0), (int)sizeof big);
    CHECK(expect_n(sub, big, sizeof big, 0));
    CHECK(expect_n(sub2, big, sizeof big, 0));
}
TRANSPORT_TEST(multipart)

static void pattern_errors(void *ctx, const char *ep)
{
    (void)ep;
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    void *xpub = sock(ctx, ZMQ_XPUB), *xsub = sock(ctx, ZMQ_XSUB);
    void *push = sock(ctx, ZMQ_PUSH);
    REQUIRE(pub && sub && xpub && xsub && push);
    char buf[16];
    CHECK_ERR(zmq_recv(pub, buf, sizeof buf, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_recv(pub, buf, sizeof buf, ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK_ERR(send_str(sub, "x", 0), -1, ENOTSUP);
    CHECK_ERR(send_str(sub, "x", ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK_ERR(set_str(pub, ZMQ_SUBSCRIBE, "a"), -1, EINVAL);
    CHECK_ERR(set_str(pub, ZMQ_UNSUBSCRIBE, "a"), -1, EINVAL);
    CHECK_ERR(set_str(push, ZMQ_SUBSCRIBE, "a"), -1, EINVAL);
    CHECK_ERR(set_str(xpub, ZMQ_SUBSCRIBE, "a"), -1, EINVAL); /* not manual */
    CHECK_ERR(set_int(sub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1), -1, EINVAL);
    CHECK_ERR(set_int(sub, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1), -1, EINVAL);
    CHECK_ERR(set_int(sub, ZMQ_XPUB_VERBOSE, 1), -1, EINVAL);
    CHECK_ERR(set_int(xpub, ZMQ_XPUB_VERBOSE, -1), -1, EINVAL);
    char c = 1;
    CHECK_ERR(zmq_setsockopt(xpub, ZMQ_XPUB_NODROP, &c, 1), -1, EINVAL);
    CHECK_ERR(set_int(xsub, ZMQ_ONLY_FIRST_SUBSCRIBE, -1), -1, EINVAL);
    CHECK_EQ(set_int(xsub, ZMQ_ONLY_FIRST_SUBSCRIBE, 0), 0);
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_VERBOSE, 0), 0);
    /* Write-only options. */
    int v;
    size_t len = sizeof v;
    CHECK_ERR(zmq_getsockopt(xpub, ZMQ_XPUB_VERBOSE, &v, &len), -1, EINVAL);
    CHECK_ERR(zmq_getsockopt(push, ZMQ_TOPICS_COUNT, &v, &len), -1, EINVAL);
    len = 1;
    CHECK_ERR(zmq_getsockopt(sub, ZMQ_TOPICS_COUNT, &v, &len), -1, EINVAL);
    /* What each type can do. */
    CHECK_EQ(get_int(pub, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ(get_int(sub, ZMQ_EVENTS), 0);
    CHECK_EQ(get_int(xpub, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ(get_int(xsub, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ(get_int(pub, ZMQ_TYPE), ZMQ_PUB);
    CHECK_EQ(get_int(xsub, ZMQ_TYPE), ZMQ_XSUB);
    /* SUB and XSUB do not linger on their subscriptions (as libzmq). */
    CHECK_EQ(get_int(sub, ZMQ_LINGER), 0);
    CHECK_EQ(get_int(xsub, ZMQ_LINGER), 0);
    /* Nothing to receive is EAGAIN, not an error of the type. */
    CHECK_ERR(zmq_recv(xpub, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK_ERR(zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    CHECK_ERR(zmq_recv(xsub, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);
    /* Sending with no subscriber drops. */
    CHECK_EQ(send_str(pub, "x", ZMQ_DONTWAIT), 1);
    CHECK_EQ(send_str(xpub, "x", ZMQ_DONTWAIT), 1);
    CHECK_EQ(send_sub(xsub, 1, "x", ZMQ_DONTWAIT), 2);
}
TRANSPORT_TEST(errors)

static void pattern_topics_count(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *sub = sock(ctx, ZMQ_SUB);
    void *xsub = sock(ctx, ZMQ_XSUB);
    REQUIRE(xpub && sub && xsub);
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 0);
    CHECK_EQ(get_int(sub, ZMQ_TOPICS_COUNT), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "a"), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "b"), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "b"), 0);
    CHECK_EQ(get_int(sub, ZMQ_TOPICS_COUNT), 2);
    CHECK(expect_sub(xpub, 1, "a"));
    CHECK(expect_sub(xpub, 1, "b"));
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 2);
    CHECK_EQ(zmq_connect(xsub, addr), 0);
    CHECK_EQ(send_sub(xsub, 1, "c", 0), 2);
    CHECK_EQ(send_sub(xsub, 1, "a", 0), 2);
    CHECK_EQ(get_int(xsub, ZMQ_TOPICS_COUNT), 2);
    CHECK(expect_sub(xpub, 1, "c"));
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 3);
    CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, "b"), 0);
    CHECK_EQ(get_int(sub, ZMQ_TOPICS_COUNT), 2);
    CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, "b"), 0);
    CHECK_EQ(get_int(sub, ZMQ_TOPICS_COUNT), 1);
    CHECK(expect_sub(xpub, 0, "b"));
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 2);
}
TRANSPORT_TEST(topics_count)

/* ------------------------------------------------------------------------ */
/* XPUB / XSUB                                                               */
/* ------------------------------------------------------------------------ */

/* XPUB passes up the first subscription to a topic and the cancel of
 * its last subscriber, including when a subscriber goes away. */
static void pattern_xpub_dedup(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB);
    void *s1 = sock(ctx, ZMQ_SUB), *s2 = sock(ctx, ZMQ_SUB);
    REQUIRE(xpub && s1 && s2);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(s1, addr), 0);
    CHECK_EQ(zmq_connect(s2, addr), 0);
    CHECK_EQ(set_str(s1, ZMQ_SUBSCRIBE, "A"), 0);
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK_EQ(set_str(s2, ZMQ_SUBSCRIBE, "A"), 0);
    CHECK_EQ(set_str(s2, ZMQ_SUBSCRIBE, "B"), 0);
    CHECK(expect_sub(xpub, 1, "B")); /* not the second "A" */
    CHECK_EQ(set_str(s1, ZMQ_UNSUBSCRIBE, "A"), 0);
    CHECK_EQ(set_str(s2, ZMQ_UNSUBSCRIBE, "A"), 0);
    CHECK(expect_sub(xpub, 0, "A")); /* once, from the last */
    /* The messages go where the subscriptions are. */
    send_str(xpub, "A-gone", 0);
    send_str(xpub, "B1", 0);
    CHECK(expect(s2, "B1", 0));
    /* A subscriber going away cancels what only it held. */
    CHECK_EQ(sock_close(s2), 0);
    CHECK(expect_sub(xpub, 0, "B"));
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 0);
}
TRANSPORT_TEST(xpub_dedup)

static void pattern_xpub_verbose(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB);
    void *s1 = sock(ctx, ZMQ_SUB), *s2 = sock(ctx, ZMQ_SUB);
    REQUIRE(xpub && s1 && s2);
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_VERBOSE, 1), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(s1, addr), 0);
    CHECK_EQ(zmq_connect(s2, addr), 0);
    CHECK_EQ(set_str(s1, ZMQ_SUBSCRIBE, "A"), 0);
    CHECK_EQ(set_str(s2, ZMQ_SUBSCRIBE, "A"), 0);
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK(expect_sub(xpub, 1, "A")); /* every subscription */
    CHECK_EQ(set_str(s1, ZMQ_UNSUBSCRIBE, "A"), 0);
    CHECK_EQ(set_str(s2, ZMQ_UNSUBSCRIBE, "A"), 0);
    CHECK(expect_sub(xpub, 0, "A")); /* cancels still deduplicated */
    CHECK_EQ(set_str(s1, ZMQ_SUBSCRIBE, "end"), 0);
    CHECK(expect_sub(xpub, 1, "end"));

    /* VERBOSER: every cancel too. */
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_VERBOSER, 1), 0);
    CHECK_EQ(set_str(s1, ZMQ_SUBSCRIBE, "B"), 0);
    CHECK_EQ(set_str(s2, ZMQ_SUBSCRIBE, "B"), 0);
    CHECK(expect_sub(xpub, 1, "B"));
    CHECK(expect_sub(xpub, 1, "B"));
    CHECK_EQ(set_str(s1, ZMQ_UNSUBSCRIBE, "B"), 0);
    CHECK_EQ(set_str(s2, ZMQ_UNSUBSCRIBE, "B"), 0);
    CHECK(expect_sub(xpub, 0, "B"));
    CHECK(expect_sub(xpub, 0, "B"));
    /* ...and, when a subscriber goes, each of its topics. */
    CHECK_EQ(set_str(s2, ZMQ_SUBSCRIBE, "end"), 0);
    CHECK(expect_sub(xpub, 1, "end"));
    CHECK_EQ(sock_close(s2), 0);
    CHECK(expect_sub(xpub, 0, "end"));
    CHECK_EQ(sock_close(s1), 0);
    CHECK(expect_sub(xpub, 0, "end"));
}
TRANSPORT_TEST(xpub_verbose)

/* XSUB sends subscriptions as messages: every subscribe is passed on,
 * a cancel only when it removes the last reference (unless
 * XSUB_VERBOSE_UNSUBSCRIBE); other messages go upstream as they are. */
static void pattern_xsub(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *xsub = sock(ctx, ZMQ_XSUB);
    REQUIRE(xpub && xsub);
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_VERBOSER, 1), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(xsub, addr), 0);
    CHECK_EQ(send_sub(xsub, 1, "A", 0), 2);
    CHECK_EQ(send_sub(xsub, 1, "A", 0), 2);
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK_EQ(send_sub(xsub, 0, "A", 0), 2);
    CHECK_EQ(send_sub(xsub, 0, "A", 0), 2);
    CHECK_EQ(send_sub(xsub, 0, "never", 0), 6);
    CHECK_EQ(send_str(xsub, "hello", 0), 5); /* a user message */
    CHECK(expect_sub(xpub, 0, "A"));
    CHECK(expect(xpub, "hello", 0));
    CHECK_EQ(zmq_send(xsub, "", 0, 0), 0); /* also a user message */
    CHECK(expect(xpub, "", 0));

    CHECK_EQ(set_int(xsub, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1), 0);
    CHECK_EQ(send_sub(xsub, 1, "B", 0), 2);
    CHECK_EQ(send_sub(xsub, 1, "B", 0), 2);
    CHECK_EQ(send_sub(xsub, 0, "B", 0), 2);
    CHECK_EQ(send_sub(xsub, 0, "never", 0), 6);
    CHECK(expect_sub(xpub, 1, "B"));
    CHECK(expect_sub(xpub, 1, "B"));
    CHECK(expect_sub(xpub, 0, "B"));
    CHECK(expect_sub(xpub, 0, "never"));
    /* XPUB holds a topic once per subscriber: that cancel removed "B"
     * although the XSUB still counts one reference.  Subscribe again. */
    CHECK_EQ(get_int(xsub, ZMQ_TOPICS_COUNT), 1);
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 0);
    CHECK_EQ(send_sub(xsub, 1, "B", 0), 2);
    CHECK(expect_sub(xpub, 1, "B"));

    /* Messages flow down to the XSUB by its subscriptions. */
    send_str(xpub, "Bmsg", 0);
    send_str(xpub, "Cmsg", 0);
    send_str(xpub, "Bend", 0);
    CHECK(expect(xsub, "Bmsg", 0));
    CHECK(expect(xsub, "Bend", 0));

    /* A user message multipart, upstream. */
    CHECK_EQ(send_str(xsub, "u1", ZMQ_SNDMORE), 2);
    CHECK_EQ(send_str(xsub, "u2", 0), 2);
    CHECK(expect(xpub, "u1", 1));
    CHECK(expect(xpub, "u2", 0));

    /* A PUB takes subscriptions but drops user messages. */
    void *pub = sock(ctx, ZMQ_PUB), *xsub2 = sock(ctx, ZMQ_XSUB);
    char ep2[256], addr2[256];
    ep_variant(ep2, sizeof ep2, ep, 2);
    REQUIRE(pub && xsub2);
    REQUIRE(bind_ep(pub, ep2, addr2, sizeof addr2) == 0);
    CHECK_EQ(zmq_connect(xsub2, addr2), 0);
    CHECK_EQ(send_str(xsub2, "ignored", 0), 7);
    CHECK_EQ(send_sub(xsub2, 1, "P", 0), 2);
    REQUIRE(await_sub(pub, xsub2, "P"));
    send_str(pub, "P1", 0);
    CHECK(expect(xsub2, "P1", 0));
}
TRANSPORT_TEST(xsub)

/* XSUB sends its subscriptions to every publisher that joins later. */
static void pattern_xsub_resend(void *ctx, const char *ep)
{
    char addr[256];
    void *xsub = sock(ctx, ZMQ_XSUB);
    REQUIRE(xsub);
    CHECK_EQ(send_sub(xsub, 1, "x", 0), 2);
    CHECK_EQ(send_sub(xsub, 1, "y", 0), 2);
    CHECK_EQ(send_sub(xsub, 1, "y", 0), 2);
    CHECK_EQ(send_sub(xsub, 0, "x", 0), 2);
    void *xpub = sock(ctx, ZMQ_XPUB);
    REQUIRE(xpub);
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_VERBOSE, 1), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(xsub, addr), 0);
    CHECK(expect_sub(xpub, 1, "y")); /* once per topic */
    CHECK_EQ(send_sub(xsub, 1, "z", 0), 2);
    CHECK(expect_sub(xpub, 1, "z"));
}
TRANSPORT_TEST(xsub_resend)

/* PUB -> XSUB | XPUB -> SUB, forwarded by hand as a proxy would. */
static void pattern_chain(void *ctx, const char *ep)
{
    char e1[256], e2[256], a1[256], a2[256];
    void *pub = sock(ctx, ZMQ_PUB), *xsub = sock(ctx, ZMQ_XSUB);
    void *xpub = sock(ctx, ZMQ_XPUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && xsub && xpub && sub);
    ep_variant(e1, sizeof e1, ep, 1);
    ep_variant(e2, sizeof e2, ep, 2);
    REQUIRE(bind_ep(pub, e1, a1, sizeof a1) == 0);
    REQUIRE(bind_ep(xpub, e2, a2, sizeof a2) == 0);
    CHECK_EQ(zmq_connect(xsub, a1), 0);
    CHECK_EQ(zmq_connect(sub, a2), 0);

    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "A"), 0);
    /* Upstream: XPUB -> XSUB. */
    char buf[64];
    int n = zmq_recv(xpub, buf, sizeof buf, 0);
    CHECK_EQ(n, 2);
    CHECK(n == 2 && buf[0] == 1 && buf[1] == 'A');
    CHECK_EQ(zmq_send(xsub, buf, (size_t)n, 0), 2);
    CHECK_EQ(get_int(xsub, ZMQ_TOPICS_COUNT), 1);
    REQUIRE(await_sub(pub, xsub, "A"));

    /* Downstream: XSUB -> XPUB, multipart kept. */
    send_str(pub, "B0", 0);
    send_str(pub, "A1", ZMQ_SNDMORE);
    send_str(pub, "part", 0);
    for (int i = 0; i < 2; i++) {
        int more;
        do {
            n = zmq_recv(xsub, buf, sizeof buf, 0);
        } while (n >= 0 && is_probe(buf, n));
        REQUIRE(n >= 0);
        more = get_int(xsub, ZMQ_RCVMORE);
        CHECK_EQ(zmq_send(xpub, buf, (size_t)n, more ? ZMQ_SNDMORE : 0), n);
    }
    CHECK(expect(sub, "A1", 1));
    CHECK(expect(sub, "part", 0));

    /* The subscriber goes: the cancel travels up too. */
    CHECK_EQ(sock_close(sub), 0);
    n = zmq_recv(xpub, buf, sizeof buf, 0);
    CHECK(n == 2 && buf[0] == 0 && buf[1] == 'A');
    CHECK_EQ(zmq_send(xsub, buf, (size_t)n, 0), 2);
    CHECK_EQ(get_int(xsub, ZMQ_TOPICS_COUNT), 0);
}
TRANSPORT_TEST(chain)

static void pattern_welcome(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(xpub && sub);
    CHECK_EQ(set_str(xpub, ZMQ_XPUB_WELCOME_MSG, "W"), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "W"), 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK(expect_sub(xpub, 1, "W")); /* XPUB has the subscriber now */
    CHECK(expect(sub, "W", 0));
    /* Cleared: later subscribers get none. */
    CHECK_EQ(zmq_setsockopt(xpub, ZMQ_XPUB_WELCOME_MSG, NULL, 0), 0);
    void *sub2 = sock(ctx, ZMQ_SUB);
    REQUIRE(sub2);
    CHECK_EQ(set_str(sub2, ZMQ_SUBSCRIBE, ""), 0);
    CHECK_EQ(zmq_connect(sub2, addr), 0);
    CHECK(expect_sub(xpub, 1, ""));
    send_str(xpub, "after", 0);
    CHECK(expect(sub2, "after", 0));
}
TRANSPORT_TEST(welcome)

/* XPUB_MANUAL: subscriptions are passed up and not applied; the
 * application applies what it wants for the subscriber it last heard
 * from. */
static void pattern_manual(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *xsub = sock(ctx, ZMQ_XSUB);
    REQUIRE(xpub && xsub);
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_MANUAL, 1), 0);
    /* No subscriber heard from yet: nothing to apply to. */
    CHECK_EQ(set_str(xpub, ZMQ_SUBSCRIBE, "A"), 0);
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(xsub, addr), 0);
    CHECK_EQ(send_sub(xsub, 1, "A", 0), 2);
    CHECK_EQ(send_sub(xsub, 1, "A", 0), 2);
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK(expect_sub(xpub, 1, "A")); /* all of them */
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 0);
    CHECK_EQ(set_str(xpub, ZMQ_SUBSCRIBE, "Z"), 0); /* remapped */
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 1);
    send_str(xpub, "A1", 0);
    send_str(xpub, "Z1", 0);
    CHECK(expect(xsub, "Z1", 0));
    CHECK_EQ(set_str(xpub, ZMQ_UNSUBSCRIBE, "Z"), 0);
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 0);
    /* The subscriber goes: its requested topics are cancelled. */
    CHECK_EQ(sock_close(xsub), 0);
    CHECK(expect_sub(xpub, 0, "A"));
}
TRANSPORT_TEST(manual)

/* XPUB_MANUAL_LAST_VALUE: the send after a subscription was received
 * goes to that subscriber only (last value caching). */
static void pattern_manual_last_value(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB);
    void *x1 = sock(ctx, ZMQ_XSUB), *x2 = sock(ctx, ZMQ_XSUB);
    REQUIRE(xpub && x1 && x2);
    CHECK_EQ(set_int(xpub, ZMQ_XPUB_MANUAL_LAST_VALUE, 1), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(x1, addr), 0);
    CHECK_EQ(zmq_connect(x2, addr), 0);
    CHECK_EQ(send_sub(x1, 1, "A", 0), 2);
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK_EQ(set_str(xpub, ZMQ_SUBSCRIBE, "A"), 0);
    send_str(xpub, "A-cached", 0);
    CHECK(expect(x1, "A-cached", 0));
    CHECK_EQ(send_sub(x2, 1, "A", 0), 2);
    CHECK(expect_sub(xpub, 1, "A"));
    CHECK_EQ(set_str(xpub, ZMQ_SUBSCRIBE, "A"), 0);
    send_str(xpub, "A-cached", 0); /* to x2 only */
    send_str(xpub, "A-live", 0);   /* to both */
    CHECK(expect(x2, "A-cached", 0));
    CHECK(expect(x2, "A-live", 0));
    CHECK(expect(x1, "A-live", 0));
}
TRANSPORT_TEST(manual_last_value)

/* Without ONLY_FIRST_SUBSCRIBE every part of a message may be a
 * subscription; with it, a message whose first part is not one is data
 * throughout, on both the XSUB and the XPUB side. */
static void only_first_case(void *ctx, const char *ep, int only_first)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *xsub = sock(ctx, ZMQ_XSUB);
    REQUIRE(xpub && xsub);
    CHECK_EQ(set_int(xpub, ZMQ_ONLY_FIRST_SUBSCRIBE, only_first), 0);
    CHECK_EQ(set_int(xsub, ZMQ_ONLY_FIRST_SUBSCRIBE, only_first), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(xsub, addr), 0);
    CHECK_EQ(send_str(xsub, "data", ZMQ_SNDMORE), 4);
    CHECK_EQ(send_sub(xsub, 1, "T", 0), 2);
    CHECK_EQ(get_int(xsub, ZMQ_TOPICS_COUNT), only_first ? 0 : 1);
    if (only_first) {
        CHECK(expect(xpub, "data", 1));
        CHECK(expect_n(xpub, "\1T", 2, 0)); /* data, with its flags */
    } else {
        CHECK(expect(xpub, "data", 1));
        CHECK(expect_sub(xpub, 1, "T"));
    }
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), only_first ? 0 : 1);
    /* A subscription first part: the rest is looked at too. */
    CHECK_EQ(send_sub(xsub, 1, "U", ZMQ_SNDMORE), 2);
    CHECK_EQ(send_sub(xsub, 1, "V", 0), 2);
    CHECK(expect_sub(xpub, 1, "U"));
    CHECK(expect_sub(xpub, 1, "V"));
    CHECK_EQ(get_int(xsub, ZMQ_TOPICS_COUNT), only_first ? 2 : 3);
}

static void pattern_only_first(void *ctx, const char *ep)
{
    char e[256];
    ep_variant(e, sizeof e, ep, 0);
    only_first_case(ctx, e, 0);
    ep_variant(e, sizeof e, ep, 1);
    only_first_case(ctx, e, 1);
}
TRANSPORT_TEST(only_first)

/* INVERT_MATCHING: the publisher sends what does not match, the
 * subscriber keeps what does not match. */
static void pattern_invert(void *ctx, const char *ep)
{
    char addr[256], e2[256], a2[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *sub = sock(ctx, ZMQ_SUB);
    void *xsub = sock(ctx, ZMQ_XSUB);
    REQUIRE(xpub && sub && xsub);
    CHECK_EQ(set_int(xpub, ZMQ_INVERT_MATCHING, 1), 0);
    CHECK_EQ(set_int(sub, ZMQ_INVERT_MATCHING, 1), 0);
    CHECK_EQ(get_int(sub, ZMQ_INVERT_MATCHING), 1);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "A"), 0);
    CHECK(expect_sub(xpub, 1, "A"));
    send_str(xpub, "A1", 0);
    send_str(xpub, "B1", 0);
    CHECK(expect(sub, "B1", 0));

    /* The publisher side alone (XSUB does not filter). */
    CHECK_EQ(zmq_connect(xsub, addr), 0);
    CHECK_EQ(send_sub(xsub, 1, "C", 0), 2);
    CHECK(expect_sub(xpub, 1, "C"));
    send_str(xpub, "C1", 0);
    send_str(xpub, "A2", 0);
    CHECK(expect(xsub, "A2", 0));
    CHECK(expect(sub, "C1", 0));

    /* The subscriber side alone (PUB not inverted): the SUB filters at
     * recv by what it holds then, keeping what matches none of them. */
    void *pub = sock(ctx, ZMQ_PUB), *sub2 = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub2);
    ep_variant(e2, sizeof e2, ep, 2);
    REQUIRE(bind_ep(pub, e2, a2, sizeof a2) == 0);
    CHECK_EQ(set_int(sub2, ZMQ_INVERT_MATCHING, 1), 0);
    CHECK_EQ(zmq_connect(sub2, a2), 0);
    CHECK_EQ(set_str(sub2, ZMQ_SUBSCRIBE, "no"), 0);
    CHECK_EQ(set_str(sub2, ZMQ_SUBSCRIBE, ""), 0);
    send_str(pub, "no1", 0);
    send_str(pub, "x1", 0);
    CHECK_EQ(set_str(sub2, ZMQ_UNSUBSCRIBE, ""), 0);
    /* "no1" matches "no": dropped; "x1" now matches nothing: kept. */
    if (tt_is_inproc()) {
        CHECK(expect(sub2, "x1", 0));
        CHECK(nothing_now(sub2));
    }
}
TRANSPORT_TEST(invert)

/* Waits up to ms for input on s; 1 when there is some. */
static int readable_within(void *s, long ms)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    return zmq_poll(&item, 1, ms) > 0;
}

/* Over tcp and ipc the kernel's socket buffers hold messages beyond the
 * high-water marks, so the tests that must reach a mark send messages
 * big enough to fill them. */
#define BIG 16384

static size_t msg_size(size_t inproc_size)
{
    return tt_is_inproc() ? inproc_size : BIG;
}

/* PUB drops at the high-water mark, silently, per subscriber.  Over
 * inproc the two marks add up to the whole queue; over tcp and ipc 16 MB
 * is sent (more than the kernel holds) and only "some but not all, in
 * order" is checked. */
static void pattern_hwm_drop(void *ctx, const char *ep)
{
    char addr[256];
    static char buf[BIG];
    const int count = tt_is_inproc() ? 100 : 1000;
    const size_t size = msg_size(8);
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    CHECK_EQ(set_int(pub, ZMQ_SNDHWM, 5), 0);
    CHECK_EQ(set_int(sub, ZMQ_RCVHWM, 5), 0);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "m"), 0);
    REQUIRE(await_sub(pub, sub, "m"));
    int sent = 0;
    for (int i = 0; i < count; i++) {
        snprintf(buf, 16, "m%06d", i);
        sent += zmq_send(pub, buf, size, ZMQ_DONTWAIT) == (int)size;
    }
    CHECK_EQ(sent, count);
    int got = 0, prev = -1, ordered = 1;
    char in[16];
    while (tt_is_inproc() || readable_within(sub, 500)) {
        int n = zmq_recv(sub, in, sizeof in, ZMQ_DONTWAIT);
        if (n < 0)
            break;
        CHECK_EQ(n, (int)size);
        in[7] = '\0';
        int k = atoi(in + 1);
        ordered &= k > prev;
        prev = k;
        got++;
    }
    CHECK(ordered);
    CHECK(got > 0 && got < count);
    if (tt_is_inproc())
        CHECK(got >= 5 && got <= 10); /* inproc: the marks add up */
}
TRANSPORT_TEST(hwm_drop)

struct reader {
    void *s;
    int want, got;
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    char buf[16];
    while (r->got < r->want && zmq_recv(r->s, buf, sizeof buf, 0) >= 0)
        r->got++;
    return NULL;
}

/* Sends buf (size bytes) on pub without waiting until it is refused
 * with EAGAIN.  Over tcp and ipc the I/O thread keeps moving messages
 * into the kernel meanwhile, so there it goes on while room appears
 * within 300 ms.  Returns the count sent; errno is that of the refusal. */
static int fill_nodrop(void *pub, const char *buf, size_t size)
{
    int sent = 0;
    CHECK_EQ(set_int(pub, ZMQ_SNDTIMEO, 300), 0);
    while (sent < 100000) {
        if (zmq_send(pub, buf, size, ZMQ_DONTWAIT) == (int)size) {
            sent++;
            continue;
        }
        if (errno != EAGAIN || tt_is_inproc() ||
            zmq_send(pub, buf, size, 0) != (int)size)
            break;
        sent++;
    }
    int err = errno;
    CHECK_EQ(set_int(pub, ZMQ_SNDTIMEO, TIMEOUT_MS), 0);
    errno = err;
    return sent;
}

/* XPUB_NODROP: EAGAIN at the mark instead of dropping, and a blocking
 * send waits for room. */
static void pattern_nodrop(void *ctx, const char *ep)
{
    char addr[256];
    static char buf[BIG];
    const size_t size = msg_size(1);
    memset(buf, 'm', sizeof buf);
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    CHECK_EQ(set_int(pub, ZMQ_XPUB_NODROP, 1), 0);
    CHECK_EQ(set_int(pub, ZMQ_SNDHWM, 5), 0);
    CHECK_EQ(set_int(sub, ZMQ_RCVHWM, 5), 0);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "m"), 0);
    REQUIRE(await_sub(pub, sub, "m"));
    int sent = fill_nodrop(pub, buf, size);
    CHECK_EQ(errno, EAGAIN);
    CHECK(sent > 0 && sent < (tt_is_inproc() ? 1000 : 100000));
    /* Non-matching messages are not held up by the full subscriber. */
    CHECK_EQ(send_str(pub, "other", ZMQ_DONTWAIT), 5);
    /* A blocking send with a timeout gives up with EAGAIN. */
    CHECK_EQ(set_int(pub, ZMQ_SNDTIMEO, 50), 0);
    CHECK_ERR(zmq_send(pub, buf, size, 0), -1, EAGAIN);
    /* A multipart message is refused whole at its first part. */
    CHECK_ERR(send_str(pub, "m", ZMQ_SNDMORE | ZMQ_DONTWAIT), -1, EAGAIN);
    /* Every message accepted arrives, and nothing else. */
    int got = 0;
    char in[16];
    while (got < sent && zmq_recv(sub, in, sizeof in, 0) == (int)size)
        got++;
    CHECK_EQ(got, sent);
    CHECK(!readable_within(sub, tt_is_inproc() ? 0 : 100));
    /* Lossless with a reader: blocking sends wait for room. */
    CHECK_EQ(set_int(pub, ZMQ_SNDTIMEO, TIMEOUT_MS), 0);
    struct reader r = {sub, 500, 0};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, read_all, &r) == 0);
    int ok = 0;
    for (int i = 0; i < 500; i++)
        ok += zmq_send(pub, buf, size, 0) == (int)size;
    pthread_join(t, NULL);
    CHECK_EQ(ok, 500);
    CHECK_EQ(r.got, 500);
}
TRANSPORT_TEST(nodrop)

/* CONFLATE on SUB: only the newest message is kept. */
static void pattern_conflate(void *ctx, const char *ep)
{
    char addr[256];
    void *pub = sock(ctx, ZMQ_PUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(pub && sub);
    CHECK_EQ(set_int(sub, ZMQ_CONFLATE, 1), 0);
    REQUIRE(bind_ep(pub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "v"), 0);
    REQUIRE(await_sub(pub, sub, "v"));
    send_str(pub, "v1", 0);
    send_str(pub, "v2", 0);
    send_str(pub, "v3", 0);
    send_str(pub, "other", 0);
    if (tt_is_inproc()) {
        /* All three are in the pipe now: only v3 is left. */
        CHECK_EQ(get_int(sub, ZMQ_EVENTS), ZMQ_POLLIN);
        send_str(pub, "v4", 0); /* newer than what has_in read ahead */
        CHECK(expect(sub, "v4", 0));
        CHECK(nothing_now(sub));
    } else {
        /* They arrive one by one: some of them, in order, ending with
         * the newest, then nothing. */
        char buf[16];
        int n, prev = 0;
        do {
            n = zmq_recv(sub, buf, sizeof buf, 0);
            CHECK(n == 2 && buf[0] == 'v' && buf[1] - '0' > prev);
            prev = n == 2 ? buf[1] - '0' : 3;
        } while (prev < 3);
        CHECK(!readable_within(sub, 100));
    }
}
TRANSPORT_TEST(conflate)

/* Many subscribers and topics; unsubscribing all of them leaves none. */
static void pattern_many_topics(void *ctx, const char *ep)
{
    char addr[256];
    void *xpub = sock(ctx, ZMQ_XPUB), *sub = sock(ctx, ZMQ_SUB);
    REQUIRE(xpub && sub);
    CHECK_EQ(set_int(sub, ZMQ_SNDHWM, 0), 0);
    CHECK_EQ(set_int(xpub, ZMQ_RCVHWM, 0), 0);
    REQUIRE(bind_ep(xpub, ep, addr, sizeof addr) == 0);
    CHECK_EQ(zmq_connect(sub, addr), 0);
    char topic[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(topic, sizeof topic, "t%d.", i);
        CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, topic), 0);
    }
    CHECK_EQ(get_int(sub, ZMQ_TOPICS_COUNT), 5000);
    /* Each new topic is passed up, in order. */
    int ok = 1;
    for (int i = 0; i < 5000 && ok; i++) {
        snprintf(topic, sizeof topic, "t%d.", i);
        ok = expect_sub(xpub, 1, topic);
    }
    CHECK(ok);
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 5000);
    send_str(xpub, "t4999.x", 0);
    CHECK(expect(sub, "t4999.x", 0));
    for (int i = 0; i < 5000; i++) {
        snprintf(topic, sizeof topic, "t%d.", i);
        CHECK_EQ(set_str(sub, ZMQ_UNSUBSCRIBE, topic), 0);
    }
    CHECK_EQ(set_str(sub, ZMQ_SUBSCRIBE, "end"), 0);
    /* Skip the notices up to "end"; by then all were applied. */
    char buf[64];
    int n, seen = 0;
    while ((n = zmq_recv(xpub, buf, sizeof buf, 0)) >= 0 &&
           !(n == 4 && memcmp(buf, "\1end", 4) == 0))
        seen++;
    CHECK_EQ(seen, 5000);
    CHECK_EQ(get_int(xpub, ZMQ_TOPICS_COUNT), 1);
}
TRANSPORT_TEST(many_topics)

TEST_MAIN(TEST(test_basic), TEST(test_prefix), TEST(test_refcount),
          TEST(test_all), TEST(test_late_joiner), TEST(test_fan_out),
          TEST(test_fan_in), TEST(test_multipart), TEST(test_errors),
          TEST(test_topics_count), TEST(test_xpub_dedup),
          TEST(test_xpub_verbose), TEST(test_xsub), TEST(test_xsub_resend),
          TEST(test_chain), TEST(test_welcome), TEST(test_manual),
          TEST(test_manual_last_value), TEST(test_only_first),
          TEST(test_invert), TEST(test_hwm_drop), TEST(test_nodrop),
          TEST(test_conflate), TEST(test_many_topics))
