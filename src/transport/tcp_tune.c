/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Socket set-up shared by the tcp listener and connecter: opening a
 * socket with the flags we always want, and applying the socket's TCP/IP
 * options to it (contract in address.h).
 *
 * Sockets are born non-blocking and close-on-exec (SOCK_NONBLOCK |
 * SOCK_CLOEXEC), so there is no window in which a fork+exec elsewhere in
 * the process could inherit them.  IPv6 sockets turn IPV6_V6ONLY off so
 * that a bind to in6addr_any also serves IPv4 peers, which is what
 * ZMQ_IPV6 promises.
 *
 * zmq__tcp_tune applies only what the application asked for: every
 * option whose value is the "system default" marker is left alone, so a
 * socket with default options costs one setsockopt (TCP_NODELAY).  Any
 * failure is returned rather than ignored: an option the application set
 * and silently did not get (a TOS that is not applied, a device that is
 * not bound) is worse than a bind or connect that fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/options.h"
#include "transport/address.h"

static int set_int(int fd, int level, int name, int value)
{
    if (setsockopt(fd, level, name, &value, sizeof value) < 0)
        return -errno;
    return 0;
}

int zmq__tcp_open(int family)
{
    if (family != AF_INET && family != AF_INET6)
        return -EAFNOSUPPORT;
    int fd =
        socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -errno;
    if (family == AF_INET6)
        (void)set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0); /* best effort */
    return fd;
}

static int tune_keepalive(int fd, const struct zmq__options *o)
{
    if (o->tcp_keepalive == -1)
        return 0;
    int rc = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, o->tcp_keepalive != 0);
    if (rc < 0 || o->tcp_keepalive != 1)
        return rc;
    if (o->tcp_keepalive_cnt != -1 &&
        (rc = set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, o->tcp_keepalive_cnt)) < 0)
        return rc;
    if (o->tcp_keepalive_idle != -1 &&
        (rc = set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, o->tcp_keepalive_idle)) <
            0)
        return rc;
    if (o->tcp_keepalive_intvl != -1 &&
        (rc = set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, o->tcp_keepalive_intvl)) <
            0)
        return rc;
    return 0;
}

int zmq__tcp_tune(int fd, int family, const struct zmq__options *o)
{
    int rc = set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    if (rc < 0)
        return rc;
    if (o->sndbuf >= 0 &&
        (rc = set_int(fd, SOL_SOCKET, SO_SNDBUF, o->sndbuf)) < 0)
        return rc;
    if (o->rcvbuf >= 0 &&
        (rc = set_int(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf)) < 0)
        return rc;
    if (o->tos != 0) {
        if (family == AF_INET6) {
            rc = set_int(fd, IPPROTO_IPV6, IPV6_TCLASS, o->tos);
            if (rc < 0)
                return rc;
            /* IPv4 peers of a dual-stack socket use IP_TOS. */
            (void)set_int(fd, IPPROTO_IP, IP_TOS, o->tos);
        } else if ((rc = set_int(fd, IPPROTO_IP, IP_TOS, o->tos)) < 0) {
            return rc;
        }
    }
#ifdef SO_PRIORITY
    if (o->priority != 0 &&
        (rc = set_int(fd, SOL_SOCKET, SO_PRIORITY, o->priority)) < 0)
        return rc;
#endif
#ifdef SO_BINDTODEVICE
    if (o->bindtodevice.size > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->bindtodevice.data,
                   (socklen_t)o->bindtodevice.size) < 0)
        return -errno;
#endif
    rc = tune_keepalive(fd, o);
    if (rc < 0)
        return rc;
#ifdef TCP_USER_TIMEOUT
    if (o->tcp_maxrt > 0 &&
        (rc = set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, o->tcp_maxrt)) < 0)
        return rc;
#endif
#ifdef SO_BUSY_POLL
    /* ZMQ_BUSY_POLL: microseconds of busy polling on reads, as libzmq.
     * Raising it needs CAP_NET_ADMIN; without that the kernel says EPERM
     * and the connection goes on without it (zmq_setsockopt(3)). */
    if (o->busy_poll > 0 &&
        (rc = set_int(fd, SOL_SOCKET, SO_BUSY_POLL, o->busy_poll)) < 0 &&
        rc != -EPERM)
        return rc;
#endif
    return 0;
}

int zmq__fd_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)
        return -errno;
    return 0;
}
