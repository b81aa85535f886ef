/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Z85 (ZeroMQ RFC 32): 4 binary bytes <-> 5 printable characters.
 *
 * Threading: pure functions, any thread.
 */
#ifndef ZMQ__Z85_H
#define ZMQ__Z85_H

#include <stddef.h>
#include <stdint.h>

/* Encodes size bytes (a multiple of 4) into size / 4 * 5 characters plus
 * a NUL.  -EINVAL when size is not a multiple of 4. */
int zmq__z85_encode(char *dest, const uint8_t *data, size_t size);

/* Decodes len characters (a multiple of 5) into len / 5 * 4 bytes.
 * -EINVAL for a bad length, a character outside the alphabet, or a group
 * whose value does not fit in 32 bits. */
int zmq__z85_decode(uint8_t *dest, const char *text, size_t len);

#endif
