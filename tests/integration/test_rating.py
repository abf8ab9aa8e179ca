"""The satisfaction rating (issue 12, "The requester's side"): the mail with
the resolution note carries a Good and a Bad link (only their SHA-256 in
Redis, expiring), each leading to /rate/TOKEN; GET shows the answer with an
optional comment box and records nothing (mail scanners open links); POST
records it on the ticket, in its history and as the event ticket.rated; a
later POST replaces it (decision 127). GET /api/v1/slo/report counts the
ratings per team and per assignee ("satisfaction"). Real intake, router,
slo, notifier and web; the harness's SMTP sink; chromium."""
import email
import email.policy
import hashlib
import http.client
import json
import os
import re
import unittest
import urllib.parse

import harness
import test_portal_browser as tpb

FORM = "application/x-www-form-urlencoded"
FOOTER = "Service Desk, phone +44 20 7946 0000, Mon-Fri 08:00-18:00."


class RatingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=harness.copy_config())
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["web"], read=["notifier"], absent=("/rate/",))

    # --- helpers -----------------------------------------------------------
    def page(self, method, path, form=None, cookie=None):
        return harness.web_page(self.port, method, path, form, cookie)

    def api(self, method, path, body=None, token="change-me-agent"):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            c.request(method, path, json.dumps(body) if body is not None else None,
                      {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            c.close()

    def ticket(self, who, subject="Printer jams", assignee=None):
        """A routed ticket of requester who, assigned to assignee."""
        msg = self.st.message(subject=subject, requester={"name": "Rater", "email": who})
        tid = self.st.submit(msg)["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at"), what="routing of " + tid)
        if assignee:
            code, t = self.api("PATCH", "/api/v1/tickets/" + tid, {"assignee": assignee})
            self.assertEqual(code, 200, t)
        return tid

    def resolve(self, tid):
        """Resolves tid with a note; the resolution mail as (text, good token, bad token)."""
        code, t = self.api("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "Cleared the jam."})
        self.assertEqual(code, 200, t)
        msgs = self.st.wait_for(lambda: [m for m in self.st.smtp.messages if "Resolved: [%s]" % tid in m["data"]],
                                timeout=15, what="the resolution mail of " + tid)
        mail = email.message_from_string(msgs[0]["data"], policy=email.policy.default)
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        good = re.search(r"Good: http://[^\s]+/rate/([0-9a-f]{64})\s", text)
        bad = re.search(r"Bad: http://[^\s]+/rate/([0-9a-f]{64})\s", text)
        self.assertTrue(good and bad, text)
        return text, good.group(1), bad.group(1)

    def rate(self, token, comment=""):
        code, html, hdrs = self.page("GET", "/rate/" + token)
        self.assertEqual(code, 200, html)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        cookie = hdrs.get("set-cookie", "").split(";")[0]
        return self.page("POST", "/rate/" + token, {"csrf": csrf, "comment": comment}, cookie)

    def history(self, tid):
        return [json.loads(h) for h in self.st.r.lrange("opd:t:{%s}:h" % tid, 0, -1)]

    # --- tests -------------------------------------------------------------
    def test_a_the_resolution_mail_carries_both_links_stored_only_as_hashes_footer_last(self):
        tid = self.ticket("una@example.com")
        text, good, bad = self.resolve(tid)
        self.assertIn("Cleared the jam.", text)
        self.assertLess(text.index("Cleared the jam."), text.index("/rate/" + good))
        self.assertLess(text.index("/rate/" + bad), text.index("\n-- \n"))
        self.assertTrue(text.rstrip("\n").endswith(FOOTER + " Reply to this message to update your request."), text)
        self.assertNotEqual(good, bad)
        for token, choice in ((good, "good"), (bad, "bad")):
            key = "opd:rating:" + hashlib.sha256(token.encode()).hexdigest()
            self.assertEqual(self.st.r.get(key), "%s|%s" % (tid, choice))
            self.assertGreater(self.st.r.pttl(key), 13 * 86400 * 1000)   # 14 days by default
            self.assertEqual([k for k in self.st.r.keys("*") if token in k], [])
        # An acknowledgement or an ordinary reply carries no rating.
        for m in self.st.smtp.messages:
            if "[%s]" % tid in m["data"] and "Resolved:" not in m["data"]:
                self.assertNotIn("/rate/", m["data"])

    def test_b_get_shows_the_form_and_records_nothing_post_records_the_rating(self):
        tid = self.ticket("vic@example.com")
        _, good, bad = self.resolve(tid)
        version = self.st.ticket(tid)["version"]
        for _ in range(2):
            code, html, _ = self.page("GET", "/rate/" + good)
            self.assertEqual(code, 200, html)
            self.assertIn('<strong id="choice">Good</strong>', html)
            self.assertIn('<textarea id="comment" name="comment"', html)
        t = self.st.ticket(tid)
        self.assertNotIn("rating", t)
        self.assertEqual(t["version"], version)
        self.assertFalse([e for e in self.st.events_history() if e[0] == "ticket.rated"
                          and e[1]["ticket_id"] == tid])
        before = harness.now_ms()
        code, html, _ = self.rate(good, "Quick and <friendly>")
        self.assertEqual(code, 200, html)
        self.assertIn("is saved", html)
        t = self.st.ticket(tid)
        self.assertEqual((t["rating"], t["rating_comment"]), ("good", "Quick and <friendly>"))
        self.assertGreaterEqual(int(t["rated_at"]), before)
        self.assertEqual(self.st.r.zscore("opd:ratings", tid), int(t["rated_at"]))
        code, j = self.api("GET", "/api/v1/tickets/" + tid)
        self.assertEqual((j["rating"], j["rating_comment"]), ("good", "Quick and <friendly>"))
        self.assertEqual(j["rated_at"], harness.iso(int(t["rated_at"])))
        rated = [h for h in self.history(tid) if h["action"] == "rated"]
        self.assertEqual(rated, [{"at": int(t["rated_at"]), "actor": "requester", "action": "rated",
                                  "details": {"rating": "good", "previous": None, "comment": True}}])
        ev = [e[1] for e in self.st.events_history() if e[0] == "ticket.rated" and e[1]["ticket_id"] == tid]
        self.assertEqual(len(ev), 1)
        self.assertEqual({k: ev[0][k] for k in ("v", "type", "rating", "previous", "comment", "at")},
                         {"v": 1, "type": "ticket.rated", "rating": "good", "previous": None, "comment": True,
                          "at": int(t["rated_at"])})
        # The form shows the earlier answer, escaped; the Bad link replaces it.
        code, html, _ = self.page("GET", "/rate/" + bad)
        self.assertIn('id="earlier"', html)
        self.assertIn("Quick and &lt;friendly&gt;", html)
        code, html, _ = self.rate(bad)
        self.assertEqual(code, 200, html)
        t = self.st.ticket(tid)
        self.assertEqual(t["rating"], "bad")
        self.assertNotIn("rating_comment", t)
        ev = [e[1] for e in self.st.events_history() if e[0] == "ticket.rated" and e[1]["ticket_id"] == tid]
        self.assertEqual([(e["rating"], e["previous"], e["comment"]) for e in ev],
                         [("good", None, True), ("bad", "good", False)])

    def test_c_a_bad_or_expired_link_answers_410_and_a_post_without_csrf_is_refused(self):
        self.assertEqual(self.page("GET", "/rate/" + "0" * 64)[0], 410)
        self.assertEqual(self.page("GET", "/rate/nothex")[0], 410)
        self.assertEqual(self.page("POST", "/rate/" + "0" * 64, {"comment": "x"})[0], 410)
        tid = self.ticket("wes@example.com")
        _, good, _ = self.resolve(tid)
        code, _, _ = self.page("POST", "/rate/" + good, {"comment": "no csrf"})
        self.assertEqual(code, 403)
        self.assertNotIn("rating", self.st.ticket(tid))
        self.st.r.delete("opd:rating:" + hashlib.sha256(good.encode()).hexdigest())   # as when it expires
        self.assertEqual(self.page("GET", "/rate/" + good)[0], 410)

    def test_d_the_report_counts_good_and_bad_per_team_and_assignee(self):
        t0 = harness.now_ms()
        a = self.ticket("xa@example.com", "VPN drops", assignee="alice")   # network
        b = self.ticket("xb@example.com", "VPN slow", assignee="alice")    # network
        c = self.ticket("xc@example.com", "Printer", assignee="bob")       # service-desk
        d = self.ticket("xd@example.com", "Monitor")                       # service-desk, nobody
        self.assertEqual(self.st.ticket(a)["team"], "network")
        links = {tid: self.resolve(tid)[1:] for tid in (a, b, c, d)}
        self.assertEqual(self.rate(links[a][0])[0], 200)
        self.assertEqual(self.rate(links[b][1], "Took days")[0], 200)
        self.assertEqual(self.rate(links[c][0])[0], 200)
        self.assertEqual(self.rate(links[d][1])[0], 200)
        self.assertEqual(self.rate(links[d][0])[0], 200)     # changed: counts once, as good
        code, report = self.api("GET", "/api/v1/slo/report?from=%s&group_by=team"
                                % urllib.parse.quote(harness.iso(t0)), token="change-me-lead")
        self.assertEqual(code, 200, report)
        self.assertEqual(report["satisfaction"], {
            "good": 3, "bad": 1, "share_good": 0.75,
            "teams": [{"team": "network", "good": 1, "bad": 1, "share_good": 0.5},
                      {"team": "service-desk", "good": 2, "bad": 0, "share_good": 1.0}],
            "assignees": [{"assignee": "alice", "good": 1, "bad": 1, "share_good": 0.5},
                          {"assignee": "bob", "good": 1, "bad": 0, "share_good": 1.0},
                          {"assignee": None, "good": 1, "bad": 0, "share_good": 1.0}]})
        # A period before any rating: none, and no share.
        code, report = self.api("GET", "/api/v1/slo/report?from=2026-01-01&to=2026-01-02", token="change-me-lead")
        self.assertEqual(code, 200, report)
        self.assertEqual(report["satisfaction"], {"good": 0, "bad": 0, "share_good": None,
                                                  "teams": [], "assignees": []})

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_e_in_a_browser_the_rating_is_sent_with_a_comment(self):
        tid = self.ticket("yan@example.com")
        _, good, _ = self.resolve(tid)
        b = tpb.Browser("http://127.0.0.1:%d/rate/%s" % (self.port, good))
        try:
            b.wait("document.readyState === 'complete' && !!document.querySelector('#comment')")
            self.assertEqual(b.js("document.querySelector('#choice').innerText"), "Good")
            b.type_into("#comment", "Thanks a lot")
            b.click("#send-rating")
            b.wait("!!document.querySelector('#result')")
            self.assertIn("is saved", b.js("document.querySelector('#result').innerText"))
        finally:
            b.close()
        t = self.st.ticket(tid)
        self.assertEqual((t["rating"], t["rating_comment"]), ("good", "Thanks a lot"))

    def test_f_the_anonymiser_removes_the_comment_and_keeps_the_rating(self):
        tid = self.ticket("zoe@example.com")
        _, good, _ = self.resolve(tid)
        self.assertEqual(self.rate(good, "Zoe says thanks, call me on +441632960001")[0], 200)
        code, t = self.api("PATCH", "/api/v1/tickets/" + tid, {"status": "closed"})
        self.assertEqual(code, 200, t)
        self.assertEqual(harness.run_script(self.st, "anonymise", tid, "closed_days", "", "7")[0], 1)
        t = self.st.ticket(tid)
        self.assertEqual((t["anonymised"], t["rating"]), ("1", "good"))
        self.assertNotIn("rating_comment", t)
        self.assertNotIn("Zoe says", json.dumps(self.history(tid)))
        self.assertEqual(self.page("GET", "/rate/" + good)[0], 410)


if __name__ == "__main__":
    unittest.main()
