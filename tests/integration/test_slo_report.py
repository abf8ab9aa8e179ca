"""The measuring half of the SLOs against the real intake, router, opdesk-slo
and command-line tool: `opdesk slo report` (with --compare) counts what
happened to real tickets, the counters and histograms that /metrics reads are
kept, and a fast error-budget burn is published once as slo.burn.

The P1 policy is shortened to seconds (first response 2 s, resolution 4 s,
on the 24x7 calendar, objective 0.95) so that breaches happen while the test
watches.
"""
import datetime
import time
import unittest

import harness
from harness import Stack


def config(first_response="2s", resolution="4s"):
    cfg = harness.copy_config()
    cfg["slo_policies"][0] = {"name": "p1", "match": {"priority": "P1"}, "calendar": "always",
                              "first_response": first_response, "resolution": resolution,
                              "warn_at": 0.75,
                              "objective": 0.95}
    return cfg


now_ms = harness.now_ms

def rfc3339(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def group(report, key):
    for g in report["groups"]:
        if g["key"] == key:
            return g["slo"]
    raise AssertionError("no group %r in %s" % (key, [g["key"] for g in report["groups"]]))


class SloReportTest(unittest.TestCase):
    def submit(self, st, priority):
        reply = st.submit(st.message(priority=priority))
        self.assertEqual(reply["type"], "intake.accepted", reply)
        tid = reply["ticket_id"]
        st.wait_for(lambda: st.ticket(tid).get("fr_due"), timeout=5, what="clocks of " + tid)
        return tid

    def answer(self, st, tid):
        st.cli("comment", tid, "--body", "Looking at it now.", "--as", "alice")

    def test_report_counts_what_happened_and_compares_periods(self):
        # Targets long enough that the answers below come in time on a busy
        # machine, short enough that the others breach while the test waits.
        with Stack(["intake", "router", "slo"], config=config("6s", "9s"), smtp=False) as st:
            t0 = now_ms()
            # The earlier period: one P1 answered and resolved in time.
            g = self.submit(st, "P1")
            self.answer(st, g)
            st.cli("update", g, "--status", "resolved", "--note", "Fixed.", "--as", "alice")
            time.sleep(0.05)
            tmid = now_ms()
            time.sleep(0.05)
            # The period reported: A answered and resolved in time, B answered
            # in time but not resolved, C and D left to breach; E (P3)
            # answered, F (P3) running.
            a, b, c, d = (self.submit(st, "P1") for _ in range(4))
            e, f = self.submit(st, "P3"), self.submit(st, "P3")
            for tid in (a, b, e):
                self.answer(st, tid)
            st.cli("update", a, "--status", "resolved", "--note", "Fixed.", "--as", "alice")
            st.wait_for(lambda: all(st.ticket(x).get("res_state") == "breached" for x in (b, c, d)),
                        timeout=30, what="the resolution breaches")
            end = now_ms() + 1

            rep = st.cli_json("slo", "report", "--group-by", "priority", "--from", rfc3339(tmid),
                              "--to", rfc3339(end))
            # The shape of GET /api/v1/slo/report, its two opdesk additions included.
            self.assertEqual(set(rep), {"from", "to", "group_by", "groups", "details", "satisfaction"})
            self.assertEqual(rep["group_by"], "priority")
            self.assertEqual(rep["from"], rfc3339(tmid))
            self.assertEqual([x["key"] for x in rep["groups"]], ["P1", "P3"])
            p1 = group(rep, "P1")
            fr = p1["first_response"]
            self.assertEqual((fr["tickets"], fr["met"], fr["breached"], fr["running"]), (4, 2, 2, 0))
            self.assertAlmostEqual(fr["attainment"], 0.5)
            self.assertAlmostEqual(fr["objective"], 0.95)
            # 2 breaches where 4 x 0.05 = 0.2 were allowed: 10 budgets spent.
            self.assertAlmostEqual(fr["error_budget_left"], 1 - 2 / 0.2)
            # Times of the met clocks, on the 24x7 calendar: real time.
            waits = sorted(int(st.ticket(x)["fr_met"]) - int(st.ticket(x)["received_at"]) for x in (a, b))
            # Half milliseconds round up (C round, not Python's round half to even).
            self.assertEqual(fr["mean_working_ms"], (sum(waits) + 1) // 2)
            self.assertEqual(fr["p90_working_ms"], waits[1])
            res = p1["resolution"]
            self.assertEqual((res["tickets"], res["met"], res["breached"], res["running"]), (4, 1, 3, 0))
            self.assertAlmostEqual(res["attainment"], 0.25)
            ta = st.ticket(a)
            self.assertEqual(res["mean_working_ms"], int(ta["res_met"]) - int(ta["received_at"]))
            self.assertEqual(set(p1), {"first_response", "next_reply", "resolution"})
            self.assertEqual(p1["next_reply"]["tickets"], 0)
            p3 = group(rep, "P3")
            self.assertEqual((p3["first_response"]["tickets"], p3["first_response"]["met"],
                              p3["first_response"]["running"]), (2, 1, 1))
            self.assertIsNone(p3["first_response"]["objective"])
            self.assertIsNone(p3["first_response"]["error_budget_left"])
            self.assertEqual(p3["resolution"]["running"], 2)

            # By policy, and the default period (the last 28 days) holds all 7.
            by_policy = st.cli_json("slo", "report", "--group-by", "policy")
            self.assertEqual(group(by_policy, "p1")["first_response"]["tickets"], 5)
            self.assertEqual(group(by_policy, "standard")["first_response"]["tickets"], 2)

            # Compared with the earlier period (G alone: attainment 1).
            cmp = st.cli_json("slo", "report", "--from", rfc3339(tmid), "--to", rfc3339(end),
                              "--compare", "%s..%s" % (rfc3339(t0), rfc3339(tmid)))
            self.assertEqual(cmp["previous"], {"from": rfc3339(t0), "to": rfc3339(tmid)})
            fr = group(cmp, "P1")["first_response"]
            self.assertEqual(fr["previous"]["tickets"], 1)
            self.assertAlmostEqual(fr["previous"]["attainment"], 1.0)
            self.assertAlmostEqual(fr["change"]["attainment"], -0.5)
            tg = st.ticket(g)
            self.assertEqual(fr["change"]["mean_working_ms"],
                             (sum(waits) + 1) // 2 - (int(tg["fr_met"]) - int(tg["received_at"])))
            self.assertIsNone(group(cmp, "P3")["first_response"]["change"]["attainment"])
            # --compare previous: the same length just before.
            prev = st.cli_json("slo", "report", "--from", rfc3339(tmid), "--to", rfc3339(end),
                               "--compare", "previous")
            self.assertEqual(prev["previous"]["to"], rfc3339(tmid))
            self.assertEqual(prev["previous"]["from"], rfc3339(tmid - (end - tmid)))

            # The table for people.
            text = st.cli("slo", "report", "--from", rfc3339(tmid), "--compare", "previous").stdout
            self.assertIn("first_response", text)
            self.assertRegex(text, r"P1\s+first_response\s+4\s+2\s+2\s+0\s+50\.0%\s+95\.0%")
            # Bad input: exit 2 with the reason.
            p = st.cli("slo", "report", "--group-by", "colour", check=False)
            self.assertEqual(p.returncode, 2)
            self.assertIn("group_by", p.stderr)
            p = st.cli("slo", "report", "--from", "yesterday", check=False)
            self.assertEqual(p.returncode, 2)

            # What /metrics reads: counters kept by the scripts, histograms by
            # opdesk-slo from the met clocks (G, A, B, E answered; G, A resolved).
            stats = st.r.hgetall("opd:stats:slo")
            self.assertEqual(stats.get("met|p1|first_response"), "3")
            self.assertEqual(stats.get("breached|p1|first_response"), "2")
            self.assertEqual(stats.get("met|p1|resolution"), "2")
            self.assertEqual(stats.get("breached|p1|resolution"), "3")
            self.assertEqual(stats.get("met|standard|first_response"), "1")
            st.wait_for(lambda: st.r.hget("opd:stats:slo:hist", "p1|first_response|count") == "3",
                        timeout=5, what="the first-response histogram")
            self.assertEqual(st.r.hget("opd:stats:slo:hist", "p1|resolution|count"), "2")
            self.assertEqual(st.r.hget("opd:stats:slo:hist", "p1|first_response|0"), "3")  # < 60 s
            self.assertEqual(st.r.zcard("opd:slo:measure"), 0)
            self.assertEqual(st.r.zcard("opd:slo:done:p1:first_response:breached"), 2)
            self.assertEqual(st.r.zcard("opd:slo:done:p1:first_response:met"), 3)
            # Running clocks: E's resolution, F's two (fr, res).
            st.wait_for(lambda: st.r.hget("opd:stats:slo:gauges", "running") == "3", timeout=5,
                        what="the running gauge")
            # One timer a running clock (decision 168).
            timers = st.r.zrange("opd:timers", 0, -1)
            self.assertEqual(sorted(m.split("|", 1)[0] for m in timers), sorted([e, f, f]))

    def test_fast_burn_is_published_once_as_slo_burn(self):
        with Stack(["intake", "router", "slo"], config=config(), smtp=False) as st:
            sub = st.subscribe("slo.burn")
            tids = [self.submit(st, "P1") for _ in range(3)]
            # All three first responses breach: burn rate 1/0.05 = 20 over 5
            # minutes and 1 hour, above 14.4: the fast alert (and the slow one).
            ev = sub.wait(lambda t, e: e.get("slo") == "first_response" and e.get("window") == "fast",
                          timeout=10)
            self.assertIsNotNone(ev, "no slo.burn event")
            topic, burn = ev
            self.assertEqual(topic, "slo.burn")
            self.assertEqual(set(burn), {"v", "type", "at", "policy", "slo", "window", "burn_rate_long",
                                         "burn_rate_short", "threshold", "budget_spent"})
            self.assertEqual((burn["v"], burn["type"], burn["policy"]), (1, "slo.burn", "p1"))
            self.assertAlmostEqual(burn["burn_rate_long"], 20.0)
            self.assertAlmostEqual(burn["burn_rate_short"], 20.0)
            self.assertAlmostEqual(burn["threshold"], 14.4)
            self.assertAlmostEqual(burn["budget_spent"], 20.0)
            self.assertTrue(st.r.exists("opd:slo:burn:p1:first_response:fast"))
            # More breaches while the alert lasts publish nothing new.
            tids += [self.submit(st, "P1") for _ in range(2)]
            st.wait_for(lambda: all(st.ticket(x).get("res_state") == "breached" for x in tids),
                        timeout=30, what="every breach")
            time.sleep(1.5)
            history = [e for t, e in st.events_history() if t == "slo.burn"]
            keys = sorted((e["slo"], e["window"]) for e in history)
            self.assertEqual(keys, [("first_response", "fast"), ("first_response", "slow"),
                                    ("resolution", "fast"), ("resolution", "slow")])
            # A restart does not publish the same alert again.
            st.kill("slo")
            st.start("slo")
            time.sleep(1.5)
            self.assertEqual(len([1 for t, e in st.events_history() if t == "slo.burn"]), 4)


if __name__ == "__main__":
    unittest.main()
