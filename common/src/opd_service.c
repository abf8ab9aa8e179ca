/*  opd_service: see opd_service.h. */
#include "opd_service.h"
#include "opd_log.h"
#include "opd_util.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

//  czmq's, declared weak so that a program that does not use czmq (the
//  mail-gate, which starts once per message) does not load it for these
//  calls alone: the symbols are NULL there, and there is no czmq to tame.
void *zsys_init (void) __attribute__ ((weak));
void zsys_handler_set (void (*handler_fn) (int signal_value)) __attribute__ ((weak));

static atomic_int s_stop = 0;
static atomic_int s_hup = 0;
static int s_sigfd = -1;
static int s_exit_code = 0;

static void
s_note (int sig)
{
    if (sig == SIGHUP)
        atomic_store (&s_hup, 1);
    else
        atomic_store (&s_stop, 1);
}

//  Only reached when some library unblocked a signal in its own thread.
static void
s_on_signal (int sig)
{
    s_note (sig);
}

static void
s_exit_now (int sig)
{
    (void) sig;
    _exit (s_exit_code);
}

static void
s_signal_set (sigset_t *set)
{
    sigemptyset (set);
    sigaddset (set, SIGTERM);
    sigaddset (set, SIGINT);
    sigaddset (set, SIGHUP);
}

//  Takes the signals waiting on the signalfd, without blocking.
static void
s_take (void)
{
    struct signalfd_siginfo si;
    while (s_sigfd >= 0 && read (s_sigfd, &si, sizeof si) == (ssize_t) sizeof si)
        s_note ((int) si.ssi_signo);
}

//  The first thing a program does, while it is its only thread: every
//  thread made later inherits the mask. From here a SIGHUP (a deployment
//  that reconfigures everything while this one still starts) waits for the
//  loop instead of ending the program with its default action.
static void
s_signals_hold (void)
{
    sigset_t set;
    s_signal_set (&set);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
}

static void
s_signals_setup (void)
{
    sigset_t set;
    s_signal_set (&set);
    //  czmq installs its own SIGINT/SIGTERM handlers (without SA_RESTART)
    //  when it initialises, on the first socket; let it do so now, then
    //  take the signals back for good.
    if (zsys_init && zsys_handler_set) {
        zsys_init ();
        zsys_handler_set (NULL);
    }
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sa.sa_flags = SA_RESTART;
    sigfillset (&sa.sa_mask);
    //  Also undoes an inherited SIG_IGN (nohup), which would discard the
    //  signal before the signalfd saw it.
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGHUP, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    s_sigfd = signalfd (-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (s_sigfd < 0)
        opd_error ("signalfd failed, signals are seen late: %s", strerror (errno));
}

int
opd_service_start (opd_service_t *svc, int argc, char **argv, const char *name,
                   const char *summary, const char *extra_usage)
{
    s_signals_hold ();
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
    s_signals_setup ();
    opd_info ("starting version=%s config=%s", OPD_VERSION, svc->config_path);
    return -1;
}

bool
opd_service_stopping (void)
{
    s_take ();
    return atomic_load (&s_stop) != 0;
}

void
opd_service_stop (void)
{
    atomic_store (&s_stop, 1);
}

int
opd_service_signal_fd (void)
{
    return s_sigfd;
}

void
opd_service_wait (int ms)
{
    int64_t until = opd_mono_ms () + ms;
    while (true) {
        int64_t left = until - opd_mono_ms ();
        if (left <= 0)
            return;
        struct pollfd p = {s_sigfd, POLLIN, 0};
        int rc = poll (&p, s_sigfd >= 0 ? 1 : 0, (int) left);
        if (rc > 0) {
            s_take ();
            return;
        }
        if (rc == 0)
            return;
        //  EINTR (a stop and a continue, say): wait for what is left.
    }
}

void
opd_service_exit_on_signal (int exit_code)
{
    s_exit_code = exit_code;
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_exit_now;
    sigfillset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGHUP, SIG_IGN);
    if (s_sigfd >= 0)
        close (s_sigfd);
    s_sigfd = -1;
    if (atomic_load (&s_stop))
        _exit (exit_code);
    //  A signal that came meanwhile is delivered now.
    sigset_t set;
    s_signal_set (&set);
    pthread_sigmask (SIG_UNBLOCK, &set, NULL);
}

int
opd_service_reload (opd_service_t *svc)
{
    if (!svc->alive)
        svc->alive = opd_alive_new (svc->cfg, svc->name);
    opd_alive_beat (svc->alive);
    s_take ();
    if (!atomic_exchange (&s_hup, 0))
        return 0;
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
    opd_alive_set_config (svc->alive, cfg);
    opd_log_init (svc->name, (opd_log_level_t) opd_log_level_parse (cfg->log_level));
    opd_info ("configuration reloaded config=%s", svc->config_path);
    return 1;
}

void
opd_service_end (opd_service_t *svc)
{
    opd_alive_destroy (&svc->alive);
    opd_info ("stopped");
    opd_config_destroy (&svc->cfg);
    free (svc->config_path);
    svc->config_path = NULL;
}
