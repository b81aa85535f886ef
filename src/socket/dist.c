/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The distributor (see dist.h for the regions).
 *
 * Choosing a receiver is a swap into the matching region, so matching a
 * message costs only the pipes that match, however many are attached.
 * Every receiver but the last gets a copy (zmq__msg_copy shares large
 * bodies by reference count); the last gets the message itself.  Full
 * pipes need no separate bookkeeping: a write refused at the first part
 * simply takes the pipe out of the matching region for this message, and
 * the pipe is tried afresh with the next one.
 */
#include "socket/dist.h"

#include <errno.h>
#include <stdlib.h>

#include "core/pipe.h"

#define POS(d, p) ((p)->index[(d)->slot])

static void swap(struct zmq__dist *d, size_t a, size_t b)
{
    struct zmq__pipe *pa = d->pipes[a], *pb = d->pipes[b];
    d->pipes[a] = pb;
    POS(d, pb) = a;
    d->pipes[b] = pa;
    POS(d, pa) = b;
}

void zmq__dist_fini(struct zmq__dist *d)
{
    free(d->pipes);
    d->pipes = NULL;
    d->n = d->cap = d->matching = d->eligible = 0;
}

int zmq__dist_add(struct zmq__dist *d, struct zmq__pipe *p)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        struct zmq__pipe **v = realloc(d->pipes, cap * sizeof *v);
        if (v == NULL)
            return -ENOMEM;
        d->pipes = v;
        d->cap = cap;
    }
    d->pipes[d->n] = p;
    POS(d, p) = d->n++;
    if (!d->more)
        swap(d, POS(d, p), d->eligible++);
    return 0;
}

bool zmq__dist_has(const struct zmq__dist *d, const struct zmq__pipe *p)
{
    size_t i = p->index[d->slot];
    return i < d->n && d->pipes[i] == p;
}

void zmq__dist_remove(struct zmq__dist *d, struct zmq__pipe *p)
{
    if (!zmq__dist_has(d, p))
        return;
    size_t i = POS(d, p);
    if (i < d->matching) {
        swap(d, i, --d->matching);
        i = d->matching;
    }
    if (i < d->eligible) {
        swap(d, i, --d->eligible);
        i = d->eligible;
    }
    swap(d, i, --d->n);
}

void zmq__dist_match(struct zmq__dist *d, struct zmq__pipe *p)
{
    size_t i = POS(d, p);
    if (i < d->matching || i >= d->eligible || d->pipes[i] != p)
        return;
    swap(d, i, d->matching++);
}

void zmq__dist_match_all(struct zmq__dist *d)
{
    d->matching = d->eligible;
}

void zmq__dist_invert(struct zmq__dist *d)
{
    /* Swap the unchosen part [matching, eligible) to the front. */
    size_t chosen = d->matching, others = d->eligible - d->matching;
    for (size_t k = 0; k < others && k < chosen; k++)
        swap(d, k, d->eligible - 1 - k);
    d->matching = others;
}

void zmq__dist_unmatch(struct zmq__dist *d)
{
    d->matching = 0;
}

bool zmq__dist_can_send(struct zmq__dist *d)
{
    for (size_t i = 0; i < d->matching; i++) {
        struct zmq__pipe *p = d->pipes[i];
        if (p->state == ZMQ__PIPE_ACTIVE && !zmq__pipe_check_write(p))
            return false;
    }
    return true;
}

/* Writes m to the receiver at i; false (m untouched) when it cannot take
 * it, after which it no longer receives this message. */
static bool write_to(struct zmq__dist *d, size_t i, struct zmq__msg *m)
{
    if (zmq__pipe_write(d->pipes[i], m) == 0)
        return true;
    swap(d, i, --d->matching);
    return false;
}

void zmq__dist_send(struct zmq__dist *d, struct zmq__msg *msg)
{
    bool more = zmq__msg_more(msg);
    bool taken = false;
    size_t i = 0;
    while (i < d->matching) {
        if (i == d->matching - 1) {
            /* The last receiver gets the message itself. */
            if (write_to(d, i, msg)) {
                taken = true;
                i++;
            }
            continue;
        }
        struct zmq__msg copy;
        zmq__msg_init(&copy);
        zmq__msg_copy(&copy, msg);
        if (write_to(d, i, &copy))
            i++;
        else
            zmq__msg_close(&copy); /* pipe i is now an unsent one */
    }
    if (!taken) {
        zmq__msg_close(msg);
        zmq__msg_init(msg);
    }
    d->more = more;
    if (more)
        return;
    for (i = 0; i < d->matching; i++)
        zmq__pipe_flush(d->pipes[i]);
    d->matching = 0;
    /* Pipes that came during the message may now take part. */
    d->eligible = d->n;
}
