/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of contexts: creation and termination (and the legacy
 * zmq_init / zmq_term / zmq_ctx_destroy), every context option, the
 * MAX_SOCKETS limit, zmq_ctx_shutdown, ETERM delivered to threads blocked
 * in zmq_recv and zmq_send, termination with pending connects and after
 * LINGER expiry, and bad handles.
 *
 * Calls that could hang on a bug run under a watchdog (SIGALRM) that
 * names the call and ends the program, so a hang is a precise failure
 * rather than a ctest timeout.  Threads synchronise with atomics and
 * bounded polling of conditions, never with a sleep standing in for an
 * event.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The watchdog: a call that has not returned after `seconds` is a hang. */
static const char *volatile watchdog_what;

static void watchdog_fired(int sig)
{
    (void)sig;
    static const char head[] = "WATCHDOG: hung in ";
    const char *what = watchdog_what ? watchdog_what : "?";
    size_t n = 0;
    while (what[n] != '\0')
        n++;
    ssize_t rc = write(2, head, sizeof head - 1);
    rc = write(2, what, n);
    rc = write(2, "\n", 1);
    (void)rc;
    _exit(2);
}

static void watchdog_arm(unsigned seconds, const char *what)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_fired;
    sigaction(SIGALRM, &sa, NULL);
    watchdog_what = what;
    alarm(seconds);
}

static void watchdog_disarm(void)
{
    alarm(0);
}

/* Waits up to timeout_ms for *flag to reach at least `value`. */
static int wait_flag(atomic_int *flag, int value, long timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)timeout_ms;
    while (atomic_load(flag) < value) {
        if (now_ms() >= end)
            return 0;
        pause_ms(1);
    }
    return 1;
}

/* True when *flag stays below `value` for the whole of ms. */
static int stays_below(atomic_int *flag, int value, long ms)
{
    uint64_t end = now_ms() + (uint64_t)ms;
    while (now_ms() < end) {
        if (atomic_load(flag) >= value)
            return 0;
        pause_ms(1);
    }
    return atomic_load(flag) < value;
}

static int get_int_opt(void *s, int option)
{
    int value = -12345;
    size_t len = sizeof value;
    if (zmq_getsockopt(s, option, &value, &len) != 0)
        return -12345;
    return value;
}

static int set_int_opt(void *s, int option, int value)
{
    return zmq_setsockopt(s, option, &value, sizeof value);
}

/* ------------------------------------------------------------------------ */
/* Creation and termination                                                  */
/* ------------------------------------------------------------------------ */

static void test_new_and_term(void)
{
    void *a = zmq_ctx_new();
    void *b = zmq_ctx_new();
    REQUIRE(a != NULL && b != NULL);
    CHECK(a != b);
    /* Independent: options of one do not show in the other. */
    CHECK_EQ(zmq_ctx_set(a, ZMQ_MAX_SOCKETS, 7), 0);
    CHECK_EQ(zmq_ctx_get(b, ZMQ_MAX_SOCKETS), 1023);
    CHECK_EQ(zmq_ctx_term(a), 0);
    /* A context whose sockets were all closed terminates too. */
    void *s = zmq_socket(b, ZMQ_PAIR);
    CHECK(s != NULL);
    if (s != NULL)
        CHECK_EQ(zmq_close(s), 0);
    watchdog_arm(10, "zmq_ctx_term after closing the only socket");
    CHECK_EQ(zmq_ctx_term(b), 0);
    watchdog_disarm();
}

/* A PAIR exchange over inproc in ctx; 1 when a message went each way. */
static int pair_works(void *ctx, const char *ep)
{
    void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
    int ok = a != NULL && b != NULL && zmq_bind(a, ep) == 0 &&
             zmq_connect(b, ep) == 0 && zmq_send(b, "ping", 4, 0) == 4 &&
             zmq_send(a, "pong", 4, 0) == 4;
    char buf[8];
    ok = ok && zmq_recv(a, buf, sizeof buf, 0) == 4 &&
         memcmp(buf, "ping", 4) == 0;
    ok = ok && zmq_recv(b, buf, sizeof buf, 0) == 4 &&
         memcmp(buf, "pong", 4) == 0;
    if (a != NULL)
        zmq_close(a);
    if (b != NULL)
        zmq_close(b);
    return ok;
}

static void test_legacy_init(void)
{
    CHECK_NULL_ERR(zmq_init(-1), EINVAL);
    CHECK_NULL_ERR(zmq_init(-100), EINVAL);

    /* No I/O thread: inproc needs none. */
    void *ctx = zmq_init(0);
    REQUIRE(ctx != NULL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 0);
    CHECK(pair_works(ctx, "inproc://legacy-0"));
    CHECK_EQ(zmq_term(ctx), 0);

    ctx = zmq_init(3);
    REQUIRE(ctx != NULL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 3);
    CHECK(pair_works(ctx, "inproc://legacy-3"));
    CHECK_EQ(zmq_ctx_destroy(ctx), 0);

    ctx = zmq_init(1);
    REQUIRE(ctx != NULL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 1);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

static void test_defaults(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 1);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MSG_T_SIZE), (int)sizeof(zmq_msg_t));
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_BLOCKY), 1);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IPV6), 0);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_ZERO_COPY_RECV), 1);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_SCHED_POLICY), -1);
    CHECK_EQ(ZMQ_THREAD_SCHED_POLICY_DFLT, -1);
    CHECK_EQ(ZMQ_MAX_SOCKETS_DFLT, 1023);
    CHECK_EQ(ZMQ_IO_THREADS_DFLT, 1);
    /* No prefix: read as an int it is atoi("") = 0. */
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), 0);
    /* The same values through zmq_ctx_get_ext with an int buffer. */
    int v = -1;
    size_t len = sizeof v;
    CHECK_EQ(zmq_ctx_get_ext(ctx, ZMQ_MAX_SOCKETS, &v, &len), 0);
    CHECK_EQ(v, 1023);
    CHECK_EQ(len, sizeof v);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_round_trips(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    static const struct {
        int option, value;
    } cases[] = {
        {ZMQ_IO_THREADS, 3},
        {ZMQ_IO_THREADS, 0},
        {ZMQ_IO_THREADS, 2},
        {ZMQ_MAX_SOCKETS, 1},
        {ZMQ_MAX_SOCKETS, 10},
        {ZMQ_MAX_SOCKETS, 65535},
        {ZMQ_MAX_MSGSZ, 0},
        {ZMQ_MAX_MSGSZ, 1000},
        {ZMQ_MAX_MSGSZ, INT_MAX},
        {ZMQ_IPV6, 1},
        {ZMQ_IPV6, 0},
        {ZMQ_BLOCKY, 0},
        {ZMQ_BLOCKY, 1},
        {ZMQ_ZERO_COPY_RECV, 0},
        {ZMQ_ZERO_COPY_RECV, 1},
        {ZMQ_THREAD_SCHED_POLICY, 0},
        {ZMQ_THREAD_SCHED_POLICY, 2},
        {ZMQ_THREAD_NAME_PREFIX, 42},
        {ZMQ_THREAD_NAME_PREFIX, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        errno = 0;
        int rc = zmq_ctx_set(ctx, cases[i].option, cases[i].value);
        int got = zmq_ctx_get(ctx, cases[i].option);
        if (rc != 0 || got != cases[i].value) {
            fprintf(stderr,
                    "  option %d: set %d returned %d (errno %d), read %d\n",
                    cases[i].option, cases[i].value, rc, errno, got);
            test_failed_ = 1;
        }
    }
    /* Settable, not readable as themselves: THREAD_PRIORITY shares its
     * number with SOCKET_LIMIT, which is what a read returns. */
    CHECK_EQ(ZMQ_THREAD_PRIORITY, ZMQ_SOCKET_LIMIT);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_THREAD_PRIORITY, 10), 0);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_PRIORITY), 65535);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0), 0);
    CHECK_ERR(zmq_ctx_get(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD), -1, EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE), -1, EINVAL);

    /* zmq_ctx_set_ext / zmq_ctx_get_ext with an int are the same. */
    int v = 5;
    size_t len = sizeof v;
    CHECK_EQ(zmq_ctx_set_ext(ctx, ZMQ_MAX_SOCKETS, &v, sizeof v), 0);
    v = 0;
    CHECK_EQ(zmq_ctx_get_ext(ctx, ZMQ_MAX_SOCKETS, &v, &len), 0);
    CHECK_EQ(v, 5);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 5);
    /* An int option with a length other than an int's is refused. */
    CHECK_ERR(zmq_ctx_set_ext(ctx, ZMQ_MAX_SOCKETS, &v, 2), -1, EINVAL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 5);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* libzmq stores IPV6, BLOCKY and ZERO_COPY_RECV as booleans: any value
 * >= 0 is accepted and reads back as 0 or 1. */
static void test_boolean_options_accept_any_positive(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    const int options[] = {ZMQ_IPV6, ZMQ_BLOCKY, ZMQ_ZERO_COPY_RECV};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        CHECK_EQ(zmq_ctx_set(ctx, options[i], 0), 0);
        CHECK_EQ(zmq_ctx_set(ctx, options[i], 2), 0);
        CHECK_EQ(zmq_ctx_get(ctx, options[i]), 1);
        CHECK_EQ(zmq_ctx_set(ctx, options[i], 0), 0);
        CHECK_EQ(zmq_ctx_set(ctx, options[i], 1000), 0);
        CHECK_EQ(zmq_ctx_get(ctx, options[i]), 1);
    }
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_invalid_values(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    static const int options[] = {
        ZMQ_IO_THREADS,
        ZMQ_MAX_SOCKETS,
        ZMQ_THREAD_PRIORITY,
        ZMQ_THREAD_SCHED_POLICY,
        ZMQ_MAX_MSGSZ,
        ZMQ_THREAD_AFFINITY_CPU_ADD,
        ZMQ_THREAD_AFFINITY_CPU_REMOVE,
        ZMQ_IPV6,
        ZMQ_BLOCKY,
        ZMQ_ZERO_COPY_RECV,
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        int before = zmq_ctx_get(ctx, options[i]);
        int failed_before = test_failed_;
        test_failed_ = 0;
        CHECK_ERR(zmq_ctx_set(ctx, options[i], -1), -1, EINVAL);
        CHECK_ERR(zmq_ctx_set(ctx, options[i], INT_MIN), -1, EINVAL);
        CHECK_EQ(zmq_ctx_get(ctx, options[i]), before); /* unchanged */
        if (test_failed_)
            fprintf(stderr, "  (the failures above are option %d's)\n",
                    options[i]);
        test_failed_ |= failed_before;
    }
    /* MAX_SOCKETS needs at least one socket. */
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 0), -1, EINVAL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 1023);

    /* Unknown options, and MSG_T_SIZE / SOCKET_LIMIT-only numbers that
     * cannot be written as such. */
    CHECK_ERR(zmq_ctx_set(ctx, 0, 1), -1, EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, 11, 1), -1, EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, 9999, 1), -1, EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, -1, 1), -1, EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_MSG_T_SIZE, 128), -1, EINVAL);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_ERR(zmq_ctx_get(ctx, 0), -1, EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, 11), -1, EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, 9999), -1, EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, -1), -1, EINVAL);
    int v = 0;
    size_t len = sizeof v;
    CHECK_ERR(zmq_ctx_get_ext(ctx, 9999, &v, &len), -1, EINVAL);
    CHECK_ERR(zmq_ctx_set_ext(ctx, 9999, &v, sizeof v), -1, EINVAL);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* libzmq keeps the affinity as a set of CPUs: removing one that is not
 * in it fails with EINVAL. */
static void test_affinity_remove(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 7), -1, EINVAL);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0), 0);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), 0);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), -1, EINVAL);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* With epoll MAX_SOCKETS has no upper clip (libzmq clips only to the
 * select backend's descriptor limit). */
static void test_max_sockets_above_socket_limit(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 100000), 0);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS), 100000);
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(s != NULL);
    if (s != NULL)
        CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* IO_THREADS set after the threads started is accepted and reads back
 * (libzmq stores it; it takes effect in no running context). */
static void test_io_threads_after_start(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(s != NULL);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2), 0);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_IO_THREADS), 2);
    /* The context still works. */
    CHECK(pair_works(ctx, "inproc://io-after-start"));
    if (s != NULL)
        CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* How many of this process's threads have a name starting with prefix. */
static int threads_named(const char *prefix)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], name[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(name, sizeof name, f) != NULL &&
            strncmp(name, prefix, strlen(prefix)) == 0)
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

static void test_thread_name_prefix(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);

    /* A string (of any length but an int's, up to 16 bytes). */
    CHECK_EQ(zmq_ctx_set_ext(ctx, ZMQ_THREAD_NAME_PREFIX, "pfx", 3), 0);
    char buf[32];
    memset(buf, 0, sizeof buf);
    size_t len = sizeof buf;
    CHECK_EQ(zmq_ctx_get_ext(ctx, ZMQ_THREAD_NAME_PREFIX, buf, &len), 0);
    CHECK(strcmp(buf, "pfx") == 0);
    /* Read as an int it is atoi of the string. */
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), 0);

    /* The background threads carry it ("pfx/ZMQbg/..."). */
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(s != NULL);
    CHECK(threads_named("pfx/ZMQbg/") >= 2); /* reaper + 1 I/O thread */
    if (s != NULL)
        CHECK_EQ(zmq_close(s), 0);

    /* Longest accepted: 16 bytes; one more is refused, value kept. */
    CHECK_EQ(
        zmq_ctx_set_ext(ctx, ZMQ_THREAD_NAME_PREFIX, "abcdefghijklmnop", 16),
        0);
    CHECK_ERR(
        zmq_ctx_set_ext(ctx, ZMQ_THREAD_NAME_PREFIX, "abcdefghijklmnopq", 17),
        -1, EINVAL);
    CHECK_ERR(zmq_ctx_set_ext(ctx, ZMQ_THREAD_NAME_PREFIX, NULL, 5), -1,
              EINVAL);

    /* An int prefix reads back as a string too. */
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, 77), 0);
    CHECK_EQ(zmq_ctx_get(ctx, ZMQ_THREAD_NAME_PREFIX), 77);
    memset(buf, 0, sizeof buf);
    len = sizeof buf;
    CHECK_EQ(zmq_ctx_get_ext(ctx, ZMQ_THREAD_NAME_PREFIX, buf, &len), 0);
    CHECK(strcmp(buf, "77") == 0);

    /* Bad buffers. */
    CHECK_ERR(zmq_ctx_get_ext(ctx, ZMQ_THREAD_NAME_PREFIX, NULL, &len), -1,
              EINVAL);
    CHECK_ERR(zmq_ctx_get_ext(ctx, ZMQ_THREAD_NAME_PREFIX, buf, NULL), -1,
              EINVAL);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_blocky(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *before = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(before != NULL);
    CHECK_EQ(get_int_opt(before, ZMQ_LINGER), -1);

    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_BLOCKY, 0), 0);
    void *after = zmq_socket(ctx, ZMQ_PUSH);
    void *pair = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(after != NULL && pair != NULL);
    if (after != NULL)
        CHECK_EQ(get_int_opt(after, ZMQ_LINGER), 0);
    if (pair != NULL)
        CHECK_EQ(get_int_opt(pair, ZMQ_LINGER), 0);
    /* Sockets made earlier keep theirs. */
    CHECK_EQ(get_int_opt(before, ZMQ_LINGER), -1);

    /* Back to blocky: new sockets linger for ever again. */
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_BLOCKY, 1), 0);
    void *again = zmq_socket(ctx, ZMQ_PULL);
    CHECK(again != NULL);
    if (again != NULL) {
        CHECK_EQ(get_int_opt(again, ZMQ_LINGER), -1);
        zmq_close(again);
    }
    zmq_close(before);
    if (after != NULL)
        zmq_close(after);
    if (pair != NULL)
        zmq_close(pair);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* Sockets of a context                                                      */
/* ------------------------------------------------------------------------ */

static void test_socket_types(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    CHECK_NULL_ERR(zmq_socket(ctx, -1), EINVAL);
    CHECK_NULL_ERR(zmq_socket(ctx, 21), EINVAL);
    CHECK_NULL_ERR(zmq_socket(ctx, 1000), EINVAL);
    CHECK_NULL_ERR(zmq_socket(ctx, INT_MIN), EINVAL);
    const int types[] = {ZMQ_PAIR, ZMQ_PUSH, ZMQ_PULL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = zmq_socket(ctx, types[i]);
        CHECK(s != NULL);
        if (s == NULL)
            continue;
        CHECK_EQ(get_int_opt(s, ZMQ_TYPE), types[i]);
        CHECK_EQ(zmq_close(s), 0);
    }
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

static void test_max_sockets(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    CHECK_EQ(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 3), 0);
    void *s[3];
    for (int i = 0; i < 3; i++) {
        s[i] = zmq_socket(ctx, ZMQ_PAIR);
        CHECK(s[i] != NULL);
    }
    CHECK_NULL_ERR(zmq_socket(ctx, ZMQ_PAIR), EMFILE);
    CHECK_NULL_ERR(zmq_socket(ctx, ZMQ_PUSH), EMFILE);
    REQUIRE(s[1] != NULL);
    CHECK_EQ(zmq_close(s[1]), 0);

    /* The slot comes back once the socket is gone (libzmq frees it when
     * the reaper has finished the socket, so allow a moment). */
    void *again = NULL;
    uint64_t end = now_ms() + 5000;
    while ((again = zmq_socket(ctx, ZMQ_PAIR)) == NULL && errno == EMFILE &&
           now_ms() < end)
        pause_ms(1);
    CHECK(again != NULL);
    CHECK_NULL_ERR(zmq_socket(ctx, ZMQ_PAIR), EMFILE);
    if (again != NULL)
        zmq_close(again);
    if (s[0] != NULL)
        zmq_close(s[0]);
    if (s[2] != NULL)
        zmq_close(s[2]);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* ------------------------------------------------------------------------ */
/* Shutdown and termination                                                  */
/* ------------------------------------------------------------------------ */

static void test_shutdown(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    void *peer = zmq_socket(ctx, ZMQ_PAIR);
    /* One socket per operation that must notice the shutdown as its
     * very first call after it. */
    void *first[4];
    for (int i = 0; i < 4; i++)
        first[i] = zmq_socket(ctx, ZMQ_PULL);
    REQUIRE(s != NULL && peer != NULL && first[0] != NULL && first[1] != NULL &&
            first[2] != NULL && first[3] != NULL);
    CHECK_EQ(zmq_bind(s, "inproc://shutdown"), 0);
    CHECK_EQ(zmq_connect(peer, "inproc://shutdown"), 0);
    CHECK_EQ(zmq_bind(first[2], "inproc://shutdown-unbind"), 0);
    CHECK_EQ(zmq_connect(first[3], "inproc://shutdown"), 0);

    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    CHECK_NULL_ERR(zmq_socket(ctx, ZMQ_PAIR), ETERM);
    CHECK_NULL_ERR(zmq_socket(ctx, ZMQ_PUSH), ETERM);

    CHECK_ERR(zmq_bind(first[0], "inproc://shutdown-2"), -1, ETERM);
    CHECK_ERR(zmq_connect(first[1], "inproc://shutdown-3"), -1, ETERM);
    CHECK_ERR(zmq_unbind(first[2], "inproc://shutdown-unbind"), -1, ETERM);
    CHECK_ERR(zmq_disconnect(first[3], "inproc://shutdown"), -1, ETERM);

    /* Every operation of an existing socket now fails with ETERM.  A
     * send or receive comes first: libzmq marks the socket terminated
     * when it takes the context's stop command, which the option calls
     * do not look for. */
    char buf[8];
    CHECK_ERR(zmq_recv(s, buf, sizeof buf, ZMQ_DONTWAIT), -1, ETERM);
    CHECK_ERR(zmq_recv(s, buf, sizeof buf, 0), -1, ETERM); /* no block */
    CHECK_ERR(zmq_send(s, "x", 1, 0), -1, ETERM);
    CHECK_ERR(zmq_send(s, "x", 1, ZMQ_DONTWAIT), -1, ETERM);
    CHECK_ERR(zmq_send_const(s, "x", 1, 0), -1, ETERM);
    CHECK_ERR(zmq_send(peer, "x", 1, 0), -1, ETERM);
    zmq_msg_t msg;
    REQUIRE(zmq_msg_init_buffer(&msg, "abc", 3) == 0);
    CHECK_ERR(zmq_msg_send(&msg, s, 0), -1, ETERM);
    CHECK_EQ(zmq_msg_size(&msg), 3); /* still the caller's */
    CHECK_ERR(zmq_msg_recv(&msg, s, 0), -1, ETERM);
    CHECK_EQ(zmq_msg_close(&msg), 0);
    CHECK_ERR(zmq_bind(s, "inproc://shutdown-4"), -1, ETERM);
    CHECK_ERR(zmq_connect(s, "inproc://shutdown-5"), -1, ETERM);
    CHECK_ERR(zmq_unbind(s, "inproc://shutdown"), -1, ETERM);
    CHECK_ERR(zmq_disconnect(peer, "inproc://shutdown"), -1, ETERM);
    CHECK_ERR(set_int_opt(s, ZMQ_LINGER, 0), -1, ETERM);
    int v;
    size_t len = sizeof v;
    CHECK_ERR(zmq_getsockopt(s, ZMQ_LINGER, &v, &len), -1, ETERM);

    /* Idempotent; closing still works; then term returns. */
    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_close(peer), 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(zmq_close(first[i]), 0);
    watchdog_arm(10, "zmq_ctx_term after zmq_ctx_shutdown");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

/* A thread that blocks in one call and then closes its sockets. */
struct blocker {
    void *sock, *extra; /* extra: closed too (may be NULL) */
    int send;           /* 1: zmq_send, 0: zmq_recv */
    atomic_int state;   /* 1: about to block, 2: returned and closed */
    int rc, err;
};

static void *blocker_main(void *arg)
{
    struct blocker *b = arg;
    char buf[16] = "blocked";
    atomic_store(&b->state, 1);
    if (b->send)
        b->rc = zmq_send(b->sock, buf, 7, 0);
    else
        b->rc = zmq_recv(b->sock, buf, sizeof buf, 0);
    b->err = errno;
    zmq_close(b->sock);
    if (b->extra != NULL)
        zmq_close(b->extra);
    atomic_store(&b->state, 2);
    return NULL;
}

/* Starts b's thread, waits until it is about to block, and checks that
 * the call really blocks (it has nothing to return for 100 ms). */
static int start_blocker(pthread_t *t, struct blocker *b)
{
    atomic_init(&b->state, 0);
    if (pthread_create(t, NULL, blocker_main, b) != 0)
        return 0;
    CHECK(wait_flag(&b->state, 1, 5000));
    CHECK(stays_below(&b->state, 2, 100));
    return 1;
}

/* A PUSH connected to a PULL with a full pipe (both HWMs 1). */
static int full_push(void *ctx, const char *ep, void **push, void **pull)
{
    *push = zmq_socket(ctx, ZMQ_PUSH);
    *pull = zmq_socket(ctx, ZMQ_PULL);
    if (*push == NULL || *pull == NULL)
        return 0;
    if (set_int_opt(*push, ZMQ_SNDHWM, 1) != 0 ||
        set_int_opt(*pull, ZMQ_RCVHWM, 1) != 0 || zmq_bind(*pull, ep) != 0 ||
        zmq_connect(*push, ep) != 0)
        return 0;
    int sent = 0;
    while (sent < 1000 && zmq_send(*push, "fill", 4, ZMQ_DONTWAIT) == 4)
        sent++;
    CHECK(errno == EAGAIN);
    CHECK(sent >= 1 && sent < 1000);
    return errno == EAGAIN;
}

static void test_term_unblocks_recv(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct blocker b = {0};
    b.sock = zmq_socket(ctx, ZMQ_PULL);
    REQUIRE(b.sock != NULL);
    CHECK_EQ(zmq_bind(b.sock, "inproc://term-recv"), 0);
    pthread_t t;
    REQUIRE(start_blocker(&t, &b));

    watchdog_arm(10, "zmq_ctx_term with a thread blocked in zmq_recv");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
    pthread_join(t, NULL);
    CHECK_EQ(b.rc, -1);
    CHECK_EQ(b.err, ETERM);
}

static void test_term_unblocks_send(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct blocker b = {0};
    b.send = 1;
    REQUIRE(full_push(ctx, "inproc://term-send", &b.sock, &b.extra));
    pthread_t t;
    REQUIRE(start_blocker(&t, &b));

    watchdog_arm(10, "zmq_ctx_term with a thread blocked in zmq_send");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
    pthread_join(t, NULL);
    CHECK_EQ(b.rc, -1);
    CHECK_EQ(b.err, ETERM);
}

/* zmq_ctx_shutdown alone wakes the blocked calls; term comes after. */
static void test_shutdown_unblocks(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct blocker r = {0}, w = {0};
    r.sock = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(r.sock != NULL);
    CHECK_EQ(zmq_bind(r.sock, "inproc://shutdown-recv"), 0);
    /* A timed wait this time: it ends with ETERM, not EAGAIN. */
    int timeout = 20000;
    CHECK_EQ(zmq_setsockopt(r.sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    w.send = 1;
    REQUIRE(full_push(ctx, "inproc://shutdown-send", &w.sock, &w.extra));
    CHECK_EQ(zmq_setsockopt(w.sock, ZMQ_SNDTIMEO, &timeout, sizeof timeout), 0);
    pthread_t tr, tw;
    REQUIRE(start_blocker(&tr, &r));
    if (!start_blocker(&tw, &w)) {
        zmq_ctx_shutdown(ctx);
        pthread_join(tr, NULL);
        REQUIRE(0);
    }

    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    CHECK(wait_flag(&r.state, 2, 5000));
    CHECK(wait_flag(&w.state, 2, 5000));
    watchdog_arm(10, "joining threads woken by zmq_ctx_shutdown");
    pthread_join(tr, NULL);
    pthread_join(tw, NULL);
    watchdog_disarm();
    CHECK_EQ(r.rc, -1);
    CHECK_EQ(r.err, ETERM);
    CHECK_EQ(w.rc, -1);
    CHECK_EQ(w.err, ETERM);
    watchdog_arm(10, "zmq_ctx_term after zmq_ctx_shutdown woke the threads");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

/* A connect to a name nobody ever binds, with messages queued in it and
 * LINGER -1: nothing can ever take them, and term must not wait. */
static void test_term_with_never_bound_connect(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    void *pair = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(push != NULL && pair != NULL);
    CHECK_EQ(get_int_opt(push, ZMQ_LINGER), -1);
    CHECK_EQ(zmq_connect(push, "inproc://never-bound"), 0);
    CHECK_EQ(zmq_connect(pair, "inproc://never-bound-pair"), 0);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(zmq_send(push, "queued", 6, ZMQ_DONTWAIT), 6);
        CHECK_EQ(zmq_send(pair, "queued", 6, ZMQ_DONTWAIT), 6);
    }
    CHECK_EQ(zmq_close(push), 0);
    CHECK_EQ(zmq_close(pair), 0);
    watchdog_arm(10, "zmq_ctx_term with a never-bound inproc connect");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

struct closer {
    void *sock;
    uint64_t not_before; /* now_ms() value */
    atomic_int closed;
};

static void *closer_main(void *arg)
{
    struct closer *c = arg;
    while (now_ms() < c->not_before)
        pause_ms(5);
    atomic_store(&c->closed, 1);
    zmq_close(c->sock);
    return NULL;
}

/* A PUSH with LINGER 100 whose messages the bound PULL never reads: its
 * close returns at once, and term returns once the PULL is closed too,
 * here well after the linger ran out. */
static void test_term_after_linger_expiry(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(pull != NULL && push != NULL);
    CHECK_EQ(set_int_opt(push, ZMQ_LINGER, 100), 0);
    CHECK_EQ(set_int_opt(push, ZMQ_SNDHWM, 5), 0);
    CHECK_EQ(set_int_opt(pull, ZMQ_RCVHWM, 5), 0);
    CHECK_EQ(zmq_bind(pull, "inproc://linger-expiry"), 0);
    CHECK_EQ(zmq_connect(push, "inproc://linger-expiry"), 0);
    int sent = 0;
    while (sent < 1000 && zmq_send(push, "unread", 6, ZMQ_DONTWAIT) == 6)
        sent++;
    CHECK_EQ(sent, 10);

    uint64_t t0 = now_ms();
    CHECK_EQ(zmq_close(push), 0);
    CHECK(now_ms() - t0 < 1000); /* close does not linger */

    /* The PULL is closed by another thread 400 ms from now, while term
     * waits for it. */
    struct closer c = {.sock = pull, .not_before = t0 + 400};
    atomic_init(&c.closed, 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, closer_main, &c) == 0);
    watchdog_arm(10, "zmq_ctx_term after LINGER expiry");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
    /* It could not end before the last socket was closed. */
    CHECK_EQ(atomic_load(&c.closed), 1);
    CHECK(now_ms() - t0 >= 400);
    pthread_join(t, NULL);
}

/* The same with the PULL closed right away, while the linger runs. */
static void test_term_during_linger(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    REQUIRE(pull != NULL && push != NULL);
    CHECK_EQ(set_int_opt(push, ZMQ_LINGER, 100), 0);
    CHECK_EQ(zmq_bind(pull, "inproc://linger-running"), 0);
    CHECK_EQ(zmq_connect(push, "inproc://linger-running"), 0);
    for (int i = 0; i < 100; i++)
        CHECK_EQ(zmq_send(push, "unread", 6, ZMQ_DONTWAIT), 6);
    CHECK_EQ(zmq_close(push), 0);
    CHECK_EQ(zmq_close(pull), 0);
    uint64_t t0 = now_ms();
    watchdog_arm(10, "zmq_ctx_term while a LINGER 100 runs");
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
    CHECK(now_ms() - t0 < 5000);
}

/* ------------------------------------------------------------------------ */
/* Bad handles                                                               */
/* ------------------------------------------------------------------------ */

static void test_bad_handles(void)
{
    int v = 1;
    size_t len = sizeof v;
    char name[] = "name";
    CHECK_ERR(zmq_ctx_term(NULL), -1, EFAULT);
    CHECK_ERR(zmq_term(NULL), -1, EFAULT);
    CHECK_ERR(zmq_ctx_destroy(NULL), -1, EFAULT);
    CHECK_ERR(zmq_ctx_shutdown(NULL), -1, EFAULT);
    CHECK_ERR(zmq_ctx_set(NULL, ZMQ_IO_THREADS, 1), -1, EFAULT);
    CHECK_ERR(zmq_ctx_set(NULL, 9999, -1), -1, EFAULT); /* handle first */
    CHECK_ERR(zmq_ctx_get(NULL, ZMQ_IO_THREADS), -1, EFAULT);
    CHECK_ERR(zmq_ctx_get(NULL, 9999), -1, EFAULT);
    CHECK_ERR(zmq_ctx_set_ext(NULL, ZMQ_THREAD_NAME_PREFIX, name, 4), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_set_ext(NULL, ZMQ_THREAD_NAME_PREFIX, NULL, 4), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_get_ext(NULL, ZMQ_THREAD_NAME_PREFIX, name, &len), -1,
              EFAULT);
    CHECK_ERR(zmq_ctx_get_ext(NULL, ZMQ_THREAD_NAME_PREFIX, NULL, NULL), -1,
              EFAULT);
    CHECK_NULL_ERR(zmq_socket(NULL, ZMQ_PAIR), EFAULT);
    CHECK_NULL_ERR(zmq_socket(NULL, -1), EFAULT);

    /* A socket is no context, and a context no socket. */
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(s != NULL);
    CHECK_ERR(zmq_ctx_get(s, ZMQ_IO_THREADS), -1, EFAULT);
    CHECK_ERR(zmq_ctx_set(s, ZMQ_IO_THREADS, 1), -1, EFAULT);
    CHECK_ERR(zmq_ctx_shutdown(s), -1, EFAULT);
    CHECK_ERR(zmq_ctx_term(s), -1, EFAULT);
    CHECK_NULL_ERR(zmq_socket(s, ZMQ_PAIR), EFAULT);
    CHECK_ERR(zmq_close(ctx), -1, ENOTSOCK);
    CHECK_ERR(zmq_send(ctx, "x", 1, 0), -1, ENOTSOCK);
    CHECK_ERR(zmq_setsockopt(ctx, ZMQ_LINGER, &v, sizeof v), -1, ENOTSOCK);
    CHECK_EQ(zmq_close(s), 0);

    /* Bad arguments after a good handle. */
    CHECK_ERR(zmq_ctx_set_ext(ctx, ZMQ_THREAD_NAME_PREFIX, NULL, 4), -1,
              EINVAL);
    CHECK_ERR(zmq_ctx_get_ext(ctx, ZMQ_IO_THREADS, NULL, &len), -1, EINVAL);
    CHECK_ERR(zmq_ctx_get_ext(ctx, ZMQ_IO_THREADS, &v, NULL), -1, EINVAL);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_new_and_term), TEST(test_legacy_init), TEST(test_defaults),
          TEST(test_round_trips),
          TEST(test_boolean_options_accept_any_positive),
          TEST(test_invalid_values), TEST(test_affinity_remove),
          TEST(test_max_sockets_above_socket_limit),
          TEST(test_io_threads_after_start), TEST(test_thread_name_prefix),
          TEST(test_blocky), TEST(test_socket_types), TEST(test_max_sockets),
          TEST(test_shutdown), TEST(test_term_unblocks_recv),
          TEST(test_term_unblocks_send), TEST(test_shutdown_unblocks),
          TEST(test_term_with_never_bound_connect),
          TEST(test_term_after_linger_expiry), TEST(test_term_during_linger),
          TEST(test_bad_handles))
