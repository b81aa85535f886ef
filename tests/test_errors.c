/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of zmq_version, zmq_errno, zmq_strerror, the library's
 * own error codes and zmq_has.
 */
#include <limits.h>
#include <pthread.h>

#include <zmq.h>

#include "testutil.h"

static int str_is(const char *got, const char *want)
{
    return got != NULL && strcmp(got, want) == 0;
}

/* ------------------------------------------------------------------------ */
/* zmq_version                                                               */
/* ------------------------------------------------------------------------ */

static void test_version(void)
{
    int major = -1, minor = -1, patch = -1;
    zmq_version(&major, &minor, &patch);
    CHECK_EQ(major, 4);
    CHECK_EQ(minor, 3);
    CHECK_EQ(patch, 5);
    CHECK_EQ(major, ZMQ_VERSION_MAJOR);
    CHECK_EQ(minor, ZMQ_VERSION_MINOR);
    CHECK_EQ(patch, ZMQ_VERSION_PATCH);
    CHECK_EQ(ZMQ_VERSION, 40305);
    CHECK_EQ(ZMQ_MAKE_VERSION(major, minor, patch), ZMQ_VERSION);
}

static void test_version_null_pointers(void)
{
    /* Every combination of NULL and non-NULL: the given ones are set. */
    for (int mask = 0; mask < 8; mask++) {
        int major = -1, minor = -1, patch = -1;
        zmq_version((mask & 1) ? &major : NULL, (mask & 2) ? &minor : NULL,
                    (mask & 4) ? &patch : NULL);
        CHECK_EQ(major, (mask & 1) ? ZMQ_VERSION_MAJOR : -1);
        CHECK_EQ(minor, (mask & 2) ? ZMQ_VERSION_MINOR : -1);
        CHECK_EQ(patch, (mask & 4) ? ZMQ_VERSION_PATCH : -1);
    }
}

/* ------------------------------------------------------------------------ */
/* zmq_errno                                                                 */
/* ------------------------------------------------------------------------ */

static void test_errno(void)
{
    const int values[] = {0,        EINVAL, EAGAIN, EFAULT,   ENOTSUP,
                          ENOTSOCK, EFSM,   ETERM,  EMTHREAD, ENOCOMPATPROTO};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        errno = values[i];
        CHECK_EQ(zmq_errno(), values[i]);
    }
    /* Set by a failing library call. */
    CHECK_EQ(zmq_msg_init(NULL), -1);
    CHECK_EQ(zmq_errno(), EFAULT);
}

static void *errno_thread(void *arg)
{
    int *seen = arg;
    errno = ETERM;
    *seen = zmq_errno();
    return NULL;
}

static void test_errno_per_thread(void)
{
    int seen = 0;
    errno = EINVAL;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, errno_thread, &seen) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK_EQ(seen, ETERM);
    /* The other thread's errno is not this one's. */
    CHECK_EQ(zmq_errno(), EINVAL);
}

/* ------------------------------------------------------------------------ */
/* Error codes and zmq_strerror                                              */
/* ------------------------------------------------------------------------ */

static void test_own_codes(void)
{
    CHECK_EQ(ZMQ_HAUSNUMERO, 156384712);
    CHECK_EQ(EFSM, 156384763);
    CHECK_EQ(ENOCOMPATPROTO, 156384764);
    CHECK_EQ(ETERM, 156384765);
    CHECK_EQ(EMTHREAD, 156384766);
}

static void test_strerror_own_texts(void)
{
    CHECK(str_is(zmq_strerror(EFSM),
                 "Operation cannot be accomplished in current state"));
    CHECK(str_is(zmq_strerror(ENOCOMPATPROTO),
                 "The protocol is not compatible with the socket type"));
    CHECK(str_is(zmq_strerror(ETERM), "Context was terminated"));
    CHECK(str_is(zmq_strerror(EMTHREAD), "No thread available"));
    CHECK(str_is(zmq_strerror(EHOSTUNREACH), "Host unreachable"));
    /* By value as well as by name. */
    CHECK(str_is(zmq_strerror(156384765), "Context was terminated"));
}

static void test_strerror_system_texts(void)
{
    const int codes[] = {EINVAL,       EFAULT,   EAGAIN,          ENOMEM,
                         ENOTSUP,      ENOTSOCK, EPROTONOSUPPORT, EADDRINUSE,
                         ECONNREFUSED, EINTR};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        /* strerror's buffer may be reused: copy it first. */
        char want[256];
        snprintf(want, sizeof want, "%s", strerror(codes[i]));
        const char *got = zmq_strerror(codes[i]);
        CHECK(got != NULL);
        if (got != NULL && strcmp(got, want) != 0) {
            fprintf(stderr, "zmq_strerror(%d) = \"%s\", strerror = \"%s\"\n",
                    codes[i], got, want);
            CHECK(0);
        }
    }
}

static void test_strerror_unknown(void)
{
    const int codes[] = {123456789,    -1,      0,
                         INT_MAX,      INT_MIN, ZMQ_HAUSNUMERO,
                         EMTHREAD + 1, EFSM - 1};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *got = zmq_strerror(codes[i]);
        CHECK(got != NULL);
        if (got != NULL)
            CHECK(strlen(got) < 1024); /* a terminated string */
    }
    /* Codes next to the library's own are not given their texts. */
    CHECK(!str_is(zmq_strerror(EFSM - 1),
                  "Operation cannot be accomplished in current state"));
    CHECK(!str_is(zmq_strerror(EMTHREAD + 1), "No thread available"));
}

static void *strerror_thread(void *arg)
{
    const char **out = arg;
    *out = zmq_strerror(222222222);
    return NULL;
}

static void test_strerror_thread_safe(void)
{
    /* Another thread's call does not change the text this thread got. */
    const char *mine = zmq_strerror(111111111);
    REQUIRE(mine != NULL);
    char saved[256];
    snprintf(saved, sizeof saved, "%s", mine);
    const char *theirs = NULL;
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, strerror_thread, &theirs) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK(theirs != NULL);
    CHECK(str_is(mine, saved));
}

/* ------------------------------------------------------------------------ */
/* zmq_has                                                                   */
/* ------------------------------------------------------------------------ */

/* What this build reports.  "curve", "WS" and "WSS" report 0 today
 * and flip to 1 in the issues that build the CURVE
 * mechanism and the ws/wss transports: update their lines here then. */
static const struct {
    const char *name;
    int expected;
} capabilities[] = {
    {"draft", 1},
    {"ipc", 1},   /* the ipc:// transport is built */
    {"curve", 0}, /* 1 once the CURVE mechanism is built */
    {"WS", 0},    /* 1 once the ws:// transport is built */
    {"WSS", 0},   /* 1 once the wss:// transport is built */
    {"pgm", 0},
    {"tipc", 0},
    {"norm", 0},
    {"gssapi", 0},
    {"vmci", 0},
    {"vsock", 0},
    /* Names are case-sensitive; lower-case "ws" is not a capability. */
    {"ws", 0},
    {"wss", 0},
    {"DRAFT", 0},
    {"Draft", 0},
    {"IPC", 0},
    /* Not capabilities at all. */
    {"", 0},
    {"tcp", 0},
    {"inproc", 0},
    {"udp", 0},
    {"draft ", 0},
    {"drafts", 0},
};

static void test_has(void)
{
    for (size_t i = 0; i < sizeof capabilities / sizeof capabilities[0]; i++) {
        int got = zmq_has(capabilities[i].name);
        if (got != capabilities[i].expected) {
            fprintf(stderr, "zmq_has(\"%s\") = %d, expected %d\n",
                    capabilities[i].name, got, capabilities[i].expected);
            CHECK(0);
        }
    }
    CHECK_EQ(zmq_has(NULL), 0);
}

TEST_MAIN(TEST(test_version), TEST(test_version_null_pointers),
          TEST(test_errno), TEST(test_errno_per_thread), TEST(test_own_codes),
          TEST(test_strerror_own_texts), TEST(test_strerror_system_texts),
          TEST(test_strerror_unknown), TEST(test_strerror_thread_safe),
          TEST(test_has))
