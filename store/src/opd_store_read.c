/*  opd_store_read: the reading half of opd_store.h: a ticket's hash into
    opd_ticket_t (the one reader), some fields of it, a comment, and the
    small conversions the readers share. The script calls and the work sets
    are in opd_store.c. */
#include "opd_store.h"
#include "opd_log.h"
#include "opd_util.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --- Reading tickets ------------------------------------------------------

bool
opd_store_ticket_read (opd_ticket_t *t, const redisReply *hash)
{
    memset (t, 0, sizeof *t);
    if (!hash || hash->type != REDIS_REPLY_ARRAY)
        return false;
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const char *k = opd_reply_str (hash, i), *v = opd_reply_str (hash, i + 1);
        if (k && v)
            opd_ticket_set (t, k, v);
    }
    return t->id != NULL;
}

bool
opd_store_ticket_read_fields (opd_ticket_t *t, const char *const *fields, size_t n, const redisReply *values)
{
    memset (t, 0, sizeof *t);
    if (!values || values->type != REDIS_REPLY_ARRAY || values->elements != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *v = opd_reply_str (values, i);
        if (v)
            opd_ticket_set (t, fields[i], v);
    }
    return t->id != NULL;
}

static void
s_key_arg (opd_args_t *a, const char *id)
{
    opd_args_addf (a, OPD_KEY_TICKET_FMT, id ? id : "");
}

int
opd_store_ticket_append (opd_redis_t *redis, const char *id)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "HGETALL");
    s_key_arg (&a, id);
    int rc = opd_redis_append_argv (redis, &a);
    opd_args_free (&a);
    return rc;
}

int
opd_store_ticket_get (opd_redis_t *redis, const char *id, opd_ticket_t *t, redisReply **hash)
{
    memset (t, 0, sizeof *t);
    *hash = opd_redis_command (redis, "HGETALL " OPD_KEY_TICKET_FMT, id);
    if (!*hash)
        return -1;
    if ((*hash)->type != REDIS_REPLY_ARRAY) {
        opd_error ("reading ticket=%s failed: %s", id, (*hash)->type == REDIS_REPLY_ERROR ? (*hash)->str : "unexpected reply");
        return -2;
    }
    return opd_store_ticket_read (t, *hash) ? 1 : 0;
}

static void
s_fields_args (opd_args_t *a, const char *id, const char *const *fields, size_t n)
{
    opd_args_init (a);
    opd_args_add (a, "HMGET");
    s_key_arg (a, id);
    for (size_t i = 0; i < n; i++)
        opd_args_add (a, fields[i]);
}

int
opd_store_fields_append (opd_redis_t *redis, const char *id, const char *const *fields, size_t n)
{
    opd_args_t a;
    s_fields_args (&a, id, fields, n);
    int rc = opd_redis_append_argv (redis, &a);
    opd_args_free (&a);
    return rc;
}

redisReply *
opd_store_fields (opd_redis_t *redis, const char *id, const char *const *fields, size_t n)
{
    opd_args_t a;
    s_fields_args (&a, id, fields, n);
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    return r;
}

char *
opd_store_field (opd_redis_t *redis, const char *id, const char *field, bool *failed)
{
    const char *const fields[1] = {field};
    redisReply *r = opd_store_fields (redis, id, fields, 1);
    *failed = !r || r->type != REDIS_REPLY_ARRAY || r->elements != 1;
    const char *v = *failed ? NULL : opd_reply_str (r, 0);
    char *out = v ? opd_strdup (v) : NULL;
    if (r)
        freeReplyObject (r);
    return out;
}

static bool
s_comment_has_id (const char *text, long long cid)
{
    json_t *c = json_loads (text, 0, NULL);
    bool ok = json_is_object (c) && json_integer_value (json_object_get (c, "id")) == cid;
    json_decref (c);
    return ok;
}

char *
opd_store_comment_get (opd_redis_t *redis, const char *id, long long comment_id, bool *failed)
{
    *failed = false;
    //  Comments are numbered in order: the one of id N is at index N - 1.
    redisReply *r = opd_redis_command (redis, "LINDEX " OPD_KEY_COMMENTS_FMT " %lld", id, comment_id - 1);
    if (!r) {
        *failed = true;
        return NULL;
    }
    char *found = NULL;
    if (r->type == REDIS_REPLY_STRING && s_comment_has_id (r->str, comment_id))
        found = opd_strdup (r->str);
    freeReplyObject (r);
    if (found)
        return found;
    //  Search, in case that ever changes.
    r = opd_redis_command (redis, "LRANGE " OPD_KEY_COMMENTS_FMT " 0 -1", id);
    if (!r) {
        *failed = true;
        return NULL;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && !found; i++)
        if (r->element[i]->type == REDIS_REPLY_STRING && s_comment_has_id (r->element[i]->str, comment_id))
            found = opd_strdup (r->element[i]->str);
    freeReplyObject (r);
    return found;
}

int
opd_store_mail_thread_set (opd_redis_t *redis, const char *id, const char *message_id)
{
    redisReply *r = opd_redis_command (redis, "HSETNX " OPD_KEY_TICKET_FMT " %s %s", id, OPD_F_MAIL_THREAD,
                                       message_id);
    if (!r)
        return -1;
    freeReplyObject (r);
    return 0;
}

bool
opd_store_ms (const char *text, int64_t *ms)
{
    if (!text || !*text)
        return false;
    char *end = NULL;
    long long n = strtoll (text, &end, 10);
    if (*end)
        return false;
    *ms = n;
    return true;
}

int64_t
opd_store_ms_or (const char *text, int64_t fallback)
{
    int64_t v;
    return opd_store_ms (text, &v) ? v : fallback;
}

const opd_policy_t *
opd_store_policy_named (const opd_config_t *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->npolicies; i++)
        if (!strcmp (cfg->policies[i].name, name))
            return &cfg->policies[i];
    return NULL;
}

int64_t
opd_store_policy_target (const opd_policy_t *p, opd_clock_t clock)
{
    return clock == OPD_CLOCK_FR ? p->first_response : clock == OPD_CLOCK_NR ? p->next_reply : p->resolution;
}
