/*  portal_details: a requester gives the details a request still lacks
    (CONTRACT.md section 6: a missing required field leaves the ticket
    pending and the requester is told; issue 12: a link to a pre-filled
    form).

    GET  /details/TOKEN        the form, from the link mailed with the
                               acknowledgement (opd:details:SHA256 = the
                               ticket; no sign-in needed: the link is the
                               proof, as a sign-in link is)
    POST /details/TOKEN        the details given: through opd_change_apply,
                               as a PATCH of the ticket's fields would; the
                               link is used up once nothing is missing
    POST /tickets/ID/details   the same from the signed-in ticket page

    Fields appear by their label with their help text; an error names the
    label, never the internal name or a pattern. When the last missing
    detail arrives, the ticket moves from pending to open and its clocks
    resume (store/src/opd_change.c, decision 122). */
#include "opd_change.h"
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include "portal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const opd_field_t *
s_field (const opd_reqtype_t *rt, const char *name)
{
    for (size_t i = 0; rt && i < rt->nfields; i++)
        if (!strcmp (rt->fields[i].name, name))
            return &rt->fields[i];
    return NULL;
}

static bool
s_is_missing (json_t *ticket, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (ticket, "missing_fields"), i, v)
        if (json_is_string (v) && !strcmp (json_string_value (v), name))
            return true;
    return false;
}

//  A field's current value as a form shows it.
static char *
s_value_text (json_t *v)
{
    if (json_is_string (v))
        return opd_strdup (json_string_value (v));
    if (json_is_boolean (v))
        return opd_strdup (json_is_true (v) ? "true" : "false");
    return v ? json_dumps (v, JSON_ENCODE_ANY) : NULL;
}

void
portal_details_form (GString *b, const opd_config_t *cfg, json_t *ticket, const char *action, const char *csrf,
                     const form_t *values)
{
    const opd_reqtype_t *rt = opd_config_reqtype (cfg, portal_jstr (ticket, "request_type") ? portal_jstr (ticket, "request_type") : "");
    if (!rt || !json_array_size (json_object_get (ticket, "missing_fields")))
        return;
    g_string_append (b, "<form method=\"post\" id=\"details\" action=\"");
    portal_esc (b, action);
    g_string_append (b, "\"><h2>Details we still need</h2><p>To handle your request we need the details "
                        "marked <em>still needed</em>. You can correct the others too.</p>");
    portal_csrf_field (b, csrf);
    json_t *fields = json_object_get (ticket, "fields");
    for (size_t i = 0; i < rt->nfields; i++) {
        const opd_field_t *f = &rt->fields[i];
        char *current = s_value_text (json_object_get (fields, f->name));
        const char *typed = values ? portal_form_get (values, f->name) : NULL;
        portal_field_input (b, f, f->name, typed ? typed : current, s_is_missing (ticket, f->name) ? "still needed" : NULL);
        free (current);
    }
    g_string_append (b, "<button type=\"submit\" id=\"send-details\">Send the details</button></form>");
}

//  The words for a person about field name's value: by its label, with its
//  help text when it has one. Into err.
static void
s_people_error (const opd_reqtype_t *rt, const char *name, char *err, size_t size)
{
    const opd_field_t *f = s_field (rt, name);
    snprintf (err, size, "Please check \"%s\": %s", f && f->label ? f->label : name,
              f && f->help ? f->help : "this value is not in the form we need.");
}

//  The form's values as a change of the ticket's fields: those given (an
//  empty input leaves a field as it is). NULL with err when one is wrong.
static json_t *
s_fields_from_form (const opd_reqtype_t *rt, const form_t *f, char *err, size_t size)
{
    json_t *fields = json_object ();
    for (size_t i = 0; rt && i < rt->nfields; i++) {
        const char *text = portal_form_get (f, rt->fields[i].name);
        json_t *v = NULL;
        char why[512];
        if (text && opd_field_from_text (rt, rt->fields[i].name, text, &v, why, sizeof why)) {
            s_people_error (rt, rt->fields[i].name, err, size);
            json_decref (fields);
            return NULL;
        }
        if (v)
            json_object_set_new (fields, rt->fields[i].name, v);
    }
    return fields;
}

//  Applies the form to ticket id. 0, or -1 with err for the person (and
//  *status the HTTP status to answer with).
static int
s_apply (http_req_t *req, json_t *ticket, const form_t *f, char *err, size_t size, int *status)
{
    const char *id = portal_jstr (ticket, "id");
    const opd_reqtype_t *rt = opd_config_reqtype (req->cfg, portal_jstr (ticket, "request_type") ? portal_jstr (ticket, "request_type") : "");
    *status = 422;
    json_t *fields = s_fields_from_form (rt, f, err, size);
    if (!fields)
        return -1;
    if (!json_object_size (fields)) {
        json_decref (fields);
        snprintf (err, size, "Please fill in at least one of the details.");
        return -1;
    }
    opd_change_t ch = {.fields = fields, .actor = "requester"};
    opd_change_result_t res;
    int rc = opd_change_apply (http_redis (req), req->cfg, id, &ch, &res);
    json_decref (fields);
    if (rc == 0) {
        opd_info ("details given ticket=%s", id);
        return 0;
    }
    if (res.code == OPD_CHANGE_UNAVAILABLE)
        *status = 503;
    if (!strncmp (res.key, "fields.", 7))
        s_people_error (rt, res.key + 7, err, size);
    else
        snprintf (err, size, "%s", res.code == OPD_CHANGE_UNAVAILABLE
                                       ? "The Service Desk cannot take the details at the moment. Please try again shortly."
                                       : "These details cannot be taken for this request any more.");
    return -1;
}

//  --- The mailed link -----------------------------------------------------

//  The ticket of a link's token, read now: NULL when the link is not one,
//  expired or used (*failed when Redis failed).
static char *
s_link_ticket (http_req_t *req, const char *token, char *key, size_t size, bool *failed)
{
    *failed = false;
    if (strlen (token) != 64 || strspn (token, "0123456789abcdef") != 64)
        return NULL;
    gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
    opd_key_details (key, size, hash);
    g_free (hash);
    redisReply *r = opd_redis_command (http_redis (req), "GET %s", key);
    *failed = !r || r->type == REDIS_REPLY_ERROR;
    char *id = r && r->type == REDIS_REPLY_STRING ? opd_strdup (r->str) : NULL;
    if (r)
        freeReplyObject (r);
    return id;
}

static void
s_link_page (http_req_t *req, int status, const char *action, json_t *t, const form_t *values, const char *error)
{
    GString *b = g_string_new ("<h1>Details for your request <span id=\"ticket-id\">");
    portal_esc (b, portal_jstr (t, "id"));
    g_string_append (b, "</span></h1><p>");
    portal_esc (b, portal_jstr (t, "subject"));
    g_string_append (b, "</p>");
    if (error) {
        g_string_append (b, "<p class=\"error\" role=\"alert\" id=\"error\">");
        portal_esc (b, error);
        g_string_append (b, "</p>");
    }
    char csrf[65];
    web_csrf_anonymous (req, csrf);
    portal_details_form (b, req->cfg, t, action, csrf, values);
    portal_page (req, status, "Details for your request", NULL, b, NULL);
}

static void
s_link_done (http_req_t *req, json_t *t, const char *key)
{
    bool complete = !json_array_size (json_object_get (t, "missing_fields"));
    if (complete) {
        redisReply *r = opd_redis_command (http_redis (req), "DEL %s", key);
        if (r)
            freeReplyObject (r);
    }
    GString *b = g_string_new ("<h1>Thank you</h1><p class=\"ok\" id=\"result\" role=\"status\">");
    g_string_append (b, complete ? "We have every detail we need for request " : "We have saved the details "
                                                                                  "you gave for request ");
    portal_esc (b, portal_jstr (t, "id"));
    g_string_append (b, complete ? ". It moves on now." : ". Some are still needed: ");
    if (!complete)
        g_string_append (b, "the link in our mail still works for them.");
    g_string_append (b, "</p>");
    portal_page (req, 200, "Thank you", NULL, b, NULL);
}

void
portal_details_link (http_req_t *req, const char *token)
{
    char key[128];
    bool failed;
    char *id = s_link_ticket (req, token, key, sizeof key, &failed);
    opd_ticket_error_t err = {0};
    json_t *t = id ? opd_ticket_fetch (http_redis (req), req->cfg, id, false, &err) : NULL;
    free (id);
    if (!t || failed) {
        portal_message_page (req, failed || err.code == OPD_TICKET_UNAVAILABLE ? 503 : 410, "Link not valid", NULL,
                             failed ? "This page cannot be shown at the moment. Please try again shortly."
                                    : "This link has expired or has been used. You can still reply to our mail "
                                      "with the details.");
        json_decref (t);
        return;
    }
    char action[80];
    snprintf (action, sizeof action, "/details/%s", token);
    if (!json_array_size (json_object_get (t, "missing_fields")))
        s_link_done (req, t, key);
    else if (strcmp (req->method, "POST"))
        s_link_page (req, 200, action, t, NULL, NULL);
    else {
        form_t f;
        char error[600];
        int status;
        if (portal_form_post (req, NULL, &f) == 0) {
            json_t *after = NULL;
            if (s_apply (req, t, &f, error, sizeof error, &status))
                s_link_page (req, status, action, t, &f, error);
            else if ((after = opd_ticket_fetch (http_redis (req), req->cfg, portal_jstr (t, "id"), false, &err)))
                s_link_done (req, after, key);
            else
                portal_message_page (req, 200, "Thank you", NULL, "Thank you: the details are saved.");
            json_decref (after);
            portal_form_free (&f);
        }
    }
    json_decref (t);
}

//  --- The signed-in ticket page ---------------------------------------------

void
portal_details_post (http_req_t *req, const web_auth_t *who, const char *id)
{
    form_t f;
    if (portal_form_post (req, who, &f))
        return;
    opd_ticket_error_t err = {0};
    json_t *t = web_owns (req, who, id) > 0 ? opd_ticket_fetch (http_redis (req), req->cfg, id, false, &err) : NULL;
    char error[600] = "There is no such request among yours.";
    int status = 404;
    if (t && s_apply (req, t, &f, error, sizeof error, &status) == 0) {
        char to[96];
        snprintf (to, sizeof to, "/tickets/%s?given=1", id);
        portal_redirect (req, to);
    }
    else
        portal_message_page (req, status, status == 404 ? "Not found" : "Please check the details", who, error);
    json_decref (t);
    portal_form_free (&f);
}
