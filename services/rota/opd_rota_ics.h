/*  rota_ics: the rota as an iCalendar feed (RFC 5545, with RFC 7986's
    REFRESH-INTERVAL), built with libical (docs/libraries.md). Pure: the
    caller gives the changes read from Redis.

    One VEVENT per shift worked (the pattern plus extra shifts, less
    removals and absences: rota_agent_spans), in UTC, with a UID made of
    team, agent and start (`shift-TEAM-AGENT-STARTMS@opdesk`), so the same
    shift keeps its UID from one fetch to the next and a calendar updates
    it in place; a shift an absence shortens starts or ends elsewhere and
    is a new event. Absences of the agents shown are VEVENTs too
    (`absence-ID@opdesk`, TRANSP:TRANSPARENT). */
#ifndef ROTA_ROTA_ICS_H_INCLUDED
#define ROTA_ROTA_ICS_H_INCLUDED
#include "opd_rota.h"

//  How often a calendar should fetch the feed again (REFRESH-INTERVAL and
//  X-PUBLISHED-TTL), in seconds.
#define ROTA_ICS_REFRESH_S 3600

//  The feed of team (every shift of the team's agents), or of agent (its
//  shifts in every team) when team is NULL, over [from, to). A new string
//  (the caller frees it), NULL when team and agent are both NULL.
char *rota_ics (const opd_config_t *cfg, const char *team, const char *agent, const rota_changes_t *ch,
                int64_t from, int64_t to, int64_t now);
#endif
