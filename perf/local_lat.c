/* SPDX-License-Identifier: MPL-2.0 */
/*
 * local_lat <bind-to> <message-size> <roundtrip-count>
 *
 * The echo side of the latency test: a REP socket bound to <bind-to>
 * sends every request straight back.  remote_lat does the timing.
 */
#define _POSIX_C_SOURCE 200809L
#include "perf_util.h"

int main(int argc, char **argv)
{
    perf_prog = "local_lat";
    if (argc != 4)
        perf_usage("<bind-to> <message-size> <roundtrip-count>");
    long size = perf_arg(argv[2], "message-size", 0, 1L << 30);
    long roundtrips = perf_arg(argv[3], "roundtrip-count", 1, 1L << 40);

    void *ctx = perf_ctx();
    void *s = perf_socket(ctx, ZMQ_REP);
    perf_bind(s, argv[1]);

    zmq_msg_t m;
    zmq_msg_init(&m);
    for (long i = 0; i < roundtrips; i++) {
        perf_recv(s, &m, (size_t)size);
        if (zmq_msg_send(&m, s, 0) < 0)
            perf_fail("zmq_msg_send");
    }
    zmq_msg_close(&m);

    perf_close(s);
    perf_term(ctx);
    return 0;
}
