"""Agent preferences, notifications and shortcuts (issue 11): /agent/settings
stores per agent which notification kinds reach the console and the mail,
and the console.js shortcuts (remapped or turned off, checked on the
server); opdesk-notifier turns the durable event history into each agent's
notifications (/agent/notifications, the header's unread count) and, where
the agent asked for it, a short mail through the outbox, exactly once
across a restart."""
import email
import email.policy
import json
import os
import re
import time
import unittest

import harness
import test_console as tc
import test_portal_browser as tpb

AGENT, LEAD, CAROL = tc.AGENT, tc.LEAD, "change-me-carol"
KINDS = ("assigned", "handoff", "p1", "slo_warning")
DEFAULT_KEYS = {"next": "j", "prev": "k", "open": "o", "search": "/", "reply": "r", "note": "n",
                "assign": "a", "resolve": "e", "pick": "x"}
FOOTER = ("Service Desk, phone +44 20 7946 0000, Mon-Fri 08:00-18:00. "
          "Reply to this message to update your request.")


def notes(page):
    """(id, kind, ticket, unread) of the notifications page, in order."""
    out = []
    for m in re.finditer(r'<li class="notice( unread)?" data-id="([^"]+)" data-kind="([^"]+)" '
                         r'data-ticket="([^"]+)"', page):
        out.append((m.group(2), m.group(3), m.group(4), bool(m.group(1))))
    return out


def header_keys(page):
    m = re.search(r'id="settings-link" data-keys="([^"]*)"', page)
    return json.loads(m.group(1).replace("&quot;", '"')) if m else None


def unread_count(page):
    m = re.search(r'id="notif-count"[^>]*>(\d+)<', page)
    return int(m.group(1)) if m else None


class ConsolePrefsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "router", "slo", "notifier", "web"], config=tc.console_config())
        cls.st.__enter__()
        cls.port = cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.close_clean(["notifier"], read=["web"])

    # --- helpers -------------------------------------------------------------
    call = tc.ConsoleTest.call

    def create(self, subject, **kw):
        return tc.ConsoleTest.create(self, subject, **kw)

    def signed_in(self, token=AGENT):
        s = tc.Session(self.port)
        code, _ = s.login(token)
        self.assertEqual(code, 303)
        return s

    def save(self, s, console=KINDS, mail=(), keys=None, status=303):
        fields = [("console", k) for k in console] + [("mail", k) for k in mail]
        fields += [("key:" + a, v) for a, v in (keys or {}).items()]
        page = s.get("/agent/settings")[1]
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
        body = __import__("urllib.parse").parse.urlencode(fields + [("csrf", csrf)])
        code, text, hdrs, _ = s.request("POST", "/agent/settings", body, {"Content-Type": tc.FORM})
        self.assertEqual(code, status, text)
        return text

    def reset(self, s):
        code, text, _ = s.post("/agent/settings/reset", {}, page=s.get("/agent/settings")[1])
        self.assertEqual(code, 303, text)

    def assign(self, tid, agent):
        self.call("PATCH", "/api/v1/tickets/" + tid, {"assignee": agent}, token=LEAD, status=200)

    def wait_note(self, s, tid, kind, timeout=15):
        return self.st.wait_for(
            lambda: [n for n in notes(s.get("/agent/notifications")[1]) if n[2] == tid and n[1] == kind],
            timeout=timeout, what="a %s notification of %s" % (kind, tid))

    def mails_to(self, addr, tid=None):
        out = []
        for m in self.st.smtp.messages:
            msg = email.message_from_string(m["data"], policy=email.policy.default)
            if addr in m["to"] and (tid is None or "[%s]" % tid in str(msg["Subject"])):
                out.append(msg)
        return out

    # --- preferences ------------------------------------------------------------
    def test_preferences_round_trip_and_defaults(self):
        s = self.signed_in(AGENT)
        self.save(s)  # the defaults as a starting point
        self.reset(s)
        code, page, _ = s.get("/agent/settings")
        self.assertEqual(code, 200)
        for k in KINDS:
            self.assertRegex(page, r'id="console-%s"[^>]*checked' % k)
            self.assertNotRegex(page, r'id="mail-%s"[^>]*checked' % k)
        self.assertIn("Mail goes to alice@example.org", page)
        self.assertEqual(header_keys(page), DEFAULT_KEYS)
        self.assertIn('href="/agent/settings"', s.get("/agent")[1])  # linked from the console header
        self.save(s, console=("assigned", "p1"), mail=("assigned",), keys={"next": "h", "reply": ""})
        code, page, _ = s.get("/agent/settings?saved=1")
        self.assertIn("Settings saved.", page)
        self.assertRegex(page, r'id="console-assigned"[^>]*checked')
        self.assertNotRegex(page, r'id="console-handoff"[^>]*checked')
        self.assertRegex(page, r'id="mail-assigned"[^>]*checked')
        self.assertNotRegex(page, r'id="mail-p1"[^>]*checked')
        self.assertRegex(page, r'id="key-next" name="key:next"[^>]*value="h"')
        want = dict(DEFAULT_KEYS, next="h", reply="")
        self.assertEqual(header_keys(s.get("/agent")[1]), want)
        h = self.st.r.hgetall("opd:agent:alice:prefs")
        self.assertEqual((h["console:assigned"], h["console:handoff"], h["mail:assigned"], h["mail:p1"]),
                         ("1", "0", "1", "0"))
        self.assertEqual((h["key:next"], h["key:reply"]), ("h", ""))
        # Another agent's preferences are its own.
        self.assertEqual(header_keys(self.signed_in(CAROL).get("/agent")[1]), DEFAULT_KEYS)
        # Reset: the shortcuts only; the notification choices stay.
        self.reset(s)
        page = s.get("/agent/settings")[1]
        self.assertEqual(header_keys(page), DEFAULT_KEYS)
        self.assertRegex(page, r'id="mail-assigned"[^>]*checked')
        self.save(s)

    def test_bad_shortcuts_are_refused_with_a_sentence_and_nothing_is_stored(self):
        s = self.signed_in(AGENT)
        self.save(s, keys={"next": "j"})
        self.reset(s)
        before = self.st.r.hgetall("opd:agent:alice:prefs")
        cases = [({"next": "Ctrl+T"}, "Ctrl, Alt or Meta"), ({"search": "alt-x"}, "Ctrl, Alt or Meta"),
                 ({"open": " "}, "space bar"), ({"note": "nn"}, "one letter, digit or punctuation mark"),
                 ({"reply": "\u00e9"}, "one letter, digit or punctuation mark"),
                 ({"next": "r"}, "both use"), ({"prev": "z", "assign": "z"}, "both use")]
        for keys, words in cases:
            page = self.save(s, mail=("p1",), keys=keys, status=422)
            self.assertIn('id="error"', page)
            self.assertIn(words, page, keys)
            # The refused value is shown for correction.
            action, value = list(keys.items())[0]
            self.assertIn('name="key:%s" size="3" autocomplete="off" value="%s"' % (action, value), page)
            self.assertEqual(self.st.r.hgetall("opd:agent:alice:prefs"), before, keys)
        # Without the form's CSRF token nothing is stored either.
        code, _, _, _ = s.request("POST", "/agent/settings", "console=assigned&key:next=q",
                                  {"Content-Type": tc.FORM})
        self.assertEqual(code, 403)
        self.assertEqual(self.st.r.hgetall("opd:agent:alice:prefs"), before)

    # --- notifications ----------------------------------------------------------
    def test_an_assignment_is_notified_and_a_switched_off_kind_is_not(self):
        alice, carol = self.signed_in(AGENT), self.signed_in(CAROL)
        self.save(alice, console=("assigned", "p1", "slo_warning"))  # no hand-offs for alice
        self.save(carol)
        mine = self.create("VPN token expired for the notification test")
        self.assign(mine, "alice")
        (nid, kind, tid, unread), = self.wait_note(alice, mine, "assigned")
        self.assertTrue(unread)
        page = alice.get("/agent/notifications")[1]
        self.assertIn('href="/agent/tickets/%s"' % mine, page)
        self.assertIn("was assigned to you", page)
        self.assertIn("by bob", page)
        self.assertIn('<span class="subject">VPN token expired for the notification test</span>', page)
        self.assertGreaterEqual(unread_count(page), 1)
        # carol is in the team but the assignment is not hers.
        self.assertFalse([n for n in notes(carol.get("/agent/notifications")[1]) if n[2] == mine])
        # A hand-off to the network team: carol hears of it, alice switched it off.
        handed = self.create("Printer queue stuck, notification test")
        self.call("PATCH", "/api/v1/tickets/" + handed, {"team": "network", "note": "a network fault"},
                  token=LEAD, status=200)
        self.wait_note(carol, handed, "handoff")
        self.assertFalse([n for n in notes(alice.get("/agent/notifications")[1]) if n[2] == handed])
        # Mark one read, then all.
        before = unread_count(alice.get("/agent")[1])
        code, text, _ = alice.post("/agent/notifications/read", {"id": nid},
                                   page=alice.get("/agent/notifications")[1])
        self.assertEqual(code, 303, text)
        page = alice.get("/agent/notifications")[1]
        self.assertEqual([n[3] for n in notes(page) if n[0] == nid], [False])
        self.assertEqual(unread_count(page), before - 1)
        code, _, _ = alice.post("/agent/notifications/read-all", {}, page=page)
        self.assertEqual(code, 303)
        page = alice.get("/agent/notifications")[1]
        self.assertEqual(unread_count(page), 0)
        self.assertFalse([n for n in notes(page) if n[3]])

    def test_a_p1_and_a_clock_about_to_breach_reach_the_team(self):
        carol = self.signed_in(CAROL)
        self.save(carol)
        # A P1 received 12 minutes ago: 75% of its 15 minutes have passed.
        tid = self.create("VPN gateway down, warning test", ago_min=12, priority="P1")
        self.wait_note(carol, tid, "p1")
        self.wait_note(carol, tid, "slo_warning", timeout=20)
        page = carol.get("/agent/notifications")[1]
        self.assertIn("First response is about to breach", page)

    # --- mail -------------------------------------------------------------------------
    def test_mail_for_a_kind_with_mail_on_and_none_with_mail_off_exactly_once_over_a_restart(self):
        alice, carol = self.signed_in(AGENT), self.signed_in(CAROL)
        self.save(alice, mail=("assigned",))
        self.save(carol)  # mail off for every kind
        first = self.create("VPN for carol, mail test")
        self.assign(first, "carol")
        self.wait_note(carol, first, "assigned")
        second = self.create("VPN for alice, mail test")
        self.assign(second, "alice")
        msg, = self.st.wait_for(lambda: self.mails_to("alice@example.org", second), timeout=20,
                                what="the notice mail to alice")
        self.assertEqual(str(msg["Subject"]), "[%s] Assigned to you" % second)
        self.assertEqual(str(msg["To"]), "alice@example.org")
        self.assertEqual(str(msg["Auto-Submitted"]), "auto-generated")
        self.assertEqual(str(msg["X-Opdesk-Ticket"]), second)
        body = msg.get_content().replace("\r\n", "\n")
        self.assertIn("%s was assigned to you by bob." % second, body)
        self.assertIn("/agent/tickets/%s" % second, body)
        self.assertNotIn("VPN for alice", body)  # the requester's words stay in the desk
        self.assertNotIn("rita", body.lower())
        self.assertTrue(body.endswith("\n-- \n" + FOOTER + "\n"), body)
        # The same mail for carol's kind would have gone first (one outbox, in order).
        self.assertEqual(self.mails_to("carol@example.org"), [])
        # A restart neither loses an event nor sends one twice.
        self.assertEqual(self.st.stop("notifier"), 0)
        third = self.create("VPN while the notifier is down")
        self.assign(third, "alice")
        self.st.start("notifier")
        self.st.wait_for(lambda: self.mails_to("alice@example.org", third), timeout=20,
                         what="the mail of the event written while the notifier was down")
        time.sleep(1.5)
        self.assertEqual(len(self.mails_to("alice@example.org", third)), 1)
        self.assertEqual(len(self.mails_to("alice@example.org", second)), 1)
        self.assertEqual(self.mails_to("carol@example.org"), [])
        self.save(alice)

    # --- shortcuts in a browser ----------------------------------------------------------
    def browser(self):
        b = tpb.Browser("http://127.0.0.1:%d/login" % self.port)
        b.wait("document.readyState === 'complete' && !!document.querySelector('#token')")
        b.type_into("#token", AGENT)
        b.click("button[type=submit]")
        b.wait("location.pathname === '/agent' && !!document.querySelector('#queue')")
        return b

    def press(self, b, key):
        b.call("Input.dispatchKeyEvent", type="keyDown", key=key, text=key)
        b.call("Input.dispatchKeyEvent", type="keyUp", key=key)

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_a_remapped_shortcut_works_the_old_key_does_not_and_an_off_one_does_nothing(self):
        self.create("VPN shortcut test one")
        self.create("VPN shortcut test two")
        s = self.signed_in(AGENT)
        self.save(s, keys={"next": "h", "open": ""})
        b = self.browser()
        try:
            selected = "document.querySelectorAll('#queue tr.sel').length"
            self.press(b, "j")  # the old key of "next"
            time.sleep(0.3)
            self.assertEqual(b.js(selected), 0)
            self.press(b, "h")
            b.wait(selected + " === 1")
            first = b.js("document.querySelector('#queue tbody tr').dataset.id")
            self.assertEqual(b.js("document.querySelector('#queue tr.sel').dataset.id"), first)
            self.press(b, "h")
            b.wait("document.querySelector('#queue tr.sel') !== document.querySelector('#queue tbody tr')")
            self.press(b, "o")  # "open" is turned off
            time.sleep(1.0)
            self.assertEqual(b.js("location.pathname"), "/agent")
            # The defaults again: j and o work.
            self.reset(s)
            b.goto("http://127.0.0.1:%d/agent" % self.port)
            b.wait("!!document.querySelector('#queue')")
            self.press(b, "j")
            b.wait(selected + " === 1")
            self.press(b, "o")
            b.wait("location.pathname === '/agent/tickets/%s'" % first)
        finally:
            b.close()
            self.reset(s)


class ConsoleViewsNotesBrowserTest(ConsolePrefsTest):
    """Saved views and notifications, as an agent uses them in chromium."""

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_a_view_is_saved_and_used_and_a_notification_read(self):
        mine = self.create("VPN for the saved view", priority="P1")
        other = self.create("VPN not mine")
        self.call("PATCH", "/api/v1/tickets/" + mine, {"assignee": "alice"}, token=LEAD, status=200)
        b = self.browser()
        try:
            b.wait("document.readyState === 'complete'")
            b.goto("http://127.0.0.1:%d/agent?assignee=me" % self.port)
            b.wait("document.readyState === 'complete' && !!document.querySelector('#view-name')")
            b.type_into("#view-name", "Mine")
            b.click("#save-view button[type=submit]")
            b.wait("document.readyState === 'complete' && !!document.querySelector('#views a')")
            b.goto("http://127.0.0.1:%d/agent" % self.port)
            b.wait("document.readyState === 'complete' && !!document.querySelector('#views a')")
            b.js("[...document.querySelectorAll('#views a')].find(a => a.textContent.includes('Mine')).click()")
            b.wait("location.search.includes('assignee') && document.readyState === 'complete' && "
                   "!!document.querySelector('#queue')")
            ids = b.js("[...document.querySelectorAll('#queue tbody tr')].map(r => r.dataset.id)")
            self.assertIn(mine, ids)
            self.assertNotIn(other, ids)
            # The lead's assignment made a notification: the count says so, the list shows it.
            self.st.wait_for(lambda: self.st.r.zcard("opd:agent:alice:unread") >= 1, timeout=15,
                             what="alice's notification")
            b.goto("http://127.0.0.1:%d/agent" % self.port)
            b.wait("document.readyState === 'complete' && !!document.querySelector('#notif-count')")
            self.assertNotEqual(b.js("document.querySelector('#notif-count').textContent"), "0")
            b.click("#notif-link")
            b.wait("location.pathname === '/agent/notifications' && document.readyState === 'complete'")
            item = "document.querySelector('#notifications li[data-ticket=\"%s\"]')" % mine
            self.assertIn("unread", b.js(item + ".className"))
            b.click("#form-read-all button")
            b.wait("document.readyState === 'complete' && !" + item + ".className.includes('unread')")
            self.assertEqual(b.js("document.querySelector('#notif-count').textContent"), "0")
        finally:
            b.close()


for _name in [n for n in vars(ConsolePrefsTest) if n.startswith("test_")]:
    setattr(ConsoleViewsNotesBrowserTest, _name, None)


class ConsolePrefsAclTest(unittest.TestCase):
    def test_under_the_redis_acl_settings_notes_and_notice_mail_are_refused_nothing(self):
        import test_redis_acl
        services = ["intake", "router", "slo", "notifier", "web"]
        with test_redis_acl.AclStack(services, config=tc.console_config()) as st:
            self.st, self.port = st, st.http_port
            alice = ConsolePrefsTest.signed_in(self, AGENT)
            ConsolePrefsTest.save(self, alice, mail=("assigned",), keys={"next": "h"})
            tid = ConsolePrefsTest.create(self, "VPN under the ACL")
            ConsolePrefsTest.assign(self, tid, "alice")
            (nid, _, _, _), = ConsolePrefsTest.wait_note(self, alice, tid, "assigned")
            st.wait_for(lambda: ConsolePrefsTest.mails_to(self, "alice@example.org", tid), timeout=20,
                        what="the notice mail")
            code, _, _ = alice.post("/agent/notifications/read", {"id": nid},
                                    page=alice.get("/agent/notifications")[1])
            self.assertEqual(code, 303)
            ConsolePrefsTest.reset(self, alice)
            log = st.r.execute_command("ACL", "LOG")
            self.assertEqual(log, [], "Redis refused commands: %r" % (log,))

    call = tc.ConsoleTest.call


if __name__ == "__main__":
    unittest.main()
