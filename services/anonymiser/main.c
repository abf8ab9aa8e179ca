/*  opdesk-anonymiser: replaces the personal data of closed tickets once their
    retention has passed. See README.md in this folder. */
#include "anonymiser.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-anonymiser",
                                "anonymises closed tickets whose retention has passed", NULL);
    if (rc >= 0)
        return rc;
    rc = anonymiser_run (&svc);
    opd_service_end (&svc);
    return rc;
}
