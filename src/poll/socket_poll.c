/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Polling sockets and descriptors.
 *
 * One wait loop serves zmq_poll, zmq_ppoll and zmq_poller_wait: ask every
 * socket for ZMQ_EVENTS, then poll(2) the sockets' descriptors together
 * with the plain ones, without blocking when a socket is already ready.
 * A socket descriptor waking up only means "commands arrived": the loop
 * asks the sockets again rather than trusting it, which is exactly the
 * edge-triggered ZMQ_FD contract, and which makes thread-safe sockets
 * work like the others (their ZMQ_FD is the same kind of descriptor).
 *
 * zmq_poller_fd is an epoll instance holding every descriptor of the
 * poller, so an outer event loop can wait on one descriptor.
 */
#include "poll/socket_poll.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/clock.h"
#include "socket/socket.h"

/* 0 when fd is an open descriptor. */
static int fcntl_check(int fd)
{
    return fcntl(fd, F_GETFD) < 0 ? -EBADF : 0;
}

struct item {
    void *socket; /* NULL for a descriptor item */
    zmq_fd_t fd;  /* the descriptor item's, or the socket's ZMQ_FD */
    void *user_data;
    short events;
};

/* What a socket is ready for, among `events`; -errno on failure. */
static int socket_ready(void *socket, short events)
{
    int ev = 0;
    size_t len = sizeof ev;
    int rc = zmq__socket_getsockopt(socket, ZMQ_EVENTS, &ev, &len);
    return rc < 0 ? rc : (ev & events);
}

static int socket_fd(void *socket, zmq_fd_t *fd)
{
    size_t len = sizeof *fd;
    return zmq__socket_getsockopt(socket, ZMQ_FD, fd, &len);
}

static short to_poll(short events)
{
    short e = 0;
    if (events & ZMQ_POLLIN)
        e |= POLLIN;
    if (events & ZMQ_POLLOUT)
        e |= POLLOUT;
    if (events & ZMQ_POLLPRI)
        e |= POLLPRI;
    return e;
}

static short from_poll(short revents, short wanted)
{
    short e = 0;
    if (revents & (POLLIN | POLLHUP))
        e |= ZMQ_POLLIN;
    if (revents & POLLOUT)
        e |= ZMQ_POLLOUT;
    if (revents & POLLPRI)
        e |= ZMQ_POLLPRI;
    e &= wanted;
    /* Errors always count; so does a hang-up nobody asked to read, or the
     * descriptor would wake every wait without ever being reported. */
    if (revents & (POLLERR | POLLNVAL) || ((revents & POLLHUP) && e == 0))
        e |= ZMQ_POLLERR;
    return e;
}

/* Waits until some item is ready or timeout_ms (-1: for ever) passes.
 * Fills revents[i] and returns how many items have events. */
static int wait_items(const struct item *items, int n, short *revents,
                      struct pollfd *pfds, long timeout_ms,
                      const sigset_t *sigmask)
{
    /* The deadline in microseconds, and what is left rounded up, so that
     * internal wake-ups never end the wait early. */
    uint64_t end =
        timeout_ms > 0 ? zmq__clock_now_us() + (uint64_t)timeout_ms * 1000 : 0;
    for (;;) {
        int ready = 0;
        for (int i = 0; i < n; i++) {
            revents[i] = 0;
            pfds[i].fd = items[i].fd;
            pfds[i].revents = 0;
            if (items[i].socket == NULL) {
                pfds[i].events = to_poll(items[i].events);
                continue;
            }
            pfds[i].events = POLLIN;
            if (items[i].events == 0) {
                pfds[i].fd = -1; /* not watched: it can never be ready */
                continue;
            }
            int ev = socket_ready(items[i].socket, items[i].events);
            if (ev < 0)
                return ev;
            if (ev > 0) {
                revents[i] = (short)ev;
                ready++;
            }
        }

        long wait = timeout_ms;
        if (ready > 0 || timeout_ms == 0) {
            wait = 0;
        } else if (timeout_ms > 0) {
            uint64_t now = zmq__clock_now_us();
            wait = now >= end ? 0 : (long)((end - now + 999) / 1000);
        }
        struct timespec ts, *tsp = NULL;
        if (wait >= 0) {
            ts.tv_sec = wait / 1000;
            ts.tv_nsec = (wait % 1000) * 1000000L;
            tsp = &ts;
        }
        int rc = ppoll(pfds, (nfds_t)n, tsp, sigmask);
        if (rc < 0)
            return -errno;
        for (int i = 0; i < n; i++) {
            if (items[i].socket != NULL || pfds[i].revents == 0)
                continue;
            revents[i] = from_poll(pfds[i].revents, items[i].events);
            if (revents[i] != 0)
                ready++;
        }
        if (ready > 0 || wait == 0)
            return ready;
        /* Only socket descriptors woke us: ask the sockets again. */
    }
}

/* Small arrays live on the stack; larger ones on the heap. */
#define STACK_ITEMS 16

int zmq__poll(zmq_pollitem_t *pitems, int n, long timeout_ms,
              const sigset_t *sigmask)
{
    if (n == 0) {
        if (timeout_ms > 0)
            zmq__clock_sleep_ms((uint64_t)timeout_ms);
        return 0;
    }
    struct item s_items[STACK_ITEMS] = {0};
    struct pollfd s_pfds[STACK_ITEMS] = {0};
    short s_rev[STACK_ITEMS] = {0};
    struct item *items = s_items;
    struct pollfd *pfds = s_pfds;
    short *rev = s_rev;
    if (n > STACK_ITEMS) {
        items = malloc((size_t)n * sizeof *items);
        pfds = malloc((size_t)n * sizeof *pfds);
        rev = malloc((size_t)n * sizeof *rev);
    }
    int rc = 0;
    if (items == NULL || pfds == NULL || rev == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        items[i] = (struct item){.socket = pitems[i].socket,
                                 .fd = pitems[i].fd,
                                 .events = pitems[i].events};
        if (items[i].socket != NULL) {
            if (!zmq__socket_check(items[i].socket)) {
                rc = -ENOTSOCK;
                goto out;
            }
            rc = socket_fd(items[i].socket, &items[i].fd);
            if (rc < 0)
                goto out;
        }
    }
    rc = wait_items(items, n, rev, pfds, timeout_ms, sigmask);
    if (rc >= 0)
        for (int i = 0; i < n; i++)
            pitems[i].revents = rev[i];
out:
    if (items != s_items) {
        free(items);
        free(pfds);
        free(rev);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* zmq_poller                                                                */
/* ------------------------------------------------------------------------ */

#define POLLER_TAG 0xCAFEBABEu

struct zmq__socket_poller {
    uint32_t tag;
    struct item *items;
    int n, cap;
    int epfd; /* zmq_poller_fd, created on first request; -1 before */
    /* Scratch for waits, sized to cap. */
    struct pollfd *pfds;
    short *revents;
};

struct zmq__socket_poller *zmq__socket_poller_new(void)
{
    struct zmq__socket_poller *p = calloc(1, sizeof *p);
    if (p != NULL) {
        p->tag = POLLER_TAG;
        p->epfd = -1;
    }
    return p;
}

void zmq__socket_poller_free(struct zmq__socket_poller *p)
{
    if (p->epfd >= 0)
        close(p->epfd);
    free(p->items);
    free(p->pfds);
    free(p->revents);
    p->tag = 0;
    free(p);
}

bool zmq__socket_poller_check(const struct zmq__socket_poller *p)
{
    return p != NULL && p->tag == POLLER_TAG;
}

int zmq__socket_poller_size(const struct zmq__socket_poller *p)
{
    return p->n;
}

static int find(const struct zmq__socket_poller *p, void *socket, zmq_fd_t fd)
{
    for (int i = 0; i < p->n; i++)
        if (socket != NULL
                ? p->items[i].socket == socket
                : (p->items[i].socket == NULL && p->items[i].fd == fd))
            return i;
    return -1;
}

static uint32_t epoll_events(const struct item *it)
{
    if (it->socket != NULL)
        return EPOLLIN;
    uint32_t e = 0;
    if (it->events & ZMQ_POLLIN)
        e |= EPOLLIN;
    if (it->events & ZMQ_POLLOUT)
        e |= EPOLLOUT;
    if (it->events & ZMQ_POLLPRI)
        e |= EPOLLPRI;
    return e;
}

static void epoll_sync(struct zmq__socket_poller *p, int op,
                       const struct item *it)
{
    if (p->epfd < 0)
        return;
    struct epoll_event ev = {.events = epoll_events(it)};
    ev.data.fd = it->fd;
    /* A descriptor the kernel refuses (closed meanwhile) simply is not
     * watched by the outer loop; zmq_poller_wait reports it as POLLERR. */
    epoll_ctl(p->epfd, op, it->fd, &ev);
}

int zmq__socket_poller_add(struct zmq__socket_poller *p, void *socket,
                           zmq_fd_t fd, void *user_data, short events)
{
    if (socket != NULL) {
        if (!zmq__socket_check(socket))
            return -ENOTSOCK;
        int rc = socket_fd(socket, &fd);
        if (rc < 0)
            return rc;
    } else if (fd < 0 || fcntl_check(fd) < 0) {
        return -EBADF;
    }
    if (find(p, socket, fd) >= 0)
        return -EINVAL;
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 8;
        struct item *items = realloc(p->items, (size_t)cap * sizeof *items);
        if (items == NULL)
            return -ENOMEM;
        p->items = items;
        struct pollfd *pfds = realloc(p->pfds, (size_t)cap * sizeof *pfds);
        if (pfds == NULL)
            return -ENOMEM;
        p->pfds = pfds;
        short *rev = realloc(p->revents, (size_t)cap * sizeof *rev);
        if (rev == NULL)
            return -ENOMEM;
        p->revents = rev;
        p->cap = cap;
    }
    struct item *it = &p->items[p->n++];
    *it = (struct item){
        .socket = socket, .fd = fd, .user_data = user_data, .events = events};
    epoll_sync(p, EPOLL_CTL_ADD, it);
    return 0;
}

int zmq__socket_poller_modify(struct zmq__socket_poller *p, void *socket,
                              zmq_fd_t fd, short events)
{
    if (socket != NULL && !zmq__socket_check(socket))
        return -ENOTSOCK;
    int i = find(p, socket, fd);
    if (i < 0)
        return -EINVAL;
    p->items[i].events = events;
    epoll_sync(p, EPOLL_CTL_MOD, &p->items[i]);
    return 0;
}

int zmq__socket_poller_remove(struct zmq__socket_poller *p, void *socket,
                              zmq_fd_t fd)
{
    /* Found by address, so a socket closed before its removal can still
     * be taken out of the poller. */
    int i = find(p, socket, fd);
    if (i < 0 && socket != NULL && !zmq__socket_check(socket))
        return -ENOTSOCK;
    if (i < 0)
        return -EINVAL;
    epoll_sync(p, EPOLL_CTL_DEL, &p->items[i]);
    memmove(&p->items[i], &p->items[i + 1],
            (size_t)(p->n - i - 1) * sizeof *p->items);
    p->n--;
    return 0;
}

int zmq__socket_poller_wait(struct zmq__socket_poller *p,
                            zmq_poller_event_t *events, int n, long timeout)
{
    if (p->n == 0) {
        if (timeout < 0)
            return -EFAULT; /* nothing could ever wake us */
        if (timeout > 0)
            zmq__clock_sleep_ms((uint64_t)timeout);
        return -EAGAIN;
    }
    int rc = wait_items(p->items, p->n, p->revents, p->pfds, timeout, NULL);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return -EAGAIN;
    int found = 0;
    for (int i = 0; i < p->n && found < n; i++) {
        if (p->revents[i] == 0)
            continue;
        events[found++] = (zmq_poller_event_t){
            .socket = p->items[i].socket,
            .fd = p->items[i].socket != NULL ? 0 : p->items[i].fd,
            .user_data = p->items[i].user_data,
            .events = p->revents[i],
        };
    }
    return found;
}

int zmq__socket_poller_fd(struct zmq__socket_poller *p, zmq_fd_t *fd)
{
    if (p->epfd < 0) {
        p->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (p->epfd < 0)
            return -errno;
        for (int i = 0; i < p->n; i++)
            epoll_sync(p, EPOLL_CTL_ADD, &p->items[i]);
    }
    *fd = p->epfd;
    return 0;
}
