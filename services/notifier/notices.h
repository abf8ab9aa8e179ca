/*  notices: agent notifications from the durable event history (README.md,
    "Agent notifications"). Each event of opd:events after the cursor
    opd:notifier:notices:cursor is looked at once:

    ticket.updated  assignee -> A         A: assigned (unless A did it)
                    team -> T             T's agents: handoff (and p1 when
                                          the ticket is a P1)
                    priority -> P1        the ticket's team's agents: p1
    ticket.routed   priority P1, team T   T's agents: p1
    slo.warning     team T                the assignee, else T's agents:
                                          slo_warning

    (never the agent who made the change). For each agent the first kind
    of the event that the agent's preferences (opd_agent_prefs.h) want in
    the console becomes a note (opd:agent:AGENT:notes, unread in
    opd:agent:AGENT:unread); the first kind wanted by mail becomes an
    outbox job of kind "notice" to the agent's configured address. The
    notes, the jobs and the new cursor are written in one MULTI/EXEC: an
    event is turned into notifications exactly once, whatever is killed
    when. */
#ifndef OPD_NOTIFIER_NOTICES_H_INCLUDED
#define OPD_NOTIFIER_NOTICES_H_INCLUDED
#include "opd_agent_prefs.h"
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stddef.h>

#define NOTICES_MAX_TARGETS 256
#define NOTICES_BATCH 100  //  events looked at in one step

//  An agent an event concerns and the kinds it is, as bits (1 << opd_notice_t).
typedef struct {
    const char *agent;  //  borrowed from the configuration
    unsigned kinds;
} notices_target_t;

//  The ticket's fields an event may need (NULL when unknown or not read).
typedef struct {
    const char *assignee, *team, *priority;
} notices_ticket_t;

//  The agents event ev (opd_event_json's object) concerns, at most max,
//  into out; returns how many. t: the ticket as it is now, read only when
//  notices_needs_ticket says so.
size_t notices_targets (const opd_config_t *cfg, json_t *ev, const notices_ticket_t *t, notices_target_t *out,
                        size_t max);
//  True when notices_targets needs the ticket's assignee and team for ev.
bool notices_needs_ticket (json_t *ev);

//  Reads the cursor, or creates it at the end of the stream (into cursor,
//  size bytes). 0, or -1 when Redis failed.
int notices_start (opd_redis_t *redis, char *cursor, size_t size);
//  Handles up to a batch of events after cursor, moving it. Returns the
//  number of events looked at (a full batch: more may wait), or -1 when
//  Redis failed (the event that failed is tried again next time).
int notices_step (opd_redis_t *redis, const opd_config_t *cfg, char *cursor, size_t size);
#endif
