/*  opdesk-router: gives every new ticket its team, category and priority by
    the configured routing rules. See README.md in this folder. */
#include "router.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-router",
                                "routes new tickets to teams by the configured rules", NULL);
    if (rc >= 0)
        return rc;
    rc = router_run (&svc);
    opd_service_end (&svc);
    return rc;
}
