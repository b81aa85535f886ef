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
    [ZMQ_PULL] = &zmq__socket_pull_ops,
    [ZMQ_PUSH] = &zmq__socket_push_ops,
    [ZMQ_SERVER] = &zmq__socket_server_ops,
    [ZMQ_CLIENT] = &zmq__socket_client_ops,
    [ZMQ_GATHER] = &zmq__socket_gather_ops,
    [ZMQ_SCATTER] = &zmq__socket_scatter_ops,
    [ZMQ_PEER] = &zmq__socket_peer_ops,
    [ZMQ_CHANNEL] = &zmq__socket_channel_ops,
};

int zmq__socket_type_ops(int type, const struct zmq__socket_ops **ops)
{
    if (type < 0 || type >= (int)(sizeof types / sizeof types[0]))
        return -EINVAL;
    *ops = types[type];
    return *ops != NULL ? 0 : -ENOTSUP;
}
