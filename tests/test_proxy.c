/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of zmq_proxy, zmq_proxy_steerable and zmq_device.
 *
 * The proxy runs in a thread of its own, which owns the proxy's sockets
 * (made and bound by the main thread before the thread starts, then
 * closed by the proxy thread after the proxy returns).  The proxy ends
 * through the context (zmq_ctx_term or zmq_ctx_shutdown: -1 ETERM) or
 * through TERMINATE on its control socket (0).
 *
 *  - PUSH -> [PULL | PUSH] -> PULL, ended by zmq_ctx_term and by
 *    zmq_ctx_shutdown;
 *  - PAIR <-> [PAIR | PAIR] <-> PAIR, both directions at once;
 *  - multipart messages stay whole and in order; the capture socket
 *    gets every part, with its MORE flag;
 *  - high-water marks of 10 everywhere and MESSAGES messages with a
 *    slower receiver: nothing lost, duplicated or reordered;
 *  - zmq_proxy_steerable with a PAIR control socket: PAUSE holds the
 *    messages back, RESUME lets them through, STATISTICS gives eight
 *    uint64_t frames with the counts, unknown commands are ignored,
 *    TERMINATE makes it return 0;
 *  - one socket as both frontend and backend echoes messages back;
 *  - zmq_device(ZMQ_QUEUE, ...) works like zmq_proxy;
 *  - argument errors: EFAULT for NULL, ENOTSOCK for a non-socket.
 *
 * The program runs once per transport (inproc, tcp, ipc: see
 * testutil_transport.h); every socket, the control socket too, binds
 * and connects over it.  Every blocking receive has a timeout, so a lost
 * message shows as a failed check, and a watchdog names the test if the
 * program hangs.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_transport.h"

#if defined __SANITIZE_THREAD__ || defined __SANITIZE_ADDRESS__
#define SCALE 4
#elif defined __has_feature
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SCALE 4
#endif
#endif
#ifndef SCALE
#define SCALE 1
#endif

#define MESSAGES    (100000 / SCALE)
#define MULTI_EVERY 997 /* a prime, so multipart lands all over */
#define HWM         10
#define TIMEOUT_MS  10000

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

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

static void set_int(void *s, int option, int value)
{
    CHECK_EQ(zmq_setsockopt(s, option, &value, sizeof value), 0);
}

/* A socket with timeouts on both directions and no linger. */
static void *make_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    if (s != NULL) {
        set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_LINGER, 0);
    }
    return s;
}

/* The endpoints bound so far, by place name ("front", "back", ...),
 * for the sockets that connect to them. */
static struct {
    char name[32];
    char ep[256];
} places[8];

static char *place(const char *name)
{
    size_t n = sizeof places / sizeof places[0];
    for (size_t i = 0; i < n; i++)
        if (strcmp(places[i].name, name) == 0)
            return places[i].ep;
    for (size_t i = 0; i < n; i++)
        if (places[i].name[0] == '\0') {
            snprintf(places[i].name, sizeof places[i].name, "%s", name);
            return places[i].ep;
        }
    return NULL;
}

/* Binds s for the place `name`; 0 or -1. */
static int bind_place(void *s, const char *name)
{
    char *ep = place(name);
    return ep != NULL ? tt_bind(s, name, ep, sizeof places[0].ep) : -1;
}

/* Connects s to where the place `name` was bound; 0 or -1. */
static int connect_place(void *s, const char *name)
{
    char *ep = place(name);
    return ep != NULL ? zmq_connect(s, ep) : -1;
}

static void *bound(void *ctx, int type, const char *name)
{
    void *s = make_socket(ctx, type);
    if (s != NULL && bind_place(s, name) != 0) {
        zmq_close(s);
        s = NULL;
    }
    return s;
}

static void *connected(void *ctx, int type, const char *name)
{
    void *s = make_socket(ctx, type);
    if (s != NULL && connect_place(s, name) != 0) {
        zmq_close(s);
        s = NULL;
    }
    return s;
}

static void send_str(void *s, const char *str, int flags)
{
    CHECK_EQ(zmq_send(s, str, strlen(str), flags), (int)strlen(str));
}

/* Receives one part and checks its body and MORE flag. */
static void recv_str(void *s, const char *want, int want_more)
{
    char buf[256];
    int n = zmq_recv(s, buf, sizeof buf - 1, 0);
    CHECK_EQ(n, (int)strlen(want));
    if (n < 0)
        return;
    buf[n] = '\0';
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "  got \"%s\", wanted \"%s\"\n", buf, want);
        test_failed_ = 1;
    }
    int more = 0;
    size_t len = sizeof more;
    CHECK_EQ(zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len), 0);
    CHECK_EQ(more, want_more);
}

/* 1 when something can be received on s within ms milliseconds. */
static int readable_within(void *s, long ms)
{
    zmq_pollitem_t item = {.socket = s, .events = ZMQ_POLLIN};
    int rc = zmq_poll(&item, 1, ms);
    CHECK(rc >= 0);
    return rc > 0;
}

/* The proxy thread: runs one proxy call, then closes the sockets it was
 * given (it owns them from the start of the thread). */
enum proxy_kind { KIND_PROXY, KIND_STEERABLE, KIND_DEVICE };

struct proxy_run {
    enum proxy_kind kind;
    void *frontend, *backend, *capture, *control;
    pthread_t thread;
    int rc, err;
};

static void *proxy_thread(void *arg)
{
    struct proxy_run *r = arg;
    switch (r->kind) {
    case KIND_PROXY:
        r->rc = zmq_proxy(r->frontend, r->backend, r->capture);
        break;
    case KIND_STEERABLE:
        r->rc = zmq_proxy_steerable(r->frontend, r->backend, r->capture,
                                    r->control);
        break;
    case KIND_DEVICE:
        r->rc = zmq_device(ZMQ_QUEUE, r->frontend, r->backend);
        break;
    }
    r->err = errno;
    void *socks[] = {r->frontend, r->backend, r->capture, r->control};
    for (size_t i = 0; i < sizeof socks / sizeof socks[0]; i++) {
        int twice = 0;
        for (size_t j = 0; j < i; j++)
            twice |= socks[j] == socks[i];
        if (socks[i] != NULL && !twice)
            CHECK_EQ(zmq_close(socks[i]), 0);
    }
    return NULL;
}

static void proxy_start(struct proxy_run *r)
{
    REQUIRE(pthread_create(&r->thread, NULL, proxy_thread, r) == 0);
}

static void proxy_join(struct proxy_run *r, int want_rc, int want_err)
{
    pthread_join(r->thread, NULL);
    CHECK_EQ(r->rc, want_rc);
    if (want_rc != 0)
        CHECK_EQ(r->err, want_err);
}

/* ------------------------------------------------------------------------ */
/* PUSH -> [PULL | PUSH] -> PULL                                             */
/* ------------------------------------------------------------------------ */

/* Sends `count` messages through a PUSH/PULL proxy and ends it with
 * zmq_ctx_term (shutdown 0) or zmq_ctx_shutdown (shutdown 1). */
static void push_pull_round(int shutdown)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_PROXY};
    r.frontend = bound(ctx, ZMQ_PULL, "front");
    r.backend = bound(ctx, ZMQ_PUSH, "back");
    void *in = connected(ctx, ZMQ_PUSH, "front");
    void *out = connected(ctx, ZMQ_PULL, "back");
    REQUIRE(r.frontend && r.backend && in && out);
    proxy_start(&r);
    char buf[32];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof buf, "msg %d", i);
        send_str(in, buf, 0);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof buf, "msg %d", i);
        recv_str(out, buf, 0);
    }
    if (shutdown) {
        CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
        proxy_join(&r, -1, ETERM);
        CHECK_EQ(zmq_close(in), 0);
        CHECK_EQ(zmq_close(out), 0);
        CHECK_EQ(zmq_ctx_term(ctx), 0);
    } else {
        CHECK_EQ(zmq_close(in), 0);
        CHECK_EQ(zmq_close(out), 0);
        /* Returns once the proxy thread, woken with ETERM, closed its
         * sockets. */
        CHECK_EQ(zmq_ctx_term(ctx), 0);
        proxy_join(&r, -1, ETERM);
    }
}

static void test_push_pull_ctx_term(void)
{
    watchdog_arm(60, "test_push_pull_ctx_term");
    push_pull_round(0);
    watchdog_disarm();
}

static void test_push_pull_ctx_shutdown(void)
{
    watchdog_arm(60, "test_push_pull_ctx_shutdown");
    push_pull_round(1);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* PAIR <-> [PAIR | PAIR] <-> PAIR                                           */
/* ------------------------------------------------------------------------ */

#define PAIR_COUNT 5000

struct pair_end {
    void *s;
    const char *me, *peer;
    int received, failed;
};

/* Receives what the other end sent, in order: all that is waiting
 * (flags ZMQ_DONTWAIT) or exactly one message (flags 0). */
static void pair_take(struct pair_end *e, int flags)
{
    char buf[32], want[32];
    while (e->received < PAIR_COUNT && !e->failed) {
        int n = zmq_recv(e->s, buf, sizeof buf - 1, flags);
        if (n < 0) {
            e->failed = errno != EAGAIN || flags == 0;
            return;
        }
        buf[n] = '\0';
        snprintf(want, sizeof want, "%s %d", e->peer, e->received);
        if (strcmp(buf, want) != 0) {
            fprintf(stderr, "  %s got \"%s\", wanted \"%s\"\n", e->me, buf,
                    want);
            e->failed = 1;
        }
        e->received++;
        if (flags == 0)
            return;
    }
}

/* One end of the PAIR path: sends PAIR_COUNT messages, taking in what
 * the other end sent as it goes, then the rest. */
static void *pair_end_thread(void *arg)
{
    struct pair_end *e = arg;
    char buf[32];
    for (int i = 0; i < PAIR_COUNT && !e->failed; i++) {
        snprintf(buf, sizeof buf, "%s %d", e->me, i);
        if (zmq_send(e->s, buf, strlen(buf), 0) != (int)strlen(buf))
            e->failed = 1;
        pair_take(e, ZMQ_DONTWAIT);
    }
    while (e->received < PAIR_COUNT && !e->failed)
        pair_take(e, 0);
    return NULL;
}

/* Both ends send PAIR_COUNT messages at once, more than the high-water
 * marks hold, each from a thread of its own that also receives. */
static void test_pair_both_ways(void)
{
    watchdog_arm(60, "test_pair_both_ways");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_PROXY};
    r.frontend = bound(ctx, ZMQ_PAIR, "front");
    r.backend = bound(ctx, ZMQ_PAIR, "back");
    void *a = connected(ctx, ZMQ_PAIR, "front");
    void *b = connected(ctx, ZMQ_PAIR, "back");
    REQUIRE(r.frontend && r.backend && a && b);
    proxy_start(&r);

    struct pair_end ea = {.s = a, .me = "a", .peer = "b"};
    struct pair_end eb = {.s = b, .me = "b", .peer = "a"};
    pthread_t ta, tb;
    REQUIRE(pthread_create(&ta, NULL, pair_end_thread, &ea) == 0);
    REQUIRE(pthread_create(&tb, NULL, pair_end_thread, &eb) == 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(!ea.failed);
    CHECK(!eb.failed);
    CHECK_EQ(ea.received, PAIR_COUNT);
    CHECK_EQ(eb.received, PAIR_COUNT);
    CHECK_EQ(zmq_close(a), 0);
    CHECK_EQ(zmq_close(b), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    proxy_join(&r, -1, ETERM);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* Multipart and capture                                                     */
/* ------------------------------------------------------------------------ */

#define MULTI_COUNT 200

/* Message i has i % 5 + 1 parts, "i.j". */
static void test_multipart_capture(void)
{
    watchdog_arm(60, "test_multipart_capture");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_PROXY};
    r.frontend = bound(ctx, ZMQ_PULL, "front");
    r.backend = bound(ctx, ZMQ_PUSH, "back");
    r.capture = bound(ctx, ZMQ_PUSH, "capture");
    void *in = connected(ctx, ZMQ_PUSH, "front");
    void *out = connected(ctx, ZMQ_PULL, "back");
    void *cap = connected(ctx, ZMQ_PULL, "capture");
    REQUIRE(r.frontend && r.backend && r.capture && in && out && cap);
    proxy_start(&r);
    char buf[32];
    for (int i = 0; i < MULTI_COUNT; i++) {
        int parts = i % 5 + 1;
        for (int j = 0; j < parts; j++) {
            snprintf(buf, sizeof buf, "%d.%d", i, j);
            send_str(in, buf, j + 1 < parts ? ZMQ_SNDMORE : 0);
        }
    }
    /* The receiver and the capture reader alternate per message, so the
     * capture path (HWM 1000) never holds the proxy up for long. */
    for (int i = 0; i < MULTI_COUNT; i++) {
        int parts = i % 5 + 1;
        for (int j = 0; j < parts; j++) {
            snprintf(buf, sizeof buf, "%d.%d", i, j);
            recv_str(out, buf, j + 1 < parts);
        }
        for (int j = 0; j < parts; j++) {
            snprintf(buf, sizeof buf, "%d.%d", i, j);
            recv_str(cap, buf, j + 1 < parts);
        }
    }
    CHECK(!readable_within(out, 0));
    CHECK(!readable_within(cap, 0));
    CHECK_EQ(zmq_close(in), 0);
    CHECK_EQ(zmq_close(out), 0);
    CHECK_EQ(zmq_close(cap), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    proxy_join(&r, -1, ETERM);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* High-water marks                                                          */
/* ------------------------------------------------------------------------ */

struct hwm_sender {
    void *s;
    int failed;
};

/* Body: the sequence number; every MULTI_EVERY-th message has a second
 * part holding its complement. */
static void *hwm_send_thread(void *arg)
{
    struct hwm_sender *hs = arg;
    for (uint32_t i = 0; i < MESSAGES; i++) {
        int multi = i % MULTI_EVERY == 0;
        if (zmq_send(hs->s, &i, sizeof i, multi ? ZMQ_SNDMORE : 0) !=
            (int)sizeof i) {
            hs->failed = 1;
            break;
        }
        uint32_t c = ~i;
        if (multi && zmq_send(hs->s, &c, sizeof c, 0) != (int)sizeof c) {
            hs->failed = 1;
            break;
        }
    }
    return NULL;
}

/* Work the receiver does per message, so that it is the slow end. */
static uint32_t busy_work(uint32_t x)
{
    volatile uint32_t v = x;
    for (int k = 0; k < 200; k++)
        v = v * 1103515245u + 12345u;
    return v;
}

static void test_hwm_pressure(void)
{
    watchdog_arm(120, "test_hwm_pressure");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_PROXY};
    /* High-water marks are set before bind/connect. */
    r.frontend = make_socket(ctx, ZMQ_PULL);
    r.backend = make_socket(ctx, ZMQ_PUSH);
    void *in = make_socket(ctx, ZMQ_PUSH);
    void *out = make_socket(ctx, ZMQ_PULL);
    REQUIRE(r.frontend && r.backend && in && out);
    void *all[] = {r.frontend, r.backend, in, out};
    for (int i = 0; i < 4; i++) {
        set_int(all[i], ZMQ_SNDHWM, HWM);
        set_int(all[i], ZMQ_RCVHWM, HWM);
    }
    CHECK_EQ(bind_place(r.frontend, "front"), 0);
    CHECK_EQ(bind_place(r.backend, "back"), 0);
    CHECK_EQ(connect_place(in, "front"), 0);
    CHECK_EQ(connect_place(out, "back"), 0);
    proxy_start(&r);
    struct hwm_sender hs = {.s = in};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, hwm_send_thread, &hs) == 0);

    uint32_t sink = 0;
    int bad = 0;
    for (uint32_t i = 0; i < MESSAGES && !bad; i++) {
        uint32_t v;
        int n = zmq_recv(out, &v, sizeof v, 0);
        int more = 0;
        size_t len = sizeof more;
        zmq_getsockopt(out, ZMQ_RCVMORE, &more, &len);
        int multi = i % MULTI_EVERY == 0;
        if (n != (int)sizeof v || v != i || more != multi) {
            fprintf(stderr, "  message %u: n %d value %u more %d\n", i, n,
                    n == (int)sizeof v ? v : 0, more);
            bad = 1;
            break;
        }
        if (multi) {
            n = zmq_recv(out, &v, sizeof v, 0);
            zmq_getsockopt(out, ZMQ_RCVMORE, &more, &len);
            if (n != (int)sizeof v || v != ~i || more) {
                fprintf(stderr, "  message %u part 2: n %d more %d\n", i, n,
                        more);
                bad = 1;
            }
        }
        sink += busy_work(v);
    }
    (void)sink;
    CHECK(!bad);
    pthread_join(t, NULL);
    CHECK(!hs.failed);
    CHECK(!readable_within(out, 0));
    CHECK_EQ(zmq_close(in), 0);
    CHECK_EQ(zmq_close(out), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    proxy_join(&r, -1, ETERM);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* zmq_proxy_steerable                                                       */
/* ------------------------------------------------------------------------ */

/* Asks for STATISTICS and compares the eight frames with want. */
static void check_stats(void *control, const uint64_t want[8])
{
    send_str(control, "STATISTICS", 0);
    for (int i = 0; i < 8; i++) {
        uint64_t v = 0;
        CHECK_EQ(zmq_recv(control, &v, sizeof v, 0), (int)sizeof v);
        int more = 0;
        size_t len = sizeof more;
        CHECK_EQ(zmq_getsockopt(control, ZMQ_RCVMORE, &more, &len), 0);
        CHECK_EQ(more, i < 7);
        if (v != want[i]) {
            fprintf(stderr, "  statistics frame %d: %llu, wanted %llu\n", i,
                    (unsigned long long)v, (unsigned long long)want[i]);
            test_failed_ = 1;
        }
    }
}

static void test_steerable(void)
{
    watchdog_arm(60, "test_steerable");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_STEERABLE};
    r.frontend = bound(ctx, ZMQ_PULL, "front");
    r.backend = bound(ctx, ZMQ_PUSH, "back");
    r.control = bound(ctx, ZMQ_PAIR, "control");
    void *in = connected(ctx, ZMQ_PUSH, "front");
    void *out = connected(ctx, ZMQ_PULL, "back");
    void *control = connected(ctx, ZMQ_PAIR, "control");
    REQUIRE(r.frontend && r.backend && r.control && in && out && control);
    proxy_start(&r);

    /* 10 messages of 5 bytes and one of three parts (3 + 4 + 5 bytes). */
    for (int i = 0; i < 10; i++)
        send_str(in, "hello", 0);
    send_str(in, "abc", ZMQ_SNDMORE);
    send_str(in, "defg", ZMQ_SNDMORE);
    send_str(in, "hijkl", 0);
    for (int i = 0; i < 10; i++)
        recv_str(out, "hello", 0);
    recv_str(out, "abc", 1);
    recv_str(out, "defg", 1);
    recv_str(out, "hijkl", 0);
    const uint64_t after_first[8] = {11, 62, 0, 0, 0, 0, 11, 62};
    check_stats(control, after_first);

    /* PAUSE; the STATISTICS reply after it shows it was taken. */
    send_str(control, "PAUSE", 0);
    check_stats(control, after_first);
    for (int i = 0; i < 5; i++)
        send_str(in, "later", 0);
    CHECK(!readable_within(out, 200));
    check_stats(control, after_first);

    /* Unknown commands and multipart control messages change nothing
     * and get no reply (the control socket is not REP). */
    send_str(control, "BOGUS", 0);
    send_str(control, "RESUME", ZMQ_SNDMORE);
    send_str(control, "x", 0);
    check_stats(control, after_first);
    CHECK(!readable_within(out, 50));

    send_str(control, "RESUME", 0);
    for (int i = 0; i < 5; i++)
        recv_str(out, "later", 0);
    const uint64_t after_resume[8] = {16, 87, 0, 0, 0, 0, 16, 87};
    check_stats(control, after_resume);

    send_str(control, "TERMINATE", 0);
    proxy_join(&r, 0, 0);
    CHECK(!readable_within(control, 0));
    CHECK_EQ(zmq_close(in), 0);
    CHECK_EQ(zmq_close(out), 0);
    CHECK_EQ(zmq_close(control), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

/* A steerable proxy also stops with the context, and TERMINATE works
 * while paused. */
static void test_steerable_terminate_paused(void)
{
    watchdog_arm(60, "test_steerable_terminate_paused");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_STEERABLE};
    r.frontend = bound(ctx, ZMQ_PAIR, "front");
    r.backend = bound(ctx, ZMQ_PAIR, "back");
    r.control = bound(ctx, ZMQ_PAIR, "control");
    void *control = connected(ctx, ZMQ_PAIR, "control");
    REQUIRE(r.frontend && r.backend && r.control && control);
    proxy_start(&r);
    send_str(control, "PAUSE", 0);
    send_str(control, "TERMINATE", 0);
    proxy_join(&r, 0, 0);
    CHECK_EQ(zmq_close(control), 0);

    /* Again, ended by the context this time. */
    r = (struct proxy_run){.kind = KIND_STEERABLE};
    r.frontend = bound(ctx, ZMQ_PAIR, "front2");
    r.backend = bound(ctx, ZMQ_PAIR, "back2");
    r.control = bound(ctx, ZMQ_PAIR, "control2");
    control = connected(ctx, ZMQ_PAIR, "control2");
    REQUIRE(r.frontend && r.backend && r.control && control);
    proxy_start(&r);
    send_str(control, "PAUSE", 0);
    const uint64_t zero[8] = {0};
    check_stats(control, zero);
    CHECK_EQ(zmq_close(control), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    proxy_join(&r, -1, ETERM);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* One socket as frontend and backend; zmq_device                            */
/* ------------------------------------------------------------------------ */

static void test_single_socket(void)
{
    watchdog_arm(60, "test_single_socket");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_STEERABLE};
    r.frontend = r.backend = bound(ctx, ZMQ_PAIR, "echo");
    r.control = bound(ctx, ZMQ_PAIR, "control");
    void *client = connected(ctx, ZMQ_PAIR, "echo");
    void *control = connected(ctx, ZMQ_PAIR, "control");
    REQUIRE(r.frontend && r.control && client && control);
    proxy_start(&r);
    char buf[32];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof buf, "echo %d", i);
        send_str(client, buf, ZMQ_SNDMORE);
        send_str(client, "tail", 0);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof buf, "echo %d", i);
        recv_str(client, buf, 1);
        recv_str(client, "tail", 0);
    }
    /* Received by the frontend, sent by the backend: the same socket. */
    uint64_t bytes = 0;
    for (int i = 0; i < 100; i++)
        bytes += (uint64_t)snprintf(buf, sizeof buf, "echo %d", i) + 4;
    const uint64_t want[8] = {100, bytes, 0, 0, 0, 0, 100, bytes};
    check_stats(control, want);
    send_str(control, "TERMINATE", 0);
    proxy_join(&r, 0, 0);
    CHECK_EQ(zmq_close(client), 0);
    CHECK_EQ(zmq_close(control), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

static void test_device_queue(void)
{
    watchdog_arm(60, "test_device_queue");
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    struct proxy_run r = {.kind = KIND_DEVICE};
    r.frontend = bound(ctx, ZMQ_PAIR, "front");
    r.backend = bound(ctx, ZMQ_PAIR, "back");
    void *a = connected(ctx, ZMQ_PAIR, "front");
    void *b = connected(ctx, ZMQ_PAIR, "back");
    REQUIRE(r.frontend && r.backend && a && b);
    proxy_start(&r);
    send_str(a, "request", ZMQ_SNDMORE);
    send_str(a, "body", 0);
    recv_str(b, "request", 1);
    recv_str(b, "body", 0);
    send_str(b, "reply", 0);
    recv_str(a, "reply", 0);
    CHECK_EQ(zmq_ctx_shutdown(ctx), 0);
    proxy_join(&r, -1, ETERM);
    CHECK_EQ(zmq_close(a), 0);
    CHECK_EQ(zmq_close(b), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    watchdog_disarm();
}

/* ------------------------------------------------------------------------ */
/* Argument errors                                                           */
/* ------------------------------------------------------------------------ */

static void test_arguments(void)
{
    void *ctx = zmq_ctx_new();
    REQUIRE(ctx != NULL);
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    REQUIRE(s != NULL);
    /* Readable memory that is no socket. */
    static uint64_t not_socket[32];

    CHECK_ERR(zmq_proxy(NULL, s, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(s, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy(not_socket, s, NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_proxy(s, not_socket, NULL), -1, ENOTSOCK);
    CHECK_ERR(zmq_proxy(s, s, not_socket), -1, ENOTSOCK);

    CHECK_ERR(zmq_proxy_steerable(NULL, s, NULL, NULL), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(s, NULL, NULL, s), -1, EFAULT);
    CHECK_ERR(zmq_proxy_steerable(s, s, NULL, not_socket), -1, ENOTSOCK);
    CHECK_ERR(zmq_proxy_steerable(s, s, not_socket, NULL), -1, ENOTSOCK);

    CHECK_ERR(zmq_device(ZMQ_QUEUE, NULL, s), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_STREAMER, s, NULL), -1, EFAULT);
    CHECK_ERR(zmq_device(ZMQ_FORWARDER, not_socket, s), -1, ENOTSOCK);

    CHECK_EQ(zmq_close(s), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

TEST_MAIN(TEST(test_push_pull_ctx_term), TEST(test_push_pull_ctx_shutdown),
          TEST(test_pair_both_ways), TEST(test_multipart_capture),
          TEST(test_hwm_pressure), TEST(test_steerable),
          TEST(test_steerable_terminate_paused), TEST(test_single_socket),
          TEST(test_device_queue), TEST(test_arguments))
