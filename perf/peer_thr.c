/* SPDX-License-Identifier: MPL-2.0 */
/*
 * peer_thr <bind-endpoint> <message-size> <message-count> [peer|router]
 *
 * Throughput of routed messages, both ends in one process (two threads,
 * one context).  The main thread binds a receiving socket to
 * <bind-endpoint> (a tcp port may be "*"); a sender thread connects to
 * the endpoint the receiver reports and sends <message-count> messages.
 * The receiver checks the sender's routing id on every message, times
 * them as local_thr does (the clock starts at the first message) and
 * prints local_thr's lines after a "sockets:" line.
 *
 * Modes:
 *   peer    PEER -> PEER: the sender gets the receiver's id from
 *           zmq_connect_peer and sets it on every message (draft API).
 *   router  DEALER -> ROUTER, the nearest equivalent in the stable API:
 *           every message arrives as [routing id][payload].
 *
 * peer is the default.  Built with -DPERF_NO_DRAFT_API (for a libzmq
 * without the draft API) only router exists, and is the default.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef PERF_NO_DRAFT_API
#define ZMQ_BUILD_DRAFT_API 1
#endif
#include <pthread.h>
#include <stdint.h>
#include "perf_util.h"

#define USAGE "<bind-endpoint> <message-size> <message-count> [peer|router]"

struct sender {
    void *ctx;
    const char *endpoint;
    long size, count;
    int router;
};

static void *send_all(void *arg)
{
    struct sender *w = arg;
    void *s;
    if (w->router) {
        s = perf_socket(w->ctx, ZMQ_DEALER);
        perf_connect(s, w->endpoint);
        for (long i = 0; i < w->count; i++)
            perf_send(s, (size_t)w->size, 0);
    } else {
#ifdef ZMQ_PEER
        s = perf_socket(w->ctx, ZMQ_PEER);
        uint32_t to = zmq_connect_peer(s, w->endpoint);
        if (to == 0)
            perf_fail("zmq_connect_peer");
        for (long i = 0; i < w->count; i++) {
            zmq_msg_t m;
            if (zmq_msg_init_size(&m, (size_t)w->size) < 0)
                perf_fail("zmq_msg_init_size");
            if (zmq_msg_set_routing_id(&m, to) < 0)
                perf_fail("zmq_msg_set_routing_id");
            if (zmq_msg_send(&m, s, 0) < 0)
                perf_fail("zmq_msg_send");
        }
#else
        return NULL;
#endif
    }
    perf_close(s);
    return NULL;
}

#ifdef ZMQ_PEER
/* Receives one PEER message and checks its size and sender. */
static void recv_peer(void *s, zmq_msg_t *m, size_t size, uint32_t *from)
{
    perf_recv(s, m, size);
    uint32_t id = zmq_msg_routing_id(m);
    if (id == 0)
        perf_die("message without a routing id");
    if (*from == 0)
        *from = id;
    else if (id != *from)
        perf_die("routing id changed from %u to %u", *from, id);
}
#endif

/* Receives [routing id][payload] from a ROUTER and checks both. */
static void recv_router(void *s, zmq_msg_t *id, zmq_msg_t *m, size_t size,
                        unsigned char *from, size_t *from_size)
{
    if (zmq_msg_recv(id, s, 0) < 0)
        perf_fail("zmq_msg_recv");
    if (!zmq_msg_more(id))
        perf_die("ROUTER message without a routing id frame");
    size_t n = zmq_msg_size(id);
    if (*from_size == 0) {
        if (n == 0 || n > 255)
            perf_die("routing id of %zu bytes", n);
        memcpy(from, zmq_msg_data(id), n);
        *from_size = n;
    } else if (n != *from_size || memcmp(from, zmq_msg_data(id), n) != 0) {
        perf_die("routing id changed");
    }
    perf_recv(s, m, size);
}

int main(int argc, char **argv)
{
    perf_prog = "peer_thr";
    if (argc != 4 && argc != 5)
        perf_usage(USAGE);
    long size = perf_arg(argv[2], "message-size", 0, 1L << 30);
    long count = perf_arg(argv[3], "message-count", 1, 1L << 40);
    int router =
        perf_router_mode(argc == 5 ? argv[4] : NULL, USAGE, "DEALER -> ROUTER");

    void *ctx = perf_ctx();
    void *s = NULL;
#ifdef ZMQ_PEER
    if (!router)
        s = perf_socket(ctx, ZMQ_PEER);
#endif
    if (router)
        s = perf_socket(ctx, ZMQ_ROUTER);
    perf_bind(s, argv[1]);
    char endpoint[256];
    perf_last_endpoint(s, endpoint, sizeof endpoint);

    struct sender w = {ctx, endpoint, size, count, router};
    pthread_t thread;
    if (pthread_create(&thread, NULL, send_all, &w) != 0)
        perf_die("pthread_create failed");

    zmq_msg_t m, id;
    zmq_msg_init(&m);
    zmq_msg_init(&id);
    unsigned char from[256];
    size_t from_size = 0;
    double start = 0;
    if (router) {
        for (long i = 0; i < count; i++) {
            recv_router(s, &id, &m, (size_t)size, from, &from_size);
            if (i == 0)
                start = perf_now_us();
        }
    } else {
#ifdef ZMQ_PEER
        uint32_t peer = 0;
        for (long i = 0; i < count; i++) {
            recv_peer(s, &m, (size_t)size, &peer);
            if (i == 0)
                start = perf_now_us();
        }
#endif
    }
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);
    zmq_msg_close(&id);
    pthread_join(thread, NULL);

    printf("sockets: %s\n", router ? "DEALER -> ROUTER" : "PEER -> PEER");
    perf_print_thr(size, count, elapsed);

    perf_close(s);
    perf_term(ctx);
    return 0;
}
