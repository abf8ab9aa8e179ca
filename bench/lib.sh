# Shared by bench/queue.sh and bench/timers.sh (sourced): a temporary
# folder, a private Redis and opdesk services on free loopback ports, with
# the integration tests' configuration (tests/integration/harness.py), all
# stopped on exit. Set NAME (the prefix of every line) and NEED (the
# programs of build/bin the benchmark runs) before sourcing it.
#   bench_config                 writes $TMP/opdesk.yaml; sets REDIS_PORT, HTTP_PORT
#   bench_redis ARGS...          starts redis-server with ARGS, waits until it answers
#   bench_services SVC...        starts opdesk-SVC for each, waits until each is ready
#   bench_machine                prints the date, cores and CPU model
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${OPDESK_BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
TMP=$(mktemp -d "/tmp/opdesk-$NAME.XXXXXX")
PIDS=()

for need in $NEED; do
  if [[ ! -x $BIN/$need ]]; then
    echo "$NAME: $BIN/$need is missing: run 'make build' first" >&2
    exit 1
  fi
done

cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do wait "${PIDS[$i]}" 2>/dev/null || true; done
  if [[ -n ${KEEP_BENCH_TMP:-} ]]; then echo "$NAME: logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_log() {
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "$NAME: timed out waiting for '$2' in $1" >&2
  tail -20 "$1" >&2 || true
  return 1
}

bench_config() {
  ROOT="$ROOT" "$PY" - "$TMP" <<'PYEOF'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "tests", "integration"))
import harness
tmp = sys.argv[1]
port = harness.free_port
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
}

bench_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --save "" --daemonize no \
    --logfile "$TMP/redis.log" "$@" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
}

bench_services() {
  local svc
  for svc in "$@"; do
    "$BIN/opdesk-$svc" --config "$TMP/opdesk.yaml" >"$TMP/$svc.log" 2>&1 &
    PIDS+=($!)
    wait_log "$TMP/$svc.log" " ready" 15
  done
}

bench_machine() {
  echo "$NAME: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
}
