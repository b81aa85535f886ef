/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The transport registry: one const table per scheme, listed once in
 * transport.c.  Core code never compares scheme strings itself; it asks
 * zmq__transport_find.
 *
 * Threading: the functions run in the calling socket's context (its
 * thread, its mutex held for thread-safe sockets).
 */
#ifndef ZMQ__TRANSPORT_H
#define ZMQ__TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

struct zmq__own;
struct zmq__pipe;
struct zmq__socket;

/* What a bind made: the endpoint as it ended up (wildcards filled in;
 * owned, NULL: as given) and the listener to launch (NULL: none). */
struct zmq__bound {
    char *endpoint;
    struct zmq__own *child;
};

struct zmq__transport {
    const char *scheme;
    /* Optional: false when the socket type cannot use this transport
     * (ENOCOMPATPROTO). */
    bool (*compatible)(int socket_type);
    /* addr is the part after "scheme://".  bind returns 0 or a negative
     * errno (-EADDRINUSE, -EINVAL for a malformed address, ...).  The
     * socket has reserved room for a child; a listener comes back in
     * out->child, not yet launched. */
    int (*bind)(struct zmq__socket *s, const char *addr,
                struct zmq__bound *out);
    /* connect attaches the new connection's pipe end to s and returns it
     * in *pipe (so callers can name it: zmq_connect_peer), NULL when the
     * pipe comes only with the handshake (IMMEDIATE).  A session to
     * launch comes back in *child (NULL: none, inproc). */
    int (*connect)(struct zmq__socket *s, const char *addr,
                   struct zmq__pipe **pipe, struct zmq__own **child);
    /* Removes a binding that has no listener (inproc); -ENOENT when
     * there is none.  Optional: bindings with a listener are ended by
     * the socket itself. */
    int (*unbind)(struct zmq__socket *s, const char *addr);
};

/* The transport for a "scheme://address" endpoint, with *addr set to the
 * address part.  -EINVAL for a malformed endpoint, -EPROTONOSUPPORT for
 * an unknown scheme. */
int zmq__transport_find(const char *uri, const struct zmq__transport **t,
                        const char **addr);

/* The tables, one per transport file. */
extern const struct zmq__transport zmq__transport_inproc;
extern const struct zmq__transport zmq__transport_tcp;
extern const struct zmq__transport zmq__transport_ipc;
extern const struct zmq__transport zmq__transport_udp;

#endif
