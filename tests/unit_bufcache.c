/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of the message body cache (src/core/bufcache.c): blocks
 * are big enough and writable, a freed block is reused for the next
 * allocation of its size class (unless the build is under
 * AddressSanitizer, where the cache is a pass-through), sizes outside
 * the cached range work, and many threads allocating and freeing across
 * threads do not corrupt it (run under TSan in CI).
 */
#include <pthread.h>
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

static void test_reuse(void)
{
    void *a = zmq__bufcache_alloc(5000);
    REQUIRE(a != NULL);
    zmq__bufcache_free(a, 5000);
    /* 5000 and 5100 share a class (4096 + 1024 .. 5120). */
    void *b = zmq__bufcache_alloc(5100);
    REQUIRE(b != NULL);
    if (CACHE_ON)
        CHECK(b == a);
    memset(b, 0, 5100);
    zmq__bufcache_free(b, 5100);
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

static void test_cross_thread(void)
{
    struct handover h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv, NULL);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, consumer, &h) == 0);
    for (int i = 0; i < 20000; i++) {
        size_t size = 64 + (size_t)(i * 37) % 20000;
        unsigned char *b = zmq__bufcache_alloc(size);
        REQUIRE(b != NULL);
        memcpy(b, &size, sizeof size);
        b[size - 1] = (unsigned char)size;
        pthread_mutex_lock(&h.mu);
        while (h.head - h.tail == 256)
            pthread_cond_wait(&h.cv, &h.mu);
        h.slots[h.head++ % 256] = b;
        pthread_cond_broadcast(&h.cv);
        pthread_mutex_unlock(&h.mu);
    }
    pthread_mutex_lock(&h.mu);
    h.done = 1;
    pthread_cond_broadcast(&h.cv);
    pthread_mutex_unlock(&h.mu);
    pthread_join(t, NULL);
    CHECK_EQ(h.bad, 0);
    pthread_mutex_destroy(&h.mu);
    pthread_cond_destroy(&h.cv);
}

TEST_MAIN(TEST(test_sizes_writable), TEST(test_reuse), TEST(test_depth_bounded),
          TEST(test_cross_thread))
