/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Monotonic clock over clock_gettime(CLOCK_MONOTONIC), which on Linux is
 * a vDSO call costing a few nanoseconds, so no caching is needed here.
 */
#include "core/clock.h"

#include <errno.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on a supported system: the clock id is
     * valid and the pointer is ours. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t zmq__clock_now_us(void)
{
    return now_ns() / 1000u;
}

uint64_t zmq__clock_now_ms(void)
{
    return now_ns() / 1000000u;
}

void zmq__clock_sleep_ms(uint64_t ms)
{
    struct timespec left = {.tv_sec = (time_t)(ms / 1000),
                            .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
}
