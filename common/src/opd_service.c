/*  opd_service: see opd_service.h. */
#include "opd_service.h"
#include "opd_log.h"
#include "opd_util.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  czmq's, declared weak so that a program that does not use czmq (the
//  mail-gate, which starts once per message) does not load it for this
//  call alone: the symbol is NULL there, and there is no czmq to silence.
void zsys_handler_set (void (*handler_fn) (int signal_value)) __attribute__ ((weak));

static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_hup = 0;

static void
s_on_signal (int sig)
{
    if (sig == SIGHUP)
        s_hup = 1;
    else
        s_stop = 1;
}

int
opd_service_start (opd_service_t *svc, int argc, char **argv, const char *name,
                   const char *summary, const char *extra_usage)
{
    memset (svc, 0, sizeof *svc);
    svc->name = name;
    svc->summary = summary;
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h")) {
            printf ("%s: %s\n\nusage: %s [--config FILE]\n\n"
                    "  --config FILE  the configuration (else $OPDESK_CONFIG, else %s)\n"
                    "  --help         this text\n  --version      the version\n%s"
                    "\nSIGHUP reloads the configuration; SIGTERM stops cleanly.\n",
                    name, summary, name, OPD_DEFAULT_CONFIG, extra_usage ? extra_usage : "");
            return 0;
        }
        if (!strcmp (argv[i], "--version")) {
            printf ("%s %s\n", name, OPD_VERSION);
            return 0;
        }
        if (!strcmp (argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strncmp (argv[i], "--config=", 9))
            config = argv[i] + 9;
        else {
            fprintf (stderr, "%s: unknown argument '%s' (try --help)\n", name, argv[i]);
            return 2;
        }
    }
    svc->config_path = opd_strdup (opd_config_locate (config));
    char err[512];
    svc->cfg = opd_config_load (svc->config_path, err, sizeof err);
    if (!svc->cfg) {
        fprintf (stderr, "%s: configuration %s: %s\n", name, svc->config_path, err);
        free (svc->config_path);
        return 2;
    }
    opd_log_init (name, (opd_log_level_t) opd_log_level_parse (svc->cfg->log_level));
    //  czmq would install its own SIGINT/SIGTERM handlers; ours also handle SIGHUP.
    if (zsys_handler_set)
        zsys_handler_set (NULL);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    opd_info ("starting version=%s config=%s", OPD_VERSION, svc->config_path);
    return -1;
}

bool
opd_service_stopping (void)
{
    return s_stop != 0;
}

void
opd_service_stop (void)
{
    s_stop = 1;
}

int
opd_service_reload (opd_service_t *svc)
{
    if (!s_hup)
        return 0;
    s_hup = 0;
    char err[512];
    opd_config_t *cfg = opd_config_load (svc->config_path, err, sizeof err);
    if (!cfg) {
        opd_error ("reload refused, keeping the running configuration: %s", err);
        return -1;
    }
    char waiting[512];
    if (opd_config_restart_changes (svc->cfg, cfg, waiting, sizeof waiting))
        opd_warn ("configuration reloaded; these wait for a restart: %s", waiting);
    opd_config_destroy (&svc->cfg);
    svc->cfg = cfg;
    opd_log_init (svc->name, (opd_log_level_t) opd_log_level_parse (cfg->log_level));
    opd_info ("configuration reloaded config=%s", svc->config_path);
    return 1;
}

void
opd_service_end (opd_service_t *svc)
{
    opd_info ("stopped");
    opd_config_destroy (&svc->cfg);
    free (svc->config_path);
    svc->config_path = NULL;
}
