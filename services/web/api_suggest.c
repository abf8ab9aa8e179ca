/*  api_suggest: GET /api/v1/tickets/ID/suggestions, the standard responses
    an agent may want to send on a ticket, ranked by what matched, each with
    its reasons, how often it was sent and how many of its tickets were
    reopened within 7 days of their resolution, and a preview rendered for this
    ticket (or the variable that has no value, which would refuse the send),
    with due times in the requester's zone as the send would print them.

    What counts, strongest first: the routing rule that routed the ticket
    names the response (100); a keyword of a rule that names the response is
    in the ticket's subject or body where the rule looks (10 each, whole
    words, case-insensitive, as the router matches them); a word of four
    letters or more of the response's subject is in the ticket's subject
    (1 each). Responses that match nothing are not listed, unless ?all=true
    (every configured response, for an agent choosing one by id with its
    preview). Ties go to the response sent more often, then to the id.
    Agents and above. */
#include "api.h"
#include "opd_log.h"
#include "opd_req_tz.h"
#include "opd_stdresp.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const opd_stdresp_t *sr;
    int score;
    long long used_agent, used_automatic, reopened;
    json_t *reasons;
} suggestion_t;

//  Whether keyword is in text as whole words (spaces inside it match any
//  run of white space), ignoring case.
static bool
s_has_words (const char *text, const char *keyword)
{
    if (!text || !*text)
        return false;
    GString *pattern = g_string_new ("(?<!\\w)");
    gchar **words = g_strsplit_set (keyword, " \t\n", -1);
    bool any = false;
    for (gchar **w = words; *w; w++) {
        if (!**w)
            continue;
        char *escaped = g_regex_escape_string (*w, -1);
        g_string_append_printf (pattern, "%s%s", any ? "\\s+" : "", escaped);
        g_free (escaped);
        any = true;
    }
    g_strfreev (words);
    g_string_append (pattern, "(?!\\w)");
    GRegex *re = any ? g_regex_new (pattern->str, G_REGEX_CASELESS, 0, NULL) : NULL;
    bool found = re && g_regex_match (re, text, 0, NULL);
    if (re)
        g_regex_unref (re);
    g_string_free (pattern, TRUE);
    return found;
}

static void
s_reason (suggestion_t *s, int points, const char *fmt, const char *a, const char *b)
{
    char buf[512];
    snprintf (buf, sizeof buf, fmt, a, b);
    s->score += points;
    json_array_append_new (s->reasons, json_string (buf));
}

//  The keywords of the rules that name the response, found in the ticket.
static void
s_score_rules (const opd_config_t *cfg, const opd_ticket_t *t, suggestion_t *s)
{
    for (size_t i = 0; i < cfg->nrules; i++) {
        const opd_rule_t *r = &cfg->rules[i];
        if (!r->standard_response || strcmp (r->standard_response, s->sr->id))
            continue;
        if (t->rule && !strcmp (t->rule, r->name) && t->stdresp && !strcmp (t->stdresp, s->sr->id))
            s_reason (s, 100, "routing rule '%s' routed this ticket and names it%s", r->name, "");
        for (size_t k = 0; k < r->nkeywords; k++) {
            if (r->in_subject && s_has_words (t->subject, r->keywords[k]))
                s_reason (s, 10, "keyword '%s' of rule '%s' is in the subject", r->keywords[k], r->name);
            else if (r->in_body && s_has_words (t->body, r->keywords[k]))
                s_reason (s, 10, "keyword '%s' of rule '%s' is in the description", r->keywords[k], r->name);
        }
    }
}

//  Words of the response's own subject in the ticket's subject.
static void
s_score_subject (const opd_ticket_t *t, suggestion_t *s)
{
    if (!s->sr->subject)
        return;
    gchar **words = g_regex_split_simple ("[^\\w]+", s->sr->subject, 0, 0);
    for (gchar **w = words; *w; w++)
        if (g_utf8_strlen (*w, -1) >= 4 && !strstr (*w, "{{") && s_has_words (t->subject, *w))
            s_reason (s, 1, "'%s' is in the subject of the ticket and of the response%s", *w, "");
    g_strfreev (words);
}

static long long
s_count (const redisReply *stats, const char *id, const char *how)
{
    char field[256];
    snprintf (field, sizeof field, "%s|%s", id, how);
    for (size_t i = 0; stats && stats->type == REDIS_REPLY_ARRAY && i + 1 < stats->elements; i += 2)
        if (stats->element[i]->str && !strcmp (stats->element[i]->str, field))
            return strtoll (stats->element[i + 1]->str ? stats->element[i + 1]->str : "0", NULL, 10);
    return 0;
}

static int
s_rank (const void *a, const void *b)
{
    const suggestion_t *x = a, *y = b;
    long long ux = x->used_agent + x->used_automatic, uy = y->used_agent + y->used_automatic;
    if (x->score != y->score)
        return y->score - x->score;
    if (ux != uy)
        return uy > ux ? 1 : -1;
    return strcmp (x->sr->id, y->sr->id);
}

//  One suggestion as JSON, with the preview rendered for the ticket.
static json_t *
s_item (const opd_config_t *cfg, const opd_ticket_t *t, const char *zone, suggestion_t *s)
{
    char *text = NULL;
    opd_template_error_t err;
    json_t *item = json_pack ("{s:s, s:s?, s:i, s:O, s:{s:I, s:I}, s:I}", "id", s->sr->id, "subject",
                              s->sr->subject, "score", s->score, "reasons", s->reasons, "used", "agent",
                              (json_int_t) s->used_agent, "automatic", (json_int_t) s->used_automatic,
                              "reopened_within_7_days", (json_int_t) s->reopened);
    if (opd_stdresp_render_in (cfg, s->sr, t, zone, &text, &err) == 0) {
        json_object_set_new (item, "preview", json_string (text));
        json_object_set_new (item, "unavailable", json_null ());
    }
    else {
        char *why = opd_sprintf ("{{%s}} %s", err.name, err.why);
        json_object_set_new (item, "preview", json_null ());
        json_object_set_new (item, "unavailable", json_pack ("{s:s, s:s}", "variable", err.name, "message", why));
        free (why);
    }
    free (text);
    return item;
}

static json_t *
s_suggestions (const opd_config_t *cfg, const opd_ticket_t *t, const char *zone, const redisReply *stats,
               bool all_of_them)
{
    suggestion_t *all = opd_calloc (cfg->nstdresps + 1, sizeof *all);
    size_t n = 0;
    for (size_t i = 0; i < cfg->nstdresps; i++) {
        suggestion_t *s = &all[n];
        const char *sid = cfg->stdresps[i].id;
        *s = (suggestion_t) {&cfg->stdresps[i], 0, s_count (stats, sid, "agent"), s_count (stats, sid, "automatic"),
                             s_count (stats, sid, "reopened"), json_array ()};
        s_score_rules (cfg, t, s);
        s_score_subject (t, s);
        if (s->score > 0 || all_of_them)
            n++;
        else
            json_decref (s->reasons);
    }
    qsort (all, n, sizeof *all, s_rank);
    json_t *items = json_array ();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new (items, s_item (cfg, t, zone, &all[i]));
        json_decref (all[i].reasons);
    }
    free (all);
    return items;
}

static bool
s_arg_ok (const char *name)
{
    return !strcmp (name, "all");
}

json_t *
web_suggestions (http_req_t *req, const char *id, bool all, int *found)
{
    opd_ticket_t t;
    redisReply *hash = NULL;
    *found = web_id_valid (id) ? opd_store_ticket_get (http_redis (req), id, &t, &hash) : 0;
    if (*found != 1) {
        if (hash)
            freeReplyObject (hash);
        return NULL;
    }
    //  The preview is what the requester would read: due times in the
    //  requester's zone, as opd_stdresp_comment_text sends them.
    char *chosen = NULL;
    if (t.req_email && *t.req_email)
        opd_req_tz_get (http_redis (req), t.req_email, &chosen);  //  failed: the calendar's
    const char *zone = opd_req_tz_pick (req->cfg, chosen, t.slo_policy);
    redisReply *stats = opd_redis_command (http_redis (req), "HGETALL %s", OPD_KEY_STATS_STDRESP);
    json_t *items = s_suggestions (req->cfg, &t, zone, stats, all);
    free (chosen);
    if (stats)
        freeReplyObject (stats);
    freeReplyObject (hash);
    return items;
}

void
api_suggestions (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;
    const char *bad = http_args_check (req, s_arg_ok);
    const char *all = http_arg (req, "all");
    if (!bad && all && strcmp (all, "true") && strcmp (all, "false"))
        bad = "all";
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                      "query parameter '%s': only all=true or all=false is allowed", bad);
        return;
    }
    int found;
    json_t *items = web_suggestions (req, id, all && !strcmp (all, "true"), &found);
    if (found < 0)
        http_error (req, 503, "unavailable", "the ticket store is unavailable: %s", opd_redis_error (http_redis (req)));
    else if (!found)
        http_error (req, 404, "not_found", "no ticket %s", id);
    if (!items)
        return;
    opd_info ("suggestions ticket=%s responses=%zu", id, json_array_size (items));
    http_json (req, 200, json_pack ("{s:s, s:o}", "ticket_id", id, "items", items));
}
