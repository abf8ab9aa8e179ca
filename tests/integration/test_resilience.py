"""Nothing is lost when a process dies (issue 2, item 13).

A 1,000-ticket load runs through intake while each service in turn is killed
with SIGKILL and restarted. Afterwards every accepted ticket is stored exactly
once, routed, has its SLO clocks, and its acknowledgement reached the SMTP
server (at most one duplicate per notifier kill: the mail in flight)."""
import collections
import re
import threading
import time
import unittest

import msgpack
import zmq

from harness import Stack

TOTAL = 1000


class Loader(threading.Thread):
    """Submits TOTAL tickets one after another, retrying each with the same
    external_id until intake accepts it, as a well-behaved adapter does."""

    def __init__(self, st):
        super().__init__(daemon=True)
        self.st = st
        self.accepted = {}  # external_id -> ticket id
        self.created = 0
        self.retries = 0
        self.error = None

    def run(self):
        ctx = zmq.Context()
        try:
            for i in range(TOTAL):
                ext = "load-%d" % i
                msg = Stack.message(external_id=ext, subject="Load ticket %d" % i,
                                    requester={"email": "user%d@example.com" % i})
                frame = msgpack.packb(msg)
                while True:
                    s = ctx.socket(zmq.REQ)
                    s.setsockopt(zmq.LINGER, 0)
                    s.connect(self.st.config["endpoints"]["intake"])
                    s.send(frame)
                    reply = msgpack.unpackb(s.recv(), raw=False) if s.poll(1000) else None
                    s.close(0)
                    if reply and reply["type"] == "intake.accepted":
                        self.accepted[ext] = reply["ticket_id"]
                        self.created += 1 if reply["created"] else 0
                        break
                    self.retries += 1
                    time.sleep(0.05)
        except Exception as e:  # reported by the test
            self.error = e
        finally:
            ctx.destroy(0)


class KillTest(unittest.TestCase):
    def test_every_accepted_ticket_survives_kills_of_each_service(self):
        with Stack(["intake", "router", "slo", "notifier"]) as st:
            loader = Loader(st)
            loader.start()
            for name, at in (("router", 150), ("slo", 350), ("notifier", 550), ("intake", 750)):
                st.wait_for(lambda: len(loader.accepted) >= at, timeout=120,
                            what="%d tickets accepted" % at)
                st.kill(name)
                time.sleep(0.5)  # work piles up while it is down
                st.start(name)
            loader.join(300)
            self.assertFalse(loader.is_alive(), "the load did not finish")
            self.assertIsNone(loader.error)
            self.assertEqual(len(loader.accepted), TOTAL)

            ids = set(loader.accepted.values())
            # Stored once: one ticket per external id, and no others.
            self.assertEqual(len(ids), TOTAL)
            self.assertEqual(int(st.r.get("opd:seq")), TOTAL)

            def all_done():
                for tid in ids:
                    t = st.r.hmget("opd:t:{" + tid + "}", "team", "fr_due", "res_due", "armed_at")
                    if not all(t):
                        return False
                return True
            st.wait_for(all_done, timeout=120, interval=0.5,
                        what="every ticket routed and with its clocks")
            self.assertEqual(st.r.zcard("opd:unrouted"), 0)
            self.assertEqual(st.r.zcard("opd:slo:work"), 0)

            tag = re.compile(r"\[(OPD-\d+)\]")

            def acks():
                seen = collections.Counter()
                for m in st.smtp.messages:
                    found = tag.search(m["data"])
                    if found:
                        seen[found.group(1)] += 1
                return seen
            st.wait_for(lambda: set(acks()) >= ids, timeout=180, interval=0.5,
                        what="an acknowledgement for every ticket")
            counts = acks()
            self.assertEqual(set(counts), ids)
            duplicates = sum(c - 1 for c in counts.values())
            self.assertLessEqual(duplicates, 1, "more than the one mail in flight was sent twice")
            # The outbox drained.
            self.assertEqual(st.r.llen("opd:outbox:ready") + st.r.llen("opd:outbox:busy"), 0)
            # Each ticket was created once in the history.
            created = [e for t, e in st.events_history() if t == "ticket.created"]
            self.assertEqual(len(created), TOTAL)


if __name__ == "__main__":
    unittest.main()
