#!/usr/bin/env bash
# CI smoke run of every iris-bench subcommand: tiny sizes, seconds each, no timing assertions.
# Builds this package (debug: faster overall than release for a run this short), runs disk,
# append for each engine, read and recover, and checks that each run's JSON last line holds
# the fields issue 4 names. Usage: Tools/iris-bench/smoke.sh [SCRATCH_DIR]
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

run disk disk --dir "$DIR" --iterations 50 --write-mib 4 --read-mib 8
check disk fdatasync_4k_p50_us fdatasync_4k_p99_us seq_write_fdatasync_1m_mb_per_sec seq_read_mb_per_sec seq_read_cold

APPEND_FIELDS="engine records_per_sec mb_per_sec p50_us p99_us p999_us cpu_seconds peak_rss_mb"
for engine in iris sqlite rocksdb; do
    run "append-$engine" append --engine "$engine" --record-size 256 --producers 4 --duration 0.5 --dir "$DIR"
    # shellcheck disable=SC2086
    check "append-$engine" $APPEND_FIELDS
done
run append-iris-posix append --engine iris --io posix --batch 10 --compression zstd --record-size 1024 \
    --producers 4 --duration 0.5 --dir "$DIR"
# shellcheck disable=SC2086
check append-iris-posix $APPEND_FIELDS

run read read --dir "$DIR" --records 2000 --record-size 256
check read records_per_sec mb_per_sec records

run recover recover --size-gb 0.02 --segment-mb 8 --dir "$DIR"
check recover open_ms rebuild_mb_per_sec index_bytes_per_kib_record index_resident_bytes_per_kib_record clean_open_ms
echo "iris-bench smoke: every subcommand ran"
