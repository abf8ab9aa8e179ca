/*  opd_anon_canary: the canary ticket of an anonymiser run (issue 13,
    decision 160).

    Before a real pass that has something to do, a canary ticket is planted
    with a random marker (13 digits) in every personal place the run is
    responsible for: the ticket's personal fields, a requester comment, a
    history entry, the requester index and time zone, and one key or member
    of each global store the sweep covers by name (opd:idem:*, opd:ext:*,
    opd:call:*, opd:phone:*, opd:outbox:retry). It closed at 1 ms, so any
    retention has passed, and the walk anonymises it through anonymise.lua
    and the sweep like every other ticket. After the sweep the marker is
    looked for in every store (SCAN MATCH, never KEYS); a copy left makes the
    run fail: an error log line per store (its schema name, never the
    marker), `canary failed` and `canary_stores` in the receipt, and
    OPD_CANARY_FAILED from the pass. Then every trace of the canary goes.
    Readers never see it: it is in no index they read (opd:idx:*, queues),
    its outbox entry is due in the year 9999, its hash has `canary` and
    anonymise.lua publishes no event for it; the receipt's counts leave it
    out. Part of libopdanon. */
#ifndef OPD_ANON_CANARY_H_INCLUDED
#define OPD_ANON_CANARY_H_INCLUDED
#include "opd_anon_sweep.h"
#include "opd_config.h"
#include "opd_redis.h"
#include <stdbool.h>
#include <stdint.h>

//  What opd_anonymise_pass returns when the run failed its canary.
#define OPD_CANARY_FAILED (-2)
#define OPD_CANARY_PREFIX "CANARY-"

typedef struct {
    bool planted;
    int result;          //  0 not looked for, 1 passed, 2 failed
    char id[32];         //  CANARY- and 16 hex digits
    char marker[16];     //  13 random digits, in every personal value
    char stores[512];    //  the stores a copy was left in, comma-separated
    char job[256];       //  its outbox retry entry
} opd_canary_t;

//  Plants the canary when the pass has work (a due ticket among the first
//  200 of opd:closed up to the cutoff, or more candidates than that, or a
//  ticket pending its sweep). 0 (planted or not needed), -1 when Redis
//  failed.
int opd_canary_plant (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, opd_canary_t *canary);

//  Whether id is a canary (of this run or of a run killed halfway): the
//  walk neither counts nor lists it.
bool opd_canary_is (const char *id);

//  After the sweep (rc its result): looks for the marker when rc is 0,
//  takes the canary's share out of the sweep's counts, removes every trace
//  of it. Returns rc, or OPD_CANARY_FAILED when a copy was left.
int opd_canary_finish (opd_redis_t *redis, opd_canary_t *canary, int rc, const char *run,
                       opd_anon_sweep_counts_t *swept);

//  The receipt's fields: canary passed|failed|not_checked, canary_stores.
void opd_canary_receipt (const opd_canary_t *canary, opd_args_t *a);
#endif
