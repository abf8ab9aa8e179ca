/*  opd_stdresp: a standard response rendered for one ticket, the one place
    every path goes through (the notifier's acknowledgement, the API's and
    the command line's comments), so that all send the same text.

    The text is the response's subject as its first line (the mail keeps the
    ticket's own subject, with its [OPD-N] tag: docs/decisions.md 65), a
    blank line, its body, and "Guide: URL" when it has a guide. Variables are
    filled by opd_template from the ticket: its id and subject, the
    requester's name, the due times of the first-response and resolution
    clocks (a paused or missing clock has no value), and its custom fields.
    Due times are in the zone given to opd_stdresp_render_in; what reaches
    a requester (opd_stdresp_comment_text, the notifier's acknowledgement)
    gives the requester's zone (opd_req_tz: chosen, else the calendar's). */
#ifndef OPD_STDRESP_H_INCLUDED
#define OPD_STDRESP_H_INCLUDED
#include "opd_config.h"
#include "opd_redis.h"
#include "opd_schema.h"
#include "opd_template.h"

//  The time zone of the calendar of the ticket's SLO policy; NULL when the
//  ticket has none (borrowed from cfg).
const char *opd_stdresp_timezone (const opd_config_t *cfg, const opd_ticket_t *t);

//  The response's text for the ticket, due times in the zone of the
//  calendar of its SLO policy (for texts no requester reads). 0 and *text (the caller frees it),
//  or -1 and *err naming the variable that is unknown or has no value.
int opd_stdresp_render (const opd_config_t *cfg, const opd_stdresp_t *sr, const opd_ticket_t *t,
                        char **text, opd_template_error_t *err);

//  The same with due times in zone (an IANA name; NULL: UTC).
int opd_stdresp_render_in (const opd_config_t *cfg, const opd_stdresp_t *sr, const opd_ticket_t *t,
                           const char *zone, char **text, opd_template_error_t *err);

//  An agent's comment with a standard response: reads the ticket and
//  renders the response with due times in the requester's zone
//  (opd_req_tz_pick); *text is the agent's body (when given and not
//  empty), a blank line, then the response. 0 and *text (the caller
//  frees it); 1 refused, *refusal a message naming the response and the
//  variable (the caller frees it) and *err; 2 no such ticket; -1 Redis failed.
int opd_stdresp_comment_text (opd_redis_t *redis, const opd_config_t *cfg, const char *id,
                              const opd_stdresp_t *sr, const char *body, char **text,
                              char **refusal, opd_template_error_t *err);
#endif
