/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The body cache (see bufcache.h for why): per-thread magazines over a
 * shared depot per size class.
 *
 * Each thread has one loaded magazine (an array of free blocks) per
 * class, touched by that thread only, so an allocation or a free is a
 * pop or a push on a thread-local array: no lock, no atomic, no cache
 * line shared with another thread.  When a thread's magazine runs empty
 * (allocating) or full (freeing) it trades it at the class's depot,
 * under the depot's lock, for a full or an empty one.  The typical
 * pattern, one thread allocating and another freeing, costs one trade
 * per magazine on each side, where malloc would pay a cross-thread free
 * and a refill for every block.
 *
 * A magazine holds up to 64 blocks, fewer for large classes so that one
 * holds about MAG_BYTES (at least one block).  A depot keeps at most
 * DEPOT_CLASS_BYTES of full magazines (at least two), and all depots
 * together at most ZMQ__BUFCACHE_BYTES; past that, blocks go back to
 * free().  A thread's magazines go back to the depot when it exits (a
 * thread-specific key's destructor).  A block always has its class's
 * full size, so any block of a class serves any request of that class.
 */
#include "core/bufcache.h"

#include <pthread.h>
#include <sched.h>
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
#define MIN_SHIFT         5 /* the first class is 33..40 bytes */
#define MAX_SHIFT         18
#define NCLASSES          (4 * (MAX_SHIFT - MIN_SHIFT)) /* up to 256 KiB */
#define MAG_SLOTS         64
#define MAG_BYTES         (512 * 1024)
#define DEPOT_CLASS_BYTES (4 * 1024 * 1024)

_Static_assert(ZMQ__BUFCACHE_MAX == (1 << MAX_SHIFT), "class range");

struct magazine {
    struct magazine *next;
    int n;
    void *blocks[MAG_SLOTS];
};

struct depot {
    atomic_flag lock;
    struct magazine *full, *empty;
    int nfull, nempty;
    int limit;            /* full magazines kept at most (empties too) */
    int slots;            /* blocks per magazine */
    size_t block_size;    /* the class's block size */
    size_t magazine_size; /* slots * block_size */
};

static struct depot depots[NCLASSES];
static atomic_size_t depot_bytes; /* in full magazines, all depots */

struct thread_cache {
    struct magazine *loaded[NCLASSES];
};

/* NULL: not made yet; DEAD: the thread is exiting, use malloc.  The
 * depots are set up with the key, before any cache exists. */
#define DEAD ((struct thread_cache *)1)
static __thread struct thread_cache *my_cache
    __attribute__((tls_model("initial-exec")));
static pthread_key_t cache_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

/* The class of size (0 < size <= ZMQ__BUFCACHE_MAX).  With 2^shift <
 * size <= 2^(shift+1), the classes between are the four quarter steps
 * base + q, base + 2q, base + 3q, base + 4q.  Shifts, not divisions:
 * this is on every message's path. */
static inline int class_of(size_t size)
{
    if (size <= ((size_t)1 << MIN_SHIFT))
        return 0;
    int shift = 63 - __builtin_clzll((unsigned long long)(size - 1));
    int steps = (int)((size - 1 - ((size_t)1 << shift)) >> (shift - 2));
    return (shift - MIN_SHIFT) * 4 + steps;
}

/* The block size of class k (the largest size class_of maps to k). */
static size_t class_size(int k)
{
    size_t base = (size_t)1 << (MIN_SHIFT + k / 4);
    return base + (size_t)(k % 4 + 1) * (base / 4);
}

/* The depot lock guards a few pointer moves: spin, yielding the CPU
 * now and then in case the holder was preempted (a sleeping mutex made
 * the sender and the receiver of large messages, which trade a
 * magazine every few messages, wait on each other in the kernel). */
static void depot_lock(struct depot *d)
{
    int tries = 0;
    while (atomic_flag_test_and_set_explicit(&d->lock, memory_order_acquire)) {
        if (++tries % 64 == 0)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

static void depot_unlock(struct depot *d)
{
    atomic_flag_clear_explicit(&d->lock, memory_order_release);
}

static void free_blocks(struct magazine *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->blocks[i]);
    m->n = 0;
}

/* Under d->lock: whether depot d may keep one more full magazine, and
 * if so counts its bytes in. */
static bool depot_take_in(struct depot *d)
{
    if (d->nfull >= d->limit)
        return false;
    size_t before = atomic_fetch_add_explicit(&depot_bytes, d->magazine_size,
                                              memory_order_relaxed);
    if (before + d->magazine_size > ZMQ__BUFCACHE_BYTES) {
        atomic_fetch_sub_explicit(&depot_bytes, d->magazine_size,
                                  memory_order_relaxed);
        return false;
    }
    return true;
}

/* Under d->lock: pushes full magazine m (counted in already). */
static void push_full(struct depot *d, struct magazine *m)
{
    m->next = d->full;
    d->full = m;
    d->nfull++;
}

/* Under d->lock: keeps empty magazine m if there is room; false if not. */
static bool push_empty(struct depot *d, struct magazine *m)
{
    if (d->nempty >= d->limit)
        return false;
    m->next = d->empty;
    d->empty = m;
    d->nempty++;
    return true;
}

/* Gives magazine m (any fill) to depot k: kept when there is room, else
 * its blocks and itself are freed. */
static void put_magazine(int k, struct magazine *m)
{
    struct depot *d = &depots[k];
    depot_lock(d);
    bool kept;
    if (m->n > 0) {
        kept = depot_take_in(d);
        if (kept)
            push_full(d, m);
    } else {
        kept = push_empty(d, m);
    }
    depot_unlock(d);
    if (!kept) {
        free_blocks(m);
        free(m);
    }
}

static void thread_exit(void *arg)
{
    struct thread_cache *tc = arg;
    for (int k = 0; k < NCLASSES; k++)
        if (tc->loaded[k] != NULL)
            put_magazine(k, tc->loaded[k]);
    free(tc);
    my_cache = DEAD;
}

static void make_key(void)
{
    for (int k = 0; k < NCLASSES; k++) {
        struct depot *d = &depots[k];
        atomic_flag_clear(&d->lock);
        d->block_size = class_size(k);
        size_t slots = MAG_BYTES / d->block_size;
        d->slots = slots < 1 ? 1 : slots > MAG_SLOTS ? MAG_SLOTS : (int)slots;
        d->magazine_size = (size_t)d->slots * d->block_size;
        size_t limit = DEPOT_CLASS_BYTES / d->magazine_size;
        d->limit = limit < 2 ? 2 : (int)limit;
    }
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

/* Trades the empty (or missing) loaded magazine for a full one from the
 * depot; NULL when the depot has none. */
static void *refill(struct thread_cache *tc, int k)
{
    struct depot *d = &depots[k];
    struct magazine *old = tc->loaded[k], *m = NULL;
    depot_lock(d);
    if (d->full != NULL) {
        m = d->full;
        d->full = m->next;
        d->nfull--;
        atomic_fetch_sub_explicit(&depot_bytes, d->magazine_size,
                                  memory_order_relaxed);
        if (old != NULL && push_empty(d, old))
            old = NULL;
    }
    depot_unlock(d);
    if (m == NULL)
        return NULL;
    free(old); /* empty, or NULL */
    tc->loaded[k] = m;
    return m->blocks[--m->n];
}

/* Allocation when the loaded magazine is empty or missing. */
static __attribute__((noinline)) void *alloc_slow(int k)
{
    struct thread_cache *tc = thread_cache();
    if (tc != NULL) {
        void *b = refill(tc, k);
        if (b != NULL)
            return b;
    }
    return malloc(class_size(k));
}

/* Puts the full (or missing) loaded magazine in the depot and loads an
 * empty one.  false when no empty magazine can be had. */
static bool swap_empty(struct thread_cache *tc, int k)
{
    struct depot *d = &depots[k];
    struct magazine *full = tc->loaded[k], *m = NULL;
    depot_lock(d);
    if (full != NULL && depot_take_in(d)) {
        push_full(d, full);
        full = NULL;
    }
    if (d->empty != NULL) {
        m = d->empty;
        d->empty = m->next;
        d->nempty--;
    }
    depot_unlock(d);
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

/* A free when the loaded magazine is full or missing. */
static __attribute__((noinline)) void free_slow(void *block, int k)
{
    struct thread_cache *tc = thread_cache();
    if (tc != NULL && swap_empty(tc, k)) {
        struct magazine *m = tc->loaded[k];
        m->blocks[m->n++] = block;
        return;
    }
    free(block);
}

void *zmq__bufcache_alloc(size_t size)
{
    if (size > ZMQ__BUFCACHE_MAX)
        return malloc(size);
    int k = class_of(size);
    struct thread_cache *tc = my_cache;
    if (tc != NULL && tc != DEAD) {
        struct magazine *m = tc->loaded[k];
        if (m != NULL && m->n > 0)
            return m->blocks[--m->n];
    }
    return alloc_slow(k);
}

void zmq__bufcache_free(void *block, size_t size)
{
    if (block == NULL)
        return;
    if (size > ZMQ__BUFCACHE_MAX) {
        free(block);
        return;
    }
    int k = class_of(size);
    struct thread_cache *tc = my_cache;
    if (tc != NULL && tc != DEAD) {
        struct magazine *m = tc->loaded[k];
        /* The depot is set up before any magazine is loaded. */
        if (m != NULL && m->n < depots[k].slots) {
            m->blocks[m->n++] = block;
            return;
        }
    }
    free_slow(block, k);
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
