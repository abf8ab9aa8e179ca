/*  opd_slo_read: see opd_slo_read.h. */
#include "opd_slo_read.h"
#include "opd_schema.h"
#include "opd_util.h"

#define READ_BATCH 500

static int
s_send (opd_redis_t *redis, const char *id, const char *const *fields, size_t n)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "HMGET");
    opd_args_addf (&a, OPD_KEY_TICKET_FMT, id ? id : "");
    for (size_t f = 0; f < n; f++)
        opd_args_add (&a, fields[f]);
    int bad = opd_redis_append_argv (redis, &a);
    opd_args_free (&a);
    return bad;
}

int
opd_slo_read_tickets (opd_redis_t *redis, const redisReply *ids, const char *const *fields, size_t n,
                      void (*fn) (const redisReply *r, void *ctx), void *ctx)
{
    for (size_t at = 0; at < ids->elements; at += READ_BATCH) {
        size_t batch = ids->elements - at < READ_BATCH ? ids->elements - at : READ_BATCH;
        for (size_t i = 0; i < batch; i++)
            if (s_send (redis, opd_reply_str (ids, at + i), fields, n)) {
                opd_redis_disconnect (redis);
                return -1;
            }
        for (size_t i = 0; i < batch; i++) {
            redisReply *r = opd_redis_get_reply (redis);
            if (!r) {
                opd_redis_disconnect (redis);
                return -1;
            }
            fn (r, ctx);
            freeReplyObject (r);
        }
    }
    return 0;
}
