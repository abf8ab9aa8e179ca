/*  rota_advice: the staffing advice with what Redis holds (declared in
    opd_rota_store.h): the tickets received over the last weeks, counted
    per hour of the week in the team's time zone, and the rota's on-duty
    count for the coming week, through the models of opd_rota_staffing.c. */
#include "opd_rota_aht.h"
#include "opd_rota_staffing.h"
#include "opd_rota_store.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define WEEK_MS (168 * HOUR_MS)

static const char *const s_days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

//  The hour of the week (0 = Monday 00:00) of an instant in tz.
static int
s_hour_of_week (GTimeZone *tz, int64_t ms)
{
    GDateTime *u = g_date_time_new_from_unix_utc (ms / 1000);
    GDateTime *l = g_date_time_to_timezone (u, tz);
    int h = (g_date_time_get_day_of_week (l) - 1) * 24 + g_date_time_get_hour (l);
    g_date_time_unref (l);
    g_date_time_unref (u);
    return h;
}

//  The tickets received in [from, to): team, channel and received_at of
//  each, pipelined. A reply with the three fields per ticket (the caller
//  frees it with freeReplyObject for each of *n), NULL when Redis did not
//  answer.
static redisReply **
s_tickets (opd_redis_t *r, int64_t from, int64_t to, size_t *n)
{
    redisReply *ids = opd_redis_command (r, "ZRANGEBYSCORE %s %lld (%lld", OPD_KEY_IDX_ALL, (long long) from,
                                         (long long) to);
    if (!ids)
        return NULL;
    *n = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
    int rc = 0;
    static const char *const fields[] = {OPD_F_TEAM, OPD_F_CHANNEL, OPD_F_RECEIVED_AT};
    for (size_t i = 0; i < *n && rc == 0; i++)
        rc = opd_store_fields_append (r, opd_reply_str (ids, i), fields, 3);
    freeReplyObject (ids);
    redisReply **out = calloc (*n + 1, sizeof *out);
    for (size_t i = 0; i < *n && rc == 0; i++)
        if (!(out[i] = opd_redis_get_reply (r)))
            rc = -1;
    if (rc) {
        for (size_t i = 0; i < *n; i++)
            if (out[i])
                freeReplyObject (out[i]);
        free (out);
        opd_redis_disconnect (r);
        return NULL;
    }
    return out;
}

//  The target of queued work in working hours: the first-response target
//  (else resolution) of the first policy that fits an email incident of the
//  team at the default priority; 0 when none does.
static double
s_target_h (const opd_config_t *cfg, const char *team)
{
    for (size_t i = 0; i < cfg->npolicies; i++) {
        const opd_match_t *m = &cfg->policies[i].match;
        if ((m->priority && strcmp (m->priority, cfg->default_priority)) || (m->kind && strcmp (m->kind, "incident"))
            || (m->team && strcmp (m->team, team)) || (m->channel && strcmp (m->channel, "email")) || m->category
            || m->request_type)
            continue;
        int64_t t = cfg->policies[i].first_response ? cfg->policies[i].first_response : cfg->policies[i].resolution;
        return t / (double) HOUR_MS;
    }
    return 0;
}

//  The rota of the coming week per hour of the week: agents on duty and
//  working hours, at the middle of each hour. In a week with a clock
//  change one local hour does not occur (it takes the hour before's plan)
//  and another occurs twice (the later one counts).
static void
s_plan (const opd_config_t *cfg, const opd_team_t *t, const rota_changes_t *ch, GTimeZone *tz,
        int64_t start, rota_staff_in_t *in)
{
    const opd_calendar_t *cal = t->calendar ? opd_config_calendar (cfg, t->calendar) : NULL;
    bool seen[ROTA_WEEK_HOURS] = {false};
    for (int k = 0; k < ROTA_WEEK_HOURS; k++) {
        int64_t mid = start + k * HOUR_MS + HOUR_MS / 2;
        int h = s_hour_of_week (tz, mid);
        const char **on = NULL;
        in[h].on_duty = (int) rota_on_duty (cfg, t->id, ch, mid, &on);
        free (on);
        in[h].working = !cal || opd_calendar_is_working (cal, mid);
        seen[h] = true;
    }
    for (int h = 0; h < 2 * ROTA_WEEK_HOURS; h++) {
        int i = h % ROTA_WEEK_HOURS, prev = (i + ROTA_WEEK_HOURS - 1) % ROTA_WEEK_HOURS;
        if (!seen[i] && seen[prev]) {
            in[i].on_duty = in[prev].on_duty;
            in[i].working = in[prev].working;
            seen[i] = true;
        }
    }
}

static double
s_round (double v)
{
    return round (v * 1000) / 1000;
}

static json_t *
s_hours_json (const rota_staff_in_t *in, const rota_staff_out_t *out, json_t **breaches)
{
    json_t *hours = json_array ();
    *breaches = json_array ();
    for (int h = 0; h < ROTA_WEEK_HOURS; h++) {
        char at[16];
        snprintf (at, sizeof at, "%s %02d:00", s_days[h / 24], h % 24);
        json_array_append_new (hours, json_pack (
            "{s:s, s:i, s:b, s:f, s:f, s:i, s:f, s:f, s:f, s:o, s:b}", "at", at, "on_duty", in[h].on_duty,
            "working", in[h].working, "phone_arrivals", s_round (in[h].phone), "erlangs", s_round (out[h].erlangs),
            "phone_needed", out[h].phone_needed, "phone_level", s_round (out[h].phone_level), "queued_arrivals",
            s_round (in[h].queued), "backlog", s_round (out[h].backlog), "wait_hours",
            out[h].wait_h < 0 ? json_null () : json_real (s_round (out[h].wait_h)), "breach", out[h].breach));
        if (out[h].breach)
            json_array_append_new (*breaches, json_string (at));
    }
    return hours;
}

//  The assumptions the advice used, each handling time with where it comes
//  from (measured or configured) and the samples measured.
static json_t *
s_assumptions (const rota_staff_params_t *p, const rota_aht_t *aht, double target)
{
    return json_pack ("{s:f, s:s, s:I, s:f, s:f, s:f, s:s, s:I, s:o}", "phone_handle_time_s", p->phone_aht_s,
                      "phone_handle_time_source", aht[0].measured ? "measured" : "configured",
                      "phone_handle_time_samples", (json_int_t) aht[0].n, "answer_within_s", p->answer_s,
                      "answer_level", p->level, "handle_time_s", p->queued_aht_s, "handle_time_source",
                      aht[1].measured ? "measured" : "configured", "handle_time_samples", (json_int_t) aht[1].n,
                      "target_hours", target > 0 ? json_real (target) : json_null ());
}

//  One team's advice from the tickets already read and the handling times
//  measured (aht[0] phone, aht[1] queued work).
static json_t *
s_team (const opd_config_t *cfg, const opd_team_t *t, redisReply **tk, size_t n, const rota_changes_t *ch,
        int weeks, int64_t now, rota_aht_t *aht)
{
    const opd_calendar_t *cal = t->calendar ? opd_config_calendar (cfg, t->calendar) : NULL;
    const char *zone = cal && cal->timezone ? cal->timezone : "UTC";
    GTimeZone *tz = g_time_zone_new_identifier (zone);
    if (!tz)
        tz = g_time_zone_new_utc ();
    rota_staff_in_t *in = calloc (ROTA_WEEK_HOURS, sizeof *in);
    rota_staff_out_t *out = calloc (ROTA_WEEK_HOURS, sizeof *out);
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        const char *team = opd_reply_str (tk[i], 0), *channel = opd_reply_str (tk[i], 1);
        const char *at = opd_reply_str (tk[i], 2);
        //  Imports and delayed mail are counted at the hour they were
        //  received, within the weeks asked for.
        if (!team || strcmp (team, t->id) || !at || atoll (at) < now - weeks * WEEK_MS || atoll (at) >= now)
            continue;
        int h = s_hour_of_week (tz, atoll (at));
        *(channel && !strcmp (channel, "phone") ? &in[h].phone : &in[h].queued) += 1.0 / weeks;
        count++;
    }
    s_plan (cfg, t, ch, tz, (now / HOUR_MS + 1) * HOUR_MS, in);
    double target = s_target_h (cfg, t->id);
    rota_aht_choose (&aht[0], cfg->staffing_phone_aht_ms, ROTA_AHT_MIN_SAMPLES);
    rota_aht_choose (&aht[1], cfg->staffing_aht_ms, ROTA_AHT_MIN_SAMPLES);
    rota_staff_params_t p = {.phone_aht_s = aht[0].used_s,
                             .answer_s = cfg->staffing_answer_ms / 1000.0,
                             .level = cfg->staffing_answer_level,
                             .queued_aht_s = aht[1].used_s,
                             .target_h = target > 0 ? target : INFINITY};
    rota_staffing (&p, in, out);
    json_t *breaches;
    json_t *hours = s_hours_json (in, out, &breaches);
    json_t *assume = s_assumptions (&p, aht, target);
    json_t *team = json_pack ("{s:s, s:s, s:i, s:o, s:o, s:o}", "team", t->id, "timezone", zone, "tickets", count,
                              "assumptions", assume, "hours", hours, "breaches", breaches);
    free (in);
    free (out);
    g_time_zone_unref (tz);
    return team;
}

json_t *
rota_staffing_json (opd_redis_t *r, const opd_config_t *cfg, const char *team, int weeks, int64_t now,
                    bool *unknown)
{
    *unknown = team && !opd_config_team (cfg, team);
    if (*unknown)
        return NULL;
    size_t n = 0;
    redisReply **tk = s_tickets (r, now - weeks * WEEK_MS, now, &n);
    rota_changes_t ch;
    if (!tk || rota_changes_load (r, now, now + WEEK_MS + 2 * HOUR_MS, &ch)) {
        for (size_t i = 0; tk && i < n; i++)
            freeReplyObject (tk[i]);
        free (tk);
        return NULL;
    }
    json_t *teams = json_array ();
    for (size_t i = 0; i < cfg->nteams && teams; i++) {
        rota_aht_t aht[2];
        if (team && strcmp (team, cfg->teams[i].id))
            continue;
        if (rota_aht_read (r, cfg->teams[i].id, now - weeks * WEEK_MS, now, &aht[0], &aht[1])) {
            json_decref (teams);
            teams = NULL;
        }
        else
            json_array_append_new (teams, s_team (cfg, &cfg->teams[i], tk, n, &ch, weeks, now, aht));
    }
    rota_changes_free (&ch);
    for (size_t i = 0; i < n; i++)
        freeReplyObject (tk[i]);
    free (tk);
    return teams;
}
