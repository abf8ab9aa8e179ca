/*  opd_details_report: see opd_details_report.h. */
#include "opd_details_report.h"
#include "opd_slo_read.h"
#include "opd_schema.h"
#include "opd_slo_report.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long asked, waiting;
    GArray *took;  //  int64_t ms, one per ticket whose details were all given
} per_type_t;

//  One ticket's HMGET reply (request_type, details_asked_at, details_given_at).
static void
s_count (const opd_config_t *cfg, const redisReply *r, per_type_t *per)
{
    const char *rt = opd_reply_str (r, 0), *asked = opd_reply_str (r, 1), *given = opd_reply_str (r, 2);
    if (!rt || !asked)
        return;
    for (size_t i = 0; i < cfg->nreqtypes; i++)
        if (!strcmp (cfg->reqtypes[i].id, rt)) {
            per[i].asked++;
            if (!given)
                per[i].waiting++;
            else {
                int64_t ms = strtoll (given, NULL, 10) - strtoll (asked, NULL, 10);
                ms = ms < 0 ? 0 : ms;
                g_array_append_val (per[i].took, ms);
            }
        }
}

//  opd_slo_read_tickets's callback: ctx is the tally per request type.
typedef struct {
    const opd_config_t *cfg;
    per_type_t *per;
} read_t;

static void
s_one (const redisReply *r, void *ctx)
{
    read_t *rd = ctx;
    s_count (rd->cfg, r, rd->per);
}

static json_t *
s_row (const char *type, per_type_t *p)
{
    int64_t *v = (int64_t *) (void *) p->took->data;
    size_t n = p->took->len;
    json_t *p50 = n ? json_integer (opd_slo_percentile (v, n, 50)) : json_null ();
    json_t *p90 = n ? json_integer (opd_slo_percentile (v, n, 90)) : json_null ();
    return json_pack ("{s:s, s:i, s:i, s:i, s:o, s:o}", "request_type", type, "asked", (json_int_t) p->asked,
                      "given", (json_int_t) n, "waiting", (json_int_t) p->waiting, "p50_ms", p50, "p90_ms", p90);
}

json_t *
opd_details_report (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t to_ms)
{
    redisReply *ids = opd_redis_command (redis, "ZRANGEBYSCORE %s %lld (%lld", OPD_KEY_IDX_ALL,
                                         (long long) from_ms, (long long) to_ms);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        if (ids)
            freeReplyObject (ids);
        return NULL;
    }
    per_type_t *per = opd_calloc (cfg->nreqtypes + 1, sizeof *per);
    for (size_t i = 0; i < cfg->nreqtypes; i++)
        per[i].took = g_array_new (FALSE, FALSE, sizeof (int64_t));
    static const char *const fields[] = {OPD_F_REQUEST_TYPE, OPD_F_DETAILS_ASKED_AT, OPD_F_DETAILS_GIVEN_AT};
    read_t rd = {cfg, per};
    int failed = opd_slo_read_tickets (redis, ids, fields, 3, s_one, &rd);
    freeReplyObject (ids);
    json_t *out = failed ? NULL : json_array ();
    for (size_t i = 0; i < cfg->nreqtypes; i++) {
        if (out && per[i].asked)
            json_array_append_new (out, s_row (cfg->reqtypes[i].id, &per[i]));
        g_array_free (per[i].took, TRUE);
    }
    free (per);
    return out;
}
