/*  opdesk-email: polls the configured IMAP mailboxes (channels.email.imap)
    and submits each message to intake like opdesk-mailgate; a message is
    marked or moved only after intake accepted it. See README.md here. */
#include "email.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-email",
                                "polls IMAP mailboxes and submits each message to intake", NULL);
    if (rc >= 0)
        return rc;
    rc = email_run (&svc);
    opd_service_end (&svc);
    return rc;
}
