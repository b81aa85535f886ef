/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Error codes and their messages.
 *
 * Internal functions return 0 or a negative errno value (-EAGAIN); only
 * src/zmq.c turns that into errno and the API's -1/NULL/0.  The library's
 * own codes (EFSM, ENOCOMPATPROTO, ETERM, EMTHREAD) come from zmq.h and
 * their messages from the one table in err.c.
 *
 * Threading: every function here may be called from any thread.
 */
#ifndef ZMQ__ERR_H
#define ZMQ__ERR_H

/* The message for errnum: the library's own text for its codes and for
 * EHOSTUNREACH, the C library's text for everything else.  Never NULL;
 * the string is static and must not be freed. */
const char *zmq__err_str(int errnum);

/* Asserts a true internal invariant: a failure is a bug in this library,
 * never the result of bad input, so it prints where and aborts. */
#define ZMQ__ASSERT(cond)                                                      \
    do {                                                                       \
        if (!(cond))                                                           \
            zmq__err_assert_fail(#cond, __FILE__, __LINE__);                   \
    } while (0)

_Noreturn void zmq__err_assert_fail(const char *what, const char *file,
                                    int line);

#endif
