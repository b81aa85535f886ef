/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Generic socket options.
 *
 * Most options are a plain int with a range, so they live in one table
 * (int_opts: option, field offset, access flags, min, max, default), and
 * zmq__options_init, _set and _get walk it; adding such an option is one
 * line.  Owned byte strings (credentials, PEM text, handshake messages)
 * live in a second table (str_opts: option, field, flags, length bounds),
 * which _copy and _fini also walk, so every owned string is freed and
 * copied without a list kept by hand.  The rest (CURVE keys, int64 and
 * uint64 values, views such as IPV4ONLY and HEARTBEAT_TTL, the mechanism
 * switches, lists) are the cases of one switch.
 *
 * Where libzmq is odd we keep what programs can observe and smooth the
 * rest; each choice is noted where it is made:
 * - getsockopt of an int, int64 or uint64 accepts any buffer at least
 *   that big and sets *optvallen (libzmq wants the exact size for most);
 * - a zero length clears ZAP_DOMAIN and CONNECT_ROUTING_ID (libzmq cannot
 *   clear them) and METADATA (libzmq cannot);
 * - HEARTBEAT_TTL rejects negative values (libzmq rounds -99..-1 to 0);
 * - BUSY_POLL reads back (libzmq's getsockopt always fails);
 * - METADATA replaces a key set before (libzmq silently keeps the first).
 *
 * Setters validate and allocate before they change anything, so a failed
 * set leaves the options as they were.
 */
#include "core/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/z85.h"
#include "platform.h"
#include "zmq.h"

/* No GSSAPI mechanism is built; its options fail with EINVAL, as in a
 * libzmq built without it (zmq_has("gssapi") is 0).  The fields stay so
 * that a mechanism can be added by turning this on. */
#define OPTIONS_HAVE_GSSAPI 0

/* HEARTBEAT_TTL is kept in deciseconds, at most 65535 of them. */
#define TTL_MS_PER_UNIT 100
#define TTL_MAX_MS      (65535 * TTL_MS_PER_UNIT + TTL_MS_PER_UNIT - 1)

enum {
    F_R = 0x01,          /* getsockopt reads it */
    F_W = 0x02,          /* setsockopt writes it */
    F_RW = F_R | F_W,    /* both */
    F_BOOL = 0x04,       /* int: any value, stored as value != 0 */
    F_TLS = 0x08,        /* only with wss (GnuTLS) built */
    F_GSSAPI = 0x10,     /* only with GSSAPI built */
    F_PLAIN = 0x20,      /* str: selects PLAIN as a client; "" selects NULL */
    F_GSS_MECH = 0x40,   /* str: selects GSSAPI */
    F_GSS_CLIENT = 0x80, /* str: and makes the socket a GSSAPI client */
    F_CSTR = 0x100       /* str: a C string, ended by a NUL in the length */
};

struct int_opt {
    int id;
    unsigned short offset;
    unsigned short flags;
    int min, max, dflt;
};

#define INT_OPT(id, field, flags, min, max, dflt)                              \
    {                                                                          \
        id, offsetof(struct zmq__options, field), flags, min, max, dflt        \
    }

static const struct int_opt int_opts[] = {
    INT_OPT(ZMQ_TYPE, socket_type, F_R, 0, 0, -1),
    INT_OPT(ZMQ_THREAD_SAFE, thread_safe, F_R, 0, 0, 0),
    INT_OPT(ZMQ_MECHANISM, mechanism, F_R, 0, 0, ZMQ_NULL),
    INT_OPT(ZMQ_ROUTER_NOTIFY, router_notify, F_R, 0, 0, 0),
    INT_OPT(ZMQ_SNDHWM, sndhwm, F_RW, 0, INT_MAX, 1000),
    INT_OPT(ZMQ_RCVHWM, rcvhwm, F_RW, 0, INT_MAX, 1000),
    INT_OPT(ZMQ_LINGER, linger, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_SNDTIMEO, sndtimeo, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_RCVTIMEO, rcvtimeo, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_RECONNECT_IVL, reconnect_ivl, F_RW, -1, INT_MAX, 100),
    INT_OPT(ZMQ_RECONNECT_IVL_MAX, reconnect_ivl_max, F_RW, 0, INT_MAX, 0),
    INT_OPT(ZMQ_RECONNECT_STOP, reconnect_stop, F_RW, INT_MIN, INT_MAX, 0),
    INT_OPT(ZMQ_CONNECT_TIMEOUT, connect_timeout, F_RW, 0, INT_MAX, 0),
    INT_OPT(ZMQ_HANDSHAKE_IVL, handshake_ivl, F_RW, 0, INT_MAX, 30000),
    INT_OPT(ZMQ_BACKLOG, backlog, F_RW, 0, INT_MAX, 100),
    INT_OPT(ZMQ_IMMEDIATE, immediate, F_RW, 0, 1, 0),
    INT_OPT(ZMQ_CONFLATE, conflate, F_RW, 0, 1, 0),
    INT_OPT(ZMQ_INVERT_MATCHING, invert_matching, F_RW | F_BOOL, 0, 0, 0),
    INT_OPT(ZMQ_IN_BATCH_SIZE, in_batch_size, F_RW, 1, INT_MAX, 8192),
    INT_OPT(ZMQ_OUT_BATCH_SIZE, out_batch_size, F_RW, 1, INT_MAX, 16384),
    INT_OPT(ZMQ_USE_FD, use_fd, F_RW, -1, INT_MAX, -1),
    /* libzmq 4.3.5 stores BUSY_POLL but its getsockopt always fails; a
     * value that can be set can be read back here. */
    INT_OPT(ZMQ_BUSY_POLL, busy_poll, F_RW, INT_MIN, INT_MAX, 0),
    INT_OPT(ZMQ_HEARTBEAT_IVL, heartbeat_ivl, F_RW, 0, INT_MAX, 0),
    /* The default -1 ("use HEARTBEAT_IVL") cannot be set back. */
    INT_OPT(ZMQ_HEARTBEAT_TIMEOUT, heartbeat_timeout, F_RW, 0, INT_MAX, -1),
    INT_OPT(ZMQ_IPV6, ipv6, F_RW, 0, 1, 0),
    INT_OPT(ZMQ_SNDBUF, sndbuf, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_RCVBUF, rcvbuf, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_TOS, tos, F_RW, 0, INT_MAX, 0),
    INT_OPT(ZMQ_PRIORITY, priority, F_RW, 0, INT_MAX, 0),
    INT_OPT(ZMQ_TCP_KEEPALIVE, tcp_keepalive, F_RW, -1, 1, -1),
    INT_OPT(ZMQ_TCP_KEEPALIVE_CNT, tcp_keepalive_cnt, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_TCP_KEEPALIVE_IDLE, tcp_keepalive_idle, F_RW, -1, INT_MAX, -1),
    INT_OPT(ZMQ_TCP_KEEPALIVE_INTVL, tcp_keepalive_intvl, F_RW, -1, INT_MAX,
            -1),
    INT_OPT(ZMQ_TCP_MAXRT, tcp_maxrt, F_RW, 0, INT_MAX, 0),
    INT_OPT(ZMQ_LOOPBACK_FASTPATH, loopback_fastpath, F_RW | F_BOOL, 0, 0, 0),
    INT_OPT(ZMQ_RATE, rate, F_RW, 1, INT_MAX, 100),
    INT_OPT(ZMQ_RECOVERY_IVL, recovery_ivl, F_RW, 0, INT_MAX, 10000),
    INT_OPT(ZMQ_MULTICAST_HOPS, multicast_hops, F_RW, 1, INT_MAX, 1),
    INT_OPT(ZMQ_MULTICAST_MAXTPDU, multicast_maxtpdu, F_RW, 1, INT_MAX, 1500),
    INT_OPT(ZMQ_MULTICAST_LOOP, multicast_loop, F_RW | F_BOOL, 0, 0, 1),
    /* NORM is not built; its settings are kept (they affect nothing), as
     * in libzmq builds with NORM, which is what Debian ships. */
    INT_OPT(ZMQ_NORM_MODE, norm_mode, F_RW, ZMQ_NORM_FIXED,
            ZMQ_NORM_CCE_ECNONLY, ZMQ_NORM_CC),
    INT_OPT(ZMQ_NORM_UNICAST_NACK, norm_unicast_nack, F_RW, 0, 1, 0),
    INT_OPT(ZMQ_NORM_BUFFER_SIZE, norm_buffer_size, F_RW, 1, INT_MAX, 2048),
    INT_OPT(ZMQ_NORM_SEGMENT_SIZE, norm_segment_size, F_RW, 1, INT_MAX, 1400),
    INT_OPT(ZMQ_NORM_BLOCK_SIZE, norm_block_size, F_RW, 1, 255, 16),
    INT_OPT(ZMQ_NORM_NUM_PARITY, norm_num_parity, F_RW, 0, 255, 4),
    INT_OPT(ZMQ_NORM_NUM_AUTOPARITY, norm_num_autoparity, F_RW, 0, 255, 0),
    INT_OPT(ZMQ_NORM_PUSH, norm_push, F_RW, 0, 1, 0),
    INT_OPT(ZMQ_ZAP_ENFORCE_DOMAIN, zap_enforce_domain, F_RW | F_BOOL, 0, 0, 0),
    INT_OPT(ZMQ_GSSAPI_PLAINTEXT, gssapi_plaintext, F_RW | F_GSSAPI, 0, 1, 0),
    INT_OPT(ZMQ_GSSAPI_PRINCIPAL_NAMETYPE, gssapi_principal_nametype,
            F_RW | F_GSSAPI, ZMQ_GSSAPI_NT_HOSTBASED,
            ZMQ_GSSAPI_NT_KRB5_PRINCIPAL, ZMQ_GSSAPI_NT_HOSTBASED),
    INT_OPT(ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE,
            gssapi_service_principal_nametype, F_RW | F_GSSAPI,
            ZMQ_GSSAPI_NT_HOSTBASED, ZMQ_GSSAPI_NT_KRB5_PRINCIPAL,
            ZMQ_GSSAPI_NT_HOSTBASED),
    INT_OPT(ZMQ_WSS_TRUST_SYSTEM, wss_trust_system, F_W | F_TLS, 0, 1, 0),
};

struct str_opt {
    int id;
    unsigned short offset;
    unsigned short flags;
    size_t min, max; /* length bounds; min 0 means "empty clears" */
};

#define STR_OPT(id, field, flags, min, max)                                    \
    {                                                                          \
        id, offsetof(struct zmq__options, field), flags, min, max              \
    }

static const struct str_opt str_opts[] = {
    /* libzmq takes (NULL, 0) to mean "mechanism NULL"; any empty value
     * does here, leaving the stored credential as it was (as libzmq). */
    STR_OPT(ZMQ_PLAIN_USERNAME, plain_username, F_RW | F_PLAIN, 1, 255),
    STR_OPT(ZMQ_PLAIN_PASSWORD, plain_password, F_RW | F_PLAIN, 1, 255),
    STR_OPT(ZMQ_ZAP_DOMAIN, zap_domain, F_RW, 0, 255),
    STR_OPT(ZMQ_SOCKS_PROXY, socks_proxy, F_RW, 0, SIZE_MAX),
    STR_OPT(ZMQ_SOCKS_USERNAME, socks_username, F_RW, 0, 255),
    STR_OPT(ZMQ_SOCKS_PASSWORD, socks_password, F_RW, 0, 255),
    /* For SO_BINDTODEVICE: the name and its NUL must fit in IFNAMSIZ (16).
     * libzmq takes 16 bytes, which the kernel then refuses. */
    STR_OPT(ZMQ_BINDTODEVICE, bindtodevice, F_RW | F_CSTR, 0, 15),
    STR_OPT(ZMQ_GSSAPI_PRINCIPAL, gssapi_principal,
            F_RW | F_GSSAPI | F_GSS_MECH, 1, 255),
    STR_OPT(ZMQ_GSSAPI_SERVICE_PRINCIPAL, gssapi_service_principal,
            F_RW | F_GSSAPI | F_GSS_MECH | F_GSS_CLIENT, 1, 255),
    STR_OPT(ZMQ_WSS_KEY_PEM, wss_key_pem, F_W | F_TLS, 0, SIZE_MAX),
    STR_OPT(ZMQ_WSS_CERT_PEM, wss_cert_pem, F_W | F_TLS, 0, SIZE_MAX),
    STR_OPT(ZMQ_WSS_TRUST_PEM, wss_trust_pem, F_W | F_TLS, 0, SIZE_MAX),
    STR_OPT(ZMQ_WSS_HOSTNAME, wss_hostname, F_W | F_TLS, 0, SIZE_MAX),
    STR_OPT(ZMQ_HELLO_MSG, hello_msg, F_W, 0, SIZE_MAX),
    STR_OPT(ZMQ_DISCONNECT_MSG, disconnect_msg, F_W, 0, SIZE_MAX),
    STR_OPT(ZMQ_HICCUP_MSG, hiccup_msg, F_W, 0, SIZE_MAX),
    /* libzmq cannot clear a pending one; an empty value does here. */
    STR_OPT(ZMQ_CONNECT_ROUTING_ID, connect_routing_id, F_W, 0,
            ZMQ__OPTIONS_ROUTING_ID_MAX),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static bool built(unsigned flags)
{
    if ((flags & F_TLS) && !ZMQ__HAVE_GNUTLS)
        return false;
    if ((flags & F_GSSAPI) && !OPTIONS_HAVE_GSSAPI)
        return false;
    return true;
}

static const struct int_opt *find_int(int id)
{
    for (size_t i = 0; i < COUNT(int_opts); i++)
        if (int_opts[i].id == id)
            return &int_opts[i];
    return NULL;
}

static const struct str_opt *find_str(int id)
{
    for (size_t i = 0; i < COUNT(str_opts); i++)
        if (str_opts[i].id == id)
            return &str_opts[i];
    return NULL;
}

static int *int_at(struct zmq__options *o, size_t offset)
{
    return (int *)((char *)o + offset);
}

static struct zmq__options_str *str_at(struct zmq__options *o, size_t offset)
{
    return (struct zmq__options_str *)((char *)o + offset);
}

/* The int argument of a setsockopt: exactly sizeof(int) bytes. */
static int int_arg(const void *optval, size_t optvallen, int *value)
{
    if (optvallen != sizeof(int))
        return -EINVAL;
    memcpy(value, optval, sizeof(int));
    return 0;
}

/* Copies n bytes out to a getsockopt buffer of *optvallen bytes. */
static int put(void *optval, size_t *optvallen, const void *value, size_t n)
{
    if (*optvallen < n || (optval == NULL && n > 0))
        return -EINVAL;
    if (n > 0)
        memcpy(optval, value, n);
    *optvallen = n;
    return 0;
}

static int put_int(void *optval, size_t *optvallen, int value)
{
    return put(optval, optvallen, &value, sizeof value);
}

static void str_clear(struct zmq__options_str *s)
{
    free(s->data);
    s->data = NULL;
    s->size = 0;
}

/* Replaces s with a copy of the n bytes at p. */
static int str_assign(struct zmq__options_str *s, const void *p, size_t n)
{
    char *data = NULL;
    if (n > 0) {
        if (n == SIZE_MAX || (data = malloc(n + 1)) == NULL)
            return -ENOMEM;
        memcpy(data, p, n);
        data[n] = '\0';
    }
    free(s->data);
    s->data = data;
    s->size = n;
    return 0;
}

static void ids_clear(struct zmq__options_ids *set)
{
    free(set->ids);
    set->ids = NULL;
    set->count = 0;
}

int zmq__options_ids_contain(const struct zmq__options_ids *set, long long id)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->ids[i] == id)
            return 1;
    return 0;
}

static int ids_add(struct zmq__options_ids *set, long long id)
{
    if (zmq__options_ids_contain(set, id))
        return 0;
    long long *ids = realloc(set->ids, (set->count + 1) * sizeof *ids);
    if (ids == NULL)
        return -ENOMEM;
    ids[set->count++] = id;
    set->ids = ids;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */
/* ------------------------------------------------------------------------ */

void zmq__options_init(struct zmq__options *o, int socket_type, int thread_safe,
                       int ctx_ipv6, int ctx_blocky)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < COUNT(int_opts); i++)
        *int_at(o, int_opts[i].offset) = int_opts[i].dflt;
    o->maxmsgsize = -1;
    o->raw_notify = 1;
    o->socket_type = socket_type;
    o->thread_safe = thread_safe != 0;
    o->ipv6 = ctx_ipv6 != 0;
    o->linger = ctx_blocky ? -1 : 0;
}

void zmq__options_fini(struct zmq__options *o)
{
    for (size_t i = 0; i < COUNT(str_opts); i++)
        str_clear(str_at(o, str_opts[i].offset));
    for (size_t i = 0; i < o->metadata_count; i++)
        free(o->metadata[i].key);
    free(o->metadata);
    o->metadata = NULL;
    o->metadata_count = 0;
    free(o->tcp_accept_filters);
    o->tcp_accept_filters = NULL;
    o->tcp_accept_filter_count = 0;
    ids_clear(&o->ipc_filter_pid);
    ids_clear(&o->ipc_filter_uid);
    ids_clear(&o->ipc_filter_gid);
}

static int ids_copy(struct zmq__options_ids *dst,
                    const struct zmq__options_ids *src)
{
    if (src->count == 0)
        return 0;
    dst->ids = malloc(src->count * sizeof *dst->ids);
    if (dst->ids == NULL)
        return -ENOMEM;
    memcpy(dst->ids, src->ids, src->count * sizeof *dst->ids);
    dst->count = src->count;
    return 0;
}

static int copy_owned(struct zmq__options *dst, const struct zmq__options *src)
{
    for (size_t i = 0; i < COUNT(str_opts); i++) {
        const struct zmq__options_str *s =
            str_at((struct zmq__options *)src, str_opts[i].offset);
        if (str_assign(str_at(dst, str_opts[i].offset), s->data, s->size))
            return -ENOMEM;
    }
    if (src->metadata_count > 0) {
        dst->metadata = calloc(src->metadata_count, sizeof *dst->metadata);
        if (dst->metadata == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < src->metadata_count; i++) {
            const struct zmq__options_meta *m = &src->metadata[i];
            size_t voff = (size_t)(m->value - m->key);
            size_t n = voff + strlen(m->value) + 1;
            char *block = malloc(n);
            if (block == NULL)
                return -ENOMEM;
            memcpy(block, m->key, n);
            dst->metadata[i].key = block;
            dst->metadata[i].value = block + voff;
            dst->metadata_count = i + 1;
        }
    }
    if (src->tcp_accept_filter_count > 0) {
        size_t n =
            src->tcp_accept_filter_count * sizeof(struct zmq__options_cidr);
        dst->tcp_accept_filters = malloc(n);
        if (dst->tcp_accept_filters == NULL)
            return -ENOMEM;
        memcpy(dst->tcp_accept_filters, src->tcp_accept_filters, n);
        dst->tcp_accept_filter_count = src->tcp_accept_filter_count;
    }
    if (ids_copy(&dst->ipc_filter_pid, &src->ipc_filter_pid) ||
        ids_copy(&dst->ipc_filter_uid, &src->ipc_filter_uid) ||
        ids_copy(&dst->ipc_filter_gid, &src->ipc_filter_gid))
        return -ENOMEM;
    return 0;
}

int zmq__options_copy(struct zmq__options *dst, const struct zmq__options *src)
{
    /* Copy the plain values, then detach every owned pointer from src's
     * memory before duplicating, so a failure part-way leaves dst holding
     * only memory of its own, which fini frees. */
    *dst = *src;
    for (size_t i = 0; i < COUNT(str_opts); i++)
        *str_at(dst, str_opts[i].offset) = (struct zmq__options_str){0};
    dst->metadata = NULL;
    dst->metadata_count = 0;
    dst->tcp_accept_filters = NULL;
    dst->tcp_accept_filter_count = 0;
    dst->ipc_filter_pid = dst->ipc_filter_uid = dst->ipc_filter_gid =
        (struct zmq__options_ids){0};
    int rc = copy_owned(dst, src);
    if (rc != 0)
        zmq__options_fini(dst);
    return rc;
}

size_t zmq__options_take_connect_routing_id(struct zmq__options *o,
                                            unsigned char *out)
{
    size_t n = o->connect_routing_id.size;
    if (n > 0)
        memcpy(out, o->connect_routing_id.data, n);
    str_clear(&o->connect_routing_id);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Option-specific setters                                                   */
/* ------------------------------------------------------------------------ */

static int set_int(struct zmq__options *o, const struct int_opt *e,
                   const void *optval, size_t optvallen)
{
    int value;
    if (!(e->flags & F_W) || !built(e->flags) ||
        int_arg(optval, optvallen, &value) != 0)
        return -EINVAL;
    if (e->flags & F_BOOL)
        value = value != 0;
    else if (value < e->min || value > e->max)
        return -EINVAL;
    *int_at(o, e->offset) = value;
    return 0;
}

static int set_str(struct zmq__options *o, const struct str_opt *e,
                   const void *optval, size_t optvallen)
{
    if (!(e->flags & F_W) || !built(e->flags))
        return -EINVAL;
    if ((e->flags & F_CSTR) && optvallen > 0)
        optvallen = strnlen(optval, optvallen);
    if (optvallen == 0 && (e->flags & F_PLAIN)) {
        o->mechanism = ZMQ_NULL;
        return 0;
    }
    if (optvallen < e->min || optvallen > e->max)
        return -EINVAL;
    int rc = str_assign(str_at(o, e->offset), optval, optvallen);
    if (rc != 0)
        return rc;
    if (e->flags & F_PLAIN) {
        o->as_server = 0;
        o->mechanism = ZMQ_PLAIN;
    }
    if (e->flags & F_GSS_MECH)
        o->mechanism = ZMQ_GSSAPI;
    if (e->flags & F_GSS_CLIENT)
        o->as_server = 0;
    return 0;
}

/* A server's mechanism switch: PLAIN_SERVER, CURVE_SERVER, GSSAPI_SERVER.
 * Setting 0 also drops back to NULL (as libzmq), except for GSSAPI. */
static int set_server(struct zmq__options *o, int mechanism, const void *optval,
                      size_t optvallen)
{
    int value;
    if (int_arg(optval, optvallen, &value) != 0 || (value != 0 && value != 1))
        return -EINVAL;
    o->as_server = value;
    o->mechanism = value || mechanism == ZMQ_GSSAPI ? mechanism : ZMQ_NULL;
    return 0;
}

/* A CURVE key: 32 binary bytes, 40 Z85 characters, or 40 plus a NUL. */
static int set_curve_key(struct zmq__options *o, uint8_t *key, int *key_set,
                         const void *optval, size_t optvallen)
{
    uint8_t tmp[32];
    if (optvallen == 32)
        memcpy(tmp, optval, 32);
    else if (optvallen == 40 ||
             (optvallen == 41 && ((const char *)optval)[40] == '\0')) {
        if (zmq__z85_decode(tmp, optval, 40) != 0)
            return -EINVAL;
    } else
        return -EINVAL;
    memcpy(key, tmp, 32);
    *key_set = 1;
    o->mechanism = ZMQ_CURVE;
    return 0;
}

static int get_curve_key(const uint8_t *key, void *optval, size_t *optvallen)
{
    if (!ZMQ__HAVE_LIBSODIUM || optval == NULL)
        return -EINVAL;
    if (*optvallen == 32) {
        memcpy(optval, key, 32);
        return 0;
    }
    if (*optvallen == 41)
        return zmq__z85_encode(optval, key, 32);
    return -EINVAL;
}

/* METADATA: "X-key:value", the key at most 255 bytes, the value not
 * empty.  A key set again (compared ignoring case, as ZMTP property names
 * are) gets the new value; an empty argument clears them all. */
static int set_metadata(struct zmq__options *o, const char *s, size_t len)
{
    if (len == 0) {
        for (size_t i = 0; i < o->metadata_count; i++)
            free(o->metadata[i].key);
        free(o->metadata);
        o->metadata = NULL;
        o->metadata_count = 0;
        return 0;
    }
    len = strnlen(s, len);
    const char *colon = memchr(s, ':', len);
    if (colon == NULL)
        return -EINVAL;
    size_t klen = (size_t)(colon - s), vlen = len - klen - 1;
    if (klen < 2 || klen > 255 || vlen == 0 || memcmp(s, "X-", 2) != 0)
        return -EINVAL;

    char *block = malloc(len + 1);
    if (block == NULL)
        return -ENOMEM;
    memcpy(block, s, len);
    block[klen] = '\0';
    block[len] = '\0';
    struct zmq__options_meta m = {block, block + klen + 1};

    for (size_t i = 0; i < o->metadata_count; i++) {
        if (strcasecmp(o->metadata[i].key, m.key) == 0) {
            free(o->metadata[i].key);
            o->metadata[i] = m;
            return 0;
        }
    }
    struct zmq__options_meta *list =
        realloc(o->metadata, (o->metadata_count + 1) * sizeof *list);
    if (list == NULL) {
        free(block);
        return -ENOMEM;
    }
    list[o->metadata_count++] = m;
    o->metadata = list;
    return 0;
}

/* "address" or "address/prefix", numeric IPv4 or IPv6.  Unlike libzmq,
 * an IPv6 entry is taken whatever IPV6 says: it simply never matches an
 * IPv4 peer. */
static int parse_cidr(const char *s, size_t len, struct zmq__options_cidr *c)
{
    char buf[256];
    if (len >= sizeof buf)
        return -EINVAL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    memset(c, 0, sizeof *c);
    int max;
    if (inet_pton(AF_INET, buf, c->addr) == 1) {
        c->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
        c->family = AF_INET6;
        max = 128;
    } else
        return -EINVAL;
    c->prefix = max;
    if (slash != NULL) {
        const char *p = slash + 1;
        size_t n = strlen(p);
        if (n == 0 || n > 3 || strspn(p, "0123456789") != n)
            return -EINVAL;
        c->prefix = atoi(p);
        if (c->prefix > max)
            return -EINVAL;
    }
    return 0;
}

static int set_accept_filter(struct zmq__options *o, const char *s, size_t len)
{
    len = len > 0 ? strnlen(s, len) : 0;
    if (len == 0) {
        free(o->tcp_accept_filters);
        o->tcp_accept_filters = NULL;
        o->tcp_accept_filter_count = 0;
        return 0;
    }
    struct zmq__options_cidr c;
    if (len > 255 || parse_cidr(s, len, &c) != 0)
        return -EINVAL;
    size_t n = o->tcp_accept_filter_count + 1;
    struct zmq__options_cidr *list =
        realloc(o->tcp_accept_filters, n * sizeof *list);
    if (list == NULL)
        return -ENOMEM;
    list[n - 1] = c;
    o->tcp_accept_filters = list;
    o->tcp_accept_filter_count = n;
    return 0;
}

static bool prefix_match(const unsigned char *a, const unsigned char *b,
                         int bits)
{
    size_t whole = (size_t)bits / 8;
    int rest = bits % 8;
    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned mask = (0xffu << (8 - rest)) & 0xffu;
    return ((a[whole] ^ b[whole]) & mask) == 0;
}

int zmq__options_tcp_accept(const struct zmq__options *o,
                            const struct sockaddr *addr)
{
    if (o->tcp_accept_filter_count == 0)
        return 1;
    unsigned char ip[16];
    int family = addr->sa_family;
    const unsigned char *v4 = NULL; /* the IPv4 address, if any */
    if (family == AF_INET) {
        struct sockaddr_in sin;
        memcpy(&sin, addr, sizeof sin);
        memcpy(ip, &sin.sin_addr, 4);
        v4 = ip;
    } else if (family == AF_INET6) {
        struct sockaddr_in6 sin6;
        memcpy(&sin6, addr, sizeof sin6);
        memcpy(ip, &sin6.sin6_addr, 16);
        if (IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
            v4 = ip + 12;
    } else
        return 0;
    for (size_t i = 0; i < o->tcp_accept_filter_count; i++) {
        const struct zmq__options_cidr *c = &o->tcp_accept_filters[i];
        if (c->family == AF_INET && v4 != NULL &&
            prefix_match(c->addr, v4, c->prefix))
            return 1;
        if (c->family == AF_INET6 && family == AF_INET6 &&
            prefix_match(c->addr, ip, c->prefix))
            return 1;
    }
    return 0;
}

/* IPC_FILTER_PID / UID / GID: one id of the option's type adds it; an
 * empty argument clears the set. */
static int set_id(struct zmq__options_ids *set, size_t optvallen,
                  size_t id_size, long long id)
{
    if (optvallen == 0) {
        ids_clear(set);
        return 0;
    }
    return optvallen == id_size ? ids_add(set, id) : -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* setsockopt / getsockopt                                                   */
/* ------------------------------------------------------------------------ */

int zmq__options_set(struct zmq__options *o, int option, const void *optval,
                     size_t optvallen)
{
    if (optval == NULL && optvallen > 0)
        return -EINVAL;
    const struct int_opt *ie = find_int(option);
    if (ie != NULL)
        return set_int(o, ie, optval, optvallen);
    const struct str_opt *se = find_str(option);
    if (se != NULL)
        return set_str(o, se, optval, optvallen);

    int value;
    switch (option) {
    case ZMQ_AFFINITY:
        if (optvallen != sizeof o->affinity)
            return -EINVAL;
        memcpy(&o->affinity, optval, sizeof o->affinity);
        return 0;
    case ZMQ_MAXMSGSIZE:
        if (optvallen != sizeof o->maxmsgsize)
            return -EINVAL;
        memcpy(&o->maxmsgsize, optval, sizeof o->maxmsgsize);
        return 0;
    case ZMQ_IPV4ONLY:
        if (int_arg(optval, optvallen, &value) != 0 ||
            (value != 0 && value != 1))
            return -EINVAL;
        o->ipv6 = !value;
        return 0;
    case ZMQ_HEARTBEAT_TTL:
        if (int_arg(optval, optvallen, &value) != 0 || value < 0 ||
            value > TTL_MAX_MS)
            return -EINVAL;
        o->heartbeat_ttl = value / TTL_MS_PER_UNIT;
        return 0;
    case ZMQ_ROUTING_ID:
        if (optvallen == 0 || optvallen > ZMQ__OPTIONS_ROUTING_ID_MAX)
            return -EINVAL;
        memcpy(o->routing_id, optval, optvallen);
        o->routing_id_size = optvallen;
        return 0;
    case ZMQ_PLAIN_SERVER:
        return set_server(o, ZMQ_PLAIN, optval, optvallen);
    /* Without CURVE built, its options fail (as libzmq's). */
    case ZMQ_CURVE_SERVER:
        if (!ZMQ__HAVE_LIBSODIUM)
            return -EINVAL;
        return set_server(o, ZMQ_CURVE, optval, optvallen);
    case ZMQ_CURVE_PUBLICKEY:
        if (!ZMQ__HAVE_LIBSODIUM)
            return -EINVAL;
        return set_curve_key(o, o->curve_publickey, &o->curve_publickey_set,
                             optval, optvallen);
    case ZMQ_CURVE_SECRETKEY:
        if (!ZMQ__HAVE_LIBSODIUM)
            return -EINVAL;
        return set_curve_key(o, o->curve_secretkey, &o->curve_secretkey_set,
                             optval, optvallen);
    case ZMQ_CURVE_SERVERKEY: {
        if (!ZMQ__HAVE_LIBSODIUM)
            return -EINVAL;
        int rc = set_curve_key(o, o->curve_serverkey, &o->curve_serverkey_set,
                               optval, optvallen);
        if (rc == 0)
            o->as_server = 0;
        return rc;
    }
    case ZMQ_GSSAPI_SERVER:
        if (!OPTIONS_HAVE_GSSAPI)
            return -EINVAL;
        return set_server(o, ZMQ_GSSAPI, optval, optvallen);
    case ZMQ_METADATA:
        return set_metadata(o, optval, optvallen);
    case ZMQ_TCP_ACCEPT_FILTER:
        return set_accept_filter(o, optval, optvallen);
    case ZMQ_IPC_FILTER_PID: {
        pid_t id = 0;
        if (optvallen == sizeof id)
            memcpy(&id, optval, sizeof id);
        return set_id(&o->ipc_filter_pid, optvallen, sizeof id, id);
    }
    case ZMQ_IPC_FILTER_UID: {
        uid_t id = 0;
        if (optvallen == sizeof id)
            memcpy(&id, optval, sizeof id);
        return set_id(&o->ipc_filter_uid, optvallen, sizeof id, id);
    }
    case ZMQ_IPC_FILTER_GID: {
        gid_t id = 0;
        if (optvallen == sizeof id)
            memcpy(&id, optval, sizeof id);
        return set_id(&o->ipc_filter_gid, optvallen, sizeof id, id);
    }
    default:
        return -EINVAL;
    }
}

int zmq__options_get(const struct zmq__options *o, int option, void *optval,
                     size_t *optvallen)
{
    if (optvallen == NULL)
        return -EINVAL;
    struct zmq__options *mo = (struct zmq__options *)o; /* for the tables */

    const struct int_opt *ie = find_int(option);
    if (ie != NULL) {
        if (!(ie->flags & F_R) || !built(ie->flags))
            return -EINVAL;
        return put_int(optval, optvallen, *int_at(mo, ie->offset));
    }
    const struct str_opt *se = find_str(option);
    if (se != NULL) {
        if (!(se->flags & F_R) || !built(se->flags))
            return -EINVAL;
        const struct zmq__options_str *s = str_at(mo, se->offset);
        if (*optvallen < s->size + 1 || optval == NULL)
            return -EINVAL;
        if (s->size > 0)
            memcpy(optval, s->data, s->size);
        ((char *)optval)[s->size] = '\0';
        *optvallen = s->size + 1;
        return 0;
    }

    switch (option) {
    case ZMQ_AFFINITY:
        return put(optval, optvallen, &o->affinity, sizeof o->affinity);
    case ZMQ_MAXMSGSIZE:
        return put(optval, optvallen, &o->maxmsgsize, sizeof o->maxmsgsize);
    case ZMQ_IPV4ONLY:
        return put_int(optval, optvallen, !o->ipv6);
    case ZMQ_HEARTBEAT_TTL:
        return put_int(optval, optvallen, o->heartbeat_ttl * TTL_MS_PER_UNIT);
    case ZMQ_ROUTING_ID:
        return put(optval, optvallen, o->routing_id, o->routing_id_size);
    case ZMQ_PLAIN_SERVER:
        return put_int(optval, optvallen,
                       o->as_server && o->mechanism == ZMQ_PLAIN);
    case ZMQ_CURVE_SERVER:
        if (!ZMQ__HAVE_LIBSODIUM)
            return -EINVAL;
        return put_int(optval, optvallen,
                       o->as_server && o->mechanism == ZMQ_CURVE);
    case ZMQ_CURVE_PUBLICKEY:
        return get_curve_key(o->curve_publickey, optval, optvallen);
    case ZMQ_CURVE_SECRETKEY:
        return get_curve_key(o->curve_secretkey, optval, optvallen);
    case ZMQ_CURVE_SERVERKEY:
        return get_curve_key(o->curve_serverkey, optval, optvallen);
    case ZMQ_GSSAPI_SERVER:
        if (!OPTIONS_HAVE_GSSAPI)
            return -EINVAL;
        return put_int(optval, optvallen,
                       o->as_server && o->mechanism == ZMQ_GSSAPI);
    default:
        return -EINVAL;
    }
}
