/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Listeners: a bound, listening stream socket on an I/O thread, child of
 * its socket (own.h).  Each accepted connection becomes a session (on
 * the least loaded I/O thread) that the socket adopts by OWN.
 *
 * The transport binds and listens on the application's thread (so
 * zmq_bind reports EADDRINUSE and the like itself) and hands over the
 * descriptor; the listener only accepts.
 *
 * Threading: zmq__listener_new on the socket's thread before launch;
 * the rest on the I/O thread.
 */
#ifndef ZMQ__LISTENER_H
#define ZMQ__LISTENER_H

#include <sys/socket.h>

#include "core/options.h"
#include "engine/own.h"

struct zmq__listener;

struct zmq__listener_ops {
    /* A connection was accepted on fd from peer: apply options and
     * filters.  0 keeps it; a negative errno drops it. */
    int (*accepted)(int fd, const struct sockaddr *peer, socklen_t len,
                    const struct zmq__options *o);
    /* Optional: the listening descriptor was closed (ipc removes its
     * file).  `cleanup` is what zmq__listener_new was given. */
    void (*closed)(const char *cleanup);
};

/* A listener for socket s on the listening descriptor fd (taken: closed
 * on failure too).  endpoint is the socket's record of it; cleanup is
 * kept for ops->closed (may be NULL).  NULL with *err (-ENOMEM,
 * -EMTHREAD). */
struct zmq__own *zmq__listener_new(struct zmq__socket *s, int fd,
                                   const char *endpoint,
                                   const struct zmq__listener_ops *ops,
                                   const char *cleanup, int *err);

#endif
