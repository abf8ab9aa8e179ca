"""What is left of each SLO clock (issue 5, "agents see due times and
remaining working time on every ticket and queue"), and the history of a
recomputation ("a priority or policy change re-computes the clocks from the
ticket's start, with the history showing why").

remaining_working_ms is checked against working time computed here,
independently of the C calendar, with Python's zoneinfo: on the UK office
calendar, on a calendar whose only working day is two days ahead (so now is
always outside working time and the remaining time must stand still while
real time passes), and on a 24x7 calendar (remaining = due - now)."""
import datetime
import time
import unittest
from zoneinfo import ZoneInfo

import harness

MIN = 60000
HOUR = 60 * MIN
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


now_ms = harness.now_ms
ms_of = harness.ms_of


def quiet_day():
    """The UTC weekday two days from now: never today, never tomorrow."""
    return DAYS[(datetime.datetime.now(datetime.timezone.utc).weekday() + 2) % 7]


def remaining_config():
    cfg = harness.copy_config()
    cfg["calendars"]["quiet"] = {"timezone": "UTC",
                                 "hours": {d: (["09:00-17:00"] if d == quiet_day() else []) for d in DAYS}}
    cfg["slo_policies"] = [
        {"name": "office", "match": {"priority": "P4"}, "calendar": "uk-office",
         "first_response": "3h", "next_reply": "8h", "resolution": "30h"},
        {"name": "quiet", "match": {"priority": "P2"}, "calendar": "quiet",
         "first_response": "2h", "resolution": "6h"},
        {"name": "tiny", "match": {"category": "access"}, "calendar": "always",
         "first_response": "2s", "resolution": "1h"},
        {"name": "printer", "match": {"category": "hardware/printer"}, "calendar": "always",
         "first_response": "1h", "resolution": "10h"},
    ] + cfg["slo_policies"]
    return cfg


def worktime(cal, from_ms, to_ms):
    """Working time in [from_ms, to_ms) on a calendar of the configuration,
    computed with zoneinfo: each local date's intervals as instants (no
    interval of these calendars touches a daylight-saving gap)."""
    if to_ms <= from_ms:
        return 0
    if cal["hours"] == "24x7":
        return to_ms - from_ms
    tz = ZoneInfo(cal["timezone"])
    holidays = set(cal.get("holidays", []))
    day = datetime.datetime.fromtimestamp(from_ms / 1000, tz).date() - datetime.timedelta(days=1)
    last = datetime.datetime.fromtimestamp(to_ms / 1000, tz).date() + datetime.timedelta(days=1)
    total = 0
    while day <= last:
        if day.isoformat() not in holidays:
            for span in cal["hours"].get(DAYS[day.weekday()], []):
                a, b = span.split("-")
                s = datetime.datetime.combine(day, datetime.time(int(a[:2]), int(a[3:])), tz)
                e = datetime.datetime.combine(day, datetime.time(int(b[:2]), int(b[3:])), tz)
                s_ms, e_ms = int(s.timestamp() * 1000), int(e.timestamp() * 1000)
                lo, hi = max(s_ms, from_ms), min(e_ms, to_ms)
                if hi > lo:
                    total += hi - lo
        day += datetime.timedelta(days=1)
    return total


class RemainingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo"], config=remaining_config())
        cls.st.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------
    def submit(self, subject, **over):
        tid = self.st.submit(self.st.message(subject=subject, **over))["ticket_id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("res_due"), what="the clocks of " + tid)
        return tid

    def show(self, tid):
        """The ticket JSON, and the instants just before and after it was read."""
        t0 = now_ms()
        t = self.st.cli_json("show", tid, "--live")
        return t, t0, now_ms()

    def assert_remaining(self, clock, cal, t0, t1):
        """remaining_working_ms as computed independently at some instant in [t0, t1]."""
        due_ms = ms_of(clock["due_at"])
        lo, hi = worktime(cal, t1, due_ms), worktime(cal, t0, due_ms)
        self.assertTrue(lo <= clock["remaining_working_ms"] <= hi,
                        "remaining %s not in [%d, %d]" % (clock["remaining_working_ms"], lo, hi))
        self.assertEqual(clock["overdue_ms"], 0)
        return due_ms

    def hist(self, tid):
        return self.st.cli_json("show", tid)["history"]

    # --- remaining working time -----------------------------------------
    def test_remaining_on_the_uk_office_calendar_matches_zoneinfo(self):
        tid = self.submit("Remaining office", priority="P4")
        t, t0, t1 = self.show(tid)
        cal = self.st.config["calendars"]["uk-office"]
        for name in ("first_response", "resolution"):
            clock = t["slo"][name]
            self.assertEqual(clock["policy"], "office")
            self.assertEqual(clock["state"], "running")
            self.assert_remaining(clock, cal, t0, t1)
        # 30 working hours span several days: never more than the target.
        self.assertLessEqual(t["slo"]["resolution"]["remaining_working_ms"], 30 * HOUR)

    def test_outside_working_time_the_remaining_time_stands_still(self):
        tid = self.submit("Remaining quiet", priority="P2")
        t, t0, t1 = self.show(tid)
        fr = t["slo"]["first_response"]
        self.assertEqual(fr["policy"], "quiet")
        # Started outside working time: the whole target is left, and stays so.
        self.assertEqual(fr["remaining_working_ms"], 2 * HOUR)
        self.assertEqual(t["slo"]["resolution"]["remaining_working_ms"], 6 * HOUR)
        self.assert_remaining(fr, self.st.config["calendars"]["quiet"], t0, t1)
        time.sleep(1.5)
        again, _, _ = self.show(tid)
        self.assertEqual(again["slo"]["first_response"]["remaining_working_ms"], 2 * HOUR)
        self.assertEqual(again["slo"]["first_response"]["due_at"], fr["due_at"])
        # The table shows it in the LEFT column, the text form per clock.
        table = self.st.cli("list", "--q", "Remaining quiet").stdout
        self.assertIn("LEFT", table)
        row = [line for line in table.splitlines() if line.startswith(tid)][0]
        self.assertIn("2h00m", row)
        text = self.st.cli("show", tid).stdout
        self.assertIn("left 2h00m working", text)
        self.assertIn("left 6h00m working", text)

    def test_24x7_remaining_is_due_minus_now_and_pauses_hold_it(self):
        tid = self.submit("Remaining always", priority="P3")
        t, t0, t1 = self.show(tid)
        res = t["slo"]["resolution"]
        self.assertEqual(res["policy"], "standard")
        due = self.assert_remaining(res, {"hours": "24x7"}, t0, t1)
        self.assertTrue(due - t1 <= res["remaining_working_ms"] <= due - t0)
        # Pending: the resolution clock pauses with what was left then.
        self.st.cli("update", tid, "--status", "pending")
        self.st.wait_for(lambda: self.st.ticket(tid).get("res_state") == "paused", what="the pause")
        h = self.st.ticket(tid)
        left_at_pause = 16 * HOUR - (int(h["res_pause"]) - int(h["received_at"]))
        t, _, _ = self.show(tid)
        self.assertEqual(t["slo"]["resolution"]["state"], "paused")
        self.assertEqual(t["slo"]["resolution"]["remaining_working_ms"], left_at_pause)
        self.assertIsNone(t["slo"]["resolution"]["overdue_ms"])
        time.sleep(1.2)
        t, _, _ = self.show(tid)
        self.assertEqual(t["slo"]["resolution"]["remaining_working_ms"], left_at_pause)
        self.assertIn("(paused)", self.st.cli("show", tid).stdout)
        # Open again: the clock runs on from what was left, due later by the pause.
        self.st.cli("update", tid, "--status", "open")
        self.st.wait_for(lambda: self.st.ticket(tid).get("res_state") == "running"
                         and int(self.st.ticket(tid)["res_due"]) > due, what="the resumed clock")
        t, t0, t1 = self.show(tid)
        self.assert_remaining(t["slo"]["resolution"], {"hours": "24x7"}, t0, t1)
        self.assertLessEqual(t["slo"]["resolution"]["remaining_working_ms"], left_at_pause)
        # A due time that moves as the clock works is no recomputation.
        self.assertNotIn("slo_recomputed", [x["action"] for x in self.hist(tid)])
        # A met clock has nothing left.
        self.st.cli("comment", tid, "--body", "Looking at it.")
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_state") == "met", what="the first response")
        fr = self.st.cli_json("show", tid, "--live")["slo"]["first_response"]
        self.assertIsNone(fr["remaining_working_ms"])
        self.assertIsNone(fr["overdue_ms"])

    def test_past_due_is_overdue_in_real_time_with_nothing_left(self):
        tid = self.submit("Remaining late", category="access")
        self.st.wait_for(lambda: self.st.ticket(tid).get("fr_state") == "breached", timeout=15,
                         what="the breach")
        time.sleep(0.5)
        t, t0, t1 = self.show(tid)
        fr = t["slo"]["first_response"]
        self.assertEqual(fr["policy"], "tiny")
        due = int(self.st.ticket(tid)["fr_due"])
        self.assertEqual(fr["remaining_working_ms"], 0)
        self.assertTrue(t0 - due <= fr["overdue_ms"] <= t1 - due, fr)
        self.assertGreaterEqual(fr["overdue_ms"], 500)
        row = [line for line in self.st.cli("list", "--q", "Remaining late").stdout.splitlines()
               if line.startswith(tid)][0]
        self.assertRegex(row, r" -\d+s overdue ")
        self.assertIn("overdue", self.st.cli("show", tid).stdout)

    # --- recomputation in the history ------------------------------------
    def test_priority_change_recomputes_from_the_start_with_history(self):
        tid = self.submit("Recompute printer", priority="P3")
        before = self.st.ticket(tid)
        received = int(before["received_at"])
        self.assertEqual(before["slo_policy"], "standard")
        self.assertEqual(int(before["fr_due"]), received + 4 * HOUR)
        self.assertEqual(int(before["res_due"]), received + 16 * HOUR)
        self.st.cli("update", tid, "--priority", "P1")
        self.st.wait_for(lambda: self.st.ticket(tid).get("slo_policy") == "p1", what="the new policy")
        after = self.st.ticket(tid)
        # From the ticket's start, with p1's targets (15 min, 4 h).
        self.assertEqual(int(after["fr_due"]), received + 15 * MIN)
        self.assertEqual(int(after["res_due"]), received + 4 * HOUR)
        h = self.hist(tid)
        actions = [x["action"] for x in h]
        self.assertEqual(actions.count("slo_recomputed"), 1, actions)
        i = actions.index("slo_recomputed")
        self.assertEqual(actions[i - 1], "updated")
        self.assertEqual(h[i - 1]["details"]["changes"]["priority"], ["P3", "P1"])
        d = h[i]["details"]
        self.assertEqual(h[i]["actor"], "opdesk-slo")
        self.assertEqual(d["reason"], "policy")
        self.assertEqual(d["policy"], "p1")
        self.assertEqual(d["previous_policy"], "standard")
        self.assertEqual(d["priority"], "P1")
        # Times in JSON are RFC 3339, inside history details too.
        clocks = {c: [ms_of(x) for x in pair] for c, pair in d["clocks"].items()}
        self.assertEqual(clocks, {
            "first_response": [received + 4 * HOUR, received + 15 * MIN],
            "resolution": [received + 16 * HOUR, received + 4 * HOUR]})
        # The clocks the agent sees follow.
        t, t0, t1 = self.show(tid)
        self.assertEqual(t["slo"]["first_response"]["policy"], "p1")
        self.assert_remaining(t["slo"]["first_response"], {"hours": "24x7"}, t0, t1)
        self.assertLessEqual(t["slo"]["first_response"]["remaining_working_ms"], 15 * MIN)
        # A change that keeps the policy and its targets recomputes nothing.
        self.st.cli("update", tid, "--severity", "S2")
        self.st.cli("update", tid, "--priority", "P1", "--category", "network")
        time.sleep(0.8)
        self.assertEqual([x["action"] for x in self.hist(tid)].count("slo_recomputed"), 1)

    def test_reloaded_target_recomputes_with_reason_target(self):
        tid = self.submit("Recompute reload", category="hardware/printer")
        before = self.st.ticket(tid)
        received = int(before["received_at"])
        self.assertEqual(before["slo_policy"], "printer")
        self.assertEqual(int(before["fr_due"]), received + HOUR)
        for p in self.st.config["slo_policies"]:
            if p["name"] == "printer":
                p["first_response"] = "2h"
        self.st.reconfigure()
        self.st.wait_for(lambda: int(self.st.ticket(tid)["fr_due"]) == received + 2 * HOUR,
                         what="the reloaded target")
        rec = self.st.wait_for(lambda: [x for x in self.hist(tid) if x["action"] == "slo_recomputed"],
                               what="the history item")
        self.assertEqual(len(rec), 1)
        d = rec[0]["details"]
        self.assertEqual(d["reason"], "target")
        self.assertEqual(d["policy"], "printer")
        self.assertNotIn("previous_policy", d)
        # Only the clock whose due time moved.
        self.assertEqual({c: [ms_of(x) for x in pair] for c, pair in d["clocks"].items()},
                         {"first_response": [received + HOUR, received + 2 * HOUR]})


if __name__ == "__main__":
    unittest.main()
