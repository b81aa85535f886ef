/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The descriptor stream: recv and sendmsg on a non-blocking socket.
 * sendmsg rather than writev so that MSG_NOSIGNAL keeps a peer's reset
 * from raising SIGPIPE in the application.
 */
#include "engine/stream.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static ssize_t fd_read(struct zmq__stream *st, void *buf, size_t size)
{
    for (;;) {
        ssize_t n = recv(st->fd, buf, size, 0);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

static ssize_t fd_writev(struct zmq__stream *st, const struct iovec *iov,
                         int count)
{
    struct msghdr mh = {.msg_iov = (struct iovec *)iov,
                        .msg_iovlen = (size_t)count};
    for (;;) {
        ssize_t n = sendmsg(st->fd, &mh, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

static void fd_close(struct zmq__stream *st)
{
    close(st->fd);
    free(st);
}

static const struct zmq__stream_ops fd_ops = {
    .read = fd_read,
    .writev = fd_writev,
    .close = fd_close,
};

struct zmq__stream *zmq__stream_fd_new(int fd)
{
    struct zmq__stream *st = malloc(sizeof *st);
    if (st == NULL) {
        close(fd);
        return NULL;
    }
    st->ops = &fd_ops;
    st->fd = fd;
    return st;
}
