/* SPDX-License-Identifier: MPL-2.0 */
/*
 * local_thr <bind-to> <message-size> <message-count>
 *
 * The receiving side of the throughput test: a PULL socket bound to
 * <bind-to> takes <message-count> messages from remote_thr and prints the
 * mean throughput.  As in libzmq's tool, the clock starts when the first
 * message arrives, so connection setup is not counted.  After that
 * first message, a pause of 10 s counts as lost messages: the program
 * fails, naming how many arrived.
 */
#define _POSIX_C_SOURCE 200809L
#include "perf_util.h"

int main(int argc, char **argv)
{
    perf_prog = "local_thr";
    if (argc != 4)
        perf_usage("<bind-to> <message-size> <message-count>");
    long size = perf_arg(argv[2], "message-size", 0, 1L << 30);
    long count = perf_arg(argv[3], "message-count", 1, 1L << 40);

    void *ctx = perf_ctx();
    void *s = perf_socket(ctx, ZMQ_PULL);
    perf_bind(s, argv[1]);

    zmq_msg_t m;
    zmq_msg_init(&m);
    perf_recv(s, &m, (size_t)size);
    perf_setint(s, ZMQ_RCVTIMEO, PERF_STREAM_TIMEOUT_MS,
                "zmq_setsockopt RCVTIMEO");
    double start = perf_now_us();
    for (long i = 1; i < count; i++) {
        if (zmq_msg_recv(&m, s, 0) < 0) {
            if (zmq_errno() == EAGAIN)
                perf_die("no message for %d ms after %ld of %ld: messages "
                         "lost?",
                         PERF_STREAM_TIMEOUT_MS, i, count);
            perf_fail("zmq_msg_recv");
        }
        if (zmq_msg_size(&m) != (size_t)size || zmq_msg_more(&m))
            perf_die("received a message of %zu bytes, expected %ld",
                     zmq_msg_size(&m), size);
    }
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);

    perf_print_thr(size, count, elapsed);

    perf_close(s);
    perf_term(ctx);
    return 0;
}
