/* SPDX-License-Identifier: MPL-2.0 */
/*
 * socket_base: everything every socket type shares.  Options, endpoints,
 * the pipes, blocking send and receive with timeouts, command
 * processing, closing.  Each socket type is one file filling a const
 * struct zmq__socket_ops and listed once in socket.c's type table.
 *
 * Threading: a classic socket is used by one application thread at a
 * time and takes no lock.  A thread-safe socket (ops->thread_safe) takes
 * its mutex `sync` in every public entry point; blocking calls wait in
 * zmq__mailbox_recv, which releases the mutex while waiting.  After
 * zmq_close the reaper thread owns the socket.  The type ops are always
 * called with the socket owned (mutex held where there is one).
 *
 * Errors: 0 / a value, or a negative errno.
 */
#ifndef ZMQ__SOCKET_H
#define ZMQ__SOCKET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mailbox.h"
#include "core/msg.h"
#include "core/object.h"
#include "core/options.h"
#include "socket/monitor.h"

struct zmq__own;
struct zmq__pipe;
struct zmq__poller;
struct zmq__poller_entry;
struct zmq__socket;

#define ZMQ__SOCKET_TAG      0xbaddecafu
#define ZMQ__SOCKET_TAG_DEAD 0xdeadd0d0u

struct zmq__socket_ops {
    const char *name; /* ZMTP Socket-Type name */
    bool thread_safe;
    size_t size; /* bytes of type-private state at zmq__socket_data */
    /* Microseconds a blocking wait spins before it sleeps, on machines
     * with more than one CPU (REQ: a reply usually comes within one
     * round trip, and waking a sleeping thread costs more than that on
     * an idle CPU).  0: sleep at once. */
    unsigned wait_spin_us;

    /* Optional: set up / tear down the private state. */
    int (*init)(struct zmq__socket *s);
    void (*fini)(struct zmq__socket *s);

    /* A new pipe end is attached.  Return a negative errno to refuse it
     * (the socket then terminates it). */
    int (*attach_pipe)(struct zmq__socket *s, struct zmq__pipe *p);
    /* A pipe end is finished; forget it. */
    void (*pipe_terminated)(struct zmq__socket *s, struct zmq__pipe *p);
    void (*read_activated)(struct zmq__socket *s, struct zmq__pipe *p);
    void (*write_activated)(struct zmq__socket *s, struct zmq__pipe *p);

    /* Send takes msg on success (leaving it empty); -EAGAIN when it
     * cannot now; other errors are final.  Recv fills an unused msg. */
    int (*send)(struct zmq__socket *s, struct zmq__msg *msg);
    int (*recv)(struct zmq__socket *s, struct zmq__msg *msg);
    bool (*has_in)(struct zmq__socket *s);
    bool (*has_out)(struct zmq__socket *s);

    /* Optional: RADIO/DISH groups (zmq_join / zmq_leave); NULL gives
     * ENOTSUP.  The name is already checked to be at most
     * ZMQ_GROUP_MAX_LENGTH bytes. */
    int (*join)(struct zmq__socket *s, const char *group);
    int (*leave)(struct zmq__socket *s, const char *group);

    /* Optional: type-specific options; -EINVAL when not handled. */
    int (*setsockopt)(struct zmq__socket *s, int option, const void *val,
                      size_t len);
    int (*getsockopt)(struct zmq__socket *s, int option, void *val,
                      size_t *len);
};

/* An endpoint the socket bound or connected, for unbind/disconnect. */
struct zmq__socket_endpoint {
    char *uri;
    bool bound;
    struct zmq__pipe *pipe; /* connect: the pipe it made (inproc) */
    struct zmq__own *child; /* tcp, ipc: the listener or session */
};

struct zmq__socket {
    uint32_t tag; /* ZMQ__SOCKET_TAG while open */
    struct zmq__object obj;
    const struct zmq__socket_ops *ops;
    struct zmq__options options;
    struct zmq__mailbox mailbox;
    pthread_mutex_t sync; /* thread-safe types only */

    /* All attached pipe ends. */
    struct zmq__pipe **pipes;
    size_t npipes, pipe_cap;

    struct zmq__socket_endpoint *endpoints;
    size_t nendpoints, endpoint_cap;
    char *last_endpoint;

    /* Children on I/O threads (own.h): listed ones, and those sent TERM
     * whose TERM_ACK has not come yet (addresses only: never read). */
    struct zmq__own **children;
    size_t nchildren, child_cap;
    struct zmq__own **dying;
    size_t ndying, dying_cap;
    /* TERM_REQs that came before the child's OWN (listener.c). */
    struct zmq__own **early;
    size_t nearly;

    /* CONNECT_ROUTING_ID taken for the connect in progress (the ROUTER
     * names the connection it makes by it); empty otherwise. */
    unsigned char connect_id[255];
    size_t connect_id_size;

    struct zmq__monitor monitor;

    bool ctx_terminated; /* got STOP: calls end with ETERM */
    bool closing;        /* closed by the application */
    bool rcvmore;        /* the last message received had MORE */

    /* Reaping (reaper thread only). */
    struct zmq__poller *reaper_poller;
    struct zmq__poller_entry *reaper_entry;
    int linger_timer;

    /* Type-private state follows, aligned. */
    _Alignas(16) unsigned char data[];
};

static inline void *zmq__socket_data(struct zmq__socket *s)
{
    return s->data;
}

/* Creates a socket of `type` in ctx (called by the context with its lock
 * held).  NULL with *err (-EINVAL for an unknown type, -ENOMEM, ...). */
struct zmq__socket *zmq__socket_new(struct zmq__ctx *ctx, int type, int *err);

static inline bool zmq__socket_check(const struct zmq__socket *s)
{
    return s != NULL && s->tag == ZMQ__SOCKET_TAG;
}

/* Public entry points (zmq.c).  Each locks a thread-safe socket. */
int zmq__socket_close(struct zmq__socket *s);
int zmq__socket_setsockopt(struct zmq__socket *s, int option, const void *val,
                           size_t len);
int zmq__socket_getsockopt(struct zmq__socket *s, int option, void *val,
                           size_t *len);
int zmq__socket_bind(struct zmq__socket *s, const char *uri);
int zmq__socket_connect(struct zmq__socket *s, const char *uri);
int zmq__socket_unbind(struct zmq__socket *s, const char *uri);
int zmq__socket_disconnect(struct zmq__socket *s, const char *uri);
/* flags: ZMQ_DONTWAIT, ZMQ_SNDMORE.  Returns the message size. */
int zmq__socket_send(struct zmq__socket *s, struct zmq__msg *msg, int flags);
/* Fills msg (closing what it held) only on success; returns its size. */
int zmq__socket_recv(struct zmq__socket *s, struct zmq__msg *msg, int flags);

/* Makes s the owner of a pipe end: commands to it come to s's mailbox
 * and its events go to s.  Done before the far end may send anything. */
void zmq__socket_own_pipe(struct zmq__socket *s, struct zmq__pipe *p);

/* Attaches a pipe end made for this socket (connect, bind pick-up, BIND
 * command): sets its owner and hands it to the type. */
void zmq__socket_attach_pipe(struct zmq__socket *s, struct zmq__pipe *p);

/* zmq_socket_monitor_versioned: see monitor.h. */
int zmq__socket_monitor(struct zmq__socket *s, const char *addr,
                        uint64_t events, int version, int type);

/* zmq_socket_monitor_pipes_stats: asks every pipe for its queue lengths;
 * each answer becomes a PIPES_STATS event.  -EINVAL without a monitor
 * that asked for ZMQ_EVENT_PIPES_STATS. */
int zmq__socket_monitor_pipes_stats(struct zmq__socket *s);

/* zmq_socket_get_peer_state (ROUTER). */
int zmq__socket_peer_state(struct zmq__socket *s, const void *id, size_t size);

/* zmq_join / zmq_leave: -ENOTSUP for types without groups, -EINVAL for a
 * name longer than ZMQ_GROUP_MAX_LENGTH, -ETERM. */
int zmq__socket_join(struct zmq__socket *s, const char *group);
int zmq__socket_leave(struct zmq__socket *s, const char *group);

/* PEER: connects like zmq__socket_connect and returns the routing id of
 * the connection this call created (> 0), or a negative errno: -ENOTSUP
 * for other types, -EFAULT with ZMQ_IMMEDIATE set. */
int64_t zmq__socket_connect_peer(struct zmq__socket *s, const char *uri);

/* PEER: closes the connection with this routing id.  -EHOSTUNREACH for an
 * unknown id, -ENOTSUP for other types. */
int zmq__socket_disconnect_peer(struct zmq__socket *s, uint32_t id);

/* ZMQ_CONFLATE as it applies to the pipes made for a socket from now on
 * (connect, an inproc bind picking up connections, a session for an
 * accepted or connected stream): true when the option is set and the
 * type is PUB, SUB, PUSH, PULL or DEALER, as libzmq; the other types
 * accept the option and ignore it.  Any thread that owns s may call it. */
bool zmq__socket_conflates(const struct zmq__socket *s);

/* The same decision, per direction, from the options a pipe is made with
 * (the socket's own, or a snapshot of them, zmq__options_copy): *send
 * for the direction carrying what the socket sends, *recv for what it
 * receives; give them to zmq__pipe_pair_conflate for those directions.
 * Subscriptions never conflate (libzmq conflates them too and so loses
 * all but the last one sent in a burst): PUB conflates only what it
 * sends, SUB only what it receives, PUSH sends, PULL receives, DEALER
 * both.  Both false when the option has no effect. */
void zmq__socket_conflate_dirs(const struct zmq__options *o, bool *send,
                               bool *recv);

/* Helpers for the types. */
/* Sends ZMQ_HELLO_MSG (when set and the type allows it) on a new pipe. */
void zmq__socket_send_hello(struct zmq__socket *s, struct zmq__pipe *p);
/* Queues ZMQ_DISCONNECT_MSG (when set and the type allows it) for local
 * delivery, carrying the routing id of the connection that the peer
 * ended. */
struct zmq__msg_queue;
void zmq__socket_queue_disconnect_msg(struct zmq__socket *s,
                                      struct zmq__msg_queue *q,
                                      struct zmq__pipe *p);
/* SERVER/PEER, from a session's thread: gives the pipe end p (made for
 * s, not attached yet) its routing id now, under the socket's mutex, so
 * that the connection's monitor events can carry it.  Returns the id, 0
 * for other types (or without memory: the id then comes at attach). */
uint32_t zmq__socket_reserve_routing_id(struct zmq__socket *s,
                                        struct zmq__pipe *p);
/* server.c: the reservation itself (mutex held).  0 or -ENOMEM. */
int zmq__server_reserve(struct zmq__socket *s, struct zmq__pipe *p);
/* SERVER/PEER: the pipe with this routing id, or NULL. */
struct zmq__pipe *zmq__socket_server_find(struct zmq__socket *s, uint32_t id);

/* Makes room for one more child, so that zmq__socket_launch cannot fail.
 * -ENOMEM. */
int zmq__socket_reserve_child(struct zmq__socket *s);

/* Lists a new child (room reserved beforehand) and starts it on its I/O
 * thread (PLUG). */
void zmq__socket_launch(struct zmq__socket *s, struct zmq__own *child);

/* Launches a child only to end it at once (a bind that could not be
 * recorded). */
void zmq__socket_launch_and_term(struct zmq__socket *s, struct zmq__own *child);

/* Command handlers (zmq__object_dispatch). */
void zmq__socket_process_stop(struct zmq__socket *s);
void zmq__socket_process_bind(struct zmq__socket *s, struct zmq__pipe *p);
void zmq__socket_process_own(struct zmq__socket *s, struct zmq__own *child);
void zmq__socket_process_term_req(struct zmq__socket *s,
                                  struct zmq__own *child);
void zmq__socket_process_term_ack(struct zmq__socket *s,
                                  struct zmq__own *child);

/* Reaper: takes over a closed socket; registers its mailbox with the
 * reaper's poller and starts terminating its pipes. */
void zmq__socket_start_reaping(struct zmq__socket *s, struct zmq__poller *p);

#endif
