/* SPDX-License-Identifier: MPL-2.0 */
/*
 * zmq_poll, zmq_ppoll and the zmq_poller_* API: waiting on sockets (any
 * socket, the thread-safe ones included) and plain file descriptors.
 *
 * Sockets are waited on through their ZMQ_FD (the mailbox eventfd) with
 * the edge-triggered contract: a socket is asked for ZMQ_EVENTS first
 * (which takes its pending commands and re-arms the descriptor), and only
 * when it is not ready does the wait include its descriptor.
 *
 * Threading: a poller is used by one thread at a time; the sockets in it
 * may be thread-safe sockets used by other threads meanwhile.
 * Errors: 0 / a count, or a negative errno.
 */
#ifndef ZMQ__SOCKET_POLL_H
#define ZMQ__SOCKET_POLL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "zmq.h"

/* zmq_poll / zmq_ppoll (sigmask may be NULL: plain poll).  Returns the
 * number of items with events. */
int zmq__poll(zmq_pollitem_t *items, int n, long timeout_ms,
              const sigset_t *sigmask);

struct zmq__socket_poller;

struct zmq__socket_poller *zmq__socket_poller_new(void);
void zmq__socket_poller_free(struct zmq__socket_poller *p);
bool zmq__socket_poller_check(const struct zmq__socket_poller *p);
int zmq__socket_poller_size(const struct zmq__socket_poller *p);
/* socket != NULL: a socket item; else the fd item.  -EINVAL (already
 * there / not there), -ENOTSOCK, -EBADF, -ENOMEM. */
int zmq__socket_poller_add(struct zmq__socket_poller *p, void *socket,
                           zmq_fd_t fd, void *user_data, short events);
int zmq__socket_poller_modify(struct zmq__socket_poller *p, void *socket,
                              zmq_fd_t fd, short events);
int zmq__socket_poller_remove(struct zmq__socket_poller *p, void *socket,
                              zmq_fd_t fd);
/* Fills up to n events; the count, -EAGAIN on timeout, -ETERM, -EFAULT
 * (no items and no timeout), -EINTR. */
int zmq__socket_poller_wait(struct zmq__socket_poller *p,
                            zmq_poller_event_t *events, int n, long timeout);
/* A descriptor that is readable while some item may be ready. */
int zmq__socket_poller_fd(struct zmq__socket_poller *p, zmq_fd_t *fd);

#endif
