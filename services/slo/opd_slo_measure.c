/*  opd_slo_measure: see opd_slo_measure.h. */
#include "opd_schema.h"
#include "opd_slo_measure.h"
#include "opd_slo_policy.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The integer a Redis string holds (0 for none).
static int64_t
s_int (const char *s)
{
    return s && *s ? strtoll (s, NULL, 10) : 0;
}

const int64_t opd_slo_hist_bounds_s[] = {60,    300,   900,    1800,   3600,   7200,  14400,
                                         28800, 57600, 86400,  172800, 432000, 864000};
const size_t opd_slo_hist_nbounds = sizeof opd_slo_hist_bounds_s / sizeof opd_slo_hist_bounds_s[0];

//  The bucket of a working time: the first bound it does not exceed, or
//  opd_slo_hist_nbounds for +Inf. Buckets are kept per bucket (not
//  cumulative) in opd:stats:slo:hist, field "<policy>|<slo>|<bucket>",
//  with "<policy>|<slo>|sum_ms" and "<policy>|<slo>|count".
static size_t
s_bucket (int64_t ms)
{
    size_t b = 0;
    while (b < opd_slo_hist_nbounds && ms > opd_slo_hist_bounds_s[b] * 1000)
        b++;
    return b;
}

int
opd_slo_measure (opd_redis_t *redis, const opd_config_t *cfg, int max)
{
    redisReply *m = opd_redis_command (redis, "ZRANGE " OPD_KEY_SLO_MEASURE " 0 %d", max - 1);
    if (!m)
        return -1;
    size_t n = m->type == REDIS_REPLY_ARRAY ? m->elements : 0;
    if (n == 0) {
        freeReplyObject (m);
        return 0;
    }
    //  Members are "<ID>|<fr|res>|<met_at>".
    for (size_t i = 0; i < n; i++) {
        const char *member = opd_reply_str (m, i);
        opd_member_measure_t mm = {.id = ""};
        if (member)
            opd_member_measure_parse (member, strlen (member), &mm);
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HMGET");
        opd_args_addf (&a, OPD_KEY_TICKET_FMT, mm.id);
        opd_args_add (&a, "slo_policy");
        opd_args_add (&a, "received_at");
        opd_args_add (&a, "res_pauses");
        int rc = opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        if (rc) {
            freeReplyObject (m);
            return -1;
        }
    }
    redisReply **t = opd_calloc (n, sizeof *t);
    int rc = (int) n;
    for (size_t i = 0; i < n; i++)
        if (!(t[i] = opd_redis_get_reply (redis)))
            rc = -1;
    //  Each measurement and its removal from the queue in one MULTI, so that
    //  a crash never counts one twice.
    size_t replies = 0;
    for (size_t i = 0; rc > 0 && i < n; i++) {
        const char *member = opd_reply_str (m, i);
        opd_member_measure_t mm;
        bool valid = member && opd_member_measure_parse (member, strlen (member), &mm) == 0
                     && mm.clock != OPD_CLOCK_NR;
        const char *policy = opd_reply_str (t[i], 0);
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "MULTI");
        opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        replies++;
        if (valid && policy && opd_reply_str (t[i], 1)) {
            int64_t start = s_int (opd_reply_str (t[i], 1));
            const opd_policy_t *p = opd_slo_policy (cfg, policy);
            int64_t ms = opd_slo_working (cfg, p, start, mm.met,
                                          mm.clock == OPD_CLOCK_RES ? opd_reply_str (t[i], 2) : NULL);
            const char *slo = opd_clock_names[mm.clock];
            char field[256];
            const char *suffix[3] = {NULL, "sum_ms", "count"};
            char bucket[24];
            snprintf (bucket, sizeof bucket, "%zu", s_bucket (ms));
            suffix[0] = bucket;
            for (int k = 0; k < 3; k++) {
                snprintf (field, sizeof field, "%s|%s|%s", policy, slo, suffix[k]);
                opd_args_init (&a);
                opd_args_add (&a, "HINCRBY");
                opd_args_add (&a, OPD_KEY_STATS_SLO_HIST);
                opd_args_add (&a, field);
                opd_args_addi (&a, k == 1 ? ms : 1);
                opd_redis_append_argv (redis, &a);
                opd_args_free (&a);
                replies++;
            }
        }
        opd_args_init (&a);
        opd_args_add (&a, "ZREM");
        opd_args_add (&a, OPD_KEY_SLO_MEASURE);
        opd_args_add (&a, member ? member : "");
        opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        opd_args_init (&a);
        opd_args_add (&a, "EXEC");
        opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        replies += 2;
    }
    for (size_t i = 0; i < replies; i++) {
        redisReply *r = opd_redis_get_reply (redis);
        if (!r) {
            rc = -1;
            break;
        }
        freeReplyObject (r);
    }
    for (size_t i = 0; i < n; i++)
        if (t[i])
            freeReplyObject (t[i]);
    free (t);
    freeReplyObject (m);
    if (rc < 0)
        opd_redis_disconnect (redis);
    return rc;
}
