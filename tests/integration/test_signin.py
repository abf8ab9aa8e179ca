"""Sign-in to the requester portal by a mailed link (issue 12, services/web/
signin.c): /login takes an email address, answers the same page whatever
the address, and for a requester of a ticket opdesk-notifier mails a
single-use link (with the footer) through the outbox; GET shows a button,
POST signs in once. Real intake, notifier and web; the harness's SMTP sink."""
import hashlib
import http.client
import re
import time
import unittest
import urllib.parse

import harness

FORM = "application/x-www-form-urlencoded"
FOOTER = "Desk footer: call +1 555 0100."


def config():
    cfg = harness.copy_config()
    cfg["footer"] = FOOTER
    cfg["channels"] = {"web": {"rate_limit": {"signin_email": 3, "signin_address": 6}}}
    return cfg


class SigninTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(["intake", "notifier", "web"], config=config())
        cls.st.__enter__()
        cls.port = cls.st.http_port
        reply = cls.st.submit(cls.st.message(subject="Signin printer jammed"))
        cls.ticket = reply["ticket_id"]

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def page(self, method, path, form=None, cookie=None, source="127.0.0.1"):
        return harness.web_page(self.port, method, path, form, cookie, origin=False, source=source)

    def csrf(self, source="127.0.0.1"):
        """(csrf token, its cookie) from the sign-in page."""
        _, html, hdrs = self.page("GET", "/login", source=source)
        token = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        return token, hdrs["set-cookie"].split(";")[0]

    def ask(self, email, source="127.0.0.1"):
        token, cookie = self.csrf(source)
        return self.page("POST", "/login", {"email": email, "csrf": token}, cookie=cookie, source=source)

    def links_to(self, addr):
        return [m for m in self.st.smtp.messages
                if addr in m["to"] and "Subject: Your sign-in link" in m["data"]]

    def wait_link(self, addr, count):
        msgs = self.st.wait_for(lambda: len(self.links_to(addr)) >= count and self.links_to(addr),
                                timeout=15, what="%d sign-in mails" % count)
        data = msgs[count - 1]["data"]
        m = re.search(r"(http://[^\s]+/login/link\?t=([0-9a-f]{64}))", data)
        self.assertIsNotNone(m, data)
        return data, m.group(1), m.group(2)

    def use(self, token, cookie_pair=None, source="127.0.0.1"):
        csrf, cookie = cookie_pair or self.csrf(source)
        return self.page("POST", "/login/link", {"t": token, "csrf": csrf}, cookie=cookie, source=source)

    def test_link_mailed_with_footer_signs_in_once(self):
        code, html, _ = self.ask("Rita@Example.com", source="127.0.0.2")
        self.assertEqual(code, 200)
        self.assertIn('id="signin-sent"', html)
        data, link, token = self.wait_link("rita@example.com", 1)
        self.assertTrue(link.startswith("http://127.0.0.1:%d/login/link?t=" % self.port))
        # The footer ends the mail, after the signature separator.
        self.assertTrue(data.rstrip("\r\n").endswith("\r\n-- \r\n" + FOOTER), data[-300:])
        # Redis holds only the token's SHA-256, expiring, with the address.
        key = "opd:signin:" + hashlib.sha256(token.encode()).hexdigest()
        self.assertEqual(self.st.r.get(key), "rita@example.com")
        self.assertTrue(0 < self.st.r.pttl(key) <= 15 * 60 * 1000)
        for k in self.st.r.keys("opd:*"):
            if self.st.r.type(k) == "string":
                self.assertNotIn(token, self.st.r.get(k) or "", k)
        # GET (what a mail scanner does) shows a button and uses nothing up.
        for _ in range(2):
            code, html, _ = self.page("GET", urllib.parse.urlparse(link).path + "?t=" + token)
            self.assertEqual(code, 200)
            self.assertIn('id="signin-confirm"', html)
        self.assertTrue(self.st.r.exists(key))
        # A POST without the form's CSRF token is refused and uses nothing up.
        code, _, _ = self.page("POST", "/login/link", {"t": token})
        self.assertEqual(code, 403)
        self.assertTrue(self.st.r.exists(key))
        # POST signs in: a session, /tickets lists Rita's ticket.
        code, _, hdrs = self.use(token)
        self.assertEqual(code, 303)
        self.assertEqual(hdrs["location"], "/tickets")
        session = hdrs["set-cookie"].split(";")[0]
        self.assertTrue(session.startswith("opdesk_session="))
        self.assertFalse(self.st.r.exists(key))
        code, html, _ = self.page("GET", "/tickets", cookie=session)
        self.assertEqual(code, 200)
        self.assertIn(self.ticket, html)
        self.assertIn("Signin printer jammed", html)
        # The session is server-side: the cookie is a random id, not the link.
        sid = session.split("=", 1)[1]
        skey = "opd:session:" + hashlib.sha256(sid.encode()).hexdigest()
        self.assertTrue(self.st.r.get(skey).startswith("v2 "))
        # A second use is refused, without a session.
        code, html, hdrs = self.use(token)
        self.assertEqual(code, 410)
        self.assertIn("used already or has expired", html)
        self.assertNotIn("opdesk_session=", hdrs.get("set-cookie", ""))
        # Signing out revokes it.
        code, html, _ = self.page("GET", "/logout", cookie=session)
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
        code, _, _ = self.page("POST", "/logout", {"csrf": csrf}, cookie=session)
        self.assertEqual(code, 303)
        code, _, hdrs = self.page("GET", "/tickets", cookie=session)
        self.assertEqual((code, hdrs["location"]), (303, "/login"))

    def test_expired_link_is_refused(self):
        self.st.submit(self.st.message(requester={"name": "Ed", "email": "ed@example.org"}))
        self.ask("ed@example.org", source="127.0.0.3")
        _, _, token = self.wait_link("ed@example.org", 1)
        key = "opd:signin:" + hashlib.sha256(token.encode()).hexdigest()
        self.st.r.pexpire(key, 1)
        time.sleep(0.05)
        code, html, hdrs = self.use(token, source="127.0.0.3")
        self.assertEqual(code, 410)
        self.assertIn("used already or has expired", html)
        self.assertNotIn("opdesk_session=", hdrs.get("set-cookie", ""))

    def test_unknown_address_gets_the_same_page_and_no_mail(self):
        self.st.submit(self.st.message(requester={"name": "Kim", "email": "kim@example.org"}))
        known = self.ask("kim@example.org", source="127.0.0.4")
        unknown = self.ask("nobody@example.org", source="127.0.0.4")
        self.assertEqual(known[0], unknown[0])
        self.assertEqual(known[1], unknown[1])
        self.wait_link("kim@example.org", 1)
        time.sleep(1.5)
        self.assertEqual(self.links_to("nobody@example.org"), [])
        self.assertEqual([m for m in self.st.smtp.messages if "nobody@example.org" in m["to"]], [])

    def test_rate_limits_per_address_and_per_client(self):
        self.st.submit(self.st.message(requester={"name": "Lee", "email": "lee@example.org"}))
        pages = [self.ask("lee@example.org", source="127.0.0.5") for _ in range(4)]
        # Over the per-address limit (3) the page is the same, but no mail.
        self.assertEqual({p[0] for p in pages}, {200})
        self.assertEqual(len({p[1] for p in pages}), 1)
        self.wait_link("lee@example.org", 3)
        time.sleep(1.5)
        self.assertEqual(len(self.links_to("lee@example.org")), 3)
        # Per client address (6 a window): the 7th request is 429.
        codes = [self.ask("x%d@example.org" % i, source="127.0.0.6")[0] for i in range(7)]
        self.assertEqual(codes[:6], [200] * 6)
        self.assertEqual(codes[6], 429)
        code, _, hdrs = self.ask("x9@example.org", source="127.0.0.6")
        self.assertEqual(code, 429)
        self.assertIn("retry-after", hdrs)

    def test_an_agents_address_gets_no_link_unless_agents_may(self):
        code, html, _ = self.ask("alice@example.org", source="127.0.0.7")
        self.assertEqual(code, 200)
        time.sleep(1.5)
        self.assertEqual(self.links_to("alice@example.org"), [])


class AgentSigninTest(SigninTest):
    """channels.web.agent_email_signin: an agent's agents[].email gets a
    link that signs in to the console, with the role of its token."""

    @classmethod
    def setUpClass(cls):
        cfg = config()
        cfg["channels"]["web"]["agent_email_signin"] = True
        cls.st = harness.Stack(["intake", "notifier", "web"], config=cfg)
        cls.st.__enter__()
        cls.port = cls.st.http_port

    def test_an_agent_and_a_lead_sign_in_to_the_console_by_link(self):
        for addr, source, role_page, status in (("Alice@Example.org", "127.0.0.8", "/agent/dashboard", 403),
                                                ("bob@example.org", "127.0.0.9", "/agent/dashboard", 200)):
            self.assertEqual(self.ask(addr, source=source)[0], 200)
            _, _, token = self.wait_link(addr.lower(), 1)
            code, _, hdrs = self.use(token)
            self.assertEqual((code, hdrs["location"]), (303, "/agent"))
            session = hdrs["set-cookie"].split(";")[0]
            sid = session.split("=", 1)[1]
            value = self.st.r.get("opd:session:" + hashlib.sha256(sid.encode()).hexdigest())
            self.assertTrue(value.startswith("v3 ") and value.endswith(" " + ("alice" if "lice" in addr else "bob")))
            code, html, _ = self.page("GET", "/agent", cookie=session)
            self.assertEqual(code, 200)
            self.assertIn("<h1>Queue</h1>", html)
            self.assertEqual(self.page("GET", role_page, cookie=session)[0], status)   # agent 403, lead 200


for _name in [n for n in vars(SigninTest) if n.startswith("test_")]:
    setattr(AgentSigninTest, _name, None)


class SigninOffTest(unittest.TestCase):
    def test_switched_off_offers_no_email_form(self):
        cfg = config()
        cfg["channels"]["web"]["email_signin"] = False
        with harness.Stack(["intake", "web"], config=cfg) as st:
            c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=15)
            c.request("GET", "/login")
            r = c.getresponse()
            html = r.read().decode()
            cookie = r.getheader("set-cookie").split(";")[0]
            c.close()
            self.assertNotIn('name="email"', html)
            csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)
            c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=15)
            c.request("POST", "/login", body=urllib.parse.urlencode({"email": "rita@example.com", "csrf": csrf}),
                      headers={"Content-Type": FORM, "Cookie": cookie})
            r = c.getresponse()
            r.read()
            c.close()
            self.assertEqual(r.status, 404)
            self.assertEqual(st.r.llen("opd:outbox:ready"), 0)


if __name__ == "__main__":
    unittest.main()
