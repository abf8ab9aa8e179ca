/*  opd_ticket: see opd_ticket.h.

    A list query walks one index set (a sorted set scored by created_at) from
    newest to oldest and keeps the tickets that pass every filter. The cursor
    names the last ticket returned by its score and id, so that tickets
    created or changed between two pages neither repeat nor push others out.

    A team's queue by due time reads opd:q:due:<team> (kept by queue_refresh
    in prelude.lua, atomically with every change of team, status or clocks)
    in order, and pages by (due, id), the order of the sorted set itself: a
    page starts after the cursor's (due, id), found by ZRANK when that ticket
    still has that due time, else by counting the smaller scores and skipping
    ties up to the id. Other sort=due lists read every candidate of the
    smallest index, sort them by the same due time, and page the same way. */
#include "opd_ticket.h"
#include "opd_calendar.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500
#define CHUNK 256
//  The score of a ticket without a deadline in opd:q:due:<team>
//  (QUEUE_LAST in prelude.lua), plus its created_at.
#define QUEUE_LAST 8000000000000000LL
#define QUEUE_CHUNK_MAX 1024

const char *const opd_ticket_statuses[] = {"new", "open", "pending", "resolved", "closed", NULL};

bool
opd_ticket_status_valid (const char *status)
{
    for (int i = 0; status && opd_ticket_statuses[i]; i++)
        if (!strcmp (status, opd_ticket_statuses[i]))
            return true;
    return false;
}

static void
s_fail (opd_ticket_error_t *err, opd_ticket_status_t code, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_fail (opd_ticket_error_t *err, opd_ticket_status_t code, const char *key, const char *fmt, ...)
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
        if (k == OPD_CLOCK_NR && !present && !(policy && policy->next_reply > 0) && !t->nr_start)
            continue;
        int64_t ms;
        json_t *c = json_object ();
        json_object_set_new (c, "policy", policy_name && *policy_name ? s_string (policy_name) : json_null ());
        json_object_set_new (c, "due_at", s_ms (due, &ms) ? s_time_ms (ms) : json_null ());
        json_object_set_new (c, "state", state && *state ? s_string (state) : json_null ());
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
static int64_t
s_next_due (const opd_ticket_t *t)
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
static json_t *
s_from_hash (const opd_ticket_t *tk, const redisReply *h, const opd_config_t *cfg, bool live)
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
    json_object_set_new (t, "missing_fields", s_json (tk->missing, JSON_ARRAY));
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
        s_fail (err, OPD_TICKET_NOT_FOUND, "id", "no ticket '%s'", id ? id : "");
        return NULL;
    }
    opd_ticket_t tk;
    redisReply *h = NULL;
    int found = opd_store_ticket_get (redis, id, &tk, &h);
    if (found < 0) {
        s_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                h && h->type == REDIS_REPLY_ERROR ? h->str : opd_redis_error (redis));
        if (h)
            freeReplyObject (h);
        return NULL;
    }
    if (!found) {
        freeReplyObject (h);
        s_fail (err, OPD_TICKET_NOT_FOUND, "id", "no ticket '%s'", id);
        return NULL;
    }
    json_t *t = s_from_hash (&tk, h, cfg, flags & OPD_TICKET_LIVE);
    freeReplyObject (h);
    if (flags & OPD_TICKET_FULL) {
        redisReply *c = opd_redis_command (redis, "LRANGE " OPD_KEY_COMMENTS_FMT " 0 -1", id);
        redisReply *hi = c ? opd_redis_command (redis, "LRANGE " OPD_KEY_HISTORY_FMT " 0 -1", id) : NULL;
        if (!c || !hi) {
            s_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
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

//  --- Lists ---------------------------------------------------------------

//  Case-folded words of UTF-8 text: runs of letters and digits.
static GPtrArray *
s_words (const char *text)
{
    GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
    if (!text || !g_utf8_validate (text, -1, NULL))
        return words;
    gchar *folded = g_utf8_casefold (text, -1);
    const char *p = folded, *start = NULL;
    while (true) {
        gunichar c = *p ? g_utf8_get_char (p) : 0;
        bool word = c && g_unichar_isalnum (c);
        if (word && !start)
            start = p;
        if (!word && start) {
            g_ptr_array_add (words, g_strndup (start, (gsize) (p - start)));
            start = NULL;
        }
        if (!c)
            break;
        p = g_utf8_next_char (p);
    }
    g_free (folded);
    return words;
}

static bool
s_subject_matches (const char *subject, GPtrArray *qwords)
{
    if (!qwords || qwords->len == 0)
        return true;
    GPtrArray *sw = s_words (subject);
    bool all = true;
    for (guint i = 0; i < qwords->len && all; i++) {
        bool found = false;
        for (guint j = 0; j < sw->len && !found; j++)
            found = !strcmp (g_ptr_array_index (qwords, i), g_ptr_array_index (sw, j));
        all = found;
    }
    g_ptr_array_free (sw, TRUE);
    return all;
}

static bool
s_given (const char *v)
{
    return v && *v;
}

static bool
s_filter_eq (const char *want, const char *have)
{
    return !s_given (want) || (have && !strcmp (want, have));
}

static bool
s_matches (const opd_ticket_t *t, const opd_ticket_query_t *q, GPtrArray *qwords)
{
    if (!t->id)
        return false;
    if (!s_filter_eq (q->status, t->status) || !s_filter_eq (q->team, t->team)
        || !s_filter_eq (q->priority, t->priority) || !s_filter_eq (q->assignee, t->assignee))
        return false;
    if (s_given (q->requester)) {
        const char *e = t->req_email;
        if (!e || g_ascii_strcasecmp (e, q->requester))
            return false;
    }
    return s_subject_matches (t->subject, qwords);
}

//  A cursor: 'c' or 'd', a number (created_at or due, ms), '.', the ticket id.
static int
s_cursor_parse (const char *text, char kind, int64_t *score, const char **id)
{
    if (!text || text[0] != kind)
        return -1;
    char *end = NULL;
    long long n = strtoll (text + 1, &end, 10);
    if (end == text + 1 || *end != '.' || !end[1])
        return -1;
    *score = n;
    *id = end + 1;
    return 0;
}

static char *
s_cursor (char kind, int64_t score, const char *id)
{
    return opd_sprintf ("%c%lld.%s", kind, (long long) score, id);
}

static redisReply *
s_hgetall (opd_redis_t *redis, const char *id, opd_ticket_t *t)
{
    redisReply *h = NULL;
    if (opd_store_ticket_get (redis, id, t, &h) < 0) {
        if (h)
            freeReplyObject (h);
        return NULL;
    }
    return h;
}

//  The index set to walk: the smallest of those the filters name.
static char *
s_pick_index (opd_redis_t *redis, const opd_ticket_query_t *q, int *rc)
{
    char *candidates[3];
    int n = 0;
    if (s_given (q->requester)) {
        gchar *lower = g_ascii_strdown (q->requester, -1);
        candidates[n++] = opd_sprintf (OPD_KEY_IDX_REQ_FMT, lower);
        g_free (lower);
    }
    if (s_given (q->team))
        candidates[n++] = opd_sprintf (OPD_KEY_IDX_TEAM_FMT, q->team);
    if (s_given (q->status))
        candidates[n++] = opd_sprintf (OPD_KEY_IDX_STATUS_FMT, q->status);
    *rc = 0;
    if (n == 0)
        return opd_strdup (OPD_KEY_IDX_ALL);
    int best = 0;
    long long best_card = -1;
    for (int i = 0; i < n; i++) {
        redisReply *r = opd_redis_command (redis, "ZCARD %s", candidates[i]);
        if (!r || r->type != REDIS_REPLY_INTEGER) {
            if (r)
                freeReplyObject (r);
            *rc = -1;
            break;
        }
        if (best_card < 0 || r->integer < best_card) {
            best_card = r->integer;
            best = i;
        }
        freeReplyObject (r);
    }
    for (int i = 0; i < n; i++)
        if (i != best)
            free (candidates[i]);
    if (*rc) {
        free (candidates[best]);
        return NULL;
    }
    return candidates[best];
}

typedef struct {
    int64_t due;
    char *id;
    json_t *ticket;
} due_item_t;

static int
s_due_cmp (const void *a, const void *b)
{
    const due_item_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return strcmp (x->id, y->id);
}

//  --- Team queues ------------------------------------------------------------

//  The rank in key of the first member after (score, id) in the set's own
//  order (score, then id bytewise); *exact is false when that ticket no
//  longer sits there, so the caller must skip ties up to id itself.
static int
s_queue_start (opd_redis_t *redis, const char *key, int64_t score, const char *id, long long *start,
               bool *exact)
{
    redisReply *r = opd_redis_command (redis, "ZSCORE %s %s", key, id);
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    bool same = r->type != REDIS_REPLY_NIL && (int64_t) strtod (r->str, NULL) == score;
    freeReplyObject (r);
    r = same ? opd_redis_command (redis, "ZRANK %s %s", key, id)
             : opd_redis_command (redis, "ZCOUNT %s -inf (%lld", key, (long long) score);
    if (!r || (r->type != REDIS_REPLY_INTEGER && r->type != REDIS_REPLY_NIL)) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    if (r->type == REDIS_REPLY_NIL) {
        //  Gone between the two reads: count instead.
        freeReplyObject (r);
        r = opd_redis_command (redis, "ZCOUNT %s -inf (%lld", key, (long long) score);
        if (!r || r->type != REDIS_REPLY_INTEGER) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        same = false;
    }
    *start = same ? r->integer + 1 : r->integer;
    *exact = same;
    freeReplyObject (r);
    return 0;
}

//  A page of a team's queue: opd:q:due:<team> in order from the cursor,
//  up to max_due, every other filter checked on the ticket. Returns 0 with
//  items and *next_cursor filled in, -1 when Redis failed.
static int
s_list_queue (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
              GPtrArray *qwords, int limit, const char *cur_id, int64_t cur_score, int64_t max_due,
              json_t *items, json_t **next_cursor)
{
    char *key = opd_sprintf (OPD_KEY_QUEUE_DUE_FMT, q->team);
    bool have_last = cur_id != NULL;
    int64_t last_score = cur_score;
    char last_id[128] = "";
    if (have_last)
        snprintf (last_id, sizeof last_id, "%s", cur_id);
    int64_t page_score = 0;
    char page_id[128] = "";
    int chunk = limit + 1;
    bool done = false;
    int rc = 0;
    long long start = 0;
    bool exact = true;
    bool need_pos = have_last;
    while (!done && rc == 0) {
        //  Each chunk starts after the last (due, id) seen, found again, so
        //  that tickets moving meanwhile are neither repeated nor skipped.
        if (need_pos && s_queue_start (redis, key, last_score, last_id, &start, &exact)) {
            rc = -1;
            break;
        }
        need_pos = false;
        redisReply *r = opd_redis_command (redis, "ZRANGE %s %lld %lld WITHSCORES", key, start,
                                           start + chunk - 1);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            rc = -1;
            break;
        }
        size_t n = r->elements / 2;  //  member, score pairs
        const char **ids = opd_calloc (n + 1, sizeof (char *));
        int64_t *scores = opd_calloc (n + 1, sizeof (int64_t));
        size_t m = 0;
        bool past_end = false;
        for (size_t i = 0; i < n; i++) {
            redisReply *mem = r->element[2 * i];
            int64_t score = (int64_t) strtod (r->element[2 * i + 1]->str, NULL);
            if (score > max_due) {
                past_end = true;
                break;
            }
            //  Without the cursor's ticket in place, ties up to its id were on earlier pages.
            if (have_last && !exact && score == last_score && strcmp (mem->str, last_id) <= 0)
                continue;
            ids[m] = mem->str;
            scores[m++] = score;
        }
        //  The candidates' hashes, pipelined: one round trip for the chunk.
        for (size_t i = 0; i < m && rc == 0; i++)
            rc = opd_store_ticket_append (redis, ids[i]);
        redisReply **hs = opd_calloc (m + 1, sizeof (redisReply *));
        for (size_t i = 0; i < m && rc == 0; i++) {
            hs[i] = opd_redis_get_reply (redis);
            if (!hs[i] || hs[i]->type != REDIS_REPLY_ARRAY)
                rc = -1;
        }
        if (rc)
            opd_redis_disconnect (redis);  //  replies may be left unread
        for (size_t i = 0; i < m && rc == 0 && !done; i++) {
            have_last = true;
            last_score = scores[i];
            snprintf (last_id, sizeof last_id, "%s", ids[i]);
            opd_ticket_t tk;
            opd_store_ticket_read (&tk, hs[i]);
            if (!s_matches (&tk, q, qwords))
                continue;
            if (json_array_size (items) < (size_t) limit) {
                json_array_append_new (items, s_from_hash (&tk, hs[i], cfg, q->live));
                page_score = scores[i];
                snprintf (page_id, sizeof page_id, "%s", ids[i]);
            }
            else {
                char *c = s_cursor ('d', page_score, page_id);
                *next_cursor = json_string (c);
                free (c);
                done = true;
            }
        }
        for (size_t i = 0; i < m; i++)
            if (hs[i])
                freeReplyObject (hs[i]);
        free (hs);
        free (ids);
        free (scores);
        freeReplyObject (r);
        if (past_end || n < (size_t) chunk)
            done = true;
        else if (m == 0)
            start += (long long) n;  //  a whole chunk of ties already seen: step past by rank
        else
            need_pos = true;
        if (!done && chunk < QUEUE_CHUNK_MAX)
            chunk *= 2;  //  filters dropped some: read further, in bigger steps
    }
    free (key);
    return rc;
}

json_t *
opd_ticket_list (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                 opd_ticket_error_t *err)
{
    if (err)
        memset (err, 0, sizeof *err);
    if (s_given (q->status) && !opd_ticket_status_valid (q->status)) {
        s_fail (err, OPD_TICKET_INVALID, "status",
                "status must be one of new, open, pending, resolved, closed, not '%s'", q->status);
        return NULL;
    }
    if (s_given (q->priority) && !opd_priority_rank (q->priority)) {
        s_fail (err, OPD_TICKET_INVALID, "priority", "priority must be one of P1, P2, P3, P4, not '%s'",
                q->priority);
        return NULL;
    }
    bool by_due = s_given (q->sort) && !strcmp (q->sort, "due");
    if (s_given (q->sort) && !by_due && strcmp (q->sort, "created")) {
        s_fail (err, OPD_TICKET_INVALID, "sort", "sort must be 'due' or 'created', not '%s'", q->sort);
        return NULL;
    }
    if (q->due_within < 0 || q->due_within > 525600) {
        s_fail (err, OPD_TICKET_INVALID, "due_within",
                "due_within must be a number of minutes from 1 to 525600");
        return NULL;
    }
    //  Deadline filters: the list comes soonest due first.
    int64_t max_due = INT64_MAX;
    if (q->breaching || q->due_within > 0) {
        int64_t now = opd_now_ms ();
        by_due = true;
        max_due = q->breaching ? now : now + (int64_t) q->due_within * 60000;
    }
    if (q->limit < 0 || q->limit > MAX_LIMIT) {
        s_fail (err, OPD_TICKET_INVALID, "limit", "limit must be between 1 and %d", MAX_LIMIT);
        return NULL;
    }
    int limit = q->limit ? q->limit : DEFAULT_LIMIT;
    int64_t cur_score = 0;
    const char *cur_id = NULL;
    if (s_given (q->cursor) && s_cursor_parse (q->cursor, by_due ? 'd' : 'c', &cur_score, &cur_id)) {
        s_fail (err, OPD_TICKET_INVALID, "cursor", "cursor '%s' is not one this list gave", q->cursor);
        return NULL;
    }
    bool open_status = !s_given (q->status) || !strcmp (q->status, "new") || !strcmp (q->status, "open")
                       || !strcmp (q->status, "pending");
    if (by_due && s_given (q->team) && open_status) {
        GPtrArray *words = s_given (q->q) ? s_words (q->q) : NULL;
        json_t *items = json_array ();
        json_t *next = NULL;
        int bad = s_list_queue (redis, cfg, q, words, limit, cur_id, cur_score, max_due, items, &next);
        if (words)
            g_ptr_array_free (words, TRUE);
        if (bad) {
            json_decref (items);
            json_decref (next);
            s_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                    opd_redis_error (redis));
            return NULL;
        }
        return json_pack ("{s:o, s:o}", "items", items, "next_cursor", next ? next : json_null ());
    }
    int rc;
    char *index = s_pick_index (redis, q, &rc);
    if (rc) {
        s_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                opd_redis_error (redis));
        return NULL;
    }
    GPtrArray *qwords = s_given (q->q) ? s_words (q->q) : NULL;
    json_t *items = json_array ();
    json_t *next_cursor = json_null ();
    bool failed = false;

    //  Walk the index newest first, chunk by chunk. Each chunk starts after
    //  the last (score, id) seen, found again by score, so that the walk is
    //  right even when tickets come and go between chunks.
    size_t ndue = 0, capdue = 0;
    due_item_t *dues = NULL;
    bool have_last = !by_due && cur_id != NULL;
    int64_t last_score = cur_score;
    char last_id[128] = "";
    if (have_last)
        snprintf (last_id, sizeof last_id, "%s", cur_id);
    int64_t page_score = 0;      //  (score, id) of the last item on the page
    char page_id[128] = "";
    int chunk = CHUNK;
    bool done = false;
    while (!done && !failed) {
        long long start = 0;
        if (have_last) {
            redisReply *c = opd_redis_command (redis, "ZCOUNT %s (%lld +inf", index, (long long) last_score);
            if (!c || c->type != REDIS_REPLY_INTEGER) {
                if (c)
                    freeReplyObject (c);
                failed = true;
                break;
            }
            start = c->integer;
            freeReplyObject (c);
        }
        redisReply *r = opd_redis_command (redis, "ZREVRANGE %s %lld %lld WITHSCORES", index, start,
                                           start + chunk - 1);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            failed = true;
            break;
        }
        size_t n = r->elements / 2;
        bool advanced = false;
        for (size_t i = 0; i < n && !done; i++) {
            const char *id = r->element[2 * i]->str;
            int64_t score = (int64_t) strtod (r->element[2 * i + 1]->str, NULL);
            //  Ties on the score come in reverse order of id: skip up to the last one.
            if (have_last && score == last_score && strcmp (id, last_id) >= 0)
                continue;
            advanced = true;
            have_last = true;
            last_score = score;
            snprintf (last_id, sizeof last_id, "%s", id);
            opd_ticket_t tk;
            redisReply *h = s_hgetall (redis, id, &tk);
            if (!h) {
                failed = true;
                break;
            }
            if (s_matches (&tk, q, qwords)) {
                if (by_due) {
                    int64_t due = s_next_due (&tk);
                    if (due > max_due)
                        ;  //  not due soon enough
                    else if (!cur_id || due > cur_score || (due == cur_score && strcmp (id, cur_id) > 0)) {
                        if (ndue == capdue) {
                            capdue = capdue ? capdue * 2 : 64;
                            dues = realloc (dues, capdue * sizeof *dues);
                            if (!dues)
                                abort ();
                        }
                        dues[ndue].due = due;
                        dues[ndue].id = opd_strdup (id);
                        dues[ndue].ticket = s_from_hash (&tk, h, cfg, q->live);
                        ndue++;
                    }
                }
                else if (json_array_size (items) < (size_t) limit) {
                    json_array_append_new (items, s_from_hash (&tk, h, cfg, q->live));
                    page_score = score;
                    snprintf (page_id, sizeof page_id, "%s", id);
                }
                else {
                    //  One more match exists, so there is a next page.
                    char *c = s_cursor ('c', page_score, page_id);
                    json_decref (next_cursor);
                    next_cursor = json_string (c);
                    free (c);
                    done = true;
                }
            }
            freeReplyObject (h);
        }
        freeReplyObject (r);
        if (failed || done)
            break;
        if (n < (size_t) chunk)
            done = true;  //  the end of the index
        else if (!advanced)
            chunk *= 2;   //  a whole chunk of ties already seen: look further
    }
    free (index);
    if (qwords)
        g_ptr_array_free (qwords, TRUE);
    if (failed) {
        for (size_t i = 0; i < ndue; i++) {
            free (dues[i].id);
            json_decref (dues[i].ticket);
        }
        free (dues);
        json_decref (items);
        json_decref (next_cursor);
        s_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                opd_redis_error (redis));
        return NULL;
    }
    json_t *out = json_object ();
    if (by_due) {
        qsort (dues, ndue, sizeof *dues, s_due_cmp);
        for (size_t i = 0; i < ndue; i++) {
            if (i < (size_t) limit)
                json_array_append (items, dues[i].ticket);
            if (i + 1 == (size_t) limit && ndue > (size_t) limit) {
                //  More follow: the page ends here.
                char *c = s_cursor ('d', dues[i].due, dues[i].id);
                json_decref (next_cursor);
                next_cursor = json_string (c);
                free (c);
            }
            free (dues[i].id);
            json_decref (dues[i].ticket);
        }
        free (dues);
    }
    json_object_set_new (out, "items", items);
    json_object_set_new (out, "next_cursor", next_cursor);
    return out;
}
