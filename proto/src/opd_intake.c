/*  opd_intake: see opd_intake.h. */
#include "opd_intake.h"
#include "opd_mp.h"
#include "opd_util.h"
#include <glib.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EXTERNAL_ID 998
#define MAX_NAME 200
#define MAX_ATTACHMENTS 100
#define MAX_FIELDS 100
#define MAX_PARTICIPANTS 50

static const char *s_codes[] = {"", "invalid", "too_large", "unsupported_version", "unavailable"};

const char *
opd_reject_code_name (opd_reject_code_t code)
{
    return code >= OPD_REJ_INVALID && code <= OPD_REJ_UNAVAILABLE ? s_codes[code] : "invalid";
}

//  Drops a UTF-8 sequence that truncation cut in half at the end of s, so
//  that replies stay valid UTF-8 (the text in them was checked before).
static void
s_utf8_trim (char *s)
{
    size_t len = strlen (s);
    for (int i = 0; i < 3 && len && !opd_utf8_valid (s, len); i++)
        s[--len] = 0;
}

//  The length of at most max bytes of s (len bytes of UTF-8) that does not
//  end inside a character.
static int
s_utf8_cut (const char *s, size_t len, size_t max)
{
    size_t n = len < max ? len : max;
    while (n > 0 && n < len && ((unsigned char) s[n] & 0xC0) == 0x80)
        n--;
    return (int) n;
}

static int
s_reject (opd_reject_t *rej, opd_reject_code_t code, const char *key, const char *fmt, ...)
{
    rej->code = code;
    snprintf (rej->key, sizeof rej->key, "%s", key ? key : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (rej->message, sizeof rej->message, fmt, ap);
    va_end (ap);
    s_utf8_trim (rej->key);
    s_utf8_trim (rej->message);
    return -1;
}

//  Checks every string (keys and values) of the tree for UTF-8; writes the
//  path of the first bad one into path.
static bool
s_utf8_walk (const msgpack_object *o, char *path, size_t size)
{
    size_t base = strlen (path);
    if (o->type == MSGPACK_OBJECT_STR)
        return opd_utf8_valid (o->via.str.ptr, o->via.str.size);
    if (o->type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            snprintf (path + base, size - base, "%s%u", base ? "." : "", i);
            if (!s_utf8_walk (&o->via.array.ptr[i], path, size))
                return false;
        }
    }
    if (o->type == MSGPACK_OBJECT_MAP) {
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR) {
                if (!opd_utf8_valid (k->via.str.ptr, k->via.str.size)) {
                    snprintf (path + base, size - base, "%s(key)", base ? "." : "");
                    return false;
                }
                int n = s_utf8_cut (k->via.str.ptr, k->via.str.size, 64);
                snprintf (path + base, size - base, "%s%.*s", base ? "." : "", n, k->via.str.ptr);
            }
            else
                snprintf (path + base, size - base, "%s?", base ? "." : "");
            if (!s_utf8_walk (&o->via.map.ptr[i].val, path, size))
                return false;
        }
    }
    path[base] = 0;
    return true;
}

static bool
s_is_nil (const msgpack_object *o)
{
    return !o || o->type == MSGPACK_OBJECT_NIL;
}

//  An optional string key: absent or nil leaves *out NULL. Rejects other types,
//  strings longer than max bytes, and (when nonempty) empty strings.
static int
s_opt_str (const msgpack_object *map, const char *key, const char *path, size_t max,
           bool nonempty, char **out, opd_reject_t *rej)
{
    const msgpack_object *o = opd_mp_get (map, key);
    if (s_is_nil (o))
        return 0;
    const char *s;
    size_t len;
    if (!opd_mp_is_str (o, &s, &len))
        return s_reject (rej, OPD_REJ_INVALID, path, "%s must be a string", path);
    if (memchr (s, 0, len))
        return s_reject (rej, OPD_REJ_INVALID, path, "%s must not contain NUL characters", path);
    if (len > max)
        return s_reject (rej, OPD_REJ_INVALID, path, "%s is longer than %zu bytes", path, max);
    if (nonempty && len == 0)
        return s_reject (rej, OPD_REJ_INVALID, path, "%s must not be empty", path);
    *out = opd_strndup (s, len);
    return 0;
}

static int
s_enum (const char *value, const char *path, const char *const *allowed, opd_reject_t *rej)
{
    if (!value)
        return 0;
    for (const char *const *a = allowed; *a; a++)
        if (!strcmp (*a, value))
            return 0;
    char list[256] = "";
    for (const char *const *a = allowed; *a; a++)
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", *a,
                  a[1] ? ", " : "");
    return s_reject (rej, OPD_REJ_INVALID, path, "%s must be one of %s, not '%s'", path, list,
                     value);
}

//  One custom field value, checked against its definition; appended to obj.
static int
s_field_value (const opd_field_t *f, const msgpack_object *o, json_t *obj, opd_reject_t *rej)
{
    char path[160];
    snprintf (path, sizeof path, "fields.%s", f->name);
    const char *s = NULL;
    size_t len = 0;
    int64_t iv;
    switch (f->type) {
    case OPD_FIELD_BOOLEAN:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return s_reject (rej, OPD_REJ_INVALID, path, "%s must be true or false", path);
        json_object_set_new (obj, f->name, json_boolean (o->via.boolean));
        return 0;
    case OPD_FIELD_INTEGER:
        if (!opd_mp_is_int (o, &iv))
            return s_reject (rej, OPD_REJ_INVALID, path, "%s must be a whole number", path);
        json_object_set_new (obj, f->name, json_integer (iv));
        return 0;
    case OPD_FIELD_NUMBER:
        if (opd_mp_is_int (o, &iv))
            json_object_set_new (obj, f->name, json_integer (iv));
        else if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
            json_object_set_new (obj, f->name, json_real (o->via.f64));
        else
            return s_reject (rej, OPD_REJ_INVALID, path, "%s must be a number", path);
        return 0;
    default:
        break;
    }
    if (!opd_mp_is_str (o, &s, &len))
        return s_reject (rej, OPD_REJ_INVALID, path, "%s must be a string", path);
    if ((int64_t) len > f->max_length)
        return s_reject (rej, OPD_REJ_INVALID, path, "%s is longer than %lld bytes", path,
                         (long long) f->max_length);
    if (memchr (s, 0, len))
        return s_reject (rej, OPD_REJ_INVALID, path, "%s must not contain NUL characters", path);
    char *v = opd_strndup (s, len);
    int rc = 0;
    if (f->type == OPD_FIELD_ENUM) {
        bool ok = false;
        for (size_t i = 0; i < f->nvalues; i++)
            if (!strcmp (f->values[i], v))
                ok = true;
        if (!ok)
            rc = s_enum (v, path, (const char *const *) f->values, rej);
    }
    else if (f->type == OPD_FIELD_EMAIL && !opd_email_valid (v))
        rc = s_reject (rej, OPD_REJ_INVALID, path, "%s is not an email address", path);
    else if (f->type == OPD_FIELD_PHONE && !opd_e164_valid (v))
        rc = s_reject (rej, OPD_REJ_INVALID, path, "%s is not an E.164 phone number", path);
    else if (f->type == OPD_FIELD_DATE) {
        int y, m, d, n = 0;
        if (sscanf (v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || len != 10
            || !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
            rc = s_reject (rej, OPD_REJ_INVALID, path, "%s is not a date YYYY-MM-DD", path);
    }
    if (!rc && f->regex && !g_regex_match ((GRegex *) f->regex, v, 0, NULL))
        rc = s_reject (rej, OPD_REJ_INVALID, path, "%s does not match the pattern %s", path,
                       f->pattern);
    if (!rc)
        json_object_set_new (obj, f->name, json_string (v));
    free (v);
    return rc;
}

//  Custom fields without a request type: stored as given, scalars only.
static int
s_free_fields (const msgpack_object *o, json_t *obj, opd_reject_t *rej)
{
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size == 0 || k->via.str.size > 64)
            return s_reject (rej, OPD_REJ_INVALID, "fields", "fields keys must be names of 1 to 64 bytes");
        char *name = opd_strndup (k->via.str.ptr, k->via.str.size);
        char path[160];
        snprintf (path, sizeof path, "fields.%s", name);
        int64_t iv;
        int rc = 0;
        if (v->type == MSGPACK_OBJECT_STR && v->via.str.size <= 10000
            && !memchr (v->via.str.ptr, 0, v->via.str.size)) {
            char *s = opd_strndup (v->via.str.ptr, v->via.str.size);
            json_object_set_new (obj, name, json_string (s));
            free (s);
        }
        else if (opd_mp_is_int (v, &iv))
            json_object_set_new (obj, name, json_integer (iv));
        else if (v->type == MSGPACK_OBJECT_BOOLEAN)
            json_object_set_new (obj, name, json_boolean (v->via.boolean));
        else if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)
            json_object_set_new (obj, name, json_real (v->via.f64));
        else if (v->type != MSGPACK_OBJECT_NIL)
            rc = s_reject (rej, OPD_REJ_INVALID, path, "%s must be a string, number or boolean", path);
        free (name);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_fields (const msgpack_object *root, const opd_config_t *cfg, opd_submit_t *m, opd_reject_t *rej)
{
    const msgpack_object *o = opd_mp_get (root, "fields");
    const opd_reqtype_t *rt = m->request_type ? opd_config_reqtype (cfg, m->request_type) : NULL;
    if (!s_is_nil (o) && o->type != MSGPACK_OBJECT_MAP)
        return s_reject (rej, OPD_REJ_INVALID, "fields", "fields must be a map");
    if (!s_is_nil (o) && o->via.map.size > MAX_FIELDS)
        return s_reject (rej, OPD_REJ_INVALID, "fields", "fields holds more than %d entries", MAX_FIELDS);
    json_t *obj = json_object (), *missing = json_array ();
    int rc = 0;
    if (rt) {
        for (size_t i = 0; !rc && i < rt->nfields; i++) {
            const opd_field_t *f = &rt->fields[i];
            const msgpack_object *v = s_is_nil (o) ? NULL : opd_mp_get (o, f->name);
            bool empty = s_is_nil (v) || (v->type == MSGPACK_OBJECT_STR && v->via.str.size == 0);
            if (empty) {
                if (f->required)
                    json_array_append_new (missing, json_string (f->name));
                continue;
            }
            rc = s_field_value (f, v, obj, rej);
        }
    }
    else if (!s_is_nil (o))
        rc = s_free_fields (o, obj, rej);
    if (!rc && json_object_size (obj))
        m->fields_json = json_dumps (obj, JSON_COMPACT);
    if (!rc && json_array_size (missing))
        m->missing_json = json_dumps (missing, JSON_COMPACT);
    json_decref (obj);
    json_decref (missing);
    return rc;
}

static int
s_attachments (const msgpack_object *root, opd_submit_t *m, opd_reject_t *rej)
{
    const msgpack_object *o = opd_mp_get (root, "attachments");
    if (s_is_nil (o))
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return s_reject (rej, OPD_REJ_INVALID, "attachments", "attachments must be an array");
    if (o->via.array.size > MAX_ATTACHMENTS)
        return s_reject (rej, OPD_REJ_INVALID, "attachments", "attachments holds more than %d items",
                         MAX_ATTACHMENTS);
    json_t *arr = json_array ();
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *a = &o->via.array.ptr[i];
        char path[64];
        snprintf (path, sizeof path, "attachments.%u", i);
        if (a->type != MSGPACK_OBJECT_MAP) {
            json_decref (arr);
            return s_reject (rej, OPD_REJ_INVALID, path, "%s must be a map", path);
        }
        char *name = NULL, *type = NULL, *sha = NULL, p1[96], p2[96], p3[96], p4[96];
        snprintf (p1, sizeof p1, "%s.name", path);
        snprintf (p2, sizeof p2, "%s.content_type", path);
        snprintf (p3, sizeof p3, "%s.sha256", path);
        snprintf (p4, sizeof p4, "%s.size", path);
        int64_t size = -1;
        const msgpack_object *so = opd_mp_get (a, "size");
        int rc = s_opt_str (a, "name", p1, 255, true, &name, rej);
        if (!rc)
            rc = s_opt_str (a, "content_type", p2, 255, true, &type, rej);
        if (!rc)
            rc = s_opt_str (a, "sha256", p3, 128, true, &sha, rej);
        if (!rc && !name)
            rc = s_reject (rej, OPD_REJ_INVALID, p1, "%s is required", p1);
        //  Hex digits, kept in lower case; only a whole SHA-256 (64 of
        //  them) names a body the desk stores (decision 186).
        if (!rc && sha && (!*sha || strspn (sha, "0123456789abcdefABCDEF") != strlen (sha)))
            rc = s_reject (rej, OPD_REJ_INVALID, p3, "%s must be hex digits (a SHA-256 is 64 of them)", p3);
        for (char *h = sha; !rc && h && *h; h++)
            *h = (char) g_ascii_tolower (*h);
        if (!rc && !s_is_nil (so) && (!opd_mp_is_int (so, &size) || size < 0))
            rc = s_reject (rej, OPD_REJ_INVALID, p4, "%s must be a whole number of bytes", p4);
        if (!rc) {
            json_t *j = json_object ();
            json_object_set_new (j, "name", json_string (name));
            json_object_set_new (j, "content_type", type ? json_string (type) : json_null ());
            json_object_set_new (j, "size", size >= 0 ? json_integer (size) : json_null ());
            json_object_set_new (j, "sha256", sha ? json_string (sha) : json_null ());
            json_array_append_new (arr, j);
        }
        free (name);
        free (type);
        free (sha);
        if (rc) {
            json_decref (arr);
            return rc;
        }
    }
    if (json_array_size (arr))
        m->attachments_json = json_dumps (arr, JSON_COMPACT);
    json_decref (arr);
    return 0;
}

//  participants (opdesk extension): the addresses copied on the message,
//  kept lower-cased as a JSON array.
static int
s_participants (const msgpack_object *root, opd_submit_t *m, opd_reject_t *rej)
{
    const msgpack_object *o = opd_mp_get (root, "participants");
    if (s_is_nil (o))
        return 0;
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return s_reject (rej, OPD_REJ_INVALID, "participants", "participants must be an array");
    if (o->via.array.size > MAX_PARTICIPANTS)
        return s_reject (rej, OPD_REJ_INVALID, "participants", "participants holds more than %d items",
                         MAX_PARTICIPANTS);
    json_t *arr = json_array ();
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const char *s;
        size_t len;
        char path[64];
        snprintf (path, sizeof path, "participants.%u", i);
        if (!opd_mp_is_str (&o->via.array.ptr[i], &s, &len) || len > 254) {
            json_decref (arr);
            return s_reject (rej, OPD_REJ_INVALID, path, "%s must be an email address", path);
        }
        char *v = opd_strndup (s, len);
        for (char *p = v; *p; p++)
            *p = g_ascii_tolower (*p);
        if (!opd_email_valid (v)) {
            free (v);
            json_decref (arr);
            return s_reject (rej, OPD_REJ_INVALID, path, "%s must be an email address", path);
        }
        json_array_append_new (arr, json_string (v));
        free (v);
    }
    if (json_array_size (arr))
        m->participants_json = json_dumps (arr, JSON_COMPACT);
    json_decref (arr);
    return 0;
}

void
opd_external_id_bare (char *id)
{
    size_t n = strlen (id);
    if (n > 2 && id[0] == '<' && id[n - 1] == '>') {
        memmove (id, id + 1, n - 2);
        id[n - 2] = 0;
    }
}

static int
s_validate (const msgpack_object *root, const opd_config_t *cfg, int64_t now, opd_submit_t *m,
            opd_reject_t *rej)
{
    static const char *const kinds[] = {"incident", "service_request", NULL};
    static const char *const prios[] = {"P1", "P2", "P3", "P4", NULL};
    static const char *const levels[] = {"high", "medium", "low", NULL};
    const msgpack_object *o;
    const char *s;
    size_t len;
    int64_t iv;

    o = opd_mp_get (root, "type");
    if (!opd_mp_is_str (o, &s, &len))
        return s_reject (rej, OPD_REJ_INVALID, "type", "type must be the string intake.submit");
    if (len != 13 || memcmp (s, "intake.submit", 13))
        return s_reject (rej, OPD_REJ_INVALID, "type", "type '%.*s' is not intake.submit",
                         s_utf8_cut (s, len, 64), s);

    if (s_opt_str (root, "channel", "channel", 32, true, &m->channel, rej))
        return -1;
    if (!m->channel)
        return s_reject (rej, OPD_REJ_INVALID, "channel", "channel is required");
    if (!opd_channel_valid (m->channel))
        return s_reject (rej, OPD_REJ_INVALID, "channel",
                         "channel must be 1 to 32 of a-z, 0-9, _ and -");
    if (s_opt_str (root, "external_id", "external_id", MAX_EXTERNAL_ID, true, &m->external_id, rej))
        return -1;
    if (!m->external_id)
        return s_reject (rej, OPD_REJ_INVALID, "external_id", "external_id is required");
    opd_external_id_bare (m->external_id);

    o = opd_mp_get (root, "received_at");
    m->received_at = now;
    if (!s_is_nil (o)) {
        if (!opd_mp_is_int (o, &iv) || iv < 0)
            return s_reject (rej, OPD_REJ_INVALID, "received_at",
                             "received_at must be whole milliseconds since the epoch");
        if (iv > now + 5 * 60 * 1000)
            return s_reject (rej, OPD_REJ_INVALID, "received_at",
                             "received_at is more than 5 minutes in the future");
        m->received_at = iv;
    }

    o = opd_mp_get (root, "requester");
    if (s_is_nil (o))
        return s_reject (rej, OPD_REJ_INVALID, "requester", "requester is required");
    if (o->type != MSGPACK_OBJECT_MAP)
        return s_reject (rej, OPD_REJ_INVALID, "requester", "requester must be a map");
    if (s_opt_str (o, "name", "requester.name", MAX_NAME * 4, false, &m->req_name, rej)
        || s_opt_str (o, "email", "requester.email", 254, false, &m->req_email, rej)
        || s_opt_str (o, "phone", "requester.phone", 16, false, &m->req_phone, rej))
        return -1;
    if (m->req_name && opd_utf8_chars (m->req_name, strlen (m->req_name)) > MAX_NAME)
        return s_reject (rej, OPD_REJ_INVALID, "requester.name",
                         "requester.name is longer than %d characters", MAX_NAME);
    if (m->req_email && !*m->req_email) {
        free (m->req_email);
        m->req_email = NULL;
    }
    if (m->req_phone && !*m->req_phone) {
        free (m->req_phone);
        m->req_phone = NULL;
    }
    if (m->req_email && !opd_email_valid (m->req_email))
        return s_reject (rej, OPD_REJ_INVALID, "requester.email",
                         "requester.email is not an email address");
    if (m->req_phone && !opd_e164_valid (m->req_phone))
        return s_reject (rej, OPD_REJ_INVALID, "requester.phone",
                         "requester.phone is not an E.164 number (+ and 2 to 15 digits)");
    if (!m->req_email && !m->req_phone)
        return s_reject (rej, OPD_REJ_INVALID, "requester.email",
                         "requester.email or requester.phone is required");

    if (s_opt_str (root, "subject", "subject", 500 * 4, false, &m->subject, rej))
        return -1;
    if (!m->subject)
        return s_reject (rej, OPD_REJ_INVALID, "subject", "subject is required");
    size_t chars = opd_utf8_chars (m->subject, strlen (m->subject));
    if (chars < 1 || chars > 500)
        return s_reject (rej, OPD_REJ_INVALID, "subject", "subject must be 1 to 500 characters");

    o = opd_mp_get (root, "body");
    if (!s_is_nil (o)) {
        if (!opd_mp_is_str (o, &s, &len))
            return s_reject (rej, OPD_REJ_INVALID, "body", "body must be a string");
        if ((int64_t) len > cfg->body_bytes)
            return s_reject (rej, OPD_REJ_TOO_LARGE, "body", "body is larger than %lld bytes",
                             (long long) cfg->body_bytes);
        if (memchr (s, 0, len))
            return s_reject (rej, OPD_REJ_INVALID, "body", "body must not contain NUL characters");
        m->body = opd_strndup (s, len);
    }

    if (s_opt_str (root, "kind", "kind", 32, true, &m->kind, rej)
        || s_enum (m->kind, "kind", kinds, rej)
        || s_opt_str (root, "request_type", "request_type", 128, true, &m->request_type, rej))
        return -1;
    if (m->request_type && !opd_config_reqtype (cfg, m->request_type))
        return s_reject (rej, OPD_REJ_INVALID, "request_type", "request_type '%s' is not configured",
                         m->request_type);
    if (!m->kind)
        m->kind = opd_strdup (m->request_type ? "service_request" : "incident");
    if (s_opt_str (root, "priority", "priority", 8, true, &m->priority, rej)
        || s_enum (m->priority, "priority", prios, rej)
        || s_opt_str (root, "impact", "impact", 16, true, &m->impact, rej)
        || s_enum (m->impact, "impact", levels, rej)
        || s_opt_str (root, "urgency", "urgency", 16, true, &m->urgency, rej)
        || s_enum (m->urgency, "urgency", levels, rej)
        || s_opt_str (root, "category", "category", 256, true, &m->category, rej))
        return -1;
    if (m->category && !opd_config_category_exists (cfg, m->category))
        return s_reject (rej, OPD_REJ_INVALID, "category",
                         "category '%s' is not a path of the configured taxonomy", m->category);
    if (!m->priority) {
        const char *p = opd_config_matrix_priority (cfg, m->impact, m->urgency);
        if (p)
            m->priority = opd_strdup (p);
    }
    if (s_opt_str (root, "reply_to", "reply_to", MAX_EXTERNAL_ID, false, &m->reply_to, rej))
        return -1;
    if (m->reply_to)
        opd_external_id_bare (m->reply_to);
    if (m->reply_to && !*m->reply_to) {
        free (m->reply_to);
        m->reply_to = NULL;
    }
    o = opd_mp_get (root, "suppress_ack");
    if (!s_is_nil (o)) {
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return s_reject (rej, OPD_REJ_INVALID, "suppress_ack", "suppress_ack must be true or false");
        m->suppress_ack = o->via.boolean;
    }
    o = opd_mp_get (root, "sender_check");
    if (!s_is_nil (o)) {
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return s_reject (rej, OPD_REJ_INVALID, "sender_check", "sender_check must be true or false");
        m->sender_check = o->via.boolean;
    }
    if (s_opt_str (root, "agent", "agent", 64, true, &m->agent, rej))
        return -1;
    if (m->agent) {
        //  The adapter vouches for the sender; the agent must exist and be
        //  the sender, so that a mistake cannot put words in another's mouth.
        const opd_agent_t *ag = opd_config_agent (cfg, m->agent);
        if (!ag || !ag->email || !m->req_email || g_ascii_strcasecmp (ag->email, m->req_email))
            return s_reject (rej, OPD_REJ_INVALID, "agent",
                             "agent must be a configured agent whose email is requester.email");
    }
    if (s_participants (root, m, rej) || s_fields (root, cfg, m, rej) || s_attachments (root, m, rej))
        return -1;
    return 0;
}

int
opd_submit_decode (const char *frame, size_t len, const opd_config_t *cfg, int64_t now,
                   opd_submit_t **out, opd_reject_t *rej)
{
    memset (rej, 0, sizeof *rej);
    *out = NULL;
    if ((int64_t) len > cfg->frame_bytes)
        return s_reject (rej, OPD_REJ_TOO_LARGE, "", "the frame is larger than %lld bytes",
                         (long long) cfg->frame_bytes);
    msgpack_unpacked u;
    char err[256];
    int rc = opd_mp_decode (frame, len, NULL, &u, err, sizeof err);
    if (rc) {
        msgpack_unpacked_destroy (&u);
        return s_reject (rej, OPD_REJ_INVALID, "", "the frame is not valid msgpack: %s", err);
    }
    const msgpack_object *root = &u.data;
    if (root->type != MSGPACK_OBJECT_MAP) {
        msgpack_unpacked_destroy (&u);
        return s_reject (rej, OPD_REJ_INVALID, "", "the frame must be a msgpack map");
    }
    const msgpack_object *v = opd_mp_get (root, "v");
    int64_t version;
    if (!v) {
        msgpack_unpacked_destroy (&u);
        return s_reject (rej, OPD_REJ_INVALID, "v", "v is required (the protocol version, 1)");
    }
    if (!opd_mp_is_int (v, &version)) {
        msgpack_unpacked_destroy (&u);
        return s_reject (rej, OPD_REJ_INVALID, "v", "v must be an integer");
    }
    if (version != 1) {
        msgpack_unpacked_destroy (&u);
        return s_reject (rej, OPD_REJ_UNSUPPORTED_VERSION, "v",
                         "version %lld is not supported; this intake speaks version 1",
                         (long long) version);
    }
    char path[512] = "";
    if (!s_utf8_walk (root, path, sizeof path)) {
        msgpack_unpacked_destroy (&u);
        return s_reject (rej, OPD_REJ_INVALID, path, "%s is not valid UTF-8", path);
    }
    opd_submit_t *m = opd_calloc (1, sizeof *m);
    rc = s_validate (root, cfg, now, m, rej);
    msgpack_unpacked_destroy (&u);
    if (rc) {
        opd_submit_destroy (&m);
        return -1;
    }
    *out = m;
    return 0;
}

void
opd_submit_destroy (opd_submit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    opd_submit_t *m = *self_p;
    char **all[] = {&m->channel,  &m->external_id, &m->reply_to,    &m->req_name,
                    &m->req_email, &m->req_phone,  &m->subject,     &m->body,
                    &m->kind,     &m->request_type, &m->priority,   &m->impact,
                    &m->urgency,  &m->category,    &m->fields_json, &m->missing_json,
                    &m->attachments_json, &m->participants_json, &m->agent};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free (*all[i]);
    free (m);
    *self_p = NULL;
}

void
opd_pack_str (msgpack_packer *pk, const char *s)
{
    size_t len = strlen (s);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

void
opd_pack_kv_str (msgpack_packer *pk, const char *key, const char *value)
{
    opd_pack_str (pk, key);
    if (value)
        opd_pack_str (pk, value);
    else
        msgpack_pack_nil (pk);
}

void
opd_pack_kv_int (msgpack_packer *pk, const char *key, int64_t value)
{
    opd_pack_str (pk, key);
    msgpack_pack_int64 (pk, value);
}

void
opd_pack_json (msgpack_packer *pk, const json_t *v)
{
    switch (json_typeof (v)) {
    case JSON_OBJECT: {
        msgpack_pack_map (pk, json_object_size (v));
        const char *k;
        json_t *e;
        json_object_foreach ((json_t *) v, k, e) {
            opd_pack_str (pk, k);
            opd_pack_json (pk, e);
        }
        break;
    }
    case JSON_ARRAY: {
        msgpack_pack_array (pk, json_array_size (v));
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            opd_pack_json (pk, e);
        break;
    }
    case JSON_STRING:
        msgpack_pack_str (pk, json_string_length (v));
        msgpack_pack_str_body (pk, json_string_value (v), json_string_length (v));
        break;
    case JSON_INTEGER:
        msgpack_pack_int64 (pk, json_integer_value (v));
        break;
    case JSON_REAL:
        msgpack_pack_double (pk, json_real_value (v));
        break;
    case JSON_TRUE:
        msgpack_pack_true (pk);
        break;
    case JSON_FALSE:
        msgpack_pack_false (pk);
        break;
    default:
        msgpack_pack_nil (pk);
        break;
    }
}

void
opd_pack_accepted (msgpack_sbuffer *buf, const char *ticket_id, bool created)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.accepted");
    opd_pack_kv_str (&pk, "ticket_id", ticket_id);
    opd_pack_str (&pk, "created");
    if (created)
        msgpack_pack_true (&pk);
    else
        msgpack_pack_false (&pk);
}

void
opd_pack_rejected (msgpack_sbuffer *buf, const opd_reject_t *rej)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, buf, msgpack_sbuffer_write);
    //  invalid always names its key: "" is the message itself (a frame
    //  that is not a msgpack map).
    bool key = rej->key[0] || rej->code == OPD_REJ_INVALID;
    msgpack_pack_map (&pk, key ? 5 : 4);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.rejected");
    opd_pack_kv_str (&pk, "code", opd_reject_code_name (rej->code));
    opd_pack_kv_str (&pk, "error", rej->message);
    if (key)
        opd_pack_kv_str (&pk, "key", rej->key);
}

int
opd_intake_reply_decode (const char *frame, size_t len, opd_intake_reply_t *out)
{
    memset (out, 0, sizeof *out);
    msgpack_unpacked u;
    char err[256];
    if (opd_mp_decode (frame, len, NULL, &u, err, sizeof err) || u.data.type != MSGPACK_OBJECT_MAP) {
        msgpack_unpacked_destroy (&u);
        return -1;
    }
    const char *s;
    size_t n;
    int rc = -1;
    if (opd_mp_is_str (opd_mp_get (&u.data, "type"), &s, &n)) {
        if (n == 15 && !memcmp (s, "intake.accepted", 15)) {
            out->accepted = true;
            const msgpack_object *c = opd_mp_get (&u.data, "created");
            out->created = c && c->type == MSGPACK_OBJECT_BOOLEAN && c->via.boolean;
            if (opd_mp_is_str (opd_mp_get (&u.data, "ticket_id"), &s, &n) && n < sizeof out->ticket_id) {
                memcpy (out->ticket_id, s, n);
                rc = 0;
            }
        }
        else if (n == 15 && !memcmp (s, "intake.rejected", 15)) {
            if (opd_mp_is_str (opd_mp_get (&u.data, "code"), &s, &n))
                snprintf (out->code, sizeof out->code, "%.*s", (int) n, s);
            if (opd_mp_is_str (opd_mp_get (&u.data, "error"), &s, &n))
                snprintf (out->error, sizeof out->error, "%.*s", (int) n, s);
            if (opd_mp_is_str (opd_mp_get (&u.data, "key"), &s, &n))
                snprintf (out->key, sizeof out->key, "%.*s", (int) n, s);
            rc = 0;
        }
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}
