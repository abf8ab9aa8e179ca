/*  opd_slo_gauges: see opd_slo_gauges.h. */
#include "opd_schema.h"
#include "opd_slo_gauges.h"
#include "opd_util.h"
#include <stdio.h>
#include <string.h>

#define READ_BATCH 1000

//  Paused clocks: the pending tickets whose resolution clock is paused.
static long
s_count_paused (opd_redis_t *redis, bool *failed)
{
    redisReply *ids = opd_redis_command (redis, "ZRANGE " OPD_KEY_IDX_STATUS_FMT " 0 -1", "pending");
    if (!ids) {
        *failed = true;
        return 0;
    }
    long paused = 0;
    size_t n = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
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

int
opd_slo_gauges_step (opd_redis_t *redis, opd_slo_gauges_t *g, int count)
{
    if (!g->active) {
        g->active = true;
        g->running = 0;
        snprintf (g->cursor, sizeof g->cursor, "0");
    }
    redisReply *r = opd_redis_command (redis, "ZSCAN " OPD_KEY_TIMERS " %s COUNT %d", g->cursor, count);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        if (r)
            freeReplyObject (r);
        g->active = false;
        return -1;
    }
    const redisReply *items = r->element[1];
    //  Running clocks are those with a breach timer ("ID|clock|b"). ZSCAN
    //  may return a member twice during a rehash: a count off by a few for
    //  one pass, never a drift, since every pass starts from zero.
    for (size_t i = 0; items->type == REDIS_REPLY_ARRAY && i + 1 < items->elements; i += 2) {
        const char *member = opd_reply_str (items, i);
        size_t len = member ? strlen (member) : 0;
        if (len > 2 && member[len - 2] == '|' && member[len - 1] == 'b')
            g->running++;
    }
    snprintf (g->cursor, sizeof g->cursor, "%s", opd_reply_str (r, 0) ? opd_reply_str (r, 0) : "0");
    freeReplyObject (r);
    if (strcmp (g->cursor, "0"))
        return 0;
    g->active = false;
    bool failed = false;
    long paused = s_count_paused (redis, &failed);
    if (failed)
        return -1;
    r = opd_redis_command (redis, "HSET " OPD_KEY_STATS_SLO_GAUGES " running %ld paused %ld at %lld", g->running,
                           paused, (long long) opd_now_ms ());
    if (!r)
        return -1;
    freeReplyObject (r);
    return 1;
}
