/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The body cache (see bufcache.h for why).
 *
 * Large classes (ZMQ__BUFCACHE_MIN and up): each size class is a small
 * stack of free blocks under a spinlock held for a few instructions; the
 * byte budget is one atomic counter.  A block always has its class's
 * full size, so any block of a class serves any request of that class.
 *
 * Small classes (below ZMQ__BUFCACHE_MIN): per-thread magazines over a
 * shared depot.  Each thread has one loaded magazine (an array of up to
 * MAG_SLOTS free blocks) per class, touched by that thread only, so an
 * allocation or a free is a push or pop on a thread-local array.  When
 * a thread's magazine runs empty (allocating) or full (freeing) it trades
 * it at the class's depot, under the depot's mutex, for a full or an
 * empty one.  The typical pattern, one thread allocating and another
 * freeing, costs one trade per MAG_SLOTS messages on each side, where
 * malloc would pay a cross-thread free and a refill for every block.
 * The depot keeps a bounded number of magazines; past that, blocks go
 * back to free().  A thread's magazines go back to the depot when it
 * exits (a thread-specific key's destructor).
 */
#include "core/bufcache.h"

#include <pthread.h>
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
static inline int class_from(size_t size, int min_shift, size_t *class_size)
{
    const size_t min = ((size_t)1 << min_shift) + 1;
    if (size < min)
        size = min;
    int shift = 63 - __builtin_clzll((unsigned long long)(size - 1));
    size_t base = (size_t)1 << shift, q = base / 4;
    size_t steps = (size - base + q - 1) / q; /* 1..4 */
    *class_size = base + steps * q;
    return (shift - min_shift) * 4 + (int)steps - 1;
}

static int class_of(size_t size, size_t *class_size)
{
    return class_from(size, MIN_SHIFT, class_size);
}

/* ---- Small blocks: per-thread magazines over a depot ---------------- */

#define SMALL_SHIFT 5 /* small classes start above 32 bytes */
#define NSMALL      (4 * (9 - SMALL_SHIFT)) /* up to 512 bytes */
#define MAG_SLOTS   64
#define DEPOT_BYTES (256 * 1024) /* full magazines a depot keeps */

struct magazine {
    struct magazine *next;
    int n;
    void *blocks[MAG_SLOTS];
};

struct depot {
    pthread_mutex_t lock;
    struct magazine *full, *empty;
    int nfull, nempty;
};

static struct depot depots[NSMALL];

struct thread_cache {
    struct magazine *loaded[NSMALL];
};

/* NULL: not made yet; DEAD: the thread is exiting, use malloc.  The
 * depots' mutexes are initialised with the key, before any cache
 * exists. */
#define DEAD ((struct thread_cache *)1)
static __thread struct thread_cache *my_cache
    __attribute__((tls_model("initial-exec")));
static pthread_key_t cache_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

/* The block size of small class k (the inverse of class_from). */
static size_t small_class_size(int k)
{
    size_t base = (size_t)1 << (SMALL_SHIFT + k / 4);
    return base + (size_t)(k % 4 + 1) * (base / 4);
}

/* The small class of size (< ZMQ__BUFCACHE_MIN): class_from with
 * shifts for divisions, since this is on every message's path. */
static inline int small_class(size_t size)
{
    if (size <= ((size_t)1 << SMALL_SHIFT))
        return 0;
    int shift = 63 - __builtin_clzll((unsigned long long)(size - 1));
    int steps = (int)((size - 1 - ((size_t)1 << shift)) >> (shift - 2));
    return (shift - SMALL_SHIFT) * 4 + steps;
}

/* How many full magazines depot k keeps (and how many empty ones). */
static int depot_limit(int k)
{
    int n = (int)(DEPOT_BYTES / (MAG_SLOTS * small_class_size(k)));
    return n < 2 ? 2 : n;
}

static void free_blocks(struct magazine *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->blocks[i]);
    m->n = 0;
}

/* Gives magazine m (any fill) to depot k: kept when there is room, else
 * its blocks and itself are freed. */
static void put_magazine(int k, struct magazine *m)
{
    struct depot *d = &depots[k];
    pthread_mutex_lock(&d->lock);
    if (m->n > 0 && d->nfull < depot_limit(k)) {
        m->next = d->full;
        d->full = m;
        d->nfull++;
        m = NULL;
    } else if (m->n == 0 && d->nempty < depot_limit(k)) {
        m->next = d->empty;
        d->empty = m;
        d->nempty++;
        m = NULL;
    }
    pthread_mutex_unlock(&d->lock);
    if (m != NULL) {
        free_blocks(m);
        free(m);
    }
}

static void thread_exit(void *arg)
{
    struct thread_cache *tc = arg;
    for (int k = 0; k < NSMALL; k++)
        if (tc->loaded[k] != NULL)
            put_magazine(k, tc->loaded[k]);
    free(tc);
    my_cache = DEAD;
}

static void make_key(void)
{
    for (int k = 0; k < NSMALL; k++)
        pthread_mutex_init(&depots[k].lock, NULL);
    key_ok = pthread_key_create(&cache_key, thread_exit) == 0;
}

/* This thread's cache, made on first use; NULL when there is none (out
 * of memory, or the thread is exiting). */
static struct thread_cache *thread_cache(void)
{
    struct thread_cache *tc = my_cache;
    if (tc != NULL)
        return tc == DEAD ? NULL : tc;
    pthread_once(&key_once, make_key);
    if (!key_ok)
        return NULL;
    tc = calloc(1, sizeof *tc);
    if (tc == NULL)
        return NULL;
    if (pthread_setspecific(cache_key, tc) != 0) {
        free(tc);
        return NULL;
    }
    my_cache = tc;
    return tc;
}

/* Slow path of small_alloc: trades the empty loaded magazine for a full
 * one from the depot; NULL when the depot has none. */
static void *refill(struct thread_cache *tc, int k)
{
    struct depot *d = &depots[k];
    struct magazine *old = tc->loaded[k], *m = NULL;
    pthread_mutex_lock(&d->lock);
    if (d->full != NULL) {
        m = d->full;
        d->full = m->next;
        d->nfull--;
        if (old != NULL && d->nempty < depot_limit(k)) {
            old->next = d->empty;
            d->empty = old;
            d->nempty++;
            old = NULL;
        }
    }
    pthread_mutex_unlock(&d->lock);
    if (m == NULL)
        return NULL;
    free(old); /* empty, or NULL */
    tc->loaded[k] = m;
    return m->blocks[--m->n];
}

/* small_alloc when the loaded magazine is empty or missing. */
static __attribute__((noinline)) void *small_alloc_slow(int k)
{
    struct thread_cache *tc = thread_cache();
    if (tc != NULL) {
        void *b = refill(tc, k);
        if (b != NULL)
            return b;
    }
    return malloc(small_class_size(k));
}

static inline void *small_alloc(size_t size)
{
    int k = small_class(size);
    struct thread_cache *tc = my_cache;
    if (tc != NULL && tc != DEAD) {
        struct magazine *m = tc->loaded[k];
        if (m != NULL && m->n > 0)
            return m->blocks[--m->n];
    }
    return small_alloc_slow(k);
}

/* Slow path of small_free: the loaded magazine is full or missing; puts
 * the full one in the depot and loads an empty one.  false when no
 * empty magazine can be had. */
static bool swap_empty(struct thread_cache *tc, int k)
{
    struct depot *d = &depots[k];
    struct magazine *full = tc->loaded[k], *m = NULL;
    pthread_mutex_lock(&d->lock);
    if (full != NULL && d->nfull < depot_limit(k)) {
        full->next = d->full;
        d->full = full;
        d->nfull++;
        full = NULL;
    }
    if (d->empty != NULL) {
        m = d->empty;
        d->empty = m->next;
        d->nempty--;
    }
    pthread_mutex_unlock(&d->lock);
    if (full != NULL) {
        /* The depot is at its limit: these blocks go back to malloc,
         * and the magazine is reused. */
        free_blocks(full);
        free(m);
        m = full;
    } else if (m == NULL && (m = malloc(sizeof *m)) == NULL) {
        tc->loaded[k] = NULL;
        return false;
    }
    m->n = 0;
    tc->loaded[k] = m;
    return true;
}

/* small_free when the loaded magazine is full or missing. */
static __attribute__((noinline)) void small_free_slow(void *block, int k)
{
    struct thread_cache *tc = thread_cache();
    if (tc != NULL && swap_empty(tc, k)) {
        struct magazine *m = tc->loaded[k];
        m->blocks[m->n++] = block;
        return;
    }
    free(block);
}

static inline void small_free(void *block, size_t size)
{
    int k = small_class(size);
    struct thread_cache *tc = my_cache;
    if (tc != NULL && tc != DEAD) {
        struct magazine *m = tc->loaded[k];
        if (m != NULL && m->n < MAG_SLOTS) {
            m->blocks[m->n++] = block;
            return;
        }
    }
    small_free_slow(block, k);
}

/* ---- Large blocks: shared per-class stacks -------------------------- */

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
    if (size < ZMQ__BUFCACHE_MIN)
        return small_alloc(size);
    if (size > ZMQ__BUFCACHE_MAX)
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
    if (size < ZMQ__BUFCACHE_MIN) {
        small_free(block, size);
        return;
    }
    if (size > ZMQ__BUFCACHE_MAX) {
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
