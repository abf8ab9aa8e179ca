/*  opdesk-mailgate: reads one RFC 5322 message on standard input, as an
    MTA's pipe transport delivers it (Postfix pipe, Exim pipe, .forward), and
    submits it to intake. The exit code tells the MTA what to do with it:
    0 accepted (or dropped on purpose: a repeat, mail from the desk itself, a
    sender over the rate limit, a bounce about nothing we know), 65 rejected
    for good (not a mail message), 75 try again later (intake or Redis
    unavailable). See README.md in this folder and docs/email.md. */
#include "opd_log.h"
#include "opd_mailer.h"
#include "opd_service.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define INTAKE_TIMEOUT_MS 10000

//  Reads standard input up to max bytes; returns the length, or -1 when the
//  input is longer than max (then nothing is kept) or cannot be read.
static long
s_read_stdin (char **out, size_t max)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc (cap);
    while (buf) {
        if (len == cap) {
            if (cap > max) {
                free (buf);
                return -1;
            }
            cap *= 2;
            char *grown = realloc (buf, cap);
            if (!grown)
                break;
            buf = grown;
        }
        ssize_t n = read (STDIN_FILENO, buf + len, cap - len);
        if (n == 0)
            break;
        if (n < 0) {
            free (buf);
            return -1;
        }
        len += (size_t) n;
        if (len > max) {
            free (buf);
            return -1;
        }
    }
    *out = buf;
    return buf ? (long) len : -1;
}

int
main (int argc, char **argv)
{
    opd_service_t svc;
    int rc = opd_service_start (&svc, argc, argv, "opdesk-mailgate",
                                "reads one mail message on standard input and submits it to intake",
                                "Exit codes: 0 accepted, 65 rejected for good, 75 try again later.\n");
    if (rc >= 0)
        //  A broken configuration must not bounce mail: the MTA keeps it.
        return rc == 0 ? 0 : OPD_MAIL_TEMPFAIL;
    //  Stopped by the MTA (a time limit, a shutdown): the message is not
    //  ours yet, the MTA keeps it and delivers it again (a repeat is
    //  recognised by intake).
    opd_service_exit_on_signal (OPD_MAIL_TEMPFAIL);
    char *data = NULL;
    size_t max = opd_mail_max_input (svc.cfg);
    long len = s_read_stdin (&data, max);
    if (len < 0) {
        opd_warn ("rejected reason=\"the message is larger than %zu bytes or unreadable\"", max);
        opd_service_end (&svc);
        return OPD_MAIL_DATAERR;
    }
    opd_mailer_t *mailer = opd_mailer_new (svc.cfg, INTAKE_TIMEOUT_MS);
    if (!mailer) {
        free (data);
        opd_service_end (&svc);
        return OPD_MAIL_TEMPFAIL;
    }
    opd_mail_result_t res;
    rc = opd_mailer_deliver (mailer, data, (size_t) len, &res);
    if (rc == OPD_MAIL_OK)
        opd_info ("done action=%s ticket=%s bytes=%ld %s", res.action, res.ticket_id[0] ? res.ticket_id : "-",
                  len, res.reason);
    else
        opd_warn ("done action=%s exit=%d bytes=%ld reason=\"%s\"", res.action, rc, len, res.reason);
    opd_mailer_destroy (&mailer);
    free (data);
    opd_service_end (&svc);
    return rc;
}
