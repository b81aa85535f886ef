/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The registry.  Adding a transport is one line in `transports`.
 */
#include "transport/transport.h"

#include <errno.h>
#include <string.h>

static const struct zmq__transport *const transports[] = {
    &zmq__transport_inproc,
    &zmq__transport_tcp,
    &zmq__transport_ipc,
    &zmq__transport_udp,
};

int zmq__transport_find(const char *uri, const struct zmq__transport **t,
                        const char **addr)
{
    const char *sep = strstr(uri, "://");
    if (sep == NULL || sep == uri)
        return -EINVAL;
    size_t len = (size_t)(sep - uri);
    for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++) {
        const char *scheme = transports[i]->scheme;
        if (strlen(scheme) == len && memcmp(scheme, uri, len) == 0) {
            *t = transports[i];
            *addr = sep + 3;
            return 0;
        }
    }
    return -EPROTONOSUPPORT;
}
