/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The socket type table and the routing helpers the types embed.
 *
 * Threading: as socket.h (everything runs with the socket owned).
 */
#ifndef ZMQ__SOCKET_TYPES_H
#define ZMQ__SOCKET_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"

struct zmq__pipe;
struct zmq__socket;
struct zmq__socket_ops;

/* The ops of socket type `type`.  -EINVAL for a number that is no socket
 * type, -ENOTSUP for a type this build does not have yet. */
int zmq__socket_type_ops(int type, const struct zmq__socket_ops **ops);

/* Trivial ops shared by the types: a direction the type does not have. */
bool zmq__socket_op_false(struct zmq__socket *s);
int zmq__socket_op_enotsup(struct zmq__socket *s, struct zmq__msg *msg);
void zmq__socket_op_ignore(struct zmq__socket *s, struct zmq__pipe *p);

/* The ops tables, one per type file. */
extern const struct zmq__socket_ops zmq__socket_pair_ops;
extern const struct zmq__socket_ops zmq__socket_pub_ops;
extern const struct zmq__socket_ops zmq__socket_sub_ops;
extern const struct zmq__socket_ops zmq__socket_xpub_ops;
extern const struct zmq__socket_ops zmq__socket_xsub_ops;
extern const struct zmq__socket_ops zmq__socket_push_ops;
extern const struct zmq__socket_ops zmq__socket_pull_ops;
extern const struct zmq__socket_ops zmq__socket_server_ops;
extern const struct zmq__socket_ops zmq__socket_peer_ops;
extern const struct zmq__socket_ops zmq__socket_client_ops;
extern const struct zmq__socket_ops zmq__socket_gather_ops;
extern const struct zmq__socket_ops zmq__socket_scatter_ops;
extern const struct zmq__socket_ops zmq__socket_channel_ops;
extern const struct zmq__socket_ops zmq__socket_dealer_ops;
extern const struct zmq__socket_ops zmq__socket_router_ops;
extern const struct zmq__socket_ops zmq__socket_req_ops;
extern const struct zmq__socket_ops zmq__socket_rep_ops;
extern const struct zmq__socket_ops zmq__socket_radio_ops;
extern const struct zmq__socket_ops zmq__socket_dish_ops;
extern const struct zmq__socket_ops zmq__socket_stream_ops;
extern const struct zmq__socket_ops zmq__socket_dgram_ops;

/*
 * A set of pipes split into an active part (pipes[0..active)) and an
 * inactive rest.  Fair queuing reads the active pipes in turn; load
 * balancing writes to them in turn.  Both keep a multipart message on one
 * pipe.  A pipe's position is kept in its `index` field.
 */
struct zmq__pipe_set {
    struct zmq__pipe **pipes;
    size_t n, cap;
    size_t active;
    size_t current;
    bool more;     /* in the middle of a multipart message */
    bool dropping; /* lb: dropping the rest of a message */
    unsigned slot; /* which pipe->index[] this set uses: 0 or 1 */
};

void zmq__pipe_set_fini(struct zmq__pipe_set *set);
/* Adds an active pipe.  -ENOMEM. */
int zmq__pipe_set_add(struct zmq__pipe_set *set, struct zmq__pipe *p);
void zmq__pipe_set_remove(struct zmq__pipe_set *set, struct zmq__pipe *p);
void zmq__pipe_set_activate(struct zmq__pipe_set *set, struct zmq__pipe *p);

/* Fair queue: the next message from the active pipes.  -EAGAIN. */
int zmq__fq_recv(struct zmq__pipe_set *set, struct zmq__msg *msg,
                 struct zmq__pipe **from);
bool zmq__fq_has_in(struct zmq__pipe_set *set);

/* Fair queue for single-part sockets (RFC 48/51): messages of several
 * parts are read and dropped whole; only single-part ones come out. */
int zmq__fq_recv_single(struct zmq__pipe_set *set, struct zmq__msg *msg,
                        struct zmq__pipe **from);

/* Load balancer: writes msg to the next active pipe.  -EAGAIN. */
int zmq__lb_send(struct zmq__pipe_set *set, struct zmq__msg *msg);
/* The same, telling which pipe took it (NULL when it was dropped). */
int zmq__lb_send_to(struct zmq__pipe_set *set, struct zmq__msg *msg,
                    struct zmq__pipe **to);
bool zmq__lb_has_out(struct zmq__pipe_set *set);

/* A FIFO of messages a socket makes itself (DISCONNECT_MSG notices). */
struct zmq__msg_queue {
    struct zmq__msg *items;
    size_t head, n, cap;
};

/* Appends msg (taken).  -ENOMEM (msg untouched). */
int zmq__msg_queue_push(struct zmq__msg_queue *q, struct zmq__msg *msg);
/* Takes the oldest into msg; false when empty. */
bool zmq__msg_queue_pop(struct zmq__msg_queue *q, struct zmq__msg *msg);
/* Closes what is left and frees the queue. */
void zmq__msg_queue_fini(struct zmq__msg_queue *q);

#endif
