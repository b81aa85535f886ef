/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of zmq_poll, zmq_ppoll and the zmq_poller_* API over
 * inproc sockets (PAIR, PUSH/PULL, SERVER/CLIENT, PEER, CHANNEL,
 * SCATTER/GATHER) and plain descriptors (pipes).
 *
 * A test that needs a call to be woken while it is blocked starts a
 * helper thread (an "actor") that waits until the calling thread is
 * asleep in the kernel (state S in /proc/self/task/TID/stat), then acts.
 * Every wait is bounded: waits "for ever" are watched by the actor, which
 * shuts the context down after 5 s so that a bug fails a CHECK instead of
 * hanging the program.
 */
#define _GNU_SOURCE
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"

#define TIMEOUT_MS 5000

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time used by the calling thread, in milliseconds. */
static double thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void set_int(void *s, int option, int value)
{
    CHECK_EQ(zmq_setsockopt(s, option, &value, sizeof value), 0);
}

static void *new_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    CHECK(s != NULL);
    if (s != NULL) {
        set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_LINGER, 0);
    }
    return s;
}

/* Binds a socket of type btype to ep and connects one of type ctype. */
static int make_pair(void *ctx, int btype, int ctype, const char *ep,
                     void **bound, void **connected)
{
    *bound = new_socket(ctx, btype);
    *connected = new_socket(ctx, ctype);
    if (*bound == NULL || *connected == NULL)
        return -1;
    if (zmq_bind(*bound, ep) != 0)
        return -1;
    return zmq_connect(*connected, ep);
}

static void close_socket(void *s)
{
    if (s != NULL)
        CHECK_EQ(zmq_close(s), 0);
}

/* Receives one message (ZMQ_DONTWAIT) and compares it with text. */
static void check_recv(void *s, const char *text)
{
    char buf[64] = {0};
    int rc = zmq_recv(s, buf, sizeof buf - 1, ZMQ_DONTWAIT);
    CHECK_EQ(rc, (int)strlen(text));
    CHECK(rc >= 0 && strcmp(buf, text) == 0);
}

/* ZMQ_EVENTS, which also takes the socket's pending commands. */
static int events_of(void *s)
{
    int ev = -1;
    size_t len = sizeof ev;
    CHECK_EQ(zmq_getsockopt(s, ZMQ_EVENTS, &ev, &len), 0);
    return ev;
}

static void make_pipe(int fds[2])
{
    int rc = pipe(fds);
    CHECK_EQ(rc, 0);
}

static void close_pipe(int fds[2])
{
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    fds[0] = fds[1] = -1;
}

/* A descriptor number that is not open.  It lies far above the lowest
 * free numbers, so a thread of the library opening descriptors meanwhile
 * cannot take it. */
static int closed_fd(void)
{
    int fds[2];
    if (pipe(fds) != 0)
        return 1000000;
    int hi = fcntl(fds[0], F_DUPFD_CLOEXEC, 700);
    close(fds[0]);
    close(fds[1]);
    if (hi < 0)
        return 1000000; /* beyond any descriptor limit: never open */
    close(hi);
    return hi;
}

/* A buffer the library cannot take for a socket or a poller. */
static _Alignas(16) unsigned char fake_object[64];

static pid_t current_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------------------------ */
/* Actors: helper threads acting while the test thread is blocked            */
/* ------------------------------------------------------------------------ */

struct actor {
    pthread_t thread;
    pthread_t target_thread;
    pid_t target_tid;
    atomic_int entering; /* the target is about to block */
    void (*act)(struct actor *);
    void *ctx;      /* shut down if the target is not back in 5 s */
    void *sock;     /* for act_send / act_recv_all */
    int fd;         /* for act_write */
    const char *ep; /* for act_connect */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    bool rescued;
    bool saw_blocked;
    int rc;    /* what the action got */
    int kills; /* act_kill: signals sent; act_churn: rounds */
};

/* True once thread tid sleeps in the kernel. */
static bool is_sleeping(pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[512];
    bool sleeping = false;
    if (fgets(line, sizeof line, f) != NULL) {
        const char *p = strrchr(line, ')');
        sleeping = p != NULL && p[1] == ' ' && p[2] == 'S';
    }
    fclose(f);
    return sleeping;
}

/* Waits (bounded) until the target thread blocks. */
static bool wait_blocked(struct actor *a)
{
    double end = now_ms() + TIMEOUT_MS;
    while (atomic_load(&a->entering) == 0 && now_ms() < end)
        sched_yield();
    while (now_ms() < end) {
        if (is_sleeping(a->target_tid))
            return true;
        sched_yield();
    }
    return false;
}

/* Waits for `done` until ms have passed; returns it.  Caller holds mu. */
static bool wait_done_locked(struct actor *a, long ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    while (!a->done)
        if (pthread_cond_timedwait(&a->cv, &a->mu, &dl) != 0)
            break;
    return a->done;
}

static void *actor_main(void *arg)
{
    struct actor *a = arg;
    a->saw_blocked = wait_blocked(a);
    a->act(a);
    pthread_mutex_lock(&a->mu);
    bool done = wait_done_locked(a, TIMEOUT_MS);
    if (!done)
        a->rescued = true;
    pthread_mutex_unlock(&a->mu);
    if (!done && a->ctx != NULL)
        zmq_ctx_shutdown(a->ctx);
    return NULL;
}

static void actor_start(struct actor *a, void (*act)(struct actor *), void *ctx,
                        void *sock, int fd)
{
    memset(a, 0, sizeof *a);
    a->target_thread = pthread_self();
    a->target_tid = current_tid();
    a->act = act;
    a->ctx = ctx;
    a->sock = sock;
    a->fd = fd;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    int rc = pthread_create(&a->thread, NULL, actor_main, a);
    CHECK_EQ(rc, 0);
}

/* Called by the target right before the blocking call. */
static void actor_go(struct actor *a)
{
    atomic_store(&a->entering, 1);
}

/* Called by the target after the blocking call returned. */
static void actor_finish(struct actor *a)
{
    pthread_mutex_lock(&a->mu);
    a->done = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    CHECK(a->saw_blocked);
    CHECK(!a->rescued);
}

static void act_send(struct actor *a)
{
    a->rc = zmq_send(a->sock, "wake", 4, 0);
}

static void act_recv_all(struct actor *a)
{
    char buf[16];
    int n = 0;
    while (zmq_recv(a->sock, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        n++;
    a->rc = n;
}

static void act_write(struct actor *a)
{
    a->rc = (int)write(a->fd, "!", 1);
}

/* Connects and disconnects sock to and from ep every millisecond until
 * the target is back (bounded): commands reach the binder, no message. */
static void act_churn(struct actor *a)
{
    pthread_mutex_lock(&a->mu);
    while (!a->done && a->kills < 5000) {
        if (zmq_connect(a->sock, a->ep) != 0 ||
            zmq_disconnect(a->sock, a->ep) != 0)
            a->rc = -1;
        a->kills++;
        wait_done_locked(a, 1);
    }
    pthread_mutex_unlock(&a->mu);
}

static void act_shutdown(struct actor *a)
{
    a->rc = zmq_ctx_shutdown(a->ctx);
}

/* Sends SIGUSR1 to the target every 5 ms until it is back (bounded). */
static void act_kill(struct actor *a)
{
    pthread_mutex_lock(&a->mu);
    while (!a->done && a->kills < 1000) {
        pthread_kill(a->target_thread, SIGUSR1);
        a->kills++;
        wait_done_locked(a, 5);
    }
    pthread_mutex_unlock(&a->mu);
}

/* ------------------------------------------------------------------------ */
/* zmq_poll: sockets                                                         */
/* ------------------------------------------------------------------------ */

static void test_poll_pollin_pull(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://pin", &pull, &push),
             0);

    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0x55};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);

    /* A message sent while the poll sleeps wakes it. */
    struct actor a;
    actor_start(&a, act_send, ctx, push, -1);
    actor_go(&a);
    double t0 = now_ms();
    int rc = zmq_poll(&item, 1, TIMEOUT_MS);
    double took = now_ms() - t0;
    actor_finish(&a);
    CHECK_EQ(a.rc, 4);
    CHECK_EQ(rc, 1);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    CHECK(took < TIMEOUT_MS);

    /* Level: reported again until the message is taken. */
    CHECK_EQ(zmq_poll(&item, 1, 0), 1);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    check_recv(pull, "wake");
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);

    /* A PULL is never writable. */
    item.events = ZMQ_POLLIN | ZMQ_POLLOUT;
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);

    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poll_infinite_woken_by_thread(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://inf", &pull, &push),
             0);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    struct actor a;
    actor_start(&a, act_send, ctx, push, -1);
    actor_go(&a);
    int rc = zmq_poll(&item, 1, -1);
    actor_finish(&a);
    CHECK_EQ(rc, 1);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    check_recv(pull, "wake");
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poll_pollout_push(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);

    /* Without a peer a PUSH cannot send. */
    void *lonely = new_socket(ctx, ZMQ_PUSH);
    zmq_pollitem_t item = {lonely, 0, ZMQ_POLLOUT, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);
    close_socket(lonely);

    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://pout", &pull, &push),
             0);
    item = (zmq_pollitem_t){push, 0, ZMQ_POLLOUT | ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 1);
    CHECK_EQ(item.revents, ZMQ_POLLOUT);
    item.events = ZMQ_POLLIN;
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);

    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poll_pollout_hwm(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    REQUIRE(pull != NULL && push != NULL);
    set_int(pull, ZMQ_RCVHWM, 1);
    set_int(push, ZMQ_SNDHWM, 1);
    CHECK_EQ(zmq_bind(pull, "inproc://hwm"), 0);
    CHECK_EQ(zmq_connect(push, "inproc://hwm"), 0);

    int sent = 0;
    while (sent < 100 && zmq_send(push, "m", 1, ZMQ_DONTWAIT) == 1)
        sent++;
    CHECK_EQ(errno, EAGAIN);
    CHECK(sent >= 1 && sent < 100);

    /* At the high-water mark: no POLLOUT, now or after waiting. */
    zmq_pollitem_t item = {push, 0, ZMQ_POLLOUT, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK_EQ(item.revents, 0);
    CHECK_EQ(zmq_poll(&item, 1, 20), 0);
    CHECK_EQ(item.revents, 0);

    /* The peer draining the queue meanwhile wakes the poll. */
    struct actor a;
    actor_start(&a, act_recv_all, ctx, pull, -1);
    actor_go(&a);
    int rc = zmq_poll(&item, 1, TIMEOUT_MS);
    actor_finish(&a);
    CHECK(a.rc >= 1);
    CHECK_EQ(rc, 1);
    CHECK_EQ(item.revents, ZMQ_POLLOUT);
    CHECK_EQ(zmq_send(push, "m", 1, ZMQ_DONTWAIT), 1);

    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poll_pair_both_ways(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *a, *b;
    CHECK_EQ(make_pair(ctx, ZMQ_PAIR, ZMQ_PAIR, "inproc://pair", &a, &b), 0);
    zmq_pollitem_t items[2] = {{a, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0},
                               {b, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0}};
    CHECK_EQ(zmq_poll(items, 2, 0), 2);
    CHECK_EQ(items[0].revents, ZMQ_POLLOUT);
    CHECK_EQ(items[1].revents, ZMQ_POLLOUT);
    CHECK_EQ(zmq_send(a, "ab", 2, 0), 2);
    CHECK_EQ(zmq_poll(items, 2, TIMEOUT_MS), 2);
    CHECK_EQ(items[0].revents, ZMQ_POLLOUT);
    CHECK_EQ(items[1].revents, ZMQ_POLLIN | ZMQ_POLLOUT);
    check_recv(b, "ab");
    CHECK_EQ(zmq_send(b, "ba", 2, 0), 2);
    items[0].events = items[1].events = ZMQ_POLLIN;
    CHECK_EQ(zmq_poll(items, 2, TIMEOUT_MS), 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, 0);
    check_recv(a, "ba");
    close_socket(a);
    close_socket(b);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poll_timeouts(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, "inproc://timeouts"), 0);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};

    double t0 = now_ms();
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    CHECK(now_ms() - t0 < 1000);

    long waits[] = {1, 30, 100};
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        t0 = now_ms();
        CHECK_EQ(zmq_poll(&item, 1, waits[i]), 0);
        double took = now_ms() - t0;
        CHECK(took >= (double)waits[i]);
        CHECK(took < (double)waits[i] + 2000);
        CHECK_EQ(item.revents, 0);
    }

    /* No items: a plain sleep, or nothing at all. */
    t0 = now_ms();
    CHECK_EQ(zmq_poll(NULL, 0, 50), 0);
    double took = now_ms() - t0;
    CHECK(took >= 50);
    CHECK(took < 2050);
    t0 = now_ms();
    CHECK_EQ(zmq_poll(NULL, 0, 0), 0);
    CHECK_EQ(zmq_poll(NULL, 0, -1), 0);
    CHECK_EQ(zmq_poll(&item, 0, -1), 0);
    CHECK(now_ms() - t0 < 1000);

    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Commands that reach a socket during the wait without making it ready
 * (here: a peer connecting and disconnecting) wake the wait internally;
 * the time asked for must still pass in full.  Each round is a chance for
 * the deadline to be cut short (by up to 1 ms if it is kept in whole
 * milliseconds, depending on the phase of the last wake-up). */
static void check_not_early(bool poller)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    void *push = new_socket(ctx, ZMQ_PUSH);
    const char *ep = poller ? "inproc://early-poller" : "inproc://early-poll";
    CHECK_EQ(zmq_bind(pull, ep), 0);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};
    enum { ROUNDS = 12, WAIT = 20, MAX_SKIPPED = 200 };
    int early = 0, skipped = 0;
    double worst = WAIT;
    for (int i = 0; i < ROUNDS; i++) {
        struct actor a;
        actor_start(&a, act_churn, ctx, push, -1);
        a.ep = ep;
        actor_go(&a);
        double t0 = now_ms();
        if (poller) {
            zmq_poller_event_t ev;
            CHECK_ERR(zmq_poller_wait(p, &ev, WAIT), -1, EAGAIN);
        } else {
            CHECK_EQ(zmq_poll(&item, 1, WAIT), 0);
        }
        double took = now_ms() - t0;
        actor_finish(&a);
        CHECK_EQ(a.rc, 0);
        if (a.kills == 0 && skipped < MAX_SKIPPED) {
            /* The wait was over before the actor saw it block (a slow or
             * loaded machine): nothing was tested; run the round again. */
            skipped++;
            i--;
            continue;
        }
        CHECK(a.kills >= 1);
        if (took < WAIT)
            early++;
        if (took < worst)
            worst = took;
    }
    if (early > 0)
        fprintf(stderr,
                "  %s: %d of %d waits of %d ms ended early, the"
                " shortest after %.3f ms\n",
                poller ? "zmq_poller_wait" : "zmq_poll", early, ROUNDS, WAIT,
                worst);
    CHECK_EQ(early, 0);
    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_timeout_not_early_after_wakeups(void)
{
    check_not_early(false);
    check_not_early(true);
}

/* ------------------------------------------------------------------------ */
/* zmq_poll: descriptors, mixed items                                        */
/* ------------------------------------------------------------------------ */

static void test_poll_fds(void)
{
    int fds[2];
    make_pipe(fds);
    zmq_pollitem_t items[2] = {{NULL, fds[0], ZMQ_POLLIN, 0},
                               {NULL, fds[1], ZMQ_POLLOUT, 0}};
    CHECK_EQ(zmq_poll(&items[0], 1, 0), 0);
    CHECK_EQ(items[0].revents, 0);
    CHECK_EQ(zmq_poll(&items[1], 1, 0), 1);
    CHECK_EQ(items[1].revents, ZMQ_POLLOUT);
    CHECK_EQ(zmq_poll(items, 2, 0), 1);
    CHECK_EQ(items[0].revents, 0);
    CHECK_EQ(items[1].revents, ZMQ_POLLOUT);

    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(zmq_poll(items, 2, 0), 2);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, ZMQ_POLLOUT);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_EQ(zmq_poll(&items[0], 1, 0), 0);

    /* A write from another thread wakes a blocked poll. */
    struct actor a;
    actor_start(&a, act_write, NULL, NULL, fds[1]);
    actor_go(&a);
    int rc = zmq_poll(&items[0], 1, TIMEOUT_MS);
    actor_finish(&a);
    CHECK_EQ(a.rc, 1);
    CHECK_EQ(rc, 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(read(fds[0], &c, 1), 1);

    /* A negative descriptor is never ready. */
    zmq_pollitem_t neg = {NULL, -1, ZMQ_POLLIN | ZMQ_POLLOUT, 0x7};
    CHECK_EQ(zmq_poll(&neg, 1, 0), 0);
    CHECK_EQ(neg.revents, 0);

    close_pipe(fds);
}

static void test_poll_fd_invalid_is_pollerr(void)
{
    int bad = closed_fd();
    /* ZMQ_POLLERR is reported whatever the events asked for. */
    short asks[] = {ZMQ_POLLIN, ZMQ_POLLOUT, 0};
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
        zmq_pollitem_t item = {NULL, bad, asks[i], 0};
        double t0 = now_ms();
        CHECK_EQ(zmq_poll(&item, 1, TIMEOUT_MS), 1);
        CHECK_EQ(item.revents, ZMQ_POLLERR);
        CHECK(now_ms() - t0 < 1000);
    }

    /* The write end of a pipe whose reader is gone has an error. */
    int fds[2];
    make_pipe(fds);
    close(fds[0]);
    fds[0] = -1;
    zmq_pollitem_t item = {NULL, fds[1], ZMQ_POLLOUT, 0};
    CHECK_EQ(zmq_poll(&item, 1, TIMEOUT_MS), 1);
    CHECK(item.revents & ZMQ_POLLERR);
    close_pipe(fds);

    /* The read end of a pipe whose writer is gone: hang-up, readable. */
    make_pipe(fds);
    close(fds[1]);
    fds[1] = -1;
    item = (zmq_pollitem_t){NULL, fds[0], ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, TIMEOUT_MS), 1);
    CHECK(item.revents & ZMQ_POLLIN);
    close_pipe(fds);
}

static void test_poll_mixed(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://mixed", &pull, &push),
             0);
    int fds[2];
    make_pipe(fds);
    zmq_pollitem_t items[4] = {{pull, 0, ZMQ_POLLIN, 0},
                               {NULL, fds[0], ZMQ_POLLIN, 0},
                               {push, 0, ZMQ_POLLOUT, 0},
                               {NULL, fds[1], 0, 0}};
    CHECK_EQ(zmq_poll(items, 4, 0), 1);
    CHECK_EQ(items[0].revents, 0);
    CHECK_EQ(items[1].revents, 0);
    CHECK_EQ(items[2].revents, ZMQ_POLLOUT);
    CHECK_EQ(items[3].revents, 0);

    /* Only the descriptor ready among the readers. */
    items[2].events = 0;
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(zmq_poll(items, 4, TIMEOUT_MS), 1);
    CHECK_EQ(items[0].revents, 0);
    CHECK_EQ(items[1].revents, ZMQ_POLLIN);
    CHECK_EQ(items[2].revents, 0);

    /* Then both. */
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    CHECK_EQ(zmq_poll(items, 4, TIMEOUT_MS), 2);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, ZMQ_POLLIN);

    /* Only the socket. */
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_EQ(zmq_poll(items, 4, TIMEOUT_MS), 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, 0);
    check_recv(pull, "m");

    /* Nothing: the socket's descriptor and the pipe both idle. */
    CHECK_EQ(zmq_poll(items, 4, 10), 0);

    /* The socket wakes a wait that also watches a descriptor. */
    struct actor a;
    actor_start(&a, act_send, ctx, push, -1);
    actor_go(&a);
    int rc = zmq_poll(items, 2, -1);
    actor_finish(&a);
    CHECK_EQ(rc, 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, 0);
    check_recv(pull, "wake");

    close_pipe(fds);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* More items than fit the call's stack arrays. */
static void test_poll_many_items(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://many", &pull, &push),
             0);
    enum { N = 40, S = 25 }; /* item S is the PULL */
    int fds[N][2];
    zmq_pollitem_t items[N];
    for (int i = 0; i < N; i++) {
        fds[i][0] = fds[i][1] = -1;
        if (i == S) {
            items[i] = (zmq_pollitem_t){pull, 0, ZMQ_POLLIN, 0};
            continue;
        }
        make_pipe(fds[i]);
        items[i] = (zmq_pollitem_t){NULL, fds[i][0], ZMQ_POLLIN, 0};
    }
    CHECK_EQ(zmq_poll(items, N, 0), 0);
    CHECK_EQ(write(fds[33][1], "x", 1), 1);
    CHECK_EQ(write(fds[17][1], "x", 1), 1);
    CHECK_EQ(zmq_poll(items, N, TIMEOUT_MS), 2);
    for (int i = 0; i < N; i++)
        CHECK_EQ(items[i].revents, (i == 17 || i == 33) ? ZMQ_POLLIN : 0);
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    CHECK_EQ(zmq_poll(items, N, TIMEOUT_MS), 3);
    CHECK_EQ(items[S].revents, ZMQ_POLLIN);
    check_recv(pull, "m");
    for (int i = 0; i < N; i++)
        close_pipe(fds[i]);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* zmq_poll: thread-safe sockets                                             */
/* ------------------------------------------------------------------------ */

/* receiver must see `sender`'s message; both must be writable. */
static void check_pollin_after_send(void *sender, void *receiver)
{
    zmq_pollitem_t items[2] = {{receiver, 0, ZMQ_POLLIN, 0},
                               {sender, 0, ZMQ_POLLOUT, 0}};
    CHECK_EQ(zmq_poll(items, 2, TIMEOUT_MS), 1);
    CHECK_EQ(items[0].revents, 0);
    CHECK_EQ(items[1].revents, ZMQ_POLLOUT);
    CHECK_EQ(zmq_send(sender, "ts", 2, 0), 2);
    items[1].events = 0;
    CHECK_EQ(zmq_poll(items, 2, TIMEOUT_MS), 1);
    CHECK_EQ(items[0].revents, ZMQ_POLLIN);
    CHECK_EQ(items[1].revents, 0);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, receiver, ZMQ_DONTWAIT), 2);
    zmq_msg_close(&m);
    items[0].events = ZMQ_POLLIN;
    CHECK_EQ(zmq_poll(items, 1, 0), 0);
}

static void test_poll_threadsafe_sockets(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);

    void *srv, *cli;
    CHECK_EQ(
        make_pair(ctx, ZMQ_SERVER, ZMQ_CLIENT, "inproc://ts-sc", &srv, &cli),
        0);
    check_pollin_after_send(cli, srv);
    /* A SERVER is always writable, even without a connection. */
    void *lone = new_socket(ctx, ZMQ_SERVER);
    zmq_pollitem_t it = {lone, 0, ZMQ_POLLOUT | ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&it, 1, 0), 1);
    CHECK_EQ(it.revents, ZMQ_POLLOUT);
    close_socket(lone);

    void *ch1, *ch2;
    CHECK_EQ(
        make_pair(ctx, ZMQ_CHANNEL, ZMQ_CHANNEL, "inproc://ts-ch", &ch1, &ch2),
        0);
    check_pollin_after_send(ch2, ch1);
    check_pollin_after_send(ch1, ch2);

    void *gather, *scatter;
    CHECK_EQ(make_pair(ctx, ZMQ_GATHER, ZMQ_SCATTER, "inproc://ts-gs", &gather,
                       &scatter),
             0);
    check_pollin_after_send(scatter, gather);

    /* PEER: the connecting side learns the peer's id. */
    void *p1 = new_socket(ctx, ZMQ_PEER);
    void *p2 = new_socket(ctx, ZMQ_PEER);
    CHECK_EQ(zmq_bind(p1, "inproc://ts-peer"), 0);
    uint32_t id = zmq_connect_peer(p2, "inproc://ts-peer");
    CHECK(id != 0);
    zmq_pollitem_t pitems[2] = {{p1, 0, ZMQ_POLLIN, 0},
                                {p2, 0, ZMQ_POLLOUT, 0}};
    CHECK_EQ(zmq_poll(pitems, 2, 0), 1);
    CHECK_EQ(pitems[0].revents, 0);
    CHECK_EQ(pitems[1].revents, ZMQ_POLLOUT);
    zmq_msg_t m;
    CHECK_EQ(zmq_msg_init_buffer(&m, "hi", 2), 0);
    CHECK_EQ(zmq_msg_set_routing_id(&m, id), 0);
    CHECK_EQ(zmq_msg_send(&m, p2, 0), 2);
    CHECK_EQ(zmq_poll(pitems, 1, TIMEOUT_MS), 1);
    CHECK_EQ(pitems[0].revents, ZMQ_POLLIN);
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, p1, ZMQ_DONTWAIT), 2);
    CHECK(zmq_msg_routing_id(&m) != 0);
    zmq_msg_close(&m);

    void *all[] = {srv, cli, ch1, ch2, gather, scatter, p1, p2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        close_socket(all[i]);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* A CLIENT in another thread wakes a poll blocked on its SERVER. */
static void test_poll_server_woken_by_client_thread(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv, *cli;
    CHECK_EQ(
        make_pair(ctx, ZMQ_SERVER, ZMQ_CLIENT, "inproc://ts-wake", &srv, &cli),
        0);
    zmq_pollitem_t item = {srv, 0, ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, 0), 0);
    struct actor a;
    actor_start(&a, act_send, ctx, cli, -1);
    actor_go(&a);
    int rc = zmq_poll(&item, 1, -1);
    actor_finish(&a);
    CHECK_EQ(a.rc, 4);
    CHECK_EQ(rc, 1);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, srv, ZMQ_DONTWAIT), 4);
    uint32_t id = zmq_msg_routing_id(&m);
    CHECK(id != 0);
    zmq_msg_close(&m);
    /* And the other way. */
    CHECK_EQ(zmq_msg_init_buffer(&m, "back", 4), 0);
    CHECK_EQ(zmq_msg_set_routing_id(&m, id), 0);
    CHECK_EQ(zmq_msg_send(&m, srv, 0), 4);
    item = (zmq_pollitem_t){cli, 0, ZMQ_POLLIN, 0};
    CHECK_EQ(zmq_poll(&item, 1, TIMEOUT_MS), 1);
    CHECK_EQ(item.revents, ZMQ_POLLIN);
    check_recv(cli, "back");
    close_socket(cli);
    close_socket(srv);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* zmq_poll: errors                                                          */
/* ------------------------------------------------------------------------ */

static void test_poll_errors(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};

    CHECK_ERR(zmq_poll(&item, -1, 0), -1, EINVAL);
    CHECK_ERR(zmq_poll(NULL, 1, 0), -1, EFAULT);
    CHECK_ERR(zmq_ppoll(&item, -1, 0, NULL), -1, EINVAL);
    CHECK_ERR(zmq_ppoll(NULL, 1, 0, NULL), -1, EFAULT);

    /* Not a socket: ENOTSOCK, revents left as they were. */
    memset(fake_object, 0, sizeof fake_object);
    zmq_pollitem_t items[2] = {{pull, 0, ZMQ_POLLIN, 0x11},
                               {fake_object, 0, ZMQ_POLLIN, 0x22}};
    CHECK_ERR(zmq_poll(items, 2, 0), -1, ENOTSOCK);
    CHECK_EQ(items[0].revents, 0x11);
    CHECK_EQ(items[1].revents, 0x22);
    CHECK_ERR(zmq_ppoll(items, 2, 0, NULL), -1, ENOTSOCK);
    /* A context is not a socket either. */
    items[1].socket = ctx;
    CHECK_ERR(zmq_poll(items, 2, 0), -1, ENOTSOCK);

    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poll_eterm(void)
{
    /* Shut down before the call. */
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0x33};
    CHECK_ERR(zmq_poll(&item, 1, 0), -1, ETERM);
    CHECK_ERR(zmq_poll(&item, 1, TIMEOUT_MS), -1, ETERM);
    CHECK_EQ(item.revents, 0x33);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);

    /* Shut down while blocked. */
    ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://eterm", &pull, &push),
             0);
    int fds[2];
    make_pipe(fds);
    zmq_pollitem_t items[2] = {{NULL, fds[0], ZMQ_POLLIN, 0},
                               {pull, 0, ZMQ_POLLIN, 0}};
    struct actor a;
    actor_start(&a, act_shutdown, NULL, NULL, -1);
    a.ctx = ctx;
    actor_go(&a);
    errno = 0;
    int rc = zmq_poll(items, 2, TIMEOUT_MS);
    int err = errno;
    actor_finish(&a);
    CHECK_EQ(a.rc, 0);
    CHECK_EQ(rc, -1);
    CHECK_EQ(err, ETERM);
    close_pipe(fds);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);

    /* A thread-safe socket, waiting for ever. */
    ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    CHECK_EQ(zmq_bind(srv, "inproc://eterm-ts"), 0);
    item = (zmq_pollitem_t){srv, 0, ZMQ_POLLIN, 0};
    actor_start(&a, act_shutdown, NULL, NULL, -1);
    a.ctx = ctx;
    actor_go(&a);
    errno = 0;
    rc = zmq_poll(&item, 1, -1);
    err = errno;
    actor_finish(&a);
    CHECK_EQ(rc, -1);
    CHECK_EQ(err, ETERM);
    close_socket(srv);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* A socket item with events 0 is never reported, and waiting on it must
 * not turn into a busy loop when commands reach the socket. */
static void test_poll_events_zero_no_busy_wait(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://zero", &pull, &push),
             0);
    CHECK_EQ(events_of(pull), 0);
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    zmq_pollitem_t item = {pull, 0, 0, 0x44};
    double t0 = now_ms();
    double c0 = thread_cpu_ms();
    CHECK_EQ(zmq_poll(&item, 1, 200), 0);
    double cpu = thread_cpu_ms() - c0;
    double took = now_ms() - t0;
    CHECK_EQ(item.revents, 0);
    CHECK(took >= 199); /* see test_timeout_not_early_after_wakeups */
    if (cpu >= took / 4)
        fprintf(stderr, "  busy wait: %.0f ms of CPU in a %.0f ms poll\n", cpu,
                took);
    CHECK(cpu < took / 4);
    /* The message is still there. */
    item.events = ZMQ_POLLIN;
    CHECK_EQ(zmq_poll(&item, 1, 0), 1);
    check_recv(pull, "m");
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* zmq_ppoll                                                                 */
/* ------------------------------------------------------------------------ */

static atomic_int sigusr1_count;

static void on_sigusr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&sigusr1_count, 1);
}

static void install_sigusr1(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    CHECK_EQ(sigaction(SIGUSR1, &sa, old), 0);
    atomic_store(&sigusr1_count, 0);
}

/* A signal pending before the call: the mask given decides. */
static void test_ppoll_pending_signal(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, "inproc://ppoll"), 0);
    zmq_pollitem_t item = {pull, 0, ZMQ_POLLIN, 0};

    struct sigaction old;
    install_sigusr1(&old);
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &block, &saved), 0);
    sigset_t blocking; /* the thread's mask: SIGUSR1 blocked */
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, NULL, &blocking), 0);
    CHECK_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
    sigset_t pending;
    sigpending(&pending);
    CHECK(sigismember(&pending, SIGUSR1));

    /* Still blocked during the wait: a normal timeout. */
    double t0 = now_ms();
    CHECK_EQ(zmq_ppoll(&item, 1, 50, &blocking), 0);
    CHECK(now_ms() - t0 >= 50);
    CHECK_EQ(atomic_load(&sigusr1_count), 0);
    /* NULL mask: plain zmq_poll, the mask stays. */
    CHECK_EQ(zmq_ppoll(&item, 1, 0, NULL), 0);
    CHECK_EQ(atomic_load(&sigusr1_count), 0);

    /* Unblocked during the wait: delivered at once, EINTR. */
    sigset_t empty;
    sigemptyset(&empty);
    t0 = now_ms();
    CHECK_ERR(zmq_ppoll(&item, 1, TIMEOUT_MS, &empty), -1, EINTR);
    CHECK(now_ms() - t0 < 1000);
    CHECK_EQ(atomic_load(&sigusr1_count), 1);
    /* The mask is back: SIGUSR1 blocked again, nothing pending. */
    sigset_t now;
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, NULL, &now), 0);
    CHECK(sigismember(&now, SIGUSR1));
    sigpending(&pending);
    CHECK(!sigismember(&pending, SIGUSR1));

    CHECK_EQ(pthread_sigmask(SIG_SETMASK, &saved, NULL), 0);
    CHECK_EQ(sigaction(SIGUSR1, &old, NULL), 0);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Signals from another thread while the call waits. */
static void test_ppoll_signal_from_thread(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, "inproc://ppoll-thread"), 0);
    int fds[2];
    make_pipe(fds);
    zmq_pollitem_t items[2] = {{pull, 0, ZMQ_POLLIN, 0},
                               {NULL, fds[0], ZMQ_POLLIN, 0}};

    struct sigaction old;
    install_sigusr1(&old);
    sigset_t unblock, saved;
    sigemptyset(&unblock);
    sigaddset(&unblock, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &unblock, &saved), 0);

    /* The mask given blocks SIGUSR1: the wait runs to its timeout. */
    sigset_t blocking;
    sigemptyset(&blocking);
    sigaddset(&blocking, SIGUSR1);
    struct actor a;
    actor_start(&a, act_kill, ctx, NULL, -1);
    actor_go(&a);
    double t0 = now_ms();
    int rc = zmq_ppoll(items, 2, 300, &blocking);
    double took = now_ms() - t0;
    actor_finish(&a);
    CHECK_EQ(rc, 0);
    CHECK(took >= 300);
    CHECK(a.kills >= 1);

    /* An empty mask: the first signal during the wait ends it. */
    sigset_t empty;
    sigemptyset(&empty);
    actor_start(&a, act_kill, ctx, NULL, -1);
    actor_go(&a);
    t0 = now_ms();
    errno = 0;
    rc = zmq_ppoll(items, 2, TIMEOUT_MS, &empty);
    int err = errno;
    took = now_ms() - t0;
    actor_finish(&a);
    CHECK_EQ(rc, -1);
    CHECK_EQ(err, EINTR);
    CHECK(took < TIMEOUT_MS);
    CHECK(atomic_load(&sigusr1_count) >= 1);

    /* zmq_poll itself is interrupted the same way. */
    actor_start(&a, act_kill, ctx, NULL, -1);
    actor_go(&a);
    errno = 0;
    rc = zmq_poll(items, 2, TIMEOUT_MS);
    err = errno;
    actor_finish(&a);
    CHECK_EQ(rc, -1);
    CHECK_EQ(err, EINTR);

    CHECK_EQ(pthread_sigmask(SIG_SETMASK, &saved, NULL), 0);
    CHECK_EQ(sigaction(SIGUSR1, &old, NULL), 0);
    close_pipe(fds);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* zmq_poller: lifetime and items                                            */
/* ------------------------------------------------------------------------ */

static void test_poller_new_destroy(void)
{
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_size(p), 0);
    CHECK_EQ(zmq_poller_destroy(&p), 0);
    CHECK(p == NULL);
    CHECK_ERR(zmq_poller_destroy(&p), -1, EFAULT);
    CHECK_ERR(zmq_poller_destroy(NULL), -1, EFAULT);

    memset(fake_object, 0, sizeof fake_object);
    void *fake = fake_object;
    CHECK_ERR(zmq_poller_destroy(&fake), -1, EFAULT);
    CHECK(fake == fake_object);
    CHECK_ERR(zmq_poller_size(fake), -1, EFAULT);
    CHECK_ERR(zmq_poller_size(NULL), -1, EFAULT);
    zmq_poller_event_t ev;
    CHECK_ERR(zmq_poller_wait(fake, &ev, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait_all(fake, &ev, 1, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_add_fd(fake, 0, NULL, ZMQ_POLLIN), -1, EFAULT);
    zmq_fd_t fd;
    CHECK_ERR(zmq_poller_fd(fake, &fd), -1, EFAULT);

    /* Two pollers are independent. */
    void *p1 = zmq_poller_new();
    void *p2 = zmq_poller_new();
    REQUIRE(p1 != NULL && p2 != NULL);
    CHECK(p1 != p2);
    int fds[2];
    make_pipe(fds);
    CHECK_EQ(zmq_poller_add_fd(p1, fds[0], NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_size(p1), 1);
    CHECK_EQ(zmq_poller_size(p2), 0);
    CHECK_EQ(zmq_poller_destroy(&p1), 0);
    CHECK_EQ(zmq_poller_destroy(&p2), 0);
    /* Destroying a poller leaves its descriptors open. */
    CHECK(fcntl(fds[0], F_GETFD) >= 0);
    close_pipe(fds);
}

static void test_poller_sockets(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://items", &pull, &push),
             0);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    memset(fake_object, 0, sizeof fake_object);

    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_size(p), 1);
    CHECK_ERR(zmq_poller_add(p, pull, NULL, ZMQ_POLLOUT), -1, EINVAL);
    CHECK_ERR(zmq_poller_add(p, fake_object, NULL, ZMQ_POLLIN), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_add(p, NULL, NULL, ZMQ_POLLIN), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_add(p, ctx, NULL, ZMQ_POLLIN), -1, ENOTSOCK);
    CHECK_EQ(zmq_poller_size(p), 1);

    CHECK_EQ(zmq_poller_modify(p, pull, ZMQ_POLLIN | ZMQ_POLLOUT), 0);
    CHECK_ERR(zmq_poller_modify(p, push, ZMQ_POLLOUT), -1, EINVAL);
    CHECK_ERR(zmq_poller_modify(p, fake_object, ZMQ_POLLIN), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_modify(p, NULL, ZMQ_POLLIN), -1, ENOTSOCK);

    CHECK_EQ(zmq_poller_add(p, push, NULL, ZMQ_POLLOUT), 0);
    CHECK_EQ(zmq_poller_size(p), 2);
    CHECK_ERR(zmq_poller_remove(p, fake_object), -1, ENOTSOCK);
    CHECK_ERR(zmq_poller_remove(p, NULL), -1, ENOTSOCK);
    CHECK_EQ(zmq_poller_remove(p, pull), 0);
    CHECK_EQ(zmq_poller_size(p), 1);
    CHECK_ERR(zmq_poller_remove(p, pull), -1, EINVAL);
    CHECK_ERR(zmq_poller_modify(p, pull, ZMQ_POLLIN), -1, EINVAL);

    /* What remains is the PUSH, ready to send. */
    zmq_poller_event_t ev;
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == push);
    CHECK_EQ(ev.events, ZMQ_POLLOUT);

    /* Added again after removal. */
    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_remove(p, push), 0);
    CHECK_EQ(zmq_poller_size(p), 1);
    CHECK_ERR(zmq_poller_wait(p, &ev, 0), -1, EAGAIN);

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poller_fds(void)
{
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    int fds[2];
    make_pipe(fds);
    int bad = closed_fd();

    CHECK_ERR(zmq_poller_add_fd(p, -1, NULL, ZMQ_POLLIN), -1, EBADF);
    CHECK_ERR(zmq_poller_add_fd(p, bad, NULL, ZMQ_POLLIN), -1, EBADF);
    CHECK_EQ(zmq_poller_size(p), 0);
    CHECK_EQ(zmq_poller_add_fd(p, fds[0], NULL, ZMQ_POLLIN), 0);
    CHECK_ERR(zmq_poller_add_fd(p, fds[0], NULL, ZMQ_POLLOUT), -1, EINVAL);
    CHECK_EQ(zmq_poller_size(p), 1);

    CHECK_EQ(zmq_poller_modify_fd(p, fds[0], ZMQ_POLLIN | ZMQ_POLLPRI), 0);
    CHECK_ERR(zmq_poller_modify_fd(p, fds[1], ZMQ_POLLOUT), -1, EINVAL);
    CHECK_ERR(zmq_poller_modify_fd(p, -1, ZMQ_POLLOUT), -1, EBADF);
    CHECK_ERR(zmq_poller_modify_fd(p, bad, ZMQ_POLLOUT), -1, EINVAL);

    CHECK_EQ(zmq_poller_add_fd(p, fds[1], NULL, ZMQ_POLLOUT), 0);
    CHECK_EQ(zmq_poller_size(p), 2);
    CHECK_ERR(zmq_poller_remove_fd(p, -1), -1, EBADF);
    CHECK_ERR(zmq_poller_remove_fd(p, bad), -1, EINVAL);
    CHECK_EQ(zmq_poller_remove_fd(p, fds[0]), 0);
    CHECK_ERR(zmq_poller_remove_fd(p, fds[0]), -1, EINVAL);
    CHECK_ERR(zmq_poller_modify_fd(p, fds[0], ZMQ_POLLIN), -1, EINVAL);
    CHECK_EQ(zmq_poller_size(p), 1);

    /* The write end is ready. */
    zmq_poller_event_t ev;
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == NULL);
    CHECK_EQ(ev.fd, fds[1]);
    CHECK_EQ(ev.events, ZMQ_POLLOUT);

    CHECK_EQ(zmq_poller_remove_fd(p, fds[1]), 0);
    CHECK_EQ(zmq_poller_size(p), 0);
    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_pipe(fds);
}

/* ------------------------------------------------------------------------ */
/* zmq_poller: waiting                                                       */
/* ------------------------------------------------------------------------ */

static void test_poller_wait(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://wait", &pull, &push),
             0);
    int fds[2];
    make_pipe(fds);
    int tag_sock = 1, tag_fd = 2;
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull, &tag_sock, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add_fd(p, fds[0], &tag_fd, ZMQ_POLLIN), 0);

    zmq_poller_event_t ev;
    CHECK_ERR(zmq_poller_wait(p, NULL, 0), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait(p, &ev, 0), -1, EAGAIN);
    double t0 = now_ms();
    CHECK_ERR(zmq_poller_wait(p, &ev, 50), -1, EAGAIN);
    double took = now_ms() - t0;
    CHECK(took >= 50);
    CHECK(took < 2050);

    /* A socket event. */
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    memset(&ev, 0xAB, sizeof ev);
    CHECK_EQ(zmq_poller_wait(p, &ev, TIMEOUT_MS), 0);
    CHECK(ev.socket == pull);
    CHECK_EQ(ev.fd, 0);
    CHECK(ev.user_data == &tag_sock);
    CHECK_EQ(ev.events, ZMQ_POLLIN);
    /* Level: again until taken. */
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == pull);
    check_recv(pull, "m");
    CHECK_ERR(zmq_poller_wait(p, &ev, 0), -1, EAGAIN);

    /* A descriptor event, woken from another thread. */
    struct actor a;
    actor_start(&a, act_write, ctx, NULL, fds[1]);
    actor_go(&a);
    memset(&ev, 0xAB, sizeof ev);
    int rc = zmq_poller_wait(p, &ev, -1);
    actor_finish(&a);
    CHECK_EQ(rc, 0);
    CHECK(ev.socket == NULL);
    CHECK_EQ(ev.fd, fds[0]);
    CHECK(ev.user_data == &tag_fd);
    CHECK_EQ(ev.events, ZMQ_POLLIN);

    /* Both ready: the first one added comes first. */
    CHECK_EQ(zmq_send(push, "n", 1, 0), 1);
    CHECK_EQ(zmq_poller_wait(p, &ev, TIMEOUT_MS), 0);
    CHECK(ev.socket == pull);
    check_recv(pull, "n");
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == NULL);
    CHECK_EQ(ev.fd, fds[0]);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_ERR(zmq_poller_wait(p, &ev, 0), -1, EAGAIN);

    /* A socket woken from another thread, waiting for ever. */
    actor_start(&a, act_send, ctx, push, -1);
    actor_go(&a);
    rc = zmq_poller_wait(p, &ev, -1);
    actor_finish(&a);
    CHECK_EQ(rc, 0);
    CHECK(ev.socket == pull);
    CHECK(ev.user_data == &tag_sock);
    CHECK_EQ(ev.events, ZMQ_POLLIN);
    check_recv(pull, "wake");

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_pipe(fds);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poller_empty(void)
{
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    zmq_poller_event_t ev[2];
    double t0 = now_ms();
    CHECK_ERR(zmq_poller_wait(p, ev, -1), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait_all(p, ev, 2, -1), -1, EFAULT);
    CHECK_ERR(zmq_poller_wait(p, ev, 0), -1, EAGAIN);
    CHECK_ERR(zmq_poller_wait_all(p, ev, 2, 0), -1, EAGAIN);
    CHECK(now_ms() - t0 < 1000);
    t0 = now_ms();
    CHECK_ERR(zmq_poller_wait(p, ev, 10), -1, EAGAIN);
    double took = now_ms() - t0;
    CHECK(took >= 10);
    CHECK(took < 2010);
    t0 = now_ms();
    CHECK_ERR(zmq_poller_wait_all(p, ev, 2, 10), -1, EAGAIN);
    took = now_ms() - t0;
    CHECK(took >= 10);
    CHECK(took < 2010);
    CHECK_EQ(zmq_poller_destroy(&p), 0);
}

static void test_poller_wait_all(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull1, *push1, *pull2, *push2;
    CHECK_EQ(
        make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://all1", &pull1, &push1), 0);
    CHECK_EQ(
        make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://all2", &pull2, &push2), 0);
    int fds[2];
    make_pipe(fds);
    int t1 = 1, t2 = 2, t3 = 3;
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull1, &t1, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add_fd(p, fds[0], &t3, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add(p, pull2, &t2, ZMQ_POLLIN), 0);

    zmq_poller_event_t ev[4];
    CHECK_ERR(zmq_poller_wait_all(p, NULL, 4, 0), -1, EINVAL);
    CHECK_ERR(zmq_poller_wait_all(p, ev, -1, 0), -1, EINVAL);
    CHECK_ERR(zmq_poller_wait_all(p, ev, 4, 0), -1, EAGAIN);
    CHECK_ERR(zmq_poller_wait_all(p, ev, 4, 20), -1, EAGAIN);

    CHECK_EQ(zmq_send(push2, "b", 1, 0), 1);
    CHECK_EQ(zmq_send(push1, "a", 1, 0), 1);
    /* Both sockets, in the order they were added. */
    memset(ev, 0xAB, sizeof ev);
    CHECK_EQ(zmq_poller_wait_all(p, ev, 4, TIMEOUT_MS), 2);
    CHECK(ev[0].socket == pull1);
    CHECK(ev[0].user_data == &t1);
    CHECK_EQ(ev[0].fd, 0);
    CHECK_EQ(ev[0].events, ZMQ_POLLIN);
    CHECK(ev[1].socket == pull2);
    CHECK(ev[1].user_data == &t2);
    CHECK_EQ(ev[1].events, ZMQ_POLLIN);
    /* Entries past the count are not written. */
    unsigned char untouched[sizeof ev[2]];
    memset(untouched, 0xAB, sizeof untouched);
    CHECK(memcmp(&ev[2], untouched, sizeof untouched) == 0);

    /* Bounded by n_events: the first ready item only. */
    CHECK_EQ(zmq_poller_wait_all(p, ev, 1, 0), 1);
    CHECK(ev[0].socket == pull1);
    /* n_events 0: nothing stored. */
    CHECK_EQ(zmq_poller_wait_all(p, ev, 0, 0), 0);

    /* Three ready, with the descriptor between the sockets. */
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(zmq_poller_wait_all(p, ev, 4, 0), 3);
    CHECK(ev[0].socket == pull1);
    CHECK(ev[1].socket == NULL);
    CHECK_EQ(ev[1].fd, fds[0]);
    CHECK(ev[1].user_data == &t3);
    CHECK(ev[2].socket == pull2);
    CHECK_EQ(zmq_poller_wait_all(p, ev, 2, 0), 2);
    CHECK(ev[0].socket == pull1);
    CHECK(ev[1].socket == NULL);

    check_recv(pull1, "a");
    CHECK_EQ(zmq_poller_wait_all(p, ev, 4, 0), 2);
    CHECK(ev[0].socket == NULL);
    CHECK(ev[1].socket == pull2);
    check_recv(pull2, "b");
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_ERR(zmq_poller_wait_all(p, ev, 4, 0), -1, EAGAIN);

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_pipe(fds);
    void *all[] = {push1, pull1, push2, pull2};
    for (size_t i = 0; i < 4; i++)
        close_socket(all[i]);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poller_modify_to_zero(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://mod0", &pull, &push),
             0);
    int fds[2];
    make_pipe(fds);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add_fd(p, fds[0], NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    zmq_poller_event_t ev[2];
    CHECK_EQ(zmq_poller_wait_all(p, ev, 2, TIMEOUT_MS), 2);

    CHECK_EQ(zmq_poller_modify(p, pull, 0), 0);
    CHECK_EQ(zmq_poller_wait_all(p, ev, 2, 0), 1);
    CHECK(ev[0].socket == NULL);
    CHECK_EQ(zmq_poller_modify_fd(p, fds[0], 0), 0);
    CHECK_ERR(zmq_poller_wait_all(p, ev, 2, 0), -1, EAGAIN);
    CHECK_ERR(zmq_poller_wait(p, ev, 20), -1, EAGAIN);

    /* Back on: reported again. */
    CHECK_EQ(zmq_poller_modify(p, pull, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_wait(p, ev, 0), 0);
    CHECK(ev[0].socket == pull);
    CHECK_EQ(zmq_poller_modify_fd(p, fds[0], ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_wait_all(p, ev, 2, 0), 2);

    /* POLLOUT asked for instead of POLLIN: a PULL never has it. */
    CHECK_EQ(zmq_poller_modify(p, pull, ZMQ_POLLOUT), 0);
    CHECK_EQ(zmq_poller_wait_all(p, ev, 2, 0), 1);
    CHECK(ev[0].socket == NULL);

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_pipe(fds);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Items with events 0 must not make a wait spin: neither a socket that
 * gets commands nor a descriptor that hung up. */
static void test_poller_events_zero_no_busy_wait(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://spin", &pull, &push),
             0);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull, NULL, 0), 0);
    CHECK_EQ(events_of(pull), 0);
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    zmq_poller_event_t ev;
    double t0 = now_ms();
    double c0 = thread_cpu_ms();
    CHECK_ERR(zmq_poller_wait(p, &ev, 200), -1, EAGAIN);
    double cpu = thread_cpu_ms() - c0;
    double took = now_ms() - t0;
    CHECK(took >= 199); /* see test_timeout_not_early_after_wakeups */
    if (cpu >= took / 4)
        fprintf(stderr, "  socket: %.0f ms of CPU in a %.0f ms wait\n", cpu,
                took);
    CHECK(cpu < took / 4);
    CHECK_EQ(zmq_poller_remove(p, pull), 0);

    /* A pipe whose writer is gone, kept with events 0 (or with an event
     * the hang-up does not stand for): reported, or a quiet timeout. */
    short asks[] = {0, ZMQ_POLLOUT};
    for (size_t i = 0; i < 2; i++) {
        int fds[2];
        make_pipe(fds);
        close(fds[1]);
        fds[1] = -1;
        CHECK_EQ(zmq_poller_add_fd(p, fds[0], NULL, asks[i]), 0);
        t0 = now_ms();
        c0 = thread_cpu_ms();
        int rc = zmq_poller_wait(p, &ev, 200);
        int err = errno;
        cpu = thread_cpu_ms() - c0;
        took = now_ms() - t0;
        if (rc == 0) {
            CHECK_EQ(ev.fd, fds[0]);
        } else {
            CHECK_EQ(err, EAGAIN);
            CHECK(took >= 199); /* see test_timeout_not_early_after_wakeups */
            if (cpu >= took / 4)
                fprintf(stderr,
                        "  hung-up fd, events %d: %.0f ms of CPU in a %.0f ms"
                        " wait\n",
                        asks[i], cpu, took);
            CHECK(cpu < took / 4);
        }
        CHECK_EQ(zmq_poller_remove_fd(p, fds[0]), 0);
        close_pipe(fds);
    }

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_socket(push);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poller_pollout_and_pollerr(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv = new_socket(ctx, ZMQ_SERVER);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, srv, NULL, ZMQ_POLLOUT | ZMQ_POLLIN), 0);
    zmq_poller_event_t ev;
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == srv);
    CHECK_EQ(ev.events, ZMQ_POLLOUT);
    CHECK_EQ(zmq_poller_remove(p, srv), 0);

    /* A pipe's write end whose reader went away: ZMQ_POLLERR even when
     * only ZMQ_POLLIN was asked for. */
    int fds[2];
    make_pipe(fds);
    close(fds[0]);
    fds[0] = -1;
    CHECK_EQ(zmq_poller_add_fd(p, fds[1], NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_wait(p, &ev, TIMEOUT_MS), 0);
    CHECK_EQ(ev.fd, fds[1]);
    CHECK(ev.events & ZMQ_POLLERR);
    CHECK(!(ev.events & ZMQ_POLLOUT));
    CHECK_EQ(zmq_poller_remove_fd(p, fds[1]), 0);
    close_pipe(fds);

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_socket(srv);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* A SERVER in a poller, woken by a CLIENT in another thread. */
static void test_poller_threadsafe_server(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *srv, *cli;
    CHECK_EQ(make_pair(ctx, ZMQ_SERVER, ZMQ_CLIENT, "inproc://poller-ts", &srv,
                       &cli),
             0);
    int tag = 7;
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, srv, &tag, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add(p, cli, NULL, ZMQ_POLLIN), 0);
    zmq_poller_event_t ev;
    CHECK_ERR(zmq_poller_wait(p, &ev, 0), -1, EAGAIN);

    struct actor a;
    actor_start(&a, act_send, ctx, cli, -1);
    actor_go(&a);
    memset(&ev, 0, sizeof ev);
    int rc = zmq_poller_wait(p, &ev, -1);
    actor_finish(&a);
    CHECK_EQ(a.rc, 4);
    CHECK_EQ(rc, 0);
    CHECK(ev.socket == srv);
    CHECK(ev.user_data == &tag);
    CHECK_EQ(ev.events, ZMQ_POLLIN);
    zmq_msg_t m;
    zmq_msg_init(&m);
    CHECK_EQ(zmq_msg_recv(&m, srv, ZMQ_DONTWAIT), 4);
    uint32_t id = zmq_msg_routing_id(&m);
    zmq_msg_close(&m);
    CHECK_ERR(zmq_poller_wait(p, &ev, 0), -1, EAGAIN);

    /* The reply wakes the CLIENT's item. */
    CHECK_EQ(zmq_msg_init_buffer(&m, "re", 2), 0);
    CHECK_EQ(zmq_msg_set_routing_id(&m, id), 0);
    CHECK_EQ(zmq_msg_send(&m, srv, 0), 2);
    CHECK_EQ(zmq_poller_wait(p, &ev, TIMEOUT_MS), 0);
    CHECK(ev.socket == cli);
    CHECK(ev.user_data == NULL);
    check_recv(cli, "re");

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_socket(cli);
    close_socket(srv);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_poller_eterm(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = new_socket(ctx, ZMQ_PULL);
    CHECK_EQ(zmq_bind(pull, "inproc://poller-eterm"), 0);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    zmq_poller_event_t ev[1];

    struct actor a;
    actor_start(&a, act_shutdown, NULL, NULL, -1);
    a.ctx = ctx;
    actor_go(&a);
    errno = 0;
    int rc = zmq_poller_wait(p, ev, -1);
    int err = errno;
    actor_finish(&a);
    CHECK_EQ(a.rc, 0);
    CHECK_EQ(rc, -1);
    CHECK_EQ(err, ETERM);
    /* And on every later call. */
    CHECK_ERR(zmq_poller_wait_all(p, ev, 1, 0), -1, ETERM);

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_socket(pull);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* zmq_poller_fd                                                             */
/* ------------------------------------------------------------------------ */

/* Handles every ready event (timeout 0) until EAGAIN; returns how many
 * calls reported something. */
static int drain_poller(void *p)
{
    zmq_poller_event_t ev;
    int n = 0;
    while (n < 100 && zmq_poller_wait(p, &ev, 0) == 0)
        n++;
    CHECK_EQ(errno, EAGAIN);
    return n;
}

static int fd_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc == 1)
        CHECK_EQ(pfd.revents, POLLIN);
    return rc;
}

static void test_poller_fd(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull, *push;
    CHECK_EQ(make_pair(ctx, ZMQ_PULL, ZMQ_PUSH, "inproc://pfd", &pull, &push),
             0);
    int fds[2];
    make_pipe(fds);
    void *p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_ERR(zmq_poller_fd(p, NULL), -1, EINVAL);

    /* Works for an empty poller too. */
    zmq_fd_t pfd = -1;
    CHECK_EQ(zmq_poller_fd(p, &pfd), 0);
    CHECK(pfd >= 0);
    CHECK(fcntl(pfd, F_GETFD) >= 0);
    zmq_fd_t again = -1;
    CHECK_EQ(zmq_poller_fd(p, &again), 0);
    CHECK_EQ(again, pfd);
    CHECK_EQ(fd_readable(pfd, 0), 0);

    /* Items added after the descriptor was made are followed. */
    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add_fd(p, fds[0], NULL, ZMQ_POLLIN), 0);

    /* Quiet once everything is handled. */
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);

    /* A message arriving makes it readable. */
    CHECK_EQ(zmq_send(push, "m", 1, 0), 1);
    CHECK_EQ(fd_readable(pfd, TIMEOUT_MS), 1);
    zmq_poller_event_t ev;
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == pull);
    check_recv(pull, "m");
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);

    /* So does a message sent from another thread while we wait. */
    struct actor a;
    actor_start(&a, act_send, ctx, push, -1);
    actor_go(&a);
    int rc = fd_readable(pfd, TIMEOUT_MS);
    actor_finish(&a);
    CHECK_EQ(rc, 1);
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == pull);
    check_recv(pull, "wake");
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);

    /* A plain descriptor becoming readable. */
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(fd_readable(pfd, TIMEOUT_MS), 1);
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == NULL);
    CHECK_EQ(ev.fd, fds[0]);
    char c;
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);

    /* Removed items are dropped. */
    CHECK_EQ(zmq_poller_remove_fd(p, fds[0]), 0);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(fd_readable(pfd, 0), 0);
    CHECK_EQ(zmq_poller_remove(p, pull), 0);
    CHECK_EQ(zmq_send(push, "n", 1, 0), 1);
    CHECK_EQ(fd_readable(pfd, 0), 0);

    /* A modified descriptor is watched for its new events. */
    CHECK_EQ(zmq_poller_add_fd(p, fds[1], NULL, 0), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);
    CHECK_EQ(zmq_poller_modify_fd(p, fds[1], ZMQ_POLLOUT), 0);
    CHECK_EQ(fd_readable(pfd, TIMEOUT_MS), 1);
    CHECK_EQ(zmq_poller_remove_fd(p, fds[1]), 0);

    /* A thread-safe socket in the poller. */
    void *srv, *cli;
    CHECK_EQ(
        make_pair(ctx, ZMQ_SERVER, ZMQ_CLIENT, "inproc://pfd-ts", &srv, &cli),
        0);
    CHECK_EQ(zmq_poller_add(p, srv, NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);
    actor_start(&a, act_send, ctx, cli, -1);
    actor_go(&a);
    rc = fd_readable(pfd, TIMEOUT_MS);
    actor_finish(&a);
    CHECK_EQ(rc, 1);
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == srv);
    CHECK_EQ(ev.events, ZMQ_POLLIN);

    CHECK_EQ(zmq_poller_destroy(&p), 0);
    /* The poller closed its descriptor. */
    CHECK(fcntl(pfd, F_GETFD) < 0);

    /* Items added before the descriptor is made are in it too. */
    p = zmq_poller_new();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq_poller_add(p, pull, NULL, ZMQ_POLLIN), 0);
    CHECK_EQ(zmq_poller_add_fd(p, fds[0], NULL, ZMQ_POLLIN), 0);
    check_recv(pull, "n");
    CHECK_EQ(read(fds[0], &c, 1), 1);
    CHECK_EQ(zmq_poller_fd(p, &pfd), 0);
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);
    CHECK_EQ(zmq_send(push, "o", 1, 0), 1);
    CHECK_EQ(fd_readable(pfd, TIMEOUT_MS), 1);
    CHECK_EQ(zmq_poller_wait(p, &ev, 0), 0);
    CHECK(ev.socket == pull);
    check_recv(pull, "o");
    CHECK_EQ(drain_poller(p), 0);
    CHECK_EQ(fd_readable(pfd, 0), 0);
    CHECK_EQ(write(fds[1], "x", 1), 1);
    CHECK_EQ(fd_readable(pfd, TIMEOUT_MS), 1);
    CHECK_EQ(zmq_poller_destroy(&p), 0);
    close_pipe(fds);
    void *all[] = {push, pull, cli, srv};
    for (size_t i = 0; i < 4; i++)
        close_socket(all[i]);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_poll_pollin_pull), TEST(test_poll_infinite_woken_by_thread),
          TEST(test_poll_pollout_push), TEST(test_poll_pollout_hwm),
          TEST(test_poll_pair_both_ways), TEST(test_poll_timeouts),
          TEST(test_timeout_not_early_after_wakeups), TEST(test_poll_fds),
          TEST(test_poll_fd_invalid_is_pollerr), TEST(test_poll_mixed),
          TEST(test_poll_many_items), TEST(test_poll_threadsafe_sockets),
          TEST(test_poll_server_woken_by_client_thread), TEST(test_poll_errors),
          TEST(test_poll_eterm), TEST(test_poll_events_zero_no_busy_wait),
          TEST(test_ppoll_pending_signal), TEST(test_ppoll_signal_from_thread),
          TEST(test_poller_new_destroy), TEST(test_poller_sockets),
          TEST(test_poller_fds), TEST(test_poller_wait),
          TEST(test_poller_empty), TEST(test_poller_wait_all),
          TEST(test_poller_modify_to_zero),
          TEST(test_poller_events_zero_no_busy_wait),
          TEST(test_poller_pollout_and_pollerr),
          TEST(test_poller_threadsafe_server), TEST(test_poller_eterm),
          TEST(test_poller_fd))
