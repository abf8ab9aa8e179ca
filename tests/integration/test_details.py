"""Missing details (issue 12, "Specialist requests"): a request that lacks a
required field is accepted and pending; its acknowledgement names each
missing field by its label and carries a single-use, expiring link to a
pre-filled form (only the link's SHA-256 is stored); the form shows labels
and help texts, refuses a wrong value by the label, and when the last
missing detail arrives the ticket moves to open and its clocks resume. A
signed-in requester finds the same form on the ticket page. Real intake,
router, slo, notifier and web; the harness's SMTP sink; chromium."""
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
LABEL = "Kind of laptop"
HELP = "Standard for office work, developer for building software."


def config():
    cfg = harness.copy_config()
    for f in cfg["request_types"][0]["fields"]:
        if f["name"] == "model":
            f["label"], f["help"] = LABEL, HELP
        if f["name"] == "cost_centre":
            f["label"], f["help"] = "Cost centre", "Six digits, on your payslip."
    return cfg


class DetailsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=config())
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["web"], read=["notifier"], absent=("/details/",))

    # --- helpers -----------------------------------------------------------
    def page(self, method, path, form=None, cookie=None):
        return harness.web_page(self.port, method, path, form, cookie)

    def laptop(self, email_addr="dana@example.com"):
        msg = self.st.message(subject="Laptop for the new starter", request_type="new-laptop",
                              requester={"name": "Dana Doe", "email": email_addr},
                              fields={"cost_centre": "654321"})
        tid = self.st.submit(msg)["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("status") == "pending", what="pending")
        return tid

    def ack_text(self, tid):
        msgs = self.st.wait_for(lambda: [m for m in self.st.smtp.messages if "[%s]" % tid in m["data"]],
                                timeout=15, what="the acknowledgement of " + tid)
        mail = email.message_from_string(msgs[0]["data"], policy=email.policy.default)
        return mail.get_body(("plain",)).get_content()

    def link(self, tid):
        text = self.ack_text(tid)
        m = re.search(r"http://[^\s]+/details/([0-9a-f]{64})", text)
        self.assertIsNotNone(m, text)
        return text, m.group(1)

    def form_csrf(self, path):
        code, html, hdrs = self.page("GET", path)
        self.assertEqual(code, 200, html)
        token = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        return html, token, hdrs.get("set-cookie", "").split(";")[0]

    # --- tests -------------------------------------------------------------
    def test_the_acknowledgement_names_labels_and_carries_a_link_stored_only_as_a_hash(self):
        tid = self.laptop()
        text, token = self.link(tid)
        self.assertIn("  - " + LABEL, text)
        self.assertIn(LABEL + ": ...", text)              # how to answer by mail
        self.assertNotIn("model", text.replace(LABEL, ""))  # never the internal name
        key = "opd:details:" + hashlib.sha256(token.encode()).hexdigest()
        self.assertEqual(self.st.r.get(key), tid)
        self.assertGreater(self.st.r.pttl(key), 6 * 86400 * 1000)   # seven days by default
        self.assertEqual([k for k in self.st.r.keys("*") if token in k], [])

    def test_the_link_shows_a_prefilled_form_refuses_a_wrong_value_and_completes_the_ticket(self):
        tid = self.laptop()
        _, token = self.link(tid)
        path = "/details/" + token
        html, csrf, cookie = self.form_csrf(path)
        self.assertIn(LABEL, html)
        self.assertIn(HELP, html)
        self.assertIn("still needed", html)
        self.assertIn('value="654321"', html)              # what was given is pre-filled
        before = self.st.ticket(tid)["version"]
        code, html, _ = self.page("POST", path, {"csrf": csrf, "model": "gaming"}, cookie)
        self.assertEqual(code, 422, html)
        self.assertIn('Please check &quot;%s&quot;: %s' % (LABEL, HELP), html)
        self.assertNotIn("fields.model", html)
        self.assertEqual((self.st.ticket(tid)["version"], self.st.ticket(tid)["status"]), (before, "pending"))
        # Without the CSRF token: refused, nothing changed.
        code, _, _ = self.page("POST", path, {"model": "standard"}, cookie)
        self.assertEqual(code, 403)
        self.assertEqual(self.st.ticket(tid)["status"], "pending")
        code, html, _ = self.page("POST", path, {"csrf": csrf, "model": "developer"}, cookie)
        self.assertEqual(code, 200, html)
        self.assertIn("It moves on now", html)
        t = self.st.ticket(tid)
        self.assertEqual((t["status"], t.get("missing", "")), ("open", ""))
        self.assertEqual(json.loads(t["fields"]), {"cost_centre": "654321", "model": "developer"})
        self.st.wait_for(lambda: self.st.ticket(tid).get("res_state") == "running", what="the clock resumes")
        history = [json.loads(h) for h in self.st.r.lrange("opd:t:{%s}:h" % tid, 0, -1)]
        self.assertTrue(any(h.get("actor") == "requester" and "status" in json.dumps(h) for h in history), history)
        # Used up: the same link now says so.
        code, html, _ = self.page("GET", path)
        self.assertEqual(code, 410, html)
        self.assertEqual(self.page("GET", "/details/" + "0" * 64)[0], 410)
        self.assertEqual(self.page("GET", "/details/nothex")[0], 410)

    def test_a_signed_in_requester_gives_them_on_the_ticket_page(self):
        tid = self.laptop("rita@example.com")
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        _, html, hdrs = self.page("GET", "/login")
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        code, _, hdrs = self.page("POST", "/login", {"token": "change-me-requester", "csrf": csrf},
                                  hdrs["set-cookie"].split(";")[0])
        c.close()
        self.assertEqual(code, 303)
        cookie = hdrs["set-cookie"].split(";")[0]
        code, html, _ = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertEqual(code, 200)
        self.assertIn("Details we still need", html)
        self.assertIn("<th>Cost centre</th>", html)         # the label, not cost_centre
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        code, _, hdrs = self.page("POST", "/tickets/%s/details" % tid, {"csrf": csrf, "model": "standard"}, cookie)
        self.assertEqual((code, hdrs.get("location")), (303, "/tickets/%s?given=1" % tid))
        self.assertEqual(self.st.ticket(tid)["status"], "open")
        code, html, _ = self.page("GET", "/tickets/%s?given=1" % tid, cookie=cookie)
        self.assertIn("the details are saved", html)
        self.assertNotIn("Details we still need", html)

    def test_a_reply_with_label_lines_gives_them(self):
        tid = self.laptop("fred@example.com")
        quoted = "> Some details we need are missing:\n>   - %s\n> %s: ...\n" % (LABEL, LABEL)

        def reply(body):
            msg = self.st.message(subject="Re: [%s] Laptop" % tid, reply_to=tid, body=body,
                                  requester={"name": "Fred", "email": "fred@example.com"})
            self.assertEqual(self.st.submit(msg)["ticket_id"], tid)

        # A value the field does not allow is not taken; the quote is never read.
        reply("Here you go.\n%s: gaming\n\n%s" % (LABEL, quoted))
        self.st.wait_for(lambda: not self.st.r.zscore("opd:replies:details", tid), what="the reply read")
        self.assertEqual(self.st.ticket(tid)["status"], "pending")
        # The label in another case, a bullet: taken, and the ticket moves on.
        reply("Sorry:\n- %s:  Developer \n\n%s" % (LABEL.upper(), quoted))
        self.st.wait_for(lambda: self.st.ticket(tid).get("status") == "open", what="details from the reply")
        t = self.st.ticket(tid)
        self.assertEqual(json.loads(t["fields"]), {"cost_centre": "654321", "model": "developer"})
        self.assertEqual(t.get("missing", ""), "")

    def test_the_report_says_how_long_requesters_take_per_request_type(self):
        t0 = harness.now_ms() - 1
        a, b = self.laptop("gina@example.com"), self.laptop("hal@example.com")
        self.assertEqual(self.st.ticket(a)["details_asked_at"], self.st.ticket(a)["received_at"])
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        c.request("PATCH", "/api/v1/tickets/" + a, json.dumps({"fields": {"model": "standard"}}),
                  {"Authorization": "Bearer change-me-agent", "Content-Type": "application/json"})
        self.assertEqual(c.getresponse().status, 200)
        c.close()
        t = self.st.ticket(a)
        took = int(t["details_given_at"]) - int(t["details_asked_at"])
        self.assertEqual(t["status"], "open")
        self.assertNotIn("details_given_at", self.st.ticket(b))
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        c.request("GET", "/api/v1/slo/report?from=%s" % urllib.parse.quote(harness.iso(t0)),
                  headers={"Authorization": "Bearer change-me-lead"})
        r = c.getresponse()
        report = json.loads(r.read())
        c.close()
        self.assertEqual(r.status, 200, report)
        self.assertEqual(report["details"], [{"request_type": "new-laptop", "asked": 2, "given": 1, "waiting": 1,
                                              "p50_ms": took, "p90_ms": took}])

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_the_link_form_is_filled_and_sent(self):
        tid = self.laptop("erin@example.com")
        _, token = self.link(tid)
        b = tpb.Browser("http://127.0.0.1:%d/details/%s" % (self.port, token))
        try:
            b.wait("document.readyState === 'complete' && !!document.querySelector('#model')")
            self.assertEqual(b.js("document.querySelector('label[for=model]').innerText"), LABEL + " (still needed)")
            self.assertEqual(b.js("document.querySelector('#model').getAttribute('aria-describedby')"), "model-help")
            b.js("document.querySelector('#model').value = 'standard'")
            b.click("#send-details")
            b.wait("!!document.querySelector('#result')")
            self.assertIn("It moves on now", b.js("document.querySelector('#result').innerText"))
        finally:
            b.close()
        self.assertEqual(self.st.ticket(tid)["status"], "open")


if __name__ == "__main__":
    unittest.main()
