/*  opd_anonymise: see opd_anonymise.h.

    opd:closed holds every closed ticket not anonymised yet, scored by when it
    closed. A pass reads it oldest first up to the shortest retention that
    applies to anything; each ticket is then checked against its own
    retention. anonymise.lua removes a ticket from opd:closed when it is done,
    so the walk only steps over the tickets it leaves. */
#include "opd_anonymise.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define CHUNK 200

int
opd_anonymise_rule (const opd_config_t *cfg, const char *category, char *rule, size_t size)
{
    const opd_retention_rule_t *best = NULL;
    for (size_t i = 0; category && *category && i < cfg->nretention_rules; i++) {
        const opd_retention_rule_t *r = &cfg->retention_rules[i];
        if (opd_category_under (category, r->category)
            && (!best || strlen (r->category) > strlen (best->category)))
            best = r;
    }
    if (best) {
        snprintf (rule, size, "per_category:%s", best->category);
        return best->days;
    }
    snprintf (rule, size, "closed_days");
    return cfg->retention_closed_days;
}

char *
opd_anonymise_fields (const opd_config_t *cfg, const char *request_type, const char *fields_json)
{
    const opd_reqtype_t *rt = request_type && *request_type ? opd_config_reqtype (cfg, request_type) : NULL;
    if (!rt || !fields_json || !*fields_json)
        return NULL;
    json_t *fields = json_loads (fields_json, 0, NULL);
    if (!json_is_object (fields)) {
        json_decref (fields);
        return NULL;
    }
    bool changed = false;
    for (size_t i = 0; i < rt->nfields; i++) {
        const opd_field_t *f = &rt->fields[i];
        json_t *v = json_object_get (fields, f->name);
        if (f->pii && v && !json_is_null (v)) {
            json_object_set_new (fields, f->name, json_string ("[removed]"));
            changed = true;
        }
    }
    char *out = changed ? json_dumps (fields, JSON_COMPACT) : NULL;
    json_decref (fields);
    return out;
}

//  The shortest retention of any rule, in days.
static int
s_min_days (const opd_config_t *cfg)
{
    int days = cfg->retention_closed_days;
    for (size_t i = 0; i < cfg->nretention_rules; i++)
        if (cfg->retention_rules[i].days < days)
            days = cfg->retention_rules[i].days;
    return days;
}

int64_t
opd_anonymise_cutoff (const opd_config_t *cfg, int64_t now)
{
    return now - s_min_days (cfg) * DAY_MS;
}

int
opd_anonymise_due_since (opd_redis_t *redis, int64_t since, int64_t until)
{
    if (until <= since)
        return 0;
    long long n = opd_store_closed_count (redis, since, until);
    return n < 0 ? -1 : n > 0;
}

//  Handles one candidate. Returns 1 when it was anonymised (and so left
//  opd:closed), 0 when it stays, -1 when Redis failed.
static int
s_one (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, bool dry_run, const char *id,
       int64_t closed_at, json_t *out, int *count)
{
    static const char *const wanted[] = {OPD_F_STATUS, OPD_F_CATEGORY, OPD_F_REQUEST_TYPE, OPD_F_FIELDS,
                                         OPD_F_ANONYMISED};
    redisReply *h = opd_store_fields (redis, id, wanted, 5);
    if (!h || h->type != REDIS_REPLY_ARRAY || h->elements != 5) {
        if (h)
            freeReplyObject (h);
        return -1;
    }
    const char *status = opd_reply_str (h, 0);
    const char *anonymised = opd_reply_str (h, 4);
    char rule[160];
    int days = opd_anonymise_rule (cfg, opd_reply_str (h, 1), rule, sizeof rule);
    int rc = 0;
    if (!status || strcmp (status, "closed") || (anonymised && !strcmp (anonymised, "1"))
        || closed_at + days * DAY_MS > now) {
        freeReplyObject (h);
        return 0;
    }
    if (dry_run) {
        (*count)++;
        if (out)
            json_array_append_new (out, json_pack ("{s:s, s:s}", "ticket_id", id, "rule", rule));
        freeReplyObject (h);
        return 0;
    }
    char *fields = opd_anonymise_fields (cfg, opd_reply_str (h, 2), opd_reply_str (h, 3));
    freeReplyObject (h);
    int done = opd_store_anonymise (redis, cfg, now, id, rule, fields);
    free (fields);
    if (done < 0) {
        if (done == -2)
            opd_error ("not anonymised ticket=%s", id);
        rc = -1;
    }
    else if (done == 1) {
        (*count)++;
        if (out)
            json_array_append_new (out, json_pack ("{s:s, s:s}", "ticket_id", id, "rule", rule));
        opd_info ("anonymised ticket=%s rule=%s", id, rule);
        rc = 1;
    }
    return rc;
}

int
opd_anonymise_pass (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, bool dry_run,
                    json_t *out)
{
    int64_t cutoff = opd_anonymise_cutoff (cfg, now);
    int count = 0;
    long long offset = 0;
    while (true) {
        redisReply *r = opd_store_closed_range (redis, cutoff, offset, CHUNK);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        size_t n = r->elements / 2;
        for (size_t i = 0; i < n; i++) {
            const char *id = r->element[2 * i]->str;
            int64_t closed_at = (int64_t) strtod (r->element[2 * i + 1]->str, NULL);
            int rc = s_one (redis, cfg, now, dry_run, id, closed_at, out, &count);
            if (rc < 0) {
                freeReplyObject (r);
                return -1;
            }
            if (rc == 0)
                offset++;
        }
        freeReplyObject (r);
        if (n < CHUNK)
            break;
    }
    return count;
}
