"""opdesk-mailgate against a real stack: the mail corpus of tests/mail/
(expected.json gives each message's outcome), exit codes for the MTA,
loop and noise protection, the rate limit, and a reply to the desk's own
acknowledgement threading back onto its ticket."""
import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import subprocess
import time
import unittest

import harness
from harness import Stack

CORPUS = os.path.join(harness.SOURCE, "tests", "mail")


def load_manifest():
    with open(os.path.join(CORPUS, "expected.json"), encoding="utf-8") as f:
        return json.load(f)


def mail_config(tmp=None, per_sender=100000, frame_bytes=None):
    cfg = harness.copy_config()
    email_cfg = {"addresses": ["servicedesk@example.org", "help@example.org"],
                 "max_attachment_bytes": 100000,
                 "rate_limit": {"per_sender": per_sender, "window": "1h"}}
    if tmp:
        email_cfg["attachments_dir"] = os.path.join(tmp, "attachments")
    cfg["channels"] = {"email": email_cfg}
    if frame_bytes:
        cfg["limits"] = {"body_bytes": frame_bytes // 2, "frame_bytes": frame_bytes}
    return cfg


def mailgate(st, data, timeout=30):
    """Pipes data into opdesk-mailgate; returns (exit code, stderr)."""
    p = subprocess.run([os.path.join(harness.BIN, "opdesk-mailgate"), "--config", st.config_path],
                       input=data, capture_output=True, timeout=timeout)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def message_id(data):
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    mid = msg.get("Message-ID") or msg.get("Message-Id")
    if not mid:
        return None
    return str(mid).strip().strip("<>").strip()


def simple_mail(sender, subject, body, mid, extra=()):
    head = ["From: %s" % sender, "To: servicedesk@example.org", "Subject: %s" % subject,
            "Message-ID: <%s>" % mid, "Date: Tue, 3 Mar 2026 09:14:22 +0000",
            "Content-Type: text/plain; charset=utf-8", *extra]
    return ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


class MailCorpus(unittest.TestCase):
    def test_corpus_outcomes(self):
        manifest = load_manifest()
        self.assertGreaterEqual(len(manifest["messages"]), 40)
        st = Stack(["intake", "router"], config=mail_config())
        st.config["channels"]["email"]["attachments_dir"] = os.path.join(st.tmp, "attachments")
        with st:
            tickets = {}   # file -> ticket id of its own ticket (created) or target
            for exp in manifest["messages"]:
                name = exp["file"]
                with open(os.path.join(CORPUS, name), "rb") as f:
                    data = f.read()
                seq_before = int(st.r.get("opd:seq") or 0)
                code, err = mailgate(st, data)
                with self.subTest(file=name):
                    self.assertEqual(code, exp["exit"], "%s: exit %d\n%s" % (name, code, err))
                    self.check(st, exp, data, seq_before, tickets)
                # Personal data never reaches the log.
                for secret in ("@example.com", "@gmail.com", "@icloud.com"):
                    self.assertNotIn(secret, err, name)

    def check(self, st, exp, data, seq_before, tickets):
        name = exp["file"]
        ext = exp.get("external_id") or message_id(data)
        outcome = exp["outcome"]
        seq_after = int(st.r.get("opd:seq") or 0)
        if outcome in ("rejected", "dropped"):
            self.assertEqual(seq_after, seq_before, name + " must not create a ticket")
            if ext:
                self.assertIsNone(st.r.hget("opd:idem:email:" + ext, "id"), name)
            return
        tid = st.r.hget("opd:idem:email:" + ext, "id")
        self.assertTrue(tid, "%s: no ticket for external id %s" % (name, ext))
        if outcome == "repeat":
            self.assertEqual(seq_after, seq_before)
            self.assertEqual(tid, tickets[exp["target"]])
            return
        if outcome == "comment":
            self.assertEqual(seq_after, seq_before, name + " must not create a ticket")
            self.assertEqual(tid, tickets[exp["target"]], name + " threaded onto the wrong ticket")
            comments = [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            mine = [c for c in comments if c["author"] == exp["requester"]]
            self.assertTrue(mine, "%s: no comment by the sender on %s: %s" % (name, tid, comments))
            body = mine[-1]["body"]
            self.assertEqual(mine[-1]["public"], exp.get("public", True), name)
            # A reply from an agent's address is the agent speaking.
            self.assertEqual(mine[-1]["role"], exp.get("role", "requester"), name)
            for snippet in exp.get("body", []):
                self.assertIn(snippet, body, name)
            for snippet in exp.get("body_not", []):
                self.assertNotIn(snippet, body, name)
            tickets[name] = tid
            return
        # created
        self.assertEqual(seq_after, seq_before + 1, name + " must create one ticket")
        tickets[name] = tid
        t = st.ticket(tid)
        self.assertEqual(t["channel"], "email")
        self.assertEqual(t["external_id"], ext)
        self.assertEqual(t["subject"], exp["subject"], name)
        self.assertEqual(t["req_email"], exp["requester"], name)
        if "name" in exp:
            self.assertEqual(t.get("req_name"), exp["name"], name)
        for snippet in exp.get("body", []):
            self.assertIn(snippet, t.get("body", ""), name)
        for snippet in exp.get("body_not", []):
            self.assertNotIn(snippet, t.get("body", ""), name)
        if "no_ack" in exp:
            self.assertEqual(t.get("no_ack") == "1", exp["no_ack"], name + " no_ack")
        if "linked_to" in exp:
            self.assertEqual(t.get("linked_to"), tickets[exp["linked_to"]], name + " linked_to")
            # Nothing of the stranger's mail reached the ticket it named.
            target = tickets[exp["linked_to"]]
            for c in st.r.lrange("opd:t:{%s}:c" % target, 0, -1):
                self.assertNotEqual(json.loads(c)["author"], exp["requester"])
        else:
            self.assertNotIn("linked_to", t, name)
        if "participants" in exp:
            self.assertEqual(sorted(json.loads(t["participants"])), sorted(exp["participants"]))
        atts = exp.get("attachments")
        if atts:
            got = json.loads(t["attachments"])
            self.assertEqual(len(got), len(atts), name)
            for g, e in zip(got, atts):
                self.assertEqual(g["name"], e["name"], name)
                self.assertEqual(g["content_type"], e["content_type"], name)
                if "sha256" in e:
                    self.assertEqual(g["size"], e["size"], name)
                    self.assertEqual(g["sha256"], e["sha256"], name)
                    path = os.path.join(st.tmp, "attachments", e["sha256"])
                    self.assertEqual(os.path.exists(path), e["stored"], name + " " + e["name"])
                    if e["stored"]:
                        with open(path, "rb") as f:
                            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), e["sha256"])
        else:
            self.assertNotIn("attachments", t, name)


class MailgateBehaviour(unittest.TestCase):
    def test_tempfail_when_intake_is_down(self):
        with Stack([], config=mail_config(), smtp=False) as st:
            t0 = time.time()
            code, err = mailgate(st, simple_mail("a@example.com", "hello", "text", "down-1@example.com"))
            self.assertEqual(code, 75, err)
            self.assertLess(time.time() - t0, 25)
            self.assertIn("intake did not answer", err)

    def test_tempfail_when_redis_is_down_then_accepted(self):
        with Stack(["intake"], config=mail_config(), smtp=False) as st:
            mail = simple_mail("a@example.com", "printer", "text", "redis-down-1@example.com")
            st.stop_redis()
            code, err = mailgate(st, mail)
            self.assertEqual(code, 75, err)
            st.start_redis()
            st.wait_for(lambda: mailgate(st, mail)[0] == 0, timeout=20, what="mail accepted")
            self.assertTrue(st.r.hget("opd:idem:email:redis-down-1@example.com", "id"))

    def test_oversized_and_not_mail_are_rejected_for_good(self):
        with Stack(["intake"], config=mail_config(frame_bytes=65536), smtp=False) as st:
            # The input limit follows max_attachment_bytes (100000 here) and
            # body_bytes, never below four frames: 2 MB is far over it.
            big = simple_mail("a@example.com", "big", "x" * (2 * 1048576), "big-1@example.com")
            code, err = mailgate(st, big)
            self.assertEqual(code, 65, err)
            self.assertIn("larger than", err)
            code, err = mailgate(st, b"")
            self.assertEqual(code, 65, err)
            # Under the limit but over body_bytes: accepted, the text cut.
            long = simple_mail("a@example.com", "long", "y" * 100000, "long-1@example.com")
            code, err = mailgate(st, long)
            self.assertEqual(code, 0, err)
            tid = st.r.hget("opd:idem:email:long-1@example.com", "id")
            self.assertLessEqual(len(st.ticket(tid)["body"]), 32768)
            self.assertEqual(int(st.r.get("opd:seq")), 1)

    def test_large_attachment_within_the_configured_limit_is_accepted(self):
        # Default limits (frame_bytes 2 MiB) and a 10 MiB attachment limit: a
        # 9.4 MB message carrying a 7 MB attachment is a request, not junk.
        cfg = mail_config()
        cfg["channels"]["email"]["max_attachment_bytes"] = 10 * 1048576
        cfg.pop("limits", None)
        with Stack(["intake"], config=cfg, smtp=False) as st:
            blob = bytes((i * 7919 + (i >> 11)) % 256 for i in range(7 * 1000 * 1000))
            b64 = base64.encodebytes(blob).decode("ascii").replace("\n", "\r\n")
            head = ["From: Big Sender <big@example.com>", "To: servicedesk@example.org",
                    "Subject: Log files of the crash", "Message-ID: <big-att-1@example.com>",
                    "Date: Tue, 3 Mar 2026 09:14:22 +0000", "MIME-Version: 1.0",
                    "Content-Type: multipart/mixed; boundary=\"BIG\""]
            body = ("--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe logs are attached.\r\n"
                    "--BIG\r\nContent-Type: application/octet-stream\r\n"
                    "Content-Disposition: attachment; filename=\"crash.log\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--BIG--\r\n")
            data = ("\r\n".join(head) + "\r\n\r\n" + body).encode("ascii")
            self.assertGreater(len(data), 9300000)
            self.assertLess(len(data), 9600000)
            code, err = mailgate(st, data, timeout=120)
            self.assertEqual(code, 0, err)
            tid = st.r.hget("opd:idem:email:big-att-1@example.com", "id")
            self.assertTrue(tid, err)
            atts = json.loads(st.ticket(tid)["attachments"])
            self.assertEqual(len(atts), 1)
            self.assertEqual(atts[0]["name"], "crash.log")
            self.assertEqual(atts[0]["size"], len(blob))
            self.assertEqual(atts[0]["sha256"], hashlib.sha256(blob).hexdigest())
            # Far over the limit (about 19 MB here): refused for good, with a reason.
            huge = data.replace(b"--BIG--", (b64 * 2).encode("ascii") + b"--BIG--")
            code, err = mailgate(st, huge.replace(b"big-att-1", b"big-att-2"), timeout=120)
            self.assertEqual(code, 65, err)
            self.assertIn("larger than", err)
            self.assertIsNone(st.r.hget("opd:idem:email:big-att-2@example.com", "id"))

    def test_rate_limit_per_sender(self):
        # Past 2 a sender's mail is kept but not acknowledged (a loop with an
        # autoresponder stops); past 20 (ten times) it is dropped.
        with Stack(["intake"], config=mail_config(per_sender=2), smtp=False) as st:
            codes = [mailgate(st, simple_mail("storm@example.com", "storm %d" % i, "x",
                                              "storm-%d@example.com" % i))[0] for i in range(22)]
            self.assertEqual(codes, [0] * 22)
            self.assertEqual(int(st.r.get("opd:seq")), 20)
            tids = [st.r.hget("opd:idem:email:storm-%d@example.com" % i, "id") for i in range(22)]
            self.assertTrue(all(tids[:20]) and not any(tids[20:]), tids)
            # The first two will be acknowledged; the others are marked not to be.
            self.assertEqual([st.ticket(t).get("no_ack") for t in tids[:20]], [None] * 2 + ["1"] * 18)
            code, err = mailgate(st, simple_mail("calm@example.com", "calm", "x", "calm-1@example.com"))
            self.assertEqual(code, 0)
            self.assertEqual(int(st.r.get("opd:seq")), 21)
            key = "opd:rate:mail:" + hashlib.sha256(b"storm@example.com").hexdigest()
            self.assertEqual(int(st.r.get(key)), 22)
            ttl = st.r.pttl(key)
            self.assertTrue(0 < ttl <= 3600000, ttl)

    def test_acknowledgement_reply_threads_back_and_auto_reply_gets_none(self):
        with Stack(["intake", "router", "slo", "notifier"], config=mail_config()) as st:
            code, err = mailgate(st, simple_mail("Rita <rita@example.com>", "Monitor is dead",
                                                 "No picture at all.", "first-1@example.com"))
            self.assertEqual(code, 0, err)
            tid = st.r.hget("opd:idem:email:first-1@example.com", "id")
            code, err = mailgate(st, simple_mail("ooo@example.com", "Out of office", "Away.",
                                                 "ooo-1@example.com", ["Auto-Submitted: auto-replied"]))
            self.assertEqual(code, 0, err)
            ooo = st.r.hget("opd:idem:email:ooo-1@example.com", "id")
            ack = st.wait_for(lambda: [m for m in st.smtp.messages if "rita@example.com" in m["to"]],
                              timeout=20, what="the acknowledgement")[0]
            msg = email.message_from_string(ack["data"])
            self.assertIn("[%s]" % tid, msg["Subject"])
            self.assertIn("first-1@example.com", msg.get("In-Reply-To", ""))
            # The requester answers the acknowledgement; the client keeps only
            # the desk's Message-ID and drops the tag from the subject.
            reply = simple_mail("rita@example.com", "Re: your request", "It works again.\n\n> old text",
                                "reply-1@example.com", ["In-Reply-To: %s" % msg["Message-ID"]])
            code, err = mailgate(st, reply)
            self.assertEqual(code, 0, err)
            self.assertEqual(st.r.hget("opd:idem:email:reply-1@example.com", "id"), tid)
            bodies = [json.loads(c)["body"] for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            self.assertIn("It works again.", bodies)
            # The acknowledgement coming back through a list opens nothing.
            code, err = mailgate(st, ack["data"].encode("utf-8"))
            self.assertEqual(code, 0, err)
            self.assertIn("own_mail", err)
            self.assertIsNone(st.r.hget("opd:idem:email:%s" % message_id(ack["data"].encode("utf-8")), "id"))
            # A colleague forwards a request from the shared mailbox: a
            # ticket like any other, never acknowledged (decision 179).
            code, err = mailgate(st, simple_mail("Service Desk <servicedesk@example.org>",
                                                 "Fwd: printer on floor 3", "Paul phoned: it jams.",
                                                 "fwd-1@example.org"))
            self.assertEqual(code, 0, err)
            fwd = st.r.hget("opd:idem:email:fwd-1@example.org", "id")
            self.assertTrue(fwd, err)
            self.assertEqual(st.ticket(fwd).get("no_ack"), "1")
            time.sleep(2)
            self.assertFalse([m for m in st.smtp.messages if "ooo@example.com" in m["to"]])
            self.assertFalse([m for m in st.smtp.messages if fwd in (m["data"] or "")])
            self.assertEqual(st.ticket(ooo).get("no_ack"), "1")


SECRET = "integration-reply-secret-0123"


def reply_address(ticket, agent, secret=SECRET, base="servicedesk@example.org"):
    """The agent's reply address for the ticket, computed as the desk does
    (opd_mail_trust.c): HMAC-SHA256 of "TICKET\nAGENT", 100 bits, base32."""
    mac = hmac.new(secret.encode(), ("%s\n%s" % (ticket, agent)).encode(), hashlib.sha256).digest()
    token = base64.b32encode(mac).decode("ascii")[:20].lower()
    local, domain = base.split("@")
    return "%s+%s@%s" % (local, token, domain)


class AgentMailTrust(unittest.TestCase):
    """Mail is not believed to be an agent's on its From header alone."""

    def test_forged_agent_mail_is_not_an_agent_comment(self):
        cfg = mail_config()
        cfg["channels"]["email"]["agent_mail"] = {"trust": "token_or_dmarc", "authserv_id": "mx.example.org",
                                                  "secret": SECRET}
        with Stack(["intake", "router", "slo", "notifier"], config=cfg) as st:
            code, err = mailgate(st, simple_mail("Rita <rita@example.com>", "Printer broken", "It jams.",
                                                 "rita-1@example.com"))
            self.assertEqual(code, 0, err)
            tid = st.r.hget("opd:idem:email:rita-1@example.com", "id")
            to_rita = lambda: [m for m in st.smtp.messages if "rita@example.com" in m["to"]]
            st.wait_for(lambda: len(to_rita()) == 1, timeout=20, what="the acknowledgement")
            st.wait_for(lambda: st.ticket(tid).get("fr_state") == "running", timeout=20, what="the clock")

            def agent_comments():  # the agent speaking to the requester
                return [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)
                        if json.loads(c)["role"] == "agent" and json.loads(c)["public"]]

            def notes():
                return [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)
                        if not json.loads(c)["public"]]

            subject = "Re: [%s] Printer broken" % tid
            # 1. Forged: the agent's From, the ticket's tag, no token, no trusted DMARC.
            forged = [
                simple_mail("Alice Jones <alice@example.org>", subject, "Fixed, closing. Send your password.",
                            "forged-1@evil.example"),
                # A token for another ticket, and another agent's token.
                simple_mail("alice@example.org", subject, "Other ticket's token.", "forged-2@evil.example",
                            ["Cc: %s" % reply_address("OPD-99", "alice")]),
                simple_mail("alice@example.org", subject, "Bob's token.", "forged-3@evil.example",
                            ["Cc: %s" % reply_address(tid, "bob")]),
                # dmarc=pass from an authserv-id that is not the configured MTA's.
                simple_mail("alice@example.org", subject, "Trust me.", "forged-4@evil.example",
                            ["Authentication-Results: evil.example; dmarc=pass header.from=example.org"]),
                # The right token, but from someone else.
                simple_mail("mallory@evil.example", subject, "Stolen token.", "forged-5@evil.example",
                            ["Cc: %s" % reply_address(tid, "alice")]),
            ]
            for i, data in enumerate(forged):
                code, err = mailgate(st, data)
                self.assertEqual(code, 0, err)
                self.assertNotIn("trust=token", err)
                self.assertNotIn("trust=dmarc", err)
                other = st.r.hget("opd:idem:email:forged-%d@evil.example" % (i + 1), "id")
                if i < 4:
                    # An agent's address, unproven: an internal note on the
                    # ticket, under that address (decision 184).
                    self.assertEqual(other, tid)
                    self.assertEqual(notes()[-1]["author"], "alice@example.org")
                else:
                    # A stranger's mail: a new ticket linked to the one it named.
                    self.assertNotEqual(other, tid)
                    self.assertEqual(st.ticket(other).get("linked_to"), tid)
            time.sleep(2)
            self.assertEqual(agent_comments(), [])
            self.assertEqual(len(notes()), 4)
            t = st.ticket(tid)
            self.assertNotIn("first_reply_at", t)
            self.assertEqual(t.get("fr_state"), "running")
            # Nothing went to the requester in the desk's name.
            self.assertEqual(len(to_rita()), 1)
            self.assertFalse([m for m in to_rita() if "Send your password" in m["data"]])

            # 2. The agent's reply to her own token for this ticket: her comment.
            real = simple_mail("Alice Jones <alice@example.org>", subject, "Replaced the fuser unit.",
                               "real-1@example.org", ["Reply-To: alice@example.org"]).replace(
                b"To: servicedesk@example.org", ("To: %s" % reply_address(tid, "alice")).encode())
            code, err = mailgate(st, real)
            self.assertEqual(code, 0, err)
            self.assertIn("trust=token", err)
            self.assertNotIn("alice@", err)
            mine = agent_comments()
            self.assertEqual(len(mine), 1)
            self.assertEqual(mine[0]["body"], "Replaced the fuser unit.")
            st.wait_for(lambda: st.ticket(tid).get("fr_state") == "met", timeout=20, what="first response met")
            st.wait_for(lambda: [m for m in to_rita() if "Replaced the fuser unit." in m["data"]], timeout=20,
                        what="the comment mailed to the requester")

    def test_agent_answers_by_the_reply_to_of_the_desk_mail(self):
        # End to end: the requester writes on an assigned ticket, the desk
        # mails the assignee with a personal Reply-To, the agent's mail
        # client answers to it: the agent's public comment, mailed on.
        cfg = mail_config()
        cfg["channels"]["email"]["agent_mail"] = {"secret": SECRET}
        with Stack(["intake", "router", "slo", "notifier"], config=cfg) as st:
            code, err = mailgate(st, simple_mail("Rita <rita@example.com>", "Badge broken", "No entry.",
                                                 "rita-3@example.com"))
            tid = st.r.hget("opd:idem:email:rita-3@example.com", "id")
            st.wait_for(lambda: st.ticket(tid).get("team"), timeout=20, what="routing")
            st.cli("update", tid, "--status", "open", "--assignee", "bob", "--as", "bob")
            code, err = mailgate(st, simple_mail("rita@example.com", "Re: [%s] Badge broken" % tid,
                                                 "Still no entry.", "rita-4@example.com"))
            self.assertEqual(code, 0, err)
            to_bob = st.wait_for(lambda: [m for m in st.smtp.messages if "bob@example.org" in m["to"]],
                                 timeout=20, what="the mail to the assignee")[0]
            msg = email.message_from_string(to_bob["data"])
            self.assertEqual(msg["Reply-To"], reply_address(tid, "bob"))
            self.assertIn("Still no entry.", to_bob["data"])
            # The requester never sees the agent's address.
            for m in st.smtp.messages:
                if "rita@example.com" in m["to"]:
                    self.assertNotIn(reply_address(tid, "bob"), m["data"])
            # Bob's mail client replies to the Reply-To, quoting the subject.
            answer = simple_mail("Bob Smith <bob@example.org>", "Re: " + msg["Subject"], "New badge printed.",
                                 "bob-1@example.org", ["In-Reply-To: %s" % msg["Message-ID"]]).replace(
                b"To: servicedesk@example.org", ("To: %s" % msg["Reply-To"]).encode())
            code, err = mailgate(st, answer)
            self.assertEqual(code, 0, err)
            self.assertIn("trust=token", err)
            comments = [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            self.assertEqual([(c["author"], c["role"]) for c in comments][-1], ("bob", "agent"))
            st.wait_for(lambda: [m for m in st.smtp.messages if "rita@example.com" in m["to"]
                                 and "New badge printed." in m["data"]], timeout=20, what="the answer to the requester")

    def test_dmarc_pass_of_the_configured_mta_is_believed(self):
        cfg = mail_config()
        cfg["channels"]["email"]["agent_mail"] = {"trust": "dmarc", "authserv_id": "mx.example.org"}
        with Stack(["intake"], config=cfg, smtp=False) as st:
            code, err = mailgate(st, simple_mail("rita@example.com", "Screen", "Dark.", "rita-2@example.com"))
            tid = st.r.hget("opd:idem:email:rita-2@example.com", "id")
            subject = "Re: [%s] Screen" % tid
            ar = "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=example.org; " \
                 "dmarc=pass (p=reject) header.from=example.org"
            # The MTA's header on top; a forged one below it says nothing.
            code, err = mailgate(st, simple_mail("alice@example.org", subject, "New cable.", "dm-1@example.org",
                                                 [ar]).replace(b"From:", (ar + "\r\nFrom:").encode(), 1))
            self.assertEqual(code, 0, err)
            self.assertIn("trust=dmarc", err)
            roles = [json.loads(c)["role"] for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            self.assertEqual(roles, ["agent"])
            # The MTA's own header says fail; a forged pass below it is not read.
            fail = "Authentication-Results: mx.example.org; dmarc=fail header.from=example.org"
            code, err = mailgate(st, simple_mail("alice@example.org", subject, "Forged.", "dm-2@evil.example",
                                                 [ar]).replace(b"From:", (fail + "\r\nFrom:").encode(), 1))
            self.assertEqual(code, 0, err)
            self.assertNotIn("trust=dmarc", err)
            roles = [(json.loads(c)["role"], json.loads(c)["public"]) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            self.assertEqual(roles, [("agent", True), ("agent", False)])  # an internal note, decision 184


if __name__ == "__main__":
    unittest.main()
