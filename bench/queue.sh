#!/usr/bin/env bash
# The team queue benchmark (BENCHMARKS.md, "Team queues"): a private Redis and
# opdesk-web on free loopback ports; bench-queue loads 1,000,000 tickets into
# the key layout and times the first page of a team's queue sorted by due
# time, through opd_ticket_list and through GET /api/v1/tickets. Extra
# arguments go to bench-queue (try --help).
#
#   bash bench/queue.sh                                   the full run (about a minute)
#   bash bench/queue.sh --tickets 100000 --iterations 200 a quick one
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${OPDESK_BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/opdesk-queue.XXXXXX)
PIDS=()

for need in bench-queue opdesk-intake opdesk-web; do
  if [[ ! -x $BIN/$need ]]; then
    echo "queue: $BIN/$need is missing: run 'make build' first" >&2
    exit 1
  fi
done

cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do wait "${PIDS[$i]}" 2>/dev/null || true; done
  if [[ -n ${KEEP_BENCH_TMP:-} ]]; then echo "queue: logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_log() {
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "queue: timed out waiting for '$2' in $1" >&2
  tail -20 "$1" >&2 || true
  return 1
}

ROOT="$ROOT" "$PY" - "$TMP" <<'PYEOF'
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
with open(os.path.join(tmp, "ports"), "w") as f:
    f.write("%d %s\n" % (c["redis"]["port"], c["endpoints"]["http"].split(":")[1]))
PYEOF
read -r REDIS_PORT HTTP_PORT <"$TMP/ports"

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --appendonly no --save "" \
  --daemonize no --logfile "$TMP/redis.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done
for svc in intake web; do
  "$BIN/opdesk-$svc" --config "$TMP/opdesk.yaml" >"$TMP/$svc.log" 2>&1 &
  PIDS+=($!)
  wait_log "$TMP/$svc.log" " ready" 15
done

echo "queue: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "queue: redis $(redis-server --version | awk '{print $3}'), no persistence; opdesk-web on 127.0.0.1:$HTTP_PORT"
"$BIN/bench-queue" --config "$TMP/opdesk.yaml" --http "$HTTP_PORT" --token change-me-agent "$@"
echo "queue: Redis memory $(redis-cli -p "$REDIS_PORT" info memory | grep -m1 '^used_memory_human' | cut -d: -f2 | tr -d '\r')"
