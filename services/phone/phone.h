/*  phone: the phone channel (opdesk-phone). An HTTP webhook for the phone
    system (CTI) that keeps each call's events in Redis and turns missed
    calls, voicemails and agents' call notes into intake.submit messages.
    See README.md in this folder. */
#ifndef PHONE_H_INCLUDED
#define PHONE_H_INCLUDED
#include "opd_service.h"

//  Runs the webhook until SIGTERM; returns the exit code (0 after SIGTERM,
//  2 when the configuration does not allow the service to start, 1 when it
//  cannot listen).
int phone_run (opd_service_t *svc);
#endif
