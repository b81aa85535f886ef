/* SPDX-License-Identifier: MPL-2.0 */
/*
 * What the poller backends share (internal to src/poll/): entry
 * bookkeeping (the live list, the retire list, the load counter), the
 * one-shot timers, handler dispatch and the zmq__poller_wait skeleton.
 * poller_common.c implements the parts of poller.h that do not touch
 * the OS (set/reset in/out, timers, load, wait); a backend file
 * implements the rest plus the two zmq__poller_impl_* hooks below.
 *
 * Layout rule: a backend's struct zmq__poller begins with a
 * struct zmq__poller_common, and its struct zmq__poller_entry begins
 * with a struct zmq__poller_common_entry, so the common code reaches its
 * part through a cast to the first member.  Entries are allocated by the
 * backend with malloc/calloc and freed here with free().
 *
 * Threading: the owning thread only, except the load counter, which any
 * thread may read.
 */
#ifndef ZMQ__POLLER_COMMON_H
#define ZMQ__POLLER_COMMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "poll/poller.h"

struct zmq__timers;
struct zmq__poller_common_timer;

/* Bits of zmq__poller_common_entry.events. */
#define ZMQ__POLLER_COMMON_IN  1u
#define ZMQ__POLLER_COMMON_OUT 2u

struct zmq__poller_common_entry {
    const struct zmq__poller_ops *ops;
    void *ctx;
    int fd;
    unsigned events; /* enabled ZMQ__POLLER_COMMON_IN / _OUT */
    bool retired;    /* removed; no more callbacks, freed by the reaper */
    /* Live entries: a doubly linked list.  Retired ones: singly linked
     * through next, waiting for the end of the dispatch round. */
    struct zmq__poller_common_entry *prev;
    struct zmq__poller_common_entry *next;
};

struct zmq__poller_common {
    struct zmq__timers *timers;
    struct zmq__poller_common_timer *timer_list; /* pending one-shots */
    struct zmq__poller_common_entry *live;
    struct zmq__poller_common_entry *retired;
    bool in_wait;       /* inside zmq__poller_wait: removals are deferred */
    atomic_size_t load; /* live entries; written by the owner only */
};

/* Sets up c.  0 or -ENOMEM. */
int zmq__poller_common_init(struct zmq__poller_common *c);

/* Frees every live and retired entry and drops pending timers (no
 * handler runs).  The backend has already released its OS resources. */
void zmq__poller_common_fini(struct zmq__poller_common *c);

/* Fills in a newly allocated entry with no events enabled, links it
 * into the live list and counts it in the load. */
void zmq__poller_common_link(struct zmq__poller_common *c,
                             struct zmq__poller_common_entry *e, int fd,
                             const struct zmq__poller_ops *ops, void *ctx);

/* Marks e retired, unlinks it and uncounts it.  Inside zmq__poller_wait
 * its memory is kept until the dispatch round is over; outside, it is
 * freed at once. */
void zmq__poller_common_unlink(struct zmq__poller_common *c,
                               struct zmq__poller_common_entry *e);

/* Calls e's in handler if readable and e's out handler if writable,
 * each only while e is live and that direction is enabled (both are
 * checked again before the second call, since the first handler may
 * change them). */
void zmq__poller_common_dispatch(struct zmq__poller_common_entry *e,
                                 bool readable, bool writable);

/* Hooks each backend provides. */

/* e->events changed: make the OS-side registration match. */
void zmq__poller_impl_update(struct zmq__poller *p,
                             struct zmq__poller_entry *e);

/* Waits up to timeout_ms (-1: no limit, 0: do not block) and dispatches
 * the ready entries through zmq__poller_common_dispatch.  0 (also when
 * interrupted by a signal), or a negative errno.  Not reentrant: a
 * handler must not call zmq__poller_wait on its own poller. */
int zmq__poller_impl_wait(struct zmq__poller *p, int timeout_ms);

#endif
