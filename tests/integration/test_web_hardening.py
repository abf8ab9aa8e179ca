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


def request(port, method, path, body=None, token=None, headers=None, timeout=15, source=None):
    """(status, parsed body, headers with lower-case names); from the
    address source (any of 127/8) when given."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                   source_address=(source, 0) if source else None)
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

    def test_unknown_keys_are_ignored_but_role_keys_refused(self):
        self.create(token=RITA, colour="blue")  # 201, not 422
        err = self.create(token=RITA, status=403, priority="P1", colour="blue")
        self.assertEqual(err["error"]["key"], "priority")

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


class SessionTest(Base):
    """Task 4: server-side sessions, CSRF on every form."""

    @classmethod
    def setUpClass(cls):
        cfg = config()
        cfg["channels"]["web"] = {"trusted_proxies": ["127.0.0.4"]}
        cls.st = harness.Stack(cls.SERVICES, config=cfg)
        cls.st.__enter__()
        cls.port = cls.st.http_port

    def page(self, method, path, form=None, cookie=None, headers=None, source=None):
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = cookie
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = FORM
        return request(self.port, method, path, body, None, h, source=source)

    def csrf_of(self, html):
        return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)

    def sign_in(self, token=RITA, headers=None, source=None):
        _, html, hdrs = self.page("GET", "/login", headers=headers, source=source)
        pre = hdrs["set-cookie"].split(";")[0]
        code, _, hdrs = self.page("POST", "/login", {"token": token, "csrf": self.csrf_of(html)},
                                  cookie=pre, headers=headers, source=source)
        self.assertEqual(code, 303)
        self.session_header = hdrs["set-cookie"]
        return hdrs["set-cookie"].split(";")[0]

    def session_keys(self):
        return self.st.r.keys("opd:session:*")

    def test_the_cookie_is_a_random_session_id_never_the_token(self):
        cookie = self.sign_in()
        value = cookie.split("=", 1)[1]
        self.assertNotIn(RITA, value)
        self.assertNotIn(RITA.encode().hex(), value)
        self.assertRegex(value, r"^[0-9a-f]{64}$")  # 256 random bits
        self.assertIn("HttpOnly", self.session_header)
        self.assertIn("SameSite=Strict", self.session_header)
        self.assertNotIn("Secure", self.session_header)
        # Redis holds its SHA-256, not the id.
        digest = hashlib.sha256(value.encode()).hexdigest()
        self.assertEqual(self.st.r.exists("opd:session:" + digest), 1)
        self.assertEqual(self.st.r.keys("*" + value + "*"), [])
        self.assertGreater(self.st.r.pttl("opd:session:" + digest), 0)
        self.assertEqual(self.page("GET", "/tickets", cookie=cookie)[0], 200)

    def test_secure_behind_a_trusted_https_proxy_only(self):
        self.sign_in(headers={"X-Forwarded-Proto": "https"}, source="127.0.0.4")
        self.assertIn("Secure", self.session_header)
        self.sign_in(headers={"X-Forwarded-Proto": "https"}, source="127.0.0.5")
        self.assertNotIn("Secure", self.session_header)

    def test_logout_revokes_the_session_server_side(self):
        cookie = self.sign_in()
        code, html, _ = self.page("GET", "/tickets", cookie=cookie)
        self.assertEqual(code, 200)
        code, _, hdrs = self.page("POST", "/logout", {"csrf": self.csrf_of(html)}, cookie=cookie)
        self.assertEqual(code, 303)
        code, _, hdrs = self.page("GET", "/tickets", cookie=cookie)  # replayed
        self.assertEqual((code, hdrs["location"]), (303, "/login"))

    def test_an_expired_session_is_refused(self):
        cookie = self.sign_in()
        key = "opd:session:" + hashlib.sha256(cookie.split("=", 1)[1].encode()).hexdigest()
        # Past its time, even if the key were still there ...
        v1, digest, csrf, _ = self.st.r.get(key).split(" ")
        self.st.r.set(key, " ".join([v1, digest, csrf, str(int(time.time() * 1000) - 1)]))
        code, _, hdrs = self.page("GET", "/tickets", cookie=cookie)
        self.assertEqual((code, hdrs["location"]), (303, "/login"))
        # ... and gone when the key expires.
        cookie = self.sign_in()
        key = "opd:session:" + hashlib.sha256(cookie.split("=", 1)[1].encode()).hexdigest()
        self.st.r.pexpire(key, 1)
        time.sleep(0.05)
        code, _, hdrs = self.page("GET", "/tickets", cookie=cookie)
        self.assertEqual((code, hdrs["location"]), (303, "/login"))

    def test_form_posts_without_the_csrf_token_are_refused(self):
        tid = self.create()["id"]
        cookie = self.sign_in()
        code, html, _ = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertEqual(code, 200)
        token = self.csrf_of(html)
        comments = self.st.r.llen("opd:t:{%s}:c" % tid)
        for form in ({"body": "forged"}, {"body": "forged", "csrf": "0" * 64}):
            code, _, _ = self.page("POST", "/tickets/" + tid, form, cookie=cookie)
            self.assertEqual(code, 403)
        self.assertEqual(self.st.r.llen("opd:t:{%s}:c" % tid), comments)
        code, _, _ = self.page("POST", "/tickets/" + tid, {"body": "real", "csrf": token}, cookie=cookie)
        self.assertEqual(code, 303)
        # The public form and the sign-in forms too, when a browser posts
        # them (it names the page it came from) ...
        origin = {"Origin": "http://127.0.0.1:%d" % self.port}
        before = self.idem_keys()
        code, _, _ = self.page("POST", "/", {"email": "x@example.com", "subject": "forged"}, headers=origin)
        self.assertEqual(code, 403)
        self.assertEqual(self.idem_keys(), before)
        code, _, _ = self.page("POST", "/login", {"token": RITA}, headers={"Referer": "http://evil.example/"})
        self.assertEqual(code, 403)
        code, _, _ = self.page("POST", "/logout", {}, cookie=cookie, headers=origin)
        self.assertEqual(code, 403)
        self.assertEqual(self.page("GET", "/tickets", cookie=cookie)[0], 200)
        # ... while a script's post (no Origin, no Referer, no token) signs
        # in and out (decision 173); a signed-in form still needs its token.
        code, _, hdrs = self.page("POST", "/login", {"token": RITA})
        self.assertEqual(code, 303)
        scripted = hdrs["set-cookie"].split(";")[0]
        self.assertEqual(self.page("GET", "/tickets", cookie=scripted)[0], 200)
        code, _, _ = self.page("POST", "/tickets/" + tid, {"body": "forged"}, cookie=scripted)
        self.assertEqual(code, 403)
        self.assertEqual(self.page("POST", "/logout", {}, cookie=scripted)[0], 303)
        self.assertNotEqual(self.page("GET", "/tickets", cookie=scripted)[0], 200)

    def test_agents_sign_in_to_the_console(self):
        for token in (AGENT, LEAD, ADMIN):
            cookie = self.sign_in(token)
            code, html, _ = self.page("GET", "/agent", cookie=cookie)
            self.assertEqual(code, 200)
            self.assertIn("<h1>Queue</h1>", html)
            self.assertNotIn(token, cookie)


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

    @staticmethod
    def sighup_handled_or_held(pid):
        """True once SIGHUP is caught or blocked by pid (/proc status masks)."""
        try:
            with open("/proc/%d/status" % pid) as f:
                masks = dict(line.split(":\t", 1) for line in f if line.startswith(("SigBlk", "SigCgt")))
        except (FileNotFoundError, ProcessLookupError):
            return True
        return any(int(masks.get(k, "0"), 16) & 1 for k in ("SigBlk", "SigCgt"))

    def test_sighup_while_starting_is_held_then_reloads(self):
        # A reload asked for while a service starts must not end it, and
        # must not be lost either. (Before main runs, during dynamic
        # loading, nothing in the program can catch it.)
        with harness.Stack(["intake"], config=config()) as st:
            for name, port in (("phone", st.phone_port), ("web", st.http_port)):
                p = st.start(name, wait=False)
                st.wait_for(lambda: self.sighup_handled_or_held(p.pid), timeout=10, interval=0.001,
                            what=name + " to reach main")
                t0 = time.monotonic()
                while time.monotonic() - t0 < 0.3 and p.poll() is None:
                    p.send_signal(signal.SIGHUP)
                    time.sleep(0.002)
                st.wait_for(lambda: " ready" in st.log(name) or p.poll() is not None,
                            what=name + " to be ready")
                self.assertIsNone(p.poll(), "%s died of SIGHUP while starting" % name)
                st.wait_for(lambda: "reloaded" in st.log(name), timeout=2, what=name + " to reload")
                code, _, _ = request(port, "GET", "/healthz", timeout=5)
                self.assertIn(code, (200, 503))

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


def trickle(port, source="127.0.0.2", path="/"):
    """A connection from source that has sent the request line and one header
    line, and no more (a slow client)."""
    s = socket.socket()
    s.bind((source, 0))
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n" % path).encode())
    return s


def closed_by_server(s, timeout):
    """True when the server closes s (or answers it) within timeout seconds."""
    s.settimeout(timeout)
    try:
        return s.recv(1024) is not None
    except socket.timeout:
        return False
    except OSError:
        return True


class LimitsTest(unittest.TestCase):
    """Task 3: long URIs, slow clients, per-address limits, rate limits."""

    PROXY = "127.0.0.4"

    @classmethod
    def setUpClass(cls):
        cfg = config()
        cfg["channels"]["web"] = {"trusted_proxies": [cls.PROXY], "per_client": 8,
                                  "rate_limit": {"login": 5, "api_token": 20, "api_address": 1000}}
        cls.st = harness.Stack(["intake", "web", "phone"], config=cfg)
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def test_a_2kb_query_is_answered_at_once(self):
        t0 = time.monotonic()
        code, body, _ = request(self.port, "GET", "/api/v1/tickets?q=" + "a" * 2048, None, AGENT,
                                timeout=5)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(code, 200, body)
        code, body, _ = request(self.port, "GET", "/?x=" + "a" * 8000, None, None, timeout=5)
        self.assertEqual(code, 200)

    def test_a_huge_uri_is_414_at_once(self):
        code, body, _ = request(self.port, "GET", "/api/v1/tickets?q=" + "a" * 200000, None, AGENT,
                                timeout=5)
        self.assertIn(code, (414, 431))

    def check_not_locked_out(self, port, count, path, answer):
        slow = [trickle(port, path=path) for _ in range(count)]
        try:
            time.sleep(0.3)
            t0 = time.monotonic()
            code, _, _ = request(port, "GET", path, None, None, timeout=5)
            self.assertEqual(code, answer)
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            for s in slow:
                s.close()

    def test_trickling_clients_from_one_address_do_not_lock_out_others(self):
        # The portal's form: an answer without a token. (/healthz is 503
        # here, truthfully: this stack runs no router, slo, notifier, anonymiser.)
        self.check_not_locked_out(self.port, 40, "/", 200)
        self.check_not_locked_out(self.st.phone_port, 20, "/healthz", 200)

    def test_a_trickling_client_is_cut_after_the_header_deadline(self):
        # One header line every 2 s: an idle timeout never fires; the
        # deadline for the whole headers (10 s by default) does.
        s = trickle(self.port, source="127.0.0.3")
        t0 = time.monotonic()
        cut = False
        try:
            while time.monotonic() - t0 < 16 and not cut:
                cut = closed_by_server(s, 2)
                if not cut:
                    try:
                        s.sendall(b"X-Slow: 1\r\n")
                    except OSError:
                        cut = True
        finally:
            s.close()
        self.assertTrue(cut, "a client trickling its headers stayed connected for 16 s")
        self.assertGreater(time.monotonic() - t0, 8)

    def login(self, token, xff=None, source=None):
        """POSTs the sign-in form (with its CSRF token) as a client behind
        the proxy (xff) or directly (source); returns (status, headers)."""
        h = {"X-Forwarded-For": xff} if xff else {}
        src = self.PROXY if xff else source
        _, text, hdrs = request(self.port, "GET", "/login", None, None, h, source=src)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', text).group(1)
        h.update({"Content-Type": FORM, "Cookie": hdrs["set-cookie"].split(";")[0]})
        code, _, hdrs = request(self.port, "POST", "/login",
                                urllib.parse.urlencode({"token": token, "csrf": csrf}), None, h,
                                source=src)
        return code, hdrs

    def test_sign_in_is_rate_limited_per_address_behind_a_trusted_proxy(self):
        codes = [self.login("wrong-token-guess", xff="203.0.113.9")[0] for _ in range(5)]
        self.assertEqual(codes, [401] * 5)
        code, hdrs = self.login(RITA, xff="203.0.113.9")
        self.assertEqual(code, 429)  # even the right token, while the address is over
        self.assertGreaterEqual(int(hdrs["retry-after"]), 1)
        self.assertEqual(self.login("wrong-token-guess", xff="203.0.113.10")[0], 401)
        # Only a trusted proxy is believed: a direct client naming the
        # locked-out address is itself.
        self.assertEqual(self.login("wrong-token-guess", source="127.0.0.5",
                                    xff=None)[0], 401)
        code, _, _ = request(self.port, "POST", "/login", "token=x", None,
                             {"Content-Type": FORM, "X-Forwarded-For": "203.0.113.9"},
                             source="127.0.0.6")
        self.assertEqual(code, 401)  # a wrong token, but not 429: not that address

    def test_the_api_is_rate_limited_per_token(self):
        codes = []
        for _ in range(25):
            code, _, hdrs = request(self.port, "GET", "/api/v1/tickets?limit=1", None, SAM)
            codes.append(code)
            if code == 429:
                break
        self.assertEqual(codes[-1], 429, codes)
        self.assertGreaterEqual(int(hdrs["retry-after"]), 1)
        self.assertEqual(hdrs["content-type"], "application/json")
        code, _, _ = request(self.port, "GET", "/api/v1/tickets?limit=1", None, LEAD)
        self.assertEqual(code, 200)

    def test_requests_in_flight_are_limited_per_client_behind_a_proxy(self):
        slow = []
        try:
            for _ in range(8):  # channels.web.per_client
                s = socket.socket()
                s.bind((self.PROXY, 0))
                s.connect(("127.0.0.1", self.port))
                s.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.7\r\n"
                          b"Authorization: Bearer change-me-admin\r\nContent-Length: 100\r\n\r\n{")
                slow.append(s)
            time.sleep(0.3)
            code, _, hdrs = request(self.port, "GET", "/", None, None,
                                    {"X-Forwarded-For": "198.51.100.7"}, source=self.PROXY, timeout=5)
            self.assertEqual(code, 429)
            code, _, _ = request(self.port, "GET", "/", None, None,
                                 {"X-Forwarded-For": "198.51.100.8"}, source=self.PROXY, timeout=5)
            self.assertEqual(code, 200)
        finally:
            for s in slow:
                s.close()


if __name__ == "__main__":
    unittest.main()
