/*  opd_ticket_queue: the queue of several teams at once and the counts per
    status, for the agent console (opd_ticket.h).

    Each team's queue opd:q:due:<team> is already in (due, id) order, so the
    first N of the teams together are among the first N of each: one page
    per team from the same cursor, merged and cut at N. The cursor is the
    (due, id) of the last item, as in a team's queue; a team's page starts
    after it whether or not that ticket is the team's. The counts are the
    counters queue_refresh keeps per team and status. */
#include "opd_ticket_int.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500

typedef struct {
    int64_t due;
    const char *id;
    json_t *ticket;  //  borrowed from the team pages
} merged_t;

static int
s_merged_cmp (const void *a, const void *b)
{
    const merged_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return strcmp (x->id, y->id);
}

static bool
s_open_status (const char *status)
{
    return !status || !*status || !strcmp (status, "new") || !strcmp (status, "open")
           || !strcmp (status, "pending");
}

//  Checks what opd_ticket_queue takes; fills err and returns -1 when bad.
static int
s_queue_check (const opd_ticket_query_t *q, int64_t *cur_score, const char **cur_id,
               opd_ticket_error_t *err)
{
    if (!s_open_status (q->status)) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "status", "a queue holds new, open and pending tickets, not '%s'",
                     q->status);
        return -1;
    }
    if (q->priority && *q->priority && !opd_priority_rank (q->priority)) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "priority", "priority must be one of P1, P2, P3, P4, not '%s'",
                     q->priority);
        return -1;
    }
    if (q->limit < 0 || q->limit > MAX_LIMIT || q->due_within < 0 || q->due_within > 525600) {
        opd_tk_fail (err, OPD_TICKET_INVALID, q->limit < 0 || q->limit > MAX_LIMIT ? "limit" : "due_within",
                     "limit must be 1 to %d and due_within 1 to 525600 minutes", MAX_LIMIT);
        return -1;
    }
    *cur_id = NULL;
    if (q->cursor && *q->cursor) {
        char *end = NULL;
        long long n = q->cursor[0] == 'd' ? strtoll (q->cursor + 1, &end, 10) : 0;
        if (!end || end == q->cursor + 1 || *end != '.' || !end[1]) {
            opd_tk_fail (err, OPD_TICKET_INVALID, "cursor", "cursor '%s' is not one this queue gave", q->cursor);
            return -1;
        }
        *cur_score = n;
        *cur_id = end + 1;
    }
    return 0;
}

//  Merges the team pages (items with their scores) into one page of limit.
static json_t *
s_merge (json_t *items, GArray *scores, int limit, bool more)
{
    size_t n = json_array_size (items);
    merged_t *m = opd_calloc (n + 1, sizeof *m);
    for (size_t i = 0; i < n; i++) {
        m[i].ticket = json_array_get (items, i);
        m[i].id = json_string_value (json_object_get (m[i].ticket, "id"));
        m[i].due = g_array_index (scores, int64_t, i);
        if (!m[i].id)
            m[i].id = "";
    }
    qsort (m, n, sizeof *m, s_merged_cmp);
    json_t *page = json_array ();
    for (size_t i = 0; i < n && i < (size_t) limit; i++) {
        json_object_set_new (m[i].ticket, "queue_due", json_integer (m[i].due));
        json_array_append (page, m[i].ticket);
    }
    json_t *next = json_null ();
    if (n > (size_t) limit || more) {
        size_t last = (n < (size_t) limit ? n : (size_t) limit) - 1;
        char *c = opd_sprintf ("d%lld.%s", (long long) m[last].due, m[last].id);
        next = json_string (c);
        free (c);
    }
    free (m);
    return json_pack ("{s:o, s:o}", "items", page, "next_cursor", next);
}

json_t *
opd_ticket_queue (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                  const char *const *teams, size_t nteams, opd_ticket_error_t *err)
{
    if (err)
        memset (err, 0, sizeof *err);
    int64_t cur_score = 0;
    const char *cur_id = NULL;
    if (s_queue_check (q, &cur_score, &cur_id, err))
        return NULL;
    int limit = q->limit ? q->limit : DEFAULT_LIMIT;
    int64_t max_due = INT64_MAX;
    if (q->breaching || q->due_within > 0) {
        int64_t now = opd_now_ms ();
        max_due = q->breaching ? now : now + (int64_t) q->due_within * 60000;
    }
    GPtrArray *words = q->q && *q->q ? opd_tk_words (q->q) : NULL;
    json_t *items = json_array ();
    GArray *scores = g_array_new (FALSE, FALSE, sizeof (int64_t));
    bool more = false;
    int rc = 0;
    for (size_t i = 0; i < nteams && rc == 0; i++) {
        opd_ticket_query_t tq = *q;
        tq.team = teams[i];
        //  Each team's page on its own: the limit counts that team's items.
        json_t *next = NULL, *page = json_array ();
        rc = opd_tk_list_queue (redis, cfg, &tq, words, limit, cur_id, cur_score, max_due, page, &next,
                                scores);
        json_array_extend (items, page);
        json_decref (page);
        more = more || (next && !json_is_null (next));
        json_decref (next);
    }
    if (words)
        g_ptr_array_free (words, TRUE);
    json_t *out = rc ? NULL : s_merge (items, scores, limit, more);
    json_decref (items);
    g_array_free (scores, TRUE);
    if (rc)
        opd_tk_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                     opd_redis_error (redis));
    return out;
}

//  --- Counts --------------------------------------------------------------

int
opd_ticket_counts (opd_redis_t *redis, const char *const *teams, size_t nteams, long long counts[5])
{
    for (size_t s = 0; s < 5; s++)
        counts[s] = 0;
    int rc = 0;
    for (size_t i = 0; i < nteams && rc == 0; i++) {
        char *key = opd_sprintf (OPD_KEY_COUNT_TEAM_FMT, teams[i]);
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HMGET");
        opd_args_add (&a, key);
        for (size_t s = 0; s < 5; s++)
            opd_args_add (&a, opd_ticket_statuses[s]);
        rc = opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        free (key);
    }
    for (size_t i = 0; i < nteams && rc == 0; i++) {
        redisReply *r = opd_redis_get_reply (redis);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 5)
            rc = -1;
        for (size_t s = 0; rc == 0 && s < 5; s++)
            if (r->element[s]->type == REDIS_REPLY_STRING)
                counts[s] += strtoll (r->element[s]->str, NULL, 10);
        if (r)
            freeReplyObject (r);
    }
    if (rc)
        opd_redis_disconnect (redis);  //  replies may be left unread
    return rc;
}
