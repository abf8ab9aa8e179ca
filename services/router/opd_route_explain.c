/*  opd_route_explain: why a ticket routes as it does (opdesk route
    --explain): for every rule in order, what matched and where, which
    conditions held, or what nearly matched. For tools, not the loop: it
    compiles small expressions as it goes. */
#include "opd_route_int.h"
#include "opd_util.h"
#include <string.h>

//  What regex finds first in text, as a new string, or NULL.
static char *
s_found (GRegex *regex, const char *text)
{
    if (!regex || !text || !*text)
        return NULL;
    GMatchInfo *mi = NULL;
    char *hit = g_regex_match (regex, text, 0, &mi) ? g_match_info_fetch (mi, 0) : NULL;
    g_match_info_free (mi);
    return hit;
}

//  A keyword of r found only inside a longer word of text ("openvpn").
static char *
s_inside_word (const rule_t *r, const char *text)
{
    for (size_t i = 0; i < r->nkeywords && text && *text; i++) {
        GString *p = g_string_new ("\\w*(?:");
        route_append_keyword (p, r->keywords[i]);
        g_string_append (p, ")\\w*");
        GRegex *re = g_regex_new (p->str, G_REGEX_CASELESS, 0, NULL);
        g_string_free (p, TRUE);
        char *hit = s_found (re, text);
        if (re)
            g_regex_unref (re);
        if (hit)
            return hit;
    }
    return NULL;
}

//  Why a rule whose words were not found did not match.
static char *
s_why_not_found (const rule_t *r, const char *subject, const char *body, const char *in_s, const char *in_b)
{
    if (in_s || in_b)
        return g_strdup_printf ("nearly: '%s' is in the %s, but this rule reads only the %s", in_s ? in_s : in_b,
                                in_s ? "subject" : "body", r->in_subject ? "subject" : "body");
    char *inside = s_inside_word (r, r->in_subject ? subject : NULL);
    if (!inside && r->in_body)
        inside = s_inside_word (r, body);
    char *why = inside ? g_strdup_printf ("nearly: a keyword appears only inside the word '%s'", inside)
                       : g_strdup ("no keyword or pattern found");
    g_free (inside);
    return why;
}

//  What the words of a matching rule found ("'vpn' in the subject"), or
//  that it has none.
static char *
s_what (const rule_t *r, const char *in_s, const char *in_b)
{
    if (!r->regex)
        return g_strdup ("its conditions hold");
    bool subj = r->in_subject && in_s;
    return g_strdup_printf ("'%s' in the %s", subj ? in_s : in_b, subj ? "subject" : "body");
}

//  One rule's line of the explanation; *winner is the first rule matched.
static json_t *
s_explain_rule (const router_rules_t *self, size_t i, const router_ticket_t *t, const folded_t *f, int *winner)
{
    const rule_t *r = &self->rules[i];
    char *in_s = s_found (r->regex, f->subject), *in_b = s_found (r->regex, f->body);
    bool words = !r->regex || (r->in_subject && in_s) || (r->in_body && in_b);
    const char *failed;
    json_t *conds = route_conditions (r, t, &failed);
    bool matched = words && !failed;
    char *what = words ? s_what (r, in_s, in_b) : NULL, *why;
    if (matched && *winner < 0) {
        *winner = (int) i;
        why = r->regex ? g_strdup_printf ("matches: %s", what) : g_strdup ("matches: its conditions hold");
    }
    else if (matched)
        why = g_strdup_printf ("matches too (%s), but rule '%s' comes first", what, self->rules[*winner].name);
    else if (words)
        why = g_strdup_printf ("nearly: %s, but %s", what, failed);
    else
        why = s_why_not_found (r, f->subject, f->body, in_s, in_b);
    json_t *j = json_pack ("{s:s, s:b, s:s, s:o}", "name", r->name, "matched", matched, "why", why,
                           "conditions", conds);
    g_free (what);
    g_free (why);
    g_free (in_s);
    g_free (in_b);
    return j;
}

json_t *
router_rules_explain_ticket (const router_rules_t *self, const router_ticket_t *t)
{
    folded_t f;
    route_fold_ticket (&f, t->subject, t->body);
    json_t *rules = json_array ();
    int winner = -1;
    for (size_t i = 0; i < self->nrules; i++)
        json_array_append_new (rules, s_explain_rule (self, i, t, &f, &winner));
    route_fold_free (&f);
    router_decision_t d;
    router_rules_decide_ticket (self, t, &d);
    json_t *tags = *d.tags ? json_loads (d.tags, 0, NULL) : NULL;
    return json_pack ("{s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "rule", *d.rule ? json_string (d.rule) : json_null (),
                      "team", d.team, "category", d.category, "priority", d.priority, "standard_response",
                      *d.standard_response ? json_string (d.standard_response) : json_null (), "tags",
                      tags ? tags : json_array (), "assignee", *d.assignee ? json_string (d.assignee) : json_null (),
                      "rules", rules);
}

json_t *
router_rules_explain (const router_rules_t *self, const char *subject, const char *body,
                      const char *ticket_priority, const char *ticket_category)
{
    router_ticket_t t = {.subject = subject, .body = body, .priority = ticket_priority,
                         .category = ticket_category};
    return router_rules_explain_ticket (self, &t);
}
