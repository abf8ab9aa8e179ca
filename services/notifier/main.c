/*  opdesk-notifier: mails acknowledgements and public agent comments to
    requesters from the outbox, and delivers events to webhooks. See
    README.md in this folder. */
#include "notifier.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-notifier",
                                "sends requester mail from the outbox and events to webhooks",
                                NULL);
    if (rc >= 0)
        return rc;
    rc = notifier_run (&svc);
    opd_service_end (&svc);
    return rc;
}
