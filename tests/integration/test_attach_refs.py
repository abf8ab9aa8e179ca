"""Attachment bodies on a folder of their own, shared by tickets (issue 12,
"stored content-addressed by SHA-256 on a volume of their own ... deleted by
the anonymiser"; decision 142): attachments.dir (not the mail adapter's
channels.email.attachments_dir) holds the bodies that mail and the API
store; opd:blob:SHA256:refs holds the tickets that list each body, and the
anonymiser deletes a body only when the last of them is anonymised. Real
intake and web, opdesk-mailgate, and `opdesk anonymise` (libopdanon, as
opdesk-anonymiser runs it)."""
import email.mime.application
import email.mime.multipart
import email.mime.text
import hashlib
import json
import os
import unittest

import harness
from test_attachments import RITA, call, upload
from test_mailgate import mailgate


def config():
    cfg = harness.copy_config()
    cfg["retention"] = {"closed_days": 0, "per_category": {}}
    cfg["channels"] = {"email": {"addresses": ["servicedesk@example.org"], "max_attachment_bytes": 100000}}
    return cfg


def mail_with(data, mid):
    m = email.mime.multipart.MIMEMultipart()
    m["From"], m["To"], m["Subject"] = "Rita <rita@example.com>", "servicedesk@example.org", "Scan attached"
    m["Message-ID"] = "<%s>" % mid
    m.attach(email.mime.text.MIMEText("Please see the scan.", "plain", "utf-8"))
    part = email.mime.application.MIMEApplication(data, "pdf", Name="scan.pdf")
    part["Content-Disposition"] = 'attachment; filename="scan.pdf"'
    m.attach(part)
    return m.as_bytes()


class AttachmentRefsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "web"], config=config())
        cls.dir = os.path.join(cls.st.tmp, "blobs")
        cls.st.config["attachments"] = {"dir": cls.dir}
        # The older key too: attachments.dir wins over it.
        cls.st.config["channels"]["email"]["attachments_dir"] = os.path.join(cls.st.tmp, "attachments")
        cls.st.__enter__()

    @classmethod
    def tearDownClass(cls):
        code = cls.st.stop("web")
        log = cls.st.log("web") + cls.st.log("intake")
        cls.st.__exit__(None, None, None)
        assert code == 0, log[-3000:]
        assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]

    def api_ticket(self):
        s, b, _ = call(self.st, "POST", "/api/v1/tickets",
                       json.dumps({"subject": "Scan", "body": "see the file",
                                   "requester": {"name": "Rita", "email": "rita@example.com"}}).encode(), RITA)
        self.assertEqual(s, 201, b)
        return json.loads(b)["id"]

    def close(self, tid):
        self.st.cli("update", tid, "--status", "resolved", "--note", "done")
        self.st.cli("update", tid, "--status", "closed")

    def refs(self, sha):
        return self.st.r.smembers("opd:blob:%s:refs" % sha)

    def body_there(self, sha):
        return os.path.exists(os.path.join(self.dir, sha))

    def test_a_body_two_tickets_hold_goes_with_the_last_of_them(self):
        data = b"%PDF-1.4 a scan of a passport, shared"
        sha = hashlib.sha256(data).hexdigest()
        # One ticket by mail, the other by an upload of the same bytes.
        code, err = mailgate(self.st, mail_with(data, "scan-1@example.com"))
        self.assertEqual(code, 0, err)
        by_mail = self.st.r.hget("opd:idem:email:scan-1@example.com", "id")
        self.assertTrue(by_mail, err)
        self.assertTrue(self.body_there(sha), os.listdir(self.st.tmp))
        by_api = self.api_ticket()
        s, b, _ = upload(self.st, by_api, data, name="scan.pdf", ctype="application/pdf")
        self.assertEqual(s, 201, b)
        self.assertEqual(self.refs(sha), {by_mail, by_api})
        self.close(by_mail)
        self.close(by_api)
        # The first goes (one ticket now): the body stays for the other.
        self.st.cli("anonymise", "--ticket", by_mail)
        self.assertEqual(self.st.ticket(by_mail)["anonymised"], "1")
        self.assertTrue(self.body_there(sha))
        self.assertEqual(self.refs(sha), {by_api})
        s, got, _ = call(self.st, "GET", "/api/v1/tickets/%s/attachments/%s" % (by_api, sha), None,
                         "change-me-agent", None)
        self.assertEqual((s, got), (200, data))
        # The last goes (the retention pass): the body goes with it.
        done = self.st.cli_json("anonymise")
        self.assertIn({"ticket_id": by_api, "rule": "closed_days"}, done)
        self.assertFalse(self.body_there(sha))
        self.assertFalse(self.st.r.exists("opd:blob:%s:refs" % sha))

    def test_a_replys_attachment_joins_the_ticket(self):
        # A reply by mail carrying a file: the file is the ticket's, once,
        # and the ticket holds its body (it was dropped with the reply).
        first = b"the first page"
        code, err = mailgate(self.st, mail_with(first, "reply-att-1@example.com"))
        self.assertEqual(code, 0, err)
        tid = self.st.r.hget("opd:idem:email:reply-att-1@example.com", "id")
        data = b"%PDF-1.4 the second page"
        sha = hashlib.sha256(data).hexdigest()
        reply = mail_with(data, "reply-att-2@example.com").replace(
            b"Subject: Scan attached", ("Subject: Re: [%s] Scan attached" % tid).encode())
        for _ in range(2):  # the second time a repeat
            code, err = mailgate(self.st, reply)
            self.assertEqual(code, 0, err)
        self.assertEqual(self.st.r.hget("opd:idem:email:reply-att-2@example.com", "id"), tid)
        s, b, _ = call(self.st, "GET", "/api/v1/tickets/" + tid, None, "change-me-agent", None)
        t = json.loads(b)
        self.assertEqual([(a["name"], a["sha256"]) for a in t["attachments"]],
                         [("scan.pdf", hashlib.sha256(first).hexdigest()), ("scan.pdf", sha)])
        self.assertEqual(len(t["comments"]), 1)
        self.assertIn("attachment_added", [h["action"] for h in t["history"]])
        self.assertEqual(self.refs(sha), {tid})
        s, got, _ = call(self.st, "GET", "/api/v1/tickets/%s/attachments/%s" % (tid, sha), None,
                         "change-me-agent", None)
        self.assertEqual((s, got), (200, data))

    def test_a_body_one_ticket_holds_goes_with_it(self):
        data = b"only mine"
        sha = hashlib.sha256(data).hexdigest()
        tid = self.api_ticket()
        s, b, _ = upload(self.st, tid, data, name="mine.txt", ctype="text/plain")
        self.assertEqual(s, 201, b)
        # The same name and body twice: one ticket, one member.
        s, b, _ = upload(self.st, tid, data, name="mine.txt", ctype="text/plain")
        self.assertEqual(s, 200, b)
        self.assertEqual(self.refs(sha), {tid})
        self.close(tid)
        self.st.cli("anonymise", "--ticket", tid)
        self.assertFalse(self.body_there(sha))
        self.assertEqual(self.refs(sha), set())

    def test_the_mail_adapters_folder_is_not_used_when_attachments_dir_is_set(self):
        data = b"where does it go"
        code, err = mailgate(self.st, mail_with(data, "scan-3@example.com"))
        self.assertEqual(code, 0, err)
        tid = self.api_ticket()
        self.assertEqual(upload(self.st, tid, b"and this", name="a.txt", ctype="text/plain")[0], 201)
        self.assertTrue(self.body_there(hashlib.sha256(data).hexdigest()))
        self.assertTrue(self.body_there(hashlib.sha256(b"and this").hexdigest()))
        self.assertFalse(os.path.exists(os.path.join(self.st.tmp, "attachments")))


if __name__ == "__main__":
    unittest.main()
