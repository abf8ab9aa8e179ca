"""opdesk-router against a real Redis and the real intake: routing by the
configured rules, the ticket.routed event, priority precedence, and nothing
lost when the router is killed or Redis goes away."""
import json
import time
import unittest

from harness import Stack, copy_config


class RouterTest(unittest.TestCase):

    def routed(self, st, tid, timeout=10):
        return st.wait_for(lambda: st.ticket(tid).get("routed_at") and st.ticket(tid),
                           timeout=timeout, what="ticket %s to be routed" % tid)

    def test_vpn_ticket_goes_to_network_with_event(self):
        with Stack(["intake", "router"]) as st:
            sub = st.subscribe("ticket.routed")
            reply = st.submit(st.message(subject="VPN is down", body="Since this morning."))
            self.assertEqual(reply["type"], "intake.accepted")
            tid = reply["ticket_id"]
            ev = sub.wait(lambda topic, e: e.get("ticket_id") == tid)
            self.assertIsNotNone(ev, "no ticket.routed event")
            topic, e = ev
            self.assertEqual(topic, "ticket.routed")
            for key in ("v", "type", "ticket_id", "at", "team", "category", "priority", "rule"):
                self.assertIn(key, e)
            self.assertEqual(e["team"], "network")
            self.assertEqual(e["category"], "network/vpn")
            self.assertEqual(e["priority"], "P2")
            self.assertEqual(e["rule"], "vpn")
            t = self.routed(st, tid)
            self.assertEqual(t["team"], "network")
            self.assertEqual(t["category"], "network/vpn")
            self.assertEqual(t["priority"], "P2")
            self.assertEqual(t["rule"], "vpn")
            self.assertEqual(t["stdresp"], "vpn-basics")
            self.assertEqual(t["ack"], "1")
            self.assertEqual(st.r.zcard("opd:unrouted"), 0)
            self.assertIsNotNone(st.r.zscore("opd:slo:work", tid))
            self.assertIsNotNone(st.r.zscore("opd:idx:team:network", tid))

    def test_phrase_in_body_with_odd_spacing_and_case(self):
        with Stack(["intake", "router"]) as st:
            tid = st.submit(st.message(subject="Cannot work from home",
                                       body="My Remote \n Access stopped."))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual(t["rule"], "vpn")
            self.assertEqual(t["team"], "network")
            tid = st.submit(st.message(subject="openvpn and vpnx are fine"))["ticket_id"]
            t = self.routed(st, tid)
            self.assertNotIn("rule", t)
            self.assertEqual(t["team"], "service-desk")

    def test_unmatched_ticket_gets_defaults_and_null_rule(self):
        with Stack(["intake", "router"]) as st:
            sub = st.subscribe("ticket.routed")
            tid = st.submit(st.message(subject="Printer on floor 3 is jammed"))["ticket_id"]
            ev = sub.wait(lambda topic, e: e.get("ticket_id") == tid)
            self.assertIsNotNone(ev)
            e = ev[1]
            self.assertEqual(e["team"], "service-desk")
            self.assertEqual(e["priority"], "P3")
            self.assertIn("rule", e)
            self.assertIsNone(e["rule"])
            self.assertIsNone(e["category"])
            t = self.routed(st, tid)
            self.assertEqual(t["team"], "service-desk")
            self.assertEqual(t["priority"], "P3")
            self.assertNotIn("rule", t)
            self.assertNotIn("stdresp", t)

    def test_matrix_priority_and_own_category_are_kept(self):
        with Stack(["intake", "router"]) as st:
            tid = st.submit(st.message(subject="VPN is down", impact="high",
                                       urgency="high"))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual(t["priority"], "P1")
            self.assertEqual(t["team"], "network")
            self.assertEqual(t["rule"], "vpn")
            tid = st.submit(st.message(subject="VPN client crashes the laptop",
                                       category="hardware/laptop", priority="P4"))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual(t["category"], "hardware/laptop")
            self.assertEqual(t["priority"], "P4")
            self.assertEqual(t["team"], "network")

    def test_killed_router_catches_up_on_restart(self):
        with Stack(["intake", "router"]) as st:
            st.kill("router")
            ids = []
            for i in range(50):
                subject = "VPN down %d" % i if i % 2 == 0 else "Mouse broken %d" % i
                reply = st.submit(st.message(subject=subject, external_id="kill-%d" % i))
                self.assertEqual(reply["type"], "intake.accepted")
                ids.append(reply["ticket_id"])
            time.sleep(0.3)
            self.assertEqual(st.r.zcard("opd:unrouted"), 50)
            st.start("router")
            st.wait_for(lambda: st.r.zcard("opd:unrouted") == 0, timeout=15,
                        what="the work set to empty")
            for i, tid in enumerate(ids):
                t = st.ticket(tid)
                self.assertTrue(t.get("routed_at"), tid)
                self.assertEqual(t["team"], "network" if i % 2 == 0 else "service-desk")
            routed = [e for topic, e in st.events_history() if topic == "ticket.routed"]
            self.assertEqual(sorted(e["ticket_id"] for e in routed), sorted(ids))

    def test_router_survives_a_redis_outage(self):
        with Stack(["intake", "router"]) as st:
            tid = st.submit(st.message(subject="VPN is down"))["ticket_id"]
            self.routed(st, tid)
            st.stop_redis()
            time.sleep(1.0)
            self.assertIsNone(st.procs["router"].poll(), "router died without Redis")
            st.start_redis()
            # Intake may need a moment to reconnect; retry until it accepts.
            def submit():
                r = st.submit(st.message(subject="remote access broken", external_id="after"))
                return r if r["type"] == "intake.accepted" else None
            reply = st.wait_for(submit, timeout=15, interval=0.3, what="intake to accept")
            t = self.routed(st, reply["ticket_id"], timeout=15)
            self.assertEqual(t["rule"], "vpn")
            self.assertIn("Redis unavailable", st.log("router"))

    def test_reload_applies_new_rules(self):
        cfg = copy_config()
        with Stack(["intake", "router"], config=cfg) as st:
            tid = st.submit(st.message(subject="Drucker kaputt"))["ticket_id"]
            self.assertNotIn("rule", self.routed(st, tid))
            st.config["routing_rules"].insert(0, {
                "name": "printer", "when": {"keywords": ["drucker"], "in": ["subject"]},
                "then": {"team": "network", "category": "hardware/printer"}})
            st.reconfigure()
            st.wait_for(lambda: "reconfigured rules=2" in st.log("router"), timeout=10,
                        what="the router to reload")
            tid = st.submit(st.message(subject="Der DRUCKER ist kaputt"))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual(t["rule"], "printer")
            self.assertEqual(t["category"], "hardware/printer")

    def test_write_explain_reload_route(self):
        """A lead's round: write a rule, check it with opdesk route --explain,
        SIGHUP, and the next ticket is routed by it; a rule whose regex does
        not compile is refused, naming it, and the router keeps its rules."""
        with Stack(["intake", "router"]) as st:
            old = st.submit(st.message(subject="Réseau: INC004211 again", body="the vpn"))["ticket_id"]
            self.assertEqual(self.routed(st, old)["rule"], "vpn")
            st.config["routing_rules"].insert(0, {
                "name": "incident-ref", "when": {"regex": ["\\bINC[0-9]{6}\\b"], "keywords": ["reseau"],
                                                 "in": ["subject"]},
                "then": {"team": "service-desk", "priority": "P3"}})
            st.write_config()
            e = st.cli_json("route", "--explain", "--subject", "Réseau lent", "--body", "vpn down")
            self.assertEqual(e["rule"], "incident-ref")
            self.assertEqual(e["team"], "service-desk")
            self.assertEqual(e["rules"][0]["why"], "matches: 'Reseau' in the subject")
            self.assertEqual(e["rules"][1]["why"], "matches too ('vpn' in the body), but rule 'incident-ref' comes first")
            # The stored ticket, explained by id: the new rule would take it now.
            e = st.cli_json("route", "--explain", old)
            self.assertEqual(e["rule"], "incident-ref")
            self.assertEqual(e["routed"], {"team": "network", "rule": "vpn"})
            text = st.cli("route", "--explain", old).stdout
            self.assertIn("Stored:   routed to network by vpn", text)
            self.assertIn("1. incident-ref", text)
            st.reconfigure()
            st.wait_for(lambda: "reconfigured rules=2" in st.log("router"), timeout=10, what="the router to reload")
            tid = st.submit(st.message(subject="Ticket inc123456 still open"))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual((t["rule"], t["team"], t["priority"]), ("incident-ref", "service-desk", "P3"))
            # A broken regex: refused by the tool and by the router's reload.
            st.config["routing_rules"][0]["when"]["regex"] = ["INC[0-9"]
            st.reconfigure()
            p = st.cli("route", "--explain", "--subject", "x", check=False)
            self.assertEqual(p.returncode, 2)
            self.assertIn("routing_rules[0].when.regex", p.stderr)
            self.assertIn("rule 'incident-ref'", p.stderr)
            st.wait_for(lambda: "routing_rules[0].when.regex" in st.log("router"), timeout=10,
                        what="the router to refuse the reload")
            tid = st.submit(st.message(subject="INC654321 once more"))["ticket_id"]
            self.assertEqual(self.routed(st, tid)["rule"], "incident-ref")

    def test_conditions_and_actions_through_the_processes(self):
        """Rules on channel, requester domain and working hours route tickets
        through intake and the router; tags and the assignee land on the
        ticket, in its history and in the ticket.routed event."""
        cfg = copy_config()
        cfg["routing_rules"][0:0] = [
            {"name": "web-vpn", "when": {"keywords": ["vpn"], "channel": ["web"]},
             "then": {"team": "network", "tags": ["vpn", "self-service"], "assignee": "alice"}},
            {"name": "partner", "when": {"domain": ["partner.example"]},
             "then": {"team": "service-desk", "tags": ["partner"], "assignee": "bob"}},
            {"name": "weekend", "when": {"hours": "outside", "calendar": "uk-office"},
             "then": {"tags": ["after-hours"]}}]
        wednesday = 1795600800000  # Wed 25 Nov 2026 10:00 London: working hours
        saturday = 1795860000000   # Sat 28 Nov 2026 10:00 London
        with Stack(["intake", "router"], config=cfg) as st:
            sub = st.subscribe("ticket.routed")
            tid = st.submit(st.message(subject="VPN down", channel="web", received_at=wednesday))["ticket_id"]
            ev = sub.wait(lambda topic, e: e.get("ticket_id") == tid)
            self.assertIsNotNone(ev, "no ticket.routed event")
            self.assertEqual((ev[1]["rule"], ev[1]["tags"], ev[1]["assignee"]),
                             ("web-vpn", ["vpn", "self-service"], "alice"))
            self.routed(st, tid)
            t = st.cli_json("show", tid)
            self.assertEqual((t["team"], t["assignee"], t["tags"]), ("network", "alice", ["vpn", "self-service"]))
            routed = [h for h in t["history"] if h["action"] == "routed"]
            self.assertEqual(routed[0]["details"]["tags"], ["vpn", "self-service"])
            self.assertEqual(routed[0]["details"]["assignee"], "alice")
            # The same words by another channel: the plain vpn rule, no tags.
            tid = st.submit(st.message(subject="VPN down", channel="api", received_at=wednesday))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual((t["rule"], t["team"]), ("vpn", "network"))
            self.assertNotIn("tags", t)
            self.assertNotIn("assignee", t)
            self.assertEqual(st.cli_json("show", tid)["tags"], [])
            # A subdomain of the partner's domain, any case.
            tid = st.submit(st.message(subject="Mouse broken", received_at=wednesday,
                                       requester={"name": "P", "email": "p@Mail.Partner.Example"}))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual((t["rule"], t["team"], t["assignee"]), ("partner", "service-desk", "bob"))
            # Received on a Saturday: outside the office hours.
            tid = st.submit(st.message(subject="Mouse broken", received_at=saturday))["ticket_id"]
            t = self.routed(st, tid)
            self.assertEqual((t["rule"], t["team"], json.loads(t["tags"])), ("weekend", "service-desk", ["after-hours"]))
            tid = st.submit(st.message(subject="Mouse broken", received_at=wednesday))["ticket_id"]
            self.assertNotIn("rule", self.routed(st, tid))
            # --explain shows each condition's outcome.
            e = st.cli_json("route", "--explain", "--subject", "vpn", "--channel", "email")
            self.assertEqual(e["rules"][0]["why"], "nearly: 'vpn' in the subject, but channel email is not in web")
            self.assertEqual(e["rules"][0]["conditions"],
                             [{"when": "channel", "holds": False, "detail": "channel email is not in web"}])
            text = st.cli("route", "--explain", "--subject", "vpn", "--channel", "web").stdout
            self.assertIn("[x] channel: channel web is in web", text)
            self.assertIn("Assignee: alice", text)

    def test_misroute_rate_per_rule(self):
        """A ticket a rule routed whose team a person changes within 24 hours
        counts as that rule's misroute, once: in opdesk route --stats, the
        explanation and /metrics."""
        from test_web import Client
        with Stack(["intake", "router", "web"]) as st:
            a = st.submit(st.message(subject="VPN is down"))["ticket_id"]
            b = st.submit(st.message(subject="remote access broken", external_id="second"))["ticket_id"]
            self.routed(st, a)
            self.routed(st, b)
            st.cli("update", a, "--team", "service-desk", "--note", "not a VPN problem")
            st.cli("update", a, "--team", "network", "--note", "back")  # the same ticket: counted once
            self.assertEqual(st.ticket(a)["misrouted"], "1")
            self.assertNotIn("misrouted", st.ticket(b))
            stats = {r["rule"]: r for r in st.cli_json("route", "--stats")}
            self.assertEqual((stats["vpn"]["routed"], stats["vpn"]["misrouted"]), (2, 1))
            self.assertAlmostEqual(stats["vpn"]["misroute_rate"], 0.5)
            self.assertIn("vpn", st.cli("route", "--stats").stdout)
            e = st.cli_json("route", "--explain", "--subject", "vpn")
            self.assertEqual(e["rules"][0]["misroute"], {"routed": 2, "misrouted": 1, "rate": 0.5})
            self.assertIn("misrouted 1 of 2 routed (50%", st.cli("route", "--explain", "--subject", "vpn").stdout)
            s, text, _ = Client(st.http_port).request("GET", "/metrics")
            self.assertEqual(s, 200)
            self.assertIn('opdesk_route_routed_total{rule="vpn"} 2\n', text)
            self.assertIn('opdesk_route_misrouted_total{rule="vpn"} 1\n', text)
            self.assertIn('opdesk_route_misroute_ratio{rule="vpn"} 0.500000\n', text)


if __name__ == "__main__":
    unittest.main()
