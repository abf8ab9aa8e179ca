"""The scripts of common/lua as the Redis function library opdesk
(common/embed_lua.cmake, opd_redis.c): loaded once by whichever service
connects first and left alone by the others, answered by opd_version with
the hash of its text, kept by Redis across a restart, and loaded again when
Redis lost it or holds another version."""
import hashlib
import http.client
import json
import unittest

import harness
from harness import Stack

VERSION_LINE = "redis.register_function{function_name = 'opd_version'"


def loads(st):
    """How many FUNCTION LOADs Redis ran since its start or CONFIG RESETSTAT."""
    return st.r.info("commandstats").get("cmdstat_function|load", {}).get("calls", 0)


def api(st, method, path, obj):
    c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=15)
    try:
        c.request(method, path, body=None if obj is None else json.dumps(obj),
                  headers={"Authorization": "Bearer change-me-agent", "Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def version(st):
    return st.r.execute_command("FCALL_RO", "opd_version", 0)


class FunctionLibraryTest(unittest.TestCase):
    def test_loaded_once_by_the_first_service_and_versioned_by_its_text(self):
        with Stack(["intake", "router", "slo"]) as st:
            # Two connections that start at once may both load it; no more.
            self.assertIn(loads(st), (1, 2))
            text = harness.library_source()
            self.assertTrue(text.startswith("#!lua name=opdesk\n"))
            head = text[:text.index(VERSION_LINE)]
            self.assertEqual(version(st), hashlib.sha1(head.encode()).hexdigest())
            names = {f[1] for f in st.r.execute_command("FUNCTION", "LIST", "LIBRARYNAME", "opdesk")[0][5]}
            for script in ("create", "route", "arm", "comment", "update", "anonymise"):
                self.assertIn("opd_" + script, str(names))
            tid = st.submit(st.message(subject="VPN is down"))["ticket_id"]
            st.wait_for(lambda: st.ticket(tid).get("team") == "network", timeout=20, what="routing")
            st.r.config_resetstat()
            for name in ("intake", "router"):
                st.stop(name)
                st.start(name)
            tid = st.submit(st.message(subject="VPN is down again"))["ticket_id"]
            st.wait_for(lambda: st.ticket(tid).get("team") == "network", timeout=20, what="routing")
            self.assertEqual(loads(st), 0, "a service replaced a library that was current")

    def test_kept_across_a_redis_restart(self):
        with Stack(["intake"]) as st:
            st.stop("intake")
            st.stop_redis()
            st.start_redis()
            self.assertEqual(loads(st), 0)
            st.start("intake")
            self.assertEqual(st.submit(st.message())["type"], "intake.accepted")
            self.assertEqual(loads(st), 0, "the library was not kept in the AOF")

    def test_lost_or_other_version_is_loaded_again(self):
        with Stack(["intake"]) as st:
            # Every connection of intake is up before the flush (its event
            # relay connects on its own, and would load the library again
            # if it connected after): tickets until one's event is relayed
            # (the relay publishes from where the history was when it
            # connected).
            sub = st.subscribe("ticket.created")
            relayed = None
            for _ in range(20):
                self.assertEqual(st.submit(st.message())["type"], "intake.accepted")
                relayed = sub.recv(timeout=1)
                if relayed:
                    break
            self.assertIsNotNone(relayed, "the relay published nothing")
            seq = st.r.get("opd:seq")
            st.r.execute_command("FUNCTION", "FLUSH")
            # The running service finds its function gone: the batch is
            # refused as unavailable (nothing stored), the library loaded
            # before the next one.
            first = st.submit(st.message())
            self.assertEqual(first["type"], "intake.rejected")
            self.assertEqual(first["code"], "unavailable")
            self.assertEqual(st.r.get("opd:seq"), seq)
            self.assertEqual(st.submit(st.message())["type"], "intake.accepted")
            current = version(st)
            other = ("#!lua name=opdesk\nredis.register_function{function_name = 'opd_version', "
                     "flags = {'no-writes'}, callback = function () return 'other' end}\n")
            st.r.execute_command("FUNCTION", "LOAD", "REPLACE", other)
            self.assertEqual(st.submit(st.message())["code"], "unavailable")
            self.assertEqual(st.submit(st.message())["type"], "intake.accepted")
            self.assertEqual(version(st), current)
            # A script run alone (opd_redis_script: a comment through the
            # web API) loads the library and retries at once.
            st.start("web")
            tid = st.submit(st.message())["ticket_id"]
            st.r.execute_command("FUNCTION", "FLUSH")
            status, body = api(st, "POST", "/api/v1/tickets/%s/comments" % tid,
                               {"body": "Looking into it.", "public": False})
            self.assertEqual(status, 201, body)
            self.assertEqual(version(st), current)
            # A service that connects to another version replaces it at once.
            st.r.execute_command("FUNCTION", "LOAD", "REPLACE", other)
            st.stop("intake")
            st.start("intake")
            st.wait_for(lambda: version(st) == current, timeout=10, what="the library to be replaced")

    def test_keys_of_an_older_layout_are_renamed_once_before_any_service_works(self):
        # A desk whose Redis was written before the ticket keys named their
        # ticket in a hash tag (opd:t:OPD-1:c): its tickets, comments and
        # history are renamed (opd:t:{OPD-1}:c) by the first service that
        # connects, in one step, and every service then finds them.
        with Stack(["intake", "router", "slo", "web"]) as st:
            tids = [st.submit(st.message(subject="VPN is down %d" % i))["ticket_id"] for i in range(3)]
            for tid in tids:
                st.wait_for(lambda: st.ticket(tid).get("team") == "network", timeout=20, what="routing")
            status, body = api(st, "POST", "/api/v1/tickets/%s/comments" % tids[0],
                               {"body": "Looking into it.", "public": False})
            self.assertEqual(status, 201, body)
            before = {k: st.r.type(k) for k in st.r.keys("opd:t:*")}
            comments = st.r.lrange("opd:t:{%s}:c" % tids[0], 0, -1)
            for name in ("web", "slo", "router", "intake"):
                st.stop(name)
            # Layout 3 kept a breach timer beside each warning still to come,
            # and counted them.
            timers = st.r.zrange("opd:timers", 0, -1, withscores=True)
            warnings = [m for m, _ in timers if m.endswith("|w")]
            self.assertGreater(len(warnings), 0)
            for m in warnings:
                owner, clock, _ = m.split("|")
                st.r.zadd("opd:timers", {"%s|%s|b" % (owner, clock): int(st.ticket(owner)[clock + "_due"])})
            st.r.set("opd:timers:running", len(timers))
            # The older layout: braces gone, no layout recorded, an older library.
            for k in before:
                st.r.rename(k, k.replace("{", "").replace("}", ""))
            st.r.delete("opd:layout")
            st.r.execute_command("FUNCTION", "DELETE", "opdesk")
            self.assertEqual(st.r.keys("opd:t:{*"), [])
            for name in ("intake", "router", "slo", "web"):
                st.start(name)
            self.assertEqual(st.r.get("opd:layout"), "4")
            # Layout 4: one timer a running clock, the count gone.
            self.assertEqual(st.r.zrange("opd:timers", 0, -1, withscores=True), timers)
            self.assertIsNone(st.r.get("opd:timers:running"))
            self.assertEqual({k: st.r.type(k) for k in st.r.keys("opd:t:*")}, before)
            self.assertEqual(st.r.lrange("opd:t:{%s}:c" % tids[0], 0, -1), comments)
            logs = "".join(st.log(name) for name in ("intake", "router", "slo", "web"))
            self.assertEqual(logs.count("keys renamed to this layout"), 1, logs)
            self.assertIn("redis: %d keys renamed" % len(before), logs)
            status, body = api(st, "GET", "/api/v1/tickets/%s" % tids[0], None)
            self.assertEqual(status, 200, body)
            self.assertIn("VPN is down 0", body)
            self.assertIn("Looking into it.", body)
            # A new ticket goes the whole way on the renamed desk.
            tid = st.submit(st.message(subject="VPN is down again"))["ticket_id"]
            st.wait_for(lambda: st.ticket(tid).get("team") == "network", timeout=20, what="routing")
            self.assertNotIn(tid, tids)
            self.assertEqual(version(st), hashlib.sha1(
                harness.library_source()[:harness.library_source().index(VERSION_LINE)].encode()).hexdigest())
            # With the layout recorded, the function is a no-op.
            self.assertEqual(st.r.execute_command("FCALL", "opd_migrate", 0, "0", "0"), 0)


if __name__ == "__main__":
    unittest.main()
