/*  router: the routing loop. Sweeps the work set opd:unrouted on start,
    every 200 ms and 2 ms after a ticket.created or ticket.commented event
    rings the doorbell (the events SUB socket; the details work set of
    details_reply.h is swept on a ring and every 5 s); decides team, category, priority, rule and
    standard response with opd_route_rules.h and writes each decision with route.lua. */
#ifndef OPD_ROUTER_SERVICE_H_INCLUDED
#define OPD_ROUTER_SERVICE_H_INCLUDED
#include "opd_service.h"

//  Runs until opd_service_stopping(); returns the exit code.
int router_run (opd_service_t *svc);
#endif
