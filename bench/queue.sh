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

NAME=queue
NEED="bench-queue opdesk-intake opdesk-web"
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_config
bench_redis --appendonly no
bench_services intake web

bench_machine
echo "queue: redis $(redis-server --version | awk '{print $3}'), no persistence; opdesk-web on 127.0.0.1:$HTTP_PORT"
"$BIN/bench-queue" --config "$TMP/opdesk.yaml" --http "$HTTP_PORT" --token change-me-agent "$@"
echo "queue: Redis memory $(redis-cli -p "$REDIS_PORT" info memory | grep -m1 '^used_memory_human' | cut -d: -f2 | tr -d '\r')"
