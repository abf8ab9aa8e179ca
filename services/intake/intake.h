/*  intake: the ROUTER socket of the intake protocol and the relay that
    publishes the durable event history live on the events socket. */
#ifndef OPD_INTAKE_SERVICE_H_INCLUDED
#define OPD_INTAKE_SERVICE_H_INCLUDED
#include "opd_service.h"

//  Runs until opd_service_stopping(); returns the exit code.
int intake_run (opd_service_t *svc);
#endif
