"""Live updates of the agent console (issue 11): GET /agent/stream sends
Server-Sent Events from the durable event history (opd:events), ids only,
for the queue's teams or for one ticket; a stream resumes after
Last-Event-ID (or ?after=) with nothing missed; a stream holds no server
thread while it waits, so many can be open while the console keeps
answering; the page swaps in what changed by itself, and a pause control
stops it until resumed, when what happened meanwhile arrives."""
import http.client
import json
import os
import re
import socket
import time
import unittest

import harness
import test_console as tc
import test_portal_browser as tpb

AGENT, LEAD = tc.AGENT, tc.LEAD


class EventStream:
    """A raw HTTP/1.1 client for text/event-stream: the chunked body decoded
    by hand, events parsed as the SSE specification says."""

    def __init__(self, port, path, cookies, headers=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        h = {"Host": "127.0.0.1", "Accept": "text/event-stream",
             "Cookie": "; ".join("%s=%s" % kv for kv in cookies.items())}
        h.update(headers or {})
        req = "GET %s HTTP/1.1\r\n%s\r\n" % (path, "".join("%s: %s\r\n" % kv for kv in h.items()))
        self.sock.sendall(req.encode())
        self.f = self.sock.makefile("rb")
        status = self.f.readline().decode()
        self.status = int(status.split()[1])
        self.headers = {}
        while True:
            line = self.f.readline().decode().rstrip("\r\n")
            if not line:
                break
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.text = ""
        self.fields = {}

    def _more(self):
        size = int(self.f.readline().strip(), 16)
        if size == 0:
            raise EOFError("the stream ended")
        self.text += self.f.read(size).decode()
        self.f.readline()

    def next(self, timeout=15):
        """The next event as a dict: id, data (parsed JSON); comments and
        retry lines are skipped (kept in self.comments)."""
        self.sock.settimeout(timeout)
        while True:
            while "\n\n" not in self.text:
                self._more()
            block, self.text = self.text.split("\n\n", 1)
            ev = {}
            for line in block.split("\n"):
                name, _, value = line.partition(":")
                ev.setdefault(name, value[1:] if value.startswith(" ") else value)
            if "data" in ev:
                return {"id": ev.get("id"), "data": json.loads(ev["data"])}

    def until(self, pred, timeout=15):
        """Events up to and including the first for which pred holds."""
        seen, end = [], time.time() + timeout
        while time.time() < end:
            ev = self.next(timeout=max(0.1, end - time.time()))
            seen.append(ev)
            if pred(ev):
                return seen
        raise AssertionError("no such event; saw %r" % seen)

    def close(self):
        self.f.close()
        self.sock.close()


class ConsoleLiveTest(tc.ConsoleTest):
    """Runs in the console's stack (test_console.ConsoleTest), with its helpers;
    only the tests below run here (the base class's are emptied out)."""

    def stream(self, path, token=AGENT, headers=None):
        s, _ = self.signed_in(token)
        es = EventStream(self.port, path, s.cookies, headers)
        self.addCleanup(es.close)
        return es

    def test_a_stream_ends_with_its_session(self):
        s, _ = self.signed_in(AGENT)
        es = EventStream(self.port, "/agent/stream", s.cookies)
        self.addCleanup(es.close)
        self.assertEqual(es.status, 200)
        code, _, _ = s.post("/logout", {}, page=s.get("/agent")[1])
        self.assertEqual(code, 303)
        # Within a sweep (5 s) of the sign-out the server ends the answer.
        t0 = time.time()
        with self.assertRaises(EOFError):  # a timeout instead fails the test
            es.next(timeout=12)
        self.assertLess(time.time() - t0, 12)
        # A stream without a session is refused.
        anon = EventStream(self.port, "/agent/stream", {})
        self.addCleanup(anon.close)
        self.assertIn(anon.status, (303, 401))

    def test_a_new_ticket_of_the_agents_team_arrives_with_its_cursor_and_no_text(self):
        es = self.stream("/agent/stream")
        self.assertEqual(es.status, 200)
        self.assertTrue(es.headers["content-type"].startswith("text/event-stream"))
        self.assertEqual(es.headers["cache-control"], "no-store")
        tid = self.create("VPN live one")
        seen = es.until(lambda e: e["data"]["ticket_id"] == tid and e["data"]["type"] == "ticket.routed")
        for ev in seen:
            self.assertEqual(set(ev["data"]), {"type", "ticket_id", "cursor"})
            self.assertEqual(ev["id"], ev["data"]["cursor"])
            self.assertNotIn("VPN live one", json.dumps(ev))
        ids = [e["id"] for e in seen]
        self.assertEqual(ids, sorted(ids, key=lambda c: tuple(map(int, c.split("-")))))

    def test_the_queue_stream_leaves_out_other_teams_and_a_ticket_stream_other_tickets(self):
        es = self.stream("/agent/stream")            # alice: network only
        one = self.stream("/agent/stream?ticket=OPD-0")
        self.assertEqual(one.status, 200)
        other = self.call("POST", "/api/v1/tickets", {"subject": "Printer jam on floor 2",
                                                      "requester": {"email": "rita@example.com"}}, status=201)["id"]
        self.st.wait_for(lambda: self.st.ticket(other).get("team") == "service-desk", what="routing")
        mine = self.create("VPN after the printer")
        seen = es.until(lambda e: e["data"]["ticket_id"] == mine)
        self.assertNotIn(other, [e["data"]["ticket_id"] for e in seen])
        # The lead's stream with team=all has both.
        all_ = self.stream("/agent/stream?team=all&after=0-0", token=LEAD)
        got = {e["data"]["ticket_id"] for e in all_.until(lambda e: e["data"]["ticket_id"] == mine)}
        self.assertTrue({other, mine} <= got, got)
        # A ticket's own stream: only that ticket, even from the start.
        t = self.stream("/agent/stream?ticket=%s&after=0-0" % other)
        first = t.until(lambda e: e["data"]["type"] == "ticket.routed")
        self.assertEqual({e["data"]["ticket_id"] for e in first}, {other})

    def test_resuming_after_a_cursor_misses_nothing(self):
        es = self.stream("/agent/stream")
        a = self.create("VPN before the gap")
        cursor = es.until(lambda e: e["data"]["ticket_id"] == a and e["data"]["type"] == "ticket.routed")[-1]["id"]
        es.close()
        # While nobody listens: two tickets and a comment.
        b = self.create("VPN in the gap")
        c = self.create("VPN in the gap too")
        self.call("POST", "/api/v1/tickets/%s/comments" % a, {"body": "Noted", "public": False}, status=201)
        for how in ({"headers": {"Last-Event-ID": cursor}}, {"path": "?after=" + cursor}):
            again = self.stream("/agent/stream" + how.get("path", ""), headers=how.get("headers"))
            seen = again.until(lambda e: e["data"]["ticket_id"] == a and e["data"]["type"] == "ticket.commented")
            got = [(e["data"]["ticket_id"], e["data"]["type"]) for e in seen]
            self.assertIn((b, "ticket.routed"), got)
            self.assertIn((c, "ticket.routed"), got)
            self.assertNotIn((a, "ticket.routed"), got)     # that one came before the cursor
            self.assertLess(got.index((b, "ticket.routed")), got.index((c, "ticket.routed")))
            again.close()

    def test_bad_arguments_and_people_without_a_console_session(self):
        for path in ("/agent/stream?after=yesterday", "/agent/stream?ticket=../x",
                     "/agent/stream?team=nosuch", "/agent/stream?colour=red"):
            es = self.stream(path)
            self.assertEqual(es.status, 400, path)
        es = self.stream("/agent/stream", headers={"Last-Event-ID": "not-a-cursor"})
        self.assertEqual(es.status, 400)
        anon = EventStream(self.port, "/agent/stream", {})
        self.addCleanup(anon.close)
        self.assertEqual((anon.status, anon.headers.get("location")), (303, "/login"))
        rita, _ = self.signed_in(tc.RITA)
        es = EventStream(self.port, "/agent/stream", rita.cookies)
        self.addCleanup(es.close)
        self.assertEqual((es.status, es.headers.get("location")), (303, "/tickets"))

    def test_waiting_streams_hold_no_thread(self):
        """opdesk-web answers from a pool of 4 threads: twelve open, quiet
        streams must not stop it answering, and each still gets its event."""
        streams = [self.stream("/agent/stream") for _ in range(12)]
        t0 = time.time()
        self.call("GET", "/api/v1/tickets?limit=1", status=200)
        self.assertLess(time.time() - t0, 5)
        tid = self.create("VPN for twelve listeners")
        for es in streams:
            es.until(lambda e: e["data"]["ticket_id"] == tid)

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_the_queue_and_a_ticket_update_live_and_pause_holds_them(self):
        base = "http://127.0.0.1:%d" % self.port
        b = tc.signed_in_browser(self.port, AGENT)
        try:
            b.wait("location.pathname === '/agent' && !!document.querySelector('#live-status')")
            b.wait("document.querySelector('#live-status').textContent === 'Live updates on'")
            b.js("window.notReloaded = true")
            tid = self.create("VPN arrives live")
            b.wait("!!document.querySelector('#queue tr[data-id=\"%s\"]')" % tid, timeout=15)
            self.assertTrue(b.js("window.notReloaded === true"))
            # Paused: a new ticket does not come in ...
            b.click("#live-toggle")
            self.assertEqual(b.js("document.querySelector('#live-status').textContent"), "Live updates paused")
            held = self.create("VPN while paused")
            time.sleep(2)
            self.assertFalse(b.js("!!document.querySelector('#queue tr[data-id=\"%s\"]')" % held))
            # ... until resumed: then it does, without a reload.
            b.click("#live-toggle")
            b.wait("!!document.querySelector('#queue tr[data-id=\"%s\"]')" % held, timeout=15)
            self.assertTrue(b.js("window.notReloaded === true"))
            # A ticket's page takes a colleague's note into its timeline.
            b.goto(base + "/agent/tickets/" + tid)
            b.wait("document.querySelector('#live-status') && "
                   "document.querySelector('#live-status').textContent === 'Live updates on'")
            b.js("window.notReloaded = true")
            self.call("POST", "/api/v1/tickets/%s/comments" % tid, {"body": "Colleague checked the VPN logs",
                                                                   "public": False}, token=LEAD, status=201)
            b.wait("document.querySelector('#timeline').innerText.includes('Colleague checked the VPN logs')",
                   timeout=15)
            self.assertTrue(b.js("window.notReloaded === true"))
            b.wait("!document.querySelector('#changed').hidden")
        finally:
            b.close()


class ConsoleDayTest(ConsoleLiveTest):
    """An agent's way through a ticket in the browser, with a colleague."""

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_from_the_queue_through_a_held_reply_to_resolution(self):
        tid = self.create("VPN worked start to end", priority="P1")
        base = "http://127.0.0.1:%d" % self.port
        b = tc.signed_in_browser(self.port, AGENT)
        try:
            b.wait("location.pathname === '/agent' && document.readyState === 'complete' && "
                   "!!document.querySelector('#queue tr[data-id=\"%s\"]')" % tid)
            b.click("#queue tr[data-id='%s'] a" % tid)
            b.wait("location.pathname === '/agent/tickets/%s' && document.readyState === 'complete' && "
                   "document.querySelector('#live-status').textContent === 'Live updates on'" % tid)
            # A colleague answers in her own session: it appears here, with the banner.
            carol, _ = self.signed_in("change-me-carol")
            page = carol.get("/agent/tickets/" + tid)[1]
            version = re.search(r'name="version" value="(\d+)"', page).group(1)
            code, _, _ = carol.post("/agent/tickets/%s/reply" % tid, {"body": "Carol: I reset your token.",
                                                                     "version": version}, page)
            self.assertEqual(code, 303)
            b.wait("document.querySelector('#timeline').innerText.includes('Carol: I reset your token.')", 15)
            b.wait("!document.querySelector('#changed').hidden")
            # Alice's reply, written on the page as it was: held, her text kept.
            b.click("#reply-body")
            b.call("Input.insertText", text="Alice: please try again now.")
            b.click("#form-reply button:not([name])")
            b.wait("document.readyState === 'complete' && !!document.querySelector('#form-reply input[name=confirm]')")
            self.assertEqual(b.js("document.querySelector('#reply-body').value"), "Alice: please try again now.")
            self.assertEqual(len(self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)), 1)
            b.click("#form-reply button:not([name])")       # "Send reply anyway"
            b.wait("document.readyState === 'complete' && "
                   "document.querySelector('#timeline').innerText.includes('Alice: please try again now.')")
            # Resolve: e picks resolved and goes to the note, which reaches the requester.
            b.call("Input.dispatchKeyEvent", type="keyDown", key="e", text="e")
            b.call("Input.dispatchKeyEvent", type="keyUp", key="e")
            self.assertEqual(b.js("document.activeElement.id"), "status-note")
            b.call("Input.insertText", text="Token reset; VPN works again.")
            b.click("#form-status button")
            self.st.wait_for(lambda: self.st.ticket(tid)["status"] == "resolved", what="resolved")
            b.wait("document.readyState === 'complete' && !!document.querySelector('#clocks')")
            self.assertIn("Resolution: met", b.js("document.querySelector('#clocks').innerText"))
        finally:
            b.close()
        bodies = [json.loads(c)["body"] for c in self.st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]
        self.assertEqual(bodies, ["Carol: I reset your token.", "Alice: please try again now.",
                                  "Token reset; VPN works again."])


class ConsolePresenceTest(ConsoleLiveTest):
    """Who else has the ticket open, and who is typing."""

    def beat(self, session, tid, state, page=None):
        page = page or session.get("/agent/tickets/" + tid)[1]
        code, text, _ = session.post("/agent/tickets/%s/presence" % tid, {"state": state}, page=page)
        return code, json.loads(text) if code == 200 else text

    def test_each_beat_answers_who_else_is_on_the_ticket(self):
        tid = self.create("VPN seen by two")
        alice, _ = self.signed_in(AGENT)
        carol, _ = self.signed_in("change-me-carol")
        self.assertEqual(self.beat(alice, tid, "viewing"), (200, {"others": []}))
        code, got = self.beat(carol, tid, "typing")
        self.assertEqual(got["others"], [{"agent": "alice", "name": "Alice Jones", "state": "viewing"}])
        code, got = self.beat(alice, tid, "viewing")
        self.assertEqual(got["others"], [{"agent": "carol", "name": "Carol Chen", "state": "typing"}])
        self.assertIn("Also here: Carol Chen (typing)", alice.get("/agent/tickets/" + tid)[1])
        self.assertEqual(self.beat(carol, tid, "left")[0], 200)
        self.assertEqual(self.beat(alice, tid, "viewing")[1], {"others": []})
        self.assertEqual(self.beat(alice, tid, "dancing")[0], 422)
        code = alice.request("POST", "/agent/tickets/%s/presence" % tid, "state=viewing",
                             {"Content-Type": tc.FORM})[0]
        self.assertEqual(code, 403)                      # no CSRF token
        ttl = self.st.r.pttl("opd:t:{%s}:p" % tid)
        self.assertTrue(0 < ttl <= 60000, ttl)

    @unittest.skipUnless(os.access(tpb.CHROMIUM, os.X_OK), "chromium is not installed")
    def test_in_a_browser_the_page_shows_a_colleague_typing_and_gone(self):
        tid = self.create("VPN typed on by two")
        carol, _ = self.signed_in("change-me-carol")
        base = "http://127.0.0.1:%d" % self.port
        b = tc.signed_in_browser(self.port, AGENT)
        try:
            b.wait("location.pathname === '/agent' && document.readyState === 'complete'")
            # A typist counts for 8 s: the beat goes just before the page
            # (a browser started on a loaded machine can take longer).
            self.beat(carol, tid, "typing")
            b.goto(base + "/agent/tickets/" + tid)
            b.wait("document.readyState === 'complete' && !!document.querySelector('#presence')")
            self.assertEqual(b.js("document.querySelector('#presence').textContent"),
                             "Also here: Carol Chen (typing)")
            # Alice's page beat on load: carol sees her.
            self.st.wait_for(lambda: "alice" in self.st.r.hgetall("opd:t:{%s}:p" % tid), what="alice's beat")
            self.beat(carol, tid, "left")
            b.click("#reply-body")
            b.call("Input.insertText", text="Typing now")
            b.wait("document.querySelector('#presence').textContent === ''", timeout=10)
            self.assertTrue(self.st.r.hget("opd:t:{%s}:p" % tid, "alice").startswith("typing:"))
        finally:
            b.close()


# Only the live tests run in this file.
for _name in [n for n in vars(tc.ConsoleTest) if n.startswith("test_")]:
    setattr(ConsoleLiveTest, _name, None)
for _name in [n for n in vars(ConsoleLiveTest) if n.startswith("test_")]:
    setattr(ConsolePresenceTest, _name, None)
    setattr(ConsoleDayTest, _name, None)

if __name__ == "__main__":
    unittest.main()
