/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of the poller contract (poll/poller.h), run against
 * whichever backend the build picked (ZMQ_POLLER: epoll or poll).
 *
 * Readiness comes from eventfds (readable once written, always
 * writable), pipes and socketpairs, made ready before the wait, so no
 * test depends on timing except the ones about time itself; those check
 * lower bounds on the monotonic clock and only generous upper bounds.
 * Removal during dispatch is exercised so that a callback after removal
 * fails a CHECK and a use-after-free fails under AddressSanitizer.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "platform.h"
#include "poll/poller.h"
#include "testutil.h"

/* A wait bound that no passing run comes near: only a hang trips it. */
#define GENEROUS_US 5000000u

/* Timers count whole milliseconds of the monotonic clock, so a timer of
 * n ms may fire up to 1 ms less than n ms after a finer-grained reading
 * taken just before it was added. */
#define TIMER_MIN_US(ms) ((uint64_t)(ms)*1000u - 1000u)

/* ------------------------------------------------------------------------ */
/* Probes: a registered fd that counts its callbacks                        */
/* ------------------------------------------------------------------------ */

struct probe {
    struct zmq__poller *p;
    struct zmq__poller_entry *e; /* NULL once removed */
    int fd;
    int in_calls;
    int out_calls;
    bool drain;   /* in handler reads the eventfd */
    bool removed; /* a callback after this is a bug */
    void (*on_in)(struct probe *pr);
    void (*on_out)(struct probe *pr);
    struct probe *peer; /* for the actions */
};

static void probe_in(void *ctx)
{
    struct probe *pr = ctx;
    CHECK(!pr->removed);
    pr->in_calls++;
    if (pr->drain) {
        uint64_t v;
        CHECK(read(pr->fd, &v, sizeof v) == (ssize_t)sizeof v);
    }
    if (pr->on_in != NULL)
        pr->on_in(pr);
}

static void probe_out(void *ctx)
{
    struct probe *pr = ctx;
    CHECK(!pr->removed);
    pr->out_calls++;
    if (pr->on_out != NULL)
        pr->on_out(pr);
}

static const struct zmq__poller_ops probe_ops = {probe_in, probe_out};

static int probe_add(struct zmq__poller *p, struct probe *pr, int fd)
{
    memset(pr, 0, sizeof *pr);
    pr->p = p;
    pr->fd = fd;
    return zmq__poller_add(p, fd, &probe_ops, pr, &pr->e);
}

static void probe_remove(struct probe *pr)
{
    if (pr->e == NULL)
        return;
    zmq__poller_remove(pr->p, pr->e);
    pr->e = NULL;
    pr->removed = true;
}

/* An eventfd, readable when ready is set. */
static int make_eventfd(bool ready)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd >= 0 && ready) {
        uint64_t one = 1;
        if (write(fd, &one, sizeof one) != (ssize_t)sizeof one) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void make_ready(int fd)
{
    uint64_t one = 1;
    CHECK(write(fd, &one, sizeof one) == (ssize_t)sizeof one);
}

static uint64_t elapsed_us(uint64_t since)
{
    return zmq__clock_now_us() - since;
}

static struct zmq__poller *poller(void)
{
    int err = 0;
    struct zmq__poller *p = zmq__poller_new(&err);
    CHECK(p != NULL);
    CHECK_EQ(err, 0);
    return p;
}

/* ------------------------------------------------------------------------ */
/* Basics                                                                   */
/* ------------------------------------------------------------------------ */

static void backend_name(void)
{
    const char *name = zmq__poller_backend();
    REQUIRE(name != NULL);
    CHECK(strcmp(name, ZMQ__POLLER_NAME) == 0);
    CHECK(strcmp(name, "epoll") == 0 || strcmp(name, "poll") == 0);
}

static void free_with_entries_and_timers(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    struct probe a, b;
    int fa = make_eventfd(true), fb = make_eventfd(true);
    REQUIRE(fa >= 0 && fb >= 0);
    CHECK_EQ(probe_add(p, &a, fa), 0);
    CHECK_EQ(probe_add(p, &b, fb), 0);
    zmq__poller_set_in(p, a.e);
    CHECK(zmq__poller_add_timer(p, 0, NULL, NULL, 1) > 0);
    CHECK(zmq__poller_add_timer(p, 100000, NULL, NULL, 2) > 0);
    /* Nothing runs (the timer handlers are NULL and would crash), the
     * fds stay open, ASan sees no leak. */
    zmq__poller_free(p);
    zmq__poller_free(NULL);
    CHECK(fcntl(fa, F_GETFD) >= 0);
    CHECK_EQ(a.in_calls, 0);
    close(fa);
    close(fb);
}

static void add_bad_fd(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    struct probe a;
    CHECK_EQ(probe_add(p, &a, -1), -EBADF);
    int fd = make_eventfd(false);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_EQ(probe_add(p, &a, fd), -EBADF);
    CHECK_EQ(zmq__poller_load(p), 0);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    zmq__poller_free(p);
}

/* ------------------------------------------------------------------------ */
/* Readiness                                                                */
/* ------------------------------------------------------------------------ */

static void in_only_when_enabled(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int fds[2];
    REQUIRE(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK(write(fds[1], "x", 1) == 1);
    struct probe r;
    REQUIRE(probe_add(p, &r, fds[0]) == 0);

    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(r.in_calls, 0);

    zmq__poller_set_in(p, r.e);
    zmq__poller_set_in(p, r.e); /* idempotent */
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(r.in_calls, 1);
    CHECK_EQ(r.out_calls, 0);

    zmq__poller_reset_in(p, r.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(r.in_calls, 1);

    /* Enabling out on a read end changes nothing. */
    zmq__poller_set_out(p, r.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(r.out_calls, 0);
    CHECK_EQ(r.in_calls, 1);

    zmq__poller_remove(p, r.e);
    zmq__poller_free(p);
    close(fds[0]);
    close(fds[1]);
}

static void out_only_when_enabled(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                       sv) == 0);
    struct probe s;
    REQUIRE(probe_add(p, &s, sv[0]) == 0);

    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.out_calls, 0);

    zmq__poller_set_out(p, s.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.out_calls, 1);
    CHECK_EQ(s.in_calls, 0); /* in is enabled nowhere, and no data */

    zmq__poller_set_in(p, s.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.out_calls, 2);
    CHECK_EQ(s.in_calls, 0); /* still no data */

    CHECK(write(sv[1], "x", 1) == 1);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.out_calls, 3);
    CHECK_EQ(s.in_calls, 1);

    zmq__poller_reset_out(p, s.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.out_calls, 3);
    CHECK_EQ(s.in_calls, 2);

    zmq__poller_reset_in(p, s.e);
    zmq__poller_reset_in(p, s.e); /* idempotent */
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.out_calls, 3);
    CHECK_EQ(s.in_calls, 2);

    zmq__poller_free(p);
    close(sv[0]);
    close(sv[1]);
}

static void level_triggered(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int fd = make_eventfd(true);
    REQUIRE(fd >= 0);
    struct probe a;
    REQUIRE(probe_add(p, &a, fd) == 0);
    zmq__poller_set_in(p, a.e);
    /* Not drained: reported every round. */
    for (int i = 1; i <= 3; i++) {
        CHECK_EQ(zmq__poller_wait(p, 0), 0);
        CHECK_EQ(a.in_calls, i);
    }
    /* Drained by the fourth call: then quiet. */
    a.drain = true;
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls, 4);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls, 4);
    /* Ready again while disabled, then enabled: reported. */
    zmq__poller_reset_in(p, a.e);
    make_ready(fd);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls, 4);
    zmq__poller_set_in(p, a.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls, 5);
    zmq__poller_free(p);
    close(fd);
}

/* A hung-up fd with nothing enabled must not keep waking the poller; it
 * is reported once a direction is enabled. */
static void hangup_reported_only_when_enabled(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int fds[2];
    REQUIRE(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    close(fds[1]);
    struct probe r;
    REQUIRE(probe_add(p, &r, fds[0]) == 0);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    uint64_t t0 = zmq__clock_now_us();
    CHECK_EQ(zmq__poller_wait(p, 50), 0);
    CHECK(elapsed_us(t0) >= 50000);
    CHECK_EQ(r.in_calls + r.out_calls, 0);

    zmq__poller_set_in(p, r.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(r.in_calls, 1);
    zmq__poller_remove(p, r.e);
    close(fds[0]);

    /* A write end whose reader is gone: an error, reported to out. */
    REQUIRE(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    close(fds[0]);
    struct probe w;
    REQUIRE(probe_add(p, &w, fds[1]) == 0);
    zmq__poller_set_out(p, w.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(w.out_calls, 1);
    CHECK_EQ(w.in_calls, 0);
    zmq__poller_free(p);
    close(fds[1]);
}

/* ------------------------------------------------------------------------ */
/* Changes from handlers                                                    */
/* ------------------------------------------------------------------------ */

static void remove_self_and_peer(struct probe *pr)
{
    probe_remove(pr->peer);
    probe_remove(pr);
}

static void remove_peer(struct probe *pr)
{
    probe_remove(pr->peer);
}

static void remove_self(struct probe *pr)
{
    probe_remove(pr);
}

static void reset_own_out(struct probe *pr)
{
    zmq__poller_reset_out(pr->p, pr->e);
}

static void remove_in_handler(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int fa = make_eventfd(true), fb = make_eventfd(true);
    REQUIRE(fa >= 0 && fb >= 0);
    struct probe a, b;

    /* Both ready in one round; whichever runs first removes both. */
    REQUIRE(probe_add(p, &a, fa) == 0);
    REQUIRE(probe_add(p, &b, fb) == 0);
    a.peer = &b;
    b.peer = &a;
    a.on_in = b.on_in = remove_self_and_peer;
    zmq__poller_set_in(p, a.e);
    zmq__poller_set_in(p, b.e);
    CHECK_EQ(zmq__poller_load(p), 2);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls + b.in_calls, 1);
    CHECK_EQ(zmq__poller_load(p), 0);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls + b.in_calls, 1);

    /* The first to run removes the other only, then itself next round. */
    REQUIRE(probe_add(p, &a, fa) == 0);
    REQUIRE(probe_add(p, &b, fb) == 0);
    a.peer = &b;
    b.peer = &a;
    a.on_in = b.on_in = remove_peer;
    zmq__poller_set_in(p, a.e);
    zmq__poller_set_in(p, b.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls + b.in_calls, 1);
    CHECK_EQ(zmq__poller_load(p), 1);
    struct probe *survivor = a.e != NULL ? &a : &b;
    survivor->on_in = remove_self;
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(survivor->in_calls, 2);
    CHECK_EQ(zmq__poller_load(p), 0);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls + b.in_calls, 2);
    close(fa);
    close(fb);

    /* Readable and writable at once: the in handler removes the entry,
     * so out is not called. */
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                       sv) == 0);
    CHECK(write(sv[1], "x", 1) == 1);
    struct probe s;
    REQUIRE(probe_add(p, &s, sv[0]) == 0);
    zmq__poller_set_in(p, s.e);
    zmq__poller_set_out(p, s.e);
    s.on_in = remove_self;
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.in_calls, 1);
    CHECK_EQ(s.out_calls, 0);

    /* The in handler disables out: out is not called this round. */
    REQUIRE(probe_add(p, &s, sv[0]) == 0);
    zmq__poller_set_in(p, s.e);
    zmq__poller_set_out(p, s.e);
    s.on_in = reset_own_out;
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(s.in_calls, 1);
    CHECK_EQ(s.out_calls, 0);
    zmq__poller_free(p);
    close(sv[0]);
    close(sv[1]);
}

/* The first handler removes the other entry, closes its fd and registers
 * a new fd, which may well get the same number, within the round in
 * which the old fd was reported ready. */
static struct probe reuse_new;
static void remove_close_reuse(struct probe *pr)
{
    struct probe *other = pr->peer;
    if (other->e == NULL)
        return;
    probe_remove(other);
    close(other->fd);
    int fd = make_eventfd(true);
    CHECK(fd >= 0);
    CHECK_EQ(probe_add(pr->p, &reuse_new, fd), 0);
    zmq__poller_set_in(pr->p, reuse_new.e);
    reuse_new.drain = true;
}

static void remove_close_and_reuse_fd(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int fa = make_eventfd(true), fb = make_eventfd(true);
    REQUIRE(fa >= 0 && fb >= 0);
    struct probe a, b;
    REQUIRE(probe_add(p, &a, fa) == 0);
    REQUIRE(probe_add(p, &b, fb) == 0);
    a.peer = &b;
    b.peer = &a;
    a.on_in = b.on_in = remove_close_reuse;
    a.drain = b.drain = true;
    zmq__poller_set_in(p, a.e);
    zmq__poller_set_in(p, b.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls + b.in_calls, 1);
    CHECK_EQ(zmq__poller_load(p), 2);
    /* The new entry is served from the next round on. */
    for (int i = 0; i < 100 && reuse_new.in_calls == 0; i++)
        CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(reuse_new.in_calls, 1);
    CHECK_EQ(a.in_calls + b.in_calls, 1);
    struct probe *survivor = a.e != NULL ? &a : &b;
    zmq__poller_free(p);
    close(survivor->fd);
    close(reuse_new.fd);
}

/* The first handler to run adds many entries (growing every array the
 * backend has) while the other ready entries of the round still wait for
 * their callback. */
enum { ADDED = 100 };
static struct probe added[ADDED];
static bool added_done;
static void add_many(struct probe *pr)
{
    if (added_done)
        return;
    added_done = true;
    for (int i = 0; i < ADDED; i++) {
        int fd = make_eventfd(true);
        CHECK(fd >= 0);
        CHECK_EQ(probe_add(pr->p, &added[i], fd), 0);
        zmq__poller_set_in(pr->p, added[i].e);
        added[i].drain = true;
    }
}

static void add_in_handler(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    enum { N = 3 };
    struct probe first[N];
    for (int i = 0; i < N; i++) {
        int fd = make_eventfd(true);
        REQUIRE(fd >= 0);
        REQUIRE(probe_add(p, &first[i], fd) == 0);
        first[i].on_in = add_many;
        first[i].drain = true;
        zmq__poller_set_in(p, first[i].e);
    }
    added_done = false;
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK(added_done);
    for (int i = 0; i < N; i++)
        CHECK_EQ(first[i].in_calls, 1);
    CHECK_EQ(zmq__poller_load(p), N + ADDED);

    /* Every added entry is served, once (they drain). */
    int served = 0;
    for (int round = 0; round < 100 && served < ADDED; round++) {
        CHECK_EQ(zmq__poller_wait(p, 0), 0);
        served = 0;
        for (int i = 0; i < ADDED; i++)
            served += added[i].in_calls;
    }
    CHECK_EQ(served, ADDED);
    for (int i = 0; i < ADDED; i++)
        CHECK_EQ(added[i].in_calls, 1);
    for (int i = 0; i < N; i++)
        CHECK_EQ(first[i].in_calls, 1);

    for (int i = 0; i < ADDED; i++) {
        probe_remove(&added[i]);
        close(added[i].fd);
    }
    for (int i = 0; i < N; i++) {
        probe_remove(&first[i]);
        close(first[i].fd);
    }
    CHECK_EQ(zmq__poller_load(p), 0);
    zmq__poller_free(p);
}

/* More entries than one epoll_wait batch (256), all ready, each handler
 * removing a pseudo-random live one, sometimes itself, and re-adding
 * removed ones: no callback after removal, nothing lost or leaked. */
enum { STRESS = 300 };
static struct probe stress[STRESS];
static int stress_fds[STRESS];
static uint32_t stress_rng = 12345;

static uint32_t next_rand(void)
{
    stress_rng = stress_rng * 1103515245u + 12345u;
    return stress_rng >> 8;
}

static void stress_action(struct probe *pr)
{
    uint32_t r = next_rand();
    struct probe *victim = &stress[r % STRESS];
    if ((r >> 12) % 4 == 0)
        victim = pr;
    if (victim->e != NULL) {
        probe_remove(victim);
        return;
    }
    /* Already removed: bring it back (served from the next round on). */
    int in_calls = victim->in_calls;
    CHECK_EQ(probe_add(pr->p, victim, stress_fds[victim - stress]), 0);
    victim->in_calls = in_calls;
    victim->on_in = stress_action;
    zmq__poller_set_in(pr->p, victim->e);
}

static void remove_stress(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    for (int i = 0; i < STRESS; i++) {
        stress_fds[i] = make_eventfd(true);
        REQUIRE(stress_fds[i] >= 0);
        REQUIRE(probe_add(p, &stress[i], stress_fds[i]) == 0);
        stress[i].on_in = stress_action;
        zmq__poller_set_in(p, stress[i].e);
    }
    int total = 0;
    for (int round = 0; round < 50; round++) {
        CHECK_EQ(zmq__poller_wait(p, 0), 0);
        size_t live = 0;
        for (int i = 0; i < STRESS; i++)
            live += stress[i].e != NULL;
        CHECK_EQ(zmq__poller_load(p), live);
    }
    for (int i = 0; i < STRESS; i++)
        total += stress[i].in_calls;
    CHECK(total > STRESS);
    for (int i = 0; i < STRESS; i++) {
        if (i % 2 == 0)
            probe_remove(&stress[i]); /* the rest: freed with the poller */
    }
    zmq__poller_free(p);
    for (int i = 0; i < STRESS; i++)
        close(stress_fds[i]);
}

/* ------------------------------------------------------------------------ */
/* Timers                                                                   */
/* ------------------------------------------------------------------------ */

struct timer_log {
    int count;
    int ids[16];
    void *ctxs[16];
    uint64_t at_us[16];
};

static struct timer_log tlog;

static void log_timer(void *ctx, int timer_id)
{
    if (tlog.count < 16) {
        tlog.ids[tlog.count] = timer_id;
        tlog.ctxs[tlog.count] = ctx;
        tlog.at_us[tlog.count] = zmq__clock_now_us();
    }
    tlog.count++;
}

/* Waits (-1) until the log holds n entries, at most `rounds` waits. */
static void wait_for_timers(struct zmq__poller *p, int n, int rounds)
{
    for (int i = 0; i < rounds && tlog.count < n; i++)
        CHECK_EQ(zmq__poller_wait(p, -1), 0);
}

static void timer_one_shot(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);
    int ctx;
    uint64_t t0 = zmq__clock_now_us();
    int h = zmq__poller_add_timer(p, 20, log_timer, &ctx, 77);
    CHECK(h > 0);
    wait_for_timers(p, 1, 100);
    REQUIRE(tlog.count == 1);
    CHECK_EQ(tlog.ids[0], 77);
    CHECK(tlog.ctxs[0] == &ctx);
    CHECK(tlog.at_us[0] - t0 >= TIMER_MIN_US(20));
    CHECK(tlog.at_us[0] - t0 < GENEROUS_US);
    /* Ran once and is gone. */
    CHECK_EQ(zmq__poller_wait(p, 30), 0);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(tlog.count, 1);
    CHECK_EQ(zmq__poller_cancel_timer(p, h), -EINVAL);
    zmq__poller_free(p);
}

static void timer_order(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);
    CHECK(zmq__poller_add_timer(p, 60, log_timer, NULL, 4) > 0);
    CHECK(zmq__poller_add_timer(p, 20, log_timer, NULL, 1) > 0);
    CHECK(zmq__poller_add_timer(p, 40, log_timer, NULL, 3) > 0);
    CHECK(zmq__poller_add_timer(p, 20, log_timer, NULL, 2) > 0);
    wait_for_timers(p, 4, 100);
    REQUIRE(tlog.count == 4);
    /* By expiry; equal expiries in the order added. */
    for (int i = 0; i < 4; i++)
        CHECK_EQ(tlog.ids[i], i + 1);
    for (int i = 1; i < 4; i++)
        CHECK(tlog.at_us[i] >= tlog.at_us[i - 1]);
    zmq__poller_free(p);
}

static void timer_cancel(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);
    int a = zmq__poller_add_timer(p, 10, log_timer, NULL, 1);
    int b = zmq__poller_add_timer(p, 30, log_timer, NULL, 2);
    CHECK(a > 0 && b > 0 && a != b);
    CHECK_EQ(zmq__poller_cancel_timer(p, a), 0);
    CHECK_EQ(zmq__poller_cancel_timer(p, a), -EINVAL);
    CHECK_EQ(zmq__poller_cancel_timer(p, 0), -EINVAL);
    CHECK_EQ(zmq__poller_cancel_timer(p, -5), -EINVAL);
    CHECK_EQ(zmq__poller_cancel_timer(p, 123456), -EINVAL);
    wait_for_timers(p, 1, 100);
    REQUIRE(tlog.count == 1);
    CHECK_EQ(tlog.ids[0], 2);
    CHECK_EQ(zmq__poller_cancel_timer(p, b), -EINVAL);
    /* Cancelling everything leaves a wait with nothing to do. */
    int c = zmq__poller_add_timer(p, 10, log_timer, NULL, 3);
    CHECK_EQ(zmq__poller_cancel_timer(p, c), 0);
    CHECK_EQ(zmq__poller_wait(p, 30), 0);
    CHECK_EQ(tlog.count, 1);
    zmq__poller_free(p);
}

/* Handles shared with the handlers below. */
static struct zmq__poller *tp;
static int th_self, th_victim, th_late, th_cancel_self_rc, th_cancel_rc;

static void cancelling_timer(void *ctx, int timer_id)
{
    log_timer(ctx, timer_id);
    th_cancel_self_rc = zmq__poller_cancel_timer(tp, th_self);
    th_cancel_rc = zmq__poller_cancel_timer(tp, th_victim);
    CHECK_EQ(zmq__poller_cancel_timer(tp, th_late), 0);
}

static void timer_cancel_from_handler(void)
{
    tp = poller();
    REQUIRE(tp != NULL);
    memset(&tlog, 0, sizeof tlog);
    /* Both due in the same pass: the first cancels the second. */
    th_self = zmq__poller_add_timer(tp, 0, cancelling_timer, NULL, 1);
    th_victim = zmq__poller_add_timer(tp, 0, log_timer, NULL, 2);
    th_late = zmq__poller_add_timer(tp, 30, log_timer, NULL, 3);
    CHECK(zmq__poller_add_timer(tp, 50, log_timer, NULL, 4) > 0);
    CHECK_EQ(zmq__poller_wait(tp, 0), 0);
    CHECK_EQ(tlog.count, 1);
    CHECK_EQ(th_cancel_self_rc, -EINVAL); /* one-shot: already gone */
    CHECK_EQ(th_cancel_rc, 0);
    /* The sentinel fires; the cancelled ones never did. */
    wait_for_timers(tp, 2, 100);
    REQUIRE(tlog.count == 2);
    CHECK_EQ(tlog.ids[0], 1);
    CHECK_EQ(tlog.ids[1], 4);
    zmq__poller_free(tp);
    tp = NULL;
}

static void adding_timer(void *ctx, int timer_id)
{
    log_timer(ctx, timer_id);
    CHECK(zmq__poller_add_timer(tp, 0, log_timer, NULL, 2) > 0);
    CHECK(zmq__poller_add_timer(tp, 20, log_timer, NULL, 3) > 0);
}

static void timer_added_from_handler(void)
{
    tp = poller();
    REQUIRE(tp != NULL);
    memset(&tlog, 0, sizeof tlog);
    CHECK(zmq__poller_add_timer(tp, 0, adding_timer, NULL, 1) > 0);
    /* The 0 ms timer added by the handler falls due within the same
     * wait, which runs it after the handler that added it. */
    CHECK_EQ(zmq__poller_wait(tp, 0), 0);
    REQUIRE(tlog.count == 2);
    CHECK_EQ(tlog.ids[0], 1);
    CHECK_EQ(tlog.ids[1], 2);
    wait_for_timers(tp, 3, 100);
    REQUIRE(tlog.count == 3);
    CHECK_EQ(tlog.ids[2], 3);
    CHECK(tlog.at_us[2] - tlog.at_us[0] >= TIMER_MIN_US(20));
    zmq__poller_free(tp);
    tp = NULL;
}

/* An fd handler arms a timer; a timer handler removes an entry. */
static int fd_timer_calls;
static void timer_from_fd(struct probe *pr)
{
    fd_timer_calls++;
    CHECK(zmq__poller_add_timer(pr->p, 0, log_timer, pr, 9) > 0);
    zmq__poller_reset_in(pr->p, pr->e);
}

static void removing_timer(void *ctx, int timer_id)
{
    log_timer(ctx, timer_id);
    probe_remove(ctx);
}

static void timers_and_fds(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);
    int fd = make_eventfd(true);
    REQUIRE(fd >= 0);
    struct probe a;
    REQUIRE(probe_add(p, &a, fd) == 0);
    a.on_in = timer_from_fd;
    zmq__poller_set_in(p, a.e);
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK_EQ(a.in_calls, 1);
    REQUIRE(tlog.count == 1); /* fell due during the wait: run by it */
    CHECK_EQ(tlog.ids[0], 9);
    CHECK(tlog.ctxs[0] == &a);

    CHECK(zmq__poller_add_timer(p, 10, removing_timer, &a, 10) > 0);
    wait_for_timers(p, 2, 100);
    REQUIRE(tlog.count == 2);
    CHECK(a.removed);
    CHECK_EQ(zmq__poller_load(p), 0);
    zmq__poller_free(p);
    close(fd);
}

/* ------------------------------------------------------------------------ */
/* Waiting                                                                  */
/* ------------------------------------------------------------------------ */

static void wait_zero_does_not_block(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);
    int fd = make_eventfd(false);
    REQUIRE(fd >= 0);
    struct probe a;
    REQUIRE(probe_add(p, &a, fd) == 0);
    zmq__poller_set_in(p, a.e);
    CHECK(zmq__poller_add_timer(p, 100000, log_timer, NULL, 1) > 0);
    uint64_t t0 = zmq__clock_now_us();
    for (int i = 0; i < 10; i++)
        CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK(elapsed_us(t0) < GENEROUS_US / 5);
    CHECK_EQ(a.in_calls, 0);
    CHECK_EQ(tlog.count, 0);
    zmq__poller_free(p);
    close(fd);
}

static void wait_forever_returns_on_timer(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);
    int fd = make_eventfd(false);
    REQUIRE(fd >= 0);
    struct probe a;
    REQUIRE(probe_add(p, &a, fd) == 0);
    zmq__poller_set_in(p, a.e);
    uint64_t t0 = zmq__clock_now_us();
    CHECK(zmq__poller_add_timer(p, 30, log_timer, NULL, 1) > 0);
    /* One call: it sleeps until the timer is due and runs it. */
    CHECK_EQ(zmq__poller_wait(p, -1), 0);
    CHECK_EQ(tlog.count, 1);
    CHECK(elapsed_us(t0) >= TIMER_MIN_US(30));
    CHECK(elapsed_us(t0) < GENEROUS_US);
    CHECK_EQ(a.in_calls, 0);
    zmq__poller_free(p);
    close(fd);
}

static void wait_timeout_honoured(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    memset(&tlog, 0, sizeof tlog);

    /* Nothing registered. */
    uint64_t t0 = zmq__clock_now_us();
    CHECK_EQ(zmq__poller_wait(p, 50), 0);
    CHECK(elapsed_us(t0) >= 50000);
    CHECK(elapsed_us(t0) < GENEROUS_US);

    /* An idle fd and a later timer: the timeout still wins. */
    int fd = make_eventfd(false);
    REQUIRE(fd >= 0);
    struct probe a;
    REQUIRE(probe_add(p, &a, fd) == 0);
    zmq__poller_set_in(p, a.e);
    CHECK(zmq__poller_add_timer(p, 100000, log_timer, NULL, 1) > 0);
    t0 = zmq__clock_now_us();
    CHECK_EQ(zmq__poller_wait(p, 40), 0);
    CHECK(elapsed_us(t0) >= 40000);
    CHECK(elapsed_us(t0) < GENEROUS_US);
    CHECK_EQ(tlog.count, 0);

    /* An earlier timer shortens the wait and runs in it. */
    t0 = zmq__clock_now_us();
    CHECK(zmq__poller_add_timer(p, 20, log_timer, NULL, 2) > 0);
    CHECK_EQ(zmq__poller_wait(p, 60000), 0);
    CHECK_EQ(tlog.count, 1);
    CHECK(elapsed_us(t0) >= TIMER_MIN_US(20));
    CHECK(elapsed_us(t0) < GENEROUS_US);

    /* A ready fd ends the wait at once. */
    make_ready(fd);
    t0 = zmq__clock_now_us();
    CHECK_EQ(zmq__poller_wait(p, 60000), 0);
    CHECK_EQ(a.in_calls, 1);
    CHECK(elapsed_us(t0) < GENEROUS_US);
    zmq__poller_free(p);
    close(fd);
}

/* Another thread makes an fd ready while the owner blocks with no
 * limit. */
static void *write_eventfd(void *arg)
{
    make_ready(*(int *)arg);
    return NULL;
}

static void wakeup_from_other_thread(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    int fd = make_eventfd(false);
    REQUIRE(fd >= 0);
    struct probe a;
    REQUIRE(probe_add(p, &a, fd) == 0);
    a.drain = true;
    zmq__poller_set_in(p, a.e);
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, write_eventfd, &fd) == 0);
    for (int i = 0; i < 100 && a.in_calls == 0; i++)
        CHECK_EQ(zmq__poller_wait(p, -1), 0);
    CHECK_EQ(a.in_calls, 1);
    pthread_join(th, NULL);
    zmq__poller_free(p);
    close(fd);
}

/* A signal interrupting the wait is not an error: keep signalling the
 * owner until a wait with no limit and nothing to wait for returns. */
static atomic_bool interrupt_done;
static pthread_t interrupt_target;

static void on_signal(int sig)
{
    (void)sig;
}

static void *interrupter(void *arg)
{
    (void)arg;
    while (!atomic_load(&interrupt_done)) {
        pthread_kill(interrupt_target, SIGUSR1);
        sched_yield();
    }
    return NULL;
}

static void wait_interrupted(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART */
    REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
    atomic_store(&interrupt_done, false);
    interrupt_target = pthread_self();
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, interrupter, NULL) == 0);
    CHECK_EQ(zmq__poller_wait(p, -1), 0);
    atomic_store(&interrupt_done, true);
    pthread_join(th, NULL);
    /* The no-op handler stays installed: a signal still in flight must
     * not meet the default action, which ends the process. */
    zmq__poller_free(p);
}

/* ------------------------------------------------------------------------ */
/* Load                                                                     */
/* ------------------------------------------------------------------------ */

struct load_probe {
    struct zmq__poller *p;
    size_t seen;
};

static void *read_load(void *arg)
{
    struct load_probe *lp = arg;
    lp->seen = zmq__poller_load(lp->p);
    return NULL;
}

static void load_counter(void)
{
    struct zmq__poller *p = poller();
    REQUIRE(p != NULL);
    CHECK_EQ(zmq__poller_load(p), 0);
    enum { N = 5 };
    struct probe pr[N];
    for (int i = 0; i < N; i++) {
        int fd = make_eventfd(false);
        REQUIRE(fd >= 0);
        REQUIRE(probe_add(p, &pr[i], fd) == 0);
        CHECK_EQ(zmq__poller_load(p), i + 1);
    }
    /* Enabling events does not change the load; timers do not count. */
    zmq__poller_set_in(p, pr[0].e);
    zmq__poller_set_out(p, pr[1].e);
    CHECK(zmq__poller_add_timer(p, 100000, log_timer, NULL, 1) > 0);
    CHECK_EQ(zmq__poller_load(p), N);

    /* Read from another thread. */
    struct load_probe lp = {p, 0};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, read_load, &lp) == 0);
    pthread_join(th, NULL);
    CHECK_EQ(lp.seen, N);

    probe_remove(&pr[2]);
    CHECK_EQ(zmq__poller_load(p), N - 1);
    /* Removed in a handler: counted out at once, not after the round. */
    make_ready(pr[0].fd);
    pr[0].on_in = remove_self;
    CHECK_EQ(zmq__poller_wait(p, 0), 0);
    CHECK(pr[0].removed);
    CHECK_EQ(zmq__poller_load(p), N - 2);
    for (int i = 0; i < N; i++) {
        probe_remove(&pr[i]);
        close(pr[i].fd);
    }
    CHECK_EQ(zmq__poller_load(p), 0);
    zmq__poller_free(p);
}

TEST_MAIN(TEST(backend_name), TEST(free_with_entries_and_timers),
          TEST(add_bad_fd), TEST(in_only_when_enabled),
          TEST(out_only_when_enabled), TEST(level_triggered),
          TEST(hangup_reported_only_when_enabled), TEST(remove_in_handler),
          TEST(remove_close_and_reuse_fd), TEST(add_in_handler),
          TEST(remove_stress), TEST(timer_one_shot), TEST(timer_order),
          TEST(timer_cancel), TEST(timer_cancel_from_handler),
          TEST(timer_added_from_handler), TEST(timers_and_fds),
          TEST(wait_zero_does_not_block), TEST(wait_forever_returns_on_timer),
          TEST(wait_timeout_honoured), TEST(wakeup_from_other_thread),
          TEST(wait_interrupted), TEST(load_counter))
