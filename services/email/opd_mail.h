/*  opd_mail: one email message, parsed with GMime into what intake needs
    (requester, subject, readable UTF-8 text, attachments, threading
    references, loop and noise markers). Its delivery to intake, as the
    mail-gate and the IMAP poller do it, is opd_mailer.h.

    Parsing never fails on odd mail: whatever GMime can read becomes a
    message; only input without a usable sender is refused (the mail-gate
    exits 65 for it). Every text in opd_mail_t is valid UTF-8.

    Ownership: opd_mail_parse returns a new opd_mail_t the caller destroys
    with opd_mail_destroy; every pointer inside it belongs to it. */
#ifndef OPD_MAIL_H_INCLUDED
#define OPD_MAIL_H_INCLUDED
#include "opd_config.h"
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
#endif
