/*  opdesk-web: the HTTP API, the requester portal, /healthz and /metrics.
    See README.md in this folder. */
#include "http.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-web",
                                "the HTTP API and the requester portal", NULL);
    if (rc >= 0)
        return rc;
    web_t *web = web_new (&svc);
    rc = web ? web_run (web) : 1;
    web_destroy (&web);
    opd_service_end (&svc);
    return rc;
}
