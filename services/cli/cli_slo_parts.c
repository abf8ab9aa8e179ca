/*  cli_slo_parts: see cli_slo_parts.h. */
#include "cli_slo_parts.h"
#include "opd_details_report.h"
#include "opd_rating_report.h"
#include <stdio.h>

int
cli_slo_parts_add (cli_t *c, json_t *report, int64_t from_ms, int64_t to_ms)
{
    opd_redis_t *redis = cli_redis (c);
    json_t *details = opd_details_report (redis, c->cfg, from_ms, to_ms);
    json_t *satisfaction = details ? opd_rating_report (redis, from_ms, to_ms) : NULL;
    if (!satisfaction) {
        json_decref (details);
        return -1;
    }
    json_object_set_new (report, "details", details);
    json_object_set_new (report, "satisfaction", satisfaction);
    return 0;
}

//  A wall-clock duration for people ("45s", "12m05s", "3h20m", "2d04h"),
//  or "-" for null.
static const char *
s_took (const json_t *ms, char *buf, size_t size)
{
    if (!json_is_integer (ms)) {
        snprintf (buf, size, "-");
        return buf;
    }
    long long s = (json_integer_value (ms) + 500) / 1000;
    if (s < 60)
        snprintf (buf, size, "%llds", s);
    else if (s < 3600)
        snprintf (buf, size, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf (buf, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf (buf, size, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    return buf;
}

//  The request type's name as people know it, else its id.
static const char *
s_type_name (const opd_config_t *cfg, const char *id)
{
    const opd_reqtype_t *rt = id ? opd_config_reqtype (cfg, id) : NULL;
    return rt && rt->name ? rt->name : id ? id : "(none)";
}

static void
s_print_details (const opd_config_t *cfg, const json_t *details)
{
    printf ("\nMissing details: how long requesters took to give them, per request type\n");
    if (json_array_size (details) == 0) {
        printf ("(no request lacked details in this period)\n");
        return;
    }
    printf ("%-24s %6s %6s %8s %9s %9s\n", "REQUEST TYPE", "ASKED", "GIVEN", "WAITING", "P50", "P90");
    size_t i;
    json_t *d;
    json_array_foreach (details, i, d) {
        char p50[32], p90[32];
        printf ("%-24s %6lld %6lld %8lld %9s %9s\n",
                s_type_name (cfg, json_string_value (json_object_get (d, "request_type"))),
                (long long) json_integer_value (json_object_get (d, "asked")),
                (long long) json_integer_value (json_object_get (d, "given")),
                (long long) json_integer_value (json_object_get (d, "waiting")),
                s_took (json_object_get (d, "p50_ms"), p50, sizeof p50),
                s_took (json_object_get (d, "p90_ms"), p90, sizeof p90));
    }
}

//  One line of the satisfaction table.
static void
s_rating_line (const char *what, const char *name, const json_t *r)
{
    const json_t *share = json_object_get (r, "share_good");
    char cell[16] = "-";
    if (json_is_number (share))
        snprintf (cell, sizeof cell, "%.1f%%", 100.0 * json_number_value (share));
    printf ("%-9s %-20s %6lld %6lld %10s\n", what, name,
            (long long) json_integer_value (json_object_get (r, "good")),
            (long long) json_integer_value (json_object_get (r, "bad")), cell);
}

static void
s_print_satisfaction (const json_t *sat)
{
    printf ("\nSatisfaction: the requesters' ratings given in this period\n");
    if (json_integer_value (json_object_get (sat, "good")) + json_integer_value (json_object_get (sat, "bad")) == 0) {
        printf ("(no rating in this period)\n");
        return;
    }
    printf ("%-9s %-20s %6s %6s %10s\n", "", "", "GOOD", "BAD", "GOOD SHARE");
    s_rating_line ("all", "", sat);
    static const char *const parts[][3] = {{"teams", "team", "(no team)"},
                                           {"assignees", "assignee", "(unassigned)"}};
    for (int p = 0; p < 2; p++) {
        size_t i;
        json_t *r;
        json_array_foreach (json_object_get (sat, parts[p][0]), i, r) {
            const char *name = json_string_value (json_object_get (r, parts[p][1]));
            s_rating_line (parts[p][1], name ? name : parts[p][2], r);
        }
    }
}

void
cli_slo_parts_print (const opd_config_t *cfg, const json_t *report)
{
    s_print_details (cfg, json_object_get (report, "details"));
    s_print_satisfaction (json_object_get (report, "satisfaction"));
}
