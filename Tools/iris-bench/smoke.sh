#!/usr/bin/env bash
# CI smoke run of every iris-bench subcommand: tiny sizes, seconds each, no timing assertions.
# Builds this package (debug: faster overall than release for a run this short), runs disk,
# append for each engine (iris also with --logs), read and recover, and checks that each run's JSON last line holds
# the fields issue 4 names; then builds irisd and iris-bench-cluster in the main package and runs
# a 3-node cluster at 1 and 4 clients and a single node for a second each. Usage: Tools/iris-bench/smoke.sh [SCRATCH_DIR]
set -euo pipefail
cd "$(dirname "$0")"
DIR=${1:-$(mktemp -d /tmp/iris-bench-smoke.XXXXXX)}
mkdir -p "$DIR"
trap 'rm -rf "$DIR"' EXIT

swift build --product iris-bench
BIN=$(swift build --show-bin-path)/iris-bench

check() {  # check NAME FIELD...: run's JSON last line (in $DIR/NAME.out) has every FIELD
    local name=$1; shift
    python3 - "$DIR/$name.out" "$@" <<'PY'
import json, sys
path, fields = sys.argv[1], sys.argv[2:]
lines = [line for line in open(path).read().splitlines() if line.strip()]
result = json.loads(lines[-1])
missing = [field for field in fields if field not in result]
if missing:
    sys.exit(f"{path}: JSON last line lacks {missing}")
print(f"ok   {path.rsplit('/', 1)[-1][:-4]}: " + ", ".join(f"{field}={result[field]}" for field in fields[:4]))
PY
}

run() {  # run NAME ARGS...: iris-bench ARGS --json, output to $DIR/NAME.out
    local name=$1; shift
    echo "+ iris-bench $* --json"
    "$BIN" "$@" --json >"$DIR/$name.out" 2>"$DIR/$name.err" || { cat "$DIR/$name.err" "$DIR/$name.out" >&2; exit 1; }
}

run disk disk --dir "$DIR" --iterations 50 --write-mib 4 --read-mib 8 --files 4 --files-threads 2 --files-seconds 0.3 \
    --in-flight 1,4 --in-flight-seconds 0.2
check disk fdatasync_4k_p50_us fdatasync_4k_p99_us seq_write_fdatasync_1m_mb_per_sec seq_read_mb_per_sec seq_read_cold \
    files_fdatasync_per_sec files_syncfs_rounds_per_sec inflight_1_records_per_sec inflight_4_records_per_sec \
    inflight_4_s2_records_per_sec inflight_4_p99_us

APPEND_FIELDS="engine records_per_sec mb_per_sec p50_us p99_us p999_us cpu_seconds peak_rss_mb"
for engine in iris sqlite rocksdb; do
    run "append-$engine" append --engine "$engine" --record-size 256 --producers 4 --duration 0.5 --dir "$DIR"
    # shellcheck disable=SC2086
    check "append-$engine" $APPEND_FIELDS
done
run append-iris-uring append --engine iris --io uring --batch 10 --compression zstd --record-size 1024 \
    --producers 4 --duration 0.5 --dir "$DIR"
# shellcheck disable=SC2086
check append-iris-uring $APPEND_FIELDS
# Producers as threads in appendBlocking, over one log and over two.
for logs in 1 2; do
    run "append-iris-blocking-$logs" append --engine iris --iris-api blocking --logs "$logs" --record-size 256 --producers 4 \
        --duration 0.5 --dir "$DIR"
    # shellcheck disable=SC2086
    check "append-iris-blocking-$logs" iris_api $APPEND_FIELDS
done
# Many logs on the shared I/O engine, both backends.
for io in posix uring; do
    run "append-iris-logs-$io" append --engine iris --io "$io" --logs 8 --record-size 256 --producers 16 --duration 0.5 --dir "$DIR"
    # shellcheck disable=SC2086
    check "append-iris-logs-$io" logs threads_for_logs resident_bytes_per_open_log $APPEND_FIELDS
done

run read read --dir "$DIR" --records 2000 --record-size 256
check read records_per_sec mb_per_sec records

run recover recover --size-gb 0.02 --segment-mb 8 --dir "$DIR"
check recover open_ms rebuild_mb_per_sec index_bytes_per_kib_record index_resident_bytes_per_kib_record clean_open_ms

# cluster: iris-bench-cluster and irisd live in the main package (they share its SwiftNIO build).
(cd ../.. && swift build --product irisd && swift build --product iris-bench-cluster)
MAIN_BIN=$(cd ../.. && swift build --show-bin-path)
echo "+ iris-bench-cluster --json"
"$MAIN_BIN/iris-bench-cluster" --irisd "$MAIN_BIN/irisd" --clients 1,4 --single-clients 1 --duration 1 --warmup 0.2 \
    --partitions 2 --dir "$DIR" --json >"$DIR/cluster.out" 2>"$DIR/cluster.err" || { cat "$DIR/cluster.err" "$DIR/cluster.out" >&2; exit 1; }
check cluster nproc record_bytes irisd cluster_over_single_p50 runs
python3 - "$DIR/cluster.out" <<'PY'
import json, sys
runs = json.loads(open(sys.argv[1]).read().splitlines()[-1])["runs"]
bad = [r for r in runs if r["ops"] == 0 or r["errors"] != 0]
if [r["mode"] for r in runs] != ["cluster", "cluster", "single"] or bad:
    sys.exit(f"cluster: unexpected runs {runs}")
print("ok   cluster: " + ", ".join(f"{r['mode']} c={r['clients']} {r['ops']} appends" for r in runs))
PY
echo "iris-bench smoke: every subcommand ran"
