/* SPDX-License-Identifier: MPL-2.0 */
/*
 * zmq_utils.h is deprecated: everything it used to declare (stopwatch,
 * sleep, threads, Z85, CURVE keys, atomic counters) is declared in zmq.h.
 * This shim includes zmq.h and warns, as libzmq's does.
 */
#ifndef __ZMQ_UTILS_H_INCLUDED__
#define __ZMQ_UTILS_H_INCLUDED__

#if defined __GNUC__ || defined __clang__ || defined _MSC_VER
#pragma message(                                                               \
    "Warning: zmq_utils.h is deprecated. All its functionality is provided by zmq.h.")
#endif

#include "zmq.h"

#endif
