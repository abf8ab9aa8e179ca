#!/usr/bin/env bash
# The routing benchmark (BENCHMARKS.md, "Routing rules"): bench-route
# classifies tickets with 4 KiB bodies against 10, 30, 100, 300, 1,000, 3,000 and 5,000
# generated keyword rules on one core (taskset -c 0 when available), by the
# Vectorscan path and by the plain path (every rule's GRegex in turn), and
# prints the median of several runs for each. No Redis, no services. Not
# part of `make test`. Extra arguments go to bench-route.
#
#   bash bench/route.sh                                    the full run (about 2 minutes)
#   bash bench/route.sh --rules 10,5000 --path scan --runs 3   a quick one
#   bash bench/route.sh --path scan --words common          rule words of the bodies' own letters
#   ... --words-min 0                                        common keywords word by word at every size
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${OPDESK_BIN:-$ROOT/build/bin}
if [[ ! -x $BIN/bench-route ]]; then
  echo "route: $BIN/bench-route is missing: run 'make build' first" >&2
  exit 1
fi
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi
echo "route: $(date -u '+%Y-%m-%d %H:%M UTC') $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "${PIN[@]}" "$BIN/bench-route" --runs 5 --seconds 1 "$@"
