/*  opd_mail_trust: when mail is believed to come from an agent.

    A From header proves nothing: anyone can write an agent's address into
    it. Mail that speaks as an agent (a public agent comment, the first
    response met, the text mailed on to the requester in the desk's name)
    must prove more, as channels.email.agent_mail.trust says:

    - token: the mail is addressed to the agent's reply address for the
      ticket, desk+TOKEN@domain, where TOKEN is an HMAC-SHA256 of the ticket
      id and the agent id under a secret only the desk knows
      (opd_reply_token.h in proto/, shared with the notifier). The desk gives
      that address only to the agent (the Reply-To of what it mails agents),
      and the mail must also come From that agent's address.
    - dmarc: the receiving MTA (channels.email.agent_mail.authserv_id) wrote
      an Authentication-Results header with dmarc=pass for the From domain.
      Only the topmost Authentication-Results header with that authserv-id
      is read; the MTA must remove incoming ones with its own id (RFC 8601
      section 5), which every DMARC milter does.

    Everything else that names an agent's address is the requester's (when
    From is the requester) or a stranger's. This is the one place that
    decides it, for the mail-gate and the poller alike (opd_mailer.c).
    Part of libopdmail (services/email/).

    Pure functions of the configuration; no I/O. */
#ifndef OPD_MAIL_TRUST_H_INCLUDED
#define OPD_MAIL_TRUST_H_INCLUDED
#include "opd_config.h"
#include "opd_reply_token.h"
#include <stdbool.h>
#include <stddef.h>

//  What a mail claims, as opd_mail parsed it; everything is borrowed.
typedef struct {
    const char *from_email;            //  lower-cased
    char *const *recipients;           //  To, Cc, Delivered-To, X-Original-To addresses
    size_t nrecipients;
    char *const *auth_results;         //  Authentication-Results values, topmost first
    size_t nauth_results;
} opd_mail_claim_t;

//  The agent the mail is believed to come from, for a mail about ticket_id;
//  NULL when none (then the mail must not speak as an agent). *how is set
//  to "token" or "dmarc" when an agent is returned, else to why not.
const opd_agent_t *opd_mail_trusted_agent (const opd_config_t *cfg, const opd_mail_claim_t *claim,
                                           const char *ticket_id, const char **how);

//  True when the Authentication-Results value was written by authserv_id
//  and reports dmarc=pass with header.from equal to domain.
bool opd_auth_results_dmarc_pass (const char *value, const char *authserv_id, const char *domain);
#endif
