/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of the SOCKS5 client exchange (src/engine/socks.c)
 * over a socketpair, the test playing the proxy: the exact bytes of the
 * greeting, credentials and CONNECT request for IPv4, IPv6 and name
 * targets; answers that come a byte at a time; that no byte past the
 * proxy's reply is read; and every refusal and malformed answer ending
 * with its error.  test_socks checks the same through zmq_connect
 * against a proxy in another thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/socks.h"
#include "testutil.h"

struct pair {
    int client; /* the library's end, non-blocking */
    int proxy;  /* the test's end, blocking */
};

static void pair_open(struct pair *p)
{
    int fds[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    p->client = fds[0];
    p->proxy = fds[1];
    REQUIRE(fcntl(p->client, F_SETFL, O_NONBLOCK) == 0);
}

static void pair_close(struct pair *p)
{
    close(p->client);
    if (p->proxy >= 0)
        close(p->proxy);
}

/* Reads exactly n bytes the client sent and compares them. */
static void expect_bytes(struct pair *p, const void *want, size_t n)
{
    unsigned char got[600];
    size_t have = 0;
    while (have < n) {
        ssize_t r = read(p->proxy, got + have, n - have);
        REQUIRE(r > 0);
        have += (size_t)r;
    }
    CHECK(memcmp(got, want, n) == 0);
}

static void send_bytes(struct pair *p, const void *data, size_t n)
{
    REQUIRE(write(p->proxy, data, n) == (ssize_t)n);
}

/* One step: its result, with what it waits for checked. */
static int step(struct zmq__socks *x, struct pair *p, bool want_write)
{
    bool w = !want_write;
    int rc = zmq__socks_step(x, p->client, &w);
    if (rc == 0)
        CHECK_EQ(w, want_write);
    return rc;
}

/* REQUIRE for functions returning an int: fails the case and returns a
 * value no step returns. */
#define REQUIRE_RC(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            CHECK(cond);                                                       \
            return -100000;                                                    \
        }                                                                      \
    } while (0)

static const unsigned char success_v4[] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};

static void test_no_auth_ipv4(void)
{
    struct pair p;
    pair_open(&p);
    struct zmq__socks *x;
    REQUIRE(zmq__socks_new("127.0.0.1:5555", NULL, 0, NULL, 0, &x) == 0);
    CHECK_EQ(step(x, &p, false), 0);
    expect_bytes(&p, (const unsigned char[]){5, 1, 0}, 3);
    send_bytes(&p, (const unsigned char[]){5, 0}, 2);
    CHECK_EQ(step(x, &p, false), 0);
    expect_bytes(
        &p, (const unsigned char[]){5, 1, 0, 1, 127, 0, 0, 1, 0x15, 0xb3}, 10);
    /* The reply, then the target's first bytes right behind it. */
    send_bytes(&p, success_v4, sizeof success_v4);
    send_bytes(&p, "\xffZMTP", 5);
    CHECK_EQ(step(x, &p, false), 1);
    char rest[8];
    CHECK_EQ(read(p.client, rest, sizeof rest), 5);
    CHECK(memcmp(rest, "\xffZMTP", 5) == 0);
    zmq__socks_free(x);
    pair_close(&p);
}

static void test_auth_name_bytewise(void)
{
    struct pair p;
    pair_open(&p);
    struct zmq__socks *x;
    REQUIRE(zmq__socks_new("eth0;example.org:80", "alice", 5, "pw", 2, &x) ==
            0);
    CHECK_EQ(step(x, &p, false), 0);
    expect_bytes(&p, (const unsigned char[]){5, 1, 2}, 3);
    /* Every answer a byte at a time: the exchange waits in between. */
    send_bytes(&p, (const unsigned char[]){5}, 1);
    CHECK_EQ(step(x, &p, false), 0);
    send_bytes(&p, (const unsigned char[]){2}, 1);
    CHECK_EQ(step(x, &p, false), 0);
    expect_bytes(&p,
                 "\x01\x05"
                 "alice"
                 "\x02"
                 "pw",
                 10);
    send_bytes(&p, (const unsigned char[]){1, 0}, 2);
    CHECK_EQ(step(x, &p, false), 0);
    expect_bytes(&p,
                 "\x05\x01\x00\x03\x0b"
                 "example.org"
                 "\x00\x50",
                 18);
    /* A reply naming a domain as the bound address. */
    static const unsigned char reply[] = {5, 0, 0, 3, 2, 'h', 'i', 0, 1};
    for (size_t i = 0; i < sizeof reply; i++) {
        CHECK_EQ(step(x, &p, false), 0);
        send_bytes(&p, reply + i, 1);
    }
    CHECK_EQ(step(x, &p, false), 1);
    zmq__socks_free(x);
    pair_close(&p);
}

static void test_ipv6_target(void)
{
    struct pair p;
    pair_open(&p);
    struct zmq__socks *x;
    REQUIRE(zmq__socks_new("[::1]:1", NULL, 0, NULL, 0, &x) == 0);
    CHECK_EQ(step(x, &p, false), 0);
    expect_bytes(&p, (const unsigned char[]){5, 1, 0}, 3);
    send_bytes(&p, (const unsigned char[]){5, 0}, 2);
    CHECK_EQ(step(x, &p, false), 0);
    unsigned char want[4 + 16 + 2] = {5, 1, 0, 4};
    want[4 + 15] = 1;
    want[4 + 16 + 1] = 1;
    expect_bytes(&p, want, sizeof want);
    unsigned char reply[4 + 16 + 2] = {5, 0, 0, 4};
    send_bytes(&p, reply, sizeof reply);
    CHECK_EQ(step(x, &p, false), 1);
    zmq__socks_free(x);
    pair_close(&p);
}

static void test_bad_targets(void)
{
    struct zmq__socks *x = (struct zmq__socks *)&x;
    char longname[300];
    memset(longname, 'a', 256);
    strcpy(longname + 256, ":80");
    static const char *const bad[] = {
        "nohost",           ":80",        "host:",
        "host:123456",      "host:70000", "host:8x",
        "[fe80::1%eth0]:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(zmq__socks_new(bad[i], NULL, 0, NULL, 0, &x), -EINVAL);
        CHECK(x == NULL);
    }
    CHECK_EQ(zmq__socks_new(longname, NULL, 0, NULL, 0, &x), -EINVAL);
    char user[256];
    memset(user, 'u', sizeof user);
    CHECK_EQ(zmq__socks_new("h:1", user, 256, NULL, 0, &x), -EINVAL);
}

/* Runs an exchange with user (or none) to the point where the proxy
 * answers with `answer` at the stage `stage` (0: the method choice,
 * 1: the auth status, 2: the CONNECT reply), and returns the result. */
static int refused(const char *user, int stage, const unsigned char *answer,
                   size_t n)
{
    struct pair p;
    pair_open(&p);
    struct zmq__socks *x;
    size_t ulen = user != NULL ? strlen(user) : 0;
    REQUIRE_RC(zmq__socks_new("10.0.0.1:9", user, ulen, "p", 1, &x) == 0);
    int rc = step(x, &p, false);
    unsigned char sink[600];
    REQUIRE_RC(read(p.proxy, sink, sizeof sink) > 0);
    if (stage >= 1) {
        send_bytes(&p, (const unsigned char[]){5, user != NULL ? 2 : 0}, 2);
        rc = step(x, &p, false);
        CHECK_EQ(rc, 0);
        REQUIRE_RC(read(p.proxy, sink, sizeof sink) > 0);
    }
    if (stage >= 2 && user != NULL) {
        send_bytes(&p, (const unsigned char[]){1, 0}, 2);
        rc = step(x, &p, false);
        CHECK_EQ(rc, 0);
        REQUIRE_RC(read(p.proxy, sink, sizeof sink) > 0);
    }
    if (n > 0)
        send_bytes(&p, answer, n);
    else {
        close(p.proxy); /* the proxy hangs up */
        p.proxy = -1;
    }
    rc = zmq__socks_step(x, p.client, &(bool){false});
    zmq__socks_free(x);
    pair_close(&p);
    return rc;
}

static void test_refusals(void)
{
    /* Method choice: nothing acceptable, one not offered, bad version. */
    CHECK_EQ(refused(NULL, 0, (const unsigned char[]){5, 0xff}, 2), -EPROTO);
    CHECK_EQ(refused(NULL, 0, (const unsigned char[]){5, 2}, 2), -EPROTO);
    CHECK_EQ(refused("u", 0, (const unsigned char[]){5, 0}, 2), -EPROTO);
    CHECK_EQ(refused(NULL, 0, (const unsigned char[]){4, 0}, 2), -EPROTO);
    /* Credentials refused. */
    CHECK_EQ(refused("u", 1, (const unsigned char[]){1, 1}, 2), -EPROTO);
    /* CONNECT refused by the target, other failures, malformed replies. */
    CHECK_EQ(refused(NULL, 2, (const unsigned char[]){5, 5, 0, 1}, 4),
             -ECONNREFUSED);
    CHECK_EQ(refused(NULL, 2, (const unsigned char[]){5, 1, 0, 1}, 4), -EPROTO);
    CHECK_EQ(refused(NULL, 2, (const unsigned char[]){5, 0, 0, 9}, 4), -EPROTO);
    CHECK_EQ(refused(NULL, 2, (const unsigned char[]){4, 0, 0, 1}, 4), -EPROTO);
    CHECK_EQ(refused(NULL, 2, (const unsigned char[]){5, 0, 1, 1}, 4), -EPROTO);
    /* The proxy hangs up at each stage. */
    CHECK_EQ(refused(NULL, 0, NULL, 0), -ECONNRESET);
    CHECK_EQ(refused("u", 1, NULL, 0), -ECONNRESET);
    CHECK_EQ(refused(NULL, 2, NULL, 0), -ECONNRESET);
}

TEST_MAIN(TEST(test_no_auth_ipv4), TEST(test_auth_name_bytewise),
          TEST(test_ipv6_target), TEST(test_bad_targets), TEST(test_refusals))
