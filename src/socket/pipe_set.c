/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Pipe sets, fair queuing and load balancing.
 *
 * Activation is a swap: a pipe that cannot be read (or written) moves to
 * the end of the active part, and back when its peer reactivates it.  The
 * cursor `current` walks the active part, so every active pipe gets its
 * turn (round robin) and an idle pipe costs nothing until it wakes.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/pipe.h"
#include "socket/types.h"

#define POS(set, p) ((p)->index[(set)->slot])

static void swap(struct zmq__pipe_set *set, size_t a, size_t b)
{
    struct zmq__pipe *pa = set->pipes[a], *pb = set->pipes[b];
    set->pipes[a] = pb;
    POS(set, pb) = a;
    set->pipes[b] = pa;
    POS(set, pa) = b;
}

static void deactivate_at(struct zmq__pipe_set *set, size_t i)
{
    swap(set, i, set->active - 1);
    set->active--;
    if (set->current >= set->active)
        set->current = 0;
}

void zmq__pipe_set_fini(struct zmq__pipe_set *set)
{
    free(set->pipes);
}

int zmq__pipe_set_add(struct zmq__pipe_set *set, struct zmq__pipe *p)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 4;
        struct zmq__pipe **v = realloc(set->pipes, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        set->pipes = v;
        set->cap = cap;
    }
    set->pipes[set->n] = p;
    POS(set, p) = set->n++;
    swap(set, POS(set, p), set->active++);
    return 0;
}

void zmq__pipe_set_remove(struct zmq__pipe_set *set, struct zmq__pipe *p)
{
    size_t i = POS(set, p);
    if (i >= set->n || set->pipes[i] != p)
        return;
    if (i < set->active) {
        /* A pipe gone in the middle of a message ends that message. */
        if (i == set->current)
            set->more = false;
        deactivate_at(set, i);
        i = POS(set, p);
    }
    swap(set, i, set->n - 1);
    set->n--;
}

void zmq__pipe_set_activate(struct zmq__pipe_set *set, struct zmq__pipe *p)
{
    size_t i = POS(set, p);
    if (i < set->n && set->pipes[i] == p && i >= set->active)
        swap(set, i, set->active++);
}

int zmq__fq_recv(struct zmq__pipe_set *set, struct zmq__msg *msg,
                 struct zmq__pipe **from)
{
    while (set->active > 0) {
        struct zmq__pipe *p = set->pipes[set->current];
        if (zmq__pipe_read(p, msg) == 0) {
            set->more = zmq__msg_more(msg);
            if (!set->more)
                set->current = (set->current + 1) % set->active;
            if (from != NULL)
                *from = p;
            return 0;
        }
        set->more = false;
        deactivate_at(set, set->current);
    }
    return -EAGAIN;
}

int zmq__fq_recv_single(struct zmq__pipe_set *set, struct zmq__msg *msg,
                        struct zmq__pipe **from)
{
    for (;;) {
        int rc = zmq__fq_recv(set, msg, from);
        if (rc < 0 || !zmq__msg_more(msg))
            return rc;
        /* Whole messages travel together, so the rest of this one is in
         * the same pipe already: drop every part of it. */
        struct zmq__pipe *p = *from;
        while (zmq__msg_more(msg)) {
            zmq__msg_close(msg);
            zmq__msg_init(msg);
            if (zmq__pipe_read(p, msg) < 0)
                break;
        }
        set->more = false;
        zmq__msg_close(msg);
        zmq__msg_init(msg);
    }
}

bool zmq__fq_has_in(struct zmq__pipe_set *set)
{
    if (set->more)
        return true;
    while (set->active > 0) {
        if (zmq__pipe_check_read(set->pipes[set->current]))
            return true;
        deactivate_at(set, set->current);
    }
    return false;
}

/* Swallows a part of a message whose pipe went away mid-message. */
static int drop_part(struct zmq__pipe_set *set, struct zmq__msg *msg)
{
    set->dropping = zmq__msg_more(msg);
    zmq__msg_close(msg);
    zmq__msg_init(msg);
    return 0;
}

int zmq__lb_send(struct zmq__pipe_set *set, struct zmq__msg *msg)
{
    return zmq__lb_send_to(set, msg, NULL);
}

int zmq__lb_send_to(struct zmq__pipe_set *set, struct zmq__msg *msg,
                    struct zmq__pipe **to)
{
    if (to != NULL)
        *to = NULL;
    if (set->dropping)
        return drop_part(set, msg);
    while (set->active > 0) {
        struct zmq__pipe *p = set->pipes[set->current];
        bool more = zmq__msg_more(msg);
        if (zmq__pipe_write(p, msg) == 0) {
            if (to != NULL)
                *to = p;
            set->more = more;
            if (!more) {
                zmq__pipe_flush(p);
                set->current = (set->current + 1) % set->active;
            }
            return 0;
        }
        if (set->more) {
            /* The pipe went away mid-message: what was written of it is
             * taken back and the rest of the message is dropped, since a
             * message is delivered whole or not at all. */
            zmq__pipe_rollback(p);
            set->more = false;
            deactivate_at(set, set->current);
            return drop_part(set, msg);
        }
        deactivate_at(set, set->current);
    }
    return -EAGAIN;
}

bool zmq__lb_has_out(struct zmq__pipe_set *set)
{
    if (set->more)
        return true;
    while (set->active > 0) {
        if (zmq__pipe_check_write(set->pipes[set->current]))
            return true;
        deactivate_at(set, set->current);
    }
    return false;
}

int zmq__msg_queue_push(struct zmq__msg_queue *q, struct zmq__msg *msg)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 4;
        struct zmq__msg *v = malloc(cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < q->n; i++)
            v[i] = q->items[(q->head + i) % q->cap];
        free(q->items);
        q->items = v;
        q->head = 0;
        q->cap = cap;
    }
    q->items[(q->head + q->n++) % q->cap] = *msg;
    zmq__msg_init(msg);
    return 0;
}

bool zmq__msg_queue_pop(struct zmq__msg_queue *q, struct zmq__msg *msg)
{
    if (q->n == 0)
        return false;
    *msg = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return true;
}

void zmq__msg_queue_fini(struct zmq__msg_queue *q)
{
    struct zmq__msg m;
    while (zmq__msg_queue_pop(q, &m))
        zmq__msg_close(&m);
    free(q->items);
    q->items = NULL;
}
