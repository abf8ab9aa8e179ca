/*  slo_clocks: the clock arithmetic of opdesk-slo (slo.h): a ticket's
    clocks on its policy's calendar, due and warning times in working time
    less the resolution clock's pauses, and the elapsed share of a target.
    No Redis, no loop: the unit tests (tests/unit/test_slo_clocks.c) call
    it directly; slo.c, the loop, uses it. */
#include "slo.h"
#include "opd_log.h"
#include "opd_store.h"
#include "opd_util.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

//  --- The clock arithmetic ------------------------------------------------

static int64_t
s_int (const char *s)
{
    return s && *s ? strtoll (s, NULL, 10) : 0;
}

//  slo_ticket_t from the ticket as the store read it.
static void
s_ticket_from (slo_ticket_t *t, const opd_ticket_t *h)
{
    memset (t, 0, sizeof *t);
    t->id = h->id;
    t->version = h->version;
    t->priority = h->priority;
    t->kind = h->kind;
    t->category = h->category;
    t->team = h->team;
    t->channel = h->channel;
    t->request_type = h->request_type;
    t->slo_policy = h->slo_policy;
    t->res_pauses = h->res_pauses;
    t->received_at = s_int (h->received_at);
    t->nr_start = s_int (h->nr_start);
    t->res_pause = s_int (h->res_pause);
}

void
slo_ticket_parse (slo_ticket_t *t, const redisReply *hash)
{
    opd_ticket_t h;
    opd_store_ticket_read (&h, hash);
    s_ticket_from (t, &h);
}

//  The fields slo_ticket_t holds: all that opdesk-slo reads of a ticket, so
//  that the body and the rest of the hash stay in Redis.
static const char *const s_fields[] = {
    OPD_F_ID,       OPD_F_VERSION,      OPD_F_PRIORITY,   OPD_F_KIND,        OPD_F_CATEGORY,
    OPD_F_TEAM,     OPD_F_CHANNEL,      OPD_F_REQUEST_TYPE, OPD_F_SLO_POLICY, OPD_F_RES_PAUSES,
    OPD_F_RECEIVED_AT, OPD_F_NR_START, OPD_F_RES_PAUSE};
#define NFIELDS (sizeof s_fields / sizeof s_fields[0])

int
slo_ticket_append (opd_redis_t *redis, const char *id)
{
    return opd_store_fields_append (redis, id, s_fields, NFIELDS);
}

void
slo_ticket_parse_fields (slo_ticket_t *t, const redisReply *values)
{
    opd_ticket_t h;
    opd_store_ticket_read_fields (&h, s_fields, NFIELDS, values);
    s_ticket_from (t, &h);
}

//  A calendar that is always working, for a policy whose calendar is gone
//  (the configuration loader makes sure that cannot happen).
static const opd_calendar_t s_always = {.id = "always", .timezone = "UTC", .always = true};

static const opd_calendar_t *
s_calendar (const opd_config_t *cfg, const opd_policy_t *p)
{
    const opd_calendar_t *cal = p->calendar ? opd_config_calendar (cfg, p->calendar) : NULL;
    return cal ? cal : &s_always;
}


//  The spans during which the resolution clock did not run, with the open
//  pause (pending now) taken as ending now. The caller frees the array.
static size_t
s_pauses (const slo_ticket_t *t, int64_t now, opd_timespan_t **spans)
{
    size_t n = opd_timespans_parse (t->res_pauses, spans);
    if (t->res_pause) {
        opd_timespan_t *v = realloc (*spans, (n + 1) * sizeof *v);
        assert (v);
        v[n].from = t->res_pause;
        v[n].to = now > t->res_pause ? now : t->res_pause;
        *spans = v;
        n++;
    }
    return n;
}

size_t
slo_clocks (const opd_config_t *cfg, const slo_ticket_t *t, int64_t now,
            const opd_policy_t **policy, slo_clock_t out[3])
{
    opd_ticket_facts_t facts = {t->priority, t->kind, t->category, t->team, t->channel,
                                t->request_type};
    const opd_policy_t *p = opd_config_policy_for (cfg, &facts);
    *policy = p;
    if (!p)
        return 0;
    const opd_calendar_t *cal = s_calendar (cfg, p);
    int64_t received = t->received_at ? t->received_at : now;
    size_t n = 0;
    for (int c = 0; c < OPD_CLOCK_COUNT; c++) {
        int64_t target = opd_store_policy_target (p, (opd_clock_t) c);
        int64_t start = c == OPD_CLOCK_NR ? t->nr_start : received;
        if (target <= 0 || start <= 0)
            continue;
        opd_timespan_t *skip = NULL;
        size_t nskip = c == OPD_CLOCK_RES ? s_pauses (t, now, &skip) : 0;
        int64_t due = opd_calendar_add_skipping (cal, start, target, skip, nskip);
        int64_t warn = 0;
        if (p->warn_at > 0 && p->warn_at < 1) {
            int64_t w = (int64_t) llround (p->warn_at * (double) target);
            if (w > 0)
                warn = opd_calendar_add_skipping (cal, start, w, skip, nskip);
        }
        free (skip);
        if (due == OPD_CALENDAR_NEVER) {
            //  The calendar has no working time ahead: no deadline to keep.
            opd_warn ("no working time ahead ticket=%s clock=%s calendar=%s", t->id ? t->id : "",
                      opd_clock_ids[c], cal->id);
            continue;
        }
        if (warn == OPD_CALENDAR_NEVER || warn >= due)
            warn = 0;
        slo_clock_t *k = &out[n++];
        k->clock = (opd_clock_t) c;
        k->name = opd_clock_ids[c];
        k->start = start;
        k->due = due;
        k->warn = warn;
        k->paused = c == OPD_CLOCK_RES && t->res_pause != 0;
    }
    return n;
}


double
slo_elapsed_ratio (const opd_config_t *cfg, const slo_ticket_t *t, opd_clock_t clock,
                   int64_t now)
{
    const opd_policy_t *p = opd_store_policy_named (cfg, t->slo_policy);
    if (!p)
        return 0;
    int64_t target = opd_store_policy_target (p, clock);
    int64_t start = clock == OPD_CLOCK_NR ? t->nr_start : t->received_at;
    if (target <= 0 || start <= 0)
        return 0;
    opd_timespan_t *skip = NULL;
    size_t nskip = clock == OPD_CLOCK_RES ? s_pauses (t, now, &skip) : 0;
    int64_t worked = opd_calendar_worktime_skipping (s_calendar (cfg, p), start, now, skip, nskip);
    free (skip);
    return (double) worked / (double) target;
}
