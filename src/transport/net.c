/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The binding side the stream transports share: endpoint strings, the
 * BIND_FAILED and LISTENING events, handing a listening descriptor to a
 * listener.
 */
#include "transport/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/listener.h"
#include "socket/socket.h"
#include "transport/address.h"
#include "zmq.h"

/* "tcp://" + addr, for the records.  NULL when out of memory. */
char *zmq__net_endpoint_of(const char *scheme, const char *addr)
{
    size_t n = strlen(scheme) + 3 + strlen(addr) + 1;
    char *uri = malloc(n);
    if (uri != NULL)
        snprintf(uri, n, "%s://%s", scheme, addr);
    return uri;
}

void zmq__net_bind_failed(struct zmq__socket *s, const char *scheme,
                          const char *addr, int err)
{
    if (!zmq__monitor_wants(&s->monitor, ZMQ_EVENT_BIND_FAILED))
        return;
    char *uri = zmq__net_endpoint_of(scheme, addr);
    uint64_t value = (uint64_t)-err;
    zmq__monitor_event(&s->monitor, ZMQ_EVENT_BIND_FAILED, &value, 1,
                       uri != NULL ? uri : "", "");
    free(uri);
}

/* The listening socket's endpoint, and the LISTENING event. */
int zmq__net_listening(struct zmq__socket *s, int fd,
                       const struct zmq__listener_ops *ops, const char *cleanup,
                       struct zmq__bound *out)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char uri[ZMQ__SOCKADDR_URI_MAX];
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        zmq__sockaddr_to_uri((struct sockaddr *)&ss, len, uri, sizeof uri) <
            0) {
        int err = -errno;
        close(fd);
        return err < 0 ? err : -EINVAL;
    }
    out->endpoint = strdup(uri);
    if (out->endpoint == NULL) {
        close(fd);
        return -ENOMEM;
    }
    int err = 0;
    out->child = zmq__listener_new(s, fd, out->endpoint, ops, cleanup, &err);
    if (out->child == NULL) {
        free(out->endpoint);
        out->endpoint = NULL;
        return err;
    }
    if (zmq__monitor_wants(&s->monitor, ZMQ_EVENT_LISTENING)) {
        uint64_t value = (uint64_t)fd;
        zmq__monitor_event(&s->monitor, ZMQ_EVENT_LISTENING, &value, 1, uri,
                           "");
    }
    return 0;
}
