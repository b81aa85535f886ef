/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Interoperability scenarios (see scenarios.h for the list and the roles).
 *
 * How they are written: every scenario builds a fresh context, creates its
 * sockets through env_socket() (which sets 10 s send and receive timeouts
 * and a finite linger), runs a fixed script of sends and checked receives,
 * and ends in env_fini(), which closes everything and terminates the
 * context.  On failure the linger is dropped to 0 first, so a failing side
 * exits at once instead of waiting for a peer that is gone.
 *
 * The scripts must match tests/interop/peer.py (pyzmq) and the raw ZMTP/2.0
 * peer in run_interop.py byte for byte: any change here is made there too.
 * Synchronisation never relies on sleeping: where ZeroMQ gives no ordering
 * guarantee (subscriptions travel asynchronously), the sender repeats a
 * message and polls a back channel until the receiver confirms.  The only
 * sleep is the idle period of the heartbeat scenario, which is its point.
 */
#define _POSIX_C_SOURCE 200809L

#include "scenarios.h"

#include <zmq.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TIMEOUT_MS 10000
#define LINGER_MS  10000
#define MAX_SOCKS  8
#define MAX_PARTS  12

static const char *cur_scenario = "?";
static const char *cur_role = "?";

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void
fail(const char *fmt, ...)
{
    int major, minor, patch;
    va_list ap;

    zmq_version(&major, &minor, &patch);
    fprintf(stderr, "interop %s/%s (zmq %d.%d.%d): ", cur_scenario, cur_role,
            major, minor, patch);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Writes a printable rendering of at most 48 bytes of data into out. */
static const char *show(const void *data, size_t len, char *out, size_t cap)
{
    const unsigned char *p = data;
    size_t o = 0;

    for (size_t i = 0; i < len && i < 48 && o + 5 < cap; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            out[o++] = (char)p[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i]);
    }
    if (len > 48 && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

static const char *err_text(void)
{
    int e = zmq_errno();

    if (e == EAGAIN)
        return "timed out (10 s)";
    return zmq_strerror(e);
}

/* ------------------------------------------------------------------ */
/* Context and sockets                                                 */
/* ------------------------------------------------------------------ */

struct env {
    void *ctx;
    void *socks[MAX_SOCKS];
    int nsocks;
};

static int env_init(struct env *e, const char *scenario, const char *role)
{
    cur_scenario = scenario;
    cur_role = role;
    memset(e, 0, sizeof *e);
    e->ctx = zmq_ctx_new();
    if (!e->ctx) {
        fail("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int set_int(void *s, int option, int value, const char *name)
{
    if (zmq_setsockopt(s, option, &value, sizeof value) != 0) {
        fail("zmq_setsockopt(%s, %d): %s", name, value,
             zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static void *env_socket(struct env *e, int type)
{
    void *s;

    if (e->nsocks == MAX_SOCKS) {
        fail("too many sockets");
        return NULL;
    }
    s = zmq_socket(e->ctx, type);
    if (!s) {
        fail("zmq_socket(%d): %s", type, zmq_strerror(zmq_errno()));
        return NULL;
    }
    e->socks[e->nsocks++] = s;
    /* A subscriber whose publisher left first reconnects and queues its
     * subscriptions again; a linger would then wait for a peer that never
     * comes back.  Every scenario confirms its subscriptions before the
     * end, so subscribers need no linger. */
    if (set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS, "ZMQ_RCVTIMEO") ||
        set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS, "ZMQ_SNDTIMEO") ||
        set_int(s, ZMQ_LINGER,
                type == ZMQ_SUB || type == ZMQ_XSUB ? 0 : LINGER_MS,
                "ZMQ_LINGER"))
        return NULL;
    return s;
}

/* Closes every socket and terminates the context; returns rc. */
static int env_fini(struct env *e, int rc)
{
    int zero = 0;

    for (int i = e->nsocks - 1; i >= 0; i--) {
        if (rc != 0)
            zmq_setsockopt(e->socks[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_close(e->socks[i]);
    }
    if (e->ctx && zmq_ctx_term(e->ctx) != 0 && rc == 0) {
        fail("zmq_ctx_term: %s", zmq_strerror(zmq_errno()));
        rc = -1;
    }
    return rc;
}

/* Binds or connects s to endpoint; a successful bind of the main endpoint
 * (announce != 0) prints "ready" for the driver. */
static int attach(void *s, const char *endpoint, int do_bind, int announce)
{
    if (do_bind) {
        if (zmq_bind(s, endpoint) != 0) {
            fail("zmq_bind(%s): %s", endpoint, zmq_strerror(zmq_errno()));
            return -1;
        }
        if (announce) {
            printf("ready\n");
            fflush(stdout);
        }
    } else if (zmq_connect(s, endpoint) != 0) {
        fail("zmq_connect(%s): %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int is_tcp(const char *endpoint)
{
    return strncmp(endpoint, "tcp://", 6) == 0;
}

/* Binds s to a second endpoint next to the main one (a wildcard port for
 * tcp, the main path plus suffix for ipc) and stores the resolved address
 * in out. */
static int bind_side(void *s, const char *endpoint, const char *suffix,
                     char *out, size_t cap)
{
    char want[512];
    size_t len = cap;

    if (is_tcp(endpoint))
        snprintf(want, sizeof want, "tcp://127.0.0.1:*");
    else
        snprintf(want, sizeof want, "%s%s", endpoint, suffix);
    if (attach(s, want, 1, 0) != 0)
        return -1;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &len) != 0) {
        fail("ZMQ_LAST_ENDPOINT: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Sending and checked receiving                                       */
/* ------------------------------------------------------------------ */

static int send_buf(void *s, const void *data, size_t len, int flags)
{
    char buf[256];

    if (zmq_send(s, data, len, flags) != (int)len) {
        fail("send of %zu bytes \"%s\"%s: %s", len,
             show(data, len, buf, sizeof buf),
             (flags & ZMQ_SNDMORE) ? " (more)" : "", err_text());
        return -1;
    }
    return 0;
}

static int send_str(void *s, const char *str, int flags)
{
    return send_buf(s, str, strlen(str), flags);
}

/* Receives one part into msg (initialised here; the caller closes it). */
static int recv_part(void *s, zmq_msg_t *msg, const char *what)
{
    zmq_msg_init(msg);
    if (zmq_msg_recv(msg, s, 0) < 0) {
        fail("receive of %s: %s", what, err_text());
        zmq_msg_close(msg);
        return -1;
    }
    return 0;
}

/* Checks that a received part holds exactly len bytes of data and that its
 * more flag is more. */
static int check_part(zmq_msg_t *msg, const void *data, size_t len, int more,
                      const char *what)
{
    char want[256], got[256];
    size_t size = zmq_msg_size(msg);
    const unsigned char *p = zmq_msg_data(msg);
    const unsigned char *q = data;

    if (size != len) {
        fail("%s: got %zu bytes \"%s\", wanted %zu bytes \"%s\"", what, size,
             show(p, size, got, sizeof got), len,
             show(data, len, want, sizeof want));
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (p[i] != q[i]) {
            fail("%s: %zu bytes, first difference at offset %zu: got 0x%02x, "
                 "wanted 0x%02x",
                 what, len, i, p[i], q[i]);
            return -1;
        }
    }
    if (!zmq_msg_more(msg) != !more) {
        fail("%s: more flag is %d, wanted %d", what, zmq_msg_more(msg),
             more ? 1 : 0);
        return -1;
    }
    return 0;
}

static int expect_buf(void *s, const void *data, size_t len, int more,
                      const char *what)
{
    zmq_msg_t msg;
    int rc;

    if (recv_part(s, &msg, what) != 0)
        return -1;
    rc = check_part(&msg, data, len, more, what);
    zmq_msg_close(&msg);
    return rc;
}

static int expect_str(void *s, const char *str, int more)
{
    char what[300];

    snprintf(what, sizeof what, "\"%s\"", str);
    return expect_buf(s, str, strlen(str), more, what);
}

/* A multipart message described part by part. */
struct parts {
    int n;
    const void *data[MAX_PARTS];
    size_t len[MAX_PARTS];
};

static void parts_add(struct parts *m, const void *data, size_t len)
{
    m->data[m->n] = data;
    m->len[m->n] = len;
    m->n++;
}

static int send_parts(void *s, const struct parts *m)
{
    for (int i = 0; i < m->n; i++)
        if (send_buf(s, m->data[i], m->len[i], i + 1 < m->n ? ZMQ_SNDMORE : 0))
            return -1;
    return 0;
}

static int expect_parts(void *s, const struct parts *m, const char *what)
{
    char part[300];

    for (int i = 0; i < m->n; i++) {
        snprintf(part, sizeof part, "%s, part %d of %d", what, i + 1, m->n);
        if (expect_buf(s, m->data[i], m->len[i], i + 1 < m->n, part))
            return -1;
    }
    return 0;
}

/* The body pattern shared with peer.py and run_interop.py: byte i is
 * (i % 251) ^ seed, so a shifted or truncated body is always noticed. */
static unsigned char *pattern(size_t len, int seed)
{
    unsigned char *p = malloc(len ? len : 1);

    if (!p) {
        fail("out of memory for %zu bytes", len);
        return NULL;
    }
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)((i % 251) ^ (unsigned)seed);
    return p;
}

static int check_role(const char *role, int b_only)
{
    if (strcmp(role, "b") == 0 || (!b_only && strcmp(role, "a") == 0))
        return 0;
    fail("unknown role \"%s\"%s", role,
         b_only ? " (role a is the raw ZMTP/2.0 peer in run_interop.py)" : "");
    return -1;
}

/* ------------------------------------------------------------------ */
/* pair                                                                */
/* ------------------------------------------------------------------ */

static int scenario_pair(const char *role, const char *endpoint, int do_bind)
{
    struct env e;
    void *s;
    char buf[64];
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "pair", role))
        return -1;
    if (check_role(role, 0) || !(s = env_socket(&e, ZMQ_PAIR)) ||
        attach(s, endpoint, do_bind, 1))
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        int sending = (pass == 0) == is_a;
        for (int i = 0; i < 5; i++) {
            snprintf(buf, sizeof buf, "%s #%d", pass ? "b->a" : "a->b", i);
            if (sending ? send_str(s, buf, 0) : expect_str(s, buf, 0))
                goto out;
        }
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* pushpull                                                            */
/* ------------------------------------------------------------------ */

/* Message i: "msg-NNNN" followed by i % 64 copies of 'a' + i % 26. */
static size_t pushpull_body(int i, char *buf)
{
    int n = snprintf(buf, 16, "msg-%04d", i);

    memset(buf + n, 'a' + i % 26, (size_t)(i % 64));
    return (size_t)n + (size_t)(i % 64);
}

static int scenario_pushpull(const char *role, const char *endpoint,
                             int do_bind)
{
    struct env e;
    void *s;
    char buf[128], what[32];
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "pushpull", role))
        return -1;
    if (check_role(role, 0) ||
        !(s = env_socket(&e, is_a ? ZMQ_PUSH : ZMQ_PULL)) ||
        attach(s, endpoint, do_bind, 1))
        goto out;
    for (int i = 0; i < 1000; i++) {
        size_t len = pushpull_body(i, buf);
        snprintf(what, sizeof what, "message %d", i);
        if (is_a ? send_buf(s, buf, len, 0) : expect_buf(s, buf, len, 0, what))
            goto out;
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* reqrep                                                              */
/* ------------------------------------------------------------------ */

static int scenario_reqrep(const char *role, const char *endpoint, int do_bind)
{
    struct env e;
    void *s;
    char req[32], rep[32];
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "reqrep", role))
        return -1;
    if (check_role(role, 0) ||
        !(s = env_socket(&e, is_a ? ZMQ_REQ : ZMQ_REP)) ||
        attach(s, endpoint, do_bind, 1))
        goto out;
    for (int i = 0; i < 100; i++) {
        snprintf(req, sizeof req, "request %d", i);
        snprintf(rep, sizeof rep, "reply %d", i);
        if (is_a ? send_str(s, req, 0) || expect_str(s, rep, 0)
                 : expect_str(s, req, 0) || send_str(s, rep, 0))
            goto out;
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* dealer_router                                                       */
/* ------------------------------------------------------------------ */

/* Role a: ROUTER.  Role b: DEALER "client-7" on the main endpoint and an
 * anonymous DEALER.  When b connects, both DEALERs connect to the main
 * endpoint; when b binds, the anonymous one binds a second endpoint whose
 * address travels in the second part of "hello-7", and the ROUTER connects
 * to it. */
static int router_side(void *s)
{
    unsigned char anon_id[256];
    size_t anon_len = 0;
    int got7 = 0, gotanon = 0;
    char buf[300], buf2[300];

    for (int k = 0; k < 2; k++) {
        zmq_msg_t id, body;
        const unsigned char *idp;
        size_t idlen;

        if (recv_part(s, &id, "routing id frame"))
            return -1;
        idp = zmq_msg_data(&id);
        idlen = zmq_msg_size(&id);
        if (!zmq_msg_more(&id)) {
            fail("routing id frame \"%s\" has no more flag",
                 show(idp, idlen, buf, sizeof buf));
            zmq_msg_close(&id);
            return -1;
        }
        if (recv_part(s, &body, "hello body")) {
            zmq_msg_close(&id);
            return -1;
        }
        if (zmq_msg_size(&body) == 7 &&
            memcmp(zmq_msg_data(&body), "hello-7", 7) == 0 && !got7) {
            zmq_msg_t ep;
            char epbuf[512];
            size_t eplen;

            got7 = 1;
            if (idlen != 8 || memcmp(idp, "client-7", 8) != 0) {
                fail("DEALER with ZMQ_ROUTING_ID \"client-7\" arrived with "
                     "routing id \"%s\" (%zu bytes)",
                     show(idp, idlen, buf, sizeof buf), idlen);
                goto bad;
            }
            if (!zmq_msg_more(&body)) {
                fail("\"hello-7\" has no second part");
                goto bad;
            }
            if (recv_part(s, &ep, "second endpoint part"))
                goto bad;
            eplen = zmq_msg_size(&ep);
            if (eplen >= sizeof epbuf || zmq_msg_more(&ep)) {
                fail("bad second endpoint part (%zu bytes)", eplen);
                zmq_msg_close(&ep);
                goto bad;
            }
            memcpy(epbuf, zmq_msg_data(&ep), eplen);
            epbuf[eplen] = '\0';
            zmq_msg_close(&ep);
            if (eplen && attach(s, epbuf, 0, 0))
                goto bad;
        } else if (zmq_msg_size(&body) == 10 &&
                   memcmp(zmq_msg_data(&body), "hello-anon", 10) == 0 &&
                   !gotanon && !zmq_msg_more(&body)) {
            gotanon = 1;
            if (idlen != 5 || idp[0] != 0) {
                fail("DEALER without routing id got generated id \"%s\" "
                     "(%zu bytes); libzmq generates 5 bytes starting 0x00",
                     show(idp, idlen, buf, sizeof buf), idlen);
                goto bad;
            }
            memcpy(anon_id, idp, idlen);
            anon_len = idlen;
        } else {
            fail(
                "unexpected message \"%s\" from \"%s\"",
                show(zmq_msg_data(&body), zmq_msg_size(&body), buf, sizeof buf),
                show(idp, idlen, buf2, sizeof buf2));
            goto bad;
        }
        zmq_msg_close(&body);
        zmq_msg_close(&id);
        continue;
    bad:
        zmq_msg_close(&body);
        zmq_msg_close(&id);
        return -1;
    }
    if (send_str(s, "client-7", ZMQ_SNDMORE) || send_str(s, "reply-7", 0) ||
        send_buf(s, anon_id, anon_len, ZMQ_SNDMORE) ||
        send_str(s, "reply-anon", 0))
        return -1;
    /* Both replies must be routable before the ROUTER may leave. */
    return 0;
}

static int scenario_dealer_router(const char *role, const char *endpoint,
                                  int do_bind)
{
    struct env e;
    void *s, *d7, *anon;
    char ep2[512] = "";
    int rc = -1;

    if (env_init(&e, "dealer_router", role))
        return -1;
    if (check_role(role, 0))
        goto out;
    if (strcmp(role, "a") == 0) {
        if (!(s = env_socket(&e, ZMQ_ROUTER)) ||
            set_int(s, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY") ||
            attach(s, endpoint, do_bind, 1) || router_side(s))
            goto out;
        /* Wait for the DEALERs' "done" so that neither connection is torn
         * down before the replies were read. */
        for (int k = 0; k < 2; k++) {
            zmq_msg_t id;
            if (recv_part(s, &id, "routing id of \"done\""))
                goto out;
            zmq_msg_close(&id);
            if (expect_str(s, "done", 0))
                goto out;
        }
        rc = 0;
        goto out;
    }
    if (!(d7 = env_socket(&e, ZMQ_DEALER)) ||
        !(anon = env_socket(&e, ZMQ_DEALER)))
        goto out;
    if (zmq_setsockopt(d7, ZMQ_ROUTING_ID, "client-7", 8) != 0) {
        fail("ZMQ_ROUTING_ID: %s", zmq_strerror(zmq_errno()));
        goto out;
    }
    if (attach(d7, endpoint, do_bind, 1))
        goto out;
    if (do_bind ? bind_side(anon, endpoint, ".2", ep2, sizeof ep2)
                : attach(anon, endpoint, 0, 0))
        goto out;
    if (send_str(d7, "hello-7", ZMQ_SNDMORE) || send_str(d7, ep2, 0) ||
        send_str(anon, "hello-anon", 0) || expect_str(d7, "reply-7", 0) ||
        expect_str(anon, "reply-anon", 0) || send_str(d7, "done", 0) ||
        send_str(anon, "done", 0))
        goto out;
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* pubsub                                                              */
/* ------------------------------------------------------------------ */

/* Publisher: repeats "<tag>|<back endpoint>" until the subscriber's
 * "synced<n>" arrives on the back channel. */
static int pub_sync(void *pub, void *back, const char *tag, const char *backep,
                    const char *reply)
{
    char msg[600];
    int64_t deadline = now_ms() + TIMEOUT_MS;

    snprintf(msg, sizeof msg, "%s|%s", tag, backep);
    while (now_ms() < deadline) {
        zmq_pollitem_t item = {back, 0, ZMQ_POLLIN, 0};
        if (send_str(pub, msg, 0))
            return -1;
        if (zmq_poll(&item, 1, 20) < 0) {
            fail("zmq_poll: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        if (item.revents & ZMQ_POLLIN)
            return expect_str(back, reply, 0);
    }
    fail("subscriber never confirmed \"%s\" within 10 s", tag);
    return -1;
}

/* Subscriber: receives until a "<tag>|<endpoint>" message, connects the
 * back channel (first time) and confirms. */
static int sub_sync(void *sub, void *back, const char *tag, const char *reply,
                    int *back_connected)
{
    zmq_msg_t msg;
    char ep[600], buf[300];
    size_t taglen = strlen(tag), len;

    if (recv_part(sub, &msg, tag))
        return -1;
    len = zmq_msg_size(&msg);
    if (len <= taglen || len - taglen - 1 >= sizeof ep ||
        memcmp(zmq_msg_data(&msg), tag, taglen) != 0 ||
        ((char *)zmq_msg_data(&msg))[taglen] != '|') {
        fail("wanted \"%s|...\", got \"%s\"", tag,
             show(zmq_msg_data(&msg), len, buf, sizeof buf));
        zmq_msg_close(&msg);
        return -1;
    }
    memcpy(ep, (char *)zmq_msg_data(&msg) + taglen + 1, len - taglen - 1);
    ep[len - taglen - 1] = '\0';
    zmq_msg_close(&msg);
    if (!*back_connected) {
        if (attach(back, ep, 0, 0))
            return -1;
        *back_connected = 1;
    }
    return send_str(back, reply, 0);
}

/* Subscriber: expects the given messages in order, skipping repeats of
 * the synchronisation message whose prefix is skip. */
static int sub_expect(void *sub, const char *skip, const char *const *want,
                      int n)
{
    char buf[300];

    for (int i = 0; i < n;) {
        zmq_msg_t msg;
        size_t len;
        const char *p;

        if (recv_part(sub, &msg, want[i]))
            return -1;
        len = zmq_msg_size(&msg);
        p = zmq_msg_data(&msg);
        if (len > strlen(skip) && memcmp(p, skip, strlen(skip)) == 0) {
            zmq_msg_close(&msg);
            continue;
        }
        if (len != strlen(want[i]) || memcmp(p, want[i], len) != 0 ||
            zmq_msg_more(&msg)) {
            fail("wanted \"%s\", got \"%s\"%s", want[i],
                 show(p, len, buf, sizeof buf),
                 zmq_msg_more(&msg) ? " (more)" : "");
            zmq_msg_close(&msg);
            return -1;
        }
        zmq_msg_close(&msg);
        i++;
    }
    return 0;
}

static int subscribe(void *s, int option, const char *topic)
{
    if (zmq_setsockopt(s, option, topic, strlen(topic)) != 0) {
        fail("%s \"%s\": %s",
             option == ZMQ_SUBSCRIBE ? "ZMQ_SUBSCRIBE" : "ZMQ_UNSUBSCRIBE",
             topic, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

static int scenario_pubsub(const char *role, const char *endpoint, int do_bind)
{
    static const char *const first[] = {"A.1", "B.1", "A.2", "end1"};
    static const char *const second[] = {"A.3", "end2"};
    static const char *const topics[] = {"A.", "B.", "sync1", "end"};
    struct env e;
    void *s, *back;
    char backep[512];
    int rc = -1, back_connected = 0;

    if (env_init(&e, "pubsub", role))
        return -1;
    if (check_role(role, 0))
        goto out;
    if (strcmp(role, "a") == 0) {
        if (!(s = env_socket(&e, ZMQ_PUB)) || attach(s, endpoint, do_bind, 1) ||
            !(back = env_socket(&e, ZMQ_PULL)) ||
            bind_side(back, endpoint, ".back", backep, sizeof backep) ||
            pub_sync(s, back, "sync1", backep, "synced1"))
            goto out;
        /* C.1 and Ax match no subscription and must never arrive. */
        if (send_str(s, "A.1", 0) || send_str(s, "C.1", 0) ||
            send_str(s, "B.1", 0) || send_str(s, "Ax", 0) ||
            send_str(s, "A.2", 0) || send_str(s, "end1", 0))
            goto out;
        /* The subscriber has now dropped "B." and added "sync2"; once
         * "sync2" gets through, the earlier unsubscription has arrived. */
        if (pub_sync(s, back, "sync2", backep, "synced2") ||
            send_str(s, "B.2", 0) || send_str(s, "A.3", 0) ||
            send_str(s, "end2", 0))
            goto out;
        rc = 0;
        goto out;
    }
    if (!(s = env_socket(&e, ZMQ_SUB)) || !(back = env_socket(&e, ZMQ_PUSH)))
        goto out;
    for (int i = 0; i < 4; i++)
        if (subscribe(s, ZMQ_SUBSCRIBE, topics[i]))
            goto out;
    if (attach(s, endpoint, do_bind, 1) ||
        sub_sync(s, back, "sync1", "synced1", &back_connected) ||
        sub_expect(s, "sync1|", first, 4) ||
        subscribe(s, ZMQ_UNSUBSCRIBE, "B.") ||
        subscribe(s, ZMQ_SUBSCRIBE, "sync2") ||
        sub_sync(s, back, "sync2", "synced2", &back_connected) ||
        sub_expect(s, "sync2|", second, 2))
        goto out;
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* xpubsub                                                             */
/* ------------------------------------------------------------------ */

static int scenario_xpubsub(const char *role, const char *endpoint, int do_bind)
{
    struct env e;
    void *s;
    int rc = -1;

    if (env_init(&e, "xpubsub", role))
        return -1;
    if (check_role(role, 0))
        goto out;
    if (strcmp(role, "a") == 0) {
        if (!(s = env_socket(&e, ZMQ_XPUB)) ||
            attach(s, endpoint, do_bind, 1) ||
            expect_buf(s, "\001topic", 6, 0, "subscription \\x01topic") ||
            send_str(s, "other-0", 0) || send_str(s, "topic-1", 0) ||
            expect_buf(s, "\000topic", 6, 0, "unsubscription \\x00topic") ||
            expect_buf(s, "\001end", 4, 0, "subscription \\x01end") ||
            send_str(s, "topic-2", 0) || send_str(s, "end-3", 0))
            goto out;
    } else {
        if (!(s = env_socket(&e, ZMQ_XSUB)) ||
            attach(s, endpoint, do_bind, 1) || send_buf(s, "\001topic", 6, 0) ||
            expect_str(s, "topic-1", 0) || send_buf(s, "\000topic", 6, 0) ||
            send_buf(s, "\001end", 4, 0) || expect_str(s, "end-3", 0))
            goto out;
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* multipart                                                           */
/* ------------------------------------------------------------------ */

/* The messages, as strings separated by '|': "a||b" is three parts, the
 * middle one empty. */
static const char *const multipart_msgs[] = {
    "head||tail", "|", "x|y|", "", "only", "1|2|3|4|5|6|7|8|9|10", "||||",
};
#define MULTIPART_COUNT (int)(sizeof multipart_msgs / sizeof *multipart_msgs)

static void split_parts(const char *spec, struct parts *m)
{
    const char *p = spec;

    m->n = 0;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        parts_add(m, p, len);
        if (!bar)
            break;
        p = bar + 1;
    }
}

static int scenario_multipart(const char *role, const char *endpoint,
                              int do_bind)
{
    struct env e;
    void *s;
    char what[64];
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "multipart", role))
        return -1;
    if (check_role(role, 0) || !(s = env_socket(&e, ZMQ_PAIR)) ||
        attach(s, endpoint, do_bind, 1))
        goto out;
    /* a sends them all, b checks each and echoes it, a checks the echo. */
    for (int pass = 0; pass < 2; pass++) {
        int sending = (pass == 0) == is_a;
        for (int i = 0; i < MULTIPART_COUNT; i++) {
            struct parts m;
            split_parts(multipart_msgs[i], &m);
            snprintf(what, sizeof what, "message %d%s", i,
                     pass ? " (echo)" : "");
            if (sending ? send_parts(s, &m) : expect_parts(s, &m, what))
                goto out;
        }
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* sizes                                                               */
/* ------------------------------------------------------------------ */

static const size_t body_sizes[] = {
    0, 1, 255, 256, 65535, 65536, 10 * 1024 * 1024};
#define SIZES_COUNT (int)(sizeof body_sizes / sizeof *body_sizes)

static int scenario_sizes(const char *role, const char *endpoint, int do_bind)
{
    struct env e;
    void *s;
    char what[64];
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "sizes", role))
        return -1;
    if (check_role(role, 0) || !(s = env_socket(&e, ZMQ_PAIR)) ||
        attach(s, endpoint, do_bind, 1))
        goto out;
    /* For each size: a sends a body with seed i, b checks it and answers
     * with a body of the same size and seed 100 + i. */
    for (int i = 0; i < SIZES_COUNT; i++) {
        size_t n = body_sizes[i];
        unsigned char *ab = pattern(n, i), *ba = pattern(n, 100 + i);
        int bad;

        if (!ab || !ba) {
            free(ab);
            free(ba);
            goto out;
        }
        snprintf(what, sizeof what, "%zu-byte body", n);
        if (is_a)
            bad = send_buf(s, ab, n, 0) || expect_buf(s, ba, n, 0, what);
        else
            bad = expect_buf(s, ab, n, 0, what) || send_buf(s, ba, n, 0);
        free(ab);
        free(ba);
        if (bad)
            goto out;
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* heartbeat                                                           */
/* ------------------------------------------------------------------ */

/* Reads the monitor events queued so far and fails on any disconnection
 * or on more than one connection. */
static int check_monitor(void *mon)
{
    int connects = 0, disconnects = 0;

    for (;;) {
        zmq_msg_t ev, addr;
        uint16_t id;

        zmq_msg_init(&ev);
        if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&ev);
            if (zmq_errno() == EAGAIN)
                break;
            fail("monitor receive: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        if (zmq_msg_size(&ev) != 6 || !zmq_msg_more(&ev)) {
            fail("monitor event frame of %zu bytes", zmq_msg_size(&ev));
            zmq_msg_close(&ev);
            return -1;
        }
        memcpy(&id, zmq_msg_data(&ev), 2);
        zmq_msg_close(&ev);
        if (recv_part(mon, &addr, "monitor address frame"))
            return -1;
        zmq_msg_close(&addr);
        if (id == ZMQ_EVENT_CONNECTED || id == ZMQ_EVENT_ACCEPTED)
            connects++;
        if (id == ZMQ_EVENT_DISCONNECTED)
            disconnects++;
    }
    if (disconnects || connects != 1) {
        fail("connection dropped while idle with heartbeats on: %d "
             "connection(s), %d disconnection(s)",
             connects, disconnects);
        return -1;
    }
    return 0;
}

static int scenario_heartbeat(const char *role, const char *endpoint,
                              int do_bind)
{
    struct env e;
    void *s, *mon;
    char monep[64];
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "heartbeat", role))
        return -1;
    snprintf(monep, sizeof monep, "inproc://heartbeat-monitor-%s", role);
    if (check_role(role, 0) || !(s = env_socket(&e, ZMQ_PAIR)) ||
        set_int(s, ZMQ_HEARTBEAT_IVL, 100, "ZMQ_HEARTBEAT_IVL") ||
        set_int(s, ZMQ_HEARTBEAT_TIMEOUT, 1000, "ZMQ_HEARTBEAT_TIMEOUT") ||
        set_int(s, ZMQ_HEARTBEAT_TTL, 1000, "ZMQ_HEARTBEAT_TTL"))
        goto out;
    if (zmq_socket_monitor(s, monep, ZMQ_EVENT_ALL) != 0) {
        fail("zmq_socket_monitor: %s", zmq_strerror(zmq_errno()));
        goto out;
    }
    if (!(mon = env_socket(&e, ZMQ_PAIR)) || attach(mon, monep, 0, 0) ||
        attach(s, endpoint, do_bind, 1))
        goto out;
    if (is_a) {
        if (send_str(s, "ping-1", 0) || expect_str(s, "pong-1", 0))
            goto out;
        /* Idle for longer than the heartbeat timeout and TTL: only the
         * PING/PONG commands keep the connection up. */
        sleep_ms(1500);
        if (send_str(s, "ping-2", 0) || expect_str(s, "pong-2", 0) ||
            check_monitor(mon) || send_str(s, "bye", 0))
            goto out;
    } else {
        if (expect_str(s, "ping-1", 0) || send_str(s, "pong-1", 0) ||
            expect_str(s, "ping-2", 0) || check_monitor(mon) ||
            send_str(s, "pong-2", 0) || expect_str(s, "bye", 0))
            goto out;
    }
    rc = 0;
out:
    if (e.nsocks > 0)
        zmq_socket_monitor(e.socks[0], NULL, 0);
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* stream                                                              */
/* ------------------------------------------------------------------ */

/* Receives one [routing id][data] message; the id must equal id (unless
 * *idlen is 0, then it is stored). */
static int stream_recv(void *s, unsigned char *id, size_t *idlen,
                       zmq_msg_t *data, const char *what)
{
    zmq_msg_t rid;
    char buf[300];

    if (recv_part(s, &rid, what))
        return -1;
    if (!zmq_msg_more(&rid) || zmq_msg_size(&rid) == 0 ||
        zmq_msg_size(&rid) > 255) {
        fail("%s: bad routing id frame (%zu bytes, more %d)", what,
             zmq_msg_size(&rid), zmq_msg_more(&rid));
        zmq_msg_close(&rid);
        return -1;
    }
    if (*idlen == 0) {
        *idlen = zmq_msg_size(&rid);
        memcpy(id, zmq_msg_data(&rid), *idlen);
    } else if (zmq_msg_size(&rid) != *idlen ||
               memcmp(zmq_msg_data(&rid), id, *idlen) != 0) {
        fail("%s: message from unknown routing id \"%s\"", what,
             show(zmq_msg_data(&rid), zmq_msg_size(&rid), buf, sizeof buf));
        zmq_msg_close(&rid);
        return -1;
    }
    zmq_msg_close(&rid);
    if (recv_part(s, data, what))
        return -1;
    if (zmq_msg_more(data)) {
        fail("%s: data frame has the more flag", what);
        zmq_msg_close(data);
        return -1;
    }
    return 0;
}

/* Reads raw bytes until exactly want arrived (TCP may split them). */
static int stream_expect(void *s, unsigned char *id, size_t *idlen,
                         const char *want)
{
    char got[256], buf[300];
    size_t have = 0, n = strlen(want);

    while (have < n) {
        zmq_msg_t data;
        size_t len;

        if (stream_recv(s, id, idlen, &data, want))
            return -1;
        len = zmq_msg_size(&data);
        if (len == 0 || have + len > n) {
            fail("wanted \"%s\", got %zu more bytes \"%s\" after %zu", want,
                 len, show(zmq_msg_data(&data), len, buf, sizeof buf), have);
            zmq_msg_close(&data);
            return -1;
        }
        memcpy(got + have, zmq_msg_data(&data), len);
        have += len;
        zmq_msg_close(&data);
    }
    if (memcmp(got, want, n) != 0) {
        fail("wanted \"%s\", got \"%s\"", want, show(got, n, buf, sizeof buf));
        return -1;
    }
    return 0;
}

/* Expects a notification: a zero-length frame for the (new) peer. */
static int stream_notification(void *s, unsigned char *id, size_t *idlen,
                               const char *what)
{
    zmq_msg_t data;
    char buf[300];

    if (stream_recv(s, id, idlen, &data, what))
        return -1;
    if (zmq_msg_size(&data) != 0) {
        fail("wanted the %s (empty frame), got \"%s\"", what,
             show(zmq_msg_data(&data), zmq_msg_size(&data), buf, sizeof buf));
        zmq_msg_close(&data);
        return -1;
    }
    zmq_msg_close(&data);
    return 0;
}

static int stream_send(void *s, const unsigned char *id, size_t idlen,
                       const char *data)
{
    return send_buf(s, id, idlen, ZMQ_SNDMORE) || send_str(s, data, 0);
}

static int scenario_stream(const char *role, const char *endpoint, int do_bind)
{
    struct env e;
    void *s;
    unsigned char id[256];
    size_t idlen = 0;
    int rc = -1, is_a = strcmp(role, "a") == 0;

    if (env_init(&e, "stream", role))
        return -1;
    if (check_role(role, 0) || !(s = env_socket(&e, ZMQ_STREAM)))
        goto out;
    /* The connecting side keeps the default reconnection: with
     * ZMQ_RECONNECT_IVL -1, libzmq 4.3.4 sometimes drops the disconnect
     * notification along with the session. */
    if (attach(s, endpoint, do_bind, 1) ||
        stream_notification(s, id, &idlen, "connect notification"))
        goto out;
    if (is_a) {
        if (stream_send(s, id, idlen, "hello from a") ||
            stream_expect(s, id, &idlen, "hello from b, a bit longer") ||
            stream_send(s, id, idlen, "ACK") ||
            stream_notification(s, id, &idlen, "disconnect notification"))
            goto out;
    } else {
        /* b closes the connection with a zero-length send. */
        if (stream_expect(s, id, &idlen, "hello from a") ||
            stream_send(s, id, idlen, "hello from b, a bit longer") ||
            stream_expect(s, id, &idlen, "ACK") ||
            stream_send(s, id, idlen, ""))
            goto out;
    }
    rc = 0;
out:
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */
/* ZMTP/2.0 counterparts (role b; role a is raw Python)                */
/* ------------------------------------------------------------------ */

#define ZMTP2_COUNT 55

/* Message i of the sequence the raw peer and the zmq side exchange:
 * "v2-0" .. "v2-49", a 300-byte body (long frame), a three-part message
 * with an empty middle part, an empty message, a 70000-byte body and
 * "v2-end".  bodies[0] and bodies[1] hold the two patterns. */
static void zmtp2_msg(int i, struct parts *m, char *scratch,
                      unsigned char *const *bodies)
{
    m->n = 0;
    if (i < 50) {
        snprintf(scratch, 16, "v2-%d", i);
        parts_add(m, scratch, strlen(scratch));
    } else if (i == 50) {
        parts_add(m, bodies[0], 300);
    } else if (i == 51) {
        parts_add(m, "part1", 5);
        parts_add(m, "", 0);
        parts_add(m, "part3", 5);
    } else if (i == 52) {
        parts_add(m, "", 0);
    } else if (i == 53) {
        parts_add(m, bodies[1], 70000);
    } else {
        parts_add(m, "v2-end", 6);
    }
}

/* Sends (send != 0) or receives and checks the sequence; with echo, each
 * received message is sent back at once. */
static int zmtp2_sequence(void *s, int send, int echo)
{
    unsigned char *bodies[2] = {pattern(300, 1), pattern(70000, 2)};
    char scratch[16], what[64];
    int rc = -1;

    if (!bodies[0] || !bodies[1])
        goto out;
    for (int i = 0; i < ZMTP2_COUNT; i++) {
        struct parts m;
        zmtp2_msg(i, &m, scratch, bodies);
        snprintf(what, sizeof what, "ZMTP/2.0 message %d", i);
        if (send ? send_parts(s, &m) : expect_parts(s, &m, what))
            goto out;
        if (echo && send_parts(s, &m))
            goto out;
    }
    rc = 0;
out:
    free(bodies[0]);
    free(bodies[1]);
    return rc;
}

static int zmtp2_common(const char *name, const char *role,
                        const char *endpoint, int do_bind, int type,
                        struct env *e, void **s)
{
    if (env_init(e, name, role))
        return -1;
    if (check_role(role, 1) || !(*s = env_socket(e, type)))
        return -1;
    if (type == ZMQ_ROUTER &&
        set_int(*s, ZMQ_ROUTER_MANDATORY, 1, "ZMQ_ROUTER_MANDATORY"))
        return -1;
    if (type == ZMQ_SUB && subscribe(*s, ZMQ_SUBSCRIBE, "ab"))
        return -1;
    return attach(*s, endpoint, do_bind, 1);
}

static int scenario_zmtp2_pull(const char *role, const char *endpoint,
                               int do_bind)
{
    struct env e;
    void *s;
    int rc =
        zmtp2_common("zmtp2_pull", role, endpoint, do_bind, ZMQ_PULL, &e, &s);

    if (rc == 0)
        rc = zmtp2_sequence(s, 0, 0);
    return env_fini(&e, rc);
}

static int scenario_zmtp2_push(const char *role, const char *endpoint,
                               int do_bind)
{
    struct env e;
    void *s;
    int rc =
        zmtp2_common("zmtp2_push", role, endpoint, do_bind, ZMQ_PUSH, &e, &s);

    if (rc == 0)
        rc = zmtp2_sequence(s, 1, 0);
    return env_fini(&e, rc);
}

static int scenario_zmtp2_dealer(const char *role, const char *endpoint,
                                 int do_bind)
{
    struct env e;
    void *s;
    int rc = zmtp2_common("zmtp2_dealer", role, endpoint, do_bind, ZMQ_DEALER,
                          &e, &s);

    /* The raw peer leaves after reading every echo; wait for its "bye"
     * so the echoes are not cut off by our exit. */
    if (rc == 0 && (zmtp2_sequence(s, 0, 1) || expect_str(s, "bye", 0)))
        rc = -1;
    return env_fini(&e, rc);
}

static int scenario_zmtp2_router(const char *role, const char *endpoint,
                                 int do_bind)
{
    struct env e;
    void *s;
    int rc = zmtp2_common("zmtp2_router", role, endpoint, do_bind, ZMQ_ROUTER,
                          &e, &s);

    /* The ZMTP/2.0 greeting's identity becomes the routing id. */
    if (rc == 0 &&
        (expect_buf(s, "zmtp2-peer", 10, 1, "routing id \"zmtp2-peer\"") ||
         expect_str(s, "hello", 0) || send_str(s, "zmtp2-peer", ZMQ_SNDMORE) ||
         send_str(s, "world", ZMQ_SNDMORE) || send_str(s, "", 0) ||
         expect_buf(s, "zmtp2-peer", 10, 1, "routing id") ||
         expect_str(s, "bye", 0)))
        rc = -1;
    return env_fini(&e, rc);
}

static int scenario_zmtp2_xpub(const char *role, const char *endpoint,
                               int do_bind)
{
    struct env e;
    void *s;
    int rc =
        zmtp2_common("zmtp2_xpub", role, endpoint, do_bind, ZMQ_XPUB, &e, &s);

    /* ZMTP/2.0 subscriptions are ordinary messages "\001topic" (octal
     * escapes: a hex escape would swallow the topic's letters). */
    if (rc == 0 && (expect_buf(s, "\001ab", 3, 0, "subscription \\x01ab") ||
                    send_str(s, "zz-no", 0) || send_str(s, "ab-1", 0) ||
                    expect_buf(s, "\000ab", 3, 0, "unsubscription \\x00ab") ||
                    expect_buf(s, "\001end", 4, 0, "subscription \\x01end") ||
                    send_str(s, "ab-2", 0) || send_str(s, "end-x", 0)))
        rc = -1;
    return env_fini(&e, rc);
}

static int scenario_zmtp2_sub(const char *role, const char *endpoint,
                              int do_bind)
{
    struct env e;
    void *s;
    int rc =
        zmtp2_common("zmtp2_sub", role, endpoint, do_bind, ZMQ_SUB, &e, &s);

    /* The raw publisher sends "zz-no" unfiltered: SUB drops it itself. */
    if (rc == 0)
        rc = expect_str(s, "ab-1", 0);
    return env_fini(&e, rc);
}

/* ------------------------------------------------------------------ */

const struct interop_scenario interop_scenarios[] = {
    {"pair", scenario_pair},
    {"pushpull", scenario_pushpull},
    {"reqrep", scenario_reqrep},
    {"dealer_router", scenario_dealer_router},
    {"pubsub", scenario_pubsub},
    {"xpubsub", scenario_xpubsub},
    {"multipart", scenario_multipart},
    {"sizes", scenario_sizes},
    {"heartbeat", scenario_heartbeat},
    {"stream", scenario_stream},
    {"zmtp2_pull", scenario_zmtp2_pull},
    {"zmtp2_push", scenario_zmtp2_push},
    {"zmtp2_dealer", scenario_zmtp2_dealer},
    {"zmtp2_router", scenario_zmtp2_router},
    {"zmtp2_xpub", scenario_zmtp2_xpub},
    {"zmtp2_sub", scenario_zmtp2_sub},
    {NULL, NULL},
};

const struct interop_scenario *interop_find_scenario(const char *name)
{
    for (const struct interop_scenario *sc = interop_scenarios; sc->name; sc++)
        if (strcmp(sc->name, name) == 0)
            return sc;
    return NULL;
}
