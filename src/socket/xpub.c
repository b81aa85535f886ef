/* SPDX-License-Identifier: MPL-2.0 */
/*
 * XPUB and PUB (RFC 29).
 *
 * Subscribers send their subscriptions up the pipe as messages: byte 1
 * (subscribe) or 0 (cancel) then the topic.  Whenever a pipe has input
 * (attach, read_activated) it is drained at once: subscriptions go into
 * a multi-trie of topic -> pipes, and the ones the application should
 * see (the first subscription to a topic and the cancel that removes its
 * last subscriber; every one with XPUB_VERBOSE / XPUB_VERBOSER; all of
 * them, unapplied, with XPUB_MANUAL) are queued for recv together with
 * the pipe they came from.  Other messages from the subscriber (XSUB may
 * send any) are queued as they are.  When a pipe goes, the cancels for
 * the topics it leaves without a subscriber are queued too, so a proxy
 * forwarding them keeps its upstream subscriptions exact.
 *
 * Sending matches the first part of a message against the trie, moving
 * the matching pipes to the front of the distributor, and the whole
 * message then goes to them.  A subscriber at its high-water mark misses
 * the message; with XPUB_NODROP the send fails with EAGAIN instead (and
 * a blocking send waits for room).
 *
 * PUB is the same type with recv giving ENOTSUP: it applies
 * subscriptions but queues nothing for the application.
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

/* A message waiting for recv, with the pipe it came from when it is a
 * subscription (NULL once that pipe has gone). */
struct pending {
    struct zmq__msg msg;
    struct zmq__pipe *pipe;
    bool subscription;
};

struct xpub {
    struct zmq__dist dist;
    struct zmq__mtrie subs;        /* applied subscriptions */
    struct zmq__mtrie manual_subs; /* XPUB_MANUAL: what subscribers asked */
    struct pending *queue;
    size_t head, n, cap;
    struct zmq__pipe *last_pipe; /* XPUB_MANUAL: source of the last recv */
    unsigned char *welcome;
    size_t welcome_size;
    bool is_pub;
    bool verbose_subs, verbose_unsubs;
    bool manual, send_last_pipe;
    bool nodrop;
    bool only_first;
    bool more_recv, process_subscribe;
};

static struct xpub *xpub_of(struct zmq__socket *s)
{
    return zmq__socket_data(s);
}

/* ------------------------------------------------------------------ */
/* The queue for recv                                                 */
/* ------------------------------------------------------------------ */

/* Takes msg; closes it when there is no memory (the notice is lost). */
static void queue_push(struct xpub *x, struct zmq__msg *msg,
                       struct zmq__pipe *pipe, bool subscription)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct pending *v = malloc(cap * sizeof *v);
        if (v == NULL) {
            zmq__msg_close(msg);
            zmq__msg_init(msg);
            return;
        }
        for (size_t i = 0; i < x->n; i++)
            v[i] = x->queue[(x->head + i) % x->cap];
        free(x->queue);
        x->queue = v;
        x->head = 0;
        x->cap = cap;
    }
    struct pending *e = &x->queue[(x->head + x->n++) % x->cap];
    e->msg = *msg;
    e->pipe = pipe;
    e->subscription = subscription;
    zmq__msg_init(msg);
}

/* Queues a cancel for topic (a subscriber went away). */
static int queue_cancel(const unsigned char *topic, size_t size, void *arg)
{
    struct xpub *x = arg;
    if (x->is_pub)
        return 0;
    struct zmq__msg m;
    if (zmq__msg_init_size(&m, size + 1) < 0)
        return 0;
    unsigned char *d = zmq__msg_data(&m);
    d[0] = 0;
    if (size > 0)
        memcpy(d + 1, topic, size);
    queue_push(x, &m, NULL, true);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Subscriptions from the pipes                                       */
/* ------------------------------------------------------------------ */

static void process_pipe(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct xpub *x = xpub_of(s);
    struct zmq__msg m;
    zmq__msg_init(&m);
    while (zmq__pipe_read(p, &m) == 0) {
        bool first = !x->more_recv;
        x->more_recv = zmq__msg_more(&m);
        const unsigned char *data = zmq__msg_data(&m);
        size_t size = zmq__msg_size(&m);
        bool is_sub = (first || x->process_subscribe) && size > 0 &&
                      (data[0] == 0 || data[0] == 1);
        if (first)
            x->process_subscribe = !x->only_first || is_sub;

        if (!is_sub) {
            /* A message from an XSUB's application. */
            if (x->is_pub)
                zmq__msg_close(&m);
            else
                queue_push(x, &m, NULL, false);
            zmq__msg_init(&m);
            continue;
        }

        bool subscribe = data[0] == 1;
        const unsigned char *topic = data + 1;
        size_t tsize = size - 1;
        bool notify;
        if (x->manual) {
            /* Kept so that the cancels can be passed on if the pipe
             * goes; applying them is the application's business. */
            if (subscribe)
                zmq__mtrie_add(&x->manual_subs, topic, tsize, p);
            else
                zmq__mtrie_remove(&x->manual_subs, topic, tsize, p);
            notify = true;
        } else if (subscribe) {
            int rc = zmq__mtrie_add(&x->subs, topic, tsize, p);
            notify = rc == 1 || (rc == 0 && x->verbose_subs);
        } else {
            enum zmq__mtrie_rm rm =
                zmq__mtrie_remove(&x->subs, topic, tsize, p);
            /* A cancel of what this pipe never held is passed on only
             * when nobody holds the topic (libzmq passes it on always,
             * which would cancel other subscribers' topics upstream). */
            notify = rm == ZMQ__MTRIE_LAST || x->verbose_unsubs ||
                     (rm == ZMQ__MTRIE_NOT_FOUND &&
                      !zmq__mtrie_has(&x->subs, topic, tsize));
        }
        if (notify && !x->is_pub) {
            m.flags &= (uint8_t)~ZMQ__MSG_MORE;
            queue_push(x, &m, p, true);
        } else {
            zmq__msg_close(&m);
        }
        zmq__msg_init(&m);
    }
    /* Messages are flushed whole, so a drained pipe ends on a last part;
     * a pipe ended mid-message must not bend the next one. */
    x->more_recv = false;
}

/* ------------------------------------------------------------------ */
/* Ops                                                                */
/* ------------------------------------------------------------------ */

static int xpub_init(struct zmq__socket *s)
{
    struct xpub *x = xpub_of(s);
    x->is_pub = s->options.socket_type == ZMQ_PUB;
    zmq__mtrie_init(&x->subs);
    zmq__mtrie_init(&x->manual_subs);
    return 0;
}

static void xpub_fini(struct zmq__socket *s)
{
    struct xpub *x = xpub_of(s);
    zmq__dist_fini(&x->dist);
    zmq__mtrie_fini(&x->subs);
    zmq__mtrie_fini(&x->manual_subs);
    for (size_t i = 0; i < x->n; i++)
        zmq__msg_close(&x->queue[(x->head + i) % x->cap].msg);
    free(x->queue);
    free(x->welcome);
}

static int xpub_attach(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct xpub *x = xpub_of(s);
    int rc = zmq__dist_add(&x->dist, p);
    if (rc < 0)
        return rc;
    if (x->welcome_size > 0) {
        struct zmq__msg m;
        if (zmq__msg_init_buffer(&m, x->welcome, x->welcome_size) == 0) {
            if (zmq__pipe_write(p, &m) == 0)
                zmq__pipe_flush(p);
            else
                zmq__msg_close(&m);
        }
    }
    /* Subscriptions may be waiting already (the subscriber connected
     * before we bound); reading also arms the pipe's wake-up. */
    process_pipe(s, p);
    return 0;
}

static void xpub_terminated(struct zmq__socket *s, struct zmq__pipe *p)
{
    struct xpub *x = xpub_of(s);
    if (x->manual) {
        zmq__mtrie_remove_pipe(&x->manual_subs, p, false, queue_cancel, x);
        zmq__mtrie_remove_pipe(&x->subs, p, false, NULL, NULL);
    } else {
        zmq__mtrie_remove_pipe(&x->subs, p, !x->verbose_unsubs, queue_cancel,
                               x);
        zmq__mtrie_remove_pipe(&x->manual_subs, p, false, NULL, NULL);
    }
    zmq__dist_remove(&x->dist, p);
    for (size_t i = 0; i < x->n; i++) {
        struct pending *e = &x->queue[(x->head + i) % x->cap];
        if (e->pipe == p)
            e->pipe = NULL;
    }
    if (x->last_pipe == p)
        x->last_pipe = NULL;
}

static void xpub_read_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    process_pipe(s, p);
}

static void xpub_write_activated(struct zmq__socket *s, struct zmq__pipe *p)
{
    /* Every send tries every matching pipe afresh: nothing to track. */
    (void)s;
    (void)p;
}

struct match_ctx {
    struct zmq__dist *dist;
    struct zmq__pipe *only; /* match only this pipe, when set */
};

static void mark_matching(void *pipe, void *arg)
{
    struct match_ctx *mc = arg;
    if (mc->only == NULL || mc->only == pipe)
        zmq__dist_match(mc->dist, pipe);
}

static int xpub_send(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct xpub *x = xpub_of(s);
    if (!x->dist.more) {
        /* The first part chooses the receivers of the whole message. */
        bool to_last = x->manual && x->send_last_pipe && x->last_pipe;
        struct match_ctx mc = {&x->dist, to_last ? x->last_pipe : NULL};
        zmq__dist_unmatch(&x->dist);
        zmq__mtrie_match(&x->subs, zmq__msg_data(msg), zmq__msg_size(msg),
                         mark_matching, &mc);
        if (s->options.invert_matching)
            zmq__dist_invert(&x->dist);
        if (x->nodrop && !zmq__dist_can_send(&x->dist)) {
            zmq__dist_unmatch(&x->dist);
            return -EAGAIN;
        }
        if (to_last)
            x->last_pipe = NULL;
    }
    zmq__dist_send(&x->dist, msg);
    return 0;
}

static int xpub_recv(struct zmq__socket *s, struct zmq__msg *msg)
{
    struct xpub *x = xpub_of(s);
    if (x->is_pub)
        return -ENOTSUP;
    if (x->n == 0)
        return -EAGAIN;
    struct pending *e = &x->queue[x->head];
    x->head = (x->head + 1) % x->cap;
    x->n--;
    if (x->manual && e->subscription)
        x->last_pipe = e->pipe;
    *msg = e->msg;
    return 0;
}

static bool xpub_has_in(struct zmq__socket *s)
{
    struct xpub *x = xpub_of(s);
    return !x->is_pub && x->n > 0;
}

static bool xpub_has_out(struct zmq__socket *s)
{
    /* As libzmq: a message can always be handed over (dropped at worst);
     * with XPUB_NODROP the send itself says EAGAIN. */
    (void)s;
    return true;
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

static int xpub_setsockopt(struct zmq__socket *s, int option, const void *val,
                           size_t len)
{
    struct xpub *x = xpub_of(s);
    bool on;
    int rc;
    switch (option) {
    case ZMQ_XPUB_VERBOSE:
        if ((rc = get_flag(val, len, &on)) == 0)
            x->verbose_subs = on;
        return rc;
    case ZMQ_XPUB_VERBOSER:
        if ((rc = get_flag(val, len, &on)) == 0)
            x->verbose_subs = x->verbose_unsubs = on;
        return rc;
    case ZMQ_XPUB_NODROP:
        if ((rc = get_flag(val, len, &on)) == 0)
            x->nodrop = on;
        return rc;
    case ZMQ_XPUB_MANUAL:
        if ((rc = get_flag(val, len, &on)) == 0)
            x->manual = on;
        return rc;
    case ZMQ_XPUB_MANUAL_LAST_VALUE:
        if ((rc = get_flag(val, len, &on)) == 0)
            x->manual = x->send_last_pipe = on;
        return rc;
    case ZMQ_ONLY_FIRST_SUBSCRIBE:
        if ((rc = get_flag(val, len, &on)) == 0)
            x->only_first = on;
        return rc;
    case ZMQ_XPUB_WELCOME_MSG: {
        unsigned char *copy = NULL;
        if (len > 0 && (copy = malloc(len)) == NULL)
            return -ENOMEM;
        if (len > 0)
            memcpy(copy, val, len);
        free(x->welcome);
        x->welcome = copy;
        x->welcome_size = len;
        return 0;
    }
    case ZMQ_SUBSCRIBE:
    case ZMQ_UNSUBSCRIBE:
        if (!x->manual)
            return -EINVAL;
        /* Applies to the subscriber of the last subscription received;
         * without one (none yet, or it went away) there is no one to
         * apply it to and, as libzmq, nothing happens. */
        if (x->last_pipe == NULL)
            return 0;
        if (option == ZMQ_SUBSCRIBE) {
            rc = zmq__mtrie_add(&x->subs, val, len, x->last_pipe);
            return rc < 0 ? rc : 0;
        }
        zmq__mtrie_remove(&x->subs, val, len, x->last_pipe);
        return 0;
    default:
        return -EINVAL;
    }
}

static int xpub_getsockopt(struct zmq__socket *s, int option, void *val,
                           size_t *len)
{
    struct xpub *x = xpub_of(s);
    if (option != ZMQ_TOPICS_COUNT)
        return -EINVAL;
    if (*len < sizeof(int))
        return -EINVAL;
    size_t count = zmq__mtrie_count(&x->subs);
    int v = count > (size_t)INT32_MAX ? INT32_MAX : (int)count;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

const struct zmq__socket_ops zmq__socket_xpub_ops = {
    .name = "XPUB",
    .size = sizeof(struct xpub),
    .init = xpub_init,
    .fini = xpub_fini,
    .attach_pipe = xpub_attach,
    .pipe_terminated = xpub_terminated,
    .read_activated = xpub_read_activated,
    .write_activated = xpub_write_activated,
    .send = xpub_send,
    .recv = xpub_recv,
    .has_in = xpub_has_in,
    .has_out = xpub_has_out,
    .setsockopt = xpub_setsockopt,
    .getsockopt = xpub_getsockopt,
};

const struct zmq__socket_ops zmq__socket_pub_ops = {
    .name = "PUB",
    .size = sizeof(struct xpub),
    .init = xpub_init,
    .fini = xpub_fini,
    .attach_pipe = xpub_attach,
    .pipe_terminated = xpub_terminated,
    .read_activated = xpub_read_activated,
    .write_activated = xpub_write_activated,
    .send = xpub_send,
    .recv = xpub_recv,
    .has_in = xpub_has_in,
    .has_out = xpub_has_out,
    .setsockopt = xpub_setsockopt,
    .getsockopt = xpub_getsockopt,
};
