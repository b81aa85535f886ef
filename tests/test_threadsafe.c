/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the thread-safe socket types: SERVER and CLIENT
 * (RFC 48), SCATTER and GATHER, CHANNEL.  Routing, round robin and fair
 * queuing, the single-part rule, ZMQ_THREAD_SAFE, several threads
 * blocking on one socket, ETERM reaching a blocked thread, ZMQ_FD and
 * ZMQ_EVENTS, send timeouts against a full connection.
 *
 * Bodies take endpoint strings and the program runs once per transport
 * (inproc, tcp, ipc: see testutil_transport.h); they bind to the
 * endpoint given and connect to what ZMQ_LAST_ENDPOINT reports.  Over
 * tcp and ipc a multipart message reaches the single-part types from a
 * raw ZMTP peer (no libzmq socket sends one to them), and high-water
 * marks are inexact (the kernel's buffers hold more), so the bodies that
 * fill a connection send big messages there.  Every blocking call is
 * bounded by a timeout, so a bug fails a CHECK instead of hanging.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_transport.h"

#define TIMEOUT_MS 5000

#include "testutil_socket.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static int get_int(void *s, int option)
{
    int value = -1;
    size_t len = sizeof value;
    int rc = zmq_getsockopt(s, option, &value, &len);
    CHECK_EQ(rc, 0);
    return value;
}

static void check_nothing(void *s)
{
    char buf[64];
    CHECK_ERR(recv_from(s, buf, sizeof buf, NULL, ZMQ_DONTWAIT), -1, EAGAIN);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void close_all(void **sockets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sockets[i] != NULL)
            CHECK_EQ(zmq_close(sockets[i]), 0);
}

/* ------------------------------------------------------------------------ */
/* SERVER and CLIENT                                                         */
/* ------------------------------------------------------------------------ */

/* Two clients ask, the server answers each by its routing id. */
static void server_client_reqrep(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    char addr[256];
    CHECK_EQ(bind_ep(srv, ep, addr, sizeof addr), 0);
    void *c1 = new_socket(ctx, ZMQ_CLIENT);
    void *c2 = new_socket(ctx, ZMQ_CLIENT);
    CHECK_EQ(zmq_connect(c1, addr), 0);
    CHECK_EQ(zmq_connect(c2, addr), 0);

    for (int round = 0; round < 3; round++) {
        CHECK_EQ(zmq_send(c1, "q1", 2, 0), 2);
        CHECK_EQ(zmq_send(c2, "q2", 2, 0), 2);
        uint32_t id1 = 0, id2 = 0;
        for (int i = 0; i < 2; i++) {
            char buf[64];
            uint32_t id = 0;
            CHECK_EQ(recv_from(srv, buf, sizeof buf, &id, 0), 2);
            CHECK(id != 0);
            if (strcmp(buf, "q1") == 0)
                id1 = id;
            else if (strcmp(buf, "q2") == 0)
                id2 = id;
            else
                CHECK(!"unexpected request");
        }
        CHECK(id1 != 0);
        CHECK(id2 != 0);
        CHECK(id1 != id2);
        /* Answer in the other order: routing, not timing, decides. */
        CHECK_EQ(send_to(srv, id2, "a2", 0), 2);
        CHECK_EQ(send_to(srv, id1, "a1", 0), 2);
        char buf[64];
        uint32_t rid = 12345;
        CHECK_EQ(recv_from(c1, buf, sizeof buf, &rid, 0), 2);
        CHECK(strcmp(buf, "a1") == 0);
        /* A client never sees the server's routing ids. */
        CHECK_EQ(rid, 0);
        CHECK_EQ(recv_from(c2, buf, sizeof buf, NULL, 0), 2);
        CHECK(strcmp(buf, "a2") == 0);
        check_nothing(c1);
        check_nothing(c2);
    }

    /* A server's send needs a known id. */
    CHECK_ERR(zmq_send(srv, "x", 1, 0), -1, EHOSTUNREACH);

    void *all[] = {c1, c2, srv};
    close_all(all, 3);
    term(ctx);
}

/* Sends 2 * rounds messages "0", "1", ... from `sender` and receives
 * them on r1 and r2: each must get every other one, in order. */
static void check_round_robin(void *sender, void *r1, void *r2, int rounds)
{
    for (int i = 0; i < 2 * rounds; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        CHECK(zmq_send(sender, text, strlen(text), 0) > 0);
    }
    void *rs[2] = {r1, r2};
    int first[2] = {-1, -1};
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < rounds; k++) {
            char buf[64];
            if (recv_from(rs[r], buf, sizeof buf, NULL, 0) < 0) {
                CHECK(!"receiver got fewer messages than round robin owes");
                return;
            }
            int v = atoi(buf);
            if (k == 0)
                first[r] = v;
            /* Every other message, in order. */
            CHECK_EQ(v, first[r] + 2 * k);
        }
        check_nothing(rs[r]);
    }
    /* One got the even ones, the other the odd ones. */
    CHECK((first[0] == 0 && first[1] == 1) || (first[0] == 1 && first[1] == 0));
}

static void client_round_robin(const char *ep1, const char *ep2)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s1 = new_socket(ctx, ZMQ_SERVER);
    void *s2 = new_socket(ctx, ZMQ_SERVER);
    char a1[256], a2[256];
    CHECK_EQ(bind_ep(s1, ep1, a1, sizeof a1), 0);
    CHECK_EQ(bind_ep(s2, ep2, a2, sizeof a2), 0);
    void *c = new_socket(ctx, ZMQ_CLIENT);
    CHECK_EQ(zmq_connect(c, a1), 0);
    CHECK_EQ(zmq_connect(c, a2), 0);

    check_round_robin(c, s1, s2, 4);

    /* Each server can answer its own share. */
    CHECK_EQ(zmq_send(c, "x", 1, 0), 1);
    CHECK_EQ(zmq_send(c, "y", 1, 0), 1);
    char buf[64];
    uint32_t id1 = 0, id2 = 0;
    CHECK_EQ(recv_from(s1, buf, sizeof buf, &id1, 0), 1);
    CHECK_EQ(recv_from(s2, buf, sizeof buf, &id2, 0), 1);
    CHECK_EQ(send_to(s1, id1, "from1", 0), 5);
    CHECK_EQ(send_to(s2, id2, "from2", 0), 5);
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(recv_from(c, buf, sizeof buf, NULL, 0), 5);
        seen1 += strcmp(buf, "from1") == 0;
        seen2 += strcmp(buf, "from2") == 0;
    }
    CHECK_EQ(seen1, 1);
    CHECK_EQ(seen2, 1);

    void *all[] = {c, s1, s2};
    close_all(all, 3);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* SCATTER and GATHER                                                        */
/* ------------------------------------------------------------------------ */

static void scatter_round_robin(const char *ep1, const char *ep2)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *g1 = new_socket(ctx, ZMQ_GATHER);
    void *g2 = new_socket(ctx, ZMQ_GATHER);
    char a1[256], a2[256];
    CHECK_EQ(bind_ep(g1, ep1, a1, sizeof a1), 0);
    CHECK_EQ(bind_ep(g2, ep2, a2, sizeof a2), 0);
    void *sc = new_socket(ctx, ZMQ_SCATTER);
    CHECK_EQ(zmq_connect(sc, a1), 0);
    CHECK_EQ(zmq_connect(sc, a2), 0);

    check_round_robin(sc, g1, g2, 5);

    void *all[] = {sc, g1, g2};
    close_all(all, 3);
    term(ctx);
}

/* Both scatters' messages are queued before the first receive; fair
 * queuing then alternates between them, each in its own order. */
static void gather_fair_queue(const char *ep)
{
    enum { PER = 4 };
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *g = new_socket(ctx, ZMQ_GATHER);
    char addr[256];
    CHECK_EQ(bind_ep(g, ep, addr, sizeof addr), 0);
    void *sa = new_socket(ctx, ZMQ_SCATTER);
    void *sb = new_socket(ctx, ZMQ_SCATTER);
    CHECK_EQ(zmq_connect(sa, addr), 0);
    CHECK_EQ(zmq_connect(sb, addr), 0);
    for (int i = 0; i < PER; i++) {
        char text[16];
        snprintf(text, sizeof text, "a%d", i);
        CHECK_EQ(zmq_send(sa, text, 2, 0), 2);
        snprintf(text, sizeof text, "b%d", i);
        CHECK_EQ(zmq_send(sb, text, 2, 0), 2);
    }
    /* Over inproc both connections and all eight messages are in place
     * before the first receive.  Over tcp and ipc they arrive when they
     * do, so only each sender's order is checked there. */
    int next[2] = {0, 0};
    char prev = 0;
    int alternations = 0;
    for (int i = 0; i < 2 * PER; i++) {
        char buf[64];
        if (recv_from(g, buf, sizeof buf, NULL, 0) != 2) {
            CHECK(!"gather lost a message");
            break;
        }
        int who = buf[0] == 'a' ? 0 : buf[0] == 'b' ? 1 : -1;
        REQUIRE(who >= 0);
        CHECK_EQ(buf[1] - '0', next[who]);
        next[who]++;
        if (prev != 0 && buf[0] != prev)
            alternations++;
        prev = buf[0];
    }
    CHECK_EQ(next[0], PER);
    CHECK_EQ(next[1], PER);
    /* Strict alternation: every consecutive pair is from both. */
    if (tt_is_inproc())
        CHECK_EQ(alternations, 2 * PER - 1);
    check_nothing(g);

    void *all[] = {sa, sb, g};
    close_all(all, 3);
    term(ctx);
}

static void scatter_gather_direction(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *g = new_socket(ctx, ZMQ_GATHER);
    char addr[256];
    CHECK_EQ(bind_ep(g, ep, addr, sizeof addr), 0);
    void *sc = new_socket(ctx, ZMQ_SCATTER);
    CHECK_EQ(zmq_connect(sc, addr), 0);

    char buf[16];
    CHECK_ERR(zmq_recv(sc, buf, sizeof buf, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_recv(sc, buf, sizeof buf, ZMQ_DONTWAIT), -1, ENOTSUP);
    CHECK_ERR(zmq_send(g, "x", 1, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_send(g, "x", 1, ZMQ_DONTWAIT), -1, ENOTSUP);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_ERR(zmq_msg_recv(&m, sc, 0), -1, ENOTSUP);
    CHECK_ERR(zmq_msg_send(&m, g, 0), -1, ENOTSUP);
    zmq_msg_close(&m);

    /* ZMQ_EVENTS agrees: a SCATTER never has input, a GATHER never
     * accepts output. */
    CHECK_EQ(get_int(sc, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    CHECK_EQ(get_int(g, ZMQ_EVENTS) & ZMQ_POLLOUT, 0);

    /* The right direction still works. */
    CHECK_EQ(zmq_send(sc, "ok", 2, 0), 2);
    CHECK_EQ(recv_from(g, buf, sizeof buf, NULL, 0), 2);
    CHECK(strcmp(buf, "ok") == 0);

    void *all[] = {sc, g};
    close_all(all, 2);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* CHANNEL                                                                   */
/* ------------------------------------------------------------------------ */

static void channel_exchange(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a = new_socket(ctx, ZMQ_CHANNEL);
    void *b = new_socket(ctx, ZMQ_CHANNEL);
    char addr[256];
    CHECK_EQ(bind_ep(a, ep, addr, sizeof addr), 0);
    CHECK_EQ(zmq_connect(b, addr), 0);

    for (int i = 0; i < 5; i++) {
        char buf[64];
        CHECK_EQ(zmq_send(b, "ping", 4, 0), 4);
        CHECK_EQ(recv_from(a, buf, sizeof buf, NULL, 0), 4);
        CHECK(strcmp(buf, "ping") == 0);
        CHECK_EQ(zmq_send(a, "pong", 4, 0), 4);
        CHECK_EQ(recv_from(b, buf, sizeof buf, NULL, 0), 4);
        CHECK(strcmp(buf, "pong") == 0);
    }
    check_nothing(a);
    check_nothing(b);

    void *all[] = {a, b};
    close_all(all, 2);
    term(ctx);
}

/* A writer of multipart messages to a single-part type: over inproc a
 * classic PAIR (inproc does not check socket types), over tcp and ipc a
 * raw ZMTP peer claiming the type that may talk to it. */
struct mp_writer {
    void *pair;
    int fd;
};

static int mp_open(struct mp_writer *w, void *ctx, const char *addr,
                   const char *claimed)
{
    w->pair = NULL;
    w->fd = -1;
    if (tt_is_inproc()) {
        w->pair = new_socket(ctx, ZMQ_PAIR);
        return w->pair != NULL && zmq_connect(w->pair, addr) == 0 ? 0 : -1;
    }
    w->fd = tt_zmtp_connect(addr, claimed);
    return w->fd >= 0 ? 0 : -1;
}

static int mp_send(struct mp_writer *w, const char *text, bool more)
{
    if (w->pair != NULL)
        return zmq_send(w->pair, text, strlen(text), more ? ZMQ_SNDMORE : 0) ==
                       (int)strlen(text)
                   ? 0
                   : -1;
    return tt_zmtp_send(w->fd, text, strlen(text), more);
}

/* Receives one single-part message into buf; its size or -1. */
static long mp_recv(struct mp_writer *w, char *buf, size_t cap)
{
    if (w->pair != NULL) {
        int n = zmq_recv(w->pair, buf, cap, 0);
        return n >= 0 && get_int(w->pair, ZMQ_RCVMORE) == 0 ? n : -1;
    }
    bool more = true;
    long n = tt_zmtp_recv(w->fd, buf, cap, &more);
    return n >= 0 && !more ? n : -1;
}

static void mp_close(struct mp_writer *w)
{
    if (w->pair != NULL)
        CHECK_EQ(zmq_close(w->pair), 0);
    if (w->fd >= 0)
        close(w->fd);
}

/* A bound socket of `type` drops incoming messages of several parts
 * whole and keeps the single-part ones; the reply path (if the type
 * sends) works for that connection. */
static void drops_multipart(const char *ep, int type, const char *claimed)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = new_socket(ctx, type);
    char addr[256];
    CHECK_EQ(bind_ep(s, ep, addr, sizeof addr), 0);
    struct mp_writer w;
    CHECK_EQ(mp_open(&w, ctx, addr, claimed), 0);
    if (!test_failed_) {
        CHECK_EQ(mp_send(&w, "a", true), 0);
        CHECK_EQ(mp_send(&w, "b", false), 0);
        CHECK_EQ(mp_send(&w, "c", false), 0);
        CHECK_EQ(mp_send(&w, "d", true), 0);
        CHECK_EQ(mp_send(&w, "e", true), 0);
        CHECK_EQ(mp_send(&w, "f", false), 0);
        CHECK_EQ(mp_send(&w, "g", false), 0);
        char buf[16];
        uint32_t id = 0;
        CHECK_EQ(recv_from(s, buf, sizeof buf, &id, 0), 1);
        CHECK(strcmp(buf, "c") == 0);
        CHECK_EQ(recv_from(s, buf, sizeof buf, NULL, 0), 1);
        CHECK(strcmp(buf, "g") == 0);
        int more = 1;
        size_t len = sizeof more;
        CHECK_EQ(zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len), 0);
        CHECK_EQ(more, 0);
        check_nothing(s);
        if (type != ZMQ_GATHER) {
            CHECK_EQ(send_to(s, type == ZMQ_SERVER ? id : 0, "r", 0), 1);
            CHECK_EQ(mp_recv(&w, buf, sizeof buf), 1);
            CHECK(buf[0] == 'r');
        }
    }
    mp_close(&w);
    CHECK_EQ(zmq_close(s), 0);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* The single-part rule and ZMQ_THREAD_SAFE                                 */
/* ------------------------------------------------------------------------ */

/* SNDMORE is refused with EINVAL on every thread-safe type that sends,
 * with a live connection, and nothing reaches the peer but the message
 * sent properly afterwards. */
static void single_part_rule(const char *ep_server, const char *ep_peer,
                             const char *ep_channel, const char *ep_gather)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    char addr[256];

    /* SERVER <- CLIENT */
    void *srv = new_socket(ctx, ZMQ_SERVER);
    CHECK_EQ(bind_ep(srv, ep_server, addr, sizeof addr), 0);
    void *cli = new_socket(ctx, ZMQ_CLIENT);
    CHECK_EQ(zmq_connect(cli, addr), 0);
    CHECK_ERR(zmq_send(cli, "m", 1, ZMQ_SNDMORE), -1, EINVAL);
    CHECK_EQ(zmq_send(cli, "1", 1, 0), 1);
    char buf[16];
    uint32_t id = 0;
    CHECK_EQ(recv_from(srv, buf, sizeof buf, &id, 0), 1);
    CHECK(strcmp(buf, "1") == 0);
    CHECK_ERR(send_to(srv, id, "m", ZMQ_SNDMORE), -1, EINVAL);
    CHECK_ERR(send_to(srv, id, "m", ZMQ_SNDMORE | ZMQ_DONTWAIT), -1, EINVAL);
    CHECK_EQ(send_to(srv, id, "2", 0), 1);
    CHECK_EQ(recv_from(cli, buf, sizeof buf, NULL, 0), 1);
    CHECK(strcmp(buf, "2") == 0);
    check_nothing(cli);
    check_nothing(srv);

    /* PEER */
    void *pa = new_socket(ctx, ZMQ_PEER);
    void *pb = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(bind_ep(pa, ep_peer, addr, sizeof addr), 0);
    uint32_t pid = zmq_connect_peer(pb, addr);
    CHECK(pid != 0);
    CHECK_ERR(send_to(pb, pid, "m", ZMQ_SNDMORE), -1, EINVAL);
    CHECK_EQ(send_to(pb, pid, "3", 0), 1);
    CHECK_EQ(recv_from(pa, buf, sizeof buf, NULL, 0), 1);
    CHECK(strcmp(buf, "3") == 0);
    check_nothing(pa);

    /* CHANNEL */
    void *ca = new_socket(ctx, ZMQ_CHANNEL);
    void *cb = new_socket(ctx, ZMQ_CHANNEL);
    CHECK_EQ(bind_ep(ca, ep_channel, addr, sizeof addr), 0);
    CHECK_EQ(zmq_connect(cb, addr), 0);
    CHECK_ERR(zmq_send(cb, "m", 1, ZMQ_SNDMORE), -1, EINVAL);
    CHECK_ERR(zmq_send(ca, "m", 1, ZMQ_SNDMORE), -1, EINVAL);
    CHECK_EQ(zmq_send(cb, "4", 1, 0), 1);
    CHECK_EQ(recv_from(ca, buf, sizeof buf, NULL, 0), 1);
    CHECK(strcmp(buf, "4") == 0);
    check_nothing(ca);
    check_nothing(cb);

    /* SCATTER -> GATHER */
    void *g = new_socket(ctx, ZMQ_GATHER);
    void *sc = new_socket(ctx, ZMQ_SCATTER);
    CHECK_EQ(bind_ep(g, ep_gather, addr, sizeof addr), 0);
    CHECK_EQ(zmq_connect(sc, addr), 0);
    CHECK_ERR(zmq_send(sc, "m", 1, ZMQ_SNDMORE), -1, EINVAL);
    zmq_msg_t m;
    CHECK_EQ(zmq_msg_init_buffer(&m, "5", 1), 0);
    CHECK_ERR(zmq_msg_send(&m, sc, ZMQ_SNDMORE), -1, EINVAL);
    /* Refused, so still ours and unchanged. */
    CHECK_EQ(zmq_msg_size(&m), 1);
    CHECK_EQ(zmq_msg_send(&m, sc, 0), 1);
    CHECK_EQ(recv_from(g, buf, sizeof buf, NULL, 0), 1);
    CHECK(strcmp(buf, "5") == 0);
    int more = 1;
    size_t len = sizeof more;
    CHECK_EQ(zmq_getsockopt(g, ZMQ_RCVMORE, &more, &len), 0);
    CHECK_EQ(more, 0);
    check_nothing(g);

    void *all[] = {cli, srv, pb, pa, cb, ca, sc, g};
    close_all(all, sizeof all / sizeof all[0]);
    term(ctx);
}

static void test_thread_safe_option(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    static const struct {
        int type;
        int safe;
    } types[] = {
        {ZMQ_SERVER, 1},  {ZMQ_CLIENT, 1}, {ZMQ_PEER, 1},
        {ZMQ_CHANNEL, 1}, {ZMQ_GATHER, 1}, {ZMQ_SCATTER, 1},
        {ZMQ_PAIR, 0},    {ZMQ_PUSH, 0},   {ZMQ_PULL, 0},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = zmq_socket(ctx, types[i].type);
        CHECK(s != NULL);
        if (s == NULL)
            continue;
        int value = -1;
        size_t len = sizeof value;
        CHECK_EQ(zmq_getsockopt(s, ZMQ_THREAD_SAFE, &value, &len), 0);
        CHECK_EQ(len, sizeof value);
        if (value != types[i].safe) {
            fprintf(stderr, "socket type %d: ZMQ_THREAD_SAFE %d, want %d\n",
                    types[i].type, value, types[i].safe);
            test_failed_ = 1;
        }
        /* Read-only. */
        int one = 1;
        CHECK_ERR(zmq_setsockopt(s, ZMQ_THREAD_SAFE, &one, sizeof one), -1,
                  EINVAL);
        CHECK_EQ(zmq_close(s), 0);
    }
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* Threads on one socket                                                     */
/* ------------------------------------------------------------------------ */

struct receiver {
    void *socket;
    atomic_int *started;
    int rc, err;
    char buf[16];
    uint64_t elapsed_ms;
};

static void *receiver_main(void *arg)
{
    struct receiver *r = arg;
    atomic_fetch_add(r->started, 1);
    uint64_t t0 = now_ms();
    r->rc = recv_from(r->socket, r->buf, sizeof r->buf, NULL, 0);
    r->err = r->rc < 0 ? errno : 0;
    r->elapsed_ms = now_ms() - t0;
    return NULL;
}

/* Waits until `n` threads have said they are about to call in.  There is
 * no way to see that a thread is inside the call; the test is valid
 * either way and exercises the blocked case most of the time. */
static void wait_started(atomic_int *started, int n)
{
    while (atomic_load(started) < n)
        sched_yield();
}

/* Two threads block in recv on one SERVER; two messages come.  Each
 * thread gets exactly one, neither is lost or given twice. */
static void two_threads_recv(const char *ep)
{
    enum { ROUNDS = 50 };
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    char addr[256];
    CHECK_EQ(bind_ep(srv, ep, addr, sizeof addr), 0);
    void *cli = new_socket(ctx, ZMQ_CLIENT);
    CHECK_EQ(zmq_connect(cli, addr), 0);

    int failures = 0;
    for (int round = 0; round < ROUNDS && failures == 0; round++) {
        atomic_int started;
        atomic_init(&started, 0);
        struct receiver r[2];
        pthread_t t[2];
        for (int i = 0; i < 2; i++) {
            memset(&r[i], 0, sizeof r[i]);
            r[i].socket = srv;
            r[i].started = &started;
            REQUIRE(pthread_create(&t[i], NULL, receiver_main, &r[i]) == 0);
        }
        wait_started(&started, 2);
        CHECK_EQ(zmq_send(cli, "A", 1, 0), 1);
        CHECK_EQ(zmq_send(cli, "B", 1, 0), 1);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        int ok = r[0].rc == 1 && r[1].rc == 1 &&
                 ((strcmp(r[0].buf, "A") == 0 && strcmp(r[1].buf, "B") == 0) ||
                  (strcmp(r[0].buf, "B") == 0 && strcmp(r[1].buf, "A") == 0));
        if (!ok) {
            fprintf(stderr,
                    "round %d: thread 0 rc %d errno %d '%s' after %llu ms,"
                    " thread 1 rc %d errno %d '%s' after %llu ms\n",
                    round, r[0].rc, r[0].err, r[0].buf,
                    (unsigned long long)r[0].elapsed_ms, r[1].rc, r[1].err,
                    r[1].buf, (unsigned long long)r[1].elapsed_ms);
            failures++;
            /* Take what a timed-out thread left behind. */
            char buf[16];
            while (recv_from(srv, buf, sizeof buf, NULL, ZMQ_DONTWAIT) >= 0)
                ;
        }
        check_nothing(srv);
    }
    CHECK_EQ(failures, 0);

    void *all[] = {cli, srv};
    close_all(all, 2);
    term(ctx);
}

/* zmq_ctx_shutdown from another thread ends blocked receives on a SERVER
 * with ETERM, for one and for several blocked threads. */
static void eterm_in_blocked_recv(const char *ep, int nthreads)
{
    enum { MAX = 4 };
    REQUIRE(nthreads <= MAX);
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    CHECK_EQ(zmq_bind(srv, ep), 0);

    atomic_int started;
    atomic_init(&started, 0);
    struct receiver r[MAX];
    pthread_t t[MAX];
    for (int i = 0; i < nthreads; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].socket = srv;
        r[i].started = &started;
        REQUIRE(pthread_create(&t[i], NULL, receiver_main, &r[i]) == 0);
    }
    wait_started(&started, nthreads);
    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    for (int i = 0; i < nthreads; i++) {
        pthread_join(t[i], NULL);
        if (r[i].rc != -1 || r[i].err != ETERM) {
            fprintf(stderr,
                    "%d blocked: thread %d rc %d errno %d (%s) after %llu ms,"
                    " want ETERM\n",
                    nthreads, i, r[i].rc, r[i].err, strerror(r[i].err),
                    (unsigned long long)r[i].elapsed_ms);
            test_failed_ = 1;
        }
        /* Well before the receive timeout. */
        CHECK(r[i].elapsed_ms < TIMEOUT_MS);
    }
    CHECK_EQ(zmq_close(srv), 0);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* ZMQ_FD and ZMQ_EVENTS                                                     */
/* ------------------------------------------------------------------------ */

static int fd_readable(zmq_fd_t fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    return rc > 0 && (pfd.revents & POLLIN);
}

/* After the fd of s signalled, looks at ZMQ_EVENTS until it shows
 * POLLIN, waiting on the fd again while it does not: the documented use
 * of ZMQ_FD, which tells to look, not that a message is there (over tcp
 * and ipc other work, such as a connection being attached, raises it
 * too).  1 when POLLIN came within TIMEOUT_MS. */
static int pollin_via_fd(void *s, zmq_fd_t fd)
{
    uint64_t end = now_ms() + TIMEOUT_MS;
    for (;;) {
        if (get_int(s, ZMQ_EVENTS) & ZMQ_POLLIN)
            return 1;
        uint64_t now = now_ms();
        if (now >= end || !fd_readable(fd, (int)(end - now)))
            return 0;
    }
}

static void fd_signals_input(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    zmq_fd_t fd = -1;
    size_t len = sizeof fd;
    CHECK_EQ(zmq_getsockopt(srv, ZMQ_FD, &fd, &len), 0);
    CHECK_EQ(len, sizeof fd);
    CHECK(fd >= 0);
    /* Too small a buffer. */
    char small;
    len = sizeof small;
    CHECK_ERR(zmq_getsockopt(srv, ZMQ_FD, &small, &len), -1, EINVAL);

    char addr[256];
    CHECK_EQ(bind_ep(srv, ep, addr, sizeof addr), 0);
    void *cli = new_socket(ctx, ZMQ_CLIENT);
    CHECK_EQ(zmq_connect(cli, addr), 0);
    /* The connection is up (over tcp and ipc it comes later). */
    char warm[16];
    CHECK_EQ(zmq_send(cli, "warm", 4, 0), 4);
    CHECK_EQ(recv_from(srv, warm, sizeof warm, NULL, 0), 4);

    for (int round = 0; round < 3; round++) {
        /* Nothing to read: ZMQ_EVENTS says so, and after it has looked
         * the fd stays quiet. */
        int events = get_int(srv, ZMQ_EVENTS);
        CHECK_EQ(events & ZMQ_POLLIN, 0);
        CHECK(events & ZMQ_POLLOUT);
        CHECK(!fd_readable(fd, 0));

        CHECK_EQ(zmq_send(cli, "wake", 4, 0), 4);
        CHECK(fd_readable(fd, TIMEOUT_MS));
        CHECK(pollin_via_fd(srv, fd));
        events = get_int(srv, ZMQ_EVENTS);
        CHECK(events & ZMQ_POLLIN);
        /* Still reported until it is read. */
        CHECK(get_int(srv, ZMQ_EVENTS) & ZMQ_POLLIN);

        char buf[16];
        uint32_t id = 0;
        CHECK_EQ(recv_from(srv, buf, sizeof buf, &id, ZMQ_DONTWAIT), 4);
        CHECK(strcmp(buf, "wake") == 0);
        CHECK_EQ(get_int(srv, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    }

    /* The same for the CLIENT side, whose fd is asked for late. */
    zmq_fd_t cfd = -1;
    len = sizeof cfd;
    CHECK_EQ(zmq_getsockopt(cli, ZMQ_FD, &cfd, &len), 0);
    CHECK(cfd >= 0);
    CHECK(cfd != fd);
    CHECK_EQ(zmq_send(cli, "q", 1, 0), 1);
    char buf[16];
    uint32_t id = 0;
    CHECK_EQ(recv_from(srv, buf, sizeof buf, &id, 0), 1);
    CHECK_EQ(get_int(cli, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    CHECK(!fd_readable(cfd, 0));
    CHECK_EQ(send_to(srv, id, "r", 0), 1);
    CHECK(fd_readable(cfd, TIMEOUT_MS));
    CHECK(pollin_via_fd(cli, cfd));
    CHECK_EQ(recv_from(cli, buf, sizeof buf, NULL, ZMQ_DONTWAIT), 1);

    void *all[] = {cli, srv};
    close_all(all, 2);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* Send timeouts against a full connection                                   */
/* ------------------------------------------------------------------------ */

struct sender {
    void *socket;
    uint32_t id;
    atomic_int *started;
    int rc, err;
    uint64_t elapsed_ms;
};

static void *sender_main(void *arg)
{
    struct sender *sd = arg;
    /* Still full: the send below has to wait for the reader. */
    int pre = send_to(sd->socket, sd->id, "last", ZMQ_DONTWAIT);
    atomic_store(sd->started, pre < 0 && errno == EAGAIN ? 1 : 2);
    uint64_t t0 = now_ms();
    sd->rc = send_to(sd->socket, sd->id, "last", 0);
    sd->err = sd->rc < 0 ? errno : 0;
    sd->elapsed_ms = now_ms() - t0;
    return NULL;
}

/* Messages that fill a connection: over tcp and ipc big enough (16 KB)
 * that the kernel's buffers cannot take them all.  The text comes first,
 * NUL-padded. */
enum { BIG = 16384 };
static char fill_buf[BIG];

static size_t fill_size(void)
{
    return tt_is_inproc() ? 4 : BIG;
}

static int send_fill(void *s, uint32_t id, const char *text, int flags)
{
    memset(fill_buf, 0, 16);
    memcpy(fill_buf, text, strlen(text));
    zmq_msg_t m;
    if (zmq_msg_init_buffer(&m, fill_buf, fill_size()) != 0)
        return -1;
    if (id != 0 && zmq_msg_set_routing_id(&m, id) != 0) {
        zmq_msg_close(&m);
        return -1;
    }
    int rc = zmq_msg_send(&m, s, flags);
    if (rc < 0) {
        int err = errno;
        zmq_msg_close(&m);
        errno = err;
    }
    return rc;
}

/* Sends fill messages on s (to id, 0 for none) without waiting until one
 * is refused.  Over tcp and ipc the I/O thread keeps moving messages
 * into the kernel meanwhile, so there it goes on while room appears
 * within 300 ms.  Returns the count sent; errno is the refusal's. */
static int fill_up(void *s, uint32_t id, const char *text)
{
    int n = 0;
    set_int(s, ZMQ_SNDTIMEO, 300);
    while (n < 100000) {
        if (send_fill(s, id, text, ZMQ_DONTWAIT) >= 0) {
            n++;
            continue;
        }
        if (errno != EAGAIN || tt_is_inproc() || send_fill(s, id, text, 0) < 0)
            break;
        n++;
    }
    int err = errno;
    set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
    errno = err;
    return n;
}

static void server_send_timeouts(const char *ep)
{
    enum { SNDTIMEO = 300 };
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    set_int(srv, ZMQ_SNDHWM, 1);
    set_int(srv, ZMQ_RCVHWM, 1);
    char addr[256];
    CHECK_EQ(bind_ep(srv, ep, addr, sizeof addr), 0);
    void *cli = new_socket(ctx, ZMQ_CLIENT);
    set_int(cli, ZMQ_SNDHWM, 1);
    set_int(cli, ZMQ_RCVHWM, 1);
    CHECK_EQ(zmq_connect(cli, addr), 0);

    CHECK_EQ(zmq_send(cli, "hi", 2, 0), 2);
    char buf[16];
    uint32_t id = 0;
    CHECK_EQ(recv_from(srv, buf, sizeof buf, &id, 0), 2);
    REQUIRE(id != 0);

    /* Fill the connection.  With both high-water marks at 1 a handful of
     * messages fit (inproc adds the two sides' marks, as libzmq); over
     * tcp and ipc the kernel's buffers take more. */
    int queued = fill_up(srv, id, "fill");
    CHECK_EQ(errno, EAGAIN);
    CHECK(queued >= 1);
    if (tt_is_inproc())
        CHECK(queued <= 2);

    /* DONTWAIT: EAGAIN at once. */
    uint64_t t0 = now_ms();
    CHECK_ERR(send_to(srv, id, "x", ZMQ_DONTWAIT), -1, EAGAIN);
    uint64_t dontwait_ms = now_ms() - t0;
    CHECK(dontwait_ms < 200);

    /* SNDTIMEO: EAGAIN after about the timeout. */
    set_int(srv, ZMQ_SNDTIMEO, SNDTIMEO);
    t0 = now_ms();
    CHECK_ERR(send_to(srv, id, "x", 0), -1, EAGAIN);
    uint64_t waited = now_ms() - t0;
    if (waited + 10 < SNDTIMEO || waited > SNDTIMEO + 3000) {
        fprintf(stderr, "SNDTIMEO %d: EAGAIN after %llu ms\n", SNDTIMEO,
                (unsigned long long)waited);
        test_failed_ = 1;
    }

    /* A blocked send resumes when the client reads. */
    set_int(srv, ZMQ_SNDTIMEO, TIMEOUT_MS);
    atomic_int started;
    atomic_init(&started, 0);
    struct sender sd = {.socket = srv, .id = id, .started = &started};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, sender_main, &sd) == 0);
    wait_started(&started, 1);
    CHECK_EQ(atomic_load(&started), 1); /* it was still full */
    for (int i = 0; i < queued; i++) {
        CHECK_EQ(recv_from(cli, buf, sizeof buf, NULL, 0), (int)fill_size());
        CHECK(strcmp(buf, "fill") == 0);
    }
    CHECK_EQ(recv_from(cli, buf, sizeof buf, NULL, 0), 4);
    CHECK(strcmp(buf, "last") == 0);
    pthread_join(t, NULL);
    CHECK_EQ(sd.rc, 4);
    if (sd.rc != 4)
        fprintf(stderr, "blocked send: rc %d errno %d after %llu ms\n", sd.rc,
                sd.err, (unsigned long long)sd.elapsed_ms);
    CHECK(sd.elapsed_ms < TIMEOUT_MS);
    check_nothing(cli);

    /* The client's DONTWAIT send against a full server side, too. */
    int cq = fill_up(cli, 0, "c");
    CHECK_EQ(errno, EAGAIN);
    CHECK(cq >= 1);
    if (tt_is_inproc())
        CHECK(cq <= 2);
    set_int(cli, ZMQ_SNDTIMEO, 50);
    CHECK_ERR(zmq_send(cli, "c", 1, 0), -1, EAGAIN);
    for (int i = 0; i < cq; i++)
        CHECK_EQ(recv_from(srv, buf, sizeof buf, NULL, 0), (int)fill_size());
    set_int(cli, ZMQ_SNDTIMEO, TIMEOUT_MS);
    CHECK_EQ(zmq_send(cli, "c", 1, 0), 1);
    CHECK_EQ(recv_from(srv, buf, sizeof buf, NULL, 0), 1);

    void *all[] = {cli, srv};
    close_all(all, 2);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* Runs over the transport the program was started for                      */
/* ------------------------------------------------------------------------ */

/* The endpoint to bind for the place `name`, in buffer `slot` of four. */
static const char *ep_for(int slot, const char *name)
{
    static char eps[4][256];
    tt_bind_ep(name, eps[slot], sizeof eps[slot]);
    return eps[slot];
}

static void test_server_client(void)
{
    server_client_reqrep(ep_for(0, "ts-reqrep"));
}

static void test_client_round_robin(void)
{
    client_round_robin(ep_for(0, "ts-rr-1"), ep_for(1, "ts-rr-2"));
}

static void test_scatter_round_robin(void)
{
    scatter_round_robin(ep_for(0, "ts-scatter-1"), ep_for(1, "ts-scatter-2"));
}

static void test_gather_fair_queue(void)
{
    gather_fair_queue(ep_for(0, "ts-gather"));
}

static void test_scatter_gather_direction(void)
{
    scatter_gather_direction(ep_for(0, "ts-direction"));
}

static void test_channel(void)
{
    channel_exchange(ep_for(0, "ts-channel"));
}

static void test_channel_drops_multipart(void)
{
    drops_multipart(ep_for(0, "ts-channel-multipart"), ZMQ_CHANNEL, "CHANNEL");
}

static void test_server_drops_multipart(void)
{
    drops_multipart(ep_for(0, "ts-server-multipart"), ZMQ_SERVER, "CLIENT");
}

static void test_client_drops_multipart(void)
{
    drops_multipart(ep_for(0, "ts-client-multipart"), ZMQ_CLIENT, "SERVER");
}

static void test_gather_drops_multipart(void)
{
    drops_multipart(ep_for(0, "ts-gather-multipart"), ZMQ_GATHER, "SCATTER");
}

static void test_single_part_rule(void)
{
    single_part_rule(ep_for(0, "ts-sp-server"), ep_for(1, "ts-sp-peer"),
                     ep_for(2, "ts-sp-channel"), ep_for(3, "ts-sp-gather"));
}

static void test_two_threads_recv(void)
{
    two_threads_recv(ep_for(0, "ts-two-threads"));
}

static void test_eterm_one_blocked(void)
{
    eterm_in_blocked_recv(ep_for(0, "ts-eterm-1"), 1);
}

static void test_eterm_several_blocked(void)
{
    eterm_in_blocked_recv(ep_for(0, "ts-eterm-3"), 3);
}

static void test_fd(void)
{
    fd_signals_input(ep_for(0, "ts-fd"));
}

static void test_send_timeouts(void)
{
    server_send_timeouts(ep_for(0, "ts-sndtimeo"));
}

TEST_MAIN(TEST(test_server_client), TEST(test_client_round_robin),
          TEST(test_scatter_round_robin), TEST(test_gather_fair_queue),
          TEST(test_scatter_gather_direction), TEST(test_channel),
          TEST(test_channel_drops_multipart), TEST(test_server_drops_multipart),
          TEST(test_client_drops_multipart), TEST(test_gather_drops_multipart),
          TEST(test_single_part_rule), TEST(test_thread_safe_option),
          TEST(test_two_threads_recv), TEST(test_eterm_one_blocked),
          TEST(test_eterm_several_blocked), TEST(test_fd),
          TEST(test_send_timeouts))
