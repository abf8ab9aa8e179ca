/*  opd_change: see opd_change.h.

    The ticket's team, request type and fields are read first: a hand-off is
    only a hand-off when the team differs, and custom fields are merged into
    what the ticket has and checked against its request type. The workflow
    and the expected version are checked by update.lua itself, atomically
    with the change, so that two agents racing cannot both win.

    A change without an expected version is still applied against the
    version its checks read: when the ticket moved meanwhile (another
    agent's change, opdesk-slo arming clocks), it is read, checked and tried
    again. So custom fields merged here never overwrite a concurrent change
    of other fields, and an assignee is always checked against the team the
    ticket has when the change lands. */
#include "opd_change.h"
#include "opd_field.h"
#include "opd_store.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  How often a change without an expected version is tried again when the
//  ticket moved between reading and writing.
#define RETRIES 25

static int
s_fail (opd_change_result_t *res, opd_change_code_t code, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
s_fail (opd_change_result_t *res, opd_change_code_t code, const char *key, const char *fmt, ...)
{
    res->code = code;
    snprintf (res->key, sizeof res->key, "%s", key ? key : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (res->message, sizeof res->message, fmt, ap);
    va_end (ap);
    return -1;
}

//  0 when value is one of allowed, else -1 with the allowed ones named.
static int
s_one_of (opd_change_result_t *res, const char *key, const char *what, const char *value,
          const char *const *allowed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp (value, allowed[i]))
            return 0;
    char list[2048];
    return s_fail (res, OPD_CHANGE_INVALID, key, "unknown %s '%s'; allowed: %s", what, value,
                   opd_join (allowed, n, list, sizeof list));
}

static void
s_pair (opd_args_t *pairs, const char *field, const char *value)
{
    opd_args_add (pairs, field);
    opd_args_add (pairs, value);
}

//  The fields and missing pairs: change->fields merged into the ticket's
//  (cur as s_attempt reads it). The last missing detail given moves a
//  ticket that waited for them from pending to open, so its clocks resume
//  (docs/decisions.md 122).
static int
s_field_pairs (const opd_config_t *cfg, const opd_change_t *ch, const redisReply *cur, opd_args_t *pairs,
               opd_change_result_t *res)
{
    const char *rtid = opd_reply_str (cur, 1), *old = opd_reply_str (cur, 2);
    const char *status = opd_reply_str (cur, 4), *was_missing = opd_reply_str (cur, 6);
    const opd_reqtype_t *rt = rtid && *rtid ? opd_config_reqtype (cfg, rtid) : NULL;
    json_t *fields = old && *old ? json_loads (old, 0, NULL) : NULL;
    if (!json_is_object (fields)) {
        json_decref (fields);
        fields = json_object ();
    }
    const char *name;
    json_t *v;
    json_object_foreach ((json_t *) ch->fields, name, v) {
        char err[512];
        if (opd_field_check (rt, name, v, err, sizeof err)) {
            json_decref (fields);
            char key[64];
            snprintf (key, sizeof key, "fields.%s", name);
            return s_fail (res, OPD_CHANGE_INVALID, key, "%s", err);
        }
        if (json_is_null (v))
            json_object_del (fields, name);
        else
            json_object_set (fields, name, v);
    }
    char *text = json_dumps (fields, JSON_COMPACT);
    s_pair (pairs, "fields", text);
    free (text);
    if (rt) {
        //  Required fields that are still missing stay listed in 'missing'.
        json_t *missing = json_array ();
        for (size_t i = 0; i < rt->nfields; i++)
            if (rt->fields[i].required && !json_object_get (fields, rt->fields[i].name))
                json_array_append_new (missing, json_string (rt->fields[i].name));
        text = json_array_size (missing) ? json_dumps (missing, JSON_COMPACT) : NULL;
        s_pair (pairs, "missing", text ? text : "");
        if (!text && was_missing && *was_missing) {
            char now[24];
            snprintf (now, sizeof now, "%lld", (long long) opd_now_ms ());
            s_pair (pairs, OPD_F_DETAILS_GIVEN_AT, now);
            if (status && !strcmp (status, "pending") && !ch->status)
                s_pair (pairs, "status", "open");
        }
        free (text);
        json_decref (missing);
    }
    json_decref (fields);
    return 0;
}

//  True when a note says nothing: absent, empty or only white space.
static bool
s_blank (const char *note)
{
    while (note && g_ascii_isspace (*note))
        note++;
    return !note || !*note;
}

//  The checked field/value pairs for update.lua. cur holds team,
//  request_type, fields of the ticket.
static int
s_pairs (const opd_config_t *cfg, const opd_change_t *ch, const redisReply *cur, opd_args_t *pairs,
         opd_change_result_t *res)
{
    static const char *const priorities[] = {"P1", "P2", "P3", "P4"};
    static const char *const builtin[] = {"S1", "S2", "S3", "S4"};
    const char *const *severities = cfg->nseverities ? (const char *const *) cfg->severities : builtin;
    size_t nseverities = cfg->nseverities ? cfg->nseverities : 4;
    if (ch->status) {
        if (s_one_of (res, "status", "status", ch->status, opd_ticket_statuses, 5))
            return -1;
        const char *now = opd_reply_str (cur, 4);
        //  Resolving needs its note, except where update.lua answers anyway:
        //  resolved again changes nothing, and closed is a conflict (409).
        bool moves = now && strcmp (now, "resolved") && strcmp (now, "closed");
        if (!strcmp (ch->status, "resolved") && moves && s_blank (ch->note))
            return s_fail (res, OPD_CHANGE_NEEDS_NOTE, "note",
                           "resolving needs a resolution note (note) saying what was done");
        s_pair (pairs, "status", ch->status);
    }
    if (ch->priority) {
        if (s_one_of (res, "priority", "priority", ch->priority, priorities, 4))
            return -1;
        s_pair (pairs, "priority", ch->priority);
    }
    if (ch->severity) {
        if (*ch->severity && s_one_of (res, "severity", "severity", ch->severity, severities, nseverities))
            return -1;
        s_pair (pairs, "severity", ch->severity);
    }
    if (ch->category) {
        if (s_one_of (res, "category", "category", ch->category,
                      (const char *const *) cfg->categories, cfg->ncategories))
            return -1;
        s_pair (pairs, "category", ch->category);
    }
    if (ch->team) {
        const char **ids = opd_calloc (cfg->nteams + 1, sizeof (char *));
        for (size_t i = 0; i < cfg->nteams; i++)
            ids[i] = cfg->teams[i].id;
        int bad = s_one_of (res, "team", "team", ch->team, ids, cfg->nteams);
        free (ids);
        if (bad)
            return -1;
        const char *old = opd_reply_str (cur, 0);
        if ((!old || strcmp (old, ch->team)) && s_blank (ch->note))
            return s_fail (res, OPD_CHANGE_NEEDS_NOTE, "note",
                           "a hand-off to team '%s' needs a note saying why", ch->team);
        s_pair (pairs, "team", ch->team);
    }
    if (ch->assignee) {
        if (*ch->assignee) {
            const char **ids = opd_calloc (cfg->nagents + 1, sizeof (char *));
            for (size_t i = 0; i < cfg->nagents; i++)
                ids[i] = cfg->agents[i].id;
            int bad = s_one_of (res, "assignee", "agent", ch->assignee, ids, cfg->nagents);
            free (ids);
            if (bad)
                return -1;
            //  Any agent, also one of another team: a lead borrows help
            //  (decision 170); auto-assignment keeps to the team's own.
        }
        s_pair (pairs, "assignee", ch->assignee);
    }
    if (ch->fields && json_object_size (ch->fields))
        return s_field_pairs (cfg, ch, cur, pairs, res);
    return 0;
}

bool
opd_agent_in_team (const opd_config_t *cfg, const char *agent, const char *team)
{
    const opd_agent_t *a = opd_config_agent (cfg, agent);
    for (size_t i = 0; a && i < a->nteams; i++)
        if (!strcmp (a->teams[i], team))
            return true;
    return false;
}

//  One attempt: read, check, write. Returns 0, -1 (res filled in), or 1
//  when the ticket moved since it was read and the caller gave no version.
static int
s_attempt (opd_redis_t *redis, const opd_config_t *cfg, const char *id, const opd_change_t *ch,
           opd_change_result_t *res)
{
    memset (res, 0, sizeof *res);
    static const char *const wanted[] = {OPD_F_TEAM, OPD_F_REQUEST_TYPE, OPD_F_FIELDS, OPD_F_ID, OPD_F_STATUS,
                                         OPD_F_VERSION, OPD_F_MISSING};
    redisReply *cur = opd_store_fields (redis, id, wanted, 7);
    if (!cur || cur->type != REDIS_REPLY_ARRAY || cur->elements != 7) {
        if (cur)
            freeReplyObject (cur);
        return s_fail (res, OPD_CHANGE_UNAVAILABLE, NULL, "the ticket store is unavailable: %s",
                       opd_redis_error (redis));
    }
    if (!opd_reply_str (cur, 3)) {
        freeReplyObject (cur);
        return s_fail (res, OPD_CHANGE_NOT_FOUND, "id", "no ticket %s", id);
    }
    bool implicit = !ch->expected_version || !*ch->expected_version;
    char seen[32];
    snprintf (seen, sizeof seen, "%s", opd_reply_str (cur, 5) ? opd_reply_str (cur, 5) : "");
    opd_args_t pairs;
    opd_args_init (&pairs);
    int bad = s_pairs (cfg, ch, cur, &pairs, res);
    freeReplyObject (cur);
    if (bad) {
        opd_args_free (&pairs);
        return -1;
    }
    if (pairs.n == 0) {
        opd_args_free (&pairs);
        return s_fail (res, OPD_CHANGE_EMPTY, NULL, "nothing to change");
    }
    opd_store_update_t u = {id, ch->actor, implicit ? seen : ch->expected_version, ch->note, &pairs};
    opd_store_result_t out;
    int failed = opd_store_update (redis, cfg, opd_now_ms (), &u, &out);
    opd_args_free (&pairs);
    if (failed)
        return s_fail (res, OPD_CHANGE_UNAVAILABLE, NULL, "the update failed: %s", opd_redis_error (redis));
    const char *what = out.what;
    int rc = 0;
    if (out.outcome == OPD_STORE_NOT_FOUND)
        rc = s_fail (res, OPD_CHANGE_NOT_FOUND, "id", "no ticket %s", id);
    else if (out.outcome == OPD_STORE_CONFLICT) {
        snprintf (res->status, sizeof res->status, "%s", out.from);
        snprintf (res->allowed, sizeof res->allowed, "%s", out.allowed);
        rc = s_fail (res, OPD_CHANGE_CONFLICT, "status",
                     "%s cannot move from %s to %s; allowed moves from %s: %s", id, res->status,
                     ch->status ? ch->status : "?", res->status,
                     res->allowed[0] ? res->allowed : "none (closed is final)");
    }
    else if (out.outcome == OPD_STORE_VERSION) {
        res->version = out.version;
        rc = s_fail (res, OPD_CHANGE_VERSION, "version", "%s has changed: its version is %lld, not %s",
                     id, res->version, implicit ? seen : ch->expected_version);
        if (implicit)
            rc = 1;
    }
    else if (out.outcome != OPD_STORE_OK)
        rc = s_fail (res, OPD_CHANGE_UNAVAILABLE, NULL, "the update was refused (%s)", what);
    else {
        res->version = out.version;
        res->changed = out.changed;
    }
    return rc;
}

int
opd_change_apply (opd_redis_t *redis, const opd_config_t *cfg, const char *id,
                  const opd_change_t *ch, opd_change_result_t *res)
{
    memset (res, 0, sizeof *res);
    if (!id || !*id || strlen (id) > 64)
        return s_fail (res, OPD_CHANGE_NOT_FOUND, "id", "no ticket %s", id ? id : "");
    int rc = 1;
    for (int attempt = 0; rc == 1 && attempt < RETRIES; attempt++)
        rc = s_attempt (redis, cfg, id, ch, res);
    return rc == 0 ? 0 : -1;
}
