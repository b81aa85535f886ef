/* SPDX-License-Identifier: MPL-2.0 */
/*
 * REP (RFC 28): a ROUTER that keeps the envelope of each request (the
 * routing id and every frame up to and including the empty delimiter),
 * hands out only the body, and puts the envelope back in front of the
 * reply.  Receive and send must alternate (EFSM); a request without a
 * delimiter is dropped whole.
 */
#include <errno.h>

#include "core/pipe.h"
#include "socket/router.h"
#include "socket/socket.h"

struct rep {
    struct zmq__router r;
    struct zmq__msg_queue envelope;
    bool replying; /* a request was received; send is next */
    bool begins;   /* the next frame received starts a request */
};

static struct rep *rep_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int rep_init(struct zmq__socket *s)
{
    zmq__router_init(s, &rep_of(s)->r);
    rep_of(s)->begins = true;
    return 0;
}

static void rep_fini(struct zmq__socket *s)
{
    zmq__router_fini(&rep_of(s)->r);
    zmq__msg_queue_fini(&rep_of(s)->envelope);
}

static int rep_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    return zmq__router_attach(s, &rep_of(s)->r, p);
}

static void rep_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__router_terminated(s, &rep_of(s)->r, p);
}

static void rep_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__router_read_activated(&rep_of(s)->r, p);
}

static void rep_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    (void)s;
    (void)p;
}

/* Drops the envelope collected so far and the rest of the message. */
static void drop_request(struct rep *rp, struct zmq__msg *msg)
{
    struct zmq__msg m;
    while (zmq__msg_queue_pop(&rp->envelope, &m))
        zmq__msg_close(&m);
    while (zmq__msg_more(msg)) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        if (zmq__router_recv(&rp->r, msg, NULL) < 0)
            break;
    }
    zmq__msg_close(msg);
    zmq__msg_init(msg);
}

static int rep_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct rep *rp = rep_of(s);
    if (rp->replying)
        return -EFSM;
    while (rp->begins) {
        /* Collect the envelope: the id frame and everything up to the
         * empty delimiter.  A request comes whole, so once its first
         * frame is here the rest is too. */
        int rc = zmq__router_recv(&rp->r, msg, NULL);
        if (rc < 0)
            return rc;
        for (;;) {
            if (!zmq__msg_more(msg)) {
                drop_request(rp, msg); /* no delimiter: not a request */
                break;
            }
            bool delimiter = zmq__msg_size(msg) == 0 && rp->envelope.n > 0;
            rc = zmq__msg_queue_push(&rp->envelope, msg);
            if (rc < 0) {
                drop_request(rp, msg);
                return rc;
            }
            if (delimiter) {
                rp->begins = false;
                break;
            }
            if (zmq__router_recv(&rp->r, msg, NULL) < 0)
                break;
        }
    }
    int rc = zmq__router_recv(&rp->r, msg, NULL);
    if (rc < 0)
        return rc;
    if (!zmq__msg_more(msg)) {
        rp->replying = true;
        rp->begins = true;
    }
    return 0;
}

static int rep_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct rep *rp = rep_of(s);
    if (!rp->replying)
        return -EFSM;
    struct zmq__msg m;
    while (zmq__msg_queue_pop(&rp->envelope, &m)) {
        /* Unknown or full peers drop the reply, as ROUTER does. */
        if (zmq__router_send(&rp->r, &m) < 0)
            zmq__msg_close(&m);
    }
    bool more = zmq__msg_more(msg);
    int rc = zmq__router_send(&rp->r, msg);
    if (rc == 0 && !more)
        rp->replying = false;
    return rc;
}

static bool rep_has_in(struct zmq__socket *s)
{
    return !rep_of(s)->replying && zmq__router_has_in(&rep_of(s)->r);
}

static bool rep_has_out(struct zmq__socket *s)
{
    return rep_of(s)->replying;
}

/* REP takes ROUTER's options, as in libzmq. */
static int rep_setsockopt(struct zmq__socket *s, int option, const void *val,
                          size_t len)
{
    return zmq__router_setsockopt(&rep_of(s)->r, option, val, len);
}

const struct zmq__socket_ops zmq__socket_rep_ops = {
    .name = "REP",
    .size = sizeof(struct rep),
    .init = rep_init,
    .fini = rep_fini,
    .attach_pipe = rep_attach,
    .pipe_terminated = rep_terminated,
    .read_activated = rep_read_activated,
    .write_activated = rep_write_activated,
    .send = rep_send,
    .recv = rep_recv,
    .has_in = rep_has_in,
    .has_out = rep_has_out,
    .setsockopt = rep_setsockopt,
};
