/*  opd_anon_sweep: the second half of anonymising a ticket. anonymise.lua
    clears the ticket, its comments, history and requester index, and
    deletes the global keys that name it through its own record (sweep
    "ticket" in proto/schema.yaml: idempotency and threading keys, phone
    calls and numbers), in one atomic step, and puts the ticket in
    opd:anon:pending; this sweep then removes what refers to it from the
    fixed global keys that the schema marks with `sweep`: the personal
    events of the durable history and the notifier's queues, in batches of
    1000, and takes a ticket out of opd:anon:pending only once all of that
    is done, so a sweep killed halfway is finished by the next one. It
    never scans the keyspace. Part of libopdanon. */
#ifndef OPD_ANON_SWEEP_H_INCLUDED
#define OPD_ANON_SWEEP_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <stddef.h>

#define OPD_ANON_SWEEP_MAX_KEYS 96

//  What a sweep removed: per key of the schema (index as in opd_keys), the
//  keys deleted or the members / entries removed; tickets: how many tickets
//  left opd:anon:pending.
typedef struct {
    long long removed[OPD_ANON_SWEEP_MAX_KEYS];
    long long tickets;
} opd_anon_sweep_counts_t;

//  Sweeps for every ticket in opd:anon:pending, adding to counts (which the
//  caller zeroes), waiting pause_ms after each batch of the event stream
//  (0: none).
//  Returns 0, or -1 when Redis failed (the tickets not done stay pending).
int opd_anon_sweep (opd_redis_t *redis, int pause_ms, opd_anon_sweep_counts_t *counts);

//  Once per desk (until opd:anon:linked is set): the links of tickets
//  threaded before tickets recorded them (link.lua over every opd:idem:*
//  key, in SCAN batches of 1000), so that anonymise.lua finds every
//  message's keys from its ticket. Returns the links recorded, or -1.
long long opd_anon_links_once (opd_redis_t *redis, const opd_config_t *cfg, int64_t now);
#endif
