/* SPDX-License-Identifier: MPL-2.0 */
/*
 * ypipe: a lock-free single-producer/single-consumer queue of fixed-size
 * items, the building block of pipes (messages) and mailboxes.
 *
 * Items are copied in and out by value (memcpy of item_size bytes).  The
 * writer appends items and then flushes them: only flushed items are
 * visible to the reader.  Items written "incomplete" (the parts of a
 * multipart message before its last part) are not flushed until a
 * complete item follows, and can be taken back with unwrite.
 *
 * Sleep protocol: when the reader finds nothing to read
 * (zmq__ypipe_check_read or zmq__ypipe_read returning false) it is marked
 * asleep.  The next zmq__ypipe_flush that publishes items then returns
 * false, telling the writer that it must wake the reader through some
 * other channel (a command, an eventfd).  A flush that returns true needs
 * no wake-up: the reader has not yet seen the queue empty.  A new pipe's
 * reader counts as awake, so whoever creates the pipe must let the reader
 * check it once.
 *
 * Threading: exactly one writer thread calls the writer functions and
 * exactly one reader thread calls the reader functions; the two may run
 * concurrently.  new/free are called when neither side is active.
 */
#ifndef ZMQ__YPIPE_H
#define ZMQ__YPIPE_H

#include <stdbool.h>
#include <stddef.h>

struct zmq__ypipe;

/* A new empty pipe of items of item_size bytes, allocated chunk_items at
 * a time.  NULL when out of memory. */
struct zmq__ypipe *zmq__ypipe_new(size_t item_size, size_t chunk_items);

/* Frees the pipe.  If dtor is not NULL it is called on every item still
 * in the pipe (flushed or not). */
void zmq__ypipe_free(struct zmq__ypipe *p, void (*dtor)(void *item));

/* Writer: appends a copy of item.  incomplete: more parts of the same
 * unit follow, so flush must not publish it yet.  -ENOMEM when a new
 * chunk cannot be allocated (the pipe is unchanged). */
int zmq__ypipe_write(struct zmq__ypipe *p, const void *item, bool incomplete);

/* Writer: takes back the last written item if it has not been flushed,
 * copying it to item.  false when there is none. */
bool zmq__ypipe_unwrite(struct zmq__ypipe *p, void *item);

/* Writer: publishes every complete written item.  Returns false when the
 * reader is asleep and must be woken, true otherwise (including when
 * there was nothing to publish). */
bool zmq__ypipe_flush(struct zmq__ypipe *p);

/* Reader: true when an item can be read; otherwise marks the reader
 * asleep and returns false. */
bool zmq__ypipe_check_read(struct zmq__ypipe *p);

/* Reader: moves the next item into item.  false (reader marked asleep)
 * when there is none. */
bool zmq__ypipe_read(struct zmq__ypipe *p, void *item);

/* Reader: the next item, left in place, or NULL (reader marked asleep).
 * Valid until the next read. */
void *zmq__ypipe_peek(struct zmq__ypipe *p);

#endif
