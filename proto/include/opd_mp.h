/*  opd_mp: safe msgpack decoding on top of msgpack-c.

    msgpack-c's unpacker trusts the lengths a frame declares: five bytes can
    make it try to allocate about 96 GB. opd_mp_check walks the frame first
    and rejects any string, binary, extension, array or map that declares more
    bytes or elements than the frame still holds, nesting deeper than allowed,
    too many elements in all, reserved bytes and trailing bytes, before
    anything is allocated. Only then does opd_mp_decode call msgpack-c.

    Return codes follow the house rule for decoders: 0 ok, -1 interrupted
    (the frame ends inside a value), -2 malformed. */
#ifndef OPD_MP_H_INCLUDED
#define OPD_MP_H_INCLUDED
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#define OPD_MP_OK 0
#define OPD_MP_TRUNCATED -1
#define OPD_MP_MALFORMED -2

typedef struct {
    int max_depth;        //  containers inside containers; the root map is depth 1
    size_t max_elements;  //  values in the whole frame
} opd_mp_limits_t;

//  Default limits: depth 8, 65536 values.
extern const opd_mp_limits_t opd_mp_default_limits;

//  Checks one msgpack value filling exactly len bytes. On failure writes a
//  sentence into err.
int opd_mp_check (const char *data, size_t len, const opd_mp_limits_t *limits, char *err,
                  size_t errlen);

//  Checks, then decodes into *out, whose memory lives in *unpacked (the
//  caller calls msgpack_unpacked_destroy). Returns as opd_mp_check.
int opd_mp_decode (const char *data, size_t len, const opd_mp_limits_t *limits,
                   msgpack_unpacked *unpacked, char *err, size_t errlen);

//  Looks up a string key in a map; NULL when absent or when map is not a map.
const msgpack_object *opd_mp_get (const msgpack_object *map, const char *key);
//  True when o is a string; sets *s (not terminated) and *len.
bool opd_mp_is_str (const msgpack_object *o, const char **s, size_t *len);
//  True when o is an integer that fits in int64; sets *v.
bool opd_mp_is_int (const msgpack_object *o, int64_t *v);
//  A string value as a new NUL-terminated string, or NULL when not a string.
char *opd_mp_strdup (const msgpack_object *o);
#endif
