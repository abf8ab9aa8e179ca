"""opdesk-email against a real Dovecot on loopback: mail delivered into the
mailbox becomes tickets, is expunged or moved only after intake accepted it,
stays when intake is down, and survives a kill -9 of the poller without
loss or duplicates."""
import hashlib
import imaplib
import json
import os
import subprocess
import time
import unittest

import harness
from harness import Stack
from imapserver import Dovecot

CORPUS = os.path.join(harness.SOURCE, "tests", "mail")


def corpus(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


def mail(i, sender="user%d@example.com", subject="IMAP request %d"):
    return ("From: %s\r\nTo: servicedesk@example.org\r\nSubject: %s\r\nMessage-ID: <imap-%d@example.com>\r\n"
            "Date: Tue, 3 Mar 2026 09:14:22 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Body of request %d.\r\n" % (sender % i if "%" in sender else sender, subject % i, i, i)).encode()


def config(dv, **imap_extra):
    cfg = harness.copy_config()
    cfg["channels"] = {"email": {"addresses": ["servicedesk@example.org"],
                                 "rate_limit": {"per_sender": 100000, "window": "1h"},
                                 "imap": [dv.config(**imap_extra)]}}
    return cfg


def folder_uids(dv, folder):
    """The UIDs in folder, [] while it does not exist."""
    try:
        return dv.uids(folder)
    except imaplib.IMAP4.error:
        return []


def ticket_for(st, mid):
    return st.r.hget("opd:idem:email:" + mid, "id")


class EmailImap(unittest.TestCase):
    def test_poll_creates_tickets_and_expunges_only_what_was_accepted(self):
        with Dovecot() as dv, Stack(["intake", "router", "email"], config=config(dv), smtp=False) as st:
            dv.deliver(corpus("01-outlook-new.eml"))
            dv.deliver(corpus("08-iso2022jp.eml"))
            dv.deliver(corpus("34-no-headers.eml"))        # rejected for good
            dv.deliver(corpus("31-own-mail-from.eml"))     # the desk's own mail: dropped
            st.wait_for(lambda: ticket_for(st, "20260303181422.5A1B.YAMADA@example.jp"), timeout=20,
                        what="the IMAP mail as a ticket")
            tid = ticket_for(st, "AM0PR07MB4417C2D1E0@AM0PR07MB4417.eurprd07.prod.outlook.com")
            self.assertTrue(tid)
            t = st.ticket(tid)
            self.assertEqual(t["channel"], "email")
            self.assertEqual(t["req_email"], "hans.mueller@example.com")
            self.assertEqual(t["subject"], "Laptop won\u2019t boot")
            jp = st.ticket(ticket_for(st, "20260303181422.5A1B.YAMADA@example.jp"))
            self.assertEqual(jp["subject"], "\u30d1\u30b9\u30ef\u30fc\u30c9\u306e\u518d\u8a2d\u5b9a")
            # Accepted and dropped mail is gone; the rejected one is tried at
            # three polls, then set aside in the quarantine folder.
            st.wait_for(lambda: len(dv.uids()) == 0, timeout=20, what="the mailbox to be cleaned")
            self.assertEqual(len(dv.uids("Quarantine")), 1)
            self.assertEqual(int(st.r.get("opd:seq")), 2)
            # A reply by IMAP threads onto the ticket.
            dv.deliver(corpus("13-reply-tag.eml"))
            st.wait_for(lambda: ticket_for(st, "reply-13@example.com") == tid, timeout=10, what="the reply")
            comments = [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            self.assertEqual(comments[-1]["body"], "It boots again after I removed the docking station.")
            time.sleep(1.5)
            self.assertEqual(int(st.r.get("opd:seq")), 2, "nothing is taken twice")
            self.assertIn(" ready", st.log("email"))
            self.assertNotIn(dv.PASSWORD, st.log("email"))

    def test_poison_is_quarantined_and_never_blocks_the_rest(self):
        with Dovecot() as dv:
            cfg = config(dv)
            cfg["channels"]["email"]["quarantine"] = {"after": 3, "folder": "Poison"}
            with Stack(["intake", "router", "email"], config=cfg, smtp=False) as st:
                st.stop("email")
                # Real input intake cannot take, first in the mailbox.
                dv.deliver(corpus("35-binary-junk.eml"))
                for i in range(3):
                    dv.deliver(mail(i))
                st.start("email")
                for i in range(3):
                    st.wait_for(lambda: ticket_for(st, "imap-%d@example.com" % i), timeout=20,
                                what="good mail %d as a ticket" % i)
                # Good mail after it flows at once, then the poison goes aside.
                st.wait_for(lambda: folder_uids(dv, "Poison") != [], timeout=30, what="the quarantine")
                st.wait_for(lambda: dv.uids() == [], timeout=10, what="the mailbox to be cleaned")
                self.assertEqual(len(dv.uids("Poison")), 1)
                log = st.log("email")
                self.assertIn("quarantined mailbox=0 uid=1 ", log)
                self.assertEqual(log.count("failures="), 3, log)
                self.assertEqual(st.r.keys("opd:mail:tries:*"), [])
                for secret in ("@example.com", dv.PASSWORD):
                    self.assertNotIn(secret, log)
                # More mail goes on flowing; a second poison joins the first
                # in the folder that now exists.
                dv.deliver(corpus("34-no-headers.eml"))
                dv.deliver(mail(7))
                st.wait_for(lambda: ticket_for(st, "imap-7@example.com"), timeout=20, what="later mail")
                st.wait_for(lambda: len(folder_uids(dv, "Poison")) == 2, timeout=30, what="the second quarantine")
                st.wait_for(lambda: dv.uids() == [], timeout=10, what="the mailbox to be cleaned")
                self.assertEqual(int(st.r.get("opd:seq")), 4)

    def test_message_that_failed_before_is_set_aside_unread(self):
        # Attempts are counted in Redis before a message is parsed, so a
        # message on which the poller died three times (the count survives
        # the crashes) is set aside without being parsed again.
        with Dovecot() as dv:
            dv.deliver(mail(1))
            dv.deliver(mail(2))
            c = dv.imap()
            typ, data = c.status("INBOX", "(UIDVALIDITY)")
            c.logout()
            validity = int(data[0].decode().split("UIDVALIDITY")[1].strip(" )"))
            cfg = config(dv)
            box = cfg["channels"]["email"]["imap"][0]
            who = hashlib.sha256(("%s\n%s" % (box["url"], box["username"])).encode()).hexdigest()[:16]
            with Stack(["intake", "email"], config=cfg, smtp=False) as st:
                st.stop("email")
                first = dv.uids()[0]
                st.r.set("opd:mail:tries:%s:%d:%d" % (who, validity, first), 3)
                st.start("email")
                st.wait_for(lambda: ticket_for(st, "imap-2@example.com"), timeout=20, what="the second mail")
                st.wait_for(lambda: folder_uids(dv, "Quarantine") != [], timeout=20, what="the quarantine")
                self.assertIsNone(ticket_for(st, "imap-1@example.com"))
                self.assertIn("set aside unread", st.log("email"))

    def test_move_to_folder(self):
        with Dovecot() as dv:
            dv.make_folder("Processed")
            with Stack(["intake", "email"], config=config(dv, move_to="Processed"), smtp=False) as st:
                for i in range(5):
                    dv.deliver(mail(i))
                st.wait_for(lambda: len(dv.uids("Processed")) == 5, timeout=20, what="mail moved")
                self.assertEqual(dv.uids(), [])
                self.assertEqual(int(st.r.get("opd:seq")), 5)

    def test_intake_down_keeps_the_mail(self):
        with Dovecot() as dv, Stack(["intake", "email"], config=config(dv), smtp=False) as st:
            st.stop("intake")
            dv.deliver(mail(1))
            # Longer than the intake timeout (10 s): the poller gives up on this
            # round and keeps the mail.
            st.wait_for(lambda: "unavailable" in st.log("email"), timeout=25, what="the poll to give up")
            self.assertEqual(len(dv.uids()), 1, "the mail stays while intake is down")
            self.assertIsNone(st.r.get("opd:seq"))
            st.start("intake")
            st.wait_for(lambda: ticket_for(st, "imap-1@example.com"), timeout=30, what="the ticket")
            st.wait_for(lambda: dv.uids() == [], timeout=15, what="the mailbox to be cleaned")

    def test_kill_9_loses_nothing_and_duplicates_nothing(self):
        n = 300
        with Dovecot() as dv, Stack(["intake", "email"], config=config(dv), smtp=False) as st:
            st.stop("email")
            for i in range(n):
                dv.deliver(mail(i))
            st.start("email")
            st.wait_for(lambda: int(st.r.get("opd:seq") or 0) >= 20, timeout=20, what="some tickets")
            st.kill("email")
            st.start("email")
            st.wait_for(lambda: dv.uids() == [], timeout=60, what="every mail processed")
            self.assertEqual(int(st.r.get("opd:seq")), n)
            for i in range(n):
                self.assertTrue(ticket_for(st, "imap-%d@example.com" % i), i)

    def test_bad_password_is_logged_without_the_secret(self):
        with Dovecot() as dv:
            cfg = config(dv, password="wrong-password-123")
            with Stack(["intake", "email"], config=cfg, smtp=False) as st:
                dv.deliver(mail(1))
                st.wait_for(lambda: "imap failed" in st.log("email"), timeout=10, what="the failure logged")
                self.assertNotIn("wrong-password-123", st.log("email"))
                self.assertEqual(len(dv.uids()), 1)


if __name__ == "__main__":
    unittest.main()
