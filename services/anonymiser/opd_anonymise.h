/*  opd_anonymise: one pass of the retention policy (CONTRACT.md section 6,
    retention). Closed tickets older than their retention (retention.closed_days,
    or the most specific retention.per_category rule for the ticket's category
    or any category above it) have their personal data replaced by
    anonymise.lua. Shared by opdesk-anonymiser (every hour, at start and on
    SIGHUP) and `opdesk anonymise` (one pass now), as libopdanon
    (services/anonymiser/). */
#ifndef OPD_ANONYMISE_H_INCLUDED
#define OPD_ANONYMISE_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

//  The rule that decides a ticket's retention, written into rule (size bytes):
//  "per_request_type:<id>" when retention.per_request_type names the
//  ticket's request type, else "per_category:<category>" for the most
//  specific per_category rule of its category or one above, else
//  "closed_days". Returns the days.
int opd_anonymise_rule (const opd_config_t *cfg, const char *category, const char *request_type, char *rule,
                        size_t size);

//  The ticket's custom fields (JSON object text) with every value of a field
//  marked pii in its request type replaced by "[removed]", as a new string
//  the caller frees; NULL when nothing needs replacing.
char *opd_anonymise_fields (const opd_config_t *cfg, const char *request_type,
                            const char *fields_json);

//  The closing time up to which a pass at now (ms) looks: now less the
//  shortest retention of any rule (now itself when a rule says 0 days).
int64_t opd_anonymise_cutoff (const opd_config_t *cfg, int64_t now);

//  1 when a ticket closed after since and at or before until (both ms, as
//  from opd_anonymise_cutoff) waits in opd:closed, 0 when none, -1 when Redis
//  failed. The service asks this every second with since = the cutoff of its
//  last pass, so a ticket whose retention is 0 days is anonymised within a
//  second or so of closing, not at the next scheduled pass.
int opd_anonymise_due_since (opd_redis_t *redis, int64_t since, int64_t until);

//  With retention.background, puts the calling process's CPU time behind
//  everything else's (Linux SCHED_IDLE: it runs when a core would otherwise
//  be idle, and is never starved outright), so that a run does not slow
//  intake and the other services on the same cores (docs/decisions.md
//  165). Logged; a system that refuses it only loses that (warned).
void opd_anonymise_background (const opd_config_t *cfg);

//  One pass at now (ms). Appends {"ticket_id", "rule"} to out (an array, may
//  be NULL) for every ticket anonymised, or with dry_run for every ticket that
//  would be (nothing is changed then). A ticket on legal hold is skipped.
//  A real pass is a run: it gets a number (opd:anon:seq), anonymises each
//  due ticket (anonymise.lua), sweeps the global keys for them and for any
//  ticket an earlier run left pending (opd_anon_sweep.h), and stores its
//  receipt in opd:anon:run:N, logged by counts only. A real pass with work
//  plants a canary first and checks it after the sweep (opd_anon_canary.h).
//  Returns the number of tickets, or -1 when Redis failed (the tickets done
//  so far stay done and are in out; their sweep is finished by the next
//  run), or OPD_CANARY_FAILED when the sweep left a copy of the canary.
int opd_anonymise_pass (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, bool dry_run,
                        json_t *out);

//  Anonymises one closed ticket now, whatever its retention (a data
//  subject's request for erasure), as a run of its own with the rule
//  "request", and sweeps for it. Returns 1 done (appended to out), 2 no such
//  ticket, 3 not closed, 4 on legal hold, 5 done already (swept again), -1
//  when Redis failed.
int opd_anonymise_ticket (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, const char *id, json_t *out);
#endif
