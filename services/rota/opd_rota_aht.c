/*  rota_aht: see opd_rota_aht.h. */
#include "opd_rota_aht.h"
#include "opd_schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t
rota_aht_beat_ms (int64_t prev_ms, int64_t now_ms, bool counts)
{
    if (!counts || prev_ms <= 0 || now_ms <= prev_ms)
        return 0;
    int64_t gap = now_ms - prev_ms;
    return gap < ROTA_AHT_BEAT_CAP_MS ? gap : ROTA_AHT_BEAT_CAP_MS;
}

int64_t
rota_aht_talk_ms (int64_t answered_ms, int64_t hangup_ms)
{
    if (answered_ms <= 0 || hangup_ms < answered_ms)
        return 0;
    return hangup_ms - answered_ms;
}

long long
rota_aht_day (int64_t ms)
{
    return (long long) (ms >= 0 ? ms / ROTA_AHT_DAY_MS : (ms - ROTA_AHT_DAY_MS + 1) / ROTA_AHT_DAY_MS);
}

void
rota_aht_choose (rota_aht_t *a, int64_t configured_ms, long long min_samples)
{
    a->measured = a->n > 0 && a->n >= min_samples;
    a->used_s = a->measured ? a->sum_ms / 1000.0 / a->n : configured_ms / 1000.0;
}

//  Adds one day's HMGET reply (phone_ms, phone_n, work_ms, work_n).
static void
s_add (const redisReply *d, rota_aht_t *phone, rota_aht_t *work)
{
    if (d->type != REDIS_REPLY_ARRAY || d->elements != 4)
        return;
    long long v[4];
    for (size_t i = 0; i < 4; i++) {
        const char *s = opd_reply_str (d, i);
        v[i] = s ? atoll (s) : 0;
    }
    phone->sum_ms += v[0];
    phone->n += v[1];
    work->sum_ms += v[2];
    work->n += v[3];
}

int
rota_aht_read (opd_redis_t *r, const char *team, int64_t from_ms, int64_t to_ms, rota_aht_t *phone,
               rota_aht_t *work)
{
    memset (phone, 0, sizeof *phone);
    memset (work, 0, sizeof *work);
    long long first = rota_aht_day (from_ms), last = rota_aht_day (to_ms);
    int rc = 0;
    for (long long d = first; d <= last && rc == 0; d++) {
        char day[24], key[256];
        snprintf (day, sizeof day, "%lld", d);
        opd_key_aht (key, sizeof key, team, day);
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HMGET");
        opd_args_add (&a, key);
        opd_args_add (&a, "phone_ms");
        opd_args_add (&a, "phone_n");
        opd_args_add (&a, "work_ms");
        opd_args_add (&a, "work_n");
        rc = opd_redis_append_argv (r, &a);
        opd_args_free (&a);
    }
    for (long long d = first; d <= last; d++) {
        redisReply *rep = rc == 0 ? opd_redis_get_reply (r) : NULL;
        if (!rep) {
            rc = -1;
            break;
        }
        s_add (rep, phone, work);
        freeReplyObject (rep);
    }
    if (rc)
        opd_redis_disconnect (r);
    return rc;
}
