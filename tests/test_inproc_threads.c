/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box stress of inproc across threads, with small high-water marks
 * so that flow control and the wake-ups between sender and receiver are
 * exercised all the time.  Run under ThreadSanitizer too.
 *
 *  - one PUSH thread sends MESSAGES sequence-numbered messages (every
 *    MULTI_EVERY-th one a three-part message) to a PULL read by another
 *    thread; the receiver checks the exact order and the parts (either
 *    side bound; and a connect before the bind, with the bind made by
 *    the receiving thread while the sender is already sending);
 *  - SENDERS PUSH threads send to one PULL; the order of each sender's
 *    messages is kept and none is lost or duplicated;
 *  - PAIR ping-pong: ROUND_TRIPS round trips between two threads.
 *
 * Every blocking call has a timeout, so a lost wake-up shows as a failed
 * check, and a watchdog names the test if the program hangs anyway.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"

/* The full counts take about 13 s here, mostly in system calls for the
 * wake-ups; sanitizers add more, so under them the counts are halved to
 * keep every build well inside its time limit. */
#if defined __SANITIZE_THREAD__ || defined __SANITIZE_ADDRESS__
#define SCALE 2
#elif defined __has_feature
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SCALE 2
#endif
#endif
#ifndef SCALE
#define SCALE 1
#endif

#define MESSAGES    (1000000 / SCALE)
#define MULTI_EVERY 9973 /* a prime, so multipart lands all over */
#define SENDERS     4
#define PER_SENDER  (250000 / SCALE)
#define ROUND_TRIPS (100000 / SCALE)
#define HWM         10
#define TIMEOUT_MS  10000

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static const char *volatile watchdog_what;

static void watchdog_fired(int sig)
{
    (void)sig;
    static const char head[] = "WATCHDOG: hung in ";
    const char *what = watchdog_what ? watchdog_what : "?";
    size_t n = 0;
    while (what[n] != '\0')
        n++;
    ssize_t rc = write(2, head, sizeof head - 1);
    rc = write(2, what, n);
    rc = write(2, "\n", 1);
    (void)rc;
    _exit(2);
}

static void watchdog_arm(unsigned seconds, const char *what)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fired;
    sigaction(SIGALRM, &sa, NULL);
    watchdog_what = what;
    alarm(seconds);
}

static void watchdog_disarm(void)
{
    alarm(0);
}

static void *make_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (s == NULL)
        return NULL;
    int hwm = HWM, timeout = TIMEOUT_MS;
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    return s;
}

/* A message body: who sent it and its number. */
struct body {
    uint32_t sender;
    uint32_t seq;
};

static int send_body(void *s, uint32_t sender, uint32_t seq, int flags)
{
    struct body b = {sender, seq};
    return zmq_send(s, &b, sizeof b, flags);
}

static int recv_body(void *s, struct body *b)
{
    return zmq_recv(s, b, sizeof *b, 0);
}

/* What a thread saw; checked by the main thread after joining. */
struct result {
    long done;      /* messages handled */
    int failures;   /* failed calls or wrong messages */
    int first_err;  /* errno of the first failed call */
    long first_bad; /* index of the first problem, -1 if none */
};

static void note_failure(struct result *r, long index, int err)
{
    if (r->failures++ == 0) {
        r->first_bad = index;
        r->first_err = err;
    }
}

static void report(const char *who, const struct result *r, long want)
{
    if (r->failures != 0 || r->done != want) {
        fprintf(stderr,
                "  %s: %ld of %ld done, %d failures, first at %ld (%s)\n", who,
                r->done, want, r->failures, r->first_bad,
                r->first_err ? zmq_strerror(r->first_err) : "wrong content");
        test_failed_ = 1;
    }
}

/* ------------------------------------------------------------------------ */
/* One sender, one receiver, strict order                                    */
/* ------------------------------------------------------------------------ */

struct stream {
    void *sock;
    uint32_t count;
    /* Connect before bind: the sender has started sending (pending
     * pipe); the receiver binds `bind_late` only after that. */
    atomic_int started;
    const char *bind_late;
    struct stream *peer;
    struct result r;
};

static void *stream_sender(void *arg)
{
    struct stream *t = arg;
    t->r.first_bad = -1;
    for (uint32_t i = 0; i < t->count && t->r.failures == 0; i++) {
        if (i == 1)
            atomic_store(&t->started, 1);
        if (i % MULTI_EVERY == 0) {
            /* [body][part "a"][part "bb"] */
            if (send_body(t->sock, 0, i, ZMQ_SNDMORE) != sizeof(struct body) ||
                zmq_send(t->sock, "a", 1, ZMQ_SNDMORE) != 1 ||
                zmq_send(t->sock, "bb", 2, 0) != 2) {
                note_failure(&t->r, i, errno);
                break;
            }
        } else if (send_body(t->sock, 0, i, 0) != sizeof(struct body)) {
            note_failure(&t->r, i, errno);
            break;
        }
        t->r.done++;
    }
    return NULL;
}

static int more(void *s)
{
    int value = -1;
    size_t len = sizeof value;
    zmq_getsockopt(s, ZMQ_RCVMORE, &value, &len);
    return value;
}

static void *stream_receiver(void *arg)
{
    struct stream *t = arg;
    t->r.first_bad = -1;
    if (t->bind_late != NULL) {
        /* Bind once the sender is writing into the pending connection
         * (bounded wait: the bind happens in any case). */
        for (int ms = 0; ms < TIMEOUT_MS && !atomic_load(&t->peer->started);
             ms++) {
            struct timespec one = {0, 1000000};
            nanosleep(&one, NULL);
        }
        if (zmq_bind(t->sock, t->bind_late) != 0) {
            note_failure(&t->r, -1, errno);
            return NULL;
        }
    }
    for (uint32_t i = 0; i < t->count && t->r.failures == 0; i++) {
        struct body b;
        int n = recv_body(t->sock, &b);
        if (n != sizeof b) {
            note_failure(&t->r, i, n < 0 ? errno : 0);
            break;
        }
        if (b.seq != i || b.sender != 0) {
            note_failure(&t->r, i, 0);
            fprintf(stderr, "  message %u: got sequence number %u\n", i, b.seq);
            break;
        }
        int multi = i % MULTI_EVERY == 0;
        if (more(t->sock) != multi) {
            note_failure(&t->r, i, 0);
            break;
        }
        if (multi) {
            char part[4];
            if (zmq_recv(t->sock, part, sizeof part, 0) != 1 ||
                part[0] != 'a' || more(t->sock) != 1 ||
                zmq_recv(t->sock, part, sizeof part, 0) != 2 ||
                memcmp(part, "bb", 2) != 0 || more(t->sock) != 0) {
                note_failure(&t->r, i, 0);
                break;
            }
        }
        t->r.done++;
    }
    return NULL;
}

/* mode 0: PULL binds, 1: PUSH binds, 2: the PUSH connects first and
 * the PULL's thread binds while the PUSH's thread is sending. */
static void run_stream(int mode, uint32_t count)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct stream tx = {0}, rx = {0};
    tx.count = rx.count = count;
    atomic_init(&tx.started, 0);
    atomic_init(&rx.started, 0);
    rx.peer = &tx;
    tx.sock = make_socket(ctx, ZMQ_PUSH);
    rx.sock = make_socket(ctx, ZMQ_PULL);
    REQUIRE(tx.sock != NULL && rx.sock != NULL);
    if (mode == 2) {
        CHECK_EQ(zmq_connect(tx.sock, "inproc://stream"), 0);
        rx.bind_late = "inproc://stream";
    } else {
        void *binder = mode == 1 ? tx.sock : rx.sock;
        void *connector = mode == 1 ? rx.sock : tx.sock;
        CHECK_EQ(zmq_bind(binder, "inproc://stream"), 0);
        CHECK_EQ(zmq_connect(connector, "inproc://stream"), 0);
    }

    pthread_t ts, tr;
    REQUIRE(pthread_create(&tr, NULL, stream_receiver, &rx) == 0);
    REQUIRE(pthread_create(&ts, NULL, stream_sender, &tx) == 0);
    pthread_join(ts, NULL);
    pthread_join(tr, NULL);
    report("sender", &tx.r, count);
    report("receiver", &rx.r, count);

    CHECK_EQ(zmq_close(tx.sock), 0);
    CHECK_EQ(zmq_close(rx.sock), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_stream_in_order(void)
{
    watchdog_arm(25, "stream_in_order");
    run_stream(0, MESSAGES);
    watchdog_disarm();
}

static void test_stream_in_order_push_binds(void)
{
    watchdog_arm(25, "stream_in_order_push_binds");
    run_stream(1, MESSAGES);
    watchdog_disarm();
}

static void test_stream_connect_before_bind(void)
{
    watchdog_arm(25, "stream_connect_before_bind");
    run_stream(2, MESSAGES / 4);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* Several senders, one receiver                                             */
/* ------------------------------------------------------------------------ */

struct fan_in_sender {
    void *sock;
    uint32_t id;
    struct result r;
};

static void *fan_in_send(void *arg)
{
    struct fan_in_sender *t = arg;
    t->r.first_bad = -1;
    for (uint32_t i = 0; i < PER_SENDER; i++) {
        if (send_body(t->sock, t->id, i, 0) != sizeof(struct body)) {
            note_failure(&t->r, i, errno);
            break;
        }
        t->r.done++;
    }
    return NULL;
}

struct fan_in_receiver {
    void *sock;
    struct result r;
    uint32_t next[SENDERS];
};

static void *fan_in_recv(void *arg)
{
    struct fan_in_receiver *t = arg;
    t->r.first_bad = -1;
    for (long n = 0; n < (long)SENDERS * PER_SENDER; n++) {
        struct body b;
        int rc = recv_body(t->sock, &b);
        if (rc != sizeof b) {
            note_failure(&t->r, n, rc < 0 ? errno : 0);
            break;
        }
        if (b.sender >= SENDERS || b.seq != t->next[b.sender]) {
            note_failure(&t->r, n, 0);
            fprintf(stderr, "  message %ld: sender %u seq %u\n", n, b.sender,
                    b.seq);
            break;
        }
        t->next[b.sender]++;
        t->r.done++;
    }
    return NULL;
}

static void test_fan_in(void)
{
    watchdog_arm(25, "fan_in");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct fan_in_receiver rx = {0};
    rx.sock = make_socket(ctx, ZMQ_PULL);
    REQUIRE(rx.sock != NULL);
    CHECK_EQ(zmq_bind(rx.sock, "inproc://fan-in"), 0);
    struct fan_in_sender tx[SENDERS];
    memset(tx, 0, sizeof tx);
    for (uint32_t i = 0; i < SENDERS; i++) {
        tx[i].id = i;
        tx[i].sock = make_socket(ctx, ZMQ_PUSH);
        REQUIRE(tx[i].sock != NULL);
        CHECK_EQ(zmq_connect(tx[i].sock, "inproc://fan-in"), 0);
    }
    pthread_t tr, ts[SENDERS];
    REQUIRE(pthread_create(&tr, NULL, fan_in_recv, &rx) == 0);
    for (int i = 0; i < SENDERS; i++)
        REQUIRE(pthread_create(&ts[i], NULL, fan_in_send, &tx[i]) == 0);
    for (int i = 0; i < SENDERS; i++)
        pthread_join(ts[i], NULL);
    pthread_join(tr, NULL);
    for (int i = 0; i < SENDERS; i++) {
        report("sender", &tx[i].r, PER_SENDER);
        CHECK_EQ(rx.next[i], PER_SENDER);
        CHECK_EQ(zmq_close(tx[i].sock), 0);
    }
    report("receiver", &rx.r, (long)SENDERS * PER_SENDER);
    CHECK_EQ(zmq_close(rx.sock), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* PAIR ping-pong                                                            */
/* ------------------------------------------------------------------------ */

struct player {
    void *sock;
    int serves; /* sends first */
    struct result r;
};

static void *play(void *arg)
{
    struct player *t = arg;
    t->r.first_bad = -1;
    for (uint32_t i = 0; i < ROUND_TRIPS; i++) {
        struct body b;
        if (t->serves && send_body(t->sock, 1, i, 0) != sizeof b) {
            note_failure(&t->r, i, errno);
            break;
        }
        int n = recv_body(t->sock, &b);
        if (n != sizeof b || b.seq != i || b.sender != (t->serves ? 2u : 1u)) {
            note_failure(&t->r, i, n < 0 ? errno : 0);
            break;
        }
        if (!t->serves && send_body(t->sock, 2, i, 0) != sizeof b) {
            note_failure(&t->r, i, errno);
            break;
        }
        t->r.done++;
    }
    return NULL;
}

static void test_ping_pong(void)
{
    watchdog_arm(25, "ping_pong");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct player a = {0}, b = {0};
    a.sock = make_socket(ctx, ZMQ_PAIR);
    b.sock = make_socket(ctx, ZMQ_PAIR);
    REQUIRE(a.sock != NULL && b.sock != NULL);
    a.serves = 1;
    CHECK_EQ(zmq_bind(a.sock, "inproc://ping-pong"), 0);
    CHECK_EQ(zmq_connect(b.sock, "inproc://ping-pong"), 0);
    pthread_t ta, tb;
    REQUIRE(pthread_create(&tb, NULL, play, &b) == 0);
    REQUIRE(pthread_create(&ta, NULL, play, &a) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    report("server", &a.r, ROUND_TRIPS);
    report("returner", &b.r, ROUND_TRIPS);
    CHECK_EQ(zmq_close(a.sock), 0);
    CHECK_EQ(zmq_close(b.sock), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

TEST_MAIN(TEST(test_stream_in_order), TEST(test_stream_in_order_push_binds),
          TEST(test_stream_connect_before_bind), TEST(test_fan_in),
          TEST(test_ping_pong))
