/* SPDX-License-Identifier: MPL-2.0 */
/*
 * DISH: thread-safe, single-part subscriber to RADIO groups.
 *
 * zmq_join / zmq_leave change the set of joined groups (groups.h) and
 * tell every connection with a JOIN or LEAVE command message (the form
 * groups.h describes); a new connection is sent a JOIN for every group
 * already joined, so joining before or after connecting is the same.  As
 * in libzmq, joining a group twice or leaving one not joined is EINVAL,
 * and a command that finds its pipe full is lost for that connection
 * (the pipe holds SNDHWM + the RADIO's RCVHWM messages over inproc, and
 * the RADIO reads commands as soon as it runs).
 *
 * Input is fair-queued; messages of more than one part and messages whose
 * group is not joined (exact match) are dropped.  Because of that filter,
 * "is there input" can only be answered by reading: has_in reads ahead
 * and keeps the first acceptable message for the next recv.
 */
#include <errno.h>
#include <string.h>

#include "core/pipe.h"
#include "socket/groups.h"
#include "socket/socket.h"
#include "socket/types.h"

struct dish {
    struct zmq__pipe_set in;  /* fair queue (slot 0) */
    struct zmq__pipe_set all; /* every connection, for commands (slot 1) */
    struct zmq__groups joined;
    struct zmq__msg ahead; /* read by has_in, valid when has_ahead */
    bool has_ahead;
};

static struct dish *dish_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int dish_init(struct zmq__socket *s)
{
    dish_of(s)->all.slot = 1;
    s->options.filter = 1;
    return 0;
}

static void dish_fini(struct zmq__socket *s)
{
    struct dish *d = dish_of(s);
    if (d->has_ahead)
        zmq__msg_close(&d->ahead);
    zmq__groups_fini(&d->joined);
    zmq__pipe_set_fini(&d->in);
    zmq__pipe_set_fini(&d->all);
}

/* Sends one JOIN or LEAVE to p; lost when p is full or closing. */
static void send_command(struct zmq__pipe *p, bool join, const char *name,
                         size_t len)
{
    struct zmq__msg m;
    if (zmq__groups_command_init(&m, join, name, len) < 0)
        return;
    if (zmq__pipe_write(p, &m) == 0)
        zmq__pipe_flush(p);
    else
        zmq__msg_close(&m);
}

static int dish_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct dish *d = dish_of(s);
    int rc = zmq__pipe_set_add(&d->in, p);
    if (rc < 0)
        return rc;
    rc = zmq__pipe_set_add(&d->all, p);
    if (rc < 0) {
        zmq__pipe_set_remove(&d->in, p);
        return rc;
    }
    size_t pos = 0, len;
    const char *name;
    while ((name = zmq__groups_next(&d->joined, &pos, &len)) != NULL)
        send_command(p, true, name, len);
    return 0;
}

static void dish_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_remove(&dish_of(s)->in, p);
    zmq__pipe_set_remove(&dish_of(s)->all, p);
}

static void dish_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&dish_of(s)->in, p);
}

static void dish_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* Commands are written whatever the set's state says. */
    (void)s;
    (void)p;
}

static int group_op(struct zmq__socket *s, const char *group, bool join)
{
    struct dish *d = dish_of(s);
    size_t len = strlen(group);
    if (join) {
        if (zmq__groups_find(&d->joined, group, len,
                             zmq__groups_hash(group, len)) > 0)
            return -EINVAL;
        int rc = zmq__groups_add(&d->joined, group, len);
        if (rc < 0)
            return rc;
    } else {
        if (zmq__groups_remove(&d->joined, group, len) < 0)
            return -EINVAL;
    }
    for (size_t i = 0; i < d->all.n; i++)
        send_command(d->all.pipes[i], join, group, len);
    return 0;
}

static int dish_join(struct zmq__socket *s, const char *group)
{
    return group_op(s, group, true);
}

static int dish_leave(struct zmq__socket *s, const char *group)
{
    return group_op(s, group, false);
}

static bool wanted(struct dish *d, const struct zmq__msg *msg)
{
    const char *group = zmq__msg_group(msg);
    size_t len = strlen(group);
    return !(msg->flags & ZMQ__MSG_COMMAND) &&
           zmq__groups_find(&d->joined, group, len,
                            zmq__groups_hash(group, len)) > 0;
}

/* The next message of a joined group from the connections, or -EAGAIN. */
static int read_joined(struct dish *d, struct zmq__msg *msg)
{
    for (;;) {
        struct zmq__pipe *from;
        int rc = zmq__fq_recv_single(&d->in, msg, &from);
        if (rc < 0 || wanted(d, msg))
            return rc;
        zmq__msg_close(msg);
        zmq__msg_init(msg);
    }
}

static int dish_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct dish *d = dish_of(s);
    if (d->has_ahead) {
        d->has_ahead = false;
        /* Its group may have been left since has_in read it. */
        if (wanted(d, &d->ahead)) {
            /* msg is unused (socket.c passes a fresh one): take over. */
            *msg = d->ahead;
            return 0;
        }
        zmq__msg_close(&d->ahead);
    }
    return read_joined(d, msg);
}

static bool dish_has_in(struct zmq__socket *s)
{
    struct dish *d = dish_of(s);
    if (!d->has_ahead) {
        zmq__msg_init(&d->ahead);
        d->has_ahead = read_joined(d, &d->ahead) == 0;
        if (!d->has_ahead)
            zmq__msg_close(&d->ahead);
    }
    return d->has_ahead;
}

static int dish_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    (void)s;
    (void)msg;
    return -ENOTSUP;
}

static bool dish_has_out(struct zmq__socket *s)
{
    (void)s;
    return false;
}

const struct zmq__socket_ops zmq__socket_dish_ops = {
    .name = "DISH",
    .thread_safe = true,
    .size = sizeof(struct dish),
    .init = dish_init,
    .fini = dish_fini,
    .attach_pipe = dish_attach,
    .pipe_terminated = dish_terminated,
    .read_activated = dish_read_activated,
    .write_activated = dish_write_activated,
    .send = dish_send,
    .recv = dish_recv,
    .has_in = dish_has_in,
    .has_out = dish_has_out,
    .join = dish_join,
    .leave = dish_leave,
};
