/*  rota: shifts, overrides, absences and coverage (issue 10), the pure part.

    The weekly shift patterns of the configuration (CONTRACT.md section 6:
    per agent and team, in the shift's time zone, crossing midnight when `to`
    <= `from`) become spans of instants; one-off overrides add shifts
    (`extra`) or take time off the pattern (`remove`; a swap is a remove for
    one agent and an extra for another); absences take time off whatever the
    agent was doing. The on-duty count of a team through time is the number of
    its agents on shift and not absent; a gap is a stretch of the team's
    working time (its calendar, with holidays: the same rules as
    opd_calendar) where that count is below the team's min_on_duty.

    Daylight saving. Every shift boundary is a local wall-clock time made an
    instant by opd_calendar_local_ms, so a shift keeps its wall-clock start
    and end across a change (a 22:00-06:00 night is 7 h of real time on the
    spring-forward night and 9 h in the autumn), and two shifts that meet at
    the same wall-clock time meet at the same instant: no one-hour gap and no
    overlap.

    Times are ms since the epoch, UTC; spans are half-open [from, to).
    Nothing here talks to Redis (opd_rota_store.h does), so every function is
    unit-tested without one. Ownership: functions that return arrays through
    a pointer argument hand them to the caller, who frees them (free, or the
    _free function named). */
#ifndef ROTA_ROTA_H_INCLUDED
#define ROTA_ROTA_H_INCLUDED
#include "opd_calendar.h"
#include "opd_config.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The kinds of absence.
#define ROTA_KINDS "annual_leave, sickness, other"
bool rota_kind_valid (const char *kind);

typedef struct {
    char id[32];
    char agent[128];
    char kind[16];      //  annual_leave, sickness, other
    int64_t from, to;   //  [from, to)
    char by[128];       //  who recorded it (a token identity, "cli", ...)
    int64_t created_at;
    char status[12];    //  "approved" (or empty: the same), or "requested": leave
                        //  waiting for a lead (coverage.leave_approval), which
                        //  does not count against coverage
} rota_absence_t;

//  True when the absence takes the agent off duty (it is not a request).
bool rota_absence_counts (const rota_absence_t *a);

typedef struct {
    char id[32];
    char agent[128];
    char team[128];
    bool remove;        //  false: an extra shift; true: time taken off the pattern
    int64_t from, to;
    char by[128];
    int64_t created_at;
} rota_override_t;

//  What changes the pattern, as read from Redis (borrowed arrays).
typedef struct {
    const rota_absence_t *absences;
    size_t nabsences;
    const rota_override_t *overrides;
    size_t noverrides;
} rota_changes_t;

typedef struct {
    int64_t from, to;
    int on_duty, required;
} rota_gap_t;

typedef struct {
    char *team;          //  owned
    int required;
    int64_t work_ms;     //  working time in the period
    int64_t covered_ms;  //  working time with on_duty >= required
    double covered_ratio;  //  covered_ms / work_ms; 1 when there is no working time
    rota_gap_t *gaps;    //  owned, in order
    size_t ngaps;
} rota_cover_t;

//  --- Spans ----------------------------------------------------------------

//  Sorts spans and merges those that overlap or touch, in place; returns the
//  new count. Empty spans are dropped.
size_t rota_spans_union (opd_timespan_t *spans, size_t n);
//  a minus b (both as rota_spans_union leaves them) into a new array
//  (*out, the caller frees); returns its length.
size_t rota_spans_minus (const opd_timespan_t *a, size_t na, const opd_timespan_t *b, size_t nb,
                         opd_timespan_t **out);

//  The working spans of cal within [from, to): its intervals in local time,
//  less holidays, as a union of instants (the rules of opd_calendar). NULL
//  cal means 24x7. Returns the count; *out is the caller's.
size_t rota_working_spans (const opd_calendar_t *cal, int64_t from, int64_t to,
                           opd_timespan_t **out);

//  The spans during which agent works for team in [from, to): the pattern
//  of the configuration, plus extra overrides, less remove overrides (of
//  that team), less absences of the agent (when absences is true).
size_t rota_agent_spans (const opd_config_t *cfg, const char *team, const char *agent,
                         const rota_changes_t *ch, bool absences, int64_t from, int64_t to,
                         opd_timespan_t **out);

//  The agents that can be on duty for team (in a shift or an extra of it):
//  a new NULL-terminated array of borrowed strings; returns the count.
size_t rota_team_agents (const opd_config_t *cfg, const char *team, const rota_changes_t *ch,
                         const char ***out);

//  --- Coverage -------------------------------------------------------------

//  Coverage of one configured team over [from, to). 0, or -1 for an
//  unknown team.
int rota_cover (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t from,
                int64_t to, rota_cover_t *out);
void rota_cover_free (rota_cover_t *c);
//  The agents of team on duty at `at` (on shift, not absent): a new
//  NULL-terminated array of borrowed strings; returns the count.
size_t rota_on_duty (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t at,
                     const char ***out);

//  True when agent belongs to team: one of its teams, or a shift of the team.
bool rota_member (const opd_config_t *cfg, const char *agent, const char *team);

//  The most agents of team away at once within [from, to) on absences
//  that count, together with extra (an absence not stored yet, or NULL),
//  counting each agent once. For the cap teams[].max_away.
int rota_away_peak (const opd_config_t *cfg, const char *team, const rota_changes_t *ch,
                    const rota_absence_t *extra, int64_t from, int64_t to);

//  The JSON of CONTRACT.md section 8: {"team", "required", "covered_ratio",
//  "gaps": [{"from", "to", "on_duty", "required"}]} (new reference).
json_t *rota_cover_json (const rota_cover_t *c);
//  An absence as the API answers it: {"id", "agent", "kind", "from", "to",
//  "status", "by", "created_at"} (new reference).
json_t *rota_absence_json (const rota_absence_t *a);
json_t *rota_override_json (const rota_override_t *o);
//  Who is on duty at now, per team (every configured team when team is
//  NULL): [{"team", "required", "on_duty": [agent...]}] (new reference),
//  as GET /api/v1/oncall and opdesk oncall answer it.
json_t *rota_oncall_json (const opd_config_t *cfg, const char *team, const rota_changes_t *ch,
                          int64_t now);
#endif
