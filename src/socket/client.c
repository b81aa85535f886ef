/* SPDX-License-Identifier: MPL-2.0 */
/*
 * CLIENT (RFC 48), GATHER and SCATTER: thread-safe, single-part sockets.
 * CLIENT load-balances what it sends and fair-queues what it receives;
 * GATHER only receives (fair-queued); SCATTER only sends (round robin).
 */
#include <errno.h>

#include "core/pipe.h"
#include "socket/socket.h"
#include "socket/types.h"

struct client {
    struct zmq__pipe_set in, out;
};

static struct client *client_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int client_init(struct zmq__socket *s)
{
    client_of(s)->out.slot = 1;
    s->options.can_send_hello_msg = 1;
    s->options.can_recv_hiccup_msg = 1;
    return 0;
}

static void client_fini(struct zmq__socket *s)
{
    zmq__pipe_set_fini(&client_of(s)->in);
    zmq__pipe_set_fini(&client_of(s)->out);
}

static int client_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct client *c = client_of(s);
    int rc = zmq__pipe_set_add(&c->in, p);
    if (rc < 0)
        return rc;
    rc = zmq__pipe_set_add(&c->out, p);
    if (rc < 0) {
        zmq__pipe_set_remove(&c->in, p);
        return rc;
    }
    zmq__socket_send_hello(s, p);
    return 0;
}

static void client_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_remove(&client_of(s)->in, p);
    zmq__pipe_set_remove(&client_of(s)->out, p);
}

static void client_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&client_of(s)->in, p);
}

static void client_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&client_of(s)->out, p);
}

static int single_part_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    if (zmq__msg_more(msg))
        return -EINVAL;
    return zmq__lb_send(&client_of(s)->out, msg);
}

static int single_part_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct zmq__pipe *from;
    return zmq__fq_recv_single(&client_of(s)->in, msg, &from);
}

static bool client_has_in(struct zmq__socket *s)
{
    return zmq__fq_has_in(&client_of(s)->in);
}

static bool client_has_out(struct zmq__socket *s)
{
    return zmq__lb_has_out(&client_of(s)->out);
}

const struct zmq__socket_ops zmq__socket_client_ops = {
    .name = "CLIENT",
    .thread_safe = true,
    .size = sizeof(struct client),
    .init = client_init,
    .fini = client_fini,
    .attach_pipe = client_attach,
    .pipe_terminated = client_terminated,
    .read_activated = client_read_activated,
    .write_activated = client_write_activated,
    .send = single_part_send,
    .recv = single_part_recv,
    .has_in = client_has_in,
    .has_out = client_has_out,
};

static int slots_init(struct zmq__socket *s)
{
    client_of(s)->out.slot = 1;
    return 0;
}

const struct zmq__socket_ops zmq__socket_gather_ops = {
    .name = "GATHER",
    .thread_safe = true,
    .size = sizeof(struct client),
    .init = slots_init,
    .fini = client_fini,
    .attach_pipe = client_attach,
    .pipe_terminated = client_terminated,
    .read_activated = client_read_activated,
    .write_activated = client_write_activated,
    .send = zmq__socket_op_enotsup,
    .recv = single_part_recv,
    .has_in = client_has_in,
    .has_out = zmq__socket_op_false,
};

const struct zmq__socket_ops zmq__socket_scatter_ops = {
    .name = "SCATTER",
    .thread_safe = true,
    .size = sizeof(struct client),
    .init = slots_init,
    .fini = client_fini,
    .attach_pipe = client_attach,
    .pipe_terminated = client_terminated,
    .read_activated = client_read_activated,
    .write_activated = client_write_activated,
    .send = single_part_send,
    .recv = zmq__socket_op_enotsup,
    .has_in = zmq__socket_op_false,
    .has_out = client_has_out,
};
