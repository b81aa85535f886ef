/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Curve25519 key pairs for CURVE security, from libsodium.
 *
 * Threading: any thread.  Without libsodium every function returns
 * -ENOTSUP.
 */
#ifndef ZMQ__CURVE_KEYS_H
#define ZMQ__CURVE_KEYS_H

#include <stdint.h>

#define ZMQ__CURVE_KEY_SIZE 32

/* A fresh random key pair.  -ENOTSUP, -EIO if libsodium cannot start. */
int zmq__curve_keys_generate(uint8_t public_key[ZMQ__CURVE_KEY_SIZE],
                             uint8_t secret_key[ZMQ__CURVE_KEY_SIZE]);

/* The public key belonging to secret_key.  -ENOTSUP, -EIO. */
int zmq__curve_keys_public(uint8_t public_key[ZMQ__CURVE_KEY_SIZE],
                           const uint8_t secret_key[ZMQ__CURVE_KEY_SIZE]);

#endif
