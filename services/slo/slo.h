/*  slo: the SLO loop of opdesk-slo.

    Reconciles: takes ticket ids from opd:slo:work (on start, every 200 ms,
    and 2 ms after a ticket.routed, ticket.updated, ticket.commented or
    ticket.reopened event rings the doorbell on the events SUB socket),
    computes each ticket's clocks on its policy's calendar, and writes them
    with arm.lua. Fires: every due member of opd:timers goes through
    fire.lua, which emits slo.warning or slo.breach once. See README.md.

    The clock arithmetic is exposed for the unit tests. */
#ifndef OPD_SLO_SERVICE_H_INCLUDED
#define OPD_SLO_SERVICE_H_INCLUDED
#include "opd_calendar.h"
#include "opd_schema.h"
#include "opd_redis.h"
#include "opd_service.h"
#include <hiredis/hiredis.h>

//  Runs until opd_service_stopping(); returns the exit code.
int slo_run (opd_service_t *svc);

//  What the clocks of one ticket depend on, read from its hash. Strings are
//  borrowed (NULL when absent); times are ms, 0 when absent.
typedef struct {
    const char *id, *version;
    const char *priority, *kind, *category, *team, *channel, *request_type;
    const char *slo_policy;   //  the policy armed last time
    const char *res_pauses;   //  "from-to,from-to"
    int64_t received_at, nr_start, res_pause;
} slo_ticket_t;

//  Fills t from an HGETALL reply (t borrows the reply's strings), through
//  the one reader of the ticket hash, opd_store_ticket_read.
void slo_ticket_parse (slo_ticket_t *t, const redisReply *hash);
//  The same from fewer reads: slo_ticket_append appends HMGET of only the
//  fields above to the pipeline (0, or -1 when Redis could not be reached),
//  slo_ticket_parse_fields reads its reply.
int slo_ticket_append (opd_redis_t *redis, const char *id);
void slo_ticket_parse_fields (slo_ticket_t *t, const redisReply *values);

typedef struct {
    opd_clock_t clock;
    const char *name;   //  opd_clock_ids: "fr", "nr", "res"
    int64_t start;      //  when the clock started
    int64_t due;        //  when the target is used up
    int64_t warn;       //  when warn_at of it is used up; 0 = no warning
    bool paused;        //  the resolution clock while the ticket is pending
} slo_clock_t;

//  The policy that applies to the ticket (NULL when none) and its clocks at
//  time now; returns how many clocks were written to out (at most 3).
size_t slo_clocks (const opd_config_t *cfg, const slo_ticket_t *t, int64_t now,
                   const opd_policy_t **policy, slo_clock_t out[3]);

//  Share of a clock's target used up at now: working time elapsed since the
//  clock's start (less pauses, for resolution) over the target. policy is
//  the ticket's armed policy, found by name; 0 when unknown.
double slo_elapsed_ratio (const opd_config_t *cfg, const slo_ticket_t *t, opd_clock_t clock,
                          int64_t now);
#endif
