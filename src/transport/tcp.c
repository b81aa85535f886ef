/* SPDX-License-Identifier: MPL-2.0 */
/*
 * tcp: binds and listens on the caller's thread (errors such as
 * EADDRINUSE come back from zmq_bind), accepts on an I/O thread, and
 * connects from a session on an I/O thread, resolving names on the
 * resolver's threads so that DNS never stalls an I/O thread.  Address
 * syntax and the socket options are in address.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/listener.h"
#include "engine/session.h"
#include "socket/socket.h"
#include "transport/address.h"
#include "transport/net.h"
#include "transport/transport.h"
#include "zmq.h"

static bool tcp_needs_lookup(const char *addr)
{
    return zmq__tcp_needs_lookup(addr, false);
}

static int tcp_resolve(const char *addr, const struct zmq__options *o,
                       struct zmq__tcp_target *t)
{
    return zmq__tcp_resolve(addr, false, o->ipv6 != 0, t);
}

static int tcp_open(const struct zmq__tcp_target *t,
                    const struct zmq__options *o, int *fdp)
{
    int family = t->addr.ss.ss_family;
    int fd = zmq__tcp_open(family);
    if (fd < 0)
        return fd;
    *fdp = fd;
    int rc = zmq__tcp_tune(fd, family, o);
    if (rc < 0)
        return rc;
    if (t->has_source) {
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (bind(fd, (const struct sockaddr *)&t->source.ss, t->source.len) < 0)
            return -errno;
    }
    if (connect(fd, (const struct sockaddr *)&t->addr.ss, t->addr.len) == 0)
        return 0;
    return errno == EINPROGRESS ? -EINPROGRESS : -errno;
}

static const struct zmq__connect_ops tcp_connect_ops = {
    .needs_lookup = tcp_needs_lookup,
    .resolve = tcp_resolve,
    .open = tcp_open,
};

static int tcp_accepted(int fd, const struct sockaddr *peer, socklen_t len,
                        const struct zmq__options *o)
{
    (void)len;
    if (!zmq__options_tcp_accept(o, peer))
        return -EACCES;
    return zmq__tcp_tune(fd, peer->sa_family, o);
}

static const struct zmq__listener_ops tcp_listener_ops = {
    .accepted = tcp_accepted,
};

static int tcp_bind(struct zmq__socket *s, const char *addr,
                    struct zmq__bound *out)
{
    out->endpoint = NULL;
    out->child = NULL;
    int rc = zmq__tcp_check(addr, true);
    if (rc < 0)
        return rc;
    int fd;
    if (s->options.use_fd >= 0) {
        /* ZMQ_USE_FD: the application bound and listens already. */
        fd = dup(s->options.use_fd);
        if (fd < 0 || zmq__fd_nonblock_cloexec(fd) < 0) {
            rc = -errno;
            if (fd >= 0)
                close(fd);
            return rc;
        }
        return zmq__net_listening(s, fd, &tcp_listener_ops, NULL, out);
    }
    struct zmq__tcp_target t;
    rc = zmq__tcp_resolve(addr, true, s->options.ipv6 != 0, &t);
    if (rc < 0) {
        zmq__net_bind_failed(s, "tcp", addr, rc);
        return rc;
    }
    int family = t.addr.ss.ss_family;
    fd = zmq__tcp_open(family);
    if (fd < 0)
        return fd;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    rc = zmq__tcp_tune(fd, family, &s->options);
    if (rc == 0 &&
        bind(fd, (const struct sockaddr *)&t.addr.ss, t.addr.len) < 0)
        rc = -errno;
    if (rc == 0 && listen(fd, s->options.backlog) < 0)
        rc = -errno;
    if (rc < 0) {
        close(fd);
        zmq__net_bind_failed(s, "tcp", addr, rc);
        return rc;
    }
    return zmq__net_listening(s, fd, &tcp_listener_ops, NULL, out);
}

static int tcp_connect(struct zmq__socket *s, const char *addr,
                       struct zmq__pipe **pipe, struct zmq__own **child)
{
    int rc = zmq__tcp_check(addr, false);
    if (rc < 0)
        return rc;
    if (!zmq__tcp_needs_lookup(addr, false)) {
        /* Numeric: resolving is instant, so errors such as an IPv6
         * address without ZMQ_IPV6 come back now, as in libzmq. */
        struct zmq__tcp_target t;
        rc = zmq__tcp_resolve(addr, false, s->options.ipv6 != 0, &t);
        if (rc == -EINVAL)
            return rc;
    }
    struct zmq__session *session;
    rc = zmq__session_connect_new(s, "tcp", addr, &tcp_connect_ops, &session,
                                  pipe);
    if (rc < 0)
        return rc;
    *child = &session->own;
    return 0;
}

const struct zmq__transport zmq__transport_tcp = {
    .scheme = "tcp",
    .bind = tcp_bind,
    .connect = tcp_connect,
};
