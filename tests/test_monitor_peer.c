/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Beyond libzmq: version-2 monitor events of a PEER (or SERVER)
 * connection carry the connection's routing id as a second value, so an
 * application can tie HANDSHAKE_SUCCEEDED and DISCONNECTED to the id it
 * sends with.  On the connecting side the id is the one zmq_connect_peer
 * returned; on the accepting side it is the id messages from that
 * connection carry.  Run over tcp and ipc.
 */
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"

struct event {
    uint64_t event;
    uint64_t n;
    uint64_t values[4];
};

/* Reads version-2 events until one of type `want` comes (bounded). */
static int next_event(void *mon, uint64_t want, struct event *ev)
{
    int timeout = 5000;
    zmq_setsockopt(mon, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    for (int tries = 0; tries < 50; tries++) {
        memset(ev, 0, sizeof *ev);
        if (zmq_recv(mon, &ev->event, sizeof ev->event, 0) != 8 ||
            zmq_recv(mon, &ev->n, sizeof ev->n, 0) != 8 || ev->n > 4)
            return -1;
        for (uint64_t i = 0; i < ev->n; i++)
            if (zmq_recv(mon, &ev->values[i], 8, 0) != 8)
                return -1;
        char ep[256];
        if (zmq_recv(mon, ep, sizeof ep, 0) < 0 ||
            zmq_recv(mon, ep, sizeof ep, 0) < 0)
            return -1;
        if (ev->event == want)
            return 0;
    }
    return -1;
}

static uint32_t send_to(void *s, uint32_t id, const char *text)
{
    zmq_msg_t m;
    zmq_msg_init_size(&m, strlen(text));
    memcpy(zmq_msg_data(&m), text, strlen(text));
    zmq_msg_set_routing_id(&m, id);
    int rc = zmq_msg_send(&m, s, 0);
    if (rc < 0)
        zmq_msg_close(&m);
    return rc < 0 ? 0 : id;
}

/* The routing id of the next message on s (0 on timeout). */
static uint32_t recv_from(void *s)
{
    int timeout = 5000;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_msg_t m;
    zmq_msg_init(&m);
    uint32_t id = zmq_msg_recv(&m, s, 0) >= 0 ? zmq_msg_routing_id(&m) : 0;
    zmq_msg_close(&m);
    return id;
}

static void run(const char *bind_ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *server = zmq_socket(ctx, ZMQ_PEER);
    void *client = zmq_socket(ctx, ZMQ_PEER);
    void *smon = zmq_socket(ctx, ZMQ_PAIR);
    void *cmon = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(server && client && smon && cmon);
    CHECK_EQ(zmq_socket_monitor_versioned(server, "inproc://smon",
                                          ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR),
             0);
    CHECK_EQ(zmq_socket_monitor_versioned(client, "inproc://cmon",
                                          ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR),
             0);
    CHECK_EQ(zmq_connect(smon, "inproc://smon"), 0);
    CHECK_EQ(zmq_connect(cmon, "inproc://cmon"), 0);
    CHECK_EQ(zmq_bind(server, bind_ep), 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK_EQ(zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, ep, &len), 0);

    uint32_t to_server = zmq_connect_peer(client, ep);
    CHECK(to_server != 0);
    struct event ev;
    /* Connecting side: the id zmq_connect_peer gave. */
    REQUIRE(next_event(cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &ev) == 0);
    CHECK_EQ(ev.n, 2);
    CHECK_EQ(ev.values[1], to_server);
    /* Accepting side: the id the connection's messages carry. */
    REQUIRE(next_event(smon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &ev) == 0);
    CHECK_EQ(ev.n, 2);
    uint32_t accepted = (uint32_t)ev.values[1];
    CHECK(accepted != 0);
    CHECK_EQ(send_to(client, to_server, "hi"), to_server);
    CHECK_EQ(recv_from(server), accepted);

    /* The client goes: the server's DISCONNECTED names the same id. */
    CHECK_EQ(zmq_close(client), 0);
    REQUIRE(next_event(smon, ZMQ_EVENT_DISCONNECTED, &ev) == 0);
    CHECK_EQ(ev.n, 2);
    CHECK_EQ(ev.values[1], accepted);

    CHECK_EQ(zmq_close(server), 0);
    CHECK_EQ(zmq_close(smon), 0);
    CHECK_EQ(zmq_close(cmon), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_tcp(void)
{
    run("tcp://127.0.0.1:*");
}

static void test_ipc(void)
{
    char ep[64];
    snprintf(ep, sizeof ep, "ipc://@zmq-test-monpeer-%d", (int)getpid());
    run(ep);
}

TEST_MAIN(TEST(test_tcp), TEST(test_ipc))
