/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The NULL mechanism (RFC 37): each side sends READY with its metadata
 * and waits for the peer's; an ERROR from the peer ends the handshake.
 * No ZAP yet: with ZAP_DOMAIN set, libzmq would consult a handler; that
 * comes with the security issue.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/options.h"
#include "mechanism/mechanism.h"
#include "zmq.h"

static int null_next(struct zmq__mechanism *m, struct zmq__msg *out)
{
    if (m->ready_sent || m->status == ZMQ__MECH_ERROR)
        return -EAGAIN;
    unsigned char *body = NULL;
    size_t size = 0;
    int rc = zmq__mechanism_add_metadata(m->options, &body, &size);
    if (rc == 0)
        rc = zmq__mechanism_make_command(out, "READY", body, size);
    free(body);
    if (rc < 0)
        return rc;
    m->ready_sent = true;
    if (m->ready_received)
        m->status = ZMQ__MECH_READY;
    return 0;
}

static int null_process(struct zmq__mechanism *m, struct zmq__msg *in)
{
    const unsigned char *data;
    size_t size;
    if (!m->ready_received &&
        zmq__mechanism_is_command(in, "READY", &data, &size)) {
        int rc = zmq__mechanism_parse_metadata(m, data, size);
        if (rc < 0)
            return rc;
        m->ready_received = true;
        if (m->ready_sent)
            m->status = ZMQ__MECH_READY;
        return 0;
    }
    if (zmq__mechanism_is_command(in, "ERROR", &data, &size)) {
        m->peer_error = true;
        m->status = ZMQ__MECH_ERROR;
        m->error = ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED;
        return -EPROTO;
    }
    m->status = ZMQ__MECH_ERROR;
    m->error = ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND;
    return -EPROTO;
}

const struct zmq__mechanism_ops zmq__mechanism_null = {
    .name = "NULL",
    .next_command = null_next,
    .process_command = null_process,
};
