/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Owned objects: the child half of the ownership protocol in own.h.  The
 * socket half (lists, counting acknowledgements) is in socket.c.
 */
#include "engine/own.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/io_thread.h"
#include "socket/socket.h"

int zmq__own_init(struct zmq__own *o, const struct zmq__own_ops *ops,
                  struct zmq__socket *owner, struct zmq__io_thread *io,
                  enum zmq__own_kind kind, const char *endpoint)
{
    o->obj.ctx = owner->obj.ctx;
    o->obj.mailbox = &io->mailbox;
    o->ops = ops;
    o->owner = owner;
    o->io = io;
    o->kind = kind;
    o->listener = NULL;
    o->endpoint = strdup(endpoint);
    return o->endpoint != NULL ? 0 : -ENOMEM;
}

void zmq__own_fini(struct zmq__own *o)
{
    free(o->endpoint);
    o->endpoint = NULL;
}

void zmq__own_term_done(struct zmq__own *o)
{
    struct zmq__command cmd = {.args.own.child = o};
    zmq__object_send(&o->owner->obj, ZMQ__CMD_TERM_ACK, &cmd);
}

void zmq__own_term_req(struct zmq__own *o)
{
    struct zmq__command cmd = {.args.own.child = o};
    zmq__object_send(&o->owner->obj, ZMQ__CMD_TERM_REQ, &cmd);
}

void zmq__own_process_plug(struct zmq__own *o)
{
    o->ops->plug(o);
}

void zmq__own_process_term(struct zmq__own *o, int linger)
{
    o->ops->term(o, linger);
}
