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

#include "engine/engine.h"

struct zmq__poller;
struct zmq__session;
struct zmq__stream;
struct zmq__zmtp;

/* A new engine over st (taken: closed by the engine's free, or here on
 * failure).  NULL with *err (-ENOMEM). */
struct zmq__engine *zmq__zmtp_new(struct zmq__session *s,
                                  struct zmq__stream *st, int *err);

#endif
