/*  opd_log: see opd_log.h. */
#include "opd_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static char s_name[32] = "opdesk";
static opd_log_level_t s_level = OPD_LOG_INFO;
static const char *s_names[] = {"debug", "info", "warn", "error"};

void
opd_log_init (const char *name, opd_log_level_t level)
{
    snprintf (s_name, sizeof s_name, "%s", name ? name : "opdesk");
    s_level = level;
}

int
opd_log_level_parse (const char *text)
{
    for (int i = 0; i < 4; i++)
        if (text && strcmp (text, s_names[i]) == 0)
            return i;
    return -1;
}

void
opd_log (opd_log_level_t level, const char *fmt, ...)
{
    if (level < s_level)
        return;
    struct timeval tv;
    gettimeofday (&tv, NULL);
    struct tm tm;
    gmtime_r (&tv.tv_sec, &tm);
    char line[2048];
    int n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, (long) (tv.tv_usec / 1000), s_name, s_names[level]);
    va_list ap;
    va_start (ap, fmt);
    if (n > 0 && (size_t) n < sizeof line)
        vsnprintf (line + n, sizeof line - (size_t) n, fmt, ap);
    va_end (ap);
    //  One write per line so that lines of several processes do not interleave.
    fprintf (stderr, "%s\n", line);
}
