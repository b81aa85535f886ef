/* SPDX-License-Identifier: MPL-2.0 */
/*
 * STREAM: raw tcp (and ipc) connections, no ZMTP.  Built on ROUTER's
 * routing (router.h): every connection gets a generated 5-byte id (or the
 * CONNECT_ROUTING_ID of the connect that made it), received data arrives
 * as [id][bytes], and [id][bytes] sends.  As libzmq:
 *  - with STREAM_NOTIFY (the default) a new connection shows up as
 *    [id][empty], and so does its end (the raw engine inserts them);
 *  - sending [id][empty] closes that connection;
 *  - an unknown id is EHOSTUNREACH; the data frame's MORE flag is
 *    ignored (each send is one chunk of the byte stream).
 */
#include <errno.h>
#include <string.h>

#include "core/pipe.h"
#include "socket/router.h"
#include "socket/socket.h"
#include "zmq.h"

static struct zmq__router *stream_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int stream_init(struct zmq__socket *s)
{
    zmq__router_init(s, stream_of(s));
    stream_of(s)->mandatory = true; /* unknown ids are EHOSTUNREACH */
    s->options.raw_socket = 1;
    s->options.can_send_hello_msg = 0;
    s->options.can_recv_disconnect_msg = 0;
    return 0;
}

static void stream_fini(struct zmq__socket *s)
{
    zmq__router_fini(stream_of(s));
}

static int stream_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* A raw peer has no identity: only CONNECT_ROUTING_ID or a generated
     * id names the connection. */
    p->identity_size = 0;
    return zmq__router_attach(s, stream_of(s), p);
}

static void stream_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__router_terminated(s, stream_of(s), p);
}

static void stream_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__router_read_activated(stream_of(s), p);
}

static void stream_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    (void)s;
    (void)p;
}

static int stream_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct zmq__router *r = stream_of(s);
    if (!r->more_out)
        return zmq__router_send(r, msg);
    /* The data frame: one chunk, never multipart. */
    msg->flags &= (uint8_t)~ZMQ__MSG_MORE;
    if (zmq__msg_size(msg) == 0 && r->current_out != NULL) {
        /* An empty chunk closes the connection. */
        struct zmq__pipe *p = r->current_out;
        r->current_out = NULL;
        r->more_out = false;
        r->dropping = false;
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        zmq__pipe_terminate(p, true);
        return 0;
    }
    return zmq__router_send(r, msg);
}

static int stream_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__router_recv(stream_of(s), msg, NULL);
}

static bool stream_has_in(struct zmq__socket *s)
{
    return zmq__router_has_in(stream_of(s));
}

static bool stream_has_out(struct zmq__socket *s)
{
    (void)s;
    return true;
}

static int stream_setsockopt(struct zmq__socket *s, int option, const void *val,
                             size_t len)
{
    int v;
    if (option != ZMQ_STREAM_NOTIFY)
        return -EINVAL;
    if (len != sizeof v)
        return -EINVAL;
    memcpy(&v, val, sizeof v);
    if (v != 0 && v != 1)
        return -EINVAL;
    s->options.raw_notify = v;
    return 0;
}

static int stream_getsockopt(struct zmq__socket *s, int option, void *val,
                             size_t *len)
{
    if (option != ZMQ_STREAM_NOTIFY || *len < sizeof(int))
        return -EINVAL;
    memcpy(val, &s->options.raw_notify, sizeof(int));
    *len = sizeof(int);
    return 0;
}

const struct zmq__socket_ops zmq__socket_stream_ops = {
    .name = "STREAM",
    .size = sizeof(struct zmq__router),
    .init = stream_init,
    .fini = stream_fini,
    .attach_pipe = stream_attach,
    .pipe_terminated = stream_terminated,
    .read_activated = stream_read_activated,
    .write_activated = stream_write_activated,
    .send = stream_send,
    .recv = stream_recv,
    .has_in = stream_has_in,
    .has_out = stream_has_out,
    .setsockopt = stream_setsockopt,
    .getsockopt = stream_getsockopt,
};
