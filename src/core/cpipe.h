/* SPDX-License-Identifier: MPL-2.0 */
/*
 * cpipe: the conflating counterpart of a message ypipe, used by one
 * direction of a pipe whose socket set ZMQ_CONFLATE (see pipe.h).  It
 * holds at most the newest complete message: a message the writer
 * publishes replaces the one the reader has not started yet, which is
 * closed.  Multipart messages are kept whole: a message is complete at
 * its last part, and a reader that has started one reads all its parts.
 *
 * Two items do not conflate: the identity (written once, before any
 * message, delivered before them) and the delimiter (written last, when
 * the pipe terminates, delivered after the newest message).
 *
 * Like a ypipe, written items become visible at flush, and the sleep
 * protocol is the same: when the reader finds nothing (peek or read
 * returning nothing) it is marked asleep, and the next flush that
 * publishes something returns false, telling the writer to wake it.  A
 * new cpipe's reader counts as awake.
 *
 * Threading: one writer thread calls the writer functions, one reader
 * thread the reader functions, concurrently.  Both meet on one small
 * mutex, taken once per flush that publishes and once or twice per
 * message read; the parts of a message are read without it.  It is a
 * leaf lock: nothing else is locked, and no message closed (no user free
 * function runs), while it is held.  new/free are called when neither
 * side is active.
 *
 * Message ownership is msg.h's: write takes the message.
 */
#ifndef ZMQ__CPIPE_H
#define ZMQ__CPIPE_H

#include <stdbool.h>

#include "core/msg.h"

struct zmq__cpipe;

/* A new empty cpipe, or NULL when out of memory. */
struct zmq__cpipe *zmq__cpipe_new(void);

/* Closes every message still held (published or not) and frees. */
void zmq__cpipe_free(struct zmq__cpipe *c);

/* Writer: appends one part; more: parts of the same message follow.  A
 * complete message replaces the complete one written before it and not
 * yet flushed (*dropped is incremented and that one closed).  -ENOMEM
 * when a multipart message outgrows its buffer (msg untouched). */
int zmq__cpipe_write(struct zmq__cpipe *c, struct zmq__msg *msg, bool more,
                     unsigned *dropped);

/* Writer: the identity, delivered before every message (replaces one
 * written before that was not read). */
void zmq__cpipe_write_identity(struct zmq__cpipe *c, struct zmq__msg *msg);

/* Writer: the delimiter; nothing may be written after it. */
void zmq__cpipe_write_delimiter(struct zmq__cpipe *c);

/* Writer: closes the parts of an unfinished message. */
void zmq__cpipe_rollback(struct zmq__cpipe *c);

/* Writer: publishes what was written: the complete message replaces the
 * one published before if the reader has not started it (*dropped is
 * incremented).  Returns false when the reader is asleep and must be
 * woken, true otherwise (including when there was nothing new). */
bool zmq__cpipe_flush(struct zmq__cpipe *c, unsigned *dropped);

/* Reader: the next item (identity, a message part, or the delimiter),
 * left in place, or NULL (reader marked asleep).  Valid until the next
 * read. */
struct zmq__msg *zmq__cpipe_peek(struct zmq__cpipe *c);

/* Reader: moves the next item into msg; false (reader marked asleep)
 * when there is none.  When it starts a message and a newer one was
 * published since the last peek, the newer one is read and the older
 * closed (*dropped is incremented). */
bool zmq__cpipe_read(struct zmq__cpipe *c, struct zmq__msg *msg,
                     unsigned *dropped);

#endif
