/* SPDX-License-Identifier: MPL-2.0 */
/*
 * inproc_thr <message-size> <message-count>
 *
 * Throughput between two threads of one process over inproc: a worker
 * thread's PUSH socket sends <message-count> messages to the main
 * thread's PULL socket, which times them as local_thr does (the clock
 * starts at the first message) and prints the same lines.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include "perf_util.h"

#define ENDPOINT "inproc://inproc_thr"

struct sender {
    void *ctx;
    long size, count;
};

static void *send_all(void *arg)
{
    struct sender *w = arg;
    void *s = perf_socket(w->ctx, ZMQ_PUSH);
    perf_connect(s, ENDPOINT);
    for (long i = 0; i < w->count; i++)
        perf_send(s, (size_t)w->size, 0);
    perf_close(s);
    return NULL;
}

int main(int argc, char **argv)
{
    perf_prog = "inproc_thr";
    if (argc != 3)
        perf_usage("<message-size> <message-count>");
    long size = perf_arg(argv[1], "message-size", 0, 1L << 30);
    long count = perf_arg(argv[2], "message-count", 1, 1L << 40);

    void *ctx = perf_ctx();
    void *s = perf_socket(ctx, ZMQ_PULL);
    perf_bind(s, ENDPOINT);

    struct sender w = {ctx, size, count};
    pthread_t thread;
    if (pthread_create(&thread, NULL, send_all, &w) != 0)
        perf_die("pthread_create failed");

    zmq_msg_t m;
    zmq_msg_init(&m);
    perf_recv(s, &m, (size_t)size);
    double start = perf_now_us();
    for (long i = 1; i < count; i++)
        perf_recv(s, &m, (size_t)size);
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);
    pthread_join(thread, NULL);

    perf_print_thr(size, count, elapsed);

    perf_close(s);
    perf_term(ctx);
    return 0;
}
