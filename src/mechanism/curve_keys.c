/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Key generation is crypto_box_keypair; deriving a public key is the
 * scalar multiplication of the secret key with the curve's base point,
 * which is how crypto_box public keys are defined.  sodium_init is safe
 * to call from several threads and cheap after the first time.
 */
#include "mechanism/curve_keys.h"

#include <errno.h>

#include "platform.h"

#if ZMQ__HAVE_LIBSODIUM
#include <sodium.h>

_Static_assert(crypto_box_PUBLICKEYBYTES == ZMQ__CURVE_KEY_SIZE &&
                   crypto_box_SECRETKEYBYTES == ZMQ__CURVE_KEY_SIZE &&
                   crypto_scalarmult_BYTES == ZMQ__CURVE_KEY_SIZE,
               "CURVE keys are 32 bytes");

int zmq__curve_keys_generate(uint8_t public_key[ZMQ__CURVE_KEY_SIZE],
                             uint8_t secret_key[ZMQ__CURVE_KEY_SIZE])
{
    if (sodium_init() < 0)
        return -EIO;
    return crypto_box_keypair(public_key, secret_key) == 0 ? 0 : -EIO;
}

int zmq__curve_keys_public(uint8_t public_key[ZMQ__CURVE_KEY_SIZE],
                           const uint8_t secret_key[ZMQ__CURVE_KEY_SIZE])
{
    if (sodium_init() < 0)
        return -EIO;
    return crypto_scalarmult_base(public_key, secret_key) == 0 ? 0 : -EIO;
}

#else

int zmq__curve_keys_generate(uint8_t public_key[ZMQ__CURVE_KEY_SIZE],
                             uint8_t secret_key[ZMQ__CURVE_KEY_SIZE])
{
    (void)public_key;
    (void)secret_key;
    return -ENOTSUP;
}

int zmq__curve_keys_public(uint8_t public_key[ZMQ__CURVE_KEY_SIZE],
                           const uint8_t secret_key[ZMQ__CURVE_KEY_SIZE])
{
    (void)public_key;
    (void)secret_key;
    return -ENOTSUP;
}

#endif
