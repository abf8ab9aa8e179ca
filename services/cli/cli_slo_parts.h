/*  cli_slo_parts: the parts of `opdesk slo report` beyond the SLO table, the
    same as GET /api/v1/slo/report returns them: "details" (how long
    requesters take to give missing details, per request type:
    opd_details_report) and "satisfaction" (the requesters' ratings, per
    team and assignee: opd_rating_report), both for the report's period. */
#ifndef CLI_SLO_PARTS_H_INCLUDED
#define CLI_SLO_PARTS_H_INCLUDED
#include "cli.h"
#include <jansson.h>
#include <stdint.h>

//  Adds "details" and "satisfaction" of [from_ms, to_ms) to report. 0, or
//  -1 when Redis failed (opd_redis_error says why; report unchanged).
int cli_slo_parts_add (cli_t *c, json_t *report, int64_t from_ms, int64_t to_ms);

//  Prints both parts of report for people, after the SLO table.
void cli_slo_parts_print (const opd_config_t *cfg, const json_t *report);
#endif
