/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Threads over pthreads.  The handle carries the function and argument
 * so the pthread entry point can call a void function.
 */
#include "core/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct zmq__thread {
    pthread_t id;
    zmq__thread_fn *fn;
    void *arg;
};

static void *entry(void *p)
{
    struct zmq__thread *t = p;
    t->fn(t->arg);
    return NULL;
}

struct zmq__thread *zmq__thread_start(zmq__thread_fn *fn, void *arg,
                                      const char *name, int *err)
{
    struct zmq__thread *t = malloc(sizeof *t);
    if (t == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    t->fn = fn;
    t->arg = arg;
    int rc = pthread_create(&t->id, NULL, entry, t);
    if (rc != 0) {
        free(t);
        *err = rc == ENOMEM ? -ENOMEM : -EAGAIN;
        return NULL;
    }
    if (name != NULL) {
        char cut[16];
        strncpy(cut, name, sizeof cut - 1);
        cut[sizeof cut - 1] = '\0';
        pthread_setname_np(t->id, cut);
    }
    return t;
}

void zmq__thread_join(struct zmq__thread *t)
{
    pthread_join(t->id, NULL);
    free(t);
}
