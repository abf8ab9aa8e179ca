"""Privacy end to end (issue 13): the desk is filled through every channel
(intake, the API, the web form, the mail-gate, IMAP from a real Dovecot,
the phone webhook) with
unique personal values in every place (requester, Cc participants,
subject, body, comments, call notes, attachments, idempotency keys), the
tickets are closed with retention.closed_days 0 and the anonymiser runs.
Then every key and value in Redis, every attachment file and every
service log is searched, and no personal value is left; the SLO report
is the same before and after; the run left a receipt."""
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import subprocess
import time
import unittest
import urllib.parse

import msgpack
import redis as redislib

import harness
from imapserver import Dovecot

PHONE_SECRET = "privacy-phone-secret"
SERVICES = ["intake", "router", "slo", "notifier", "web", "phone", "email"]


def privacy_config():
    cfg = harness.copy_config()
    cfg["retention"] = {"closed_days": 0, "per_category": {}}
    cfg["channels"] = {
        "phone": {"secret": PHONE_SECRET, "default_country_code": "44"},
        "email": {"addresses": ["servicedesk@example.org"], "max_attachment_bytes": 100000,
                  "rate_limit": {"per_sender": 1000, "window": "1h"}}}
    return cfg


class Person:
    """One requester's unique personal values."""

    def __init__(self, tag, n):
        digits = "".join(random.choice("0123456789") for _ in range(5))
        self.first = "Zorvek%s%d" % (tag, n)
        self.last = "Quillan%s%d" % (tag, n)
        self.name = "%s %s" % (self.first, self.last)
        self.email = "zq.%s%d@privacy.example" % (tag.lower(), n)
        self.cc = "cc.%s%d@privacy.example" % (tag.lower(), n)
        self.e164 = "+4477009" + digits
        self.national = "07700 9" + digits
        self.ip = "10.%d.%d.%d" % (random.randint(1, 254), random.randint(1, 254), random.randint(1, 254))

    def markers(self):
        """What must be gone: each as it may be written."""
        return [self.first, self.last, self.email, self.cc, self.e164, self.e164[1:],
                self.national, self.national.replace(" ", ""), self.ip]

    def text(self):
        return ("I am %s, call me on %s or %s, mail %s, my PC is %s."
                % (self.name, self.national, self.e164, self.email, self.ip))


def sign(body):
    return "sha256=" + hmac.new(PHONE_SECRET.encode(), body, hashlib.sha256).hexdigest()


class PrivacyTest(unittest.TestCase):
    def http(self, st, method, path, body=None, headers=None, port=None):
        c = http.client.HTTPConnection("127.0.0.1", port or st.http_port, timeout=20)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read().decode("utf-8", "replace"), {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()

    def api(self, st, method, path, obj=None, token="change-me-agent", headers=None):
        h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        h.update(headers or {})
        s, text, _ = self.http(st, method, path, json.dumps(obj) if obj is not None else None, h)
        return s, (json.loads(text) if text else None)

    # --- the channels ----------------------------------------------------
    def by_intake(self, st, p):
        r = st.submit(st.message(
            channel="api", external_id="intake-%s" % p.email,
            requester={"name": p.name, "email": p.email, "phone": p.e164},
            subject="Printer jam for %s at %s" % (p.name, p.ip), body=p.text(),
            participants=[p.cc], attachments=[{"name": "%s-passport.pdf" % p.last, "size": 10}]))
        self.assertEqual(r["type"], "intake.accepted", r)
        return r["ticket_id"]

    def by_api(self, st, p):
        s, t = self.api(st, "POST", "/api/v1/tickets",
                        {"requester": {"name": p.name, "email": p.email, "phone": p.e164},
                         "subject": "Need a laptop, phone %s" % p.national, "body": p.text(),
                         "request_type": "new-laptop",
                         "fields": {"cost_centre": "123456", "model": "standard", "manager_email": p.cc}},
                        headers={"Idempotency-Key": "key-%s" % p.first})
        self.assertEqual(s, 201, t)
        return t["id"]

    def by_web_form(self, st, p):
        _, page, hdrs = self.http(st, "GET", "/login")
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
        cookie = hdrs["set-cookie"].split(";")[0]
        form = urllib.parse.urlencode({"form_id": hashlib.md5(p.email.encode()).hexdigest(),
                                       "name": p.name, "email": p.email,
                                       "subject": "Monitor broken (%s)" % p.email,
                                       "description": p.text(), "csrf": csrf})
        s, html, _ = self.http(st, "POST", "/", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            "Origin": "http://127.0.0.1:%d" % st.http_port})
        self.assertEqual(s, 201, html)
        return re.search(r'id="ticket-id">(OPD-\d+)<', html).group(1)

    def mail(self, st, data):
        p = subprocess.run([os.path.join(harness.BIN, "opdesk-mailgate"), "--config", st.config_path],
                           input=data, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        for p_ in [p.stderr.decode("utf-8", "replace")]:
            self.log_texts.append(("mailgate stderr", p_))

    def by_mail(self, st, p):
        mid = "%s.first@privacy.example" % p.first
        boundary = "b0undary"
        data = ("From: %s <%s>\r\nTo: servicedesk@example.org\r\nCc: %s\r\n"
                "Subject: VPN trouble for %s\r\nMessage-ID: <%s>\r\n"
                "Date: Tue, 3 Mar 2026 09:14:22 +0000\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=%s\r\n\r\n"
                "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"
                "--%s\r\nContent-Type: application/octet-stream\r\n"
                "Content-Disposition: attachment; filename=\"%s-cv.txt\"\r\n\r\n"
                "Curriculum vitae of %s, %s\r\n--%s--\r\n"
                % (p.name, p.email, p.cc, p.name, mid, boundary, boundary, p.text(), boundary,
                   p.last, p.name, p.e164, boundary)).encode()
        self.mail(st, data)
        tid = st.wait_for(lambda: st.r.get("opd:ext:" + mid), what="the mail's ticket")
        # The requester answers by mail: a requester comment, threaded by In-Reply-To.
        reply = ("From: %s <%s>\r\nTo: servicedesk@example.org\r\nSubject: Re: VPN trouble\r\n"
                 "Message-ID: <%s.second@privacy.example>\r\nIn-Reply-To: <%s>\r\n"
                 "Date: Tue, 3 Mar 2026 10:14:22 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                 "Still broken. %s\r\n" % (p.name, p.email, p.first, mid, p.text())).encode()
        self.mail(st, reply)
        st.wait_for(lambda: st.r.llen("opd:t:{%s}:c" % tid) >= 1, what="the reply as a comment")
        return tid

    def by_imap(self, st, dv, p):
        """A mail fetched by opdesk-email from the Dovecot mailbox, with the
        person in its From, Cc, subject and body."""
        mid = "%s.imap@privacy.example" % p.first
        data = ("From: %s <%s>\r\nTo: servicedesk@example.org\r\nCc: %s\r\n"
                "Subject: Wifi down for %s, call %s\r\nMessage-ID: <%s>\r\n"
                "Date: Tue, 3 Mar 2026 09:14:22 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                "%s\r\n" % (p.name, p.email, p.cc, p.name, p.national, mid, p.text())).encode()
        dv.deliver(data)
        tid = st.wait_for(lambda: st.r.get("opd:ext:" + mid), timeout=30, what="the IMAP mail's ticket")
        t = st.ticket(tid)
        self.assertEqual((t["channel"], t["req_email"]), ("email", p.email))
        self.assertIn(p.cc, t.get("participants", ""))
        return tid

    def by_phone(self, st, p, call):
        body = json.dumps({"event": "voicemail", "call_id": call, "direction": "inbound",
                           "from": p.national, "caller_name": p.name,
                           "transcription": "Hello, this is %s. %s" % (p.name, p.text())}).encode()
        s, text, _ = self.http(st, "POST", "/calls", body, {"Content-Type": "application/json",
                                                            "X-Opdesk-Signature": sign(body)}, st.phone_port)
        self.assertEqual(s, 201, text)
        tid = json.loads(text)["ticket_id"]
        note = json.dumps({"text": "Spoke to %s on %s about %s" % (p.first, p.e164, p.ip),
                           "agent": "alice"}).encode()
        s, text, _ = self.http(st, "POST", "/calls/%s/notes" % call, note,
                               {"Content-Type": "application/json", "X-Opdesk-Signature": sign(note)},
                               st.phone_port)
        self.assertEqual(s, 200, text)
        return tid

    # --- what is left ----------------------------------------------------
    def redis_dump(self, st):
        """Every key name and every value, as one list of texts."""
        raw = redislib.Redis(host="127.0.0.1", port=st.redis_port)
        out = []
        for key in raw.scan_iter(count=1000):
            out.append(key)
            kind = raw.type(key)
            if kind == b"none":
                continue  # a work set the services emptied between SCAN and TYPE
            if kind == b"string":
                out.append(raw.get(key))
            elif kind == b"hash":
                for f, v in raw.hgetall(key).items():
                    out += [f, v]
            elif kind == b"list":
                out += raw.lrange(key, 0, -1)
            elif kind == b"set":
                out += list(raw.smembers(key))
            elif kind == b"zset":
                out += [m for m, _ in raw.zrange(key, 0, -1, withscores=True)]
            elif kind == b"stream":
                for _id, fields in raw.xrange(key):
                    for f, v in fields.items():
                        out += [f, v]
                        if f == b"m":
                            out.append(json.dumps(msgpack.unpackb(v, raw=False)).encode())
            else:
                self.fail("unexpected type %s of %s" % (kind, key))
        return [x.decode("utf-8", "replace") for x in out]

    def files(self, st):
        out = []
        for root, _dirs, names in os.walk(os.path.join(st.tmp, "attachments")):
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    out.append(("file " + n, f.read().decode("utf-8", "replace")))
        return out

    def logs(self, st):
        out = list(self.log_texts)
        for f in sorted(os.listdir(st.tmp)):
            if f.endswith(".log") and f != "redis.log":
                with open(os.path.join(st.tmp, f), errors="replace") as fh:
                    out.append((f, fh.read()))
        return out

    def find(self, texts, markers):
        hits = []
        for where, text in texts:
            low = text.lower()
            for m in markers:
                if m.lower() in low:
                    hits.append("%s holds %r: ...%s..." % (where, m, text[max(0, low.index(m.lower()) - 60):
                                                                     low.index(m.lower()) + 60]))
        return hits

    def slo_report(self, st, frm, to):
        out = {}
        for g in ("priority", "team", "policy"):
            s, rep = self.api(st, "GET", "/api/v1/slo/report?from=%s&to=%s&group_by=%s" % (frm, to, g),
                              token="change-me-lead")
            self.assertEqual(s, 200, rep)
            out[g] = rep
        out["cli"] = st.cli_json("slo", "report", "--from", frm, "--to", to)
        return out

    def test_every_store_forgets_every_channel(self):
        tag = "".join(random.choice("ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(4))
        people = [Person(tag, n) for n in range(6)]
        self.log_texts = []
        dv = Dovecot()
        self.addCleanup(dv.__exit__)
        dv.start()
        st = harness.Stack(SERVICES, config=privacy_config())
        st.config["channels"]["email"]["attachments_dir"] = os.path.join(st.tmp, "attachments")
        st.config["channels"]["email"]["imap"] = [dv.config()]
        st.PERSONAL = tuple(m for p in people for m in p.markers())
        with st:
            tickets = [self.by_intake(st, people[0]), self.by_api(st, people[1]),
                       self.by_web_form(st, people[2]), self.by_mail(st, people[3]),
                       self.by_phone(st, people[4], "call-%s" % tag), self.by_imap(st, dv, people[5])]
            everyone = [m for p in people for m in p.markers()]
            # Each ticket's own values are stored where expected before the run.
            before = "\n".join(self.redis_dump(st))
            for p in people:
                self.assertIn(p.first, before)
            self.assertTrue(st.r.keys("opd:phone:*4477009*"), "no phone number record")
            self.assertTrue(st.r.keys("opd:call:call-%s" % tag))
            self.assertTrue(self.files(st), "no attachment body stored")
            for tid, p in zip(tickets, people):
                st.wait_for(lambda: st.ticket(tid).get("slo_policy"), timeout=20, what="clocks of " + tid)
                st.cli("comment", tid, "--body", "Called %s back on %s, IP %s" % (p.name, p.national, p.ip),
                       "--as", "alice")
                st.cli("comment", tid, "--body", "Internal: %s uses %s" % (p.email, p.ip), "--internal",
                       "--as", "alice")
                st.cli("update", tid, "--status", "resolved", "--note", "Told %s (%s) it is fixed" % (p.first, p.email))
            # The notifier has sent (or queued) mail to each requester by now.
            st.wait_for(lambda: len(st.smtp.messages) >= 4, timeout=30, what="mail to the requesters")
            for tid in tickets:
                st.cli("update", tid, "--status", "closed")
            frm, to = harness.iso(harness.now_ms() - 86400000), harness.iso(harness.now_ms() + 86400000)
            report_before = self.slo_report(st, frm, to)
            self.assertEqual(sum(g["slo"]["resolution"]["tickets"] for g in report_before["priority"]["groups"]),
                             len(tickets))

            done = st.cli_json("anonymise")
            self.assertEqual(sorted(d["ticket_id"] for d in done), sorted(tickets))
            self.assertEqual({d["rule"] for d in done}, {"closed_days"})
            for tid in tickets:
                t = st.ticket(tid)
                self.assertEqual(t["anonymised"], "1")
                self.assertEqual(t["anonymised_rule"], "closed_days")
                self.assertEqual(t["status"], "closed")
            # Agents' words stay, with the personal data inside replaced.
            comments = [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tickets[0], 0, -1)]
            self.assertIn("Called [name removed] back on [phone removed], IP [ip removed]",
                          [c["body"] for c in comments])
            self.assertEqual(st.ticket(tickets[0])["subject"], "Printer jam for [name removed] at [ip removed]")

            self.assertEqual(self.slo_report(st, frm, to), report_before)
            st.stop("notifier")
            st.stop("web")
            st.stop("phone")
            st.stop("email")
            texts = [("redis", t) for t in self.redis_dump(st)] + self.files(st) + self.logs(st)
            hits = self.find(texts, everyone)
            self.assertEqual(hits, [], "\n".join(hits[:30]))

            # The receipt: kept in Redis, logged by counts only.
            runs = st.r.zrange("opd:anon:runs", 0, -1)
            self.assertEqual(len(runs), 1)
            receipt = st.r.hgetall("opd:anon:run:" + runs[0])
            self.assertEqual(receipt["state"], "done")
            self.assertEqual(int(receipt["tickets"]), len(tickets))
            self.assertEqual(int(receipt["swept_tickets"]), len(tickets))
            for store in ("idem", "ext", "phone", "call", "events"):
                self.assertGreaterEqual(int(receipt[store]), 1, store)
            self.assertGreaterEqual(int(receipt["files"]), 1)
            self.assertEqual(st.r.zcard("opd:anon:pending"), 0)
            # A second run changes nothing.
            self.assertEqual(st.cli_json("anonymise"), [])


if __name__ == "__main__":
    unittest.main()
