/*  details_reply: see details_reply.h. */
#include "details_reply.h"
#include "opd_change.h"
#include "opd_field_lines.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DETAILS_BATCH 50

//  The details the requester's public comments give, the later ones winning.
static json_t *
s_found (opd_redis_t *redis, const char *id, const opd_reqtype_t *rt, json_t *missing)
{
    char key[128];
    opd_key_comments (key, sizeof key, id);
    redisReply *r = opd_redis_command (redis, "LRANGE %s 0 -1", key);
    json_t *found = json_object ();
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        json_t *c = json_loads (r->element[i]->str ? r->element[i]->str : "", 0, NULL);
        const char *role = json_string_value (json_object_get (c, "role"));
        if (role && !strcmp (role, "requester") && json_is_true (json_object_get (c, "public")))
            opd_field_lines_scan (json_string_value (json_object_get (c, "body")), rt, missing, found);
        json_decref (c);
    }
    if (r)
        freeReplyObject (r);
    return found;
}

//  Gives found to the ticket; a value the store refuses (a pattern) is
//  dropped and the rest given. 0, or -1 when Redis failed.
static int
s_give (opd_redis_t *redis, const opd_config_t *cfg, const char *id, json_t *found)
{
    while (json_object_size (found)) {
        opd_change_t ch = {.fields = found, .actor = "requester"};
        opd_change_result_t res;
        if (opd_change_apply (redis, cfg, id, &ch, &res) == 0) {
            opd_info ("details from a reply ticket=%s given=%zu", id, json_object_size (found));
            return 0;
        }
        if (res.code == OPD_CHANGE_UNAVAILABLE)
            return -1;
        if (strncmp (res.key, "fields.", 7) || json_object_del (found, res.key + 7))
            break;  //  refused for another reason (gone, closed): nothing to give
    }
    return 0;
}

//  One ticket of the work set. 0, or -1 when Redis failed (it stays).
static int
s_one (opd_redis_t *redis, const opd_config_t *cfg, const char *id)
{
    static const char *const wanted[] = {OPD_F_REQUEST_TYPE, OPD_F_MISSING};
    redisReply *cur = opd_store_fields (redis, id, wanted, 2);
    if (!cur || cur->type != REDIS_REPLY_ARRAY || cur->elements != 2) {
        if (cur)
            freeReplyObject (cur);
        return -1;
    }
    const char *rtid = opd_reply_str (cur, 0), *miss = opd_reply_str (cur, 1);
    const opd_reqtype_t *rt = rtid ? opd_config_reqtype (cfg, rtid) : NULL;
    json_t *missing = miss && *miss ? json_loads (miss, 0, NULL) : NULL;
    int rc = 0;
    if (rt && json_array_size (missing)) {
        json_t *found = s_found (redis, id, rt, missing);
        rc = s_give (redis, cfg, id, found);
        json_decref (found);
    }
    json_decref (missing);
    freeReplyObject (cur);
    return rc;
}

int
details_reply_sweep (opd_redis_t *redis, const opd_config_t *cfg)
{
    redisReply *r = opd_redis_command (redis, "ZRANGE %s 0 %d", OPD_KEY_DETAILS_REPLIES, DETAILS_BATCH - 1);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < r->elements && rc == 0; i++) {
        const char *id = r->element[i]->str;
        if (!id || (rc = s_one (redis, cfg, id)))
            continue;
        redisReply *z = opd_redis_command (redis, "ZREM %s %s", OPD_KEY_DETAILS_REPLIES, id);
        rc = z && z->type == REDIS_REPLY_INTEGER ? 0 : -1;
        if (z)
            freeReplyObject (z);
    }
    freeReplyObject (r);
    return rc;
}
