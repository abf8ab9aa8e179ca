/*  opdesk-phone: the phone channel's webhook. See README.md in this folder. */
#include "phone.h"

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-phone",
                                "the phone system's webhook: missed calls, voicemails and call "
                                "notes become tickets",
                                NULL);
    if (rc >= 0)
        return rc;
    rc = phone_run (&svc);
    opd_service_end (&svc);
    return rc;
}
