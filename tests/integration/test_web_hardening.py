"""opdesk-web and opdesk-phone hardening (issue 8): what each role may set,
small leaks (404 timing, someone else's Idempotency-Key), the events cursor,
sessions and CSRF in the portal, limits on slow or greedy clients, SIGHUP
under load."""
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import threading
import time
import unittest
import urllib.parse

import harness

AGENT, LEAD, ADMIN = "change-me-agent", "change-me-lead", "change-me-admin"
RITA, SAM = "change-me-requester", "change-me-requester-sam"
FORM = "application/x-www-form-urlencoded"
PHONE_SECRET = "s3cret-phone"


def config():
    cfg = harness.copy_config()
    cfg["tokens"].append({"token": SAM, "role": "requester", "identity": "sam@example.com"})
    cfg["channels"] = {"phone": {"secret": PHONE_SECRET}}
    return cfg


def request(port, method, path, body=None, token=None, headers=None, timeout=15):
    """(status, parsed body, headers with lower-case names)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        text = data.decode("utf-8", "replace")
        if hdrs.get("content-type", "").startswith("application/json") and text:
            return r.status, json.loads(text), hdrs
        return r.status, text, hdrs
    finally:
        c.close()


class Base(unittest.TestCase):
    SERVICES = ["intake", "web"]

    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(cls.SERVICES, config=config())
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def call(self, method, path, body=None, token=AGENT, status=None, headers=None):
        code, value, hdrs = request(self.port, method, path, body, token, headers)
        if status is not None:
            self.assertEqual(code, status, "%s %s -> %s %s" % (method, path, code, value))
        self.last_headers = hdrs
        return value

    def create(self, token=AGENT, status=201, headers=None, **over):
        body = {"subject": "Printer jammed", "requester": {"email": "rita@example.com"}}
        body.update(over)
        return self.call("POST", "/api/v1/tickets", body, token, status, headers)

    def idem_keys(self):
        return set(self.st.r.keys("opd:idem:web:*"))


class RoleKeysTest(Base):
    """Task 1: which keys of a new ticket each role may set (one table)."""

    def refused(self, key, **body):
        before = self.idem_keys()
        err = self.create(token=RITA, status=403, headers={"Idempotency-Key": "rk-" + key}, **body)
        self.assertEqual(err["error"]["code"], "forbidden", err)
        self.assertEqual(err["error"]["key"], key, err)
        self.assertIn(key, err["error"]["message"])
        self.assertEqual(self.idem_keys(), before, "nothing of a refused request is stored")

    def test_requester_may_not_set_a_priority(self):
        self.refused("priority", priority="P1")

    def test_requester_may_not_set_the_received_time(self):
        self.refused("received_at", received_at="2000-01-01T00:00:00Z")

    def test_requester_may_not_set_what_adapters_and_agents_set(self):
        self.refused("suppress_ack", suppress_ack=True)
        self.refused("sender_check", sender_check=False)
        self.refused("participants", participants=["mallory@example.net"])
        self.refused("attachments", attachments=[{"name": "a.pdf", "content_type": "application/pdf",
                                                   "size": 1, "sha256": "0" * 64}])

    def test_requester_may_give_impact_and_urgency(self):
        t = self.create(token=RITA, impact="high", urgency="low", category="hardware/printer")
        self.assertEqual(t["requester"]["email"], "rita@example.com")

    def test_agent_may_set_priority_received_at_and_adapter_keys(self):
        t = self.create(priority="P1", received_at="2000-01-01T00:00:00Z", suppress_ack=True,
                        participants=["carol@example.com"])
        self.assertEqual(t["priority"], "P1")
        self.assertTrue(t["received_at"].startswith("2000-01-01"), t["received_at"])

    def test_unknown_keys_stay_422(self):
        err = self.create(token=RITA, status=422, colour="blue")
        self.assertEqual(err["error"]["key"], "colour")

    def test_requester_patch_and_comment_keys(self):
        tid = self.create()["id"]
        err = self.call("PATCH", "/api/v1/tickets/" + tid, {"priority": "P1"}, RITA, 403)
        self.assertEqual(err["error"]["key"], "priority")
        err = self.call("POST", "/api/v1/tickets/%s/comments" % tid,
                        {"body": "x", "standard_response": "vpn-basics"}, RITA, 403)
        self.assertEqual(err["error"]["key"], "standard_response")


class IdempotencyScopeTest(Base):
    """Task 2: someone else's Idempotency-Key never reveals their ticket."""

    def test_another_requesters_key_makes_a_ticket_of_ones_own(self):
        mine = self.create(token=RITA, headers={"Idempotency-Key": "shared-key-1"})
        again = self.create(token=RITA, headers={"Idempotency-Key": "shared-key-1"})
        self.assertEqual(again["id"], mine["id"])
        self.assertEqual(self.last_headers.get("idempotent-replayed"), "true")
        code, body, _ = request(self.port, "POST", "/api/v1/tickets",
                                {"subject": "Sam's own"}, SAM, {"Idempotency-Key": "shared-key-1"})
        self.assertEqual(code, 201, body)
        self.assertNotEqual(body["id"], mine["id"])
        self.assertNotIn(mine["id"], json.dumps(body))
        self.assertEqual(body["requester"]["email"], "sam@example.com")


class NotFoundSameWorkTest(Base):
    """Task 2: another requester's ticket and a missing one cost the same."""

    def commandstats(self):
        info = self.st.r.info("commandstats")
        return {k: v["calls"] for k, v in info.items()
                if k not in ("cmdstat_config", "cmdstat_info")}

    def measure(self, path, token):
        self.st.r.config_resetstat()
        code, body, _ = request(self.port, "GET", path, None, token)
        return code, body, self.commandstats()

    def test_404_of_anothers_ticket_does_the_same_work_as_a_missing_one(self):
        tid = self.create()["id"]  # Rita's
        self.st.stop("intake")  # nothing else talks to Redis now
        try:
            code_a, body_a, stats_a = self.measure("/api/v1/tickets/" + tid, SAM)
            code_b, body_b, stats_b = self.measure("/api/v1/tickets/OPD-999999", SAM)
            self.assertEqual((code_a, code_b), (404, 404))
            self.assertEqual(json.dumps(body_a).replace(tid, "ID"),
                             json.dumps(body_b).replace("OPD-999999", "ID"))
            self.assertEqual(stats_a, stats_b)
            # The owner still gets it.
            code, body, _ = request(self.port, "GET", "/api/v1/tickets/" + tid, None, RITA)
            self.assertEqual(code, 200, body)
        finally:
            self.st.start("intake")


class EventsCursorTest(Base):
    """Task 6: an absurd cursor is 400 with the error body, not 503."""

    def test_absurd_cursors_are_400(self):
        for since in ("99999999999999999999-0", "18446744073709551616-0", "1-18446744073709551616",
                      "-1", "1--1", "1-", "abc", "1-2-3"):
            err = self.call("GET", "/api/v1/events?since=" + urllib.parse.quote(since), status=400)
            self.assertEqual(err["error"]["code"], "bad_request", since)
            self.assertEqual(err["error"]["key"], "since")

    def test_the_largest_cursor_is_valid_and_has_nothing_after_it(self):
        top = "18446744073709551615-18446744073709551615"
        page = self.call("GET", "/api/v1/events?since=" + top, status=200)
        self.assertEqual(page["items"], [])
        page = self.call("GET", "/api/v1/events?since=18446744073709551615", status=200)
        self.assertEqual(page["items"], [])


class ReloadUnderLoadTest(unittest.TestCase):
    """Task 5: SIGHUP is noticed promptly whatever the load."""

    def test_web_reloads_within_a_second_under_load(self):
        with harness.Stack(["intake", "web"], config=config()) as st:
            stop = threading.Event()

            # Intake gone: every ticket creation holds its request for the
            # intake timeout (5 s), so requests overlap without a gap.
            st.stop("intake")

            def load():
                while not stop.is_set():
                    try:
                        request(st.http_port, "POST", "/api/v1/tickets",
                                {"subject": "load", "requester": {"email": "a@example.com"}}, AGENT)
                    except OSError:
                        pass
            threads = [threading.Thread(target=load) for _ in range(6)]
            for t in threads:
                t.start()
            try:
                time.sleep(1.0)
                before = st.log("web").count("configuration reloaded")
                st.procs["web"].send_signal(signal.SIGHUP)
                t0 = time.monotonic()
                while time.monotonic() - t0 < 1.0 and st.log("web").count("configuration reloaded") == before:
                    time.sleep(0.02)
                self.assertGreater(st.log("web").count("configuration reloaded"), before,
                                   "no reload within 1 s of SIGHUP under load")
            finally:
                stop.set()
                for t in threads:
                    t.join()

    def test_phone_survives_many_sighups(self):
        def post(st, call_id):
            body = json.dumps({"event": "missed", "call_id": call_id, "from": "07700 900123",
                               "direction": "inbound"}).encode()
            sig = "sha256=" + hmac.new(PHONE_SECRET.encode(), body, hashlib.sha256).hexdigest()
            return request(st.phone_port, "POST", "/calls", body, None,
                           {"Content-Type": "application/json", "X-Opdesk-Signature": sig})[:2]

        with harness.Stack(["intake", "phone"], config=config()) as st:
            p = st.procs["phone"]
            stop = threading.Event()
            errors = []

            def load():
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        post(st, "load-%d-%d" % (threading.get_ident(), n))
                    except OSError as e:
                        errors.append(e)
            threads = [threading.Thread(target=load) for _ in range(3)]
            for t in threads:
                t.start()
            try:
                for _ in range(20):
                    p.send_signal(signal.SIGHUP)
                    time.sleep(0.1)
            finally:
                stop.set()
                for t in threads:
                    t.join()
            self.assertIsNone(p.poll(), st.log("phone")[-2000:])
            code, value = post(st, "hup-1")
            self.assertEqual(code, 201, value)
            self.assertIsNone(p.poll())
            self.assertEqual(errors, [])
            self.assertGreaterEqual(st.log("phone").count("reloaded"), 1)


if __name__ == "__main__":
    unittest.main()
