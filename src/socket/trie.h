/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Subscription tries (RFC 29 prefix matching).
 *
 * struct zmq__trie (SUB, XSUB): a set of topics with a reference count
 * each.  A message matches when some topic is a prefix of it; the empty
 * topic matches every message.
 *
 * struct zmq__mtrie (PUB, XPUB): topics each holding a set of pipes (a
 * pipe is in a topic's set at most once).  Matching reports every pipe
 * of every topic that is a prefix of the message (a pipe may be reported
 * more than once: the caller deduplicates).
 *
 * Topics are byte strings of any length (embedded NULs allowed).  Nothing
 * here allocates per match; add may allocate and can fail with -ENOMEM,
 * leaving the trie as it was.  Removal never allocates and never fails.
 *
 * Threading: a trie belongs to the thread that owns its socket.
 */
#ifndef ZMQ__TRIE_H
#define ZMQ__TRIE_H

#include <stdbool.h>
#include <stddef.h>

/* Private: one node per distinct prefix in use.  Its children are kept
 * in a small array sorted by byte, so a node costs what it holds. */
struct zmq__trie_edge;
struct zmq__trie_node {
    struct zmq__trie_node *parent;
    struct zmq__trie_edge *edges; /* sorted by byte */
    void **pipes;                 /* mtrie: the pipes of this topic */
    size_t refs;                  /* trie: references; mtrie: pipes */
    unsigned nedges, edge_cap;    /* at most 256 */
    unsigned pipe_cap;
    unsigned char byte; /* the byte on the edge from parent */
};

/* Called once per topic: topic is not NUL-terminated.  A non-zero return
 * stops the iteration. */
typedef int zmq__trie_topic_fn(const unsigned char *topic, size_t size,
                               void *arg);

/* ------------------------------------------------------------------ */

struct zmq__trie {
    struct zmq__trie_node root; /* the empty topic */
    size_t count;               /* distinct topics */
    size_t max_len;             /* longest topic ever added */
};

/* A zeroed struct is an empty trie; init makes one. */
void zmq__trie_init(struct zmq__trie *t);
void zmq__trie_fini(struct zmq__trie *t);

/* 1: the topic is new; 0: one more reference to a known topic; -ENOMEM
 * (trie unchanged). */
int zmq__trie_add(struct zmq__trie *t, const void *topic, size_t size);

/* Drops one reference.  1: that was the last (the topic is gone); 0:
 * references remain; -ENOENT: no such topic. */
int zmq__trie_remove(struct zmq__trie *t, const void *topic, size_t size);

/* True when a topic is a prefix of data[0..size). */
bool zmq__trie_match(const struct zmq__trie *t, const void *data, size_t size);

/* Distinct topics held. */
size_t zmq__trie_count(const struct zmq__trie *t);

/* Calls fn once per topic, in byte order.  Returns fn's first non-zero
 * return, -ENOMEM (no buffer for the topic: nothing was called), or 0.
 * fn must not change the trie. */
int zmq__trie_apply(struct zmq__trie *t, zmq__trie_topic_fn *fn, void *arg);

/* ------------------------------------------------------------------ */

struct zmq__mtrie {
    struct zmq__trie_node root;
    size_t count;   /* topics with at least one pipe */
    size_t max_len; /* longest topic ever added */
};

enum zmq__mtrie_rm {
    ZMQ__MTRIE_NOT_FOUND, /* the pipe did not hold the topic */
    ZMQ__MTRIE_LAST,      /* removed; no pipe holds the topic now */
    ZMQ__MTRIE_REMAIN,    /* removed; other pipes still hold it */
};

void zmq__mtrie_init(struct zmq__mtrie *t);
void zmq__mtrie_fini(struct zmq__mtrie *t);

/* Adds pipe to the topic.  1: the topic had no pipe before; 0: it had
 * (including this pipe: adding twice is one membership); -ENOMEM. */
int zmq__mtrie_add(struct zmq__mtrie *t, const void *topic, size_t size,
                   void *pipe);

/* Removes pipe from the topic (enum zmq__mtrie_rm). */
enum zmq__mtrie_rm zmq__mtrie_remove(struct zmq__mtrie *t, const void *topic,
                                     size_t size, void *pipe);

/* True when some pipe holds exactly this topic. */
bool zmq__mtrie_has(const struct zmq__mtrie *t, const void *topic, size_t size);

/* Calls fn(pipe, arg) for each pipe of each topic that is a prefix of
 * data[0..size).  fn must not change the trie. */
void zmq__mtrie_match(const struct zmq__mtrie *t, const void *data, size_t size,
                      void (*fn)(void *pipe, void *arg), void *arg);

/* Removes pipe from every topic.  fn (may be NULL) is called for each
 * topic the pipe held, or with only_last for each topic that no pipe
 * holds any more.  The removal itself cannot fail; -ENOMEM means there
 * was no memory for the topic buffer, so fn was not called. */
int zmq__mtrie_remove_pipe(struct zmq__mtrie *t, void *pipe, bool only_last,
                           zmq__trie_topic_fn *fn, void *arg);

/* Topics held by at least one pipe. */
size_t zmq__mtrie_count(const struct zmq__mtrie *t);

#endif
