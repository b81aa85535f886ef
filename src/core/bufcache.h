/* SPDX-License-Identifier: MPL-2.0 */
/*
 * A cache of message body blocks shared by every thread of the process.
 *
 * A message body is usually allocated on one thread (the sender, or an
 * I/O thread decoding) and freed on another (the receiver).  With glibc
 * that returns the block to the allocating thread's arena, whose top is
 * trimmed and grown again each time the receiver catches up: page faults
 * on every cycle, measured as the main cost of inproc messages of 1 KiB
 * and more.  Freed blocks go to this cache instead and the next
 * allocation of the same size class takes one back.
 *
 * Sizes are grouped in classes a quarter of a power of two apart (at
 * most 25% slack).  Blocks below ZMQ__BUFCACHE_MIN bytes are left to
 * malloc (its per-thread caches serve them well and the trimming does
 * not show there), and blocks above ZMQ__BUFCACHE_MAX are not cached.
 * The cache holds at most ZMQ__BUFCACHE_BYTES in all.  Under
 * AddressSanitizer it is a plain pass-through to malloc and free, so
 * use-after-free of bodies is still caught.
 *
 * Threading: any thread; each class is guarded by its own short
 * spinlock.
 */
#ifndef ZMQ__BUFCACHE_H
#define ZMQ__BUFCACHE_H

#include <stddef.h>

#define ZMQ__BUFCACHE_MIN   512
#define ZMQ__BUFCACHE_MAX   (256 * 1024)
#define ZMQ__BUFCACHE_BYTES (8 * 1024 * 1024)

/* A block of at least size bytes, or NULL. */
void *zmq__bufcache_alloc(size_t size);

/* Gives back a block from zmq__bufcache_alloc(size) (same size). */
void zmq__bufcache_free(void *block, size_t size);

#endif
