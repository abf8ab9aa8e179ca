/*  opd_sighold: holds SIGHUP back while a program starts. Until
    opd_service_start has installed its handlers, SIGHUP has its default
    action, which ends the process: a reload asked for while a service
    starts (a deploy script that reconfigures everything at once) killed
    opdesk-phone. Blocked instead, the signal waits and is delivered, and
    noted as a reload, once the handlers are there.

        opd_sighold_begin ();
        int rc = opd_service_start (&svc, argc, argv, ...);
        opd_sighold_end ();

    Call both before any thread starts (threads inherit the mask). The
    natural home of this is opd_service_start itself; until the signal
    layer does it for every program, opdesk-web and opdesk-phone do. */
#ifndef OPD_SIGHOLD_H_INCLUDED
#define OPD_SIGHOLD_H_INCLUDED

void opd_sighold_begin (void);
//  Unblocks SIGHUP when a handler is installed for it by now; leaves it
//  blocked otherwise (a signal layer reading signals from a signalfd wants
//  them blocked, and a default action would end the process).
void opd_sighold_end (void);
#endif
