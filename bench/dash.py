#!/usr/bin/env python3
"""The team lead dashboard's server time (BENCHMARKS.md, "The lead
dashboard"): a private Redis and opdesk-web (tests/integration/harness.py's
Stack, from build/bin or $OPDESK_BIN), N tickets (10,000 by default) written
straight into the key layout (proto/keys.md), received over the last 8
weeks, then GET /agent/dashboard?team=all timed --iterations times over one
kept-alive connection as an admin. Prints p50, p99 and max, and the ms
opdesk-web itself logged (`dashboard shown ... ms=`).

    python3 bench/dash.py                          10,000 tickets, 50 pages
    python3 bench/dash.py --tickets 100000 --iterations 20
"""
import argparse
import http.client
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness  # noqa: E402
from test_console import Session  # noqa: E402

WEEK = 7 * 86400000


def ticket(i, now, rnd):
    """One ticket's hash and where it is indexed: 70 % resolved or closed
    (clocks met or breached), 30 % in work (new, open, pending)."""
    tid = "OPD-%d" % (i + 1)
    created = now - rnd.randrange(8 * WEEK)
    p1 = rnd.random() < 0.2
    team = ("network", "service-desk")[i % 2]
    done = rnd.random() < 0.7
    status = rnd.choice(("resolved", "closed")) if done else rnd.choice(("new", "open", "pending"))
    h = {"id": tid, "kind": "incident", "status": status, "priority": "P1" if p1 else "P3", "team": team,
         "channel": "api", "subject": "Bench %d" % i, "created_at": created, "received_at": created,
         "updated_at": created, "version": 3, "slo_policy": "p1" if p1 else "standard", "qteam": team,
         "assignee": rnd.choice(("alice", "bob", "")), "cnt": "%s|%s" % (team, status)}
    target = (15 if p1 else 240) * 60000
    for c in ("fr", "res"):
        due = created + (target if c == "fr" else target * 4)
        h[c + "_due"] = due
        if done or (c == "fr" and rnd.random() < 0.5):
            breached = rnd.random() < 0.1
            h[c + "_state"] = "breached" if breached else "met"
            h[c + "_met"] = due + 60000 if breached else created + rnd.randrange(target)
        else:
            h[c + "_state"] = "running"
    return tid, h, team, status, created


def load(r, n, now):
    rnd = random.Random(7)
    p = r.pipeline(transaction=False)
    for i in range(n):
        tid, h, team, status, created = ticket(i, now, rnd)
        h = {k: v for k, v in h.items() if v != ""}
        p.hset("opd:t:{" + tid + "}", mapping=h)
        p.zadd("opd:idx:all", {tid: created})
        p.zadd("opd:idx:status:" + status, {tid: created})
        p.zadd("opd:idx:team:" + team, {tid: created})
        p.hincrby("opd:count:team:" + team, status, 1)
        if status in ("new", "open", "pending"):
            dues = [int(h[c + "_due"]) for c in ("fr", "res") if h.get(c + "_state") == "running"]
            p.zadd("opd:q:due:" + team, {tid: min(dues) if dues else 8000000000000000 + created})
            if dues and now < min(dues) < now + 3600000:
                p.zadd("opd:slo:risk", {tid + "|res": min(dues)})
        for c, slo in (("fr", "first_response"), ("res", "resolution")):
            if h.get(c + "_met") and int(h[c + "_met"]) > now - 28 * 86400000:
                p.zadd("opd:slo:done:%s:%s:%s" % (h["slo_policy"], slo, h[c + "_state"]),
                       {"%s|%s" % (tid, h[c + "_due"]): int(h[c + "_met"])})
        if i % 2000 == 1999:
            p.execute()
    p.execute()


def cpu(pid):
    """utime + stime of a process, in ms."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=10000)
    ap.add_argument("--iterations", type=int, default=50)
    a = ap.parse_args()
    with harness.Stack(["web"], smtp=False) as st:
        t0 = time.time()
        load(st.r, a.tickets, harness.now_ms())
        print("dash: %d tickets loaded in %.1f s; %d in the team queues" % (
            a.tickets, time.time() - t0, st.r.zcard("opd:q:due:network") + st.r.zcard("opd:q:due:service-desk")))
        s = Session(st.http_port)
        assert s.login("change-me-admin")[0] == 303
        cookie = "; ".join("%s=%s" % kv for kv in s.cookies.items())
        c = http.client.HTTPConnection("127.0.0.1", st.http_port, timeout=60)
        times = []
        cpu0 = cpu(st.procs["web"].pid)
        for _ in range(a.iterations):
            t = time.perf_counter()
            c.request("GET", "/agent/dashboard?team=all", headers={"Cookie": cookie})
            r = c.getresponse()
            body = r.read()
            times.append((time.perf_counter() - t) * 1000)
            assert r.status == 200 and b"c-coverage" in body, (r.status, body[:300])
        used = (cpu(st.procs["web"].pid) - cpu0) / a.iterations
        times.sort()
        server = sorted(int(m) for m in re.findall(r"dashboard shown teams=\d+ ms=(\d+)", st.log("web")))
        print("dash: %d tickets, %d KiB page, p50 %.1f ms p99 %.1f ms max %.1f ms; server-side p50 %d ms max %d ms; "
              "opdesk-web CPU %.1f ms a page"
              % (a.tickets, len(body) // 1024, times[len(times) // 2], times[min(len(times) - 1, len(times) * 99 // 100)],
                 times[-1], server[len(server) // 2], server[-1], used))


if __name__ == "__main__":
    main()
