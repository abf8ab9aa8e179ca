/*  opd_slo_burn: error budgets and multi-window burn rates (the SRE
    Workbook's alerting on SLOs, chapter 5, "multiwindow, multi-burn-rate
    alerts"), read from the finished clocks of opd:slo:done:*. opdesk-slo
    raises the alerts; the metrics text (services/web/metrics.c) shows the
    rates. The default windows and thresholds are those of the configuration
    key slo_burn (OPD_BURN_* in opd_config.h). Part of libopdslo
    (services/slo/); the definitions are in opd_slo_report.h.

    Ownership: opd_slo_burn_compute's array is the caller's to free; the
    strings in it are borrowed from the configuration. */
#ifndef OPD_SLO_BURN_H_INCLUDED
#define OPD_SLO_BURN_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stdbool.h>
#include <stdint.h>

//  The burn rate of met and breached clocks against objective: (breached /
//  finished) / (1 - objective); 0 when nothing finished or without an
//  objective.
double opd_slo_burn_rate (long met, long breached, double objective);

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
#endif
