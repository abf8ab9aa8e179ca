"""Test harness: a private opdesk stack on loopback, on free ports.

Starts a real redis-server (AOF on), a real SMTP server (aiosmtpd) and the
real service binaries of the build under test ($OPDESK_BIN), and stops them
all afterwards. Every test gets its own temporary folder, Redis and ports.

    with Stack(["intake", "router", "slo", "notifier"]) as st:
        reply = st.submit(st.message(subject="VPN down"))
        st.wait_for(lambda: st.ticket(reply["ticket_id"]).get("team"))
"""
import copy
import datetime
import fcntl
import json
import os
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time

import msgpack
import redis
import zmq
from aiosmtpd.controller import Controller

BIN = os.environ.get("OPDESK_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "bin")
SOURCE = os.environ.get("OPDESK_SOURCE") or os.path.join(os.path.dirname(__file__), "..", "..")


def web_page(port, method, path, form=None, cookie=None, origin=True, source="127.0.0.1"):
    """One request to opdesk-web as a browser's form would send it: the form
    urlencoded, the cookie, this site's Origin (unless origin is False).
    Returns (status, text, headers with lower-case names)."""
    import http.client
    import urllib.parse
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(source, 0))
    h = {"Origin": "http://127.0.0.1:%d" % port} if origin else {}
    if cookie:
        h["Cookie"] = cookie
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read().decode("utf-8", "replace"), {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def now_ms():
    return int(time.time() * 1000)


def ms_of(rfc3339):
    """RFC 3339 UTC ("...:05Z" or "...:05.123Z") to ms."""
    whole, _, frac = rfc3339.rstrip("Z").partition(".")
    t = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000 + int((frac + "000")[:3])


def iso(ms):
    """ms to RFC 3339 UTC with milliseconds, as opdesk writes times in JSON."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


PORTS_FILE = os.path.join(tempfile.gettempdir(), "opdesk-test-ports")
PORT_HOLD_S = 900


def _port_candidates():
    """Ports to try, below the kernel's ephemeral range: an outgoing
    connection of any process on the machine takes its local port from that
    range, and could take a port chosen there between choosing and binding
    it (CI saw a service fail to bind so)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = min(low, 65536) - 1
    if top - 20000 < 2000:
        return None
    return random.sample(range(20000, top + 1), 1000)


def _bindable(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return None
        return s.getsockname()[1]


def free_port():
    """A free loopback port that no other test process was handed in the
    last PORT_HOLD_S seconds: the ports handed out are noted in a shared
    file under a lock, so tests running side by side (ctest -j) never start
    two services on one port between choosing it and binding it. The ports
    lie below the ephemeral range where the kernel allows it."""
    with open(PORTS_FILE, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        now = time.time()
        held = {}
        for line in f.read().split("\n"):
            bits = line.split()
            if len(bits) == 2 and bits[0].isdigit() and now - float(bits[1]) < PORT_HOLD_S:
                held[int(bits[0])] = bits[1]
        port = None
        for candidate in _port_candidates() or [0] * 1000:
            port = _bindable(candidate)
            if port and port not in held:
                break
        held[port] = "%.3f" % now
        f.seek(0)
        f.truncate()
        f.write("".join("%d %s\n" % kv for kv in held.items()))
        return port


def base_config():
    """The configuration of CONTRACT.md section 6, with every calendar 24x7 so
    that due times are easy to predict in tests."""
    return {
        "ticket_prefix": "OPD",
        "log_level": "info",
        "demo": True,  # change-me tokens below; everything on loopback (docs/decisions.md 34)
        "calendars": {
            "uk-office": {
                "timezone": "Europe/London",
                "hours": {"mon": ["08:00-18:00"], "tue": ["08:00-18:00"],
                          "wed": ["08:00-12:30", "13:30-18:00"], "thu": ["08:00-18:00"],
                          "fri": ["08:00-17:00"], "sat": [], "sun": []},
                "holidays": ["2026-12-25", "2026-12-28"]},
            "always": {"timezone": "UTC", "hours": "24x7"},
        },
        "slo_policies": [
            {"name": "p1", "match": {"priority": "P1"}, "calendar": "always",
             "first_response": "15m", "resolution": "4h", "warn_at": 0.75, "objective": 0.95},
            {"name": "standard", "match": {}, "calendar": "always",
             "first_response": "4h", "next_reply": "8h", "resolution": "16h"},
        ],
        "priority_matrix": {"high": {"high": "P1", "medium": "P2", "low": "P3"},
                            "medium": {"high": "P2", "medium": "P3", "low": "P4"},
                            "low": {"high": "P3", "medium": "P4", "low": "P4"}},
        "default_priority": "P3",
        "categories": {"hardware": {"laptop": {}, "printer": {}},
                       "network": {"vpn": {}, "wifi": {}}, "access": {}},
        "teams": [
            {"id": "network", "name": "Network", "calendar": "uk-office", "min_on_duty": 2},
            {"id": "service-desk", "name": "Service Desk", "calendar": "uk-office", "min_on_duty": 1},
        ],
        "default_team": "service-desk",
        "agents": [{"id": "alice", "name": "Alice Jones", "email": "alice@example.org",
                    "teams": ["network"]},
                   {"id": "bob", "name": "Bob Smith", "email": "bob@example.org",
                    "teams": ["service-desk"]}],
        "shifts": [{"agent": "alice", "team": "network", "days": ["mon", "tue", "wed", "thu", "fri"],
                    "from": "08:00", "to": "16:00", "timezone": "Europe/London"}],
        "routing_rules": [
            {"name": "vpn", "when": {"keywords": ["vpn", "remote access"], "in": ["subject", "body"]},
             "then": {"team": "network", "category": "network/vpn", "priority": "P2",
                      "standard_response": "vpn-basics"}},
        ],
        "standard_responses": [
            {"id": "vpn-basics", "subject": "VPN troubleshooting",
             "body": "Please restart the VPN client and try again.",
             "guide_url": "https://wiki.example.org/vpn"}],
        "footer": "Service Desk, phone +44 20 7946 0000, Mon-Fri 08:00-18:00. "
                  "Reply to this message to update your request.\n",
        "request_types": [
            {"id": "new-laptop", "name": "New laptop", "fields": [
                {"name": "cost_centre", "type": "string", "required": True, "pattern": "^[0-9]{6}$"},
                {"name": "model", "type": "enum", "values": ["standard", "developer"], "required": True},
                {"name": "manager_email", "type": "email", "pii": True}]}],
        "retention": {"closed_days": 365, "per_category": {"access": 90}},
        "notifications": {"smtp": {"url": "smtp://127.0.0.1:25", "from": "servicedesk@example.org"},
                          "webhooks": []},
        "limits": {"body_bytes": 1048576, "frame_bytes": 2097152},
        "tokens": [
            {"token": "change-me-agent", "role": "agent", "identity": "alice"},
            {"token": "change-me-lead", "role": "lead", "identity": "bob"},
            {"token": "change-me-admin", "role": "admin", "identity": "admin"},
            {"token": "change-me-requester", "role": "requester", "identity": "rita@example.com"}],
    }


class _Sink:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "data": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


class SmtpServer:
    def __init__(self, port=None):
        self.port = port or free_port()
        self.sink = _Sink()
        self.controller = None

    def start(self):
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        with self.sink.lock:
            return list(self.sink.messages)


class EventSub:
    """A SUB socket on the events endpoint."""

    def __init__(self, ctx, endpoint, topics=("",)):
        self.sock = ctx.socket(zmq.SUB)
        for t in topics:
            self.sock.setsockopt(zmq.SUBSCRIBE, t.encode())
        self.sock.connect(endpoint)

    def recv(self, timeout=5.0):
        """The next event as (topic, dict), or None after timeout seconds."""
        if not self.sock.poll(int(timeout * 1000)):
            return None
        topic, body = self.sock.recv_multipart()
        return topic.decode(), msgpack.unpackb(body, raw=False)

    def wait(self, pred, timeout=10.0):
        """Events until one satisfies pred(topic, event); returns it or None."""
        end = time.time() + timeout
        while time.time() < end:
            ev = self.recv(max(0.01, end - time.time()))
            if ev and pred(*ev):
                return ev
        return None

    def close(self):
        self.sock.close(0)


class Stack:
    SERVICES = ("intake", "router", "slo", "notifier", "anonymiser", "phone", "web")

    def __init__(self, services=("intake", "router", "slo", "notifier"), config=None,
                 smtp=True):
        self.services = list(services)
        self.tmp = tempfile.mkdtemp(prefix="opdesk-test-")
        self.redis_port = free_port()
        self.intake_port = free_port()
        self.events_port = free_port()
        self.http_port = free_port()
        self.phone_port = free_port()
        self.smtp = SmtpServer() if smtp else None
        self.config = config or base_config()
        # Tests run side by side on the same cores: an anonymiser on idle CPU
        # time only (the default, retention.background) could wait seconds
        # for a core there. test_anonymiser.BackgroundTest checks the default.
        self.config.setdefault("retention", {}).setdefault("background", False)
        self.config["redis"] = {"host": "127.0.0.1", "port": self.redis_port}
        self.config["endpoints"] = {
            "intake": "tcp://127.0.0.1:%d" % self.intake_port,
            "events": "tcp://127.0.0.1:%d" % self.events_port,
            "http": "127.0.0.1:%d" % self.http_port,
            "phone": "127.0.0.1:%d" % self.phone_port}
        if self.smtp:
            self.config.setdefault("notifications", {}).setdefault("smtp", {})
            self.config["notifications"]["smtp"]["url"] = "smtp://127.0.0.1:%d" % self.smtp.port
        self.config_path = os.path.join(self.tmp, "opdesk.yaml")
        self.procs = {}
        self.redis_proc = None
        self.ctx = zmq.Context()
        self.r = None
        self._subs = []

    # --- lifecycle -------------------------------------------------------
    def write_config(self):
        # YAML is a superset of JSON: the harness writes JSON.
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=1)

    def start_redis(self):
        self.redis_proc = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", self.tmp, "--appendonly", "yes", "--save", "", "--daemonize", "no",
             # Tickets stay compact hashes up to 2 KiB per field (docs/deploy.md).
             "--hash-max-listpack-value", "2048",
             "--logfile", os.path.join(self.tmp, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.r = redis.Redis(host="127.0.0.1", port=self.redis_port, decode_responses=True)
        self.wait_for(lambda: self._ping(), timeout=10, what="redis to answer")

    def _ping(self):
        try:
            return self.r.ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop_redis(self):
        if self.redis_proc:
            self.redis_proc.terminate()
            self.redis_proc.wait(10)
            self.redis_proc = None

    def log_path(self, name):
        return os.path.join(self.tmp, name + ".log")

    def start(self, name, wait=True, args=()):
        binary = os.path.join(BIN, "opdesk-" + name)
        log = open(self.log_path(name), "a")
        start_at = os.path.getsize(self.log_path(name))
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        p = subprocess.Popen([binary, "--config", self.config_path, *args], stdout=log,
                             stderr=subprocess.STDOUT, env=env)
        log.close()
        self.procs[name] = p
        if wait:
            self.wait_for(lambda: self._ready(name, start_at) or p.poll() is not None,
                          timeout=15, what=name + " to be ready")
            if p.poll() is not None:
                raise RuntimeError("%s exited with %s:\n%s" % (name, p.returncode, self.log(name)))
        return p

    def _ready(self, name, start_at):
        with open(self.log_path(name)) as f:
            f.seek(start_at)
            return " ready" in f.read()

    def log(self, name):
        try:
            with open(self.log_path(name)) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self, name, sig=signal.SIGTERM, timeout=15):
        """Stops a service; returns its exit code."""
        p = self.procs.pop(name, None)
        if not p:
            return None
        if p.poll() is None:
            p.send_signal(sig)
        return p.wait(timeout)

    def kill(self, name):
        return self.stop(name, signal.SIGKILL)

    def close_clean(self, stop, read=(), absent=()):
        """Ends a test class's stack: stops the services named in stop (each
        must exit 0; in the sanitizer build leaks are reported at exit),
        then the rest. Fails when their logs, or those of the services
        named in read, hold a sanitizer report or one of the texts in
        absent (personal data, or links that are secrets)."""
        codes = {name: self.stop(name) for name in stop}
        log = "".join(self.log(n) for n in list(stop) + [n for n in read if n not in stop])
        self.__exit__(None, None, None)
        assert all(c == 0 for c in codes.values()), "exited %s:\n%s" % (codes, log[-3000:])
        assert "Sanitizer" not in log and "runtime error" not in log, log[-3000:]
        for text in absent:
            assert text not in log, "%r in a log" % text

    def __enter__(self):
        try:
            self.write_config()
            self.start_redis()
            if self.smtp:
                self.smtp.start()
            for s in self.services:
                self.start(s)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        bad = []
        for name in list(self.procs):
            code = self.stop(name)
            if code not in (0, None):
                bad.append("%s exited %s after SIGTERM:\n%s" % (name, code, self.log(name)[-4000:]))
        for s in self._subs:
            s.close()
        self.ctx.destroy(0)
        if self.smtp:
            self.smtp.stop()
        self.stop_redis()
        if exc_type is not None:
            for name in self.SERVICES:
                text = self.log(name)
                if text:
                    print("----- %s log (last lines)\n%s" % (name, text[-3000:]))
        if exc_type is None:
            bad += self.personal_data_in_logs()
        if bad and exc_type is None:
            raise AssertionError("\n".join(bad))
        return False

    # Personal data the tests use: it must never reach a service's log
    # (services log ticket ids, never names, addresses or numbers).
    PERSONAL = ("rita@example.com", "Rita Requester", "+442079460000", "+44 20 7946 0000")

    def personal_data_in_logs(self):
        found = []
        for f in sorted(os.listdir(self.tmp)):
            if not f.endswith(".log") or f == "redis.log":
                continue
            with open(os.path.join(self.tmp, f), errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    hit = [p for p in self.PERSONAL if p.lower() in line.lower()]
                    if hit:
                        found.append("%s line %d holds personal data %s: %s" % (f, n, hit, line.strip()[:300]))
        return found[:20]

    # --- helpers ---------------------------------------------------------
    def wait_for(self, pred, timeout=10.0, interval=0.02, what="a condition"):
        end = time.time() + timeout
        while time.time() < end:
            v = pred()
            if v:
                return v
            time.sleep(interval)
        raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))

    @staticmethod
    def message(**over):
        """An intake.submit map with sensible values; keyword arguments override."""
        m = {"v": 1, "type": "intake.submit", "channel": "api",
             "external_id": "ext-%d-%d" % (os.getpid(), time.time_ns()),
             "requester": {"name": "Rita Requester", "email": "rita@example.com"},
             "subject": "Printer on floor 3 is jammed", "body": "It shows error 42."}
        m.update(over)
        return m

    def submit_raw(self, frame, timeout=10.0):
        """Sends one frame to intake over a fresh REQ socket; returns the reply map."""
        s = self.ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(self.config["endpoints"]["intake"])
        try:
            s.send(frame)
            if not s.poll(int(timeout * 1000)):
                raise AssertionError("intake did not answer within %.1fs" % timeout)
            return msgpack.unpackb(s.recv(), raw=False)
        finally:
            s.close(0)

    def submit(self, msg, timeout=10.0):
        return self.submit_raw(msgpack.packb(msg, use_bin_type=True), timeout)

    def subscribe(self, *topics):
        sub = EventSub(self.ctx, self.config["endpoints"]["events"], topics or ("",))
        self._subs.append(sub)
        time.sleep(0.3)  # the slow-joiner: let the subscription reach the publisher
        return sub

    def ticket(self, ticket_id):
        """The raw ticket hash in Redis."""
        return self.r.hgetall("opd:t:{" + ticket_id + "}")

    def cli(self, *args, check=True, input=None):
        """Runs build/bin/opdesk with this stack's configuration."""
        p = subprocess.run([os.path.join(BIN, "opdesk"), "--config", self.config_path, *args],
                           capture_output=True, text=True, timeout=60, input=input)
        if check and p.returncode != 0:
            raise AssertionError("opdesk %s failed (%d): %s%s" % (" ".join(args), p.returncode,
                                                                  p.stdout, p.stderr))
        return p

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--json").stdout)

    def reconfigure(self):
        self.write_config()
        for p in self.procs.values():
            p.send_signal(signal.SIGHUP)

    def events_history(self):
        """Every event in the durable history, as (topic, dict)."""
        raw = redis.Redis(host="127.0.0.1", port=self.redis_port)
        out = []
        for _id, fields in raw.xrange("opd:events"):
            out.append((fields[b"t"].decode(), msgpack.unpackb(fields[b"m"], raw=False)))
        return out


def copy_config():
    return copy.deepcopy(base_config())


def lua_source(name):
    """A script of common/lua/ as one EVAL script (for benchmarks): the
    schema tables, the prelude, the line that starts each function of the
    library opdesk, and the script (common/embed_lua.cmake)."""
    lua = os.path.join(SOURCE, "common", "lua")
    parts = []
    for part in ("schema", "prelude", name):
        with open(os.path.join(lua, part + ".lua")) as f:
            parts.append(f.read())
        if part == "prelude":
            parts.append("NOW = tonumber(ARGV[1]); MAXLEN = ARGV[2]; NULL = cjson.null")
    return "\n".join(parts)


def library_source():
    """The Redis function library opdesk of the build under test."""
    with open(os.path.join(BIN, "..", "common", "opdesk_library.lua")) as f:
        return f.read()


def run_script(st, name, *args):
    """Runs a store script the way the services do: FCALL opd_NAME with
    ARGV = now, maxlen, args... (the library loaded when Redis lacks it)."""
    now = int(time.time() * 1000)
    call = ("FCALL", "opd_" + name, 0, now, 1000000) + args
    try:
        return st.r.execute_command(*call)
    except redis.exceptions.ResponseError as e:
        if "Function not found" not in str(e):
            raise
    st.r.execute_command("FUNCTION", "LOAD", "REPLACE", library_source())
    return st.r.execute_command(*call)
