/* SPDX-License-Identifier: MPL-2.0 */
/*
 * PUSH and PULL (RFC 30): PUSH load-balances messages over its peers and
 * cannot receive; PULL fair-queues from its peers and cannot send.
 */
#include <errno.h>

#include "core/pipe.h"
#include "socket/socket.h"
#include "socket/types.h"

static struct zmq__pipe_set *set_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int set_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    return zmq__pipe_set_add(set_of(s), p);
}

static void set_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_remove(set_of(s), p);
}

static void set_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(set_of(s), p);
}

static void set_fini(struct zmq__socket *s)
{
    zmq__pipe_set_fini(set_of(s));
}

static int push_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__lb_send(set_of(s), msg);
}

static bool push_has_out(struct zmq__socket *s)
{
    return zmq__lb_has_out(set_of(s));
}

static int pull_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__fq_recv(set_of(s), msg, NULL);
}

static bool pull_has_in(struct zmq__socket *s)
{
    return zmq__fq_has_in(set_of(s));
}

const struct zmq__socket_ops zmq__socket_push_ops = {
    .name = "PUSH",
    .size = sizeof(struct zmq__pipe_set),
    .fini = set_fini,
    .attach_pipe = set_attach,
    .pipe_terminated = set_terminated,
    .read_activated = zmq__socket_op_ignore,
    .write_activated = set_activated,
    .send = push_send,
    .recv = zmq__socket_op_enotsup,
    .has_in = zmq__socket_op_false,
    .has_out = push_has_out,
};

const struct zmq__socket_ops zmq__socket_pull_ops = {
    .name = "PULL",
    .size = sizeof(struct zmq__pipe_set),
    .fini = set_fini,
    .attach_pipe = set_attach,
    .pipe_terminated = set_terminated,
    .read_activated = set_activated,
    .write_activated = zmq__socket_op_ignore,
    .send = zmq__socket_op_enotsup,
    .recv = pull_recv,
    .has_in = pull_has_in,
    .has_out = zmq__socket_op_false,
};
