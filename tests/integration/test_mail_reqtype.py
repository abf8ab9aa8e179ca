"""A requester's first mail names its request type (issue 12, "one
request-type schema enforced the same on every channel"; decision 140): a
"Request type: NAME" line, or a plus address servicedesk+TYPE@, and
"Label: value" lines for the type's fields in the same mail. All required
fields given: a ticket of that type, new (not pending). One missing: pending, and the
acknowledgement names the missing field by its label with a details link.
Real opdesk-mailgate, intake, router, slo, notifier and the SMTP sink."""
import email
import email.policy
import json
import unittest

import harness
import test_details
from test_mailgate import mail_config, mailgate, simple_mail


def config():
    cfg = mail_config()
    cfg["request_types"] = test_details.config()["request_types"]
    return cfg


class MailRequestTypeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier"], config=config())
        cls.st.__enter__()

    @classmethod
    def tearDownClass(cls):
        log = "".join(cls.st.log(n) for n in ("intake", "router", "notifier"))
        cls.st.__exit__(None, None, None)
        assert "Sanitizer" not in log and "runtime error" not in log, log[-3000:]

    def send(self, mid, body, to=None, sender="Dana Doe <dana@example.com>"):
        data = simple_mail(sender, "Laptop for the new starter", body, mid)
        if to:
            data = data.replace(b"To: servicedesk@example.org", b"To: " + to.encode())
        code, err = mailgate(self.st, data)
        self.assertEqual(code, 0, err)
        tid = self.st.r.hget("opd:idem:email:" + mid, "id")
        self.assertTrue(tid, err)
        return tid

    def ack_text(self, tid):
        msgs = self.st.wait_for(lambda: [m for m in self.st.smtp.messages if "[%s]" % tid in m["data"]],
                                timeout=15, what="the acknowledgement of " + tid)
        mail = email.message_from_string(msgs[0]["data"], policy=email.policy.default)
        return mail.get_body(("plain",)).get_content()

    def test_a_mail_naming_its_type_with_every_field_opens_a_ticket_of_that_type(self):
        tid = self.send("rt-all@example.com",
                        "Hello,\n\nRequest type: new laptop\nKind of laptop: Developer\n"
                        "Cost centre: 654321\n\nThanks, Dana")
        t = self.st.ticket(tid)
        self.assertEqual(t["status"], "new")     # accepted as complete: not pending
        self.assertEqual(t["request_type"], "new-laptop")
        self.assertEqual(t["kind"], "service_request")
        self.assertEqual(json.loads(t["fields"]), {"cost_centre": "654321", "model": "developer"})
        self.assertEqual(t.get("missing", ""), "")

    def test_a_field_missing_leaves_it_pending_and_the_mail_asks_for_it_by_label(self):
        tid = self.send("rt-some@example.com",
                        "Request type: New-Laptop\nCost centre: 654321\nKind of laptop: gaming\n")
        self.st.wait_for(lambda: self.st.ticket(tid).get("status") == "pending", what="pending")
        t = self.st.ticket(tid)
        self.assertEqual(t["request_type"], "new-laptop")
        self.assertEqual(json.loads(t["fields"]), {"cost_centre": "654321"})   # "gaming" is no model
        text = self.ack_text(tid)
        self.assertIn("  - " + test_details.LABEL, text)
        self.assertRegex(text, r"/details/[0-9a-f]{64}")

    def test_a_plus_address_names_the_type(self):
        tid = self.send("rt-plus@example.com", "Cost centre: 123456\nKind of laptop: standard\n",
                        to="servicedesk+new-laptop@example.org")
        t = self.st.ticket(tid)
        self.assertEqual((t["status"], t["request_type"], json.loads(t["fields"])),
                         ("new", "new-laptop", {"cost_centre": "123456", "model": "standard"}))

    def test_a_mail_naming_no_type_or_an_unknown_one_is_an_ordinary_incident(self):
        for mid, body, to in (("rt-none@example.com", "Cost centre: 654321\n", None),
                              ("rt-unknown@example.com", "Request type: coffee machine\n", None),
                              ("rt-foreign@example.com", "Hi", "other+new-laptop@example.org")):
            tid = self.send(mid, body, to=to)
            t = self.st.ticket(tid)
            with self.subTest(mid=mid):
                self.assertEqual(t.get("request_type", ""), "")
                self.assertEqual(t["kind"], "incident")
                self.assertEqual(t["status"], "new")


if __name__ == "__main__":
    unittest.main()
