"""Attachments through the web (issue 12): POST /api/v1/tickets/ID/attachments
stores the raw body under its SHA-256 in channels.email.attachments_dir and
adds its metadata to the ticket; GET .../attachments/SHA256 gives it back as a
download to whoever may see the ticket; the console links it; the anonymiser
deletes the file."""
import hashlib
import http.client
import json
import os
import re
import unittest
import urllib.parse

import harness
from test_console import Session

AGENT = "change-me-agent"
RITA = "change-me-requester"
SAM = "change-me-sam"
LIMIT = 4096


def config():
    cfg = harness.copy_config()
    cfg["tokens"].append({"token": SAM, "role": "requester", "identity": "sam@example.com"})
    cfg["retention"] = {"closed_days": 0, "per_category": {}}
    cfg.setdefault("channels", {}).setdefault("email", {})["max_attachment_bytes"] = LIMIT
    return cfg


def call(st, method, path, body=b"", token=AGENT, ctype="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=20)
    try:
        h = {"Authorization": "Bearer " + token}
        if ctype:
            h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def upload(st, tid, data, name="screen.png", ctype="image/png", token=RITA):
    path = "/api/v1/tickets/%s/attachments?filename=%s" % (tid, urllib.parse.quote(name))
    return call(st, "POST", path, data, token, ctype)


class AttachmentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "web"], config=config())
        cls.st.config["channels"]["email"]["attachments_dir"] = os.path.join(cls.st.tmp, "attachments")
        cls.dir = cls.st.config["channels"]["email"]["attachments_dir"]
        cls.st.__enter__()

    @classmethod
    def tearDownClass(cls):
        code = cls.st.stop("web")
        log = cls.st.log("web")
        cls.st.__exit__(None, None, None)
        assert code == 0, log[-3000:]
        assert "ERROR: AddressSanitizer" not in log and "runtime error" not in log, log[-3000:]

    def ticket(self, token=RITA, email="rita@example.com"):
        s, b, _ = call(self.st, "POST", "/api/v1/tickets",
                       json.dumps({"subject": "Screen broken", "body": "see the picture",
                                   "requester": {"name": "Rita", "email": email}}).encode(), token)
        self.assertEqual(s, 201, b)
        return json.loads(b)["id"]

    def files(self):
        return sorted(f for f in os.listdir(self.dir)) if os.path.isdir(self.dir) else []

    def test_upload_metadata_download_and_console_link(self):
        tid = self.ticket()
        data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
        sha = hashlib.sha256(data).hexdigest()
        sub = self.st.subscribe("ticket.updated")
        s, b, _ = upload(self.st, tid, data, name="my screen.png")
        self.assertEqual(s, 201, b)
        meta = {"name": "my screen.png", "content_type": "image/png", "size": len(data), "sha256": sha}
        self.assertEqual(json.loads(b), meta)
        with open(os.path.join(self.dir, sha), "rb") as f:
            self.assertEqual(f.read(), data)
        got = sub.wait(lambda topic, e: e["ticket_id"] == tid)
        self.assertIsNotNone(got, "no ticket.updated")
        # The ticket carries the metadata, and the history says who added it.
        s, b, _ = call(self.st, "GET", "/api/v1/tickets/%s?full=true" % tid, None, AGENT, None)
        t = json.loads(b)
        self.assertEqual(t["attachments"], [meta])
        self.assertIn("attachment_added", [h["action"] for h in t["history"]])
        # The same file again changes nothing: 200.
        s, b, _ = upload(self.st, tid, data, name="my screen.png")
        self.assertEqual(s, 200, b)
        # Downloads: requester and agent get the same bytes, as a download.
        for token in (RITA, AGENT):
            s, body, h = call(self.st, "GET", "/api/v1/tickets/%s/attachments/%s" % (tid, sha), None, token, None)
            self.assertEqual(s, 200)
            self.assertEqual(body, data)
            self.assertEqual(h["content-type"], "image/png")
            self.assertEqual(h["x-content-type-options"], "nosniff")
            self.assertTrue(h["content-disposition"].startswith("attachment;"), h["content-disposition"])
            self.assertIn("filename*=UTF-8''my%20screen.png", h["content-disposition"])
        # A digest the ticket does not list: 404, even if the file exists.
        other = self.ticket()
        s, _, _ = call(self.st, "GET", "/api/v1/tickets/%s/attachments/%s" % (other, sha), None, AGENT, None)
        self.assertEqual(s, 404)
        # The console's side panel links it, and the link downloads it.
        web = Session(self.st.http_port)
        web.login(AGENT)
        code, page, _ = web.get("/agent/tickets/" + tid)
        self.assertEqual(code, 200)
        link = "/agent/tickets/%s/attachments/%s" % (tid, sha)
        self.assertIn('href="%s"' % link, page)
        self.assertIn("my screen.png", page.split('id="attachments"', 1)[1])
        c = http.client.HTTPConnection("127.0.0.1", self.st.http_port, timeout=20)
        c.request("GET", link, headers={"Cookie": "; ".join("%s=%s" % kv for kv in web.cookies.items())})
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, data))
        c.close()
        self.assertNotIn("my screen.png", self.st.log("web"))

    def test_too_large_is_413_and_nothing_is_stored(self):
        tid = self.ticket()
        before = self.files()
        for size in (LIMIT + 1, 5 * LIMIT + 70000):  # over the file limit, and over the request limit
            s, b, _ = upload(self.st, tid, b"x" * size, name="big.txt", ctype="text/plain")
            self.assertEqual(s, 413, b)
            self.assertEqual(json.loads(b)["error"]["code"], "too_large")
        self.assertEqual(self.files(), before)
        s, b, _ = call(self.st, "GET", "/api/v1/tickets/" + tid, None, AGENT, None)
        self.assertEqual(json.loads(b).get("attachments") or [], [])
        # Exactly the limit is accepted.
        s, b, _ = upload(self.st, tid, b"y" * LIMIT, name="ok.txt", ctype="text/plain; charset=utf-8")
        self.assertEqual(s, 201, b)
        self.assertEqual(json.loads(b)["content_type"], "text/plain")

    def test_bad_type_name_and_empty_are_refused(self):
        tid = self.ticket()
        before = self.files()
        for ctype in ("text/html", "image/svg+xml", "application/x-msdownload", None):
            s, b, _ = upload(self.st, tid, b"<script>alert(1)</script>", name="a.html", ctype=ctype)
            self.assertEqual(s, 415, (ctype, b))
        s, b, _ = call(self.st, "POST", "/api/v1/tickets/%s/attachments" % tid, b"abc", RITA, "text/plain")
        self.assertEqual(s, 422, b)
        self.assertEqual(json.loads(b)["error"]["key"], "filename")
        s, b, _ = upload(self.st, tid, b"", name="empty.txt", ctype="text/plain")
        self.assertEqual(s, 422, b)
        self.assertEqual(self.files(), before)

    def test_another_requester_gets_404(self):
        tid = self.ticket()
        data = b"rita's private file"
        s, b, _ = upload(self.st, tid, data, name="private.txt", ctype="text/plain")
        self.assertEqual(s, 201, b)
        sha = hashlib.sha256(data).hexdigest()
        s, b, _ = call(self.st, "GET", "/api/v1/tickets/%s/attachments/%s" % (tid, sha), None, SAM, None)
        self.assertEqual(s, 404, b)
        before = self.files()
        s, b, _ = upload(self.st, tid, b"sam's file", name="x.txt", ctype="text/plain", token=SAM)
        self.assertEqual(s, 404, b)
        self.assertEqual(self.files(), before)
        s, b, _ = upload(self.st, "OPD-999999", b"abc", name="x.txt", ctype="text/plain", token=AGENT)
        self.assertEqual(s, 404, b)

    def test_anonymiser_deletes_the_file(self):
        tid = self.ticket()
        data = b"a picture of my passport"
        sha = hashlib.sha256(data).hexdigest()
        s, b, _ = upload(self.st, tid, data, name="passport.jpg", ctype="image/jpeg")
        self.assertEqual(s, 201, b)
        self.assertIn(sha, self.files())
        self.st.cli("update", tid, "--status", "resolved", "--note", "fixed")
        self.st.cli("update", tid, "--status", "closed")
        # Closed: nothing more can be attached.
        s, b, _ = upload(self.st, tid, b"late", name="late.txt", ctype="text/plain", token=AGENT)
        self.assertEqual(s, 409, b)
        done = self.st.cli_json("anonymise")
        self.assertIn({"ticket_id": tid, "rule": "closed_days"}, done)
        self.assertNotIn(sha, self.files())
        self.assertNotIn("attachments", self.st.ticket(tid))
        s, _, _ = call(self.st, "GET", "/api/v1/tickets/%s/attachments/%s" % (tid, sha), None, AGENT, None)
        self.assertEqual(s, 404)

    def portal_upload(self, web, tid, data, name, ctype, csrf=None):
        if csrf is None:
            page = web.get("/tickets/" + tid)[1]
            csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
        b = "----opdesk-test-boundary"
        body = (("--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n" % (b, csrf)).encode()
                + ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                   "Content-Type: %s\r\n\r\n" % (b, name, ctype)).encode()
                + data + ("\r\n--%s--\r\n" % b).encode())
        code, text, hdrs, _ = web.request("POST", "/tickets/%s/attachments" % tid, body,
                                          {"Content-Type": "multipart/form-data; boundary=" + b})
        return code, text, hdrs

    def test_portal_upload_form_list_and_download(self):
        tid = self.ticket()
        web = Session(self.st.http_port)
        web.login(RITA)
        code, page, _ = web.get("/tickets/" + tid)
        self.assertEqual(code, 200)
        self.assertIn('enctype="multipart/form-data"', page)
        data = b"%PDF-1.4 the invoice\r\n--not a boundary\r\n" + bytes(range(256))
        sha = hashlib.sha256(data).hexdigest()
        code, text, hdrs = self.portal_upload(web, tid, data, "C:\\Users\\rita\\invoice.pdf", "application/pdf")
        self.assertEqual(code, 303, text)
        self.assertEqual(hdrs["location"], "/tickets/%s?attached=1" % tid)
        with open(os.path.join(self.dir, sha), "rb") as f:
            self.assertEqual(f.read(), data)
        page = web.get("/tickets/" + tid)[1]
        link = "/tickets/%s/attachments/%s" % (tid, sha)
        self.assertIn('href="%s"' % link, page)
        self.assertIn('download>invoice.pdf</a>', page)
        c = http.client.HTTPConnection("127.0.0.1", self.st.http_port, timeout=20)
        c.request("GET", link, headers={"Cookie": "; ".join("%s=%s" % kv for kv in web.cookies.items())})
        r = c.getresponse()
        self.assertEqual((r.status, r.read(), r.getheader("Content-Type")), (200, data, "application/pdf"))
        c.close()
        before = self.files()
        code, text, _ = self.portal_upload(web, tid, b"<html>", "page.html", "text/html")
        self.assertEqual(code, 415, text)
        code, text, _ = self.portal_upload(web, tid, b"z" * (LIMIT + 1), "big.txt", "text/plain")
        self.assertEqual(code, 413, text)
        code, text, _ = self.portal_upload(web, tid, b"abc", "a.txt", "text/plain", csrf="0" * 64)
        self.assertEqual(code, 403, text)
        # Another requester's session: 404 for the upload and the download.
        sam = Session(self.st.http_port)
        sam.login(SAM)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', sam.get("/tickets")[1] or "")
        code, text, _ = self.portal_upload(sam, tid, b"abc", "a.txt", "text/plain",
                                           csrf=csrf.group(1) if csrf else "0" * 64)
        self.assertEqual(code, 404, text)
        self.assertEqual(sam.get(link)[0], 404)
        self.assertEqual(self.files(), before)


if __name__ == "__main__":
    unittest.main()
