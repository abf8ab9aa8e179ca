/*  cli_ticket: `opdesk show`, `list`, `update`, `comment` and `anonymise`.
    The ticket objects are those of opd_ticket.h, the changes go through the
    store scripts update.lua, comment.lua and anonymise.lua, like every other
    change of ticket state. */
#include "cli.h"
#include "opd_anon_canary.h"
#include "opd_anonymise.h"
#include "opd_receipt.h"
#include "opd_pseudonym.h"
#include "opd_change.h"
#include "opd_stdresp.h"
#include "opd_store.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

//  A duration for people: "45s", "20m", "3h20m" (working time can run to
//  many hours; days would hide how many working hours they hold).
static void
s_dur (int64_t ms, char *buf, size_t size)
{
    long long s = (long long) (ms / 1000);
    if (s < 60)
        snprintf (buf, size, "%llds", s);
    else if (s < 3600)
        snprintf (buf, size, "%lldm", s / 60);
    else
        snprintf (buf, size, "%lldh%02lldm", s / 3600, s / 60 % 60);
}

//  What is left of a clock: "3h20m" (working time), "-1h05m overdue" (real
//  time past due), or "" when neither is known (met clocks).
static void
s_left (json_t *clock, char *buf, size_t size)
{
    json_t *rem = json_object_get (clock, "remaining_working_ms");
    json_t *over = json_object_get (clock, "overdue_ms");
    char d[32];
    buf[0] = 0;
    if (json_is_integer (over) && json_integer_value (over) > 0) {
        s_dur (json_integer_value (over), d, sizeof d);
        snprintf (buf, size, "-%s overdue", d);
    }
    else if (json_is_integer (rem))
        s_dur (json_integer_value (rem), buf, size);
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
    if (json_is_string (json_object_get (t, "submitted_by")))
        printf ("  submitted by: %s\n", s_s (t, "submitted_by"));
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
    json_t *times = json_object_get (t, "team_times");
    if (json_object_size (times)) {
        const char *team;
        json_t *ms;
        printf ("  team times:  ");
        json_object_foreach (times, team, ms) {
            long long s = (long long) (json_integer_value (ms) / 1000);
            printf (" %s %lldh%02lldm%02llds", team, s / 3600, s / 60 % 60, s % 60);
        }
        printf ("\n");
    }
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
        char left[48];
        s_left (clock, left, sizeof left);
        if (*left == '-')
            printf ("  %s", left + 1);
        else if (*left)
            printf ("  left %s working%s", left,
                    json_is_null (json_object_get (clock, "overdue_ms")) ? " (paused)" : "");
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
    static const char *const spec[] = {"live", NULL};
    int rc = cli_check (c, spec, 1, "opdesk show ID [--json [--live]]");
    if (rc)
        return rc;
    //  The text view always shows what is left; --json is the API's object
    //  (GET /api/v1/tickets/ID), with --live as ?live=true.
    bool live = !c->json || cli_flag (c, "live");
    opd_ticket_error_t err;
    json_t *t = opd_ticket_fetch (cli_redis (c), c->cfg, c->pos[0],
                                  OPD_TICKET_FULL | (live ? OPD_TICKET_LIVE : 0), &err);
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

//  The clock the queue sorts a ticket by (see below), or NULL.
static json_t *
s_next_clock (json_t *t)
{
    const char *best = NULL;
    json_t *best_clock = NULL;
    const char *name;
    json_t *clock;
    json_object_foreach (json_object_get (t, "slo"), name, clock) {
        const char *state = json_string_value (json_object_get (clock, "state"));
        const char *due = json_string_value (json_object_get (clock, "due_at"));
        //  Running clocks, and breached ones not met yet: what the queue sorts by.
        bool counts = state && (!strcmp (state, "running")
                                || (!strcmp (state, "breached") && json_is_null (json_object_get (clock, "met_at"))));
        //  RFC 3339 UTC strings of one form compare as times do.
        if (counts && due && (!best || strcmp (due, best) < 0)) {
            best = due;
            best_clock = clock;
        }
    }
    return best_clock;
}

int
cli_list (cli_t *c)
{
    static const char *const spec[] = {"status:", "team:", "priority:", "assignee:", "requester:",
                                       "q:", "sort:", "limit:", "cursor:", "breaching", "due-within:",
                                       "live", NULL};
    int rc = cli_check (c, spec, 0,
                        "opdesk list [--status S] [--team T] [--priority P] [--assignee A] "
                        "[--requester EMAIL] [--q WORDS] [--sort due] [--breaching] [--due-within MINUTES] "
                        "[--limit N] [--cursor C] [--json [--live]]");
    if (rc)
        return rc;
    opd_ticket_query_t q = {cli_opt (c, "status"), cli_opt (c, "team"), cli_opt (c, "priority"),
                            cli_opt (c, "assignee"), cli_opt (c, "requester"), cli_opt (c, "q"),
                            cli_opt (c, "sort"), 0, cli_opt (c, "cursor"), cli_flag (c, "breaching"), 0,
                            !c->json || cli_flag (c, "live"), false};
    if (cli_opt (c, "due-within")) {
        char *end = NULL;
        long n = strtol (cli_opt (c, "due-within"), &end, 10);
        if (*end || n < 1 || n > 525600)
            return cli_fail (c, CLI_REFUSED, "invalid",
                             "--due-within must be a number of minutes from 1 to 525600, not '%s'",
                             cli_opt (c, "due-within"));
        q.due_within = (int) n;
    }
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
    printf ("%-12s %-9s %-4s %-14s %-10s %-24s %-15s %s\n", "ID", "STATUS", "PRI", "TEAM", "ASSIGNEE",
            "NEXT DUE", "LEFT", "SUBJECT");
    size_t i;
    json_t *t;
    json_array_foreach (items, i, t) {
        json_t *clock = s_next_clock (t);
        char left[48] = "";
        if (clock)
            s_left (clock, left, sizeof left);
        printf ("%-12s %-9s %-4s %-14s %-10s %-24s %-15s %s\n", s_s (t, "id"), s_s (t, "status"),
                s_s (t, "priority"), s_s (t, "team"), s_s (t, "assignee"), clock ? s_s (clock, "due_at") : "-",
                *left ? left : "-", s_s (t, "subject"));
    }
    printf ("(%zu ticket%s)\n", json_array_size (items), json_array_size (items) == 1 ? "" : "s");
    const char *next = json_string_value (json_object_get (page, "next_cursor"));
    if (next)
        printf ("more: opdesk list ... --cursor %s\n", next);
    json_decref (page);
    return CLI_OK;
}

//  --- update --------------------------------------------------------------

//  The custom fields of --field NAME=VALUE options, typed by the ticket's
//  request type; opd_change checks them. Returns 0, or a CLI exit code.
static int
s_update_fields (cli_t *c, const char *id, json_t *fields)
{
    static const char *const wanted[] = {OPD_F_REQUEST_TYPE};
    redisReply *cur = opd_store_fields (cli_redis (c), id, wanted, 1);
    const char *rtid = opd_reply_str (cur, 0);
    const opd_reqtype_t *rt = rtid ? opd_config_reqtype (c->cfg, rtid) : NULL;
    int rc = CLI_OK;
    for (int i = 0; i < c->nopts && rc == CLI_OK; i++) {
        if (strcmp (c->opts[i].name, "field"))
            continue;
        const char *kv = c->opts[i].value;
        const char *eq = strchr (kv, '=');
        if (!eq || eq == kv) {
            rc = cli_fail (c, CLI_USAGE, "usage", "--field needs NAME=VALUE, not '%s'", kv);
            break;
        }
        char *name = opd_strndup (kv, (size_t) (eq - kv));
        json_t *val = NULL;
        char err[512];
        if (cli_field_value (rt, name, eq + 1, &val, false, err, sizeof err))
            rc = cli_fail (c, CLI_REFUSED, "invalid", "%s", err);
        else
            json_object_set_new (fields, name, val ? val : json_null ());
        free (name);
    }
    if (cur)
        freeReplyObject (cur);
    return rc;
}

int
cli_update (cli_t *c)
{
    static const char *const spec[] = {"status:", "priority:", "severity:", "category:", "team:",
                                       "assignee:", "field:", "as:", "note:", NULL};
    const char *usage = "opdesk update ID [--status S] [--priority P] [--severity SEV] "
                        "[--category C] [--team T --note N] [--assignee A] [--field K=V ...] "
                        "[--as AGENT] [--note N] [--json]";
    int rc = cli_check (c, spec, 1, usage);
    if (rc)
        return rc;
    const char *id = c->pos[0];
    const char *actor = cli_actor (c);
    if (!actor)
        return CLI_REFUSED;
    json_t *fields = json_object ();
    rc = s_update_fields (c, id, fields);
    if (rc) {
        json_decref (fields);
        return rc;
    }
    //  "" or "none" unassigns.
    const char *assignee = cli_opt (c, "assignee");
    if (assignee && !strcmp (assignee, "none"))
        assignee = "";
    opd_change_t ch = {cli_opt (c, "status"), cli_opt (c, "priority"), cli_opt (c, "severity"),
                       cli_opt (c, "category"), cli_opt (c, "team"), assignee, fields,
                       cli_opt (c, "note"), actor, NULL};
    opd_change_result_t res;
    opd_redis_t *redis = cli_redis (c);
    int bad = opd_change_apply (redis, c->cfg, id, &ch, &res);
    json_decref (fields);
    if (bad) {
        switch (res.code) {
        case OPD_CHANGE_EMPTY:
            return cli_fail (c, CLI_USAGE, "usage", "nothing to change\nusage: %s", usage);
        case OPD_CHANGE_NOT_FOUND:
            return cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
        case OPD_CHANGE_NEEDS_NOTE:
            if (cli_opt (c, "status") && !strcmp (cli_opt (c, "status"), "resolved"))
                return cli_fail (c, CLI_REFUSED, "invalid",
                                 "resolving %s needs --note with the resolution (what was done)", id);
            return cli_fail (c, CLI_REFUSED, "invalid", "a hand-off to team '%s' needs --note saying why",
                             cli_opt (c, "team"));
        case OPD_CHANGE_CONFLICT:
        case OPD_CHANGE_VERSION:
            return cli_fail (c, CLI_REFUSED, "conflict", "%s", res.message);
        case OPD_CHANGE_UNAVAILABLE:
            return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "%s", res.message);
        default:
            return cli_fail (c, CLI_REFUSED, "invalid", "%s", res.message);
        }
    }
    if (c->json) {
        opd_ticket_error_t err;
        json_t *t = opd_ticket_fetch (redis, c->cfg, id, OPD_TICKET_FULL, &err);
        if (!t)
            return s_ticket_error (c, &err, id);
        cli_print_json (t);
    }
    else if (res.changed)
        printf ("%s updated (version %lld)\n", id, res.version);
    else
        printf ("%s unchanged\n", id);
    return CLI_OK;
}

//  --- comment -------------------------------------------------------------

//  *body (taken; NULL when none) becomes the body and the standard response
//  rendered for the ticket after it. A variable without a value refuses the
//  comment, naming it; nothing is stored.
static int
s_with_response (cli_t *c, const char *id, const opd_stdresp_t *sr, char **body)
{
    char *text = NULL, *refusal = NULL;
    opd_template_error_t err;
    int r = opd_stdresp_comment_text (cli_redis (c), c->cfg, id, sr, *body, &text, &refusal, &err);
    free (*body);
    *body = text;
    int rc = CLI_OK;
    if (r == 1)
        rc = cli_fail (c, CLI_REFUSED, "invalid", "%s", refusal);
    else if (r == 2)
        rc = cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    else if (r < 0)
        rc = cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the ticket could not be read: %s",
                       opd_redis_error (cli_redis (c)));
    free (refusal);
    return rc;
}

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
    if (sr && (rc = s_with_response (c, id, sr, &body)) != CLI_OK)
        return rc;
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
    opd_redis_t *redis = cli_redis (c);
    opd_store_comment_t in = {id, actor, "agent", public, body, sr_id};
    opd_store_result_t res;
    if (opd_store_comment (redis, c->cfg, now, &in, &res)) {
        rc = cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the comment failed: %s", opd_redis_error (redis));
        free (body);
        return rc;
    }
    const char *what = res.what;
    if (res.outcome == OPD_STORE_NOT_FOUND)
        rc = cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    else if (res.outcome == OPD_STORE_CLOSED)
        rc = cli_fail (c, CLI_REFUSED, "conflict", "%s is closed; closed tickets take no comments", id);
    else if (res.outcome != OPD_STORE_OK)
        rc = cli_fail (c, CLI_REFUSED, what, "the comment was refused (%s)", what);
    else if (c->json) {
        char at[40];
        opd_rfc3339 (now, at, sizeof at);
        json_t *cj = json_pack ("{s:I, s:s, s:s, s:b, s:s, s:s}", "id", (json_int_t) res.comment_id,
                                "author", actor, "role", "agent", "public", public, "body", body, "at", at);
        if (sr_id)
            json_object_set_new (cj, "standard_response", json_string (sr_id));
        cli_print_json (cj);
    }
    else
        printf ("%s comment #%lld added (%s)\n", id, res.comment_id, public ? "public" : "internal");
    free (body);
    return rc;
}

//  --- hold ----------------------------------------------------------------

//  opdesk hold ID --reason R: a legal hold, which keeps the ticket from the
//  anonymiser until `opdesk hold ID --lift`. The command line is the
//  operator's tool: it acts as a lead (decision 53), recorded as --as.
int
cli_hold (cli_t *c)
{
    static const char *const spec[] = {"reason:", "lift", "as:", NULL};
    const char *usage = "opdesk hold ID (--reason R | --lift) [--as AGENT] [--json]";
    int rc = cli_check (c, spec, 1, usage);
    if (rc)
        return rc;
    const char *id = c->pos[0];
    const char *reason = cli_opt (c, "reason");
    bool lift = cli_flag (c, "lift");
    if (lift == (reason != NULL) || (reason && (!*reason || strlen (reason) > 500)))
        return cli_fail (c, CLI_USAGE, "usage", "give --reason (1 to 500 characters) or --lift\nusage: %s", usage);
    const char *actor = cli_actor (c);
    if (!actor)
        return CLI_REFUSED;
    opd_redis_t *redis = cli_redis (c);
    int done = opd_store_hold (redis, c->cfg, opd_now_ms (), id, actor, lift ? "" : reason);
    if (done < 0)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the hold failed: %s", opd_redis_error (redis));
    if (done == 2)
        return cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    if (c->json)
        cli_print_json (json_pack ("{s:s, s:b, s:b}", "ticket_id", id, "hold", !lift, "changed", done == 1));
    else
        printf ("%s %s%s\n", id, lift ? "hold lifted" : "on legal hold", done == 1 ? "" : " (already)");
    return CLI_OK;
}

//  --- keys destroy --------------------------------------------------------

//  opdesk keys destroy PERIOD: destroys a period's pseudonym key
//  (retention.pseudonyms), so that its pseudonyms are anonymous.
//  opdesk keys receipt-key FILE: makes a receipt signing key (32 random
//  bytes, mode 0600, never over an existing file) and prints its public key.
static int
s_receipt_key (cli_t *c, const char *path)
{
    if (sodium_init () < 0)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "libsodium did not start");
    unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    randombytes_buf (seed, sizeof seed);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write (fd, seed, sizeof seed) == (ssize_t) sizeof seed && fsync (fd) == 0;
    int saved = errno;
    if (fd >= 0)
        close (fd);
    crypto_sign_seed_keypair (pk, sk, seed);
    sodium_memzero (seed, sizeof seed);
    sodium_memzero (sk, sizeof sk);
    if (!ok)
        return cli_fail (c, CLI_REFUSED, "invalid", "%s: %s", path, strerror (saved));
    char hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
    sodium_bin2hex (hex, sizeof hex, pk, sizeof pk);
    if (c->json)
        cli_print_json (json_pack ("{s:s, s:s}", "file", path, "public_key", hex));
    else
        printf ("receipt key written to %s (set retention.receipt_key to it)\npublic key %s\n", path, hex);
    return CLI_OK;
}

int
cli_keys (cli_t *c)
{
    const char *usage = "opdesk keys destroy YEAR | opdesk keys receipt-key FILE";
    int rc = cli_check (c, NULL, 2, usage);
    if (rc)
        return rc;
    if (!strcmp (c->pos[0], "receipt-key"))
        return s_receipt_key (c, c->pos[1]);
    const char *year = c->pos[1];
    if (strcmp (c->pos[0], "destroy") || strlen (year) != 4 || strspn (year, "0123456789") != 4)
        return cli_fail (c, CLI_USAGE, "usage", "usage: %s", usage);
    if (opd_pseudonym_destroy (cli_redis (c), c->cfg, opd_now_ms (), year))
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the key was not destroyed: %s",
                         opd_redis_error (cli_redis (c)));
    if (c->json)
        cli_print_json (json_pack ("{s:s, s:b}", "period", year, "destroyed", 1));
    else
        printf ("pseudonym key %s destroyed: its pseudonyms are anonymous now\n", year);
    return CLI_OK;
}

//  --- anonymise -----------------------------------------------------------

//  opdesk anonymise --ticket ID: one closed ticket now, whatever its
//  retention (a data subject's request for erasure; docs/privacy.md).
static int
s_anonymise_one (cli_t *c, const char *id)
{
    json_t *list = json_array ();
    int rc = opd_anonymise_ticket (cli_redis (c), c->cfg, opd_now_ms (), id, list);
    int out = CLI_OK;
    if (rc < 0)
        out = cli_fail (c, CLI_UNAVAILABLE, "unavailable", "the anonymisation failed: %s",
                        opd_redis_error (cli_redis (c)));
    else if (rc == 2)
        out = cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    else if (rc == 3)
        out = cli_fail (c, CLI_REFUSED, "conflict", "%s is not closed; close it first", id);
    else if (rc == 4)
        out = cli_fail (c, CLI_REFUSED, "conflict", "%s is on legal hold; lift the hold first", id);
    else if (c->json)
        cli_print_json (json_incref (list));
    else
        printf ("%s %s\n", id, rc == 1 ? "anonymised (rule request)" : "was anonymised already");
    json_decref (list);
    return out;
}

//  opdesk anonymise --receipt N: prints run N's receipt and verifies its
//  signature with retention.receipt_key; 1 when it does not verify.
static int
s_receipt (cli_t *c, const char *run)
{
    if (!*run || strspn (run, "0123456789") != strlen (run))
        return cli_fail (c, CLI_USAGE, "usage", "--receipt takes a run number");
    bool failed = false;
    json_t *r = opd_receipt_check (cli_redis (c), c->cfg, run, &failed);
    if (!r)
        return failed ? cli_fail (c, CLI_UNAVAILABLE, "unavailable", "Redis: %s", opd_redis_error (cli_redis (c)))
                      : cli_fail (c, CLI_REFUSED, "not_found", "no receipt of run %s", run);
    bool ok = json_is_true (json_object_get (r, "verified"));
    if (c->json) {
        cli_print_json (r);
        return ok ? CLI_OK : CLI_REFUSED;
    }
    printf ("receipt of run %s\n", run);
    const char *name;
    json_t *v;
    json_object_foreach (json_object_get (r, "receipt"), name, v)
        printf ("  %-14s %s\n", name, json_string_value (v));
    if (ok)
        printf ("signature verified (key %s)\n", s_s (r, "signed_by"));
    else
        fprintf (stderr, "opdesk: the receipt does not verify: %s\n", s_s (r, "reason"));
    json_decref (r);
    return ok ? CLI_OK : CLI_REFUSED;
}

int
cli_anonymise (cli_t *c)
{
    static const char *const spec[] = {"dry-run", "ticket:", "receipt:", NULL};
    int rc = cli_check (c, spec, 0, "opdesk anonymise [--dry-run | --ticket ID | --receipt N] [--json]");
    if (rc)
        return rc;
    if (cli_opt (c, "receipt"))
        return s_receipt (c, cli_opt (c, "receipt"));
    bool dry = cli_flag (c, "dry-run");
    if (!dry && opd_receipt_key_check (c->cfg))
        return cli_fail (c, CLI_USAGE, "config", "retention.receipt_key is not a usable key: nothing was done");
    if (cli_opt (c, "ticket"))
        return dry ? cli_fail (c, CLI_USAGE, "usage", "--ticket anonymises now; it has no dry run")
                   : s_anonymise_one (c, cli_opt (c, "ticket"));
    json_t *list = json_array ();
    opd_anonymise_background (c->cfg);
    int n = opd_anonymise_pass (cli_redis (c), c->cfg, opd_now_ms (), dry, list);
    if (n == OPD_CANARY_FAILED) {
        json_decref (list);
        return cli_fail (c, CLI_REFUSED, "canary_failed",
                         "the run failed its canary: a copy of its data was left behind (the stores are in the "
                         "log and in the receipt, `opdesk anonymise --receipt N`)");
    }
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
