/*  email: the IMAP poller of opdesk-email. */
#ifndef OPD_EMAIL_H_INCLUDED
#define OPD_EMAIL_H_INCLUDED
#include "opd_service.h"

//  Polls every configured mailbox until SIGTERM; returns the exit code.
int email_run (opd_service_t *svc);
#endif
