/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Background threads: each runs one poller loop with timers and a
 * mailbox.  The context starts `io_threads` of them for connections and
 * one more as the reaper, which finishes closed sockets (linger, pipe
 * termination) so that zmq_close never blocks.
 *
 * Threading: start/stop from the context (any application thread); all
 * else on the thread itself.  Objects living on the thread reach it with
 * commands posted to `mailbox`.
 */
#ifndef ZMQ__IO_THREAD_H
#define ZMQ__IO_THREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mailbox.h"
#include "core/object.h"

struct zmq__poller;
struct zmq__poller_entry;
struct zmq__thread;

struct zmq__io_thread {
    struct zmq__object obj; /* commands to the thread itself */
    struct zmq__mailbox mailbox;
    struct zmq__poller *poller;
    struct zmq__poller_entry *mailbox_entry;
    struct zmq__thread *thread;
    bool stopping; /* thread-owned */
};

/* Starts a thread named `name` (cut to 15 characters).  NULL with *err. */
struct zmq__io_thread *zmq__io_thread_start(struct zmq__ctx *ctx,
                                            const char *name, int *err);

/* Asks the thread to leave its loop, waits for it and frees it. */
void zmq__io_thread_stop(struct zmq__io_thread *t);

/* Descriptors registered with the thread's poller (any thread). */
size_t zmq__io_thread_load(const struct zmq__io_thread *t);

/* REAP: the reaper takes over a closed socket. */
void zmq__io_thread_process_reap(struct zmq__io_thread *t,
                                 struct zmq__socket *s);

#endif
