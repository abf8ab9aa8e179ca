/*  api_hold: legal holds on a ticket, POST and DELETE
    /api/v1/tickets/ID/hold (issue 13): a held ticket is left alone by the
    anonymiser until the hold is lifted (opd_store_hold, hold.lua). */
#include "api.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_util.h"
#include <string.h>

//  POST sets a hold with {"reason"}, DELETE lifts it (an optional reason
//  is ignored: the history records the reason it was set with). Leads and
//  admins only (the route table). 200 with the ticket.
static void
s_hold (http_req_t *req, const web_auth_t *who, const char *id, bool set)
{
    json_t *obj = set ? api_body (req) : NULL;
    if (set && !obj)
        return;
    const char *reason = set ? json_string_value (json_object_get (obj, "reason")) : "";
    if (set && (!reason || !*reason || strlen (reason) > 500 || !opd_utf8_valid (reason, strlen (reason)))) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "reason"),
                      "a hold needs a reason of 1 to 500 characters");
        json_decref (obj);
        return;
    }
    opd_redis_t *redis = http_redis (req);
    int rc = opd_store_hold (redis, req->cfg, opd_now_ms (), id, who->identity, reason);
    json_decref (obj);
    if (rc == 2) {
        api_not_found (req, id);
        return;
    }
    if (rc < 0) {
        http_error (req, 503, "unavailable", "the hold could not be stored: %s", opd_redis_error (redis));
        return;
    }
    opd_info ("%s ticket=%s by=%s", set ? "hold set" : "hold lifted", id, who->identity);
    json_t *t = api_ticket (req, who, id, true);
    if (t)
        http_json (req, 200, t);
}

void
api_hold_set (http_req_t *req, const web_auth_t *who, const char *id)
{
    s_hold (req, who, id, true);
}

void
api_hold_lift (http_req_t *req, const web_auth_t *who, const char *id)
{
    s_hold (req, who, id, false);
}
