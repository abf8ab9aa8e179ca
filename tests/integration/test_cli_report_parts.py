"""`opdesk slo report` prints the parts GET /api/v1/slo/report has besides
the SLO table (issue 12): "details", how long requesters took to give
missing details per request type, and "satisfaction", the ratings per team
and assignee. --json gives exactly the API's two parts; the table shows
them for people (the request type by its name). Real intake, router, slo,
notifier and web; ratings given through the mailed links."""
import unittest
import urllib.parse

import harness
import test_details
import test_rating

LEAD = "change-me-lead"


class CliReportPartsTest(unittest.TestCase):
    # The rating helpers of test_rating (a ticket, its resolution mail's links, a rating).
    api, page, ticket, resolve, rate = (test_rating.RatingTest.api, test_rating.RatingTest.page,
                                        test_rating.RatingTest.ticket, test_rating.RatingTest.resolve,
                                        test_rating.RatingTest.rate)

    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=test_details.config())
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        log = cls.st.log("web") + cls.st.log("notifier")
        cls.st.__exit__(None, None, None)
        assert "Sanitizer" not in log and "runtime error" not in log, log[-3000:]

    def laptop(self, who):
        msg = self.st.message(subject="Laptop for the new starter", request_type="new-laptop",
                              requester={"name": "Dana Doe", "email": who}, fields={"cost_centre": "654321"})
        tid = self.st.submit(msg)["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("status") == "pending", what="pending")
        return tid

    def test_details_and_satisfaction_as_the_api_gives_them(self):
        t0 = harness.now_ms() - 1
        given, _ = self.laptop("gina@example.com"), self.laptop("hal@example.com")
        code, t = self.api("PATCH", "/api/v1/tickets/" + given, {"fields": {"model": "standard"}})
        self.assertEqual(code, 200, t)
        a = self.ticket("xa@example.com", "VPN drops", assignee="alice")
        b = self.ticket("xb@example.com", "Printer", assignee="bob")
        self.assertEqual(self.rate(self.resolve(a)[1])[0], 200)   # good
        self.assertEqual(self.rate(self.resolve(b)[2])[0], 200)   # bad
        frm = harness.iso(t0)

        code, api = self.api("GET", "/api/v1/slo/report?from=" + urllib.parse.quote(frm), token=LEAD)
        self.assertEqual(code, 200, api)
        got = self.st.cli_json("slo", "report", "--from", frm)
        self.assertEqual(got["details"], api["details"])
        self.assertEqual(got["satisfaction"], api["satisfaction"])
        self.assertEqual([(d["request_type"], d["asked"], d["given"], d["waiting"]) for d in got["details"]],
                         [("new-laptop", 2, 1, 1)])
        self.assertEqual((got["satisfaction"]["good"], got["satisfaction"]["bad"]), (1, 1))

        text = self.st.cli("slo", "report", "--from", frm).stdout
        self.assertRegex(text, r"\nNew laptop\s+2\s+1\s+1\s+\S+\s+\S+\n")
        self.assertRegex(text, r"\nall\s+1\s+1\s+50\.0%\n")
        self.assertRegex(text, r"\nassignee\s+alice\s+1\s+0\s+100\.0%\n")
        self.assertRegex(text, r"\nassignee\s+bob\s+0\s+1\s+0\.0%\n")
        self.assertNotIn("new-laptop", text)   # the name people know, not the id

    def test_a_period_without_any(self):
        text = self.st.cli("slo", "report", "--from", "2026-01-01", "--to", "2026-01-02").stdout
        self.assertIn("(no request lacked details in this period)", text)
        self.assertIn("(no rating in this period)", text)
        got = self.st.cli_json("slo", "report", "--from", "2026-01-01", "--to", "2026-01-02")
        self.assertEqual((got["details"], got["satisfaction"]["share_good"]), ([], None))


if __name__ == "__main__":
    unittest.main()
