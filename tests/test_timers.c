/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of the zmq_timers_* API on the real monotonic clock.
 *
 * Nothing sleeps a fixed time: a test that needs a timer to fire loops
 * "sleep for zmq_timers_timeout(), then zmq_timers_execute()" until the
 * condition it waits for holds, bounded by a deadline.  Exact scheduling
 * is covered with a fake clock by unit_timers.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <time.h>
#include <zmq.h>

#include "testutil.h"

#define DEADLINE_MS 5000

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_ms(long ms)
{
    struct timespec left = {.tv_sec = ms / 1000,
                            .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
}

/* What a handler saw: how often it ran, with which id and arg, when. */
struct record {
    int calls;
    int last_id;
    void *last_arg;
    uint64_t at_us[16];
};

static void record_handler(int timer_id, void *arg)
{
    struct record *r = arg;
    if (r->calls < 16)
        r->at_us[r->calls] = now_us();
    r->calls++;
    r->last_id = timer_id;
    r->last_arg = arg;
}

/* Drives the set until *calls >= want: sleeps exactly the time the set
 * asks for, then executes.  Returns 1 when reached, 0 on the deadline or
 * when the set has no timers left. */
static int run_until(void *timers, const int *calls, int want)
{
    uint64_t deadline = now_us() + DEADLINE_MS * 1000u;
    while (*calls < want) {
        long t = zmq_timers_timeout(timers);
        if (t < 0 || now_us() > deadline)
            return 0;
        if (t > 0)
            sleep_ms(t);
        if (zmq_timers_execute(timers) != 0)
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */

static void timers_new_destroy(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
    CHECK(t == NULL);
    /* The pointer is NULL now: destroying it again is an error. */
    CHECK_ERR(zmq_timers_destroy(&t), -1, EFAULT);
    CHECK_ERR(zmq_timers_destroy(NULL), -1, EFAULT);

    /* A set with timers in it is freed with them (ASan checks leaks). */
    struct record r = {0};
    t = zmq_timers_new();
    REQUIRE(t != NULL);
    CHECK(zmq_timers_add(t, 1000, record_handler, &r) > 0);
    CHECK(zmq_timers_add(t, 2000, record_handler, &r) > 0);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
    CHECK(t == NULL);
    CHECK_EQ(r.calls, 0);
}

static void check_bad_handle(void *h)
{
    struct record r = {0};
    CHECK_ERR(zmq_timers_add(h, 10, record_handler, &r), -1, EFAULT);
    CHECK_ERR(zmq_timers_cancel(h, 1), -1, EFAULT);
    CHECK_ERR(zmq_timers_set_interval(h, 1, 10), -1, EFAULT);
    CHECK_ERR(zmq_timers_reset(h, 1), -1, EFAULT);
    CHECK_ERR(zmq_timers_timeout(h), -1, EFAULT);
    CHECK_ERR(zmq_timers_execute(h), -1, EFAULT);
    void *p = h;
    CHECK_ERR(zmq_timers_destroy(&p), -1, EFAULT);
    CHECK(p == h);
}

static void timers_bad_handle(void)
{
    check_bad_handle(NULL);

    /* Things that are not timer sets. */
    struct {
        uint64_t words[8];
    } zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    check_bad_handle(&zeroed);
    unsigned char junk[64];
    memset(junk, 0xa5, sizeof junk);
    check_bad_handle(junk);
}

static void timers_add_ids(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    int ids[20];
    for (int i = 0; i < 20; i++) {
        ids[i] = zmq_timers_add(t, 10000 + (size_t)i, record_handler, &r);
        CHECK(ids[i] > 0);
        for (int j = 0; j < i; j++)
            CHECK(ids[i] != ids[j]);
    }
    /* After a cancel, a new id still differs from every live one. */
    CHECK_EQ(zmq_timers_cancel(t, ids[5]), 0);
    int fresh = zmq_timers_add(t, 10000, record_handler, NULL);
    CHECK(fresh > 0);
    for (int j = 0; j < 20; j++)
        if (j != 5)
            CHECK(fresh != ids[j]);

    /* NULL handler. */
    CHECK_ERR(zmq_timers_add(t, 10, NULL, &r), -1, EFAULT);
    CHECK_ERR(zmq_timers_add(t, 0, NULL, NULL), -1, EFAULT);

    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(r.calls, 0);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_timeout(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    CHECK_EQ(zmq_timers_timeout(t), -1);

    int slow = zmq_timers_add(t, 5000, record_handler, &r);
    REQUIRE(slow > 0);
    long to = zmq_timers_timeout(t);
    CHECK(to >= 0 && to <= 5000);
    CHECK(to > 4000); /* it was just added */

    /* A nearer timer becomes the earliest. */
    int fast = zmq_timers_add(t, 300, record_handler, &r);
    REQUIRE(fast > 0);
    to = zmq_timers_timeout(t);
    CHECK(to >= 0 && to <= 300);

    /* Cancelling it brings back the slow one's timeout. */
    CHECK_EQ(zmq_timers_cancel(t, fast), 0);
    to = zmq_timers_timeout(t);
    CHECK(to > 300 && to <= 5000);

    CHECK_EQ(zmq_timers_cancel(t, slow), 0);
    CHECK_EQ(zmq_timers_timeout(t), -1);
    CHECK_EQ(r.calls, 0);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_execute_before_due(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    REQUIRE(zmq_timers_add(t, 10000, record_handler, &r) > 0);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(r.calls, 0);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_execute_due_and_repeat(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    struct record other = {0};
    uint64_t start = now_us();
    int id = zmq_timers_add(t, 30, record_handler, &r);
    REQUIRE(id > 0);
    /* A far timer in the same set must not run meanwhile. */
    REQUIRE(zmq_timers_add(t, 60000, record_handler, &other) > 0);

    REQUIRE(run_until(t, &r.calls, 1));
    CHECK_EQ(r.calls, 1);
    CHECK_EQ(r.last_id, id);
    CHECK(r.last_arg == &r);
    /* Millisecond clock: not earlier than 30 ms less one tick. */
    CHECK(r.at_us[0] - start >= 29000);

    /* It repeats, every interval. */
    REQUIRE(run_until(t, &r.calls, 4));
    CHECK_EQ(r.calls, 4);
    CHECK_EQ(r.last_id, id);
    for (int i = 1; i < 4; i++)
        CHECK(r.at_us[i] - r.at_us[i - 1] >= 29000);
    CHECK_EQ(other.calls, 0);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_not_rerun_until_interval(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    REQUIRE(zmq_timers_add(t, 200, record_handler, &r) > 0);
    REQUIRE(run_until(t, &r.calls, 1));
    /* Just ran: the next run is about an interval away. */
    long to = zmq_timers_timeout(t);
    CHECK(to > 100 && to <= 200);
    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(r.calls, 1);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_cancel(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record a = {0}, b = {0};
    CHECK_ERR(zmq_timers_cancel(t, 12345), -1, EINVAL);
    CHECK_ERR(zmq_timers_cancel(t, 0), -1, EINVAL);
    CHECK_ERR(zmq_timers_cancel(t, -1), -1, EINVAL);

    int ida = zmq_timers_add(t, 20, record_handler, &a);
    int idb = zmq_timers_add(t, 40, record_handler, &b);
    REQUIRE(ida > 0 && idb > 0);
    CHECK_EQ(zmq_timers_cancel(t, ida), 0);
    CHECK_ERR(zmq_timers_cancel(t, ida), -1, EINVAL);

    /* Run well past several of A's would-be expiries. */
    REQUIRE(run_until(t, &b.calls, 3));
    CHECK_EQ(a.calls, 0);
    CHECK_EQ(b.last_id, idb);
    CHECK_EQ(zmq_timers_cancel(t, idb), 0);
    CHECK_EQ(zmq_timers_timeout(t), -1);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

/* Handlers that act on the set. */
struct actor {
    void *timers;
    int calls;
    int target;   /* timer to cancel, reset ... */
    int rc;       /* what that call returned (the latest call) */
    int first_rc; /* ... and on the first call */
    int added;    /* id of a timer the handler added */
    struct record *added_record;
};

static void cancel_target_handler(int timer_id, void *arg)
{
    struct actor *a = arg;
    (void)timer_id;
    a->calls++;
    a->rc = zmq_timers_cancel(a->timers, a->target);
    if (a->calls == 1)
        a->first_rc = a->rc;
}

static void timers_cancel_self_in_handler(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct actor a = {.timers = t, .rc = 99};
    a.target = zmq_timers_add(t, 10, cancel_target_handler, &a);
    REQUIRE(a.target > 0);
    REQUIRE(run_until(t, &a.calls, 1));
    CHECK_EQ(a.calls, 1);
    CHECK_EQ(a.rc, 0);
    /* Gone: no timers left, it never runs again. */
    CHECK_EQ(zmq_timers_timeout(t), -1);
    CHECK_ERR(zmq_timers_cancel(t, a.target), -1, EINVAL);
    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(a.calls, 1);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_cancel_other_in_handler(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct actor a = {.timers = t, .rc = 99, .first_rc = 99};
    struct record b = {0};
    struct record c = {0};
    /* A and B are due at (nearly) the same time, A first; A cancels B. */
    int ida = zmq_timers_add(t, 20, cancel_target_handler, &a);
    a.target = zmq_timers_add(t, 20, record_handler, &b);
    int idc = zmq_timers_add(t, 25, record_handler, &c);
    REQUIRE(ida > 0 && a.target > 0 && idc > 0);
    REQUIRE(run_until(t, &c.calls, 3));
    CHECK_EQ(a.first_rc, 0);
    CHECK_EQ(b.calls, 0);
    CHECK(a.calls >= 2);
    /* A keeps running; its later cancels of the gone B fail. */
    CHECK_EQ(a.rc, -1);
    CHECK_EQ(zmq_timers_cancel(t, ida), 0);
    CHECK_EQ(zmq_timers_cancel(t, idc), 0);
    CHECK_EQ(zmq_timers_timeout(t), -1);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_unknown_id(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    CHECK_ERR(zmq_timers_set_interval(t, 1, 10), -1, EINVAL);
    CHECK_ERR(zmq_timers_reset(t, 1), -1, EINVAL);
    int id = zmq_timers_add(t, 1000, record_handler, &r);
    REQUIRE(id > 0);
    CHECK_ERR(zmq_timers_set_interval(t, id + 1, 10), -1, EINVAL);
    CHECK_ERR(zmq_timers_reset(t, id + 1), -1, EINVAL);
    CHECK_ERR(zmq_timers_set_interval(t, 0, 10), -1, EINVAL);
    CHECK_ERR(zmq_timers_reset(t, -5), -1, EINVAL);
    CHECK_EQ(zmq_timers_cancel(t, id), 0);
    /* A cancelled id is unknown too. */
    CHECK_ERR(zmq_timers_set_interval(t, id, 10), -1, EINVAL);
    CHECK_ERR(zmq_timers_reset(t, id), -1, EINVAL);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

/* Sleeps until the set's timeout is at most ms (executing nothing). */
static int wait_until_timeout_below(void *t, long ms)
{
    uint64_t deadline = now_us() + DEADLINE_MS * 1000u;
    for (;;) {
        long to = zmq_timers_timeout(t);
        if (to < 0 || now_us() > deadline)
            return 0;
        if (to <= ms)
            return 1;
        sleep_ms(to - ms);
    }
}

static void timers_reset_and_set_interval(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record r = {0};
    int id = zmq_timers_add(t, 400, record_handler, &r);
    REQUIRE(id > 0);

    /* Half-way through, a reset pushes the expiry back to ~400 ms. */
    REQUIRE(wait_until_timeout_below(t, 200));
    CHECK_EQ(zmq_timers_reset(t, id), 0);
    long to = zmq_timers_timeout(t);
    CHECK(to > 300 && to <= 400);
    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(r.calls, 0);

    /* A longer interval takes effect from now. */
    CHECK_EQ(zmq_timers_set_interval(t, id, 3000), 0);
    to = zmq_timers_timeout(t);
    CHECK(to > 2500 && to <= 3000);

    /* A shorter one too: it fires after ~30 ms, not 3 s. */
    uint64_t start = now_us();
    CHECK_EQ(zmq_timers_set_interval(t, id, 30), 0);
    to = zmq_timers_timeout(t);
    CHECK(to >= 0 && to <= 30);
    REQUIRE(run_until(t, &r.calls, 2));
    CHECK_EQ(r.last_id, id);
    CHECK(r.at_us[0] - start >= 29000);
    CHECK(r.at_us[0] - start < 2500000);
    /* ... and keeps the new interval. */
    CHECK(r.at_us[1] - r.at_us[0] >= 29000);
    CHECK(r.at_us[1] - r.at_us[0] < 2500000);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void timers_zero_interval(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record a = {0}, b = {0};
    int ida = zmq_timers_add(t, 0, record_handler, &a);
    REQUIRE(ida > 0);
    CHECK_EQ(zmq_timers_timeout(t), 0);
    /* Due at once, but each execute runs it exactly once. */
    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(a.calls, 1);
    CHECK_EQ(zmq_timers_timeout(t), 0);
    for (int i = 2; i <= 5; i++) {
        CHECK_EQ(zmq_timers_execute(t), 0);
        CHECK_EQ(a.calls, i);
    }
    /* Two of them: each once per call. */
    int idb = zmq_timers_add(t, 0, record_handler, &b);
    REQUIRE(idb > 0);
    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(a.calls, 6);
    CHECK_EQ(b.calls, 1);
    CHECK_EQ(zmq_timers_execute(t), 0);
    CHECK_EQ(a.calls, 7);
    CHECK_EQ(b.calls, 2);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

static void add_then_cancel_self_handler(int timer_id, void *arg)
{
    struct actor *a = arg;
    a->calls++;
    a->added = zmq_timers_add(a->timers, 20, record_handler, a->added_record);
    a->rc = zmq_timers_cancel(a->timers, timer_id);
}

static void timers_add_in_handler(void)
{
    void *t = zmq_timers_new();
    REQUIRE(t != NULL);
    struct record added = {0};
    struct actor a = {.timers = t, .rc = 99, .added_record = &added};
    int ida = zmq_timers_add(t, 10, add_then_cancel_self_handler, &a);
    REQUIRE(ida > 0);
    REQUIRE(run_until(t, &a.calls, 1));
    CHECK(a.added > 0);
    CHECK(a.added != ida);
    CHECK_EQ(a.rc, 0);
    /* The new timer lives on and fires with its own id and arg. */
    REQUIRE(run_until(t, &added.calls, 2));
    CHECK_EQ(a.calls, 1);
    CHECK_EQ(added.last_id, a.added);
    CHECK(added.last_arg == &added);
    CHECK_EQ(zmq_timers_destroy(&t), 0);
}

TEST_MAIN(TEST(timers_new_destroy), TEST(timers_bad_handle),
          TEST(timers_add_ids), TEST(timers_timeout),
          TEST(timers_execute_before_due), TEST(timers_execute_due_and_repeat),
          TEST(timers_not_rerun_until_interval), TEST(timers_cancel),
          TEST(timers_cancel_self_in_handler),
          TEST(timers_cancel_other_in_handler), TEST(timers_unknown_id),
          TEST(timers_reset_and_set_interval), TEST(timers_zero_interval),
          TEST(timers_add_in_handler))
