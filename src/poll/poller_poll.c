/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The poll(2) backend (portable POSIX fallback).
 *
 * Entries live on the common live list; poll(2) needs an array, so the
 * poller keeps a pollfd array and, beside it, the entry of each slot.
 * Adding or removing an entry only marks the array dirty; the next wait
 * rebuilds it from the live list, so a burst of changes costs one O(n)
 * pass, no more than poll(2) itself costs per call.  While the array is
 * clean every live entry knows its slot, and enabling or disabling a
 * direction rewrites that slot in place.
 *
 * Both arrays grow in zmq__poller_add, never in the rebuild, so a wait
 * cannot fail for memory.  A handler may add entries during dispatch:
 * the arrays may then move, so the dispatch loop re-reads them through
 * the poller on every step (growing keeps the slots it walks intact),
 * and it walks only the slots it polled.  Removed entries are retired
 * and skipped, and freed after the round (poller_common.c).
 *
 * An entry with no events enabled gets fd -1 in its slot, which poll(2)
 * ignores: otherwise POLLHUP and POLLERR, reported whatever the mask,
 * would wake every call for an owner that asked for nothing.  Level-
 * triggered as poll(2) is, the condition shows up again once a direction
 * is enabled.
 */
#include "poll/poller.h"
#include "poll/poller_common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>

struct zmq__poller {
    struct zmq__poller_common common; /* first: see poller_common.h */
    struct pollfd *pfds;
    struct zmq__poller_entry **slots; /* the entry of each pfds slot */
    size_t capacity;                  /* of both arrays */
    size_t used;                      /* slots filled by the last rebuild */
    bool dirty;                       /* entries added or removed since */
};

struct zmq__poller_entry {
    struct zmq__poller_common_entry common; /* first */
    size_t slot;                            /* valid while !dirty */
};

static void fill_slot(struct pollfd *pfd, const struct zmq__poller_entry *e)
{
    short mask = 0;
    if (e->common.events & ZMQ__POLLER_COMMON_IN)
        mask |= POLLIN;
    if (e->common.events & ZMQ__POLLER_COMMON_OUT)
        mask |= POLLOUT;
    pfd->fd = mask != 0 ? e->common.fd : -1;
    pfd->events = mask;
    /* revents is left alone: during dispatch it still holds this
     * round's result, and poll(2) overwrites it anyway. */
}

struct zmq__poller *zmq__poller_new(int *err)
{
    struct zmq__poller *p = malloc(sizeof *p);
    if (p == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    int rc = zmq__poller_common_init(&p->common);
    if (rc < 0) {
        free(p);
        *err = rc;
        return NULL;
    }
    p->pfds = NULL;
    p->slots = NULL;
    p->capacity = 0;
    p->used = 0;
    p->dirty = false;
    return p;
}

void zmq__poller_free(struct zmq__poller *p)
{
    if (p == NULL)
        return;
    free(p->pfds);
    free(p->slots);
    zmq__poller_common_fini(&p->common);
    free(p);
}

/* Room for n entries in both arrays. */
static int reserve(struct zmq__poller *p, size_t n)
{
    if (n <= p->capacity)
        return 0;
    size_t cap = p->capacity ? p->capacity * 2 : 16;
    while (cap < n)
        cap *= 2;
    struct pollfd *pfds = realloc(p->pfds, cap * sizeof *pfds);
    if (pfds == NULL)
        return -ENOMEM;
    p->pfds = pfds;
    struct zmq__poller_entry **slots = realloc(p->slots, cap * sizeof *slots);
    if (slots == NULL)
        return -ENOMEM; /* pfds is merely larger than needed */
    p->slots = slots;
    p->capacity = cap;
    return 0;
}

int zmq__poller_add(struct zmq__poller *p, int fd,
                    const struct zmq__poller_ops *ops, void *ctx,
                    struct zmq__poller_entry **entry)
{
    /* poll(2) would take a bad fd and report POLLNVAL forever; refuse it
     * here, as epoll does. */
    if (fcntl(fd, F_GETFD) < 0)
        return -errno;
    int rc = reserve(p, zmq__poller_load(p) + 1);
    if (rc < 0)
        return rc;
    struct zmq__poller_entry *e = malloc(sizeof *e);
    if (e == NULL)
        return -ENOMEM;
    e->slot = 0;
    zmq__poller_common_link(&p->common, &e->common, fd, ops, ctx);
    p->dirty = true;
    *entry = e;
    return 0;
}

void zmq__poller_remove(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    p->dirty = true;
    zmq__poller_common_unlink(&p->common, &e->common);
}

void zmq__poller_impl_update(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    if (!p->dirty)
        fill_slot(&p->pfds[e->slot], e);
}

static void rebuild(struct zmq__poller *p)
{
    size_t i = 0;
    for (struct zmq__poller_common_entry *ce = p->common.live; ce != NULL;
         ce = ce->next, i++) {
        struct zmq__poller_entry *e = (struct zmq__poller_entry *)ce;
        fill_slot(&p->pfds[i], e);
        p->slots[i] = e;
        e->slot = i;
    }
    p->used = i;
    p->dirty = false;
}

int zmq__poller_impl_wait(struct zmq__poller *p, int timeout_ms)
{
    if (p->dirty)
        rebuild(p);
    size_t used = p->used;
    int n = poll(p->pfds, (nfds_t)used, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (size_t i = 0; i < used && n > 0; i++) {
        short rev = p->pfds[i].revents;
        if (rev == 0)
            continue;
        n--;
        zmq__poller_common_dispatch(
            &p->slots[i]->common,
            (rev & (POLLIN | POLLPRI | POLLERR | POLLHUP | POLLNVAL)) != 0,
            (rev & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) != 0);
    }
    return 0;
}

const char *zmq__poller_backend(void)
{
    return "poll";
}
