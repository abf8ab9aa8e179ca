/*  opd_ticket: see opd_ticket.h.

    The ticket object of the contract, rendered from the ticket's hash: its
    fields, the clocks with what is left of each, the time with each team,
    and (with OPD_TICKET_FULL) its comments and history. The list and queue
    queries built on it are in opd_ticket_list.c; what the two files share
    is declared in opd_ticket_int.h. */
#include "opd_ticket_int.h"
#include "opd_calendar.h"
#include "opd_util.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The score of a ticket without a deadline in opd:q:due:<team>
//  (QUEUE_LAST in prelude.lua), plus its created_at.
#define QUEUE_LAST 8000000000000000LL

const char *const opd_ticket_statuses[] = {"new", "open", "pending", "resolved", "closed", NULL};

bool
opd_ticket_status_valid (const char *status)
{
    for (int i = 0; status && opd_ticket_statuses[i]; i++)
        if (!strcmp (status, opd_ticket_statuses[i]))
            return true;
    return false;
}

void
opd_tk_fail (opd_ticket_error_t *err, opd_ticket_status_t code, const char *key, const char *fmt, ...)
{
    if (!err)
        return;
    err->code = code;
    snprintf (err->key, sizeof err->key, "%s", key ? key : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err->message, sizeof err->message, fmt, ap);
    va_end (ap);
}

//  --- The ticket object from its hash ---------------------------------------
//  The hash is read once, by opd_store_ticket_read, into opd_ticket_t (the
//  schema's fields and clocks); what follows turns its text into JSON.

//  A JSON string; text that is not UTF-8 (never stored by intake, but this is
//  the last line) has its stray bytes replaced so the output stays valid JSON.
static json_t *
s_string (const char *v)
{
    if (!v)
        return json_null ();
    size_t len = strlen (v);
    if (opd_utf8_valid (v, len))
        return json_stringn (v, len);
    char *copy = opd_strdup (v);
    for (char *p = copy; *p; p++)
        if ((unsigned char) *p >= 0x80)
            *p = '?';
    json_t *s = json_string (copy);
    free (copy);
    return s;
}

//  A field as a JSON string, null when absent or empty.
static json_t *
s_str (const char *v)
{
    return v && *v ? s_string (v) : json_null ();
}

#define s_ms opd_store_ms

static json_t *
s_time_ms (int64_t ms)
{
    char buf[40];
    opd_rfc3339 (ms, buf, sizeof buf);
    return json_string (buf);
}

//  A field holding ms since the epoch, as RFC 3339; null when absent.
static json_t *
s_time (const char *v)
{
    int64_t ms;
    return s_ms (v, &ms) ? s_time_ms (ms) : json_null ();
}

//  A field holding JSON of the given type; fallback when absent or broken.
static json_t *
s_json (const char *v, json_type type)
{
    json_t *j = v && *v ? json_loads (v, JSON_DECODE_ANY, NULL) : NULL;
    if (j && json_typeof (j) == type)
        return j;
    json_decref (j);
    return type == JSON_ARRAY ? json_array () : json_object ();
}


//  What is left of a clock, at now, as two JSON values (opdesk additions to
//  the clock object, see opd_ticket.h):
//  - running, not yet due: remaining_working_ms = the working time from now
//    to due_at on the policy's calendar, overdue_ms = 0;
//  - running past due_at (the breach not fired yet), or breached and not yet
//    met: remaining 0 (negative working time is not defined), overdue_ms =
//    the real ms since due_at;
//  - paused (the resolution clock of a pending ticket): what was left when
//    the pause began, target less the working time from received_at to
//    res_pause without the earlier pauses (what opdesk-slo will count from
//    when the clock resumes); overdue_ms null;
//  - met, or no due time, or the ticket's policy is no longer configured
//    (its calendar unknown): both null.
static void
s_left (const opd_ticket_t *t, const opd_config_t *cfg, const opd_policy_t *policy, opd_clock_t k,
        const char *state, int64_t now, json_t *c)
{
    json_t *remaining = json_null (), *overdue = json_null ();
    const char *due_s = t->clock[k].due;
    const char *met = t->clock[k].met;
    const opd_calendar_t *cal = policy && policy->calendar ? opd_config_calendar (cfg, policy->calendar) : NULL;
    int64_t due;
    bool running = state && !strcmp (state, "running");
    bool late = state && !strcmp (state, "breached") && !(met && *met);
    if (cal && (running || late) && s_ms (due_s, &due)) {
        if (now < due && running) {
            remaining = json_integer (opd_calendar_worktime (cal, now, due));
            overdue = json_integer (0);
        }
        else {
            remaining = json_integer (0);
            overdue = json_integer (now > due ? now - due : 0);
        }
    }
    else if (cal && state && !strcmp (state, "paused") && k == OPD_CLOCK_RES) {
        int64_t received, paused;
        int64_t target = opd_store_policy_target (policy, k);
        if (target > 0 && s_ms (t->received_at, &received) && s_ms (t->res_pause, &paused)) {
            opd_timespan_t *spans = NULL;
            size_t n = opd_timespans_parse (t->res_pauses, &spans);
            int64_t worked = opd_calendar_worktime_skipping (cal, received, paused, spans, n);
            free (spans);
            remaining = json_integer (worked < target ? target - worked : 0);
        }
    }
    json_object_set_new (c, "remaining_working_ms", remaining);
    json_object_set_new (c, "overdue_ms", overdue);
}

//  The state of a clock that has none stored (decision 174): the first
//  response and resolution clocks run from received_at before opdesk-slo
//  has armed them (the resolution clock of a pending ticket is paused); a
//  policy's next-reply clock waits (paused) until the requester writes
//  after the first response. A ticket no policy applies to has no clocks
//  (s_slo leaves them out).
static json_t *
s_unset_state (const opd_ticket_t *t, const opd_policy_t *policy, int k)
{
    bool armed = t->armed_at && *t->armed_at;
    if (k == OPD_CLOCK_FR && !armed)
        return json_string (t->first_reply_at && *t->first_reply_at ? "met" : "running");
    if (k == OPD_CLOCK_RES && !armed)
        return json_string (t->resolved_at && *t->resolved_at              ? "met"
                            : t->status && !strcmp (t->status, "pending") ? "paused"
                                                                          : "running");
    if (k == OPD_CLOCK_NR && policy && policy->next_reply > 0)
        return json_string (t->nr_start && *t->nr_start ? "running" : "paused");
    return json_null ();
}

//  The slo map: first_response and resolution always, next_reply when its
//  clock exists or the ticket's policy has one.
static json_t *
s_slo (const opd_ticket_t *t, const opd_config_t *cfg, bool live)
{
    int64_t now = opd_now_ms ();
    json_t *slo = json_object ();
    const char *policy_name = t->slo_policy;
    const opd_policy_t *policy = opd_store_policy_named (cfg, policy_name);
    for (int k = 0; k < OPD_CLOCK_COUNT; k++) {
        const char *due = t->clock[k].due;
        const char *state = t->clock[k].state;
        const char *met = t->clock[k].met;
        const char *breached = t->clock[k].breached;
        bool present = due || state || met || breached;
        if (k == OPD_CLOCK_NR && !present && !(policy && policy->next_reply > 0))
            continue;
        //  Armed, and no policy applies: there is no such clock to show.
        if (!present && !policy && t->armed_at && *t->armed_at)
            continue;
        int64_t ms;
        json_t *c = json_object ();
        json_object_set_new (c, "policy", policy_name && *policy_name ? s_string (policy_name) : json_null ());
        json_object_set_new (c, "due_at", s_ms (due, &ms) ? s_time_ms (ms) : json_null ());
        json_object_set_new (c, "state", state && *state ? s_string (state) : s_unset_state (t, policy, k));
        json_object_set_new (c, "met_at", s_ms (met, &ms) ? s_time_ms (ms) : json_null ());
        json_object_set_new (c, "breached_at", s_ms (breached, &ms) ? s_time_ms (ms) : json_null ());
        if (live)
            s_left (t, cfg, policy, (opd_clock_t) k, state, now, c);
        json_object_set_new (slo, opd_clock_names[k], c);
    }
    return slo;
}

//  The ticket's place in a due-ordered list, as queue_refresh scores it:
//  the soonest due time of a clock that is running, or breached and not met;
//  QUEUE_LAST + created_at when there is none.
int64_t
opd_tk_next_due (const opd_ticket_t *t)
{
    int64_t best = INT64_MAX;
    for (int k = 0; k < OPD_CLOCK_COUNT; k++) {
        const char *state = t->clock[k].state;
        const char *met = t->clock[k].met;
        int64_t due;
        bool counts = state
                      && (!strcmp (state, "running") || (!strcmp (state, "breached") && !(met && *met)));
        if (counts && s_ms (t->clock[k].due, &due) && due < best)
            best = due;
    }
    if (best == INT64_MAX) {
        int64_t created = 0;
        s_ms (t->created_at, &created);
        best = QUEUE_LAST + created;
    }
    return best;
}

//  When the ticket came to its current team (routing or the last hand-off).
static bool
s_team_since (const opd_ticket_t *t, int64_t *since)
{
    return s_ms (t->team_since, since) || s_ms (t->created_at, since);
}

//  {team: ms} from the team_ms:<team> fields: the time spent with each
//  earlier team. The current team's time is added only once it stopped
//  counting (resolved or closed), so that reading an unchanged ticket twice
//  gives the same object; while it counts, team_since says when it began.
static json_t *
s_team_times (const opd_ticket_t *t, const redisReply *h)
{
    json_t *out = json_object ();
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const char *f = h->element[i]->str;
        int64_t ms;
        size_t plen = strlen (OPD_F_TEAM_MS_PREFIX);
        if (h->element[i]->type == REDIS_REPLY_STRING && !strncmp (f, OPD_F_TEAM_MS_PREFIX, plen) && f[plen]
            && h->element[i + 1]->type == REDIS_REPLY_STRING && s_ms (h->element[i + 1]->str, &ms))
            json_object_set_new (out, f + plen, json_integer (ms));
    }
    const char *team = t->team;
    int64_t since, end;
    if (team && *team && s_team_since (t, &since) && (s_ms (t->closed_at, &end) || s_ms (t->resolved_at, &end))) {
        int64_t before = json_integer_value (json_object_get (out, team));
        json_object_set_new (out, team, json_integer (before + (end > since ? end - since : 0)));
    }
    return out;
}

//  The ticket object from its hash (h, read into tk), without comments and history.
json_t *
opd_tk_from_hash (const opd_ticket_t *tk, const redisReply *h, const opd_config_t *cfg, bool live)
{
    json_t *t = json_object ();
    json_object_set_new (t, "id", s_str (tk->id));
    json_object_set_new (t, "kind", s_str (tk->kind));
    json_object_set_new (t, "status", s_str (tk->status));
    json_object_set_new (t, "priority", s_str (tk->priority));
    json_object_set_new (t, "severity", s_str (tk->severity));
    json_object_set_new (t, "category", s_str (tk->category));
    json_object_set_new (t, "team", s_str (tk->team));
    json_object_set_new (t, "assignee", s_str (tk->assignee));
    json_object_set_new (t, "channel", s_str (tk->channel));
    json_t *req = json_object ();
    json_object_set_new (req, "name", s_str (tk->req_name));
    json_object_set_new (req, "email", s_str (tk->req_email));
    json_object_set_new (req, "phone", s_str (tk->req_phone));
    json_object_set_new (t, "requester", req);
    json_object_set_new (t, "subject", s_str (tk->subject));
    json_object_set_new (t, "body", s_string (tk->body ? tk->body : ""));
    json_object_set_new (t, "request_type", s_str (tk->request_type));
    json_object_set_new (t, "fields", s_json (tk->fields, JSON_OBJECT));
    json_object_set_new (t, "attachments", s_json (tk->attachments, JSON_ARRAY));
    json_object_set_new (t, "tags", s_json (tk->tags, JSON_ARRAY));
    json_object_set_new (t, "linked_to", s_str (tk->linked_to));
    json_object_set_new (t, "submitted_by", s_str (tk->submitted_by));
    json_object_set_new (t, "created_at", s_time (tk->created_at));
    json_object_set_new (t, "updated_at", s_time (tk->updated_at));
    json_object_set_new (t, "received_at", s_time (tk->received_at));
    json_object_set_new (t, "resolved_at", s_time (tk->resolved_at));
    json_object_set_new (t, "closed_at", s_time (tk->closed_at));
    json_object_set_new (t, "version", json_integer (opd_store_ms_or (tk->version, 0)));
    json_object_set_new (t, "rule", s_str (tk->rule));
    json_object_set_new (t, "slo", s_slo (tk, cfg, live));
    json_object_set_new (t, "anonymised", json_boolean (tk->anonymised && !strcmp (tk->anonymised, "1")));
    json_object_set_new (t, "anonymised_at", s_time (tk->anonymised_at));
    json_object_set_new (t, "anonymised_rule", s_str (tk->anonymised_rule));
    json_object_set_new (t, "privacy", s_str (tk->privacy));
    json_object_set_new (t, "pseudonym", s_str (tk->pseudonym));
    json_object_set_new (t, "pseudonym_period", s_str (tk->pseudonym_period));
    json_object_set_new (t, "hold", tk->hold && !strcmp (tk->hold, "1")
                                        ? json_pack ("{s:o, s:o, s:o}", "reason", s_str (tk->hold_reason), "by",
                                                     s_str (tk->hold_by), "at", s_time (tk->hold_at))
                                        : json_null ());
    json_object_set_new (t, "missing_fields", s_json (tk->missing, JSON_ARRAY));
    json_object_set_new (t, "rating", s_str (tk->rating));
    json_object_set_new (t, "rating_comment", s_str (tk->rating_comment));
    json_object_set_new (t, "rated_at", s_time (tk->rated_at));
    json_object_set_new (t, "team_times", s_team_times (tk, h));
    int64_t since;
    json_object_set_new (t, "team_since",
                         tk->team && *tk->team && s_team_since (tk, &since) ? s_time_ms (since) : json_null ());
    return t;
}

//  A time inside history details as JSON: RFC 3339 for a number of ms, the
//  value itself otherwise (null stays null).
static json_t *
s_time_value (json_t *v)
{
    return json_is_number (v) ? s_time_ms ((int64_t) json_number_value (v)) : json_incref (v);
}

//  The changes of an "updated" history item: the custom fields, kept as
//  JSON text (exact), as the maps ticket.updated carries; the rest as
//  stored. Returns a new reference.
static json_t *
s_changes (json_t *changes)
{
    json_t *out = json_deep_copy (changes);
    json_t *pair = json_object_get (out, "fields");
    for (size_t i = 0; json_is_array (pair) && i < json_array_size (pair); i++) {
        const char *text = json_string_value (json_array_get (pair, i));
        json_t *map = text && *text ? json_loads (text, 0, NULL) : NULL;
        if (json_is_object (map) && json_object_size (map))
            json_array_set_new (pair, i, map);
        else {
            json_decref (map);
            if (text && (!*text || !strcmp (text, "{}")))
                json_array_set_new (pair, i, json_null ());
        }
    }
    return out;
}

//  History details as stored, with every time in RFC 3339 as everywhere in
//  JSON: keys ending in "_at" hold times, and so do the [old, new] due times
//  of "clocks" (slo_recomputed). Returns a new reference.
static json_t *
s_details (json_t *d)
{
    json_t *out = json_object ();
    if (!json_is_object (d))  //  cjson writes an empty table as {} or []: both mean none
        return out;
    const char *key;
    json_t *v;
    json_object_foreach (d, key, v) {
        size_t len = strlen (key);
        if (len > 3 && !strcmp (key + len - 3, "_at"))
            json_object_set_new (out, key, s_time_value (v));
        else if (!strcmp (key, "clocks") && json_is_object (v)) {
            json_t *clocks = json_object ();
            const char *clock;
            json_t *pair;
            json_object_foreach (v, clock, pair) {
                json_t *times = json_array ();
                size_t i;
                json_t *when;
                json_array_foreach (pair, i, when)
                    json_array_append_new (times, s_time_value (when));
                json_object_set_new (clocks, clock, times);
            }
            json_object_set_new (out, key, clocks);
        }
        else if (!strcmp (key, "changes") && json_is_object (v))
            json_object_set_new (out, key, s_changes (v));
        else
            json_object_set (out, key, v);
    }
    return out;
}

//  Converts a list of JSON texts with "at" in ms into an array.
static json_t *
s_list (const redisReply *r, bool comments)
{
    json_t *out = json_array ();
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (r->element[i]->type != REDIS_REPLY_STRING)
            continue;
        json_t *e = json_loads (r->element[i]->str, 0, NULL);
        if (!json_is_object (e)) {
            json_decref (e);
            continue;
        }
        json_t *at = json_object_get (e, "at");
        json_t *when = json_is_number (at) ? s_time_ms ((int64_t) json_number_value (at)) : json_null ();
        json_t *item = json_object ();
        if (comments) {
            json_t *pub = json_object_get (e, "public");
            json_object_set (item, "id", json_object_get (e, "id"));
            json_object_set (item, "author", json_object_get (e, "author"));
            json_object_set (item, "role", json_object_get (e, "role"));
            json_object_set_new (item, "public", json_boolean (json_is_true (pub)));
            json_object_set (item, "body", json_object_get (e, "body"));
            json_object_set_new (item, "at", when);
            json_t *sr = json_object_get (e, "standard_response");
            if (json_is_string (sr))
                json_object_set (item, "standard_response", sr);
        }
        else {
            json_object_set_new (item, "at", when);
            json_object_set (item, "actor", json_object_get (e, "actor"));
            json_object_set (item, "action", json_object_get (e, "action"));
            json_object_set_new (item, "details", s_details (json_object_get (e, "details")));
        }
        //  Keys a malformed entry lacks are null, never missing.
        const char *k;
        json_t *v;
        json_object_foreach (item, k, v)
            if (!v)
                json_object_set_new (item, k, json_null ());
        json_array_append_new (out, item);
        json_decref (e);
    }
    return out;
}

json_t *
opd_ticket_fetch (opd_redis_t *redis, const opd_config_t *cfg, const char *id, unsigned flags,
                  opd_ticket_error_t *err)
{
    if (err)
        memset (err, 0, sizeof *err);
    if (!id || !*id || strlen (id) > 64) {
        opd_tk_fail (err, OPD_TICKET_NOT_FOUND, "id", "no ticket '%s'", id ? id : "");
        return NULL;
    }
    opd_ticket_t tk;
    redisReply *h = NULL;
    int found = opd_store_ticket_get (redis, id, &tk, &h);
    if (found < 0) {
        opd_tk_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                h && h->type == REDIS_REPLY_ERROR ? h->str : opd_redis_error (redis));
        if (h)
            freeReplyObject (h);
        return NULL;
    }
    if (!found) {
        freeReplyObject (h);
        opd_tk_fail (err, OPD_TICKET_NOT_FOUND, "id", "no ticket '%s'", id);
        return NULL;
    }
    json_t *t = opd_tk_from_hash (&tk, h, cfg, flags & OPD_TICKET_LIVE);
    freeReplyObject (h);
    if (flags & OPD_TICKET_FULL) {
        redisReply *c = opd_redis_command (redis, "LRANGE " OPD_KEY_COMMENTS_FMT " 0 -1", id);
        redisReply *hi = c ? opd_redis_command (redis, "LRANGE " OPD_KEY_HISTORY_FMT " 0 -1", id) : NULL;
        if (!c || !hi) {
            opd_tk_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                    opd_redis_error (redis));
            if (c)
                freeReplyObject (c);
            json_decref (t);
            return NULL;
        }
        json_object_set_new (t, "comments", s_list (c, true));
        json_object_set_new (t, "history", s_list (hi, false));
        freeReplyObject (c);
        freeReplyObject (hi);
    }
    return t;
}

json_t *
opd_ticket_load (opd_redis_t *redis, const opd_config_t *cfg, const char *id, unsigned flags)
{
    return opd_ticket_fetch (redis, cfg, id, flags, NULL);
}
