/*  http: see http.h. The server itself (limits, slow clients, per-address
    accounting, bodies) is common/src/opd_http.c, shared with opdesk-phone;
    this file adds what opdesk-web's handlers share: the configuration a
    request runs under, pools of Redis connections and intake clients, JSON
    answers, and the rate limits. */
#include "http.h"
#include "opd_http.h"
#include "opd_log.h"
#include "opd_rate.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <glib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 16       //  idle Redis connections kept
#define THREADS 4         //  libmicrohttpd's thread pool
#define JSON_OVERHEAD (64 * 1024) //  what a request may carry beside the body text
#define REDIS_TIMEOUT_MS 3000
#define INTAKE_CLIENT_TIMEOUT_MS 10000  //  each caller sets its own (web_submit)

//  A configuration shared by the requests that started under it: the last
//  one to end destroys it, so a reload never waits for requests to finish.
typedef struct {
    opd_config_t *cfg;
    int refs;  //  the web's own while current, plus one per running request
} cfg_ref_t;

struct _web_t {
    opd_service_t *svc;
    pthread_mutex_t cfg_lock;  //  guards cfg and every refs
    cfg_ref_t *cfg;            //  the current configuration (web's own copy)
    opd_http_t *http;
    pthread_mutex_t pool_lock;
    opd_redis_t *pool[POOL_MAX];
    int npool;
    opd_intake_client_t *ipool[POOL_MAX];  //  idle intake clients, under pool_lock
    int nipool;
    int gen;                //  configuration generation, for the pool
    console_pump_t *pump;   //  wakes the console's live streams (console_stream.c)
};

static cfg_ref_t *s_cfg_take (web_t *web);
static void s_cfg_release (web_t *web, cfg_ref_t *ref);

//  --- Answers -------------------------------------------------------------

void
http_reply (http_req_t *req, int status, const char *content_type, char *body, size_t len)
{
    opd_http_reply (req->ex, status, content_type, body, len);
}

void
http_add_header (http_req_t *req, const char *name, const char *value)
{
    opd_http_add_header (req->ex, name, value);
}

void
http_json (http_req_t *req, int status, json_t *value)
{
    char *text = json_dumps (value, JSON_COMPACT);
    json_decref (value);
    if (!text) {
        static const char fail[] = "{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be encoded\"}}";
        http_reply (req, 500, "application/json", opd_strdup (fail), strlen (fail));
        return;
    }
    http_reply (req, status, "application/json", text, strlen (text));
}

void
http_error_x (http_req_t *req, int status, const char *code, json_t *extra, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    //  The message may quote what the client sent: keep it valid UTF-8.
    if (!opd_utf8_valid (msg, strlen (msg)))
        for (char *p = msg; *p; p++)
            if ((unsigned char) *p >= 0x80)
                *p = '?';
    json_t *err = json_pack ("{s:s, s:s}", "code", code, "message", msg);
    if (extra) {
        json_object_update_missing (err, extra);
        json_decref (extra);
    }
    http_json (req, status, json_pack ("{s:o}", "error", err));
}

long
web_answers (const web_t *self, int status)
{
    return opd_http_answers (self->http, status);
}

//  --- Request values ------------------------------------------------------

const char *
http_arg (const http_req_t *req, const char *name)
{
    return opd_http_arg (req->ex, name);
}

const char *
http_header (const http_req_t *req, const char *name)
{
    return opd_http_header (req->ex, name);
}

const char *
http_cookie (const http_req_t *req, const char *name)
{
    return opd_http_cookie (req->ex, name);
}

const char *
http_args_check (const http_req_t *req, bool (*fn) (const char *name))
{
    return opd_http_args_check (req->ex, fn);
}

opd_redis_t *
web_redis_take (web_t *web, int *gen)
{
    opd_redis_t *r = NULL;
    pthread_mutex_lock (&web->pool_lock);
    if (web->npool > 0)
        r = web->pool[--web->npool];
    *gen = web->gen;
    pthread_mutex_unlock (&web->pool_lock);
    if (!r) {
        cfg_ref_t *ref = s_cfg_take (web);
        r = opd_redis_new (ref->cfg);
        s_cfg_release (web, ref);
        opd_redis_set_timeout (r, REDIS_TIMEOUT_MS);
    }
    return r;
}

void
web_redis_give (web_t *web, opd_redis_t **redis_p, int gen)
{
    if (!*redis_p)
        return;
    //  Connections made for an older configuration are not lent again.
    pthread_mutex_lock (&web->pool_lock);
    if (gen == web->gen && web->npool < POOL_MAX) {
        web->pool[web->npool++] = *redis_p;
        *redis_p = NULL;
    }
    pthread_mutex_unlock (&web->pool_lock);
    opd_redis_destroy (redis_p);
}

opd_redis_t *
http_redis (http_req_t *req)
{
    if (!req->redis)
        req->redis = web_redis_take (req->web, &req->redis_gen);
    return req->redis;
}

static void
s_redis_return (web_t *web, http_req_t *req)
{
    web_redis_give (web, &req->redis, req->redis_gen);
}

opd_intake_client_t *
http_intake (http_req_t *req)
{
    if (req->intake)
        return req->intake;
    web_t *web = req->web;
    pthread_mutex_lock (&web->pool_lock);
    if (web->nipool > 0)
        req->intake = web->ipool[--web->nipool];
    req->intake_gen = web->gen;
    pthread_mutex_unlock (&web->pool_lock);
    if (!req->intake)
        req->intake = opd_intake_client_new (req->cfg->ep_intake, &req->cfg->curve, INTAKE_CLIENT_TIMEOUT_MS);
    return req->intake;
}

static void
s_intake_return (web_t *web, http_req_t *req)
{
    if (!req->intake)
        return;
    pthread_mutex_lock (&web->pool_lock);
    //  A client with answers still owed is not lent again.
    if (req->intake_gen == web->gen && web->nipool < POOL_MAX && !opd_intake_client_pending (req->intake)) {
        web->ipool[web->nipool++] = req->intake;
        req->intake = NULL;
    }
    pthread_mutex_unlock (&web->pool_lock);
    opd_intake_client_destroy (&req->intake);
}

static void
s_pool_flush (web_t *web)
{
    pthread_mutex_lock (&web->pool_lock);
    while (web->npool > 0)
        opd_redis_destroy (&web->pool[--web->npool]);
    while (web->nipool > 0)
        opd_intake_client_destroy (&web->ipool[--web->nipool]);
    web->gen++;
    pthread_mutex_unlock (&web->pool_lock);
}

//  --- The handler ---------------------------------------------------------

static cfg_ref_t *
s_cfg_take (web_t *web)
{
    pthread_mutex_lock (&web->cfg_lock);
    cfg_ref_t *ref = web->cfg;
    ref->refs++;
    pthread_mutex_unlock (&web->cfg_lock);
    return ref;
}

static void
s_cfg_release (web_t *web, cfg_ref_t *ref)
{
    pthread_mutex_lock (&web->cfg_lock);
    bool last = --ref->refs == 0;
    pthread_mutex_unlock (&web->cfg_lock);
    if (last) {
        opd_config_destroy (&ref->cfg);
        free (ref);
    }
}

//  Makes cfg (taken) the configuration of the requests that start from now.
static void
s_cfg_publish (web_t *web, opd_config_t *cfg)
{
    cfg_ref_t *ref = opd_calloc (1, sizeof *ref);
    ref->cfg = cfg;
    ref->refs = 1;
    pthread_mutex_lock (&web->cfg_lock);
    cfg_ref_t *old = web->cfg;
    web->cfg = ref;
    pthread_mutex_unlock (&web->cfg_lock);
    if (old)
        s_cfg_release (web, old);
}

//  --- Rate limits ---------------------------------------------------------

static void
s_rate_key (const char *kind, const char *subject, char *key, size_t size)
{
    gchar *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, subject, -1);
    if (hex)
        hex[32] = '\0';  //  the key keeps the first 32 of the 64 hex digits
    opd_key_rate_web (key, size, kind, hex);
    g_free (hex);
}

bool
http_rate_over (http_req_t *req, const char *kind, const char *subject, int limit)
{
    char key[128];
    s_rate_key (kind, subject, key, sizeof key);
    int64_t retry_ms = 0;
    long long n = opd_rate_hit (http_redis (req), key, req->cfg->web_rate.window_ms, &retry_ms);
    return n > limit;
}

int
http_rate (http_req_t *req, const char *kind, const char *subject, int limit, bool count)
{
    char key[128];
    s_rate_key (kind, subject, key, sizeof key);
    int64_t retry_ms = 0;
    int64_t window = req->cfg->web_rate.window_ms;
    long long n = count ? opd_rate_hit (http_redis (req), key, window, &retry_ms)
                        : opd_rate_peek (http_redis (req), key, &retry_ms);
    //  Without Redis the limits are not enforced: the request fails or
    //  succeeds on its own merits (each handler answers 503 as it must).
    //  Looking, the window is full at limit hits; counting, this hit is
    //  the one over it.
    if (n < 0 || (count ? n <= limit : n < limit))
        return 0;
    char after[32];
    snprintf (after, sizeof after, "%lld", (long long) ((retry_ms > 0 ? retry_ms : window) + 999) / 1000);
    http_add_header (req, "Retry-After", after);
    http_error (req, 429, "too_many_requests", "too many requests; try again in %s seconds", after);
    opd_info ("rate limited kind=%s", kind);
    return -1;
}

const char *
http_client (const http_req_t *req)
{
    return req->ex->client;
}

bool
http_https (const http_req_t *req)
{
    return req->ex->https;
}

//  --- The handler ---------------------------------------------------------

//  One request, on one of opd_http's threads.
static void
s_dispatch (void *arg, opd_http_exchange_t *ex)
{
    web_t *web = arg;
    http_req_t req = {0};
    req.web = web;
    req.ex = ex;
    req.method = ex->method;
    req.path = ex->path;
    req.body = ex->body;
    req.body_len = ex->body_len;
    cfg_ref_t *ref = s_cfg_take (web);
    req.cfg = ref->cfg;
    bool taken = api_handle (&req) || console_handle (&req) || portal_handle (&req);
    if (!taken)
        http_error (&req, 404, "not_found", "there is nothing at %s", req.path);
    s_redis_return (web, &req);
    s_intake_return (web, &req);
    s_cfg_release (web, ref);
}

//  --- Life cycle ----------------------------------------------------------

static size_t
s_body_limit (const opd_config_t *cfg)
{
    return (size_t) cfg->body_bytes + JSON_OVERHEAD;
}

web_t *
web_new (opd_service_t *svc)
{
    web_t *self = opd_calloc (1, sizeof *self);
    self->svc = svc;
    pthread_mutex_init (&self->cfg_lock, NULL);
    pthread_mutex_init (&self->pool_lock, NULL);
    //  Requests use a copy of their own, so that opd_service_reload may
    //  replace (and destroy) svc->cfg while requests still run.
    char err[512];
    opd_config_t *own = opd_config_load (svc->config_path, err, sizeof err);
    if (!own) {
        opd_error ("configuration cannot be read again: %s", err);
        web_destroy (&self);
        return NULL;
    }
    s_cfg_publish (self, own);
    const opd_config_t *cfg = own;
    self->http = opd_http_new (cfg->ep_http, &cfg->web_http, s_body_limit (cfg), THREADS, s_dispatch, self);
    if (!self->http) {
        web_destroy (&self);
        return NULL;
    }
    opd_http_set_large (self->http, web_attach_large, web_attach_limit (cfg));
    self->pump = console_pump_start (self->http, cfg);
    const opd_http_config_t *h = &cfg->web_http;
    opd_info ("ready http=%s connections=%d per_client=%d timeout_ms=%lld header_timeout_ms=%lld "
              "trusted_proxies=%zu body_limit=%zu",
              cfg->ep_http, h->max_connections, h->per_client, (long long) h->timeout_ms,
              (long long) h->header_timeout_ms, h->ntrusted_proxies, s_body_limit (cfg));
    return self;
}

int
web_run (web_t *self)
{
    //  The requests run on libmicrohttpd's threads; this loop only watches
    //  the signal flags, every 100 ms whatever the load: a reload publishes
    //  a new configuration for the requests that start from then on and
    //  never waits for the running ones (they keep theirs: s_cfg_release).
    while (!opd_service_stopping ()) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep (&ts, NULL);
        //  A changed endpoints.http is logged by opd_service_reload, with
        //  every other restart-only key; the listener keeps its address.
        if (opd_service_reload (self->svc) == 1) {
            char err[512];
            opd_config_t *own = opd_config_load (self->svc->config_path, err, sizeof err);
            if (own) {
                opd_http_set_config (self->http, &own->web_http, s_body_limit (own));
                opd_http_set_large (self->http, web_attach_large, web_attach_limit (own));
                s_cfg_publish (self, own);
                s_pool_flush (self);
            }
            else
                opd_error ("reload refused, keeping the running configuration: %s", err);
        }
    }
    opd_info ("stopping");
    return 0;
}

void
web_destroy (web_t **self_p)
{
    web_t *self = *self_p;
    if (!self)
        return;
    console_pump_stop (&self->pump);
    opd_http_destroy (&self->http);
    s_pool_flush (self);
    if (self->cfg)
        s_cfg_release (self, self->cfg);
    pthread_mutex_destroy (&self->cfg_lock);
    pthread_mutex_destroy (&self->pool_lock);
    free (self);
    *self_p = NULL;
}
