/*  rota_assign: who gets a ticket (issue 10, docs/shifts.md).

    Auto-assignment (teams[].auto_assign): a ticket in the queue of such a
    team without an assignee goes to the agent of the team on duty now (on
    shift, not absent) with the fewest open tickets assigned (not resolved
    or closed, in any team); a tie goes to the first in the order of the
    configuration's agents. When nobody is on duty the ticket waits in the
    queue, and a later pass (opdesk-slo runs one every few seconds and when
    a ticket is routed) assigns it once a shift begins.

    Sickness hand-back (coverage.sickness_handback): the open tickets of an
    agent who falls sick go back to the team queue (queue) or to the
    least-loaded agent of the ticket's team on duty (least_loaded, the
    queue when nobody is), or stay (none).

    Every assignment goes through opd_change_apply, the path of PATCH
    /api/v1/tickets/ID and `opdesk update`: the same checks, the same
    history entry ("updated", with a note saying why) and the same
    ticket.updated event, by actor "rota".

    Calls return -1 when Redis did not answer (opd_redis_error says why).
    Ownership as in opd_rota.h. */
#ifndef ROTA_ROTA_ASSIGN_H_INCLUDED
#define ROTA_ROTA_ASSIGN_H_INCLUDED
#include "opd_redis.h"
#include "opd_rota.h"

//  The actor of automatic assignments and hand-backs in history and events.
#define ROTA_ACTOR "rota"

//  Pure: the agent to give a ticket of team at `now`: a configured member
//  of the team (opd_agent_in_team), on duty, not `except` (may be NULL),
//  with the smallest loads[i] (indexed as cfg->agents; a tie goes to the
//  lower index). Returns the index in cfg->agents, or -1 when nobody is on
//  duty.
int rota_pick (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t now,
               const int *loads, const char *except);

//  The open tickets (in a team queue: not resolved or closed) of every
//  team: their ids (*ids, NULL-terminated, the caller frees with
//  rota_strv_free) and assignees (*assignees, same length, "" when none;
//  freed by rota_strv_free too). Returns the count, -1 when Redis did not
//  answer.
long rota_open_tickets (opd_redis_t *r, const opd_config_t *cfg, const char *team, char ***ids,
                        char ***assignees);
void rota_strv_free (char **v);

//  The load of every agent (open tickets assigned), into loads (cfg->nagents
//  ints). 0, or -1 when Redis did not answer.
int rota_loads (opd_redis_t *r, const opd_config_t *cfg, int *loads);

//  The auto-assignment pass over every team with auto_assign at `now`.
//  Returns the number of tickets assigned, -1 when Redis did not answer.
int rota_assign_pass (opd_redis_t *r, const opd_config_t *cfg, int64_t now);

//  The sickness hand-back of absence a (a sickness that has begun; other
//  absences hand nothing back) as coverage.sickness_handback says. Returns
//  [{"ticket_id", "assignee"}] (assignee: the new one, null for the queue;
//  new reference; empty for none), NULL when Redis did not answer.
json_t *rota_handback (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a, int64_t now);

//  The gaps absence a opens: the gaps of the agent's teams within [a->from,
//  a->to) with every stored absence that are not gaps without a (ch holds
//  a). [{"team", "from", "to", "on_duty", "required"}] (new reference).
json_t *rota_gaps_opened (const opd_config_t *cfg, const rota_changes_t *ch, const rota_absence_t *a);

//  What the answer to recording absence a (stored already) says besides the
//  absence, set into out: "gaps" (rota_gaps_opened) and, for a sickness
//  that has begun, "open_tickets" (the agent's open tickets, ids, as they
//  were) and "handed_back" (rota_handback, done now). 0, or -1 when Redis
//  did not answer (out may then hold part of it).
int rota_absence_answer (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a, int64_t now,
                         json_t *out);
#endif
