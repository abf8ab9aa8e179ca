"""Times in the requester's time zone (issue 12, "The requester's side";
store/include/opd_req_tz.h, services/web/portal_tz.c): a signed-in
requester chooses a zone on /settings (stored per address in
opd:req:EMAIL:tz); the portal's pages and every mail to that requester
print times in it, "Tuesday 24 November 2026 10:00 (America/Chicago)";
without a choice, the zone of the ticket's SLO policy calendar, else UTC.
Unknown zones are refused; wall times are right on both sides of a DST
change; the anonymiser deletes the choice with the address's last ticket.
Real intake, router, slo, notifier and web; the harness's SMTP sink."""
import datetime
import email
import email.policy
import re
import time
import unittest
from zoneinfo import ZoneInfo

import harness

RITA, SAM = "change-me-requester", "change-me-sam"
NOV24_16Z = 1795536000000  # 2026-11-24T16:00:00Z


def config():
    cfg = harness.copy_config()
    # The standard policy's calendar: London, round the clock (due = start + target).
    cfg["calendars"]["london-247"] = {"timezone": "Europe/London", "hours": "24x7"}
    for p in cfg["slo_policies"]:
        if p["name"] == "standard":
            p["calendar"] = "london-247"
    cfg["tokens"].append({"token": SAM, "role": "requester", "identity": "sam@example.com"})
    cfg["retention"] = {"closed_days": 0, "per_category": {}}
    return cfg


def when(ms, zone):
    """The expected text, computed with Python's own tz database."""
    t = datetime.datetime.fromtimestamp(ms / 1000, ZoneInfo(zone))
    return "%s %d %s %d %02d:%02d (%s)" % (t.strftime("%A"), t.day, t.strftime("%B"), t.year,
                                           t.hour, t.minute, zone)


class TzTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=config())
        cls.st.__enter__()
        cls.port = cls.st.http_port
        cls.rita = cls.login(RITA)
        cls.sam = cls.login(SAM)

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["web"], read=["notifier"])

    # --- helpers -----------------------------------------------------------
    @classmethod
    def page(cls, method, path, form=None, cookie=None):
        return harness.web_page(cls.port, method, path, form, cookie)

    @classmethod
    def anon_csrf(cls):
        _, html, hdrs = cls.page("GET", "/login")
        return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1), hdrs["set-cookie"].split(";")[0]

    @classmethod
    def login(cls, token):
        csrf, cookie = cls.anon_csrf()
        code, html, hdrs = cls.page("POST", "/login", {"token": token, "csrf": csrf}, cookie=cookie)
        assert code == 303, html
        return hdrs["set-cookie"].split(";")[0]

    def choose(self, cookie, zone):
        _, html, _ = self.page("GET", "/settings", cookie=cookie)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        return self.page("POST", "/settings", {"timezone": zone, "csrf": csrf}, cookie=cookie)

    def submit(self, addr, **over):
        msg = self.st.message(requester={"name": "Req", "email": addr}, **over)
        tid = self.st.submit(msg)["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_due"), timeout=15, what="armed clocks")
        return tid

    def mail_text(self, pred, what):
        msgs = self.st.wait_for(lambda: [m for m in self.st.smtp.messages if pred(m)], timeout=15, what=what)
        mail = email.message_from_string(msgs[-1]["data"], policy=email.policy.default)
        return mail.get_body(("plain",)).get_content()

    def ack(self, tid):
        return self.mail_text(lambda m: "[%s]" % tid in m["data"] and "Subject: [" in m["data"],
                              "the acknowledgement of " + tid)

    def ticket_page(self, cookie, tid):
        code, html, _ = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertEqual(code, 200, html)
        return html

    # --- tests -------------------------------------------------------------
    def test_a_chosen_zone_on_the_portal_and_in_every_mail(self):
        code, html, _ = self.page("GET", "/settings", cookie=self.rita)
        self.assertEqual(code, 200, html)
        self.assertIn('<option value="America/Chicago">America/Chicago</option>', html)
        self.assertIn('<option value="Europe/London">', html)
        code, html, _ = self.choose(self.rita, "America/Chicago")
        self.assertEqual(code, 200, html)
        self.assertIn("Saved", html)
        self.assertIn('<option value="America/Chicago" selected>', html)
        self.assertEqual(self.st.r.get("opd:req:rita@example.com:tz"), "America/Chicago")
        self.assertGreater(self.st.r.ttl("opd:req:rita@example.com:tz"), 300 * 86400)

        start = (int(time.time()) // 60 - 1) * 60 * 1000
        tid = self.submit("Rita@Example.com", subject="Chicago printer", received_at=start)
        fr, res = start + 4 * 3600 * 1000, start + 16 * 3600 * 1000
        # The acknowledgement: the due times in Rita's zone, not the calendar's.
        text = self.ack(tid)
        self.assertIn("We aim to respond by %s and to resolve it by %s." % (when(fr, "America/Chicago"),
                                                                           when(res, "America/Chicago")), text)
        self.assertNotIn("(Europe/London)", text)
        # The portal: a known instant, exactly; the due times and a comment.
        self.st.r.hset("opd:t:{" + tid + "}", "created_at", NOV24_16Z)
        html = self.ticket_page(self.rita, tid)
        self.assertIn("Tuesday 24 November 2026 10:00 (America/Chicago)", html)
        self.assertIn(when(fr, "America/Chicago"), html)
        self.assertIn(when(res, "America/Chicago"), html)
        self.st.cli("comment", tid, "--body", "On my way to the printer.", "--as", "alice")
        at = self.st.wait_for(lambda: [c for c in self.st.cli_json("show", tid)["comments"]
                                       if "On my way" in c["body"]], what="the comment")[0]["at"]
        at_ms = int(datetime.datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)
        self.assertIn(when(at_ms, "America/Chicago"), self.ticket_page(self.rita, tid))
        _, html, _ = self.page("GET", "/tickets", cookie=self.rita)
        self.assertIn(when(fr, "America/Chicago"), html)
        self.assertNotIn(" UTC<", html)

        # The sign-in link's expiry, in the same zone.
        csrf, cookie = self.anon_csrf()
        asked = time.time()
        self.page("POST", "/login", {"email": "rita@example.com", "csrf": csrf}, cookie=cookie)
        text = self.mail_text(lambda m: "rita@example.com" in m["to"] and "Your sign-in link" in m["data"],
                              "the sign-in link")
        m = re.search(r"until (\w+ \d+ \w+ \d{4} \d\d:\d\d \(America/Chicago\))", text)
        self.assertIsNotNone(m, text)
        self.assertIn(m.group(1), [when((asked + 15 * 60 + d) * 1000, "America/Chicago") for d in (-60, 0, 60)])

        # The missing-details link's expiry, in the same zone.
        msg = self.st.message(subject="Laptop please", request_type="new-laptop",
                              requester={"name": "Rita", "email": "rita@example.com"},
                              fields={"cost_centre": "654321"})
        lap = self.st.submit(msg)["ticket_id"]
        text = self.ack(lap)
        self.assertRegex(text, r"the link works until \w+ \d+ \w+ \d{4} \d\d:\d\d \(America/Chicago\)")

    def test_without_a_choice_the_calendar_zone_else_utc(self):
        self.st.r.delete("opd:req:sam@example.com:tz")
        start = (int(time.time()) // 60 - 1) * 60 * 1000
        tid = self.submit("sam@example.com", subject="London desk", received_at=start)
        fr = start + 4 * 3600 * 1000
        self.assertIn("We aim to respond by %s" % when(fr, "Europe/London"), self.ack(tid))
        self.st.r.hset("opd:t:{" + tid + "}", "created_at", NOV24_16Z)
        html = self.ticket_page(self.sam, tid)
        self.assertIn("Tuesday 24 November 2026 16:00 (Europe/London)", html)
        self.assertIn(when(fr, "Europe/London"), html)
        # A P1 runs on the "always" calendar, whose zone is UTC.
        p1 = self.submit("sam@example.com", subject="Everything is down", priority="P1")
        self.st.r.hset("opd:t:{" + p1 + "}", "created_at", NOV24_16Z)
        self.assertIn("Tuesday 24 November 2026 16:00 (UTC)", self.ticket_page(self.sam, p1))
        self.assertIn("(UTC)", self.ack(p1))
        # "Use the desk's time zone" forgets a choice.
        self.choose(self.sam, "Asia/Tokyo")
        self.assertIn("Wednesday 25 November 2026 01:00 (Asia/Tokyo)", self.ticket_page(self.sam, tid))
        code, html, _ = self.choose(self.sam, "")
        self.assertEqual(code, 200, html)
        self.assertFalse(self.st.r.exists("opd:req:sam@example.com:tz"))
        self.assertIn("Tuesday 24 November 2026 16:00 (Europe/London)", self.ticket_page(self.sam, tid))

    def test_unknown_zones_are_refused(self):
        self.choose(self.sam, "Europe/Paris")
        for bad in ("Mars/Olympus_Mons", "../../../etc/passwd", "/etc/localtime", "+05:00",
                    "EST5EDT,M3.2.0,M11.1.0", "Europe/London\r\nX", "x" * 200):
            code, html, _ = self.choose(self.sam, bad)
            self.assertEqual(code, 422, bad)
            self.assertIn("not a time zone we know", html)
            self.assertEqual(self.st.r.get("opd:req:sam@example.com:tz"), "Europe/Paris", bad)
        # Agents and strangers have no /settings of the portal.
        code, _, hdrs = self.page("GET", "/settings")
        self.assertEqual((code, hdrs.get("location")), (303, "/login"))
        self.choose(self.sam, "")

    def test_wall_time_across_dst_changes(self):
        tid = self.submit("rita@example.com", subject="Clocks change")
        self.choose(self.rita, "America/Chicago")
        cases = [
            ("2026-03-08T07:30:00Z", "Sunday 8 March 2026 01:30 (America/Chicago)"),   # CST
            ("2026-03-08T08:30:00Z", "Sunday 8 March 2026 03:30 (America/Chicago)"),   # CDT: 02:xx skipped
            ("2026-11-01T06:30:00Z", "Sunday 1 November 2026 01:30 (America/Chicago)"),  # CDT
            ("2026-11-01T07:30:00Z", "Sunday 1 November 2026 01:30 (America/Chicago)"),  # CST: 01:xx twice
            ("2026-07-01T12:00:00Z", "Wednesday 1 July 2026 07:00 (America/Chicago)"),
        ]
        for iso, text in cases:
            ms = int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
            self.st.r.hset("opd:t:{" + tid + "}", "created_at", ms)
            self.assertIn(text, self.ticket_page(self.rita, tid), iso)
        self.choose(self.rita, "Europe/London")
        for iso, text in [("2026-03-29T00:30:00Z", "Sunday 29 March 2026 00:30 (Europe/London)"),
                          ("2026-03-29T01:30:00Z", "Sunday 29 March 2026 02:30 (Europe/London)")]:
            ms = int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
            self.st.r.hset("opd:t:{" + tid + "}", "created_at", ms)
            self.assertIn(text, self.ticket_page(self.rita, tid), iso)
        self.choose(self.rita, "America/Chicago")

    def test_the_anonymiser_deletes_the_choice_with_the_last_ticket(self):
        addr = "ann@example.com"
        first = self.submit(addr, subject="First")
        second = self.submit(addr, subject="Second")
        self.st.r.set("opd:req:%s:tz" % addr, "Europe/Berlin")
        for tid in (first, second):
            self.st.cli("update", tid, "--status", "resolved", "--note", "fixed")
            self.st.cli("update", tid, "--status", "closed")
            done = self.st.cli_json("anonymise")
            self.assertIn({"ticket_id": tid, "rule": "closed_days"}, done)
            # Kept while the address has a ticket, gone with the last one.
            self.assertEqual(self.st.r.exists("opd:req:%s:tz" % addr), 1 if tid == first else 0)


if __name__ == "__main__":
    unittest.main()
