/*  console.h: what the files of the agent console share. console.c routes
    /agent and shows the queue, console_ticket.c the ticket and its forms,
    console_html.c the SLO badges and times. The page frame, escaping and
    the checks of every POST are the portal's (portal.h). */
#ifndef WEB_CONSOLE_H_INCLUDED
#define WEB_CONSOLE_H_INCLUDED
#include "portal.h"
#include <glib.h>
#include <jansson.h>

//  The time zone the console shows times of a clock of policy in, for the
//  signed-in agent: the agent's own (agents[].timezone), else the policy's
//  calendar's, else UTC. Never NULL; the caller unrefs it.
GTimeZone *console_tz (const opd_config_t *cfg, const web_auth_t *who, const char *policy);
//  An RFC 3339 time as "Wed 2 Dec 14:30 GMT" in tz, inside <time datetime>.
void console_time (GString *b, const char *rfc3339, GTimeZone *tz);
//  A span of ms as "2h 10m", "3d 4h", "45m", "under a minute".
void console_span (GString *b, int64_t ms);
//  One clock's badge: state by colour, icon and text ("Resolution: due in
//  2h 10m", "First response: breached 15m ago"), the due time in the
//  agent's zone. Nothing for a clock the ticket does not have.
void console_badge (GString *b, const opd_config_t *cfg, const web_auth_t *who, json_t *ticket,
                    const char *clock, int64_t now);
//  The console's CSS (badges, queue), added to the portal's.
extern const char console_css[];

//  Drafts (console_draft.c): the agent's unsent text of kind ("reply" or
//  "note") for ticket id. get: the caller's to free, NULL when none (or
//  Redis failed). set: "" or NULL removes it; 0, or -1 when Redis failed.
char *console_draft_get (http_req_t *req, const web_auth_t *who, const char *id, const char *kind);
int console_draft_set (http_req_t *req, const web_auth_t *who, const char *id, const char *kind,
                       const char *text);
//  POST /agent/tickets/ID/draft (its form already checked): 204.
void console_draft_post (http_req_t *req, const web_session_t *s, const char *id, const form_t *f);

//  The console's script (console.js, embedded at build time by
//  embed_js.cmake), served at /agent/console.js.
extern const char console_js[];

//  Who else has a ticket open, and who is typing (console_presence.c): the
//  line the ticket page starts with, and POST /agent/tickets/ID/presence
//  (its form already checked).
void console_presence_html (GString *b, http_req_t *req, const web_session_t *s, const char *id);
void console_presence_post (http_req_t *req, const web_session_t *s, const char *id, const form_t *f);
//  The agent's time on the ticket, from the same beats (console_worktime.c):
//  counts when the agent typed or had the page focused; left when the page
//  closed.
void console_worktime_beat (http_req_t *req, const web_auth_t *who, const char *id, bool counts, bool left);
//  GET /agent/stream: live updates over Server-Sent Events (console_stream.c).
void console_stream (http_req_t *req, const web_session_t *s);
//  The last event of the history as the page is drawn (a hidden element the
//  script starts its stream after), so that nothing between the page and
//  its stream is missed.
void console_live_from (GString *b, http_req_t *req);
//  Preferences, notifications (console_prefs.c, console_notes.c): the
//  header's links of an agent's page (the unread count, and the shortcut
//  map as data-keys for console.js); /agent/settings and
//  /agent/notifications, rest being what follows those paths.
void console_nav (GString *out, http_req_t *req, const web_auth_t *who);
void console_settings (http_req_t *req, const web_session_t *s, const char *rest);
void console_notes (http_req_t *req, const web_session_t *s, const char *rest);

//  GET /agent/tickets/ID and its forms' POSTs (console_ticket.c). rest is
//  what follows "/agent/tickets/": "ID" or "ID/ACTION".
void console_ticket (http_req_t *req, const web_session_t *s, const char *rest);

//  The queue's filters (console.c): from /agent's query string, or from a
//  saved view's (console_views.c), through the same parser.
typedef struct {
    const char *status, *priority, *assignee, *team, *q, *cursor;
    bool breaching;
    int due_hours;  //  0: no limit
} console_filters_t;
//  A source of named values: the value of name, or NULL.
typedef const char *(*console_arg_fn) (void *ctx, const char *name);
//  Reads and checks the filters from get; NULL, or a sentence saying what is
//  wrong. The values in *a are borrowed from get's source ("me" becomes
//  who's identity).
const char *console_filters_parse (const opd_config_t *cfg, const web_auth_t *who, console_arg_fn get,
                                   void *ctx, console_filters_t *a);
//  The teams the queue shows for team (NULL or "": who's own, "all": every
//  one) into out (room for cfg->nteams); their number.
size_t console_teams (const opd_config_t *cfg, const web_auth_t *who, const char *team, const char **out);

//  Saved views (console_views.c): the list of views and the form that saves
//  the current filters, drawn above the queue; POST /agent/views and
//  /agent/views/delete (rest is what follows "/agent/views").
void console_views_bar (GString *b, http_req_t *req, const web_session_t *s);
void console_views (http_req_t *req, const web_session_t *s, const char *rest);

//  Bulk actions (console_bulk.c): the selection column of the queue (its
//  header cell and one cell per ticket, holding the ticket's id and
//  version), the action bar (form id "bulk"), and POST /agent/bulk.
void console_bulk_head (GString *b);
void console_bulk_cell (GString *b, json_t *ticket);
void console_bulk_bar (GString *b, http_req_t *req, const web_session_t *s);
void console_bulk (http_req_t *req, const web_session_t *s);
//  Standard responses in the reply form (console_stdresp.c). picker: the
//  choice (suggested first), Preview, and the preview of chosen (NULL:
//  none) for ticket id. fragment: GET /agent/tickets/ID/preview?response=
//  SR, the preview alone (console.js). text: the agent's body, a blank
//  line and the response rendered as POST .../comments renders it: 0 and
//  *text (the caller frees it); 1 refused, *error a sentence naming the
//  response or the variable (the caller frees it); 2 no such ticket; -1
//  Redis failed.
void console_stdresp_picker (GString *b, http_req_t *req, const char *id, const char *chosen);
void console_stdresp_fragment (http_req_t *req, const web_session_t *s, const char *id);
int console_stdresp_text (http_req_t *req, const char *id, const char *sr_id, const char *body, char **text,
                          char **error);

//  POST /agent/theme (theme.c): the light/dark/auto choice in a cookie,
//  then 303 back to the page it was made on.
void console_theme_post (http_req_t *req, const web_session_t *s);
#endif
