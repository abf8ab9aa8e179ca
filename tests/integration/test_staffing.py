"""The staffing advice (issue 10, docs/shifts.md) against the real
opdesk-intake, -router and -web and the command line: GET
/api/v1/staffing?team=&weeks= and `opdesk staffing` count the tickets
received per hour of the week and set them against the rota's on-duty
count. The models themselves (Erlang C against its table, the backlog
replay) are unit-tested in tests/unit/test_rota.c.

Team `ops` works around the clock (UTC) with carol alone on duty."""
import datetime
import math
import unittest

import harness
from test_web import Client

LEAD, AGENT = "change-me-lead", "change-me-agent"
HOUR, DAY = 3600000, 86400000
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def config():
    cfg = harness.copy_config()
    cfg["teams"].append({"id": "ops", "name": "Operations", "calendar": "always", "min_on_duty": 1})
    cfg["agents"].append({"id": "carol", "name": "Carol", "email": "carol@example.org", "teams": ["ops"]})
    cfg["shifts"].append({"agent": "carol", "team": "ops", "days": DAYS, "from": "00:00", "to": "24:00",
                          "timezone": "UTC"})
    cfg["routing_rules"].insert(0, {"name": "backup", "when": {"keywords": ["backup"], "in": ["subject"]},
                                    "then": {"team": "ops"}})
    return cfg


def erlang_sl(n, a, aht, t):
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    c = n * b / (n - a * (1 - b))
    return 1 - c * math.exp(-(n - a) * t / aht)


class StaffingTest(unittest.TestCase):
    def test_arrivals_per_hour_of_week_against_the_rota(self):
        with harness.Stack(["intake", "router", "web"], config=config(), smtp=False) as st:
            http = Client(st.http_port)
            now = harness.now_ms()
            base = (now // HOUR - 3) * HOUR + 10 * 60000  # 3 hours ago, 10 past the hour
            label = "%s %02d:00" % (DAYS[datetime.datetime.fromtimestamp(base / 1000, datetime.timezone.utc).weekday()],
                                    datetime.datetime.fromtimestamp(base / 1000, datetime.timezone.utc).hour)
            # In that hour of the week, this week and last: 3 mails and 5 calls
            # each week; and one mail five weeks ago, outside --weeks 2.
            ids = []
            for week in (0, 1):
                for i in range(8):
                    m = st.message(subject="Backup failed %d" % i, received_at=base - week * 7 * DAY + i * 1000,
                                   channel="phone" if i < 5 else "email")
                    r = st.submit(m)
                    self.assertEqual(r["type"], "intake.accepted", r)
                    ids.append(r["ticket_id"])
            st.submit(st.message(subject="Backup failed old", received_at=base - 35 * DAY, channel="email"))
            st.wait_for(lambda: all(st.ticket(t).get("team") == "ops" for t in ids), what="routing")
            s, body, _ = http.request("GET", "/api/v1/staffing?team=ops&weeks=2", token=LEAD)
            self.assertEqual(s, 200, body)
            self.assertEqual((body["weeks"], len(body["teams"])), (2, 1))
            t = body["teams"][0]
            self.assertEqual((t["team"], t["timezone"], t["tickets"]), ("ops", "UTC", 16))
            # Nothing measured (no answered call, no console time): the
            # configured handling times, named as such.
            self.assertEqual(t["assumptions"], {"phone_handle_time_s": 180.0, "phone_handle_time_source": "configured",
                                                "phone_handle_time_samples": 0, "answer_within_s": 20.0,
                                                "answer_level": 0.8, "handle_time_s": 900.0,
                                                "handle_time_source": "configured", "handle_time_samples": 0,
                                                "target_hours": 4.0})
            self.assertEqual(len(t["hours"]), 168)
            h = [x for x in t["hours"] if x["at"] == label][0]
            # 5 calls a week at 180 s: 0.25 Erlangs; 3 mails a week.
            self.assertEqual((h["phone_arrivals"], h["queued_arrivals"], h["erlangs"]), (2.5 * 2, 3.0, 0.25))
            needed = next(n for n in range(1, 10) if erlang_sl(n, 0.25, 180, 20) >= 0.8)
            self.assertEqual(h["phone_needed"], needed)
            self.assertEqual((h["on_duty"], h["working"]), (1, True))
            self.assertEqual(sum(x["queued_arrivals"] + x["phone_arrivals"] for x in t["hours"]), 8)
            # 0.25 Erlangs need 2 agents for 80% within 20 s (one reaches 77%):
            # carol alone is taken by the phone in that hour and the mail waits
            # for the next, 2 x 15 min of it before the middle of the hour.
            self.assertEqual(needed, 2)
            self.assertAlmostEqual(h["phone_level"], erlang_sl(1, 0.25, 180, 20), places=3)
            self.assertEqual((h["wait_hours"], h["breach"]), (0.5 + 0.375, False))
            # The command line gives the same teams, and a table.
            out = st.cli_json("staffing", "--team", "ops", "--weeks", "2")
            self.assertEqual(out["teams"], body["teams"])
            text = st.cli("staffing", "--team", "ops", "--weeks", "2").stdout
            self.assertIn("ops: 16 tickets learnt from (times in UTC)", text)
            self.assertIn(label, text)
            # carol sick all next week: nobody on duty, the mail of that hour
            # would never be handled in time.
            s, a, _ = http.request("POST", "/api/v1/absences", token=LEAD,
                                   body={"agent": "carol", "from": harness.iso(now), "to": harness.iso(now + 9 * DAY),
                                         "kind": "sickness"})
            self.assertEqual(s, 201, a)
            s, body, _ = http.request("GET", "/api/v1/staffing?team=ops&weeks=2", token=LEAD)
            t = body["teams"][0]
            h = [x for x in t["hours"] if x["at"] == label][0]
            self.assertEqual((h["on_duty"], h["wait_hours"], h["breach"]), (0, None, True))
            self.assertEqual(t["breaches"], [label])
            self.assertIn("would breach: " + label, st.cli("staffing", "--team", "ops", "--weeks", "2").stdout)
            # Bad input: 422 naming the key; an agent: 403.
            for q, key in (("weeks=0", "weeks"), ("weeks=53", "weeks"), ("weeks=two", "weeks"),
                           ("team=nope", "team"), ("hours=3", "hours")):
                s, e, _ = http.request("GET", "/api/v1/staffing?" + q, token=LEAD)
                self.assertEqual((s, e["error"]["key"]), (422, key), e)
            s, e, _ = http.request("GET", "/api/v1/staffing", token=AGENT)
            self.assertEqual(s, 403, e)
            p = st.cli("staffing", "--weeks", "0", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("--weeks", p.stderr)


if __name__ == "__main__":
    unittest.main()
