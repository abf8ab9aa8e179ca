"""CURVE on the intake and events sockets, with the real opdesk-intake and
opdesk-router and real ZeroMQ sockets (pyzmq as the outside adapters).

Keys are made with `opdesk keygen` (and one with pyzmq's own
create_certificates, which writes no metadata name). Each test says what
it proves; the refusals are checked to leave nothing behind in Redis."""
import http.client
import json
import os
import shutil
import subprocess
import time
import unittest

import msgpack
import zmq
import zmq.auth

import harness
from harness import Stack, copy_config

EXAMPLE = os.path.join(harness.SOURCE, "proto", "examples", "adapter_curve.py")
REFUSED_WAIT = 2.0  # seconds a refused client waits for a reply that never comes


def state(st):
    """Everything a request could have written: keys, counter, event count."""
    return (sorted(st.r.keys("*")), st.r.get("opd:seq"), st.r.xlen("opd:events"))


class Keys:
    """A key folder (KEYS) and intake's allow-list (CLIENTS) in tmp."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "keys")
        self.clients = os.path.join(tmp, "clients")
        os.makedirs(self.dir)
        os.makedirs(self.clients)

    def make(self, name, allow=False):
        """A key pair by `opdesk keygen`; its public file copied to the allow-list."""
        p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "keygen", name, "--dir", self.dir],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        if allow:
            self.allow(name)
        return self.secret(name)

    def allow(self, name, as_name=None):
        shutil.copy(self.public(name), os.path.join(self.clients, (as_name or name) + ".key"))

    def public(self, name):
        return os.path.join(self.dir, name + ".key")

    def secret(self, name):
        return os.path.join(self.dir, name + ".key_secret")


def curve_config(keys):
    cfg = copy_config()
    cfg["log_level"] = "debug"  # the router says when its doorbell rang
    cfg["curve"] = {"server_secret_file": keys.secret("server"),
                    "server_public_file": keys.public("server"),
                    "clients_dir": keys.clients,
                    "client_secret_file": keys.secret("opdesk")}
    return cfg


class CurveTest(unittest.TestCase):
    """One stack (intake and router with CURVE) shared by the tests."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="opdesk-curve-")
        keys = cls.keys = Keys(cls.tmp)
        keys.make("server")
        keys.make("opdesk", allow=True)  # the deployment's own services and adapters
        keys.make("chat", allow=True)    # an outside adapter
        keys.make("stranger")            # a key intake never heard of
        # A pyzmq key pair without metadata: its file name names it.
        zmq.auth.create_certificates(keys.dir, "pyadapter")
        keys.allow("pyadapter")
        cls.stack = Stack(["intake", "router", "web"], config=curve_config(keys))
        cls.st = cls.stack.__enter__()
        cls.server_public, _ = zmq.auth.load_certificate(keys.public("server"))

    @classmethod
    def tearDownClass(cls):
        cls.stack.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # --- helpers ------------------------------------------------------------
    def socket(self, kind, key=None):
        """A socket of kind, CURVE client with key (a secret certificate), or plaintext."""
        s = self.st.ctx.socket(kind)
        s.linger = 0
        if key:
            public, secret = zmq.auth.load_certificate(key)
            s.curve_publickey, s.curve_secretkey = public, secret
            s.curve_serverkey = self.server_public
        self.addCleanup(s.close, 0)
        return s

    def submit(self, sock, msg, timeout=10.0):
        """The reply map, or None when none came within timeout seconds."""
        sock.send(msgpack.packb(msg, use_bin_type=True))
        if not sock.poll(int(timeout * 1000)):
            return None
        return msgpack.unpackb(sock.recv(), raw=False)

    def intake(self, key=None):
        s = self.socket(zmq.REQ, key)
        s.connect(self.st.config["endpoints"]["intake"])
        return s

    def subscriber(self, key=None):
        s = self.socket(zmq.SUB, key)
        s.setsockopt(zmq.SUBSCRIBE, b"ticket.created")
        s.connect(self.st.config["endpoints"]["events"])
        return s

    def created_history(self, tid):
        for raw in self.st.r.lrange("opd:t:{%s}:h" % tid, 0, -1):
            h = json.loads(raw)
            if h["action"] == "created":
                return h
        self.fail("no created history entry on " + tid)

    # --- tests ----------------------------------------------------------------
    def test_allow_listed_key_is_accepted_and_recorded_as_submitter(self):
        # A submitted_by inside the message is never believed.
        msg = self.st.message(channel="chat", submitted_by="mallory")
        reply = self.submit(self.intake(self.keys.secret("chat")), msg)
        self.assertIsNotNone(reply, "intake did not answer an allow-listed key")
        self.assertEqual(reply["type"], "intake.accepted", reply)
        tid = reply["ticket_id"]
        self.assertEqual(self.st.ticket(tid)["submitted_by"], "chat")
        self.assertEqual(self.created_history(tid)["details"]["submitted_by"], "chat")
        shown = self.st.cli_json("show", tid)
        self.assertEqual(shown["submitted_by"], "chat")

    def test_key_without_metadata_is_named_by_its_file(self):
        reply = self.submit(self.intake(os.path.join(self.keys.dir, "pyadapter.key_secret")),
                            self.st.message(channel="chat"))
        self.assertEqual(reply["type"], "intake.accepted", reply)
        self.assertEqual(self.st.ticket(reply["ticket_id"])["submitted_by"], "pyadapter")

    def test_unknown_key_is_refused_and_nothing_is_stored(self):
        # Fails when zauth is not started: a CURVE server without a ZAP
        # handler lets every key in.
        before = state(self.st)
        reply = self.submit(self.intake(self.keys.secret("stranger")), self.st.message(),
                            timeout=REFUSED_WAIT)
        self.assertIsNone(reply, "intake answered a key that is not allow-listed")
        self.assertEqual(state(self.st), before, "a refused client changed Redis")
        # The operator learns of it without log_level debug.
        self.st.wait_for(lambda: "curve refused clients socket=intake key_not_allowed="
                         in self.st.log("intake"), what="intake to log the refusal")

    def test_plaintext_client_is_refused(self):
        before = state(self.st)
        reply = self.submit(self.intake(None), self.st.message(), timeout=REFUSED_WAIT)
        self.assertIsNone(reply, "intake answered a plaintext client")
        self.assertEqual(state(self.st), before, "a refused client changed Redis")

    def test_in_tree_pipeline_works_end_to_end(self):
        # opdesk submit (opd_intake_client with the deployment's key) ->
        # intake -> ticket.created over the CURVE events socket -> the
        # router's doorbell -> routed.
        router_log_at = len(self.st.log("router"))
        p = self.st.cli("submit", "--subject", "VPN is down", "--email", "rita@example.com", "--json")
        tid = json.loads(p.stdout)["ticket_id"]
        t = self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at") and self.st.ticket(tid),
                             what="the ticket to be routed")
        self.assertEqual(t["team"], "network")
        self.assertEqual(t["submitted_by"], "opdesk")
        self.st.wait_for(lambda: "doorbell rang" in self.st.log("router")[router_log_at:],
                         what="the router to hear ticket.created over CURVE")

    def test_mailgate_and_web_submit_with_the_deployment_key(self):
        # opdesk-mailgate links libzmq without czmq: its keys come from the
        # same reader.
        mail = ("From: rita@example.com\r\nTo: servicedesk@example.org\r\n"
                "Subject: Laptop broken\r\nMessage-ID: <curve-%d@example.com>\r\n"
                "Content-Type: text/plain\r\n\r\nIt does not boot.\r\n" % time.time_ns())
        p = subprocess.run([os.path.join(harness.BIN, "opdesk-mailgate"), "--config",
                            self.st.config_path], input=mail.encode(), capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        tid = self.st.r.get("opd:seq")
        t = self.st.ticket("OPD-" + tid)
        self.assertEqual((t["channel"], t["submitted_by"]), ("email", "opdesk"))

        conn = http.client.HTTPConnection("127.0.0.1", self.st.http_port, timeout=30)
        self.addCleanup(conn.close)
        conn.request("POST", "/api/v1/tickets", json.dumps(
            {"subject": "Printer jammed", "requester": {"email": "rita@example.com"}}),
            {"Authorization": "Bearer change-me-agent", "Content-Type": "application/json"})
        r = conn.getresponse()
        body = json.loads(r.read())
        self.assertEqual(r.status, 201, body)
        self.assertEqual(self.st.ticket(body["id"])["submitted_by"], "opdesk")
        # /healthz sees intake alive (its heartbeat), CURVE or not.
        conn.request("GET", "/healthz")
        health = json.loads(conn.getresponse().read())
        self.assertNotIn("intake", health.get("down", []), health)

    def test_mailgate_with_a_refused_key_defers_the_mail(self):
        # Refusal looks like an intake that is down: exit 75, the MTA keeps
        # the mail and tries again; nothing is stored.
        cfg = json.loads(json.dumps(self.st.config))
        cfg["curve"]["client_secret_file"] = self.keys.secret("stranger")
        path = os.path.join(self.tmp, "stranger.yaml")
        with open(path, "w") as f:
            json.dump(cfg, f)
        def tickets():  # mailgate's own rate counter may move; no ticket may.
            # Events of earlier tickets may still come (routed, clocks armed):
            # only which tickets have events counts.
            ids = {ev.get("ticket_id") for _, ev in self.st.events_history()}
            return (self.st.r.get("opd:seq"), sorted(i for i in ids if i),
                    sorted(self.st.r.keys("opd:t:*")))
        before = tickets()
        mail = (b"From: rita@example.com\r\nTo: servicedesk@example.org\r\nSubject: Hello\r\n"
                b"Message-ID: <refused@example.com>\r\n\r\nHi\r\n")
        p = subprocess.run([os.path.join(harness.BIN, "opdesk-mailgate"), "--config", path],
                           input=mail, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertEqual(tickets(), before)

    def test_python_example_adapter_is_accepted(self):
        p = subprocess.run(
            ["/usr/bin/python3", EXAMPLE, "--endpoint", self.st.config["endpoints"]["intake"],
             "--key", self.keys.secret("chat"), "--server-key", self.keys.public("server"),
             "--subject", "Printer jammed"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        reply = json.loads(p.stdout)
        self.assertEqual(reply["type"], "intake.accepted")
        self.assertEqual(self.st.ticket(reply["ticket_id"])["submitted_by"], "chat")
        # The same example with a key intake does not know gets no answer.
        p = subprocess.run(
            ["/usr/bin/python3", EXAMPLE, "--endpoint", self.st.config["endpoints"]["intake"],
             "--key", self.keys.secret("stranger"), "--server-key", self.keys.public("server"),
             "--timeout", str(REFUSED_WAIT)],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)

    def test_events_subscriber_with_unknown_key_receives_nothing(self):
        good = self.subscriber(self.keys.secret("chat"))
        stranger = self.subscriber(self.keys.secret("stranger"))
        plain = self.subscriber(None)
        time.sleep(0.5)  # the slow joiner: let the subscriptions reach the publisher
        reply = self.submit(self.intake(self.keys.secret("chat")), self.st.message())
        tid = reply["ticket_id"]
        self.assertTrue(good.poll(5000), "an allow-listed subscriber got no event")
        topic, body = good.recv_multipart()
        self.assertEqual(topic, b"ticket.created")
        self.assertEqual(msgpack.unpackb(body, raw=False)["ticket_id"], tid)
        self.assertFalse(stranger.poll(1000), "a subscriber with an unknown key got an event")
        self.assertFalse(plain.poll(100), "a plaintext subscriber got an event")
        self.st.wait_for(lambda: "curve refused clients socket=events" in self.st.log("intake"),
                         what="intake to log the refused subscribers")

    def test_removed_key_is_refused_after_sighup_even_when_connected(self):
        self.keys.make("temp", allow=True)
        connected = self.intake(self.keys.secret("temp"))
        reply = self.submit(connected, self.st.message())
        self.assertEqual(reply["type"], "intake.accepted", reply)
        # Routed first, so that the router's own write is not taken for one
        # of the refused requests below.
        self.st.wait_for(lambda: self.st.ticket(reply["ticket_id"]).get("routed_at"), what="routing")
        reads = self.st.log("intake").count("curve allow-list read")
        os.remove(os.path.join(self.keys.clients, "temp.key"))
        self.st.procs["intake"].send_signal(__import__("signal").SIGHUP)
        self.st.wait_for(lambda: self.st.log("intake").count("curve allow-list read") > reads,
                         what="intake to read the allow-list again")
        before = state(self.st)
        self.assertIsNone(self.submit(connected, self.st.message(), timeout=REFUSED_WAIT),
                          "a connection outlived the removal of its key")
        self.assertIsNone(self.submit(self.intake(self.keys.secret("temp")), self.st.message(),
                                      timeout=REFUSED_WAIT), "a removed key connected anew")
        self.assertEqual(state(self.st), before)


class CurveStartTest(unittest.TestCase):
    """What intake does with a curve block it cannot serve."""

    def test_intake_without_server_secret_exits_naming_the_key(self):
        import tempfile
        tmp = tempfile.mkdtemp(prefix="opdesk-curve-")
        self.addCleanup(shutil.rmtree, tmp, True)
        keys = Keys(tmp)
        keys.make("server")
        keys.make("opdesk", allow=True)
        cfg = curve_config(keys)
        del cfg["curve"]["server_secret_file"], cfg["curve"]["clients_dir"]
        with Stack([], config=cfg, smtp=False) as st:
            p = st.start("intake", wait=False)
            self.assertNotEqual(p.wait(15), 0)
            self.assertIn("curve.server_secret_file", st.log("intake"))
            st.procs.pop("intake")


if __name__ == "__main__":
    unittest.main()
