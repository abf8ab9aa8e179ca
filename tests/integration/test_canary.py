"""The anonymiser's canary (issue 13, decision 160): every real run plants a
canary ticket with a random marker in each personal store it is responsible
for, anonymises it with the real tickets, looks for the marker after the
sweep and fails loudly, naming the store, when a copy was left. Nobody
reading the desk sees it."""
import http.client
import json
import re
import threading
import time
import unittest

import redis as redislib

import harness
from test_anonymiser import SERVICES, close_days_ago, new_ticket

SERVICES_WEB = SERVICES + ["web"]


class CanaryWatch:
    """Watches Redis for the canary while a run has it: its id and marker,
    and, while it exists, which index or queue holds its id. With copy=True
    it also writes a copy of the marker where no sweep can reach it (a key
    under opd:ext: naming another ticket), as a store the run missed."""

    def __init__(self, st, copy=False):
        self.st, self.copy = st, copy
        self.id = self.marker = None
        self.seen_in = set()
        st.r.config_set("notify-keyspace-events", "Kh")
        self.r = redislib.Redis(host="127.0.0.1", port=st.redis_port, decode_responses=True)
        self.ps = self.r.pubsub()
        self.ps.psubscribe("__keyspace@0__:opd:t:{CANARY-*")
        # The marker is taken from the planting command itself, seen by
        # MONITOR: a fast run can anonymise the canary before any read of
        # its hash, so reading it after the keyspace event is a race.
        self.mon = redislib.Redis(host="127.0.0.1", port=st.redis_port,
                                  decode_responses=True).monitor()
        self.mon.__enter__()
        self.stop = False
        self.threads = [threading.Thread(target=f, daemon=True) for f in (self.run, self.monitor)]
        for t in self.threads:
            t.start()

    def monitor(self):
        while not self.stop and self.marker is None:
            cmd = self.mon.next_command()["command"]
            m = re.search(r"canary-([0-9]+)@canary\.invalid", cmd)
            if m:
                self.marker = m.group(1)
                if self.copy:
                    self.r.set("opd:ext:<copy-%s@canary.invalid>" % self.marker, "OPD-999999")

    def run(self):
        while not self.stop:
            m = self.ps.get_message(timeout=0.05)
            if not m or m["type"] != "pmessage" or self.id:
                continue
            key = m["channel"].split(":", 1)[1]
            self.id = key.split(":")[2].strip("{}")
            for k in self.r.scan_iter(match="opd:idx:*", count=1000):
                # Its own requester index is planted (an address nobody has).
                if k.startswith("opd:idx:req:canary-"):
                    continue
                if self.r.type(k) == "zset" and self.r.zscore(k, self.id) is not None:
                    self.seen_in.add(k)
            for k in self.r.scan_iter(match="opd:q:*", count=1000):
                if self.r.zscore(k, self.id) is not None:
                    self.seen_in.add(k)

    def close(self):
        self.stop = True
        self.r.ping()  # wakes the monitor thread, which waits for a command
        for t in self.threads:
            t.join(5)
        self.ps.close()
        self.mon.__exit__(None, None, None)


def api(st, path, token="change-me-agent"):
    c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=20)
    try:
        c.request("GET", path, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace")
    finally:
        c.close()


def latest_receipt(st):
    run = st.r.zrange("opd:anon:runs", -1, -1)[0]
    return run, st.r.hgetall("opd:anon:run:" + run)


def traces(st, needles):
    """Every key, member or event that still names one of needles."""
    found = []
    for k in st.r.scan_iter(match="*", count=1000):
        if any(n in k for n in needles):
            found.append(k)
    for k in ("opd:closed", "opd:anonymised", "opd:anon:pending", "opd:outbox:retry"):
        found += [k for m in st.r.zrange(k, 0, -1) if any(n in m for n in needles)]
    for k in ("opd:outbox:ready", "opd:outbox:busy"):
        found += [k for m in st.r.lrange(k, 0, -1) if any(n in m for n in needles)]
    for topic, ev in st.events_history():
        if any(n in json.dumps(ev) for n in needles):
            found.append("event " + topic)
    return found


class CanaryTest(unittest.TestCase):
    def test_run_passes_its_canary_and_leaves_nothing(self):
        with harness.Stack(SERVICES_WEB) as st:
            tid = new_ticket(st, "Old printer problem")
            close_days_ago(st, tid, 400)
            # Closed long ago but on legal hold, and closed yesterday: no
            # work for a pass on their own.
            held, recent = new_ticket(st, "Dismissal dispute"), new_ticket(st, "Recent one")
            close_days_ago(st, held, 400, comment=False)
            st.r.hset("opd:t:{" + held + "}", "hold", "1")
            close_days_ago(st, recent, 1, comment=False)
            watch = CanaryWatch(st)
            try:
                listed = st.cli_json("anonymise")
            finally:
                watch.close()
            self.assertEqual([e["ticket_id"] for e in listed], [tid])
            self.assertIsNotNone(watch.id, "no canary was planted")
            self.assertRegex(watch.marker, r"^[0-9]{13}$")
            self.assertEqual(watch.seen_in, set(), "the canary was in an index readers use")
            run, rec = latest_receipt(st)
            self.assertEqual(rec["state"], "done", rec)
            self.assertEqual(rec["canary"], "passed", rec)
            self.assertNotIn("canary_stores", rec)
            # The counts are the real ticket's alone.
            self.assertEqual(rec["tickets"], "1")
            self.assertEqual(rec["swept_tickets"], "1")
            for store in ("call", "phone", "outbox_retry"):
                self.assertEqual(rec[store], "0", store)
            self.assertEqual(traces(st, [watch.id, watch.marker]), [])
            self.assertEqual([t for t, ev in st.events_history() if t == "ticket.anonymised"],
                             ["ticket.anonymised"])
            log = st.log("anonymiser") if "anonymiser" in st.procs else ""
            self.assertNotIn(watch.marker, log)
            # Readers: the API's list and the ticket itself.
            s, page = api(st, "/api/v1/tickets?status=closed")
            self.assertEqual(s, 200, page)
            self.assertNotIn("CANARY", page)
            self.assertIn(tid, page)
            s, _ = api(st, "/api/v1/tickets/" + watch.id)
            self.assertEqual(s, 404)
            # A second run with nothing due plants none and leaves no receipt.
            st.cli("anonymise")
            self.assertEqual(latest_receipt(st)[0], run)
            self.assertEqual(traces(st, ["CANARY", "canary-"]), [])

    def test_a_store_left_unswept_fails_the_run_loudly(self):
        # The run waits 3 s after its one batch (the canary and the ticket)
        # before its sweep and check: time enough for the watch to write its
        # copy on any machine, without depending on how fast the run is.
        config = harness.base_config()
        config["retention"]["pause_ms"] = 3000
        with harness.Stack(SERVICES, config=config) as st:
            tid = new_ticket(st, "Old printer problem")
            close_days_ago(st, tid, 400)
            watch = CanaryWatch(st, copy=True)
            try:
                p = st.cli("anonymise", check=False)
            finally:
                watch.close()
            self.assertIsNotNone(watch.marker)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("canary", p.stderr)
            self.assertIn("canary failed", p.stderr)
            self.assertIn("store=ext", p.stderr)
            self.assertNotIn(watch.marker, p.stdout + p.stderr)
            _, rec = latest_receipt(st)
            self.assertEqual(rec["state"], "failed", rec)
            self.assertEqual(rec["canary"], "failed", rec)
            self.assertEqual(rec["canary_stores"], "ext", rec)
            # The real ticket was anonymised all the same; the canary's own
            # traces are gone, the planted copy is what is left.
            self.assertEqual(st.ticket(tid)["anonymised"], "1")
            self.assertEqual(traces(st, [watch.id, watch.marker]),
                             ["opd:ext:<copy-%s@canary.invalid>" % watch.marker])


if __name__ == "__main__":
    unittest.main()
