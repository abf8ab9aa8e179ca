/*  rota_coverage: the reading side of the rota store (opd_rota_store.h):
    coverage and the rota of a period with what Redis holds, the
    coverage.gap pass that announces every gap once, and the coverage
    gauges of GET /metrics. Absences and overrides themselves are stored by
    opd_rota_store.c. */
#include "opd_rota_assign.h"
#include "opd_rota_store.h"
#include "opd_intake.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

json_t *
rota_coverage (opd_redis_t *r, const opd_config_t *cfg, const char *team, int64_t from, int64_t to,
               bool *unknown)
{
    *unknown = team && !opd_config_team (cfg, team);
    if (*unknown)
        return NULL;
    rota_changes_t ch;
    if (rota_changes_load (r, from, to, &ch))
        return NULL;
    json_t *teams = json_array ();
    for (size_t i = 0; i < cfg->nteams; i++) {
        if (team && strcmp (team, cfg->teams[i].id))
            continue;
        rota_cover_t c;
        if (rota_cover (cfg, cfg->teams[i].id, &ch, from, to, &c) == 0)
            json_array_append_new (teams, rota_cover_json (&c));
        rota_cover_free (&c);
    }
    rota_changes_free (&ch);
    return teams;
}

//  The once key of a gap: opd:rota:gap:TEAM:FROM:TO, ":begun" for phase begun.
static void
s_once_key (char *buf, size_t size, const char *team, int64_t from, int64_t to, bool begun)
{
    char f[24], t[24];
    snprintf (f, sizeof f, "%lld", (long long) from);
    snprintf (t, sizeof t, "%lld", (long long) to);
    (begun ? opd_key_rota_gap_begun : opd_key_rota_gap) (buf, size, team, f, t);
}

static json_t *
s_rfc (int64_t ms)
{
    char buf[40];
    opd_rfc3339 (ms, buf, sizeof buf);
    return json_string (buf);
}

json_t *
rota_rota (opd_redis_t *r, const opd_config_t *cfg, const char *team, int64_t from, int64_t to,
           bool *unknown)
{
    *unknown = team && !opd_config_team (cfg, team);
    if (*unknown)
        return NULL;
    rota_changes_t ch;
    if (rota_changes_load (r, from, to, &ch))
        return NULL;
    json_t *teams = json_array ();
    for (size_t i = 0; i < cfg->nteams; i++) {
        const opd_team_t *t = &cfg->teams[i];
        if (team && strcmp (team, t->id))
            continue;
        const char **agents = NULL;
        size_t n = rota_team_agents (cfg, t->id, &ch, &agents);
        json_t *list = json_array ();
        for (size_t a = 0; a < n; a++) {
            opd_timespan_t *sp = NULL;
            size_t m = rota_agent_spans (cfg, t->id, agents[a], &ch, true, from, to, &sp);
            json_t *on = json_array ();
            for (size_t k = 0; k < m; k++)
                json_array_append_new (on, json_pack ("{s:o, s:o}", "from", s_rfc (sp[k].from), "to",
                                                      s_rfc (sp[k].to)));
            free (sp);
            json_t *away = json_array ();
            for (size_t k = 0; k < ch.nabsences; k++)
                if (!strcmp (ch.absences[k].agent, agents[a]))
                    json_array_append_new (away, rota_absence_json (&ch.absences[k]));
            json_array_append_new (list, json_pack ("{s:s, s:o, s:o}", "agent", agents[a], "on_duty", on,
                                                    "away", away));
        }
        free (agents);
        json_array_append_new (teams, json_pack ("{s:s, s:i, s:o}", "team", t->id, "required",
                                                 t->min_on_duty, "agents", list));
    }
    rota_changes_free (&ch);
    return teams;
}

//  Records one coverage.gap unless its key says it was recorded already.
//  1 recorded, 0 not, -1 Redis.
static int
s_emit_gap (opd_redis_t *r, const opd_config_t *cfg, const char *team, const rota_gap_t *g,
            bool begun, int64_t now)
{
    char once[400];
    s_once_key (once, sizeof once, team, g->from, g->to, begun);
    msgpack_sbuffer buf;
    msgpack_sbuffer_init (&buf);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buf, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 9);
    opd_pack_kv_int (&pk, "v", 1);
    opd_pack_kv_str (&pk, "type", "coverage.gap");
    opd_pack_kv_int (&pk, "at", now);
    opd_pack_kv_str (&pk, "team", team);
    opd_pack_kv_int (&pk, "from", g->from);
    opd_pack_kv_int (&pk, "to", g->to);
    opd_pack_kv_int (&pk, "on_duty", g->on_duty);
    opd_pack_kv_int (&pk, "required", g->required);
    opd_pack_kv_str (&pk, "phase", begun ? "begun" : "ahead");
    int emitted = opd_store_emit_once (r, cfg, now, OPD_EV_COVERAGE_GAP, buf.data, buf.size, once);
    msgpack_sbuffer_destroy (&buf);
    if (emitted == -1)
        return -1;
    int rc = emitted == 1;
    if (emitted == -2)
        opd_error ("coverage.gap not recorded team=%s", team);
    if (rc) {
        //  The mark is kept until a day after the gap ends (never forever).
        long long ttl = (g->to - now) / 1000 + 86400;
        redisReply *e = opd_redis_command (r, "EXPIRE %s %lld", once, ttl > 60 ? ttl : 60);
        if (e)
            freeReplyObject (e);
        char from[40], to[40];
        opd_rfc3339 (g->from, from, sizeof from);
        opd_rfc3339 (g->to, to, sizeof to);
        opd_info ("coverage gap team=%s from=%s to=%s on_duty=%d required=%d phase=%s", team, from, to,
                  g->on_duty, g->required, begun ? "begun" : "ahead");
    }
    return rc;
}

//  One team's pass. opd:rota:gaps:TEAM remembers the gaps announced and not
//  over (member FROM:TO:a or FROM:TO:b, score TO), so that a gap announced
//  already costs no script call. A gap that closes is not forgotten: the
//  same team, start and end is the same gap, announced once (decision 49).
static int
s_announce_team (opd_redis_t *r, const opd_config_t *cfg, const rota_cover_t *c, int64_t now,
                 int64_t look)
{
    char set[300];
    opd_key_rota_gaps (set, sizeof set, c->team);
    redisReply *x = opd_redis_command (r, "ZREMRANGEBYSCORE %s -inf %lld", set, (long long) now);
    if (!x)
        return -1;
    freeReplyObject (x);
    redisReply *known = opd_redis_command (r, "ZRANGE %s 0 -1", set);
    if (!known)
        return -1;
    size_t nknown = known->type == REDIS_REPLY_ARRAY ? known->elements : 0;
    int total = 0;
    for (size_t g = 0; g < c->ngaps && total >= 0; g++) {
        const rota_gap_t *gap = &c->gaps[g];
        if (gap->to <= now || gap->from >= now + look)
            continue;
        bool begun = gap->from <= now;
        char member[64];
        snprintf (member, sizeof member, "%lld:%lld:%c", (long long) gap->from, (long long) gap->to,
                  begun ? 'b' : 'a');
        bool seen = false;
        for (size_t k = 0; k < nknown && !seen; k++)
            seen = !strcmp (opd_reply_str (known, k), member);
        if (seen)
            continue;
        int rc = s_emit_gap (r, cfg, c->team, gap, begun, now);
        if (rc < 0) {
            total = -1;
            break;
        }
        total += rc;
        x = opd_redis_command (r, "ZADD %s %lld %s", set, (long long) gap->to, member);
        if (!x) {
            total = -1;
            break;
        }
        freeReplyObject (x);
    }
    freeReplyObject (known);
    return total;
}

int
rota_announce (opd_redis_t *r, const opd_config_t *cfg, const char *team, int64_t now)
{
    //  A configuration without shifts does not use the rota: its teams'
    //  coverage is nil everywhere, which is no news worth an event each.
    if (!cfg->nshifts)
        return 0;
    int64_t look = rota_lookahead_ms (cfg);
    //  The window is aligned to UTC days, starts a week back and reaches a
    //  week past the look-ahead, so that a gap's edges do not move from one
    //  pass to the next (a gap clipped by a moving window would be a new gap
    //  each time, with the window's edge for its start): a gap that began up
    //  to a week ago is announced with its true start.
    int64_t from = now / DAY_MS * DAY_MS - 8 * DAY_MS;
    int64_t to = (now + look) / DAY_MS * DAY_MS + 8 * DAY_MS;
    rota_changes_t ch;
    if (rota_changes_load (r, from, to, &ch))
        return -1;
    int total = 0;
    for (size_t i = 0; i < cfg->nteams && total >= 0; i++) {
        if (team && strcmp (team, cfg->teams[i].id))
            continue;
        rota_cover_t c;
        if (rota_cover (cfg, cfg->teams[i].id, &ch, from, to, &c))
            continue;
        int rc = s_announce_team (r, cfg, &c, now, look);
        total = rc < 0 ? -1 : total + rc;
        rota_cover_free (&c);
    }
    rota_changes_free (&ch);
    return total;
}

//  True when the set's members (known) hold gap from:to announced as begun.
static bool
s_begun_known (const redisReply *known, long long from, long long to)
{
    char member[64];
    snprintf (member, sizeof member, "%lld:%lld:b", from, to);
    for (size_t k = 0; k < known->elements; k++)
        if (opd_reply_str (known, k) && !strcmp (opd_reply_str (known, k), member))
            return true;
    return false;
}

int64_t
rota_next_gap_start (opd_redis_t *r, const opd_config_t *cfg, int64_t now)
{
    int64_t next = 0;
    for (size_t i = 0; i < cfg->nteams; i++) {
        char set[300];
        opd_key_rota_gaps (set, sizeof set, cfg->teams[i].id);
        redisReply *known = opd_redis_command (r, "ZRANGE %s 0 -1", set);
        for (size_t k = 0; known && known->type == REDIS_REPLY_ARRAY && k < known->elements; k++) {
            const char *m = opd_reply_str (known, k);
            long long from = 0, to = 0;
            char phase = 0;
            //  Announced ahead, and not as begun yet: to come, or begun in
            //  the last minute (announced ahead a moment before it began;
            //  one that closed meanwhile stops counting after a minute).
            if (m && sscanf (m, "%lld:%lld:%c", &from, &to, &phase) == 3 && phase == 'a' && from > now - 60000
                && (!next || from < next) && !s_begun_known (known, from, to))
                next = from;
        }
        if (known)
            freeReplyObject (known);
    }
    return next;
}

int
rota_announce_agent (opd_redis_t *r, const opd_config_t *cfg, const char *agent, int64_t now)
{
    int total = 0;
    for (size_t i = 0; i < cfg->nteams; i++) {
        bool in = false;
        for (size_t s = 0; s < cfg->nshifts && !in; s++)
            in = !strcmp (cfg->shifts[s].agent, agent) && !strcmp (cfg->shifts[s].team, cfg->teams[i].id);
        const opd_agent_t *a = opd_config_agent (cfg, agent);
        for (size_t t = 0; a && t < a->nteams && !in; t++)
            in = !strcmp (a->teams[t], cfg->teams[i].id);
        if (!in)
            continue;
        int rc = rota_announce (r, cfg, cfg->teams[i].id, now);
        if (rc < 0)
            return -1;
        total += rc;
    }
    return total;
}

//  A label value: team ids are plain, but quote and backslash are escaped
//  all the same.
static void
s_label (GString *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            g_string_append_c (out, '\\');
        g_string_append_c (out, *v == '\n' ? ' ' : *v);
    }
}

//  Per team with auto_assign, the tickets of its queue without an assignee:
//  those waiting for an agent on duty. 0, or -1 when Redis did not answer.
static int
s_waiting_text (opd_redis_t *r, const opd_config_t *cfg, GString *out)
{
    bool head = false;
    for (size_t i = 0; i < cfg->nteams; i++) {
        if (!cfg->teams[i].auto_assign)
            continue;
        char **ids, **who;
        long n = rota_open_tickets (r, cfg, cfg->teams[i].id, &ids, &who);
        if (n < 0)
            return -1;
        long waiting = 0;
        for (long k = 0; k < n; k++)
            waiting += !*who[k];
        rota_strv_free (ids);
        rota_strv_free (who);
        if (!head)
            g_string_append (out, "# HELP opdesk_rota_waiting_assignment Tickets of a team with auto_assign "
                                  "waiting for an agent on duty.\n"
                                  "# TYPE opdesk_rota_waiting_assignment gauge\n");
        head = true;
        g_string_append (out, "opdesk_rota_waiting_assignment{team=\"");
        s_label (out, cfg->teams[i].id);
        g_string_append_printf (out, "\"} %ld\n", waiting);
    }
    return 0;
}

char *
rota_metrics_text (opd_redis_t *r, const opd_config_t *cfg, int64_t now)
{
    int64_t to = now + rota_lookahead_ms (cfg);
    rota_changes_t ch;
    if (rota_changes_load (r, now, to, &ch))
        return NULL;
    GString *g[4];
    static const char *const head[4] = {
        "# HELP opdesk_coverage_gap_seconds Working time in the look-ahead (coverage.lookahead_days) with fewer agents on duty than required.\n"
        "# TYPE opdesk_coverage_gap_seconds gauge\n",
        "# HELP opdesk_coverage_ratio Share of the working time in the look-ahead that the rota covers.\n"
        "# TYPE opdesk_coverage_ratio gauge\n",
        "# HELP opdesk_coverage_on_duty Agents of the team on duty now (on shift, not absent).\n"
        "# TYPE opdesk_coverage_on_duty gauge\n",
        "# HELP opdesk_coverage_required The team's min_on_duty.\n"
        "# TYPE opdesk_coverage_required gauge\n"};
    for (int i = 0; i < 4; i++)
        g[i] = g_string_new (head[i]);
    for (size_t i = 0; i < cfg->nteams; i++) {
        const char *team = cfg->teams[i].id;
        rota_cover_t c;
        if (rota_cover (cfg, team, &ch, now, to, &c))
            continue;
        const char **on = NULL;
        size_t n = rota_on_duty (cfg, team, &ch, now, &on);
        free (on);
        static const char *const name[4] = {"opdesk_coverage_gap_seconds", "opdesk_coverage_ratio",
                                            "opdesk_coverage_on_duty", "opdesk_coverage_required"};
        for (int k = 0; k < 4; k++) {
            g_string_append_printf (g[k], "%s{team=\"", name[k]);
            s_label (g[k], team);
            g_string_append (g[k], "\"} ");
        }
        g_string_append_printf (g[0], "%.3f\n", (double) (c.work_ms - c.covered_ms) / 1000.0);
        g_string_append_printf (g[1], "%.6f\n", c.covered_ratio);
        g_string_append_printf (g[2], "%zu\n", n);
        g_string_append_printf (g[3], "%d\n", c.required);
        rota_cover_free (&c);
    }
    rota_changes_free (&ch);
    for (int i = 1; i < 4; i++) {
        g_string_append (g[0], g[i]->str);
        g_string_free (g[i], TRUE);
    }
    if (s_waiting_text (r, cfg, g[0])) {
        g_string_free (g[0], TRUE);
        return NULL;
    }
    char *text = opd_strdup (g[0]->str);
    g_string_free (g[0], TRUE);
    return text;
}
