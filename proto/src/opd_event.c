/*  opd_event: see opd_event.h. */
#include "opd_event.h"
#include "opd_mp.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <glib.h>
#include <string.h>

bool
opd_event_time_key (const char *key, size_t len)
{
    if (!key)
        return false;
    for (int i = 0; opd_event_time_keys[i]; i++)
        if (strlen (opd_event_time_keys[i]) == len && !memcmp (key, opd_event_time_keys[i], len))
            return true;
    return len > 3 && !memcmp (key + len - 3, "_at", 3);
}

static json_t *
s_text (const char *s, size_t len)
{
    if (len == 0)
        return json_string ("");
    json_t *j = json_stringn (s, len);
    if (!j) {
        char *valid = g_utf8_make_valid (s, (gssize) len);
        j = json_string (valid);
        g_free (valid);
    }
    return j;
}

//  A number under a time key as RFC 3339, when it is a plausible time.
static json_t *
s_number (double v, int64_t i, bool is_int, bool time)
{
    if (time && v >= 0 && v < 1e15) {
        char buf[40];
        opd_rfc3339 (is_int ? i : (int64_t) v, buf, sizeof buf);
        return json_string (buf);
    }
    return is_int ? json_integer (i) : json_real (v);
}

static json_t *s_value (const msgpack_object *o, const char *key, size_t key_len);

static json_t *
s_map (const msgpack_object *o)
{
    json_t *m = json_object ();
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        const char *k;
        size_t klen;
        if (!opd_mp_is_str (&kv->key, &k, &klen) || klen == 0)
            continue;
        char *kz = g_utf8_make_valid (k, (gssize) klen);
        json_object_set_new (m, kz, s_value (&kv->val, k, klen));
        g_free (kz);
    }
    return m;
}

//  An array under a time key holds times too (a change's [old, new]).
static json_t *
s_value (const msgpack_object *o, const char *key, size_t key_len)
{
    bool time = opd_event_time_key (key, key_len);
    int64_t v;
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean (o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        if (!opd_mp_is_int (o, &v))
            return json_real ((double) o->via.u64);
        return s_number ((double) v, v, true, time);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return s_number (o->via.f64, 0, false, time);
    case MSGPACK_OBJECT_STR:
        return s_text (o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return s_text (o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY: {
        json_t *a = json_array ();
        for (uint32_t i = 0; i < o->via.array.size; i++)
            json_array_append_new (a, s_value (&o->via.array.ptr[i], key, key_len));
        return a;
    }
    case MSGPACK_OBJECT_MAP:
        return s_map (o);
    default:
        return json_null ();
    }
}

json_t *
opd_event_json (const char *data, size_t len)
{
    msgpack_unpacked up;
    char err[128];
    if (opd_mp_decode (data, len, &opd_mp_default_limits, &up, err, sizeof err))
        return NULL;
    json_t *j = up.data.type == MSGPACK_OBJECT_MAP ? s_map (&up.data) : NULL;
    msgpack_unpacked_destroy (&up);
    return j;
}
