/*  opd_slo_report: the SLO report of a period (CONTRACT.md section 8,
    `GET /api/v1/slo/report`, `opdesk slo report`), the comparison of two
    periods, and its arithmetic. Part of libopdslo (services/slo/), which
    opdesk-slo, opdesk-web and the command-line tool link; error budgets
    and burn rates are opd_slo_burn.h, the histograms opd_slo_measure.h, the
    clock gauges opd_slo_gauges.h, and the Prometheus text of all of them
    services/web/metrics.h.

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

    Ownership: every json_t * returned is a new reference. */
#ifndef OPD_SLO_REPORT_H_INCLUDED
#define OPD_SLO_REPORT_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
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

//  The reports of n consecutive periods [from + i * step, from + (i + 1) *
//  step), for each grouping of group_bys, from one read of the tickets
//  (each ticket of the whole span read once, whatever ngb): {"GROUP_BY":
//  [report of period 0, ...], ...}, each report exactly what
//  opd_slo_report answers for its period. NULL on failure as
//  opd_slo_report. The team lead dashboard's attainment over time.
json_t *opd_slo_report_series (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t step_ms,
                               size_t n, const char *const *group_bys, size_t ngb, char *err, size_t errlen);

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
//  The 90th percentile by nearest rank (the smallest value with at least 90%
//  of the values at or below it); sorts v. 0 when n is 0.
int64_t opd_slo_p90 (int64_t *v, size_t n);
//  The same for any percentile pct (1 to 100); sorts v. 0 when n is 0.
int64_t opd_slo_percentile (int64_t *v, size_t n, int pct);
//  The mean, rounded to the ms. 0 when n is 0.
int64_t opd_slo_mean (const int64_t *v, size_t n);
#endif
