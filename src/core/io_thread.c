/* SPDX-License-Identifier: MPL-2.0 */
/*
 * A background thread is a poller loop.  Its mailbox's eventfd is one of
 * the polled descriptors; when it turns readable the thread takes every
 * queued command and dispatches it to its destination object.  The loop
 * ends after a THREAD_STOP command, which the context sends only once
 * every object on the thread is gone.
 */
#include "core/io_thread.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/thread.h"
#include "poll/poller.h"
#include "socket/socket.h"

static void mailbox_in(void *ctx)
{
    struct zmq__io_thread *t = ctx;
    struct zmq__command cmd;
    while (zmq__mailbox_recv(&t->mailbox, &cmd, 0) == 0) {
        if (cmd.type == ZMQ__CMD_THREAD_STOP)
            t->stopping = true;
        else
            zmq__object_dispatch(&cmd);
    }
}

static void mailbox_out(void *ctx)
{
    (void)ctx;
}

static const struct zmq__poller_ops mailbox_ops = {
    .in_event = mailbox_in,
    .out_event = mailbox_out,
};

static void loop(void *arg)
{
    struct zmq__io_thread *t = arg;
    while (!t->stopping) {
        int rc = zmq__poller_wait(t->poller, -1);
        /* A failing wait (out of memory in the kernel, say) is retried:
         * the thread must keep serving its mailbox to stop cleanly. */
        (void)rc;
    }
}

struct zmq__io_thread *zmq__io_thread_start(struct zmq__ctx *ctx,
                                            const char *name, int *err)
{
    struct zmq__io_thread *t = calloc(1, sizeof *t);
    if (t == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    t->obj.ctx = ctx;
    t->obj.mailbox = &t->mailbox;
    int rc = zmq__mailbox_init(&t->mailbox, NULL);
    if (rc < 0) {
        free(t);
        *err = rc;
        return NULL;
    }
    t->poller = zmq__poller_new(&rc);
    if (t->poller == NULL)
        goto fail_mailbox;
    rc = zmq__poller_add(t->poller, zmq__mailbox_fd(&t->mailbox), &mailbox_ops,
                         t, &t->mailbox_entry);
    if (rc < 0)
        goto fail_poller;
    zmq__poller_set_in(t->poller, t->mailbox_entry);
    t->thread = zmq__thread_start(loop, t, name, &rc);
    if (t->thread == NULL)
        goto fail_poller;
    return t;

fail_poller:
    zmq__poller_free(t->poller);
fail_mailbox:
    zmq__mailbox_fini(&t->mailbox);
    free(t);
    *err = rc;
    return NULL;
}

void zmq__io_thread_stop(struct zmq__io_thread *t)
{
    struct zmq__command cmd = {0};
    zmq__object_send(&t->obj, ZMQ__CMD_THREAD_STOP, &cmd);
    zmq__thread_join(t->thread);
    zmq__poller_remove(t->poller, t->mailbox_entry);
    zmq__poller_free(t->poller);
    zmq__mailbox_fini(&t->mailbox);
    free(t);
}

size_t zmq__io_thread_load(const struct zmq__io_thread *t)
{
    return zmq__poller_load(t->poller);
}

void zmq__io_thread_process_reap(struct zmq__io_thread *t,
                                 struct zmq__socket *s)
{
    zmq__socket_start_reaping(s, t->poller);
}
