/*  bench-route: the routing decision alone (libopdroute), tickets per second
    on one thread, with 4 KiB bodies and N generated keyword rules, for the
    Vectorscan path (router_rules_match_ticket) and the plain path (every
    rule's GRegex in turn, router_rules_match_plain). No Redis, no intake.

        bench-route [--rules 10,30,100,300,1000,3000,5000] [--seconds S] [--runs R]
                    [--path scan|plain|both] [--seed N] [--words rare|common]
                    [--words-min N]

    Rules: 1 to 3 generated words each (a quarter are two-word phrases),
    whole words in subject and body, as a real rule set would be; rare
    words (a letter j, q, x or z in each) or common ones (--words common,
    s_word). Tickets:
    a 40-byte subject and a 4 KiB body of generated words; one in ten holds
    a keyword of a random rule, so most tickets go through every rule (the
    worst case of first-match-wins). Each run classifies for S seconds (at
    least 3 tickets); the median of R runs is printed, per second of the
    thread's CPU time (one core's worth, however loaded the machine is) and
    per second of wall time:
        route: rules=N path=scan tickets_per_cpu_s=X us_per_ticket=Y wall_tickets_per_s=W matched=M%
    --words-min N: keywords of common letters are looked for word by word
    (opd_route_words.c) when there are more than N of them (0: always). */
#include "opd_route_rules.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NTICKETS 256
#define BODY_BYTES 4096

static double
s_clock (clockid_t id)
{
    struct timespec ts;
    clock_gettime (id, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double
s_now (void)
{
    return s_clock (CLOCK_MONOTONIC);
}

//  Rare rule words (the default) start with a consonant pair that filler
//  words never hold, so a filler word never matches by chance; with
//  --words common they are 6 to 9 letters of the filler words' own
//  alphabet, as "printer" and "password" are made of the letters of the
//  mail they are looked for in (a given one is still in hardly any body).
static bool s_common;

//  A word of 4 to 9 letters (filler: 2 to 8), a rule word when rule_word.
static void
s_word (GRand *r, GString *out, bool rule_word)
{
    static const char *const pairs[] = {"zq", "xv", "qz", "vx", "jq", "qj"};
    if (rule_word && s_common) {
        int n = g_rand_int_range (r, 6, 10);
        for (int i = 0; i < n; i++)
            g_string_append_c (out, "etaoinshrdlucmfwypvbgk"[g_rand_int_range (r, 0, 22)]);
        return;
    }
    if (rule_word)
        g_string_append (out, pairs[g_rand_int_range (r, 0, 6)]);
    int n = g_rand_int_range (r, rule_word ? 3 : 2, rule_word ? 8 : 9);
    for (int i = 0; i < n; i++)
        g_string_append_c (out, "etaoinshrdlucmfwypvbgk"[g_rand_int_range (r, 0, 22)]);
}

static char *
s_config (GRand *r, int nrules, GPtrArray *words)
{
    GString *y = g_string_new ("ticket_prefix: OPD\n"
                               "calendars: {always: {timezone: UTC, hours: 24x7}}\n"
                               "slo_policies: [{name: all, match: {}, calendar: always, first_response: 1h}]\n"
                               "teams: [{id: t, name: T, calendar: always, min_on_duty: 1}]\n"
                               "routing_rules:\n");
    for (int i = 0; i < nrules; i++) {
        g_string_append_printf (y, "  - {name: r%d, when: {keywords: [", i);
        int n = g_rand_int_range (r, 1, 4);
        for (int k = 0; k < n; k++) {
            GString *w = g_string_new ("");
            s_word (r, w, true);
            if (g_rand_int_range (r, 0, 4) == 0) {
                g_string_append_c (w, ' ');
                s_word (r, w, false);
            }
            g_string_append_printf (y, "%s\"%s\"", k ? ", " : "", w->str);
            g_ptr_array_add (words, g_string_free (w, FALSE));
        }
        g_string_append (y, "]}, then: {team: t}}\n");
    }
    return g_string_free (y, FALSE);
}

//  A text of about bytes bytes; with a rule's word inside when word.
static char *
s_text (GRand *r, size_t bytes, const char *word)
{
    GString *t = g_string_new ("");
    size_t at = word ? (size_t) g_rand_int_range (r, 0, (gint32) bytes) : (size_t) -1;
    while (t->len < bytes) {
        if (t->len)
            g_string_append_c (t, g_rand_int_range (r, 0, 12) ? ' ' : '\n');
        if (t->len >= at) {
            g_string_append (t, word);
            at = (size_t) -1;
        }
        else
            s_word (r, t, false);
    }
    return g_string_free (t, FALSE);
}

typedef struct {
    router_ticket_t t[NTICKETS];
} tickets_t;

//  One run: tickets per second of this thread's CPU time (what one core
//  does, whatever else the machine runs) for seconds of wall time; *wall
//  the same per second of wall time; *matched the share routed by a rule.
static double
s_run (const router_rules_t *rules, const tickets_t *tk, bool scan, double seconds, double *wall, double *matched)
{
    size_t n = 0, hits = 0;
    double start = s_now (), now = start, cpu = s_clock (CLOCK_THREAD_CPUTIME_ID);
    while (now - start < seconds || n < 3) {
        for (int k = 0; k < 8; k++, n++) {
            const router_ticket_t *t = &tk->t[n % NTICKETS];
            int i = scan ? router_rules_match_ticket (rules, t) : router_rules_match_plain (rules, t);
            hits += i >= 0;
        }
        now = s_now ();
    }
    cpu = s_clock (CLOCK_THREAD_CPUTIME_ID) - cpu;
    *matched = 100.0 * (double) hits / (double) n;
    *wall = (double) n / (now - start);
    return (double) n / cpu;
}

static int s_cmp (const void *a, const void *b);

static double
s_median (double *v, int n)
{
    qsort (v, (size_t) n, sizeof *v, s_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void
s_measure (const router_rules_t *rules, const tickets_t *tk, int nrules, bool scan, double seconds, int runs)
{
    double rate[64], wall[64], matched = 0;
    for (int i = 0; i < runs; i++)
        rate[i] = s_run (rules, tk, scan, seconds, &wall[i], &matched);
    double median = s_median (rate, runs), wall_median = s_median (wall, runs);
    printf ("route: rules=%d path=%s tickets_per_cpu_s=%.0f us_per_ticket=%.2f wall_tickets_per_s=%.0f "
            "matched=%.0f%% runs=%d min=%.0f max=%.0f\n",
            nrules, scan ? "scan" : "plain", median, 1e6 / median, wall_median, matched, runs, rate[0],
            rate[runs - 1]);
    fflush (stdout);
}

static int
s_one (int nrules, const char *path, double seconds, int runs, guint32 seed)
{
    GRand *r = g_rand_new_with_seed (seed);
    GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
    char *yaml = s_config (r, nrules, words);
    char err[512] = "";
    opd_config_t *cfg = opd_config_parse (yaml, strlen (yaml), "bench", err, sizeof err);
    double t0 = s_now ();
    router_rules_t *rules = cfg ? router_rules_new (cfg, err, sizeof err) : NULL;
    if (!rules) {
        fprintf (stderr, "bench-route: %s\n", err);
        return 1;
    }
    printf ("route: rules=%d load_ms=%.1f vectorscan=%s words=%s\n", nrules, (s_now () - t0) * 1000,
            router_rules_scanning (rules) ? "yes" : "no", s_common ? "common" : "rare");
    tickets_t *tk = calloc (1, sizeof *tk);
    for (int i = 0; i < NTICKETS; i++) {
        const char *w = i % 10 == 0 ? g_ptr_array_index (words, g_rand_int_range (r, 0, (gint32) words->len)) : NULL;
        tk->t[i].subject = s_text (r, 40, NULL);
        tk->t[i].body = s_text (r, BODY_BYTES, w);
    }
    if (strcmp (path, "plain"))
        s_measure (rules, tk, nrules, true, seconds, runs);
    if (strcmp (path, "scan"))
        s_measure (rules, tk, nrules, false, seconds, runs);
    for (int i = 0; i < NTICKETS; i++) {
        g_free ((char *) tk->t[i].subject);
        g_free ((char *) tk->t[i].body);
    }
    free (tk);
    router_rules_destroy (&rules);
    opd_config_destroy (&cfg);
    g_free (yaml);
    g_ptr_array_free (words, TRUE);
    g_rand_free (r);
    return 0;
}

int
main (int argc, char **argv)
{
    const char *list = "10,30,100,300,1000,3000,5000", *path = "both";
    double seconds = 1.0;
    int runs = 5;
    guint32 seed = 42;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp (argv[i], "--rules"))
            list = argv[i + 1];
        else if (!strcmp (argv[i], "--seconds"))
            seconds = atof (argv[i + 1]);
        else if (!strcmp (argv[i], "--runs"))
            runs = atoi (argv[i + 1]);
        else if (!strcmp (argv[i], "--path"))
            path = argv[i + 1];
        else if (!strcmp (argv[i], "--seed"))
            seed = (guint32) atol (argv[i + 1]);
        else if (!strcmp (argv[i], "--words"))
            s_common = !strcmp (argv[i + 1], "common");
        else if (!strcmp (argv[i], "--words-min"))  //  router_rules_tune_words
            router_rules_tune_words ((size_t) atol (argv[i + 1]));
    }
    if (runs < 1 || runs > 64 || argc % 2 == 0) {
        fprintf (stderr, "usage: bench-route [--rules 10,30,100,300,1000,3000,5000] [--seconds S] [--runs 1-64] "
                         "[--path scan|plain|both] [--seed N] [--words rare|common] [--words-min N]\n");
        return 2;
    }
    char **n = g_strsplit (list, ",", -1);
    int rc = 0;
    for (char **p = n; *p && !rc; p++)
        rc = s_one (atoi (*p), path, seconds, runs, seed);
    g_strfreev (n);
    return rc;
}
