/* SPDX-License-Identifier: MPL-2.0 */
/*
 * socket_base.
 *
 * Sends and receives try the type's op first and only block when it
 * says -EAGAIN: the wait is a wait for commands (a pipe reactivated, the
 * context stopping), bounded by SNDTIMEO/RCVTIMEO, after which the op is
 * tried again.  Commands are also taken without waiting at the start of
 * every call; an empty mailbox costs two atomic loads, so this needs no
 * throttling.
 *
 * Closing hands the socket to the reaper thread, which terminates the
 * pipes (delivering queued messages first when LINGER allows), arms the
 * linger timer, keeps processing the socket's commands from its own
 * poller, and frees the socket once the last pipe is gone.
 */
#include "socket/socket.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ctx.h"
#include "core/err.h"
#include "core/pipe.h"
#include "engine/own.h"
#include "poll/poller.h"
#include "socket/router.h"
#include "socket/types.h"
#include "transport/transport.h"
#include "zmq.h"

/* ------------------------------------------------------------------------ */
/* Locking                                                                   */
/* ------------------------------------------------------------------------ */

static void lock(struct zmq__socket *s)
{
    if (s->ops->thread_safe)
        pthread_mutex_lock(&s->sync);
}

static void unlock(struct zmq__socket *s)
{
    if (s->ops->thread_safe)
        pthread_mutex_unlock(&s->sync);
}

/* ------------------------------------------------------------------------ */
/* Pipe events                                                               */
/* ------------------------------------------------------------------------ */

static void on_read_activated(void *sink, struct zmq__pipe *p)
{
    struct zmq__socket *s = sink;
    s->ops->read_activated(s, p);
}

static void on_write_activated(void *sink, struct zmq__pipe *p)
{
    struct zmq__socket *s = sink;
    s->ops->write_activated(s, p);
}

static void forget_endpoints_of(struct zmq__socket *s, struct zmq__pipe *p)
{
    for (size_t i = 0; i < s->nendpoints;) {
        if (s->endpoints[i].pipe == p) {
            free(s->endpoints[i].uri);
            s->endpoints[i] = s->endpoints[--s->nendpoints];
        } else {
            i++;
        }
    }
}

static void on_terminated(void *sink, struct zmq__pipe *p)
{
    struct zmq__socket *s = sink;
    for (size_t i = 0; i < s->npipes; i++) {
        if (s->pipes[i] == p) {
            s->pipes[i] = s->pipes[--s->npipes];
            break;
        }
    }
    forget_endpoints_of(s, p);
    s->ops->pipe_terminated(s, p);
}

/* A pipe's statistics came back: one PIPES_STATS monitor event. */
static void on_stats(void *sink, struct zmq__pipe *p, uint64_t outbound,
                     uint64_t inbound)
{
    struct zmq__socket *s = sink;
    const char *endpoint = "";
    for (size_t i = 0; i < s->nendpoints; i++)
        if (s->endpoints[i].pipe == p)
            endpoint = s->endpoints[i].uri;
    uint64_t values[2] = {outbound, inbound};
    zmq__monitor_event(&s->monitor, ZMQ_EVENT_PIPES_STATS, values, 2, endpoint,
                       "");
}

static const struct zmq__pipe_sink_ops socket_sink_ops = {
    .read_activated = on_read_activated,
    .write_activated = on_write_activated,
    .terminated = on_terminated,
    .stats = on_stats,
};

void zmq__socket_own_pipe(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_attach(p, &s->mailbox, &socket_sink_ops, s);
}

void zmq__socket_attach_pipe(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__socket_own_pipe(s, p);
    if (s->npipes == s->pipe_cap) {
        size_t cap = s->pipe_cap ? s->pipe_cap * 2 : 8;
        struct zmq__pipe **v = realloc(s->pipes, cap * sizeof *v);
        if (v == NULL) {
            /* Without room to track it the connection cannot be served;
             * dropping it is the one safe answer. */
            zmq__pipe_terminate(p, false);
            return;
        }
        s->pipes = v;
        s->pipe_cap = cap;
    }
    s->pipes[s->npipes++] = p;
    /* Takes the peer's identity off the pipe if it is there already. */
    zmq__pipe_check_read(p);
    if (s->closing || s->ops->attach_pipe(s, p) < 0)
        zmq__pipe_terminate(p, false);
}

/* ------------------------------------------------------------------------ */
/* Creation                                                                  */
/* ------------------------------------------------------------------------ */

/* CPUs online, asked once. */
static long online_cpus(void)
{
    static atomic_long n;
    long v = atomic_load_explicit(&n, memory_order_relaxed);
    if (v == 0) {
        v = sysconf(_SC_NPROCESSORS_ONLN);
        if (v < 1)
            v = 1;
        atomic_store_explicit(&n, v, memory_order_relaxed);
    }
    return v;
}

struct zmq__socket *zmq__socket_new(struct zmq__ctx *ctx, int type, int *err)
{
    const struct zmq__socket_ops *ops;
    int rc = zmq__socket_type_ops(type, &ops);
    if (rc < 0) {
        *err = rc;
        return NULL;
    }
    struct zmq__socket *s = calloc(1, sizeof *s + ops->size);
    if (s == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    s->ops = ops;
    zmq__monitor_init(&s->monitor);
    s->obj.ctx = ctx;
    s->obj.mailbox = &s->mailbox;
    s->linger_timer = -1;
    if (ops->thread_safe)
        pthread_mutex_init(&s->sync, NULL);
    rc = zmq__mailbox_init(&s->mailbox, ops->thread_safe ? &s->sync : NULL);
    if (rc < 0)
        goto fail;
    if (ops->wait_spin_us > 0 && online_cpus() > 1)
        s->mailbox.spin_us = ops->wait_spin_us;
    zmq__options_init(&s->options, type, ops->thread_safe, ctx->ipv6,
                      ctx->blocky);
    if (ops->init != NULL && (rc = ops->init(s)) < 0) {
        zmq__options_fini(&s->options);
        zmq__mailbox_fini(&s->mailbox);
        goto fail;
    }
    s->tag = ZMQ__SOCKET_TAG;
    return s;

fail:
    if (ops->thread_safe)
        pthread_mutex_destroy(&s->sync);
    pthread_mutex_destroy(&s->monitor.lock);
    free(s);
    *err = rc;
    return NULL;
}

static void socket_free(struct zmq__socket *s)
{
    struct zmq__ctx *ctx = s->obj.ctx;
    if (s->ops->fini != NULL)
        s->ops->fini(s);
    pthread_mutex_destroy(&s->monitor.lock);
    zmq__options_fini(&s->options);
    zmq__mailbox_fini(&s->mailbox);
    if (s->ops->thread_safe)
        pthread_mutex_destroy(&s->sync);
    for (size_t i = 0; i < s->nendpoints; i++)
        free(s->endpoints[i].uri);
    free(s->endpoints);
    free(s->children);
    free(s->dying);
    free(s->early);
    free(s->pipes);
    free(s->last_endpoint);
    s->tag = ZMQ__SOCKET_TAG_DEAD;
    free(s);
    zmq__ctx_socket_freed(ctx);
}

/* ------------------------------------------------------------------------ */
/* Commands                                                                  */
/* ------------------------------------------------------------------------ */

/* Takes the commands waiting, the first one waiting up to timeout_ms.
 * 0, -ETERM once the context stopped, -EAGAIN when nothing came in time,
 * -EINTR. */
static int take_commands(struct zmq__socket *s, int timeout_ms)
{
    struct zmq__command cmd;
    int rc = zmq__mailbox_recv(&s->mailbox, &cmd, timeout_ms);
    bool took = rc == 0;
    while (rc == 0) {
        zmq__object_dispatch(&cmd);
        rc = zmq__mailbox_recv(&s->mailbox, &cmd, 0);
    }
    if (s->ctx_terminated)
        return -ETERM;
    if (took || rc == -ECANCELED || (rc == -EAGAIN && timeout_ms == 0))
        return 0;
    return rc; /* -EAGAIN: nothing came in time; -EINTR */
}

/* take_commands, with the common case (a non-blocking look at an idle
 * mailbox, on every send and receive) settled inline by one load. */
static inline int process_commands(struct zmq__socket *s, int timeout_ms)
{
    if (timeout_ms == 0 && zmq__mailbox_idle(&s->mailbox))
        return s->ctx_terminated ? -ETERM : 0;
    return take_commands(s, timeout_ms);
}

void zmq__socket_process_stop(struct zmq__socket *s)
{
    s->ctx_terminated = true;
}

void zmq__socket_process_bind(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__socket_attach_pipe(s, p);
}

/* ------------------------------------------------------------------------ */
/* Send and receive                                                          */
/* ------------------------------------------------------------------------ */

/* Milliseconds left until `end` (a zmq__clock_now_ms value), at least 0. */
static int ms_left(uint64_t end)
{
    uint64_t now = zmq__clock_now_ms();
    if (now >= end)
        return 0;
    uint64_t left = end - now;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* Runs op until it stops saying -EAGAIN, waiting for commands between
 * tries up to timeout_ms (-1: for ever).  Used by send and recv. */
static int retry_blocking(struct zmq__socket *s,
                          int (*op)(struct zmq__socket *, struct zmq__msg *),
                          struct zmq__msg *msg, int timeout_ms)
{
    uint64_t end =
        timeout_ms > 0 ? zmq__clock_now_ms() + (uint64_t)timeout_ms : 0;
    for (;;) {
        int wait = timeout_ms < 0 ? -1 : ms_left(end);
        if (timeout_ms > 0 && wait == 0)
            return -EAGAIN;
        int rc = process_commands(s, wait);
        if (rc < 0)
            return rc;
        rc = op(s, msg);
        if (rc != -EAGAIN)
            return rc;
    }
}

int zmq__socket_send(struct zmq__socket *s, struct zmq__msg *msg, int flags)
{
    lock(s);
    int rc = s->ctx_terminated ? -ETERM : process_commands(s, 0);
    if (rc < 0)
        goto out;
    uint8_t saved = msg->flags & ZMQ__MSG_MORE;
    if (flags & ZMQ_SNDMORE)
        msg->flags |= ZMQ__MSG_MORE;
    else
        msg->flags &= (uint8_t)~ZMQ__MSG_MORE;
    size_t size = zmq__msg_size(msg);

    rc = s->ops->send(s, msg);
    if (rc == -EAGAIN && !(flags & ZMQ_DONTWAIT) && s->options.sndtimeo != 0)
        rc = retry_blocking(s, s->ops->send, msg, s->options.sndtimeo);
    /* Only MORE is put back: a failed send that copied the body
     * (SHARED) must keep saying so. */
    if (rc < 0)
        msg->flags = (uint8_t)((msg->flags & ~ZMQ__MSG_MORE) | saved);
    else
        rc = size > INT_MAX ? INT_MAX : (int)size;
out:
    unlock(s);
    return rc;
}

int zmq__socket_recv(struct zmq__socket *s, struct zmq__msg *msg, int flags)
{
    lock(s);
    int rc = s->ctx_terminated ? -ETERM : process_commands(s, 0);
    if (rc < 0)
        goto out;
    struct zmq__msg in;
    zmq__msg_init(&in);
    rc = s->ops->recv(s, &in);
    if (rc == -EAGAIN && !(flags & ZMQ_DONTWAIT) && s->options.rcvtimeo != 0)
        rc = retry_blocking(s, s->ops->recv, &in, s->options.rcvtimeo);
    if (rc < 0) {
        zmq__msg_close(&in);
        goto out;
    }
    s->rcvmore = zmq__msg_more(&in);
    zmq__msg_close(msg);
    *msg = in;
    size_t size = zmq__msg_size(msg);
    rc = size > INT_MAX ? INT_MAX : (int)size;
out:
    unlock(s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */

int zmq__socket_setsockopt(struct zmq__socket *s, int option, const void *val,
                           size_t len)
{
    lock(s);
    int rc = -EINVAL;
    if (s->ctx_terminated)
        rc = -ETERM;
    else if (val == NULL && len > 0)
        rc = -EINVAL;
    else {
        if (s->ops->setsockopt != NULL)
            rc = s->ops->setsockopt(s, option, val, len);
        if (rc == -EINVAL)
            rc = zmq__options_set(&s->options, option, val, len);
    }
    unlock(s);
    return rc;
}

static int get_int(int value, void *val, size_t *len)
{
    if (*len < sizeof(int))
        return -EINVAL;
    memcpy(val, &value, sizeof value);
    *len = sizeof value;
    return 0;
}

int zmq__socket_getsockopt(struct zmq__socket *s, int option, void *val,
                           size_t *len)
{
    lock(s);
    int rc;
    if (s->ctx_terminated) {
        rc = -ETERM;
        goto out;
    }
    switch (option) {
    case ZMQ_RCVMORE:
        rc = get_int(s->rcvmore, val, len);
        goto out;
    case ZMQ_FD:
        if (*len < sizeof(zmq_fd_t)) {
            rc = -EINVAL;
        } else {
            zmq_fd_t fd = zmq__mailbox_fd(&s->mailbox);
            memcpy(val, &fd, sizeof fd);
            *len = sizeof fd;
            rc = 0;
        }
        goto out;
    case ZMQ_EVENTS:
        rc = process_commands(s, 0);
        if (rc == 0)
            rc = get_int((s->ops->has_in(s) ? ZMQ_POLLIN : 0) |
                             (s->ops->has_out(s) ? ZMQ_POLLOUT : 0),
                         val, len);
        goto out;
    case ZMQ_LAST_ENDPOINT: {
        const char *ep = s->last_endpoint ? s->last_endpoint : "";
        size_t n = strlen(ep) + 1;
        if (*len < n) {
            rc = -EINVAL;
        } else {
            memcpy(val, ep, n);
            *len = n;
            rc = 0;
        }
        goto out;
    }
    default:
        break;
    }
    rc = -EINVAL;
    if (s->ops->getsockopt != NULL)
        rc = s->ops->getsockopt(s, option, val, len);
    if (rc == -EINVAL)
        rc = zmq__options_get(&s->options, option, val, len);
out:
    unlock(s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Endpoints                                                                 */
/* ------------------------------------------------------------------------ */

/* Makes room for one more endpoint record.  -ENOMEM. */
static int reserve_endpoint(struct zmq__socket *s)
{
    if (s->nendpoints < s->endpoint_cap)
        return 0;
    size_t cap = s->endpoint_cap ? s->endpoint_cap * 2 : 4;
    struct zmq__socket_endpoint *v = realloc(s->endpoints, cap * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    s->endpoints = v;
    s->endpoint_cap = cap;
    return 0;
}

/* Makes room for two more records (best effort). */
static void reserve_endpoint2(struct zmq__socket *s)
{
    if (s->nendpoints + 1 < s->endpoint_cap)
        return;
    size_t cap = s->endpoint_cap * 2 + 2;
    struct zmq__socket_endpoint *v = realloc(s->endpoints, cap * sizeof *v);
    if (v != NULL) {
        s->endpoints = v;
        s->endpoint_cap = cap;
    }
}

/* Two copies of uri (the record's and LAST_ENDPOINT's), made before the
 * operation so that recording it afterwards cannot fail. */
static int copy_uri(const char *uri, char **copy, char **last)
{
    *copy = strdup(uri);
    *last = strdup(uri);
    if (*copy == NULL || *last == NULL) {
        free(*copy);
        free(*last);
        return -ENOMEM;
    }
    return 0;
}

/* Records an endpoint in reserved room; takes copy and last. */
static void add_endpoint(struct zmq__socket *s, char *copy, char *last,
                         bool bound, struct zmq__pipe *p,
                         struct zmq__own *child)
{
    s->endpoints[s->nendpoints++] = (struct zmq__socket_endpoint){
        .uri = copy, .bound = bound, .pipe = p, .child = child};
    free(s->last_endpoint);
    s->last_endpoint = last;
}

/* Common checks of bind/connect/unbind/disconnect. */
static int resolve(struct zmq__socket *s, const char *uri,
                   const struct zmq__transport **t, const char **addr)
{
    int rc = s->ctx_terminated ? -ETERM : process_commands(s, 0);
    if (rc < 0)
        return rc;
    rc = zmq__transport_find(uri, t, addr);
    if (rc < 0)
        return rc;
    if ((*t)->compatible != NULL && !(*t)->compatible(s->options.socket_type))
        return -ENOCOMPATPROTO;
    return 0;
}

int zmq__socket_bind(struct zmq__socket *s, const char *uri)
{
    lock(s);
    const struct zmq__transport *t;
    const char *addr;
    struct zmq__bound b = {NULL, NULL};
    char *copy = NULL, *last = NULL;
    int rc = resolve(s, uri, &t, &addr);
    if (rc == 0)
        rc = reserve_endpoint(s);
    if (rc == 0)
        rc = zmq__socket_reserve_child(s);
    if (rc == 0)
        reserve_endpoint2(s); /* room for an alias, if memory allows */
    if (rc == 0)
        rc = t->bind(s, addr, &b);
    if (rc == 0) {
        rc = copy_uri(b.endpoint != NULL ? b.endpoint : uri, &copy, &last);
        if (rc < 0) {
            if (b.child != NULL)
                zmq__socket_launch_and_term(s, b.child);
            else if (t->unbind != NULL)
                t->unbind(s, addr);
        }
    }
    if (rc == 0) {
        /* zmq_unbind takes the endpoint as given too (as libzmq, which
         * resolves it again), unless it asked for a wildcard: then only
         * the endpoint it became names it. */
        size_t n = strlen(uri);
        bool wildcard = (n >= 1 && uri[n - 1] == '*') ||
                        (n >= 2 && strcmp(uri + n - 2, ":0") == 0);
        char *alias = NULL, *alias_last = NULL;
        if (b.endpoint != NULL && b.child != NULL && !wildcard &&
            strcmp(b.endpoint, uri) != 0 &&
            s->nendpoints + 1 < s->endpoint_cap &&
            copy_uri(uri, &alias, &alias_last) == 0) {
            add_endpoint(s, alias, alias_last, true, NULL, b.child);
        }
        add_endpoint(s, copy, last, true, NULL, b.child);
        if (b.child != NULL)
            zmq__socket_launch(s, b.child);
    }
    free(b.endpoint);
    unlock(s);
    return rc;
}

/* connect, returning the new connection's pipe end (for PEER). */
static int do_connect(struct zmq__socket *s, const char *uri,
                      struct zmq__pipe **pipe)
{
    const struct zmq__transport *t;
    const char *addr;
    char *copy = NULL, *last = NULL;
    struct zmq__own *child = NULL;
    *pipe = NULL;
    int rc = resolve(s, uri, &t, &addr);
    if (rc < 0)
        return rc;
    /* As libzmq: these types connect to one endpoint once; a second
     * connect to it succeeds and does nothing. */
    int type = s->options.socket_type;
    if (type == ZMQ_DEALER || type == ZMQ_SUB || type == ZMQ_PUB ||
        type == ZMQ_REQ) {
        for (size_t i = 0; i < s->nendpoints; i++)
            if (!s->endpoints[i].bound && strcmp(s->endpoints[i].uri, uri) == 0)
                return 0;
    }
    rc = reserve_endpoint(s);
    if (rc == 0)
        rc = zmq__socket_reserve_child(s);
    if (rc == 0)
        rc = copy_uri(uri, &copy, &last);
    if (rc < 0)
        return rc;
    s->connect_id_size =
        zmq__options_take_connect_routing_id(&s->options, s->connect_id);
    rc = t->connect(s, addr, pipe, &child);
    s->connect_id_size = 0;
    if (rc < 0) {
        free(copy);
        free(last);
        return rc;
    }
    add_endpoint(s, copy, last, false, *pipe, child);
    if (child != NULL)
        zmq__socket_launch(s, child);
    return 0;
}

int zmq__socket_connect(struct zmq__socket *s, const char *uri)
{
    lock(s);
    struct zmq__pipe *pipe;
    int rc = do_connect(s, uri, &pipe);
    unlock(s);
    return rc;
}

int zmq__socket_monitor(struct zmq__socket *s, const char *addr,
                        uint64_t events, int version, int type)
{
    lock(s);
    int rc = s->ctx_terminated ? -ETERM : 0;
    if (rc == 0)
        rc = zmq__monitor_start(&s->monitor, s->obj.ctx, addr, events, version,
                                type);
    unlock(s);
    return rc;
}

int zmq__socket_monitor_pipes_stats(struct zmq__socket *s)
{
    lock(s);
    int rc = s->ctx_terminated ? -ETERM : process_commands(s, 0);
    if (rc == 0 && !zmq__monitor_wants(&s->monitor, ZMQ_EVENT_PIPES_STATS))
        rc = -EINVAL; /* no monitor, or PIPES_STATS not asked for */
    if (rc == 0)
        for (size_t i = 0; i < s->npipes; i++)
            zmq__pipe_request_stats(s->pipes[i]);
    unlock(s);
    return rc;
}

int zmq__socket_peer_state(struct zmq__socket *s, const void *id, size_t size)
{
    lock(s);
    int rc = s->ctx_terminated ? -ETERM : process_commands(s, 0);
    if (rc == 0)
        rc = zmq__router_peer_state(s, id, size);
    unlock(s);
    return rc;
}

/* join and leave share their checks. */
static int group_op(struct zmq__socket *s, const char *group, bool join)
{
    lock(s);
    int (*op)(struct zmq__socket *, const char *) =
        join ? s->ops->join : s->ops->leave;
    int rc = s->ctx_terminated ? -ETERM : process_commands(s, 0);
    if (rc == 0) {
        if (op == NULL)
            rc = -ENOTSUP;
        else if (strnlen(group, ZMQ_GROUP_MAX_LENGTH + 1) >
                 ZMQ_GROUP_MAX_LENGTH)
            rc = -EINVAL;
        else
            rc = op(s, group);
    }
    unlock(s);
    return rc;
}

int zmq__socket_join(struct zmq__socket *s, const char *group)
{
    return group_op(s, group, true);
}

int zmq__socket_leave(struct zmq__socket *s, const char *group)
{
    return group_op(s, group, false);
}

int64_t zmq__socket_connect_peer(struct zmq__socket *s, const char *uri)
{
    lock(s);
    int64_t rc;
    struct zmq__pipe *pipe;
    if (s->options.socket_type != ZMQ_PEER)
        rc = -ENOTSUP;
    else if (s->options.immediate == 1)
        rc = -EFAULT; /* no pipe, so no id, until the handshake is done */
    else if ((rc = do_connect(s, uri, &pipe)) == 0)
        /* The pipe was attached, and its id assigned, inside do_connect
         * with our mutex held: nobody else can have taken this id. */
        rc = pipe->routing_id;
    unlock(s);
    return rc;
}

int zmq__socket_disconnect_peer(struct zmq__socket *s, uint32_t id)
{
    lock(s);
    int rc;
    if (s->options.socket_type != ZMQ_PEER) {
        rc = -ENOTSUP;
    } else if (s->ctx_terminated) {
        rc = -ETERM;
    } else {
        process_commands(s, 0);
        struct zmq__pipe *p = zmq__socket_server_find(s, id);
        if (p == NULL || p->state != ZMQ__PIPE_ACTIVE) {
            rc = -EHOSTUNREACH;
        } else {
            forget_endpoints_of(s, p);
            zmq__pipe_terminate(p, true);
            rc = 0;
        }
    }
    unlock(s);
    return rc;
}

void zmq__socket_conflate_dirs(const struct zmq__options *o, bool *send,
                               bool *recv)
{
    int t = o->socket_type;
    bool on = o->conflate != 0;
    *send = on && (t == ZMQ_PUB || t == ZMQ_PUSH || t == ZMQ_DEALER);
    *recv = on && (t == ZMQ_SUB || t == ZMQ_PULL || t == ZMQ_DEALER);
}

bool zmq__socket_conflates(const struct zmq__socket *s)
{
    bool send, recv;
    zmq__socket_conflate_dirs(&s->options, &send, &recv);
    return send || recv;
}

uint32_t zmq__socket_reserve_routing_id(struct zmq__socket *s,
                                        struct zmq__pipe *p)
{
    if (!s->ops->thread_safe)
        return 0;
    lock(s);
    uint32_t id = 0;
    if ((s->options.socket_type == ZMQ_PEER ||
         s->options.socket_type == ZMQ_SERVER) &&
        zmq__server_reserve(s, p) == 0)
        id = p->routing_id;
    unlock(s);
    return id;
}

void zmq__socket_send_hello(struct zmq__socket *s, struct zmq__pipe *p)
{
    const struct zmq__options_str *hello = &s->options.hello_msg;
    if (!s->options.can_send_hello_msg || hello->size == 0)
        return;
    struct zmq__msg m;
    if (zmq__msg_init_buffer(&m, hello->data, hello->size) < 0)
        return; /* out of memory: the greeting is best effort */
    if (zmq__pipe_write(p, &m) == 0)
        zmq__pipe_flush(p);
    else
        zmq__msg_close(&m);
}

void zmq__socket_queue_disconnect_msg(struct zmq__socket *s,
                                      struct zmq__msg_queue *q,
                                      struct zmq__pipe *p)
{
    const struct zmq__options_str *notice = &s->options.disconnect_msg;
    /* Only when the peer went away, not when we ended the connection. */
    if (!s->options.can_recv_disconnect_msg || notice->size == 0 ||
        s->closing || p->state != ZMQ__PIPE_TERM_ACK_SENT)
        return;
    struct zmq__msg m;
    if (zmq__msg_init_buffer(&m, notice->data, notice->size) < 0)
        return;
    m.routing_id = p->routing_id;
    if (zmq__msg_queue_push(q, &m) < 0)
        zmq__msg_close(&m);
}

/* Sends TERM to a child and lists it among those whose TERM_ACK is
 * awaited.  The child frees itself right after its ack, so from now on
 * the socket only compares its address, never reads it. */
static void send_term(struct zmq__socket *s, struct zmq__own *child, int linger)
{
    while (s->ndying == s->dying_cap) {
        size_t cap = s->dying_cap ? s->dying_cap * 2 : 4;
        struct zmq__own **v = realloc(s->dying, cap * sizeof *v);
        if (v != NULL) {
            s->dying = v;
            s->dying_cap = cap;
        } else {
            /* Without the record the socket could be freed before the
             * ack arrives; wait for memory, as zmq__object_send does. */
            zmq__clock_sleep_ms(1);
        }
    }
    s->dying[s->ndying++] = child;
    struct zmq__command cmd = {.args.term.linger = linger};
    zmq__object_send(&child->obj, ZMQ__CMD_TERM, &cmd);
}

/* Forgets an early TERM_REQ of child (its OWN has come). */
static bool take_early(struct zmq__socket *s, const struct zmq__own *child)
{
    for (size_t i = 0; i < s->nearly; i++) {
        if (s->early[i] == child) {
            s->early[i] = s->early[--s->nearly];
            return true;
        }
    }
    return false;
}

/* Sends TERM to a listed child and forgets it (its ack is awaited). */
static void term_child_at(struct zmq__socket *s, size_t i)
{
    struct zmq__own *child = s->children[i];
    s->children[i] = s->children[--s->nchildren];
    for (size_t j = 0; j < s->nendpoints;) {
        if (s->endpoints[j].child == child) {
            free(s->endpoints[j].uri);
            s->endpoints[j] = s->endpoints[--s->nendpoints];
        } else {
            j++;
        }
    }
    send_term(s, child, s->options.linger);
}

/* Terminates the listed child `child` and, for a listener, the
 * connections it accepted.  Returns false when it is not listed. */
static bool term_child(struct zmq__socket *s, struct zmq__own *child)
{
    bool found = false;
    for (size_t i = 0; i < s->nchildren;) {
        struct zmq__own *c = s->children[i];
        if (c == child || (c->listener == child && child != NULL)) {
            found = found || c == child;
            term_child_at(s, i);
        } else {
            i++;
        }
    }
    return found;
}

int zmq__socket_reserve_child(struct zmq__socket *s)
{
    if (s->nchildren < s->child_cap)
        return 0;
    size_t cap = s->child_cap ? s->child_cap * 2 : 4;
    struct zmq__own **v = realloc(s->children, cap * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    s->children = v;
    s->child_cap = cap;
    return 0;
}

void zmq__socket_launch(struct zmq__socket *s, struct zmq__own *child)
{
    s->children[s->nchildren++] = child;
    struct zmq__command cmd = {0};
    zmq__object_send(&child->obj, ZMQ__CMD_PLUG, &cmd);
}

void zmq__socket_launch_and_term(struct zmq__socket *s, struct zmq__own *child)
{
    zmq__socket_launch(s, child);
    term_child(s, child);
}

void zmq__socket_process_own(struct zmq__socket *s, struct zmq__own *child)
{
    /* A listener that was sent TERM may still have accepted this one:
     * then, or when we are closing, it ends at once. */
    bool asked = take_early(s, child);
    if (s->closing || zmq__socket_reserve_child(s) < 0) {
        send_term(s, child, 0);
        return;
    }
    bool listener_alive = child->listener == NULL;
    for (size_t i = 0; i < s->nchildren && !listener_alive; i++)
        listener_alive = s->children[i] == child->listener;
    s->children[s->nchildren++] = child;
    if (!listener_alive || asked)
        term_child(s, child);
}

void zmq__socket_process_term_req(struct zmq__socket *s, struct zmq__own *child)
{
    /* Sent TERM already (the child may be gone by now: only compare). */
    for (size_t i = 0; i < s->ndying; i++)
        if (s->dying[i] == child)
            return;
    if (term_child(s, child))
        return;
    /* Not adopted yet: its OWN is still on the way (listener.c).  Keep
     * the request for then; without memory for that, the child ends
     * with the socket instead. */
    struct zmq__own **v = realloc(s->early, (s->nearly + 1) * sizeof *v);
    if (v != NULL) {
        s->early = v;
        s->early[s->nearly++] = child;
    }
}

void zmq__socket_process_term_ack(struct zmq__socket *s, struct zmq__own *child)
{
    for (size_t i = 0; i < s->ndying; i++) {
        if (s->dying[i] == child) {
            s->dying[i] = s->dying[--s->ndying];
            return;
        }
    }
}

int zmq__socket_unbind(struct zmq__socket *s, const char *uri)
{
    lock(s);
    const struct zmq__transport *t;
    const char *addr;
    int rc = resolve(s, uri, &t, &addr);
    if (rc == 0) {
        rc = -ENOENT;
        for (size_t i = 0; i < s->nendpoints; i++) {
            struct zmq__socket_endpoint *ep = &s->endpoints[i];
            if (ep->bound && strcmp(ep->uri, uri) == 0) {
                if (ep->child != NULL) {
                    term_child(s, ep->child); /* drops the record */
                    rc = 0;
                } else {
                    rc = t->unbind != NULL ? t->unbind(s, addr) : 0;
                    free(ep->uri);
                    s->endpoints[i] = s->endpoints[--s->nendpoints];
                }
                break;
            }
        }
    }
    unlock(s);
    return rc;
}

int zmq__socket_disconnect(struct zmq__socket *s, const char *uri)
{
    lock(s);
    const struct zmq__transport *t;
    const char *addr;
    int rc = resolve(s, uri, &t, &addr);
    if (rc == 0) {
        rc = -ENOENT;
        /* Terminating may drop records from the array, so look up afresh
         * after each one. */
        bool again = true;
        while (again) {
            again = false;
            for (size_t i = 0; i < s->nendpoints; i++) {
                struct zmq__socket_endpoint *ep = &s->endpoints[i];
                if (ep->bound || strcmp(ep->uri, uri) != 0)
                    continue;
                struct zmq__pipe *p = ep->pipe;
                struct zmq__own *child = ep->child;
                free(ep->uri);
                s->endpoints[i] = s->endpoints[--s->nendpoints];
                if (child != NULL) {
                    /* As libzmq: the connection's queue goes now, so
                     * sends no longer pick it; then the session ends. */
                    if (p != NULL)
                        zmq__pipe_terminate(p, false);
                    term_child(s, child);
                } else if (p != NULL) {
                    zmq__pipe_terminate(p, true);
                }
                rc = 0;
                again = true;
                break;
            }
        }
    }
    unlock(s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Closing and reaping                                                       */
/* ------------------------------------------------------------------------ */

int zmq__socket_close(struct zmq__socket *s)
{
    lock(s);
    /* The monitor ends with the socket (MONITOR_STOPPED goes out). */
    zmq__monitor_start(&s->monitor, s->obj.ctx, NULL, 0, 0, 0);
    s->tag = ZMQ__SOCKET_TAG_DEAD;
    s->closing = true;
    zmq__ctx_unbind_inproc(s->obj.ctx, NULL, s);
    unlock(s);
    zmq__ctx_socket_closed(s->obj.ctx, s);
    return 0;
}

/* Reaper thread: frees the socket once its last pipe is gone. */
static void reap_check(struct zmq__socket *s)
{
    if (s->npipes > 0 || s->nchildren > 0 || s->ndying > 0)
        return;
    if (s->linger_timer > 0)
        zmq__poller_cancel_timer(s->reaper_poller, s->linger_timer);
    zmq__poller_remove(s->reaper_poller, s->reaper_entry);
    socket_free(s);
}

static void reap_in(void *arg)
{
    struct zmq__socket *s = arg;
    struct zmq__command cmd;
    /* Held while the state changes: a session may reserve a routing id
     * under it (zmq__socket_reserve_routing_id). */
    lock(s);
    while (zmq__mailbox_recv(&s->mailbox, &cmd, 0) == 0)
        zmq__object_dispatch(&cmd);
    unlock(s);
    reap_check(s);
}

static void reap_out(void *arg)
{
    (void)arg;
}

static const struct zmq__poller_ops reap_ops = {
    .in_event = reap_in,
    .out_event = reap_out,
};

/* LINGER ran out: the peers stop waiting for what we sent. */
static void linger_expired(void *arg, int id)
{
    (void)id;
    struct zmq__socket *s = arg;
    s->linger_timer = -1;
    for (size_t i = 0; i < s->npipes; i++)
        zmq__pipe_hurry(s->pipes[i]);
}

void zmq__socket_start_reaping(struct zmq__socket *s, struct zmq__poller *p)
{
    s->reaper_poller = p;
    int rc;
    /* Registration fails only without memory; the socket cannot be
     * finished without it, so wait for memory rather than leak. */
    while ((rc = zmq__poller_add(p, zmq__mailbox_fd(&s->mailbox), &reap_ops, s,
                                 &s->reaper_entry)) < 0)
        zmq__clock_sleep_ms(1);
    zmq__poller_set_in(p, s->reaper_entry);

    /* Take what came before REAP, then end every pipe.  Terminating may
     * drop pipes from the array at once (never-bound inproc connects),
     * so work on a copy. */
    struct zmq__command cmd;
    lock(s);
    while (zmq__mailbox_recv(&s->mailbox, &cmd, 0) == 0)
        zmq__object_dispatch(&cmd);
    /* Messages already in an inproc pipe belong to the peer, which still
     * reads them up to the delimiter whatever our LINGER, as in libzmq;
     * LINGER bounds that wait (the timer below), and 0 sets no bound: the
     * pipe ends when the peer has read them or is closed itself. */
    bool delay = true;
    size_t n = s->npipes;
    struct zmq__pipe **pipes = n ? malloc(n * sizeof *pipes) : NULL;
    if (pipes != NULL) {
        memcpy(pipes, s->pipes, n * sizeof *pipes);
        for (size_t i = 0; i < n; i++)
            zmq__pipe_terminate(pipes[i], delay);
        free(pipes);
    } else {
        /* No memory for the copy: terminate from the back, which stays
         * valid as entries leave. */
        for (size_t i = s->npipes; i-- > 0;)
            if (i < s->npipes)
                zmq__pipe_terminate(s->pipes[i], delay);
    }
    /* Children after pipes: a session then sees our PIPE_TERM first and
     * drains what we queued before it ends. */
    while (s->nchildren > 0)
        term_child_at(s, s->nchildren - 1);
    if (s->options.linger > 0 && s->npipes > 0) {
        rc = zmq__poller_add_timer(p, (uint64_t)s->options.linger,
                                   linger_expired, s, 0);
        s->linger_timer = rc > 0 ? rc : -1;
    }
    unlock(s);
    reap_check(s);
}
