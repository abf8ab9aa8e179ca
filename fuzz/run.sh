#!/usr/bin/env bash
# Builds fuzz_intake with clang-14 (libFuzzer + AddressSanitizer +
# UndefinedBehaviorSanitizer) in build-fuzz/, replays the seed corpus, then
# fuzzes for SECONDS seconds (default 60). Exits non-zero on any crash,
# sanitizer report, leak, or allocation above the memory limits.
#   bash fuzz/run.sh 60        (what `make fuzz` runs)
set -euo pipefail
seconds=${1:-60}
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 SECONDS" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-fuzz"
cc=${FUZZ_CC:-clang-14}
if ! command -v "$cc" >/dev/null; then
    echo "fuzz: $cc not found (it is in deploy/packages.txt: run make deps)" >&2
    exit 1
fi
mkdir -p "$out/corpus" "$out/artifacts"

# Only the decoding path is fuzzed, so only these sources are needed (no
# Redis, ZeroMQ or the embedded Lua scripts).
sources=(common/src/opd_config.c common/src/opd_util.c common/src/opd_log.c
         proto/src/opd_mp.c proto/src/opd_intake.c fuzz/fuzz_intake.c)
binary="$out/fuzz_intake"
rebuild=0
[ -x "$binary" ] || rebuild=1
for s in "${sources[@]}" common/include/*.h proto/include/*.h; do
    [ "$root/$s" -nt "$binary" ] && rebuild=1
done
if [ "$rebuild" = 1 ]; then
    echo "== fuzz: building $binary with $cc"
    # shellcheck disable=SC2046
    (cd "$root" && "$cc" -g -O1 -std=gnu11 -D_GNU_SOURCE -DOPD_VERSION='"fuzz"' \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
        -Icommon/include -Iproto/include $(pkg-config --cflags glib-2.0 yaml-0.1 msgpack jansson) \
        "${sources[@]}" -o "$binary" \
        $(pkg-config --libs glib-2.0 yaml-0.1 msgpack jansson) -lm)
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
limits=(-malloc_limit_mb=256 -rss_limit_mb=1024 -timeout=10 -max_len=8192
        -artifact_prefix="$out/artifacts/")

seeds=("$root"/fuzz/corpus/*)
echo "== fuzz: replaying ${#seeds[@]} seeds"
"$binary" "${limits[@]}" -runs=0 "$root/fuzz/corpus" 2>"$out/replay.log" || {
    tail -40 "$out/replay.log" >&2
    echo "fuzz: a seed crashed (see $out/replay.log and $out/artifacts/)" >&2
    exit 1
}

echo "== fuzz: fuzzing for ${seconds}s"
# New inputs go to build-fuzz/corpus (first directory); the seeds stay as committed.
if ! "$binary" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
        "$out/corpus" "$root/fuzz/corpus" 2>"$out/fuzz.log"; then
    tail -60 "$out/fuzz.log" >&2
    echo "fuzz: FAILED: crash input in $out/artifacts/ (log: $out/fuzz.log)" >&2
    exit 1
fi
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$out/fuzz.log" || true
echo "fuzz: no crash in ${seconds}s ($(ls "$out/corpus" | wc -l) inputs in the working corpus)"
