/*  api_events: GET /api/v1/events?since=&topic=&limit=, the durable event
    history (the stream opd:events) a page at a time, each event as JSON
    (opd_event_json, as the webhooks send it) with a cursor to resume after it.
    Agents and above (the route table in api.c). */
#include "api.h"
#include "cursor.h"
#include "opd_event.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_DEFAULT 100
#define EVENTS_MAX 1000

static bool
s_events_arg (const char *name)
{
    return !strcmp (name, "since") || !strcmp (name, "topic") || !strcmp (name, "limit");
}

void
api_events (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;
    (void) id;
    const char *bad = http_args_check (req, s_events_arg);
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                      "unknown query parameter '%s'; allowed: since, topic, limit", bad);
        return;
    }
    const char *since = http_arg (req, "since");
    const char *topic = http_arg (req, "topic");
    const char *lim = http_arg (req, "limit");
    uint64_t since_ms = 0, since_seq = 0;
    if (since && *since && web_cursor_parse (since, &since_ms, &since_seq)) {
        http_error_x (req, 400, "bad_request", json_pack ("{s:s}", "key", "since"),
                      "since must be a cursor from an earlier answer (like 1700000000000-0)");
        return;
    }
    int limit = EVENTS_DEFAULT;
    if (lim) {
        char *end = NULL;
        long n = strtol (lim, &end, 10);
        if (!*lim || *end || n < 1 || n > EVENTS_MAX) {
            http_error_x (req, 400, "bad_request", json_pack ("{s:s}", "key", "limit"),
                          "limit must be a number from 1 to %d", EVENTS_MAX);
            return;
        }
        limit = (int) n;
    }
    size_t tlen = topic ? strlen (topic) : 0;
    json_t *items = json_array ();
    //  The cursor as Redis writes it; nothing comes after the largest one
    //  (and Redis refuses an interval starting after it).
    char *last = since && *since ? opd_sprintf ("%" PRIu64 "-%" PRIu64, since_ms, since_seq) : NULL;
    opd_redis_t *redis = http_redis (req);
    bool more = !(last && since_ms == UINT64_MAX && since_seq == UINT64_MAX);
    while (more && (int) json_array_size (items) < limit) {
        char start[64];
        snprintf (start, sizeof start, "%s%s", last ? "(" : "", last ? last : "-");
        int chunk = limit * 2 < 200 ? 200 : limit * 2;
        redisReply *r = opd_redis_command (redis, "XRANGE " OPD_KEY_EVENTS " %s + COUNT %d", start, chunk);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            http_error (req, 503, "unavailable", "the event history is unavailable: %s",
                        r && r->type == REDIS_REPLY_ERROR ? r->str : opd_redis_error (redis));
            if (r)
                freeReplyObject (r);
            json_decref (items);
            free (last);
            return;
        }
        more = r->elements == (size_t) chunk;
        for (size_t i = 0; i < r->elements && (int) json_array_size (items) < limit; i++) {
            redisReply *e = r->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
                continue;
            free (last);
            last = opd_strdup (e->element[0]->str);
            redisReply *f = e->element[1];
            const char *t = NULL, *m = NULL;
            size_t mlen = 0;
            for (size_t j = 0; f->type == REDIS_REPLY_ARRAY && j + 1 < f->elements; j += 2) {
                if (f->element[j]->type != REDIS_REPLY_STRING || f->element[j + 1]->type != REDIS_REPLY_STRING)
                    continue;
                if (!strcmp (f->element[j]->str, "t"))
                    t = f->element[j + 1]->str;
                else if (!strcmp (f->element[j]->str, "m")) {
                    m = f->element[j + 1]->str;
                    mlen = f->element[j + 1]->len;
                }
            }
            if (!t || !m || (tlen && strncmp (t, topic, tlen)))
                continue;
            json_t *ev = opd_event_json (m, mlen);
            if (ev) {
                if (!json_object_get (ev, "type"))
                    json_object_set_new (ev, "type", json_string (t));
                json_object_set_new (ev, "cursor", json_string (last));
                json_array_append_new (items, ev);
            }
        }
        if (r->elements == 0)
            more = false;
        freeReplyObject (r);
    }
    //  An empty history still gives a cursor: "0-0", before every event.
    json_t *page = json_pack ("{s:o, s:s}", "items", items, "next_cursor", last ? last : "0-0");
    free (last);
    http_json (req, 200, page);
}
