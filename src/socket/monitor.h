/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Socket monitors (zmq_socket_monitor, zmq_socket_monitor_versioned):
 * events of a socket published on an inproc PAIR, PUB or PUSH socket that
 * the monitor creates and binds.
 *
 * Frame formats (host byte order, as libzmq):
 *  version 1: [uint16 event][uint32 value] then [local endpoint];
 *  version 2: [uint64 event][uint64 n][n x uint64 value]
 *             [local endpoint][remote endpoint].
 *
 * Threading: events may be raised from the socket's thread and (once tcp
 * lands) from I/O threads; the monitor has its own mutex.
 */
#ifndef ZMQ__MONITOR_H
#define ZMQ__MONITOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zmq__ctx;
struct zmq__socket;

struct zmq__monitor {
    pthread_mutex_t lock;
    struct zmq__socket *socket; /* where events go; NULL when off */
    uint64_t events;
    int version;
};

void zmq__monitor_init(struct zmq__monitor *m);
/* Stops monitoring (MONITOR_STOPPED is sent if asked for). */
void zmq__monitor_fini(struct zmq__monitor *m);

/* Starts monitoring on addr (or stops it for addr NULL).  -EPROTONOSUPPORT
 * (not inproc), -EINVAL (version, events, type), socket errors. */
int zmq__monitor_start(struct zmq__monitor *m, struct zmq__ctx *ctx,
                       const char *addr, uint64_t events, int version,
                       int type);

/* True when a monitor is on and asked for `event`. */
bool zmq__monitor_wants(struct zmq__monitor *m, uint64_t event);

/* Publishes one event (if it is among the monitored ones). */
void zmq__monitor_event(struct zmq__monitor *m, uint64_t event,
                        const uint64_t *values, size_t nvalues,
                        const char *local, const char *remote);

#endif
