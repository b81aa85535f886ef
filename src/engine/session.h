/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Sessions: the I/O-thread end of one network connection, and the child
 * of its socket (own.h).  A session holds the socket's end of the pipe on
 * one side and the engine (the ZMTP engine over a byte stream) on the
 * other, and moves messages between them.
 *
 * A connecting session (zmq_connect over tcp or ipc) lives as long as the
 * endpoint: it resolves the address (off the I/O thread when a name must
 * be looked up), connects, runs an engine, and when the connection
 * breaks, connects again after RECONNECT_IVL (doubling up to
 * RECONNECT_IVL_MAX).  Its pipe is made at zmq_connect time (unless
 * IMMEDIATE), so messages queue before the connection exists and a
 * PEER's routing id stays the same across reconnections.
 *
 * An accepted session serves one connection a listener accepted; its
 * pipe is made when the handshake succeeds, and the session ends with
 * the connection.
 *
 * Threading: everything runs on the session's I/O thread, except
 * zmq__session_connect_new (the socket's thread, before PLUG).
 */
#ifndef ZMQ__SESSION_H
#define ZMQ__SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/options.h"
#include "engine/own.h"
#include "engine/zmtp.h"
#include "transport/address.h"

struct zmq__pipe;
struct zmq__poller;
struct zmq__resolve_req;
struct zmq__socks;
struct zmq__stream;

/* How a connecting session reaches its address (one per transport). */
struct zmq__connect_ops {
    /* True when resolve may block (the resolver thread does it then). */
    bool (*needs_lookup)(const char *addr);
    /* Resolves addr: 0 with *t filled, or a negative errno. */
    int (*resolve)(const char *addr, const struct zmq__options *o,
                   struct zmq__tcp_target *t);
    /* A new non-blocking socket connecting to t: 0 with *fd connected,
     * -EINPROGRESS with *fd connecting, or a negative errno. */
    int (*open)(const struct zmq__tcp_target *t, const struct zmq__options *o,
                int *fd);
    /* Optional: a connection is established on fd: apply options.  0 or
     * a negative errno. */
    int (*established)(int fd, const struct zmq__tcp_target *t,
                       const struct zmq__options *o);
    /* Optional: the engine to run on fd (taken) instead of ZMTP over a
     * stream (udp).  NULL with *err. */
    struct zmq__engine *(*engine)(struct zmq__session *s, int fd,
                                  const struct zmq__tcp_target *t, int *err);
};

struct zmq__session {
    struct zmq__own own;
    struct zmq__options options; /* the socket's, when it was made */
    struct zmq__poller *poller;  /* the I/O thread's */

    struct zmq__pipe *pipe; /* our end; NULL when there is none */
    uint32_t routing_id;    /* PEER/SERVER: the connection's id, or 0 */
    bool identity_sent;     /* the peer's identity went into the pipe */
    bool discard_out;       /* dropping the rest of a broken message */
    struct zmq__engine *engine;

    /* Connecting. */
    const struct zmq__connect_ops *connect;
    const char *addr; /* own.endpoint after "scheme://" */
    struct zmq__resolve_req *resolving;
    struct zmq__tcp_target target;
    bool target_fixed; /* resolved by the transport already (udp) */
    int ready_fd;      /* opened by the transport already (udp), or -1 */
    int fd;            /* connecting socket, -1 when none */
    struct zmq__poller_entry *fd_entry;
    int reconnect_timer, connect_timer;
    int reconnect_ivl; /* the current interval */
    /* tcp through a SOCKS5 proxy (ZMQ_SOCKS_PROXY): its "HOST:PORT",
     * which is what gets resolved and connected, and the exchange with
     * it once connected (fd is then the proxy connection). */
    char *proxy_addr;
    struct zmq__socks *socks;

    /* Accepted: the stream waiting for PLUG. */
    struct zmq__stream *accepted;
    char *peer_address;

    /* Ending. */
    bool terminating;
    bool flush_wait;         /* lingering: the engine writes what it took */
    bool close_when_drained; /* the socket ended the pipe: close after */
    bool finish_scheduled;
    int linger_timer;
    int close_timer; /* closes the engine once drained */
};

/* Creates a connecting session for s to "scheme://addr" (on the socket's
 * thread, before it is launched) and, unless IMMEDIATE, the pipe pair,
 * whose socket end is attached to s and returned in *pipe.  -ENOMEM,
 * -EMTHREAD (no I/O thread). */
int zmq__session_connect_new(struct zmq__socket *s, const char *scheme,
                             const char *addr,
                             const struct zmq__connect_ops *ops,
                             struct zmq__session **out,
                             struct zmq__pipe **pipe);

/* Creates a session for an accepted connection (on the listener's
 * thread); the owner adopts it by OWN.  Takes st.  NULL when out of
 * memory (st is closed then). */
struct zmq__session *zmq__session_accepted_new(struct zmq__own *listener,
                                               const struct zmq__options *o,
                                               struct zmq__stream *st,
                                               const char *peer_address);

/* For the engine. */
/* The next message to send: 0, or -EAGAIN when there is none. */
int zmq__session_pull(struct zmq__session *s, struct zmq__msg *msg);
/* A received message: 0 (taken), or -EAGAIN when the pipe is full. */
int zmq__session_push(struct zmq__session *s, struct zmq__msg *msg);
void zmq__session_flush(struct zmq__session *s);
/* The handshake succeeded; id is the peer's identity.  0 or -ENOMEM. */
int zmq__session_engine_ready(struct zmq__session *s, const unsigned char *id,
                              size_t id_size);
/* The engine has written everything it took (lingering ends). */
void zmq__session_drained(struct zmq__session *s);
/* The engine failed; the session frees it. */
void zmq__session_engine_error(struct zmq__session *s,
                               enum zmq__engine_error why, int protocol_error,
                               bool handshaking);

#endif
