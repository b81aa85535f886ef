/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The monitor socket is an ordinary socket of the context, owned by the
 * monitored socket: it is created with LINGER 0 (events must never hold up
 * the context's termination) and written to without waiting, so a monitor
 * nobody reads drops events at its high-water mark instead of blocking
 * the monitored socket.
 */
#include "socket/monitor.h"

#include <errno.h>
#include <string.h>

#include "core/ctx.h"
#include "core/msg.h"
#include "socket/socket.h"
#include "zmq.h"

void zmq__monitor_init(struct zmq__monitor *m)
{
    pthread_mutex_init(&m->lock, NULL);
    m->socket = NULL;
    m->events = 0;
    m->version = 1;
}

static int send_frame(struct zmq__socket *s, const void *data, size_t size,
                      bool more)
{
    struct zmq__msg msg;
    int rc = zmq__msg_init_buffer(&msg, data, size);
    if (rc < 0)
        return rc;
    rc = zmq__socket_send(s, &msg, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
    if (rc < 0) {
        zmq__msg_close(&msg);
        return rc;
    }
    return 0;
}

/* Lock held. */
static void publish(struct zmq__monitor *m, uint64_t event,
                    const uint64_t *values, size_t nvalues, const char *local,
                    const char *remote)
{
    struct zmq__socket *s = m->socket;
    if (s == NULL || !(m->events & event))
        return;
    local = local ? local : "";
    remote = remote ? remote : "";
    if (m->version == 1) {
        unsigned char head[6];
        uint16_t ev = (uint16_t)event;
        uint32_t value = nvalues > 0 ? (uint32_t)values[0] : 0;
        memcpy(head, &ev, 2);
        memcpy(head + 2, &value, 4);
        if (send_frame(s, head, sizeof head, true) == 0)
            send_frame(s, local, strlen(local), false);
        return;
    }
    uint64_t n = nvalues;
    if (send_frame(s, &event, sizeof event, true) < 0 ||
        send_frame(s, &n, sizeof n, true) < 0)
        return;
    for (size_t i = 0; i < nvalues; i++)
        if (send_frame(s, &values[i], sizeof values[i], true) < 0)
            return;
    if (send_frame(s, local, strlen(local), true) == 0)
        send_frame(s, remote, strlen(remote), false);
}

/* Lock held: sends MONITOR_STOPPED and closes the monitor socket. */
static void stop(struct zmq__monitor *m)
{
    if (m->socket == NULL)
        return;
    uint64_t zero = 0;
    publish(m, ZMQ_EVENT_MONITOR_STOPPED, &zero, 1, "", "");
    zmq__socket_close(m->socket);
    m->socket = NULL;
}

void zmq__monitor_fini(struct zmq__monitor *m)
{
    pthread_mutex_lock(&m->lock);
    stop(m);
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_destroy(&m->lock);
}

int zmq__monitor_start(struct zmq__monitor *m, struct zmq__ctx *ctx,
                       const char *addr, uint64_t events, int version, int type)
{
    if (addr == NULL) {
        pthread_mutex_lock(&m->lock);
        stop(m);
        pthread_mutex_unlock(&m->lock);
        return 0;
    }
    if (strncmp(addr, "inproc://", 9) != 0)
        return -EPROTONOSUPPORT;
    if (version != 1 && version != 2)
        return -EINVAL;
    if (version == 1 && events >= ZMQ_EVENT_PIPES_STATS)
        return -EINVAL;
    if (type != ZMQ_PAIR && type != ZMQ_PUB && type != ZMQ_PUSH)
        return -EINVAL;

    /* The old monitor goes first, so the new one may take its address. */
    pthread_mutex_lock(&m->lock);
    stop(m);
    pthread_mutex_unlock(&m->lock);

    int err = 0;
    struct zmq__socket *s = zmq__ctx_create_socket(ctx, type, &err);
    if (s == NULL)
        return err;
    int zero = 0;
    zmq__socket_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    int rc = zmq__socket_bind(s, addr);
    if (rc < 0) {
        zmq__socket_close(s);
        return rc;
    }
    pthread_mutex_lock(&m->lock);
    m->socket = s;
    m->events = events;
    m->version = version;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

void zmq__monitor_event(struct zmq__monitor *m, uint64_t event,
                        const uint64_t *values, size_t nvalues,
                        const char *local, const char *remote)
{
    pthread_mutex_lock(&m->lock);
    publish(m, event, values, nvalues, local, remote);
    pthread_mutex_unlock(&m->lock);
}

bool zmq__monitor_wants(struct zmq__monitor *m, uint64_t event)
{
    pthread_mutex_lock(&m->lock);
    bool wants = m->socket != NULL && (m->events & event);
    pthread_mutex_unlock(&m->lock);
    return wants;
}
