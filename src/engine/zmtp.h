/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The ZMTP engine: speaks ZMTP 3.1 (with fallback to 3.0, 2.0 and 1.0
 * peers, as libzmq) over any byte stream.  It runs the greeting and the
 * security handshake, then moves messages between the stream and its
 * session: frames decoded from the stream are pushed to the session,
 * messages pulled from the session are encoded and written in batches
 * (many messages per syscall; large bodies are written from the message
 * buffer itself, without a copy).  It also answers and sends heartbeats
 * and translates subscriptions between ZMTP 3.1 commands and the
 * 0x01/0x00 messages the socket types use.
 *
 * Threading: an engine belongs to its session's I/O thread.
 * Life: the session creates it, plugs it and frees it.  The engine
 * reports a fatal condition with zmq__session_engine_error, which frees
 * the engine: that call is always the engine's last act.
 */
#ifndef ZMQ__ZMTP_H
#define ZMQ__ZMTP_H

#include <stdbool.h>

struct zmq__poller;
struct zmq__session;
struct zmq__stream;
struct zmq__zmtp;

/* Why an engine ended. */
enum zmq__engine_error {
    ZMQ__ENGINE_CONNECTION, /* the peer closed, or an I/O error */
    ZMQ__ENGINE_PROTOCOL,   /* the peer broke the protocol */
    ZMQ__ENGINE_TIMEOUT     /* handshake or heartbeat timed out */
};

/* A new engine over st (taken: closed by zmq__zmtp_free, or here on
 * failure).  peer_address is the peer's address as a URI ("tcp://...",
 * for Peer-Address), copied.  NULL with *err (-ENOMEM). */
struct zmq__zmtp *zmq__zmtp_new(struct zmq__session *s, struct zmq__stream *st,
                                const char *peer_address, int *err);

/* Registers the stream with the I/O thread's poller and starts the
 * greeting. */
void zmq__zmtp_plug(struct zmq__zmtp *e, struct zmq__poller *p);

/* The session's pipe has room again / messages to send again. */
void zmq__zmtp_restart_input(struct zmq__zmtp *e);
void zmq__zmtp_restart_output(struct zmq__zmtp *e);

/* True once the handshake is over and messages flow. */
bool zmq__zmtp_ready(const struct zmq__zmtp *e);

/* True when everything pulled from the session has been written. */
bool zmq__zmtp_drained(const struct zmq__zmtp *e);

/* The descriptor of the stream (monitor events). */
int zmq__zmtp_fd(const struct zmq__zmtp *e);

/* Unregisters, closes the stream, frees. */
void zmq__zmtp_free(struct zmq__zmtp *e);

#endif
