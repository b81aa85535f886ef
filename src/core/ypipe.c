/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Items live in a singly linked list of chunks of chunk_items slots.  A
 * position is the address of a slot, and is kept canonical: when a side
 * steps past a chunk's last slot it moves to slot 0 of the next chunk.
 * The writer therefore links the next chunk before it fills a chunk's
 * last slot, so the slot just after the last written item always exists
 * and every position, including "the end", is a real address.
 *
 * The writer owns back (where the next item goes), complete (just after
 * the last complete item) and flushed (what it last published).  The
 * reader owns front (the next item to read) and limit (a cached copy of
 * what it last saw published).  The two share one atomic pointer,
 * "shared", that holds the flushed position or NULL.  NULL means "the
 * reader found the pipe empty and is asleep":
 *
 * - The reader reads freely while front != limit.  At limit it does
 *   CAS(shared: front -> NULL).  If that succeeds nothing was published
 *   since, and the reader is now asleep.  If it fails, the value it saw
 *   is either a newer position (new limit; read on) or NULL (still
 *   asleep from an earlier check, nothing flushed since).
 * - flush does CAS(shared: flushed -> complete).  shared only ever holds
 *   the writer's last flushed position or NULL, so a failure means the
 *   reader is asleep: the writer stores the new position and returns
 *   false, and the caller wakes the reader by other means.
 *
 * Orderings.  The writer's CAS succeeds with release, and its fallback
 * store is a release store: the item bytes and chunk links written before
 * flush happen-before whatever the reader does after it acquires that
 * position.  The reader's CAS uses acquire on both outcomes (its success
 * order must be at least its failure order); a failed CAS is how it
 * learns a new limit.  The reader publishes nothing through shared, so
 * the writer's failed CAS is relaxed.  Because shared only holds
 * positions between front and back, which lie in distinct live chunks,
 * comparing addresses cannot suffer ABA even though chunks are reused.
 *
 * The reader hands each chunk it leaves to a one-slot "spare" with an
 * atomic exchange (release: its last reads of the chunk happen-before
 * the writer's reuse) and frees whatever spare it displaced, which can
 * only be a chunk it put there itself.  The writer takes the spare with
 * an exchange (acquire) before falling back to malloc, so a steady
 * stream of traffic allocates nothing.
 *
 * Each chunk also holds one writer-only "complete" flag per slot, so
 * that unwriting a complete but unflushed item can move "complete" back
 * to the end of the previous complete item.  Slots are item_size rounded
 * up to 8 bytes and the slot array starts max_align_t-aligned: an object
 * whose size is item_size has an alignment dividing item_size, so every
 * slot is suitably aligned for it.
 */
#include "core/ypipe.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_LINE 64
#define SLOT_ALIGN 8

struct chunk {
    struct chunk *next;  /* set by the writer before it publishes past here */
    struct chunk *prev;  /* writer only, for unwrite */
    max_align_t items[]; /* chunk_items slots, then chunk_items flags */
};

struct pos {
    struct chunk *c;
    size_t i;
};

struct zmq__ypipe {
    /* Constant after zmq__ypipe_new. */
    size_t item_size;
    size_t slot_size;
    size_t chunk_items;
    size_t chunk_bytes;
    /* Writer only. */
    alignas(CACHE_LINE) struct pos back; /* the next item goes here */
    unsigned char *complete;             /* end of the last complete item */
    unsigned char *flushed;              /* last position published */
    /* Reader only. */
    alignas(CACHE_LINE) struct pos front; /* the next item to read */
    unsigned char *limit;                 /* the reader may read up to here */
    /* Both sides. */
    alignas(CACHE_LINE) _Atomic(unsigned char *) shared; /* flushed or NULL */
    _Atomic(struct chunk *) spare;
};

static unsigned char *slot(const struct zmq__ypipe *p, struct pos at)
{
    return (unsigned char *)at.c->items + at.i * p->slot_size;
}

/* Writer only: one byte per slot, nonzero when that item is complete. */
static unsigned char *flags(const struct zmq__ypipe *p, struct chunk *c)
{
    return (unsigned char *)c->items + p->chunk_items * p->slot_size;
}

static struct pos next_pos(const struct zmq__ypipe *p, struct pos at)
{
    if (++at.i == p->chunk_items) {
        at.c = at.c->next;
        at.i = 0;
    }
    return at;
}

static struct pos prev_pos(const struct zmq__ypipe *p, struct pos at)
{
    if (at.i == 0) {
        at.c = at.c->prev;
        at.i = p->chunk_items;
    }
    at.i--;
    return at;
}

struct zmq__ypipe *zmq__ypipe_new(size_t item_size, size_t chunk_items)
{
    if (item_size == 0)
        item_size = 1;
    if (chunk_items == 0)
        chunk_items = 1;
    if (item_size > SIZE_MAX - SLOT_ALIGN)
        return NULL;
    size_t slot_size = (item_size + SLOT_ALIGN - 1) & ~(size_t)(SLOT_ALIGN - 1);
    size_t header = offsetof(struct chunk, items);
    if (slot_size + 1 > (SIZE_MAX - header) / chunk_items)
        return NULL;

    /* sizeof is a multiple of the struct's alignment, as aligned_alloc
     * requires. */
    struct zmq__ypipe *p = aligned_alloc(alignof(struct zmq__ypipe), sizeof *p);
    if (!p)
        return NULL;
    p->item_size = item_size;
    p->slot_size = slot_size;
    p->chunk_items = chunk_items;
    p->chunk_bytes = header + chunk_items * (slot_size + 1);
    struct chunk *c = malloc(p->chunk_bytes);
    if (!c) {
        free(p);
        return NULL;
    }
    c->next = NULL;
    c->prev = NULL;
    p->back = p->front = (struct pos){c, 0};
    p->complete = p->flushed = p->limit = slot(p, p->back);
    atomic_init(&p->shared, p->flushed);
    atomic_init(&p->spare, NULL);
    return p;
}

void zmq__ypipe_free(struct zmq__ypipe *p, void (*dtor)(void *item))
{
    if (!p)
        return;
    if (dtor) {
        unsigned char *end = slot(p, p->back);
        for (struct pos at = p->front; slot(p, at) != end; at = next_pos(p, at))
            dtor(slot(p, at));
    }
    /* Chunks before front were given up by the reader; the list from
     * front on includes any linked ahead of back. */
    for (struct chunk *c = p->front.c, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(atomic_load_explicit(&p->spare, memory_order_relaxed));
    free(p);
}

int zmq__ypipe_write(struct zmq__ypipe *p, const void *item, bool incomplete)
{
    struct chunk *c = p->back.c;
    /* Filling the last slot: link the next chunk first, so that the new
     * back position exists.  It may already be linked after an unwrite.
     * The reader reads c->next only once it is past c's last slot, which
     * is not published yet. */
    if (p->back.i + 1 == p->chunk_items && !c->next) {
        struct chunk *n =
            atomic_exchange_explicit(&p->spare, NULL, memory_order_acquire);
        if (!n && !(n = malloc(p->chunk_bytes)))
            return -ENOMEM;
        n->next = NULL;
        n->prev = c;
        c->next = n;
    }
    memcpy(slot(p, p->back), item, p->item_size);
    flags(p, c)[p->back.i] = !incomplete;
    p->back = next_pos(p, p->back);
    if (!incomplete)
        p->complete = slot(p, p->back);
    return 0;
}

bool zmq__ypipe_unwrite(struct zmq__ypipe *p, void *item)
{
    unsigned char *end = slot(p, p->back);
    if (end == p->flushed)
        return false;
    struct pos at = prev_pos(p, p->back);
    memcpy(item, slot(p, at), p->item_size);
    p->back = at;
    if (p->complete == end) {
        /* That item was complete: the complete run now ends after the
         * last complete item before it (or at flushed). */
        while (slot(p, at) != p->flushed) {
            struct pos before = prev_pos(p, at);
            if (flags(p, before.c)[before.i])
                break;
            at = before;
        }
        p->complete = slot(p, at);
    }
    return true;
}

bool zmq__ypipe_flush(struct zmq__ypipe *p)
{
    if (p->complete == p->flushed)
        return true;
    unsigned char *expected = p->flushed;
    p->flushed = p->complete;
    if (atomic_compare_exchange_strong_explicit(
            &p->shared, &expected, p->complete, memory_order_release,
            memory_order_relaxed))
        return true;
    /* shared holds only our last flushed position or NULL, so the reader
     * is asleep.  Nobody else writes shared until it is non-NULL. */
    atomic_store_explicit(&p->shared, p->complete, memory_order_release);
    return false;
}

bool zmq__ypipe_check_read(struct zmq__ypipe *p)
{
    unsigned char *at = slot(p, p->front);
    if (at != p->limit)
        return true;
    unsigned char *seen = at;
    if (atomic_compare_exchange_strong_explicit(&p->shared, &seen, NULL,
                                                memory_order_acquire,
                                                memory_order_acquire))
        return false; /* nothing new: now asleep */
    if (!seen)
        return false; /* asleep already, nothing flushed since */
    p->limit = seen;
    return true;
}

bool zmq__ypipe_read(struct zmq__ypipe *p, void *item)
{
    if (!zmq__ypipe_check_read(p))
        return false;
    memcpy(item, slot(p, p->front), p->item_size);
    if (++p->front.i == p->chunk_items) {
        struct chunk *done = p->front.c;
        p->front.c = done->next;
        p->front.i = 0;
        free(atomic_exchange_explicit(&p->spare, done, memory_order_release));
    }
    return true;
}

void *zmq__ypipe_peek(struct zmq__ypipe *p)
{
    return zmq__ypipe_check_read(p) ? slot(p, p->front) : NULL;
}
