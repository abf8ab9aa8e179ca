"""opdesk-intake through its real socket: CONTRACT.md sections 3, 4 and 8.

Runs the real opdesk-intake binary against a private Redis with the harness.
Every rejection is checked to leave nothing behind: no ticket, no key, no
event, no counter moved.
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import msgpack
import zmq

import harness
from harness import Stack


def state(st):
    """Everything a request could have written: keys, counter, event count."""
    return (sorted(st.r.keys("*")), st.r.get("opd:seq"), st.r.xlen("opd:events"))


class IntakeTest(unittest.TestCase):
    """Tests that share one stack (each leaves it serving)."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(["intake"])
        cls.st = cls.stack.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.stack.__exit__(None, None, None)

    def submit(self, **over):
        return self.st.submit(self.st.message(**over))

    def assert_accepted(self, reply, created=True):
        self.assertEqual(reply.get("type"), "intake.accepted", reply)
        self.assertEqual(reply["v"], 1)
        self.assertEqual(reply["created"], created, reply)
        self.assertRegex(reply["ticket_id"], r"^OPD-\d+$")
        return reply["ticket_id"]

    def assert_rejected_and_nothing_stored(self, frame, code, key=None):
        before = state(self.st)
        reply = self.st.submit_raw(frame)
        self.assertEqual(reply.get("type"), "intake.rejected", reply)
        self.assertEqual(reply["v"], 1)
        self.assertEqual(reply["code"], code, reply)
        self.assertTrue(reply["error"])
        if key:
            self.assertIn(key, reply["error"], reply)
        self.assertEqual(state(self.st), before, "a rejected request changed Redis")
        return reply

    # --- accepted ---------------------------------------------------------
    def test_accepted_is_stored_before_the_answer(self):
        st = self.st
        msg = st.message(subject="Printer on floor 3 is jammed", body="Error 42.",
                         received_at=int(time.time() * 1000) - 60000,
                         attachments=[{"name": "photo.jpg", "content_type": "image/jpeg",
                                       "size": 1234}])
        reply = st.submit(msg)
        tid = self.assert_accepted(reply)
        # No waiting: accepted means stored.
        t = st.ticket(tid)
        self.assertEqual(t["id"], tid)
        self.assertEqual(t["status"], "new")
        self.assertEqual(t["kind"], "incident")
        self.assertEqual(t["channel"], "api")
        self.assertEqual(t["external_id"], msg["external_id"])
        self.assertEqual(t["subject"], "Printer on floor 3 is jammed")
        self.assertEqual(t["body"], "Error 42.")
        self.assertEqual(t["req_email"], "rita@example.com")
        self.assertEqual(t["req_name"], "Rita Requester")
        self.assertEqual(int(t["received_at"]), msg["received_at"])
        self.assertIn("photo.jpg", t["attachments"])
        self.assertNotIn("priority", t)
        self.assertIsNotNone(st.r.zscore("opd:unrouted", tid))
        self.assertEqual(st.r.hget("opd:idem:api:" + msg["external_id"], "id"), tid)

    def test_repeat_returns_the_same_ticket_and_changes_nothing(self):
        st = self.st
        msg = st.message()
        tid = self.assert_accepted(st.submit(msg))
        before = state(st)
        ticket = st.ticket(tid)
        for changed in ({}, {"subject": "Something else entirely", "priority": "P1"}):
            again = dict(msg, **changed)
            self.assertEqual(self.assert_accepted(st.submit(again), created=False), tid)
            self.assertEqual(state(st), before)
            self.assertEqual(st.ticket(tid), ticket)
        # The same external_id from another channel is another message.
        other = self.assert_accepted(st.submit(dict(msg, channel="web")))
        self.assertNotEqual(other, tid)

    def comments(self, tid):
        import json
        return [json.loads(c) for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]

    def test_reply_to_ticket_id_is_a_comment(self):
        st = self.st
        tid = self.assert_accepted(self.submit())
        seq = st.r.get("opd:seq")
        reply = st.message(reply_to=tid, subject="Re: Printer", body="It is still jammed.")
        self.assertEqual(self.assert_accepted(st.submit(reply), created=False), tid)
        self.assertEqual(st.r.get("opd:seq"), seq)
        comments = self.comments(tid)
        self.assertEqual(len(comments), 1)
        self.assertEqual(comments[0]["body"], "It is still jammed.")
        self.assertEqual(comments[0]["role"], "requester")
        self.assertTrue(comments[0]["public"])
        self.assertEqual(st.ticket(tid)["status"], "new")
        # The reply itself is idempotent too.
        self.assertEqual(self.assert_accepted(st.submit(reply), created=False), tid)
        self.assertEqual(len(self.comments(tid)), 1)
        # A ticket id typed in lower case is the same ticket.
        lower = st.message(reply_to=tid.lower(), body="Still.")
        self.assertEqual(self.assert_accepted(st.submit(lower), created=False), tid)
        self.assertEqual(len(self.comments(tid)), 2)

    def test_reply_to_external_id_of_another_channel(self):
        st = self.st
        mail_id = "<first-%d@mail.example.org>" % time.time_ns()
        tid = self.assert_accepted(self.submit(channel="email", external_id=mail_id))
        seq = st.r.get("opd:seq")
        reply = st.message(channel="web", reply_to=mail_id, body="Any news?")
        self.assertEqual(self.assert_accepted(st.submit(reply), created=False), tid)
        self.assertEqual(st.r.get("opd:seq"), seq)
        self.assertEqual([c["body"] for c in self.comments(tid)], ["Any news?"])
        # A Message-ID is the same id with or without its angle brackets
        # (opdesk-email stores it without): either form threads, and a
        # repeat in the other form is a repeat.
        bare = mail_id[1:-1]
        again = st.message(channel="phone", reply_to=bare, body="Hello?")
        self.assertEqual(self.assert_accepted(st.submit(again), created=False), tid)
        self.assertEqual(self.assert_accepted(self.submit(channel="email", external_id=bare), created=False), tid)
        self.assertEqual(st.r.get("opd:seq"), seq)
        # An older desk stored the brackets: its keys are still found.
        legacy = "<legacy-%d@mail.example.org>" % time.time_ns()
        st.r.hset("opd:idem:email:" + legacy, "id", tid)
        st.r.set("opd:ext:" + legacy, tid)
        self.assertEqual(self.assert_accepted(self.submit(channel="email", external_id=legacy), created=False), tid)
        self.assertEqual(self.assert_accepted(st.submit(st.message(channel="phone", reply_to=legacy[1:-1])),
                                              created=False), tid)
        self.assertEqual(st.r.get("opd:seq"), seq)

    def test_reply_to_resolved_ticket_reopens_it(self):
        st = self.st
        tid = self.assert_accepted(self.submit())
        self.assertEqual(harness.run_script(st, "update", tid, "alice", "", "", "status",
                                            "resolved")[0], "ok")
        self.assertEqual(st.ticket(tid)["status"], "resolved")
        sub = st.subscribe("ticket.reopened")
        self.assertEqual(self.assert_accepted(st.submit(st.message(reply_to=tid, body="Broken again")),
                                              created=False), tid)
        t = st.ticket(tid)
        self.assertEqual(t["status"], "open")
        self.assertNotIn("resolved_at", t)
        self.assertIsNone(st.r.zscore("opd:idx:status:resolved", tid))
        self.assertIsNotNone(st.r.zscore("opd:idx:status:open", tid))
        ev = sub.wait(lambda topic, e: e.get("ticket_id") == tid)
        self.assertIsNotNone(ev, "no ticket.reopened event")

    def test_reply_to_closed_ticket_opens_a_linked_ticket(self):
        st = self.st
        tid = self.assert_accepted(self.submit())
        for s in ("resolved", "closed"):
            self.assertEqual(harness.run_script(st, "update", tid, "alice", "", "", "status", s)[0],
                             "ok")
        new = self.assert_accepted(st.submit(st.message(reply_to=tid, body="Again")), created=True)
        self.assertNotEqual(new, tid)
        self.assertEqual(st.ticket(new)["linked_to"], tid)
        self.assertEqual(st.ticket(tid)["status"], "closed")
        self.assertEqual(self.comments(tid), [])

    def test_unknown_reply_to_is_a_new_ticket(self):
        st = self.st
        new = self.assert_accepted(st.submit(st.message(reply_to="<never-seen@example.org>")),
                                   created=True)
        self.assertNotIn("linked_to", st.ticket(new))
        new2 = self.assert_accepted(st.submit(st.message(reply_to="OPD-999999")), created=True)
        self.assertNotEqual(new, new2)

    def test_sender_check_knows_the_requester_participants_and_strangers(self):
        st = self.st
        tid = self.assert_accepted(self.submit(participants=["cc@example.com"],
                                               requester={"name": "Pat", "email": "pat@example.com",
                                                          "phone": "+442079460009"}))

        def reply(**requester):
            return st.submit(st.message(reply_to=tid, sender_check=True, requester=requester, body="more"))
        # The requester by mail (any case) or by phone alone, and a participant.
        self.assertEqual(self.assert_accepted(reply(email="PAT@example.com"), created=False), tid)
        self.assertEqual(self.assert_accepted(reply(phone="+442079460009"), created=False), tid)
        self.assertEqual(self.assert_accepted(reply(email="cc@example.com"), created=False), tid)
        self.assertEqual(len(self.comments(tid)), 3)
        # An agent's address, which nothing proved: on the ticket, as an
        # internal note the requester never gets (decision 184).
        self.assertEqual(self.assert_accepted(reply(email="Alice@example.org"), created=False), tid)
        note = json.loads(st.r.lindex("opd:t:{%s}:c" % tid, -1))
        self.assertEqual((note["author"], note["role"], note["public"]), ("Alice@example.org", "agent", False))
        self.assertNotIn("first_reply_at", st.ticket(tid))  # no first response
        # Anyone else: a new ticket linked to the one named.
        for other in ({"email": "mallory@example.net"}, {"phone": "+442079460010"}):
            new = self.assert_accepted(reply(**other), created=True)
            self.assertEqual(st.ticket(new)["linked_to"], tid)
        self.assertEqual(len(self.comments(tid)), 4)

    # --- rejected ---------------------------------------------------------
    def test_invalid_names_the_key(self):
        st = self.st
        pack = lambda m: msgpack.packb(m, use_bin_type=True)
        cases = [
            (st.message(requester={"name": "No Address"}), "requester.email"),
            (st.message(requester={"phone": "020 7946 0000"}), "requester.phone"),
            (st.message(subject=""), "subject"),
            (st.message(subject="x" * 501), "subject"),
            (st.message(category="hardware/phone"), "category"),
            (st.message(request_type="new-phone"), "request_type"),
            (st.message(request_type="new-laptop", fields={"cost_centre": "12AB",
                                                          "model": "standard"}),
             "fields.cost_centre"),
            (st.message(request_type="new-laptop", fields={"cost_centre": "123456",
                                                          "model": "gaming"}),
             "fields.model"),
            (st.message(received_at=int(time.time() * 1000) + 10 * 60 * 1000), "received_at"),
            (st.message(channel="Web Form"), "channel"),
            ({k: v for k, v in st.message().items() if k != "external_id"}, "external_id"),
        ]
        for msg, key in cases:
            with self.subTest(key=key):
                reply = self.assert_rejected_and_nothing_stored(pack(msg), "invalid", key)
                self.assertEqual(reply.get("key"), key)
        # Invalid UTF-8 anywhere, nested included.
        frame = bytearray(pack(st.message(requester={"name": "R\u00e9", "email": "r@example.org"})))
        i = frame.index("R\u00e9".encode())
        frame[i + 2] = 0x28  # breaks the two-byte sequence
        self.assert_rejected_and_nothing_stored(bytes(frame), "invalid", "requester.name")

    def test_too_large_body_and_frame(self):
        st = self.st
        self.assert_rejected_and_nothing_stored(
            msgpack.packb(st.message(body="b" * (1048576 + 1))), "too_large")
        # Under the body limit, over the frame limit (2 MiB) through an unknown key.
        self.assert_rejected_and_nothing_stored(
            msgpack.packb(st.message(body="b" * 1000000, x_extra="x" * 1200000)), "too_large")
        # Far over it (four times the limit and more): still an answer.
        self.assert_rejected_and_nothing_stored(
            msgpack.packb(st.message(x_extra="x" * (9 * 1024 * 1024))), "too_large")
        # Exactly at the body limit is fine.
        self.assert_accepted(st.submit(st.message(body="b" * 1048576)))

    def test_unsupported_version(self):
        for v in (2, 0, 99):
            self.assert_rejected_and_nothing_stored(
                msgpack.packb(self.st.message(v=v)), "unsupported_version")

    def test_malformed_msgpack_is_invalid_and_intake_keeps_serving(self):
        st = self.st
        frames = [
            b"\xdd\xff\xff\xff\xff",  # array32 of 2^32-1: 96 GB of objects to a naive decoder
            b"\xdb\xff\xff\xff\xff",  # str32 of 4 GB
            b"\xdf\xff\xff\xff\xff",  # map32
            b"\xc9\xff\xff\xff\xff\x01",  # ext32
            b"\xc1",  # reserved
            b"\x91" * 20 + b"\x90",  # nested too deeply
            msgpack.packb(st.message())[:-3],  # truncated
            msgpack.packb(st.message()) + b"\x00",  # trailing byte
            b"",  # empty
            b"not msgpack at all",
            msgpack.packb([1, 2, 3]),  # not a map
        ]
        for f in frames:
            with self.subTest(frame=f[:12]):
                self.assert_rejected_and_nothing_stored(f, "invalid")
        self.assert_accepted(st.submit(st.message()))

    def test_dealer_with_empty_delimiter(self):
        st = self.st
        d = st.ctx.socket(zmq.DEALER)
        d.setsockopt(zmq.LINGER, 0)
        d.connect(st.config["endpoints"]["intake"])
        try:
            for i in range(3):
                d.send_multipart([b"", msgpack.packb(st.message())])
            replies = []
            for i in range(3):
                self.assertTrue(d.poll(10000), "no answer to a DEALER")
                parts = d.recv_multipart()
                self.assertEqual(len(parts), 2)
                self.assertEqual(parts[0], b"")
                replies.append(msgpack.unpackb(parts[1], raw=False))
            ids = {self.assert_accepted(r) for r in replies}
            self.assertEqual(len(ids), 3)
        finally:
            d.close(0)

    # --- events -----------------------------------------------------------
    def test_ticket_created_event(self):
        st = self.st
        sub = st.subscribe("ticket.created")
        cases = [
            ({}, None, "incident"),
            ({"priority": "P2", "channel": "email"}, "P2", "incident"),
            ({"impact": "high", "urgency": "medium"}, "P2", "incident"),
            ({"request_type": "new-laptop",
              "fields": {"cost_centre": "123456", "model": "standard"}}, None, "service_request"),
        ]
        for over, priority, kind in cases:
            with self.subTest(over=over):
                t0 = int(time.time() * 1000)
                tid = self.assert_accepted(self.submit(**over))
                ev = sub.wait(lambda topic, e: e.get("ticket_id") == tid)
                self.assertIsNotNone(ev, "no ticket.created for %s" % tid)
                topic, e = ev
                self.assertEqual(topic, "ticket.created")
                self.assertEqual(e["v"], 1)
                self.assertEqual(e["type"], "ticket.created")
                self.assertEqual(e["channel"], over.get("channel", "api"))
                self.assertIn("priority", e)
                self.assertEqual(e["priority"], priority)
                self.assertEqual(e["kind"], kind)
                self.assertIsInstance(e["at"], int)
                self.assertGreaterEqual(e["at"], t0 - 1000)

    def test_missing_required_field_is_accepted_pending(self):
        st = self.st
        tid = self.assert_accepted(self.submit(request_type="new-laptop",
                                               fields={"model": "standard"}))
        t = st.ticket(tid)
        self.assertEqual(t["status"], "pending")
        self.assertEqual(t["missing"], '["cost_centre"]')
        self.assertEqual(t["kind"], "service_request")
        # Not armed yet (no opdesk-slo here): the resolution clock of a
        # pending ticket is paused from the start, the first response runs.
        slo = st.cli_json("show", tid)["slo"]
        self.assertEqual((slo["first_response"]["state"], slo["resolution"]["state"]), ("running", "paused"))


class IntakeLifecycleTest(unittest.TestCase):
    """Tests that stop Redis or reload the configuration: a stack each."""

    def test_unavailable_while_redis_is_down(self):
        with Stack(["intake"]) as st:
            first = st.submit(st.message())
            self.assertEqual(first["type"], "intake.accepted")
            before = state(st)
            st.stop_redis()
            lost = st.message()
            reply = st.submit(lost, timeout=20)
            self.assertEqual(reply["type"], "intake.rejected", reply)
            self.assertEqual(reply["code"], "unavailable")
            self.assertTrue(reply["error"])
            # Bad requests are still told what is wrong.
            self.assertEqual(st.submit(st.message(v=2))["code"], "unsupported_version")
            st.start_redis()
            # Nothing of the refused request was written, nothing else was lost.
            self.assertEqual(state(st), before)
            self.assertIsNone(st.r.hget("opd:idem:api:" + lost["external_id"], "id"))
            # Intake reconnects by itself; the same message is now a new ticket.
            reply = st.wait_for(lambda: (lambda r: r if r["type"] == "intake.accepted" else None)(
                st.submit(lost)), timeout=15, what="intake to accept again")
            self.assertTrue(reply["created"])
            self.assertNotEqual(reply["ticket_id"], first["ticket_id"])
            self.assertEqual(st.ticket(first["ticket_id"])["id"], first["ticket_id"])

    def test_the_first_request_after_a_redis_restart_is_accepted(self):
        # Redis restarts while intake is idle: its connection is dead, which
        # only the next command finds out. That request is sent again on a
        # new connection, not refused.
        with Stack(["intake"]) as st:
            self.assertEqual(st.submit(st.message())["type"], "intake.accepted")
            st.stop_redis()
            st.start_redis()
            for _ in range(3):
                reply = st.submit(st.message())
                self.assertEqual(reply["type"], "intake.accepted", reply)
                self.assertTrue(reply["created"])

    def test_sighup_reloads_and_keeps_the_old_configuration_when_broken(self):
        with Stack(["intake"]) as st:
            p = st.procs["intake"]
            # A valid change applies: a smaller body limit.
            st.config["limits"]["body_bytes"] = 10
            st.reconfigure()
            st.wait_for(lambda: "configuration reloaded" in st.log("intake"), what="reload")
            self.assertEqual(st.submit(st.message(body="x" * 11))["code"], "too_large")
            # A broken file is refused; the running configuration stays.
            with open(st.config_path, "w") as f:
                f.write("limits: {body_bytes: 10}\ncolour: blue\n")
            p.send_signal(signal.SIGHUP)
            st.wait_for(lambda: "reload refused" in st.log("intake"), what="refused reload")
            self.assertIn("colour", st.log("intake"))
            self.assertIsNone(p.poll())
            self.assertEqual(st.submit(st.message(body="x" * 11))["code"], "too_large")
            self.assertEqual(st.submit(st.message(body="x" * 5))["type"], "intake.accepted")


class IntakeCommandLineTest(unittest.TestCase):
    BIN = os.path.join(harness.BIN, "opdesk-intake")

    def run_intake(self, *args):
        return subprocess.run([self.BIN, *args], capture_output=True, text=True, timeout=30)

    def test_bad_configuration_exits_with_one_line_naming_the_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            cases = [
                ("ticket_prefix: OPD\ncolour: blue\n", "colour"),
                ("redis: {host: 127.0.0.1, port: 99999}\n", "redis.port"),
                ("calendars: {x: {timezone: UTC, hours: {wed: [\"08:00-12:00\", \"11:00-13:00\"]}}}\n",
                 "calendars.x.hours.wed"),
                ("redis: {host: [\n", "YAML"),
            ]
            for text, key in cases:
                with self.subTest(key=key):
                    path = os.path.join(tmp, "bad.yaml")
                    with open(path, "w") as f:
                        f.write(text)
                    p = self.run_intake("--config", path)
                    self.assertNotEqual(p.returncode, 0)
                    lines = p.stderr.strip().splitlines()
                    self.assertEqual(len(lines), 1, p.stderr)
                    self.assertIn(key, lines[0])
            p = self.run_intake("--config", os.path.join(tmp, "missing.yaml"))
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("missing.yaml", p.stderr)

    def test_help_and_version(self):
        p = self.run_intake("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--config", p.stdout)
        p = self.run_intake("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^opdesk-intake \d+\.\d+\.\d+")
        p = self.run_intake("--no-such-flag")
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
