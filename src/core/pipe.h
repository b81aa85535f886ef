/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Pipes: the two-way message channel between a socket and its peer (a
 * socket over inproc, or a session that owns a connection).
 *
 * A pipe is a pair of ends.  Each end belongs to one thread and one sink
 * (the socket or session using it); it writes into one ypipe and reads
 * from the other.  The fast path takes no lock and no syscall: a writer
 * notifies the reader (ACTIVATE_READ) only when the reader went to sleep
 * on an empty pipe, and a reader returns credit (ACTIVATE_WRITE) only
 * every low-water mark's worth of messages.
 *
 * Flow control, as libzmq: a writer may have at most hwm messages in
 * flight (written but not yet read by the peer; 0 = no limit; the parts
 * of a multipart message count as one, checked at its first part).  A
 * full writer is reactivated when the reader has read down to hwm - lwm.
 *
 * Conflation (ZMQ_CONFLATE): a direction created conflating keeps only
 * the newest complete message.  Its writer never waits (no HWM, no
 * credit: zmq__pipe_set_hwms leaves it unlimited); a message written
 * replaces the one the reader has not started yet, which is closed; a
 * multipart message is kept and delivered whole, and one whose reading
 * has begun is read to its end.  The identity (zmq__pipe_send_identity)
 * is never conflated away and comes first, and termination with delay
 * delivers the newest message, then ends.  Reader wake-ups and
 * termination work as for other pipes.
 *
 * Termination: either end may start it (zmq__pipe_terminate).  With
 * `delay`, the messages already written are delivered first: a delimiter
 * follows them and the peer reads up to it before acknowledging.  The
 * handshake is PIPE_TERM, PIPE_TERM_ACK and a final PIPE_TERM_ACK; each
 * end tells its sink (terminated) and frees itself after its last
 * command, so nothing is freed while a command to it is in flight.  Each
 * end frees the ypipe it reads once its writer has sent its last command.
 *
 * Threading: every function is called on the thread that owns the end,
 * except zmq__pipe_pair (before either end is shared).
 * Message ownership is msg.h's: write takes the message on success.
 */
#ifndef ZMQ__PIPE_H
#define ZMQ__PIPE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/msg.h"
#include "core/object.h"

struct zmq__cpipe;
struct zmq__pipe;
struct zmq__ypipe;

/* What a sink (socket or session) is told about its pipe ends; called
 * on the sink's thread while it processes commands. */
struct zmq__pipe_sink_ops {
    /* Messages arrived on an end that had run dry. */
    void (*read_activated)(void *sink, struct zmq__pipe *p);
    /* A full end may be written again. */
    void (*write_activated)(void *sink, struct zmq__pipe *p);
    /* The end is finished; it is freed right after this returns. */
    void (*terminated)(void *sink, struct zmq__pipe *p);
    /* Optional: the peer ended the pipe and this end has acknowledged
     * (terminated follows once the peer's last command arrives).  May be
     * called from inside zmq__pipe_read / check_read: the sink must not
     * free what its caller is using. */
    void (*peer_ended)(void *sink, struct zmq__pipe *p);
    /* The answer to zmq__pipe_request_stats: messages queued towards the
     * peer and from it, as the peer counted them. */
    void (*stats)(void *sink, struct zmq__pipe *p, uint64_t outbound,
                  uint64_t inbound);
};

enum zmq__pipe_state {
    ZMQ__PIPE_ACTIVE,
    ZMQ__PIPE_DELIMITER_READ, /* read the delimiter before PIPE_TERM */
    ZMQ__PIPE_DRAINING,       /* got PIPE_TERM; reading to delimiter */
    ZMQ__PIPE_TERM_SENT,      /* we started termination */
    ZMQ__PIPE_TERM_BOTH,      /* both started; we acknowledged */
    ZMQ__PIPE_TERM_ACK_SENT,  /* the peer started; we acknowledged */
};

struct zmq__pipe {
    struct zmq__object obj;
    struct zmq__ypipe *in;  /* read by this end; NULL if it conflates */
    struct zmq__ypipe *out; /* written by this end; NULL if it conflates */
    struct zmq__cpipe *cin, *cout; /* instead, for conflating directions */
    struct zmq__pipe *peer;
    const struct zmq__pipe_sink_ops *sink_ops;
    void *sink;

    bool in_active;  /* the last read found a message */
    bool out_active; /* the last write check found room */
    bool more_out;   /* a multipart message is being written */
    bool more_in;    /* a multipart message is being read */
    int hwm;         /* messages in flight allowed towards the peer */
    int lwm;         /* credit returned every lwm messages read */
    uint64_t msgs_read, msgs_written, peers_msgs_read;
    enum zmq__pipe_state state;

    /* The peer end is not owned yet (inproc connect before bind):
     * termination then completes locally, see zmq__pipe_terminate.
     * Cleared by the binding thread, under the context's endpoint lock,
     * after it attached the peer end. */
    atomic_bool peer_pending;

    /* For the sink's use: routing id (SERVER/PEER) and the pipe's
     * positions in up to two of the sink's pipe sets (see types.h). */
    uint32_t routing_id;
    size_t index[2];

    /* Set by whoever makes the pair, for the sink: the peer takes every
     * message whatever it subscribed (a RADIO's udp endpoint, which has
     * no JOIN). */
    bool subscribe_all;

    /* The first inbound message is the peer's identity; reading takes it
     * off and keeps it here instead of delivering it. */
    bool identity_first;
    /* The sink named the connection itself (ROUTER): a later identity is
     * taken off the pipe but does not rename it. */
    bool identity_fixed;
    /* The peer's identity (ZMQ_ROUTING_ID), or the id a ROUTER gave the
     * connection; empty when none. */
    uint8_t identity_size;
    unsigned char identity[255];
};

/* Creates two connected ends.  ends[0] writes to ends[1] with high-water
 * mark hwm[0] and ends[1] to ends[0] with hwm[1].  -ENOMEM. */
int zmq__pipe_pair(struct zmq__ctx *ctx, struct zmq__pipe *ends[2],
                   const int hwm[2]);

/* As zmq__pipe_pair, and conflate[0] makes the direction ends[0] ->
 * ends[1] conflate (its hwm[0] is then ignored), conflate[1] the other.
 * Who decides: zmq__socket_conflates_send / _recv (socket.h).  -ENOMEM. */
int zmq__pipe_pair_conflate(struct zmq__ctx *ctx, struct zmq__pipe *ends[2],
                            const int hwm[2], const bool conflate[2]);

/* Binds an end to its owner: mailbox of the owning thread and sink. */
void zmq__pipe_attach(struct zmq__pipe *p, struct zmq__mailbox *mailbox,
                      const struct zmq__pipe_sink_ops *ops, void *sink);

/* Reader side.  0 with msg filled (the caller's msg must be closed or
 * empty beforehand: it is overwritten), or -EAGAIN when nothing can be
 * read now (read_activated will follow when that changes). */
int zmq__pipe_read(struct zmq__pipe *p, struct zmq__msg *msg);

/* True when a message can be read now. */
bool zmq__pipe_check_read(struct zmq__pipe *p);

/* Writer side.  True when a message may be written now; false marks the
 * end inactive until write_activated. */
bool zmq__pipe_check_write(struct zmq__pipe *p);

/* Writes msg (the pipe takes it, msg is left empty).  -EAGAIN when the
 * pipe is full or terminating (msg untouched), -ENOMEM. */
int zmq__pipe_write(struct zmq__pipe *p, struct zmq__msg *msg);

/* Publishes written messages, waking the reader if it sleeps. */
void zmq__pipe_flush(struct zmq__pipe *p);

/* Drops the parts of an unfinished multipart message not yet flushed. */
void zmq__pipe_rollback(struct zmq__pipe *p);

/* Starts termination (idempotent).  delay: deliver what was written
 * first.  The sink's terminated callback follows, on this thread, once
 * the handshake is done (immediately when the peer is pending). */
void zmq__pipe_terminate(struct zmq__pipe *p, bool delay);

/* Ends a delivery wait started with delay: the peer stops draining and
 * drops what it has not read (used when linger runs out). */
void zmq__pipe_hurry(struct zmq__pipe *p);

/* Sets the high-water marks of an end (inbound from the peer, outbound
 * to it) and tells the peer. */
void zmq__pipe_set_hwms(struct zmq__pipe *p, int inhwm, int outhwm);

/* Writes identity (size bytes) as the first message towards the peer,
 * whose end must have identity_first set.  -ENOMEM; -EPIPE when the pipe
 * is terminating (nothing is written). */
int zmq__pipe_send_identity(struct zmq__pipe *p, const void *identity,
                            size_t size);

/* Messages written towards the peer and not yet read by it (as far as
 * credit has told; a conflating direction returns no credit, so there it
 * counts the messages written and not dropped by this end). */
uint64_t zmq__pipe_pending(const struct zmq__pipe *p);

/* Asks the peer end for the queue lengths of both directions; the sink's
 * stats callback receives them later.  false when the pipe cannot answer
 * (terminating, or its peer is not attached yet). */
bool zmq__pipe_request_stats(struct zmq__pipe *p);

/* Command handlers, called by zmq__object_dispatch. */
void zmq__pipe_process_peer_stats(struct zmq__pipe *p, uint64_t written,
                                  uint64_t read);
void zmq__pipe_process_stats_publish(struct zmq__pipe *p, uint64_t outbound,
                                     uint64_t inbound);
void zmq__pipe_process_activate_read(struct zmq__pipe *p);
void zmq__pipe_process_activate_write(struct zmq__pipe *p, uint64_t msgs_read);
void zmq__pipe_process_term(struct zmq__pipe *p, bool delay);
void zmq__pipe_process_term_ack(struct zmq__pipe *p);
void zmq__pipe_process_hwm(struct zmq__pipe *p, int inhwm, int outhwm);

/* Frees both ends of a pair that never left its creator (inproc connect
 * whose peer was never bound), dropping queued messages. */
void zmq__pipe_free_pair(struct zmq__pipe *p);

#endif
