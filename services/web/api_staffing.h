/*  api_staffing: the staffing advice of the HTTP API (issue 10):

      GET /api/v1/staffing?team=&weeks=     lead, admin

    Kept apart from api.c, which only dispatches here. */
#ifndef WEB_API_STAFFING_H_INCLUDED
#define WEB_API_STAFFING_H_INCLUDED
#include "web.h"

//  The handler, in the shape of the route table's rows (api.c).
void api_staffing (http_req_t *req, const web_auth_t *who, const char *id);
#endif
