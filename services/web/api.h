/*  api: what the files of the JSON API share (private to opdesk-web).
    api.c holds the route table, the dispatch and the ticket endpoints;
    api_create.c, api_list.c, api_events.c, api_report.c, api_suggest.c, api_hold.c and api_health.c one concern
    each; the rota's endpoints are in api_rota.c (api_rota.h). Handlers named api_* answer
    req themselves; none returns anything. */
#ifndef WEB_API_H_INCLUDED
#define WEB_API_H_INCLUDED
#include "web.h"
#include <stdbool.h>

//  True when req's method is method.
bool api_is (const http_req_t *req, const char *method);

//  Answers 405 with Allow: allow.
void api_method_not_allowed (http_req_t *req, const char *allow);

//  True for ?live=true (or 1): the clocks carry remaining_working_ms and
//  overdue_ms as of now.
bool api_live (const http_req_t *req);

//  The request's body as a JSON object, or NULL after answering 400 or 415.
json_t *api_body (http_req_t *req);
//  True when the request has no Content-Type or a JSON one
//  (application/json, or a +json type such as application/merge-patch+json);
//  else answers 415 and returns false.
bool api_json_type (http_req_t *req);
//  Answers 404 for ticket id.
void api_not_found (http_req_t *req, const char *id);
//  The ticket as who may see it (full: with comments and history), or NULL
//  after answering (404, 503).
json_t *api_ticket (http_req_t *req, const web_auth_t *who, const char *id, bool full);

//  Answers a body refusal of body.c (400, 403, 415 or 422, with its key).
void api_body_error (http_req_t *req, const web_body_error_t *e);
//  Sets the ETag of ticket t (its version).
void api_etag (http_req_t *req, json_t *t);
//  Waits (at most a second, only while opdesk-slo beats, and for a new
//  ticket opdesk-router) until the ticket's clocks are computed: armed, and
//  not waiting in opdesk-slo's work set.
void api_wait_clocks (http_req_t *req, const char *id, bool new_ticket);

//  Route handlers, in the shape of the route table's rows (id unused).
void api_create (http_req_t *req, const web_auth_t *who, const char *id);      //  POST /api/v1/tickets
void api_ticket_list (http_req_t *req, const web_auth_t *who, const char *id); //  GET /api/v1/tickets
void api_events (http_req_t *req, const web_auth_t *who, const char *id);     //  GET /api/v1/events
void api_slo_report (http_req_t *req, const web_auth_t *who, const char *id); //  GET /api/v1/slo/report
void api_suggestions (http_req_t *req, const web_auth_t *who, const char *id); //  GET /api/v1/tickets/ID/suggestions
void api_hold_set (http_req_t *req, const web_auth_t *who, const char *id);    //  POST /api/v1/tickets/ID/hold
void api_hold_lift (http_req_t *req, const web_auth_t *who, const char *id);   //  DELETE /api/v1/tickets/ID/hold

void api_attach_upload (http_req_t *req, const web_auth_t *who, const char *id); //  POST /api/v1/tickets/ID/attachments
void api_attach_get (http_req_t *req, const web_auth_t *who, const char *sha);   //  GET .../attachments/SHA256
//  Dispatched by api_handle before any token is read.
void api_healthz (http_req_t *req); //  GET|HEAD /healthz
void api_metrics (http_req_t *req); //  GET /metrics
#endif
