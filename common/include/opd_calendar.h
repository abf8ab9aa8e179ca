/*  opd_calendar: working-time arithmetic on a calendar of the configuration
    (CONTRACT.md section 7).

    A calendar's working time is the union of its intervals, each in the local
    wall-clock time of the calendar's IANA time zone, less its holidays (whole
    local dates). A local time that does not exist (the spring-forward gap)
    moves forward by the length of the gap; an ambiguous one (fall-back) is
    the earlier instant. Working time is measured in real elapsed time, so a
    working interval that spans a transition is an hour shorter or longer.

    Times are milliseconds since the Unix epoch, UTC; durations are
    milliseconds. Time zones come from GLib (GTimeZone); the TZ environment
    variable is never read or changed. Every function is bounded: one that
    finds no working time within ten years gives up. */
#ifndef OPD_CALENDAR_H_INCLUDED
#define OPD_CALENDAR_H_INCLUDED
#include "opd_config.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  What opd_calendar_add returns when the target is never reached.
#define OPD_CALENDAR_NEVER INT64_MAX

//  A half-open span of time [from, to), in ms.
typedef struct {
    int64_t from, to;
} opd_timespan_t;

//  The instant at which the working time elapsed since start_ms equals
//  work_ms. A clock started outside working time waits for the next working
//  interval; a target used up exactly at the end of an interval is due at
//  that end. work_ms <= 0 returns start_ms. OPD_CALENDAR_NEVER when the
//  calendar has no working time within ten years.
int64_t opd_calendar_add (const opd_calendar_t *cal, int64_t start_ms, int64_t work_ms);

//  Working time in [from_ms, to_ms), in ms; 0 when to_ms <= from_ms.
int64_t opd_calendar_worktime (const opd_calendar_t *cal, int64_t from_ms, int64_t to_ms);

//  As opd_calendar_add, but the clock does not run during the skip spans
//  (a resolution clock while the ticket was pending). The spans may come in
//  any order and may overlap; parts before start_ms do not matter.
int64_t opd_calendar_add_skipping (const opd_calendar_t *cal, int64_t start_ms, int64_t work_ms,
                                   const opd_timespan_t *skip, size_t nskip);

//  As opd_calendar_worktime, less the working time inside the skip spans.
int64_t opd_calendar_worktime_skipping (const opd_calendar_t *cal, int64_t from_ms, int64_t to_ms,
                                        const opd_timespan_t *skip, size_t nskip);

//  True when at_ms lies in working time.
bool opd_calendar_is_working (const opd_calendar_t *cal, int64_t at_ms);

//  The instant of a local wall-clock time in a time zone, with the rules
//  above for gaps and ambiguous times. minute may be 1440 (24:00, the next
//  midnight). An unknown zone is taken as UTC.
int64_t opd_calendar_local_ms (const char *timezone, int year, int month, int day, int minute);

//  Parses "from-to,from-to" (ms) into a new array the caller frees; returns
//  the number of spans (0 and *spans NULL for an empty or NULL text).
//  Malformed items are skipped.
size_t opd_timespans_parse (const char *text, opd_timespan_t **spans);
#endif
