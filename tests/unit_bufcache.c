/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of the message body cache (src/core/bufcache.c): blocks
 * are big enough and writable, a freed block is reused for the next
 * allocation of its size class (unless the build is under
 * AddressSanitizer, where the cache is a pass-through), sizes outside
 * the cached range work, small blocks travel through per-thread
 * magazines and come back when a thread exits, and many threads
 * allocating and freeing across threads do not corrupt it (run under
 * TSan in CI).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/bufcache.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define CACHE_ON 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CACHE_ON 0
#endif
#endif
#ifndef CACHE_ON
#define CACHE_ON 1
#endif

static void test_sizes_writable(void)
{
    static const size_t sizes[] = {
        1,          33,   64,   65,    80,     81,         100,
        1000,       4096, 4097, 65536, 200000, 256 * 1024, 256 * 1024 + 1,
        1024 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *b = zmq__bufcache_alloc(sizes[i]);
        REQUIRE(b != NULL);
        memset(b, 0xA5, sizes[i]); /* ASan would catch a short block */
        CHECK(b[sizes[i] - 1] == 0xA5);
        zmq__bufcache_free(b, sizes[i]);
    }
}

/* A block of size first, freed, comes back for size second (same
 * class). */
static void check_reuse(size_t first, size_t second)
{
    void *a = zmq__bufcache_alloc(first);
    REQUIRE(a != NULL);
    zmq__bufcache_free(a, first);
    void *b = zmq__bufcache_alloc(second);
    REQUIRE(b != NULL);
    if (CACHE_ON)
        CHECK(b == a);
    memset(b, 0, second);
    zmq__bufcache_free(b, second);
}

static void test_reuse(void)
{
    /* 5000 and 5100 share a class (4096 + 1024 .. 5120). */
    check_reuse(5000, 5100);
    /* A block of another class is not handed out for this one. */
    void *c = zmq__bufcache_alloc(9000);
    REQUIRE(c != NULL);
    memset(c, 0, 9000);
    zmq__bufcache_free(c, 9000);
}

static void test_depth_bounded(void)
{
    /* More blocks than a class keeps: the extra ones are freed, and all
     * of them can be allocated again. */
    enum { N = 200 };
    void *b[N];
    for (int i = 0; i < N; i++) {
        b[i] = zmq__bufcache_alloc(3000);
        REQUIRE(b[i] != NULL);
    }
    for (int i = 0; i < N; i++)
        zmq__bufcache_free(b[i], 3000);
    for (int i = 0; i < N; i++) {
        b[i] = zmq__bufcache_alloc(3000);
        REQUIRE(b[i] != NULL);
        memset(b[i], i, 3000);
    }
    for (int i = 0; i < N; i++) {
        CHECK(((unsigned char *)b[i])[2999] == (unsigned char)i);
        zmq__bufcache_free(b[i], 3000);
    }
}

/* One thread allocates and hands blocks over, another checks and frees
 * them: the cross-thread pattern of message bodies. */
struct handover {
    void *slots[256];
    int head, tail;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int bad;
};

static void *consumer(void *arg)
{
    struct handover *h = arg;
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (h->head == h->tail && !h->done)
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->head == h->tail && h->done) {
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        void *b = h->slots[h->tail++ % 256];
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        size_t size;
        memcpy(&size, b, sizeof size);
        if (((unsigned char *)b)[size - 1] != (unsigned char)size)
            h->bad++;
        zmq__bufcache_free(b, size);
    }
}

/* Allocates count blocks of size base + (i * mul + seed) % span, marks
 * each with its size and hands it to h's consumer; then says done.
 * false when an allocation failed. */
static bool produce(struct handover *h, int count, size_t base, size_t span,
                    int mul, int seed)
{
    bool ok = true;
    for (int i = 0; i < count; i++) {
        size_t size = base + (size_t)(i * mul + seed) % span;
        unsigned char *b = zmq__bufcache_alloc(size);
        if (b == NULL) {
            ok = false;
            break;
        }
        memcpy(b, &size, sizeof size);
        b[size - 1] = (unsigned char)size;
        pthread_mutex_lock(&h->mu);
        while (h->head - h->tail == 256)
            pthread_cond_wait(&h->cv, &h->mu);
        h->slots[h->head++ % 256] = b;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
    pthread_mutex_lock(&h->mu);
    h->done = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return ok;
}

static void handover_init(struct handover *h)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

static void handover_fini(struct handover *h)
{
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

static void test_cross_thread(void)
{
    struct handover h;
    handover_init(&h);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, consumer, &h) == 0);
    CHECK(produce(&h, 20000, 64, 20000, 37, 0));
    pthread_join(t, NULL);
    CHECK_EQ(h.bad, 0);
    handover_fini(&h);
}

static void test_small_reuse(void)
{
    /* 100 and 105 share a small class (96 .. 112). */
    check_reuse(100, 105);
}

static void test_small_many(void)
{
    /* More than a magazine holds: the extra magazines go to the depot,
     * and every block handed out again is distinct and whole. */
    enum { N = 1000 };
    static unsigned char *b[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            b[i] = zmq__bufcache_alloc(200);
            REQUIRE(b[i] != NULL);
            memset(b[i], i & 0xFF, 200);
        }
        for (int i = 0; i < N; i++) {
            CHECK(b[i][0] == (unsigned char)i && b[i][199] == (unsigned char)i);
            zmq__bufcache_free(b[i], 200);
        }
    }
}

static void *alloc_free_exit(void *arg)
{
    void *b = zmq__bufcache_alloc(300);
    if (b != NULL)
        zmq__bufcache_free(b, 300);
    *(void **)arg = b;
    return NULL;
}

static void test_thread_exit_returns(void)
{
    /* A thread's magazine goes to the depot when it exits, so its freed
     * block is the next one of its class this thread gets (no other
     * test uses the 257..320 class). */
    void *freed = NULL;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, alloc_free_exit, &freed) == 0);
    pthread_join(t, NULL);
    REQUIRE(freed != NULL);
    void *b = zmq__bufcache_alloc(290);
    REQUIRE(b != NULL);
    if (CACHE_ON)
        CHECK(b == freed);
    memset(b, 1, 290);
    zmq__bufcache_free(b, 290);
}

/* Several producer threads each allocate small blocks and hand them to
 * their own consumer thread, which checks and frees them. */
struct small_pair {
    struct handover h;
    int seed;
};

static void *small_producer(void *arg)
{
    struct small_pair *p = arg;
    if (!produce(&p->h, 20000, 16, 496, 31, p->seed)) /* 16 .. 511 */
        p->h.bad++;
    return NULL;
}

static void test_small_cross_thread(void)
{
    enum { PAIRS = 3 };
    static struct small_pair p[PAIRS];
    pthread_t prod[PAIRS], cons[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        handover_init(&p[i].h);
        p[i].seed = i * 7;
        REQUIRE(pthread_create(&cons[i], NULL, consumer, &p[i].h) == 0);
        REQUIRE(pthread_create(&prod[i], NULL, small_producer, &p[i]) == 0);
    }
    for (int i = 0; i < PAIRS; i++) {
        pthread_join(prod[i], NULL);
        pthread_join(cons[i], NULL);
        CHECK_EQ(p[i].h.bad, 0);
        handover_fini(&p[i].h);
    }
}

TEST_MAIN(TEST(test_sizes_writable), TEST(test_reuse), TEST(test_depth_bounded),
          TEST(test_cross_thread), TEST(test_small_reuse),
          TEST(test_small_many), TEST(test_thread_exit_returns),
          TEST(test_small_cross_thread))
