/*  opd_slo_policy: see opd_slo_policy.h. */
#include "opd_slo_policy.h"
#include "opd_calendar.h"
#include <stdlib.h>
#include <string.h>

const char *const opd_slo_names[3] = {"first_response", "next_reply", "resolution"};

const opd_policy_t *
opd_slo_policy (const opd_config_t *cfg, const char *name)
{
    for (size_t i = 0; name && i < cfg->npolicies; i++)
        if (!strcmp (cfg->policies[i].name, name))
            return &cfg->policies[i];
    return NULL;
}

int64_t
opd_slo_target (const opd_policy_t *p, int c)
{
    return c == 0 ? p->first_response : c == 1 ? p->next_reply : p->resolution;
}

bool
opd_slo_has_objective (const opd_policy_t *p)
{
    return p && p->objective > 0 && p->objective < 1;
}

int64_t
opd_slo_working (const opd_config_t *cfg, const opd_policy_t *p, int64_t from, int64_t to,
           const char *pauses)
{
    if (to <= from)
        return 0;
    const opd_calendar_t *cal = p && p->calendar ? opd_config_calendar (cfg, p->calendar) : NULL;
    opd_timespan_t *skip = NULL;
    size_t nskip = opd_timespans_parse (pauses, &skip);
    int64_t w;
    if (cal)
        w = opd_calendar_worktime_skipping (cal, from, to, skip, nskip);
    else {
        //  No calendar: real time less the pauses (clipped to [from, to)).
        w = to - from;
        for (size_t i = 0; i < nskip; i++) {
            int64_t a = skip[i].from > from ? skip[i].from : from;
            int64_t b = skip[i].to < to ? skip[i].to : to;
            if (b > a)
                w -= b - a;
        }
        if (w < 0)
            w = 0;
    }
    free (skip);
    return w;
}

