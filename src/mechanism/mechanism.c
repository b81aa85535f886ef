/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The mechanism-independent half: metadata encoding (RFC 37: a 1-byte
 * name length, the name, a 4-byte big-endian value length, the value),
 * the socket-type compatibility table, command frame helpers, and the
 * choice of mechanism by name.
 */
#include "mechanism/mechanism.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/options.h"
#include "zmq.h"

static const char *const type_names[] = {
    [ZMQ_PAIR] = "PAIR",     [ZMQ_PUB] = "PUB",       [ZMQ_SUB] = "SUB",
    [ZMQ_REQ] = "REQ",       [ZMQ_REP] = "REP",       [ZMQ_DEALER] = "DEALER",
    [ZMQ_ROUTER] = "ROUTER", [ZMQ_PULL] = "PULL",     [ZMQ_PUSH] = "PUSH",
    [ZMQ_XPUB] = "XPUB",     [ZMQ_XSUB] = "XSUB",     [ZMQ_STREAM] = "STREAM",
    [ZMQ_SERVER] = "SERVER", [ZMQ_CLIENT] = "CLIENT", [ZMQ_RADIO] = "RADIO",
    [ZMQ_DISH] = "DISH",     [ZMQ_GATHER] = "GATHER", [ZMQ_SCATTER] = "SCATTER",
    [ZMQ_DGRAM] = "DGRAM",   [ZMQ_PEER] = "PEER",     [ZMQ_CHANNEL] = "CHANNEL",
};

const char *zmq__mechanism_socket_name(int type)
{
    if (type < 0 || (size_t)type >= sizeof type_names / sizeof type_names[0])
        return NULL;
    return type_names[type];
}

/* The peers each type may talk to (RFC 37, libzmq's table). */
static bool pair_ok(int a, int b)
{
    switch (a) {
    case ZMQ_REQ:
        return b == ZMQ_REP || b == ZMQ_ROUTER;
    case ZMQ_REP:
        return b == ZMQ_REQ || b == ZMQ_DEALER;
    case ZMQ_DEALER:
        return b == ZMQ_REP || b == ZMQ_DEALER || b == ZMQ_ROUTER;
    case ZMQ_ROUTER:
        return b == ZMQ_REQ || b == ZMQ_DEALER || b == ZMQ_ROUTER;
    case ZMQ_PUB:
    case ZMQ_XPUB:
        return b == ZMQ_SUB || b == ZMQ_XSUB;
    case ZMQ_SUB:
    case ZMQ_XSUB:
        return b == ZMQ_PUB || b == ZMQ_XPUB;
    case ZMQ_PUSH:
        return b == ZMQ_PULL;
    case ZMQ_PULL:
        return b == ZMQ_PUSH;
    case ZMQ_PAIR:
        return b == ZMQ_PAIR;
    case ZMQ_SERVER:
        return b == ZMQ_CLIENT;
    case ZMQ_CLIENT:
        return b == ZMQ_SERVER;
    case ZMQ_RADIO:
        return b == ZMQ_DISH;
    case ZMQ_DISH:
        return b == ZMQ_RADIO;
    case ZMQ_GATHER:
        return b == ZMQ_SCATTER;
    case ZMQ_SCATTER:
        return b == ZMQ_GATHER;
    case ZMQ_PEER:
        return b == ZMQ_PEER;
    case ZMQ_CHANNEL:
        return b == ZMQ_CHANNEL;
    case ZMQ_DGRAM:
        return b == ZMQ_DGRAM;
    default:
        return false;
    }
}

bool zmq__mechanism_compatible(int ours, const char *peer, size_t len)
{
    for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
        const char *n = type_names[t];
        if (n != NULL && strlen(n) == len && memcmp(n, peer, len) == 0)
            return pair_ok(ours, (int)t);
    }
    return false;
}

const char *zmq__mechanism_name(const struct zmq__options *o)
{
    switch (o->mechanism) {
    case ZMQ_PLAIN:
        return "PLAIN";
    case ZMQ_CURVE:
        return "CURVE";
    default:
        return "NULL";
    }
}

struct zmq__mechanism *
zmq__mechanism_new(const char *name, const struct zmq__options *o, int *err)
{
    const struct zmq__mechanism_ops *ops = NULL;
    if (strcmp(name, "NULL") == 0)
        ops = &zmq__mechanism_null;
    if (ops == NULL) {
        *err = -ENOTSUP;
        return NULL;
    }
    struct zmq__mechanism *m = calloc(1, sizeof *m);
    if (m == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    m->ops = ops;
    m->options = o;
    m->status = ZMQ__MECH_HANDSHAKING;
    return m;
}

void zmq__mechanism_free(struct zmq__mechanism *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nprops; i++) {
        free(m->props[i].name);
        free(m->props[i].value);
    }
    free(m->props);
    free(m);
}

static int append(unsigned char **buf, size_t *size, const void *data, size_t n)
{
    unsigned char *b = realloc(*buf, *size + n + 1);
    if (b == NULL)
        return -ENOMEM;
    memcpy(b + *size, data, n);
    *buf = b;
    *size += n;
    return 0;
}

static int add_prop(unsigned char **buf, size_t *size, const char *name,
                    const void *value, size_t vsize)
{
    size_t nlen = strlen(name);
    unsigned char head[1] = {(unsigned char)nlen};
    unsigned char len[4] = {(unsigned char)(vsize >> 24),
                            (unsigned char)(vsize >> 16),
                            (unsigned char)(vsize >> 8), (unsigned char)vsize};
    int rc = append(buf, size, head, 1);
    if (rc == 0)
        rc = append(buf, size, name, nlen);
    if (rc == 0)
        rc = append(buf, size, len, 4);
    if (rc == 0 && vsize > 0)
        rc = append(buf, size, value, vsize);
    return rc;
}

int zmq__mechanism_add_metadata(const struct zmq__options *o,
                                unsigned char **buf, size_t *size)
{
    const char *type = zmq__mechanism_socket_name(o->socket_type);
    if (type == NULL)
        type = "";
    int rc = add_prop(buf, size, "Socket-Type", type, strlen(type));
    /* Identity matters to ROUTER peers only; libzmq sends it from the
     * types that talk to ROUTERs. */
    if (rc == 0 && (o->socket_type == ZMQ_REQ || o->socket_type == ZMQ_DEALER ||
                    o->socket_type == ZMQ_ROUTER))
        rc = add_prop(buf, size, "Identity", o->routing_id, o->routing_id_size);
    for (size_t i = 0; rc == 0 && i < o->metadata_count; i++)
        rc = add_prop(buf, size, o->metadata[i].key, o->metadata[i].value,
                      strlen(o->metadata[i].value));
    return rc;
}

static bool name_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '+';
}

static int bad_metadata(struct zmq__mechanism *m)
{
    m->status = ZMQ__MECH_ERROR;
    m->error = ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA;
    return -EPROTO;
}

int zmq__mechanism_parse_metadata(struct zmq__mechanism *m,
                                  const unsigned char *data, size_t size)
{
    bool type_seen = false;
    size_t pos = 0;
    while (pos < size) {
        size_t nlen = data[pos++];
        if (nlen == 0 || size - pos < nlen + 4)
            return bad_metadata(m);
        const unsigned char *name = data + pos;
        for (size_t i = 0; i < nlen; i++)
            if (!name_char_ok(name[i]))
                return bad_metadata(m);
        pos += nlen;
        uint32_t vlen = (uint32_t)data[pos] << 24 |
                        (uint32_t)data[pos + 1] << 16 |
                        (uint32_t)data[pos + 2] << 8 | data[pos + 3];
        pos += 4;
        if (vlen > size - pos)
            return bad_metadata(m);
        const unsigned char *value = data + pos;
        pos += vlen;

        if (nlen == 11 &&
            strncasecmp((const char *)name, "Socket-Type", 11) == 0) {
            if (!zmq__mechanism_compatible(m->options->socket_type,
                                           (const char *)value, vlen)) {
                m->status = ZMQ__MECH_ERROR;
                m->error = ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA;
                return -EPROTO;
            }
            type_seen = true;
        } else if (nlen == 8 &&
                   strncasecmp((const char *)name, "Identity", 8) == 0) {
            if (vlen > sizeof m->identity)
                return bad_metadata(m);
            memcpy(m->identity, value, vlen);
            m->identity_size = vlen;
        }
        struct zmq__mech_prop *v =
            realloc(m->props, (m->nprops + 1) * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        m->props = v;
        struct zmq__mech_prop *p = &m->props[m->nprops];
        p->name = malloc(nlen + 1);
        p->value = malloc((size_t)vlen + 1);
        if (p->name == NULL || p->value == NULL) {
            free(p->name);
            free(p->value);
            return -ENOMEM;
        }
        memcpy(p->name, name, nlen);
        p->name[nlen] = '\0';
        memcpy(p->value, value, vlen);
        p->value[vlen] = '\0';
        p->size = vlen;
        m->nprops++;
    }
    /* libzmq checks the type only when the peer sends one. */
    (void)type_seen;
    return 0;
}

const struct zmq__mech_prop *zmq__mechanism_prop(const struct zmq__mechanism *m,
                                                 const char *name)
{
    for (size_t i = 0; i < m->nprops; i++)
        if (strcasecmp(m->props[i].name, name) == 0)
            return &m->props[i];
    return NULL;
}

int zmq__mechanism_make_command(struct zmq__msg *out, const char *name,
                                const void *data, size_t size)
{
    size_t nlen = strlen(name);
    int rc = zmq__msg_init_size(out, 1 + nlen + size);
    if (rc < 0)
        return rc;
    unsigned char *p = zmq__msg_data(out);
    p[0] = (unsigned char)nlen;
    memcpy(p + 1, name, nlen);
    if (size > 0)
        memcpy(p + 1 + nlen, data, size);
    out->flags |= ZMQ__MSG_COMMAND;
    return 0;
}

bool zmq__mechanism_is_command(struct zmq__msg *in, const char *name,
                               const unsigned char **data, size_t *size)
{
    const unsigned char *p = zmq__msg_data(in);
    size_t n = zmq__msg_size(in);
    size_t nlen = strlen(name);
    if (n < 1 + nlen || p[0] != nlen || memcmp(p + 1, name, nlen) != 0)
        return false;
    *data = p + 1 + nlen;
    *size = n - 1 - nlen;
    return true;
}
