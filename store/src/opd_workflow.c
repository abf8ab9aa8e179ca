/*  opd_workflow: see opd_workflow.h.

    opd:resolved is kept by queue_refresh (prelude.lua) atomically with every
    status change. The pass reads it oldest first up to the cut-off, checks
    each ticket's hash (the truth: a ticket reopened since, or whose
    resolved_at moved, is put right in the set and left alone), and closes the
    rest through update.lua. */
#include "opd_workflow.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define CHUNK 200

//  Closes one candidate. Returns 1 closed, 0 it left the range (reopened, or
//  its resolved_at moved), 2 it stays in range (changed meanwhile), -1 Redis
//  failed.
static int
s_one (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, int64_t cutoff, const char *id)
{
    static const char *const wanted[] = {OPD_F_STATUS, OPD_F_RESOLVED_AT, OPD_F_VERSION};
    redisReply *h = opd_store_fields (redis, id, wanted, 3);
    if (!h || h->type != REDIS_REPLY_ARRAY || h->elements != 3) {
        if (h)
            freeReplyObject (h);
        return -1;
    }
    const char *status = opd_reply_str (h, 0);
    const char *resolved = opd_reply_str (h, 1);
    int64_t at = resolved ? strtoll (resolved, NULL, 10) : 0;
    int rc = 0;
    if (!status || strcmp (status, "resolved") || !resolved) {
        //  Not resolved any more: the set was behind.
        rc = opd_store_resolved_fix (redis, id, 0);
    }
    else if (at > cutoff) {
        rc = opd_store_resolved_fix (redis, id, at);
    }
    else {
        char note[96];
        snprintf (note, sizeof note, "closed automatically after %d days", cfg->auto_close_days);
        opd_args_t pairs;
        opd_args_init (&pairs);
        opd_args_add (&pairs, OPD_F_STATUS);
        opd_args_add (&pairs, "closed");
        opd_store_update_t u = {id, "opdesk", opd_reply_str (h, 2), note, &pairs};
        opd_store_result_t res;
        int bad = opd_store_update (redis, cfg, now, &u, &res);
        opd_args_free (&pairs);
        if (bad)
            rc = -1;
        else if (res.outcome == OPD_STORE_OK) {
            opd_info ("auto-closed ticket=%s days=%d", id, cfg->auto_close_days);
            rc = 1;
        }
        else
            rc = 2;  //  changed meanwhile (a reopen): the next pass looks again
    }
    freeReplyObject (h);
    return rc;
}

int
opd_autoclose_pass (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, json_t *out)
{
    int64_t cutoff = now - (int64_t) cfg->auto_close_days * DAY_MS;
    int count = 0;
    long long offset = 0;
    while (true) {
        redisReply *r = opd_store_resolved_range (redis, cutoff, offset, CHUNK);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        size_t n = r->elements;
        long long stayed = 0;
        for (size_t i = 0; i < n; i++) {
            int rc = s_one (redis, cfg, now, cutoff, r->element[i]->str);
            if (rc < 0) {
                freeReplyObject (r);
                return -1;
            }
            if (rc == 1) {
                count++;
                if (out)
                    json_array_append_new (out, json_string (r->element[i]->str));
            }
            else if (rc == 2)
                stayed++;
        }
        freeReplyObject (r);
        if (n < CHUNK)
            break;
        //  Closed ones left the set; step over those that stayed.
        offset += stayed;
    }
    return count;
}
