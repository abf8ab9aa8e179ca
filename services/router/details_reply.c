/*  details_reply: see details_reply.h. */
#include "details_reply.h"
#include "opd_change.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DETAILS_BATCH 50

static bool
s_same (const char *a, const char *b)
{
    gchar *x = g_utf8_casefold (a, -1), *y = g_utf8_casefold (b, -1);
    bool same = !strcmp (x, y);
    g_free (x);
    g_free (y);
    return same;
}

//  The missing field a line's label names (its label or its name, in any
//  case), or NULL.
static const opd_field_t *
s_named (const opd_reqtype_t *rt, json_t *missing, const char *label)
{
    size_t i;
    json_t *v;
    json_array_foreach (missing, i, v) {
        for (size_t j = 0; json_is_string (v) && j < rt->nfields; j++) {
            const opd_field_t *f = &rt->fields[j];
            if (!strcmp (f->name, json_string_value (v))
                && ((f->label && s_same (f->label, label)) || s_same (f->name, label)))
                return f;
        }
    }
    return NULL;
}

void
details_reply_scan (const char *body, const opd_reqtype_t *rt, json_t *missing, json_t *found)
{
    gchar **lines = g_strsplit (body ? body : "", "\n", -1);
    for (gchar **l = lines; *l; l++) {
        gchar *line = g_strstrip (*l);
        if (*line == '>')
            continue;  //  quoted: our own mail, or an older message
        if ((*line == '-' || *line == '*') && line[1] == ' ')
            line += 2;
        char *colon = strchr (line, ':');
        if (!colon || colon == line)
            continue;
        *colon = 0;
        gchar *label = g_strstrip (line), *value = g_strstrip (colon + 1);
        const opd_field_t *f = *value && strcmp (value, "...") ? s_named (rt, missing, label) : NULL;
        //  People write "Developer" for the value developer.
        for (size_t k = 0; f && f->type == OPD_FIELD_ENUM && k < f->nvalues; k++)
            if (s_same (f->values[k], value))
                value = f->values[k];
        json_t *v = NULL;
        char err[512];
        if (f && opd_field_from_text (rt, f->name, value, &v, err, sizeof err) == 0 && v)
            json_object_set_new (found, f->name, v);
    }
    g_strfreev (lines);
}

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
            details_reply_scan (json_string_value (json_object_get (c, "body")), rt, missing, found);
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
