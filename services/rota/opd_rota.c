/*  rota: see opd_rota.h.

    How coverage is computed. Each agent of the team gets the spans during
    which it is on duty (pattern + extras - removals - absences, as a union,
    so that two overlapping shifts of one agent count once). Their edges
    become +1/-1 steps, sorted by time. The team's working spans are walked
    in order with the running count of the steps before them; inside each
    working span every stretch between two steps has one count, and those
    below `required` are the gaps (neighbouring stretches with the same
    count merge). Cost: O(S log S) for S shift edges in the period. */
#include "opd_rota.h"
#include "opd_util.h"
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

bool
rota_kind_valid (const char *kind)
{
    return kind
           && (!strcmp (kind, "annual_leave") || !strcmp (kind, "sickness") || !strcmp (kind, "other"));
}

bool
rota_absence_counts (const rota_absence_t *a)
{
    return strcmp (a->status, "requested") != 0;
}

//  --- Dates ----------------------------------------------------------------

//  Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
static void
s_civil (int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yy + (*m <= 2));
}

//  0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
static int
s_weekday (int64_t day)
{
    int64_t w = (day + 3) % 7;
    return (int) (w < 0 ? w + 7 : w);
}

//  The instant of minute (0..1440) of local date `day` in tz.
static int64_t
s_local (const char *tz, int64_t day, int minute)
{
    int y, m, d;
    s_civil (day, &y, &m, &d);
    return opd_calendar_local_ms (tz, y, m, d, minute);
}

//  Local dates to look at for [from, to): UTC offsets are within a day, and
//  a shift may end the day after it starts.
static void
s_days (int64_t from, int64_t to, int64_t *first, int64_t *last)
{
    *first = from / DAY_MS - 2;
    *last = to / DAY_MS + 2;
}

//  --- Spans ----------------------------------------------------------------

typedef struct {
    opd_timespan_t *v;
    size_t n, cap;
} spans_t;

static void
s_push (spans_t *s, int64_t from, int64_t to)
{
    if (to <= from)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc (s->v, s->cap * sizeof *s->v);
        assert (s->v);
    }
    s->v[s->n].from = from;
    s->v[s->n].to = to;
    s->n++;
}

static int
s_span_cmp (const void *a, const void *b)
{
    const opd_timespan_t *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->to < y->to ? -1 : x->to > y->to;
}

size_t
rota_spans_union (opd_timespan_t *spans, size_t n)
{
    if (!n)
        return 0;
    qsort (spans, n, sizeof *spans, s_span_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (spans[i].to <= spans[i].from)
            continue;
        if (k && spans[i].from <= spans[k - 1].to) {
            if (spans[i].to > spans[k - 1].to)
                spans[k - 1].to = spans[i].to;
        }
        else
            spans[k++] = spans[i];
    }
    return k;
}

size_t
rota_spans_minus (const opd_timespan_t *a, size_t na, const opd_timespan_t *b, size_t nb,
                  opd_timespan_t **out)
{
    spans_t r = {0};
    size_t j = 0;
    for (size_t i = 0; i < na; i++) {
        int64_t cur = a[i].from, end = a[i].to;
        while (j < nb && b[j].to <= cur)
            j++;
        for (size_t k = j; k < nb && b[k].from < end && cur < end; k++) {
            if (b[k].from > cur)
                s_push (&r, cur, b[k].from);
            if (b[k].to > cur)
                cur = b[k].to;
        }
        if (cur < end)
            s_push (&r, cur, end);
    }
    *out = r.v;
    return r.n;
}

//  Clips every span to [from, to) and unions them; returns the count.
static size_t
s_clip_union (spans_t *s, int64_t from, int64_t to)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].from < from)
            s->v[i].from = from;
        if (s->v[i].to > to)
            s->v[i].to = to;
    }
    s->n = rota_spans_union (s->v, s->n);
    return s->n;
}

//  --- Working time and shifts ---------------------------------------------

static bool
s_holiday (const opd_calendar_t *cal, int64_t day)
{
    if (!cal->nholidays)
        return false;
    int y, m, d;
    s_civil (day, &y, &m, &d);
    char date[16];
    snprintf (date, sizeof date, "%04d-%02d-%02d", y, m, d);
    for (size_t i = 0; i < cal->nholidays; i++)
        if (!strcmp (cal->holidays[i], date))
            return true;
    return false;
}

size_t
rota_working_spans (const opd_calendar_t *cal, int64_t from, int64_t to, opd_timespan_t **out)
{
    spans_t s = {0};
    if (to > from && (!cal || (cal->always && !cal->nholidays)))
        s_push (&s, from, to);
    else if (to > from) {
        int64_t first, last;
        s_days (from, to, &first, &last);
        for (int64_t day = first; day <= last; day++) {
            if (s_holiday (cal, day))
                continue;
            if (cal->always) {
                s_push (&s, s_local (cal->timezone, day, 0), s_local (cal->timezone, day, 1440));
                continue;
            }
            int w = s_weekday (day);
            for (size_t i = 0; i < cal->nhours[w]; i++)
                s_push (&s, s_local (cal->timezone, day, cal->hours[w][i].from),
                        s_local (cal->timezone, day, cal->hours[w][i].to));
        }
        s_clip_union (&s, from, to);
    }
    *out = s.v;
    return s.n;
}

//  The pattern's spans of one configured shift, appended.
static void
s_shift_spans (const opd_shift_t *sh, int64_t from, int64_t to, spans_t *s)
{
    int64_t first, last;
    s_days (from, to, &first, &last);
    for (int64_t day = first; day <= last; day++) {
        if (!sh->days[s_weekday (day)])
            continue;
        int64_t a = s_local (sh->timezone, day, sh->from);
        int64_t b = sh->to > sh->from ? s_local (sh->timezone, day, sh->to)
                                      : s_local (sh->timezone, day + 1, sh->to);
        s_push (s, a, b);
    }
}

size_t
rota_agent_spans (const opd_config_t *cfg, const char *team, const char *agent,
                  const rota_changes_t *ch, bool absences, int64_t from, int64_t to,
                  opd_timespan_t **out)
{
    spans_t on = {0}, off = {0};
    for (size_t i = 0; i < cfg->nshifts; i++)
        if (!strcmp (cfg->shifts[i].agent, agent) && !strcmp (cfg->shifts[i].team, team))
            s_shift_spans (&cfg->shifts[i], from, to, &on);
    for (size_t i = 0; ch && i < ch->noverrides; i++) {
        const rota_override_t *o = &ch->overrides[i];
        if (strcmp (o->agent, agent) || strcmp (o->team, team))
            continue;
        if (o->remove)
            s_push (&off, o->from, o->to);
        else
            s_push (&on, o->from, o->to);
    }
    for (size_t i = 0; absences && ch && i < ch->nabsences; i++)
        if (!strcmp (ch->absences[i].agent, agent) && rota_absence_counts (&ch->absences[i]))
            s_push (&off, ch->absences[i].from, ch->absences[i].to);
    s_clip_union (&on, from, to);
    off.n = rota_spans_union (off.v, off.n);
    size_t n = rota_spans_minus (on.v, on.n, off.v, off.n, out);
    free (on.v);
    free (off.v);
    return n;
}

size_t
rota_team_agents (const opd_config_t *cfg, const char *team, const rota_changes_t *ch,
                  const char ***out)
{
    size_t cap = cfg->nshifts + (ch ? ch->noverrides : 0) + 1, n = 0;
    const char **v = opd_calloc (cap, sizeof *v);
    for (size_t i = 0; i < cap - 1; i++) {
        const char *agent, *t;
        if (i < cfg->nshifts) {
            agent = cfg->shifts[i].agent;
            t = cfg->shifts[i].team;
        }
        else {
            const rota_override_t *o = &ch->overrides[i - cfg->nshifts];
            if (o->remove)
                continue;
            agent = o->agent;
            t = o->team;
        }
        if (strcmp (t, team))
            continue;
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = !strcmp (v[j], agent);
        if (!seen)
            v[n++] = agent;
    }
    *out = v;
    return n;
}

//  --- Coverage -------------------------------------------------------------

typedef struct {
    int64_t at;
    int delta;
} step_t;

static int
s_step_cmp (const void *a, const void *b)
{
    const step_t *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

static void
s_gap (rota_cover_t *c, size_t *cap, int64_t from, int64_t to, int on_duty)
{
    if (c->ngaps && c->gaps[c->ngaps - 1].to == from && c->gaps[c->ngaps - 1].on_duty == on_duty) {
        c->gaps[c->ngaps - 1].to = to;
        return;
    }
    if (c->ngaps == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        c->gaps = realloc (c->gaps, *cap * sizeof *c->gaps);
        assert (c->gaps);
    }
    c->gaps[c->ngaps++] = (rota_gap_t) {from, to, on_duty, c->required};
}

int
rota_cover (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t from,
            int64_t to, rota_cover_t *out)
{
    memset (out, 0, sizeof *out);
    const opd_team_t *t = opd_config_team (cfg, team);
    if (!t)
        return -1;
    out->team = opd_strdup (t->id);
    out->required = t->min_on_duty;
    const opd_calendar_t *cal = t->calendar ? opd_config_calendar (cfg, t->calendar) : NULL;
    opd_timespan_t *work = NULL;
    size_t nwork = rota_working_spans (cal, from, to, &work);

    //  The steps of the on-duty count.
    const char **agents = NULL;
    size_t nagents = rota_team_agents (cfg, team, ch, &agents);
    step_t *steps = NULL;
    size_t nsteps = 0, capsteps = 0;
    for (size_t a = 0; a < nagents; a++) {
        opd_timespan_t *on = NULL;
        size_t n = rota_agent_spans (cfg, team, agents[a], ch, true, from, to, &on);
        if (nsteps + 2 * n > capsteps) {
            capsteps = (nsteps + 2 * n) * 2;
            steps = realloc (steps, capsteps * sizeof *steps);
            assert (steps);
        }
        for (size_t i = 0; i < n; i++) {
            steps[nsteps++] = (step_t) {on[i].from, +1};
            steps[nsteps++] = (step_t) {on[i].to, -1};
        }
        free (on);
    }
    free (agents);
    if (nsteps)
        qsort (steps, nsteps, sizeof *steps, s_step_cmp);

    //  Walk the working spans with the running count.
    size_t k = 0, capgaps = 0;
    int count = 0;
    for (size_t w = 0; w < nwork; w++) {
        out->work_ms += work[w].to - work[w].from;
        while (k < nsteps && steps[k].at <= work[w].from)
            count += steps[k++].delta;
        int64_t cur = work[w].from;
        while (cur < work[w].to) {
            int64_t next = k < nsteps && steps[k].at < work[w].to ? steps[k].at : work[w].to;
            if (count < out->required)
                s_gap (out, &capgaps, cur, next, count);
            else
                out->covered_ms += next - cur;
            cur = next;
            while (k < nsteps && steps[k].at <= cur)
                count += steps[k++].delta;
        }
    }
    out->covered_ratio = out->work_ms ? (double) out->covered_ms / (double) out->work_ms : 1.0;
    free (steps);
    free (work);
    return 0;
}

void
rota_cover_free (rota_cover_t *c)
{
    if (!c)
        return;
    free (c->team);
    free (c->gaps);
    memset (c, 0, sizeof *c);
}

size_t
rota_on_duty (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t at,
              const char ***out)
{
    const char **agents = NULL;
    size_t nagents = rota_team_agents (cfg, team, ch, &agents), n = 0;
    for (size_t a = 0; a < nagents; a++) {
        opd_timespan_t *on = NULL;
        size_t m = rota_agent_spans (cfg, team, agents[a], ch, true, at, at + 1, &on);
        free (on);
        if (m)
            agents[n++] = agents[a];
    }
    agents[n] = NULL;
    *out = agents;
    return n;
}

bool
rota_member (const opd_config_t *cfg, const char *agent, const char *team)
{
    const opd_agent_t *a = opd_config_agent (cfg, agent);
    for (size_t i = 0; a && i < a->nteams; i++)
        if (!strcmp (a->teams[i], team))
            return true;
    for (size_t i = 0; i < cfg->nshifts; i++)
        if (!strcmp (cfg->shifts[i].agent, agent) && !strcmp (cfg->shifts[i].team, team))
            return true;
    return false;
}

int
rota_away_peak (const opd_config_t *cfg, const char *team, const rota_changes_t *ch,
                const rota_absence_t *extra, int64_t from, int64_t to)
{
    //  Per agent of the team, the union of its absences; then the most that
    //  overlap, by a sweep of their edges.
    size_t n = (ch ? ch->nabsences : 0) + 1;
    const rota_absence_t **v = opd_calloc (n, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; ch && i < ch->nabsences; i++)
        v[k++] = &ch->absences[i];
    if (extra)
        v[k++] = extra;
    step_t *steps = NULL;
    size_t nsteps = 0, cap = 0;
    for (size_t i = 0; i < k; i++) {
        if (!rota_absence_counts (v[i]) || !rota_member (cfg, v[i]->agent, team))
            continue;
        //  Every absence of this agent, once (the first time it is met).
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = !rota_absence_counts (v[j]) || strcmp (v[j]->agent, v[i]->agent);
        if (!first)
            continue;
        spans_t s = {0};
        for (size_t j = i; j < k; j++)
            if (!strcmp (v[j]->agent, v[i]->agent) && rota_absence_counts (v[j]))
                s_push (&s, v[j]->from, v[j]->to);
        s_clip_union (&s, from, to);
        if (nsteps + 2 * s.n > cap) {
            cap = (nsteps + 2 * s.n) * 2;
            steps = realloc (steps, cap * sizeof *steps);
            assert (steps);
        }
        for (size_t j = 0; j < s.n; j++) {
            steps[nsteps++] = (step_t) {s.v[j].from, +1};
            steps[nsteps++] = (step_t) {s.v[j].to, -1};
        }
        free (s.v);
    }
    free (v);
    if (nsteps)
        qsort (steps, nsteps, sizeof *steps, s_step_cmp);
    int count = 0, peak = 0;
    for (size_t i = 0; i < nsteps; i++) {
        count += steps[i].delta;
        //  Ends sort with starts at the same instant; count after all of them.
        if ((i + 1 == nsteps || steps[i + 1].at != steps[i].at) && count > peak)
            peak = count;
    }
    free (steps);
    return peak;
}

//  --- JSON -----------------------------------------------------------------

static json_t *
s_time (int64_t ms)
{
    char buf[40];
    opd_rfc3339 (ms, buf, sizeof buf);
    return json_string (buf);
}

json_t *
rota_cover_json (const rota_cover_t *c)
{
    json_t *gaps = json_array ();
    for (size_t i = 0; i < c->ngaps; i++)
        json_array_append_new (gaps, json_pack ("{s:o, s:o, s:i, s:i}", "from", s_time (c->gaps[i].from),
                                                "to", s_time (c->gaps[i].to), "on_duty",
                                                c->gaps[i].on_duty, "required", c->gaps[i].required));
    //  The ratio as computed, to the last digit a double holds: a reader
    //  comparing it with covered over working time gets the same number.
    return json_pack ("{s:s, s:i, s:f, s:o}", "team", c->team, "required", c->required,
                      "covered_ratio", c->covered_ratio, "gaps", gaps);
}

json_t *
rota_absence_json (const rota_absence_t *a)
{
    return json_pack ("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:o}", "id", a->id, "agent", a->agent, "kind",
                      a->kind, "from", s_time (a->from), "to", s_time (a->to), "status",
                      rota_absence_counts (a) ? "approved" : "requested", "by", a->by, "created_at",
                      s_time (a->created_at));
}

json_t *
rota_override_json (const rota_override_t *o)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "id", o->id, "agent", o->agent,
                      "team", o->team, "kind", o->remove ? "remove" : "extra", "from", s_time (o->from),
                      "to", s_time (o->to), "by", o->by, "created_at", s_time (o->created_at));
}

json_t *
rota_oncall_json (const opd_config_t *cfg, const char *team, const rota_changes_t *ch, int64_t now)
{
    json_t *teams = json_array ();
    for (size_t i = 0; i < cfg->nteams; i++) {
        const opd_team_t *t = &cfg->teams[i];
        if (team && strcmp (team, t->id))
            continue;
        const char **agents = NULL;
        size_t n = rota_on_duty (cfg, t->id, ch, now, &agents);
        json_t *list = json_array ();
        for (size_t a = 0; a < n; a++)
            json_array_append_new (list, json_string (agents[a]));
        free (agents);
        json_array_append_new (teams, json_pack ("{s:s, s:i, s:o}", "team", t->id, "required",
                                                 t->min_on_duty, "on_duty", list));
    }
    return teams;
}
