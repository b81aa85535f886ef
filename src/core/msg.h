/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Messages: the 64 bytes behind zmq_msg_t.
 *
 * A message has a body and a few properties: flags (MORE, SHARED, ...),
 * a routing id (SERVER/PEER), a group (RADIO/DISH) and metadata (the
 * connection's properties, for zmq_msg_gets).  Bodies of up to
 * ZMQ__MSG_INLINE_MAX bytes live inside the message itself; larger ones
 * live in a reference-counted content block, so zmq_msg_copy shares them
 * instead of copying; constant bodies (zmq_send_const, zmq_msg_init_data
 * without a free function) are referred to and never freed.
 *
 * Ownership, stated once here and holding for every operation that
 * takes a message: when a send succeeds the callee owns the message and
 * the caller's zmq_msg_t is reset to an empty message; when a send fails
 * the caller still owns it, unchanged; a receive fills the message only
 * when it succeeds.
 *
 * Threading: a message is used by one thread at a time.  Content blocks,
 * long groups and metadata are shared between threads through atomic
 * reference counts; the last holder frees them, whichever thread it is.
 *
 * Errors: functions return 0 or a negative errno.  -EFAULT means "this is
 * not an initialised message" (never initialised, or already closed).
 */
#ifndef ZMQ__MSG_H
#define ZMQ__MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zmq.h"

struct zmq__metadata;

/* Bodies up to this size are stored inside the message. */
#define ZMQ__MSG_INLINE_MAX 33

/* Groups up to this length are stored inside the message. */
#define ZMQ__MSG_SHORT_GROUP_MAX 14

/* Message types; 0 marks a closed or never initialised message. */
enum zmq__msg_type {
    ZMQ__MSG_INVALID = 0,
    ZMQ__MSG_INLINE = 101, /* body in msg->body */
    ZMQ__MSG_CONTENT,      /* body in a reference-counted content block */
    ZMQ__MSG_CONST,        /* body is a constant buffer owned by the user */
    ZMQ__MSG_DELIMITER,    /* internal: end of a terminating pipe */
};

/* Message flags. */
enum {
    ZMQ__MSG_MORE = 0x01,    /* more parts follow */
    ZMQ__MSG_COMMAND = 0x02, /* a protocol command, not data */
    ZMQ__MSG_SHARED = 0x80,  /* body shared with another message */
};

/* A group name: short ones inline, long ones in a shared block. */
struct zmq__msg_long_group;
union zmq__msg_group {
    struct {
        uint8_t is_long;
        char name[ZMQ__MSG_SHORT_GROUP_MAX + 1];
    } s;
    struct {
        uint8_t is_long;
        struct zmq__msg_long_group *block;
    } l;
};

struct zmq__msg {
    struct zmq__metadata *metadata; /* owned reference, or NULL */
    /* The inline body, or (read with memcpy) the content pointer, or the
     * constant data pointer and size.  Aligned so inline bodies are. */
    _Alignas(8) unsigned char body[ZMQ__MSG_INLINE_MAX];
    uint8_t inline_size;
    uint8_t type;  /* enum zmq__msg_type */
    uint8_t flags; /* ZMQ__MSG_* flags */
    uint32_t routing_id;
    union zmq__msg_group group;
};

_Static_assert(sizeof(struct zmq__msg) == sizeof(zmq_msg_t),
               "struct zmq__msg must fill zmq_msg_t exactly");
_Static_assert(_Alignof(struct zmq__msg) <= _Alignof(zmq_msg_t),
               "zmq_msg_t must be aligned enough for struct zmq__msg");

/* The internal view of a public message. */
static inline struct zmq__msg *zmq__msg_from(zmq_msg_t *m)
{
    return (struct zmq__msg *)(void *)m;
}

static inline bool zmq__msg_is_valid(const struct zmq__msg *m)
{
    return m != NULL && m->type >= ZMQ__MSG_INLINE && m->type <= ZMQ__MSG_CONST;
}

/* Initialisers: each overwrites whatever m held, without releasing it. */
void zmq__msg_init(struct zmq__msg *m);
/* -ENOMEM */
int zmq__msg_init_size(struct zmq__msg *m, size_t size);
/* Zero-copy body.  ffn NULL: a constant body, never freed.  Otherwise
 * ffn(data, hint) runs once when the last reference goes.  On failure
 * (-EINVAL: data NULL with size > 0; -ENOMEM) ffn is not called. */
int zmq__msg_init_data(struct zmq__msg *m, void *data, size_t size,
                       zmq_free_fn *ffn, void *hint);
/* A copy of size bytes of buf.  -EINVAL (buf NULL, size > 0), -ENOMEM. */
int zmq__msg_init_buffer(struct zmq__msg *m, const void *buf, size_t size);

/* The empty marker a terminating pipe end writes after its messages. */
void zmq__msg_init_delimiter(struct zmq__msg *m);
static inline bool zmq__msg_is_delimiter(const struct zmq__msg *m)
{
    return m->type == ZMQ__MSG_DELIMITER;
}

/* Releases the body and properties; m becomes invalid.  -EFAULT. */
int zmq__msg_close(struct zmq__msg *m);
/* Releases dst, moves src into it, leaves src empty.  -EFAULT. */
int zmq__msg_move(struct zmq__msg *dst, struct zmq__msg *src);
/* Releases dst, makes it share src's body and copy its properties. */
int zmq__msg_copy(struct zmq__msg *dst, struct zmq__msg *src);

/* Body access; m must be valid. */
void *zmq__msg_data(struct zmq__msg *m);
size_t zmq__msg_size(const struct zmq__msg *m);

/* Properties; m must be valid. */
static inline bool zmq__msg_more(const struct zmq__msg *m)
{
    return (m->flags & ZMQ__MSG_MORE) != 0;
}
/* True when the body is shared with another message or constant. */
bool zmq__msg_is_shared(const struct zmq__msg *m);

/* -EINVAL for name NULL or longer than ZMQ_GROUP_MAX_LENGTH, -ENOMEM. */
int zmq__msg_set_group(struct zmq__msg *m, const char *name);
/* The group name, "" when none. */
const char *zmq__msg_group(const struct zmq__msg *m);

/* Attaches metadata (takes a new reference; NULL detaches). */
void zmq__msg_set_metadata(struct zmq__msg *m, struct zmq__metadata *md);
/* A metadata property, with "Identity" falling back to "Routing-Id";
 * NULL when absent. */
const char *zmq__msg_gets(const struct zmq__msg *m, const char *key);

#endif
