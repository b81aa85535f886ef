/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the properties a message received over tcp or ipc
 * carries (zmq_msg_gets, zmq_msg_get ZMQ_SRCFD): the peer's Socket-Type,
 * its Identity, the application's X-
 * properties (ZMQ_METADATA), Peer-Address, and the descriptor; and that
 * a peer cannot pass off local-only properties as its own.
 */
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"

static void set_str(void *s, int option, const char *value)
{
    CHECK_EQ(zmq_setsockopt(s, option, value, strlen(value)), 0);
}

static int same(const char *got, const char *want)
{
    if (got != NULL && strcmp(got, want) == 0)
        return 1;
    fprintf(stderr, "  got %s, wanted %s\n", got ? got : "(null)", want);
    return 0;
}

static void run(const char *bind_ep, const char *peer_address)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    REQUIRE(router && dealer);
    int timeout = 5000;
    zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    set_str(dealer, ZMQ_ROUTING_ID, "dealer-1");
    set_str(dealer, ZMQ_METADATA, "X-Hello:World");
    set_str(dealer, ZMQ_METADATA, "X-Other:1");
    CHECK_EQ(zmq_bind(router, bind_ep), 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK_EQ(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    CHECK_EQ(zmq_connect(dealer, ep), 0);
    CHECK_EQ(zmq_send(dealer, "x", 1, 0), 1);

    zmq_msg_t id, body;
    zmq_msg_init(&id);
    zmq_msg_init(&body);
    REQUIRE(zmq_msg_recv(&id, router, 0) == 8);
    CHECK(memcmp(zmq_msg_data(&id), "dealer-1", 8) == 0);
    REQUIRE(zmq_msg_recv(&body, router, 0) == 1);
    CHECK(same(zmq_msg_gets(&body, "Socket-Type"), "DEALER"));
    CHECK(same(zmq_msg_gets(&body, "Identity"), "dealer-1"));
    /* As libzmq: the wire name is the key; "Routing-Id" is not an alias. */
    CHECK(zmq_msg_gets(&body, "Routing-Id") == NULL);
    CHECK(same(zmq_msg_gets(&body, "X-Hello"), "World"));
    CHECK(same(zmq_msg_gets(&body, "X-Other"), "1"));
    const char *peer = zmq_msg_gets(&body, "Peer-Address");
    /* As libzmq: the bare IP address (tcp), "localhost:uid:gid:pid"
     * (ipc). */
    CHECK(same(peer, peer_address));
    CHECK(zmq_msg_gets(&body, "X-Missing") == NULL);
    int fd = zmq_msg_get(&body, ZMQ_SRCFD);
    CHECK(fd > 2);
    zmq_msg_close(&id);
    zmq_msg_close(&body);

    CHECK_EQ(zmq_close(dealer), 0);
    CHECK_EQ(zmq_close(router), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_tcp(void)
{
    run("tcp://127.0.0.1:*", "127.0.0.1");
}

static void test_ipc(void)
{
    char ep[64];
    snprintf(ep, sizeof ep, "ipc://@zmq-test-props-%d", (int)getpid());
    char want[64];
    snprintf(want, sizeof want, "localhost:%u:%u:%d", (unsigned)getuid(),
             (unsigned)getgid(), (int)getpid());
    run(ep, want);
}

static void put_prop(unsigned char *buf, size_t *n, const char *name,
                     const char *value)
{
    size_t nl = strlen(name), vl = strlen(value);
    buf[(*n)++] = (unsigned char)nl;
    memcpy(buf + *n, name, nl);
    *n += nl;
    buf[(*n)++] = 0;
    buf[(*n)++] = 0;
    buf[(*n)++] = 0;
    buf[(*n)++] = (unsigned char)vl;
    memcpy(buf + *n, value, vl);
    *n += vl;
}

/* A raw peer announcing "Peer-Address" and "__fd" in its READY cannot
 * override the local values. */
static void test_spoofed(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    REQUIRE(pull != NULL);
    int timeout = 5000;
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    CHECK_EQ(zmq_bind(pull, "tcp://127.0.0.1:*"), 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK_EQ(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    int port = atoi(strrchr(ep, ':') + 1);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    REQUIRE(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    unsigned char g[64] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1};
    memcpy(g + 12, "NULL", 4);
    REQUIRE(write(fd, g, sizeof g) == (ssize_t)sizeof g);
    unsigned char ready[200];
    size_t n = 2;
    memcpy(ready + n, "\x05READY", 6);
    n += 6;
    put_prop(ready, &n, "Socket-Type", "PUSH");
    put_prop(ready, &n, "Peer-Address", "tcp://6.6.6.6:66");
    put_prop(ready, &n, "__fd", "12345");
    ready[0] = 0x04;
    ready[1] = (unsigned char)(n - 2);
    REQUIRE(write(fd, ready, n) == (ssize_t)n);
    unsigned char msg[] = {0x00, 0x02, 'h', 'i'};
    REQUIRE(write(fd, msg, sizeof msg) == (ssize_t)sizeof msg);

    zmq_msg_t m;
    zmq_msg_init(&m);
    REQUIRE(zmq_msg_recv(&m, pull, 0) == 2);
    const char *peer = zmq_msg_gets(&m, "Peer-Address");
    CHECK(peer != NULL && strcmp(peer, "tcp://6.6.6.6:66") != 0);
    CHECK(zmq_msg_get(&m, ZMQ_SRCFD) != 12345);
    zmq_msg_close(&m);
    close(fd);
    CHECK_EQ(zmq_close(pull), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_tcp), TEST(test_ipc), TEST(test_spoofed))
