/*  api_create: POST /api/v1/tickets (CONTRACT.md section 5): the body of an
    intake.submit, checked for what the caller's role may set (body.c),
    sent to opdesk-intake on channel web with the Idempotency-Key as its
    external_id; a requester's reply_to is checked here first, so that
    another requester's ticket is never named; the 201 holds the ticket
    once routed and armed. */
#include "api.h"
#include "opd_alive.h"
#include "opd_intake.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include "web.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


//  --- Tickets: create -----------------------------------------------------

//  The external_id of an Idempotency-Key (the caller frees it). An agent's,
//  a lead's or an admin's is the key itself (CONTRACT.md section 8); a
//  requester's is scoped by its identity ("req-" + 16 hex digits of the
//  SHA-256 of the lower-cased identity + "-" + key), so that a key another
//  requester used can never answer with, or even reveal, their ticket.
static char *
s_external_id (const web_auth_t *who, const char *key)
{
    if (who->role != OPD_ROLE_REQUESTER)
        return opd_strdup (key);
    gchar *lower = g_ascii_strdown (who->identity, -1);
    gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, lower, -1);
    char *out = opd_sprintf ("req-%.16s-%s", hex, key);
    g_free (hex);
    g_free (lower);
    return out;
}

//  A string reply of a command, as a new string; NULL for nil. *fail is set
//  when Redis failed.
static char *
s_get_str (opd_redis_t *r, bool *fail, const char *fmt, const char *arg)
{
    redisReply *x = *fail ? NULL : opd_redis_command (r, fmt, arg);
    char *out = NULL;
    if (!x || (x->type != REDIS_REPLY_STRING && x->type != REDIS_REPLY_NIL && x->type != REDIS_REPLY_INTEGER))
        *fail = true;
    else if (x->type == REDIS_REPLY_STRING)
        out = opd_strdup (x->str);
    else if (x->type == REDIS_REPLY_INTEGER)
        out = x->integer ? opd_strdup ("1") : NULL;
    if (x)
        freeReplyObject (x);
    return out;
}

//  The ticket a requester's reply_to names, looked up as intake does: a
//  ticket id, its own (scoped) Idempotency-Key, any external_id, each also
//  in the bracketed form an older desk stored. NULL when none.
static char *
s_reply_target (opd_redis_t *r, const web_auth_t *who, const char *bare, bool *fail)
{
    char *exists = s_get_str (r, fail, "EXISTS " OPD_KEY_TICKET_FMT, bare);
    bool is_ticket = exists && strcmp (exists, "0");
    free (exists);
    if (is_ticket)
        return opd_strdup (bare);
    char *target = NULL;
    int nforms = strchr (bare, '@') ? 2 : 1;  //  only a Message-ID had its brackets stored
    for (int form = 0; form < nforms && !target && !*fail; form++) {
        char *id = form ? opd_sprintf ("<%s>", bare) : opd_strdup (bare);
        char *scoped = s_external_id (who, id);
        target = s_get_str (r, fail, "HGET " OPD_KEY_IDEM_FMT " id", scoped);
        free (scoped);
        if (!target && !*fail)
            target = s_get_str (r, fail, "GET " OPD_KEY_EXT_FMT, id);
        free (id);
    }
    return target;
}

//  For a requester's reply_to: intake is given only a ticket this checked.
//  Its own ticket: reply_to becomes that ticket's id; none: reply_to goes
//  (a new ticket, as for any unknown reply_to). 0, or -1 after answering
//  404 for someone else's ticket (or 503).
static int
s_reply_to_allowed (http_req_t *req, const web_auth_t *who, json_t *obj, const char *reply_to)
{
    opd_redis_t *r = http_redis (req);
    bool fail = false;
    char *bare = opd_strdup (reply_to);
    opd_external_id_bare (bare);
    char *target = s_reply_target (r, who, bare, &fail);
    bool failed = false;
    char *email = target && !fail ? opd_store_field (r, target, OPD_F_REQ_EMAIL, &failed) : NULL;
    fail = fail || failed;
    int rc = 0;
    if (fail) {
        http_error (req, 503, "unavailable", "the ticket store is unavailable: %s", opd_redis_error (r));
        rc = -1;
    }
    else if (target && (!email || g_ascii_strcasecmp (email, who->identity))) {
        api_not_found (req, bare);
        rc = -1;
    }
    else if (target)
        json_object_set_new (obj, "reply_to", json_string (target));  //  frees reply_to: last use
    else
        json_object_del (obj, "reply_to");
    free (bare);
    free (target);
    free (email);
    return rc;
}

static bool
s_idempotency_key_valid (const char *k)
{
    size_t n = strlen (k);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) k[i] < 0x21 || (unsigned char) k[i] > 0x7e)
            return false;
    return true;
}

//  A new ticket is routed and its clocks armed within milliseconds, and a
//  change of priority, team or category, or a ticket leaving pending, has
//  its clocks computed again as fast: the answer waits for that (at most
//  ARM_WAIT_MS, and only while the services that do it beat), so that it
//  shows the team, the policy and the due times as they now are rather than
//  a ticket half made (decision 174).
#define ARM_WAIT_MS 1000
void
api_wait_clocks (http_req_t *req, const char *id, bool new_ticket)
{
    opd_redis_t *redis = http_redis (req);
    //  A new ticket: only while both beat (the router hands it to opdesk-slo).
    redisReply *alive = opd_redis_command (redis, new_ticket ? "EXISTS " OPD_ALIVE_KEY "router " OPD_ALIVE_KEY "slo"
                                                              : "EXISTS " OPD_ALIVE_KEY "slo");
    bool slo = alive && alive->type == REDIS_REPLY_INTEGER && alive->integer == (new_ticket ? 2 : 1);
    if (alive)
        freeReplyObject (alive);
    static const char *const armed[] = {OPD_F_ARMED_AT};
    for (int64_t until = opd_mono_ms () + ARM_WAIT_MS; slo && opd_mono_ms () < until;) {
        redisReply *r = opd_store_fields (redis, id, armed, 1);
        redisReply *w = r ? opd_redis_command (redis, "ZSCORE " OPD_KEY_SLO_WORK " %s", id) : NULL;
        bool done = !r || r->type != REDIS_REPLY_ARRAY || !w
                    || (opd_reply_str (r, 0) && w->type == REDIS_REPLY_NIL);
        if (r)
            freeReplyObject (r);
        if (w)
            freeReplyObject (w);
        if (done)
            return;
        g_usleep (3000);
    }
}

void
api_create (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) id;
    json_t *obj = api_body (req);
    if (!obj)
        return;
    web_body_error_t e;
    if (web_body_create (obj, who->role, who->identity, &e)) {
        api_body_error (req, &e);
        json_decref (obj);
        return;
    }
    const char *reply_to = json_string_value (json_object_get (obj, "reply_to"));
    if (who->role == OPD_ROLE_REQUESTER && reply_to && *reply_to
        && s_reply_to_allowed (req, who, obj, reply_to)) {
        json_decref (obj);
        return;
    }
    const char *key = http_header (req, "Idempotency-Key");
    char ext[80];
    if (key && !s_idempotency_key_valid (key)) {
        http_error (req, 400, "bad_request", "the Idempotency-Key header must be 1 to 255 visible ASCII characters");
        json_decref (obj);
        return;
    }
    if (!key) {
        char rnd[33];
        web_random_id (rnd);
        snprintf (ext, sizeof ext, "web-%s", rnd);
    }
    json_object_set_new (obj, "channel", json_string ("web"));
    char *scoped = key ? s_external_id (who, key) : NULL;
    json_object_set_new (obj, "external_id", json_string (scoped ? scoped : ext));
    free (scoped);
    opd_intake_reply_t reply;
    char bad_key[128];
    int rc = web_submit (req, obj, WEB_INTAKE_TIMEOUT_MS, &reply, bad_key, sizeof bad_key);
    json_decref (obj);
    if (rc) {
        http_error (req, 503, "unavailable", "intake %s", rc == -1 ? "did not answer" : "sent an answer that is not one");
        return;
    }
    if (!reply.accepted) {
        int status = !strcmp (reply.code, "unavailable")           ? 503
                     : !strcmp (reply.code, "unsupported_version") ? 400
                                                                   : 422;
        http_error_x (req, status, !strcmp (reply.code, "too_large") ? "too_large" : status == 503 ? "unavailable" : "invalid",
                      bad_key[0] ? json_pack ("{s:s}", "key", bad_key) : NULL, "%s", reply.error);
        return;
    }
    if (reply.created)
        api_wait_clocks (req, reply.ticket_id, true);
    json_t *t = api_ticket (req, who, reply.ticket_id, true);
    if (!t)
        return;
    char loc[128];
    snprintf (loc, sizeof loc, "/api/v1/tickets/%s", reply.ticket_id);
    http_add_header (req, "Location", loc);
    if (!reply.created)
        http_add_header (req, "Idempotent-Replayed", "true");
    api_etag (req, t);
    opd_info ("submitted ticket=%s created=%d role=%s", reply.ticket_id, reply.created,
              web_role_name (who->role));
    http_json (req, 201, t);
}
