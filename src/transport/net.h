/* SPDX-License-Identifier: MPL-2.0 */
/*
 * What the stream transports (tcp, ipc) share on the binding side.
 *
 * Threading: the socket's thread (bind).
 */
#ifndef ZMQ__NET_H
#define ZMQ__NET_H

#include "transport/transport.h"

struct zmq__listener_ops;
struct zmq__socket;

/* "scheme://addr", malloc'd.  NULL when out of memory. */
char *zmq__net_endpoint_of(const char *scheme, const char *addr);

/* A BIND_FAILED event for "scheme://addr" with errno -err. */
void zmq__net_bind_failed(struct zmq__socket *s, const char *scheme,
                          const char *addr, int err);

/* fd listens: fills out (endpoint from getsockname, the listener) and
 * sends LISTENING.  Takes fd.  0 or a negative errno. */
int zmq__net_listening(struct zmq__socket *s, int fd,
                       const struct zmq__listener_ops *ops, const char *cleanup,
                       struct zmq__bound *out);

#endif
