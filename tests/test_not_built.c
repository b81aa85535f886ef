/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the functions whose subsystems are not built yet
 * (monitors, groups, peer state outside ROUTER) and of the socket types
 * not built yet: each function checks its arguments the documented way
 * first, then fails with ENOTSUP.  The proxies' argument checks stay here
 * too (the proxy itself is tested in test_proxy).  Socket handles are
 * real PAIR sockets: the library checks a socket's tag, so a fake pointer
 * would be read.
 */
#include <stdbool.h>
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

/* Every socket type libzmq has is built now (STREAM and DGRAM were the
 * last): each one can be created; the numbers between and after them
 * are EINVAL. */
static void test_socket_types(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    for (int type = 0; type <= ZMQ_CHANNEL + 1; type++) {
        errno = 0;
        void *s = zmq_socket(ctx, type);
        bool valid =
            type <= ZMQ_STREAM || (type >= ZMQ_SERVER && type <= ZMQ_CHANNEL);
        if (valid ? s == NULL : (s != NULL || errno != EINVAL)) {
            fprintf(stderr, "  type %d: %p errno %d\n", type, s, errno);
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

/* Peer state exists on ROUTER only (tested in test_reqrep); the argument
 * checks come first, then every other type fails with ENOTSUP. */
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
    static const int others[] = {ZMQ_DEALER, ZMQ_REQ, ZMQ_PUSH, ZMQ_SERVER};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        void *s = zmq_socket(f.ctx, others[i]);
        CHECK(s != NULL);
        if (s == NULL)
            continue;
        CHECK_ERR(zmq_socket_get_peer_state(s, id, 4), -1, ENOTSUP);
        CHECK_EQ(zmq_close(s), 0);
    }
    void *router = zmq_socket(f.ctx, ZMQ_ROUTER);
    CHECK(router != NULL);
    if (router != NULL) {
        CHECK_ERR(zmq_socket_get_peer_state(router, NULL, 4), -1, EINVAL);
        CHECK_ERR(zmq_socket_get_peer_state(router, id, 4), -1, EHOSTUNREACH);
        CHECK_ERR(zmq_socket_get_peer_state(router, NULL, 0), -1, EHOSTUNREACH);
        CHECK_EQ(zmq_close(router), 0);
    }
    fixture_close(&f);
}

/* ------------------------------------------------------------------------ */
/* Proxies                                                                   */
/* ------------------------------------------------------------------------ */

/* Argument errors only: the proxy itself is tested in test_proxy. */
static void test_proxies(void)
{
    struct fixture f;
    REQUIRE(fixture_open(&f));
    void *s1 = f.sock, *s2 = f.sock2;
    CHECK_ERR(zmq_proxy(NULL, s2, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(s1, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(NULL, NULL, s1), -1, EFAULT);

    CHECK_ERR(zmq_proxy_steerable(NULL, s2, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(s1, NULL, NULL, s1), -1, EFAULT);

    CHECK_ERR(zmq_device(ZMQ_QUEUE, NULL, s2), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_QUEUE, s1, NULL), -1, EFAULT);
    fixture_close(&f);
}

TEST_MAIN(TEST(test_socket_types), TEST(test_join_leave), TEST(test_peer_state),
          TEST(test_proxies))
