/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The socket type table: a new type is one file and one line here.
 */
#include <errno.h>
#include <stddef.h>

#include "socket/socket.h"
#include "socket/types.h"
#include "zmq.h"

static const struct zmq__socket_ops *const types[] = {
    [ZMQ_PAIR] = &zmq__socket_pair_ops,
    [ZMQ_PUB] = &zmq__socket_pub_ops,
    [ZMQ_SUB] = &zmq__socket_sub_ops,
    [ZMQ_XPUB] = &zmq__socket_xpub_ops,
    [ZMQ_XSUB] = &zmq__socket_xsub_ops,
    [ZMQ_REQ] = &zmq__socket_req_ops,
    [ZMQ_REP] = &zmq__socket_rep_ops,
    [ZMQ_DEALER] = &zmq__socket_dealer_ops,
    [ZMQ_ROUTER] = &zmq__socket_router_ops,
    [ZMQ_PULL] = &zmq__socket_pull_ops,
    [ZMQ_PUSH] = &zmq__socket_push_ops,
    [ZMQ_SERVER] = &zmq__socket_server_ops,
    [ZMQ_CLIENT] = &zmq__socket_client_ops,
    [ZMQ_GATHER] = &zmq__socket_gather_ops,
    [ZMQ_SCATTER] = &zmq__socket_scatter_ops,
    [ZMQ_PEER] = &zmq__socket_peer_ops,
    [ZMQ_CHANNEL] = &zmq__socket_channel_ops,
    [ZMQ_RADIO] = &zmq__socket_radio_ops,
    [ZMQ_DISH] = &zmq__socket_dish_ops,
    [ZMQ_STREAM] = &zmq__socket_stream_ops,
    [ZMQ_DGRAM] = &zmq__socket_dgram_ops,
};

int zmq__socket_type_ops(int type, const struct zmq__socket_ops **ops)
{
    if (type < 0 || type >= (int)(sizeof types / sizeof types[0]))
        return -EINVAL;
    *ops = types[type];
    return *ops != NULL ? 0 : -ENOTSUP;
}

bool zmq__socket_op_false(struct zmq__socket *s)
{
    (void)s;
    return false;
}

int zmq__socket_op_enotsup(struct zmq__socket *s, struct zmq__msg *msg)
{
    (void)s;
    (void)msg;
    return -ENOTSUP;
}

void zmq__socket_op_ignore(struct zmq__socket *s, struct zmq__pipe *p)
{
    (void)s;
    (void)p;
}
