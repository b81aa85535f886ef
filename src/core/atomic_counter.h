/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The public atomic counters (zmq_atomic_counter_*): an int changed with
 * C11 atomics, sequentially consistent, lock-free on every target we
 * build for.
 *
 * Threading: any thread, concurrently.
 */
#ifndef ZMQ__ATOMIC_COUNTER_H
#define ZMQ__ATOMIC_COUNTER_H

struct zmq__atomic_counter;

/* A counter with value 0, or NULL when out of memory. */
struct zmq__atomic_counter *zmq__atomic_counter_new(void);
void zmq__atomic_counter_free(struct zmq__atomic_counter *c);
void zmq__atomic_counter_set(struct zmq__atomic_counter *c, int value);
/* Adds one; returns the value before. */
int zmq__atomic_counter_inc(struct zmq__atomic_counter *c);
/* Subtracts one; returns the value after. */
int zmq__atomic_counter_dec(struct zmq__atomic_counter *c);
int zmq__atomic_counter_value(struct zmq__atomic_counter *c);

#endif
