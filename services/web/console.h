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
#endif
