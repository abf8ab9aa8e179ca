#!/usr/bin/env bash
# The SLO timer benchmark (BENCHMARKS.md, "SLO timers"): a private Redis
# (AOF on, fsync every second), opdesk-intake and opdesk-router on free
# loopback ports; then bench-timers loads 1,000,000 running clocks, starts
# opdesk-slo, submits tickets to intake at a fixed rate meanwhile, and
# measures how late warnings and breaches fire. Extra arguments go to
# bench-timers (try --help).
#
#   bash bench/timers.sh                          the full run (about 5 minutes)
#   bash bench/timers.sh --clocks 100000 --measure 30 --spread 60 --lead 25   a quick one
set -euo pipefail

NAME=timers
NEED="bench-timers opdesk-intake opdesk-router opdesk-slo"
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_config
bench_redis --appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 512mb --slowlog-max-len 100000
bench_services intake router

bench_machine
echo "timers: redis $(redis-server --version | awk '{print $3}') AOF everysec; intake, router running; opdesk-slo started by bench-timers"
"$BIN/bench-timers" --config "$TMP/opdesk.yaml" --slo "$BIN/opdesk-slo" --slo-log "$TMP/slo.log" "$@" 2>&1 | tee "$TMP/bench.log"
rc=${PIPESTATUS[0]}
echo "timers: Redis peak memory $(redis-cli -p "$REDIS_PORT" info memory | grep -m1 '^used_memory_peak_human' | cut -d: -f2 | tr -d '\r')"
# An AOF rewrite forks Redis; the fork copies the page tables of the whole
# data set, during which Redis answers nobody (a stall seen by every client).
info=$(redis-cli -p "$REDIS_PORT" info all | tr -d '\r')
echo "timers: Redis forks $(grep -m1 '^total_forks:' <<<"$info" | cut -d: -f2), AOF rewrites $(grep -m1 '^aof_rewrites:' <<<"$info" | cut -d: -f2), latest fork $(grep -m1 '^latest_fork_usec:' <<<"$info" | cut -d: -f2) us"
# The commands that held Redis longest (SLOWLOG keeps those over 10 ms; every one of the run):
# each stops every other client, intake included, for as long.
echo "timers: slowest Redis commands (ms, command):"
"$PY" - "$REDIS_PORT" <<'EOF'
import sys
import redis
log = redis.Redis(host="127.0.0.1", port=int(sys.argv[1])).slowlog_get(100000)
for e in sorted(log, key=lambda e: -e["duration"])[:8]:
    cmd = e["command"].decode("utf-8", "replace") if isinstance(e["command"], bytes) else str(e["command"])
    print("timers:   %7.1f  %s" % (e["duration"] / 1000, cmd[:100]))
EOF
exit "$rc"
