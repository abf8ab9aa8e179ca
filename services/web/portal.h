/*  portal.h: what the pages of the portal (portal.c) take from
    portal_html.c: the page frame, escaping, forms and the POST checks.
    Private to the portal; web.h is what the portal shares with the API. */
#ifndef WEB_PORTAL_H_INCLUDED
#define WEB_PORTAL_H_INCLUDED
#include "web.h"
#include <glib.h>
#include <jansson.h>

#define FORM_MAX_PAIRS 256

//  A urlencoded form: its pairs in order, each decoded and owned.
typedef struct {
    char *name[FORM_MAX_PAIRS], *value[FORM_MAX_PAIRS];
    int n;
} form_t;

//  Appends text with & < > " ' escaped: safe in element content and in
//  quoted attribute values.
void portal_esc (GString *out, const char *text);
//  The text of obj's key, or NULL when absent or not text.
const char *portal_jstr (json_t *obj, const char *key);
//  The hidden csrf input of a form.
void portal_csrf_field (GString *b, const char *csrf);
//  Sends a page: the frame around body (taken), the security headers.
void portal_page (http_req_t *req, int status, const char *title, const web_auth_t *who,
                  GString *body, const char *extra_css);
//  The same with the script at script_src (a path of this site; the only
//  script source the page's Content-Security-Policy allows): the agent
//  console's pages.
void portal_page_script (http_req_t *req, int status, const char *title, const web_auth_t *who,
                         GString *body, const char *extra_css, const char *script_src);
//  A page of title as its heading and text as an error paragraph.
void portal_message_page (http_req_t *req, int status, const char *title, const web_auth_t *who,
                          const char *text);
//  303 See Other to location.
void portal_redirect (http_req_t *req, const char *location);
//  Frees the pairs of f (not f itself).
void portal_form_free (form_t *f);
//  The first value of name, or NULL.
const char *portal_form_get (const form_t *f, const char *name);
//  The form of a POST that passes every check (same origin, a urlencoded
//  body, the CSRF token): 0 with f filled in, the caller's to free, or -1
//  after answering.
int portal_form_post (http_req_t *req, const web_auth_t *who, form_t *f);
//  The form of a sign-in POST (a token, an address, a link), after the
//  client address's count of failed sign-ins (channels.web.rate_limit.login):
//  0 with *f filled in, or -1 after answering (a bad form, or 429).
int portal_signin_post (http_req_t *req, form_t *f);

//  The request form at / (portal_request.c): drawn (with values, and an
//  error sentence or NULL) and its POST, which makes the ticket.
void portal_request_form (http_req_t *req, int status, const web_auth_t *who, const form_t *values,
                          const char *error);
void portal_request_submit (http_req_t *req, const web_auth_t *who);
//  One custom field's label, input (or select) named name with value v, and
//  help text; mark, when not NULL, follows the label in brackets
//  ("required", "still needed"). The label, never the internal name.
void portal_field_input (GString *b, const opd_field_t *f, const char *name, const char *v, const char *mark);

//  Missing details (portal_details.c): GET/POST /details/TOKEN (the link
//  mailed with the acknowledgement), and the form on a signed-in
//  requester's ticket page (portal_details_form) with its POST
//  /tickets/ID/details.
void portal_details_link (http_req_t *req, const char *token);
void portal_details_form (GString *b, const opd_config_t *cfg, json_t *ticket, const char *action,
                          const char *csrf, const form_t *values);
void portal_details_post (http_req_t *req, const web_auth_t *who, const char *id);
//  The satisfaction rating (portal_rating.c): GET/POST /rate/TOKEN, a link
//  mailed under a resolution note.
void portal_rating_link (http_req_t *req, const char *token);
//  Files on a requester's ticket page (portal_attach.c): the list of links
//  and the upload form (while not closed), and its POST.
void portal_attach_list (GString *b, json_t *t, const char *csrf);
void portal_attach_post (http_req_t *req, const web_auth_t *who, const char *id);
//  A POST's Origin is this site's (else 403 answered): for forms that
//  portal_form_post cannot read (multipart).
bool portal_origin_ok (http_req_t *req, const web_auth_t *who);
//  Themes (theme.c): the CSS of the light and dark themes (appended last
//  to every page's style), the chosen theme of the request ("light",
//  "dark", or NULL to follow the browser), and the toggle's form.
extern const char portal_theme_css[];
const char *portal_theme (const http_req_t *req);
void portal_theme_form (GString *b, const http_req_t *req, const char *csrf);

//  Sign-in by a mailed link (signin.c): POST /login with an email address,
//  and GET/POST /login/link.
void portal_signin_request (http_req_t *req, const char *email);
void portal_signin_link (http_req_t *req);

//  Times in the requester's time zone (portal_tz.c, opd_req_tz.h).
//  portal_when: an RFC 3339 time as "Tuesday 24 November 2026 10:00
//  (Europe/London)" in zone, in a <time> element (&mdash; without one).
//  portal_chosen_zone: the zone who chose, or NULL (the caller frees it).
//  portal_ticket_zone: the zone of one ticket's times: chosen, else its
//  policy calendar's, else UTC (borrowed). portal_settings: GET/POST
//  /settings, where a signed-in requester chooses.
void portal_when (GString *out, const char *rfc3339, const char *zone);
char *portal_chosen_zone (http_req_t *req, const web_auth_t *who);
const char *portal_ticket_zone (const opd_config_t *cfg, const char *chosen, json_t *ticket);
void portal_settings (http_req_t *req, const web_auth_t *who, bool post);
#endif
