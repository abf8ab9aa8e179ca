"""Retention: closed tickets past their retention lose their personal data,
by `opdesk anonymise` (one pass now, --dry-run only lists) and by the
opdesk-anonymiser service (a pass at start and on SIGHUP)."""
import json
import os
import time
import unittest

import harness

DAY_MS = 24 * 3600 * 1000


def present(name):
    return os.path.exists(os.path.join(harness.BIN, "opdesk-" + name))


SERVICES = ["intake"] + [s for s in ("router",) if present(s)]


def new_ticket(st, subject, *args, email="rita@example.com"):
    return st.cli_json("submit", "--subject", subject, "--email", email, "--name", "Rita Requester",
                       "--phone", "+442079460000", "--body", "Call me on +442079460000", *args)["ticket_id"]


def close_days_ago(st, tid, days, comment=True):
    """Closes the ticket through the workflow, then moves its closing into the past."""
    if comment:
        harness.run_script(st, "comment", tid, "rita@example.com", "requester", "1",
                           "My home address is 1 Private Road", "")
        st.cli("comment", tid, "--body", "Replaced the part.", "--as", "alice")
    st.cli("update", tid, "--status", "resolved", "--note", "fixed")
    st.cli("update", tid, "--status", "closed")
    when = int(time.time() * 1000) - days * DAY_MS
    st.r.zadd("opd:closed", {tid: when})
    st.r.hset("opd:t:{" + tid + "}", "closed_at", when)


class AnonymiseTest(unittest.TestCase):
    def assert_anonymised(self, st, tid, rule):
        h = st.ticket(tid)
        self.assertEqual(h.get("anonymised"), "1", tid)
        for f in ("req_email", "req_phone"):
            self.assertNotIn(f, h)
        self.assertEqual(h["req_name"], "anonymised")
        self.assertEqual(h["body"], "[removed]")
        self.assertNotIn("rita@example.com", json.dumps(h).lower())
        self.assertNotIn("+442079460000", json.dumps(h))
        comments = [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
        for c in comments:
            if c["role"] == "requester":
                self.assertEqual(c["body"], "[removed]")
                self.assertNotIn("@", c["author"])
            else:  # agents' words stay: the comment and the resolution note
                self.assertIn(c["body"], ("Replaced the part.", "fixed"))
        self.assertIsNone(st.r.zscore("opd:closed", tid))
        self.assertIsNotNone(st.r.zscore("opd:anonymised", tid))
        t = st.cli_json("show", tid)
        self.assertIs(t["anonymised"], True)
        self.assertEqual(t["requester"], {"name": "anonymised", "email": None, "phone": None})
        last = t["history"][-1]
        self.assertEqual((last["action"], last["details"]["rule"]), ("anonymised", rule))

    def assert_untouched(self, st, tid):
        h = st.ticket(tid)
        self.assertNotIn("anonymised", h)
        self.assertEqual(h["req_email"], "rita@example.com")
        self.assertEqual(h["body"], "Call me on +442079460000")

    def test_cli_pass_dry_run_and_rules(self):
        with harness.Stack(SERVICES) as st:
            old = new_ticket(st, "Old printer problem")
            recent = new_ticket(st, "Recent printer problem")
            access_old = new_ticket(st, "Badge does not open door", "--category", "access")
            access_new = new_ticket(st, "Badge again", "--category", "access")
            laptop = new_ticket(st, "Laptop for new starter", "--request-type", "new-laptop",
                                "--field", "cost_centre=123456", "--field", "model=standard",
                                "--field", "manager_email=boss@example.com")
            still_open = new_ticket(st, "Never closed")
            close_days_ago(st, old, 400)
            close_days_ago(st, recent, 100)
            close_days_ago(st, access_old, 100)
            close_days_ago(st, access_new, 30)
            close_days_ago(st, laptop, 400, comment=False)
            if present("router"):
                # The router must not have moved the category of the access tickets.
                self.assertEqual(st.ticket(access_old).get("category"), "access")

            want = sorted([{"ticket_id": old, "rule": "closed_days"},
                           {"ticket_id": access_old, "rule": "per_category:access"},
                           {"ticket_id": laptop, "rule": "closed_days"}], key=lambda x: x["ticket_id"])
            dry = st.cli_json("anonymise", "--dry-run")
            self.assertEqual(sorted(dry, key=lambda x: x["ticket_id"]), want)
            for tid in (old, recent, access_old, access_new, laptop, still_open):
                self.assert_untouched(st, tid)
            self.assertEqual([e for topic, e in st.events_history() if topic == "ticket.anonymised"], [])
            text = st.cli("anonymise", "--dry-run").stdout
            self.assertIn("would anonymise %s" % old, text)
            self.assertIn("dry run", text)

            done = st.cli_json("anonymise")
            self.assertEqual(sorted(done, key=lambda x: x["ticket_id"]), want)
            self.assert_anonymised(st, old, "closed_days")
            self.assert_anonymised(st, access_old, "per_category:access")
            self.assert_anonymised(st, laptop, "closed_days")
            fields = json.loads(st.ticket(laptop)["fields"])
            self.assertEqual(fields, {"cost_centre": "123456", "model": "standard",
                                      "manager_email": "[removed]"})
            for tid in (recent, access_new, still_open):
                self.assert_untouched(st, tid)
            events = sorted(e["ticket_id"] for topic, e in st.events_history()
                            if topic == "ticket.anonymised")
            self.assertEqual(events, sorted([old, access_old, laptop]))
            # The requester's list no longer holds them.
            mine = [x["id"] for x in st.cli_json("list", "--requester", "rita@example.com",
                                                  "--limit", "500")["items"]]
            self.assertNotIn(old, mine)
            self.assertIn(recent, mine)
            # A second pass has nothing left to do.
            self.assertEqual(st.cli_json("anonymise"), [])
            self.assertIn("0 tickets anonymised", st.cli("anonymise").stdout)


def zero_day_config(**per_category):
    cfg = harness.copy_config()
    cfg["retention"] = {"closed_days": 0, "per_category": per_category}
    return cfg


def close_now(st, tid):
    st.cli("update", tid, "--status", "resolved", "--note", "fixed")
    st.cli("update", tid, "--status", "closed")


class ZeroDaysTest(unittest.TestCase):
    """retention.closed_days (and a per-category value) may be 0: the ticket is
    anonymised at the first pass after it closes (CONTRACT.md section 8)."""

    def test_dry_run_lists_a_ticket_closed_a_moment_ago(self):
        with harness.Stack(SERVICES, config=zero_day_config(access=30)) as st:
            tid = new_ticket(st, "Screen flickers")
            kept = new_ticket(st, "Badge reader", "--category", "access")
            still_open = new_ticket(st, "Still open")
            close_now(st, tid)
            close_now(st, kept)
            p = st.cli("anonymise", "--dry-run", "--json")
            self.assertEqual(json.loads(p.stdout), [{"ticket_id": tid, "rule": "closed_days"}])
            for t in (tid, kept, still_open):
                self.assertNotIn("anonymised", st.ticket(t))
            self.assertEqual(st.cli_json("anonymise"), [{"ticket_id": tid, "rule": "closed_days"}])
            self.assertEqual(st.ticket(tid)["anonymised"], "1")
            self.assertNotIn("anonymised", st.ticket(kept))
            self.assertNotIn("anonymised", st.ticket(still_open))

    def test_service_anonymises_a_zero_day_ticket_soon_after_it_closes(self):
        with harness.Stack(SERVICES + ["anonymiser"],
                           config=zero_day_config(access=0, hardware=400)) as st:
            tid = new_ticket(st, "Mouse broken")
            access = new_ticket(st, "Door badge", "--category", "access")
            laptop = new_ticket(st, "Laptop slow", "--category", "hardware/laptop")
            time.sleep(1.5)  # the pass at start is over: the next one must come by itself
            self.assertNotIn("anonymised", st.ticket(tid))
            sub = st.subscribe("ticket.anonymised")
            close_now(st, tid)
            close_now(st, access)
            close_now(st, laptop)
            st.wait_for(lambda: st.ticket(tid).get("anonymised") == "1", timeout=8,
                        what="the first pass after closing")
            st.wait_for(lambda: st.ticket(access).get("anonymised") == "1", timeout=8,
                        what="per_category access: 0")
            got = sub.wait(lambda topic, e: e["ticket_id"] == tid)
            self.assertIsNotNone(got, "no ticket.anonymised for %s" % tid)
            self.assertEqual(st.ticket(tid)["req_name"], "anonymised")
            time.sleep(1.5)
            self.assertNotIn("anonymised", st.ticket(laptop))  # hardware keeps 400 days
            self.assertIn("anonymised ticket=%s rule=closed_days" % tid, st.log("anonymiser"))
            self.assertIn("anonymised ticket=%s rule=per_category:access" % access, st.log("anonymiser"))


def api(st, method, path, obj=None, token="change-me-lead"):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=15)
    try:
        c.request(method, path, body=json.dumps(obj) if obj is not None else None,
                  headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read().decode()
        return r.status, (json.loads(text) if text else None)
    finally:
        c.close()


class HoldAndRulesTest(unittest.TestCase):
    def test_legal_hold_keeps_a_ticket_until_lifted(self):
        with harness.Stack(SERVICES + ["web"], config=zero_day_config()) as st:
            held = new_ticket(st, "Dismissal dispute")
            other = new_ticket(st, "Broken chair")
            s, body = api(st, "POST", "/api/v1/tickets/%s/hold" % held, {"reason": "litigation 2026-17"},
                          token="change-me-agent")
            self.assertEqual(s, 403, body)
            s, body = api(st, "POST", "/api/v1/tickets/%s/hold" % held, {})
            self.assertEqual((s, body["error"]["code"]), (422, "invalid"))
            s, body = api(st, "POST", "/api/v1/tickets/OPD-999/hold", {"reason": "x"})
            self.assertEqual(s, 404, body)
            s, t = api(st, "POST", "/api/v1/tickets/%s/hold" % held, {"reason": "litigation 2026-17"})
            self.assertEqual(s, 200, t)
            self.assertEqual((t["hold"]["reason"], t["hold"]["by"]), ("litigation 2026-17", "bob"))
            for tid in (held, other):
                close_now(st, tid)
            self.assertEqual(st.cli_json("anonymise", "--dry-run"), [{"ticket_id": other, "rule": "closed_days"}])
            self.assertEqual(st.cli_json("anonymise"), [{"ticket_id": other, "rule": "closed_days"}])
            self.assertNotIn("anonymised", st.ticket(held))
            self.assertEqual(st.ticket(held)["req_email"], "rita@example.com")
            hist = st.cli_json("show", held)["history"]
            self.assertIn(("bob", "hold_set", "litigation 2026-17"),
                          [(h["actor"], h["action"], h["details"].get("reason")) for h in hist])
            # Lifted by the command line: the next pass takes it.
            st.cli("hold", held, "--lift", "--as", "bob")
            self.assertIsNone(st.cli_json("show", held)["hold"])
            self.assertEqual(st.cli_json("anonymise"), [{"ticket_id": held, "rule": "closed_days"}])
            hist = st.cli_json("show", held)["history"]
            actions = [h["action"] for h in hist]
            self.assertLess(actions.index("hold_set"), actions.index("hold_lifted"))
            self.assertEqual(actions[-1], "anonymised")
            # A hold set by the command line, and lifted through the API.
            third = new_ticket(st, "Grievance")
            out = st.cli_json("hold", third, "--reason", "subject access request", "--as", "bob")
            self.assertEqual(out, {"ticket_id": third, "hold": True, "changed": True})
            close_now(st, third)
            self.assertEqual(st.cli_json("anonymise"), [])
            s, t = api(st, "DELETE", "/api/v1/tickets/%s/hold" % third, token="change-me-admin")
            self.assertEqual((s, t["hold"]), (200, None))
            self.assertEqual(st.cli_json("anonymise"), [{"ticket_id": third, "rule": "closed_days"}])
            self.assertNotEqual(st.cli("hold", third, check=False).returncode, 0)

    def test_retention_per_request_type_wins_over_category(self):
        cfg = harness.copy_config()
        cfg["retention"] = {"closed_days": 365, "per_category": {"access": 0},
                            "per_request_type": {"new-laptop": 30}}
        with harness.Stack(SERVICES, config=cfg) as st:
            laptop = new_ticket(st, "Laptop for a starter", "--request-type", "new-laptop", "--category", "access",
                                "--field", "cost_centre=123456", "--field", "model=standard")
            old_laptop = new_ticket(st, "Laptop again", "--request-type", "new-laptop",
                                    "--field", "cost_centre=123456", "--field", "model=standard")
            door = new_ticket(st, "Door badge", "--category", "access")
            close_days_ago(st, laptop, 10, comment=False)
            close_days_ago(st, old_laptop, 31, comment=False)
            close_days_ago(st, door, 0, comment=False)
            self.assertEqual(sorted(st.cli_json("anonymise"), key=lambda x: x["ticket_id"]),
                             sorted([{"ticket_id": old_laptop, "rule": "per_request_type:new-laptop"},
                                     {"ticket_id": door, "rule": "per_category:access"}],
                                    key=lambda x: x["ticket_id"]))
            self.assertNotIn("anonymised", st.ticket(laptop))
        bad = harness.copy_config()
        bad["retention"] = {"closed_days": 365, "per_request_type": {"new-phone": 3}}
        st = harness.Stack([], config=bad)
        with st:
            p = st.cli("show", "OPD-1", check=False)
            self.assertIn("retention.per_request_type.new-phone", p.stderr)

    def test_erasure_request_anonymises_one_closed_ticket_now(self):
        with harness.Stack(SERVICES) as st:  # closed_days 365
            tid = new_ticket(st, "Expenses for Rita Requester")
            still_open = new_ticket(st, "Open one")
            held = new_ticket(st, "Held one")
            close_now(st, tid)
            close_now(st, held)
            st.cli("hold", held, "--reason", "tribunal", "--as", "bob")
            self.assertEqual(st.cli_json("anonymise", "--ticket", tid), [{"ticket_id": tid, "rule": "request"}])
            h = st.ticket(tid)
            self.assertEqual((h["anonymised"], h["anonymised_rule"], h["subject"]),
                             ("1", "request", "Expenses for [name removed]"))
            p = st.cli("anonymise", "--ticket", still_open, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("not closed", p.stderr)
            p = st.cli("anonymise", "--ticket", held, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("legal hold", p.stderr)
            self.assertEqual(st.cli("anonymise", "--ticket", "OPD-999", check=False).returncode, 1)
            self.assertIn("was anonymised already", st.cli("anonymise", "--ticket", tid).stdout)
            for t in (still_open, held):
                self.assertNotIn("anonymised", st.ticket(t))
            receipt = st.r.hgetall("opd:anon:run:1")
            self.assertEqual((receipt["state"], receipt["tickets"]), ("done", "1"))

    def test_a_run_stopped_after_the_ticket_step_is_finished_by_the_next(self):
        with harness.Stack(SERVICES, config=zero_day_config()) as st:
            r = st.submit(st.message(external_id="<rita.private@example.com>", participants=["cc@example.com"]))
            tid = r["ticket_id"]
            close_now(st, tid)
            # The ticket step alone, as a run killed before its sweep leaves
            # it: the keys that name the ticket went with it (the same
            # atomic step), the events wait for the sweep.
            r = harness.run_script(st, "anonymise", tid, "closed_days", "", "7")
            self.assertEqual((r[0], r[5:9]), (1, [1, 1, 0, 0]))  # done; idem, ext, no call, no number
            self.assertEqual(st.r.zrange("opd:anon:pending", 0, -1), [tid])
            self.assertIsNone(st.r.get("opd:ext:<rita.private@example.com>"))
            self.assertFalse(st.r.keys("opd:idem:api:*rita*"))
            self.assertIn("ticket.closed", [t for t, e in st.events_history() if e.get("ticket_id") == tid])
            self.assertEqual(st.cli_json("anonymise"), [])  # nothing new to anonymise...
            self.assertEqual(st.r.zcard("opd:anon:pending"), 0)  # ...but the sweep ran
            run = st.r.zrange("opd:anon:runs", 0, -1)[-1]
            receipt = st.r.hgetall("opd:anon:run:" + run)
            self.assertEqual((receipt["state"], receipt["tickets"], receipt["swept_tickets"]), ("done", "0", "1"))
            self.assertEqual((receipt["ext"], receipt["idem"]), ("0", "0"))
            self.assertGreaterEqual(int(receipt["events"]), 2)  # ticket.resolved and ticket.closed
            topics = [t for t, e in st.events_history() if e.get("ticket_id") == tid]
            self.assertIn("ticket.created", topics)
            self.assertNotIn("ticket.closed", topics)
            self.assertNotIn("rita", json.dumps(st.ticket(tid)).lower())


    def test_one_script_call_does_a_batch_and_skips_what_is_not_eligible(self):
        with harness.Stack(SERVICES, config=zero_day_config()) as st:
            tids = []
            for i in range(3):
                tid = st.submit(st.message(external_id="batch-%d" % i, requester={
                    "name": "Rita Requester", "email": "rita%d@example.com" % i}))["ticket_id"]
                close_now(st, tid)
                tids.append(tid)
            st.r.hset("opd:t:{" + tids[1] + "}", "hold", "1")
            args = []
            for tid in tids:
                args += [tid, "closed_days", "", "9", "", ""]
            r = harness.run_script(st, "anonymise", *args)
            self.assertEqual(len(r), 27)
            self.assertEqual((r[0], r[9], r[18]), (1, 0, 1))
            self.assertEqual(r[9:18], [0] * 9)
            self.assertEqual((r[4], r[22]), (1, 1))  # each left its requester's index
            # ...and its idempotency and threading keys (idem, ext; no call
            # or number), in the same step; the held one keeps its own.
            self.assertEqual((r[5:9], r[23:27]), ([1, 1, 0, 0], [1, 1, 0, 0]))
            self.assertEqual([st.r.get("opd:ext:batch-%d" % i) for i in range(3)], [None, tids[1], None])
            for tid in (tids[0], tids[2]):
                h = st.ticket(tid)
                self.assertEqual((h["anonymised"], h["anonymised_run"], h["req_name"]), ("1", "9", "anonymised"))
            self.assertEqual(st.ticket(tids[1])["req_email"], "rita1@example.com")
            self.assertEqual(sorted(st.r.zrange("opd:anon:pending", 0, -1)), sorted([tids[0], tids[2]]))
            self.assertEqual(st.r.zrange("opd:closed", 0, -1), [tids[1]])
            self.assertEqual(sorted(st.r.zrange("opd:anonymised", 0, -1)), sorted([tids[0], tids[2]]))

class LinksTest(unittest.TestCase):
    """The keys of every message threaded onto a ticket go with it, found
    from the ticket (its links), never by scanning (decision 164)."""

    def replied(self, st, first, second):
        tid = st.submit(st.message(external_id=first))["ticket_id"]
        r = st.submit(st.message(external_id=second, reply_to=first))
        self.assertEqual((r["ticket_id"], r["created"]), (tid, False))
        return tid

    def test_a_replys_keys_go_with_its_ticket(self):
        with harness.Stack(SERVICES, config=zero_day_config()) as st:
            tid = self.replied(st, "one@rita.example", "two@rita.example")
            other = st.submit(st.message(external_id="three@rita.example"))["ticket_id"]
            self.assertEqual(json.loads(st.ticket(tid)["links"]), [["api", "two@rita.example"]])
            self.assertEqual(st.r.get("opd:ext:two@rita.example"), tid)
            close_now(st, tid)
            self.assertEqual(st.cli_json("anonymise"), [{"ticket_id": tid, "rule": "closed_days"}])
            self.assertEqual(sorted(st.r.keys("opd:*rita.example*")),
                             ["opd:ext:three@rita.example", "opd:idem:api:three@rita.example"])
            self.assertEqual(st.r.get("opd:ext:three@rita.example"), other)
            self.assertNotIn("links", st.ticket(tid))
            receipt = st.r.hgetall("opd:anon:run:" + st.r.zrange("opd:anon:runs", 0, -1)[-1])
            self.assertEqual((receipt["idem"], receipt["ext"]), ("2", "2"))

    def test_a_desk_older_than_links_gets_them_once_from_its_idempotency_keys(self):
        with harness.Stack(SERVICES, config=zero_day_config()) as st:
            tid = self.replied(st, "one@rita.example", "two@rita.example")
            # A new desk has its links from the start...
            self.assertEqual(st.r.get("opd:anon:linked"), "1")
            # ...this one is as an older opdesk left it: no links, never recorded.
            st.r.hdel("opd:t:{%s}" % tid, "links")
            st.r.delete("opd:anon:linked")
            self.assertEqual(st.cli_json("anonymise"), [])
            self.assertEqual(st.r.get("opd:anon:linked"), "1")
            self.assertEqual(json.loads(st.ticket(tid)["links"]), [["api", "two@rita.example"]])
            close_now(st, tid)
            st.cli("anonymise")
            self.assertEqual(st.r.keys("opd:*rita.example*"), [])


class BacklogTest(unittest.TestCase):
    def test_with_no_pause_calls_go_ahead_of_their_replies_and_every_ticket_counts(self):
        # retention.pause_ms 0: the next script call is sent before the last
        # one's reply is read; each reply still counts for its own tickets.
        cfg = zero_day_config()
        cfg["retention"].update({"batch": 2, "pause_ms": 0})
        with harness.Stack(SERVICES, config=cfg) as st:
            tids = [st.submit(st.message(external_id="b%d@rita.example" % i))["ticket_id"] for i in range(7)]
            for tid in tids:
                close_now(st, tid)
            st.r.hset("opd:t:{" + tids[3] + "}", "hold", "1")
            done = st.cli_json("anonymise")
            want = [t for t in tids if t != tids[3]]
            self.assertEqual(sorted(d["ticket_id"] for d in done), sorted(want))
            receipt = st.r.hgetall("opd:anon:run:" + st.r.zrange("opd:anon:runs", 0, -1)[-1])
            self.assertEqual((receipt["state"], receipt["tickets"], receipt["ext"], receipt["idem"]),
                             ("done", "6", "6", "6"))
            self.assertEqual(sorted(st.r.keys("opd:*rita.example*")),
                             ["opd:ext:b3@rita.example", "opd:idem:api:b3@rita.example"])
            for tid in want:
                self.assertEqual(st.ticket(tid)["anonymised"], "1")


class BackgroundTest(unittest.TestCase):
    def sched_policy(self, pid):
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[38])  # field 41, policy

    def test_by_default_the_anonymiser_runs_on_idle_cpu_time_only(self):
        # retention.background (default true): SCHED_IDLE (5), so that a run
        # never takes a core from intake; false leaves it a normal process.
        with harness.Stack([], config=zero_day_config()) as st:
            del st.config["retention"]["background"]  # the default, not the harness's
            st.write_config()
            p = st.start("anonymiser")
            self.assertEqual(self.sched_policy(p.pid), 5)
            self.assertIn("cpu: runs in the background (SCHED_IDLE)", st.log("anonymiser"))
            st.stop("anonymiser")
            st.config["retention"]["background"] = False
            st.write_config()
            p = st.start("anonymiser")
            self.assertEqual(self.sched_policy(p.pid), 0)
            self.assertNotIn("cpu: runs in the background", st.log("anonymiser").split("stopped")[-1])


class ReceiptTest(unittest.TestCase):
    """Receipts signed with retention.receipt_key (Ed25519), verified by
    `opdesk anonymise --receipt N`."""

    def test_a_real_runs_receipt_verifies_and_a_changed_count_does_not(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        with harness.Stack(SERVICES, config=zero_day_config()) as st:
            path = os.path.join(st.tmp, "receipt.key")
            made = st.cli_json("keys", "receipt-key", path)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            self.assertEqual(os.path.getsize(path), 32)
            self.assertEqual(st.cli("keys", "receipt-key", path, check=False).returncode, 1)  # never overwritten
            st.config["retention"]["receipt_key"] = path
            st.write_config()
            tid = new_ticket(st, "Signed away")
            close_now(st, tid)
            self.assertEqual(len(st.cli_json("anonymise")), 1)
            run = st.r.zrange("opd:anon:runs", 0, -1)[-1]
            shown = st.cli_json("anonymise", "--receipt", run)
            self.assertIs(shown["verified"], True)
            self.assertIsNone(shown["reason"])
            self.assertEqual(shown["signed_by"], made["public_key"])
            self.assertEqual((shown["receipt"]["state"], shown["receipt"]["tickets"]), ("done", "1"))
            stored = st.r.hgetall("opd:anon:run:" + run)
            self.assertEqual(stored["signed"], shown["signed"])
            self.assertTrue(stored["signed"].startswith("opdesk-anonymiser-receipt-v1\nrun %s\n" % run))
            self.assertIn("\ntickets 1\n", stored["signed"])
            # An independent Ed25519 implementation agrees.
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(made["public_key"])).verify(
                bytes.fromhex(stored["signature"]), stored["signed"].encode())
            self.assertIn("signature verified", st.cli("anonymise", "--receipt", run).stdout)
            # A count changed in Redis afterwards no longer verifies...
            st.r.hset("opd:anon:run:" + run, "tickets", "0")
            p = st.cli("anonymise", "--receipt", run, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("changed after it was signed", p.stderr)
            p = st.cli("anonymise", "--receipt", run, "--json", check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIs(json.loads(p.stdout)["verified"], False)
            # ...nor when the signed text is changed to match.
            st.r.hset("opd:anon:run:" + run, "signed", stored["signed"].replace("\ntickets 1\n", "\ntickets 0\n"))
            p = st.cli("anonymise", "--receipt", run, check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("signature does not match", p.stderr)
            self.assertEqual(st.cli("anonymise", "--receipt", "999", check=False).returncode, 1)

    def test_a_bad_key_is_refused_and_a_receipt_without_a_key_is_unsigned(self):
        with harness.Stack(SERVICES, config=zero_day_config()) as st:
            first = new_ticket(st, "Unsigned")
            close_now(st, first)
            self.assertEqual(len(st.cli_json("anonymise")), 1)
            p = st.cli("anonymise", "--receipt", "1", check=False)
            self.assertEqual(p.returncode, 1)
            self.assertIn("not signed", p.stderr)
            short = os.path.join(st.tmp, "short.key")
            with open(short, "wb") as f:
                f.write(os.urandom(31))
            st.config["retention"]["receipt_key"] = short
            st.write_config()
            tid = new_ticket(st, "Not with that key")
            close_now(st, tid)
            p = st.cli("anonymise", check=False)
            self.assertEqual(p.returncode, 2)
            self.assertIn("retention.receipt_key", p.stderr)
            self.assertIn("exactly 32 bytes", p.stderr)
            self.assertNotIn("anonymised", st.ticket(tid))  # refused before any change
            self.assertEqual(st.r.zrange("opd:anon:runs", 0, -1), ["1"])
            # The service refuses to start with it, naming the key.
            svc = st.start("anonymiser", wait=False)
            self.assertNotEqual(svc.wait(15), 0)
            del st.procs["anonymiser"]  # it exited, as it should: not a crash at teardown
            self.assertIn("retention.receipt_key", st.log("anonymiser"))
            self.assertNotIn("anonymised", st.ticket(tid))
            with open(short, "wb") as f:  # a zeroed key is no key either
                f.write(bytes(32))
            p = st.cli("anonymise", "--ticket", tid, check=False)
            self.assertEqual(p.returncode, 2)
            self.assertIn("all zero", p.stderr)
            self.assertNotIn("anonymised", st.ticket(tid))


class PseudonymTest(unittest.TestCase):
    def test_pseudonyms_count_repeat_requesters_until_the_key_is_destroyed(self):
        cfg = zero_day_config()
        with harness.Stack(SERVICES, config=cfg) as st:
            keys = os.path.join(st.tmp, "keys")
            os.mkdir(keys, 0o700)
            with open(os.path.join(keys, "2020.key"), "wb") as f:  # an old period, past keep_years
                f.write(os.urandom(32))
            st.config["retention"]["pseudonyms"] = {"keys_dir": keys, "keep_years": 2}
            st.write_config()
            a = new_ticket(st, "First", email="Rita@Example.com")
            b = new_ticket(st, "Second", email="rita@example.com")
            c = new_ticket(st, "Other", email="sam@example.com")
            for t in (a, b, c):
                close_now(st, t)
            self.assertEqual(len(st.cli_json("anonymise")), 3)
            year = time.strftime("%Y", time.gmtime())
            self.assertFalse(os.path.exists(os.path.join(keys, "2020.key")))  # destroyed on schedule
            self.assertEqual(os.stat(os.path.join(keys, year + ".key")).st_mode & 0o777, 0o600)
            ta, tb, tc = (st.cli_json("show", t) for t in (a, b, c))
            self.assertEqual([t["privacy"] for t in (ta, tb, tc)], ["pseudonymised"] * 3)
            self.assertEqual(ta["pseudonym"], tb["pseudonym"])  # the same person, counted once
            self.assertNotEqual(ta["pseudonym"], tc["pseudonym"])
            self.assertRegex(ta["pseudonym"], "^[0-9a-f]{32}$")
            self.assertEqual(ta["pseudonym_period"], year)
            self.assertNotIn("rita", json.dumps(ta).lower())

            st.cli("keys", "destroy", year)
            self.assertFalse(os.path.exists(os.path.join(keys, year + ".key")))
            for t in (a, b, c):
                shown = st.cli_json("show", t)
                self.assertEqual(shown["privacy"], "anonymous")
                self.assertEqual(shown["history"][-1]["action"], "pseudonym_key_destroyed")
            destroyed = [e for topic, e in st.events_history() if topic == "key.destroyed"]
            self.assertEqual(sorted((e["period"], e["tickets"]) for e in destroyed), [("2020", 0), (year, 3)])
            # A ticket anonymised after its period's key is gone has no pseudonym,
            # and the key is never made again.
            d = new_ticket(st, "Late one")
            close_now(st, d)
            st.cli_json("anonymise")
            shown = st.cli_json("show", d)
            self.assertEqual((shown["privacy"], shown["pseudonym"]), ("anonymous", None))
            self.assertFalse(os.path.exists(os.path.join(keys, year + ".key")))


class KilledRunTest(unittest.TestCase):
    def test_a_run_killed_halfway_and_started_again_finishes(self):
        import signal
        import subprocess
        import sys
        sys.path.insert(0, os.path.join(harness.SOURCE, "bench"))
        import anonymise as bench  # the benchmark's filler: create.lua and comment.lua
        n = 3000
        with harness.Stack([], config=zero_day_config()) as st:
            bench.fill(st, n)
            p = subprocess.Popen([os.path.join(harness.BIN, "opdesk"), "--config", st.config_path, "anonymise"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            st.wait_for(lambda: st.r.zcard("opd:anonymised") >= 50, timeout=60, interval=0.005,
                        what="the run to start")
            p.send_signal(signal.SIGKILL)
            p.wait(10)
            # The killed run's canary (test_canary.py) is anonymised first.
            done = len([t for t in st.r.zrange("opd:anonymised", 0, -1) if not t.startswith("CANARY-")])
            self.assertLess(done, n, "the run finished before it was killed")
            self.assertEqual(st.r.hget("opd:anon:run:1", "state"), "running")
            # Every ticket is either done whole or untouched: the script is atomic.
            for i in range(1, n + 1):
                h = st.r.hmget("opd:t:{OPD-%d}" % i, "anonymised", "req_email", "req_name")
                if h[0] == "1":
                    self.assertEqual((h[1], h[2]), (None, "anonymised"))
                else:
                    self.assertEqual(h[1], "p%d@example.com" % (i - 1))
            out = st.cli_json("anonymise")
            self.assertEqual(len(out) + done, n)
            self.assertEqual(st.r.zcard("opd:anonymised"), n)
            self.assertEqual(st.r.zcard("opd:closed"), 0)
            self.assertEqual(st.r.zcard("opd:anon:pending"), 0)
            self.assertEqual(st.r.keys("opd:idem:*"), [])
            self.assertEqual(st.r.keys("opd:ext:*"), [])
            self.assertEqual(st.r.keys("opd:idx:req:*"), [])
            receipt = st.r.hgetall("opd:anon:run:2")
            self.assertEqual((receipt["state"], int(receipt["tickets"]), int(receipt["swept_tickets"])),
                             ("done", n - done, n))


class AnonymiserServiceTest(unittest.TestCase):
    def test_service_passes_at_start_and_on_sighup(self):
        with harness.Stack(SERVICES) as st:
            first = new_ticket(st, "Old monitor")
            close_days_ago(st, first, 400)
            sub = st.subscribe("ticket.anonymised")
            st.start("anonymiser")
            st.wait_for(lambda: st.ticket(first).get("anonymised") == "1", what="the pass at start")
            ev = sub.wait(lambda topic, e: e["ticket_id"] == first)
            self.assertIsNotNone(ev, "no live ticket.anonymised event")
            self.assertEqual(ev[1]["type"], "ticket.anonymised")
            self.assertIsInstance(ev[1]["at"], int)

            second = new_ticket(st, "Old door badge", "--category", "access")
            kept = new_ticket(st, "Recent monitor")
            close_days_ago(st, second, 91)
            close_days_ago(st, kept, 91)
            time.sleep(0.5)
            self.assertNotIn("anonymised", st.ticket(second))  # no pass until asked
            st.reconfigure()  # SIGHUP: reload and pass now
            st.wait_for(lambda: st.ticket(second).get("anonymised") == "1", what="the pass on SIGHUP")
            self.assertNotIn("anonymised", st.ticket(kept))
            log = st.log("anonymiser")
            self.assertIn(" ready", log)
            self.assertIn("anonymised ticket=%s rule=closed_days" % first, log)
            self.assertIn("anonymised ticket=%s rule=per_category:access" % second, log)
            self.assertNotIn("rita", log.lower())
            self.assertEqual(st.stop("anonymiser"), 0)

    def test_service_waits_for_redis(self):
        with harness.Stack(["intake"]) as st:
            tid = new_ticket(st, "Old keyboard")
            close_days_ago(st, tid, 400, comment=False)
            st.stop_redis()
            st.start("anonymiser")
            st.start_redis()  # same folder: the AOF brings the ticket back
            st.wait_for(lambda: st.ticket(tid).get("anonymised") == "1", timeout=20,
                        what="a pass once Redis is back")


if __name__ == "__main__":
    unittest.main()
