/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Conflating pipes.
 *
 * Messages live in part buffers (a growable array of parts), and five
 * of them rotate by pointer swaps, so a steady stream of single-part
 * messages allocates nothing:
 *
 *   building  writer: the parts of the message being written;
 *   ready     writer: the last complete message not yet flushed;
 *   slot      shared (under the mutex): the last flushed message;
 *   reading   reader: the message being read, from part `next` on;
 *   spare     reader: an empty buffer to put back into slot when the
 *             reader swaps a newer message in over one it had taken.
 *
 * write completes a message by swapping building and ready (closing
 * what ready held); flush swaps ready and slot under the mutex and
 * closes the displaced message after unlocking, so a user's free
 * function never runs under the lock.  The reader takes slot when
 * reading has run out (swapping in its empty buffer), and once more when
 * it starts the message it took, in case a newer one came meanwhile.
 *
 * The identity and the delimiter travel beside the buffers, each as a
 * flag and (identity) a message, handed writer -> shared -> reader at
 * flush and take time, so neither is ever conflated away.  The writer
 * writes nothing after the delimiter, so the reader stops looking once
 * it has seen it.
 *
 * The reader's "asleep" flag lives under the mutex: set when a take
 * finds nothing, cleared by the flush that publishes something, which
 * then reports that the reader must be woken.
 */
#include "core/cpipe.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cbuf {
    struct zmq__msg *parts;
    size_t n, cap;
};

struct zmq__cpipe {
    pthread_mutex_t lock;
    struct cbuf bufs[5];

    /* Writer only. */
    struct cbuf *building, *ready;
    struct zmq__msg w_identity;
    bool w_has_identity, w_delim;

    /* Under lock. */
    struct cbuf *slot;
    struct zmq__msg s_identity;
    bool s_has_identity, s_delim;
    bool asleep;

    /* Reader only. */
    struct cbuf *reading, *spare;
    size_t next;
    struct zmq__msg r_identity, delim;
    bool r_has_identity, r_delim, delim_read;
};

static void close_parts(struct cbuf *b, size_t from)
{
    for (size_t i = from; i < b->n; i++)
        zmq__msg_close(&b->parts[i]);
    b->n = 0;
}

struct zmq__cpipe *zmq__cpipe_new(void)
{
    struct zmq__cpipe *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < 5; i++) {
        c->bufs[i].parts = malloc(sizeof *c->bufs[i].parts);
        if (c->bufs[i].parts == NULL)
            goto fail;
        c->bufs[i].cap = 1;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        goto fail;
    c->building = &c->bufs[0];
    c->ready = &c->bufs[1];
    c->slot = &c->bufs[2];
    c->reading = &c->bufs[3];
    c->spare = &c->bufs[4];
    zmq__msg_init_delimiter(&c->delim);
    return c;
fail:
    for (size_t i = 0; i < 5; i++)
        free(c->bufs[i].parts);
    free(c);
    return NULL;
}

void zmq__cpipe_free(struct zmq__cpipe *c)
{
    if (c == NULL)
        return;
    close_parts(c->building, 0);
    close_parts(c->ready, 0);
    close_parts(c->slot, 0);
    close_parts(c->reading, c->next);
    if (c->w_has_identity)
        zmq__msg_close(&c->w_identity);
    if (c->s_has_identity)
        zmq__msg_close(&c->s_identity);
    if (c->r_has_identity)
        zmq__msg_close(&c->r_identity);
    for (size_t i = 0; i < 5; i++)
        free(c->bufs[i].parts);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* --- writer --------------------------------------------------------------- */

int zmq__cpipe_write(struct zmq__cpipe *c, struct zmq__msg *msg, bool more,
                     unsigned *dropped)
{
    struct cbuf *b = c->building;
    if (b->n == b->cap) {
        size_t cap = b->cap * 2;
        struct zmq__msg *v = realloc(b->parts, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        b->parts = v;
        b->cap = cap;
    }
    b->parts[b->n++] = *msg;
    if (!more) {
        if (c->ready->n > 0) {
            close_parts(c->ready, 0);
            (*dropped)++;
        }
        c->building = c->ready;
        c->ready = b;
    }
    return 0;
}

void zmq__cpipe_write_identity(struct zmq__cpipe *c, struct zmq__msg *msg)
{
    if (c->w_has_identity)
        zmq__msg_close(&c->w_identity);
    c->w_identity = *msg;
    c->w_has_identity = true;
}

void zmq__cpipe_write_delimiter(struct zmq__cpipe *c)
{
    c->w_delim = true;
}

void zmq__cpipe_rollback(struct zmq__cpipe *c)
{
    close_parts(c->building, 0);
}

bool zmq__cpipe_flush(struct zmq__cpipe *c, unsigned *dropped)
{
    bool message = c->ready->n > 0;
    if (!message && !c->w_has_identity && !c->w_delim)
        return true;
    struct zmq__msg old_identity;
    bool had_identity = false;

    pthread_mutex_lock(&c->lock);
    if (message) {
        struct cbuf *t = c->slot;
        c->slot = c->ready;
        c->ready = t; /* the message the reader did not take, if any */
    }
    if (c->w_has_identity) {
        if (c->s_has_identity) {
            old_identity = c->s_identity;
            had_identity = true;
        }
        c->s_identity = c->w_identity;
        c->s_has_identity = true;
        c->w_has_identity = false;
    }
    if (c->w_delim)
        c->s_delim = true;
    bool wake = c->asleep;
    c->asleep = false;
    pthread_mutex_unlock(&c->lock);

    c->w_delim = false;
    if (c->ready->n > 0) {
        close_parts(c->ready, 0);
        (*dropped)++;
    }
    if (had_identity)
        zmq__msg_close(&old_identity);
    return !wake;
}

/* --- reader --------------------------------------------------------------- */

/* Takes what was published; reading has run out.  Marks the reader
 * asleep when there is nothing. */
static void take(struct zmq__cpipe *c)
{
    pthread_mutex_lock(&c->lock);
    bool got = false;
    if (c->s_has_identity) {
        c->r_identity = c->s_identity;
        c->r_has_identity = true;
        c->s_has_identity = false;
        got = true;
    }
    if (c->slot->n > 0) {
        struct cbuf *t = c->reading; /* empty */
        c->reading = c->slot;
        c->slot = t;
        c->next = 0;
        got = true;
    }
    if (c->s_delim) {
        c->r_delim = true;
        got = true;
    }
    if (!got)
        c->asleep = true;
    pthread_mutex_unlock(&c->lock);
}

struct zmq__msg *zmq__cpipe_peek(struct zmq__cpipe *c)
{
    if (!c->r_has_identity && c->next == c->reading->n && !c->r_delim)
        take(c);
    if (c->r_has_identity)
        return &c->r_identity;
    if (c->next < c->reading->n)
        return &c->reading->parts[c->next];
    if (c->r_delim && !c->delim_read)
        return &c->delim;
    return NULL;
}

/* About to start the message in reading: a newer one may have been
 * published since it was taken. */
static void take_newer(struct zmq__cpipe *c, unsigned *dropped)
{
    pthread_mutex_lock(&c->lock);
    bool newer = c->slot->n > 0;
    if (newer) {
        struct cbuf *old = c->reading;
        c->reading = c->slot;
        c->slot = c->spare; /* empty */
        c->spare = old;
    }
    pthread_mutex_unlock(&c->lock);
    if (newer) {
        close_parts(c->spare, 0);
        (*dropped)++;
    }
}

bool zmq__cpipe_read(struct zmq__cpipe *c, struct zmq__msg *msg,
                     unsigned *dropped)
{
    struct zmq__msg *item = zmq__cpipe_peek(c);
    if (item == NULL)
        return false;
    if (item == &c->r_identity) {
        *msg = c->r_identity;
        c->r_has_identity = false;
        return true;
    }
    if (item == &c->delim) {
        *msg = c->delim;
        c->delim_read = true;
        return true;
    }
    if (c->next == 0)
        take_newer(c, dropped);
    *msg = c->reading->parts[c->next++];
    if (c->next == c->reading->n) {
        c->reading->n = 0;
        c->next = 0;
    }
    return true;
}
