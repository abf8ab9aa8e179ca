/*  opd_ticket_list: the list and queue queries of opd_ticket.h.

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
#include "opd_ticket_int.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500
#define CHUNK 256
#define QUEUE_CHUNK_MAX 1024

//  --- Lists ---------------------------------------------------------------

//  Case-folded words of UTF-8 text: runs of letters and digits.
GPtrArray *
opd_tk_words (const char *text)
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
    GPtrArray *sw = opd_tk_words (subject);
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
    if (q->unassigned && s_given (t->assignee))
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

//  A page of a team's queue (opd_ticket_int.h).
int
opd_tk_list_queue (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                   GPtrArray *qwords, int limit, const char *cur_id, int64_t cur_score, int64_t max_due,
                   json_t *items, json_t **next_cursor, GArray *out_scores)
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
                json_array_append_new (items, opd_tk_from_hash (&tk, hs[i], cfg, q->live));
                if (out_scores)
                    g_array_append_val (out_scores, scores[i]);
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

static json_t *s_list (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                        opd_ticket_error_t *err);

//  A team's tickets soonest due first, whatever their status (decision
//  175): its queue from the due index, then the tickets without a deadline,
//  resolved and then closed, each newest first. The cursor says where: a
//  queue cursor ('d...'), or 'r' / 's' before a resolved / closed one ("r"
//  alone: the first resolved ticket).
static json_t *
s_list_team_all (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                 opd_ticket_error_t *err)
{
    static const char tags[] = {0, 'r', 's'};
    static const char *const statuses[] = {NULL, "resolved", "closed"};
    const char *cur = q->cursor;
    int phase = 0;
    if (cur && (cur[0] == 'r' || cur[0] == 's')) {
        phase = cur[0] == 'r' ? 1 : 2;
        cur = cur[1] ? cur + 1 : NULL;
    }
    size_t limit = (size_t) (q->limit > 0 && q->limit <= MAX_LIMIT ? q->limit : DEFAULT_LIMIT);
    json_t *items = json_array ();
    char *next = NULL;
    for (; phase < 3 && json_array_size (items) < limit && !next; phase++, cur = NULL) {
        opd_ticket_query_t sub = *q;
        sub.limit = (int) (limit - json_array_size (items));
        sub.cursor = cur;
        sub.status = statuses[phase];
        sub.sort = phase ? NULL : q->sort;
        json_t *page = s_list (redis, cfg, &sub, err);
        if (!page) {
            json_decref (items);
            return NULL;
        }
        json_array_extend (items, json_object_get (page, "items"));
        const char *more = json_string_value (json_object_get (page, "next_cursor"));
        if (more)
            next = tags[phase] ? opd_sprintf ("%c%s", tags[phase], more) : opd_strdup (more);
        else if (json_array_size (items) == limit && phase < 2)
            next = opd_sprintf ("%c", tags[phase + 1]);  //  full: the next part starts next page
        json_decref (page);
    }
    json_t *out = json_pack ("{s:o, s:o}", "items", items, "next_cursor", next ? json_string (next) : json_null ());
    free (next);
    return out;
}

json_t *
opd_ticket_list (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                 opd_ticket_error_t *err)
{
    if (err)
        memset (err, 0, sizeof *err);
    bool team_all = s_given (q->team) && !s_given (q->status) && s_given (q->sort) && !strcmp (q->sort, "due")
                    && !q->breaching && q->due_within <= 0 && q->limit >= 0 && q->limit <= MAX_LIMIT;
    return team_all ? s_list_team_all (redis, cfg, q, err) : s_list (redis, cfg, q, err);
}

static json_t *
s_list (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q, opd_ticket_error_t *err)
{
    if (err)
        memset (err, 0, sizeof *err);
    if (s_given (q->status) && !opd_ticket_status_valid (q->status)) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "status",
                "status must be one of new, open, pending, resolved, closed, not '%s'", q->status);
        return NULL;
    }
    if (s_given (q->priority) && !opd_priority_rank (q->priority)) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "priority", "priority must be one of P1, P2, P3, P4, not '%s'",
                q->priority);
        return NULL;
    }
    bool by_due = s_given (q->sort) && !strcmp (q->sort, "due");
    if (s_given (q->sort) && !by_due && strcmp (q->sort, "created")) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "sort", "sort must be 'due' or 'created', not '%s'", q->sort);
        return NULL;
    }
    if (q->due_within < 0 || q->due_within > 525600) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "due_within",
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
        opd_tk_fail (err, OPD_TICKET_INVALID, "limit", "limit must be between 1 and %d", MAX_LIMIT);
        return NULL;
    }
    int limit = q->limit ? q->limit : DEFAULT_LIMIT;
    int64_t cur_score = 0;
    const char *cur_id = NULL;
    if (s_given (q->cursor) && s_cursor_parse (q->cursor, by_due ? 'd' : 'c', &cur_score, &cur_id)) {
        opd_tk_fail (err, OPD_TICKET_INVALID, "cursor", "cursor '%s' is not one this list gave", q->cursor);
        return NULL;
    }
    bool open_status = !s_given (q->status) || !strcmp (q->status, "new") || !strcmp (q->status, "open")
                       || !strcmp (q->status, "pending");
    if (by_due && s_given (q->team) && open_status) {
        GPtrArray *words = s_given (q->q) ? opd_tk_words (q->q) : NULL;
        json_t *items = json_array ();
        json_t *next = NULL;
        int bad = opd_tk_list_queue (redis, cfg, q, words, limit, cur_id, cur_score, max_due, items, &next,
                                    NULL);
        if (words)
            g_ptr_array_free (words, TRUE);
        if (bad) {
            json_decref (items);
            json_decref (next);
            opd_tk_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                    opd_redis_error (redis));
            return NULL;
        }
        return json_pack ("{s:o, s:o}", "items", items, "next_cursor", next ? next : json_null ());
    }
    int rc;
    char *index = s_pick_index (redis, q, &rc);
    if (rc) {
        opd_tk_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                opd_redis_error (redis));
        return NULL;
    }
    GPtrArray *qwords = s_given (q->q) ? opd_tk_words (q->q) : NULL;
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
                    int64_t due = opd_tk_next_due (&tk);
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
                        dues[ndue].ticket = opd_tk_from_hash (&tk, h, cfg, q->live);
                        ndue++;
                    }
                }
                else if (json_array_size (items) < (size_t) limit) {
                    json_array_append_new (items, opd_tk_from_hash (&tk, h, cfg, q->live));
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
        opd_tk_fail (err, OPD_TICKET_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
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
