/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Messages.
 *
 * Three body representations keep small messages allocation-free and
 * large ones copy-free:
 *  - INLINE: up to 33 bytes inside the zmq_msg_t; copying copies bytes.
 *  - CONTENT: a content block with an atomic reference count.  Bodies
 *    made by zmq_msg_init_size sit right after the block (one malloc);
 *    zero-copy bodies (zmq_msg_init_data) point at the user's buffer and
 *    carry the free function, called when the count drops to zero.
 *  - CONST: a pointer and size stored in the message; nothing is freed.
 *
 * The pointers of CONTENT and CONST are stored in the body bytes with
 * memcpy rather than through a union, because a union holding both the
 * 33-byte inline array and pointers would grow past 64 bytes.
 *
 * A CONTENT message also keeps the body's data pointer and size, and
 * whether the body is a plain cached block (made by zmq_msg_init_size),
 * in its own bytes.  Reading a message and closing an unshared plain
 * one then never touches the content block, which another thread wrote
 * last: for large bodies passed between threads that cache miss was the
 * main cost per message.
 */
#include "core/msg.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/bufcache.h"
#include "core/metadata.h"

struct zmq__msg_content {
    void *data;
    size_t size;
    zmq_free_fn *ffn; /* NULL: data follows this block, freed with it */
    void *hint;
    atomic_uint refs;
};

struct zmq__msg_long_group {
    atomic_uint refs;
    char name[ZMQ_GROUP_MAX_LENGTH + 1];
};

/* Where the CONST data pointer and size sit in body[]. */
#define CONST_SIZE_AT sizeof(void *)

static struct zmq__msg_content *content_of(const struct zmq__msg *m)
{
    struct zmq__msg_content *c;
    memcpy(&c, m->body, sizeof c);
    return c;
}

/* Where a CONTENT message keeps its data pointer, size and plainness
 * in body[] (after the content pointer). */
#define CONTENT_DATA_AT  sizeof(void *)
#define CONTENT_SIZE_AT  (2 * sizeof(void *))
#define CONTENT_PLAIN_AT (2 * sizeof(void *) + sizeof(size_t))
_Static_assert(CONTENT_PLAIN_AT < ZMQ__MSG_INLINE_MAX, "body[] too small");

static void set_content(struct zmq__msg *m, struct zmq__msg_content *c)
{
    memcpy(m->body, &c, sizeof c);
    memcpy(m->body + CONTENT_DATA_AT, &c->data, sizeof c->data);
    memcpy(m->body + CONTENT_SIZE_AT, &c->size, sizeof c->size);
    m->body[CONTENT_PLAIN_AT] = c->ffn == NULL;
}

static void *content_data(const struct zmq__msg *m)
{
    void *p;
    memcpy(&p, m->body + CONTENT_DATA_AT, sizeof p);
    return p;
}

static size_t content_size(const struct zmq__msg *m)
{
    size_t n;
    memcpy(&n, m->body + CONTENT_SIZE_AT, sizeof n);
    return n;
}

static void *const_data(const struct zmq__msg *m)
{
    void *p;
    memcpy(&p, m->body, sizeof p);
    return p;
}

static size_t const_size(const struct zmq__msg *m)
{
    size_t n;
    memcpy(&n, m->body + CONST_SIZE_AT, sizeof n);
    return n;
}

static void set_const(struct zmq__msg *m, void *data, size_t size)
{
    memcpy(m->body, &data, sizeof data);
    memcpy(m->body + CONST_SIZE_AT, &size, sizeof size);
}

/* Resets the properties every initialiser starts from. */
static void init_common(struct zmq__msg *m, uint8_t type)
{
    m->metadata = NULL;
    m->inline_size = 0;
    m->type = type;
    m->flags = 0;
    m->routing_id = 0;
    memset(&m->group, 0, sizeof m->group);
}

void zmq__msg_init(struct zmq__msg *m)
{
    init_common(m, ZMQ__MSG_INLINE);
}

void zmq__msg_init_delimiter(struct zmq__msg *m)
{
    init_common(m, ZMQ__MSG_DELIMITER);
    set_const(m, NULL, 0);
}

int zmq__msg_init_size(struct zmq__msg *m, size_t size)
{
    if (size <= ZMQ__MSG_INLINE_MAX) {
        init_common(m, ZMQ__MSG_INLINE);
        m->inline_size = (uint8_t)size;
        return 0;
    }
    if (size > SIZE_MAX - sizeof(struct zmq__msg_content))
        return -ENOMEM;
    struct zmq__msg_content *c = zmq__bufcache_alloc(sizeof *c + size);
    if (c == NULL)
        return -ENOMEM;
    c->data = c + 1;
    c->size = size;
    c->ffn = NULL;
    c->hint = NULL;
    atomic_init(&c->refs, 1);
    init_common(m, ZMQ__MSG_CONTENT);
    set_content(m, c);
    return 0;
}

int zmq__msg_init_data(struct zmq__msg *m, void *data, size_t size,
                       zmq_free_fn *ffn, void *hint)
{
    if (data == NULL) {
        if (size > 0)
            return -EINVAL;
        zmq__msg_init(m);
        return 0;
    }
    if (ffn == NULL) {
        init_common(m, ZMQ__MSG_CONST);
        set_const(m, data, size);
        return 0;
    }
    struct zmq__msg_content *c = malloc(sizeof *c);
    if (c == NULL)
        return -ENOMEM;
    c->data = data;
    c->size = size;
    c->ffn = ffn;
    c->hint = hint;
    atomic_init(&c->refs, 1);
    init_common(m, ZMQ__MSG_CONTENT);
    set_content(m, c);
    return 0;
}

int zmq__msg_init_buffer(struct zmq__msg *m, const void *buf, size_t size)
{
    if (buf == NULL && size > 0)
        return -EINVAL;
    int rc = zmq__msg_init_size(m, size);
    if (rc == 0 && size > 0)
        memcpy(zmq__msg_data(m), buf, size);
    return rc;
}

static void content_unref(struct zmq__msg_content *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (c->ffn != NULL) {
        c->ffn(c->data, c->hint);
        free(c);
    } else {
        zmq__bufcache_free(c, sizeof *c + c->size);
    }
}

static void group_unref(union zmq__msg_group *g)
{
    if (g->l.is_long && atomic_fetch_sub_explicit(&g->l.block->refs, 1,
                                                  memory_order_acq_rel) == 1)
        free(g->l.block);
}

/* Drops everything m refers to, leaving its bytes stale. */
static void release(struct zmq__msg *m)
{
    if (m->type == ZMQ__MSG_CONTENT) {
        if (!(m->flags & ZMQ__MSG_SHARED) && m->body[CONTENT_PLAIN_AT])
            /* The only reference, to a cached block: no need to read
             * the block's count. */
            zmq__bufcache_free(content_of(m), sizeof(struct zmq__msg_content) +
                                                  content_size(m));
        else
            content_unref(content_of(m));
    }
    group_unref(&m->group);
    zmq__metadata_unref(m->metadata);
}

int zmq__msg_close(struct zmq__msg *m)
{
    if (!zmq__msg_is_valid(m))
        return -EFAULT;
    release(m);
    m->type = ZMQ__MSG_INVALID;
    return 0;
}

int zmq__msg_move(struct zmq__msg *dst, struct zmq__msg *src)
{
    if (!zmq__msg_is_valid(dst) || !zmq__msg_is_valid(src))
        return -EFAULT;
    if (dst == src)
        return 0;
    release(dst);
    memcpy(dst, src, sizeof *dst);
    zmq__msg_init(src);
    return 0;
}

int zmq__msg_copy(struct zmq__msg *dst, struct zmq__msg *src)
{
    if (!zmq__msg_is_valid(dst) || !zmq__msg_is_valid(src))
        return -EFAULT;
    if (dst == src)
        return 0;
    release(dst);
    if (src->type == ZMQ__MSG_CONTENT) {
        atomic_fetch_add_explicit(&content_of(src)->refs, 1,
                                  memory_order_relaxed);
        src->flags |= ZMQ__MSG_SHARED;
    }
    if (src->group.l.is_long)
        atomic_fetch_add_explicit(&src->group.l.block->refs, 1,
                                  memory_order_relaxed);
    if (src->metadata != NULL)
        zmq__metadata_ref(src->metadata);
    memcpy(dst, src, sizeof *dst);
    return 0;
}

void *zmq__msg_data(struct zmq__msg *m)
{
    switch (m->type) {
    case ZMQ__MSG_INLINE:
        return m->body;
    case ZMQ__MSG_CONTENT:
        return content_data(m);
    default:
        return const_data(m);
    }
}

size_t zmq__msg_size(const struct zmq__msg *m)
{
    switch (m->type) {
    case ZMQ__MSG_INLINE:
        return m->inline_size;
    case ZMQ__MSG_CONTENT:
        return content_size(m);
    default:
        return const_size(m);
    }
}

bool zmq__msg_is_shared(const struct zmq__msg *m)
{
    return m->type == ZMQ__MSG_CONST || (m->flags & ZMQ__MSG_SHARED) != 0;
}

int zmq__msg_set_group(struct zmq__msg *m, const char *name)
{
    if (name == NULL)
        return -EINVAL;
    size_t len = strnlen(name, ZMQ_GROUP_MAX_LENGTH + 1);
    if (len > ZMQ_GROUP_MAX_LENGTH)
        return -EINVAL;

    union zmq__msg_group g;
    memset(&g, 0, sizeof g);
    if (len <= ZMQ__MSG_SHORT_GROUP_MAX) {
        memcpy(g.s.name, name, len);
    } else {
        g.l.block = malloc(sizeof *g.l.block);
        if (g.l.block == NULL)
            return -ENOMEM;
        atomic_init(&g.l.block->refs, 1);
        memcpy(g.l.block->name, name, len + 1);
        g.l.is_long = 1;
    }
    group_unref(&m->group);
    m->group = g;
    return 0;
}

const char *zmq__msg_group(const struct zmq__msg *m)
{
    return m->group.l.is_long ? m->group.l.block->name : m->group.s.name;
}

void zmq__msg_set_metadata(struct zmq__msg *m, struct zmq__metadata *md)
{
    if (md != NULL)
        zmq__metadata_ref(md);
    zmq__metadata_unref(m->metadata);
    m->metadata = md;
}

const char *zmq__msg_gets(const struct zmq__msg *m, const char *key)
{
    if (m->metadata == NULL)
        return NULL;
    const char *value = zmq__metadata_get(m->metadata, key);
    if (value == NULL && strcmp(key, "Identity") == 0)
        value = zmq__metadata_get(m->metadata, ZMQ_MSG_PROPERTY_ROUTING_ID);
    return value;
}
