/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Timer sets: repeating millisecond timers ordered by expiry.
 *
 * Backs the public zmq_timers_* API and the I/O threads' poller loops.
 * Time is passed in by the caller (milliseconds on the monotonic clock,
 * zmq__clock_now_ms), which keeps this module free of clock reads and
 * lets white-box tests drive it with a fake clock.
 *
 * Threading: a set belongs to one thread; nothing here locks.
 */
#ifndef ZMQ__TIMERS_H
#define ZMQ__TIMERS_H

#include <stddef.h>
#include <stdint.h>

struct zmq__timers;

typedef void(zmq__timer_fn)(int timer_id, void *arg);

/* A new empty set, or NULL when out of memory. */
struct zmq__timers *zmq__timers_new(void);

/* Frees the set and every timer in it (no handler runs). */
void zmq__timers_free(struct zmq__timers *t);

/* Adds a timer first due at now + interval and then every interval
 * after it ran.  Returns its id (> 0, unique in the set) or -ENOMEM. */
int zmq__timers_add(struct zmq__timers *t, uint64_t now, uint64_t interval,
                    zmq__timer_fn *fn, void *arg);

/* Removes a timer.  -EINVAL for an unknown id. */
int zmq__timers_cancel(struct zmq__timers *t, int id);

/* Sets a new interval and restarts the timer from now.  -EINVAL. */
int zmq__timers_set_interval(struct zmq__timers *t, uint64_t now, int id,
                             uint64_t interval);

/* Restarts the timer from now.  -EINVAL for an unknown id. */
int zmq__timers_reset(struct zmq__timers *t, uint64_t now, int id);

/* Milliseconds from now until the earliest expiry, 0 when one is
 * overdue, -1 when the set is empty. */
long zmq__timers_timeout(const struct zmq__timers *t, uint64_t now);

/* Runs the handler of every timer due at now, each once, and reschedules
 * it to now + interval.  Handlers may add, cancel, reset and change
 * timers of this set, the running one included; timers they add or
 * reschedule run at the earliest in the next call. */
void zmq__timers_execute(struct zmq__timers *t, uint64_t now);

/* Number of timers in the set. */
size_t zmq__timers_count(const struct zmq__timers *t);

#endif
