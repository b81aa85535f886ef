/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of core/ypipe: order across chunk boundaries, the
 * flush/sleep protocol step by step, incomplete items, unwrite, peek,
 * free with a destructor, large items and their alignment, out of memory
 * on a chunk allocation, a polling reader that relies on nothing but
 * the pipe's own memory orderings, and a two-thread stress test that
 * wakes the reader only when flush says so.
 *
 * The out-of-memory test lowers RLIMIT_AS, which the address and thread
 * sanitizers cannot live with (they reserve huge shadow mappings), so it
 * is skipped in those builds.
 */
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "core/ypipe.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static int write_int(struct zmq__ypipe *p, int v, bool incomplete)
{
    return zmq__ypipe_write(p, &v, incomplete);
}

/* Reads one int, or -1 when there is none. */
static int read_int(struct zmq__ypipe *p)
{
    int v;
    return zmq__ypipe_read(p, &v) ? v : -1;
}

static void test_empty(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 4);
    REQUIRE(p);
    int v = 42;
    CHECK(!zmq__ypipe_check_read(p));
    CHECK(!zmq__ypipe_read(p, &v));
    CHECK_EQ(v, 42);
    CHECK(zmq__ypipe_peek(p) == NULL);
    CHECK(!zmq__ypipe_unwrite(p, &v));
    CHECK(zmq__ypipe_flush(p)); /* nothing to publish */
    zmq__ypipe_free(p, NULL);
    zmq__ypipe_free(NULL, NULL);
}

static void test_bad_sizes(void)
{
    CHECK(zmq__ypipe_new(SIZE_MAX, 2) == NULL);
    CHECK(zmq__ypipe_new(SIZE_MAX / 2, 4) == NULL);
    CHECK(zmq__ypipe_new(8, SIZE_MAX) == NULL);
    /* Zero sizes are taken as one. */
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 0);
    REQUIRE(p);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(write_int(p, i, false), 0);
    zmq__ypipe_flush(p);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(read_int(p), i);
    CHECK_EQ(read_int(p), -1);
    zmq__ypipe_free(p, NULL);
}

/* Writes n ints in batches of varying size, reading after some flushes
 * and not others, so reads start and end anywhere in a chunk. */
static void order_with_chunk(size_t chunk_items)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), chunk_items);
    REQUIRE(p);
    const int n = 5000;
    int next_write = 0, next_read = 0, round = 0;
    while (next_read < n) {
        int batch = 1 + (round * 7) % 11;
        for (int k = 0; k < batch && next_write < n; k++)
            REQUIRE(write_int(p, next_write++, false) == 0);
        zmq__ypipe_flush(p);
        if (round++ % 3 != 1 || next_write == n) {
            int v;
            while (zmq__ypipe_read(p, &v)) {
                CHECK_EQ(v, next_read);
                next_read++;
            }
            CHECK_EQ(next_read, next_write);
        }
    }
    CHECK_EQ(read_int(p), -1);
    zmq__ypipe_free(p, NULL);
}

static void test_order(void)
{
    static const size_t sizes[] = {1, 2, 3, 7, 256, 10000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        order_with_chunk(sizes[i]);

    /* Everything written first, then read in one go. */
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    for (int i = 0; i < 1000; i++)
        REQUIRE(write_int(p, i, false) == 0);
    CHECK(zmq__ypipe_flush(p));
    for (int i = 0; i < 1000; i++)
        CHECK_EQ(read_int(p), i);
    CHECK_EQ(read_int(p), -1);
    zmq__ypipe_free(p, NULL);
}

static void test_flush_protocol(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    CHECK(zmq__ypipe_flush(p)); /* nothing new */
    write_int(p, 1, false);
    CHECK(zmq__ypipe_flush(p)); /* reader awake initially */
    write_int(p, 2, false);
    CHECK(zmq__ypipe_flush(p)); /* reader has not seen the pipe empty */
    CHECK_EQ(read_int(p), 1);
    CHECK_EQ(read_int(p), 2);
    CHECK_EQ(read_int(p), -1);  /* now asleep */
    CHECK(zmq__ypipe_flush(p)); /* nothing new: no wake-up */
    CHECK(zmq__ypipe_flush(p));
    write_int(p, 3, false);
    CHECK(!zmq__ypipe_flush(p)); /* publishes to a sleeping reader */
    CHECK(zmq__ypipe_flush(p));  /* nothing new */
    write_int(p, 4, false);
    CHECK(zmq__ypipe_flush(p)); /* reader counts as woken */
    CHECK(zmq__ypipe_check_read(p));
    CHECK_EQ(read_int(p), 3);
    CHECK_EQ(read_int(p), 4);
    /* Failing twice in a row is still one sleep. */
    CHECK(!zmq__ypipe_check_read(p));
    CHECK(!zmq__ypipe_check_read(p));
    CHECK(zmq__ypipe_peek(p) == NULL);
    write_int(p, 5, false);
    write_int(p, 6, false);
    CHECK(!zmq__ypipe_flush(p));
    write_int(p, 7, false);
    CHECK(zmq__ypipe_flush(p));
    CHECK_EQ(read_int(p), 5);
    CHECK_EQ(read_int(p), 6);
    CHECK_EQ(read_int(p), 7);
    /* A failed peek also puts the reader to sleep. */
    CHECK(zmq__ypipe_peek(p) == NULL);
    write_int(p, 8, false);
    CHECK(!zmq__ypipe_flush(p));
    CHECK_EQ(read_int(p), 8);
    zmq__ypipe_free(p, NULL);

    /* A reader that checks a new pipe before anything is written. */
    p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    CHECK(!zmq__ypipe_check_read(p));
    write_int(p, 1, false);
    CHECK(!zmq__ypipe_flush(p));
    CHECK_EQ(read_int(p), 1);
    zmq__ypipe_free(p, NULL);
}

static void test_incomplete(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 2);
    REQUIRE(p);
    write_int(p, 1, true);
    write_int(p, 2, true);
    CHECK(zmq__ypipe_flush(p)); /* nothing publishable */
    CHECK_EQ(read_int(p), -1);  /* asleep */
    write_int(p, 3, true);
    CHECK(zmq__ypipe_flush(p)); /* still nothing: no wake-up */
    CHECK(!zmq__ypipe_check_read(p));
    write_int(p, 4, false);
    write_int(p, 5, true);
    CHECK(!zmq__ypipe_flush(p)); /* 1-4 published, 5 held back */
    for (int i = 1; i <= 4; i++)
        CHECK_EQ(read_int(p), i);
    CHECK_EQ(read_int(p), -1);
    write_int(p, 6, false);
    CHECK(!zmq__ypipe_flush(p));
    CHECK_EQ(read_int(p), 5);
    CHECK_EQ(read_int(p), 6);
    CHECK_EQ(read_int(p), -1);
    zmq__ypipe_free(p, NULL);
}

static void test_unwrite(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    int v = 0;
    write_int(p, 1, false);
    CHECK(zmq__ypipe_unwrite(p, &v));
    CHECK_EQ(v, 1);
    CHECK(!zmq__ypipe_unwrite(p, &v));
    CHECK(zmq__ypipe_flush(p)); /* nothing left to publish */
    CHECK_EQ(read_int(p), -1);

    write_int(p, 10, false);
    write_int(p, 11, false);
    CHECK(!zmq__ypipe_flush(p));
    CHECK(!zmq__ypipe_unwrite(p, &v)); /* flushed: cannot take back */

    /* Incomplete parts taken back across chunk boundaries. */
    for (int i = 0; i < 10; i++)
        write_int(p, 100 + i, true);
    for (int i = 9; i >= 0; i--) {
        CHECK(zmq__ypipe_unwrite(p, &v));
        CHECK_EQ(v, 100 + i);
    }
    CHECK(!zmq__ypipe_unwrite(p, &v));
    CHECK(zmq__ypipe_flush(p));

    /* A complete unflushed item may be taken back too; the incomplete one
     * before it must then stay unpublished. */
    write_int(p, 12, false);
    write_int(p, 13, true);
    write_int(p, 14, true);
    write_int(p, 15, false);
    CHECK(zmq__ypipe_unwrite(p, &v));
    CHECK_EQ(v, 15);
    CHECK(zmq__ypipe_flush(p)); /* reader has not slept since */
    CHECK_EQ(read_int(p), 10);
    CHECK_EQ(read_int(p), 11);
    CHECK_EQ(read_int(p), 12);
    CHECK_EQ(read_int(p), -1); /* 13, 14 held back */
    CHECK(zmq__ypipe_unwrite(p, &v));
    CHECK_EQ(v, 14);
    CHECK(zmq__ypipe_unwrite(p, &v));
    CHECK_EQ(v, 13);
    CHECK(!zmq__ypipe_unwrite(p, &v));
    CHECK(zmq__ypipe_flush(p));
    CHECK_EQ(read_int(p), -1);

    /* Complete, complete, unwrite one: the other is still publishable. */
    write_int(p, 20, false);
    write_int(p, 21, false);
    CHECK(zmq__ypipe_unwrite(p, &v));
    CHECK_EQ(v, 21);
    CHECK(!zmq__ypipe_flush(p));
    CHECK_EQ(read_int(p), 20);

    /* Writing again after unwriting into an earlier chunk reuses the
     * chunks already linked ahead. */
    for (int i = 0; i < 8; i++)
        write_int(p, 30 + i, true);
    for (int i = 0; i < 6; i++)
        CHECK(zmq__ypipe_unwrite(p, &v));
    for (int i = 2; i < 9; i++)
        write_int(p, 30 + i, i < 8);
    CHECK(zmq__ypipe_flush(p)); /* reader has not slept since */
    for (int i = 0; i < 9; i++)
        CHECK_EQ(read_int(p), 30 + i);
    CHECK_EQ(read_int(p), -1);
    zmq__ypipe_free(p, NULL);
}

static void test_peek(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 2);
    REQUIRE(p);
    CHECK(zmq__ypipe_peek(p) == NULL);
    for (int i = 0; i < 5; i++)
        write_int(p, i, false);
    zmq__ypipe_flush(p);
    for (int i = 0; i < 5; i++) {
        int *q = zmq__ypipe_peek(p);
        REQUIRE(q);
        CHECK_EQ(*q, i);
        CHECK(zmq__ypipe_peek(p) == q); /* left in place */
        CHECK_EQ(read_int(p), i);
    }
    CHECK(zmq__ypipe_peek(p) == NULL);
    zmq__ypipe_free(p, NULL);
}

static unsigned dtor_seen; /* bit i: item i destroyed */
static int dtor_calls;

static void count_dtor(void *item)
{
    int v;
    memcpy(&v, item, sizeof v);
    dtor_seen |= 1u << v;
    dtor_calls++;
}

static void test_free_dtor(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    for (int i = 0; i < 7; i++) /* 0-6 flushed */
        write_int(p, i, false);
    zmq__ypipe_flush(p);
    CHECK_EQ(read_int(p), 0); /* 0, 1 read */
    CHECK_EQ(read_int(p), 1);
    write_int(p, 7, false); /* 7, 8 unflushed */
    write_int(p, 8, false);
    write_int(p, 9, true); /* 9, 10 incomplete */
    write_int(p, 10, true);
    dtor_seen = 0;
    dtor_calls = 0;
    zmq__ypipe_free(p, count_dtor);
    CHECK_EQ(dtor_calls, 9);
    CHECK_EQ(dtor_seen, 0x7fcu);

    /* Empty pipe, and one whose reader is exactly at a chunk boundary. */
    dtor_calls = 0;
    p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    zmq__ypipe_free(p, count_dtor);
    p = zmq__ypipe_new(sizeof(int), 3);
    REQUIRE(p);
    for (int i = 0; i < 3; i++)
        write_int(p, i, false);
    zmq__ypipe_flush(p);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(read_int(p), i);
    zmq__ypipe_free(p, count_dtor);
    CHECK_EQ(dtor_calls, 0);
}

/* Shaped like a message: 64 bytes holding pointers. */
struct big_item {
    void *data;
    size_t size;
    uint64_t seq;
    unsigned char inline_data[40];
};

static void test_big_items(void)
{
    _Static_assert(sizeof(struct big_item) == 64, "64-byte item");
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(struct big_item), 5);
    REQUIRE(p);
    int anchor[100];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            struct big_item it;
            memset(&it, 0, sizeof it);
            it.data = &anchor[i];
            it.size = (size_t)i * 3;
            it.seq = (uint64_t)(round * 100 + i);
            memset(it.inline_data, i, sizeof it.inline_data);
            REQUIRE(zmq__ypipe_write(p, &it, i % 4 != 3) == 0);
        }
        zmq__ypipe_flush(p);
        for (int i = 0; i < 100; i++) {
            struct big_item *q = zmq__ypipe_peek(p);
            REQUIRE(q);
            CHECK_EQ((uintptr_t)q % alignof(max_align_t), 0);
            CHECK(q->data == &anchor[i]);
            struct big_item it;
            REQUIRE(zmq__ypipe_read(p, &it));
            CHECK(it.data == &anchor[i]);
            CHECK_EQ(it.size, (size_t)i * 3);
            CHECK_EQ(it.seq, (uint64_t)(round * 100 + i));
            CHECK_EQ(it.inline_data[0], i);
            CHECK_EQ(it.inline_data[39], i);
        }
        CHECK(zmq__ypipe_peek(p) == NULL);
    }
    zmq__ypipe_free(p, NULL);

    /* Odd sizes still get pointer-aligned slots. */
    p = zmq__ypipe_new(13, 3);
    REQUIRE(p);
    unsigned char buf[13];
    for (int i = 0; i < 10; i++) {
        memset(buf, i, sizeof buf);
        REQUIRE(zmq__ypipe_write(p, buf, false) == 0);
    }
    zmq__ypipe_flush(p);
    for (int i = 0; i < 10; i++) {
        unsigned char *q = zmq__ypipe_peek(p);
        REQUIRE(q);
        CHECK_EQ((uintptr_t)q % 8, 0);
        REQUIRE(zmq__ypipe_read(p, buf));
        CHECK_EQ(buf[0], i);
        CHECK_EQ(buf[12], i);
    }
    zmq__ypipe_free(p, NULL);
}

/* Current address-space size in bytes, from /proc/self/statm. */
static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (size_t)pages * 4096;
}

static void test_enomem(void)
{
    if (UNDER_SANITIZER) {
        printf("     (test_enomem skipped under a sanitizer)\n");
        return;
    }
    /* Chunks far above malloc's largest mmap threshold, so the next one
     * needs fresh address space, which RLIMIT_AS refuses. */
    const size_t item_size = 24u << 20;
    unsigned char *item = calloc(1, item_size);
    struct zmq__ypipe *p = zmq__ypipe_new(item_size, 2);
    REQUIRE(item && p);
    item[0] = 1;
    REQUIRE(zmq__ypipe_write(p, item, false) == 0); /* slot 0: no alloc */

    struct rlimit saved, low;
    REQUIRE(getrlimit(RLIMIT_AS, &saved) == 0);
    size_t vm = vm_size();
    REQUIRE(vm > 0);
    low = saved;
    low.rlim_cur = vm + (4u << 20);
    if (saved.rlim_cur != RLIM_INFINITY && saved.rlim_cur < low.rlim_cur)
        low.rlim_cur = saved.rlim_cur;
    REQUIRE(setrlimit(RLIMIT_AS, &low) == 0);
    item[0] = 2;
    int rc = zmq__ypipe_write(p, item, false); /* last slot: new chunk */
    CHECK(zmq__ypipe_flush(p));                /* publishes item 1 only */
    REQUIRE(setrlimit(RLIMIT_AS, &saved) == 0);
    CHECK_EQ(rc, -ENOMEM);

    unsigned char *q = zmq__ypipe_peek(p);
    REQUIRE(q);
    CHECK_EQ(q[0], 1);
    REQUIRE(zmq__ypipe_read(p, item));
    CHECK_EQ(item[0], 1);
    CHECK(zmq__ypipe_peek(p) == NULL);
    /* With memory back, the same write succeeds. */
    item[0] = 3;
    CHECK_EQ(zmq__ypipe_write(p, item, false), 0);
    CHECK(!zmq__ypipe_flush(p));
    REQUIRE(zmq__ypipe_read(p, item));
    CHECK_EQ(item[0], 3);
    zmq__ypipe_free(p, NULL);
    free(item);
}

/* ------------------------------------------------------------------------ */
/* Two threads                                                              */
/* ------------------------------------------------------------------------ */

#define STRESS_ITEMS 2000000u
#define JUNK         UINT64_MAX

struct seq_item {
    uint64_t seq;
    uint64_t more; /* nonzero: the next item belongs to the same group */
};

struct stress {
    struct zmq__ypipe *pipe;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool wake; /* under mu: a flush returned false since the last wait */
    /* Results, read by the main thread after join. */
    unsigned long producer_errors;
    unsigned long consumer_errors;
    unsigned long wakeups;
    uint64_t received;
};

static void stress_wake(struct stress *s)
{
    pthread_mutex_lock(&s->mu);
    s->wake = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Waits for the producer's wake-up.  The deadline only turns a lost
 * wake-up into a test failure instead of a hang. */
static bool stress_wait(struct stress *s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    while (!s->wake && rc == 0)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &deadline);
    bool woken = s->wake;
    s->wake = false;
    pthread_mutex_unlock(&s->mu);
    return woken;
}

static void stress_flush(struct stress *s)
{
    if (!zmq__ypipe_flush(s->pipe))
        stress_wake(s);
}

static void stress_put(struct stress *s, uint64_t seq, bool more)
{
    struct seq_item it = {seq, more};
    if (zmq__ypipe_write(s->pipe, &it, more) != 0)
        s->producer_errors++;
}

static void *stress_producer(void *arg)
{
    struct stress *s = arg;
    uint64_t seq = 0;
    unsigned since_flush = 0, flush_every = 1;
    while (seq < STRESS_ITEMS) {
        if (seq % 7 == 3 && seq + 3 <= STRESS_ITEMS) {
            stress_put(s, seq, true);
            stress_put(s, seq + 1, true);
            stress_put(s, seq + 2, false);
            seq += 3;
        } else {
            stress_put(s, seq++, false);
        }
        if (seq % 101 == 0) {
            /* A rolled-back part must never reach the reader. */
            struct seq_item junk = {JUNK, 1};
            stress_put(s, JUNK, true);
            if (!zmq__ypipe_unwrite(s->pipe, &junk) || junk.seq != JUNK)
                s->producer_errors++;
        }
        if (++since_flush >= flush_every) {
            stress_flush(s);
            since_flush = 0;
            flush_every = 1 + (unsigned)(seq % 13) % 8;
        }
    }
    stress_flush(s);
    return NULL;
}

static void *stress_consumer(void *arg)
{
    struct stress *s = arg;
    uint64_t expect = 0;
    bool in_group = false; /* the previous item said more follow */
    bool after_wake = false;
    while (expect < STRESS_ITEMS) {
        struct seq_item it;
        if (!zmq__ypipe_read(s->pipe, &it)) {
            /* The failed read marked us asleep, so the next flush that
             * publishes returns false and sets wake: waiting for it cannot
             * miss a wake-up. */
            if (in_group || after_wake)
                s->consumer_errors++; /* group split, or woken for nothing */
            if (!stress_wait(s)) {
                s->consumer_errors++; /* lost wake-up */
                break;
            }
            s->wakeups++;
            after_wake = true;
            continue;
        }
        after_wake = false;
        if (it.seq != expect) {
            s->consumer_errors++;
            break;
        }
        in_group = it.more != 0;
        expect++;
    }
    s->received = expect;
    return NULL;
}

static void stress_with_chunk(size_t chunk_items)
{
    struct stress s;
    memset(&s, 0, sizeof s);
    s.pipe = zmq__ypipe_new(sizeof(struct seq_item), chunk_items);
    REQUIRE(s.pipe);
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_t prod, cons;
    REQUIRE(pthread_create(&cons, NULL, stress_consumer, &s) == 0);
    REQUIRE(pthread_create(&prod, NULL, stress_producer, &s) == 0);
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("     chunk %zu: %u items in %.3f s (%.1f M items/s), %lu "
           "wake-ups\n",
           chunk_items, STRESS_ITEMS, secs, STRESS_ITEMS / secs / 1e6,
           s.wakeups);
    CHECK_EQ(s.producer_errors, 0);
    CHECK_EQ(s.consumer_errors, 0);
    CHECK_EQ(s.received, STRESS_ITEMS);
    /* Nothing more, junk included; the joins order us after both. */
    struct seq_item it;
    CHECK(!zmq__ypipe_read(s.pipe, &it));
    zmq__ypipe_free(s.pipe, NULL);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
}

/* A reader that polls instead of sleeping, and a writer that ignores
 * the sleep protocol by waking nobody: no mutex orders the two, so only
 * the pipe's own orderings make the items visible (checked under
 * ThreadSanitizer). */
#define POLL_ITEMS 200000u

static void *poll_producer(void *arg)
{
    struct zmq__ypipe *p = arg;
    for (uint64_t seq = 0; seq < POLL_ITEMS; seq++) {
        struct seq_item it = {seq, 0};
        while (zmq__ypipe_write(p, &it, false) != 0)
            sched_yield();
        /* After publishing to a sleeping reader, give it the chance to
         * see that very position before the next flush. */
        if (seq % 5 == 4 && !zmq__ypipe_flush(p))
            sched_yield();
    }
    zmq__ypipe_flush(p);
    return NULL;
}

static void test_polling_reader(void)
{
    struct zmq__ypipe *p = zmq__ypipe_new(sizeof(struct seq_item), 4);
    REQUIRE(p);
    pthread_t prod;
    REQUIRE(pthread_create(&prod, NULL, poll_producer, p) == 0);
    uint64_t expect = 0;
    unsigned long errors = 0;
    while (expect < POLL_ITEMS) {
        struct seq_item it;
        if (!zmq__ypipe_read(p, &it)) {
            sched_yield();
            continue;
        }
        if (it.seq != expect++)
            errors++;
    }
    pthread_join(prod, NULL);
    CHECK_EQ(errors, 0);
    zmq__ypipe_free(p, NULL);
}

static void test_stress(void)
{
    stress_with_chunk(256);
    stress_with_chunk(3);
}

TEST_MAIN(TEST(test_empty), TEST(test_bad_sizes), TEST(test_order),
          TEST(test_flush_protocol), TEST(test_incomplete), TEST(test_unwrite),
          TEST(test_peek), TEST(test_free_dtor), TEST(test_big_items),
          TEST(test_enomem), TEST(test_polling_reader), TEST(test_stress))
