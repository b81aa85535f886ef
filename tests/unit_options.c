/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of the generic socket options (src/core/options.c):
 * defaults, ranges and lengths of every option, the string, binary and
 * CURVE key encodings, mechanism selection, views (IPV4ONLY,
 * HEARTBEAT_TTL), lists (METADATA, TCP_ACCEPT_FILTER, IPC filters),
 * CONNECT_ROUTING_ID, and deep copies.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/options.h"
#include "core/z85.h"
#include "platform.h"
#include "testutil.h"
#include "zmq.h"

static int seti(struct zmq__options *o, int opt, int v)
{
    return zmq__options_set(o, opt, &v, sizeof v);
}

/* Reads an int option; -1000 if the reported length is not sizeof(int). */
static int geti(const struct zmq__options *o, int opt, int *v)
{
    size_t n = sizeof *v;
    int rc = zmq__options_get(o, opt, v, &n);
    return rc == 0 && n != sizeof *v ? -1000 : rc;
}

/* An int option's value, or INT_MIN + 7 when it cannot be read. */
static int val(const struct zmq__options *o, int opt)
{
    int v;
    return geti(o, opt, &v) == 0 ? v : INT_MIN + 7;
}

static int sets(struct zmq__options *o, int opt, const char *s)
{
    return zmq__options_set(o, opt, s, strlen(s));
}

/* Reads a string option into buf (256 bytes); its reported length. */
static long gets_(const struct zmq__options *o, int opt, char *buf)
{
    size_t n = 256;
    memset(buf, 0x55, 256);
    int rc = zmq__options_get(o, opt, buf, &n);
    return rc == 0 ? (long)n : rc;
}

static void init_default(struct zmq__options *o)
{
    zmq__options_init(o, ZMQ_DEALER, 0, 0, 1);
}

/* ------------------------------------------------------------------------ */

static const struct {
    int id, dflt;
} int_defaults[] = {
    {ZMQ_SNDHWM, 1000},
    {ZMQ_RCVHWM, 1000},
    {ZMQ_RATE, 100},
    {ZMQ_RECOVERY_IVL, 10000},
    {ZMQ_SNDBUF, -1},
    {ZMQ_RCVBUF, -1},
    {ZMQ_TYPE, ZMQ_DEALER},
    {ZMQ_LINGER, -1},
    {ZMQ_RECONNECT_IVL, 100},
    {ZMQ_BACKLOG, 100},
    {ZMQ_RECONNECT_IVL_MAX, 0},
    {ZMQ_MULTICAST_HOPS, 1},
    {ZMQ_RCVTIMEO, -1},
    {ZMQ_SNDTIMEO, -1},
    {ZMQ_IPV4ONLY, 1},
    {ZMQ_TCP_KEEPALIVE, -1},
    {ZMQ_TCP_KEEPALIVE_CNT, -1},
    {ZMQ_TCP_KEEPALIVE_IDLE, -1},
    {ZMQ_TCP_KEEPALIVE_INTVL, -1},
    {ZMQ_IMMEDIATE, 0},
    {ZMQ_IPV6, 0},
    {ZMQ_MECHANISM, ZMQ_NULL},
    {ZMQ_PLAIN_SERVER, 0},
    {ZMQ_CONFLATE, 0},
    {ZMQ_TOS, 0},
    {ZMQ_HANDSHAKE_IVL, 30000},
    {ZMQ_INVERT_MATCHING, 0},
    {ZMQ_HEARTBEAT_IVL, 0},
    {ZMQ_HEARTBEAT_TTL, 0},
    {ZMQ_HEARTBEAT_TIMEOUT, -1},
    {ZMQ_CONNECT_TIMEOUT, 0},
    {ZMQ_TCP_MAXRT, 0},
    {ZMQ_THREAD_SAFE, 0},
    {ZMQ_MULTICAST_MAXTPDU, 1500},
    {ZMQ_USE_FD, -1},
    {ZMQ_ZAP_ENFORCE_DOMAIN, 0},
    {ZMQ_LOOPBACK_FASTPATH, 0},
    {ZMQ_MULTICAST_LOOP, 1},
    {ZMQ_ROUTER_NOTIFY, 0},
    {ZMQ_IN_BATCH_SIZE, 8192},
    {ZMQ_OUT_BATCH_SIZE, 16384},
    {ZMQ_RECONNECT_STOP, 0},
    {ZMQ_PRIORITY, 0},
    {ZMQ_BUSY_POLL, 0},
    {ZMQ_NORM_MODE, ZMQ_NORM_CC},
    {ZMQ_NORM_UNICAST_NACK, 0},
    {ZMQ_NORM_BUFFER_SIZE, 2048},
    {ZMQ_NORM_SEGMENT_SIZE, 1400},
    {ZMQ_NORM_BLOCK_SIZE, 16},
    {ZMQ_NORM_NUM_PARITY, 4},
    {ZMQ_NORM_NUM_AUTOPARITY, 0},
    {ZMQ_NORM_PUSH, 0},
};

static void test_defaults(void)
{
    struct zmq__options o;
    init_default(&o);
    for (size_t i = 0; i < sizeof int_defaults / sizeof int_defaults[0]; i++)
        CHECK_EQ(val(&o, int_defaults[i].id), int_defaults[i].dflt);
    if (ZMQ__HAVE_LIBSODIUM)
        CHECK_EQ(val(&o, ZMQ_CURVE_SERVER), 0);

    uint64_t aff = 99;
    int64_t mms = 99;
    size_t n = sizeof aff;
    CHECK_EQ(zmq__options_get(&o, ZMQ_AFFINITY, &aff, &n), 0);
    CHECK_EQ(aff, 0);
    n = sizeof mms;
    CHECK_EQ(zmq__options_get(&o, ZMQ_MAXMSGSIZE, &mms, &n), 0);
    CHECK_EQ(mms, -1);

    char buf[256];
    static const int strs[] = {ZMQ_PLAIN_USERNAME, ZMQ_PLAIN_PASSWORD,
                               ZMQ_ZAP_DOMAIN,     ZMQ_SOCKS_PROXY,
                               ZMQ_SOCKS_USERNAME, ZMQ_SOCKS_PASSWORD,
                               ZMQ_BINDTODEVICE};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        CHECK_EQ(gets_(&o, strs[i], buf), 1);
        CHECK_EQ(buf[0], '\0');
    }
    n = 0;
    CHECK_EQ(zmq__options_get(&o, ZMQ_ROUTING_ID, buf, &n), 0);
    CHECK_EQ(n, 0);

    CHECK_EQ(o.heartbeat_ttl, 0);
    CHECK_EQ(o.raw_notify, 1);
    CHECK_EQ(o.as_server, 0);
    CHECK_EQ(o.metadata_count, 0);
    CHECK_EQ(o.tcp_accept_filter_count, 0);
    CHECK(o.hello_msg.data == NULL && o.hello_msg.size == 0);
    CHECK(!o.curve_publickey_set && !o.curve_secretkey_set &&
          !o.curve_serverkey_set);
    zmq__options_fini(&o);
    zmq__options_fini(&o); /* idempotent */

    zmq__options_init(&o, ZMQ_SERVER, 1, 1, 0);
    CHECK_EQ(val(&o, ZMQ_TYPE), ZMQ_SERVER);
    CHECK_EQ(val(&o, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ(val(&o, ZMQ_LINGER), 0); /* BLOCKY 0 */
    CHECK_EQ(val(&o, ZMQ_IPV6), 1);   /* context IPV6 */
    CHECK_EQ(val(&o, ZMQ_IPV4ONLY), 0);
    zmq__options_fini(&o);
}

/* Every settable int option: its range, its length rules. */
static const struct {
    int id, min, max;
    int any; /* any int accepted and stored as 0/1 */
} int_ranges[] = {
    {ZMQ_SNDHWM, 0, INT_MAX, 0},
    {ZMQ_RCVHWM, 0, INT_MAX, 0},
    {ZMQ_RATE, 1, INT_MAX, 0},
    {ZMQ_RECOVERY_IVL, 0, INT_MAX, 0},
    {ZMQ_SNDBUF, -1, INT_MAX, 0},
    {ZMQ_RCVBUF, -1, INT_MAX, 0},
    {ZMQ_LINGER, -1, INT_MAX, 0},
    {ZMQ_RECONNECT_IVL, -1, INT_MAX, 0},
    {ZMQ_BACKLOG, 0, INT_MAX, 0},
    {ZMQ_RECONNECT_IVL_MAX, 0, INT_MAX, 0},
    {ZMQ_MULTICAST_HOPS, 1, INT_MAX, 0},
    {ZMQ_RCVTIMEO, -1, INT_MAX, 0},
    {ZMQ_SNDTIMEO, -1, INT_MAX, 0},
    {ZMQ_TCP_KEEPALIVE, -1, 1, 0},
    {ZMQ_TCP_KEEPALIVE_CNT, -1, INT_MAX, 0},
    {ZMQ_TCP_KEEPALIVE_IDLE, -1, INT_MAX, 0},
    {ZMQ_TCP_KEEPALIVE_INTVL, -1, INT_MAX, 0},
    {ZMQ_IMMEDIATE, 0, 1, 0},
    {ZMQ_IPV6, 0, 1, 0},
    {ZMQ_IPV4ONLY, 0, 1, 0},
    {ZMQ_CONFLATE, 0, 1, 0},
    {ZMQ_TOS, 0, INT_MAX, 0},
    {ZMQ_HANDSHAKE_IVL, 0, INT_MAX, 0},
    {ZMQ_INVERT_MATCHING, 0, 1, 1},
    {ZMQ_HEARTBEAT_IVL, 0, INT_MAX, 0},
    {ZMQ_HEARTBEAT_TIMEOUT, 0, INT_MAX, 0},
    {ZMQ_CONNECT_TIMEOUT, 0, INT_MAX, 0},
    {ZMQ_TCP_MAXRT, 0, INT_MAX, 0},
    {ZMQ_MULTICAST_MAXTPDU, 1, INT_MAX, 0},
    {ZMQ_USE_FD, -1, INT_MAX, 0},
    {ZMQ_ZAP_ENFORCE_DOMAIN, 0, 1, 1},
    {ZMQ_LOOPBACK_FASTPATH, 0, 1, 1},
    {ZMQ_MULTICAST_LOOP, 0, 1, 1},
    {ZMQ_IN_BATCH_SIZE, 1, INT_MAX, 0},
    {ZMQ_OUT_BATCH_SIZE, 1, INT_MAX, 0},
    {ZMQ_RECONNECT_STOP, INT_MIN, INT_MAX, 0},
    {ZMQ_PRIORITY, 0, INT_MAX, 0},
    {ZMQ_BUSY_POLL, INT_MIN, INT_MAX, 0},
    {ZMQ_PLAIN_SERVER, 0, 1, 0},
    {ZMQ_NORM_MODE, 0, 4, 0},
    {ZMQ_NORM_UNICAST_NACK, 0, 1, 0},
    {ZMQ_NORM_BUFFER_SIZE, 1, INT_MAX, 0},
    {ZMQ_NORM_SEGMENT_SIZE, 1, INT_MAX, 0},
    {ZMQ_NORM_BLOCK_SIZE, 1, 255, 0},
    {ZMQ_NORM_NUM_PARITY, 0, 255, 0},
    {ZMQ_NORM_NUM_AUTOPARITY, 0, 255, 0},
    {ZMQ_NORM_PUSH, 0, 1, 0},
};

static void test_int_options(void)
{
    struct zmq__options o;
    init_default(&o);
    for (size_t i = 0; i < sizeof int_ranges / sizeof int_ranges[0]; i++) {
        int id = int_ranges[i].id, lo = int_ranges[i].min;
        int hi = int_ranges[i].max;
        if (int_ranges[i].any) {
            CHECK_EQ(seti(&o, id, 7), 0);
            CHECK_EQ(val(&o, id), 1);
            CHECK_EQ(seti(&o, id, INT_MIN), 0);
            CHECK_EQ(val(&o, id), 1);
            CHECK_EQ(seti(&o, id, 0), 0);
            CHECK_EQ(val(&o, id), 0);
        } else {
            CHECK_EQ(seti(&o, id, lo), 0);
            CHECK_EQ(val(&o, id), lo);
            CHECK_EQ(seti(&o, id, hi), 0);
            CHECK_EQ(val(&o, id), hi);
            if (lo > INT_MIN) {
                CHECK_EQ(seti(&o, id, lo - 1), -EINVAL);
                CHECK_EQ(val(&o, id), hi); /* unchanged */
            }
            if (hi < INT_MAX) {
                CHECK_EQ(seti(&o, id, hi + 1), -EINVAL);
                CHECK_EQ(val(&o, id), hi);
            }
            if (lo < hi) {
                CHECK_EQ(seti(&o, id, hi - 1), 0);
                CHECK_EQ(val(&o, id), hi - 1);
            }
        }
        /* Lengths: exactly sizeof(int) to set; at least that to get. */
        long long big = 1;
        short small = 1;
        CHECK_EQ(zmq__options_set(&o, id, &big, sizeof big), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, id, &small, sizeof small), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, id, NULL, 0), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, id, NULL, sizeof(int)), -EINVAL);
        int v = 0;
        size_t n = sizeof v - 1;
        CHECK_EQ(zmq__options_get(&o, id, &v, &n), -EINVAL);
        unsigned char wide[16];
        n = sizeof wide;
        CHECK_EQ(zmq__options_get(&o, id, wide, &n), 0);
        CHECK_EQ(n, sizeof(int));
        n = sizeof(int);
        CHECK_EQ(zmq__options_get(&o, id, NULL, &n), -EINVAL);
    }
    zmq__options_fini(&o);
}

static void test_read_only_and_unknown(void)
{
    struct zmq__options o;
    zmq__options_init(&o, ZMQ_ROUTER, 0, 0, 1);
    static const int ro[] = {ZMQ_TYPE, ZMQ_THREAD_SAFE, ZMQ_MECHANISM,
                             ZMQ_ROUTER_NOTIFY};
    for (size_t i = 0; i < sizeof ro / sizeof ro[0]; i++)
        CHECK_EQ(seti(&o, ro[i], 1), -EINVAL);
    CHECK_EQ(val(&o, ZMQ_TYPE), ZMQ_ROUTER);
    o.router_notify = ZMQ_NOTIFY_CONNECT; /* as ROUTER's handler would */
    CHECK_EQ(val(&o, ZMQ_ROUTER_NOTIFY), ZMQ_NOTIFY_CONNECT);

    /* Not generic, or not ours: left for the socket type / socket_base. */
    static const int other[] = {
        -1,
        0,
        1,
        10,
        20,
        9999,
        ZMQ_SUBSCRIBE,
        ZMQ_UNSUBSCRIBE,
        ZMQ_RCVMORE,
        ZMQ_FD,
        ZMQ_EVENTS,
        ZMQ_LAST_ENDPOINT,
        ZMQ_ROUTER_MANDATORY,
        ZMQ_ROUTER_RAW,
        ZMQ_ROUTER_HANDOVER,
        ZMQ_XPUB_VERBOSE,
        ZMQ_XPUB_VERBOSER,
        ZMQ_XPUB_NODROP,
        ZMQ_XPUB_MANUAL,
        ZMQ_XPUB_WELCOME_MSG,
        ZMQ_XPUB_MANUAL_LAST_VALUE,
        ZMQ_XSUB_VERBOSE_UNSUBSCRIBE,
        ZMQ_PROBE_ROUTER,
        ZMQ_REQ_CORRELATE,
        ZMQ_REQ_RELAXED,
        ZMQ_STREAM_NOTIFY,
        ZMQ_ONLY_FIRST_SUBSCRIBE,
        ZMQ_TOPICS_COUNT,
        ZMQ_BLOCKY,
        ZMQ_VMCI_BUFFER_SIZE,
        ZMQ_VMCI_BUFFER_MIN_SIZE,
        ZMQ_VMCI_BUFFER_MAX_SIZE,
        ZMQ_VMCI_CONNECT_TIMEOUT,
        /* GSSAPI is not built. */
        ZMQ_GSSAPI_SERVER,
        ZMQ_GSSAPI_PRINCIPAL,
        ZMQ_GSSAPI_SERVICE_PRINCIPAL,
        ZMQ_GSSAPI_PLAINTEXT,
        ZMQ_GSSAPI_PRINCIPAL_NAMETYPE,
        ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE,
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        int v = 1;
        size_t n = sizeof v;
        CHECK_EQ(zmq__options_set(&o, other[i], &v, sizeof v), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, other[i], "a", 1), -EINVAL);
        CHECK_EQ(zmq__options_get(&o, other[i], &v, &n), -EINVAL);
    }
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);

    /* Write-only options. */
    static const int wo[] = {
        ZMQ_METADATA,       ZMQ_CONNECT_ROUTING_ID, ZMQ_HELLO_MSG,
        ZMQ_DISCONNECT_MSG, ZMQ_HICCUP_MSG,         ZMQ_TCP_ACCEPT_FILTER,
        ZMQ_IPC_FILTER_PID, ZMQ_IPC_FILTER_UID,     ZMQ_IPC_FILTER_GID,
        ZMQ_WSS_KEY_PEM,    ZMQ_WSS_CERT_PEM,       ZMQ_WSS_TRUST_PEM,
        ZMQ_WSS_HOSTNAME,   ZMQ_WSS_TRUST_SYSTEM};
    for (size_t i = 0; i < sizeof wo / sizeof wo[0]; i++) {
        char buf[256];
        size_t n = sizeof buf;
        CHECK_EQ(zmq__options_get(&o, wo[i], buf, &n), -EINVAL);
    }
    int v;
    CHECK_EQ(zmq__options_get(&o, ZMQ_SNDHWM, &v, NULL), -EINVAL);
    zmq__options_fini(&o);
}

static void test_views(void)
{
    struct zmq__options o;
    init_default(&o);
    /* IPV4ONLY is the inverse view of IPV6. */
    CHECK_EQ(seti(&o, ZMQ_IPV6, 1), 0);
    CHECK_EQ(val(&o, ZMQ_IPV4ONLY), 0);
    CHECK_EQ(seti(&o, ZMQ_IPV4ONLY, 1), 0);
    CHECK_EQ(val(&o, ZMQ_IPV6), 0);
    CHECK_EQ(o.ipv6, 0);
    CHECK_EQ(seti(&o, ZMQ_IPV4ONLY, 0), 0);
    CHECK_EQ(val(&o, ZMQ_IPV6), 1);
    CHECK_EQ(seti(&o, ZMQ_IPV4ONLY, 2), -EINVAL);
    CHECK_EQ(val(&o, ZMQ_IPV6), 1);

    /* HEARTBEAT_TTL: stored in deciseconds, read back as milliseconds. */
    static const struct {
        int set, deci, get;
    } ttl[] = {{0, 0, 0},
               {99, 0, 0},
               {100, 1, 100},
               {150, 1, 100},
               {1999, 19, 1900},
               {6553500, 65535, 6553500},
               {6553599, 65535, 6553500}};
    for (size_t i = 0; i < sizeof ttl / sizeof ttl[0]; i++) {
        CHECK_EQ(seti(&o, ZMQ_HEARTBEAT_TTL, ttl[i].set), 0);
        CHECK_EQ(o.heartbeat_ttl, ttl[i].deci);
        CHECK_EQ(val(&o, ZMQ_HEARTBEAT_TTL), ttl[i].get);
    }
    CHECK_EQ(seti(&o, ZMQ_HEARTBEAT_TTL, 6553600), -EINVAL);
    CHECK_EQ(seti(&o, ZMQ_HEARTBEAT_TTL, -1), -EINVAL);
    CHECK_EQ(seti(&o, ZMQ_HEARTBEAT_TTL, INT_MAX), -EINVAL);
    CHECK_EQ(o.heartbeat_ttl, 65535);
    CHECK_EQ(zmq__options_set(&o, ZMQ_HEARTBEAT_TTL, "ab", 2), -EINVAL);

    /* AFFINITY (uint64) and MAXMSGSIZE (int64): exactly 8 bytes to set. */
    uint64_t aff = 0xf00000000000000full;
    int64_t mms = -5;
    int small = 1;
    CHECK_EQ(zmq__options_set(&o, ZMQ_AFFINITY, &aff, sizeof aff), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_MAXMSGSIZE, &mms, sizeof mms), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_AFFINITY, &small, sizeof small), -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_MAXMSGSIZE, &small, sizeof small),
             -EINVAL);
    aff = 0;
    mms = 0;
    size_t n = sizeof aff;
    CHECK_EQ(zmq__options_get(&o, ZMQ_AFFINITY, &aff, &n), 0);
    CHECK(aff == 0xf00000000000000full);
    n = sizeof mms;
    CHECK_EQ(zmq__options_get(&o, ZMQ_MAXMSGSIZE, &mms, &n), 0);
    CHECK_EQ(mms, -5);
    n = 4;
    CHECK_EQ(zmq__options_get(&o, ZMQ_AFFINITY, &aff, &n), -EINVAL);
    n = 4;
    CHECK_EQ(zmq__options_get(&o, ZMQ_MAXMSGSIZE, &mms, &n), -EINVAL);
    unsigned char wide[16];
    n = sizeof wide;
    CHECK_EQ(zmq__options_get(&o, ZMQ_MAXMSGSIZE, wide, &n), 0);
    CHECK_EQ(n, 8);

    /* Read-back of BUSY_POLL (libzmq's always fails). */
    CHECK_EQ(seti(&o, ZMQ_BUSY_POLL, 1), 0);
    CHECK_EQ(val(&o, ZMQ_BUSY_POLL), 1);
    zmq__options_fini(&o);
}

static void test_strings(void)
{
    static const struct {
        int id;
        size_t max;
        int clears; /* an empty value clears it */
    } strs[] = {
        {ZMQ_ZAP_DOMAIN, 255, 1},     {ZMQ_SOCKS_PROXY, 1000, 1},
        {ZMQ_SOCKS_USERNAME, 255, 1}, {ZMQ_SOCKS_PASSWORD, 255, 1},
        {ZMQ_BINDTODEVICE, 15, 1},    {ZMQ_PLAIN_USERNAME, 255, 0},
        {ZMQ_PLAIN_PASSWORD, 255, 0},
    };
    char big[1001], buf[1100];
    memset(big, 'k', sizeof big);
    struct zmq__options o;
    init_default(&o);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        int id = strs[i].id;
        CHECK_EQ(sets(&o, id, "abc"), 0);
        CHECK_EQ(gets_(&o, id, buf), 4);
        CHECK(strcmp(buf, "abc") == 0);
        /* Buffer too small for the text and its NUL. */
        size_t n = 3;
        CHECK_EQ(zmq__options_get(&o, id, buf, &n), -EINVAL);
        CHECK_EQ(n, 3);
        n = 4;
        CHECK_EQ(zmq__options_get(&o, id, buf, &n), 0);
        CHECK_EQ(n, 4);
        n = 4;
        CHECK_EQ(zmq__options_get(&o, id, NULL, &n), -EINVAL);
        /* Longest accepted, one more refused (value unchanged). */
        CHECK_EQ(zmq__options_set(&o, id, big, strs[i].max), 0);
        if (strs[i].max < 1000) {
            CHECK_EQ(zmq__options_set(&o, id, big, strs[i].max + 1), -EINVAL);
            n = sizeof buf;
            CHECK_EQ(zmq__options_get(&o, id, buf, &n), 0);
            CHECK_EQ(n, strs[i].max + 1);
        }
        CHECK_EQ(zmq__options_set(&o, id, NULL, 5), -EINVAL);
        if (strs[i].clears) {
            CHECK_EQ(zmq__options_set(&o, id, NULL, 0), 0);
            CHECK_EQ(gets_(&o, id, buf), 1);
            CHECK_EQ(buf[0], '\0');
            CHECK_EQ(sets(&o, id, "x"), 0);
            CHECK_EQ(zmq__options_set(&o, id, "x", 0), 0);
            CHECK_EQ(gets_(&o, id, buf), 1);
        }
    }
    /* Bytes are kept as given, a counted NUL included (as libzmq)... */
    CHECK_EQ(zmq__options_set(&o, ZMQ_ZAP_DOMAIN, "ab\0", 3), 0);
    CHECK_EQ(o.zap_domain.size, 3);
    CHECK_EQ(gets_(&o, ZMQ_ZAP_DOMAIN, buf), 4);
    /* ...except BINDTODEVICE, a C string for the kernel: IFNAMSIZ. */
    CHECK_EQ(zmq__options_set(&o, ZMQ_BINDTODEVICE, "eth0", 5), 0);
    CHECK_EQ(o.bindtodevice.size, 4);
    CHECK(strcmp(zmq__options_cstr(&o.bindtodevice), "eth0") == 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_BINDTODEVICE, "0123456789abcde", 16), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_BINDTODEVICE, "0123456789abcdef", 16),
             -EINVAL);
    CHECK_EQ(o.bindtodevice.size, 15);
    zmq__options_fini(&o);
    CHECK(strcmp(zmq__options_cstr(&o.zap_domain), "") == 0);
}

static void test_write_only_blobs(void)
{
    struct zmq__options o;
    init_default(&o);
    static const unsigned char bytes[] = {0, 1, 2, 0, 255};
    CHECK_EQ(zmq__options_set(&o, ZMQ_HELLO_MSG, bytes, sizeof bytes), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_DISCONNECT_MSG, "bye", 3), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_HICCUP_MSG, "", 0), 0);
    CHECK_EQ(o.hello_msg.size, sizeof bytes);
    CHECK(memcmp(o.hello_msg.data, bytes, sizeof bytes) == 0);
    CHECK_EQ(o.disconnect_msg.size, 3);
    CHECK(strcmp(o.disconnect_msg.data, "bye") == 0);
    CHECK_EQ(o.hiccup_msg.size, 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_HELLO_MSG, NULL, 0), 0);
    CHECK(o.hello_msg.data == NULL && o.hello_msg.size == 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_HICCUP_MSG, NULL, 1), -EINVAL);

    /* wss:// settings exist only when TLS is built. */
    int rc = sets(&o, ZMQ_WSS_CERT_PEM, "-----BEGIN CERTIFICATE-----");
    CHECK_EQ(rc, ZMQ__HAVE_GNUTLS ? 0 : -EINVAL);
    CHECK_EQ(sets(&o, ZMQ_WSS_KEY_PEM, "k"), ZMQ__HAVE_GNUTLS ? 0 : -EINVAL);
    CHECK_EQ(sets(&o, ZMQ_WSS_TRUST_PEM, "t"), ZMQ__HAVE_GNUTLS ? 0 : -EINVAL);
    CHECK_EQ(sets(&o, ZMQ_WSS_HOSTNAME, "example.org"),
             ZMQ__HAVE_GNUTLS ? 0 : -EINVAL);
    CHECK_EQ(seti(&o, ZMQ_WSS_TRUST_SYSTEM, 1), ZMQ__HAVE_GNUTLS ? 0 : -EINVAL);
    if (ZMQ__HAVE_GNUTLS) {
        CHECK(strcmp(zmq__options_cstr(&o.wss_hostname), "example.org") == 0);
        CHECK_EQ(o.wss_trust_system, 1);
        CHECK_EQ(seti(&o, ZMQ_WSS_TRUST_SYSTEM, 2), -EINVAL);
        CHECK_EQ(sets(&o, ZMQ_WSS_CERT_PEM, ""), 0);
        CHECK_EQ(o.wss_cert_pem.size, 0);
    }
    zmq__options_fini(&o);
}

static void test_routing_id(void)
{
    struct zmq__options o;
    init_default(&o);
    unsigned char id[256], out[300];
    for (int i = 0; i < 256; i++)
        id[i] = (unsigned char)i; /* starts with a zero byte */
    CHECK_EQ(zmq__options_set(&o, ZMQ_ROUTING_ID, id, 0), -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_ROUTING_ID, id, 256), -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_ROUTING_ID, NULL, 3), -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_ROUTING_ID, id, 255), 0);
    size_t n = sizeof out;
    CHECK_EQ(zmq__options_get(&o, ZMQ_ROUTING_ID, out, &n), 0);
    CHECK_EQ(n, 255);
    CHECK(memcmp(out, id, 255) == 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_ROUTING_ID, "abc", 3), 0);
    n = 2;
    CHECK_EQ(zmq__options_get(&o, ZMQ_ROUTING_ID, out, &n), -EINVAL);
    n = 3;
    CHECK_EQ(zmq__options_get(&o, ZMQ_ROUTING_ID, out, &n), 0);
    CHECK_EQ(n, 3);
    CHECK(memcmp(out, "abc", 3) == 0);
    CHECK_EQ(o.routing_id_size, 3);
    zmq__options_fini(&o);
}

static void test_connect_routing_id(void)
{
    struct zmq__options o;
    init_default(&o);
    unsigned char out[ZMQ__OPTIONS_ROUTING_ID_MAX], big[256];
    memset(big, 'r', sizeof big);
    CHECK_EQ(zmq__options_take_connect_routing_id(&o, out), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CONNECT_ROUTING_ID, "peer1", 5), 0);
    CHECK_EQ(zmq__options_take_connect_routing_id(&o, out), 5);
    CHECK(memcmp(out, "peer1", 5) == 0);
    CHECK_EQ(zmq__options_take_connect_routing_id(&o, out), 0); /* once */
    CHECK_EQ(zmq__options_set(&o, ZMQ_CONNECT_ROUTING_ID, big, 256), -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CONNECT_ROUTING_ID, big, 255), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CONNECT_ROUTING_ID, NULL, 0), 0);
    CHECK_EQ(zmq__options_take_connect_routing_id(&o, out), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CONNECT_ROUTING_ID, "a", 1), 0);
    zmq__options_fini(&o); /* frees a pending one */
}

static void test_plain(void)
{
    struct zmq__options o;
    init_default(&o);
    char buf[256];
    CHECK_EQ(seti(&o, ZMQ_PLAIN_SERVER, 1), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ(val(&o, ZMQ_PLAIN_SERVER), 1);
    CHECK_EQ(o.as_server, 1);
    /* A username makes it a PLAIN client. */
    CHECK_EQ(sets(&o, ZMQ_PLAIN_USERNAME, "admin"), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ(val(&o, ZMQ_PLAIN_SERVER), 0);
    CHECK_EQ(o.as_server, 0);
    CHECK_EQ(sets(&o, ZMQ_PLAIN_PASSWORD, "secret"), 0);
    CHECK_EQ(gets_(&o, ZMQ_PLAIN_PASSWORD, buf), 7);
    CHECK(strcmp(buf, "secret") == 0);
    /* (NULL, 0) selects NULL and keeps the credentials. */
    CHECK_EQ(zmq__options_set(&o, ZMQ_PLAIN_USERNAME, NULL, 0), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ(gets_(&o, ZMQ_PLAIN_USERNAME, buf), 6);
    CHECK_EQ(sets(&o, ZMQ_PLAIN_PASSWORD, "pw"), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ(zmq__options_set(&o, ZMQ_PLAIN_PASSWORD, NULL, 0), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);
    /* PLAIN_SERVER 0 drops back to NULL. */
    CHECK_EQ(seti(&o, ZMQ_PLAIN_SERVER, 1), 0);
    CHECK_EQ(seti(&o, ZMQ_PLAIN_SERVER, 0), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ(val(&o, ZMQ_PLAIN_SERVER), 0);
    zmq__options_fini(&o);
}

static void test_curve(void)
{
    struct zmq__options o;
    init_default(&o);
    /* RFC 32's test vector: 86 4F D2 6F B5 59 F7 5B is "HelloWorld". */
    static const uint8_t hw[8] = {0x86, 0x4F, 0xD2, 0x6F,
                                  0xB5, 0x59, 0xF7, 0x5B};
    uint8_t key[32], out[41];
    char z85[41];
    for (int i = 0; i < 4; i++)
        memcpy(key + 8 * i, hw, 8);
    snprintf(z85, sizeof z85, "%s", "HelloWorldHelloWorldHelloWorldHelloWorld");
    static const int keys[] = {ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY,
                               ZMQ_CURVE_SERVERKEY};

    if (!ZMQ__HAVE_LIBSODIUM) {
        for (size_t i = 0; i < 3; i++) {
            size_t n = 32;
            CHECK_EQ(zmq__options_set(&o, keys[i], key, 32), -EINVAL);
            CHECK_EQ(zmq__options_get(&o, keys[i], out, &n), -EINVAL);
        }
        CHECK_EQ(seti(&o, ZMQ_CURVE_SERVER, 1), -EINVAL);
        CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);
        zmq__options_fini(&o);
        return;
    }

    uint8_t *fields[] = {o.curve_publickey, o.curve_secretkey,
                         o.curve_serverkey};
    int *flags[] = {&o.curve_publickey_set, &o.curve_secretkey_set,
                    &o.curve_serverkey_set};
    for (size_t i = 0; i < 3; i++) {
        struct zmq__options p;
        init_default(&p);
        size_t n = 32;
        /* Default: zeros. */
        CHECK_EQ(zmq__options_get(&p, keys[i], out, &n), 0);
        CHECK_EQ(out[0] | out[17] | out[31], 0);
        /* Binary in, binary and Z85 out. */
        CHECK_EQ(zmq__options_set(&p, keys[i], key, 32), 0);
        CHECK_EQ(val(&p, ZMQ_MECHANISM), ZMQ_CURVE);
        n = 32;
        CHECK_EQ(zmq__options_get(&p, keys[i], out, &n), 0);
        CHECK_EQ(n, 32);
        CHECK(memcmp(out, key, 32) == 0);
        n = 41;
        CHECK_EQ(zmq__options_get(&p, keys[i], out, &n), 0);
        CHECK_EQ(n, 41);
        CHECK(memcmp(out, z85, 41) == 0);
        /* Other lengths. */
        n = 40;
        CHECK_EQ(zmq__options_get(&p, keys[i], out, &n), -EINVAL);
        n = 33;
        CHECK_EQ(zmq__options_get(&p, keys[i], out, &n), -EINVAL);
        n = 64;
        CHECK_EQ(zmq__options_get(&p, keys[i], out, &n), -EINVAL);
        zmq__options_fini(&p);

        /* Z85 in: 40 characters, or 41 with the NUL. */
        memset(fields[i], 0, 32);
        CHECK_EQ(zmq__options_set(&o, keys[i], z85, 40), 0);
        CHECK(memcmp(fields[i], key, 32) == 0);
        CHECK_EQ(*flags[i], 1);
        memset(fields[i], 0, 32);
        CHECK_EQ(zmq__options_set(&o, keys[i], z85, 41), 0);
        CHECK(memcmp(fields[i], key, 32) == 0);
        char bad[42];
        memcpy(bad, z85, 41);
        bad[40] = 'x'; /* 41 bytes without a NUL */
        CHECK_EQ(zmq__options_set(&o, keys[i], bad, 41), -EINVAL);
        memcpy(bad, z85, 41);
        bad[3] = ' '; /* not in the alphabet */
        CHECK_EQ(zmq__options_set(&o, keys[i], bad, 40), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, keys[i], key, 31), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, keys[i], key, 33), -EINVAL);
        CHECK_EQ(zmq__options_set(&o, keys[i], NULL, 0), -EINVAL);
        CHECK(memcmp(fields[i], key, 32) == 0); /* unchanged */
    }
    /* Mechanism selection: CURVE_SERVER, and SERVERKEY makes a client. */
    zmq__options_fini(&o);
    init_default(&o);
    CHECK_EQ(seti(&o, ZMQ_CURVE_SERVER, 1), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_CURVE);
    CHECK_EQ(val(&o, ZMQ_CURVE_SERVER), 1);
    CHECK_EQ(val(&o, ZMQ_PLAIN_SERVER), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CURVE_SECRETKEY, key, 32), 0);
    CHECK_EQ(val(&o, ZMQ_CURVE_SERVER), 1);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CURVE_SERVERKEY, key, 32), 0);
    CHECK_EQ(val(&o, ZMQ_CURVE_SERVER), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_CURVE);
    CHECK_EQ(seti(&o, ZMQ_CURVE_SERVER, 2), -EINVAL);
    CHECK_EQ(seti(&o, ZMQ_CURVE_SERVER, 0), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);
    /* The last choice wins, between mechanisms too. */
    CHECK_EQ(sets(&o, ZMQ_PLAIN_USERNAME, "u"), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ(zmq__options_set(&o, ZMQ_CURVE_PUBLICKEY, z85, 40), 0);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_CURVE);
    /* Our own encoder agrees with what getsockopt returns. */
    char enc[41];
    CHECK_EQ(zmq__z85_encode(enc, key, 32), 0);
    CHECK(strcmp(enc, z85) == 0);
    zmq__options_fini(&o);
}

static void test_metadata(void)
{
    struct zmq__options o;
    init_default(&o);
    CHECK_EQ(sets(&o, ZMQ_METADATA, "X-color:red"), 0);
    CHECK_EQ(sets(&o, ZMQ_METADATA, "X-url:tcp://a:1"), 0);
    REQUIRE(o.metadata_count == 2);
    CHECK(strcmp(o.metadata[0].key, "X-color") == 0);
    CHECK(strcmp(o.metadata[0].value, "red") == 0);
    CHECK(strcmp(o.metadata[1].key, "X-url") == 0);
    CHECK(strcmp(o.metadata[1].value, "tcp://a:1") == 0);
    /* Set again (names ignore case): the new value replaces the old. */
    CHECK_EQ(sets(&o, ZMQ_METADATA, "X-COLOR:blue"), 0);
    CHECK_EQ(o.metadata_count, 2);
    CHECK(strcmp(o.metadata[0].value, "blue") == 0);
    /* A counted NUL ends the text. */
    CHECK_EQ(zmq__options_set(&o, ZMQ_METADATA, "X-n:v\0junk", 10), 0);
    CHECK_EQ(o.metadata_count, 3);
    CHECK(strcmp(o.metadata[2].value, "v") == 0);

    static const char *const bad[] = {
        "color:red", "x-color:red", "X-color", "X-color:", ":red",
        "",          "Y-a:b",       "X",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(zmq__options_set(&o, ZMQ_METADATA, bad[i],
                                  strlen(bad[i]) ? strlen(bad[i]) : 1),
                 -EINVAL);
    char key[300];
    memset(key, 'k', sizeof key);
    memcpy(key, "X-", 2);
    memcpy(key + 255, ":v", 3); /* a 255-byte key */
    CHECK_EQ(sets(&o, ZMQ_METADATA, key), 0);
    memcpy(key + 255, "k:v", 4); /* 256 */
    CHECK_EQ(sets(&o, ZMQ_METADATA, key), -EINVAL);
    CHECK_EQ(o.metadata_count, 4);
    CHECK_EQ(zmq__options_set(&o, ZMQ_METADATA, NULL, 3), -EINVAL);
    /* Empty clears them all. */
    CHECK_EQ(zmq__options_set(&o, ZMQ_METADATA, NULL, 0), 0);
    CHECK_EQ(o.metadata_count, 0);
    CHECK_EQ(sets(&o, ZMQ_METADATA, "X-a:b"), 0);
    zmq__options_fini(&o);
}

static struct sockaddr_storage ip(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
        sin->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
        sin6->sin6_family = AF_INET6;
    return ss;
}

static int accepts(const struct zmq__options *o, const char *text)
{
    struct sockaddr_storage ss = ip(text);
    return zmq__options_tcp_accept(o, (struct sockaddr *)&ss);
}

static void test_accept_filter(void)
{
    struct zmq__options o;
    init_default(&o);
    CHECK_EQ(accepts(&o, "192.0.2.1"), 1); /* no filter */
    CHECK_EQ(sets(&o, ZMQ_TCP_ACCEPT_FILTER, "10.0.0.0/8"), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_TCP_ACCEPT_FILTER, "127.0.0.1", 10), 0);
    CHECK_EQ(sets(&o, ZMQ_TCP_ACCEPT_FILTER, "fe80::/10"), 0);
    CHECK_EQ(sets(&o, ZMQ_TCP_ACCEPT_FILTER, "192.168.1.0/23"), 0);
    CHECK_EQ(o.tcp_accept_filter_count, 4);
    CHECK_EQ(accepts(&o, "10.200.3.4"), 1);
    CHECK_EQ(accepts(&o, "11.0.0.1"), 0);
    CHECK_EQ(accepts(&o, "127.0.0.1"), 1);
    CHECK_EQ(accepts(&o, "127.0.0.2"), 0);
    CHECK_EQ(accepts(&o, "::ffff:10.1.1.1"), 1); /* v4-mapped */
    CHECK_EQ(accepts(&o, "::ffff:12.1.1.1"), 0);
    CHECK_EQ(accepts(&o, "fe80::1"), 1);
    CHECK_EQ(accepts(&o, "febf::1"), 1);
    CHECK_EQ(accepts(&o, "fec0::1"), 0);
    CHECK_EQ(accepts(&o, "192.168.0.9"), 1);
    CHECK_EQ(accepts(&o, "192.168.1.9"), 1);
    CHECK_EQ(accepts(&o, "192.168.2.9"), 0);

    static const char *const bad[] = {
        "foo",        "1.2.3.4/33", "1.2.3.4/",   "1.2.3.4/x", "::1/129",
        "1.2.3.4/-1", "1.2.3",      "1.2.3.4/8 ", "*",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(sets(&o, ZMQ_TCP_ACCEPT_FILTER, bad[i]), -EINVAL);
    char longer[300];
    memset(longer, '1', sizeof longer);
    CHECK_EQ(zmq__options_set(&o, ZMQ_TCP_ACCEPT_FILTER, longer, 256), -EINVAL);
    CHECK_EQ(o.tcp_accept_filter_count, 4);

    CHECK_EQ(sets(&o, ZMQ_TCP_ACCEPT_FILTER, "0.0.0.0/0"), 0);
    CHECK_EQ(accepts(&o, "11.0.0.1"), 1);
    /* Empty clears. */
    CHECK_EQ(zmq__options_set(&o, ZMQ_TCP_ACCEPT_FILTER, NULL, 0), 0);
    CHECK_EQ(o.tcp_accept_filter_count, 0);
    CHECK_EQ(sets(&o, ZMQ_TCP_ACCEPT_FILTER, "::1"), 0);
    CHECK_EQ(accepts(&o, "::1"), 1);
    CHECK_EQ(accepts(&o, "127.0.0.1"), 0);
    zmq__options_fini(&o);
}

static void test_ipc_filters(void)
{
    struct zmq__options o;
    init_default(&o);
    pid_t pid = 42;
    uid_t uid = 1000;
    gid_t gid = 100;
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_PID, &pid, sizeof pid), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_PID, &pid, sizeof pid), 0);
    pid = 43;
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_PID, &pid, sizeof pid), 0);
    CHECK_EQ(o.ipc_filter_pid.count, 2); /* a set */
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_UID, &uid, sizeof uid), 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_GID, &gid, sizeof gid), 0);
    CHECK(zmq__options_ids_contain(&o.ipc_filter_pid, 42));
    CHECK(zmq__options_ids_contain(&o.ipc_filter_pid, 43));
    CHECK(!zmq__options_ids_contain(&o.ipc_filter_pid, 44));
    CHECK(zmq__options_ids_contain(&o.ipc_filter_uid, 1000));
    CHECK(zmq__options_ids_contain(&o.ipc_filter_gid, 100));
    long long wrong = 1;
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_UID, &wrong, sizeof wrong),
             -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_GID, &wrong, 1), -EINVAL);
    CHECK_EQ(zmq__options_set(&o, ZMQ_IPC_FILTER_PID, NULL, 0), 0);
    CHECK_EQ(o.ipc_filter_pid.count, 0);
    CHECK_EQ(o.ipc_filter_uid.count, 1);
    zmq__options_fini(&o);
}

static void test_copy_is_deep(void)
{
    struct zmq__options a, b;
    zmq__options_init(&a, ZMQ_ROUTER, 0, 1, 1);
    pid_t pid = 7;
    CHECK_EQ(seti(&a, ZMQ_SNDHWM, 5), 0);
    CHECK_EQ(sets(&a, ZMQ_ZAP_DOMAIN, "global"), 0);
    CHECK_EQ(sets(&a, ZMQ_PLAIN_USERNAME, "user"), 0);
    CHECK_EQ(sets(&a, ZMQ_SOCKS_PROXY, "proxy:1080"), 0);
    CHECK_EQ(sets(&a, ZMQ_HELLO_MSG, "hello"), 0);
    CHECK_EQ(sets(&a, ZMQ_CONNECT_ROUTING_ID, "next"), 0);
    CHECK_EQ(sets(&a, ZMQ_ROUTING_ID, "me"), 0);
    CHECK_EQ(sets(&a, ZMQ_METADATA, "X-a:1"), 0);
    CHECK_EQ(sets(&a, ZMQ_METADATA, "X-b:2"), 0);
    CHECK_EQ(sets(&a, ZMQ_TCP_ACCEPT_FILTER, "10.0.0.0/8"), 0);
    CHECK_EQ(zmq__options_set(&a, ZMQ_IPC_FILTER_PID, &pid, sizeof pid), 0);

    REQUIRE(zmq__options_copy(&b, &a) == 0);
    CHECK_EQ(val(&b, ZMQ_SNDHWM), 5);
    CHECK_EQ(val(&b, ZMQ_TYPE), ZMQ_ROUTER);
    CHECK_EQ(val(&b, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ(val(&b, ZMQ_IPV6), 1);
    CHECK(b.zap_domain.data != a.zap_domain.data);
    CHECK(strcmp(zmq__options_cstr(&b.zap_domain), "global") == 0);
    CHECK(strcmp(zmq__options_cstr(&b.socks_proxy), "proxy:1080") == 0);
    CHECK(b.hello_msg.size == 5 && memcmp(b.hello_msg.data, "hello", 5) == 0);
    CHECK(b.routing_id_size == 2 && memcmp(b.routing_id, "me", 2) == 0);
    REQUIRE(b.metadata_count == 2 && b.metadata != a.metadata);
    CHECK(b.metadata[0].key != a.metadata[0].key);
    CHECK(strcmp(b.metadata[1].key, "X-b") == 0);
    CHECK(strcmp(b.metadata[1].value, "2") == 0);
    CHECK(b.tcp_accept_filters != a.tcp_accept_filters);
    CHECK_EQ(b.tcp_accept_filter_count, 1);
    CHECK(b.ipc_filter_pid.ids != a.ipc_filter_pid.ids);
    CHECK(zmq__options_ids_contain(&b.ipc_filter_pid, 7));

    /* Changing the copy leaves the original alone. */
    unsigned char rid[ZMQ__OPTIONS_ROUTING_ID_MAX];
    CHECK_EQ(zmq__options_take_connect_routing_id(&b, rid), 4);
    CHECK_EQ(sets(&b, ZMQ_ZAP_DOMAIN, "other"), 0);
    CHECK_EQ(sets(&b, ZMQ_METADATA, "X-a:changed"), 0);
    CHECK_EQ(sets(&b, ZMQ_METADATA, "X-c:3"), 0);
    CHECK_EQ(zmq__options_set(&b, ZMQ_TCP_ACCEPT_FILTER, NULL, 0), 0);
    CHECK_EQ(zmq__options_set(&b, ZMQ_IPC_FILTER_PID, NULL, 0), 0);
    CHECK_EQ(seti(&b, ZMQ_SNDHWM, 6), 0);
    CHECK_EQ(val(&a, ZMQ_SNDHWM), 5);
    CHECK(strcmp(zmq__options_cstr(&a.zap_domain), "global") == 0);
    CHECK_EQ(a.connect_routing_id.size, 4);
    CHECK_EQ(a.metadata_count, 2);
    CHECK(strcmp(a.metadata[0].value, "1") == 0);
    CHECK_EQ(a.tcp_accept_filter_count, 1);
    CHECK_EQ(a.ipc_filter_pid.count, 1);

    /* A copy of a copy, then everything freed (ASan checks for leaks). */
    struct zmq__options c;
    REQUIRE(zmq__options_copy(&c, &b) == 0);
    zmq__options_fini(&b);
    CHECK_EQ(c.metadata_count, 3);
    CHECK(strcmp(zmq__options_cstr(&c.zap_domain), "other") == 0);
    zmq__options_fini(&c);
    zmq__options_fini(&a);

    /* Copying empty options allocates nothing. */
    init_default(&a);
    REQUIRE(zmq__options_copy(&b, &a) == 0);
    CHECK(b.zap_domain.data == NULL && b.metadata == NULL);
    zmq__options_fini(&a);
    zmq__options_fini(&b);
}

static void test_failed_set_changes_nothing(void)
{
    struct zmq__options o;
    init_default(&o);
    CHECK_EQ(seti(&o, ZMQ_SNDHWM, -1), -EINVAL);
    CHECK_EQ(val(&o, ZMQ_SNDHWM), 1000);
    CHECK_EQ(seti(&o, ZMQ_LINGER, -2), -EINVAL);
    CHECK_EQ(val(&o, ZMQ_LINGER), -1);
    CHECK_EQ(seti(&o, ZMQ_RATE, 0), -EINVAL);
    CHECK_EQ(sets(&o, ZMQ_ZAP_DOMAIN, "d"), 0);
    char big[300];
    memset(big, 'x', sizeof big);
    CHECK_EQ(zmq__options_set(&o, ZMQ_ZAP_DOMAIN, big, 256), -EINVAL);
    CHECK(strcmp(zmq__options_cstr(&o.zap_domain), "d") == 0);
    CHECK_EQ(zmq__options_set(&o, ZMQ_PLAIN_USERNAME, big, 256), -EINVAL);
    CHECK_EQ(val(&o, ZMQ_MECHANISM), ZMQ_NULL);
    zmq__options_fini(&o);
}

TEST_MAIN(TEST(test_defaults), TEST(test_int_options),
          TEST(test_read_only_and_unknown), TEST(test_views),
          TEST(test_strings), TEST(test_write_only_blobs),
          TEST(test_routing_id), TEST(test_connect_routing_id),
          TEST(test_plain), TEST(test_curve), TEST(test_metadata),
          TEST(test_accept_filter), TEST(test_ipc_filters),
          TEST(test_copy_is_deep), TEST(test_failed_set_changes_nothing))
