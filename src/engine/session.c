/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Sessions.
 *
 * The pipe: its session end is attached to the session (commands come to
 * the I/O thread's mailbox).  A connecting session makes the pair at
 * zmq_connect time; an accepted one (or one with IMMEDIATE) when the
 * handshake succeeds, handing the socket end over with a BIND command.
 * Either way the peer's identity is written as the first message towards
 * the socket, whose end takes it off (pipe.h: identity_first), exactly
 * as the two ends of an inproc pipe exchange identities.
 *
 * Messages are atomic: if a connection breaks in the middle of a
 * multipart message, the parts already written towards the socket are
 * rolled back, and the parts of an outgoing message not yet pulled are
 * dropped, so the next connection starts on a message boundary.
 *
 * Termination (TERM from the socket, own.h): with LINGER not 0, what the
 * socket queued is still written (the socket's PIPE_TERM made our end
 * drain up to the delimiter) and the engine's buffer flushed, bounded by
 * LINGER; a connecting session with messages queued and no connection
 * yet keeps trying to connect to deliver them, also within LINGER (with
 * LINGER -1, as libzmq, for as long as it takes).  With LINGER 0, or
 * nothing queued, it ends at once.  The session frees
 * itself from a zero-delay timer, never from inside an engine or pipe
 * callback, so no caller up the stack touches freed memory.
 */
#include "engine/session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/io_thread.h"
#include "core/pipe.h"
#include "engine/socks.h"
#include "engine/stream.h"
#include "poll/poller.h"
#include "socket/socket.h"
#include "transport/address.h"
#include "transport/net.h"
#include "transport/resolver.h"
#include "zmq.h"

enum { T_RECONNECT = 1, T_CONNECT, T_LINGER, T_FINISH, T_CLOSE_ENGINE };

static void start_connecting(struct zmq__session *s);
static void start_engine(struct zmq__session *s);
static void start_socks(struct zmq__session *s);
static void retry_later(struct zmq__session *s, int err);
static void on_timer(void *arg, int id);

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

/* A monitor event about this connection (local endpoint: our own). */
static void session_event(struct zmq__session *s, uint64_t event,
                          uint64_t value, const char *remote)
{
    struct zmq__monitor *m = &s->own.owner->monitor;
    if (!zmq__monitor_wants(m, event))
        return;
    uint64_t values[2] = {value, 0};
    size_t n = 1;
    /* Beyond libzmq: a PEER or SERVER connection's routing id rides as a
     * second value (version 2 frames only) once it is known: from
     * zmq_connect for a connection the socket makes, from the handshake
     * for one it accepted. */
    if (s->routing_id != 0) {
        values[1] = s->routing_id;
        n = 2;
    }
    zmq__monitor_event(m, event, values, n, s->own.endpoint,
                       remote != NULL ? remote : "");
}

/* ------------------------------------------------------------------------ */
/* Timers and finishing                                                      */
/* ------------------------------------------------------------------------ */

static void add_timer(struct zmq__session *s, int *handle, int ms, int id)
{
    if (*handle > 0)
        zmq__poller_cancel_timer(s->poller, *handle);
    int rc = zmq__poller_add_timer(s->poller, (uint64_t)(ms > 0 ? ms : 0),
                                   on_timer, s, id);
    *handle = rc > 0 ? rc : 0;
}

static void cancel_timer(struct zmq__session *s, int *handle)
{
    if (*handle > 0)
        zmq__poller_cancel_timer(s->poller, *handle);
    *handle = 0;
}

static void stop_connecting(struct zmq__session *s)
{
    cancel_timer(s, &s->reconnect_timer);
    cancel_timer(s, &s->connect_timer);
    if (s->resolving != NULL) {
        zmq__resolver_cancel(s->resolving);
        s->resolving = NULL;
    }
    if (s->fd >= 0) {
        if (s->fd_entry != NULL)
            zmq__poller_remove(s->poller, s->fd_entry);
        s->fd_entry = NULL;
        close(s->fd);
        s->fd = -1;
    }
    zmq__socks_free(s->socks);
    s->socks = NULL;
}

/* Frees the session: every engine and pipe callback is over by now. */
static void finish(struct zmq__session *s)
{
    stop_connecting(s);
    cancel_timer(s, &s->linger_timer);
    cancel_timer(s, &s->close_timer);
    if (s->engine != NULL) {
        /* Closed by us: as libzmq, no event (DISCONNECTED is for
         * connections the peer or the network ended). */
        s->engine->ops->free(s->engine);
        s->engine = NULL;
    }
    if (s->accepted != NULL)
        s->accepted->ops->close(s->accepted);
    if (s->ready_fd >= 0)
        close(s->ready_fd);
    zmq__own_term_done(&s->own);
    zmq__own_fini(&s->own);
    zmq__options_fini(&s->options);
    free(s->peer_address);
    free(s->proxy_addr);
    free(s);
}

static void schedule_finish(struct zmq__session *s)
{
    if (s->finish_scheduled)
        return;
    s->finish_scheduled = true;
    int handle = 0;
    add_timer(s, &handle, 0, T_FINISH);
    if (handle == 0) /* no memory for a timer: finish on the next one */
        s->finish_scheduled = false;
}

/* Finishes once the pipe is gone and (lingering) the engine has written
 * what it took; checked after each of those events. */
static void maybe_finish(struct zmq__session *s)
{
    if (!s->terminating || s->pipe != NULL)
        return;
    if (s->engine != NULL && s->flush_wait &&
        s->engine->ops->ready(s->engine) &&
        !s->engine->ops->drained(s->engine)) {
        s->engine->ops->restart_output(s->engine);
        return; /* zmq__session_drained tells when it is written */
    }
    schedule_finish(s);
}

void zmq__session_drained(struct zmq__session *s)
{
    if (s->close_when_drained && s->close_timer == 0)
        add_timer(s, &s->close_timer, 0, T_CLOSE_ENGINE); /* not inside it */
    if (s->terminating && s->pipe == NULL)
        maybe_finish(s);
}

static void on_timer(void *arg, int id)
{
    struct zmq__session *s = arg;
    switch (id) {
    case T_RECONNECT:
        s->reconnect_timer = 0;
        start_connecting(s);
        break;
    case T_CONNECT:
        /* CONNECT_TIMEOUT: give up this attempt and retry later. */
        s->connect_timer = 0;
        retry_later(s, -ETIMEDOUT);
        break;
    case T_LINGER:
        /* Out of time: the socket end stops draining what we sent it, we
         * stop draining what it sent us, and the engine's buffer goes. */
        s->linger_timer = 0;
        s->flush_wait = false;
        stop_connecting(s);
        if (s->pipe != NULL) {
            zmq__pipe_hurry(s->pipe);
            zmq__pipe_terminate(s->pipe, false);
        }
        maybe_finish(s);
        break;
    case T_FINISH:
        finish(s);
        break;
    case T_CLOSE_ENGINE:
        s->close_timer = 0;
        if (s->close_when_drained && s->engine != NULL &&
            s->engine->ops->ready(s->engine) &&
            !s->engine->ops->drained(s->engine)) {
            /* Not written yet: zmq__session_drained comes back here. */
            s->engine->ops->restart_output(s->engine);
            break;
        }
        if (s->close_when_drained && s->engine != NULL) {
            s->close_when_drained = false;
            s->engine->ops->free(s->engine);
            s->engine = NULL;
            maybe_finish(s);
        }
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* The pipe                                                                  */
/* ------------------------------------------------------------------------ */

static void pipe_read_activated(void *sink, struct zmq__pipe *p)
{
    (void)p;
    struct zmq__session *s = sink;
    if (s->engine != NULL)
        s->engine->ops->restart_output(s->engine);
}

static void pipe_write_activated(void *sink, struct zmq__pipe *p)
{
    (void)p;
    struct zmq__session *s = sink;
    if (s->engine != NULL)
        s->engine->ops->restart_input(s->engine);
}

static void pipe_terminated(void *sink, struct zmq__pipe *p)
{
    (void)p;
    struct zmq__session *s = sink;
    s->pipe = NULL;
    if (s->terminating) {
        maybe_finish(s);
        return;
    }
    /* The socket ended the connection (zmq_disconnect_peer, an empty
     * STREAM send, a PAIR that has a peer already, ...): the connection
     * closes now, and a connecting session does not come back.  (Pipe
     * termination is reported from a command, never from inside an
     * engine call, so the engine can go here.) */
    stop_connecting(s);
    if (s->engine != NULL && s->engine->ops->ready(s->engine) &&
        !s->engine->ops->drained(s->engine)) {
        /* What the engine took is written first (a STREAM reply before
         * the empty frame that closes it). */
        s->close_when_drained = true;
        s->engine->ops->restart_output(s->engine);
    } else if (s->engine != NULL) {
        s->engine->ops->free(s->engine);
        s->engine = NULL;
    }
    zmq__own_term_req(&s->own);
}

/* The socket ended the pipe: the connection closes once what the engine
 * took is written, without waiting for the socket to process the last
 * command of the termination (it may not run for a while). */
static void pipe_peer_ended(void *sink, struct zmq__pipe *p)
{
    (void)p;
    struct zmq__session *s = sink;
    if (s->terminating || s->engine == NULL)
        return;
    s->close_when_drained = true;
    if (s->close_timer == 0)
        add_timer(s, &s->close_timer, 0, T_CLOSE_ENGINE);
}

static void pipe_stats(void *sink, struct zmq__pipe *p, uint64_t outbound,
                       uint64_t inbound)
{
    (void)sink;
    (void)p;
    (void)outbound;
    (void)inbound;
}

static const struct zmq__pipe_sink_ops session_sink_ops = {
    .read_activated = pipe_read_activated,
    .write_activated = pipe_write_activated,
    .terminated = pipe_terminated,
    .peer_ended = pipe_peer_ended,
    .stats = pipe_stats,
};

/* A pipe pair between the socket and session s: ends[0] for the socket
 * (identity comes first on it), ends[1] attached to s. */
static int make_pipe(struct zmq__session *s, struct zmq__pipe *ends[2])
{
    bool send, recv;
    zmq__socket_conflate_dirs(&s->options, &send, &recv);
    const int hwm[2] = {s->options.sndhwm, s->options.rcvhwm};
    const bool conflate[2] = {send, recv};
    int rc = zmq__pipe_pair_conflate(s->own.obj.ctx, ends, hwm, conflate);
    if (rc < 0)
        return rc;
    ends[0]->identity_first = true;
    /* A datagram endpoint has no subscriptions: it takes everything and
     * the receiver filters (udp RADIO/DISH, as libzmq). */
    ends[0]->subscribe_all = s->connect != NULL && s->connect->engine != NULL;
    zmq__pipe_attach(ends[1], s->own.obj.mailbox, &session_sink_ops, s);
    s->pipe = ends[1];
    return 0;
}

int zmq__session_pull(struct zmq__session *s, struct zmq__msg *msg)
{
    for (;;) {
        if (s->pipe == NULL || zmq__pipe_read(s->pipe, msg) < 0)
            return -EAGAIN;
        if (!s->discard_out)
            return 0;
        /* The rest of a message whose start went to a broken
         * connection. */
        s->discard_out = zmq__msg_more(msg);
        zmq__msg_close(msg);
        zmq__msg_init(msg);
    }
}

int zmq__session_push(struct zmq__session *s, struct zmq__msg *msg)
{
    if (s->pipe == NULL) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        return 0;
    }
    return zmq__pipe_write(s->pipe, msg) == 0 ? 0 : -EAGAIN;
}

void zmq__session_flush(struct zmq__session *s)
{
    if (s->pipe != NULL)
        zmq__pipe_flush(s->pipe);
}

int zmq__session_engine_ready(struct zmq__session *s, const unsigned char *id,
                              size_t id_size)
{
    struct zmq__socket *owner = s->own.owner;
    if (s->pipe == NULL && !s->terminating) {
        struct zmq__pipe *ends[2];
        int rc = make_pipe(s, ends);
        if (rc < 0)
            return rc;
        zmq__socket_own_pipe(owner, ends[0]);
        s->routing_id = zmq__socket_reserve_routing_id(owner, ends[0]);
        zmq__pipe_send_identity(s->pipe, id, id_size);
        s->identity_sent = true;
        struct zmq__command cmd = {.args.bind.pipe = ends[0]};
        zmq__object_send(&owner->obj, ZMQ__CMD_BIND, &cmd);
    } else if (s->pipe != NULL && !s->identity_sent) {
        zmq__pipe_send_identity(s->pipe, id, id_size);
        s->identity_sent = true;
    }
    s->reconnect_ivl = s->options.reconnect_ivl;
    if (s->connect == NULL || s->connect->engine == NULL)
        session_event(s, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0, s->peer_address);
    return 0;
}

/* ZMQ_HICCUP_MSG: a connection this session made and completed has
 * broken; the socket receives the message from itself, as libzmq's
 * DEALER, CLIENT and PEER do.  Best effort: dropped when the socket's
 * queue is full or memory is short. */
static void send_hiccup(struct zmq__session *s)
{
    const struct zmq__options_str *hiccup = &s->options.hiccup_msg;
    if (s->pipe == NULL || !s->options.can_recv_hiccup_msg || hiccup->size == 0)
        return;
    struct zmq__msg m;
    if (zmq__msg_init_buffer(&m, hiccup->data, hiccup->size) < 0)
        return;
    if (zmq__pipe_write(s->pipe, &m) == 0)
        zmq__pipe_flush(s->pipe);
    else
        zmq__msg_close(&m);
}

void zmq__session_engine_error(struct zmq__session *s,
                               enum zmq__engine_error why, int protocol_error,
                               bool handshaking)
{
    int fd = s->engine->ops->fd(s->engine);
    if (handshaking) {
        if (why == ZMQ__ENGINE_PROTOCOL && protocol_error != 0)
            session_event(s, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
                          (uint64_t)protocol_error, s->peer_address);
        else
            session_event(s, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                          why == ZMQ__ENGINE_TIMEOUT ? ETIMEDOUT : ECONNRESET,
                          s->peer_address);
    }
    session_event(s, ZMQ_EVENT_DISCONNECTED, (uint64_t)fd, s->peer_address);
    s->engine->ops->free(s->engine);
    s->engine = NULL;
    if (s->close_when_drained) {
        /* It was closing anyway: the socket has asked for our end. */
        s->close_when_drained = false;
        maybe_finish(s);
        return;
    }

    /* Keep messages whole across the break. */
    if (s->pipe != NULL) {
        zmq__pipe_rollback(s->pipe);
        zmq__pipe_flush(s->pipe);
    }

    if (s->terminating && !(s->flush_wait && s->pipe != NULL &&
                            s->own.kind == ZMQ__OWN_CONNECT)) {
        s->flush_wait = false;
        if (s->pipe != NULL) {
            zmq__pipe_hurry(s->pipe);
            zmq__pipe_terminate(s->pipe, false);
        }
        maybe_finish(s);
        return;
    }
    if (s->own.kind == ZMQ__OWN_CONNECT && !handshaking)
        send_hiccup(s);
    if (s->own.kind == ZMQ__OWN_ACCEPTED) {
        /* What arrived still reaches the socket (delay). */
        if (s->pipe != NULL)
            zmq__pipe_terminate(s->pipe, true);
        zmq__own_term_req(&s->own);
        return;
    }
    if (s->options.immediate == 1 && s->pipe != NULL) {
        zmq__pipe_terminate(s->pipe, false);
        s->identity_sent = false;
    }
    int stop = s->options.reconnect_stop;
    if ((handshaking && (stop & ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED)) ||
        (!handshaking && (stop & ZMQ_RECONNECT_STOP_AFTER_DISCONNECT)))
        return;
    if (s->options.reconnect_ivl < 0)
        return;
    int ivl = s->reconnect_ivl;
    session_event(s, ZMQ_EVENT_CONNECT_RETRIED, (uint64_t)ivl, NULL);
    add_timer(s, &s->reconnect_timer, ivl, T_RECONNECT);
}

/* ------------------------------------------------------------------------ */
/* Connecting                                                                */
/* ------------------------------------------------------------------------ */

/* The interval before the next attempt, with libzmq's growth: each
 * failure doubles it up to RECONNECT_IVL_MAX (when that is set). */
static int next_interval(struct zmq__session *s)
{
    int ivl = s->reconnect_ivl;
    int max = s->options.reconnect_ivl_max;
    if (max > 0 && max > s->options.reconnect_ivl) {
        int next = ivl > max / 2 ? max : ivl * 2;
        s->reconnect_ivl = next;
    }
    return ivl;
}

static void retry_later(struct zmq__session *s, int err)
{
    stop_connecting(s);
    if (s->options.reconnect_ivl < 0)
        return;
    if (err == -ECONNREFUSED &&
        (s->options.reconnect_stop & ZMQ_RECONNECT_STOP_CONN_REFUSED))
        return;
    int ivl = next_interval(s);
    session_event(s, ZMQ_EVENT_CONNECT_RETRIED, (uint64_t)ivl, NULL);
    add_timer(s, &s->reconnect_timer, ivl, T_RECONNECT);
}

static void connected(struct zmq__session *s)
{
    int fd = s->fd;
    cancel_timer(s, &s->connect_timer);
    if (s->fd_entry != NULL)
        zmq__poller_remove(s->poller, s->fd_entry);
    s->fd_entry = NULL;
    int rc = s->connect->established != NULL
                 ? s->connect->established(fd, &s->target, &s->options)
                 : 0;
    if (rc < 0) {
        retry_later(s, rc);
        return;
    }
    if (s->proxy_addr != NULL) {
        start_socks(s);
        return;
    }
    start_engine(s);
}

/* The connection to the peer is up on s->fd: the engine takes it. */
static void start_engine(struct zmq__session *s)
{
    int fd = s->fd;
    s->fd = -1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char peer[ZMQ__SOCKADDR_URI_MAX] = "";
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        zmq__sockaddr_to_uri((struct sockaddr *)&ss, len, peer, sizeof peer);
    free(s->peer_address);
    s->peer_address = strdup(peer);
    int err = 0;
    if (s->connect->engine != NULL) {
        /* A datagram transport: its own engine, no stream. */
        s->engine = s->connect->engine(s, fd, &s->target, &err);
        if (s->engine == NULL) {
            retry_later(s, err);
            return;
        }
        s->engine->ops->plug(s->engine, s->poller);
        return;
    }
    session_event(s, ZMQ_EVENT_CONNECTED, (uint64_t)fd, peer);
    struct zmq__stream *st = zmq__stream_fd_new(fd);
    if (st == NULL) {
        retry_later(s, -ENOMEM);
        return;
    }
    s->engine = zmq__zmtp_new(s, st, &err);
    if (s->engine == NULL) {
        retry_later(s, err);
        return;
    }
    s->engine->ops->plug(s->engine, s->poller);
}

/* ZMQ_SOCKS_PROXY: the exchange with the proxy, on s->fd. */
static void socks_event(void *arg)
{
    struct zmq__session *s = arg;
    bool want_write = false;
    int rc = zmq__socks_step(s->socks, s->fd, &want_write);
    if (rc < 0) {
        retry_later(s, rc);
        return;
    }
    if (rc == 0) {
        if (want_write) {
            zmq__poller_reset_in(s->poller, s->fd_entry);
            zmq__poller_set_out(s->poller, s->fd_entry);
        } else {
            zmq__poller_reset_out(s->poller, s->fd_entry);
            zmq__poller_set_in(s->poller, s->fd_entry);
        }
        return;
    }
    cancel_timer(s, &s->connect_timer);
    zmq__poller_remove(s->poller, s->fd_entry);
    s->fd_entry = NULL;
    zmq__socks_free(s->socks);
    s->socks = NULL;
    start_engine(s);
}

static const struct zmq__poller_ops socks_ops = {
    .in_event = socks_event,
    .out_event = socks_event,
};

static void start_socks(struct zmq__session *s)
{
    const struct zmq__options_str *user = &s->options.socks_username;
    const struct zmq__options_str *pass = &s->options.socks_password;
    int rc = zmq__socks_new(s->addr, user->data, user->size, pass->data,
                            pass->size, &s->socks);
    if (rc == 0 &&
        zmq__poller_add(s->poller, s->fd, &socks_ops, s, &s->fd_entry) < 0)
        rc = -ENOMEM;
    if (rc < 0) {
        retry_later(s, rc);
        return;
    }
    zmq__poller_set_out(s->poller, s->fd_entry);
    /* A proxy that never answers is given HANDSHAKE_IVL, as a peer that
     * never completes its handshake is. */
    if (s->options.handshake_ivl > 0)
        add_timer(s, &s->connect_timer, s->options.handshake_ivl, T_CONNECT);
}

static void connect_event(void *arg)
{
    struct zmq__session *s = arg;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err != 0) {
        retry_later(s, -err);
        return;
    }
    connected(s);
}

static const struct zmq__poller_ops connect_ops = {
    .in_event = connect_event,
    .out_event = connect_event,
};

static void open_target(struct zmq__session *s)
{
    int fd = -1;
    int rc = s->connect->open(&s->target, &s->options, &fd);
    if (rc < 0 && rc != -EINPROGRESS) {
        if (fd >= 0)
            close(fd);
        retry_later(s, rc);
        return;
    }
    s->fd = fd;
    if (rc == 0) {
        connected(s);
        return;
    }
    if (zmq__poller_add(s->poller, fd, &connect_ops, s, &s->fd_entry) < 0) {
        retry_later(s, -ENOMEM);
        return;
    }
    zmq__poller_set_out(s->poller, s->fd_entry);
    session_event(s, ZMQ_EVENT_CONNECT_DELAYED, EINPROGRESS, NULL);
    if (s->options.connect_timeout > 0)
        add_timer(s, &s->connect_timer, s->options.connect_timeout, T_CONNECT);
}

static void resolved(void *arg, int rc, const struct zmq__tcp_target *t)
{
    struct zmq__session *s = arg;
    s->resolving = NULL;
    if (rc < 0) {
        retry_later(s, rc);
        return;
    }
    s->target = *t;
    open_target(s);
}

static void start_connecting(struct zmq__session *s)
{
    if ((s->terminating && !s->flush_wait) || s->engine != NULL)
        return;
    if (s->ready_fd >= 0) {
        s->fd = s->ready_fd;
        s->ready_fd = -1;
        connected(s);
        return;
    }
    if (s->target_fixed) {
        open_target(s);
        return;
    }
    /* Through a proxy, the proxy is what we connect to. */
    const char *addr = s->proxy_addr != NULL ? s->proxy_addr : s->addr;
    if (s->connect->needs_lookup(addr)) {
        int err = 0;
        s->resolving =
            zmq__resolver_start(s->own.obj.ctx, s->own.obj.mailbox, addr, false,
                                s->options.ipv6 != 0, resolved, s, &err);
        if (s->resolving == NULL)
            retry_later(s, err);
        return;
    }
    struct zmq__tcp_target t;
    int rc = s->connect->resolve(addr, &s->options, &t);
    resolved(s, rc, &t);
}

/* ------------------------------------------------------------------------ */
/* Life                                                                      */
/* ------------------------------------------------------------------------ */

static void session_plug(struct zmq__own *o)
{
    struct zmq__session *s = ZMQ__CONTAINER_OF(o, struct zmq__session, own);
    s->poller = o->io->poller;
    if (o->kind == ZMQ__OWN_CONNECT) {
        start_connecting(s);
        return;
    }
    struct zmq__stream *st = s->accepted;
    s->accepted = NULL;
    int err = 0;
    s->engine = zmq__zmtp_new(s, st, &err);
    if (s->engine == NULL) {
        zmq__own_term_req(o);
        return;
    }
    s->engine->ops->plug(s->engine, s->poller);
}

static void session_term(struct zmq__own *o, int linger)
{
    struct zmq__session *s = ZMQ__CONTAINER_OF(o, struct zmq__session, own);
    if (s->poller == NULL)
        s->poller = o->io->poller; /* TERM before PLUG */
    s->terminating = true;
    bool can_deliver = s->engine != NULL && s->engine->ops->ready(s->engine);
    if (!can_deliver && linger != 0 && o->kind == ZMQ__OWN_CONNECT &&
        s->pipe != NULL && zmq__pipe_check_read(s->pipe)) {
        /* Messages wait for a connection that is not up yet: as libzmq,
         * keep connecting to deliver them, for up to LINGER. */
        s->flush_wait = true;
        if (linger > 0)
            add_timer(s, &s->linger_timer, linger, T_LINGER);
        if (s->engine == NULL && s->fd < 0 && s->resolving == NULL &&
            s->reconnect_timer == 0)
            start_connecting(s);
        return;
    }
    stop_connecting(s);
    if (s->pipe != NULL) {
        if (!can_deliver || linger == 0)
            zmq__pipe_terminate(s->pipe, false);
        else if (s->pipe->state == ZMQ__PIPE_ACTIVE)
            zmq__pipe_terminate(s->pipe, true);
        /* else draining what the closing socket queued */
    }
    s->flush_wait = can_deliver && linger != 0;
    if ((s->pipe != NULL || s->flush_wait) && linger > 0)
        add_timer(s, &s->linger_timer, linger, T_LINGER);
    if (can_deliver)
        s->engine->ops->restart_output(s->engine);
    maybe_finish(s);
}

static const struct zmq__own_ops session_ops = {
    .plug = session_plug,
    .term = session_term,
};

static struct zmq__session *session_alloc(struct zmq__socket *owner,
                                          struct zmq__io_thread *io,
                                          enum zmq__own_kind kind,
                                          const char *endpoint,
                                          const struct zmq__options *o)
{
    struct zmq__session *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->fd = -1;
    s->ready_fd = -1;
    if (zmq__own_init(&s->own, &session_ops, owner, io, kind, endpoint) < 0)
        goto fail;
    if (zmq__options_copy(&s->options, o) < 0)
        goto fail_own;
    s->reconnect_ivl = o->reconnect_ivl;
    return s;
fail_own:
    zmq__own_fini(&s->own);
fail:
    free(s);
    return NULL;
}

/* ZMQ_SOCKS_PROXY on a tcp connect: keeps the proxy's address after
 * checking it and that the target can be named to a proxy.  -EINVAL,
 * -ENOMEM. */
static int set_proxy(struct zmq__session *s)
{
    const struct zmq__options_str *proxy = &s->options.socks_proxy;
    if (proxy->size == 0)
        return 0;
    char *addr = strndup(proxy->data, proxy->size);
    if (addr == NULL)
        return -ENOMEM;
    int rc = zmq__tcp_check(addr, false);
    struct zmq__socks *probe = NULL;
    if (rc == 0)
        rc = zmq__socks_new(s->addr, NULL, 0, NULL, 0, &probe);
    zmq__socks_free(probe);
    if (rc < 0) {
        free(addr);
        return rc;
    }
    s->proxy_addr = addr;
    return 0;
}

int zmq__session_connect_new(struct zmq__socket *sock, const char *scheme,
                             const char *addr,
                             const struct zmq__connect_ops *ops,
                             struct zmq__session **out, struct zmq__pipe **pipe)
{
    struct zmq__io_thread *io =
        zmq__ctx_choose_io_thread(sock->obj.ctx, sock->options.affinity);
    if (io == NULL)
        return -EMTHREAD;
    char *endpoint = zmq__net_endpoint_of(scheme, addr);
    if (endpoint == NULL)
        return -ENOMEM;
    struct zmq__session *s =
        session_alloc(sock, io, ZMQ__OWN_CONNECT, endpoint, &sock->options);
    free(endpoint);
    if (s == NULL)
        return -ENOMEM;
    s->connect = ops;
    s->addr = s->own.endpoint + strlen(scheme) + 3;
    int rc = strcmp(scheme, "tcp") == 0 ? set_proxy(s) : 0;
    if (rc < 0) {
        zmq__options_fini(&s->options);
        zmq__own_fini(&s->own);
        free(s);
        return rc;
    }
    *pipe = NULL;
    if (sock->options.immediate != 1) {
        struct zmq__pipe *ends[2];
        rc = make_pipe(s, ends);
        if (rc < 0) {
            free(s->proxy_addr);
            zmq__options_fini(&s->options);
            zmq__own_fini(&s->own);
            free(s);
            return rc;
        }
        zmq__socket_attach_pipe(sock, ends[0]);
        *pipe = ends[0];
        s->routing_id = ends[0]->routing_id; /* PEER, SERVER; else 0 */
    }
    *out = s;
    return 0;
}

struct zmq__session *zmq__session_accepted_new(struct zmq__own *listener,
                                               const struct zmq__options *o,
                                               struct zmq__stream *st,
                                               const char *peer_address)
{
    struct zmq__socket *owner = listener->owner;
    struct zmq__io_thread *io =
        zmq__ctx_choose_io_thread(owner->obj.ctx, o->affinity);
    if (io == NULL)
        io = listener->io;
    struct zmq__session *s =
        session_alloc(owner, io, ZMQ__OWN_ACCEPTED, listener->endpoint, o);
    if (s != NULL && peer_address != NULL &&
        (s->peer_address = strdup(peer_address)) == NULL) {
        zmq__options_fini(&s->options);
        zmq__own_fini(&s->own);
        free(s);
        s = NULL;
    }
    if (s == NULL) {
        st->ops->close(st);
        return NULL;
    }
    s->own.listener = listener;
    s->accepted = st;
    return s;
}
