"""Auto-assignment and the sickness hand-back (issue 10, docs/shifts.md)
against the real opdesk-intake, -router, -slo and -web.

Team `desk2` has auto_assign and works around the clock (24x7, UTC). Its
agents, in the order of the configuration: dave (on shift, but off sick),
erin (on shift, one open ticket in another team), frank (on shift on
another day of the week only) and carol (on shift, no tickets). Team
`night` has auto_assign and nobody on shift: gina is on duty only through
an extra shift recorded during the test."""
import datetime
import time
import unittest

import harness
from test_web import Client

LEAD = "change-me-lead"
HOUR = 3600000
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def iso(ms):
    return datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def config(handback="queue"):
    cfg = harness.copy_config()
    for t in cfg["teams"]:
        t["min_on_duty"] = 0
    cfg["teams"].append({"id": "desk2", "name": "Desk 2", "calendar": "always", "min_on_duty": 1,
                         "auto_assign": True})
    cfg["teams"].append({"id": "night", "name": "Night", "calendar": "always", "min_on_duty": 0,
                         "auto_assign": True})
    for a in ("dave", "erin", "frank", "carol"):
        teams = ["desk2", "service-desk"] if a == "erin" else ["desk2"]
        cfg["agents"].append({"id": a, "name": a.title(), "email": a + "@example.org", "teams": teams})
    cfg["agents"].append({"id": "gina", "name": "Gina", "email": "gina@example.org", "teams": ["night"]})
    # Every agent of desk2 around the clock, but frank: his only day is three
    # days from now (UTC), so he is off shift now.
    off = DAYS[(datetime.datetime.now(datetime.timezone.utc).weekday() + 3) % 7]
    for a in ("dave", "erin", "carol"):
        cfg["shifts"].append({"agent": a, "team": "desk2", "days": DAYS, "from": "00:00", "to": "24:00",
                              "timezone": "UTC"})
    cfg["shifts"].append({"agent": "frank", "team": "desk2", "days": [off], "from": "00:00", "to": "24:00",
                          "timezone": "UTC"})
    cfg["routing_rules"].insert(0, {"name": "mainframe", "when": {"keywords": ["mainframe"], "in": ["subject"]},
                                    "then": {"team": "desk2"}})
    cfg["routing_rules"].insert(0, {"name": "overnight", "when": {"keywords": ["overnight"], "in": ["subject"]},
                                    "then": {"team": "night"}})
    cfg.setdefault("coverage", {})["sickness_handback"] = handback
    return cfg


class Desk:
    """A stack and the calls the tests share."""

    def __init__(self, st):
        self.st = st
        self.http = Client(st.http_port)

    def submit(self, subject):
        s, tk, _ = self.http.request("POST", "/api/v1/tickets", token=LEAD,
                                     body={"subject": subject, "requester": {"email": "rita@example.com"}})
        assert s == 201, tk
        tid = tk["id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at"), what="routing of " + tid)
        return tid

    def get(self, tid):
        s, tk, _ = self.http.request("GET", "/api/v1/tickets/" + tid, token=LEAD)
        assert s == 200, tk
        return tk

    def assignee(self, tid):
        return self.st.ticket(tid).get("assignee")

    def wait_assigned(self, tid, timeout=15):
        self.st.wait_for(lambda: self.assignee(tid), timeout=timeout, what="assignment of " + tid)
        return self.assignee(tid)

    def absence(self, agent, f, t, kind="sickness"):
        s, a, _ = self.http.request("POST", "/api/v1/absences", token=LEAD,
                                    body={"agent": agent, "from": iso(f), "to": iso(t), "kind": kind})
        assert s == 201, a
        return a

    def updates(self, tid):
        s, body, _ = self.http.request("GET", "/api/v1/events?topic=ticket.updated&limit=1000", token=LEAD)
        assert s == 200, body
        return [e for e in body["items"] if e["ticket_id"] == tid]


class AutoAssignTest(unittest.TestCase):
    def test_least_loaded_on_duty_never_absent_or_off_shift_and_waiting_until_a_shift_begins(self):
        with harness.Stack(["intake", "router", "slo", "web"], config=config(), smtp=False) as st:
            d = Desk(st)
            now = harness.now_ms()
            d.absence("dave", now - HOUR, now + 2 * HOUR)
            # erin's one open ticket, in service-desk, by hand.
            other = d.submit("Printer jammed")
            s, tk, _ = d.http.request("PATCH", "/api/v1/tickets/" + other, token=LEAD, body={"assignee": "erin"})
            self.assertEqual((s, tk["assignee"]), (200, "erin"), tk)
            # The first: dave (absent) and frank (off shift) have no tickets and
            # come first, but carol is the least loaded agent on duty.
            a = d.submit("Mainframe batch stuck")
            self.assertEqual(d.wait_assigned(a), "carol")
            # The second: carol and erin have one each; erin comes first.
            b = d.submit("Mainframe printer queue")
            self.assertEqual(d.wait_assigned(b), "erin")
            # Through the path of a manual assignment: history and ticket.updated.
            tk = d.get(a)
            h = [x for x in tk["history"] if x["action"] == "updated"]
            self.assertEqual(len(h), 1, tk["history"])
            self.assertEqual((h[0]["actor"], h[0]["details"]["changes"]["assignee"]), ("rota", [None, "carol"]))
            self.assertIn("auto-assigned", h[0]["details"]["note"])
            ev = d.updates(a)
            self.assertEqual([(e["by"], e["changes"]) for e in ev], [("rota", {"assignee": [None, "carol"]})])
            # Nobody on duty in night: the ticket waits in the queue...
            w = d.submit("Overnight backup failed")
            time.sleep(6)  # longer than a pass of opdesk-slo (5 s)
            self.assertIsNone(d.assignee(w))
            # /metrics: one ticket waiting in night, none in desk2; nobody on duty in night.
            s, text, _ = d.http.request("GET", "/metrics")
            self.assertIn('opdesk_rota_waiting_assignment{team="night"} 1\n', text)
            self.assertIn('opdesk_rota_waiting_assignment{team="desk2"} 0\n', text)
            self.assertIn('opdesk_coverage_on_duty{team="night"} 0\n', text)
            self.assertIn('opdesk_coverage_on_duty{team="desk2"} 2\n', text)
            # ... until gina's extra shift begins, a few seconds from now.
            start = harness.now_ms() + 3000
            s, o, _ = d.http.request("POST", "/api/v1/overrides", token=LEAD,
                                     body={"agent": "gina", "team": "night", "kind": "extra",
                                           "from": harness.iso(start), "to": iso(start + HOUR)})
            self.assertEqual(s, 201, o)
            self.assertEqual(d.wait_assigned(w, timeout=20), "gina")
            s, text, _ = d.http.request("GET", "/metrics")
            self.assertIn('opdesk_rota_waiting_assignment{team="night"} 0\n', text)
            self.assertIn('opdesk_coverage_on_duty{team="night"} 1\n', text)
            at = [x["at"] for x in d.get(w)["history"] if x["actor"] == "rota"]
            self.assertEqual(len(at), 1)
            self.assertGreaterEqual(harness.ms_of(at[0]), start - 1000)
            self.assertIn("auto-assigned", st.log("slo"))
            self.assertEqual(st.personal_data_in_logs(), [])


def handback_config(mode):
    cfg = config(mode)
    cfg["teams"].append({"id": "ops2", "name": "Ops 2", "calendar": "always", "min_on_duty": 3})
    for a in ("hank", "ivy", "jack"):
        cfg["agents"].append({"id": a, "name": a.title(), "email": a + "@example.org", "teams": ["ops2"]})
        cfg["shifts"].append({"agent": a, "team": "ops2", "days": DAYS, "from": "00:00", "to": "24:00",
                              "timezone": "UTC"})
    return cfg


class HandbackTest(unittest.TestCase):
    """coverage.sickness_handback: ops2 (no auto_assign) needs three on duty
    and has hank, ivy and jack around the clock."""

    def history(self, d, tid):
        return [x for x in d.get(tid)["history"] if x["actor"] == "rota"]

    def test_sickness_hands_tickets_to_the_least_loaded_or_the_queue_and_names_the_gaps(self):
        with harness.Stack(["intake", "router", "slo", "web"], config=handback_config("least_loaded"),
                           smtp=False) as st:
            d = Desk(st)
            t1, t2, t3 = (d.submit("Disk full %d" % i) for i in range(3))
            for tid, who in ((t1, "hank"), (t2, "hank"), (t3, "ivy")):
                s, tk, _ = d.http.request("PATCH", "/api/v1/tickets/" + tid, token=LEAD,
                                          body={"team": "ops2", "assignee": who, "note": "ops"})
                self.assertEqual(s, 200, tk)
            # Leave next month hands nothing back; it names the gap it opens.
            f = (harness.now_ms() // HOUR + 24 * 30) * HOUR
            a = d.absence("hank", f, f + 2 * HOUR, kind="annual_leave")
            self.assertEqual(a["gaps"], [{"team": "ops2", "from": iso(f), "to": iso(f + 2 * HOUR),
                                          "on_duty": 2, "required": 3}])
            self.assertNotIn("handed_back", a)
            # A sickness that has begun: hank's two tickets go to the
            # least-loaded agents on duty: jack (none), then ivy (one each; ivy
            # comes first in the configuration).
            now = harness.now_ms()
            f, t = (now // HOUR) * HOUR, (now // HOUR + 3) * HOUR
            a = d.absence("hank", f, t)
            self.assertEqual(a["open_tickets"], [t1, t2])
            self.assertEqual(a["handed_back"], [{"ticket_id": t1, "assignee": "jack"},
                                                {"ticket_id": t2, "assignee": "ivy"}])
            self.assertEqual(a["gaps"], [{"team": "ops2", "from": iso(f), "to": iso(t), "on_duty": 2, "required": 3}])
            self.assertEqual([d.assignee(x) for x in (t1, t2, t3)], ["jack", "ivy", "ivy"])
            h = self.history(d, t1)
            self.assertEqual(len(h), 1)
            self.assertEqual(h[0]["details"]["changes"]["assignee"], ["hank", "jack"])
            self.assertIn("hank is off sick (absence %s)" % a["id"], h[0]["details"]["note"])
            self.assertEqual([e["changes"] for e in d.updates(t1) if e["by"] == "rota"],
                             [{"assignee": ["hank", "jack"]}])
            # The same from the command line, handing back to the queue.
            st.config["coverage"]["sickness_handback"] = "queue"
            mark = len(st.log("slo"))
            st.reconfigure()
            st.wait_for(lambda: "reconfigured" in st.log("slo")[mark:], timeout=10, what="slo reload")
            p = st.cli("absence", "add", "--agent", "ivy", "--kind", "sickness", "--from", iso(f), "--to", iso(t))
            self.assertTrue(p.stdout.strip().startswith("A"), p.stdout)
            self.assertIn("handed back %s to the team queue" % t2, p.stderr)
            self.assertEqual([d.assignee(x) for x in (t1, t2, t3)], ["jack", None, None])
            h = self.history(d, t3)
            self.assertEqual(h[0]["details"]["changes"]["assignee"], ["ivy", None])
            self.assertIn("to the team queue", h[0]["details"]["note"])
            self.assertEqual(st.personal_data_in_logs(), [])


if __name__ == "__main__":
    unittest.main()
