/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Mailboxes.
 *
 * The queue is an intrusive multi-producer/single-consumer linked list
 * with a stub node: a producer links its node in with one atomic
 * exchange of the head and one store, so producers never wait for each
 * other; the reader walks from the tail.  Between a producer's exchange
 * and its store the list is briefly cut; the reader then yields and
 * retries, since the producer is about to finish.
 *
 * Wake-ups follow a sleep flag.  The reader sets `asleep` after finding
 * the queue empty and then looks once more (so a command pushed in
 * between is never missed).  A producer pushes first, then swaps
 * `asleep` to 0; if it was 1, this producer wakes the reader.  Both
 * sides use sequentially consistent operations on the queue head and on
 * the flag, so at least one of them sees the other.  While the reader is
 * busy, producers do no syscall at all.  The reader keeps one invariant:
 * while the flag is set, every queued command has a producer still to
 * clear it (if the second look finds a command, the reader clears the
 * flag itself).  So a set flag means "nothing to take, or a wake-up is
 * coming", which zmq__mailbox_idle reads with a single load.
 *
 * How the reader sleeps: on the eventfd once anyone asked for it (I/O
 * threads' pollers, ZMQ_FD, zmq_poll), else on the flag itself as a
 * futex (single-threaded sockets: no fd write, poll and drain read per
 * wake-up, and no syscall at all for a producer whose reader is armed
 * but not blocked), else on a condition variable (thread-safe sockets).
 * Before a futex wait the reader may first spin for spin_us watching the
 * flag (REQ sockets awaiting a reply): on an idle CPU the wake-up of a
 * sleeping thread costs more than a short round trip.
 *
 * Thread-safe sockets wait on a condition variable.  Its mutex is a leaf
 * lock (one per process), not the socket mutex: producers (other
 * sockets, I/O threads) never take a socket mutex, so two thread-safe
 * sockets sending to each other from two threads cannot deadlock.  A
 * waiter takes the leaf lock, sets the flag and counts itself in
 * `waiters` before it checks the queue, and releases the socket mutex
 * only inside the wait, so a producer's broadcast cannot fall between
 * the check and the wait; a producer that finds no waiter counted takes
 * no lock at all.
 */
#include "core/mailbox.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

struct zmq__mailbox_node {
    _Atomic(struct zmq__mailbox_node *) next;
    struct zmq__command cmd;
};

/* The leaf lock for condition waits lives beside the mailbox; one per
 * process is enough since waits are short and rare, and it keeps the
 * mailbox struct small. */
static pthread_mutex_t wait_lock = PTHREAD_MUTEX_INITIALIZER;

int zmq__mailbox_init(struct zmq__mailbox *mb, pthread_mutex_t *sync)
{
    mb->stub = calloc(1, sizeof *mb->stub);
    if (mb->stub == NULL)
        return -ENOMEM;
    atomic_init(&mb->stub->next, NULL);
    atomic_init(&mb->head, mb->stub);
    mb->tail = mb->stub;
    /* A new mailbox's reader has seen it empty: the first command must
     * wake it. */
    atomic_init(&mb->asleep, 1);
    mb->armed = true;
    atomic_init(&mb->fd_wanted, false);
    mb->spin_us = 0;
    atomic_init(&mb->senders, 0);
    atomic_init(&mb->waiters, 0);
    mb->sync = sync;
    mb->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (mb->fd < 0) {
        int err = -errno;
        free(mb->stub);
        return err;
    }
    if (sync != NULL) {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        int rc = pthread_cond_init(&mb->cond, &attr);
        pthread_condattr_destroy(&attr);
        if (rc != 0) {
            close(mb->fd);
            free(mb->stub);
            return -rc;
        }
    }
    return 0;
}

/* Takes the oldest node off the queue; NULL when empty.  The caller
 * frees the node. */
static struct zmq__mailbox_node *pop(struct zmq__mailbox *mb)
{
    for (;;) {
        struct zmq__mailbox_node *tail = mb->tail;
        struct zmq__mailbox_node *next = atomic_load(&tail->next);
        if (tail == mb->stub) {
            if (next == NULL) {
                if (atomic_load(&mb->head) == tail)
                    return NULL;
                sched_yield(); /* a producer is linking its node */
                continue;
            }
            mb->tail = next;
            tail = next;
            next = atomic_load(&tail->next);
        }
        if (next != NULL) {
            mb->tail = next;
            return tail;
        }
        if (atomic_load(&mb->head) != tail) {
            sched_yield();
            continue;
        }
        /* tail is the last node: put the stub behind it so it can go. */
        atomic_store(&mb->stub->next, NULL);
        struct zmq__mailbox_node *prev = atomic_exchange(&mb->head, mb->stub);
        atomic_store(&prev->next, mb->stub);
        next = atomic_load(&tail->next);
        if (next != NULL) {
            mb->tail = next;
            return tail;
        }
        sched_yield();
    }
}

void zmq__mailbox_fini(struct zmq__mailbox *mb)
{
    /* A producer whose command made the owner free this mailbox may
     * still be waking it (the fd, the futex, the condition variable):
     * wait until every send in progress has returned. */
    while (atomic_load_explicit(&mb->senders, memory_order_acquire) != 0)
        sched_yield();
    struct zmq__mailbox_node *n;
    while ((n = pop(mb)) != NULL)
        free(n);
    free(mb->stub);
    close(mb->fd);
    if (mb->sync != NULL)
        pthread_cond_destroy(&mb->cond);
}

static void write_fd(int fd)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is saturated: the fd is readable, which
     * is all the signal says.  Nothing else can fail on an eventfd. */
    ssize_t rc = write(fd, &one, sizeof one);
    (void)rc;
}

static void drain_fd(int fd)
{
    uint64_t count;
    ssize_t rc = read(fd, &count, sizeof count);
    (void)rc;
}

/* A single-threaded reader that no one watches through the fd sleeps on
 * the flag itself, as a futex: it moves the flag from 1 to BLOCKED just
 * before it waits, and a producer that swaps BLOCKED away wakes it.  A
 * producer that finds 1 (armed but not waiting) needs no syscall. */
#define BLOCKED 2

static void futex_wake(atomic_int *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Waits while *word is val, up to timeout_ms (>= 0).  0 when woken (or
 * the value had changed), -ETIMEDOUT, -EINTR. */
static int futex_wait(atomic_int *word, int val, int timeout_ms)
{
    /* Always with a timeout: a signal handler then ends the wait with
     * EINTR, as poll does, whatever its SA_RESTART flag. */
    struct timespec ts = {.tv_sec = timeout_ms / 1000,
                          .tv_nsec = (long)(timeout_ms % 1000) * 1000000L};
    if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0) < 0 &&
        errno != EAGAIN)
        return -errno;
    return 0;
}

/* Spins up to mb->spin_us (and timeout_ms, if not -1) while the flag
 * stays armed; true when a producer cleared it. */
static bool spin(struct zmq__mailbox *mb, int timeout_ms)
{
    uint64_t spin_us = mb->spin_us;
    if (timeout_ms >= 0 && (uint64_t)timeout_ms * 1000 < spin_us)
        spin_us = (uint64_t)timeout_ms * 1000;
    uint64_t until = zmq__clock_now_us() + spin_us;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(&mb->asleep, memory_order_relaxed) != 1)
                return true;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (zmq__clock_now_us() >= until)
            return false;
    }
}

int zmq__mailbox_send(struct zmq__mailbox *mb, const struct zmq__command *cmd)
{
    struct zmq__mailbox_node *n = malloc(sizeof *n);
    if (n == NULL)
        return -ENOMEM;
    n->cmd = *cmd;
    atomic_store_explicit(&n->next, NULL, memory_order_relaxed);
    atomic_fetch_add_explicit(&mb->senders, 1, memory_order_relaxed);
    struct zmq__mailbox_node *prev = atomic_exchange(&mb->head, n);
    atomic_store(&prev->next, n);

    int was = atomic_exchange(&mb->asleep, 0);
    if (was == BLOCKED)
        futex_wake(&mb->asleep);
    if (was != 0) {
        /* The fd too: someone may have asked for it while the reader
         * was blocked on the futex (ZMQ_FD from another thread). */
        if (mb->sync != NULL && atomic_load(&mb->waiters) > 0) {
            pthread_mutex_lock(&wait_lock);
            pthread_cond_broadcast(&mb->cond);
            pthread_mutex_unlock(&wait_lock);
        }
        if (atomic_load(&mb->fd_wanted))
            write_fd(mb->fd);
    }
    atomic_fetch_sub_explicit(&mb->senders, 1, memory_order_release);
    return 0;
}

/* Takes a command if there is one, else arms the sleep flag: returns 1
 * with cmd filled, or 0 with the reader marked asleep. */
static int take_or_arm(struct zmq__mailbox *mb, struct zmq__command *cmd)
{
    if (zmq__mailbox_idle(mb))
        return 0; /* already armed and nobody came: no store needed */
    struct zmq__mailbox_node *n = pop(mb);
    if (n == NULL) {
        /* A producer that cleared our flag since we armed it wrote the
         * fd; drain that before arming again, so the fd is readable only
         * for commands that come after this point. */
        if (mb->armed && atomic_load(&mb->asleep) == 0 &&
            atomic_load(&mb->fd_wanted))
            drain_fd(mb->fd);
        atomic_store(&mb->asleep, 1);
        mb->armed = true;
        n = pop(mb);
        if (n == NULL)
            return 0;
        /* Found after arming: its producer may have cleared the flag
         * before we set it, and more may be queued behind it with no
         * wake-up to come.  Clear the flag so zmq__mailbox_idle does not
         * say idle; the fd, if written, is drained at the next arming. */
        atomic_store(&mb->asleep, 0);
    }
    *cmd = n->cmd;
    free(n);
    return 1;
}

/* Absolute CLOCK_MONOTONIC deadline timeout_ms from now. */
static struct timespec deadline_after(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Thread-safe mailboxes: waits for a producer's broadcast with the
 * socket mutex released. */
static int wait_cond(struct zmq__mailbox *mb, int timeout_ms)
{
    struct timespec until;
    if (timeout_ms >= 0)
        until = deadline_after(timeout_ms);
    pthread_mutex_lock(&wait_lock);
    atomic_store(&mb->asleep, 1);
    mb->armed = true;
    /* Counted before the check: a producer that pushes after it sees the
     * count and broadcasts. */
    atomic_fetch_add(&mb->waiters, 1);
    int rc = 0;
    /* Empty: the reader is at the stub and nothing is linked behind it
     * (a producer half-way through a push broadcasts after we wait). */
    if (mb->tail == mb->stub && atomic_load(&mb->stub->next) == NULL) {
        pthread_mutex_unlock(mb->sync);
        if (timeout_ms < 0)
            rc = pthread_cond_wait(&mb->cond, &wait_lock);
        else
            rc = pthread_cond_timedwait(&mb->cond, &wait_lock, &until);
        atomic_fetch_sub(&mb->waiters, 1);
        pthread_mutex_unlock(&wait_lock);
        pthread_mutex_lock(mb->sync);
    } else {
        atomic_fetch_sub(&mb->waiters, 1);
        /* Not empty: stay awake (see take_or_arm). */
        atomic_store(&mb->asleep, 0);
        pthread_mutex_unlock(&wait_lock);
    }
    return rc == ETIMEDOUT ? -EAGAIN : 0;
}

int zmq__mailbox_recv(struct zmq__mailbox *mb, struct zmq__command *cmd,
                      int timeout_ms)
{
    uint64_t end = 0;
    if (timeout_ms > 0)
        end = zmq__clock_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (take_or_arm(mb, cmd))
            return 0;
        int left = timeout_ms;
        if (timeout_ms > 0) {
            uint64_t now = zmq__clock_now_ms();
            if (now >= end)
                return -EAGAIN;
            left = (int)(end - now);
        }
        if (left == 0)
            return -EAGAIN;

        if (mb->sync != NULL) {
            /* Several threads may wait on one thread-safe socket and the
             * command that woke them all goes to one of them, so every
             * waiter goes back to retry its operation. */
            int rc = wait_cond(mb, left);
            if (take_or_arm(mb, cmd))
                return 0;
            return rc == -EAGAIN ? -EAGAIN : -ECANCELED;
        }
        int rc;
        if (mb->spin_us > 0 && !atomic_load(&mb->fd_wanted) && spin(mb, left))
            continue; /* a producer cleared the flag: take its command */
        if (!atomic_load(&mb->fd_wanted)) {
            /* fd_wanted is set by this thread (ZMQ_FD, zmq_poll); were
             * another thread to set it during the wait, the producer
             * that finds BLOCKED still wakes the futex (and writes the
             * fd). */
            int armed_flag = 1;
            rc = 1;
            if (atomic_compare_exchange_strong(&mb->asleep, &armed_flag,
                                               BLOCKED)) {
                rc =
                    futex_wait(&mb->asleep, BLOCKED, left < 0 ? INT_MAX : left);
                int blocked = BLOCKED;
                atomic_compare_exchange_strong(&mb->asleep, &blocked, 1);
                if (rc == -EINTR)
                    return -EINTR;
                rc = rc == -ETIMEDOUT ? 0 : 1;
            }
        } else {
            struct pollfd pfd = {.fd = mb->fd, .events = POLLIN};
            rc = poll(&pfd, 1, left);
            if (rc < 0)
                return errno == EINTR ? -EINTR : -errno;
        }
        if (rc == 0 && timeout_ms > 0 && zmq__clock_now_ms() >= end)
            return take_or_arm(mb, cmd) ? 0 : -EAGAIN;
    }
}

int zmq__mailbox_fd(struct zmq__mailbox *mb)
{
    /* Commands that came before anyone watched the fd wrote nothing to
     * it: as with every ZMQ_FD, the watcher reads ZMQ_EVENTS (which takes
     * them and arms the fd) before it first waits. */
    atomic_store(&mb->fd_wanted, true);
    return mb->fd;
}
