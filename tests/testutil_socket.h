/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Socket helpers shared by the black-box tests.  Include after zmq.h and
 * testutil.h, with TIMEOUT_MS defined (the bound on blocking calls of
 * sockets made by new_socket).
 */
#ifndef ZMQ_TESTUTIL_SOCKET_H
#define ZMQ_TESTUTIL_SOCKET_H

#include <stdint.h>
#include <string.h>

#ifndef TIMEOUT_MS
#error "define TIMEOUT_MS before including testutil_socket.h"
#endif

static inline void set_int(void *s, int option, int value)
{
    int rc = zmq_setsockopt(s, option, &value, sizeof value);
    CHECK_EQ(rc, 0);
}

/* Terminates ctx, checking it succeeds. */
static inline void term(void *ctx)
{
    CHECK_EQ(zmq_ctx_term(ctx), 0);
}

/* Closes s at once, dropping whatever it still holds. */
static inline void close_now(void *s)
{
    set_int(s, ZMQ_LINGER, 0);
    CHECK_EQ(zmq_close(s), 0);
}

/* A socket with bounded blocking calls. */
static inline void *new_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    CHECK(s != NULL);
    if (s != NULL) {
        set_int(s, ZMQ_RCVTIMEO, TIMEOUT_MS);
        set_int(s, ZMQ_SNDTIMEO, TIMEOUT_MS);
    }
    return s;
}

/* Binds s to ep and copies the address to connect to into out. */
static inline int bind_ep(void *s, const char *ep, char *out, size_t out_len)
{
    if (zmq_bind(s, ep) != 0)
        return -1;
    size_t len = out_len;
    return zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &len);
}

#ifdef ZMQ_BUILD_DRAFT_API
/* Sends text to the connection `id` (0: leave the routing id unset).
 * Returns what zmq_msg_send returns, with its errno. */
static inline int send_to(void *s, uint32_t id, const char *text, int flags)
{
    zmq_msg_t m;
    size_t len = strlen(text);
    if (zmq_msg_init_buffer(&m, text, len) != 0)
        return -1;
    if (id != 0 && zmq_msg_set_routing_id(&m, id) != 0) {
        zmq_msg_close(&m);
        return -1;
    }
    int rc = zmq_msg_send(&m, s, flags);
    if (rc < 0) {
        int err = errno;
        zmq_msg_close(&m);
        errno = err;
    }
    return rc;
}

/* Receives one message as a NUL-terminated string into buf and its
 * routing id into *id (may be NULL).  Returns the size or -1 with errno. */
static inline int recv_from(void *s, char *buf, size_t cap, uint32_t *id,
                            int flags)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = zmq_msg_recv(&m, s, flags);
    if (rc < 0) {
        int err = errno;
        zmq_msg_close(&m);
        errno = err;
        return -1;
    }
    size_t n = zmq_msg_size(&m);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, zmq_msg_data(&m), n);
    buf[n] = '\0';
    if (id != NULL)
        *id = zmq_msg_routing_id(&m);
    zmq_msg_close(&m);
    return rc;
}
#endif

#endif
