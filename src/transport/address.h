/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Addresses of the tcp and ipc transports: syntax checks, name
 * resolution, endpoint strings, and the socket set-up helpers the tcp and
 * ipc listeners and connecters share (tcp_tune.c).
 *
 * tcp addresses (what follows "tcp://"), as zmq_tcp(7):
 *
 *   bind     HOST:PORT
 *   connect  HOST:PORT  or  SOURCE:PORT;HOST:PORT
 *
 *   HOST  `*` (bind and SOURCE only: every interface), an IPv4 literal
 *         ("127.0.0.1", also accepted in brackets), an IPv6 literal in
 *         brackets ("[::1]", "[fe80::1%eth0]": a zone is an interface
 *         name or a non-zero number), an interface name (bind and SOURCE
 *         only: "eth0", "lo"), or a host name ("localhost",
 *         "example.com"; names are [A-Za-z0-9_] then [A-Za-z0-9._-], at
 *         most 253 characters).  An unbracketed IPv6 literal is accepted
 *         too, as libzmq does: the port is after the last colon, so
 *         "::1:5555" is host ::1, port 5555.  A host containing a colon
 *         that is not an IPv6 literal is malformed (interface aliases
 *         such as "eth0:1" cannot be named).
 *   PORT  a decimal number 0..65535 (digits only: libzmq's "567bad" is
 *         rejected), or `*` (bind and SOURCE only).  On bind, `*` and 0
 *         both ask for an ephemeral port.  Connecting to port 0 is
 *         accepted, as libzmq (it then fails with ECONNREFUSED).
 *
 * Bind and SOURCE hosts are tried, in this order, as `*`, a literal, an
 * interface name (its first address of the wanted family, via
 * getifaddrs), then a host name.  libzmq refuses host names on bind
 * ("tcp://localhost:5555" fails with ENODEV there); we accept them.
 * Connect hosts are literals or host names, never interface names.
 *
 * Address families (ZMQ_IPV6, the `ipv6` arguments below):
 *  - ipv6 false: IPv4 only.  An IPv6 literal is -EINVAL (as libzmq); a
 *    name with only IPv6 addresses does not resolve.
 *  - ipv6 true: IPv6 preferred, IPv4 accepted.  `*` is in6addr_any (open
 *    it with zmq__tcp_open, which turns IPV6_V6ONLY off, so it is dual
 *    stack); a name or interface gives its first IPv6 address (for an
 *    interface, global before link-local), else its first IPv4 one.  An
 *    IPv4 address stays an AF_INET address: where libzmq would use the
 *    v4-mapped "::ffff:a.b.c.d" on an IPv6 socket, we open an IPv4
 *    socket, which behaves the same on the wire and reads better in
 *    ZMQ_LAST_ENDPOINT.
 *  - SOURCE;HOST: both ends get one family.  A literal source picks it
 *    (and the host must resolve in it); otherwise the host picks it and
 *    the source (`*`, interface or name) must have an address in it.
 *
 * Error codes (negative errno):
 *   -EINVAL        malformed address; IPv6 literal with ipv6 false;
 *                  source and host literals of different families.
 *   -ENODEV        bind/SOURCE: an interface without an address of the
 *                  wanted family, or a name that is neither an interface
 *                  nor resolvable (what libzmq reports for a bind to an
 *                  unknown interface); an IPv6 zone naming no interface.
 *   -EHOSTUNREACH  connect: the host name does not resolve (no such
 *                  name, no address of an allowed family, DNS failure or
 *                  timeout).  A connecter treats it like a refused
 *                  connection: it retries after its reconnect interval.
 *   -ENOMEM        out of memory (getaddrinfo, getifaddrs).
 *
 * ipc addresses (what follows "ipc://"), as zmq_ipc(7): a file system
 * path, "@name" for Linux's abstract namespace, or `*` on bind for a
 * fresh path in a new private directory.
 *
 * Threading: everything here may be called from any thread.  Only
 * zmq__tcp_resolve (and zmq__ipc_resolve for `*`) may block: it may ask
 * DNS.  I/O threads must not call it when zmq__tcp_needs_lookup says so;
 * they use transport/resolver.h instead.
 */
#ifndef ZMQ__ADDRESS_H
#define ZMQ__ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct zmq__options; /* core/options.h */

/* A socket address and its length, as bind/connect/accept take them. */
struct zmq__sockaddr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* A resolved tcp address. */
struct zmq__tcp_target {
    struct zmq__sockaddr addr; /* where to connect / what to bind */
    bool has_source;
    /* Connect only ("SOURCE:PORT;HOST:PORT"): bind the connecting socket
     * to this first (port 0: any).  Same family as addr. */
    struct zmq__sockaddr source;
};

/* Room for any string zmq__sockaddr_to_uri writes, NUL included. */
#define ZMQ__SOCKADDR_URI_MAX 128

/* ------------------------------------------------------------------------ */
/* tcp                                                                       */
/* ------------------------------------------------------------------------ */

/* The syntax check zmq_bind / zmq_connect make before anything else: 0,
 * or -EINVAL for a malformed address (see the grammar above: missing or
 * bad port, empty host, characters no host can have, `*` where only bind
 * allows it, "a;b" on bind).  Never blocks, never resolves. */
int zmq__tcp_check(const char *addr, bool bind);

/* True when zmq__tcp_resolve(addr, bind, ...) may block: some host is a
 * name that is not `*`, a literal or (bind, SOURCE) an interface name.
 * "localhost" counts as a name (getaddrinfo reads /etc/hosts; that is
 * fast, but may also ask DNS).  False for a malformed address (resolving
 * it fails at once).  Cheap: at most one if_nametoindex per host. */
bool zmq__tcp_needs_lookup(const char *addr, bool bind);

/* Resolves addr into *out (see the rules above).  May block in
 * getaddrinfo.  0, -EINVAL, -ENODEV, -EHOSTUNREACH or -ENOMEM.  *out is
 * written only on success. */
int zmq__tcp_resolve(const char *addr, bool bind, bool ipv6,
                     struct zmq__tcp_target *out);

/* A new non-blocking, close-on-exec TCP socket of family AF_INET or
 * AF_INET6; an AF_INET6 one has IPV6_V6ONLY off (dual stack, best
 * effort: some systems refuse).  The descriptor, or a negative errno
 * (-EAFNOSUPPORT, -EMFILE, ...). */
int zmq__tcp_open(int family);

/* Applies the socket's TCP and IP options to a connected or listening
 * TCP socket of the given family (AF_INET or AF_INET6):
 *  - TCP_NODELAY on;
 *  - SO_SNDBUF / SO_RCVBUF when o->sndbuf / o->rcvbuf >= 0 (-1: the
 *    system's default);
 *  - IP_TOS (AF_INET) or IPV6_TCLASS (AF_INET6; IP_TOS too, best
 *    effort, for IPv4 peers of a dual-stack socket) when o->tos != 0;
 *  - SO_PRIORITY when o->priority != 0;
 *  - SO_BINDTODEVICE when o->bindtodevice is not empty (may need
 *    CAP_NET_RAW: -EPERM is returned, so the caller fails the bind or
 *    connect);
 *  - SO_KEEPALIVE when o->tcp_keepalive != -1 (0 off, 1 on); with 1,
 *    TCP_KEEPCNT / TCP_KEEPIDLE / TCP_KEEPINTVL for each of
 *    o->tcp_keepalive_cnt / _idle / _intvl that is not -1 (as libzmq,
 *    they are left alone unless keepalive is 1);
 *  - TCP_USER_TIMEOUT = o->tcp_maxrt milliseconds when it is > 0.
 * 0, or the first failure's negative errno (later options are then not
 * applied). */
int zmq__tcp_tune(int fd, int family, const struct zmq__options *o);

/* Sets O_NONBLOCK and FD_CLOEXEC on fd (a descriptor the library did
 * not create, such as ZMQ_USE_FD's).  0 or a negative errno. */
int zmq__fd_nonblock_cloexec(int fd);

/* ------------------------------------------------------------------------ */
/* Endpoint strings                                                          */
/* ------------------------------------------------------------------------ */

/* The endpoint string of a socket address, as ZMQ_LAST_ENDPOINT, the
 * Peer-Address property and monitor events show it (addresses and
 * ports, never host names):
 *   "tcp://127.0.0.1:5555", "tcp://[::1]:5555", "tcp://[fe80::1%eth0]:80"
 *   (the zone as an interface name, or a number if it names none),
 *   "ipc:///path/to/socket", "ipc://@name" (abstract: the name's bytes as
 *   they are), "ipc://" (an unnamed unix socket, such as an accepted
 *   peer's).
 * Writes the string and a NUL into buf and returns its length (NUL not
 * counted), or -ENOSPC when size cannot hold both (ZMQ__SOCKADDR_URI_MAX
 * always can), -EAFNOSUPPORT for other families, -EINVAL when len is too
 * short for the family. */
int zmq__sockaddr_to_uri(const struct sockaddr *sa, socklen_t len, char *buf,
                         size_t size);

/* ------------------------------------------------------------------------ */
/* ipc                                                                       */
/* ------------------------------------------------------------------------ */

/* Resolves an ipc address into a unix socket address:
 *  - "path": a file system path, at most 107 bytes (sun_path less the
 *    NUL): longer is -ENAMETOOLONG;
 *  - "@name": the abstract namespace (Linux); the address length covers
 *    the leading NUL and the name, nothing more (as libzmq, so the two
 *    meet).  "@" alone is -EINVAL; the name is at most 106 bytes;
 *  - "*" (bind only; connect: -EINVAL): creates a new private directory
 *    (mkdtemp of "$TMPDIR/tmpXXXXXX", /tmp when TMPDIR is unset or empty)
 *    and resolves "<dir>/socket" in it.  The directory's path goes into
 *    wildcard_dir (dirsize bytes, NUL included; -ENOSPC, before anything
 *    is created, when it does not fit); the caller removes it with
 *    zmq__ipc_wildcard_remove when it unbinds.  mkdtemp's errors come
 *    back as they are (-EACCES, -ENOENT, ...).  wildcard_dir is set to ""
 *    for other addresses (when not NULL).
 *  - "": -EINVAL.
 * *out is written only on success. */
int zmq__ipc_resolve(const char *addr, bool bind, struct zmq__sockaddr *out,
                     char *wildcard_dir, size_t dirsize);

/* Removes "<dir>/socket" and then dir, as made by zmq__ipc_resolve for
 * "*".  Best effort; dir "" does nothing. */
void zmq__ipc_wildcard_remove(const char *dir);

#endif
