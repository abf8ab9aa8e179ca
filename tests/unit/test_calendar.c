/*  test_calendar: working-time arithmetic (opd_calendar), CONTRACT.md section 7.

    Hand-written cases with expected instants worked out by hand, then the
    cases of calendar_cases.txt, generated independently with Python's
    zoneinfo by gen_calendar_cases.py, which must match to the millisecond. */
#include "opd_calendar.h"
#include "opd_util.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define MIN 60000LL
#define HOUR 3600000LL

//  UTC wall-clock time as ms (timegm never reads TZ).
static int64_t
utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t) timegm (&tm) * 1000;
}

//  A calendar from text: hours are seven day lists joined by '|', each "-"
//  or comma-separated "HH:MM-HH:MM"; "always" for 24x7. holidays: "-" or
//  comma-separated dates.
static opd_calendar_t *
cal_new (const char *tz, const char *hours, const char *holidays)
{
    opd_calendar_t *c = opd_calloc (1, sizeof *c);
    c->id = opd_strdup ("test");
    c->timezone = opd_strdup (tz);
    if (!strcmp (hours, "always"))
        c->always = true;
    else {
        const char *p = hours;
        for (int d = 0; d < 7; d++) {
            const char *bar = strchr (p, '|');
            size_t len = bar ? (size_t) (bar - p) : strlen (p);
            c->hours[d] = opd_calloc (len / 11 + 1, sizeof (opd_span_t));
            if (!(len == 1 && *p == '-')) {
                for (const char *q = p; q < p + len; q += 12) {
                    int h1, m1, h2, m2;
                    assert_int_equal (sscanf (q, "%d:%d-%d:%d", &h1, &m1, &h2, &m2), 4);
                    c->hours[d][c->nhours[d]].from = h1 * 60 + m1;
                    c->hours[d][c->nhours[d]].to = h2 * 60 + m2;
                    c->nhours[d]++;
                }
            }
            p = bar ? bar + 1 : p + len;
        }
    }
    if (strcmp (holidays, "-")) {
        size_t n = (strlen (holidays) + 1) / 11;
        c->holidays = opd_calloc (n, sizeof (char *));
        for (size_t i = 0; i < n; i++)
            c->holidays[c->nholidays++] = opd_strndup (holidays + i * 11, 10);
        //  The configuration loader keeps holidays sorted; do the same.
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp (c->holidays[j - 1], c->holidays[j]) > 0; j--) {
                char *t = c->holidays[j];
                c->holidays[j] = c->holidays[j - 1];
                c->holidays[j - 1] = t;
            }
    }
    return c;
}

static void
cal_destroy (opd_calendar_t **c_p)
{
    opd_calendar_t *c = *c_p;
    for (int d = 0; d < 7; d++)
        free (c->hours[d]);
    for (size_t i = 0; i < c->nholidays; i++)
        free (c->holidays[i]);
    free (c->holidays);
    free (c->id);
    free (c->timezone);
    free (c);
    *c_p = NULL;
}

#define UK_HOURS "08:00-18:00|08:00-18:00|08:00-12:30,13:30-18:00|08:00-18:00|08:00-17:00|-|-"

static void
test_calendar_always_is_plain_elapsed_time (void **state)
{
    (void) state;
    opd_calendar_t *c = cal_new ("UTC", "always", "-");
    int64_t t = utc (2026, 3, 29, 0, 30) + 123;
    assert_int_equal (opd_calendar_add (c, t, 15 * MIN), t + 15 * MIN);
    assert_int_equal (opd_calendar_worktime (c, t, t + 4 * HOUR), 4 * HOUR);
    assert_int_equal (opd_calendar_worktime (c, t, t - 1), 0);
    assert_int_equal (opd_calendar_add (c, t, 0), t);
    assert_true (opd_calendar_is_working (c, t));
    cal_destroy (&c);
    //  24x7 in a zone with DST: still real elapsed time, and a holiday is a
    //  whole local date (23 hours on the spring-forward Sunday).
    c = cal_new ("Europe/London", "always", "2026-03-29");
    int64_t sat_noon = utc (2026, 3, 28, 12, 0);
    assert_int_equal (opd_calendar_add (c, sat_noon, 12 * HOUR), utc (2026, 3, 29, 0, 0));
    assert_int_equal (opd_calendar_add (c, sat_noon, 12 * HOUR + 1), utc (2026, 3, 29, 23, 0) + 1);
    assert_int_equal (opd_calendar_worktime (c, sat_noon, utc (2026, 3, 30, 12, 0)), 12 * HOUR + 13 * HOUR);
    cal_destroy (&c);
}

static void
test_calendar_split_days (void **state)
{
    (void) state;
    opd_calendar_t *c = cal_new ("Europe/London", UK_HOURS, "-");
    //  Wednesday 2026-11-25, GMT: 12:00 + 1h = 30 min before lunch, 30 after.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 25, 12, 0), HOUR), utc (2026, 11, 25, 14, 0));
    //  Used up exactly at the end of the morning: due at 12:30, not 13:30.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 25, 12, 0), 30 * MIN), utc (2026, 11, 25, 12, 30));
    //  Started during lunch: waits for 13:30.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 25, 12, 45), 10 * MIN), utc (2026, 11, 25, 13, 40));
    //  A working Wednesday is 9 hours; Tuesday 10.
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 11, 25, 0, 0), utc (2026, 11, 26, 0, 0)), 9 * HOUR);
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 11, 24, 0, 0), utc (2026, 11, 25, 0, 0)), 10 * HOUR);
    //  16h from Wednesday 08:00: 9h Wednesday, 7h Thursday, due 15:00.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 25, 8, 0), 16 * HOUR), utc (2026, 11, 26, 15, 0));
    assert_false (opd_calendar_is_working (c, utc (2026, 11, 25, 13, 0)));
    assert_true (opd_calendar_is_working (c, utc (2026, 11, 25, 13, 30)));
    assert_false (opd_calendar_is_working (c, utc (2026, 11, 25, 18, 0)));
    cal_destroy (&c);
}

static void
test_calendar_holidays_and_start_outside_hours (void **state)
{
    (void) state;
    opd_calendar_t *c = cal_new ("Europe/London", UK_HOURS, "2026-12-25,2026-12-28");
    //  Thursday 24 December 17:00 + 2h: 1h that day; Friday 25 is a holiday,
    //  the weekend, Monday 28 a holiday; the second hour ends Tuesday 09:00.
    assert_int_equal (opd_calendar_add (c, utc (2026, 12, 24, 17, 0), 2 * HOUR), utc (2026, 12, 29, 9, 0));
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 12, 24, 0, 0), utc (2026, 12, 29, 0, 0)), 10 * HOUR);
    //  Saturday 28 November 10:00 + 1h: waits for Monday 08:00.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 28, 10, 0), HOUR), utc (2026, 11, 30, 9, 0));
    //  Friday 27 November 16:00 + 1h: exactly at Friday's end, 17:00.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 27, 16, 0), HOUR), utc (2026, 11, 27, 17, 0));
    //  One millisecond more goes over to Monday.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 27, 16, 0), HOUR + 1), utc (2026, 11, 30, 8, 0) + 1);
    //  Started in the night before a working day: clock starts at 08:00.
    assert_int_equal (opd_calendar_add (c, utc (2026, 11, 24, 2, 0), 4 * HOUR), utc (2026, 11, 24, 12, 0));
    cal_destroy (&c);
}

static void
test_calendar_london_dst (void **state)
{
    (void) state;
    //  Sunday 2026-03-29: 01:00 GMT becomes 02:00 BST. Sunday 2026-10-25:
    //  02:00 BST becomes 01:00 GMT.
    opd_calendar_t *c = cal_new ("Europe/London", "-|-|-|-|-|-|00:00-24:00", "-");
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 3, 28, 0, 0), utc (2026, 3, 31, 0, 0)), 23 * HOUR);
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 10, 24, 0, 0), utc (2026, 10, 27, 0, 0)), 25 * HOUR);
    //  00:30 GMT + 1h of real time = 02:30 BST = 01:30 UTC.
    assert_int_equal (opd_calendar_add (c, utc (2026, 3, 29, 0, 30), HOUR), utc (2026, 3, 29, 1, 30));
    //  Sunday's 24 working hours end at Monday 00:00 BST = 23:00 UTC.
    assert_int_equal (opd_calendar_add (c, utc (2026, 3, 29, 0, 0), 23 * HOUR), utc (2026, 3, 29, 23, 0));
    assert_int_equal (opd_calendar_add (c, utc (2026, 10, 25, 0, 0) - HOUR, 25 * HOUR), utc (2026, 10, 26, 0, 0));
    cal_destroy (&c);

    //  Local times in the gap move forward by the gap; ambiguous ones are the earlier.
    assert_int_equal (opd_calendar_local_ms ("Europe/London", 2026, 3, 29, 90), utc (2026, 3, 29, 1, 30));
    assert_int_equal (opd_calendar_local_ms ("Europe/London", 2026, 3, 29, 60), utc (2026, 3, 29, 1, 0));
    assert_int_equal (opd_calendar_local_ms ("Europe/London", 2026, 3, 29, 120), utc (2026, 3, 29, 1, 0));
    assert_int_equal (opd_calendar_local_ms ("Europe/London", 2026, 10, 25, 90), utc (2026, 10, 25, 0, 30));
    assert_int_equal (opd_calendar_local_ms ("Europe/London", 2026, 10, 25, 120), utc (2026, 10, 25, 2, 0));

    //  An interval starting in the gap: 01:30-03:00 on 29 March runs from
    //  02:30 BST to 03:00 BST, 30 minutes.
    c = cal_new ("Europe/London", "-|-|-|-|-|-|01:30-03:00", "-");
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 3, 28, 0, 0), utc (2026, 3, 30, 0, 0)), 30 * MIN);
    assert_int_equal (opd_calendar_add (c, utc (2026, 3, 28, 0, 0), 10 * MIN), utc (2026, 3, 29, 1, 40));
    //  On 25 October: from 01:30 BST (00:30 UTC) to 03:00 GMT, 2h30.
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 10, 24, 0, 0), utc (2026, 10, 26, 0, 0)), 150 * MIN);
    cal_destroy (&c);

    //  Intervals that overlap as instants because of the gap count once:
    //  00:30-01:45 is 00:30-01:45 UTC, 02:00-03:00 BST is 01:00-02:00 UTC;
    //  the union is 00:30-02:00 UTC.
    c = cal_new ("Europe/London", "-|-|-|-|-|-|00:30-01:45,02:00-03:00", "-");
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 3, 28, 0, 0), utc (2026, 3, 30, 0, 0)), 90 * MIN);
    assert_int_equal (opd_calendar_add (c, utc (2026, 3, 29, 0, 0), 90 * MIN), utc (2026, 3, 29, 2, 0));
    cal_destroy (&c);

    //  The UK office across the spring change: Friday 27 March 16:00 GMT + 2h
    //  = 1h Friday, then Monday 30 March 09:00 BST = 08:00 UTC.
    c = cal_new ("Europe/London", UK_HOURS, "-");
    assert_int_equal (opd_calendar_add (c, utc (2026, 3, 27, 16, 0), 2 * HOUR), utc (2026, 3, 30, 8, 0));
    cal_destroy (&c);
}

static void
test_calendar_lord_howe_half_hour_shift (void **state)
{
    (void) state;
    //  Australia/Lord_Howe: +10:30 standard, +11 summer. 2026-04-05 02:00
    //  (+11) goes back to 01:30 (+10:30); 2026-10-04 02:00 (+10:30) goes
    //  forward to 02:30 (+11).
    opd_calendar_t *c = cal_new ("Australia/Lord_Howe", "-|-|-|-|-|-|01:00-03:00", "-");
    //  5 April: 01:00 +11 = 14:00 UTC on the 4th; 03:00 +10:30 = 16:30 UTC.
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 4, 3, 0, 0), utc (2026, 4, 6, 0, 0)), 150 * MIN);
    assert_int_equal (opd_calendar_add (c, utc (2026, 4, 3, 0, 0), 150 * MIN), utc (2026, 4, 4, 16, 30));
    //  4 October: 01:00 +10:30 = 14:30 UTC on the 3rd; 03:00 +11 = 16:00 UTC.
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 10, 2, 0, 0), utc (2026, 10, 5, 0, 0)), 90 * MIN);
    assert_int_equal (opd_calendar_add (c, utc (2026, 10, 3, 0, 0), 60 * MIN), utc (2026, 10, 3, 15, 30));
    //  The gap: 02:15 does not exist; it becomes 02:45 +11 = 15:45 UTC.
    assert_int_equal (opd_calendar_local_ms ("Australia/Lord_Howe", 2026, 10, 4, 135), utc (2026, 10, 3, 15, 45));
    //  Ambiguous 01:45 on 5 April: the earlier, +11, 14:45 UTC on the 4th.
    assert_int_equal (opd_calendar_local_ms ("Australia/Lord_Howe", 2026, 4, 5, 105), utc (2026, 4, 4, 14, 45));
    cal_destroy (&c);
}

static void
test_calendar_southern_zones (void **state)
{
    (void) state;
    //  Australia/Sydney: 2026-04-05 03:00 AEDT back to 02:00 AEST;
    //  2026-10-04 02:00 AEST forward to 03:00 AEDT.
    opd_calendar_t *c = cal_new ("Australia/Sydney", "09:00-17:00|09:00-17:00|09:00-17:00|09:00-17:00|09:00-17:00|-|01:00-04:00", "-");
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 4, 4, 12, 0), utc (2026, 4, 5, 12, 0)), 4 * HOUR);
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 10, 3, 12, 0), utc (2026, 10, 4, 12, 0)), 2 * HOUR);
    //  Friday 3 April 2026 16:00 AEDT (05:00 UTC) + 2h: 1h Friday, then
    //  Sunday 01:00 AEDT (14:00 UTC Saturday) + 1h = 15:00 UTC.
    assert_int_equal (opd_calendar_add (c, utc (2026, 4, 3, 5, 0), 2 * HOUR), utc (2026, 4, 4, 15, 0));
    //  Monday 6 April 09:00 AEST = 23:00 UTC on the 5th.
    assert_int_equal (opd_calendar_add (c, utc (2026, 4, 5, 12, 0), 30 * MIN), utc (2026, 4, 5, 23, 30));
    cal_destroy (&c);

    //  America/Santiago changes at local midnight: 2026-09-06 00:00 (-4)
    //  becomes 01:00 (-3), so 00:00-02:00 that day is one hour long.
    c = cal_new ("America/Santiago", "-|-|-|-|-|-|00:00-02:00", "-");
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 9, 5, 0, 0), utc (2026, 9, 8, 0, 0)), HOUR);
    //  It starts at 01:00 -3 = 04:00 UTC.
    assert_int_equal (opd_calendar_add (c, utc (2026, 9, 5, 0, 0), 1), utc (2026, 9, 6, 4, 0) + 1);
    //  On 2026-04-05 midnight (-3) goes back to 23:00 (-4) on the 4th, so
    //  Sunday 5 April 00:00 comes once, after the change (04:00 UTC): the
    //  interval is a plain 2 hours.
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 4, 4, 0, 0), utc (2026, 4, 7, 0, 0)), 2 * HOUR);
    cal_destroy (&c);
}

static void
test_calendar_skipping_pauses (void **state)
{
    (void) state;
    opd_calendar_t *c = cal_new ("UTC", "always", "-");
    int64_t t = utc (2026, 5, 1, 10, 0);
    opd_timespan_t skip[] = {{t + 2 * HOUR, t + 3 * HOUR}, {t + HOUR, t + 90 * MIN}, {t + 80 * MIN, t + 100 * MIN}};
    //  Paused 1:00-1:40 and 2:00-3:00: a 4h target ends at 5:40.
    assert_int_equal (opd_calendar_add_skipping (c, t, 4 * HOUR, skip, 3), t + 340 * MIN);
    assert_int_equal (opd_calendar_worktime_skipping (c, t, t + 4 * HOUR, skip, 3), 4 * HOUR - 100 * MIN);
    //  Used up exactly when a pause begins: due then, not after the pause.
    assert_int_equal (opd_calendar_add_skipping (c, t, HOUR, skip, 3), t + HOUR);
    assert_int_equal (opd_calendar_add_skipping (c, t, 0, skip, 3), t);
    cal_destroy (&c);
    //  On working hours: a pause during a night costs nothing.
    c = cal_new ("Europe/London", UK_HOURS, "-");
    opd_timespan_t night[] = {{utc (2026, 11, 24, 20, 0), utc (2026, 11, 25, 7, 0)}};
    assert_int_equal (opd_calendar_add_skipping (c, utc (2026, 11, 24, 17, 0), 2 * HOUR, night, 1),
                      utc (2026, 11, 25, 9, 0));
    opd_timespan_t morning[] = {{utc (2026, 11, 25, 8, 0), utc (2026, 11, 25, 10, 0)}};
    assert_int_equal (opd_calendar_add_skipping (c, utc (2026, 11, 24, 17, 0), 2 * HOUR, morning, 1),
                      utc (2026, 11, 25, 11, 0));
    cal_destroy (&c);

    opd_timespan_t *v;
    size_t n = opd_timespans_parse ("100-200,300-450", &v);
    assert_int_equal (n, 2);
    assert_int_equal (v[0].from, 100);
    assert_int_equal (v[1].to, 450);
    free (v);
    assert_int_equal (opd_timespans_parse ("", &v), 0);
    assert_null (v);
    assert_int_equal (opd_timespans_parse ("x,5-6,7-", &v), 1);
    assert_int_equal (v[0].from, 5);
    free (v);
}

static void
test_calendar_gives_up_and_stays_fast (void **state)
{
    (void) state;
    //  No hours at all: never.
    opd_calendar_t *c = cal_new ("UTC", "-|-|-|-|-|-|-", "-");
    assert_int_equal (opd_calendar_add (c, utc (2026, 1, 1, 0, 0), MIN), OPD_CALENDAR_NEVER);
    assert_int_equal (opd_calendar_worktime (c, utc (2026, 1, 1, 0, 0), utc (2027, 1, 1, 0, 0)), 0);
    cal_destroy (&c);

    //  Saturdays only, and every Saturday of 2026-2037 a holiday: ten years
    //  without working time, so the walk gives up.
    char *hol = opd_calloc (700, 11);
    size_t len = 0;
    int64_t day = utc (2026, 1, 3, 12, 0);  //  a Saturday
    for (int i = 0; i < 626; i++, day += 7 * 24 * HOUR) {
        time_t t = (time_t) (day / 1000);
        struct tm tm;
        gmtime_r (&t, &tm);
        len += (size_t) snprintf (hol + len, 12, "%s%04d-%02d-%02d", i ? "," : "", tm.tm_year + 1900,
                                  tm.tm_mon + 1, tm.tm_mday);
    }
    c = cal_new ("Europe/Paris", "-|-|-|-|-|10:00-12:00|-", hol);
    free (hol);
    int64_t t0 = opd_mono_ms ();
    assert_int_equal (opd_calendar_add (c, utc (2026, 1, 1, 0, 0), MIN), OPD_CALENDAR_NEVER);
    int64_t elapsed = opd_mono_ms () - t0;
    print_message ("ten idle years walked in %lld ms\n", (long long) elapsed);
    assert_true (elapsed < 2000);
    cal_destroy (&c);

    //  Speed of the common case: a 16h target on the UK office calendar.
    c = cal_new ("Europe/London", UK_HOURS, "2026-12-25,2026-12-28");
    t0 = opd_mono_ms ();
    int64_t start = utc (2026, 1, 1, 0, 0), sum = 0;
    int n = 20000;
    for (int i = 0; i < n; i++)
        sum += opd_calendar_add (c, start + (int64_t) i * 1579 * 1000, 16 * HOUR) & 1;
    elapsed = opd_mono_ms () - t0;
    print_message ("%d due times in %lld ms (%.1f us each)\n", n, (long long) elapsed,
                   1000.0 * (double) elapsed / n);
    assert_true (sum >= 0);
    assert_true (elapsed < 20000);
    cal_destroy (&c);
}

//  --- The generated cases ---------------------------------------------------

#define MAX_CALS 64

static void
test_calendar_matches_zoneinfo_cases (void **state)
{
    (void) state;
    const char *src = getenv ("OPDESK_SOURCE");
    char path[4096];
    snprintf (path, sizeof path, "%s/tests/unit/calendar_cases.txt", src ? src : "../..");
    FILE *f = fopen (path, "r");
    if (!f)
        fail_msg ("cannot open %s (set OPDESK_SOURCE)", path);
    char name[MAX_CALS][64];
    opd_calendar_t *cals[MAX_CALS];
    int ncals = 0, nadd = 0, nwork = 0, bad = 0;
    char line[4096];
    while (fgets (line, sizeof line, f)) {
        char a[64], b[64], h[2048], hol[2048];
        long long x, y, z;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf (line, "cal %63s %63s %2047s %2047s", a, b, h, hol) == 4) {
            assert_true (ncals < MAX_CALS);
            snprintf (name[ncals], sizeof name[ncals], "%s", a);
            cals[ncals++] = cal_new (b, h, hol);
            continue;
        }
        bool add = sscanf (line, "add %63s %lld %lld %lld", a, &x, &y, &z) == 4;
        bool work = !add && sscanf (line, "work %63s %lld %lld %lld", a, &x, &y, &z) == 4;
        if (!add && !work)
            fail_msg ("bad line in %s: %s", path, line);
        int k = 0;
        while (k < ncals && strcmp (name[k], a))
            k++;
        assert_true (k < ncals);
        int64_t got = add ? opd_calendar_add (cals[k], x, y) : opd_calendar_worktime (cals[k], x, y);
        if (got != z) {
            if (bad < 20)
                print_error ("%s %s %lld %lld: expected %lld, got %lld (%+lld ms)\n", add ? "add" : "work",
                             a, x, y, z, (long long) got, (long long) (got - z));
            bad++;
        }
        if (add)
            nadd++;
        else
            nwork++;
    }
    fclose (f);
    print_message ("%d add and %d worktime cases over %d calendars, %d mismatches\n", nadd, nwork,
                   ncals, bad);
    for (int i = 0; i < ncals; i++)
        cal_destroy (&cals[i]);
    assert_true (nadd >= 1000);
    assert_true (nwork >= 500);
    assert_int_equal (bad, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_calendar_always_is_plain_elapsed_time),
        cmocka_unit_test (test_calendar_split_days),
        cmocka_unit_test (test_calendar_holidays_and_start_outside_hours),
        cmocka_unit_test (test_calendar_london_dst),
        cmocka_unit_test (test_calendar_lord_howe_half_hour_shift),
        cmocka_unit_test (test_calendar_southern_zones),
        cmocka_unit_test (test_calendar_skipping_pauses),
        cmocka_unit_test (test_calendar_gives_up_and_stays_fast),
        cmocka_unit_test (test_calendar_matches_zoneinfo_cases),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
