#!/usr/bin/env bash
# Builds every libFuzzer harness fuzz/fuzz_NAME.c with clang-14 (libFuzzer +
# AddressSanitizer + UndefinedBehaviorSanitizer) in build-fuzz/, replays its
# seed corpus fuzz/corpus/NAME/, then fuzzes it for SECONDS seconds (default
# 60). Exits non-zero on any crash, sanitizer report, leak, or allocation
# above the memory limits.
#
# A harness declares what it is built from beside it:
#   fuzz/NAME.sources  the source files it links, one path a line (from the top);
#                      each one's folder is also searched for headers
#                      (services/email/ for the mail library)
#   fuzz/NAME.pkgs     the pkg-config packages it needs, on one line
#   fuzz/NAME.flags    optional: extra libFuzzer flags (-max_len=...)
#
#   bash fuzz/run.sh 30              every harness, 30 s each (what `make fuzz` runs)
#   bash fuzz/run.sh 30 intake mime  the named harnesses only
#   FUZZ_JOBS=1 bash fuzz/run.sh 60  one harness at a time (default: one per processor)
set -euo pipefail
seconds=${1:-60}
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 SECONDS [NAME...]" >&2; exit 2 ;; esac
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-fuzz"
cc=${FUZZ_CC:-clang-14}
if ! command -v "$cc" >/dev/null; then
    echo "fuzz: $cc not found (it is in deploy/packages.txt: run make deps)" >&2
    exit 1
fi
mkdir -p "$out"
names=("$@")
if [ ${#names[@]} = 0 ]; then
    for f in "$root"/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c); names+=("${n#fuzz_}")
    done
fi

# Builds build-fuzz/fuzz_NAME when any of its inputs is newer.
build_one() {
    local name=$1 binary="$out/fuzz_$1" rebuild=0 s
    mapfile -t sources < <(grep -v '^\s*\(#\|$\)' "$root/fuzz/$name.sources")
    sources+=("fuzz/fuzz_$name.c")
    local pkgs; pkgs=$(cat "$root/fuzz/$name.pkgs")
    local dirs=() incs=() d
    mapfile -t dirs < <(for s in "${sources[@]}"; do dirname "$s"; done | sort -u)
    for d in "${dirs[@]}"; do
        case "$d" in common/src|proto/src|fuzz) ;; *) incs+=("-I$d") ;; esac
    done
    [ -x "$binary" ] || rebuild=1
    for s in "${sources[@]}" fuzz/$name.sources common/include/*.h proto/include/*.h store/include/*.h; do
        [ "$root/$s" -nt "$binary" ] && rebuild=1
    done
    for d in "${dirs[@]}"; do
        for s in "$root/$d"/*.h; do
            [ -e "$s" ] && [ "$s" -nt "$binary" ] && rebuild=1
        done
    done
    [ "$rebuild" = 1 ] || return 0
    echo "== fuzz $name: building with $cc"
    # shellcheck disable=SC2046,SC2086
    (cd "$root" && "$cc" -g -O1 -std=gnu11 -D_GNU_SOURCE -DOPD_VERSION='"fuzz"' \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
        -Icommon/include -Iproto/include -Istore/include -Ifuzz "${incs[@]}" $(pkg-config --cflags $pkgs) \
        "${sources[@]}" -o "$binary" $(pkg-config --libs $pkgs) -lm)
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Fuzzes one harness (already built) for $seconds; its summary line goes to
# build-fuzz/NAME.summary. Returns non-zero on any crash.
fuzz_one() {
    local name=$1 binary="$out/fuzz_$1" work="$out/corpus/$1" seeds="$root/fuzz/corpus/$1"
    echo "== fuzz $name: replaying $(ls "$seeds" 2>/dev/null | wc -l) seeds, then fuzzing for ${seconds}s"
    mkdir -p "$work" "$out/artifacts/$name" "$seeds"
    local extra=()
    [ -f "$root/fuzz/$name.flags" ] && read -r -a extra < "$root/fuzz/$name.flags"
    local limits=(-malloc_limit_mb=256 -rss_limit_mb=1024 -timeout=10 -max_len=8192 "${extra[@]}"
                  -artifact_prefix="$out/artifacts/$name/")
    if ! "$binary" "${limits[@]}" -runs=0 "$seeds" 2>"$out/$name.replay.log"; then
        tail -40 "$out/$name.replay.log" >&2
        echo "fuzz $name: a seed crashed (see $out/$name.replay.log and $out/artifacts/$name/)" >&2
        return 1
    fi
    # New inputs go to build-fuzz/corpus/NAME (first directory); the seeds stay as committed.
    if ! "$binary" "${limits[@]}" -max_total_time="$seconds" -print_final_stats=1 \
            "$work" "$seeds" 2>"$out/$name.log"; then
        tail -60 "$out/$name.log" >&2
        echo "fuzz $name: FAILED: crash input in $out/artifacts/$name/ (log: $out/$name.log)" >&2
        # The input itself, so that a run on a machine that is gone (CI) can
        # be replayed: base64 -d > crash; build-fuzz/fuzz_NAME crash
        local f
        for f in "$out/artifacts/$name"/*; do
            [ -f "$f" ] && { echo "fuzz $name: $(basename "$f") in base64:"; base64 -w0 "$f"; echo; } >&2
        done
        return 1
    fi
    local execs rss
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$out/$name.log")
    echo "$name: ${execs:-?} executions in ${seconds}s, peak RSS ${rss:-?} MB, no crash" \
        >"$out/$name.summary"
}

# Runs "$1 NAME" for every harness side by side, FUZZ_JOBS at a time
# (default: one per processor); non-zero when any of them failed. Builds
# and then fuzzing go this way: each harness still fuzzes the full
# $seconds, the same work in less wall time.
jobs_max=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
each_side_by_side() {
    local fn=$1 name failed=0 running=0
    for name in "${names[@]}"; do
        if [ "$running" -ge "$jobs_max" ]; then
            wait -n || failed=1
            running=$((running - 1))
        fi
        "$fn" "$name" &
        running=$((running + 1))
    done
    while [ "$running" -gt 0 ]; do
        wait -n || failed=1
        running=$((running - 1))
    done
    return "$failed"
}

for name in "${names[@]}"; do
    [ -f "$root/fuzz/fuzz_$name.c" ] || { echo "fuzz: no harness fuzz/fuzz_$name.c" >&2; exit 2; }
    rm -f "$out/$name.summary"
done
each_side_by_side build_one || { echo "fuzz: a harness did not build (see above)" >&2; exit 1; }
each_side_by_side fuzz_one || { echo "fuzz: FAILED (see above)" >&2; exit 1; }
for name in "${names[@]}"; do cat "$out/$name.summary"; done | sed 's/^/fuzz: /'
