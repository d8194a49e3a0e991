#!/usr/bin/env bash
# Sweep `iris-bench append` over producer counts and engines, measure the raw disk once, and
# plot the lot. Every JSON result goes to OUT (JSON lines), the human tables to OUT's .log.
#
#   ./bench-sweep.sh [-d DIR] [-o OUT.jsonl] [-p "1 4 16 64 256"] [-e "iris sqlite rocksdb"]
#                        [-t SECONDS] [-s RECORD_SIZE] [-b BATCH] [-x "extra append args"]
#
# Builds release first. Builds and runs take /tmp/iris-swift-build.lock (set IRIS_BENCH_LOCK to
# change it), so a sweep never overlaps another build on a shared machine. Data is written under
# DIR (default /tmp/iris-bench-data), which must be on the disk you want to measure.
set -euo pipefail
cd "$(dirname "$0")"

DIR=/tmp/iris-bench-data
OUT=results/sweep-$(date -u +%Y%m%dT%H%M%SZ).jsonl
PRODUCERS="1 4 16 64 256"
ENGINES="iris sqlite rocksdb"
SECONDS_EACH=5
RECORD_SIZE=1024
BATCH=1
EXTRA=""
while getopts "d:o:p:e:t:s:b:x:h" opt; do
    case $opt in
        d) DIR=$OPTARG ;;
        o) OUT=$OPTARG ;;
        p) PRODUCERS=$OPTARG ;;
        e) ENGINES=$OPTARG ;;
        t) SECONDS_EACH=$OPTARG ;;
        s) RECORD_SIZE=$OPTARG ;;
        b) BATCH=$OPTARG ;;
        x) EXTRA=$OPTARG ;;
        *) sed -n '2,12p' "$0"; exit 2 ;;
    esac
done
LOCK=${IRIS_BENCH_LOCK:-/tmp/iris-swift-build.lock}
mkdir -p "$(dirname "$OUT")" "$DIR"
LOG=${OUT%.jsonl}.log
BUILD_LOG=${OUT%.jsonl}.build.log

# Debian packages the benchmark links (no-ops when present).
for pkg in libsqlite3-dev librocksdb-dev liburing-dev libzstd-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$pkg"; }
done

if ! flock "$LOCK" swift build -c release --product iris-bench >"$BUILD_LOG" 2>&1; then
    echo "build failed, see $BUILD_LOG" >&2
    tail -n 30 "$BUILD_LOG" >&2
    exit 1
fi
BIN=$(flock "$LOCK" swift build -c release --show-bin-path)/iris-bench

run() {  # run ARGS...: one benchmark under the lock; table to LOG, JSON line to OUT
    echo "+ iris-bench $*" | tee -a "$LOG" >&2
    flock "$LOCK" "$BIN" "$@" --json >"$OUT.tmp" 2>>"$LOG"
    cat "$OUT.tmp" >>"$LOG"
    tail -n 1 "$OUT.tmp" >>"$OUT"
    rm -f "$OUT.tmp"
}

run disk --dir "$DIR"
for p in $PRODUCERS; do
    for e in $ENGINES; do
        # shellcheck disable=SC2086
        run append --engine "$e" --producers "$p" --duration "$SECONDS_EACH" --record-size "$RECORD_SIZE" \
            --batch "$BATCH" --dir "$DIR" $EXTRA
    done
done
rm -rf "$DIR/iris" "$DIR/sqlite" "$DIR/rocksdb"

python3 ./plot-bench.py "$OUT" -o "${OUT%.jsonl}.svg"
echo "results: $OUT  tables: $LOG  plot: ${OUT%.jsonl}.svg" >&2
