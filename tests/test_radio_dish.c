/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of RADIO and DISH: joining and leaving groups, exact
 * group matching, several dishes and groups, joins made before a
 * connection exists (re-sent to it), connect before bind, group name
 * lengths, the error cases, messages without a group, the high-water mark
 * with and without ZMQ_XPUB_NODROP, and two threads receiving on one
 * DISH.
 *
 * Bodies take endpoint strings and the program runs once per transport
 * (inproc, tcp, ipc: see testutil_transport.h).  No sleeps: a RADIO learns
 * about a JOIN asynchronously, so tests wait for it by sending probes in the
 * joined group until one arrives (sync_join), and wait for a LEAVE by sending a
 * message of the left group followed by a marker until no message comes before
 * the marker (sync_leave).  Every blocking call is bounded by a timeout.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_transport.h"

#define TIMEOUT_MS 5000
#define SYNC_TRIES 500

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* The endpoint to bind for the place `name`, in buffer `slot` of two. */
static const char *ep_for(int slot, const char *name)
{
    static char eps[2][256];
    tt_bind_ep(name, eps[slot], sizeof eps[slot]);
    return eps[slot];
}

/* A concrete endpoint (over tcp an explicit free port), for connecting
 * before the bind, in buffer `slot` of two. */
static const char *fixed_for(int slot, const char *name)
{
    static char eps[2][256];
    if (tt_fixed_ep(name, eps[slot], sizeof eps[slot]) != 0) {
        fprintf(stderr, "no endpoint for %s\n", name);
        test_failed_ = 1;
    }
    return eps[slot];
}

static void set_int(void *s, int option, int value)
{
    CHECK_EQ(zmq_setsockopt(s, option, &value, sizeof value), 0);
}

static int get_int(void *s, int option)
{
    int value = -1;
    size_t len = sizeof value;
    CHECK_EQ(zmq_getsockopt(s, option, &value, &len), 0);
    return value;
}

static void *new_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    CHECK(s != NULL);
    if (s != NULL) {
        set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_LINGER, 0);
    }
    return s;
}

/* Binds s to ep and connects c to what s reports it bound. */
static int bind_connect(void *s, void *c, const char *ep)
{
    char real[256];
    size_t len = sizeof real;
    if (zmq_bind(s, ep) != 0 ||
        zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, real, &len) != 0)
        return -1;
    return zmq_connect(c, real);
}

/* Connects c to where s last bound. */
static int connect_to(void *s, void *c)
{
    char real[256];
    size_t len = sizeof real;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, real, &len) != 0)
        return -1;
    return zmq_connect(c, real);
}

/* Sends text in group (NULL: no group). */
static int send_group_n(void *s, const char *group, const void *data,
                        size_t size, int flags)
{
    zmq_msg_t m;
    if (zmq_msg_init_buffer(&m, data, size) != 0)
        return -1;
    if (group != NULL && zmq_msg_set_group(&m, group) != 0) {
        zmq_msg_close(&m);
        return -1;
    }
    int rc = zmq_msg_send(&m, s, flags);
    if (rc < 0) {
        int e = errno;
        zmq_msg_close(&m);
        errno = e;
    }
    return rc;
}

static int send_group(void *s, const char *group, const char *text, int flags)
{
    return send_group_n(s, group, text, strlen(text), flags);
}

/* Waits up to ms for input on s; 1 when there is some. */
static int readable_within(void *s, long ms)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    return zmq_poll(&item, 1, ms) == 1;
}

/* Receives a message into text/group (NUL-terminated); its size or -1. */
static int recv_group(void *s, char *text, size_t text_len, char *group,
                      size_t group_len, int flags)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = zmq_msg_recv(&m, s, flags);
    if (rc < 0) {
        int e = errno;
        zmq_msg_close(&m);
        errno = e;
        return -1;
    }
    size_t n =
        zmq_msg_size(&m) < text_len - 1 ? zmq_msg_size(&m) : text_len - 1;
    memcpy(text, zmq_msg_data(&m), n);
    text[n] = '\0';
    const char *g = zmq_msg_group(&m);
    snprintf(group, group_len, "%s", g != NULL ? g : "(null)");
    zmq_msg_close(&m);
    return rc;
}

/* Checks that the next message is text in group. */
static void expect(void *dish, const char *group, const char *text)
{
    char body[512], g[512];
    int rc = recv_group(dish, body, sizeof body, g, sizeof g, 0);
    CHECK_EQ(rc, (int)strlen(text));
    if (rc >= 0 && (strcmp(body, text) != 0 || strcmp(g, group) != 0)) {
        fprintf(stderr, "  got '%s' in '%s', wanted '%s' in '%s'\n", body, g,
                text, group);
        test_failed_ = 1;
    }
}

static void expect_nothing(void *dish)
{
    char body[512], g[512];
    errno = 0;
    int rc = recv_group(dish, body, sizeof body, g, sizeof g, ZMQ_DONTWAIT);
    if (rc >= 0)
        fprintf(stderr, "  unexpected '%s' in '%s'\n", body, g);
    CHECK_EQ(rc, -1);
    CHECK_EQ(errno, EAGAIN);
}

/* Takes one probe from the dish if one is there, else polls the dish
 * for up to 10 ms and tries once more.  1 when a probe came. */
static int try_recv_probe(void *dish, const char *group)
{
    char body[512], g[512];
    zmq_pollitem_t item = {dish, 0, ZMQ_POLLIN, 0};
    for (int i = 0; i < 2; i++) {
        int rc = recv_group(dish, body, sizeof body, g, sizeof g, ZMQ_DONTWAIT);
        if (rc >= 0) {
            CHECK(strcmp(g, group) == 0 && strcmp(body, "probe") == 0);
            return 1;
        }
        if (i == 0)
            zmq_poll(&item, 1, 10);
    }
    return 0;
}

/* Waits until the radio delivers `group` to the dish (its JOIN arrived),
 * then drains the probes. */
static void sync_join(void *radio, void *dish, const char *group)
{
    int got = 0;
    for (int i = 0; i < SYNC_TRIES && !got; i++) {
        CHECK(send_group(radio, group, "probe", ZMQ_DONTWAIT) >= 0);
        got = try_recv_probe(dish, group);
    }
    CHECK(got);
    /* Probes that made it are in the pipe already. */
    while (try_recv_probe(dish, group))
        ;
}

/* Waits until the radio stops delivering `left` to the dish (its LEAVE
 * arrived).  `marker` must be a group the dish has joined. */
static void sync_leave(void *radio, void *dish, const char *left,
                       const char *marker)
{
    int clean = 0;
    for (int i = 0; i < SYNC_TRIES && !clean; i++) {
        CHECK(send_group(radio, left, "stale", 0) >= 0);
        CHECK(send_group(radio, marker, "marker", 0) >= 0);
        clean = 1;
        char body[512], g[512];
        for (;;) {
            int rc = recv_group(dish, body, sizeof body, g, sizeof g, 0);
            CHECK(rc >= 0);
            if (rc < 0 || strcmp(g, marker) == 0)
                break;
            clean = 0;
        }
    }
    CHECK(clean);
}

/* ------------------------------------------------------------------------ */
/* Delivery                                                                  */
/* ------------------------------------------------------------------------ */

static void do_exact_match(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    CHECK_EQ(zmq_join(dish, "abc"), 0);
    sync_join(radio, dish, "abc");

    CHECK_EQ(send_group(radio, "ab", "short", 0), 5);
    CHECK_EQ(send_group(radio, "abcd", "long", 0), 4);
    CHECK_EQ(send_group(radio, "ABC", "case", 0), 4);
    CHECK_EQ(send_group(radio, NULL, "none", 0), 4);
    CHECK_EQ(get_int(dish, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    CHECK_EQ(send_group(radio, "abc", "hello", 0), 5);
    CHECK(readable_within(dish, TIMEOUT_MS)); /* over tcp and ipc, later */
    CHECK_EQ(get_int(dish, ZMQ_EVENTS) & ZMQ_POLLIN, ZMQ_POLLIN);
    expect(dish, "abc", "hello");
    expect_nothing(dish);

    /* Several messages keep their order. */
    for (int i = 0; i < 10; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        CHECK(send_group(radio, "abc", text, 0) >= 0);
    }
    for (int i = 0; i < 10; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        expect(dish, "abc", text);
    }
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_exact_match(void)
{
    do_exact_match(ep_for(0, "rd-exact"));
}

/* Three dishes with different groups; each gets exactly its own. */
static void do_several(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *d[3];
    char addr[256];
    size_t len = sizeof addr;
    CHECK_EQ(zmq_bind(radio, ep), 0);
    CHECK_EQ(zmq_getsockopt(radio, ZMQ_LAST_ENDPOINT, addr, &len), 0);
    static const char *const joins[3][3] = {
        {"a", "b", NULL}, {"b", NULL, NULL}, {"c", "a", NULL}};
    for (int i = 0; i < 3; i++) {
        d[i] = new_socket(ctx, ZMQ_DISH);
        CHECK_EQ(zmq_connect(d[i], addr), 0);
        char sync[8];
        snprintf(sync, sizeof sync, "s%d", i); /* only this dish's */
        CHECK_EQ(zmq_join(d[i], sync), 0);
        CHECK_EQ(zmq_join(d[i], "end"), 0);
        for (int j = 0; j < 3 && joins[i][j] != NULL; j++)
            CHECK_EQ(zmq_join(d[i], joins[i][j]), 0);
        sync_join(radio, d[i], sync);
    }
    static const char *const sent[] = {"a", "b", "c", "d", "a"};
    for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++) {
        char text[16];
        snprintf(text, sizeof text, "%s%zu", sent[i], i);
        CHECK(send_group(radio, sent[i], text, 0) >= 0);
    }
    CHECK(send_group(radio, "end", "end", 0) >= 0);
    static const char *const want[3] = {"a0 b1 a4 end", "b1 end",
                                        "a0 c2 a4 end"};
    for (int i = 0; i < 3; i++) {
        char got[256] = "";
        for (;;) {
            char body[64], g[64];
            if (recv_group(d[i], body, sizeof body, g, sizeof g, 0) < 0) {
                CHECK(0);
                break;
            }
            CHECK(strncmp(body, g, strlen(g)) == 0); /* group kept */
            size_t n = strlen(got);
            snprintf(got + n, sizeof got - n, "%s%s", n ? " " : "", body);
            if (strcmp(body, "end") == 0)
                break;
        }
        if (strcmp(got, want[i]) != 0) {
            fprintf(stderr, "  dish %d got '%s', wanted '%s'\n", i, got,
                    want[i]);
            test_failed_ = 1;
        }
        CHECK_EQ(zmq_close(d[i]), 0);
    }
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_several(void)
{
    do_several(ep_for(0, "rd-several"));
}

static void do_leave(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    CHECK_EQ(zmq_join(dish, "g"), 0);
    CHECK_EQ(zmq_join(dish, "ctl"), 0);
    sync_join(radio, dish, "g");
    CHECK(send_group(radio, "g", "one", 0) >= 0);
    expect(dish, "g", "one");

    /* Left while a message of the group was already queued: it is not
     * delivered either, whether or not EVENTS read it ahead. */
    CHECK(send_group(radio, "g", "queued", 0) >= 0);
    CHECK(readable_within(dish, TIMEOUT_MS)); /* over tcp and ipc, later */
    CHECK_EQ(get_int(dish, ZMQ_EVENTS) & ZMQ_POLLIN, ZMQ_POLLIN);
    CHECK_EQ(zmq_leave(dish, "g"), 0);
    expect_nothing(dish);

    sync_leave(radio, dish, "g", "ctl");
    CHECK(send_group(radio, "g", "after", 0) >= 0);
    CHECK(send_group(radio, "ctl", "x", 0) >= 0);
    expect(dish, "ctl", "x");

    /* Joined again, it flows again. */
    CHECK_EQ(zmq_join(dish, "g"), 0);
    sync_join(radio, dish, "g");
    CHECK(send_group(radio, "g", "again", 0) >= 0);
    expect(dish, "g", "again");
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_leave(void)
{
    do_leave(ep_for(0, "rd-leave"));
}

/* Joins made before connecting reach the radio; so do later ones, and
 * a second radio connected later learns all of them. */
static void do_join_before_connect(const char *ep, const char *ep2)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *radio2 = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(zmq_join(dish, "g1"), 0);
    CHECK_EQ(zmq_join(dish, "g2"), 0);
    CHECK_EQ(zmq_join(dish, "gone"), 0);
    CHECK_EQ(zmq_leave(dish, "gone"), 0);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    sync_join(radio, dish, "g1");
    CHECK(send_group(radio, "gone", "no", 0) >= 0);
    CHECK(send_group(radio, "g2", "two", 0) >= 0);
    expect(dish, "g2", "two");

    CHECK_EQ(zmq_join(dish, "g3"), 0);
    sync_join(radio, dish, "g3");

    CHECK_EQ(bind_connect(radio2, dish, ep2), 0);
    sync_join(radio2, dish, "g3");
    CHECK(send_group(radio2, "gone", "no", 0) >= 0);
    CHECK(send_group(radio2, "g1", "r2g1", 0) >= 0);
    CHECK(send_group(radio2, "g2", "r2g2", 0) >= 0);
    expect(dish, "g1", "r2g1");
    expect(dish, "g2", "r2g2");
    expect_nothing(dish);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_close(radio2), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_join_before_connect(void)
{
    do_join_before_connect(ep_for(0, "rd-early"), ep_for(1, "rd-early2"));
}

/* Connect first, bind later, in both directions. */
static void test_connect_before_bind(void)
{
    const char *late = fixed_for(0, "rd-late");
    const char *late2 = fixed_for(1, "rd-late2");
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(zmq_connect(dish, late), 0);
    CHECK_EQ(zmq_join(dish, "g"), 0);
    CHECK_EQ(zmq_bind(radio, late), 0);
    sync_join(radio, dish, "g");
    CHECK(send_group(radio, "g", "hi", 0) >= 0);
    expect(dish, "g", "hi");
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);

    radio = new_socket(ctx, ZMQ_RADIO);
    dish = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(zmq_join(dish, "g"), 0);
    CHECK_EQ(zmq_connect(radio, late2), 0);
    CHECK_EQ(zmq_bind(dish, late2), 0);
    sync_join(radio, dish, "g");
    CHECK(send_group(radio, "g", "hi", 0) >= 0);
    expect(dish, "g", "hi");
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* A message without a group is in group "": only a dish that joined ""
 * gets it (as libzmq). */
static void do_no_group(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    void *dish2 = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    CHECK_EQ(connect_to(radio, dish2), 0);
    CHECK_EQ(zmq_join(dish, ""), 0);
    CHECK_EQ(zmq_join(dish2, "x"), 0);
    sync_join(radio, dish, "");
    sync_join(radio, dish2, "x");
    CHECK_EQ(send_group(radio, NULL, "nogroup", 0), 7);
    CHECK_EQ(send_group(radio, "x", "x", 0), 1);
    expect(dish, "", "nogroup");
    expect(dish2, "x", "x");
    expect_nothing(dish);
    expect_nothing(dish2);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(dish2), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_no_group(void)
{
    do_no_group(ep_for(0, "rd-nogroup"));
}

/* Names up to ZMQ_GROUP_MAX_LENGTH (255) bytes. */
static void do_long_groups(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    char name[ZMQ_GROUP_MAX_LENGTH + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0'; /* 256 bytes */
    CHECK_ERR(zmq_join(dish, name), -1, EINVAL);
    CHECK_ERR(zmq_leave(dish, name), -1, EINVAL);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_ERR(zmq_msg_set_group(&m, name), -1, EINVAL);
    zmq_msg_close(&m);

    name[ZMQ_GROUP_MAX_LENGTH] = '\0'; /* 255 bytes */
    CHECK_EQ(zmq_join(dish, name), 0);
    sync_join(radio, dish, name);
    /* A 254-byte prefix and 255 bytes of another name do not match. */
    char other[ZMQ_GROUP_MAX_LENGTH + 1];
    memcpy(other, name, sizeof other);
    other[ZMQ_GROUP_MAX_LENGTH - 1] = '\0';
    CHECK(send_group(radio, other, "prefix", 0) >= 0);
    other[ZMQ_GROUP_MAX_LENGTH - 1] = 'o';
    CHECK(send_group(radio, other, "other", 0) >= 0);
    CHECK(send_group(radio, name, "long", 0) >= 0);
    expect(dish, name, "long");
    expect_nothing(dish);
    CHECK_EQ(zmq_leave(dish, name), 0);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_long_groups(void)
{
    do_long_groups(ep_for(0, "rd-long"));
}

/* ------------------------------------------------------------------------ */
/* Errors and options                                                        */
/* ------------------------------------------------------------------------ */

static void test_errors(void)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    void *pair = new_socket(ctx, ZMQ_PAIR);

    CHECK_EQ(get_int(radio, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ(get_int(dish, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ(get_int(radio, ZMQ_TYPE), ZMQ_RADIO);
    CHECK_EQ(get_int(dish, ZMQ_TYPE), ZMQ_DISH);

    CHECK_EQ(zmq_join(dish, "g"), 0);
    CHECK_ERR(zmq_join(dish, "g"), -1, EINVAL);
    CHECK_ERR(zmq_leave(dish, "h"), -1, EINVAL);
    CHECK_EQ(zmq_leave(dish, "g"), 0);
    CHECK_ERR(zmq_leave(dish, "g"), -1, EINVAL);
    CHECK_EQ(zmq_join(dish, ""), 0);
    CHECK_ERR(zmq_join(dish, ""), -1, EINVAL);
    CHECK_EQ(zmq_leave(dish, ""), 0);
    CHECK_ERR(zmq_join(dish, NULL), -1, EINVAL);

    CHECK_ERR(zmq_join(pair, "g"), -1, ENOTSUP);
    CHECK_ERR(zmq_leave(pair, "g"), -1, ENOTSUP);
    CHECK_ERR(zmq_join(radio, "g"), -1, ENOTSUP);
    CHECK_ERR(zmq_leave(radio, "g"), -1, ENOTSUP);

    char buf[16];
    CHECK_ERR(zmq_recv(radio, buf, sizeof buf, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_recv(radio, buf, sizeof buf, ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK_ERR(send_group(dish, "g", "x", 0), -1, ENOTSUP);
    CHECK_ERR(send_group(dish, "g", "x", ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK_ERR(send_group(radio, "g", "x", ZMQ_SNDMORE), -1, EINVAL);
    /* Nobody joined: the message just goes nowhere. */
    CHECK_EQ(send_group(radio, "g", "x", 0), 1);
    CHECK_EQ(send_group(radio, "g", "x", ZMQ_DONTWAIT), 1);
    CHECK_EQ(get_int(radio, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ(get_int(dish, ZMQ_EVENTS), 0);

    int one = 1, minus = -1;
    CHECK_EQ(zmq_setsockopt(radio, ZMQ_XPUB_NODROP, &one, sizeof one), 0);
    CHECK_ERR(zmq_setsockopt(radio, ZMQ_XPUB_NODROP, &minus, sizeof minus), -1,
              EINVAL);
    CHECK_ERR(zmq_setsockopt(radio, ZMQ_XPUB_NODROP, &one, 1), -1, EINVAL);
    CHECK_ERR(zmq_setsockopt(dish, ZMQ_XPUB_NODROP, &one, sizeof one), -1,
              EINVAL);
    /* Generic options still work on RADIO. */
    set_int(radio, ZMQ_SNDHWM, 7);
    CHECK_EQ(get_int(radio, ZMQ_SNDHWM), 7);

    CHECK_EQ(zmq_close(pair), 0);
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Lossy at the high-water mark by default; with XPUB_NODROP, EAGAIN and
 * nothing lost.  Over tcp and ipc the kernel's buffers hold more than
 * the marks: there the messages are big (16 KB) and many, the lossy run
 * checks that some but not all arrive, in order, and the NODROP run
 * fills up until no room appears within 300 ms. */
static void do_hwm(const char *ep)
{
    enum { BIG = 16384 };
    static char buf[BIG];
    const int n = tt_is_inproc() ? 100 : 1000;
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    set_int(radio, ZMQ_SNDHWM, 2);
    set_int(dish, ZMQ_RCVHWM, 2);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    CHECK_EQ(zmq_join(dish, "g"), 0);
    sync_join(radio, dish, "g");

    /* Lossy: every send succeeds, the dish gets some of them in order
     * (over inproc the first ones). */
    for (int i = 0; i < n; i++) {
        memset(buf, 0, 16);
        int len = snprintf(buf, 16, "%d", i);
        size_t size = tt_is_inproc() ? (size_t)len : BIG;
        CHECK(send_group_n(radio, "g", buf, size, ZMQ_DONTWAIT) >= 0);
    }
    int got = 0, prev = -1;
    char body[64], g[64];
    while ((tt_is_inproc() || readable_within(dish, 500)) &&
           recv_group(dish, body, sizeof body, g, sizeof g, ZMQ_DONTWAIT) >=
               0) {
        int k = atoi(body);
        if (tt_is_inproc())
            CHECK_EQ(k, got);
        else
            CHECK(k > prev);
        prev = k;
        got++;
    }
    CHECK(got >= 1 && got < n);

    /* NODROP: fills up, then EAGAIN, also for a blocking send with a
     * short timeout; after the dish reads, sending works again. */
    set_int(radio, ZMQ_XPUB_NODROP, 1);
    set_int(radio, ZMQ_SNDTIMEO, 300);
    const int most = tt_is_inproc() ? n : 100000;
    const size_t size = tt_is_inproc() ? 0 : BIG;
    int sent = 0;
    while (sent < most) {
        memset(buf, 0, 16);
        int len = snprintf(buf, 16, "%d", sent);
        size_t sz = size ? size : (size_t)len;
        if (send_group_n(radio, "g", buf, sz, ZMQ_DONTWAIT) >= 0) {
            sent++;
            continue;
        }
        if (errno != EAGAIN || tt_is_inproc() ||
            send_group_n(radio, "g", buf, sz, 0) < 0)
            break;
        sent++;
    }
    CHECK(sent >= 1 && sent < most);
    CHECK_ERR(send_group(radio, "g", "more", ZMQ_DONTWAIT), -1, EAGAIN);
    set_int(radio, ZMQ_SNDTIMEO, 20);
    CHECK_ERR(send_group(radio, "g", "more", 0), -1, EAGAIN);
    /* Other groups with no full subscriber still go. */
    CHECK_EQ(send_group(radio, "h", "h", ZMQ_DONTWAIT), 1);
    for (int i = 0; i < sent; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        if (size == 0) {
            expect(dish, "g", text);
            continue;
        }
        int rc = recv_group(dish, body, sizeof body, g, sizeof g, 0);
        if (rc != BIG || strcmp(body, text) != 0 || strcmp(g, "g") != 0) {
            fprintf(stderr, "  message %d: rc %d '%s' in '%s'\n", i, rc, body,
                    g);
            test_failed_ = 1;
            break;
        }
    }
    expect_nothing(dish);
    set_int(radio, ZMQ_SNDTIMEO, TIMEOUT_MS);
    CHECK_EQ(send_group(radio, "g", "more", 0), 4);
    expect(dish, "g", "more");
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_hwm(void)
{
    do_hwm(ep_for(0, "rd-hwm"));
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

#define THREAD_MSGS 4000

struct receiver {
    void *dish;
    atomic_int *seen;
    int count;
    int failed;
};

static void *receive_until_stop(void *arg)
{
    struct receiver *r = arg;
    for (;;) {
        char body[64], g[64];
        if (recv_group(r->dish, body, sizeof body, g, sizeof g, 0) < 0) {
            r->failed = 1;
            break;
        }
        if (strcmp(g, "g") != 0)
            r->failed = 1;
        if (strcmp(body, "stop") == 0)
            break;
        int i = atoi(body);
        if (i < 0 || i >= THREAD_MSGS || atomic_fetch_add(&r->seen[i], 1) != 0)
            r->failed = 1;
        r->count++;
    }
    return NULL;
}

/* Two threads receive from one DISH while the main thread sends with
 * XPUB_NODROP: every message arrives exactly once. */
static void do_threads(const char *ep)
{
    void *ctx = zmq_ctx_new();
    void *radio = new_socket(ctx, ZMQ_RADIO);
    void *dish = new_socket(ctx, ZMQ_DISH);
    set_int(radio, ZMQ_XPUB_NODROP, 1);
    set_int(radio, ZMQ_SNDHWM, 10);
    set_int(dish, ZMQ_RCVHWM, 10);
    CHECK_EQ(bind_connect(radio, dish, ep), 0);
    CHECK_EQ(zmq_join(dish, "g"), 0);
    sync_join(radio, dish, "g");

    static atomic_int seen[THREAD_MSGS];
    for (int i = 0; i < THREAD_MSGS; i++)
        atomic_init(&seen[i], 0);
    struct receiver r[2] = {{dish, seen, 0, 0}, {dish, seen, 0, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        REQUIRE(pthread_create(&t[i], NULL, receive_until_stop, &r[i]) == 0);
    for (int i = 0; i < THREAD_MSGS; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        CHECK(send_group(radio, "g", text, 0) >= 0);
        /* A message of another group now and then is filtered out. */
        if (i % 100 == 0)
            CHECK(send_group(radio, "other", "x", 0) >= 0);
    }
    /* One stop each: a thread ends at its first. */
    CHECK(send_group(radio, "g", "stop", 0) >= 0);
    CHECK(send_group(radio, "g", "stop", 0) >= 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(r[0].failed, 0);
    CHECK_EQ(r[1].failed, 0);
    CHECK_EQ(r[0].count + r[1].count, THREAD_MSGS);
    for (int i = 0; i < THREAD_MSGS; i++)
        if (atomic_load(&seen[i]) != 1) {
            fprintf(stderr, "  message %d seen %d times\n", i,
                    atomic_load(&seen[i]));
            test_failed_ = 1;
            break;
        }
    CHECK_EQ(zmq_close(dish), 0);
    CHECK_EQ(zmq_close(radio), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_threads(void)
{
    do_threads(ep_for(0, "rd-threads"));
}

TEST_MAIN(TEST(test_exact_match), TEST(test_several), TEST(test_leave),
          TEST(test_join_before_connect), TEST(test_connect_before_bind),
          TEST(test_no_group), TEST(test_long_groups), TEST(test_errors),
          TEST(test_hwm), TEST(test_threads))
