/*  opdesk-intake: takes intake.submit messages from channel adapters, stores
    each ticket in Redis before it answers, and relays the event history to
    the events socket. See README.md in this folder. */
#include "intake.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-intake",
                                "takes requests from channel adapters and stores them as tickets",
                                NULL);
    if (rc >= 0)
        return rc;
    rc = intake_run (&svc);
    opd_service_end (&svc);
    return rc;
}
