/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of the RADIO/DISH group set (src/socket/groups.c):
 * counts, removal (backward shift keeps every other name findable),
 * growth, iteration, and the JOIN/LEAVE command messages.
 */
#include <stdbool.h>

#include "core/msg.h"
#include "socket/groups.h"
#include "testutil.h"

static uint32_t find(struct zmq__groups *g, const char *name)
{
    size_t len = strlen(name);
    return zmq__groups_find(g, name, len, zmq__groups_hash(name, len));
}

static void test_counts(void)
{
    struct zmq__groups g = {0};
    CHECK_EQ(find(&g, "a"), 0);
    CHECK_EQ(zmq__groups_remove(&g, "a", 1), -ENOENT);
    CHECK_EQ(zmq__groups_add(&g, "a", 1), 1);
    CHECK_EQ(zmq__groups_add(&g, "a", 1), 2);
    CHECK_EQ(zmq__groups_add(&g, "", 0), 1);
    CHECK_EQ(find(&g, "a"), 2);
    CHECK_EQ(find(&g, ""), 1);
    CHECK_EQ(find(&g, "ab"), 0);
    CHECK_EQ(zmq__groups_remove(&g, "a", 1), 1);
    CHECK_EQ(zmq__groups_remove(&g, "a", 1), 0);
    CHECK_EQ(find(&g, "a"), 0);
    CHECK_EQ(zmq__groups_remove(&g, "a", 1), -ENOENT);
    CHECK_EQ(g.n, 1);
    zmq__groups_fini(&g);
}

/* Random adds and removes against a plain array of counts. */
static void test_random(void)
{
    enum { NAMES = 300, STEPS = 20000 };
    static uint32_t want[NAMES];
    struct zmq__groups g = {0};
    unsigned seed = 12345;
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int)((seed >> 8) % NAMES);
        char name[16];
        snprintf(name, sizeof name, "g%d", i);
        if ((seed >> 20) % 3 != 0) {
            CHECK_EQ(zmq__groups_add(&g, name, strlen(name)), ++want[i]);
        } else if (want[i] > 0) {
            CHECK_EQ(zmq__groups_remove(&g, name, strlen(name)), --want[i]);
        } else {
            CHECK_EQ(zmq__groups_remove(&g, name, strlen(name)), -ENOENT);
        }
    }
    size_t distinct = 0;
    for (int i = 0; i < NAMES; i++) {
        char name[16];
        snprintf(name, sizeof name, "g%d", i);
        CHECK_EQ(find(&g, name), want[i]);
        distinct += want[i] > 0;
    }
    CHECK_EQ(g.n, distinct);
    size_t pos = 0, len, seen = 0;
    const char *name;
    while ((name = zmq__groups_next(&g, &pos, &len)) != NULL) {
        CHECK_EQ(strlen(name), len);
        CHECK(find(&g, name) > 0);
        seen++;
    }
    CHECK_EQ(seen, distinct);
    zmq__groups_fini(&g);
}

static void test_commands(void)
{
    struct zmq__msg m;
    bool join;
    const char *name;
    size_t len;
    CHECK_EQ(zmq__groups_command_init(&m, true, "abc", 3), 0);
    CHECK_EQ(zmq__msg_size(&m), 8);
    CHECK(memcmp(zmq__msg_data(&m), "\x04JOINabc", 8) == 0);
    CHECK(m.flags & ZMQ__MSG_COMMAND);
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), 0);
    CHECK(join && len == 3 && memcmp(name, "abc", 3) == 0);
    zmq__msg_close(&m);

    CHECK_EQ(zmq__groups_command_init(&m, false, "", 0), 0);
    CHECK(memcmp(zmq__msg_data(&m), "\x05LEAVE", 6) == 0);
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), 0);
    CHECK(!join && len == 0);
    m.flags &= (uint8_t)~ZMQ__MSG_COMMAND; /* data is not a command */
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), -EINVAL);
    zmq__msg_close(&m);

    /* Bad commands: unknown word, NUL in the name, name too long. */
    static const char nul[] = "\x04JOINa\0b";
    CHECK_EQ(zmq__msg_init_buffer(&m, nul, sizeof nul - 1), 0);
    m.flags |= ZMQ__MSG_COMMAND;
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), -EINVAL);
    zmq__msg_close(&m);
    CHECK_EQ(zmq__msg_init_buffer(&m, "\x04JOIM", 5), 0);
    m.flags |= ZMQ__MSG_COMMAND;
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), -EINVAL);
    zmq__msg_close(&m);
    char big[5 + ZMQ_GROUP_MAX_LENGTH + 1];
    memcpy(big, "\x04JOIN", 5);
    memset(big + 5, 'x', sizeof big - 5);
    CHECK_EQ(zmq__msg_init_buffer(&m, big, sizeof big), 0);
    m.flags |= ZMQ__MSG_COMMAND;
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), -EINVAL);
    zmq__msg_close(&m);
    CHECK_EQ(zmq__msg_init_buffer(&m, big, sizeof big - 1), 0);
    m.flags |= ZMQ__MSG_COMMAND;
    CHECK_EQ(zmq__groups_command_parse(&m, &join, &name, &len), 0);
    CHECK_EQ(len, ZMQ_GROUP_MAX_LENGTH);
    zmq__msg_close(&m);
}

TEST_MAIN(TEST(test_counts), TEST(test_random), TEST(test_commands))
