#!/usr/bin/python3
"""Generates tests/unit/calendar_cases.txt: working-time cases computed with
Python's zoneinfo, independently of the C code, for test_calendar.c.

The reference below follows CONTRACT.md section 7 literally: every interval of
every local date becomes a span of instants (a local time in a spring-forward
gap moves forward by the gap's length, an ambiguous one is the earlier
instant, which is what PEP 495's fold=0 gives), holidays drop whole local
dates, working time is the union of the spans, and a clock's due time is the
instant at which the working time elapsed since the start equals the target.

Run:  /usr/bin/python3 tests/unit/gen_calendar_cases.py  (rewrites the file;
deterministic for a given tzdata). Format, one item a line:
  cal NAME TIMEZONE always|HOURS HOLIDAYS
      HOURS: seven day lists (mon..sun) joined by '|', each '-' or
      comma-separated HH:MM-HH:MM; HOLIDAYS: '-' or comma-separated dates
  add NAME START_MS WORK_MS DUE_MS
  work NAME FROM_MS TO_MS WORK_MS
"""
import os
import random
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)
YEAR = 2026
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calendar_cases.txt")

WEEK = ["08:00-18:00"] * 4 + ["08:00-17:00", "", ""]
UK = ["08:00-18:00", "08:00-18:00", "08:00-12:30,13:30-18:00", "08:00-18:00",
      "08:00-17:00", "", ""]

# name, zone, hours (None = 24x7) as 7 strings, holidays
CALENDARS = [
    ("utc-always", "UTC", None, []),
    ("london-always-hol", "Europe/London", None, ["2026-03-29", "2026-12-25"]),
    ("uk-office", "Europe/London", UK, ["2026-12-25", "2026-12-28", "2026-05-04"]),
    ("london-night", "Europe/London",
     ["08:00-18:00"] * 5 + ["00:00-24:00", "00:30-01:45,02:00-03:00,22:00-24:00"], []),
    ("lord-howe", "Australia/Lord_Howe", ["01:00-03:00,09:00-17:00"] * 7, ["2026-01-26"]),
    ("sydney", "Australia/Sydney",
     ["09:00-17:00"] * 5 + ["", "01:00-04:00"], ["2026-04-03", "2026-12-25"]),
    ("santiago", "America/Santiago", ["00:00-02:00,08:00-12:00,23:00-24:00"] * 7, ["2026-09-18"]),
    ("new-york", "America/New_York",
     ["08:00-12:30,13:30-18:00"] * 5 + ["", "01:00-03:00"], ["2026-07-03", "2026-11-26"]),
    ("kolkata", "Asia/Kolkata", ["09:30-18:30"] * 6 + [""], ["2026-01-26"]),
    ("chatham", "Pacific/Chatham", ["02:00-04:00,10:00-16:00"] * 7, []),
    ("dublin", "Europe/Dublin", ["00:00-03:00,09:00-17:00"] * 5 + ["", "01:00-02:30"], []),
    ("weekend-only", "Europe/Berlin", ["", "", "", "", "", "10:00-12:00", ""],
     ["2026-06-06", "2026-06-13"]),
]

def parse_hours(text):
    out = []
    for item in text.split(","):
        if not item:
            continue
        a, b = item.split("-")
        out.append((int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])))
    return out


def inst(zone, d, minute):
    """The instant (ms) of local wall-clock time: date d, minute after midnight (fold=0)."""
    naive = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
    return (naive.replace(tzinfo=zone) - EPOCH) // MS


class Ref:
    def __init__(self, name, tz, hours, holidays):
        self.name, self.tz = name, tz
        self.zone = ZoneInfo(tz)
        self.hours = [[(0, 1440)]] * 7 if hours is None else [parse_hours(h) for h in hours]
        self.holidays = {date.fromisoformat(h) for h in holidays}

    def spans(self, d0, d1):
        """The union of working spans of the local dates [d0, d1), merged."""
        raw = []
        d = d0
        while d < d1:
            if d not in self.holidays:
                for a, b in self.hours[d.weekday()]:
                    s, e = inst(self.zone, d, a), inst(self.zone, d, b)
                    if e > s:
                        raw.append((s, e))
            d += timedelta(days=1)
        raw.sort()
        merged = []
        for s, e in raw:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return merged

    def local_date(self, ms):
        return datetime.fromtimestamp(ms / 1000, tz=self.zone).date()

    def add(self, start, work):
        d0 = self.local_date(start) - timedelta(days=3)
        days = 40
        while True:
            d1 = d0 + timedelta(days=days)
            safe = inst(self.zone, d1 - timedelta(days=3), 0)
            remaining = work
            for s, e in self.spans(d0, d1):
                s = max(s, start)
                if e <= s:
                    continue
                if remaining <= e - s:
                    due = s + remaining
                    if due < safe:
                        return due
                    break
                remaining -= e - s
            days *= 2

    def work(self, a, b):
        d0 = self.local_date(a) - timedelta(days=3)
        d1 = self.local_date(b) + timedelta(days=3)
        total = 0
        for s, e in self.spans(d0, d1):
            s, e = max(s, a), min(e, b)
            if e > s:
                total += e - s
        return total


def transitions(zone):
    """Instants (ms) in YEAR where the UTC offset of zone changes."""
    out = []
    t = datetime(YEAR, 1, 1, tzinfo=timezone.utc)
    end = datetime(YEAR + 1, 1, 1, tzinfo=timezone.utc)
    prev = t.astimezone(zone).utcoffset()
    while t < end:
        n = t + timedelta(minutes=15)
        off = n.astimezone(zone).utcoffset()
        if off != prev:
            out.append((n - EPOCH) // MS)
            prev = off
        t = n
    return out


def main():
    rnd = random.Random(20260329)
    y0 = (datetime(YEAR, 1, 1, tzinfo=timezone.utc) - EPOCH) // MS
    y1 = (datetime(YEAR + 1, 1, 1, tzinfo=timezone.utc) - EPOCH) // MS
    lines = ["# Generated by tests/unit/gen_calendar_cases.py with Python zoneinfo; do not edit."]
    nadd = nwork = 0
    for name, tz, hours, holidays in CALENDARS:
        ref = Ref(name, tz, hours, holidays)
        lines.append("cal %s %s %s %s" % (
            name, tz, "always" if hours is None else "|".join(h or "-" for h in hours),
            ",".join(holidays) or "-"))
        near = transitions(ref.zone)
        starts = [rnd.randrange(y0, y1) for _ in range(70)]
        for t in near:
            # Around each transition: minutes and hours either side.
            for _ in range(12):
                starts.append(t + rnd.randrange(-36 * 3600 * 1000, 36 * 3600 * 1000))
            starts.append(t)
        for h in holidays:
            d = date.fromisoformat(h)
            starts.append(inst(ref.zone, d, rnd.randrange(0, 1440)))
        for start in starts:
            choice = rnd.random()
            if choice < 0.2:
                work = rnd.randrange(1, 3600) * 1000              # whole seconds
            elif choice < 0.4:
                work = rnd.randrange(1, 64) * 15 * 60 * 1000      # quarter hours
            else:
                work = rnd.randrange(1, 60 * 3600 * 1000)         # any ms up to 60h
            lines.append("add %s %d %d %d" % (name, start, work, ref.add(start, work)))
            nadd += 1
            # Working time from the start to a point up to ten days later.
            to = start + rnd.randrange(0, 10 * 86400 * 1000)
            lines.append("work %s %d %d %d" % (name, start, to, ref.work(start, to)))
            nwork += 1
        # Exactly-at-the-end: a target equal to the working time left in an interval.
        for _ in range(10):
            start = rnd.randrange(y0, y1)
            spans = [s for s in ref.spans(ref.local_date(start) - timedelta(days=2),
                                          ref.local_date(start) + timedelta(days=30))
                     if s[1] > start]
            s, e = spans[0]
            work = e - max(s, start)
            due = ref.add(start, work)
            assert due == e, (name, start)
            lines.append("add %s %d %d %d" % (name, start, work, due))
            nadd += 1
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s: %d add cases, %d work cases" % (OUT, nadd, nwork))


if __name__ == "__main__":
    main()
