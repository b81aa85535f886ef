/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the functions whose subsystems are not built yet
 * (contexts, sockets, polling, the poller, proxies, monitors): each checks
 * its arguments the documented way first, then fails with ENOTSUP.  No
 * context or socket can exist yet, so the address of a local variable
 * stands in for a non-NULL handle (the library never dereferences it).
 */
#include <sys/uio.h> /* struct iovec */

#include <zmq.h>

#include "testutil.h"

/* Non-NULL stand-ins for a context, a socket and a poller. */
static int dummy_ctx, dummy_sock, dummy_sock2, dummy_poller;
#define CTX    ((void *)&dummy_ctx)
#define SOCK   ((void *)&dummy_sock)
#define SOCK2  ((void *)&dummy_sock2)
#define POLLER ((void *)&dummy_poller)

/* ------------------------------------------------------------------------ */
/* Contexts                                                                  */
/* ------------------------------------------------------------------------ */

static void test_ctx_new_and_init(void)
{
    CHECK_NULL_ERR(zmq_ctx_new(), ENOTSUP);
    CHECK_NULL_ERR(zmq_init(-1), EINVAL);
    CHECK_NULL_ERR(zmq_init(-100), EINVAL);
    CHECK_NULL_ERR(zmq_init(0), ENOTSUP);
    CHECK_NULL_ERR(zmq_init(1), ENOTSUP);
    CHECK_NULL_ERR(zmq_init(4), ENOTSUP);
}

static void test_ctx_functions(void)
{
    CHECK_ERR(zmq_ctx_term(NULL), -1, EFAULT);
    CHECK_ERR(zmq_ctx_term(CTX), -1, ENOTSUP);
    CHECK_ERR(zmq_term(NULL), -1, EFAULT);
    CHECK_ERR(zmq_term(CTX), -1, ENOTSUP);
    CHECK_ERR(zmq_ctx_destroy(NULL), -1, EFAULT);
    CHECK_ERR(zmq_ctx_destroy(CTX), -1, ENOTSUP);
    CHECK_ERR(zmq_ctx_shutdown(NULL), -1, EFAULT);
    CHECK_ERR(zmq_ctx_shutdown(CTX), -1, ENOTSUP);

    CHECK_ERR(zmq_ctx_set(NULL, ZMQ_IO_THREADS, 1), -1, EFAULT);
    CHECK_ERR(zmq_ctx_set(CTX, ZMQ_IO_THREADS, 1), -1, ENOTSUP);
    CHECK_ERR(zmq_ctx_set(CTX, 9999, -5), -1, ENOTSUP);
    CHECK_ERR(zmq_ctx_get(NULL, ZMQ_IO_THREADS), -1, EFAULT);
    CHECK_ERR(zmq_ctx_get(CTX, ZMQ_IO_THREADS), -1, ENOTSUP);
    CHECK_ERR(zmq_ctx_get(CTX, ZMQ_MSG_T_SIZE), -1, ENOTSUP);
}

static void test_ctx_ext(void)
{
    char name[] = "prefix";
    size_t len = sizeof name;
    /* The handle first, then the buffer. */
    CHECK_ERR(zmq_ctx_set_ext(NULL, ZMQ_THREAD_NAME_PREFIX, name, len), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_set_ext(NULL, ZMQ_THREAD_NAME_PREFIX, NULL, 4), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_set_ext(CTX, ZMQ_THREAD_NAME_PREFIX, NULL, 4), -1,
              EINVAL);
    CHECK_ERR(zmq_ctx_set_ext(CTX, ZMQ_THREAD_NAME_PREFIX, NULL, 0), -1,
              ENOTSUP);
    CHECK_ERR(zmq_ctx_set_ext(CTX, ZMQ_THREAD_NAME_PREFIX, name, len), -1,
              ENOTSUP);

    CHECK_ERR(zmq_ctx_get_ext(NULL, ZMQ_THREAD_NAME_PREFIX, name, &len), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_get_ext(NULL, ZMQ_THREAD_NAME_PREFIX, NULL, NULL), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_get_ext(CTX, ZMQ_THREAD_NAME_PREFIX, NULL, &len), -1,
              EINVAL);
    CHECK_ERR(zmq_ctx_get_ext(CTX, ZMQ_THREAD_NAME_PREFIX, name, NULL), -1,
              EINVAL);
    CHECK_ERR(zmq_ctx_get_ext(CTX, ZMQ_THREAD_NAME_PREFIX, NULL, NULL), -1,
              EINVAL);
    CHECK_ERR(zmq_ctx_get_ext(CTX, ZMQ_THREAD_NAME_PREFIX, name, &len), -1,
              ENOTSUP);
    CHECK_EQ(len, sizeof name); /* not written */
}

/* ------------------------------------------------------------------------ */
/* Sockets                                                                   */
/* ------------------------------------------------------------------------ */

static void test_socket(void)
{
    CHECK_NULL_ERR(zmq_socket(NULL, ZMQ_PAIR), EFAULT);
    CHECK_NULL_ERR(zmq_socket(NULL, -1), EFAULT); /* handle first */
    CHECK_NULL_ERR(zmq_socket(NULL, 99), EFAULT);
    CHECK_NULL_ERR(zmq_socket(CTX, -1), EINVAL);
    CHECK_NULL_ERR(zmq_socket(CTX, 21), EINVAL);
    CHECK_NULL_ERR(zmq_socket(CTX, 1000), EINVAL);
    /* Every valid type, ZMQ_PAIR (0) to ZMQ_CHANNEL (20). */
    CHECK_EQ(ZMQ_CHANNEL, 20);
    for (int type = ZMQ_PAIR; type <= ZMQ_CHANNEL; type++)
        CHECK_NULL_ERR(zmq_socket(CTX, type), ENOTSUP);
}

static void test_close_and_options(void)
{
    int value = 1;
    size_t len = sizeof value;
    CHECK_ERR(zmq_close(NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_close(SOCK), -1, ENOTSUP);

    CHECK_ERR(zmq_setsockopt(NULL, ZMQ_LINGER, &value, len), -1, ENOTSOCK);
    CHECK_ERR(zmq_setsockopt(NULL, ZMQ_LINGER, NULL, len), -1, ENOTSOCK);
    CHECK_ERR(zmq_setsockopt(SOCK, ZMQ_LINGER, NULL, len), -1, EINVAL);
    CHECK_ERR(zmq_setsockopt(SOCK, ZMQ_SUBSCRIBE, NULL, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_setsockopt(SOCK, ZMQ_LINGER, &value, len), -1, ENOTSUP);

    CHECK_ERR(zmq_getsockopt(NULL, ZMQ_TYPE, &value, &len), -1, ENOTSOCK);
    CHECK_ERR(zmq_getsockopt(NULL, ZMQ_TYPE, NULL, NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_getsockopt(SOCK, ZMQ_TYPE, NULL, &len), -1, EINVAL);
    CHECK_ERR(zmq_getsockopt(SOCK, ZMQ_TYPE, &value, NULL), -1, EINVAL);
    CHECK_ERR(zmq_getsockopt(SOCK, ZMQ_TYPE, &value, &len), -1, ENOTSUP);
    CHECK_EQ(value, 1); /* not written */
    CHECK_EQ(len, sizeof value);
}

/* bind, connect, unbind, disconnect, join and leave take a string. */
typedef int(string_fn)(void *, const char *);

static void test_string_functions(void)
{
    static const struct {
        const char *name;
        string_fn *fn;
        const char *arg;
    } fns[] = {
        {"zmq_bind", zmq_bind, "tcp://127.0.0.1:5555"},
        {"zmq_connect", zmq_connect, "tcp://127.0.0.1:5555"},
        {"zmq_unbind", zmq_unbind, "tcp://127.0.0.1:5555"},
        {"zmq_disconnect", zmq_disconnect, "tcp://127.0.0.1:5555"},
        {"zmq_join", zmq_join, "weather"},
        {"zmq_leave", zmq_leave, "weather"},
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        int failed_before = test_failed_;
        test_failed_ = 0;
        CHECK_ERR(fns[i].fn(NULL, fns[i].arg), -1, ENOTSOCK);
        CHECK_ERR(fns[i].fn(NULL, NULL), -1, ENOTSOCK);
        CHECK_ERR(fns[i].fn(SOCK, NULL), -1, EINVAL);
        CHECK_ERR(fns[i].fn(SOCK, fns[i].arg), -1, ENOTSUP);
        CHECK_ERR(fns[i].fn(SOCK, ""), -1, ENOTSUP);
        if (test_failed_)
            fprintf(stderr, "  (the failures above are %s's)\n", fns[i].name);
        test_failed_ |= failed_before;
    }
}

static void test_connect_peer(void)
{
    /* Returns a routing id: 0 on failure. */
    CHECK_ERR(zmq_connect_peer(NULL, "tcp://127.0.0.1:5555"), 0, ENOTSOCK);
    CHECK_ERR(zmq_connect_peer(NULL, NULL), 0, ENOTSOCK);
    CHECK_ERR(zmq_connect_peer(SOCK, NULL), 0, EINVAL);
    CHECK_ERR(zmq_connect_peer(SOCK, "tcp://127.0.0.1:5555"), 0, ENOTSUP);
    CHECK_ERR(zmq_connect_peer(SOCK, "inproc://x"), 0, ENOTSUP);

    CHECK_ERR(zmq_disconnect_peer(NULL, 1), -1, ENOTSOCK);
    CHECK_ERR(zmq_disconnect_peer(NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_disconnect_peer(SOCK, 1), -1, ENOTSUP);
}

/* send, send_const and recv take a buffer and its length. */
static void test_buffer_functions(void)
{
    char buf[8] = "payload";
    CHECK_ERR(zmq_send(NULL, buf, 7, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_send(NULL, NULL, 7, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_send(SOCK, NULL, 7, 0), -1, EFAULT);
    CHECK_ERR(zmq_send(SOCK, NULL, 0, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_send(SOCK, buf, 7, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_send(SOCK, buf, 7, ZMQ_DONTWAIT | ZMQ_SNDMORE), -1, ENOTSUP);

    CHECK_ERR(zmq_send_const(NULL, buf, 7, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_send_const(SOCK, NULL, 7, 0), -1, EFAULT);
    CHECK_ERR(zmq_send_const(SOCK, NULL, 0, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_send_const(SOCK, buf, 7, 0), -1, ENOTSUP);

    CHECK_ERR(zmq_recv(NULL, buf, sizeof buf, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_recv(SOCK, NULL, sizeof buf, 0), -1, EFAULT);
    CHECK_ERR(zmq_recv(SOCK, NULL, 0, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_recv(SOCK, buf, sizeof buf, ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK(strcmp(buf, "payload") == 0); /* not written */
}

/* zmq_msg_send/recv and the old zmq_sendmsg/recvmsg: the socket first,
 * then the message; a failed call leaves the message to the caller,
 * unchanged. */
static void test_msg_send_recv(void)
{
    zmq_msg_t msg, dead;
    REQUIRE(zmq_msg_init_buffer(&msg, "hello", 5) == 0);
    REQUIRE(zmq_msg_init(&dead) == 0);
    REQUIRE(zmq_msg_close(&dead) == 0);

    CHECK_ERR(zmq_msg_send(&msg, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_msg_send(NULL, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_msg_send(NULL, SOCK, 0), -1, EFAULT);
    CHECK_ERR(zmq_msg_send(&dead, SOCK, 0), -1, EFAULT);
    CHECK_ERR(zmq_msg_send(&msg, SOCK, 0), -1, ENOTSUP);

    CHECK_ERR(zmq_msg_recv(&msg, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_msg_recv(NULL, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_msg_recv(NULL, SOCK, 0), -1, EFAULT);
    CHECK_ERR(zmq_msg_recv(&dead, SOCK, 0), -1, EFAULT);
    CHECK_ERR(zmq_msg_recv(&msg, SOCK, 0), -1, ENOTSUP);

    CHECK_ERR(zmq_sendmsg(NULL, &msg, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_sendmsg(NULL, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_sendmsg(SOCK, NULL, 0), -1, EFAULT);
    CHECK_ERR(zmq_sendmsg(SOCK, &dead, 0), -1, EFAULT);
    CHECK_ERR(zmq_sendmsg(SOCK, &msg, 0), -1, ENOTSUP);

    CHECK_ERR(zmq_recvmsg(NULL, &msg, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_recvmsg(NULL, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_recvmsg(SOCK, NULL, 0), -1, EFAULT);
    CHECK_ERR(zmq_recvmsg(SOCK, &dead, 0), -1, EFAULT);
    CHECK_ERR(zmq_recvmsg(SOCK, &msg, 0), -1, ENOTSUP);

    /* The message is still the caller's, unchanged; and dead still dead. */
    CHECK_EQ(zmq_msg_size(&msg), 5);
    const void *data = zmq_msg_data(&msg);
    CHECK(data != NULL && memcmp(data, "hello", 5) == 0);
    CHECK_EQ(zmq_msg_close(&msg), 0);
    CHECK_ERR(zmq_msg_close(&dead), -1, EFAULT);
}

static void test_iov(void)
{
    char a[4] = "abc", b[4] = "def";
    struct iovec iov[2] = {{a, 3}, {b, 3}};
    size_t count = 2;

    CHECK_ERR(zmq_sendiov(NULL, iov, 2, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_sendiov(NULL, NULL, 2, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_sendiov(SOCK, NULL, 2, 0), -1, EINVAL);
    CHECK_ERR(zmq_sendiov(SOCK, NULL, 0, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_sendiov(SOCK, iov, 2, 0), -1, ENOTSUP);

    CHECK_ERR(zmq_recviov(NULL, iov, &count, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_recviov(NULL, iov, NULL, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_recviov(SOCK, iov, NULL, 0), -1, EINVAL);
    CHECK_ERR(zmq_recviov(SOCK, iov, &count, 0), -1, ENOTSUP);
    CHECK_EQ(count, 2); /* not written */
}

static void test_monitors(void)
{
    const char *ep = "inproc://monitor";
    CHECK_ERR(zmq_socket_monitor(NULL, ep, ZMQ_EVENT_ALL), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor(SOCK, ep, ZMQ_EVENT_ALL), -1, ENOTSUP);
    CHECK_ERR(zmq_socket_monitor(SOCK, NULL, 0), -1, ENOTSUP);

    CHECK_ERR(
        zmq_socket_monitor_versioned(NULL, ep, ZMQ_EVENT_ALL, 1, ZMQ_PAIR), -1,
        ENOTSOCK);
    CHECK_ERR(
        zmq_socket_monitor_versioned(NULL, ep, ZMQ_EVENT_ALL, 0, ZMQ_PAIR), -1,
        ENOTSOCK);
    const int bad_versions[] = {0, 3, -1, 100};
    for (size_t i = 0; i < sizeof bad_versions / sizeof bad_versions[0]; i++)
        CHECK_ERR(zmq_socket_monitor_versioned(SOCK, ep, ZMQ_EVENT_ALL,
                                               bad_versions[i], ZMQ_PAIR),
                  -1, EINVAL);
    CHECK_ERR(
        zmq_socket_monitor_versioned(SOCK, ep, ZMQ_EVENT_ALL, 1, ZMQ_PAIR), -1,
        ENOTSUP);
    CHECK_ERR(
        zmq_socket_monitor_versioned(SOCK, ep, ZMQ_EVENT_ALL_V2, 2, ZMQ_PUB),
        -1, ENOTSUP);

    CHECK_ERR(zmq_socket_monitor_pipes_stats(NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(SOCK), -1, ENOTSUP);
}

static void test_peer_state(void)
{
    const char id[] = "peer";
    CHECK_ERR(zmq_socket_get_peer_state(NULL, id, 4), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_get_peer_state(NULL, NULL, 4), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_get_peer_state(SOCK, NULL, 4), -1, EINVAL);
    CHECK_ERR(zmq_socket_get_peer_state(SOCK, NULL, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_socket_get_peer_state(SOCK, id, 4), -1, ENOTSUP);
}

/* ------------------------------------------------------------------------ */
/* Polling and proxies                                                       */
/* ------------------------------------------------------------------------ */

static void test_poll(void)
{
    zmq_pollitem_t items[2] = {{SOCK, 0, ZMQ_POLLIN, 0},
                               {NULL, 0, ZMQ_POLLIN, 0}};
    CHECK_ERR(zmq_poll(items, -1, 0), -1, EINVAL);
    CHECK_ERR(zmq_poll(NULL, -1, 0), -1, EINVAL); /* the count first */
    CHECK_ERR(zmq_poll(NULL, 1, 0), -1, EFAULT);
    CHECK_ERR(zmq_poll(NULL, 0, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_poll(items, 2, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_poll(items, 2, -1), -1, ENOTSUP); /* does not block */
    CHECK_EQ(items[0].revents, 0);

    CHECK_ERR(zmq_ppoll(items, -1, 0, NULL), -1, EINVAL);
    CHECK_ERR(zmq_ppoll(NULL, -1, 0, NULL), -1, EINVAL);
    CHECK_ERR(zmq_ppoll(NULL, 1, 0, NULL), -1, EFAULT);
    CHECK_ERR(zmq_ppoll(NULL, 0, 0, NULL), -1, ENOTSUP);
    CHECK_ERR(zmq_ppoll(items, 2, 0, NULL), -1, ENOTSUP);
    CHECK_ERR(zmq_ppoll(items, 2, -1, NULL), -1, ENOTSUP);
}

static void test_proxies(void)
{
    CHECK_ERR(zmq_proxy(NULL, SOCK2, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(SOCK, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(NULL, NULL, SOCK), -1, EFAULT);
    CHECK_ERR(zmq_proxy(SOCK, SOCK2, NULL), -1, ENOTSUP);
    CHECK_ERR(zmq_proxy(SOCK, SOCK2, SOCK), -1, ENOTSUP);

    CHECK_ERR(zmq_proxy_steerable(NULL, SOCK2, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(SOCK, NULL, NULL, SOCK), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(SOCK, SOCK2, NULL, NULL), -1, ENOTSUP);
    CHECK_ERR(zmq_proxy_steerable(SOCK, SOCK2, SOCK, SOCK), -1, ENOTSUP);

    CHECK_ERR(zmq_device(ZMQ_QUEUE, NULL, SOCK2), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_QUEUE, SOCK, NULL), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_QUEUE, SOCK, SOCK2), -1, ENOTSUP);
    CHECK_ERR(zmq_device(ZMQ_FORWARDER, SOCK, SOCK2), -1, ENOTSUP);
    CHECK_ERR(zmq_device(ZMQ_STREAMER, SOCK, SOCK2), -1, ENOTSUP);
}

/* ------------------------------------------------------------------------ */
/* The poller                                                                */
/* ------------------------------------------------------------------------ */

static void test_poller_new_destroy(void)
{
    CHECK_NULL_ERR(zmq_poller_new(), ENOTSUP);

    void *p = NULL;
    CHECK_ERR(zmq_poller_destroy(NULL), -1, EFAULT);
    CHECK_ERR(zmq_poller_destroy(&p), -1, EFAULT);
    p = POLLER;
    CHECK_ERR(zmq_poller_destroy(&p), -1, ENOTSUP);

    CHECK_ERR(zmq_poller_size(NULL), -1, EFAULT);
    CHECK_ERR(zmq_poller_size(POLLER), -1, ENOTSUP);
}

static void test_poller_sockets(void)
{
    int user = 0;
    CHECK_ERR(zmq_poller_add(NULL, SOCK, &user, ZMQ_POLLIN), -1, EFAULT);
    CHECK_ERR(zmq_poller_add(NULL, NULL, &user, ZMQ_POLLIN), -1, EFAULT);
    CHECK_ERR(zmq_poller_add(POLLER, NULL, &user, ZMQ_POLLIN), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_add(POLLER, SOCK, &user, ZMQ_POLLIN), -1, ENOTSUP);
    CHECK_ERR(zmq_poller_add(POLLER, SOCK, NULL, 0), -1, ENOTSUP);

    CHECK_ERR(zmq_poller_modify(NULL, SOCK, ZMQ_POLLOUT), -1, EFAULT);
    CHECK_ERR(zmq_poller_modify(NULL, NULL, ZMQ_POLLOUT), -1, EFAULT);
    CHECK_ERR(zmq_poller_modify(POLLER, NULL, ZMQ_POLLOUT), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_modify(POLLER, SOCK, ZMQ_POLLOUT), -1, ENOTSUP);

    CHECK_ERR(zmq_poller_remove(NULL, SOCK), -1, EFAULT);
    CHECK_ERR(zmq_poller_remove(NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_poller_remove(POLLER, NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_remove(POLLER, SOCK), -1, ENOTSUP);
}

static void test_poller_wait(void)
{
    zmq_poller_event_t ev, evs[4];
    CHECK_ERR(zmq_poller_wait(NULL, &ev, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait(POLLER, NULL, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait(POLLER, &ev, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_poller_wait(POLLER, &ev, -1), -1, ENOTSUP);

    CHECK_ERR(zmq_poller_wait_all(NULL, evs, 4, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait_all(NULL, NULL, -1, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait_all(POLLER, NULL, 4, 0), -1, EINVAL);
    CHECK_ERR(zmq_poller_wait_all(POLLER, evs, -1, 0), -1, EINVAL);
    CHECK_ERR(zmq_poller_wait_all(POLLER, evs, 4, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_poller_wait_all(POLLER, evs, 4, -1), -1, ENOTSUP);

    zmq_fd_t fd = -7;
    CHECK_ERR(zmq_poller_fd(NULL, &fd), -1, EFAULT);
    CHECK_ERR(zmq_poller_fd(NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_poller_fd(POLLER, NULL), -1, EINVAL);
    CHECK_ERR(zmq_poller_fd(POLLER, &fd), -1, ENOTSUP);
    CHECK_EQ(fd, -7); /* not written */
}

static void test_poller_fds(void)
{
    int user = 0;
    CHECK_ERR(zmq_poller_add_fd(NULL, 0, &user, ZMQ_POLLIN), -1, EFAULT);
    CHECK_ERR(zmq_poller_add_fd(NULL, -1, &user, ZMQ_POLLIN), -1, EFAULT);
    CHECK_ERR(zmq_poller_add_fd(POLLER, -1, &user, ZMQ_POLLIN), -1, EBADF);
    CHECK_ERR(zmq_poller_add_fd(POLLER, 0, &user, ZMQ_POLLIN), -1, ENOTSUP);

    CHECK_ERR(zmq_poller_modify_fd(NULL, 0, ZMQ_POLLIN), -1, EFAULT);
    CHECK_ERR(zmq_poller_modify_fd(NULL, -1, ZMQ_POLLIN), -1, EFAULT);
    CHECK_ERR(zmq_poller_modify_fd(POLLER, -1, ZMQ_POLLIN), -1, EBADF);
    CHECK_ERR(zmq_poller_modify_fd(POLLER, 0, ZMQ_POLLIN), -1, ENOTSUP);

    CHECK_ERR(zmq_poller_remove_fd(NULL, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_remove_fd(NULL, -1), -1, EFAULT);
    CHECK_ERR(zmq_poller_remove_fd(POLLER, -1), -1, EBADF);
    CHECK_ERR(zmq_poller_remove_fd(POLLER, -100), -1, EBADF);
    CHECK_ERR(zmq_poller_remove_fd(POLLER, 0), -1, ENOTSUP);
}

TEST_MAIN(TEST(test_ctx_new_and_init), TEST(test_ctx_functions),
          TEST(test_ctx_ext), TEST(test_socket), TEST(test_close_and_options),
          TEST(test_string_functions), TEST(test_connect_peer),
          TEST(test_buffer_functions), TEST(test_msg_send_recv), TEST(test_iov),
          TEST(test_monitors), TEST(test_peer_state), TEST(test_poll),
          TEST(test_proxies), TEST(test_poller_new_destroy),
          TEST(test_poller_sockets), TEST(test_poller_wait),
          TEST(test_poller_fds))
