/*  rota_assign: auto-assignment, the sickness hand-back and the gaps an
    absence opens; see opd_rota_assign.h. */
#include "opd_rota_assign.h"
#include "opd_change.h"
#include "opd_log.h"
#include "opd_rota_store.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
rota_pick (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t now,
           const int *loads, const char *except)
{
    const char **on = NULL;
    size_t n = rota_on_duty (cfg, team, ch, now, &on);
    int best = -1;
    for (size_t i = 0; i < cfg->nagents; i++) {
        const char *id = cfg->agents[i].id;
        if ((except && !strcmp (id, except)) || !opd_agent_in_team (cfg, id, team))
            continue;
        bool duty = false;
        for (size_t k = 0; k < n && !duty; k++)
            duty = !strcmp (on[k], id);
        if (duty && (best < 0 || loads[i] < loads[best]))
            best = (int) i;
    }
    free (on);
    return best;
}

void
rota_strv_free (char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free (v[i]);
    free (v);
}

//  Appends the open tickets of one team's queue to ids/assignees (grown
//  from *n): one ZRANGE, then one pipelined HMGET per ticket.
static int
s_queue (opd_redis_t *r, const char *team, char ***ids, char ***who, size_t *n)
{
    char key[300];
    opd_key_queue_due (key, sizeof key, team);
    redisReply *q = opd_redis_command (r, "ZRANGE %s 0 -1", key);
    if (!q)
        return -1;
    size_t m = q->type == REDIS_REPLY_ARRAY ? q->elements : 0;
    int rc = 0;
    static const char *const fields[] = {OPD_F_ASSIGNEE};
    for (size_t i = 0; i < m && rc == 0; i++)
        rc = opd_store_fields_append (r, opd_reply_str (q, i), fields, 1);
    *ids = realloc (*ids, (*n + m + 1) * sizeof **ids);
    *who = realloc (*who, (*n + m + 1) * sizeof **who);
    for (size_t i = 0; i < m && rc == 0; i++) {
        redisReply *x = opd_redis_get_reply (r);
        if (!x) {
            rc = -1;
            break;
        }
        (*ids)[*n] = opd_strdup (opd_reply_str (q, i));
        const char *as = x->type == REDIS_REPLY_ARRAY && x->elements == 1 ? opd_reply_str (x, 0) : NULL;
        (*who)[*n] = opd_strdup (as ? as : "");
        (*n)++;
        freeReplyObject (x);
    }
    (*ids)[*n] = (*who)[*n] = NULL;
    freeReplyObject (q);
    if (rc)
        opd_redis_disconnect (r);  //  replies of the pipeline may be left unread
    return rc;
}

long
rota_open_tickets (opd_redis_t *r, const opd_config_t *cfg, const char *team, char ***ids,
                   char ***assignees)
{
    size_t n = 0;
    *ids = calloc (1, sizeof **ids);
    *assignees = calloc (1, sizeof **assignees);
    for (size_t t = 0; t < cfg->nteams; t++) {
        if (team && strcmp (team, cfg->teams[t].id))
            continue;
        if (s_queue (r, cfg->teams[t].id, ids, assignees, &n)) {
            rota_strv_free (*ids);
            rota_strv_free (*assignees);
            *ids = *assignees = NULL;
            return -1;
        }
    }
    return (long) n;
}

//  Counts the assignees who[0..n) per agent into loads.
static void
s_count (const opd_config_t *cfg, char **who, long n, int *loads)
{
    for (size_t i = 0; i < cfg->nagents; i++)
        loads[i] = 0;
    for (long k = 0; k < n; k++)
        for (size_t i = 0; i < cfg->nagents; i++)
            if (*who[k] && !strcmp (who[k], cfg->agents[i].id))
                loads[i]++;
}

int
rota_loads (opd_redis_t *r, const opd_config_t *cfg, int *loads)
{
    char **ids, **who;
    long n = rota_open_tickets (r, cfg, NULL, &ids, &who);
    if (n < 0)
        return -1;
    s_count (cfg, who, n, loads);
    rota_strv_free (ids);
    rota_strv_free (who);
    return 0;
}

//  Sets (or, with agent "", clears) the assignee of ticket id through the
//  change path of the API, if it still has the assignee `was`. 1 done, 0
//  not (the ticket moved on: the next pass sees it again), -1 Redis.
static int
s_assign (opd_redis_t *r, const opd_config_t *cfg, const char *id, const char *was,
          const char *agent, const char *note)
{
    char key[300];
    opd_key_ticket (key, sizeof key, id);
    redisReply *v = opd_redis_command (r, "HMGET %s %s version", key, OPD_F_ASSIGNEE);
    if (!v)
        return -1;
    //  opd_reply_str gives NULL for a field the hash does not have.
    const char *now_was = v->type == REDIS_REPLY_ARRAY && v->elements == 2 ? opd_reply_str (v, 0) : "";
    const char *ver = v->type == REDIS_REPLY_ARRAY && v->elements == 2 ? opd_reply_str (v, 1) : NULL;
    bool same = ver && !strcmp (now_was ? now_was : "", was);
    char version[32];
    snprintf (version, sizeof version, "%s", ver ? ver : "");
    freeReplyObject (v);
    if (!same)
        return 0;
    //  The version read with the assignee: a change made in between (a lead
    //  assigning by hand) wins, and this one is not applied.
    opd_change_t c = {.assignee = agent, .note = note, .actor = ROTA_ACTOR, .expected_version = version};
    opd_change_result_t res;
    if (opd_change_apply (r, cfg, id, &c, &res) == 0)
        return res.changed;
    if (res.code == OPD_CHANGE_UNAVAILABLE)
        return -1;
    opd_warn ("assignment not made ticket=%s: %s", id, res.message);
    return 0;
}

static bool
s_any_auto (const opd_config_t *cfg)
{
    for (size_t t = 0; t < cfg->nteams; t++)
        if (cfg->teams[t].auto_assign)
            return true;
    return false;
}

//  One team's tickets without an assignee, in queue order (soonest due
//  first), each to the least-loaded agent on duty.
static int
s_assign_team (opd_redis_t *r, const opd_config_t *cfg, const char *team, const rota_changes_t *ch,
               int64_t now, int *loads)
{
    char **ids, **who;
    long n = rota_open_tickets (r, cfg, team, &ids, &who);
    if (n < 0)
        return -1;
    int done = 0;
    for (long k = 0; k < n && done >= 0; k++) {
        if (*who[k])
            continue;
        int pick = rota_pick (cfg, team, ch, now, loads, NULL);
        if (pick < 0)
            break;  //  nobody on duty: the tickets wait in the queue
        char note[200];
        snprintf (note, sizeof note, "auto-assigned: on duty in %s with the fewest open tickets (%d)",
                  team, loads[pick]);
        int rc = s_assign (r, cfg, ids[k], "", cfg->agents[pick].id, note);
        if (rc > 0) {
            loads[pick]++;
            opd_info ("auto-assigned ticket=%s team=%s agent=%s", ids[k], team, cfg->agents[pick].id);
        }
        done = rc < 0 ? -1 : done + rc;
    }
    rota_strv_free (ids);
    rota_strv_free (who);
    return done;
}

int
rota_assign_pass (opd_redis_t *r, const opd_config_t *cfg, int64_t now)
{
    if (!s_any_auto (cfg))
        return 0;
    int *loads = calloc (cfg->nagents + 1, sizeof *loads);
    rota_changes_t ch;
    if (rota_loads (r, cfg, loads) || rota_changes_load (r, now, now + 1, &ch)) {
        free (loads);
        return -1;
    }
    int total = 0;
    for (size_t t = 0; t < cfg->nteams && total >= 0; t++) {
        if (!cfg->teams[t].auto_assign)
            continue;
        int rc = s_assign_team (r, cfg, cfg->teams[t].id, &ch, now, loads);
        total = rc < 0 ? -1 : total + rc;
    }
    rota_changes_free (&ch);
    free (loads);
    return total;
}

//  The team of a ticket (a new string, "" when none), NULL when Redis did
//  not answer.
static char *
s_team_of (opd_redis_t *r, const char *id)
{
    char key[300];
    opd_key_ticket (key, sizeof key, id);
    redisReply *x = opd_redis_command (r, "HGET %s %s", key, OPD_F_TEAM);
    if (!x)
        return NULL;
    char *team = opd_strdup (x->type == REDIS_REPLY_STRING ? x->str : "");
    freeReplyObject (x);
    return team;
}

//  Hands one ticket of the sick agent on; the new assignee or "" into to.
static int
s_handback_one (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a,
                const rota_changes_t *ch, int *loads, int64_t now, const char *id, const char **to)
{
    *to = "";
    int pick = -1;
    if (!strcmp (cfg->sickness_handback, "least_loaded")) {
        char *team = s_team_of (r, id);
        if (!team)
            return -1;
        pick = *team ? rota_pick (cfg, team, ch, now, loads, a->agent) : -1;
        free (team);
    }
    char note[300];
    if (pick >= 0) {
        *to = cfg->agents[pick].id;
        snprintf (note, sizeof note, "handed back: %s is off sick (absence %s); to the least-loaded agent on duty",
                  a->agent, a->id);
    }
    else
        snprintf (note, sizeof note, "handed back: %s is off sick (absence %s); to the team queue", a->agent,
                  a->id);
    int rc = s_assign (r, cfg, id, a->agent, *to, note);
    if (rc > 0 && pick >= 0)
        loads[pick]++;
    return rc;
}

json_t *
rota_handback (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a, int64_t now)
{
    json_t *out = json_array ();
    if (strcmp (a->kind, "sickness") || !rota_absence_counts (a) || now < a->from || now >= a->to ||
        !strcmp (cfg->sickness_handback, "none"))
        return out;
    char **ids, **who;
    long n = rota_open_tickets (r, cfg, NULL, &ids, &who);
    int *loads = calloc (cfg->nagents + 1, sizeof *loads);
    rota_changes_t ch = {0};
    int rc = n < 0 || rota_changes_load (r, now, now + 1, &ch) ? -1 : 0;
    if (rc == 0)
        s_count (cfg, who, n, loads);
    for (long k = 0; k < n && rc >= 0; k++) {
        if (strcmp (who[k], a->agent))
            continue;
        const char *to;
        rc = s_handback_one (r, cfg, a, &ch, loads, now, ids[k], &to);
        if (rc > 0) {
            json_array_append_new (out, json_pack ("{s:s, s:o}", "ticket_id", ids[k], "assignee",
                                                   *to ? json_string (to) : json_null ()));
            opd_info ("handed back ticket=%s absence=%s to=%s", ids[k], a->id, *to ? to : "queue");
        }
    }
    rota_changes_free (&ch);
    free (loads);
    if (n >= 0) {
        rota_strv_free (ids);
        rota_strv_free (who);
    }
    if (rc < 0)
        json_decref (out);
    return rc < 0 ? NULL : out;
}

static bool
s_same_gap (const rota_gap_t *g, const rota_cover_t *c)
{
    for (size_t i = 0; i < c->ngaps; i++)
        if (c->gaps[i].from == g->from && c->gaps[i].to == g->to && c->gaps[i].on_duty == g->on_duty)
            return true;
    return false;
}

static bool
s_agent_in (const opd_config_t *cfg, const char *agent, const char *team)
{
    if (opd_agent_in_team (cfg, agent, team))
        return true;
    for (size_t s = 0; s < cfg->nshifts; s++)
        if (!strcmp (cfg->shifts[s].agent, agent) && !strcmp (cfg->shifts[s].team, team))
            return true;
    return false;
}

json_t *
rota_gaps_opened (const opd_config_t *cfg, const rota_changes_t *ch, const rota_absence_t *a)
{
    //  The same changes without a.
    rota_absence_t *rest = calloc (ch->nabsences + 1, sizeof *rest);
    size_t nrest = 0;
    for (size_t i = 0; i < ch->nabsences; i++)
        if (strcmp (ch->absences[i].id, a->id))
            rest[nrest++] = ch->absences[i];
    rota_changes_t without = *ch;
    without.absences = rest;
    without.nabsences = nrest;
    json_t *out = json_array ();
    for (size_t t = 0; t < cfg->nteams; t++) {
        const char *team = cfg->teams[t].id;
        rota_cover_t with, before;
        if (!s_agent_in (cfg, a->agent, team) || rota_cover (cfg, team, ch, a->from, a->to, &with))
            continue;
        rota_cover (cfg, team, &without, a->from, a->to, &before);
        for (size_t g = 0; g < with.ngaps; g++) {
            if (s_same_gap (&with.gaps[g], &before))
                continue;
            char f[40], to[40];
            opd_rfc3339 (with.gaps[g].from, f, sizeof f);
            opd_rfc3339 (with.gaps[g].to, to, sizeof to);
            json_array_append_new (out, json_pack ("{s:s, s:s, s:s, s:i, s:i}", "team", team, "from", f,
                                                   "to", to, "on_duty", with.gaps[g].on_duty, "required",
                                                   with.gaps[g].required));
        }
        rota_cover_free (&with);
        rota_cover_free (&before);
    }
    free (rest);
    return out;
}

//  The agent's open tickets (ids), from every team queue.
static json_t *
s_agent_tickets (opd_redis_t *r, const opd_config_t *cfg, const char *agent)
{
    char **ids, **who;
    long n = rota_open_tickets (r, cfg, NULL, &ids, &who);
    if (n < 0)
        return NULL;
    json_t *out = json_array ();
    for (long k = 0; k < n; k++)
        if (!strcmp (who[k], agent))
            json_array_append_new (out, json_string (ids[k]));
    rota_strv_free (ids);
    rota_strv_free (who);
    return out;
}

int
rota_absence_answer (opd_redis_t *r, const opd_config_t *cfg, const rota_absence_t *a, int64_t now,
                     json_t *out)
{
    rota_changes_t ch;
    if (rota_changes_load (r, a->from, a->to, &ch))
        return -1;
    json_object_set_new (out, "gaps", rota_gaps_opened (cfg, &ch, a));
    rota_changes_free (&ch);
    if (strcmp (a->kind, "sickness") || !rota_absence_counts (a) || now < a->from || now >= a->to)
        return 0;
    json_t *open = s_agent_tickets (r, cfg, a->agent);
    json_t *back = open ? rota_handback (r, cfg, a, now) : NULL;
    if (!back) {
        json_decref (open);
        return -1;
    }
    json_object_set_new (out, "open_tickets", open);
    json_object_set_new (out, "handed_back", back);
    return 0;
}
