/*  opd_mail: one email message, parsed with GMime into what intake needs
    (requester, subject, readable UTF-8 text, attachments, threading
    references, loop and noise markers), and its delivery to intake as the
    mail-gate and the IMAP poller do it.

    Parsing never fails on odd mail: whatever GMime can read becomes a
    message; only input without a usable sender is refused (the mail-gate
    exits 65 for it). Every text in opd_mail_t is valid UTF-8.

    Ownership: opd_mail_parse returns a new opd_mail_t the caller destroys
    with opd_mail_destroy; every pointer inside it belongs to it. */
#ifndef OPD_MAIL_H_INCLUDED
#define OPD_MAIL_H_INCLUDED
#include "opd_config.h"
#include "opd_intake_client.h"
#include "opd_redis.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *name;          //  file name, "attachment-N" when the mail gives none
    char *content_type;  //  "image/png"
    size_t size;         //  decoded bytes
    char sha256[65];     //  lower-case hex of the decoded bytes
    unsigned char *data; //  the decoded bytes (kept to store them); NULL once stored
} opd_mail_attachment_t;

typedef struct {
    char *message_id;        //  without angle brackets; NULL when the mail has none
    char *external_id;       //  message_id, else the SHA-256 hex of the raw bytes
    char *from_name;         //  decoded display name, NULL when none
    char *from_email;        //  lower-cased address, NULL when none could be read
    char *subject;           //  decoded, as received ("" when none)
    char *body;              //  readable text; quoted reply text trimmed for replies
    char **cc;               //  lower-cased Cc addresses
    size_t ncc;
    char **refs;             //  In-Reply-To, then References newest first (no brackets)
    size_t nrefs;
    opd_mail_attachment_t *att;
    size_t natt;
    bool has_headers;        //  the input had a recognisable header block
    bool html_only;          //  the text came from HTML
    bool auto_submitted;     //  Auto-Submitted other than "no", X-Autoreply and the like
    bool bulk;               //  Precedence: bulk, junk or list
    bool from_daemon;        //  From MAILER-DAEMON or postmaster
    bool dsn;                //  multipart/report; report-type=delivery-status
    char *dsn_original;      //  the Message-ID the bounce is about (no brackets), or NULL
    char **rcpt;             //  lower-cased To, Cc, Delivered-To, X-Original-To, Envelope-To addresses
    size_t nrcpt;
    char **auth_results;     //  Authentication-Results values, topmost first
    size_t nauth_results;
} opd_mail_t;

//  Parses len bytes of an RFC 5322 message. Returns 0 and a new *out, or -2
//  when the input is not a mail message at all (then *out is NULL).
int opd_mail_parse (const char *data, size_t len, opd_mail_t **out);
void opd_mail_destroy (opd_mail_t **self_p);

//  --- Text helpers (also used by tests and the benchmark) ---------------
//  HTML to readable text: tags stripped, entities decoded, line breaks kept
//  for <br>, <p>, <div>, <li>, <tr> and headings; <blockquote> lines get "> ".
//  Returns a new string.
char *opd_mail_html_to_text (const char *html, size_t len);
//  Trims quoted reply text: "On ... wrote:" blocks, lines starting with '>',
//  Outlook "-----Original Message-----" and "From: ... Sent:" blocks. Text
//  that would become empty is returned whole. Any bytes are accepted (NULL
//  too); the result is valid UTF-8. Returns a new string.
char *opd_mail_trim_quotes (const char *text);
//  The subject without reply and forward prefixes (Re:, AW:, Fwd:, SV:, ...).
//  Returns a pointer into subject.
const char *opd_mail_subject_base (const char *subject);
//  Finds a ticket tag "[PREFIX-42]" in subject; writes "PREFIX-42" into out.
bool opd_mail_subject_tag (const char *subject, const char *prefix, char *out, size_t size);
//  For a Message-ID the notifier made (opdesk.PREFIX-42.17@domain): writes
//  "PREFIX-42" into out.
bool opd_mail_msgid_ticket (const char *msgid, const char *prefix, char *out, size_t size);

//  --- Delivery to intake -------------------------------------------------
//  Exit codes of sysexits.h, which MTAs understand.
#define OPD_MAIL_OK       0   //  accepted, or dropped on purpose (loop, rate limit, stray bounce)
#define OPD_MAIL_DATAERR  65  //  rejected for good
#define OPD_MAIL_TEMPFAIL 75  //  try again later

typedef struct _opd_mailer_t opd_mailer_t;

//  The largest raw message the mail-gate and the poller read. It follows the
//  configured attachment limit (an attachment of max_attachment_bytes,
//  base64-encoded with its line ends, plus the body limit three times over
//  for quoted-printable and an HTML alternative, plus headers and MIME
//  structure), and is never below four times limits.frame_bytes.
size_t opd_mail_max_input (const opd_config_t *cfg);

//  A client that delivers messages to intake: one intake client
//  (opd_intake_client.h) and one Redis connection, made on first use, for
//  the rate limit and the thread lookups (one pipelined round trip per
//  message). timeout_ms bounds each intake round trip. Returns NULL when the
//  intake endpoint is unusable (logged). One thread at a time.
opd_mailer_t *opd_mailer_new (const opd_config_t *cfg, int timeout_ms);
void opd_mailer_destroy (opd_mailer_t **self_p);
//  The mailer's intake client (borrowed), for callers that keep several
//  messages in flight (opd_mailer_prepare, send, recv, opd_mailer_finish).
opd_intake_client_t *opd_mailer_intake (opd_mailer_t *self);

//  What one delivery did, for logs and tests.
typedef struct {
    int code;               //  OPD_MAIL_OK, OPD_MAIL_DATAERR, OPD_MAIL_TEMPFAIL
    char action[32];        //  "created", "comment", "repeat", "own_mail", "rate_limited",
                            //  "stray_bounce", "rejected", "unavailable"
    char ticket_id[64];     //  when intake accepted it
    char reason[256];       //  one line for the log (no personal data)
} opd_mail_result_t;

//  Parses and delivers one raw message (prepare, one intake round trip,
//  finish). Never logs personal data.
int opd_mailer_deliver (opd_mailer_t *self, const char *data, size_t len, opd_mail_result_t *res);

//  --- The same in two halves, for several messages in flight ------------
typedef struct _opd_mail_job_t opd_mail_job_t;
//  Parses one message, checks loops, the rate limit and threading (Redis),
//  stores its attachments and packs its intake.submit. Returns OPD_MAIL_OK
//  with a new *job to send to intake, or the final code with *job NULL and
//  *res filled in (dropped on purpose, rejected, or unavailable).
int opd_mailer_prepare (opd_mailer_t *self, const char *data, size_t len, opd_mail_job_t **job,
                        opd_mail_result_t *res);
//  The packed intake.submit (borrowed from the job).
const char *opd_mail_job_frame (const opd_mail_job_t *job, size_t *len);
//  The job's Message-ID (NULL when none), and whether the job names
//  message_id as one it replies to or bounces: such a message must wait
//  until that one is stored, or it would not thread onto its ticket.
const char *opd_mail_job_message_id (const opd_mail_job_t *job);
bool opd_mail_job_refers (const opd_mail_job_t *job, const char *message_id);
//  Turns intake's answer into the result and destroys *job. rc is what
//  opd_intake_client_submit or _recv returned (0, -1 no answer, -2 not a
//  reply); reply is read only when rc is 0.
int opd_mailer_finish (opd_mailer_t *self, opd_mail_job_t **job, int rc, const opd_intake_reply_t *reply,
                       opd_mail_result_t *res);
#endif
