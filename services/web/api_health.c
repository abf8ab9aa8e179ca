/*  api_health: the two unauthenticated operational endpoints of opdesk-web,
    dispatched by api_handle (api.c) before any token is looked at:

      GET|HEAD /healthz    Redis and each service's heartbeat (opd_alive.h)
      GET      /metrics    Prometheus text: tickets, queues, SLO (metrics.c),
                           rota coverage and the HTTP answers by code */
#include "api.h"
#include "opd_rota_store.h"
#include "opd_schema.h"
#include "metrics.h"
#include "opd_alive.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

static bool
s_redis_alive (http_req_t *req)
{
    redisReply *r = opd_redis_command (http_redis (req), "PING");
    bool ok = r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) && r->str
              && !strcmp (r->str, "PONG");
    if (r)
        freeReplyObject (r);
    return ok;
}

//  Redis and the services of the deployment: each service shows its life by
//  a heartbeat in Redis (opd_alive.h), read here in one round trip. When
//  Redis does not answer, nothing can be known of the services: only
//  "redis" is named.
void
api_healthz (http_req_t *req)
{
    if (!api_is (req, "GET") && !api_is (req, "HEAD")) {
        api_method_not_allowed (req, "GET");
        return;
    }
    const char *names[OPD_ALIVE_MAX];
    int n = opd_alive_down (http_redis (req), req->cfg, names);
    json_t *down = json_array ();
    if (n < 0)
        json_array_append_new (down, json_string ("redis"));
    for (int i = 0; i < n; i++)
        json_array_append_new (down, json_string (names[i]));
    http_add_header (req, "Cache-Control", "no-store");
    if (json_array_size (down))
        http_json (req, 503, json_pack ("{s:s, s:o}", "status", "unavailable", "down", down));
    else {
        json_decref (down);
        http_json (req, 200, json_pack ("{s:s}", "status", "ok"));
    }
}

//  An integer reply of cmd, or -1.
static long long
s_count (http_req_t *req, const char *fmt, const char *arg)
{
    redisReply *r = opd_redis_command (http_redis (req), fmt, arg);
    long long n = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        n = r->integer;
    else if (r && r->type == REDIS_REPLY_STRING)
        n = atoll (r->str);
    else if (r && r->type == REDIS_REPLY_NIL)
        n = 0;
    if (r)
        freeReplyObject (r);
    return n;
}

static void
s_metric (GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static long long
s_hash_count (const redisReply *r, const char *field)
{
    for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2)
        if (r->element[k]->str && !strcmp (r->element[k]->str, field) && r->element[k + 1]->str)
            return strtoll (r->element[k + 1]->str, NULL, 10);
    return 0;
}

//  Per configured standard response: how often it was sent, by an agent or
//  automatically, and how many of its tickets were reopened within 7 days.
//  Each family's HELP and TYPE come just before its own samples.
static void
s_stdresp_used (http_req_t *req, GString *out)
{
    redisReply *r = opd_redis_command (http_redis (req), "HGETALL %s", OPD_KEY_STATS_STDRESP);
    static const char *const what[] = {"agent", "automatic", "reopened"};
    s_metric (out, "opdesk_standard_responses_sent_total", "counter",
              "Standard responses sent, by an agent or automatically as the acknowledgement.");
    for (int h = 0; h < 3; h++) {
        if (h == 2)
            s_metric (out, "opdesk_standard_responses_reopened_total", "counter",
                      "Tickets a standard response was sent on that were reopened within 7 days of their "
                      "resolution.");
        for (size_t i = 0; i < req->cfg->nstdresps; i++) {
            char field[256];
            snprintf (field, sizeof field, "%s|%s", req->cfg->stdresps[i].id, what[h]);
            g_string_append_printf (out, "opdesk_standard_responses_%s_total{response=\"", h < 2 ? "sent" : "reopened");
            metrics_label (out, req->cfg->stdresps[i].id);
            if (h < 2)
                g_string_append_printf (out, "\",by=\"%s", what[h]);
            g_string_append_printf (out, "\"} %lld\n", s_hash_count (r, field));
        }
    }
    if (r)
        freeReplyObject (r);
}

//  Per configured routing rule: tickets it routed, how many of those a
//  person moved to another team within 24 hours, and the share (0 when it
//  routed none): the rule a lead should look at first.
static void
s_route_stats (http_req_t *req, GString *out)
{
    redisReply *r = opd_redis_command (http_redis (req), "HGETALL %s", OPD_KEY_STATS_ROUTE);
    static const char *const names[] = {"opdesk_route_routed_total", "opdesk_route_misrouted_total",
                                        "opdesk_route_misroute_ratio"};
    static const char *const types[] = {"counter", "counter", "gauge"};
    static const char *const helps[] = {
        "Tickets a routing rule routed.",
        "Tickets a routing rule routed whose team a person changed within 24 hours.",
        "Misrouted tickets of a routing rule over the tickets it routed."};
    for (int m = 0; m < 3; m++) {
        s_metric (out, names[m], types[m], helps[m]);
        for (size_t i = 0; i < req->cfg->nrules; i++) {
            char routed[256], misrouted[256];
            snprintf (routed, sizeof routed, "%s|routed", req->cfg->rules[i].name);
            snprintf (misrouted, sizeof misrouted, "%s|misrouted", req->cfg->rules[i].name);
            long long n = s_hash_count (r, routed), bad = s_hash_count (r, misrouted);
            g_string_append_printf (out, "%s{rule=\"", names[m]);
            metrics_label (out, req->cfg->rules[i].name);
            if (m < 2)
                g_string_append_printf (out, "\"} %lld\n", m ? bad : n);
            else
                g_string_append_printf (out, "\"} %.6f\n", n ? (double) bad / (double) n : 0.0);
        }
    }
    if (r)
        freeReplyObject (r);
}

void
api_metrics (http_req_t *req)
{
    if (!api_is (req, "GET")) {
        api_method_not_allowed (req, "GET");
        return;
    }
    GString *out = g_string_new (NULL);
    bool up = s_redis_alive (req);
    s_metric (out, "opdesk_redis_up", "gauge", "1 when Redis answers PING.");
    g_string_append_printf (out, "opdesk_redis_up %d\n", up ? 1 : 0);
    if (up) {
        s_metric (out, "opdesk_tickets", "gauge", "Tickets by status.");
        for (int i = 0; opd_ticket_statuses[i]; i++)
            g_string_append_printf (out, "opdesk_tickets{status=\"%s\"} %lld\n", opd_ticket_statuses[i],
                                    s_count (req, "ZCARD " OPD_KEY_IDX_STATUS_FMT, opd_ticket_statuses[i]));
        s_metric (out, "opdesk_mail_sent_total", "counter", "Notifications sent by mail.");
        g_string_append_printf (out, "opdesk_mail_sent_total %lld\n",
                                s_count (req, "GET " OPD_KEY_STATS_MAIL_FMT, "mail_sent"));
        s_metric (out, "opdesk_mail_failed_total", "counter", "Notifications given up after retries.");
        g_string_append_printf (out, "opdesk_mail_failed_total %lld\n",
                                s_count (req, "GET " OPD_KEY_STATS_MAIL_FMT, "mail_failed"));
        s_metric (out, "opdesk_standard_responses_held_total", "counter",
                  "Acknowledgements sent plain because their standard response had a variable without a value.");
        g_string_append_printf (out, "opdesk_standard_responses_held_total %lld\n",
                                s_count (req, "GET " OPD_KEY_STATS_MAIL_FMT, "stdresp_held"));
        s_stdresp_used (req, out);
        s_route_stats (req, out);
        s_metric (out, "opdesk_events_stored", "gauge", "Events kept in the durable history.");
        g_string_append_printf (out, "opdesk_events_stored %lld\n", s_count (req, "XLEN %s", OPD_KEY_EVENTS));
        s_metric (out, "opdesk_slo_timers_pending", "gauge", "SLO warning and breach timers not fired yet.");
        g_string_append_printf (out, "opdesk_slo_timers_pending %lld\n",
                                s_count (req, "ZCARD %s", OPD_KEY_TIMERS));
        s_metric (out, "opdesk_unrouted_tickets", "gauge", "Tickets waiting for the router.");
        g_string_append_printf (out, "opdesk_unrouted_tickets %lld\n", s_count (req, "ZCARD %s", OPD_KEY_UNROUTED));
        s_metric (out, "opdesk_outbox_jobs", "gauge", "Notification jobs by queue.");
        g_string_append_printf (out, "opdesk_outbox_jobs{queue=\"ready\"} %lld\n",
                                s_count (req, "LLEN %s", OPD_KEY_OUTBOX_READY));
        g_string_append_printf (out, "opdesk_outbox_jobs{queue=\"busy\"} %lld\n",
                                s_count (req, "LLEN %s", OPD_KEY_OUTBOX_BUSY));
        g_string_append_printf (out, "opdesk_outbox_jobs{queue=\"retry\"} %lld\n",
                                s_count (req, "ZCARD %s", OPD_KEY_OUTBOX_RETRY));
        //  SLO counters, gauges, budgets, burn rates and histograms (metrics.c).
        char *slo = metrics_slo_text (http_redis (req), req->cfg);
        if (slo)
            g_string_append (out, slo);
        free (slo);
        //  Coverage of the rota per team (services/rota, docs/shifts.md).
        char *rota = rota_metrics_text (http_redis (req), req->cfg, opd_now_ms ());
        if (rota)
            g_string_append (out, rota);
        free (rota);
    }
    s_metric (out, "opdesk_http_requests_total", "counter", "HTTP answers of opdesk-web by status code.");
    for (int code = 100; code < 600; code++) {
        long n = web_answers (req->web, code);
        if (n)
            g_string_append_printf (out, "opdesk_http_requests_total{code=\"%d\"} %ld\n", code, n);
    }
    size_t len = out->len;
    http_reply (req, 200, "text/plain; version=0.0.4; charset=utf-8", g_string_free (out, FALSE), len);
}
