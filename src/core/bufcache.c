/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The body cache (see bufcache.h for why).  Each size class is a small
 * stack of free blocks under a spinlock held for a few instructions; the
 * byte budget is one atomic counter.  A block always has its class's
 * full size, so any block of a class serves any request of that class.
 */
#include "core/bufcache.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define BUFCACHE_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUFCACHE_OFF 1
#endif
#endif

#ifndef BUFCACHE_OFF
#define MIN_SHIFT 8 /* classes start above 256 bytes (ZMQ__BUFCACHE_MIN) */
#define NCLASSES  4 * (18 - MIN_SHIFT) /* up to 256 KiB */
#define DEPTH     64                   /* blocks kept per class at most */

struct class_stack {
    atomic_flag lock;
    int n;
    void *blocks[DEPTH];
};

static struct class_stack classes[NCLASSES];
static atomic_size_t cached_bytes;

/* The class of size (0 < size <= ZMQ__BUFCACHE_MAX) and its block size:
 * with 2^shift < size <= 2^(shift+1), the classes between are the four
 * quarter steps base + q, base + 2q, base + 3q, base + 4q. */
static int class_of(size_t size, size_t *class_size)
{
    const size_t min = ((size_t)1 << MIN_SHIFT) + 1;
    if (size < min)
        size = min;
    int shift = 63 - __builtin_clzll((unsigned long long)(size - 1));
    size_t base = (size_t)1 << shift, q = base / 4;
    size_t steps = (size - base + q - 1) / q; /* 1..4 */
    *class_size = base + steps * q;
    return (shift - MIN_SHIFT) * 4 + (int)steps - 1;
}

static void lock(struct class_stack *c)
{
    while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire))
        ;
}

static void unlock(struct class_stack *c)
{
    atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

void *zmq__bufcache_alloc(size_t size)
{
    if (size < ZMQ__BUFCACHE_MIN || size > ZMQ__BUFCACHE_MAX)
        return malloc(size);
    size_t class_size;
    int k = class_of(size, &class_size);
    if (k < 0 || k >= NCLASSES)
        return malloc(size);
    struct class_stack *c = &classes[k];
    void *b = NULL;
    lock(c);
    if (c->n > 0)
        b = c->blocks[--c->n];
    unlock(c);
    if (b != NULL) {
        atomic_fetch_sub_explicit(&cached_bytes, class_size,
                                  memory_order_relaxed);
        return b;
    }
    return malloc(class_size);
}

void zmq__bufcache_free(void *block, size_t size)
{
    if (block == NULL)
        return;
    if (size < ZMQ__BUFCACHE_MIN || size > ZMQ__BUFCACHE_MAX) {
        free(block);
        return;
    }
    size_t class_size;
    int k = class_of(size, &class_size);
    if (k < 0 || k >= NCLASSES ||
        atomic_load_explicit(&cached_bytes, memory_order_relaxed) + class_size >
            ZMQ__BUFCACHE_BYTES) {
        free(block);
        return;
    }
    struct class_stack *c = &classes[k];
    bool kept = false;
    lock(c);
    if (c->n < DEPTH) {
        c->blocks[c->n++] = block;
        kept = true;
    }
    unlock(c);
    if (kept)
        atomic_fetch_add_explicit(&cached_bytes, class_size,
                                  memory_order_relaxed);
    else
        free(block);
}
#else
void *zmq__bufcache_alloc(size_t size)
{
    return malloc(size);
}

void zmq__bufcache_free(void *block, size_t size)
{
    (void)size;
    free(block);
}
#endif
