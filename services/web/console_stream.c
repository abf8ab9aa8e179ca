/*  console_stream: the console's live updates, Server-Sent Events from the
    durable event history (opd:events).

    GET /agent/stream?ticket=ID      the events of one ticket
    GET /agent/stream?team=T         the events of the tickets of the queue's
                                     teams (console_teams: no team, the
                                     agent's own)

    Each event is "id: CURSOR" and "data: {"type", "ticket_id", "cursor"}":
    ids only, never the ticket's text, so the page fetches what it shows
    through its own checks. The stream starts after the Last-Event-ID header
    (what a browser sends when it reconnects by itself) or the after
    parameter (what the page sends when it resumes from a pause), else at
    the end of the history: nothing between the two is missed, as long as
    the history still holds it (events.max_len).

    A stream reads the history from its own cursor whenever it is woken, and
    holds no thread and no Redis connection while it waits. One thread per
    server (the pump) blocks on XREAD and wakes every stream when events
    arrive, and every SWEEP_MS besides (a stream that missed a wake, or whose
    Redis read failed, reads again then; one that has been quiet for
    KEEPALIVE_MS sends a comment line so that proxies and the idle timeout
    keep it open). A stream ends within SWEEP_MS of its session: signed
    out, or expired. */
#include "console.h"
#include "cursor.h"
#include "opd_event.h"
#include "opd_log.h"
#include "opd_redis.h"
#include "opd_store.h"
#include "opd_util.h"
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEEPALIVE_MS 15000
#define SWEEP_MS 5000     //  every stream is woken at least this often
#define BATCH 100         //  events read from the history at a time
#define PUMP_BLOCK_MS 1000
#define RETRY_MS 3000     //  what the browser waits before reconnecting

typedef struct {
    web_t *web;
    char cursor[48];      //  the last event read (sent or not for this stream)
    char ticket[32];      //  "" for a queue's stream
    char **teams;         //  the queue's teams (GStrv)
    GString *out;         //  written, not yet taken by the server
    size_t taken;
    int64_t last_ms;      //  monotonic time of the last write
    char session[96];     //  the session's key: the stream ends with it (sign-out, expiry)
    int64_t checked_ms;   //  monotonic time the session was last seen
    bool ended;
} stream_t;

//  --- One stream ----------------------------------------------------------

static bool
s_wanted (stream_t *st, opd_redis_t *redis, const char *id, GHashTable *teams_of)
{
    if (*st->ticket)
        return !strcmp (st->ticket, id);
    const char *team = g_hash_table_lookup (teams_of, id);
    if (!team) {
        bool failed = false;
        char *t = opd_store_field (redis, id, "team", &failed);
        g_hash_table_insert (teams_of, g_strdup (id), g_strdup (t ? t : ""));
        team = g_hash_table_lookup (teams_of, id);
        free (t);
    }
    return *team && g_strv_contains ((const char *const *) st->teams, team);
}

//  One event of the history (a reply element of XRANGE): its SSE lines when
//  the stream wants it. The cursor moves past it either way.
static void
s_event (stream_t *st, opd_redis_t *redis, const redisReply *e, GHashTable *teams_of)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
        return;
    snprintf (st->cursor, sizeof st->cursor, "%s", e->element[0]->str);
    const redisReply *f = e->element[1];
    const char *topic = NULL;
    json_t *ev = NULL;
    for (size_t j = 0; f->type == REDIS_REPLY_ARRAY && j + 1 < f->elements; j += 2) {
        const redisReply *k = f->element[j], *v = f->element[j + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (!strcmp (k->str, "t"))
            topic = v->str;
        else if (!strcmp (k->str, "m") && !ev)
            ev = opd_event_json (v->str, v->len);
    }
    const char *id = json_string_value (json_object_get (ev, "ticket_id"));
    if (topic && id && web_id_valid (id) && s_wanted (st, redis, id, teams_of)) {
        json_t *d = json_pack ("{s:s, s:s, s:s}", "type", topic, "ticket_id", id, "cursor", st->cursor);
        char *text = json_dumps (d, JSON_COMPACT);
        if (text)
            g_string_append_printf (st->out, "id: %s\ndata: %s\n\n", st->cursor, text);
        free (text);
        json_decref (d);
    }
    json_decref (ev);
}

//  Reads the history after the cursor, a batch at a time, until it is
//  read through or something is to be sent. Redis failing: nothing now.
static void
s_fill (stream_t *st)
{
    int gen = 0;
    opd_redis_t *redis = web_redis_take (st->web, &gen);
    if (opd_mono_ms () - st->checked_ms >= SWEEP_MS) {
        redisReply *e = opd_redis_command (redis, "EXISTS %s", st->session);
        st->ended = e && e->type == REDIS_REPLY_INTEGER && e->integer == 0;
        if (e)
            freeReplyObject (e);
        st->checked_ms = opd_mono_ms ();
    }
    if (st->ended) {
        web_redis_give (st->web, &redis, gen);
        return;
    }
    GHashTable *teams_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    for (bool more = true; more && st->out->len == st->taken;) {
        redisReply *r = opd_redis_command (redis, "XRANGE " OPD_KEY_EVENTS " (%s + COUNT %d", st->cursor, BATCH);
        more = r && r->type == REDIS_REPLY_ARRAY && r->elements == BATCH;
        for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
            s_event (st, redis, r->element[i], teams_of);
        if (r)
            freeReplyObject (r);
    }
    g_hash_table_destroy (teams_of);
    web_redis_give (st->web, &redis, gen);
}

static ssize_t
s_read (void *cls, char *buf, size_t max)
{
    stream_t *st = cls;
    if (st->out->len == st->taken) {
        g_string_truncate (st->out, 0);
        st->taken = 0;
        s_fill (st);
    }
    if (st->out->len == st->taken && opd_mono_ms () - st->last_ms >= KEEPALIVE_MS)
        g_string_append (st->out, ": keepalive\n\n");
    size_t n = st->out->len - st->taken;
    if (n == 0)
        return st->ended ? OPD_HTTP_STREAM_END : OPD_HTTP_STREAM_WAIT;
    n = n < max ? n : max;
    memcpy (buf, st->out->str + st->taken, n);
    st->taken += n;
    st->last_ms = opd_mono_ms ();
    return (ssize_t) n;
}

static void
s_done (void *cls)
{
    stream_t *st = cls;
    g_string_free (st->out, TRUE);
    g_strfreev (st->teams);
    free (st);
}

//  --- Opening one ---------------------------------------------------------

//  The last event of the history now; "0-0" when it is empty or Redis
//  failed (a stream then reads from the start, which is never wrong).
static void
s_last_id (opd_redis_t *redis, char *out, size_t size)
{
    snprintf (out, size, "0-0");
    redisReply *r = opd_redis_command (redis, "XREVRANGE " OPD_KEY_EVENTS " + - COUNT 1");
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY
        && r->element[0]->elements == 2 && r->element[0]->element[0]->type == REDIS_REPLY_STRING)
        snprintf (out, size, "%s", r->element[0]->element[0]->str);
    if (r)
        freeReplyObject (r);
}

//  Where the stream starts: Last-Event-ID, else after, else the end of the
//  history now. 0, or -1 for a cursor that is not one (answered 400).
static int
s_start (http_req_t *req, char *cursor, size_t size)
{
    const char *from = http_header (req, "Last-Event-ID");
    if (!from || !*from)
        from = http_arg (req, "after");
    uint64_t ms = 0, seq = 0;
    if (from && *from) {
        if (web_cursor_parse (from, &ms, &seq))
            return -1;
        snprintf (cursor, size, "%" PRIu64 "-%" PRIu64, ms, seq);
        return 0;
    }
    s_last_id (http_redis (req), cursor, size);
    return 0;
}

void
console_live_from (GString *b, http_req_t *req)
{
    char cursor[48];
    s_last_id (http_redis (req), cursor, sizeof cursor);
    g_string_append_printf (b, "<span hidden id=\"live-from\" data-cursor=\"%s\"></span>", cursor);
}

static bool
s_stream_arg (const char *name)
{
    return !strcmp (name, "ticket") || !strcmp (name, "team") || !strcmp (name, "after");
}

void
console_stream (http_req_t *req, const web_session_t *s)
{
    const char *ticket = http_arg (req, "ticket");
    const char *team = http_arg (req, "team");
    const char *bad = http_args_check (req, s_stream_arg);
    if (bad || (ticket && !web_id_valid (ticket)) || (team && *team && strcmp (team, "all")
                                                       && !opd_config_team (req->cfg, team))) {
        http_error (req, 400, "bad_request", "this stream takes ticket (an id), team and after");
        return;
    }
    stream_t *st = opd_calloc (1, sizeof *st);
    st->checked_ms = opd_mono_ms ();
    if (web_session_key (req, st->session, sizeof st->session)) {
        free (st);
        http_error (req, 401, "unauthorized", "the stream needs a signed-in session");
        return;
    }
    if (s_start (req, st->cursor, sizeof st->cursor)) {
        free (st);
        http_error (req, 400, "bad_request", "Last-Event-ID and after must be a cursor (like 1700000000000-0)");
        return;
    }
    st->web = req->web;
    snprintf (st->ticket, sizeof st->ticket, "%s", ticket ? ticket : "");
    const char **teams = opd_calloc (req->cfg->nteams + 1, sizeof *teams);
    size_t n = console_teams (req->cfg, &s->who, team, teams);
    st->teams = opd_calloc (n + 1, sizeof *st->teams);
    for (size_t i = 0; i < n; i++)
        st->teams[i] = g_strdup (teams[i]);
    free (teams);
    st->out = g_string_new (NULL);
    g_string_append_printf (st->out, "retry: %d\n\n", RETRY_MS);
    http_add_header (req, "Cache-Control", "no-store");
    http_add_header (req, "X-Accel-Buffering", "no");
    opd_http_stream (req->ex, 200, "text/event-stream; charset=utf-8",
                     (opd_http_stream_t) {.read = s_read, .done = s_done, .cls = st});
}

//  --- The pump ------------------------------------------------------------

struct _console_pump_t {
    opd_http_t *http;
    opd_redis_t *redis;
    pthread_t thread;
    int stop;             //  atomically
};

//  Waits for events after last (a stream id, updated); true when some came.
static bool
s_pump_wait (console_pump_t *self, char *last, size_t size)
{
    redisReply *r = opd_redis_command (self->redis, "XREAD COUNT %d BLOCK %d STREAMS " OPD_KEY_EVENTS " %s", BATCH,
                                       PUMP_BLOCK_MS, last);
    bool came = false;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2) {
        const redisReply *entries = r->element[0]->element[1];
        const redisReply *e = entries->elements ? entries->element[entries->elements - 1] : NULL;
        if (e && e->type == REDIS_REPLY_ARRAY && e->elements == 2 && e->element[0]->type == REDIS_REPLY_STRING) {
            snprintf (last, size, "%s", e->element[0]->str);
            came = true;
        }
    }
    else if (!r || r->type == REDIS_REPLY_ERROR) {
        struct timespec ts = {1, 0};
        nanosleep (&ts, NULL);
    }
    if (r)
        freeReplyObject (r);
    return came;
}

static void *
s_pump (void *arg)
{
    console_pump_t *self = arg;
    char last[48];
    s_last_id (self->redis, last, sizeof last);
    int64_t woken = opd_mono_ms ();
    while (!__atomic_load_n (&self->stop, __ATOMIC_ACQUIRE)) {
        bool came = s_pump_wait (self, last, sizeof last);
        if (came || opd_mono_ms () - woken >= SWEEP_MS) {
            opd_http_wake (self->http);
            woken = opd_mono_ms ();
        }
    }
    return NULL;
}

console_pump_t *
console_pump_start (opd_http_t *http, const opd_config_t *cfg)
{
    console_pump_t *self = opd_calloc (1, sizeof *self);
    self->http = http;
    self->redis = opd_redis_new (cfg);
    opd_redis_set_timeout (self->redis, PUMP_BLOCK_MS + 2000);
    if (pthread_create (&self->thread, NULL, s_pump, self)) {
        opd_error ("the console's live updates cannot start: no thread");
        opd_redis_destroy (&self->redis);
        free (self);
        return NULL;
    }
    return self;
}

void
console_pump_stop (console_pump_t **self_p)
{
    console_pump_t *self = *self_p;
    if (!self)
        return;
    __atomic_store_n (&self->stop, 1, __ATOMIC_RELEASE);
    pthread_join (self->thread, NULL);
    opd_redis_destroy (&self->redis);
    free (self);
    *self_p = NULL;
}
