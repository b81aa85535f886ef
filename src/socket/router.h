/* SPDX-License-Identifier: MPL-2.0 */
/*
 * ROUTER's routing, shared by the ROUTER and REP socket types.
 *
 * Threading: as socket.h (the socket is owned while these run).
 */
#ifndef ZMQ__ROUTER_H
#define ZMQ__ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"
#include "socket/types.h"

struct zmq__pipe;
struct zmq__socket;

struct zmq__router {
    struct zmq__pipe_set in;     /* every connection, fair-queued */
    struct zmq__msg_queue local; /* ROUTER_NOTIFY notices */
    uint32_t next_id;            /* generated ids */
    bool mandatory, handover, probe;
    int notify;
    /* Receiving: the first frame of a message waits while its id frame
     * is handed out. */
    bool prefetched, more_in;
    struct zmq__msg prefetched_msg;
    struct zmq__pipe *prefetched_from;
    /* Sending: the connection the current message goes to. */
    bool more_out, dropping;
    struct zmq__pipe *current_out;
};

void zmq__router_init(struct zmq__socket *s, struct zmq__router *r);
void zmq__router_fini(struct zmq__router *r);
/* Names the pipe (see router.c); -EEXIST for a duplicate id. */
int zmq__router_attach(struct zmq__socket *s, struct zmq__router *r,
                       struct zmq__pipe *p);
void zmq__router_terminated(struct zmq__socket *s, struct zmq__router *r,
                            struct zmq__pipe *p);
void zmq__router_read_activated(struct zmq__router *r, struct zmq__pipe *p);
/* One frame of [id][body...]; -EHOSTUNREACH, -EAGAIN (MANDATORY). */
int zmq__router_send(struct zmq__router *r, struct zmq__msg *msg);
/* One frame of [id][body...]; *from (may be NULL) is its connection. */
int zmq__router_recv(struct zmq__router *r, struct zmq__msg *msg,
                     struct zmq__pipe **from);
bool zmq__router_has_in(struct zmq__router *r);
/* ROUTER_MANDATORY, ROUTER_HANDOVER, PROBE_ROUTER, ROUTER_NOTIFY,
 * ROUTER_RAW; -EINVAL for others. */
int zmq__router_setsockopt(struct zmq__router *r, int option, const void *val,
                           size_t len);

/* zmq_socket_get_peer_state: ZMQ_POLLOUT when the connection with this id
 * can take a message now, else 0.  -ENOTSUP (not a ROUTER),
 * -EHOSTUNREACH (no such connection). */
int zmq__router_peer_state(struct zmq__socket *s, const void *id, size_t size);

#endif
