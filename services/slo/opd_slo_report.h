/*  opd_slo_report: measuring SLOs (libopdslo, services/slo/). The SLO report of a period (CONTRACT.md
    section 8, `GET /api/v1/slo/report`, `opdesk slo report`), the comparison
    of two periods, error budgets and multi-window burn rates (the SRE
    Workbook's alerting on SLOs), and the opdesk_slo_* Prometheus metrics.

    Definitions (the same everywhere):
    - A clock is finished when it is met or breached. "met" counts clocks met
      within their target, "breached" clocks that breached (met later or
      not: CONTRACT.md section 5 keeps such a clock `breached`).
    - attainment = met / (met + breached); null when nothing finished.
    - A policy's error budget is the share 1 - objective of its finished
      clocks that may breach. budget spent = (breached / finished) /
      (1 - objective); error budget left = 1 - budget spent (negative when
      overspent); null without an objective. A report group whose tickets
      ran under several policies adds up each finished clock's allowance
      1 - objective of its own policy, so the formula is the same.
    - burn rate over a window = (breached / finished, among clocks finished
      in the window) / (1 - objective): 1 spends the budget exactly over the
      rolling window, 14.4 spends 2% of a 30-day budget in one hour.

    Ownership: every json_t * returned is a new reference; every char * is
    the caller's to free. */
#ifndef OPD_SLO_REPORT_H_INCLUDED
#define OPD_SLO_REPORT_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  --- The report -----------------------------------------------------------

//  The SLO report of the tickets received in [from_ms, to_ms) (by
//  created_at, the score of opd:idx:all: see the .c file), grouped by
//  group_by ("priority", "team" or "policy"):
//  {"from", "to", "group_by", "groups": [{"key", "slo": {"first_response":
//  {"tickets", "met", "breached", "running", "paused", "attainment",
//  "objective", "error_budget_left", "mean_working_ms", "p90_working_ms"},
//  "next_reply": {...}, "resolution": {...}}}]}.
//  NULL on failure, with err saying why (a bad group_by or period starts
//  with "invalid:", Redis trouble with "unavailable:").
json_t *opd_slo_report (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t to_ms,
                        const char *group_by, char *err, size_t errlen);

//  The current report with, per group and SLO, "previous" (tickets,
//  attainment, mean_working_ms, p90_working_ms of the previous period) and
//  "change" (current minus previous of attainment, mean_working_ms and
//  p90_working_ms; null where either side is null), and at the top
//  "previous": {"from", "to"}. Groups only in the previous period are
//  added with empty current figures. Neither argument is taken.
json_t *opd_slo_report_compare (const json_t *current, const json_t *previous);

//  The arithmetic, exposed for tests. NAN stands for null.
double opd_slo_attainment (long met, long breached);
//  allowed = sum over finished clocks of (1 - objective of their policy).
double opd_slo_budget_left (long breached, double allowed);
double opd_slo_burn_rate (long met, long breached, double objective);
//  The 90th percentile by nearest rank (the smallest value with at least 90%
//  of the values at or below it); sorts v. 0 when n is 0.
int64_t opd_slo_p90 (int64_t *v, size_t n);
//  The mean, rounded to the ms. 0 when n is 0.
int64_t opd_slo_mean (const int64_t *v, size_t n);

//  --- Error budgets and burn rates ----------------------------------------

//  The windows and thresholds in force: the configuration's slo_burn, or
//  the OPD_BURN_* defaults (opd_config.h) for a configuration that has none
//  (made by hand).
void opd_slo_burn_settings (const opd_config_t *cfg, int64_t *window_ms, opd_burn_alert_t *fast,
                            opd_burn_alert_t *slow);

//  The rate fields are named after the default windows; each is the rate
//  over the window configured in its place: rate_5m over slo_burn.fast.short,
//  rate_30m over slo_burn.slow.short, rate_1h over slo_burn.fast.long,
//  rate_6h over slo_burn.slow.long.
typedef struct {
    const char *policy;     //  borrowed from the configuration
    const char *slo;        //  "first_response", "next_reply", "resolution"
    double objective;
    long met, breached;     //  finished in the rolling window
    double budget_spent;    //  burn rate over the rolling window (slo_burn.window)
    double rate_5m, rate_30m, rate_1h, rate_6h;
    bool fast, slow;        //  the alert conditions hold now, with the configured thresholds
} opd_slo_burn_t;

//  The burn of every SLO of every policy with an objective, at now, from
//  the windows opd:slo:done:*. Returns the number written to *out (the
//  caller frees the array), or -1 when Redis failed.
int opd_slo_burn_compute (opd_redis_t *redis, const opd_config_t *cfg, int64_t now,
                          opd_slo_burn_t **out);

//  Whether an alert holds for the given windows' rates.
bool opd_slo_burn_alert (double rate_long, double rate_short, double threshold);

//  --- Metrics ---------------------------------------------------------------

//  The histogram buckets of time to first response and to resolution, in
//  seconds of working time (the last bucket, +Inf, is implied).
extern const int64_t opd_slo_hist_bounds_s[];
extern const size_t opd_slo_hist_nbounds;

//  Turns up to max met clocks of opd:slo:measure (fed by prelude.lua
//  clock_met) into the histograms of opd:stats:slo:hist, computing their
//  working time on their policy's calendar. Returns how many were taken
//  (0 when none waited), or -1 when Redis failed. opdesk-slo calls it.
int opd_slo_measure (opd_redis_t *redis, const opd_config_t *cfg, int max);

//  Counting running and paused clocks without blocking Redis: a pass scans
//  opd:timers with ZSCAN, a step at a time, then reads the resolution state
//  of the pending tickets, and writes the counts to opd:stats:slo:gauges.
typedef struct {
    bool active;
    char cursor[32];
    long running;
} opd_slo_gauges_t;

//  One step of a pass (starting one when none is active). Returns 1 when
//  the pass finished and the counts were written, 0 when more steps are
//  needed, -1 when Redis failed (the pass starts again).
int opd_slo_gauges_step (opd_redis_t *redis, opd_slo_gauges_t *g, int count);

//  The opdesk_slo_* metrics in the Prometheus text format (version 0.0.4):
//  counters opdesk_slo_met_total and opdesk_slo_breached_total {policy,
//  slo}; gauges opdesk_slo_clocks {state = running, paused, at_risk},
//  opdesk_slo_budget_spent {policy, slo}, opdesk_slo_burn_rate {policy,
//  slo, window = 5m, 30m, 1h, 6h}; histograms
//  opdesk_slo_time_to_first_response_seconds and
//  opdesk_slo_time_to_resolution_seconds {policy}. NULL when Redis failed.
char *opd_slo_metrics_text (opd_redis_t *redis, const opd_config_t *cfg);
#endif
