/*  api_report: GET /api/v1/slo/report, the SLO report of a period
    (opd_slo_report.h), optionally compared with an earlier one. Leads and
    admins (the route table in api.c). */
#include "api.h"
#include "opd_details_report.h"
#include "opd_rating_report.h"
#include "opd_slo_report.h"
#include "opd_util.h"
#include <string.h>

static bool
s_report_arg (const char *name)
{
    return !strcmp (name, "from") || !strcmp (name, "to") || !strcmp (name, "group_by")
           || !strcmp (name, "compare_from") || !strcmp (name, "compare_to");
}

//  GET /api/v1/slo/report?from=&to=&group_by=priority|team|policy, and
//  (an opdesk addition) compare_from=&compare_to= for the change against
//  an earlier period. Leads and admins.
void
api_slo_report (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) who;
    (void) id;
    const char *bad = http_args_check (req, s_report_arg);
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                      "unknown query parameter '%s'; allowed: from, to, group_by, compare_from, compare_to",
                      bad);
        return;
    }
    const char *names[4] = {"from", "to", "compare_from", "compare_to"};
    int64_t t[4] = {0, 0, 0, 0};
    bool given[4];
    int64_t now = opd_now_ms ();
    for (int i = 0; i < 4; i++) {
        const char *v = http_arg (req, names[i]);
        given[i] = v && *v;
        if (given[i] && opd_time_parse (v, i % 2 == 1, &t[i])) {
            http_error_x (req, 400, "bad_request", json_pack ("{s:s}", "key", names[i]),
                          "%s must be RFC 3339 or YYYY-MM-DD", names[i]);
            return;
        }
    }
    //  Without from and to: the last 28 days.
    if (!given[1])
        t[1] = now;
    if (!given[0])
        t[0] = t[1] - 28LL * 86400000LL;
    if (given[2] != given[3]) {
        http_error_x (req, 400, "bad_request", json_pack ("{s:s}", "key", given[2] ? "compare_to" : "compare_from"),
                      "compare_from and compare_to go together");
        return;
    }
    const char *group_by = http_arg (req, "group_by");
    if (!group_by || !*group_by)
        group_by = "priority";
    char err[256] = "";
    json_t *report = opd_slo_report (http_redis (req), req->cfg, t[0], t[1], group_by, err, sizeof err);
    if (report && given[2]) {
        json_t *prev = opd_slo_report (http_redis (req), req->cfg, t[2], t[3], group_by, err, sizeof err);
        json_t *both = prev ? opd_slo_report_compare (report, prev) : NULL;
        json_decref (prev);
        json_decref (report);
        report = both;
    }
    //  An opdesk addition: the time requesters take to give missing details.
    json_t *details = report ? opd_details_report (http_redis (req), req->cfg, t[0], t[1]) : NULL;
    if (report && !details) {
        json_decref (report);
        report = NULL;
        snprintf (err, sizeof err, "unavailable: Redis: %s", opd_redis_error (http_redis (req)));
    }
    else if (report)
        json_object_set_new (report, "details", details);
    //  An opdesk addition: the requesters' satisfaction ratings.
    json_t *satisfaction = report ? opd_rating_report (http_redis (req), t[0], t[1]) : NULL;
    if (report && !satisfaction) {
        json_decref (report);
        report = NULL;
        snprintf (err, sizeof err, "unavailable: Redis: %s", opd_redis_error (http_redis (req)));
    }
    else if (report)
        json_object_set_new (report, "satisfaction", satisfaction);
    if (!report) {
        bool invalid = !strncmp (err, "invalid:", 8);
        http_error_x (req, invalid ? 422 : 503, invalid ? "invalid" : "unavailable",
                      json_pack ("{s:s}", "key", !strncmp (err, "invalid: group_by", 17) ? "group_by" : "to"),
                      "%s", err);
        return;
    }
    http_json (req, 200, report);
}
