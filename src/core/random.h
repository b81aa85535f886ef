/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Random numbers for ids (not for cryptography: CURVE uses libsodium).
 *
 * Threading: any thread.
 */
#ifndef ZMQ__RANDOM_H
#define ZMQ__RANDOM_H

#include <stdint.h>

/* A random 32-bit value from the kernel, or from the clock when the
 * kernel cannot give one. */
uint32_t zmq__random_u32(void);

#endif
