/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of ZMQ_STREAM over tcp against raw sockets of the test:
 * connection and disconnection notices ([id][empty]), data both ways, a
 * large reply followed by the empty frame that closes the connection
 * (the reply arrives whole before the close), CONNECT_ROUTING_ID and
 * STREAM_NOTIFY off, EHOSTUNREACH for an unknown id.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"

#define TIMEOUT_MS 5000

static int port_of(void *s)
{
    char ep[256];
    size_t len = sizeof ep;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
        return -1;
    return atoi(strrchr(ep, ':') + 1);
}

static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void *new_stream(void *ctx)
{
    void *s = zmq_socket(ctx, ZMQ_STREAM);
    int timeout = TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    return s;
}

/* Receives [id][data]: the data size, the id in id/idlen. */
static int recv_pair(void *s, unsigned char *id, size_t *idlen, char *buf,
                     size_t size)
{
    int n = zmq_recv(s, id, 256, 0);
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(s, ZMQ_RCVMORE, &more, &ml);
    if (n < 0 || !more)
        return -1;
    *idlen = (size_t)n;
    return zmq_recv(s, buf, size, 0);
}

static void test_server_side(void)
{
    void *ctx = zmq_ctx_new();
    void *s = new_stream(ctx);
    CHECK_EQ(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    int fd = raw_connect(port_of(s));
    REQUIRE(fd >= 0);

    unsigned char id[256], id2[256];
    size_t idlen = 0, id2len = 0;
    char buf[256];
    /* The connection notice. */
    CHECK_EQ(recv_pair(s, id, &idlen, buf, sizeof buf), 0);
    CHECK_EQ(idlen, 5);
    CHECK_EQ(write(fd, "GET /\r\n", 7), 7);
    CHECK_EQ(recv_pair(s, id2, &id2len, buf, sizeof buf), 7);
    CHECK(id2len == idlen && memcmp(id, id2, idlen) == 0);
    CHECK(memcmp(buf, "GET /\r\n", 7) == 0);

    /* A large reply, then the empty frame that closes: all of it comes
     * before the end of the stream. */
    enum { BIG = 300000 };
    char *reply = malloc(BIG);
    REQUIRE(reply != NULL);
    for (int i = 0; i < BIG; i++)
        reply[i] = (char)('a' + i % 26);
    CHECK_EQ(zmq_send(s, id, idlen, ZMQ_SNDMORE), (int)idlen);
    CHECK_EQ(zmq_send(s, reply, BIG, 0), BIG);
    CHECK_EQ(zmq_send(s, id, idlen, ZMQ_SNDMORE), (int)idlen);
    CHECK_EQ(zmq_send(s, "", 0, 0), 0);
    char *got = malloc(BIG + 1);
    REQUIRE(got != NULL);
    size_t have = 0;
    for (;;) {
        /* Let the socket process its commands while we read. */
        zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, 0);
        ssize_t n = read(fd, got + have, BIG + 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    CHECK_EQ(have, BIG);
    CHECK(memcmp(got, reply, BIG) == 0);
    free(got);
    free(reply);
    close(fd);

    /* Unknown ids are refused. */
    CHECK_EQ(zmq_send(s, "nope!", 5, ZMQ_SNDMORE), -1);
    CHECK_EQ(zmq_errno(), EHOSTUNREACH);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_disconnect_notice(void)
{
    void *ctx = zmq_ctx_new();
    void *s = new_stream(ctx);
    CHECK_EQ(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
    int fd = raw_connect(port_of(s));
    REQUIRE(fd >= 0);
    unsigned char id[256], id2[256];
    size_t idlen = 0, id2len = 0;
    char buf[64];
    CHECK_EQ(recv_pair(s, id, &idlen, buf, sizeof buf), 0);
    close(fd);
    CHECK_EQ(recv_pair(s, id2, &id2len, buf, sizeof buf), 0);
    CHECK(id2len == idlen && memcmp(id, id2, idlen) == 0);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_client_side(void)
{
    /* A raw listener of our own. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    REQUIRE(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0);
    REQUIRE(listen(lfd, 4) == 0);
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", ntohs(a.sin_port));

    void *ctx = zmq_ctx_new();
    void *s = new_stream(ctx);
    CHECK_EQ(zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, "web", 3), 0);
    int notify = 0;
    CHECK_EQ(zmq_setsockopt(s, ZMQ_STREAM_NOTIFY, &notify, sizeof notify), 0);
    CHECK_EQ(zmq_connect(s, ep), 0);
    int fd = accept(lfd, NULL, NULL);
    REQUIRE(fd >= 0);
    struct timeval tv = {TIMEOUT_MS / 1000, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    /* Named by CONNECT_ROUTING_ID; no notice with STREAM_NOTIFY 0. */
    CHECK_EQ(zmq_send(s, "web", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ(zmq_send(s, "hello", 5, 0), 5);
    char buf[64];
    CHECK_EQ(read(fd, buf, sizeof buf), 5);
    CHECK_EQ(write(fd, "world", 5), 5);
    unsigned char id[256];
    size_t idlen = 0;
    CHECK_EQ(recv_pair(s, id, &idlen, buf, sizeof buf), 5);
    CHECK(idlen == 3 && memcmp(id, "web", 3) == 0);
    CHECK(memcmp(buf, "world", 5) == 0);
    close(fd);
    close(lfd);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_server_side), TEST(test_disconnect_notice),
          TEST(test_client_side))
