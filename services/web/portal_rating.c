/*  portal_rating: the requester's satisfaction rating (issue 12), from
    the two links under a resolution note (services/notifier/notifier.c
    mails them; opd:rating:SHA256 = "ID|good" or "ID|bad").

    GET  /rate/TOKEN   the answer the link stands for, an optional comment
                       box and a button; records nothing (mail scanners
                       open links)
    POST /rate/TOKEN   records the rating with the comment (rate.lua): on
                       the ticket, in its history, as the event
                       ticket.rated. A later POST, by either link,
                       replaces it while the links work (decision 127).

    No sign-in: the link is the proof, as a details link is. An unknown or
    expired link answers 410. */
#include "opd_log.h"
#include "opd_schema.h"
#include "opd_store.h"
#include "opd_ticket.h"
#include "opd_util.h"
#include "portal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATING_COMMENT_MAX 2000  //  characters

//  The ticket and choice ("good" / "bad", into choice[8]) of a link's
//  token: the ticket id (the caller's to free), or NULL when the link is
//  not one or expired (*failed when Redis failed).
static char *
s_link (http_req_t *req, const char *token, char *choice, bool *failed)
{
    *failed = false;
    if (strlen (token) != 64 || strspn (token, "0123456789abcdef") != 64)
        return NULL;
    gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
    char key[128];
    opd_key_rating_link (key, sizeof key, hash);
    g_free (hash);
    redisReply *r = opd_redis_command (http_redis (req), "GET %s", key);
    *failed = !r || r->type == REDIS_REPLY_ERROR;
    char *id = NULL;
    const char *bar = r && r->type == REDIS_REPLY_STRING ? strrchr (r->str, '|') : NULL;
    if (bar && (!strcmp (bar + 1, "good") || !strcmp (bar + 1, "bad"))) {
        snprintf (choice, 8, "%s", bar + 1);
        id = opd_sprintf ("%.*s", (int) (bar - r->str), r->str);
    }
    if (r)
        freeReplyObject (r);
    return id;
}

static const char *
s_word (const char *choice)
{
    return !strcmp (choice, "good") ? "Good" : "Bad";
}

//  The form: the answer, the comment box, the button.
static void
s_form_page (http_req_t *req, int status, json_t *t, const char *token, const char *choice, const char *comment,
             const char *error)
{
    GString *b = g_string_new ("<h1>Rate our help with request <span id=\"ticket-id\">");
    portal_esc (b, portal_jstr (t, "id"));
    g_string_append (b, "</span></h1><p>");
    portal_esc (b, portal_jstr (t, "subject"));
    g_string_append (b, "</p>");
    if (error) {
        g_string_append (b, "<p class=\"error\" role=\"alert\" id=\"error\">");
        portal_esc (b, error);
        g_string_append (b, "</p>");
    }
    const char *before = portal_jstr (t, "rating");
    if (before) {
        g_string_append_printf (b, "<p id=\"earlier\">You rated it <strong>%s</strong> before; sending this "
                                   "form replaces that.</p>", s_word (before));
    }
    g_string_append_printf (b, "<form method=\"post\" id=\"rating\" action=\"/rate/%s\">", token);
    char csrf[65];
    web_csrf_anonymous (req, csrf);
    portal_csrf_field (b, csrf);
    g_string_append_printf (b, "<p>Your answer: <strong id=\"choice\">%s</strong></p>"
                               "<label for=\"comment\">Anything you would like to tell us (optional)</label>"
                               "<textarea id=\"comment\" name=\"comment\" rows=\"5\" maxlength=\"%d\">",
                            s_word (choice), RATING_COMMENT_MAX);
    portal_esc (b, comment ? comment : "");
    g_string_append (b, "</textarea><button type=\"submit\" id=\"send-rating\">Send my rating</button></form>");
    portal_page (req, status, "Rate our help", NULL, b, NULL);
}

//  POST: records the rating. The comment must be text of at most
//  RATING_COMMENT_MAX characters (the form says so).
static void
s_record (http_req_t *req, json_t *t, const char *token, const char *choice)
{
    form_t f;
    if (portal_form_post (req, NULL, &f))
        return;
    const char *comment = portal_form_get (&f, "comment");
    comment = comment ? comment : "";
    const char *id = portal_jstr (t, "id");
    if (!g_utf8_validate (comment, -1, NULL) || g_utf8_strlen (comment, -1) > RATING_COMMENT_MAX) {
        s_form_page (req, 422, t, token, choice, NULL, "Please shorten the comment to 2000 characters.");
        portal_form_free (&f);
        return;
    }
    int rc = opd_store_rate (http_redis (req), req->cfg, opd_now_ms (), id, choice, comment);
    if (rc == 1) {
        opd_info ("rated ticket=%s rating=%s comment=%s", id, choice, *comment ? "yes" : "no");
        GString *b = g_string_new ("<h1>Thank you</h1><p class=\"ok\" id=\"result\" role=\"status\">");
        g_string_append_printf (b, "Your rating (%s) of request ", s_word (choice));
        portal_esc (b, id);
        g_string_append (b, " is saved. Thank you for telling us.</p>");
        portal_page (req, 200, "Thank you", NULL, b, NULL);
    }
    else if (rc == 2 || rc == 3)
        portal_message_page (req, 410, "Link not valid", NULL, "This request can no longer be rated.");
    else
        portal_message_page (req, 503, "Please try again", NULL,
                             "Your rating cannot be saved at the moment. Please try again shortly.");
    portal_form_free (&f);
}

void
portal_rating_link (http_req_t *req, const char *token)
{
    char choice[8] = "";
    bool failed;
    char *id = s_link (req, token, choice, &failed);
    opd_ticket_error_t err = {0};
    json_t *t = id ? opd_ticket_fetch (http_redis (req), req->cfg, id, false, &err) : NULL;
    free (id);
    if (!t || failed || json_is_true (json_object_get (t, "anonymised"))) {
        bool down = failed || err.code == OPD_TICKET_UNAVAILABLE;
        portal_message_page (req, down ? 503 : 410, "Link not valid", NULL,
                             down ? "This page cannot be shown at the moment. Please try again shortly."
                                  : "This rating link has expired or is not valid.");
        json_decref (t);
        return;
    }
    if (!strcmp (req->method, "POST"))
        s_record (req, t, token, choice);
    else
        s_form_page (req, 200, t, token, choice, portal_jstr (t, "rating_comment"), NULL);
    json_decref (t);
}
