#!/usr/bin/env bash
# The end-to-end benchmark (`make bench`): a private Redis (AOF on, fsync
# every second), an SMTP sink, and every opdesk service of build/bin that
# the ticket path uses (intake, router, slo, notifier), on free loopback
# ports with a generated configuration; then opdesk-bench; then everything
# is stopped; then the yardstick (../shared/yardstick/run.sh, the limit)
# runs on the same machine in the same run, and the last line compares the
# two:
#   bench: E tickets/s end to end, L tickets/s limit, ratio R, ack p99 P ms
# Extra arguments go to opdesk-bench (try --help). YARDSTICK=DIR names the
# yardstick's folder when it is not found beside the repository;
# YARDSTICK_CALLS its number of calls (default its own, 200000).
#
#   bash bench/run.sh                 the full run (about a minute)
#   bash bench/run.sh -n 5000 -d 2    a quicker one
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${OPDESK_BIN:-$ROOT/build/bin}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/opdesk-bench.XXXXXX)
PIDS=()
NAMES=()

for need in opdesk-bench opdesk-intake opdesk-router; do
  if [[ ! -x $BIN/$need ]]; then
    echo "bench: $BIN/$need is missing: run 'make build' first" >&2
    exit 1
  fi
done

cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    # CONT first: opdesk-bench stops the notifier and the SMTP sink for a while.
    kill -CONT "${PIDS[$i]}" 2>/dev/null || true
    kill -TERM "${PIDS[$i]}" 2>/dev/null || true
  done
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    wait "${PIDS[$i]}" 2>/dev/null || true
  done
  if [[ -n ${KEEP_BENCH_TMP:-} ]]; then
    echo "bench: logs kept in $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until file $1 contains $2, for at most $3 seconds.
wait_log() {
  local end=$((SECONDS + $3))
  while ((SECONDS < end)); do
    if grep -q -- "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "bench: timed out waiting for '$2' in $1:" >&2
  tail -20 "$1" >&2 || true
  return 1
}

REDIS_PORT=$(free_port)
INTAKE_PORT=$(free_port)
EVENTS_PORT=$(free_port)
SMTP_PORT=$(free_port)
HTTP_PORT=$(free_port)
PHONE_PORT=$(free_port)

# As deployed (docker-compose.yml): the AOF rewritten past 512 MB only.
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TMP" --appendonly yes \
  --appendfsync everysec --auto-aof-rewrite-min-size "${AOF_REWRITE_MIN:-512mb}" --save "" \
  --hash-max-listpack-value 2048 --daemonize no --logfile "$TMP/redis.log" &
PIDS+=($!); NAMES+=(redis)
for _ in $(seq 1 100); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done

# The SMTP sink takes every message and drops it.
"$PY" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Sink >"$TMP/smtp.log" 2>&1 &
PIDS+=($!); NAMES+=(smtp)

cat >"$TMP/opdesk.yaml" <<EOF
ticket_prefix: OPD
log_level: info
redis: {host: 127.0.0.1, port: $REDIS_PORT}
endpoints: {intake: "tcp://127.0.0.1:$INTAKE_PORT", events: "tcp://127.0.0.1:$EVENTS_PORT", http: "127.0.0.1:$HTTP_PORT", phone: "127.0.0.1:$PHONE_PORT"}
calendars:
  uk-office:
    timezone: Europe/London
    hours: {mon: ["08:00-18:00"], tue: ["08:00-18:00"], wed: ["08:00-12:30", "13:30-18:00"], thu: ["08:00-18:00"], fri: ["08:00-17:00"], sat: [], sun: []}
    holidays: ["2026-12-25", "2026-12-28"]
  always: {timezone: UTC, hours: 24x7}
slo_policies:
  - {name: p1, match: {priority: P1}, calendar: always, first_response: 15m, resolution: 4h, warn_at: 0.75, objective: 0.95}
  - {name: standard, match: {}, calendar: uk-office, first_response: 4h, next_reply: 8h, resolution: 16h}
priority_matrix: {high: {high: P1, medium: P2, low: P3}, medium: {high: P2, medium: P3, low: P4}, low: {high: P3, medium: P4, low: P4}}
default_priority: P3
categories: {hardware: {laptop: {}, printer: {}}, network: {vpn: {}, wifi: {}}, access: {}}
teams:
  - {id: network, name: Network, calendar: uk-office, min_on_duty: 1}
  - {id: hardware, name: Hardware, calendar: uk-office, min_on_duty: 1}
  - {id: service-desk, name: Service Desk, calendar: uk-office, min_on_duty: 1}
default_team: service-desk
agents:
  - {id: alice, name: Alice Jones, email: alice@example.org, teams: [network]}
shifts:
  - {agent: alice, team: network, days: [mon, tue, wed, thu, fri], from: "08:00", to: "16:00", timezone: Europe/London}
routing_rules:
  - name: vpn
    when: {keywords: ["vpn", "remote access"], in: [subject, body]}
    then: {team: network, category: network/vpn, priority: P2, standard_response: vpn-basics}
  - name: printer
    when: {keywords: ["printer", "drucker"], in: [subject]}
    then: {team: hardware, category: hardware/printer}
  - name: laptop
    when: {keywords: ["laptop", "notebook"], in: [subject]}
    then: {team: hardware, category: hardware/laptop, priority: P3}
standard_responses:
  - {id: vpn-basics, subject: "VPN troubleshooting", body: "Please restart the VPN client and try again.", guide_url: "https://wiki.example.org/vpn"}
footer: |
  Service Desk, phone +44 20 7946 0000, Mon-Fri 08:00-18:00. Reply to this message to update your request.
notifications:
  smtp: {url: "smtp://127.0.0.1:$SMTP_PORT", from: "servicedesk@example.org"}
limits: {body_bytes: 1048576, frame_bytes: 2097152}
EOF

BENCH_ARGS=()
STARTED=()
for svc in intake router slo notifier; do
  if [[ ! -x $BIN/opdesk-$svc ]]; then
    echo "bench: $BIN/opdesk-$svc not built; running without it" >&2
    [[ $svc == slo ]] && BENCH_ARGS+=(--no-slo)
    continue
  fi
  "$BIN/opdesk-$svc" --config "$TMP/opdesk.yaml" >"$TMP/$svc.log" 2>&1 &
  PIDS+=($!); NAMES+=("$svc")
  wait_log "$TMP/$svc.log" " ready" 15
  STARTED+=("$svc")
done

echo "bench: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "bench: services: ${STARTED[*]}; redis $(redis-server --version | awk '{print $3}') AOF everysec"
# Seconds of CPU used by the children of this shell that have ended (the
# times builtin, second line: user, system). It must run in this shell, not
# in $(...) or a pipeline, where it would describe a subshell.
children_cpu() {
  times >"$TMP/times"
  tail -1 "$TMP/times" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, /m|s/); t += a[1] * 60 + a[2] } print t }' >"$TMP/cpu.$1"
}

# The processes whose CPU time opdesk-bench reads around the end-to-end phase.
pids=""
for i in "${!PIDS[@]}"; do pids+="${pids:+,}${NAMES[$i]}=${PIDS[$i]}"; done

# Bounded: the whole run must stay well under three minutes.
children_cpu before
set +e
timeout "${BENCH_TIMEOUT:-170}" "$BIN/opdesk-bench" --config "$TMP/opdesk.yaml" --pids "$pids" \
  "${BENCH_ARGS[@]}" "$@" | tee "$TMP/bench.out"
rc=${PIPESTATUS[0]}
set -e
children_cpu after
bench_cpu=$(awk -v a="$(cat "$TMP/cpu.before")" -v b="$(cat "$TMP/cpu.after")" 'BEGIN { printf "%.1f", b - a }')

# Where the CPU went, over the whole run (warm-up, end to end, fixed rate, limit).
tickets=$(redis-cli -p "$REDIS_PORT" GET opd:seq 2>/dev/null || echo 0)
hz=$(getconf CLK_TCK)
line="bench: CPU seconds over the whole run ($(nproc) cores, ${tickets:-0} tickets through the stack):"
for i in "${!PIDS[@]}"; do
  if [[ -r /proc/${PIDS[$i]}/stat ]]; then
    # Fields 14 and 15 (utime, stime) counted after the ')' that ends the name.
    cpu=$(sed 's/.*) //' "/proc/${PIDS[$i]}/stat" | awk -v hz="$hz" '{ printf "%.1f", ($12 + $13) / hz }')
    line+=" ${NAMES[$i]} $cpu,"
  fi
done
echo "$line opdesk-bench $bench_cpu"

# The stack is stopped before the yardstick runs, so that it has the
# machine as the end-to-end phase had it (with whatever else runs on it).
for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -CONT "${PIDS[$i]}" 2>/dev/null || true; kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do wait "${PIDS[$i]}" 2>/dev/null || true; done
PIDS=()

yard=${YARDSTICK:-}
for d in "$ROOT/../shared/yardstick" "$ROOT/../../shared/yardstick"; do
  if [[ -z $yard && -f $d/run.sh ]]; then yard=$(cd "$d" && pwd); fi
done
limit=0
if [[ -n $yard && -f $yard/run.sh ]]; then
  bash "$yard/run.sh" ${YARDSTICK_CALLS:-} | tee "$TMP/yardstick.out" | sed 's/^/bench: yardstick: /'
  limit=$(sed -n 's/^yardstick: \([0-9.]*\) tickets\/s$/\1/p' "$TMP/yardstick.out" | tail -1)
else
  echo "bench: the yardstick was not found (set YARDSTICK=DIR)" >&2
  rc=1
fi
# The summary stays the last line, as make bench promises.
result=$(grep '^bench: result ' "$TMP/bench.out" | tail -1)
e2e=$(sed -n 's/.* end_to_end=\([0-9.]*\).*/\1/p' <<<"$result")
p99=$(sed -n 's/.* ack_p99_ms=\([0-9.]*\).*/\1/p' <<<"$result")
awk -v e="${e2e:-0}" -v l="${limit:-0}" -v p="${p99:-0}" 'BEGIN { r = l > 0 ? e / l : 0
  printf "bench: %.0f tickets/s end to end, %.0f tickets/s limit, ratio %.2f, ack p99 %.2f ms\n", e, l, r, p }'
exit "$rc"
