#!/usr/bin/env bash
# Measures issue 4's six goals and issue 13's goals 1-5 in one session: the disk, then each goal's workload, one JSON
# line per run into OUT (default results/goals-<UTC time>.jsonl), tables into OUT's .log.
#   ./goals.sh [-d DIR] [-o OUT.jsonl] [-t SECONDS] [-g RECOVER_GIB]
# Expects a release build (swift build -c release --product iris-bench). DIR must be on the
# disk to measure (default /tmp/iris-bench-data).
set -euo pipefail
cd "$(dirname "$0")"
DIR=/tmp/iris-bench-data
OUT=results/goals-$(date -u +%Y%m%dT%H%M%SZ).jsonl
SECONDS_EACH=5
RECOVER_GIB=4
while getopts "d:o:t:g:h" opt; do
    case $opt in
        d) DIR=$OPTARG ;;
        o) OUT=$OPTARG ;;
        t) SECONDS_EACH=$OPTARG ;;
        g) RECOVER_GIB=$OPTARG ;;
        *) sed -n '2,6p' "$0"; exit 2 ;;
    esac
done
BIN=.build/release/iris-bench
mkdir -p "$(dirname "$OUT")" "$DIR"
LOG=${OUT%.jsonl}.log

run() {  # run ARGS...: table to LOG, JSON last line to OUT
    echo "+ iris-bench $* --json" | tee -a "$LOG" >&2
    "$BIN" "$@" --json >"$OUT.tmp" 2>>"$LOG"
    cat "$OUT.tmp" >>"$LOG"
    tail -n 1 "$OUT.tmp" >>"$OUT"
    rm -f "$OUT.tmp"
}
T=$SECONDS_EACH
# With the disk's figure for small synced appends over 64 files (issue 13 goal 1's bound) and
# its bound for 1, 4, 16 and 256 records in flight (goals 2 and 3, and issue 4's goal 2).
run disk --dir "$DIR" --files 64 --in-flight 1,4,16,256
# Goal 1: 1 KiB, 256 producers, one record per call; iris (both backends) against the peers.
for engine in iris sqlite rocksdb; do
    run append --engine "$engine" --record-size 1024 --producers 256 --duration "$T" --dir "$DIR"
done
run append --engine iris --io uring --record-size 1024 --producers 256 --duration "$T" --dir "$DIR"
# Issue 13 goal 1: the same 256 producers spread over 64 logs on the shared I/O engine, both backends.
run append --engine iris --record-size 1024 --producers 256 --logs 64 --duration "$T" --dir "$DIR"
run append --engine iris --io uring --record-size 1024 --producers 256 --logs 64 --duration "$T" --dir "$DIR"
# Issue 13 goal 3: low concurrency, iris (producers as tasks, and as threads like the peers') against the peers.
for producers in 1 4; do
    for engine in iris sqlite rocksdb; do
        run append --engine "$engine" --record-size 1024 --producers "$producers" --duration "$T" --dir "$DIR"
    done
    run append --engine iris --iris-api blocking --record-size 1024 --producers "$producers" --duration "$T" --dir "$DIR"
done
# Goal 2: 16 producers, against the disk's 4 KiB fdatasync p99.
run append --engine iris --record-size 1024 --producers 16 --duration "$T" --dir "$DIR"
run append --engine iris --io uring --record-size 1024 --producers 16 --duration "$T" --dir "$DIR"
# Goal 3: 64 KiB records, 64 producers, against seq_write_fdatasync_1m_mb_per_sec.
run append --engine iris --record-size 65536 --producers 64 --duration "$T" --dir "$DIR"
# Goal 4: 128-byte records in batches of 100 per call.
run append --engine iris --record-size 128 --batch 100 --producers 16 --duration "$T" --dir "$DIR"
run append --engine iris --record-size 128 --batch 100 --producers 64 --duration "$T" --dir "$DIR"
# Goal 5: sequential read of a 1 GB log (page cache dropped), against seq_read_mb_per_sec.
run read --dir "$DIR" --records 1000000 --record-size 1024
# Goal 6: a RECOVER_GIB GiB log SIGKILLed, reopened, then its indexes rebuilt.
run recover --size-gb "$RECOVER_GIB" --dir "$DIR"
rm -rf "$DIR/iris" "$DIR/sqlite" "$DIR/rocksdb"
echo "results: $OUT  tables: $LOG" >&2
