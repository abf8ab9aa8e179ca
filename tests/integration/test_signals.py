"""Signals (issue 8): SIGHUP and SIGTERM reach only the main loop of each
program, so a storm of SIGHUPs never interrupts a blocking wait in a thread
or an actor, never kills a process and never loses work."""
import signal
import time
import unittest

import harness
from harness import Stack
from test_notifier import HookServer


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


if __name__ == "__main__":
    unittest.main()
