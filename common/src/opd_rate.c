/*  opd_rate: see opd_rate.h. */
#include "opd_rate.h"
#include <stdlib.h>

//  Sends the pipeline in a, then reads n replies; the last two are the
//  count and the time left. Returns the count, or -1.
static long long
s_pipeline (opd_redis_t *redis, opd_args_t *cmds, int n, int64_t *retry_ms)
{
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = opd_redis_append_argv (redis, &cmds[i]);
    if (rc)
        return -1;
    long long count = -1;
    *retry_ms = 0;
    for (int i = 0; i < n; i++) {
        redisReply *r = opd_redis_get_reply (redis);
        if (!r) {
            opd_redis_disconnect (redis);  //  the rest of the pipeline is lost
            return -1;
        }
        if (i == n - 2)
            count = r->type == REDIS_REPLY_INTEGER ? r->integer
                    : r->type == REDIS_REPLY_STRING ? atoll (r->str)
                    : r->type == REDIS_REPLY_NIL    ? 0
                                                    : -1;
        else if (i == n - 1 && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
            *retry_ms = r->integer;
        freeReplyObject (r);
    }
    return count;
}

long long
opd_rate_hit (opd_redis_t *redis, const char *key, int64_t window_ms, int64_t *retry_ms)
{
    opd_args_t a[3];
    for (int i = 0; i < 3; i++)
        opd_args_init (&a[i]);
    opd_args_add (&a[0], "SET");
    opd_args_add (&a[0], key);
    opd_args_add (&a[0], "0");
    opd_args_add (&a[0], "PX");
    opd_args_addi (&a[0], (long long) window_ms);
    opd_args_add (&a[0], "NX");
    opd_args_add (&a[1], "INCR");
    opd_args_add (&a[1], key);
    opd_args_add (&a[2], "PTTL");
    opd_args_add (&a[2], key);
    long long n = s_pipeline (redis, a, 3, retry_ms);
    for (int i = 0; i < 3; i++)
        opd_args_free (&a[i]);
    return n;
}

long long
opd_rate_peek (opd_redis_t *redis, const char *key, int64_t *retry_ms)
{
    opd_args_t a[2];
    for (int i = 0; i < 2; i++)
        opd_args_init (&a[i]);
    opd_args_add (&a[0], "GET");
    opd_args_add (&a[0], key);
    opd_args_add (&a[1], "PTTL");
    opd_args_add (&a[1], key);
    long long n = s_pipeline (redis, a, 2, retry_ms);
    for (int i = 0; i < 2; i++)
        opd_args_free (&a[i]);
    return n;
}
