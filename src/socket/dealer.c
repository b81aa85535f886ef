/* SPDX-License-Identifier: MPL-2.0 */
/*
 * DEALER and REQ (RFC 28).
 *
 * DEALER load-balances whole messages over its connections and
 * fair-queues what comes back, with no envelope of its own.
 *
 * REQ is a DEALER with a strict send/receive alternation (EFSM out of
 * turn) and an envelope: each request is preceded by an empty delimiter
 * frame (and, with REQ_CORRELATE, by a 4-byte request id before it);
 * only a reply from the connection the request went to, carrying that
 * envelope, is delivered, and everything else is dropped whole.
 * REQ_RELAXED allows a new request before the reply came, abandoning it.
 */
#include <errno.h>
#include <string.h>

#include "core/pipe.h"
#include "core/random.h"
#include "socket/socket.h"
#include "socket/types.h"

struct dealer {
    struct zmq__pipe_set in, out;
    bool probe;
};

struct req {
    struct dealer d;
    bool correlate, relaxed;
    bool awaiting_reply; /* the request went out; recv is next */
    bool begins;         /* the next frame starts a request or reply */
    struct zmq__pipe *reply_pipe;
    uint32_t request_id;
};

static struct dealer *dealer_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static struct req *req_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int dealer_init(struct zmq__socket *s)
{
    dealer_of(s)->out.slot = 1;
    s->options.can_send_hello_msg = 1;
    s->options.can_recv_hiccup_msg = 1;
    return 0;
}

static void dealer_fini(struct zmq__socket *s)
{
    zmq__pipe_set_fini(&dealer_of(s)->in);
    zmq__pipe_set_fini(&dealer_of(s)->out);
}

static int dealer_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct dealer *d = dealer_of(s);
    if (d->probe) {
        struct zmq__msg probe;
        zmq__msg_init(&probe);
        if (zmq__pipe_write(p, &probe) == 0)
            zmq__pipe_flush(p);
    }
    int rc = zmq__pipe_set_add(&d->in, p);
    if (rc < 0)
        return rc;
    rc = zmq__pipe_set_add(&d->out, p);
    if (rc < 0) {
        zmq__pipe_set_remove(&d->in, p);
        return rc;
    }
    zmq__socket_send_hello(s, p);
    return 0;
}

static void dealer_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_remove(&dealer_of(s)->in, p);
    zmq__pipe_set_remove(&dealer_of(s)->out, p);
}

static void dealer_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&dealer_of(s)->in, p);
}

static void dealer_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&dealer_of(s)->out, p);
}

static int dealer_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__lb_send(&dealer_of(s)->out, msg);
}

static int dealer_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__fq_recv(&dealer_of(s)->in, msg, NULL);
}

static bool dealer_has_in(struct zmq__socket *s)
{
    return zmq__fq_has_in(&dealer_of(s)->in);
}

static bool dealer_has_out(struct zmq__socket *s)
{
    return zmq__lb_has_out(&dealer_of(s)->out);
}

static int int_option(const void *val, size_t len, int *out)
{
    if (len != sizeof(int))
        return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

static int dealer_setsockopt(struct zmq__socket *s, int option, const void *val,
                             size_t len)
{
    int v;
    if (option != ZMQ_PROBE_ROUTER || int_option(val, len, &v) < 0)
        return -EINVAL;
    dealer_of(s)->probe = v != 0;
    return 0;
}

const struct zmq__socket_ops zmq__socket_dealer_ops = {
    .name = "DEALER",
    .size = sizeof(struct dealer),
    .init = dealer_init,
    .fini = dealer_fini,
    .attach_pipe = dealer_attach,
    .pipe_terminated = dealer_terminated,
    .read_activated = dealer_read_activated,
    .write_activated = dealer_write_activated,
    .send = dealer_send,
    .recv = dealer_recv,
    .has_in = dealer_has_in,
    .has_out = dealer_has_out,
    .setsockopt = dealer_setsockopt,
};

/* --- REQ ------------------------------------------------------------------ */

static int req_init(struct zmq__socket *s)
{
    dealer_init(s);
    req_of(s)->begins = true;
    req_of(s)->request_id = zmq__random_u32();
    return 0;
}

static void req_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct req *r = req_of(s);
    if (r->reply_pipe == p)
        r->reply_pipe = NULL; /* the reply can no longer come */
    dealer_terminated(s, p);
}

/* Sends one envelope frame of the request starting now. */
static int send_frame(struct req *r, const void *data, size_t size)
{
    struct zmq__msg m;
    int rc = zmq__msg_init_buffer(&m, data, size);
    if (rc < 0)
        return rc;
    m.flags |= ZMQ__MSG_MORE;
    struct zmq__pipe *to;
    rc = zmq__lb_send_to(&r->d.out, &m, &to);
    if (rc < 0) {
        zmq__msg_close(&m);
        return rc;
    }
    if (r->reply_pipe == NULL)
        r->reply_pipe = to;
    return 0;
}

static int req_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct req *r = req_of(s);
    if (r->awaiting_reply) {
        if (!r->relaxed)
            return -EFSM;
        /* The old reply is abandoned: drop what already came of it. */
        r->awaiting_reply = false;
        r->begins = true;
        struct zmq__msg stale;
        zmq__msg_init(&stale);
        while (zmq__fq_recv(&r->d.in, &stale, NULL) == 0) {
            zmq__msg_close(&stale);
            zmq__msg_init(&stale);
        }
    }
    if (r->begins) {
        /* The envelope goes only where a whole request can go. */
        if (!zmq__lb_has_out(&r->d.out))
            return -EAGAIN;
        r->reply_pipe = NULL;
        if (r->correlate) {
            uint32_t id = ++r->request_id;
            int rc = send_frame(r, &id, sizeof id);
            if (rc < 0)
                return rc;
        }
        int rc = send_frame(r, NULL, 0);
        if (rc < 0)
            return rc;
        r->begins = false;
    }
    bool more = zmq__msg_more(msg);
    int rc = zmq__lb_send(&r->d.out, msg);
    if (rc < 0)
        return rc;
    if (!more) {
        r->awaiting_reply = true;
        r->begins = true;
    }
    return 0;
}

/* Reads and drops the rest of a message whose first frame was `msg`. */
static void drop_rest(struct req *r, struct zmq__msg *msg)
{
    while (zmq__msg_more(msg)) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        if (zmq__fq_recv(&r->d.in, msg, NULL) < 0)
            break;
    }
    zmq__msg_close(msg);
    zmq__msg_init(msg);
}

static int req_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct req *r = req_of(s);
    if (!r->awaiting_reply)
        return -EFSM;
    for (;;) {
        struct zmq__pipe *from;
        int rc = zmq__fq_recv(&r->d.in, msg, &from);
        if (rc < 0)
            return rc;
        if (!r->begins) {
            /* A body frame of the reply being delivered. */
            if (!zmq__msg_more(msg)) {
                r->awaiting_reply = false;
                r->begins = true;
            }
            return 0;
        }
        /* The first frames must be our envelope, from the right peer. */
        bool ok = from == r->reply_pipe && zmq__msg_more(msg);
        if (ok && r->correlate) {
            ok = zmq__msg_size(msg) == sizeof r->request_id &&
                 memcmp(zmq__msg_data(msg), &r->request_id,
                        sizeof r->request_id) == 0;
            if (ok) {
                zmq__msg_close(msg);
                zmq__msg_init(msg);
                ok = zmq__fq_recv(&r->d.in, msg, NULL) == 0 &&
                     zmq__msg_more(msg);
            }
        }
        ok = ok && zmq__msg_size(msg) == 0;
        if (!ok) {
            drop_rest(r, msg);
            continue;
        }
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        r->begins = false;
    }
}

static bool req_has_in(struct zmq__socket *s)
{
    return req_of(s)->awaiting_reply && dealer_has_in(s);
}

static bool req_has_out(struct zmq__socket *s)
{
    struct req *r = req_of(s);
    return (!r->awaiting_reply || r->relaxed) && dealer_has_out(s);
}

static int req_setsockopt(struct zmq__socket *s, int option, const void *val,
                          size_t len)
{
    int v;
    if (int_option(val, len, &v) < 0)
        return -EINVAL;
    switch (option) {
    case ZMQ_REQ_CORRELATE:
        req_of(s)->correlate = v != 0;
        return 0;
    case ZMQ_REQ_RELAXED:
        req_of(s)->relaxed = v != 0;
        return 0;
    default:
        return dealer_setsockopt(s, option, val, len);
    }
}

const struct zmq__socket_ops zmq__socket_req_ops = {
    .name = "REQ",
    .size = sizeof(struct req),
    .wait_spin_us = 50,
    .init = req_init,
    .fini = dealer_fini,
    .attach_pipe = dealer_attach,
    .pipe_terminated = req_terminated,
    .read_activated = dealer_read_activated,
    .write_activated = dealer_write_activated,
    .send = req_send,
    .recv = req_recv,
    .has_in = req_has_in,
    .has_out = req_has_out,
    .setsockopt = req_setsockopt,
};
