/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Security mechanisms: the handshake that follows the ZMTP 3 greeting.
 * One ops table per mechanism (NULL now; PLAIN and CURVE plug in the
 * same way), chosen by the greeting's mechanism name.  The engine asks
 * for the next handshake command to send, hands over each command it
 * receives, and watches the status.
 *
 * The common part here builds and parses the metadata that READY (and
 * PLAIN's INITIATE, CURVE's INITIATE) carry: Socket-Type, Identity and
 * the application's X- properties; it also checks that the peer's socket
 * type may talk to ours (RFC 37's table).
 *
 * Threading: a mechanism belongs to one engine (one I/O thread).
 * Errors: 0 or a negative errno; protocol faults set `error` to one of
 * ZMQ_PROTOCOL_ERROR_* for the monitor.
 */
#ifndef ZMQ__MECHANISM_H
#define ZMQ__MECHANISM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/msg.h"

struct zmq__options;

enum zmq__mech_status {
    ZMQ__MECH_HANDSHAKING,
    ZMQ__MECH_READY,
    ZMQ__MECH_ERROR
};

/* One property the peer announced. */
struct zmq__mech_prop {
    char *name;  /* NUL-terminated */
    char *value; /* value bytes followed by a NUL */
    size_t size; /* value bytes */
};

struct zmq__mechanism;

struct zmq__mechanism_ops {
    const char *name; /* as in the greeting: "NULL", "PLAIN", "CURVE" */
    /* The next command to send: 0 with *out filled, -EAGAIN when there
     * is none now. */
    int (*next_command)(struct zmq__mechanism *m, struct zmq__msg *out);
    /* A command frame from the peer: 0, or a negative errno with
     * m->error set (the connection then closes). */
    int (*process_command)(struct zmq__mechanism *m, struct zmq__msg *in);
};

struct zmq__mechanism {
    const struct zmq__mechanism_ops *ops;
    const struct zmq__options *options;
    enum zmq__mech_status status;
    int error; /* ZMQ_PROTOCOL_ERROR_* once status is ERROR */
    /* An ERROR command came from the peer (reason kept for logs). */
    bool peer_error;

    /* What the peer announced. */
    struct zmq__mech_prop *props;
    size_t nprops;
    unsigned char identity[255];
    size_t identity_size;

    /* Mechanism-private state. */
    bool ready_sent, ready_received;
};

/* A mechanism for `name` (the greeting's 20-byte field, NUL-padded), or
 * NULL with *err: -ENOTSUP for an unknown name, -ENOMEM. */
struct zmq__mechanism *
zmq__mechanism_new(const char *name, const struct zmq__options *o, int *err);
void zmq__mechanism_free(struct zmq__mechanism *m);

/* Our mechanism's greeting name. */
const char *zmq__mechanism_name(const struct zmq__options *o);

/* The ZMTP name of a socket type ("DEALER"), or NULL. */
const char *zmq__mechanism_socket_name(int type);

/* True when a socket of type `ours` may talk to a peer announcing
 * `peer` (a Socket-Type name). */
bool zmq__mechanism_compatible(int ours, const char *peer, size_t len);

/* Appends our metadata (Socket-Type, Identity where it applies, X-
 * properties) to a command body being built: *size bytes at *buf
 * (realloc'd).  -ENOMEM. */
int zmq__mechanism_add_metadata(const struct zmq__options *o,
                                unsigned char **buf, size_t *size);

/* Parses a property list, keeping the properties and the identity and
 * checking the socket type.  0, or -EPROTO with m->error set. */
int zmq__mechanism_parse_metadata(struct zmq__mechanism *m,
                                  const unsigned char *data, size_t size);

/* Value of a property the peer sent (case-insensitive name), or NULL. */
const struct zmq__mech_prop *zmq__mechanism_prop(const struct zmq__mechanism *m,
                                                 const char *name);

/* A command frame body: name length, name, data.  -ENOMEM. */
int zmq__mechanism_make_command(struct zmq__msg *out, const char *name,
                                const void *data, size_t size);

/* True when the command frame in `in` is named `name`; *data and *size
 * receive what follows the name. */
bool zmq__mechanism_is_command(struct zmq__msg *in, const char *name,
                               const unsigned char **data, size_t *size);

extern const struct zmq__mechanism_ops zmq__mechanism_null;

#endif
