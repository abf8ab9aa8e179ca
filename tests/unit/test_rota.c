/*  test_rota: shifts, overrides, absences and coverage (services/rota/opd_rota.c).

    The cases of rota_cases.h are generated independently with Python's
    zoneinfo by gen_rota_cases.py (a minute-by-minute count, no sweep) on
    the four daylight-saving change days of 2026 in Europe/London and
    America/Chicago; the gaps, working time and covered time must match to
    the millisecond, and the night shift that spans the change must keep its
    wall-clock start and end (7 h of real time in spring, 9 h in autumn).
    Hand-written cases check the span arithmetic, who is on duty, the JSON
    shape of CONTRACT.md section 8, and the cost of 14 days x 50 agents. */
#include "opd_calendar.h"
#include "opd_config.h"
#include "opd_util.h"
#include "rota/opd_rota.h"
#include "rota/opd_rota_assign.h"
#include "rota/opd_rota_ics.h"
#include "rota/opd_rota_staffing.h"
#include <glib.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define HOUR 3600000LL
#define DAY (24 * HOUR)

typedef struct {
    int64_t from, to;
    int on_duty, required;
} case_gap_t;

typedef struct {
    const char *name;
    const char *yaml;
    int64_t from, to, work_ms, covered_ms;
    size_t ngaps;
    case_gap_t gaps[32];
    const char *night_agent;
    size_t nspans;
    opd_timespan_t spans[8];
    size_t nabs;
    struct {
        const char *agent;
        int64_t from, to;
    } abs[4];
    size_t novr;
    struct {
        const char *agent;
        int remove;
        int64_t from, to;
    } ovr[4];
} rota_case_t;

#include "rota_cases.h"

static opd_config_t *
s_config (const char *yaml)
{
    char err[512] = "";
    opd_config_t *cfg = opd_config_parse (yaml, strlen (yaml), "test", err, sizeof err);
    if (!cfg)
        fail_msg ("configuration refused: %s", err);
    return cfg;
}

static void
test_rota_matches_zoneinfo_across_daylight_saving (void **state)
{
    (void) state;
    for (size_t i = 0; i < ROTA_NCASES; i++) {
        const rota_case_t *k = &s_cases[i];
        opd_config_t *cfg = s_config (k->yaml);
        rota_absence_t abs[4] = {0};
        rota_override_t ovr[4] = {0};
        for (size_t j = 0; j < k->nabs; j++) {
            snprintf (abs[j].agent, sizeof abs[j].agent, "%s", k->abs[j].agent);
            snprintf (abs[j].kind, sizeof abs[j].kind, "sickness");
            abs[j].from = k->abs[j].from;
            abs[j].to = k->abs[j].to;
        }
        for (size_t j = 0; j < k->novr; j++) {
            snprintf (ovr[j].agent, sizeof ovr[j].agent, "%s", k->ovr[j].agent);
            snprintf (ovr[j].team, sizeof ovr[j].team, "t");
            ovr[j].remove = k->ovr[j].remove;
            ovr[j].from = k->ovr[j].from;
            ovr[j].to = k->ovr[j].to;
        }
        rota_changes_t ch = {abs, k->nabs, ovr, k->novr};
        rota_cover_t c;
        assert_int_equal (rota_cover (cfg, "t", &ch, k->from, k->to, &c), 0);
        if (c.ngaps != k->ngaps || c.work_ms != k->work_ms || c.covered_ms != k->covered_ms) {
            for (size_t g = 0; g < c.ngaps; g++)
                print_message ("  got gap %lld-%lld on %d\n", (long long) c.gaps[g].from,
                               (long long) c.gaps[g].to, c.gaps[g].on_duty);
            fail_msg ("%s: %zu gaps (want %zu), work %lld (want %lld), covered %lld (want %lld)", k->name,
                      c.ngaps, k->ngaps, (long long) c.work_ms, (long long) k->work_ms,
                      (long long) c.covered_ms, (long long) k->covered_ms);
        }
        for (size_t g = 0; g < c.ngaps; g++) {
            if (c.gaps[g].from != k->gaps[g].from || c.gaps[g].to != k->gaps[g].to
                || c.gaps[g].on_duty != k->gaps[g].on_duty || c.gaps[g].required != k->gaps[g].required)
                fail_msg ("%s: gap %zu is %lld-%lld on %d, want %lld-%lld on %d", k->name, g,
                          (long long) c.gaps[g].from, (long long) c.gaps[g].to, c.gaps[g].on_duty,
                          (long long) k->gaps[g].from, (long long) k->gaps[g].to, k->gaps[g].on_duty);
        }
        //  The working time is the calendar's, as opd_calendar measures it.
        const opd_calendar_t *cal = opd_config_calendar (cfg, "cal");
        assert_int_equal (c.work_ms, opd_calendar_worktime (cal, k->from, k->to));
        rota_cover_free (&c);
        //  The shifts of the night agent, as instants.
        if (k->night_agent[0]) {
            opd_timespan_t *sp = NULL;
            size_t n = rota_agent_spans (cfg, "t", k->night_agent, NULL, false, k->from, k->to, &sp);
            if (n != k->nspans)
                fail_msg ("%s: %zu spans of %s, want %zu", k->name, n, k->night_agent, k->nspans);
            for (size_t s = 0; s < n; s++)
                if (sp[s].from != k->spans[s].from || sp[s].to != k->spans[s].to)
                    fail_msg ("%s: span %zu of %s is %lld-%lld, want %lld-%lld", k->name, s, k->night_agent,
                              (long long) sp[s].from, (long long) sp[s].to, (long long) k->spans[s].from,
                              (long long) k->spans[s].to);
            free (sp);
        }
        opd_config_destroy (&cfg);
    }
}

//  Written out by hand, to be read: London, the night of 2026-10-24 to 25
//  (clocks go back at 02:00 BST): 22:00 BST is 21:00Z, 06:00 GMT is 06:00Z,
//  9 h of real time; the night of 2026-03-28 to 29 (forward at 01:00 GMT):
//  22:00 GMT is 22:00Z, 06:00 BST is 05:00Z, 7 h.
static const char *s_night =
    "redis: {host: 127.0.0.1, port: 6390}\n"
    "calendars: {cal: {timezone: Europe/London, hours: 24x7}}\n"
    "slo_policies: [{name: p, match: {}, calendar: cal, first_response: 1h}]\n"
    "teams: [{id: t, name: T, calendar: cal, min_on_duty: 1}, {id: u, name: U, min_on_duty: 0}]\n"
    "default_team: t\n"
    "agents: [{id: n, name: N, teams: [t]}, {id: d, name: D, teams: [t]}]\n"
    "shifts:\n"
    "  - {agent: n, team: t, days: [sat], from: \"22:00\", to: \"06:00\", timezone: Europe/London}\n"
    "  - {agent: d, team: t, days: [sun], from: \"06:00\", to: \"22:00\", timezone: Europe/London}\n";

static int64_t
s_utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t) timegm (&tm) * 1000;
}

static void
test_rota_night_shift_keeps_its_wall_clock_times (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (s_night);
    opd_timespan_t *sp = NULL;
    size_t n = rota_agent_spans (cfg, "t", "n", NULL, true, s_utc (2026, 10, 24, 0, 0),
                                 s_utc (2026, 10, 26, 0, 0), &sp);
    assert_int_equal (n, 1);
    assert_int_equal (sp[0].from, s_utc (2026, 10, 24, 21, 0));
    assert_int_equal (sp[0].to, s_utc (2026, 10, 25, 6, 0));
    assert_int_equal (sp[0].to - sp[0].from, 9 * HOUR);
    free (sp);
    n = rota_agent_spans (cfg, "t", "n", NULL, true, s_utc (2026, 3, 28, 0, 0), s_utc (2026, 3, 30, 0, 0), &sp);
    assert_int_equal (n, 1);
    assert_int_equal (sp[0].from, s_utc (2026, 3, 28, 22, 0));
    assert_int_equal (sp[0].to, s_utc (2026, 3, 29, 5, 0));
    assert_int_equal (sp[0].to - sp[0].from, 7 * HOUR);
    free (sp);
    //  The day shift starts when the night ends: no gap, no overlap. The
    //  night of the 24th (Saturday) hands over to the 25th's day shift at
    //  06:00Z; the day ends at 22:00 GMT; Sunday 22:00 to Monday 00:00 London
    //  is a gap of 2 h with nobody on duty.
    rota_cover_t c;
    assert_int_equal (rota_cover (cfg, "t", NULL, s_utc (2026, 10, 24, 21, 0), s_utc (2026, 10, 26, 0, 0), &c), 0);
    assert_int_equal (c.ngaps, 1);
    assert_int_equal (c.gaps[0].from, s_utc (2026, 10, 25, 22, 0));
    assert_int_equal (c.gaps[0].to, s_utc (2026, 10, 26, 0, 0));
    assert_int_equal (c.gaps[0].on_duty, 0);
    assert_int_equal (c.gaps[0].required, 1);
    rota_cover_free (&c);
    opd_config_destroy (&cfg);
}

static void
test_rota_spans_union_and_minus (void **state)
{
    (void) state;
    opd_timespan_t a[] = {{10, 20}, {0, 5}, {5, 8}, {15, 30}, {40, 40}};
    size_t n = rota_spans_union (a, 5);
    assert_int_equal (n, 2);
    assert_int_equal (a[0].from, 0);
    assert_int_equal (a[0].to, 8);
    assert_int_equal (a[1].from, 10);
    assert_int_equal (a[1].to, 30);
    opd_timespan_t b[] = {{2, 3}, {7, 12}, {25, 50}};
    opd_timespan_t *out = NULL;
    n = rota_spans_minus (a, 2, b, 3, &out);
    assert_int_equal (n, 3);
    assert_int_equal (out[0].from, 0);
    assert_int_equal (out[0].to, 2);
    assert_int_equal (out[1].from, 3);
    assert_int_equal (out[1].to, 7);
    assert_int_equal (out[2].from, 12);
    assert_int_equal (out[2].to, 25);
    free (out);
}

static void
test_rota_absence_opens_a_gap_and_on_duty_skips_the_absent (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (s_night);
    int64_t from = s_utc (2026, 10, 25, 6, 0), to = s_utc (2026, 10, 25, 22, 0);
    rota_cover_t c;
    assert_int_equal (rota_cover (cfg, "t", NULL, from, to, &c), 0);
    assert_int_equal (c.ngaps, 0);
    assert_true (c.covered_ratio == 1.0);
    rota_cover_free (&c);
    //  Sick from 10:00 to 14:00 (GMT = UTC on that day): a 4 h gap in 16 h.
    rota_absence_t sick = {.agent = "d", .kind = "sickness"};
    sick.from = s_utc (2026, 10, 25, 10, 0);
    sick.to = s_utc (2026, 10, 25, 14, 0);
    rota_changes_t ch = {&sick, 1, NULL, 0};
    assert_int_equal (rota_cover (cfg, "t", &ch, from, to, &c), 0);
    assert_int_equal (c.ngaps, 1);
    assert_int_equal (c.gaps[0].from, sick.from);
    assert_int_equal (c.gaps[0].to, sick.to);
    assert_int_equal (c.gaps[0].on_duty, 0);
    assert_true (c.covered_ratio == 0.75);
    json_t *j = rota_cover_json (&c);
    char *text = json_dumps (j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal (text, "{\"covered_ratio\":0.75,\"gaps\":[{\"from\":\"2026-10-25T10:00:00Z\",\"on_duty\":0,"
                               "\"required\":1,\"to\":\"2026-10-25T14:00:00Z\"}],\"required\":1,\"team\":\"t\"}");
    free (text);
    json_decref (j);
    rota_cover_free (&c);
    const char **on = NULL;
    assert_int_equal (rota_on_duty (cfg, "t", &ch, s_utc (2026, 10, 25, 9, 0), &on), 1);
    assert_string_equal (on[0], "d");
    assert_null (on[1]);
    free (on);
    assert_int_equal (rota_on_duty (cfg, "t", &ch, s_utc (2026, 10, 25, 11, 0), &on), 0);
    free (on);
    //  A team with min_on_duty 0 never has a gap; an unknown team is refused.
    assert_int_equal (rota_cover (cfg, "u", &ch, from, to, &c), 0);
    assert_int_equal (c.ngaps, 0);
    rota_cover_free (&c);
    assert_int_equal (rota_cover (cfg, "nope", &ch, from, to, &c), -1);
    rota_cover_free (&c);
    assert_true (rota_kind_valid ("annual_leave") && rota_kind_valid ("sickness") && rota_kind_valid ("other"));
    assert_false (rota_kind_valid ("holiday") || rota_kind_valid (NULL));
    opd_config_destroy (&cfg);
}

//  Auto-assignment's choice: a member of the team, on duty, not absent,
//  least loaded, the first in the configuration on a tie; nobody: -1.
static const char *s_four =
    "redis: {host: 127.0.0.1, port: 6390}\n"
    "calendars: {cal: {timezone: UTC, hours: 24x7}}\n"
    "slo_policies: [{name: p, match: {}, calendar: cal, first_response: 1h}]\n"
    "teams: [{id: t, name: T, calendar: cal, min_on_duty: 3, auto_assign: true}, {id: u, name: U}]\n"
    "default_team: t\n"
    "agents: [{id: a, name: A, teams: [t]}, {id: b, name: B, teams: [t]}, {id: c, name: C, teams: [t]},\n"
    "         {id: e, name: E, teams: [u]}]\n"
    "shifts:\n"
    "  - {agent: a, team: t, days: [mon, tue, wed, thu, fri, sat, sun], from: \"00:00\", to: \"24:00\"}\n"
    "  - {agent: b, team: t, days: [mon, tue, wed, thu, fri, sat, sun], from: \"00:00\", to: \"24:00\"}\n"
    "  - {agent: c, team: t, days: [mon, tue, wed, thu, fri, sat, sun], from: \"00:00\", to: \"12:00\"}\n";

static void
test_rota_pick_takes_the_least_loaded_member_on_duty (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (s_four);
    assert_true (cfg->teams[0].auto_assign);
    assert_false (cfg->teams[1].auto_assign);
    assert_string_equal (cfg->sickness_handback, "queue");
    int64_t morning = s_utc (2026, 12, 2, 9, 0), evening = s_utc (2026, 12, 2, 15, 0);
    int loads[4] = {2, 1, 1, 0};
    //  e is on duty through an extra shift of t but not a member: never.
    rota_override_t extra = {.agent = "e", .team = "t", .from = morning - HOUR, .to = evening + HOUR};
    rota_changes_t ch = {NULL, 0, &extra, 1};
    assert_int_equal (rota_pick (cfg, "t", &ch, morning, loads, NULL), 1);     //  b: tie with c, first
    assert_int_equal (rota_pick (cfg, "t", &ch, morning, loads, "b"), 2);      //  c
    assert_int_equal (rota_pick (cfg, "t", &ch, evening, loads, "b"), 0);      //  c off shift: a
    rota_absence_t sick = {.id = "A1", .agent = "a", .kind = "sickness", .from = morning - DAY, .to = evening + DAY};
    ch.absences = &sick;
    ch.nabsences = 1;
    assert_int_equal (rota_pick (cfg, "t", &ch, evening, loads, "b"), -1);     //  a absent: nobody
    assert_int_equal (rota_pick (cfg, "t", &ch, evening, loads, NULL), 1);
    assert_int_equal (rota_pick (cfg, "u", &ch, evening, loads, NULL), -1);    //  nobody on shift in u
    //  The gaps a's sickness opens in [from, to): t needs 3 and has 3 in the
    //  morning, 2 in the afternoon, which is a gap already: with a away,
    //  both stretches are gaps, and both are new (the afternoon's count
    //  changes from 2 to 1).
    rota_absence_t mine = {.id = "A2", .agent = "a", .kind = "sickness", .from = s_utc (2026, 12, 3, 10, 0),
                           .to = s_utc (2026, 12, 3, 14, 0)};
    ch.absences = &mine;
    json_t *g = rota_gaps_opened (cfg, &ch, &mine);
    char *text = json_dumps (g, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal (text, "[{\"from\":\"2026-12-03T10:00:00Z\",\"on_duty\":2,\"required\":3,\"team\":\"t\","
                               "\"to\":\"2026-12-03T12:00:00Z\"},{\"from\":\"2026-12-03T12:00:00Z\",\"on_duty\":1,"
                               "\"required\":3,\"team\":\"t\",\"to\":\"2026-12-03T14:00:00Z\"}]");
    free (text);
    json_decref (g);
    //  The absence of an agent of no team that has a minimum opens nothing.
    rota_absence_t other = {.id = "A3", .agent = "e", .kind = "sickness", .from = mine.from, .to = mine.to};
    ch.absences = &other;
    g = rota_gaps_opened (cfg, &ch, &other);
    assert_int_equal (json_array_size (g), 0);
    json_decref (g);
    opd_config_destroy (&cfg);
}

//  Erlang C against the table: 10 Erlangs (200 calls an hour of 180 s mean
//  handling time), 80% answered within 20 s: 13 agents reach 79.6%, 14
//  reach 88.8%, so 14 are needed.
static void
test_rota_erlang_c_matches_the_table (void **state)
{
    (void) state;
    const double aht = 180, erlangs = 200 * aht / 3600;
    assert_true (fabs (erlangs - 10) < 1e-9);
    assert_true (fabs (rota_service_level (13, erlangs, aht, 20) - 0.796) < 0.0005);
    assert_true (fabs (rota_service_level (14, erlangs, aht, 20) - 0.888) < 0.0005);
    double reached = 0;
    assert_int_equal (rota_agents_needed (erlangs, aht, 20, 0.8, &reached), 14);
    assert_true (fabs (reached - 0.888) < 0.0005);
    //  Erlang C itself: 11 agents for 10 Erlangs wait 68.2% of the time.
    assert_true (fabs (rota_erlang_c (11, 10) - 0.682) < 0.0005);
    assert_true (rota_erlang_c (10, 10) == 1 && rota_service_level (10, 10, aht, 20) == 0);
    assert_int_equal (rota_agents_needed (0, aht, 20, 0.8, &reached), 0);
    //  No overflow where factorials would: 1000 Erlangs.
    int n = rota_agents_needed (1000, aht, 20, 0.8, &reached);
    assert_true (n > 1000 && n < 1060 && reached >= 0.8);
}

//  The backlog model: 4 tickets of 1 h each arrive on Monday at 09:00, two
//  agents work 09:00-11:00 and nobody else all week. Those arriving at the
//  middle of 09:00 are behind 2 h of work (the half of it before them on
//  average): the half hour left of 09:00 does 1 h, 10:00 the rest in half
//  an hour, a wait of 1 h; with a target of half an hour the hour breaches.
//  Phone calls take agents first: with 200 calls an hour at 09:00 (14 agents
//  needed), 15 agents leave one for the queue. Work the week cannot do is
//  carried into the next (the week is replayed twice).
static void
test_rota_backlog_replays_the_week_against_the_target (void **state)
{
    (void) state;
    rota_staff_in_t in[ROTA_WEEK_HOURS] = {{0}};
    rota_staff_out_t out[ROTA_WEEK_HOURS];
    for (int h = 0; h < ROTA_WEEK_HOURS; h++)
        in[h].working = true;
    in[9].queued = 4;
    in[9].on_duty = in[10].on_duty = 2;
    rota_staff_params_t p = {.phone_aht_s = 180, .answer_s = 20, .level = 0.8, .queued_aht_s = 3600, .target_h = 1};
    rota_staffing (&p, in, out);
    assert_true (fabs (out[9].wait_h - 1.0) < 1e-9);
    assert_false (out[9].breach);
    assert_true (fabs (out[9].backlog - 2) < 1e-9);
    assert_true (out[10].backlog == 0 && !out[10].breach && !out[8].breach);
    p.target_h = 0.5;
    rota_staffing (&p, in, out);
    assert_true (out[9].breach);
    //  Time outside working hours does not count: 10:00 off the calendar,
    //  the wait is the half hour of 09:00.
    in[10].working = false;
    rota_staffing (&p, in, out);
    assert_true (fabs (out[9].wait_h - 0.5) < 1e-9);
    assert_false (out[9].breach);
    in[10].working = true;
    //  The phone first: 200 calls at 09:00 need 14; with 15 on duty one
    //  agent is left for the queue at 09:00 (two more at 11:00 keep the
    //  week's capacity above its work).
    in[9].phone = 200;
    in[9].on_duty = 15;
    in[11].on_duty = 2;
    rota_staffing (&p, in, out);
    assert_int_equal (out[9].phone_needed, 14);
    assert_true (fabs (out[9].erlangs - 10) < 1e-9);
    assert_true (out[9].phone_level > 0.888 && out[9].phone_level < 1);
    //  0.5 h x 1 agent at 09:00, then 1.5 h at 10:00 (2 agents): 0.75 h.
    assert_true (fabs (out[9].wait_h - 1.25) < 1e-9);
    //  Nobody on duty at all: never handled within the week, a breach.
    for (int h = 0; h < ROTA_WEEK_HOURS; h++)
        in[h].on_duty = 0;
    rota_staffing (&p, in, out);
    assert_true (out[9].wait_h == -1 && out[9].breach);
    assert_false (out[8].breach);  //  no arrivals, no breach
}

//  The iCalendar feed: the night that spans the autumn change keeps its
//  wall-clock times (22:00 BST to 06:00 GMT: 21:00Z to 06:00Z, 9 h), its
//  UID is team, agent and start, and the calendar asks to be fetched hourly.
static void
test_rota_ics_has_one_event_per_shift_in_utc (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (s_night);
    int64_t from = s_utc (2026, 10, 24, 0, 0), to = s_utc (2026, 10, 26, 0, 0), now = s_utc (2026, 10, 1, 12, 0);
    char *text = rota_ics (cfg, "t", NULL, NULL, from, to, now);
    assert_non_null (text);
    char uid[80];
    snprintf (uid, sizeof uid, "UID:shift-t-n-%lld@opdesk\r\n", (long long) s_utc (2026, 10, 24, 21, 0));
    assert_non_null (strstr (text, uid));
    assert_non_null (strstr (text, "DTSTART:20261024T210000Z\r\nDTEND:20261025T060000Z\r\n"));
    assert_non_null (strstr (text, "DTSTART:20261025T060000Z\r\nDTEND:20261025T220000Z\r\n"));  //  d, GMT
    assert_non_null (strstr (text, "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"));
    assert_non_null (strstr (text, "X-PUBLISHED-TTL:PT1H\r\n"));
    size_t events = 0;
    for (const char *p = text; (p = strstr (p, "BEGIN:VEVENT")); p++)
        events++;
    assert_int_equal (events, 2);
    free (text);
    //  An agent's feed: its shifts in every team, and its absences.
    rota_absence_t away = {.id = "A7", .agent = "d", .kind = "other", .from = s_utc (2026, 10, 25, 10, 0),
                           .to = s_utc (2026, 10, 25, 12, 0)};
    rota_changes_t ch = {&away, 1, NULL, 0};
    text = rota_ics (cfg, NULL, "d", &ch, from, to, now);
    assert_non_null (strstr (text, "UID:absence-A7@opdesk\r\n"));
    assert_non_null (strstr (text, "DTSTART:20261025T120000Z\r\nDTEND:20261025T220000Z\r\n"));
    assert_null (strstr (text, "shift-t-n-"));
    free (text);
    assert_null (rota_ics (cfg, NULL, NULL, NULL, from, to, now));
    opd_config_destroy (&cfg);
}

//  Requested leave does not count; the cap counts each agent once, whatever
//  its absences, and only those that count.
static void
test_rota_requests_do_not_count_and_the_cap_counts_agents (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config (s_night);
    int64_t day = s_utc (2026, 10, 25, 0, 0);
    rota_absence_t v[4] = {{.agent = "d", .kind = "annual_leave", .status = "requested"},
                           {.agent = "d", .kind = "sickness"},
                           {.agent = "n", .kind = "annual_leave", .status = "approved"},
                           {.agent = "n", .kind = "annual_leave", .status = "approved"}};
    v[0].from = day + 10 * HOUR, v[0].to = day + 14 * HOUR;  //  a request: not away
    v[1].from = day + 20 * HOUR, v[1].to = day + 21 * HOUR;
    v[2].from = day + 9 * HOUR, v[2].to = day + 12 * HOUR;
    v[3].from = day + 11 * HOUR, v[3].to = day + 13 * HOUR;  //  n twice: one agent
    rota_changes_t ch = {v, 4, NULL, 0};
    assert_false (rota_absence_counts (&v[0]));
    assert_true (rota_absence_counts (&v[1]) && rota_absence_counts (&v[2]));
    rota_cover_t c;
    assert_int_equal (rota_cover (cfg, "t", &ch, day + 6 * HOUR, day + 22 * HOUR, &c), 0);
    assert_int_equal (c.ngaps, 1);  //  the sickness, not the request
    assert_int_equal (c.gaps[0].from, v[1].from);
    rota_cover_free (&c);
    assert_int_equal (rota_away_peak (cfg, "t", &ch, NULL, day, day + DAY), 1);
    //  The request approved (as the API checks it: the stored request stays
    //  in ch, the approved copy comes as extra) overlaps n's leave: two away.
    rota_absence_t approved = v[0];
    snprintf (approved.status, sizeof approved.status, "approved");
    assert_int_equal (rota_away_peak (cfg, "t", &ch, &approved, approved.from, approved.to), 2);
    //  Back to back is not at once (half-open spans).
    approved.from = day + 13 * HOUR, approved.to = day + 15 * HOUR;
    assert_int_equal (rota_away_peak (cfg, "t", &ch, &approved, day, day + DAY), 1);
    opd_config_destroy (&cfg);
}

//  The figure of docs/shifts.md: 14 days of a team of 50 agents on three
//  rotating shifts, against an office calendar, with 50 absences.
static void
test_rota_fourteen_days_of_fifty_agents_is_fast (void **state)
{
    (void) state;
    GString *y = g_string_new ("redis: {host: 127.0.0.1, port: 6390}\n"
                               "calendars: {uk: {timezone: Europe/London, hours: {mon: [\"08:00-18:00\"], "
                               "tue: [\"08:00-18:00\"], wed: [\"08:00-12:30\", \"13:30-18:00\"], thu: [\"08:00-18:00\"], "
                               "fri: [\"08:00-17:00\"], sat: [], sun: []}, holidays: [\"2026-12-25\"]}}\n"
                               "slo_policies: [{name: p, match: {}, calendar: uk, first_response: 1h}]\n"
                               "teams: [{id: t, name: T, calendar: uk, min_on_duty: 12}]\n"
                               "default_team: t\nagents:\n");
    for (int i = 0; i < 50; i++)
        g_string_append_printf (y, "  - {id: a%d, name: A, teams: [t]}\n", i);
    g_string_append (y, "shifts:\n");
    static const char *const sh[3][2] = {{"06:00", "14:00"}, {"10:00", "18:00"}, {"22:00", "06:00"}};
    for (int i = 0; i < 50; i++)
        g_string_append_printf (y, "  - {agent: a%d, team: t, days: [mon, tue, wed, thu, fri], from: \"%s\", to: \"%s\"}\n", i,
                                sh[i % 3][0], sh[i % 3][1]);
    opd_config_t *cfg = s_config (y->str);
    g_string_free (y, TRUE);
    int64_t from = s_utc (2026, 12, 14, 0, 0), to = from + 14 * DAY;
    rota_absence_t abs[50];
    memset (abs, 0, sizeof abs);
    for (int i = 0; i < 50; i++) {
        snprintf (abs[i].agent, sizeof abs[i].agent, "a%d", i);
        abs[i].from = from + (i % 14) * DAY + 9 * HOUR;
        abs[i].to = abs[i].from + (1 + i % 3) * DAY;
    }
    rota_changes_t ch = {abs, 50, NULL, 0};
    int64_t t0 = opd_mono_ms ();
    int runs = 20;
    for (int r = 0; r < runs; r++) {
        rota_cover_t c;
        assert_int_equal (rota_cover (cfg, "t", &ch, from, to, &c), 0);
        assert_true (c.work_ms > 0);
        rota_cover_free (&c);
    }
    double ms = (double) (opd_mono_ms () - t0) / runs;
    print_message ("coverage of 14 days x 50 agents with 50 absences: %.2f ms\n", ms);
    assert_true (ms < 250.0);
    opd_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rota_matches_zoneinfo_across_daylight_saving),
        cmocka_unit_test (test_rota_night_shift_keeps_its_wall_clock_times),
        cmocka_unit_test (test_rota_spans_union_and_minus),
        cmocka_unit_test (test_rota_absence_opens_a_gap_and_on_duty_skips_the_absent),
        cmocka_unit_test (test_rota_requests_do_not_count_and_the_cap_counts_agents),
        cmocka_unit_test (test_rota_pick_takes_the_least_loaded_member_on_duty),
        cmocka_unit_test (test_rota_erlang_c_matches_the_table),
        cmocka_unit_test (test_rota_ics_has_one_event_per_shift_in_utc),
        cmocka_unit_test (test_rota_backlog_replays_the_week_against_the_target),
        cmocka_unit_test (test_rota_fourteen_days_of_fifty_agents_is_fast),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
