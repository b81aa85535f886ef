/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Objects: anything that receives commands (sockets, pipe ends, the
 * reaper, I/O threads).  An object names the mailbox of the thread that
 * owns it; commands to it are posted there and processed by that thread
 * through zmq__object_dispatch, which switches on the command type.
 *
 * Threading: zmq__object_send from any thread; dispatch on the owner's
 * thread only.
 */
#ifndef ZMQ__OBJECT_H
#define ZMQ__OBJECT_H

#include <stddef.h>

#include "core/command.h"

struct zmq__ctx;
struct zmq__mailbox;

/* The structure that embeds `member` at ptr. */
#define ZMQ__CONTAINER_OF(ptr, type, member)                                   \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct zmq__object {
    struct zmq__ctx *ctx;
    /* The owning thread's mailbox.  Set before any command can be sent
     * to the object and not changed while commands are in flight. */
    struct zmq__mailbox *mailbox;
};

/* Posts cmd, with its dest and type set here, to dest's mailbox.  A
 * command cannot be dropped without breaking the protocol it belongs to,
 * so when memory runs out this retries until it can post. */
void zmq__object_send(struct zmq__object *dest, enum zmq__command_type type,
                      struct zmq__command *cmd);

/* Processes one command on the destination's thread. */
void zmq__object_dispatch(const struct zmq__command *cmd);

#endif
