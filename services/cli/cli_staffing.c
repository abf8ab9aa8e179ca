/*  cli_staffing: opdesk staffing [--team T] [--weeks N] [--json] (issue 10,
    docs/shifts.md "Staffing advice"). --json prints the object of GET
    /api/v1/staffing; without it, per team a table of the hours of the week
    that have work or agents, and the hours that would breach. */
#include "cli.h"
#include "opd_rota_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_usage = "opdesk staffing [--team TEAM] [--weeks N] [--json]\n"
                             "  N: the weeks of tickets received to learn from, 1 to 52 (default 4)";

static double
s_num (const json_t *o, const char *key)
{
    return json_number_value (json_object_get (o, key));
}

//  Where a handling time comes from: "measured, N calls" or "configured,
//  N measured" (fewer than the advice needs).
static const char *
s_source (const json_t *as, const char *prefix, const char *what, char *buf, size_t size)
{
    char key[64];
    snprintf (key, sizeof key, "%ssource", prefix);
    const char *src = json_string_value (json_object_get (as, key));
    snprintf (key, sizeof key, "%ssamples", prefix);
    long long n = (long long) json_integer_value (json_object_get (as, key));
    if (src && !strcmp (src, "measured"))
        snprintf (buf, size, "measured over %lld %s", n, what);
    else
        snprintf (buf, size, "configured; %lld %s measured", n, what);
    return buf;
}

//  One team's table.
static void
s_print_team (const json_t *t)
{
    const json_t *as = json_object_get (t, "assumptions");
    const json_t *target = json_object_get (as, "target_hours");
    printf ("%s: %lld tickets learnt from (times in %s)\n", json_string_value (json_object_get (t, "team")),
            (long long) json_integer_value (json_object_get (t, "tickets")),
            json_string_value (json_object_get (t, "timezone")));
    char ps[64], qs[64];
    printf ("  phone: %.0f%% answered within %.0f s, calls of %.0f s (%s); queued work: tickets of %.1f min (%s)",
            100 * s_num (as, "answer_level"), s_num (as, "answer_within_s"), s_num (as, "phone_handle_time_s"),
            s_source (as, "phone_handle_time_", "calls", ps, sizeof ps), s_num (as, "handle_time_s") / 60,
            s_source (as, "handle_time_", "tickets", qs, sizeof qs));
    if (json_is_number (target))
        printf (", first response within %.1f working hours\n", json_number_value (target));
    else
        printf (", no SLO target\n");
    printf ("  %-10s %7s %8s %7s %8s %8s %7s\n", "hour", "on duty", "calls/h", "needed", "queued/h", "backlog",
            "wait h");
    size_t i;
    json_t *h;
    json_array_foreach (json_object_get (t, "hours"), i, h) {
        if (!json_integer_value (json_object_get (h, "on_duty")) && !s_num (h, "phone_arrivals")
            && !s_num (h, "queued_arrivals") && !s_num (h, "backlog"))
            continue;
        const json_t *wait = json_object_get (h, "wait_hours");
        char w[16];
        snprintf (w, sizeof w, json_is_number (wait) ? "%.2f" : "never", json_number_value (wait));
        printf ("  %-10s %7lld %8.2f %7lld %8.2f %8.2f %7s%s\n", json_string_value (json_object_get (h, "at")),
                (long long) json_integer_value (json_object_get (h, "on_duty")), s_num (h, "phone_arrivals"),
                (long long) json_integer_value (json_object_get (h, "phone_needed")), s_num (h, "queued_arrivals"),
                s_num (h, "backlog"), w, json_is_true (json_object_get (h, "breach")) ? "  BREACH" : "");
    }
    const json_t *b = json_object_get (t, "breaches");
    if (!json_array_size (b)) {
        printf ("  no hour would breach\n\n");
        return;
    }
    printf ("  would breach:");
    json_array_foreach (b, i, h)
        printf ("%s %s", i ? "," : "", json_string_value (h));
    printf ("\n\n");
}

int
cli_staffing (cli_t *c)
{
    static const char *const spec[] = {"team:", "weeks:", NULL};
    if (cli_check (c, spec, 0, s_usage) != CLI_OK)
        return CLI_USAGE;
    const char *team = cli_opt (c, "team"), *w = cli_opt (c, "weeks");
    if (team && !opd_config_team (c->cfg, team))
        return cli_fail (c, CLI_REFUSED, "invalid", "--team: unknown team '%s'", team);
    int weeks = 4;
    if (w) {
        char *end;
        long v = strtol (w, &end, 10);
        if (*end || end == w || v < 1 || v > 52)
            return cli_fail (c, CLI_USAGE, "invalid", "--weeks: '%s' is not a whole number from 1 to 52", w);
        weeks = (int) v;
    }
    int64_t now = opd_now_ms ();
    bool unknown;
    json_t *teams = rota_staffing_json (cli_redis (c), c->cfg, team, weeks, now, &unknown);
    if (!teams)
        return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "Redis did not answer: %s",
                         opd_redis_error (cli_redis (c)));
    char from[40], to[40];
    opd_rfc3339 (now - weeks * 7 * 86400000LL, from, sizeof from);
    opd_rfc3339 (now, to, sizeof to);
    json_t *out = json_pack ("{s:i, s:s, s:s, s:o}", "weeks", weeks, "from", from, "to", to, "teams", teams);
    if (c->json) {
        cli_print_json (out);
        return CLI_OK;
    }
    printf ("Staffing from the tickets of %s to %s (%d weeks), next to the coming week's rota\n\n", from, to,
            weeks);
    size_t i;
    json_t *t;
    json_array_foreach (teams, i, t)
        s_print_team (t);
    json_decref (out);
    return CLI_OK;
}
