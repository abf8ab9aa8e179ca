/*  anonymiser: runs a pass at start, every 5 minutes, and after each SIGHUP:
    first the auto-close of resolved tickets (opd_workflow.h), then the
    retention pass (opd_anonymise.h). */
#ifndef OPD_ANONYMISER_SERVICE_H_INCLUDED
#define OPD_ANONYMISER_SERVICE_H_INCLUDED
#include "opd_service.h"

//  The time between two passes.
#define ANONYMISER_INTERVAL_MS (300 * 1000LL)

//  Runs until opd_service_stopping(); returns the exit code.
int anonymiser_run (opd_service_t *svc);
#endif
