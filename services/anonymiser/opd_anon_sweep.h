/*  opd_anon_sweep: the second half of anonymising a ticket. anonymise.lua
    clears the ticket, its comments, history and requester index in one
    atomic step and puts the ticket in opd:anon:pending; this sweep then
    removes what refers to it from the global keys that the schema marks
    with `sweep` (proto/schema.yaml): idempotency and threading keys, phone
    calls and numbers, the personal events of the durable history, the
    notifier's queues. It reads every key with SCAN (batches of 1000, never
    KEYS) and the lists, sets and the stream in batches too, and takes a
    ticket out of opd:anon:pending only once all of that is done, so a sweep
    killed halfway is finished by the next one. Part of libopdanon. */
#ifndef OPD_ANON_SWEEP_H_INCLUDED
#define OPD_ANON_SWEEP_H_INCLUDED
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
//  caller zeroes), waiting pause_ms after each SCAN batch (0: none).
//  Returns 0, or -1 when Redis failed (the tickets not done stay pending).
int opd_anon_sweep (opd_redis_t *redis, int pause_ms, opd_anon_sweep_counts_t *counts);
#endif
