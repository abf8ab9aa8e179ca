/*  opd_route_rules: see opd_route_rules.h. Loading and the decision; the
    explanations are in opd_route_explain.c, the Vectorscan prefilter in
    opd_route_scan.c.

    The decision is one pass: the folded subject and body are scanned once
    each by the prefilter (one Vectorscan database of every rule's words),
    which names the rules whose words may occur; then the rules are tried in
    order, and the first whose conditions all hold wins. A rule's words are
    confirmed by its own GRegex (the exact semantics: whole words by
    Unicode \w, PCRE2 patterns), so the prefilter only saves work and never
    decides. Without the prefilter every rule's GRegex is tried in turn. */
#include "opd_route_int.h"
#include "opd_calendar.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
s_dup_or_empty (const char *s)
{
    return opd_strdup (s ? s : "");
}

//  True when the len bytes of text are plain ASCII: 32 bytes at a time in
//  four words kept in registers (a 4 KiB body in about 0.05 us; a byte
//  loop, or an array of four words that the compiler keeps on the stack,
//  take five to ten times that).
static bool
s_ascii (const char *text, size_t len)
{
    uint64_t a = 0, b = 0, c = 0, d = 0, w;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        memcpy (&w, text + i, 8);
        a |= w;
        memcpy (&w, text + i + 8, 8);
        b |= w;
        memcpy (&w, text + i + 16, 8);
        c |= w;
        memcpy (&w, text + i + 24, 8);
        d |= w;
    }
    for (; i < len; i++)
        a |= (unsigned char) text[i];
    return !((a | b | c | d) & 0x8080808080808080ULL);
}

//  Text folded for matching: accents taken off (NFD, then every combining
//  mark dropped), so "cafe" matches "Café" and "Ünterbrechung" matches
//  "unterbrechung". NULL when the len bytes of text are plain ASCII
//  (nothing to fold); else a new string, its length in *out_len. Text
//  that is not UTF-8 is repaired first.
static char *
s_fold (const char *text, size_t len, size_t *out_len)
{
    if (s_ascii (text, len))
        return NULL;
    char *valid = g_utf8_validate (text, (gssize) len, NULL) ? NULL : g_utf8_make_valid (text, (gssize) len);
    char *nfd = g_utf8_normalize (valid ? valid : text, valid ? -1 : (gssize) len, G_NORMALIZE_NFD);
    g_free (valid);
    GString *out = g_string_sized_new (strlen (nfd));
    for (const char *q = nfd; *q; q = g_utf8_next_char (q)) {
        gunichar c = g_utf8_get_char (q);
        GUnicodeType t = g_unichar_type (c);
        if (t != G_UNICODE_NON_SPACING_MARK && t != G_UNICODE_SPACING_MARK && t != G_UNICODE_ENCLOSING_MARK)
            g_string_append_unichar (out, c);
    }
    g_free (nfd);
    *out_len = out->len;
    return g_string_free (out, FALSE);
}

char *
route_fold (const char *text)
{
    size_t len;
    return text ? s_fold (text, strlen (text), &len) : NULL;
}

//  Appends the pattern of one keyword: its words escaped, joined by \s+.
//  Whitespace is any Unicode white space, so "remote access" also matches
//  "Remote\u00a0Access" and "remote\n access".
void
route_append_keyword (GString *pattern, const char *keyword)
{
    char *folded = route_fold (keyword);
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
            route_append_keyword (pattern, keywords[i]);
        }
        g_string_append (pattern, ")(?!\\w)");
    }
    for (size_t i = 0; i < np; i++) {
        char *folded = route_fold (patterns[i]);
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

//  A copy of n strings (the count in *count), freed with g_strfreev; lower
//  case (UTF-8) when lower.
static char **
s_strv (char *const *v, size_t n, size_t *count, bool lower)
{
    char **out = g_new0 (char *, n + 1);
    for (size_t i = 0; i < n; i++)
        out[i] = lower ? g_utf8_strdown (v[i], -1) : g_strdup (v[i]);
    *count = n;
    return out;
}

//  A deep copy of a calendar, freed by s_calendar_free.
static opd_calendar_t *
s_calendar_copy (const opd_calendar_t *src)
{
    opd_calendar_t *c = opd_calloc (1, sizeof *c);
    c->id = opd_strdup (src->id);
    c->timezone = opd_strdup (src->timezone ? src->timezone : "UTC");
    c->always = src->always;
    for (int d = 0; d < 7; d++) {
        c->nhours[d] = src->nhours[d];
        c->hours[d] = opd_calloc (src->nhours[d] + 1, sizeof (opd_span_t));
        if (src->nhours[d])
            memcpy (c->hours[d], src->hours[d], src->nhours[d] * sizeof (opd_span_t));
    }
    c->holidays = s_strv (src->holidays, src->nholidays, &c->nholidays, false);
    return c;
}

static void
s_calendar_free (opd_calendar_t *c)
{
    if (!c)
        return;
    free (c->id);
    free (c->timezone);
    for (int d = 0; d < 7; d++)
        free (c->hours[d]);
    g_strfreev (c->holidays);
    free (c);
}

//  The rule's tags as a JSON array, "" when it has none.
static char *
s_tags_json (const opd_rule_t *src)
{
    if (!src->ntags)
        return opd_strdup ("");
    json_t *a = json_array ();
    for (size_t i = 0; i < src->ntags; i++)
        json_array_append_new (a, json_string (src->tags[i]));
    char *text = json_dumps (a, JSON_COMPACT);
    json_decref (a);
    return text;
}

//  Copies what rule i of cfg decides and looks at into r, and compiles its
//  words. false with err set when they do not compile.
static bool
s_rule_load (rule_t *r, const opd_config_t *cfg, size_t i, char *err, size_t errlen)
{
    const opd_rule_t *src = &cfg->rules[i];
    r->name = s_dup_or_empty (src->name);
    r->team = s_dup_or_empty (src->team);
    r->category = s_dup_or_empty (src->category);
    r->priority = s_dup_or_empty (src->priority);
    r->standard_response = s_dup_or_empty (src->standard_response);
    r->assignee = s_dup_or_empty (src->assignee);
    r->tags = s_tags_json (src);
    r->in_subject = src->in_subject;
    r->in_body = src->in_body;
    r->keywords = s_strv (src->keywords, src->nkeywords, &r->nkeywords, false);
    r->patterns = s_strv (src->regexes, src->nregexes, &r->npatterns, false);
    r->channels = s_strv (src->channels, src->nchannels, &r->nchannels, true);
    r->domains = s_strv (src->domains, src->ndomains, &r->ndomains, true);
    r->request_types = s_strv (src->request_types, src->nrequest_types, &r->nrequest_types, false);
    r->categories = s_strv (src->categories, src->ncategories, &r->ncategories, false);
    r->priorities = s_strv (src->priorities, src->npriorities, &r->npriorities, false);
    if (src->hours && src->calendar && opd_config_calendar (cfg, src->calendar)) {
        r->hours = !strcmp (src->hours, "inside") ? 1 : 2;
        r->calendar = s_calendar_copy (opd_config_calendar (cfg, src->calendar));
    }
    GError *error = NULL;
    r->regex = s_compile (r->keywords, r->nkeywords, r->patterns, r->npatterns, &error);
    if (!r->regex && error) {
        snprintf (err, errlen, "routing_rules[%zu] (%s).when: cannot be compiled: %s", i, r->name, error->message);
        g_clear_error (&error);
        return false;
    }
    return true;
}

router_rules_t *
router_rules_new (const opd_config_t *cfg, char *err, size_t errlen)
{
    router_rules_t *self = opd_calloc (1, sizeof *self);
    self->default_team = s_dup_or_empty (cfg->default_team);
    self->default_priority = s_dup_or_empty (cfg->default_priority);
    self->rules = opd_calloc (cfg->nrules ? cfg->nrules : 1, sizeof (rule_t));
    for (size_t i = 0; i < cfg->nrules; i++) {
        if (!s_rule_load (&self->rules[self->nrules++], cfg, i, err, errlen)) {
            router_rules_destroy (&self);
            return NULL;
        }
    }
    self->scan = route_scan_new (self);
    return self;
}

static void
s_rule_free (rule_t *r)
{
    free (r->name);
    free (r->team);
    free (r->category);
    free (r->priority);
    free (r->standard_response);
    free (r->assignee);
    free (r->tags);
    g_strfreev (r->keywords);
    g_strfreev (r->patterns);
    g_strfreev (r->channels);
    g_strfreev (r->domains);
    g_strfreev (r->request_types);
    g_strfreev (r->categories);
    g_strfreev (r->priorities);
    s_calendar_free (r->calendar);
    if (r->regex)
        g_regex_unref (r->regex);
}

void
router_rules_destroy (router_rules_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    router_rules_t *self = *self_p;
    route_scan_destroy (&self->scan);
    for (size_t i = 0; i < self->nrules; i++)
        s_rule_free (&self->rules[i]);
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

bool
router_rules_scanning (const router_rules_t *self)
{
    return self->scan != NULL;
}

//  Each text's length is measured once here, for the folding, the scan
//  and the confirmation alike.
void
route_fold_ticket (folded_t *f, const char *subject, const char *body)
{
    f->subject_len = subject ? strlen (subject) : 0;
    f->body_len = body ? strlen (body) : 0;
    f->fs = subject ? s_fold (subject, f->subject_len, &f->subject_len) : NULL;
    f->fb = body ? s_fold (body, f->body_len, &f->body_len) : NULL;
    f->subject = f->fs ? f->fs : subject;
    f->body = f->fb ? f->fb : body;
}

void
route_fold_free (folded_t *f)
{
    g_free (f->fs);
    g_free (f->fb);
    f->fs = f->fb = NULL;
}

bool
route_words_hold (const rule_t *r, const char *subject, const char *body)
{
    if (!r->regex)
        return true;
    return (r->in_subject && s_matches (r->regex, subject)) || (r->in_body && s_matches (r->regex, body));
}

//  The first rule whose conditions hold for t, the texts folded already:
//  among the n rules of cand (indexes in order), or among all when cand is
//  NULL.
static int
s_first (const router_rules_t *self, const router_ticket_t *t, const folded_t *f, const unsigned *cand, size_t n)
{
    size_t count = cand ? n : self->nrules;
    for (size_t k = 0; k < count; k++) {
        size_t i = cand ? cand[k] : k;
        const rule_t *r = &self->rules[i];
        if (route_conditions_hold (r, t) && route_words_hold (r, f->subject, f->body))
            return (int) i;
    }
    return -1;
}

//  True when folded text holds one of the two letters outside ASCII that
//  PCRE2 takes, caseless, for an ASCII letter: LONG S (s) and KELVIN SIGN
//  (k; folding makes it K already, kept for safety). The prefilter's
//  literals are caseless in ASCII only, so such a ticket goes the plain
//  way (test_route_scan fails without this). Only text that needed folding
//  can hold them.
static bool
s_odd_case (const folded_t *f)
{
    const char *texts[2] = {f->fs, f->fb};
    for (int i = 0; i < 2; i++)
        if (texts[i] && (strstr (texts[i], "\xe2\x84\xaa") || strstr (texts[i], "\xc5\xbf")))
            return true;
    return false;
}

//  The match, with the prefilter when there is one.
static int
s_match (const router_rules_t *self, const router_ticket_t *t, bool scan)
{
    folded_t f;
    route_fold_ticket (&f, t->subject, t->body);
    unsigned *cand = NULL;
    size_t n = (size_t) -1;
    if (scan && self->scan && !s_odd_case (&f))
        n = route_scan_candidates (self->scan, &f, &cand);
    int i = s_first (self, t, &f, n == (size_t) -1 ? NULL : cand, n);
    route_fold_free (&f);
    return i;
}

int
router_rules_match_ticket (const router_rules_t *self, const router_ticket_t *t)
{
    return s_match (self, t, true);
}

int
router_rules_match_plain (const router_rules_t *self, const router_ticket_t *t)
{
    return s_match (self, t, false);
}

int
router_rules_match (const router_rules_t *self, const char *subject, const char *body)
{
    router_ticket_t t = {.subject = subject, .body = body};
    return router_rules_match_ticket (self, &t);
}

void
router_rules_decide_ticket (const router_rules_t *self, const router_ticket_t *t, router_decision_t *out)
{
    int i = router_rules_match_ticket (self, t);
    const rule_t *r = i >= 0 ? &self->rules[i] : NULL;
    out->rule = r ? r->name : "";
    out->standard_response = r ? r->standard_response : "";
    out->tags = r ? r->tags : "";
    out->assignee = r ? r->assignee : "";
    out->team = r && *r->team ? r->team : self->default_team;
    if (t->category && *t->category)
        out->category = t->category;
    else
        out->category = r ? r->category : "";
    if (t->priority && *t->priority)
        out->priority = t->priority;
    else if (r && *r->priority)
        out->priority = r->priority;
    else
        out->priority = self->default_priority;
}

void
router_rules_decide (const router_rules_t *self, const char *subject, const char *body,
                     const char *ticket_priority, const char *ticket_category,
                     router_decision_t *out)
{
    router_ticket_t t = {.subject = subject, .body = body, .priority = ticket_priority,
                         .category = ticket_category};
    router_rules_decide_ticket (self, &t, out);
}

bool
router_keyword_matches (const char *keyword, const char *text)
{
    char *const keywords[1] = {(char *) keyword};
    GRegex *regex = s_compile (keywords, 1, NULL, 0, NULL);
    char *folded = route_fold (text);
    bool found = s_matches (regex, folded ? folded : text);
    g_free (folded);
    if (regex)
        g_regex_unref (regex);
    return found;
}
