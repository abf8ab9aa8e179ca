/*  cli_route: `opdesk route --explain`: which routing rule a request
    matches and why, which rules nearly did, and the team, category and
    priority it would get, by the rules of the configuration it loaded
    (libopdroute, the router's own decision). Give a subject and body, or a
    ticket id to explain its stored subject and body (and see where it was
    routed). Run it after editing the rules and before the SIGHUP. */
#include "cli.h"
#include "opd_route_rules.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_usage_text =
    "opdesk route --explain --subject TEXT [--body TEXT | --body-file FILE]\n"
    "                       [--priority P] [--category PATH] [--channel C] [--email ADDRESS]\n"
    "                       [--request-type ID] [--json]   (received now)\n"
    "opdesk route --explain ID [--json]\n"
    "opdesk route --stats [--json]       per rule: tickets routed, and misrouted (team changed by hand within 24 h)";

//  Per rule of rules, from opd:stats:route: {"rule", "routed", "misrouted",
//  "misroute_rate"} in rule order; NULL when Redis does not answer.
static json_t *
s_stats (cli_t *c)
{
    redisReply *r = opd_redis_command (cli_redis (c), "HGETALL %s", OPD_KEY_STATS_ROUTE);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject (r);
        return NULL;
    }
    json_t *out = json_array ();
    for (size_t i = 0; i < c->cfg->nrules; i++) {
        const char *name = c->cfg->rules[i].name;
        size_t len = strlen (name);
        long long n[2] = {0, 0};  //  routed, misrouted
        for (size_t k = 0; k + 1 < r->elements; k += 2) {
            const char *f = r->element[k]->str, *v = r->element[k + 1]->str;
            if (!f || !v || strncmp (f, name, len))
                continue;
            if (!strcmp (f + len, "|routed"))
                n[0] = strtoll (v, NULL, 10);
            else if (!strcmp (f + len, "|misrouted"))
                n[1] = strtoll (v, NULL, 10);
        }
        json_array_append_new (out, json_pack ("{s:s, s:I, s:I, s:f}", "rule", name, "routed", (json_int_t) n[0],
                                               "misrouted", (json_int_t) n[1],
                                               "misroute_rate", n[0] ? (double) n[1] / (double) n[0] : 0.0));
    }
    freeReplyObject (r);
    return out;
}

//  Adds each rule's misroute figures to the explanation e ("misroute" in
//  each of its rules), when Redis answers.
static void
s_add_stats (cli_t *c, json_t *e)
{
    json_t *stats = s_stats (c);
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get (e, "rules"), i, r) {
        json_t *st = json_array_get (stats, i);
        if (st)
            json_object_set_new (r, "misroute", json_pack ("{s:O, s:O, s:O}", "routed", json_object_get (st, "routed"),
                                                           "misrouted", json_object_get (st, "misrouted"), "rate",
                                                           json_object_get (st, "misroute_rate")));
    }
    json_decref (stats);
}

static void
s_print (const json_t *e, const char *routed)
{
    const json_t *rule = json_object_get (e, "rule");
    printf ("Rule:     %s\n", json_is_string (rule) ? json_string_value (rule) : "(none: the defaults apply)");
    printf ("Team:     %s\nCategory: %s\nPriority: %s\n", json_string_value (json_object_get (e, "team")),
            *json_string_value (json_object_get (e, "category")) ? json_string_value (json_object_get (e, "category"))
                                                                   : "(none)",
            json_string_value (json_object_get (e, "priority")));
    const json_t *sr = json_object_get (e, "standard_response");
    if (json_is_string (sr))
        printf ("Standard response: %s\n", json_string_value (sr));
    const json_t *as = json_object_get (e, "assignee");
    if (json_is_string (as))
        printf ("Assignee: %s\n", json_string_value (as));
    char *tags = json_array_size (json_object_get (e, "tags")) ? json_dumps (json_object_get (e, "tags"), JSON_COMPACT)
                                                                : NULL;
    if (tags)
        printf ("Tags:     %s\n", tags);
    free (tags);
    if (routed)
        printf ("%s\n", routed);
    printf ("\nRules, in order (the first that matches wins):\n");
    size_t i;
    const json_t *r;
    json_array_foreach (json_object_get (e, "rules"), i, r) {
        printf ("  %zu. %-20s %s\n", i + 1, json_string_value (json_object_get (r, "name")),
                json_string_value (json_object_get (r, "why")));
        const json_t *m = json_object_get (r, "misroute");
        if (json_integer_value (json_object_get (m, "routed")))
            printf ("     misrouted %lld of %lld routed (%.0f%%: team changed by hand within 24 h)\n",
                    (long long) json_integer_value (json_object_get (m, "misrouted")),
                    (long long) json_integer_value (json_object_get (m, "routed")),
                    100 * json_real_value (json_object_get (m, "rate")));
        size_t j;
        const json_t *w;
        json_array_foreach (json_object_get (r, "conditions"), j, w)
            printf ("     %s %s: %s\n", json_is_true (json_object_get (w, "holds")) ? "[x]" : "[ ]",
                    json_string_value (json_object_get (w, "when")), json_string_value (json_object_get (w, "detail")));
    }
}

//  Explains ticket id's stored subject and body.
static int
s_explain_ticket (cli_t *c, const router_rules_t *rules, const char *id)
{
    opd_ticket_t t;
    redisReply *hash = NULL;
    int rc = opd_store_ticket_get (cli_redis (c), id, &t, &hash);
    if (rc < 0)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "Redis did not answer");
    if (rc == 0)
        return cli_fail (c, CLI_REFUSED, "not_found", "no ticket %s", id);
    //  As the router saw it: the request's own priority and category are
    //  gone once routed, so the conditions on them read the stored values.
    router_ticket_t rt = {t.subject, t.body, t.priority, t.category, t.channel, t.req_email, t.request_type,
                          t.received_at ? strtoll (t.received_at, NULL, 10) : 0};
    json_t *e = router_rules_explain_ticket (rules, &rt);
    json_object_set_new (e, "ticket_id", json_string (id));
    s_add_stats (c, e);
    json_object_set_new (e, "routed", json_pack ("{s:s?, s:s?}", "team", t.team, "rule", t.rule));
    if (c->json)
        cli_print_json (e);
    else {
        char *routed = opd_sprintf ("Stored:   routed to %s by %s", t.team && *t.team ? t.team : "(not routed yet)",
                                    t.rule && *t.rule ? t.rule : "no rule");
        s_print (e, routed);
        free (routed);
        json_decref (e);
    }
    freeReplyObject (hash);
    return CLI_OK;
}

static int
s_explain_text (cli_t *c, const router_rules_t *rules)
{
    const char *subject = cli_opt (c, "subject");
    if (!subject)
        return cli_fail (c, CLI_USAGE, "usage", "give --subject (or a ticket id)\nusage: %s", s_usage_text);
    char *body = NULL;
    if (cli_opt (c, "body-file") && !(body = cli_read_file (cli_opt (c, "body-file"))))
        return cli_fail (c, CLI_USAGE, "usage", "cannot read --body-file %s", cli_opt (c, "body-file"));
    router_ticket_t t = {subject, body ? body : cli_opt (c, "body"), cli_opt (c, "priority"), cli_opt (c, "category"),
                         cli_opt (c, "channel"), cli_opt (c, "email"), cli_opt (c, "request-type"), 0};
    json_t *e = router_rules_explain_ticket (rules, &t);
    s_add_stats (c, e);
    free (body);
    if (c->json)
        cli_print_json (e);
    else {
        s_print (e, NULL);
        json_decref (e);
    }
    return CLI_OK;
}

//  opdesk route --stats: per rule, tickets routed and misrouted.
static int
s_route_stats (cli_t *c)
{
    json_t *stats = s_stats (c);
    if (!stats)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "Redis did not answer");
    if (c->json) {
        cli_print_json (stats);
        return CLI_OK;
    }
    printf ("%-24s %8s %10s %8s\n", "rule", "routed", "misrouted", "rate");
    size_t i;
    json_t *r;
    json_array_foreach (stats, i, r)
        printf ("%-24s %8lld %10lld %7.1f%%\n", json_string_value (json_object_get (r, "rule")),
                (long long) json_integer_value (json_object_get (r, "routed")),
                (long long) json_integer_value (json_object_get (r, "misrouted")),
                100 * json_real_value (json_object_get (r, "misroute_rate")));
    printf ("misrouted: the team was changed by hand within 24 hours of the routing\n");
    json_decref (stats);
    return CLI_OK;
}

int
cli_route (cli_t *c)
{
    static const char *const spec[] = {"explain", "stats", "subject:", "body:", "body-file:", "priority:", "category:", "channel:",
                                       "email:", "request-type:", NULL};
    if (c->npos > 1 || cli_check (c, spec, c->npos, s_usage_text) != CLI_OK)
        return cli_fail (c, CLI_USAGE, "usage", "usage: %s", s_usage_text);
    if (cli_flag (c, "stats") && !cli_flag (c, "explain") && !c->npos)
        return s_route_stats (c);
    if (!cli_flag (c, "explain"))
        return cli_fail (c, CLI_USAGE, "usage", "route needs --explain or --stats\nusage: %s", s_usage_text);
    char err[512];
    router_rules_t *rules = router_rules_new (c->cfg, err, sizeof err);
    if (!rules)
        return cli_fail (c, CLI_REFUSED, "invalid", "%s", err);
    int rc = c->npos == 1 ? s_explain_ticket (c, rules, c->pos[0]) : s_explain_text (c, rules);
    router_rules_destroy (&rules);
    return rc;
}
