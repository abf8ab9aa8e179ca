/*  phone_aht: the talk time of answered calls, for the staffing advice's
    measured handling time (services/rota/opd_rota_aht.h, decision 135).
    At the first `hangup` of an inbound call that was `answered`, the time
    between the two events is added to opd:aht:TEAM:DAY (phone_ms, phone_n)
    of the answering agent's first team (else `default_team`), DAY being
    the UTC day of the hangup. Counts and durations only: no number. */
#include "phone_int.h"
#include "opd_log.h"
#include "opd_rota_aht.h"
#include "opd_schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The team whose phone the call was: the answering agent's first team,
//  else default_team; NULL when neither is known.
static const char *
s_team (const opd_config_t *cfg, const char *agent_id)
{
    const opd_agent_t *a = agent_id ? opd_config_agent (cfg, agent_id) : NULL;
    if (a && a->nteams)
        return a->teams[0];
    return cfg->default_team;
}

void
phone_aht_call (phone_t *self, GHashTable *st, const char *agent_id, bool counts, const char *event, int64_t at)
{
    if (!counts || strcmp (event, "hangup") || phone_get (st, "hangup_at"))
        return;  //  a retried hangup is not counted twice
    const char *answered = phone_get (st, "answered_at");
    int64_t talk = rota_aht_talk_ms (answered ? atoll (answered) : 0, at);
    const char *team = s_team (self->cfg, agent_id ? agent_id : phone_get (st, "agent"));
    if (talk <= 0 || !team)
        return;
    char day[24], key[256];
    snprintf (day, sizeof day, "%lld", rota_aht_day (at));
    if (opd_key_aht (key, sizeof key, team, day) < 0)
        return;
    int rc = 0;
    redisReply *r = opd_redis_command (self->redis, "HINCRBY %s phone_ms %lld", key, (long long) talk);
    rc |= !r || r->type != REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject (r);
    r = opd_redis_command (self->redis, "HINCRBY %s phone_n 1", key);
    rc |= !r || r->type != REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject (r);
    r = opd_redis_command (self->redis, "EXPIRE %s %d", key, ROTA_AHT_TTL_S);
    if (r)
        freeReplyObject (r);
    if (rc)
        opd_warn ("talk time not recorded team=%s", team);
}
