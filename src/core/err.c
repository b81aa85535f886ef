/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Error messages.  The library's own codes have fixed texts so that every
 * binding shows the same words; all others are the C library's, fetched
 * with the thread-safe strerror_r into a per-thread buffer.
 */
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zmq.h"

static const struct {
    int code;
    const char *text;
} own_errors[] = {
    {EFSM, "Operation cannot be accomplished in current state"},
    {ENOCOMPATPROTO, "The protocol is not compatible with the socket type"},
    {ETERM, "Context was terminated"},
    {EMTHREAD, "No thread available"},
    {EHOSTUNREACH, "Host unreachable"},
};

const char *zmq__err_str(int errnum)
{
    for (size_t i = 0; i < sizeof own_errors / sizeof own_errors[0]; i++)
        if (own_errors[i].code == errnum)
            return own_errors[i].text;

    /* The GNU strerror_r returns a pointer to the text, which may or may
     * not be the buffer; the buffer is per thread so the result stays
     * valid until this thread's next call. */
    static _Thread_local char buf[128];
    return strerror_r(errnum, buf, sizeof buf);
}

void zmq__err_assert_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "libzmq: internal invariant broken: %s (%s:%d)\n", what,
            file, line);
    fflush(stderr);
    abort();
}
