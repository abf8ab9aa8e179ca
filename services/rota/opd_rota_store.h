/*  rota_store: the Redis side of the rota (keys in proto/keys.md, "Rota"):
    absences and overrides, written atomically by two short Lua scripts that
    check and store in one step (an overlapping absence is refused and
    nothing is stored), and the coverage.gap pass that announces every gap
    once.

    Calls return 0 on success, 1 when refused or not found (said in the
    function's comment), -1 when Redis did not answer (opd_redis_error says
    why). Arrays returned through pointers are the caller's to free. */
#ifndef ROTA_ROTA_STORE_H_INCLUDED
#define ROTA_ROTA_STORE_H_INCLUDED
#include "opd_redis.h"
#include "opd_rota.h"

//  The look-ahead of coverage.gap in ms (coverage.lookahead_days).
int64_t rota_lookahead_ms (const opd_config_t *cfg);

//  Checks an absence before it is stored: a known agent, a known kind,
//  to > from. 0, or -1 with the field at fault in key and a sentence in err.
int rota_absence_check (const opd_config_t *cfg, const rota_absence_t *a, char *key, size_t keylen,
                        char *err, size_t errlen);
//  Stores a checked absence, setting a->id and a->created_at (= now). 1 when
//  it overlaps another absence of the same agent (that one's id in
//  clash, 32 bytes), and nothing is stored.
int rota_absence_add (opd_redis_t *r, rota_absence_t *a, int64_t now, char *clash);
//  Reads one absence; 1 when there is none with that id.
int rota_absence_get (opd_redis_t *r, const char *id, rota_absence_t *out);
//  Approves a requested absence (coverage.leave_approval); 1 when there is
//  none with that id.
int rota_absence_approve (opd_redis_t *r, const char *id, const char *by);
//  The cap teams[].max_away: 1 when approving annual leave a (counting,
//  stored or not) would put more agents of a team away at once than its
//  max_away (that team's id into team), else 0; -1 when Redis did not
//  answer. Other kinds, and requests, are never capped.
int rota_absence_cap (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a, char *team,
                      size_t teamlen);
//  Removes one absence; 1 when there is none with that id.
int rota_absence_remove (opd_redis_t *r, const char *id);
//  The absences that overlap [from, to), of agent when not NULL, in order of
//  their start.
int rota_absences (opd_redis_t *r, const char *agent, int64_t from, int64_t to, rota_absence_t **out,
                   size_t *n);

//  Overrides, as absences: check (known agent and team, to > from), add,
//  remove, list those that overlap [from, to).
int rota_override_check (const opd_config_t *cfg, const rota_override_t *o, char *key,
                         size_t keylen, char *err, size_t errlen);
int rota_override_add (opd_redis_t *r, rota_override_t *o, int64_t now);
int rota_override_get (opd_redis_t *r, const char *id, rota_override_t *out);
int rota_override_remove (opd_redis_t *r, const char *id);
int rota_overrides (opd_redis_t *r, const char *team, int64_t from, int64_t to, rota_override_t **out,
                    size_t *n);

//  Everything that changes the pattern in [from, to): fills ch with arrays
//  the caller frees with rota_changes_free.
int rota_changes_load (opd_redis_t *r, int64_t from, int64_t to, rota_changes_t *ch);
void rota_changes_free (rota_changes_t *ch);

//  The coverage of team (every configured team when NULL) over [from, to),
//  with what Redis holds: a JSON array of rota_cover_json objects (new
//  reference), NULL when Redis did not answer or team is unknown (*unknown
//  then true).
json_t *rota_coverage (opd_redis_t *r, const opd_config_t *cfg, const char *team, int64_t from,
                       int64_t to, bool *unknown);

//  The rota of team (every team when NULL) over [from, to): who is on duty
//  when, overrides and absences applied, as
//  [{"team", "required", "agents": [{"agent", "on_duty": [{"from", "to"}],
//  "away": [absence...]}]}] (new reference); NULL as rota_coverage.
json_t *rota_rota (opd_redis_t *r, const opd_config_t *cfg, const char *team, int64_t from, int64_t to,
                   bool *unknown);

//  The coverage.gap pass: computes the gaps of team (every team when NULL)
//  within the look-ahead from now and records coverage.gap in opd:events for
//  each gap not announced yet (phase "ahead"), and for each gap that has
//  begun (phase "begun"), each once per team, from and to
//  (opd:rota:gap:TEAM:FROM:TO[:begun]). Returns the number of events
//  recorded, -1 when Redis did not answer.
int rota_announce (opd_redis_t *r, const opd_config_t *cfg, const char *team, int64_t now);
//  When the soonest gap announced ahead and not yet as begun begins (ms;
//  in the past for one that began in the last minute), so that its "begun"
//  event can be sent on time; 0 when there is none or Redis did not answer.
int64_t rota_next_gap_start (opd_redis_t *r, const opd_config_t *cfg, int64_t now);
//  Same, for every team that agent has a shift or an override in.
int rota_announce_agent (opd_redis_t *r, const opd_config_t *cfg, const char *agent, int64_t now);

//  The staffing advice (opd_rota_advice.c) for team (every team when NULL):
//  the tickets received over the `weeks` weeks before now, per hour of the
//  week in the team's calendar's time zone (phone calls apart), next to the
//  rota's on-duty count for the coming week, through the models of
//  opd_rota_staffing.h with the handling times measured over those weeks
//  when there are enough (opd_rota_aht.h; the assumptions say which). A JSON array, per team {"team", "timezone",
//  "tickets", "assumptions", "hours": [168 x {"at", "on_duty", "working",
//  "phone_arrivals", "erlangs", "phone_needed", "phone_level",
//  "queued_arrivals", "backlog", "wait_hours", "breach"}], "breaches":
//  ["mon 09:00", ...]} (new reference); NULL as rota_coverage.
json_t *rota_staffing_json (opd_redis_t *r, const opd_config_t *cfg, const char *team, int weeks, int64_t now,
                            bool *unknown);

//  iCalendar feeds of the rota (GET /api/v1/rota.ics): each is of a team
//  or of an agent (the other empty), reached with a token of which only
//  the SHA-256 is stored, and revoked by deleting it.
typedef struct {
    char id[32];
    char team[128];
    char agent[128];
    char by[128];
    int64_t created_at;
} rota_feed_t;
//  Stores feed f for the token whose SHA-256 (hex) is sha256; sets f->id
//  and f->created_at.
int rota_feed_add (opd_redis_t *r, rota_feed_t *f, const char *sha256, int64_t now);
//  The feed of a token's SHA-256, or of an id; 1 when there is none (never
//  made, or revoked).
int rota_feed_find (opd_redis_t *r, const char *sha256, rota_feed_t *f);
int rota_feed_get (opd_redis_t *r, const char *id, rota_feed_t *f);
//  Revokes a feed: its token stops working at once. 1 when there is none.
int rota_feed_remove (opd_redis_t *r, const char *id);

//  The coverage gauges of GET /metrics (Prometheus text, a new string the
//  caller frees; NULL when Redis did not answer): per team, gap time and
//  the covered share over the look-ahead from now, agents on duty now and
//  the number required.
char *rota_metrics_text (opd_redis_t *r, const opd_config_t *cfg, int64_t now);
#endif
