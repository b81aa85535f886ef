/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The udp engine.  Output: messages are pulled from the session while
 * the socket takes datagrams; a datagram the kernel refuses for now
 * (EAGAIN) waits for the socket to turn writable.  Input: every datagram
 * read becomes one message (DISH) or two (DGRAM) when the pipe has room,
 * and is dropped otherwise.
 */
#include "engine/udp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/msg.h"
#include "engine/session.h"
#include "poll/poller.h"
#include "zmq.h"

struct udp {
    struct zmq__engine base;
    struct zmq__session *session;
    int fd;
    int type;
    struct zmq__poller *poller;
    struct zmq__poller_entry *entry;
    bool has_dest;
    struct zmq__sockaddr dest;
    bool out_active;
    /* A datagram waiting for the socket to take it. */
    size_t pending;
    struct zmq__sockaddr pending_to;
    unsigned char out[ZMQ__UDP_MAX];
    unsigned char in[ZMQ__UDP_MAX + 1];
    /* DGRAM: the address part of the message being pulled. */
    bool have_addr;
    struct zmq__sockaddr addr;
};

/* "ip:port" (numeric only: no lookups on an I/O thread) to an address. */
static bool parse_addr(const void *data, size_t n, struct zmq__sockaddr *out)
{
    char text[ZMQ__SOCKADDR_URI_MAX];
    if (n == 0 || n >= sizeof text)
        return false;
    memcpy(text, data, n);
    text[n] = '\0';
    if (zmq__tcp_needs_lookup(text, false))
        return false;
    struct zmq__tcp_target t;
    if (zmq__tcp_resolve(text, false, true, &t) < 0)
        return false;
    *out = t.addr;
    return true;
}

/* Builds the next datagram into u->out; false when there is none. */
static bool next_datagram(struct udp *u)
{
    struct zmq__msg m;
    for (;;) {
        zmq__msg_init(&m);
        if (zmq__session_pull(u->session, &m) < 0)
            return false;
        size_t n = zmq__msg_size(&m);
        if (u->type == ZMQ_DGRAM) {
            if (!u->have_addr) {
                u->have_addr = zmq__msg_more(&m) &&
                               parse_addr(zmq__msg_data(&m), n, &u->addr);
                zmq__msg_close(&m);
                continue;
            }
            u->have_addr = false;
            bool ok = n <= ZMQ__UDP_MAX;
            if (ok) {
                memcpy(u->out, zmq__msg_data(&m), n);
                u->pending = n;
                u->pending_to = u->addr;
            }
            zmq__msg_close(&m);
            if (ok)
                return true;
            continue;
        }
        if (m.flags & ZMQ__MSG_COMMAND) {
            zmq__msg_close(&m); /* JOIN/LEAVE mean nothing on udp */
            continue;
        }
        const char *group = zmq__msg_group(&m);
        size_t glen = strlen(group);
        bool ok = u->has_dest && 1 + glen + n <= ZMQ__UDP_MAX;
        if (ok) {
            u->out[0] = (unsigned char)glen;
            memcpy(u->out + 1, group, glen);
            memcpy(u->out + 1 + glen, zmq__msg_data(&m), n);
            u->pending = 1 + glen + n;
            u->pending_to = u->dest;
        }
        zmq__msg_close(&m);
        if (ok)
            return true;
    }
}

static void write_out(struct udp *u)
{
    for (;;) {
        if (u->pending == 0 && !next_datagram(u)) {
            if (u->out_active) {
                u->out_active = false;
                zmq__poller_reset_out(u->poller, u->entry);
            }
            zmq__session_drained(u->session);
            return;
        }
        ssize_t rc =
            sendto(u->fd, u->out, u->pending, MSG_NOSIGNAL,
                   (struct sockaddr *)&u->pending_to.ss, u->pending_to.len);
        if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!u->out_active) {
                u->out_active = true;
                zmq__poller_set_out(u->poller, u->entry);
            }
            return;
        }
        /* Sent, or refused for good (unreachable, too big): next. */
        u->pending = 0;
    }
}

static void deliver(struct udp *u, size_t n, const struct sockaddr_storage *ss,
                    socklen_t len)
{
    struct zmq__msg m;
    if (u->type == ZMQ_DGRAM) {
        char from[ZMQ__SOCKADDR_URI_MAX];
        int k = zmq__sockaddr_to_uri((const struct sockaddr *)ss, len, from,
                                     sizeof from);
        if (k < 6)
            return;
        const char *text = from + 6; /* after "tcp://" */
        struct zmq__msg a;
        if (zmq__msg_init_buffer(&a, text, strlen(text)) < 0)
            return;
        a.flags |= ZMQ__MSG_MORE;
        if (zmq__msg_init_buffer(&m, u->in, n) < 0) {
            zmq__msg_close(&a);
            return;
        }
        if (zmq__session_push(u->session, &a) < 0) {
            zmq__msg_close(&a);
            zmq__msg_close(&m);
            return;
        }
        if (zmq__session_push(u->session, &m) < 0)
            zmq__msg_close(&m); /* cannot happen: one message counts once */
        return;
    }
    /* DISH: [group length][group][body]. */
    if (n < 1 || (size_t)u->in[0] + 1 > n)
        return;
    size_t glen = u->in[0];
    char group[ZMQ_GROUP_MAX_LENGTH + 1];
    memcpy(group, u->in + 1, glen);
    group[glen] = '\0';
    if (strlen(group) != glen)
        return;
    if (zmq__msg_init_buffer(&m, u->in + 1 + glen, n - 1 - glen) < 0)
        return;
    if (zmq__msg_set_group(&m, group) < 0 ||
        zmq__session_push(u->session, &m) < 0)
        zmq__msg_close(&m);
}

static void in_event(void *arg)
{
    struct udp *u = arg;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        ssize_t n = recvfrom(u->fd, u->in, sizeof u->in, MSG_TRUNC,
                             (struct sockaddr *)&ss, &len);
        if (n < 0)
            break;
        if ((size_t)n > ZMQ__UDP_MAX)
            continue; /* truncated: too big for the format */
        deliver(u, (size_t)n, &ss, len);
    }
    zmq__session_flush(u->session);
}

static void out_event(void *arg)
{
    write_out(arg);
}

static const struct zmq__poller_ops udp_poll_ops = {
    .in_event = in_event,
    .out_event = out_event,
};

static void udp_plug(struct zmq__engine *base, struct zmq__poller *p)
{
    struct udp *u = (struct udp *)base;
    u->poller = p;
    while (zmq__poller_add(p, u->fd, &udp_poll_ops, u, &u->entry) == -ENOMEM)
        ;
    if (u->type != ZMQ_RADIO)
        zmq__poller_set_in(p, u->entry);
    zmq__session_engine_ready(u->session, NULL, 0);
    write_out(u);
}

static void udp_restart_input(struct zmq__engine *base)
{
    (void)base; /* datagrams that found the pipe full were dropped */
}

static void udp_restart_output(struct zmq__engine *base)
{
    struct udp *u = (struct udp *)base;
    if (!u->out_active)
        write_out(u);
}

static bool udp_ready(const struct zmq__engine *base)
{
    (void)base;
    return true;
}

static bool udp_drained(const struct zmq__engine *base)
{
    return ((const struct udp *)base)->pending == 0;
}

static int udp_fd(const struct zmq__engine *base)
{
    return ((const struct udp *)base)->fd;
}

static void udp_free(struct zmq__engine *base)
{
    struct udp *u = (struct udp *)base;
    if (u->entry != NULL)
        zmq__poller_remove(u->poller, u->entry);
    close(u->fd);
    free(u);
}

static const struct zmq__engine_ops udp_engine_ops = {
    .plug = udp_plug,
    .restart_input = udp_restart_input,
    .restart_output = udp_restart_output,
    .ready = udp_ready,
    .drained = udp_drained,
    .fd = udp_fd,
    .free = udp_free,
};

struct zmq__engine *zmq__udp_engine_new(struct zmq__session *s, int fd,
                                        const struct zmq__sockaddr *dest,
                                        int *err)
{
    struct udp *u = calloc(1, sizeof *u);
    if (u == NULL) {
        close(fd);
        *err = -ENOMEM;
        return NULL;
    }
    u->base.ops = &udp_engine_ops;
    u->session = s;
    u->fd = fd;
    u->type = s->options.socket_type;
    if (dest != NULL) {
        u->has_dest = true;
        u->dest = *dest;
    }
    return &u->base;
}
