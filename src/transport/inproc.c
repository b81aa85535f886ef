/* SPDX-License-Identifier: MPL-2.0 */
/*
 * inproc: sockets of one context connected by a pipe pair, no engine and
 * no I/O thread.  The context keeps the name table (ctx.c); this file
 * only checks addresses and plugs into the registry.
 */
#include <errno.h>

#include "core/ctx.h"
#include "core/pipe.h"
#include "socket/socket.h"
#include "transport/transport.h"

static int inproc_bind(struct zmq__socket *s, const char *addr,
                       struct zmq__bound *out)
{
    out->endpoint = NULL;
    out->child = NULL;
    if (addr[0] == '\0')
        return -EINVAL;
    return zmq__ctx_bind_inproc(s->obj.ctx, addr, s);
}

static int inproc_connect(struct zmq__socket *s, const char *addr,
                          struct zmq__pipe **pipe, struct zmq__own **child)
{
    *child = NULL;
    if (addr[0] == '\0')
        return -EINVAL;
    int rc = zmq__ctx_connect_inproc(s->obj.ctx, addr, s, pipe);
    if (rc == 0)
        zmq__socket_attach_pipe(s, *pipe);
    return rc;
}

static int inproc_unbind(struct zmq__socket *s, const char *addr)
{
    return zmq__ctx_unbind_inproc(s->obj.ctx, addr, s) > 0 ? 0 : -ENOENT;
}

const struct zmq__transport zmq__transport_inproc = {
    .scheme = "inproc",
    .bind = inproc_bind,
    .connect = inproc_connect,
    .unbind = inproc_unbind,
};
