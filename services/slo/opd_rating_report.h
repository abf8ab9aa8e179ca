/*  opd_rating_report: the requesters' satisfaction ratings (issue 12) of a
    period, per team and per assignee: part of GET /api/v1/slo/report
    ("satisfaction"). A ticket counts when its rating was last given
    within [from, to) (opd:ratings), with its latest answer, under the
    team and assignee the ticket has when the report is made (decision
    128). Part of libopdslo. */
#ifndef OPD_RATING_REPORT_H_INCLUDED
#define OPD_RATING_REPORT_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdint.h>

//  {"good", "bad", "share_good", "teams": [{"team", "good", "bad",
//  "share_good"}], "assignees": [{"assignee", ...}]}: share_good is
//  good / (good + bad), null when there is no rating; teams and assignees
//  in name order, a ticket without one under null (last). NULL when Redis
//  failed.
json_t *opd_rating_report (opd_redis_t *redis, int64_t from_ms, int64_t to_ms);
#endif
