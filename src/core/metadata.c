/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Metadata is built once per connection and read by every message from
 * it, so it is one allocation: the header, an array of key/value pointer
 * pairs, then the strings themselves.  Lookups are a linear scan; a
 * connection has a handful of properties.
 */
#include "core/metadata.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct zmq__metadata {
    atomic_uint refs;
    size_t count;
    struct {
        const char *key;
        const char *value;
    } props[];
};

struct zmq__metadata *zmq__metadata_new(const char *const *keys,
                                        const char *const *values, size_t n)
{
    size_t strings = 0;
    for (size_t i = 0; i < n; i++)
        strings += strlen(keys[i]) + 1 + strlen(values[i]) + 1;

    struct zmq__metadata *md =
        malloc(sizeof *md + n * sizeof md->props[0] + strings);
    if (md == NULL)
        return NULL;
    atomic_init(&md->refs, 1);
    md->count = n;

    char *p = (char *)&md->props[n];
    for (size_t i = 0; i < n; i++) {
        size_t klen = strlen(keys[i]) + 1, vlen = strlen(values[i]) + 1;
        md->props[i].key = memcpy(p, keys[i], klen);
        p += klen;
        md->props[i].value = memcpy(p, values[i], vlen);
        p += vlen;
    }
    return md;
}

struct zmq__metadata *zmq__metadata_ref(struct zmq__metadata *md)
{
    atomic_fetch_add_explicit(&md->refs, 1, memory_order_relaxed);
    return md;
}

void zmq__metadata_unref(struct zmq__metadata *md)
{
    if (md != NULL &&
        atomic_fetch_sub_explicit(&md->refs, 1, memory_order_acq_rel) == 1)
        free(md);
}

const char *zmq__metadata_get(const struct zmq__metadata *md, const char *key)
{
    for (size_t i = 0; i < md->count; i++)
        if (strcmp(md->props[i].key, key) == 0)
            return md->props[i].value;
    return NULL;
}
