/*  opd_slo_gauges: how many SLO clocks are running and paused, counted by
    opdesk-slo a step at a time into opd:stats:slo:gauges, which the metrics
    text (services/web/metrics.c) reads. Part of libopdslo (services/slo/). */
#ifndef OPD_SLO_GAUGES_H_INCLUDED
#define OPD_SLO_GAUGES_H_INCLUDED
#include "opd_redis.h"
#include <stdbool.h>

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
#endif
