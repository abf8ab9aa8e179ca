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
#   AOF_REWRITE_PERCENT=0 bash bench/timers.sh   without automatic AOF rewrites
set -euo pipefail

NAME=timers
NEED="bench-timers opdesk-intake opdesk-router opdesk-slo"
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_config
bench_redis --appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 512mb \
  --auto-aof-rewrite-percentage "${AOF_REWRITE_PERCENT:-100}" --slowlog-max-len 100000 \
  --slowlog-log-slower-than "${SLOWLOG_US:-10000}"
REDIS_PID=${PIDS[-1]}
bench_services intake router

bench_machine
echo "timers: redis $(redis-server --version | awk '{print $3}') AOF everysec; intake, router running; opdesk-slo started by bench-timers"
"$BIN/bench-timers" --config "$TMP/opdesk.yaml" --slo "$BIN/opdesk-slo" --slo-log "$TMP/slo.log" "$@" 2>&1 | tee "$TMP/bench.log"
rc=${PIPESTATUS[0]}
echo "timers: Redis peak memory $(redis-cli -p "$REDIS_PORT" info memory | grep -m1 '^used_memory_peak_human' | cut -d: -f2 | tr -d '\r')"
# Preempted: Redis wanted the CPU and another process got it (stalling every
# client for a scheduler slice); voluntary switches are waits for work.
echo "timers: Redis context switches: $(grep -h ctxt_switches "/proc/$REDIS_PID/status" | tr -s '\t\n' '  ')"
# An AOF rewrite forks Redis; the fork copies the page tables of the whole
# data set, during which Redis answers nobody (a stall seen by every client).
info=$(redis-cli -p "$REDIS_PORT" info all | tr -d '\r')
echo "timers: Redis forks $(grep -m1 '^total_forks:' <<<"$info" | cut -d: -f2), AOF rewrites $(grep -m1 '^aof_rewrites:' <<<"$info" | cut -d: -f2), latest fork $(grep -m1 '^latest_fork_usec:' <<<"$info" | cut -d: -f2) us"
# The commands that held Redis longest (SLOWLOG keeps those over 10 ms, or
# SLOWLOG_US; every one of the run): each stops every other client, intake
# included, for as long. First how many there were of each command.
echo "timers: slowest Redis commands (ms, command):"
"$PY" - "$REDIS_PORT" <<'EOF'
import sys
import redis
import collections
log = redis.Redis(host="127.0.0.1", port=int(sys.argv[1])).slowlog_get(100000)
def text(e):
    return e["command"].decode("utf-8", "replace") if isinstance(e["command"], bytes) else str(e["command"])
count, ms = collections.Counter(), collections.Counter()
for e in log:
    name = " ".join(text(e).split()[:2])
    count[name] += 1
    ms[name] += e["duration"] / 1000
print("timers: slow commands by name: " + ", ".join("%s %d (%.0f ms)" % (k, n, ms[k]) for k, n in count.most_common(8)))
for e in sorted(log, key=lambda e: -e["duration"])[:8]:
    print("timers:   %7.1f  %s" % (e["duration"] / 1000, text(e)[:100]))
EOF
exit "$rc"
