/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Subscription tries.
 *
 * One node per distinct prefix.  A node's children sit in an array of
 * (byte, child) pairs sorted by byte and searched by bisection, so a
 * chain of single children (the common case for long topics) costs one
 * small array per node instead of a 256-slot table, and lookups stay
 * logarithmic in the fan-out.  Every node but the root holds a topic or
 * has children: removal prunes the nodes it empties, walking up the
 * parent pointers.
 *
 * Parent pointers also make whole-trie walks (iteration, removing a pipe
 * everywhere) iterative without a stack: a walk goes down the first
 * edge, and coming back up it finds its place again in the parent's
 * sorted array.  So no topic length, however large, recurses, and the
 * walks that must not fail (removing a pipe) allocate nothing but the
 * topic buffer handed to callbacks, sized by the longest topic ever
 * added.
 *
 * The plain trie and the multi-trie (pipes per topic) share the nodes;
 * `refs` counts references in one and pipes in the other.
 */
#include "socket/trie.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct zmq__trie_edge {
    unsigned char byte;
    struct zmq__trie_node *child;
};

/* ------------------------------------------------------------------ */
/* Nodes                                                              */
/* ------------------------------------------------------------------ */

/* Index of the edge for byte, or where it would be inserted (*found
 * false). */
static unsigned edge_pos(const struct zmq__trie_node *n, unsigned char byte,
                         bool *found)
{
    unsigned lo = 0, hi = n->nedges;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        unsigned char b = n->edges[mid].byte;
        if (b == byte) {
            *found = true;
            return mid;
        }
        if (b < byte)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static struct zmq__trie_node *child(const struct zmq__trie_node *n,
                                    unsigned char byte)
{
    bool found;
    unsigned i = edge_pos(n, byte, &found);
    return found ? n->edges[i].child : NULL;
}

static struct zmq__trie_node *add_child(struct zmq__trie_node *n,
                                        unsigned char byte)
{
    bool found;
    unsigned i = edge_pos(n, byte, &found);
    if (found)
        return n->edges[i].child;
    if (n->nedges == n->edge_cap) {
        unsigned cap = n->edge_cap ? n->edge_cap * 2 : 1;
        if (cap > 256)
            cap = 256;
        struct zmq__trie_edge *v = realloc(n->edges, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        n->edges = v;
        n->edge_cap = cap;
    }
    struct zmq__trie_node *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->parent = n;
    c->byte = byte;
    memmove(&n->edges[i + 1], &n->edges[i], (n->nedges - i) * sizeof *n->edges);
    n->edges[i] = (struct zmq__trie_edge){.byte = byte, .child = c};
    n->nedges++;
    return c;
}

static bool is_empty(const struct zmq__trie_node *n)
{
    return n->refs == 0 && n->nedges == 0;
}

static void free_node(struct zmq__trie_node *n)
{
    free(n->edges);
    free(n->pipes);
    free(n);
}

/* Unlinks the child at edge i of n and frees it (it must be empty). */
static void drop_child_at(struct zmq__trie_node *n, unsigned i)
{
    free_node(n->edges[i].child);
    n->nedges--;
    memmove(&n->edges[i], &n->edges[i + 1], (n->nedges - i) * sizeof *n->edges);
    if (n->nedges == 0) {
        free(n->edges);
        n->edges = NULL;
        n->edge_cap = 0;
    }
}

/* Frees the empty nodes from n up towards the root. */
static void prune_up(struct zmq__trie_node *root, struct zmq__trie_node *n)
{
    while (n != root && is_empty(n)) {
        struct zmq__trie_node *parent = n->parent;
        bool found;
        unsigned i = edge_pos(parent, n->byte, &found);
        drop_child_at(parent, i);
        n = parent;
    }
}

/* The node of topic, or NULL. */
static struct zmq__trie_node *find(const struct zmq__trie_node *root,
                                   const unsigned char *topic, size_t size)
{
    const struct zmq__trie_node *n = root;
    for (size_t i = 0; i < size && n != NULL; i++)
        n = child(n, topic[i]);
    return (struct zmq__trie_node *)n;
}

/* The node of topic, made with its missing ancestors; NULL (nothing
 * left behind) without memory. */
static struct zmq__trie_node *make(struct zmq__trie_node *root,
                                   const unsigned char *topic, size_t size)
{
    struct zmq__trie_node *n = root;
    for (size_t i = 0; i < size; i++) {
        struct zmq__trie_node *c = add_child(n, topic[i]);
        if (c == NULL) {
            prune_up(root, n);
            return NULL;
        }
        n = c;
    }
    return n;
}

/* Visits every node below root in depth-first pre-order: visit(n, topic,
 * len, arg) with topic holding the node's bytes when buf is not NULL.
 * Nodes left empty by the visits are freed on the way back up.  A
 * non-zero visit return ends the walk (and is returned). */
static int walk(struct zmq__trie_node *root, unsigned char *buf,
                int (*visit)(struct zmq__trie_node *n,
                             const unsigned char *topic, size_t len, void *arg),
                void *arg)
{
    struct zmq__trie_node *n = root;
    size_t depth = 0;
    int rc = visit(n, buf, 0, arg);
    unsigned next = 0; /* next edge of n to go down */
    while (rc == 0) {
        if (next < n->nedges) {
            struct zmq__trie_edge *e = &n->edges[next];
            if (buf != NULL)
                buf[depth] = e->byte;
            depth++;
            n = e->child;
            next = 0;
            rc = visit(n, buf, depth, arg);
            continue;
        }
        if (n == root)
            break;
        struct zmq__trie_node *parent = n->parent;
        bool found;
        unsigned i = edge_pos(parent, n->byte, &found);
        if (is_empty(n)) {
            drop_child_at(parent, i);
            next = i;
        } else {
            next = i + 1;
        }
        depth--;
        n = parent;
    }
    return rc;
}

/* Frees every node below root and empties root. */
static int clear_visit(struct zmq__trie_node *n, const unsigned char *topic,
                       size_t len, void *arg)
{
    (void)topic;
    (void)len;
    (void)arg;
    n->refs = 0; /* so the walk prunes it */
    return 0;
}

static void clear(struct zmq__trie_node *root)
{
    walk(root, NULL, clear_visit, NULL);
    free(root->edges);
    free(root->pipes);
    memset(root, 0, sizeof *root);
}

/* ------------------------------------------------------------------ */
/* Trie                                                               */
/* ------------------------------------------------------------------ */

void zmq__trie_init(struct zmq__trie *t)
{
    memset(t, 0, sizeof *t);
}

void zmq__trie_fini(struct zmq__trie *t)
{
    clear(&t->root);
    t->count = 0;
}

int zmq__trie_add(struct zmq__trie *t, const void *topic, size_t size)
{
    struct zmq__trie_node *n = make(&t->root, topic, size);
    if (n == NULL)
        return -ENOMEM;
    if (n->refs == SIZE_MAX)
        return -ENOMEM; /* cannot count more references */
    if (size > t->max_len)
        t->max_len = size;
    if (n->refs++ > 0)
        return 0;
    t->count++;
    return 1;
}

int zmq__trie_remove(struct zmq__trie *t, const void *topic, size_t size)
{
    struct zmq__trie_node *n = find(&t->root, topic, size);
    if (n == NULL || n->refs == 0)
        return -ENOENT;
    if (--n->refs > 0)
        return 0;
    t->count--;
    prune_up(&t->root, n);
    return 1;
}

bool zmq__trie_match(const struct zmq__trie *t, const void *data, size_t size)
{
    const unsigned char *p = data;
    const struct zmq__trie_node *n = &t->root;
    for (size_t i = 0;; i++) {
        if (n->refs > 0)
            return true;
        if (i == size || (n = child(n, p[i])) == NULL)
            return false;
    }
}

size_t zmq__trie_count(const struct zmq__trie *t)
{
    return t->count;
}

struct apply_ctx {
    zmq__trie_topic_fn *fn;
    void *arg;
};

static int apply_visit(struct zmq__trie_node *n, const unsigned char *topic,
                       size_t len, void *arg)
{
    struct apply_ctx *a = arg;
    return n->refs > 0 ? a->fn(topic, len, a->arg) : 0;
}

int zmq__trie_apply(struct zmq__trie *t, zmq__trie_topic_fn *fn, void *arg)
{
    if (t->count == 0)
        return 0;
    unsigned char *buf = malloc(t->max_len + 1);
    if (buf == NULL)
        return -ENOMEM;
    struct apply_ctx a = {fn, arg};
    int rc = walk(&t->root, buf, apply_visit, &a);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Multi-trie                                                         */
/* ------------------------------------------------------------------ */

void zmq__mtrie_init(struct zmq__mtrie *t)
{
    memset(t, 0, sizeof *t);
}

void zmq__mtrie_fini(struct zmq__mtrie *t)
{
    clear(&t->root);
    t->count = 0;
}

static size_t pipe_pos(const struct zmq__trie_node *n, const void *pipe)
{
    size_t i = 0;
    while (i < n->refs && n->pipes[i] != pipe)
        i++;
    return i;
}

int zmq__mtrie_add(struct zmq__mtrie *t, const void *topic, size_t size,
                   void *pipe)
{
    struct zmq__trie_node *n = make(&t->root, topic, size);
    if (n == NULL)
        return -ENOMEM;
    if (pipe_pos(n, pipe) < n->refs)
        return 0;
    if (n->refs == n->pipe_cap) {
        unsigned cap = n->pipe_cap ? n->pipe_cap * 2 : 1;
        void **v =
            cap > n->pipe_cap ? realloc(n->pipes, cap * sizeof *v) : NULL;
        if (v == NULL) {
            prune_up(&t->root, n);
            return -ENOMEM;
        }
        n->pipes = v;
        n->pipe_cap = cap;
    }
    if (size > t->max_len)
        t->max_len = size;
    n->pipes[n->refs++] = pipe;
    if (n->refs > 1)
        return 0;
    t->count++;
    return 1;
}

/* Takes pipe out of n; false when it was not there. */
static bool node_remove_pipe(struct zmq__trie_node *n, const void *pipe)
{
    size_t i = pipe_pos(n, pipe);
    if (i == n->refs)
        return false;
    n->pipes[i] = n->pipes[--n->refs];
    if (n->refs == 0) {
        free(n->pipes);
        n->pipes = NULL;
        n->pipe_cap = 0;
    }
    return true;
}

enum zmq__mtrie_rm zmq__mtrie_remove(struct zmq__mtrie *t, const void *topic,
                                     size_t size, void *pipe)
{
    struct zmq__trie_node *n = find(&t->root, topic, size);
    if (n == NULL || !node_remove_pipe(n, pipe))
        return ZMQ__MTRIE_NOT_FOUND;
    if (n->refs > 0)
        return ZMQ__MTRIE_REMAIN;
    t->count--;
    prune_up(&t->root, n);
    return ZMQ__MTRIE_LAST;
}

bool zmq__mtrie_has(const struct zmq__mtrie *t, const void *topic, size_t size)
{
    const struct zmq__trie_node *n = find(&t->root, topic, size);
    return n != NULL && n->refs > 0;
}

void zmq__mtrie_match(const struct zmq__mtrie *t, const void *data, size_t size,
                      void (*fn)(void *pipe, void *arg), void *arg)
{
    const unsigned char *p = data;
    const struct zmq__trie_node *n = &t->root;
    for (size_t i = 0;; i++) {
        for (size_t k = 0; k < n->refs; k++)
            fn(n->pipes[k], arg);
        if (i == size || (n = child(n, p[i])) == NULL)
            return;
    }
}

struct rm_pipe_ctx {
    struct zmq__mtrie *t;
    void *pipe;
    bool only_last;
    zmq__trie_topic_fn *fn;
    void *arg;
    bool have_buf;
};

static int rm_pipe_visit(struct zmq__trie_node *n, const unsigned char *topic,
                         size_t len, void *arg)
{
    struct rm_pipe_ctx *r = arg;
    if (n->refs == 0 || !node_remove_pipe(n, r->pipe))
        return 0;
    if (n->refs == 0)
        r->t->count--;
    if (r->fn != NULL && r->have_buf && (!r->only_last || n->refs == 0))
        r->fn(topic, len, r->arg);
    return 0; /* never stop half way: the pipe must leave every node */
}

int zmq__mtrie_remove_pipe(struct zmq__mtrie *t, void *pipe, bool only_last,
                           zmq__trie_topic_fn *fn, void *arg)
{
    unsigned char *buf = NULL;
    if (fn != NULL)
        buf = malloc(t->max_len + 1);
    struct rm_pipe_ctx r = {t, pipe, only_last, fn, arg, buf != NULL};
    /* Without a buffer the walk still runs, with topics unknown: it
     * writes topic bytes only when given a buffer. */
    walk(&t->root, buf, rm_pipe_visit, &r);
    free(buf);
    return fn != NULL && buf == NULL ? -ENOMEM : 0;
}

size_t zmq__mtrie_count(const struct zmq__mtrie *t)
{
    return t->count;
}
