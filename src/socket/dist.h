/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The distributor: sends one message to many pipes (PUB, XPUB, XSUB's
 * subscriptions upstream, later RADIO).
 *
 * The pipes are kept in one array split into regions:
 *   [0, matching)        receive the message being sent
 *   [matching, eligible) may receive messages
 *   [eligible, n)        attached in the middle of a multipart message;
 *                        they join when it ends, so a peer never gets the
 *                        tail of a message without its head
 * A pipe's position is kept in its index[slot] field.
 *
 * A message goes out whole: the set of receivers is chosen before its
 * first part (match / match_all / invert) and kept until its last part.
 * A receiver that is full at the first part is skipped for the whole
 * message (dropped, as PUB does at HWM); zmq__dist_can_send lets a
 * caller refuse instead (XPUB_NODROP).
 *
 * Threading: as the socket that embeds it.  Message ownership as msg.h.
 */
#ifndef ZMQ__DIST_H
#define ZMQ__DIST_H

#include <stdbool.h>
#include <stddef.h>

#include "core/msg.h"

struct zmq__pipe;

struct zmq__dist {
    struct zmq__pipe **pipes;
    size_t n, cap;
    size_t matching, eligible;
    bool more;     /* in the middle of a multipart message */
    unsigned slot; /* which pipe->index[] this uses: 0 or 1 */
};

/* A zeroed struct is an empty distributor using slot 0. */
void zmq__dist_fini(struct zmq__dist *d);

/* Adds a pipe.  -ENOMEM. */
int zmq__dist_add(struct zmq__dist *d, struct zmq__pipe *p);
void zmq__dist_remove(struct zmq__dist *d, struct zmq__pipe *p);
bool zmq__dist_has(const struct zmq__dist *d, const struct zmq__pipe *p);

/* Choosing the receivers of the next message (call only between
 * messages, i.e. when !d->more). */
void zmq__dist_match(struct zmq__dist *d, struct zmq__pipe *p);
void zmq__dist_match_all(struct zmq__dist *d);
/* The receivers become the eligible pipes that were not chosen. */
void zmq__dist_invert(struct zmq__dist *d);
void zmq__dist_unmatch(struct zmq__dist *d);

/* True when every chosen receiver can take a message now (pipes being
 * terminated do not count: they are about to go). */
bool zmq__dist_can_send(struct zmq__dist *d);

/* Sends one part to the receivers; always takes msg (a receiver that
 * cannot take it misses the whole message).  After the last part the
 * receivers are flushed and unchosen. */
void zmq__dist_send(struct zmq__dist *d, struct zmq__msg *msg);

#endif
