/*  cli_rota: the rota from the command line (issue 10).

      opdesk coverage [--from T] [--to T] [--team T] [--json]
      opdesk absence add --agent A --kind K --from T --to T [--as WHO]
      opdesk absence remove ID
      opdesk absence list [--agent A] [--team T] [--from T] [--to T]
      opdesk shift add --agent A --team T --from T --to T [--kind extra|remove]
      opdesk shift remove ID
      opdesk shift list [--team T] [--from T] [--to T]
      opdesk oncall [--team T]
      opdesk rota [--team T] [--from T] [--to T]

    --json prints the same objects as the HTTP API (GET /api/v1/coverage,
    the absence, {"items": [...]}). Without it, coverage is a table a team
    lead reads at a glance: per team the share of working time covered and
    each gap in the local time of the team's calendar. The command line is
    the operator's tool: it records anyone's absence, as a lead does. */
#include "cli.h"
#include "opd_util.h"
#include "opd_rota_assign.h"
#include "opd_rota_store.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static const char *s_usage_coverage = "opdesk coverage [--from T] [--to T] [--team TEAM] [--json]\n"
                                      "  T is RFC 3339 or YYYY-MM-DD (a date in --to counts whole);\n"
                                      "  default: from now for 14 days";
static const char *s_usage_absence =
    "opdesk absence add --agent A --kind annual_leave|sickness|other --from T --to T\n"
    "       opdesk absence remove ID | opdesk absence approve ID\n"
    "       opdesk absence list [--agent A] [--team TEAM] [--from T] [--to T]";
static const char *s_usage_shift =
    "opdesk shift add --agent A --team TEAM --from T --to T [--kind extra|remove]\n"
    "       opdesk shift remove ID\n"
    "       opdesk shift list [--team TEAM] [--from T] [--to T]";

//  --from/--to into a period; default from now for days.
//  Redis did not answer: the one refusal every command here shares.
static int
s_unavailable (cli_t *c)
{
    return cli_fail (c, CLI_UNAVAILABLE, "unavailable", "Redis did not answer: %s",
                     opd_redis_error (cli_redis (c)));
}

//  The answer to removing the absence or override c->pos[1], by the
//  store's rc: 0 removed, 1 none with that id, -1 Redis.
static int
s_removed (cli_t *c, int rc, const char *what)
{
    if (rc < 0)
        return s_unavailable (c);
    if (rc == 1)
        return cli_fail (c, CLI_REFUSED, "not_found", "no %s %s", what, c->pos[1]);
    return CLI_OK;
}

static int
s_period (cli_t *c, int64_t *from, int64_t *to, int days)
{
    const char *f = cli_opt (c, "from"), *t = cli_opt (c, "to");
    *from = opd_now_ms ();
    if (f && opd_time_parse (f, false, from))
        return cli_fail (c, CLI_USAGE, "invalid", "--from: '%s' is neither RFC 3339 nor YYYY-MM-DD", f);
    *to = *from + days * DAY_MS;
    if (t && opd_time_parse (t, true, to))
        return cli_fail (c, CLI_USAGE, "invalid", "--to: '%s' is neither RFC 3339 nor YYYY-MM-DD", t);
    if (*to <= *from)
        return cli_fail (c, CLI_USAGE, "invalid", "--to: the period must end after it starts");
    if (*to - *from > 366 * DAY_MS)
        return cli_fail (c, CLI_USAGE, "invalid", "--to: a period is at most 366 days");
    return CLI_OK;
}

//  An instant as local time of tz: "Mon 07 Dec 08:00".
static void
s_local (GTimeZone *tz, const char *rfc3339, char *buf, size_t size)
{
    int64_t ms = 0;
    opd_rfc3339_parse (rfc3339, &ms);
    GDateTime *u = g_date_time_new_from_unix_utc (ms / 1000);
    GDateTime *l = u ? g_date_time_to_timezone (u, tz) : NULL;
    gchar *s = l ? g_date_time_format (l, "%a %d %b %H:%M") : NULL;
    snprintf (buf, size, "%s", s ? s : rfc3339);
    g_free (s);
    if (l)
        g_date_time_unref (l);
    if (u)
        g_date_time_unref (u);
}

static void
s_hours (int64_t ms, char *buf, size_t size)
{
    int64_t m = ms / 60000;
    snprintf (buf, size, "%lldh%02lld", (long long) (m / 60), (long long) (m % 60));
}

static void
s_print_coverage (const opd_config_t *cfg, const json_t *cov)
{
    printf ("Coverage %s to %s\n", json_string_value (json_object_get (cov, "from")),
            json_string_value (json_object_get (cov, "to")));
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get (cov, "teams"), i, t) {
        const char *id = json_string_value (json_object_get (t, "team"));
        const opd_team_t *team = opd_config_team (cfg, id);
        const opd_calendar_t *cal = team && team->calendar ? opd_config_calendar (cfg, team->calendar) : NULL;
        const char *zone = cal && cal->timezone ? cal->timezone : "UTC";
        GTimeZone *tz = g_time_zone_new_identifier (zone);
        if (!tz)
            tz = g_time_zone_new_utc ();
        json_t *gaps = json_object_get (t, "gaps");
        size_t j;
        json_t *g;
        int64_t total = 0;
        json_array_foreach (gaps, j, g) {
            int64_t a = 0, b = 0;
            opd_rfc3339_parse (json_string_value (json_object_get (g, "from")), &a);
            opd_rfc3339_parse (json_string_value (json_object_get (g, "to")), &b);
            total += b - a;
        }
        char sum[32];
        s_hours (total, sum, sizeof sum);
        printf ("\n%s: %.1f%% of working time covered, %lld on duty needed; %zu gap%s, %s in all (times in %s)\n",
                id, 100.0 * json_number_value (json_object_get (t, "covered_ratio")),
                (long long) json_integer_value (json_object_get (t, "required")), json_array_size (gaps),
                json_array_size (gaps) == 1 ? "" : "s", sum, zone);
        json_array_foreach (gaps, j, g) {
            const char *f = json_string_value (json_object_get (g, "from"));
            const char *to = json_string_value (json_object_get (g, "to"));
            char lf[64], lt[64], len[32];
            s_local (tz, f, lf, sizeof lf);
            s_local (tz, to, lt, sizeof lt);
            int64_t a = 0, b = 0;
            opd_rfc3339_parse (f, &a);
            opd_rfc3339_parse (to, &b);
            s_hours (b - a, len, sizeof len);
            //  The end on the same day shows only its time.
            const char *end = strncmp (lf, lt, 10) ? lt : lt + 11;
            printf ("  %s - %-16s %6s  on duty %lld of %lld\n", lf, end, len,
                    (long long) json_integer_value (json_object_get (g, "on_duty")),
                    (long long) json_integer_value (json_object_get (g, "required")));
        }
        g_time_zone_unref (tz);
    }
}

int
cli_coverage (cli_t *c)
{
    static const char *const spec[] = {"from:", "to:", "team:", NULL};
    if (cli_check (c, spec, 0, s_usage_coverage) != CLI_OK)
        return CLI_USAGE;
    int64_t from, to;
    if (s_period (c, &from, &to, 14))
        return CLI_USAGE;
    const char *team = cli_opt (c, "team");
    if (team && !opd_config_team (c->cfg, team))
        return cli_fail (c, CLI_REFUSED, "invalid", "--team: unknown team '%s'", team);
    bool unknown;
    json_t *teams = rota_coverage (cli_redis (c), c->cfg, team, from, to, &unknown);
    if (!teams)
        return s_unavailable (c);
    char f[40], t[40];
    opd_rfc3339 (from, f, sizeof f);
    opd_rfc3339 (to, t, sizeof t);
    json_t *cov = json_pack ("{s:s, s:s, s:o}", "from", f, "to", t, "teams", teams);
    if (c->json)
        cli_print_json (cov);
    else {
        s_print_coverage (c->cfg, cov);
        json_decref (cov);
    }
    return CLI_OK;
}

static int
s_instant (cli_t *c, const char *name, int64_t *out)
{
    const char *v = cli_opt (c, name);
    if (!v)
        return cli_fail (c, CLI_USAGE, "invalid", "--%s is required", name);
    if (opd_rfc3339_parse (v, out))
        return cli_fail (c, CLI_USAGE, "invalid", "--%s: '%s' is not RFC 3339 (2026-12-24T08:00:00Z)", name, v);
    return CLI_OK;
}

//  The gaps an absence opens and the tickets handed back, one line each,
//  on standard error.
static void
s_absence_notes (const json_t *out)
{
    size_t i;
    json_t *it;
    json_array_foreach (json_object_get (out, "gaps"), i, it)
        fprintf (stderr, "gap %s %s - %s  on duty %lld of %lld\n",
                 json_string_value (json_object_get (it, "team")),
                 json_string_value (json_object_get (it, "from")),
                 json_string_value (json_object_get (it, "to")),
                 json_integer_value (json_object_get (it, "on_duty")),
                 json_integer_value (json_object_get (it, "required")));
    json_array_foreach (json_object_get (out, "handed_back"), i, it) {
        const char *to = json_string_value (json_object_get (it, "assignee"));
        fprintf (stderr, "handed back %s to %s\n", json_string_value (json_object_get (it, "ticket_id")),
                 to ? to : "the team queue");
    }
}

static int
s_absence_add (cli_t *c)
{
    static const char *const spec[] = {"agent:", "kind:", "from:", "to:", "as:", NULL};
    if (cli_check (c, spec, 1, s_usage_absence) != CLI_OK)
        return CLI_USAGE;
    rota_absence_t a = {0};
    snprintf (a.agent, sizeof a.agent, "%s", cli_opt (c, "agent") ? cli_opt (c, "agent") : "");
    snprintf (a.kind, sizeof a.kind, "%s", cli_opt (c, "kind") ? cli_opt (c, "kind") : "");
    if (s_instant (c, "from", &a.from) || s_instant (c, "to", &a.to))
        return CLI_USAGE;
    const char *by = cli_actor (c);
    if (!by)
        return CLI_REFUSED;
    snprintf (a.by, sizeof a.by, "%s", by);
    char key[32], err[300];
    if (rota_absence_check (c->cfg, &a, key, sizeof key, err, sizeof err))
        return cli_fail (c, CLI_REFUSED, "invalid", "--%s", err);
    char team[128];
    int cap = rota_absence_cap (cli_redis (c), c->cfg, &a, team, sizeof team);
    if (cap < 0)
        return s_unavailable (c);
    if (cap == 1)
        return cli_fail (c, CLI_REFUSED, "conflict",
                         "team %s would have more agents away at once than its max_away", team);
    int64_t now = opd_now_ms ();
    char clash[32] = "";
    int rc = rota_absence_add (cli_redis (c), &a, now, clash);
    if (rc < 0)
        return s_unavailable (c);
    if (rc == 1)
        return cli_fail (c, CLI_REFUSED, "invalid", "--from: this absence overlaps absence %s of %s", clash,
                         a.agent);
    rota_announce_agent (cli_redis (c), c->cfg, a.agent, now);
    json_t *out = rota_absence_json (&a);
    if (rota_absence_answer (cli_redis (c), c->cfg, &a, now, out) < 0)
        fprintf (stderr, "opdesk: absence %s stored, but the hand-back or the gaps are not complete: %s\n",
                 a.id, opd_redis_error (cli_redis (c)));
    if (c->json) {
        cli_print_json (out);
        return CLI_OK;
    }
    //  The id alone on standard output (for scripts); what it changed on
    //  standard error, for the person who typed it.
    printf ("%s\n", a.id);
    s_absence_notes (out);
    json_decref (out);
    return CLI_OK;
}

static int
s_print_items (cli_t *c, json_t *items)
{
    if (c->json) {
        cli_print_json (json_pack ("{s:o}", "items", items));
        return CLI_OK;
    }
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it) {
        const char *team = json_string_value (json_object_get (it, "team"));
        printf ("%-6s %-16s %s%s%-12s %s  %s\n", json_string_value (json_object_get (it, "id")),
                json_string_value (json_object_get (it, "agent")), team ? team : "", team ? " " : "",
                json_string_value (json_object_get (it, "kind")),
                json_string_value (json_object_get (it, "from")),
                json_string_value (json_object_get (it, "to")));
    }
    json_decref (items);
    return CLI_OK;
}

static int
s_absence_list (cli_t *c)
{
    static const char *const spec[] = {"agent:", "team:", "from:", "to:", NULL};
    if (cli_check (c, spec, 1, s_usage_absence) != CLI_OK)
        return CLI_USAGE;
    int64_t from, to;
    if (s_period (c, &from, &to, 366))
        return CLI_USAGE;
    const char *agent = cli_opt (c, "agent"), *team = cli_opt (c, "team");
    if (agent && !opd_config_agent (c->cfg, agent))
        return cli_fail (c, CLI_REFUSED, "invalid", "--agent: unknown agent '%s'", agent);
    if (team && !opd_config_team (c->cfg, team))
        return cli_fail (c, CLI_REFUSED, "invalid", "--team: unknown team '%s'", team);
    rota_absence_t *v = NULL;
    size_t n = 0;
    if (rota_absences (cli_redis (c), agent, from, to, &v, &n))
        return s_unavailable (c);
    json_t *items = json_array ();
    for (size_t i = 0; i < n; i++) {
        bool in = !team;
        const opd_agent_t *ag = opd_config_agent (c->cfg, v[i].agent);
        for (size_t t = 0; !in && ag && t < ag->nteams; t++)
            in = !strcmp (ag->teams[t], team);
        for (size_t s = 0; !in && s < c->cfg->nshifts; s++)
            in = !strcmp (c->cfg->shifts[s].agent, v[i].agent) && !strcmp (c->cfg->shifts[s].team, team);
        if (in)
            json_array_append_new (items, rota_absence_json (&v[i]));
    }
    free (v);
    return s_print_items (c, items);
}

int
cli_absence (cli_t *c)
{
    const char *sub = c->npos > 0 ? c->pos[0] : "";
    if (!strcmp (sub, "add"))
        return s_absence_add (c);
    if (!strcmp (sub, "list"))
        return s_absence_list (c);
    if (!strcmp (sub, "approve")) {
        static const char *const spec[] = {"as:", NULL};
        if (cli_check (c, spec, 2, s_usage_absence) != CLI_OK)
            return CLI_USAGE;
        rota_absence_t a;
        int rc = rota_absence_get (cli_redis (c), c->pos[1], &a);
        if (rc == 1)
            return cli_fail (c, CLI_REFUSED, "not_found", "no absence %s", c->pos[1]);
        char team[128];
        if (rc == 0 && !rota_absence_counts (&a)) {
            snprintf (a.status, sizeof a.status, "approved");
            rc = rota_absence_cap (cli_redis (c), c->cfg, &a, team, sizeof team);
            if (rc == 1)
                return cli_fail (c, CLI_REFUSED, "conflict",
                                 "team %s would have more agents away at once than its max_away", team);
            const char *by = cli_actor (c);
            if (!by)
                return CLI_REFUSED;
            if (rc == 0)
                rc = rota_absence_approve (cli_redis (c), c->pos[1], by);
            if (rc == 0)
                rota_announce_agent (cli_redis (c), c->cfg, a.agent, opd_now_ms ());
        }
        if (rc < 0)
            return s_unavailable (c);
        if (c->json)
            cli_print_json (rota_absence_json (&a));
        return CLI_OK;
    }
    if (!strcmp (sub, "remove")) {
        if (cli_check (c, NULL, 2, s_usage_absence) != CLI_OK)
            return CLI_USAGE;
        rota_absence_t a;
        int rc = rota_absence_get (cli_redis (c), c->pos[1], &a);
        if (rc == 0)
            rc = rota_absence_remove (cli_redis (c), c->pos[1]);
        if (rc == 0)
            rota_announce_agent (cli_redis (c), c->cfg, a.agent, opd_now_ms ());
        return s_removed (c, rc, "absence");
    }
    return cli_fail (c, CLI_USAGE, "usage", "usage: %s", s_usage_absence);
}

int
cli_shift (cli_t *c)
{
    const char *sub = c->npos > 0 ? c->pos[0] : "";
    if (!strcmp (sub, "add")) {
        static const char *const spec[] = {"agent:", "team:", "kind:", "from:", "to:", "as:", NULL};
        if (cli_check (c, spec, 1, s_usage_shift) != CLI_OK)
            return CLI_USAGE;
        rota_override_t o = {0};
        const char *kind = cli_opt (c, "kind") ? cli_opt (c, "kind") : "extra";
        if (strcmp (kind, "extra") && strcmp (kind, "remove"))
            return cli_fail (c, CLI_USAGE, "invalid", "--kind: '%s' is not one of extra, remove", kind);
        o.remove = !strcmp (kind, "remove");
        snprintf (o.agent, sizeof o.agent, "%s", cli_opt (c, "agent") ? cli_opt (c, "agent") : "");
        snprintf (o.team, sizeof o.team, "%s", cli_opt (c, "team") ? cli_opt (c, "team") : "");
        if (s_instant (c, "from", &o.from) || s_instant (c, "to", &o.to))
            return CLI_USAGE;
        const char *by = cli_actor (c);
        if (!by)
            return CLI_REFUSED;
        snprintf (o.by, sizeof o.by, "%s", by);
        char key[32], err[300];
        if (rota_override_check (c->cfg, &o, key, sizeof key, err, sizeof err))
            return cli_fail (c, CLI_REFUSED, "invalid", "--%s", err);
        int64_t now = opd_now_ms ();
        if (rota_override_add (cli_redis (c), &o, now))
            return s_unavailable (c);
        rota_announce (cli_redis (c), c->cfg, o.team, now);
        if (c->json)
            cli_print_json (rota_override_json (&o));
        else
            printf ("%s\n", o.id);
        return CLI_OK;
    }
    if (!strcmp (sub, "remove")) {
        if (cli_check (c, NULL, 2, s_usage_shift) != CLI_OK)
            return CLI_USAGE;
        rota_override_t o;
        int rc = rota_override_get (cli_redis (c), c->pos[1], &o);
        if (rc == 0)
            rc = rota_override_remove (cli_redis (c), c->pos[1]);
        if (rc == 0)
            rota_announce (cli_redis (c), c->cfg, o.team, opd_now_ms ());
        return s_removed (c, rc, "override");
    }
    if (!strcmp (sub, "list")) {
        static const char *const spec[] = {"team:", "from:", "to:", NULL};
        if (cli_check (c, spec, 1, s_usage_shift) != CLI_OK)
            return CLI_USAGE;
        int64_t from, to;
        if (s_period (c, &from, &to, 366))
            return CLI_USAGE;
        rota_override_t *v = NULL;
        size_t n = 0;
        if (rota_overrides (cli_redis (c), cli_opt (c, "team"), from, to, &v, &n))
            return s_unavailable (c);
        json_t *items = json_array ();
        for (size_t i = 0; i < n; i++)
            json_array_append_new (items, rota_override_json (&v[i]));
        free (v);
        return s_print_items (c, items);
    }
    return cli_fail (c, CLI_USAGE, "usage", "usage: %s", s_usage_shift);
}

//  opdesk rota [--team T] [--from T] [--to T]: per team and agent, the
//  stretches on duty in the team's local time (default: the next 7 days).
int
cli_rota (cli_t *c)
{
    static const char *const spec[] = {"from:", "to:", "team:", NULL};
    if (cli_check (c, spec, 0, "opdesk rota [--from T] [--to T] [--team TEAM] [--json]") != CLI_OK)
        return CLI_USAGE;
    int64_t from, to;
    if (s_period (c, &from, &to, 7))
        return CLI_USAGE;
    const char *team = cli_opt (c, "team");
    if (team && !opd_config_team (c->cfg, team))
        return cli_fail (c, CLI_REFUSED, "invalid", "--team: unknown team '%s'", team);
    bool unknown;
    json_t *teams = rota_rota (cli_redis (c), c->cfg, team, from, to, &unknown);
    if (!teams)
        return s_unavailable (c);
    char f[40], t[40];
    opd_rfc3339 (from, f, sizeof f);
    opd_rfc3339 (to, t, sizeof t);
    json_t *out = json_pack ("{s:s, s:s, s:o}", "from", f, "to", t, "teams", teams);
    if (c->json) {
        cli_print_json (out);
        return CLI_OK;
    }
    printf ("Rota %s to %s\n", f, t);
    size_t i;
    json_t *tm;
    json_array_foreach (teams, i, tm) {
        const char *id = json_string_value (json_object_get (tm, "team"));
        const opd_team_t *ot = opd_config_team (c->cfg, id);
        const opd_calendar_t *cal = ot && ot->calendar ? opd_config_calendar (c->cfg, ot->calendar) : NULL;
        const char *zone = cal && cal->timezone ? cal->timezone : "UTC";
        GTimeZone *tz = g_time_zone_new_identifier (zone);
        if (!tz)
            tz = g_time_zone_new_utc ();
        printf ("\n%s: %lld on duty needed (times in %s)\n", id,
                (long long) json_integer_value (json_object_get (tm, "required")), zone);
        size_t j;
        json_t *ag;
        json_array_foreach (json_object_get (tm, "agents"), j, ag) {
            printf ("  %s\n", json_string_value (json_object_get (ag, "agent")));
            size_t k;
            json_t *sp;
            json_array_foreach (json_object_get (ag, "on_duty"), k, sp) {
                char lf[64], lt[64];
                s_local (tz, json_string_value (json_object_get (sp, "from")), lf, sizeof lf);
                s_local (tz, json_string_value (json_object_get (sp, "to")), lt, sizeof lt);
                printf ("    %s - %s\n", lf, strncmp (lf, lt, 10) ? lt : lt + 11);
            }
            json_array_foreach (json_object_get (ag, "away"), k, sp) {
                char lf[64], lt[64];
                s_local (tz, json_string_value (json_object_get (sp, "from")), lf, sizeof lf);
                s_local (tz, json_string_value (json_object_get (sp, "to")), lt, sizeof lt);
                printf ("    away %s - %s  %s (%s) %s\n", lf, lt,
                        json_string_value (json_object_get (sp, "kind")),
                        json_string_value (json_object_get (sp, "status")),
                        json_string_value (json_object_get (sp, "id")));
            }
        }
        g_time_zone_unref (tz);
    }
    json_decref (out);
    return CLI_OK;
}

int
cli_oncall (cli_t *c)
{
    static const char *const spec[] = {"team:", NULL};
    if (cli_check (c, spec, 0, "opdesk oncall [--team TEAM] [--json]") != CLI_OK)
        return CLI_USAGE;
    const char *team = cli_opt (c, "team");
    if (team && !opd_config_team (c->cfg, team))
        return cli_fail (c, CLI_REFUSED, "invalid", "--team: unknown team '%s'", team);
    int64_t now = opd_now_ms ();
    rota_changes_t ch;
    if (rota_changes_load (cli_redis (c), now, now + 1, &ch))
        return s_unavailable (c);
    json_t *teams = rota_oncall_json (c->cfg, team, &ch, now);
    rota_changes_free (&ch);
    char at[40];
    opd_rfc3339 (now, at, sizeof at);
    json_t *out = json_pack ("{s:s, s:o}", "at", at, "teams", teams);
    if (c->json) {
        cli_print_json (out);
        return CLI_OK;
    }
    size_t i;
    json_t *t;
    json_array_foreach (teams, i, t) {
        json_t *on = json_object_get (t, "on_duty");
        printf ("%-16s %zu of %lld on duty:", json_string_value (json_object_get (t, "team")),
                json_array_size (on), (long long) json_integer_value (json_object_get (t, "required")));
        size_t j;
        json_t *a;
        json_array_foreach (on, j, a)
            printf (" %s", json_string_value (a));
        printf ("\n");
    }
    json_decref (out);
    return CLI_OK;
}
