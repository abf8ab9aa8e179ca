/*  auth: who is asking, and what a requester may see.

    Tokens are compared by their SHA-256 digests, in constant time, against
    every configured token without stopping at the first match: neither the
    content nor the length of a token shows in the time an answer takes.
    Tokens written hashed in the configuration ("sha256:HEX") are only ever
    held as digests. */
#include "web.h"
#include "opd_store.h"
#include "opd_util.h"
#include <ctype.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

//  The SHA-256 of text as 64 lowercase hex digits, into out[65].
static void
s_sha256_hex (const char *text, char *out)
{
    GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
    g_checksum_update (ck, (const guchar *) text, (gssize) strlen (text));
    snprintf (out, 65, "%s", g_checksum_get_string (ck));
    g_checksum_free (ck);
}

bool
web_equal64 (const char *a, const char *b)
{
    unsigned char diff = 0;
    for (int i = 0; i < 64; i++)
        diff |= (unsigned char) (a[i] ^ b[i]);
    return diff == 0;
}

void
web_token_digest (const char *token, char *out)
{
    s_sha256_hex (token, out);
}

opd_role_t
web_agent_role (const opd_config_t *cfg, const char *agent)
{
    opd_role_t role = OPD_ROLE_AGENT;
    for (size_t i = 0; i < cfg->ntokens; i++)
        if (cfg->tokens[i].identity && !strcmp (cfg->tokens[i].identity, agent) && cfg->tokens[i].role > role)
            role = cfg->tokens[i].role;
    return role;
}

const opd_agent_t *
web_agent_by_email (const opd_config_t *cfg, const char *email)
{
    return cfg->web_agent_email_signin ? opd_config_agent_by_email (cfg, email) : NULL;
}

int
web_auth_token (const opd_config_t *cfg, const char *token, web_auth_t *out)
{
    if (!token || !*token || strlen (token) > 4096)
        return -1;
    char presented[65];
    s_sha256_hex (token, presented);
    return web_auth_digest (cfg, presented, out);
}

int
web_auth_digest (const opd_config_t *cfg, const char *presented, web_auth_t *out)
{
    char stored[65];
    if (!presented || strlen (presented) != 64)
        return -1;
    const opd_token_t *found = NULL;
    for (size_t i = 0; i < cfg->ntokens; i++) {
        const opd_token_t *t = &cfg->tokens[i];
        if (t->hashed)
            snprintf (stored, sizeof stored, "%s", t->token);
        else
            s_sha256_hex (t->token, stored);
        if (web_equal64 (presented, stored) && !found)
            found = t;
    }
    if (!found)
        return -1;
    out->role = found->role;
    out->identity = found->identity ? found->identity : "";
    return 0;
}

int
web_auth_bearer (http_req_t *req, web_auth_t *out)
{
    const char *h = http_header (req, "Authorization");
    if (!h) {
        http_add_header (req, "WWW-Authenticate", "Bearer realm=\"opdesk\"");
        http_error (req, 401, "unauthorized", "this needs an Authorization: Bearer TOKEN header");
        return -1;
    }
    if (strncasecmp (h, "Bearer ", 7)) {
        http_add_header (req, "WWW-Authenticate", "Bearer realm=\"opdesk\"");
        http_error (req, 401, "unauthorized", "the Authorization header must be Bearer TOKEN");
        return -1;
    }
    const char *token = h + 7;
    while (*token == ' ')
        token++;
    if (web_auth_token (req->cfg, token, out)) {
        http_add_header (req, "WWW-Authenticate", "Bearer realm=\"opdesk\", error=\"invalid_token\"");
        http_error (req, 401, "unauthorized", "the token is not valid");
        return -1;
    }
    return 0;
}

bool
web_may_see (const web_auth_t *who, json_t *t)
{
    if (who->role != OPD_ROLE_REQUESTER)
        return true;
    const char *email = json_string_value (json_object_get (json_object_get (t, "requester"), "email"));
    return email && !g_ascii_strcasecmp (email, who->identity);
}

bool
web_id_valid (const char *id)
{
    size_t n = strlen (id);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum ((unsigned char) id[i]) && id[i] != '-' && id[i] != '_')
            return false;
    return true;
}

int
web_owns (http_req_t *req, const web_auth_t *who, const char *id)
{
    if (who->role != OPD_ROLE_REQUESTER)
        return 1;
    bool failed;
    char *email = opd_store_field (http_redis (req), id, OPD_F_REQ_EMAIL, &failed);
    int rc = failed ? -1 : email && !g_ascii_strcasecmp (email, who->identity);
    free (email);
    return rc;
}

//  History a requester sees: what happened to its request, not how the desk
//  worked on it.
static bool
s_public_action (const char *action)
{
    static const char *const shown[] = {"created", "comment", "reopened", "updated", "anonymised", NULL};
    for (int i = 0; action && shown[i]; i++)
        if (!strcmp (action, shown[i]))
            return true;
    return false;
}

static bool
s_public_change (const char *field)
{
    static const char *const shown[] = {"status", "priority", "severity", "category", "fields", NULL};
    for (int i = 0; shown[i]; i++)
        if (!strcmp (field, shown[i]))
            return true;
    return false;
}

void
web_filter_ticket (const web_auth_t *who, json_t *t)
{
    if (who->role != OPD_ROLE_REQUESTER)
        return;
    json_t *comments = json_object_get (t, "comments");
    if (json_is_array (comments)) {
        json_t *keep = json_array ();
        size_t i;
        json_t *c;
        json_array_foreach (comments, i, c)
            if (json_is_true (json_object_get (c, "public")))
                json_array_append (keep, c);
        json_object_set_new (t, "comments", keep);
    }
    json_t *history = json_object_get (t, "history");
    if (json_is_array (history)) {
        json_t *keep = json_array ();
        size_t i;
        json_t *h;
        json_array_foreach (history, i, h) {
            const char *action = json_string_value (json_object_get (h, "action"));
            if (!s_public_action (action))
                continue;
            json_t *d = json_object_get (h, "details");
            if (!strcmp (action, "updated")) {
                //  Notes are the desk's; changes of team or assignee are internal.
                json_t *changes = json_object_get (d, "changes");
                json_t *shown = json_object ();
                const char *k;
                json_t *v;
                json_object_foreach (changes, k, v)
                    if (s_public_change (k))
                        json_object_set (shown, k, v);
                if (!json_object_size (shown)) {
                    json_decref (shown);
                    continue;
                }
                json_t *copy = json_copy (h);
                json_object_set_new (copy, "details", json_pack ("{s:o}", "changes", shown));
                json_array_append_new (keep, copy);
                continue;
            }
            json_array_append (keep, h);
        }
        json_object_set_new (t, "history", keep);
    }
}
