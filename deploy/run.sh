#!/usr/bin/env bash
# `make run`: starts a private Redis (AOF on), an SMTP sink that keeps every
# mail as a file, and every opdesk service that is built, all on loopback
# with the demo configuration; waits for Ctrl-C (SIGINT) or SIGTERM, then
# stops everything it started and exits 0.
#
# It installs and builds nothing itself: `make run` has already run
# `make deps build`. Everything it writes goes under run/:
#   run/redis/  the Redis data (appendonly), kept between runs
#   run/logs/   one log per program
#   run/mail/   every mail the services send, one .eml file each
# OPDESK_RUN_CONFIG=FILE, OPDESK_RUN_DIR=DIR and OPDESK_BIN=DIR use another
# configuration, folder and build (for trying this script beside a running one).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
config=${OPDESK_RUN_CONFIG:-deploy/opdesk.yaml}
bin=${OPDESK_BIN:-build/bin}
run=${OPDESK_RUN_DIR:-run}
logs=$run/logs
mkdir -p "$run/redis" "$logs" "$run/mail"

if [ ! -x "$bin/opdesk-intake" ]; then
    echo "run: $bin/opdesk-intake is missing; run 'make run' (or 'make build') first" >&2
    exit 1
fi
for tool in redis-server redis-cli /usr/bin/python3; do
    command -v "$tool" >/dev/null || { echo "run: $tool is missing; run 'make deps'" >&2; exit 1; }
done

# --- the addresses of the configuration ------------------------------------
# The services read the YAML with libyaml; here a few values are enough, so a
# small reader handles the flow style ({a: b}) and block style of the demo.
read_config() {
    /usr/bin/python3 - "$config" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
def section(name):
    m = re.search(r"^%s:(.*?)(?=^\S|\Z)" % re.escape(name), text, re.M | re.S)
    return m.group(1) if m else ""
def value(sect, key, default):
    m = re.search(r"\b%s:\s*[\"']?([^\"',}\s]+)" % re.escape(key), section(sect))
    return m.group(1) if m else default
def port_of(addr):
    m = re.search(r":(\d+)/?$", addr)
    return m.group(1) if m else "0"
def host_of(addr):
    m = re.search(r"^(?:[a-z]+://)?\[?([^\]/]*?)\]?:\d+/?$", addr)
    return m.group(1) if m else ""
redis_host = value("redis", "host", "127.0.0.1")
redis_port = value("redis", "port", "6379")
intake = value("endpoints", "intake", "tcp://127.0.0.1:5550")
events = value("endpoints", "events", "tcp://127.0.0.1:5560")
http = value("endpoints", "http", "127.0.0.1:8080")
phone = value("endpoints", "phone", "127.0.0.1:8081")
smtp = value("notifications", "url", "smtp://127.0.0.1:25")
for k, v in [("REDIS_HOST", redis_host), ("REDIS_PORT", redis_port), ("EP_INTAKE", intake),
             ("EP_EVENTS", events), ("EP_HTTP", http), ("EP_PHONE", phone), ("SMTP_URL", smtp),
             ("INTAKE_PORT", port_of(intake)), ("EVENTS_PORT", port_of(events)),
             ("HTTP_PORT", port_of(http)), ("PHONE_PORT", port_of(phone)),
             ("SMTP_HOST", host_of(smtp)), ("SMTP_PORT", port_of(smtp))]:
    print("%s=%s" % (k, re.sub(r"[^A-Za-z0-9_.:/*\[\]-]", "", v)))
EOF
}
eval "$(read_config)" || { echo "run: cannot read $config" >&2; exit 1; }

# --- what to start ----------------------------------------------------------
# intake first: it binds the events socket that the others subscribe to.
services=()
for s in intake router slo notifier anonymiser web email phone; do
    [ -x "$bin/opdesk-$s" ] && services+=("$s")
done
start_sink=0
case "$SMTP_HOST" in 127.0.0.1|localhost|::1) start_sink=1 ;; esac
start_redis=0
case "$REDIS_HOST" in 127.0.0.1|localhost|::1) start_redis=1 ;; esac

# --- every port must be free -------------------------------------------------
port_free() {
    /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}
wanted=()
[ $start_redis = 1 ] && wanted+=("$REDIS_PORT:Redis (redis.port)")
[ $start_sink = 1 ] && wanted+=("$SMTP_PORT:the SMTP sink (notifications.smtp.url)")
wanted+=("$INTAKE_PORT:the intake socket (endpoints.intake)" "$EVENTS_PORT:the events socket (endpoints.events)")
for s in "${services[@]}"; do
    [ "$s" = web ] && wanted+=("$HTTP_PORT:opdesk-web (endpoints.http)")
    [ "$s" = phone ] && wanted+=("$PHONE_PORT:opdesk-phone (endpoints.phone)")
done
busy=0
for w in "${wanted[@]}"; do
    p=${w%%:*}
    if [ "$p" != 0 ] && ! port_free "$p"; then
        echo "run: port $p for ${w#*:} is already in use; stop what uses it or change $config" >&2
        busy=1
    fi
done
[ $busy = 0 ] || exit 1

# --- start, and stop on the way out -----------------------------------------
declare -A pids=()
order=()
stopping=0

stop_one() {  # name: SIGTERM, then up to 15 s, then SIGKILL
    local name=$1 pid=${pids[$1]:-}
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "run: $name did not stop within 15s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null
    unset "pids[$name]"
}

stop_all() {
    [ $stopping = 1 ] && return
    stopping=1
    echo
    echo "run: stopping"
    local i
    for ((i = ${#order[@]} - 1; i >= 0; i--)); do
        stop_one "${order[$i]}"
    done
    echo "run: everything stopped (logs in $logs/, mail in $run/mail/)"
}

on_signal() {
    stop_all
    exit 0
}
trap on_signal INT TERM
trap stop_all EXIT

# Each child runs in its own session, so that Ctrl-C reaches only this
# script, which then stops the services before the store they write to.
launch() {  # name logfile command...
    local name=$1 log=$2
    shift 2
    setsid "$@" >>"$log" 2>&1 </dev/null &
    pids[$name]=$!
    order+=("$name")
}

fail_start() {  # name logfile why
    echo "run: $1 $3; the end of $2:" >&2
    tail -n 20 "$2" >&2
    exit 1
}

wait_until() {  # name logfile seconds test-command...
    local name=$1 log=$2 secs=$3
    shift 3
    local end=$((SECONDS + secs))
    while ! "$@" 2>/dev/null; do
        kill -0 "${pids[$name]}" 2>/dev/null || fail_start "$name" "$log" "exited at start"
        [ $SECONDS -lt $end ] || fail_start "$name" "$log" "was not up within ${secs}s"
        sleep 0.1
    done
}

log_has_ready() {  # logfile offset
    tail -c +"$(($2 + 1))" "$1" | grep -q " ready"
}

if [ $start_redis = 1 ]; then
    log=$logs/redis.log
    launch redis "$log" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$(cd "$run/redis" && pwd)" \
        --appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 512mb --save "" \
        --hash-max-listpack-value 2048 --daemonize no --logfile "$(cd "$logs" && pwd)/redis.log"
    wait_until redis "$log" 20 sh -c "redis-cli -p '$REDIS_PORT' ping | grep -q PONG"
    echo "run: redis-server up on 127.0.0.1:$REDIS_PORT (AOF in $run/redis/)"
fi

if [ $start_sink = 1 ]; then
    log=$logs/smtp-sink.log
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    launch smtp-sink "$log" /usr/bin/python3 deploy/smtp-sink.py --host 127.0.0.1 \
        --port "$SMTP_PORT" --dir "$run/mail"
    wait_until smtp-sink "$log" 20 log_has_ready "$log" "$offset"
    echo "run: SMTP sink up on 127.0.0.1:$SMTP_PORT (mail in $run/mail/)"
fi

for s in "${services[@]}"; do
    log=$logs/$s.log
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    launch "$s" "$log" "$bin/opdesk-$s" --config "$config"
    wait_until "$s" "$log" 30 log_has_ready "$log" "$offset"
    echo "run: opdesk-$s up (log $logs/$s.log)"
done

has() { [ -n "${pids[$1]:-}" ]; }
cat <<EOF

opdesk is running with $config
  HTTP API        $(has web && echo "http://$EP_HTTP/api/v1/   (token: see tokens: in $config)" || echo "(opdesk-web is not built yet)")
  web pages       $(has web && echo "http://$EP_HTTP/" || echo "(opdesk-web is not built yet)")
  health/metrics  $(has web && echo "http://$EP_HTTP/healthz  http://$EP_HTTP/metrics" || echo "(opdesk-web is not built yet)")
  phone webhook   $(has phone && echo "http://$EP_PHONE/" || echo "(opdesk-phone is not built yet)")
  intake socket   $EP_INTAKE   (ZeroMQ REQ, msgpack intake.submit)
  events socket   $EP_EVENTS   (ZeroMQ SUB, topic + msgpack)
  Redis           127.0.0.1:$REDIS_PORT   (data in $run/redis/)
  logs            $logs/
  mail            $run/mail/   (every mail sent, one .eml file each)
  services        ${services[*]}

Try:
  build/bin/opdesk submit --subject "VPN is down" --body "Since this morning the VPN drops every minute." --email user@example.org

Ctrl-C stops everything.
EOF

# Wait for a signal; say so once when a service ends on its own.
declare -A reported=()
while true; do
    sleep 1 &
    wait $! 2>/dev/null
    for name in "${order[@]}"; do
        pid=${pids[$name]:-}
        if [ -n "$pid" ] && [ -z "${reported[$name]:-}" ] && ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            echo "run: $name exited with status $?; see $logs/$name.log" >&2
            reported[$name]=1
        fi
    done
done
