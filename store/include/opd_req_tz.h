/*  opd_req_tz: the time zone in which a requester reads times, the one
    choice shared by the portal (opdesk-web) and every mail to a requester
    (opdesk-notifier), so that both print the same wall time.

    The zone is the one the requester chose on the portal's /settings
    (opd:req:EMAIL:tz, proto/keys.md), else the zone of the calendar of the
    ticket's SLO policy, else UTC. Times are printed as
    "Tuesday 24 November 2026 10:00 (Europe/London)" (opd_template_when). */
#ifndef OPD_REQ_TZ_H_INCLUDED
#define OPD_REQ_TZ_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stdint.h>

//  Whether zone is an IANA time zone name this machine knows ("UTC",
//  "America/Chicago"): NULL when it is, else one sentence for people
//  saying why not (static). Offsets, paths and POSIX TZ strings are refused.
const char *opd_req_tz_check (const char *zone);

//  The zone the requester of address email chose: 0 and *zone (the
//  caller frees it; NULL when none, or when the stored one is no longer
//  valid), or -1 when Redis failed (*zone NULL).
int opd_req_tz_get (opd_redis_t *redis, const char *email, char **zone);

//  Stores the requester's choice (checked by opd_req_tz_check first: -1
//  when it does not pass); zone NULL or "" forgets it. 0, or -1 when Redis
//  failed.
int opd_req_tz_set (opd_redis_t *redis, const char *email, const char *zone);

//  The zone to print a requester's times in: chosen when valid, else the
//  calendar of the SLO policy named policy, else "UTC". Borrowed (from
//  chosen or cfg, or static).
const char *opd_req_tz_pick (const opd_config_t *cfg, const char *chosen, const char *policy);

//  ms (Unix milliseconds) as "Tuesday 24 November 2026 10:00
//  (Europe/London)" in zone. buf needs 80 bytes.
void opd_req_tz_when (int64_t ms, const char *zone, char *buf, size_t size);
#endif
