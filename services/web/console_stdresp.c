/*  console_stdresp: standard responses in the ticket view's reply form
    (console.h).

    The form lists the configured responses, those suggested for the ticket
    first (the ranking of GET /api/v1/tickets/ID/suggestions, web_suggestions
    in api_suggest.c); choosing one and pressing "Preview" (or, with
    console.js, only choosing it: GET /agent/tickets/ID/preview?response=SR
    gives the same fragment) shows the text as it will be sent on this
    ticket, its variables filled by the one renderer every path uses
    (opd_stdresp). Nothing is applied before "Send reply": then the reply
    is the agent's text, a blank line and the response rendered again at
    that moment (opd_stdresp_comment_text, as POST .../comments with
    standard_response), so the strict rule holds: a variable without a
    value refuses the send with the variable named, and nothing is stored.

    "Edit before sending" puts that same text into the reply box and drops
    the choice: what is then sent is the agent's own reply, not counted as
    a use of the response (docs/decisions.md 112). */
#include "console.h"
#include "opd_log.h"
#include "opd_stdresp.h"
#include "opd_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  The item of the response id in the list, or NULL.
static json_t *
s_find (json_t *items, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach (items, i, it)
        if (id && !strcmp (portal_jstr (it, "id"), id))
            return it;
    return NULL;
}

//  An option: the response's subject (its id when the subject has
//  variables), how often it was sent, and its id.
static void
s_option (GString *b, json_t *it, const char *chosen)
{
    const char *id = portal_jstr (it, "id"), *subject = portal_jstr (it, "subject");
    json_t *used = json_object_get (it, "used");
    long long n = (long long) (json_integer_value (json_object_get (used, "agent"))
                               + json_integer_value (json_object_get (used, "automatic")));
    g_string_append (b, "<option value=\"");
    portal_esc (b, id);
    g_string_append (b, chosen && !strcmp (chosen, id) ? "\" selected>" : "\">");
    portal_esc (b, subject && !strstr (subject, "{{") ? subject : id);
    g_string_append_printf (b, " (%s, sent %lld time%s)", id, n, n == 1 ? "" : "s");
    g_string_append (b, "</option>");
}

//  The options in two groups: suggested for the ticket (a score), others.
static void
s_options (GString *b, json_t *items, const char *chosen)
{
    static const char *const groups[] = {"Suggested for this ticket", "Other responses"};
    for (int g = 0; g < 2; g++) {
        bool open = false;
        size_t i;
        json_t *it;
        json_array_foreach (items, i, it) {
            bool suggested = json_integer_value (json_object_get (it, "score")) > 0;
            if (suggested != (g == 0))
                continue;
            if (!open)
                g_string_append_printf (b, "<optgroup label=\"%s\">", groups[g]);
            open = true;
            s_option (b, it, chosen);
        }
        if (open)
            g_string_append (b, "</optgroup>");
    }
}

//  The preview of chosen: its text as it will be sent, with the reasons it
//  is suggested and "Edit before sending"; or why it cannot be sent.
static void
s_preview (GString *b, json_t *items, const char *chosen)
{
    if (!chosen || !*chosen)
        return;
    json_t *it = s_find (items, chosen);
    const char *text = portal_jstr (it, "preview");
    if (!it || !text) {
        const char *why = portal_jstr (json_object_get (it, "unavailable"), "message");
        g_string_append (b, "<p class=\"error\" role=\"alert\" id=\"reply-preview-error\">");
        g_string_append (b, it ? "Standard response '" : "There is no standard response '");
        portal_esc (b, chosen);
        g_string_append (b, it ? "' cannot be sent on this ticket: " : "'.");
        portal_esc (b, why ? why : "");
        g_string_append (b, "</p>");
        return;
    }
    g_string_append (b, "<p class=\"muted\">Preview: sent after your text, as it reads here, when you press "
                        "Send reply.");
    size_t i;
    json_t *r;
    json_array_foreach (json_object_get (it, "reasons"), i, r) {
        g_string_append (b, i ? "; " : " Suggested: ");
        portal_esc (b, json_string_value (r));
    }
    g_string_append (b, "</p><div class=\"body preview\" id=\"reply-preview-text\">");
    portal_esc (b, text);
    g_string_append (b, "</div><button type=\"submit\" name=\"do\" value=\"edit\" id=\"reply-edit\" "
                        "formnovalidate>Edit before sending</button>");
}

void
console_stdresp_picker (GString *b, http_req_t *req, const char *id, const char *chosen)
{
    if (!req->cfg->nstdresps)
        return;
    int found;
    json_t *items = web_suggestions (req, id, true, &found);
    if (!items) {
        g_string_append (b, "<p class=\"muted\">Standard responses cannot be listed at the moment.</p>");
        return;
    }
    g_string_append (b, "<div id=\"reply-responses\"><label for=\"reply-response\">Standard response "
                        "(added after your text when you send)</label><div class=\"pick\"><select "
                        "id=\"reply-response\" name=\"standard_response\"><option value=\"\">None</option>");
    s_options (b, items, chosen);
    g_string_append (b, "</select> <button type=\"submit\" name=\"do\" value=\"preview\" id=\"reply-preview-button\" "
                        "formnovalidate>Preview</button></div><div id=\"reply-preview\" aria-live=\"polite\">");
    s_preview (b, items, chosen);
    g_string_append (b, "</div></div>");
    json_decref (items);
}

void
console_stdresp_fragment (http_req_t *req, const web_session_t *s, const char *id)
{
    int found;
    json_t *items = web_suggestions (req, id, true, &found);
    if (!items) {
        portal_message_page (req, found < 0 ? 503 : 404, found < 0 ? "Unavailable" : "Not found", &s->who,
                             found < 0 ? "The ticket cannot be read at the moment." : "There is no such ticket.");
        return;
    }
    GString *b = g_string_new (NULL);
    s_preview (b, items, http_arg (req, "response"));
    json_decref (items);
    http_add_header (req, "Cache-Control", "no-store");
    http_add_header (req, "X-Content-Type-Options", "nosniff");
    http_add_header (req, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    size_t len = b->len;
    http_reply (req, 200, "text/html; charset=utf-8", g_string_free (b, FALSE), len);
}

int
console_stdresp_text (http_req_t *req, const char *id, const char *sr_id, const char *body, char **text,
                      char **error)
{
    *text = NULL;
    *error = NULL;
    const opd_stdresp_t *sr = opd_config_stdresp (req->cfg, sr_id);
    if (!sr) {
        *error = opd_sprintf ("There is no standard response '%s'.", sr_id);
        return 1;
    }
    char *refusal = NULL;
    opd_template_error_t err;
    int rc = opd_stdresp_comment_text (http_redis (req), req->cfg, id, sr, body, text, &refusal, &err);
    if (rc == 1) {
        //  "standard response 'x' not sent: {{v}} has no value ...": the variable named.
        *error = opd_sprintf ("Your reply was not sent: %s. Fill it in on the ticket, choose another "
                              "response, or write the text yourself.", refusal);
        opd_info ("standard response refused ticket=%s response=%s variable=%s", id, sr->id, err.name);
    }
    free (refusal);
    return rc;
}
