/* SPDX-License-Identifier: MPL-2.0 */
/*
 * A very small test kit.  A test program is a list of test functions run
 * by TEST_MAIN; each CHECK that fails prints where and what, marks the
 * running test failed and carries on with the next CHECK.  The program
 * ends with the line "N passed, M failed" and exits non-zero if any test
 * failed.
 */
#ifndef ZMQ_TESTUTIL_H
#define ZMQ_TESTUTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

/* Compares two integer values and prints both when they differ. */
#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_) {                                                        \
            fprintf(stderr,                                                    \
                    "%s:%d: CHECK_EQ failed: %s == %s (%lld vs %lld)\n",       \
                    __FILE__, __LINE__, #a, #b, a_, b_);                       \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

/* Checks that expr returns failure value fail_value with errno err. */
#define CHECK_ERR(expr, fail_value, err)                                       \
    do {                                                                       \
        errno = 0;                                                             \
        long long r_ = (long long)(expr);                                      \
        int e_ = errno;                                                        \
        if (r_ != (long long)(fail_value) || e_ != (err)) {                    \
            fprintf(stderr,                                                    \
                    "%s:%d: CHECK_ERR failed: %s returned %lld errno %d (%s)," \
                    " wanted %lld errno %d (%s)\n",                            \
                    __FILE__, __LINE__, #expr, r_, e_, strerror(e_),           \
                    (long long)(fail_value), (err), strerror(err));            \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

/* Same for functions returning a pointer: NULL with errno err. */
#define CHECK_NULL_ERR(expr, err)                                              \
    do {                                                                       \
        errno = 0;                                                             \
        const void *p_ = (const void *)(expr);                                 \
        int e_ = errno;                                                        \
        if (p_ != NULL || e_ != (err)) {                                       \
            fprintf(stderr,                                                    \
                    "%s:%d: CHECK_NULL_ERR failed: %s returned %p errno %d,"   \
                    " wanted NULL errno %d\n",                                 \
                    __FILE__, __LINE__, #expr, p_, e_, (err));                 \
            test_failed_ = 1;                                                  \
        }                                                                      \
    } while (0)

/* Stops the running test when a precondition fails. */
#define REQUIRE(cond)                                                          \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            test_failed_ = 1;                                                  \
            return;                                                            \
        }                                                                      \
    } while (0)

struct test_case {
    const char *name;
    void (*fn)(void);
};

#define TEST(fn)                                                               \
    {                                                                          \
#fn, fn                                                                \
    }

static inline int test_run_all(const struct test_case *cases, size_t n)
{
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        test_failed_ = 0;
        cases[i].fn();
        printf("%s %s\n", test_failed_ ? "FAIL" : "ok  ", cases[i].name);
        if (test_failed_)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#define TEST_MAIN(...)                                                         \
    int main(void)                                                             \
    {                                                                          \
        static const struct test_case cases_[] = {__VA_ARGS__};                \
        return test_run_all(cases_, sizeof cases_ / sizeof cases_[0]);         \
    }

#endif
