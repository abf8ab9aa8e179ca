"""The requester portal in a real browser: Debian's chromium in headless
mode takes a screenshot of the request form, dumps a page's DOM, and, driven
over the DevTools protocol (a small WebSocket client in the standard
library), types into the form and clicks "Send request" like a person, signs
in, and reads a ticket page whose subject is a script tag."""
import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import zlib

import harness
import test_web

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1100,900"]


def run_chromium(args, timeout=90):
    profile = tempfile.mkdtemp(prefix="opdesk-chromium-")
    try:
        return subprocess.run([CHROMIUM, *FLAGS, "--user-data-dir=" + profile, *args],
                              capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def png_pixels(data):
    """(width, height, raw decompressed scanlines) of a PNG file's bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, zlib.decompress(idat)


class WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames,
    client masking, fragmentation, ping."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           % (u.path, u.hostname, u.port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            more = self.sock.recv(1)
            if not more:
                raise ConnectionError("the browser closed the WebSocket handshake")
            head += more
        text = head.decode("latin-1")
        if not text.startswith("HTTP/1.1 101"):
            raise ConnectionError("WebSocket handshake refused: " + text.splitlines()[0])
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        if accept.decode() not in text:
            raise ConnectionError("bad Sec-WebSocket-Accept")

    def _exact(self, n):
        out = b""
        while len(out) < n:
            more = self.sock.recv(n - len(out))
            if not more:
                raise ConnectionError("the browser closed the WebSocket")
            out += more
        return out

    def _frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, text):
        self._frame(1, text.encode())

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            payload = self._exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode == 9:
                self._frame(10, payload)
                continue
            if opcode == 8:
                raise ConnectionError("the browser closed the WebSocket")
            message += payload
            if b0 & 0x80:
                return message.decode()

    def close(self):
        try:
            self._frame(8, b"")
        except OSError:
            pass
        self.sock.close()


class Browser:
    """A headless chromium driven over the DevTools protocol."""

    def __init__(self, url):
        self.profile = tempfile.mkdtemp(prefix="opdesk-chromium-")
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, "--user-data-dir=" + self.profile,
                                      "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                                      url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        end = time.time() + 60
        text = ""
        while text.count("\n") < 1:
            if time.time() > end or self.proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read()
        port = int(text.split()[0])
        page = None
        while page is None and time.time() < end:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/json/list")
            targets = json.loads(c.getresponse().read())
            c.close()
            page = next((t for t in targets if t.get("type") == "page"), None)
            time.sleep(0.1)
        self.ws = WebSocket(page["webSocketDebuggerUrl"])
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg["result"]

    def js(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait(self, expression, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                v = self.js(expression)
                if v:
                    return v
            except RuntimeError:
                pass  # the page is navigating
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + expression)

    def goto(self, url):
        self.call("Page.navigate", url=url)
        self.wait("document.readyState === 'complete' && location.href === %s" % json.dumps(url))

    def type_into(self, selector, text):
        """Focuses the element and types text as keyboard input."""
        self.js("document.querySelector(%s).focus()" % json.dumps(selector))
        self.call("Input.insertText", text=text)

    def click(self, selector):
        """A real mouse click in the middle of the element."""
        box = self.js("(() => { const e = document.querySelector(%s); e.scrollIntoView({block: 'center'});"
                      " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
                      % json.dumps(selector))
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def close(self):
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            shutil.rmtree(self.profile, ignore_errors=True)


@unittest.skipUnless(os.access(CHROMIUM, os.X_OK), "chromium is not installed")
class PortalBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.st = harness.Stack(test_web.SERVICES, config=test_web.web_config())
        cls.st.__enter__()
        cls.base = "http://127.0.0.1:%d" % cls.st.http_port

    @classmethod
    def tearDownClass(cls):
        cls.st.__exit__(None, None, None)

    def test_screenshot_of_the_request_form(self):
        out = os.path.join(self.st.tmp, "form.png")
        p = run_chromium(["--screenshot=" + out, self.base + "/"])
        self.assertTrue(os.path.exists(out), p.stderr.decode(errors="replace")[-2000:])
        with open(out, "rb") as f:
            data = f.read()
        width, height, raw = png_pixels(data)
        self.assertEqual((width, height), (1100, 900))
        # Not a blank page: the form's text and fields give many distinct values.
        self.assertGreater(len(set(raw)), 20)
        self.assertGreater(len(data), 8000)

    def test_dump_dom_of_the_request_form(self):
        p = run_chromium(["--dump-dom", self.base + "/?type=new-laptop"])
        dom = p.stdout.decode()
        self.assertIn('<form method="post" action="/" id="request">', dom)
        self.assertIn('<option value="new-laptop" selected="">New laptop</option>', dom)
        self.assertIn('name="f0.cost_centre"', dom)
        self.assertNotIn("<script", dom)

    def test_a_person_submits_the_form_signs_in_and_reads_the_ticket(self):
        b = Browser(self.base + "/")
        try:
            b.wait("document.readyState === 'complete' && !!document.querySelector('#send')")
            # The request type's fields appear when it is chosen (CSS :has, no script).
            self.assertEqual(b.js("getComputedStyle(document.querySelector('#rt-0')).display"), "none")
            b.type_into("#name", "Rita Requester")
            b.type_into("#email", "rita@example.com")
            b.type_into("#subject", "<script>alert(1)</script> laptop please")
            b.type_into("#description", "For the new starter, Monday.")
            b.js("(() => { const s = document.querySelector('#type'); s.value = 'new-laptop';"
                 " s.dispatchEvent(new Event('change', {bubbles: true})); })()")
            self.assertEqual(b.js("getComputedStyle(document.querySelector('#rt-0')).display"), "block")
            b.type_into("[name='f0.cost_centre']", "654321")
            b.js("document.querySelector(\"[name='f0.model']\").value = 'developer'")
            b.click("#send")
            tid = b.wait("document.querySelector('#ticket-id') && document.querySelector('#ticket-id').textContent")
            self.assertTrue(re.match(r"^OPD-\d+$", tid), tid)
            t = self.st.ticket(tid)
            self.assertEqual((t["channel"], t["req_email"], t["req_name"], t["request_type"]),
                             ("web", "rita@example.com", "Rita Requester", "new-laptop"))
            self.assertEqual(t["subject"], "<script>alert(1)</script> laptop please")
            self.assertEqual(json.loads(t["fields"]), {"cost_centre": "654321", "model": "developer"})
            # Sign in with the requester's token and follow the link to the ticket.
            b.goto(self.base + "/login")
            b.type_into("#token", test_web.RITA)
            b.click("button[type=submit]")
            b.wait("location.pathname === '/tickets' && !!document.querySelector('#tickets')")
            self.assertEqual(b.js("document.cookie"), "")  # HttpOnly: no script can read it
            b.click("a[href='/tickets/%s']" % tid)
            b.wait("location.pathname === '/tickets/%s' && !!document.querySelector('#subject')" % tid)
            # The subject is shown as text; no script element came from it.
            self.assertEqual(b.js("document.querySelector('#subject').textContent"),
                             "<script>alert(1)</script> laptop please")
            self.assertEqual(b.js("document.querySelectorAll('script').length"), 0)
            # Reply through the form.
            b.type_into("#reply", "Any news?")
            b.click("form[action='/tickets/%s'] button" % tid)
            b.wait("location.hash.startsWith('#c') && document.body.innerText.includes('Any news?')")
            comments = [json.loads(c) for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
            self.assertEqual([(c["body"], c["role"], c["public"]) for c in comments],
                             [("Any news?", "requester", True)])
        finally:
            b.close()


if __name__ == "__main__":
    unittest.main()
