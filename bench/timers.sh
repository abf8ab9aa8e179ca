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

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${OPDESK_BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/opdesk-timers.XXXXXX)
PIDS=()

for need in bench-timers opdesk-intake opdesk-router opdesk-slo; do
  if [[ ! -x $BIN/$need ]]; then
    echo "timers: $BIN/$need is missing: run 'make build' first" >&2
    exit 1
  fi
done

cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do wait "${PIDS[$i]}" 2>/dev/null || true; done
  if [[ -n ${KEEP_BENCH_TMP:-} ]]; then echo "timers: logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_log() {
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "timers: timed out waiting for '$2' in $1" >&2
  tail -20 "$1" >&2 || true
  return 1
}

# The configuration of the integration tests (tests/integration/harness.py),
# on free ports.
ROOT="$ROOT" "$PY" - "$TMP" <<'EOF'
import json, os, socket, sys
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "tests", "integration"))
import harness
tmp = sys.argv[1]
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
c = harness.base_config()
c["log_level"] = "info"
c["redis"] = {"host": "127.0.0.1", "port": port()}
c["endpoints"] = {"intake": "tcp://127.0.0.1:%d" % port(), "events": "tcp://127.0.0.1:%d" % port(),
                  "http": "127.0.0.1:%d" % port(), "phone": "127.0.0.1:%d" % port()}
with open(os.path.join(tmp, "opdesk.yaml"), "w") as f:
    json.dump(c, f, indent=1)
with open(os.path.join(tmp, "redis_port"), "w") as f:
    f.write(str(c["redis"]["port"]))
EOF
REDIS_PORT=$(cat "$TMP/redis_port")

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --appendonly yes \
  --appendfsync everysec --save "" --daemonize no --logfile "$TMP/redis.log" --slowlog-max-len 100000 &
PIDS+=($!)
for _ in $(seq 1 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done
for svc in intake router; do
  "$BIN/opdesk-$svc" --config "$TMP/opdesk.yaml" >"$TMP/$svc.log" 2>&1 &
  PIDS+=($!)
  wait_log "$TMP/$svc.log" " ready" 15
done

echo "timers: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
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
