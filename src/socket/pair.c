/* SPDX-License-Identifier: MPL-2.0 */
/*
 * PAIR (RFC 31): exactly one peer, both directions, multipart allowed.  A
 * second connection while one is attached is refused.  CHANNEL is the
 * thread-safe, single-part PAIR.
 */
#include <errno.h>

#include "core/pipe.h"
#include "socket/socket.h"
#include "socket/types.h"

struct pair {
    struct zmq__pipe *pipe;
};

static struct pair *pair_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

static int pair_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct pair *pr = pair_of(s);
    if (pr->pipe != NULL)
        return -EBUSY;
    pr->pipe = p;
    return 0;
}

static void pair_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct pair *pr = pair_of(s);
    if (pr->pipe == p)
        pr->pipe = NULL;
}

static void pair_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* Nothing to track: the next call tries the one pipe. */
    (void)s;
    (void)p;
}

static int pair_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct pair *pr = pair_of(s);
    if (pr->pipe == NULL)
        return -EAGAIN;
    bool more = zmq__msg_more(msg);
    int rc = zmq__pipe_write(pr->pipe, msg);
    if (rc == 0 && !more)
        zmq__pipe_flush(pr->pipe);
    return rc;
}

static int pair_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct pair *pr = pair_of(s);
    return pr->pipe != NULL ? zmq__pipe_read(pr->pipe, msg) : -EAGAIN;
}

static bool pair_has_in(struct zmq__socket *s)
{
    struct pair *pr = pair_of(s);
    return pr->pipe != NULL && zmq__pipe_check_read(pr->pipe);
}

static bool pair_has_out(struct zmq__socket *s)
{
    struct pair *pr = pair_of(s);
    return pr->pipe != NULL && zmq__pipe_check_write(pr->pipe);
}

const struct zmq__socket_ops zmq__socket_pair_ops = {
    .name = "PAIR",
    .size = sizeof(struct pair),
    .attach_pipe = pair_attach,
    .pipe_terminated = pair_terminated,
    .read_activated = pair_activated,
    .write_activated = pair_activated,
    .send = pair_send,
    .recv = pair_recv,
    .has_in = pair_has_in,
    .has_out = pair_has_out,
};

static int channel_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    return zmq__msg_more(msg) ? -EINVAL : pair_send(s, msg);
}

static int channel_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    for (;;) {
        int rc = pair_recv(s, msg);
        if (rc < 0 || !zmq__msg_more(msg))
            return rc;
        /* A multipart message: drop it whole (single-part socket). */
        while (zmq__msg_more(msg)) {
            zmq__msg_close(msg);
            zmq__msg_init(msg);
            if (pair_recv(s, msg) < 0)
                break;
        }
        zmq__msg_close(msg);
        zmq__msg_init(msg);
    }
}

const struct zmq__socket_ops zmq__socket_channel_ops = {
    .name = "CHANNEL",
    .thread_safe = true,
    .size = sizeof(struct pair),
    .attach_pipe = pair_attach,
    .pipe_terminated = pair_terminated,
    .read_activated = pair_activated,
    .write_activated = pair_activated,
    .send = channel_send,
    .recv = channel_recv,
    .has_in = pair_has_in,
    .has_out = pair_has_out,
};
