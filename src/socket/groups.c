/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Group sets: open addressing with linear probing over a power-of-two
 * table kept at most half full, FNV-1a hashes stored with the names so
 * growing never rehashes a string.  Removal shifts the following entries
 * of the run back into place instead of leaving tombstones, so lookups
 * stay short however many joins and leaves a long-lived socket sees.
 *
 * Why not a trie or a sorted array: RADIO/DISH match names exactly (no
 * prefixes), and a RADIO checks every outgoing message against each
 * connection's set, so one hash and a probe or two is what matters.
 */
#include "socket/groups.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

void zmq__groups_fini(struct zmq__groups *g)
{
    for (size_t i = 0; i < g->cap; i++)
        free(g->slots[i].name);
    free(g->slots);
    g->slots = NULL;
    g->cap = 0;
    g->n = 0;
}

uint32_t zmq__groups_hash(const char *name, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)name[i];
        h *= 16777619u;
    }
    return h;
}

/* The slot holding name, or the free slot where it would go.  The table
 * must have at least one free slot (it is never more than half full). */
static size_t probe(const struct zmq__groups *g, const char *name, size_t len,
                    uint32_t hash)
{
    size_t mask = g->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const struct zmq__groups_entry *e = &g->slots[i];
        if (e->name == NULL || (e->hash == hash && e->len == len &&
                                memcmp(e->name, name, len) == 0))
            return i;
    }
}

uint32_t zmq__groups_find(const struct zmq__groups *g, const char *name,
                          size_t len, uint32_t hash)
{
    if (g->n == 0)
        return 0;
    const struct zmq__groups_entry *e = &g->slots[probe(g, name, len, hash)];
    return e->name != NULL ? e->count : 0;
}

static int grow(struct zmq__groups *g)
{
    size_t cap = g->cap ? g->cap * 2 : 8;
    struct zmq__groups_entry *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -ENOMEM;
    struct zmq__groups old = *g;
    g->slots = slots;
    g->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        struct zmq__groups_entry *e = &old.slots[i];
        if (e->name != NULL)
            g->slots[probe(g, e->name, e->len, e->hash)] = *e;
    }
    free(old.slots);
    return 0;
}

int zmq__groups_add(struct zmq__groups *g, const char *name, size_t len)
{
    uint32_t hash = zmq__groups_hash(name, len);
    if (g->cap > 0) {
        struct zmq__groups_entry *e = &g->slots[probe(g, name, len, hash)];
        if (e->name != NULL) {
            if (e->count < INT_MAX)
                e->count++;
            return (int)e->count;
        }
    }
    if ((g->n + 1) * 2 > g->cap) {
        int rc = grow(g);
        if (rc < 0)
            return rc;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    g->slots[probe(g, name, len, hash)] = (struct zmq__groups_entry){
        .name = copy, .len = len, .hash = hash, .count = 1};
    g->n++;
    return 1;
}

int zmq__groups_remove(struct zmq__groups *g, const char *name, size_t len)
{
    if (g->n == 0)
        return -ENOENT;
    size_t mask = g->cap - 1;
    size_t i = probe(g, name, len, zmq__groups_hash(name, len));
    struct zmq__groups_entry *e = &g->slots[i];
    if (e->name == NULL)
        return -ENOENT;
    if (--e->count > 0)
        return (int)e->count;
    free(e->name);
    e->name = NULL;
    g->n--;
    /* Backward shift: move each later entry of the run into the hole when
     * its home slot does not lie cyclically in (hole, its slot]. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; g->slots[j].name != NULL;
         j = (j + 1) & mask) {
        size_t home = g->slots[j].hash & mask;
        bool stays =
            hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            g->slots[hole] = g->slots[j];
            g->slots[j].name = NULL;
            hole = j;
        }
    }
    return 0;
}

const char *zmq__groups_next(const struct zmq__groups *g, size_t *pos,
                             size_t *len)
{
    for (size_t i = *pos; i < g->cap; i++) {
        if (g->slots[i].name != NULL) {
            *pos = i + 1;
            if (len != NULL)
                *len = g->slots[i].len;
            return g->slots[i].name;
        }
    }
    *pos = g->cap;
    return NULL;
}

int zmq__groups_command_init(struct zmq__msg *m, bool join, const char *name,
                             size_t len)
{
    const char *word = join ? "\x04JOIN" : "\x05LEAVE";
    size_t wlen = join ? 5 : 6;
    int rc = zmq__msg_init_size(m, wlen + len);
    if (rc < 0)
        return rc;
    unsigned char *body = zmq__msg_data(m);
    memcpy(body, word, wlen);
    if (len > 0)
        memcpy(body + wlen, name, len);
    m->flags |= ZMQ__MSG_COMMAND;
    return 0;
}

int zmq__groups_command_parse(struct zmq__msg *m, bool *join, const char **name,
                              size_t *len)
{
    if (!(m->flags & ZMQ__MSG_COMMAND) || zmq__msg_more(m))
        return -EINVAL;
    const char *body = zmq__msg_data(m);
    size_t size = zmq__msg_size(m), wlen;
    if (size >= 5 && memcmp(body, "\x04JOIN", 5) == 0) {
        *join = true;
        wlen = 5;
    } else if (size >= 6 && memcmp(body, "\x05LEAVE", 6) == 0) {
        *join = false;
        wlen = 6;
    } else {
        return -EINVAL;
    }
    size_t n = size - wlen;
    if (n > ZMQ_GROUP_MAX_LENGTH || (n > 0 && memchr(body + wlen, 0, n)))
        return -EINVAL;
    *name = body + wlen;
    *len = n;
    return 0;
}
