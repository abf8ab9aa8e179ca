#!/usr/bin/python3
"""Generates tests/unit/rota_cases.h: coverage cases computed with Python's
zoneinfo, independently of the C code (services/rota/opd_rota.c), for
test_rota.c.

The reference is deliberately naive. Every shift of every local date and
every working interval of the team's calendar becomes a span of instants
(a local time in a spring-forward gap moves forward by the gap's length, an
ambiguous one is the earlier instant: PEP 495's fold=0, CONTRACT.md
section 7); then the period is walked a minute at a time (every boundary is
a whole minute), counting at each minute the agents on shift (pattern or
extra override, not removed, not absent) where the minute is working time.
Gaps are the runs of working minutes below min_on_duty, split where the
count changes; covered time is the working minutes that are not in a gap.

The cases are the four daylight-saving change days of 2026: Europe/London
on 2026-03-29 and 2026-10-25, America/Chicago on 2026-03-08 and 2026-11-01.

Run:  /usr/bin/python3 tests/unit/gen_rota_cases.py  (rewrites the header;
deterministic for a given tzdata).
"""
import os
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rota_cases.h")
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MIN_MS = 60000

CHANGES = [("Europe/London", date(2026, 3, 29)), ("Europe/London", date(2026, 10, 25)),
           ("America/Chicago", date(2026, 3, 8)), ("America/Chicago", date(2026, 11, 1))]


def local_ms(zone, d, minute):
    """The instant of minute (0..1440) of local date d, fold=0."""
    if minute == 1440:
        d, minute = d + timedelta(days=1), 0
    dt = datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=ZoneInfo(zone))
    return int(dt.timestamp()) * 1000


def hm(text):
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def shift_spans(shift, zone, first, last):
    out = []
    d = first
    while d <= last:
        if DAYS[d.weekday()] in shift["days"]:
            f, t = hm(shift["from"]), hm(shift["to"])
            a = local_ms(zone, d, f)
            b = local_ms(zone, d, t) if t > f else local_ms(zone, d + timedelta(days=1), t)
            out.append((a, b))
        d += timedelta(days=1)
    return out


def working_spans(cal, first, last):
    out = []
    d = first
    while d <= last:
        if d.isoformat() not in cal.get("holidays", []):
            if cal["hours"] == "24x7":
                out.append((local_ms(cal["timezone"], d, 0), local_ms(cal["timezone"], d, 1440)))
            else:
                for iv in cal["hours"].get(DAYS[d.weekday()], []):
                    f, t = iv.split("-")
                    out.append((local_ms(cal["timezone"], d, hm(f)), local_ms(cal["timezone"], d, hm(t))))
        d += timedelta(days=1)
    return out


def inside(t, spans):
    return any(a <= t < b for a, b in spans)


def reference(case):
    zone = case["zone"]
    first, last = case["day"] - timedelta(days=3), case["day"] + timedelta(days=3)
    work = working_spans(case["calendar"], first, last)
    agents = {}
    for s in case["shifts"]:
        agents.setdefault(s["agent"], {"on": [], "off": []})["on"] += shift_spans(s, s.get("timezone", zone), first, last)
    for o in case.get("overrides", []):
        a = agents.setdefault(o["agent"], {"on": [], "off": []})
        a["off" if o["remove"] else "on"].append((o["from"], o["to"]))
    for ab in case.get("absences", []):
        agents.setdefault(ab["agent"], {"on": [], "off": []})["off"].append((ab["from"], ab["to"]))
    gaps, work_ms, covered = [], 0, 0
    t = case["from"]
    while t < case["to"]:
        if inside(t, work):
            work_ms += MIN_MS
            n = sum(1 for a in agents.values() if inside(t, a["on"]) and not inside(t, a["off"]))
            if n < case["min"]:
                if gaps and gaps[-1][1] == t and gaps[-1][2] == n:
                    gaps[-1][1] = t + MIN_MS
                else:
                    gaps.append([t, t + MIN_MS, n])
            else:
                covered += MIN_MS
        t += MIN_MS
    night = case.get("night_agent")
    spans = []
    if night:
        a = agents[night]
        spans = [s for s in sorted(a["on"]) if s[1] > case["from"] and s[0] < case["to"]]
        spans = [(max(s[0], case["from"]), min(s[1], case["to"])) for s in spans]
    return gaps, work_ms, covered, spans


def yaml_of(case):
    cal = case["calendar"]
    if cal["hours"] == "24x7":
        hours = "24x7"
    else:
        hours = "{" + ", ".join("%s: [%s]" % (d, ", ".join('"%s"' % iv for iv in cal["hours"].get(d, [])))
                                for d in DAYS) + "}"
    lines = [
        "redis: {host: 127.0.0.1, port: 6390}",
        "calendars:",
        "  cal: {timezone: %s, hours: %s, holidays: [%s]}" % (cal["timezone"], hours,
                                                              ", ".join('"%s"' % h for h in cal.get("holidays", []))),
        "slo_policies: [{name: p, match: {}, calendar: cal, first_response: 1h}]",
        "teams: [{id: t, name: T, calendar: cal, min_on_duty: %d}]" % case["min"],
        "default_team: t",
        "agents:",
    ]
    names = sorted({s["agent"] for s in case["shifts"]} | {o["agent"] for o in case.get("overrides", [])})
    for n in names:
        lines.append("  - {id: %s, name: %s, teams: [t]}" % (n, n))
    lines.append("shifts:")
    for s in case["shifts"]:
        lines.append('  - {agent: %s, team: t, days: [%s], from: "%s", to: "%s", timezone: %s}'
                     % (s["agent"], ", ".join(s["days"]), s["from"], s["to"], s.get("timezone", case["zone"])))
    return "\\n".join(lines) + "\\n"


def cases():
    out = []
    for zone, day in CHANGES:
        tag = "%s-%s" % (zone.split("/")[1].lower(), day.isoformat())
        start = local_ms(zone, day - timedelta(days=1), 0)
        end = local_ms(zone, day + timedelta(days=2), 0)
        allweek = list(DAYS)
        always = {"timezone": zone, "hours": "24x7"}
        # Three shifts that meet: no gap, no overlap, on every day.
        out.append({"name": tag + " three shifts meet", "zone": zone, "day": day, "min": 1,
                    "calendar": always, "from": start, "to": end, "night_agent": "c",
                    "shifts": [{"agent": "a", "days": allweek, "from": "06:00", "to": "14:00"},
                               {"agent": "b", "days": allweek, "from": "14:00", "to": "22:00"},
                               {"agent": "c", "days": allweek, "from": "22:00", "to": "06:00"}]})
        # Day and night shifts with gaps between them.
        out.append({"name": tag + " day and night", "zone": zone, "day": day, "min": 1,
                    "calendar": always, "from": start, "to": end, "night_agent": "c",
                    "shifts": [{"agent": "a", "days": allweek, "from": "08:00", "to": "18:00"},
                               {"agent": "c", "days": allweek, "from": "22:00", "to": "06:00"}]})
        # Shifts that meet inside the hour that changes, against an office
        # calendar in the zone, two needed, with an absence, an extra shift
        # and a removal.
        office = {"timezone": zone, "hours": {d: ["00:00-04:00", "07:00-19:00"] for d in DAYS}}
        mid = local_ms(zone, day, 8 * 60)
        out.append({"name": tag + " changing hour", "zone": zone, "day": day, "min": 2,
                    "calendar": office, "from": start, "to": end, "night_agent": "a",
                    "shifts": [{"agent": "a", "days": allweek, "from": "00:30", "to": "02:30"},
                               {"agent": "b", "days": allweek, "from": "02:30", "to": "12:00"},
                               {"agent": "d", "days": allweek, "from": "01:30", "to": "10:00"},
                               {"agent": "e", "days": allweek, "from": "12:00", "to": "19:00",
                                "timezone": "UTC"}],
                    "absences": [{"agent": "d", "from": mid, "to": mid + 90 * MIN_MS}],
                    "overrides": [{"agent": "f", "remove": False, "from": mid + 3600000, "to": mid + 5 * 3600000},
                                  {"agent": "b", "remove": True, "from": mid + 2 * 3600000, "to": mid + 3 * 3600000}]})
        # A holiday on the change day takes the whole local date out.
        out.append({"name": tag + " holiday", "zone": zone, "day": day, "min": 1,
                    "calendar": {"timezone": zone, "hours": "24x7", "holidays": [day.isoformat()]},
                    "from": start, "to": end,
                    "shifts": [{"agent": "a", "days": allweek, "from": "09:00", "to": "17:00"}]})
    return out


def c_str(s):
    return '"' + s.replace('"', '\\"') + '"'


def main():
    rows = []
    for case in cases():
        gaps, work_ms, covered, spans = reference(case)
        assert len(gaps) <= 32 and len(spans) <= 8, case["name"]
        abs_ = case.get("absences", [])
        ovr = case.get("overrides", [])
        rows.append("    {%s,\n     %s,\n     %dLL, %dLL, %dLL, %dLL, %d,\n     {%s},\n     %s, %d, {%s},\n     %d, {%s},\n     %d, {%s}},"
                    % (c_str(case["name"]), c_str(yaml_of(case)), case["from"], case["to"], work_ms, covered,
                       len(gaps), ", ".join("{%dLL, %dLL, %d, %d}" % (g[0], g[1], g[2], case["min"]) for g in gaps),
                       c_str(case.get("night_agent", "")), len(spans),
                       ", ".join("{%dLL, %dLL}" % s for s in spans),
                       len(abs_), ", ".join('{"%s", %dLL, %dLL}' % (a["agent"], a["from"], a["to"]) for a in abs_),
                       len(ovr), ", ".join('{"%s", %d, %dLL, %dLL}' % (o["agent"], o["remove"], o["from"], o["to"]) for o in ovr)))
    with open(OUT, "w") as f:
        f.write("/*  rota_cases.h: GENERATED by gen_rota_cases.py from Python's zoneinfo; do not edit. */\n")
        f.write("#define ROTA_NCASES %d\n" % len(rows))
        f.write("static const rota_case_t s_cases[ROTA_NCASES] = {\n")
        f.write("\n".join(rows))
        f.write("\n};\n")


if __name__ == "__main__":
    main()
