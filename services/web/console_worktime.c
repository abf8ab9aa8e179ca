/*  console_worktime: the time agents spend on a ticket in the console, for
    the staffing advice's measured handling time of queued work
    (services/rota/opd_rota_aht.h, decision 136).

    Each beat of a ticket page (console_presence.c: every 10 s, and at the
    first key) swaps the agent's last beat on the ticket for now
    (opd:t:{ID}:w:AGENT, SET GET, so two beats at once do not both count the
    same time). When the agent typed or had the page focused, the time since
    that previous beat, at most two beats' gap, is added to work_ms of
    opd:aht:TEAM:DAY for the ticket's team and the UTC day; the first time
    that adds to a team also counts the ticket there (work_n, once per team:
    opd:t:{ID}:w). A page that leaves forgets its last beat. Tickets of channel phone are the phone's (talk time) and
    are not counted here. Agents' ids and counts only. */
#include "console.h"
#include "opd_log.h"
#include "opd_rota_aht.h"
#include "opd_schema.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEAT_LIFE_MS 300000  //  a last beat older than this is forgotten
#define COUNTED_LIFE_S (30 * 86400)  //  a ticket counted is counted again after 30 idle days

//  The agent's previous beat on the ticket, now recorded as now (or
//  forgotten when the page left); 0 when none, -1 when Redis failed.
static int64_t
s_swap_beat (opd_redis_t *r, const char *id, const char *agent, int64_t now, bool left)
{
    char key[256];
    if (opd_key_worked_beat (key, sizeof key, id, agent) < 0)
        return -1;
    redisReply *rep = left ? opd_redis_command (r, "GETDEL %s", key)
                           : opd_redis_command (r, "SET %s %lld PX %d GET", key, (long long) now, BEAT_LIFE_MS);
    int64_t prev = !rep || rep->type == REDIS_REPLY_ERROR ? -1 : rep->type == REDIS_REPLY_STRING ? atoll (rep->str) : 0;
    if (rep)
        freeReplyObject (rep);
    return prev;
}

//  1 when the ticket is counted in team's sample for the first time, 0
//  when it was already, -1 when Redis failed.
static int
s_count_once (opd_redis_t *r, const char *id, const char *team)
{
    char key[128];
    opd_key_worked (key, sizeof key, id);
    redisReply *rep = opd_redis_command (r, "HSETNX %s %s 1", key, team);
    int first = rep && rep->type == REDIS_REPLY_INTEGER ? (int) rep->integer : -1;
    if (rep)
        freeReplyObject (rep);
    rep = opd_redis_command (r, "EXPIRE %s %d", key, COUNTED_LIFE_S);
    if (rep)
        freeReplyObject (rep);
    return first;
}

//  Adds ms (and the ticket, when first) to team's day; 0, or -1.
static int
s_add (opd_redis_t *r, const char *id, const char *team, int64_t ms, int64_t now)
{
    int first = s_count_once (r, id, team);
    if (first < 0)
        return -1;
    char day[24], key[256];
    snprintf (day, sizeof day, "%lld", rota_aht_day (now));
    if (opd_key_aht (key, sizeof key, team, day) < 0)
        return -1;
    int rc = 0;
    redisReply *rep = opd_redis_command (r, "HINCRBY %s work_ms %lld", key, (long long) ms);
    rc |= !rep || rep->type != REDIS_REPLY_INTEGER;
    if (rep)
        freeReplyObject (rep);
    if (first) {
        rep = opd_redis_command (r, "HINCRBY %s work_n 1", key);
        rc |= !rep || rep->type != REDIS_REPLY_INTEGER;
        if (rep)
            freeReplyObject (rep);
    }
    rep = opd_redis_command (r, "EXPIRE %s %d", key, ROTA_AHT_TTL_S);
    if (rep)
        freeReplyObject (rep);
    return rc ? -1 : 0;
}

void
console_worktime_beat (http_req_t *req, const web_auth_t *who, const char *id, bool counts, bool left)
{
    opd_redis_t *r = http_redis (req);
    int64_t now = opd_now_ms ();
    int64_t prev = s_swap_beat (r, id, who->identity, now, left);
    int64_t ms = rota_aht_beat_ms (prev, now, counts);
    if (ms <= 0)
        return;
    char key[128];
    opd_key_ticket (key, sizeof key, id);
    redisReply *rep = opd_redis_command (r, "HMGET %s %s %s", key, OPD_F_TEAM, OPD_F_CHANNEL);
    const char *team = rep ? opd_reply_str (rep, 0) : NULL, *channel = rep ? opd_reply_str (rep, 1) : NULL;
    if (team && *team && !(channel && !strcmp (channel, "phone")) && s_add (r, id, team, ms, now))
        opd_warn ("work time not recorded ticket=%s", id);
    if (rep)
        freeReplyObject (rep);
}
