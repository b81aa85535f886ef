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

static void swap(struct zmq__pipe_set *set, size_t a, size_t b)
{
    struct zmq__pipe *pa = set->pipes[a], *pb = set->pipes[b];
    set->pipes[a] = pb;
    pb->index = a;
    set->pipes[b] = pa;
    pa->index = b;
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
    p->index = set->n++;
    swap(set, p->index, set->active++);
    return 0;
}

void zmq__pipe_set_remove(struct zmq__pipe_set *set, struct zmq__pipe *p)
{
    size_t i = p->index;
    if (i >= set->n || set->pipes[i] != p)
        return;
    if (i < set->active) {
        /* A pipe gone in the middle of a message ends that message. */
        if (i == set->current)
            set->more = false;
        deactivate_at(set, i);
        i = p->index;
    }
    swap(set, i, set->n - 1);
    set->n--;
}

void zmq__pipe_set_activate(struct zmq__pipe_set *set, struct zmq__pipe *p)
{
    if (p->index < set->n && set->pipes[p->index] == p &&
        p->index >= set->active)
        swap(set, p->index, set->active++);
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
    if (set->dropping)
        return drop_part(set, msg);
    while (set->active > 0) {
        struct zmq__pipe *p = set->pipes[set->current];
        bool more = zmq__msg_more(msg);
        if (zmq__pipe_write(p, msg) == 0) {
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
