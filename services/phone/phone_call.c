/*  phone_call: what one call does. Its events are kept in Redis
    (opd:call:ID, CALL_TTL_S after its last event); a missed call, a
    voicemail or an agent's note becomes an intake.submit with a
    deterministic external_id (see phone.c on idempotency). Called by
    phone.c's handler under self->lock. */
#include "phone.h"
#include "phone_int.h"
#include "number.h"
#include "opd_intake.h"
#include "opd_intake_client.h"
#include "opd_log.h"
#include "opd_mp.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_submit_msg.h"
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

#define INTAKE_TIMEOUT_MS 3000
#define CALL_TTL_S (7 * 24 * 3600)     //  opd:call:ID lives a week after its last event

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
    GHashTable *h = phone_fields_new ();
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
int
phone_hset (phone_t *self, const char *key, int ttl_s, ...)
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

int
phone_ttl (const opd_config_t *cfg)
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
    opd_submit_msg_t msg = {.channel = "phone", .external_id = m->external_id,
                            .received_at = m->received_at, .subject = m->subject, .body = m->body,
                            .reply_to = m->reply_to, .requester = {m->name, m->email, m->phone}};
    opd_submit_msg_pack (&msg, &buf);  //  external id and subject are always set

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
        phone_result_error (res, 503, "unavailable", "intake is unavailable; try again later");
        return -1;
    }
    if (!reply->accepted) {
        opd_warn ("intake rejected external_id=%s code=%s", m->external_id, reply->code);
        if (strcmp (reply->code, "unavailable") == 0)
            phone_result_error (res, 503, "unavailable", "%s", reply->error);
        else if (strcmp (reply->code, "too_large") == 0)
            phone_result_error (res, 413, "too_large", "%s", reply->error);
        else
            phone_result_error (res, 422, "invalid", "%s", reply->error);
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
    const char *v = phone_get (f, key);
    if (v && strlen (v) > max) {
        phone_result_error (res, 422, "invalid", "%s is longer than %zu bytes", key, max);
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
    return phone_get (k->h, field);
}

//  Remembers the ticket of a call and of the number.
static void
s_remember (phone_t *self, const char *call_key, const char *field, const char *number,
            const char *ticket)
{
    phone_hset (self, call_key, CALL_TTL_S, field, ticket, NULL);
    redisReply *r = opd_redis_command (self->redis, "HSETNX %s ticket %s", call_key, ticket);
    if (r)
        freeReplyObject (r);
    char *pk = opd_sprintf (OPD_KEY_PHONE_FMT, number);
    phone_hset (self, pk, phone_ttl (self->cfg), "last_ticket", ticket, NULL);
    free (pk);
}

typedef enum { ACT_NONE, ACT_MISSED, ACT_VOICEMAIL } action_t;

void
phone_call_event (phone_t *self, GHashTable *f, result_t *res)
{
    const opd_config_t *cfg = self->cfg;
    static const char *const events[] = {"ringing", "answered", "hangup", "voicemail", "missed", NULL};
    const char *event = phone_get (f, "event");
    int ei = -1;
    for (int i = 0; event && events[i]; i++)
        if (strcmp (event, events[i]) == 0)
            ei = i;
    if (ei < 0) {
        phone_result_error (res, 422, "invalid",
                        "event must be one of ringing, answered, hangup, voicemail, missed");
        return;
    }
    event = events[ei];
    const char *call_id = phone_get (f, "call_id");
    if (!call_id || !s_id_valid (call_id, 128)) {
        phone_result_error (res, 422, "invalid",
                        "call_id is required: 1 to 128 letters, digits or ._:@+-");
        return;
    }
    const char *direction = phone_get (f, "direction");
    if (direction && strcmp (direction, "inbound") && strcmp (direction, "outbound")) {
        phone_result_error (res, 422, "invalid", "direction must be inbound or outbound");
        return;
    }
    if (s_too_long (f, "from", 128, res) || s_too_long (f, "to", 128, res)
        || s_too_long (f, "agent", 64, res) || s_too_long (f, "caller_name", 200, res)
        || s_too_long (f, "recording_url", 2048, res) || s_too_long (f, "duration", 32, res))
        return;
    int64_t now = opd_now_ms ();
    int64_t at = now;
    if (phone_get (f, "at") && s_parse_at (phone_get (f, "at"), &at) != 0) {
        phone_result_error (res, 422, "invalid", "at must be RFC 3339 or epoch milliseconds");
        return;
    }
    if (at > now)
        at = now;  //  the phone system's clock runs ahead; SLO clocks never start in the future

    char *key = opd_sprintf (OPD_KEY_CALL_FMT, call_id);
    GHashTable *st = s_hgetall (self, key);
    GHashTable *kn = NULL;
    if (!st) {
        phone_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    if (!direction)
        direction = phone_get (st, "direction") ? phone_get (st, "direction") : "inbound";
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
            phone_result_error (res, 422, "invalid", "%s is not a phone number that can be called back",
                            side);
            goto done;
        }
    }
    else if (phone_get (st, "customer"))
        g_strlcpy (cust, phone_get (st, "customer"), sizeof cust);
    else if (phone_get (st, "withheld"))
        withheld = true;
    //  The desk's side is kept as sent when it is an extension.
    const char *other_raw = phone_get (f, inbound ? "to" : "from");
    if (!other_raw)
        other_raw = phone_get (st, inbound ? "to" : "from");
    char other[32] = "";
    if (other_raw && phone_number_normalise (other_raw, cfg->phone_country_code, other, sizeof other))
        g_strlcpy (other, other_raw, sizeof other);
    bool internal = *cust && s_agent_by_phone (cfg, cust);

    char at_text[24];
    snprintf (at_text, sizeof at_text, "%lld", (long long) at);
    char *at_field = opd_sprintf ("%s_at", event);
    if (phone_hset (self, key, CALL_TTL_S, "direction", direction, "customer", *cust ? cust : NULL,
                "withheld", withheld ? "1" : NULL, "internal", internal ? "1" : NULL,
                inbound ? "to" : "from", *other ? other : NULL, "agent", phone_get (f, "agent"),
                "caller_name", phone_get (f, "caller_name"), "last_event", event, at_field, at_text,
                NULL)) {
        free (at_field);
        phone_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    free (at_field);
    phone_aht_call (self, st, phone_get (f, "agent"), inbound && !internal, event, at);

    action_t act = ACT_NONE;
    bool answered = phone_get (st, "answered_at") || strcmp (event, "answered") == 0;
    if (inbound && strcmp (event, "hangup") == 0 && !answered
        && !(phone_get (st, "voicemail_ticket") && !phone_get (st, "missed_ticket")))
        act = ACT_MISSED;
    else if (inbound && strcmp (event, "missed") == 0)
        act = ACT_MISSED;
    else if (inbound && strcmp (event, "voicemail") == 0)
        act = ACT_VOICEMAIL;
    opd_info ("call=%s event=%s direction=%s", call_id, event, direction);
    if (act == ACT_NONE) {
        phone_result_recorded (res, NULL);
        goto done;
    }
    if (withheld) {
        phone_result_recorded (res, "withheld number");
        goto done;
    }
    if (!*cust) {
        phone_result_error (res, 422, "invalid", "%s is required to call back", side);
        goto done;
    }
    if (internal) {
        phone_result_recorded (res, "internal call");
        goto done;
    }
    char *pk = opd_sprintf (OPD_KEY_PHONE_FMT, cust);
    kn = s_hgetall (self, pk);
    free (pk);
    if (!kn) {
        phone_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    known_t k = {kn};
    const char *name = s_known (&k, "name") ? s_known (&k, "name") : phone_get (st, "caller_name");
    if (phone_get (f, "caller_name"))
        name = phone_get (f, "caller_name");
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
        const char *tr = phone_get (f, "transcription");
        const char *url = phone_get (f, "recording_url");
        body = opd_sprintf ("%s%s%s", tr ? tr : "(voicemail without transcription)",
                            url ? "\n\nRecording: " : "", url ? url : "");
        //  A voicemail after the missed-call ticket of the same call adds to it.
        if (phone_get (st, "missed_ticket"))
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
    bool failed;
    char *status = opd_store_field (self->redis, id, OPD_F_STATUS, &failed);
    bool open = status && (!strcmp (status, "new") || !strcmp (status, "open") || !strcmp (status, "pending"));
    free (status);
    return open;
}

void
phone_call_note (phone_t *self, const char *call_id, GHashTable *f, result_t *res)
{
    const opd_config_t *cfg = self->cfg;
    if (!s_id_valid (call_id, 128)) {
        phone_result_error (res, 422, "invalid", "the call id is 1 to 128 letters, digits or ._:@+-");
        return;
    }
    const char *text = phone_get (f, "text");
    if (!text) {
        phone_result_error (res, 422, "invalid", "text is required");
        return;
    }
    if (s_too_long (f, "agent", 64, res) || s_too_long (f, "from", 128, res))
        return;
    const char *note_id = phone_get (f, "id");
    if (note_id && !s_id_valid (note_id, 64)) {
        phone_result_error (res, 422, "invalid", "id is 1 to 64 letters, digits or ._:@+-");
        return;
    }
    char *key = opd_sprintf (OPD_KEY_CALL_FMT, call_id);
    GHashTable *st = s_hgetall (self, key);
    GHashTable *kn = NULL;
    char *ext = NULL, *subject = NULL, *body = NULL, *pk = NULL;
    if (!st) {
        phone_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    char cust[32] = "";
    if (phone_get (st, "customer"))
        g_strlcpy (cust, phone_get (st, "customer"), sizeof cust);
    else if (phone_get (f, "from")) {
        if (phone_number_normalise (phone_get (f, "from"), cfg->phone_country_code, cust, sizeof cust)) {
            phone_result_error (res, 422, "invalid", "from is not a phone number that can be called back");
            goto done;
        }
        phone_hset (self, key, CALL_TTL_S, "customer", cust, "direction", "inbound", NULL);
    }
    if (!*cust) {
        phone_result_error (res, 404, "not_found",
                        "no caller number is known for this call; send from with the note");
        goto done;
    }
    if (phone_get (st, "internal") || s_agent_by_phone (cfg, cust)) {
        phone_result_recorded (res, "internal call");
        goto done;
    }
    pk = opd_sprintf (OPD_KEY_PHONE_FMT, cust);
    kn = s_hgetall (self, pk);
    if (!kn) {
        phone_result_error (res, 503, "unavailable", "redis is unavailable; try again later");
        goto done;
    }
    const char *agent_id = phone_get (f, "agent") ? phone_get (f, "agent") : phone_get (st, "agent");
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
    const char *reply_to = phone_get (st, "ticket");
    if (!reply_to && phone_get (kn, "last_ticket") && s_ticket_open (self, phone_get (kn, "last_ticket")))
        reply_to = phone_get (kn, "last_ticket");
    const char *name = phone_get (kn, "name") ? phone_get (kn, "name") : phone_get (st, "caller_name");
    submission_t m = {.external_id = ext, .reply_to = reply_to, .name = name,
                      .email = phone_get (kn, "email"), .phone = cust, .subject = subject, .body = body};
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

void
phone_health (phone_t *self, result_t *res)
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
