/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the helpers: zmq_stopwatch_*, zmq_sleep,
 * zmq_threadstart / zmq_threadclose.
 *
 * zmq_sleep is the one real sleep here (one second, measured by the
 * stopwatch and by CLOCK_MONOTONIC).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <zmq.h>

#include "testutil.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------------------ */
/* Stopwatch and sleep                                                      */
/* ------------------------------------------------------------------------ */

static void stopwatch_monotonic(void)
{
    void *w = zmq_stopwatch_start();
    REQUIRE(w != NULL);
    unsigned long last = zmq_stopwatch_intermediate(w);
    int backwards = 0;
    for (int i = 0; i < 10000; i++) {
        unsigned long now = zmq_stopwatch_intermediate(w);
        if (now < last)
            backwards++;
        last = now;
    }
    CHECK_EQ(backwards, 0);
    /* Freshly started: well under a minute has passed. */
    CHECK(last < 60ul * 1000000ul);
    unsigned long stop = zmq_stopwatch_stop(w);
    CHECK(stop >= last);
}

static void stopwatch_null(void)
{
    CHECK_EQ(zmq_stopwatch_intermediate(NULL), 0);
    CHECK_EQ(zmq_stopwatch_stop(NULL), 0);
}

static void stopwatch_measures_sleep(void)
{
    uint64_t t0 = now_us();
    void *w = zmq_stopwatch_start();
    uint64_t t1 = now_us();
    REQUIRE(w != NULL);
    zmq_sleep(1);
    uint64_t t2 = now_us();
    unsigned long e = zmq_stopwatch_intermediate(w);
    uint64_t t3 = now_us();

    /* zmq_sleep(1) slept at least a second, and not absurdly long. */
    CHECK(t2 - t1 >= 1000000u);
    CHECK(t2 - t1 < 5000000u);
    /* The stopwatch counts microseconds of the monotonic clock: its
     * reading lies between the inner and outer CLOCK_MONOTONIC spans
     * (give or take the truncation to whole microseconds). */
    CHECK(e >= 1000000ul);
    CHECK(e < 5000000ul);
    CHECK(e + 1 >= t2 - t1);
    CHECK(e <= t3 - t0 + 1);

    unsigned long s = zmq_stopwatch_stop(w);
    CHECK(s >= e);
    CHECK(s < 5000000ul);
}

static void sleep_zero(void)
{
    uint64_t t0 = now_us();
    zmq_sleep(0);
    CHECK(now_us() - t0 < 500000u);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

struct job {
    atomic_int ran;
    void *seen_arg;
    pthread_t self;
};

static void simple_thread(void *arg)
{
    struct job *j = arg;
    j->seen_arg = arg;
    j->self = pthread_self();
    atomic_store(&j->ran, 1);
}

static void thread_runs_function(void)
{
    struct job j = {.seen_arg = NULL};
    atomic_init(&j.ran, 0);
    void *th = zmq_threadstart(simple_thread, &j);
    REQUIRE(th != NULL);
    zmq_threadclose(th);
    /* After the join, everything the thread wrote is visible. */
    CHECK_EQ(atomic_load(&j.ran), 1);
    CHECK(j.seen_arg == &j);
    CHECK(!pthread_equal(j.self, pthread_self()));
}

/* Waits for the go signal, then works for at least 50 ms before it
 * reports done: threadclose must wait for all of that. */
struct slow_job {
    atomic_int go;
    atomic_int done;
    uint64_t finished_us;
};

static void slow_thread(void *arg)
{
    struct slow_job *j = arg;
    /* Bounded, so a broken threadstart fails the test instead of
     * hanging it. */
    uint64_t deadline = now_us() + 5000000u;
    while (!atomic_load(&j->go))
        if (now_us() > deadline)
            return;
    uint64_t start = now_us();
    while (now_us() - start < 50000u) {
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    j->finished_us = now_us();
    atomic_store(&j->done, 1);
}

static void threadclose_waits(void)
{
    struct slow_job j;
    atomic_init(&j.go, 0);
    atomic_init(&j.done, 0);
    j.finished_us = 0;
    void *th = zmq_threadstart(slow_thread, &j);
    REQUIRE(th != NULL);
    uint64_t go = now_us();
    atomic_store(&j.go, 1);
    zmq_threadclose(th);
    uint64_t joined = now_us();
    CHECK_EQ(atomic_load(&j.done), 1);
    CHECK(joined - go >= 50000u);
    CHECK(j.finished_us <= joined);
}

static void thread_bad_args(void)
{
    CHECK_NULL_ERR(zmq_threadstart(NULL, NULL), EINVAL);
    int x = 0;
    CHECK_NULL_ERR(zmq_threadstart(NULL, &x), EINVAL);
    zmq_threadclose(NULL); /* no-op */
}

#define MANY 16

struct many {
    uint64_t deadline_us; /* give up waiting for the others then */
    atomic_int arrived;
    atomic_int finished;
    atomic_int seen[MANY];
    atomic_int all_present[MANY]; /* saw all MANY threads alive at once */
};

struct many_arg {
    struct many *shared;
    int index;
};

static void many_thread(void *arg)
{
    struct many_arg *a = arg;
    struct many *m = a->shared;
    atomic_fetch_add(&m->seen[a->index], 1);
    atomic_fetch_add(&m->arrived, 1);
    /* All MANY threads run at the same time: each waits (bounded) for the
     * others to arrive. */
    while (atomic_load(&m->arrived) < MANY && now_us() < m->deadline_us) {
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
    atomic_store(&m->all_present[a->index], atomic_load(&m->arrived) == MANY);
    atomic_fetch_add(&m->finished, 1);
}

static void many_threads(void)
{
    struct many m;
    struct many_arg args[MANY];
    void *th[MANY];
    m.deadline_us = now_us() + 5000000u;
    atomic_init(&m.arrived, 0);
    atomic_init(&m.finished, 0);
    for (int i = 0; i < MANY; i++) {
        atomic_init(&m.seen[i], 0);
        atomic_init(&m.all_present[i], 0);
    }
    int started = 0;
    for (int i = 0; i < MANY; i++) {
        args[i].shared = &m;
        args[i].index = i;
        th[i] = zmq_threadstart(many_thread, &args[i]);
        CHECK(th[i] != NULL);
        started += th[i] != NULL;
    }
    for (int i = 0; i < MANY; i++)
        zmq_threadclose(th[i]);
    CHECK_EQ(started, MANY);
    CHECK_EQ(atomic_load(&m.finished), MANY);
    for (int i = 0; i < MANY; i++) {
        CHECK_EQ(atomic_load(&m.seen[i]), 1);
        CHECK_EQ(atomic_load(&m.all_present[i]), 1);
    }
}

TEST_MAIN(TEST(stopwatch_monotonic), TEST(stopwatch_null),
          TEST(stopwatch_measures_sleep), TEST(sleep_zero),
          TEST(thread_runs_function), TEST(threadclose_waits),
          TEST(thread_bad_args), TEST(many_threads))
