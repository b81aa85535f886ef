/* SPDX-License-Identifier: MPL-2.0 */
/*
 * conn_mem [count]
 *
 * Resident memory per idle tcp connection.  One ROUTER socket connects
 * <count> times (default 10000) to another ROUTER socket bound on
 * 127.0.0.1, both in this process.  The connecting side is a ROUTER, not
 * a DEALER, because libzmq ignores repeated connects of a DEALER, REQ,
 * PUB or SUB socket to an endpoint it is already connected to.
 *
 * Socket monitors on both sides count ZMQ_EVENT_HANDSHAKE_SUCCEEDED
 * until every connection has finished its handshake at both ends.  VmRSS
 * from /proc/self/status is read before the first connect and after the
 * last handshake (and a short settling pause); the difference divided by
 * the count is printed.  The figure covers both ends of each connection
 * (client and server side), with no message sent.
 *
 * Every connection takes two descriptors here.  The program raises
 * RLIMIT_NOFILE as far as it may (the hard limit too, when allowed);
 * when that is still too low it says so on stderr and measures as many
 * connections as fit, which the "connections:" line shows.
 */
#define _POSIX_C_SOURCE 200809L
#define PERF_WANT_FD_LIMIT
#include "perf_util.h"

#define DEADLINE_US 60e6

/* VmRSS of this process in kB. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        perf_die("cannot open /proc/self/status: %s", strerror(errno));
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    if (kb < 0)
        perf_die("no VmRSS in /proc/self/status");
    return kb;
}

/* Starts a monitor on s for handshake events and returns the PAIR
 * socket that reads them. */
static void *monitor(void *ctx, void *s, const char *endpoint)
{
    int events =
        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    if (zmq_socket_monitor(s, endpoint, events) < 0)
        perf_fail("zmq_socket_monitor");
    void *reader = perf_socket(ctx, ZMQ_PAIR);
    perf_connect(reader, endpoint);
    return reader;
}

/* Reads one monitor event (two frames) from reader without waiting;
 * returns the event number (its value in *value), or -1 if none is
 * queued. */
static int read_event(void *reader, uint32_t *value)
{
    unsigned char head[6];
    int n = zmq_recv(reader, head, sizeof head, ZMQ_DONTWAIT);
    if (n < 0 && zmq_errno() == EAGAIN)
        return -1;
    if (n < 0)
        perf_fail("zmq_recv (monitor)");
    if (n != 6)
        perf_die("monitor event frame of %d bytes", n);
    char address[512];
    if (zmq_recv(reader, address, sizeof address, 0) < 0)
        perf_fail("zmq_recv (monitor address)");
    *value = (uint32_t)head[2] | (uint32_t)head[3] << 8 |
             (uint32_t)head[4] << 16 | (uint32_t)head[5] << 24;
    return head[0] | head[1] << 8;
}

int main(int argc, char **argv)
{
    perf_prog = "conn_mem";
    if (argc > 2)
        perf_usage("[count]");
    long count = argc == 2 ? perf_arg(argv[1], "count", 1, 1000000) : 10000;

    long need = 2 * count + 64;
    long limit = perf_raise_fd_limit(need);
    if (limit < need) {
        long fit = (limit - 64) / 2;
        if (fit < 1)
            perf_die("RLIMIT_NOFILE is only %ld", limit);
        fprintf(stderr,
                "%s: RLIMIT_NOFILE hard limit %ld is too low for %ld "
                "connections (%ld descriptors); measuring %ld\n",
                perf_prog, limit, count, need, fit);
        count = fit;
    }

    void *ctx = perf_ctx();
    void *server = perf_socket(ctx, ZMQ_ROUTER);
    void *client = perf_socket(ctx, ZMQ_ROUTER);
    /* A long listen queue: thousands of connects arrive at once. */
    perf_setint(server, ZMQ_BACKLOG, count < 65535 ? (int)count : 65535,
                "zmq_setsockopt BACKLOG");
    perf_bind(server, "tcp://127.0.0.1:*");
    char endpoint[256];
    perf_last_endpoint(server, endpoint, sizeof endpoint);
    void *readers[2] = {monitor(ctx, server, "inproc://conn_mem_server"),
                        monitor(ctx, client, "inproc://conn_mem_client")};

    long before = rss_kb();
    double start = perf_now_us();
    for (long i = 0; i < count; i++)
        perf_connect(client, endpoint);

    long done[2] = {0, 0};
    while (done[0] < count || done[1] < count) {
        if (perf_now_us() - start > DEADLINE_US)
            perf_die("only %ld server and %ld client handshakes of %ld "
                     "after %.0f s",
                     done[0], done[1], count, DEADLINE_US / 1e6);
        zmq_pollitem_t items[2] = {{readers[0], 0, ZMQ_POLLIN, 0},
                                   {readers[1], 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, 1000) < 0)
            perf_fail("zmq_poll");
        for (int i = 0; i < 2; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            int event;
            uint32_t value;
            while ((event = read_event(readers[i], &value)) >= 0) {
                if (event != ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
                    perf_die("%s handshake failed (monitor event 0x%x, "
                             "value %u) after %ld server and %ld client "
                             "handshakes",
                             i == 0 ? "server" : "client", event,
                             (unsigned)value, done[0], done[1]);
                done[i]++;
            }
        }
    }
    double connect_s = (perf_now_us() - start) / 1e6;
    struct timespec settle = {0, 200 * 1000 * 1000};
    nanosleep(&settle, NULL);
    long after = rss_kb();

    printf("connections: %ld\n", count);
    printf("connect time: %.3f [s]\n", connect_s);
    printf("rss before: %ld [kB]\n", before);
    printf("rss after: %ld [kB]\n", after);
    printf("bytes per connection: %ld\n", (after - before) * 1024 / count);

    zmq_socket_monitor(server, NULL, 0);
    zmq_socket_monitor(client, NULL, 0);
    for (int i = 0; i < 2; i++) {
        perf_setint(readers[i], ZMQ_LINGER, 0, "zmq_setsockopt LINGER");
        zmq_close(readers[i]);
    }
    perf_setint(server, ZMQ_LINGER, 0, "zmq_setsockopt LINGER");
    perf_setint(client, ZMQ_LINGER, 0, "zmq_setsockopt LINGER");
    if (zmq_close(client) < 0 || zmq_close(server) < 0)
        perf_fail("zmq_close");
    perf_term(ctx);
    return 0;
}
