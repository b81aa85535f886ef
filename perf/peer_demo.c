/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The README's demo: two PEER sockets over tcp.  The client connects with
 * zmq_connect_peer, which hands back the routing id of the new connection
 * at once; the two exchange a greeting each way, then the client streams
 * messages to the server and the demo prints the throughput.
 *
 * Usage: peer_demo [message count] [message size]
 */
#define _POSIX_C_SOURCE     200809L
#define ZMQ_BUILD_DRAFT_API 1
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    fprintf(stderr, "peer_demo: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 1;
}

/* Sends size bytes of data to the peer with routing id `to`. */
static int send_to(void *s, uint32_t to, const void *data, size_t size)
{
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, size) < 0)
        return -1;
    memcpy(zmq_msg_data(&m), data, size);
    if (zmq_msg_set_routing_id(&m, to) < 0 || zmq_msg_send(&m, s, 0) < 0) {
        zmq_msg_close(&m);
        return -1;
    }
    return 0;
}

struct counter {
    void *server;
    long expected, received;
};

static void count_messages(void *arg)
{
    struct counter *c = arg;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (c->received < c->expected && zmq_msg_recv(&m, c->server, 0) >= 0)
        c->received++;
    zmq_msg_close(&m);
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 1000000;
    long size = argc > 2 ? atol(argv[2]) : 64;
    if (count <= 0 || size < 0) {
        fprintf(stderr, "usage: peer_demo [count > 0] [size >= 0]\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *server = zmq_socket(ctx, ZMQ_PEER);
    void *client = zmq_socket(ctx, ZMQ_PEER);
    if (ctx == NULL || server == NULL || client == NULL)
        return fail("zmq_socket");
    int timeout = 10000;
    zmq_setsockopt(server, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(client, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_bind(server, "tcp://127.0.0.1:*") < 0)
        return fail("zmq_bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, endpoint, &len);

    uint32_t server_id = zmq_connect_peer(client, endpoint);
    if (server_id == 0)
        return fail("zmq_connect_peer");
    printf("server bound at %s\n", endpoint);
    printf("client: zmq_connect_peer returned routing id %u for the server\n",
           server_id);

    /* Hello each way: the server learns the client's id from the first
     * message it receives. */
    if (send_to(client, server_id, "hello", 5) < 0)
        return fail("send hello");
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, server, 0) < 0)
        return fail("server recv");
    uint32_t client_id = zmq_msg_routing_id(&m);
    printf("server: got \"%.*s\" from routing id %u\n", (int)zmq_msg_size(&m),
           (char *)zmq_msg_data(&m), client_id);
    if (send_to(server, client_id, "welcome", 7) < 0)
        return fail("send welcome");
    if (zmq_msg_recv(&m, client, 0) < 0)
        return fail("client recv");
    printf("client: got \"%.*s\" from routing id %u\n", (int)zmq_msg_size(&m),
           (char *)zmq_msg_data(&m), zmq_msg_routing_id(&m));

    /* Throughput: the client streams from this thread, the server counts
     * in another one. */
    char *payload = calloc(1, (size_t)size + 1);
    struct counter c = {server, count, 0};
    double start = now_s();
    void *thread = zmq_threadstart(count_messages, &c);
    for (long i = 0; i < count; i++)
        if (send_to(client, server_id, payload, (size_t)size) < 0)
            return fail("send");
    zmq_threadclose(thread);
    if (c.received != count)
        return fail("server recv");
    double secs = now_s() - start;
    printf("throughput: %ld messages of %ld bytes in %.3f s = %.0f msg/s "
           "(%.1f Mb/s)\n",
           count, size, secs, (double)count / secs,
           (double)count * (double)size * 8 / secs / 1e6);
    zmq_msg_close(&m);
    free(payload);
    zmq_close(client);
    zmq_close(server);
    zmq_ctx_term(ctx);
    return 0;
}
