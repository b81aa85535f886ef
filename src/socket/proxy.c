/* SPDX-License-Identifier: MPL-2.0 */
/*
 * zmq_proxy / zmq_proxy_steerable: moves whole messages between a
 * frontend and a backend socket in the caller's thread.
 *
 * How.  Each direction (frontend -> backend, and backend -> frontend
 * unless both are one socket) is a small state machine that waits for
 * exactly one thing at a time:
 *
 *  - its source to be readable (POLLIN), when the destination could take
 *    a message last time we looked;
 *  - its destination to be writable (POLLOUT), when it could not.
 *
 * Waiting on one thing only means zmq__poll never returns for a socket
 * that is ready in a way the proxy cannot use (a readable frontend with a
 * full backend would otherwise wake it for ever).  When its event fires,
 * a direction moves up to PROXY_BURST whole messages: before receiving
 * the first part of each message it asks the destination for ZMQ_EVENTS
 * and receives only if the destination reports POLLOUT, so a message is
 * never taken from a source that cannot pass it on.  High-water marks
 * count whole messages, so once the first part is out the other parts
 * follow at once; each part is sent without blocking all the same, and
 * a part the destination refuses (a race with a peer going away) is
 * kept, not dropped, and sent first when the destination is writable
 * again.  Parts go out in the order they came in, with ZMQ_SNDMORE as
 * they had it, and each part is first copied to the capture socket
 * (zmq_msg_copy shares the body) with the same MORE flag.  Moving whole
 * messages one direction at a time keeps every message whole.
 *
 * Control.  The control socket is polled for POLLIN; its commands are
 * single-part strings, handled before any forwarding of the same wake-up:
 * PAUSE stops both directions (only the control socket is polled then),
 * RESUME restarts them, TERMINATE returns 0, STATISTICS replies with
 * eight uint64_t frames in host byte order, in the order of libzmq's
 * documentation: frontend messages received, bytes received, messages
 * sent, bytes sent, then the same four for the backend.  A multipart
 * message counts once, with the bytes of all its parts; a message counts
 * when its last part has been sent (as libzmq).  Unknown commands and
 * multipart control messages are ignored.  Every command but STATISTICS
 * is answered with an empty message when the control socket is a REP
 * socket (REP must reply), and not answered otherwise, as documented for
 * libzmq 4.3.5.  Control messages are not copied to the capture socket.
 *
 * Why the caller's thread and zmq__poll: the sockets belong to the
 * caller, and zmq__poll reports -ETERM when the context terminates, which
 * is how zmq_proxy returns -1 ETERM.  A message held in the proxy when it
 * returns (a part the destination refused, see above) is dropped then,
 * like everything else queued in a terminating context.
 *
 * Errors: 0 after TERMINATE, or a negative errno: -ETERM, or whatever a
 * receive, send or poll failed with (passed through, as libzmq does).
 */
#include "socket/proxy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/msg.h"
#include "poll/socket_poll.h"
#include "socket/socket.h"
#include "zmq.h"

/* Messages moved per direction per wake-up (libzmq's proxy_burst_size). */
#define PROXY_BURST 1000

/* Per socket, as STATISTICS reports them. */
struct proxy_stats {
    uint64_t msgs_in, bytes_in, msgs_out, bytes_out;
};

struct direction {
    struct zmq__socket *from, *to;
    struct proxy_stats *from_stats, *to_stats;
    struct zmq__msg part; /* the part held while `pending` */
    bool pending;         /* part received (and captured), not yet sent */
    bool mid_message;     /* parts of a message moved, more to come */
    bool want_out;        /* waiting for `to` to become writable */
    uint64_t msg_bytes;   /* bytes of the message in flight so far */
};

enum proxy_state { PROXY_ACTIVE, PROXY_PAUSED, PROXY_TERMINATED };

struct proxy {
    struct zmq__socket *capture, *control;
    struct direction dirs[2];
    int ndirs;
    enum proxy_state state;
    struct proxy_stats frontend_stats, backend_stats;
};

/* ZMQ_EVENTS of s, or a negative errno. */
static int socket_events(struct zmq__socket *s)
{
    int ev = 0;
    size_t len = sizeof ev;
    int rc = zmq__socket_getsockopt(s, ZMQ_EVENTS, &ev, &len);
    return rc < 0 ? rc : ev;
}

/* Sends a copy of part to the capture socket with the same MORE flag. */
static int capture_part(struct zmq__socket *capture, struct zmq__msg *part)
{
    struct zmq__msg copy;
    zmq__msg_init(&copy);
    int rc = zmq__msg_copy(&copy, part);
    if (rc == 0)
        rc = zmq__socket_send(capture, &copy,
                              zmq__msg_more(part) ? ZMQ_SNDMORE : 0);
    zmq__msg_close(&copy);
    return rc < 0 ? rc : 0;
}

/* Moves up to PROXY_BURST whole messages along d, never blocking.  On
 * return d says what to wait for next (want_out). */
static int forward(struct proxy *px, struct direction *d)
{
    int moved = 0;
    while (moved < PROXY_BURST) {
        int rc;
        if (!d->pending) {
            if (!d->mid_message) {
                /* A new message: take it only if it can go on. */
                int ev = socket_events(d->to);
                if (ev < 0)
                    return ev;
                if (!(ev & ZMQ_POLLOUT)) {
                    d->want_out = true;
                    return 0;
                }
            }
            rc = zmq__socket_recv(d->from, &d->part, ZMQ_DONTWAIT);
            if (rc == -EAGAIN) {
                d->want_out = false;
                return 0;
            }
            if (rc < 0)
                return rc;
            d->msg_bytes += zmq__msg_size(&d->part);
            d->pending = true;
            if (px->capture != NULL) {
                rc = capture_part(px->capture, &d->part);
                if (rc < 0)
                    return rc;
            }
        }
        bool more = zmq__msg_more(&d->part);
        rc = zmq__socket_send(d->to, &d->part,
                              ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
        if (rc == -EAGAIN) {
            d->want_out = true; /* keep the part; resend when writable */
            return 0;
        }
        if (rc < 0)
            return rc;
        d->pending = false;
        d->mid_message = more;
        if (!more) {
            d->from_stats->msgs_in++;
            d->from_stats->bytes_in += d->msg_bytes;
            d->to_stats->msgs_out++;
            d->to_stats->bytes_out += d->msg_bytes;
            d->msg_bytes = 0;
            moved++;
        }
    }
    /* Burst done: the next poll returns at once if more is waiting. */
    return 0;
}

/* Sends one uint64_t frame. */
static int send_u64(struct zmq__socket *s, uint64_t value, int flags)
{
    struct zmq__msg m;
    int rc = zmq__msg_init_buffer(&m, &value, sizeof value);
    if (rc < 0)
        return rc;
    rc = zmq__socket_send(s, &m, flags);
    zmq__msg_close(&m);
    return rc < 0 ? rc : 0;
}

static int reply_stats(struct proxy *px)
{
    const struct proxy_stats *st[2] = {&px->frontend_stats, &px->backend_stats};
    for (int i = 0; i < 2; i++) {
        const uint64_t v[4] = {st[i]->msgs_in, st[i]->bytes_in, st[i]->msgs_out,
                               st[i]->bytes_out};
        for (int j = 0; j < 4; j++) {
            bool last = i == 1 && j == 3;
            int rc = send_u64(px->control, v[j], last ? 0 : ZMQ_SNDMORE);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* The empty reply a REP control socket owes for every other command. */
static int reply_if_rep(struct proxy *px)
{
    int type = 0;
    size_t len = sizeof type;
    int rc = zmq__socket_getsockopt(px->control, ZMQ_TYPE, &type, &len);
    if (rc < 0 || type != ZMQ_REP)
        return rc < 0 ? rc : 0;
    struct zmq__msg m;
    zmq__msg_init(&m);
    rc = zmq__socket_send(px->control, &m, 0);
    zmq__msg_close(&m);
    return rc < 0 ? rc : 0;
}

static bool is_command(const struct zmq__msg *m, const char *name)
{
    size_t n = strlen(name);
    return zmq__msg_size(m) == n &&
           memcmp(zmq__msg_data((struct zmq__msg *)m), name, n) == 0;
}

/* Acts on a single-part command; unknown ones are ignored. */
static int run_command(struct proxy *px, const struct zmq__msg *m)
{
    if (is_command(m, "STATISTICS"))
        return reply_stats(px);
    if (is_command(m, "PAUSE"))
        px->state = PROXY_PAUSED;
    else if (is_command(m, "RESUME"))
        px->state = PROXY_ACTIVE;
    else if (is_command(m, "TERMINATE"))
        px->state = PROXY_TERMINATED;
    return reply_if_rep(px);
}

/* Handles one command (or returns 0 at once when none is waiting). */
static int handle_command(struct proxy *px, bool *got)
{
    struct zmq__msg m;
    zmq__msg_init(&m);
    int rc = zmq__socket_recv(px->control, &m, ZMQ_DONTWAIT);
    *got = rc >= 0;
    if (rc == -EAGAIN) {
        zmq__msg_close(&m);
        return 0;
    }
    bool multipart = rc >= 0 && zmq__msg_more(&m);
    /* A multipart control message is no command: drop all its parts. */
    struct zmq__msg rest;
    zmq__msg_init(&rest);
    bool more = multipart;
    while (rc >= 0 && more) {
        rc = zmq__socket_recv(px->control, &rest, 0);
        more = rc >= 0 && zmq__msg_more(&rest);
    }
    zmq__msg_close(&rest);
    if (rc >= 0)
        rc = multipart ? reply_if_rep(px) : run_command(px, &m);
    zmq__msg_close(&m);
    return rc;
}

/* Adds `events` on socket s to the poll items, merging per socket.
 * Returns the item's index. */
static int add_item(zmq_pollitem_t *items, int *n, struct zmq__socket *s,
                    short events)
{
    for (int i = 0; i < *n; i++) {
        if (items[i].socket == s) {
            items[i].events |= events;
            return i;
        }
    }
    items[*n] = (zmq_pollitem_t){.socket = s, .events = events};
    return (*n)++;
}

static int run(struct proxy *px)
{
    for (;;) {
        /* At most frontend, backend and control. */
        zmq_pollitem_t items[3];
        int n = 0;
        int ctl = -1, slot[2] = {-1, -1};
        short want[2] = {0, 0};
        if (px->control != NULL)
            ctl = add_item(items, &n, px->control, ZMQ_POLLIN);
        if (px->state == PROXY_ACTIVE) {
            for (int i = 0; i < px->ndirs; i++) {
                struct direction *d = &px->dirs[i];
                want[i] = d->want_out ? ZMQ_POLLOUT : ZMQ_POLLIN;
                slot[i] =
                    add_item(items, &n, d->want_out ? d->to : d->from, want[i]);
            }
        }
        int rc = zmq__poll(items, n, -1, NULL);
        if (rc < 0)
            return rc;

        if (ctl >= 0 && (items[ctl].revents & ZMQ_POLLIN)) {
            /* Commands first, a burst of them at most. */
            for (int i = 0; i < PROXY_BURST; i++) {
                bool got;
                rc = handle_command(px, &got);
                if (rc < 0)
                    return rc;
                if (px->state == PROXY_TERMINATED)
                    return 0;
                if (!got)
                    break;
            }
        }
        if (px->state != PROXY_ACTIVE)
            continue;
        for (int i = 0; i < px->ndirs; i++) {
            if (slot[i] < 0 || !(items[slot[i]].revents & want[i]))
                continue;
            rc = forward(px, &px->dirs[i]);
            if (rc < 0)
                return rc;
        }
    }
}

int zmq__proxy(struct zmq__socket *frontend, struct zmq__socket *backend,
               struct zmq__socket *capture, struct zmq__socket *control)
{
    struct proxy px = {
        .capture = capture, .control = control, .state = PROXY_ACTIVE};
    /* One socket as both ends: one direction, back out the same socket,
     * counted as received by the frontend and sent by the backend. */
    px.ndirs = frontend == backend ? 1 : 2;
    px.dirs[0] = (struct direction){.from = frontend,
                                    .to = backend,
                                    .from_stats = &px.frontend_stats,
                                    .to_stats = &px.backend_stats};
    px.dirs[1] = (struct direction){.from = backend,
                                    .to = frontend,
                                    .from_stats = &px.backend_stats,
                                    .to_stats = &px.frontend_stats};
    for (int i = 0; i < 2; i++)
        zmq__msg_init(&px.dirs[i].part);
    int rc = run(&px);
    for (int i = 0; i < 2; i++)
        zmq__msg_close(&px.dirs[i].part);
    return rc;
}
