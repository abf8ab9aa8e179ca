/*  opd_route_scan: the Vectorscan prefilter over the words of every rule.

    One multi-pattern database per configuration load (block mode): every
    keyword of every rule, and every when.regex pattern, each with the index
    of its rule as its id, flags CASELESS | UTF8 | UCP. The
    folded subject and body are scanned once each; a hit in a field the rule
    reads makes the rule a candidate. The per-rule GRegex then confirms it
    (opd_route_rules.c), so the database must find a superset and never
    decides alone:
    - a keyword goes in without its word boundaries: Vectorscan's \b is not
      the Unicode \w of PCRE2 (a keyword after "é" must not match), so the
      boundary is left to the GRegex. "vpn" also finds "openvpn"; the
      confirmation drops it.
    - a pattern Vectorscan cannot compile as it is goes in with
      HS_FLAG_PREFILTER (Vectorscan's own superset of it); one that fails
      even so (a lookbehind, a backreference it cannot widen) makes its
      rule a candidate for every ticket.
    tests/unit/test_route_scan.c compares this path with the plain one on
    generated rules and texts. */
#include "opd_route_int.h"
#include "opd_route_words.h"
#include "opd_log.h"
#include "opd_util.h"
#include <hs.h>
#include <string.h>

//  Not HS_FLAG_SINGLEMATCH: with it, Vectorscan 5.4.9 misses some matches
//  of one-character patterns ("_" after 70 bytes of mixed text, found by
//  tests/unit/test_route_scan.c); the callback takes every match instead.
#define FLAGS (HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_UCP)

//  A literal of two bytes that valid UTF-8 never holds (every text scanned
//  is: ASCII, or folded by route_fold, which repairs it), with the id
//  nrules, which s_on_hit ignores. It is there for its length, and added
//  to sets of more than TEDDY_MAX literals of which some are common (no j,
//  q, x or z; every pattern). Vectorscan matches up to 48 literals (96
//  with AVX2) with Teddy, which compares the first four bytes of each at
//  once; a short literal makes it compare two, with more false alarms (10
//  rules: 0.8 us a ticket, 1.3 with it). Above that its literal matcher
//  FDR strides as far as the shortest literal is long: with every literal
//  five bytes or more it strode 3 to 5 bytes at a time below 800 literals,
//  where with common literals its table fills and nearly every stride is a
//  false alarm to confirm (100 rules: 5.9 us a ticket, 300: 11). With the
//  two-byte literal it strides 1 or 2 bytes: about 1.2 us for a 4 KiB body
//  from 50 to 2,000 literals. Rare literals raise few false alarms at any
//  stride, and the long one is faster (about 0.3 us). Between 49 and 96
//  literals, of which some common, Vectorscan may still choose Teddy, with
//  two-byte masks now: more two-byte literals that no text holds (PADDING)
//  take the set past 96, to FDR (30 rules of common words: 4.2 us a
//  ticket, 2.0 with them). BENCHMARKS.md, "Routing rules".
#define SHORT_LITERAL "\\xff\\xfe"
#define PADDING "\\x%02x\\x%02x"  //  two bytes of 0xf5 to 0xff, never in UTF-8
#define TEDDY_MAX 48
#define RARE 9.0  //  s_rarity of j, q, x, z
//  Above this many keywords made of common letters, those are looked for
//  word by word (opd_route_words.c) instead of in the database: the word
//  pass costs about 4 to 5 us for a 4 KiB body however many keywords there
//  are, the database 1 to 2.4 us up to 1,000 rules of such keywords (about
//  2,000), 4.2 at 2,000 rules, 7.6 at 3,000, 11 at 5,000 (BENCHMARKS.md).
#define WORDS_MIN 4000
static size_t s_words_min = WORDS_MIN;  //  router_rules_tune_words

struct router_scan {
    hs_database_t *db;
    hs_scratch_t *scratch;
    const router_rules_t *rules;
    unsigned *always;  //  rules without words, or whose patterns the database cannot stand for
    size_t nalways;
    route_words_t *words;  //  whole words found by a pass over the text's words, or NULL
    bool *seen;        //  per rule: a candidate of the current scan (cleared after it)
    unsigned *hits;    //  the candidates of the current scan
    size_t nhits;
};

typedef struct {
    GPtrArray *patterns;  //  char *, owned
    GArray *flags, *ids;  //  unsigned int
} plist_t;

static void
s_add (plist_t *l, char *pattern, unsigned flags, unsigned id)
{
    g_ptr_array_add (l->patterns, pattern);
    g_array_append_val (l->flags, flags);
    g_array_append_val (l->ids, id);
}

//  Appends the bytes of a literal, every one but letters and digits as \xHH.
static void
s_escaped (GString *p, const char *from, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) from[i];
        if (g_ascii_isalnum ((char) c))
            g_string_append_c (p, (char) c);
        else
            g_string_append_printf (p, "\\x%02x", c);
    }
}

//  A keyword with no ASCII in it as a UTF-8 pattern: its characters as they
//  are, runs of white space as \s+.
static void
s_utf8_keyword (GString *p, const char *k)
{
    bool space = false;
    for (; *k; k = g_utf8_next_char (k)) {
        gunichar c = g_utf8_get_char (k);
        if (g_unichar_isspace (c)) {
            space = p->len > 0;
            continue;
        }
        if (space)
            g_string_append (p, "\\s+");
        space = false;
        if (c < 0x80)
            s_escaped (p, k, 1);
        else
            g_string_append_len (p, k, g_utf8_next_char (k) - k);
    }
}

//  How rare byte c is in ticket text, about -log2 of its frequency in
//  English mail (letters in either case; e 3, t 3.5 ... q 10, z 10.5;
//  digits 6, anything else 7).
static double
s_rarity (unsigned char c)
{
    static const double letters[26] = {3.6, 6.1, 5.2, 4.5, 3.0, 5.5, 5.6, 4.0, 3.8, 9.4, 7.0, 4.6, 5.4,
                                       3.9, 3.7, 5.7, 10.0, 4.1, 4.0, 3.5, 5.2, 6.6, 5.4, 9.4, 5.6, 10.5};
    if (g_ascii_isalpha ((char) c))
        return letters[g_ascii_tolower ((char) c) - 'a'];
    return g_ascii_isdigit ((char) c) ? 6.0 : 7.0;
}

//  How unlikely the run of n bytes at p is in ticket text: the sum of its
//  first eight bytes' rarity (the literal matcher looks at no more; the
//  sum is about -log2 of the chance that the run starts at a given byte),
//  and 100 more when one of them is rare (j, q, x, z): the literal matcher
//  rarely raises a false alarm for a literal with one in it, and a set of
//  such literals needs no SHORT_LITERAL.
static double
s_run_rarity (const char *p, size_t n)
{
    double sum = 0, top = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        double r = s_rarity ((unsigned char) p[i]);
        sum += r;
        top = r > top ? r : top;
    }
    return sum + (top >= RARE ? 100 : 0);
}

//  True when one of the first eight of the n bytes at p is rare.
static bool
s_has_rare (const char *p, size_t n)
{
    for (size_t i = 0; i < n && i < 8; i++)
        if (s_rarity ((unsigned char) p[i]) >= RARE)
            return true;
    return false;
}

//  What stands for a keyword in the database, and its flags in *flags.
//  Mostly the rarest run of ASCII bytes other than white space in the
//  folded keyword (s_run_rarity: in "zqabc tonishe" "zqabc", in "remote
//  access" "access"), caseless in bytes: a whole match of the keyword
//  always holds each of its runs, and such literals compile a hundred times
//  faster than UTF-8 ones (2,000 keywords in 0.15 s, not 4 s). The rarest,
//  not the longest: a phrase whose literal is a word common in the bodies
//  costs the literal matcher a false alarm at nearly every position (the
//  bench's phrases at 100 to 300 rules: 5 to 11 us a ticket). A keyword
//  without any ASCII ("сеть", "网络") goes in whole, in UTF-8 mode, its
//  white space as \s+.
static char *
s_keyword (const char *keyword, unsigned *flags, bool *common)
{
    char *folded = route_fold (keyword);
    const char *k = folded ? folded : keyword, *best = NULL;
    size_t best_len = 0;
    double best_rarity = 0;
    for (const char *p = k; *p;) {
        size_t n = 0;
        while (p[n] && !((unsigned char) p[n] & 0x80) && !g_ascii_isspace (p[n]))
            n++;
        double rarity = s_run_rarity (p, n);
        if (n && (rarity > best_rarity || (rarity == best_rarity && n > best_len)))
            best = p, best_len = n, best_rarity = rarity;
        p += n ? n : 1;
    }
    GString *out = g_string_new ("");
    *flags = best ? HS_FLAG_CASELESS : FLAGS;
    *common = !best || !s_has_rare (best, best_len);
    if (best)
        s_escaped (out, best, best_len);
    else
        s_utf8_keyword (out, k);
    g_free (folded);
    return g_string_free (out, FALSE);
}

//  Flags a pattern compiles with alone (FLAGS, else with PREFILTER), or 0.
static unsigned
s_pattern_flags (const char *pattern)
{
    static const unsigned tries[] = {FLAGS | HS_FLAG_ALLOWEMPTY,
                                     FLAGS | HS_FLAG_ALLOWEMPTY | HS_FLAG_PREFILTER};
    for (size_t i = 0; i < 2; i++) {
        hs_database_t *db = NULL;
        hs_compile_error_t *err = NULL;
        if (hs_compile (pattern, tries[i], HS_MODE_BLOCK, NULL, &db, &err) == HS_SUCCESS) {
            hs_free_database (db);
            return tries[i];
        }
        hs_free_compile_error (err);
    }
    return 0;
}

//  Every word of rule r into l, with id, or into words (when not NULL)
//  for a keyword of common letters that has a whole ASCII word; false (and
//  nothing added to l) when one of its patterns cannot be had: the rule is
//  then always a candidate. Counts in *common the words put in l that are
//  not rare (s_keyword; every pattern).
static bool
s_rule_patterns (plist_t *l, route_words_t *words, const rule_t *r, unsigned id, size_t *common)
{
    char **pat = g_new0 (char *, r->npatterns + 1);
    unsigned *flags = g_new0 (unsigned, r->npatterns + 1);
    bool ok = true;
    for (size_t k = 0; k < r->npatterns && ok; k++) {
        char *folded = route_fold (r->patterns[k]);
        pat[k] = folded ? folded : g_strdup (r->patterns[k]);
        ok = (flags[k] = s_pattern_flags (pat[k])) != 0;
    }
    for (size_t k = 0; k < r->npatterns && ok; k++) {
        s_add (l, pat[k], flags[k], id);
        pat[k] = NULL;
        (*common)++;
    }
    for (size_t k = 0; k < r->nkeywords && ok; k++) {
        unsigned kflags;
        bool kcommon;
        char *pattern = s_keyword (r->keywords[k], &kflags, &kcommon);
        //  route_fold gives NULL for plain ASCII, which needs no folding.
        char *folded = kcommon && words ? route_fold (r->keywords[k]) : NULL;
        if (kcommon && words && route_words_add (words, folded ? folded : r->keywords[k], id))
            g_free (pattern);
        else {
            s_add (l, pattern, kflags, id);
            *common += kcommon;
        }
        g_free (folded);
    }
    g_strfreev (pat);
    g_free (flags);
    return ok;
}

static hs_database_t *
s_compile (plist_t *l)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    if (hs_compile_multi ((const char *const *) l->patterns->pdata, (const unsigned *) (void *) l->flags->data,
                          (const unsigned *) (void *) l->ids->data, l->patterns->len, HS_MODE_BLOCK, NULL, &db,
                          &err)
        != HS_SUCCESS) {
        opd_warn ("routing: Vectorscan cannot compile the rules (%s); every rule is tried in turn",
                  err && err->message ? err->message : "unknown error");
        hs_free_compile_error (err);
        return NULL;
    }
    return db;
}

//  The word table, when the rules hold more than WORDS_MIN keywords of
//  common letters (s_keyword), else NULL.
static route_words_t *
s_words_new (const router_rules_t *rules)
{
    size_t common = 0;
    for (size_t i = 0; i < rules->nrules && common <= s_words_min; i++) {
        const rule_t *r = &rules->rules[i];
        for (size_t k = 0; r->regex && k < r->nkeywords; k++) {
            unsigned flags;
            bool kcommon;
            g_free (s_keyword (r->keywords[k], &flags, &kcommon));
            common += kcommon;
        }
    }
    return common > s_words_min ? route_words_new () : NULL;
}

void
router_rules_tune_words (size_t min)
{
    s_words_min = min == (size_t) -1 ? WORDS_MIN : min;
}

//  The database of l, with the short literal and padding its common
//  literals need (SHORT_LITERAL); NULL when l is empty or on failure
//  (*failed set).
static hs_database_t *
s_database (plist_t *l, size_t common, unsigned nrules, bool *failed)
{
    size_t npatterns = l->patterns->len;
    if (!npatterns)
        return NULL;
    if (npatterns > TEDDY_MAX && common)
        s_add (l, g_strdup (SHORT_LITERAL), 0, nrules);
    for (unsigned k = 0; npatterns > TEDDY_MAX && common && l->patterns->len <= 2 * TEDDY_MAX; k++)
        s_add (l, g_strdup_printf (PADDING, 0xf5 + k / 11, 0xf5 + k % 11), 0, nrules);
    hs_database_t *db = s_compile (l);
    *failed = !db;
    return db;
}

struct router_scan *
route_scan_new (const router_rules_t *rules)
{
    struct router_scan *self = opd_calloc (1, sizeof *self);
    size_t n = rules->nrules;
    self->rules = rules;
    self->always = opd_calloc (n + 1, sizeof (unsigned));
    self->seen = opd_calloc (n + 1, sizeof (bool));
    self->hits = opd_calloc (n + 1, sizeof (unsigned));
    self->words = s_words_new (rules);
    plist_t l = {g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (unsigned)),
                 g_array_new (FALSE, FALSE, sizeof (unsigned))};
    size_t common = 0;
    for (size_t i = 0; i < n; i++)
        if (!rules->rules[i].regex || !s_rule_patterns (&l, self->words, &rules->rules[i], (unsigned) i, &common))
            self->always[self->nalways++] = (unsigned) i;
    if (self->words && !route_words_seal (self->words))
        route_words_destroy (&self->words);
    bool failed = false;
    self->db = s_database (&l, common, (unsigned) n, &failed);
    g_ptr_array_free (l.patterns, TRUE);
    g_array_free (l.flags, TRUE);
    g_array_free (l.ids, TRUE);
    if (failed || (self->db && hs_alloc_scratch (self->db, &self->scratch) != HS_SUCCESS))
        route_scan_destroy (&self);
    return self;
}

void
route_scan_destroy (struct router_scan **self_p)
{
    if (!self_p || !*self_p)
        return;
    struct router_scan *self = *self_p;
    if (self->scratch)
        hs_free_scratch (self->scratch);
    if (self->db)
        hs_free_database (self->db);
    route_words_destroy (&self->words);
    free (self->always);
    free (self->seen);
    free (self->hits);
    free (self);
    *self_p = NULL;
}

typedef struct {
    struct router_scan *scan;
    bool body;  //  scanning the body, else the subject
} hit_ctx_t;

static int
s_on_hit (unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void *arg)
{
    (void) from, (void) to, (void) flags;
    hit_ctx_t *h = arg;
    struct router_scan *self = h->scan;
    if (id >= self->rules->nrules)
        return 0;
    const rule_t *r = &self->rules->rules[id];
    if (!self->seen[id] && (h->body ? r->in_body : r->in_subject)) {
        self->seen[id] = true;
        self->hits[self->nhits++] = id;
    }
    return 0;
}

static void
s_on_word (unsigned id, void *arg)
{
    s_on_hit (id, 0, 0, 0, arg);
}

static bool
s_scan (struct router_scan *self, const char *text, size_t len, hit_ctx_t *h)
{
    if (!len)
        return true;
    if (self->words)
        route_words_scan (self->words, text, len, s_on_word, h);
    return !self->db || hs_scan (self->db, text, (unsigned) len, 0, self->scratch, s_on_hit, h) == HS_SUCCESS;
}

static int
s_cmp (const void *a, const void *b)
{
    unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
    return x < y ? -1 : x > y;
}

size_t
route_scan_candidates (struct router_scan *self, const folded_t *f, unsigned **out)
{
    self->nhits = 0;
    hit_ctx_t h = {self, false};
    bool ok = s_scan (self, f->subject, f->subject_len, &h);
    h.body = true;
    ok = ok && s_scan (self, f->body, f->body_len, &h);
    for (size_t i = 0; i < self->nhits; i++)
        self->seen[self->hits[i]] = false;
    if (!ok)
        return (size_t) -1;
    //  A hit is never one of the always-candidates (they put no pattern in).
    memcpy (self->hits + self->nhits, self->always, self->nalways * sizeof (unsigned));
    self->nhits += self->nalways;
    qsort (self->hits, self->nhits, sizeof (unsigned), s_cmp);
    *out = self->hits;
    return self->nhits;
}
