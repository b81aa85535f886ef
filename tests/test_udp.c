/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the udp transport: RADIO -> DISH (unicast, and
 * multicast on the loopback interface when the machine allows it), the
 * DGRAM socket's [address][body] messages both ways, and the socket types
 * udp refuses (ENOCOMPATPROTO).  udp is lossy by design: the first
 * datagrams may go before the receiver is ready, so senders repeat until
 * the receiver has something, bounded by a deadline.
 */
#define _GNU_SOURCE /* struct ip_mreq */
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

/* A free udp port on 127.0.0.1 (the kernel's choice, released again). */
static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int radio_send(void *radio, const char *group, const char *text)
{
    zmq_msg_t m;
    zmq_msg_init_size(&m, strlen(text));
    memcpy(zmq_msg_data(&m), text, strlen(text));
    zmq_msg_set_group(&m, group);
    int rc = zmq_msg_send(&m, radio, 0);
    if (rc < 0)
        zmq_msg_close(&m);
    return rc;
}

/* Sends "sport" and "news" datagrams until the dish receives one (at most
 * 100 rounds of 50 ms); checks it is the joined group's. */
static void radio_to_dish(void *radio, void *dish)
{
    int timeout = 50;
    zmq_setsockopt(dish, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_msg_t in;
    zmq_msg_init(&in);
    int got = -1;
    for (int i = 0; i < 100 && got < 0; i++) {
        CHECK_EQ(radio_send(radio, "sport", "other"), 5);
        CHECK_EQ(radio_send(radio, "news", "hello"), 5);
        got = zmq_msg_recv(&in, dish, 0);
    }
    REQUIRE(got == 5);
    CHECK(memcmp(zmq_msg_data(&in), "hello", 5) == 0);
    CHECK(strcmp(zmq_msg_group(&in), "news") == 0);
    zmq_msg_close(&in);
}

static void test_radio_dish_unicast(void)
{
    void *ctx = zmq_ctx_new();
    void *radio = zmq_socket(ctx, ZMQ_RADIO);
    void *dish = zmq_socket(ctx, ZMQ_DISH);
    REQUIRE(radio && dish);
    int port = free_udp_port();
    REQUIRE(port > 0);
    char ep[64];
    snprintf(ep, sizeof ep, "udp://127.0.0.1:%d", port);
    CHECK_EQ(zmq_bind(dish, ep), 0);
    CHECK_EQ(zmq_join(dish, "news"), 0);
    CHECK_EQ(zmq_connect(radio, ep), 0);
    radio_to_dish(radio, dish);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_radio_dish_multicast(void)
{
    /* Multicast needs a route for 239/8 on some interface; containers
     * often have none.  Check with a plain socket first. */
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ip_mreq mreq;
    inet_pton(AF_INET, "239.192.7.7", &mreq.imr_multiaddr);
    mreq.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
    int can =
        setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) == 0;
    close(fd);
    if (!can) {
        printf("  skipped: no multicast on the loopback interface here\n");
        return;
    }
    void *ctx = zmq_ctx_new();
    void *radio = zmq_socket(ctx, ZMQ_RADIO);
    void *dish = zmq_socket(ctx, ZMQ_DISH);
    REQUIRE(radio && dish);
    int port = free_udp_port();
    char ep[64];
    snprintf(ep, sizeof ep, "udp://127.0.0.1;239.192.7.7:%d", port);
    CHECK_EQ(zmq_bind(dish, ep), 0);
    CHECK_EQ(zmq_join(dish, "news"), 0);
    int loop = 1;
    CHECK_EQ(zmq_setsockopt(radio, ZMQ_MULTICAST_LOOP, &loop, sizeof loop), 0);
    CHECK_EQ(zmq_connect(radio, ep), 0);
    radio_to_dish(radio, dish);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_dgram(void)
{
    void *ctx = zmq_ctx_new();
    void *a = zmq_socket(ctx, ZMQ_DGRAM);
    void *b = zmq_socket(ctx, ZMQ_DGRAM);
    REQUIRE(a && b);
    int pa = free_udp_port(), pb = free_udp_port();
    char ea[64], eb[64], to_b[32];
    snprintf(ea, sizeof ea, "udp://127.0.0.1:%d", pa);
    snprintf(eb, sizeof eb, "udp://127.0.0.1:%d", pb);
    snprintf(to_b, sizeof to_b, "127.0.0.1:%d", pb);
    CHECK_EQ(zmq_bind(a, ea), 0);
    CHECK_EQ(zmq_bind(b, eb), 0);
    /* Two parts only: the address must announce the body, the body
     * must end the message. */
    CHECK_ERR(zmq_send(a, to_b, strlen(to_b), 0), -1, EINVAL);
    int timeout = 50;
    zmq_setsockopt(b, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(a, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    char from[64], body[64];
    int n = -1;
    for (int i = 0; i < 100 && n < 0; i++) {
        CHECK_EQ(zmq_send(a, to_b, strlen(to_b), ZMQ_SNDMORE),
                 (int)strlen(to_b));
        CHECK_EQ(zmq_send(a, "ping", 4, 0), 4);
        n = zmq_recv(b, from, sizeof from - 1, 0);
    }
    REQUIRE(n > 0);
    from[n] = '\0';
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%d", pa);
    CHECK(strcmp(from, want) == 0);
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(b, ZMQ_RCVMORE, &more, &ml);
    CHECK(more);
    CHECK_EQ(zmq_recv(b, body, sizeof body, 0), 4);
    CHECK(memcmp(body, "ping", 4) == 0);
    /* Reply to where it came from. */
    n = -1;
    for (int i = 0; i < 100 && n < 0; i++) {
        CHECK_EQ(zmq_send(b, from, strlen(from), ZMQ_SNDMORE),
                 (int)strlen(from));
        CHECK_EQ(zmq_send(b, "pong", 4, 0), 4);
        n = zmq_recv(a, from, sizeof from, 0);
    }
    REQUIRE(n > 0);
    CHECK_EQ(zmq_recv(a, body, sizeof body, 0), 4);
    CHECK(memcmp(body, "pong", 4) == 0);
    CHECK_EQ(zmq_close(a), 0);
    CHECK_EQ(zmq_close(b), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* A wildcard port binds one the system picks, and LAST_ENDPOINT names
 * it: datagrams sent there arrive. */
static void test_wildcard_port(void)
{
    void *ctx = zmq_ctx_new();
    void *a = zmq_socket(ctx, ZMQ_DGRAM);
    void *b = zmq_socket(ctx, ZMQ_DGRAM);
    REQUIRE(a && b);
    CHECK_EQ(zmq_bind(b, "udp://127.0.0.1:*"), 0);
    char ep[64];
    size_t len = sizeof ep;
    CHECK_EQ(zmq_getsockopt(b, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    REQUIRE(strncmp(ep, "udp://127.0.0.1:", 16) == 0);
    int port = atoi(ep + 16);
    CHECK(port > 0 && port < 65536);
    CHECK_EQ(zmq_bind(a, "udp://127.0.0.1:0"), 0);
    char to[32], buf[64];
    snprintf(to, sizeof to, "127.0.0.1:%d", port);
    int timeout = 50;
    zmq_setsockopt(b, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int n = -1;
    for (int i = 0; i < 100 && n < 0; i++) {
        CHECK_EQ(zmq_send(a, to, strlen(to), ZMQ_SNDMORE), (int)strlen(to));
        CHECK_EQ(zmq_send(a, "hey", 3, 0), 3);
        n = zmq_recv(b, buf, sizeof buf, 0);
    }
    CHECK(n > 0);
    CHECK_EQ(zmq_recv(b, buf, sizeof buf, 0), 3);
    /* Unbound by the endpoint it became. */
    CHECK_EQ(zmq_unbind(b, ep), 0);
    CHECK_EQ(zmq_close(a), 0);
    CHECK_EQ(zmq_close(b), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_incompatible(void)
{
    void *ctx = zmq_ctx_new();
    static const int types[] = {ZMQ_PUSH,   ZMQ_PULL,   ZMQ_PUB, ZMQ_SUB,
                                ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PEER};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = zmq_socket(ctx, types[i]);
        REQUIRE(s != NULL);
        CHECK_ERR(zmq_bind(s, "udp://127.0.0.1:5555"), -1, ENOCOMPATPROTO);
        CHECK_ERR(zmq_connect(s, "udp://127.0.0.1:5555"), -1, ENOCOMPATPROTO);
        CHECK_EQ(zmq_close(s), 0);
    }
    /* RADIO only sends, DISH only receives. */
    void *radio = zmq_socket(ctx, ZMQ_RADIO);
    void *dish = zmq_socket(ctx, ZMQ_DISH);
    CHECK_ERR(zmq_bind(radio, "udp://127.0.0.1:5555"), -1, ENOCOMPATPROTO);
    CHECK_ERR(zmq_connect(dish, "udp://127.0.0.1:5555"), -1, ENOCOMPATPROTO);
    CHECK_ERR(zmq_connect(radio, "udp://127.0.0.1"), -1, EINVAL);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_radio_dish_unicast), TEST(test_radio_dish_multicast),
          TEST(test_dgram), TEST(test_wildcard_port), TEST(test_incompatible))
