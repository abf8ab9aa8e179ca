/*  opd_calendar: see opd_calendar.h.

    How it works. Local dates are numbered as days since 1970-01-01. The
    intervals of one local date become instants through s_instant, which
    applies the contract's rules for gaps and ambiguous times. Because a time
    in a spring-forward gap moves forward, the intervals of neighbouring
    dates can overlap as instants (an interval inside the gap lands on the
    first hour after it); working time is their union. So the timeline is cut
    into windows, one per local date D, from D's midnight to the next
    midnight (as instants), and the working time inside D's window is the
    union of the intervals of D-1, D and D+1 clipped to that window. The
    windows do not overlap and cover the timeline, so summing them walks
    the union exactly, a day at a time. */
#include "opd_calendar.h"
#include "opd_util.h"
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400
#define DAY_MS 86400000LL
//  Give up after this many days without any working time.
#define IDLE_DAYS_MAX (366 * 10)
//  And never walk more than this many days in one call.
#define WALK_DAYS_MAX (366 * 100)

//  --- Time zones -----------------------------------------------------------

//  Parsing a zone file is costly, so zones are kept for the life of the
//  process (a configuration names few of them).
#define TZ_CACHE 64
static struct {
    char *id;
    GTimeZone *tz;
} s_zones[TZ_CACHE];
static size_t s_nzones;
G_LOCK_DEFINE_STATIC (s_zones);

//  Returns a reference the caller unrefs.
static GTimeZone *
s_zone (const char *id)
{
    if (!id || !*id)
        id = "UTC";
    G_LOCK (s_zones);
    for (size_t i = 0; i < s_nzones; i++)
        if (!strcmp (s_zones[i].id, id)) {
            GTimeZone *tz = g_time_zone_ref (s_zones[i].tz);
            G_UNLOCK (s_zones);
            return tz;
        }
    GTimeZone *tz = g_time_zone_new_identifier (id);
    if (!tz)
        tz = g_time_zone_new_utc ();
    if (s_nzones < TZ_CACHE) {
        s_zones[s_nzones].id = opd_strdup (id);
        s_zones[s_nzones].tz = g_time_zone_ref (tz);
        s_nzones++;
    }
    G_UNLOCK (s_zones);
    return tz;
}

//  UTC offset in seconds at an instant (seconds since the epoch).
static int32_t
s_offset (GTimeZone *tz, int64_t t)
{
    return g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t));
}

//  The instant (seconds) of local wall-clock time l (seconds since the local
//  epoch). The offsets a day before and a day after stand for "before" and
//  "after" any transition near l. Taking the offset before when it fits
//  gives the earlier instant of an ambiguous time; when neither fits, l is in
//  a gap, and the offset before moves it forward by the gap's length.
static int64_t
s_instant (GTimeZone *tz, int64_t l)
{
    int32_t before = s_offset (tz, l - DAY_S);
    int64_t u = l - before;
    if (s_offset (tz, u) == before)
        return u;
    int32_t after = s_offset (tz, l + DAY_S);
    int64_t v = l - after;
    if (s_offset (tz, v) == after)
        return v;
    return u;
}

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

//  Days since 1970-01-01 of a civil date, and back (proleptic Gregorian).
static int64_t
s_days_from_civil (int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = s_floor_div (y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
s_civil_from_days (int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = s_floor_div (z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

//  The local date (days since the epoch) of an instant in ms.
static int64_t
s_local_day (GTimeZone *tz, int64_t ms)
{
    int64_t t = s_floor_div (ms, 1000);
    return s_floor_div (t + s_offset (tz, t), DAY_S);
}

int64_t
opd_calendar_local_ms (const char *timezone, int year, int month, int day, int minute)
{
    GTimeZone *tz = s_zone (timezone);
    int64_t l = s_days_from_civil (year, month, day) * DAY_S + (int64_t) minute * 60;
    int64_t ms = s_instant (tz, l) * 1000;
    g_time_zone_unref (tz);
    return ms;
}

//  --- The walk over windows -----------------------------------------------

typedef struct {
    int64_t day;        //  local date, days since the epoch
    int64_t midnight;   //  instant of its 00:00, ms
    int64_t *s, *e;     //  its intervals as instants, ms, non-empty
    size_t n;
} day_t;

typedef struct {
    const opd_calendar_t *cal;
    GTimeZone *tz;
    size_t maxn;        //  most intervals on one date
    day_t d[4];         //  D-1, D, D+1, D+2 (D+2 only for D+1's window end)
    int64_t *ps, *pe;   //  the merged pieces of D's window
    size_t np;
    int64_t wfrom, wto; //  D's window
    struct {
        int64_t day;
        int32_t off;
    } cache[8];         //  UTC offsets at 00:00 UTC of recent days
} walk_t;

//  The UTC offset at 00:00 UTC of a day, remembered: the walk asks for each
//  day four times.
static int32_t
s_walk_offset (walk_t *w, int64_t day)
{
    size_t slot = (size_t) (day & 7);
    if (w->cache[slot].day != day) {
        w->cache[slot].day = day;
        w->cache[slot].off = s_offset (w->tz, day * DAY_S);
    }
    return w->cache[slot].off;
}

static bool
s_holiday (const opd_calendar_t *cal, int64_t day)
{
    if (!cal->nholidays)
        return false;
    int64_t y;
    int m, d;
    s_civil_from_days (day, &y, &m, &d);
    char key[32];
    snprintf (key, sizeof key, "%04lld-%02d-%02d", (long long) y, m, d);
    size_t lo = 0, hi = cal->nholidays;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp (cal->holidays[mid], key);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void
s_day_fill (walk_t *w, day_t *dd, int64_t day)
{
    const opd_calendar_t *cal = w->cal;
    dd->day = day;
    dd->n = 0;
    int64_t base = day * DAY_S;
    //  Most dates are far from any transition: when the offset is the same a
    //  day before and two days after, every local time of the date is plain.
    int32_t off = s_walk_offset (w, day - 1);
    bool plain = off == s_walk_offset (w, day) && off == s_walk_offset (w, day + 1)
                 && off == s_walk_offset (w, day + 2);
    dd->midnight = (plain ? base - off : s_instant (w->tz, base)) * 1000;
    if (s_holiday (cal, day))
        return;
    //  1970-01-01 was a Thursday; 0 is Monday.
    int wd = (int) (((day % 7) + 7 + 3) % 7);
    static const opd_span_t whole = {0, 1440};
    const opd_span_t *spans = cal->always ? &whole : cal->hours[wd];
    size_t nspans = cal->always ? 1 : cal->nhours[wd];
    for (size_t i = 0; i < nspans; i++) {
        int64_t ls = base + (int64_t) spans[i].from * 60, le = base + (int64_t) spans[i].to * 60;
        int64_t s = (plain ? ls - off : s_instant (w->tz, ls)) * 1000;
        int64_t e = (plain ? le - off : s_instant (w->tz, le)) * 1000;
        if (e > s) {
            dd->s[dd->n] = s;
            dd->e[dd->n] = e;
            dd->n++;
        }
    }
}

static int
s_walk_init (walk_t *w, const opd_calendar_t *cal, int64_t first_day)
{
    memset (w, 0, sizeof *w);
    w->cal = cal;
    w->maxn = 1;
    if (!cal->always)
        for (int i = 0; i < 7; i++)
            if (cal->nhours[i] > w->maxn)
                w->maxn = cal->nhours[i];
    w->tz = s_zone (cal->timezone);
    for (int i = 0; i < 8; i++)
        w->cache[i].day = INT64_MIN;
    for (int i = 0; i < 4; i++) {
        w->d[i].s = opd_calloc (w->maxn, sizeof (int64_t));
        w->d[i].e = opd_calloc (w->maxn, sizeof (int64_t));
    }
    w->ps = opd_calloc (3 * w->maxn, sizeof (int64_t));
    w->pe = opd_calloc (3 * w->maxn, sizeof (int64_t));
    //  d[1] is D = first_day; the first s_walk_next moves to it.
    for (int i = 0; i < 4; i++)
        s_day_fill (w, &w->d[i], first_day - 2 + i);
    return 0;
}

static void
s_walk_end (walk_t *w)
{
    for (int i = 0; i < 4; i++) {
        free (w->d[i].s);
        free (w->d[i].e);
    }
    free (w->ps);
    free (w->pe);
    g_time_zone_unref (w->tz);
}

//  Moves to the next date D and computes the merged pieces of its window.
static void
s_walk_next (walk_t *w)
{
    day_t first = w->d[0];
    memmove (&w->d[0], &w->d[1], 3 * sizeof (day_t));
    w->d[3] = first;
    s_day_fill (w, &w->d[3], w->d[2].day + 1);
    //  Now d[0] = D-1, d[1] = D, d[2] = D+1, d[3] = D+2.
    w->wfrom = w->d[1].midnight;
    w->wto = w->d[2].midnight;
    w->np = 0;
    for (int k = 0; k < 3; k++) {
        const day_t *dd = &w->d[k];
        for (size_t i = 0; i < dd->n; i++) {
            int64_t s = dd->s[i] > w->wfrom ? dd->s[i] : w->wfrom;
            int64_t e = dd->e[i] < w->wto ? dd->e[i] : w->wto;
            if (e <= s)
                continue;
            //  Insertion sort by start: a handful of pieces.
            size_t j = w->np++;
            while (j > 0 && w->ps[j - 1] > s) {
                w->ps[j] = w->ps[j - 1];
                w->pe[j] = w->pe[j - 1];
                j--;
            }
            w->ps[j] = s;
            w->pe[j] = e;
        }
    }
    //  Merge overlapping pieces.
    size_t m = 0;
    for (size_t i = 0; i < w->np; i++) {
        if (m > 0 && w->ps[i] <= w->pe[m - 1]) {
            if (w->pe[i] > w->pe[m - 1])
                w->pe[m - 1] = w->pe[i];
            continue;
        }
        w->ps[m] = w->ps[i];
        w->pe[m] = w->pe[i];
        m++;
    }
    w->np = m;
}

static bool
s_has_hours (const opd_calendar_t *cal)
{
    if (cal->always)
        return true;
    for (int i = 0; i < 7; i++)
        if (cal->nhours[i])
            return true;
    return false;
}

int64_t
opd_calendar_add (const opd_calendar_t *cal, int64_t start_ms, int64_t work_ms)
{
    if (work_ms <= 0)
        return start_ms;
    if (cal->always && !cal->nholidays)
        return start_ms > OPD_CALENDAR_NEVER - work_ms ? OPD_CALENDAR_NEVER : start_ms + work_ms;
    if (!s_has_hours (cal))
        return OPD_CALENDAR_NEVER;
    walk_t w;
    GTimeZone *tz = s_zone (cal->timezone);
    int64_t first = s_local_day (tz, start_ms) - 1;
    g_time_zone_unref (tz);
    s_walk_init (&w, cal, first);
    int64_t remaining = work_ms, due = OPD_CALENDAR_NEVER;
    int idle = 0;
    for (int days = 0; days < WALK_DAYS_MAX && idle < IDLE_DAYS_MAX; days++) {
        s_walk_next (&w);
        bool worked = false;
        for (size_t i = 0; i < w.np; i++) {
            int64_t s = w.ps[i] > start_ms ? w.ps[i] : start_ms;
            int64_t len = w.pe[i] - s;
            if (len <= 0)
                continue;
            worked = true;
            if (remaining <= len) {
                due = s + remaining;
                goto done;
            }
            remaining -= len;
        }
        idle = worked ? 0 : idle + 1;
    }
done:
    s_walk_end (&w);
    return due;
}

int64_t
opd_calendar_worktime (const opd_calendar_t *cal, int64_t from_ms, int64_t to_ms)
{
    if (to_ms <= from_ms)
        return 0;
    if (cal->always && !cal->nholidays)
        return to_ms - from_ms;
    if (!s_has_hours (cal))
        return 0;
    walk_t w;
    GTimeZone *tz = s_zone (cal->timezone);
    int64_t first = s_local_day (tz, from_ms) - 1;
    g_time_zone_unref (tz);
    s_walk_init (&w, cal, first);
    int64_t total = 0;
    for (int days = 0; days < WALK_DAYS_MAX; days++) {
        s_walk_next (&w);
        if (w.wfrom >= to_ms)
            break;
        for (size_t i = 0; i < w.np; i++) {
            int64_t s = w.ps[i] > from_ms ? w.ps[i] : from_ms;
            int64_t e = w.pe[i] < to_ms ? w.pe[i] : to_ms;
            if (e > s)
                total += e - s;
        }
    }
    s_walk_end (&w);
    return total;
}

bool
opd_calendar_is_working (const opd_calendar_t *cal, int64_t at_ms)
{
    return opd_calendar_worktime (cal, at_ms, at_ms + 1) == 1;
}

//  --- Skipped spans ------------------------------------------------------

static int
s_span_cmp (const void *a, const void *b)
{
    const opd_timespan_t *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

//  A sorted, merged copy of the spans that end after from_ms; the caller frees it.
static opd_timespan_t *
s_spans_merged (const opd_timespan_t *skip, size_t nskip, int64_t from_ms, size_t *n)
{
    opd_timespan_t *v = opd_calloc (nskip + 1, sizeof *v);
    size_t m = 0;
    for (size_t i = 0; i < nskip; i++)
        if (skip[i].to > skip[i].from && skip[i].to > from_ms)
            v[m++] = skip[i];
    qsort (v, m, sizeof *v, s_span_cmp);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && v[i].from <= v[k - 1].to) {
            if (v[i].to > v[k - 1].to)
                v[k - 1].to = v[i].to;
            continue;
        }
        v[k++] = v[i];
    }
    *n = k;
    return v;
}

int64_t
opd_calendar_add_skipping (const opd_calendar_t *cal, int64_t start_ms, int64_t work_ms,
                           const opd_timespan_t *skip, size_t nskip)
{
    if (work_ms <= 0)
        return start_ms;
    size_t n;
    opd_timespan_t *v = s_spans_merged (skip, nskip, start_ms, &n);
    int64_t cursor = start_ms, remaining = work_ms;
    for (size_t i = 0; i < n; i++) {
        int64_t pause = v[i].from > cursor ? v[i].from : cursor;
        int64_t worked = opd_calendar_worktime (cal, cursor, pause);
        if (worked >= remaining) {
            free (v);
            return opd_calendar_add (cal, cursor, remaining);
        }
        remaining -= worked;
        cursor = v[i].to;
    }
    free (v);
    return opd_calendar_add (cal, cursor, remaining);
}

int64_t
opd_calendar_worktime_skipping (const opd_calendar_t *cal, int64_t from_ms, int64_t to_ms,
                                const opd_timespan_t *skip, size_t nskip)
{
    if (to_ms <= from_ms)
        return 0;
    int64_t total = opd_calendar_worktime (cal, from_ms, to_ms);
    size_t n;
    opd_timespan_t *v = s_spans_merged (skip, nskip, from_ms, &n);
    for (size_t i = 0; i < n; i++) {
        int64_t s = v[i].from > from_ms ? v[i].from : from_ms;
        int64_t e = v[i].to < to_ms ? v[i].to : to_ms;
        if (e > s)
            total -= opd_calendar_worktime (cal, s, e);
    }
    free (v);
    return total < 0 ? 0 : total;
}

size_t
opd_timespans_parse (const char *text, opd_timespan_t **spans)
{
    *spans = NULL;
    if (!text || !*text)
        return 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    opd_timespan_t *v = opd_calloc (cap, sizeof *v);
    size_t n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        long long a = strtoll (p, &end, 10);
        if (end != p && *end == '-') {
            const char *q = end + 1;
            long long b = strtoll (q, &end, 10);
            if (end != q && (*end == ',' || *end == '\0')) {
                v[n].from = a;
                v[n].to = b;
                n++;
            }
        }
        const char *comma = strchr (p, ',');
        if (!comma)
            break;
        p = comma + 1;
    }
    if (!n) {
        free (v);
        return 0;
    }
    *spans = v;
    return n;
}
