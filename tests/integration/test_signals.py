"""Signals (issue 8): SIGHUP and SIGTERM reach only the main loop of each
program, so a storm of SIGHUPs never interrupts a blocking wait in a thread
or an actor, never kills a process and never loses work."""
import collections
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

import harness
from harness import Stack
from imapserver import Dovecot
from test_notifier import HookServer
from test_resilience import Loader

STORM = ["intake", "router", "slo", "notifier", "anonymiser", "web", "phone", "email"]
WEB_TICKETS = 60
IMAP_MAILS = 30


def hup_storm(procs, seconds, per_second):
    """Sends SIGHUP to every live process of procs, per_second times a
    second each, for seconds; returns how many were sent."""
    sent = 0
    end = time.time() + seconds
    while time.time() < end:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGHUP)
                sent += 1
        time.sleep(1.0 / per_second)
    return sent


class WebPoster(threading.Thread):
    """Creates WEB_TICKETS tickets through POST /api/v1/tickets, each retried
    with its Idempotency-Key until it is answered 201 (or 200 for a repeat)."""

    def __init__(self, st):
        super().__init__(daemon=True)
        self.st = st
        self.accepted = {}
        self.retries = 0

    def run(self):
        for i in range(WEB_TICKETS):
            key = "storm-web-%d" % i
            body = json.dumps({"subject": "Web storm ticket %d" % i,
                               "requester": {"email": "web%d@example.com" % i}})
            while key not in self.accepted:
                try:
                    c = http.client.HTTPConnection("127.0.0.1", self.st.http_port, timeout=10)
                    c.request("POST", "/api/v1/tickets", body=body,
                              headers={"Authorization": "Bearer change-me-agent",
                                       "Content-Type": "application/json", "Idempotency-Key": key})
                    r = c.getresponse()
                    data = r.read()
                    c.close()
                    if r.status in (200, 201):
                        self.accepted[key] = json.loads(data)["id"]
                        continue
                except (OSError, http.client.HTTPException):
                    pass
                self.retries += 1
                time.sleep(0.05)


def imap_mail(i):
    return ("From: imap%d@example.com\r\nTo: servicedesk@example.org\r\n"
            "Subject: IMAP storm %d\r\nMessage-ID: <storm-%d@example.com>\r\n"
            "Date: Tue, 3 Mar 2026 09:14:22 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Body %d.\r\n" % (i, i, i, i)).encode()


class StormTest(unittest.TestCase):
    def test_sighup_storm_on_the_whole_stack_loses_nothing(self):
        hook = HookServer()
        self.addCleanup(hook.close)
        with Dovecot() as dv:
            cfg = harness.copy_config()
            cfg["notifications"]["webhooks"] = [
                {"url": hook.url, "topics": ["ticket.created"], "secret": "storm"}]
            cfg["channels"] = {
                "phone": {"secret": "s3cret-phone"},
                "email": {"addresses": ["servicedesk@example.org"],
                          "rate_limit": {"per_sender": 100000, "window": "1h"},
                          "imap": [dv.config(interval="1s")]}}
            with Stack(STORM, config=cfg) as st:
                self.storm(st, dv, hook)

    def storm(self, st, dv, hook):
        loader, poster = Loader(st), WebPoster(st)
        loader.start()
        poster.start()
        storm_start = time.time()
        procs = [st.procs[n] for n in STORM]
        delivered = 0
        sent = 0
        # Several SIGHUPs a second to every service for a few seconds, while
        # tickets arrive through intake, the web API and the IMAP mailbox.
        while time.time() - storm_start < 6:
            sent += hup_storm(procs, seconds=0.5, per_second=10)
            if delivered < IMAP_MAILS:
                for _ in range(5):
                    dv.deliver(imap_mail(delivered))
                    delivered += 1
        print("\nstorm: %d SIGHUPs in %.1fs to %d services; intake load %d accepted by then"
              % (sent, time.time() - storm_start, len(procs), len(loader.accepted)), end=" ")
        for name in STORM:
            self.assertIsNone(st.procs[name].poll(), "%s died:\n%s" % (name, st.log(name)[-3000:]))
        reloads = {n: st.log(n).count("configuration reloaded config=") for n in STORM}
        print("reloads: %s" % reloads, end=" ")
        for name, n in reloads.items():
            self.assertGreaterEqual(n, 1, name)

        loader.join(300)
        poster.join(120)
        self.assertFalse(loader.is_alive() or poster.is_alive(), "the load did not finish")
        self.assertIsNone(loader.error)
        print("tickets: intake %d (retries %d), web %d (retries %d), imap %d"
              % (len(loader.accepted), loader.retries, len(poster.accepted), poster.retries,
                 delivered), end=" ")
        st.wait_for(lambda: all(st.r.hget("opd:idem:email:storm-%d@example.com" % i, "id")
                                for i in range(IMAP_MAILS)),
                    timeout=60, interval=0.5, what="every IMAP mail as a ticket")
        imap_ids = {st.r.hget("opd:idem:email:storm-%d@example.com" % i, "id") for i in range(IMAP_MAILS)}
        ids = set(loader.accepted.values()) | set(poster.accepted.values()) | imap_ids
        total = len(loader.accepted) + len(poster.accepted) + IMAP_MAILS
        # Stored once each, and nothing else.
        self.assertEqual(len(ids), total)
        self.assertEqual(int(st.r.get("opd:seq")), total)

        def all_done():
            for tid in ids:
                if not all(st.r.hmget("opd:t:{" + tid + "}", "team", "fr_due", "res_due", "armed_at")):
                    return False
            return True
        st.wait_for(all_done, timeout=120, interval=0.5, what="every ticket routed and armed")
        self.assertEqual(st.r.zcard("opd:unrouted"), 0)
        self.assertEqual(st.r.zcard("opd:slo:work"), 0)

        tag = re.compile(r"\[(OPD-\d+)\]")

        def acks():
            seen = collections.Counter()
            for m in st.smtp.messages:
                found = tag.search(m["data"])
                if found:
                    seen[found.group(1)] += 1
            return seen
        st.wait_for(lambda: set(acks()) >= ids, timeout=180, interval=0.5,
                    what="an acknowledgement for every ticket")
        counts = acks()
        self.assertEqual(set(counts), ids)
        self.assertEqual(sum(counts.values()), len(ids), "an acknowledgement was sent twice")
        self.assertEqual(st.r.llen("opd:outbox:ready") + st.r.llen("opd:outbox:busy"), 0)
        # The webhook, rebuilt at every notifier reload, got every creation once.
        st.wait_for(lambda: len(hook.received) >= total, timeout=60, interval=0.5,
                    what="a webhook POST for every ticket")
        hooked = [json.loads(b)["ticket_id"] for _, _, b in hook.received]
        self.assertEqual(sorted(hooked), sorted(ids))
        # And SIGTERM stops each one cleanly.
        for name in STORM:
            self.assertEqual(st.stop(name), 0, "%s:\n%s" % (name, st.log(name)[-3000:]))


class SignalTest(unittest.TestCase):
    def test_notifier_with_a_webhook_survives_a_sighup_storm(self):
        hook = HookServer()
        self.addCleanup(hook.close)
        cfg = harness.copy_config()
        cfg["notifications"]["webhooks"] = [{"url": hook.url, "topics": ["ticket."], "secret": "k"}]
        with Stack(["intake", "notifier"], config=cfg) as st:
            notifier = st.procs["notifier"]
            for i in range(5):
                st.submit(st.message(subject="Before the storm %d" % i))
            sent = hup_storm([notifier], seconds=6, per_second=1000)
            self.assertGreater(sent, 200)
            self.assertIsNone(notifier.poll(), st.log("notifier")[-3000:])
            # Its webhook actor still delivers.
            tid = st.submit(st.message(subject="After the storm"))["ticket_id"]
            st.wait_for(lambda: any(tid.encode() in b for _, _, b in hook.received), timeout=20,
                        what="the webhook to get the new ticket")
            self.assertIn("configuration reloaded", st.log("notifier"))
            self.assertEqual(st.stop("notifier"), 0, st.log("notifier")[-3000:])
            self.assertNotIn("dangling", st.log("notifier"))

    def test_intake_keeps_publishing_live_events_after_many_sighups(self):
        with Stack(["intake"]) as st:
            intake = st.procs["intake"]
            for _ in range(60):
                intake.send_signal(signal.SIGHUP)
                time.sleep(0.03)
            time.sleep(0.5)
            self.assertIsNone(intake.poll(), st.log("intake")[-3000:])
            sub = st.subscribe("ticket.created")
            for i in range(3):
                tid = st.submit(st.message(subject="Live after reloads %d" % i))["ticket_id"]
                ev = sub.wait(lambda t, e: e.get("ticket_id") == tid, timeout=5)
                self.assertIsNotNone(ev, "no live ticket.created for %s" % tid)
            # The events socket was never given up, so never bound again.
            self.assertNotIn("cannot bind", st.log("intake"))
            self.assertEqual(st.stop("intake"), 0)


    def test_intake_retries_an_events_port_in_use_then_publishes(self):
        with Stack([]) as st:
            squatter = socket.socket()
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", st.events_port))
            squatter.listen(1)
            st.start("intake")  # takes requests meanwhile
            st.submit(st.message(subject="While the events port is taken"))
            time.sleep(1.0)
            self.assertEqual(st.log("intake").count("cannot bind socket=events"), 1)
            squatter.close()
            st.wait_for(lambda: "events socket bound" in st.log("intake"), timeout=10,
                        what="the relay to bind once the port is free")
            sub = st.subscribe("ticket.created")
            tid = st.submit(st.message(subject="Live again"))["ticket_id"]
            self.assertIsNotNone(sub.wait(lambda t, e: e.get("ticket_id") == tid, timeout=5))
            self.assertEqual(st.log("intake").count("cannot bind socket=events"), 1)

    def test_every_program_answers_help_and_version(self):
        for name in STORM + ["mailgate"]:
            binary = os.path.join(harness.BIN, "opdesk-" + name)
            for arg, want in (("--help", "usage: opdesk-" + name), ("--version", "opdesk-" + name + " ")):
                p = subprocess.run([binary, arg], capture_output=True, text=True, timeout=10)
                self.assertEqual(p.returncode, 0, "%s %s" % (name, arg))
                self.assertIn(want, p.stdout, "%s %s" % (name, arg))

    def test_a_service_started_with_sighup_ignored_still_reloads(self):
        # nohup and some supervisors start programs with SIGHUP ignored; a
        # signal ignored would never reach the signalfd.
        with Stack([]) as st:
            log = open(st.log_path("router"), "a")
            p = subprocess.Popen([os.path.join(harness.BIN, "opdesk-router"), "--config", st.config_path],
                                 stdout=log, stderr=subprocess.STDOUT,
                                 preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
            log.close()
            st.procs["router"] = p
            st.wait_for(lambda: " ready" in st.log("router"), what="the router to be ready")
            p.send_signal(signal.SIGHUP)
            st.wait_for(lambda: "configuration reloaded" in st.log("router"), timeout=5,
                        what="the router to reload")
            started = time.time()
            self.assertEqual(st.stop("router"), 0)
            self.assertLess(time.time() - started, 2)

    def test_mailgate_stopped_by_its_mta_asks_for_a_retry_at_once(self):
        # No intake: the mail-gate would wait for it; a SIGTERM from the MTA
        # (a time limit) ends it at once with 75, and the MTA keeps the mail.
        with Stack([], smtp=False) as st:
            mail = (b"From: a@example.com\r\nTo: desk@example.org\r\nSubject: hi\r\n"
                    b"Message-ID: <sigterm-1@example.com>\r\n\r\nhello\r\n")
            p = subprocess.Popen([os.path.join(harness.BIN, "opdesk-mailgate"), "--config", st.config_path],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            p.stdin.write(mail)
            p.stdin.close()
            time.sleep(0.5)
            started = time.time()
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(10), 75)
            self.assertLess(time.time() - started, 2)


if __name__ == "__main__":
    unittest.main()
