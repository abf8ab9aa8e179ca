/*  opd_slo_measure: the histograms of time to first response and to
    resolution. opdesk-slo turns the met clocks that prelude.lua's clock_met
    queues in opd:slo:measure into per-bucket counts in opd:stats:slo:hist;
    the metrics text (services/web/metrics.c) reads them with these bounds.
    Part of libopdslo (services/slo/). */
#ifndef OPD_SLO_MEASURE_H_INCLUDED
#define OPD_SLO_MEASURE_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stddef.h>
#include <stdint.h>

//  The histogram buckets of time to first response and to resolution, in
//  seconds of working time (the last bucket, +Inf, is implied).
extern const int64_t opd_slo_hist_bounds_s[];
extern const size_t opd_slo_hist_nbounds;

//  Turns up to max met clocks of opd:slo:measure (fed by prelude.lua
//  clock_met) into the histograms of opd:stats:slo:hist, computing their
//  working time on their policy's calendar. Returns how many were taken
//  (0 when none waited), or -1 when Redis failed. opdesk-slo calls it.
int opd_slo_measure (opd_redis_t *redis, const opd_config_t *cfg, int max);
#endif
