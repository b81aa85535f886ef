/* SPDX-License-Identifier: MPL-2.0 */
/*
 * remote_thr <connect-to> <message-size> <message-count>
 *
 * The sending side of the throughput test: a PUSH socket connected to
 * local_thr sends <message-count> messages of <message-size> bytes as
 * fast as it can, then waits (up to the linger time) until they are all
 * delivered.
 *
 * Between the last send and zmq_close it pauses for 100 ms.  libzmq 4.3.x
 * can drop the tail of an ipc stream when the sending socket closes while
 * its connection still holds unwritten data (zeromq/libzmq #4660);
 * local_thr then waits for messages that never come.  The pause lets the
 * receiver catch up first.  It does not change the figure, which
 * local_thr measures on the receiving side.
 */
#define _POSIX_C_SOURCE 200809L
#include "perf_util.h"

int main(int argc, char **argv)
{
    perf_prog = "remote_thr";
    if (argc != 4)
        perf_usage("<connect-to> <message-size> <message-count>");
    long size = perf_arg(argv[2], "message-size", 0, 1L << 30);
    long count = perf_arg(argv[3], "message-count", 1, 1L << 40);

    void *ctx = perf_ctx();
    void *s = perf_socket(ctx, ZMQ_PUSH);
    perf_connect(s, argv[1]);

    for (long i = 0; i < count; i++)
        perf_send(s, (size_t)size, 0);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);

    perf_close(s);
    perf_term(ctx);
    return 0;
}
