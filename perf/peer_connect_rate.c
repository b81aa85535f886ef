/* SPDX-License-Identifier: MPL-2.0 */
/*
 * peer_connect_rate <endpoint-base> <count> [peer|router]
 *
 * How many new connections per second one socket can open and use.  A
 * server thread binds to <endpoint-base> (a tcp port may be "*", e.g.
 * tcp://127.0.0.1:*; for ipc give a socket path) and echoes every
 * message to its sender.  The main thread then, <count> times: opens a
 * new connection to the server, sends one message over it at once and
 * waits for the echo.  It prints the count and the rate of these
 * connect + first round trip sequences.  Connections stay open to the
 * end (two descriptors each, in this one process; the program raises
 * RLIMIT_NOFILE as far as it may).
 *
 * Modes:
 *   peer    PEER sockets: zmq_connect_peer returns the new connection's
 *           routing id, the message is sent to it (draft API).
 *   router  ROUTER sockets, the nearest equivalent in the stable API:
 *           ZMQ_CONNECT_ROUTING_ID names each connection before
 *           zmq_connect, messages are [routing id][payload].
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
#define PERF_WANT_FD_LIMIT
#include "perf_util.h"

#define USAGE "<endpoint-base> <count> [peer|router]"

struct server {
    void *socket;
    long count;
    int router;
};

/* Echoes `count` messages (or [id][payload] pairs) back to their sender. */
static void *echo_all(void *arg)
{
    struct server *w = arg;
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (long i = 0; i < w->count; i++) {
        if (w->router) {
            /* The id frame and the payload go back as they came. */
            for (int part = 0; part < 2; part++) {
                if (zmq_msg_recv(&m, w->socket, 0) < 0)
                    perf_fail("zmq_msg_recv (server)");
                int more = zmq_msg_more(&m);
                if (more != (part == 0))
                    perf_die("server: expected [routing id][payload]");
                if (zmq_msg_send(&m, w->socket, more ? ZMQ_SNDMORE : 0) < 0)
                    perf_fail("zmq_msg_send (server)");
            }
        } else {
            /* A PEER message keeps its sender's routing id, so sending
             * it again returns it to the sender. */
            if (zmq_msg_recv(&m, w->socket, 0) < 0)
                perf_fail("zmq_msg_recv (server)");
            if (zmq_msg_send(&m, w->socket, 0) < 0)
                perf_fail("zmq_msg_send (server)");
        }
    }
    zmq_msg_close(&m);
    return NULL;
}

/* Connects once more, sends one message over the new connection and
 * waits for the echo. */
static void connect_and_ping(void *s, const char *endpoint, int router, long n,
                             zmq_msg_t *m)
{
    if (router) {
        unsigned char id[5] = {'c', (unsigned char)(n >> 24),
                               (unsigned char)(n >> 16),
                               (unsigned char)(n >> 8), (unsigned char)n};
        if (zmq_setsockopt(s, ZMQ_CONNECT_ROUTING_ID, id, sizeof id) < 0)
            perf_fail("zmq_setsockopt CONNECT_ROUTING_ID");
        perf_connect(s, endpoint);
        if (zmq_send(s, id, sizeof id, ZMQ_SNDMORE) < 0 ||
            zmq_send(s, "ping", 4, 0) < 0)
            perf_fail("zmq_send");
        if (zmq_msg_recv(m, s, 0) < 0)
            perf_fail("zmq_msg_recv");
        if (zmq_msg_size(m) != sizeof id ||
            memcmp(zmq_msg_data(m), id, sizeof id) != 0 || !zmq_msg_more(m))
            perf_die("reply from the wrong connection");
        perf_recv(s, m, 4);
        return;
    }
#ifdef ZMQ_PEER
    uint32_t to = zmq_connect_peer(s, endpoint);
    if (to == 0)
        perf_fail("zmq_connect_peer");
    zmq_msg_t out;
    if (zmq_msg_init_size(&out, 4) < 0)
        perf_fail("zmq_msg_init_size");
    memcpy(zmq_msg_data(&out), "ping", 4);
    if (zmq_msg_set_routing_id(&out, to) < 0)
        perf_fail("zmq_msg_set_routing_id");
    if (zmq_msg_send(&out, s, 0) < 0)
        perf_fail("zmq_msg_send");
    perf_recv(s, m, 4);
    if (zmq_msg_routing_id(m) != to)
        perf_die("reply from routing id %u, expected %u", zmq_msg_routing_id(m),
                 to);
#endif
}

int main(int argc, char **argv)
{
    perf_prog = "peer_connect_rate";
    if (argc != 3 && argc != 4)
        perf_usage(USAGE);
    long count = perf_arg(argv[2], "count", 1, 1000000);
    int router =
        perf_router_mode(argc == 4 ? argv[3] : NULL, USAGE, "ROUTER -> ROUTER");

    long need = 2 * count + 64;
    long limit = perf_raise_fd_limit(need);
    if (limit < need)
        perf_die("RLIMIT_NOFILE hard limit is %ld, %ld connections need %ld "
                 "descriptors; use a smaller count or raise the limit",
                 limit, count, need);

    int type = ZMQ_ROUTER;
#ifdef ZMQ_PEER
    if (!router)
        type = ZMQ_PEER;
#endif
    void *ctx = perf_ctx();
    void *server = perf_socket(ctx, type);
    void *client = perf_socket(ctx, type);
    if (router)
        perf_setint(client, ZMQ_ROUTER_MANDATORY, 1,
                    "zmq_setsockopt ROUTER_MANDATORY");
    perf_bind(server, argv[1]);
    char endpoint[256];
    perf_last_endpoint(server, endpoint, sizeof endpoint);

    struct server w = {server, count, router};
    pthread_t thread;
    if (pthread_create(&thread, NULL, echo_all, &w) != 0)
        perf_die("pthread_create failed");

    zmq_msg_t m;
    zmq_msg_init(&m);
    double start = perf_now_us();
    for (long i = 0; i < count; i++)
        connect_and_ping(client, endpoint, router, i + 1, &m);
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);
    pthread_join(thread, NULL);

    printf("sockets: %s\n", router ? "ROUTER -> ROUTER" : "PEER -> PEER");
    printf("connects: %ld\n", count);
    printf("rate: %.1f [connect+roundtrip/s]\n",
           (double)count * 1e6 / (elapsed < 1 ? 1 : elapsed));

    perf_setint(client, ZMQ_LINGER, 0, "zmq_setsockopt LINGER");
    perf_setint(server, ZMQ_LINGER, 0, "zmq_setsockopt LINGER");
    if (zmq_close(client) < 0 || zmq_close(server) < 0)
        perf_fail("zmq_close");
    perf_term(ctx);
    return 0;
}
