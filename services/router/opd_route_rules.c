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
    char **keywords, **patterns;  //  as configured, for explanations
    size_t nkeywords, npatterns;
    GRegex *regex;   //  every keyword of the rule as one alternation, and
                     //  every regex of when.regex; NULL when it has none
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

//  Text folded for matching: accents taken off (NFD, then every combining
//  mark dropped), so "cafe" matches "Café" and "Ünterbrechung" matches
//  "unterbrechung". NULL when text is plain ASCII (nothing to fold) or
//  NULL; else a new string. Text that is not UTF-8 is repaired first.
static char *
s_fold (const char *text)
{
    if (!text)
        return NULL;
    const char *p = text;
    while (*p && !((unsigned char) *p & 0x80))
        p++;
    if (!*p)
        return NULL;
    char *valid = g_utf8_validate (text, -1, NULL) ? NULL : g_utf8_make_valid (text, -1);
    char *nfd = g_utf8_normalize (valid ? valid : text, -1, G_NORMALIZE_NFD);
    g_free (valid);
    GString *out = g_string_sized_new (strlen (nfd));
    for (const char *q = nfd; *q; q = g_utf8_next_char (q)) {
        gunichar c = g_utf8_get_char (q);
        GUnicodeType t = g_unichar_type (c);
        if (t != G_UNICODE_NON_SPACING_MARK && t != G_UNICODE_SPACING_MARK && t != G_UNICODE_ENCLOSING_MARK)
            g_string_append_unichar (out, c);
    }
    g_free (nfd);
    return g_string_free (out, FALSE);
}

//  Appends the pattern of one keyword: its words escaped, joined by \s+.
//  Whitespace is any Unicode white space, so "remote access" also matches
//  "Remote\u00a0Access" and "remote\n access".
static void
s_append_keyword (GString *pattern, const char *keyword)
{
    char *folded = s_fold (keyword);
    const char *p = folded ? folded : keyword;
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
    g_free (folded);
}

//  One regular expression for a list of keywords and a list of regular
//  expressions (each taken as it is, in its own group), or NULL with
//  *error set when one does not compile, or NULL when both are empty. Not
//  G_REGEX_RAW: the subject is UTF-8 and \w covers letters of every script
//  (PCRE2_UCP).
static GRegex *
s_compile (char *const *keywords, size_t n, char *const *patterns, size_t np, GError **error)
{
    if (!n && !np)
        return NULL;
    GString *pattern = g_string_new ("");
    if (n) {
        g_string_append (pattern, "(?<!\\w)(?:");
        for (size_t i = 0; i < n; i++) {
            if (i)
                g_string_append_c (pattern, '|');
            s_append_keyword (pattern, keywords[i]);
        }
        g_string_append (pattern, ")(?!\\w)");
    }
    for (size_t i = 0; i < np; i++) {
        char *folded = s_fold (patterns[i]);
        g_string_append_printf (pattern, "%s(?:%s)", pattern->len ? "|" : "", folded ? folded : patterns[i]);
        g_free (folded);
    }
    GRegex *regex = g_regex_new (pattern->str, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, error);
    g_string_free (pattern, TRUE);
    return regex;
}

//  text is folded already (s_fold), so valid UTF-8.
static bool
s_matches (GRegex *regex, const char *text)
{
    return regex && text && *text && g_regex_match (regex, text, 0, NULL);
}

//  A copy of n strings (the count in *count), freed with g_strfreev.
static char **
s_strv (char *const *v, size_t n, size_t *count)
{
    char **out = g_new0 (char *, n + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = g_strdup (v[i]);
    *count = n;
    return out;
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
        r->keywords = s_strv (src->keywords, src->nkeywords, &r->nkeywords);
        r->patterns = s_strv (src->regexes, src->nregexes, &r->npatterns);
        GError *error = NULL;
        r->regex = s_compile (r->keywords, r->nkeywords, r->patterns, r->npatterns, &error);
        if (!r->regex && error) {
            snprintf (err, errlen, "routing_rules[%zu] (%s).when: cannot be compiled: %s", i, r->name,
                      error->message);
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
        g_strfreev (r->keywords);
        g_strfreev (r->patterns);
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

//  The first rule from index `from` on that matches the folded texts.
static int
s_first (const router_rules_t *self, size_t from, const char *subject, const char *body)
{
    for (size_t i = from; i < self->nrules; i++) {
        const rule_t *r = &self->rules[i];
        if ((r->in_subject && s_matches (r->regex, subject)) || (r->in_body && s_matches (r->regex, body)))
            return (int) i;
    }
    return -1;
}

int
router_rules_match (const router_rules_t *self, const char *subject, const char *body)
{
    char *fs = s_fold (subject), *fb = s_fold (body);
    int i = s_first (self, 0, fs ? fs : subject, fb ? fb : body);
    g_free (fs);
    g_free (fb);
    return i;
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
    GRegex *regex = s_compile (keywords, 1, NULL, 0, NULL);
    char *folded = s_fold (text);
    bool found = s_matches (regex, folded ? folded : text);
    g_free (folded);
    if (regex)
        g_regex_unref (regex);
    return found;
}

//  --- Explanations (opdesk route --explain) ------------------------------

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
        s_append_keyword (p, r->keywords[i]);
        g_string_append (p, ")\\w*");
        GRegex *re = g_regex_new (p->str, G_REGEX_CASELESS, 0, NULL);
        g_string_free (p, TRUE);
        char *hit = s_found (re, text);
        if (re)
            g_regex_unref (re);
        if (hit)
            return hit;
        g_free (hit);
    }
    return NULL;
}

//  One rule's line of the explanation; *winner is the first rule matched.
static json_t *
s_explain_rule (const router_rules_t *self, size_t i, const char *subject, const char *body, int *winner)
{
    const rule_t *r = &self->rules[i];
    char *in_s = s_found (r->regex, subject), *in_b = s_found (r->regex, body);
    bool matched = (r->in_subject && in_s) || (r->in_body && in_b);
    const char *where = r->in_subject && in_s ? "subject" : "body";
    const char *hit = r->in_subject && in_s ? in_s : in_b;
    char *why;
    if (matched && *winner < 0) {
        *winner = (int) i;
        why = g_strdup_printf ("matches: '%s' in the %s", hit, where);
    }
    else if (matched)
        why = g_strdup_printf ("matches too ('%s' in the %s), but rule '%s' comes first", hit, where,
                               self->rules[*winner].name);
    else if (in_s || in_b)
        why = g_strdup_printf ("nearly: '%s' is in the %s, but this rule reads only the %s", in_s ? in_s : in_b,
                               in_s ? "subject" : "body", r->in_subject ? "subject" : "body");
    else {
        char *inside = s_inside_word (r, r->in_subject ? subject : NULL);
        if (!inside && r->in_body)
            inside = s_inside_word (r, body);
        why = inside ? g_strdup_printf ("nearly: a keyword appears only inside the word '%s'", inside)
                     : g_strdup ("no keyword or pattern found");
        g_free (inside);
    }
    json_t *j = json_pack ("{s:s, s:b, s:s}", "name", r->name, "matched", matched, "why", why);
    g_free (why);
    g_free (in_s);
    g_free (in_b);
    return j;
}

json_t *
router_rules_explain (const router_rules_t *self, const char *subject, const char *body,
                      const char *ticket_priority, const char *ticket_category)
{
    char *fs = s_fold (subject), *fb = s_fold (body);
    const char *s = fs ? fs : subject, *b = fb ? fb : body;
    json_t *rules = json_array ();
    int winner = -1;
    for (size_t i = 0; i < self->nrules; i++)
        json_array_append_new (rules, s_explain_rule (self, i, s, b, &winner));
    g_free (fs);
    g_free (fb);
    router_decision_t d;
    router_rules_decide (self, subject, body, ticket_priority, ticket_category, &d);
    return json_pack ("{s:o, s:s, s:s, s:s, s:o, s:o}", "rule", *d.rule ? json_string (d.rule) : json_null (),
                      "team", d.team, "category", d.category, "priority", d.priority, "standard_response",
                      *d.standard_response ? json_string (d.standard_response) : json_null (), "rules", rules);
}
