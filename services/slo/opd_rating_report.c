/*  opd_rating_report: see opd_rating_report.h. */
#include "opd_rating_report.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define READ_BATCH 500

//  Counts [good, bad] per name ("" = none) of one grouping.
typedef struct {
    GHashTable *counts;  //  name (owned) -> long[2] (owned)
    long total[2];
} tally_t;

static void
s_add (GHashTable *counts, const char *name, int which)
{
    long *c = g_hash_table_lookup (counts, name ? name : "");
    if (!c) {
        c = opd_calloc (2, sizeof *c);
        g_hash_table_insert (counts, opd_strdup (name ? name : ""), c);
    }
    c[which]++;
}

//  One ticket's HMGET reply (rating, team, assignee).
static void
s_count (const redisReply *r, tally_t *teams, tally_t *assignees)
{
    const char *rating = opd_reply_str (r, 0);
    if (!rating || (strcmp (rating, "good") && strcmp (rating, "bad")))
        return;
    int which = strcmp (rating, "good") ? 1 : 0;
    teams->total[which]++;
    s_add (teams->counts, opd_reply_str (r, 1), which);
    s_add (assignees->counts, opd_reply_str (r, 2), which);
}

//  Reads the tickets of ids in pipelined batches. 0, or -1 when Redis failed.
static int
s_read (opd_redis_t *redis, const redisReply *ids, tally_t *teams, tally_t *assignees)
{
    for (size_t at = 0; at < ids->elements; at += READ_BATCH) {
        size_t n = ids->elements - at < READ_BATCH ? ids->elements - at : READ_BATCH;
        for (size_t i = 0; i < n; i++) {
            opd_args_t a;
            opd_args_init (&a);
            opd_args_add (&a, "HMGET");
            opd_args_addf (&a, OPD_KEY_TICKET_FMT, opd_reply_str (ids, at + i) ? opd_reply_str (ids, at + i) : "");
            opd_args_add (&a, OPD_F_RATING);
            opd_args_add (&a, OPD_F_TEAM);
            opd_args_add (&a, OPD_F_ASSIGNEE);
            int bad = opd_redis_append_argv (redis, &a);
            opd_args_free (&a);
            if (bad)
                return -1;
        }
        for (size_t i = 0; i < n; i++) {
            redisReply *r = opd_redis_get_reply (redis);
            if (!r)
                return -1;
            s_count (r, teams, assignees);
            freeReplyObject (r);
        }
    }
    return 0;
}

//  good, bad and share_good into obj.
static json_t *
s_numbers (json_t *obj, long good, long bad)
{
    json_object_set_new (obj, "good", json_integer (good));
    json_object_set_new (obj, "bad", json_integer (bad));
    json_object_set_new (obj, "share_good", good + bad ? json_real ((double) good / (double) (good + bad)) : json_null ());
    return obj;
}

//  Names in order, "" (none) last.
static gint
s_name_order (gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *) a, *y = *(const char *const *) b;
    if (!*x || !*y)
        return !*x - !*y;
    return strcmp (x, y);
}

static json_t *
s_rows (GHashTable *counts, const char *label)
{
    GPtrArray *names = g_ptr_array_new ();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init (&it, counts);
    while (g_hash_table_iter_next (&it, &k, &v))
        g_ptr_array_add (names, k);
    g_ptr_array_sort (names, s_name_order);
    json_t *rows = json_array ();
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index (names, i);
        long *c = g_hash_table_lookup (counts, name);
        json_t *row = json_object ();
        json_object_set_new (row, label, *name ? json_string (name) : json_null ());
        json_array_append_new (rows, s_numbers (row, c[0], c[1]));
    }
    g_ptr_array_free (names, TRUE);
    return rows;
}

json_t *
opd_rating_report (opd_redis_t *redis, int64_t from_ms, int64_t to_ms)
{
    redisReply *ids = opd_redis_command (redis, "ZRANGEBYSCORE %s %lld (%lld", OPD_KEY_RATINGS,
                                         (long long) from_ms, (long long) to_ms);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        if (ids)
            freeReplyObject (ids);
        return NULL;
    }
    tally_t teams = {g_hash_table_new_full (g_str_hash, g_str_equal, free, free), {0, 0}};
    tally_t assignees = {g_hash_table_new_full (g_str_hash, g_str_equal, free, free), {0, 0}};
    int failed = s_read (redis, ids, &teams, &assignees);
    freeReplyObject (ids);
    json_t *out = NULL;
    if (failed)
        opd_redis_disconnect (redis);
    else {
        out = s_numbers (json_object (), teams.total[0], teams.total[1]);
        json_object_set_new (out, "teams", s_rows (teams.counts, "team"));
        json_object_set_new (out, "assignees", s_rows (assignees.counts, "assignee"));
    }
    g_hash_table_destroy (teams.counts);
    g_hash_table_destroy (assignees.counts);
    return out;
}
