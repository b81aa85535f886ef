/* SPDX-License-Identifier: MPL-2.0 */
/*
 * A binary min-heap of timer records, keyed by (expiry, sequence).  The
 * sequence number grows with every (re)scheduling, so among timers with
 * the same expiry the one scheduled first runs first.  A timer added or
 * rescheduled during zmq__timers_execute gets an expiry of at least now
 * and a sequence number from that pass, so it sorts after every timer
 * that was due when the pass began; the pass stops at the first such
 * timer.  So one execute runs each timer due at its start exactly once,
 * even with a zero interval, and what handlers schedule waits for the
 * next call.
 *
 * Each record knows its heap position, so cancel and reschedule are
 * O(log n) once the record is found; finding it by id is a linear scan,
 * which is fine for the dozens of timers a set holds in practice.
 */
#include "core/timers.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

struct timer {
    int id;
    uint64_t interval;
    uint64_t expiry;
    uint64_t seq;
    size_t pos; /* index in heap */
    zmq__timer_fn *fn;
    void *arg;
};

struct zmq__timers {
    struct timer **heap;
    size_t count;
    size_t capacity;
    uint64_t next_seq;
    int next_id;
};

static bool earlier(const struct timer *a, const struct timer *b)
{
    return a->expiry < b->expiry || (a->expiry == b->expiry && a->seq < b->seq);
}

static void place(struct zmq__timers *t, size_t i, struct timer *tm)
{
    t->heap[i] = tm;
    tm->pos = i;
}

static void sift_up(struct zmq__timers *t, size_t i)
{
    struct timer *tm = t->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(tm, t->heap[parent]))
            break;
        place(t, i, t->heap[parent]);
        i = parent;
    }
    place(t, i, tm);
}

static void sift_down(struct zmq__timers *t, size_t i)
{
    struct timer *tm = t->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= t->count)
            break;
        if (child + 1 < t->count && earlier(t->heap[child + 1], t->heap[child]))
            child++;
        if (!earlier(t->heap[child], tm))
            break;
        place(t, i, t->heap[child]);
        i = child;
    }
    place(t, i, tm);
}

/* Restores heap order around position i after its key changed. */
static void fix(struct zmq__timers *t, size_t i)
{
    sift_up(t, i);
    sift_down(t, t->heap[i] == NULL ? i : t->heap[i]->pos);
}

static void schedule(struct zmq__timers *t, struct timer *tm, uint64_t now)
{
    /* Saturate: a huge interval means "practically never", not a wrap
     * to the past. */
    tm->expiry =
        tm->interval > UINT64_MAX - now ? UINT64_MAX : now + tm->interval;
    tm->seq = t->next_seq++;
}

static struct timer *find(const struct zmq__timers *t, int id)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->heap[i]->id == id)
            return t->heap[i];
    return NULL;
}

struct zmq__timers *zmq__timers_new(void)
{
    struct zmq__timers *t = calloc(1, sizeof *t);
    if (t != NULL)
        t->next_id = 1;
    return t;
}

void zmq__timers_free(struct zmq__timers *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->count; i++)
        free(t->heap[i]);
    free(t->heap);
    free(t);
}

/* The next free id: ids count up from 1 and, after INT_MAX, wrap around
 * to 1 skipping those still in use. */
static int take_id(struct zmq__timers *t)
{
    for (;;) {
        int id = t->next_id;
        t->next_id = id == INT_MAX ? 1 : id + 1;
        if (find(t, id) == NULL)
            return id;
    }
}

int zmq__timers_add(struct zmq__timers *t, uint64_t now, uint64_t interval,
                    zmq__timer_fn *fn, void *arg)
{
    if (t->count == t->capacity) {
        size_t cap = t->capacity ? t->capacity * 2 : 8;
        struct timer **heap = realloc(t->heap, cap * sizeof *heap);
        if (heap == NULL)
            return -ENOMEM;
        t->heap = heap;
        t->capacity = cap;
    }
    struct timer *tm = malloc(sizeof *tm);
    if (tm == NULL)
        return -ENOMEM;
    tm->id = take_id(t);
    tm->interval = interval;
    tm->fn = fn;
    tm->arg = arg;
    schedule(t, tm, now);
    place(t, t->count++, tm);
    sift_up(t, t->count - 1);
    return tm->id;
}

int zmq__timers_cancel(struct zmq__timers *t, int id)
{
    struct timer *tm = find(t, id);
    if (tm == NULL)
        return -EINVAL;
    size_t i = tm->pos;
    struct timer *last = t->heap[--t->count];
    if (last != tm) {
        place(t, i, last);
        fix(t, i);
    }
    free(tm);
    return 0;
}

int zmq__timers_set_interval(struct zmq__timers *t, uint64_t now, int id,
                             uint64_t interval)
{
    struct timer *tm = find(t, id);
    if (tm == NULL)
        return -EINVAL;
    tm->interval = interval;
    schedule(t, tm, now);
    fix(t, tm->pos);
    return 0;
}

int zmq__timers_reset(struct zmq__timers *t, uint64_t now, int id)
{
    return zmq__timers_set_interval(t, now, id,
                                    find(t, id) ? find(t, id)->interval : 0);
}

long zmq__timers_timeout(const struct zmq__timers *t, uint64_t now)
{
    if (t->count == 0)
        return -1;
    uint64_t expiry = t->heap[0]->expiry;
    if (expiry <= now)
        return 0;
    uint64_t left = expiry - now;
    return left > LONG_MAX ? LONG_MAX : (long)left;
}

void zmq__timers_execute(struct zmq__timers *t, uint64_t now)
{
    uint64_t pass_start = t->next_seq;
    while (t->count > 0) {
        struct timer *tm = t->heap[0];
        if (tm->expiry > now || tm->seq >= pass_start)
            break;
        schedule(t, tm, now);
        sift_down(t, 0);
        /* The handler may free tm (cancel), so read what it needs first
         * and do not touch tm afterwards. */
        zmq__timer_fn *fn = tm->fn;
        int id = tm->id;
        void *arg = tm->arg;
        fn(id, arg);
    }
}

size_t zmq__timers_count(const struct zmq__timers *t)
{
    return t->count;
}
