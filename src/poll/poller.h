/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The poller contract: one I/O multiplexer with one-shot timers, owned
 * and run by one thread (an I/O thread, the reaper).  One backend per
 * file (poller_epoll.c, poller_poll.c) implements it; the build picks
 * one with ZMQ_POLLER.
 *
 * File descriptors are registered with a handler table and a context
 * pointer.  zmq__poller_wait runs due timers, waits for readiness up to
 * the next timer or the given timeout, and calls the handlers of ready
 * descriptors.  Handlers run on the owning thread and may add and remove
 * descriptors and timers, including their own: a descriptor removed
 * during dispatch gets no further callbacks, and its memory is released
 * only after the dispatch round.
 *
 * Threading: every function is called by the owning thread only, except
 * zmq__poller_load: any thread (the count is kept in an atomic).
 * Errors: 0 or a negative errno.
 */
#ifndef ZMQ__POLLER_H
#define ZMQ__POLLER_H

#include <stddef.h>
#include <stdint.h>

struct zmq__poller;
struct zmq__poller_entry; /* a registered descriptor */

struct zmq__poller_ops {
    void (*in_event)(void *ctx);  /* readable (or error / hang-up) */
    void (*out_event)(void *ctx); /* writable */
};

typedef void(zmq__poller_timer_fn)(void *ctx, int timer_id);

/* A new poller, or NULL with *err set (-ENOMEM, -EMFILE, ...). */
struct zmq__poller *zmq__poller_new(int *err);

/* Frees the poller.  Descriptors still registered are forgotten (not
 * closed); pending timers are dropped without running. */
void zmq__poller_free(struct zmq__poller *p);

/* Registers fd with no events enabled.  *entry receives the handle.
 * -ENOMEM, or the backend's error (e.g. -EBADF). */
int zmq__poller_add(struct zmq__poller *p, int fd,
                    const struct zmq__poller_ops *ops, void *ctx,
                    struct zmq__poller_entry **entry);

/* Unregisters; the entry must not be used afterwards.  The fd is not
 * closed. */
void zmq__poller_remove(struct zmq__poller *p, struct zmq__poller_entry *e);

/* Enable / disable readiness events for an entry. */
void zmq__poller_set_in(struct zmq__poller *p, struct zmq__poller_entry *e);
void zmq__poller_reset_in(struct zmq__poller *p, struct zmq__poller_entry *e);
void zmq__poller_set_out(struct zmq__poller *p, struct zmq__poller_entry *e);
void zmq__poller_reset_out(struct zmq__poller *p, struct zmq__poller_entry *e);

/* A one-shot timer: fn(ctx, timer_id) runs once, timeout_ms from now,
 * unless cancelled first.  Returns a handle (> 0) for cancel, or
 * -ENOMEM. */
int zmq__poller_add_timer(struct zmq__poller *p, uint64_t timeout_ms,
                          zmq__poller_timer_fn *fn, void *ctx, int timer_id);

/* Cancels a timer by its handle.  -EINVAL if it already ran or is
 * unknown. */
int zmq__poller_cancel_timer(struct zmq__poller *p, int handle);

/* Runs due timers, then waits up to timeout_ms (-1: no limit other than
 * the next timer; 0: do not block) for descriptor events and dispatches
 * them, then runs timers that fell due meanwhile.  Returns 0, or a
 * negative errno if waiting failed for a reason other than EINTR. */
int zmq__poller_wait(struct zmq__poller *p, int timeout_ms);

/* Number of registered descriptors: lets the context pick the least
 * loaded I/O thread. */
size_t zmq__poller_load(const struct zmq__poller *p);

/* The backend's name, "epoll" or "poll". */
const char *zmq__poller_backend(void);

#endif
