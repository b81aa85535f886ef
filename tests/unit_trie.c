/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of socket/trie: add/remove/match/count with reference
 * counts, the empty topic matching everything, binary topics, iteration
 * (every topic once, in byte order, early stop), 100,000 topics, very
 * long topics (no recursion), and the multi-trie of pipes per topic:
 * first/last reporting, matching, removing a pipe everywhere with its
 * topics reported.  Pipes are plain pointers the trie never reads.
 */
#include <stdint.h>

#include "socket/trie.h"
#include "testutil.h"

#define MANY 100000

static int add_s(struct zmq__trie *t, const char *s)
{
    return zmq__trie_add(t, s, strlen(s));
}

static int rm_s(struct zmq__trie *t, const char *s)
{
    return zmq__trie_remove(t, s, strlen(s));
}

static bool match_s(struct zmq__trie *t, const char *s)
{
    return zmq__trie_match(t, s, strlen(s));
}

static void test_add_remove_match(void)
{
    struct zmq__trie t;
    zmq__trie_init(&t);
    CHECK(!match_s(&t, "abc"));
    CHECK(!match_s(&t, ""));
    CHECK_EQ(add_s(&t, "ab"), 1);
    CHECK_EQ(zmq__trie_count(&t), 1);
    CHECK(match_s(&t, "ab"));
    CHECK(match_s(&t, "abc"));
    CHECK(!match_s(&t, "a"));
    CHECK(!match_s(&t, "b"));
    CHECK(!match_s(&t, "ac"));
    CHECK_EQ(add_s(&t, "abcd"), 1);
    CHECK_EQ(add_s(&t, "x"), 1);
    CHECK_EQ(zmq__trie_count(&t), 3);
    CHECK(match_s(&t, "xyz"));
    CHECK_EQ(rm_s(&t, "ab"), 1);
    CHECK(!match_s(&t, "abc"));
    CHECK(match_s(&t, "abcde"));
    CHECK_EQ(rm_s(&t, "ab"), -ENOENT);
    CHECK_EQ(rm_s(&t, "a"), -ENOENT);
    CHECK_EQ(rm_s(&t, "zzz"), -ENOENT);
    CHECK_EQ(rm_s(&t, "abcd"), 1);
    CHECK_EQ(rm_s(&t, "x"), 1);
    CHECK_EQ(zmq__trie_count(&t), 0);
    CHECK(!match_s(&t, "abcd"));
    /* Everything pruned: the root has no children left. */
    CHECK_EQ(t.root.nedges, 0);
    zmq__trie_fini(&t);
}

static void test_refcount(void)
{
    struct zmq__trie t;
    zmq__trie_init(&t);
    CHECK_EQ(add_s(&t, "news"), 1);
    CHECK_EQ(add_s(&t, "news"), 0);
    CHECK_EQ(add_s(&t, "news"), 0);
    CHECK_EQ(zmq__trie_count(&t), 1);
    CHECK_EQ(rm_s(&t, "news"), 0);
    CHECK_EQ(rm_s(&t, "news"), 0);
    CHECK(match_s(&t, "news!"));
    CHECK_EQ(rm_s(&t, "news"), 1);
    CHECK(!match_s(&t, "news!"));
    CHECK_EQ(rm_s(&t, "news"), -ENOENT);
    zmq__trie_fini(&t);
}

static void test_empty_topic(void)
{
    struct zmq__trie t;
    zmq__trie_init(&t);
    CHECK_EQ(zmq__trie_add(&t, NULL, 0), 1);
    CHECK(match_s(&t, ""));
    CHECK(match_s(&t, "anything"));
    CHECK_EQ(zmq__trie_count(&t), 1);
    CHECK_EQ(zmq__trie_add(&t, "", 0), 0);
    CHECK_EQ(zmq__trie_remove(&t, "", 0), 0);
    CHECK_EQ(zmq__trie_remove(&t, "", 0), 1);
    CHECK(!match_s(&t, "anything"));
    zmq__trie_fini(&t);
}

static void test_binary_topics(void)
{
    struct zmq__trie t;
    zmq__trie_init(&t);
    unsigned char a[] = {0, 255, 0}, b[] = {0, 255, 1, 2};
    CHECK_EQ(zmq__trie_add(&t, a, sizeof a), 1);
    CHECK(zmq__trie_match(&t, a, sizeof a));
    CHECK(!zmq__trie_match(&t, b, sizeof b));
    CHECK(!zmq__trie_match(&t, a, 2));
    CHECK_EQ(zmq__trie_add(&t, b, 2), 1);
    CHECK(zmq__trie_match(&t, b, sizeof b));
    zmq__trie_fini(&t);
}

/* Collects topics into one string, separated by '|'. */
struct collect {
    char buf[512];
    size_t len;
    int calls, stop_at;
};

static int collect_fn(const unsigned char *topic, size_t size, void *arg)
{
    struct collect *c = arg;
    c->calls++;
    if (c->len + size + 1 < sizeof c->buf) {
        memcpy(c->buf + c->len, topic, size);
        c->len += size;
        c->buf[c->len++] = '|';
        c->buf[c->len] = '\0';
    }
    return c->calls == c->stop_at ? 7 : 0;
}

static void test_apply(void)
{
    struct zmq__trie t;
    zmq__trie_init(&t);
    struct collect c = {.stop_at = -1};
    CHECK_EQ(zmq__trie_apply(&t, collect_fn, &c), 0);
    CHECK_EQ(c.calls, 0);
    const char *topics[] = {"b", "abc", "ab", "", "ba", "zz", "ab"};
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        CHECK(add_s(&t, topics[i]) >= 0);
    CHECK_EQ(zmq__trie_apply(&t, collect_fn, &c), 0);
    CHECK_EQ(c.calls, 6); /* "ab" twice is one topic */
    CHECK(strcmp(c.buf, "|ab|abc|b|ba|zz|") == 0);
    struct collect c2 = {.stop_at = 3};
    CHECK_EQ(zmq__trie_apply(&t, collect_fn, &c2), 7);
    CHECK_EQ(c2.calls, 3);
    zmq__trie_fini(&t);
}

static void topic_of(char *out, size_t i)
{
    snprintf(out, 32, "topic/%zu/x", i * 7919u % 1000003u);
}

static void test_many(void)
{
    struct zmq__trie t;
    zmq__trie_init(&t);
    char topic[32];
    for (size_t i = 0; i < MANY; i++) {
        topic_of(topic, i);
        CHECK_EQ(add_s(&t, topic), 1);
    }
    CHECK_EQ(zmq__trie_count(&t), MANY);
    int found = 0;
    for (size_t i = 0; i < MANY; i++) {
        topic_of(topic, i);
        strcat(topic, "-payload");
        found += match_s(&t, topic);
    }
    CHECK_EQ(found, MANY);
    CHECK(!match_s(&t, "topic/"));
    CHECK(!match_s(&t, "other"));
    struct collect c = {.stop_at = -1};
    CHECK_EQ(zmq__trie_apply(&t, collect_fn, &c), 0);
    CHECK_EQ(c.calls, MANY);
    /* Remove every other one, then the rest. */
    for (size_t i = 0; i < MANY; i += 2) {
        topic_of(topic, i);
        CHECK_EQ(rm_s(&t, topic), 1);
    }
    CHECK_EQ(zmq__trie_count(&t), MANY / 2);
    topic_of(topic, 0);
    CHECK(!match_s(&t, topic));
    topic_of(topic, 1);
    CHECK(match_s(&t, topic));
    for (size_t i = 1; i < MANY; i += 2) {
        topic_of(topic, i);
        CHECK_EQ(rm_s(&t, topic), 1);
    }
    CHECK_EQ(zmq__trie_count(&t), 0);
    CHECK_EQ(t.root.nedges, 0);
    zmq__trie_fini(&t);
}

/* Deep tries: walks and frees must not recurse. */
static void test_long_topic(void)
{
    size_t n = 1000000;
    char *big = malloc(n);
    REQUIRE(big != NULL);
    memset(big, 'q', n);
    struct zmq__trie t;
    zmq__trie_init(&t);
    CHECK_EQ(zmq__trie_add(&t, big, n), 1);
    CHECK(zmq__trie_match(&t, big, n));
    CHECK(!zmq__trie_match(&t, big, n - 1));
    struct collect c = {.stop_at = -1};
    CHECK_EQ(zmq__trie_apply(&t, collect_fn, &c), 0);
    CHECK_EQ(c.calls, 1);
    zmq__trie_fini(&t); /* frees the whole chain */

    struct zmq__mtrie m;
    zmq__mtrie_init(&m);
    int pipe;
    CHECK_EQ(zmq__mtrie_add(&m, big, n, &pipe), 1);
    CHECK_EQ(zmq__mtrie_remove_pipe(&m, &pipe, true, NULL, NULL), 0);
    CHECK_EQ(zmq__mtrie_count(&m), 0);
    CHECK_EQ(m.root.nedges, 0);
    zmq__mtrie_fini(&m);
    free(big);
}

/* ------------------------------------------------------------------ */

struct seen {
    void *pipes[16];
    int n;
};

static void seen_fn(void *pipe, void *arg)
{
    struct seen *s = arg;
    if (s->n < 16)
        s->pipes[s->n++] = pipe;
}

static int seen_count(struct seen *s, void *pipe)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += s->pipes[i] == pipe;
    return k;
}

static void test_mtrie(void)
{
    struct zmq__mtrie m;
    zmq__mtrie_init(&m);
    int p1, p2, p3;
    CHECK_EQ(zmq__mtrie_add(&m, "ab", 2, &p1), 1);
    CHECK_EQ(zmq__mtrie_add(&m, "ab", 2, &p1), 0); /* once per pipe */
    CHECK_EQ(zmq__mtrie_add(&m, "ab", 2, &p2), 0);
    CHECK_EQ(zmq__mtrie_add(&m, "a", 1, &p2), 1);
    CHECK_EQ(zmq__mtrie_add(&m, "", 0, &p3), 1);
    CHECK_EQ(zmq__mtrie_count(&m), 3);
    CHECK(zmq__mtrie_has(&m, "ab", 2));
    CHECK(!zmq__mtrie_has(&m, "abc", 3));

    struct seen s = {0};
    zmq__mtrie_match(&m, "abc", 3, seen_fn, &s);
    CHECK_EQ(seen_count(&s, &p1), 1);
    CHECK_EQ(seen_count(&s, &p2), 2); /* via "a" and "ab" */
    CHECK_EQ(seen_count(&s, &p3), 1);
    struct seen s2 = {0};
    zmq__mtrie_match(&m, "b", 1, seen_fn, &s2);
    CHECK_EQ(s2.n, 1);
    CHECK_EQ(seen_count(&s2, &p3), 1);

    CHECK_EQ(zmq__mtrie_remove(&m, "ab", 2, &p3), ZMQ__MTRIE_NOT_FOUND);
    CHECK_EQ(zmq__mtrie_remove(&m, "ab", 2, &p1), ZMQ__MTRIE_REMAIN);
    CHECK_EQ(zmq__mtrie_remove(&m, "ab", 2, &p1), ZMQ__MTRIE_NOT_FOUND);
    CHECK_EQ(zmq__mtrie_remove(&m, "zz", 2, &p1), ZMQ__MTRIE_NOT_FOUND);
    CHECK_EQ(zmq__mtrie_remove(&m, "ab", 2, &p2), ZMQ__MTRIE_LAST);
    CHECK_EQ(zmq__mtrie_count(&m), 2);
    zmq__mtrie_fini(&m);
}

static void test_mtrie_remove_pipe(void)
{
    struct zmq__mtrie m;
    zmq__mtrie_init(&m);
    int p1, p2;
    zmq__mtrie_add(&m, "a", 1, &p1);
    zmq__mtrie_add(&m, "ab", 2, &p1);
    zmq__mtrie_add(&m, "b", 1, &p1);
    zmq__mtrie_add(&m, "b", 1, &p2);
    zmq__mtrie_add(&m, "c", 1, &p2);

    /* only_last: just the topics nobody holds any more. */
    struct collect c = {.stop_at = -1};
    CHECK_EQ(zmq__mtrie_remove_pipe(&m, &p1, true, collect_fn, &c), 0);
    CHECK(strcmp(c.buf, "a|ab|") == 0);
    CHECK_EQ(zmq__mtrie_count(&m), 2);
    struct seen s = {0};
    zmq__mtrie_match(&m, "abc", 3, seen_fn, &s);
    CHECK_EQ(s.n, 0);

    /* Every topic the pipe held. */
    zmq__mtrie_add(&m, "c", 1, &p1);
    struct collect c2 = {.stop_at = -1};
    CHECK_EQ(zmq__mtrie_remove_pipe(&m, &p2, false, collect_fn, &c2), 0);
    CHECK(strcmp(c2.buf, "b|c|") == 0);
    CHECK_EQ(zmq__mtrie_count(&m), 1);
    CHECK_EQ(zmq__mtrie_remove_pipe(&m, &p1, true, NULL, NULL), 0);
    CHECK_EQ(zmq__mtrie_count(&m), 0);
    CHECK_EQ(m.root.nedges, 0);
    zmq__mtrie_fini(&m);
}

static void test_mtrie_many(void)
{
    struct zmq__mtrie m;
    zmq__mtrie_init(&m);
    int pipes[4];
    char topic[32];
    for (size_t i = 0; i < MANY; i++) {
        topic_of(topic, i);
        CHECK_EQ(zmq__mtrie_add(&m, topic, strlen(topic), &pipes[i % 4]), 1);
    }
    CHECK_EQ(zmq__mtrie_count(&m), MANY);
    int hits = 0;
    for (size_t i = 0; i < MANY; i += 97) {
        struct seen s = {0};
        topic_of(topic, i);
        zmq__mtrie_match(&m, topic, strlen(topic), seen_fn, &s);
        hits += s.n == 1 && s.pipes[0] == &pipes[i % 4];
    }
    CHECK_EQ(hits, (MANY + 96) / 97);
    struct collect c = {.stop_at = -1};
    CHECK_EQ(zmq__mtrie_remove_pipe(&m, &pipes[0], true, collect_fn, &c), 0);
    CHECK_EQ(c.calls, MANY / 4);
    CHECK_EQ(zmq__mtrie_count(&m), MANY - MANY / 4);
    zmq__mtrie_fini(&m); /* frees what is left */
}

TEST_MAIN(TEST(test_add_remove_match), TEST(test_refcount),
          TEST(test_empty_topic), TEST(test_binary_topics), TEST(test_apply),
          TEST(test_many), TEST(test_long_topic), TEST(test_mtrie),
          TEST(test_mtrie_remove_pipe), TEST(test_mtrie_many))
