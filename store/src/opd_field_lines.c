/*  opd_field_lines: see opd_field_lines.h. */
#include "opd_field_lines.h"
#include "opd_field.h"
#include <glib.h>
#include <stdbool.h>
#include <string.h>

static bool
s_same (const char *a, const char *b)
{
    gchar *x = g_utf8_casefold (a, -1), *y = g_utf8_casefold (b, -1);
    bool same = !strcmp (x, y);
    g_free (x);
    g_free (y);
    return same;
}

//  Whether name is one of only (NULL: every field is wanted).
static bool
s_wanted (const json_t *only, const char *name)
{
    if (!only)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach (only, i, v)
        if (json_is_string (v) && !strcmp (json_string_value (v), name))
            return true;
    return false;
}

//  The wanted field a line's label names (its label or its name, in any
//  case), or NULL.
static const opd_field_t *
s_named (const opd_reqtype_t *rt, const json_t *only, const char *label)
{
    for (size_t j = 0; j < rt->nfields; j++) {
        const opd_field_t *f = &rt->fields[j];
        if (((f->label && s_same (f->label, label)) || s_same (f->name, label)) && s_wanted (only, f->name))
            return f;
    }
    return NULL;
}

//  One line's field value, or NULL; *f the field it names.
static json_t *
s_line (gchar *line, const opd_reqtype_t *rt, const json_t *only, const opd_field_t **f)
{
    *f = NULL;
    if (*line == '>')
        return NULL;  //  quoted: our own mail, or an older message
    if ((*line == '-' || *line == '*') && line[1] == ' ')
        line += 2;
    char *colon = strchr (line, ':');
    if (!colon || colon == line)
        return NULL;
    *colon = 0;
    gchar *label = g_strstrip (line), *value = g_strstrip (colon + 1);
    if (!*value || !strcmp (value, "...") || !(*f = s_named (rt, only, label)))
        return NULL;
    //  People write "Developer" for the value developer.
    for (size_t k = 0; (*f)->type == OPD_FIELD_ENUM && k < (*f)->nvalues; k++)
        if (s_same ((*f)->values[k], value))
            value = (*f)->values[k];
    json_t *v = NULL;
    char err[512];
    if (opd_field_from_text (rt, (*f)->name, value, &v, err, sizeof err) || !v)
        return NULL;
    if (opd_field_check (rt, (*f)->name, v, err, sizeof err)) {
        json_decref (v);
        return NULL;
    }
    return v;
}

void
opd_field_lines_scan (const char *text, const opd_reqtype_t *rt, const json_t *only, json_t *found)
{
    gchar **lines = g_strsplit (text ? text : "", "\n", -1);
    for (gchar **l = lines; *l; l++) {
        const opd_field_t *f;
        json_t *v = s_line (g_strstrip (*l), rt, only, &f);
        if (v)
            json_object_set_new (found, f->name, v);
    }
    g_strfreev (lines);
}
