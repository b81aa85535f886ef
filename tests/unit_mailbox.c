/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of core/mailbox: FIFO order for one producer, receive
 * timeouts, the eventfd contract (readable after commands arrive while
 * the reader sleeps, not readable once drained, no write while the reader
 * is busy), the futex wait of a reader no one watches through the fd
 * (woken by a send, never writing the fd, ended by a signal with
 * EINTR), the spin before that wait (timeouts still hold, a command
 * sent during or after the spin is taken), the thread-safe flavour's "fd only
 * when wanted", and stress tests (4 producers to one consumer blocking in
 * recv(-1), with and without a socket mutex, free-running and paced so that the
 * consumer keeps going to sleep) that check every command arrives exactly once
 * and in per-producer order.
 *
 * Timeouts are checked at the library's clock granularity (whole
 * milliseconds of CLOCK_MONOTONIC, see core/clock.h): a receive with
 * timeout N returns no earlier than the millisecond tick N ticks after
 * the one it started in.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "core/mailbox.h"
#include "testutil.h"

#define PRODUCERS          4
#define PER_PRODUCER       200000
#define PACED_PER_PRODUCER 20000
#define PACED_BURST        8
#define TIMEOUT_MS         50
#define POLL_READABLE_MAX  5000 /* ms: bounded waits for "becomes readable" */

static struct zmq__command make_cmd(uint64_t value)
{
    struct zmq__command c;
    memset(&c, 0, sizeof c);
    c.dest = (struct zmq__object *)(uintptr_t)(value * 16 + 16);
    c.type = (enum zmq__command_type)(value % (ZMQ__CMD_THREAD_STOP + 1));
    c.args.activate_write.msgs_read = value;
    return c;
}

static bool cmd_is(const struct zmq__command *c, uint64_t value)
{
    struct zmq__command want = make_cmd(value);
    return c->dest == want.dest && c->type == want.type &&
           c->args.activate_write.msgs_read == value;
}

/* poll(2) for POLLIN: 1 readable, 0 not within timeout_ms. */
static int fd_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc = poll(&p, 1, timeout_ms);
    if (rc == 1 && !(p.revents & POLLIN))
        return -1;
    return rc;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_order_one_producer(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    struct zmq__command c;
    for (uint64_t i = 0; i < 1000; i++) {
        c = make_cmd(i);
        CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    }
    for (uint64_t i = 0; i < 1000; i++) {
        memset(&c, 0, sizeof c);
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
        CHECK(cmd_is(&c, i));
    }
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);

    /* Interleaved sends and receives keep order too. */
    uint64_t next_send = 0, next_recv = 0;
    for (int round = 0; round < 100; round++) {
        for (int k = 0; k < round % 7 + 1; k++) {
            c = make_cmd(next_send++);
            CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
        }
        for (int k = 0; k < round % 5 + 1 && next_recv < next_send; k++) {
            CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
            CHECK(cmd_is(&c, next_recv));
            next_recv++;
        }
    }
    while (next_recv < next_send) {
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
        CHECK(cmd_is(&c, next_recv));
        next_recv++;
    }
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);

    /* fini drops what is still queued (ASan checks it is freed). */
    for (uint64_t i = 0; i < 10; i++) {
        c = make_cmd(i);
        CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    }
    zmq__mailbox_fini(&mb);
}

static void test_recv_timeout_zero(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    struct zmq__command c;
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    c = make_cmd(7);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    memset(&c, 0, sizeof c);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 7));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    zmq__mailbox_fini(&mb);
}

/* recv(timeout_ms) on an empty mailbox: -EAGAIN, not before timeout_ms
 * (at millisecond granularity) and not absurdly late. */
static void check_timed_recv(struct zmq__mailbox *mb, int timeout_ms)
{
    struct zmq__command c;
    uint64_t start = mono_ms();
    CHECK_EQ(zmq__mailbox_recv(mb, &c, timeout_ms), -EAGAIN);
    uint64_t elapsed = mono_ms() - start;
    if (elapsed < (uint64_t)timeout_ms)
        fprintf(stderr, "recv(%d) returned after %llu ms\n", timeout_ms,
                (unsigned long long)elapsed);
    CHECK(elapsed >= (uint64_t)timeout_ms);
    CHECK(elapsed < (uint64_t)timeout_ms + 5000);
}

static void test_recv_timeout_n(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    check_timed_recv(&mb, TIMEOUT_MS);
    check_timed_recv(&mb, 1);
    /* Again after a command came and went (the fd was written). */
    struct zmq__command c = make_cmd(1);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, TIMEOUT_MS), 0);
    CHECK(cmd_is(&c, 1));
    check_timed_recv(&mb, TIMEOUT_MS);
    zmq__mailbox_fini(&mb);
}

static void test_fd_contract(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    int fd = zmq__mailbox_fd(&mb);
    CHECK(fd >= 0);
    struct zmq__command c;

    /* New mailbox: nothing yet, not readable. */
    CHECK_EQ(fd_readable(fd, 0), 0);
    /* The first send makes it readable. */
    c = make_cmd(1);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(fd, POLL_READABLE_MAX), 1);
    c = make_cmd(2);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(fd, 0), 1);

    /* The reader drains to -EAGAIN: no longer readable. */
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 1));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 2));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    CHECK_EQ(fd_readable(fd, 0), 0);
    /* Finding it empty again changes nothing. */
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    CHECK_EQ(fd_readable(fd, 0), 0);

    /* A later send makes it readable again, several times over. */
    for (uint64_t i = 10; i < 15; i++) {
        c = make_cmd(i);
        CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
        CHECK_EQ(fd_readable(fd, POLL_READABLE_MAX), 1);
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
        CHECK(cmd_is(&c, i));
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
        CHECK_EQ(fd_readable(fd, 0), 0);
    }

    /* A blocking receive with a timeout also leaves it drained. */
    c = make_cmd(20);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 1000), 0);
    CHECK(cmd_is(&c, 20));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 1), -EAGAIN);
    CHECK_EQ(fd_readable(fd, 0), 0);
    zmq__mailbox_fini(&mb);
}

/* While the reader is busy (its last receive found a command), sends do
 * not touch the eventfd.  Made observable by reading the eventfd's
 * counter directly: one wake-up for a burst of sends, and none for a
 * send that comes while the reader still has commands to take. */
static void test_fd_no_write_while_busy(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    int fd = zmq__mailbox_fd(&mb);
    struct zmq__command c;

    /* Three sends to a sleeping reader: the counter says one write. */
    for (uint64_t i = 0; i < 3; i++) {
        c = make_cmd(i);
        CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    }
    uint64_t count = 0;
    CHECK_EQ(read(fd, &count, sizeof count), (ssize_t)sizeof count);
    CHECK_EQ(count, 1);
    CHECK_EQ(fd_readable(fd, 0), 0);

    /* The reader takes one of three: it is busy, its flag is down. */
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 0));
    CHECK_EQ(atomic_load(&mb.asleep), 0);
    /* A send now must not write the (drained) fd. */
    c = make_cmd(3);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(fd, 0), 0);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 1));
    c = make_cmd(4);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(fd, 0), 0);

    /* Everything is still delivered, in order. */
    for (uint64_t i = 2; i < 5; i++) {
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
        CHECK(cmd_is(&c, i));
    }
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    CHECK_EQ(atomic_load(&mb.asleep), 1);
    CHECK_EQ(fd_readable(fd, 0), 0);

    /* The reader slept: the next send wakes it through the fd, once. */
    c = make_cmd(5);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    c = make_cmd(6);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(fd, POLL_READABLE_MAX), 1);
    count = 0;
    CHECK_EQ(read(fd, &count, sizeof count), (ssize_t)sizeof count);
    CHECK_EQ(count, 1);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 5));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 6));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    zmq__mailbox_fini(&mb);
}

/* Thread-safe flavour, single-threaded: timeouts with the mutex held,
 * and the eventfd written only once it was asked for. */
static void test_threadsafe_basics(void)
{
    pthread_mutex_t sync = PTHREAD_MUTEX_INITIALIZER;
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, &sync) == 0);
    struct zmq__command c;

    pthread_mutex_lock(&sync);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    check_timed_recv(&mb, TIMEOUT_MS);

    /* Not wanted yet: a send wakes nobody through the fd. */
    c = make_cmd(1);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(mb.fd, 0), 0);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 1));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);

    /* Asked for: from then on it follows the classic contract. */
    int fd = zmq__mailbox_fd(&mb);
    CHECK_EQ(fd, mb.fd);
    CHECK_EQ(fd_readable(fd, 0), 0);
    c = make_cmd(2);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(fd_readable(fd, POLL_READABLE_MAX), 1);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 1000), 0);
    CHECK(cmd_is(&c, 2));
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    CHECK_EQ(fd_readable(fd, 0), 0);
    check_timed_recv(&mb, 1);
    pthread_mutex_unlock(&sync);

    /* The mutex is held again after every receive. */
    CHECK_EQ(pthread_mutex_trylock(&sync), 0);
    pthread_mutex_unlock(&sync);
    zmq__mailbox_fini(&mb);
    pthread_mutex_destroy(&sync);
}

/* The stress runs: PRODUCERS threads send per_producer commands each to
 * one consumer blocking in recv(-1).  With burst > 0 a producer waits
 * (yielding, no sleep) after every burst until the consumer has taken
 * all it sent, so the consumer keeps running dry and every burst goes
 * through the sleep/wake-up path; without it the producers mostly run
 * ahead of a busy consumer. */
struct stress {
    struct zmq__mailbox mb;
    pthread_mutex_t *sync; /* held by the consumer around each recv */
    uint32_t per_producer, burst;
    pthread_barrier_t start;
    /* Written by the consumer, read by main after joining it. */
    uint64_t received, bad_order, bad_producer, recv_errors, cancelled;
    uint32_t next_seq[PRODUCERS];
    /* Published by the consumer for pacing producers. */
    atomic_uint taken[PRODUCERS];
};

struct producer_arg {
    struct stress *s;
    uint32_t id;
    uint64_t send_errors;
};

static void *producer_main(void *arg)
{
    struct producer_arg *pa = arg;
    struct stress *s = pa->s;
    char name[16];
    snprintf(name, sizeof name, "mb-prod-%u", (unsigned)pa->id);
    pthread_setname_np(pthread_self(), name);
    pthread_barrier_wait(&s->start);
    for (uint32_t seq = 0; seq < s->per_producer; seq++) {
        struct zmq__command c;
        memset(&c, 0, sizeof c);
        c.type = ZMQ__CMD_ACTIVATE_WRITE;
        c.dest = (struct zmq__object *)(uintptr_t)(pa->id + 1);
        c.args.activate_write.msgs_read = (uint64_t)pa->id << 32 | seq;
        if (zmq__mailbox_send(&s->mb, &c) != 0) {
            pa->send_errors++;
            break; /* the consumer would wait for it forever */
        }
        if (s->burst > 0 && (seq + 1) % s->burst == 0)
            while (atomic_load_explicit(&s->taken[pa->id],
                                        memory_order_acquire) < seq + 1)
                sched_yield();
    }
    return NULL;
}

static void *consumer_main(void *arg)
{
    struct stress *s = arg;
    pthread_setname_np(pthread_self(), "mb-consumer");
    pthread_barrier_wait(&s->start);
    const uint64_t total = (uint64_t)PRODUCERS * s->per_producer;
    while (s->received < total) {
        struct zmq__command c;
        if (s->sync != NULL)
            pthread_mutex_lock(s->sync);
        int rc = zmq__mailbox_recv(&s->mb, &c, -1);
        if (s->sync != NULL)
            pthread_mutex_unlock(s->sync);
        if (rc == -ECANCELED && s->sync != NULL) {
            /* mailbox.h: a thread-safe waiter woken without a command
             * for it retries.  With one reader this comes from a
             * producer's wake-up for a command the reader already took. */
            s->cancelled++;
            continue;
        }
        if (rc != 0) {
            fprintf(stderr, "recv(-1) returned %d\n", rc);
            if (++s->recv_errors > 100)
                break; /* reported by main; do not spin forever */
            continue;
        }
        uint64_t v = c.args.activate_write.msgs_read;
        uint32_t id = (uint32_t)(v >> 32), seq = (uint32_t)v;
        if (id >= PRODUCERS || c.type != ZMQ__CMD_ACTIVATE_WRITE ||
            c.dest != (struct zmq__object *)(uintptr_t)(id + 1)) {
            s->bad_producer++;
        } else {
            if (seq != s->next_seq[id])
                s->bad_order++;
            s->next_seq[id] = seq + 1;
            atomic_store_explicit(&s->taken[id], seq + 1, memory_order_release);
        }
        s->received++;
    }
    return NULL;
}

static void run_stress(pthread_mutex_t *sync, uint32_t per_producer,
                       uint32_t burst)
{
    struct stress *s = calloc(1, sizeof *s);
    REQUIRE(s);
    s->sync = sync;
    s->per_producer = per_producer;
    s->burst = burst;
    for (int i = 0; i < PRODUCERS; i++)
        atomic_init(&s->taken[i], 0);
    REQUIRE(zmq__mailbox_init(&s->mb, sync) == 0);
    pthread_barrier_init(&s->start, NULL, PRODUCERS + 1);

    struct producer_arg pa[PRODUCERS];
    pthread_t prod[PRODUCERS], cons;
    REQUIRE(pthread_create(&cons, NULL, consumer_main, s) == 0);
    for (uint32_t i = 0; i < PRODUCERS; i++) {
        pa[i] = (struct producer_arg){.s = s, .id = i};
        REQUIRE(pthread_create(&prod[i], NULL, producer_main, &pa[i]) == 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(prod[i], NULL);
        CHECK_EQ(pa[i].send_errors, 0);
    }
    pthread_join(cons, NULL);

    CHECK_EQ(s->recv_errors, 0);
    if (s->cancelled > 0)
        printf("     (%llu wake-ups without a command: -ECANCELED)\n",
               (unsigned long long)s->cancelled);
    CHECK_EQ(s->received, (uint64_t)PRODUCERS * per_producer);
    CHECK_EQ(s->bad_producer, 0);
    CHECK_EQ(s->bad_order, 0);
    for (int i = 0; i < PRODUCERS; i++)
        CHECK_EQ(s->next_seq[i], per_producer);
    /* Nothing extra was left behind. */
    struct zmq__command c;
    if (sync != NULL)
        pthread_mutex_lock(sync);
    CHECK_EQ(zmq__mailbox_recv(&s->mb, &c, 0), -EAGAIN);
    if (sync != NULL)
        pthread_mutex_unlock(sync);

    pthread_barrier_destroy(&s->start);
    zmq__mailbox_fini(&s->mb);
    free(s);
}

static void test_stress_classic(void)
{
    run_stress(NULL, PER_PRODUCER, 0);
}

static void test_stress_threadsafe(void)
{
    pthread_mutex_t sync = PTHREAD_MUTEX_INITIALIZER;
    run_stress(&sync, PER_PRODUCER, 0);
    pthread_mutex_destroy(&sync);
}

static void test_stress_wakeups_classic(void)
{
    run_stress(NULL, PACED_PER_PRODUCER, PACED_BURST);
}

static void test_stress_wakeups_threadsafe(void)
{
    pthread_mutex_t sync = PTHREAD_MUTEX_INITIALIZER;
    run_stress(&sync, PACED_PER_PRODUCER, PACED_BURST);
    pthread_mutex_destroy(&sync);
}

/* A reader blocked in recv(-1) on a mailbox whose fd nobody asked for. */
struct blocked_reader {
    struct zmq__mailbox *mb;
    struct zmq__command cmd;
    atomic_int rc;
    atomic_bool done;
};

static void *blocked_recv(void *arg)
{
    struct blocked_reader *r = arg;
    atomic_store(&r->rc, zmq__mailbox_recv(r->mb, &r->cmd, -1));
    atomic_store(&r->done, true);
    return NULL;
}

/* Waits (bounded) until the reader is blocked on the futex: the flag
 * reads 2 only from just before its futex wait until it is woken. */
static bool await_blocked(struct zmq__mailbox *mb)
{
    uint64_t until = mono_ms() + POLL_READABLE_MAX;
    while (atomic_load(&mb->asleep) != 2) {
        if (mono_ms() > until)
            return false;
        sched_yield();
    }
    return true;
}

static void test_futex_wake(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    for (uint64_t i = 0; i < 50; i++) {
        struct blocked_reader r = {.mb = &mb};
        atomic_init(&r.rc, 1);
        atomic_init(&r.done, false);
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, blocked_recv, &r) == 0);
        CHECK(await_blocked(&mb));
        CHECK(!atomic_load(&r.done));
        struct zmq__command c = make_cmd(i);
        CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
        pthread_join(t, NULL);
        CHECK_EQ(atomic_load(&r.rc), 0);
        CHECK(cmd_is(&r.cmd, i));
    }
    /* No one asked for the fd: it was never written. */
    uint64_t count;
    CHECK_EQ(read(mb.fd, &count, sizeof count), -1);
    CHECK_EQ(errno, EAGAIN);
    zmq__mailbox_fini(&mb);
}

static void on_sigusr1(int sig)
{
    (void)sig;
}

static void test_futex_eintr(void)
{
    /* Even with SA_RESTART, a signal ends the wait with -EINTR, as a
     * poll(2) wait does. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigusr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(SIGUSR1, &sa, &old) == 0);
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    struct blocked_reader r = {.mb = &mb};
    atomic_init(&r.rc, 1);
    atomic_init(&r.done, false);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, blocked_recv, &r) == 0);
    CHECK(await_blocked(&mb));
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    pthread_join(t, NULL);
    CHECK_EQ(atomic_load(&r.rc), -EINTR);
    /* The flag is back to "armed", and a later command still comes. */
    CHECK_EQ(atomic_load(&mb.asleep), 1);
    struct zmq__command c = make_cmd(7);
    CHECK_EQ(zmq__mailbox_send(&mb, &c), 0);
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), 0);
    CHECK(cmd_is(&c, 7));
    zmq__mailbox_fini(&mb);
    REQUIRE(sigaction(SIGUSR1, &old, NULL) == 0);
}

/* A sender that waits a little, then sends one command. */
struct late_sender {
    struct zmq__mailbox *mb;
    int delay_us;
    uint64_t value;
};

static void *send_late(void *arg)
{
    struct late_sender *l = arg;
    struct timespec ts = {0, (long)l->delay_us * 1000L};
    nanosleep(&ts, NULL);
    struct zmq__command c = make_cmd(l->value);
    zmq__mailbox_send(l->mb, &c);
    return NULL;
}

static void test_spin_then_wait(void)
{
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    mb.spin_us = 200;
    /* Timeouts hold with a spin (shorter or longer than the spin). */
    check_timed_recv(&mb, 1);
    check_timed_recv(&mb, TIMEOUT_MS);
    struct zmq__command c;
    CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    /* Commands sent early (likely during the spin) and late (after it,
     * to a reader blocked on the futex) both arrive. */
    static const int delays_us[] = {0, 20, 100, 5000, 20000};
    for (uint64_t i = 0; i < sizeof delays_us / sizeof delays_us[0]; i++) {
        struct late_sender l = {&mb, delays_us[i], 100 + i};
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, send_late, &l) == 0);
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, -1), 0);
        CHECK(cmd_is(&c, 100 + i));
        pthread_join(t, NULL);
        CHECK_EQ(zmq__mailbox_recv(&mb, &c, 0), -EAGAIN);
    }
    zmq__mailbox_fini(&mb);
}

TEST_MAIN(TEST(test_order_one_producer), TEST(test_recv_timeout_zero),
          TEST(test_recv_timeout_n), TEST(test_fd_contract),
          TEST(test_fd_no_write_while_busy), TEST(test_futex_wake),
          TEST(test_futex_eintr), TEST(test_spin_then_wait),
          TEST(test_threadsafe_basics), TEST(test_stress_classic),
          TEST(test_stress_threadsafe), TEST(test_stress_wakeups_classic),
          TEST(test_stress_wakeups_threadsafe))
