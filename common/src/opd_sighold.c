/*  opd_sighold: see opd_sighold.h. */
#include "opd_sighold.h"
#include <signal.h>
#include <stddef.h>

void
opd_sighold_begin (void)
{
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGHUP);
    sigprocmask (SIG_BLOCK, &set, NULL);
}

void
opd_sighold_end (void)
{
    struct sigaction sa;
    if (sigaction (SIGHUP, NULL, &sa) || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
        return;
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGHUP);
    sigprocmask (SIG_UNBLOCK, &set, NULL);
}
