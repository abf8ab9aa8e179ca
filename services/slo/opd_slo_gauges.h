/*  opd_slo_gauges: how many SLO clocks are running and paused, counted by
    opdesk-slo a step at a time into opd:stats:slo:gauges, which the metrics
    text (services/web/metrics.c) reads. Part of libopdslo (services/slo/). */
#ifndef OPD_SLO_GAUGES_H_INCLUDED
#define OPD_SLO_GAUGES_H_INCLUDED
#include "opd_redis.h"
#include <stdbool.h>

//  One pass: the running clocks (ZCARD opd:timers, which holds one timer a
//  running clock: decision 168),
//  the paused ones from the resolution state of the pending tickets; both
//  written to opd:stats:slo:gauges. Returns how many pending tickets were
//  read, or -1 when Redis failed.
long opd_slo_gauges_pass (opd_redis_t *redis);
#endif
