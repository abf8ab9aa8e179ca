/*  anonymiser: runs a retention pass (opd_anonymise.h) at start, every hour,
    and after each SIGHUP. */
#ifndef OPD_ANONYMISER_SERVICE_H_INCLUDED
#define OPD_ANONYMISER_SERVICE_H_INCLUDED
#include "opd_service.h"

//  The time between two passes.
#define ANONYMISER_INTERVAL_MS (3600 * 1000LL)

//  Runs until opd_service_stopping(); returns the exit code.
int anonymiser_run (opd_service_t *svc);
#endif
