"""Redis with the ACL file of deploy/redis-users.acl: every service logs in as
its own user (redis.username "opdesk-{service}", redis.password_file), a
ticket goes end to end, and nothing opdesk does is refused; a service user is
refused what it must not do, and a wrong password is refused and never
logged."""
import os
import subprocess
import unittest

import redis

import harness
from harness import Stack

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVICES = ["intake", "router", "slo", "notifier", "anonymiser", "web", "phone"]
PHONE_SECRET = "phone-secret-0123456789"


class AclStack(Stack):
    """A Stack whose Redis loads the users written by deploy/redis-users.sh."""

    def __init__(self, services, config=None):
        super().__init__(services, config=config)
        self.secrets = os.path.join(self.tmp, "secrets")
        self.config["redis"]["username"] = "opdesk-{service}"
        self.config["redis"]["password_file"] = os.path.join(self.secrets, "redis-{service}")

    def password(self, name):
        with open(os.path.join(self.secrets, "redis-" + name)) as f:
            return f.read().strip()

    def start_redis(self):
        subprocess.run(["sh", os.path.join(ROOT, "deploy", "redis-users.sh"), self.secrets],
                       check=True, capture_output=True)
        self.redis_proc = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", self.tmp, "--appendonly", "yes", "--save", "", "--daemonize", "no",
             "--aclfile", os.path.join(self.secrets, "users.acl"),
             "--logfile", os.path.join(self.tmp, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.r = redis.Redis(host="127.0.0.1", port=self.redis_port, decode_responses=True,
                             username="opdesk-admin", password=self.password("admin"))
        self.wait_for(lambda: self._ping(), timeout=10, what="redis to answer")

    def as_user(self, name, password=None):
        return redis.Redis(host="127.0.0.1", port=self.redis_port, decode_responses=True,
                           username="opdesk-" + name,
                           password=password if password is not None else self.password(name))


def acl_config():
    cfg = harness.copy_config()
    cfg["channels"] = {"phone": {"secret": PHONE_SECRET, "default_country_code": "44"}}
    return cfg


class RedisAclTest(unittest.TestCase):
    def test_every_service_as_its_own_user_ticket_end_to_end(self):
        with AclStack(SERVICES, config=acl_config()) as st:
            tid = st.submit(st.message(subject="VPN is down", body="Since this morning."))["ticket_id"]
            st.wait_for(lambda: st.ticket(tid).get("team") == "network", timeout=20, what="routing")
            st.wait_for(lambda: st.r.zcard("opd:timers") >= 1 or st.ticket(tid).get("slo"),
                        timeout=20, what="the SLO clocks")
            st.wait_for(lambda: any("[%s]" % tid in m["data"] for m in st.smtp.messages),
                        timeout=20, what="the acknowledgement mail")
            # The web API and the command line, each as its own user.
            import urllib.request
            req = urllib.request.Request("http://127.0.0.1:%d/api/v1/tickets/%s" % (st.http_port, tid),
                                         headers={"Authorization": "Bearer change-me-agent"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                self.assertEqual(resp.status, 200)
            st.cli("comment", tid, "--body", "Please restart the client.", "--as", "alice")
            st.cli("show", tid)
            # The rota (services/rota): an absence through the web, coverage,
            # absences and overrides through the command line; opdesk-slo's
            # coverage.gap pass has run at start.
            import json
            day = (harness.now_ms() // 86400000 + 3) * 86400000
            body = json.dumps({"from": harness.iso(day + 9 * 3600000), "to": harness.iso(day + 11 * 3600000),
                               "kind": "sickness"}).encode()
            req = urllib.request.Request("http://127.0.0.1:%d/api/v1/absences" % st.http_port, data=body,
                                         headers={"Authorization": "Bearer change-me-agent",
                                                  "Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                self.assertEqual(resp.status, 201)
            st.cli("coverage", "--json")
            aid = st.cli("absence", "add", "--agent", "bob", "--kind", "other", "--from",
                         harness.iso(day), "--to", harness.iso(day + 3600000)).stdout.strip()
            st.cli("absence", "remove", aid)
            oid = st.cli("shift", "add", "--agent", "alice", "--team", "network", "--from",
                         harness.iso(day), "--to", harness.iso(day + 3600000)).stdout.strip()
            st.cli("shift", "remove", oid)

            def gaps():
                req = urllib.request.Request("http://127.0.0.1:%d/api/v1/events?topic=coverage.gap" % st.http_port,
                                             headers={"Authorization": "Bearer change-me-agent"})
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return json.loads(resp.read())["items"]
            st.wait_for(gaps, timeout=10, what="coverage.gap")
            # A legal hold and an erasure request (opdesk-cli SCANs and XDELs
            # in the sweep), then the anonymiser's own sweep (SIGHUP: a pass).
            st.cli("update", tid, "--status", "resolved", "--note", "fixed")
            st.cli("update", tid, "--status", "closed")
            st.cli("hold", tid, "--reason", "audit", "--as", "bob")
            st.cli("hold", tid, "--lift", "--as", "bob")
            self.assertEqual(st.cli_json("anonymise", "--ticket", tid), [{"ticket_id": tid, "rule": "request"}])
            st.r.zadd("opd:anon:pending", {tid: harness.now_ms()})
            st.procs["anonymiser"].send_signal(__import__("signal").SIGHUP)
            st.wait_for(lambda: st.r.zcard("opd:anon:pending") == 0, timeout=15, what="the anonymiser's sweep")
            # Each service is connected as its own user ...
            users = {c.get("user") for c in st.r.client_list()}
            for s in SERVICES:
                self.assertIn("opdesk-" + s, users)
            # ... and Redis refused none of what opdesk did.
            log = st.r.execute_command("ACL", "LOG")
            self.assertEqual(log, [], "Redis refused commands opdesk sends: %r" % (log,))
            for s in SERVICES:
                self.assertNotIn(st.password(s), st.log(s))

    def test_service_user_is_refused_what_it_must_not_do(self):
        with AclStack(["intake"]) as st:
            router = st.as_user("router")
            self.assertTrue(router.ping())
            router.hset("opd:acl-test", "a", "1")  # its own keys: allowed
            for cmd in (["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "*"], ["KEYS", "*"],
                        ["SCAN", "0"], ["CLIENT", "LIST"], ["INFO"], ["ACL", "LIST"],
                        ["EVAL", "return 1", "0"], ["SHUTDOWN", "NOSAVE"],
                        ["FUNCTION", "FLUSH"], ["FUNCTION", "DELETE", "opdesk"]):
                with self.assertRaises(redis.exceptions.NoPermissionError, msg=cmd[0]):
                    router.execute_command(*cmd)
            # Keys outside opd:* are out of reach.
            with self.assertRaises(redis.exceptions.NoPermissionError):
                router.set("elsewhere", "1")
            # A wrong password and the default user are refused.
            refused = (redis.exceptions.AuthenticationError, redis.exceptions.ResponseError)
            with self.assertRaisesRegex(refused, "WRONGPASS"):
                st.as_user("router", password="wrong-password-0123456789").ping()
            with self.assertRaisesRegex(refused, "Authentication required"):
                redis.Redis(host="127.0.0.1", port=st.redis_port).ping()
            # Another service's password does not open this user.
            with self.assertRaisesRegex(refused, "WRONGPASS"):
                st.as_user("router", password=st.password("web")).ping()
            # The health check's user may PING without a password, and nothing else.
            health = redis.Redis(host="127.0.0.1", port=st.redis_port, decode_responses=True,
                                 username="healthcheck", password="anything")
            self.assertTrue(health.ping())
            with self.assertRaises(redis.exceptions.NoPermissionError):
                health.hgetall("opd:acl-test")
            # Nothing was written but the test's key (and the heartbeats,
            # opd:alive:*, and the layout of the keys the first service found,
            # with the mark that a new desk has no older links to find).
            self.assertEqual(sorted(k for k in st.r.keys() if not k.startswith("opd:alive:")),
                             ["opd:acl-test", "opd:anon:linked", "opd:layout"])

    def test_wrong_password_is_refused_and_not_logged(self):
        with AclStack(["intake"]) as st:
            wrong = "wrong-password-5b1e77c0a9"
            # The router reads a file holding another password.
            path = os.path.join(st.secrets, "redis-router")
            os.chmod(path, 0o600)
            with open(path, "w") as f:
                f.write(wrong + "\n")
            st.start("router", wait=False)
            st.wait_for(lambda: "AUTH failed" in st.log("router"), timeout=15,
                        what="the router to log the refused AUTH")
            text = st.log("router")
            self.assertIn("user=opdesk-router", text)
            self.assertNotIn(wrong, text)
            self.assertNotIn(st.password("web"), text)


class RedisUsersScriptTest(unittest.TestCase):
    def test_owners_get_their_file_alone_and_passwords_are_kept(self):
        import stat
        import tempfile
        d = os.path.join(tempfile.mkdtemp(prefix="opdesk-users-"), "secrets")
        script = os.path.join(ROOT, "deploy", "redis-users.sh")
        # OWNERS names some services only (as docker-compose.yml does): the
        # others keep the runner's files.
        env = dict(os.environ, OWNERS="router=%d web=%d" % (os.getuid(), os.getuid()))
        p = subprocess.run(["sh", script, d], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "redis-router")).st_mode), 0o400)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "redis-intake")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "users.acl")).st_mode), 0o444)
        with open(os.path.join(d, "redis-web")) as f:
            first = f.read()
        self.assertRegex(first, r"^[0-9a-f]{64}$")
        with open(os.path.join(d, "users.acl")) as f:
            acl = f.read()
        self.assertNotIn(first, acl)  # hashes only
        # A second run keeps every password.
        p = subprocess.run(["sh", script, d], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("0 new password(s)", p.stdout)
        with open(os.path.join(d, "redis-web")) as f:
            self.assertEqual(f.read(), first)


if __name__ == "__main__":
    unittest.main()
