/*  opd_slo_report: see opd_slo_report.h.

    Which tickets a report counts: those whose created_at lies in [from, to),
    read from opd:idx:all (score = created_at). received_at, when the clocks
    start, is at most 5 minutes after created_at's clock for live channels
    and earlier for imports; the index by created_at is the one every ticket
    has, and a ticket then belongs to the period in which the desk got it.

    For scale, a report reads the ticket fields it needs with pipelined
    HMGET, 1,000 tickets a round trip, and keeps per group and SLO only the
    counts and the working times of the met clocks (for the mean and p90).

    Working time is measured on the calendar of the ticket's policy: first
    response from received_at to fr_met; resolution from received_at to
    res_met less the spans of res_pauses (pending, and resolved before a
    reopening). The next-reply clock's start is not kept once it is met, so
    next_reply has no times (null); a ticket's next reply counts as breached
    when any of its cycles breached (nr_breaches), else by its last cycle. Clocks met after they breached count in
    the times too: the time to respond is what the requester waited. */
#include "opd_schema.h"
#include "opd_slo_report.h"
#include "opd_slo_policy.h"
#include "opd_util.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BATCH 1000

//  --- Arithmetic -------------------------------------------------------------

double
opd_slo_attainment (long met, long breached)
{
    if (met + breached <= 0)
        return NAN;
    return (double) met / (double) (met + breached);
}

double
opd_slo_budget_left (long breached, double allowed)
{
    if (!(allowed > 0))
        return NAN;
    return 1.0 - (double) breached / allowed;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

int64_t
opd_slo_percentile (int64_t *v, size_t n, int pct)
{
    if (n == 0)
        return 0;
    qsort (v, n, sizeof *v, s_cmp_i64);
    //  Nearest rank: the ceil(pct/100 n)-th smallest, computed in integers.
    size_t rank = ((size_t) pct * n + 99) / 100;
    return v[rank ? rank - 1 : 0];
}

int64_t
opd_slo_p90 (int64_t *v, size_t n)
{
    return opd_slo_percentile (v, n, 90);
}

int64_t
opd_slo_mean (const int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    long double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (long double) v[i];
    return (int64_t) llroundl (sum / (long double) n);
}

//  --- Helpers ----------------------------------------------------------------

static json_t *
s_real_or_null (double v)
{
    return isnan (v) ? json_null () : json_real (v);
}

static json_t *
s_time (int64_t ms)
{
    char buf[40];
    opd_rfc3339 (ms, buf, sizeof buf);
    return json_string (buf);
}

static int64_t
s_int (const char *s)
{
    return s && *s ? strtoll (s, NULL, 10) : 0;
}

//  --- The report ----------------------------------------------------------------

typedef struct {
    long tickets, met, breached, running, paused;
    long finished_obj, breached_obj;  //  finished clocks whose policy has an objective
    double allowed;                   //  sum of (1 - objective) over those
    double obj_sum;                   //  objectives of every clock with one
    long obj_n;
    int64_t *times;                   //  working ms of met clocks
    size_t ntimes, captimes;
} slo_acc_t;

typedef struct {
    char *key;  //  NULL: no value (a ticket not routed, without a policy)
    slo_acc_t slo[3];
} group_t;

typedef struct {
    group_t *v;
    size_t n, cap;
} groups_t;

static group_t *
s_group (groups_t *gs, const char *key)
{
    for (size_t i = 0; i < gs->n; i++)
        if ((!key && !gs->v[i].key) || (key && gs->v[i].key && !strcmp (key, gs->v[i].key)))
            return &gs->v[i];
    if (gs->n == gs->cap) {
        gs->cap = gs->cap ? gs->cap * 2 : 16;
        group_t *v = realloc (gs->v, gs->cap * sizeof *v);
        if (!v)
            abort ();
        gs->v = v;
    }
    group_t *g = &gs->v[gs->n++];
    memset (g, 0, sizeof *g);
    g->key = key ? opd_strdup (key) : NULL;
    return g;
}

static void
s_add_time (slo_acc_t *a, int64_t ms)
{
    if (a->ntimes == a->captimes) {
        a->captimes = a->captimes ? a->captimes * 2 : 64;
        int64_t *v = realloc (a->times, a->captimes * sizeof *v);
        if (!v)
            abort ();
        a->times = v;
    }
    a->times[a->ntimes++] = ms;
}

//  The HMGET fields, in this order.
enum { F_PRIORITY, F_TEAM, F_POLICY, F_RECEIVED, F_CREATED, F_PAUSES, F_CLOCKS, F_NR_BREACHES = F_CLOCKS + 6 };
static const char *const s_fields[] = {"priority", "team", "slo_policy", "received_at", "created_at",
                                       "res_pauses", "fr_state", "fr_met", "nr_state", "nr_met",
                                       "res_state", "res_met", "nr_breaches", NULL};

//  One clock of a ticket into a group's figures; work is the working ms of
//  a met clock (-1: none).
static void
s_count_clock (slo_acc_t *a, const char *state, const opd_policy_t *p, int64_t work)
{
    a->tickets++;
    bool finished = false, breached = false;
    if (!strcmp (state, "met"))
        a->met++, finished = true;
    else if (!strcmp (state, "breached"))
        a->breached++, finished = breached = true;
    else if (!strcmp (state, "paused"))
        a->running++, a->paused++;
    else
        a->running++;
    if (opd_slo_has_objective (p)) {
        a->obj_sum += p->objective;
        a->obj_n++;
        if (finished) {
            a->finished_obj++;
            a->allowed += 1.0 - p->objective;
            if (breached)
                a->breached_obj++;
        }
    }
    if (work >= 0)
        s_add_time (a, work);
}

//  One ticket (its HMGET reply) into its group of each grouping g, found in
//  gs[g * stride]; the working times are measured once for all of them.
static void
s_count_ticket (const opd_config_t *cfg, const redisReply *r, const char *const *group_bys, size_t ngb,
                groups_t *gs, size_t stride)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < F_NR_BREACHES + 1)
        return;
    if (!opd_reply_str (r, F_CREATED))
        return;  //  gone meanwhile
    group_t *gv[3];
    for (size_t g = 0; g < ngb; g++)
        gv[g] = s_group (&gs[g * stride], opd_reply_str (r, !strcmp (group_bys[g], "team") ? F_TEAM
                                                          : !strcmp (group_bys[g], "policy") ? F_POLICY
                                                                                            : F_PRIORITY));
    const opd_policy_t *p = opd_slo_policy (cfg, opd_reply_str (r, F_POLICY));
    int64_t received = s_int (opd_reply_str (r, F_RECEIVED));
    if (!received)
        received = s_int (opd_reply_str (r, F_CREATED));
    for (int c = 0; c < 3; c++) {
        const char *state = opd_reply_str (r, F_CLOCKS + 2 * c);
        //  The next reply is breached when any of its cycles was, though a
        //  later one was met (the current cycle's state is all the hash keeps).
        if (c == 1 && s_int (opd_reply_str (r, F_NR_BREACHES)) > 0)
            state = "breached";
        if (!state)
            continue;
        int64_t met_at = s_int (opd_reply_str (r, F_CLOCKS + 2 * c + 1)), work = -1;
        if (met_at && c != 1)
            work = opd_slo_working (cfg, p, received, met_at, c == 2 ? opd_reply_str (r, F_PAUSES) : NULL);
        for (size_t g = 0; g < ngb; g++)
            s_count_clock (&gv[g]->slo[c], state, p, work);
    }
}

static json_t *
s_slo_json (slo_acc_t *a, bool times)
{
    double objective = NAN, left = NAN;
    if (a->finished_obj > 0) {
        objective = 1.0 - a->allowed / (double) a->finished_obj;
        left = opd_slo_budget_left (a->breached_obj, a->allowed);
    }
    else if (a->obj_n > 0) {
        objective = a->obj_sum / (double) a->obj_n;
        left = 1.0;  //  nothing finished: nothing spent
    }
    json_t *o = json_pack ("{s:I, s:I, s:I, s:I, s:I}", "tickets", (json_int_t) a->tickets, "met",
                           (json_int_t) a->met, "breached", (json_int_t) a->breached, "running",
                           (json_int_t) a->running, "paused", (json_int_t) a->paused);
    json_object_set_new (o, "attainment", s_real_or_null (opd_slo_attainment (a->met, a->breached)));
    json_object_set_new (o, "objective", s_real_or_null (objective));
    json_object_set_new (o, "error_budget_left", s_real_or_null (left));
    bool any = times && a->ntimes > 0;
    json_object_set_new (o, "mean_working_ms",
                         any ? json_integer (opd_slo_mean (a->times, a->ntimes)) : json_null ());
    json_object_set_new (o, "p90_working_ms",
                         any ? json_integer (opd_slo_p90 (a->times, a->ntimes)) : json_null ());
    return o;
}

//  Groups in a stable order: by key (priorities P1..P4 sort as text), the
//  group without a value last.
static int
s_cmp_group (const void *a, const void *b)
{
    const group_t *x = a, *y = b;
    if (!x->key || !y->key)
        return !x->key - !y->key;
    return strcmp (x->key, y->key);
}

//  Counts the tickets received in [from, from + n * step) into gs[g * n + i]
//  (grouping g of group_bys, period i), each ticket read once. 0, or -1
//  after writing err.
static int
s_count_periods (opd_redis_t *redis, const opd_config_t *cfg, int64_t from, int64_t step, size_t n,
                 const char *const *group_bys, size_t ngb, groups_t *gs, char *err, size_t errlen)
{
    redisReply *ids = opd_redis_command (redis, "ZRANGEBYSCORE " OPD_KEY_IDX_ALL " %lld (%lld WITHSCORES",
                                         (long long) from, (long long) (from + (int64_t) n * step));
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        snprintf (err, errlen, "unavailable: Redis: %s",
                  ids && ids->type == REDIS_REPLY_ERROR ? ids->str : opd_redis_error (redis));
        if (ids)
            freeReplyObject (ids);
        return -1;
    }
    size_t count = ids->elements / 2;
    bool failed = false;
    for (size_t at = 0; at < count && !failed; at += READ_BATCH) {
        size_t m = count - at < READ_BATCH ? count - at : READ_BATCH;
        size_t sent = 0;
        for (size_t i = 0; i < m && !failed; i++) {
            opd_args_t a;
            opd_args_init (&a);
            opd_args_add (&a, "HMGET");
            const char *id = opd_reply_str (ids, 2 * (at + i));
            opd_args_addf (&a, OPD_KEY_TICKET_FMT, id ? id : "");
            for (int f = 0; s_fields[f]; f++)
                opd_args_add (&a, s_fields[f]);
            if (opd_redis_append_argv (redis, &a) == 0)
                sent++;
            else
                failed = true;
            opd_args_free (&a);
        }
        for (size_t i = 0; i < sent; i++) {
            redisReply *r = opd_redis_get_reply (redis);
            if (!r) {
                failed = true;
                break;
            }
            int64_t created = s_int (opd_reply_str (ids, 2 * (at + i) + 1));
            size_t period = (size_t) ((created - from) / step);
            if (period < n)
                s_count_ticket (cfg, r, group_bys, ngb, &gs[period], n);
            freeReplyObject (r);
        }
    }
    freeReplyObject (ids);
    if (failed) {
        snprintf (err, errlen, "unavailable: Redis: %s", opd_redis_error (redis));
        opd_redis_disconnect (redis);
        return -1;
    }
    return 0;
}

//  The report's JSON of one period's groups (sorted here).
static json_t *
s_report_json (groups_t *gs, int64_t from_ms, int64_t to_ms, const char *group_by)
{
    if (gs->n)
        qsort (gs->v, gs->n, sizeof *gs->v, s_cmp_group);
    json_t *groups = json_array ();
    for (size_t i = 0; i < gs->n; i++) {
        json_t *slo = json_object ();
        for (int c = 0; c < 3; c++)
            json_object_set_new (slo, opd_slo_names[c], s_slo_json (&gs->v[i].slo[c], c != 1));
        json_array_append_new (groups, json_pack ("{s:o, s:o}", "key",
                                                  gs->v[i].key ? json_string (gs->v[i].key) : json_null (),
                                                  "slo", slo));
    }
    return json_pack ("{s:o, s:o, s:s, s:o}", "from", s_time (from_ms), "to", s_time (to_ms), "group_by",
                      group_by, "groups", groups);
}

static void
s_groups_free (groups_t *gs)
{
    for (size_t i = 0; i < gs->n; i++) {
        free (gs->v[i].key);
        for (int c = 0; c < 3; c++)
            free (gs->v[i].slo[c].times);
    }
    free (gs->v);
}

static bool
s_group_by_valid (const char *group_by, char *err, size_t errlen)
{
    if (!strcmp (group_by, "priority") || !strcmp (group_by, "team") || !strcmp (group_by, "policy"))
        return true;
    snprintf (err, errlen, "invalid: group_by must be priority, team or policy, not '%s'", group_by);
    return false;
}

json_t *
opd_slo_report_series (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t step_ms,
                       size_t n, const char *const *group_bys, size_t ngb, char *err, size_t errlen)
{
    for (size_t g = 0; g < ngb; g++)
        if (!s_group_by_valid (group_bys[g], err, errlen))
            return NULL;
    if (ngb > 3) {
        snprintf (err, errlen, "invalid: at most three groupings");
        return NULL;
    }
    if (step_ms <= 0 || n == 0 || ngb == 0) {
        snprintf (err, errlen, "invalid: the period is empty: 'from' must be before 'to'");
        return NULL;
    }
    groups_t *gs = opd_calloc (n * ngb, sizeof *gs);
    json_t *out = NULL;
    if (s_count_periods (redis, cfg, from_ms, step_ms, n, group_bys, ngb, gs, err, errlen) == 0) {
        out = json_object ();
        for (size_t g = 0; g < ngb; g++) {
            json_t *series = json_array ();
            for (size_t i = 0; i < n; i++)
                json_array_append_new (series, s_report_json (&gs[g * n + i], from_ms + (int64_t) i * step_ms,
                                                              from_ms + (int64_t) (i + 1) * step_ms, group_bys[g]));
            json_object_set_new (out, group_bys[g], series);
        }
    }
    for (size_t i = 0; i < n * ngb; i++)
        s_groups_free (&gs[i]);
    free (gs);
    return out;
}

json_t *
opd_slo_report (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t to_ms,
                const char *group_by, char *err, size_t errlen)
{
    if (!group_by || !*group_by)
        group_by = "priority";
    if (!s_group_by_valid (group_by, err, errlen))
        return NULL;
    if (to_ms <= from_ms) {
        snprintf (err, errlen, "invalid: the period is empty: 'from' must be before 'to'");
        return NULL;
    }
    json_t *series = opd_slo_report_series (redis, cfg, from_ms, to_ms - from_ms, 1, &group_by, 1, err, errlen);
    json_t *out = series ? json_incref (json_array_get (json_object_get (series, group_by), 0)) : NULL;
    json_decref (series);
    return out;
}

//  --- Comparing two periods -----------------------------------------------------

static json_t *
s_find_group (const json_t *report, const json_t *key)
{
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get (report, "groups"), i, g) {
        if (json_equal (json_object_get (g, "key"), (json_t *) key))
            return g;
    }
    return NULL;
}

static json_t *
s_delta (const json_t *cur, const json_t *prev)
{
    if (!json_is_number (cur) || !json_is_number (prev))
        return json_null ();
    if (json_is_integer (cur) && json_is_integer (prev))
        return json_integer (json_integer_value (cur) - json_integer_value (prev));
    return json_real (json_number_value (cur) - json_number_value (prev));
}

static json_t *
s_empty_slo (const json_t *like)
{
    json_t *o = json_pack ("{s:i, s:i, s:i, s:i, s:i, s:n, s:n, s:n, s:n}", "tickets", 0, "met", 0,
                           "breached", 0, "running", 0, "paused", 0, "attainment", "error_budget_left",
                           "mean_working_ms", "p90_working_ms");
    json_t *obj = json_object_get (like, "objective");
    json_object_set_new (o, "objective", obj ? json_copy (obj) : json_null ());
    return o;
}

static const char *const s_compared[] = {"attainment", "mean_working_ms", "p90_working_ms", NULL};

static void
s_compare_group (json_t *g, const json_t *prev_group)
{
    json_t *slo = json_object_get (g, "slo");
    for (int c = 0; c < 3; c++) {
        json_t *cur = json_object_get (slo, opd_slo_names[c]);
        const json_t *pslo = prev_group ? json_object_get (json_object_get (prev_group, "slo"), opd_slo_names[c]) : NULL;
        if (!cur)
            continue;
        json_t *previous = json_object (), *change = json_object ();
        json_object_set_new (previous, "tickets",
                             json_integer (pslo ? json_integer_value (json_object_get (pslo, "tickets")) : 0));
        for (int k = 0; s_compared[k]; k++) {
            json_t *pv = pslo ? json_object_get (pslo, s_compared[k]) : NULL;
            json_object_set_new (previous, s_compared[k], pv ? json_copy (pv) : json_null ());
            json_object_set_new (change, s_compared[k], s_delta (json_object_get (cur, s_compared[k]), pv));
        }
        json_object_set_new (cur, "previous", previous);
        json_object_set_new (cur, "change", change);
    }
}

json_t *
opd_slo_report_compare (const json_t *current, const json_t *previous)
{
    json_t *out = json_deep_copy (current);
    if (!out)
        return NULL;
    json_object_set_new (out, "previous",
                         json_pack ("{s:O, s:O}", "from", json_object_get (previous, "from"), "to",
                                    json_object_get (previous, "to")));
    json_t *groups = json_object_get (out, "groups");
    size_t i;
    json_t *g;
    json_array_foreach (groups, i, g) {
        s_compare_group (g, s_find_group (previous, json_object_get (g, "key")));
    }
    //  Groups that had tickets only in the previous period.
    json_array_foreach (json_object_get (previous, "groups"), i, g) {
        if (s_find_group (current, json_object_get (g, "key")))
            continue;
        json_t *slo = json_object ();
        for (int c = 0; c < 3; c++)
            json_object_set_new (slo, opd_slo_names[c],
                                 s_empty_slo (json_object_get (json_object_get (g, "slo"), opd_slo_names[c])));
        json_t *ng = json_pack ("{s:O, s:o}", "key", json_object_get (g, "key"), "slo", slo);
        s_compare_group (ng, g);
        json_array_append_new (groups, ng);
    }
    return out;
}
