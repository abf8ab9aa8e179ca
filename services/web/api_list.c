/*  api_list: GET /api/v1/tickets, the ticket list: its query parameters
    checked one by one (status, team, priority, sort, limit, the deadline
    filters), a requester held to its own tickets, then one page from
    opd_ticket_list. */
#include "api.h"
#include "opd_ticket.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
s_list_arg (const char *name)
{
    static const char *const known[] = {"status", "team", "priority", "assignee", "requester", "q",
                                        "sort", "limit", "cursor", "breaching", "due_within", "live", NULL};
    for (int i = 0; known[i]; i++)
        if (!strcmp (name, known[i]))
            return true;
    return false;
}

void
api_ticket_list (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) id;
    const char *bad = http_args_check (req, s_list_arg);
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                      "unknown query parameter '%s'; allowed: status, team, priority, assignee, "
                      "requester, q, sort, limit, cursor, breaching, due_within", bad);
        return;
    }
    opd_ticket_query_t q = {http_arg (req, "status"), http_arg (req, "team"), http_arg (req, "priority"),
                            http_arg (req, "assignee"), http_arg (req, "requester"), http_arg (req, "q"),
                            http_arg (req, "sort"), 0, http_arg (req, "cursor"), false, 0, false, false};
    //  Deadline filters: breaching=true (the next deadline has passed) and
    //  due_within=MINUTES; both list soonest due first.
    const char *breaching = http_arg (req, "breaching");
    if (breaching && *breaching) {
        if (!strcmp (breaching, "true") || !strcmp (breaching, "1"))
            q.breaching = true;
        else if (strcmp (breaching, "false") && strcmp (breaching, "0")) {
            http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "breaching"),
                          "breaching must be true or false, not '%s'", breaching);
            return;
        }
    }
    const char *within = http_arg (req, "due_within");
    if (within && *within) {
        char *end = NULL;
        long n = strtol (within, &end, 10);
        if (*end || n < 1 || n > 525600) {
            http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "due_within"),
                          "due_within must be a number of minutes from 1 to 525600, not '%s'", within);
            return;
        }
        q.due_within = (int) n;
    }
    if (q.status && *q.status && !opd_ticket_status_valid (q.status)) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "status"),
                      "unknown status '%s'; allowed: new, open, pending, resolved, closed", q.status);
        return;
    }
    if (q.team && *q.team && !opd_config_team (req->cfg, q.team)) {
        char list[1024] = "";
        for (size_t i = 0; i < req->cfg->nteams; i++)
            snprintf (list + strlen (list), sizeof list - strlen (list), "%s%s", i ? ", " : "",
                      req->cfg->teams[i].id);
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "team"),
                      "unknown team '%s'; allowed: %s", q.team, list);
        return;
    }
    if (q.priority && *q.priority && !opd_priority_rank (q.priority)) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "priority"),
                      "unknown priority '%s'; allowed: P1, P2, P3, P4", q.priority);
        return;
    }
    if (q.sort && *q.sort && strcmp (q.sort, "due") && strcmp (q.sort, "created")) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "sort"),
                      "unknown sort '%s'; allowed: due, created", q.sort);
        return;
    }
    const char *limit = http_arg (req, "limit");
    if (limit) {
        char *end = NULL;
        long n = strtol (limit, &end, 10);
        if (!*limit || *end || n < 1) {
            http_error_x (req, 400, "bad_request", json_pack ("{s:s}", "key", "limit"),
                          "limit must be a whole number from 1 (more than 500 gives 500 a page)");
            return;
        }
        //  More than a page holds: a page of 500 and a cursor to the rest.
        q.limit = n > 500 ? 500 : (int) n;
    }
    if (who->role == OPD_ROLE_REQUESTER) {
        //  Another requester's tickets: none that this token may see (never
        //  403, which would say there are some; decision 180).
        if (q.requester && *q.requester && g_ascii_strcasecmp (q.requester, who->identity)) {
            http_json (req, 200, json_pack ("{s:[],s:n}", "items", "next_cursor"));
            return;
        }
        q.requester = who->identity;
    }
    q.live = api_live (req);
    opd_ticket_error_t err;
    json_t *page = opd_ticket_list (http_redis (req), req->cfg, &q, &err);
    if (!page) {
        if (err.code == OPD_TICKET_INVALID)
            http_error_x (req, 400, "bad_request", json_pack ("{s:s}", "key", err.key), "%s", err.message);
        else
            http_error (req, 503, "unavailable", "%s", err.message);
        return;
    }
    http_json (req, 200, page);
}
