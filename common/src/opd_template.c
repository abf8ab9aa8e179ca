/*  opd_template: see opd_template.h. */
#include "opd_template.h"
#include "opd_util.h"
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_names[] = {"ticket.id", "ticket.subject", "requester.name",
                                      "due.first_response", "due.resolution", NULL};

static const char *const s_wday_long[] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                          "Friday", "Saturday", "Sunday"};
static const char *const s_mon_long[] = {"January", "February", "March",     "April",
                                         "May",     "June",     "July",      "August",
                                         "September", "October", "November", "December"};

const char *
opd_template_names (void)
{
    return "ticket.id, ticket.subject, requester.name, due.first_response, due.resolution, "
           "fields.NAME";
}

static void
s_error (opd_template_error_t *err, const char *name, size_t len, const char *why)
{
    if (len >= sizeof err->name)
        len = sizeof err->name - 1;
    memcpy (err->name, name, len);
    err->name[len] = 0;
    err->why = why;
}

//  "fields.F": F is 1 to 64 letters, digits, '_' or '-'.
static bool
s_field_name (const char *name, size_t len)
{
    if (len <= 7 || len > 7 + 64 || strncmp (name, "fields.", 7))
        return false;
    for (size_t i = 7; i < len; i++)
        if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

//  The index of name in s_names, 5 for fields.F, -1 when unknown.
static int
s_known (const char *name, size_t len)
{
    for (int i = 0; s_names[i]; i++)
        if (strlen (s_names[i]) == len && !strncmp (s_names[i], name, len))
            return i;
    return s_field_name (name, len) ? 5 : -1;
}

//  The next variable at or after p: *start at its "{{", *name/*len its
//  trimmed name, *end after its "}}". 0; 1 when there is none; -1 when
//  "{{" is not closed (*name is what follows it).
static int
s_next (const char *p, const char **start, const char **name, size_t *len, const char **end)
{
    const char *open = strstr (p, "{{");
    if (!open)
        return 1;
    *start = open;
    const char *n = open + 2;
    const char *close = strstr (n, "}}");
    const char *nl = strchr (n, '\n');
    while (*n == ' ')
        n++;
    *name = n;
    if (!close || (nl && nl < close)) {
        *len = strcspn (n, " \n}");
        return -1;
    }
    const char *e = close;
    while (e > n && e[-1] == ' ')
        e--;
    *len = (size_t) (e - n);
    *end = close + 2;
    return 0;
}

int
opd_template_check (const char *text, opd_template_error_t *err)
{
    const char *p = text ? text : "", *start, *name, *end;
    size_t len;
    int rc;
    while ((rc = s_next (p, &start, &name, &len, &end)) != 1) {
        if (rc < 0) {
            s_error (err, name, len, "is not closed with }}");
            return -1;
        }
        if (s_known (name, len) < 0) {
            s_error (err, name, len, "is not a known variable");
            return -1;
        }
        p = end;
    }
    return 0;
}

//  A custom field's value as text: strings as they are, numbers, yes/no;
//  NULL for anything else (null, objects, lists).
static char *
s_field_text (const json_t *fields, const char *name, size_t len)
{
    char key[80];
    snprintf (key, sizeof key, "%.*s", (int) (len - 7), name + 7);
    const json_t *v = json_is_object (fields) ? json_object_get (fields, key) : NULL;
    if (json_is_string (v))
        return opd_strdup (json_string_value (v));
    if (json_is_integer (v))
        return opd_sprintf ("%lld", (long long) json_integer_value (v));
    if (json_is_real (v))
        return opd_sprintf ("%g", json_real_value (v));
    if (json_is_boolean (v))
        return opd_strdup (json_is_true (v) ? "yes" : "no");
    return NULL;
}

//  The raw value of variable number k (s_known), a new string or NULL.
static char *
s_raw (const opd_template_values_t *v, int k, const char *name, size_t len)
{
    const char *by_index[] = {v->ticket_id, v->ticket_subject, v->requester_name,
                              v->due_first_response, v->due_resolution};
    if (k == 5)
        return s_field_text (v->fields, name, len);
    return by_index[k] ? opd_strdup (by_index[k]) : NULL;
}

//  Appends value as one line: valid UTF-8, control characters and runs of
//  white space as one space, no space at either end. Returns the bytes added.
static size_t
s_append_line (GString *out, const char *value)
{
    char *valid = g_utf8_make_valid (value, -1);
    size_t before = out->len;
    bool space = false;
    for (const char *p = valid; *p; p = g_utf8_next_char (p)) {
        gunichar c = g_utf8_get_char (p);
        if (g_unichar_iscntrl (c) || g_unichar_isspace (c) || c == 0x2028 || c == 0x2029) {
            space = out->len > before;
            continue;
        }
        if (space)
            g_string_append_c (out, ' ');
        space = false;
        g_string_append_unichar (out, c);
    }
    g_free (valid);
    return out->len - before;
}

int
opd_template_render (const char *text, const opd_template_values_t *values, char **out,
                     opd_template_error_t *err)
{
    *out = NULL;
    if (opd_template_check (text, err))
        return -1;
    GString *s = g_string_new (NULL);
    const char *p = text ? text : "", *start, *name, *end;
    size_t len;
    while (s_next (p, &start, &name, &len, &end) == 0) {
        g_string_append_len (s, p, start - p);
        char *raw = s_raw (values, s_known (name, len), name, len);
        size_t added = raw ? s_append_line (s, raw) : 0;
        free (raw);
        if (!added) {
            s_error (err, name, len, "has no value for this ticket");
            g_string_free (s, TRUE);
            return -1;
        }
        p = end;
    }
    g_string_append (s, p);
    *out = opd_strdup (s->str);
    g_string_free (s, TRUE);
    return 0;
}

void
opd_template_when (int64_t ms, const char *timezone, char *buf, size_t size)
{
    GTimeZone *tz = timezone ? g_time_zone_new_identifier (timezone) : NULL;
    const char *label = tz ? timezone : "UTC";
    if (!tz)
        tz = g_time_zone_new_utc ();
    GDateTime *utc = g_date_time_new_from_unix_utc (ms / 1000);
    GDateTime *local = utc ? g_date_time_to_timezone (utc, tz) : NULL;
    if (local)
        snprintf (buf, size, "%s %d %s %d %02d:%02d (%s)",
                  s_wday_long[g_date_time_get_day_of_week (local) - 1],
                  g_date_time_get_day_of_month (local),
                  s_mon_long[g_date_time_get_month (local) - 1], g_date_time_get_year (local),
                  g_date_time_get_hour (local), g_date_time_get_minute (local), label);
    else
        snprintf (buf, size, "(unknown time)");
    if (local)
        g_date_time_unref (local);
    if (utc)
        g_date_time_unref (utc);
    g_time_zone_unref (tz);
}
