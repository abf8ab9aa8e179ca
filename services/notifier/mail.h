/*  mail: composes the mail messages opdesk sends (RFC 5322, UTF-8): to
    requesters (acknowledgements, agents' comments), and to the assigned
    agent when the requester writes (kind "agent"), with the agent's own
    reply address for the ticket as Reply-To (opd_reply_token.h). Pure functions of the configuration and of what Redis holds, so
    that they can be tested without a network.

    Nothing that came from outside (a subject, a name, an id) goes into a
    header unchecked: mail_header_clean removes CR, LF and every other
    control character first, and non-ASCII text is RFC 2047 encoded. */
#ifndef OPD_NOTIFIER_MAIL_H_INCLUDED
#define OPD_NOTIFIER_MAIL_H_INCLUDED
#include "opd_config.h"
#include "opd_schema.h"
#include <glib.h>
#include <jansson.h>
#include <stdint.h>

//  One outbox job and what it refers to; everything is borrowed.
typedef struct {
    const char *kind;          //  "ack", "comment", "signin" (to the requester), "agent" (to the assignee) or "notice" (to an agent)
    long long job_id;          //  makes the Message-ID unique (and stable over retries)
    const opd_ticket_t *ticket;  //  the ticket, as opd_store_ticket_read reads its hash
    const char *comment_json;  //  kind "comment": the comment as stored in opd:t:{ID}:c
    int64_t now_ms;            //  the Date header
    //  Kind "signin" (no ticket): the address the portal was asked a link
    //  for, the link, and when it stops working.
    const char *to, *link;
    int64_t link_expires_ms;
    //  Kind "notice" (an agent notification by mail, notices.c): the job,
    //  whose agent, notice, team, priority, slo and due_at say what happened.
    //  Kind "comment" with the resolution note: the job (a copy that never
    //  goes back to Redis) may hold rating_good and rating_bad, the links of
    //  the satisfaction rating, which work until link_expires_ms.
    json_t *job;
    //  The time zone the requester chose (opd_req_tz_get), NULL when none:
    //  every time in a mail to a requester is in opd_req_tz_pick's zone.
    const char *zone;
} mail_input_t;

//  A composed message; every member is owned (mail_clear frees them).
typedef struct {
    char *to;          //  the envelope recipient (a checked address)
    char *message_id;  //  "<opdesk.OPD-42.17@example.org>"
    char *data;        //  the whole message, CRLF line ends
    size_t size;
    //  An acknowledgement whose standard response could not be rendered:
    //  the response's id and the variable without a value (the plain
    //  acknowledgement was composed instead); NULL otherwise.
    char *held_response, *held_variable;
} mail_t;

//  Composes the message for one job. Returns 0 and fills *out; or -1 when
//  the job must not be mailed, and *why says why in a few words ("no email",
//  "anonymised", "internal comment", ...; a static string).
int mail_compose (const opd_config_t *cfg, const mail_input_t *in, mail_t *out, const char **why);
void mail_clear (mail_t *m);

//  Header text made safe: invalid UTF-8 repaired, CR, LF, tabs and other
//  control characters replaced by spaces, runs of spaces collapsed, ends
//  trimmed. The caller frees the result.
char *mail_header_clean (const char *s);
//  A header value for unstructured text (Subject): the cleaned text as is
//  when it is ASCII, else RFC 2047 encoded words (UTF-8, base64) folded so
//  that no line passes 76 characters. The caller frees the result.
char *mail_header_text (const char *s);
//  A display name and address for From/To: "Name" <addr>, or encoded words.
char *mail_mailbox (const char *name, const char *addr);
//  RFC 5322 date, UTC: "Tue, 24 Nov 2026 10:00:00 +0000". buf needs 40 bytes.
void mail_date (int64_t ms, char *buf, size_t size);
//  A time for people: "Tuesday 24 November 2026 10:00 (Europe/London)", in
//  the time zone given (UTC when NULL or unknown). buf needs 80 bytes.
void mail_when (int64_t ms, const char *timezone, char *buf, size_t size);
//  The external id as a Message-ID "<local@domain>" when it looks like one
//  (with or without angle brackets), else NULL. The caller frees the result.
char *mail_msgid_from_external (const char *external_id);
//  Quoted-printable encoding of text with CRLF line ends (RFC 2045).
char *mail_qp_encode (const char *text, size_t len);
#endif
