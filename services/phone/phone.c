/*  phone: see phone.h and README.md.

    Threads: libmicrohttpd reads requests on a small thread pool; once a
    request's body is complete, everything that touches the configuration,
    Redis or intake runs under one mutex (self->lock). Webhook traffic from a
    phone system is light, and serialising the handling also settles the
    races between two events of the same call arriving at once (a hangup and
    a voicemail), so no per-call locking is needed. The main thread reloads
    the configuration on SIGHUP and learns requesters' numbers from the event
    history, under the same mutex.

    Idempotency: every ticket the service asks for has a deterministic
    external_id ("call:ID:missed", "call:ID:voicemail", "call:ID:note:N"),
    and intake's (channel, external_id) key makes a retried post return the
    same ticket with created false. The call state in Redis only decides
    what to ask for; losing it never duplicates a ticket.

    This file is the HTTP side: answers, request bodies, authentication,
    learning numbers from the event history, the handler and phone_run.
    What a call does (its state in Redis, the tickets it asks intake for)
    is in phone_call.c; phone_int.h is what the two share. */
#include "phone.h"
#include "phone_int.h"
#include "number.h"
#include "opd_intake.h"
#include "opd_intake_client.h"
#include "opd_log.h"
#include "opd_mp.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include "webhook.h"
#include "opd_http.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <glib.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BODY (64 * 1024)           //  webhook bodies; more is 413
#define THREADS 4
#define REDIS_TIMEOUT_MS 2000
#define REPLAY_WINDOW_S 300            //  X-Opdesk-Timestamp older or newer than this: 401
#define LEARN_INTERVAL_MS 250
#define LEARN_BATCH 256

void
phone_result_error (result_t *res, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    res->status = status;
    json_decref (res->body);
    res->body = json_pack ("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
}

void
phone_result_recorded (result_t *res, const char *reason)
{
    res->status = 202;
    json_decref (res->body);
    res->body = json_pack ("{s:s}", "status", "recorded");
    if (reason)
        json_object_set_new (res->body, "reason", json_string (reason));
}

//  Sets the answer of ex: body as JSON (borrowed).
static void
s_answer (opd_http_exchange_t *ex, unsigned status, json_t *body)
{
    char *text = json_dumps (body, JSON_COMPACT);
    if (!text)
        text = opd_strdup ("{}");
    opd_http_reply (ex, (int) status, "application/json", text, strlen (text));
    opd_http_add_header (ex, "Cache-Control", "no-store");
}

static void
s_answer_error (opd_http_exchange_t *ex, unsigned status, const char *code, const char *message)
{
    json_t *body = json_pack ("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    s_answer (ex, status, body);
    json_decref (body);
}

//  --------------------------------------------------------------------------
//  Request bodies: both parsers fill a map of field name to text value.

//  A field's value, NULL when absent or empty.
const char *
phone_get (GHashTable *f, const char *key)
{
    const char *v = f ? g_hash_table_lookup (f, key) : NULL;
    return v && *v ? v : NULL;
}

//  The body by its Content-Type (webhook.c); NULL after setting the error.
static GHashTable *
s_parse_body (opd_http_exchange_t *ex, result_t *res)
{
    phone_error_t e;
    GHashTable *f = phone_parse_body (opd_http_header (ex, "Content-Type"), ex->body, ex->body_len, &e);
    if (!f)
        phone_result_error (res, (unsigned) e.status, e.code, "%s", e.message);
    return f;
}

//  --------------------------------------------------------------------------
//  Authentication: X-Opdesk-Signature: sha256=HEX, the HMAC-SHA256 of the raw
//  body (of "TIMESTAMP.BODY" when X-Opdesk-Timestamp is sent) under the secret.

static int
s_authenticate (phone_t *self, opd_http_exchange_t *ex, result_t *res)
{
    const char *secret = self->cfg->phone_secret;
    if (!secret) {
        phone_result_error (res, 503, "unavailable", "channels.phone.secret is not configured");
        return -1;
    }
    const char *sig = opd_http_header (ex, "X-Opdesk-Signature");
    const char *ts = opd_http_header (ex, "X-Opdesk-Timestamp");
    if (ts) {
        char *end = NULL;
        long long t = strtoll (ts, &end, 10);
        long long now = opd_now_ms () / 1000;
        if (!*ts || *end || t < now - REPLAY_WINDOW_S || t > now + REPLAY_WINDOW_S) {
            phone_result_error (res, 401, "unauthorized",
                            "X-Opdesk-Timestamp is not within 5 minutes of now");
            return -1;
        }
    }
    if (!phone_signature_ok (secret, sig, ts, ex->body, ex->body_len)) {
        phone_result_error (res, 401, "unauthorized",
                        sig ? "X-Opdesk-Signature does not match the body"
                            : "X-Opdesk-Signature is missing");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Learning numbers: every ticket of any channel that carries a phone number
//  tells which ticket that number used last, and with an email address, who
//  the requester is. The service tails opd:events for ticket.created from
//  its own cursor (opd:phone:cursor), so it also learns while it was down.

static size_t
s_learn (phone_t *self)
{
    redisReply *c = opd_redis_command (self->redis, "GET " OPD_KEY_PHONE_CURSOR);
    if (!c)
        return 0;
    char cursor[64] = "0-0";
    if (c->type == REDIS_REPLY_STRING)
        g_strlcpy (cursor, c->str, sizeof cursor);
    freeReplyObject (c);
    redisReply *r = opd_redis_command (self->redis, "XREAD COUNT %d STREAMS " OPD_KEY_EVENTS " %s",
                                       LEARN_BATCH, cursor);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements < 2) {
        if (r)
            freeReplyObject (r);
        return 0;
    }
    redisReply *entries = r->element[0]->element[1];
    size_t seen = entries->elements;
    const char *last = NULL;
    for (size_t i = 0; i < entries->elements; i++) {
        redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2)
            continue;
        last = opd_reply_str (e, 0);
        redisReply *kv = e->element[1];
        const char *topic = NULL, *mp = NULL;
        size_t mplen = 0;
        for (size_t j = 0; j + 1 < kv->elements; j += 2) {
            const char *k = opd_reply_str (kv, j);
            if (!strcmp (k, "t"))
                topic = opd_reply_str (kv, j + 1);
            else if (!strcmp (k, "m")) {
                mp = kv->element[j + 1]->str;
                mplen = kv->element[j + 1]->len;
            }
        }
        if (!topic || strcmp (topic, "ticket.created") || !mp)
            continue;
        msgpack_unpacked up;
        msgpack_unpacked_init (&up);
        char err[128];
        char *id = NULL;
        if (opd_mp_decode (mp, mplen, &opd_mp_default_limits, &up, err, sizeof err) == OPD_MP_OK)
            id = opd_mp_strdup (opd_mp_get (&up.data, "ticket_id"));
        msgpack_unpacked_destroy (&up);
        if (!id)
            continue;
        static const char *const fields[] = {OPD_F_REQ_PHONE, OPD_F_REQ_EMAIL, OPD_F_REQ_NAME};
        redisReply *t = opd_store_fields (self->redis, id, fields, 3);
        if (t && t->type == REDIS_REPLY_ARRAY && t->elements == 3
            && t->element[0]->type == REDIS_REPLY_STRING && opd_e164_valid (t->element[0]->str)) {
            const char *email = t->element[1]->type == REDIS_REPLY_STRING ? t->element[1]->str : NULL;
            const char *name = t->element[2]->type == REDIS_REPLY_STRING ? t->element[2]->str : NULL;
            char *pk = opd_sprintf (OPD_KEY_PHONE_FMT, t->element[0]->str);
            phone_hset (self, pk, phone_ttl (self->cfg), "last_ticket", id, "email",
                    email && *email ? email : NULL, "name", email && *email && name && *name ? name : NULL,
                    NULL);
            free (pk);
            opd_debug ("learned number ticket=%s", id);
        }
        if (t)
            freeReplyObject (t);
        free (id);
    }
    if (last) {
        redisReply *s = opd_redis_command (self->redis, "SET " OPD_KEY_PHONE_CURSOR " %s", last);
        if (s)
            freeReplyObject (s);
    }
    freeReplyObject (r);
    return seen;
}

//  --------------------------------------------------------------------------
//  HTTP.

//  Applies a configuration the main loop reloaded, under self->lock: the
//  next request (or the loop's next turn) uses it.
static void
s_adopt (phone_t *self)
{
    g_mutex_lock (&self->pending_lock);
    opd_config_t *cfg = self->pending;
    self->pending = NULL;
    g_mutex_unlock (&self->pending_lock);
    if (!cfg)
        return;
    opd_config_destroy (&self->cfg);
    self->cfg = cfg;
    opd_redis_destroy (&self->redis);
    self->redis = opd_redis_new (cfg);
    opd_redis_set_timeout (self->redis, REDIS_TIMEOUT_MS);
    opd_http_set_config (self->http, &cfg->phone_http, MAX_BODY);
    //  Not the line opd_service_reload logs when endpoints.phone changes:
    //  this compares with the address bound at start, so it repeats on
    //  every reload until a restart, and says nothing once the key is back.
    if (strcmp (cfg->ep_phone, self->listen))
        opd_warn ("endpoints.phone changed: a restart is needed to listen there");
    if (!cfg->phone_secret)
        opd_error ("channels.phone.secret is not configured: posts are refused");
    opd_info ("reloaded configuration applied");
}

//  One request, on one of opd_http's threads.
static void
s_handle (void *arg, opd_http_exchange_t *ex)
{
    phone_t *self = arg;
    const char *url = ex->path, *method = ex->method;
    result_t res = {0, NULL};
    bool post = strcmp (method, "POST") == 0;
    const char *note_call = NULL;
    char call_id[160] = "";
    if (strcmp (url, "/healthz") == 0) {
        if (strcmp (method, "GET") && strcmp (method, "HEAD")) {
            s_answer_error (ex, 405, "method_not_allowed", "use GET");
            return;
        }
        g_mutex_lock (&self->lock);
        s_adopt (self);
        phone_health (self, &res);
        g_mutex_unlock (&self->lock);
    }
    else if (strcmp (url, "/calls") == 0 || strcmp (url, "/calls/") == 0
             || (strncmp (url, "/calls/", 7) == 0 && g_str_has_suffix (url, "/notes"))) {
        if (!post) {
            s_answer_error (ex, 405, "method_not_allowed", "use POST");
            return;
        }
        if (strncmp (url, "/calls/", 7) == 0 && strlen (url) > 7 + 6) {
            size_t n = strlen (url) - 7 - 6;
            if (n >= sizeof call_id) {
                s_answer_error (ex, 404, "not_found", "no such call");
                return;
            }
            memcpy (call_id, url + 7, n);
            call_id[n] = 0;
            note_call = call_id;
        }
        g_mutex_lock (&self->lock);
        s_adopt (self);
        if (s_authenticate (self, ex, &res) == 0) {
            GHashTable *f = s_parse_body (ex, &res);
            if (f) {
                if (note_call)
                    phone_call_note (self, note_call, f, &res);
                else
                    phone_call_event (self, f, &res);
                g_hash_table_destroy (f);
            }
        }
        else
            opd_warn ("refused unauthenticated post path=%s", note_call ? "notes" : "calls");
        g_mutex_unlock (&self->lock);
    }
    else {
        s_answer_error (ex, 404, "not_found", "no such resource");
        return;
    }
    if (!res.body)
        phone_result_error (&res, 500, "internal", "no answer was produced");
    s_answer (ex, res.status, res.body);
    json_decref (res.body);
}

int
phone_run (opd_service_t *svc)
{
    //  Without a secret the adapter runs, but refuses every post (503) until
    //  a reload brings one: a configuration without the phone channel (the
    //  contract's example) starts every service alike.
    if (!svc->cfg->phone_secret)
        opd_warn ("channels.phone.secret is not configured: posts are refused until a reload sets it");
    phone_t self = {.svc = svc};
    g_mutex_init (&self.lock);
    g_mutex_init (&self.pending_lock);
    //  The handlers use a copy of their own, so that opd_service_reload may
    //  replace svc->cfg at any time without waiting for them.
    char err[512];
    self.cfg = opd_config_load (svc->config_path, err, sizeof err);
    int rc = 0;
    if (!self.cfg) {
        opd_error ("configuration cannot be read again: %s", err);
        rc = 2;
        goto end;
    }
    self.redis = opd_redis_new (self.cfg);
    opd_redis_set_timeout (self.redis, REDIS_TIMEOUT_MS);
    self.listen = opd_strdup (self.cfg->ep_phone);
    self.http = opd_http_new (self.listen, &self.cfg->phone_http, MAX_BODY, THREADS, s_handle, &self);
    if (!self.http) {
        rc = 1;
        goto end;
    }
    const opd_http_config_t *h = &self.cfg->phone_http;
    opd_info ("ready phone=%s connections=%d per_client=%d timeout_ms=%lld header_timeout_ms=%lld",
              self.listen, h->max_connections, h->per_client, (long long) h->timeout_ms,
              (long long) h->header_timeout_ms);
    int64_t next_learn = 0;
    //  The signal flags are looked at every 50 ms whatever the load: the
    //  reload happens here, outside the lock the handlers hold; the new
    //  configuration is applied by the next handler or by this loop,
    //  whichever gets the lock first.
    while (!opd_service_stopping ()) {
        //  When no handler runs, the reload is applied before the lock is
        //  let go: a post that follows the "reloaded" line sees it.
        bool locked = g_mutex_trylock (&self.lock);
        if (opd_service_reload (svc) == 1) {
            opd_config_t *fresh = opd_config_load (svc->config_path, err, sizeof err);
            if (fresh) {
                g_mutex_lock (&self.pending_lock);
                opd_config_destroy (&self.pending);
                self.pending = fresh;
                g_mutex_unlock (&self.pending_lock);
            }
            else
                opd_error ("reload refused, keeping the running configuration: %s", err);
        }
        if (locked || g_mutex_trylock (&self.lock)) {
            s_adopt (&self);
            if (opd_mono_ms () >= next_learn) {
                //  A full batch means more is waiting: go on at once.
                size_t n = s_learn (&self);
                next_learn = n == LEARN_BATCH ? 0 : opd_mono_ms () + LEARN_INTERVAL_MS;
            }
            g_mutex_unlock (&self.lock);
        }
        g_usleep (50 * 1000);
    }
end:
    opd_http_destroy (&self.http);
    opd_redis_destroy (&self.redis);
    opd_intake_client_destroy (&self.intake);
    opd_config_destroy (&self.cfg);
    opd_config_destroy (&self.pending);
    g_mutex_clear (&self.lock);
    g_mutex_clear (&self.pending_lock);
    free (self.listen);
    return rc;
}
