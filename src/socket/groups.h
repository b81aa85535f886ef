/* SPDX-License-Identifier: MPL-2.0 */
/*
 * A set of RADIO/DISH group names, each with a count of how many times it
 * was added.  DISH keeps the groups it joined (count 1 each); RADIO keeps,
 * per connection, the groups the peer joined (a peer may join a name more
 * than once; each LEAVE takes one away).
 *
 * Names are byte strings of at most ZMQ_GROUP_MAX_LENGTH bytes given with
 * their length; the set keeps its own NUL-terminated copies.  Lookups
 * take a hash from zmq__groups_hash so a caller checking one name against
 * many sets hashes it once.
 *
 * Threading: none; the owner (a socket, under its mutex) serialises use.
 * Errors: negative errno.
 */
#ifndef ZMQ__SOCKET_GROUPS_H
#define ZMQ__SOCKET_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zmq__msg;

struct zmq__groups_entry {
    char *name; /* NULL: the slot is free */
    size_t len;
    uint32_t hash;
    uint32_t count;
};

/* All zero is an empty set. */
struct zmq__groups {
    struct zmq__groups_entry *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;   /* distinct names */
};

void zmq__groups_fini(struct zmq__groups *g);

uint32_t zmq__groups_hash(const char *name, size_t len);

/* How many times name (hash from zmq__groups_hash) is in the set; 0 when
 * absent. */
uint32_t zmq__groups_find(const struct zmq__groups *g, const char *name,
                          size_t len, uint32_t hash);

/* Adds name once more.  The new count (>= 1), or -ENOMEM. */
int zmq__groups_add(struct zmq__groups *g, const char *name, size_t len);

/* Takes name away once.  The count left (>= 0), or -ENOENT when absent. */
int zmq__groups_remove(struct zmq__groups *g, const char *name, size_t len);

/* Iteration: start with *pos = 0; each call gives the next name (with its
 * length in *len when len is not NULL) or NULL at the end.  The set must
 * not change during an iteration. */
const char *zmq__groups_next(const struct zmq__groups *g, size_t *pos,
                             size_t *len);

/*
 * JOIN and LEAVE travel from DISH to RADIO as single-part command messages
 * (ZMQ__MSG_COMMAND) whose body is ZMTP's command form: "\x04JOIN" + group
 * or "\x05LEAVE" + group, so an engine can map them 1:1 to the wire.
 */

/* Makes m (overwritten, not released) such a command.  -ENOMEM. */
int zmq__groups_command_init(struct zmq__msg *m, bool join, const char *name,
                             size_t len);

/* Reads m as such a command: 0 with *join, *name (pointing into m's body,
 * not NUL-terminated) and *len; -EINVAL when m is anything else, including
 * a group longer than ZMQ_GROUP_MAX_LENGTH or holding a NUL byte. */
int zmq__groups_command_parse(struct zmq__msg *m, bool *join, const char **name,
                              size_t *len);

#endif
