/*  opd_route_rules: see opd_route_rules.h. */
#include "opd_route_rules.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name, *team, *category, *priority, *standard_response;
    bool in_subject, in_body;
    GRegex *regex;  //  every keyword of the rule, as one alternation
} rule_t;

struct _router_rules_t {
    rule_t *rules;
    size_t nrules;
    char *default_team, *default_priority;
};

static char *
s_dup_or_empty (const char *s)
{
    return opd_strdup (s ? s : "");
}

//  Appends the pattern of one keyword: its words escaped, joined by \s+.
//  Whitespace is any Unicode white space, so "remote access" also matches
//  "Remote\u00a0Access" and "remote\n access".
static void
s_append_keyword (GString *pattern, const char *keyword)
{
    const char *p = keyword;
    bool pending_space = false, any = false;
    while (*p) {
        gunichar c = g_utf8_get_char (p);
        const char *next = g_utf8_next_char (p);
        if (g_unichar_isspace (c)) {
            pending_space = any;
            p = next;
            continue;
        }
        const char *start = p;
        while (*p && !g_unichar_isspace (g_utf8_get_char (p)))
            p = g_utf8_next_char (p);
        if (pending_space)
            g_string_append (pattern, "\\s+");
        char *escaped = g_regex_escape_string (start, (gint) (p - start));
        g_string_append (pattern, escaped);
        g_free (escaped);
        pending_space = false;
        any = true;
    }
}

//  One regular expression for a list of keywords. Not G_REGEX_RAW: the
//  subject is UTF-8 and \w covers letters of every script (PCRE2_UCP).
static GRegex *
s_compile (char *const *keywords, size_t n, GError **error)
{
    GString *pattern = g_string_new ("(?<!\\w)(?:");
    for (size_t i = 0; i < n; i++) {
        if (i)
            g_string_append_c (pattern, '|');
        s_append_keyword (pattern, keywords[i]);
    }
    g_string_append (pattern, ")(?!\\w)");
    GRegex *regex = g_regex_new (pattern->str, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, error);
    g_string_free (pattern, TRUE);
    return regex;
}

static bool
s_matches (GRegex *regex, const char *text)
{
    if (!text || !*text)
        return false;
    if (g_utf8_validate (text, -1, NULL))
        return g_regex_match (regex, text, 0, NULL);
    //  Intake only stores valid UTF-8; anything else is repaired, not skipped.
    char *valid = g_utf8_make_valid (text, -1);
    bool found = g_regex_match (regex, valid, 0, NULL);
    g_free (valid);
    return found;
}

router_rules_t *
router_rules_new (const opd_config_t *cfg, char *err, size_t errlen)
{
    router_rules_t *self = opd_calloc (1, sizeof *self);
    self->default_team = s_dup_or_empty (cfg->default_team);
    self->default_priority = s_dup_or_empty (cfg->default_priority);
    self->rules = opd_calloc (cfg->nrules ? cfg->nrules : 1, sizeof (rule_t));
    for (size_t i = 0; i < cfg->nrules; i++) {
        const opd_rule_t *src = &cfg->rules[i];
        rule_t *r = &self->rules[self->nrules++];
        r->name = s_dup_or_empty (src->name);
        r->team = s_dup_or_empty (src->team);
        r->category = s_dup_or_empty (src->category);
        r->priority = s_dup_or_empty (src->priority);
        r->standard_response = s_dup_or_empty (src->standard_response);
        r->in_subject = src->in_subject;
        r->in_body = src->in_body;
        GError *error = NULL;
        r->regex = s_compile (src->keywords, src->nkeywords, &error);
        if (!r->regex) {
            snprintf (err, errlen, "routing_rules[%zu].when.keywords: cannot be compiled: %s", i,
                      error ? error->message : "unknown error");
            g_clear_error (&error);
            router_rules_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
router_rules_destroy (router_rules_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    router_rules_t *self = *self_p;
    for (size_t i = 0; i < self->nrules; i++) {
        rule_t *r = &self->rules[i];
        free (r->name);
        free (r->team);
        free (r->category);
        free (r->priority);
        free (r->standard_response);
        if (r->regex)
            g_regex_unref (r->regex);
    }
    free (self->rules);
    free (self->default_team);
    free (self->default_priority);
    free (self);
    *self_p = NULL;
}

size_t
router_rules_count (const router_rules_t *self)
{
    return self->nrules;
}

int
router_rules_match (const router_rules_t *self, const char *subject, const char *body)
{
    for (size_t i = 0; i < self->nrules; i++) {
        const rule_t *r = &self->rules[i];
        if ((r->in_subject && s_matches (r->regex, subject))
            || (r->in_body && s_matches (r->regex, body)))
            return (int) i;
    }
    return -1;
}

void
router_rules_decide (const router_rules_t *self, const char *subject, const char *body,
                     const char *ticket_priority, const char *ticket_category,
                     router_decision_t *out)
{
    int i = router_rules_match (self, subject, body);
    const rule_t *r = i >= 0 ? &self->rules[i] : NULL;
    out->rule = r ? r->name : "";
    out->standard_response = r ? r->standard_response : "";
    out->team = r && *r->team ? r->team : self->default_team;
    if (ticket_category && *ticket_category)
        out->category = ticket_category;
    else
        out->category = r ? r->category : "";
    if (ticket_priority && *ticket_priority)
        out->priority = ticket_priority;
    else if (r && *r->priority)
        out->priority = r->priority;
    else
        out->priority = self->default_priority;
}

bool
router_keyword_matches (const char *keyword, const char *text)
{
    char *const keywords[1] = {(char *) keyword};
    GRegex *regex = s_compile (keywords, 1, NULL);
    if (!regex)
        return false;
    bool found = s_matches (regex, text);
    g_regex_unref (regex);
    return found;
}
