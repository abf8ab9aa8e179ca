/*  test_report: the measuring of SLOs (libopdslo in services/slo/, and the
    metrics text of services/web/metrics.c): the arithmetic of
    attainment, error budgets, burn rates and p90 on fixed numbers; then, on a
    throwaway redis-server, the report of fixed tickets (counts, working
    times on a calendar), the comparison of two periods, the multi-window
    burn-rate alerts, the histograms, the gauges and the metrics text (checked
    by `promtool check metrics` when Debian's prometheus package is there,
    and by a parser of the text format here in any case). */
#include "web/metrics.h"
#include "opd_calendar.h"
#include "opd_config.h"
#include "opd_redis.h"
#include "opd_slo_burn.h"
#include "opd_slo_gauges.h"
#include "opd_slo_measure.h"
#include "opd_slo_report.h"
#include "opd_util.h"
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#define MIN 60000LL
#define HOUR 3600000LL

//  --- Arithmetic on fixed numbers ---------------------------------------------

static void
test_report_attainment_and_budget (void **state)
{
    (void) state;
    assert_float_equal (opd_slo_attainment (9, 1), 0.9, 1e-12);
    assert_float_equal (opd_slo_attainment (3, 0), 1.0, 1e-12);
    assert_true (isnan (opd_slo_attainment (0, 0)));
    //  20 finished under objective 0.95: 1 breach may happen (allowed 1.0).
    assert_float_equal (opd_slo_budget_left (0, 20 * 0.05), 1.0, 1e-9);
    assert_float_equal (opd_slo_budget_left (1, 20 * 0.05), 0.0, 1e-9);
    assert_float_equal (opd_slo_budget_left (3, 20 * 0.05), -2.0, 1e-9);  //  overspent
    assert_float_equal (opd_slo_budget_left (1, 40 * 0.05), 0.5, 1e-9);
    assert_true (isnan (opd_slo_budget_left (0, 0)));
}

static void
test_report_burn_rate (void **state)
{
    (void) state;
    //  Breaching exactly the allowed share burns at 1.
    assert_float_equal (opd_slo_burn_rate (19, 1, 0.95), 1.0, 1e-9);
    assert_float_equal (opd_slo_burn_rate (0, 4, 0.95), 20.0, 1e-9);
    assert_float_equal (opd_slo_burn_rate (999, 1, 0.999), 1.0, 1e-9);
    assert_float_equal (opd_slo_burn_rate (0, 0, 0.95), 0.0, 1e-12);
    assert_float_equal (opd_slo_burn_rate (1, 1, 0), 0.0, 1e-12);  //  no objective, no budget
    //  Both windows must be above the threshold.
    assert_true (opd_slo_burn_alert (15, 20, OPD_BURN_FAST_THRESHOLD));
    assert_false (opd_slo_burn_alert (15, 14.4, OPD_BURN_FAST_THRESHOLD));
    assert_false (opd_slo_burn_alert (3, 20, OPD_BURN_FAST_THRESHOLD));
    assert_true (opd_slo_burn_alert (6.5, 7, OPD_BURN_SLOW_THRESHOLD));
}

static void
test_report_p90_and_mean (void **state)
{
    (void) state;
    int64_t ten[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    assert_int_equal (opd_slo_p90 (ten, 10), 9);  //  nearest rank: the 9th of 10
    assert_int_equal (ten[0], 1);                  //  sorted in place
    int64_t eleven[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    assert_int_equal (opd_slo_p90 (eleven, 11), 10);  //  ceil(9.9) = 10th
    int64_t one[] = {42};
    assert_int_equal (opd_slo_p90 (one, 1), 42);
    int64_t twenty[20];
    for (int i = 0; i < 20; i++)
        twenty[i] = (i + 1) * 1000;
    assert_int_equal (opd_slo_p90 (twenty, 20), 18000);
    assert_int_equal (opd_slo_p90 (NULL, 0), 0);
    int64_t m[] = {1000, 2000, 4000};
    assert_int_equal (opd_slo_mean (m, 3), 2333);
    assert_int_equal (opd_slo_mean (NULL, 0), 0);
}

//  --- A throwaway Redis ----------------------------------------------------------

static pid_t s_redis_pid;
static int s_port;
static char s_dir[64];

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind (fd, (struct sockaddr *) &a, sizeof a);
    getsockname (fd, (struct sockaddr *) &a, &len);
    close (fd);
    return ntohs (a.sin_port);
}

static const char *s_yaml_fmt =
    "redis: {host: 127.0.0.1, port: %d}\n"
    "calendars:\n"
    "  uk-office:\n"
    "    timezone: Europe/London\n"
    "    hours: {mon: ['08:00-18:00'], tue: ['08:00-18:00'], wed: ['08:00-18:00'],\n"
    "            thu: ['08:00-18:00'], fri: ['08:00-17:00'], sat: [], sun: []}\n"
    "  always: {timezone: UTC, hours: 24x7}\n"
    "slo_policies:\n"
    "  - {name: p1, match: {priority: P1}, calendar: always, first_response: 15m, resolution: 4h,\n"
    "     objective: 0.95}\n"
    "  - {name: office, match: {priority: P2}, calendar: uk-office, first_response: 4h,\n"
    "     resolution: 16h, objective: 0.9}\n"
    "  - {name: standard, match: {}, calendar: always, first_response: 4h, next_reply: 8h,\n"
    "     resolution: 16h}\n"
    "teams: [{id: network, name: Network, calendar: uk-office}, {id: desk, name: Desk}]\n"
    "default_team: desk\n"
    "default_priority: P3\n";

static opd_config_t *
s_config (void)
{
    char yaml[2048], err[512];
    snprintf (yaml, sizeof yaml, s_yaml_fmt, s_port);
    opd_config_t *cfg = opd_config_parse (yaml, strlen (yaml), "test", err, sizeof err);
    if (!cfg)
        fail_msg ("configuration: %s", err);
    return cfg;
}

static int
s_redis_up (void **state)
{
    (void) state;
    s_port = s_free_port ();
    snprintf (s_dir, sizeof s_dir, "/tmp/opd-test-report-XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    s_redis_pid = fork ();
    if (s_redis_pid == 0) {
        char port[16];
        snprintf (port, sizeof port, "%d", s_port);
        if (!freopen ("/dev/null", "w", stdout))
            _exit (127);
        execlp ("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", s_dir, (char *) NULL);
        _exit (127);
    }
    opd_config_t *cfg = s_config ();
    opd_redis_t *r = opd_redis_new (cfg);
    int ok = -1;
    for (int i = 0; i < 200 && ok; i++) {
        ok = opd_redis_connect (r);
        if (ok)
            usleep (25000);
    }
    opd_redis_destroy (&r);
    opd_config_destroy (&cfg);
    return ok;
}

static int
s_redis_down (void **state)
{
    (void) state;
    if (s_redis_pid > 0) {
        kill (s_redis_pid, SIGTERM);
        waitpid (s_redis_pid, NULL, 0);
    }
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

static void
s_cmd (opd_redis_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *text = NULL;
    assert_true (vasprintf (&text, fmt, ap) > 0);
    va_end (ap);
    //  Space-separated words; no word here has a space in it.
    opd_args_t a;
    opd_args_init (&a);
    for (char *save = NULL, *w = strtok_r (text, " ", &save); w; w = strtok_r (NULL, " ", &save))
        opd_args_add (&a, w);
    redisReply *x = opd_redis_argv (r, &a);
    assert_non_null (x);
    if (x->type == REDIS_REPLY_ERROR)
        fail_msg ("%s: %s", text, x->str);
    freeReplyObject (x);
    opd_args_free (&a);
    free (text);
}

static int64_t
s_utc (const char *rfc3339)
{
    int64_t ms;
    assert_int_equal (opd_rfc3339_parse (rfc3339, &ms), 0);
    return ms;
}

//  A ticket as the scripts leave it: created (= received) at rx.
static void
s_ticket (opd_redis_t *r, const char *id, const char *priority, const char *team, const char *policy,
          int64_t rx, const char *clocks)
{
    s_cmd (r, "HSET opd:t:{%s} id %s priority %s team %s slo_policy %s received_at %lld created_at %lld %s", id,
           id, priority, team, policy, (long long) rx, (long long) rx, clocks);
    s_cmd (r, "ZADD opd:idx:all %lld %s", (long long) rx, id);
}

static json_t *
s_slo (json_t *report, const char *key, const char *slo)
{
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get (report, "groups"), i, g) {
        json_t *k = json_object_get (g, "key");
        if ((!key && json_is_null (k)) || (key && json_is_string (k) && !strcmp (json_string_value (k), key)))
            return json_object_get (json_object_get (g, "slo"), slo);
    }
    fail_msg ("no group %s", key ? key : "null");
    return NULL;
}

static long long
s_i (json_t *o, const char *k)
{
    json_t *v = json_object_get (o, k);
    if (!json_is_integer (v))
        fail_msg ("%s is not an integer", k);
    return json_integer_value (v);
}

static double
s_d (json_t *o, const char *k)
{
    json_t *v = json_object_get (o, k);
    if (!json_is_number (v))
        fail_msg ("%s is not a number", k);
    return json_number_value (v);
}

//  --- The report on fixed tickets -------------------------------------------------

static void
test_report_counts_and_working_times (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ();
    opd_redis_t *r = opd_redis_new (cfg);
    s_cmd (r, "FLUSHALL");
    int64_t day = s_utc ("2026-03-02T00:00:00Z");  //  a Monday; London is on UTC in March
    //  P1 (always calendar): first responses after 5, 10, 20 (breached) min; one running.
    s_ticket (r, "OPD-1", "P1", "desk", "p1", day + HOUR,
              "fr_state met fr_met 1 res_state met res_met 1");
    s_cmd (r, "HSET opd:t:{OPD-1} fr_met %lld res_met %lld", (long long) (day + HOUR + 5 * MIN),
           (long long) (day + 2 * HOUR));
    s_ticket (r, "OPD-2", "P1", "desk", "p1", day + 2 * HOUR, "fr_state met res_state running");
    s_cmd (r, "HSET opd:t:{OPD-2} fr_met %lld", (long long) (day + 2 * HOUR + 10 * MIN));
    s_ticket (r, "OPD-3", "P1", "network", "p1", day + 3 * HOUR, "fr_state breached res_state paused");
    s_cmd (r, "HSET opd:t:{OPD-3} fr_met %lld fr_breached %lld", (long long) (day + 3 * HOUR + 20 * MIN),
           (long long) (day + 3 * HOUR + 15 * MIN));
    s_ticket (r, "OPD-4", "P1", "desk", "p1", day + 4 * HOUR, "fr_state running res_state running");
    //  P2 on the office calendar: received Friday 16:00, answered Monday 09:00
    //  = 1 h Friday + 1 h Monday of working time; resolved Monday 12:00 with
    //  a pending pause 10:00-11:00 = 1 h Friday + 4 h Monday less 1 h.
    int64_t fri = s_utc ("2026-03-06T16:00:00Z");
    s_ticket (r, "OPD-5", "P2", "network", "office", fri,
              "fr_state met res_state met res_pauses 0-0");
    s_cmd (r, "HSET opd:t:{OPD-5} fr_met %lld res_met %lld res_pauses %lld-%lld",
           (long long) s_utc ("2026-03-09T09:00:00Z"), (long long) s_utc ("2026-03-09T12:00:00Z"),
           (long long) s_utc ("2026-03-09T10:00:00Z"), (long long) s_utc ("2026-03-09T11:00:00Z"));
    //  P3, no objective; and a ticket not routed yet (no priority, no clocks).
    s_ticket (r, "OPD-6", "P3", "desk", "standard", day + 5 * HOUR,
              "fr_state met nr_state running res_state breached");
    s_cmd (r, "HSET opd:t:{OPD-6} fr_met %lld", (long long) (day + 5 * HOUR + 30 * MIN));
    //  A next reply that breached once, then met in a later cycle: breached.
    s_ticket (r, "OPD-10", "P3", "desk", "standard", day + 7 * HOUR,
              "fr_state met nr_state met res_state running nr_breaches 1");
    s_cmd (r, "HSET opd:t:{OPD-7} id OPD-7 created_at %lld received_at %lld", (long long) (day + 6 * HOUR),
           (long long) (day + 6 * HOUR));
    s_cmd (r, "ZADD opd:idx:all %lld OPD-7", (long long) (day + 6 * HOUR));
    //  Outside the period: the day before, and exactly at its end (half-open).
    s_ticket (r, "OPD-8", "P1", "desk", "p1", day - HOUR, "fr_state breached");
    s_ticket (r, "OPD-9", "P1", "desk", "p1", day + 14 * 86400000LL, "fr_state breached");

    char err[256];
    json_t *rep = opd_slo_report (r, cfg, day, day + 14 * 86400000LL, "priority", err, sizeof err);
    if (!rep)
        fail_msg ("report: %s", err);
    assert_string_equal (json_string_value (json_object_get (rep, "from")), "2026-03-02T00:00:00Z");
    assert_string_equal (json_string_value (json_object_get (rep, "group_by")), "priority");
    assert_int_equal (json_array_size (json_object_get (rep, "groups")), 4);  //  P1 P2 P3 null

    json_t *fr = s_slo (rep, "P1", "first_response");
    assert_int_equal (s_i (fr, "tickets"), 4);
    assert_int_equal (s_i (fr, "met"), 2);
    assert_int_equal (s_i (fr, "breached"), 1);
    assert_int_equal (s_i (fr, "running"), 1);
    assert_float_equal (s_d (fr, "attainment"), 2.0 / 3.0, 1e-9);
    assert_float_equal (s_d (fr, "objective"), 0.95, 1e-9);
    //  3 finished, allowance 0.15, 1 breach: 1 - 1/0.15.
    assert_float_equal (s_d (fr, "error_budget_left"), 1.0 - 1.0 / 0.15, 1e-9);
    //  5, 10, 20 min (the breached clock was met too): mean 11:40, p90 20 min.
    assert_int_equal (s_i (fr, "mean_working_ms"), (5 + 10 + 20) * MIN / 3);
    assert_int_equal (s_i (fr, "p90_working_ms"), 20 * MIN);
    json_t *res = s_slo (rep, "P1", "resolution");
    assert_int_equal (s_i (res, "met"), 1);
    assert_int_equal (s_i (res, "running"), 3);
    assert_int_equal (s_i (res, "paused"), 1);
    assert_float_equal (s_d (res, "attainment"), 1.0, 1e-12);
    assert_float_equal (s_d (res, "error_budget_left"), 1.0, 1e-12);
    assert_int_equal (s_i (res, "mean_working_ms"), HOUR);

    fr = s_slo (rep, "P2", "first_response");
    assert_int_equal (s_i (fr, "mean_working_ms"), 2 * HOUR);  //  working time, not 65 h
    assert_float_equal (s_d (fr, "objective"), 0.9, 1e-9);
    res = s_slo (rep, "P2", "resolution");
    assert_int_equal (s_i (res, "mean_working_ms"), 4 * HOUR);  //  Fri 1 h + Mon 08-12 4 h - 1 h pause

    fr = s_slo (rep, "P3", "first_response");
    assert_true (json_is_null (json_object_get (fr, "objective")));
    assert_true (json_is_null (json_object_get (fr, "error_budget_left")));
    json_t *nr = s_slo (rep, "P3", "next_reply");
    assert_int_equal (s_i (nr, "running"), 1);
    assert_int_equal (s_i (nr, "breached"), 1);
    assert_int_equal (s_i (nr, "met"), 0);
    assert_float_equal (s_d (nr, "attainment"), 0.0, 1e-12);
    assert_true (json_is_null (json_object_get (nr, "mean_working_ms")));
    assert_int_equal (s_i (s_slo (rep, NULL, "first_response"), "tickets"), 0);

    //  By team: the network team has OPD-3 (P1, breached) and OPD-5 (P2,
    //  met): the objectives mix, each clock with its own allowance.
    json_t *byteam = opd_slo_report (r, cfg, day, day + 14 * 86400000LL, "team", err, sizeof err);
    assert_non_null (byteam);
    fr = s_slo (byteam, "network", "first_response");
    assert_int_equal (s_i (fr, "met"), 1);
    assert_int_equal (s_i (fr, "breached"), 1);
    assert_float_equal (s_d (fr, "objective"), 1.0 - (0.05 + 0.1) / 2, 1e-9);
    assert_float_equal (s_d (fr, "error_budget_left"), 1.0 - 1.0 / 0.15, 1e-9);
    json_t *bypolicy = opd_slo_report (r, cfg, day, day + 14 * 86400000LL, "policy", err, sizeof err);
    assert_int_equal (s_i (s_slo (bypolicy, "p1", "first_response"), "tickets"), 4);

    //  Compared with the week before (OPD-8 only: one breach).
    json_t *prev = opd_slo_report (r, cfg, day - 7 * 86400000LL, day, "priority", err, sizeof err);
    assert_non_null (prev);
    json_t *cmp = opd_slo_report_compare (rep, prev);
    assert_string_equal (json_string_value (json_object_get (json_object_get (cmp, "previous"), "to")),
                         "2026-03-02T00:00:00Z");
    fr = s_slo (cmp, "P1", "first_response");
    json_t *change = json_object_get (fr, "change");
    assert_float_equal (s_d (change, "attainment"), 2.0 / 3.0 - 0.0, 1e-9);
    assert_true (json_is_null (json_object_get (change, "mean_working_ms")));  //  none before
    assert_int_equal (s_i (json_object_get (fr, "previous"), "tickets"), 1);
    json_t *cmp2 = opd_slo_report_compare (prev, rep);  //  groups only in the other period appear
    assert_int_equal (json_array_size (json_object_get (cmp2, "groups")), 4);
    fr = s_slo (cmp2, "P2", "first_response");
    assert_int_equal (s_i (fr, "tickets"), 0);
    assert_true (json_is_null (json_object_get (json_object_get (fr, "change"), "mean_working_ms")));
    assert_float_equal (s_d (json_object_get (fr, "previous"), "attainment"), 1.0, 1e-12);
    json_decref (cmp2);

    assert_null (opd_slo_report (r, cfg, day, day + HOUR, "colour", err, sizeof err));
    assert_non_null (strstr (err, "invalid"));
    assert_null (opd_slo_report (r, cfg, day, day, "priority", err, sizeof err));
    json_decref (cmp);
    json_decref (prev);
    json_decref (bypolicy);
    json_decref (byteam);
    json_decref (rep);
    opd_redis_destroy (&r);
    opd_config_destroy (&cfg);
}

//  --- Burn rates over windows ---------------------------------------------------------

static void
s_done (opd_redis_t *r, const char *outcome, int64_t at, int n, const char *tag)
{
    for (int i = 0; i < n; i++)
        s_cmd (r, "ZADD opd:slo:done:p1:first_response:%s %lld OPD-%s%d|0", outcome, (long long) at, tag, i);
}

static const opd_slo_burn_t *
s_burn_of (const opd_slo_burn_t *v, int n, const char *policy, const char *slo)
{
    for (int i = 0; i < n; i++)
        if (!strcmp (v[i].policy, policy) && !strcmp (v[i].slo, slo))
            return &v[i];
    fail_msg ("no burn for %s %s", policy, slo);
    return NULL;
}

static void
test_report_burn_windows (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ();
    opd_redis_t *r = opd_redis_new (cfg);
    int64_t now = opd_now_ms ();
    opd_slo_burn_t *v;

    //  Breaches in the last minutes and nothing else: both alerts.
    s_cmd (r, "FLUSHALL");
    s_done (r, "breached", now - 2 * MIN, 5, "a");
    int n = opd_slo_burn_compute (r, cfg, now, &v);
    assert_int_equal (n, 4);  //  p1 and office, first response and resolution each
    const opd_slo_burn_t *b = s_burn_of (v, n, "p1", "first_response");
    assert_float_equal (b->rate_5m, 20.0, 1e-9);
    assert_float_equal (b->rate_1h, 20.0, 1e-9);
    assert_true (b->fast);
    assert_true (b->slow);
    assert_false (s_burn_of (v, n, "p1", "resolution")->fast);
    free (v);

    //  Breaches 50 minutes ago but none in the last 5 (nor 30): the burn has
    //  stopped, the short windows do not confirm it.
    s_cmd (r, "FLUSHALL");
    s_done (r, "breached", now - 50 * MIN, 5, "b");
    s_done (r, "met", now - 1 * MIN, 3, "c");
    n = opd_slo_burn_compute (r, cfg, now, &v);
    b = s_burn_of (v, n, "p1", "first_response");
    assert_float_equal (b->rate_1h, (5.0 / 8.0) / 0.05, 1e-9);
    assert_float_equal (b->rate_5m, 0.0, 1e-12);
    assert_false (b->fast);
    assert_false (b->slow);
    free (v);

    //  A burst in the last 5 minutes after a long good hour: the long window
    //  does not confirm the fast burn (rate_1h = 5/105/0.05 < 14.4), the
    //  slow one neither (6 h).
    s_cmd (r, "FLUSHALL");
    s_done (r, "met", now - 40 * MIN, 100, "d");
    s_done (r, "breached", now - 1 * MIN, 5, "e");
    n = opd_slo_burn_compute (r, cfg, now, &v);
    b = s_burn_of (v, n, "p1", "first_response");
    assert_float_equal (b->rate_5m, 20.0, 1e-9);
    assert_float_equal (b->rate_1h, (5.0 / 105.0) / 0.05, 1e-9);
    assert_false (b->fast);
    assert_false (b->slow);
    free (v);

    //  The slow burn: 6 h at 8x with the last 30 minutes as bad.
    s_cmd (r, "FLUSHALL");
    s_done (r, "met", now - 3 * HOUR, 60, "f");
    s_done (r, "breached", now - 3 * HOUR, 40, "g");
    s_done (r, "met", now - 10 * MIN, 6, "h");
    s_done (r, "breached", now - 10 * MIN, 4, "i");
    n = opd_slo_burn_compute (r, cfg, now, &v);
    b = s_burn_of (v, n, "p1", "first_response");
    assert_float_equal (b->rate_6h, 8.0, 1e-9);
    assert_float_equal (b->rate_30m, 8.0, 1e-9);
    assert_true (b->slow);
    assert_false (b->fast);  //  8 < 14.4
    //  The budget over 28 days: clocks of 20 days ago count, 30 days ago not.
    s_done (r, "met", now - 20 * 86400000LL, 100, "j");
    s_done (r, "breached", now - 30 * 86400000LL, 100, "k");
    free (v);
    n = opd_slo_burn_compute (r, cfg, now, &v);
    b = s_burn_of (v, n, "p1", "first_response");
    assert_int_equal (b->met, 166);
    assert_int_equal (b->breached, 44);
    assert_float_equal (b->budget_spent, (44.0 / 210.0) / 0.05, 1e-9);
    free (v);
    opd_redis_destroy (&r);
    opd_config_destroy (&cfg);
}

//  --- Histograms, gauges and the metrics text ------------------------------------------

//  Checks the Prometheus text format (0.0.4) line by line: comments are
//  HELP or TYPE of a family before its samples, each family once; sample
//  lines are name{labels} value with known families; histogram buckets rise
//  and end with +Inf equal to _count. Returns the value of one sample.
static double
s_check_text (const char *text, const char *want)
{
    char families[64][96];
    int nfam = 0;
    double found = NAN;
    char *copy = opd_strdup (text);
    double last_bucket = -1;
    for (char *save = NULL, *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        if (line[0] == '#') {
            char kind[8], name[96];
            assert_int_equal (sscanf (line, "# %7s %95s", kind, name), 2);
            assert_true (!strcmp (kind, "HELP") || !strcmp (kind, "TYPE"));
            if (!strcmp (kind, "HELP")) {
                for (int i = 0; i < nfam; i++)
                    if (!strcmp (families[i], name))
                        fail_msg ("family %s twice", name);
                assert_true (nfam < 64);
                snprintf (families[nfam++], 96, "%s", name);
            }
            continue;
        }
        char *sp = strrchr (line, ' ');
        assert_non_null (sp);
        char *end;
        double v = strtod (sp + 1, &end);
        assert_true (*end == 0);
        size_t nlen = strcspn (line, "{ ");
        for (size_t i = 0; i < nlen; i++)
            assert_true (strchr ("abcdefghijklmnopqrstuvwxyz_0123456789", line[i]));
        if (line[nlen] == '{')
            assert_true (sp[-1] == '}');
        //  The sample belongs to the last family (as itself or a histogram part).
        assert_true (nfam > 0);
        const char *fam = families[nfam - 1];
        size_t flen = strlen (fam);
        assert_true (!strncmp (line, fam, flen));
        const char *suffix = line + flen;
        if (!strncmp (suffix, "_bucket{", 8)) {
            if (strstr (line, "le=\"60\""))
                last_bucket = -1;
            assert_true (v >= last_bucket);
            last_bucket = v;
        }
        else if (!strncmp (suffix, "_count{", 7))
            assert_float_equal (v, last_bucket, 0);
        size_t wlen = strlen (want);
        if (!strncmp (line, want, wlen) && line[wlen] == ' ')
            found = v;
    }
    free (copy);
    return found;
}

static void
test_report_metrics_text (void **state)
{
    (void) state;
    opd_config_t *cfg = s_config ();
    opd_redis_t *r = opd_redis_new (cfg);
    s_cmd (r, "FLUSHALL");
    int64_t now = opd_now_ms ();
    //  Two met first responses (3 and 10 working minutes) and a resolution
    //  across a weekend on the office calendar, queued as clock_met does.
    s_cmd (r, "HSET opd:t:{OPD-1} slo_policy p1 received_at %lld", (long long) (now - 3 * MIN));
    s_cmd (r, "HSET opd:t:{OPD-2} slo_policy p1 received_at %lld", (long long) (now - 10 * MIN));
    int64_t fri = s_utc ("2026-03-06T16:00:00Z"), mon = s_utc ("2026-03-09T09:30:00Z");
    s_cmd (r, "HSET opd:t:{OPD-3} slo_policy office received_at %lld", (long long) fri);
    s_cmd (r, "ZADD opd:slo:measure %lld OPD-1|fr|%lld", (long long) now, (long long) now);
    s_cmd (r, "ZADD opd:slo:measure %lld OPD-2|fr|%lld", (long long) now, (long long) now);
    s_cmd (r, "ZADD opd:slo:measure %lld OPD-3|res|%lld", (long long) mon, (long long) mon);
    s_cmd (r, "ZADD opd:slo:measure %lld OPD-gone|fr|%lld", (long long) now, (long long) now);
    assert_int_equal (opd_slo_measure (r, cfg, 100), 4);
    assert_int_equal (opd_slo_measure (r, cfg, 100), 0);  //  taken once
    s_cmd (r, "HSET opd:stats:slo met|p1|first_response 7 breached|p1|first_response 2 met|old|resolution 1");
    s_done (r, "breached", now - MIN, 1, "x");
    s_done (r, "met", now - MIN, 3, "y");
    //  Timers: two running clocks, one timer each (OPD-1's warning still to
    //  come, OPD-2 warned and at risk); one pending ticket with its
    //  resolution clock paused.
    s_cmd (r, "ZADD opd:timers %lld OPD-1|fr|w %lld OPD-2|res|b", (long long) now + MIN, (long long) now + 3 * MIN);
    s_cmd (r, "ZADD opd:slo:risk %lld OPD-2|res", (long long) now + 3 * MIN);
    s_cmd (r, "HSET opd:t:{OPD-4} res_state paused");
    s_cmd (r, "HSET opd:t:{OPD-5} res_state met");
    s_cmd (r, "ZADD opd:idx:status:pending 1 OPD-4 2 OPD-5");
    assert_int_equal (opd_slo_gauges_pass (r), 2);  //  two pending tickets read

    char *text = metrics_slo_text (r, cfg);
    assert_non_null (text);
    assert_float_equal (s_check_text (text, "opdesk_slo_met_total{policy=\"p1\",slo=\"first_response\"}"), 7, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_breached_total{policy=\"p1\",slo=\"first_response\"}"), 2, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_met_total{policy=\"old\",slo=\"resolution\"}"), 1, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_met_total{policy=\"office\",slo=\"resolution\"}"), 0, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_clocks{state=\"running\"}"), 2, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_clocks{state=\"paused\"}"), 1, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_clocks{state=\"at_risk\"}"), 1, 0);
    assert_float_equal (s_check_text (text, "opdesk_slo_budget_spent{policy=\"p1\",slo=\"first_response\"}"), 5.0,
                        1e-9);
    assert_float_equal (
        s_check_text (text, "opdesk_slo_burn_rate{policy=\"p1\",slo=\"first_response\",window=\"5m\"}"), 5.0, 1e-9);
    const char *fr = "opdesk_slo_time_to_first_response_seconds";
    char name[160];
    snprintf (name, sizeof name, "%s_bucket{policy=\"p1\",le=\"300\"}", fr);
    assert_float_equal (s_check_text (text, name), 1, 0);  //  3 min
    snprintf (name, sizeof name, "%s_bucket{policy=\"p1\",le=\"900\"}", fr);
    assert_float_equal (s_check_text (text, name), 2, 0);  //  and 10 min
    snprintf (name, sizeof name, "%s_count{policy=\"p1\"}", fr);
    assert_float_equal (s_check_text (text, name), 2, 0);
    snprintf (name, sizeof name, "%s_sum{policy=\"p1\"}", fr);
    assert_float_equal (s_check_text (text, name), 13 * 60, 1);
    //  Friday 16:00 to Monday 09:30 on the office calendar: 1 h + 1.5 h.
    snprintf (name, sizeof name, "opdesk_slo_time_to_resolution_seconds_sum{policy=\"office\"}");
    assert_float_equal (s_check_text (text, name), 2.5 * 3600, 0.01);
    snprintf (name, sizeof name, "opdesk_slo_time_to_resolution_seconds_bucket{policy=\"office\",le=\"7200\"}");
    assert_float_equal (s_check_text (text, name), 0, 0);
    snprintf (name, sizeof name, "opdesk_slo_time_to_resolution_seconds_bucket{policy=\"office\",le=\"14400\"}");
    assert_float_equal (s_check_text (text, name), 1, 0);

    //  The reference checker, when Debian's prometheus package is installed.
    if (access ("/usr/bin/promtool", X_OK) == 0) {
        FILE *p = popen ("/usr/bin/promtool check metrics > /tmp/opd-test-report-promtool.txt 2>&1", "w");
        assert_non_null (p);
        fputs (text, p);
        int st = pclose (p);
        if (st != 0) {
            char buf[4096] = "";
            FILE *f = fopen ("/tmp/opd-test-report-promtool.txt", "r");
            if (f) {
                size_t k = fread (buf, 1, sizeof buf - 1, f);
                buf[k] = 0;
                fclose (f);
            }
            fail_msg ("promtool check metrics failed:\n%s\n--- text:\n%s", buf, text);
        }
        print_message ("promtool check metrics: passed\n");
    }
    else
        print_message ("promtool not installed: checked by the parser of this test only\n");
    free (text);
    opd_redis_destroy (&r);
    opd_config_destroy (&cfg);
}

//  The windows and thresholds of slo_burn replace the defaults in the burn
//  rates, the alerts and the window labels of the metrics.
static void
test_report_burn_configured (void **state)
{
    (void) state;
    char yaml[2560], err[512];
    snprintf (yaml, sizeof yaml, s_yaml_fmt, s_port);
    strncat (yaml,
             "slo_burn: {window: 48h, fast: {long: 2h, short: 10m, threshold: 25},\n"
             "           slow: {long: 12h, short: 1h, threshold: 3}}\n",
             sizeof yaml - strlen (yaml) - 1);
    opd_config_t *cfg = opd_config_parse (yaml, strlen (yaml), "test", err, sizeof err);
    if (!cfg)
        fail_msg ("configuration: %s", err);
    opd_redis_t *r = opd_redis_new (cfg);
    int64_t now = opd_now_ms ();
    s_cmd (r, "FLUSHALL");
    //  5 breaches 7 minutes ago (outside the default 5-minute window, inside
    //  the configured 10 minutes), 100 met 3 days ago (inside the default
    //  28 days, outside the configured 48 hours).
    s_done (r, "breached", now - 7 * MIN, 5, "a");
    s_done (r, "met", now - 72 * HOUR, 100, "b");
    opd_slo_burn_t *v;
    int n = opd_slo_burn_compute (r, cfg, now, &v);
    const opd_slo_burn_t *b = s_burn_of (v, n, "p1", "first_response");
    assert_float_equal (b->rate_5m, 20.0, 1e-9);   //  over fast.short = 10m
    assert_float_equal (b->rate_1h, 20.0, 1e-9);   //  over fast.long = 2h
    assert_float_equal (b->rate_30m, 20.0, 1e-9);  //  over slow.short = 1h
    assert_float_equal (b->rate_6h, 20.0, 1e-9);   //  over slow.long = 12h
    assert_int_equal (b->met, 0);
    assert_int_equal (b->breached, 5);
    assert_float_equal (b->budget_spent, 20.0, 1e-9);
    assert_false (b->fast);  //  20 < 25: the default 14.4 would alert
    assert_true (b->slow);   //  20 > 3
    free (v);
    //  The same data under the defaults: no breach in the last 5 minutes.
    opd_config_t *defaults = s_config ();
    n = opd_slo_burn_compute (r, defaults, now, &v);
    b = s_burn_of (v, n, "p1", "first_response");
    assert_float_equal (b->rate_5m, 0.0, 1e-12);
    assert_false (b->fast);
    assert_float_equal (b->budget_spent, (5.0 / 105.0) / 0.05, 1e-9);
    free (v);
    opd_config_destroy (&defaults);
    //  The metrics label the configured windows.
    char *text = metrics_slo_text (r, cfg);
    assert_non_null (text);
    s_check_text (text, "-");
    assert_non_null (strstr (text, "window=\"10m\""));
    assert_non_null (strstr (text, "window=\"1h\""));
    assert_non_null (strstr (text, "window=\"2h\""));
    assert_non_null (strstr (text, "window=\"12h\""));
    assert_null (strstr (text, "window=\"5m\""));
    assert_float_equal (
        s_check_text (text, "opdesk_slo_burn_rate{policy=\"p1\",slo=\"first_response\",window=\"10m\"}"), 20.0,
        1e-9);
    free (text);
    opd_redis_destroy (&r);
    opd_config_destroy (&cfg);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_report_attainment_and_budget),
        cmocka_unit_test (test_report_burn_rate),
        cmocka_unit_test (test_report_p90_and_mean),
        cmocka_unit_test (test_report_counts_and_working_times),
        cmocka_unit_test (test_report_burn_windows),
        cmocka_unit_test (test_report_burn_configured),
        cmocka_unit_test (test_report_metrics_text),
    };
    return cmocka_run_group_tests (tests, s_redis_up, s_redis_down);
}
