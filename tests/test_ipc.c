/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the ipc transport: binding a path (the socket file
 * lives exactly as long as the bind), the wildcard address and its
 * private directory, abstract names, the ENAMETOOLONG limit, connect
 * before bind, PEER with zmq_connect_peer, and ZMQ_IPC_FILTER_UID.
 *
 * Each test makes its own directory with mkdtemp and removes it at the
 * end (rmdir fails if the library left anything behind).  Waits are
 * bounded: new_socket's sockets time out after TIMEOUT_MS and file
 * removals are polled for with a deadline.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_sys.h"

/* The longest any single blocking call in this file may wait. */
#define TIMEOUT_MS 5000

#include "testutil_socket.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int is_socket_file(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Waits until path no longer exists; 1 if it went before the deadline. */
static int await_gone(const char *path)
{
    long long deadline = test_now_ms() + TIMEOUT_MS;
    while (exists(path)) {
        if (test_now_ms() > deadline)
            return 0;
        test_sleep_ms(5);
    }
    return 1;
}

/* A fresh private directory under /tmp, in dir (at least 32 bytes). */
static int make_dir(char *dir)
{
    strcpy(dir, "/tmp/zmq-test-ipc-XXXXXX");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

/* A name for the abstract namespace no other run uses. */
static void abstract_name(char *out, size_t cap, const char *what)
{
    static int counter;
    snprintf(out, cap, "ipc://@zmq-test-%ld-%s-%d", (long)getpid(), what,
             counter++);
}

/* Sends and receives one text message, checking it arrives intact. */
static void check_flow(void *from, void *to, const char *text)
{
    size_t len = strlen(text);
    CHECK_EQ(zmq_send(from, text, len, 0), (int)len);
    char buf[256];
    int rc = zmq_recv(to, buf, sizeof buf - 1, 0);
    CHECK_EQ(rc, (int)len);
    if (rc == (int)len) {
        buf[rc] = '\0';
        CHECK(strcmp(buf, text) == 0);
    }
}

static void check_last_endpoint(void *s, const char *want)
{
    char buf[256];
    size_t len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &len), 0);
    if (strcmp(buf, want) != 0)
        fprintf(stderr, "LAST_ENDPOINT \"%s\", wanted \"%s\"\n", buf, want);
    CHECK(strcmp(buf, want) == 0);
}

/* ------------------------------------------------------------------------ */
/* 11. A path: the socket file lives as long as the bind                     */
/* ------------------------------------------------------------------------ */

static void test_bind_path(void)
{
    char dir[64], path[128], ep[160];
    REQUIRE(make_dir(dir) == 0);
    snprintf(path, sizeof path, "%s/sock", dir);
    snprintf(ep, sizeof ep, "ipc://%s", path);

    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    check_last_endpoint(pull, ep);
    CHECK(is_socket_file(path));
    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "over ipc");

    /* Unbinding removes the file (on the listener's thread). */
    CHECK_EQ(zmq_unbind(pull, ep), 0);
    CHECK(await_gone(path));
    CHECK_ERR(zmq_unbind(pull, ep), -1, ENOENT);

    /* So does closing a bound socket, by the end of zmq_ctx_term.  (A
     * fresh client: the first one's connection ends with the unbind, but
     * only once `pull` has acted on it.) */
    void *again = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(again, ep), 0);
    CHECK(is_socket_file(path));
    void *push2 = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_connect(push2, ep), 0);
    check_flow(push2, again, "rebound");
    close_now(push2);
    close_now(again);
    close_now(push);
    close_now(pull);
    term(ctx);
    CHECK(!exists(path));
    CHECK_EQ(rmdir(dir), 0);
}

/* ------------------------------------------------------------------------ */
/* 12. The wildcard                                                          */
/* ------------------------------------------------------------------------ */

static void test_wildcard(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    CHECK_EQ(zmq_bind(pull, "ipc://*"), 0);
    char ep[256];
    size_t len = sizeof ep;
    CHECK_EQ(zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &len), 0);
    REQUIRE(strncmp(ep, "ipc://", 6) == 0);
    char path[256], dir[256];
    snprintf(path, sizeof path, "%s", ep + 6);
    CHECK(is_socket_file(path));
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    REQUIRE(slash != NULL && slash != dir);
    *slash = '\0';
    CHECK(strcmp(dir, "/tmp") != 0);

    CHECK_EQ(zmq_connect(push, ep), 0);
    check_flow(push, pull, "wild");

    /* A second wildcard bind gets a different address. */
    void *other = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(other, "ipc://*"), 0);
    char ep2[256];
    len = sizeof ep2;
    CHECK_EQ(zmq_getsockopt(other, ZMQ_LAST_ENDPOINT, ep2, &len), 0);
    CHECK(strcmp(ep, ep2) != 0);
    char path2[256];
    snprintf(path2, sizeof path2, "%s", ep2 + 6);

    close_now(other);
    close_now(push);
    close_now(pull);
    term(ctx);
    CHECK(!exists(path));
    CHECK(!exists(dir));
    CHECK(!exists(path2));
}

/* ------------------------------------------------------------------------ */
/* 13. Abstract names                                                        */
/* ------------------------------------------------------------------------ */

static void test_abstract(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char ep[128];
    abstract_name(ep, sizeof ep, "abs");
    void *a = new_socket(ctx, ZMQ_PAIR);
    void *b = new_socket(ctx, ZMQ_PAIR);
    CHECK_EQ(zmq_bind(a, ep), 0);
    check_last_endpoint(a, ep);
    CHECK_EQ(zmq_connect(b, ep), 0);
    check_flow(b, a, "to the binder");
    check_flow(a, b, "to the connecter");
    /* The name is taken while bound. */
    void *c = new_socket(ctx, ZMQ_PAIR);
    CHECK_ERR(zmq_bind(c, ep), -1, EADDRINUSE);
    close_now(c);

    /* Connecting first works too. */
    char ep2[128];
    abstract_name(ep2, sizeof ep2, "abs-late");
    void *late_c = new_socket(ctx, ZMQ_PAIR);
    set_int(late_c, ZMQ_RECONNECT_IVL, 50);
    CHECK_EQ(zmq_connect(late_c, ep2), 0);
    CHECK_EQ(zmq_send(late_c, "early", 5, ZMQ_DONTWAIT), 5);
    void *late_b = new_socket(ctx, ZMQ_PAIR);
    CHECK_EQ(zmq_bind(late_b, ep2), 0);
    char buf[16];
    CHECK_EQ(zmq_recv(late_b, buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "early", 5) == 0);
    check_flow(late_b, late_c, "answer");

    close_now(late_c);
    close_now(late_b);
    close_now(b);
    close_now(a);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* 14. Long paths; connecting before anyone binds                            */
/* ------------------------------------------------------------------------ */

static void test_path_too_long(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char ep[256];
    int n = snprintf(ep, sizeof ep, "ipc:///tmp/");
    while (n < 6 + 200)
        ep[n++] = 'x';
    ep[n] = '\0';
    void *s = new_socket(ctx, ZMQ_PULL);
    CHECK_ERR(zmq_bind(s, ep), -1, ENAMETOOLONG);
    CHECK_ERR(zmq_connect(s, ep), -1, ENAMETOOLONG);
    close_now(s);
    term(ctx);
}

static void test_connect_before_bind(void)
{
    char dir[64], ep[160];
    REQUIRE(make_dir(dir) == 0);
    snprintf(ep, sizeof ep, "ipc://%s/later", dir);
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_RECONNECT_IVL, 50);
    CHECK_EQ(zmq_connect(push, ep), 0);
    for (int i = 0; i < 3; i++) {
        char text[16];
        int len = snprintf(text, sizeof text, "queued %d", i);
        CHECK_EQ(zmq_send(push, text, (size_t)len, ZMQ_DONTWAIT), len);
    }
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    for (int i = 0; i < 3; i++) {
        char want[16], buf[32];
        snprintf(want, sizeof want, "queued %d", i);
        int rc = zmq_recv(pull, buf, sizeof buf - 1, 0);
        CHECK_EQ(rc, (int)strlen(want));
        if (rc < 0)
            break;
        buf[rc] = '\0';
        CHECK(strcmp(buf, want) == 0);
    }
    close_now(push);
    close_now(pull);
    term(ctx);
    CHECK_EQ(rmdir(dir), 0);
}

/* ------------------------------------------------------------------------ */
/* 15. PEER over ipc                                                         */
/* ------------------------------------------------------------------------ */

static void test_peer(void)
{
    char dir[64], ep[160];
    REQUIRE(make_dir(dir) == 0);
    snprintf(ep, sizeof ep, "ipc://%s/peer", dir);
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *server = new_socket(ctx, ZMQ_PEER);
    void *client = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_bind(server, ep), 0);

    uint32_t id = zmq_connect_peer(client, ep);
    CHECK(id != 0);
    /* At once, before the connection can have completed. */
    CHECK_EQ(send_to(client, id, "hello", 0), 5);

    char buf[64];
    uint32_t s_id = 0;
    CHECK_EQ(recv_from(server, buf, sizeof buf, &s_id, 0), 5);
    CHECK(strcmp(buf, "hello") == 0);
    CHECK(s_id != 0);
    CHECK_EQ(send_to(server, s_id, "world", 0), 5);
    uint32_t from = 0;
    CHECK_EQ(recv_from(client, buf, sizeof buf, &from, 0), 5);
    CHECK(strcmp(buf, "world") == 0);
    CHECK_EQ(from, id);

    /* A second connection gets its own ids on both sides. */
    uint32_t id2 = zmq_connect_peer(client, ep);
    CHECK(id2 != 0);
    CHECK(id2 != id);
    CHECK_EQ(send_to(client, id2, "second", 0), 6);
    uint32_t s_id2 = 0;
    CHECK_EQ(recv_from(server, buf, sizeof buf, &s_id2, 0), 6);
    CHECK(strcmp(buf, "second") == 0);
    CHECK(s_id2 != 0);
    CHECK(s_id2 != s_id);
    CHECK_EQ(send_to(server, s_id2, "two", 0), 3);
    CHECK_EQ(recv_from(client, buf, sizeof buf, &from, 0), 3);
    CHECK(strcmp(buf, "two") == 0);
    CHECK_EQ(from, id2);

    CHECK_ERR(zmq_connect_peer(client, "ipc://"), 0, EINVAL);

    close_now(client);
    close_now(server);
    term(ctx);
    CHECK_EQ(rmdir(dir), 0);
}

/* ------------------------------------------------------------------------ */
/* 16. ZMQ_IPC_FILTER_UID                                                    */
/* ------------------------------------------------------------------------ */

/* Binds a PULL filtering on uid, connects a PUSH and sends one message:
 * whether it arrived within wait_ms. */
static int delivered_with_uid_filter(uid_t uid, int wait_ms)
{
    char dir[64], ep[160];
    if (make_dir(dir) != 0)
        return -1;
    snprintf(ep, sizeof ep, "ipc://%s/filtered", dir);
    void *ctx = zmq_ctx_new();
    if (ctx == NULL)
        return -1;
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_setsockopt(pull, ZMQ_IPC_FILTER_UID, &uid, sizeof uid), 0);
    CHECK_EQ(zmq_bind(pull, ep), 0);
    void *push = new_socket(ctx, ZMQ_PUSH);
    set_int(push, ZMQ_RECONNECT_IVL, 50);
    CHECK_EQ(zmq_connect(push, ep), 0);
    CHECK_EQ(zmq_send(push, "knock", 5, ZMQ_DONTWAIT), 5);
    set_int(pull, ZMQ_RCVTIMEO, wait_ms);
    char buf[16];
    int rc = zmq_recv(pull, buf, sizeof buf, 0);
    int ok = rc == 5 && memcmp(buf, "knock", 5) == 0;
    if (rc < 0)
        CHECK_EQ(errno, EAGAIN);
    close_now(push);
    close_now(pull);
    term(ctx);
    CHECK_EQ(rmdir(dir), 0);
    return ok;
}

static void test_filter_uid(void)
{
    CHECK_EQ(delivered_with_uid_filter(getuid(), TIMEOUT_MS), 1);
    CHECK_EQ(delivered_with_uid_filter(getuid() + 12345, 300), 0);
}

TEST_MAIN(TEST(test_bind_path), TEST(test_wildcard), TEST(test_abstract),
          TEST(test_path_too_long), TEST(test_connect_before_bind),
          TEST(test_peer), TEST(test_filter_uid))
