/*  portal_request: the portal's request form at / (CONTRACT.md section 8):
    name, address (a signed-in requester's own), subject, description and
    a request type with its fields, shown by CSS alone, or by posting the
    form back where the browser cannot (never a GET: the address would go
    into the URL); a POST makes the ticket through intake, once per form
    (its form_id is the external id). */
#include "opd_log.h"
#include "opd_change.h"
#include "opd_util.h"
#include "portal.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


//  --- The request form ----------------------------------------------------

//  required: 0 no, 1 marked and checked by the browser, 2 marked only.
static void
s_input (GString *b, const char *label, const char *type, const char *name, const char *value,
         int required, const char *extra)
{
    g_string_append (b, "<label for=\"");
    portal_esc (b, name);
    g_string_append (b, "\">");
    portal_esc (b, label);
    if (required)
        g_string_append (b, " <span class=\"muted\">(required)</span>");
    g_string_append (b, "</label>");
    if (!strcmp (type, "textarea")) {
        g_string_append (b, "<textarea id=\"");
        portal_esc (b, name);
        g_string_append (b, "\" name=\"");
        portal_esc (b, name);
        g_string_append (b, required == 1 ? "\" required>" : "\">");
        portal_esc (b, value);
        g_string_append (b, "</textarea>");
        return;
    }
    g_string_append_printf (b, "<input type=\"%s\" id=\"", type);
    portal_esc (b, name);
    g_string_append (b, "\" name=\"");
    portal_esc (b, name);
    g_string_append (b, "\" value=\"");
    portal_esc (b, value);
    g_string_append_printf (b, "\"%s%s>", required == 1 ? " required" : "", extra ? extra : "");
}

static void
s_label (GString *b, const char *name, const char *label, const char *mark)
{
    g_string_append (b, "<label for=\"");
    portal_esc (b, name);
    g_string_append (b, "\">");
    portal_esc (b, label);
    if (mark) {
        g_string_append (b, " <span class=\"muted\">(");
        portal_esc (b, mark);
        g_string_append (b, ")</span>");
    }
    g_string_append (b, "</label>");
}

//  aria-describedby of a field that has a help text.
static void
s_described (GString *b, const opd_field_t *f, const char *name)
{
    if (!f->help)
        return;
    g_string_append (b, " aria-describedby=\"");
    portal_esc (b, name);
    g_string_append (b, "-help\"");
}

void
portal_field_input (GString *b, const opd_field_t *f, const char *name, const char *v, const char *mark)
{
    const char *label = f->label ? f->label : f->name;
    if (f->type == OPD_FIELD_ENUM || f->type == OPD_FIELD_BOOLEAN) {
        s_label (b, name, label, mark);
        g_string_append (b, "<select id=\"");
        portal_esc (b, name);
        g_string_append (b, "\" name=\"");
        portal_esc (b, name);
        g_string_append (b, "\"");
        s_described (b, f, name);
        g_string_append (b, "><option value=\"\"></option>");
        static const char *const yes_no[] = {"true", "false"};
        const char *const *vals = f->type == OPD_FIELD_ENUM ? (const char *const *) f->values : yes_no;
        size_t nvals = f->type == OPD_FIELD_ENUM ? f->nvalues : 2;
        for (size_t k = 0; k < nvals; k++) {
            g_string_append (b, "<option value=\"");
            portal_esc (b, vals[k]);
            g_string_append (b, v && !strcmp (v, vals[k]) ? "\" selected>" : "\">");
            portal_esc (b, f->type == OPD_FIELD_BOOLEAN ? (k == 0 ? "Yes" : "No") : vals[k]);
            g_string_append (b, "</option>");
        }
        g_string_append (b, "</select>");
    }
    else {
        const char *type = f->type == OPD_FIELD_EMAIL     ? "email"
                           : f->type == OPD_FIELD_DATE    ? "date"
                           : f->type == OPD_FIELD_PHONE   ? "tel"
                           : f->type == OPD_FIELD_INTEGER ? "number"
                           : f->type == OPD_FIELD_NUMBER  ? "number"
                                                          : "text";
        s_label (b, name, label, mark);
        g_string_append_printf (b, "<input type=\"%s\" id=\"", type);
        portal_esc (b, name);
        g_string_append (b, "\" name=\"");
        portal_esc (b, name);
        g_string_append (b, "\" value=\"");
        portal_esc (b, v ? v : "");
        g_string_append (b, "\"");
        s_described (b, f, name);
        if (f->type == OPD_FIELD_NUMBER)
            g_string_append (b, " step=\"any\"");
        else if (f->max_length > 0)
            g_string_append_printf (b, " maxlength=\"%lld\"", (long long) f->max_length);
        g_string_append (b, ">");
    }
    if (f->help) {
        g_string_append (b, "<p class=\"help muted\" id=\"");
        portal_esc (b, name);
        g_string_append (b, "-help\">");
        portal_esc (b, f->help);
        g_string_append (b, "</p>");
    }
}

//  One request type's fields. Inputs are named "f<index>.<field>" so that
//  two types may share a field name.
static void
s_type_fieldset (GString *b, const opd_reqtype_t *rt, size_t idx, bool shown, const form_t *values)
{
    g_string_append_printf (b, "<fieldset class=\"rt%s\" id=\"rt-%zu\"><legend>", shown ? " shown" : "", idx);
    portal_esc (b, rt->name ? rt->name : rt->id);
    g_string_append (b, "</legend>");
    for (size_t i = 0; i < rt->nfields; i++) {
        const opd_field_t *f = &rt->fields[i];
        char name[256];
        snprintf (name, sizeof name, "f%zu.%s", idx, f->name);
        //  Required fields are not 'required' in the browser: a hidden
        //  fieldset must not block the form; intake sends the missing ones.
        portal_field_input (b, f, name, portal_form_get (values, name), f->required ? "required" : NULL);
    }
    g_string_append (b, "</fieldset>");
}

void
portal_request_form (http_req_t *req, int status, const web_auth_t *who, const form_t *values,
                const char *error)
{
    const opd_config_t *cfg = req->cfg;
    const char *chosen = portal_form_get (values, "type");
    char form_id[33];
    const char *fid = portal_form_get (values, "form_id");
    if (fid && strlen (fid) == 32 && strspn (fid, "0123456789abcdef") == 32)
        snprintf (form_id, sizeof form_id, "%s", fid);
    else
        web_random_id (form_id);
    GString *b = g_string_new ("<h1>Ask the Service Desk</h1>");
    if (error) {
        g_string_append (b, "<p class=\"error\" role=\"alert\">");
        portal_esc (b, error);
        g_string_append (b, "</p>");
    }
    g_string_append (b, "<form method=\"post\" action=\"/\" id=\"request\">");
    g_string_append_printf (b, "<input type=\"hidden\" name=\"form_id\" value=\"%s\">", form_id);
    char csrf[65];
    if (who)
        snprintf (csrf, sizeof csrf, "%s", ((const web_session_t *) who)->csrf);
    else
        web_csrf_anonymous (req, csrf);
    portal_csrf_field (b, csrf);
    s_input (b, "Your name", "text", "name", portal_form_get (values, "name"), 0, " autocomplete=\"name\"");
    if (who) {
        g_string_append (b, "<label>Your email address</label><p>");
        portal_esc (b, who->identity);
        g_string_append (b, "</p>");
    }
    else
        s_input (b, "Your email address", "email", "email", portal_form_get (values, "email"), 1,
                 " autocomplete=\"email\"");
    s_input (b, "Subject", "text", "subject", portal_form_get (values, "subject"), 1, " maxlength=\"500\"");
    s_input (b, "Description", "textarea", "description", portal_form_get (values, "description"), 0, NULL);
    g_string_append (b, "<label for=\"type\">Request type</label><select id=\"type\" name=\"type\">"
                        "<option value=\"\">A problem or a question</option>");
    for (size_t i = 0; i < cfg->nreqtypes; i++) {
        g_string_append (b, "<option value=\"");
        portal_esc (b, cfg->reqtypes[i].id);
        g_string_append (b, chosen && !strcmp (chosen, cfg->reqtypes[i].id) ? "\" selected>" : "\">");
        portal_esc (b, cfg->reqtypes[i].name ? cfg->reqtypes[i].name : cfg->reqtypes[i].id);
        g_string_append (b, "</option>");
    }
    g_string_append (b, "</select>");
    if (cfg->nreqtypes)
        g_string_append (b, "<button type=\"submit\" formnovalidate "
                            "name=\"choose\" value=\"1\" class=\"choose\">Show its fields</button>");
    //  The browser shows the chosen type's fieldset by CSS alone (below);
    //  the button above does the same by posting the form back where :has()
    //  is missing (a POST: a GET would put name and address in the URL).
    GString *css = g_string_new ("form:has(#type option:checked) .choose{opacity:.8}");
    for (size_t i = 0; i < cfg->nreqtypes; i++) {
        bool shown = chosen && !strcmp (chosen, cfg->reqtypes[i].id);
        s_type_fieldset (b, &cfg->reqtypes[i], i, shown, values);
        g_string_append_printf (css, "form:has(#type option:nth-child(%zu):checked) #rt-%zu{display:block}",
                                i + 2, i);
    }
    g_string_append (b, "<button type=\"submit\" id=\"send\">Send request</button></form>");
    portal_page (req, status, "New request", who, b, css->str);
    g_string_free (css, TRUE);
}

void
portal_request_submit (http_req_t *req, const web_auth_t *who)
{
    form_t f;
    if (portal_form_post (req, who, &f))
        return;
    if (portal_form_get (&f, "choose")) {
        portal_request_form (req, 200, who, &f, NULL);
        portal_form_free (&f);
        return;
    }
    const opd_config_t *cfg = req->cfg;
    const char *email = who ? who->identity : portal_form_get (&f, "email");
    const char *name = portal_form_get (&f, "name");
    const char *subject = portal_form_get (&f, "subject");
    const char *description = portal_form_get (&f, "description");
    const char *type = portal_form_get (&f, "type");
    const char *fid = portal_form_get (&f, "form_id");
    const char *error = NULL;
    char buf[600];
    if (!email || !*email)
        error = "Please give your email address, so that we can answer you.";
    else if (!subject || !*subject)
        error = "Please give a subject.";
    json_t *obj = json_object ();
    json_t *rq = json_object ();
    json_object_set_new (rq, "email", json_string (email ? email : ""));
    if (name && *name)
        json_object_set_new (rq, "name", json_string (name));
    json_object_set_new (obj, "requester", rq);
    json_object_set_new (obj, "subject", json_string (subject ? subject : ""));
    if (description && *description)
        json_object_set_new (obj, "body", json_string (description));
    if (!error && type && *type) {
        size_t idx = 0;
        const opd_reqtype_t *rt = NULL;
        for (size_t i = 0; i < cfg->nreqtypes && !rt; i++)
            if (!strcmp (cfg->reqtypes[i].id, type)) {
                rt = &cfg->reqtypes[i];
                idx = i;
            }
        if (!rt)
            error = "Please choose a request type from the list.";
        else {
            json_object_set_new (obj, "request_type", json_string (rt->id));
            json_t *fields = json_object ();
            for (size_t i = 0; i < rt->nfields && !error; i++) {
                char key[256];
                snprintf (key, sizeof key, "f%zu.%s", idx, rt->fields[i].name);
                const char *text = portal_form_get (&f, key);
                json_t *v = NULL;
                if (text && opd_field_from_text (rt, rt->fields[i].name, text, &v, buf, sizeof buf))
                    error = buf;
                else if (v)
                    json_object_set_new (fields, rt->fields[i].name, v);
            }
            if (json_object_size (fields))
                json_object_set_new (obj, "fields", fields);
            else
                json_decref (fields);
        }
    }
    char ext[64];
    if (fid && strlen (fid) == 32 && strspn (fid, "0123456789abcdef") == 32)
        snprintf (ext, sizeof ext, "form-%s", fid);
    else {
        char rnd[33];
        web_random_id (rnd);
        snprintf (ext, sizeof ext, "form-%s", rnd);
    }
    json_object_set_new (obj, "channel", json_string ("web"));
    json_object_set_new (obj, "external_id", json_string (ext));
    if (error) {
        json_decref (obj);
        portal_request_form (req, 422, who, &f, error);
        portal_form_free (&f);
        return;
    }
    opd_intake_reply_t reply;
    int rc = web_submit (req, obj, WEB_INTAKE_TIMEOUT_MS, &reply, NULL, 0);
    json_decref (obj);
    if (rc) {
        portal_request_form (req, 503, who, &f,
                        "The Service Desk cannot take requests at the moment. Please try again in a few minutes.");
        portal_form_free (&f);
        return;
    }
    if (!reply.accepted) {
        bool later = !strcmp (reply.code, "unavailable");
        snprintf (buf, sizeof buf, "%s",
                  later ? "The Service Desk cannot take requests at the moment. Please try again in a few minutes."
                        : reply.error);
        portal_request_form (req, later ? 503 : 422, who, &f, buf);
        portal_form_free (&f);
        return;
    }
    portal_form_free (&f);
    opd_info ("portal request ticket=%s created=%d", reply.ticket_id, reply.created);
    GString *b = g_string_new ("<h1>Thank you</h1><p class=\"ok\" id=\"result\">Your request <strong id=\"ticket-id\">");
    portal_esc (b, reply.ticket_id);
    g_string_append (b, "</strong> has been received. We will answer by email.</p><p><a id=\"ticket-link\" href=\"/tickets/");
    portal_esc (b, reply.ticket_id);
    g_string_append (b, "\">Follow your request</a> (sign in) or "
                        "<a href=\"/\">send another request</a>.</p>");
    portal_page (req, reply.created ? 201 : 200, "Request received", who, b, NULL);
}
