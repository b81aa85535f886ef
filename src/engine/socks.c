/* SPDX-License-Identifier: MPL-2.0 */
/*
 * SOCKS5 client exchange (see socks.h).  Messages, RFC 1928/1929:
 *
 *   greeting   05 n m1..mn              choice   05 m
 *   auth       01 ulen user plen pass   status   01 00 (success)
 *   connect    05 01 00 atyp addr port  reply    05 rep 00 atyp addr port
 *
 * atyp 01: 4 address bytes, 04: 16, 03: a length byte and a name.
 */
#include "engine/socks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum { METHOD_NONE = 0x00, METHOD_PASSWORD = 0x02 };
enum { ATYP_IPV4 = 0x01, ATYP_NAME = 0x03, ATYP_IPV6 = 0x04 };
enum { REP_REFUSED = 0x05 };

enum stage { CHOICE, AUTH_STATUS, REPLY_HEAD, REPLY_NAME_LEN, REPLY_REST };

/* The largest message either side sends: auth, 3 + 2 * 255 bytes. */
#define MSG_MAX 520

struct zmq__socks {
    enum stage stage;
    unsigned char out[MSG_MAX];
    size_t out_len, out_pos;
    unsigned char in[MSG_MAX];
    size_t in_len, in_need;
    /* The CONNECT request, sent once the method is settled. */
    unsigned char request[4 + 1 + 255 + 2];
    size_t request_len;
    unsigned char user[255], pass[255];
    size_t user_size, pass_size;
};

/* Builds the CONNECT request for target into x->request. */
static int build_request(struct zmq__socks *x, const char *target)
{
    const char *semi = strrchr(target, ';');
    if (semi != NULL)
        target = semi + 1;
    const char *colon = strrchr(target, ':');
    if (colon == NULL)
        return -EINVAL;
    const char *p = colon + 1;
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 5 || p[digits] != '\0')
        return -EINVAL;
    unsigned long port = strtoul(p, NULL, 10);
    if (port > 65535)
        return -EINVAL;

    const char *host = target;
    size_t host_len = (size_t)(colon - target);
    if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
        host++;
        host_len -= 2;
    }
    if (host_len == 0 || host_len > 255)
        return -EINVAL;
    char name[256];
    memcpy(name, host, host_len);
    name[host_len] = '\0';

    unsigned char *r = x->request;
    size_t n = 0;
    r[n++] = 0x05;
    r[n++] = 0x01; /* CONNECT */
    r[n++] = 0x00;
    if (inet_pton(AF_INET, name, r + n + 1) == 1) {
        r[n++] = ATYP_IPV4;
        n += 4;
    } else if (inet_pton(AF_INET6, name, r + n + 1) == 1) {
        r[n++] = ATYP_IPV6;
        n += 16;
    } else {
        if (strchr(name, '%') != NULL || strchr(name, ':') != NULL)
            return -EINVAL; /* a zone cannot travel; not a name either */
        r[n++] = ATYP_NAME;
        r[n++] = (unsigned char)host_len;
        memcpy(r + n, name, host_len);
        n += host_len;
    }
    r[n++] = (unsigned char)(port >> 8);
    r[n++] = (unsigned char)port;
    x->request_len = n;
    return 0;
}

static void queue_out(struct zmq__socks *x, const unsigned char *data, size_t n)
{
    memcpy(x->out, data, n);
    x->out_len = n;
    x->out_pos = 0;
}

static void expect(struct zmq__socks *x, enum stage stage, size_t n)
{
    x->stage = stage;
    x->in_len = 0;
    x->in_need = n;
}

int zmq__socks_new(const char *target, const void *user, size_t user_size,
                   const void *pass, size_t pass_size, struct zmq__socks **out)
{
    *out = NULL;
    if (user_size > 255 || pass_size > 255)
        return -EINVAL;
    struct zmq__socks *x = calloc(1, sizeof *x);
    if (x == NULL)
        return -ENOMEM;
    int rc = build_request(x, target);
    if (rc < 0) {
        free(x);
        return rc;
    }
    if (user_size > 0)
        memcpy(x->user, user, user_size);
    if (pass_size > 0)
        memcpy(x->pass, pass, pass_size);
    x->user_size = user_size;
    x->pass_size = pass_size;

    /* As libzmq: with a username, username/password is the only method
     * offered. */
    unsigned char greeting[3] = {0x05, 1,
                                 user_size > 0 ? METHOD_PASSWORD : METHOD_NONE};
    queue_out(x, greeting, sizeof greeting);
    expect(x, CHOICE, 2);
    *out = x;
    return 0;
}

void zmq__socks_free(struct zmq__socks *x)
{
    if (x == NULL)
        return;
    /* The credentials do not outlive the exchange in memory. */
    memset(x, 0, sizeof *x);
    free(x);
}

/* A complete answer is in x->in: the next step, 1 when done, or an
 * error. */
static int answer(struct zmq__socks *x)
{
    const unsigned char *in = x->in;
    switch (x->stage) {
    case CHOICE:
        if (in[0] != 0x05)
            return -EPROTO;
        if (in[1] == METHOD_NONE && x->user_size == 0) {
            queue_out(x, x->request, x->request_len);
            expect(x, REPLY_HEAD, 4);
            return 0;
        }
        if (in[1] == METHOD_PASSWORD && x->user_size > 0) {
            unsigned char auth[MSG_MAX];
            size_t n = 0;
            auth[n++] = 0x01;
            auth[n++] = (unsigned char)x->user_size;
            memcpy(auth + n, x->user, x->user_size);
            n += x->user_size;
            auth[n++] = (unsigned char)x->pass_size;
            memcpy(auth + n, x->pass, x->pass_size);
            n += x->pass_size;
            queue_out(x, auth, n);
            memset(auth, 0, sizeof auth);
            expect(x, AUTH_STATUS, 2);
            return 0;
        }
        return -EPROTO; /* 0xFF (nothing acceptable) or one not offered */
    case AUTH_STATUS:
        if (in[0] != 0x01 || in[1] != 0x00)
            return -EPROTO;
        queue_out(x, x->request, x->request_len);
        expect(x, REPLY_HEAD, 4);
        return 0;
    case REPLY_HEAD:
        if (in[0] != 0x05 || in[2] != 0x00)
            return -EPROTO;
        if (in[1] != 0x00)
            return in[1] == REP_REFUSED ? -ECONNREFUSED : -EPROTO;
        /* The bound address follows; read it and the port, no more. */
        switch (in[3]) {
        case ATYP_IPV4:
            x->stage = REPLY_REST;
            x->in_need = 4 + 4 + 2;
            return 0;
        case ATYP_IPV6:
            x->stage = REPLY_REST;
            x->in_need = 4 + 16 + 2;
            return 0;
        case ATYP_NAME:
            x->stage = REPLY_NAME_LEN;
            x->in_need = 5;
            return 0;
        default:
            return -EPROTO;
        }
    case REPLY_NAME_LEN:
        x->stage = REPLY_REST;
        x->in_need = 5 + (size_t)in[4] + 2;
        return 0;
    case REPLY_REST:
        return 1;
    }
    return -EPROTO;
}

int zmq__socks_step(struct zmq__socks *x, int fd, bool *want_write)
{
    *want_write = false;
    for (;;) {
        while (x->out_pos < x->out_len) {
            ssize_t n = send(fd, x->out + x->out_pos, x->out_len - x->out_pos,
                             MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    *want_write = true;
                    return 0;
                }
                return -errno;
            }
            x->out_pos += (size_t)n;
        }
        while (x->in_len < x->in_need) {
            ssize_t n = recv(fd, x->in + x->in_len, x->in_need - x->in_len, 0);
            if (n == 0)
                return -ECONNRESET;
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return 0;
                return -errno;
            }
            x->in_len += (size_t)n;
        }
        int rc = answer(x);
        if (rc != 0)
            return rc;
    }
}
