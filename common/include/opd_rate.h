/*  opd_rate: fixed-window rate counters in Redis, shared by every process
    that limits how often something may happen (opdesk-web's sign-in and
    API limits, the mail channel's per-sender limit). The window starts with the first hit: SET NX PX, INCR and
    PTTL go in one pipelined round trip. */
#ifndef OPD_RATE_H_INCLUDED
#define OPD_RATE_H_INCLUDED
#include "opd_redis.h"
#include <stdint.h>

//  Counts one hit on key (window_ms long windows). Returns the hits in the
//  current window including this one and sets *retry_ms to what is left of
//  the window; -1 when Redis cannot be reached.
long long opd_rate_hit (opd_redis_t *redis, const char *key, int64_t window_ms, int64_t *retry_ms);
//  The hits in the current window without counting one; -1 on failure.
long long opd_rate_peek (opd_redis_t *redis, const char *key, int64_t *retry_ms);
#endif
