#!/usr/bin/env python3
"""Redis CPU time per call of the three scripts of a ticket's way in
(create.lua, route.lua, arm.lua), for two versions of common/lua/ side by
side, on one private redis-server (no persistence unless --aof), in alternating rounds so that a busy machine disturbs both alike.

    python3 bench/script_cpu.py OLD NEW [--tickets N] [--rounds R]

OLD and NEW are each a folder holding schema.lua, prelude.lua, create.lua,
route.lua and arm.lua (e.g. `git archive REV common/lua | tar -x -C
/tmp/old`), run as EVAL scripts with EVALSHA, or a function library file
(build/common/opdesk_library.lua), loaded once and run with FCALL opd_NAME
as the services do (at most one of the two may be a library). Each round
flushes the database and runs N creates, N routes and N arms of one
version, pipelined 256 deep, with the arguments intake, opdesk-router and
opdesk-slo send (bench/opdesk-bench.c does the same for the built scripts);
Redis's own CPU time (INFO cpu) before and after each script is divided by
N. Prints the median over the rounds of each version, and the Redis
commands per ticket (INFO commandstats) of each."""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis

BODY = ("Hello service desk,\n\nsince this morning I cannot do my work: the problem in the "
        "subject started after I came back from lunch and has not gone away after a restart. "
        "Colleagues next to me see the same. Could someone please have a look?\n\nThanks, a user\n")


def load(r, path, name):
    """("fcall", function name) for a library file, else ("evalsha", SHA-1)."""
    if os.path.isfile(path):
        if name == "create":
            r.execute_command("FUNCTION", "LOAD", "REPLACE", open(path).read())
        return ("fcall", "opd_" + name)
    return ("evalsha", load_script(r, path, name))


def load_script(r, folder, name):
    """One EVAL script: the schema, the prelude, the line that starts each
    function of the library opdesk (harmless for an older prelude that set
    NOW and MAXLEN itself), the script."""
    parts = [open(os.path.join(folder, f + ".lua")).read() for f in ("schema", "prelude", name)]
    parts.insert(2, "NOW = tonumber(ARGV[1]); MAXLEN = ARGV[2]; NULL = cjson.null")
    return r.script_load("\n".join(parts))


def cpu(r):
    info = r.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def calls(r):
    return sum(v["calls"] for k, v in r.info("commandstats").items() if k not in ("cmdstat_evalsha", "cmdstat_fcall"))


def run(r, shas, n, depth=256):
    """One round: returns {script: us per call}, commands per ticket."""
    r.flushdb()
    r.config_resetstat()
    now = int(time.time() * 1000)
    out = {}
    ids = []

    def batch(script, argvs):
        c0 = cpu(r)
        for i in range(0, len(argvs), depth):
            p = r.pipeline(transaction=False)
            kind, ref = shas[script]
            for a in argvs[i:i + depth]:
                if kind == "fcall":
                    p.execute_command("FCALL", ref, 0, *a)
                else:
                    p.evalsha(ref, 0, *a)
            res = p.execute()
            if script == "create":
                ids.extend(x[0].decode() for x in res)
        out[script] = 1e6 * (cpu(r) - c0) / len(argvs)

    creates = []
    for i in range(n):
        ext = "cpu-%d-%d" % (now, i)
        creates.append([now, 1000000, "OPD", "api", ext, "", "bench.user@example.org",
                        "kind", "incident", "channel", "api", "external_id", ext,
                        "subject", "VPN is down at site %d" % i, "body", BODY,
                        "req_name", "Bench User", "req_email", "bench.user@example.org",
                        "received_at", now])
    batch("create", creates)
    batch("route", [[now, 1000000, t, "network", "network/vpn", "P2", "vpn", "vpn-basics"] for t in ids])
    arms = []
    for t in ids:
        a = [now, 1000000, t, "2", "standard"]
        for c, h in (("fr", 4), ("res", 16)):
            a += [c, now + h * 3600000, now + h * 2700000, "running", h * 3600000]
        arms.append(a)
    batch("arm", arms)
    return out, calls(r) / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--tickets", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--aof", action="store_true", help="append-only file on, fsync every second (as deployed)")
    o = ap.parse_args()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    tmp = tempfile.mkdtemp(prefix="script-cpu.")
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp,
                            "--save", "", "--appendonly", "yes" if o.aof else "no", "--appendfsync", "everysec",
                            "--hash-max-listpack-value", "2048"],
                           stdout=subprocess.DEVNULL)
    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        shas = {v: {s: load(r, d, s) for s in ("create", "route", "arm")}
                for v, d in (("old", o.old), ("new", o.new))}
        got = {"old": [], "new": []}
        per = {"old": 0, "new": 0}
        for _ in range(o.rounds):
            for v in ("old", "new"):
                res, per[v] = run(r, shas[v], o.tickets)
                got[v].append(res)
        for v in ("old", "new"):
            med = {s: statistics.median(x[s] for x in got[v]) for s in ("create", "route", "arm")}
            print("script_cpu: %s (%s): create %.1f us, route %.1f us, arm %.1f us, all three %.1f us; "
                  "%.1f redis commands per ticket" % (v, getattr(o, v), med["create"], med["route"],
                                                      med["arm"], sum(med.values()), per[v]))
    finally:
        srv.terminate()
        srv.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    sys.exit(main())
