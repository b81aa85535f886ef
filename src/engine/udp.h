/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The udp engine: datagrams for RADIO, DISH and DGRAM sockets, in
 * libzmq's formats.  RADIO sends and DISH receives [1-byte group
 * length][group][body] datagrams of at most 8192 bytes; DGRAM sends and
 * receives two-part messages [address "ip:port"][body].  No handshake,
 * no connection: the engine is ready at once and a datagram that does
 * not fit (too big, pipe full, malformed) is dropped, as udp drops.
 *
 * Threading: the session's I/O thread.
 */
#ifndef ZMQ__UDP_ENGINE_H
#define ZMQ__UDP_ENGINE_H

#include "engine/engine.h"
#include "transport/address.h"

struct zmq__session;

/* An engine on the udp socket fd (taken).  dest: where RADIO sends (NULL
 * for receivers and DGRAM).  NULL with *err. */
struct zmq__engine *zmq__udp_engine_new(struct zmq__session *s, int fd,
                                        const struct zmq__sockaddr *dest,
                                        int *err);

/* The largest datagram, as libzmq. */
#define ZMQ__UDP_MAX 8192

#endif
