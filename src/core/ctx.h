/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Contexts: the root of everything.  A context owns the I/O threads, the
 * reaper, the list of sockets and the inproc endpoint table.
 *
 * Life cycle: threads start with the first socket; zmq__ctx_shutdown
 * stops every socket (blocking calls return ETERM); zmq__ctx_term does
 * that too, then waits until every socket has been closed by the
 * application and finished by the reaper (after its linger), then stops
 * the threads and frees the context.
 *
 * Threading: every function may be called from any thread; the fields
 * are guarded by `lock` unless noted.
 */
#ifndef ZMQ__CTX_H
#define ZMQ__CTX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/mailbox.h"

struct zmq__io_thread;
struct zmq__pipe;
struct zmq__resolver_shared;
struct zmq__socket;

#define ZMQ__CTX_TAG      0xabadcafeu
#define ZMQ__CTX_TAG_DEAD 0xdeadbeefu

struct zmq__ctx {
    uint32_t tag; /* ZMQ__CTX_TAG while the context is usable */
    pthread_mutex_t lock;
    pthread_cond_t reaped; /* signalled when a socket has been freed */

    /* Options (zmq_ctx_set). */
    int io_threads, max_sockets, thread_priority, thread_sched_policy;
    int max_msgsz, ipv6, blocky, zero_copy_recv;
    char thread_name_prefix[16];
    uint64_t affinity_cpus[16]; /* 1024-CPU bit set */
    bool affinity_set;

    bool started;                 /* threads running */
    bool terminating;             /* shutdown or term called */
    struct zmq__socket **sockets; /* open (not yet closed) sockets */
    size_t nsockets, socket_cap;
    size_t live_sockets; /* created and not yet freed */

    struct zmq__io_thread **io;
    int nio;
    struct zmq__io_thread *reaper; /* an io thread in the reaper role */

    /* inproc */
    struct zmq__ctx_endpoint *endpoints;
    size_t nendpoints, endpoint_cap;
    struct zmq__ctx_pending *pending;
    size_t npending, pending_cap;

    /* tcp name lookups (transport/resolver.c): made on first use, let go
     * by zmq__resolver_ctx_shutdown, which also sets resolver_shut. */
    struct zmq__resolver_shared *resolver;
    bool resolver_shut;
};

/* A new context, or NULL with *err set. */
struct zmq__ctx *zmq__ctx_new(int *err);

static inline bool zmq__ctx_check(const struct zmq__ctx *ctx)
{
    return ctx != NULL && ctx->tag == ZMQ__CTX_TAG;
}

/* Stops every socket; idempotent.  0. */
int zmq__ctx_shutdown(struct zmq__ctx *ctx);

/* Shuts down, waits for all sockets to be closed and reaped, stops the
 * threads and frees the context.  -EINTR if a signal interrupted the
 * wait (the context is then still alive; call again). */
int zmq__ctx_term(struct zmq__ctx *ctx);

int zmq__ctx_set(struct zmq__ctx *ctx, int option, int value);
/* Reads an option into *value.  -EINVAL for an unknown option. */
int zmq__ctx_get(struct zmq__ctx *ctx, int option, int *value);
int zmq__ctx_set_ext(struct zmq__ctx *ctx, int option, const void *val,
                     size_t len);
int zmq__ctx_get_ext(struct zmq__ctx *ctx, int option, void *val, size_t *len);

/* A new socket of the given type.  NULL with *err: -EINVAL (type),
 * -ETERM, -EMFILE (MAX_SOCKETS), -ENOMEM, or a thread start error. */
struct zmq__socket *zmq__ctx_create_socket(struct zmq__ctx *ctx, int type,
                                           int *err);

/* The application closed s: forget it and hand it to the reaper. */
void zmq__ctx_socket_closed(struct zmq__ctx *ctx, struct zmq__socket *s);

/* The reaper freed a socket. */
void zmq__ctx_socket_freed(struct zmq__ctx *ctx);

/* The I/O thread with the least load among those allowed by affinity
 * (0: any), or NULL when the context has no I/O threads. */
struct zmq__io_thread *zmq__ctx_choose_io_thread(struct zmq__ctx *ctx,
                                                 uint64_t affinity);

/* inproc: registers name for the bound socket s and hands s every pipe
 * end waiting for that name (connects made before the bind).
 * -EADDRINUSE. */
int zmq__ctx_bind_inproc(struct zmq__ctx *ctx, const char *name,
                         struct zmq__socket *s);

/* inproc: removes every name bound by s, or only `name` if not NULL.
 * Returns how many were removed. */
size_t zmq__ctx_unbind_inproc(struct zmq__ctx *ctx, const char *name,
                              struct zmq__socket *s);

/* inproc: connects s to name.  Creates the pipe pair; *local receives
 * the end for s (not yet attached).  The other end goes to the bound
 * socket, or waits in the pending list until one binds. */
int zmq__ctx_connect_inproc(struct zmq__ctx *ctx, const char *name,
                            struct zmq__socket *s, struct zmq__pipe **local);

/* The owner of a pending pipe end is terminating it: if it is still
 * pending, removes it and returns true (the caller frees the pair). */
bool zmq__ctx_cancel_pending(struct zmq__ctx *ctx, struct zmq__pipe *local);

#endif
