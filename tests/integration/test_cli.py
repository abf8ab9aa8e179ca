"""The command-line tool `opdesk` against a real stack: submit, show, list,
update and comment, with --json and without; the workflow and the checks of
values against the configuration."""
import json
import os
import re
import subprocess
import unittest

import harness

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
TICKET_KEYS = {"id", "kind", "status", "priority", "severity", "category", "team", "assignee",
               "channel", "requester", "subject", "body", "request_type", "fields", "attachments",
               "linked_to", "created_at", "updated_at", "slo", "anonymised", "missing_fields"}


# The real pipeline.
SERVICES = ["intake", "router", "slo"]


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(SERVICES)
        cls.st.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def submit(self, *args, email="rita@example.com"):
        out = self.st.cli_json("submit", "--email", email, "--name", "Rita Requester", *args)
        self.assertTrue(out["created"])
        return out["ticket_id"]

    def show(self, tid):
        return self.st.cli_json("show", tid)

    def refused(self, *args, code=1):
        p = self.st.cli(*args, check=False)
        self.assertEqual(p.returncode, code, "opdesk %s: %s%s" % (args, p.stdout, p.stderr))
        return p

    # --- submit and show -------------------------------------------------
    def test_submit_and_show_json_has_the_contract_keys(self):
        tid = self.submit("--subject", "Monitor flickers", "--body", "Since Monday.",
                          "--phone", "+442079460000", "--impact", "high", "--urgency", "high")
        self.assertTrue(re.match(r"^OPD-\d+$", tid))
        t = self.show(tid)
        self.assertTrue(TICKET_KEYS | {"comments", "history"} <= set(t), set(t))
        self.assertEqual(t["id"], tid)
        self.assertEqual(t["subject"], "Monitor flickers")
        self.assertEqual(t["body"], "Since Monday.")
        self.assertEqual(t["channel"], "api")
        self.assertEqual(t["kind"], "incident")
        self.assertEqual(t["requester"], {"name": "Rita Requester", "email": "rita@example.com",
                                          "phone": "+442079460000"})
        self.assertIs(t["anonymised"], False)
        self.assertEqual(t["fields"], {})
        self.assertEqual(t["attachments"], [])
        for k in ("created_at", "updated_at"):
            self.assertRegex(t[k], RFC3339)
        self.assertEqual(set(t["slo"]) - {"next_reply"}, {"first_response", "resolution"})
        for clock in t["slo"].values():
            # The contract's keys; what is left only when asked for (--live).
            self.assertEqual(set(clock), {"policy", "due_at", "state", "met_at", "breached_at"})
        live = self.st.cli_json("show", tid, "--live")
        for clock in live["slo"].values():
            self.assertEqual(set(clock), {"policy", "due_at", "state", "met_at", "breached_at",
                                          "remaining_working_ms", "overdue_ms"})
        self.assertEqual(t["comments"], [])
        self.assertEqual(t["history"][0]["action"], "created")
        self.assertRegex(t["history"][0]["at"], RFC3339)
        self.assertEqual(set(t["history"][0]), {"at", "actor", "action", "details"})
        self.st.wait_for(lambda: self.show(tid)["priority"] == "P1", what="routing")
        t = self.st.wait_for(lambda: (lambda x: x if x["slo"]["first_response"]["due_at"] else None)(
            self.show(tid)), what="the SLO clocks")
        self.assertEqual(t["slo"]["first_response"]["policy"], "p1")
        self.assertEqual(t["slo"]["first_response"]["state"], "running")
        self.assertRegex(t["slo"]["resolution"]["due_at"], RFC3339)
        # The text form shows the fields, the clocks and the history.
        text = self.st.cli("show", tid).stdout
        self.assertIn(tid, text)
        self.assertIn("Monitor flickers", text)
        self.assertIn("first_response", text)
        self.assertIn("History", text)

    def test_submit_body_file_request_type_and_fields(self):
        path = os.path.join(self.st.tmp, "body.txt")
        with open(path, "w") as f:
            f.write("Line one\nLine two\n")
        tid = self.submit("--subject", "New laptop please", "--body-file", path,
                          "--request-type", "new-laptop", "--field", "cost_centre=123456",
                          "--field", "model=developer")
        t = self.show(tid)
        self.assertEqual(t["body"], "Line one\nLine two\n")
        self.assertEqual(t["request_type"], "new-laptop")
        self.assertEqual(t["kind"], "service_request")
        self.assertEqual(t["fields"], {"cost_centre": "123456", "model": "developer"})
        self.assertEqual(t["missing_fields"], [])

    def test_submit_rejection_exits_1_with_the_reason(self):
        p = self.refused("submit", "--subject", "No way to reach me")
        self.assertIn("requester", p.stderr)
        p = self.refused("submit", "--subject", "Bad field", "--email", "a@example.com",
                      "--request-type", "new-laptop", "--field", "cost_centre=12", "--json")
        self.assertEqual(json.loads(p.stdout)["error"]["code"], "invalid")
        self.assertIn("fields.cost_centre", p.stderr)

    def test_submit_is_idempotent_on_external_id(self):
        a = self.st.cli_json("submit", "--subject", "Once", "--email", "x@example.com",
                             "--external-id", "cli-test-once")
        b = self.st.cli_json("submit", "--subject", "Once", "--email", "x@example.com",
                             "--external-id", "cli-test-once")
        self.assertEqual(a["ticket_id"], b["ticket_id"])
        self.assertTrue(a["created"])
        self.assertFalse(b["created"])

    def test_reply_to_adds_a_requester_comment(self):
        tid = self.submit("--subject", "Keyboard sticky")
        out = self.st.cli_json("submit", "--subject", "Re: Keyboard sticky", "--email",
                               "rita@example.com", "--body", "Still sticky", "--reply-to", tid)
        self.assertEqual(out, {"ticket_id": tid, "created": False})
        c = self.show(tid)["comments"]
        self.assertEqual(len(c), 1)
        self.assertEqual(c[0]["body"], "Still sticky")
        self.assertEqual(c[0]["role"], "requester")

    def test_show_unknown_ticket_exits_1(self):
        p = self.refused("show", "OPD-999999")
        self.assertIn("no ticket OPD-999999", p.stderr)
        p = self.refused("show", "OPD-999999", "--json")
        self.assertEqual(json.loads(p.stdout)["error"]["code"], "not_found")

    # --- update ----------------------------------------------------------
    def test_update_changes_fields_and_records_the_actor(self):
        tid = self.submit("--subject", "Mouse broken")
        t = self.st.cli_json("update", tid, "--status", "open", "--priority", "P2", "--severity", "S2",
                             "--category", "hardware", "--assignee", "bob", "--as", "bob",
                             "--note", "taking it")
        self.assertEqual((t["status"], t["priority"], t["severity"], t["category"], t["assignee"]),
                         ("open", "P2", "S2", "hardware", "bob"))
        upd = [h for h in t["history"] if h["action"] == "updated"][-1]
        self.assertEqual(upd["actor"], "bob")
        self.assertEqual(upd["details"]["changes"]["status"], ["new", "open"])
        self.assertEqual(upd["details"]["note"], "taking it")
        ev = [e for topic, e in self.st.events_history()
              if topic == "ticket.updated" and e["ticket_id"] == tid]
        self.assertEqual(ev[-1]["by"], "bob")
        self.assertEqual(ev[-1]["changes"]["priority"][1], "P2")
        # Without --as: $OPDESK_AGENT, else "cli".
        env = dict(os.environ, OPDESK_AGENT="alice")
        p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "--config", self.st.config_path,
                            "update", tid, "--priority", "P3"], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.st.cli("update", tid, "--priority", "P4")
        actors = [h["actor"] for h in self.show(tid)["history"] if h["action"] == "updated"]
        self.assertEqual(actors[-2:], ["alice", "cli"])
        self.assertIn("unchanged", self.st.cli("update", tid, "--priority", "P4").stdout)

    def test_unknown_values_are_refused_with_the_allowed_ones(self):
        tid = self.submit("--subject", "Values")
        cases = [(("--status", "done"), "new, open, pending, resolved, closed"),
                 (("--priority", "P9"), "P1, P2, P3, P4"),
                 (("--severity", "S7"), "S1, S2, S3, S4"),
                 (("--category", "hardware/phone"), "hardware/laptop"),
                 (("--team", "nope", "--note", "x"), "network, service-desk"),
                 (("--assignee", "mallory"), "alice, bob"),
                 (("--priority", "P1", "--as", "mallory"), "alice, bob")]
        # The router changes the ticket once (its version too): wait for it.
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at"), what="routing")
        before = self.st.ticket(tid)["version"]
        for args, allowed in cases:
            p = self.refused("update", tid, *args)
            self.assertIn(allowed, p.stderr, args)
        self.assertEqual(self.st.ticket(tid)["version"], before)
        self.refused("update", tid, code=2)  # nothing to change
        self.refused("update", tid, "--bogus", "1", code=2)
        self.refused("update", "OPD-999999", "--priority", "P1")

    def test_handoff_needs_a_note(self):
        tid = self.submit("--subject", "Wifi weak on floor 2")
        # Routed first: routing landing between two reads below would move the team.
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at"), timeout=10, what="routing")
        current = self.st.ticket(tid).get("team")
        self.st.cli("update", tid, "--assignee", "alice" if current == "network" else "bob")
        target = "network" if current != "network" else "service-desk"
        p = self.refused("update", tid, "--team", target)
        self.assertIn("--note", p.stderr)
        self.assertEqual(self.st.ticket(tid).get("team"), current)
        t = self.st.cli_json("update", tid, "--team", target, "--note", "needs the wifi people",
                             "--as", "alice")
        self.assertEqual(t["team"], target)
        self.assertIsNone(t["assignee"])  # a hand-off clears the assignee
        h = [x for x in t["history"] if x["action"] == "handoff"][-1]
        self.assertEqual(h["details"]["to"], target)
        self.assertEqual(h["details"]["note"], "needs the wifi people")
        # The team index follows: list --team finds it.
        ids = [x["id"] for x in self.st.cli_json("list", "--team", target, "--limit", "500")["items"]]
        self.assertIn(tid, ids)

    def test_workflow_conflicts_list_the_allowed_moves(self):
        tid = self.submit("--subject", "Workflow")
        p = self.refused("update", tid, "--status", "closed", "--json")
        err = json.loads(p.stdout)["error"]
        self.assertEqual(err["code"], "conflict")
        self.assertIn("open,pending,resolved", err["message"])
        self.st.cli("update", tid, "--status", "pending")
        self.assertIn("open,resolved", self.refused("update", tid, "--status", "new").stderr)
        self.st.cli("update", tid, "--status", "resolved", "--note", "fixed")
        self.st.cli("update", tid, "--status", "closed")
        p = self.refused("update", tid, "--status", "open")
        self.assertIn("closed is final", p.stderr)
        self.assertEqual(self.st.ticket(tid)["status"], "closed")
        self.assertEqual(self.st.r.zscore("opd:closed", tid), float(self.st.ticket(tid)["closed_at"]))
        names = [topic for topic, e in self.st.events_history() if e.get("ticket_id") == tid]
        self.assertIn("ticket.resolved", names)
        self.assertIn("ticket.closed", names)

    def test_update_custom_fields_is_checked_against_the_request_type(self):
        tid = self.submit("--subject", "Laptop", "--request-type", "new-laptop",
                          "--field", "cost_centre=654321")
        t = self.show(tid)
        self.assertEqual(t["missing_fields"], ["model"])
        self.assertIn("standard, developer", self.refused("update", tid, "--field", "model=gaming").stderr)
        self.assertIn("cost_centre, model, manager_email",
                      self.refused("update", tid, "--field", "colour=red").stderr)
        self.assertIn("pattern", self.refused("update", tid, "--field", "cost_centre=abc").stderr)
        t = self.st.cli_json("update", tid, "--field", "model=standard",
                             "--field", "manager_email=mgr@example.com")
        self.assertEqual(t["fields"], {"cost_centre": "654321", "model": "standard",
                                       "manager_email": "mgr@example.com"})
        self.assertEqual(t["missing_fields"], [])
        # The change of custom fields is a map in ticket.updated and in the
        # history, as every other change: [old, new].
        upd = [e for topic, e in self.st.events_history() if topic == "ticket.updated" and e["ticket_id"] == tid]
        self.assertEqual(upd[-1]["changes"]["fields"],
                         [{"cost_centre": "654321"},
                          {"cost_centre": "654321", "model": "standard", "manager_email": "mgr@example.com"}])
        h = [x for x in t["history"] if x["action"] == "updated"][-1]
        self.assertEqual(h["details"]["changes"]["fields"], upd[-1]["changes"]["fields"])
        # Stored as the JSON text itself, exact to the digit.
        raw = [json.loads(x) for x in self.st.r.lrange("opd:t:{%s}:h" % tid, 0, -1)]
        stored = [x for x in raw if x["action"] == "updated"][-1]["details"]["changes"]["fields"]
        self.assertEqual([json.loads(x) for x in stored], upd[-1]["changes"]["fields"])

    # --- comment ---------------------------------------------------------
    def test_comments_public_by_default_and_internal(self):
        tid = self.submit("--subject", "Screen cracked")
        c = self.st.cli_json("comment", tid, "--body", "We will replace it.", "--as", "alice")
        self.assertEqual((c["author"], c["public"], c["body"]), ("alice", True, "We will replace it."))
        self.assertRegex(c["at"], RFC3339)
        self.st.cli("comment", tid, "--body", "Parts ordered", "--internal")
        t = self.show(tid)
        self.assertEqual([(x["author"], x["public"], x["body"]) for x in t["comments"]],
                         [("alice", True, "We will replace it."), ("cli", False, "Parts ordered")])
        for x in t["comments"]:
            self.assertTrue({"id", "author", "public", "body", "at"} <= set(x))
        actions = [h["action"] for h in t["history"]]
        self.assertIn("comment", actions)
        self.assertIn("internal_comment", actions)
        # A public agent comment queues a mail to the requester; an internal one
        # does not (no notifier runs in this stack, so the jobs stay queued).
        jobs = [json.loads(j) for j in self.st.r.lrange("opd:outbox:ready", 0, -1)
                + self.st.r.lrange("opd:outbox:busy", 0, -1)]
        mine = [j for j in jobs if j.get("ticket") == tid and j["kind"] == "comment"]
        self.assertEqual(len(mine), 1)
        t = self.st.wait_for(lambda: (lambda x: x if x["slo"]["first_response"]["state"] == "met"
                                      else None)(self.show(tid)), what="first response met")
        self.assertRegex(t["slo"]["first_response"]["met_at"], RFC3339)
        sr = self.st.cli_json("comment", tid, "--standard-response", "vpn-basics")
        self.assertIn("Please restart the VPN client", sr["body"])
        self.assertEqual(sr["standard_response"], "vpn-basics")
        self.assertIn("vpn-basics", self.refused("comment", tid, "--body", "x",
                                              "--standard-response", "nope").stderr)
        self.assertIn("alice, bob", self.refused("comment", tid, "--body", "x", "--as", "eve").stderr)
        self.refused("comment", tid, code=2)
        self.refused("comment", "OPD-999999", "--body", "hello")

    def test_comment_on_a_closed_ticket_is_refused(self):
        tid = self.submit("--subject", "Closing soon")
        self.st.cli("update", tid, "--status", "resolved", "--note", "fixed")
        self.st.cli("update", tid, "--status", "closed")
        p = self.refused("comment", tid, "--body", "too late")
        self.assertIn("closed", p.stderr)

    # --- list ------------------------------------------------------------
    def test_list_filters_and_pages(self):
        email = "lister-%d@example.com" % os.getpid()
        a = self.submit("--subject", "Projector lamp dead", email=email)
        b = self.submit("--subject", "projector cable missing", email=email)
        c = self.submit("--subject", "Projectors everywhere", email=email)
        self.st.cli("update", b, "--status", "open", "--assignee", "bob", "--priority", "P1")
        mine = self.st.cli_json("list", "--requester", email.upper())
        self.assertEqual([x["id"] for x in mine["items"]], [c, b, a])  # newest first
        self.assertIsNone(mine["next_cursor"])
        self.assertNotIn("comments", mine["items"][0])
        self.assertNotIn("history", mine["items"][0])
        self.assertTrue(TICKET_KEYS <= set(mine["items"][0]))
        q = self.st.cli_json("list", "--requester", email, "--q", "PROJECTOR")
        self.assertEqual([x["id"] for x in q["items"]], [b, a])  # whole words only
        q = self.st.cli_json("list", "--q", "projector lamp")
        self.assertEqual([x["id"] for x in q["items"]], [a])
        self.assertEqual([x["id"] for x in self.st.cli_json(
            "list", "--requester", email, "--status", "open")["items"]], [b])
        self.assertEqual([x["id"] for x in self.st.cli_json(
            "list", "--requester", email, "--assignee", "bob")["items"]], [b])
        self.assertEqual([x["id"] for x in self.st.cli_json(
            "list", "--requester", email, "--priority", "P1")["items"]], [b])
        # Paging: every ticket once, in order, however small the page.
        seen, cursor = [], None
        while True:
            args = ["list", "--requester", email, "--limit", "1"] + (["--cursor", cursor] if cursor else [])
            page = self.st.cli_json(*args)
            seen += [x["id"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, [c, b, a])
        # The whole list pages the same way.
        everything = [x["id"] for x in self.st.cli_json("list", "--limit", "500")["items"]]
        seen, cursor = [], None
        while True:
            page = self.st.cli_json(*(["list", "--limit", "3"] + (["--cursor", cursor] if cursor else [])))
            seen += [x["id"] for x in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, everything)
        text = self.st.cli("list", "--requester", email).stdout
        self.assertIn("Projector lamp dead", text)
        self.assertIn("3 tickets", text)
        self.assertIn("P1", self.refused("list", "--priority", "P7").stderr)
        self.assertIn("network, service-desk", self.refused("list", "--team", "nope").stderr)
        self.refused("list", "--cursor", "garbage")

    def test_list_sort_due(self):
        email = "due-%d@example.com" % os.getpid()
        ids = [self.submit("--subject", "Due %d" % i, email=email) for i in range(3)]
        # Armed first, or opdesk-slo arming later would overwrite the due times below.
        self.st.wait_for(lambda: all(self.st.ticket(t).get("armed_at") for t in ids), timeout=10,
                         what="the clocks to be armed")
        # Due times as opdesk-slo writes them; set here so the order is known.
        now = int(self.st.r.time()[0]) * 1000
        for tid, due in zip(ids, (now + 3000000, now + 1000000, now + 2000000)):
            self.st.r.hset("opd:t:{" + tid + "}", mapping={"fr_due": due, "fr_state": "running",
                                                    "res_due": now + 9000000, "res_state": "running"})
        page = self.st.cli_json("list", "--requester", email, "--sort", "due", "--limit", "2")
        self.assertEqual([x["id"] for x in page["items"]], [ids[1], ids[2]])
        page = self.st.cli_json("list", "--requester", email, "--sort", "due", "--cursor",
                                page["next_cursor"])
        self.assertEqual([x["id"] for x in page["items"]], [ids[0]])
        self.assertIsNone(page["next_cursor"])

    # --- the rest --------------------------------------------------------
    def test_help_version_and_unavailable_commands(self):
        p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "--version"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^opdesk \d+\.\d+\.\d+")
        p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for cmd in ("submit", "show", "list", "update", "comment", "anonymise", "coverage", "absence"):
            self.assertIn(cmd, p.stdout)
        self.assertIn("slo report", self.refused("slo", "frobnicate", code=2).stderr)  # slo report: test_slo_report.py
        # coverage: test_rota.py; here only its bad usage.
        self.assertIn("--from", self.refused("coverage", "--from", "yesterday", code=2).stderr)
        self.refused("frobnicate", code=2)

    def test_configuration_is_found_like_the_services_do(self):
        env = {k: v for k, v in os.environ.items() if k != "OPDESK_CONFIG"}
        env["OPDESK_CONFIG"] = self.st.config_path
        p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "show", "OPD-999999"], env=env,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stderr)  # reached this stack's Redis
        p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "--config", "/nonexistent.yaml", "list"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("/nonexistent.yaml", p.stderr)
        if not os.path.exists("/etc/opdesk/opdesk.yaml"):
            # A clone's build/bin/opdesk falls back to the clone's deploy/opdesk.yaml.
            env.pop("OPDESK_CONFIG")
            # (an unknown team is refused from the configuration, before Redis)
            p = subprocess.run([os.path.join(harness.BIN, "opdesk"), "coverage", "--team", "no-such-team"],
                               env=env, capture_output=True, text=True)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("unknown team", p.stderr)
            self.assertNotIn("configuration", p.stderr)


class CliIntakeDownTest(unittest.TestCase):
    def test_submit_exits_3_when_intake_does_not_answer(self):
        with harness.Stack(["intake"]) as st:
            st.stop("intake")
            p = st.cli("submit", "--subject", "Anyone?", "--email", "a@example.com", "--timeout", "1",
                       check=False)
            self.assertEqual(p.returncode, 3, p.stderr)
            self.assertIn("did not answer", p.stderr)
            self.assertEqual(st.r.keys("opd:t:*"), [])


if __name__ == "__main__":
    unittest.main()
