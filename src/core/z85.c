/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Z85: each 4-byte big-endian group is a number written in base 85 with
 * the RFC 32 alphabet, most significant digit first.  Z85 carries keys
 * and other short strings, so decoding favours a table-free digit lookup
 * over speed; anything outside the alphabet is rejected.
 */
#include "core/z85.h"

#include <errno.h>

static const char alphabet[85 + 1] = "0123456789"
                                     "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     ".-:+=^!/*?&<>()[]{}@%$#";

/* The digit a character stands for, or -1.  Letters and digits are
 * ranges; the 23 symbols are looked up in the tail of the alphabet. */
static int digit_of(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A' + 36;
    for (int i = 62; i < 85; i++)
        if (alphabet[i] == (char)ch)
            return i;
    return -1;
}

int zmq__z85_encode(char *dest, const uint8_t *data, size_t size)
{
    if (size % 4 != 0)
        return -EINVAL;
    for (size_t i = 0; i < size; i += 4) {
        uint32_t value = (uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 |
                         (uint32_t)data[i + 2] << 8 | data[i + 3];
        for (int d = 4; d >= 0; d--) {
            dest[d] = alphabet[value % 85];
            value /= 85;
        }
        dest += 5;
    }
    *dest = '\0';
    return 0;
}

int zmq__z85_decode(uint8_t *dest, const char *text, size_t len)
{
    if (len % 5 != 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i += 5) {
        uint64_t value = 0;
        for (int d = 0; d < 5; d++) {
            int digit = digit_of((unsigned char)text[i + d]);
            if (digit < 0)
                return -EINVAL;
            value = value * 85 + (uint64_t)digit;
        }
        if (value > UINT32_MAX)
            return -EINVAL;
        *dest++ = (uint8_t)(value >> 24);
        *dest++ = (uint8_t)(value >> 16);
        *dest++ = (uint8_t)(value >> 8);
        *dest++ = (uint8_t)value;
    }
    return 0;
}
