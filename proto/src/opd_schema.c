/*  Generated from proto/schema.yaml by proto/gen.py. Do not edit: edit the schema and run the generator. */
#include "opd_schema.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const opd_clock_ids[OPD_CLOCK_COUNT] = {"fr", "nr", "res"};
const char *const opd_clock_names[OPD_CLOCK_COUNT] = {"first_response", "next_reply", "resolution"};
const char *const opd_clock_fields[OPD_CLOCK_COUNT][OPD_CF_COUNT] = {
    {"fr_state", "fr_due", "fr_met", "fr_breached", "fr_warn", "fr_warned", "fr_target"},
    {"nr_state", "nr_due", "nr_met", "nr_breached", "nr_warn", "nr_warned", "nr_target"},
    {"res_state", "res_due", "res_met", "res_breached", "res_warn", "res_warned", "res_target"},
};
const char *const opd_clock_states[5] = {NULL, "running", "paused", "met", "breached"};

static int
s_find (const char *const *names, int n, const char *text)
{
    for (int i = 0; text && i < n; i++)
        if (names[i] && !strcmp (names[i], text))
            return i;
    return -1;
}

int
opd_clock_from_id (const char *id)
{
    return s_find (opd_clock_ids, OPD_CLOCK_COUNT, id);
}

int
opd_clock_from_name (const char *name)
{
    return s_find (opd_clock_names, OPD_CLOCK_COUNT, name);
}

opd_clock_state_t
opd_clock_state_parse (const char *text)
{
    int i = s_find (opd_clock_states, 5, text);
    return i < 0 ? OPD_CLOCK_NONE : (opd_clock_state_t) i;
}

typedef struct {
    const char *name;
    size_t offset;
} slot_t;
static const slot_t s_slots[] = {
    {"ack", offsetof (opd_ticket_t, ack)},
    {"anonymised", offsetof (opd_ticket_t, anonymised)},
    {"anonymised_at", offsetof (opd_ticket_t, anonymised_at)},
    {"anonymised_rule", offsetof (opd_ticket_t, anonymised_rule)},
    {"anonymised_run", offsetof (opd_ticket_t, anonymised_run)},
    {"armed_at", offsetof (opd_ticket_t, armed_at)},
    {"assignee", offsetof (opd_ticket_t, assignee)},
    {"attachments", offsetof (opd_ticket_t, attachments)},
    {"body", offsetof (opd_ticket_t, body)},
    {"canary", offsetof (opd_ticket_t, canary)},
    {"category", offsetof (opd_ticket_t, category)},
    {"channel", offsetof (opd_ticket_t, channel)},
    {"closed_at", offsetof (opd_ticket_t, closed_at)},
    {"cnt", offsetof (opd_ticket_t, cnt)},
    {"created_at", offsetof (opd_ticket_t, created_at)},
    {"details_asked_at", offsetof (opd_ticket_t, details_asked_at)},
    {"details_given_at", offsetof (opd_ticket_t, details_given_at)},
    {"external_id", offsetof (opd_ticket_t, external_id)},
    {"fields", offsetof (opd_ticket_t, fields)},
    {"first_reply_at", offsetof (opd_ticket_t, first_reply_at)},
    {"fr_breached", offsetof (opd_ticket_t, clock[0].breached)},
    {"fr_due", offsetof (opd_ticket_t, clock[0].due)},
    {"fr_met", offsetof (opd_ticket_t, clock[0].met)},
    {"fr_state", offsetof (opd_ticket_t, clock[0].state)},
    {"fr_target", offsetof (opd_ticket_t, clock[0].target)},
    {"fr_warn", offsetof (opd_ticket_t, clock[0].warn)},
    {"fr_warned", offsetof (opd_ticket_t, clock[0].warned)},
    {"hold", offsetof (opd_ticket_t, hold)},
    {"hold_at", offsetof (opd_ticket_t, hold_at)},
    {"hold_by", offsetof (opd_ticket_t, hold_by)},
    {"hold_reason", offsetof (opd_ticket_t, hold_reason)},
    {"id", offsetof (opd_ticket_t, id)},
    {"impact", offsetof (opd_ticket_t, impact)},
    {"kind", offsetof (opd_ticket_t, kind)},
    {"linked_to", offsetof (opd_ticket_t, linked_to)},
    {"links", offsetof (opd_ticket_t, links)},
    {"mail_thread", offsetof (opd_ticket_t, mail_thread)},
    {"misrouted", offsetof (opd_ticket_t, misrouted)},
    {"missing", offsetof (opd_ticket_t, missing)},
    {"ncomments", offsetof (opd_ticket_t, ncomments)},
    {"no_ack", offsetof (opd_ticket_t, no_ack)},
    {"nr_breached", offsetof (opd_ticket_t, clock[1].breached)},
    {"nr_breaches", offsetof (opd_ticket_t, nr_breaches)},
    {"nr_due", offsetof (opd_ticket_t, clock[1].due)},
    {"nr_met", offsetof (opd_ticket_t, clock[1].met)},
    {"nr_replied_at", offsetof (opd_ticket_t, nr_replied_at)},
    {"nr_start", offsetof (opd_ticket_t, nr_start)},
    {"nr_state", offsetof (opd_ticket_t, clock[1].state)},
    {"nr_target", offsetof (opd_ticket_t, clock[1].target)},
    {"nr_warn", offsetof (opd_ticket_t, clock[1].warn)},
    {"nr_warned", offsetof (opd_ticket_t, clock[1].warned)},
    {"participants", offsetof (opd_ticket_t, participants)},
    {"priority", offsetof (opd_ticket_t, priority)},
    {"privacy", offsetof (opd_ticket_t, privacy)},
    {"pseudonym", offsetof (opd_ticket_t, pseudonym)},
    {"pseudonym_period", offsetof (opd_ticket_t, pseudonym_period)},
    {"qteam", offsetof (opd_ticket_t, qteam)},
    {"rated_at", offsetof (opd_ticket_t, rated_at)},
    {"rating", offsetof (opd_ticket_t, rating)},
    {"rating_comment", offsetof (opd_ticket_t, rating_comment)},
    {"received_at", offsetof (opd_ticket_t, received_at)},
    {"req_email", offsetof (opd_ticket_t, req_email)},
    {"req_name", offsetof (opd_ticket_t, req_name)},
    {"req_phone", offsetof (opd_ticket_t, req_phone)},
    {"request_type", offsetof (opd_ticket_t, request_type)},
    {"res_breached", offsetof (opd_ticket_t, clock[2].breached)},
    {"res_due", offsetof (opd_ticket_t, clock[2].due)},
    {"res_met", offsetof (opd_ticket_t, clock[2].met)},
    {"res_pause", offsetof (opd_ticket_t, res_pause)},
    {"res_pauses", offsetof (opd_ticket_t, res_pauses)},
    {"res_state", offsetof (opd_ticket_t, clock[2].state)},
    {"res_target", offsetof (opd_ticket_t, clock[2].target)},
    {"res_warn", offsetof (opd_ticket_t, clock[2].warn)},
    {"res_warned", offsetof (opd_ticket_t, clock[2].warned)},
    {"resolved_at", offsetof (opd_ticket_t, resolved_at)},
    {"routed_at", offsetof (opd_ticket_t, routed_at)},
    {"rule", offsetof (opd_ticket_t, rule)},
    {"severity", offsetof (opd_ticket_t, severity)},
    {"slo_policy", offsetof (opd_ticket_t, slo_policy)},
    {"status", offsetof (opd_ticket_t, status)},
    {"stdresp", offsetof (opd_ticket_t, stdresp)},
    {"stdresp_sent", offsetof (opd_ticket_t, stdresp_sent)},
    {"subject", offsetof (opd_ticket_t, subject)},
    {"submitted_by", offsetof (opd_ticket_t, submitted_by)},
    {"tags", offsetof (opd_ticket_t, tags)},
    {"team", offsetof (opd_ticket_t, team)},
    {"team_since", offsetof (opd_ticket_t, team_since)},
    {"updated_at", offsetof (opd_ticket_t, updated_at)},
    {"urgency", offsetof (opd_ticket_t, urgency)},
    {"version", offsetof (opd_ticket_t, version)},
};

static int
s_slot_cmp (const void *key, const void *slot)
{
    return strcmp (key, ((const slot_t *) slot)->name);
}

bool
opd_ticket_set (opd_ticket_t *t, const char *field, const char *value)
{
    const slot_t *s = bsearch (field, s_slots, sizeof s_slots / sizeof s_slots[0], sizeof *s, s_slot_cmp);
    if (!s)
        return false;
    *(const char **) ((char *) t + s->offset) = value;
    return true;
}

const opd_personal_t opd_personal_fields[] = {
    {"external_id", NULL, false, true},
    {"req_name", "anonymised", false, false},
    {"req_email", NULL, false, false},
    {"req_phone", NULL, false, false},
    {"subject", NULL, false, true},
    {"body", "[removed]", false, false},
    {"fields", NULL, true, false},
    {"rating_comment", NULL, false, false},
    {"attachments", NULL, false, false},
    {"links", NULL, false, false},
    {"participants", NULL, false, false},
};
const size_t opd_personal_count = 11;

int
opd_key_ticket (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_TICKET_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_comments (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_COMMENTS_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_history (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_HISTORY_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_drafts (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_DRAFTS_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_presence (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_PRESENCE_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_worked (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_WORKED_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_worked_beat (char *buf, size_t size, const char *id, const char *agent)
{
    int n = snprintf (buf, size, OPD_KEY_WORKED_BEAT_FMT, id, agent);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_views_agent (char *buf, size_t size, const char *identity)
{
    int n = snprintf (buf, size, OPD_KEY_VIEWS_AGENT_FMT, identity);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_views_team (char *buf, size_t size, const char *team)
{
    int n = snprintf (buf, size, OPD_KEY_VIEWS_TEAM_FMT, team);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_idem (char *buf, size_t size, const char *channel, const char *external_id)
{
    int n = snprintf (buf, size, OPD_KEY_IDEM_FMT, channel, external_id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_ext (char *buf, size_t size, const char *external_id)
{
    int n = snprintf (buf, size, OPD_KEY_EXT_FMT, external_id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_blob_refs (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_BLOB_REFS_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_slo_done (char *buf, size_t size, const char *policy, const char *slo, const char *outcome)
{
    int n = snprintf (buf, size, OPD_KEY_SLO_DONE_FMT, policy, slo, outcome);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_slo_burn (char *buf, size_t size, const char *policy, const char *slo, const char *window)
{
    int n = snprintf (buf, size, OPD_KEY_SLO_BURN_FMT, policy, slo, window);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_anon_run (char *buf, size_t size, const char *run)
{
    int n = snprintf (buf, size, OPD_KEY_ANON_RUN_FMT, run);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_pseudo_period (char *buf, size_t size, const char *period)
{
    int n = snprintf (buf, size, OPD_KEY_PSEUDO_PERIOD_FMT, period);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_idx_status (char *buf, size_t size, const char *status)
{
    int n = snprintf (buf, size, OPD_KEY_IDX_STATUS_FMT, status);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_idx_team (char *buf, size_t size, const char *team)
{
    int n = snprintf (buf, size, OPD_KEY_IDX_TEAM_FMT, team);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_idx_req (char *buf, size_t size, const char *email)
{
    int n = snprintf (buf, size, OPD_KEY_IDX_REQ_FMT, email);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_req_tz (char *buf, size_t size, const char *email)
{
    int n = snprintf (buf, size, OPD_KEY_REQ_TZ_FMT, email);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_queue_due (char *buf, size_t size, const char *team)
{
    int n = snprintf (buf, size, OPD_KEY_QUEUE_DUE_FMT, team);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_count_team (char *buf, size_t size, const char *team)
{
    int n = snprintf (buf, size, OPD_KEY_COUNT_TEAM_FMT, team);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_stats_mail (char *buf, size_t size, const char *counter)
{
    int n = snprintf (buf, size, OPD_KEY_STATS_MAIL_FMT, counter);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_webhook_cursor (char *buf, size_t size, const char *hook)
{
    int n = snprintf (buf, size, OPD_KEY_WEBHOOK_CURSOR_FMT, hook);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_agent_prefs (char *buf, size_t size, const char *agent)
{
    int n = snprintf (buf, size, OPD_KEY_AGENT_PREFS_FMT, agent);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_agent_notes (char *buf, size_t size, const char *agent)
{
    int n = snprintf (buf, size, OPD_KEY_AGENT_NOTES_FMT, agent);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_agent_unread (char *buf, size_t size, const char *agent)
{
    int n = snprintf (buf, size, OPD_KEY_AGENT_UNREAD_FMT, agent);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_mail_tries (char *buf, size_t size, const char *box, const char *uidvalidity, const char *uid)
{
    int n = snprintf (buf, size, OPD_KEY_MAIL_TRIES_FMT, box, uidvalidity, uid);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rate_mail (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_RATE_MAIL_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_call (char *buf, size_t size, const char *call_id)
{
    int n = snprintf (buf, size, OPD_KEY_CALL_FMT, call_id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_phone (char *buf, size_t size, const char *e164)
{
    int n = snprintf (buf, size, OPD_KEY_PHONE_FMT, e164);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_aht (char *buf, size_t size, const char *team, const char *day)
{
    int n = snprintf (buf, size, OPD_KEY_AHT_FMT, team, day);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rate_web (char *buf, size_t size, const char *kind, const char *hash)
{
    int n = snprintf (buf, size, OPD_KEY_RATE_WEB_FMT, kind, hash);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_session (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_SESSION_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_signin (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_SIGNIN_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_details (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_DETAILS_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rating_link (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_RATING_LINK_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_alive (char *buf, size_t size, const char *name)
{
    int n = snprintf (buf, size, OPD_KEY_ALIVE_FMT, name);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_abs (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_ABS_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_abs_agent (char *buf, size_t size, const char *agent)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_ABS_AGENT_FMT, agent);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_ovr (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_OVR_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_feed (char *buf, size_t size, const char *id)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_FEED_FMT, id);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_feed_token (char *buf, size_t size, const char *sha256)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_FEED_TOKEN_FMT, sha256);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_gap (char *buf, size_t size, const char *team, const char *from, const char *to)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_GAP_FMT, team, from, to);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_gap_begun (char *buf, size_t size, const char *team, const char *from, const char *to)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_GAP_BEGUN_FMT, team, from, to);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_key_rota_gaps (char *buf, size_t size, const char *team)
{
    int n = snprintf (buf, size, OPD_KEY_ROTA_GAPS_FMT, team);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

const opd_key_info_t opd_keys[] = {
    {"layout", "opd:layout", OPD_SCOPE_GLOBAL, false, NULL},
    {"seq", "opd:seq", OPD_SCOPE_GLOBAL, false, NULL},
    {"ticket", "opd:t:{{id}}", OPD_SCOPE_TICKET, true, NULL},
    {"comments", "opd:t:{{id}}:c", OPD_SCOPE_TICKET, true, NULL},
    {"history", "opd:t:{{id}}:h", OPD_SCOPE_TICKET, true, NULL},
    {"drafts", "opd:t:{{id}}:d", OPD_SCOPE_TICKET, true, NULL},
    {"presence", "opd:t:{{id}}:p", OPD_SCOPE_TICKET, false, NULL},
    {"worked", "opd:t:{{id}}:w", OPD_SCOPE_TICKET, false, NULL},
    {"worked_beat", "opd:t:{{id}}:w:{agent}", OPD_SCOPE_TICKET, false, NULL},
    {"views_agent", "opd:views:agent:{identity}", OPD_SCOPE_GLOBAL, false, NULL},
    {"views_team", "opd:views:team:{team}", OPD_SCOPE_GLOBAL, false, NULL},
    {"idem", "opd:idem:{channel}:{external_id}", OPD_SCOPE_GLOBAL, true, "ticket"},
    {"ext", "opd:ext:{external_id}", OPD_SCOPE_GLOBAL, true, "ticket"},
    {"blob_refs", "opd:blob:{sha256}:refs", OPD_SCOPE_GLOBAL, false, NULL},
    {"unrouted", "opd:unrouted", OPD_SCOPE_GLOBAL, false, NULL},
    {"details_replies", "opd:replies:details", OPD_SCOPE_GLOBAL, false, NULL},
    {"slo_work", "opd:slo:work", OPD_SCOPE_GLOBAL, false, NULL},
    {"timers", "opd:timers", OPD_SCOPE_GLOBAL, false, NULL},
    {"timers_running", "opd:timers:running", OPD_SCOPE_GLOBAL, false, NULL},
    {"slo_done", "opd:slo:done:{policy}:{slo}:{outcome}", OPD_SCOPE_GLOBAL, false, NULL},
    {"slo_measure", "opd:slo:measure", OPD_SCOPE_GLOBAL, false, NULL},
    {"slo_risk", "opd:slo:risk", OPD_SCOPE_GLOBAL, false, NULL},
    {"slo_burn", "opd:slo:burn:{policy}:{slo}:{window}", OPD_SCOPE_GLOBAL, false, NULL},
    {"stats_slo", "opd:stats:slo", OPD_SCOPE_GLOBAL, false, NULL},
    {"stats_slo_hist", "opd:stats:slo:hist", OPD_SCOPE_GLOBAL, false, NULL},
    {"stats_slo_gauges", "opd:stats:slo:gauges", OPD_SCOPE_GLOBAL, false, NULL},
    {"events", "opd:events", OPD_SCOPE_GLOBAL, true, "stream ticket_id"},
    {"outbox_ready", "opd:outbox:ready", OPD_SCOPE_GLOBAL, false, "list ticket"},
    {"outbox_busy", "opd:outbox:busy", OPD_SCOPE_GLOBAL, false, "list ticket"},
    {"outbox_retry", "opd:outbox:retry", OPD_SCOPE_GLOBAL, false, "zset ticket"},
    {"outbox_seq", "opd:outbox:seq", OPD_SCOPE_GLOBAL, false, NULL},
    {"closed", "opd:closed", OPD_SCOPE_GLOBAL, false, NULL},
    {"anonymised", "opd:anonymised", OPD_SCOPE_GLOBAL, false, NULL},
    {"anon_pending", "opd:anon:pending", OPD_SCOPE_GLOBAL, false, NULL},
    {"anon_linked", "opd:anon:linked", OPD_SCOPE_GLOBAL, false, NULL},
    {"anon_seq", "opd:anon:seq", OPD_SCOPE_GLOBAL, false, NULL},
    {"anon_run", "opd:anon:run:{run}", OPD_SCOPE_GLOBAL, false, NULL},
    {"pseudo_period", "opd:pseudo:period:{period}", OPD_SCOPE_GLOBAL, false, NULL},
    {"pseudo_destroyed", "opd:pseudo:destroyed", OPD_SCOPE_GLOBAL, false, NULL},
    {"anon_runs", "opd:anon:runs", OPD_SCOPE_GLOBAL, false, NULL},
    {"idx_all", "opd:idx:all", OPD_SCOPE_GLOBAL, false, NULL},
    {"idx_status", "opd:idx:status:{status}", OPD_SCOPE_GLOBAL, false, NULL},
    {"idx_team", "opd:idx:team:{team}", OPD_SCOPE_GLOBAL, false, NULL},
    {"idx_req", "opd:idx:req:{email}", OPD_SCOPE_GLOBAL, true, NULL},
    {"req_tz", "opd:req:{email}:tz", OPD_SCOPE_GLOBAL, true, NULL},
    {"queue_due", "opd:q:due:{team}", OPD_SCOPE_GLOBAL, false, NULL},
    {"count_team", "opd:count:team:{team}", OPD_SCOPE_GLOBAL, false, NULL},
    {"resolved", "opd:resolved", OPD_SCOPE_GLOBAL, false, NULL},
    {"stats_mail", "opd:stats:{counter}", OPD_SCOPE_GLOBAL, false, NULL},
    {"stats_stdresp", "opd:stats:stdresp", OPD_SCOPE_GLOBAL, false, NULL},
    {"stats_route", "opd:stats:route", OPD_SCOPE_GLOBAL, false, NULL},
    {"webhook_cursor", "opd:notifier:webhook:{hook}:cursor", OPD_SCOPE_GLOBAL, false, NULL},
    {"agent_prefs", "opd:agent:{agent}:prefs", OPD_SCOPE_GLOBAL, false, NULL},
    {"agent_notes", "opd:agent:{agent}:notes", OPD_SCOPE_GLOBAL, false, NULL},
    {"agent_unread", "opd:agent:{agent}:unread", OPD_SCOPE_GLOBAL, false, NULL},
    {"notices_cursor", "opd:notifier:notices:cursor", OPD_SCOPE_GLOBAL, false, NULL},
    {"mail_tries", "opd:mail:tries:{box}:{uidvalidity}:{uid}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rate_mail", "opd:rate:mail:{sha256}", OPD_SCOPE_GLOBAL, true, NULL},
    {"call", "opd:call:{call_id}", OPD_SCOPE_GLOBAL, true, "ticket"},
    {"phone", "opd:phone:{e164}", OPD_SCOPE_GLOBAL, true, "ticket"},
    {"phone_cursor", "opd:phone:cursor", OPD_SCOPE_GLOBAL, false, NULL},
    {"aht", "opd:aht:{team}:{day}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rate_web", "opd:rate:web:{kind}:{hash}", OPD_SCOPE_GLOBAL, true, NULL},
    {"session", "opd:session:{sha256}", OPD_SCOPE_GLOBAL, true, NULL},
    {"signin", "opd:signin:{sha256}", OPD_SCOPE_GLOBAL, true, NULL},
    {"details", "opd:details:{sha256}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rating_link", "opd:rating:{sha256}", OPD_SCOPE_GLOBAL, false, NULL},
    {"ratings", "opd:ratings", OPD_SCOPE_GLOBAL, false, NULL},
    {"alive", "opd:alive:{name}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_abs", "opd:rota:abs:{id}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_abs_seq", "opd:rota:abs:seq", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_abs_end", "opd:rota:abs:end", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_abs_agent", "opd:rota:abs:agent:{agent}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_ovr", "opd:rota:ovr:{id}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_ovr_seq", "opd:rota:ovr:seq", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_ovr_end", "opd:rota:ovr:end", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_feed", "opd:rota:feed:{id}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_feed_token", "opd:rota:feed:token:{sha256}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_feed_seq", "opd:rota:feed:seq", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_gap", "opd:rota:gap:{team}:{from}:{to}", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_gap_begun", "opd:rota:gap:{team}:{from}:{to}:begun", OPD_SCOPE_GLOBAL, false, NULL},
    {"rota_gaps", "opd:rota:gaps:{team}", OPD_SCOPE_GLOBAL, false, NULL},
};
const size_t opd_key_count = 82;

//  Splits text into n parts at the last n - 1 separators.
static int
s_split (const char *text, size_t len, int n, const char **start, size_t *plen)
{
    size_t end = len;
    for (int i = n - 1; i > 0; i--) {
        size_t j = end;
        while (j > 0 && text[j - 1] != '|')
            j--;
        if (j == 0)
            return -2;
        start[i] = text + j;
        plen[i] = end - j;
        end = j - 1;
    }
    start[0] = text;
    plen[0] = end;
    return 0;
}

static int
s_ms (const char *p, size_t len, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9' || i > 17)
            return -2;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

static int
s_clock (const char *p, size_t len, opd_clock_t *out)
{
    for (int c = 0; c < OPD_CLOCK_COUNT; c++)
        if (strlen (opd_clock_ids[c]) == len && !memcmp (opd_clock_ids[c], p, len)) {
            *out = (opd_clock_t) c;
            return 0;
        }
    return -2;
}

int
opd_member_timer_make (char *buf, size_t size, const opd_member_timer_t *m)
{
    if ((int) m->clock < 0 || m->clock >= OPD_CLOCK_COUNT)
        return -1;
    int n = snprintf (buf, size, "%s|%s|%c", m->id, opd_clock_ids[m->clock], m->kind);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_member_timer_parse (const char *text, size_t len, opd_member_timer_t *m)
{
    const char *p[3];
    size_t l[3];
    memset (m, 0, sizeof *m);
    if (!text || s_split (text, len, 3, p, l))
        return -2;
    if (l[0] == 0 || l[0] > OPD_ID_MAX || memchr (p[0], 0, l[0]))
        return -2;
    memcpy (m->id, p[0], l[0]);
    if (s_clock (p[1], l[1], &m->clock))
        return -2;
    if (l[2] != 1 || !strchr ("wb", p[2][0]))
        return -2;
    m->kind = p[2][0];
    return 0;
}

int
opd_member_risk_make (char *buf, size_t size, const opd_member_risk_t *m)
{
    if ((int) m->clock < 0 || m->clock >= OPD_CLOCK_COUNT)
        return -1;
    int n = snprintf (buf, size, "%s|%s", m->id, opd_clock_ids[m->clock]);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_member_risk_parse (const char *text, size_t len, opd_member_risk_t *m)
{
    const char *p[2];
    size_t l[2];
    memset (m, 0, sizeof *m);
    if (!text || s_split (text, len, 2, p, l))
        return -2;
    if (l[0] == 0 || l[0] > OPD_ID_MAX || memchr (p[0], 0, l[0]))
        return -2;
    memcpy (m->id, p[0], l[0]);
    if (s_clock (p[1], l[1], &m->clock))
        return -2;
    return 0;
}

int
opd_member_done_make (char *buf, size_t size, const opd_member_done_t *m)
{
    int n = snprintf (buf, size, "%s|%lld", m->id, (long long) m->due);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_member_done_parse (const char *text, size_t len, opd_member_done_t *m)
{
    const char *p[2];
    size_t l[2];
    memset (m, 0, sizeof *m);
    if (!text || s_split (text, len, 2, p, l))
        return -2;
    if (l[0] == 0 || l[0] > OPD_ID_MAX || memchr (p[0], 0, l[0]))
        return -2;
    memcpy (m->id, p[0], l[0]);
    if (s_ms (p[1], l[1], &m->due))
        return -2;
    return 0;
}

int
opd_member_measure_make (char *buf, size_t size, const opd_member_measure_t *m)
{
    if ((int) m->clock < 0 || m->clock >= OPD_CLOCK_COUNT)
        return -1;
    int n = snprintf (buf, size, "%s|%s|%lld", m->id, opd_clock_ids[m->clock], (long long) m->met);
    return n < 0 || (size_t) n >= size ? -1 : n;
}

int
opd_member_measure_parse (const char *text, size_t len, opd_member_measure_t *m)
{
    const char *p[3];
    size_t l[3];
    memset (m, 0, sizeof *m);
    if (!text || s_split (text, len, 3, p, l))
        return -2;
    if (l[0] == 0 || l[0] > OPD_ID_MAX || memchr (p[0], 0, l[0]))
        return -2;
    memcpy (m->id, p[0], l[0]);
    if (s_clock (p[1], l[1], &m->clock))
        return -2;
    if (s_ms (p[2], l[2], &m->met))
        return -2;
    return 0;
}

const opd_event_info_t opd_events[] = {
    {"ticket.created", true, "channel priority kind", false},
    {"ticket.routed", true, "team category priority rule", false},
    {"ticket.updated", true, "by changes", true},
    {"ticket.resolved", true, "by", true},
    {"ticket.closed", true, "by", true},
    {"ticket.reopened", true, "by", true},
    {"ticket.commented", true, "comment_id public role", false},
    {"ticket.anonymised", true, "", false},
    {"ticket.rated", true, "rating previous comment", false},
    {"slo.warning", true, "slo policy priority team due_at elapsed_ratio", false},
    {"slo.breach", true, "slo policy priority team due_at breached_at", false},
    {"slo.met", true, "slo policy due_at met_at", false},
    {"slo.burn", false, "policy slo window burn_rate_long burn_rate_short threshold budget_spent", false},
    {"key.destroyed", false, "period tickets", false},
    {"coverage.gap", false, "team from to on_duty required", false},
};
const size_t opd_event_count = 15;
const char *const opd_event_time_keys[] = {"at", "due_at", "breached_at", "met_at", "from", "to", NULL};

const opd_intake_key_t opd_intake_keys[] = {
    {"v", "int", true, false},
    {"type", "str", true, false},
    {"channel", "str", true, false},
    {"external_id", "str", true, false},
    {"received_at", "int", false, false},
    {"requester", "map", true, true},
    {"subject", "str", true, false},
    {"body", "str", false, true},
    {"kind", "str", false, false},
    {"request_type", "str", false, false},
    {"fields", "map", false, false},
    {"priority", "str", false, false},
    {"impact", "str", false, false},
    {"urgency", "str", false, false},
    {"category", "str", false, false},
    {"reply_to", "str", false, false},
    {"attachments", "array", false, false},
    {"suppress_ack", "bool", false, false},
    {"sender_check", "bool", false, false},
    {"participants", "array", false, true},
    {"agent", "str", false, false},
};
const size_t opd_intake_key_count = 21;
