/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of socket/idmap: ids unique and never 0, find after
 * remove and after many removes (tombstones), add/remove churn, and the
 * allocator around the 32-bit wrap-around, where it must skip 0 and
 * every id still in use.  The values are zero-initialised pipe structs
 * that the map only points at.
 */
#include <stdint.h>

#include "core/pipe.h"
#include "socket/idmap.h"
#include "testutil.h"

#define MANY 100000

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void test_unique_nonzero(void)
{
    struct zmq__pipe *pipes = calloc(MANY, sizeof *pipes);
    uint32_t *ids = calloc(MANY, sizeof *ids);
    REQUIRE(pipes && ids);
    struct zmq__idmap m;
    zmq__idmap_init(&m, 0); /* 0 is skipped: the first id is 1 */
    for (size_t i = 0; i < MANY; i++) {
        pipes[i].routing_id = 0;
        REQUIRE(zmq__idmap_add(&m, &pipes[i]) == 0);
        ids[i] = pipes[i].routing_id;
    }
    CHECK_EQ(ids[0], 1);
    CHECK_EQ(m.count, MANY);
    size_t zeros = 0, dups = 0, misses = 0;
    for (size_t i = 0; i < MANY; i++) {
        zeros += ids[i] == 0;
        misses += zmq__idmap_find(&m, ids[i]) != &pipes[i];
    }
    qsort(ids, MANY, sizeof *ids, cmp_u32);
    for (size_t i = 1; i < MANY; i++)
        dups += ids[i] == ids[i - 1];
    CHECK_EQ(zeros, 0);
    CHECK_EQ(dups, 0);
    CHECK_EQ(misses, 0);
    CHECK(zmq__idmap_find(&m, 0) == NULL);
    CHECK(zmq__idmap_find(&m, MANY + 1) == NULL);
    CHECK(zmq__idmap_find(&m, UINT32_MAX) == NULL);
    zmq__idmap_fini(&m);
    free(ids);
    free(pipes);
}

static void test_remove_then_find(void)
{
    struct zmq__pipe a = {0}, b = {0}, c = {0};
    struct zmq__idmap m;
    zmq__idmap_init(&m, 1);
    CHECK(zmq__idmap_find(&m, 1) == NULL); /* empty map */
    REQUIRE(zmq__idmap_add(&m, &a) == 0);
    REQUIRE(zmq__idmap_add(&m, &b) == 0);
    REQUIRE(zmq__idmap_add(&m, &c) == 0);
    CHECK_EQ(a.routing_id, 1);
    CHECK_EQ(b.routing_id, 2);
    CHECK_EQ(c.routing_id, 3);
    zmq__idmap_remove(&m, &b);
    CHECK(zmq__idmap_find(&m, 2) == NULL);
    CHECK(zmq__idmap_find(&m, 1) == &a);
    CHECK(zmq__idmap_find(&m, 3) == &c);
    CHECK_EQ(m.count, 2);
    /* Removing again, or a pipe that only carries a live id, changes
     * nothing. */
    zmq__idmap_remove(&m, &b);
    struct zmq__pipe impostor = {0};
    impostor.routing_id = a.routing_id;
    zmq__idmap_remove(&m, &impostor);
    CHECK(zmq__idmap_find(&m, 1) == &a);
    CHECK_EQ(m.count, 2);
    zmq__idmap_remove(&m, &a);
    zmq__idmap_remove(&m, &c);
    CHECK(zmq__idmap_find(&m, 1) == NULL);
    CHECK(zmq__idmap_find(&m, 3) == NULL);
    CHECK_EQ(m.count, 0);
    /* Ids are not reused right away: the counter goes on. */
    REQUIRE(zmq__idmap_add(&m, &b) == 0);
    CHECK_EQ(b.routing_id, 4);
    CHECK(zmq__idmap_find(&m, 4) == &b);
    zmq__idmap_fini(&m);
}

/* Many removes leave tombstones in probe chains: lookups of the
 * survivors must still walk past them. */
static void test_tombstones(void)
{
    enum { N = 20000 };
    struct zmq__pipe *pipes = calloc(N, sizeof *pipes);
    REQUIRE(pipes);
    struct zmq__idmap m;
    zmq__idmap_init(&m, 1);
    for (size_t i = 0; i < N; i++)
        REQUIRE(zmq__idmap_add(&m, &pipes[i]) == 0);
    /* Remove two of every three. */
    for (size_t i = 0; i < N; i++)
        if (i % 3 != 0)
            zmq__idmap_remove(&m, &pipes[i]);
    size_t wrong = 0;
    for (size_t i = 0; i < N; i++) {
        struct zmq__pipe *want = i % 3 == 0 ? &pipes[i] : NULL;
        wrong += zmq__idmap_find(&m, pipes[i].routing_id) != want;
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(m.count, (N + 2) / 3);

    /* Re-add the removed ones (new ids), interleaved with removing the
     * survivors: every live pipe stays findable and ids stay unique. */
    wrong = 0;
    size_t collisions = 0;
    for (size_t i = 0; i < N; i++) {
        if (i % 3 != 0) {
            REQUIRE(zmq__idmap_add(&m, &pipes[i]) == 0);
            collisions += pipes[i].routing_id <= N;
        } else if (i % 2 == 0) {
            zmq__idmap_remove(&m, &pipes[i]);
        }
    }
    size_t live = 0;
    for (size_t i = 0; i < N; i++) {
        bool in = i % 3 != 0 || i % 2 != 0;
        live += in;
        wrong +=
            zmq__idmap_find(&m, pipes[i].routing_id) != (in ? &pipes[i] : NULL);
    }
    CHECK_EQ(collisions, 0);
    CHECK_EQ(wrong, 0);
    CHECK_EQ(m.count, live);
    zmq__idmap_fini(&m);
    free(pipes);
}

/* Add/remove churn with a steady live set: tombstones pile up without
 * the live count growing; the table must be cleaned in time, so that
 * lookups of absent ids still terminate and live ones are found. */
static void test_churn(void)
{
    enum { LIVE = 100, ROUNDS = 200000 };
    struct zmq__pipe pipes[LIVE + 1];
    memset(pipes, 0, sizeof pipes);
    struct zmq__idmap m;
    zmq__idmap_init(&m, 1);
    for (size_t i = 0; i < LIVE; i++)
        REQUIRE(zmq__idmap_add(&m, &pipes[i]) == 0);
    size_t out = LIVE; /* the one pipe not in the map */
    size_t wrong = 0;
    for (size_t r = 0; r < ROUNDS; r++) {
        REQUIRE(zmq__idmap_add(&m, &pipes[out]) == 0);
        wrong += zmq__idmap_find(&m, pipes[out].routing_id) != &pipes[out];
        out = (out + 1) % (LIVE + 1);
        uint32_t old = pipes[out].routing_id;
        zmq__idmap_remove(&m, &pipes[out]);
        wrong += zmq__idmap_find(&m, old) != NULL;
    }
    CHECK_EQ(wrong, 0);
    CHECK_EQ(m.count, LIVE);
    for (size_t i = 0; i <= LIVE; i++)
        CHECK(zmq__idmap_find(&m, pipes[i].routing_id) ==
              (i == out ? NULL : &pipes[i]));
    /* The ids handed out went on increasing: LIVE + ROUNDS so far. */
    CHECK_EQ(m.next, LIVE + ROUNDS + 1);
    CHECK(m.cap <= 1024); /* cleaned, not grown without bound */
    zmq__idmap_fini(&m);
}

static void test_wraparound(void)
{
    enum { N = 20 };
    struct zmq__pipe pipes[N];
    memset(pipes, 0, sizeof pipes);
    struct zmq__idmap m;
    zmq__idmap_init(&m, UINT32_MAX - 5);
    for (size_t i = 0; i < N; i++)
        REQUIRE(zmq__idmap_add(&m, &pipes[i]) == 0);
    /* UINT32_MAX-5 .. UINT32_MAX, then 1, 2, ... (0 skipped). */
    for (size_t i = 0; i < N; i++) {
        uint32_t want = i <= 5 ? UINT32_MAX - 5 + (uint32_t)i : (uint32_t)i - 5;
        CHECK_EQ(pipes[i].routing_id, want);
        CHECK(zmq__idmap_find(&m, want) == &pipes[i]);
    }
    CHECK(zmq__idmap_find(&m, 0) == NULL);
    zmq__idmap_fini(&m);
}

/* The counter wraps while low ids are still in use: it must skip 0 and
 * every id in use, and hand out the freed ones. */
static void test_wraparound_skips_live(void)
{
    struct zmq__pipe low[10], more[12];
    memset(low, 0, sizeof low);
    memset(more, 0, sizeof more);
    struct zmq__idmap m;
    zmq__idmap_init(&m, 1);
    for (size_t i = 0; i < 10; i++) {
        REQUIRE(zmq__idmap_add(&m, &low[i]) == 0);
        CHECK_EQ(low[i].routing_id, i + 1);
    }
    /* Free 2, 5, 6, 9; 1, 3, 4, 7, 8, 10 stay in use. */
    zmq__idmap_remove(&m, &low[1]);
    zmq__idmap_remove(&m, &low[4]);
    zmq__idmap_remove(&m, &low[5]);
    zmq__idmap_remove(&m, &low[8]);
    m.next = UINT32_MAX - 2; /* white-box: force the wrap-around */
    for (size_t i = 0; i < 12; i++)
        REQUIRE(zmq__idmap_add(&m, &more[i]) == 0);
    const uint32_t want[12] = {UINT32_MAX - 2,
                               UINT32_MAX - 1,
                               UINT32_MAX,
                               2,
                               5,
                               6,
                               9,
                               11,
                               12,
                               13,
                               14,
                               15};
    for (size_t i = 0; i < 12; i++) {
        CHECK_EQ(more[i].routing_id, want[i]);
        CHECK(zmq__idmap_find(&m, want[i]) == &more[i]);
    }
    /* The ones kept are untouched. */
    const size_t kept[6] = {0, 2, 3, 6, 7, 9};
    for (size_t i = 0; i < 6; i++)
        CHECK(zmq__idmap_find(&m, (uint32_t)kept[i] + 1) == &low[kept[i]]);
    CHECK(zmq__idmap_find(&m, 0) == NULL);
    CHECK_EQ(m.count, 6 + 12);

    /* Wrap again with everything from 1 to 15 in use but 0 never. */
    struct zmq__pipe last = {0};
    m.next = UINT32_MAX;
    zmq__idmap_remove(&m, &more[2]); /* frees UINT32_MAX itself */
    REQUIRE(zmq__idmap_add(&m, &last) == 0);
    CHECK_EQ(last.routing_id, UINT32_MAX);
    struct zmq__pipe after = {0};
    REQUIRE(zmq__idmap_add(&m, &after) == 0);
    CHECK_EQ(after.routing_id, 16);
    zmq__idmap_fini(&m);
}

TEST_MAIN(TEST(test_unique_nonzero), TEST(test_remove_then_find),
          TEST(test_tombstones), TEST(test_churn), TEST(test_wraparound),
          TEST(test_wraparound_skips_live))
