/*  api_staffing: GET /api/v1/staffing?team=&weeks= (issue 10, docs/shifts.md
    "Staffing advice"), for leads and admins: per team and hour of the week,
    the arrivals of the last weeks, the agents the phone needs (Erlang C),
    the backlog of queued work and the hours that would breach, next to the
    rota's on-duty count. The computation is services/rota's
    (rota_staffing_json); this file reads the query and answers. */
#include "api_staffing.h"
#include "opd_rota_store.h"
#include "opd_util.h"
#include <stdlib.h>
#include <string.h>

#define WEEKS_DEFAULT 4
#define WEEKS_MAX     52

static bool
s_arg (const char *name)
{
    return !strcmp (name, "team") || !strcmp (name, "weeks");
}

//  ?weeks=N, 1 to 52 (default 4); 0, or -1 after answering 422.
static int
s_weeks (http_req_t *req, int *weeks)
{
    const char *w = http_arg (req, "weeks");
    *weeks = WEEKS_DEFAULT;
    if (!w || !*w)
        return 0;
    char *end;
    long v = strtol (w, &end, 10);
    if (*end || end == w || v < 1 || v > WEEKS_MAX) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "weeks"),
                      "weeks: '%.20s' is not a whole number of weeks from 1 to 52", w);
        return -1;
    }
    *weeks = (int) v;
    return 0;
}

void
api_staffing (http_req_t *req, const web_auth_t *who, const char *id)
{
    (void) id;
    if (who->role < OPD_ROLE_LEAD) {
        http_error (req, 403, "forbidden", "a %s token may not read the staffing advice", web_role_name (who->role));
        return;
    }
    const char *bad = http_args_check (req, s_arg);
    if (bad) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", bad),
                      "unknown query parameter '%s'; allowed: team, weeks", bad);
        return;
    }
    const char *team = http_arg (req, "team");
    if (team && !*team)
        team = NULL;
    int weeks;
    if (s_weeks (req, &weeks))
        return;
    int64_t now = opd_now_ms ();
    bool unknown;
    json_t *teams = rota_staffing_json (http_redis (req), req->cfg, team, weeks, now, &unknown);
    if (unknown) {
        http_error_x (req, 422, "invalid", json_pack ("{s:s}", "key", "team"), "team: unknown team '%s'", team);
        return;
    }
    if (!teams) {
        http_error (req, 503, "unavailable", "Redis did not answer: %s", opd_redis_error (http_redis (req)));
        return;
    }
    char from[40], to[40];
    opd_rfc3339 (now - weeks * 7 * 86400000LL, from, sizeof from);
    opd_rfc3339 (now, to, sizeof to);
    http_json (req, 200, json_pack ("{s:i, s:s, s:s, s:o}", "weeks", weeks, "from", from, "to", to, "teams", teams));
}
