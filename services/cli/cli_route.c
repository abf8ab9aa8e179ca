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
    "opdesk route --explain ID [--json]";

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
    free (body);
    if (c->json)
        cli_print_json (e);
    else {
        s_print (e, NULL);
        json_decref (e);
    }
    return CLI_OK;
}

int
cli_route (cli_t *c)
{
    static const char *const spec[] = {"explain", "subject:", "body:", "body-file:", "priority:", "category:", "channel:",
                                       "email:", "request-type:", NULL};
    if (c->npos > 1 || cli_check (c, spec, c->npos, s_usage_text) != CLI_OK)
        return cli_fail (c, CLI_USAGE, "usage", "usage: %s", s_usage_text);
    if (!cli_flag (c, "explain"))
        return cli_fail (c, CLI_USAGE, "usage", "route needs --explain\nusage: %s", s_usage_text);
    char err[512];
    router_rules_t *rules = router_rules_new (c->cfg, err, sizeof err);
    if (!rules)
        return cli_fail (c, CLI_REFUSED, "invalid", "%s", err);
    int rc = c->npos == 1 ? s_explain_ticket (c, rules, c->pos[0]) : s_explain_text (c, rules);
    router_rules_destroy (&rules);
    return rc;
}
