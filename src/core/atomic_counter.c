/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Atomic counters.  Arithmetic is done on an unsigned value so that
 * wrapping past INT_MAX is defined; the result is converted back to int.
 */
#include "core/atomic_counter.h"

#include <stdatomic.h>
#include <stdlib.h>

struct zmq__atomic_counter {
    atomic_uint value;
};

struct zmq__atomic_counter *zmq__atomic_counter_new(void)
{
    struct zmq__atomic_counter *c = malloc(sizeof *c);
    if (c != NULL)
        atomic_init(&c->value, 0);
    return c;
}

void zmq__atomic_counter_free(struct zmq__atomic_counter *c)
{
    free(c);
}

void zmq__atomic_counter_set(struct zmq__atomic_counter *c, int value)
{
    atomic_store(&c->value, (unsigned)value);
}

int zmq__atomic_counter_inc(struct zmq__atomic_counter *c)
{
    return (int)atomic_fetch_add(&c->value, 1u);
}

int zmq__atomic_counter_dec(struct zmq__atomic_counter *c)
{
    return (int)(atomic_fetch_sub(&c->value, 1u) - 1u);
}

int zmq__atomic_counter_value(struct zmq__atomic_counter *c)
{
    return (int)atomic_load(&c->value);
}
