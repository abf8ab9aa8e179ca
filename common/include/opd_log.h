/*  opd_log: one line per event on standard error, key=value context.
    Never log personal data: ticket ids, not names or addresses. */
#ifndef OPD_LOG_H_INCLUDED
#define OPD_LOG_H_INCLUDED

typedef enum { OPD_LOG_DEBUG = 0, OPD_LOG_INFO, OPD_LOG_WARN, OPD_LOG_ERROR } opd_log_level_t;

//  Sets the name printed on every line (the service) and the lowest level printed.
void opd_log_init (const char *name, opd_log_level_t level);
//  Parses "debug", "info", "warn", "error"; returns -1 for anything else.
int opd_log_level_parse (const char *text);
void opd_log (opd_log_level_t level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#define opd_debug(...) opd_log (OPD_LOG_DEBUG, __VA_ARGS__)
#define opd_info(...)  opd_log (OPD_LOG_INFO, __VA_ARGS__)
#define opd_warn(...)  opd_log (OPD_LOG_WARN, __VA_ARGS__)
#define opd_error(...) opd_log (OPD_LOG_ERROR, __VA_ARGS__)

#endif
