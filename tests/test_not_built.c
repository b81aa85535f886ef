/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the functions whose subsystems are not built yet
 * (proxies, monitors, groups, peer state) and of the socket types not
 * built yet: each function checks its arguments the documented way first,
 * then fails with ENOTSUP.  Socket handles are real PAIR sockets: the
 * library checks a socket's tag, so a fake pointer would be read.
 */
#include <zmq.h>

#include "testutil.h"

/* A context with two PAIR sockets, made for each test and closed after. */
struct fixture {
    void *ctx, *sock, *sock2;
};

static void fixture_close(struct fixture *f)
{
    if (f->sock != NULL)
        CHECK_EQ(zmq_close(f->sock), 0);
    if (f->sock2 != NULL)
        CHECK_EQ(zmq_close(f->sock2), 0);
    if (f->ctx != NULL)
        CHECK_EQ(zmq_ctx_term(f->ctx), 0);
}

/* 1 when all three handles exist; on failure releases what was made. */
static int fixture_open(struct fixture *f)
{
    f->ctx = zmq_ctx_new();
    f->sock = f->ctx ? zmq_socket(f->ctx, ZMQ_PAIR) : NULL;
    f->sock2 = f->ctx ? zmq_socket(f->ctx, ZMQ_PAIR) : NULL;
    if (f->ctx != NULL && f->sock != NULL && f->sock2 != NULL)
        return 1;
    fixture_close(f);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Sockets                                                                   */
/* ------------------------------------------------------------------------ */

/* The valid types whose socket type is not built yet. */
static void test_socket_types(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    static const int types[] = {ZMQ_PUB,    ZMQ_SUB,    ZMQ_REQ,  ZMQ_REP,
                                ZMQ_DEALER, ZMQ_ROUTER, ZMQ_XPUB, ZMQ_XSUB,
                                ZMQ_STREAM, ZMQ_RADIO,  ZMQ_DISH, ZMQ_DGRAM};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        errno = 0;
        void *s = zmq_socket(ctx, types[i]);
        if (s != NULL || errno != ENOTSUP) {
            fprintf(stderr, "  type %d: %p errno %d, wanted NULL ENOTSUP\n",
                    types[i], s, errno);
            test_failed_ = 1;
        }
        if (s != NULL)
            zmq_close(s);
    }
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* join and leave take a string. */
typedef int(string_fn)(void *, const char *);

static void test_join_leave(void)
{
    struct fixture f;
    REQUIRE(fixture_open(&f));
    static const struct {
        const char *name;
        string_fn *fn;
        const char *arg;
    } fns[] = {
        {"zmq_join", zmq_join, "weather"},
        {"zmq_leave", zmq_leave, "weather"},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        int failed_before = test_failed_;
        test_failed_ = 0;
        CHECK_ERR(fns[i].fn(NULL, fns[i].arg), -1, ENOTSOCK);
        CHECK_ERR(fns[i].fn(NULL, NULL), -1, ENOTSOCK);
        CHECK_ERR(fns[i].fn(f.sock, NULL), -1, EINVAL);
        CHECK_ERR(fns[i].fn(f.sock, fns[i].arg), -1, ENOTSUP);
        CHECK_ERR(fns[i].fn(f.sock, ""), -1, ENOTSUP);
        if (test_failed_)
            fprintf(stderr, "  (the failures above are %s's)\n", fns[i].name);
        test_failed_ |= failed_before;
    }
    fixture_close(&f);
}

static void test_monitors(void)
{
    struct fixture f;
    REQUIRE(fixture_open(&f));
    const char *ep = "inproc://monitor";
    CHECK_ERR(zmq_socket_monitor(NULL, ep, ZMQ_EVENT_ALL), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor(f.sock, ep, ZMQ_EVENT_ALL), -1, ENOTSUP);
    CHECK_ERR(zmq_socket_monitor(f.sock, NULL, 0), -1, ENOTSUP);

    CHECK_ERR(
        zmq_socket_monitor_versioned(NULL, ep, ZMQ_EVENT_ALL, 1, ZMQ_PAIR), -1,
        ENOTSOCK);
    CHECK_ERR(
        zmq_socket_monitor_versioned(NULL, ep, ZMQ_EVENT_ALL, 0, ZMQ_PAIR), -1,
        ENOTSOCK);
    const int bad_versions[] = {0, 3, -1, 100};
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++)
        CHECK_ERR(zmq_socket_monitor_versioned(f.sock, ep, ZMQ_EVENT_ALL,
                                               bad_versions[i], ZMQ_PAIR),
                  -1, EINVAL);
    CHECK_ERR(
        zmq_socket_monitor_versioned(f.sock, ep, ZMQ_EVENT_ALL, 1, ZMQ_PAIR),
        -1, ENOTSUP);
    CHECK_ERR(
        zmq_socket_monitor_versioned(f.sock, ep, ZMQ_EVENT_ALL_V2, 2, ZMQ_PUB),
        -1, ENOTSUP);

    CHECK_ERR(zmq_socket_monitor_pipes_stats(NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(f.sock), -1, ENOTSUP);
    fixture_close(&f);
}

static void test_peer_state(void)
{
    struct fixture f;
    REQUIRE(fixture_open(&f));
    const char id[] = "peer";
    CHECK_ERR(zmq_socket_get_peer_state(NULL, id, 4), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_get_peer_state(NULL, NULL, 4), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_get_peer_state(f.sock, NULL, 4), -1, EINVAL);
    CHECK_ERR(zmq_socket_get_peer_state(f.sock, NULL, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_socket_get_peer_state(f.sock, id, 4), -1, ENOTSUP);
    fixture_close(&f);
}

/* ------------------------------------------------------------------------ */
/* Proxies                                                                   */
/* ------------------------------------------------------------------------ */

static void test_proxies(void)
{
    struct fixture f;
    REQUIRE(fixture_open(&f));
    void *s1 = f.sock, *s2 = f.sock2;
    CHECK_ERR(zmq_proxy(NULL, s2, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(s1, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(NULL, NULL, s1), -1, EFAULT);
    CHECK_ERR(zmq_proxy(s1, s2, NULL), -1, ENOTSUP);
    CHECK_ERR(zmq_proxy(s1, s2, s1), -1, ENOTSUP);

    CHECK_ERR(zmq_proxy_steerable(NULL, s2, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(s1, NULL, NULL, s1), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(s1, s2, NULL, NULL), -1, ENOTSUP);
    CHECK_ERR(zmq_proxy_steerable(s1, s2, s1, s1), -1, ENOTSUP);

    CHECK_ERR(zmq_device(ZMQ_QUEUE, NULL, s2), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_QUEUE, s1, NULL), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_QUEUE, s1, s2), -1, ENOTSUP);
    CHECK_ERR(zmq_device(ZMQ_FORWARDER, s1, s2), -1, ENOTSUP);
    CHECK_ERR(zmq_device(ZMQ_STREAMER, s1, s2), -1, ENOTSUP);
    fixture_close(&f);
}

TEST_MAIN(TEST(test_socket_types), TEST(test_join_leave), TEST(test_monitors),
          TEST(test_peer_state), TEST(test_proxies))
