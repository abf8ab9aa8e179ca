/*  webhook: see webhook.h. */
#include "webhook.h"
#include "opd_util.h"
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
s_error (phone_error_t *e, int status, const char *code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_error (phone_error_t *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (e->message, sizeof e->message, fmt, ap);
    va_end (ap);
    e->status = status;
    snprintf (e->code, sizeof e->code, "%s", code);
}

GHashTable *
phone_fields_new (void)
{
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}


static int
s_hexval (int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower (c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

//  Decodes one application/x-www-form-urlencoded component into a new string;
//  NULL when an escape is malformed or the result is not UTF-8.
static char *
s_form_decode (const char *s, size_t len)
{
    char *out = g_malloc (len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+')
            out[n++] = ' ';
        else if (s[i] == '%') {
            int hi = i + 2 < len ? s_hexval ((unsigned char) s[i + 1]) : -1;
            int lo = i + 2 < len ? s_hexval ((unsigned char) s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                g_free (out);
                return NULL;
            }
            out[n++] = (char) (hi * 16 + lo);
            i += 2;
        }
        else
            out[n++] = s[i];
    }
    out[n] = 0;
    if (memchr (out, 0, n) || !opd_utf8_valid (out, n)) {
        g_free (out);
        return NULL;
    }
    return out;
}

static int
s_parse_form (const char *body, size_t len, GHashTable *f, phone_error_t *e)
{
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr (body + i, '&', len - i);
        size_t end = amp ? (size_t) (amp - body) : len;
        const char *eq = memchr (body + i, '=', end - i);
        size_t kend = eq ? (size_t) (eq - body) : end;
        if (kend > i) {
            char *k = s_form_decode (body + i, kend - i);
            char *v = eq ? s_form_decode (eq + 1, end - kend - 1) : g_strdup ("");
            if (!k || !v) {
                g_free (k);
                g_free (v);
                s_error (e, 400, "bad_request",
                                "the form body has a malformed escape or text that is not UTF-8 "
                                "near byte %zu",
                                i);
                return -1;
            }
            g_hash_table_replace (f, k, v);
        }
        i = end + 1;
    }
    return 0;
}

static int
s_parse_json (const char *body, size_t len, GHashTable *f, phone_error_t *e)
{
    json_error_t err;
    json_t *root = json_loadb (body, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        s_error (e, 400, "bad_request", "malformed JSON at line %d column %d: %s",
                        err.line, err.column, err.text);
        return -1;
    }
    if (!json_is_object (root)) {
        json_decref (root);
        s_error (e, 400, "bad_request", "the JSON body must be an object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach (root, key, v) {
        char *text = NULL;
        switch (json_typeof (v)) {
        case JSON_STRING:
            if (memchr (json_string_value (v), 0, json_string_length (v)))
                break;
            text = g_strdup (json_string_value (v));
            break;
        case JSON_INTEGER:
            text = g_strdup_printf ("%" JSON_INTEGER_FORMAT, json_integer_value (v));
            break;
        case JSON_REAL:
            text = g_strdup_printf ("%.17g", json_real_value (v));
            break;
        case JSON_TRUE:
            text = g_strdup ("true");
            break;
        case JSON_FALSE:
            text = g_strdup ("false");
            break;
        case JSON_NULL:
            continue;
        default:
            break;
        }
        if (!text) {
            s_error (e, 422, "invalid", "%s must be a string or a number", key);
            json_decref (root);
            return -1;
        }
        g_hash_table_replace (f, g_strdup (key), text);
    }
    json_decref (root);
    return 0;
}

GHashTable *
phone_parse_body (const char *ct, const char *body, size_t len, phone_error_t *e)
{
    bool json;
    if (!ct || !*ct) {
        size_t i = 0;
        while (i < len && isspace ((unsigned char) body[i]))
            i++;
        json = i < len && body[i] == '{';
    }
    else if (g_ascii_strncasecmp (ct, "application/json", 16) == 0
             && (ct[16] == 0 || ct[16] == ';' || ct[16] == ' '))
        json = true;
    else if (g_ascii_strncasecmp (ct, "application/x-www-form-urlencoded", 33) == 0
             && (ct[33] == 0 || ct[33] == ';' || ct[33] == ' '))
        json = false;
    else {
        s_error (e, 415, "unsupported_media_type",
                 "send application/json or application/x-www-form-urlencoded");
        return NULL;
    }
    GHashTable *f = phone_fields_new ();
    if ((json ? s_parse_json (body, len, f, e) : s_parse_form (body, len, f, e)) != 0) {
        g_hash_table_destroy (f);
        return NULL;
    }
    return f;
}

bool
phone_signature_ok (const char *secret, const char *header, const char *ts, const char *body,
                size_t len)
{
    if (!secret || !header || strncmp (header, "sha256=", 7) != 0 || strlen (header + 7) != 64)
        return false;
    guint8 given[32];
    for (int i = 0; i < 32; i++) {
        int hi = s_hexval ((unsigned char) header[7 + 2 * i]);
        int lo = s_hexval ((unsigned char) header[8 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        given[i] = (guint8) (hi * 16 + lo);
    }
    GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
    if (ts) {
        g_hmac_update (h, (const guchar *) ts, strlen (ts));
        g_hmac_update (h, (const guchar *) ".", 1);
    }
    g_hmac_update (h, (const guchar *) body, len);
    guint8 digest[32];
    gsize dlen = sizeof digest;
    g_hmac_get_digest (h, digest, &dlen);
    g_hmac_unref (h);
    //  Constant time: every byte is compared whatever the earlier ones were.
    unsigned diff = dlen == 32 ? 0 : 1;
    for (int i = 0; i < 32; i++)
        diff |= (unsigned) (given[i] ^ digest[i]);
    return diff == 0;
}
