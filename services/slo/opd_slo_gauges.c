/*  opd_slo_gauges: see opd_slo_gauges.h. */
#include "opd_schema.h"
#include "opd_slo_gauges.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BATCH 1000

//  Paused clocks: the pending tickets whose resolution clock is paused.
static long
s_count_paused (opd_redis_t *redis, long *pending, bool *failed)
{
    redisReply *ids = opd_redis_command (redis, "ZRANGE " OPD_KEY_IDX_STATUS_FMT " 0 -1", "pending");
    if (!ids) {
        *failed = true;
        return 0;
    }
    long paused = 0;
    size_t n = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
    *pending = (long) n;
    for (size_t at = 0; at < n && !*failed; at += READ_BATCH) {
        size_t k = n - at < READ_BATCH ? n - at : READ_BATCH, sent = 0;
        for (size_t i = 0; i < k; i++) {
            opd_args_t a;
            opd_args_init (&a);
            opd_args_add (&a, "HGET");
            opd_args_addf (&a, OPD_KEY_TICKET_FMT, opd_reply_str (ids, at + i) ? opd_reply_str (ids, at + i) : "");
            opd_args_add (&a, "res_state");
            if (opd_redis_append_argv (redis, &a) == 0)
                sent++;
            opd_args_free (&a);
        }
        for (size_t i = 0; i < sent; i++) {
            redisReply *r = opd_redis_get_reply (redis);
            if (!r) {
                *failed = true;
                break;
            }
            if (r->type == REDIS_REPLY_STRING && !strcmp (r->str, "paused"))
                paused++;
            freeReplyObject (r);
        }
    }
    freeReplyObject (ids);
    return paused;
}

long
opd_slo_gauges_pass (opd_redis_t *redis)
{
    redisReply *r = opd_redis_command (redis, "ZCARD " OPD_KEY_TIMERS);
    if (!r)
        return -1;
    long running = r->type == REDIS_REPLY_INTEGER ? (long) r->integer : 0;
    freeReplyObject (r);
    bool failed = false;
    long pending = 0;
    long paused = s_count_paused (redis, &pending, &failed);
    if (failed)
        return -1;
    r = opd_redis_command (redis, "HSET " OPD_KEY_STATS_SLO_GAUGES " running %ld paused %ld at %lld", running,
                           paused, (long long) opd_now_ms ());
    if (!r)
        return -1;
    freeReplyObject (r);
    return pending;
}
