"""The rota as an iCalendar feed (issue 10, docs/shifts.md) against the real
opdesk-web, read back with Python's icalendar (Debian python3-icalendar),
a parser that is not libical: one VEVENT per shift, exactly the spans GET
/api/v1/rota gives (overrides and absences applied), stable UIDs,
REFRESH-INTERVAL and X-PUBLISHED-TTL, and a per-feed token that can be
revoked."""
import unittest

import icalendar

import harness
from test_web import Client

LEAD, AGENT = "change-me-lead", "change-me-agent"   # the agent token is alice's
HOUR, DAY = 3600000, 86400000


def config():
    cfg = harness.copy_config()
    cfg["teams"].append({"id": "ops", "name": "Operations", "calendar": "always", "min_on_duty": 1})
    cfg["agents"].append({"id": "carol", "name": "Carol", "email": "carol@example.org", "teams": ["ops"]})
    cfg["agents"].append({"id": "dave", "name": "Dave", "email": "dave@example.org", "teams": ["ops"]})
    cfg["shifts"].append({"agent": "carol", "team": "ops", "days": ["mon", "tue", "wed", "thu", "fri"],
                          "from": "08:00", "to": "16:00", "timezone": "Europe/London"})
    cfg["shifts"].append({"agent": "dave", "team": "ops", "days": ["sat", "sun"],
                          "from": "22:00", "to": "06:00", "timezone": "America/Chicago"})
    return cfg


def ms(dt):
    return int(dt.timestamp() * 1000)


class RotaIcsTest(unittest.TestCase):
    def fetch(self, http, url, status=200):
        s, body, headers = http.request("GET", url)
        self.assertEqual(s, status, body)
        return body, headers

    def test_feed_round_trip_tokens_and_revocation(self):
        with harness.Stack(["web"], config=config(), smtp=False) as st:
            http = Client(st.http_port)
            now = harness.now_ms()
            # carol on leave for two days next week, dave on an extra shift.
            day = (now // DAY + 8) * DAY
            s, a, _ = http.request("POST", "/api/v1/absences", token=LEAD, body={
                "agent": "carol", "kind": "annual_leave", "from": harness.iso(day), "to": harness.iso(day + 2 * DAY)})
            self.assertEqual(s, 201, a)
            s, o, _ = http.request("POST", "/api/v1/overrides", token=LEAD, body={
                "agent": "dave", "team": "ops", "kind": "extra",
                "from": harness.iso(day + 9 * HOUR), "to": harness.iso(day + 13 * HOUR)})
            self.assertEqual(s, 201, o)
            s, feed, _ = http.request("POST", "/api/v1/rota/feeds", token=LEAD, body={"team": "ops"})
            self.assertEqual(s, 201, feed)
            self.assertEqual(feed["team"], "ops")
            self.assertEqual(len(feed["token"]), 64)
            self.assertTrue(feed["url"].startswith("/api/v1/rota.ics?team=ops&token="))
            text, headers = self.fetch(http, feed["url"])
            ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
            self.assertTrue(ctype.startswith("text/calendar"), headers)
            raw = text if isinstance(text, (bytes, str)) else str(text)
            cal = icalendar.Calendar.from_ical(raw)
            self.assertEqual(str(cal["VERSION"]), "2.0")
            self.assertIn("REFRESH-INTERVAL;VALUE=DURATION:PT1H", raw.decode() if isinstance(raw, bytes) else raw)
            self.assertEqual(str(cal["X-PUBLISHED-TTL"]), "PT1H")
            events = [e for e in cal.walk("VEVENT")]
            got = sorted((str(e["SUMMARY"]).split()[0], ms(e.decoded("DTSTART")), ms(e.decoded("DTEND")))
                         for e in events)
            # Exactly what GET /api/v1/rota says for the feed's window.
            f = now // DAY * DAY - 7 * DAY
            t = f + 63 * DAY
            s, rota, _ = http.request("GET", "/api/v1/rota?team=ops&from=%s&to=%s" % (harness.iso(f), harness.iso(t)),
                                      token=LEAD)
            self.assertEqual(s, 200, rota)
            want = sorted((ag["agent"], harness.ms_of(sp["from"]), harness.ms_of(sp["to"]))
                          for ag in rota["teams"][0]["agents"] for sp in ag["on_duty"])
            self.assertEqual(got, want)
            self.assertGreater(len(got), 40)
            # Leave applied (no carol shift on those days), the extra there.
            self.assertFalse([g for g in got if g[0] == "carol" and day <= g[1] < day + 2 * DAY])
            self.assertIn(("dave", day + 9 * HOUR, day + 13 * HOUR), got)
            # Stable UIDs: the same shifts, the same UIDs, on the next fetch.
            uids = sorted(str(e["UID"]) for e in events)
            self.assertEqual(len(set(uids)), len(uids))
            again = icalendar.Calendar.from_ical(self.fetch(http, feed["url"])[0])
            self.assertEqual(sorted(str(e["UID"]) for e in again.walk("VEVENT")), uids)
            # A token opens its own feed only; a bad one, none.
            token = feed["token"]
            for url, status, key in (("/api/v1/rota.ics?team=network&token=" + token, 403, "team"),
                                     ("/api/v1/rota.ics?team=ops&token=" + "0" * 64, 403, "token"),
                                     ("/api/v1/rota.ics?team=ops", 401, "token"),
                                     ("/api/v1/rota.ics?token=" + token, 422, "team"),
                                     ("/api/v1/rota.ics?team=ops&token=%s&from=x" % token, 422, "from")):
                e, _ = self.fetch(http, url, status)
                self.assertEqual(e["error"]["key"], key, (url, e))
            # An agent makes a feed of its own shifts, not of others' or a team's.
            for body, key in (({"agent": "carol"}, "agent"), ({"team": "ops"}, "team")):
                s, e, _ = http.request("POST", "/api/v1/rota/feeds", token=AGENT, body=body)
                self.assertEqual((s, e["error"]["key"]), (403, key), e)
            for body, key in (({"team": "nope"}, "team"), ({"agent": "nope"}, "agent"), ({}, "team"),
                              ({"team": "ops", "agent": "carol"}, "team")):
                s, e, _ = http.request("POST", "/api/v1/rota/feeds", token=LEAD, body=body)
                self.assertEqual((s, e["error"]["key"]), (422, key), e)
            # carol's own feed shows her leave as a transparent event.
            s, mine, _ = http.request("POST", "/api/v1/rota/feeds", token=LEAD, body={"agent": "carol"})
            self.assertEqual(s, 201, mine)
            cal = icalendar.Calendar.from_ical(self.fetch(http, mine["url"])[0])
            away = [e for e in cal.walk("VEVENT") if str(e["UID"]) == "absence-%s@opdesk" % a["id"]]
            self.assertEqual(len(away), 1)
            self.assertEqual((ms(away[0].decoded("DTSTART")), ms(away[0].decoded("DTEND")), str(away[0]["TRANSP"])),
                             (day, day + 2 * DAY, "TRANSPARENT"))
            self.assertEqual(sorted((ms(e.decoded("DTSTART")), ms(e.decoded("DTEND"))) for e in cal.walk("VEVENT")
                                    if str(e["UID"]).startswith("shift-")),
                             sorted((g[1], g[2]) for g in got if g[0] == "carol"))
            # Revoked: the token stops working at once; revoking again is 404.
            s, _, _ = http.request("DELETE", "/api/v1/rota/feeds/" + feed["id"], token=LEAD)
            self.assertEqual(s, 204)
            e, _ = self.fetch(http, feed["url"], 403)
            self.assertEqual(e["error"]["key"], "token")
            s, e, _ = http.request("DELETE", "/api/v1/rota/feeds/" + feed["id"], token=LEAD)
            self.assertEqual(s, 404, e)
            self.assertNotIn(token, st.log("web"))


if __name__ == "__main__":
    unittest.main()
