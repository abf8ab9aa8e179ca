/*  opd_anon_sweep: see opd_anon_sweep.h.

    What to sweep is read from the generated key table (opd_keys[].sweep,
    from proto/schema.yaml): "list F", "zset F" and "stream F" for the
    fixed keys; a member or an entry that names a pending ticket is removed
    alone. The keys with parameters that name a ticket (sweep "ticket":
    idempotency, threading, calls, numbers) are not found here but by
    anonymise.lua from the ticket itself, in the same step as the ticket,
    so that no run scans the keyspace (docs/decisions.md 164). */
#include "opd_anon_sweep.h"
#include "opd_log.h"
#include "opd_mp.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH 1000
#define PENDING_CHUNK 10000

//  The pending tickets, sorted, for bsearch; the pause after each batch of
//  the event stream.
typedef struct {
    char **ids;
    size_t n;
    int pause_ms;
} s_set_t;

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
s_has (const s_set_t *set, const char *id, size_t len)
{
    char buf[OPD_ID_MAX + 1];
    if (!id || len == 0 || len > OPD_ID_MAX)
        return false;
    memcpy (buf, id, len);
    buf[len] = 0;
    const char *key = buf;
    return bsearch (&key, set->ids, set->n, sizeof (char *), s_cmp) != NULL;
}

//  Whether a JSON member (an outbox job) has field naming a pending ticket.
static bool
s_json_names (const char *text, size_t len, const char *field, const s_set_t *set)
{
    json_t *j = json_loadb (text, len, 0, NULL);
    const char *t = json_string_value (json_object_get (j, field));
    bool yes = t && s_has (set, t, strlen (t));
    json_decref (j);
    return yes;
}

//  A list of JSON members: each one naming a pending ticket is removed.
static int
s_list (opd_redis_t *redis, size_t i, const char *field, const s_set_t *set, opd_anon_sweep_counts_t *counts)
{
    redisReply *r = opd_redis_command (redis, "LRANGE %s 0 -1", opd_keys[i].pattern);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject (r);
        return -1;
    }
    int rc = 0;
    for (size_t j = 0; j < r->elements && !rc; j++) {
        redisReply *e = r->element[j];
        if (e->type != REDIS_REPLY_STRING || !s_json_names (e->str, e->len, field, set))
            continue;
        redisReply *d = opd_redis_command (redis, "LREM %s 1 %b", opd_keys[i].pattern, e->str, e->len);
        if (!d)
            rc = -1;
        else {
            counts->removed[i] += d->type == REDIS_REPLY_INTEGER ? d->integer : 0;
            freeReplyObject (d);
        }
    }
    freeReplyObject (r);
    return rc;
}

//  A sorted set of JSON members, in ZSCAN batches.
static int
s_zset (opd_redis_t *redis, size_t i, const char *field, const s_set_t *set, opd_anon_sweep_counts_t *counts)
{
    char cursor[32] = "0";
    do {
        redisReply *r = opd_redis_command (redis, "ZSCAN %s %s COUNT %d", opd_keys[i].pattern, cursor, BATCH);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        const redisReply *m = r->element[1];
        int rc = 0;
        for (size_t j = 0; j + 1 < m->elements && !rc; j += 2) {
            redisReply *e = m->element[j];
            if (!s_json_names (e->str, e->len, field, set))
                continue;
            redisReply *d = opd_redis_command (redis, "ZREM %s %b", opd_keys[i].pattern, e->str, e->len);
            rc = d ? 0 : -1;
            if (d) {
                counts->removed[i] += d->type == REDIS_REPLY_INTEGER ? d->integer : 0;
                freeReplyObject (d);
            }
        }
        freeReplyObject (r);
        if (rc)
            return -1;
    } while (strcmp (cursor, "0"));
    return 0;
}

//  Whether topic is an event the schema marks personal.
static bool
s_personal_topic (const char *t, size_t len)
{
    for (size_t i = 0; i < opd_event_count; i++)
        if (opd_events[i].personal && strlen (opd_events[i].topic) == len && !memcmp (opd_events[i].topic, t, len))
            return true;
    return false;
}

//  Whether one stream entry (fields t, m) is a personal event of a pending
//  ticket.
static bool
s_entry_personal (const redisReply *f, const char *field, const s_set_t *set)
{
    const redisReply *t = NULL, *m = NULL;
    for (size_t j = 0; f->type == REDIS_REPLY_ARRAY && j + 1 < f->elements; j += 2) {
        if (!strcmp (f->element[j]->str, "t"))
            t = f->element[j + 1];
        else if (!strcmp (f->element[j]->str, "m"))
            m = f->element[j + 1];
    }
    if (!t || !m || !s_personal_topic (t->str, t->len))
        return false;
    msgpack_unpacked u;
    char err[128];
    bool yes = false;
    if (opd_mp_decode (m->str, m->len, NULL, &u, err, sizeof err) == 0) {
        const char *id;
        size_t len;
        yes = opd_mp_is_str (opd_mp_get (&u.data, field), &id, &len) && s_has (set, id, len);
        msgpack_unpacked_destroy (&u);
    }
    return yes;
}

//  The event stream, in XRANGE batches: personal events of pending tickets
//  are deleted (XDEL), the others stay in order.
static int
s_stream (opd_redis_t *redis, size_t i, const char *field, const s_set_t *set, opd_anon_sweep_counts_t *counts)
{
    char start[64] = "-";
    while (true) {
        redisReply *r = opd_redis_command (redis, "XRANGE %s %s + COUNT %d", opd_keys[i].pattern, start, BATCH);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        opd_args_t del;
        opd_args_init (&del);
        opd_args_add (&del, "XDEL");
        opd_args_add (&del, opd_keys[i].pattern);
        for (size_t j = 0; j < r->elements; j++) {
            redisReply *e = r->element[j];
            if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
                continue;
            snprintf (start, sizeof start, "(%s", e->element[0]->str);
            if (s_entry_personal (e->element[1], field, set))
                opd_args_add (&del, e->element[0]->str);
        }
        bool last = r->elements < BATCH;
        freeReplyObject (r);
        redisReply *d = del.n > 2 ? opd_redis_argv (redis, &del) : NULL;
        int rc = del.n > 2 && !d ? -1 : 0;
        if (d) {
            counts->removed[i] += d->type == REDIS_REPLY_INTEGER ? d->integer : 0;
            freeReplyObject (d);
        }
        opd_args_free (&del);
        if (rc)
            return -1;
        if (last)
            return 0;
        if (set->pause_ms > 0)
            usleep ((useconds_t) set->pause_ms * 1000);
    }
}

//  The fixed keys: lists, sorted sets, the stream.
static int
s_fixed (opd_redis_t *redis, const s_set_t *set, opd_anon_sweep_counts_t *counts)
{
    for (size_t i = 0; i < opd_key_count; i++) {
        const char *sw = opd_keys[i].sweep;
        if (!sw || strchr (opd_keys[i].pattern, '{'))
            continue;
        const char *field = strchr (sw, ' ');
        field = field ? field + 1 : "ticket";
        int rc = 0;
        if (!strncmp (sw, "list ", 5))
            rc = s_list (redis, i, field, set, counts);
        else if (!strncmp (sw, "zset ", 5))
            rc = s_zset (redis, i, field, set, counts);
        else if (!strncmp (sw, "stream ", 7))
            rc = s_stream (redis, i, field, set, counts);
        if (rc)
            return -1;
    }
    return 0;
}

//  The tickets done leave opd:anon:pending.
static int
s_done (opd_redis_t *redis, const s_set_t *set, opd_anon_sweep_counts_t *counts)
{
    opd_args_t a;
    opd_args_init (&a);
    opd_args_add (&a, "ZREM");
    opd_args_add (&a, OPD_KEY_ANON_PENDING);
    for (size_t i = 0; i < set->n; i++)
        opd_args_add (&a, set->ids[i]);
    redisReply *r = opd_redis_argv (redis, &a);
    opd_args_free (&a);
    if (!r)
        return -1;
    counts->tickets += r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject (r);
    return 0;
}

//  One chunk of pending tickets: every store swept for them, then done.
static int
s_chunk (opd_redis_t *redis, const redisReply *ids, int pause_ms, opd_anon_sweep_counts_t *counts)
{
    s_set_t set = {.ids = opd_calloc (ids->elements + 1, sizeof (char *)), .pause_ms = pause_ms};
    for (size_t i = 0; i < ids->elements; i++)
        if (ids->element[i]->type == REDIS_REPLY_STRING)
            set.ids[set.n++] = ids->element[i]->str;
    qsort (set.ids, set.n, sizeof (char *), s_cmp);
    int rc = s_fixed (redis, &set, counts);
    if (!rc)
        rc = s_done (redis, &set, counts);
    free (set.ids);
    return rc;
}

int
opd_anon_sweep (opd_redis_t *redis, int pause_ms, opd_anon_sweep_counts_t *counts)
{
    assert (opd_key_count <= OPD_ANON_SWEEP_MAX_KEYS);
    while (true) {
        redisReply *r = opd_redis_command (redis, "ZRANGE %s 0 %d", OPD_KEY_ANON_PENDING, PENDING_CHUNK - 1);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        size_t n = r->elements;
        int rc = n ? s_chunk (redis, r, pause_ms, counts) : 0;
        freeReplyObject (r);
        if (rc)
            return -1;
        if (n < PENDING_CHUNK)
            return 0;
    }
}

//  Whether opd:anon:linked is set: 1, 0, or -1.
static int
s_linked (opd_redis_t *redis)
{
    redisReply *r = opd_redis_command (redis, "EXISTS %s", OPD_KEY_ANON_LINKED);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? (int) r->integer : -1;
    if (r)
        freeReplyObject (r);
    return rc;
}

long long
opd_anon_links_once (opd_redis_t *redis, const opd_config_t *cfg, int64_t now)
{
    int done = s_linked (redis);
    if (done != 0)
        return done < 0 ? -1 : 0;
    char cursor[32] = "0", match[64];
    snprintf (match, sizeof match, OPD_KEY_IDEM_FMT, "*", "*");
    long long linked = 0;
    do {
        redisReply *r = opd_redis_command (redis, "SCAN %s MATCH %s COUNT %d", cursor, match, BATCH);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING
            || r->element[1]->type != REDIS_REPLY_ARRAY) {
            if (r)
                freeReplyObject (r);
            return -1;
        }
        snprintf (cursor, sizeof cursor, "%s", r->element[0]->str);
        long long n = r->element[1]->elements ? opd_store_link (redis, cfg, now, r->element[1]) : 0;
        freeReplyObject (r);
        if (n < 0)
            return -1;
        linked += n;
    } while (strcmp (cursor, "0"));
    redisReply *r = opd_redis_command (redis, "SET %s 1", OPD_KEY_ANON_LINKED);
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject (r);
    if (ok)
        opd_info ("links recorded from idempotency keys: %lld", linked);
    return ok ? linked : -1;
}
