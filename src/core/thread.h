/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Threads: the public zmq_threadstart/zmq_threadclose helpers and, later,
 * the library's I/O and reaper threads.
 *
 * Threading: start and join may be called from any thread; a handle is
 * joined exactly once.
 */
#ifndef ZMQ__THREAD_H
#define ZMQ__THREAD_H

#include <stddef.h>
#include <stdint.h>

struct zmq__thread;

typedef void(zmq__thread_fn)(void *arg);

/* Starts fn(arg) on a new thread.  name (may be NULL) is set as the
 * thread's name, cut to 15 characters.  Returns the handle, or NULL with
 * *err set to -ENOMEM or -EAGAIN. */
struct zmq__thread *zmq__thread_start(zmq__thread_fn *fn, void *arg,
                                      const char *name, int *err);

/* Scheduling for background threads (ZMQ_THREAD_SCHED_POLICY,
 * ZMQ_THREAD_PRIORITY, ZMQ_THREAD_AFFINITY_CPU_*).  -1 leaves a setting
 * alone; cpus (NULL: leave alone) is a bit set of ncpus bits.  Best
 * effort, as libzmq: the system may refuse (EPERM without privileges),
 * and the thread runs on with its defaults. */
void zmq__thread_schedule(struct zmq__thread *t, int policy, int priority,
                          const uint64_t *cpus, size_t ncpus);

/* Waits for the thread to return and frees the handle. */
void zmq__thread_join(struct zmq__thread *t);

#endif
