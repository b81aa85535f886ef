/* SPDX-License-Identifier: MPL-2.0 */
/*
 * remote_lat <connect-to> <message-size> <roundtrip-count>
 *
 * The timing side of the latency test: a REQ socket connected to
 * local_lat sends a message and waits for it to come back,
 * <roundtrip-count> times, and prints the average one-way latency (half
 * the mean round trip).  The clock starts before the first send, so the
 * first round trip includes the connection setup, as in libzmq's tool.
 */
#define _POSIX_C_SOURCE 200809L
#include "perf_util.h"

int main(int argc, char **argv)
{
    perf_prog = "remote_lat";
    if (argc != 4)
        perf_usage("<connect-to> <message-size> <roundtrip-count>");
    long size = perf_arg(argv[2], "message-size", 0, 1L << 30);
    long roundtrips = perf_arg(argv[3], "roundtrip-count", 1, 1L << 40);

    void *ctx = perf_ctx();
    void *s = perf_socket(ctx, ZMQ_REQ);
    perf_connect(s, argv[1]);

    zmq_msg_t m;
    if (zmq_msg_init_size(&m, (size_t)size) < 0)
        perf_fail("zmq_msg_init_size");
    double start = perf_now_us();
    for (long i = 0; i < roundtrips; i++) {
        if (zmq_msg_send(&m, s, 0) < 0)
            perf_fail("zmq_msg_send");
        perf_recv(s, &m, (size_t)size);
    }
    double elapsed = perf_now_us() - start;
    zmq_msg_close(&m);

    perf_print_lat(size, roundtrips, elapsed);

    perf_close(s);
    perf_term(ctx);
    return 0;
}
