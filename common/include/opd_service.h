/*  opd_service: what every opdesk program does around its own work: the
    command line (--config FILE, --help, --version), loading and validating
    the configuration, logging, and signals (SIGTERM and SIGINT stop, SIGHUP
    reloads the configuration). */
#ifndef OPD_SERVICE_H_INCLUDED
#define OPD_SERVICE_H_INCLUDED
#include "opd_config.h"
#include <stdbool.h>

typedef struct {
    const char *name;     //  "opdesk-intake"
    const char *summary;  //  one line for --help
    char *config_path;
    opd_config_t *cfg;
} opd_service_t;

//  Parses the command line and loads the configuration. Returns -1 when the
//  program should go on, else the exit code to end with at once (0 after
//  --help or --version, 2 for a bad command line or configuration; the one
//  line naming the problem is printed). extra_usage may be NULL.
int opd_service_start (opd_service_t *svc, int argc, char **argv, const char *name,
                       const char *summary, const char *extra_usage);
//  True once SIGTERM or SIGINT arrived.
bool opd_service_stopping (void);
//  Asks the service to stop (tests, fatal errors).
void opd_service_stop (void);
//  When SIGHUP arrived since the last call: loads the configuration again and
//  returns 1 when the new one replaced svc->cfg (the old one is destroyed), -1
//  when it was invalid (the old one stays, the error is logged); 0 otherwise.
int opd_service_reload (opd_service_t *svc);
void opd_service_end (opd_service_t *svc);
#endif
