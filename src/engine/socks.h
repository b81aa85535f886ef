/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The client side of a SOCKS5 proxy exchange (RFC 1928, with RFC 1929
 * username/password), run by a connecting tcp session after it has
 * connected to the proxy (ZMQ_SOCKS_PROXY) and before the ZMTP engine
 * starts.  Once it succeeds the connection carries the stream of the
 * target unchanged.
 *
 * The exchange: greeting (one method offered, as libzmq: none, or
 * username/password when a username is set), the proxy's choice, the
 * credentials if it chose them, then CONNECT to the target (an IPv4 or
 * IPv6 literal as an address, anything else as a domain name for the
 * proxy to resolve), and the proxy's reply.  Exactly the reply's bytes are
 * read, so ZMTP bytes the target sends right behind it stay in the socket.
 *
 * Threading: one exchange belongs to one session's I/O thread.
 */
#ifndef ZMQ__SOCKS_H
#define ZMQ__SOCKS_H

#include <stdbool.h>
#include <stddef.h>

struct zmq__socks;

/* A new exchange to reach target ("HOST:PORT" as in a tcp endpoint; a
 * "SOURCE;" prefix is ignored).  user and pass may be empty (size 0);
 * each is at most 255 bytes.  -EINVAL for a malformed target or a name
 * longer than 255 bytes, -ENOMEM. */
int zmq__socks_new(const char *target, const void *user, size_t user_size,
                   const void *pass, size_t pass_size, struct zmq__socks **out);

void zmq__socks_free(struct zmq__socks *x);

/* Moves the exchange on over fd (a connected, non-blocking socket):
 * writes what is pending and reads what is expected.  Returns 1 when the
 * proxy has connected us to the target, 0 when it must be called again
 * once fd is writable (*want_write) or readable (otherwise), or a
 * negative errno: -ECONNREFUSED when the proxy reports the target
 * refused, -EPROTO for any other refusal or a malformed answer,
 * -ECONNRESET when the proxy closed, or the socket's error. */
int zmq__socks_step(struct zmq__socks *x, int fd, bool *want_write);

#endif
