/*  metrics: the opdesk_slo_* metrics of GET /metrics, which only opdesk-web
    serves. The figures come from libopdslo (services/slo/: burn rates,
    histogram bounds) and from what opdesk-slo counts in Redis
    (opd:stats:slo, opd:stats:slo:hist, opd:stats:slo:gauges, opd:slo:risk).

    Ownership: the returned text is the caller's to free. */
#ifndef OPD_WEB_METRICS_H_INCLUDED
#define OPD_WEB_METRICS_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"

//  The opdesk_slo_* metrics in the Prometheus text format (version 0.0.4):
//  counters opdesk_slo_met_total and opdesk_slo_breached_total {policy,
//  slo}; gauges opdesk_slo_clocks {state = running, paused, at_risk},
//  opdesk_slo_budget_spent {policy, slo}, opdesk_slo_burn_rate {policy,
//  slo, window = 5m, 30m, 1h, 6h}; histograms
//  opdesk_slo_time_to_first_response_seconds and
//  opdesk_slo_time_to_resolution_seconds {policy}. NULL when Redis failed.
char *metrics_slo_text (opd_redis_t *redis, const opd_config_t *cfg);
//  Appends a label value as the text format wants it: \, " and newline escaped.
struct _GString;
void metrics_label (struct _GString *s, const char *v);  //  a GString
#endif
