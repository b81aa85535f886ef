/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Byte streams: what the ZMTP engine reads and writes.  tcp and ipc give
 * a plain descriptor stream (stream_fd.c); WebSocket framing and TLS will
 * stack as further streams under the same engine.
 *
 * Threading: a stream belongs to the engine that owns it (one I/O
 * thread).
 */
#ifndef ZMQ__STREAM_H
#define ZMQ__STREAM_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct zmq__stream;

struct zmq__stream_ops {
    /* Bytes read (> 0), 0 when the peer closed its side, -EAGAIN when
     * nothing is there now, or another negative errno.
     * Fewer bytes than size means nothing more is buffered below: the
     * engine then waits for the fd to become readable again, so a
     * stream that buffers itself (TLS records) must fill the request
     * from its buffer first. */
    ssize_t (*read)(struct zmq__stream *st, void *buf, size_t size);
    /* Bytes written (>= 0), -EAGAIN, or another negative errno.  Never
     * raises SIGPIPE. */
    ssize_t (*writev)(struct zmq__stream *st, const struct iovec *iov,
                      int count);
    /* Closes the stream and frees it. */
    void (*close)(struct zmq__stream *st);
};

struct zmq__stream {
    const struct zmq__stream_ops *ops;
    int fd; /* what the poller watches */
};

/* A stream over a connected non-blocking socket; takes fd (closed by
 * close, or here on failure).  NULL when out of memory. */
struct zmq__stream *zmq__stream_fd_new(int fd);

#endif
