/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Owned objects: what a socket runs on an I/O thread (listeners and
 * sessions).  Each is a child of exactly one socket, which keeps the list
 * of its children and frees itself only once every child has finished.
 *
 * The protocol, all by commands:
 *  - the socket creates a child, lists it and sends PLUG to start it on
 *    its I/O thread (zmq__socket_launch);
 *  - a listener that accepts a connection creates the session and sends
 *    OWN to the socket (which lists it, or terminates it at once when it
 *    is closing) and PLUG to the session;
 *  - the socket ends a child with TERM (carrying its LINGER); the child
 *    finishes its work, sends TERM_ACK as its very last command and frees
 *    itself; nothing sends it a command after TERM;
 *  - a child that wants to end (an accepted connection went away) sends
 *    TERM_REQ; the socket answers with TERM unless it already did.
 *
 * Threading: `obj`, `ops`, `owner`, `io` and `endpoint` are set before
 * PLUG and read-only after.
 */
#ifndef ZMQ__OWN_H
#define ZMQ__OWN_H

#include <stdbool.h>

#include "core/object.h"

struct zmq__io_thread;
struct zmq__own;
struct zmq__socket;

struct zmq__own_ops {
    /* On the child's I/O thread: start (register descriptors, timers). */
    void (*plug)(struct zmq__own *o);
    /* On the child's I/O thread: finish within linger ms (-1: no limit),
     * then call zmq__own_term_done and free everything. */
    void (*term)(struct zmq__own *o, int linger);
};

enum zmq__own_kind {
    ZMQ__OWN_LISTENER,
    ZMQ__OWN_CONNECT, /* a session that connects (and reconnects) */
    ZMQ__OWN_ACCEPTED /* a session for one accepted connection */
};

struct zmq__own {
    struct zmq__object obj; /* mailbox: the I/O thread's */
    const struct zmq__own_ops *ops;
    struct zmq__socket *owner;
    struct zmq__io_thread *io;
    enum zmq__own_kind kind;
    /* The endpoint it serves, as the socket recorded it (owned). */
    char *endpoint;
    /* ACCEPTED: the listener that accepted it (compared, never followed:
     * unbind ends the listener's connections too, as libzmq). */
    const struct zmq__own *listener;
};

/* Fills the common part; copies endpoint.  -ENOMEM. */
int zmq__own_init(struct zmq__own *o, const struct zmq__own_ops *ops,
                  struct zmq__socket *owner, struct zmq__io_thread *io,
                  enum zmq__own_kind kind, const char *endpoint);

/* Frees what zmq__own_init allocated. */
void zmq__own_fini(struct zmq__own *o);

/* Child side: the last command; the caller frees itself right after. */
void zmq__own_term_done(struct zmq__own *o);

/* Child side: asks the owner to terminate it (TERM follows). */
void zmq__own_term_req(struct zmq__own *o);

/* Command handlers (zmq__object_dispatch). */
void zmq__own_process_plug(struct zmq__own *o);
void zmq__own_process_term(struct zmq__own *o, int linger);

#endif
