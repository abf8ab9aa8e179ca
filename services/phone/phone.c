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
    what to ask for; losing it never duplicates a ticket. */
#include "phone.h"
#include "number.h"
#include "opd_intake.h"
#include "opd_intake_client.h"
#include "opd_log.h"
#include "opd_mp.h"
#include "opd_redis.h"
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
#define INTAKE_TIMEOUT_MS 3000
#define REDIS_TIMEOUT_MS 2000
#define CALL_TTL_S (7 * 24 * 3600)     //  opd:call:ID lives a week after its last event
#define REPLAY_WINDOW_S 300            //  X-Opdesk-Timestamp older or newer than this: 401
#define LEARN_INTERVAL_MS 250
#define LEARN_BATCH 256

typedef struct {
    opd_service_t *svc;
    GMutex lock;
    opd_config_t *cfg;            //  the service's own copy, used under lock
    opd_redis_t *redis;
    opd_intake_client_t *intake;  //  used under lock, like redis
    opd_http_t *http;
    char *listen;  //  the address bound at start (a change needs a restart)
    GMutex pending_lock;
    opd_config_t *pending;        //  a reloaded configuration not applied yet
} phone_t;

//  What a handler answers.
typedef struct {
    unsigned status;
    json_t *body;
} result_t;

static void
s_result_error (result_t *res, unsigned status, const char *code, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_result_error (result_t *res, unsigned status, const char *code, const char *fmt, ...)
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

static void
s_result_recorded (result_t *res, const char *reason)
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

static GHashTable *
s_fields_new (void)
{
    return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

//  A field's value, NULL when absent or empty.
static const char *
s_get (GHashTable *f, const char *key)
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
        s_result_error (res, (unsigned) e.status, e.code, "%s", e.message);
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
        s_result_error (res, 503, "unavailable", "channels.phone.secret is not configured");
        return -1;
    }
    const char *sig = opd_http_header (ex, "X-Opdesk-Signature");
    const char *ts = opd_http_header (ex, "X-Opdesk-Timestamp");
    if (ts) {
        char *end = NULL;
        long long t = strtoll (ts, &end, 10);
        long long now = opd_now_ms () / 1000;
        if (!*ts || *end || t < now - REPLAY_WINDOW_S || t > now + REPLAY_WINDOW_S) {
            s_result_error (res, 401, "unauthorized",
                            "X-Opdesk-Timestamp is not within 5 minutes of now");
            return -1;
        }
    }
    if (!phone_signature_ok (secret, sig, ts, ex->body, ex->body_len)) {
        s_result_error (res, 401, "unauthorized",
                        sig ? "X-Opdesk-Signature does not match the body"
                            : "X-Opdesk-Signature is missing");
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Redis helpers.

//  HGETALL key as a new map; NULL when Redis cannot be reached.
static GHashTable *
s_hgetall (phone_t *self, const char *key)
{
    redisReply *r = opd_redis_command (self->redis, "HGETALL %s", key);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject (r);
        return NULL;
    }
    GHashTable *h = s_fields_new ();
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        g_hash_table_replace (h, g_strdup (opd_reply_str (r, i)), g_strdup (opd_reply_str (r, i + 1)));
    freeReplyObject (r);
    return h;
}

//  Runs a command given as argument list; 0 when Redis answered without error.
static int
s_command (phone_t *self, opd_args_t *a)
{
    redisReply *r = opd_redis_argv (self->redis, a);
    int rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
    if (r && r->type == REDIS_REPLY_ERROR)
        opd_error ("redis error=%s", r->str);
    if (r)
        freeReplyObject (r);
    return rc;
}

static void
s_pair (opd_args_t *a, const char *key, const char *value)
{
    if (value) {
        opd_args_add (a, key);
        opd_args_add (a, value);
    }
}

//  Sets fields of a hash (NULL values are skipped) and its time to live.
static int
s_hset (phone_t *self, const char *key, int ttl_s, ...)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "HSET");
    opd_args_add (&a, key);
    va_list ap;
    va_start (ap, ttl_s);
    const char *k;
    while ((k = va_arg (ap, const char *))) {
        const char *v = va_arg (ap, const char *);
        s_pair (&a, k, v);
    }
    va_end (ap);
    int rc = 0;
    if (a.n > 2)
        rc = s_command (self, &a);
    opd_args_free (&a);
    if (rc == 0 && ttl_s > 0) {
        redisReply *r = opd_redis_command (self->redis, "EXPIRE %s %d", key, ttl_s);
        if (r)
            freeReplyObject (r);
    }
    return rc;
}

static int
s_phone_ttl (const opd_config_t *cfg)
{
    int days = cfg->retention_closed_days > 0 ? cfg->retention_closed_days : 365;
    return days > 3650 ? 3650 * 86400 : days * 86400;
}

//  --------------------------------------------------------------------------
//  Intake: one intake.submit through the service's intake client.

typedef struct {
    const char *external_id, *reply_to;
    const char *name, *email, *phone;
    const char *subject, *body;
    int64_t received_at;  //  0: not sent
} submission_t;

//  Submits; returns 0 with *reply filled in, or -1 when intake did not answer.
static int
s_submit (phone_t *self, const submission_t *m, opd_intake_reply_t *reply)
{
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    int n = 6 + (m->reply_to != NULL) + (m->body != NULL) + (m->received_at > 0);
    msgpack_pack_map (&pk, n);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "intake.submit");
    opd_pack_kv_str (&pk, "channel", "phone");
    opd_pack_kv_str (&pk, "external_id", m->external_id);
    opd_pack_kv_str (&pk, "subject", m->subject);
    if (m->body)
        opd_pack_kv_str (&pk, "body", m->body);
    if (m->reply_to)
        opd_pack_kv_str (&pk, "reply_to", m->reply_to);
    if (m->received_at > 0)
        opd_pack_kv_int (&pk, "received_at", m->received_at);
    opd_pack_str (&pk, "requester");
    msgpack_pack_map (&pk, 1 + (m->name != NULL) + (m->email != NULL));
    opd_pack_kv_str (&pk, "phone", m->phone);
    if (m->name)
        opd_pack_kv_str (&pk, "name", m->name);
    if (m->email)
        opd_pack_kv_str (&pk, "email", m->email);

    int rc = -1;
    //  Made anew when a reload changed the endpoint or the CURVE keys.
    if (self->intake && (strcmp (opd_intake_client_endpoint (self->intake), self->cfg->ep_intake)
                         || !opd_curve_same (opd_intake_client_curve (self->intake), &self->cfg->curve)))
        opd_intake_client_destroy (&self->intake);
    if (!self->intake)
        self->intake = opd_intake_client_new (self->cfg->ep_intake, &self->cfg->curve, INTAKE_TIMEOUT_MS);
    if (self->intake && opd_intake_client_submit (self->intake, buf.data, buf.size, reply) == 0)
        rc = 0;
    msgpack_sbuffer_destroy (&buf);
    return rc;
}

//  Submits and turns intake's answer into the HTTP result. Returns 0 when
//  intake accepted (*reply holds the ticket).
static int
s_submit_result (phone_t *self, const submission_t *m, opd_intake_reply_t *reply, result_t *res)
{
    memset (reply, 0, sizeof *reply);
    if (s_submit (self, m, reply) != 0) {
        opd_warn ("intake did not answer external_id=%s", m->external_id);
        s_result_error (res, 503, "unavailable", "intake is unavailable; try again later");
        return -1;
    }
    if (!reply->accepted) {
        opd_warn ("intake rejected external_id=%s code=%s", m->external_id, reply->code);
        if (strcmp (reply->code, "unavailable") == 0)
            s_result_error (res, 503, "unavailable", "%s", reply->error);
        else if (strcmp (reply->code, "too_large") == 0)
            s_result_error (res, 413, "too_large", "%s", reply->error);
        else
            s_result_error (res, 422, "invalid", "%s", reply->error);
        return -1;
    }
    res->status = reply->created ? 201 : 200;
    json_decref (res->body);
    res->body = json_pack ("{s:s,s:b}", "ticket_id", reply->ticket_id, "created", reply->created);
    return 0;
}

//  --------------------------------------------------------------------------
//  Calls.

//  Call and note ids: [A-Za-z0-9._:@+-]{1,max}.
static bool
s_id_valid (const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum ((unsigned char) s[n]) && !strchr ("._:@+-", s[n]))
            return false;
    return n >= 1 && n <= max;
}

static bool
s_too_long (GHashTable *f, const char *key, size_t max, result_t *res)
{
    const char *v = s_get (f, key);
    if (v && strlen (v) > max) {
        s_result_error (res, 422, "invalid", "%s is longer than %zu bytes", key, max);
        return true;
    }
    return false;
}

//  "at": RFC 3339, or epoch milliseconds (values below 10^11 are taken as seconds).
static int
s_parse_at (const char *text, int64_t *ms)
{
    bool digits = *text != 0;
    for (const char *p = text; *p; p++)
        if (!isdigit ((unsigned char) *p))
            digits = false;
    if (digits && strlen (text) <= 15) {
        long long v = strtoll (text, NULL, 10);
        *ms = v < 100000000000LL ? v * 1000 : v;
        return 0;
    }
    return opd_rfc3339_parse (text, ms);
}

//  The configured agent whose phone is number, or NULL.
static const opd_agent_t *
s_agent_by_phone (const opd_config_t *cfg, const char *number)
{
    for (size_t i = 0; i < cfg->nagents; i++)
        if (cfg->agents[i].phone && strcmp (cfg->agents[i].phone, number) == 0)
            return &cfg->agents[i];
    return NULL;
}

//  What the desk knows about a number: the requester who used it before.
typedef struct {
    GHashTable *h;  //  opd:phone:<e164>, may be empty
} known_t;

static const char *
s_known (const known_t *k, const char *field)
{
    return s_get (k->h, field);
}

//  Remembers the ticket of a call and of the number.
static void
s_remember (phone_t *self, const char *call_key, const char *field, const char *number,
            const char *ticket)
{
    s_hset (self, call_key, CALL_TTL_S, field, ticket, NULL);
    redisReply *r = opd_redis_command (self->redis, "HSETNX %s ticket %s", call_key, ticket);
    if (r)
        freeReplyObject (r);
    char *pk = opd_sprintf ("opd:phone:%s", number);
    s_hset (self, pk, s_phone_ttl (self->cfg), "last_ticket", ticket, NULL);
    free (pk);
}

typedef enum { ACT_NONE, ACT_MISSED, ACT_VOICEMAIL } action_t;

static void
s_call_event (phone_t *self, GHashTable *f, result_t *res)
{
    const opd_config_t *cfg = self->cfg;
    static const char *const events[] = {"ringing", "answered", "hangup", "voicemail", "missed", NULL};
    const char *event = s_get (f, "event");
    int ei = -1;
    for (int i = 0; event && events[i]; i++)
        if (strcmp (event, events[i]) == 0)
            ei = i;
    if (ei < 0) {
        s_result_error (res, 422, "invalid",
                        "event must be one of ringing, answered, hangup, voicemail, missed");
        return;
    }
    event = events[ei];
    const char *call_id = s_get (f, "call_id");
    if (!call_id || !s_id_valid (call_id, 128)) {
        s_result_error (res, 422, "invalid",
                        "call_id is required: 1 to 128 letters, digits or ._:@+-");
        return;
    }
    const char *direction = s_get (f, "direction");
    if (direction && strcmp (direction, "inbound") && strcmp (direction, "outbound")) {
        s_result_error (res, 422, "invalid", "direction must be inbound or outbound");
        return;
    }
    if (s_too_long (f, "from", 128, res) || s_too_long (f, "to", 128, res)
        || s_too_long (f, "agent", 64, res) || s_too_long (f, "caller_name", 200, res)
        || s_too_long (f, "recording_url", 2048, res) || s_too_long (f, "duration", 32, res))
        return;
    int64_t now = opd_now_ms ();
    int64_t at = now;
    if (s_get (f, "at") && s_parse_at (s_get (f, "at"), &at) != 0) {
        s_result_error (res, 422, "invalid", "at must be RFC 3339 or epoch milliseconds");
        return;
    }
    if (at > now)
        at = now;  //  the phone system's clock runs ahead; SLO clocks never start in the future

    char *key = opd_sprintf ("opd:call:%s", call_id);
    GHashTable *st = s_hgetall (self, key);
    GHashTable *kn = NULL;
    if (!st) {
        s_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    if (!direction)
        direction = s_get (st, "direction") ? s_get (st, "direction") : "inbound";
    bool inbound = strcmp (direction, "inbound") == 0;
    //  The requester's side of the call: the caller of an inbound call, the
    //  called number of an outbound one.
    const char *side = inbound ? "from" : "to";
    const char *cust_raw = f ? g_hash_table_lookup (f, side) : NULL;
    char cust[32] = "";
    bool withheld = false;
    if (cust_raw) {
        if (phone_number_withheld (cust_raw))
            withheld = true;
        else if (phone_number_normalise (cust_raw, cfg->phone_country_code, cust, sizeof cust)) {
            s_result_error (res, 422, "invalid", "%s is not a phone number that can be called back",
                            side);
            goto done;
        }
    }
    else if (s_get (st, "customer"))
        g_strlcpy (cust, s_get (st, "customer"), sizeof cust);
    else if (s_get (st, "withheld"))
        withheld = true;
    //  The desk's side is kept as sent when it is an extension.
    const char *other_raw = s_get (f, inbound ? "to" : "from");
    if (!other_raw)
        other_raw = s_get (st, inbound ? "to" : "from");
    char other[32] = "";
    if (other_raw && phone_number_normalise (other_raw, cfg->phone_country_code, other, sizeof other))
        g_strlcpy (other, other_raw, sizeof other);
    bool internal = *cust && s_agent_by_phone (cfg, cust);

    char at_text[24];
    snprintf (at_text, sizeof at_text, "%lld", (long long) at);
    char *at_field = opd_sprintf ("%s_at", event);
    if (s_hset (self, key, CALL_TTL_S, "direction", direction, "customer", *cust ? cust : NULL,
                "withheld", withheld ? "1" : NULL, "internal", internal ? "1" : NULL,
                inbound ? "to" : "from", *other ? other : NULL, "agent", s_get (f, "agent"),
                "caller_name", s_get (f, "caller_name"), "last_event", event, at_field, at_text,
                NULL)) {
        free (at_field);
        s_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    free (at_field);

    action_t act = ACT_NONE;
    bool answered = s_get (st, "answered_at") || strcmp (event, "answered") == 0;
    if (inbound && strcmp (event, "hangup") == 0 && !answered
        && !(s_get (st, "voicemail_ticket") && !s_get (st, "missed_ticket")))
        act = ACT_MISSED;
    else if (inbound && strcmp (event, "missed") == 0)
        act = ACT_MISSED;
    else if (inbound && strcmp (event, "voicemail") == 0)
        act = ACT_VOICEMAIL;
    opd_info ("call=%s event=%s direction=%s", call_id, event, direction);
    if (act == ACT_NONE) {
        s_result_recorded (res, NULL);
        goto done;
    }
    if (withheld) {
        s_result_recorded (res, "withheld number");
        goto done;
    }
    if (!*cust) {
        s_result_error (res, 422, "invalid", "%s is required to call back", side);
        goto done;
    }
    if (internal) {
        s_result_recorded (res, "internal call");
        goto done;
    }
    char *pk = opd_sprintf ("opd:phone:%s", cust);
    kn = s_hgetall (self, pk);
    free (pk);
    if (!kn) {
        s_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    known_t k = {kn};
    const char *name = s_known (&k, "name") ? s_known (&k, "name") : s_get (st, "caller_name");
    if (s_get (f, "caller_name"))
        name = s_get (f, "caller_name");
    submission_t m = {.name = name, .email = s_known (&k, "email"), .phone = cust,
                      .received_at = at};
    char at_rfc[32];
    opd_rfc3339 (at, at_rfc, sizeof at_rfc);
    char *ext = NULL, *subject = NULL, *body = NULL, *reply_to = NULL;
    const char *field;
    if (act == ACT_MISSED) {
        ext = opd_sprintf ("call:%s:missed", call_id);
        subject = opd_sprintf ("Missed call from %s: please call back", cust);
        body = opd_sprintf ("An inbound call from %s%s%s at %s was not answered. "
                            "Please call back.",
                            cust, *other ? " to " : "", other, at_rfc);
        field = "missed_ticket";
    }
    else {
        ext = opd_sprintf ("call:%s:voicemail", call_id);
        subject = opd_sprintf ("Voicemail from %s", cust);
        const char *tr = s_get (f, "transcription");
        const char *url = s_get (f, "recording_url");
        body = opd_sprintf ("%s%s%s", tr ? tr : "(voicemail without transcription)",
                            url ? "\n\nRecording: " : "", url ? url : "");
        //  A voicemail after the missed-call ticket of the same call adds to it.
        if (s_get (st, "missed_ticket"))
            reply_to = opd_sprintf ("call:%s:missed", call_id);
        field = "voicemail_ticket";
    }
    m.external_id = ext;
    m.subject = subject;
    m.body = body;
    m.reply_to = reply_to;
    opd_intake_reply_t reply;
    if (s_submit_result (self, &m, &reply, res) == 0) {
        s_remember (self, key, field, cust, reply.ticket_id);
        json_object_set_new (res->body, "call_id", json_string (call_id));
        opd_info ("call=%s ticket=%s created=%d kind=%s", call_id, reply.ticket_id, reply.created,
                  act == ACT_MISSED ? "missed" : "voicemail");
    }
    free (ext);
    free (subject);
    free (body);
    free (reply_to);
done:
    if (st)
        g_hash_table_destroy (st);
    if (kn)
        g_hash_table_destroy (kn);
    free (key);
}

//  True when the ticket is still being worked on (a note adds to it).
static bool
s_ticket_open (phone_t *self, const char *id)
{
    redisReply *r = opd_redis_command (self->redis, "HGET opd:t:%s status", id);
    bool open = r && r->type == REDIS_REPLY_STRING
                && (!strcmp (r->str, "new") || !strcmp (r->str, "open") || !strcmp (r->str, "pending"));
    if (r)
        freeReplyObject (r);
    return open;
}

static void
s_call_note (phone_t *self, const char *call_id, GHashTable *f, result_t *res)
{
    const opd_config_t *cfg = self->cfg;
    if (!s_id_valid (call_id, 128)) {
        s_result_error (res, 422, "invalid", "the call id is 1 to 128 letters, digits or ._:@+-");
        return;
    }
    const char *text = s_get (f, "text");
    if (!text) {
        s_result_error (res, 422, "invalid", "text is required");
        return;
    }
    if (s_too_long (f, "agent", 64, res) || s_too_long (f, "from", 128, res))
        return;
    const char *note_id = s_get (f, "id");
    if (note_id && !s_id_valid (note_id, 64)) {
        s_result_error (res, 422, "invalid", "id is 1 to 64 letters, digits or ._:@+-");
        return;
    }
    char *key = opd_sprintf ("opd:call:%s", call_id);
    GHashTable *st = s_hgetall (self, key);
    GHashTable *kn = NULL;
    char *ext = NULL, *subject = NULL, *body = NULL, *pk = NULL;
    if (!st) {
        s_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    char cust[32] = "";
    if (s_get (st, "customer"))
        g_strlcpy (cust, s_get (st, "customer"), sizeof cust);
    else if (s_get (f, "from")) {
        if (phone_number_normalise (s_get (f, "from"), cfg->phone_country_code, cust, sizeof cust)) {
            s_result_error (res, 422, "invalid", "from is not a phone number that can be called back");
            goto done;
        }
        s_hset (self, key, CALL_TTL_S, "customer", cust, "direction", "inbound", NULL);
    }
    if (!*cust) {
        s_result_error (res, 404, "not_found",
                        "no caller number is known for this call; send from with the note");
        goto done;
    }
    if (s_get (st, "internal") || s_agent_by_phone (cfg, cust)) {
        s_result_recorded (res, "internal call");
        goto done;
    }
    pk = opd_sprintf ("opd:phone:%s", cust);
    kn = s_hgetall (self, pk);
    if (!kn) {
        s_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    const char *agent_id = s_get (f, "agent") ? s_get (f, "agent") : s_get (st, "agent");
    const opd_agent_t *agent = agent_id ? opd_config_agent (cfg, agent_id) : NULL;
    const char *agent_name = agent && agent->name ? agent->name : agent_id ? agent_id : "an agent";
    //  A retried note must map to the same external_id: the note's own id,
    //  else a digest of who wrote what.
    char digest[17];
    if (!note_id) {
        GChecksum *cs = g_checksum_new (G_CHECKSUM_SHA256);
        g_checksum_update (cs, (const guchar *) (agent_id ? agent_id : ""), -1);
        g_checksum_update (cs, (const guchar *) "\n", 1);
        g_checksum_update (cs, (const guchar *) text, -1);
        g_strlcpy (digest, g_checksum_get_string (cs), sizeof digest);
        g_checksum_free (cs);
        note_id = digest;
    }
    ext = opd_sprintf ("call:%s:note:%s", call_id, note_id);
    subject = opd_sprintf ("Phone call with %s", cust);
    body = opd_sprintf ("Call note by %s:\n\n%s", agent_name, text);
    //  The note adds to the call's own ticket, else to the caller's latest
    //  ticket while it is still open; otherwise it opens a ticket.
    const char *reply_to = s_get (st, "ticket");
    if (!reply_to && s_get (kn, "last_ticket") && s_ticket_open (self, s_get (kn, "last_ticket")))
        reply_to = s_get (kn, "last_ticket");
    const char *name = s_get (kn, "name") ? s_get (kn, "name") : s_get (st, "caller_name");
    submission_t m = {.external_id = ext, .reply_to = reply_to, .name = name,
                      .email = s_get (kn, "email"), .phone = cust, .subject = subject, .body = body};
    opd_intake_reply_t reply;
    if (s_submit_result (self, &m, &reply, res) == 0) {
        s_remember (self, key, "note_ticket", cust, reply.ticket_id);
        json_object_set_new (res->body, "call_id", json_string (call_id));
        opd_info ("call=%s ticket=%s created=%d kind=note", call_id, reply.ticket_id, reply.created);
    }
done:
    if (st)
        g_hash_table_destroy (st);
    if (kn)
        g_hash_table_destroy (kn);
    free (key);
    free (pk);
    free (ext);
    free (subject);
    free (body);
}

static void
s_health (phone_t *self, result_t *res)
{
    redisReply *r = opd_redis_command (self->redis, "PING");
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject (r);
    json_decref (res->body);
    if (ok) {
        res->status = 200;
        res->body = json_pack ("{s:s}", "status", "ok");
    }
    else {
        res->status = 503;
        res->body = json_pack ("{s:s,s:[s]}", "status", "unavailable", "down", "redis");
    }
}

//  --------------------------------------------------------------------------
//  Learning numbers: every ticket of any channel that carries a phone number
//  tells which ticket that number used last, and with an email address, who
//  the requester is. The service tails opd:events for ticket.created from
//  its own cursor (opd:phone:cursor), so it also learns while it was down.

static size_t
s_learn (phone_t *self)
{
    redisReply *c = opd_redis_command (self->redis, "GET opd:phone:cursor");
    if (!c)
        return 0;
    char cursor[64] = "0-0";
    if (c->type == REDIS_REPLY_STRING)
        g_strlcpy (cursor, c->str, sizeof cursor);
    freeReplyObject (c);
    redisReply *r = opd_redis_command (self->redis, "XREAD COUNT %d STREAMS opd:events %s",
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
        redisReply *t = opd_redis_command (self->redis, "HMGET opd:t:%s req_phone req_email req_name", id);
        if (t && t->type == REDIS_REPLY_ARRAY && t->elements == 3
            && t->element[0]->type == REDIS_REPLY_STRING && opd_e164_valid (t->element[0]->str)) {
            const char *email = t->element[1]->type == REDIS_REPLY_STRING ? t->element[1]->str : NULL;
            const char *name = t->element[2]->type == REDIS_REPLY_STRING ? t->element[2]->str : NULL;
            char *pk = opd_sprintf ("opd:phone:%s", t->element[0]->str);
            s_hset (self, pk, s_phone_ttl (self->cfg), "last_ticket", id, "email",
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
        redisReply *s = opd_redis_command (self->redis, "SET opd:phone:cursor %s", last);
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
        s_health (self, &res);
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
                    s_call_note (self, note_call, f, &res);
                else
                    s_call_event (self, f, &res);
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
        s_result_error (&res, 500, "internal", "no answer was produced");
    s_answer (ex, res.status, res.body);
    json_decref (res.body);
}

int
phone_run (opd_service_t *svc)
{
    if (!svc->cfg->phone_secret) {
        fprintf (stderr,
                 "%s: configuration %s: channels.phone.secret: required by opdesk-phone (the "
                 "HMAC-SHA256 key the phone system signs its posts with)\n",
                 svc->name, svc->config_path);
        return 2;
    }
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
