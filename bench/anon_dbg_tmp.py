"""Anonymiser benchmark (issue 13), two measurements on a private Redis (AOF
on) with the real binaries of build/bin:

1. throughput: N closed tickets (created by create.lua as intake would,
   each with a requester comment, a participant and an idempotency key),
   then one real `opdesk anonymise` run timed from the outside, the ticket
   step and the sweep separately (the run's receipt has the counts);
   --rounds K runs it K times on fresh tickets and prints the median.
2. intake's ack latency (--latency): opdesk-intake and opdesk-router
   running, requests submitted at a steady rate (open loop: latency counted
   from when each request was due, as opdesk-bench does), in alternating
   windows without and with an `opdesk anonymise` run of N fresh closed
   tickets going on; p50/p99 of each kind of window, their medians over
   the rounds and the ratio of the p99s.

    OPDESK_BIN=build/bin /usr/bin/python3 bench/anonymise.py [N] [--rounds K]
        [--latency] [--rate R] [--batch B] [--pause-ms P]

--batch and --pause-ms set retention.batch and retention.pause_ms (the
anonymiser's tickets per script call and its pause after each; defaults 10
and 20 ms, which keep intake's ack p99 within 20%; --batch 50 --pause-ms 0
is the fastest run).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import msgpack
import zmq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def fill(st, n, first=1):
    """n closed tickets, numbered from first (opd:seq must be first - 1)."""
    create = harness.lua_source("create")
    comment = harness.lua_source("comment")
    sha_c = st.r.script_load(create)
    sha_m = st.r.script_load(comment)
    now = harness.now_ms()
    p = st.r.pipeline(transaction=False)
    for i in range(first - 1, first - 1 + n):
        p.evalsha(sha_c, 0, now, 100000, "OPD", "api", "bench-%d@mail.example" % i, "", "",
                  "req_name", "Person %d" % i, "req_email", "p%d@example.com" % i, "req_phone",
                  "+4477009%05d" % i, "subject", "Printer for Person %d at 10.0.%d.%d" % (i, i % 250, i % 200),
                  "body", "Call me on 07700 9%05d" % i, "participants", '["cc%d@example.com"]' % i,
                  "channel", "api", "external_id", "bench-%d@mail.example" % i, "status", "new",
                  "received_at", now)
        if len(p) >= 1000:
            p.execute()
    p.execute()
    p = st.r.pipeline(transaction=False)
    for i in range(first, first + n):
        tid = "OPD-%d" % i
        p.evalsha(sha_m, 0, now, 100000, tid, "p%d@example.com" % (i - 1), "requester", "1",
                  "It is still broken, Person %d" % (i - 1), "")
        p.hset("opd:t:{" + tid + "}", mapping={"status": "closed", "closed_at": now - 1000})
        p.zadd("opd:closed", {tid: now - 1000})
        if len(p) >= 1500:
            p.execute()
    p.execute()
    # A desk made by this version: its keys in this layout (no migration
    # when the command line connects), its tickets recording their threaded
    # messages (no older links to find, decision 164).
    st.r.set("opd:layout", harness.library_source().split("local LAYOUT = '")[1].split("'")[0])
    st.r.set("opd:anon:linked", "1")


def config(args):
    cfg = harness.copy_config()
    cfg["retention"] = {"closed_days": 0, "per_category": {}}
    if args.batch is not None:
        cfg["retention"]["batch"] = args.batch
    if args.pause_ms is not None:
        cfg["retention"]["pause_ms"] = args.pause_ms
    cfg["limits"]["body_bytes"] = 100000
    return cfg


def cpu_s(pid):
    """CPU seconds (user + system) process pid has used so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def anonymise_once(st, n):
    """Fills n closed tickets and times one run; returns (tickets/s, Redis CPU
    us per ticket, receipt)."""
    st.r.flushall()
    fill(st, n)
    st.r.config_resetstat()
    cpu0 = cpu_s(st.redis_proc.pid)
    t0 = time.time()
    done = st.cli_json("anonymise")
    took = time.time() - t0
    cpu = cpu_s(st.redis_proc.pid) - cpu0
    assert len(done) == n, len(done)
    run = st.r.zrange("opd:anon:runs", 0, -1)[-1]
    return n / took, cpu * 1e6 / n, st.r.hgetall("opd:anon:run:" + run)


def throughput(args):
    with harness.Stack([], config=config(args)) as st:
        rates, cpus = [], []
        for k in range(args.rounds):
            rate, cpu, receipt = anonymise_once(st, args.n)
            rates.append(rate)
            cpus.append(cpu)
            stats = st.r.info("commandstats")
            # The run's commands (stats reset after the fill), the costliest
            # first: calls/us per call (FCALL's time holds its inner calls).
            top = sorted((k for k in stats if k.startswith("cmdstat_")), key=lambda k: -stats[k]["usec"])
            calls = " ".join("%s=%d/%.1fus" % (name[8:], stats[name]["calls"], stats[name]["usec_per_call"])
                             for name in top[:8])
            print("round %d: %d tickets in %.2f s: %.0f tickets/s, Redis CPU %.0f us/ticket, walk_ms=%s "
                  "sweep_ms=%s load=%.1f (%s)"
                  % (k + 1, args.n, args.n / rate, rate, cpu, receipt.get("walk_ms"), receipt.get("sweep_ms"),
                     os.getloadavg()[0], calls), flush=True)
        print("anonymise: median %.0f tickets/s, Redis CPU %.0f us/ticket, over %d runs of %d tickets "
              "(batch %s, pause %s ms)" % (statistics.median(rates), statistics.median(cpus), len(rates), args.n,
                                          args.batch or "default", args.pause_ms
                                          if args.pause_ms is not None else "default"), flush=True)
        return statistics.median(rates)


class Submitter:
    """Submits to intake at a steady rate from a pool of REQ sockets; each
    ack's latency counts from when its request was due."""

    def __init__(self, st, rate):
        self.st, self.rate = st, rate
        self.ctx = zmq.Context()
        self.free = []
        for _ in range(32):
            s = self.ctx.socket(zmq.REQ)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(st.config["endpoints"]["intake"])
            self.free.append(s)
        self.seq = 0

    def window(self, seconds=None, until=None):
        """Submits for seconds (or until until() is true); returns the latencies in ms."""
        poller = zmq.Poller()
        busy = {}
        lat = []
        self.at = []
        start = time.monotonic()
        due = start
        period = 1.0 / self.rate
        while True:
            now = time.monotonic()
            stop = (seconds is not None and now - start >= seconds) or (until is not None and until())
            if stop and not busy:
                break
            if not stop and now >= due and self.free:
                s = self.free.pop()
                self.seq += 1
                m = self.st.message(external_id="lat-%d-%d" % (os.getpid(), self.seq),
                                       subject="Printer jammed", body="It shows error 42.")
                s.send(msgpack.packb(m, use_bin_type=True))
                busy[s] = due
                poller.register(s, zmq.POLLIN)
                due += period
                continue
            wait = max(0.0, due - time.monotonic()) if self.free and not stop else 0.05
            for s, _ in poller.poll(int(wait * 1000)):
                reply = msgpack.unpackb(s.recv(), raw=False)
                assert reply.get("type") == "intake.accepted", reply
                d = busy.pop(s)
                lat.append((time.monotonic() - d) * 1000)
                self.at.append(d - start)
                poller.unregister(s)
                self.free.append(s)
        return lat

    def close(self):
        for s in self.free:
            s.close(0)
        self.ctx.term()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def latency(args):
    cfg = config(args)
    with harness.Stack(["intake", "router"], config=cfg, smtp=False) as st:
        sub = Submitter(st, args.rate)
        sub.window(seconds=1.0)  # warm-up
        rows = {"without": [], "with": []}
        pooled = {"without": [], "with": []}
        for k in range(args.rounds):
            # Fresh closed tickets, numbered after what intake made so far.
            first = int(st.r.get("opd:seq") or 0) + 1
            fill(st, args.n, first)
            st.r.config_set("slowlog-log-slower-than", 1000); st.r.slowlog_reset(); st.r.config_resetstat()
            proc = subprocess.Popen([os.path.join(harness.BIN, "opdesk"), "--config", st.config_path,
                                     "anonymise"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            t0 = time.monotonic()
            lat_with = sub.window(until=lambda: proc.poll() is not None)
            took = time.monotonic() - t0
            err = proc.stderr.read().decode()
            assert proc.wait() == 0, err
            st.r.config_set("slowlog-log-slower-than", 1000)
            print("fcall", {k: v for k, v in st.r.info("commandstats").items() if k in ("cmdstat_fcall", "cmdstat_xrange", "cmdstat_scan", "cmdstat_hmget", "cmdstat_evalsha")})
            print("slowlog", [(e["duration"], e["command"][:60]) for e in st.r.slowlog_get(20)])
            st.r.slowlog_reset(); st.r.config_resetstat()
            slow = [(round(a / took * 10), round(l, 1)) for a, l in zip(sub.at, lat_with) if l > 2.5]
            print("slow acks (tenth of the run, ms):", slow)
            import re
            print([l[11:23] + l[l.index(" info ") + 6:][:60] for l in err.splitlines() if "canary" in l or "receipt" in l or "links" in l][:6])
            print("run started", time.strftime("%H:%M:%S", time.gmtime(time.time() - took)), "took", round(took, 2))
            lat_without = sub.window(seconds=max(took, 2.0))
            for kind, lat in (("with", lat_with), ("without", lat_without)):
                rows[kind].append((pct(lat, 50), pct(lat, 99), len(lat)))
                pooled[kind] += lat
            print("round %d: anonymise %d tickets in %.2f s; ack without p50 %.2f ms p99 %.2f ms (%d); "
                  "with p50 %.2f ms p99 %.2f ms (%d); load=%.1f"
                  % (k + 1, args.n, took, rows["without"][-1][0], rows["without"][-1][1], rows["without"][-1][2],
                     rows["with"][-1][0], rows["with"][-1][1], rows["with"][-1][2], os.getloadavg()[0]),
                  flush=True)
        sub.close()
        med = {kind: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v))
               for kind, v in rows.items()}
        print("ack at %d/s: without p50 %.2f ms p99 %.2f ms; with anonymiser p50 %.2f ms p99 %.2f ms; "
              "p99 ratio %.2f (medians of %d rounds, batch %s, pause %s ms)"
              % (args.rate, med["without"][0], med["without"][1], med["with"][0], med["with"][1],
                 med["with"][1] / med["without"][1], args.rounds, args.batch or "default",
                 args.pause_ms if args.pause_ms is not None else "default"), flush=True)
        # A round's p99 is its fifth-worst ack or so: the p99 of every ack of
        # a kind, over all rounds, is the steadier figure.
        p99 = {kind: pct(v, 99) for kind, v in pooled.items()}
        print("ack at %d/s, every round's acks together: without p99 %.2f ms (%d acks), with anonymiser "
              "p99 %.2f ms (%d acks); p99 ratio %.2f"
              % (args.rate, p99["without"], len(pooled["without"]), p99["with"], len(pooled["with"]),
                 p99["with"] / p99["without"]), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int, nargs="?", default=10000, help="tickets per anonymiser run")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--latency", action="store_true", help="measure intake's ack latency instead")
    ap.add_argument("--rate", type=int, default=200, help="submissions per second (--latency)")
    ap.add_argument("--batch", type=int, help="retention.batch (default: the configuration's default)")
    ap.add_argument("--pause-ms", type=int, help="retention.pause_ms (default: the configuration's default)")
    args = ap.parse_args()
    if args.latency:
        latency(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
