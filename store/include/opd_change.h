/*  opd_change: a change of a ticket's status and fields as agents and
    requesters ask for it (`opdesk update`, `PATCH /api/v1/tickets/ID`).
    The values are checked against the configuration here, then update.lua
    applies them and checks the workflow atomically. The command-line tool and
    opdesk-web share this module so that both accept and refuse exactly the
    same changes, with the same sentences.

    Ownership: every pointer in opd_change_t is borrowed. */
#ifndef OPD_CHANGE_H_INCLUDED
#define OPD_CHANGE_H_INCLUDED
#include "opd_config.h"
#include "opd_field.h"
#include "opd_redis.h"
#include <jansson.h>
#include <stdbool.h>

typedef enum {
    OPD_CHANGE_OK = 0,
    OPD_CHANGE_EMPTY,        //  nothing to change was given
    OPD_CHANGE_INVALID,      //  a value the configuration does not allow; key names it
    OPD_CHANGE_NEEDS_NOTE,   //  a hand-off (team change) or a resolution without a note
    OPD_CHANGE_NOT_FOUND,    //  no such ticket
    OPD_CHANGE_CONFLICT,     //  the workflow does not allow the move; see status, allowed
    OPD_CHANGE_VERSION,      //  the ticket's version is not the expected one; see version
    OPD_CHANGE_UNAVAILABLE   //  Redis could not be reached or failed
} opd_change_code_t;

//  What to change. NULL leaves a value as it is; "" clears severity and
//  assignee. fields is a JSON object merged into the ticket's fields, where
//  null removes a field.
typedef struct {
    const char *status, *priority, *severity, *category, *team, *assignee;
    const json_t *fields;
    const char *note;              //  why; required by a hand-off
    const char *actor;             //  who changes it (recorded in history and events)
    const char *expected_version;  //  NULL or "": any version
} opd_change_t;

typedef struct {
    opd_change_code_t code;
    char key[64];        //  the key at fault ("team", "fields.model"), "" when none
    char message[512];   //  one sentence
    char status[16];     //  CONFLICT: the ticket's current status
    char allowed[96];    //  CONFLICT: the allowed moves, comma separated, "" when none
    long long version;   //  OK: the version after the change; VERSION: the current one
    bool changed;        //  OK: false when every value was already so
} opd_change_result_t;

//  Checks and applies change to ticket id. Returns 0 when applied (or when
//  nothing differed), else -1 with res->code and res->message set.
//  Rules beyond the values: resolving needs a note (OPD_CHANGE_NEEDS_NOTE,
//  key "note"), as a hand-off does; an assignee must be an agent of the
//  ticket's team, or of the new team when the same change hands off
//  (OPD_CHANGE_INVALID, key "assignee", the allowed agents named). Without an
//  expected version the change is checked and applied against the version
//  it read, and tried again when the ticket moved meanwhile: nothing another
//  change wrote in between is lost.
int opd_change_apply (opd_redis_t *redis, const opd_config_t *cfg, const char *id,
                      const opd_change_t *change, opd_change_result_t *res);

//  True when agent is configured as a member of team.
bool opd_agent_in_team (const opd_config_t *cfg, const char *agent, const char *team);

#endif
