/*  opd_field: see opd_field.h. No Redis here: the mail adapters and the
    fuzz harnesses link it alone. */
#include "opd_field.h"
#include "opd_util.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
opd_join (const char *const *list, size_t n, char *buf, size_t size)
{
    buf[0] = 0;
    for (size_t i = 0; i < n; i++)
        snprintf (buf + strlen (buf), size - strlen (buf), "%s%s", i ? ", " : "", list[i]);
    return buf;
}

static const opd_field_t *
s_field_def (const opd_reqtype_t *rt, const char *name)
{
    for (size_t i = 0; rt && i < rt->nfields; i++)
        if (!strcmp (rt->fields[i].name, name))
            return &rt->fields[i];
    return NULL;
}

int
opd_field_from_text (const opd_reqtype_t *rt, const char *name, const char *text, json_t **value,
                     char *err, size_t errlen)
{
    *value = NULL;
    if (!*text)
        return 0;
    if (!opd_utf8_valid (text, strlen (text))) {
        snprintf (err, errlen, "fields.%s is not valid UTF-8", name);
        return -1;
    }
    const opd_field_t *f = s_field_def (rt, name);
    char *end = NULL;
    switch (f ? f->type : OPD_FIELD_STRING) {
    case OPD_FIELD_INTEGER: {
        long long v = strtoll (text, &end, 10);
        if (*end) {
            snprintf (err, errlen, "fields.%s must be a whole number, not '%s'", name, text);
            return -1;
        }
        *value = json_integer (v);
        return 0;
    }
    case OPD_FIELD_NUMBER: {
        double v = strtod (text, &end);
        if (*end) {
            snprintf (err, errlen, "fields.%s must be a number, not '%s'", name, text);
            return -1;
        }
        *value = v == (double) (long long) v && !strpbrk (text, ".eE") ? json_integer ((long long) v)
                                                                      : json_real (v);
        return 0;
    }
    case OPD_FIELD_BOOLEAN:
        if (strcmp (text, "true") && strcmp (text, "false")) {
            snprintf (err, errlen, "fields.%s must be true or false, not '%s'", name, text);
            return -1;
        }
        *value = json_boolean (!strcmp (text, "true"));
        return 0;
    default:
        *value = json_string (text);
        return 0;
    }
}

int
opd_field_check (const opd_reqtype_t *rt, const char *name, const json_t *value, char *err,
                 size_t errlen)
{
    const opd_field_t *f = s_field_def (rt, name);
    if (rt && !f) {
        char list[512] = "";
        for (size_t i = 0; i < rt->nfields; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i ? ", " : "",
                      rt->fields[i].name);
        snprintf (err, errlen, "fields.%s: request type '%s' has no such field; its fields: %s", name,
                  rt->id, list[0] ? list : "none");
        return -1;
    }
    if (!value || json_is_null (value)) {
        if (f && f->required) {
            snprintf (err, errlen, "fields.%s is required and cannot be removed", name);
            return -1;
        }
        return 0;
    }
    if (!f) {
        if (json_is_object (value) || json_is_array (value)) {
            snprintf (err, errlen, "fields.%s must be a string, number or boolean", name);
            return -1;
        }
        return 0;
    }
    switch (f->type) {
    case OPD_FIELD_INTEGER:
        if (!json_is_integer (value)) {
            snprintf (err, errlen, "fields.%s must be a whole number", name);
            return -1;
        }
        return 0;
    case OPD_FIELD_NUMBER:
        if (!json_is_number (value)) {
            snprintf (err, errlen, "fields.%s must be a number", name);
            return -1;
        }
        return 0;
    case OPD_FIELD_BOOLEAN:
        if (!json_is_boolean (value)) {
            snprintf (err, errlen, "fields.%s must be true or false", name);
            return -1;
        }
        return 0;
    default:
        break;
    }
    const char *text = json_string_value (value);
    if (!text) {
        snprintf (err, errlen, "fields.%s must be a string", name);
        return -1;
    }
    if (f->type == OPD_FIELD_ENUM) {
        bool ok = false;
        for (size_t i = 0; i < f->nvalues; i++)
            ok = ok || !strcmp (f->values[i], text);
        if (!ok) {
            char list[512];
            snprintf (err, errlen, "fields.%s must be one of %s, not '%s'", name,
                      opd_join ((const char *const *) f->values, f->nvalues, list, sizeof list), text);
            return -1;
        }
    }
    else if (f->type == OPD_FIELD_EMAIL && !opd_email_valid (text)) {
        snprintf (err, errlen, "fields.%s is not an email address", name);
        return -1;
    }
    else if (f->type == OPD_FIELD_PHONE && !opd_e164_valid (text)) {
        snprintf (err, errlen, "fields.%s is not an E.164 phone number", name);
        return -1;
    }
    else if (f->type == OPD_FIELD_DATE) {
        int y, m, d, n = 0;
        if (sscanf (text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || strlen (text) != 10
            || !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y)) {
            snprintf (err, errlen, "fields.%s is not a date YYYY-MM-DD", name);
            return -1;
        }
    }
    if (f->regex && !g_regex_match ((GRegex *) f->regex, text, 0, NULL)) {
        snprintf (err, errlen, "fields.%s does not match the pattern %s", name, f->pattern);
        return -1;
    }
    if (f->max_length > 0 && (int64_t) opd_utf8_chars (text, strlen (text)) > f->max_length) {
        snprintf (err, errlen, "fields.%s is longer than %lld characters", name,
                  (long long) f->max_length);
        return -1;
    }
    return 0;
}
