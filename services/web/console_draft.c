/*  console_draft: the agent console's drafts, kept on the server as the
    agent types (console.js posts them), so that a reload, a closed tab or
    an expired session loses nothing: opd:t:{ID}:d, a hash of AGENT|KIND to
    the text (proto/keys.md), expiring 7 days after the last save, emptied
    of the agent's field when the text is sent and deleted when the ticket
    is anonymised. Keyed by the agent's identity, not the session. */
#include "console.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRAFT_TTL_S (7 * 24 * 3600)

static bool
s_kind_ok (const char *kind)
{
    return kind && (!strcmp (kind, "reply") || !strcmp (kind, "note"));
}

static void
s_names (const char *id, const web_auth_t *who, const char *kind, char *key, size_t ksize, char **field)
{
    opd_key_drafts (key, ksize, id);
    *field = opd_sprintf ("%s|%s", who->identity, kind);
}

char *
console_draft_get (http_req_t *req, const web_auth_t *who, const char *id, const char *kind)
{
    char key[160], *field;
    s_names (id, who, kind, key, sizeof key, &field);
    redisReply *r = opd_redis_command (http_redis (req), "HGET %s %s", key, field);
    free (field);
    char *text = r && r->type == REDIS_REPLY_STRING ? opd_strdup (r->str) : NULL;
    if (r)
        freeReplyObject (r);
    return text;
}

int
console_draft_set (http_req_t *req, const web_auth_t *who, const char *id, const char *kind, const char *text)
{
    char key[160], *field;
    s_names (id, who, kind, key, sizeof key, &field);
    redisReply *r = text && *text ? opd_redis_command (http_redis (req), "HSET %s %s %s", key, field, text)
                                  : opd_redis_command (http_redis (req), "HDEL %s %s", key, field);
    free (field);
    bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject (r);
    if (ok && text && *text) {
        r = opd_redis_command (http_redis (req), "EXPIRE %s %d", key, DRAFT_TTL_S);
        ok = r && r->type == REDIS_REPLY_INTEGER;
        if (r)
            freeReplyObject (r);
    }
    return ok ? 0 : -1;
}

//  POST /agent/tickets/ID/draft: kind and body, from console.js as the
//  agent types. 204, or 422 for a bad kind or size, 503 when Redis failed.
void
console_draft_post (http_req_t *req, const web_session_t *s, const char *id, const form_t *f)
{
    const char *kind = portal_form_get (f, "kind"), *body = portal_form_get (f, "body");
    if (!s_kind_ok (kind) || (body && strlen (body) > (size_t) req->cfg->body_bytes)) {
        http_reply (req, 422, "text/plain; charset=utf-8", opd_strdup ("bad draft\n"), 10);
        return;
    }
    if (console_draft_set (req, &s->who, id, kind, body)) {
        opd_warn ("draft not saved ticket=%s", id);
        http_reply (req, 503, "text/plain; charset=utf-8", opd_strdup ("not saved\n"), 10);
        return;
    }
    http_add_header (req, "Cache-Control", "no-store");
    http_reply (req, 204, "text/plain; charset=utf-8", opd_strdup (""), 0);
}
