/*  opd_slo_read: reads some fields of many tickets, for the reports of
    libopdslo (opd_details_report, opd_rating_report): one HMGET per ticket,
    pipelined in batches of 500. */
#ifndef OPD_SLO_READ_H_INCLUDED
#define OPD_SLO_READ_H_INCLUDED
#include "opd_redis.h"
#include <stddef.h>

//  Calls fn with each ticket's HMGET reply of the n fields (in that order)
//  for every ticket id of ids (an array reply). 0, or -1 when Redis failed
//  (the connection is then dropped: replies may be pending).
int opd_slo_read_tickets (opd_redis_t *redis, const redisReply *ids, const char *const *fields, size_t n,
                          void (*fn) (const redisReply *r, void *ctx), void *ctx);
#endif
