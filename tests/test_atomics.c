/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the zmq_atomic_counter_* functions, single-threaded
 * semantics first, then contention from several zmq_threadstart threads.
 */
#include <limits.h>
#include <stdatomic.h>
#include <zmq.h>

#include "testutil.h"

static void counter_new_is_zero(void)
{
    void *c = zmq_atomic_counter_new();
    REQUIRE(c != NULL);
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    zmq_atomic_counter_destroy(&c);
}

static void counter_set_and_value(void)
{
    void *c = zmq_atomic_counter_new();
    REQUIRE(c != NULL);
    zmq_atomic_counter_set(c, 42);
    CHECK_EQ(zmq_atomic_counter_value(c), 42);
    zmq_atomic_counter_set(c, -7);
    CHECK_EQ(zmq_atomic_counter_value(c), -7);
    zmq_atomic_counter_set(c, INT_MAX);
    CHECK_EQ(zmq_atomic_counter_value(c), INT_MAX);
    zmq_atomic_counter_set(c, INT_MIN);
    CHECK_EQ(zmq_atomic_counter_value(c), INT_MIN);
    zmq_atomic_counter_set(c, 0);
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    zmq_atomic_counter_destroy(&c);
}

static void counter_inc_returns_old_value(void)
{
    void *c = zmq_atomic_counter_new();
    REQUIRE(c != NULL);
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(zmq_atomic_counter_inc(c), i);
        CHECK_EQ(zmq_atomic_counter_value(c), i + 1);
    }
    zmq_atomic_counter_set(c, -3);
    CHECK_EQ(zmq_atomic_counter_inc(c), -3);
    CHECK_EQ(zmq_atomic_counter_inc(c), -2);
    CHECK_EQ(zmq_atomic_counter_inc(c), -1);
    CHECK_EQ(zmq_atomic_counter_inc(c), 0);
    CHECK_EQ(zmq_atomic_counter_value(c), 1);
    zmq_atomic_counter_destroy(&c);
}

static void counter_dec_reports_nonzero(void)
{
    void *c = zmq_atomic_counter_new();
    REQUIRE(c != NULL);
    zmq_atomic_counter_set(c, 3);
    CHECK_EQ(zmq_atomic_counter_dec(c), 1); /* 2 */
    CHECK_EQ(zmq_atomic_counter_value(c), 2);
    CHECK_EQ(zmq_atomic_counter_dec(c), 1); /* 1 */
    CHECK_EQ(zmq_atomic_counter_value(c), 1);
    CHECK_EQ(zmq_atomic_counter_dec(c), 0); /* 0 */
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    /* Below zero the counter is non-zero again. */
    CHECK_EQ(zmq_atomic_counter_dec(c), 1); /* -1 */
    CHECK_EQ(zmq_atomic_counter_value(c), -1);
    CHECK_EQ(zmq_atomic_counter_dec(c), 1); /* -2 */
    CHECK_EQ(zmq_atomic_counter_value(c), -2);
    /* Counting up to zero and down through it again. */
    zmq_atomic_counter_set(c, -1);
    CHECK_EQ(zmq_atomic_counter_inc(c), -1);
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    zmq_atomic_counter_set(c, 1);
    CHECK_EQ(zmq_atomic_counter_dec(c), 0);
    /* A large count: only the last dec reports zero. */
    zmq_atomic_counter_set(c, 1000);
    int zeros = 0;
    for (int i = 0; i < 1000; i++)
        if (zmq_atomic_counter_dec(c) == 0)
            zeros++;
    CHECK_EQ(zeros, 1);
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    zmq_atomic_counter_destroy(&c);
}

static void counter_destroy(void)
{
    void *c = zmq_atomic_counter_new();
    REQUIRE(c != NULL);
    zmq_atomic_counter_inc(c);
    zmq_atomic_counter_destroy(&c);
    CHECK(c == NULL);
    /* *counter_p NULL and counter_p NULL are no-ops. */
    zmq_atomic_counter_destroy(&c);
    CHECK(c == NULL);
    zmq_atomic_counter_destroy(NULL);
}

static void counter_null(void)
{
    CHECK_ERR(zmq_atomic_counter_inc(NULL), -1, EFAULT);
    CHECK_ERR(zmq_atomic_counter_dec(NULL), -1, EFAULT);
    CHECK_ERR(zmq_atomic_counter_value(NULL), -1, EFAULT);
    /* set on NULL does nothing (and does not crash). */
    zmq_atomic_counter_set(NULL, 5);
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

#define THREADS    4
#define PER_THREAD 100000

struct worker {
    void *counter;
    atomic_int *started; /* start line: every worker spins until all in */
    int dec;             /* 0: increment, 1: decrement */
    int *results;        /* PER_THREAD return values */
};

static void worker_main(void *p)
{
    struct worker *w = p;
    atomic_fetch_add(w->started, 1);
    while (atomic_load(w->started) < THREADS)
        ;
    for (int i = 0; i < PER_THREAD; i++)
        w->results[i] = w->dec ? zmq_atomic_counter_dec(w->counter)
                               : zmq_atomic_counter_inc(w->counter);
}

/* Runs THREADS workers doing inc (dec = 0) or dec (dec = 1); their return
 * values end up in results[THREADS * PER_THREAD]. */
static int run_workers(void *counter, int dec, int *results)
{
    atomic_int started;
    atomic_init(&started, 0);
    struct worker w[THREADS];
    void *threads[THREADS];
    int ok = 1;
    for (int i = 0; i < THREADS; i++) {
        w[i].counter = counter;
        w[i].started = &started;
        w[i].dec = dec;
        w[i].results = results + (size_t)i * PER_THREAD;
        threads[i] = zmq_threadstart(worker_main, &w[i]);
        if (threads[i] == NULL)
            ok = 0;
    }
    if (!ok) {
        /* Release the started ones so they can be joined. */
        atomic_store(&started, THREADS);
    }
    for (int i = 0; i < THREADS; i++)
        zmq_threadclose(threads[i]);
    return ok;
}

static void counter_threads(void)
{
    const int n = THREADS * PER_THREAD;
    void *c = zmq_atomic_counter_new();
    int *results = malloc(sizeof(int) * (size_t)n);
    unsigned char *seen = calloc((size_t)n, 1);
    if (c == NULL || results == NULL || seen == NULL) {
        free(results);
        free(seen);
        zmq_atomic_counter_destroy(&c);
        REQUIRE(0);
    }

    /* Increments: the final value is exact, and every old value 0..n-1
     * was handed to exactly one caller. */
    REQUIRE(run_workers(c, 0, results));
    CHECK_EQ(zmq_atomic_counter_value(c), n);
    int dup = 0, out_of_range = 0;
    for (int i = 0; i < n; i++) {
        int v = results[i];
        if (v < 0 || v >= n)
            out_of_range++;
        else if (seen[v]++)
            dup++;
    }
    CHECK_EQ(out_of_range, 0);
    CHECK_EQ(dup, 0);

    /* Decrements from n back to 0: exactly one caller sees zero. */
    REQUIRE(run_workers(c, 1, results));
    CHECK_EQ(zmq_atomic_counter_value(c), 0);
    int zeros = 0, others = 0;
    for (int i = 0; i < n; i++) {
        if (results[i] == 0)
            zeros++;
        else if (results[i] != 1)
            others++;
    }
    CHECK_EQ(zeros, 1);
    CHECK_EQ(others, 0);

    free(results);
    free(seen);
    zmq_atomic_counter_destroy(&c);
    CHECK(c == NULL);
}

TEST_MAIN(TEST(counter_new_is_zero), TEST(counter_set_and_value),
          TEST(counter_inc_returns_old_value),
          TEST(counter_dec_reports_nonzero), TEST(counter_destroy),
          TEST(counter_null), TEST(counter_threads))
