#!/usr/bin/env bash
# Operators' tools at disk speed (issue 13): times `iris-log verify`, `dump` and `dump --json` on a
# realistic log and reports MB/s of record bytes (the values' bytes) and µs of CPU per record, with
# the disk's sequential read of the same segment files for reference.
#
# Usage: Tools/iris-bench/dump-speed.sh [-d SCRATCH_DIR] [-n RECORDS] [-b IRIS_LOG_BINARY] [-r RUNS] [-l LABEL] [-o RESULTS.jsonl]
#   -d  where the log is built (kept and reused when its records match; default /var/tmp/iris-dump-speed)
#   -n  records (default 150000: about 490 MB of values, the first half appended uncompressed,
#       the second half with zstd; Tools/iris-bench/dump-log.py describes them)
#   -b  the iris-log binary to measure (default: build the release one in this package)
#   -r  runs per command with stdout to /dev/null (default 3)
#   -l  a label for the binary, kept in the JSON lines (e.g. a commit)
#   -o  append one JSON line per measurement to this file
# Each command runs RUNS times with stdout to /dev/null and once to a file in the scratch dir
# (page cache, not synced); the table shows the fastest run to /dev/null (the machine is shared and
# noisy) and the file run. The log is read from the page cache after the first pass: these are CPU
# figures; the disk's cold sequential read (O_DIRECT) is the reference the issue compares against.
set -euo pipefail
cd "$(dirname "$0")"
TOOLS=$PWD
DIR=/var/tmp/iris-dump-speed
RECORDS=150000
BIN=
OUT=
RUNS=3
LABEL=
while getopts "d:n:b:r:l:o:" opt; do
    case $opt in
        d) DIR=$OPTARG ;; n) RECORDS=$OPTARG ;; b) BIN=$OPTARG ;; r) RUNS=$OPTARG ;; l) LABEL=$OPTARG ;; o) OUT=$OPTARG ;;
        *) sed -n '2,19p' "$0"; exit 2 ;;
    esac
done
if [ -z "$BIN" ]; then
    (cd ../.. && swift build -c release --product iris-log >&2)
    BIN=$(cd ../.. && swift build -c release --show-bin-path)/iris-log
fi
LOG=$DIR/log
mkdir -p "$DIR"

if [ ! -f "$DIR/meta.json" ] || [ "$(python3 -c "import json; print(json.load(open('$DIR/meta.json'))['records'])")" != "$RECORDS" ]; then
    echo "building a log of $RECORDS records in $LOG" >&2
    rm -rf "$LOG" "$DIR/meta.json"
    python3 "$TOOLS/dump-log.py" "$RECORDS" 13 "$DIR/meta.tmp" >"$DIR/lines"
    half=$((RECORDS / 2))
    head -n "$half" "$DIR/lines" | "$BIN" append "$LOG" --no-sync >/dev/null
    tail -n "+$((half + 1))" "$DIR/lines" | "$BIN" append "$LOG" --no-sync --compression zstd >/dev/null
    rm -f "$DIR/lines"
    mv "$DIR/meta.tmp" "$DIR/meta.json"
fi
VALUE_BYTES=$(python3 -c "import json; print(json.load(open('$DIR/meta.json'))['value_bytes'])")
"$BIN" info "$LOG" --json >"$DIR/info.json"
LOG_BYTES=$(python3 -c "import json; print(json.load(open('$DIR/info.json'))['data_bytes'])")

# The disk: cold sequential read of the segments' data (O_DIRECT bypasses the page cache; the
# active segment's preallocated tail is left out), in MB/s.
disk_mbs() {
    local start end segments
    segments=$(python3 -c "
import json
for segment in json.load(open('$DIR/info.json'))['segment_list']:
    print(segment['name'], -(-segment['data_bytes'] // (4 << 20)))")
    start=$(date +%s.%N)
    while read -r name blocks; do
        dd if="$LOG/$name" of=/dev/null bs=4M count="$blocks" iflag=direct status=none
    done <<<"$segments"
    end=$(date +%s.%N)
    python3 -c "print(round($LOG_BYTES / 1e6 / ($end - $start), 1))"
}
DISK_MBS=$(disk_mbs)

"$BIN" verify "$LOG" >/dev/null   # warms the page cache

# measure NAME TARGET ARGS...: runs `iris-log ARGS` with stdout to TARGET; prints "wall cpu".
measure() {
    local target=$2; shift 2
    /usr/bin/time -f "%e %U %S" -o "$DIR/time" "$BIN" "$@" >"$target"
    awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$DIR/time"
}

printf "log: %s records, %.1f MB of values in %.1f MB of segment files; disk sequential read %s MB/s\n" \
    "$RECORDS" "$(python3 -c "print($VALUE_BYTES / 1e6)")" "$(python3 -c "print($LOG_BYTES / 1e6)")" "$DISK_MBS"
printf "%-14s %-10s %8s %8s %10s %12s %10s\n" command output wall_s cpu_s "MB/s" "cpu_us/rec" out_MB
report() {  # report NAME OUTPUT "wall cpu" OUTPUT_BYTES
    local name=$1 output=$2 wall=${3% *} cpu=${3#* } bytes=$4
    python3 - "$name" "$output" "$wall" "$cpu" "$bytes" "$VALUE_BYTES" "$RECORDS" "$LOG_BYTES" "$DISK_MBS" "$OUT" "$LABEL" <<'PY'
import json, sys, time
name, output, wall, cpu, out_bytes, value_bytes, records, log_bytes, disk, path, label = sys.argv[1:]
wall, cpu, value_bytes, records = float(wall), float(cpu), int(value_bytes), int(records)
mbs = value_bytes / 1e6 / max(wall, 1e-3)
cpu_us = cpu * 1e6 / records
print(f"{name:<14} {output:<10} {wall:8.2f} {cpu:8.2f} {mbs:10.1f} {cpu_us:12.2f} {int(out_bytes) / 1e6:10.1f}")
if path:
    with open(path, "a") as f:
        f.write(json.dumps({"bench": "dump-speed", "label": label, "command": name, "output": output, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "records": records, "value_bytes": value_bytes, "log_bytes": int(log_bytes), "wall_s": wall, "cpu_s": cpu,
                            "record_mb_per_sec": round(mbs, 1), "cpu_us_per_record": round(cpu_us, 2), "output_bytes": int(out_bytes),
                            "disk_seq_read_mb_per_sec": float(disk)}) + "\n")
PY
}

best() {  # best TARGET ARGS...: the fastest of RUNS runs, as "wall cpu"
    local target=$1; shift
    for _ in $(seq "$RUNS"); do measure x "$target" "$@"; done | sort -n | head -1
}

report verify /dev/null "$(best /dev/null verify "$LOG")" 0
for json in "" --json; do
    name="dump${json:+ $json}"
    report "$name" /dev/null "$(best /dev/null dump "$LOG" $json)" 0
    result=$(measure x "$DIR/out" dump "$LOG" $json)
    report "$name" file "$result" "$(stat -c %s "$DIR/out")"
    rm -f "$DIR/out"
done
