/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Metadata: an immutable, reference-counted set of string properties
 * (Socket-Type, Routing-Id, Peer-Address, User-Id, X-... keys) that a
 * connection attaches to every message it receives.
 *
 * Threading: immutable once built, so any thread may read it; the
 * reference count is atomic and the last zmq__metadata_unref frees it.
 */
#ifndef ZMQ__METADATA_H
#define ZMQ__METADATA_H

#include <stddef.h>

struct zmq__metadata;

/* A new set of n properties, copied from keys[i] = values[i]; one
 * reference owned by the caller.  NULL when out of memory. */
struct zmq__metadata *zmq__metadata_new(const char *const *keys,
                                        const char *const *values, size_t n);

/* Adds a reference; returns md. */
struct zmq__metadata *zmq__metadata_ref(struct zmq__metadata *md);

/* Drops a reference; frees on the last.  NULL is a no-op. */
void zmq__metadata_unref(struct zmq__metadata *md);

/* The value of key (exact, case-sensitive match), or NULL. */
const char *zmq__metadata_get(const struct zmq__metadata *md, const char *key);

#endif
