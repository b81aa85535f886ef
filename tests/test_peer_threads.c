/* SPDX-License-Identifier: MPL-2.0 */
/*
 * zmq_connect_peer and zmq_disconnect_peer from many threads on one
 * shared PEER socket, while another thread sends on it and a last one
 * receives on the bound side.  Run under ThreadSanitizer too.
 *
 * Layout: PEER S connects to PEER B, bound at the endpoint.  CONNECTORS
 * threads each make ROUNDS connections with zmq_connect_peer(S) and end
 * each with zmq_disconnect_peer(S) (keeping up to WINDOW open at a
 * time), publishing the open ids in a shared list.  The sender thread
 * sends on S to ids picked from that list; every body carries the id it
 * was sent to.  The receiver thread reads B until an end marker, sent on
 * a connection of its own once the sender is finished, has come and the
 * count of bodies matches what S accepted.
 *
 * Checks: (a) every id returned is non-zero and unique over all threads;
 * (b) the connection a message arrived on at B (B's routing id) always
 * carries the same S-side id, and each S-side id arrives on one B
 * connection only: the id named the connection the message travelled
 * on; (c) nothing crashes or hangs (every blocking call has a timeout,
 * and a watchdog aborts the program if it is stuck), every message S
 * accepted is delivered (LINGER is -1, so a disconnect delivers what was
 * sent first), and the context terminates.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <zmq.h>

#include "testutil.h"

#define CONNECTORS 8
#define ROUNDS     500
#define WINDOW     4
#define MAX_MSGS   400000
#define TIMEOUT_MS 5000
/* The whole run must finish within this, or the watchdog aborts. */
#define WATCHDOG_S 25

#define ENDPOINT "inproc://peer-threads"

struct pair_ids {
    uint32_t bid; /* B's id for the connection it arrived on */
    uint32_t sid; /* the S-side id it was sent to */
};

static struct {
    void *S, *B;

    pthread_mutex_t lock; /* guards live, nlive, connectors_left */
    pthread_cond_t changed;
    /* A connector publishes a new id before it retires its oldest, so
     * it has up to WINDOW + 1 in the list. */
    uint32_t live[CONNECTORS * (WINDOW + 1)];
    size_t nlive;
    int connectors_left;

    uint32_t ids[CONNECTORS][ROUNDS]; /* row i: connector thread i */
    atomic_int connect_failures, disconnect_failures;

    uint32_t end_id; /* a connection of its own for the end marker */
    atomic_long sent_ok, sent_unreachable, send_failures;
    int last_send_errno;

    /* Receiver thread only until joined. */
    struct pair_ids *got;
    long ngot;
    int recv_failures;
    int last_recv_errno;
} g;

static void live_add(uint32_t id)
{
    pthread_mutex_lock(&g.lock);
    g.live[g.nlive++] = id;
    pthread_cond_broadcast(&g.changed);
    pthread_mutex_unlock(&g.lock);
}

static void live_remove(uint32_t id)
{
    pthread_mutex_lock(&g.lock);
    for (size_t i = 0; i < g.nlive; i++) {
        if (g.live[i] == id) {
            g.live[i] = g.live[--g.nlive];
            break;
        }
    }
    pthread_mutex_unlock(&g.lock);
}

static void end_connection(uint32_t id)
{
    live_remove(id);
    if (zmq_disconnect_peer(g.S, id) != 0) {
        fprintf(stderr, "zmq_disconnect_peer(%u): %s\n", (unsigned)id,
                zmq_strerror(errno));
        atomic_fetch_add(&g.disconnect_failures, 1);
    }
}

static void *connector_main(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint32_t window[WINDOW];
    int open = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t id = zmq_connect_peer(g.S, ENDPOINT);
        g.ids[me][r] = id;
        if (id == 0) {
            fprintf(stderr, "zmq_connect_peer: %s\n", zmq_strerror(errno));
            atomic_fetch_add(&g.connect_failures, 1);
            continue;
        }
        live_add(id);
        if (open == WINDOW) {
            end_connection(window[0]);
            memmove(window, window + 1, (WINDOW - 1) * sizeof *window);
            open--;
        }
        window[open++] = id;
    }
    /* Keep the last connections open until the sender has got at least
     * one message through, so the test always has traffic to check
     * however the threads are scheduled. */
    pthread_mutex_lock(&g.lock);
    while (atomic_load(&g.sent_ok) == 0 && atomic_load(&g.send_failures) == 0)
        pthread_cond_wait(&g.changed, &g.lock);
    pthread_mutex_unlock(&g.lock);
    for (int i = 0; i < open; i++)
        end_connection(window[i]);
    pthread_mutex_lock(&g.lock);
    g.connectors_left--;
    pthread_cond_broadcast(&g.changed);
    pthread_mutex_unlock(&g.lock);
    return NULL;
}

/* xorshift32: a cheap per-thread random sequence. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void *sender_main(void *arg)
{
    (void)arg;
    uint32_t rnd = 0x9e3779b9u;
    for (long n = 0; n < MAX_MSGS; n++) {
        pthread_mutex_lock(&g.lock);
        while (g.nlive == 0 && g.connectors_left > 0)
            pthread_cond_wait(&g.changed, &g.lock);
        if (g.nlive == 0) {
            pthread_mutex_unlock(&g.lock);
            break;
        }
        uint32_t id = g.live[next_random(&rnd) % g.nlive];
        pthread_mutex_unlock(&g.lock);

        /* The body names the id; the connection may be closing by now. */
        zmq_msg_t m;
        if (zmq_msg_init_buffer(&m, &id, sizeof id) != 0 ||
            zmq_msg_set_routing_id(&m, id) != 0) {
            atomic_fetch_add(&g.send_failures, 1);
            break;
        }
        if (zmq_msg_send(&m, g.S, 0) == (int)sizeof id) {
            if (atomic_fetch_add(&g.sent_ok, 1) == 0) {
                pthread_mutex_lock(&g.lock);
                pthread_cond_broadcast(&g.changed); /* connector_main */
                pthread_mutex_unlock(&g.lock);
            }
            continue;
        }
        int err = errno;
        zmq_msg_close(&m);
        if (err == EHOSTUNREACH) {
            /* Disconnected (and processed) before the send. */
            atomic_fetch_add(&g.sent_unreachable, 1);
        } else {
            /* EAGAIN here is SNDTIMEO running out: a stuck send. */
            g.last_send_errno = err;
            atomic_fetch_add(&g.send_failures, 1);
            pthread_mutex_lock(&g.lock);
            pthread_cond_broadcast(&g.changed);
            pthread_mutex_unlock(&g.lock);
        }
    }
    return NULL;
}

#define END_MARK "END-MARK"

/* Receives until the end marker has come and, after it, as many bodies
 * as the sender had accepted (sent_ok is final once the marker is sent;
 * the marker travels on its own connection, so it may overtake). */
static void *receiver_main(void *arg)
{
    (void)arg;
    int ended = 0;
    while (!ended || g.ngot < atomic_load(&g.sent_ok)) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, g.B, 0);
        if (rc < 0) {
            /* EAGAIN is RCVTIMEO running out: something got stuck. */
            g.last_recv_errno = errno;
            g.recv_failures++;
            zmq_msg_close(&m);
            break;
        }
        if (rc == (int)strlen(END_MARK) &&
            memcmp(zmq_msg_data(&m), END_MARK, strlen(END_MARK)) == 0) {
            ended = 1;
        } else if (rc != (int)sizeof(uint32_t) || g.ngot >= MAX_MSGS) {
            g.recv_failures++;
        } else {
            struct pair_ids *p = &g.got[g.ngot++];
            memcpy(&p->sid, zmq_msg_data(&m), sizeof p->sid);
            p->bid = zmq_msg_routing_id(&m);
        }
        zmq_msg_close(&m);
    }
    return NULL;
}

/* Aborts the program if the test does not finish in time: a deadlock
 * must fail the run, not stall it. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done;
} watchdog = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static void *watchdog_main(void *arg)
{
    (void)arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WATCHDOG_S;
    pthread_mutex_lock(&watchdog.lock);
    int rc = 0;
    while (!watchdog.done && rc == 0)
        rc = pthread_cond_timedwait(&watchdog.cond, &watchdog.lock, &until);
    int done = watchdog.done;
    pthread_mutex_unlock(&watchdog.lock);
    if (!done) {
        fprintf(stderr, "watchdog: no progress after %d s (deadlock?)\n",
                WATCHDOG_S);
        abort();
    }
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_by_bid(const void *a, const void *b)
{
    const struct pair_ids *x = a, *y = b;
    if (x->bid != y->bid)
        return x->bid < y->bid ? -1 : 1;
    return x->sid < y->sid ? -1 : x->sid > y->sid;
}

static int cmp_by_sid(const void *a, const void *b)
{
    const struct pair_ids *x = a, *y = b;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    return x->bid < y->bid ? -1 : x->bid > y->bid;
}

static void set_int(void *s, int option, int value)
{
    CHECK_EQ(zmq_setsockopt(s, option, &value, sizeof value), 0);
}

static void test_connect_disconnect_under_traffic(void)
{
    pthread_t dog;
    REQUIRE(pthread_create(&dog, NULL, watchdog_main, NULL) == 0);

    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.changed, NULL);
    g.connectors_left = CONNECTORS;
    g.got = calloc(MAX_MSGS, sizeof *g.got);
    REQUIRE(g.got != NULL);

    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    g.B = zmq_socket(ctx, ZMQ_PEER);
    g.S = zmq_socket(ctx, ZMQ_PEER);
    REQUIRE(g.B != NULL && g.S != NULL);
    set_int(g.B, ZMQ_RCVTIMEO, TIMEOUT_MS);
    set_int(g.S, ZMQ_SNDTIMEO, TIMEOUT_MS);
    set_int(g.S, ZMQ_RCVTIMEO, TIMEOUT_MS);
    CHECK_EQ(zmq_bind(g.B, ENDPOINT), 0);
    g.end_id = zmq_connect_peer(g.S, ENDPOINT);
    REQUIRE(g.end_id != 0);

    pthread_t conn[CONNECTORS], snd, rcv;
    REQUIRE(pthread_create(&rcv, NULL, receiver_main, NULL) == 0);
    REQUIRE(pthread_create(&snd, NULL, sender_main, NULL) == 0);
    for (int i = 0; i < CONNECTORS; i++)
        REQUIRE(pthread_create(&conn[i], NULL, connector_main,
                               (void *)(intptr_t)i) == 0);
    for (int i = 0; i < CONNECTORS; i++)
        pthread_join(conn[i], NULL);
    pthread_join(snd, NULL);
    /* Everything the sender will ever send is sent: mark the end. */
    zmq_msg_t end;
    CHECK_EQ(zmq_msg_init_buffer(&end, END_MARK, strlen(END_MARK)), 0);
    CHECK_EQ(zmq_msg_set_routing_id(&end, g.end_id), 0);
    if (zmq_msg_send(&end, g.S, 0) != (int)strlen(END_MARK)) {
        fprintf(stderr, "end marker: %s\n", zmq_strerror(errno));
        test_failed_ = 1;
        zmq_msg_close(&end);
    }
    pthread_join(rcv, NULL);

    long sent_ok = atomic_load(&g.sent_ok);
    printf("  %d connections, %ld messages sent, %ld to closed ids, %ld "
           "received\n",
           CONNECTORS * ROUNDS, sent_ok, atomic_load(&g.sent_unreachable),
           g.ngot);
    CHECK_EQ(atomic_load(&g.connect_failures), 0);
    CHECK_EQ(atomic_load(&g.disconnect_failures), 0);
    CHECK_EQ(atomic_load(&g.send_failures), 0);
    if (atomic_load(&g.send_failures) != 0)
        fprintf(stderr, "last send error: %d (%s)\n", g.last_send_errno,
                zmq_strerror(g.last_send_errno));
    CHECK_EQ(g.recv_failures, 0);
    if (g.recv_failures != 0)
        fprintf(stderr, "last receive error: %d (%s)\n", g.last_recv_errno,
                zmq_strerror(g.last_recv_errno));
    /* Every message S accepted arrived, exactly once in count. */
    CHECK_EQ(g.ngot, sent_ok);
    CHECK(sent_ok > 0);

    /* (a) ids: non-zero and unique across all threads. */
    enum { N = CONNECTORS * ROUNDS + 1 };
    uint32_t *all = malloc(N * sizeof *all);
    REQUIRE(all != NULL);
    memcpy(all, g.ids, sizeof g.ids);
    all[N - 1] = g.end_id;
    qsort(all, N, sizeof *all, cmp_u32);
    int zero = 0, dups = 0;
    for (int i = 0; i < N; i++) {
        if (all[i] == 0)
            zero++;
        else if (i > 0 && all[i] == all[i - 1])
            dups++;
    }
    CHECK_EQ(zero, 0);
    CHECK_EQ(dups, 0);

    /* (b) B-id -> S-id is a function, and so is S-id -> B-id; every
     * S-id named in a body is one that zmq_connect_peer returned. */
    int unknown = 0, zero_bid = 0, bid_conflicts = 0, sid_conflicts = 0;
    for (long i = 0; i < g.ngot; i++) {
        if (g.got[i].bid == 0)
            zero_bid++;
        if (bsearch(&g.got[i].sid, all, N, sizeof *all, cmp_u32) == NULL)
            unknown++;
    }
    qsort(g.got, (size_t)g.ngot, sizeof *g.got, cmp_by_bid);
    for (long i = 1; i < g.ngot; i++)
        if (g.got[i].bid == g.got[i - 1].bid &&
            g.got[i].sid != g.got[i - 1].sid) {
            if (bid_conflicts++ < 5)
                fprintf(stderr, "B connection %u got bodies for %u and %u\n",
                        (unsigned)g.got[i].bid, (unsigned)g.got[i - 1].sid,
                        (unsigned)g.got[i].sid);
        }
    qsort(g.got, (size_t)g.ngot, sizeof *g.got, cmp_by_sid);
    for (long i = 1; i < g.ngot; i++)
        if (g.got[i].sid == g.got[i - 1].sid &&
            g.got[i].bid != g.got[i - 1].bid) {
            if (sid_conflicts++ < 5)
                fprintf(stderr, "S id %u arrived on B connections %u and %u\n",
                        (unsigned)g.got[i].sid, (unsigned)g.got[i - 1].bid,
                        (unsigned)g.got[i].bid);
        }
    CHECK_EQ(zero_bid, 0);
    CHECK_EQ(unknown, 0);
    CHECK_EQ(bid_conflicts, 0);
    CHECK_EQ(sid_conflicts, 0);

    /* (c) everything closes and the context terminates. */
    CHECK_EQ(zmq_close(g.S), 0);
    CHECK_EQ(zmq_close(g.B), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);

    free(all);
    free(g.got);
    pthread_cond_destroy(&g.changed);
    pthread_mutex_destroy(&g.lock);

    pthread_mutex_lock(&watchdog.lock);
    watchdog.done = 1;
    pthread_cond_signal(&watchdog.cond);
    pthread_mutex_unlock(&watchdog.lock);
    pthread_join(dog, NULL);
}

TEST_MAIN(TEST(test_connect_disconnect_under_traffic))
