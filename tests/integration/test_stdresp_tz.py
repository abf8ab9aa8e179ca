"""Standard responses print due times in the requester's zone (issue 12,
"times in the requester's time zone everywhere a requester reads them";
store/include/opd_stdresp.h, opd_req_tz.h): a requester who chose a zone
(opd:req:EMAIL:tz) gets {{due.first_response}} and {{due.resolution}} in
that zone in the automatic acknowledgement, an agent's response through the
API (and its preview among the suggestions) and one sent from the command
line; a requester without a choice still
reads the policy calendar's zone (test_stdresp). Real intake, router, slo,
notifier and web; the harness's SMTP sink."""
import datetime
import unittest
import zoneinfo

import harness
import test_stdresp
from test_stdresp import AGENT, body_of, parsed

CHOSEN = "America/Chicago"   # neither the calendar's (Tokyo) nor UTC


def when(ms, zone):
    t = datetime.datetime.fromtimestamp(ms // 1000, zoneinfo.ZoneInfo(zone))
    return "%s %d %s %d %02d:%02d (%s)" % (t.strftime("%A"), t.day, t.strftime("%B"), t.year,
                                           t.hour, t.minute, zone)


class StdRespZoneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=test_stdresp.config())
        cls.st.__enter__()
        from test_web import Client
        cls.http = Client(cls.st.http_port)

    @classmethod
    def tearDownClass(cls):
        log = cls.st.log("web") + cls.st.log("notifier")
        cls.st.__exit__(None, None, None)
        assert "Sanitizer" not in log and "runtime error" not in log, log[-3000:]

    def submit(self, addr, subject):
        self.st.r.set("opd:req:%s:tz" % addr, CHOSEN)
        msg = self.st.message(subject=subject, requester={"name": "Rita Requester", "email": addr})
        tid = self.st.submit(msg)["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_due"), what="the clocks of " + tid)
        return tid

    def mail(self, tid, prefix):
        def found():
            return [parsed(m) for m in self.st.smtp.messages
                    if "[%s]" % tid in m["data"] and str(parsed(m)["Subject"]).startswith(prefix)]
        return self.st.wait_for(found, timeout=20, what="a mail %r for %s" % (prefix, tid))[0]

    def expected(self, tid, zone):
        t = self.st.ticket(tid)
        return "we answer by %s and resolve by %s." % (when(int(t["fr_due"]), zone),
                                                       when(int(t["res_due"]), zone))

    def test_the_automatic_acknowledgement_uses_the_chosen_zone(self):
        tid = self.submit("chicago1@example.com", "VPN is down")
        body = body_of(self.mail(tid, "["))
        self.assertIn(self.expected(tid, CHOSEN), body)
        self.assertNotIn("(%s)" % test_stdresp.TZ, body)

    def test_an_agents_response_through_the_api_uses_the_chosen_zone(self):
        tid = self.submit("chicago2@example.com", "Printer on floor 2")
        self.mail(tid, "[")
        code, c, _ = self.http.request("POST", "/api/v1/tickets/%s/comments" % tid,
                                       {"standard_response": "vpn-basics"}, AGENT)
        self.assertEqual(code, 201, c)
        self.assertIn(self.expected(tid, CHOSEN), c["body"])
        self.assertIn(self.expected(tid, CHOSEN), body_of(self.mail(tid, "Re: ")))

    def test_the_agents_preview_shows_what_the_requester_will_read(self):
        tid = self.submit("chicago4@example.com", "VPN keeps dropping")
        self.mail(tid, "[")
        code, got, _ = self.http.request("GET", "/api/v1/tickets/%s/suggestions" % tid, None, AGENT)
        self.assertEqual(code, 200, got)
        preview = [s["preview"] for s in got["items"] if s["id"] == "vpn-basics"]
        self.assertEqual(len(preview), 1, got)
        self.assertIn(self.expected(tid, CHOSEN), preview[0])

    def test_the_command_line_uses_the_chosen_zone(self):
        tid = self.submit("chicago3@example.com", "Printer on floor 3")
        self.mail(tid, "[")
        c = self.st.cli_json("comment", tid, "--standard-response", "vpn-basics", "--as", "alice")
        self.assertIn(self.expected(tid, CHOSEN), c["body"])

    def test_an_invalid_stored_zone_falls_back_to_the_calendar(self):
        self.st.r.set("opd:req:odd@example.com:tz", "Mars/Olympus")
        msg = self.st.message(subject="Printer again", requester={"name": "Rita Requester",
                                                                   "email": "odd@example.com"})
        tid = self.st.submit(msg)["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_due"), what="the clocks")
        code, c, _ = self.http.request("POST", "/api/v1/tickets/%s/comments" % tid,
                                       {"standard_response": "vpn-basics"}, AGENT)
        self.assertEqual(code, 201, c)
        self.assertIn(self.expected(tid, test_stdresp.TZ), c["body"])


if __name__ == "__main__":
    unittest.main()
