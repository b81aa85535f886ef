/* SPDX-License-Identifier: MPL-2.0 */
/*
 * DGRAM: udp datagrams as two-part messages [address "ip:port"][body],
 * both ways, over the one udp endpoint the socket binds.  As libzmq:
 * the address part must have MORE and the body must not (EINVAL
 * otherwise); without an endpoint a send is dropped; not thread-safe.
 */
#include <errno.h>

#include "core/pipe.h"
#include "socket/socket.h"
#include "socket/types.h"

struct dgram {
    struct zmq__pipe *pipe;
    bool more_out; /* the address part went; the body comes next */
    bool dropping; /* no endpoint: the body goes too */
};

static struct dgram *dgram_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int dgram_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct dgram *d = dgram_of(s);
    if (d->pipe != NULL)
        return -EBUSY; /* one endpoint at a time */
    d->pipe = p;
    return 0;
}

static void dgram_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct dgram *d = dgram_of(s);
    if (d->pipe == p)
        d->pipe = NULL;
}

static void dgram_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    (void)s;
    (void)p;
}

static int dgram_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct dgram *d = dgram_of(s);
    bool more = zmq__msg_more(msg);
    if (!d->more_out) {
        if (!more)
            return -EINVAL; /* the address part must announce a body */
        if (d->pipe == NULL || !zmq__pipe_check_write(d->pipe)) {
            if (d->pipe != NULL)
                return -EAGAIN;
            d->dropping = true;
        }
    } else if (more) {
        return -EINVAL; /* two parts only */
    }
    if (d->dropping) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
    } else {
        int rc = zmq__pipe_write(d->pipe, msg);
        if (rc < 0)
            return rc;
        if (!more)
            zmq__pipe_flush(d->pipe);
    }
    d->more_out = more;
    if (!more)
        d->dropping = false;
    return 0;
}

static int dgram_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct dgram *d = dgram_of(s);
    return d->pipe != NULL ? zmq__pipe_read(d->pipe, msg) : -EAGAIN;
}

static bool dgram_has_in(struct zmq__socket *s)
{
    struct dgram *d = dgram_of(s);
    return d->pipe != NULL && zmq__pipe_check_read(d->pipe);
}

static bool dgram_has_out(struct zmq__socket *s)
{
    struct dgram *d = dgram_of(s);
    return d->pipe != NULL && zmq__pipe_check_write(d->pipe);
}

const struct zmq__socket_ops zmq__socket_dgram_ops = {
    .name = "DGRAM",
    .size = sizeof(struct dgram),
    .attach_pipe = dgram_attach,
    .pipe_terminated = dgram_terminated,
    .read_activated = dgram_activated,
    .write_activated = dgram_activated,
    .send = dgram_send,
    .recv = dgram_recv,
    .has_in = dgram_has_in,
    .has_out = dgram_has_out,
};
