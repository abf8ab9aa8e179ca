/*  notifier: sends the mail jobs of the outbox (opd:outbox:*) by SMTP, never
    losing one, and delivers events to the configured webhooks. See
    README.md in this folder. */
#ifndef OPD_NOTIFIER_SERVICE_H_INCLUDED
#define OPD_NOTIFIER_SERVICE_H_INCLUDED
#include "opd_service.h"
#include <stdint.h>

//  A job is given up (outcome 'failed') once it has failed at least
//  NOTIFIER_MIN_ATTEMPTS times and was queued NOTIFIER_GIVE_UP_MS ago: an SMTP
//  relay down for hours loses no mail (decision 191).
#define NOTIFIER_MIN_ATTEMPTS 20
#define NOTIFIER_GIVE_UP_MS (24LL * 3600 * 1000)

//  The pause before attempt number 'attempt' (1, 2, ...): 1 s, 2 s, 4 s ...
//  at most 5 minutes.
int64_t notifier_backoff_ms (int attempt);
//  Runs until opd_service_stopping(); returns the exit code.
int notifier_run (opd_service_t *svc);
#endif
