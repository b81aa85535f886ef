/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Mailboxes: where a thread receives commands.
 *
 * Any number of threads post commands (multi-producer, lock-free); one
 * reader at a time takes them (the owning thread, or whoever holds the
 * owning socket's mutex).  Wake-ups cost a syscall only when the reader
 * sleeps: the reader marks itself asleep when it finds the mailbox
 * empty, and the first producer after that wakes it, through
 *  - the mailbox's eventfd (zmq__mailbox_fd), which I/O threads and the
 *    reaper put in their pollers and classic sockets expose as ZMQ_FD;
 *  - and, for mailboxes of thread-safe sockets (created with a mutex),
 *    a condition variable tied to that mutex, on which blocking calls
 *    wait.  Their eventfd is written only once someone asked for it
 *    (zmq__mailbox_fd: ZMQ_FD, a poller, the reaper).
 *
 * The eventfd contract, as libzmq's ZMQ_FD: it becomes readable when
 * commands arrive after the reader last found the mailbox empty.  It may
 * also be readable with nothing to read (spurious wake-ups are allowed).
 *
 * Threading: zmq__mailbox_send from any thread.  zmq__mailbox_recv and
 * zmq__mailbox_fd by the reader only (for thread-safe sockets: with
 * the socket's mutex held).  init/fini when no one else uses it.
 * Errors: 0 or a negative errno.
 */
#ifndef ZMQ__MAILBOX_H
#define ZMQ__MAILBOX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/command.h"

struct zmq__mailbox_node;

struct zmq__mailbox {
    /* Producers swing head; the reader owns tail. */
    _Atomic(struct zmq__mailbox_node *) head;
    struct zmq__mailbox_node *tail;
    struct zmq__mailbox_node *stub;
    /* 1 while the reader has seen the mailbox empty and has not been
     * woken since, 2 while it is blocked on it as a futex; the producer
     * that swaps it to 0 does the wake-up. */
    atomic_int asleep;
    /* Reader-owned: the reader set asleep and may have to drain the fd. */
    bool armed;
    int fd; /* eventfd */
    /* Someone waits on the fd (ZMQ_FD, zmq_poll, a poller): producers
     * write it.  Until then a single-threaded reader waits on the
     * futex and a thread-safe one on the condition variable. */
    atomic_bool fd_wanted;
    /* Reader-owned: microseconds a futex wait first spins, watching the
     * flag (0: none). */
    unsigned spin_us;
    /* Sends in progress: fini waits for them to leave the mailbox. */
    atomic_int senders;
    /* Thread-safe mailboxes: threads in the condition wait (changed
     * under the leaf lock); a producer broadcasts only when there are
     * some. */
    atomic_int waiters;
    pthread_mutex_t *sync; /* thread-safe sockets: the socket mutex */
    pthread_cond_t cond;
};

/* sync: NULL for a mailbox read by one thread; the socket mutex for a
 * thread-safe socket.  -ENOMEM, -EMFILE, ... */
int zmq__mailbox_init(struct zmq__mailbox *mb, pthread_mutex_t *sync);

/* Frees queued commands (they are dropped) and the descriptor. */
void zmq__mailbox_fini(struct zmq__mailbox *mb);

/* Posts a copy of cmd.  -ENOMEM (the command is not posted). */
int zmq__mailbox_send(struct zmq__mailbox *mb, const struct zmq__command *cmd);

/* Reader: true when the mailbox has certainly nothing to take, told by
 * one load: the reader armed the sleep flag and no producer has cleared
 * it.  A producer half-way through a push has not cleared it yet but
 * will, and then wakes the reader, so a caller that waits after this
 * says true misses nothing.  A cheap test for the send and receive
 * paths, which look for commands on every call. */
static inline bool zmq__mailbox_idle(struct zmq__mailbox *mb)
{
    return mb->armed &&
           atomic_load_explicit(&mb->asleep, memory_order_acquire) == 1;
}

/* Takes the next command into cmd, waiting up to timeout_ms (0: do not
 * wait; -1: no limit).  -EAGAIN when none came in time, -EINTR when a
 * signal interrupted the wait (classic mailboxes only), -ECANCELED when a
 * thread-safe mailbox's waiter woke with nothing to take (another thread
 * took the command, or the wake-up was for one already taken): the state
 * may have changed, so retry the operation, re-checking any deadline. */
int zmq__mailbox_recv(struct zmq__mailbox *mb, struct zmq__command *cmd,
                      int timeout_ms);

/* The eventfd; for thread-safe mailboxes this also turns on writing it. */
int zmq__mailbox_fd(struct zmq__mailbox *mb);

#endif
