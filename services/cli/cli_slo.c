/*  cli_slo: `opdesk slo report` (CONTRACT.md section 8): the SLO report of a
    period, grouped by priority, team or policy, optionally compared with a
    previous period, then the time requesters took to give missing details
    and their satisfaction ratings (cli_slo_parts.c). --json prints exactly
    the object of opd_slo_report (and opd_slo_report_compare) with "details"
    and "satisfaction", the same as GET /api/v1/slo/report.

    Times: --from and --to take RFC 3339 ("2026-03-01T09:00:00Z") or a date
    (YYYY-MM-DD, UTC). A date in --from is that day's start; in --to it is
    included whole (the period ends at the next midnight), so
    --from 2026-03-01 --to 2026-03-31 is the month of March. Without them,
    the last 28 days up to now. --compare previous compares with the period
    of the same length just before; --compare FROM..TO with that period. */
#include "cli.h"
#include "cli_slo_parts.h"
#include "opd_slo_report.h"
#include "opd_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_usage_text =
    "opdesk slo report [--from T] [--to T] [--group-by priority|team|policy]\n"
    "                  [--compare previous | --compare FROM..TO] [--json]\n"
    "  T is RFC 3339 or YYYY-MM-DD (UTC; a date in --to counts whole)";

static void
s_duration (int64_t ms, char *buf, size_t size)
{
    int64_t s = (ms + 500) / 1000;
    if (s < 3600)
        snprintf (buf, size, "%lldm%02llds", (long long) (s / 60), (long long) (s % 60));
    else
        snprintf (buf, size, "%lldh%02lldm", (long long) (s / 3600), (long long) (s % 3600 / 60));
}

//  A cell: a share as a percentage, a duration, or "-" for null.
static const char *
s_cell (const json_t *v, char kind, bool signed_, char *buf, size_t size)
{
    if (!json_is_number (v)) {
        snprintf (buf, size, "-");
        return buf;
    }
    double x = json_number_value (v);
    if (kind == '%')
        snprintf (buf, size, signed_ ? "%+.1f%%" : "%.1f%%", 100.0 * x);
    else {
        char d[32];
        s_duration ((int64_t) llabs ((long long) x), d, sizeof d);
        snprintf (buf, size, "%s%s", signed_ ? (x < 0 ? "-" : "+") : "", d);
    }
    return buf;
}

static void
s_print_table (const json_t *report, bool compare)
{
    printf ("SLO report %s to %s, by %s\n", json_string_value (json_object_get (report, "from")),
            json_string_value (json_object_get (report, "to")),
            json_string_value (json_object_get (report, "group_by")));
    const json_t *prev = json_object_get (report, "previous");
    if (compare && prev)
        printf ("compared with %s to %s (chg = this period minus that one)\n",
                json_string_value (json_object_get (prev, "from")),
                json_string_value (json_object_get (prev, "to")));
    printf ("\n%-14s %-15s %7s %6s %8s %7s %7s %7s %7s %9s %9s", "GROUP", "SLO", "TICKETS", "MET",
            "BREACHED", "RUNNING", "ATTAIN", "OBJECT", "BUDGET", "MEAN", "P90");
    if (compare)
        printf (" %8s %10s %10s", "chg ATT", "chg MEAN", "chg P90");
    printf ("\n");
    static const char *const slos[] = {"first_response", "next_reply", "resolution"};
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get (report, "groups"), i, g) {
        const json_t *key = json_object_get (g, "key");
        for (int c = 0; c < 3; c++) {
            const json_t *s = json_object_get (json_object_get (g, "slo"), slos[c]);
            if (!s || json_integer_value (json_object_get (s, "tickets")) == 0) {
                const json_t *p = json_object_get (s, "previous");
                if (!compare || !p || json_integer_value (json_object_get (p, "tickets")) == 0)
                    continue;
            }
            char b[8][32];
            printf ("%-14s %-15s %7lld %6lld %8lld %7lld %7s %7s %7s %9s %9s",
                    json_is_string (key) ? json_string_value (key) : "(none)", slos[c],
                    (long long) json_integer_value (json_object_get (s, "tickets")),
                    (long long) json_integer_value (json_object_get (s, "met")),
                    (long long) json_integer_value (json_object_get (s, "breached")),
                    (long long) json_integer_value (json_object_get (s, "running")),
                    s_cell (json_object_get (s, "attainment"), '%', false, b[0], 32),
                    s_cell (json_object_get (s, "objective"), '%', false, b[1], 32),
                    s_cell (json_object_get (s, "error_budget_left"), '%', false, b[2], 32),
                    s_cell (json_object_get (s, "mean_working_ms"), 't', false, b[3], 32),
                    s_cell (json_object_get (s, "p90_working_ms"), 't', false, b[4], 32));
            if (compare) {
                const json_t *ch = json_object_get (s, "change");
                printf (" %8s %10s %10s", s_cell (json_object_get (ch, "attainment"), '%', true, b[5], 32),
                        s_cell (json_object_get (ch, "mean_working_ms"), 't', true, b[6], 32),
                        s_cell (json_object_get (ch, "p90_working_ms"), 't', true, b[7], 32));
            }
            printf ("\n");
        }
    }
    if (json_array_size (json_object_get (report, "groups")) == 0)
        printf ("(no tickets in this period)\n");
    printf ("\nATTAIN = met / (met + breached); BUDGET = error budget left; MEAN, P90 = working time "
            "to first response / resolution.\n");
}

static int
s_report (cli_t *c)
{
    static const char *const spec[] = {"from:", "to:", "group-by:", "compare:", NULL};
    if (cli_check (c, spec, 1, s_usage_text) != CLI_OK)
        return CLI_USAGE;
    int64_t now = opd_now_ms (), from = 0, to = 0;
    const char *f = cli_opt (c, "from"), *t = cli_opt (c, "to");
    if (f && opd_time_parse (f, false, &from))
        return cli_fail (c, CLI_USAGE, "invalid", "--from: '%s' is neither RFC 3339 nor YYYY-MM-DD", f);
    if (t && opd_time_parse (t, true, &to))
        return cli_fail (c, CLI_USAGE, "invalid", "--to: '%s' is neither RFC 3339 nor YYYY-MM-DD", t);
    if (!t)
        to = now;
    if (!f)
        from = to - OPD_SLO_WINDOW_MS;
    if (to <= from)
        return cli_fail (c, CLI_USAGE, "invalid", "the period is empty: --from must be before --to");
    const char *group_by = cli_opt (c, "group-by") ? cli_opt (c, "group-by") : "priority";

    const char *cmp = cli_opt (c, "compare");
    int64_t pfrom = 0, pto = 0;
    if (cmp && !strcmp (cmp, "previous")) {
        pto = from;
        pfrom = from - (to - from);
    }
    else if (cmp) {
        const char *dots = strstr (cmp, "..");
        char *a = dots ? opd_strndup (cmp, (size_t) (dots - cmp)) : NULL;
        int bad = !dots || opd_time_parse (a, false, &pfrom) || opd_time_parse (dots + 2, true, &pto);
        free (a);
        if (bad)
            return cli_fail (c, CLI_USAGE, "invalid",
                             "--compare: '%s' is neither 'previous' nor FROM..TO (RFC 3339 or YYYY-MM-DD)", cmp);
        if (pto <= pfrom)
            return cli_fail (c, CLI_USAGE, "invalid", "--compare: the previous period is empty");
    }

    char err[512];
    opd_redis_t *redis = cli_redis (c);
    json_t *report = opd_slo_report (redis, c->cfg, from, to, group_by, err, sizeof err);
    json_t *previous = NULL;
    if (report && cmp)
        previous = opd_slo_report (redis, c->cfg, pfrom, pto, group_by, err, sizeof err);
    if (!report || (cmp && !previous)) {
        json_decref (report);
        bool invalid = !strncmp (err, "invalid: ", 9);
        return cli_fail (c, invalid ? CLI_USAGE : CLI_UNAVAILABLE, invalid ? "invalid" : "unavailable",
                         "%s", strchr (err, ':') ? strchr (err, ':') + 2 : err);
    }
    if (previous) {
        json_t *both = opd_slo_report_compare (report, previous);
        json_decref (report);
        json_decref (previous);
        report = both;
    }
    if (cli_slo_parts_add (c, report, from, to)) {
        json_decref (report);
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "Redis: %s", opd_redis_error (redis));
    }
    if (c->json)
        cli_print_json (report);
    else {
        s_print_table (report, cmp != NULL);
        cli_slo_parts_print (c->cfg, report);
        json_decref (report);
    }
    return CLI_OK;
}

int
cli_slo (cli_t *c)
{
    if (c->npos < 1 || strcmp (c->pos[0], "report"))
        return cli_fail (c, CLI_USAGE, "usage", "usage: %s", s_usage_text);
    return s_report (c);
}
