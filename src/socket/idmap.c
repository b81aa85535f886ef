/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Open addressing with linear probing over a power-of-two table, keyed by
 * a mixed hash of the id.  Deleted slots become tombstones, cleaned up
 * when the table is rebuilt.  Ids come from a counter; an id still in use
 * after the counter wrapped around is skipped, so with fewer than 2^32 - 1
 * live connections an id is always found.
 */
#include "socket/idmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/pipe.h"

#define TOMBSTONE ((struct zmq__pipe *)(uintptr_t)1)

struct zmq__idmap_slot {
    uint32_t id;
    struct zmq__pipe *pipe; /* NULL: empty; TOMBSTONE: deleted */
};

static size_t hash(uint32_t id)
{
    uint32_t h = id * 0x9E3779B1u;
    return (size_t)(h ^ (h >> 15));
}

void zmq__idmap_init(struct zmq__idmap *m, uint32_t first)
{
    m->slots = NULL;
    m->cap = m->count = m->used = 0;
    m->next = first;
}

void zmq__idmap_fini(struct zmq__idmap *m)
{
    free(m->slots);
    m->slots = NULL;
}

static struct zmq__idmap_slot *lookup(const struct zmq__idmap *m, uint32_t id)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = hash(id) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct zmq__idmap_slot *s = &m->slots[i];
        if (s->pipe == NULL)
            return NULL;
        if (s->pipe != TOMBSTONE && s->id == id)
            return s;
    }
}

static void place(struct zmq__idmap_slot *slots, size_t cap, uint32_t id,
                  struct zmq__pipe *p)
{
    size_t i = hash(id) & (cap - 1);
    while (slots[i].pipe != NULL && slots[i].pipe != TOMBSTONE)
        i = (i + 1) & (cap - 1);
    slots[i].id = id;
    slots[i].pipe = p;
}

/* Rebuilds into a table with room for one more at most 1/2 full. */
static int grow(struct zmq__idmap *m)
{
    size_t cap = m->cap ? m->cap : 16;
    while ((m->count + 1) * 2 > cap)
        cap *= 2;
    struct zmq__idmap_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].pipe != NULL && m->slots[i].pipe != TOMBSTONE)
            place(slots, cap, m->slots[i].id, m->slots[i].pipe);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    m->used = m->count;
    return 0;
}

int zmq__idmap_add(struct zmq__idmap *m, struct zmq__pipe *p)
{
    if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
        return -ENOMEM;
    uint32_t id;
    do {
        id = m->next++;
    } while (id == 0 || lookup(m, id) != NULL);
    p->routing_id = id;
    size_t i = hash(id) & (m->cap - 1);
    while (m->slots[i].pipe != NULL && m->slots[i].pipe != TOMBSTONE)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].pipe == NULL)
        m->used++;
    m->slots[i].id = id;
    m->slots[i].pipe = p;
    m->count++;
    return 0;
}

struct zmq__pipe *zmq__idmap_find(const struct zmq__idmap *m, uint32_t id)
{
    struct zmq__idmap_slot *s = lookup(m, id);
    return s != NULL ? s->pipe : NULL;
}

void zmq__idmap_remove(struct zmq__idmap *m, struct zmq__pipe *p)
{
    struct zmq__idmap_slot *s = lookup(m, p->routing_id);
    if (s != NULL && s->pipe == p) {
        s->pipe = TOMBSTONE;
        m->count--;
    }
}
