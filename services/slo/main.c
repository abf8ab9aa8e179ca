/*  opdesk-slo: computes every ticket's SLO clocks on its policy's working-time
    calendar and fires the warnings and breaches on time. See README.md in
    this folder. */
#include "slo.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-slo",
                                "keeps the SLO clocks of tickets and fires warnings and breaches",
                                NULL);
    if (rc >= 0)
        return rc;
    rc = slo_run (&svc);
    opd_service_end (&svc);
    return rc;
}
