/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of core/timers with a fake clock: every "now" is a
 * number the test picks, so expiries, timeouts and firing order are
 * checked exactly.
 *
 * Not covered: id wrap-around after INT_MAX.  The next id lives in the
 * opaque set and there is no hook to move it, and reaching it by adding
 * and cancelling 2^31 timers takes far too long for a unit test.
 */
#include <limits.h>
#include <stdint.h>

#include "core/timers.h"
#include "testutil.h"

/* A deterministic generator so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* ------------------------------------------------------------------------ */
/* A log of handler calls, shared by the tests                              */
/* ------------------------------------------------------------------------ */

#define LOG_MAX 20000

struct fired {
    int id;
    uint64_t now;
    void *arg;
};

static struct fired fire_log[LOG_MAX];
static size_t fire_count;
static uint64_t fake_now;           /* what the test passes to execute */
static struct zmq__timers *current; /* the set a handler may act on */

static void log_reset(void)
{
    fire_count = 0;
}

static void log_fire(int id, void *arg)
{
    if (fire_count < LOG_MAX) {
        fire_log[fire_count].id = id;
        fire_log[fire_count].now = fake_now;
        fire_log[fire_count].arg = arg;
    }
    fire_count++;
}

static void record_handler(int id, void *arg)
{
    log_fire(id, arg);
}

/* Logs, then cancels itself: a one-shot timer. */
static void one_shot_handler(int id, void *arg)
{
    log_fire(id, arg);
    CHECK_EQ(zmq__timers_cancel(current, id), 0);
}

static void execute_at(struct zmq__timers *t, uint64_t now)
{
    fake_now = now;
    current = t;
    zmq__timers_execute(t, now);
}

/* ------------------------------------------------------------------------ */

static void timers_count(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    CHECK_EQ(zmq__timers_count(t), 0);
    int ids[10];
    for (int i = 0; i < 10; i++) {
        ids[i] = zmq__timers_add(t, 0, 100, record_handler, NULL);
        CHECK(ids[i] > 0);
        CHECK_EQ(zmq__timers_count(t), i + 1);
    }
    CHECK_EQ(zmq__timers_cancel(t, ids[3]), 0);
    CHECK_EQ(zmq__timers_count(t), 9);
    CHECK_EQ(zmq__timers_cancel(t, ids[3]), -EINVAL);
    CHECK_EQ(zmq__timers_count(t), 9);
    log_reset();
    execute_at(t, 100);
    CHECK_EQ(fire_count, 9);
    CHECK_EQ(zmq__timers_count(t), 9);
    CHECK_EQ(zmq__timers_reset(t, 150, ids[0]), 0);
    CHECK_EQ(zmq__timers_set_interval(t, 150, ids[1], 7), 0);
    CHECK_EQ(zmq__timers_count(t), 9);
    for (int i = 0; i < 10; i++)
        if (i != 3)
            CHECK_EQ(zmq__timers_cancel(t, ids[i]), 0);
    CHECK_EQ(zmq__timers_count(t), 0);
    zmq__timers_free(t);
}

static void timers_ids_unique(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    enum { N = 500 };
    static int ids[N];
    for (int i = 0; i < N; i++) {
        ids[i] = zmq__timers_add(t, 0, 10, record_handler, NULL);
        CHECK(ids[i] > 0);
    }
    /* Cancel every third one and add more: all live ids distinct. */
    for (int i = 0; i < N; i += 3)
        CHECK_EQ(zmq__timers_cancel(t, ids[i]), 0);
    for (int i = 0; i < N; i += 3)
        ids[i] = zmq__timers_add(t, 0, 10, record_handler, NULL);
    int dup = 0;
    for (int i = 0; i < N; i++) {
        CHECK(ids[i] > 0);
        for (int j = 0; j < i; j++)
            if (ids[i] == ids[j])
                dup++;
    }
    CHECK_EQ(dup, 0);
    CHECK_EQ(zmq__timers_count(t), N);
    /* Each id cancels its own timer exactly once. */
    for (int i = 0; i < N; i++)
        CHECK_EQ(zmq__timers_cancel(t, ids[i]), 0);
    CHECK_EQ(zmq__timers_count(t), 0);
    zmq__timers_free(t);
}

static void timers_timeout_exact(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    CHECK_EQ(zmq__timers_timeout(t, 0), -1);
    CHECK_EQ(zmq__timers_timeout(t, 123456), -1);
    int a = zmq__timers_add(t, 1000, 250, record_handler, NULL);
    REQUIRE(a > 0);
    CHECK_EQ(zmq__timers_timeout(t, 1000), 250);
    CHECK_EQ(zmq__timers_timeout(t, 1100), 150);
    CHECK_EQ(zmq__timers_timeout(t, 1249), 1);
    CHECK_EQ(zmq__timers_timeout(t, 1250), 0);
    CHECK_EQ(zmq__timers_timeout(t, 1251), 0);
    CHECK_EQ(zmq__timers_timeout(t, 99999), 0);
    /* The earliest of several counts. */
    int b = zmq__timers_add(t, 1100, 50, record_handler, NULL);
    REQUIRE(b > 0);
    CHECK_EQ(zmq__timers_timeout(t, 1100), 50);
    CHECK_EQ(zmq__timers_cancel(t, b), 0);
    CHECK_EQ(zmq__timers_timeout(t, 1100), 150);
    /* Zero interval: due at once. */
    int c = zmq__timers_add(t, 1100, 0, record_handler, NULL);
    REQUIRE(c > 0);
    CHECK_EQ(zmq__timers_timeout(t, 1100), 0);
    CHECK_EQ(zmq__timers_cancel(t, c), 0);
    CHECK_EQ(zmq__timers_cancel(t, a), 0);
    CHECK_EQ(zmq__timers_timeout(t, 1100), -1);
    zmq__timers_free(t);
}

/* One-shot timers with random intervals fire in expiry order, ties in
 * insertion order, each exactly at its expiry. */
static void timers_random_order(void)
{
    enum { N = 400 };
    struct {
        int id;
        uint64_t expiry;
    } want[N];
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    for (int i = 0; i < N; i++) {
        uint64_t now = 10000 + (uint64_t)i / 8; /* time moves on a bit */
        uint64_t interval = 100 + rng() % 600;  /* due after the last add */
        want[i].id = zmq__timers_add(t, now, interval, one_shot_handler, NULL);
        want[i].expiry = now + interval;
        REQUIRE(want[i].id > 0);
    }
    /* Stable insertion sort by expiry: the expected firing order. */
    for (int i = 1; i < N; i++) {
        int id = want[i].id;
        uint64_t e = want[i].expiry;
        int j = i - 1;
        while (j >= 0 && want[j].expiry > e) {
            want[j + 1] = want[j];
            j--;
        }
        want[j + 1].id = id;
        want[j + 1].expiry = e;
    }

    log_reset();
    uint64_t now = 10000 + N / 8;
    int executes = 0, empty_executes = 0;
    while (zmq__timers_count(t) > 0 && executes < 2 * N) {
        long to = zmq__timers_timeout(t, now);
        REQUIRE(to >= 0);
        now += (uint64_t)to;
        size_t before = fire_count;
        execute_at(t, now);
        executes++;
        if (fire_count == before)
            empty_executes++;
    }
    CHECK_EQ(zmq__timers_count(t), 0);
    CHECK_EQ(fire_count, N);
    /* Jumping straight to the next expiry always finds something due. */
    CHECK_EQ(empty_executes, 0);
    int order_errors = 0;
    for (int i = 0; i < N && (size_t)i < fire_count; i++)
        if (fire_log[i].id != want[i].id || fire_log[i].now != want[i].expiry)
            order_errors++;
    CHECK_EQ(order_errors, 0);
    zmq__timers_free(t);
}

static void timers_equal_expiry_insertion_order(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    enum { N = 64 };
    int ids[N];
    /* Same expiry (500) reached from different add times and intervals. */
    for (int i = 0; i < N; i++) {
        uint64_t now = (uint64_t)i;
        ids[i] = zmq__timers_add(t, now, 500 - now, record_handler, NULL);
        REQUIRE(ids[i] > 0);
    }
    log_reset();
    execute_at(t, 499);
    CHECK_EQ(fire_count, 0);
    execute_at(t, 500);
    REQUIRE(fire_count == N);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(fire_log[i].id, ids[i]);
        CHECK_EQ(fire_log[i].now, 500);
    }
    zmq__timers_free(t);
}

/* Repeating timers: each fires at exactly add + k * interval when the
 * clock visits every expiry. */
static void timers_repeat_exact(void)
{
    enum { N = 25, HORIZON = 3000 };
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    int ids[N];
    uint64_t intervals[N], start[N];
    int arg_index[N];
    for (int i = 0; i < N; i++) {
        /* First expiry after the last add (at N - 1). */
        intervals[i] = N + rng() % 97;
        start[i] = (uint64_t)i;
        arg_index[i] = i;
        ids[i] = zmq__timers_add(t, start[i], intervals[i], record_handler,
                                 &arg_index[i]);
        REQUIRE(ids[i] > 0);
    }
    log_reset();
    uint64_t now = N - 1;
    while (now <= HORIZON) {
        long to = zmq__timers_timeout(t, now);
        REQUIRE(to >= 0);
        now += (uint64_t)to;
        if (now > HORIZON)
            break;
        execute_at(t, now);
    }
    REQUIRE(fire_count < LOG_MAX);
    /* Per timer, the k-th firing is at start + k * interval, with the
     * timer's own arg; time never goes backwards in the log. */
    int errors = 0, total = 0;
    for (int i = 0; i < N; i++) {
        uint64_t k = 0;
        for (size_t f = 0; f < fire_count; f++) {
            if (fire_log[f].id != ids[i])
                continue;
            k++;
            if (fire_log[f].now != start[i] + k * intervals[i] ||
                fire_log[f].arg != &arg_index[i])
                errors++;
        }
        /* And it fired every time it was due up to the horizon. */
        CHECK_EQ(k, (HORIZON - start[i]) / intervals[i]);
        total += (int)k;
    }
    CHECK_EQ(errors, 0);
    CHECK_EQ(total, fire_count);
    for (size_t f = 1; f < fire_count; f++)
        CHECK(fire_log[f].now >= fire_log[f - 1].now);
    zmq__timers_free(t);
}

static void timers_once_per_execute(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    int a = zmq__timers_add(t, 0, 10, record_handler, NULL);
    REQUIRE(a > 0);
    /* Far overdue (100 intervals): one run, no catch-up burst, and the
     * next expiry counts from now. */
    log_reset();
    execute_at(t, 1000);
    CHECK_EQ(fire_count, 1);
    CHECK_EQ(zmq__timers_timeout(t, 1000), 10);
    execute_at(t, 1000);
    CHECK_EQ(fire_count, 1);
    execute_at(t, 1009);
    CHECK_EQ(fire_count, 1);
    execute_at(t, 1010);
    CHECK_EQ(fire_count, 2);

    /* Zero intervals: once per execute each, also with others due. */
    int z1 = zmq__timers_add(t, 1010, 0, record_handler, NULL);
    int z2 = zmq__timers_add(t, 1010, 0, record_handler, NULL);
    REQUIRE(z1 > 0 && z2 > 0);
    log_reset();
    execute_at(t, 1010);
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[0].id, z1);
    CHECK_EQ(fire_log[1].id, z2);
    log_reset();
    /* a is due too (expiry 1020), after z1 and z2 (expiry 1010). */
    execute_at(t, 1020);
    REQUIRE(fire_count == 3);
    CHECK_EQ(fire_log[0].id, z1);
    CHECK_EQ(fire_log[1].id, z2);
    CHECK_EQ(fire_log[2].id, a);
    for (int i = 0; i < 5; i++) {
        log_reset();
        execute_at(t, 1021);
        CHECK_EQ(fire_count, 2);
    }
    zmq__timers_free(t);
}

static void timers_set_interval_reset_exact(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    CHECK_EQ(zmq__timers_reset(t, 0, 1), -EINVAL);
    CHECK_EQ(zmq__timers_set_interval(t, 0, 1, 5), -EINVAL);
    int a = zmq__timers_add(t, 0, 100, record_handler, NULL);
    REQUIRE(a > 0);
    CHECK_EQ(zmq__timers_reset(t, 0, a + 1), -EINVAL);
    CHECK_EQ(zmq__timers_set_interval(t, 0, a + 1, 5), -EINVAL);
    CHECK_EQ(zmq__timers_reset(t, 0, 0), -EINVAL);
    CHECK_EQ(zmq__timers_reset(t, 0, -1), -EINVAL);

    /* Reset at 60: due at 160, then every 100. */
    CHECK_EQ(zmq__timers_reset(t, 60, a), 0);
    CHECK_EQ(zmq__timers_timeout(t, 60), 100);
    log_reset();
    execute_at(t, 100);
    execute_at(t, 159);
    CHECK_EQ(fire_count, 0);
    execute_at(t, 160);
    CHECK_EQ(fire_count, 1);
    CHECK_EQ(zmq__timers_timeout(t, 160), 100);

    /* New interval 50 at 200: due at 250, then 300, 350. */
    CHECK_EQ(zmq__timers_set_interval(t, 200, a, 50), 0);
    CHECK_EQ(zmq__timers_timeout(t, 200), 50);
    execute_at(t, 249);
    CHECK_EQ(fire_count, 1);
    execute_at(t, 250);
    CHECK_EQ(fire_count, 2);
    execute_at(t, 299);
    CHECK_EQ(fire_count, 2);
    execute_at(t, 300);
    CHECK_EQ(fire_count, 3);

    /* Rescheduling changes the order against other timers. */
    int b = zmq__timers_add(t, 300, 10, record_handler, NULL); /* 310 */
    REQUIRE(b > 0);
    CHECK_EQ(zmq__timers_set_interval(t, 300, a, 5), 0); /* 305 */
    CHECK_EQ(zmq__timers_timeout(t, 300), 5);
    CHECK_EQ(zmq__timers_set_interval(t, 300, a, 20), 0); /* 320 */
    CHECK_EQ(zmq__timers_timeout(t, 300), 10);
    log_reset();
    execute_at(t, 320);
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[0].id, b);
    CHECK_EQ(fire_log[1].id, a);
    /* A reset keeps the interval that set_interval gave. */
    CHECK_EQ(zmq__timers_reset(t, 321, a), 0);
    CHECK_EQ(zmq__timers_cancel(t, b), 0);
    CHECK_EQ(zmq__timers_timeout(t, 321), 20);
    /* An unknown id leaves the known timer alone. */
    CHECK_EQ(zmq__timers_reset(t, 330, b), -EINVAL);
    CHECK_EQ(zmq__timers_set_interval(t, 330, b, 1), -EINVAL);
    CHECK_EQ(zmq__timers_timeout(t, 321), 20);
    zmq__timers_free(t);
}

/* ------------------------------------------------------------------------ */
/* Handlers acting on the set during execute                                */
/* ------------------------------------------------------------------------ */

struct action {
    int kind; /* 0: cancel target, 1: reset target, 2: add a timer */
    int target;
    int rc;
};

static void acting_handler(int id, void *arg)
{
    struct action *a = arg;
    log_fire(id, arg);
    switch (a->kind) {
    case 0:
        a->rc = zmq__timers_cancel(current, a->target);
        break;
    case 1:
        a->rc = zmq__timers_reset(current, fake_now, a->target);
        break;
    default:
        a->rc = zmq__timers_add(current, fake_now, 40, record_handler, NULL);
        break;
    }
}

static void timers_handler_cancels_due_timer(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    struct action act = {.kind = 0, .rc = 99};
    int a = zmq__timers_add(t, 0, 100, acting_handler, &act);
    int b = zmq__timers_add(t, 0, 100, record_handler, NULL);
    int c = zmq__timers_add(t, 0, 100, record_handler, NULL);
    REQUIRE(a > 0 && b > 0 && c > 0);
    act.target = b;
    log_reset();
    execute_at(t, 100);
    /* a ran and cancelled b before b's turn; c still ran. */
    CHECK_EQ(act.rc, 0);
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[0].id, a);
    CHECK_EQ(fire_log[1].id, c);
    CHECK_EQ(zmq__timers_count(t), 2);
    /* Next round: a's cancel of b fails now, both a and c run again. */
    log_reset();
    execute_at(t, 200);
    CHECK_EQ(act.rc, -EINVAL);
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[0].id, a);
    CHECK_EQ(fire_log[1].id, c);
    zmq__timers_free(t);
}

static void timers_handler_cancels_self_and_others_run(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    enum { N = 40 };
    int ids[N];
    /* Many due timers, every other one a one-shot: heap stays ordered
     * while its top is removed inside execute. */
    for (int i = 0; i < N; i++) {
        ids[i] = zmq__timers_add(
            t, 0, 50, i % 2 ? one_shot_handler : record_handler, NULL);
        REQUIRE(ids[i] > 0);
    }
    log_reset();
    execute_at(t, 50);
    REQUIRE(fire_count == N);
    for (int i = 0; i < N; i++)
        CHECK_EQ(fire_log[i].id, ids[i]);
    CHECK_EQ(zmq__timers_count(t), N / 2);
    log_reset();
    execute_at(t, 100);
    REQUIRE(fire_count == N / 2);
    for (int i = 0; i < N / 2; i++)
        CHECK_EQ(fire_log[i].id, ids[2 * i]);
    zmq__timers_free(t);
}

static void timers_handler_cancels_earlier_ran_timer(void)
{
    /* b cancels a, which already ran in this pass: a ran once, b once. */
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    struct action act = {.kind = 0, .rc = 99};
    int a = zmq__timers_add(t, 0, 100, record_handler, NULL);
    int b = zmq__timers_add(t, 0, 100, acting_handler, &act);
    REQUIRE(a > 0 && b > 0);
    act.target = a;
    log_reset();
    execute_at(t, 100);
    CHECK_EQ(act.rc, 0);
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[0].id, a);
    CHECK_EQ(fire_log[1].id, b);
    CHECK_EQ(zmq__timers_count(t), 1);
    CHECK_EQ(zmq__timers_timeout(t, 100), 100);
    zmq__timers_free(t);
}

static void timers_handler_resets_due_timer(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    struct action act = {.kind = 1, .rc = 99};
    int a = zmq__timers_add(t, 0, 100, acting_handler, &act);
    int b = zmq__timers_add(t, 0, 30, record_handler, NULL);
    REQUIRE(a > 0 && b > 0);
    act.target = b;
    log_reset();
    /* At 100 both are due (b since 30) and b runs first, then a resets b
     * to 100 + 30: b does not run again in this pass. */
    execute_at(t, 100);
    CHECK_EQ(act.rc, 0);
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[0].id, b);
    CHECK_EQ(fire_log[1].id, a);
    CHECK_EQ(zmq__timers_timeout(t, 100), 30);
    zmq__timers_free(t);

    /* Now a runs first and resets b before b's turn: b is not due. */
    t = zmq__timers_new();
    REQUIRE(t != NULL);
    a = zmq__timers_add(t, 0, 100, acting_handler, &act);
    b = zmq__timers_add(t, 0, 100, record_handler, NULL);
    REQUIRE(a > 0 && b > 0);
    act.target = b;
    log_reset();
    execute_at(t, 100);
    REQUIRE(fire_count == 1);
    CHECK_EQ(fire_log[0].id, a);
    execute_at(t, 199);
    CHECK_EQ(fire_count, 1);
    execute_at(t, 200);
    /* At 200 both are due again, a first (rescheduled before a reset
     * b), and a resets b once more before its turn: only a runs. */
    REQUIRE(fire_count == 2);
    CHECK_EQ(fire_log[1].id, a);
    CHECK_EQ(zmq__timers_timeout(t, 200), 100);
    zmq__timers_free(t);
}

static void timers_handler_adds_timer(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    struct action act = {.kind = 2, .rc = 0};
    int a = zmq__timers_add(t, 0, 100, acting_handler, &act);
    REQUIRE(a > 0);
    log_reset();
    execute_at(t, 100);
    CHECK_EQ(fire_count, 1);
    int added = act.rc;
    CHECK(added > 0);
    CHECK(added != a);
    CHECK_EQ(zmq__timers_count(t), 2);
    /* The added timer: due at 100 + 40, not in the pass that made it. */
    CHECK_EQ(zmq__timers_timeout(t, 100), 40);
    log_reset();
    execute_at(t, 140);
    REQUIRE(fire_count == 1);
    CHECK_EQ(fire_log[0].id, added);
    CHECK_EQ(fire_log[0].now, 140);
    CHECK_EQ(zmq__timers_cancel(t, added), 0);
    zmq__timers_free(t);
}

/* ------------------------------------------------------------------------ */
/* Random operations against a reference model                              */
/* ------------------------------------------------------------------------ */

/* The model: a plain array, key (expiry, schedule sequence).  Execute
 * picks, repeatedly, the smallest key among due timers that did not run
 * in this pass. */
#define MODEL_MAX 1200

struct model_timer {
    int id;
    int alive;
    uint64_t interval, expiry, seq, ran_in;
};

static struct model_timer model[MODEL_MAX];
static int model_n;
static uint64_t model_seq, model_pass;

static struct model_timer *model_find(int id)
{
    for (int i = 0; i < model_n; i++)
        if (model[i].alive && model[i].id == id)
            return &model[i];
    return NULL;
}

static void model_schedule(struct model_timer *m, uint64_t now)
{
    m->expiry = now + m->interval;
    m->seq = model_seq++;
}

static long model_timeout(uint64_t now)
{
    struct model_timer *best = NULL;
    for (int i = 0; i < model_n; i++)
        if (model[i].alive && (best == NULL || model[i].expiry < best->expiry))
            best = &model[i];
    if (best == NULL)
        return -1;
    return best->expiry <= now ? 0 : (long)(best->expiry - now);
}

static size_t model_count(void)
{
    size_t n = 0;
    for (int i = 0; i < model_n; i++)
        n += (size_t)model[i].alive;
    return n;
}

/* Fills order[] with the ids the model fires at now; returns how many. */
static size_t model_execute(uint64_t now, int *order, size_t max)
{
    size_t n = 0;
    model_pass++;
    for (;;) {
        struct model_timer *best = NULL;
        for (int i = 0; i < model_n; i++) {
            struct model_timer *m = &model[i];
            if (!m->alive || m->ran_in == model_pass || m->expiry > now)
                continue;
            if (best == NULL || m->expiry < best->expiry ||
                (m->expiry == best->expiry && m->seq < best->seq))
                best = m;
        }
        if (best == NULL)
            break;
        best->ran_in = model_pass;
        model_schedule(best, now);
        if (n < max)
            order[n] = best->id;
        n++;
    }
    return n;
}

static int pick_live(void)
{
    size_t live = model_count();
    if (live == 0)
        return 0;
    size_t k = rng() % live;
    for (int i = 0; i < model_n; i++)
        if (model[i].alive && k-- == 0)
            return model[i].id;
    return 0;
}

static void timers_random_against_model(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    model_n = 0;
    model_seq = 0;
    model_pass = 0;
    uint64_t now = 5000;
    static int want[MODEL_MAX];
    int mismatches = 0, fired_total = 0, adds = 0, cancels = 0;

    for (int op = 0; op < 1000; op++) {
        uint32_t r = rng() % 100;
        if (r < 35 && model_n < MODEL_MAX) {
            uint64_t interval = rng() % 300;
            int id = zmq__timers_add(t, now, interval, record_handler, NULL);
            REQUIRE(id > 0);
            CHECK(model_find(id) == NULL);
            struct model_timer *m = &model[model_n++];
            m->id = id;
            m->alive = 1;
            m->interval = interval;
            m->ran_in = 0;
            model_schedule(m, now);
            adds++;
        } else if (r < 55) {
            int id = pick_live();
            if (id == 0)
                continue;
            CHECK_EQ(zmq__timers_cancel(t, id), 0);
            model_find(id)->alive = 0;
            cancels++;
        } else if (r < 60) {
            /* Unknown ids: never issued, or cancelled before. */
            int id =
                (rng() % 2) ? -(int)(rng() % 100) : 100000 + (int)(rng() % 5);
            for (int i = 0; i < model_n; i++)
                if (!model[i].alive && rng() % 4 == 0) {
                    id = model[i].id;
                    break;
                }
            if (model_find(id) != NULL)
                continue;
            CHECK_EQ(zmq__timers_cancel(t, id), -EINVAL);
            CHECK_EQ(zmq__timers_reset(t, now, id), -EINVAL);
            CHECK_EQ(zmq__timers_set_interval(t, now, id, 5), -EINVAL);
        } else if (r < 70) {
            int id = pick_live();
            if (id == 0)
                continue;
            uint64_t interval = rng() % 300;
            CHECK_EQ(zmq__timers_set_interval(t, now, id, interval), 0);
            struct model_timer *m = model_find(id);
            m->interval = interval;
            model_schedule(m, now);
        } else if (r < 80) {
            int id = pick_live();
            if (id == 0)
                continue;
            CHECK_EQ(zmq__timers_reset(t, now, id), 0);
            model_schedule(model_find(id), now);
        } else {
            now += rng() % 120;
            size_t n = model_execute(now, want, MODEL_MAX);
            log_reset();
            execute_at(t, now);
            if (fire_count != n) {
                fprintf(stderr, "op %d: execute at %llu fired %zu, model %zu\n",
                        op, (unsigned long long)now, fire_count, n);
                mismatches++;
            } else {
                for (size_t i = 0; i < n; i++)
                    if (fire_log[i].id != want[i]) {
                        fprintf(stderr,
                                "op %d: execute at %llu: #%zu was %d,"
                                " model %d\n",
                                op, (unsigned long long)now, i, fire_log[i].id,
                                want[i]);
                        mismatches++;
                        break;
                    }
            }
            fired_total += (int)n;
        }
        CHECK_EQ(zmq__timers_count(t), model_count());
        CHECK_EQ(zmq__timers_timeout(t, now), model_timeout(now));
        if (mismatches > 5)
            break;
    }
    CHECK_EQ(mismatches, 0);
    /* The run did exercise the heap. */
    CHECK(adds > 200);
    CHECK(cancels > 100);
    CHECK(fired_total > 100);

    /* Drain: cancel everything left. */
    for (int i = 0; i < model_n; i++)
        if (model[i].alive)
            CHECK_EQ(zmq__timers_cancel(t, model[i].id), 0);
    CHECK_EQ(zmq__timers_count(t), 0);
    CHECK_EQ(zmq__timers_timeout(t, now), -1);
    zmq__timers_free(t);
}

static void timers_free_runs_no_handler(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    for (int i = 0; i < 20; i++)
        CHECK(zmq__timers_add(t, 0, (uint64_t)i, record_handler, NULL) > 0);
    log_reset();
    zmq__timers_free(t);
    CHECK_EQ(fire_count, 0);
}

/* A handler that adds a zero-interval timer: the new timer is due at
 * once but waits for the next execute, so a pass always ends. */
static int zero_added_id;
static void add_zero_handler(int id, void *arg)
{
    (void)arg;
    log_fire(id, NULL);
    if (zero_added_id == 0)
        zero_added_id =
            zmq__timers_add(current, fake_now, 0, record_handler, NULL);
}

static void timers_added_in_pass_wait_for_next(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    zero_added_id = 0;
    int a = zmq__timers_add(t, 0, 100, add_zero_handler, NULL);
    REQUIRE(a > 0);
    log_reset();
    execute_at(t, 100);
    CHECK_EQ(fire_count, 1);
    REQUIRE(zero_added_id > 0);
    CHECK_EQ(zmq__timers_timeout(t, 100), 0);
    log_reset();
    execute_at(t, 100);
    REQUIRE(fire_count == 1);
    CHECK_EQ(fire_log[0].id, zero_added_id);
    zmq__timers_free(t);
}

/* An interval too large to add to now saturates instead of wrapping
 * into the past. */
static void timers_huge_interval_saturates(void)
{
    struct zmq__timers *t = zmq__timers_new();
    REQUIRE(t != NULL);
    int a = zmq__timers_add(t, 1000, UINT64_MAX, record_handler, NULL);
    REQUIRE(a > 0);
    CHECK(zmq__timers_timeout(t, 1000) > 0);
    log_reset();
    execute_at(t, 1000000);
    CHECK_EQ(fire_count, 0);
    zmq__timers_free(t);
}

TEST_MAIN(TEST(timers_count), TEST(timers_added_in_pass_wait_for_next),
          TEST(timers_huge_interval_saturates), TEST(timers_ids_unique),
          TEST(timers_timeout_exact), TEST(timers_random_order),
          TEST(timers_equal_expiry_insertion_order), TEST(timers_repeat_exact),
          TEST(timers_once_per_execute), TEST(timers_set_interval_reset_exact),
          TEST(timers_handler_cancels_due_timer),
          TEST(timers_handler_cancels_self_and_others_run),
          TEST(timers_handler_cancels_earlier_ran_timer),
          TEST(timers_handler_resets_due_timer),
          TEST(timers_handler_adds_timer), TEST(timers_random_against_model),
          TEST(timers_free_runs_no_handler))
