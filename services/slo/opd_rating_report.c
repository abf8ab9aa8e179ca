/*  opd_rating_report: see opd_rating_report.h. */
#include "opd_rating_report.h"
#include "opd_slo_read.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

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

//  opd_slo_read_tickets's callback: ctx is the two tallies.
static void
s_one (const redisReply *r, void *ctx)
{
    tally_t *t = ctx;
    s_count (r, &t[0], &t[1]);
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
    tally_t t[2] = {{g_hash_table_new_full (g_str_hash, g_str_equal, free, free), {0, 0}},
                    {g_hash_table_new_full (g_str_hash, g_str_equal, free, free), {0, 0}}};
    static const char *const fields[] = {OPD_F_RATING, OPD_F_TEAM, OPD_F_ASSIGNEE};
    int failed = opd_slo_read_tickets (redis, ids, fields, 3, s_one, t);
    freeReplyObject (ids);
    json_t *out = NULL;
    if (!failed) {
        out = s_numbers (json_object (), t[0].total[0], t[0].total[1]);
        json_object_set_new (out, "teams", s_rows (t[0].counts, "team"));
        json_object_set_new (out, "assignees", s_rows (t[1].counts, "assignee"));
    }
    g_hash_table_destroy (t[0].counts);
    g_hash_table_destroy (t[1].counts);
    return out;
}
