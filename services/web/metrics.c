/*  metrics: see metrics.h. */
#include "metrics.h"
#include "opd_slo_burn.h"
#include "opd_slo_measure.h"
#include "opd_slo_policy.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The integer a Redis string holds (0 for none).
static int64_t
s_int (const char *s)
{
    return s && *s ? strtoll (s, NULL, 10) : 0;
}

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

//  A label value as the text format wants it: \, " and newline escaped.
static void
s_label (GString *s, const char *v)
{
    metrics_label (s, v);
}

void
metrics_label (GString *s, const char *v)
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
            if (opd_slo_target (&cfg->policies[i], c) > 0)
                v[n++] = (pair_t) {opd_strdup (cfg->policies[i].name), opd_slo_names[c]};
    for (size_t i = 0; stats && stats->type == REDIS_REPLY_ARRAY && i + 1 < stats->elements; i += 2) {
        //  "met|<policy>|<slo>" or "breached|<policy>|<slo>".
        const char *f = opd_reply_str (stats, i);
        const char *b1 = f ? strchr (f, '|') : NULL;
        const char *b2 = b1 ? strrchr (f, '|') : NULL;
        if (!b1 || b2 == b1)
            continue;
        const char *slo = NULL;
        for (int c = 0; c < 3; c++)
            if (!strcmp (b2 + 1, opd_slo_names[c]))
                slo = opd_slo_names[c];
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
metrics_slo_text (opd_redis_t *redis, const opd_config_t *cfg)
{
    redisReply *stats = opd_redis_command (redis, "HGETALL " OPD_KEY_STATS_SLO);
    redisReply *hist = stats ? opd_redis_command (redis, "HGETALL " OPD_KEY_STATS_SLO_HIST) : NULL;
    redisReply *gauges = hist ? opd_redis_command (redis, "HGETALL " OPD_KEY_STATS_SLO_GAUGES) : NULL;
    redisReply *risk = gauges ? opd_redis_command (redis, "ZCARD " OPD_KEY_SLO_RISK) : NULL;
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
