/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of every zmq_msg_* function built so far: the success
 * paths, the failure paths, reference counting of shared bodies (checked
 * through the free function of zmq_msg_init_data), groups and routing
 * ids, a long randomised copy/move/close run checked against a model,
 * and concurrent release of copies from several threads.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_barrier_t */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <zmq.h>

#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* What the counting free function saw. */
static struct {
    int calls;
    void *data;
    void *hint;
} freed;

static void reset_freed(void)
{
    freed.calls = 0;
    freed.data = NULL;
    freed.hint = NULL;
}

/* A free function that only records its calls (the buffers it is given
 * belong to the test). */
static void counting_free(void *data, void *hint)
{
    freed.calls++;
    freed.data = data;
    freed.hint = hint;
}

/* A distinct address to pass as a hint. */
static int hint_token;

/* Whether p points into the 64 bytes of m itself. */
static int points_inside(const zmq_msg_t *m, const void *p)
{
    uintptr_t base = (uintptr_t)(const void *)m, at = (uintptr_t)p;
    return at >= base && at < base + sizeof *m;
}

/* Whether got is a string equal to want (NULL never is). */
static int str_is(const char *got, const char *want)
{
    return got != NULL && strcmp(got, want) == 0;
}

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed + i * 7u);
}

static int has_pattern(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(seed + i * 7u))
            return 0;
    return 1;
}

/* A string of n copies of c, in buf (which holds n + 1 bytes). */
static char *repeat_char(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Layout                                                                    */
/* ------------------------------------------------------------------------ */

static void test_msg_t_size(void)
{
    CHECK_EQ(sizeof(zmq_msg_t), 64);
    CHECK(_Alignof(zmq_msg_t) >= _Alignof(void *));
}

/* ------------------------------------------------------------------------ */
/* Initialisers                                                              */
/* ------------------------------------------------------------------------ */

static void test_init_empty(void)
{
    zmq_msg_t m;
    CHECK_EQ(zmq_msg_init(&m), 0);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_more(&m), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_MORE), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 0);
    const char *g = zmq_msg_group(&m);
    REQUIRE(g != NULL);
    CHECK(strcmp(g, "") == 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

/* init_size with a given size: right size, writable, readable back. */
static void check_init_size(size_t size, int expect_inline)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_size(&m, size) == 0);
    CHECK_EQ(zmq_msg_size(&m), size);
    CHECK_EQ(zmq_msg_more(&m), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    if (size > 0) {
        unsigned char *d = zmq_msg_data(&m);
        REQUIRE(d != NULL);
        CHECK_EQ(points_inside(&m, d), expect_inline);
        if (expect_inline)
            CHECK(points_inside(&m, d + size - 1));
        fill_pattern(d, size, (unsigned)size);
        /* Reading back through a fresh zmq_msg_data call. */
        CHECK(has_pattern(zmq_msg_data(&m), size, (unsigned)size));
        CHECK_EQ(zmq_msg_size(&m), size);
    }
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_init_size(void)
{
    check_init_size(0, 1);
    check_init_size(1, 1);
    check_init_size(33, 1);
    check_init_size(34, 0);
    check_init_size(1024 * 1024, 0);
}

static void test_init_size_too_big(void)
{
    zmq_msg_t m;
    CHECK_ERR(zmq_msg_init_size(&m, SIZE_MAX), -1, ENOMEM);
    CHECK_ERR(zmq_msg_init_buffer(&m, "x", SIZE_MAX), -1, ENOMEM);
}

static void test_init_data_ffn_called_once(void)
{
    reset_freed();
    unsigned char buf[100];
    fill_pattern(buf, sizeof buf, 3);
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_data(&m, buf, sizeof buf, counting_free,
                              &hint_token) == 0);
    CHECK(zmq_msg_data(&m) == (void *)buf);
    CHECK_EQ(zmq_msg_size(&m), sizeof buf);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_EQ(freed.calls, 1);
    CHECK(freed.data == (void *)buf);
    CHECK(freed.hint == (void *)&hint_token);
    /* A second close fails and does not call it again. */
    CHECK_ERR(zmq_msg_close(&m), -1, EFAULT);
    CHECK_EQ(freed.calls, 1);
    CHECK(has_pattern(buf, sizeof buf, 3));
}

static void test_init_data_ffn_after_last_copy(void)
{
    reset_freed();
    char buf[] = "a zero-copy body, shared by copies";
    zmq_msg_t a, b, c;
    REQUIRE(zmq_msg_init_data(&a, buf, sizeof buf, counting_free,
                              &hint_token) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    REQUIRE(zmq_msg_init(&c) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_EQ(zmq_msg_copy(&c, &b), 0);
    CHECK(zmq_msg_data(&b) == (void *)buf);
    CHECK(zmq_msg_data(&c) == (void *)buf);

    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_close(&c), 0);
    CHECK_EQ(freed.calls, 0);
    /* The survivor still reads the body. */
    CHECK(zmq_msg_data(&b) == (void *)buf);
    CHECK_EQ(zmq_msg_size(&b), sizeof buf);
    CHECK_EQ(zmq_msg_close(&b), 0);
    CHECK_EQ(freed.calls, 1);
    CHECK(freed.data == (void *)buf);
    CHECK(freed.hint == (void *)&hint_token);
}

/* Heap buffers handed over with a free function that really frees: the
 * sanitizer build catches a missing or doubled call. */
static void freeing_free(void *data, void *hint)
{
    (void)hint;
    free(data);
}

static void test_init_data_real_free(void)
{
    for (size_t size = 1; size <= 4096; size *= 4) {
        unsigned char *p = malloc(size);
        REQUIRE(p != NULL);
        fill_pattern(p, size, 9);
        zmq_msg_t a, b;
        REQUIRE(zmq_msg_init_data(&a, p, size, freeing_free, NULL) == 0);
        REQUIRE(zmq_msg_init(&b) == 0);
        CHECK_EQ(zmq_msg_copy(&b, &a), 0);
        CHECK_EQ(zmq_msg_close(&a), 0);
        CHECK(has_pattern(zmq_msg_data(&b), size, 9));
        CHECK_EQ(zmq_msg_close(&b), 0);
    }
}

static void test_init_data_constant(void)
{
    /* ffn NULL: the caller's buffer, never freed.  A heap buffer that the
     * test frees itself afterwards: a library free would double-free. */
    const size_t size = 200;
    unsigned char *p = malloc(size);
    REQUIRE(p != NULL);
    fill_pattern(p, size, 5);
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init_data(&a, p, size, NULL, NULL) == 0);
    CHECK(zmq_msg_data(&a) == (void *)p);
    CHECK_EQ(zmq_msg_size(&a), size);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 1);
    REQUIRE(zmq_msg_init(&b) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK(zmq_msg_data(&b) == (void *)p);
    CHECK_EQ(zmq_msg_size(&b), size);
    CHECK_EQ(zmq_msg_get(&b, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(zmq_msg_close(&b), 0);
    CHECK(has_pattern(p, size, 5));
    free(p);

    /* A small constant body is referred to as well, not copied in. */
    static const char text[] = "hi";
    REQUIRE(zmq_msg_init_data(&a, (void *)text, 2, NULL, NULL) == 0);
    CHECK(zmq_msg_data(&a) == (const void *)text);
    CHECK_EQ(zmq_msg_size(&a), 2);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_close(&a), 0);
}

static void test_init_data_null(void)
{
    reset_freed();
    zmq_msg_t m;
    /* NULL data with a size: refused, and the free function not called. */
    CHECK_ERR(zmq_msg_init_data(&m, NULL, 10, counting_free, &hint_token), -1,
              EINVAL);
    CHECK_ERR(zmq_msg_init_data(&m, NULL, 1, NULL, NULL), -1, EINVAL);
    CHECK_EQ(freed.calls, 0);

    /* NULL data, size 0: an empty message; ffn never called. */
    CHECK_EQ(zmq_msg_init_data(&m, NULL, 0, counting_free, &hint_token), 0);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_init_data(&m, NULL, 0, NULL, NULL), 0);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);

    /* A real buffer of size 0 with a free function: it is still the
     * caller's buffer handed over, so it is released once. */
    char one;
    CHECK_EQ(zmq_msg_init_data(&m, &one, 0, counting_free, &hint_token), 0);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_EQ(freed.calls, 1);
    CHECK(freed.data == (void *)&one);
}

static void test_init_buffer(void)
{
    unsigned char src[2000];
    const size_t sizes[] = {0, 1, 33, 34, sizeof src};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        fill_pattern(src, sizeof src, (unsigned)i);
        zmq_msg_t m;
        REQUIRE(zmq_msg_init_buffer(&m, src, n) == 0);
        CHECK_EQ(zmq_msg_size(&m), n);
        CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
        if (n > 0) {
            unsigned char *d = zmq_msg_data(&m);
            REQUIRE(d != NULL);
            CHECK(d != src);
            CHECK_EQ(points_inside(&m, d), n <= 33);
            /* Changing the source afterwards leaves the message alone. */
            memset(src, 0xEE, sizeof src);
            CHECK(has_pattern(d, n, (unsigned)i));
        }
        CHECK_EQ(zmq_msg_close(&m), 0);
    }
    zmq_msg_t m;
    CHECK_ERR(zmq_msg_init_buffer(&m, NULL, 1), -1, EINVAL);
    CHECK_ERR(zmq_msg_init_buffer(&m, NULL, 100), -1, EINVAL);
    CHECK_EQ(zmq_msg_init_buffer(&m, NULL, 0), 0);
    CHECK_EQ(zmq_msg_size(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_reinit_after_close(void)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_size(&m, 100) == 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_EQ(zmq_msg_init_size(&m, 5), 0);
    CHECK_EQ(zmq_msg_size(&m), 5);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

/* ------------------------------------------------------------------------ */
/* Close and bad handles                                                     */
/* ------------------------------------------------------------------------ */

static void test_close_twice(void)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_ERR(zmq_msg_close(&m), -1, EFAULT);

    REQUIRE(zmq_msg_init_size(&m, 1000) == 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_ERR(zmq_msg_close(&m), -1, EFAULT);
}

static void test_null_msg(void)
{
    zmq_msg_t ok;
    REQUIRE(zmq_msg_init(&ok) == 0);
    char buf[4] = "abc";

    CHECK_ERR(zmq_msg_init(NULL), -1, EFAULT);
    CHECK_ERR(zmq_msg_init_size(NULL, 0), -1, EFAULT);
    CHECK_ERR(zmq_msg_init_size(NULL, 100), -1, EFAULT);
    reset_freed();
    CHECK_ERR(zmq_msg_init_data(NULL, buf, 4, counting_free, NULL), -1, EFAULT);
    CHECK_EQ(freed.calls, 0);
    CHECK_ERR(zmq_msg_init_buffer(NULL, buf, 4), -1, EFAULT);
    CHECK_ERR(zmq_msg_close(NULL), -1, EFAULT);
    CHECK_ERR(zmq_msg_move(NULL, &ok), -1, EFAULT);
    CHECK_ERR(zmq_msg_move(&ok, NULL), -1, EFAULT);
    CHECK_ERR(zmq_msg_copy(NULL, &ok), -1, EFAULT);
    CHECK_ERR(zmq_msg_copy(&ok, NULL), -1, EFAULT);
    CHECK_NULL_ERR(zmq_msg_data(NULL), EFAULT);
    CHECK_ERR(zmq_msg_size(NULL), 0, EFAULT);
    CHECK_ERR(zmq_msg_more(NULL), 0, EFAULT);
    CHECK_ERR(zmq_msg_get(NULL, ZMQ_MORE), -1, EFAULT);
    CHECK_ERR(zmq_msg_get(NULL, ZMQ_SHARED), -1, EFAULT);
    CHECK_ERR(zmq_msg_set(NULL, ZMQ_MORE, 1), -1, EINVAL);
    CHECK_NULL_ERR(zmq_msg_gets(NULL, "Socket-Type"), EFAULT);
    CHECK_ERR(zmq_msg_set_routing_id(NULL, 5), -1, EFAULT);
    CHECK_ERR(zmq_msg_routing_id(NULL), 0, EFAULT);
    CHECK_ERR(zmq_msg_set_group(NULL, "g"), -1, EFAULT);
    CHECK_NULL_ERR(zmq_msg_group(NULL), EFAULT);

    /* The valid message was not disturbed. */
    CHECK_EQ(zmq_msg_size(&ok), 0);
    CHECK_EQ(zmq_msg_close(&ok), 0);
}

static void test_closed_msg(void)
{
    zmq_msg_t ok, dead;
    REQUIRE(zmq_msg_init_size(&ok, 3) == 0);
    memcpy(zmq_msg_data(&ok), "xyz", 3);
    REQUIRE(zmq_msg_init_size(&dead, 100) == 0);
    REQUIRE(zmq_msg_close(&dead) == 0);

    CHECK_NULL_ERR(zmq_msg_data(&dead), EFAULT);
    CHECK_ERR(zmq_msg_size(&dead), 0, EFAULT);
    CHECK_ERR(zmq_msg_more(&dead), 0, EFAULT);
    CHECK_ERR(zmq_msg_get(&dead, ZMQ_MORE), -1, EFAULT);
    CHECK_ERR(zmq_msg_get(&dead, ZMQ_SHARED), -1, EFAULT);
    CHECK_ERR(zmq_msg_get(&dead, ZMQ_SRCFD), -1, EFAULT);
    CHECK_ERR(zmq_msg_set(&dead, ZMQ_MORE, 1), -1, EINVAL);
    CHECK_NULL_ERR(zmq_msg_gets(&dead, "Socket-Type"), EFAULT);
    CHECK_ERR(zmq_msg_set_routing_id(&dead, 5), -1, EFAULT);
    CHECK_ERR(zmq_msg_routing_id(&dead), 0, EFAULT);
    CHECK_ERR(zmq_msg_set_group(&dead, "g"), -1, EFAULT);
    CHECK_NULL_ERR(zmq_msg_group(&dead), EFAULT);
    CHECK_ERR(zmq_msg_copy(&ok, &dead), -1, EFAULT);
    CHECK_ERR(zmq_msg_move(&ok, &dead), -1, EFAULT);
    CHECK_ERR(zmq_msg_close(&dead), -1, EFAULT);

    /* The failed copy/move into ok left it as it was. */
    CHECK_EQ(zmq_msg_size(&ok), 3);
    CHECK(memcmp(zmq_msg_data(&ok), "xyz", 3) == 0);
    CHECK_EQ(zmq_msg_close(&ok), 0);
}

/* ------------------------------------------------------------------------ */
/* Move                                                                      */
/* ------------------------------------------------------------------------ */

static void test_move(void)
{
    char long_group[256];
    repeat_char(long_group, 'L', 200);
    zmq_msg_t src, dst;
    REQUIRE(zmq_msg_init_size(&src, 500) == 0);
    fill_pattern(zmq_msg_data(&src), 500, 11);
    void *body = zmq_msg_data(&src);
    REQUIRE(zmq_msg_set_routing_id(&src, 77) == 0);
    REQUIRE(zmq_msg_set_group(&src, long_group) == 0);
    REQUIRE(zmq_msg_init(&dst) == 0);

    CHECK_EQ(zmq_msg_move(&dst, &src), 0);
    CHECK_EQ(zmq_msg_size(&dst), 500);
    CHECK(zmq_msg_data(&dst) == body); /* moved, not copied */
    CHECK(has_pattern(zmq_msg_data(&dst), 500, 11));
    CHECK_EQ(zmq_msg_routing_id(&dst), 77);
    CHECK(str_is(zmq_msg_group(&dst), long_group));
    CHECK_EQ(zmq_msg_get(&dst, ZMQ_SHARED), 0);

    /* src: empty but initialised. */
    CHECK_EQ(zmq_msg_size(&src), 0);
    CHECK_EQ(zmq_msg_routing_id(&src), 0);
    CHECK(str_is(zmq_msg_group(&src), ""));
    CHECK_EQ(zmq_msg_more(&src), 0);
    CHECK_EQ(zmq_msg_get(&src, ZMQ_SHARED), 0);
    /* ... and usable again. */
    CHECK_EQ(zmq_msg_set_routing_id(&src, 3), 0);
    CHECK_EQ(zmq_msg_close(&src), 0);
    CHECK_ERR(zmq_msg_close(&src), -1, EFAULT);

    CHECK_EQ(zmq_msg_close(&dst), 0);
}

static void test_move_inline(void)
{
    zmq_msg_t src, dst;
    REQUIRE(zmq_msg_init_buffer(&src, "hello", 5) == 0);
    REQUIRE(zmq_msg_set_group(&src, "news") == 0);
    REQUIRE(zmq_msg_init(&dst) == 0);
    CHECK_EQ(zmq_msg_move(&dst, &src), 0);
    CHECK_EQ(zmq_msg_size(&dst), 5);
    CHECK(memcmp(zmq_msg_data(&dst), "hello", 5) == 0);
    CHECK(points_inside(&dst, zmq_msg_data(&dst)));
    CHECK(str_is(zmq_msg_group(&dst), "news"));
    CHECK_EQ(zmq_msg_size(&src), 0);
    CHECK(str_is(zmq_msg_group(&src), ""));
    CHECK_EQ(zmq_msg_close(&src), 0);
    CHECK_EQ(zmq_msg_close(&dst), 0);
}

static void test_move_zero_copy(void)
{
    reset_freed();
    char buf[64] = "zero copy moved";
    zmq_msg_t src, dst;
    REQUIRE(zmq_msg_init_data(&src, buf, sizeof buf, counting_free,
                              &hint_token) == 0);
    REQUIRE(zmq_msg_init(&dst) == 0);
    CHECK_EQ(zmq_msg_move(&dst, &src), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK(zmq_msg_data(&dst) == (void *)buf);
    CHECK_EQ(zmq_msg_close(&src), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_close(&dst), 0);
    CHECK_EQ(freed.calls, 1);
    CHECK(freed.data == (void *)buf);
}

static void test_move_releases_dest(void)
{
    reset_freed();
    char old_body[50] = "the old body of dest";
    zmq_msg_t src, dst;
    REQUIRE(zmq_msg_init_data(&dst, old_body, sizeof old_body, counting_free,
                              &hint_token) == 0);
    REQUIRE(zmq_msg_init_buffer(&src, "new", 3) == 0);
    CHECK_EQ(zmq_msg_move(&dst, &src), 0);
    CHECK_EQ(freed.calls, 1);
    CHECK(freed.data == (void *)old_body);
    CHECK_EQ(zmq_msg_size(&dst), 3);
    CHECK(memcmp(zmq_msg_data(&dst), "new", 3) == 0);
    CHECK_EQ(zmq_msg_close(&src), 0);
    CHECK_EQ(zmq_msg_close(&dst), 0);
    CHECK_EQ(freed.calls, 1);
}

static void test_move_into_invalid_dest(void)
{
    reset_freed();
    char buf[40] = "src body";
    zmq_msg_t src, dst;
    REQUIRE(zmq_msg_init_data(&src, buf, sizeof buf, counting_free,
                              &hint_token) == 0);
    REQUIRE(zmq_msg_set_routing_id(&src, 9) == 0);

    /* A closed destination. */
    REQUIRE(zmq_msg_init(&dst) == 0);
    REQUIRE(zmq_msg_close(&dst) == 0);
    CHECK_ERR(zmq_msg_move(&dst, &src), -1, EFAULT);
    CHECK_ERR(zmq_msg_copy(&dst, &src), -1, EFAULT);
    /* A destination never initialised (zeroed: detectable). */
    memset(&dst, 0, sizeof dst);
    CHECK_ERR(zmq_msg_move(&dst, &src), -1, EFAULT);
    CHECK_ERR(zmq_msg_copy(&dst, &src), -1, EFAULT);
    CHECK_ERR(zmq_msg_close(&dst), -1, EFAULT);

    /* src is untouched by the failures. */
    CHECK(zmq_msg_data(&src) == (void *)buf);
    CHECK_EQ(zmq_msg_size(&src), sizeof buf);
    CHECK_EQ(zmq_msg_routing_id(&src), 9);
    CHECK_EQ(zmq_msg_get(&src, ZMQ_SHARED), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_close(&src), 0);
    CHECK_EQ(freed.calls, 1);
}

/* ------------------------------------------------------------------------ */
/* Copy                                                                      */
/* ------------------------------------------------------------------------ */

static void test_copy_large_shared(void)
{
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init_size(&a, 1000) == 0);
    fill_pattern(zmq_msg_data(&a), 1000, 21);
    REQUIRE(zmq_msg_init(&b) == 0);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK(zmq_msg_data(&a) == zmq_msg_data(&b));
    CHECK_EQ(zmq_msg_size(&b), 1000);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_get(&b, ZMQ_SHARED), 1);
    /* Closing the original keeps the copy's body alive. */
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK(has_pattern(zmq_msg_data(&b), 1000, 21));
    CHECK_EQ(zmq_msg_close(&b), 0);
}

static void test_copy_small_copied(void)
{
    const size_t sizes[] = {1, 10, 33};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        zmq_msg_t a, b;
        REQUIRE(zmq_msg_init_size(&a, n) == 0);
        fill_pattern(zmq_msg_data(&a), n, 31);
        REQUIRE(zmq_msg_init(&b) == 0);
        CHECK_EQ(zmq_msg_copy(&b, &a), 0);
        CHECK(zmq_msg_data(&a) != zmq_msg_data(&b));
        CHECK_EQ(zmq_msg_size(&b), n);
        CHECK(has_pattern(zmq_msg_data(&b), n, 31));
        CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 0);
        CHECK_EQ(zmq_msg_get(&b, ZMQ_SHARED), 0);
        /* Independent bodies. */
        memset(zmq_msg_data(&b), 0, n);
        CHECK(has_pattern(zmq_msg_data(&a), n, 31));
        CHECK_EQ(zmq_msg_close(&a), 0);
        CHECK_EQ(zmq_msg_close(&b), 0);
    }
}

static void test_copy_small_zero_copy_shared(void)
{
    /* zmq_msg_init_data bodies are shared whatever their size. */
    reset_freed();
    char buf[5] = "tiny";
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init_data(&a, buf, sizeof buf, counting_free,
                              &hint_token) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK(zmq_msg_data(&b) == (void *)buf);
    CHECK_EQ(zmq_msg_get(&a, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_get(&b, ZMQ_SHARED), 1);
    CHECK_EQ(zmq_msg_close(&b), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(freed.calls, 1);
}

static void test_copy_properties(void)
{
    char g15[16], g255[256];
    repeat_char(g15, 'q', 15);
    repeat_char(g255, 'w', 255);
    const char *groups[] = {"", "short", g15, g255};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        zmq_msg_t a, b;
        REQUIRE(zmq_msg_init_size(&a, i * 30) == 0);
        REQUIRE(zmq_msg_set_routing_id(&a, (uint32_t)(1000 + i)) == 0);
        REQUIRE(zmq_msg_set_group(&a, groups[i]) == 0);
        REQUIRE(zmq_msg_init(&b) == 0);
        CHECK_EQ(zmq_msg_copy(&b, &a), 0);
        CHECK_EQ(zmq_msg_routing_id(&b), 1000 + i);
        CHECK(str_is(zmq_msg_group(&b), groups[i]));
        CHECK_EQ(zmq_msg_size(&b), i * 30);
        CHECK_EQ(zmq_msg_more(&b), 0);
        /* The source keeps them too. */
        CHECK_EQ(zmq_msg_routing_id(&a), 1000 + i);
        CHECK(str_is(zmq_msg_group(&a), groups[i]));

        /* Changing the copy's group or id leaves the source's alone. */
        CHECK_EQ(zmq_msg_set_group(&b, "other"), 0);
        CHECK_EQ(zmq_msg_set_routing_id(&b, 5), 0);
        CHECK(str_is(zmq_msg_group(&a), groups[i]));
        CHECK_EQ(zmq_msg_routing_id(&a), 1000 + i);
        CHECK_EQ(zmq_msg_close(&a), 0);
        CHECK_EQ(zmq_msg_close(&b), 0);
    }
}

static void test_copy_long_group_outlives_original(void)
{
    char g[256];
    repeat_char(g, 'z', 255);
    zmq_msg_t a, b, c;
    REQUIRE(zmq_msg_init(&a) == 0);
    REQUIRE(zmq_msg_set_group(&a, g) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    REQUIRE(zmq_msg_init(&c) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_EQ(zmq_msg_close(&a), 0);
    const char *got = zmq_msg_group(&b);
    REQUIRE(got != NULL);
    CHECK_EQ(strlen(got), 255);
    CHECK(strcmp(got, g) == 0);
    /* A move of the surviving copy carries it on. */
    CHECK_EQ(zmq_msg_move(&c, &b), 0);
    CHECK(str_is(zmq_msg_group(&c), g));
    CHECK(str_is(zmq_msg_group(&b), ""));
    CHECK_EQ(zmq_msg_close(&b), 0);
    CHECK_EQ(zmq_msg_close(&c), 0);

    /* Re-setting the group of the original after the copy leaves the
     * copy's long group intact. */
    REQUIRE(zmq_msg_init(&a) == 0);
    REQUIRE(zmq_msg_set_group(&a, g) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_EQ(zmq_msg_set_group(&a, "x"), 0);
    CHECK(str_is(zmq_msg_group(&b), g));
    CHECK_EQ(zmq_msg_set_group(&a, g), 0);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK(str_is(zmq_msg_group(&b), g));
    CHECK_EQ(zmq_msg_close(&b), 0);
}

static void test_copy_releases_dest(void)
{
    reset_freed();
    char dest_body[64] = "dest's own zero-copy body";
    zmq_msg_t src, dst;
    REQUIRE(zmq_msg_init_size(&src, 100) == 0);
    fill_pattern(zmq_msg_data(&src), 100, 41);
    REQUIRE(zmq_msg_init_data(&dst, dest_body, sizeof dest_body, counting_free,
                              &hint_token) == 0);
    CHECK_EQ(zmq_msg_copy(&dst, &src), 0);
    CHECK_EQ(freed.calls, 1);
    CHECK(freed.data == (void *)dest_body);
    CHECK(freed.hint == (void *)&hint_token);
    CHECK(has_pattern(zmq_msg_data(&dst), 100, 41));
    CHECK_EQ(zmq_msg_close(&src), 0);
    CHECK_EQ(zmq_msg_close(&dst), 0);
    CHECK_EQ(freed.calls, 1);
}

static void test_copy_over_same_body(void)
{
    /* dest already shares src's body: copying again must not drop it. */
    reset_freed();
    char buf[80] = "shared twice";
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init_data(&a, buf, sizeof buf, counting_free,
                              &hint_token) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_EQ(zmq_msg_copy(&a, &b), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK(zmq_msg_data(&a) == (void *)buf);
    CHECK(zmq_msg_data(&b) == (void *)buf);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(freed.calls, 0);
    CHECK_EQ(zmq_msg_close(&b), 0);
    CHECK_EQ(freed.calls, 1);
}

static void test_copy_from_empty(void)
{
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init(&a) == 0);
    REQUIRE(zmq_msg_init_size(&b, 300) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_EQ(zmq_msg_size(&b), 0);
    CHECK_EQ(zmq_msg_get(&b, ZMQ_SHARED), 0);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(zmq_msg_close(&b), 0);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                                */
/* ------------------------------------------------------------------------ */

static void test_get(void)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_size(&m, 10) == 0);
    CHECK_EQ(zmq_msg_more(&m), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_MORE), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    CHECK_ERR(zmq_msg_get(&m, ZMQ_SRCFD), -1, EINVAL);
    CHECK_ERR(zmq_msg_get(&m, 0), -1, EINVAL);
    CHECK_ERR(zmq_msg_get(&m, 4), -1, EINVAL);
    CHECK_ERR(zmq_msg_get(&m, -1), -1, EINVAL);
    CHECK_ERR(zmq_msg_get(&m, 1000), -1, EINVAL);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_set(void)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    const int props[] = {ZMQ_MORE, ZMQ_SRCFD, ZMQ_SHARED, 0, 4, -1, 99};
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
        CHECK_ERR(zmq_msg_set(&m, props[i], 0), -1, EINVAL);
        CHECK_ERR(zmq_msg_set(&m, props[i], 1), -1, EINVAL);
    }
    /* Nothing changed. */
    CHECK_EQ(zmq_msg_more(&m), 0);
    CHECK_EQ(zmq_msg_get(&m, ZMQ_SHARED), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_gets_local(void)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init_size(&m, 50) == 0);
    REQUIRE(zmq_msg_set_routing_id(&m, 4) == 0);
    const char *names[] = {
        "Socket-Type", "Routing-Id", "Identity", "Peer-Address",
        "User-Id",     "X-Custom",   ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        CHECK_NULL_ERR(zmq_msg_gets(&m, names[i]), EINVAL);
    CHECK_NULL_ERR(zmq_msg_gets(&m, NULL), EINVAL);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_routing_id(void)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 0);
    CHECK_EQ(zmq_msg_set_routing_id(&m, 1), 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 1);
    CHECK_EQ(zmq_msg_set_routing_id(&m, 0xFFFFFFFFu), 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 0xFFFFFFFFu);
    CHECK_EQ(zmq_msg_set_routing_id(&m, 123456), 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 123456);
    /* 0 is refused and the id is kept. */
    CHECK_ERR(zmq_msg_set_routing_id(&m, 0), -1, EINVAL);
    CHECK_EQ(zmq_msg_routing_id(&m), 123456);
    CHECK_EQ(zmq_msg_close(&m), 0);

    /* Every initialiser starts with no id. */
    REQUIRE(zmq_msg_init_size(&m, 100) == 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
    REQUIRE(zmq_msg_init_buffer(&m, "ab", 2) == 0);
    CHECK_EQ(zmq_msg_routing_id(&m), 0);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void check_group_roundtrip(const char *g)
{
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    CHECK_EQ(zmq_msg_set_group(&m, g), 0);
    const char *got = zmq_msg_group(&m);
    REQUIRE(got != NULL);
    CHECK_EQ(strlen(got), strlen(g));
    CHECK(strcmp(got, g) == 0);
    /* The message keeps its own copy. */
    CHECK(got != g);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_group(void)
{
    char buf[300];
    check_group_roundtrip("");
    check_group_roundtrip("a");
    check_group_roundtrip(repeat_char(buf, 's', 14));
    check_group_roundtrip(repeat_char(buf, 'l', 15));
    check_group_roundtrip(repeat_char(buf, 'm', 100));
    check_group_roundtrip(repeat_char(buf, 'x', ZMQ_GROUP_MAX_LENGTH));
    CHECK_EQ(ZMQ_GROUP_MAX_LENGTH, 255);

    /* Changing the caller's string afterwards leaves the group alone. */
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    repeat_char(buf, 'k', 40);
    CHECK_EQ(zmq_msg_set_group(&m, buf), 0);
    buf[0] = 'X';
    CHECK_EQ(zmq_msg_group(&m)[0], 'k');
    CHECK_EQ(strlen(zmq_msg_group(&m)), 40);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_group_errors(void)
{
    char buf[300];
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    CHECK_ERR(zmq_msg_set_group(&m, NULL), -1, EINVAL);
    CHECK_ERR(zmq_msg_set_group(&m, repeat_char(buf, 'y', 256)), -1, EINVAL);
    CHECK_ERR(zmq_msg_set_group(&m, repeat_char(buf, 'y', 299)), -1, EINVAL);
    CHECK(str_is(zmq_msg_group(&m), ""));

    /* A failed set keeps the previous group, short or long. */
    CHECK_EQ(zmq_msg_set_group(&m, "keep"), 0);
    CHECK_ERR(zmq_msg_set_group(&m, repeat_char(buf, 'y', 256)), -1, EINVAL);
    CHECK_ERR(zmq_msg_set_group(&m, NULL), -1, EINVAL);
    CHECK(str_is(zmq_msg_group(&m), "keep"));
    char long_g[256];
    repeat_char(long_g, 'K', 255);
    CHECK_EQ(zmq_msg_set_group(&m, long_g), 0);
    CHECK_ERR(zmq_msg_set_group(&m, repeat_char(buf, 'y', 256)), -1, EINVAL);
    CHECK(str_is(zmq_msg_group(&m), long_g));
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_group_replace(void)
{
    /* Short -> long -> long -> short -> "": no leak, always the last. */
    char l1[256], l2[256];
    repeat_char(l1, '1', 20);
    repeat_char(l2, '2', 255);
    const char *seq[] = {"abc", l1, l2, "de", "", l2, l1};
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        CHECK_EQ(zmq_msg_set_group(&m, seq[i]), 0);
        CHECK(str_is(zmq_msg_group(&m), seq[i]));
    }
    CHECK_EQ(zmq_msg_close(&m), 0);
}

/* ------------------------------------------------------------------------ */
/* Randomised copy / move / close run, checked against a model               */
/* ------------------------------------------------------------------------ */

#define STRESS_SLOTS  8
#define STRESS_ITERS  10000
#define STRESS_BODIES (STRESS_ITERS + STRESS_SLOTS + 1)

enum body_kind { BODY_EMPTY, BODY_INLINE, BODY_HEAP, BODY_ZC, BODY_CONST };

struct slot_model {
    enum body_kind kind;
    int id;      /* body identity: the pattern seed, and for ZC the index */
    size_t size; /* body size */
    int group;   /* index into stress_groups */
    uint32_t routing_id;
};

static char stress_group_short[] = "grp";
static char stress_group_15[16];
static char stress_group_255[256];
static const char *stress_groups[] = {"", stress_group_short, stress_group_15,
                                      stress_group_255};

static unsigned char stress_zc_freed[STRESS_BODIES];
static unsigned char stress_copied[STRESS_BODIES];
static void *stress_zc_buf[STRESS_BODIES];
static unsigned char stress_const_buf[200];

static void stress_free(void *data, void *hint)
{
    size_t id = (size_t)(uintptr_t)hint;
    if (id < STRESS_BODIES) {
        stress_zc_freed[id]++;
        if (data != stress_zc_buf[id])
            stress_zc_freed[id] += 100; /* wrong data: fails the check */
    }
    free(data);
}

static uint32_t rng_state = 0x12345678u;

static uint32_t rng(void)
{
    /* xorshift32 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* How many slots hold body id of kind k. */
static int holders(const struct slot_model *model, enum body_kind k, int id)
{
    int n = 0;
    for (int i = 0; i < STRESS_SLOTS; i++)
        if (model[i].kind == k && model[i].id == id)
            n++;
    return n;
}

/* Checks one slot against its model; returns 0 when it differs. */
static int stress_check_slot(zmq_msg_t *m, const struct slot_model *model,
                             int slot)
{
    const struct slot_model *s = &model[slot];
    int ok = 1;
    if (zmq_msg_size(m) != s->size)
        ok = 0;
    const unsigned char *d = zmq_msg_data(m);
    if (s->size > 0 && (d == NULL || !has_pattern(d, s->size, (unsigned)s->id)))
        ok = 0;
    if (s->kind == BODY_ZC && d != stress_zc_buf[s->id])
        ok = 0;
    if (s->kind == BODY_CONST && d != stress_const_buf)
        ok = 0;
    if (s->kind == BODY_INLINE && !points_inside(m, d))
        ok = 0;
    if (zmq_msg_routing_id(m) != s->routing_id)
        ok = 0;
    const char *g = zmq_msg_group(m);
    if (g == NULL || strcmp(g, stress_groups[s->group]) != 0)
        ok = 0;
    int shared = zmq_msg_get(m, ZMQ_SHARED);
    switch (s->kind) {
    case BODY_EMPTY:
    case BODY_INLINE:
        if (shared != 0)
            ok = 0;
        break;
    case BODY_CONST:
        if (shared != 1)
            ok = 0;
        break;
    case BODY_HEAP:
    case BODY_ZC:
        /* Never copied: not shared.  Held by two or more: shared. */
        if (!stress_copied[s->id] && shared != 0)
            ok = 0;
        if (holders(model, s->kind, s->id) >= 2 && shared != 1)
            ok = 0;
        break;
    }
    return ok;
}

/* Puts a new body in slot s (model) / m: every body gets a fresh id; the
 * kind tells zero-copy, heap, inline and constant bodies apart. */
static void stress_new_body(zmq_msg_t *m, struct slot_model *s, int *next_id)
{
    int id = (*next_id)++;
    s->id = id;
    s->group = 0;
    s->routing_id = 0;
    switch (rng() % 4) {
    case 0: { /* zero-copy */
        size_t size = 1 + rng() % 120;
        unsigned char *p = malloc(size);
        if (p == NULL)
            abort();
        fill_pattern(p, size, (unsigned)id);
        stress_zc_buf[id] = p;
        if (zmq_msg_init_data(m, p, size, stress_free, (void *)(uintptr_t)id) !=
            0)
            abort();
        s->kind = BODY_ZC;
        s->size = size;
        break;
    }
    case 1: { /* init_size: inline or heap */
        size_t size = rng() % 150;
        if (zmq_msg_init_size(m, size) != 0)
            abort();
        fill_pattern(zmq_msg_data(m), size, (unsigned)id);
        s->kind = size == 0 ? BODY_EMPTY : size <= 33 ? BODY_INLINE : BODY_HEAP;
        s->size = size;
        break;
    }
    case 2: { /* init_buffer */
        unsigned char tmp[100];
        size_t size = rng() % sizeof tmp;
        fill_pattern(tmp, size, (unsigned)id);
        if (zmq_msg_init_buffer(m, tmp, size) != 0)
            abort();
        s->kind = size == 0 ? BODY_EMPTY : size <= 33 ? BODY_INLINE : BODY_HEAP;
        s->size = size;
        break;
    }
    default: { /* constant */
        s->kind = BODY_CONST;
        s->id = 0; /* the constant buffer carries pattern 0 */
        s->size = 1 + rng() % sizeof stress_const_buf;
        if (zmq_msg_init_data(m, stress_const_buf, s->size, NULL, NULL) != 0)
            abort();
        break;
    }
    }
}

/* Checks that zero-copy body id, no longer held by any slot, was freed
 * exactly once; and that one still held was not. */
static int stress_check_freed(const struct slot_model *model, int id)
{
    int held = holders(model, BODY_ZC, id);
    return stress_zc_freed[id] == (held ? 0 : 1);
}

static void test_stress_copy_close(void)
{
    repeat_char(stress_group_15, 'f', 15);
    repeat_char(stress_group_255, 'h', 255);
    fill_pattern(stress_const_buf, sizeof stress_const_buf, 0);
    memset(stress_zc_freed, 0, sizeof stress_zc_freed);
    memset(stress_copied, 0, sizeof stress_copied);

    zmq_msg_t msgs[STRESS_SLOTS];
    struct slot_model model[STRESS_SLOTS];
    int next_id = 1, zc_created = 0, failures = 0;
    for (int i = 0; i < STRESS_SLOTS; i++) {
        REQUIRE(zmq_msg_init(&msgs[i]) == 0);
        model[i] = (struct slot_model){BODY_EMPTY, 0, 0, 0, 0};
    }

    for (int iter = 0; iter < STRESS_ITERS && failures < 10; iter++) {
        int i = (int)(rng() % STRESS_SLOTS);
        int j = (int)(rng() % (STRESS_SLOTS - 1));
        if (j >= i)
            j++; /* j != i */
        struct slot_model before = model[i];
        int rc = 0;
        switch (rng() % 6) {
        case 0: /* close and re-create */
            rc = zmq_msg_close(&msgs[i]);
            stress_new_body(&msgs[i], &model[i], &next_id);
            if (model[i].kind == BODY_ZC)
                zc_created++;
            break;
        case 1:
        case 2: /* copy j into i */
            rc = zmq_msg_copy(&msgs[i], &msgs[j]);
            model[i] = model[j];
            if (model[j].kind == BODY_HEAP || model[j].kind == BODY_ZC)
                stress_copied[model[j].id] = 1;
            break;
        case 3: /* move j into i */
            rc = zmq_msg_move(&msgs[i], &msgs[j]);
            model[i] = model[j];
            model[j] = (struct slot_model){BODY_EMPTY, 0, 0, 0, 0};
            break;
        case 4: /* group */
            model[i].group = (int)(rng() % 4);
            rc = zmq_msg_set_group(&msgs[i], stress_groups[model[i].group]);
            break;
        default: /* routing id */
            model[i].routing_id = 1 + rng() % 1000;
            rc = zmq_msg_set_routing_id(&msgs[i], model[i].routing_id);
            break;
        }
        if (rc != 0) {
            fprintf(stderr, "iteration %d: operation failed, errno %d\n", iter,
                    errno);
            failures++;
        }
        /* The body slot i held before may have lost its last holder. */
        if (before.kind == BODY_ZC && !stress_check_freed(model, before.id)) {
            fprintf(stderr, "iteration %d: body %d freed %d times\n", iter,
                    before.id, stress_zc_freed[before.id]);
            failures++;
        }
        for (int k = 0; k < STRESS_SLOTS; k++) {
            if (!stress_check_slot(&msgs[k], model, k)) {
                fprintf(stderr, "iteration %d: slot %d differs\n", iter, k);
                failures++;
            }
            if (model[k].kind == BODY_ZC &&
                !stress_check_freed(model, model[k].id)) {
                fprintf(stderr, "iteration %d: live body %d freed\n", iter,
                        model[k].id);
                failures++;
            }
        }
    }
    CHECK_EQ(failures, 0);
    CHECK(zc_created > 100); /* the run exercised zero-copy bodies */

    for (int i = 0; i < STRESS_SLOTS; i++)
        CHECK_EQ(zmq_msg_close(&msgs[i]), 0);
    int total = 0, wrong = 0;
    for (int id = 0; id < next_id; id++) {
        total += stress_zc_freed[id];
        if (stress_zc_freed[id] > 1)
            wrong++;
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(total, zc_created);
}

/* ------------------------------------------------------------------------ */
/* Concurrent release of copies                                              */
/* ------------------------------------------------------------------------ */

#define MT_THREADS 8
#define MT_ROUNDS  20
#define MT_INNER   500

static zmq_msg_t mt_original;
static void *mt_body;
static pthread_mutex_t mt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t mt_barrier;
static atomic_int mt_free_calls;
static atomic_int mt_bad_free_args;
static atomic_int mt_errors;

static void mt_free(void *data, void *hint)
{
    if (data != mt_body || hint != (void *)&mt_free_calls)
        atomic_fetch_add(&mt_bad_free_args, 1);
    atomic_fetch_add(&mt_free_calls, 1);
    free(data);
}

static void *mt_worker(void *arg)
{
    (void)arg;
    zmq_msg_t mine;
    if (zmq_msg_init(&mine) != 0)
        atomic_fetch_add(&mt_errors, 1);
    /* The original is one message: take turns reading it. */
    pthread_mutex_lock(&mt_lock);
    if (zmq_msg_copy(&mine, &mt_original) != 0)
        atomic_fetch_add(&mt_errors, 1);
    pthread_mutex_unlock(&mt_lock);
    if (zmq_msg_data(&mine) != mt_body)
        atomic_fetch_add(&mt_errors, 1);

    /* Everyone holds a copy; the main thread closes the original. */
    pthread_barrier_wait(&mt_barrier);

    /* Copies of copies, made and dropped while other threads do the same
     * on the same body. */
    for (int k = 0; k < MT_INNER; k++) {
        zmq_msg_t tmp;
        if (zmq_msg_init(&tmp) != 0 || zmq_msg_copy(&tmp, &mine) != 0 ||
            zmq_msg_data(&tmp) != mt_body || zmq_msg_get(&tmp, ZMQ_SHARED) != 1)
            atomic_fetch_add(&mt_errors, 1);
        if (zmq_msg_close(&tmp) != 0)
            atomic_fetch_add(&mt_errors, 1);
    }
    if (atomic_load(&mt_free_calls) != 0)
        atomic_fetch_add(&mt_errors, 1); /* freed while still held */
    if (zmq_msg_close(&mine) != 0)
        atomic_fetch_add(&mt_errors, 1);
    return NULL;
}

static void test_threads_release_copies(void)
{
    REQUIRE(pthread_barrier_init(&mt_barrier, NULL, MT_THREADS + 1) == 0);
    for (int round = 0; round < MT_ROUNDS; round++) {
        atomic_store(&mt_free_calls, 0);
        atomic_store(&mt_bad_free_args, 0);
        atomic_store(&mt_errors, 0);
        const size_t size = 1024 * 1024;
        mt_body = malloc(size);
        REQUIRE(mt_body != NULL);
        memset(mt_body, 0x5A, size);
        REQUIRE(zmq_msg_init_data(&mt_original, mt_body, size, mt_free,
                                  &mt_free_calls) == 0);

        pthread_t threads[MT_THREADS];
        int started = 0;
        for (; started < MT_THREADS; started++)
            if (pthread_create(&threads[started], NULL, mt_worker, NULL) != 0)
                break;
        REQUIRE(started == MT_THREADS); /* the barrier needs all of them */

        pthread_barrier_wait(&mt_barrier);
        /* Every thread holds a copy: closing the original frees nothing. */
        pthread_mutex_lock(&mt_lock);
        CHECK_EQ(zmq_msg_close(&mt_original), 0);
        pthread_mutex_unlock(&mt_lock);

        for (int t = 0; t < MT_THREADS; t++)
            pthread_join(threads[t], NULL);
        CHECK_EQ(atomic_load(&mt_errors), 0);
        CHECK_EQ(atomic_load(&mt_free_calls), 1);
        CHECK_EQ(atomic_load(&mt_bad_free_args), 0);
    }
    pthread_barrier_destroy(&mt_barrier);
}

TEST_MAIN(TEST(test_msg_t_size), TEST(test_init_empty), TEST(test_init_size),
          TEST(test_init_size_too_big), TEST(test_init_data_ffn_called_once),
          TEST(test_init_data_ffn_after_last_copy),
          TEST(test_init_data_real_free), TEST(test_init_data_constant),
          TEST(test_init_data_null), TEST(test_init_buffer),
          TEST(test_reinit_after_close), TEST(test_close_twice),
          TEST(test_null_msg), TEST(test_closed_msg), TEST(test_move),
          TEST(test_move_inline), TEST(test_move_zero_copy),
          TEST(test_move_releases_dest), TEST(test_move_into_invalid_dest),
          TEST(test_copy_large_shared), TEST(test_copy_small_copied),
          TEST(test_copy_small_zero_copy_shared), TEST(test_copy_properties),
          TEST(test_copy_long_group_outlives_original),
          TEST(test_copy_releases_dest), TEST(test_copy_over_same_body),
          TEST(test_copy_from_empty), TEST(test_get), TEST(test_set),
          TEST(test_gets_local), TEST(test_routing_id), TEST(test_group),
          TEST(test_group_errors), TEST(test_group_replace),
          TEST(test_stress_copy_close), TEST(test_threads_release_copies))
