/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Asynchronous tcp name resolution, so that I/O threads never block on
 * DNS.
 *
 * An I/O-thread object (a tcp connecter, say) that needs a lookup (see
 * zmq__tcp_needs_lookup) calls zmq__resolver_start.  The lookup runs
 * zmq__tcp_resolve on a thread of its own, then posts ZMQ__CMD_RESOLVED
 * to the request, whose mailbox is the caller's I/O thread; there
 * zmq__resolver_process_done calls done() (unless the request was
 * cancelled) and frees the request.
 *
 * Life cycle of a request: started -> (cancelled) -> result arrives ->
 * freed.  The owner forgets its pointer when done() is called or when
 * it calls zmq__resolver_cancel, whichever comes first; the request is
 * freed by the library after that.
 *
 * Context termination never waits for a lookup: zmq__resolver_ctx_shutdown
 * (called by zmq__ctx_term once every socket is gone, before it stops the
 * I/O threads) makes lookups still in flight free their request
 * themselves when they finish, without posting anything.  Every owner is
 * gone by then, so every request left has been cancelled.
 *
 * Lookup threads block every signal, so they never take a signal meant
 * for the application.
 *
 * Threading: start, cancel and process_done on the I/O thread that owns
 * `mailbox`; ctx_shutdown from the terminating thread; the test hooks
 * from any thread.
 */
#ifndef ZMQ__RESOLVER_H
#define ZMQ__RESOLVER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "core/object.h"
#include "transport/address.h"

struct zmq__ctx;
struct zmq__mailbox;
struct zmq__resolver_shared;

/* Called on the I/O thread with the outcome of zmq__tcp_resolve: rc 0 and
 * the target, or a negative errno (see address.h) and t NULL.  t is
 * valid during the call only.  The request is freed right after the
 * call returns: do not cancel it from here. */
typedef void zmq__resolver_done_fn(void *arg, int rc,
                                   const struct zmq__tcp_target *t);

struct zmq__resolve_req {
    struct zmq__object obj; /* first: the RESOLVED command's destination */
    /* Set by start; read-only afterwards. */
    struct zmq__resolver_shared *shared;
    char *addr;
    bool bind, ipv6;
    zmq__resolver_done_fn *done;
    void *arg;
    /* Set by the owner's I/O thread. */
    atomic_bool cancelled;
    /* Written by the lookup thread before it posts RESOLVED, read by the
     * I/O thread after (the mailbox orders the two). */
    int rc;
    struct zmq__tcp_target target;
};

/* Starts resolving addr (what follows "tcp://"; bind and ipv6 as for
 * zmq__tcp_resolve).  The result comes to `mailbox` as ZMQ__CMD_RESOLVED
 * and, through zmq__object_dispatch, to done(arg, ...).  Returns the
 * request, or NULL with *err: -ENOMEM, -EAGAIN (no thread could be
 * started), -ETERM (the context's resolver was shut down). */
struct zmq__resolve_req *
zmq__resolver_start(struct zmq__ctx *ctx, struct zmq__mailbox *mailbox,
                    const char *addr, bool bind, bool ipv6,
                    zmq__resolver_done_fn *done, void *arg, int *err);

/* The owner no longer wants the result: done() will not be called.  The
 * request is freed when the lookup finishes; the caller must forget it
 * now.  Call it at most once, and not after done() was called. */
void zmq__resolver_cancel(struct zmq__resolve_req *req);

/* RESOLVED: calls done() unless cancelled, then frees the request. */
void zmq__resolver_process_done(struct zmq__resolve_req *req);

/* The context is terminating: lookups finishing from now on post
 * nothing and free their own request.  Idempotent; returns at once (it
 * never waits for a lookup).  zmq__resolver_start then fails with
 * -ETERM. */
void zmq__resolver_ctx_shutdown(struct zmq__ctx *ctx);

/* ------------------------------------------------------------------------ */
/* For tests                                                                 */
/* ------------------------------------------------------------------------ */

/* Lookup threads that have not finished yet, in the whole process (they
 * are counted down after the last thing they touch). */
int zmq__resolver_inflight(void);

/* Test hook: when set, every lookup thread calls hook(addr) before it
 * resolves, so a test can hold a lookup (to cancel it, or shut the
 * context down, while it is in flight).  NULL: no hook.  Not for use
 * outside tests. */
typedef void zmq__resolver_hook_fn(const char *addr);
void zmq__resolver_set_test_hook(zmq__resolver_hook_fn *hook);

#endif
