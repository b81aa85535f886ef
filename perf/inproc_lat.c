/* SPDX-License-Identifier: MPL-2.0 */
/*
 * inproc_lat <message-size> <roundtrip-count>
 *
 * Latency between two threads of one process over inproc: the main
 * thread's REQ socket sends <roundtrip-count> requests to a worker
 * thread's REP socket, which echoes them, and prints the average one-way
 * latency (half the mean round trip) in remote_lat's format.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "perf_util.h"

#define ENDPOINT "inproc://inproc_lat"

struct echo {
    void *socket;
    long size, roundtrips;
};

static void *echo_all(void *arg)
{
    struct echo *w = arg;
    zmq_msg_t m;
    zmq_msg_init(&m);
    for (long i = 0; i < w->roundtrips; i++) {
        perf_recv(w->socket, &m, (size_t)w->size);
        if (zmq_msg_send(&m, w->socket, 0) < 0)
            perf_fail("zmq_msg_send (echo)");
    }
    zmq_msg_close(&m);
    return NULL;
}

int main(int argc, char **argv)
{
    perf_prog = "inproc_lat";
    if (argc != 3)
        perf_usage("<message-size> <roundtrip-count>");
    long size = perf_arg(argv[1], "message-size", 0, 1L << 30);
    long roundtrips = perf_arg(argv[2], "roundtrip-count", 1, 1L << 40);

    void *ctx = perf_ctx();
    void *rep = perf_socket(ctx, ZMQ_REP);
    perf_bind(rep, ENDPOINT);
    void *req = perf_socket(ctx, ZMQ_REQ);
    perf_connect(req, ENDPOINT);

    /* The REP socket moves to the worker; pthread_create orders the
     * hand-over. */
    struct echo w = {rep, size, roundtrips};
    pthread_t thread;
    if (pthread_create(&thread, NULL, echo_all, &w) != 0)
        perf_die("pthread_create failed");

    zmq_msg_t m;
    if (zmq_msg_init_size(&m, (size_t)size) < 0)
        perf_fail("zmq_msg_init_size");
    double start = perf_now_us();
    for (long i = 0; i < roundtrips; i++) {
        if (zmq_msg_send(&m, req, 0) < 0)
            perf_fail("zmq_msg_send");
        perf_recv(req, &m, (size_t)size);
    }
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);
    pthread_join(thread, NULL);

    perf_print_lat(size, roundtrips, elapsed);

    if (zmq_close(req) < 0 || zmq_close(rep) < 0)
        perf_fail("zmq_close");
    perf_term(ctx);
    return 0;
}
