/*  api_rota_ics: the rota's iCalendar feeds (issue 10), kept apart from
    api.c, which only dispatches here: the feed itself (api_rota_ics, before
    any bearer token is asked for: its own token is in the query) and the
    feeds' tokens (route table rows). */
#ifndef WEB_API_ROTA_ICS_H_INCLUDED
#define WEB_API_ROTA_ICS_H_INCLUDED
#include "web.h"

#define API_ROTA_ICS_PATH "/api/v1/rota.ics"

void api_rota_ics (http_req_t *req);                                                 //  GET /api/v1/rota.ics
void api_rota_feed_add (http_req_t *req, const web_auth_t *who, const char *id);     //  POST /api/v1/rota/feeds
void api_rota_feed_remove (http_req_t *req, const web_auth_t *who, const char *id);  //  DELETE /api/v1/rota/feeds/*
#endif
