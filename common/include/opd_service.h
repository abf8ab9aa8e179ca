/*  opd_service: what every opdesk program does around its own work: the
    command line (--config FILE, --help, --version), loading and validating
    the configuration, logging, signals (SIGTERM and SIGINT stop, SIGHUP
    reloads the configuration) and the heartbeat /healthz reads.

    Signals. opd_service_start blocks SIGTERM, SIGINT and SIGHUP before the
    program starts any thread, so every thread made later (czmq actors, the
    ZeroMQ I/O threads, libmicrohttpd's, curl's resolver) inherits the mask:
    no signal ever interrupts a blocking call anywhere (zactor_new, zpoller,
    zsock_recv, zmq_poll, Redis reads, sleeps) with EINTR. The signals wait,
    pending, until the main loop takes them from a signalfd: in
    opd_service_stopping, opd_service_reload and opd_service_wait, or when
    a loop that polls sees opd_service_signal_fd readable. The handlers, in
    case a library unblocks a signal in its own thread, only set the same
    flags (SA_RESTART). The mask survives exec: a program that ever starts
    another must unblock the three signals in the child first.

    The loop. A service's loop calls opd_service_reload once per turn, at
    least once a second, and stops when opd_service_stopping() is true. */
#ifndef OPD_SERVICE_H_INCLUDED
#define OPD_SERVICE_H_INCLUDED
#include "opd_alive.h"
#include "opd_config.h"
#include <stdbool.h>

typedef struct {
    const char *name;     //  "opdesk-intake"
    const char *summary;  //  one line for --help
    char *config_path;
    opd_config_t *cfg;
    opd_alive_t *alive;   //  the heartbeat, from the first turn of the loop
} opd_service_t;

//  Parses the command line and loads the configuration. Returns -1 when the
//  program should go on, else the exit code to end with at once (0 after
//  --help or --version, 2 for a bad command line or configuration; the one
//  line naming the problem is printed). extra_usage may be NULL. Call it
//  first in main, before anything starts a thread: the signals are blocked
//  from its first line, so a SIGHUP while the configuration loads is a
//  reload at the first turn of the loop, never the end of the program.
int opd_service_start (opd_service_t *svc, int argc, char **argv, const char *name,
                       const char *summary, const char *extra_usage);
//  True once SIGTERM or SIGINT arrived. Any thread may call it.
bool opd_service_stopping (void);
//  Asks the service to stop (tests, fatal errors).
void opd_service_stop (void);
//  Once per turn of the loop: refreshes the heartbeat (opd_alive.h), and
//  when SIGHUP arrived since the last call, loads the configuration again.
//  Returns 1 when the new one replaced svc->cfg (the old one is destroyed),
//  -1 when it was invalid (the old one stays, the error is logged); 0
//  otherwise. Several SIGHUPs before a call make one reload.
int opd_service_reload (opd_service_t *svc);
//  A descriptor that is readable while a signal waits to be taken, for a
//  loop that polls: zmq_pollitem_t {NULL, opd_service_signal_fd (),
//  ZMQ_POLLIN, 0}. The loop then calls opd_service_stopping and
//  opd_service_reload, which take it. -1 before opd_service_start.
int opd_service_signal_fd (void);
//  Sleeps ms, or less when a signal arrives (then it is taken).
void opd_service_wait (int ms);
//  For a program that does one job and ends (opdesk-mailgate): from now on
//  SIGTERM and SIGINT end it at once with exit_code, and SIGHUP is ignored.
void opd_service_exit_on_signal (int exit_code);
//  Removes the heartbeat (a stopped service is down at once), frees svc.
void opd_service_end (opd_service_t *svc);
#endif
