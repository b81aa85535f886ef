/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The ZMTP engine.
 *
 * Greeting, in libzmq's stages so that older peers are recognised: we
 * send the 10-byte signature (0xFF, a 64-bit length of routing id + 1,
 * 0x7F) at once; once the peer's signature is in, our major version
 * (3); once its revision is in, either our socket type (a 2.0 peer) or
 * the rest of the 64-byte 3.x greeting.  A peer whose first byte is not
 * 0xFF, or whose tenth byte has bit 0 clear, is an unversioned 1.0 peer:
 * our signature then reads as the header of a 1.0 identity frame, and
 * the identity body follows.  The greeting bytes are read into the input
 * buffer like everything else and the buffer is not compacted until the
 * greeting is over, so bytes of a 1.0 peer's first frame are still there
 * for the frame decoder.
 *
 * Handshake: 3.x peers run the mechanism (mechanism.h) with COMMAND
 * frames; 2.0 and 1.0 peers send their identity as the first frame.
 *
 * Input: reads go into one buffer (in_batch_size bytes) and frames are
 * decoded from it; a body larger than the buffer is read straight into
 * the message.  A decoded message goes to the session; when the pipe is
 * full it waits in `pending` and reading stops until restart_input.
 *
 * Output: messages pulled from the session are encoded into a staging
 * buffer (out_batch_size bytes, at least OUT_MIN); headers and small
 * bodies are copied there, larger bodies get
 * an iovec of their own pointing into the message, which is held until
 * written.  One sendmsg carries the whole batch.
 */
#include "engine/zmtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/metadata.h"
#include "core/msg.h"
#include "core/options.h"
#include "engine/session.h"
#include "engine/stream.h"
#include "mechanism/mechanism.h"
#include "poll/poller.h"
#include "zmq.h"

#define OUT_MIN     2048 /* staging for at least a header and a copied body */
#define OUT_MAX_IOV 64
#define COPY_LIMIT  1024 /* bodies up to this are copied into staging */
#define CMDQ_MAX    8

enum phase { GREETING, HANDSHAKE, IDENTITY, ACTIVE };

/* Frame flags on the wire (2.0 and 3.x). */
enum { F_MORE = 0x01, F_LONG = 0x02, F_COMMAND = 0x04 };

enum timer_id { T_HANDSHAKE = 1, T_HB_IVL, T_HB_TIMEOUT, T_HB_TTL };

struct zmq__zmtp {
    struct zmq__engine base; /* first */
    struct zmq__session *session;
    const struct zmq__options *options;
    struct zmq__stream *stream;
    struct zmq__poller *poller;
    struct zmq__poller_entry *entry;

    enum phase phase;
    bool raw;        /* STREAM: bytes as they come, no ZMTP */
    bool radio;      /* RADIO: a group frame goes before each message */
    bool dish;       /* DISH: a group frame comes before each message */
    bool have_group; /* DISH: the group frame of the next message */
    char group[ZMQ_GROUP_MAX_LENGTH + 1];
    int version; /* 1, 2 or 3 once known */
    int minor;
    bool major_sent, rest_sent;
    int peer_type;           /* a 2.0 peer's socket type byte */
    bool subscribe_commands; /* send SUBSCRIBE/CANCEL (3.1 peers) */
    struct zmq__mechanism *mech;
    struct zmq__metadata *metadata;

    /* Input. */
    unsigned char *in;
    size_t in_cap, in_pos, in_end;
    bool in_stalled;   /* the pipe is full: not reading */
    bool have_pending; /* a decoded message waits for pipe room */
    struct zmq__msg pending;
    unsigned char hdr[10];
    size_t hdr_len, hdr_need;
    bool in_body;
    struct zmq__msg body;
    unsigned char body_flags; /* MORE / COMMAND of the frame in `body` */
    size_t body_size, body_have;

    /* Output. */
    unsigned char *out;
    size_t out_len;
    size_t out_cap; /* staging bytes: ZMQ_OUT_BATCH_SIZE, at least OUT_MIN */
    struct iovec iov[OUT_MAX_IOV];
    int niov, iov_pos;
    struct zmq__msg held[OUT_MAX_IOV];
    int nheld;
    bool out_active;
    struct zmq__msg cmdq[CMDQ_MAX]; /* commands to send first */
    int ncmd;
    unsigned char greeting[64];
    size_t greeting_len;

    /* Timers (0: not running). */
    int t_handshake, t_ivl, t_timeout, t_ttl;
};

static void error_out(struct zmq__zmtp *e, enum zmq__engine_error why,
                      int protocol_error);
static void out_event(void *arg);

/* ------------------------------------------------------------------------ */
/* Timers                                                                    */
/* ------------------------------------------------------------------------ */

static void on_timer(void *arg, int id);

static void start_timer(struct zmq__zmtp *e, int *handle, int ms, int id)
{
    if (*handle > 0)
        zmq__poller_cancel_timer(e->poller, *handle);
    int rc = zmq__poller_add_timer(e->poller, (uint64_t)ms, on_timer, e, id);
    *handle = rc > 0 ? rc : 0;
}

static void stop_timer(struct zmq__zmtp *e, int *handle)
{
    if (*handle > 0)
        zmq__poller_cancel_timer(e->poller, *handle);
    *handle = 0;
}

static int queue_command(struct zmq__zmtp *e, struct zmq__msg *m)
{
    if (e->ncmd == CMDQ_MAX) {
        zmq__msg_close(m);
        return -ENOBUFS;
    }
    e->cmdq[e->ncmd++] = *m;
    zmq__msg_init(m);
    if (!e->out_active) {
        e->out_active = true;
        zmq__poller_set_out(e->poller, e->entry);
    }
    return 0;
}

static void send_ping(struct zmq__zmtp *e)
{
    int ttl = e->options->heartbeat_ttl; /* deciseconds */
    unsigned char body[2] = {(unsigned char)(ttl >> 8), (unsigned char)ttl};
    struct zmq__msg m;
    if (zmq__mechanism_make_command(&m, "PING", body, 2) == 0)
        queue_command(e, &m);
}

static void on_timer(void *arg, int id)
{
    struct zmq__zmtp *e = arg;
    switch (id) {
    case T_HANDSHAKE:
        e->t_handshake = 0;
        error_out(e, ZMQ__ENGINE_TIMEOUT, 0);
        return;
    case T_HB_IVL:
        e->t_ivl = 0;
        send_ping(e);
        start_timer(e, &e->t_ivl, e->options->heartbeat_ivl, T_HB_IVL);
        if (e->t_timeout == 0) {
            int to = e->options->heartbeat_timeout;
            start_timer(e, &e->t_timeout,
                        to > 0 ? to : e->options->heartbeat_ivl, T_HB_TIMEOUT);
        }
        return;
    case T_HB_TIMEOUT:
        e->t_timeout = 0;
        error_out(e, ZMQ__ENGINE_TIMEOUT, 0);
        return;
    case T_HB_TTL:
        e->t_ttl = 0;
        error_out(e, ZMQ__ENGINE_TIMEOUT, 0);
        return;
    }
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

/* Room needed in staging for the largest header. */
#define HDR_MAX 10

/* Counts n bytes just written at the end of staging into the batch,
 * extending the last iovec when it ends there. */
static void staged(struct zmq__zmtp *e, size_t n)
{
    unsigned char *dst = e->out + e->out_len;
    e->out_len += n;
    struct iovec *last = e->niov > 0 ? &e->iov[e->niov - 1] : NULL;
    if (last != NULL && (unsigned char *)last->iov_base + last->iov_len == dst)
        last->iov_len += n;
    else
        e->iov[e->niov++] = (struct iovec){dst, n};
}

static void add_bytes(struct zmq__zmtp *e, const void *data, size_t n)
{
    memcpy(e->out + e->out_len, data, n);
    staged(e, n);
}

/* Writes a frame header for `size` body bytes. */
static void add_header(struct zmq__zmtp *e, size_t size, bool more,
                       bool command)
{
    unsigned char h[HDR_MAX];
    size_t n = 0;
    if (e->version == 1) {
        uint64_t len = (uint64_t)size + 1;
        if (len < 255) {
            h[n++] = (unsigned char)len;
        } else {
            h[n++] = 0xFF;
            for (int i = 7; i >= 0; i--)
                h[n++] = (unsigned char)(len >> (8 * i));
        }
        h[n++] = more ? 1 : 0;
    } else {
        unsigned char flags =
            (unsigned char)((more ? F_MORE : 0) | (command ? F_COMMAND : 0));
        if (size > 255) {
            h[n++] = flags | F_LONG;
            for (int i = 7; i >= 0; i--)
                h[n++] = (unsigned char)((uint64_t)size >> (8 * i));
        } else {
            h[n++] = flags;
            h[n++] = (unsigned char)size;
        }
    }
    add_bytes(e, h, n);
}

/* Adds one message to the batch: false when it does not fit (the
 * caller keeps it for the next batch). */
static bool add_message(struct zmq__zmtp *e, struct zmq__msg *m, bool command)
{
    size_t size = zmq__msg_size(m);
    if (size <= 255 && e->version >= 2 && !e->radio && !e->raw &&
        e->out_len + 2 + size <= e->out_cap && e->niov + 3 < OUT_MAX_IOV) {
        /* Fast path: a short frame, header and body copied together. */
        unsigned char *dst = e->out + e->out_len;
        dst[0] = (unsigned char)((zmq__msg_more(m) ? F_MORE : 0) |
                                 (command ? F_COMMAND : 0));
        dst[1] = (unsigned char)size;
        if (size > 0)
            memcpy(dst + 2, zmq__msg_data(m), size);
        staged(e, 2 + size);
        zmq__msg_close(m);
        zmq__msg_init(m);
        return true;
    }
    size_t copy = size <= COPY_LIMIT ? size : 0;
    const char *group = e->radio && !command ? zmq__msg_group(m) : NULL;
    size_t glen = group != NULL ? strlen(group) : 0;
    if (e->out_len + 2 * HDR_MAX + glen + copy > e->out_cap ||
        e->niov + 3 >= OUT_MAX_IOV)
        return false;
    if (group != NULL) {
        /* RADIO on ZMTP: [group, MORE][body]. */
        add_header(e, glen, true, false);
        if (glen > 0)
            add_bytes(e, group, glen);
    }
    if (!e->raw)
        add_header(e, size, zmq__msg_more(m), command);
    if (copy > 0 || size == 0) {
        if (size > 0)
            add_bytes(e, zmq__msg_data(m), size);
        zmq__msg_close(m);
    } else {
        e->iov[e->niov++] = (struct iovec){zmq__msg_data(m), size};
        e->held[e->nheld++] = *m;
    }
    zmq__msg_init(m);
    return true;
}

/* A SUB/XSUB message to a 3.1 peer: becomes SUBSCRIBE or CANCEL. */
static bool subscription_to_command(struct zmq__zmtp *e, struct zmq__msg *m)
{
    if (!e->subscribe_commands || zmq__msg_more(m) ||
        (m->flags & ZMQ__MSG_COMMAND))
        return false;
    size_t size = zmq__msg_size(m);
    const unsigned char *d = zmq__msg_data(m);
    if (size == 0 || d[0] > 1)
        return false;
    struct zmq__msg c;
    if (zmq__mechanism_make_command(&c, d[0] ? "SUBSCRIBE" : "CANCEL", d + 1,
                                    size - 1) < 0)
        return false;
    zmq__msg_close(m);
    *m = c;
    return true;
}

/* The message carried over from a full batch. */
static struct zmq__msg *carry(struct zmq__zmtp *e)
{
    return &e->held[OUT_MAX_IOV - 1];
}

/* Fills the batch: queued commands first, then (once active) messages
 * from the session.  The last held slot keeps a message that did not
 * fit, so it is never reused for holding (nheld stays below it). */
static void fill(struct zmq__zmtp *e)
{
    while (e->ncmd > 0) {
        if (!add_message(e, &e->cmdq[0], true))
            return;
        e->ncmd--;
        memmove(&e->cmdq[0], &e->cmdq[1], (size_t)e->ncmd * sizeof e->cmdq[0]);
    }
    if (e->phase != ACTIVE)
        return;
    struct zmq__msg *c = carry(e);
    for (;;) {
        if (c->type == ZMQ__MSG_INVALID) {
            zmq__msg_init(c);
            if (zmq__session_pull(e->session, c) < 0) {
                c->type = ZMQ__MSG_INVALID;
                return;
            }
            bool command = (c->flags & ZMQ__MSG_COMMAND) != 0;
            if (!command)
                command = subscription_to_command(e, c);
            if (command && e->version < 3) {
                /* 2.0 and 1.0 have no commands: drop it. */
                zmq__msg_close(c);
                c->type = ZMQ__MSG_INVALID;
                continue;
            }
            if (command)
                c->flags |= ZMQ__MSG_COMMAND;
        }
        if (e->nheld >= OUT_MAX_IOV - 1 ||
            !add_message(e, c, (c->flags & ZMQ__MSG_COMMAND) != 0))
            return;
        c->type = ZMQ__MSG_INVALID;
    }
}

static void release_batch(struct zmq__zmtp *e)
{
    for (int i = 0; i < e->nheld; i++)
        zmq__msg_close(&e->held[i]);
    e->nheld = 0;
    e->niov = 0;
    e->iov_pos = 0;
    e->out_len = 0;
}

/* Writes the batch, refilling as it empties.  Returns false when the
 * engine failed (and is gone). */
static bool write_out(struct zmq__zmtp *e)
{
    for (;;) {
        if (e->iov_pos == e->niov) {
            release_batch(e);
            fill(e);
            if (e->niov == 0) {
                if (e->out_active) {
                    e->out_active = false;
                    zmq__poller_reset_out(e->poller, e->entry);
                }
                if (e->phase == ACTIVE)
                    zmq__session_drained(e->session);
                return true;
            }
        }
        ssize_t n = e->stream->ops->writev(e->stream, e->iov + e->iov_pos,
                                           e->niov - e->iov_pos);
        if (n == -EAGAIN) {
            if (!e->out_active) {
                e->out_active = true;
                zmq__poller_set_out(e->poller, e->entry);
            }
            return true;
        }
        if (n < 0) {
            error_out(e, ZMQ__ENGINE_CONNECTION, 0);
            return false;
        }
        size_t left = (size_t)n;
        while (e->iov_pos < e->niov &&
               (left > 0 || e->iov[e->iov_pos].iov_len == 0)) {
            struct iovec *v = &e->iov[e->iov_pos];
            if (left >= v->iov_len) {
                left -= v->iov_len;
                e->iov_pos++;
            } else {
                v->iov_base = (char *)v->iov_base + left;
                v->iov_len -= left;
                left = 0;
            }
        }
    }
}

static void out_event(void *arg)
{
    write_out(arg);
}

/* Sends raw greeting bytes (they go through the same batch). */
static void send_raw(struct zmq__zmtp *e, const void *data, size_t n)
{
    if (n == 0)
        return; /* an empty iovec would never be written past */
    if (e->out_len + n <= e->out_cap && e->niov < OUT_MAX_IOV)
        add_bytes(e, data, n);
    if (!e->out_active) {
        e->out_active = true;
        zmq__poller_set_out(e->poller, e->entry);
    }
}

/* ------------------------------------------------------------------------ */
/* Handshake                                                                 */
/* ------------------------------------------------------------------------ */

static bool handshake_done(struct zmq__zmtp *e, const unsigned char *id,
                           size_t id_size);

static void queue_mechanism_commands(struct zmq__zmtp *e)
{
    struct zmq__msg m;
    zmq__msg_init(&m);
    while (e->mech->ops->next_command(e->mech, &m) == 0)
        queue_command(e, &m);
}

/* The 2.0 / 1.0 peers announce a socket type by number (2.0) or not at
 * all (1.0). */
static bool v2_type_ok(int ours, int peer)
{
    const char *name =
        peer >= 0 && peer <= ZMQ_PUSH ? zmq__mechanism_socket_name(peer) : NULL;
    return name != NULL && zmq__mechanism_compatible(ours, name, strlen(name));
}

/* Our socket types that older peers know (2.0 type byte). */
static bool old_type(int type)
{
    return type >= ZMQ_PAIR && type <= ZMQ_XSUB;
}

/* Works through the greeting bytes in the input buffer.  Returns false
 * when the engine failed (and is gone). */
static bool greeting(struct zmq__zmtp *e)
{
    const unsigned char *g = e->in;
    size_t n = e->in_end;
    int type = e->options->socket_type;
    bool zap =
        e->options->mechanism != ZMQ_NULL || e->options->zap_domain.size > 0;

    if ((n >= 1 && g[0] != 0xFF) || (n >= 10 && !(g[9] & 1))) {
        /* Unversioned ZMTP 1.0: the rest of our identity frame, then the
         * peer's identity frame comes first. */
        if (zap || !old_type(type)) {
            error_out(e, ZMQ__ENGINE_PROTOCOL, 0);
            return false;
        }
        e->version = 1;
        send_raw(e, e->options->routing_id, e->options->routing_id_size);
        e->phase = IDENTITY;
        e->hdr_need = 1;
        return true;
    }
    if (n >= 10 && !e->major_sent) {
        unsigned char major = 3;
        send_raw(e, &major, 1);
        e->major_sent = true;
    }
    if (n >= 11 && !e->rest_sent) {
        e->rest_sent = true;
        if (g[10] <= 1) {
            unsigned char t = (unsigned char)type;
            send_raw(e, &t, 1);
        } else {
            unsigned char rest[53] = {0};
            rest[0] = 1; /* minor: 3.1 */
            const char *mech = zmq__mechanism_name(e->options);
            memcpy(rest + 1, mech, strlen(mech));
            rest[21] = e->options->as_server ? 1 : 0;
            send_raw(e, rest, sizeof rest);
        }
    }
    if (n >= 11 && g[10] <= 1) {
        if (n < 12)
            return true;
        if (zap || !old_type(type) || !v2_type_ok(type, g[11])) {
            error_out(e, ZMQ__ENGINE_PROTOCOL,
                      ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA);
            return false;
        }
        e->version = g[10] == 0 ? 1 : 2;
        e->peer_type = g[11];
        e->in_pos = 12;
        /* Our identity as the first frame. */
        struct zmq__msg id;
        if (zmq__msg_init_buffer(&id, e->options->routing_id,
                                 e->options->routing_id_size) == 0) {
            add_header(e, zmq__msg_size(&id), false, false);
            if (zmq__msg_size(&id) > 0)
                add_bytes(e, zmq__msg_data(&id), zmq__msg_size(&id));
            zmq__msg_close(&id);
        }
        e->phase = IDENTITY;
        e->hdr_need = 1;
        return true;
    }
    if (n < 64)
        return true;

    /* A 3.x greeting. */
    e->version = 3;
    e->minor = g[11];
    char peer_mech[21];
    memcpy(peer_mech, g + 12, 20);
    peer_mech[20] = '\0';
    const char *ours = zmq__mechanism_name(e->options);
    if (memcmp(g + 12, ours, strlen(ours)) != 0 ||
        strlen(peer_mech) != strlen(ours)) {
        error_out(e, ZMQ__ENGINE_PROTOCOL,
                  ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
        return false;
    }
    int err = 0;
    e->mech = zmq__mechanism_new(ours, e->options, &err);
    if (e->mech == NULL) {
        error_out(e, ZMQ__ENGINE_PROTOCOL,
                  ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
        return false;
    }
    e->subscribe_commands =
        e->minor >= 1 && (type == ZMQ_SUB || type == ZMQ_XSUB);
    e->in_pos = 64;
    e->phase = HANDSHAKE;
    e->hdr_need = 1;
    queue_mechanism_commands(e);
    return true;
}

/* ------------------------------------------------------------------------ */
/* Input                                                                     */
/* ------------------------------------------------------------------------ */

/* Hands a data message to the session; false when the pipe is full (the
 * message then waits in `pending`). */
static bool deliver(struct zmq__zmtp *e, struct zmq__msg *m)
{
    if (e->metadata != NULL)
        zmq__msg_set_metadata(m, e->metadata);
    if (zmq__session_push(e->session, m) == 0)
        return true;
    e->pending = *m;
    zmq__msg_init(m);
    e->have_pending = true;
    e->in_stalled = true;
    return false;
}

/* A command frame once the handshake is over. */
static bool active_command(struct zmq__zmtp *e, struct zmq__msg *m)
{
    const unsigned char *d;
    size_t n;
    if (zmq__mechanism_is_command(m, "PING", &d, &n)) {
        if (n < 2) {
            error_out(e, ZMQ__ENGINE_PROTOCOL,
                      ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED);
            return false;
        }
        int ttl = d[0] << 8 | d[1];
        if (ttl > 0)
            start_timer(e, &e->t_ttl, ttl * 100, T_HB_TTL);
        size_t ctx = n - 2 > 16 ? 16 : n - 2;
        struct zmq__msg pong;
        if (zmq__mechanism_make_command(&pong, "PONG", d + 2, ctx) == 0)
            queue_command(e, &pong);
        zmq__msg_close(m);
        return true;
    }
    if (zmq__mechanism_is_command(m, "PONG", &d, &n)) {
        zmq__msg_close(m);
        return true;
    }
    int type = e->options->socket_type;
    bool sub = zmq__mechanism_is_command(m, "SUBSCRIBE", &d, &n);
    if ((sub || zmq__mechanism_is_command(m, "CANCEL", &d, &n))) {
        if (type != ZMQ_PUB && type != ZMQ_XPUB) {
            zmq__msg_close(m);
            return true;
        }
        struct zmq__msg s;
        if (zmq__msg_init_size(&s, n + 1) < 0) {
            zmq__msg_close(m);
            error_out(e, ZMQ__ENGINE_CONNECTION, 0);
            return false;
        }
        unsigned char *p = zmq__msg_data(&s);
        p[0] = sub ? 1 : 0;
        memcpy(p + 1, d, n);
        zmq__msg_close(m);
        return deliver(e, &s);
    }
    if (zmq__mechanism_is_command(m, "ERROR", &d, &n)) {
        zmq__msg_close(m);
        error_out(e, ZMQ__ENGINE_PROTOCOL, 0);
        return false;
    }
    /* JOIN / LEAVE (DISH -> RADIO) and others the socket may know. */
    if (type == ZMQ_RADIO)
        return deliver(e, m);
    zmq__msg_close(m);
    return true;
}

/* One complete frame.  Returns false to stop decoding (stalled, or the
 * engine failed and is gone: check e->phase is not touched then). */
static bool frame(struct zmq__zmtp *e, struct zmq__msg *m, bool *gone)
{
    /* Any traffic is a sign of life. */
    if (e->t_timeout > 0)
        stop_timer(e, &e->t_timeout);
    if (e->t_ttl > 0)
        stop_timer(e, &e->t_ttl);

    if (e->phase == HANDSHAKE) {
        if (!(m->flags & ZMQ__MSG_COMMAND)) {
            zmq__msg_close(m);
            *gone = true;
            error_out(e, ZMQ__ENGINE_PROTOCOL,
                      ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND);
            return false;
        }
        int rc = e->mech->ops->process_command(e->mech, m);
        zmq__msg_close(m);
        if (rc < 0) {
            *gone = true;
            error_out(e, ZMQ__ENGINE_PROTOCOL,
                      rc == -EPROTO ? e->mech->error : 0);
            return false;
        }
        queue_mechanism_commands(e);
        if (e->mech->status == ZMQ__MECH_READY) {
            if (!handshake_done(e, e->mech->identity, e->mech->identity_size)) {
                *gone = true;
                return false;
            }
        }
        return true;
    }
    if (e->phase == IDENTITY) {
        size_t n = zmq__msg_size(m);
        unsigned char id[255];
        size_t len = n <= sizeof id ? n : 0;
        memcpy(id, zmq__msg_data(m), len);
        zmq__msg_close(m);
        if (!handshake_done(e, id, len)) {
            *gone = true;
            return false;
        }
        return true;
    }
    if (m->flags & ZMQ__MSG_COMMAND) {
        bool ok = active_command(e, m);
        if (!ok && !e->have_pending)
            *gone = true;
        return ok;
    }
    if (e->dish) {
        if (!e->have_group) {
            /* The group frame: it must announce a body. */
            size_t n = zmq__msg_size(m);
            if (!zmq__msg_more(m) || n > ZMQ_GROUP_MAX_LENGTH ||
                memchr(zmq__msg_data(m), 0, n) != NULL) {
                zmq__msg_close(m);
                *gone = true;
                error_out(e, ZMQ__ENGINE_PROTOCOL, 0);
                return false;
            }
            memcpy(e->group, zmq__msg_data(m), n);
            e->group[n] = '\0';
            e->have_group = true;
            zmq__msg_close(m);
            return true;
        }
        e->have_group = false;
        m->flags &= (uint8_t)~ZMQ__MSG_MORE;
        if (zmq__msg_set_group(m, e->group) < 0) {
            zmq__msg_close(m);
            return true;
        }
    }
    return deliver(e, m);
}

/* Decodes frames from the input buffer.  Returns false when the engine
 * failed (and is gone). */
static bool decode(struct zmq__zmtp *e)
{
    if (e->raw) {
        /* Every chunk read is one message. */
        size_t n = e->in_end - e->in_pos;
        if (n == 0 || e->in_stalled)
            return true;
        struct zmq__msg m;
        if (zmq__msg_init_buffer(&m, e->in + e->in_pos, n) < 0) {
            error_out(e, ZMQ__ENGINE_CONNECTION, 0);
            return false;
        }
        e->in_pos = e->in_end;
        deliver(e, &m);
        return true;
    }
    uint64_t maxsize = e->options->maxmsgsize >= 0
                           ? (uint64_t)e->options->maxmsgsize
                           : UINT64_MAX;
    while (!e->in_stalled) {
        if (e->in_body) {
            size_t want = e->body_size - e->body_have;
            size_t avail = e->in_end - e->in_pos;
            size_t take = want < avail ? want : avail;
            if (take > 0) {
                memcpy((unsigned char *)zmq__msg_data(&e->body) + e->body_have,
                       e->in + e->in_pos, take);
                e->in_pos += take;
                e->body_have += take;
            }
            if (e->body_have < e->body_size)
                return true;
            e->in_body = false;
            struct zmq__msg m = e->body;
            zmq__msg_init(&e->body);
            m.flags =
                (uint8_t)((m.flags & ~(ZMQ__MSG_MORE | ZMQ__MSG_COMMAND)) |
                          e->body_flags);
            bool gone = false;
            frame(e, &m, &gone);
            if (gone)
                return false;
            continue;
        }
        /* Fast path: a short data frame wholly in the buffer, once the
         * handshake is over (ZMTP 2.0 and up, no DISH group state). */
        size_t avail = e->in_end - e->in_pos;
        if (e->hdr_len == 0 && avail >= 2 && e->phase == ACTIVE &&
            e->version >= 2 && !e->dish) {
            const unsigned char *h = e->in + e->in_pos;
            size_t n = h[1];
            if (!(h[0] & (F_LONG | F_COMMAND)) && avail >= 2 + n &&
                n <= maxsize) {
                struct zmq__msg m;
                if (zmq__msg_init_buffer(&m, h + 2, n) < 0) {
                    error_out(e, ZMQ__ENGINE_CONNECTION, 0);
                    return false;
                }
                if (h[0] & F_MORE)
                    m.flags |= ZMQ__MSG_MORE;
                e->in_pos += 2 + n;
                if (e->t_timeout > 0)
                    stop_timer(e, &e->t_timeout);
                if (e->t_ttl > 0)
                    stop_timer(e, &e->t_ttl);
                deliver(e, &m);
                continue;
            }
        }
        /* Header bytes. */
        while (e->hdr_len < e->hdr_need && e->in_pos < e->in_end)
            e->hdr[e->hdr_len++] = e->in[e->in_pos++];
        if (e->hdr_len < e->hdr_need)
            return true;
        uint64_t size;
        unsigned char flags;
        if (e->version == 1) {
            if (e->hdr_len == 1 && e->hdr[0] == 0xFF) {
                e->hdr_need = 10;
                continue;
            }
            if (e->hdr_len == 1) {
                e->hdr_need = 2;
                continue;
            }
            uint64_t len = e->hdr[0];
            if (e->hdr[0] == 0xFF) {
                len = 0;
                for (int i = 1; i <= 8; i++)
                    len = len << 8 | e->hdr[i];
            }
            if (len == 0) {
                error_out(e, ZMQ__ENGINE_PROTOCOL, 0);
                return false;
            }
            size = len - 1;
            flags = (e->hdr[e->hdr_len - 1] & 1) ? ZMQ__MSG_MORE : 0;
        } else {
            unsigned char f = e->hdr[0];
            if (e->hdr_len == 1) {
                e->hdr_need = (f & F_LONG) ? 9 : 2;
                continue;
            }
            if (f & F_LONG) {
                size = 0;
                for (int i = 1; i <= 8; i++)
                    size = size << 8 | e->hdr[i];
            } else {
                size = e->hdr[1];
            }
            flags = (unsigned char)(((f & F_MORE) ? ZMQ__MSG_MORE : 0) |
                                    ((e->version >= 3 && (f & F_COMMAND))
                                         ? ZMQ__MSG_COMMAND
                                         : 0));
        }
        e->hdr_len = 0;
        e->hdr_need = 1;
        if (size > maxsize || size > (uint64_t)SIZE_MAX / 2) {
            error_out(e, ZMQ__ENGINE_PROTOCOL, 0);
            return false;
        }
        if (zmq__msg_init_size(&e->body, (size_t)size) < 0) {
            error_out(e, ZMQ__ENGINE_CONNECTION, 0);
            return false;
        }
        e->in_body = true;
        e->body_flags = flags;
        e->body_size = (size_t)size;
        e->body_have = 0;
    }
    return true;
}

/* Reads and decodes until the stream is dry or the pipe is full.
 * Returns false when the engine failed (and is gone). */
static bool read_in(struct zmq__zmtp *e)
{
    bool drained = false;
    for (int round = 0; round < 8 && !e->in_stalled && !drained; round++) {
        ssize_t n;
        size_t asked;
        if (e->in_body && e->in_pos == e->in_end &&
            e->body_size - e->body_have >= e->in_cap) {
            /* A large body: straight into the message. */
            asked = e->body_size - e->body_have;
            n = e->stream->ops->read(
                e->stream,
                (unsigned char *)zmq__msg_data(&e->body) + e->body_have, asked);
            if (n > 0)
                e->body_have += (size_t)n;
        } else {
            if (e->phase != GREETING && e->in_pos == e->in_end)
                e->in_pos = e->in_end = 0;
            if (e->in_end == e->in_cap) {
                if (e->in_pos == 0)
                    return true; /* cannot happen: decode always consumes */
                memmove(e->in, e->in + e->in_pos, e->in_end - e->in_pos);
                e->in_end -= e->in_pos;
                e->in_pos = 0;
            }
            size_t room = e->in_cap - e->in_end;
            if (e->phase == GREETING && e->in_end < 64)
                room = 64 - e->in_end; /* never read past a 3.x greeting */
            asked = room;
            n = e->stream->ops->read(e->stream, e->in + e->in_end, room);
            if (n > 0)
                e->in_end += (size_t)n;
        }
        if (n == -EAGAIN)
            break;
        /* A short read left the socket empty: skip the read that would
         * only say EAGAIN (the poller is level-triggered, so data that
         * comes later is reported again). */
        drained = n > 0 && (size_t)n < asked;
        if (n <= 0) {
            error_out(e, ZMQ__ENGINE_CONNECTION, 0);
            return false;
        }
        if (e->phase == GREETING) {
            if (!greeting(e))
                return false;
            if (e->phase == GREETING) {
                /* Greeting stages go out at once. */
                if (e->out_active && !write_out(e))
                    return false;
                continue;
            }
            if (e->niov > 0 && !write_out(e))
                return false;
        }
        if (!decode(e))
            return false;
    }
    zmq__session_flush(e->session);
    if (e->in_stalled)
        zmq__poller_reset_in(e->poller, e->entry);
    return true;
}

static void in_event(void *arg)
{
    struct zmq__zmtp *e = arg;
    if (!read_in(e))
        return;
    /* Replies (PONG, handshake commands) may be waiting. */
    if (e->ncmd > 0 || e->out_active)
        write_out(e);
}

static const struct zmq__poller_ops engine_ops = {
    .in_event = in_event,
    .out_event = out_event,
};

/* Peer-Address as libzmq gives it: the bare IP address for tcp,
 * "localhost:<uid>:<gid>:<pid>" for ipc (SO_PEERCRED). */
static bool peer_address_of(int fd, char *buf, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return false;
    if (ss.ss_family == AF_INET)
        return inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf,
                         (socklen_t)size) != NULL;
    if (ss.ss_family == AF_INET6)
        return inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
                         buf, (socklen_t)size) != NULL;
    if (ss.ss_family == AF_UNIX) {
        struct ucred cred;
        socklen_t clen = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
            return false;
        snprintf(buf, size, "localhost:%u:%u:%d", (unsigned)cred.uid,
                 (unsigned)cred.gid, (int)cred.pid);
        return true;
    }
    return false;
}

static bool handshake_done(struct zmq__zmtp *e, const unsigned char *id,
                           size_t id_size)
{
    stop_timer(e, &e->t_handshake);
    /* Metadata every received message carries. */
    const char *keys[64], *values[64];
    size_t n = 0;
    const char *type = NULL;
    if (e->mech != NULL) {
        for (size_t i = 0; i < e->mech->nprops && n < 62; i++) {
            const char *name = e->mech->props[i].name;
            /* What only the local side may say is not taken from the
             * peer. */
            if (strncmp(name, "__", 2) == 0 ||
                strcasecmp(name, "Peer-Address") == 0 ||
                strcasecmp(name, "User-Id") == 0)
                continue;
            keys[n] = name;
            values[n++] = e->mech->props[i].value;
        }
    } else if (e->version == 2) {
        type = zmq__mechanism_socket_name(e->peer_type);
        if (type != NULL) {
            keys[n] = "Socket-Type";
            values[n++] = type;
        }
    }
    char peer[INET6_ADDRSTRLEN + 64];
    if (peer_address_of(e->stream->fd, peer, sizeof peer)) {
        keys[n] = "Peer-Address";
        values[n++] = peer;
    }
    /* ZMQ_SRCFD reads the connection's descriptor from here (zmq.c). */
    char fd[16];
    snprintf(fd, sizeof fd, "%d", e->stream->fd);
    keys[n] = "__fd";
    values[n++] = fd;
    e->metadata = zmq__metadata_new(keys, values, n);
    e->phase = ACTIVE;
    if (zmq__session_engine_ready(e->session, id, id_size) < 0) {
        error_out(e, ZMQ__ENGINE_CONNECTION, 0);
        return false;
    }
    /* A 1.0 subscriber filters by itself: send it everything. */
    int t = e->options->socket_type;
    if (e->version == 1 && (t == ZMQ_PUB || t == ZMQ_XPUB)) {
        struct zmq__msg all;
        if (zmq__msg_init_size(&all, 1) == 0) {
            *(unsigned char *)zmq__msg_data(&all) = 1;
            if (zmq__session_push(e->session, &all) < 0)
                zmq__msg_close(&all);
        }
    }
    if (e->options->heartbeat_ivl > 0 && e->version >= 3)
        start_timer(e, &e->t_ivl, e->options->heartbeat_ivl, T_HB_IVL);
    if (!e->out_active) {
        e->out_active = true;
        zmq__poller_set_out(e->poller, e->entry);
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Life                                                                      */
/* ------------------------------------------------------------------------ */

static const struct zmq__engine_ops zmtp_engine_ops;

struct zmq__engine *zmq__zmtp_new(struct zmq__session *s,
                                  struct zmq__stream *st, int *err)
{
    struct zmq__zmtp *e = calloc(1, sizeof *e);
    size_t in_cap =
        s->options.in_batch_size > 64 ? (size_t)s->options.in_batch_size : 8192;
    size_t out_cap = s->options.out_batch_size > OUT_MIN
                         ? (size_t)s->options.out_batch_size
                         : OUT_MIN;
    if (e != NULL) {
        e->in = malloc(in_cap);
        e->out = malloc(out_cap);
        e->out_cap = out_cap;
    }
    if (e == NULL || e->in == NULL || e->out == NULL) {
        if (e != NULL) {
            free(e->in);
            free(e->out);
            free(e);
        }
        st->ops->close(st);
        *err = -ENOMEM;
        return NULL;
    }
    e->base.ops = &zmtp_engine_ops;
    e->session = s;
    e->options = &s->options;
    e->stream = st;
    e->in_cap = in_cap;
    e->phase = GREETING;
    e->raw = s->options.raw_socket != 0;
    e->radio = s->options.socket_type == ZMQ_RADIO;
    e->dish = s->options.socket_type == ZMQ_DISH;
    zmq__msg_init(&e->pending);
    zmq__msg_init(&e->body);
    carry(e)->type = ZMQ__MSG_INVALID;
    return &e->base;
}

static void zmtp_plug(struct zmq__engine *base, struct zmq__poller *p)
{
    struct zmq__zmtp *e = (struct zmq__zmtp *)base;
    e->poller = p;
    int rc;
    while ((rc = zmq__poller_add(p, e->stream->fd, &engine_ops, e,
                                 &e->entry)) == -ENOMEM)
        ;
    zmq__poller_set_in(p, e->entry);
    if (e->raw) {
        if (!handshake_done(e, NULL, 0))
            return;
        if (e->options->raw_notify) {
            struct zmq__msg hello;
            zmq__msg_init(&hello);
            if (zmq__session_push(e->session, &hello) < 0)
                zmq__msg_close(&hello);
            zmq__session_flush(e->session);
        }
        write_out(e);
        return;
    }
    unsigned char sig[10] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F};
    uint64_t len = (uint64_t)e->options->routing_id_size + 1;
    for (int i = 0; i < 8; i++)
        sig[1 + i] = (unsigned char)(len >> (8 * (7 - i)));
    send_raw(e, sig, sizeof sig);
    if (e->options->handshake_ivl > 0)
        start_timer(e, &e->t_handshake, e->options->handshake_ivl, T_HANDSHAKE);
    write_out(e);
}

static void zmtp_restart_input(struct zmq__engine *base)
{
    struct zmq__zmtp *e = (struct zmq__zmtp *)base;
    if (!e->in_stalled)
        return;
    if (e->have_pending) {
        if (zmq__session_push(e->session, &e->pending) < 0)
            return;
        e->have_pending = false;
        zmq__msg_init(&e->pending);
    }
    e->in_stalled = false;
    if (!decode(e))
        return;
    zmq__session_flush(e->session);
    if (!e->in_stalled) {
        zmq__poller_set_in(e->poller, e->entry);
        /* Bytes may be waiting in the kernel; the level-triggered poller
         * reports them on its next round. */
    }
}

static void zmtp_restart_output(struct zmq__engine *base)
{
    struct zmq__zmtp *e = (struct zmq__zmtp *)base;
    if (e->phase != ACTIVE)
        return;
    if (e->iov_pos == e->niov)
        write_out(e);
    else if (!e->out_active) {
        e->out_active = true;
        zmq__poller_set_out(e->poller, e->entry);
    }
}

static bool zmtp_ready(const struct zmq__engine *base)
{
    const struct zmq__zmtp *e = (const struct zmq__zmtp *)base;
    return e->phase == ACTIVE;
}

static bool zmtp_drained(const struct zmq__engine *base)
{
    const struct zmq__zmtp *e = (const struct zmq__zmtp *)base;
    return e->iov_pos == e->niov && e->ncmd == 0 &&
           carry((struct zmq__zmtp *)e)->type == ZMQ__MSG_INVALID;
}

static int zmtp_fd(const struct zmq__engine *base)
{
    const struct zmq__zmtp *e = (const struct zmq__zmtp *)base;
    return e->stream->fd;
}

static void zmtp_free(struct zmq__engine *base)
{
    struct zmq__zmtp *e = (struct zmq__zmtp *)base;
    stop_timer(e, &e->t_handshake);
    stop_timer(e, &e->t_ivl);
    stop_timer(e, &e->t_timeout);
    stop_timer(e, &e->t_ttl);
    if (e->entry != NULL)
        zmq__poller_remove(e->poller, e->entry);
    e->stream->ops->close(e->stream);
    release_batch(e);
    struct zmq__msg *c = carry(e);
    if (c->type != ZMQ__MSG_INVALID)
        zmq__msg_close(c);
    for (int i = 0; i < e->ncmd; i++)
        zmq__msg_close(&e->cmdq[i]);
    if (e->have_pending)
        zmq__msg_close(&e->pending);
    if (e->in_body)
        zmq__msg_close(&e->body);
    zmq__mechanism_free(e->mech);
    zmq__metadata_unref(e->metadata);
    free(e->in);
    free(e->out);
    free(e);
}

static const struct zmq__engine_ops zmtp_engine_ops = {
    .plug = zmtp_plug,
    .restart_input = zmtp_restart_input,
    .restart_output = zmtp_restart_output,
    .ready = zmtp_ready,
    .drained = zmtp_drained,
    .fd = zmtp_fd,
    .free = zmtp_free,
};

static void error_out(struct zmq__zmtp *e, enum zmq__engine_error why,
                      int protocol_error)
{
    bool handshaking = e->phase != ACTIVE;
    if (e->raw && !handshaking && e->options->raw_notify) {
        /* The raw socket learns of the end by an empty message. */
        struct zmq__msg bye;
        zmq__msg_init(&bye);
        if (zmq__session_push(e->session, &bye) < 0)
            zmq__msg_close(&bye);
        zmq__session_flush(e->session);
    }
    zmq__session_engine_error(e->session, why, protocol_error, handshaking);
}
