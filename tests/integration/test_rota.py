"""The rota against the real opdesk-web, opdesk-slo and command-line tool
(issue 10): absences through POST/DELETE /api/v1/absences with the roles of
CONTRACT.md section 8, coverage through GET /api/v1/coverage and
`opdesk coverage --json` (the same shape), and coverage.gap recorded once in
the durable event history when an absence opens a gap.

The team `ops` works around the clock (24x7, UTC) and needs one agent on
duty; carol covers it alone, every day, 00:00-24:00 UTC. So a sickness of
carol opens a gap of exactly its own length."""
import datetime
import json
import time
import unittest

import harness
from test_web import Client

AGENT, LEAD, REQUESTER = "change-me-agent", "change-me-lead", "change-me-requester"
HOUR = 3600000


def iso(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def config():
    cfg = harness.copy_config()
    for t in cfg["teams"]:
        t["min_on_duty"] = 0  # no gaps but ops's
    cfg["teams"].append({"id": "ops", "name": "Operations", "calendar": "always", "min_on_duty": 1})
    cfg["agents"].append({"id": "carol", "name": "Carol", "email": "carol@example.org", "teams": ["ops"]})
    cfg["shifts"].append({"agent": "carol", "team": "ops", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                          "from": "00:00", "to": "24:00", "timezone": "UTC"})
    cfg["shifts"].append({"agent": "alice", "team": "ops", "days": ["sat"],
                          "from": "00:00", "to": "01:00", "timezone": "UTC"})
    return cfg


class RotaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["slo", "web"], config=config(), smtp=False)
        cls.st.__enter__()
        cls.http = Client(cls.st.http_port)

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def gap_events(self, team="ops"):
        s, body, _ = self.http.request("GET", "/api/v1/events?topic=coverage.&limit=1000", token=LEAD)
        self.assertEqual(s, 200, body)
        return [e for e in body["items"] if e["team"] == team]

    def period(self, days_ahead):
        # Three whole hours days_ahead from now, on a Monday to Thursday: away
        # from alice's Saturday hour in ops.
        base = (harness.now_ms() // HOUR + days_ahead * 24) * HOUR
        while datetime.datetime.fromtimestamp(base / 1000, datetime.timezone.utc).weekday() >= 4:
            base += 24 * HOUR
        return base, base + 3 * HOUR

    def test_sickness_opens_one_gap_announced_once_and_deleting_it_closes_the_gap(self):
        f, t = self.period(2)
        before = len(self.gap_events())
        s, a, _ = self.http.request("POST", "/api/v1/absences", token=LEAD,
                                    body={"agent": "carol", "from": iso(f), "to": iso(t), "kind": "sickness"})
        self.assertEqual(s, 201, a)
        self.assertEqual((a["agent"], a["kind"], a["from"], a["to"]), ("carol", "sickness", iso(f), iso(t)))
        self.assertTrue(a["id"])
        # One coverage.gap, at once (opdesk-web runs the pass on a change).
        evs = self.gap_events()
        self.assertEqual(len(evs), before + 1, evs)
        ev = evs[-1]
        self.assertEqual((ev["type"], ev["v"], ev["from"], ev["to"], ev["on_duty"], ev["required"]),
                         ("coverage.gap", 1, iso(f), iso(t), 0, 1))
        self.assertNotIn("ticket_id", ev)
        self.assertIn("at", ev)
        # The same absence again, or one that overlaps it: 422 naming the
        # field, nothing stored, no event.
        for ff, tt in ((f, t), (f + HOUR, t + HOUR), (f - HOUR, f + 1000)):
            s, e, _ = self.http.request("POST", "/api/v1/absences", token=LEAD,
                                        body={"agent": "carol", "from": iso(ff), "to": iso(tt), "kind": "sickness"})
            self.assertEqual((s, e["error"]["key"], e["error"]["overlaps"]), (422, "from", a["id"]), e)
        self.assertEqual(len(self.gap_events()), before + 1)
        # Back to back is not an overlap (half-open): stored. The gap grows to
        # [f, t + 1 h), which is another gap, announced; removing it again
        # brings back [f, t), which was announced already: nothing.
        s, nxt, _ = self.http.request("POST", "/api/v1/absences", token=LEAD,
                                      body={"agent": "carol", "from": iso(t), "to": iso(t + HOUR), "kind": "other"})
        self.assertEqual(s, 201, nxt)
        evs = self.gap_events()
        self.assertEqual([(e["from"], e["to"]) for e in evs[before:]], [(iso(f), iso(t)), (iso(f), iso(t + HOUR))])
        s, _, _ = self.http.request("DELETE", "/api/v1/absences/" + nxt["id"], token=LEAD)
        self.assertEqual(s, 204)
        before += 1
        s, lst, _ = self.http.request("GET", "/api/v1/absences?agent=carol&from=%s&to=%s" % (iso(f), iso(t)),
                                      token=LEAD)
        self.assertEqual([x["id"] for x in lst["items"]], [a["id"]])
        # The pass of opdesk-slo again (a reload runs it): nothing new.
        mark = len(self.st.log("slo"))
        self.st.reconfigure()
        self.st.wait_for(lambda: "reconfigured" in self.st.log("slo")[mark:], timeout=10, what="slo reload")
        time.sleep(0.5)
        self.assertEqual(len(self.gap_events()), before + 1)
        # Coverage lists the gap, with the ratio of the period.
        q = "/api/v1/coverage?team=ops&from=%s&to=%s" % (iso(f - HOUR), iso(t + HOUR))
        s, cov, _ = self.http.request("GET", q, token=LEAD)
        self.assertEqual(s, 200, cov)
        self.assertEqual(cov, {"from": iso(f - HOUR), "to": iso(t + HOUR), "teams": [
            {"team": "ops", "required": 1, "covered_ratio": 0.4,
             "gaps": [{"from": iso(f), "to": iso(t), "on_duty": 0, "required": 1}]}]})
        # The command line prints the same object.
        self.assertEqual(self.st.cli_json("coverage", "--team", "ops", "--from", iso(f - HOUR), "--to", iso(t + HOUR)), cov)
        table = self.st.cli("coverage", "--team", "ops", "--from", iso(f - HOUR), "--to", iso(t + HOUR)).stdout
        self.assertIn("ops: 40.0% of working time covered, 1 on duty needed; 1 gap, 3h00 in all", table)
        self.assertIn("on duty 0 of 1", table)
        # Deleting the absence closes the gap.
        s, _, _ = self.http.request("DELETE", "/api/v1/absences/" + a["id"], token=LEAD)
        self.assertEqual(s, 204)
        s, cov, _ = self.http.request("GET", q, token=LEAD)
        self.assertEqual(cov["teams"][0]["gaps"], [])
        self.assertEqual(cov["teams"][0]["covered_ratio"], 1)
        s, e, _ = self.http.request("DELETE", "/api/v1/absences/" + a["id"], token=LEAD)
        self.assertEqual(s, 404, e)
        self.assertEqual(len(self.gap_events()), before + 1)
        # The same sickness recorded again opens the same gap (team, from,
        # to), which was announced already: nothing new.
        s, a2, _ = self.http.request("POST", "/api/v1/absences", token=LEAD,
                                     body={"agent": "carol", "from": iso(f), "to": iso(t), "kind": "sickness"})
        self.assertEqual(s, 201, a2)
        self.assertEqual(len(self.gap_events()), before + 1)
        s, _, _ = self.http.request("DELETE", "/api/v1/absences/" + a2["id"], token=LEAD)
        self.assertEqual(s, 204)

    def test_roles_and_bad_input(self):
        f, t = self.period(30)
        body = {"agent": "carol", "from": iso(f), "to": iso(t), "kind": "annual_leave"}
        # An agent records only its own absences.
        s, e, _ = self.http.request("POST", "/api/v1/absences", token=AGENT, body=body)
        self.assertEqual((s, e["error"]["code"]), (403, "forbidden"))
        s, e, _ = self.http.request("POST", "/api/v1/absences", token=REQUESTER, body=body)
        self.assertEqual(s, 403)
        s, own, _ = self.http.request("POST", "/api/v1/absences", token=AGENT, body=dict(body, agent="alice"))
        self.assertEqual(s, 201, own)
        s, lead, _ = self.http.request("POST", "/api/v1/absences", token=LEAD, body=body)
        self.assertEqual(s, 201, lead)
        s, e, _ = self.http.request("DELETE", "/api/v1/absences/" + lead["id"], token=AGENT)
        self.assertEqual(s, 403, e)
        # Leads read coverage; agents do not.
        s, e, _ = self.http.request("GET", "/api/v1/coverage", token=AGENT)
        self.assertEqual(s, 403, e)
        s, cov, _ = self.http.request("GET", "/api/v1/coverage", token=LEAD)
        self.assertEqual(s, 200, cov)
        self.assertEqual(sorted(x["team"] for x in cov["teams"]), ["network", "ops", "service-desk"])
        # Bad input: 422 naming the field, nothing stored.
        for bad, key in [(dict(body, agent="zed"), "agent"), (dict(body, kind="holiday"), "kind"),
                         (dict(body, to=iso(f)), "to"), (dict(body, to="tomorrow"), "to"),
                         (dict(body, colour="red"), "colour")]:
            s, e, _ = self.http.request("POST", "/api/v1/absences", token=LEAD, body=bad)
            self.assertEqual((s, e["error"]["code"], e["error"].get("key")), (422, "invalid", key), (bad, e))
        s, lst, _ = self.http.request("GET", "/api/v1/absences?team=ops&from=%s&to=%s" % (iso(f), iso(t)), token=AGENT)
        self.assertEqual(sorted(x["agent"] for x in lst["items"]), ["alice", "carol"])
        s, e, _ = self.http.request("GET", "/api/v1/coverage?team=nope", token=LEAD)
        self.assertEqual((s, e["error"]["key"]), (422, "team"))
        s, e, _ = self.http.request("DELETE", "/api/v1/absences/A999999", token=LEAD)
        self.assertEqual(s, 404)
        # The agent removes its own.
        s, _, _ = self.http.request("DELETE", "/api/v1/absences/" + own["id"], token=AGENT)
        self.assertEqual(s, 204)

    def test_cli_absences_and_oncall(self):
        f, t = self.period(60)
        p = self.st.cli("absence", "add", "--agent", "bob", "--kind", "other", "--from", iso(f), "--to", iso(t))
        aid = p.stdout.strip()
        items = self.st.cli_json("absence", "list", "--agent", "bob")["items"]
        self.assertEqual([(x["id"], x["kind"], x["from"], x["to"]) for x in items], [(aid, "other", iso(f), iso(t))])
        p = self.st.cli("absence", "add", "--agent", "bob", "--kind", "other", "--from", iso(f), "--to", iso(t), check=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("overlaps", p.stderr)
        self.st.cli("absence", "remove", aid)
        self.assertEqual(self.st.cli_json("absence", "list", "--agent", "bob")["items"], [])
        s, oc, _ = self.http.request("GET", "/api/v1/oncall?team=ops", token=AGENT)
        self.assertEqual(s, 200, oc)
        self.assertIn("carol", oc["teams"][0]["on_duty"])
        # An extra shift and a removal (overrides) change coverage.
        f, t = self.period(90)
        q = ["coverage", "--team", "ops", "--from", iso(f), "--to", iso(t)]
        oid = self.st.cli("shift", "add", "--agent", "carol", "--team", "ops", "--kind", "remove",
                          "--from", iso(f), "--to", iso(f + HOUR)).stdout.strip()
        gaps = self.st.cli_json(*q)["teams"][0]["gaps"]
        self.assertEqual(gaps, [{"from": iso(f), "to": iso(f + HOUR), "on_duty": 0, "required": 1}])
        self.st.cli("shift", "add", "--agent", "alice", "--team", "ops", "--from", iso(f), "--to", iso(f + HOUR))
        self.assertEqual(self.st.cli_json(*q)["teams"][0]["gaps"], [])
        # The rota: carol's day, less the hour removed, then alice's extra hour.
        s, rota, _ = self.http.request("GET", "/api/v1/rota?team=ops&from=%s&to=%s" % (iso(f), iso(t)), token=AGENT)
        self.assertEqual(s, 200, rota)
        on = {a["agent"]: a["on_duty"] for a in rota["teams"][0]["agents"]}
        self.assertEqual(on["carol"], [{"from": iso(f + HOUR), "to": iso(t)}])
        self.assertEqual(on["alice"], [{"from": iso(f), "to": iso(f + HOUR)}])
        self.assertEqual(self.st.cli_json("rota", "--team", "ops", "--from", iso(f), "--to", iso(t)), rota)
        self.st.cli("shift", "remove", oid)


class RotaPassTest(unittest.TestCase):
    """The pass of opdesk-slo on its own: a configuration reload that opens a
    gap announces it, and a gap that has begun is announced as begun."""

    def test_reload_and_sickness_today_announce_begun_gaps_once(self):
        with harness.Stack(["intake", "router", "slo", "web"], config=config(), smtp=False) as st:
            http = Client(st.http_port)
            # A ticket of carol's, open.
            s, tk, _ = http.request("POST", "/api/v1/tickets", token=AGENT,
                                    body={"subject": "Backup job failed", "requester": {"email": "rita@example.com"}})
            self.assertEqual(s, 201, tk)
            tid = tk["id"]
            st.wait_for(lambda: st.ticket(tid).get("routed_at") and st.ticket(tid).get("res_due"),
                        what="routing and clocks")
            s, tk, _ = http.request("PATCH", "/api/v1/tickets/" + tid, token=LEAD,
                                    body={"team": "ops", "assignee": "carol", "note": "Ops job"})
            self.assertEqual(s, 200, tk)

            def events(team):
                s, body, _ = http.request("GET", "/api/v1/events?topic=coverage.gap&limit=1000", token=LEAD)
                self.assertEqual(s, 200, body)
                return [e for e in body["items"] if e["team"] == team]

            # Sickness today: the gap has begun; the answer lists carol's open
            # tickets; the live events socket carries the event too.
            sub = st.subscribe("coverage.")
            now = harness.now_ms()
            f, t = (now // HOUR - 1) * HOUR, (now // HOUR + 2) * HOUR
            s, a, _ = http.request("POST", "/api/v1/absences", token=LEAD,
                                   body={"agent": "carol", "from": iso(f), "to": iso(t), "kind": "sickness"})
            self.assertEqual(s, 201, a)
            self.assertEqual(a["open_tickets"], [tid])
            evs = events("ops")
            self.assertEqual([(e["from"], e["to"], e["on_duty"], e["phase"]) for e in evs],
                             [(iso(f), iso(t), 0, "begun")])
            live = sub.wait(lambda topic, e: topic == "coverage.gap" and e["team"] == "ops")
            self.assertIsNotNone(live, "coverage.gap not relayed live")
            self.assertEqual((live[1]["from"], live[1]["to"], live[1]["required"]), (f, t, 1))
            s, oc, _ = http.request("GET", "/api/v1/oncall?team=ops", token=AGENT)
            self.assertNotIn("carol", oc["teams"][0]["on_duty"])
            # /metrics: nobody on duty in ops now, one required; 2 h of gap ahead
            # (the rest of the sickness, from now).
            s, text, _ = http.request("GET", "/metrics")
            self.assertEqual(s, 200)
            self.assertIn('opdesk_coverage_on_duty{team="ops"} 0\n', text)
            self.assertIn('opdesk_coverage_required{team="ops"} 1\n', text)
            gap = [l for l in text.splitlines() if l.startswith('opdesk_coverage_gap_seconds{team="ops"}')]
            self.assertEqual(len(gap), 1, text)
            self.assertAlmostEqual(float(gap[0].split()[1]), (t - now) / 1000, delta=5)
            # A reload that adds a team nobody covers: opdesk-slo announces its
            # gap (it has begun: the team works around the clock), once.
            st.config["teams"].append({"id": "late", "name": "Late", "calendar": "always", "min_on_duty": 1})
            mark = len(st.log("slo"))
            st.reconfigure()
            st.wait_for(lambda: events("late"), timeout=10, what="coverage.gap of team late")
            self.assertIn("reconfigured", st.log("slo")[mark:])
            evs = events("late")
            self.assertEqual([(e["on_duty"], e["required"], e["phase"]) for e in evs], [(0, 1, "begun")])
            mark = len(st.log("slo"))
            st.reconfigure()
            st.wait_for(lambda: "reconfigured" in st.log("slo")[mark:], timeout=10, what="slo reload")
            time.sleep(0.5)
            self.assertEqual(len(events("late")), 1)
            self.assertEqual(len(events("ops")), 1)
            # A gap announced ahead is announced as begun when it begins, on
            # time (opdesk-slo wakes for it), not at its next minute's pass.
            s, _, _ = http.request("DELETE", "/api/v1/absences/" + a["id"], token=LEAD)
            self.assertEqual(s, 204)
            f2 = (harness.now_ms() // 1000 + 3) * 1000
            s, a2, _ = http.request("POST", "/api/v1/absences", token=LEAD,
                                    body={"agent": "carol", "from": iso(f2), "to": iso(t), "kind": "sickness"})
            self.assertEqual(s, 201, a2)
            self.assertEqual([e["phase"] for e in events("ops") if e["from"] == iso(f2)], ["ahead"])
            st.wait_for(lambda: [e for e in events("ops") if e["from"] == iso(f2) and e["phase"] == "begun"],
                        timeout=10, what="the begun event within seconds")
            self.assertLess(harness.now_ms() - f2, 8000)


class LeaveApprovalTest(unittest.TestCase):
    """coverage.leave_approval: an agent's annual leave is requested until a
    lead approves it, counts against coverage only then, and teams[].max_away
    caps the agents of a team away at once (sickness is never capped)."""

    def test_requested_leave_counts_once_approved_within_the_cap(self):
        cfg = config()
        cfg["coverage"] = {"leave_approval": True, "lookahead_days": 30}
        for t in cfg["teams"]:
            if t["id"] == "ops":
                t["max_away"] = 1
        cfg["tokens"].append({"token": "change-me-carol", "role": "agent", "identity": "carol"})
        with harness.Stack(["web"], config=cfg, smtp=False) as st:
            http = Client(st.http_port)
            f = (harness.now_ms() // HOUR + 3 * 24) * HOUR
            t = f + 5 * HOUR
            q = "/api/v1/coverage?team=ops&from=%s&to=%s" % (iso(f), iso(t))

            def gaps():
                s, cov, _ = http.request("GET", q, token=LEAD)
                self.assertEqual(s, 200, cov)
                return cov["teams"][0]["gaps"]

            def events():
                s, body, _ = http.request("GET", "/api/v1/events?topic=coverage.gap&limit=1000", token=LEAD)
                return [e for e in body["items"] if e["team"] == "ops"]

            s, a, _ = http.request("POST", "/api/v1/absences", token="change-me-carol",
                                   body={"from": iso(f), "to": iso(t), "kind": "annual_leave"})
            self.assertEqual(s, 201, a)
            self.assertEqual((a["agent"], a["status"]), ("carol", "requested"))
            self.assertEqual(gaps(), [])
            self.assertEqual(events(), [])
            # An agent may not approve; a lead does, and the gap opens.
            s, e, _ = http.request("POST", "/api/v1/absences/%s/approve" % a["id"], token="change-me-carol")
            self.assertEqual(s, 403, e)
            s, ok, _ = http.request("POST", "/api/v1/absences/%s/approve" % a["id"], token=LEAD)
            self.assertEqual((s, ok["status"]), (200, "approved"), ok)
            self.assertEqual(gaps(), [{"from": iso(f), "to": iso(t), "on_duty": 0, "required": 1}])
            self.assertEqual(len(events()), 1)
            # ops may have one agent away at once: alice's leave then is refused,
            # requested or recorded by a lead; her sickness is not.
            s, r, _ = http.request("POST", "/api/v1/absences", token=AGENT,
                                   body={"from": iso(f + HOUR), "to": iso(t + HOUR), "kind": "annual_leave"})
            self.assertEqual((s, r["status"]), (201, "requested"), r)
            s, e, _ = http.request("POST", "/api/v1/absences/%s/approve" % r["id"], token=LEAD)
            self.assertEqual((s, e["error"]["code"], e["error"]["team"]), (409, "conflict", "ops"), e)
            s, _, _ = http.request("DELETE", "/api/v1/absences/" + r["id"], token=AGENT)
            self.assertEqual(s, 204)
            s, e, _ = http.request("POST", "/api/v1/absences", token=LEAD,
                                   body={"agent": "alice", "from": iso(f), "to": iso(t), "kind": "annual_leave"})
            self.assertEqual(s, 409, e)
            s, sick, _ = http.request("POST", "/api/v1/absences", token=LEAD,
                                      body={"agent": "alice", "from": iso(f), "to": iso(t), "kind": "sickness"})
            self.assertEqual((s, sick["status"]), (201, "approved"), sick)
            # After carol's leave, alice's fits.
            s, later, _ = http.request("POST", "/api/v1/absences", token=LEAD,
                                       body={"agent": "alice", "from": iso(t + HOUR), "to": iso(t + 2 * HOUR),
                                             "kind": "annual_leave"})
            self.assertEqual((s, later["status"]), (201, "approved"), later)


if __name__ == "__main__":
    unittest.main()
