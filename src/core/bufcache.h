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
 * most 25% slack), from 40 bytes up to ZMQ__BUFCACHE_MAX; larger blocks
 * are not cached.  Each thread keeps a magazine of free blocks per
 * class and trades whole magazines through a shared depot, so the
 * common case, one thread allocating and another freeing, touches no
 * lock and no shared cache line for most messages.  The depots hold at
 * most ZMQ__BUFCACHE_BYTES in all, plus one magazine per class per
 * thread (up to 64 blocks and 512 KiB each).
 * Under AddressSanitizer the cache is a plain pass-through to malloc
 * and free, so use-after-free of bodies is still caught.
 *
 * Threading: any thread.  A block may be freed on another thread than
 * the one that allocated it.
 */
#ifndef ZMQ__BUFCACHE_H
#define ZMQ__BUFCACHE_H

#include <stddef.h>

#define ZMQ__BUFCACHE_MAX   (256 * 1024)
#define ZMQ__BUFCACHE_BYTES (16 * 1024 * 1024)

/* A block of at least size bytes, or NULL. */
void *zmq__bufcache_alloc(size_t size);

/* Gives back a block from zmq__bufcache_alloc(size) (same size). */
void zmq__bufcache_free(void *block, size_t size);

#endif
