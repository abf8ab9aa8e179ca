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
    next_reply has no times (null). Clocks met after they breached count in
    the times too: the time to respond is what the requester waited. */
#include "opd_slo_report.h"
#include "opd_calendar.h"
#include "opd_log.h"
#include "opd_util.h"
#include <glib.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BATCH 1000
static const char *const s_slo_names[] = {"first_response", "next_reply", "resolution"};

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

double
opd_slo_burn_rate (long met, long breached, double objective)
{
    if (met + breached <= 0 || !(objective > 0 && objective < 1))
        return 0;
    return ((double) breached / (double) (met + breached)) / (1.0 - objective);
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

int64_t
opd_slo_p90 (int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort (v, n, sizeof *v, s_cmp_i64);
    //  Nearest rank: the ceil(0.9 n)-th smallest, computed in integers.
    size_t rank = (9 * n + 9) / 10;
    return v[rank - 1];
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

bool
opd_slo_burn_alert (double rate_long, double rate_short, double threshold)
{
    return rate_long > threshold && rate_short > threshold;
}

//  --- Helpers ----------------------------------------------------------------

static const opd_policy_t *
s_policy (const opd_config_t *cfg, const char *name)
{
    for (size_t i = 0; name && i < cfg->npolicies; i++)
        if (!strcmp (cfg->policies[i].name, name))
            return &cfg->policies[i];
    return NULL;
}

static int64_t
s_target (const opd_policy_t *p, int c)
{
    return c == 0 ? p->first_response : c == 1 ? p->next_reply : p->resolution;
}

static bool
s_has_objective (const opd_policy_t *p)
{
    return p && p->objective > 0 && p->objective < 1;
}

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

//  Working time from..to on the policy's calendar (real time without one).
static int64_t
s_working (const opd_config_t *cfg, const opd_policy_t *p, int64_t from, int64_t to,
           const char *pauses)
{
    if (to <= from)
        return 0;
    const opd_calendar_t *cal = p && p->calendar ? opd_config_calendar (cfg, p->calendar) : NULL;
    opd_timespan_t *skip = NULL;
    size_t nskip = opd_timespans_parse (pauses, &skip);
    int64_t w;
    if (cal)
        w = opd_calendar_worktime_skipping (cal, from, to, skip, nskip);
    else {
        //  No calendar: real time less the pauses (clipped to [from, to)).
        w = to - from;
        for (size_t i = 0; i < nskip; i++) {
            int64_t a = skip[i].from > from ? skip[i].from : from;
            int64_t b = skip[i].to < to ? skip[i].to : to;
            if (b > a)
                w -= b - a;
        }
        if (w < 0)
            w = 0;
    }
    free (skip);
    return w;
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
enum { F_PRIORITY, F_TEAM, F_POLICY, F_RECEIVED, F_CREATED, F_PAUSES, F_CLOCKS };
static const char *const s_fields[] = {"priority", "team", "slo_policy", "received_at", "created_at",
                                       "res_pauses", "fr_state", "fr_met", "nr_state", "nr_met",
                                       "res_state", "res_met", NULL};

static void
s_count_ticket (const opd_config_t *cfg, const redisReply *r, const char *group_by, groups_t *gs)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < F_CLOCKS + 6)
        return;
    const char *key = opd_reply_str (r, !strcmp (group_by, "team") ? F_TEAM
                                        : !strcmp (group_by, "policy") ? F_POLICY : F_PRIORITY);
    if (!opd_reply_str (r, F_CREATED))
        return;  //  gone meanwhile
    group_t *g = s_group (gs, key);
    const opd_policy_t *p = s_policy (cfg, opd_reply_str (r, F_POLICY));
    int64_t received = s_int (opd_reply_str (r, F_RECEIVED));
    if (!received)
        received = s_int (opd_reply_str (r, F_CREATED));
    for (int c = 0; c < 3; c++) {
        const char *state = opd_reply_str (r, F_CLOCKS + 2 * c);
        if (!state)
            continue;
        slo_acc_t *a = &g->slo[c];
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
        if (s_has_objective (p)) {
            a->obj_sum += p->objective;
            a->obj_n++;
            if (finished) {
                a->finished_obj++;
                a->allowed += 1.0 - p->objective;
                if (breached)
                    a->breached_obj++;
            }
        }
        int64_t met_at = s_int (opd_reply_str (r, F_CLOCKS + 2 * c + 1));
        if (met_at && c != 1)
            s_add_time (a, s_working (cfg, p, received, met_at,
                                      c == 2 ? opd_reply_str (r, F_PAUSES) : NULL));
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

json_t *
opd_slo_report (opd_redis_t *redis, const opd_config_t *cfg, int64_t from_ms, int64_t to_ms,
                const char *group_by, char *err, size_t errlen)
{
    if (!group_by || !*group_by)
        group_by = "priority";
    if (strcmp (group_by, "priority") && strcmp (group_by, "team") && strcmp (group_by, "policy")) {
        snprintf (err, errlen, "invalid: group_by must be priority, team or policy, not '%s'", group_by);
        return NULL;
    }
    if (to_ms <= from_ms) {
        snprintf (err, errlen, "invalid: the period is empty: 'from' must be before 'to'");
        return NULL;
    }
    redisReply *ids = opd_redis_command (redis, "ZRANGEBYSCORE opd:idx:all %lld (%lld",
                                         (long long) from_ms, (long long) to_ms);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        snprintf (err, errlen, "unavailable: Redis: %s",
                  ids && ids->type == REDIS_REPLY_ERROR ? ids->str : opd_redis_error (redis));
        if (ids)
            freeReplyObject (ids);
        return NULL;
    }
    groups_t gs = {0};
    bool failed = false;
    for (size_t at = 0; at < ids->elements && !failed; at += READ_BATCH) {
        size_t n = ids->elements - at < READ_BATCH ? ids->elements - at : READ_BATCH;
        size_t sent = 0;
        for (size_t i = 0; i < n; i++) {
            opd_args_t a;
            opd_args_init (&a);
            opd_args_add (&a, "HMGET");
            opd_args_addf (&a, "opd:t:%s", opd_reply_str (ids, at + i) ? opd_reply_str (ids, at + i) : "");
            for (int f = 0; s_fields[f]; f++)
                opd_args_add (&a, s_fields[f]);
            if (opd_redis_append_argv (redis, &a) == 0)
                sent++;
            else
                failed = true;
            opd_args_free (&a);
            if (failed)
                break;
        }
        for (size_t i = 0; i < sent; i++) {
            redisReply *r = opd_redis_get_reply (redis);
            if (!r) {
                failed = true;
                break;
            }
            s_count_ticket (cfg, r, group_by, &gs);
            freeReplyObject (r);
        }
    }
    freeReplyObject (ids);
    json_t *out = NULL;
    if (failed) {
        snprintf (err, errlen, "unavailable: Redis: %s", opd_redis_error (redis));
        opd_redis_disconnect (redis);
    }
    else {
        if (gs.n)
            qsort (gs.v, gs.n, sizeof *gs.v, s_cmp_group);
        json_t *groups = json_array ();
        for (size_t i = 0; i < gs.n; i++) {
            json_t *slo = json_object ();
            for (int c = 0; c < 3; c++)
                json_object_set_new (slo, s_slo_names[c], s_slo_json (&gs.v[i].slo[c], c != 1));
            json_array_append_new (groups, json_pack ("{s:o, s:o}", "key",
                                                      gs.v[i].key ? json_string (gs.v[i].key) : json_null (),
                                                      "slo", slo));
        }
        out = json_pack ("{s:o, s:o, s:s, s:o}", "from", s_time (from_ms), "to", s_time (to_ms),
                         "group_by", group_by, "groups", groups);
    }
    for (size_t i = 0; i < gs.n; i++) {
        free (gs.v[i].key);
        for (int c = 0; c < 3; c++)
            free (gs.v[i].slo[c].times);
    }
    free (gs.v);
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
        json_t *cur = json_object_get (slo, s_slo_names[c]);
        const json_t *pslo = prev_group ? json_object_get (json_object_get (prev_group, "slo"), s_slo_names[c]) : NULL;
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
            json_object_set_new (slo, s_slo_names[c],
                                 s_empty_slo (json_object_get (json_object_get (g, "slo"), s_slo_names[c])));
        json_t *ng = json_pack ("{s:O, s:o}", "key", json_object_get (g, "key"), "slo", slo);
        s_compare_group (ng, g);
        json_array_append_new (groups, ng);
    }
    return out;
}

//  --- Burn rates ---------------------------------------------------------------------

//  A window's length as a label: "5m", "6h", "90s", "1h30m".
static void
s_window_label (int64_t ms, char *buf, size_t size)
{
    long long s = (long long) (ms / 1000);
    if (s % 60)
        snprintf (buf, size, "%llds", s);
    else if (s % 3600 == 0)
        snprintf (buf, size, "%lldh", s / 3600);
    else if (s > 3600)
        snprintf (buf, size, "%lldh%lldm", s / 3600, s / 60 % 60);
    else
        snprintf (buf, size, "%lldm", s / 60);
}

void
opd_slo_burn_settings (const opd_config_t *cfg, int64_t *window_ms, opd_burn_alert_t *fast,
                       opd_burn_alert_t *slow)
{
    //  A configuration made by hand (zeroed) gets the defaults.
    *window_ms = cfg->burn_window_ms > 0 ? cfg->burn_window_ms : OPD_SLO_WINDOW_MS;
    *fast = cfg->burn_fast.long_ms > 0 ? cfg->burn_fast
                                       : (opd_burn_alert_t) {OPD_BURN_FAST_LONG_MS, OPD_BURN_FAST_SHORT_MS,
                                                             OPD_BURN_FAST_THRESHOLD};
    *slow = cfg->burn_slow.long_ms > 0 ? cfg->burn_slow
                                       : (opd_burn_alert_t) {OPD_BURN_SLOW_LONG_MS, OPD_BURN_SLOW_SHORT_MS,
                                                             OPD_BURN_SLOW_THRESHOLD};
}

int
opd_slo_burn_compute (opd_redis_t *redis, const opd_config_t *cfg, int64_t now, opd_slo_burn_t **out)
{
    int64_t window;
    opd_burn_alert_t fast, slow;
    opd_slo_burn_settings (cfg, &window, &fast, &slow);
    //  In the order of the rate fields: budget, fast short, slow short, fast long, slow long.
    const int64_t windows[] = {window, fast.short_ms, slow.short_ms, fast.long_ms, slow.long_ms};
    enum { NW = 5 };
    *out = NULL;
    size_t cap = cfg->npolicies * 3, n = 0;
    if (cap == 0)
        return 0;
    opd_slo_burn_t *v = opd_calloc (cap, sizeof *v);
    for (size_t i = 0; i < cfg->npolicies; i++) {
        const opd_policy_t *p = &cfg->policies[i];
        if (!s_has_objective (p))
            continue;
        for (int c = 0; c < 3; c++)
            if (s_target (p, c) > 0)
                v[n++] = (opd_slo_burn_t) {.policy = p->name, .slo = s_slo_names[c], .objective = p->objective};
    }
    //  Two ZCOUNTs (met, breached) per window, every SLO in one pipeline.
    size_t sent = 0;
    bool failed = false;
    for (size_t i = 0; i < n && !failed; i++)
        for (int w = 0; w < NW && !failed; w++)
            for (int o = 0; o < 2 && !failed; o++) {
                opd_args_t a;
                opd_args_init (&a);
                opd_args_add (&a, "ZCOUNT");
                opd_args_addf (&a, "opd:slo:done:%s:%s:%s", v[i].policy, v[i].slo, o ? "breached" : "met");
                opd_args_addi (&a, now - windows[w]);
                opd_args_add (&a, "+inf");
                if (opd_redis_append_argv (redis, &a) == 0)
                    sent++;
                else
                    failed = true;
                opd_args_free (&a);
            }
    long *counts = opd_calloc (sent + 1, sizeof *counts);
    for (size_t k = 0; k < sent; k++) {
        redisReply *r = opd_redis_get_reply (redis);
        if (!r) {
            failed = true;
            break;
        }
        counts[k] = r->type == REDIS_REPLY_INTEGER ? (long) r->integer : 0;
        freeReplyObject (r);
    }
    if (failed) {
        free (counts);
        free (v);
        opd_redis_disconnect (redis);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        long *k = &counts[i * NW * 2];
        double rate[NW];
        for (int w = 0; w < NW; w++)
            rate[w] = opd_slo_burn_rate (k[2 * w], k[2 * w + 1], v[i].objective);
        v[i].met = k[0];
        v[i].breached = k[1];
        v[i].budget_spent = rate[0];
        v[i].rate_5m = rate[1];
        v[i].rate_30m = rate[2];
        v[i].rate_1h = rate[3];
        v[i].rate_6h = rate[4];
        v[i].fast = opd_slo_burn_alert (v[i].rate_1h, v[i].rate_5m, fast.threshold);
        v[i].slow = opd_slo_burn_alert (v[i].rate_6h, v[i].rate_30m, slow.threshold);
    }
    free (counts);
    *out = v;
    return (int) n;
}

//  --- Histograms ----------------------------------------------------------------

const int64_t opd_slo_hist_bounds_s[] = {60,    300,   900,    1800,   3600,   7200,  14400,
                                         28800, 57600, 86400,  172800, 432000, 864000};
const size_t opd_slo_hist_nbounds = sizeof opd_slo_hist_bounds_s / sizeof opd_slo_hist_bounds_s[0];

//  The bucket of a working time: the first bound it does not exceed, or
//  opd_slo_hist_nbounds for +Inf. Buckets are kept per bucket (not
//  cumulative) in opd:stats:slo:hist, field "<policy>|<slo>|<bucket>",
//  with "<policy>|<slo>|sum_ms" and "<policy>|<slo>|count".
static size_t
s_bucket (int64_t ms)
{
    size_t b = 0;
    while (b < opd_slo_hist_nbounds && ms > opd_slo_hist_bounds_s[b] * 1000)
        b++;
    return b;
}

int
opd_slo_measure (opd_redis_t *redis, const opd_config_t *cfg, int max)
{
    redisReply *m = opd_redis_command (redis, "ZRANGE opd:slo:measure 0 %d", max - 1);
    if (!m)
        return -1;
    size_t n = m->type == REDIS_REPLY_ARRAY ? m->elements : 0;
    if (n == 0) {
        freeReplyObject (m);
        return 0;
    }
    //  Members are "<ID>|<fr|res>|<met_at>".
    for (size_t i = 0; i < n; i++) {
        const char *member = opd_reply_str (m, i);
        const char *bar = member ? strchr (member, '|') : NULL;
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "HMGET");
        opd_args_addf (&a, "opd:t:%.*s", bar ? (int) (bar - member) : 0, member ? member : "");
        opd_args_add (&a, "slo_policy");
        opd_args_add (&a, "received_at");
        opd_args_add (&a, "res_pauses");
        int rc = opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        if (rc) {
            freeReplyObject (m);
            return -1;
        }
    }
    redisReply **t = opd_calloc (n, sizeof *t);
    int rc = (int) n;
    for (size_t i = 0; i < n; i++)
        if (!(t[i] = opd_redis_get_reply (redis)))
            rc = -1;
    //  Each measurement and its removal from the queue in one MULTI, so that
    //  a crash never counts one twice.
    size_t replies = 0;
    for (size_t i = 0; rc > 0 && i < n; i++) {
        const char *member = opd_reply_str (m, i);
        char *copy = opd_strdup (member ? member : "");
        char *b1 = strchr (copy, '|'), *b2 = b1 ? strchr (b1 + 1, '|') : NULL;
        const char *policy = opd_reply_str (t[i], 0);
        opd_args_t a;
        opd_args_init (&a);
        opd_args_add (&a, "MULTI");
        opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        replies++;
        if (b1 && b2 && policy && opd_reply_str (t[i], 1)) {
            *b1 = *b2 = 0;
            const char *clock = b1 + 1;
            int64_t met_at = s_int (b2 + 1);
            int64_t start = s_int (opd_reply_str (t[i], 1));
            const opd_policy_t *p = s_policy (cfg, policy);
            int64_t ms = s_working (cfg, p, start, met_at,
                                    !strcmp (clock, "res") ? opd_reply_str (t[i], 2) : NULL);
            const char *slo = !strcmp (clock, "fr") ? "first_response" : "resolution";
            char field[256];
            const char *suffix[3] = {NULL, "sum_ms", "count"};
            char bucket[24];
            snprintf (bucket, sizeof bucket, "%zu", s_bucket (ms));
            suffix[0] = bucket;
            for (int k = 0; k < 3; k++) {
                snprintf (field, sizeof field, "%s|%s|%s", policy, slo, suffix[k]);
                opd_args_init (&a);
                opd_args_add (&a, "HINCRBY");
                opd_args_add (&a, "opd:stats:slo:hist");
                opd_args_add (&a, field);
                opd_args_addi (&a, k == 1 ? ms : 1);
                opd_redis_append_argv (redis, &a);
                opd_args_free (&a);
                replies++;
            }
        }
        opd_args_init (&a);
        opd_args_add (&a, "ZREM");
        opd_args_add (&a, "opd:slo:measure");
        opd_args_add (&a, member ? member : "");
        opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        opd_args_init (&a);
        opd_args_add (&a, "EXEC");
        opd_redis_append_argv (redis, &a);
        opd_args_free (&a);
        replies += 2;
        free (copy);
    }
    for (size_t i = 0; i < replies; i++) {
        redisReply *r = opd_redis_get_reply (redis);
        if (!r) {
            rc = -1;
            break;
        }
        freeReplyObject (r);
    }
    for (size_t i = 0; i < n; i++)
        if (t[i])
            freeReplyObject (t[i]);
    free (t);
    freeReplyObject (m);
    if (rc < 0)
        opd_redis_disconnect (redis);
    return rc;
}

//  --- Gauges -------------------------------------------------------------------------

//  Paused clocks: the pending tickets whose resolution clock is paused.
static long
s_count_paused (opd_redis_t *redis, bool *failed)
{
    redisReply *ids = opd_redis_command (redis, "ZRANGE opd:idx:status:pending 0 -1");
    if (!ids) {
        *failed = true;
        return 0;
    }
    long paused = 0;
    size_t n = ids->type == REDIS_REPLY_ARRAY ? ids->elements : 0;
    for (size_t at = 0; at < n && !*failed; at += READ_BATCH) {
        size_t k = n - at < READ_BATCH ? n - at : READ_BATCH, sent = 0;
        for (size_t i = 0; i < k; i++) {
            opd_args_t a;
            opd_args_init (&a);
            opd_args_add (&a, "HGET");
            opd_args_addf (&a, "opd:t:%s", opd_reply_str (ids, at + i) ? opd_reply_str (ids, at + i) : "");
            opd_args_add (&a, "res_state");
            if (opd_redis_append_argv (redis, &a) == 0)
                sent++;
            opd_args_free (&a);
        }
        for (size_t i = 0; i < sent; i++) {
            redisReply *r = opd_redis_get_reply (redis);
            if (!r) {
                *failed = true;
                break;
            }
            if (r->type == REDIS_REPLY_STRING && !strcmp (r->str, "paused"))
                paused++;
            freeReplyObject (r);
        }
    }
    freeReplyObject (ids);
    return paused;
}

int
opd_slo_gauges_step (opd_redis_t *redis, opd_slo_gauges_t *g, int count)
{
    if (!g->active) {
        g->active = true;
        g->running = 0;
        snprintf (g->cursor, sizeof g->cursor, "0");
    }
    redisReply *r = opd_redis_command (redis, "ZSCAN opd:timers %s COUNT %d", g->cursor, count);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        if (r)
            freeReplyObject (r);
        g->active = false;
        return -1;
    }
    const redisReply *items = r->element[1];
    //  Running clocks are those with a breach timer ("ID|clock|b"). ZSCAN
    //  may return a member twice during a rehash: a count off by a few for
    //  one pass, never a drift, since every pass starts from zero.
    for (size_t i = 0; items->type == REDIS_REPLY_ARRAY && i + 1 < items->elements; i += 2) {
        const char *member = opd_reply_str (items, i);
        size_t len = member ? strlen (member) : 0;
        if (len > 2 && member[len - 2] == '|' && member[len - 1] == 'b')
            g->running++;
    }
    snprintf (g->cursor, sizeof g->cursor, "%s", opd_reply_str (r, 0) ? opd_reply_str (r, 0) : "0");
    freeReplyObject (r);
    if (strcmp (g->cursor, "0"))
        return 0;
    g->active = false;
    bool failed = false;
    long paused = s_count_paused (redis, &failed);
    if (failed)
        return -1;
    r = opd_redis_command (redis, "HSET opd:stats:slo:gauges running %ld paused %ld at %lld", g->running,
                           paused, (long long) opd_now_ms ());
    if (!r)
        return -1;
    freeReplyObject (r);
    return 1;
}

//  --- Metrics text ------------------------------------------------------------------

//  A label value as the text format wants it: \, " and newline escaped.
static void
s_label (GString *s, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            g_string_append_c (s, '\\'), g_string_append_c (s, *v);
        else if (*v == '\n')
            g_string_append (s, "\\n");
        else
            g_string_append_c (s, *v);
    }
}

static void
s_family (GString *s, const char *name, const char *type, const char *help)
{
    g_string_append_printf (s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

//  A number in the text format (Go's ParseFloat reads "NaN", "+Inf").
static void
s_number (GString *s, double v)
{
    if (isnan (v))
        g_string_append (s, "NaN");
    else if (isinf (v))
        g_string_append (s, v > 0 ? "+Inf" : "-Inf");
    else
        g_string_append_printf (s, "%.17g", v);
}

typedef struct {
    char *policy;
    const char *slo;
} pair_t;

//  Every (policy, SLO) of the configuration, then those only in the stats
//  (a policy since removed keeps its counters).
static size_t
s_pairs (const opd_config_t *cfg, const redisReply *stats, pair_t **out)
{
    size_t cap = cfg->npolicies * 3 + (stats && stats->type == REDIS_REPLY_ARRAY ? stats->elements : 0) + 1;
    pair_t *v = opd_calloc (cap, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < cfg->npolicies; i++)
        for (int c = 0; c < 3; c++)
            if (s_target (&cfg->policies[i], c) > 0)
                v[n++] = (pair_t) {opd_strdup (cfg->policies[i].name), s_slo_names[c]};
    for (size_t i = 0; stats && stats->type == REDIS_REPLY_ARRAY && i + 1 < stats->elements; i += 2) {
        //  "met|<policy>|<slo>" or "breached|<policy>|<slo>".
        const char *f = opd_reply_str (stats, i);
        const char *b1 = f ? strchr (f, '|') : NULL;
        const char *b2 = b1 ? strrchr (f, '|') : NULL;
        if (!b1 || b2 == b1)
            continue;
        const char *slo = NULL;
        for (int c = 0; c < 3; c++)
            if (!strcmp (b2 + 1, s_slo_names[c]))
                slo = s_slo_names[c];
        if (!slo)
            continue;
        char *policy = opd_strndup (b1 + 1, (size_t) (b2 - b1 - 1));
        bool known = false;
        for (size_t k = 0; k < n && !known; k++)
            known = !strcmp (v[k].policy, policy) && v[k].slo == slo;
        if (known)
            free (policy);
        else
            v[n++] = (pair_t) {policy, slo};
    }
    *out = v;
    return n;
}

static long long
s_hash_int (const redisReply *h, const char *field)
{
    for (size_t i = 0; h && h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements; i += 2)
        if (opd_reply_str (h, i) && !strcmp (opd_reply_str (h, i), field))
            return s_int (opd_reply_str (h, i + 1));
    return 0;
}

static void
s_hist (GString *s, const char *name, const char *slo, const char *help, const pair_t *pairs,
        size_t npairs, const redisReply *hist)
{
    s_family (s, name, "histogram", help);
    for (size_t i = 0; i < npairs; i++) {
        if (strcmp (pairs[i].slo, slo))
            continue;
        char field[256];
        long long cum = 0;
        for (size_t b = 0; b <= opd_slo_hist_nbounds; b++) {
            snprintf (field, sizeof field, "%s|%s|%zu", pairs[i].policy, slo, b);
            cum += s_hash_int (hist, field);
            g_string_append_printf (s, "%s_bucket{policy=\"", name);
            s_label (s, pairs[i].policy);
            if (b < opd_slo_hist_nbounds)
                g_string_append_printf (s, "\",le=\"%lld\"} %lld\n", (long long) opd_slo_hist_bounds_s[b], cum);
            else
                g_string_append_printf (s, "\",le=\"+Inf\"} %lld\n", cum);
        }
        snprintf (field, sizeof field, "%s|%s|sum_ms", pairs[i].policy, slo);
        g_string_append_printf (s, "%s_sum{policy=\"", name);
        s_label (s, pairs[i].policy);
        g_string_append (s, "\"} ");
        s_number (s, (double) s_hash_int (hist, field) / 1000.0);
        snprintf (field, sizeof field, "%s|%s|count", pairs[i].policy, slo);
        g_string_append_printf (s, "\n%s_count{policy=\"", name);
        s_label (s, pairs[i].policy);
        //  The count is the +Inf bucket, which it must equal.
        g_string_append_printf (s, "\"} %lld\n", cum);
    }
}

char *
opd_slo_metrics_text (opd_redis_t *redis, const opd_config_t *cfg)
{
    redisReply *stats = opd_redis_command (redis, "HGETALL opd:stats:slo");
    redisReply *hist = stats ? opd_redis_command (redis, "HGETALL opd:stats:slo:hist") : NULL;
    redisReply *gauges = hist ? opd_redis_command (redis, "HGETALL opd:stats:slo:gauges") : NULL;
    redisReply *risk = gauges ? opd_redis_command (redis, "ZCARD opd:slo:risk") : NULL;
    opd_slo_burn_t *burn = NULL;
    int nburn = risk ? opd_slo_burn_compute (redis, cfg, opd_now_ms (), &burn) : -1;
    char *text = NULL;
    if (nburn >= 0) {
        pair_t *pairs;
        size_t npairs = s_pairs (cfg, stats, &pairs);
        GString *s = g_string_sized_new (4096);
        const char *outcome[2] = {"met", "breached"};
        const char *help[2] = {"SLO clocks met within their target.",
                               "SLO clocks that breached their target (met later or not)."};
        for (int o = 0; o < 2; o++) {
            char name[64], field[256];
            snprintf (name, sizeof name, "opdesk_slo_%s_total", outcome[o]);
            s_family (s, name, "counter", help[o]);
            for (size_t i = 0; i < npairs; i++) {
                snprintf (field, sizeof field, "%s|%s|%s", outcome[o], pairs[i].policy, pairs[i].slo);
                g_string_append_printf (s, "%s{policy=\"", name);
                s_label (s, pairs[i].policy);
                g_string_append_printf (s, "\",slo=\"%s\"} %lld\n", pairs[i].slo, s_hash_int (stats, field));
            }
        }
        s_family (s, "opdesk_slo_clocks", "gauge",
                  "SLO clocks now: running, paused (pending tickets), at_risk (warned, still running).");
        g_string_append_printf (s, "opdesk_slo_clocks{state=\"running\"} %lld\n", s_hash_int (gauges, "running"));
        g_string_append_printf (s, "opdesk_slo_clocks{state=\"paused\"} %lld\n", s_hash_int (gauges, "paused"));
        g_string_append_printf (s, "opdesk_slo_clocks{state=\"at_risk\"} %lld\n",
                                risk->type == REDIS_REPLY_INTEGER ? risk->integer : 0);
        int64_t bwindow;
        opd_burn_alert_t bfast, bslow;
        opd_slo_burn_settings (cfg, &bwindow, &bfast, &bslow);
        s_family (s, "opdesk_slo_budget_spent", "gauge",
                  "Share of the error budget spent over the rolling window (slo_burn.window, 28 days by "
                  "default; 1 = all of it).");
        for (int i = 0; i < nburn; i++) {
            g_string_append (s, "opdesk_slo_budget_spent{policy=\"");
            s_label (s, burn[i].policy);
            g_string_append_printf (s, "\",slo=\"%s\"} ", burn[i].slo);
            s_number (s, burn[i].budget_spent);
            g_string_append_c (s, '\n');
        }
        s_family (s, "opdesk_slo_burn_rate", "gauge",
                  "Error budget burn rate over a window (1 = the budget lasts exactly the rolling window).");
        //  The windows of the alerts (slo_burn), labelled by their length; two
        //  alike (configured so) are one series.
        int64_t wms[4] = {bfast.short_ms, bslow.short_ms, bfast.long_ms, bslow.long_ms};
        char wn[4][32];
        for (int w = 0; w < 4; w++)
            s_window_label (wms[w], wn[w], sizeof wn[w]);
        for (int i = 0; i < nburn; i++) {
            double wr[4] = {burn[i].rate_5m, burn[i].rate_30m, burn[i].rate_1h, burn[i].rate_6h};
            for (int w = 0; w < 4; w++) {
                bool seen = false;
                for (int x = 0; x < w; x++)
                    seen = seen || wms[x] == wms[w];
                if (seen)
                    continue;
                g_string_append (s, "opdesk_slo_burn_rate{policy=\"");
                s_label (s, burn[i].policy);
                g_string_append_printf (s, "\",slo=\"%s\",window=\"%s\"} ", burn[i].slo, wn[w]);
                s_number (s, wr[w]);
                g_string_append_c (s, '\n');
            }
        }
        s_hist (s, "opdesk_slo_time_to_first_response_seconds", "first_response",
                "Working time from receipt to the first response, of met first-response clocks.", pairs,
                npairs, hist);
        s_hist (s, "opdesk_slo_time_to_resolution_seconds", "resolution",
                "Working time from receipt to resolution (pauses excluded), of met resolution clocks.",
                pairs, npairs, hist);
        for (size_t i = 0; i < npairs; i++)
            free (pairs[i].policy);
        free (pairs);
        text = opd_strdup (s->str);
        g_string_free (s, TRUE);
    }
    free (burn);
    if (stats)
        freeReplyObject (stats);
    if (hist)
        freeReplyObject (hist);
    if (gauges)
        freeReplyObject (gauges);
    if (risk)
        freeReplyObject (risk);
    return text;
}
