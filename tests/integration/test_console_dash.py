"""The team lead dashboard at /agent/dashboard (issue 11): leads and admins
only; SLO attainment per policy and team over 8 weeks equal to what
GET /api/v1/slo/report answers for the same weeks; error budget as /metrics
has it; the clocks at risk and the tickets past their deadline by id;
backlog age and workload counted exactly; the coverage of the next two
weeks equal to GET /api/v1/coverage, with a gap an absence opens, and the
"no rota" panel without shifts. Every chart is an SVG that parses as XML and
says what its table says; chromium draws it.

P1 runs on the 24x7 calendar with targets of minutes, so that a ticket
received 10 minutes ago breaches at once; P2's first response (30 minutes,
warned at 75%) is at risk for a ticket received 25 minutes ago."""
import datetime
import html.parser
import os
import re
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
import zoneinfo

import harness
import test_portal_browser as tpb
from test_console import AGENT, LEAD, ADMIN, MIN, Session, signed_in_browser

SVG_NS = "{http://www.w3.org/2000/svg}"


def dash_config(shifts=True):
    cfg = harness.copy_config()
    cfg["slo_policies"] = [
        {"name": "p1", "match": {"priority": "P1"}, "calendar": "always", "first_response": "1m",
         "resolution": "2m", "warn_at": 0.5, "objective": 0.9},
        {"name": "p2", "match": {"priority": "P2"}, "calendar": "always", "first_response": "30m",
         "resolution": "4h", "warn_at": 0.75, "objective": 0.95},
    ] + [p for p in cfg["slo_policies"] if p["name"] == "standard"]
    cfg["agents"].append({"id": "carol", "name": "Carol Chen", "email": "carol@example.org",
                          "teams": ["network"]})
    for t in cfg["teams"]:
        t["min_on_duty"] = 1
    # Shifts that cover the uk-office hours exactly: no gap without an absence.
    cfg["shifts"] = [{"agent": a, "team": t, "days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00",
                      "to": "18:00", "timezone": "Europe/London"}
                     for a, t in (("alice", "network"), ("bob", "service-desk"))] if shifts else []
    return cfg


class Tables(html.parser.HTMLParser):
    """Every <table id> of a page: {id: {"attrs", "rows": [{"attrs",
    "cells": [(tag, attrs, text)]}]}}."""

    def __init__(self, page):
        super().__init__()
        self.tables, self.table, self.cell = {}, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "id" in a:
            self.table = self.tables[a["id"]] = {"attrs": a, "rows": []}
        elif self.table is not None and tag == "tr":
            self.table["rows"].append({"attrs": a, "cells": []})
        elif self.table is not None and tag in ("td", "th") and self.table["rows"]:
            self.cell = [tag, a, ""]
            self.table["rows"][-1]["cells"].append(self.cell)

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None
        elif tag in ("td", "th"):
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data


def body_rows(t):
    return [r for r in t["rows"] if r["cells"] and r["cells"][0][0] == "th" and
            r["cells"][0][1].get("scope") == "row"]


def svgs(page):
    """{id: parsed <svg>} of every chart; each must parse as XML."""
    out = {}
    for m in re.finditer(r"<svg\b.*?</svg>", page, re.S):
        root = ET.fromstring(m.group(0))
        out[root.get("id")] = root
    return out


class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "web"], config=dash_config())
        cls.st.__enter__()
        cls.port = cls.st.http_port
        cls.api = Session(cls.port)
        cls.made = cls.make_tickets()

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["web"])

    @classmethod
    def call(cls, method, path, body=None, token=AGENT, status=None):
        import http.client
        import json
        c = http.client.HTTPConnection("127.0.0.1", cls.port, timeout=30)
        h = {"Authorization": "Bearer " + token}
        if body is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, json.dumps(body) if body is not None else None, h)
        r = c.getresponse()
        raw = r.read()
        c.close()
        data = json.loads(raw) if raw and r.getheader("Content-Type", "").startswith("application/json") else raw
        if status:
            assert r.status == status, (r.status, data)
        return data

    @classmethod
    def create(cls, subject, ago_min=0, priority=None):
        body = {"subject": subject, "requester": {"name": "Rita", "email": "rita@example.com"}}
        if ago_min:
            body["received_at"] = harness.iso(harness.now_ms() - ago_min * MIN)
        if priority:
            body["priority"] = priority
        tid = cls.call("POST", "/api/v1/tickets", body, status=201)["id"]
        cls.st.wait_for(lambda: cls.st.ticket(tid).get("routed_at") and cls.st.ticket(tid).get("res_due"),
                        what="routing and clocks of " + tid)
        return tid

    @classmethod
    def make_tickets(cls):
        st = cls.st
        late = [cls.create("VPN down since the morning %d" % i, ago_min=10, priority="P1") for i in range(2)]
        met = cls.create("VPN token expired", priority="P1")
        cls.call("POST", "/api/v1/tickets/%s/comments" % met, {"body": "On it.", "public": True}, status=201)
        cls.call("PATCH", "/api/v1/tickets/" + met, {"status": "resolved", "note": "Renewed."}, status=200)
        risky = cls.create("VPN drops every hour", ago_min=25, priority="P2")
        calm = cls.create("VPN client upgrade", priority="P2")
        desk = cls.create("Printer jammed on floor 3")
        cls.call("PATCH", "/api/v1/tickets/" + calm, {"assignee": "alice"}, status=200)
        cls.call("PATCH", "/api/v1/tickets/" + late[0], {"assignee": "carol"}, status=200)
        cls.call("PATCH", "/api/v1/tickets/" + risky, {"assignee": "alice", "status": "pending"}, status=200)
        cls.call("PATCH", "/api/v1/tickets/" + desk, {"assignee": "bob"}, status=200)
        st.wait_for(lambda: all(st.ticket(t).get("res_state") == "breached" for t in late)
                    and st.ticket(met).get("res_state") == "met"
                    and st.ticket(risky).get("fr_warned"), timeout=30, what="breaches, met and the warning")
        # The met ticket came in three weeks ago (as an import would say):
        # the weeks must be told apart as the report tells them.
        old = harness.now_ms() - 3 * 7 * 86400000 + 3600000
        st.r.hset("opd:t:{" + met + "}", "created_at", old)
        for key in ("opd:idx:all", "opd:idx:status:resolved", "opd:idx:team:network"):
            st.r.zadd(key, {met: old})
        return {"late": late, "met": met, "risky": risky, "calm": calm, "desk": desk}

    def page(self, token=LEAD, query="team=all"):
        s = Session(self.port)
        code, _ = s.login(token)
        self.assertEqual(code, 303)
        code, text, hdrs = s.get("/agent/dashboard" + ("?" + query if query else ""))
        return code, text, hdrs

    # --- who may see it ----------------------------------------------------------
    def test_leads_and_admins_see_it_and_an_agent_gets_403(self):
        code, text, _ = self.page(AGENT)
        self.assertEqual(code, 403, text)
        self.assertIn("team leads and admins", text)
        for token in (LEAD, ADMIN):
            code, text, hdrs = self.page(token)
            self.assertEqual(code, 200, text)
            self.assertIn('<a href="/agent/dashboard">Dashboard</a>', text)
            self.assertEqual(re.findall(r"<script[^>]*>", text), ['<script src="/agent/console.js" defer>'])
            self.assertNotIn(" style=", text)
            self.assertIn("script-src 'self';", hdrs["content-security-policy"])
        # The header links the dashboard for leads, not for agents.
        s = Session(self.port)
        s.login(AGENT)
        self.assertNotIn("/agent/dashboard", s.get("/agent")[1])
        self.assertEqual(self.page(LEAD, "team=nowhere")[0], 400)
        self.assertEqual(self.page(LEAD, "slo=speed")[0], 400)

    # --- the numbers -------------------------------------------------------------
    def check_attainment(self, slo):
        code, text, _ = self.page(LEAD, "team=all&slo=" + slo)
        self.assertEqual(code, 200)
        tables = Tables(text).tables
        for by in ("policy", "team"):
            t = tables["t-att-" + by]
            weeks = [c[1] for c in t["rows"][0]["cells"][1:]]
            self.assertEqual(len(weeks), 8)
            reports = [self.call("GET", "/api/v1/slo/report?" + urllib.parse.urlencode(
                {"from": w["data-from"], "to": w["data-to"], "group_by": by}), token=LEAD, status=200)
                for w in weeks]
            keys = [r["attrs"]["data-key"] for r in body_rows(t)]
            want_keys = ["p1", "p2", "standard"] if by == "policy" else ["network", "service-desk"]
            self.assertEqual(keys, want_keys)
            seen = 0
            for row in body_rows(t):
                for w, cell in enumerate(row["cells"][1:]):
                    g = [x for x in reports[w]["groups"] if x["key"] == row["attrs"]["data-key"]]
                    want = g[0]["slo"][slo] if g else {"met": 0, "breached": 0, "attainment": None}
                    got = (int(cell[1]["data-met"]), int(cell[1]["data-breached"]))
                    self.assertEqual(got, (want["met"], want["breached"]), (by, row["attrs"], w))
                    seen += sum(got)
                    if want["attainment"] is not None:
                        self.assertIn("%.1f%%" % (want["attainment"] * 100), cell[2])
            self.assertGreater(seen, 0, by)
        return text

    def test_attainment_per_week_equals_the_slo_report(self):
        text = self.check_attainment("resolution")
        self.check_attainment("first_response")
        # P1 resolution: this week 2 breached; three weeks back the one met.
        p1 = [r for r in body_rows(Tables(text).tables["t-att-policy"]) if r["attrs"]["data-key"] == "p1"][0]
        got = [(c[1]["data-met"], c[1]["data-breached"]) for c in p1["cells"][1:]]
        self.assertEqual(got, [("0", "0")] * 5 + [("1", "0"), ("0", "0"), ("0", "2")])
        self.assertIn("100.0% (1 of 1)", p1["cells"][6][2])

    def test_error_budget_equals_the_metrics(self):
        text = self.page()[1]
        metrics = self.call("GET", "/metrics", status=200).decode()
        rows = body_rows(Tables(text).tables["t-budget"])
        self.assertEqual(sorted((r["attrs"]["data-policy"], r["attrs"]["data-slo"]) for r in rows),
                         [("p1", "first_response"), ("p1", "resolution"), ("p2", "first_response"),
                          ("p2", "resolution")])  # standard has no objective here: no budget
        for r in rows:
            m = re.search(r'^opdesk_slo_budget_spent\{policy="%s",slo="%s"\} (\S+)$'
                          % (r["attrs"]["data-policy"], r["attrs"]["data-slo"]), metrics, re.M)
            self.assertIsNotNone(m, r["attrs"])
            self.assertAlmostEqual(float(r["attrs"]["data-spent"]), float(m.group(1)), places=5)
        p1 = [r for r in rows if r["attrs"]["data-policy"] == "p1" and r["attrs"]["data-slo"] == "resolution"][0]
        # 2 breached of 3 finished against a budget of 10%: 6.67 budgets spent.
        self.assertAlmostEqual(float(p1["attrs"]["data-spent"]), (2 / 3) / 0.1, places=4)
        self.assertIn("-566.7% left", text)

    def test_at_risk_and_breached_list_the_right_tickets(self):
        before = harness.now_ms()
        text = self.page()[1]
        after = harness.now_ms()
        tables = Tables(text).tables
        risk = [(r["attrs"]["data-id"], r["attrs"]["data-clock"]) for r in tables["t-risk"]["rows"][1:]]
        want = [tuple(m.split("|")) for m in self.st.r.zrange("opd:slo:risk", 0, -1)]
        self.assertEqual(risk, want)
        self.assertIn((self.made["risky"], "fr"), risk)
        self.assertEqual(int(re.search(r'id="risk-count">(\d+)<', text).group(1)), len(want))
        late = [r["attrs"]["data-id"] for r in tables["t-breached"]["rows"][1:]]
        for tid in self.made["late"]:
            self.assertIn(tid, late)
            self.assertIn('href="/agent/tickets/%s"' % tid, text)
        for tid in (self.made["met"], self.made["risky"], self.made["calm"]):
            self.assertNotIn(tid, late)
        lo = set(m for t in ("network", "service-desk") for m in self.st.r.zrangebyscore("opd:q:due:" + t, "-inf", before))
        hi = set(m for t in ("network", "service-desk") for m in self.st.r.zrangebyscore("opd:q:due:" + t, "-inf", after))
        self.assertTrue(lo <= set(late) <= hi, (lo, late, hi))
        # A team's page lists only that team's.
        desk = Tables(self.page(LEAD, "team=service-desk")[1]).tables
        self.assertNotIn("t-risk", desk)

    def expected_work(self, teams):
        now = harness.now_ms()
        age, load = {}, {}
        edges = [1, 3, 7, 14, 30]
        for team in teams:
            for tid in self.st.r.zrange("opd:q:due:" + team, 0, -1):
                t = self.st.ticket(tid)
                days = (now - int(t["created_at"])) / 86400000
                bucket = sum(1 for e in edges if days >= e)
                age[(bucket, t["status"])] = age.get((bucket, t["status"]), 0) + 1
                who = t.get("assignee") or "unassigned"
                load[(who, t["status"])] = load.get((who, t["status"]), 0) + 1
        return age, load

    def test_backlog_age_and_workload_are_exact(self):
        for query, teams in (("team=all", ("network", "service-desk")), ("team=network", ("network",)),
                             ("", ("service-desk",))):  # the lead is bob: his team by default
            text = self.page(LEAD, query)[1]
            tables = Tables(text).tables
            age, load = self.expected_work(teams)
            rows = body_rows(tables["t-backlog"])
            self.assertEqual(len(rows), 6)
            for b, r in enumerate(rows):
                for cell in r["cells"][1:4]:
                    self.assertEqual(int(cell[2]), age.get((b, cell[1]["data-state"]), 0), (query, b, cell))
            rows = body_rows(tables["t-workload"])
            agents = [r["attrs"]["data-agent"] for r in rows]
            self.assertEqual(agents[-1], "unassigned")
            for r in rows:
                for cell in r["cells"][1:4]:
                    self.assertEqual(int(cell[2]), load.get((r["attrs"]["data-agent"], cell[1]["data-state"]), 0),
                                     (query, r["attrs"], cell))
            # Every agent of the teams shown, in the configuration's order, with or without tickets.
            members = [a for a, t in (("alice", "network"), ("bob", "service-desk"), ("carol", "network"))
                       if t in teams]
            self.assertEqual(agents[:len(members)], members, query)
            if "network" in teams:
                got = {r["attrs"]["data-agent"]: [c[2] for c in r["cells"][1:]] for r in rows}
                self.assertEqual(got["alice"], ["1", "0", "1", "2"])  # calm (new), risky (pending)
            else:
                self.assertNotIn("alice", agents)

    # --- charts -----------------------------------------------------------------
    def test_every_chart_is_well_formed_svg_matching_its_table(self):
        text = self.page()[1]
        charts = svgs(text)
        self.assertEqual(set(charts), {"c-att-policy", "c-att-team", "c-budget", "c-backlog", "c-workload",
                                       "c-coverage"})
        tables = Tables(text).tables
        for root in charts.values():
            self.assertEqual(root.tag, SVG_NS + "svg")
            self.assertTrue(root.find(SVG_NS + "title").text)
            self.assertEqual(root.get("role"), "img")
        # Bars: one label per table row, and each bar's number is the row's total.
        for chart, table in (("c-backlog", "t-backlog"), ("c-workload", "t-workload")):
            texts = [t.text for t in charts[chart].iter(SVG_NS + "text")]
            rows = body_rows(tables[table])
            labels = [r["cells"][0][2] for r in rows]
            totals = [r["cells"][4][2] for r in rows]
            legend = 3
            self.assertEqual(texts[legend::2], labels, chart)
            self.assertEqual(texts[legend + 1::2], totals, chart)
            # The segments are told apart by pattern, not colour alone.
            self.assertEqual(len(charts[chart].findall(".//%spattern" % SVG_NS)), 2)
        # Lines: one path per row with a finished clock, named after it.
        att = body_rows(tables["t-att-policy"])
        with_data = [r["attrs"]["data-key"] for r in att if any("data-met" in c[1] and
                     int(c[1]["data-met"]) + int(c[1]["data-breached"]) for c in r["cells"][1:])]
        names = [t.text for t in charts["c-att-policy"].iter(SVG_NS + "text") if t.get("class") == "name"]
        self.assertEqual(names, with_data)
        self.assertEqual(len([p for p in charts["c-att-policy"].iter(SVG_NS + "path") if p.get("class") == "line"]),
                         len(with_data))
        # Budget bars: one per table row, with the same figure.
        texts = [t.text for t in charts["c-budget"].iter(SVG_NS + "text")]
        rows = body_rows(tables["t-budget"])
        self.assertEqual(texts[0::2], ["%s %s" % (r["attrs"]["data-policy"], r["attrs"]["data-slo"]) for r in rows])
        self.assertEqual(texts[1::2], [r["cells"][5][2] + " left" for r in rows])

    # --- coverage ---------------------------------------------------------------
    def coverage_rows(self, text):
        t = Tables(text).tables["t-coverage"]
        days = body_rows(t)
        return t["attrs"], [(r["attrs"]["data-from"], r["attrs"]["data-to"],
                             {c[1]["data-team"]: int(c[1]["data-ms"]) for c in r["cells"][1:]}) for r in days]

    def check_coverage_equals_api(self, text):
        period, days = self.coverage_rows(text)
        self.assertEqual(len(days), 14)
        api = self.call("GET", "/api/v1/coverage?" + urllib.parse.urlencode(
            {"from": period["data-from"], "to": period["data-to"]}), token=LEAD, status=200)
        for team in api["teams"]:
            for f, t, ms in days:
                lo, hi = harness.ms_of(f), harness.ms_of(t)
                want = sum(max(0, min(hi, harness.ms_of(g["to"])) - max(lo, harness.ms_of(g["from"])))
                           for g in team["gaps"])
                self.assertEqual(ms[team["team"]], want, (team["team"], f))
        return days

    def test_coverage_shows_the_gap_an_absence_opens(self):
        days = self.check_coverage_equals_api(self.page()[1])
        london = zoneinfo.ZoneInfo("Europe/London")
        today = datetime.datetime.now(london).date()
        day = next(today + datetime.timedelta(days=k) for k in range(2, 12)
                   if (today + datetime.timedelta(days=k)).weekday() in (0, 1, 3)
                   and str(today + datetime.timedelta(days=k)) not in ("2026-12-25", "2026-12-28"))
        start = datetime.datetime.combine(day, datetime.time(8, 0), london)
        end = datetime.datetime.combine(day, datetime.time(18, 0), london)
        row = [d for d in days if harness.ms_of(d[0]) <= start.timestamp() * 1000 < harness.ms_of(d[1])]
        self.assertEqual(row[0][2]["network"], 0)
        absence = self.call("POST", "/api/v1/absences", {"agent": "alice", "kind": "sickness",
                                                          "from": start.astimezone(datetime.timezone.utc).isoformat(),
                                                          "to": end.astimezone(datetime.timezone.utc).isoformat()},
                            token=LEAD, status=201)
        try:
            days = self.check_coverage_equals_api(self.page()[1])
            row = [d for d in days if harness.ms_of(d[0]) <= start.timestamp() * 1000 < harness.ms_of(d[1])]
            self.assertEqual(row[0][2]["network"], 10 * 3600 * 1000)
            self.assertEqual(row[0][2]["service-desk"], 0)
            self.assertEqual(sum(d[2]["network"] for d in days), 10 * 3600 * 1000)
        finally:
            self.call("DELETE", "/api/v1/absences/" + absence["id"], token=LEAD, status=204)

    def test_no_rota_panel_without_shifts(self):
        with harness.Stack(["web"], config=dash_config(shifts=False)) as st:
            s = Session(st.http_port)
            self.assertEqual(s.login(LEAD)[0], 303)
            code, text, _ = s.get("/agent/dashboard?team=all")
            self.assertEqual(code, 200, text)
            self.assertIn('id="no-rota"', text)
            self.assertIn("No rota configured", text)
            self.assertNotIn("t-coverage", text)
            svgs(text)  # still well-formed, without a coverage chart

    # --- in a browser ------------------------------------------------------------
    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_the_dashboard_draws_its_charts(self):
        base = "http://127.0.0.1:%d" % self.port
        b = signed_in_browser(self.port, LEAD)
        try:
            b.wait("location.pathname === '/agent' && document.readyState === 'complete' && "
                   "!!document.querySelector(\"a[href='/agent/dashboard']\")")
            b.click("a[href='/agent/dashboard']")
            b.wait("location.pathname === '/agent/dashboard' && !!document.querySelector('#c-backlog')")
            b.goto(base + "/agent/dashboard?team=all")
            b.wait("!!document.querySelector('#t-risk') && !!document.querySelector('#c-coverage')")
            for chart in ("c-att-policy", "c-budget", "c-backlog", "c-workload", "c-coverage"):
                box = b.js("(() => { const r = document.querySelector('#%s').getBoundingClientRect();"
                           " return [r.width, r.height]; })()" % chart)
                self.assertGreater(box[0], 100, chart)
                self.assertGreater(box[1], 20, chart)
            self.assertEqual(b.js("document.querySelector('#t-risk caption').textContent"), "Clocks at risk")
            # The whole page, charts included, as the test artefact.
            size = b.js("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            data = __import__("base64").b64decode(b.call(
                "Page.captureScreenshot", format="png", captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1})["data"])
            width, height, raw = tpb.png_pixels(data)
            self.assertGreater(len(set(raw)), 20)
            out = os.path.join(os.path.dirname(harness.BIN.rstrip("/")), "test-artifacts")
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "console-dashboard.png"), "wb") as f:
                f.write(data)
        finally:
            b.close()


if __name__ == "__main__":
    unittest.main()
