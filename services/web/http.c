/*  http: see http.h.

    libmicrohttpd calls s_access several times per request: once when the
    headers are in (a declared Content-Length over the limit is refused
    there, before any of the body is read), once per piece of the body (kept
    in the connection's buffer until it passes the limit), and once at the
    end, when the handler runs. */
#include "http.h"
#include "opd_log.h"
#include "opd_util.h"
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

#define POOL_MAX 16       //  idle Redis connections kept
#define THREADS 4         //  libmicrohttpd's thread pool
#define MEMORY_LIMIT (32 * 1024)  //  per connection: request line, headers, buffers
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
    struct MHD_Daemon *daemon;
    void *zctx;
    pthread_mutex_t pool_lock;
    opd_redis_t *pool[POOL_MAX];
    int npool;
    opd_intake_client_t *ipool[POOL_MAX];  //  idle intake clients, under pool_lock
    int nipool;
    int gen;                //  configuration generation, for the pool
    size_t body_limit;      //  bytes of a request body
    long answers[600];      //  by status
};

//  One connection's request in progress.
typedef struct {
    char *buf;
    size_t len, cap;
    size_t drained;  //  bytes thrown away after the limit was passed
    bool too_large;
    bool answered;
} conn_t;

//  --- Answers -------------------------------------------------------------

void
http_reply (http_req_t *req, int status, const char *content_type, char *body, size_t len)
{
    free (req->out);
    req->status = status;
    req->out = body;
    req->out_len = len;
    req->content_type = content_type;
}

void
http_add_header (http_req_t *req, const char *name, const char *value)
{
    if (req->nheaders == HTTP_MAX_HEADERS)
        return;
    req->hname[req->nheaders] = opd_strdup (name);
    req->hvalue[req->nheaders] = opd_strdup (value);
    req->nheaders++;
}

void
http_json (http_req_t *req, int status, json_t *value)
{
    char *text = json_dumps (value, JSON_COMPACT);
    json_decref (value);
    if (!text) {
        http_reply (req, 500, "application/json", opd_strdup ("{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be encoded\"}}"), 0);
        req->out_len = strlen (req->out);
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

static enum MHD_Result
s_queue (struct MHD_Connection *conn, web_t *web, http_req_t *req)
{
    if (!req->out) {
        req->out = opd_strdup ("");
        req->out_len = 0;
    }
    struct MHD_Response *resp
        = MHD_create_response_from_buffer (req->out_len, req->out, MHD_RESPMEM_MUST_FREE);
    req->out = NULL;
    if (!resp)
        return MHD_NO;
    if (req->content_type)
        MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    MHD_add_response_header (resp, "X-Content-Type-Options", "nosniff");
    for (int i = 0; i < req->nheaders; i++) {
        MHD_add_response_header (resp, req->hname[i], req->hvalue[i]);
        free (req->hname[i]);
        free (req->hvalue[i]);
    }
    req->nheaders = 0;
    int status = req->status >= 100 && req->status < 600 ? req->status : 500;
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned) status, resp);
    MHD_destroy_response (resp);
    if (rc == MHD_YES)
        __atomic_fetch_add (&web->answers[status], 1, __ATOMIC_RELAXED);
    return rc;
}

long
web_answers (const web_t *self, int status)
{
    return status >= 0 && status < 600 ? __atomic_load_n (&self->answers[status], __ATOMIC_RELAXED) : 0;
}

//  413 for a body over the limit; the connection is closed after it.
static enum MHD_Result
s_too_large (struct MHD_Connection *conn, web_t *web, conn_t *c)
{
    http_req_t req = {0};
    req.web = web;
    http_error (&req, 413, "too_large", "the request body is larger than the limit of %zu bytes",
                web->body_limit);
    http_add_header (&req, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = s_queue (conn, web, &req);
    if (rc == MHD_YES)
        c->answered = true;
    return rc;
}

//  --- Request values ------------------------------------------------------

const char *
http_arg (const http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
http_header (const http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_HEADER_KIND, name);
}

const char *
http_cookie (const http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_COOKIE_KIND, name);
}

typedef struct {
    bool (*fn) (const char *name);
    const char *bad;
} args_check_t;

static enum MHD_Result
s_arg_iter (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    (void) value;
    args_check_t *a = cls;
    if (!a->fn (key)) {
        a->bad = key;
        return MHD_NO;
    }
    return MHD_YES;
}

const char *
http_args_check (const http_req_t *req, bool (*fn) (const char *name))
{
    args_check_t a = {fn, NULL};
    MHD_get_connection_values (req->conn, MHD_GET_ARGUMENT_KIND, s_arg_iter, &a);
    return a.bad;
}

void *
http_zmq (const http_req_t *req)
{
    return req->web->zctx;
}

opd_redis_t *
http_redis (http_req_t *req)
{
    if (req->redis)
        return req->redis;
    web_t *web = req->web;
    pthread_mutex_lock (&web->pool_lock);
    //  Connections made for an older configuration are not lent again.
    while (web->npool > 0 && !req->redis) {
        opd_redis_t *r = web->pool[--web->npool];
        req->redis = r;
    }
    req->redis_gen = web->gen;
    pthread_mutex_unlock (&web->pool_lock);
    if (!req->redis) {
        req->redis = opd_redis_new (req->cfg);
        opd_redis_set_timeout (req->redis, REDIS_TIMEOUT_MS);
    }
    return req->redis;
}

static void
s_redis_return (web_t *web, http_req_t *req)
{
    if (!req->redis)
        return;
    pthread_mutex_lock (&web->pool_lock);
    if (req->redis_gen == web->gen && web->npool < POOL_MAX) {
        web->pool[web->npool++] = req->redis;
        req->redis = NULL;
    }
    pthread_mutex_unlock (&web->pool_lock);
    opd_redis_destroy (&req->redis);
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
        req->intake = opd_intake_client_new (req->cfg->ep_intake, INTAKE_CLIENT_TIMEOUT_MS);
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

static void
s_dispatch (web_t *web, http_req_t *req)
{
    cfg_ref_t *ref = s_cfg_take (web);
    req->cfg = ref->cfg;
    bool taken = api_handle (req) || portal_handle (req);
    if (!taken)
        http_error (req, 404, "not_found", "there is nothing at %s", req->path);
    s_redis_return (web, req);
    s_intake_return (web, req);
    s_cfg_release (web, ref);
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void) version;
    web_t *web = cls;
    conn_t *c = *con_cls;
    if (!c) {
        c = opd_calloc (1, sizeof *c);
        *con_cls = c;
        const char *cl = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end = NULL;
            unsigned long long n = strtoull (cl, &end, 10);
            if (end != cl && n > web->body_limit) {
                c->too_large = true;
                return s_too_large (conn, web, c);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->too_large) {
            //  Already answered or about to be: read the rest away, up to a
            //  point, so the client sees the 413; then drop the connection.
            c->drained += n;
            return c->drained > 4 * web->body_limit + JSON_OVERHEAD ? MHD_NO : MHD_YES;
        }
        if (c->len + n > web->body_limit) {
            c->too_large = true;
            free (c->buf);
            c->buf = NULL;
            c->len = c->cap = 0;
            return MHD_YES;
        }
        if (c->len + n + 1 > c->cap) {
            size_t cap = c->cap ? c->cap : 4096;
            while (cap < c->len + n + 1)
                cap *= 2;
            char *nb = realloc (c->buf, cap);
            if (!nb)
                return MHD_NO;
            c->buf = nb;
            c->cap = cap;
        }
        memcpy (c->buf + c->len, upload_data, n);
        c->len += n;
        return MHD_YES;
    }
    if (c->answered)
        return MHD_YES;
    if (c->too_large)
        return s_too_large (conn, web, c);
    http_req_t req = {0};
    req.web = web;
    req.conn = conn;
    req.method = method;
    req.path = url;
    req.body = c->buf ? c->buf : "";
    if (c->buf)
        c->buf[c->len] = 0;
    req.body_len = c->len;
    s_dispatch (web, &req);
    c->answered = true;
    return s_queue (conn, web, &req);
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void) cls;
    (void) conn;
    (void) toe;
    conn_t *c = *con_cls;
    if (c) {
        free (c->buf);
        free (c);
        *con_cls = NULL;
    }
}

static void
s_mhd_log (void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    char buf[512];
    vsnprintf (buf, sizeof buf, fmt, ap);
    size_t n = strlen (buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = 0;
    opd_warn ("libmicrohttpd message=\"%s\"", buf);
}

//  --- Life cycle ----------------------------------------------------------

//  "HOST:PORT" or "[V6]:PORT" into an address.
static int
s_resolve (const char *ep, struct sockaddr_storage *addr, socklen_t *alen)
{
    const char *colon = strrchr (ep, ':');
    if (!colon || colon == ep || !colon[1])
        return -1;
    char host[256];
    size_t hlen = (size_t) (colon - ep);
    if (hlen >= sizeof host)
        return -1;
    memcpy (host, ep, hlen);
    host[hlen] = 0;
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        memmove (host, host + 1, hlen - 2);
        host[hlen - 2] = 0;
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo (host, colon + 1, &hints, &res) || !res)
        return -1;
    memcpy (addr, res->ai_addr, res->ai_addrlen);
    *alen = res->ai_addrlen;
    freeaddrinfo (res);
    return 0;
}

static size_t
s_body_limit (const opd_config_t *cfg)
{
    return (size_t) cfg->body_bytes + JSON_OVERHEAD;
}

web_t *
web_new (opd_service_t *svc)
{
    const opd_config_t *cfg = svc->cfg;
    struct sockaddr_storage addr;
    socklen_t alen = 0;
    if (s_resolve (cfg->ep_http, &addr, &alen)) {
        opd_error ("endpoints.http is not HOST:PORT endpoint=%s", cfg->ep_http);
        return NULL;
    }
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
    self->zctx = zmq_ctx_new ();
    self->body_limit = s_body_limit (cfg);
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    unsigned timeout_s = (unsigned) (cfg->web_timeout_ms / 1000 > 0 ? cfg->web_timeout_ms / 1000 : 1);
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned) THREADS,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) cfg->web_max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) cfg->web_per_client,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) MEMORY_LIMIT,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 128,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_END);
    if (!self->daemon) {
        opd_error ("cannot listen endpoint=%s", cfg->ep_http);
        web_destroy (&self);
        return NULL;
    }
    opd_info ("ready http=%s connections=%d per_client=%d timeout_s=%u body_limit=%zu", cfg->ep_http,
              cfg->web_max_connections, cfg->web_per_client, timeout_s, self->body_limit);
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
        char *old_ep = opd_strdup (self->svc->cfg->ep_http);
        if (opd_service_reload (self->svc) == 1) {
            char err[512];
            opd_config_t *own = opd_config_load (self->svc->config_path, err, sizeof err);
            if (own) {
                __atomic_store_n (&self->body_limit, s_body_limit (own), __ATOMIC_RELAXED);
                s_cfg_publish (self, own);
                s_pool_flush (self);
            }
            else
                opd_error ("reload refused, keeping the running configuration: %s", err);
            if (strcmp (old_ep, self->svc->cfg->ep_http))
                opd_warn ("endpoints.http changed; it applies after a restart endpoint=%s", old_ep);
        }
        free (old_ep);
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
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    s_pool_flush (self);
    if (self->zctx)
        zmq_ctx_term (self->zctx);
    if (self->cfg)
        s_cfg_release (self, self->cfg);
    pthread_mutex_destroy (&self->cfg_lock);
    pthread_mutex_destroy (&self->pool_lock);
    free (self);
    *self_p = NULL;
}
