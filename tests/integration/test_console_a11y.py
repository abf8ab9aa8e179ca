"""The agent console's reply form with standard responses, its light and
dark themes, and its accessibility (issue 11): a response suggested for the
ticket is chosen, previewed with its variables filled (without JavaScript by
the "Preview" button, with console.js as it is chosen), and applied only on
send, through the same renderer and strict rule as POST .../comments (a
variable without a value refuses the send, naming it, nothing stored); an
edited response is the agent's own reply. The theme follows the browser's
prefers-color-scheme until the toggle chooses one, which a cookie keeps
across reloads. axe-core (tests/browser/package.json, an exact version)
runs in chromium on the login page, the queue and a ticket in both themes:
a serious or critical violation fails; screenshots of the queue and the
ticket in both themes are saved in build/artefacts/screenshots/."""
import base64
import html
import json
import os
import re
import struct
import unittest
import zlib

import harness
import test_portal_browser as tpb
from test_console import AGENT, Session, console_config

AXE = os.path.join(harness.SOURCE, "tests", "browser", "node_modules", "axe-core", "axe.min.js")
SHOTS = os.path.join(os.path.dirname(harness.BIN.rstrip("/")), "artefacts", "screenshots")
# axe's rules for WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LIGHT_BG, DARK_BG = "rgb(255, 255, 255)", "rgb(20, 24, 30)"


def config():
    cfg = console_config()
    cfg["standard_responses"] = [
        {"id": "vpn-basics", "subject": "VPN troubleshooting",
         "body": "Hello {{requester.name}}, about {{ticket.id}}: please restart the VPN client.",
         "guide_url": "https://wiki.example.org/vpn"},
        {"id": "laptop-order", "subject": "Your laptop order", "body": "Model {{fields.model}} is on its way."},
    ]
    return cfg


def png_ok(path):
    """Whether the file is a PNG whose chunks check out (CRC) with an image
    of nonzero size that is not one flat colour."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(data[pos + 4:pos + 8 + length]) != crc:
            return False
        pos += 12 + length
    width, height, raw = tpb.png_pixels(data)
    return width > 0 and height > 0 and len(set(raw)) > 20


class ConsoleA11yTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "web"], config=config())
        cls.st.__enter__()
        cls.port = cls.st.http_port
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["web"], absent=("Rita", "rita@example.com", "Thanks for waiting"))

    # --- helpers -----------------------------------------------------------
    def api(self, method, path, body, status):
        code, text, _, _ = Session(self.port).request(
            method, path, json.dumps(body), {"Authorization": "Bearer " + AGENT, "Content-Type": "application/json"})
        self.assertEqual(code, status, text)
        return json.loads(text)

    def create(self, subject, **extra):
        body = {"subject": subject, "requester": {"name": "Rita", "email": "rita@example.com"}, **extra}
        tid = self.api("POST", "/api/v1/tickets", body, 201)["id"]
        self.st.wait_for(lambda: self.st.ticket(tid).get("routed_at"), what="routing of " + tid)
        return tid

    def signed_in(self):
        s = Session(self.port)
        self.assertEqual(s.login(AGENT)[0], 303)
        return s

    def comments(self, tid):
        return [json.loads(c) for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]

    def used(self, sr):
        return int(self.st.r.hget("opd:stats:stdresp", sr + "|agent") or 0)

    def preview_of(self, tid, sr):
        """The text the suggestions API shows for the response on the ticket."""
        c = Session(self.port)
        code, text, _, _ = c.request("GET", "/api/v1/tickets/%s/suggestions?all=true" % tid,
                                     headers={"Authorization": "Bearer " + AGENT})
        self.assertEqual(code, 200, text)
        return next(i for i in json.loads(text)["items"] if i["id"] == sr)

    def version(self, page):
        return re.search(r'id="form-reply">.*?name="version" value="(\d+)"', page, re.S).group(1)

    # --- standard responses over plain HTTP (no JavaScript) ---------------------
    def test_the_reply_form_lists_suggested_responses_first_and_previews_without_sending(self):
        tid = self.create("VPN drops every hour")
        s = self.signed_in()
        page = s.get("/agent/tickets/" + tid)[1]
        picker = page.split('id="reply-response"', 1)[1].split("</select>", 1)[0]
        suggested = picker.split('label="Suggested for this ticket"', 1)[1].split("</optgroup>", 1)[0]
        other = picker.split('label="Other responses"', 1)[1].split("</optgroup>", 1)[0]
        self.assertIn('value="vpn-basics"', suggested)  # the vpn rule names it
        self.assertIn('value="laptop-order"', other)
        self.assertNotIn("required>", page.split('id="reply-body"', 1)[1].split("</textarea>", 1)[0])
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": "Thanks for waiting.", "version":
                               self.version(page), "standard_response": "vpn-basics", "do": "preview"}, page)
        self.assertEqual(code, 200)
        want = self.preview_of(tid, "vpn-basics")["preview"]
        self.assertIn("Hello Rita, about %s: please restart the VPN client." % tid, want)
        shown = re.search(r'id="reply-preview-text">(.*?)</div>', text, re.S).group(1)
        self.assertEqual(html.unescape(shown), want)
        self.assertIn('<option value="vpn-basics" selected>', text)
        self.assertIn(">Thanks for waiting.</textarea>", text)  # the agent's text is kept
        self.assertEqual(self.comments(tid), [])  # nothing sent
        # console.js's fragment is the same preview.
        code, frag, hdrs = s.get("/agent/tickets/%s/preview?response=vpn-basics" % tid)
        self.assertEqual(code, 200)
        self.assertTrue(hdrs["content-type"].startswith("text/html"))
        self.assertEqual(html.unescape(re.search(r'id="reply-preview-text">(.*?)</div>', frag, re.S).group(1)),
                         want)
        self.assertEqual(Session(self.port).get("/agent/tickets/%s/preview?response=vpn-basics" % tid)[0], 303)
        frag = s.get("/agent/tickets/%s/preview?response=%%3Cb%%3E" % tid)[1]
        self.assertIn("There is no standard response '&lt;b&gt;'", frag)

    def test_a_reply_with_a_response_is_rendered_on_send_and_counted(self):
        tid = self.create("VPN certificate expired")
        s = self.signed_in()
        page = s.get("/agent/tickets/" + tid)[1]
        before = self.used("vpn-basics")
        want = self.preview_of(tid, "vpn-basics")["preview"]
        code, _, hdrs = s.post("/agent/tickets/%s/reply" % tid, {"body": "Thanks for waiting.", "version":
                               self.version(page), "standard_response": "vpn-basics"}, page)
        self.assertEqual(code, 303)
        (c,) = self.comments(tid)
        self.assertEqual(c["body"], "Thanks for waiting.\n\n" + want)
        self.assertEqual(c["standard_response"], "vpn-basics")
        self.assertTrue(c["public"])
        self.assertEqual(self.used("vpn-basics"), before + 1)
        # The response alone, without any text of the agent's.
        page = s.get("/agent/tickets/" + tid)[1]
        code, _, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": "", "version": self.version(page),
                                                               "standard_response": "vpn-basics"}, page)
        self.assertEqual(code, 303)
        self.assertEqual(self.comments(tid)[1]["body"], want)
        self.assertEqual(self.used("vpn-basics"), before + 2)
        # Neither text nor response: refused.
        page = s.get("/agent/tickets/" + tid)[1]
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": "", "version": self.version(page),
                                                                  "standard_response": ""}, page)
        self.assertEqual(code, 422)
        self.assertEqual(len(self.comments(tid)), 2)

    def test_a_variable_without_a_value_refuses_the_send_naming_it_and_stores_nothing(self):
        tid = self.create("VPN and a laptop question")
        s = self.signed_in()
        page = s.get("/agent/tickets/" + tid)[1]
        before = self.used("laptop-order")
        fields = {"body": "Thanks for waiting.", "version": self.version(page), "standard_response": "laptop-order"}
        # The preview already says so.
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, dict(fields, do="preview"), page)
        self.assertEqual(code, 200)
        self.assertIn("{{fields.model}}", re.search(r'id="reply-preview-error">(.*?)</p>', text).group(1))
        self.assertNotIn('id="reply-edit"', text)
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, fields, page)
        self.assertEqual(code, 422)
        error = html.unescape(re.search(r'id="error">(.*?)</p>', text).group(1))
        self.assertIn("{{fields.model}}", error)
        self.assertIn("laptop-order", error)
        self.assertIn(">Thanks for waiting.</textarea>", text)  # kept for another try
        self.assertEqual(self.comments(tid), [])
        self.assertEqual(self.used("laptop-order"), before)
        # An unknown response: refused too.
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, dict(fields, standard_response="nope"), page)
        self.assertEqual(code, 422)
        self.assertIn("There is no standard response &#39;nope&#39;", text)
        # With the field filled in, the same send goes through.
        self.st.r.hset("opd:t:{" + tid + "}", "fields", json.dumps({"model": "developer"}))
        code, _, _ = s.post("/agent/tickets/%s/reply" % tid, fields, page)
        self.assertEqual(code, 303)
        self.assertIn("Model developer is on its way.", self.comments(tid)[0]["body"])
        self.assertEqual(self.used("laptop-order"), before + 1)

    def test_an_edited_response_is_the_agents_own_reply(self):
        tid = self.create("VPN password prompt loops")
        s = self.signed_in()
        page = s.get("/agent/tickets/" + tid)[1]
        before = self.used("vpn-basics")
        want = self.preview_of(tid, "vpn-basics")["preview"]
        code, text, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": "Thanks for waiting.", "version":
                               self.version(page), "standard_response": "vpn-basics", "do": "edit"}, page)
        self.assertEqual(code, 200)
        box = html.unescape(re.search(r'id="reply-body"[^>]*>(.*?)</textarea>', text, re.S).group(1))
        self.assertEqual(box, "Thanks for waiting.\n\n" + want)
        self.assertIn('<option value="">None</option>', text)
        self.assertNotIn(" selected>", text.split('id="reply-response"', 1)[1].split("</select>", 1)[0])
        self.assertEqual(self.st.r.hget("opd:t:{%s}:d" % tid, "alice|reply"), box)  # kept as the draft
        self.assertEqual(self.comments(tid), [])
        edited = box.replace("please restart", "please reinstall")
        code, _, _ = s.post("/agent/tickets/%s/reply" % tid, {"body": edited, "version": self.version(text)}, text)
        self.assertEqual(code, 303)
        (c,) = self.comments(tid)
        self.assertEqual(c["body"], edited)
        self.assertNotIn("standard_response", c)
        self.assertEqual(self.used("vpn-basics"), before)

    # --- the theme over plain HTTP --------------------------------------------
    def test_the_theme_toggle_sets_a_cookie_and_the_page_frame_reads_it(self):
        tid = self.create("VPN theme check")
        s = self.signed_in()
        page = s.get("/agent/tickets/" + tid)[1]
        self.assertIn('<html lang="en">', page)  # no choice: the browser's preference
        self.assertIn('name="back" value="/agent/tickets/%s"' % tid, page)
        self.assertIn("prefers-color-scheme:dark", page)
        code, _, hdrs = s.post("/agent/theme", {"theme": "dark", "back": "/agent/tickets/" + tid}, page)
        self.assertEqual(code, 303)
        self.assertEqual(hdrs["location"], "/agent/tickets/" + tid)
        self.assertEqual(s.cookies["opdesk_theme"], "dark")
        self.assertIn('<html lang="en" data-theme="dark">', s.get("/agent")[1])
        # The sign-in page follows the choice too.
        self.assertIn('data-theme="dark"', Session(self.port).request(
            "GET", "/login", headers={"Cookie": "opdesk_theme=dark"})[1])
        # Another site's address is never where it goes back to.
        code, _, hdrs = s.post("/agent/theme", {"theme": "light", "back": "//evil.example/agent"}, page)
        self.assertEqual((code, hdrs["location"]), (303, "/agent"))
        self.assertIn('data-theme="light"', s.get("/agent")[1])
        self.assertEqual(s.post("/agent/theme", {"theme": "purple"}, page)[0], 422)
        code = s.request("POST", "/agent/theme", "theme=dark", {"Content-Type": "application/x-www-form-urlencoded"})[0]
        self.assertEqual(code, 403)  # no CSRF token
        self.assertEqual(s.post("/agent/theme", {"theme": "auto"}, page)[0], 303)
        self.assertNotIn("opdesk_theme", s.cookies)
        self.assertIn('<html lang="en">', s.get("/agent")[1])

    # --- in a browser --------------------------------------------------------
    def browser(self, path="/login"):
        self.assertTrue(os.access(tpb.CHROMIUM, os.X_OK), "chromium is needed: deploy/packages.txt installs it")
        return tpb.Browser(self.base + path)

    def sign_in(self, b, token=AGENT):
        b.wait("document.readyState === 'complete' && !!document.querySelector('#token')")
        b.type_into("#token", token)
        b.click("main button[type=submit]")
        b.wait("location.pathname === '/agent' && document.readyState === 'complete' && "
               "(!!document.querySelector('#queue') || !!document.querySelector('#empty'))")

    def scheme(self, b, dark):
        b.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme",
                                                        "value": "dark" if dark else "light"}])

    def bg(self, b):
        return b.js("getComputedStyle(document.body).backgroundColor")

    def test_in_a_browser_a_response_is_previewed_as_chosen_and_sent(self):
        tid = self.create("VPN browser response")
        want = self.preview_of(tid, "vpn-basics")["preview"]
        b = self.browser()
        try:
            self.sign_in(b)
            b.goto(self.base + "/agent/tickets/" + tid)
            b.type_into("#reply-body", "Thanks for waiting.")
            b.js("(() => { const p = document.querySelector('#reply-response'); p.value = 'vpn-basics';"
                 " p.dispatchEvent(new Event('change')); })()")
            b.wait("!!document.querySelector('#reply-preview-text')")
            self.assertEqual(b.js("document.querySelector('#reply-preview-text').textContent"), want)
            self.assertEqual(self.comments(tid), [])  # choosing sends nothing
            # Edit before sending: the text moves into the box, the choice goes.
            b.click("#reply-edit")
            b.wait("document.querySelector('#reply-body').value.includes('please restart')")
            self.assertEqual(b.js("document.querySelector('#reply-body').value"), "Thanks for waiting.\n\n" + want)
            self.assertEqual(b.js("document.querySelector('#reply-response').value"), "")
            # Back to a plain reply with the response chosen, then sent.
            b.js("document.querySelector('#reply-body').value = 'Thanks for waiting.'")
            b.js("(() => { const p = document.querySelector('#reply-response'); p.value = 'vpn-basics';"
                 " p.dispatchEvent(new Event('change')); })()")
            b.wait("!!document.querySelector('#reply-preview-text')")
            b.click("#form-reply button:not([name])")
            b.wait("location.hash.startsWith('#c')")
            self.assertEqual([c["body"] for c in self.comments(tid)], ["Thanks for waiting.\n\n" + want])
            self.assertEqual(self.comments(tid)[0]["standard_response"], "vpn-basics")
        finally:
            b.close()

    def test_in_a_browser_the_theme_follows_the_system_until_chosen_and_persists(self):
        b = self.browser()
        try:
            self.scheme(b, dark=False)
            self.sign_in(b)
            self.assertEqual(self.bg(b), LIGHT_BG)
            self.scheme(b, dark=True)
            b.goto(self.base + "/agent")
            self.assertEqual(self.bg(b), DARK_BG)  # the system's preference
            self.scheme(b, dark=False)
            b.goto(self.base + "/agent")
            # The toggle shows the one button that changes what is shown.
            self.assertEqual(b.js("[...document.querySelectorAll('#theme button')].filter(e => e.offsetParent)"
                                  ".map(e => e.value)"), ["dark"])
            b.click("#theme button.to-dark")
            b.wait("document.documentElement.dataset.theme === 'dark' && location.pathname === '/agent'")
            self.assertEqual(self.bg(b), DARK_BG)
            b.call("Page.reload")
            b.wait("document.readyState === 'complete' && !!document.querySelector('#queue')")
            self.assertEqual(b.js("document.documentElement.dataset.theme"), "dark")
            self.assertEqual(self.bg(b), DARK_BG)  # chosen dark beats the system's light
            self.assertEqual(b.js("document.cookie"), "")  # HttpOnly
            b.click("#theme button.to-auto")
            b.wait("!('theme' in document.documentElement.dataset) && !!document.querySelector('#queue')")
            self.assertEqual(self.bg(b), LIGHT_BG)
        finally:
            b.close()

    def axe(self, b, page):
        """Runs axe-core on the page; fails on serious or critical
        violations, prints the others. Fails when axe cannot be loaded."""
        self.assertTrue(os.path.exists(AXE), "axe-core is missing: tests/browser/install.sh (make build) installs it")
        with open(AXE) as f:
            b.js(f.read() + "\n;0")
        self.assertTrue(b.js("typeof axe === 'object' && typeof axe.run === 'function'"), "axe did not load")
        # axe sees a violation when there is one: grey text on grey, added
        # for a moment, is a serious color-contrast violation.
        b.js("(() => { const p = document.createElement('p'); p.id = 'axe-probe'; p.textContent = 'probe';"
             " p.style.color = '#888'; p.style.background = '#999'; document.body.append(p); })()")
        probe = self.run_axe(b, "{include: [['#axe-probe']]}")
        b.js("document.getElementById('axe-probe').remove()")
        self.assertIn(("color-contrast", "serious"), [(v["id"], v["impact"]) for v in probe["violations"]])
        result = self.run_axe(b, "document")
        found = result["violations"]
        print("axe %s: %d rules passed, %d violated" % (page, result["passes"], len(found)))
        for v in found:
            print("axe %s %s: %s %s (%s)" % (page, v["impact"], v["id"], v["help"], "; ".join(v["nodes"])[:600]))
        bad = [v for v in found if v["impact"] in ("serious", "critical")]
        self.assertEqual(bad, [], "%s: serious or critical axe violations" % page)

    def run_axe(self, b, context):
        r = b.call("Runtime.evaluate", awaitPromise=True, returnByValue=True, expression=(
            "axe.run(%s, {runOnly: {type: 'tag', values: %s}})"
            ".then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact,"
            " help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))}))"
            % (context, json.dumps(AXE_TAGS))))
        self.assertNotIn("exceptionDetails", r, r)
        return r["result"]["value"]

    def shot(self, b, name):
        m = b.call("Page.getLayoutMetrics")["cssContentSize"]
        data = base64.b64decode(b.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                                       clip={"x": 0, "y": 0, "width": m["width"], "height": m["height"],
                                             "scale": 1})["data"])
        os.makedirs(SHOTS, exist_ok=True)
        path = os.path.join(SHOTS, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_in_a_browser_axe_finds_nothing_serious_in_either_theme_and_screenshots_are_saved(self):
        tid = self.create("VPN accessibility check")
        # Badges of every colour on the queue: overdue, paused, met, running.
        self.create("VPN overdue for hours", priority="P1", received_at=harness.iso(harness.now_ms() - 5 * 3600000))
        paused = self.create("VPN waiting for the requester")
        self.api("PATCH", "/api/v1/tickets/" + paused, {"status": "pending"}, 200)
        met = self.create("VPN answered already")
        self.api("POST", "/api/v1/tickets/%s/comments" % met, {"body": "On it."}, 201)
        written = []
        for dark in (False, True):
            theme = "dark" if dark else "light"
            b = self.browser()
            try:
                self.scheme(b, dark)
                b.goto(self.base + "/login")
                self.assertEqual(self.bg(b), DARK_BG if dark else LIGHT_BG)
                self.axe(b, "login (%s)" % theme)
                self.sign_in(b)
                self.assertEqual(self.bg(b), DARK_BG if dark else LIGHT_BG)
                self.axe(b, "queue (%s)" % theme)
                written.append(self.shot(b, "queue-%s.png" % theme))
                for page in ("settings", "notifications"):
                    b.goto(self.base + "/agent/" + page)
                    b.wait("document.readyState === 'complete' && !!document.querySelector('main h1')")
                    self.axe(b, "%s (%s)" % (page, theme))
                b.goto(self.base + "/agent/tickets/" + tid)
                b.js("(() => { const p = document.querySelector('#reply-response'); p.value = 'vpn-basics';"
                     " p.dispatchEvent(new Event('change')); })()")
                b.wait("!!document.querySelector('#reply-preview-text')")
                self.axe(b, "ticket (%s)" % theme)
                written.append(self.shot(b, "ticket-%s.png" % theme))
                # The refusal's colours too: a response whose variable has no value, sent.
                b.js("document.querySelector('#reply-response').value = 'laptop-order'")
                b.click("#form-reply button:not([name])")
                b.wait("!!document.querySelector('#error') && document.readyState === 'complete'")
                self.assertIn("{{fields.model}}", b.js("document.querySelector('#error').textContent"))
                self.axe(b, "ticket with a refusal (%s)" % theme)
            finally:
                b.close()
            # The lead's dashboard: charts, their tables, the coverage panel.
            b = self.browser()
            try:
                self.scheme(b, dark)
                b.goto(self.base + "/login")
                self.sign_in(b, "change-me-lead")
                b.goto(self.base + "/agent/dashboard?team=all")
                b.wait("document.readyState === 'complete' && !!document.querySelector('#c-backlog')")
                self.assertEqual(self.bg(b), DARK_BG if dark else LIGHT_BG)
                self.axe(b, "dashboard (%s)" % theme)
                written.append(self.shot(b, "dashboard-%s.png" % theme))
            finally:
                b.close()
        for path in written:
            self.assertTrue(os.path.getsize(path) > 0, path)
            self.assertTrue(png_ok(path), path)
        self.assertEqual(sorted(os.path.basename(p) for p in written),
                         ["dashboard-dark.png", "dashboard-light.png", "queue-dark.png", "queue-light.png",
                          "ticket-dark.png", "ticket-light.png"])


if __name__ == "__main__":
    unittest.main()
