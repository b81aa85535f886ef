/* SPDX-License-Identifier: MPL-2.0 */
/*
 * White-box tests of transport/address, transport/tcp_tune and
 * transport/resolver: the tcp syntax check (tables of good and bad
 * addresses, for bind and connect), the "needs a lookup" test,
 * resolution of literals, wildcards, interfaces, /etc/hosts names and
 * source;destination pairs with ZMQ_IPV6 off and on, endpoint strings
 * and their round trips, ipc addresses (paths, abstract names, the
 * wildcard directory, lengths) checked by binding real unix sockets,
 * socket tuning read back with getsockopt, and asynchronous lookups
 * delivered through a mailbox: done, failed, cancelled, and abandoned at
 * context termination.
 *
 * Only names from /etc/hosts ("localhost") and names under the reserved
 * ".invalid" domain are looked up, so the tests need no network.  The
 * loopback interface must be called "lo" (Linux).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/mailbox.h"
#include "core/object.h"
#include "core/options.h"
#include "testutil.h"
#include "transport/address.h"
#include "transport/resolver.h"
#include "zmq.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static bool is_v4(const struct zmq__sockaddr *a, const char *ip, int port)
{
    struct sockaddr_in sin;
    if (a->ss.ss_family != AF_INET || a->len != sizeof sin)
        return false;
    memcpy(&sin, &a->ss, sizeof sin);
    struct in_addr want;
    inet_pton(AF_INET, ip, &want);
    return sin.sin_addr.s_addr == want.s_addr && ntohs(sin.sin_port) == port;
}

static bool is_v6(const struct zmq__sockaddr *a, const char *ip, int port,
                  unsigned scope)
{
    struct sockaddr_in6 sin6;
    if (a->ss.ss_family != AF_INET6 || a->len != sizeof sin6)
        return false;
    memcpy(&sin6, &a->ss, sizeof sin6);
    struct in6_addr want;
    inet_pton(AF_INET6, ip, &want);
    return memcmp(&sin6.sin6_addr, &want, sizeof want) == 0 &&
           ntohs(sin6.sin6_port) == port && sin6.sin6_scope_id == scope;
}

static int uri_of(const struct zmq__sockaddr *a, char *buf, size_t size)
{
    return zmq__sockaddr_to_uri((const struct sockaddr *)&a->ss, a->len, buf,
                                size);
}

static bool lo_has_ipv6(void)
{
    FILE *f = fopen("/proc/net/if_inet6", "r");
    if (f == NULL)
        return false;
    char line[256];
    bool found = false;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, " lo\n") != NULL)
            found = true;
    fclose(f);
    return found;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits (up to 10 s) until no lookup thread is left. */
static bool wait_no_lookups(void)
{
    uint64_t end = mono_ms() + 10000;
    while (zmq__resolver_inflight() > 0) {
        if (mono_ms() > end)
            return false;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Syntax                                                                    */
/* ------------------------------------------------------------------------ */

static const char *const bind_good[] = {
    "127.0.0.1:5555",
    "*:5555",
    "*:*",
    "*:0",
    "localhost:5555",
    "[::1]:5555",
    "[fe80::1%lo]:5555",
    "[fe80::1%2]:5555",
    "::1:5555",
    "fe80::1%lo:5555",
    "eth0:5555",
    "lo:*",
    "example.com:80",
    "my-host.example.org.:80",
    "src_host:1",
    "127.0.0.1:*",
    "[1.2.3.4]:80",
    "0.0.0.0:65535",
    "[::]:*",
    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1",
    "[::ffff:1.2.3.4]:1",
};

static const char *const connect_good[] = {
    "127.0.0.1:5555",
    "localhost:5555",
    "[::1]:5555",
    "[fe80::1%lo]:5555",
    "::1:5555",
    "example.com:80",
    "eth0:5555", /* a host name when connecting */
    "127.0.0.1:0",
    "src_host:0;dst_host:5555",
    "127.0.0.1:0;127.0.0.1:5555",
    "192.168.1.17:5555;192.168.1.1:5555",
    "*:*;example.com:80",
    "eth1:0;server1:5555",
    "[::1]:*;[::1]:5555",
};

/* Bad for both bind and connect. */
static const char *const both_bad[] = {
    "",
    "127.0.0.1",
    "127.0.0.1:",
    ":5555",
    "*",
    "localhost",
    "127.0.0.1:65536",
    "127.0.0.1:99999",
    "127.0.0.1:123456",
    "127.0.0.1:-1",
    "127.0.0.1:+1",
    "127.0.0.1:5555x",
    "1.2.3.4:567bad",
    "127.0.0.1:abc",
    "127.0.0.1: 80",
    "host name:80",
    "ho$t:80",
    "host/x:80",
    "-host:80",
    ".host:80",
    "[::1:5555",
    "::1]:5555",
    "[::1]5555",
    "[::1]:",
    "[::1]",
    "[]:80",
    "[host]:80",
    "[*]:80",
    "[1.2.3]:80",
    "[192.168.1.1:]5555",
    "[192.168.1.1:5555]",
    "[fe80::1%0]:80",
    "[fe80::1%]:80",
    "[fe80::1%a/b]:80",
    "[fe80::1%averyveryverylongifname]:80",
    "[fe80::1%lo%lo]:80",
    "gg::1:80",
    "eth0:1:80",
    "[:::1]:80",
    ";",
};

static const char *const bind_only_bad[] = {
    "127.0.0.1:1;127.0.0.1:2",
    "*:1;localhost:2",
};

static const char *const connect_only_bad[] = {
    "*:5555",
    "*:*",
    "127.0.0.1:*",
    "[::1]:*",
    ";127.0.0.1:1",
    "127.0.0.1:1;",
    "src;dst",
    "src:1;*:80",
    "src:1;host:*",
    "a:1;b:2;c:3",
    "127.0.0.1;127.0.0.1:5555",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void check_table(const char *const *v, size_t n, bool bind, int want)
{
    for (size_t i = 0; i < n; i++) {
        int rc = zmq__tcp_check(v[i], bind);
        if (rc != want)
            fprintf(stderr, "  %s \"%s\": %d, wanted %d\n",
                    bind ? "bind" : "connect", v[i], rc, want);
        CHECK_EQ(rc, want);
    }
}

static void test_check_tables(void)
{
    check_table(bind_good, NELEM(bind_good), true, 0);
    check_table(connect_good, NELEM(connect_good), false, 0);
    check_table(both_bad, NELEM(both_bad), true, -EINVAL);
    check_table(both_bad, NELEM(both_bad), false, -EINVAL);
    check_table(bind_only_bad, NELEM(bind_only_bad), true, -EINVAL);
    check_table(connect_only_bad, NELEM(connect_only_bad), false, -EINVAL);
    /* Bind and source share the rules, so every source form binds. */
    check_table(bind_only_bad, NELEM(bind_only_bad), false, 0);

    /* Host names: 253 characters at most. */
    char name[300];
    memset(name, 'a', 253);
    strcpy(name + 253, ":80");
    CHECK_EQ(zmq__tcp_check(name, false), 0);
    memset(name, 'a', 254);
    strcpy(name + 254, ":80");
    CHECK_EQ(zmq__tcp_check(name, false), -EINVAL);
    CHECK_EQ(zmq__tcp_check(NULL, false), -EINVAL);
}

static void test_needs_lookup(void)
{
    static const struct {
        const char *addr;
        bool bind, want;
    } cases[] = {
        {"127.0.0.1:1", false, false},
        {"[::1]:1", false, false},
        {"::1:1", false, false},
        {"[fe80::1%lo]:1", false, false},
        {"localhost:1", false, true},
        {"example.com:1", false, true},
        {"eth0:1", false, true},
        {"lo:1", false, true}, /* connect: a host name */
        {"*:1", true, false},
        {"*:*", true, false},
        {"lo:1", true, false}, /* bind: an interface */
        {"127.0.0.1:1", true, false},
        {"localhost:1", true, true},
        {"nosuchif0:1", true, true},
        {"lo:0;127.0.0.1:1", false, false},
        {"*:0;[::1]:1", false, false},
        {"127.0.0.1:0;localhost:1", false, true},
        {"localhost:0;127.0.0.1:1", false, true},
        {"bad", false, false},
        {"*:1", false, false}, /* malformed on connect */
    };
    for (size_t i = 0; i < NELEM(cases); i++) {
        bool got = zmq__tcp_needs_lookup(cases[i].addr, cases[i].bind);
        if (got != cases[i].want)
            fprintf(stderr, "  needs_lookup(\"%s\", %d) = %d\n", cases[i].addr,
                    cases[i].bind, got);
        CHECK(got == cases[i].want);
    }
}

/* ------------------------------------------------------------------------ */
/* Resolution                                                                */
/* ------------------------------------------------------------------------ */

static void test_resolve_numeric(void)
{
    struct zmq__tcp_target t;
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1:5555", false, false, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));
    CHECK(!t.has_source);
    /* IPv6 on: an IPv4 literal stays IPv4. */
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1:5555", false, true, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));
    CHECK_EQ(zmq__tcp_resolve("[10.1.2.3]:7", false, false, &t), 0);
    CHECK(is_v4(&t.addr, "10.1.2.3", 7));

    /* IPv6 literals need ZMQ_IPV6. */
    CHECK_EQ(zmq__tcp_resolve("[::1]:5555", false, false, &t), -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("[::1]:5555", true, false, &t), -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("[::1]:5555", false, true, &t), 0);
    CHECK(is_v6(&t.addr, "::1", 5555, 0));
    CHECK_EQ(zmq__tcp_resolve("::1:5555", false, true, &t), 0);
    CHECK(is_v6(&t.addr, "::1", 5555, 0));
    CHECK_EQ(zmq__tcp_resolve("abcd:1234::1:0:234:123", false, true, &t), 0);
    CHECK(is_v6(&t.addr, "abcd:1234::1:0:234", 123, 0));

    /* Zones. */
    unsigned lo = if_nametoindex("lo");
    REQUIRE(lo != 0);
    CHECK_EQ(zmq__tcp_resolve("[fe80::1%lo]:80", false, true, &t), 0);
    CHECK(is_v6(&t.addr, "fe80::1", 80, lo));
    CHECK_EQ(zmq__tcp_resolve("[fe80::1%7]:80", false, true, &t), 0);
    CHECK(is_v6(&t.addr, "fe80::1", 80, 7));
    CHECK_EQ(zmq__tcp_resolve("[fe80::1%nosuchif0]:80", false, true, &t),
             -ENODEV);

    /* Malformed, and nothing written on failure. */
    struct zmq__tcp_target before;
    memset(&t, 0xab, sizeof t);
    memcpy(&before, &t, sizeof t);
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1", false, false, &t), -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("*:1", false, false, &t), -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("nosuchif0:1", true, false, &t), -ENODEV);
    CHECK(memcmp(&t, &before, sizeof t) == 0);
}

static void test_resolve_bind(void)
{
    struct zmq__tcp_target t;
    CHECK_EQ(zmq__tcp_resolve("*:5555", true, false, &t), 0);
    CHECK(is_v4(&t.addr, "0.0.0.0", 5555));
    CHECK_EQ(zmq__tcp_resolve("*:5555", true, true, &t), 0);
    CHECK(is_v6(&t.addr, "::", 5555, 0));
    CHECK_EQ(zmq__tcp_resolve("*:*", true, false, &t), 0);
    CHECK(is_v4(&t.addr, "0.0.0.0", 0));
    CHECK_EQ(zmq__tcp_resolve("*:0", true, true, &t), 0);
    CHECK(is_v6(&t.addr, "::", 0, 0));
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1:*", true, false, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 0));

    /* Interfaces. */
    CHECK_EQ(zmq__tcp_resolve("lo:5555", true, false, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));
    CHECK_EQ(zmq__tcp_resolve("lo:*", true, true, &t), 0);
    if (lo_has_ipv6())
        CHECK(is_v6(&t.addr, "::1", 0, 0));
    else
        CHECK(is_v4(&t.addr, "127.0.0.1", 0));
    CHECK_EQ(zmq__tcp_resolve("nosuchif0:5555", true, false, &t), -ENODEV);
    CHECK_EQ(zmq__tcp_resolve("nosuchif0:5555", true, true, &t), -ENODEV);

    /* Host names are accepted on bind (libzmq: ENODEV). */
    CHECK_EQ(zmq__tcp_resolve("localhost:5555", true, false, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));
}

static void test_resolve_names(void)
{
    struct zmq__tcp_target t;
    CHECK_EQ(zmq__tcp_resolve("localhost:5555", false, false, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));
    CHECK_EQ(zmq__tcp_resolve("localhost:5555", false, true, &t), 0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555) || is_v6(&t.addr, "::1", 5555, 0));
    /* Connecting never takes interface names: "lo" is a host name. */
    CHECK_EQ(zmq__tcp_resolve("nosuchhost.invalid:80", false, false, &t),
             -EHOSTUNREACH);
}

static void test_resolve_source(void)
{
    struct zmq__tcp_target t;
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1:0;127.0.0.1:5555", false, false, &t),
             0);
    CHECK(t.has_source);
    CHECK(is_v4(&t.source, "127.0.0.1", 0));
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));

    CHECK_EQ(zmq__tcp_resolve("lo:4444;127.0.0.1:5555", false, true, &t), 0);
    CHECK(is_v4(&t.source, "127.0.0.1", 4444)); /* the host's family */
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));

    CHECK_EQ(zmq__tcp_resolve("*:*;127.0.0.1:5", false, true, &t), 0);
    CHECK(is_v4(&t.source, "0.0.0.0", 0));
    CHECK_EQ(zmq__tcp_resolve("*:0;[::1]:5", false, true, &t), 0);
    CHECK(is_v6(&t.source, "::", 0, 0));
    CHECK(is_v6(&t.addr, "::1", 5, 0));
    if (lo_has_ipv6()) {
        CHECK_EQ(zmq__tcp_resolve("lo:0;[::1]:5", false, true, &t), 0);
        CHECK(is_v6(&t.source, "::1", 0, 0));
    }

    /* A literal source picks the family of the host's address. */
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1:0;localhost:5555", false, true, &t),
             0);
    CHECK(is_v4(&t.addr, "127.0.0.1", 5555));
    CHECK_EQ(zmq__tcp_resolve("127.0.0.1:0;[::1]:5555", false, true, &t),
             -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("[::1]:0;127.0.0.1:5", false, true, &t), -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("[::1]:0;127.0.0.1:5", false, false, &t),
             -EINVAL);
    CHECK_EQ(zmq__tcp_resolve("nosuchif0:0;127.0.0.1:5", false, false, &t),
             -ENODEV);
}

/* ------------------------------------------------------------------------ */
/* Endpoint strings                                                          */
/* ------------------------------------------------------------------------ */

/* Resolves addr, prints it, and checks the string and that resolving
 * the string again gives the same address. */
static void round_trip(const char *addr, bool bind, bool ipv6, const char *want)
{
    struct zmq__tcp_target t, t2;
    REQUIRE(zmq__tcp_resolve(addr, bind, ipv6, &t) == 0);
    char uri[ZMQ__SOCKADDR_URI_MAX];
    int n = uri_of(&t.addr, uri, sizeof uri);
    CHECK_EQ(n, (int)strlen(want));
    CHECK(strcmp(uri, want) == 0);
    REQUIRE(strncmp(uri, "tcp://", 6) == 0);
    REQUIRE(zmq__tcp_resolve(uri + 6, bind, ipv6, &t2) == 0);
    CHECK(t.addr.len == t2.addr.len);
    CHECK(memcmp(&t.addr.ss, &t2.addr.ss, t.addr.len) == 0);
}

static void test_uri(void)
{
    round_trip("127.0.0.1:5555", false, false, "tcp://127.0.0.1:5555");
    round_trip("[::1]:5555", false, true, "tcp://[::1]:5555");
    round_trip("::1:80", false, true, "tcp://[::1]:80");
    round_trip("*:*", true, false, "tcp://0.0.0.0:0");
    round_trip("*:7", true, true, "tcp://[::]:7");
    round_trip("[fe80::1%lo]:80", false, true, "tcp://[fe80::1%lo]:80");
    round_trip("[::ffff:1.2.3.4]:9", false, true, "tcp://[::ffff:1.2.3.4]:9");

    /* Zones that name no interface print as numbers. */
    struct zmq__tcp_target t;
    char uri[ZMQ__SOCKADDR_URI_MAX];
    REQUIRE(zmq__tcp_resolve("[fe80::1%999999]:80", false, true, &t) == 0);
    CHECK(uri_of(&t.addr, uri, sizeof uri) > 0);
    CHECK(strcmp(uri, "tcp://[fe80::1%999999]:80") == 0);

    /* Too small a buffer. */
    REQUIRE(zmq__tcp_resolve("127.0.0.1:5555", false, false, &t) == 0);
    CHECK_EQ(uri_of(&t.addr, uri, 20), -ENOSPC); /* needs 20 + NUL */
    CHECK_EQ(uri_of(&t.addr, uri, 21), 20);
    CHECK_EQ(uri_of(&t.addr, uri, 0), -ENOSPC);

    /* Bad families and lengths. */
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_family = AF_UNSPEC;
    CHECK_EQ(zmq__sockaddr_to_uri((struct sockaddr *)&ss, sizeof ss, uri,
                                  sizeof uri),
             -EAFNOSUPPORT);
    CHECK_EQ(
        zmq__sockaddr_to_uri((struct sockaddr *)&t.addr.ss, 4, uri, sizeof uri),
        -EINVAL);

    /* An unnamed unix socket (an accepted ipc peer). */
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    CHECK_EQ(zmq__sockaddr_to_uri((struct sockaddr *)&sun, sizeof(sa_family_t),
                                  uri, sizeof uri),
             6);
    CHECK(strcmp(uri, "ipc://") == 0);
}

/* ------------------------------------------------------------------------ */
/* ipc                                                                       */
/* ------------------------------------------------------------------------ */

static void test_ipc_path(void)
{
    struct zmq__sockaddr a;
    char dir[256] = "junk";
    char uri[ZMQ__SOCKADDR_URI_MAX];
    CHECK_EQ(zmq__ipc_resolve("/tmp/feeds/0", true, &a, dir, sizeof dir), 0);
    CHECK(dir[0] == '\0');
    CHECK(a.ss.ss_family == AF_UNIX);
    CHECK_EQ(uri_of(&a, uri, sizeof uri), 18);
    CHECK(strcmp(uri, "ipc:///tmp/feeds/0") == 0);
    CHECK_EQ(zmq__ipc_resolve("relative.sock", false, &a, NULL, 0), 0);
    CHECK_EQ(uri_of(&a, uri, sizeof uri), 19);
    CHECK(strcmp(uri, "ipc://relative.sock") == 0);

    /* 107 bytes fit in sun_path with its NUL, 108 do not. */
    char path[200];
    memset(path, 'p', sizeof path);
    path[0] = '/';
    path[107] = '\0';
    CHECK_EQ(zmq__ipc_resolve(path, true, &a, NULL, 0), 0);
    CHECK_EQ(uri_of(&a, uri, sizeof uri), 6 + 107);
    CHECK(strcmp(uri + 6, path) == 0);
    path[107] = 'p';
    path[108] = '\0';
    CHECK_EQ(zmq__ipc_resolve(path, true, &a, NULL, 0), -ENAMETOOLONG);
    path[150] = '\0';
    CHECK_EQ(zmq__ipc_resolve(path, false, &a, NULL, 0), -ENAMETOOLONG);

    CHECK_EQ(zmq__ipc_resolve("", true, &a, NULL, 0), -EINVAL);
    CHECK_EQ(zmq__ipc_resolve("", false, &a, NULL, 0), -EINVAL);
    CHECK_EQ(zmq__ipc_resolve("*", false, &a, dir, sizeof dir), -EINVAL);
}

static void test_ipc_abstract(void)
{
    struct zmq__sockaddr a;
    char uri[ZMQ__SOCKADDR_URI_MAX];
    CHECK_EQ(zmq__ipc_resolve("@zmq-unit-address", true, &a, NULL, 0), 0);
    CHECK_EQ(a.len, offsetof(struct sockaddr_un, sun_path) + 17);
    CHECK_EQ(uri_of(&a, uri, sizeof uri), 23);
    CHECK(strcmp(uri, "ipc://@zmq-unit-address") == 0);
    CHECK_EQ(zmq__ipc_resolve("@", true, &a, NULL, 0), -EINVAL);

    /* The longest name: 106 bytes after the '@'. */
    char name[120];
    memset(name, 'n', sizeof name);
    name[0] = '@';
    name[107] = '\0';
    CHECK_EQ(zmq__ipc_resolve(name, true, &a, NULL, 0), 0);
    CHECK_EQ(uri_of(&a, uri, sizeof uri), 6 + 107);
    name[107] = 'n';
    name[108] = '\0';
    CHECK_EQ(zmq__ipc_resolve(name, true, &a, NULL, 0), -ENAMETOOLONG);

    /* A real bind and connect meet at the same abstract address, and the
     * bound name reads back as it was written. */
    char unique[64];
    snprintf(unique, sizeof unique, "@zmq-unit-address-%d", (int)getpid());
    struct zmq__sockaddr b, c;
    REQUIRE(zmq__ipc_resolve(unique, true, &b, NULL, 0) == 0);
    REQUIRE(zmq__ipc_resolve(unique, false, &c, NULL, 0) == 0);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    int cs = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(ls >= 0 && cs >= 0);
    CHECK_EQ(bind(ls, (struct sockaddr *)&b.ss, b.len), 0);
    CHECK_EQ(listen(ls, 1), 0);
    CHECK_EQ(connect(cs, (struct sockaddr *)&c.ss, c.len), 0);
    struct sockaddr_storage got;
    socklen_t glen = sizeof got;
    CHECK_EQ(getsockname(ls, (struct sockaddr *)&got, &glen), 0);
    CHECK_EQ(
        zmq__sockaddr_to_uri((struct sockaddr *)&got, glen, uri, sizeof uri),
        (int)(6 + strlen(unique)));
    CHECK(strcmp(uri + 6, unique) == 0);
    close(cs);
    close(ls);
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_ipc_wildcard(void)
{
    struct zmq__sockaddr a;
    char dir[256];
    char uri[ZMQ__SOCKADDR_URI_MAX];
    REQUIRE(zmq__ipc_resolve("*", true, &a, dir, sizeof dir) == 0);
    CHECK(dir[0] == '/');
    CHECK(is_dir(dir));
    int n = uri_of(&a, uri, sizeof uri);
    REQUIRE(n > 0);
    /* "ipc://<dir>/socket" */
    CHECK(strncmp(uri + 6, dir, strlen(dir)) == 0);
    CHECK(strcmp(uri + 6 + strlen(dir), "/socket") == 0);
    /* Private to us. */
    struct stat st;
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 077) == 0);

    /* A second wildcard is another directory. */
    struct zmq__sockaddr a2;
    char dir2[256];
    REQUIRE(zmq__ipc_resolve("*", true, &a2, dir2, sizeof dir2) == 0);
    CHECK(strcmp(dir, dir2) != 0);
    zmq__ipc_wildcard_remove(dir2);
    CHECK(!is_dir(dir2));

    /* The path binds; removal takes the socket file and the directory. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    CHECK_EQ(bind(fd, (struct sockaddr *)&a.ss, a.len), 0);
    CHECK(access(uri + 6, F_OK) == 0);
    close(fd);
    zmq__ipc_wildcard_remove(dir);
    CHECK(!is_dir(dir));
    zmq__ipc_wildcard_remove("");

    /* TMPDIR is honoured; a directory buffer too small fails before
     * anything is made. */
    char base[] = "/tmp/zmq-unit-addrXXXXXX";
    REQUIRE(mkdtemp(base) != NULL);
    const char *old = getenv("TMPDIR");
    char *saved = old != NULL ? strdup(old) : NULL;
    setenv("TMPDIR", base, 1);
    CHECK_EQ(zmq__ipc_resolve("*", true, &a, dir, 10), -ENOSPC);
    CHECK_EQ(zmq__ipc_resolve("*", true, &a, NULL, 0), -ENOSPC);
    CHECK_EQ(rmdir(base), 0); /* still empty */
    REQUIRE(mkdir(base, 0700) == 0);
    CHECK_EQ(zmq__ipc_resolve("*", true, &a, dir, sizeof dir), 0);
    CHECK(strncmp(dir, base, strlen(base)) == 0);
    zmq__ipc_wildcard_remove(dir);
    /* A TMPDIR that does not exist. */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none", base);
    setenv("TMPDIR", missing, 1);
    CHECK_EQ(zmq__ipc_resolve("*", true, &a, dir, sizeof dir), -ENOENT);
    /* One too long for sun_path. */
    char deep[300];
    memset(deep, 'd', sizeof deep);
    memcpy(deep, base, strlen(base));
    deep[strlen(base)] = '/';
    deep[110] = '\0';
    setenv("TMPDIR", deep, 1);
    CHECK_EQ(zmq__ipc_resolve("*", true, &a, dir, sizeof dir), -ENAMETOOLONG);
    CHECK_EQ(rmdir(base), 0);
    if (saved != NULL)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
}

/* ------------------------------------------------------------------------ */
/* Socket set-up                                                             */
/* ------------------------------------------------------------------------ */

static int get_int(int fd, int level, int name)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0)
        return -12345;
    return v;
}

static void test_open(void)
{
    int fd = zmq__tcp_open(AF_INET);
    REQUIRE(fd >= 0);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    fd = zmq__tcp_open(AF_INET6);
    REQUIRE(fd >= 0);
    CHECK_EQ(get_int(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    close(fd);
    CHECK_EQ(zmq__tcp_open(AF_UNIX), -EAFNOSUPPORT);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
    CHECK_EQ(zmq__fd_nonblock_cloexec(fd), 0);
    CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
    CHECK_EQ(zmq__fd_nonblock_cloexec(-1), -EBADF);
}

static void test_tune_defaults(void)
{
    struct zmq__options o;
    zmq__options_init(&o, ZMQ_DEALER, 0, 0, 1);
    int fd = zmq__tcp_open(AF_INET);
    REQUIRE(fd >= 0);
    int snd = get_int(fd, SOL_SOCKET, SO_SNDBUF);
    int ka = get_int(fd, SOL_SOCKET, SO_KEEPALIVE);
    CHECK_EQ(zmq__tcp_tune(fd, AF_INET, &o), 0);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    /* Defaults leave the system's values alone. */
    CHECK_EQ(get_int(fd, SOL_SOCKET, SO_SNDBUF), snd);
    CHECK_EQ(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), ka);
    close(fd);
    zmq__options_fini(&o);
}

static void test_tune_values(void)
{
    struct zmq__options o;
    zmq__options_init(&o, ZMQ_DEALER, 0, 0, 1);
    o.sndbuf = 65536;
    o.rcvbuf = 32768;
    o.tos = 0x28;
    o.tcp_keepalive = 1;
    o.tcp_keepalive_cnt = 5;
    o.tcp_keepalive_idle = 60;
    o.tcp_keepalive_intvl = 10;
    o.tcp_maxrt = 3000;

    int fd = zmq__tcp_open(AF_INET);
    REQUIRE(fd >= 0);
    CHECK_EQ(zmq__tcp_tune(fd, AF_INET, &o), 0);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    CHECK(get_int(fd, SOL_SOCKET, SO_SNDBUF) >= 65536); /* Linux doubles */
    CHECK(get_int(fd, SOL_SOCKET, SO_RCVBUF) >= 32768);
    CHECK_EQ(get_int(fd, IPPROTO_IP, IP_TOS), 0x28);
    CHECK_EQ(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 5);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 60);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 10);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 3000);
    close(fd);

    /* IPv6: the traffic class. */
    fd = zmq__tcp_open(AF_INET6);
    REQUIRE(fd >= 0);
    CHECK_EQ(zmq__tcp_tune(fd, AF_INET6, &o), 0);
    CHECK_EQ(get_int(fd, IPPROTO_IPV6, IPV6_TCLASS), 0x28);
    close(fd);

    /* Keepalive off; the counts are then left alone. */
    o.tcp_keepalive = 0;
    fd = zmq__tcp_open(AF_INET);
    REQUIRE(fd >= 0);
    int cnt = get_int(fd, IPPROTO_TCP, TCP_KEEPCNT);
    CHECK_EQ(zmq__tcp_tune(fd, AF_INET, &o), 0);
    CHECK_EQ(get_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
    CHECK_EQ(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), cnt);
    close(fd);

    /* A device that does not exist fails the tuning. */
    o.tcp_keepalive = -1;
    CHECK_EQ(zmq__options_set(&o, ZMQ_BINDTODEVICE, "nosuchdev0", 10), 0);
    fd = zmq__tcp_open(AF_INET);
    REQUIRE(fd >= 0);
    int rc = zmq__tcp_tune(fd, AF_INET, &o);
    CHECK(rc == -ENODEV || rc == -EPERM);
    close(fd);
    zmq__options_fini(&o);
}

/* A real dual-stack listener: bind "*:*" with IPv6, read the port back
 * through the endpoint string, connect over IPv4. */
static void test_dual_stack(void)
{
    struct zmq__tcp_target t;
    REQUIRE(zmq__tcp_resolve("*:*", true, true, &t) == 0);
    int ls = zmq__tcp_open(t.addr.ss.ss_family);
    REQUIRE(ls >= 0);
    if (bind(ls, (struct sockaddr *)&t.addr.ss, t.addr.len) < 0) {
        fprintf(stderr, "  (no IPv6 here: %s; skipped)\n", strerror(errno));
        close(ls);
        return;
    }
    CHECK_EQ(listen(ls, 4), 0);
    struct sockaddr_storage got;
    socklen_t glen = sizeof got;
    REQUIRE(getsockname(ls, (struct sockaddr *)&got, &glen) == 0);
    char uri[ZMQ__SOCKADDR_URI_MAX];
    REQUIRE(zmq__sockaddr_to_uri((struct sockaddr *)&got, glen, uri,
                                 sizeof uri) > 0);
    CHECK(strncmp(uri, "tcp://[::]:", 11) == 0);
    char dst[ZMQ__SOCKADDR_URI_MAX + 16];
    snprintf(dst, sizeof dst, "127.0.0.1:%s", uri + 11);
    REQUIRE(zmq__tcp_resolve(dst, false, true, &t) == 0);
    int cs = zmq__tcp_open(t.addr.ss.ss_family);
    REQUIRE(cs >= 0);
    int rc = connect(cs, (struct sockaddr *)&t.addr.ss, t.addr.len);
    CHECK(rc == 0 || errno == EINPROGRESS);
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int as = -1;
    for (int i = 0; i < 2000 && as < 0; i++) {
        as = accept(ls, (struct sockaddr *)&peer, &plen);
        if (as < 0) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
    }
    CHECK(as >= 0);
    if (as >= 0) {
        /* An IPv4 peer of a dual-stack listener, as libzmq shows it. */
        CHECK(zmq__sockaddr_to_uri((struct sockaddr *)&peer, plen, uri,
                                   sizeof uri) > 0);
        CHECK(strncmp(uri, "tcp://[::ffff:127.0.0.1]:", 25) == 0);
        close(as);
    }
    close(cs);
    close(ls);
}

/* ------------------------------------------------------------------------ */
/* Asynchronous lookups                                                      */
/* ------------------------------------------------------------------------ */

struct done_log {
    int calls;
    int rc;
    struct zmq__tcp_target t;
    bool had_target;
};

static void on_done(void *arg, int rc, const struct zmq__tcp_target *t)
{
    struct done_log *log = arg;
    log->calls++;
    log->rc = rc;
    log->had_target = t != NULL;
    if (t != NULL)
        log->t = *t;
}

/* A gate the test hook waits at, and what the lookup thread saw. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open = true;
static int gate_arrived;
static bool signals_blocked = true;

static void hook(const char *addr)
{
    (void)addr;
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    bool blocked = sigismember(&cur, SIGINT) && sigismember(&cur, SIGTERM) &&
                   sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGCHLD);
    pthread_mutex_lock(&gate_lock);
    if (!blocked)
        signals_blocked = false;
    gate_arrived++;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

static void gate_set(bool open)
{
    pthread_mutex_lock(&gate_lock);
    gate_open = open;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

/* Waits until n lookups have reached the gate. */
static void gate_wait_arrived(int n)
{
    pthread_mutex_lock(&gate_lock);
    while (gate_arrived < n)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
}

/* Takes one command and dispatches it as an I/O thread would. */
static int pump(struct zmq__mailbox *mb, int timeout_ms)
{
    struct zmq__command cmd;
    int rc = zmq__mailbox_recv(mb, &cmd, timeout_ms);
    if (rc < 0)
        return rc;
    if (cmd.type != ZMQ__CMD_RESOLVED)
        return -EPROTO;
    zmq__object_dispatch(&cmd);
    return 0;
}

static void test_resolver_done(void)
{
    int err = 0;
    struct zmq__ctx *ctx = zmq__ctx_new(&err);
    REQUIRE(ctx != NULL);
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    gate_set(true);
    zmq__resolver_set_test_hook(hook);

    struct done_log log = {0};
    struct zmq__resolve_req *req = zmq__resolver_start(
        ctx, &mb, "localhost:5555", false, false, on_done, &log, &err);
    REQUIRE(req != NULL);
    CHECK_EQ(pump(&mb, 10000), 0);
    CHECK_EQ(log.calls, 1);
    CHECK_EQ(log.rc, 0);
    CHECK(log.had_target);
    CHECK(is_v4(&log.t.addr, "127.0.0.1", 5555));

    /* A failure comes back the same way, with no target. */
    struct done_log bad = {0};
    req = zmq__resolver_start(ctx, &mb, "nonsense", false, false, on_done, &bad,
                              &err);
    REQUIRE(req != NULL);
    CHECK_EQ(pump(&mb, 10000), 0);
    CHECK_EQ(bad.calls, 1);
    CHECK_EQ(bad.rc, -EINVAL);
    CHECK(!bad.had_target);

    /* Several at once, with a source. */
    struct done_log many[4];
    memset(many, 0, sizeof many);
    for (int i = 0; i < 4; i++)
        REQUIRE(zmq__resolver_start(ctx, &mb, "127.0.0.1:0;localhost:80", false,
                                    true, on_done, &many[i], &err) != NULL);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pump(&mb, 10000), 0);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(many[i].calls, 1);
        CHECK(many[i].t.has_source);
        CHECK(is_v4(&many[i].t.addr, "127.0.0.1", 80));
    }
    CHECK(wait_no_lookups());
    pthread_mutex_lock(&gate_lock);
    CHECK(signals_blocked);
    pthread_mutex_unlock(&gate_lock);

    zmq__resolver_set_test_hook(NULL);
    CHECK_EQ(zmq__ctx_term(ctx), 0);
    zmq__mailbox_fini(&mb);
}

static void test_resolver_cancel(void)
{
    int err = 0;
    struct zmq__ctx *ctx = zmq__ctx_new(&err);
    REQUIRE(ctx != NULL);
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    pthread_mutex_lock(&gate_lock);
    gate_arrived = 0;
    pthread_mutex_unlock(&gate_lock);
    gate_set(false);
    zmq__resolver_set_test_hook(hook);

    struct done_log log = {0};
    struct zmq__resolve_req *req = zmq__resolver_start(
        ctx, &mb, "localhost:5555", false, false, on_done, &log, &err);
    REQUIRE(req != NULL);
    gate_wait_arrived(1); /* the lookup is in flight */
    zmq__resolver_cancel(req);
    gate_set(true);
    /* The result still arrives (and frees the request), done does not
     * run. */
    CHECK_EQ(pump(&mb, 10000), 0);
    CHECK_EQ(log.calls, 0);
    CHECK(wait_no_lookups());

    /* Cancelled after the result was posted, before it is dispatched. */
    req = zmq__resolver_start(ctx, &mb, "127.0.0.1:1", false, false, on_done,
                              &log, &err);
    REQUIRE(req != NULL);
    CHECK(wait_no_lookups()); /* posted */
    zmq__resolver_cancel(req);
    CHECK_EQ(pump(&mb, 10000), 0);
    CHECK_EQ(log.calls, 0);

    zmq__resolver_set_test_hook(NULL);
    CHECK_EQ(zmq__ctx_term(ctx), 0);
    zmq__mailbox_fini(&mb);
}

static void test_resolver_shutdown(void)
{
    int err = 0;
    struct zmq__ctx *ctx = zmq__ctx_new(&err);
    REQUIRE(ctx != NULL);
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    pthread_mutex_lock(&gate_lock);
    gate_arrived = 0;
    pthread_mutex_unlock(&gate_lock);
    gate_set(false);
    zmq__resolver_set_test_hook(hook);

    /* Two lookups held in flight: one cancelled by its owner, one not
     * (its owner vanished with the context). */
    struct done_log log = {0};
    struct zmq__resolve_req *a = zmq__resolver_start(
        ctx, &mb, "localhost:5555", false, false, on_done, &log, &err);
    struct zmq__resolve_req *b = zmq__resolver_start(
        ctx, &mb, "127.0.0.1:5556", false, false, on_done, &log, &err);
    REQUIRE(a != NULL && b != NULL);
    gate_wait_arrived(2);
    zmq__resolver_cancel(a);

    /* Termination does not wait for them (the gate is still closed). */
    CHECK_EQ(zmq__ctx_term(ctx), 0);
    CHECK_EQ(zmq__resolver_inflight(), 2);
    gate_set(true);
    CHECK(wait_no_lookups());
    /* Nothing was posted, done never ran, and the requests are freed
     * (LeakSanitizer checks). */
    struct zmq__command cmd;
    CHECK_EQ(zmq__mailbox_recv(&mb, &cmd, 50), -EAGAIN);
    CHECK_EQ(log.calls, 0);

    zmq__resolver_set_test_hook(NULL);
    zmq__mailbox_fini(&mb);
}

static void test_resolver_after_shutdown(void)
{
    /* zmq__resolver_ctx_shutdown is idempotent, and a start after it
     * fails with ETERM (the context itself is still alive here). */
    int err = 0;
    struct zmq__ctx *ctx = zmq__ctx_new(&err);
    REQUIRE(ctx != NULL);
    struct zmq__mailbox mb;
    REQUIRE(zmq__mailbox_init(&mb, NULL) == 0);
    zmq__resolver_ctx_shutdown(ctx);
    zmq__resolver_ctx_shutdown(ctx);
    struct done_log log = {0};
    err = 0;
    CHECK(zmq__resolver_start(ctx, &mb, "localhost:1", false, false, on_done,
                              &log, &err) == NULL);
    CHECK_EQ(err, -ETERM);
    CHECK_EQ(zmq__ctx_term(ctx), 0);
    zmq__mailbox_fini(&mb);
}

TEST_MAIN(TEST(test_check_tables), TEST(test_needs_lookup),
          TEST(test_resolve_numeric), TEST(test_resolve_bind),
          TEST(test_resolve_names), TEST(test_resolve_source), TEST(test_uri),
          TEST(test_ipc_path), TEST(test_ipc_abstract), TEST(test_ipc_wildcard),
          TEST(test_open), TEST(test_tune_defaults), TEST(test_tune_values),
          TEST(test_dual_stack), TEST(test_resolver_done),
          TEST(test_resolver_cancel), TEST(test_resolver_shutdown),
          TEST(test_resolver_after_shutdown))
