/*  api_rota: the rota endpoints of the HTTP API (issue 10; CONTRACT.md
    sections 5 and 8), kept apart from api.c, which only dispatches here:

      GET    /api/v1/coverage?from=&to=&team=     lead, admin
      GET    /api/v1/absences?agent=&team=&from=&to=   agent and above
      POST   /api/v1/absences                     an agent its own, a lead anyone's
      DELETE /api/v1/absences/ID                  same
      GET    /api/v1/overrides?team=&from=&to=    agent and above
      POST   /api/v1/overrides                    lead, admin
      DELETE /api/v1/overrides/ID                 lead, admin
      GET    /api/v1/oncall?team=                 agent and above

    A change that opens a gap records coverage.gap at once (rota_announce). */
#ifndef WEB_API_ROTA_H_INCLUDED
#define WEB_API_ROTA_H_INCLUDED
#include "web.h"

//  The handlers, in the shape of the route table's rows (api.c)
//  ({method, path, least role, fn, what}: id is the path's "*" segment,
//  unused where the path has none). Each checks its role itself too.
void api_rota_coverage (http_req_t *req, const web_auth_t *who, const char *id);       //  GET /api/v1/coverage
void api_rota_absence_list (http_req_t *req, const web_auth_t *who, const char *id);   //  GET /api/v1/absences
void api_rota_absence_add (http_req_t *req, const web_auth_t *who, const char *id);    //  POST /api/v1/absences
void api_rota_absence_remove (http_req_t *req, const web_auth_t *who, const char *id); //  DELETE /api/v1/absences/*
void api_rota_absence_approve (http_req_t *req, const web_auth_t *who, const char *id);//  POST /api/v1/absences/*/approve
void api_rota_override_list (http_req_t *req, const web_auth_t *who, const char *id);  //  GET /api/v1/overrides
void api_rota_override_add (http_req_t *req, const web_auth_t *who, const char *id);   //  POST /api/v1/overrides
void api_rota_override_remove (http_req_t *req, const web_auth_t *who, const char *id);//  DELETE /api/v1/overrides/*
void api_rota_oncall (http_req_t *req, const web_auth_t *who, const char *id);         //  GET /api/v1/oncall
void api_rota_rota (http_req_t *req, const web_auth_t *who, const char *id);           //  GET /api/v1/rota
#endif
