/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the PEER socket (RFC 51) and of zmq_connect_peer /
 * zmq_disconnect_peer: routing by id, the id being usable before the
 * connection exists, every documented error, HELLO_MSG and
 * DISCONNECT_MSG, and id uniqueness.
 *
 * The test bodies take endpoint strings and the program runs once per
 * transport (inproc, tcp, ipc: see testutil_transport.h).  Bodies bind
 * to the endpoint given and connect to what ZMQ_LAST_ENDPOINT reports;
 * those that connect before binding get a concrete endpoint.
 *
 * Over inproc a socket acts on the commands its peers send it (a pipe
 * being attached, terminated, reactivated) only inside calls on it, so
 * where a single-threaded test needs the far side to catch up it drives
 * that socket with a call (see pump below).  Every wait is bounded by
 * RCVTIMEO/SNDTIMEO, so a bug fails a CHECK instead of hanging.  (Over
 * tcp and ipc the I/O thread does that work; driving does no harm.)
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <stdint.h>
#include <stdlib.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_transport.h"

/* The longest any single blocking call in this file may wait. */
#define TIMEOUT_MS 5000

#include "testutil_socket.h"
/* Short wait used when driving two sockets in turn. */
#define STEP_MS 20
/* How many STEP_MS rounds the drivers try before giving up. */
#define STEPS 200

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* Makes s act on the commands waiting for it (ZMQ_EVENTS processes them
 * and looks for input, which also reads the end-of-data mark a closing
 * connection leaves). */
static void pump(void *s)
{
    int events = 0;
    size_t len = sizeof events;
    int rc = zmq_getsockopt(s, ZMQ_EVENTS, &events, &len);
    CHECK_EQ(rc, 0);
}

/* Receives on s while driving `far`, for sequences in which both sides
 * must act before the message exists (a connection's termination
 * handshake).  Returns the size or -1 with errno EAGAIN after about
 * STEPS * STEP_MS ms. */
static int recv_driving(void *s, void *far, char *buf, size_t cap, uint32_t *id)
{
    set_int(s, ZMQ_RCVTIMEO, STEP_MS);
    int rc = -1;
    for (int i = 0; i < STEPS; i++) {
        pump(far);
        rc = recv_from(s, buf, cap, id, 0);
        if (rc >= 0 || errno != EAGAIN)
            break;
    }
    int err = errno;
    set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
    errno = err;
    return rc;
}

/* Sends to `id` on s while driving `far`, until the send fails with
 * EHOSTUNREACH (returns 1).  A send that fails otherwise ends the loop
 * and returns 0; so does running out of rounds.  Over inproc a send that
 * succeeds does too; over tcp and ipc the end of the connection reaches
 * s a while after the far side acted, and sends succeed meanwhile (the
 * messages go nowhere). */
static int send_until_unreachable(void *s, void *far, uint32_t id)
{
    set_int(s, ZMQ_SNDTIMEO, STEP_MS);
    int result = 0;
    for (int i = 0; i < STEPS; i++) {
        pump(far);
        int rc = send_to(s, id, "late", 0);
        if (rc < 0 && errno == EHOSTUNREACH) {
            result = 1;
            break;
        }
        if (rc >= 0 && !tt_is_inproc()) {
            zmq_pollitem_t item = {s, 0, 0, 0};
            zmq_poll(&item, 1, STEP_MS);
            continue;
        }
        if (rc >= 0 || errno != EAGAIN) {
            fprintf(stderr, "send to a disconnected id: rc %d errno %d\n", rc,
                    rc < 0 ? errno : 0);
            break;
        }
    }
    set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
    return result;
}

/* Checks that nothing more can be received on s now. */
static void check_nothing(void *s)
{
    char buf[64];
    CHECK_ERR(recv_from(s, buf, sizeof buf, NULL, ZMQ_DONTWAIT), -1, EAGAIN);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------------ */
/* Test bodies (one endpoint parameter each, see the top of the file)       */
/* ------------------------------------------------------------------------ */

/* The basic exchange of the man page's example. */
static void peer_roundtrip(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *binder = new_socket(ctx, ZMQ_PEER);
    void *connector = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(binder, ep, addr, sizeof addr), 0);

    uint32_t id = zmq_connect_peer(connector, addr);
    CHECK(id != 0);
    CHECK_EQ(send_to(connector, id, "ping", 0), 4);

    char buf[64];
    uint32_t bid = 0;
    CHECK_EQ(recv_from(binder, buf, sizeof buf, &bid, 0), 4);
    CHECK(strcmp(buf, "ping") == 0);
    CHECK(bid != 0);

    /* The binder answers with its own id for the connection. */
    CHECK_EQ(send_to(binder, bid, "pong", 0), 4);
    uint32_t from = 0;
    CHECK_EQ(recv_from(connector, buf, sizeof buf, &from, 0), 4);
    CHECK(strcmp(buf, "pong") == 0);
    CHECK_EQ(from, id);

    /* Several in a row keep their order and their tags. */
    for (int i = 0; i < 10; i++) {
        char text[16];
        snprintf(text, sizeof text, "m%d", i);
        CHECK(send_to(connector, id, text, 0) > 0);
    }
    for (int i = 0; i < 10; i++) {
        char want[16];
        snprintf(want, sizeof want, "m%d", i);
        uint32_t got_id = 0;
        CHECK(recv_from(binder, buf, sizeof buf, &got_id, 0) > 0);
        CHECK(strcmp(buf, want) == 0);
        CHECK_EQ(got_id, bid);
    }

    CHECK_EQ(zmq_close(connector), 0);
    CHECK_EQ(zmq_close(binder), 0);
    term(ctx);
}

/* One PEER connected to two others: each id reaches its own peer only,
 * and replies come back tagged with the id of their connection. */
static void peer_route_by_id(const char *ep1, const char *ep2)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b1 = new_socket(ctx, ZMQ_PEER);
    void *b2 = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    char a1[256], a2[256];
    CHECK_EQ(bind_ep(b1, ep1, a1, sizeof a1), 0);
    CHECK_EQ(bind_ep(b2, ep2, a2, sizeof a2), 0);

    uint32_t id1 = zmq_connect_peer(s, a1);
    uint32_t id2 = zmq_connect_peer(s, a2);
    CHECK(id1 != 0);
    CHECK(id2 != 0);
    CHECK(id1 != id2);

    /* Send to the second first: order of connection must not matter. */
    CHECK_EQ(send_to(s, id2, "to2", 0), 3);
    CHECK_EQ(send_to(s, id1, "to1", 0), 3);

    char buf[64];
    uint32_t bid1 = 0, bid2 = 0;
    CHECK_EQ(recv_from(b1, buf, sizeof buf, &bid1, 0), 3);
    CHECK(strcmp(buf, "to1") == 0);
    CHECK_EQ(recv_from(b2, buf, sizeof buf, &bid2, 0), 3);
    CHECK(strcmp(buf, "to2") == 0);
    check_nothing(b1);
    check_nothing(b2);

    CHECK_EQ(send_to(b1, bid1, "from1", 0), 5);
    CHECK_EQ(send_to(b2, bid2, "from2", 0), 5);
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < 2; i++) {
        uint32_t from = 0;
        CHECK_EQ(recv_from(s, buf, sizeof buf, &from, 0), 5);
        if (strcmp(buf, "from1") == 0) {
            seen1++;
            CHECK_EQ(from, id1);
        } else if (strcmp(buf, "from2") == 0) {
            seen2++;
            CHECK_EQ(from, id2);
        } else {
            CHECK(!"unexpected message");
        }
    }
    CHECK_EQ(seen1, 1);
    CHECK_EQ(seen2, 1);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b1), 0);
    CHECK_EQ(zmq_close(b2), 0);
    term(ctx);
}

/* The id is returned before anything is bound; what is sent to it is
 * delivered once the bind happens (ep must be a concrete address). */
static void peer_connect_before_bind(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = new_socket(ctx, ZMQ_PEER);
    uint32_t id = zmq_connect_peer(s, ep);
    CHECK(id != 0);
    /* Queued, not refused: the socket does not block or fail. */
    CHECK_EQ(send_to(s, id, "early", ZMQ_DONTWAIT), 5);
    CHECK_EQ(send_to(s, id, "early2", ZMQ_DONTWAIT), 6);

    void *b = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_bind(b, ep), 0);
    char buf[64];
    uint32_t bid = 0, bid2 = 0;
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 5);
    CHECK(strcmp(buf, "early") == 0);
    CHECK(bid != 0);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid2, 0), 6);
    CHECK(strcmp(buf, "early2") == 0);
    CHECK_EQ(bid2, bid);

    CHECK_EQ(send_to(b, bid, "late", 0), 4);
    uint32_t from = 0;
    CHECK_EQ(recv_from(s, buf, sizeof buf, &from, 0), 4);
    CHECK(strcmp(buf, "late") == 0);
    CHECK_EQ(from, id);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* Every error of zmq_connect_peer that the transports of this build can
 * produce.  ep is a valid endpoint; bad_eps lists malformed ones. */
static void peer_connect_errors(const char *ep, const char *const *bad_eps,
                                size_t nbad)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);

    /* ENOTSOCK */
    CHECK_ERR(zmq_connect_peer(NULL, ep), 0, ENOTSOCK);

    /* ENOTSUP: every type but PEER, even with a valid endpoint. */
    const int others[] = {ZMQ_PAIR, ZMQ_SERVER, ZMQ_CLIENT};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        void *o = new_socket(ctx, others[i]);
        CHECK_ERR(zmq_connect_peer(o, ep), 0, ENOTSUP);
        CHECK_EQ(zmq_close(o), 0);
    }

    void *s = new_socket(ctx, ZMQ_PEER);

    /* EINVAL: NULL and malformed endpoints. */
    CHECK_ERR(zmq_connect_peer(s, NULL), 0, EINVAL);
    for (size_t i = 0; i < nbad; i++) {
        errno = 0;
        uint32_t id = zmq_connect_peer(s, bad_eps[i]);
        int err = errno;
        if (id != 0 || err != EINVAL) {
            fprintf(stderr, "zmq_connect_peer(\"%s\"): id %u errno %d\n",
                    bad_eps[i], (unsigned)id, err);
            test_failed_ = 1;
        }
    }

    /* EPROTONOSUPPORT: a scheme nobody implements. */
    CHECK_ERR(zmq_connect_peer(s, "bogus://127.0.0.1:5555"), 0,
              EPROTONOSUPPORT);
    CHECK_ERR(zmq_connect_peer(s, "tcpx://127.0.0.1:5555"), 0, EPROTONOSUPPORT);

    /* ENOCOMPATPROTO: the transport refuses the socket type.  No
     * transport of this build restricts socket types; the check comes
     * with the udp transport, which only RADIO, DISH and DGRAM may use:
     *   CHECK_ERR(zmq_connect_peer(s, "udp://127.0.0.1:5555"), 0,
     *             ENOCOMPATPROTO);
     */

    /* EMTHREAD: no I/O thread (a context with ZMQ_IO_THREADS 0).  inproc
     * needs none, so only the other transports fail. */
    if (!tt_is_inproc()) {
        void *ctx0 = zmq_ctx_new();
        REQUIRE(ctx0 != NULL);
        CHECK_EQ(zmq_ctx_set(ctx0, ZMQ_IO_THREADS, 0), 0);
        void *p0 = new_socket(ctx0, ZMQ_PEER);
        CHECK_ERR(zmq_connect_peer(p0, ep), 0, EMTHREAD);
        CHECK_EQ(zmq_close(p0), 0);
        term(ctx0);
    }

    /* EFAULT: ZMQ_IMMEDIATE leaves no connection to name. */
    void *imm = new_socket(ctx, ZMQ_PEER);
    set_int(imm, ZMQ_IMMEDIATE, 1);
    CHECK_ERR(zmq_connect_peer(imm, ep), 0, EFAULT);
    /* Turning it off again makes the call work. */
    set_int(imm, ZMQ_IMMEDIATE, 0);
    CHECK(zmq_connect_peer(imm, ep) != 0);
    CHECK_EQ(zmq_close(imm), 0);

    /* The socket still works after all those failures. */
    uint32_t id = zmq_connect_peer(s, ep);
    CHECK(id != 0);

    /* ETERM once the context is shut down. */
    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    CHECK_ERR(zmq_connect_peer(s, ep), 0, ETERM);
    CHECK_ERR(zmq_connect_peer(s, ep), 0, ETERM);
    CHECK_EQ(zmq_close(s), 0);
    term(ctx);
}

/* Send-side errors of PEER. */
static void peer_send_errors(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    uint32_t id = zmq_connect_peer(s, addr);
    CHECK(id != 0);

    /* An id nobody has: EHOSTUNREACH at once, even when blocking. */
    uint32_t unknown = id + 0x40000000u;
    if (unknown == 0)
        unknown = 1;
    CHECK_ERR(send_to(s, unknown, "x", 0), -1, EHOSTUNREACH);
    CHECK_ERR(send_to(s, unknown, "x", ZMQ_DONTWAIT), -1, EHOSTUNREACH);
    /* No routing id at all. */
    CHECK_ERR(send_to(s, 0, "x", 0), -1, EHOSTUNREACH);
    /* zmq_send cannot carry a routing id either. */
    CHECK_ERR(zmq_send(s, "x", 1, 0), -1, EHOSTUNREACH);

    /* Routing id 0 cannot be set. */
    zmq_msg_t m;
    CHECK_EQ(zmq_msg_init_size(&m, 1), 0);
    CHECK_ERR(zmq_msg_set_routing_id(&m, 0), -1, EINVAL);
    CHECK_EQ(zmq_msg_routing_id(&m), 0);

    /* Single part only: SNDMORE is refused and the message stays ours,
     * unchanged, so it can be sent properly afterwards. */
    memcpy(zmq_msg_data(&m), "A", 1);
    CHECK_EQ(zmq_msg_set_routing_id(&m, id), 0);
    CHECK_ERR(zmq_msg_send(&m, s, ZMQ_SNDMORE), -1, EINVAL);
    CHECK_ERR(zmq_msg_send(&m, s, ZMQ_SNDMORE | ZMQ_DONTWAIT), -1, EINVAL);
    CHECK_EQ(zmq_msg_size(&m), 1);
    CHECK_EQ(zmq_msg_routing_id(&m), id);
    CHECK_EQ(zmq_msg_send(&m, s, 0), 1);
    CHECK_ERR(zmq_send(s, "B", 1, ZMQ_SNDMORE), -1, EINVAL);

    /* Only the one good message arrived. */
    char buf[64];
    uint32_t bid = 0;
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 1);
    CHECK(strcmp(buf, "A") == 0);
    int more = 1;
    size_t len = sizeof more;
    CHECK_EQ(zmq_getsockopt(b, ZMQ_RCVMORE, &more, &len), 0);
    CHECK_EQ(more, 0);
    check_nothing(b);

    /* The bound side has the same rules. */
    CHECK_ERR(send_to(b, bid ^ 0x80000000u, "x", 0), -1, EHOSTUNREACH);
    CHECK_ERR(send_to(b, bid, "x", ZMQ_SNDMORE), -1, EINVAL);
    check_nothing(s);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* zmq_disconnect_peer closes exactly one connection. */
static void peer_disconnect(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    uint32_t id1 = zmq_connect_peer(s, addr);
    uint32_t id2 = zmq_connect_peer(s, addr);
    CHECK(id1 != 0);
    CHECK(id2 != 0);
    CHECK(id1 != id2);

    /* Learn the binder's ids for both connections. */
    char buf[64];
    uint32_t bid1 = 0, bid2 = 0;
    CHECK_EQ(send_to(s, id1, "one", 0), 3);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid1, 0), 3);
    CHECK(strcmp(buf, "one") == 0);
    CHECK_EQ(send_to(s, id2, "two", 0), 3);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid2, 0), 3);
    CHECK(strcmp(buf, "two") == 0);
    CHECK(bid1 != bid2);

    /* What was sent before the disconnect is still delivered (LINGER
     * is -1 by default). */
    CHECK_EQ(send_to(s, id1, "last", 0), 4);
    CHECK_EQ(zmq_disconnect_peer(s, id1), 0);
    uint32_t from = 0;
    CHECK_EQ(recv_from(b, buf, sizeof buf, &from, 0), 4);
    CHECK(strcmp(buf, "last") == 0);
    CHECK_EQ(from, bid1);

    /* Once the close is processed the id is unknown on both sides. */
    CHECK(send_until_unreachable(s, b, id1));
    CHECK(send_until_unreachable(b, s, bid1));
    CHECK_ERR(zmq_disconnect_peer(s, id1), -1, EHOSTUNREACH);
    check_nothing(s);
    check_nothing(b);

    /* The other connection is untouched, both ways. */
    CHECK_EQ(send_to(s, id2, "still", 0), 5);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &from, 0), 5);
    CHECK(strcmp(buf, "still") == 0);
    CHECK_EQ(from, bid2);
    CHECK_EQ(send_to(b, bid2, "back", 0), 4);
    CHECK_EQ(recv_from(s, buf, sizeof buf, &from, 0), 4);
    CHECK(strcmp(buf, "back") == 0);
    CHECK_EQ(from, id2);

    /* A new connection gets a new id, different from the closed one. */
    uint32_t id3 = zmq_connect_peer(s, addr);
    CHECK(id3 != 0);
    CHECK(id3 != id1);
    CHECK(id3 != id2);
    CHECK_EQ(send_to(s, id3, "three", 0), 5);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &from, 0), 5);
    CHECK(strcmp(buf, "three") == 0);
    CHECK(from != bid1);
    CHECK(from != bid2);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* A PEER can end a connection the other side made, too: the bound side
 * disconnects, the connector's id becomes unknown. */
static void peer_disconnect_from_binder(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    void *mon = tt_monitor(ctx, s);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    uint32_t id = zmq_connect_peer(s, addr);
    CHECK(id != 0);
    char buf[64];
    uint32_t bid = 0;
    CHECK_EQ(send_to(s, id, "hi", 0), 2);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 2);
    CHECK(tt_await_handshakes(mon, 1, TIMEOUT_MS));

    CHECK_EQ(zmq_disconnect_peer(b, bid), 0);
    CHECK(send_until_unreachable(b, s, bid));
    if (tt_is_inproc()) {
        CHECK(send_until_unreachable(s, b, id));
    } else {
        /* Over tcp and ipc the call closes the connection
         * (zmq_disconnect_peer(3)), so the connecting side sees it
         * closed and reconnects, as libzmq's sessions do: its id stays,
         * and the binder hears it again on a new connection, new id. */
        CHECK(tt_await_handshakes(mon, 1, TIMEOUT_MS));
        uint32_t bid2 = 0;
        CHECK_EQ(send_to(s, id, "again", 0), 5);
        CHECK_EQ(recv_from(b, buf, sizeof buf, &bid2, 0), 5);
        CHECK(strcmp(buf, "again") == 0);
        CHECK(bid2 != 0 && bid2 != bid);
    }
    CHECK_ERR(zmq_disconnect_peer(b, bid), -1, EHOSTUNREACH);

    tt_monitor_stop(s, mon);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

static void peer_disconnect_errors(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    CHECK_ERR(zmq_disconnect_peer(NULL, 1), -1, ENOTSOCK);

    void *b = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);

    /* Unknown ids, before and after a connection exists. */
    CHECK_ERR(zmq_disconnect_peer(s, 1), -1, EHOSTUNREACH);
    CHECK_ERR(zmq_disconnect_peer(s, 0), -1, EHOSTUNREACH);
    uint32_t id = zmq_connect_peer(s, addr);
    CHECK(id != 0);
    CHECK_ERR(zmq_disconnect_peer(s, id + 1), -1, EHOSTUNREACH);
    CHECK_ERR(zmq_disconnect_peer(s, 0), -1, EHOSTUNREACH);

    /* Other socket types. */
    const int others[] = {ZMQ_PAIR, ZMQ_SERVER, ZMQ_CLIENT};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        void *o = new_socket(ctx, others[i]);
        CHECK_ERR(zmq_disconnect_peer(o, id), -1, ENOTSUP);
        CHECK_EQ(zmq_close(o), 0);
    }

    /* The failures did not touch the real connection. */
    CHECK_EQ(send_to(s, id, "ok", 0), 2);
    char buf[64];
    CHECK_EQ(recv_from(b, buf, sizeof buf, NULL, 0), 2);
    CHECK(strcmp(buf, "ok") == 0);
    CHECK_EQ(zmq_disconnect_peer(s, id), 0);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* ZMQ_HELLO_MSG on the connecting PEER: the bound side receives it
 * first, tagged like the connection's later messages.  Each new
 * connection gets its own. */
static void peer_hello_msg(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_setsockopt(s, ZMQ_HELLO_MSG, "hello", 5), 0);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);

    uint32_t ids[2];
    uint32_t bids[2];
    for (int i = 0; i < 2; i++) {
        ids[i] = zmq_connect_peer(s, addr);
        CHECK(ids[i] != 0);
        CHECK_EQ(send_to(s, ids[i], "data", 0), 4);
        char buf[64];
        uint32_t bid = 0, bid_data = 0;
        CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 5);
        CHECK(strcmp(buf, "hello") == 0);
        CHECK(bid != 0);
        CHECK_EQ(recv_from(b, buf, sizeof buf, &bid_data, 0), 4);
        CHECK(strcmp(buf, "data") == 0);
        CHECK_EQ(bid_data, bid);
        bids[i] = bid;
        /* The binder set no hello: the connector gets nothing. */
        check_nothing(s);
    }
    CHECK(bids[0] != bids[1]);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* The hello also goes out when the connect came before the bind. */
static void peer_hello_before_bind(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_setsockopt(s, ZMQ_HELLO_MSG, "hi", 2), 0);
    uint32_t id = zmq_connect_peer(s, ep);
    CHECK(id != 0);
    CHECK_EQ(send_to(s, id, "data", 0), 4);
    void *b = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_bind(b, ep), 0);
    char buf[64];
    uint32_t bid = 0, bid2 = 0;
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 2);
    CHECK(strcmp(buf, "hi") == 0);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid2, 0), 4);
    CHECK(strcmp(buf, "data") == 0);
    CHECK_EQ(bid2, bid);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* ZMQ_DISCONNECT_MSG on the bound PEER: when a connecting peer closes
 * its socket, the bound side receives the notice tagged with its own id
 * for that connection. */
static void peer_disconnect_msg_on_close(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_setsockopt(b, ZMQ_DISCONNECT_MSG, "gone", 4), 0);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    void *s1 = new_socket(ctx, ZMQ_PEER);
    void *s2 = new_socket(ctx, ZMQ_PEER);
    uint32_t id1 = zmq_connect_peer(s1, addr);
    uint32_t id2 = zmq_connect_peer(s2, addr);
    CHECK(id1 != 0);
    CHECK(id2 != 0);

    char buf[64];
    uint32_t bid1 = 0, bid2 = 0;
    CHECK_EQ(send_to(s1, id1, "s1", 0), 2);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid1, 0), 2);
    CHECK(strcmp(buf, "s1") == 0);
    CHECK_EQ(send_to(s2, id2, "s2", 0), 2);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid2, 0), 2);
    CHECK(strcmp(buf, "s2") == 0);

    /* The closed socket's connection is finished by the library alone,
     * so a plain blocking receive is enough. */
    CHECK_EQ(zmq_close(s1), 0);
    uint32_t from = 0;
    CHECK_EQ(recv_from(b, buf, sizeof buf, &from, 0), 4);
    CHECK(strcmp(buf, "gone") == 0);
    CHECK_EQ(from, bid1);
    CHECK_ERR(send_to(b, bid1, "x", 0), -1, EHOSTUNREACH);

    /* The other connection is still there and got no notice. */
    check_nothing(s2);
    CHECK_EQ(send_to(b, bid2, "alive", 0), 5);
    CHECK_EQ(recv_from(s2, buf, sizeof buf, &from, 0), 5);
    CHECK_EQ(from, id2);

    CHECK_EQ(zmq_close(s2), 0);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &from, 0), 4);
    CHECK(strcmp(buf, "gone") == 0);
    CHECK_EQ(from, bid2);
    check_nothing(b);

    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* ZMQ_HICCUP_MSG on connecting PEER and DEALER sockets: when a
 * connection they made and completed breaks (the bound socket closes),
 * they receive the message from themselves, the PEER tagged with that
 * connection's id.  inproc has no connection to break: nothing comes. */
static void peer_hiccup_msg(const char *ep, const char *ep2)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    void *s = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_setsockopt(s, ZMQ_HICCUP_MSG, "hiccup", 6), 0);
    uint32_t id = zmq_connect_peer(s, addr);
    CHECK(id != 0);
    char buf[64];
    uint32_t bid = 0, from = 0;
    CHECK_EQ(send_to(s, id, "ping", 0), 4);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 4);
    CHECK_EQ(send_to(b, bid, "pong", 0), 4);
    CHECK_EQ(recv_from(s, buf, sizeof buf, &from, 0), 4);

    /* A DEALER with the option, connected to a ROUTER. */
    void *router = new_socket(ctx, ZMQ_ROUTER);
    char raddr[256];
    CHECK_EQ(bind_ep(router, ep2, raddr, sizeof raddr), 0);
    void *dealer = new_socket(ctx, ZMQ_DEALER);
    CHECK_EQ(zmq_setsockopt(dealer, ZMQ_HICCUP_MSG, "oops", 4), 0);
    CHECK_EQ(zmq_connect(dealer, raddr), 0);
    CHECK_EQ(zmq_send(dealer, "hi", 2, 0), 2);
    char rid[64];
    int rid_len = zmq_recv(router, rid, sizeof rid, 0);
    CHECK(rid_len > 0);
    CHECK_EQ(zmq_recv(router, buf, sizeof buf, 0), 2);

    CHECK_EQ(zmq_close(b), 0);
    CHECK_EQ(zmq_close(router), 0);
    if (tt_is_inproc()) {
        check_nothing(s);
        check_nothing(dealer);
    } else {
        CHECK_EQ(recv_from(s, buf, sizeof buf, &from, 0), 6);
        CHECK(memcmp(buf, "hiccup", 6) == 0);
        CHECK_EQ(from, id);
        CHECK_EQ(zmq_recv(dealer, buf, sizeof buf, 0), 4);
        CHECK(memcmp(buf, "oops", 4) == 0);
        /* Once per break: the reconnection attempts that fail (every
         * 100 ms) bring no more. */
        zmq_pollitem_t items[2] = {{s, 0, ZMQ_POLLIN, 0},
                                   {dealer, 0, ZMQ_POLLIN, 0}};
        CHECK_EQ(zmq_poll(items, 2, 350), 0);
    }
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(dealer), 0);
    term(ctx);
}

/* Same when the connecting side ends the connection with
 * zmq_disconnect_peer; no notice when the bound side ends it itself. */
static void peer_disconnect_msg_on_disconnect(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_setsockopt(b, ZMQ_DISCONNECT_MSG, "bye", 3), 0);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    void *s = new_socket(ctx, ZMQ_PEER);
    void *mon = tt_monitor(ctx, s);
    uint32_t id1 = zmq_connect_peer(s, addr);
    uint32_t id2 = zmq_connect_peer(s, addr);
    CHECK(id1 != 0);
    CHECK(id2 != 0);
    CHECK(tt_await_handshakes(mon, 2, TIMEOUT_MS));

    char buf[64];
    uint32_t bid1 = 0, bid2 = 0;
    CHECK_EQ(send_to(s, id1, "c1", 0), 2);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid1, 0), 2);
    CHECK_EQ(send_to(s, id2, "c2", 0), 2);
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid2, 0), 2);

    CHECK_EQ(zmq_disconnect_peer(s, id1), 0);
    uint32_t from = 0;
    CHECK_EQ(recv_driving(b, s, buf, sizeof buf, &from), 3);
    CHECK(strcmp(buf, "bye") == 0);
    CHECK_EQ(from, bid1);

    /* The bound side ends the second connection: no notice for that. */
    CHECK_EQ(zmq_disconnect_peer(b, bid2), 0);
    CHECK(send_until_unreachable(b, s, bid2));
    if (tt_is_inproc()) {
        CHECK(send_until_unreachable(s, b, id2));
        check_nothing(b);
    } else {
        /* Over tcp and ipc the connection is closed, so the connecting
         * side reconnects (as libzmq's sessions do): what the binder
         * hears next is its message, not a notice. */
        CHECK(tt_await_handshakes(mon, 1, TIMEOUT_MS));
        CHECK_EQ(send_to(s, id2, "again", 0), 5);
        uint32_t bid3 = 0;
        CHECK_EQ(recv_from(b, buf, sizeof buf, &bid3, 0), 5);
        CHECK(strcmp(buf, "again") == 0);
        CHECK(bid3 != bid1 && bid3 != bid2);
        check_nothing(b);
    }

    tt_monitor_stop(s, mon);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* Incoming messages of several parts are dropped whole by a PEER.  Only
 * PEER, SERVER and CLIENT speak to a PEER, and all three refuse
 * SNDMORE; inproc does not check socket types, so a PAIR can write
 * one.  (Over tcp the ZMTP handshake refuses PAIR to PEER, so this body
 * is for inproc only.) */
static void peer_drops_multipart_inproc(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_bind(b, ep), 0);
    void *p = new_socket(ctx, ZMQ_PAIR);
    CHECK_EQ(zmq_connect(p, ep), 0);
    CHECK_EQ(zmq_send(p, "a", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ(zmq_send(p, "b", 1, 0), 1);
    CHECK_EQ(zmq_send(p, "c", 1, 0), 1);
    CHECK_EQ(zmq_send(p, "d", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ(zmq_send(p, "e", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ(zmq_send(p, "f", 1, 0), 1);
    CHECK_EQ(zmq_send(p, "g", 1, 0), 1);

    char buf[64];
    uint32_t bid = 0;
    CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 1);
    CHECK(strcmp(buf, "c") == 0);
    CHECK(bid != 0);
    CHECK_EQ(recv_from(b, buf, sizeof buf, NULL, 0), 1);
    CHECK(strcmp(buf, "g") == 0);
    check_nothing(b);

    /* The reply path works for that connection too. */
    CHECK_EQ(send_to(b, bid, "r", 0), 1);
    CHECK_EQ(zmq_recv(p, buf, sizeof buf, 0), 1);
    CHECK(buf[0] == 'r');

    CHECK_EQ(zmq_close(p), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* The same over tcp and ipc: a raw ZMTP peer that says it is a PEER
 * sends multipart messages, which the PEER drops whole. */
static void peer_drops_multipart_wire(const char *ep)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);
    int fd = tt_zmtp_connect(addr, "PEER");
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK_EQ(tt_zmtp_send(fd, "a", 1, true), 0);
        CHECK_EQ(tt_zmtp_send(fd, "b", 1, false), 0);
        CHECK_EQ(tt_zmtp_send(fd, "c", 1, false), 0);
        CHECK_EQ(tt_zmtp_send(fd, "d", 1, true), 0);
        CHECK_EQ(tt_zmtp_send(fd, "e", 1, true), 0);
        CHECK_EQ(tt_zmtp_send(fd, "f", 1, false), 0);
        CHECK_EQ(tt_zmtp_send(fd, "g", 1, false), 0);

        char buf[64];
        uint32_t bid = 0;
        CHECK_EQ(recv_from(b, buf, sizeof buf, &bid, 0), 1);
        CHECK(strcmp(buf, "c") == 0);
        CHECK(bid != 0);
        CHECK_EQ(recv_from(b, buf, sizeof buf, NULL, 0), 1);
        CHECK(strcmp(buf, "g") == 0);
        check_nothing(b);

        /* The reply path works for that connection too. */
        CHECK_EQ(send_to(b, bid, "r", 0), 1);
        bool more = true;
        CHECK_EQ(tt_zmtp_recv(fd, buf, sizeof buf, &more), 1);
        CHECK(buf[0] == 'r' && !more);
        close(fd);
    }
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* 1000 connections from one socket get 1000 different non-zero ids,
 * and each id reaches its own connection.  Over tcp and ipc each
 * connection costs two descriptors in this process, so 200 there. */
static void peer_unique_ids(const char *ep)
{
    enum { MAX_N = 1000 };
    const int N = tt_is_inproc() ? MAX_N : 200;
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *b = new_socket(ctx, ZMQ_PEER);
    void *s = new_socket(ctx, ZMQ_PEER);
    char addr[256];
    CHECK_EQ(bind_ep(b, ep, addr, sizeof addr), 0);

    uint32_t *ids = calloc(MAX_N, sizeof *ids);
    uint32_t *sorted = calloc(MAX_N, sizeof *sorted);
    uint32_t *bids = calloc(MAX_N, sizeof *bids);
    REQUIRE(ids != NULL && sorted != NULL && bids != NULL);
    int zero = 0;
    for (int i = 0; i < N; i++) {
        ids[i] = zmq_connect_peer(s, addr);
        if (ids[i] == 0)
            zero++;
    }
    CHECK_EQ(zero, 0);
    memcpy(sorted, ids, N * sizeof *ids);
    qsort(sorted, N, sizeof *sorted, cmp_u32);
    int dups = 0;
    for (int i = 1; i < N; i++)
        if (sorted[i] == sorted[i - 1])
            dups++;
    CHECK_EQ(dups, 0);

    /* Each id names its own connection: the binder sees N different
     * ids, and message i comes from the connection made by call i. */
    for (int i = 0; i < N; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        CHECK(send_to(s, ids[i], text, 0) > 0);
    }
    int bad = 0;
    for (int i = 0; i < N; i++) {
        char buf[64];
        uint32_t bid = 0;
        if (recv_from(b, buf, sizeof buf, &bid, 0) < 0) {
            bad++;
            break;
        }
        int k = atoi(buf);
        if (k < 0 || k >= N || bids[k] != 0 || bid == 0)
            bad++;
        else
            bids[k] = bid;
    }
    CHECK_EQ(bad, 0);
    qsort(bids, N, sizeof *bids, cmp_u32);
    dups = 0;
    for (int i = 1; i < N; i++)
        if (bids[i] == bids[i - 1])
            dups++;
    CHECK_EQ(dups, 0);

    free(ids);
    free(sorted);
    free(bids);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(b), 0);
    term(ctx);
}

/* ------------------------------------------------------------------------ */
/* Runs over the transport the program was started for                      */
/* ------------------------------------------------------------------------ */

/* The endpoint to bind for the place `name`, in buffer `slot` of two. */
static const char *ep_for(int slot, const char *name)
{
    static char eps[2][256];
    tt_bind_ep(name, eps[slot], sizeof eps[slot]);
    return eps[slot];
}

/* A concrete endpoint (over tcp an explicit free port), for bodies that
 * connect before they bind or connect to nothing at all. */
static const char *fixed_ep(const char *name)
{
    static char ep[256];
    if (tt_fixed_ep(name, ep, sizeof ep) != 0) {
        fprintf(stderr, "no endpoint for %s\n", name);
        test_failed_ = 1;
    }
    return ep;
}

static void test_roundtrip(void)
{
    peer_roundtrip(ep_for(0, "peer-roundtrip"));
}

static void test_route_by_id(void)
{
    peer_route_by_id(ep_for(0, "peer-route-1"), ep_for(1, "peer-route-2"));
}

static void test_connect_before_bind(void)
{
    peer_connect_before_bind(fixed_ep("peer-early"));
}

static void test_connect_peer_errors(void)
{
    static const char *const bad_inproc[] = {
        "inproc",    /* no scheme separator */
        "inproc:/x", /* half a separator */
        "://x",      /* no scheme */
        "inproc://", /* empty name */
        "",          /* nothing */
    };
    static const char *const bad_tcp[] = {
        "tcp",               /* no scheme separator */
        "tcp:/x",            /* half a separator */
        "://x",              /* no scheme */
        "tcp://",            /* no address */
        "tcp://127.0.0.1",   /* no port */
        "tcp://127.0.0.1:",  /* empty port */
        "tcp://127.0.0.1:x", /* a port that is no number */
        "",                  /* nothing */
    };
    static const char *const bad_ipc[] = {
        "ipc",    /* no scheme separator */
        "ipc:/x", /* half a separator */
        "://x",   /* no scheme */
        "ipc://", /* empty path */
        "",       /* nothing */
    };
    switch (tt_transport_) {
    case TT_INPROC:
        peer_connect_errors(fixed_ep("peer-errors"), bad_inproc,
                            sizeof bad_inproc / sizeof bad_inproc[0]);
        break;
    case TT_TCP:
        peer_connect_errors(fixed_ep("peer-errors"), bad_tcp,
                            sizeof bad_tcp / sizeof bad_tcp[0]);
        break;
    case TT_IPC:
        peer_connect_errors(fixed_ep("peer-errors"), bad_ipc,
                            sizeof bad_ipc / sizeof bad_ipc[0]);
        break;
    }
}

static void test_send_errors(void)
{
    peer_send_errors(ep_for(0, "peer-send-errors"));
}

static void test_disconnect_peer(void)
{
    peer_disconnect(ep_for(0, "peer-disconnect"));
}

static void test_disconnect_from_binder(void)
{
    peer_disconnect_from_binder(ep_for(0, "peer-disconnect-binder"));
}

static void test_disconnect_peer_errors(void)
{
    peer_disconnect_errors(ep_for(0, "peer-disconnect-errors"));
}

static void test_hello_msg(void)
{
    peer_hello_msg(ep_for(0, "peer-hello"));
}

static void test_hello_before_bind(void)
{
    peer_hello_before_bind(fixed_ep("peer-hello-early"));
}

static void test_disconnect_msg_on_close(void)
{
    peer_disconnect_msg_on_close(ep_for(0, "peer-dmsg-close"));
}

static void test_disconnect_msg_on_disconnect(void)
{
    peer_disconnect_msg_on_disconnect(ep_for(0, "peer-dmsg-disconnect"));
}

static void test_hiccup_msg(void)
{
    peer_hiccup_msg(ep_for(0, "peer-hiccup"), ep_for(1, "peer-hiccup-2"));
}

static void test_drops_multipart(void)
{
    if (tt_is_inproc())
        peer_drops_multipart_inproc(ep_for(0, "peer-multipart"));
    else
        peer_drops_multipart_wire(ep_for(0, "peer-multipart"));
}

static void test_unique_ids(void)
{
    peer_unique_ids(ep_for(0, "peer-unique"));
}

TEST_MAIN(TEST(test_roundtrip), TEST(test_route_by_id),
          TEST(test_connect_before_bind), TEST(test_connect_peer_errors),
          TEST(test_send_errors), TEST(test_disconnect_peer),
          TEST(test_disconnect_from_binder), TEST(test_disconnect_peer_errors),
          TEST(test_hello_msg), TEST(test_hello_before_bind),
          TEST(test_disconnect_msg_on_close),
          TEST(test_disconnect_msg_on_disconnect), TEST(test_hiccup_msg),
          TEST(test_drops_multipart), TEST(test_unique_ids))
