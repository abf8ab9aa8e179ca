"""Saved views and bulk actions in the agent console's queue (issue 11).

Bulk actions: a checkbox per queue row carries the ticket and its version;
one POST changes each selected ticket through opd_change_apply with that
version expected, so a ticket that changed since the page was drawn is
skipped, and history, events and SLO clocks are those of single changes.
Saved views: a name and the queue's filters as a query string, per agent in
Redis, checked by the queue's parser, shared with a team by a lead.
Plain HTTP where a browser adds nothing; chromium for selecting rows and
assigning them as a person does."""
import html
import json
import os
import re
import unittest
import urllib.parse

import harness
import test_portal_browser as tpb
import test_console
from test_console import Session, rows, FORM

AGENT, LEAD, ADMIN = "change-me-agent", "change-me-lead", "change-me-admin"


def bulk_config():
    cfg = harness.copy_config()
    cfg["agents"].append({"id": "carol", "name": "Carol Chen", "email": "carol@example.org",
                          "teams": ["network"]})
    cfg["tokens"].append({"token": "change-me-carol", "role": "agent", "identity": "carol"})
    return cfg


def picks(page):
    """The queue's checkboxes: {ticket id: 'ID:VERSION'}."""
    return dict((v.split(":")[0], v) for v in re.findall(r'class="pick" form="bulk" name="t" value="([^"]+)"', page))


def results(page):
    """The answer page's rows: {ticket id: (result, details)}."""
    body = page.split('<table id="bulk-result">', 1)[1].split("</table>", 1)[0]
    return {tid: (res, html.unescape(re.sub("<[^>]+>", "", det)))
            for tid, res, det in re.findall(r'<tr data-id="([^"]+)" data-result="([a-z]+)">'
                                            r'<td>.*?</td><td>.*?</td><td>(.*?)</td></tr>', body)}


class ConsoleBulkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "web"], config=bulk_config())
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["web"], absent=("Rebooted the gateway", "Desk hardware batch", "rita@example.com", "Only P1s"))

    # --- helpers -----------------------------------------------------------
    def call(self, method, path, body=None, token=AGENT, status=None):
        s = Session(self.port)
        h = {"Authorization": "Bearer " + token}
        if body is not None:
            h["Content-Type"] = "application/json"
        code, text, _, _ = s.request(method, path, json.dumps(body) if body is not None else None, h)
        if status:
            self.assertEqual(code, status, text)
        return json.loads(text or "null")

    def create(self, subject, priority=None):
        body = {"subject": subject, "requester": {"name": "Rita", "email": "rita@example.com"}}
        if priority:
            body["priority"] = priority
        tid = self.call("POST", "/api/v1/tickets", body, status=201)["id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at") and self.st.ticket(tid).get("res_due"),
                         what="routing and clocks of " + tid)
        return tid

    def signed_in(self, token=AGENT):
        s = Session(self.port)
        code, _ = s.login(token)
        self.assertEqual(code, 303)
        return s

    def queue(self, s, path="/agent"):
        code, page, _ = s.get(path)
        self.assertEqual(code, 200, page)
        return page

    def bulk(self, s, page, tids, **fields):
        sel = picks(page)
        body = [("csrf", re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1))]
        body += [("t", sel[t]) for t in tids] + list(fields.items())
        code, text, _, _ = s.request("POST", "/agent/bulk", urllib.parse.urlencode(body), {"Content-Type": FORM})
        return code, text

    def history(self, tid):
        return [json.loads(h) for h in self.st.r.lrange("opd:t:{%s}:h" % tid, 0, -1)]

    # --- bulk actions ------------------------------------------------------
    def test_assign_to_me_changes_each_ticket_as_a_single_change_would(self):
        a, b, c = (self.create("VPN bulk assign %d" % i) for i in range(3))
        s = self.signed_in()
        page = self.queue(s, "/agent?assignee=unassigned")
        self.assertIn('id="bulk-all"', page)
        self.assertIn('<form method="post" action="/agent/bulk" id="bulk"', page)
        for t in (a, b, c):
            self.assertEqual(picks(page)[t], "%s:%s" % (t, self.st.ticket(t)["version"]))
        before = {t: int(self.st.ticket(t)["version"]) for t in (a, b, c)}
        events_before = len(self.st.events_history())
        code, text = self.bulk(s, page, [a, b], action="assign", assignee="me",
                               back="assignee=unassigned")
        self.assertEqual(code, 200, text)
        got = results(text)
        self.assertEqual(set(got), {a, b})
        self.assertTrue(all(r == "changed" for r, _ in got.values()), got)
        self.assertIn("2 selected: 2 changed", text)
        self.assertIn('href="/agent?assignee=unassigned"', text)
        for t in (a, b):
            tk = self.st.ticket(t)
            self.assertEqual(tk["assignee"], "alice")
            self.assertEqual(int(tk["version"]), before[t] + 1)
            last = self.history(t)[-1]
            self.assertEqual((last["action"], last["actor"]), ("updated", "alice"))
            self.assertEqual(last["details"]["changes"]["assignee"], [None, "alice"])
        self.assertNotIn("assignee", self.st.ticket(c))  # not selected: untouched
        # One ticket.updated event per ticket, as a PATCH makes.
        new = [(topic, e) for topic, e in self.st.events_history()[events_before:] if topic == "ticket.updated"]
        self.assertEqual(sorted(e["ticket_id"] for _, e in new), sorted([a, b]))
        for _, e in new:
            self.assertEqual((e["by"], e["changes"]["assignee"]), ("alice", [None, "alice"]))
        # The queue shows them assigned; "unassigned" no longer lists them.
        self.assertNotIn(a, rows(self.queue(s, "/agent?assignee=unassigned")))
        self.assertIn(a, rows(self.queue(s, "/agent?assignee=me")))
        # Assigning to nobody undoes it; assigning again what is so changes nothing.
        page = self.queue(s, "/agent?assignee=me")
        code, text = self.bulk(s, page, [a], action="assign", assignee="")
        self.assertEqual(results(text)[a][0], "changed")
        self.assertNotIn("assignee", self.st.ticket(a))
        page = self.queue(s)
        version = self.st.ticket(c)["version"]
        code, text = self.bulk(s, page, [c], action="assign", assignee="")
        self.assertEqual(results(text)[c][0], "unchanged")
        self.assertEqual(self.st.ticket(c)["version"], version)

    def test_a_ticket_changed_since_the_page_was_drawn_is_skipped_never_changed_blind(self):
        stale, fresh = self.create("VPN bulk stale"), self.create("VPN bulk fresh")
        s = self.signed_in()
        page = self.queue(s)
        # Meanwhile a lead changes one of them.
        self.call("PATCH", "/api/v1/tickets/" + stale, {"priority": "P4"}, token=LEAD, status=200)
        code, text = self.bulk(s, page, [stale, fresh], action="priority", priority="P1")
        self.assertEqual(code, 200, text)
        got = results(text)
        self.assertEqual(got[fresh][0], "changed")
        self.assertEqual(got[stale][0], "skipped")
        self.assertIn("changed after the queue was drawn", got[stale][1])
        self.assertIn("now %s" % self.st.ticket(stale)["version"], got[stale][1])
        self.assertIn("1 changed", text)
        self.assertIn("1 skipped", text)
        self.assertEqual(self.st.ticket(stale)["priority"], "P4")  # the lead's change stands
        self.assertEqual(self.st.ticket(fresh)["priority"], "P1")
        self.assertNotIn("bob", [h["actor"] for h in self.history(fresh)])
        self.assertEqual([h["actor"] for h in self.history(stale) if h["action"] == "updated"], ["bob"])

    def test_refusals_come_back_per_ticket_with_the_stores_sentence(self):
        net, desk = self.create("VPN bulk refusal"), self.create("Monitor flickers in bulk")
        s = self.signed_in(ADMIN)
        page = self.queue(s, "/agent?team=all")
        # mallory is nobody's agent: the whole form is refused.
        code, text = self.bulk(s, page, [net, desk], action="assign", assignee="mallory")
        self.assertEqual(code, 422, text)
        self.assertIn("configured agent", text)
        # Any agent, also one of another team, is assigned (decision 170).
        page = self.queue(s, "/agent?team=all")
        code, text = self.bulk(s, page, [net, desk], action="assign", assignee="carol")
        self.assertEqual(code, 200, text)
        self.assertEqual([results(text)[t][0] for t in (net, desk)], ["changed", "changed"])
        # A move the workflow does not allow, each ticket refused with the
        # store's sentence: new to closed.
        page = self.queue(s, "/agent?team=all")
        code, text = self.bulk(s, page, [net, desk], action="status", status="closed")
        for t in (net, desk):
            self.assertEqual(results(text)[t][0], "refused")
            self.assertIn("cannot move from new to closed", results(text)[t][1])
            self.assertEqual(self.st.ticket(t)["status"], "new")

    def test_resolve_and_hand_off_need_a_note_and_then_act_as_the_ticket_view_does(self):
        a, b = self.create("VPN bulk resolve one"), self.create("VPN bulk resolve two")
        s = self.signed_in()
        page = self.queue(s)
        for fields in ({"action": "status", "status": "resolved", "status_note": ""},
                       {"action": "handoff", "team": "service-desk", "handoff_note": ""}):
            code, text = self.bulk(s, page, [a, b], **fields)
            self.assertEqual(code, 422, text)
            self.assertIn("Nothing was changed", text)
        self.assertEqual((self.st.ticket(a)["status"], self.st.ticket(a)["team"]), ("new", "network"))
        code, text = self.bulk(s, page, [a], action="status", status="resolved",
                               status_note="Rebooted the gateway.")
        self.assertEqual(results(text)[a][0], "changed")
        tk = self.st.ticket(a)
        self.assertEqual((tk["status"], tk["fr_state"], tk["res_state"]), ("resolved", "met", "met"))
        comments = [json.loads(c) for c in self.st.r.lrange("opd:t:{%s}:c" % a, 0, -1)]
        self.assertEqual([(c["body"], c["public"]) for c in comments], [("Rebooted the gateway.", True)])
        code, text = self.bulk(s, page, [b], action="handoff", team="service-desk",
                               handoff_note="Desk hardware batch.")
        self.assertEqual(results(text)[b][0], "changed")
        self.assertEqual(self.st.ticket(b)["team"], "service-desk")
        handoff = [h for h in self.history(b) if h["action"] == "handoff"]
        self.assertEqual(len(handoff), 1)
        self.assertEqual(handoff[0]["details"]["note"], "Desk hardware batch.")
        moved = [e for t, e in self.st.events_history() if t == "ticket.updated" and e["ticket_id"] == b]
        self.assertEqual([e["changes"]["team"] for e in moved], [["network", "service-desk"]])

    def test_the_selection_is_capped_and_checked(self):
        tid = self.create("VPN bulk cap")
        s = self.signed_in()
        page = self.queue(s)
        version = self.st.ticket(tid)["version"]
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
        many = [("t", "%s:%s" % (tid, version))] + [("t", "OPD-9%05d:1" % i) for i in range(100)]
        body = urllib.parse.urlencode([("csrf", csrf), ("action", "priority"), ("priority", "P1")] + many)
        code, text, _, _ = s.request("POST", "/agent/bulk", body, {"Content-Type": FORM})
        self.assertEqual(code, 422)
        self.assertIn("101 tickets were selected; at most 100", text)
        self.assertEqual(self.st.ticket(tid)["version"], version)
        # 100 are taken (99 unknown ids are refused one by one, the real one changed).
        body = urllib.parse.urlencode([("csrf", csrf), ("action", "priority"), ("priority", "P1")] + many[:100])
        code, text, _, _ = s.request("POST", "/agent/bulk", body, {"Content-Type": FORM})
        self.assertEqual(code, 200, text)
        got = results(text)
        self.assertEqual(len(got), 100)
        self.assertEqual(got[tid][0], "changed")
        self.assertEqual(got["OPD-900001"], ("refused", "no ticket OPD-900001"))
        for bad in ([], [("t", "OPD-1")], [("t", "<x>:1")], [("t", "%s:v1" % tid)]):
            body = urllib.parse.urlencode([("csrf", csrf), ("action", "priority"), ("priority", "P2")] + bad)
            self.assertEqual(s.request("POST", "/agent/bulk", body, {"Content-Type": FORM})[0], 422, bad)
        body = urllib.parse.urlencode([("csrf", csrf), ("action", "delete")] + many[:1])
        self.assertEqual(s.request("POST", "/agent/bulk", body, {"Content-Type": FORM})[0], 422)
        self.assertEqual(self.st.ticket(tid)["priority"], "P1")
        self.assertEqual(s.request("GET", "/agent/bulk")[0], 405)

    def test_bulk_needs_the_csrf_token_and_the_same_origin(self):
        tid = self.create("VPN bulk csrf")
        s = self.signed_in()
        page = self.queue(s)
        version = self.st.ticket(tid)["version"]
        fields = [("t", picks(page)[tid]), ("action", "priority"), ("priority", "P1")]
        for extra, headers in (([], {}), ([("csrf", "0" * 64)], {}),
                               ([("csrf", re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1))],
                                {"Origin": "http://evil.example"})):
            h = dict(headers, **{"Content-Type": FORM})
            code = s.request("POST", "/agent/bulk", urllib.parse.urlencode(fields + extra), h)[0]
            self.assertEqual(code, 403)
        self.assertEqual(self.st.ticket(tid)["version"], version)
        anon = Session(self.port)
        code, _, hdrs, _ = anon.request("POST", "/agent/bulk", urllib.parse.urlencode(fields), {"Content-Type": FORM})
        self.assertEqual((code, hdrs["location"]), (303, "/login"))

    # --- saved views -------------------------------------------------------
    def views(self, page):
        """{name: (state, href or None, count or None, deletable)} of the views list."""
        nav = page.split('<nav aria-label="Saved views" id="views">', 1)[1].split("</ul>", 1)[0]
        out = {}
        for name, state, rest in re.findall(r'<li class="view" data-view="([^"]*)" data-state="(\w+)">(.*?)</li>',
                                            nav):
            href = re.search(r'<a href="([^"]+)"', rest)
            count = re.search(r'data-count="(\d+)"', rest)
            out[html.unescape(name)] = (state, html.unescape(href.group(1)) if href else None,
                                        int(count.group(1)) if count else None, "/agent/views/delete" in rest)
        return out

    def all_rows(self, s, path):
        seen = []
        while path:
            page = self.queue(s, path)
            seen += rows(page)
            m = re.search(r'<a id="next" href="([^"]+)"', page)
            path = html.unescape(m.group(1)) if m else None
        return seen

    def test_saved_views_round_trip_with_exact_counts_only_where_cheap(self):
        for i in range(3):
            self.create("VPN view ticket %d" % i, priority="P1")
        pend = self.create("VPN view pending")
        self.call("PATCH", "/api/v1/tickets/" + pend, {"status": "pending"}, status=200)
        s = self.signed_in("change-me-carol")
        page = self.queue(s, "/agent?priority=P1&cursor=&q=")
        self.assertIn('name="query" value="priority=P1"', page)  # the filters, without page or empties
        code, _, hdrs = s.post("/agent/views", {"name": "Only P1s", "query": "priority=P1&cursor=x"}, page)
        self.assertEqual((code, hdrs["location"]), (303, "/agent?priority=P1"))
        self.assertEqual(s.post("/agent/views", {"name": "Waiting", "query": "status=pending"}, page)[0], 303)
        self.assertEqual(s.post("/agent/views", {"name": "All in work", "query": ""}, page)[0], 303)
        self.assertEqual(self.st.r.hgetall("opd:views:agent:carol"),
                         {"Only P1s": "priority=P1", "Waiting": "status=pending", "All in work": ""})
        page = self.queue(s)
        v = self.views(page)
        self.assertEqual(v["Only P1s"][:3], ("ok", "/agent?priority=P1", None))  # no cheap exact count
        for name, path in (("Waiting", "/agent?status=pending"), ("All in work", "/agent?")):
            state, href, count, deletable = v[name]
            self.assertEqual((state, href, deletable), ("ok", path, True))
            self.assertEqual(count, len(self.all_rows(s, href)), name)  # exact
        self.assertGreaterEqual(v["Waiting"][2], 1)
        self.assertEqual(sorted(rows(self.queue(s, v["Only P1s"][1]))),
                         sorted(t for t in self.all_rows(s, "/agent") if self.st.ticket(t)["priority"] == "P1"))
        # Names are text, escaped like everything else.
        self.assertEqual(s.post("/agent/views", {"name": "<i>Mine</i>", "query": "assignee=me"}, page)[0], 303)
        page = self.queue(s)
        self.assertIn('data-view="&lt;i&gt;Mine&lt;/i&gt;"', page)
        self.assertNotIn("<i>Mine", page)
        self.assertEqual(self.views(page)["<i>Mine</i>"][1], "/agent?assignee=me")
        # Another agent sees none of carol's views.
        self.assertEqual(self.views(self.queue(self.signed_in())), {})
        # A bad query is refused with the parser's sentence; a view gone stale
        # (its team removed from the configuration, say) shows as such.
        code, text, _ = s.post("/agent/views", {"name": "Closed", "query": "status=closed"}, page)
        self.assertEqual(code, 422)
        self.assertIn("Status must be new, open or pending", text)
        self.assertEqual(s.post("/agent/views", {"name": "", "query": ""}, page)[0], 422)
        self.assertEqual(s.post("/agent/views", {"name": "x" * 41, "query": ""}, page)[0], 422)
        self.st.r.hset("opd:views:agent:carol", "Old team", "team=gone")
        self.st.r.hset("opd:views:agent:carol", "Garbage", "due=%ff")
        code, page, _ = s.get("/agent")
        self.assertEqual(code, 200)
        v = self.views(page)
        self.assertEqual(v["Old team"][:3], ("stale", None, None))
        self.assertIn("no longer valid: There is no such team.", page)
        self.assertEqual(v["Garbage"][0], "stale")
        # Deleting.
        self.assertEqual(s.post("/agent/views/delete", {"name": "Old team", "scope": "me", "back": "status=new"},
                                page)[2]["location"], "/agent?status=new")
        self.assertNotIn("Old team", self.st.r.hgetall("opd:views:agent:carol"))
        self.assertEqual(s.request("GET", "/agent/views")[0], 405)

    def test_views_are_limited_in_number_and_size(self):
        s = self.signed_in(ADMIN)
        page = self.queue(s)
        for i in range(20):
            self.assertEqual(s.post("/agent/views", {"name": "v%d" % i, "query": "due=%d" % (i + 1)}, page)[0], 303)
        code, text, _ = s.post("/agent/views", {"name": "one more", "query": ""}, page)
        self.assertEqual(code, 422)
        self.assertIn("20 saved views already", text)
        self.assertEqual(s.post("/agent/views", {"name": "v3", "query": "due=99"}, page)[0], 303)  # replaced
        self.assertEqual(self.st.r.hlen("opd:views:agent:admin"), 20)
        self.assertEqual(self.st.r.hget("opd:views:agent:admin", "v3"), "due=99")
        self.assertEqual(s.post("/agent/views/delete", {"name": "v0", "scope": "me"}, page)[0], 303)
        self.assertEqual(self.st.r.hlen("opd:views:agent:admin"), 19)
        self.assertEqual(s.post("/agent/views", {"name": "long", "query": "q=" + "a" * 700}, page)[0], 422)
        self.st.r.delete("opd:views:agent:admin")

    def test_a_lead_shares_a_view_with_its_team(self):
        bob = self.signed_in(LEAD)  # bob: lead, agent of service-desk
        page = self.queue(bob)
        self.assertIn('<select id="view-share" name="share">', page)
        self.assertNotIn('value="network">team', page)  # only its own teams
        code, _, _ = bob.post("/agent/views", {"name": "Desk P2", "query": "priority=P2", "share": "network"},
                              page)
        self.assertEqual(code, 403)
        self.assertEqual(bob.post("/agent/views", {"name": "Desk new", "query": "status=new",
                                                   "share": "service-desk"}, page)[0], 303)
        self.assertEqual(self.st.r.hgetall("opd:views:team:service-desk"), {"Desk new": "status=new"})
        self.assertEqual(self.views(self.queue(bob))["Desk new"][3], True)
        # An admin in no team may share with any; the network's agents see it,
        # may use it, and may not delete it.
        admin = self.signed_in(ADMIN)
        self.assertEqual(admin.post("/agent/views", {"name": "Net mine", "query": "assignee=me",
                                                     "share": "network"}, self.queue(admin))[0], 303)
        alice = self.signed_in()
        page = self.queue(alice)
        self.assertNotIn('id="view-share"', page)  # an agent shares nothing
        v = self.views(page)
        self.assertNotIn("Desk new", v)
        self.assertEqual(v["Net mine"][:2], ("ok", "/agent?assignee=me"))
        self.assertFalse(v["Net mine"][3])
        code, _, _ = alice.post("/agent/views/delete", {"name": "Net mine", "scope": "network"}, page)
        self.assertEqual(code, 403)
        code, _, _ = alice.post("/agent/views", {"name": "x", "query": "", "share": "network"}, page)
        self.assertEqual(code, 403)
        self.assertIn("Net mine", self.st.r.hgetall("opd:views:team:network"))
        code, _, _ = admin.post("/agent/views/delete", {"name": "Net mine", "scope": "network"}, self.queue(admin))
        self.assertEqual(code, 303)
        self.assertEqual(self.st.r.hgetall("opd:views:team:network"), {})

    # --- in a browser ----------------------------------------------------
    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_an_agent_selects_two_rows_and_assigns_them(self):
        for i in range(3):
            self.create("VPN browser bulk %d" % i)
        base = "http://127.0.0.1:%d" % self.port
        b = tpb.Browser(base + "/login")
        try:
            b.wait("document.readyState === 'complete' && !!document.querySelector('#token')")
            b.type_into("#token", AGENT)
            b.click("button[type=submit]")
            b.wait("location.pathname === '/agent' && !!document.querySelector('#queue')")
            b.goto(base + "/agent?assignee=unassigned")
            b.wait("!!document.querySelector('#queue') && !document.querySelector('#bulk-all').hidden")
            ids = b.js("[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.id)")
            self.assertGreaterEqual(len(ids), 3)
            # The first row by keyboard (j selects it, x ticks it), the second by a click.
            for key in ("j", "x"):
                b.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
                b.call("Input.dispatchKeyEvent", type="keyUp", key=key)
            b.click("#queue tbody tr:nth-child(2) input.pick")
            self.assertEqual(b.js("document.querySelector('#bulk-count').textContent"), "2 selected")
            self.assertTrue(b.js("document.querySelector('#bulk-all').indeterminate"))
            # "Select all" ticks every row, and clears them again.
            b.click("#bulk-all")
            self.assertEqual(b.js("document.querySelectorAll('input.pick:checked').length"), len(ids))
            b.click("#bulk-all")
            self.assertEqual(b.js("document.querySelectorAll('input.pick:checked').length"), 0)
            b.click("#queue tbody tr:nth-child(1) input.pick")
            b.click("#queue tbody tr:nth-child(2) input.pick")
            test_console.ConsoleTest.screenshot(self, b, "console-bulk-selection.png")
            b.js("document.querySelector('#bulk-assignee').value = 'me'")
            b.click("#bulk button[value=assign]")
            b.wait("!!document.querySelector('#bulk-result')")
            got = b.js("[...document.querySelectorAll('#bulk-result tbody tr')]"
                       ".map(r => [r.dataset.id, r.dataset.result])")
            self.assertEqual(sorted(got), sorted([[ids[0], "changed"], [ids[1], "changed"]]))
            test_console.ConsoleTest.screenshot(self, b, "console-bulk-result.png")
            for t in ids[:2]:
                self.assertEqual(self.st.ticket(t)["assignee"], "alice")
            for t in ids[2:]:
                self.assertNotEqual(self.st.ticket(t).get("assignee"), "alice")
            b.click("#back")
            b.wait("location.search === '?assignee=unassigned' && !!document.querySelector('#queue, #empty')")
            left = b.js("[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.id)")
            self.assertNotIn(ids[0], left)
            self.assertNotIn(ids[1], left)
            self.assertIn(ids[2], left)
        finally:
            b.close()


if __name__ == "__main__":
    unittest.main()
