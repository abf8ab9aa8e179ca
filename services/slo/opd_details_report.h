/*  opd_details_report: how long requesters take to give the details their
    requests lacked (issue 12), per request type, for the tickets received
    in a period: part of GET /api/v1/slo/report ("details"). A ticket
    counts when it was stored lacking details (details_asked_at); the time
    is wall-clock time from then to the last detail given
    (details_given_at), percentiles by nearest rank. Part of libopdslo. */
#ifndef OPD_DETAILS_REPORT_H_INCLUDED
#define OPD_DETAILS_REPORT_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdint.h>

//  [{"request_type", "asked", "given", "waiting", "p50_ms", "p90_ms"}] in
//  the order of the configuration's request types (those with a ticket
//  asked); p50_ms and p90_ms are null when none was given. NULL when Redis
//  failed.
json_t *opd_details_report (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t to_ms);
#endif
