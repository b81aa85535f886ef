/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The backend-independent half of the poller.
 *
 * Timers: poller timers are one-shot, zmq__timers ones repeat.  Each
 * poller timer is a small record (handler, context, caller's timer id)
 * registered with the zmq__timers set under a trampoline; the set's id
 * is the handle we return.  When the trampoline runs, it cancels its
 * zmq__timers timer and frees the record *before* calling the handler,
 * so the handler sees a timer that no longer exists: cancelling its own
 * handle fails with -EINVAL and adding timers is unrestricted.  Records
 * sit on a doubly linked list so cancel can find and free them; the
 * search is linear, like zmq__timers' own lookup, which is fine for the
 * tens to hundreds of timers an I/O thread holds.
 *
 * Entries: live entries are linked so zmq__poller_free can release
 * those still registered.  Removing an entry during zmq__poller_wait
 * only marks it retired and moves it to the retire list: the backend may
 * still hold its pointer in the batch of ready events it is walking, and
 * dispatch skips retired entries.  The list is emptied when the round is
 * over.  Outside a wait nothing can refer to the entry, so it is freed at
 * once.
 *
 * Load: an atomic count of live entries, written by the owning thread
 * and read with relaxed ordering by any thread (the context uses it to
 * pick the least loaded I/O thread; an approximate value is fine).
 */
#include "poll/poller_common.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/timers.h"

struct zmq__poller_common_timer {
    struct zmq__poller_common *owner;
    zmq__poller_timer_fn *fn;
    void *ctx;
    int timer_id; /* the caller's id, passed back to fn */
    int handle;   /* the zmq__timers id */
    struct zmq__poller_common_timer *prev;
    struct zmq__poller_common_timer *next;
};

/* Every backend's struct zmq__poller starts with its common part. */
static struct zmq__poller_common *common_of(struct zmq__poller *p)
{
    return (struct zmq__poller_common *)p;
}

static struct zmq__poller_common_entry *entry_of(struct zmq__poller_entry *e)
{
    return (struct zmq__poller_common_entry *)e;
}

int zmq__poller_common_init(struct zmq__poller_common *c)
{
    c->timers = zmq__timers_new();
    if (c->timers == NULL)
        return -ENOMEM;
    c->timer_list = NULL;
    c->live = NULL;
    c->retired = NULL;
    c->in_wait = false;
    atomic_init(&c->load, 0);
    return 0;
}

static void reap(struct zmq__poller_common *c)
{
    while (c->retired != NULL) {
        struct zmq__poller_common_entry *e = c->retired;
        c->retired = e->next;
        free(e);
    }
}

void zmq__poller_common_fini(struct zmq__poller_common *c)
{
    while (c->live != NULL) {
        struct zmq__poller_common_entry *e = c->live;
        c->live = e->next;
        free(e);
    }
    reap(c);
    while (c->timer_list != NULL) {
        struct zmq__poller_common_timer *t = c->timer_list;
        c->timer_list = t->next;
        free(t);
    }
    zmq__timers_free(c->timers);
    c->timers = NULL;
    atomic_store_explicit(&c->load, 0, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                  */
/* ------------------------------------------------------------------------ */

static void add_load(struct zmq__poller_common *c, int delta)
{
    /* Only the owner writes, so load-then-store is not a race; readers
     * on other threads see one value or the other. */
    size_t n = atomic_load_explicit(&c->load, memory_order_relaxed);
    atomic_store_explicit(&c->load, delta > 0 ? n + 1 : n - 1,
                          memory_order_relaxed);
}

void zmq__poller_common_link(struct zmq__poller_common *c,
                             struct zmq__poller_common_entry *e, int fd,
                             const struct zmq__poller_ops *ops, void *ctx)
{
    e->ops = ops;
    e->ctx = ctx;
    e->fd = fd;
    e->events = 0;
    e->retired = false;
    e->prev = NULL;
    e->next = c->live;
    if (c->live != NULL)
        c->live->prev = e;
    c->live = e;
    add_load(c, 1);
}

void zmq__poller_common_unlink(struct zmq__poller_common *c,
                               struct zmq__poller_common_entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        c->live = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    e->retired = true;
    e->events = 0;
    e->prev = NULL;
    add_load(c, -1);
    if (c->in_wait) {
        e->next = c->retired;
        c->retired = e;
    } else {
        free(e);
    }
}

void zmq__poller_common_dispatch(struct zmq__poller_common_entry *e,
                                 bool readable, bool writable)
{
    if (readable && !e->retired && (e->events & ZMQ__POLLER_COMMON_IN))
        e->ops->in_event(e->ctx);
    if (writable && !e->retired && (e->events & ZMQ__POLLER_COMMON_OUT))
        e->ops->out_event(e->ctx);
}

static void set_events(struct zmq__poller *p, struct zmq__poller_entry *e,
                       unsigned events)
{
    struct zmq__poller_common_entry *ce = entry_of(e);
    if (ce->events == events)
        return;
    ce->events = events;
    zmq__poller_impl_update(p, e);
}

void zmq__poller_set_in(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    set_events(p, e, entry_of(e)->events | ZMQ__POLLER_COMMON_IN);
}

void zmq__poller_reset_in(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    set_events(p, e, entry_of(e)->events & ~ZMQ__POLLER_COMMON_IN);
}

void zmq__poller_set_out(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    set_events(p, e, entry_of(e)->events | ZMQ__POLLER_COMMON_OUT);
}

void zmq__poller_reset_out(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    set_events(p, e, entry_of(e)->events & ~ZMQ__POLLER_COMMON_OUT);
}

size_t zmq__poller_load(const struct zmq__poller *p)
{
    const struct zmq__poller_common *c = (const struct zmq__poller_common *)p;
    return atomic_load_explicit(&c->load, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                   */
/* ------------------------------------------------------------------------ */

static void timer_unlink(struct zmq__poller_common *c,
                         struct zmq__poller_common_timer *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        c->timer_list = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
}

static void trampoline(int handle, void *arg)
{
    struct zmq__poller_common_timer *t = arg;
    struct zmq__poller_common *c = t->owner;
    zmq__poller_timer_fn *fn = t->fn;
    void *ctx = t->ctx;
    int timer_id = t->timer_id;

    /* One-shot: gone before the handler runs.  Cancelling the running
     * timer is allowed by zmq__timers_execute and cannot fail here. */
    zmq__timers_cancel(c->timers, handle);
    timer_unlink(c, t);
    free(t);
    fn(ctx, timer_id);
}

int zmq__poller_add_timer(struct zmq__poller *p, uint64_t timeout_ms,
                          zmq__poller_timer_fn *fn, void *ctx, int timer_id)
{
    struct zmq__poller_common *c = common_of(p);
    struct zmq__poller_common_timer *t = malloc(sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    int handle = zmq__timers_add(c->timers, zmq__clock_now_ms(), timeout_ms,
                                 trampoline, t);
    if (handle < 0) {
        free(t);
        return handle;
    }
    t->owner = c;
    t->fn = fn;
    t->ctx = ctx;
    t->timer_id = timer_id;
    t->handle = handle;
    t->prev = NULL;
    t->next = c->timer_list;
    if (c->timer_list != NULL)
        c->timer_list->prev = t;
    c->timer_list = t;
    return handle;
}

int zmq__poller_cancel_timer(struct zmq__poller *p, int handle)
{
    struct zmq__poller_common *c = common_of(p);
    for (struct zmq__poller_common_timer *t = c->timer_list; t != NULL;
         t = t->next) {
        if (t->handle == handle) {
            zmq__timers_cancel(c->timers, handle);
            timer_unlink(c, t);
            free(t);
            return 0;
        }
    }
    return -EINVAL;
}

/* Runs the due timers and returns how long the backend may block:
 * timeout_ms capped by the next timer (-1 when neither limits it). */
static int run_timers(struct zmq__poller_common *c, int timeout_ms)
{
    zmq__timers_execute(c->timers, zmq__clock_now_ms());
    long next = zmq__timers_timeout(c->timers, zmq__clock_now_ms());
    if (next < 0)
        return timeout_ms < 0 ? -1 : timeout_ms;
    if (next > INT_MAX)
        next = INT_MAX;
    if (timeout_ms < 0 || next < timeout_ms)
        return (int)next;
    return timeout_ms;
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                 */
/* ------------------------------------------------------------------------ */

int zmq__poller_wait(struct zmq__poller *p, int timeout_ms)
{
    struct zmq__poller_common *c = common_of(p);
    c->in_wait = true;
    int rc = zmq__poller_impl_wait(p, run_timers(c, timeout_ms));
    zmq__timers_execute(c->timers, zmq__clock_now_ms());
    c->in_wait = false;
    reap(c);
    return rc;
}
