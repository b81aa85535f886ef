/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Asynchronous name resolution: one detached thread per lookup.
 *
 * Why a thread per lookup rather than a pool: lookups are rare (one per
 * connect or reconnect to a named host, at most one in flight per
 * connecter) and may each block for many seconds, so a pool would need
 * to grow to the same size anyway, and a thread that is never joined is
 * what lets context termination leave a slow lookup behind.
 *
 * What may be freed while a lookup thread runs:
 *  - the owner: it cancels first (an atomic flag the I/O thread reads
 *    when the result arrives), so done() is never called on it;
 *  - the I/O thread's mailbox and the context: guarded by a small shared
 *    struct, one per context, with a mutex, a "shut" flag and a
 *    reference count (one for the context, one per lookup thread).  A
 *    lookup thread posts its result with the mutex held and only if the
 *    context has not shut the resolver down; zmq__resolver_ctx_shutdown
 *    sets the flag under the same mutex before the I/O threads stop.  So
 *    a post either completes before the flag (and before the I/O
 *    thread's THREAD_STOP, which it therefore precedes in the mailbox and
 *    is dispatched, freeing the request), or does not happen (and the
 *    thread frees the request itself).  Whoever drops the last
 *    reference frees the shared struct.
 *
 * The request itself is freed by exactly one party: the I/O thread in
 * zmq__resolver_process_done after a post, or the lookup thread when it
 * did not post.
 *
 * Signals: the creating thread blocks every signal around pthread_create,
 * so the lookup thread starts with all of them blocked (a thread's mask
 * is inherited) and there is no moment at which it could take one.
 */
#include "transport/resolver.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/command.h"
#include "core/ctx.h"
#include "core/mailbox.h"
#include "zmq.h"

struct zmq__resolver_shared {
    pthread_mutex_t lock;
    int refs;  /* the context's + one per lookup thread; under lock */
    bool shut; /* the context is going; under lock */
};

static atomic_int inflight;
static _Atomic(zmq__resolver_hook_fn *) test_hook;

int zmq__resolver_inflight(void)
{
    return atomic_load(&inflight);
}

void zmq__resolver_set_test_hook(zmq__resolver_hook_fn *hook)
{
    atomic_store(&test_hook, hook);
}

static void req_free(struct zmq__resolve_req *req)
{
    free(req->addr);
    free(req);
}

/* Drops one reference (lock held); true when it was the last. */
static bool shared_unref_locked(struct zmq__resolver_shared *sh)
{
    return --sh->refs == 0;
}

static void shared_free(struct zmq__resolver_shared *sh)
{
    pthread_mutex_destroy(&sh->lock);
    free(sh);
}

static void *lookup_main(void *p)
{
    struct zmq__resolve_req *req = p;
    struct zmq__resolver_shared *sh = req->shared;

    pthread_setname_np(pthread_self(), "ZMQbg/Resolve");
    zmq__resolver_hook_fn *hook = atomic_load(&test_hook);
    if (hook != NULL)
        hook(req->addr);
    req->rc = zmq__tcp_resolve(req->addr, req->bind, req->ipv6, &req->target);

    pthread_mutex_lock(&sh->lock);
    if (!sh->shut) {
        struct zmq__command cmd;
        memset(&cmd, 0, sizeof cmd);
        zmq__object_send(&req->obj, ZMQ__CMD_RESOLVED, &cmd);
        req = NULL; /* the I/O thread's now */
    }
    bool last = shared_unref_locked(sh);
    pthread_mutex_unlock(&sh->lock);
    if (req != NULL)
        req_free(req);
    if (last)
        shared_free(sh);
    atomic_fetch_sub(&inflight, 1);
    return NULL;
}

/* The context's shared struct, made on first use (ctx->lock held).
 * NULL with *err once the resolver was shut down or without memory. */
static struct zmq__resolver_shared *get_shared(struct zmq__ctx *ctx, int *err)
{
    if (ctx->resolver_shut) {
        *err = -ETERM;
        return NULL;
    }
    if (ctx->resolver == NULL) {
        struct zmq__resolver_shared *sh = calloc(1, sizeof *sh);
        if (sh == NULL) {
            *err = -ENOMEM;
            return NULL;
        }
        pthread_mutex_init(&sh->lock, NULL);
        sh->refs = 1; /* the context's */
        ctx->resolver = sh;
    }
    return ctx->resolver;
}

/* Starts the detached lookup thread with every signal blocked. */
static int spawn(struct zmq__resolve_req *req)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return -ENOMEM;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t id;
    atomic_fetch_add(&inflight, 1);
    int rc = pthread_create(&id, &attr, lookup_main, req);
    if (rc != 0)
        atomic_fetch_sub(&inflight, 1);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : rc == ENOMEM ? -ENOMEM : -EAGAIN;
}

struct zmq__resolve_req *
zmq__resolver_start(struct zmq__ctx *ctx, struct zmq__mailbox *mailbox,
                    const char *addr, bool bind, bool ipv6,
                    zmq__resolver_done_fn *done, void *arg, int *err)
{
    struct zmq__resolve_req *req = calloc(1, sizeof *req);
    char *copy = strdup(addr);
    if (req == NULL || copy == NULL) {
        free(req);
        free(copy);
        *err = -ENOMEM;
        return NULL;
    }
    req->obj.ctx = ctx;
    req->obj.mailbox = mailbox;
    req->addr = copy;
    req->bind = bind;
    req->ipv6 = ipv6;
    req->done = done;
    req->arg = arg;
    atomic_init(&req->cancelled, false);

    pthread_mutex_lock(&ctx->lock);
    struct zmq__resolver_shared *sh = get_shared(ctx, err);
    if (sh != NULL) {
        pthread_mutex_lock(&sh->lock);
        sh->refs++; /* the lookup thread's, dropped by it */
        pthread_mutex_unlock(&sh->lock);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (sh == NULL) {
        req_free(req);
        return NULL;
    }
    req->shared = sh;

    int rc = spawn(req);
    if (rc < 0) {
        pthread_mutex_lock(&sh->lock);
        bool last = shared_unref_locked(sh);
        pthread_mutex_unlock(&sh->lock);
        if (last)
            shared_free(sh);
        req_free(req);
        *err = rc;
        return NULL;
    }
    return req;
}

void zmq__resolver_cancel(struct zmq__resolve_req *req)
{
    atomic_store(&req->cancelled, true);
}

void zmq__resolver_process_done(struct zmq__resolve_req *req)
{
    if (!atomic_load(&req->cancelled))
        req->done(req->arg, req->rc, req->rc == 0 ? &req->target : NULL);
    req_free(req);
}

void zmq__resolver_ctx_shutdown(struct zmq__ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    struct zmq__resolver_shared *sh = ctx->resolver;
    ctx->resolver = NULL;
    ctx->resolver_shut = true;
    pthread_mutex_unlock(&ctx->lock);
    if (sh == NULL)
        return;
    pthread_mutex_lock(&sh->lock);
    sh->shut = true;
    bool last = shared_unref_locked(sh);
    pthread_mutex_unlock(&sh->lock);
    if (last)
        shared_free(sh);
}
