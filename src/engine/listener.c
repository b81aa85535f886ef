/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Listeners.  The poller is level-triggered, so one accept per readable
 * event is enough; a few more are taken per event to serve bursts.  An
 * accept that fails for want of descriptors or memory is reported
 * (ACCEPT_FAILED) and retried on the next event.
 */
#include "engine/listener.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/ctx.h"
#include "core/io_thread.h"
#include "engine/session.h"
#include "engine/stream.h"
#include "poll/poller.h"
#include "socket/socket.h"
#include "transport/address.h"
#include "zmq.h"

struct zmq__listener {
    struct zmq__own own;
    struct zmq__options options;
    const struct zmq__listener_ops *ops;
    char *cleanup;
    int fd;
    struct zmq__poller *poller;
    struct zmq__poller_entry *entry;
    int resume_timer;
};

static void event(struct zmq__listener *l, uint64_t ev, uint64_t value,
                  const char *remote)
{
    struct zmq__monitor *m = &l->own.owner->monitor;
    if (zmq__monitor_wants(m, ev))
        zmq__monitor_event(m, ev, &value, 1, l->own.endpoint,
                           remote != NULL ? remote : "");
}

static void resume(void *arg, int id)
{
    (void)id;
    struct zmq__listener *l = arg;
    l->resume_timer = 0;
    zmq__poller_set_in(l->poller, l->entry);
}

/* Out of descriptors or memory: the pending connection keeps the
 * listener readable, so stop watching it for a while instead of failing
 * (and reporting) in a loop. */
static void back_off(struct zmq__listener *l)
{
    if (l->resume_timer > 0)
        return;
    int rc = zmq__poller_add_timer(l->poller, 100, resume, l, 0);
    if (rc > 0) {
        l->resume_timer = rc;
        zmq__poller_reset_in(l->poller, l->entry);
    }
}

/* Accepts one connection; false when none is waiting. */
static bool accept_one(struct zmq__listener *l)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return false;
        if (errno != EINTR && errno != ECONNABORTED) {
            int err = errno;
            event(l, ZMQ_EVENT_ACCEPT_FAILED, (uint64_t)err, NULL);
            if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
                err == ENOMEM)
                back_off(l);
            return false;
        }
        return true;
    }
    if (l->ops->accepted(fd, (struct sockaddr *)&ss, len, &l->options) < 0) {
        close(fd);
        return true;
    }
    char peer[ZMQ__SOCKADDR_URI_MAX] = "";
    zmq__sockaddr_to_uri((struct sockaddr *)&ss, len, peer, sizeof peer);
    event(l, ZMQ_EVENT_ACCEPTED, (uint64_t)fd, peer);
    struct zmq__stream *st = zmq__stream_fd_new(fd);
    if (st == NULL)
        return true;
    struct zmq__session *s =
        zmq__session_accepted_new(&l->own, &l->options, st, peer);
    if (s == NULL)
        return true;
    /* PLUG before OWN: the socket may send TERM as soon as it has OWN,
     * and TERM must not overtake PLUG.  A TERM_REQ that overtakes OWN is
     * kept by the socket until OWN arrives (socket.c). */
    struct zmq__command plug = {0};
    zmq__object_send(&s->own.obj, ZMQ__CMD_PLUG, &plug);
    struct zmq__command own = {.args.own.child = &s->own};
    zmq__object_send(&l->own.owner->obj, ZMQ__CMD_OWN, &own);
    return true;
}

static void in_event(void *arg)
{
    struct zmq__listener *l = arg;
    for (int i = 0; i < 16 && accept_one(l); i++)
        ;
}

static void out_event(void *arg)
{
    (void)arg;
}

static const struct zmq__poller_ops listener_poll_ops = {
    .in_event = in_event,
    .out_event = out_event,
};

static void listener_plug(struct zmq__own *o)
{
    struct zmq__listener *l = ZMQ__CONTAINER_OF(o, struct zmq__listener, own);
    l->poller = o->io->poller;
    if (zmq__poller_add(l->poller, l->fd, &listener_poll_ops, l, &l->entry) <
        0) {
        l->entry = NULL;
        zmq__own_term_req(o);
        return;
    }
    zmq__poller_set_in(l->poller, l->entry);
}

static void listener_term(struct zmq__own *o, int linger)
{
    (void)linger;
    struct zmq__listener *l = ZMQ__CONTAINER_OF(o, struct zmq__listener, own);
    if (l->resume_timer > 0)
        zmq__poller_cancel_timer(l->poller, l->resume_timer);
    if (l->entry != NULL)
        zmq__poller_remove(l->poller, l->entry);
    close(l->fd);
    if (l->ops->closed != NULL)
        l->ops->closed(l->cleanup);
    event(l, ZMQ_EVENT_CLOSED, (uint64_t)l->fd, NULL);
    zmq__own_term_done(o);
    zmq__own_fini(o);
    zmq__options_fini(&l->options);
    free(l->cleanup);
    free(l);
}

static const struct zmq__own_ops listener_own_ops = {
    .plug = listener_plug,
    .term = listener_term,
};

struct zmq__own *zmq__listener_new(struct zmq__socket *s, int fd,
                                   const char *endpoint,
                                   const struct zmq__listener_ops *ops,
                                   const char *cleanup, int *err)
{
    struct zmq__io_thread *io =
        zmq__ctx_choose_io_thread(s->obj.ctx, s->options.affinity);
    if (io == NULL) {
        close(fd);
        *err = -EMTHREAD;
        return NULL;
    }
    struct zmq__listener *l = calloc(1, sizeof *l);
    if (l == NULL)
        goto fail;
    if (zmq__own_init(&l->own, &listener_own_ops, s, io, ZMQ__OWN_LISTENER,
                      endpoint) < 0)
        goto fail_l;
    if (zmq__options_copy(&l->options, &s->options) < 0)
        goto fail_own;
    if (cleanup != NULL && (l->cleanup = strdup(cleanup)) == NULL)
        goto fail_opts;
    l->ops = ops;
    l->fd = fd;
    return &l->own;
fail_opts:
    zmq__options_fini(&l->options);
fail_own:
    zmq__own_fini(&l->own);
fail_l:
    free(l);
fail:
    close(fd);
    *err = -ENOMEM;
    return NULL;
}
