/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Black-box tests of tcp connects through a SOCKS5 proxy (RFC 1928, with
 * the username/password method of RFC 1929), set with ZMQ_SOCKS_PROXY,
 * ZMQ_SOCKS_USERNAME and ZMQ_SOCKS_PASSWORD on the connecting socket.
 *
 * The proxy is the test's own: a thread with plain POSIX sockets that
 * accepts one connection at a time on 127.0.0.1, plays the server side of
 * the exchange as the running case's script says (authentication or not,
 * the method it picks, the reply code, garbage or a close instead of a
 * reply, or silence), records what the library sent (methods, credentials,
 * address type, address and port of the CONNECT request) and, on success,
 * relays the ZMTP stream between the library and the real target.
 *
 * Cases: a round trip through the proxy to an IPv4 literal and to a host
 * name, with username/password, the failures (connection refused, a
 * reply of the wrong version, no acceptable method, a method that was not
 * offered, credentials rejected, the proxy closing after the greeting)
 * after each of which the library must close the connection without
 * sending anything more, retry after ZMQ_RECONNECT_IVL and deliver its
 * queued message once the proxy agrees, and the options themselves with
 * a direct connection when ZMQ_SOCKS_PROXY is "".
 *
 * Waits are bounded: zmq sockets time out after TIMEOUT_MS, monitor
 * events are received with a timeout, the proxy's reads are polled with
 * a deadline, and what the proxy recorded is polled (under its mutex)
 * with a deadline.  Every case checks that it leaves no descriptor open.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef ZMQ_BUILD_DRAFT_API
#define ZMQ_BUILD_DRAFT_API
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "testutil.h"
#include "testutil_sys.h"

/* The longest any single blocking call in this file may wait. */
#define TIMEOUT_MS 5000

#include "testutil_socket.h"

/* How long the proxy waits for the library to close a connection after a
 * failure answer before it counts the connection as lingering. */
#define CLOSE_WAIT_MS 1000

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static void set_str(void *s, int option, const char *value)
{
    CHECK_EQ(zmq_setsockopt(s, option, value, strlen(value)), 0);
}

/* A socket with bounded blocking calls that closes at once. */
static void *new_sock(void *ctx, int type)
{
    void *s = new_socket(ctx, type);
    if (s != NULL)
        set_int(s, ZMQ_LINGER, 0);
    return s;
}

/* The port of a "tcp://host:port" endpoint, or -1. */
static int port_of(const char *ep)
{
    const char *colon = strrchr(ep, ':');
    if (colon == NULL || colon[1] == '\0')
        return -1;
    return atoi(colon + 1);
}

/* Receives one frame into buf as a NUL-terminated string; its size or -1.
 * *more (may be NULL) tells whether another frame follows. */
static int recv_str(void *s, char *buf, size_t cap, int flags, int *more)
{
    int rc = zmq_recv(s, buf, cap - 1, flags);
    if (rc < 0)
        return -1;
    buf[(size_t)rc < cap - 1 ? (size_t)rc : cap - 1] = '\0';
    if (more != NULL) {
        size_t sz = sizeof *more;
        *more = 0;
        zmq_getsockopt(s, ZMQ_RCVMORE, more, &sz);
    }
    return rc;
}

/* The ROUTER receives [identity][expect] and answers [identity][reply];
 * the DEALER receives reply.  1 if all of it happened as it should. */
static int round_trip(void *dealer, void *router, const char *expect,
                      const char *reply)
{
    char id[256], body[256];
    int more = 0;
    int idlen = zmq_recv(router, id, sizeof id, 0);
    CHECK(idlen > 0);
    if (idlen <= 0)
        return 0;
    size_t sz = sizeof more;
    zmq_getsockopt(router, ZMQ_RCVMORE, &more, &sz);
    CHECK_EQ(more, 1);
    int rc = recv_str(router, body, sizeof body, 0, &more);
    CHECK_EQ(rc, (int)strlen(expect));
    CHECK_EQ(more, 0);
    if (rc < 0 || strcmp(body, expect) != 0) {
        CHECK(rc >= 0 && strcmp(body, expect) == 0);
        return 0;
    }
    CHECK_EQ(zmq_send(router, id, (size_t)idlen, ZMQ_SNDMORE), idlen);
    CHECK_EQ(zmq_send(router, reply, strlen(reply), 0), (int)strlen(reply));
    rc = recv_str(dealer, body, sizeof body, 0, &more);
    CHECK_EQ(rc, (int)strlen(reply));
    CHECK(rc >= 0 && strcmp(body, reply) == 0);
    return rc == (int)strlen(reply) && strcmp(body, reply) == 0;
}

/* --- monitor --------------------------------------------------------- */

/* Monitors the CONNECT_RETRIED events of s on inproc://name; the PAIR
 * that receives them. */
static void *monitor_open(void *ctx, void *s, const char *name)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://%s", name);
    CHECK_EQ(zmq_socket_monitor(s, ep, ZMQ_EVENT_CONNECT_RETRIED), 0);
    void *m = new_sock(ctx, ZMQ_PAIR);
    if (m != NULL && zmq_connect(m, ep) != 0) {
        CHECK(0 && "monitor connect");
        zmq_close(m);
        return NULL;
    }
    return m;
}

/* Waits up to timeout_ms for the event `want`.  1 when it came, with its
 * value and endpoint (NUL-terminated, may be NULL); 0 otherwise. */
static int monitor_wait(void *m, int want, int timeout_ms, uint32_t *value,
                        char *ep, size_t eplen)
{
    long long deadline = test_now_ms() + timeout_ms;
    for (;;) {
        long long left = deadline - test_now_ms();
        if (left <= 0)
            return 0;
        set_int(m, ZMQ_RCVTIMEO, (int)left);
        unsigned char head[6];
        int rc = zmq_recv(m, head, sizeof head, 0);
        if (rc < 0)
            return 0;
        CHECK_EQ(rc, 6);
        int more = 0;
        size_t sz = sizeof more;
        zmq_getsockopt(m, ZMQ_RCVMORE, &more, &sz);
        CHECK_EQ(more, 1);
        char addr[256];
        set_int(m, ZMQ_RCVTIMEO, TIMEOUT_MS);
        rc = recv_str(m, addr, sizeof addr, 0, NULL);
        CHECK(rc >= 0);
        uint16_t event;
        uint32_t v;
        memcpy(&event, head, 2);
        memcpy(&v, head + 2, 4);
        if (event != want)
            continue;
        if (value != NULL)
            *value = v;
        if (ep != NULL && eplen > 0)
            snprintf(ep, eplen, "%s", rc >= 0 ? addr : "");
        return 1;
    }
}

/* ------------------------------------------------------------------------ */
/* The fake SOCKS5 proxy                                                     */
/* ------------------------------------------------------------------------ */

/* What the proxy does with each connection it accepts. */
struct socks_script {
    int require_auth;          /* pick method 2 and check the credentials */
    char user[256], pass[256]; /* the credentials it expects */
    int auth_status;           /* status sent when they match (0: success) */
    int method;                /* -1: pick as above; else send this byte */
    int close_after_greeting;  /* close as soon as the greeting is read */
    int silent_after_greeting; /* read the greeting, never answer */
    int garbage_reply;         /* answer CONNECT with 10 bytes, version 4 */
    int rep;                   /* REP byte of the CONNECT reply */
};

/* What it saw (the last connection's values, counts over all). */
struct socks_seen {
    int connections;  /* TCP connections accepted */
    int bad_versions; /* greetings whose version byte was not 5 */
    int first_byte;   /* the first byte of the last such greeting */
    int greetings;    /* well-formed greetings */
    int nmethods;     /* methods of the last greeting */
    unsigned char methods[255];
    int auths;        /* username/password subnegotiations */
    int auth_version; /* their version byte (must be 1) */
    char user[256], pass[256];
    int requests;       /* CONNECT requests */
    int cmd, rsv, atyp; /* of the last request */
    unsigned char addr[16];
    char host[256]; /* the address as text (a name or a literal) */
    int port;
    int relays;        /* connections relayed to the target */
    int failures;      /* connections failed on purpose */
    int client_closed; /* failures after which the library closed */
    int lingering;     /* failures it did not close within CLOSE_WAIT_MS */
    long bytes_after_failure; /* what it sent after a failure answer */
    int errors;               /* protocol violations or proxy trouble */
    char note[160];           /* the last of them */
};

struct socks_proxy {
    int listen_fd;
    int stop_rd, stop_wr; /* self-pipe: readable once the proxy must stop */
    int port;
    char addr[64]; /* "127.0.0.1:port", for ZMQ_SOCKS_PROXY */
    pthread_t thread;
    pthread_mutex_t mu; /* guards script and seen */
    struct socks_script script;
    struct socks_seen seen;
};

/* A script that lets every connection through (no authentication). */
static struct socks_script script_ok(void)
{
    struct socks_script s;
    memset(&s, 0, sizeof s);
    s.method = -1;
    return s;
}

static void px_error(struct socks_proxy *p, const char *what, int value)
{
    pthread_mutex_lock(&p->mu);
    p->seen.errors++;
    snprintf(p->seen.note, sizeof p->seen.note, "%s (%d)", what, value);
    pthread_mutex_unlock(&p->mu);
}

/* Reads exactly n bytes from fd within TIMEOUT_MS.  0, or -1 at end of
 * stream, on an error, on timeout, or when the proxy is told to stop. */
static int px_read(struct socks_proxy *p, int fd, void *buf, size_t n)
{
    long long deadline = test_now_ms() + TIMEOUT_MS;
    size_t have = 0;
    while (have < n) {
        long long left = deadline - test_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd fds[2] = {{fd, POLLIN, 0}, {p->stop_rd, POLLIN, 0}};
        int rc = poll(fds, 2, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0 || fds[1].revents != 0)
            return -1;
        ssize_t got = recv(fd, (char *)buf + have, n - have, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        have += (size_t)got;
    }
    return 0;
}

/* After a failure answer: the library must close the connection without
 * sending anything more.  Waits for that (bounded), records, closes. */
static void px_fail(struct socks_proxy *p, int c)
{
    pthread_mutex_lock(&p->mu);
    p->seen.failures++;
    pthread_mutex_unlock(&p->mu);
    long long deadline = test_now_ms() + CLOSE_WAIT_MS;
    long extra = 0;
    int closed = 0, stopped = 0;
    while (!closed && !stopped) {
        long long left = deadline - test_now_ms();
        if (left <= 0)
            break;
        struct pollfd fds[2] = {{c, POLLIN, 0}, {p->stop_rd, POLLIN, 0}};
        int rc = poll(fds, 2, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || fds[1].revents != 0) {
            stopped = 1;
            break;
        }
        if (rc == 0)
            break;
        char buf[512];
        ssize_t got = recv(c, buf, sizeof buf, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got > 0)
            extra += got;
        else
            closed = 1; /* end of stream, or reset */
    }
    pthread_mutex_lock(&p->mu);
    p->seen.bytes_after_failure += extra;
    if (closed)
        p->seen.client_closed++;
    else if (!stopped)
        p->seen.lingering++;
    pthread_mutex_unlock(&p->mu);
    close(c);
}

/* A blocking connection to the target of the request; the fd or -1. */
static int px_connect_target(int atyp, const unsigned char *addr, int port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (atyp == 4) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        memcpy(&a6->sin6_addr, addr, 16);
        a6->sin6_port = htons((uint16_t)port);
        len = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        if (atyp == 1)
            memcpy(&a4->sin_addr, addr, 4);
        else /* a name: this proxy only knows the loopback */
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a4->sin_port = htons((uint16_t)port);
        len = sizeof *a4;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Copies bytes both ways until a side closes or the proxy stops. */
static void px_relay(struct socks_proxy *p, int a, int b)
{
    char buf[4096];
    for (;;) {
        struct pollfd fds[3] = {
            {a, POLLIN, 0}, {b, POLLIN, 0}, {p->stop_rd, POLLIN, 0}};
        int rc = poll(fds, 3, -1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || fds[2].revents != 0)
            return;
        for (int i = 0; i < 2; i++) {
            if (fds[i].revents == 0)
                continue;
            ssize_t got = recv(fds[i].fd, buf, sizeof buf, 0);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0 ||
                test_write_all(fds[1 - i].fd, buf, (size_t)got) != 0)
                return;
        }
    }
}

/* One connection from the library, played as the script says. */
static void px_serve(struct socks_proxy *p, int c)
{
    struct socks_script sc;
    pthread_mutex_lock(&p->mu);
    p->seen.connections++;
    sc = p->script;
    pthread_mutex_unlock(&p->mu);

    /* Greeting: 05 n methods... */
    unsigned char buf[300];
    if (px_read(p, c, buf, 2) != 0) {
        px_error(p, "greeting cut short", 0);
        close(c);
        return;
    }
    if (buf[0] != 5) {
        pthread_mutex_lock(&p->mu);
        p->seen.bad_versions++;
        p->seen.first_byte = buf[0];
        pthread_mutex_unlock(&p->mu);
        close(c);
        return;
    }
    int n = buf[1];
    unsigned char methods[255];
    if (n == 0 || px_read(p, c, methods, (size_t)n) != 0) {
        px_error(p, "greeting without methods", n);
        close(c);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->seen.greetings++;
    p->seen.nmethods = n;
    memcpy(p->seen.methods, methods, (size_t)n);
    pthread_mutex_unlock(&p->mu);
    if (sc.close_after_greeting) {
        pthread_mutex_lock(&p->mu);
        p->seen.failures++;
        pthread_mutex_unlock(&p->mu);
        close(c);
        return;
    }
    if (sc.silent_after_greeting) {
        /* The library must give up (HANDSHAKE_IVL) and close. */
        px_fail(p, c);
        return;
    }

    /* Choice: 05 method. */
    int has_none = memchr(methods, 0x00, (size_t)n) != NULL;
    int has_pass = memchr(methods, 0x02, (size_t)n) != NULL;
    int method;
    if (sc.method >= 0)
        method = sc.method;
    else if (sc.require_auth)
        method = has_pass ? 0x02 : 0xFF;
    else
        method = has_none ? 0x00 : 0xFF;
    unsigned char choice[2] = {5, (unsigned char)method};
    if (test_write_all(c, choice, 2) != 0) {
        px_error(p, "choice not sent", errno);
        close(c);
        return;
    }
    if ((method != 0x00 && method != 0x02) || (method == 0x00 && !has_none) ||
        (method == 0x02 && !has_pass)) {
        px_fail(p, c);
        return;
    }

    /* Username/password: 01 ulen user plen pass; status: 01 status. */
    if (method == 0x02) {
        char user[256], pass[256];
        unsigned char len = 0;
        if (px_read(p, c, buf, 2) != 0 || px_read(p, c, user, buf[1]) != 0) {
            px_error(p, "auth cut short", 0);
            close(c);
            return;
        }
        int version = buf[0];
        user[buf[1]] = '\0';
        if (px_read(p, c, &len, 1) != 0 || px_read(p, c, pass, len) != 0) {
            px_error(p, "auth cut short", 1);
            close(c);
            return;
        }
        pass[len] = '\0';
        pthread_mutex_lock(&p->mu);
        p->seen.auths++;
        p->seen.auth_version = version;
        memcpy(p->seen.user, user, sizeof user);
        memcpy(p->seen.pass, pass, sizeof pass);
        pthread_mutex_unlock(&p->mu);
        int match = version == 1 && strcmp(user, sc.user) == 0 &&
                    strcmp(pass, sc.pass) == 0;
        unsigned char status[2] = {
            1, (unsigned char)(match ? sc.auth_status : 0x01)};
        if (test_write_all(c, status, 2) != 0) {
            px_error(p, "auth status not sent", errno);
            close(c);
            return;
        }
        if (status[1] != 0) {
            px_fail(p, c);
            return;
        }
    }

    /* CONNECT: 05 01 00 atyp addr port. */
    if (px_read(p, c, buf, 4) != 0) {
        px_error(p, "request cut short", 0);
        close(c);
        return;
    }
    int version = buf[0], cmd = buf[1], rsv = buf[2], atyp = buf[3];
    unsigned char addr[16] = {0};
    char host[256] = "";
    int ok = version == 5;
    if (ok && atyp == 1) {
        ok = px_read(p, c, addr, 4) == 0;
        if (ok)
            inet_ntop(AF_INET, addr, host, sizeof host);
    } else if (ok && atyp == 4) {
        ok = px_read(p, c, addr, 16) == 0;
        if (ok)
            inet_ntop(AF_INET6, addr, host, sizeof host);
    } else if (ok && atyp == 3) {
        unsigned char len = 0;
        ok = px_read(p, c, &len, 1) == 0 && px_read(p, c, host, len) == 0;
        host[ok ? len : 0] = '\0';
    } else
        ok = 0;
    unsigned char pb[2];
    if (!ok || px_read(p, c, pb, 2) != 0) {
        px_error(p, "bad request (version, atyp)", version * 256 + atyp);
        close(c);
        return;
    }
    int port = pb[0] * 256 + pb[1];
    pthread_mutex_lock(&p->mu);
    p->seen.requests++;
    p->seen.cmd = cmd;
    p->seen.rsv = rsv;
    p->seen.atyp = atyp;
    memcpy(p->seen.addr, addr, sizeof addr);
    memcpy(p->seen.host, host, sizeof host);
    p->seen.port = port;
    pthread_mutex_unlock(&p->mu);

    /* Reply: 05 rep 00 01 0.0.0.0 0. */
    unsigned char reply[10] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    if (sc.garbage_reply) {
        /* A well-formed success in every byte but the version. */
        reply[0] = 4;
        test_write_all(c, reply, sizeof reply);
        px_fail(p, c);
        return;
    }
    if (sc.rep != 0) {
        reply[1] = (unsigned char)sc.rep;
        test_write_all(c, reply, sizeof reply);
        px_fail(p, c);
        return;
    }
    if (cmd != 1 || rsv != 0) {
        reply[1] = 0x07; /* command not supported */
        test_write_all(c, reply, sizeof reply);
        px_error(p, "request not CONNECT 00", cmd * 256 + rsv);
        close(c);
        return;
    }
    int t = px_connect_target(atyp, addr, port);
    if (t < 0) {
        reply[1] = 0x05;
        test_write_all(c, reply, sizeof reply);
        px_error(p, "target connect failed", errno);
        close(c);
        return;
    }
    if (test_write_all(c, reply, sizeof reply) != 0) {
        px_error(p, "reply not sent", errno);
        close(t);
        close(c);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->seen.relays++;
    pthread_mutex_unlock(&p->mu);
    px_relay(p, c, t);
    close(t);
    close(c);
}

static void *px_main(void *arg)
{
    struct socks_proxy *p = arg;
    for (;;) {
        struct pollfd fds[2] = {{p->listen_fd, POLLIN, 0},
                                {p->stop_rd, POLLIN, 0}};
        int rc = poll(fds, 2, -1);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0 || fds[1].revents != 0)
            break;
        if (fds[0].revents & POLLIN) {
            int c = accept(p->listen_fd, NULL, NULL);
            if (c >= 0)
                px_serve(p, c);
        }
    }
    return NULL;
}

/* Starts a proxy on 127.0.0.1 with an ephemeral port.  0 or -1. */
static int proxy_start(struct socks_proxy *p, const struct socks_script *sc)
{
    memset(p, 0, sizeof *p);
    p->script = *sc;
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (p->listen_fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int fds[2];
    if (bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(p->listen_fd, 16) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)&a, &len) != 0 ||
        pipe(fds) != 0) {
        close(p->listen_fd);
        return -1;
    }
    p->stop_rd = fds[0];
    p->stop_wr = fds[1];
    p->port = ntohs(a.sin_port);
    snprintf(p->addr, sizeof p->addr, "127.0.0.1:%d", p->port);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->thread, NULL, px_main, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        close(p->stop_rd);
        close(p->stop_wr);
        close(p->listen_fd);
        return -1;
    }
    return 0;
}

/* Stops the proxy thread (wherever it waits), joins it, closes all. */
static void proxy_stop(struct socks_proxy *p)
{
    CHECK_EQ(write(p->stop_wr, "x", 1), 1);
    CHECK_EQ(pthread_join(p->thread, NULL), 0);
    close(p->listen_fd);
    close(p->stop_rd);
    close(p->stop_wr);
    pthread_mutex_destroy(&p->mu);
}

static void proxy_set_script(struct socks_proxy *p,
                             const struct socks_script *sc)
{
    pthread_mutex_lock(&p->mu);
    p->script = *sc;
    pthread_mutex_unlock(&p->mu);
}

static void proxy_seen(struct socks_proxy *p, struct socks_seen *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->seen;
    pthread_mutex_unlock(&p->mu);
}

static void proxy_report(const struct socks_seen *s)
{
    fprintf(stderr,
            "  proxy saw: %d connections, %d greetings, %d bad versions "
            "(last first byte 0x%02x), %d auths, %d requests, %d relays, "
            "%d failures (%d closed by the library, %d lingering, %ld bytes "
            "after), %d errors%s%s\n",
            s->connections, s->greetings, s->bad_versions, s->first_byte,
            s->auths, s->requests, s->relays, s->failures, s->client_closed,
            s->lingering, s->bytes_after_failure, s->errors,
            s->errors ? ": " : "", s->errors ? s->note : "");
}

/* Polls what the proxy recorded until pred holds or timeout_ms passes;
 * the last snapshot in *out.  1 if pred held. */
static int proxy_wait(struct socks_proxy *p,
                      int (*pred)(const struct socks_seen *), int timeout_ms,
                      struct socks_seen *out)
{
    long long deadline = test_now_ms() + timeout_ms;
    for (;;) {
        proxy_seen(p, out);
        if (pred(out))
            return 1;
        if (test_now_ms() >= deadline)
            return 0;
        test_sleep_ms(5);
    }
}

/* A connection got through, or something went wrong that a successful
 * exchange would not have shown. */
static int relayed_or_broken(const struct socks_seen *s)
{
    return s->relays > 0 || s->bad_versions > 0 || s->errors > 0 ||
           s->failures > 0;
}

/* The library came back after the first connection had ended. */
static int two_connections(const struct socks_seen *s)
{
    return s->connections >= 2;
}

/* ------------------------------------------------------------------------ */
/* The two shapes of case                                                    */
/* ------------------------------------------------------------------------ */

/* Round trip DEALER -> proxy -> ROUTER and back, the DEALER connecting to
 * tcp://<host>:<port of the ROUTER>.  *seen gets what the proxy saw,
 * *router_port the ROUTER's port. */
static void run_success(const struct socks_script *sc, const char *user,
                        const char *pass, const char *host,
                        struct socks_seen *seen, int *router_port)
{
    memset(seen, 0, sizeof *seen);
    *router_port = -1;
    int fds_before = test_count_fds();
    struct socks_proxy px;
    REQUIRE(proxy_start(&px, sc) == 0);
    void *ctx = zmq_ctx_new();
    CHECK(ctx != NULL);
    void *router = new_sock(ctx, ZMQ_ROUTER);
    void *dealer = new_sock(ctx, ZMQ_DEALER);
    char ep[256];
    CHECK_EQ(bind_ep(router, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    *router_port = port_of(ep);
    CHECK(*router_port > 0);

    set_str(dealer, ZMQ_SOCKS_PROXY, px.addr);
    if (user != NULL)
        set_str(dealer, ZMQ_SOCKS_USERNAME, user);
    if (pass != NULL)
        set_str(dealer, ZMQ_SOCKS_PASSWORD, pass);
    char target[300];
    snprintf(target, sizeof target, "tcp://%s:%d", host, *router_port);
    CHECK_EQ(zmq_connect(dealer, target), 0);
    CHECK_EQ(zmq_send(dealer, "hello", 5, 0), 5);

    /* Fail fast when the exchange goes wrong instead of waiting for the
     * ROUTER's receive to time out. */
    if (proxy_wait(&px, relayed_or_broken, TIMEOUT_MS, seen) &&
        seen->relays > 0) {
        CHECK(round_trip(dealer, router, "hello", "world"));
    } else {
        CHECK(0 && "no connection relayed by the proxy");
    }

    CHECK_EQ(zmq_close(dealer), 0);
    CHECK_EQ(zmq_close(router), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    proxy_seen(&px, seen);
    proxy_stop(&px);
    if (seen->relays != 1 || seen->errors != 0 || seen->bad_versions != 0)
        proxy_report(seen);
    CHECK_EQ(seen->relays, 1);
    CHECK_EQ(seen->connections, 1);
    CHECK_EQ(seen->failures, 0);
    CHECK_EQ(seen->errors, 0);
    CHECK_EQ(seen->bad_versions, 0);
    CHECK_EQ(seen->requests, 1);
    CHECK_EQ(seen->cmd, 1);
    CHECK_EQ(seen->rsv, 0);
    CHECK_EQ(seen->port, *router_port);
    CHECK_EQ(test_count_fds(), fds_before);
}

/* The proxy fails the DEALER's connections as `bad` says: the library
 * must close each without sending more, retry (CONNECT_RETRIED) after
 * ZMQ_RECONNECT_IVL, and not deliver its queued message.  Then the proxy
 * plays `good` and the message must arrive.  *seen gets what the proxy
 * saw while it failed the connections. */
static void run_failure(const struct socks_script *bad,
                        const struct socks_script *good, const char *user,
                        const char *pass, const char *mon_name,
                        struct socks_seen *seen)
{
    memset(seen, 0, sizeof *seen);
    int fds_before = test_count_fds();
    struct socks_proxy px;
    REQUIRE(proxy_start(&px, bad) == 0);
    void *ctx = zmq_ctx_new();
    CHECK(ctx != NULL);
    void *router = new_sock(ctx, ZMQ_ROUTER);
    void *dealer = new_sock(ctx, ZMQ_DEALER);
    char ep[256];
    CHECK_EQ(bind_ep(router, "tcp://127.0.0.1:*", ep, sizeof ep), 0);

    set_int(dealer, ZMQ_RECONNECT_IVL, 50);
    /* Bounds a silent proxy; well under the proxy's CLOSE_WAIT_MS. */
    set_int(dealer, ZMQ_HANDSHAKE_IVL, 500);
    set_str(dealer, ZMQ_SOCKS_PROXY, px.addr);
    if (user != NULL)
        set_str(dealer, ZMQ_SOCKS_USERNAME, user);
    if (pass != NULL)
        set_str(dealer, ZMQ_SOCKS_PASSWORD, pass);
    void *mon = monitor_open(ctx, dealer, mon_name);
    CHECK(mon != NULL);
    CHECK_EQ(zmq_connect(dealer, ep), 0);
    /* Queued on the pipe zmq_connect made (ZMQ_IMMEDIATE is 0). */
    CHECK_EQ(zmq_send(dealer, "queued", 6, 0), 6);

    uint32_t value = 0;
    char evep[256] = "";
    int retried =
        mon != NULL && monitor_wait(mon, ZMQ_EVENT_CONNECT_RETRIED, TIMEOUT_MS,
                                    &value, evep, sizeof evep);
    CHECK(retried);
    if (retried) {
        CHECK(value > 0);
        if (strcmp(evep, ep) != 0)
            fprintf(stderr, "  CONNECT_RETRIED endpoint '%s', wanted '%s'\n",
                    evep, ep);
        CHECK(strcmp(evep, ep) == 0);
    }
    /* Without a retry there is no point waiting for a second connection
     * or for the recovery: fail fast. */
    int again = retried ? proxy_wait(&px, two_connections, TIMEOUT_MS, seen)
                        : (proxy_seen(&px, seen), 0);
    CHECK(again);
    if (seen->connections < 2 || seen->relays != 0 || seen->errors != 0 ||
        seen->bad_versions != 0 || seen->lingering != 0 ||
        seen->bytes_after_failure != 0)
        proxy_report(seen);
    /* Each connection ended as the script said, the library closing it
     * without a byte more. */
    CHECK_EQ(seen->relays, 0);
    CHECK_EQ(seen->errors, 0);
    CHECK_EQ(seen->bad_versions, 0);
    CHECK(seen->failures >= 1);
    CHECK_EQ(seen->bytes_after_failure, 0);
    CHECK_EQ(seen->lingering, 0);
    /* Nothing was delivered. */
    char buf[64];
    CHECK_ERR(zmq_recv(router, buf, sizeof buf, ZMQ_DONTWAIT), -1, EAGAIN);

    /* The proxy agrees now: the queued message goes through. */
    proxy_set_script(&px, good);
    if (again)
        CHECK(round_trip(dealer, router, "queued", "done"));

    if (mon != NULL)
        CHECK_EQ(zmq_close(mon), 0);
    CHECK_EQ(zmq_close(dealer), 0);
    CHECK_EQ(zmq_close(router), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    struct socks_seen end;
    proxy_seen(&px, &end);
    proxy_stop(&px);
    if (end.relays != 1 || end.errors != 0)
        proxy_report(&end);
    CHECK_EQ(end.relays, 1);
    CHECK_EQ(end.errors, 0);
    CHECK_EQ(end.bytes_after_failure, 0);
    CHECK_EQ(end.lingering, 0);
    CHECK_EQ(test_count_fds(), fds_before);
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */
/* ------------------------------------------------------------------------ */

/* 1. No authentication, an IPv4 literal target. */
static void test_no_auth_ipv4(void)
{
    struct socks_script sc = script_ok();
    struct socks_seen seen;
    int port;
    run_success(&sc, NULL, NULL, "127.0.0.1", &seen, &port);
    CHECK_EQ(seen.greetings, 1);
    CHECK_EQ(seen.nmethods, 1);
    CHECK_EQ(seen.methods[0], 0x00);
    CHECK_EQ(seen.auths, 0);
    CHECK_EQ(seen.atyp, 1);
    const unsigned char loopback[4] = {127, 0, 0, 1};
    CHECK(memcmp(seen.addr, loopback, 4) == 0);
    CHECK(strcmp(seen.host, "127.0.0.1") == 0);
    CHECK_EQ(seen.port, port);
}

/* 2. A host name is passed to the proxy, not resolved by the library. */
static void test_host_name(void)
{
    struct socks_script sc = script_ok();
    struct socks_seen seen;
    int port;
    run_success(&sc, NULL, NULL, "localhost", &seen, &port);
    CHECK_EQ(seen.nmethods, 1);
    CHECK_EQ(seen.methods[0], 0x00);
    CHECK_EQ(seen.atyp, 3);
    if (strcmp(seen.host, "localhost") != 0)
        fprintf(stderr, "  host '%s'\n", seen.host);
    CHECK(strcmp(seen.host, "localhost") == 0);
    CHECK_EQ(seen.port, port);
}

/* 3. Username/password authentication. */
static void test_auth(void)
{
    struct socks_script sc = script_ok();
    sc.require_auth = 1;
    strcpy(sc.user, "alice");
    strcpy(sc.pass, "secret");
    struct socks_seen seen;
    int port;
    run_success(&sc, "alice", "secret", "127.0.0.1", &seen, &port);
    /* With a username, username/password is the only method offered,
     * as libzmq does. */
    CHECK_EQ(seen.nmethods, 1);
    CHECK_EQ(seen.methods[0], 0x02);
    CHECK_EQ(seen.auths, 1);
    CHECK_EQ(seen.auth_version, 1);
    CHECK(strcmp(seen.user, "alice") == 0);
    CHECK(strcmp(seen.pass, "secret") == 0);
    CHECK_EQ(seen.atyp, 1);
    CHECK_EQ(seen.port, port);
}

/* 4. The proxy refuses the connection (REP 05), then accepts it. */
static void test_refused(void)
{
    struct socks_script bad = script_ok(), good = script_ok();
    bad.rep = 0x05;
    struct socks_seen seen;
    run_failure(&bad, &good, NULL, NULL, "socks-refused", &seen);
    /* The library went as far as the request each time. */
    CHECK(seen.requests >= 2);
    CHECK_EQ(seen.atyp, 1);
    CHECK(strcmp(seen.host, "127.0.0.1") == 0);
}

/* 5. A reply of the wrong version (the rest of it a valid success). */
static void test_bad_reply(void)
{
    struct socks_script bad = script_ok(), good = script_ok();
    bad.garbage_reply = 1;
    struct socks_seen seen;
    run_failure(&bad, &good, NULL, NULL, "socks-garbage", &seen);
    CHECK(seen.requests >= 1);
}

/* 6. No acceptable method (05 FF): no request follows. */
static void test_no_acceptable_method(void)
{
    struct socks_script bad = script_ok(), good = script_ok();
    bad.method = 0xFF;
    struct socks_seen seen;
    run_failure(&bad, &good, NULL, NULL, "socks-nomethod", &seen);
    CHECK(seen.greetings >= 2);
    CHECK_EQ(seen.requests, 0);
}

/* 7. The options, and "" for a direct connection. */
static void test_options(void)
{
    int fds_before = test_count_fds();
    struct socks_script sc = script_ok();
    struct socks_proxy px;
    REQUIRE(proxy_start(&px, &sc) == 0);
    void *ctx = zmq_ctx_new();
    CHECK(ctx != NULL);
    void *router = new_sock(ctx, ZMQ_ROUTER);
    void *dealer = new_sock(ctx, ZMQ_DEALER);

    char buf[300];
    size_t len = sizeof buf;
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(zmq_getsockopt(dealer, ZMQ_SOCKS_PROXY, buf, &len), 0);
    CHECK_EQ(len, 1);
    CHECK_EQ(buf[0], '\0');

    set_str(dealer, ZMQ_SOCKS_PROXY, px.addr);
    len = sizeof buf;
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(zmq_getsockopt(dealer, ZMQ_SOCKS_PROXY, buf, &len), 0);
    CHECK_EQ(len, strlen(px.addr) + 1);
    CHECK_EQ(buf[strlen(px.addr)], '\0');
    CHECK(strcmp(buf, px.addr) == 0);

    set_str(dealer, ZMQ_SOCKS_USERNAME, "alice");
    len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(dealer, ZMQ_SOCKS_USERNAME, buf, &len), 0);
    CHECK_EQ(len, 6);
    CHECK(strcmp(buf, "alice") == 0);
    set_str(dealer, ZMQ_SOCKS_PASSWORD, "secret");
    len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(dealer, ZMQ_SOCKS_PASSWORD, buf, &len), 0);
    CHECK_EQ(len, 7);
    CHECK(strcmp(buf, "secret") == 0);

    /* Up to 255 bytes. */
    char big[256];
    memset(big, 'u', sizeof big);
    CHECK_EQ(zmq_setsockopt(dealer, ZMQ_SOCKS_USERNAME, big, 255), 0);
    CHECK_ERR(zmq_setsockopt(dealer, ZMQ_SOCKS_USERNAME, big, 256), -1, EINVAL);
    CHECK_EQ(zmq_setsockopt(dealer, ZMQ_SOCKS_PASSWORD, big, 255), 0);
    CHECK_ERR(zmq_setsockopt(dealer, ZMQ_SOCKS_PASSWORD, big, 256), -1, EINVAL);
    len = sizeof buf;
    CHECK_EQ(zmq_getsockopt(dealer, ZMQ_SOCKS_USERNAME, buf, &len), 0);
    CHECK_EQ(len, 256);

    /* "" turns the proxy off again. */
    CHECK_EQ(zmq_setsockopt(dealer, ZMQ_SOCKS_PROXY, "", 0), 0);
    len = sizeof buf;
    memset(buf, 'x', sizeof buf);
    CHECK_EQ(zmq_getsockopt(dealer, ZMQ_SOCKS_PROXY, buf, &len), 0);
    CHECK_EQ(len, 1);
    CHECK_EQ(buf[0], '\0');

    char ep[256];
    CHECK_EQ(bind_ep(router, "tcp://127.0.0.1:*", ep, sizeof ep), 0);
    CHECK_EQ(zmq_connect(dealer, ep), 0);
    CHECK_EQ(zmq_send(dealer, "direct", 6, 0), 6);
    CHECK(round_trip(dealer, router, "direct", "back"));

    CHECK_EQ(zmq_close(dealer), 0);
    CHECK_EQ(zmq_close(router), 0);
    CHECK_EQ(zmq_ctx_term(ctx), 0);
    struct socks_seen seen;
    proxy_seen(&px, &seen);
    proxy_stop(&px);
    CHECK_EQ(seen.connections, 0);
    CHECK_EQ(test_count_fds(), fds_before);
}

/* 8. The proxy rejects the credentials (status 01), then accepts them. */
static void test_auth_rejected(void)
{
    struct socks_script bad = script_ok();
    bad.require_auth = 1;
    strcpy(bad.user, "alice");
    strcpy(bad.pass, "secret");
    bad.auth_status = 0x01;
    struct socks_script good = bad;
    good.auth_status = 0;
    struct socks_seen seen;
    run_failure(&bad, &good, "alice", "secret", "socks-authrej", &seen);
    CHECK(seen.auths >= 1);
    CHECK(strcmp(seen.user, "alice") == 0);
    CHECK(strcmp(seen.pass, "secret") == 0);
    CHECK_EQ(seen.requests, 0);
}

/* 9. The proxy picks a method the library did not offer (02 without a
 * username): no credentials and no request follow. */
static void test_unoffered_method(void)
{
    struct socks_script bad = script_ok(), good = script_ok();
    bad.method = 0x02;
    struct socks_seen seen;
    run_failure(&bad, &good, NULL, NULL, "socks-unoffered", &seen);
    CHECK(seen.greetings >= 2);
    CHECK_EQ(seen.nmethods, 1);
    CHECK_EQ(seen.methods[0], 0x00);
    CHECK_EQ(seen.requests, 0);
}

/* 10. The proxy closes as soon as it has read the greeting. */
static void test_proxy_closes(void)
{
    struct socks_script bad = script_ok(), good = script_ok();
    bad.close_after_greeting = 1;
    struct socks_seen seen;
    run_failure(&bad, &good, NULL, NULL, "socks-closes", &seen);
    CHECK(seen.greetings >= 2);
    CHECK_EQ(seen.requests, 0);
}

/* 11. The proxy reads the greeting and never answers: HANDSHAKE_IVL
 * ends the attempt, the library closes and tries again. */
static void test_proxy_silent(void)
{
    struct socks_script bad = script_ok(), good = script_ok();
    bad.silent_after_greeting = 1;
    struct socks_seen seen;
    run_failure(&bad, &good, NULL, NULL, "socks-silent", &seen);
    CHECK(seen.greetings >= 2);
    CHECK(seen.client_closed >= 1);
    CHECK_EQ(seen.requests, 0);
}

TEST_MAIN(TEST(test_no_auth_ipv4), TEST(test_host_name), TEST(test_auth),
          TEST(test_refused), TEST(test_bad_reply),
          TEST(test_no_acceptable_method), TEST(test_options),
          TEST(test_auth_rejected), TEST(test_unoffered_method),
          TEST(test_proxy_closes), TEST(test_proxy_silent))
