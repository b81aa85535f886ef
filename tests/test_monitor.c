/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of zmq_socket_monitor and zmq_socket_monitor_versioned:
 * argument checks, the monitor socket types, and the frame formats of
 * versions 1 and 2 as seen with ZMQ_EVENT_MONITOR_STOPPED, the event every
 * monitor emits (transport events come with tcp and ipc).
 */
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif
#include <stdint.h>
#include <string.h>

#include <zmq.h>

#include "testutil.h"

/* Receives one frame with a bounded wait; its size, or -1. */
static int recv_frame(void *s, void *buf, size_t len, int *more)
{
    int timeout = 5000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int rc = zmq_recv(s, buf, len, 0);
    size_t sz = sizeof *more;
    zmq_getsockopt(s, ZMQ_RCVMORE, more, &sz);
    return rc;
}

static void test_errors(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(s != NULL);
    CHECK_ERR(zmq_socket_monitor(NULL, "inproc://m", ZMQ_EVENT_ALL), -1,
              ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor(s, "tcp://127.0.0.1:5555", ZMQ_EVENT_ALL), -1,
              EPROTONOSUPPORT);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://m", ZMQ_EVENT_ALL, 0,
                                           ZMQ_PAIR),
              -1, EINVAL);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://m", ZMQ_EVENT_ALL, 3,
                                           ZMQ_PAIR),
              -1, EINVAL);
    /* Version 1 cannot carry the draft events. */
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://m",
                                           ZMQ_EVENT_PIPES_STATS, 1, ZMQ_PAIR),
              -1, EINVAL);
    /* Only PAIR, PUB and PUSH can publish events. */
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://m", ZMQ_EVENT_ALL, 1,
                                           ZMQ_PULL),
              -1, EINVAL);
    CHECK_ERR(zmq_socket_monitor_versioned(s, "inproc://m", ZMQ_EVENT_ALL, 2,
                                           ZMQ_SUB),
              -1, EINVAL);
    /* The address is bound: a taken one fails. */
    void *other = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(other != NULL);
    CHECK_EQ(zmq_bind(other, "inproc://taken"), 0);
    CHECK_ERR(zmq_socket_monitor(s, "inproc://taken", ZMQ_EVENT_ALL), -1,
              EADDRINUSE);
    /* Stopping a monitor that was never started is fine. */
    CHECK_EQ(zmq_socket_monitor(s, NULL, 0), 0);
    zmq_close(other);
    zmq_close(s);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Version 1: [uint16 event][uint32 value] and the endpoint. */
static void test_v1_stopped(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(s != NULL);
    CHECK_EQ(zmq_socket_monitor(s, "inproc://mon1", ZMQ_EVENT_ALL), 0);
    void *m = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(m != NULL);
    CHECK_EQ(zmq_connect(m, "inproc://mon1"), 0);
    CHECK_EQ(zmq_socket_monitor(s, NULL, 0), 0);

    unsigned char head[16];
    int more = 0;
    CHECK_EQ(recv_frame(m, head, sizeof head, &more), 6);
    CHECK_EQ(more, 1);
    uint16_t event;
    uint32_t value;
    memcpy(&event, head, 2);
    memcpy(&value, head + 2, 4);
    CHECK_EQ(event, ZMQ_EVENT_MONITOR_STOPPED);
    CHECK_EQ(value, 0);
    char ep[64];
    CHECK_EQ(recv_frame(m, ep, sizeof ep, &more), 0);
    CHECK_EQ(more, 0);
    zmq_close(m);
    zmq_close(s);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Version 2: [u64 event][u64 count][values][local][remote], here on a PUB
 * monitor socket; closing the monitored socket stops the monitor. */
static void test_v2_stopped_on_close(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PULL);
    REQUIRE(s != NULL);
    CHECK_EQ(zmq_socket_monitor_versioned(s, "inproc://mon2", ZMQ_EVENT_ALL_V2,
                                          2, ZMQ_PUB),
             0);
    void *m = zmq_socket(ctx, ZMQ_SUB);
    REQUIRE(m != NULL);
    CHECK_EQ(zmq_setsockopt(m, ZMQ_SUBSCRIBE, "", 0), 0);
    CHECK_EQ(zmq_connect(m, "inproc://mon2"), 0);
    zmq_close(s);

    uint64_t event = 0, count = 0, value = 1;
    int more = 0;
    CHECK_EQ(recv_frame(m, &event, sizeof event, &more), 8);
    CHECK_EQ(event, ZMQ_EVENT_MONITOR_STOPPED);
    CHECK_EQ(recv_frame(m, &count, sizeof count, &more), 8);
    CHECK_EQ(count, 1);
    CHECK_EQ(recv_frame(m, &value, sizeof value, &more), 8);
    CHECK_EQ(value, 0);
    char ep[64];
    CHECK_EQ(recv_frame(m, ep, sizeof ep, &more), 0); /* local */
    CHECK_EQ(more, 1);
    CHECK_EQ(recv_frame(m, ep, sizeof ep, &more), 0); /* remote */
    CHECK_EQ(more, 0);
    zmq_close(m);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Events not asked for are not sent; a new monitor replaces the old. */
static void test_filter_and_replace(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(s != NULL);
    CHECK_EQ(zmq_socket_monitor(s, "inproc://quiet", ZMQ_EVENT_CONNECTED), 0);
    void *q = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(q != NULL);
    CHECK_EQ(zmq_connect(q, "inproc://quiet"), 0);
    /* Replacing the monitor stops the first one: MONITOR_STOPPED was not
     * asked for there, so nothing comes. */
    CHECK_EQ(zmq_socket_monitor(s, "inproc://loud", ZMQ_EVENT_ALL), 0);
    void *l = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(l != NULL);
    CHECK_EQ(zmq_connect(l, "inproc://loud"), 0);
    CHECK_EQ(zmq_socket_monitor(s, NULL, 0), 0);
    unsigned char head[16];
    int more;
    CHECK_EQ(recv_frame(l, head, sizeof head, &more), 6);
    /* The quiet monitor's peer got nothing but the end of its pipe. */
    CHECK_ERR(zmq_recv(q, head, sizeof head, ZMQ_DONTWAIT), -1, EAGAIN);
    zmq_close(q);
    zmq_close(l);
    zmq_close(s);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* zmq_socket_monitor_pipes_stats: one PIPES_STATS event per pipe with the
 * messages queued out of and into the socket. */
static void test_pipes_stats(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    REQUIRE(push != NULL && pull != NULL);
    /* Without a monitor asking for PIPES_STATS: EINVAL. */
    CHECK_ERR(zmq_socket_monitor_pipes_stats(NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(push), -1, EINVAL);
    CHECK_EQ(zmq_socket_monitor(push, "inproc://v1", ZMQ_EVENT_ALL), 0);
    CHECK_ERR(zmq_socket_monitor_pipes_stats(push), -1, EINVAL);

    CHECK_EQ(zmq_socket_monitor_versioned(push, "inproc://stats",
                                          ZMQ_EVENT_PIPES_STATS, 2, ZMQ_PAIR),
             0);
    void *m = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(m != NULL);
    CHECK_EQ(zmq_connect(m, "inproc://stats"), 0);
    CHECK_EQ(zmq_bind(pull, "inproc://data"), 0);
    CHECK_EQ(zmq_connect(push, "inproc://data"), 0);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(zmq_send(push, "x", 1, 0), 1);
    /* The PULL reads two, so three stay queued towards it. */
    char c;
    CHECK_EQ(zmq_recv(pull, &c, 1, 0), 1);
    CHECK_EQ(zmq_recv(pull, &c, 1, 0), 1);
    CHECK_EQ(zmq_socket_monitor_pipes_stats(push), 0);

    /* The question is answered by the PULL's thread and the answer taken
     * by the PUSH's, each when it next processes commands (any call on
     * it): here one thread plays both, until the event is out. */
    zmq_pollitem_t item = {m, 0, ZMQ_POLLIN, 0};
    int events = 0;
    for (int i = 0; i < 500 && zmq_poll(&item, 1, 0) == 0; i++) {
        size_t len = sizeof events;
        zmq_getsockopt(pull, ZMQ_EVENTS, &events, &len);
        len = sizeof events;
        zmq_getsockopt(push, ZMQ_EVENTS, &events, &len);
        zmq_poll(&item, 1, 10);
    }
    uint64_t event = 0, count = 0, out = 99, in = 99;
    int more;
    CHECK_EQ(recv_frame(m, &event, sizeof event, &more), 8);
    CHECK_EQ(event, ZMQ_EVENT_PIPES_STATS);
    CHECK_EQ(recv_frame(m, &count, sizeof count, &more), 8);
    CHECK_EQ(count, 2);
    CHECK_EQ(recv_frame(m, &out, sizeof out, &more), 8);
    CHECK_EQ(recv_frame(m, &in, sizeof in, &more), 8);
    CHECK_EQ(out, 3);
    CHECK_EQ(in, 0);
    char ep[64];
    int n = recv_frame(m, ep, sizeof ep, &more);
    CHECK(n > 0 && n < (int)sizeof ep);
    if (n > 0 && n < (int)sizeof ep)
        CHECK(memcmp(ep, "inproc://data", (size_t)n) == 0);
    CHECK_EQ(recv_frame(m, ep, sizeof ep, &more), 0);
    CHECK_EQ(more, 0);
    zmq_close(m);
    zmq_close(push);
    zmq_close(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* A new monitor may take over the address of the one it replaces. */
static void test_replace_same_address(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(s != NULL);
    CHECK_EQ(zmq_socket_monitor(s, "inproc://same", ZMQ_EVENT_ALL), 0);
    CHECK_EQ(zmq_socket_monitor(s, "inproc://same", ZMQ_EVENT_ALL), 0);
    zmq_close(s);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_errors), TEST(test_v1_stopped), TEST(test_pipes_stats),
          TEST(test_replace_same_address), TEST(test_v2_stopped_on_close),
          TEST(test_filter_and_replace))
