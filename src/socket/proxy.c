/* SPDX-License-Identifier: MPL-2.0 */
/* The proxy is not built yet. */
#include "socket/proxy.h"

#include <errno.h>

int zmq__proxy(struct zmq__socket *frontend, struct zmq__socket *backend,
               struct zmq__socket *capture, struct zmq__socket *control)
{
    (void)frontend;
    (void)backend;
    (void)capture;
    (void)control;
    return -ENOTSUP;
}
