/*  opd_ticket: the ticket as the outside world sees it (CONTRACT.md section 5),
    built from its Redis hash, comments and history. The command-line tool
    (opdesk show/list --json) and the HTTP API print exactly these objects, so
    that both give the same answer.

    Times are RFC 3339 UTC strings, absent values are JSON null.

    Ownership: every json_t * returned is a new reference the caller releases
    with json_decref. */
#ifndef OPD_TICKET_H_INCLUDED
#define OPD_TICKET_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdbool.h>

typedef enum {
    OPD_TICKET_OK = 0,
    OPD_TICKET_NOT_FOUND,    //  no such ticket
    OPD_TICKET_INVALID,      //  a bad query value; key names it
    OPD_TICKET_UNAVAILABLE   //  Redis could not be reached or failed
} opd_ticket_status_t;

typedef struct {
    opd_ticket_status_t code;
    char key[32];        //  the query key at fault ("cursor"), "" when none
    char message[256];   //  one sentence
} opd_ticket_error_t;

//  What opd_ticket_fetch adds to the ticket object.
#define OPD_TICKET_FULL 1u  //  comments and history
#define OPD_TICKET_LIVE 2u  //  remaining_working_ms and overdue_ms, as of now

//  The ticket object: id, kind, status, priority, severity, category, team,
//  assignee, channel, requester {name, email, phone}, subject, body,
//  request_type, fields, attachments, linked_to, created_at, updated_at,
//  received_at, resolved_at, closed_at, version, rule, slo, anonymised,
//  missing_fields, team_times ({team: ms spent with each earlier team; the
//  current team's time is added once the ticket is resolved or closed}),
//  team_since (when the current team got the ticket); with
//  OPD_TICKET_FULL also comments [{id, author, role, public, body, at}] and
//  history [{at, actor, action, details}] (times in details are RFC 3339).
//  Without OPD_TICKET_LIVE the object is a function of the stored ticket
//  alone: reading an unchanged ticket twice gives the same object.
//  Each clock of slo has the contract's policy, due_at, state, met_at,
//  breached_at; with OPD_TICKET_LIVE also two opdesk additions, computed at
//  the time of reading: remaining_working_ms (working time from now to
//  due_at on the policy's calendar; 0 once past due; for a paused resolution
//  clock, what was left when the pause began) and overdue_ms (real ms past
//  due_at of a running or breached-not-met clock, 0 while not due; null when
//  paused). Both are null for met clocks, clocks without a due time, and
//  policies no longer configured.
//  NULL when the ticket does not exist (or Redis failed: see opd_ticket_fetch).
json_t *opd_ticket_load (opd_redis_t *redis, const opd_config_t *cfg, const char *id, unsigned flags);

//  Same, telling "not found" from "Redis unavailable" in *err (may be NULL).
json_t *opd_ticket_fetch (opd_redis_t *redis, const opd_config_t *cfg, const char *id, unsigned flags,
                          opd_ticket_error_t *err);

//  A list query; NULL or "" means "no filter". Values are borrowed.
typedef struct {
    const char *status, *team, *priority, *assignee;
    const char *requester;  //  an email address, matched case-insensitively
    const char *q;          //  words that must all be words of the subject, any case
    const char *sort;       //  NULL/"" or "created": newest first; "due": soonest due first
    int limit;              //  0 = 50; at most 500
    const char *cursor;     //  the next_cursor of the previous page
    bool breaching;         //  only tickets whose next deadline has passed (due <= now)
    int due_within;         //  minutes; > 0: only tickets due within that many minutes from now
    bool live;              //  items carry remaining_working_ms and overdue_ms (OPD_TICKET_LIVE)
    bool unassigned;        //  only tickets without an assignee
} opd_ticket_query_t;

//  {"items": [tickets without comments and history], "next_cursor": "..." or null}.
//  Returns NULL on failure with *err filled in (OPD_TICKET_INVALID names the key).
//  Filters use the index sets opd:idx:all, opd:idx:status:<s>, opd:idx:team:<t>
//  and opd:idx:req:<email>; the smallest applicable one is scanned, and every
//  filter is checked again on the ticket itself.
//  A team's queue (team given, sort=due, breaching or due_within, and no
//  status filter or an open one) reads the team's due index opd:q:due:<team>
//  in order instead, so its first page costs one range read and one
//  pipelined read of the page's tickets, however many tickets there are.
//  breaching and due_within lists always come soonest due first. A ticket's
//  due time is the earliest due_at of its clocks that are running, or
//  breached and not met; tickets without one come last, oldest first.
json_t *opd_ticket_list (opd_redis_t *redis, const opd_config_t *cfg,
                         const opd_ticket_query_t *query, opd_ticket_error_t *err);

//  The queue of several teams at once (the agent console): the tickets of
//  teams[0..nteams) that are new, open or pending (or of q->status, one of
//  those), soonest due first, in one order across the teams: (due, id) as
//  in a team's queue, tickets without a running clock last. Every filter of
//  q but team and sort applies. Each team's opd:q:due:<team> is read from
//  the cursor for one page, and the pages are merged, so the first page
//  costs one page read per team whatever the number of tickets. Items carry
//  queue_due (ms; the score, >= 8e15 for "no clock running"). Same answer
//  and errors as opd_ticket_list.
json_t *opd_ticket_queue (opd_redis_t *redis, const opd_config_t *cfg, const opd_ticket_query_t *q,
                          const char *const *teams, size_t nteams, opd_ticket_error_t *err);

//  Exact counts of the tickets of teams[0..nteams) per status: counts[i] for
//  opd_ticket_statuses[i] (new, open, pending, resolved, closed), from the
//  counters opd:count:team:<team> that queue_refresh (prelude.lua) keeps
//  with every change of team or status: one pipelined HMGET per team,
//  whatever the number of tickets. 0, or -1 when Redis failed.
int opd_ticket_counts (opd_redis_t *redis, const char *const *teams, size_t nteams, long long counts[5]);

//  The workflow statuses, NULL-terminated: new, open, pending, resolved, closed.
extern const char *const opd_ticket_statuses[];
bool opd_ticket_status_valid (const char *status);
#endif
