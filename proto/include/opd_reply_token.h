/*  opd_reply_token: the agent's reply address for a ticket, desk+TOKEN@domain,
    where TOKEN is an HMAC-SHA256 of the ticket id and the agent id under
    channels.email.agent_mail.secret.

    It lives in proto/ because it is a format two programs share, like a
    message: opdesk-notifier writes the address (the Reply-To of what it
    mails agents, services/notifier/mail.c) and the email channel reads it
    back (opd_mail_trust.c in services/email/, for opdesk-email and
    opdesk-mailgate). Neither may include the other, and the notifier must
    not link GMime, so the maker is here, where both reach it, rather than
    in either program's folder; common/ keeps infrastructure only.

    Pure functions of the configuration; no I/O. */
#ifndef OPD_REPLY_TOKEN_H_INCLUDED
#define OPD_REPLY_TOKEN_H_INCLUDED
#include "opd_config.h"
#include <stdbool.h>

//  Characters of a reply token (lower-case base32, 100 bits of the HMAC).
#define OPD_REPLY_TOKEN_LEN 20

//  The reply token of agent_id on ticket_id into out (OPD_REPLY_TOKEN_LEN +
//  1 bytes). Returns false when no secret is configured (no tokens at all).
bool opd_reply_token (const opd_config_t *cfg, const char *ticket_id, const char *agent_id, char *out);

//  The agent's reply address for the ticket: "local+TOKEN@domain" of
//  channels.email.agent_mail.reply_address (else notifications.smtp.from).
//  Returns a new string, or NULL when there is no secret or no usable
//  address.
char *opd_reply_address (const opd_config_t *cfg, const char *ticket_id, const char *agent_id);
#endif
