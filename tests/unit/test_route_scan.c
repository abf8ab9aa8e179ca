/*  The Vectorscan prefilter (services/router/opd_route_scan.c) never changes
    a decision: on generated rules and texts, the scanning path and the plain
    path (every rule's GRegex in turn) pick the same rule. Texts mix ASCII,
    accented and non-Latin words, words glued to keywords ("openvpn",
    "éDrucker"), odd whitespace and case; rules mix keywords, phrases and
    patterns, some of which Vectorscan cannot compile (lookbehind,
    backreferences). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "opd_config.h"
#include "router/opd_route_rules.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_words[] = {
    "vpn", "VPN", "Vpn", "drucker", "DRUCKER", "Drucker", "ünterbrechung", "ÜNTERBRECHUNG", "unterbrechung",
    "café", "CAFE", "cafe", "résumé", "RESUME", "сеть", "СЕТЬ", "δίκτυο", "ΔΊΚΤΥΟ", "网络", "ネットワーク",
    "c++", "a.b", "(x", "e-mail", "email", "straße", "STRASSE", "ǅemal", "kelvin", "\xe2\x84\xaa" "elvin",
    "naïve", "NAIVE", "inc123456", "INC1234567", "remote", "access", "printer", "ﬁle", "file", "İstanbul",
    "istanbul", "ıstanbul", "ß", "ss", "σ", "ς", "Σ", "x", "_", "0", "ĳ", "ǆ", "ǈ", "server", "\xc5\xbf" "erver",
    "SERVER"};
static const char *const s_glue[] = {"", "", "", "", "open", "laser", "é", "x", "_", "2", "s", "en", "ß", "я", "网"};
static const char *const s_space[] = {" ", " ", " ", "  ", "\n", "\t", "\xc2\xa0", ", ", ". ", "-", "/", "«", "»",
                                      "\xe2\x80\x83", "\xe3\x80\x80"};
static const char *const s_regex[] = {
    "\\\\bINC[0-9]{6}\\\\b", "caf[eé]-bar", "(?<!open)vpn", "(\\\\w)\\\\1", "netz.{0,3}werk", "^help",
    "down$", "σ+", "[а-я]{4}", "\\\\d{3,}", "(?i)ERROR\\\\s+\\\\d+", "\\\\p{Greek}+", "x*", "drucker(?=\\\\s)"};

static const char *
s_pick (GRand *r, const char *const *v, size_t n)
{
    return v[g_rand_int_range (r, 0, (gint32) n)];
}

#define PICK(r, v) s_pick (r, v, sizeof v / sizeof *v)

//  A configuration up to its rules, which follow.
#define CONFIG_HEAD                                                                          \
    "ticket_prefix: OPD\n"                                                                   \
    "calendars: {always: {timezone: UTC, hours: 24x7}}\n"                                    \
    "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h}]\n"         \
    "teams: [{id: t, name: T, calendar: always, min_on_duty: 1}]\n"                          \
    "routing_rules:\n"

//  A YAML double-quoted string of s.
static void
s_quoted (GString *y, const char *s)
{
    g_string_append_c (y, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            g_string_append_c (y, '\\');
        if (*s == '\n')
            g_string_append (y, "\\n");
        else if (*s == '\t')
            g_string_append (y, "\\t");
        else
            g_string_append_c (y, *s);
    }
    g_string_append_c (y, '"');
}

//  One generated rule: 1 to 3 keywords or phrases, sometimes a pattern;
//  when rare, no pattern, and every keyword ends in "q" and the rule's
//  number, which no text holds.
static void
s_rule (GString *y, GRand *r, int i, bool rare)
{
    g_string_append_printf (y, "  - name: r%d\n    when: {keywords: [", i);
    int n = g_rand_int_range (r, 1, 4);
    for (int k = 0; k < n; k++) {
        GString *kw = g_string_new (PICK (r, s_words));
        if (g_rand_int_range (r, 0, 4) == 0)
            g_string_append_printf (kw, " %s", PICK (r, s_words));
        if (rare)
            g_string_append_printf (kw, "q%d", i);
        if (k)
            g_string_append (y, ", ");
        s_quoted (y, kw->str);
        g_string_free (kw, TRUE);
    }
    g_string_append (y, "]");
    if (!rare && g_rand_int_range (r, 0, 5) == 0)
        g_string_append_printf (y, ", regex: [\"%s\"]", PICK (r, s_regex));
    static const char *const in[] = {"", ", in: [subject]", ", in: [body]"};
    g_string_append_printf (y, "%s}\n    then: {team: t}\n", PICK (r, in));
}

//  nrules generated rules; with rare words but for common of them, spread.
static opd_config_t *
s_config (GRand *r, int nrules, int common)
{
    GString *y = g_string_new (CONFIG_HEAD);
    for (int i = 0; i < nrules; i++)
        s_rule (y, r, i, common < nrules && i % (nrules / common) != 0);
    char err[512] = "";
    opd_config_t *cfg = opd_config_parse (y->str, y->len, "test", err, sizeof err);
    if (getenv ("SHOWCFG"))
        fprintf (stderr, "%s\n", y->str);
    if (!cfg)
        fprintf (stderr, "config: %s\n%s\n", err, y->str);
    g_string_free (y, TRUE);
    return cfg;
}

//  A text of n words, glued and spaced at random.
static char *
s_text (GRand *r, int n)
{
    GString *t = g_string_new ("");
    for (int i = 0; i < n; i++) {
        if (i)
            g_string_append (t, PICK (r, s_space));
        g_string_append (t, PICK (r, s_glue));
        g_string_append (t, PICK (r, s_words));
        g_string_append (t, PICK (r, s_glue));
    }
    return g_string_free (t, FALSE);
}

//  rounds rule sets of 1 to max_rules rules (or exactly max_rules, all but
//  a dozen with rare words, when exact), tickets tickets each: the two paths
//  pick the same rule, and both outcomes are seen often.
static void
s_agree (guint32 seed, int rounds, int max_rules, bool exact, int tickets)
{
    GRand *r = g_rand_new_with_seed (seed);
    size_t compared = 0, matched = 0;
    for (int round = 0; round < rounds; round++) {
        int n = exact ? max_rules : g_rand_int_range (r, 1, max_rules);
        opd_config_t *cfg = s_config (r, n, exact ? 12 : n);
        assert_non_null (cfg);
        char err[512];
        router_rules_t *rules = router_rules_new (cfg, err, sizeof err);
        assert_non_null (rules);
        assert_true (router_rules_scanning (rules));
        for (int k = 0; k < tickets; k++) {
            char *subject = s_text (r, g_rand_int_range (r, 1, 6)), *body = s_text (r, g_rand_int_range (r, 0, 40));
            router_ticket_t t = {.subject = subject, .body = body};
            int plain = router_rules_match_plain (rules, &t), scan = router_rules_match_ticket (rules, &t);
            if (plain != scan) {
                fprintf (stderr, "differ: plain %d scan %d subject [%s] body [%s]\n", plain, scan, subject, body);
                json_t *e = router_rules_explain_ticket (rules, &t);
                char *j = json_dumps (json_array_get (json_object_get (e, "rules"), (size_t) (plain >= 0 ? plain : scan)), 0);
                fprintf (stderr, "%s\n", j);
                free (j);
                json_decref (e);
            }
            assert_int_equal (plain, scan);
            matched += plain >= 0;
            compared++;
            g_free (subject);
            g_free (body);
        }
        router_rules_destroy (&rules);
        opd_config_destroy (&cfg);
    }
    assert_true (matched > compared / 5);
    assert_true (matched < compared - compared / 20);
    g_rand_free (r);
}

static void
test_scan_and_plain_paths_agree (void **state)
{
    (void) state;
    s_agree (20261202, 16, 60, false, 500);
}

//  Vectorscan's literal matcher changes its stride and table size with the
//  number of literals (at 250 and 800; opd_route_scan.c adds a short
//  literal to keep the stride small): 200 rules (about 400 literals) and
//  600 (about 1,200) are compared too, on texts where most rules' words do
//  not occur. Larger sets take too long to load in the sanitizer build.
static void
test_scan_and_plain_paths_agree_at_every_size (void **state)
{
    (void) state;
    static const int sizes[] = {200, 600};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        s_agree (157 + (guint32) i, 1, sizes[i], true, 100);
}

//  The cases that make Vectorscan's own word boundaries wrong for opdesk:
//  letters outside ASCII are word characters.
static void
test_scan_keeps_unicode_word_boundaries (void **state)
{
    (void) state;
    static const char *const yaml =
        CONFIG_HEAD
        "  - {name: drucker, when: {keywords: [drucker]}, then: {team: t}}\n"
        "  - {name: net, when: {keywords: [сеть]}, then: {team: t}}\n"
        "  - {name: behind, when: {regex: [\"(?<!open)vpn\"]}, then: {team: t}}\n";
    char err[512];
    opd_config_t *cfg = opd_config_parse (yaml, strlen (yaml), "test", err, sizeof err);
    router_rules_t *rules = router_rules_new (cfg, err, sizeof err);
    assert_true (router_rules_scanning (rules));
    struct {
        const char *text;
        int rule;
    } cases[] = {{"éDrucker kaputt", -1}, {"Laserdrucker", -1}, {"der DRUCKER", 0}, {"Drucker»", 0},
                 {"ясеть", -1}, {"СЕТЬ упала", 1}, {"openvpn", -1}, {"my vpn", 2}, {"OpenVPN, VPN", 2},
                 //  Not UTF-8, with the bytes of the prefilter's short literal.
                 {"\xff\xfe", -1}, {"vpn \xff\xfe", 2}, {"\xff\xfe" "drucker", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        router_ticket_t t = {.subject = cases[i].text};
        assert_int_equal (router_rules_match_ticket (rules, &t), cases[i].rule);
        assert_int_equal (router_rules_match_plain (rules, &t), cases[i].rule);
    }
    router_rules_destroy (&rules);
    opd_config_destroy (&cfg);
}

//  The same comparison with every keyword of common letters looked for
//  word by word (opd_route_words.c), which the default leaves to sets of
//  more than a few dozen.
static void
test_word_path_and_plain_path_agree (void **state)
{
    (void) state;
    router_rules_tune_words (0);
    s_agree (20261203, 16, 60, false, 500);
    s_agree (158, 1, 200, true, 100);
    router_rules_tune_words ((size_t) -1);
}

//  The word pass reads the text 64 bytes at a time: a keyword at every
//  offset across three blocks, next to words of every length up to 150
//  bytes (longer than a block), caseless, and words that share a keyword's
//  first eight bytes and length but differ after them.
static void
test_word_path_at_block_edges (void **state)
{
    (void) state;
    static const char *const yaml =
        CONFIG_HEAD
        "  - {name: long, when: {keywords: [\"printerhead\"]}, then: {team: t}}\n"
        "  - {name: short, when: {keywords: [\"printer\", \"remote access\"]}, then: {team: t}}\n";
    router_rules_tune_words (0);
    char err[512];
    opd_config_t *cfg = opd_config_parse (yaml, strlen (yaml), "test", err, sizeof err);
    router_rules_t *rules = router_rules_new (cfg, err, sizeof err);
    router_rules_tune_words ((size_t) -1);
    assert_non_null (rules);
    static const char *const words[] = {"PrInTeR", "printerhead", "printerhear", "printers", "remote  ACCESS"};
    static const int want[] = {1, 0, -1, -1, 1};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        for (int at = 0; at < 200; at += (at < 140 ? 1 : 7)) {
            GString *t = g_string_new ("");
            for (int k = 0; k < at; k++)  //  one filler word of at bytes, then the word
                g_string_append_c (t, "abcdefgh"[k % 8]);
            g_string_append_printf (t, "%s%s", at % 3 ? " " : ", ", words[w]);
            for (int k = 0; k < 150 - at; k++)
                g_string_append_c (t, k == 0 ? '.' : 'z');
            router_ticket_t tk = {.subject = "x", .body = t->str};
            int plain = router_rules_match_plain (rules, &tk);
            assert_int_equal (plain, want[w]);
            assert_int_equal (router_rules_match_ticket (rules, &tk), plain);
            g_string_free (t, TRUE);
        }
    router_rules_destroy (&rules);
    opd_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_scan_and_plain_paths_agree),
        cmocka_unit_test (test_scan_and_plain_paths_agree_at_every_size),
        cmocka_unit_test (test_scan_keeps_unicode_word_boundaries),
        cmocka_unit_test (test_word_path_and_plain_path_agree),
        cmocka_unit_test (test_word_path_at_block_edges),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
