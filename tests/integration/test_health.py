"""/healthz tells the truth (issue 8, CONTRACT.md section 8): every service
of the deployment shows its life by a heartbeat in Redis; one killed is
named within a few seconds, one stopped at once, and Redis down is named.
Asking /healthz leaves no trace in intake's log."""
import http.client
import json
import time
import unittest

import harness
from harness import Stack
from test_redis_acl import AclStack

CORE = ["intake", "router", "slo", "notifier", "anonymiser"]


def healthz(st):
    c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=10)
    try:
        c.request("GET", "/healthz")
        r = c.getresponse()
        return r.status, json.loads(r.read())
    finally:
        c.close()


def down(*names):
    return (503, {"status": "unavailable", "down": list(names)})


class HealthTest(unittest.TestCase):
    def test_each_killed_service_is_named_then_healthy_again_after_restart(self):
        with Stack(CORE + ["web"]) as st:
            st.wait_for(lambda: healthz(st) == (200, {"status": "ok"}), what="a healthy stack")
            for name in ["router", "slo", "notifier", "anonymiser", "intake"]:
                st.kill(name)
                started = time.time()
                st.wait_for(lambda: healthz(st) == down(name), timeout=10,
                            what="/healthz to name %s (it says %s)" % (name, healthz(st)))
                took = time.time() - started
                print("\n/healthz named %s %.1fs after kill -9" % (name, took), end=" ")
                self.assertLess(took, 8)
                st.start(name)
                st.wait_for(lambda: healthz(st) == (200, {"status": "ok"}), timeout=10,
                            what="/healthz 200 after restarting %s" % name)
            st.stop_redis()
            self.assertEqual(healthz(st), down("redis"))

    def test_a_stopped_service_is_down_at_once(self):
        with Stack(CORE + ["web"]) as st:
            st.wait_for(lambda: healthz(st)[0] == 200, what="a healthy stack")
            self.assertEqual(st.stop("slo"), 0)
            self.assertEqual(healthz(st), down("slo"))

    def test_configured_channels_are_services_too(self):
        cfg = harness.copy_config()
        cfg["channels"] = {"phone": {"secret": "s3cret-phone"}}
        with Stack(CORE + ["web"], config=cfg) as st:
            time.sleep(1.5)
            self.assertEqual(healthz(st), down("phone"))
            st.start("phone")
            st.wait_for(lambda: healthz(st) == (200, {"status": "ok"}), timeout=10,
                        what="/healthz 200 with opdesk-phone running")

    def test_asking_leaves_no_rejection_in_the_intake_log(self):
        with Stack(CORE + ["web"]) as st:
            st.wait_for(lambda: healthz(st)[0] == 200, what="a healthy stack")
            before = st.log("intake").count("rejected")
            for _ in range(5):
                healthz(st)
            time.sleep(0.5)
            self.assertEqual(st.log("intake").count("rejected"), before)

    def test_heartbeats_work_with_the_redis_users_of_deploy(self):
        # Each service writes its heartbeat as its own Redis user, and web
        # reads them as its own: the commands must be in deploy/redis-users.acl.
        with AclStack(CORE + ["web"]) as st:
            st.wait_for(lambda: healthz(st) == (200, {"status": "ok"}), timeout=10,
                        what="/healthz 200 (it says %s)" % (healthz(st),))
            self.assertEqual(st.stop("router"), 0)
            self.assertEqual(healthz(st), down("router"))
            self.assertIsNone(st.r.get("opd:alive:router"))


if __name__ == "__main__":
    unittest.main()
