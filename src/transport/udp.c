/* SPDX-License-Identifier: MPL-2.0 */
/*
 * udp: RADIO connects (unicast or multicast) and sends, DISH binds and
 * receives, DGRAM binds and does both (the udp engine, engine/udp.h).
 * Other socket types get ENOCOMPATPROTO, as libzmq.
 *
 * Addresses: "host:port", with an optional interface first:
 * "iface;host:port".  On bind, host may be `*`, an address or an
 * interface name; a multicast host address binds the port and joins the
 * group (on iface when given).  On connect, host is where RADIO sends; a
 * multicast group gets MULTICAST_HOPS as its TTL, MULTICAST_LOOP, and
 * iface as the outgoing interface.  Addresses are resolved when
 * zmq_bind / zmq_connect is called (a host name may be looked up then,
 * on the caller's thread); the session then only opens the socket, so
 * no lookup ever runs on an I/O thread.
 */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/session.h"
#include "engine/udp.h"
#include "socket/socket.h"
#include "transport/address.h"
#include "transport/net.h"
#include "transport/transport.h"
#include "zmq.h"

static bool udp_compatible(int type)
{
    return type == ZMQ_RADIO || type == ZMQ_DISH || type == ZMQ_DGRAM;
}

static bool is_multicast(const struct zmq__sockaddr *a)
{
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->ss;
        return IN_MULTICAST(ntohl(in->sin_addr.s_addr));
    }
    if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->ss;
        return IN6_IS_ADDR_MULTICAST(&in6->sin6_addr);
    }
    return false;
}

/* Parses "[iface;]host:port" into t: addr = host:port, source = iface
 * (port 0) when given. */
static int udp_parse(const char *addr, bool bind, bool ipv6,
                     struct zmq__tcp_target *t)
{
    memset(t, 0, sizeof *t);
    const char *semi = strchr(addr, ';');
    const char *hostport = semi != NULL ? semi + 1 : addr;
    if (zmq__tcp_check(hostport, bind) < 0)
        return -EINVAL;
    struct zmq__tcp_target h;
    int rc = zmq__tcp_resolve(hostport, bind, ipv6, &h);
    if (rc < 0 && bind && rc != -EINVAL)
        /* A multicast group is no local interface: resolve it as an
         * address. */
        rc = zmq__tcp_resolve(hostport, false, ipv6, &h);
    if (rc < 0)
        return rc;
    t->addr = h.addr;
    if (semi != NULL) {
        size_t n = (size_t)(semi - addr);
        char iface[128];
        if (n == 0 || n + 3 > sizeof iface)
            return -EINVAL;
        memcpy(iface, addr, n);
        memcpy(iface + n, ":0", 3);
        struct zmq__tcp_target i;
        rc = zmq__tcp_resolve(iface, true, ipv6, &i);
        if (rc < 0)
            return rc;
        t->has_source = true;
        t->source = i.addr;
    }
    return 0;
}

static bool never_lookup(const char *addr)
{
    (void)addr;
    return false;
}

static int no_resolve(const char *addr, const struct zmq__options *o,
                      struct zmq__tcp_target *t)
{
    (void)addr;
    (void)o;
    (void)t;
    return -EINVAL; /* the target is fixed at zmq_bind/zmq_connect */
}

static int udp_socket(int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

/* DISH, DGRAM: bind the port; join a multicast group. */
static int open_bound(const struct zmq__tcp_target *t,
                      const struct zmq__options *o, int *fdp)
{
    (void)o;
    int family = t->addr.ss.ss_family;
    int fd = udp_socket(family);
    if (fd < 0)
        return fd;
    *fdp = fd;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct zmq__sockaddr local = t->addr;
    bool mcast = is_multicast(&t->addr);
    if (mcast && family == AF_INET) {
        /* Bind the port on every address; the group filters. */
        struct sockaddr_in *in = (struct sockaddr_in *)&local.ss;
        in->sin_addr.s_addr = htonl(INADDR_ANY);
    }
    if (bind(fd, (struct sockaddr *)&local.ss, local.len) < 0)
        return -errno;
    if (mcast && family == AF_INET) {
        struct ip_mreq mreq;
        mreq.imr_multiaddr =
            ((const struct sockaddr_in *)&t->addr.ss)->sin_addr;
        mreq.imr_interface.s_addr = htonl(INADDR_ANY);
        if (t->has_source && t->source.ss.ss_family == AF_INET)
            mreq.imr_interface =
                ((const struct sockaddr_in *)&t->source.ss)->sin_addr;
        if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) <
            0)
            return -errno;
    } else if (mcast) {
        struct ipv6_mreq mreq;
        memset(&mreq, 0, sizeof mreq);
        mreq.ipv6mr_multiaddr =
            ((const struct sockaddr_in6 *)&t->addr.ss)->sin6_addr;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq,
                       sizeof mreq) < 0)
            return -errno;
    }
    return 0;
}

/* RADIO: a socket to send from (multicast options when the target is a
 * group). */
static int open_sender(const struct zmq__tcp_target *t,
                       const struct zmq__options *o, int *fdp)
{
    int family = t->addr.ss.ss_family;
    int fd = udp_socket(family);
    if (fd < 0)
        return fd;
    *fdp = fd;
    if (is_multicast(&t->addr) && family == AF_INET) {
        int ttl = o->multicast_hops;
        unsigned char loop = o->multicast_loop ? 1 : 0;
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof loop);
        if (t->has_source && t->source.ss.ss_family == AF_INET) {
            struct in_addr ifa =
                ((const struct sockaddr_in *)&t->source.ss)->sin_addr;
            if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof ifa) <
                0)
                return -errno;
        }
    } else if (t->has_source && bind(fd, (const struct sockaddr *)&t->source.ss,
                                     t->source.len) < 0) {
        return -errno;
    }
    return 0;
}

static struct zmq__engine *receiver_engine(struct zmq__session *s, int fd,
                                           const struct zmq__tcp_target *t,
                                           int *err)
{
    (void)t;
    return zmq__udp_engine_new(s, fd, NULL, err);
}

static struct zmq__engine *sender_engine(struct zmq__session *s, int fd,
                                         const struct zmq__tcp_target *t,
                                         int *err)
{
    return zmq__udp_engine_new(s, fd, &t->addr, err);
}

static const struct zmq__connect_ops udp_bound_ops = {
    .needs_lookup = never_lookup,
    .resolve = no_resolve,
    .open = open_bound,
    .engine = receiver_engine,
};

static const struct zmq__connect_ops udp_sender_ops = {
    .needs_lookup = never_lookup,
    .resolve = no_resolve,
    .open = open_sender,
    .engine = sender_engine,
};

/* A session (with its pipe) for a resolved target. */
static int start(struct zmq__socket *s, const char *addr,
                 const struct zmq__connect_ops *ops,
                 const struct zmq__tcp_target *t, struct zmq__pipe **pipe,
                 struct zmq__own **child)
{
    struct zmq__session *session;
    int rc = zmq__session_connect_new(s, "udp", addr, ops, &session, pipe);
    if (rc < 0)
        return rc;
    session->target = *t;
    session->target_fixed = true;
    *child = &session->own;
    return 0;
}

static int udp_bind(struct zmq__socket *s, const char *addr,
                    struct zmq__bound *out)
{
    out->endpoint = NULL;
    out->child = NULL;
    int type = s->options.socket_type;
    if (type != ZMQ_DISH && type != ZMQ_DGRAM)
        return -ENOCOMPATPROTO;
    struct zmq__tcp_target t;
    int rc = udp_parse(addr, true, s->options.ipv6 != 0, &t);
    if (rc < 0) {
        zmq__net_bind_failed(s, "udp", addr, rc);
        return rc;
    }
    /* Bound here, on the caller's thread, so that errors come back now;
     * the session takes this very socket over. */
    int fd = -1;
    rc = open_bound(&t, &s->options, &fd);
    if (rc < 0) {
        if (fd >= 0)
            close(fd);
        zmq__net_bind_failed(s, "udp", addr, rc);
        return rc;
    }
    /* A wildcard port becomes the one the system chose. */
    size_t n = strlen(addr);
    if ((n >= 2 && strcmp(addr + n - 2, ":*") == 0) ||
        (n >= 2 && strcmp(addr + n - 2, ":0") == 0)) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        char ep[ZMQ__SOCKADDR_URI_MAX + 8];
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
            int port = ntohs(ss.ss_family == AF_INET6
                                 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                 : ((struct sockaddr_in *)&ss)->sin_port);
            snprintf(ep, sizeof ep, "udp://%.*s:%d", (int)(n - 2), addr, port);
            out->endpoint = strdup(ep);
        }
    }
    struct zmq__pipe *pipe;
    rc = start(s, addr, &udp_bound_ops, &t, &pipe, &out->child);
    if (rc < 0) {
        close(fd);
        free(out->endpoint);
        out->endpoint = NULL;
        return rc;
    }
    ZMQ__CONTAINER_OF(out->child, struct zmq__session, own)->ready_fd = fd;
    return 0;
}

static int udp_connect(struct zmq__socket *s, const char *addr,
                       struct zmq__pipe **pipe, struct zmq__own **child)
{
    if (s->options.socket_type != ZMQ_RADIO)
        return -ENOCOMPATPROTO;
    struct zmq__tcp_target t;
    int rc = udp_parse(addr, false, s->options.ipv6 != 0, &t);
    if (rc < 0)
        return rc;
    return start(s, addr, &udp_sender_ops, &t, pipe, child);
}

const struct zmq__transport zmq__transport_udp = {
    .scheme = "udp",
    .compatible = udp_compatible,
    .bind = udp_bind,
    .connect = udp_connect,
};
