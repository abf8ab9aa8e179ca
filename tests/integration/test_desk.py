"""The service desk as agents and leads work in it (issue 4): team queues
ordered by deadline (opd:q:due:<team>, kept in step by every script), the
breaching and due-within filters, cursors that stay right while tickets
change; resolution notes; resolved tickets closing by themselves
(workflow.auto_close_days, run by opdesk-anonymiser); assignees from the
ticket's team; time spent per team; concurrent changes that never get lost;
the roles of CONTRACT.md section 8 on every endpoint; hashed tokens; the
command line's tables and --json."""
import hashlib
import http.client
import json
import os
import subprocess
import threading
import time
import unittest
import urllib.parse

import harness

AGENT, LEAD, ADMIN = "change-me-agent", "change-me-lead", "change-me-admin"
RITA = "change-me-requester"
HASHED_ADMIN = "hashed-admin-secret-1"
HASHED_REQUESTER = "hashed-requester-secret-1"
QUEUE_LAST = 8000000000000000
MIN = 60000


def desk_config():
    cfg = harness.copy_config()
    # Tokens kept as their SHA-256 only (upper-case hex is accepted too).
    cfg["tokens"].append({"token": "sha256:" + hashlib.sha256(HASHED_ADMIN.encode()).hexdigest().upper(),
                          "role": "admin", "identity": "root"})
    cfg["tokens"].append({"token": "sha256:" + hashlib.sha256(HASHED_REQUESTER.encode()).hexdigest(),
                          "role": "requester", "identity": "hash@example.com"})
    return cfg


now_ms = harness.now_ms
iso = harness.iso
ms_of = harness.ms_of


class Http:
    def __init__(self, port):
        self.port = port

    def __call__(self, method, path, body=None, token=AGENT, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read().decode()
            ctype = r.getheader("Content-Type", "")
            return r.status, (json.loads(data) if ctype.startswith("application/json") and data else data)
        finally:
            c.close()


class DeskTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "web"], config=desk_config())
        cls.st.__enter__()
        cls.http = Http(cls.st.http_port)

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------
    def call(self, method, path, body=None, token=AGENT, status=200, headers=None):
        code, value = self.http(method, path, body, token, headers)
        if status is not None:
            self.assertEqual(code, status, "%s %s -> %s %s" % (method, path, code, value))
        return value

    def create(self, subject, received_ago_min=0, priority=None, token=AGENT, email="rita@example.com"):
        body = {"subject": subject, "requester": {"name": "Rita", "email": email}}
        if received_ago_min:
            body["received_at"] = iso(now_ms() - received_ago_min * MIN)
        if priority:
            body["priority"] = priority
        tid = self.call("POST", "/api/v1/tickets", body, token=token, status=201)["id"]
        self.settle(tid)
        return tid

    def settle(self, tid):
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at") and self.st.ticket(tid).get("res_due"),
                         what="routing and SLO clocks of " + tid)

    def expected_score(self, tid):
        """The queue score as the contract of queue_refresh says, from the hash."""
        t = self.st.ticket(tid)
        dues = [int(t[c + "_due"]) for c in ("fr", "nr", "res")
                if t.get(c + "_due") and (t.get(c + "_state") == "running"
                                          or (t.get(c + "_state") == "breached" and not t.get(c + "_met")))]
        return min(dues) if dues else QUEUE_LAST + int(t["created_at"])

    def queue(self, team):
        return self.st.r.zrange("opd:q:due:" + team, 0, -1, withscores=True)

    def page_all(self, query, limit=2):
        seen, cursor = [], None
        while True:
            q = query + "&limit=%d" % limit + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            page = self.call("GET", "/api/v1/tickets?" + q)
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return seen

    def cli_refused(self, *args):
        p = self.st.cli(*args, check=False)
        self.assertEqual(p.returncode, 1, "opdesk %s: %s%s" % (args, p.stdout, p.stderr))
        return p

    def hgetall_calls(self):
        stats = self.st.r.info("commandstats")
        return stats.get("cmdstat_hgetall", {}).get("calls", 0)

    # --- queues ----------------------------------------------------------
    def test_team_queue_is_ordered_by_deadline_and_kept_in_step(self):
        # P1: first response 15 minutes; received 20 minutes ago it is
        # breaching, 10 minutes ago due in 5. Standard: 4 hours.
        late = self.create("Queue printer late", received_ago_min=20, priority="P1")
        soon = self.create("Queue printer soon", received_ago_min=10, priority="P1")
        later = self.create("Queue printer later", priority="P3")
        self.st.wait_for(lambda: self.st.ticket(late).get("fr_state") == "breached", what="the breach")
        # The index holds each ticket at the score queue_refresh promises.
        scores = dict(self.queue("service-desk"))
        for tid in (late, soon, later):
            self.assertEqual(int(scores[tid]), self.expected_score(tid), tid)
            self.assertEqual(self.st.ticket(tid)["qteam"], "service-desk")
        ids = [t["id"] for t in self.call("GET", "/api/v1/tickets?team=service-desk&sort=due&limit=500")["items"]]
        self.assertLess(ids.index(late), ids.index(soon))
        self.assertLess(ids.index(soon), ids.index(later))
        # The whole queue is in index order, paged or not; the team's
        # resolved and closed tickets follow it (decision 175).
        order = [m for m, _ in self.queue("service-desk")]
        self.assertEqual(ids[:len(order)], order)
        rest = {t: self.st.ticket(t)["status"] for t in ids[len(order):]}
        self.assertTrue(all(st in ("resolved", "closed") for st in rest.values()), rest)
        self.assertEqual(self.page_all("team=service-desk&sort=due"), ids)
        self.assertEqual(self.page_all("team=service-desk&sort=due&status=new"),
                         [t for t in order if self.st.ticket(t)["status"] == "new"])

        # Deadline filters: breaching = due passed; due_within = due soon.
        br = [t["id"] for t in self.call("GET", "/api/v1/tickets?team=service-desk&breaching=true&limit=500")["items"]]
        self.assertIn(late, br)
        self.assertNotIn(soon, br)
        self.assertNotIn(later, br)
        dw = [t["id"] for t in self.call("GET", "/api/v1/tickets?team=service-desk&due_within=30&limit=500")["items"]]
        self.assertIn(late, dw)
        self.assertIn(soon, dw)
        self.assertNotIn(later, dw)
        # Without a team (no queue index) the same filters give the same answers.
        everywhere = [t["id"] for t in self.call("GET", "/api/v1/tickets?breaching=true&limit=500")["items"]]
        self.assertIn(late, everywhere)
        self.assertNotIn(soon, everywhere)
        for bad in ("breaching=maybe", "due_within=0", "due_within=abc"):
            e = self.call("GET", "/api/v1/tickets?team=service-desk&" + bad, status=422)["error"]
            self.assertEqual(e["key"], bad.split("=")[0])
        # And from the command line, as a table and as JSON.
        p = self.st.cli("list", "--team", "service-desk", "--breaching")
        self.assertIn("NEXT DUE", p.stdout)
        self.assertIn(late, p.stdout)
        self.assertNotIn(soon, p.stdout)
        got = self.st.cli_json("list", "--team", "service-desk", "--due-within", "30", "--limit", "500")
        self.assertEqual([t["id"] for t in got["items"]][:2], [x for x in order if x in (late, soon)][:2])
        self.assertIn("--due-within", self.cli_refused("list", "--due-within", "-3").stderr)

        # Meeting the first response moves the ticket to its next deadline.
        self.call("POST", "/api/v1/tickets/%s/comments" % soon, {"body": "On it."}, status=201)
        self.st.wait_for(lambda: int(self.st.r.zscore("opd:q:due:service-desk", soon)) == self.expected_score(soon),
                         what="the queue to follow the met clock")
        self.assertEqual(int(self.st.r.zscore("opd:q:due:service-desk", soon)), int(self.st.ticket(soon)["res_due"]))
        # Pending pauses resolution: nothing running, so the ticket sorts last.
        self.call("PATCH", "/api/v1/tickets/" + soon, {"status": "pending"})
        self.assertEqual(int(self.st.r.zscore("opd:q:due:service-desk", soon)),
                         QUEUE_LAST + int(self.st.ticket(soon)["created_at"]))
        self.assertEqual(self.call("GET", "/api/v1/tickets?team=service-desk&sort=due&limit=500")["items"][-1]["id"]
                         if len(order) == 3 else soon, soon)
        # A hand-off moves it to the other team's queue.
        self.call("PATCH", "/api/v1/tickets/" + later, {"team": "network", "note": "cabling"})
        self.assertIsNone(self.st.r.zscore("opd:q:due:service-desk", later))
        self.assertEqual(int(self.st.r.zscore("opd:q:due:network", later)), self.expected_score(later))
        # Resolved and closed tickets leave the queue; a reopen brings them back.
        self.call("PATCH", "/api/v1/tickets/" + later, {"status": "resolved", "note": "re-patched"})
        self.assertIsNone(self.st.r.zscore("opd:q:due:network", later))
        self.assertIsNotNone(self.st.r.zscore("opd:resolved", later))
        harness.run_script(self.st, "comment", later, "rita@example.com", "requester", "1", "Still broken", "")
        self.assertEqual(self.st.ticket(later)["status"], "open")
        self.assertIsNone(self.st.r.zscore("opd:resolved", later))
        # The resolution note answered the requester, so the reply starts a
        # next-reply clock, which opdesk-slo arms a moment later.
        self.st.wait_for(lambda: int(self.st.r.zscore("opd:q:due:network", later)) == self.expected_score(later)
                         and self.st.ticket(later).get("nr_due"), what="the queue to follow the next-reply clock")

    def test_queue_cursor_stays_right_while_tickets_change(self):
        ids = [self.create("Cursor check %d" % i, received_ago_min=i, priority="P1") for i in range(6)]
        query = "team=service-desk&sort=due"
        before = [m for m, _ in self.queue("service-desk")]
        page1 = self.call("GET", "/api/v1/tickets?%s&limit=3" % query)
        first = [t["id"] for t in page1["items"]]
        self.assertEqual(first, before[:3])
        # Meanwhile: the first ticket of page one answers (moves later), one
        # of the rest is handed off (leaves), a new one arrives.
        self.call("POST", "/api/v1/tickets/%s/comments" % first[0], {"body": "Answered"}, status=201)
        rest = [x for x in before[3:] if x in ids]
        gone = rest[0]
        self.call("PATCH", "/api/v1/tickets/" + gone, {"team": "network", "note": "theirs"})
        new = self.create("Cursor check new")
        seen = first[:]
        cursor = page1["next_cursor"]
        while cursor:
            page = self.call("GET", "/api/v1/tickets?%s&limit=3&cursor=%s" % (query, urllib.parse.quote(cursor)))
            seen += [t["id"] for t in page["items"]]
            cursor = page["next_cursor"]
        # Every ticket that did not move is seen exactly once, in order.
        still = [x for x in before if x not in (first[0], gone)]
        self.assertEqual([x for x in seen if x in still], still)
        for x in still:
            self.assertEqual(seen.count(x), 1, x)
        self.assertNotIn(gone, seen)
        self.assertIn(new, seen)

    def test_a_team_queue_first_page_reads_only_its_page(self):
        for i in range(8):
            self.create("Scan check %d" % i)
        self.st.r.config_resetstat()
        page = self.st.cli_json("list", "--team", "service-desk", "--sort", "due", "--limit", "3")
        self.assertEqual(len(page["items"]), 3)
        self.assertTrue(page["next_cursor"])
        # The page and one look-ahead, never every ticket of the team.
        self.assertLessEqual(self.hgetall_calls(), 4)
        self.st.r.config_resetstat()
        self.call("GET", "/api/v1/tickets?team=service-desk&breaching=true&limit=3")
        self.assertLessEqual(self.hgetall_calls(), 4)

    # --- workflow rules --------------------------------------------------
    def test_resolving_needs_a_note_that_history_keeps(self):
        tid = self.create("Resolution note")
        e = self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved"}, status=422)["error"]
        self.assertEqual((e["code"], e["key"]), ("invalid", "note"))
        self.assertIn("note", e["message"])
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": ""}, status=422)
        self.assertEqual(self.st.ticket(tid)["status"], "new")
        p = self.cli_refused("update", tid, "--status", "resolved")
        self.assertIn("--note", p.stderr)
        p = self.st.cli("update", tid, "--status", "resolved", "--json", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(json.loads(p.stdout)["error"]["code"], "invalid")
        t = self.st.cli_json("update", tid, "--status", "resolved", "--note", "Replaced the toner", "--as", "bob")
        self.assertEqual(t["status"], "resolved")
        h = [x for x in t["history"] if x["action"] == "updated"][-1]
        self.assertEqual((h["actor"], h["details"]["note"]), ("bob", "Replaced the toner"))
        self.assertEqual(h["details"]["changes"]["status"], ["new", "resolved"])
        self.assertIn("Replaced the toner", self.st.cli("show", tid).stdout)

    # --- assignment and hand-off ----------------------------------------
    def test_any_agent_may_be_assigned_and_team_times_add_up(self):
        tid = self.create("Assign me")
        self.assertEqual(self.st.ticket(tid)["team"], "service-desk")
        # An agent of another team may be assigned (decision 170) ...
        self.assertEqual(self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": "alice"})["assignee"], "alice")
        self.assertEqual(self.st.ticket(tid)["team"], "service-desk")
        # ... but not someone who is no agent.
        e = self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": "mallory"}, status=422)["error"]
        self.assertEqual(e["key"], "assignee")
        self.assertIn("alice", e["message"])
        p = self.cli_refused("update", tid, "--assignee", "mallory")
        self.assertIn("mallory", p.stderr)
        self.assertEqual(self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": "bob"})["assignee"], "bob")
        # An hour with the service desk, then a hand-off.
        self.st.r.hset("opd:t:{" + tid + "}", "team_since", now_ms() - 3600 * 1000)
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"team": "network", "note": "a switch port"})
        self.assertIsNone(t["assignee"])
        h = [x for x in t["history"] if x["action"] == "handoff"][-1]
        self.assertEqual((h["details"]["from"], h["details"]["to"], h["details"]["note"]),
                         ("service-desk", "network", "a switch port"))
        self.assertGreaterEqual(t["team_times"]["service-desk"], 3600 * 1000)
        self.assertLess(t["team_times"]["service-desk"], 3700 * 1000)
        # The current team's time is not counted while it runs: its start is given.
        self.assertNotIn("network", t["team_times"])
        self.assertLess(abs(ms_of(t["team_since"]) - now_ms()), 60 * 1000)
        # Reading the unchanged ticket again gives the same object.
        time.sleep(0.01)
        self.assertEqual(self.call("GET", "/api/v1/tickets/" + tid), t)
        self.assertEqual(self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": "alice"})["assignee"], "alice")
        # A hand-off may name its assignee.
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"team": "service-desk", "note": "back", "assignee": "bob"})
        self.assertEqual((t["team"], t["assignee"]), ("service-desk", "bob"))
        self.assertEqual(len([x for x in t["history"] if x["action"] == "handoff"]), 2)
        self.assertIn("network", t["team_times"])
        self.assertIn("team times:", self.st.cli("show", tid).stdout)
        self.assertEqual(self.st.cli_json("show", tid)["team_times"].keys(), t["team_times"].keys())

    # --- concurrency -----------------------------------------------------
    def run_threads(self, bodies, headers=None):
        results = [None] * len(bodies)
        start = threading.Barrier(len(bodies))

        def one(i):
            start.wait()
            results[i] = self.http("PATCH", "/api/v1/tickets/" + self.tid, bodies[i], AGENT, headers)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return results

    def test_concurrent_changes_are_never_lost(self):
        self.tid = tid = self.create("Two agents at once")
        # Without If-Match: every change lands, even custom fields merged in C.
        bodies = [{"fields": {"k%d" % i: "v%d" % i}} for i in range(12)]
        for code, value in self.run_threads(bodies):
            self.assertEqual(code, 200, value)
        fields = self.call("GET", "/api/v1/tickets/" + tid)["fields"]
        self.assertEqual(fields, {"k%d" % i: "v%d" % i for i in range(12)})
        # With the same If-Match: exactly one wins, the others get 409 with the current version.
        self.settle(tid)
        self.st.wait_for(lambda: not self.st.r.zscore("opd:slo:work", tid), what="SLO to settle")
        version = self.call("GET", "/api/v1/tickets/" + tid)["version"]
        prios = ["P1", "P2", "P4", "P1", "P2", "P4", "P1", "P2"]
        res = self.run_threads([{"priority": p, "severity": "S%d" % (1 + i % 4)} for i, p in enumerate(prios)],
                               headers={"If-Match": '"%d"' % version})
        won = [i for i, (code, _) in enumerate(res) if code == 200]
        self.assertEqual(len(won), 1, res)
        final = self.call("GET", "/api/v1/tickets/" + tid)
        for i, (code, value) in enumerate(res):
            if i in won:
                continue
            self.assertEqual(code, 409, value)
            self.assertEqual(value["error"]["code"], "conflict")
            self.assertGreater(value["error"]["version"], version)
            self.assertIn("version", value["error"]["message"])
        self.assertEqual(final["priority"], prios[won[0]])
        # Mixed: each change lands or is refused with 409, and every one that
        # landed is in the history.
        version = final["version"]
        bodies = [{"severity": "S%d" % (1 + i % 4), "fields": {"m%d" % i: i}} for i in range(10)]
        results = [None] * 10
        barrier = threading.Barrier(10)

        def one(i):
            barrier.wait()
            h = {"If-Match": '"%d"' % version} if i % 2 else None
            results[i] = self.http("PATCH", "/api/v1/tickets/" + tid, bodies[i], AGENT, h)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = self.call("GET", "/api/v1/tickets/" + tid)
        for i, (code, value) in enumerate(results):
            if i % 2 == 0:
                self.assertEqual(code, 200, value)
            self.assertIn(code, (200, 409), value)
            if code == 200:
                self.assertEqual(final["fields"].get("m%d" % i), i)
            else:
                self.assertNotIn("m%d" % i, final["fields"])
                self.assertIn("version", value["error"])
        landed = sum(1 for code, _ in results if code == 200)
        updates = [h for h in final["history"] if h["action"] == "updated"
                   and any(k.startswith("m") for k in json.loads(
                       self.st.ticket(tid)["fields"]))]
        self.assertGreaterEqual(len(updates), landed)

    # --- roles -----------------------------------------------------------
    def test_roles_forbidden_cases_beyond_the_basics(self):
        mine = self.create("Rita's own", token=RITA)
        self.call("PATCH", "/api/v1/tickets/" + mine, {"status": "resolved", "note": "done"})
        # A requester may reopen, and nothing else, even on its own ticket.
        for change in ({"status": "closed"}, {"status": "pending"}, {"severity": "S1"},
                       {"category": "hardware"}, {"fields": {"x": "y"}}, {"team": "network", "note": "n"},
                       {"assignee": None}, {"status": "open", "note": "n", "severity": "S2"}):
            e = self.call("PATCH", "/api/v1/tickets/" + mine, change, token=RITA, status=403)["error"]
            self.assertEqual(e["code"], "forbidden", change)
        self.assertEqual(self.st.ticket(mine)["status"], "resolved")
        # Deadline lists are the requester's own tickets only.
        items = self.call("GET", "/api/v1/tickets?team=service-desk&sort=due&limit=500", token=RITA)["items"]
        self.assertTrue(all(t["requester"]["email"] == "rita@example.com" for t in items))
        # Events with a topic filter: still forbidden.
        self.call("GET", "/api/v1/events?topic=ticket.", token=RITA, status=403)
        # Reports and coverage: not for agents (leads and admins pass the role check).
        for path in ("/api/v1/slo/report", "/api/v1/coverage"):
            self.assertEqual(self.http("GET", path, None, AGENT)[0], 403)
            for token in (LEAD, ADMIN, HASHED_ADMIN):
                self.assertNotIn(self.http("GET", path, None, token)[0], (401, 403), (path, token))
        self.assertEqual(self.http("DELETE", "/api/v1/absences/1", None, RITA)[0], 403)
        # The reopen itself is allowed.
        self.assertEqual(self.call("PATCH", "/api/v1/tickets/" + mine, {"status": "open"}, token=RITA)["status"],
                         "open")

    def test_tokens_kept_as_sha256_work_with_their_role(self):
        tid = self.create("Hashed tokens")
        # An admin token stored as SHA-256 (upper-case hex in the file).
        self.assertEqual(self.call("GET", "/api/v1/tickets/" + tid, token=HASHED_ADMIN)["id"], tid)
        t = self.call("PATCH", "/api/v1/tickets/" + tid, {"priority": "P2"}, token=HASHED_ADMIN)
        self.assertEqual([h for h in t["history"] if h["action"] == "updated"][-1]["actor"], "root")
        # A requester token stored as SHA-256 keeps its identity and its limits.
        own = self.call("POST", "/api/v1/tickets", {"subject": "Hashed requester"}, token=HASHED_REQUESTER,
                        status=201)
        self.assertEqual(own["requester"]["email"], "hash@example.com")
        self.call("GET", "/api/v1/tickets/" + tid, token=HASHED_REQUESTER, status=404)
        self.call("GET", "/api/v1/events", token=HASHED_REQUESTER, status=403)
        # The digest itself is no token.
        digest = hashlib.sha256(HASHED_ADMIN.encode()).hexdigest()
        for wrong in (digest, digest.upper(), "sha256:" + digest, HASHED_ADMIN + " "):
            self.call("GET", "/api/v1/tickets", token=wrong, status=401)

    # --- command line ----------------------------------------------------
    def test_every_command_speaks_json(self):
        out = self.st.cli_json("submit", "--subject", "JSON all the way", "--email", "j@example.com")
        tid = out["ticket_id"]
        self.settle(tid)
        self.assertEqual(self.st.cli_json("show", tid)["id"], tid)
        self.assertIn("items", self.st.cli_json("list", "--limit", "1"))
        self.assertEqual(self.st.cli_json("update", tid, "--priority", "P2")["priority"], "P2")
        self.assertEqual(self.st.cli_json("comment", tid, "--body", "hi", "--as", "bob")["body"], "hi")
        self.assertIsInstance(self.st.cli_json("anonymise", "--dry-run"), list)
        for args in (("show", "OPD-999999"), ("update", tid, "--team", "network"),
                     ("comment", "OPD-999999", "--body", "x"), ("list", "--team", "nope")):
            p = self.st.cli(*args, "--json", check=False)
            self.assertEqual(p.returncode, 1, args)
            err = json.loads(p.stdout)["error"]
            self.assertTrue(err["code"] and err["message"], args)
        # The table: a header, one row per ticket, a count.
        p = self.st.cli("list", "--team", "service-desk", "--sort", "due", "--limit", "2")
        lines = p.stdout.splitlines()
        self.assertTrue(lines[0].split()[:3] == ["ID", "STATUS", "PRI"], lines[0])
        self.assertIn("(2 tickets)", p.stdout)
        self.assertIn("--cursor", p.stdout)
        self.assertIn("--breaching", self.st.cli("--help").stdout)


class AutoCloseTest(unittest.TestCase):
    def test_resolved_tickets_close_after_the_configured_days(self):
        cfg = harness.copy_config()
        cfg["workflow"] = {"auto_close_days": 3}
        with harness.Stack(["intake", "router", "slo"], config=cfg) as st:
            ids = []
            for subject in ("Old resolved", "Fresh resolved", "Reopened"):
                out = json.loads(st.cli("submit", "--subject", subject, "--email", "r@example.com",
                                        "--json").stdout)
                ids.append(out["ticket_id"])
            old, fresh, reopened = ids
            for tid in ids:
                st.wait_for(lambda: st.ticket(tid).get("routed_at"), what="routing")
                st.cli("update", tid, "--status", "resolved", "--note", "fixed")
            # Four days ago for two of them; one is reopened by its requester since.
            past = now_ms() - 4 * 86400 * 1000
            for tid in (old, reopened):
                st.r.hset("opd:t:{" + tid + "}", "resolved_at", past)
                st.r.zadd("opd:resolved", {tid: past})
            harness.run_script(st, "comment", reopened, "r@example.com", "requester", "1", "not yet", "")
            self.assertIsNone(st.r.zscore("opd:resolved", reopened))
            sub = st.subscribe("ticket.closed")
            st.start("anonymiser")
            st.wait_for(lambda: st.ticket(old)["status"] == "closed", what="the auto-close")
            ev = sub.wait(lambda topic, e: e["ticket_id"] == old)
            self.assertIsNotNone(ev)
            self.assertEqual(ev[1]["by"], "opdesk")
            t = json.loads(st.cli("show", old, "--json").stdout)
            h = [x for x in t["history"] if x["action"] == "updated"][-1]
            self.assertEqual((h["actor"], h["details"]["note"]), ("opdesk", "closed automatically after 3 days"))
            self.assertEqual(h["details"]["changes"]["status"], ["resolved", "closed"])
            self.assertIsNotNone(st.r.zscore("opd:closed", old))
            self.assertIsNone(st.r.zscore("opd:resolved", old))
            self.assertEqual(st.ticket(fresh)["status"], "resolved")
            self.assertEqual(st.ticket(reopened)["status"], "open")
            self.assertIn("closed=1", st.log("anonymiser"))
            self.assertIn("auto_close_days=3", st.log("anonymiser"))

    def test_workflow_configuration_is_validated(self):
        for workflow, key in (({"auto_close_days": 0}, "workflow.auto_close_days"),
                              ({"auto_close_days": "soon"}, "workflow.auto_close_days"),
                              ({"close_after": 3}, "workflow.close_after")):
            cfg = harness.copy_config()
            cfg["workflow"] = workflow
            cfg["redis"] = {"host": "127.0.0.1", "port": harness.free_port()}
            path = os.path.join(harness.tempfile.mkdtemp(prefix="opdesk-wf-"), "opdesk.yaml")
            with open(path, "w") as f:
                json.dump(cfg, f)
            p = subprocess.run([os.path.join(harness.BIN, "opdesk-anonymiser"), "--config", path],
                               capture_output=True, text=True, timeout=20)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(key, p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
