/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Monotonic time.  Never goes backwards and ignores changes to the wall
 * clock; the epoch is arbitrary, so only differences mean anything.
 *
 * Threading: any thread.
 */
#ifndef ZMQ__CLOCK_H
#define ZMQ__CLOCK_H

#include <stdint.h>

/* Microseconds on the monotonic clock. */
uint64_t zmq__clock_now_us(void);

/* Milliseconds on the monotonic clock. */
uint64_t zmq__clock_now_ms(void);

/* Sleeps for ms milliseconds, resuming after signal interruptions. */
void zmq__clock_sleep_ms(uint64_t ms);

#endif
