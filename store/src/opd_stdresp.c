/*  opd_stdresp: see opd_stdresp.h. */
#include "opd_stdresp.h"
#include "opd_req_tz.h"
#include "opd_store.h"
#include "opd_util.h"
#include <glib.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_nz (const char *v)
{
    return v && *v ? v : NULL;
}

const char *
opd_stdresp_timezone (const opd_config_t *cfg, const opd_ticket_t *t)
{
    const opd_policy_t *p = s_nz (t->slo_policy) ? opd_store_policy_named (cfg, t->slo_policy) : NULL;
    const opd_calendar_t *cal = p ? opd_config_calendar (cfg, p->calendar) : NULL;
    return cal ? cal->timezone : NULL;
}

//  A clock's due time for people, into buf; NULL when it has none (not
//  armed yet, or paused: a pending ticket's resolution has no due time).
static const char *
s_due (const char *zone, const opd_ticket_t *t, opd_clock_t clock, char *buf, size_t size)
{
    int64_t due;
    opd_clock_state_t state = opd_clock_state_parse (s_nz (t->clock[clock].state));
    if (state == OPD_CLOCK_PAUSED || !opd_store_ms (t->clock[clock].due, &due) || due <= 0)
        return NULL;
    opd_template_when (due, zone, buf, size);
    return buf;
}

int
opd_stdresp_render (const opd_config_t *cfg, const opd_stdresp_t *sr, const opd_ticket_t *t,
                    char **text, opd_template_error_t *err)
{
    return opd_stdresp_render_in (cfg, sr, t, opd_stdresp_timezone (cfg, t), text, err);
}

int
opd_stdresp_render_in (const opd_config_t *cfg, const opd_stdresp_t *sr, const opd_ticket_t *t,
                       const char *zone, char **text, opd_template_error_t *err)
{
    (void) cfg;
    *text = NULL;
    char fr[96], res[96];
    json_t *fields = s_nz (t->fields) ? json_loads (t->fields, 0, NULL) : NULL;
    opd_template_values_t v = {s_nz (t->id), s_nz (t->subject), s_nz (t->req_name),
                               s_due (zone, t, OPD_CLOCK_FR, fr, sizeof fr),
                               s_due (zone, t, OPD_CLOCK_RES, res, sizeof res), fields};
    char *subject = NULL, *body = NULL;
    int rc = opd_template_render (sr->subject ? sr->subject : "", &v, &subject, err);
    if (rc == 0)
        rc = opd_template_render (sr->body, &v, &body, err);
    json_decref (fields);
    if (rc == 0) {
        GString *s = g_string_new (NULL);
        if (*subject)
            g_string_append_printf (s, "%s\n\n", subject);
        g_string_append (s, body);
        if (sr->guide_url)
            g_string_append_printf (s, "\n\nGuide: %s", sr->guide_url);
        *text = g_string_free (s, FALSE);
    }
    free (subject);
    free (body);
    return rc;
}

int
opd_stdresp_comment_text (opd_redis_t *redis, const opd_config_t *cfg, const char *id,
                          const opd_stdresp_t *sr, const char *body, char **text,
                          char **refusal, opd_template_error_t *err)
{
    *text = NULL;
    *refusal = NULL;
    opd_ticket_t t;
    redisReply *hash = NULL;
    int found = opd_store_ticket_get (redis, id, &t, &hash);
    if (found != 1) {
        if (hash)
            freeReplyObject (hash);
        return found == 0 ? 2 : -1;
    }
    char *chosen = NULL, *rendered = NULL;
    if (s_nz (t.req_email) && opd_req_tz_get (redis, t.req_email, &chosen)) {
        freeReplyObject (hash);
        return -1;
    }
    //  What the requester reads: due times in the requester's zone.
    const char *zone = opd_req_tz_pick (cfg, chosen, s_nz (t.slo_policy));
    int rc = 0;
    if (opd_stdresp_render_in (cfg, sr, &t, zone, &rendered, err)) {
        *refusal = opd_sprintf ("standard response '%s' not sent: {{%s}} %s", sr->id, err->name, err->why);
        rc = 1;
    }
    else if (body && *body) {
        *text = opd_sprintf ("%s\n\n%s", body, rendered);
        free (rendered);
    }
    else
        *text = rendered;
    free (chosen);
    freeReplyObject (hash);
    return rc;
}
