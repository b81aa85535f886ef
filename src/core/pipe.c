/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Pipes.
 *
 * Each end counts the messages it wrote and read.  The reader returns
 * credit by telling the writer how many it has read (ACTIVATE_WRITE) every
 * lwm messages; the writer compares with its own count to know how many
 * are in flight.  Reader wake-ups ride on the ypipe sleep protocol: a
 * flush that finds the reader asleep sends ACTIVATE_READ.
 *
 * Termination state machine (see pipe.h for the rules it keeps):
 *
 *   ACTIVE --terminate--> TERM_SENT --ack--> (send ack) done
 *   ACTIVE --PIPE_TERM(no delay)--> TERM_ACK_SENT --ack--> done
 *   ACTIVE --PIPE_TERM(delay)--> DRAINING --delimiter read--> TERM_ACK_SENT
 *   ACTIVE --delimiter read--> DELIMITER_READ --PIPE_TERM--> TERM_ACK_SENT
 *   TERM_SENT --PIPE_TERM--> (send ack) TERM_BOTH --ack--> done
 *
 * An end stops writing before it sends PIPE_TERM or its first ack, and
 * the ack that ends the peer's part is always the last command between
 * the two, so "done" may free the end and its inbound ypipe.
 *
 * A conflating direction uses a cpipe (cpipe.h) instead of a ypipe; each
 * queue operation tests which one the end has, a branch that is always
 * predicted the same way on a given end.  Its HWM is 0 (no limit, no
 * credit), and the messages the cpipe drops count as read on the side
 * that dropped them (the writer takes them off msgs_written, the reader
 * adds them to msgs_read), so the queue lengths stay true.
 */
#include "core/pipe.h"

#include <stdlib.h>
#include <string.h>

#include "core/cpipe.h"
#include "core/ctx.h"
#include "core/err.h"
#include "core/mailbox.h"
#include "core/ypipe.h"

/* Messages per ypipe chunk. */
#define PIPE_GRANULARITY 256

/* Credit is returned every lwm messages: half the hwm, or for large hwms
 * every hwm - 1024, so a writer is never starved by a big batch. */
static int compute_lwm(int hwm)
{
    return hwm > 2048 ? hwm - 1024 : (hwm + 1) / 2;
}

static void close_item(void *item)
{
    zmq__msg_close(item);
}

static struct zmq__pipe *new_end(struct zmq__ctx *ctx)
{
    struct zmq__pipe *p = calloc(1, sizeof *p);
    if (p != NULL) {
        p->obj.ctx = ctx;
        p->in_active = true;
        p->out_active = true;
        p->state = ZMQ__PIPE_ACTIVE;
    }
    return p;
}

/* Frees the queues of one direction (either kind, either may be NULL). */
static void free_queue(struct zmq__ypipe *y, struct zmq__cpipe *c)
{
    zmq__ypipe_free(y, close_item);
    zmq__cpipe_free(c);
}

int zmq__pipe_pair_conflate(struct zmq__ctx *ctx, struct zmq__pipe *ends[2],
                            const int hwm[2], const bool conflate[2])
{
    struct zmq__ypipe *y[2] = {NULL, NULL};
    struct zmq__cpipe *c[2] = {NULL, NULL};
    bool ok = true;
    for (int i = 0; i < 2; i++) {
        if (conflate[i])
            ok = ok && (c[i] = zmq__cpipe_new()) != NULL;
        else
            ok = ok && (y[i] = zmq__ypipe_new(sizeof(struct zmq__msg),
                                              PIPE_GRANULARITY)) != NULL;
    }
    struct zmq__pipe *a = new_end(ctx), *b = new_end(ctx);
    if (!ok || a == NULL || b == NULL) {
        free_queue(y[0], c[0]);
        free_queue(y[1], c[1]);
        free(a);
        free(b);
        return -ENOMEM;
    }
    a->out = b->in = y[0];
    a->cout = b->cin = c[0];
    b->out = a->in = y[1];
    b->cout = a->cin = c[1];
    a->peer = b;
    b->peer = a;
    /* A conflating direction keeps only the newest message: no limit,
     * no credit. */
    a->hwm = conflate[0] ? 0 : hwm[0];
    b->lwm = compute_lwm(a->hwm);
    b->hwm = conflate[1] ? 0 : hwm[1];
    a->lwm = compute_lwm(b->hwm);
    ends[0] = a;
    ends[1] = b;
    return 0;
}

int zmq__pipe_pair(struct zmq__ctx *ctx, struct zmq__pipe *ends[2],
                   const int hwm[2])
{
    static const bool none[2] = {false, false};
    return zmq__pipe_pair_conflate(ctx, ends, hwm, none);
}

void zmq__pipe_attach(struct zmq__pipe *p, struct zmq__mailbox *mailbox,
                      const struct zmq__pipe_sink_ops *ops, void *sink)
{
    /* An end handed over by a connecting socket already names this
     * mailbox, and its peer may be reading that field to post commands:
     * write it only when it really changes (ends nobody else sees yet). */
    if (p->obj.mailbox != mailbox)
        p->obj.mailbox = mailbox;
    p->sink_ops = ops;
    p->sink = sink;
}

static void send_to_peer(struct zmq__pipe *p, enum zmq__command_type type,
                         struct zmq__command *cmd)
{
    zmq__object_send(&p->peer->obj, type, cmd);
}

/* The end is done: tell the sink, drop what was never read, free. */
static void finish(struct zmq__pipe *p)
{
    if (p->sink_ops != NULL)
        p->sink_ops->terminated(p->sink, p);
    free_queue(p->in, p->cin);
    free(p);
}

/* The peer's termination is acknowledged: tell a sink that wants to
 * know before the last command comes (a session closes its connection
 * then, without waiting for the peer's socket to run). */
static void peer_ended(struct zmq__pipe *p)
{
    if (p->sink_ops != NULL && p->sink_ops->peer_ended != NULL)
        p->sink_ops->peer_ended(p->sink, p);
}

static void send_ack(struct zmq__pipe *p)
{
    struct zmq__command cmd = {0};
    send_to_peer(p, ZMQ__CMD_PIPE_TERM_ACK, &cmd);
}

/* The inbound queue, whichever kind it is.  in_read follows a peek that
 * found an item. */
static struct zmq__msg *in_peek(struct zmq__pipe *p)
{
    if (p->cin == NULL)
        return zmq__ypipe_peek(p->in);
    return zmq__cpipe_peek(p->cin);
}

static void in_read(struct zmq__pipe *p, struct zmq__msg *msg)
{
    if (p->cin == NULL) {
        zmq__ypipe_read(p->in, msg);
        return;
    }
    unsigned dropped = 0;
    zmq__cpipe_read(p->cin, msg, &dropped);
    p->msgs_read += dropped;
}

static bool out_flush(struct zmq__pipe *p)
{
    if (p->cout == NULL)
        return zmq__ypipe_flush(p->out);
    unsigned dropped = 0;
    bool awake = zmq__cpipe_flush(p->cout, &dropped);
    p->msgs_written -= dropped;
    return awake;
}

bool zmq__pipe_check_read(struct zmq__pipe *p)
{
    if (!p->in_active)
        return false;
    if (p->state != ZMQ__PIPE_ACTIVE && p->state != ZMQ__PIPE_DRAINING)
        return false;
    struct zmq__msg *next = in_peek(p);
    if (next != NULL && p->identity_first && !zmq__msg_is_delimiter(next)) {
        /* The peer's identity comes first; it is kept, not delivered. */
        struct zmq__msg id;
        in_read(p, &id);
        p->identity_first = false;
        size_t n = zmq__msg_size(&id);
        if (!p->identity_fixed) {
            p->identity_size = (uint8_t)(n <= sizeof p->identity ? n : 0);
            memcpy(p->identity, zmq__msg_data(&id), p->identity_size);
        }
        zmq__msg_close(&id);
        next = in_peek(p);
    }
    if (next == NULL) {
        p->in_active = false;
        return false;
    }
    if (zmq__msg_is_delimiter(next)) {
        struct zmq__msg delim;
        in_read(p, &delim);
        p->in_active = false;
        if (p->state == ZMQ__PIPE_DRAINING) {
            p->state = ZMQ__PIPE_TERM_ACK_SENT;
            send_ack(p);
            peer_ended(p);
        } else {
            p->state = ZMQ__PIPE_DELIMITER_READ;
        }
        return false;
    }
    return true;
}

int zmq__pipe_read(struct zmq__pipe *p, struct zmq__msg *msg)
{
    if (!zmq__pipe_check_read(p))
        return -EAGAIN;
    in_read(p, msg);
    p->more_in = zmq__msg_more(msg);
    if (!p->more_in) {
        p->msgs_read++;
        if (p->lwm > 0 && p->msgs_read % (uint64_t)p->lwm == 0 &&
            p->state == ZMQ__PIPE_ACTIVE) {
            struct zmq__command cmd = {0};
            cmd.args.activate_write.msgs_read = p->msgs_read;
            send_to_peer(p, ZMQ__CMD_ACTIVATE_WRITE, &cmd);
        }
    }
    return 0;
}

bool zmq__pipe_check_write(struct zmq__pipe *p)
{
    if (!p->out_active || p->state != ZMQ__PIPE_ACTIVE)
        return false;
    /* A multipart message already begun is always finished. */
    if (!p->more_out && p->hwm > 0 &&
        p->msgs_written - p->peers_msgs_read >= (uint64_t)p->hwm) {
        p->out_active = false;
        return false;
    }
    return true;
}

int zmq__pipe_write(struct zmq__pipe *p, struct zmq__msg *msg)
{
    if (!zmq__pipe_check_write(p))
        return -EAGAIN;
    bool more = zmq__msg_more(msg);
    int rc;
    if (p->cout == NULL) {
        rc = zmq__ypipe_write(p->out, msg, more);
    } else {
        unsigned dropped = 0;
        rc = zmq__cpipe_write(p->cout, msg, more, &dropped);
        p->msgs_written -= dropped;
    }
    if (rc < 0)
        return rc;
    zmq__msg_init(msg);
    p->more_out = more;
    if (!more)
        p->msgs_written++;
    return 0;
}

void zmq__pipe_flush(struct zmq__pipe *p)
{
    if (p->state == ZMQ__PIPE_TERM_ACK_SENT || p->state == ZMQ__PIPE_TERM_BOTH)
        return;
    if (!out_flush(p) && !atomic_load(&p->peer_pending)) {
        struct zmq__command cmd = {0};
        send_to_peer(p, ZMQ__CMD_ACTIVATE_READ, &cmd);
    }
}

void zmq__pipe_rollback(struct zmq__pipe *p)
{
    /* After our acknowledgement the peer may have freed the queue we
     * write (pipe.h); nothing unflushed is left there to take back. */
    if (p->state == ZMQ__PIPE_TERM_ACK_SENT || p->state == ZMQ__PIPE_TERM_BOTH)
        return;
    /* Only the parts of the unfinished message go: the unflushed item
     * before them, if any, is a whole message and is put back. */
    if (p->cout != NULL) {
        zmq__cpipe_rollback(p->cout);
        p->more_out = false;
        return;
    }
    struct zmq__msg m;
    while (zmq__ypipe_unwrite(p->out, &m)) {
        if (!zmq__msg_more(&m)) {
            zmq__ypipe_write(p->out, &m, false); /* the slot is still there */
            break;
        }
        zmq__msg_close(&m);
    }
    p->more_out = false;
}

/* Frees everything of a pair whose second end never got an owner. */
void zmq__pipe_free_pair(struct zmq__pipe *p)
{
    free_queue(p->in, p->cin);
    free_queue(p->out, p->cout);
    free(p->peer);
    free(p);
}

void zmq__pipe_terminate(struct zmq__pipe *p, bool delay)
{
    if (atomic_load(&p->peer_pending) &&
        zmq__ctx_cancel_pending(p->obj.ctx, p)) {
        /* Nobody bound the endpoint: there is no peer to hand anything
         * to, so the pair ends here. */
        if (p->sink_ops != NULL)
            p->sink_ops->terminated(p->sink, p);
        zmq__pipe_free_pair(p);
        return;
    }

    switch (p->state) {
    case ZMQ__PIPE_ACTIVE:
    case ZMQ__PIPE_DELIMITER_READ:
        break;
    case ZMQ__PIPE_DRAINING:
        /* Our sink gives up on the rest: acknowledge now. */
        p->state = ZMQ__PIPE_TERM_ACK_SENT;
        send_ack(p);
        return;
    default:
        return; /* already terminating */
    }

    zmq__pipe_rollback(p);
    if (delay && p->cout != NULL) {
        zmq__cpipe_write_delimiter(p->cout);
        out_flush(p);
    } else if (delay) {
        struct zmq__msg delim;
        zmq__msg_init_delimiter(&delim);
        /* The delimiter cannot be refused by the HWM; without memory the
         * peer simply stops at what it has. */
        if (zmq__ypipe_write(p->out, &delim, false) == 0)
            zmq__ypipe_flush(p->out);
        else
            delay = false;
    }
    p->state = ZMQ__PIPE_TERM_SENT;
    struct zmq__command cmd = {0};
    cmd.args.pipe_term.delay = delay;
    send_to_peer(p, ZMQ__CMD_PIPE_TERM, &cmd);
}

void zmq__pipe_hurry(struct zmq__pipe *p)
{
    if (p->state == ZMQ__PIPE_TERM_SENT) {
        struct zmq__command cmd = {0};
        cmd.args.pipe_term.delay = false;
        send_to_peer(p, ZMQ__CMD_PIPE_TERM, &cmd);
    }
}

void zmq__pipe_process_activate_read(struct zmq__pipe *p)
{
    if (p->in_active)
        return;
    if (p->state != ZMQ__PIPE_ACTIVE && p->state != ZMQ__PIPE_DRAINING)
        return;
    p->in_active = true;
    p->sink_ops->read_activated(p->sink, p);
}

void zmq__pipe_process_activate_write(struct zmq__pipe *p, uint64_t msgs_read)
{
    p->peers_msgs_read = msgs_read;
    if (!p->out_active && p->state == ZMQ__PIPE_ACTIVE) {
        p->out_active = true;
        p->sink_ops->write_activated(p->sink, p);
    }
}

void zmq__pipe_process_term(struct zmq__pipe *p, bool delay)
{
    switch (p->state) {
    case ZMQ__PIPE_ACTIVE:
        if (delay) {
            /* Read on until the delimiter; wake the sink in case it
             * sleeps on this pipe. */
            p->state = ZMQ__PIPE_DRAINING;
            if (!p->in_active) {
                p->in_active = true;
                p->sink_ops->read_activated(p->sink, p);
            }
            return;
        }
        /* fall through */
    case ZMQ__PIPE_DELIMITER_READ:
        zmq__pipe_rollback(p);
        p->state = ZMQ__PIPE_TERM_ACK_SENT;
        send_ack(p);
        peer_ended(p);
        return;
    case ZMQ__PIPE_DRAINING:
        if (!delay) { /* the writer's linger ran out */
            p->state = ZMQ__PIPE_TERM_ACK_SENT;
            send_ack(p);
            peer_ended(p);
        }
        return;
    case ZMQ__PIPE_TERM_SENT:
        p->state = ZMQ__PIPE_TERM_BOTH;
        send_ack(p);
        return;
    default:
        return; /* a hurry-up that crossed our acknowledgement */
    }
}

void zmq__pipe_process_term_ack(struct zmq__pipe *p)
{
    switch (p->state) {
    case ZMQ__PIPE_TERM_SENT:
        /* The peer acknowledged our request; release its side. */
        send_ack(p);
        finish(p);
        return;
    case ZMQ__PIPE_TERM_ACK_SENT:
    case ZMQ__PIPE_TERM_BOTH:
        finish(p);
        return;
    default:
        ZMQ__ASSERT(!"PIPE_TERM_ACK in a state that never asked for it");
    }
}

void zmq__pipe_set_hwms(struct zmq__pipe *p, int inhwm, int outhwm)
{
    /* Conflating directions keep no limit (the peer applies the same
     * rule to what it is told). */
    p->hwm = p->cout != NULL ? 0 : outhwm;
    p->lwm = p->cin != NULL ? 0 : compute_lwm(inhwm);
    struct zmq__command cmd = {0};
    cmd.args.pipe_hwm.inhwm = outhwm;
    cmd.args.pipe_hwm.outhwm = inhwm;
    send_to_peer(p, ZMQ__CMD_PIPE_HWM, &cmd);
}

void zmq__pipe_process_hwm(struct zmq__pipe *p, int inhwm, int outhwm)
{
    p->hwm = p->cout != NULL ? 0 : outhwm;
    p->lwm = p->cin != NULL ? 0 : compute_lwm(inhwm);
}

int zmq__pipe_send_identity(struct zmq__pipe *p, const void *identity,
                            size_t size)
{
    /* Once termination started the queue we write may be the peer's to
     * free (pipe.h), and nobody will read an identity any more. */
    if (p->state != ZMQ__PIPE_ACTIVE)
        return -EPIPE;
    struct zmq__msg m;
    int rc = zmq__msg_init_buffer(&m, identity, size);
    if (rc < 0)
        return rc;
    if (p->cout != NULL) {
        zmq__cpipe_write_identity(p->cout, &m); /* never conflated away */
    } else if ((rc = zmq__ypipe_write(p->out, &m, false)) < 0) {
        zmq__msg_close(&m);
        return rc;
    }
    /* Not counted against the HWM: it is the connection's, not a message
     * of the application.  A reader asleep on the pipe is woken. */
    zmq__pipe_flush(p);
    return 0;
}

uint64_t zmq__pipe_pending(const struct zmq__pipe *p)
{
    return p->msgs_written - p->peers_msgs_read;
}

/* Statistics travel as a request and its answer.  A request is only made
 * on an active end, and the peer answers before it can have acknowledged
 * any termination started later, so the answer never reaches a freed end
 * (both commands go through the same FIFO mailbox). */
bool zmq__pipe_request_stats(struct zmq__pipe *p)
{
    if (p->state != ZMQ__PIPE_ACTIVE || atomic_load(&p->peer_pending))
        return false;
    struct zmq__command cmd = {0};
    cmd.args.pipe_peer_stats.msgs_written = p->msgs_written;
    cmd.args.pipe_peer_stats.msgs_read = p->msgs_read;
    send_to_peer(p, ZMQ__CMD_PIPE_PEER_STATS, &cmd);
    return true;
}

void zmq__pipe_process_peer_stats(struct zmq__pipe *p, uint64_t written,
                                  uint64_t read)
{
    struct zmq__command cmd = {0};
    cmd.args.pipe_stats_publish.outbound = written - p->msgs_read;
    cmd.args.pipe_stats_publish.inbound = p->msgs_written - read;
    send_to_peer(p, ZMQ__CMD_PIPE_STATS_PUBLISH, &cmd);
}

void zmq__pipe_process_stats_publish(struct zmq__pipe *p, uint64_t outbound,
                                     uint64_t inbound)
{
    if (p->sink_ops != NULL && p->sink_ops->stats != NULL)
        p->sink_ops->stats(p->sink, p, outbound, inbound);
}
