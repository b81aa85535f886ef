/* SPDX-License-Identifier: MPL-2.0 */
/*
 * ipc: unix domain stream sockets.  Paths, Linux abstract names
 * ("@name") and `*` (a fresh path in a private directory) as address.h
 * describes.  As libzmq, binding a path first removes a file left there
 * (by a previous run), and the file (and a wildcard's directory) goes
 * when the listener closes.  IPC_FILTER_PID/UID/GID check the peer's
 * credentials (SO_PEERCRED) as connections are accepted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "engine/listener.h"
#include "engine/session.h"
#include "socket/socket.h"
#include "transport/address.h"
#include "transport/net.h"
#include "transport/transport.h"

static bool ipc_needs_lookup(const char *addr)
{
    (void)addr;
    return false;
}

static int ipc_resolve(const char *addr, const struct zmq__options *o,
                       struct zmq__tcp_target *t)
{
    (void)o;
    memset(t, 0, sizeof *t);
    return zmq__ipc_resolve(addr, false, &t->addr, NULL, 0);
}

static int ipc_open(const struct zmq__tcp_target *t,
                    const struct zmq__options *o, int *fdp)
{
    (void)o;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    *fdp = fd;
    if (connect(fd, (const struct sockaddr *)&t->addr.ss, t->addr.len) == 0)
        return 0;
    /* EAGAIN (the listener's queue is full) is a failed attempt, retried
     * after the reconnect interval; ENOENT (no socket file yet) too. */
    return errno == EINPROGRESS ? -EINPROGRESS : -errno;
}

static const struct zmq__connect_ops ipc_connect_ops = {
    .needs_lookup = ipc_needs_lookup,
    .resolve = ipc_resolve,
    .open = ipc_open,
};

static int ipc_accepted(int fd, const struct sockaddr *peer, socklen_t len,
                        const struct zmq__options *o)
{
    (void)peer;
    (void)len;
    if (o->ipc_filter_pid.count == 0 && o->ipc_filter_uid.count == 0 &&
        o->ipc_filter_gid.count == 0)
        return 0;
    struct ucred cred;
    socklen_t clen = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
        return -errno;
    if (o->ipc_filter_pid.count > 0 &&
        zmq__options_ids_contain(&o->ipc_filter_pid, cred.pid))
        return 0;
    if (o->ipc_filter_uid.count > 0 &&
        zmq__options_ids_contain(&o->ipc_filter_uid, cred.uid))
        return 0;
    if (o->ipc_filter_gid.count > 0 &&
        zmq__options_ids_contain(&o->ipc_filter_gid, cred.gid))
        return 0;
    return -EACCES;
}

/* cleanup is "<path>\n<wildcard dir>" (either may be empty). */
static void ipc_closed(const char *cleanup)
{
    if (cleanup == NULL)
        return;
    const char *nl = strchr(cleanup, '\n');
    if (nl == NULL)
        return;
    if (nl[1] != '\0') {
        zmq__ipc_wildcard_remove(nl + 1);
    } else if (nl > cleanup) {
        char *path = strndup(cleanup, (size_t)(nl - cleanup));
        if (path != NULL)
            unlink(path);
        free(path);
    }
}

static const struct zmq__listener_ops ipc_listener_ops = {
    .accepted = ipc_accepted,
    .closed = ipc_closed,
};

static int ipc_bind(struct zmq__socket *s, const char *addr,
                    struct zmq__bound *out)
{
    out->endpoint = NULL;
    out->child = NULL;
    struct zmq__sockaddr sa;
    char dir[256];
    int rc = zmq__ipc_resolve(addr, true, &sa, dir, sizeof dir);
    if (rc < 0) {
        zmq__net_bind_failed(s, "ipc", addr, rc);
        return rc;
    }
    const struct sockaddr_un *un = (const struct sockaddr_un *)&sa.ss;
    bool abstract = un->sun_path[0] == '\0';
    char path[sizeof un->sun_path + 1] = "";
    if (!abstract) {
        memcpy(path, un->sun_path, sizeof un->sun_path);
        path[sizeof un->sun_path] = '\0';
        if (dir[0] == '\0')
            unlink(path); /* left over from an earlier run */
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    if (bind(fd, (const struct sockaddr *)&sa.ss, sa.len) < 0 ||
        listen(fd, s->options.backlog) < 0) {
        rc = -errno;
        close(fd);
        goto fail;
    }
    size_t n = strlen(path) + 1 + strlen(dir) + 1;
    char *cleanup = malloc(n);
    if (cleanup == NULL) {
        close(fd);
        rc = -ENOMEM;
        goto fail;
    }
    strcpy(cleanup, path);
    strcat(cleanup, "\n");
    strcat(cleanup, dir);
    rc = zmq__net_listening(s, fd, &ipc_listener_ops, cleanup, out);
    free(cleanup);
    if (rc == 0)
        return 0;
fail:
    if (dir[0] != '\0')
        zmq__ipc_wildcard_remove(dir);
    else if (!abstract && rc != -EADDRINUSE)
        unlink(path);
    zmq__net_bind_failed(s, "ipc", addr, rc);
    return rc;
}

static int ipc_connect(struct zmq__socket *s, const char *addr,
                       struct zmq__pipe **pipe, struct zmq__own **child)
{
    struct zmq__sockaddr sa;
    int rc = zmq__ipc_resolve(addr, false, &sa, NULL, 0);
    if (rc < 0)
        return rc;
    struct zmq__session *session;
    rc = zmq__session_connect_new(s, "ipc", addr, &ipc_connect_ops, &session,
                                  pipe);
    if (rc < 0)
        return rc;
    *child = &session->own;
    return 0;
}

const struct zmq__transport zmq__transport_ipc = {
    .scheme = "ipc",
    .bind = ipc_bind,
    .connect = ipc_connect,
};
