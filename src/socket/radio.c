/* SPDX-License-Identifier: MPL-2.0 */
/*
 * RADIO: thread-safe, single-part publisher to DISH sockets by group.
 *
 * Each connection keeps the set of groups its DISH joined, learnt from
 * the JOIN/LEAVE commands the DISH sends up the pipe (groups.h); the
 * pipe is read dry whenever it is activated and when it is attached, so
 * JOINs queued before the connection reached us count at once.  A send
 * goes to every connection whose set holds the message's group exactly
 * (no prefix matching), as a shared copy of the message that keeps its
 * group.  A message without a group has group "" and, as in libzmq,
 * reaches only DISHes that joined the empty group.
 *
 * Flow control as libzmq: by default a connection at its high-water mark
 * just misses the message (lossy).  With ZMQ_XPUB_NODROP set, a send
 * where any matching connection is full delivers to none and says
 * EAGAIN (so a blocking send waits for room); connections that are
 * closing are not waited for.
 *
 * Cost of a send: one hash of the group, then one probe per connection.
 * Connections sit in an array; pipe->index[0] is each one's position.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipe.h"
#include "socket/groups.h"
#include "socket/socket.h"
#include "socket/types.h"

struct radio_peer {
    struct zmq__pipe *pipe;
    struct zmq__groups groups;
    bool all; /* a udp endpoint: every group goes (no JOIN on udp) */
};

struct radio {
    struct radio_peer *peers;
    size_t n, cap;
    bool nodrop;
};

static struct radio *radio_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static struct radio_peer *peer_of(struct radio *r, struct zmq__pipe *p)
{
    size_t i = p->index[0];
    return i < r->n && r->peers[i].pipe == p ? &r->peers[i] : NULL;
}

static void radio_fini(struct zmq__socket *s)
{
    struct radio *r = radio_of(s);
    for (size_t i = 0; i < r->n; i++)
        zmq__groups_fini(&r->peers[i].groups);
    free(r->peers);
}

/* Applies what a DISH sent: JOIN and LEAVE commands.  Anything else is
 * not for a RADIO and is dropped. */
static void take_upstream(struct radio_peer *peer, struct zmq__msg *m)
{
    bool join;
    const char *name;
    size_t len;
    if (zmq__groups_command_parse(m, &join, &name, &len) < 0)
        return;
    if (join)
        zmq__groups_add(&peer->groups, name, len); /* -ENOMEM: not joined */
    else
        zmq__groups_remove(&peer->groups, name, len); /* unknown: ignored */
}

static void radio_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct radio_peer *peer = peer_of(radio_of(s), p);
    if (peer == NULL)
        return;
    struct zmq__msg m;
    zmq__msg_init(&m);
    while (zmq__pipe_read(p, &m) == 0) {
        take_upstream(peer, &m);
        zmq__msg_close(&m);
        zmq__msg_init(&m);
    }
    zmq__msg_close(&m);
}

static int radio_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct radio *r = radio_of(s);
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        struct radio_peer *v = realloc(r->peers, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        r->peers = v;
        r->cap = cap;
    }
    p->index[0] = r->n;
    r->peers[r->n++] = (struct radio_peer){.pipe = p, .all = p->subscribe_all};
    radio_read_activated(s, p);
    return 0;
}

static void radio_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct radio *r = radio_of(s);
    struct radio_peer *peer = peer_of(r, p);
    if (peer == NULL)
        return;
    zmq__groups_fini(&peer->groups);
    *peer = r->peers[--r->n];
    if (peer != &r->peers[r->n])
        peer->pipe->index[0] = (size_t)(peer - r->peers);
}

static void radio_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* Sends check each pipe's room directly. */
    (void)s;
    (void)p;
}

static bool matches(const struct radio_peer *peer, const char *group,
                    size_t len, uint32_t hash)
{
    return peer->pipe->state == ZMQ__PIPE_ACTIVE &&
           (peer->all || zmq__groups_find(&peer->groups, group, len, hash) > 0);
}

static int radio_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    if (zmq__msg_more(msg))
        return -EINVAL;
    struct radio *r = radio_of(s);
    const char *group = zmq__msg_group(msg);
    size_t len = strlen(group);
    uint32_t hash = zmq__groups_hash(group, len);

    if (r->nodrop) {
        for (size_t i = 0; i < r->n; i++)
            if (matches(&r->peers[i], group, len, hash) &&
                !zmq__pipe_check_write(r->peers[i].pipe))
                return -EAGAIN;
    }
    for (size_t i = 0; i < r->n; i++) {
        if (!matches(&r->peers[i], group, len, hash))
            continue;
        struct zmq__msg copy;
        zmq__msg_init(&copy);
        zmq__msg_copy(&copy, msg);
        if (zmq__pipe_write(r->peers[i].pipe, &copy) == 0)
            zmq__pipe_flush(r->peers[i].pipe);
        else
            zmq__msg_close(&copy); /* full (lossy) or out of memory */
    }
    zmq__msg_close(msg);
    zmq__msg_init(msg);
    return 0;
}

static int radio_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    (void)s;
    (void)msg;
    return -ENOTSUP;
}

static bool radio_has_in(struct zmq__socket *s)
{
    (void)s;
    return false;
}

static bool radio_has_out(struct zmq__socket *s)
{
    /* As libzmq: a RADIO always reports it can send. */
    (void)s;
    return true;
}

static int radio_setsockopt(struct zmq__socket *s, int option, const void *val,
                            size_t len)
{
    int v;
    if (option != ZMQ_XPUB_NODROP || len != sizeof v)
        return -EINVAL;
    memcpy(&v, val, sizeof v);
    if (v < 0)
        return -EINVAL;
    radio_of(s)->nodrop = v != 0;
    return 0;
}

const struct zmq__socket_ops zmq__socket_radio_ops = {
    .name = "RADIO",
    .thread_safe = true,
    .size = sizeof(struct radio),
    .fini = radio_fini,
    .attach_pipe = radio_attach,
    .pipe_terminated = radio_terminated,
    .read_activated = radio_read_activated,
    .write_activated = radio_write_activated,
    .send = radio_send,
    .recv = radio_recv,
    .has_in = radio_has_in,
    .has_out = radio_has_out,
    .setsockopt = radio_setsockopt,
};
