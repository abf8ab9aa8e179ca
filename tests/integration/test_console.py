"""The agent console (issue 11, CONTRACT.md section 8): an agent, lead or
admin token at /login starts a server-side session and leads to /agent, the
queue of the agent's teams ordered by the next SLO due time, each ticket
linking to /agent/tickets/ID; exact counts, filters, SLO badges; the ticket
view with its timeline and forms (through the same store calls as the API);
a reply against a ticket that changed meanwhile is held, never sent blind.
Plain HTTP where a browser adds nothing; chromium over the DevTools protocol
(test_portal_browser.Browser) for a person's way through it."""
import html
import http.client
import json
import os
import re
import time
import unittest
import urllib.parse

import harness
import test_portal_browser as tpb

AGENT, LEAD, ADMIN, RITA = "change-me-agent", "change-me-lead", "change-me-admin", "change-me-requester"
FORM = "application/x-www-form-urlencoded"
QUEUE_LAST = 8000000000000000
MIN = 60000


def console_config():
    cfg = harness.copy_config()
    # carol: network agent in New York; her badges show that zone.
    cfg["agents"].append({"id": "carol", "name": "Carol Chen", "email": "carol@example.org",
                          "teams": ["network"], "timezone": "America/New_York"})
    cfg["tokens"].append({"token": "change-me-carol", "role": "agent", "identity": "carol"})
    return cfg


class Session:
    """A browser-like client over plain HTTP: keeps the session cookie and
    reads each form's CSRF token from the page it came from."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            text = r.read().decode()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, value = v.split(";")[0].split("=", 1)
                    if value:
                        self.cookies[name] = value
                    else:
                        self.cookies.pop(name, None)
            return r.status, text, {k.lower(): v for k, v in r.getheaders()}, r.getheader("Set-Cookie")
        finally:
            c.close()

    def get(self, path):
        code, text, hdrs, _ = self.request("GET", path)
        return code, text, hdrs

    def post(self, path, fields, page=None):
        """POSTs a form; its csrf comes from page (else the path's own page)."""
        if page is None:
            page = self.get(path)[1]
        m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
        fields = dict(fields)
        fields.setdefault("csrf", m.group(1) if m else "")
        code, text, hdrs, _ = self.request("POST", path, urllib.parse.urlencode(fields), {"Content-Type": FORM})
        return code, text, hdrs

    def login(self, token):
        code, text, hdrs = self.post("/login", {"token": token})
        return code, hdrs


def signed_in_browser(port, token):
    """Debian's chromium, signed in with token at /login (on its way to
    /agent: callers wait for what they need there)."""
    b = tpb.Browser("http://127.0.0.1:%d/login" % port)
    b.wait("document.readyState === 'complete' && !!document.querySelector('#token')")
    b.type_into("#token", token)
    b.click("main button[type=submit]")
    return b


def rows(page):
    """The ticket ids of the queue table, in order."""
    body = page.split('<table id="queue">', 1)[1].split("</table>", 1)[0] if 'id="queue"' in page else ""
    return re.findall(r'<tr data-id="([^"]+)"', body)


class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "web"], config=console_config())
        cls.st.__enter__()
        cls.port = cls.st.http_port
        cls.api = Session(cls.port)

    @classmethod
    def tearDownClass(cls):
        # opdesk-web ends cleanly after everything the console did, with no
        # personal data in its log: the subjects and bodies typed here.
        cls.st.close_clean(["web"], absent=("Half a note", "Please reconnect now.", "rita@example.com"))

    # --- helpers -----------------------------------------------------------
    def call(self, method, path, body=None, token=AGENT, status=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = {"Authorization": "Bearer " + token}
        if body is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, json.dumps(body) if body is not None else None, h)
        r = c.getresponse()
        data = json.loads(r.read() or b"null")
        c.close()
        if status:
            self.assertEqual(r.status, status, data)
        return data

    def create(self, subject, ago_min=0, priority=None, category=None):
        body = {"subject": subject, "requester": {"name": "Rita", "email": "rita@example.com"}}
        if category:
            body["category"] = category
        if ago_min:
            body["received_at"] = harness.iso(harness.now_ms() - ago_min * MIN)
        if priority:
            body["priority"] = priority
        tid = self.call("POST", "/api/v1/tickets", body, status=201)["id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at") and self.st.ticket(tid).get("res_due"),
                         what="routing and clocks of " + tid)
        return tid

    def score(self, tid):
        """The next SLO due time as the contract means it, from the hash."""
        t = self.st.ticket(tid)
        dues = [int(t[c + "_due"]) for c in ("fr", "nr", "res")
                if t.get(c + "_due") and (t.get(c + "_state") == "running"
                                          or (t.get(c + "_state") == "breached" and not t.get(c + "_met")))]
        return (min(dues) if dues else QUEUE_LAST + int(t["created_at"]), tid)

    def signed_in(self, token=AGENT):
        s = Session(self.port)
        code, hdrs = s.login(token)
        self.assertEqual(code, 303)
        return s, hdrs

    def open_ids(self, team):
        return [m for m in self.st.r.zrange("opd:q:due:" + team, 0, -1)]

    # --- sign-in and the queue -------------------------------------------------
    def test_an_agent_token_signs_in_to_its_teams_queue_ordered_by_next_due(self):
        late = self.create("VPN down for the late shift", ago_min=20, priority="P1")
        soon = self.create("VPN slow in building B", ago_min=10, priority="P1")
        later = self.create("VPN certificate renewal", priority="P3")
        other = self.create("Printer jammed on floor 2")  # service-desk: not alice's
        self.st.wait_for(lambda: self.st.ticket(late).get("fr_state") == "breached", what="the breach")
        s, hdrs = self.signed_in(AGENT)
        self.assertEqual(hdrs["location"], "/agent")
        cookie = [v for k, v in hdrs.items() if k == "set-cookie"][0]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertNotIn(AGENT, cookie)
        code, page, hdrs = s.get("/agent")
        self.assertEqual(code, 200, page)
        csp = hdrs["content-security-policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertIn("script-src 'self';", csp)  # the one script file; nothing inline
        self.assertNotIn("'unsafe-inline'", csp.split("script-src", 1)[1].split(";", 1)[0])
        self.assertEqual(re.findall(r"<script[^>]*>", page), ['<script src="/agent/console.js" defer>'])
        got = rows(page)
        for tid in (late, soon, later):
            self.assertIn(tid, got)
            self.assertIn('href="/agent/tickets/%s"' % tid, page)
        self.assertNotIn(other, got)
        # Every network ticket in work, and only those, soonest due first.
        network = self.open_ids("network")
        self.assertEqual(sorted(got), sorted(network))
        self.assertEqual(got, [tid for _, tid in sorted(self.score(t) for t in network)])
        self.assertLess(got.index(late), got.index(soon))
        self.assertLess(got.index(soon), got.index(later))

    def test_counts_per_status_are_exact(self):
        self.create("VPN count check one")
        tid = self.create("VPN count check two")
        gone = self.create("VPN count check three")
        done = self.create("VPN count check four")
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "pending"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + gone, {"team": "service-desk", "note": "not ours"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + done, {"status": "resolved", "note": "fixed"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + done, {"status": "closed"}, status=200)
        s, _ = self.signed_in(AGENT)
        for team in ("network", "service-desk"):
            page = s.get("/agent?team=" + team)[1]
            for status in ("new", "open", "pending", "resolved"):
                # What the indexes say, counted the slow way.
                want = len(set(self.st.r.zrange("opd:idx:team:" + team, 0, -1))
                           & set(self.st.r.zrange("opd:idx:status:" + status, 0, -1)))
                m = re.search(r'data-status="%s">%s: <strong>(\d+)</strong>' % (status, status), page)
                self.assertIsNotNone(m, status)
                self.assertEqual(int(m.group(1)), want, (team, status))
            closed = len(set(self.st.r.zrange("opd:idx:team:" + team, 0, -1))
                         & set(self.st.r.zrange("opd:idx:status:closed", 0, -1)))
            self.assertEqual(int(self.st.r.hget("opd:count:team:" + team, "closed") or 0), closed, team)
        self.assertEqual(self.st.ticket(gone)["cnt"], "service-desk|new")
        self.assertGreaterEqual(int(self.st.r.hget("opd:count:team:network", "pending")), 1)

    def test_filters_narrow_the_queue(self):
        p1 = self.create("VPN filter P1", ago_min=30, priority="P1")
        p3 = self.create("VPN filter P3", priority="P3")
        self.call("PATCH", "/api/v1/tickets/" + p3, {"assignee": "alice"}, status=200)
        self.st.wait_for(lambda: self.st.ticket(p1).get("fr_state") == "breached", what="the breach")
        s, _ = self.signed_in(AGENT)
        only_p1 = rows(s.get("/agent?priority=P1")[1])
        self.assertIn(p1, only_p1)
        self.assertNotIn(p3, only_p1)
        self.assertTrue(all(self.st.ticket(t)["priority"] == "P1" for t in only_p1))
        mine = rows(s.get("/agent?assignee=me")[1])
        self.assertEqual(mine, sorted((t for t in self.open_ids("network")
                                       if self.st.ticket(t).get("assignee") == "alice"), key=self.score))
        self.assertIn(p3, mine)
        self.assertNotIn(p1, mine)
        unassigned = rows(s.get("/agent?assignee=unassigned")[1])
        self.assertIn(p1, unassigned)
        self.assertNotIn(p3, unassigned)
        breaching = rows(s.get("/agent?breaching=1")[1])
        self.assertIn(p1, breaching)
        self.assertNotIn(p3, breaching)
        now = harness.now_ms()
        self.assertTrue(all(self.score(t)[0] <= now for t in breaching))
        within = rows(s.get("/agent?due=1")[1])
        self.assertTrue(all(self.score(t)[0] <= now + 3600 * 1000 + 5000 for t in within))
        self.assertNotIn(p3, within)  # due in hours of working time
        self.assertEqual(s.get("/agent?status=closed")[0], 400)
        self.assertEqual(s.get("/agent?due=abc")[0], 400)
        # Another team, by choice: the lead sees service-desk's queue.
        desk = self.create("Keyboard missing keys")
        self.assertIn(desk, rows(s.get("/agent?team=service-desk")[1]))
        self.assertIn(desk, rows(s.get("/agent?team=all")[1]))

    def test_pages_merge_the_teams_in_one_order_without_repeats(self):
        # 130 tickets written straight into the key layout (as bench-queue
        # does), spread over both teams with interleaved due times, some tied.
        now = harness.now_ms()
        made = []
        for i in range(130):
            tid = "OPD-77%03d" % i
            team = ("network", "service-desk")[i % 3 == 0]
            due = now + (i % 40) * MIN  # ties across teams every 40
            self.st.r.hset("opd:t:{" + tid + "}", mapping={
                "id": tid, "kind": "incident", "status": "open", "priority": "P3", "team": team,
                "channel": "api", "subject": "Paging %d" % i, "created_at": now - i, "updated_at": now,
                "version": 1, "res_state": "running", "res_due": due, "qteam": team})
            self.st.r.zadd("opd:q:due:" + team, {tid: due})
            made.append(tid)
        s, _ = self.signed_in(ADMIN)
        seen, path = [], "/agent?team=all"
        while path:
            page = s.get(path)[1]
            seen += rows(page)
            m = re.search(r'<a id="next" href="([^"]+)"', page)
            path = html.unescape(m.group(1)) if m else None
        expected = sorted(((int(sc), m) for team in ("network", "service-desk")
                           for m, sc in self.st.r.zrange("opd:q:due:" + team, 0, -1, withscores=True)))
        self.assertEqual(seen, [m for _, m in expected])
        self.assertTrue(set(made) <= set(seen))
        self.assertGreater(len(seen), 100)  # three pages at least
        for tid in made:
            for team in ("network", "service-desk"):
                self.st.r.zrem("opd:q:due:" + team, tid)
            self.st.r.delete("opd:t:{" + tid + "}")

    def test_sessions_roles_and_sign_out(self):
        anon = Session(self.port)
        code, _, hdrs = anon.get("/agent")
        self.assertEqual((code, hdrs["location"]), (303, "/login"))
        r, _ = self.signed_in(RITA)
        code, _, hdrs = r.get("/agent")
        self.assertEqual((code, hdrs["location"]), (303, "/tickets"))
        for token in (LEAD, ADMIN):
            s, hdrs = self.signed_in(token)
            self.assertEqual(hdrs["location"], "/agent")
            self.assertEqual(s.get("/agent")[0], 200)
        s, _ = self.signed_in(AGENT)
        page = s.get("/agent")[1]
        old = dict(s.cookies)
        code, _, hdrs = s.post("/logout", {}, page=page)
        self.assertEqual((code, hdrs["location"]), (303, "/login"))
        replay = Session(self.port)
        replay.cookies = old
        code, _, hdrs = replay.get("/agent")
        self.assertEqual((code, hdrs["location"]), (303, "/login"))

    # --- badges ----------------------------------------------------------------
    def test_badges_say_the_state_in_words_and_in_the_agents_zone(self):
        late = self.create("VPN badge late", ago_min=20, priority="P1")
        fresh = self.create("VPN badge fresh", priority="P1")
        self.st.wait_for(lambda: self.st.ticket(late).get("fr_state") == "breached", what="the breach")
        s, _ = self.signed_in(AGENT)
        page = s.get("/agent")[1]
        row = page.split('<tr data-id="%s"' % late, 1)[1].split("</tr>", 1)[0]
        self.assertRegex(row, r'class="slo slo-breached" data-state="breached"><span aria-hidden="true">'
                              r'\u26a0</span> First response: breached (\d+m|under a minute) ago')
        row = page.split('<tr data-id="%s"' % fresh, 1)[1].split("</tr>", 1)[0]
        self.assertRegex(row, r'data-state="running">.*First response: due in 1[45]m')
        # The P1 policy counts on the "always" calendar (UTC) ...
        self.assertRegex(row, r'\(due <time datetime="[^"]+">\w{3} \d+ \w{3} \d\d:\d\d UTC</time>\)')
        # ... and carol has her own zone.
        c, _ = self.signed_in("change-me-carol")
        row = c.get("/agent")[1].split('<tr data-id="%s"' % fresh, 1)[1].split("</tr>", 1)[0]
        self.assertRegex(row, r'\(due <time datetime="[^"]+">\w{3} \d+ \w{3} \d\d:\d\d E[SD]T</time>\)')

    # --- the ticket ----------------------------------------------------------------
    def test_ticket_view_shows_timeline_side_panel_and_escapes(self):
        tid = self.create("VPN <script>alert(1)</script> view")
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "Looking <b>now</b>", "public": False},
                  status=201)
        s, _ = self.signed_in(AGENT)
        code, page, hdrs = s.get("/agent/tickets/" + tid)
        self.assertEqual(code, 200)
        self.assertNotIn("<script>alert", page)
        self.assertIn("VPN &lt;script&gt;alert(1)&lt;/script&gt; view", page)
        self.assertIn('data-kind="note"', page)
        self.assertIn("Looking &lt;b&gt;now&lt;/b&gt;", page)
        self.assertIn('data-action="routed"', page)
        self.assertIn('id="requester">Rita<', page)
        self.assertIn("First response: due in", page)
        self.assertIn("Resolution: due in", page)
        for form in ("reply", "note", "status", "priority", "handoff", "assign"):
            self.assertIn('action="/agent/tickets/%s/%s"' % (tid, form), page)
        self.assertEqual(s.get("/agent/tickets/OPD-999999")[0], 404)
        self.assertEqual(s.request("PUT", "/agent/tickets/" + tid)[0], 405)
        self.assertEqual(s.request("GET", "/agent/tickets/%s/reply" % tid)[0], 405)
        self.assertEqual(s.request("GET", "/agent/tickets/%s/nothing" % tid)[0], 404)

    def test_forms_work_the_ticket_through_the_store(self):
        tid = self.create("VPN forms ticket")
        s, _ = self.signed_in(AGENT)
        page = s.get("/agent/tickets/" + tid)[1]
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        base = "/agent/tickets/%s/" % tid
        # No CSRF token: refused, nothing stored.
        code, _, _ = s.request("POST", base + "reply", urllib.parse.urlencode({"body": "x", "version": version}),
                               {"Content-Type": FORM})[:3]
        self.assertEqual(code, 403)
        self.assertEqual(self.st.r.llen("opd:t:{%s}:c" % tid), 0)
        # An empty reply: refused, and the form is not one that skips the version check.
        code, text, _ = s.post(base + "reply", {"body": "", "version": version}, page=page)
        self.assertEqual(code, 422)
        self.assertNotIn('name="confirm"', text)
        code, _, hdrs = s.post(base + "reply", {"body": "We are on it.", "version": version}, page=page)
        self.assertEqual(code, 303)
        self.assertTrue(hdrs["location"].startswith("/agent/tickets/%s#c" % tid))
        page = s.get("/agent/tickets/" + tid)[1]
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        self.assertEqual(s.post(base + "note", {"body": "Checked the gateway.", "version": version}, page)[0], 303)
        comments = [json.loads(c) for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
        self.assertEqual([(c["body"], c["public"], c["role"], c["author"]) for c in comments],
                         [("We are on it.", True, "agent", "alice"), ("Checked the gateway.", False, "agent", "alice")])
        self.assertEqual(self.st.ticket(tid)["fr_state"], "met")
        # Priority and assignee.
        page = s.get("/agent/tickets/" + tid)[1]
        self.assertEqual(s.post(base + "priority", {"priority": "P2"}, page)[0], 303)
        self.assertEqual(self.st.ticket(tid)["priority"], "P2")
        self.assertEqual(s.post(base + "assign", {"assignee": "alice"}, page)[0], 303)
        self.assertEqual(self.st.ticket(tid)["assignee"], "alice")
        code, text, _ = s.post(base + "assign", {"assignee": "mallory"}, page)  # nobody's agent
        self.assertEqual(code, 422)
        self.assertEqual(self.st.ticket(tid)["assignee"], "alice")
        # Resolving needs a note; with one the ticket is resolved.
        code, text, _ = s.post(base + "status", {"status": "resolved", "note": ""}, page)
        self.assertEqual(code, 422)
        self.assertIn('role="alert"', text)
        self.assertNotEqual(self.st.ticket(tid)["status"], "resolved")
        self.assertEqual(s.post(base + "status", {"status": "resolved", "note": "Gateway restarted."}, page)[0], 303)
        self.assertEqual(self.st.ticket(tid)["status"], "resolved")
        self.assertEqual(s.post(base + "status", {"status": "open"}, page)[0], 303)
        # A hand-off needs a note too; with one the ticket changes team.
        self.assertEqual(s.post(base + "handoff", {"team": "service-desk", "note": ""}, page)[0], 422)
        self.assertEqual(self.st.ticket(tid)["team"], "network")
        self.assertEqual(s.post(base + "handoff", {"team": "service-desk", "note": "Desk hardware."}, page)[0], 303)
        self.assertEqual(self.st.ticket(tid)["team"], "service-desk")
        page = s.get("/agent/tickets/" + tid)[1]
        self.assertIn('data-action="handoff"', page)
        self.assertIn("Desk hardware.", page)
        self.assertIn("status: resolved \u2192 open", html.unescape(page))

    def test_a_reply_against_a_changed_ticket_is_held_for_confirmation(self):
        tid = self.create("VPN two agents one ticket")
        s, _ = self.signed_in(AGENT)
        page = s.get("/agent/tickets/" + tid)[1]
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        # Meanwhile another agent replies.
        self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "Bob here: fixed.", "public": True},
                  token=LEAD, status=201)
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": "Alice: try restarting.",
                                                                 "version": version}, page)
        self.assertEqual(code, 409)
        self.assertIn("changed since you opened it", text)
        self.assertIn("Alice: try restarting.</textarea>", text)  # kept, not lost
        self.assertIn("Bob here: fixed.", text)                    # the change is shown
        self.assertIn('name="confirm" value="1"', text)
        self.assertEqual([json.loads(c)["body"] for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)],
                         ["Bob here: fixed."])
        # Confirmed: sent.
        new_version = re.search(r'id="form-reply">.*?name="version" value="(\d+)"', text, re.S).group(1)
        code, _, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": "Alice: try restarting.", "confirm": "1",
                                                              "version": new_version}, text)
        self.assertEqual(code, 303)
        self.assertEqual([json.loads(c)["body"] for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)],
                         ["Bob here: fixed.", "Alice: try restarting."])

    # --- drafts and the changed banner -------------------------------------------
    def test_drafts_are_kept_on_the_server_per_agent_and_cleared_when_sent(self):
        tid = self.create("VPN drafts ticket")
        s, _ = self.signed_in(AGENT)
        page = s.get("/agent/tickets/" + tid)[1]
        url = "/agent/tickets/%s/draft" % tid
        self.assertEqual(s.post(url, {"kind": "reply", "body": "Half a <reply>"}, page)[0], 204)
        self.assertEqual(s.post(url, {"kind": "note", "body": "Half a note"}, page)[0], 204)
        self.assertEqual(s.post(url, {"kind": "other", "body": "x"}, page)[0], 422)
        code = s.request("POST", url, "kind=reply&body=forged", {"Content-Type": FORM})[0]
        self.assertEqual(code, 403)  # no CSRF token
        self.assertEqual(self.st.r.hget("opd:t:{%s}:d" % tid, "alice|reply"), "Half a <reply>")
        self.assertGreater(self.st.r.ttl("opd:t:{%s}:d" % tid), 6 * 24 * 3600)
        # A new session (the old one expired, say) finds them again.
        s2, _ = self.signed_in(AGENT)
        page = s2.get("/agent/tickets/" + tid)[1]
        self.assertIn('data-draft="reply">Half a &lt;reply&gt;</textarea>', page)
        self.assertIn('data-draft="note" required>Half a note</textarea>', page)
        # Another agent sees none of alice's drafts.
        other = self.signed_in("change-me-carol")[0].get("/agent/tickets/" + tid)[1]
        self.assertNotIn("Half a", other)
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        self.assertEqual(s2.post("/agent/tickets/%s/reply" % tid, {"body": "Full reply", "version": version},
                                 page)[0], 303)
        self.assertIsNone(self.st.r.hget("opd:t:{%s}:d" % tid, "alice|reply"))
        self.assertEqual(self.st.r.hget("opd:t:{%s}:d" % tid, "alice|note"), "Half a note")

    def test_anonymising_a_ticket_deletes_its_drafts(self):
        tid = self.create("Drafts then anonymised", category="access")
        s, _ = self.signed_in(AGENT)
        page = s.get("/agent/tickets/" + tid)[1]
        self.assertEqual(s.post("/agent/tickets/%s/draft" % tid, {"kind": "note", "body": "Rita's home number"},
                                page)[0], 204)
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "resolved", "note": "done"}, status=200)
        self.call("PATCH", "/api/v1/tickets/" + tid, {"status": "closed"}, status=200)
        self.assertTrue(self.st.r.exists("opd:t:{%s}:d" % tid))
        # Closed 91 days ago: past the 90 days of access tickets.
        when = harness.now_ms() - 91 * 24 * 3600 * 1000
        self.st.r.zadd("opd:closed", {tid: when})
        self.st.r.hset("opd:t:{" + tid + "}", "closed_at", when)
        self.st.cli("anonymise")
        self.assertEqual(self.st.ticket(tid).get("anonymised"), "1")
        self.assertFalse(self.st.r.exists("opd:t:{%s}:d" % tid))

    def test_version_and_script_endpoints(self):
        tid = self.create("VPN version ticket")
        s, _ = self.signed_in(AGENT)
        code, text, hdrs = s.get("/agent/tickets/%s/version" % tid)
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(text), {"version": int(self.st.ticket(tid)["version"])})
        self.assertEqual(Session(self.port).get("/agent/tickets/%s/version" % tid)[0], 303)  # no session
        code, text, hdrs = Session(self.port).get("/agent/console.js")
        self.assertEqual(code, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/javascript"))
        with open(os.path.join(harness.SOURCE, "services", "web", "console.js")) as f:
            self.assertEqual(text, f.read())

    # --- in a browser ------------------------------------------------------------
    def screenshot(self, b, name):
        """Saves the page as a test artefact in build/test-artifacts/ (next
        to the binaries' bin/), and checks it is not blank."""
        data = __import__("base64").b64decode(b.call("Page.captureScreenshot", format="png")["data"])
        width, height, raw = tpb.png_pixels(data)
        self.assertGreater(len(set(raw)), 20, name)
        out = os.path.join(os.path.dirname(harness.BIN.rstrip("/")), "test-artifacts")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_an_agent_signs_in_opens_a_ticket_and_replies(self):
        tid = self.create("VPN browser ticket", ago_min=5, priority="P1")
        base = "http://127.0.0.1:%d" % self.port
        b = signed_in_browser(self.port, AGENT)
        try:
            b.wait("location.pathname === '/agent' && !!document.querySelector('#queue')")
            self.assertEqual(b.js("document.cookie"), "")
            ids = b.js("[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.id)")
            self.assertEqual(ids, [t for _, t in sorted(self.score(t) for t in self.open_ids("network"))])
            self.assertEqual(b.js("[...document.querySelectorAll('script')].map(s => s.getAttribute('src'))"),
                             ["/agent/console.js"])
            b.click("a[href='/agent/tickets/%s']" % tid)
            b.wait("location.pathname === '/agent/tickets/%s' && !!document.querySelector('#reply-body')" % tid)
            b.type_into("#reply-body", "Please reconnect now.")
            b.click("#form-reply button:not([name])")  # Send reply (Preview and Edit have a name)
            b.wait("location.hash.startsWith('#c') && document.querySelector('#timeline').innerText"
                   ".includes('Please reconnect now.')")
            badge = b.js("document.querySelector('#clocks').innerText")
            self.assertIn("First response: met", badge)
            self.screenshot(b, "console-ticket.png")
            b.goto(base + "/agent")
            self.screenshot(b, "console-queue.png")
        finally:
            b.close()

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_a_draft_survives_a_reload_and_a_change_shows_a_banner(self):
        tid = self.create("VPN browser drafts")
        base = "http://127.0.0.1:%d" % self.port
        b = signed_in_browser(self.port, AGENT)
        try:
            # Loaded (console.js runs deferred, after #queue is parsed) before any key.
            b.wait("location.pathname === '/agent' && !!document.querySelector('#queue') && document.readyState === 'complete'")
            # Keyboard: j selects the first row, o opens it.
            first = b.js("document.querySelector('#queue tbody tr').dataset.id")
            for key in ("j", "o"):
                b.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
                b.call("Input.dispatchKeyEvent", type="keyUp", key=key)
            b.wait("location.pathname === '/agent/tickets/%s'" % first)
            b.goto(base + "/agent/tickets/" + tid)
            b.wait("!!document.querySelector('#reply-body')")
            # r focuses the reply box; typing saves a draft on the server.
            b.call("Input.dispatchKeyEvent", type="keyDown", key="r", text="r")
            b.call("Input.dispatchKeyEvent", type="keyUp", key="r")
            self.assertEqual(b.js("document.activeElement.id"), "reply-body")
            b.call("Input.insertText", text="Typed before the reload")
            b.wait("document.querySelector('#reply-body-draft').textContent === 'Draft saved'")
            b.goto(base + "/agent/tickets/" + tid)
            b.wait("document.querySelector('#reply-body').value === 'Typed before the reload'")
            # Someone else changes the ticket: the banner appears by itself.
            self.assertTrue(b.js("document.querySelector('#changed').hidden"))
            seen = b.js("document.querySelector('.grid').dataset.version")
            self.call("PATCH", "/api/v1/tickets/" + tid, {"priority": "P1"}, token=LEAD, status=200)
            self.assertNotEqual(self.st.ticket(tid)["version"], seen)
            b.wait("!document.querySelector('#changed').hidden", timeout=15)
        finally:
            b.close()


if __name__ == "__main__":
    unittest.main()
