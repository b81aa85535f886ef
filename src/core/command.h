/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Commands: the only way objects on different threads talk.  A command
 * names its destination object and carries typed arguments; it is posted
 * to the mailbox of the thread that owns the destination and processed
 * there (zmq__object_dispatch).
 *
 * Threading: a command is built by the sender, copied into the mailbox
 * and read once by the destination's thread.
 */
#ifndef ZMQ__COMMAND_H
#define ZMQ__COMMAND_H

#include <stdbool.h>
#include <stdint.h>

struct zmq__object;
struct zmq__own;
struct zmq__pipe;
struct zmq__socket;

enum zmq__command_type {
    /* ctx -> socket: the context is terminating; blocking calls end with
     * ETERM. */
    ZMQ__CMD_STOP,
    /* connecting socket -> bound socket (inproc): attach this pipe end. */
    ZMQ__CMD_BIND,
    /* pipe end -> peer end: items are waiting (the reader was asleep). */
    ZMQ__CMD_ACTIVATE_READ,
    /* pipe end -> peer end: the reader has consumed up to msgs_read. */
    ZMQ__CMD_ACTIVATE_WRITE,
    /* pipe end -> peer end: start termination / acknowledge it. */
    ZMQ__CMD_PIPE_TERM,
    ZMQ__CMD_PIPE_TERM_ACK,
    /* pipe end -> peer end: the high-water marks changed. */
    ZMQ__CMD_PIPE_HWM,
    /* socket -> reaper: take over this closed socket. */
    ZMQ__CMD_REAP,
    /* pipe end -> peer end: report both queue lengths back (monitor
     * pipe statistics); the answer is PIPE_STATS_PUBLISH. */
    ZMQ__CMD_PIPE_PEER_STATS,
    ZMQ__CMD_PIPE_STATS_PUBLISH,
    /* lookup thread -> resolve request (transport/resolver.h): the
     * result is in the request. */
    ZMQ__CMD_RESOLVED,
    /* anything -> a thread: leave your loop. */
    ZMQ__CMD_THREAD_STOP,
    /* Ownership of I/O-thread objects (own.h).  socket -> child: start
     * on your thread / finish within linger.  child -> socket: done
     * (the last command from the child) / please terminate me.
     * listener -> socket: adopt this new child (an accepted session). */
    ZMQ__CMD_PLUG,
    ZMQ__CMD_TERM,
    ZMQ__CMD_TERM_ACK,
    ZMQ__CMD_TERM_REQ,
    ZMQ__CMD_OWN,
};

struct zmq__command {
    struct zmq__object *dest;
    enum zmq__command_type type;
    union {
        struct {
            struct zmq__pipe *pipe;
        } bind;
        struct {
            uint64_t msgs_read;
        } activate_write;
        struct {
            bool delay; /* deliver what was written before acknowledging */
        } pipe_term;
        struct {
            int inhwm, outhwm;
        } pipe_hwm;
        struct {
            uint64_t msgs_written, msgs_read; /* the asking end's */
        } pipe_peer_stats;
        struct {
            uint64_t outbound, inbound; /* the asking end's queues */
        } pipe_stats_publish;
        struct {
            struct zmq__socket *socket;
        } reap;
        struct {
            int linger;
        } term;
        struct {
            struct zmq__own *child; /* TERM_ACK, TERM_REQ, OWN */
        } own;
    } args;
};

#endif
