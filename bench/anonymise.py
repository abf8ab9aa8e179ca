"""Anonymiser throughput: N closed tickets (created by create.lua as intake
would, each with a requester comment, a participant and an idempotency key),
then one real `opdesk anonymise` run timed from the outside, the ticket step
and the sweep separately (the run's receipt has the counts).

    OPDESK_BIN=build/bin python3 bench/anonymise.py [N]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def fill(st, n):
    create = harness.lua_source("create")
    comment = harness.lua_source("comment")
    sha_c = st.r.script_load(create)
    sha_m = st.r.script_load(comment)
    now = harness.now_ms()
    p = st.r.pipeline(transaction=False)
    for i in range(n):
        p.evalsha(sha_c, 0, now, 100000, "OPD", "api", "bench-%d@mail.example" % i, "", "",
                  "req_name", "Person %d" % i, "req_email", "p%d@example.com" % i, "req_phone",
                  "+4477009%05d" % i, "subject", "Printer for Person %d at 10.0.%d.%d" % (i, i % 250, i % 200),
                  "body", "Call me on 07700 9%05d" % i, "participants", '["cc%d@example.com"]' % i,
                  "channel", "api", "external_id", "bench-%d@mail.example" % i, "status", "new",
                  "received_at", now)
        if len(p) >= 1000:
            p.execute()
    p.execute()
    for i in range(1, n + 1):
        tid = "OPD-%d" % i
        p.evalsha(sha_m, 0, now, 100000, tid, "p%d@example.com" % (i - 1), "requester", "1",
                  "It is still broken, Person %d" % (i - 1), "")
        p.hset("opd:t:" + tid, mapping={"status": "closed", "closed_at": now - 1000})
        p.zadd("opd:closed", {tid: now - 1000})
        if len(p) >= 1500:
            p.execute()
    p.execute()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    cfg = harness.copy_config()
    cfg["retention"] = {"closed_days": 0, "per_category": {}}
    cfg["limits"]["body_bytes"] = 100000
    with harness.Stack([], config=cfg) as st:
        t0 = time.time()
        fill(st, n)
        print("filled %d closed tickets in %.1f s" % (n, time.time() - t0))
        keys = st.r.dbsize()
        st.r.config_resetstat()
        t0 = time.time()
        done = st.cli_json("anonymise")
        took = time.time() - t0
        run = st.r.zrange("opd:anon:runs", 0, -1)[-1]
        receipt = st.r.hgetall("opd:anon:run:" + run)
        assert len(done) == n, len(done)
        print("anonymised %d tickets (%d keys in Redis) in %.2f s: %.0f tickets/s" % (n, keys, took, n / took))
        stats = st.r.info("commandstats")
        for name in ("cmdstat_evalsha", "cmdstat_hmget", "cmdstat_scan", "cmdstat_del", "cmdstat_xrange"):
            if name in stats:
                print("%s calls=%d usec_per_call=%.1f" % (name[8:], stats[name]["calls"],
                                                         stats[name]["usec_per_call"]))
        print("receipt: %s" % " ".join("%s=%s" % kv for kv in sorted(receipt.items())))


if __name__ == "__main__":
    main()
