/*  opd_mailer: the delivery of one email message to intake, as the
    mail-gate and the IMAP poller do it: parsed with opd_mail_parse, checked
    for loops, the rate limit and threading, judged by opd_mail_trust, its
    attachments stored, and sent as intake.submit. Part of libopdmail
    (services/email/), which opdesk-email and opdesk-mailgate link.

    Ownership: opd_mailer_new returns a new mailer the caller destroys with
    opd_mailer_destroy; a job from opd_mailer_prepare is taken back by
    opd_mailer_finish. */
#ifndef OPD_MAILER_H_INCLUDED
#define OPD_MAILER_H_INCLUDED
#include "opd_config.h"
#include "opd_intake_client.h"
#include "opd_mail.h"
#include <stdbool.h>
#include <stddef.h>

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
