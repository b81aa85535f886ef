/* SPDX-License-Identifier: MPL-2.0 */
/*
 * proxy_thr <message-size> <message-count> [inproc|ipc|tcp]
 *
 * Throughput through zmq_proxy_steerable.  Unlike libzmq's proxy_thr
 * (publishers and subscribers around an XSUB/XPUB proxy), this is a
 * straight pipeline of two hops over the chosen transport (inproc by
 * default):
 *
 *   sender thread PUSH -> PULL [proxy thread] PUSH -> PULL main thread
 *
 * The main thread times <message-count> messages as local_thr does (the
 * clock starts at the first message) and prints the same lines, so the
 * figure is messages per second that cross the proxy, each one taking
 * two hops and one zmq_proxy forward.  The proxy stops on a TERMINATE
 * command sent over an inproc PAIR control socket.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <unistd.h>
#include "perf_util.h"

struct sender {
    void *ctx;
    const char *endpoint;
    long size, count;
};

static void *send_all(void *arg)
{
    struct sender *w = arg;
    void *s = perf_socket(w->ctx, ZMQ_PUSH);
    perf_connect(s, w->endpoint);
    for (long i = 0; i < w->count; i++)
        perf_send(s, (size_t)w->size, 0);
    perf_close(s);
    return NULL;
}

struct proxy {
    void *frontend, *backend, *control;
};

static void *run_proxy(void *arg)
{
    struct proxy *p = arg;
    if (zmq_proxy_steerable(p->frontend, p->backend, NULL, p->control) < 0)
        perf_fail("zmq_proxy_steerable");
    return NULL;
}

/* Binds s to hop number `hop` of the transport and returns the endpoint
 * to connect to in buf. */
static void bind_hop(void *s, const char *transport, int hop, char *buf,
                     size_t size)
{
    char want[256];
    if (strcmp(transport, "inproc") == 0)
        snprintf(want, sizeof want, "inproc://proxy_thr_%d", hop);
    else if (strcmp(transport, "ipc") == 0)
        snprintf(want, sizeof want, "ipc:///tmp/proxy_thr_%ld_%d.ipc",
                 (long)getpid(), hop);
    else
        snprintf(want, sizeof want, "tcp://127.0.0.1:*");
    perf_bind(s, want);
    perf_last_endpoint(s, buf, size);
}

int main(int argc, char **argv)
{
    perf_prog = "proxy_thr";
    if (argc != 3 && argc != 4)
        perf_usage("<message-size> <message-count> [inproc|ipc|tcp]");
    long size = perf_arg(argv[1], "message-size", 0, 1L << 30);
    long count = perf_arg(argv[2], "message-count", 1, 1L << 40);
    const char *transport = argc == 4 ? argv[3] : "inproc";
    if (strcmp(transport, "inproc") != 0 && strcmp(transport, "ipc") != 0 &&
        strcmp(transport, "tcp") != 0)
        perf_usage("<message-size> <message-count> [inproc|ipc|tcp]");

    void *ctx = perf_ctx();
    char hop1[256], hop2[256];
    struct proxy p;
    p.frontend = perf_socket(ctx, ZMQ_PULL);
    p.backend = perf_socket(ctx, ZMQ_PUSH);
    p.control = perf_socket(ctx, ZMQ_PAIR);
    bind_hop(p.frontend, transport, 1, hop1, sizeof hop1);
    bind_hop(p.backend, transport, 2, hop2, sizeof hop2);
    perf_bind(p.control, "inproc://proxy_thr_control");
    void *control = perf_socket(ctx, ZMQ_PAIR);
    perf_connect(control, "inproc://proxy_thr_control");

    void *s = perf_socket(ctx, ZMQ_PULL);
    perf_connect(s, hop2);

    pthread_t proxy_thread, sender_thread;
    if (pthread_create(&proxy_thread, NULL, run_proxy, &p) != 0)
        perf_die("pthread_create failed");
    struct sender w = {ctx, hop1, size, count};
    if (pthread_create(&sender_thread, NULL, send_all, &w) != 0)
        perf_die("pthread_create failed");

    zmq_msg_t m;
    zmq_msg_init(&m);
    perf_recv(s, &m, (size_t)size);
    double start = perf_now_us();
    for (long i = 1; i < count; i++)
        perf_recv(s, &m, (size_t)size);
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);
    pthread_join(sender_thread, NULL);

    if (zmq_send(control, "TERMINATE", 9, 0) < 0)
        perf_fail("zmq_send TERMINATE");
    pthread_join(proxy_thread, NULL);

    perf_print_thr(size, count, elapsed);

    if (zmq_close(s) < 0 || zmq_close(control) < 0 ||
        zmq_close(p.frontend) < 0 || zmq_close(p.backend) < 0 ||
        zmq_close(p.control) < 0)
        perf_fail("zmq_close");
    perf_term(ctx);
    if (strcmp(transport, "ipc") == 0) {
        unlink(hop1 + strlen("ipc://"));
        unlink(hop2 + strlen("ipc://"));
    }
    return 0;
}
