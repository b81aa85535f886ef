/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Command dispatch.  The command type says what kind of object the
 * destination is, so one switch routes every command to its handler.
 */
#include "core/object.h"

#include <sched.h>
#include <time.h>

#include "core/io_thread.h"
#include "core/mailbox.h"
#include "core/pipe.h"
#include "engine/own.h"
#include "socket/socket.h"
#include "transport/resolver.h"

void zmq__object_send(struct zmq__object *dest, enum zmq__command_type type,
                      struct zmq__command *cmd)
{
    cmd->dest = dest;
    cmd->type = type;
    while (zmq__mailbox_send(dest->mailbox, cmd) < 0) {
        /* Out of memory: wait for some to come back (see object.h). */
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

void zmq__object_dispatch(const struct zmq__command *cmd)
{
    switch (cmd->type) {
    case ZMQ__CMD_STOP:
        zmq__socket_process_stop(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__socket, obj));
        break;
    case ZMQ__CMD_BIND:
        zmq__socket_process_bind(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__socket, obj),
            cmd->args.bind.pipe);
        break;
    case ZMQ__CMD_ACTIVATE_READ:
        zmq__pipe_process_activate_read(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj));
        break;
    case ZMQ__CMD_ACTIVATE_WRITE:
        zmq__pipe_process_activate_write(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj),
            cmd->args.activate_write.msgs_read);
        break;
    case ZMQ__CMD_PIPE_TERM:
        zmq__pipe_process_term(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj),
            cmd->args.pipe_term.delay);
        break;
    case ZMQ__CMD_PIPE_TERM_ACK:
        zmq__pipe_process_term_ack(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj));
        break;
    case ZMQ__CMD_PIPE_HWM:
        zmq__pipe_process_hwm(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj),
            cmd->args.pipe_hwm.inhwm, cmd->args.pipe_hwm.outhwm);
        break;
    case ZMQ__CMD_REAP:
        zmq__io_thread_process_reap(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__io_thread, obj),
            cmd->args.reap.socket);
        break;
    case ZMQ__CMD_PIPE_PEER_STATS:
        zmq__pipe_process_peer_stats(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj),
            cmd->args.pipe_peer_stats.msgs_written,
            cmd->args.pipe_peer_stats.msgs_read);
        break;
    case ZMQ__CMD_PIPE_STATS_PUBLISH:
        zmq__pipe_process_stats_publish(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__pipe, obj),
            cmd->args.pipe_stats_publish.outbound,
            cmd->args.pipe_stats_publish.inbound);
        break;
    case ZMQ__CMD_PLUG:
        zmq__own_process_plug(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__own, obj));
        break;
    case ZMQ__CMD_TERM:
        zmq__own_process_term(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__own, obj),
            cmd->args.term.linger);
        break;
    case ZMQ__CMD_TERM_ACK:
        zmq__socket_process_term_ack(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__socket, obj),
            cmd->args.own.child);
        break;
    case ZMQ__CMD_TERM_REQ:
        zmq__socket_process_term_req(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__socket, obj),
            cmd->args.own.child);
        break;
    case ZMQ__CMD_OWN:
        zmq__socket_process_own(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__socket, obj),
            cmd->args.own.child);
        break;
    case ZMQ__CMD_RESOLVED:
        zmq__resolver_process_done(
            ZMQ__CONTAINER_OF(cmd->dest, struct zmq__resolve_req, obj));
        break;
    case ZMQ__CMD_THREAD_STOP:
        break; /* handled by the thread loop itself */
    }
}
