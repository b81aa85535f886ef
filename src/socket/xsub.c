/* SPDX-License-Identifier: MPL-2.0 */
/*
 * XSUB and SUB (RFC 29).
 *
 * Incoming messages are fair-queued from the publishers.  Subscriptions
 * travel upstream as messages (byte 1 = subscribe, 0 = cancel, then the
 * topic), sent to every publisher through a distributor; a reference-
 * counted trie remembers them, so every pipe attached later (a late
 * publisher, a reconnection) first gets them all.
 *
 * XSUB sends what the application sends: subscriptions are recorded and
 * passed on, every one of them (XPUB deduplicates, and must see them all
 * for XPUB_VERBOSE through proxies); a cancel is passed on only when it
 * removes the topic's last reference, unless XSUB_VERBOSE_UNSUBSCRIBE;
 * any other message goes upstream as it is.  XSUB does not filter what
 * it receives (as libzmq: the publisher already did).
 *
 * SUB cannot send; ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE make the subscription
 * messages, and it filters incoming messages by its own trie (a message
 * matches by its first part and the rest follows; INVERT_MATCHING
 * delivers the ones that do not match).  Filtering needs a message in
 * hand, so has_in reads ahead and keeps the message for the next recv.
 *
 * ZMQ_CONFLATE on SUB: the pipes conflate (socket.h,
 * zmq__socket_conflate_dirs), each keeping its newest message, and a
 * receive here also drains what has arrived from every publisher and
 * returns only the newest matching message; multipart messages are
 * dropped.  This also replaces a message has_in read ahead by a newer
 * one, and covers the inproc pipes made before the SUB bound, which do
 * not conflate (there the HWM still applies while nothing is read).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipe.h"
#include "socket/dist.h"
#include "socket/socket.h"
#include "socket/trie.h"
#include "socket/types.h"

struct xsub {
    struct zmq__pipe_set fq; /* slot 0 */
    struct zmq__dist dist;   /* slot 1 */
    struct zmq__trie subs;
    struct zmq__msg ahead; /* read by has_in, for the next recv */
    bool has_ahead;
    bool is_sub;
    bool more_recv, more_send, process_subscribe;
    bool verbose_unsubs, only_first;
};

static struct xsub *xsub_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

/* ------------------------------------------------------------------ */
/* Sending upstream                                                   */
/* ------------------------------------------------------------------ */

/* Writes one subscription to a new pipe; dropped if the pipe is full,
 * as a SUBSCRIBE at SNDHWM is. */
static int send_subscription(const unsigned char *topic, size_t size, void *arg)
{
    struct zmq__pipe *p = arg;
    struct zmq__msg m;
    if (zmq__msg_init_size(&m, size + 1) < 0)
        return 0;
    unsigned char *d = zmq__msg_data(&m);
    d[0] = 1;
    if (size > 0)
        memcpy(d + 1, topic, size);
    if (zmq__pipe_write(p, &m) < 0)
        zmq__msg_close(&m);
    return 0;
}

static void send_to_all(struct xsub *x, struct zmq__msg *msg)
{
    if (!x->dist.more)
        zmq__dist_match_all(&x->dist);
    zmq__dist_send(&x->dist, msg);
}

/* One part from the application (XSUB send, SUB's options). */
static int xsub_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct xsub *x = xsub_of(s);
    bool first = !x->more_send;
    bool more = zmq__msg_more(msg);
    const unsigned char *data = zmq__msg_data(msg);
    size_t size = zmq__msg_size(msg);
    /* First parts are always looked at; later ones only while the
     * message is a subscription one (see ONLY_FIRST_SUBSCRIBE). */
    bool process = first || x->process_subscribe;

    if (process && size > 0 && data[0] == 1) {
        int rc = zmq__trie_add(&x->subs, data + 1, size - 1);
        if (rc < 0)
            return rc;
        x->process_subscribe = true;
    } else if (process && size > 0 && data[0] == 0) {
        int rc = zmq__trie_remove(&x->subs, data + 1, size - 1);
        x->process_subscribe = true;
        /* A cancel that leaves references behind stays here, unless
         * verbose; one in the middle of a multipart message still goes,
         * so the message keeps its frames. */
        if (rc != 1 && !x->verbose_unsubs && !x->dist.more) {
            x->more_send = more;
            zmq__msg_close(msg);
            zmq__msg_init(msg);
            return 0;
        }
    } else if (first) {
        x->process_subscribe = !x->only_first;
    }
    x->more_send = more;
    send_to_all(x, msg);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */
/* ------------------------------------------------------------------ */

static bool matches(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct xsub *x = xsub_of(s);
    bool m = zmq__trie_match(&x->subs, zmq__msg_data(msg), zmq__msg_size(msg));
    return m != (s->options.invert_matching != 0);
}

/* Reads and drops the rest of a message whose first part is in msg. */
static void drop_rest(struct xsub *x, struct zmq__pipe *from,
                      struct zmq__msg *msg)
{
    while (zmq__msg_more(msg)) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
        if (zmq__pipe_read(from, msg) < 0)
            break;
    }
    x->fq.more = false;
    zmq__msg_close(msg);
    zmq__msg_init(msg);
}

/* The next message part to deliver: filtered (SUB), conflated (SUB with
 * CONFLATE) or as it comes (XSUB). */
static int next_part(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct xsub *x = xsub_of(s);
    struct zmq__pipe *from;
    if (x->more_recv || !x->is_sub)
        return zmq__fq_recv(&x->fq, msg, &from);

    if (s->options.conflate) {
        struct zmq__msg last;
        bool have = false;
        while (zmq__fq_recv(&x->fq, msg, &from) == 0) {
            if (zmq__msg_more(msg) || !matches(s, msg)) {
                drop_rest(x, from, msg);
                continue;
            }
            if (have)
                zmq__msg_close(&last);
            last = *msg;
            have = true;
            zmq__msg_init(msg);
        }
        if (!have)
            return -EAGAIN;
        *msg = last;
        return 0;
    }

    for (;;) {
        int rc = zmq__fq_recv(&x->fq, msg, &from);
        if (rc < 0)
            return rc;
        if (matches(s, msg))
            return 0;
        drop_rest(x, from, msg);
    }
}

static int xsub_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct xsub *x = xsub_of(s);
    if (x->has_ahead) {
        *msg = x->ahead;
        x->has_ahead = false;
        /* Conflating: something newer may have come since. */
        struct zmq__msg newer;
        zmq__msg_init(&newer);
        if (x->is_sub && s->options.conflate && next_part(s, &newer) == 0) {
            zmq__msg_close(msg);
            *msg = newer;
        } else {
            zmq__msg_close(&newer);
        }
    } else {
        int rc = next_part(s, msg);
        if (rc < 0)
            return rc;
    }
    x->more_recv = zmq__msg_more(msg);
    return 0;
}

static bool xsub_has_in(struct zmq__socket *s)
{
    struct xsub *x = xsub_of(s);
    if (x->has_ahead || x->more_recv)
        return true;
    if (!x->is_sub)
        return zmq__fq_has_in(&x->fq);
    zmq__msg_init(&x->ahead);
    if (next_part(s, &x->ahead) < 0) {
        zmq__msg_close(&x->ahead);
        return false;
    }
    x->has_ahead = true;
    return true;
}

/* ------------------------------------------------------------------ */
/* Pipes and life cycle                                               */
/* ------------------------------------------------------------------ */

static int xsub_init(struct zmq__socket *s)
{
    struct xsub *x = xsub_of(s);
    x->is_sub = s->options.socket_type == ZMQ_SUB;
    x->fq.slot = 0;
    x->dist.slot = 1;
    zmq__trie_init(&x->subs);
    s->options.filter = x->is_sub;
    /* As libzmq: closing does not wait for subscriptions to leave. */
    s->options.linger = 0;
    return 0;
}

static void xsub_fini(struct zmq__socket *s)
{
    struct xsub *x = xsub_of(s);
    if (x->has_ahead)
        zmq__msg_close(&x->ahead);
    zmq__pipe_set_fini(&x->fq);
    zmq__dist_fini(&x->dist);
    zmq__trie_fini(&x->subs);
}

static int xsub_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct xsub *x = xsub_of(s);
    int rc = zmq__pipe_set_add(&x->fq, p);
    if (rc < 0)
        return rc;
    if ((rc = zmq__dist_add(&x->dist, p)) < 0) {
        zmq__pipe_set_remove(&x->fq, p);
        return rc;
    }
    /* A new publisher learns every current subscription.  Without
     * memory for the walk it gets none: its messages are then all
     * filtered upstream, which is loss, not corruption. */
    zmq__trie_apply(&x->subs, send_subscription, p);
    zmq__pipe_flush(p);
    return 0;
}

static void xsub_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct xsub *x = xsub_of(s);
    zmq__pipe_set_remove(&x->fq, p);
    zmq__dist_remove(&x->dist, p);
}

static void xsub_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    zmq__pipe_set_activate(&xsub_of(s)->fq, p);
}

static void xsub_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    (void)s;
    (void)p;
}

static bool always(struct zmq__socket *s)
{
    /* Subscriptions can be sent at any time (dropped at HWM). */
    (void)s;
    return true;
}

/* SUBSCRIBE / UNSUBSCRIBE: the message an XSUB application would send. */
static int subscribe_option(struct zmq__socket *s, bool subscribe,
                            const void *topic, size_t len)
{
    struct xsub *x = xsub_of(s);
    if (x->more_send)
        return -EINVAL; /* XSUB in the middle of a message: not now */
    struct zmq__msg m;
    int rc = zmq__msg_init_size(&m, len + 1);
    if (rc < 0)
        return rc;
    unsigned char *d = zmq__msg_data(&m);
    d[0] = subscribe ? 1 : 0;
    if (len > 0)
        memcpy(d + 1, topic, len);
    rc = xsub_send(s, &m);
    if (rc < 0)
        zmq__msg_close(&m);
    return rc;
}

static int get_flag(const void *val, size_t len, bool *out)
{
    int v;
    if (len != sizeof v)
        return -EINVAL;
    memcpy(&v, val, sizeof v);
    if (v < 0)
        return -EINVAL;
    *out = v != 0;
    return 0;
}

static int xsub_setsockopt(struct zmq__socket *s, int option, const void *val,
                           size_t len)
{
    struct xsub *x = xsub_of(s);
    bool on;
    int rc;
    switch (option) {
    case ZMQ_SUBSCRIBE:
    case ZMQ_UNSUBSCRIBE:
        return subscribe_option(s, option == ZMQ_SUBSCRIBE, val, len);
    case ZMQ_ONLY_FIRST_SUBSCRIBE:
        if (x->is_sub)
            return -EINVAL;
        if ((rc = get_flag(val, len, &on)) == 0)
            x->only_first = on;
        return rc;
    case ZMQ_XSUB_VERBOSE_UNSUBSCRIBE:
        if (x->is_sub)
            return -EINVAL;
        if ((rc = get_flag(val, len, &on)) == 0)
            x->verbose_unsubs = on;
        return rc;
    default:
        return -EINVAL;
    }
}

static int xsub_getsockopt(struct zmq__socket *s, int option, void *val,
                           size_t *len)
{
    struct xsub *x = xsub_of(s);
    if (option != ZMQ_TOPICS_COUNT || *len < sizeof(int))
        return -EINVAL;
    size_t count = zmq__trie_count(&x->subs);
    int v = count > (size_t)INT32_MAX ? INT32_MAX : (int)count;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

const struct zmq__socket_ops zmq__socket_xsub_ops = {
    .name = "XSUB",
    .size = sizeof(struct xsub),
    .init = xsub_init,
    .fini = xsub_fini,
    .attach_pipe = xsub_attach,
    .pipe_terminated = xsub_terminated,
    .read_activated = xsub_read_activated,
    .write_activated = xsub_write_activated,
    .send = xsub_send,
    .recv = xsub_recv,
    .has_in = xsub_has_in,
    .has_out = always,
    .setsockopt = xsub_setsockopt,
    .getsockopt = xsub_getsockopt,
};

const struct zmq__socket_ops zmq__socket_sub_ops = {
    .name = "SUB",
    .size = sizeof(struct xsub),
    .init = xsub_init,
    .fini = xsub_fini,
    .attach_pipe = xsub_attach,
    .pipe_terminated = xsub_terminated,
    .read_activated = xsub_read_activated,
    .write_activated = xsub_write_activated,
    .send = zmq__socket_op_enotsup,
    .recv = xsub_recv,
    .has_in = xsub_has_in,
    .has_out = zmq__socket_op_false,
    .setsockopt = xsub_setsockopt,
    .getsockopt = xsub_getsockopt,
};
