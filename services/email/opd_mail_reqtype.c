/*  opd_mail_reqtype: see opd_mail_reqtype.h. */
#include "opd_mail_reqtype.h"
#include "opd_field_lines.h"
#include "opd_mail_trust.h"
#include <glib.h>
#include <string.h>

//  The configured type whose name or id is text (any case), or NULL.
static const opd_reqtype_t *
s_named (const opd_config_t *cfg, const char *text)
{
    gchar *want = g_utf8_casefold (text, -1);
    const opd_reqtype_t *found = NULL;
    for (size_t i = 0; !found && i < cfg->nreqtypes; i++) {
        const opd_reqtype_t *rt = &cfg->reqtypes[i];
        gchar *name = g_utf8_casefold (rt->name ? rt->name : rt->id, -1);
        gchar *id = g_utf8_casefold (rt->id, -1);
        if (!strcmp (want, name) || !strcmp (want, id))
            found = rt;
        g_free (name);
        g_free (id);
    }
    g_free (want);
    return found;
}

//  The type a "Request type: NAME" line of text names, or NULL.
static const opd_reqtype_t *
s_from_text (const opd_config_t *cfg, const char *text)
{
    gchar **lines = g_strsplit (text ? text : "", "\n", -1);
    const opd_reqtype_t *found = NULL;
    for (gchar **l = lines; *l && !found; l++) {
        gchar *line = g_strstrip (*l);
        char *colon = strchr (line, ':');
        if (!colon || *line == '>')
            continue;
        *colon = 0;
        if (!g_ascii_strcasecmp (g_strstrip (line), "request type"))
            found = s_named (cfg, g_strstrip (colon + 1));
    }
    g_strfreev (lines);
    return found;
}

//  The type a recipient "desk+ID@domain" names, or NULL.
static const opd_reqtype_t *
s_from_alias (const opd_config_t *cfg, const char *rcpt)
{
    const char *plus = strchr (rcpt, '+'), *at = strrchr (rcpt, '@');
    if (!plus || !at || plus > at)
        return NULL;
    gchar *base = g_strdup_printf ("%.*s%s", (int) (plus - rcpt), rcpt, at);
    gchar *tag = g_strndup (plus + 1, (gsize) (at - plus - 1));
    const opd_reqtype_t *rt = NULL;
    for (size_t i = 0; opd_config_desk_address (cfg, base) && !rt && i < cfg->nreqtypes; i++)
        if (!g_ascii_strcasecmp (cfg->reqtypes[i].id, tag))
            rt = &cfg->reqtypes[i];
    g_free (base);
    g_free (tag);
    return rt;
}

const opd_reqtype_t *
opd_mail_reqtype (const opd_config_t *cfg, const opd_mail_t *m)
{
    const opd_reqtype_t *rt = s_from_text (cfg, m->body);
    for (size_t i = 0; !rt && i < m->nrcpt; i++)
        rt = s_from_alias (cfg, m->rcpt[i]);
    return rt;
}

json_t *
opd_mail_reqtype_fields (const opd_reqtype_t *rt, const opd_mail_t *m)
{
    json_t *found = json_object ();
    opd_field_lines_scan (m->body, rt, NULL, found);
    return found;
}
