/* SPDX-License-Identifier: MPL-2.0 */
/*
 * zmq_proxy / zmq_proxy_steerable / zmq_device: moves messages between a
 * frontend and a backend socket in the calling thread, optionally copying
 * them to a capture socket and obeying commands from a control socket.
 *
 * Threading: runs in the caller's thread, which must own the classic
 * sockets it is given for the whole call.
 */
#ifndef ZMQ__PROXY_H
#define ZMQ__PROXY_H

struct zmq__socket;

/* Runs until the context terminates (-ETERM) or a TERMINATE command on
 * control (0).  capture and control may be NULL. */
int zmq__proxy(struct zmq__socket *frontend, struct zmq__socket *backend,
               struct zmq__socket *capture, struct zmq__socket *control);

#endif
