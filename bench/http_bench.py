#!/usr/bin/python3
"""HTTP ticket creation per second: POST /api/v1/tickets under wrk.

Starts a private stack (Redis with AOF, intake, router, slo, web) with the
test harness, then runs wrk with C connections for D seconds, each request
a new ticket (no Idempotency-Key), and GETs of one ticket for comparison.
Prints wrk's figures and the tickets really stored.

    /usr/bin/python3 bench/http_bench.py [--connections 16] [--duration 10]
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("OPDESK_BIN", os.path.join(HERE, "..", "build", "bin"))
os.environ.setdefault("OPDESK_SOURCE", os.path.join(HERE, ".."))
import harness  # noqa: E402

POST = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer change-me-agent"
wrk.body = '{"requester": {"name": "Bench", "email": "bench@example.com"}, "subject": "Printer on floor 3 is jammed", "body": "It shows error 42 since this morning."}'
"""


def wrk(url, script, conns, secs):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % secs, "--latency", "-s", f.name, url],
                         capture_output=True, text=True).stdout
    os.unlink(f.name)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=int, default=10)
    a = ap.parse_args()
    cfg = harness.copy_config()
    # The API's rate limits would otherwise answer most of wrk's requests 429.
    cfg["channels"] = {"web": {"rate_limit": {"api_token": 100000000, "api_address": 100000000}}}
    with harness.Stack(["intake", "router", "slo", "web"], config=cfg, smtp=False) as st:
        base = "http://127.0.0.1:%d" % st.http_port
        before = int(st.r.get("opd:seq") or 0)
        print("== POST /api/v1/tickets, %d connections, %d s" % (a.connections, a.duration))
        print(wrk(base + "/api/v1/tickets", POST, a.connections, a.duration))
        stored = int(st.r.get("opd:seq") or 0) - before
        print("tickets stored: %d (%.0f per second)" % (stored, stored / a.duration))
        get = 'wrk.headers["Authorization"] = "Bearer change-me-agent"\n'
        print("== GET /api/v1/tickets/OPD-1, %d connections, %d s" % (a.connections, a.duration))
        print(wrk(base + "/api/v1/tickets/OPD-1", get, a.connections, a.duration))


if __name__ == "__main__":
    main()
