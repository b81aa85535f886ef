/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Contexts.
 *
 * One mutex guards the context's own state: options, the socket list,
 * the inproc endpoint and pending tables.  It is a leaf lock for
 * everything but socket attachment: a socket's mutex may be held when it
 * is taken, never the other way round, and nothing under it blocks.
 *
 * inproc connects need no thread: the connecting socket makes the pipe
 * pair itself.  If the endpoint is bound, the far end goes to the bound
 * socket in a BIND command; if not, it waits in the pending table and the
 * binding socket collects it when it binds.  High-water marks add the
 * two sides' values (either being 0 means no limit), with the bound
 * side's values recorded when it bound.
 */
#include "core/ctx.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/io_thread.h"
#include "core/pipe.h"
#include "core/thread.h"
#include "socket/socket.h"
#include "transport/resolver.h"
#include "zmq.h"

struct zmq__ctx_endpoint {
    char *name;
    struct zmq__socket *socket;
    int sndhwm, rcvhwm;    /* the bound socket's, when it bound */
    uint8_t identity_size; /* its ZMQ_ROUTING_ID, when it bound */
    unsigned char identity[255];
    /* Its ZMQ_CONFLATE, per direction, when it bound. */
    bool conflate_send, conflate_recv;
};

struct zmq__ctx_pending {
    char *name;
    struct zmq__socket *connector;
    struct zmq__pipe *local;  /* the connector's end */
    struct zmq__pipe *remote; /* the end for the future binder */
    int sndhwm, rcvhwm;       /* the connector's */
};

/* The socket limit reported for the epoll backend, as libzmq. */
#define SOCKET_LIMIT 65535

struct zmq__ctx *zmq__ctx_new(int *err)
{
    struct zmq__ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_cond_init(&ctx->reaped, NULL);
    ctx->io_threads = ZMQ_IO_THREADS_DFLT;
    ctx->max_sockets = ZMQ_MAX_SOCKETS_DFLT;
    ctx->thread_priority = ZMQ_THREAD_PRIORITY_DFLT;
    ctx->thread_sched_policy = ZMQ_THREAD_SCHED_POLICY_DFLT;
    ctx->max_msgsz = INT_MAX;
    ctx->ipv6 = 0;
    ctx->blocky = 1;
    ctx->zero_copy_recv = 1;
    ctx->tag = ZMQ__CTX_TAG;
    return ctx;
}

/* Applies the context's scheduling options to a new background thread. */
static void schedule(struct zmq__ctx *ctx, struct zmq__io_thread *t)
{
    zmq__thread_schedule(t->thread, ctx->thread_sched_policy,
                         ctx->thread_priority,
                         ctx->affinity_set ? ctx->affinity_cpus : NULL,
                         sizeof ctx->affinity_cpus * 8);
}

/* Starts the I/O threads and the reaper (lock held). */
static int start_threads(struct zmq__ctx *ctx)
{
    char name[64];
    const char *pfx = ctx->thread_name_prefix;
    const char *sep = pfx[0] ? "/" : "";
    int err = 0;

    snprintf(name, sizeof name, "%s%sZMQbg/Reaper", pfx, sep);
    ctx->reaper = zmq__io_thread_start(ctx, name, &err);
    if (ctx->reaper == NULL)
        return err;
    schedule(ctx, ctx->reaper);
    ctx->io = calloc((size_t)ctx->io_threads + 1, sizeof *ctx->io);
    if (ctx->io == NULL) {
        zmq__io_thread_stop(ctx->reaper);
        ctx->reaper = NULL;
        return -ENOMEM;
    }
    for (int i = 0; i < ctx->io_threads; i++) {
        snprintf(name, sizeof name, "%s%sZMQbg/IO/%d", pfx, sep, i);
        ctx->io[i] = zmq__io_thread_start(ctx, name, &err);
        if (ctx->io[i] == NULL) {
            while (i-- > 0)
                zmq__io_thread_stop(ctx->io[i]);
            free(ctx->io);
            ctx->io = NULL;
            zmq__io_thread_stop(ctx->reaper);
            ctx->reaper = NULL;
            return err;
        }
        schedule(ctx, ctx->io[i]);
        ctx->nio = i + 1;
    }
    ctx->started = true;
    return 0;
}

struct zmq__socket *zmq__ctx_create_socket(struct zmq__ctx *ctx, int type,
                                           int *err)
{
    pthread_mutex_lock(&ctx->lock);
    struct zmq__socket *s = NULL;
    if (ctx->terminating) {
        *err = -ETERM;
        goto out;
    }
    if (ctx->nsockets >= (size_t)ctx->max_sockets) {
        *err = -EMFILE;
        goto out;
    }
    if (ctx->nsockets == ctx->socket_cap) {
        size_t cap = ctx->socket_cap ? ctx->socket_cap * 2 : 16;
        struct zmq__socket **v = realloc(ctx->sockets, cap * sizeof *v);
        if (v == NULL) {
            *err = -ENOMEM;
            goto out;
        }
        ctx->sockets = v;
        ctx->socket_cap = cap;
    }
    if (!ctx->started) {
        *err = start_threads(ctx);
        if (*err < 0)
            goto out;
    }
    s = zmq__socket_new(ctx, type, err);
    if (s != NULL) {
        ctx->sockets[ctx->nsockets++] = s;
        ctx->live_sockets++;
    }
out:
    pthread_mutex_unlock(&ctx->lock);
    return s;
}

void zmq__ctx_socket_closed(struct zmq__ctx *ctx, struct zmq__socket *s)
{
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->nsockets; i++) {
        if (ctx->sockets[i] == s) {
            ctx->sockets[i] = ctx->sockets[--ctx->nsockets];
            break;
        }
    }
    struct zmq__command cmd = {0};
    cmd.args.reap.socket = s;
    zmq__object_send(&ctx->reaper->obj, ZMQ__CMD_REAP, &cmd);
    pthread_mutex_unlock(&ctx->lock);
}

void zmq__ctx_socket_freed(struct zmq__ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    ctx->live_sockets--;
    pthread_cond_broadcast(&ctx->reaped);
    pthread_mutex_unlock(&ctx->lock);
}

/* Lock held: tells every open socket that the context is ending. */
static void stop_sockets(struct zmq__ctx *ctx)
{
    if (ctx->terminating)
        return;
    ctx->terminating = true;
    for (size_t i = 0; i < ctx->nsockets; i++) {
        struct zmq__command cmd = {0};
        zmq__object_send(&ctx->sockets[i]->obj, ZMQ__CMD_STOP, &cmd);
    }
}

int zmq__ctx_shutdown(struct zmq__ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    stop_sockets(ctx);
    pthread_mutex_unlock(&ctx->lock);
    return 0;
}

int zmq__ctx_term(struct zmq__ctx *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    stop_sockets(ctx);
    while (ctx->live_sockets > 0)
        pthread_cond_wait(&ctx->reaped, &ctx->lock);
    pthread_mutex_unlock(&ctx->lock);

    /* No socket is left, so no command can reach the threads any more
     * but ours and those of lookups still in flight, which this stops
     * (without waiting for them). */
    zmq__resolver_ctx_shutdown(ctx);
    for (int i = 0; i < ctx->nio; i++)
        zmq__io_thread_stop(ctx->io[i]);
    if (ctx->reaper != NULL)
        zmq__io_thread_stop(ctx->reaper);
    free(ctx->io);
    free(ctx->sockets);
    for (size_t i = 0; i < ctx->nendpoints; i++)
        free(ctx->endpoints[i].name);
    free(ctx->endpoints);
    for (size_t i = 0; i < ctx->npending; i++) {
        free(ctx->pending[i].name);
        zmq__pipe_free_pair(ctx->pending[i].local);
    }
    free(ctx->pending);
    pthread_cond_destroy(&ctx->reaped);
    pthread_mutex_destroy(&ctx->lock);
    ctx->tag = ZMQ__CTX_TAG_DEAD;
    free(ctx);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

static int set_affinity(struct zmq__ctx *ctx, int cpu, bool add)
{
    if (cpu < 0 || cpu >= (int)(sizeof ctx->affinity_cpus * 8))
        return -EINVAL;
    uint64_t bit = (uint64_t)1 << (cpu % 64);
    if (add) {
        ctx->affinity_cpus[cpu / 64] |= bit;
    } else {
        if (!(ctx->affinity_cpus[cpu / 64] & bit))
            return -EINVAL; /* not in the set */
        ctx->affinity_cpus[cpu / 64] &= ~bit;
    }
    ctx->affinity_set = true;
    return 0;
}

int zmq__ctx_set(struct zmq__ctx *ctx, int option, int value)
{
    if (value < 0)
        return -EINVAL;
    int rc = 0;
    pthread_mutex_lock(&ctx->lock);
    switch (option) {
    case ZMQ_IO_THREADS:
        /* Stored always; counts only before the first socket starts the
         * threads (zmq__ctx_create_socket reads it then). */
        ctx->io_threads = value;
        break;
    case ZMQ_MAX_SOCKETS:
        if (value < 1)
            rc = -EINVAL;
        else
            ctx->max_sockets = value;
        break;
    case ZMQ_THREAD_PRIORITY:
        ctx->thread_priority = value;
        break;
    case ZMQ_THREAD_SCHED_POLICY:
        ctx->thread_sched_policy = value;
        break;
    case ZMQ_THREAD_AFFINITY_CPU_ADD:
        rc = set_affinity(ctx, value, true);
        break;
    case ZMQ_THREAD_AFFINITY_CPU_REMOVE:
        rc = set_affinity(ctx, value, false);
        break;
    case ZMQ_THREAD_NAME_PREFIX:
        snprintf(ctx->thread_name_prefix, sizeof ctx->thread_name_prefix, "%d",
                 value);
        break;
    case ZMQ_MAX_MSGSZ:
        ctx->max_msgsz = value;
        break;
    case ZMQ_IPV6: /* any non-negative value, read back as 0 or 1 */
        ctx->ipv6 = value != 0;
        break;
    case ZMQ_BLOCKY:
        ctx->blocky = value != 0;
        break;
    case ZMQ_ZERO_COPY_RECV:
        ctx->zero_copy_recv = value != 0;
        break;
    default:
        rc = -EINVAL;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int zmq__ctx_get(struct zmq__ctx *ctx, int option, int *value)
{
    int rc = 0;
    pthread_mutex_lock(&ctx->lock);
    switch (option) {
    case ZMQ_IO_THREADS:
        *value = ctx->io_threads;
        break;
    case ZMQ_MAX_SOCKETS:
        *value = ctx->max_sockets;
        break;
    case ZMQ_SOCKET_LIMIT: /* same number as THREAD_PRIORITY: reads this */
        *value = SOCKET_LIMIT;
        break;
    case ZMQ_THREAD_SCHED_POLICY:
        *value = ctx->thread_sched_policy;
        break;
    case ZMQ_THREAD_NAME_PREFIX:
        *value = atoi(ctx->thread_name_prefix);
        break;
    case ZMQ_MAX_MSGSZ:
        *value = ctx->max_msgsz;
        break;
    case ZMQ_MSG_T_SIZE:
        *value = (int)sizeof(zmq_msg_t);
        break;
    case ZMQ_IPV6:
        *value = ctx->ipv6;
        break;
    case ZMQ_BLOCKY:
        *value = ctx->blocky;
        break;
    case ZMQ_ZERO_COPY_RECV:
        *value = ctx->zero_copy_recv;
        break;
    default:
        rc = -EINVAL;
    }
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

int zmq__ctx_set_ext(struct zmq__ctx *ctx, int option, const void *val,
                     size_t len)
{
    if (option == ZMQ_THREAD_NAME_PREFIX && len != sizeof(int)) {
        /* A string prefix of at most 16 bytes (a NUL may end it early). */
        if (val == NULL || len > sizeof ctx->thread_name_prefix)
            return -EINVAL;
        pthread_mutex_lock(&ctx->lock);
        memset(ctx->thread_name_prefix, 0, sizeof ctx->thread_name_prefix);
        memcpy(ctx->thread_name_prefix, val,
               len < sizeof ctx->thread_name_prefix
                   ? len
                   : sizeof ctx->thread_name_prefix - 1);
        pthread_mutex_unlock(&ctx->lock);
        return 0;
    }
    if (val == NULL || len != sizeof(int))
        return -EINVAL;
    int value;
    memcpy(&value, val, sizeof value);
    return zmq__ctx_set(ctx, option, value);
}

int zmq__ctx_get_ext(struct zmq__ctx *ctx, int option, void *val, size_t *len)
{
    if (option == ZMQ_THREAD_NAME_PREFIX && *len != sizeof(int)) {
        pthread_mutex_lock(&ctx->lock);
        size_t n = strlen(ctx->thread_name_prefix) + 1;
        int rc = 0;
        if (*len < n)
            rc = -EINVAL;
        else
            memcpy(val, ctx->thread_name_prefix, n);
        *len = n;
        pthread_mutex_unlock(&ctx->lock);
        return rc;
    }
    if (*len < sizeof(int))
        return -EINVAL;
    int value;
    int rc = zmq__ctx_get(ctx, option, &value);
    if (rc < 0)
        return rc;
    memcpy(val, &value, sizeof value);
    *len = sizeof value;
    return 0;
}

struct zmq__io_thread *zmq__ctx_choose_io_thread(struct zmq__ctx *ctx,
                                                 uint64_t affinity)
{
    struct zmq__io_thread *best = NULL;
    size_t best_load = SIZE_MAX;
    for (int i = 0; i < ctx->nio; i++) {
        if (affinity != 0 && i < 64 && !(affinity & ((uint64_t)1 << i)))
            continue;
        size_t load = zmq__io_thread_load(ctx->io[i]);
        if (load < best_load) {
            best = ctx->io[i];
            best_load = load;
        }
    }
    return best;
}

/* ------------------------------------------------------------------------ */
/* inproc                                                                    */
/* ------------------------------------------------------------------------ */

/* Inproc pipe high-water marks add both sides; 0 on either is no limit. */
static int sum_hwm(int a, int b)
{
    if (a == 0 || b == 0)
        return 0;
    return a > INT_MAX - b ? INT_MAX : a + b;
}

static struct zmq__ctx_endpoint *find_endpoint(struct zmq__ctx *ctx,
                                               const char *name)
{
    for (size_t i = 0; i < ctx->nendpoints; i++)
        if (strcmp(ctx->endpoints[i].name, name) == 0)
            return &ctx->endpoints[i];
    return NULL;
}

/* Grows an array of `size`-byte elements to hold one more. */
static int reserve(void **array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *v = realloc(*array, ncap * size);
    if (v == NULL)
        return -ENOMEM;
    *array = v;
    *cap = ncap;
    return 0;
}

int zmq__ctx_bind_inproc(struct zmq__ctx *ctx, const char *name,
                         struct zmq__socket *s)
{
    pthread_mutex_lock(&ctx->lock);
    int rc = 0;
    if (find_endpoint(ctx, name) != NULL) {
        rc = -EADDRINUSE;
        goto out;
    }
    char *copy = strdup(name);
    if (copy == NULL || reserve((void **)&ctx->endpoints, &ctx->endpoint_cap,
                                ctx->nendpoints, sizeof *ctx->endpoints) < 0) {
        free(copy);
        rc = -ENOMEM;
        goto out;
    }
    struct zmq__ctx_endpoint *ep = &ctx->endpoints[ctx->nendpoints++];
    *ep = (struct zmq__ctx_endpoint){
        .name = copy,
        .socket = s,
        .sndhwm = s->options.sndhwm,
        .rcvhwm = s->options.rcvhwm,
        .identity_size = (uint8_t)s->options.routing_id_size,
    };
    zmq__socket_conflate_dirs(&s->options, &ep->conflate_send,
                              &ep->conflate_recv);
    memcpy(ep->identity, s->options.routing_id, ep->identity_size);

    /* Collect the connects that came first. */
    for (size_t i = 0; i < ctx->npending;) {
        struct zmq__ctx_pending *pd = &ctx->pending[i];
        if (strcmp(pd->name, name) != 0) {
            i++;
            continue;
        }
        struct zmq__pipe *remote = pd->remote, *local = pd->local;
        int to_binder = sum_hwm(pd->sndhwm, s->options.rcvhwm);
        int to_connector = sum_hwm(s->options.sndhwm, pd->rcvhwm);
        free(pd->name);
        ctx->pending[i] = ctx->pending[--ctx->npending];

        zmq__socket_own_pipe(s, remote);
        /* Conflating directions stay unlimited.  Our own ZMQ_CONFLATE
         * cannot change a pair made (and maybe written) before we bound:
         * it conflates as the connector asked. */
        zmq__pipe_set_hwms(remote, to_binder, to_connector);
        /* Our identity goes first (ROUTER peers name us by it); without
         * memory the peer names us itself. */
        zmq__pipe_send_identity(remote, s->options.routing_id,
                                s->options.routing_id_size);
        atomic_store(&local->peer_pending, false);
        zmq__socket_attach_pipe(s, remote);
    }
out:
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

size_t zmq__ctx_unbind_inproc(struct zmq__ctx *ctx, const char *name,
                              struct zmq__socket *s)
{
    size_t removed = 0;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->nendpoints;) {
        struct zmq__ctx_endpoint *ep = &ctx->endpoints[i];
        if (ep->socket == s && (name == NULL || strcmp(ep->name, name) == 0)) {
            free(ep->name);
            ctx->endpoints[i] = ctx->endpoints[--ctx->nendpoints];
            removed++;
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return removed;
}

int zmq__ctx_connect_inproc(struct zmq__ctx *ctx, const char *name,
                            struct zmq__socket *s, struct zmq__pipe **local)
{
    pthread_mutex_lock(&ctx->lock);
    struct zmq__ctx_endpoint *ep = find_endpoint(ctx, name);
    int hwm[2];
    if (ep != NULL) {
        hwm[0] = sum_hwm(s->options.sndhwm, ep->rcvhwm);
        hwm[1] = sum_hwm(ep->sndhwm, s->options.rcvhwm);
    } else {
        /* The binder is unknown: assume it matches us until it binds. */
        hwm[0] = sum_hwm(s->options.sndhwm, s->options.rcvhwm);
        hwm[1] = hwm[0];
    }
    /* A direction conflates when the socket writing it conflates what it
     * sends, or the one reading it what it receives (as two tcp sessions
     * would); the binder's part is known only if it bound already. */
    bool conflate[2];
    zmq__socket_conflate_dirs(&s->options, &conflate[0], &conflate[1]);
    if (ep != NULL) {
        conflate[0] = conflate[0] || ep->conflate_recv;
        conflate[1] = conflate[1] || ep->conflate_send;
    }
    struct zmq__pipe *ends[2];
    int rc = zmq__pipe_pair_conflate(ctx, ends, hwm, conflate);
    if (rc < 0)
        goto out;
    char *copy = NULL;
    if (ep == NULL && ((copy = strdup(name)) == NULL ||
                       reserve((void **)&ctx->pending, &ctx->pending_cap,
                               ctx->npending, sizeof *ctx->pending) < 0)) {
        free(copy);
        zmq__pipe_free_pair(ends[0]);
        rc = -ENOMEM;
        goto out;
    }

    /* Each side's identity is the first message it sends (a ROUTER names
     * its peers by them); the bound side's is written here, before its
     * end is handed over, when the bound socket is known, else when it
     * binds. */
    ends[0]->identity_first = true;
    ends[1]->identity_first = true;
    /* Our end gets its owner before anything can be sent to it. */
    zmq__socket_own_pipe(s, ends[0]);
    *local = ends[0];
    if (zmq__pipe_send_identity(ends[0], s->options.routing_id,
                                s->options.routing_id_size) < 0 ||
        (ep != NULL && zmq__pipe_send_identity(ends[1], ep->identity,
                                               ep->identity_size) < 0)) {
        free(copy);
        zmq__pipe_free_pair(ends[0]);
        rc = -ENOMEM;
        goto out;
    }

    if (ep != NULL) {
        ends[1]->obj.mailbox = &ep->socket->mailbox;
        struct zmq__command cmd = {0};
        cmd.args.bind.pipe = ends[1];
        zmq__object_send(&ep->socket->obj, ZMQ__CMD_BIND, &cmd);
    } else {
        atomic_store(&ends[0]->peer_pending, true);
        ctx->pending[ctx->npending++] = (struct zmq__ctx_pending){
            .name = copy,
            .connector = s,
            .local = ends[0],
            .remote = ends[1],
            .sndhwm = s->options.sndhwm,
            .rcvhwm = s->options.rcvhwm,
        };
    }
out:
    pthread_mutex_unlock(&ctx->lock);
    return rc;
}

bool zmq__ctx_cancel_pending(struct zmq__ctx *ctx, struct zmq__pipe *local)
{
    bool found = false;
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < ctx->npending; i++) {
        if (ctx->pending[i].local == local) {
            free(ctx->pending[i].name);
            ctx->pending[i] = ctx->pending[--ctx->npending];
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return found;
}
