/* SPDX-License-Identifier: MPL-2.0 */
/*
 * SERVER (RFC 48) and PEER (RFC 51): thread-safe, single-part sockets
 * that name every connection with a 32-bit routing id.  Received
 * messages carry the id of the connection they came from; a message sent
 * with an id goes to that connection only (EHOSTUNREACH when there is no
 * such connection, EAGAIN/blocking when it is full).  PEER is SERVER
 * that can also connect and learn the id of the connection it made
 * (zmq__socket_connect_peer).
 *
 * Ids come from a counter starting at a random value; the allocator
 * skips 0 and ids in use (idmap.c).  The counter and the map are only
 * touched with the socket's mutex held, so an id is assigned atomically
 * with the creation of its connection.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/pipe.h"
#include "core/random.h"
#include "socket/idmap.h"
#include "socket/socket.h"
#include "socket/types.h"

struct server {
    struct zmq__idmap ids;
    struct zmq__pipe_set in;
    struct zmq__msg_queue local; /* DISCONNECT_MSG notices */
};

static struct server *server_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int server_init(struct zmq__socket *s)
{
    struct server *sv = server_of(s);
    zmq__idmap_init(&sv->ids, zmq__random_u32());
    s->options.can_send_hello_msg = 1;
    s->options.can_recv_disconnect_msg = 1;
    return 0;
}

static void server_fini(struct zmq__socket *s)
{
    struct server *sv = server_of(s);
    zmq__idmap_fini(&sv->ids);
    zmq__pipe_set_fini(&sv->in);
    zmq__msg_queue_fini(&sv->local);
}

int zmq__server_reserve(struct zmq__socket *s, struct zmq__pipe *p)
{
    return zmq__idmap_add(&server_of(s)->ids, p);
}

static int server_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct server *sv = server_of(s);
    /* A session may have reserved the id already (socket.h). */
    bool reserved =
        p->routing_id != 0 && zmq__idmap_find(&sv->ids, p->routing_id) == p;
    int rc = reserved ? 0 : zmq__idmap_add(&sv->ids, p);
    if (rc < 0)
        return rc;
    rc = zmq__pipe_set_add(&sv->in, p);
    if (rc < 0) {
        zmq__idmap_remove(&sv->ids, p);
        return rc;
    }
    zmq__socket_send_hello(s, p);
    return 0;
}

static void server_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct server *sv = server_of(s);
    zmq__idmap_remove(&sv->ids, p);
    zmq__pipe_set_remove(&sv->in, p);
    zmq__socket_queue_disconnect_msg(s, &sv->local, p);
}

static void server_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&server_of(s)->in, p);
}

static void server_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* Sends look pipes up by id and check them directly. */
    (void)s;
    (void)p;
}

static int server_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    if (zmq__msg_more(msg))
        return -EINVAL;
    struct zmq__pipe *p = zmq__idmap_find(&server_of(s)->ids, msg->routing_id);
    /* A connection being closed is as unreachable as one that is gone. */
    if (p == NULL || p->state != ZMQ__PIPE_ACTIVE)
        return -EHOSTUNREACH;
    uint32_t id = msg->routing_id;
    msg->routing_id = 0; /* the peer never sees our id for it */
    int rc = zmq__pipe_write(p, msg);
    if (rc < 0) {
        msg->routing_id = id;
        return rc;
    }
    zmq__pipe_flush(p);
    return 0;
}

static int server_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct server *sv = server_of(s);
    if (zmq__msg_queue_pop(&sv->local, msg))
        return 0;
    struct zmq__pipe *from;
    int rc = zmq__fq_recv_single(&sv->in, msg, &from);
    if (rc == 0)
        msg->routing_id = from->routing_id;
    return rc;
}

static bool server_has_in(struct zmq__socket *s)
{
    struct server *sv = server_of(s);
    return sv->local.n > 0 || zmq__fq_has_in(&sv->in);
}

static bool server_has_out(struct zmq__socket *s)
{
    /* A send may always be tried; it fails per connection. */
    (void)s;
    return true;
}

const struct zmq__socket_ops zmq__socket_server_ops = {
    .name = "SERVER",
    .thread_safe = true,
    .size = sizeof(struct server),
    .init = server_init,
    .fini = server_fini,
    .attach_pipe = server_attach,
    .pipe_terminated = server_terminated,
    .read_activated = server_read_activated,
    .write_activated = server_write_activated,
    .send = server_send,
    .recv = server_recv,
    .has_in = server_has_in,
    .has_out = server_has_out,
};

static int peer_init(struct zmq__socket *s)
{
    server_init(s);
    s->options.can_recv_hiccup_msg = 1;
    return 0;
}

const struct zmq__socket_ops zmq__socket_peer_ops = {
    .name = "PEER",
    .thread_safe = true,
    .size = sizeof(struct server),
    .init = peer_init,
    .fini = server_fini,
    .attach_pipe = server_attach,
    .pipe_terminated = server_terminated,
    .read_activated = server_read_activated,
    .write_activated = server_write_activated,
    .send = server_send,
    .recv = server_recv,
    .has_in = server_has_in,
    .has_out = server_has_out,
};

struct zmq__pipe *zmq__socket_server_find(struct zmq__socket *s, uint32_t id)
{
    return zmq__idmap_find(&server_of(s)->ids, id);
}
