"""opdesk-phone against a real Redis, the real intake and router: missed
calls, voicemails and call notes become tickets; JSON and form posts; the
HMAC signature; retries create nothing twice; numbers normalised to E.164."""
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import time
import unittest
import urllib.parse

import harness
from harness import Stack

SECRET = "s3cret-phone"


def phone_config(secret=SECRET):
    cfg = harness.base_config()
    cfg["channels"] = {"phone": {"secret": secret, "default_country_code": "44"}}
    # Bob's desk phone: calls from it are internal, never requester calls.
    cfg["agents"][1]["phone"] = "+442079460999"
    return cfg


def sign(body, secret=SECRET, ts=None):
    msg = (ts.encode() + b"." + body) if ts is not None else body
    return "sha256=" + hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


class PhoneTest(unittest.TestCase):

    def post(self, st, path, fields, form=False, secret=SECRET, signature=True, headers=None,
             raw=None):
        """POSTs fields (JSON, or form-encoded); returns (status, parsed JSON body)."""
        if raw is not None:
            body = raw
        elif form:
            body = urllib.parse.urlencode(fields).encode()
        else:
            body = json.dumps(fields).encode()
        h = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
        if signature is True:
            h["X-Opdesk-Signature"] = sign(body, secret)
        elif signature:
            h["X-Opdesk-Signature"] = signature
        h.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", st.phone_port, timeout=20)
        try:
            conn.request("POST", path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        return resp.status, (json.loads(data) if data else None)

    def event(self, st, **fields):
        return self.post(st, "/calls", fields, form=fields.pop("_form", False))

    def tickets(self, st):
        return sorted(k for k in st.r.keys("opd:t:*") if k.count(":") == 2)

    def comments(self, st, tid):
        return [json.loads(c) for c in st.r.lrange("opd:t:{%s}:c" % tid, 0, -1)]

    # --- missed calls ---------------------------------------------------
    def test_missed_inbound_call_becomes_ticket_once(self):
        with Stack(["intake", "router", "phone"], config=phone_config()) as st:
            s, b = self.event(st, event="ringing", call_id="c-100", direction="inbound",
                              **{"from": "07700 900123", "to": "+44 20 7946 0000"})
            self.assertEqual((s, b), (202, {"status": "recorded"}))
            self.assertEqual(self.tickets(st), [])
            s, b = self.event(st, event="hangup", call_id="c-100", at="2026-01-05T10:00:00Z")
            self.assertEqual(s, 201, b)
            self.assertTrue(b["created"])
            tid = b["ticket_id"]
            t = st.ticket(tid)
            self.assertEqual(t["channel"], "phone")
            self.assertEqual(t["external_id"], "call:c-100:missed")
            self.assertEqual(t["req_phone"], "+447700900123")
            self.assertNotIn("req_email", t)
            self.assertEqual(t["subject"], "Missed call from +447700900123: please call back")
            self.assertIn("+442079460000", t["body"])
            self.assertEqual(t["received_at"], str(1767607200000))
            # The router takes it like any other ticket.
            st.wait_for(lambda: st.ticket(tid).get("routed_at"), what="routing")
            # The phone system retries the hangup: same ticket, nothing new.
            s, b = self.event(st, event="hangup", call_id="c-100")
            self.assertEqual((s, b["ticket_id"], b["created"]), (200, tid, False))
            self.assertEqual(self.tickets(st), ["opd:t:{" + tid + "}"])
            # The call's events are kept, for a while.
            call = st.r.hgetall("opd:call:c-100")
            self.assertEqual(call["customer"], "+447700900123")
            self.assertEqual(call["missed_ticket"], tid)
            self.assertIn("ringing_at", call)
            ttl = st.r.ttl("opd:call:c-100")
            self.assertTrue(0 < ttl <= 7 * 86400, ttl)
            # An explicit "missed" event of another call, form-encoded.
            s, b = self.event(st, _form=True, event="missed", call_id="c-101",
                              direction="inbound", **{"from": "0044 (0)161 496 0000"})
            self.assertEqual(s, 201, b)
            self.assertEqual(st.ticket(b["ticket_id"])["req_phone"], "+441614960000")
            self.assertEqual(len(self.tickets(st)), 2)

    def test_answered_outbound_withheld_and_internal_calls_make_no_ticket(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            for ev in ("ringing", "answered", "hangup"):
                s, b = self.event(st, event=ev, call_id="c-200", direction="inbound",
                                  agent="alice", **{"from": "+447700900200"})
                self.assertEqual(s, 202, b)
            self.assertEqual(st.r.hget("opd:call:c-200", "agent"), "alice")
            # The desk called out and nobody answered: not a missed call.
            s, b = self.event(st, event="hangup", call_id="c-201", direction="outbound",
                              **{"from": "+442079460000", "to": "07700 900201"})
            self.assertEqual(s, 202, b)
            s, b = self.event(st, event="hangup", call_id="c-202", direction="inbound",
                              **{"from": "anonymous"})
            self.assertEqual((s, b["reason"]), (202, "withheld number"))
            # From an agent's number (written nationally): internal.
            s, b = self.event(st, event="missed", call_id="c-203", direction="inbound",
                              **{"from": "020 7946 0999"})
            self.assertEqual((s, b["reason"]), (202, "internal call"))
            self.assertEqual(self.tickets(st), [])

    # --- voicemail ------------------------------------------------------
    def test_voicemail_transcription_becomes_body(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            text = "Hi, this is Sam. My laptop will not boot, please call me back. Danke schön."
            s, b = self.event(st, _form=True, event="voicemail", call_id="c-300",
                              direction="inbound", transcription=text,
                              recording_url="https://pbx.example.org/rec/300.wav",
                              **{"from": "+44 7700 900300"})
            self.assertEqual(s, 201, b)
            tid = b["ticket_id"]
            t = st.ticket(tid)
            self.assertEqual(t["external_id"], "call:c-300:voicemail")
            self.assertTrue(t["body"].startswith(text), t["body"])
            self.assertIn("https://pbx.example.org/rec/300.wav", t["body"])
            self.assertEqual(t["subject"], "Voicemail from +447700900300")
            self.assertEqual(t["req_phone"], "+447700900300")
            # The hangup after the voicemail opens no second ticket.
            s, b = self.event(st, event="hangup", call_id="c-300")
            self.assertEqual(s, 202, b)
            s, b = self.event(st, _form=True, event="voicemail", call_id="c-300",
                              transcription=text)
            self.assertEqual((s, b["ticket_id"], b["created"]), (200, tid, False))
            self.assertEqual(len(self.tickets(st)), 1)

    def test_voicemail_after_missed_call_adds_to_its_ticket(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            s, b = self.event(st, event="hangup", call_id="c-310", direction="inbound",
                              **{"from": "07700900310"})
            self.assertEqual(s, 201, b)
            tid = b["ticket_id"]
            s, b = self.event(st, event="voicemail", call_id="c-310",
                              transcription="Printer on floor 2 again.")
            self.assertEqual((s, b["ticket_id"], b["created"]), (200, tid, False))
            self.assertEqual([c["body"] for c in self.comments(st, tid)],
                             ["Printer on floor 2 again."])
            self.assertEqual(len(self.tickets(st)), 1)

    # --- call notes -----------------------------------------------------
    def test_call_note_comments_on_the_calls_ticket(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            s, b = self.event(st, event="missed", call_id="c-400", direction="inbound",
                              **{"from": "+447700900400"})
            self.assertEqual(s, 201, b)
            tid = b["ticket_id"]
            note = {"text": "Called back; printer fixed by power cycle.", "agent": "alice"}
            s, b = self.post(st, "/calls/c-400/notes", note)
            self.assertEqual((s, b["ticket_id"], b["created"]), (200, tid, False))
            comments = self.comments(st, tid)
            self.assertEqual(len(comments), 1)
            self.assertIn("Called back; printer fixed by power cycle.", comments[0]["body"])
            self.assertIn("Alice Jones", comments[0]["body"])
            # Retried: nothing twice.
            s, b = self.post(st, "/calls/c-400/notes", note, form=True)
            self.assertEqual((s, b["ticket_id"], b["created"]), (200, tid, False))
            self.assertEqual(len(self.comments(st, tid)), 1)
            # A second, different note is a second comment.
            s, b = self.post(st, "/calls/c-400/notes", {"text": "Confirmed next day.", "id": "n2"})
            self.assertEqual(s, 200, b)
            self.assertEqual(len(self.comments(st, tid)), 2)
            self.assertEqual(len(self.tickets(st)), 1)

    def test_call_note_on_answered_call_opens_ticket(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            for ev in ("ringing", "answered"):
                self.event(st, event=ev, call_id="c-410", direction="inbound", agent="bob",
                           **{"from": "+447700900410"})
            s, b = self.post(st, "/calls/c-410/notes", {"text": "Wants a new laptop."})
            self.assertEqual(s, 201, b)
            t = st.ticket(b["ticket_id"])
            self.assertEqual(t["subject"], "Phone call with +447700900410")
            self.assertIn("Wants a new laptop.", t["body"])
            self.assertIn("Bob Smith", t["body"])
            self.assertEqual(t["req_phone"], "+447700900410")
            # Unknown call without a number: nothing to attach to.
            s, b = self.post(st, "/calls/c-999/notes", {"text": "?"})
            self.assertEqual((s, b["error"]["code"]), (404, "not_found"))
            s, b = self.post(st, "/calls/c-410/notes", {"agent": "bob"})
            self.assertEqual(s, 422, b)

    # --- requester matching -----------------------------------------------
    def test_number_matched_to_requester_who_used_it_before(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            r = st.submit(st.message(requester={"name": "Priya Patel", "email": "priya@example.com",
                                                "phone": "+447700900500"}))
            first = r["ticket_id"]
            st.wait_for(lambda: st.r.hget("opd:phone:+447700900500", "email"),
                        what="the number to be learned")
            s, b = self.event(st, event="hangup", call_id="c-500", direction="inbound",
                              **{"from": "07700 900 500"})
            self.assertEqual(s, 201, b)
            t = st.ticket(b["ticket_id"])
            self.assertEqual(t["req_email"], "priya@example.com")
            self.assertEqual(t["req_name"], "Priya Patel")
            self.assertEqual(t["req_phone"], "+447700900500")
            self.assertIn(b["ticket_id"], st.r.zrange("opd:idx:req:priya@example.com", 0, -1))
            # A note on a new call from that number adds to the open ticket.
            self.event(st, event="answered", call_id="c-501", direction="inbound",
                       **{"from": "+447700900500"})
            s, b2 = self.post(st, "/calls/c-501/notes", {"text": "Still broken."})
            self.assertEqual((s, b2["ticket_id"]), (200, b["ticket_id"]))
            self.assertNotEqual(first, b["ticket_id"])

    # --- authentication and input ---------------------------------------------
    def test_unsigned_or_badly_signed_posts_change_nothing(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            ev = {"event": "missed", "call_id": "c-600", "direction": "inbound",
                  "from": "+447700900600"}
            body = json.dumps(ev).encode()
            cases = [
                dict(signature=False),
                dict(signature=sign(body, "another-secret")),
                dict(signature="sha256=" + "0" * 64),
                dict(signature="sha256=zz"),
                dict(signature=sign(body).upper()),
                dict(signature=sign(body + b" ")),
                # A signature made for another timestamp, or a stale one.
                dict(signature=sign(body, ts="1000"), headers={"X-Opdesk-Timestamp": "1000"}),
                dict(signature=sign(body, ts=str(int(time.time()))),
                     headers={"X-Opdesk-Timestamp": str(int(time.time()) - 1)}),
            ]
            for c in cases:
                s, b = self.post(st, "/calls", ev, raw=body, **c)
                self.assertEqual(s, 401, (c, b))
                self.assertEqual(b["error"]["code"], "unauthorized")
            s, b = self.post(st, "/calls/c-600/notes", {"text": "x", "from": "+447700900600"},
                             signature=False)
            self.assertEqual(s, 401)
            self.assertEqual(st.r.keys("opd:call:*"), [])
            self.assertEqual(self.tickets(st), [])
            self.assertIsNone(st.r.get("opd:seq"))
            # Signed with a fresh timestamp: accepted.
            ts = str(int(time.time()))
            s, b = self.post(st, "/calls", ev, raw=body, signature=sign(body, ts=ts),
                             headers={"X-Opdesk-Timestamp": ts})
            self.assertEqual(s, 201, b)

    def test_bad_input_answers(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            s, b = self.event(st, event="missed", call_id="c-700", direction="inbound",
                              **{"from": "call me maybe"})
            self.assertEqual(s, 422)
            self.assertIn("from", b["error"]["message"])
            s, b = self.event(st, event="exploded", call_id="c-701")
            self.assertEqual(s, 422)
            s, b = self.event(st, event="missed", call_id="bad id/")
            self.assertEqual(s, 422)
            s, b = self.event(st, event="missed", call_id="c-702", direction="sideways",
                              **{"from": "+447700900702"})
            self.assertEqual(s, 422)
            s, b = self.event(st, event="missed", call_id="c-703", at="yesterday",
                              **{"from": "+447700900703"})
            self.assertEqual(s, 422)
            s, b = self.post(st, "/calls", None, raw=b'{"event": "missed", ')
            self.assertEqual(s, 400)
            self.assertIn("line", b["error"]["message"])
            s, b = self.post(st, "/calls", None, raw=b"event=missed&call_id=%zz", form=True)
            self.assertEqual(s, 400)
            s, b = self.post(st, "/calls", None, raw=b"<xml/>",
                             headers={"Content-Type": "text/xml"})
            self.assertEqual(s, 415)
            s, b = self.event(st, event="missed", call_id="c-704", direction="inbound",
                              **{"from": {"nested": 1}})
            self.assertEqual(s, 422)
            # Over 64 KiB: 413, with a Content-Length and chunked.
            big = json.dumps({"event": "voicemail", "call_id": "c-705", "from": "+447700900705",
                              "transcription": "x" * 70000}).encode()
            s, b = self.post(st, "/calls", None, raw=big)
            self.assertEqual(s, 413)
            conn = http.client.HTTPConnection("127.0.0.1", st.phone_port, timeout=20)
            conn.request("POST", "/calls", body=iter([big[:40000], big[40000:]]),
                         headers={"Content-Type": "application/json",
                                  "X-Opdesk-Signature": sign(big)},
                         encode_chunked=True)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
            conn.close()
            self.assertEqual(self.tickets(st), [])
            # Unknown paths and methods.
            conn = http.client.HTTPConnection("127.0.0.1", st.phone_port, timeout=20)
            conn.request("GET", "/calls")
            self.assertEqual(conn.getresponse().status, 405)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", st.phone_port, timeout=20)
            conn.request("GET", "/nope")
            self.assertEqual(conn.getresponse().status, 404)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", st.phone_port, timeout=20)
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            self.assertEqual((resp.status, json.loads(resp.read())), (200, {"status": "ok"}))
            conn.close()

    # --- availability and configuration -----------------------------------------
    def test_intake_down_answers_503_and_the_retry_succeeds(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            st.stop("intake")
            ev = dict(event="missed", call_id="c-800", direction="inbound",
                      **{"from": "+447700900800"})
            s, b = self.event(st, **dict(ev))
            self.assertEqual((s, b["error"]["code"]), (503, "unavailable"))
            self.assertEqual(self.tickets(st), [])
            st.start("intake")
            s, b = self.event(st, **dict(ev))
            self.assertEqual(s, 201, b)

    def test_sighup_reloads_the_secret(self):
        with Stack(["intake", "phone"], config=phone_config()) as st:
            st.config["channels"]["phone"]["secret"] = "a-new-secret-2"
            st.reconfigure()
            st.wait_for(lambda: "reloaded" in st.log("phone"), what="the reload")
            ev = {"event": "missed", "call_id": "c-900", "direction": "inbound",
                  "from": "+447700900900"}
            s, _ = self.post(st, "/calls", ev)
            self.assertEqual(s, 401)
            s, b = self.post(st, "/calls", ev, secret="a-new-secret-2")
            self.assertEqual(s, 201, b)

    def test_without_a_secret_it_runs_and_refuses_posts(self):
        # The contract's configuration has no channels.phone: the adapter
        # starts, says once why posts are refused, and stops cleanly.
        with Stack(["intake", "phone"], config=harness.base_config()) as st:
            lines = [x for x in st.log("phone").splitlines() if "channels.phone.secret" in x]
            self.assertEqual(len(lines), 1, st.log("phone"))
            self.assertIn("refused", lines[0])
            ev = {"event": "missed", "call_id": "c-901", "direction": "inbound", "from": "+447700900901"}
            s, b = self.post(st, "/calls", ev)
            self.assertEqual((s, b["error"]["code"]), (503, "unavailable"))
            self.assertIn("channels.phone.secret", b["error"]["message"])
            self.assertEqual(self.tickets(st), [])
            # A reload that brings the secret opens the channel.
            st.config["channels"] = {"phone": {"secret": SECRET, "default_country_code": "44"}}
            st.reconfigure()
            st.wait_for(lambda: "reloaded" in st.log("phone"), what="the reload")
            s, b = self.post(st, "/calls", ev)
            self.assertEqual(s, 201, b)


if __name__ == "__main__":
    unittest.main()
