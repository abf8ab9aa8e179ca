/*  cli_ticket: `opdesk show`, `list`, `update`, `comment` and `anonymise`.
    The ticket objects are those of opd_ticket.h, the changes go through the
    store scripts update.lua, comment.lua and anonymise.lua, like every other
    change of ticket state. */
#include "cli.h"
#include "opd_anonymise.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --- Text output ---------------------------------------------------------

static const char *
s_s (json_t *obj, const char *key)
{
    const char *v = json_string_value (json_object_get (obj, key));
    return v ? v : "-";
}

static void
s_print_indented (const char *text, const char *indent)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr (p, '\n');
        size_t n = nl ? (size_t) (nl - p) : strlen (p);
        printf ("%s%.*s\n", indent, (int) n, p);
        p += n + (nl ? 1 : 0);
    }
}

static void
s_print_ticket (json_t *t)
{
    printf ("%s  [%s]  %s  %s\n", s_s (t, "id"), s_s (t, "status"), s_s (t, "priority"),
            s_s (t, "subject"));
    json_t *req = json_object_get (t, "requester");
    printf ("  kind:         %s\n", s_s (t, "kind"));
    printf ("  team:         %s\n", s_s (t, "team"));
    printf ("  assignee:     %s\n", s_s (t, "assignee"));
    printf ("  category:     %s\n", s_s (t, "category"));
    printf ("  severity:     %s\n", s_s (t, "severity"));
    printf ("  channel:      %s\n", s_s (t, "channel"));
    printf ("  requester:    %s  email %s  phone %s\n", s_s (req, "name"), s_s (req, "email"),
            s_s (req, "phone"));
    printf ("  created:      %s\n", s_s (t, "created_at"));
    printf ("  updated:      %s\n", s_s (t, "updated_at"));
    if (json_is_string (json_object_get (t, "resolved_at")))
        printf ("  resolved:     %s\n", s_s (t, "resolved_at"));
    if (json_is_string (json_object_get (t, "closed_at")))
        printf ("  closed:       %s\n", s_s (t, "closed_at"));
    if (json_is_string (json_object_get (t, "linked_to")))
        printf ("  linked to:    %s\n", s_s (t, "linked_to"));
    if (json_is_string (json_object_get (t, "request_type"))) {
        char *f = json_dumps (json_object_get (t, "fields"), JSON_COMPACT);
        printf ("  request type: %s  fields %s\n", s_s (t, "request_type"), f ? f : "{}");
        free (f);
    }
    json_t *missing = json_object_get (t, "missing_fields");
    if (json_array_size (missing)) {
        char *m = json_dumps (missing, JSON_COMPACT);
        printf ("  missing:      %s\n", m ? m : "");
        free (m);
    }
    if (json_is_true (json_object_get (t, "anonymised")))
        printf ("  anonymised:   yes\n");
    printf ("  SLO:\n");
    const char *name;
    json_t *clock;
    json_object_foreach (json_object_get (t, "slo"), name, clock) {
        printf ("    %-15s %-10s due %-24s %s", name, s_s (clock, "policy"), s_s (clock, "due_at"),
                s_s (clock, "state"));
        if (json_is_string (json_object_get (clock, "met_at")))
            printf ("  met %s", s_s (clock, "met_at"));
        if (json_is_string (json_object_get (clock, "breached_at")))
            printf ("  breached %s", s_s (clock, "breached_at"));
        printf ("\n");
    }
    printf ("\n");
    s_print_indented (s_s (t, "body"), "  ");
    size_t i;
    json_t *e;
    json_t *comments = json_object_get (t, "comments");
    printf ("\nComments (%zu):\n", json_array_size (comments));
    json_array_foreach (comments, i, e) {
        printf ("  #%lld  %s  %s (%s)%s\n", (long long) json_integer_value (json_object_get (e, "id")),
                s_s (e, "at"), s_s (e, "author"), s_s (e, "role"),
                json_is_true (json_object_get (e, "public")) ? "" : "  internal");
        s_print_indented (s_s (e, "body"), "      ");
    }
    json_t *history = json_object_get (t, "history");
    printf ("\nHistory (%zu):\n", json_array_size (history));
    json_array_foreach (history, i, e) {
        char *d = json_dumps (json_object_get (e, "details"), JSON_COMPACT);
        printf ("  %s  %-18s %-16s %s\n", s_s (e, "at"), s_s (e, "actor"), s_s (e, "action"),
                d ? d : "{}");
        free (d);
    }
}

static int
s_ticket_error (const cli_t *c, const opd_ticket_error_t *err, const char *id)
{
    if (err->code == OPD_TICKET_NOT_FOUND)
        return cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    if (err->code == OPD_TICKET_INVALID)
        return cli_fail (c, CLI_REFUSED, "invalid", "%s", err->message);
    return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "%s", err->message);
}

//  --- show ----------------------------------------------------------------

int
cli_show (cli_t *c)
{
    int rc = cli_check (c, NULL, 1, "opdesk show ID [--json]");
    if (rc)
        return rc;
    opd_ticket_error_t err;
    json_t *t = opd_ticket_fetch (cli_redis (c), c->cfg, c->pos[0], true, &err);
    if (!t)
        return s_ticket_error (c, &err, c->pos[0]);
    if (c->json)
        cli_print_json (t);
    else {
        s_print_ticket (t);
        json_decref (t);
    }
    return CLI_OK;
}

//  --- list ----------------------------------------------------------------

static const char *
s_next_due (json_t *t)
{
    const char *best = NULL;
    const char *name;
    json_t *clock;
    json_object_foreach (json_object_get (t, "slo"), name, clock) {
        const char *state = json_string_value (json_object_get (clock, "state"));
        const char *due = json_string_value (json_object_get (clock, "due_at"));
        //  RFC 3339 UTC strings of one form compare as times do.
        if (state && due && !strcmp (state, "running") && (!best || strcmp (due, best) < 0))
            best = due;
    }
    return best ? best : "-";
}

int
cli_list (cli_t *c)
{
    static const char *const spec[] = {"status:", "team:", "priority:", "assignee:", "requester:",
                                       "q:", "sort:", "limit:", "cursor:", NULL};
    int rc = cli_check (c, spec, 0,
                        "opdesk list [--status S] [--team T] [--priority P] [--assignee A] "
                        "[--requester EMAIL] [--q WORDS] [--sort due] [--limit N] [--cursor C] [--json]");
    if (rc)
        return rc;
    opd_ticket_query_t q = {cli_opt (c, "status"), cli_opt (c, "team"), cli_opt (c, "priority"),
                            cli_opt (c, "assignee"), cli_opt (c, "requester"), cli_opt (c, "q"),
                            cli_opt (c, "sort"), 0, cli_opt (c, "cursor")};
    if (cli_opt (c, "limit")) {
        char *end = NULL;
        long n = strtol (cli_opt (c, "limit"), &end, 10);
        if (*end || n < 1 || n > 500)
            return cli_fail (c, CLI_REFUSED, "invalid", "--limit must be a number from 1 to 500");
        q.limit = (int) n;
    }
    if (q.team && *q.team && !opd_config_team (c->cfg, q.team)) {
        char list[1024] = "";
        for (size_t i = 0; i < c->cfg->nteams; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i ? ", " : "",
                      c->cfg->teams[i].id);
        return cli_fail (c, CLI_REFUSED, "invalid", "unknown team '%s'; teams: %s", q.team, list);
    }
    opd_ticket_error_t err;
    json_t *page = opd_ticket_list (cli_redis (c), c->cfg, &q, &err);
    if (!page)
        return s_ticket_error (c, &err, "");
    if (c->json) {
        cli_print_json (page);
        return CLI_OK;
    }
    json_t *items = json_object_get (page, "items");
    printf ("%-12s %-9s %-4s %-14s %-10s %-24s %s\n", "ID", "STATUS", "PRI", "TEAM", "ASSIGNEE",
            "NEXT DUE", "SUBJECT");
    size_t i;
    json_t *t;
    json_array_foreach (items, i, t) {
        printf ("%-12s %-9s %-4s %-14s %-10s %-24s %s\n", s_s (t, "id"), s_s (t, "status"),
                s_s (t, "priority"), s_s (t, "team"), s_s (t, "assignee"), s_next_due (t),
                s_s (t, "subject"));
    }
    printf ("(%zu ticket%s)\n", json_array_size (items), json_array_size (items) == 1 ? "" : "s");
    const char *next = json_string_value (json_object_get (page, "next_cursor"));
    if (next)
        printf ("more: opdesk list ... --cursor %s\n", next);
    json_decref (page);
    return CLI_OK;
}

//  --- update --------------------------------------------------------------

//  Checks value against a list; prints the allowed ones when it is not in it.
static int
s_one_of (const cli_t *c, const char *what, const char *value, const char *const *allowed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp (value, allowed[i]))
            return 0;
    char list[2048];
    cli_fail (c, CLI_REFUSED, "invalid", "unknown %s '%s'; allowed: %s", what, value,
              cli_join (allowed, n, list, sizeof list));
    return -1;
}

//  The validated values of update's options, as field/value pairs.
static int
s_update_pairs (cli_t *c, redisReply *cur, opd_args_t *pairs)
{
    static const char *const priorities[] = {"P1", "P2", "P3", "P4"};
    static const char *const severities[] = {"S1", "S2", "S3", "S4"};
    const opd_config_t *cfg = c->cfg;
    const char *v;
    if ((v = cli_opt (c, "status"))) {
        if (s_one_of (c, "status", v, opd_ticket_statuses, 5))
            return -1;
        opd_args_add (pairs, "status");
        opd_args_add (pairs, v);
    }
    if ((v = cli_opt (c, "priority"))) {
        if (s_one_of (c, "priority", v, priorities, 4))
            return -1;
        opd_args_add (pairs, "priority");
        opd_args_add (pairs, v);
    }
    if ((v = cli_opt (c, "severity"))) {
        if (*v && s_one_of (c, "severity", v, severities, 4))
            return -1;
        opd_args_add (pairs, "severity");
        opd_args_add (pairs, v);
    }
    if ((v = cli_opt (c, "category"))) {
        if (s_one_of (c, "category", v, (const char *const *) cfg->categories, cfg->ncategories))
            return -1;
        opd_args_add (pairs, "category");
        opd_args_add (pairs, v);
    }
    if ((v = cli_opt (c, "team"))) {
        const char **ids = opd_calloc (cfg->nteams + 1, sizeof (char *));
        for (size_t i = 0; i < cfg->nteams; i++)
            ids[i] = cfg->teams[i].id;
        int bad = s_one_of (c, "team", v, ids, cfg->nteams);
        free (ids);
        if (bad)
            return -1;
        const char *old = opd_reply_str (cur, 0);
        const char *note = cli_opt (c, "note");
        if ((!old || strcmp (old, v)) && (!note || !*note)) {
            cli_fail (c, CLI_REFUSED, "invalid", "a hand-off to team '%s' needs --note saying why", v);
            return -1;
        }
        opd_args_add (pairs, "team");
        opd_args_add (pairs, v);
    }
    if ((v = cli_opt (c, "assignee"))) {
        const char **ids = opd_calloc (cfg->nagents + 1, sizeof (char *));
        for (size_t i = 0; i < cfg->nagents; i++)
            ids[i] = cfg->agents[i].id;
        //  "" or "none" unassigns.
        bool clear = !*v || !strcmp (v, "none");
        int bad = clear ? 0 : s_one_of (c, "agent", v, ids, cfg->nagents);
        free (ids);
        if (bad)
            return -1;
        opd_args_add (pairs, "assignee");
        opd_args_add (pairs, clear ? "" : v);
    }
    //  Custom fields merge into the ticket's fields; required ones that are
    //  still missing stay listed in 'missing'.
    bool any_field = false;
    for (int i = 0; i < c->nopts; i++)
        any_field = any_field || !strcmp (c->opts[i].name, "field");
    if (!any_field)
        return 0;
    const char *rtid = opd_reply_str (cur, 1);
    const opd_reqtype_t *rt = rtid && *rtid ? opd_config_reqtype (cfg, rtid) : NULL;
    const char *old = opd_reply_str (cur, 2);
    json_t *fields = old && *old ? json_loads (old, 0, NULL) : NULL;
    if (!json_is_object (fields)) {
        json_decref (fields);
        fields = json_object ();
    }
    for (int i = 0; i < c->nopts; i++) {
        if (strcmp (c->opts[i].name, "field"))
            continue;
        const char *kv = c->opts[i].value;
        const char *eq = strchr (kv, '=');
        if (!eq || eq == kv) {
            json_decref (fields);
            cli_fail (c, CLI_USAGE, "usage", "--field needs NAME=VALUE, not '%s'", kv);
            return -2;
        }
        char *name = opd_strndup (kv, (size_t) (eq - kv));
        json_t *val = NULL;
        char err[512];
        if (cli_field_value (rt, name, eq + 1, &val, true, err, sizeof err)) {
            free (name);
            json_decref (fields);
            cli_fail (c, CLI_REFUSED, "invalid", "%s", err);
            return -1;
        }
        if (val)
            json_object_set_new (fields, name, val);
        else
            json_object_del (fields, name);
        free (name);
    }
    char *text = json_dumps (fields, JSON_COMPACT);
    opd_args_add (pairs, "fields");
    opd_args_add (pairs, text);
    free (text);
    if (rt) {
        json_t *missing = json_array ();
        for (size_t i = 0; i < rt->nfields; i++)
            if (rt->fields[i].required && !json_object_get (fields, rt->fields[i].name))
                json_array_append_new (missing, json_string (rt->fields[i].name));
        text = json_array_size (missing) ? json_dumps (missing, JSON_COMPACT) : NULL;
        opd_args_add (pairs, "missing");
        opd_args_add (pairs, text ? text : "");
        free (text);
        json_decref (missing);
    }
    json_decref (fields);
    return 0;
}

int
cli_update (cli_t *c)
{
    static const char *const spec[] = {"status:", "priority:", "severity:", "category:", "team:",
                                       "assignee:", "field:", "as:", "note:", NULL};
    const char *usage = "opdesk update ID [--status S] [--priority P] [--severity S1..S4] "
                        "[--category C] [--team T --note N] [--assignee A] [--field K=V ...] "
                        "[--as AGENT] [--note N] [--json]";
    int rc = cli_check (c, spec, 1, usage);
    if (rc)
        return rc;
    const char *id = c->pos[0];
    const char *actor = cli_actor (c);
    if (!actor)
        return CLI_REFUSED;
    opd_redis_t *redis = cli_redis (c);
    redisReply *cur = opd_redis_command (redis, "HMGET opd:t:%s team request_type fields id", id);
    if (!cur || cur->type != REDIS_REPLY_ARRAY || cur->elements != 4) {
        if (cur)
            freeReplyObject (cur);
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the ticket store is unavailable: %s",
                         opd_redis_error (redis));
    }
    if (!opd_reply_str (cur, 3)) {
        freeReplyObject (cur);
        return cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    }
    opd_args_t pairs;
    opd_args_init (&pairs);
    int bad = s_update_pairs (c, cur, &pairs);
    freeReplyObject (cur);
    if (bad) {
        opd_args_free (&pairs);
        return bad == -2 ? CLI_USAGE : CLI_REFUSED;
    }
    if (pairs.n == 0) {
        opd_args_free (&pairs);
        return cli_fail (c, CLI_USAGE, "usage", "nothing to change\nusage: %s", usage);
    }
    opd_args_t a;
    opd_args_init (&a);
    opd_args_addi (&a, opd_now_ms ());
    opd_args_addi (&a, c->cfg->events_max_len);
    opd_args_add (&a, id);
    opd_args_add (&a, actor);
    opd_args_add (&a, "");
    opd_args_add (&a, cli_opt (c, "note"));
    for (int i = 0; i < pairs.n; i++)
        opd_args_addn (&a, pairs.v[i], pairs.len[i]);
    opd_args_free (&pairs);
    redisReply *r = opd_redis_script (redis, OPD_SCRIPT_UPDATE, &a);
    opd_args_free (&a);
    if (!r || r->type != REDIS_REPLY_ARRAY || !opd_reply_str (r, 0)) {
        rc = cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the update failed: %s", opd_redis_error (redis));
        if (r)
            freeReplyObject (r);
        return rc;
    }
    const char *what = opd_reply_str (r, 0);
    if (!strcmp (what, "not_found"))
        rc = cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    else if (!strcmp (what, "conflict")) {
        const char *allowed = opd_reply_str (r, 2);
        rc = cli_fail (c, CLI_REFUSED, "conflict",
                       "%s cannot move from %s to %s; allowed moves from %s: %s", id,
                       opd_reply_str (r, 1), cli_opt (c, "status"), opd_reply_str (r, 1),
                       allowed && *allowed ? allowed : "none (closed is final)");
    }
    else if (strcmp (what, "ok"))
        rc = cli_fail (c, CLI_REFUSED, what, "the update was refused (%s)", what);
    else {
        bool changed = opd_reply_int (r, 2) == 1;
        if (c->json) {
            opd_ticket_error_t err;
            json_t *t = opd_ticket_fetch (redis, c->cfg, id, true, &err);
            if (!t)
                rc = s_ticket_error (c, &err, id);
            else
                cli_print_json (t);
        }
        else if (changed)
            printf ("%s updated (version %lld)\n", id, opd_reply_int (r, 1));
        else
            printf ("%s unchanged\n", id);
    }
    freeReplyObject (r);
    return rc;
}

//  --- comment -------------------------------------------------------------

int
cli_comment (cli_t *c)
{
    static const char *const spec[] = {"body:", "body-file:", "internal", "as:", "standard-response:",
                                       NULL};
    const char *usage = "opdesk comment ID (--body B | --body-file F) [--internal] [--as AGENT] "
                        "[--standard-response ID] [--json]";
    int rc = cli_check (c, spec, 1, usage);
    if (rc)
        return rc;
    const char *id = c->pos[0];
    const char *actor = cli_actor (c);
    if (!actor)
        return CLI_REFUSED;
    const char *sr_id = cli_opt (c, "standard-response");
    const opd_stdresp_t *sr = NULL;
    if (sr_id) {
        sr = opd_config_stdresp (c->cfg, sr_id);
        if (!sr) {
            const char **ids = opd_calloc (c->cfg->nstdresps + 1, sizeof (char *));
            for (size_t i = 0; i < c->cfg->nstdresps; i++)
                ids[i] = c->cfg->stdresps[i].id;
            char list[1024];
            rc = cli_fail (c, CLI_REFUSED, "invalid", "unknown standard response '%s'; allowed: %s", sr_id,
                           cli_join (ids, c->cfg->nstdresps, list, sizeof list));
            free (ids);
            return rc;
        }
    }
    char *body = NULL;
    if (cli_opt (c, "body") && cli_opt (c, "body-file"))
        return cli_fail (c, CLI_USAGE, "usage", "give --body or --body-file, not both");
    if (cli_opt (c, "body-file")) {
        body = cli_read_file (cli_opt (c, "body-file"));
        if (!body)
            return cli_fail (c, CLI_USAGE, "usage", "cannot read --body-file %s", cli_opt (c, "body-file"));
    }
    else if (cli_opt (c, "body"))
        body = opd_strdup (cli_opt (c, "body"));
    else if (sr)
        //  A standard response alone: its text, and its guide when it has one.
        body = sr->guide_url ? opd_sprintf ("%s\n\n%s", sr->body, sr->guide_url) : opd_strdup (sr->body);
    if (!body || !*body) {
        free (body);
        return cli_fail (c, CLI_USAGE, "usage", "comment needs --body\nusage: %s", usage);
    }
    if (!opd_utf8_valid (body, strlen (body)) || strlen (body) > (size_t) c->cfg->body_bytes) {
        free (body);
        return cli_fail (c, CLI_REFUSED, "invalid", "the body must be UTF-8 of at most %lld bytes",
                         (long long) c->cfg->body_bytes);
    }
    bool public = !cli_flag (c, "internal");
    int64_t now = opd_now_ms ();
    opd_args_t a;
    opd_args_init (&a);
    opd_args_addi (&a, now);
    opd_args_addi (&a, c->cfg->events_max_len);
    opd_args_add (&a, id);
    opd_args_add (&a, actor);
    opd_args_add (&a, "agent");
    opd_args_add (&a, public ? "1" : "0");
    opd_args_add (&a, body);
    opd_args_add (&a, sr_id ? sr_id : "");
    opd_redis_t *redis = cli_redis (c);
    redisReply *r = opd_redis_script (redis, OPD_SCRIPT_COMMENT, &a);
    opd_args_free (&a);
    if (!r || r->type != REDIS_REPLY_ARRAY || !opd_reply_str (r, 0)) {
        rc = cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the comment failed: %s", opd_redis_error (redis));
        if (r)
            freeReplyObject (r);
        free (body);
        return rc;
    }
    const char *what = opd_reply_str (r, 0);
    if (!strcmp (what, "not_found"))
        rc = cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    else if (!strcmp (what, "closed"))
        rc = cli_fail (c, CLI_REFUSED, "conflict", "%s is closed; closed tickets take no comments", id);
    else if (strcmp (what, "ok"))
        rc = cli_fail (c, CLI_REFUSED, what, "the comment was refused (%s)", what);
    else if (c->json) {
        char at[40];
        opd_rfc3339 (now, at, sizeof at);
        json_t *cj = json_pack ("{s:I, s:s, s:s, s:b, s:s, s:s}", "id", (json_int_t) opd_reply_int (r, 1),
                                "author", actor, "role", "agent", "public", public, "body", body, "at", at);
        if (sr_id)
            json_object_set_new (cj, "standard_response", json_string (sr_id));
        cli_print_json (cj);
    }
    else
        printf ("%s comment #%lld added (%s)\n", id, opd_reply_int (r, 1), public ? "public" : "internal");
    freeReplyObject (r);
    free (body);
    return rc;
}

//  --- anonymise -----------------------------------------------------------

int
cli_anonymise (cli_t *c)
{
    static const char *const spec[] = {"dry-run", NULL};
    int rc = cli_check (c, spec, 0, "opdesk anonymise [--dry-run] [--json]");
    if (rc)
        return rc;
    bool dry = cli_flag (c, "dry-run");
    json_t *list = json_array ();
    int n = opd_anonymise_pass (cli_redis (c), c->cfg, opd_now_ms (), dry, list);
    if (n < 0) {
        rc = cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the pass failed after %zu ticket%s: %s",
                       json_array_size (list), json_array_size (list) == 1 ? "" : "s",
                       opd_redis_error (cli_redis (c)));
        json_decref (list);
        return rc;
    }
    if (c->json) {
        cli_print_json (list);
        return CLI_OK;
    }
    size_t i;
    json_t *e;
    json_array_foreach (list, i, e)
        printf ("%s %s  rule %s\n", dry ? "would anonymise" : "anonymised", s_s (e, "ticket_id"),
                s_s (e, "rule"));
    printf ("%d ticket%s %s\n", n, n == 1 ? "" : "s", dry ? "due for anonymisation (dry run, nothing changed)"
                                                          : "anonymised");
    json_decref (list);
    return CLI_OK;
}
