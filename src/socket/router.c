/* SPDX-License-Identifier: MPL-2.0 */
/*
 * ROUTER (RFC 28): names every connection with a routing id and puts it in
 * front of each message received; the first frame of each message sent
 * picks the connection.  The id is the peer's own ZMQ_ROUTING_ID, else the
 * CONNECT_ROUTING_ID given for the connect that made it, else a generated
 * 5-byte id (a 0 byte, then a big-endian counter starting at random).
 *
 * Unknown ids are dropped silently, or refused with EHOSTUNREACH under
 * ROUTER_MANDATORY (which also turns a full connection into EAGAIN instead
 * of a drop).  A duplicate peer id is refused, or takes over the old
 * connection under ROUTER_HANDOVER.  REP is built on these functions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipe.h"
#include "core/random.h"
#include "socket/router.h"
#include "socket/socket.h"

static bool same_id(const struct zmq__pipe *p, const void *id, size_t size)
{
    return p->identity_size == size && memcmp(p->identity, id, size) == 0;
}

static struct zmq__pipe *find(struct zmq__router *r, const void *id,
                              size_t size)
{
    /* A linear scan: routers in this library serve few peers per socket
     * so far; a hash map replaces it when tcp brings thousands. */
    for (size_t i = 0; i < r->in.n; i++)
        if (r->in.pipes[i]->identity_fixed && same_id(r->in.pipes[i], id, size))
            return r->in.pipes[i];
    return NULL;
}

/* A connection other than `self` with this id, or NULL. */
static struct zmq__pipe *find_other(struct zmq__router *r, const void *id,
                                    size_t size, const struct zmq__pipe *self)
{
    for (size_t i = 0; i < r->in.n; i++)
        if (r->in.pipes[i] != self && r->in.pipes[i]->identity_fixed &&
            same_id(r->in.pipes[i], id, size))
            return r->in.pipes[i];
    return NULL;
}

static void generate_id(struct zmq__router *r, struct zmq__pipe *p)
{
    do {
        uint32_t n = r->next_id++;
        p->identity[0] = 0;
        p->identity[1] = (unsigned char)(n >> 24);
        p->identity[2] = (unsigned char)(n >> 16);
        p->identity[3] = (unsigned char)(n >> 8);
        p->identity[4] = (unsigned char)n;
        p->identity_size = 5;
    } while (find_other(r, p->identity, 5, p) != NULL);
}

void zmq__router_init(struct zmq__socket *s, struct zmq__router *r)
{
    memset(r, 0, sizeof *r);
    r->next_id = zmq__random_u32();
    s->options.recv_routing_id = 1;
    s->options.can_send_hello_msg = 1;
    s->options.can_recv_disconnect_msg = 1;
}

void zmq__router_fini(struct zmq__router *r)
{
    zmq__pipe_set_fini(&r->in);
    zmq__msg_queue_fini(&r->local);
    if (r->prefetched)
        zmq__msg_close(&r->prefetched_msg);
}

/* Queues [id][empty] for local delivery (ROUTER_NOTIFY). */
static void notify(struct zmq__router *r, const struct zmq__pipe *p)
{
    struct zmq__msg id, empty;
    if (zmq__msg_init_buffer(&id, p->identity, p->identity_size) < 0)
        return;
    id.flags |= ZMQ__MSG_MORE;
    zmq__msg_init(&empty);
    if (zmq__msg_queue_push(&r->local, &id) < 0) {
        zmq__msg_close(&id);
        return;
    }
    zmq__msg_queue_push(&r->local, &empty);
}

/* Names p: by `wanted` (n > 0) unless another connection has that
 * name (refused: -EEXIST, or under HANDOVER the old one goes), else by a
 * generated id.  The name is fixed from then on. */
static int name_pipe(struct zmq__router *r, struct zmq__pipe *p,
                     const unsigned char *wanted, size_t n)
{
    if (n > 0) {
        struct zmq__pipe *old = find_other(r, wanted, n, p);
        if (old != NULL) {
            if (!r->handover)
                return -EEXIST;  /* a second peer with the same id */
            generate_id(r, old); /* the old one steps aside and goes */
            zmq__pipe_terminate(old, false);
        }
        memmove(p->identity, wanted, n);
        p->identity_size = (uint8_t)n;
    } else {
        generate_id(r, p);
    }
    p->identity_fixed = true;
    return 0;
}

/* A connection whose peer's identity came after it was attached (a
 * connect still handshaking, or an inproc connect made before the bind):
 * named once the identity is there, as libzmq's ROUTER does.  Returns
 * false when it is not (yet) named; a refused duplicate is ended. */
static bool name_late(struct zmq__router *r, struct zmq__pipe *p)
{
    if (p->identity_fixed)
        return true;
    zmq__pipe_check_read(p); /* takes the identity off if it came */
    if (p->identity_first)
        return false;
    if (name_pipe(r, p, p->identity, p->identity_size) < 0) {
        zmq__pipe_terminate(p, false);
        return false;
    }
    if (r->notify & ZMQ_NOTIFY_CONNECT)
        notify(r, p);
    return true;
}

int zmq__router_attach(struct zmq__socket *s, struct zmq__router *r,
                       struct zmq__pipe *p)
{
    bool named = true;
    if (s->connect_id_size > 0) {
        int rc = name_pipe(r, p, s->connect_id, s->connect_id_size);
        if (rc < 0)
            return rc;
    } else if (p->identity_first) {
        /* The peer's identity is still to come: unnamed until then
         * (find() passes it over, so nothing can be sent to it). */
        p->identity_size = 0;
        named = false;
    } else {
        int rc = name_pipe(r, p, p->identity, p->identity_size);
        if (rc < 0)
            return rc;
    }
    int rc = zmq__pipe_set_add(&r->in, p);
    if (rc < 0)
        return rc;
    if (r->probe) {
        struct zmq__msg probe;
        zmq__msg_init(&probe);
        if (zmq__pipe_write(p, &probe) == 0)
            zmq__pipe_flush(p);
    }
    zmq__socket_send_hello(s, p);
    if (named && (r->notify & ZMQ_NOTIFY_CONNECT))
        notify(r, p);
    return 0;
}

void zmq__router_terminated(struct zmq__socket *s, struct zmq__router *r,
                            struct zmq__pipe *p)
{
    zmq__pipe_set_remove(&r->in, p);
    if (r->current_out == p) {
        r->current_out = NULL;
        r->dropping = true; /* the rest of that message has nowhere to go */
    }
    if (r->prefetched && r->prefetched_from == p)
        r->prefetched_from = NULL;
    if ((r->notify & ZMQ_NOTIFY_DISCONNECT) && !s->closing)
        notify(r, p);
    /* ZMQ_DISCONNECT_MSG: [id][notice] when the peer ended the connection. */
    const struct zmq__options_str *notice = &s->options.disconnect_msg;
    if (notice->size > 0 && !s->closing &&
        p->state == ZMQ__PIPE_TERM_ACK_SENT) {
        struct zmq__msg id, body;
        if (zmq__msg_init_buffer(&id, p->identity, p->identity_size) < 0)
            return;
        if (zmq__msg_init_buffer(&body, notice->data, notice->size) < 0) {
            zmq__msg_close(&id);
            return;
        }
        id.flags |= ZMQ__MSG_MORE;
        if (zmq__msg_queue_push(&r->local, &id) < 0) {
            zmq__msg_close(&id);
            zmq__msg_close(&body);
        } else if (zmq__msg_queue_push(&r->local, &body) < 0) {
            zmq__msg_close(&body);
        }
    }
}

void zmq__router_read_activated(struct zmq__router *r, struct zmq__pipe *p)
{
    name_late(r, p);
    zmq__pipe_set_activate(&r->in, p);
}

int zmq__router_send(struct zmq__router *r, struct zmq__msg *msg)
{
    bool more = zmq__msg_more(msg);
    if (!r->more_out) {
        /* The routing-id frame: pick the connection. */
        if (!more) {
            /* A lone frame has no body to route: dropped, as libzmq. */
            zmq__msg_close(msg);
            zmq__msg_init(msg);
            return 0;
        }
        struct zmq__pipe *p = find(r, zmq__msg_data(msg), zmq__msg_size(msg));
        r->dropping = false;
        r->current_out = NULL;
        if (p == NULL || p->state != ZMQ__PIPE_ACTIVE) {
            if (r->mandatory)
                return -EHOSTUNREACH;
            r->dropping = true;
        } else if (!zmq__pipe_check_write(p)) {
            if (r->mandatory)
                return -EAGAIN;
            r->dropping = true;
        } else {
            r->current_out = p;
        }
        r->more_out = true;
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        return 0;
    }
    /* A body frame. */
    r->more_out = more;
    if (r->dropping || r->current_out == NULL) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        if (!more)
            r->dropping = false;
        return 0;
    }
    struct zmq__pipe *p = r->current_out;
    if (zmq__pipe_write(p, msg) < 0) {
        /* Gone mid-message: what was written is taken back. */
        zmq__pipe_rollback(p);
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        r->current_out = NULL;
        r->dropping = more;
        return 0;
    }
    if (!more) {
        zmq__pipe_flush(p);
        r->current_out = NULL;
    }
    return 0;
}

int zmq__router_recv(struct zmq__router *r, struct zmq__msg *msg,
                     struct zmq__pipe **from)
{
    if (zmq__msg_queue_pop(&r->local, msg))
        return 0;
    if (r->prefetched) {
        /* The body frame read together with the id frame sent before. */
        *msg = r->prefetched_msg;
        r->prefetched = false;
        if (from != NULL)
            *from = r->prefetched_from;
        r->more_in = zmq__msg_more(msg);
        return 0;
    }
    if (r->more_in) {
        struct zmq__pipe *p;
        int rc = zmq__fq_recv(&r->in, msg, &p);
        if (rc == 0) {
            r->more_in = zmq__msg_more(msg);
            if (from != NULL)
                *from = p;
        }
        return rc;
    }
    /* A new message: read its first frame, then hand out the id frame
     * now and the frame on the next call. */
    struct zmq__pipe *p;
    int rc = zmq__fq_recv(&r->in, &r->prefetched_msg, &p);
    if (rc < 0)
        return rc;
    if (!name_late(r, p)) {
        /* Refused (a duplicate identity): its messages go with it. */
        zmq__msg_close(&r->prefetched_msg);
        return -EAGAIN;
    }
    rc = zmq__msg_init_buffer(msg, p->identity, p->identity_size);
    if (rc < 0) {
        zmq__msg_close(&r->prefetched_msg);
        return rc;
    }
    msg->flags |= ZMQ__MSG_MORE;
    r->prefetched = true;
    r->prefetched_from = p;
    if (from != NULL)
        *from = p;
    return 0;
}

bool zmq__router_has_in(struct zmq__router *r)
{
    return r->prefetched || r->more_in || r->local.n > 0 ||
           zmq__fq_has_in(&r->in);
}

int zmq__router_setsockopt(struct zmq__router *r, int option, const void *val,
                           size_t len)
{
    int v;
    if (len != sizeof v)
        return -EINVAL;
    memcpy(&v, val, sizeof v);
    switch (option) {
    case ZMQ_ROUTER_MANDATORY:
        r->mandatory = v != 0;
        return 0;
    case ZMQ_ROUTER_HANDOVER:
        r->handover = v != 0;
        return 0;
    case ZMQ_PROBE_ROUTER:
        r->probe = v != 0;
        return 0;
    case ZMQ_ROUTER_NOTIFY:
        if (v < 0 || v > (ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT))
            return -EINVAL;
        r->notify = v;
        return 0;
    case ZMQ_ROUTER_RAW:
        /* Raw mode is STREAM's job over tcp; not supported here. */
        return v == 0 ? 0 : -ENOTSUP;
    default:
        return -EINVAL;
    }
}

/* --- the ROUTER socket type ---------------------------------------------- */

static struct zmq__router *router_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int router_init(struct zmq__socket *s)
{
    zmq__router_init(s, router_of(s));
    return 0;
}

static void router_fini(struct zmq__socket *s)
{
    zmq__router_fini(router_of(s));
}

static int router_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    return zmq__router_attach(s, router_of(s), p);
}

static void router_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__router_terminated(s, router_of(s), p);
}

static void router_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__router_read_activated(router_of(s), p);
}

static void router_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* Sends look pipes up by id and check them directly. */
    (void)s;
    (void)p;
}

static int router_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__router_send(router_of(s), msg);
}

static int router_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__router_recv(router_of(s), msg, NULL);
}

static bool router_has_in(struct zmq__socket *s)
{
    return zmq__router_has_in(router_of(s));
}

static bool router_has_out(struct zmq__socket *s)
{
    struct zmq__router *r = router_of(s);
    if (!r->mandatory)
        return true; /* a send may always be tried: it drops at worst */
    /* Under ROUTER_MANDATORY, only when some connection has room. */
    for (size_t i = 0; i < r->in.n; i++)
        if (zmq__pipe_check_write(r->in.pipes[i]))
            return true;
    return false;
}

static int router_setsockopt(struct zmq__socket *s, int option, const void *val,
                             size_t len)
{
    int rc = zmq__router_setsockopt(router_of(s), option, val, len);
    if (rc == 0 && option == ZMQ_ROUTER_NOTIFY)
        s->options.router_notify = router_of(s)->notify;
    return rc;
}

const struct zmq__socket_ops zmq__socket_router_ops = {
    .name = "ROUTER",
    .size = sizeof(struct zmq__router),
    .init = router_init,
    .fini = router_fini,
    .attach_pipe = router_attach,
    .pipe_terminated = router_terminated,
    .read_activated = router_read_activated,
    .write_activated = router_write_activated,
    .send = router_send,
    .recv = router_recv,
    .has_in = router_has_in,
    .has_out = router_has_out,
    .setsockopt = router_setsockopt,
};

int zmq__router_peer_state(struct zmq__socket *s, const void *id, size_t size)
{
    if (s->ops != &zmq__socket_router_ops)
        return -ENOTSUP;
    struct zmq__pipe *p = find(router_of(s), id, size);
    if (p == NULL || p->state != ZMQ__PIPE_ACTIVE)
        return -EHOSTUNREACH;
    return zmq__pipe_check_write(p) ? ZMQ_POLLOUT : 0;
}
