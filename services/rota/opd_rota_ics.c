/*  rota_ics: see opd_rota_ics.h. */
#include "opd_rota_ics.h"
#include "opd_util.h"
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct icaltimetype
s_utc (int64_t ms)
{
    return icaltime_from_timet_with_zone ((time_t) (ms / 1000), 0, icaltimezone_get_utc_timezone ());
}

static icalcomponent *
s_event (const char *uid, const char *summary, int64_t from, int64_t to, int64_t now)
{
    icalcomponent *ev = icalcomponent_new_vevent ();
    icalcomponent_add_property (ev, icalproperty_new_uid (uid));
    icalcomponent_add_property (ev, icalproperty_new_dtstamp (s_utc (now)));
    icalcomponent_add_property (ev, icalproperty_new_dtstart (s_utc (from)));
    icalcomponent_add_property (ev, icalproperty_new_dtend (s_utc (to)));
    icalcomponent_add_property (ev, icalproperty_new_summary (summary));
    return ev;
}

//  The shifts of agent in team as VEVENTs.
static void
s_shifts (icalcomponent *cal, const opd_config_t *cfg, const char *team, const char *agent,
          const rota_changes_t *ch, int64_t from, int64_t to, int64_t now)
{
    opd_timespan_t *sp = NULL;
    size_t n = rota_agent_spans (cfg, team, agent, ch, true, from, to, &sp);
    for (size_t i = 0; i < n; i++) {
        char uid[400], summary[300];
        snprintf (uid, sizeof uid, "shift-%s-%s-%lld@opdesk", team, agent, (long long) sp[i].from);
        snprintf (summary, sizeof summary, "%s on duty (%s)", agent, team);
        icalcomponent *ev = s_event (uid, summary, sp[i].from, sp[i].to, now);
        icalcomponent_add_property (ev, icalproperty_new_categories (team));
        icalcomponent_add_component (cal, ev);
    }
    free (sp);
}

//  The absences of agent (that count) as transparent VEVENTs.
static void
s_absences (icalcomponent *cal, const char *agent, const rota_changes_t *ch, int64_t now)
{
    for (size_t i = 0; ch && i < ch->nabsences; i++) {
        const rota_absence_t *a = &ch->absences[i];
        if (strcmp (a->agent, agent) || !rota_absence_counts (a))
            continue;
        char uid[64], summary[300];
        snprintf (uid, sizeof uid, "absence-%s@opdesk", a->id);
        snprintf (summary, sizeof summary, "%s away (%s)", agent, a->kind);
        icalcomponent *ev = s_event (uid, summary, a->from, a->to, now);
        icalcomponent_add_property (ev, icalproperty_new_transp (ICAL_TRANSP_TRANSPARENT));
        icalcomponent_add_component (cal, ev);
    }
}

static icalcomponent *
s_calendar (const char *name)
{
    icalcomponent *cal = icalcomponent_new_vcalendar ();
    icalcomponent_add_property (cal, icalproperty_new_prodid ("-//opdesk//rota//EN"));
    icalcomponent_add_property (cal, icalproperty_new_version ("2.0"));
    icalcomponent_add_property (cal, icalproperty_new_calscale ("GREGORIAN"));
    icalcomponent_add_property (cal, icalproperty_new_method (ICAL_METHOD_PUBLISH));
    icalproperty *p = icalproperty_new_x (name);
    icalproperty_set_x_name (p, "X-WR-CALNAME");
    icalcomponent_add_property (cal, p);
    //  RFC 7986: how often to fetch again; X-PUBLISHED-TTL says the same to
    //  the clients that predate it (Outlook, older Apple Calendar).
    p = icalproperty_new_refreshinterval (icaldurationtype_from_int (ROTA_ICS_REFRESH_S));
    icalproperty_add_parameter (p, icalparameter_new_value (ICAL_VALUE_DURATION));
    icalcomponent_add_property (cal, p);
    char ttl[32];
    snprintf (ttl, sizeof ttl, "PT%dH", ROTA_ICS_REFRESH_S / 3600);
    p = icalproperty_new_x (ttl);
    icalproperty_set_x_name (p, "X-PUBLISHED-TTL");
    icalcomponent_add_property (cal, p);
    return cal;
}

char *
rota_ics (const opd_config_t *cfg, const char *team, const char *agent, const rota_changes_t *ch, int64_t from,
          int64_t to, int64_t now)
{
    if (!team && !agent)
        return NULL;
    char name[300];
    snprintf (name, sizeof name, "opdesk rota: %s", team ? team : agent);
    icalcomponent *cal = s_calendar (name);
    if (team) {
        const char **agents = NULL;
        size_t n = rota_team_agents (cfg, team, ch, &agents);
        for (size_t i = 0; i < n; i++)
            if (!agent || !strcmp (agent, agents[i]))
                s_shifts (cal, cfg, team, agents[i], ch, from, to, now);
        free (agents);
    }
    else {
        for (size_t t = 0; t < cfg->nteams; t++)
            s_shifts (cal, cfg, cfg->teams[t].id, agent, ch, from, to, now);
        s_absences (cal, agent, ch, now);
    }
    char *text = icalcomponent_as_ical_string_r (cal);
    icalcomponent_free (cal);
    char *out = opd_strdup (text);
    icalmemory_free_buffer (text);
    return out;
}
