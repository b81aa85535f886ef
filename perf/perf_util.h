/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Helpers shared by the perf/ programs: argument parsing, error exits,
 * a monotonic clock, checked sends and receives, and the result lines in
 * the format of libzmq's perf tools.  Public zmq.h API only, so every
 * program builds against this library and against a stock libzmq alike.
 *
 * Each program defines _POSIX_C_SOURCE (and ZMQ_BUILD_DRAFT_API where it
 * needs the draft API) before including this header.
 */
#ifndef PERF_UTIL_H
#define PERF_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* Every receive and send gives up after this long, so a lost peer ends a
 * run with an error instead of hanging it. */
#define PERF_TIMEOUT_MS 30000

/* Once a stream of messages is flowing, a pause this long means messages
 * were lost. */
#define PERF_STREAM_TIMEOUT_MS 10000

/* The program's name, for messages; main() sets it first thing. */
static const char *perf_prog = "perf";

/* Prints "<prog>: <message>" on stderr and exits with status 1. */
static inline void perf_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", perf_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* Exits after a failed zmq call, naming the call and zmq's error. */
static inline void perf_fail(const char *what)
{
    int err = zmq_errno();
    if (err == EAGAIN)
        perf_die("%s: timed out after %d ms", what, PERF_TIMEOUT_MS);
    perf_die("%s: %s", what, zmq_strerror(err));
}

/* Prints the usage line and exits with status 2. */
static inline void perf_usage(const char *args)
{
    fprintf(stderr, "usage: %s %s\n", perf_prog, args);
    exit(2);
}

/* Parses a decimal argument in [min, max]; exits with a message if it is
 * not one. */
static inline long perf_arg(const char *text, const char *name, long min,
                            long max)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "%s: %s must be a number from %ld to %ld, not '%s'\n",
                perf_prog, name, min, max, text);
        exit(2);
    }
    return v;
}

/* Microseconds on the monotonic clock. */
static inline double perf_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline void *perf_ctx(void)
{
    void *ctx = zmq_ctx_new();
    if (ctx == NULL)
        perf_fail("zmq_ctx_new");
    return ctx;
}

static inline void perf_setint(void *s, int option, int value, const char *name)
{
    if (zmq_setsockopt(s, option, &value, sizeof value) < 0)
        perf_fail(name);
}

/* A socket with bounded receive, send and linger times. */
static inline void *perf_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (s == NULL)
        perf_fail("zmq_socket");
    perf_setint(s, ZMQ_RCVTIMEO, PERF_TIMEOUT_MS, "zmq_setsockopt RCVTIMEO");
    perf_setint(s, ZMQ_SNDTIMEO, PERF_TIMEOUT_MS, "zmq_setsockopt SNDTIMEO");
    perf_setint(s, ZMQ_LINGER, PERF_TIMEOUT_MS, "zmq_setsockopt LINGER");
    return s;
}

static inline void perf_bind(void *s, const char *endpoint)
{
    if (zmq_bind(s, endpoint) < 0)
        perf_die("zmq_bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
}

static inline void perf_connect(void *s, const char *endpoint)
{
    if (zmq_connect(s, endpoint) < 0)
        perf_die("zmq_connect %s: %s", endpoint, zmq_strerror(zmq_errno()));
}

/* The endpoint a socket last bound, with any wildcard port resolved. */
static inline void perf_last_endpoint(void *s, char *buf, size_t size)
{
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &size) < 0)
        perf_fail("zmq_getsockopt LAST_ENDPOINT");
}

/* Sends one message of `size` bytes (contents not set, as only the size
 * matters here). */
static inline void perf_send(void *s, size_t size, int flags)
{
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, size) < 0)
        perf_fail("zmq_msg_init_size");
    if (zmq_msg_send(&m, s, flags) < 0)
        perf_fail("zmq_msg_send");
}

/* Receives one message into m (initialised) and checks its size and that
 * no more frames follow. */
static inline void perf_recv(void *s, zmq_msg_t *m, size_t size)
{
    if (zmq_msg_recv(m, s, 0) < 0)
        perf_fail("zmq_msg_recv");
    if (zmq_msg_size(m) != size)
        perf_die("received a message of %zu bytes, expected %zu",
                 zmq_msg_size(m), size);
    if (zmq_msg_more(m))
        perf_die("received a multipart message, expected single frames");
}

/* The output of libzmq's local_thr. */
static inline void perf_print_thr(long size, long count, double elapsed_us)
{
    if (elapsed_us < 1)
        elapsed_us = 1;
    double per_s = (double)count * 1e6 / elapsed_us;
    printf("message size: %ld [B]\n", size);
    printf("message count: %ld\n", count);
    printf("mean throughput: %lu [msg/s]\n", (unsigned long)per_s);
    printf("mean throughput: %.3f [Mb/s]\n", per_s * (double)size * 8.0 / 1e6);
}

/* The output of libzmq's remote_lat: one-way latency, half a round trip. */
static inline void perf_print_lat(long size, long roundtrips, double elapsed_us)
{
    printf("message size: %ld [B]\n", size);
    printf("roundtrip count: %ld\n", roundtrips);
    printf("average latency: %.3f [us]\n",
           elapsed_us / (2.0 * (double)roundtrips));
}

/* Closes a socket / terminates a context, or dies. */
static inline void perf_close(void *s)
{
    if (zmq_close(s) < 0)
        perf_fail("zmq_close");
}

static inline void perf_term(void *ctx)
{
    if (zmq_ctx_term(ctx) < 0)
        perf_fail("zmq_ctx_term");
}

/* The "peer" / "router" mode argument (NULL: the default, peer when the
 * draft API is there).  Returns 1 for router.  router_what names what the
 * router mode measures, for the error without the draft API. */
static inline int perf_router_mode(const char *arg, const char *usage,
                                   const char *router_what)
{
#ifdef ZMQ_PEER
    (void)router_what;
    int router = 0;
#else
    int router = 1;
#endif
    if (arg != NULL) {
        if (strcmp(arg, "router") == 0)
            router = 1;
        else if (strcmp(arg, "peer") == 0)
            router = 0;
        else
            perf_usage(usage);
    }
#ifndef ZMQ_PEER
    if (!router)
        perf_die("built without the draft API: no PEER socket, only the "
                 "router mode (%s)",
                 router_what);
#endif
    return router;
}

#ifdef PERF_WANT_FD_LIMIT
#include <sys/resource.h>

/* Raises the descriptor limit towards `need`; returns the new limit. */
static inline long perf_raise_fd_limit(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        perf_die("getrlimit: %s", strerror(errno));
    if (rl.rlim_cur >= (rlim_t)need)
        return (long)rl.rlim_cur;
    struct rlimit want = rl;
    want.rlim_cur = (rlim_t)need;
    if (want.rlim_max < (rlim_t)need)
        want.rlim_max = (rlim_t)need; /* allowed with CAP_SYS_RESOURCE */
    if (setrlimit(RLIMIT_NOFILE, &want) == 0)
        return need;
    want.rlim_cur = rl.rlim_max;
    want.rlim_max = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) < 0)
        perf_die("setrlimit: %s", strerror(errno));
    return (long)rl.rlim_max;
}
#endif

#endif
