/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Engines: what a session runs over a connection.  The ZMTP engine
 * (zmtp.h) serves tcp and ipc (and STREAM in its raw mode); the udp
 * engine (udp.h) serves datagrams.  A session sees them through this
 * table only.
 *
 * Threading: an engine belongs to its session's I/O thread.
 * Life: the session creates, plugs and frees it; an engine reports a
 * fatal condition with zmq__session_engine_error (session.h), which frees
 * it, as its last act.
 */
#ifndef ZMQ__ENGINE_H
#define ZMQ__ENGINE_H

#include <stdbool.h>

struct zmq__engine;
struct zmq__poller;

/* Why an engine ended. */
enum zmq__engine_error {
    ZMQ__ENGINE_CONNECTION, /* the peer closed, or an I/O error */
    ZMQ__ENGINE_PROTOCOL,   /* the peer broke the protocol */
    ZMQ__ENGINE_TIMEOUT     /* handshake or heartbeat timed out */
};

struct zmq__engine_ops {
    /* Registers with the I/O thread's poller and starts. */
    void (*plug)(struct zmq__engine *e, struct zmq__poller *p);
    /* The session's pipe has room again / messages to send again. */
    void (*restart_input)(struct zmq__engine *e);
    void (*restart_output)(struct zmq__engine *e);
    /* True once messages flow (handshake over). */
    bool (*ready)(const struct zmq__engine *e);
    /* True when everything taken from the session has been written. */
    bool (*drained)(const struct zmq__engine *e);
    /* The descriptor (monitor events). */
    int (*fd)(const struct zmq__engine *e);
    /* Unregisters, closes, frees. */
    void (*free)(struct zmq__engine *e);
};

/* The first member of every engine. */
struct zmq__engine {
    const struct zmq__engine_ops *ops;
};

#endif
