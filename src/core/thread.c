/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Threads over pthreads.  The handle carries the function and argument
 * so the pthread entry point can call a void function.
 */
#include "core/thread.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
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

void zmq__thread_schedule(struct zmq__thread *t, int policy, int priority,
                          const uint64_t *cpus, size_t ncpus)
{
    if (policy != -1 || priority != -1) {
        int cur_policy;
        struct sched_param param;
        if (pthread_getschedparam(t->id, &cur_policy, &param) == 0) {
            if (policy != -1)
                cur_policy = policy;
            if (priority != -1)
                param.sched_priority = priority;
            pthread_setschedparam(t->id, cur_policy, &param);
        }
    }
    if (cpus != NULL) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (size_t cpu = 0; cpu < ncpus && cpu < CPU_SETSIZE; cpu++)
            if (cpus[cpu / 64] & ((uint64_t)1 << (cpu % 64)))
                CPU_SET(cpu, &set);
        pthread_setaffinity_np(t->id, sizeof set, &set);
    }
}

void zmq__thread_join(struct zmq__thread *t)
{
    pthread_join(t->id, NULL);
    free(t);
}
