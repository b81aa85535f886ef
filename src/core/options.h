/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Socket options: the generic ones every socket type shares (section 2.8
 * of the libzmq facts), their defaults, their range checks, and the
 * zmq_setsockopt / zmq_getsockopt encoding of each (int, int64, uint64,
 * string, binary, CURVE key).
 *
 * socket_base asks the socket type's own handler first; when that returns
 * -EINVAL it calls zmq__options_set / zmq__options_get.  Type-specific
 * options (SUBSCRIBE, ROUTER_*, XPUB_*, REQ_*, ...) and socket_base's own
 * read-only ones (RCVMORE, FD, EVENTS, LAST_ENDPOINT) are not known here
 * and come back as -EINVAL.  Socket types write the internal flags at the
 * end of the struct directly when they are created.
 *
 * Threading: a socket's options belong to the thread using the socket
 * (or are guarded by the socket mutex for the thread-safe types).  Any
 * other object that needs them (session, listener, connecter, engine)
 * works on its own snapshot made with zmq__options_copy.
 *
 * Errors: 0 or a negative errno; only src/zmq.c turns them into errno.
 */
#ifndef ZMQ__OPTIONS_H
#define ZMQ__OPTIONS_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* Largest routing id (ROUTING_ID, CONNECT_ROUTING_ID), in bytes. */
#define ZMQ__OPTIONS_ROUTING_ID_MAX 255

/* An owned byte string.  data is NULL when size is 0; otherwise it holds
 * size bytes followed by a NUL, so text options read as C strings. */
struct zmq__options_str {
    char *data;
    size_t size;
};

/* The value as a C string ("" when empty). */
static inline const char *zmq__options_cstr(const struct zmq__options_str *s)
{
    return s->data != NULL ? s->data : "";
}

/* A set of process, user or group ids (IPC_FILTER_PID / UID / GID). */
struct zmq__options_ids {
    long long *ids;
    size_t count;
};

/* One TCP_ACCEPT_FILTER entry: an address and a prefix length. */
struct zmq__options_cidr {
    int family; /* AF_INET or AF_INET6 */
    int prefix; /* 0..32 or 0..128 */
    unsigned char addr[16];
};

/* One METADATA property; value points into the key's allocation. */
struct zmq__options_meta {
    char *key; /* "X-..." */
    char *value;
};

struct zmq__options {
    /* Read-only: ZMQ_TYPE and ZMQ_THREAD_SAFE. */
    int socket_type;
    int thread_safe;

    /* Queues, timeouts, connection management. */
    int sndhwm, rcvhwm;
    int linger;
    int sndtimeo, rcvtimeo;
    int reconnect_ivl, reconnect_ivl_max, reconnect_stop;
    int connect_timeout, handshake_ivl;
    int backlog;
    int64_t maxmsgsize;
    uint64_t affinity;
    int immediate;
    int conflate;
    int invert_matching;
    int in_batch_size, out_batch_size;
    int use_fd;
    int busy_poll;

    /* Heartbeats.  heartbeat_ttl is in deciseconds (what ZMTP PING
     * carries); ZMQ_HEARTBEAT_TTL reads and writes milliseconds. */
    int heartbeat_ivl, heartbeat_ttl, heartbeat_timeout;

    /* TCP and IP. */
    int ipv6;
    int sndbuf, rcvbuf;
    int tos, priority;
    int tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle;
    int tcp_keepalive_intvl;
    int tcp_maxrt;
    int loopback_fastpath;
    struct zmq__options_str bindtodevice;
    struct zmq__options_str socks_proxy, socks_username, socks_password;
    struct zmq__options_cidr *tcp_accept_filters;
    size_t tcp_accept_filter_count;
    struct zmq__options_ids ipc_filter_pid, ipc_filter_uid, ipc_filter_gid;

    /* Multicast (pgm, norm, udp). */
    int rate, recovery_ivl;
    int multicast_hops, multicast_maxtpdu, multicast_loop;
    int norm_mode, norm_unicast_nack, norm_buffer_size, norm_segment_size;
    int norm_block_size, norm_num_parity, norm_num_autoparity, norm_push;

    /* Security.  mechanism is ZMQ_NULL, ZMQ_PLAIN or ZMQ_CURVE, derived
     * from the options set last (as libzmq).  PLAIN_SERVER / CURVE_SERVER
     * read as (as_server && mechanism == that mechanism). */
    int mechanism;
    int as_server;
    struct zmq__options_str plain_username, plain_password;
    uint8_t curve_publickey[32], curve_secretkey[32], curve_serverkey[32];
    int curve_publickey_set, curve_secretkey_set, curve_serverkey_set;
    struct zmq__options_str zap_domain;
    int zap_enforce_domain;
    int gssapi_plaintext;
    int gssapi_principal_nametype, gssapi_service_principal_nametype;
    struct zmq__options_str gssapi_principal, gssapi_service_principal;

    /* WebSocket over TLS (wss://). */
    struct zmq__options_str wss_key_pem, wss_cert_pem, wss_trust_pem;
    struct zmq__options_str wss_hostname;
    int wss_trust_system;

    /* Identity and application data sent in or around the handshake. */
    unsigned char routing_id[ZMQ__OPTIONS_ROUTING_ID_MAX];
    size_t routing_id_size;
    struct zmq__options_str connect_routing_id; /* see _take_ below */
    struct zmq__options_meta *metadata;
    size_t metadata_count;
    /* Empty means "none". */
    struct zmq__options_str hello_msg, disconnect_msg, hiccup_msg;

    /* Internal flags the socket type sets when it is created; never
     * touched by setsockopt.  router_notify is written by ROUTER's own
     * option handler and read generically (ZMQ_ROUTER_NOTIFY). */
    int router_notify;
    int recv_routing_id; /* ROUTER, STREAM: peers' routing ids arrive */
    int raw_socket;      /* STREAM, ROUTER_RAW: no ZMTP */
    int raw_notify;      /* raw sockets report connects (default 1) */
    int filter;          /* SUB, XSUB, DISH: subscriptions filter input */
    int can_send_hello_msg, can_recv_disconnect_msg, can_recv_hiccup_msg;
};

/* Fills o with libzmq's defaults for a socket of socket_type.  A context
 * with BLOCKY 0 gives LINGER 0; IPV6 starts as the context's.  Allocates
 * nothing, so it cannot fail. */
void zmq__options_init(struct zmq__options *o, int socket_type, int thread_safe,
                       int ctx_ipv6, int ctx_blocky);

/* Frees everything o owns; o must be initialised again before reuse. */
void zmq__options_fini(struct zmq__options *o);

/* Makes dst a deep copy of src (dst need not be initialised).
 * 0, or -ENOMEM with dst left empty (safe to fini, or to ignore). */
int zmq__options_copy(struct zmq__options *dst, const struct zmq__options *src);

/* zmq_setsockopt for the generic options.  0, -EINVAL (unknown or
 * read-only option, wrong length, value out of range, NULL optval with a
 * non-zero length, feature not built) or -ENOMEM.  On failure o is
 * unchanged. */
int zmq__options_set(struct zmq__options *o, int option, const void *optval,
                     size_t optvallen);

/* zmq_getsockopt for the generic options.  On entry *optvallen is the
 * buffer size; on success it is the size written.  Ints, int64s and
 * uint64s need a buffer at least that big; strings come back with a NUL
 * (size + 1 bytes); ROUTING_ID as raw bytes; CURVE keys need exactly 32
 * (binary) or 41 (Z85 text) bytes.  -EINVAL for an unknown or write-only
 * option or a buffer too small. */
int zmq__options_get(const struct zmq__options *o, int option, void *optval,
                     size_t *optvallen);

/* Moves the pending CONNECT_ROUTING_ID into out (room for
 * ZMQ__OPTIONS_ROUTING_ID_MAX bytes) and clears it, so it applies to one
 * connect only.  Returns its size, 0 when none was set. */
size_t zmq__options_take_connect_routing_id(struct zmq__options *o,
                                            unsigned char *out);

/* 1 when the TCP peer at addr passes TCP_ACCEPT_FILTER (no filter: every
 * peer passes), else 0.  IPv4-mapped IPv6 peers match IPv4 entries. */
int zmq__options_tcp_accept(const struct zmq__options *o,
                            const struct sockaddr *addr);

/* 1 when id is in the set, else 0. */
int zmq__options_ids_contain(const struct zmq__options_ids *set, long long id);

#endif
