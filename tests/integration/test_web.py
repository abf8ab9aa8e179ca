"""opdesk-web against a real stack: the HTTP API of CONTRACT.md section 5
(every endpoint, every role's limits, requester isolation, the error shapes
and codes), /healthz and /metrics, and the requester portal of section 8
(forms, sign-in, escaping)."""
import http.client
import json
import os
import re
import subprocess
import signal
import socket
import time
import unittest
import urllib.parse

import harness

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
AGENT, LEAD, ADMIN = "change-me-agent", "change-me-lead", "change-me-admin"
RITA, SAM = "change-me-requester", "change-me-requester-sam"


def present(name):
    return os.path.exists(os.path.join(harness.BIN, "opdesk-" + name))


SERVICES = ["intake"] + [s for s in ("router", "slo") if present(s)] + ["web"]
# /healthz is 200 only while every service of the deployment beats (issue 8).
HEALTHY = ["intake", "router", "slo", "notifier", "anonymiser", "web"]


def web_config():
    cfg = harness.copy_config()
    cfg["tokens"].append({"token": SAM, "role": "requester", "identity": "Sam@Example.com"})
    # A hashed token: the configuration holds only its SHA-256.
    cfg["tokens"].append({"token": "sha256:" + __import__("hashlib").sha256(b"hashed-agent-token").hexdigest(),
                          "role": "agent", "identity": "bob"})
    cfg["limits"] = {"body_bytes": 100000, "frame_bytes": 2097152}
    cfg["severities"] = ["S1", "S2", "S3", "S4", "S5"]  # the desk's own scale
    return cfg


class Client:
    """A small HTTP client on the stack's web endpoint."""

    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, token=None, headers=None, raw=False):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
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
            headers = {k.lower(): v for k, v in r.getheaders()}
            if raw:
                return r.status, data, headers
            text = data.decode("utf-8")
            ctype = headers.get("content-type", "")
            value = json.loads(text) if ctype.startswith("application/json") else text
            return r.status, value, headers
        finally:
            c.close()


class WebApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(SERVICES, config=web_config())
        cls.st.__enter__()
        cls.http = Client(cls.st.http_port)

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------
    def call(self, method, path, body=None, token=AGENT, status=None, headers=None):
        code, value, hdrs = self.http.request(method, path, body, token, headers)
        if status is not None:
            self.assertEqual(code, status, "%s %s -> %s %s" % (method, path, code, value))
        self.last_headers = hdrs
        return value

    def error(self, method, path, body=None, token=AGENT, status=400, code=None, headers=None):
        value = self.call(method, path, body, token, status, headers)
        self.assertEqual(set(value), {"error"}, value)
        self.assertTrue({"code", "message"} <= set(value["error"]), value)
        self.assertTrue(value["error"]["message"])
        if code:
            self.assertEqual(value["error"]["code"], code, value)
        return value["error"]

    def settle(self, tid):
        """Waits until the router and opdesk-slo (when running) are done with
        the ticket, so that its version no longer moves by itself."""
        if present("router"):
            self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at"), what="routing")
        if present("slo"):
            self.st.wait_for(lambda: self.st.ticket(tid).get("res_due"), what="SLO clocks")

    def create(self, token=AGENT, status=201, headers=None, **over):
        body = {"subject": "Printer on floor 3 is jammed", "body": "Error 42.",
                "requester": {"name": "Rita Requester", "email": "rita@example.com"}}
        body.update(over)
        return self.call("POST", "/api/v1/tickets", body, token, status, headers)

    # --- health and metrics ----------------------------------------------
    def test_healthz_answers_without_a_token(self):
        # notifier and anonymiser do not run in this stack: named, not hidden.
        self.assertEqual(self.call("GET", "/healthz", token=None, status=503),
                         {"status": "unavailable", "down": ["notifier", "anonymiser"]})

    def test_metrics_is_prometheus_text_with_opdesk_names(self):
        self.create()
        self.call("GET", "/api/v1/tickets/OPD-999999", status=404)
        code, text, hdrs = self.http.request("GET", "/metrics")
        self.assertEqual(code, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/plain"))
        sample = re.compile(r'^(opdesk_[a-z0-9_]+)(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? '
                            r'(-?\d+(\.\d+)?(e[+-]?\d+)?|NaN|[+-]Inf)$')
        typed = set()
        values = {}
        family = None  # the family of the last TYPE: its samples follow it
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                name, kind = line.split()[2:4]
                self.assertIn(kind, ("gauge", "counter", "histogram"))
                self.assertNotIn(name, typed, "a family typed twice")
                typed.add(name)
                family = name
            elif line.startswith("# HELP "):
                self.assertTrue(line.split()[2].startswith("opdesk_"))
            else:
                m = sample.match(line)
                self.assertTrue(m, "not a Prometheus sample: %r" % line)
                base = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
                self.assertIn(family, (m.group(1), base), "a sample away from its family's TYPE: %r" % line)
                values[line.rsplit(" ", 1)[0]] = float(line.rsplit(" ", 1)[1])
        self.assertGreaterEqual(sum(v for k, v in values.items() if k.startswith("opdesk_tickets{")), 1)
        for s in ("new", "open", "pending", "resolved", "closed"):
            self.assertIn('opdesk_tickets{status="%s"}' % s, values)
        self.assertGreaterEqual(values['opdesk_http_requests_total{code="201"}'], 1)
        self.assertGreaterEqual(values['opdesk_http_requests_total{code="404"}'], 1)
        self.assertGreaterEqual(values["opdesk_events_stored"], 1)
        for name in ("opdesk_mail_sent_total", "opdesk_mail_failed_total", "opdesk_slo_timers_pending"):
            self.assertIn(name, values)
        # promtool (Debian's prometheus package) agrees.
        if os.path.exists("/usr/bin/promtool"):
            p = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text, capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The SLO families of opd_report.c are part of the same page.
        self.assertTrue(any(k.startswith("opdesk_slo_clocks{") for k in values), sorted(values)[:40])
        # The ticket counts are the store's.
        total = sum(self.st.r.zcard("opd:idx:status:" + s) for s in ("new", "open", "pending", "resolved", "closed"))
        self.assertLessEqual(total - sum(v for k, v in values.items() if k.startswith("opdesk_tickets{")), 5)

    def test_slo_report_has_the_contract_shape_and_counts_tickets(self):
        tid = self.create(subject="Report me", priority="P1")["id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_due"), what="the clocks")
        r = self.call("GET", "/api/v1/slo/report?group_by=priority", token=LEAD)
        self.assertEqual(set(r) >= {"from", "to", "group_by", "groups"}, True, r)
        self.assertRegex(r["from"], r"^\d{4}-\d\d-\d\dT")
        p1 = [g for g in r["groups"] if g["key"] == "P1"]
        self.assertEqual(len(p1), 1, r)
        fr = p1[0]["slo"]["first_response"]
        for k in ("tickets", "met", "breached", "running", "attainment", "objective", "error_budget_left"):
            self.assertIn(k, fr)
        self.assertGreaterEqual(fr["tickets"], 1)
        self.assertEqual(fr["objective"], 0.95)
        # Comparing with an earlier, empty period.
        c = self.call("GET", "/api/v1/slo/report?compare_from=2020-01-01&compare_to=2020-01-02", token=ADMIN)
        self.assertIn("previous", c)

    # --- authentication and roles -----------------------------------------
    def test_every_api_endpoint_needs_a_valid_token(self):
        tid = self.create()["id"]
        endpoints = [("GET", "/api/v1/tickets"), ("POST", "/api/v1/tickets"),
                     ("GET", "/api/v1/tickets/" + tid), ("PATCH", "/api/v1/tickets/" + tid),
                     ("POST", "/api/v1/tickets/%s/comments" % tid), ("GET", "/api/v1/events"),
                     ("GET", "/api/v1/slo/report"), ("GET", "/api/v1/coverage"),
                     ("POST", "/api/v1/absences"), ("DELETE", "/api/v1/absences/1")]
        for method, path in endpoints:
            for token in (None, "wrong-token-123", AGENT + "x", AGENT[:-1]):
                err = self.error(method, path, {}, token=token, status=401, code="unauthorized")
                self.assertIn("token" if token else "Bearer", err["message"])
        # Not Bearer.
        self.error("GET", "/api/v1/tickets", token=None, status=401,
                   headers={"Authorization": "Basic YWxpY2U6eA=="})

    def test_a_hashed_token_works_by_its_digest(self):
        t = self.create(token="hashed-agent-token")
        self.call("GET", "/api/v1/tickets/" + t["id"], token="hashed-agent-token", status=200)
        self.error("GET", "/api/v1/tickets", token="sha256:" + "0" * 64, status=401)

    def test_roles_forbidden_cases(self):
        tid = self.create()["id"]
        # A requester: no event history, no reports, no absences, no field changes, no internal comments.
        self.error("GET", "/api/v1/events", token=RITA, status=403, code="forbidden")
        self.error("GET", "/api/v1/slo/report", token=RITA, status=403)
        self.error("GET", "/api/v1/coverage", token=RITA, status=403)
        self.error("POST", "/api/v1/absences", {}, token=RITA, status=403)
        self.error("DELETE", "/api/v1/absences/1", token=RITA, status=403)
        for change in ({"priority": "P1"}, {"team": "network", "note": "x"}, {"assignee": "alice"},
                       {"status": "resolved"}, {"status": "open", "priority": "P2"}):
            self.error("PATCH", "/api/v1/tickets/" + tid, change, token=RITA, status=403, code="forbidden")
        self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "x", "public": False},
                   token=RITA, status=403)
        self.error("POST", "/api/v1/tickets/%s/comments" % tid,
                   {"body": "x", "standard_response": "vpn-basics"}, token=RITA, status=403)
        # An agent: no reports or coverage; absences are its own (test_rota.py):
        # an empty one names the first missing field.
        self.error("GET", "/api/v1/slo/report", token=AGENT, status=403)
        self.error("GET", "/api/v1/coverage", token=AGENT, status=403)
        e = self.error("POST", "/api/v1/absences", {}, token=AGENT, status=422, code="invalid")
        self.assertEqual(e["key"], "kind")
        # Leads and admins read the SLO report and the coverage (test_rota.py).
        for token in (LEAD, ADMIN):
            report = self.call("GET", "/api/v1/slo/report?group_by=team", token=token)
            self.assertEqual(report["group_by"], "team")
            self.error("GET", "/api/v1/slo/report?group_by=colour", token=token, status=422, code="invalid")
            self.error("GET", "/api/v1/slo/report?from=yesterday", token=token, status=400)
            cov = self.call("GET", "/api/v1/coverage?team=network", token=token)
            self.assertEqual([t["team"] for t in cov["teams"]], ["network"])
            self.error("DELETE", "/api/v1/absences/7", token=token, status=404, code="not_found")
        # Methods that do not exist.
        self.error("DELETE", "/api/v1/tickets/" + tid, status=405, code="method_not_allowed")
        self.assertIn("PATCH", self.last_headers["allow"])
        self.error("GET", "/api/v1/nothing", status=404, code="not_found")

    # --- create ----------------------------------------------------------
    def test_create_answers_201_with_the_ticket_on_channel_web(self):
        t = self.create(priority="P2", category="hardware/printer",
                        received_at="2026-01-05T10:00:00Z")
        self.assertTrue(re.match(r"^OPD-\d+$", t["id"]))
        self.assertEqual(self.last_headers["location"], "/api/v1/tickets/" + t["id"])
        self.assertEqual((t["channel"], t["subject"], t["body"], t["priority"], t["category"]),
                         ("web", "Printer on floor 3 is jammed", "Error 42.", "P2", "hardware/printer"))
        self.assertEqual(t["received_at"], "2026-01-05T10:00:00Z")
        self.assertEqual(t["requester"]["email"], "rita@example.com")
        for key in ("created_at", "updated_at"):
            self.assertTrue(RFC3339.match(t[key]), t[key])
        self.assertIn("comments", t)
        self.assertIn("history", t)
        # The answer waits for routing and the clocks: the team, the policy
        # and the due times are there, and every state is one the contract
        # names; the next-reply clock waits for the requester (decision 174).
        self.assertEqual(t["team"], "service-desk")  # the default team: no rule matches
        for name in ("first_response", "resolution"):
            c = t["slo"][name]
            self.assertEqual(c["policy"], "standard", name)
            self.assertIn(c["state"], ("running", "breached"), name)  # received in January
            self.assertTrue(RFC3339.match(c["due_at"]), c)
        self.assertEqual(t["slo"]["next_reply"],
                         {"policy": "standard", "state": "paused", "due_at": None, "met_at": None,
                          "breached_at": None})
        # A policy without a next-reply clock shows none, whatever is said.
        p1 = self.create(priority="P1", subject="Everything is down")
        self.assertEqual(p1["slo"]["first_response"]["policy"], "p1")
        self.call("POST", "/api/v1/tickets/%s/comments" % p1["id"], {"body": "Looking."}, status=201)
        self.call("POST", "/api/v1/tickets/%s/comments" % p1["id"], {"body": "Still down."}, token=RITA, status=201)
        slo = self.call("GET", "/api/v1/tickets/" + p1["id"])["slo"]
        self.assertEqual(set(slo), {"first_response", "resolution"})
        self.assertEqual(slo["first_response"]["state"], "met")
        # A PATCH that moves the clocks answers with them moved: P1 is the
        # p1 policy's, 15 minutes from receipt (24x7), and has no next-reply
        # clock.
        fresh = self.create(subject="Laptop slow")
        self.assertEqual(fresh["slo"]["first_response"]["policy"], "standard")
        up = self.call("PATCH", "/api/v1/tickets/" + fresh["id"], {"priority": "P1"}, status=200)
        self.assertEqual(set(up["slo"]), {"first_response", "resolution"})
        self.assertEqual(up["slo"]["first_response"]["policy"], "p1")
        self.assertEqual(harness.ms_of(up["slo"]["first_response"]["due_at"]),
                         harness.ms_of(fresh["received_at"]) + 15 * 60 * 1000)
        h = self.st.ticket(t["id"])
        self.assertEqual(h["channel"], "web")
        self.assertTrue(h["external_id"].startswith("web-"))
        got = self.call("GET", "/api/v1/tickets/" + t["id"], status=200)
        self.assertEqual(got["id"], t["id"])
        self.assertEqual(self.last_headers["etag"], '"%d"' % got["version"])

    def test_idempotency_key_repeat_returns_the_same_ticket(self):
        key = "order-%d" % time.time_ns()
        a = self.create(headers={"Idempotency-Key": key}, subject="Once only")
        self.assertNotIn("idempotent-replayed", self.last_headers)
        b = self.create(headers={"Idempotency-Key": key}, subject="Once only")
        self.assertEqual(self.last_headers.get("idempotent-replayed"), "true")
        self.assertEqual(a["id"], b["id"])
        self.assertEqual(self.st.r.hget("opd:idem:web:" + key, "id"), a["id"])
        self.assertEqual(self.st.ticket(a["id"])["external_id"], key)
        c = self.create(subject="Once only")
        self.assertNotEqual(c["id"], a["id"])
        self.error("POST", "/api/v1/tickets", {"subject": "x", "requester": {"email": "a@b.org"}},
                   status=400, headers={"Idempotency-Key": "has space"})

    def test_create_request_type_and_intake_rejections_keep_their_key(self):
        t = self.create(request_type="new-laptop", fields={"cost_centre": "123456", "model": "developer"})
        self.assertEqual(t["kind"], "service_request")
        self.assertEqual(t["fields"], {"cost_centre": "123456", "model": "developer"})
        e = self.error("POST", "/api/v1/tickets", {"subject": "Laptop", "requester": {"email": "r@example.com"},
                                                   "request_type": "new-laptop",
                                                   "fields": {"cost_centre": "12"}}, status=422, code="invalid")
        self.assertEqual(e["key"], "fields.cost_centre")
        e = self.error("POST", "/api/v1/tickets", {"subject": "", "requester": {"email": "r@example.com"}},
                       status=422)
        self.assertEqual(e["key"], "subject")
        e = self.error("POST", "/api/v1/tickets", {"subject": "x", "requester": {"email": "not-an-email"}},
                       status=422)
        self.assertEqual(e["key"], "requester.email")
        e = self.error("POST", "/api/v1/tickets", {"subject": "x", "requester": {"email": "r@example.com"},
                                                   "category": "hardware/phone"}, status=422)
        self.assertEqual(e["key"], "category")
        self.error("POST", "/api/v1/tickets", {"subject": "x", "requester": {"email": "r@example.com"},
                                               "received_at": "yesterday"}, status=422)

    def test_malformed_json_is_400_with_the_position(self):
        # jansson reports where it stopped reading: just after the bad token.
        for text, line, column, before in (('{"subject": "x",\n  "body": oops}', 2, 14, "oops"),
                                           ('{"a": 1', 1, 7, "1"), ("", 1, 0, "")):
            e = self.error("POST", "/api/v1/tickets", text, status=400, code="bad_json",
                           headers={"Content-Type": "application/json"})
            self.assertEqual((e["line"], e["column"]), (line, column), e)
            self.assertTrue(text[:e["position"]].endswith(before), e)
            self.assertIn("line %d, column %d" % (line, column), e["message"])
        e = self.error("POST", "/api/v1/tickets", '{"subject": "x", "subject": "y"}', status=400)
        self.assertIn("duplicate", e["message"])
        self.error("POST", "/api/v1/tickets", "[1, 2]", status=400, code="bad_json")
        tid = self.create()["id"]
        self.error("PATCH", "/api/v1/tickets/" + tid, "{status: open}", status=400, code="bad_json")
        self.error("POST", "/api/v1/tickets/%s/comments" % tid, '{"body": "\\x"}', status=400)
        self.error("POST", "/api/v1/tickets", "subject=x", status=415,
                   headers={"Content-Type": "application/x-www-form-urlencoded"})

    def test_unknown_fields_are_422_except_a_new_tickets(self):
        tid = self.create()["id"]
        cases = [("PATCH", "/api/v1/tickets/" + tid, {"status": "open", "owner": "bob"}, "owner"),
                 ("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "x", "internal": True}, "internal")]
        for method, path, body, key in cases:
            e = self.error(method, path, body, status=422, code="invalid")
            self.assertEqual(e["key"], key)
            self.assertIn(key, e["message"])
        e = self.error("GET", "/api/v1/tickets?colour=red", status=422)
        self.assertEqual(e["key"], "colour")
        self.assertEqual(self.st.ticket(tid)["status"], "new")
        # A new ticket's body is an intake.submit: keys it does not know are
        # ignored (decision 171), and so are those the API sets itself.
        body = {"subject": "Unknown keys", "requester": {"email": "a@b.org", "age": 3}, "colour": "red",
                "channel": "email", "v": 7, "type": "x", "external_id": "mine-1"}
        t = self.call("POST", "/api/v1/tickets", body, status=201)
        self.assertEqual((t["channel"], t["requester"]["email"]), ("web", "a@b.org"))
        # The body's external_id is not the ticket's: that is the header's.
        h = self.st.ticket(t["id"])
        self.assertTrue(h["external_id"].startswith("web-"), h["external_id"])

    def test_oversized_bodies_are_refused(self):
        big = json.dumps({"subject": "big", "requester": {"email": "a@b.org"}, "body": "x" * 300000})
        e = self.error("POST", "/api/v1/tickets", big, status=413, code="too_large")
        self.assertIn("limit", e["message"])
        # Refused on the declared length, before the body is sent at all.
        s = socket.create_connection(("127.0.0.1", self.st.http_port), timeout=5)
        try:
            s.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + AGENT.encode()
                      + b"\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n")
            head = s.recv(4096).decode()
            self.assertTrue(head.startswith("HTTP/1.1 413"), head)
        finally:
            s.close()
        # Chunked, no declared length: refused once past the limit.
        s = socket.create_connection(("127.0.0.1", self.st.http_port), timeout=5)
        try:
            s.sendall(b"POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + AGENT.encode()
                      + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(60):
                s.sendall(b"1000\r\n" + b"a" * 4096 + b"\r\n")
            s.sendall(b"0\r\n\r\n")
            head = s.recv(4096).decode()
            self.assertTrue(head.startswith("HTTP/1.1 413"), head)
        finally:
            s.close()
        # Under the HTTP limit but over limits.body_bytes: intake says
        # too_large, bad input as the contract has it (422, decision 180).
        e = self.error("POST", "/api/v1/tickets", {"subject": "big", "requester": {"email": "a@b.org"},
                                                   "body": "y" * 120000}, status=422, code="too_large")
        self.assertEqual(e["key"], "body")
        tid = self.create()["id"]
        self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "z" * 120000}, status=422,
                   code="too_large")
        self.assertEqual(self.call("GET", "/healthz", token=None)["down"], ["notifier", "anonymiser"])

    def test_long_headers_and_paths_are_bounded(self):
        # 64 KiB of memory per connection (opd_http) bound the request line
        # and the headers.
        code, _, _ = self.http.request("GET", "/api/v1/tickets/" + "A" * 100000, token=AGENT)
        self.assertIn(code, (414, 431))
        code, _, _ = self.http.request("GET", "/api/v1/tickets", token=AGENT,
                                       headers={"X-Big": "b" * 100000})
        self.assertIn(code, (413, 431))
        self.assertEqual(self.call("GET", "/healthz", token=None)["down"], ["notifier", "anonymiser"])

    # --- read and list ---------------------------------------------------
    def test_unknown_ticket_is_404(self):
        for tid in ("OPD-999999", "nonsense", "OPD-1%20OR%201"):
            self.error("GET", "/api/v1/tickets/" + tid, status=404, code="not_found")
        self.error("PATCH", "/api/v1/tickets/OPD-999999", {"priority": "P1"}, status=404)
        self.error("POST", "/api/v1/tickets/OPD-999999/comments", {"body": "x"}, status=404)

    def test_list_filters_and_pages(self):
        word = "zebra%d" % time.time_ns()
        ids = [self.create(subject="The %s printer %d" % (word, i))["id"] for i in range(5)]
        self.call("PATCH", "/api/v1/tickets/" + ids[0], {"status": "pending"}, status=200)
        page = self.call("GET", "/api/v1/tickets?q=" + word.upper(), status=200)
        self.assertEqual(sorted(t["id"] for t in page["items"]), sorted(ids))
        for t in page["items"]:
            self.assertNotIn("comments", t)
            self.assertNotIn("history", t)
        got = self.call("GET", "/api/v1/tickets?status=pending&q=" + word, status=200)
        self.assertEqual([t["id"] for t in got["items"]], [ids[0]])
        seen = []
        cursor = None
        while True:
            path = "/api/v1/tickets?limit=2&q=" + word + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            page = self.call("GET", path, status=200)
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(sorted(seen), sorted(ids))
        self.assertEqual(len(seen), 5)
        self.call("GET", "/api/v1/tickets?sort=due&requester=RITA@example.com&limit=3", status=200)
        # A team soonest due first holds every status: its queue, then the
        # resolved and the closed tickets (no deadline), newest first
        # (decision 175); paging by two gives the same sequence.
        self.call("PATCH", "/api/v1/tickets/" + ids[1], {"status": "resolved", "note": "done"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + ids[2], {"status": "resolved", "note": "done"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + ids[2], {"status": "closed"}, status=200)
        team = self.call("GET", "/api/v1/tickets/" + ids[1])["team"]
        base = "/api/v1/tickets?sort=due&team=%s&q=%s" % (team, word)
        whole = [(t["id"], t["status"]) for t in self.call("GET", base + "&limit=500")["items"]]
        self.assertEqual(sorted(i for i, _ in whole), sorted(ids))
        order = {"new": 0, "open": 0, "pending": 0, "resolved": 1, "closed": 2}
        self.assertEqual([order[st] for _, st in whole], sorted(order[st] for _, st in whole))
        self.assertEqual([st for _, st in whole][-2:], ["resolved", "closed"])
        seen, cursor = [], None
        for _ in range(10):
            page = self.call("GET", base + "&limit=2" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else ""))
            seen += [(t["id"], t["status"]) for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, whole)
        self.error("GET", base + "&cursor=rjunk", status=400)
        self.error("GET", base + "&cursor=c1.OPD-1", status=400)  # a cursor of another list
        self.assertEqual(self.error("GET", "/api/v1/tickets?status=done", status=422)["key"], "status")
        self.assertIn("network, service-desk", self.error("GET", "/api/v1/tickets?team=nope", status=422)["message"])
        self.error("GET", "/api/v1/tickets?priority=P7", status=422)
        self.error("GET", "/api/v1/tickets?sort=random", status=422)
        self.error("GET", "/api/v1/tickets?limit=0", status=400)
        # More than a page: 500 of them and a cursor (decision 180).
        self.assertLessEqual(len(self.call("GET", "/api/v1/tickets?limit=100000", status=200)["items"]), 500)
        self.error("GET", "/api/v1/tickets?limit=abc", status=400)
        self.error("GET", "/api/v1/tickets?cursor=garbage", status=400)

    # --- requester isolation ------------------------------------------------
    def test_requester_sees_only_its_own_tickets(self):
        mine = self.create(token=RITA, subject="Rita's screen",
                           requester={"name": "Rita", "email": "sam@example.com"})
        # The identity of the token wins over the body.
        self.assertEqual(mine["requester"]["email"], "rita@example.com")
        theirs = self.create(token=SAM, subject="Sam's keyboard")
        self.assertEqual(theirs["requester"]["email"], "Sam@Example.com")
        agents = self.create(subject="Someone else's", requester={"email": "other@example.com"})
        for tid in (theirs["id"], agents["id"]):
            e = self.error("GET", "/api/v1/tickets/" + tid, token=RITA, status=404, code="not_found")
            self.assertEqual(e["message"], "no ticket %s" % tid)
            self.error("PATCH", "/api/v1/tickets/" + tid, {"status": "open"}, token=RITA, status=404)
            self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "mine now"}, token=RITA,
                       status=404)
            # Never 403, whatever the body asks for: a key the role may not
            # set on its own ticket is 403, on someone else's 404.
            self.error("PATCH", "/api/v1/tickets/" + tid, {"priority": "P1"}, token=RITA, status=404)
            self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "x", "public": False},
                       token=RITA, status=404)
        self.error("PATCH", "/api/v1/tickets/" + mine["id"], {"priority": "P1"}, token=RITA, status=403)
        self.error("POST", "/api/v1/tickets/%s/comments" % mine["id"], {"body": "x", "public": False},
                   token=RITA, status=403)
        # Identity matching is case-insensitive.
        self.call("GET", "/api/v1/tickets/" + theirs["id"], token=SAM, status=200)
        items = self.call("GET", "/api/v1/tickets?limit=500", token=RITA, status=200)["items"]
        self.assertTrue(items)
        self.assertTrue(all(t["requester"]["email"].lower() == "rita@example.com" for t in items))
        self.assertIn(mine["id"], [t["id"] for t in items])
        self.assertNotIn(theirs["id"], [t["id"] for t in items])
        self.call("GET", "/api/v1/tickets?requester=rita@example.com", token=RITA, status=200)
        # Another requester's list is empty to this one, not refused (decision 180).
        self.assertEqual(self.call("GET", "/api/v1/tickets?requester=sam@example.com", token=RITA, status=200),
                         {"items": [], "next_cursor": None})
        # reply_to cannot put a comment on someone else's ticket, in any form.
        self.error("POST", "/api/v1/tickets", {"subject": "Re: yours", "reply_to": theirs["id"]},
                   token=RITA, status=404)
        self.error("POST", "/api/v1/tickets", {"subject": "Re: yours", "reply_to": "<%s>" % theirs["id"]},
                   token=RITA, status=404)
        # One it cannot find is a new ticket, linked to nothing.
        fresh = self.create(token=RITA, subject="Re: nothing", reply_to="<no-such-%d@x.example>" % time.time_ns())
        self.assertNotIn(fresh["id"], (mine["id"], theirs["id"]))
        self.assertIsNone(fresh.get("linked_to"))
        self.assertEqual(self.call("GET", "/api/v1/tickets/" + theirs["id"])["comments"], [])
        r = self.create(token=RITA, subject="Re: mine", body="more detail", reply_to=mine["id"])
        self.assertEqual(r["id"], mine["id"])
        self.assertEqual(r["comments"][-1]["body"], "more detail")
        self.assertEqual(self.st.r.llen("opd:t:{%s}:c" % theirs["id"]), 0)

    def test_requester_never_sees_internal_comments_or_internal_history(self):
        t = self.create(token=RITA, subject="Badge does not open door 4")
        tid = t["id"]
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "INTERNAL: check the reader log", "public": False}, status=201)
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "We are on it."}, status=201)
        self.call("PATCH", "/api/v1/tickets/" + tid, {"team": "network", "note": "SECRET handoff note"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "open", "note": "SECRET status note"}, status=200)
        full = self.call("GET", "/api/v1/tickets/" + tid, token=AGENT, status=200)
        self.assertIn("internal_comment", [h["action"] for h in full["history"]])
        self.assertIn("handoff", [h["action"] for h in full["history"]])
        seen = self.call("GET", "/api/v1/tickets/" + tid, token=RITA, status=200)
        text = json.dumps(seen)
        self.assertNotIn("INTERNAL", text)
        self.assertNotIn("SECRET", text)
        self.assertEqual([c["body"] for c in seen["comments"]], ["We are on it."])
        self.assertTrue(all(c["public"] for c in seen["comments"]))
        actions = [h["action"] for h in seen["history"]]
        self.assertNotIn("internal_comment", actions)
        self.assertNotIn("handoff", actions)
        self.assertIn("created", actions)
        self.assertIn("comment", actions)
        upd = [h for h in seen["history"] if h["action"] == "updated"]
        self.assertEqual(upd[-1]["details"], {"changes": {"status": ["new", "open"]}})
        # The create answer and the list hold the same view.
        c = self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "Thanks!"}, token=RITA, status=201)
        self.assertEqual((c["author"], c["role"], c["public"]), ("rita@example.com", "requester", True))

    # --- change ----------------------------------------------------------
    def test_patch_changes_and_answers_the_ticket(self):
        tid = self.create()["id"]
        t = self.call("PATCH", "/api/v1/tickets/" + tid,
                      {"status": "open", "priority": "P2", "severity": "S2", "category": "hardware",
                       "assignee": "bob", "note": "taking it"}, status=200)
        self.assertEqual((t["status"], t["priority"], t["severity"], t["category"], t["assignee"]),
                         ("open", "P2", "S2", "hardware", "bob"))
        upd = [h for h in t["history"] if h["action"] == "updated"][-1]
        self.assertEqual(upd["actor"], "alice")
        self.assertEqual(upd["details"]["note"], "taking it")
        ev = [e for topic, e in self.st.events_history() if topic == "ticket.updated" and e["ticket_id"] == tid]
        self.assertEqual(ev[-1]["by"], "alice")
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": None, "severity": None}, status=200)
        self.assertIsNone(t["assignee"])
        self.assertIsNone(t["severity"])
        # The configured severities, and only those.
        self.assertEqual(self.call("PATCH", "/api/v1/tickets/" + tid, {"severity": "S5"})["severity"], "S5")
        e = self.error("PATCH", "/api/v1/tickets/" + tid, {"severity": "high"}, status=422)
        self.assertEqual(e["key"], "severity")
        self.assertIn("S5", e["message"])
        self.error("PATCH", "/api/v1/tickets/" + tid, {}, status=422)
        self.error("PATCH", "/api/v1/tickets/" + tid, {"priority": 1}, status=422)

    def test_patch_values_are_checked_against_the_configuration(self):
        tid = self.create()["id"]
        self.settle(tid)
        before = self.st.ticket(tid)["version"]
        cases = [({"status": "done"}, "status", "new, open, pending, resolved, closed"),
                 ({"priority": "P9"}, "priority", "P1, P2, P3, P4"),
                 ({"severity": "S7"}, "severity", "S1, S2, S3, S4"),
                 ({"category": "hardware/phone"}, "category", "hardware/laptop"),
                 ({"team": "nope", "note": "x"}, "team", "network, service-desk"),
                 ({"assignee": "mallory"}, "assignee", "alice, bob"),
                 ({"fields": {"colour": "red"}}, None, None)]
        for body, key, allowed in cases[:-1]:
            e = self.error("PATCH", "/api/v1/tickets/" + tid, body, status=422, code="invalid")
            self.assertEqual(e["key"], key)
            self.assertIn(allowed, e["message"])
            self.assertIn(list(body.values())[0], e["message"])
        self.assertEqual(self.st.ticket(tid)["version"], before)
        laptop = self.create(request_type="new-laptop", fields={"cost_centre": "654321"})
        self.assertEqual(laptop["missing_fields"], ["model"])
        e = self.error("PATCH", "/api/v1/tickets/" + laptop["id"], {"fields": {"model": "gaming"}}, status=422)
        self.assertEqual(e["key"], "fields.model")
        self.assertIn("standard, developer", e["message"])
        e = self.error("PATCH", "/api/v1/tickets/" + laptop["id"], {"fields": {"colour": "red"}}, status=422)
        self.assertIn("cost_centre, model, manager_email", e["message"])
        self.error("PATCH", "/api/v1/tickets/" + laptop["id"], {"fields": {"cost_centre": None}}, status=422)
        self.error("PATCH", "/api/v1/tickets/" + laptop["id"], {"fields": "model=x"}, status=422)
        t = self.call("PATCH", "/api/v1/tickets/" + laptop["id"], {"fields": {"model": "standard"}}, status=200)
        self.assertEqual(t["fields"], {"cost_centre": "654321", "model": "standard"})
        self.assertEqual(t["missing_fields"], [])

    def test_handoff_without_note_is_422(self):
        tid = self.create(subject="Wifi weak on floor 2")["id"]
        self.settle(tid)
        current = self.st.ticket(tid).get("team")
        self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": "alice" if current == "network" else "bob"},
                  status=200)
        target = "network" if current != "network" else "service-desk"
        for body in ({"team": target}, {"team": target, "note": ""}, {"team": target, "note": " \n\t"}):
            e = self.error("PATCH", "/api/v1/tickets/" + tid, body, status=422, code="invalid")
            self.assertEqual(e["key"], "note")
        self.assertEqual(self.st.ticket(tid).get("team"), current)
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"team": target, "note": "needs the wifi people"},
                      status=200)
        self.assertEqual(t["team"], target)
        self.assertIsNone(t["assignee"])
        h = [x for x in t["history"] if x["action"] == "handoff"][-1]
        self.assertEqual((h["details"]["to"], h["details"]["note"]), (target, "needs the wifi people"))

    def test_workflow_conflicts_are_409_with_the_allowed_moves(self):
        tid = self.create()["id"]
        e = self.error("PATCH", "/api/v1/tickets/" + tid, {"status": "closed"}, status=409, code="conflict")
        self.assertEqual(e["allowed"], ["open", "pending", "resolved"])
        self.assertEqual(e["status"], "new")
        self.assertIn("open,pending,resolved", e["message"])
        # A resolution note of white space alone is no note.
        e = self.error("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "  "}, status=422)
        self.assertEqual(e["key"], "note")
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "fixed"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "closed"}, status=200)
        for again in ("open", "closed"):  # closed is final, even to itself
            e = self.error("PATCH", "/api/v1/tickets/" + tid, {"status": again}, status=409)
            self.assertEqual(e["allowed"], [])
            self.assertIn("closed is final", e["message"])
        # Resolving a closed ticket is a conflict, with or without a note.
        for body in ({"status": "resolved"}, {"status": "resolved", "note": "again"}):
            e = self.error("PATCH", "/api/v1/tickets/" + tid, body, status=409, code="conflict")
            self.assertEqual(e["allowed"], [])
        e = self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "hello?"}, status=409)

    def test_if_match_guards_against_lost_updates(self):
        tid = self.create()["id"]
        self.settle(tid)
        t = self.call("GET", "/api/v1/tickets/" + tid)
        etag = self.last_headers["etag"]
        self.call("PATCH", "/api/v1/tickets/" + tid, {"priority": "P1"}, status=200, headers={"If-Match": etag})
        e = self.error("PATCH", "/api/v1/tickets/" + tid, {"priority": "P4"}, status=409, code="conflict",
                       headers={"If-Match": etag})
        self.assertEqual(e["version"], t["version"] + 1)
        self.assertEqual(self.st.ticket(tid)["priority"], "P1")
        self.error("PATCH", "/api/v1/tickets/" + tid, {"priority": "P4"}, status=400, headers={"If-Match": "abc"})
        # A JSON merge patch is JSON; plain text is not.
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"priority": "P2"}, status=200,
                      headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(t["priority"], "P2")
        self.error("PATCH", "/api/v1/tickets/" + tid, {"priority": "P3"}, status=415,
                   headers={"Content-Type": "text/plain"})

    def test_requester_may_reopen_its_resolved_ticket_only(self):
        tid = self.create(token=RITA, subject="Reopen me")["id"]
        self.settle(tid)
        e = self.error("PATCH", "/api/v1/tickets/" + tid, {"status": "open"}, token=RITA, status=409)
        self.assertIn("resolved", e["message"])
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "fixed"}, status=200)
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "open"}, token=RITA, status=200)
        self.assertEqual(t["status"], "open")
        ev = [x for topic, x in self.st.events_history() if topic == "ticket.reopened" and x["ticket_id"] == tid]
        self.assertEqual(ev[-1]["by"], "rita@example.com")

    # --- comments --------------------------------------------------------
    def test_comments_answer_201_with_the_comment(self):
        tid = self.create()["id"]
        c = self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "Have you tried turning it off?"},
                      status=201)
        self.assertEqual({"id", "author", "public", "body", "at"} - set(c), set())
        self.assertEqual((c["id"], c["author"], c["public"], c["role"]), (1, "alice", True, "agent"))
        self.assertTrue(RFC3339.match(c["at"]))
        c = self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "note to self", "public": False},
                      status=201)
        self.assertEqual((c["id"], c["public"]), (2, False))
        c = self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"standard_response": "vpn-basics"},
                      status=201)
        self.assertIn("restart the VPN client", c["body"])
        self.assertEqual(c["standard_response"], "vpn-basics")
        self.assertIn("vpn-basics", self.error("POST", "/api/v1/tickets/%s/comments" % tid,
                                               {"body": "x", "standard_response": "nope"}, status=422)["message"])
        self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": ""}, status=422)
        self.error("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "x", "public": "yes"}, status=422)
        t = self.call("GET", "/api/v1/tickets/" + tid)
        self.assertEqual([x["id"] for x in t["comments"]], [1, 2, 3])
        # The first public agent comment met the first-response clock (when slo runs).
        self.assertIsNotNone(self.st.ticket(tid).get("first_reply_at"))

    # --- events ----------------------------------------------------------
    def test_events_history_catches_up_from_a_cursor(self):
        first = self.call("GET", "/api/v1/events?limit=1000", status=200)
        self.assertIn("next_cursor", first)
        cursor = first["next_cursor"]
        self.assertTrue(cursor)
        a = self.create(subject="Event one")["id"]
        b = self.create(subject="Event two")["id"]
        self.call("PATCH", "/api/v1/tickets/" + a, {"status": "open"}, status=200)
        page = self.call("GET", "/api/v1/events?since=" + cursor, status=200)
        items = page["items"]
        created = [e["ticket_id"] for e in items if e["type"] == "ticket.created"]
        self.assertEqual(created[:2], [a, b])
        self.assertNotIn(cursor, [e["cursor"] for e in items])
        for e in items:
            self.assertTrue({"v", "type", "at", "cursor"} <= set(e), e)
            self.assertTrue(RFC3339.match(e["at"]), e)
            for k, v in e.items():
                if k.endswith("_at") and v is not None:
                    self.assertTrue(RFC3339.match(v), (k, v))
        self.assertEqual(page["next_cursor"], items[-1]["cursor"])
        # In order, and paging by one gives the same sequence.
        seq, c = [], cursor
        for _ in range(len(items)):
            p = self.call("GET", "/api/v1/events?limit=1&since=" + c, status=200)
            seq += [e["cursor"] for e in p["items"]]
            c = p["next_cursor"]
        self.assertEqual(seq, [e["cursor"] for e in items])
        # Topic is a prefix filter.
        upd = self.call("GET", "/api/v1/events?topic=ticket.upd&since=" + cursor, status=200)["items"]
        self.assertTrue(upd)
        self.assertTrue(all(e["type"] == "ticket.updated" for e in upd))
        self.assertEqual(upd[0]["changes"]["status"], ["new", "open"])
        # Nothing new: same cursor back, no items.
        end = self.call("GET", "/api/v1/events?since=" + page["next_cursor"], status=200)
        if not end["items"]:
            self.assertEqual(end["next_cursor"], page["next_cursor"])
        self.error("GET", "/api/v1/events?since=yesterday", status=400)
        self.error("GET", "/api/v1/events?limit=5000", status=400)
        self.error("GET", "/api/v1/events?from=1", status=422)


FORM = "application/x-www-form-urlencoded"


class WebPortalTest(unittest.TestCase):
    """The requester portal: plain HTML, every value escaped."""

    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(SERVICES, config=web_config())
        cls.st.__enter__()
        cls.http = Client(cls.st.http_port)
        cls.origin = "http://127.0.0.1:%d" % cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def csrf(self, cookie=None):
        """(the form's csrf value, the cookies to send with it): the
        session's token, read from a page of the session, or without a
        session the opdesk_csrf cookie the sign-in page sets."""
        if cookie:
            _, text, _ = self.http.request("GET", "/logout", None, None, {"Cookie": cookie})
            return re.search(r'name="csrf" value="([0-9a-f]{64})"', text).group(1), cookie
        _, text, hdrs = self.http.request("GET", "/login", None, None, {})
        value = re.search(r'name="csrf" value="([0-9a-f]{64})"', text).group(1)
        return value, hdrs["set-cookie"].split(";")[0]

    def page(self, method, path, form=None, cookie=None, status=200, headers=None, csrf=True):
        h = dict(headers or {})
        body = None
        if isinstance(form, dict) and method == "POST" and csrf and "csrf" not in form:
            # Every portal form carries its CSRF token (checked on POST).
            form = dict(form)
            form["csrf"], cookie = self.csrf(cookie)
        if form is not None:
            body = form if isinstance(form, str) else urllib.parse.urlencode(form)
            h.setdefault("Content-Type", FORM)
        if cookie:
            h["Cookie"] = cookie
        code, text, hdrs = self.http.request(method, path, body, None, h)
        self.assertEqual(code, status, "%s %s -> %s\n%s" % (method, path, code, text))
        self.headers = hdrs
        if isinstance(text, str) and hdrs.get("content-type", "").startswith("text/html"):
            self.assertIn("default-src 'none'", hdrs["content-security-policy"])
            # The portal has no script at all; the agent console one file (console.js).
            scripts = re.findall(r"<script[^>]*>", text.lower())
            self.assertEqual(scripts, ['<script src="/agent/console.js" defer>'] if path.startswith("/agent")
                             and code == 200 else [])
        return text

    def login(self, token=RITA):
        self.page("POST", "/login", {"token": token}, status=303)
        cookie = self.headers["set-cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertEqual(self.headers["location"], "/tickets")
        return cookie.split(";")[0]

    def api_create(self, token=AGENT, **over):
        body = {"subject": "Portal ticket", "requester": {"email": "rita@example.com"}}
        body.update(over)
        code, t, _ = self.http.request("POST", "/api/v1/tickets", body, token)
        self.assertEqual(code, 201, t)
        return t

    def test_request_form_offers_types_and_their_fields(self):
        html = self.page("GET", "/")
        for name in ("name", "email", "subject", "description", "type", "form_id"):
            self.assertIn('name="%s"' % name, html)
        self.assertIn('<option value="new-laptop">New laptop</option>', html)
        self.assertIn('id="rt-0"', html)
        self.assertIn('name="f0.cost_centre"', html)
        self.assertIn('<option value="developer">developer</option>', html)
        self.assertIn("#rt-0{display:block}", html)  # shown by CSS when chosen
        self.assertNotIn('class="rt shown"', html)
        # Without CSS :has(), "Show its fields" posts the form back: what was
        # typed stays, and no name or address ever goes into a URL.
        self.assertIn('<button type="submit" formnovalidate name="choose"', html)
        self.assertNotIn('formmethod="get"', html)
        html = self.page("POST", "/", {"type": "new-laptop", "choose": "1", "subject": "Keep me",
                                       "email": "r@example.com", "form_id": "cd" * 16},
                         headers={"Origin": self.origin})
        self.assertIn('class="rt shown" id="rt-0"', html)
        self.assertIn('<option value="new-laptop" selected>', html)
        self.assertIn('value="Keep me"', html)
        self.assertIn('value="r@example.com"', html)
        self.assertIsNone(self.st.r.get("opd:ext:form-" + "cd" * 16))    # no ticket made
        # A link to a type's form still works; personal values in a URL are ignored.
        html = self.page("GET", "/?type=new-laptop&subject=Keep+me&email=r%40example.com")
        self.assertIn('class="rt shown" id="rt-0"', html)
        self.assertNotIn("Keep me", html)
        self.assertNotIn("r@example.com", html)

    def test_form_submit_creates_a_ticket_once(self):
        form = {"form_id": "ab" * 16, "name": "Rita Requester", "email": "rita@example.com",
                "subject": "Need a laptop", "description": "For the new starter.\r\nThanks",
                "type": "new-laptop", "f0.cost_centre": "123456", "f0.model": "developer",
                "f0.manager_email": ""}
        html = self.page("POST", "/", form, status=201, headers={"Origin": self.origin})
        tid = re.search(r'id="ticket-id">(OPD-\d+)<', html).group(1)
        self.assertIn('href="/tickets/%s"' % tid, html)
        t = self.st.ticket(tid)
        self.assertEqual((t["channel"], t["subject"], t["request_type"], t["req_email"], t["req_name"]),
                         ("web", "Need a laptop", "new-laptop", "rita@example.com", "Rita Requester"))
        self.assertEqual(t["body"], "For the new starter.\nThanks")  # a browser's CR LF kept as LF
        self.assertEqual(json.loads(t["fields"]), {"cost_centre": "123456", "model": "developer"})
        self.assertEqual(t["external_id"], "form-" + "ab" * 16)
        # The same form sent twice (a double click, a reload) is one ticket.
        html = self.page("POST", "/", form, status=200)
        self.assertIn(tid, html)
        # A plain request with no type.
        html = self.page("POST", "/", {"email": "rita@example.com", "subject": "Mouse"}, status=201)
        self.assertNotIn(tid, html)

    def test_form_errors_are_shown_with_the_values_kept(self):
        form = {"email": "rita@example.com", "subject": '"><b>x</b>', "type": "new-laptop",
                "f0.cost_centre": "12ab", "f0.model": "standard"}
        html = self.page("POST", "/", form, status=422)
        self.assertIn('class="error"', html)
        self.assertIn("fields.cost_centre", html)
        self.assertIn('value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"', html)
        self.assertIn('value="12ab"', html)
        self.assertNotIn("<b>x</b>", html)
        html = self.page("POST", "/", {"email": "", "subject": "x"}, status=422)
        self.assertIn("email", html)
        self.page("POST", "/", {"email": "not-an-address", "subject": "x"}, status=422)
        self.page("POST", "/", "subject=%zz&email=a%40b.org", status=400)
        self.page("POST", "/", "subject=%00&email=a%40b.org", status=400)
        self.page("POST", "/", "subject=%ff&email=a%40b.org", status=400)
        self.page("POST", "/", json.dumps({"subject": "x"}), status=415,
                  headers={"Content-Type": "application/json"})
        self.page("POST", "/", {"email": "a@b.org", "subject": "x"}, status=403,
                  headers={"Origin": "http://evil.example"})

    def test_sign_in_takes_any_token_and_agents_go_to_the_console(self):
        html = self.page("GET", "/login")
        self.assertIn('type="password"', html)
        self.page("POST", "/login", {"token": "nope-nope-nope"}, status=401)
        self.assertNotIn("opdesk_session", self.headers.get("set-cookie", ""))
        self.page("POST", "/login", {"token": AGENT}, status=303)
        self.assertEqual(self.headers["location"], "/agent")
        agent = self.headers["set-cookie"].split(";")[0]
        self.assertIn("<h1>Queue</h1>", self.page("GET", "/agent", cookie=agent))
        self.page("GET", "/tickets", cookie=agent, status=303)
        self.assertEqual(self.headers["location"], "/agent")
        self.page("GET", "/tickets", status=303)
        self.assertEqual(self.headers["location"], "/login")
        self.page("GET", "/tickets", cookie="opdesk_session=" + "41" * 20, status=303)
        cookie = self.login()
        self.assertNotIn(RITA, cookie)  # not the token in clear text
        self.page("POST", "/logout", {}, cookie=cookie, status=303)
        self.assertIn("Max-Age=0", self.headers["set-cookie"])
        self.page("GET", "/tickets", cookie=cookie, status=303)
        # A script signs out with an empty post and the cookie alone: the
        # session ends on the server, not only in the browser.
        cookie = self.login()
        self.page("GET", "/tickets", cookie=cookie, status=200)
        self.page("POST", "/logout", cookie=cookie, status=303)
        self.page("GET", "/tickets", cookie=cookie, status=303)
        self.assertEqual(self.headers["location"], "/login")

    def test_my_tickets_lists_only_mine_with_status_and_due_times(self):
        mine = self.api_create(subject="Rita portal list")["id"]
        theirs = self.api_create(subject="Sam portal list", requester={"email": "sam@example.com"})["id"]
        cookie = self.login()
        html = self.page("GET", "/tickets", cookie=cookie)
        self.assertIn('href="/tickets/%s"' % mine, html)
        self.assertIn("Rita portal list", html)
        self.assertNotIn(theirs, html)
        self.assertNotIn("Sam portal list", html)
        self.assertIn("Resolution due", html)
        self.assertIn("rita@example.com", html)
        if present("slo") and present("router"):
            self.st.wait_for(lambda: self.st.ticket(mine).get("res_due"), what="SLO due times")
            html = self.page("GET", "/tickets", cookie=cookie)
            # In the requester's zone: here the UTC of the harness's 24x7 calendar (decision 130).
            self.assertRegex(html, r"\w+day \d+ \w+ \d{4} \d\d:\d\d \(UTC\)</time> <span class=\"muted\">\(running\)")
        self.page("GET", "/tickets/" + theirs, cookie=cookie, status=404)
        self.page("GET", "/tickets/OPD-999999", cookie=cookie, status=404)
        self.page("POST", "/tickets/" + theirs, {"body": "mine?"}, cookie=cookie, status=404)
        self.assertEqual(self.st.r.llen("opd:t:{%s}:c" % theirs), 0)

    def test_ticket_page_escapes_everything_and_hides_internal_comments(self):
        evil = "<script>alert(1)</script>"
        t = self.api_create(subject=evil, body='<img src=x onerror="alert(2)"> & more',
                            requester={"name": "<i>Rita</i>", "email": "rita@example.com"})
        tid = t["id"]
        for body, public in (("<b>public answer</b>", True), ("internal: <u>secret</u>", False)):
            code, _, _ = self.http.request("POST", "/api/v1/tickets/%s/comments" % tid,
                                           {"body": body, "public": public}, AGENT)
            self.assertEqual(code, 201)
        cookie = self.login()
        for path in ("/tickets", "/tickets/" + tid):
            html = self.page("GET", path, cookie=cookie)
            self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
            self.assertNotIn(evil, html)
        html = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertIn("&lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; more", html)
        self.assertIn("&lt;b&gt;public answer&lt;/b&gt;", html)
        self.assertIn("Alice Jones", html)
        self.assertNotIn("secret", html)
        self.assertNotIn("<img", html)
        self.assertIn('name="body"', html)  # the reply form

    def test_reply_adds_a_public_requester_comment_and_reopens(self):
        tid = self.api_create(subject="Reply from the portal")["id"]
        code, _, _ = self.http.request("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "fixed"}, AGENT)
        self.assertEqual(code, 200)
        cookie = self.login()
        html = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertIn("Replying reopens", html)
        self.page("POST", "/tickets/" + tid, {"body": "It broke again <3"}, cookie=cookie, status=303,
                  headers={"Origin": self.origin})
        self.assertTrue(self.headers["location"].startswith("/tickets/%s#c" % tid))
        code, t, _ = self.http.request("GET", "/api/v1/tickets/" + tid, token=AGENT)
        c = t["comments"][-1]
        self.assertEqual((c["body"], c["author"], c["role"], c["public"]),
                         ("It broke again <3", "rita@example.com", "requester", True))
        self.assertEqual(t["status"], "open")
        html = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertIn("It broke again &lt;3", html)
        # Refused: another origin, an empty reply, no session.
        self.page("POST", "/tickets/" + tid, {"body": "forged"}, cookie=cookie, status=403,
                  headers={"Origin": "http://evil.example"})
        self.page("POST", "/tickets/" + tid, {"body": ""}, cookie=cookie, status=422)
        self.page("POST", "/tickets/" + tid, {"body": "who am I"}, status=303)
        # The resolution note and the reply: nothing of the refused three.
        comments = self.http.request("GET", "/api/v1/tickets/" + tid, token=AGENT)[1]["comments"]
        self.assertEqual([(c["body"], c["role"]) for c in comments],
                         [("fixed", "agent"), ("It broke again <3", "requester")])
        # A closed ticket takes a follow-up: a new request linked to it, as
        # a reply by mail to a closed request is; the same form twice is one.
        for s in ("resolved", "closed"):
            self.http.request("PATCH", "/api/v1/tickets/" + tid, {"status": s, "note": "fixed"}, AGENT)
        html = self.page("GET", "/tickets/" + tid, cookie=cookie)
        self.assertIn("This request is closed", html)
        form_id = re.search(r'name="form_id" value="([0-9a-f]{32})"', html).group(1)
        for _ in range(2):
            self.page("POST", "/tickets/" + tid, {"body": "It is back\r\nagain", "form_id": form_id},
                      cookie=cookie, status=303, headers={"Origin": self.origin})
        new = self.headers["location"][len("/tickets/"):]
        self.assertNotEqual(new, tid)
        code, t, _ = self.http.request("GET", "/api/v1/tickets/" + new, token=AGENT)
        self.assertEqual((t["body"], t["subject"], t["requester"]["email"], t["channel"]),
                         ("It is back\nagain", "Re: Reply from the portal", "rita@example.com", "web"))
        self.assertEqual(self.st.ticket(new)["linked_to"], tid)
        code, old, _ = self.http.request("GET", "/api/v1/tickets/" + tid, token=AGENT)
        self.assertEqual(old["status"], "closed")
        self.assertNotIn("It is back\nagain", [c["body"] for c in old["comments"]])
        self.assertEqual(len([x for x in self.http.request("GET", "/api/v1/tickets?limit=500", token=RITA)[1]["items"]
                              if x["subject"] == "Re: Reply from the portal"]), 1)

    def test_unknown_pages_are_404_html(self):
        html = self.page("GET", "/nope", status=404)
        self.assertIn("There is no such page", html)
        self.page("PUT", "/", status=405)


class WebLifecycleTest(unittest.TestCase):
    def test_an_empty_event_history_gives_a_cursor_and_unarmed_clocks_run(self):
        with harness.Stack(["intake", "web"], config=web_config()) as st:
            http_ = Client(st.http_port)
            self.assertFalse(st.r.exists("opd:events"))
            code, body, _ = http_.request("GET", "/api/v1/events", token=AGENT)
            self.assertEqual((code, body), (200, {"items": [], "next_cursor": "0-0"}))
            code, body, _ = http_.request("GET", "/api/v1/events?since=0-0", token=AGENT)
            self.assertEqual((code, body["items"]), (200, []))
            # Without opdesk-slo the 201 comes at once; the clocks run from
            # received_at, their policy and due time not known yet.
            code, t, _ = http_.request("POST", "/api/v1/tickets", {"subject": "Unarmed", "requester": {"email": "a@b.org"}},
                                       token=AGENT)
            self.assertEqual(code, 201, t)
            for name in ("first_response", "resolution"):
                self.assertEqual((t["slo"][name]["state"], t["slo"][name]["policy"], t["slo"][name]["due_at"]),
                                 ("running", None, None), name)

    def test_healthz_503_names_what_is_down_and_sighup_reloads(self):
        cfg = web_config()
        with harness.Stack(HEALTHY, config=cfg) as st:
            http_ = Client(st.http_port)
            st.wait_for(lambda: http_.request("GET", "/healthz")[:2] == (200, {"status": "ok"}),
                        what="/healthz 200")
            # SIGHUP: a token added to the file works without a restart.
            code, _, _ = http_.request("GET", "/api/v1/tickets", token="brand-new-token-1")
            self.assertEqual(code, 401)
            st.config["tokens"].append({"token": "brand-new-token-1", "role": "admin", "identity": "root"})
            st.reconfigure()
            st.wait_for(lambda: http_.request("GET", "/api/v1/tickets", token="brand-new-token-1")[0] == 200,
                        what="the new token after SIGHUP")
            self.assertIn("configuration reloaded", st.log("web"))
            st.stop("intake")
            code, body, _ = http_.request("GET", "/healthz")
            self.assertEqual((code, body), (503, {"status": "unavailable", "down": ["intake"]}))
            code, body, _ = http_.request("POST", "/api/v1/tickets", {"subject": "x", "requester": {"email": "a@b.org"}},
                                          token=AGENT)
            self.assertEqual(code, 503)
            self.assertEqual(body["error"]["code"], "unavailable")
            st.start("intake")
            st.stop_redis()
            code, body, _ = http_.request("GET", "/healthz")
            self.assertEqual(code, 503)
            self.assertEqual(body["status"], "unavailable")
            self.assertIn("redis", body["down"])
            code, body, _ = http_.request("GET", "/api/v1/tickets/OPD-1", token=AGENT)
            self.assertEqual(code, 503)
            code, text, _ = http_.request("GET", "/metrics")
            self.assertEqual(code, 200)
            self.assertIn("opdesk_redis_up 0", text)
            self.assertEqual(st.stop("web"), 0)
            self.assertIn("ready http=127.0.0.1:%d" % st.http_port, st.log("web"))


if __name__ == "__main__":
    unittest.main()
