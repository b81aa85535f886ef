/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of messages: the layout of struct zmq__msg inside
 * zmq_msg_t, the body and group representations, and metadata (which no
 * public function can attach yet), read back through the public
 * zmq_msg_gets and zmq_msg_get on the same bytes.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "core/metadata.h"
#include "core/msg.h"

#include "testutil.h"

static int points_inside(const zmq_msg_t *m, const void *p)
{
    uintptr_t base = (uintptr_t)(const void *)m, at = (uintptr_t)p;
    return at >= base && at < base + sizeof *m;
}

/* Whether got is a string equal to want (NULL never is). */
static int str_is(const char *got, const char *want)
{
    return got != NULL && strcmp(got, want) == 0;
}

/* A message with metadata keys[i] = values[i] attached; the message holds
 * the only reference. */
static int init_with_metadata(zmq_msg_t *msg, const char *const *keys,
                              const char *const *values, size_t n)
{
    if (zmq_msg_init_size(msg, 10) != 0)
        return -1;
    struct zmq__metadata *md = zmq__metadata_new(keys, values, n);
    if (md == NULL)
        return -1;
    zmq__msg_set_metadata(zmq__msg_from(msg), md);
    zmq__metadata_unref(md);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Layout                                                                    */
/* ------------------------------------------------------------------------ */

static void test_layout(void)
{
    CHECK_EQ(sizeof(struct zmq__msg), 64);
    CHECK_EQ(sizeof(zmq_msg_t), 64);
    CHECK(alignof(struct zmq__msg) <= alignof(zmq_msg_t));
    CHECK_EQ(offsetof(struct zmq__msg, body) % 8, 0);
    CHECK(sizeof(((struct zmq__msg *)0)->body) >= ZMQ__MSG_INLINE_MAX);
    CHECK_EQ(ZMQ__MSG_INLINE_MAX, 33);
    /* A short group fills its 16 bytes: flag byte + 14 chars + NUL. */
    CHECK(sizeof(union zmq__msg_group) >= ZMQ__MSG_SHORT_GROUP_MAX + 2);
    CHECK(offsetof(struct zmq__msg, group) + sizeof(union zmq__msg_group) <=
          64);
}

static void test_inline_body_aligned(void)
{
    /* Messages at every position of an array and inside a structure
     * after a single char: the inline body is 8-aligned in all. */
    zmq_msg_t arr[4];
    struct {
        char c;
        zmq_msg_t m;
    } holder;
    zmq_msg_t *msgs[] = {&arr[0], &arr[1], &arr[2], &arr[3], &holder.m};
    for (size_t size = 1; size <= ZMQ__MSG_INLINE_MAX; size++) {
        for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
            REQUIRE(zmq_msg_init_size(msgs[i], size) == 0);
            void *d = zmq_msg_data(msgs[i]);
            CHECK_EQ((uintptr_t)d % 8, 0);
            CHECK(d == (void *)zmq__msg_from(msgs[i])->body);
            CHECK_EQ(zmq__msg_from(msgs[i])->type, ZMQ__MSG_INLINE);
            CHECK_EQ(zmq__msg_from(msgs[i])->inline_size, size);
            CHECK_EQ(zmq_msg_close(msgs[i]), 0);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Body representations                                                      */
/* ------------------------------------------------------------------------ */

static int ffn_calls;

static void count_ffn(void *data, void *hint)
{
    (void)data;
    (void)hint;
    ffn_calls++;
}

static void test_body_types(void)
{
    zmq_msg_t m;
    struct zmq__msg *im = zmq__msg_from(&m);

    REQUIRE(zmq_msg_init(&m) == 0);
    CHECK_EQ(im->type, ZMQ__MSG_INLINE);
    CHECK(zmq__msg_is_valid(im));
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_EQ(im->type, ZMQ__MSG_INVALID);
    CHECK(!zmq__msg_is_valid(im));
    CHECK_EQ(zmq__msg_close(im), -EFAULT);

    REQUIRE(zmq_msg_init_size(&m, ZMQ__MSG_INLINE_MAX) == 0);
    CHECK_EQ(im->type, ZMQ__MSG_INLINE);
    CHECK_EQ(zmq_msg_close(&m), 0);

    REQUIRE(zmq_msg_init_size(&m, ZMQ__MSG_INLINE_MAX + 1) == 0);
    CHECK_EQ(im->type, ZMQ__MSG_CONTENT);
    CHECK(!points_inside(&m, zmq_msg_data(&m)));
    CHECK_EQ(zmq_msg_close(&m), 0);

    char buf[8] = "const";
    REQUIRE(zmq_msg_init_data(&m, buf, sizeof buf, NULL, NULL) == 0);
    CHECK_EQ(im->type, ZMQ__MSG_CONST);
    CHECK(zmq__msg_is_shared(im));
    CHECK_EQ(zmq_msg_close(&m), 0);

    ffn_calls = 0;
    REQUIRE(zmq_msg_init_data(&m, buf, sizeof buf, count_ffn, NULL) == 0);
    CHECK_EQ(im->type, ZMQ__MSG_CONTENT);
    CHECK(!zmq__msg_is_shared(im));
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_EQ(ffn_calls, 1);

    /* init_buffer follows the same split. */
    REQUIRE(zmq_msg_init_buffer(&m, "0123456789", 10) == 0);
    CHECK_EQ(im->type, ZMQ__MSG_INLINE);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_shared_flag(void)
{
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init_size(&a, 20) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    REQUIRE(zmq_msg_copy(&b, &a) == 0);
    CHECK_EQ(zmq__msg_from(&a)->flags & ZMQ__MSG_SHARED, 0);
    CHECK_EQ(zmq__msg_from(&b)->flags & ZMQ__MSG_SHARED, 0);
    CHECK_EQ(zmq__msg_from(&b)->type, ZMQ__MSG_INLINE);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(zmq_msg_close(&b), 0);

    REQUIRE(zmq_msg_init_size(&a, 200) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    REQUIRE(zmq_msg_copy(&b, &a) == 0);
    CHECK(zmq__msg_from(&a)->flags & ZMQ__MSG_SHARED);
    CHECK(zmq__msg_from(&b)->flags & ZMQ__MSG_SHARED);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(zmq_msg_close(&b), 0);
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                    */
/* ------------------------------------------------------------------------ */

static void test_group_representation(void)
{
    char name[256];
    zmq_msg_t a, b;
    REQUIRE(zmq_msg_init(&a) == 0);
    struct zmq__msg *ia = zmq__msg_from(&a);

    /* Up to 14 chars: inside the message. */
    memset(name, 's', ZMQ__MSG_SHORT_GROUP_MAX);
    name[ZMQ__MSG_SHORT_GROUP_MAX] = '\0';
    CHECK_EQ(ZMQ__MSG_SHORT_GROUP_MAX, 14);
    REQUIRE(zmq_msg_set_group(&a, name) == 0);
    CHECK_EQ(ia->group.s.is_long, 0);
    CHECK(points_inside(&a, zmq_msg_group(&a)));
    CHECK(str_is(zmq_msg_group(&a), name));

    /* 15 and more: a shared block outside. */
    memset(name, 'l', 15);
    name[15] = '\0';
    REQUIRE(zmq_msg_set_group(&a, name) == 0);
    CHECK_EQ(ia->group.l.is_long, 1);
    CHECK(!points_inside(&a, zmq_msg_group(&a)));
    CHECK(str_is(zmq_msg_group(&a), name));

    memset(name, 'L', 255);
    name[255] = '\0';
    REQUIRE(zmq_msg_set_group(&a, name) == 0);
    CHECK_EQ(ia->group.l.is_long, 1);
    CHECK(str_is(zmq_msg_group(&a), name));

    /* A copy shares the block; closing the original keeps it. */
    REQUIRE(zmq_msg_init(&b) == 0);
    REQUIRE(zmq_msg_copy(&b, &a) == 0);
    CHECK(zmq_msg_group(&b) == zmq_msg_group(&a));
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK(str_is(zmq_msg_group(&b), name));

    /* Back to short: inline again. */
    REQUIRE(zmq_msg_set_group(&b, "s") == 0);
    CHECK_EQ(zmq__msg_from(&b)->group.s.is_long, 0);
    CHECK(points_inside(&b, zmq_msg_group(&b)));
    CHECK_EQ(zmq_msg_close(&b), 0);
}

/* ------------------------------------------------------------------------ */
/* Metadata                                                                  */
/* ------------------------------------------------------------------------ */

static void test_metadata_new_get(void)
{
    char key2[] = "Routing-Id", value2[] = "abc";
    const char *keys[] = {"Socket-Type", key2, "X-Hello", "Empty"};
    const char *values[] = {"DEALER", value2, "world", ""};
    struct zmq__metadata *md = zmq__metadata_new(keys, values, 4);
    REQUIRE(md != NULL);
    /* The strings were copied. */
    key2[0] = 'X';
    value2[0] = 'X';

    const char *v = zmq__metadata_get(md, "Socket-Type");
    CHECK(v != NULL && strcmp(v, "DEALER") == 0);
    CHECK(v != values[0]);
    v = zmq__metadata_get(md, "Routing-Id");
    CHECK(v != NULL && strcmp(v, "abc") == 0);
    v = zmq__metadata_get(md, "X-Hello");
    CHECK(v != NULL && strcmp(v, "world") == 0);
    v = zmq__metadata_get(md, "Empty");
    CHECK(v != NULL && strcmp(v, "") == 0);
    /* Exact, case-sensitive keys. */
    CHECK(zmq__metadata_get(md, "socket-type") == NULL);
    CHECK(zmq__metadata_get(md, "Socket-Typ") == NULL);
    CHECK(zmq__metadata_get(md, "Socket-Type ") == NULL);
    CHECK(zmq__metadata_get(md, "Xouting-Id") == NULL);
    CHECK(zmq__metadata_get(md, "") == NULL);
    zmq__metadata_unref(md);

    /* No properties at all. */
    md = zmq__metadata_new(NULL, NULL, 0);
    REQUIRE(md != NULL);
    CHECK(zmq__metadata_get(md, "Socket-Type") == NULL);
    zmq__metadata_unref(md);

    zmq__metadata_unref(NULL); /* a no-op */
}

static void test_metadata_refcount(void)
{
    const char *keys[] = {"K"}, *values[] = {"V"};
    struct zmq__metadata *md = zmq__metadata_new(keys, values, 1);
    REQUIRE(md != NULL);
    CHECK(zmq__metadata_ref(md) == md);
    CHECK(zmq__metadata_ref(md) == md);
    zmq__metadata_unref(md);
    zmq__metadata_unref(md);
    /* One reference left: still readable (the sanitizer build catches an
     * early free), and the last unref frees it (or leaks are reported). */
    const char *v = zmq__metadata_get(md, "K");
    CHECK(v != NULL && strcmp(v, "V") == 0);
    zmq__metadata_unref(md);
}

static void test_gets_through_public_api(void)
{
    const char *keys[] = {"Socket-Type", "Routing-Id", "Peer-Address",
                          "User-Id", "X-Custom"};
    const char *values[] = {"ROUTER", "peer-7", "127.0.0.1", "alice",
                            "custom value"};
    zmq_msg_t m;
    REQUIRE(init_with_metadata(&m, keys, values, 5) == 0);
    for (size_t i = 0; i < 5; i++) {
        const char *v = zmq_msg_gets(&m, keys[i]);
        CHECK(v != NULL && strcmp(v, values[i]) == 0);
    }
    CHECK(str_is(zmq_msg_gets(&m, ZMQ_MSG_PROPERTY_SOCKET_TYPE), "ROUTER"));
    CHECK(str_is(zmq_msg_gets(&m, ZMQ_MSG_PROPERTY_PEER_ADDRESS), "127.0.0.1"));
    CHECK(str_is(zmq_msg_gets(&m, ZMQ_MSG_PROPERTY_USER_ID), "alice"));
    /* "Identity" falls back to "Routing-Id". */
    const char *v = zmq_msg_gets(&m, "Identity");
    CHECK(v != NULL && strcmp(v, "peer-7") == 0);
    /* Absent, wrong case, NULL. */
    CHECK_NULL_ERR(zmq_msg_gets(&m, "X-Other"), EINVAL);
    CHECK_NULL_ERR(zmq_msg_gets(&m, "socket-type"), EINVAL);
    CHECK_NULL_ERR(zmq_msg_gets(&m, NULL), EINVAL);
    /* No "__fd": no source descriptor. */
    CHECK_ERR(zmq_msg_get(&m, ZMQ_SRCFD), -1, EINVAL);
    CHECK_EQ(zmq_msg_close(&m), 0);
    CHECK_NULL_ERR(zmq_msg_gets(&m, "Socket-Type"), EFAULT);
}

static void test_identity(void)
{
    zmq_msg_t m;
    /* An explicit "Identity" wins over "Routing-Id". */
    const char *k1[] = {"Routing-Id", "Identity"}, *v1[] = {"rid", "ident"};
    REQUIRE(init_with_metadata(&m, k1, v1, 2) == 0);
    const char *v = zmq_msg_gets(&m, "Identity");
    CHECK(v != NULL && strcmp(v, "ident") == 0);
    v = zmq_msg_gets(&m, "Routing-Id");
    CHECK(v != NULL && strcmp(v, "rid") == 0);
    CHECK_EQ(zmq_msg_close(&m), 0);

    /* Neither: absent. */
    const char *k2[] = {"Socket-Type"}, *v2[] = {"PEER"};
    REQUIRE(init_with_metadata(&m, k2, v2, 1) == 0);
    CHECK_NULL_ERR(zmq_msg_gets(&m, "Identity"), EINVAL);
    CHECK_NULL_ERR(zmq_msg_gets(&m, "Routing-Id"), EINVAL);
    CHECK_EQ(zmq_msg_close(&m), 0);

    /* The fallback is for "Identity" only, not the other way round. */
    const char *k3[] = {"Identity"}, *v3[] = {"only-identity"};
    REQUIRE(init_with_metadata(&m, k3, v3, 1) == 0);
    CHECK_NULL_ERR(zmq_msg_gets(&m, "Routing-Id"), EINVAL);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_srcfd(void)
{
    const char *fds[] = {"0", "7", "42", "65535"};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        const char *keys[] = {"Socket-Type", "__fd"};
        const char *values[] = {"PAIR", fds[i]};
        zmq_msg_t m;
        REQUIRE(init_with_metadata(&m, keys, values, 2) == 0);
        CHECK_EQ(zmq_msg_get(&m, ZMQ_SRCFD), atoi(fds[i]));
        /* The other properties are unaffected. */
        CHECK_EQ(zmq_msg_get(&m, ZMQ_MORE), 0);
        CHECK_EQ(zmq_msg_close(&m), 0);
    }
}

static void test_metadata_shared_by_copies(void)
{
    const char *keys[] = {"Socket-Type", "Routing-Id"};
    const char *values[] = {"SERVER", "r-1"};
    zmq_msg_t a, b, c;
    REQUIRE(init_with_metadata(&a, keys, values, 2) == 0);
    REQUIRE(zmq_msg_init(&b) == 0);
    REQUIRE(zmq_msg_init(&c) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK(zmq__msg_from(&b)->metadata == zmq__msg_from(&a)->metadata);
    CHECK(zmq_msg_gets(&b, "Socket-Type") == zmq_msg_gets(&a, "Socket-Type"));

    /* Closing the original leaves the copy's properties readable. */
    CHECK_EQ(zmq_msg_close(&a), 0);
    const char *v = zmq_msg_gets(&b, "Socket-Type");
    CHECK(v != NULL && strcmp(v, "SERVER") == 0);
    v = zmq_msg_gets(&b, "Identity");
    CHECK(v != NULL && strcmp(v, "r-1") == 0);

    /* Moving carries them; the moved-from message has none. */
    CHECK_EQ(zmq_msg_move(&c, &b), 0);
    v = zmq_msg_gets(&c, "Routing-Id");
    CHECK(v != NULL && strcmp(v, "r-1") == 0);
    CHECK_NULL_ERR(zmq_msg_gets(&b, "Routing-Id"), EINVAL);
    CHECK(zmq__msg_from(&b)->metadata == NULL);
    CHECK_EQ(zmq_msg_close(&b), 0);
    CHECK_EQ(zmq_msg_close(&c), 0);
}

static void test_metadata_replace_and_detach(void)
{
    const char *k[] = {"Socket-Type"};
    const char *v1[] = {"PUB"}, *v2[] = {"SUB"};
    struct zmq__metadata *md1 = zmq__metadata_new(k, v1, 1);
    struct zmq__metadata *md2 = zmq__metadata_new(k, v2, 1);
    REQUIRE(md1 != NULL && md2 != NULL);
    zmq_msg_t m;
    REQUIRE(zmq_msg_init(&m) == 0);
    struct zmq__msg *im = zmq__msg_from(&m);

    zmq__msg_set_metadata(im, md1);
    zmq__msg_set_metadata(im, md1); /* the same again: still alive */
    zmq__metadata_unref(md1);       /* the message holds the last ref */
    CHECK(str_is(zmq_msg_gets(&m, "Socket-Type"), "PUB"));

    zmq__msg_set_metadata(im, md2); /* releases md1 */
    zmq__metadata_unref(md2);
    CHECK(str_is(zmq_msg_gets(&m, "Socket-Type"), "SUB"));

    zmq__msg_set_metadata(im, NULL); /* detaches and releases md2 */
    CHECK(im->metadata == NULL);
    CHECK_NULL_ERR(zmq_msg_gets(&m, "Socket-Type"), EINVAL);
    CHECK_EQ(zmq_msg_close(&m), 0);
}

static void test_copy_over_dest_with_metadata(void)
{
    const char *k[] = {"Socket-Type"};
    const char *v1[] = {"REQ"}, *v2[] = {"REP"};
    zmq_msg_t a, b;
    REQUIRE(init_with_metadata(&a, k, v1, 1) == 0);
    REQUIRE(init_with_metadata(&b, k, v2, 1) == 0);
    /* b's own metadata is released, a's is shared. */
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK(str_is(zmq_msg_gets(&b, "Socket-Type"), "REQ"));
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK(str_is(zmq_msg_gets(&b, "Socket-Type"), "REQ"));

    /* A local message copied over it drops the properties. */
    REQUIRE(zmq_msg_init(&a) == 0);
    CHECK_EQ(zmq_msg_copy(&b, &a), 0);
    CHECK_NULL_ERR(zmq_msg_gets(&b, "Socket-Type"), EINVAL);
    CHECK_EQ(zmq_msg_close(&a), 0);
    CHECK_EQ(zmq_msg_close(&b), 0);
}

TEST_MAIN(TEST(test_layout), TEST(test_inline_body_aligned),
          TEST(test_body_types), TEST(test_shared_flag),
          TEST(test_group_representation), TEST(test_metadata_new_get),
          TEST(test_metadata_refcount), TEST(test_gets_through_public_api),
          TEST(test_identity), TEST(test_srcfd),
          TEST(test_metadata_shared_by_copies),
          TEST(test_metadata_replace_and_detach),
          TEST(test_copy_over_dest_with_metadata))
