/* SPDX-License-Identifier: MPL-2.0 */
/*
 * getrandom(2) without blocking; ids need to differ between sockets and
 * runs, not to be secret, so the monotonic clock mixed with a counter is
 * an acceptable fallback before the entropy pool is ready.
 */
#include "core/random.h"

#include <stdatomic.h>
#include <sys/random.h>

#include "core/clock.h"

uint32_t zmq__random_u32(void)
{
    uint32_t v;
    if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
        return v;
    static atomic_uint counter;
    uint64_t t =
        zmq__clock_now_us() ^ ((uint64_t)atomic_fetch_add(&counter, 1) << 32);
    t *= 0x9E3779B97F4A7C15u;
    return (uint32_t)(t >> 32);
}
