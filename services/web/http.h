/*  http: what opdesk-web's handlers share around one request. The server
    (every limit, slow clients, per-address accounting, bodies read within
    the limit, 413) is opd_http (common/include/opd_http.h), shared with
    opdesk-phone.

    A handler sees one complete request (http_req_t) and answers through
    http_reply and its helpers. A request keeps the configuration it started
    with until it ends (reference counted in http.c), so a SIGHUP reload
    never waits for running requests. */
#ifndef WEB_HTTP_H_INCLUDED
#define WEB_HTTP_H_INCLUDED
#include "opd_config.h"
#include "opd_http.h"
#include "opd_intake_client.h"
#include "opd_redis.h"
#include "opd_service.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _web_t web_t;

typedef struct {
    web_t *web;
    opd_http_exchange_t *ex;   //  the request and its answer (opd_http)
    const opd_config_t *cfg;   //  valid while the request runs
    const char *method;        //  "GET", "POST", ...
    const char *path;          //  decoded, without the query
    const char *body;          //  NUL-terminated (body_len bytes before the NUL)
    size_t body_len;
    opd_redis_t *redis;        //  lent by the pool on first use (http_redis)
    int redis_gen;             //  the configuration generation it was made for
    opd_intake_client_t *intake;  //  lent by the pool on first use (http_intake)
    int intake_gen;
} http_req_t;

//  Starts the daemon on cfg->ep_http. NULL on failure (logged).
web_t *web_new (opd_service_t *svc);
//  Runs until SIGTERM: reloads the configuration on SIGHUP. Returns the exit code.
int web_run (web_t *self);
void web_destroy (web_t **self_p);

//  The request's values; NULL when absent.
const char *http_arg (const http_req_t *req, const char *name);
const char *http_header (const http_req_t *req, const char *name);
const char *http_cookie (const http_req_t *req, const char *name);
//  Calls fn for every query argument name; stops and returns the first name
//  fn answers false for, else NULL.
const char *http_args_check (const http_req_t *req, bool (*fn) (const char *name));
//  The Redis connection of this request; never NULL (it connects lazily).
opd_redis_t *http_redis (http_req_t *req);
//  The same pool for work outside a request (the console's live streams):
//  a connection and its configuration generation, given back after use.
opd_redis_t *web_redis_take (web_t *web, int *gen);
void web_redis_give (web_t *web, opd_redis_t **redis_p, int gen);
//  This request's intake client, lent by a small pool so that a request does
//  not make a socket of its own (one thread uses it at a time); NULL only
//  when the endpoint is unusable (logged).
opd_intake_client_t *http_intake (http_req_t *req);

//  Answers: the body is taken (freed by http.c).
void http_reply (http_req_t *req, int status, const char *content_type, char *body, size_t len);
void http_add_header (http_req_t *req, const char *name, const char *value);
//  JSON, taking the reference.
void http_json (http_req_t *req, int status, json_t *value);
//  {"error": {"code", "message"}} plus extra's keys when extra is given (taken).
void http_error_x (http_req_t *req, int status, const char *code, json_t *extra, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));
#define http_error(req, status, code, ...) http_error_x (req, status, code, NULL, __VA_ARGS__)

//  The client's address (behind a trusted proxy, from X-Forwarded-For),
//  and whether a trusted proxy says the request came over https.
const char *http_client (const http_req_t *req);
bool http_https (const http_req_t *req);
//  Counts a request against limit per window of channels.web.rate_limit in
//  opd:rate:web:KIND:HASH (HASH: of subject, which never reaches Redis in
//  clear); with count false only looks. Returns 0, or -1 after answering
//  429 with Retry-After when this hit is over limit (looking: when the
//  window already holds limit hits).
int http_rate (http_req_t *req, const char *kind, const char *subject, int limit, bool count);
//  Counts a hit as http_rate does, without answering: true when it is over
//  limit (false without Redis).
bool http_rate_over (http_req_t *req, const char *kind, const char *subject, int limit);

//  The handlers (api.c, console.c, portal.c). Each returns true when it
//  took the path.
bool api_handle (http_req_t *req);
bool console_handle (http_req_t *req);
//  The thread that wakes the console's live streams when opd:events grows
//  (console_stream.c); NULL when it cannot start (logged; streams then only
//  wake at the server's stop).
typedef struct _console_pump_t console_pump_t;
console_pump_t *console_pump_start (opd_http_t *http, const opd_config_t *cfg);
void console_pump_stop (console_pump_t **self_p);
bool portal_handle (http_req_t *req);
//  The requests that may carry a file (attach.c; opd_http_set_large), up to
//  web_attach_limit bytes.
bool web_attach_large (const char *method, const char *url);
size_t web_attach_limit (const opd_config_t *cfg);
//  Counts of answers by status, for /metrics.
long web_answers (const web_t *self, int status);
#endif
