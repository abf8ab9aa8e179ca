"""opdesk-notifier against the real stack: acknowledgements and comments
reach the SMTP server, nothing is lost when SMTP is down or the notifier is
killed, headers cannot be injected, and webhooks get signed events."""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import re
import threading
import time
import unittest

import harness
from harness import Stack

STACK = ["intake", "router", "slo", "notifier"]
FOOTER = ("Service Desk, phone +44 20 7946 0000, Mon-Fri 08:00-18:00. "
          "Reply to this message to update your request.")


def parsed(m):
    return email.message_from_string(m["data"], policy=email.policy.default)


def mails_for(st, ticket_id):
    """Messages whose subject carries [ticket_id], parsed."""
    out = []
    for m in st.smtp.messages:
        msg = parsed(m)
        if "[%s]" % ticket_id in str(msg["Subject"]):
            out.append((m, msg))
    return out


def wait_mails(st, ticket_id, n=1, timeout=20.0):
    return st.wait_for(lambda: len(mails_for(st, ticket_id)) >= n and mails_for(st, ticket_id),
                       timeout=timeout, what="%d mail(s) for %s" % (n, ticket_id))


def body_of(msg):
    return msg.get_content().replace("\r\n", "\n")


def history_actions(st, ticket_id):
    return [json.loads(h)["action"] for h in st.r.lrange("opd:t:{%s}:h" % ticket_id, 0, -1)]


class NotifierMailTest(unittest.TestCase):
    def test_acknowledgement_with_standard_response_tag_and_footer(self):
        with Stack(STACK) as st:
            vpn = st.submit(st.message(subject="VPN is down", body="Since this morning."))["ticket_id"]
            # The desk's own address, by any channel: no acknowledgement.
            desk = st.submit(st.message(subject="Noted from a call",
                                        requester={"email": "ServiceDesk@example.org"}))["ticket_id"]
            plain = st.submit(st.message(subject="Printer on floor 3 is jammed"))["ticket_id"]
            (m, msg), = wait_mails(st, vpn)
            self.assertEqual(m["to"], ["rita@example.com"])
            self.assertEqual(m["from"], "servicedesk@example.org")
            # The ticket's own subject; the response's heads its text (decision 65).
            self.assertEqual(str(msg["Subject"]), "[%s] VPN is down" % vpn)
            self.assertEqual(str(msg["To"]), "rita@example.com")
            self.assertRegex(str(msg["Message-ID"]),
                             r"^<opdesk\.%s\.\d+@example\.org>$" % re.escape(vpn))
            self.assertEqual(str(msg["Auto-Submitted"]), "auto-replied")
            self.assertIsNotNone(msg["Date"])
            self.assertEqual(msg.get_content_type(), "text/plain")
            self.assertEqual(msg.get_content_charset(), "utf-8")
            body = body_of(msg)
            self.assertIn("VPN troubleshooting\n\nPlease restart the VPN client and try again.", body)
            self.assertIn("Guide: https://wiki.example.org/vpn", body)
            self.assertIn("We aim to respond by ", body)
            self.assertIn("(UTC)", body)  # the harness's policies use the 24x7 UTC calendar
            self.assertTrue(body.endswith("\n-- \n" + FOOTER + "\n"), body)
            # The first Message-ID is kept for threading later mail.
            self.assertEqual(st.ticket(vpn).get("mail_thread"), str(msg["Message-ID"]))
            st.wait_for(lambda: "notification_sent" in history_actions(st, vpn),
                        what="notification_sent in the history")

            (m2, msg2), = wait_mails(st, plain)
            self.assertEqual(str(msg2["Subject"]), "[%s] Printer on floor 3 is jammed" % plain)
            body2 = body_of(msg2)
            self.assertIn("reference %s" % plain, body2)
            self.assertNotIn("VPN", body2)
            self.assertTrue(body2.endswith("\n-- \n" + FOOTER + "\n"))
            self.assertEqual(st.r.llen("opd:outbox:busy"), 0)
            self.assertEqual(st.ticket(desk).get("no_ack"), "1")
            time.sleep(1.0)
            self.assertEqual(mails_for(st, desk), [])

    def test_public_comment_is_mailed_internal_never(self):
        with Stack(STACK) as st:
            tid = st.submit(st.message(subject="Printer on floor 3 is jammed"))["ticket_id"]
            (_, ack), = wait_mails(st, tid)
            harness.run_script(st, "comment", tid, "alice", "agent", "0",
                               "INTERNAL: the requester is on the watch list", "")
            harness.run_script(st, "comment", tid, "alice", "agent", "1",
                               "We have cleared the jam, please try again.", "")
            mails = wait_mails(st, tid, 2)
            comment = [msg for _, msg in mails if str(msg["Subject"]).startswith("Re: ")]
            self.assertEqual(len(comment), 1)
            msg = comment[0]
            self.assertEqual(str(msg["Subject"]), "Re: [%s] Printer on floor 3 is jammed" % tid)
            self.assertIn("Alice Jones", str(msg["From"]))
            self.assertIn("servicedesk@example.org", str(msg["From"]))
            self.assertEqual(str(msg["In-Reply-To"]), str(ack["Message-ID"]))
            self.assertIsNone(msg["Auto-Submitted"])
            body = body_of(msg)
            self.assertTrue(body.startswith("We have cleared the jam, please try again.\n"))
            self.assertTrue(body.endswith("\n-- \n" + FOOTER + "\n"))
            # Give an internal comment every chance to leak, then look.
            harness.run_script(st, "comment", tid, "alice", "agent", "0", "INTERNAL second note", "")
            harness.run_script(st, "comment", tid, "bob", "agent", "1", "Closing note.", "")
            wait_mails(st, tid, 3)
            time.sleep(1.0)
            for m in st.smtp.messages:
                self.assertNotIn("INTERNAL", m["data"])
            self.assertEqual(len(mails_for(st, tid)), 3)

    def test_resolution_note_reaches_the_requester_with_the_footer(self):
        with Stack(STACK) as st:
            tid = st.submit(st.message(subject="Printer on floor 3 is jammed"))["ticket_id"]
            wait_mails(st, tid)
            res = harness.run_script(st, "update", tid, "alice", "", "Replaced the fuser unit.",
                                     "status", "resolved")
            self.assertEqual(res[0], "ok")
            mails = wait_mails(st, tid, 2)
            resolved = [msg for _, msg in mails if str(msg["Subject"]).startswith("Resolved: ")]
            self.assertEqual(len(resolved), 1, [str(msg["Subject"]) for _, msg in mails])
            msg = resolved[0]
            self.assertEqual(str(msg["Subject"]), "Resolved: [%s] Printer on floor 3 is jammed" % tid)
            self.assertIn("Alice Jones", str(msg["From"]))
            body = body_of(msg)
            self.assertIn("has been resolved", body)
            self.assertIn("Replaced the fuser unit.\n", body)
            self.assertIn("reply to this message and the request reopens", body)
            self.assertTrue(body.endswith("\n-- \n" + FOOTER + "\n"), body)
            # The note is on the ticket as a public comment, and it answered the requester.
            t = st.ticket(tid)
            self.assertEqual(t["fr_state"], "met")
            self.assertEqual(t["res_state"], "met")

    def test_header_injection_is_neutralised(self):
        with Stack(STACK) as st:
            tid = st.submit(st.message(subject="Hello\r\nBcc: evil@example.com\r\nX-Evil: 1",
                                       requester={"name": "Rita\r\nCc: cc@example.com",
                                                  "email": "rita@example.com"}))["ticket_id"]
            (m, msg), = wait_mails(st, tid)
            self.assertEqual(m["to"], ["rita@example.com"])
            self.assertIsNone(msg["Bcc"])
            self.assertIsNone(msg["Cc"])
            self.assertIsNone(msg["X-Evil"])
            self.assertEqual(str(msg["Subject"]),
                             "[%s] Hello Bcc: evil@example.com X-Evil: 1" % tid)
            head = m["data"].split("\r\n\r\n", 1)[0]
            for line in head.split("\r\n"):
                self.assertFalse(line.lower().startswith(("bcc:", "cc:", "x-evil:")), line)

    def test_smtp_outage_is_retried(self):
        with Stack(STACK) as st:
            st.smtp.stop()
            tid = st.submit(st.message(subject="Monitor flickers"))["ticket_id"]
            st.wait_for(lambda: st.r.zcard("opd:outbox:retry") >= 1, timeout=20,
                        what="the job to wait for a retry")
            self.assertIn("smtp failed", st.log("notifier"))
            self.assertEqual(mails_for(st, tid), [])
            st.smtp.start()  # the same port
            (m, msg), = wait_mails(st, tid, timeout=30)
            self.assertTrue(body_of(msg).endswith("\n-- \n" + FOOTER + "\n"))
            st.wait_for(lambda: st.r.zcard("opd:outbox:retry") == 0
                        and st.r.llen("opd:outbox:busy") == 0, what="an empty outbox")
            st.wait_for(lambda: "notification_sent" in history_actions(st, tid),
                        what="notification_sent")
            self.assertNotIn("notification_failed", history_actions(st, tid))

    def test_a_long_smtp_outage_loses_no_mail(self):
        # Twenty failures an hour apart are no reason to give a job up while
        # it is younger than a day (decision 191); one queued a day ago is.
        with Stack(STACK) as st:
            st.smtp.stop()
            st.kill("notifier")
            young, old = (st.submit(st.message(subject=s))["ticket_id"] for s in ("Young job", "Old job"))
            st.wait_for(lambda: st.r.llen("opd:outbox:ready") == 2, what="two acknowledgements queued")
            for raw in st.r.lrange("opd:outbox:ready", 0, -1):
                job = json.loads(raw)
                job["attempt"] = 19
                if job["ticket"] == old:
                    job["queued_at"] -= 25 * 3600 * 1000
                st.r.lrem("opd:outbox:ready", 1, raw)
                st.r.lpush("opd:outbox:ready", json.dumps(job))
            st.start("notifier")
            st.wait_for(lambda: "notification_failed" in history_actions(st, old), timeout=20,
                        what="the old job given up")
            # The two are tried in either order: wait for the young one too.
            st.wait_for(lambda: st.r.zcard("opd:outbox:retry") == 1, timeout=20, what="the young job retried")
            retry = [json.loads(j) for j in st.r.zrange("opd:outbox:retry", 0, -1)]
            self.assertEqual([(j["ticket"], j["attempt"]) for j in retry], [(young, 20)])
            self.assertNotIn("notification_failed", history_actions(st, young))

    def test_kill_9_loses_no_mail(self):
        with Stack(STACK) as st:
            st.kill("notifier")
            ids = [st.submit(st.message(subject="Request number %d" % i))["ticket_id"]
                   for i in range(12)]
            st.wait_for(lambda: st.r.llen("opd:outbox:ready") == len(ids), timeout=20,
                        what="every acknowledgement to be queued")
            # One job as a notifier leaves it when killed in the middle of a send.
            st.r.lmove("opd:outbox:ready", "opd:outbox:busy", "RIGHT", "LEFT")
            st.start("notifier")
            st.wait_for(lambda: len(st.smtp.messages) >= 3, what="some mail")
            st.kill("notifier")
            st.start("notifier")
            for tid in ids:
                wait_mails(st, tid, timeout=30)
            st.wait_for(lambda: st.r.llen("opd:outbox:ready") == 0
                        and st.r.llen("opd:outbox:busy") == 0, what="an empty outbox")
            time.sleep(0.5)
            for tid in ids:
                self.assertIn(len(mails_for(st, tid)), (1, 2), tid)
            self.assertLessEqual(len(st.smtp.messages), len(ids) + 1)


class HookServer:
    """A tiny webhook receiver on a free port; keeps (path, headers, body)
    of each POST it accepts. The first fail_first POSTs get a 503."""

    def __init__(self, fail_first=0):
        self.received = []
        self.fail_first = fail_first
        self.port = harness.free_port()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.received.append((self.path, dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def signature_ok(secret, headers, body):
    want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return headers.get("X-Opdesk-Signature") == want


class NotifierWebhookTest(unittest.TestCase):
    def test_webhook_gets_signed_events_and_retries(self):
        hook = HookServer(fail_first=1)  # the first delivery fails: the event must come again
        self.addCleanup(hook.close)
        secret = "s3cret-hook"
        cfg = harness.copy_config()
        cfg["notifications"]["webhooks"] = [
            {"url": hook.url, "topics": ["ticket.created"], "secret": secret}]
        with Stack(STACK, config=cfg) as st:
            tid = st.submit(st.message(subject="VPN is down"))["ticket_id"]
            st.wait_for(lambda: hook.received, timeout=20, what="a webhook POST")
            path, headers, body = hook.received[0]
            self.assertEqual(path, "/hook")
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertTrue(signature_ok(secret, headers, body))
            self.assertFalse(signature_ok("wrong", headers, body))
            ev = json.loads(body)
            self.assertEqual(ev["type"], "ticket.created")
            self.assertEqual(ev["ticket_id"], tid)
            self.assertEqual(ev["v"], 1)
            self.assertEqual(ev["channel"], "api")
            self.assertRegex(ev["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
            # Only the topic asked for: the routed event (and the rest) never come.
            st.wait_for(lambda: st.ticket(tid).get("routed_at"), what="routing")
            wait_mails(st, tid)
            time.sleep(1.0)
            self.assertEqual([json.loads(b)["type"] for _, _, b in hook.received],
                             ["ticket.created"])
            # The cursor is durable and has passed the delivered event.
            cursor = st.r.get("opd:notifier:webhook:%s:cursor"
                              % hashlib.sha256(hook.url.encode()).hexdigest()[:16])
            key = lambda c: tuple(int(x) for x in c.split("-"))
            self.assertGreaterEqual(key(cursor), key(ev["cursor"]))
            self.assertIn("webhook failed", st.log("notifier"))

    def test_a_webhook_keeps_its_own_cursor_when_others_are_removed(self):
        # B's receiver fails while A's takes the ticket: B's cursor lags.
        # A is removed (B is now the first webhook): B still gets the ticket,
        # from its own cursor, not A's (decision 190).
        a, b = HookServer(), HookServer(fail_first=1000)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        cfg = harness.copy_config()
        cfg["notifications"]["webhooks"] = [{"url": u, "topics": ["ticket.created"], "secret": "k"}
                                            for u in (a.url, b.url)]
        with Stack(STACK, config=cfg) as st:
            tid = st.submit(st.message(subject="Laptop fan loud"))["ticket_id"]
            st.wait_for(lambda: a.received, timeout=20, what="webhook A")
            st.wait_for(lambda: "webhook failed hook=1" in st.log("notifier"), timeout=20, what="B failing")
            b.fail_first = 0
            st.config["notifications"]["webhooks"] = cfg["notifications"]["webhooks"][1:]
            st.reconfigure()
            st.wait_for(lambda: b.received, timeout=30, what="webhook B")
            self.assertEqual([json.loads(body)["ticket_id"] for _, _, body in b.received], [tid])

    def test_webhook_added_by_reload_and_survives_restart(self):
        hook = HookServer()
        self.addCleanup(hook.close)
        with Stack(STACK) as st:
            st.config["notifications"]["webhooks"] = [
                {"url": hook.url, "topics": ["ticket.", "slo.met"], "secret": "k2"}]
            st.reconfigure()
            st.wait_for(lambda: "configuration reloaded webhooks=1" in st.log("notifier"),
                        what="the notifier to reload")
            tid = st.submit(st.message(subject="Keyboard missing keys"))["ticket_id"]
            st.wait_for(lambda: {"ticket.created", "ticket.routed"}
                        <= {json.loads(b)["type"] for _, _, b in hook.received},
                        timeout=20, what="created and routed events")
            # Events written while the notifier is down come when it is back.
            st.stop("notifier")
            harness.run_script(st, "comment", tid, "alice", "agent", "1", "On its way.", "")
            st.start("notifier")
            st.wait_for(lambda: "slo.met" in [json.loads(b)["type"] for _, _, b in hook.received],
                        timeout=20, what="slo.met after the restart")
            for _, headers, body in hook.received:
                self.assertTrue(signature_ok("k2", headers, body))
                self.assertEqual(json.loads(body)["ticket_id"], tid)
            types = [json.loads(b)["type"] for _, _, b in hook.received]
            self.assertEqual(len(types), len(set(types)), types)  # nothing twice


if __name__ == "__main__":
    unittest.main()
