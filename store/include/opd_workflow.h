/*  opd_workflow: the workflow's own moves, made by opdesk rather than by a
    person. Resolved tickets close by themselves after workflow.auto_close_days
    (default 7): opdesk-anonymiser runs this pass before each anonymisation
    pass, so a ticket closed now starts its retention now.

    The close goes through update.lua like every other change (actor
    "opdesk", note "closed automatically after N days", expected version the
    one read), so a requester reopening the ticket at the same moment wins. */
#ifndef OPD_WORKFLOW_H_INCLUDED
#define OPD_WORKFLOW_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdint.h>

//  Closes every ticket resolved for at least cfg->auto_close_days at now
//  (ms). opd:resolved (score resolved_at) says which to look at; the ticket's
//  own status and resolved_at decide. Appends each closed ticket's id to out
//  (an array, may be NULL). Returns how many closed, or -1 when Redis failed
//  (those closed so far stay closed).
int opd_autoclose_pass (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, json_t *out);
#endif
