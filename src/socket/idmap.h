/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Routing-id maps: uint32 id -> pipe, for SERVER and PEER, and the id
 * allocator that keeps ids unique and never 0, also after the 32-bit
 * counter wraps around.
 *
 * Threading: owned by one socket (its mutex held).
 */
#ifndef ZMQ__IDMAP_H
#define ZMQ__IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct zmq__pipe;

struct zmq__idmap {
    struct zmq__idmap_slot *slots; /* open addressing, power of 2 */
    size_t cap, count, used;       /* used counts tombstones too */
    uint32_t next;                 /* next id to try */
};

/* An empty map whose first id is `first` (0 is skipped). */
void zmq__idmap_init(struct zmq__idmap *m, uint32_t first);
void zmq__idmap_fini(struct zmq__idmap *m);

/* Gives p a fresh id (stored in p->routing_id) and maps it.  -ENOMEM. */
int zmq__idmap_add(struct zmq__idmap *m, struct zmq__pipe *p);

/* The pipe with this id, or NULL. */
struct zmq__pipe *zmq__idmap_find(const struct zmq__idmap *m, uint32_t id);

/* Forgets p (by its routing_id). */
void zmq__idmap_remove(struct zmq__idmap *m, struct zmq__pipe *p);

#endif
