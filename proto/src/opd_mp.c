/*  opd_mp: see opd_mp.h. */
#include "opd_mp.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const opd_mp_limits_t opd_mp_default_limits = {8, 65536};

static uint64_t
s_be (const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int
opd_mp_check (const char *data, size_t len, const opd_mp_limits_t *limits, char *err,
              size_t errlen)
{
    if (!limits)
        limits = &opd_mp_default_limits;
    //  pending[d] = values still expected in the container at depth d;
    //  depth 0 is the frame itself, which holds one value.
    uint64_t pending[64];
    int depth = 0;
    int max_depth = limits->max_depth < 60 ? limits->max_depth : 60;
    pending[0] = 1;
    size_t pos = 0, elements = 0;
    const unsigned char *p = (const unsigned char *) data;

#define NEED(n)                                                                              \
    do {                                                                                     \
        if ((uint64_t) (n) > (uint64_t) (len - pos)) {                                      \
            snprintf (err, errlen, "the frame ends inside a value at byte %zu", pos);         \
            return OPD_MP_TRUNCATED;                                                         \
        }                                                                                    \
    } while (0)

    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        if (++elements > limits->max_elements) {
            snprintf (err, errlen, "the frame holds more than %zu values", limits->max_elements);
            return OPD_MP_MALFORMED;
        }
        NEED (1);
        unsigned char b = p[pos++];
        uint64_t skip = 0, children = 0;
        bool container = false;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            skip = 0;
        else if (b >= 0x80 && b <= 0x8f) {
            container = true;
            children = 2 * (uint64_t) (b & 0x0f);
        }
        else if (b >= 0x90 && b <= 0x9f) {
            container = true;
            children = b & 0x0f;
        }
        else if (b >= 0xa0 && b <= 0xbf)
            skip = b & 0x1f;
        else
            switch (b) {
            case 0xc1:
                snprintf (err, errlen, "reserved byte 0xc1 at byte %zu", pos - 1);
                return OPD_MP_MALFORMED;
            case 0xc4: case 0xd9: NEED (1); skip = s_be (p + pos, 1); pos += 1; break;
            case 0xc5: case 0xda: NEED (2); skip = s_be (p + pos, 2); pos += 2; break;
            case 0xc6: case 0xdb: NEED (4); skip = s_be (p + pos, 4); pos += 4; break;
            case 0xc7: NEED (1); skip = s_be (p + pos, 1) + 1; pos += 1; break;
            case 0xc8: NEED (2); skip = s_be (p + pos, 2) + 1; pos += 2; break;
            case 0xc9: NEED (4); skip = s_be (p + pos, 4) + 1; pos += 4; break;
            case 0xca: skip = 4; break;
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: NEED (2); container = true; children = s_be (p + pos, 2); pos += 2; break;
            case 0xdd: NEED (4); container = true; children = s_be (p + pos, 4); pos += 4; break;
            case 0xde: NEED (2); container = true; children = 2 * s_be (p + pos, 2); pos += 2; break;
            case 0xdf: NEED (4); container = true; children = 2 * s_be (p + pos, 4); pos += 4; break;
            default:
                snprintf (err, errlen, "unknown type byte 0x%02x at byte %zu", b, pos - 1);
                return OPD_MP_MALFORMED;
            }
        if (container) {
            //  Each value takes at least one byte: a container cannot declare
            //  more values than bytes remain.
            if (children > len - pos) {
                snprintf (err, errlen,
                          "a container at byte %zu declares %llu values but only %zu bytes follow",
                          pos, (unsigned long long) children, len - pos);
                return OPD_MP_MALFORMED;
            }
            if (depth + 1 > max_depth) {
                snprintf (err, errlen, "values are nested deeper than %d levels", max_depth);
                return OPD_MP_MALFORMED;
            }
            pending[++depth] = children;
        }
        else {
            if (skip > len - pos) {
                snprintf (err, errlen,
                          "a value at byte %zu declares %llu bytes but only %zu follow", pos,
                          (unsigned long long) skip, len - pos);
                return skip > 0xffffffffULL ? OPD_MP_MALFORMED : OPD_MP_TRUNCATED;
            }
            pos += (size_t) skip;
        }
    }
    if (pos != len) {
        snprintf (err, errlen, "%zu bytes follow the value", len - pos);
        return OPD_MP_MALFORMED;
    }
    return OPD_MP_OK;
#undef NEED
}

int
opd_mp_decode (const char *data, size_t len, const opd_mp_limits_t *limits,
               msgpack_unpacked *unpacked, char *err, size_t errlen)
{
    msgpack_unpacked_init (unpacked);
    if (len == 0) {
        snprintf (err, errlen, "the frame is empty");
        return OPD_MP_TRUNCATED;
    }
    int rc = opd_mp_check (data, len, limits, err, errlen);
    if (rc)
        return rc;
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next (unpacked, data, len, &off);
    if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
        snprintf (err, errlen, "msgpack could not decode the frame");
        return OPD_MP_MALFORMED;
    }
    return OPD_MP_OK;
}

const msgpack_object *
opd_mp_get (const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen (key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen
            && memcmp (k->via.str.ptr, key, klen) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

bool
opd_mp_is_str (const msgpack_object *o, const char **s, size_t *len)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return false;
    *s = o->via.str.ptr;
    *len = o->via.str.size;
    return true;
}

bool
opd_mp_is_int (const msgpack_object *o, int64_t *v)
{
    if (!o)
        return false;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *v = (int64_t) o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return true;
    }
    return false;
}

char *
opd_mp_strdup (const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = malloc (o->via.str.size + 1);
    if (!s)
        abort ();
    memcpy (s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = 0;
    return s;
}
