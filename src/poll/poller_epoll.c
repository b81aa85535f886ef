/* SPDX-License-Identifier: MPL-2.0 */
/*
 * The epoll backend (Linux).
 *
 * One epoll instance (close-on-exec), level-triggered, so a handler that
 * leaves data unread is called again next round and nothing is lost when
 * a handler stops early.  Each registered fd gets its own heap entry,
 * which is the epoll_event's data pointer; enabling or disabling a
 * direction is one EPOLL_CTL_MOD.  epoll_wait fills a fixed array of 256
 * events; when more are ready the rest come next round (level-triggered
 * epoll rotates its ready list, so no fd starves).
 *
 * Removal: EPOLL_CTL_DEL runs at once (the caller may close the fd right
 * after), while the entry itself is only retired (poller_common.c): a
 * later event of the same batch may still point at it, and dispatch
 * skips retired entries.  The memory goes after the round.
 *
 * No events enabled: the kernel reports EPOLLERR and EPOLLHUP even for
 * an empty mask, so a hung-up fd whose owner has paused both directions
 * would wake every epoll_wait with nothing to call.  Such an entry is
 * registered EPOLLONESHOT instead: at most one spurious wake-up, after
 * which the kernel disarms it until the next MOD.  Nothing is lost,
 * because the MOD that re-enables a direction makes epoll poll the fd
 * again and report the condition if it still holds.
 */
#include "poll/poller.h"
#include "poll/poller_common.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct zmq__poller {
    struct zmq__poller_common common; /* first: see poller_common.h */
    int epfd;
    struct epoll_event events[MAX_EVENTS];
};

struct zmq__poller_entry {
    struct zmq__poller_common_entry common; /* first */
};

static uint32_t epoll_mask(unsigned events)
{
    uint32_t mask = 0;
    if (events & ZMQ__POLLER_COMMON_IN)
        mask |= EPOLLIN;
    if (events & ZMQ__POLLER_COMMON_OUT)
        mask |= EPOLLOUT;
    return mask != 0 ? mask : EPOLLONESHOT;
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
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        *err = -errno;
        zmq__poller_common_fini(&p->common);
        free(p);
        return NULL;
    }
    return p;
}

void zmq__poller_free(struct zmq__poller *p)
{
    if (p == NULL)
        return;
    close(p->epfd);
    zmq__poller_common_fini(&p->common);
    free(p);
}

int zmq__poller_add(struct zmq__poller *p, int fd,
                    const struct zmq__poller_ops *ops, void *ctx,
                    struct zmq__poller_entry **entry)
{
    struct zmq__poller_entry *e = malloc(sizeof *e);
    if (e == NULL)
        return -ENOMEM;
    struct epoll_event ev = {.events = epoll_mask(0), .data.ptr = e};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int rc = -errno;
        free(e);
        return rc;
    }
    zmq__poller_common_link(&p->common, &e->common, fd, ops, ctx);
    *entry = e;
    return 0;
}

void zmq__poller_remove(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    /* Fails only if the caller closed the fd first, in which case the
     * kernel dropped it already (unless another descriptor still refers
     * to the same file: remove before close). */
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, e->common.fd, NULL);
    zmq__poller_common_unlink(&p->common, &e->common);
}

void zmq__poller_impl_update(struct zmq__poller *p, struct zmq__poller_entry *e)
{
    struct epoll_event ev = {.events = epoll_mask(e->common.events),
                             .data.ptr = e};
    /* MOD of a registered fd fails only on a caller bug (fd closed
     * before remove); there is nobody to report it to, and the owner
     * finds out from its own I/O on that fd. */
    epoll_ctl(p->epfd, EPOLL_CTL_MOD, e->common.fd, &ev);
}

int zmq__poller_impl_wait(struct zmq__poller *p, int timeout_ms)
{
    int n = epoll_wait(p->epfd, p->events, MAX_EVENTS, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        uint32_t ev = p->events[i].events;
        struct zmq__poller_entry *e = p->events[i].data.ptr;
        zmq__poller_common_dispatch(
            &e->common, (ev & (EPOLLIN | EPOLLPRI | EPOLLERR | EPOLLHUP)) != 0,
            (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0);
    }
    return 0;
}

const char *zmq__poller_backend(void)
{
    return "epoll";
}
