#!/usr/bin/env bash
# iris-mqtt-bench against Mosquitto 2.0.11 (persistence on) and a single-node irisd, same session, same disk:
# 1:1 pairs (QoS 1, 1 KiB) at 1, 16 and 256 pairs, then fan-out (1 publisher, 1,000 subscribers). Each level gets
# a fresh broker and data directory; the server's CPU time per message comes from /proc/PID/stat (utime+stime).
# Prints a table and appends one JSON line per level to Tools/iris-mqtt-bench/results/DATE.jsonl.
#   vs-mosquitto.sh [--duration S] [--json] [--smoke]
# IRISD=PATH benches that irisd binary instead of this tree's (an earlier build, for before/after in one session);
# IRISD_ARGS="..." adds flags to irisd (e.g. "--partitions 2"; word-split).
# --smoke: 2 s per level, pairs 1 and 16 only, no fan-out; exits 1 if any message is lost or duplicated or any
# error is counted.
set -euo pipefail

DURATION=10
JSON=0
SMOKE=0
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION="$2"; shift 2 ;;
        --json) JSON=1; shift ;;
        --smoke) SMOKE=1; DURATION=2; shift ;;
        *) echo "usage: vs-mosquitto.sh [--duration S] [--json] [--smoke]" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
flock /tmp/iris-swift-build.lock sh -c 'swift build -c release --product irisd >&2 &&
    swift build -c release --product iris-log >&2 && swift build -c release --product iris-mqtt-bench >&2'
BIN=$(swift build -c release --show-bin-path)
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
IRISD=${IRISD:-$BIN/irisd}
WORK=$(mktemp -d "${IRIS_BENCH_TMP:-/var/tmp}/iris-vs-mosquitto.XXXXXX")
RESULTS="$ROOT/Tools/iris-mqtt-bench/results"
mkdir -p "$RESULTS"
OUT="$RESULTS/$(date -u +%Y-%m-%d).jsonl"
[ "$SMOKE" = 1 ] && OUT="$WORK/smoke.jsonl"
CLK_TCK=$(getconf CLK_TCK)
BROKER_PID=""
trap 'if [ -n "$BROKER_PID" ]; then kill "$BROKER_PID" 2>/dev/null || true; fi' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# utime + stime of PID in clock ticks (fields 14 and 15 after the parenthesised command name).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

wait_port() {
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$BROKER_PID" 2>/dev/null || { echo "broker exited; see $2" >&2; return 1; }
        sleep 0.05
    done
    echo "broker did not listen on $1 within 10 s; see $2" >&2
    return 1
}

start_mosquitto() {  # DIR PORT
    mkdir -p "$1/persistence"
    cat > "$1/mosquitto.conf" <<CONF
listener $2 127.0.0.1
allow_anonymous true
persistence true
persistence_location $1/persistence/
autosave_interval 1800
user root
log_dest file $1/mosquitto.log
log_type error
log_type warning
CONF
    "$MOSQUITTO" -c "$1/mosquitto.conf" > "$1/stdout.log" 2>&1 &
    BROKER_PID=$!
    wait_port "$2" "$1/mosquitto.log"
}

start_irisd() {  # DIR PORT METRICS_PORT
    "$IRISD" --data "$1" --mqtt "127.0.0.1:$2" --cluster "1=127.0.0.1:$(free_port)" --id 1 \
        --metrics "127.0.0.1:$3" ${IRISD_ARGS:-} > "$1.log" 2>&1 &
    BROKER_PID=$!
    wait_port "$2" "$1.log"
}

stop_broker() {
    kill -TERM "$BROKER_PID"
    wait "$BROKER_PID" || true
    BROKER_PID=""
}

# BROKER LEVEL BENCH-ARGS...: one fresh broker, one load, one JSON line on stdout and in $OUT.
run_level() {
    local broker=$1 level=$2; shift 2
    local dir="$WORK/$broker-$level" port metrics="" ticks0 ticks1 line index_metrics="{}" storage="{}"
    port=$(free_port)
    if [ "$broker" = mosquitto ]; then
        mkdir -p "$dir"; start_mosquitto "$dir" "$port"
    else
        metrics=$(free_port); start_irisd "$dir" "$port" "$metrics"
    fi
    ticks0=$(cpu_ticks "$BROKER_PID")
    line=$("$BIN/iris-mqtt-bench" "$@" --port "$port" --duration "$DURATION" --json | tail -n 1) || {
        echo "iris-mqtt-bench failed against $broker at $level" >&2; stop_broker; return 1; }
    ticks1=$(cpu_ticks "$BROKER_PID")
    if [ "$broker" = irisd ]; then
        index_metrics=$(curl -sf "http://127.0.0.1:$metrics/metrics" | python3 -c '
import json, sys
sums = {"iris_mqtt_index_bytes": 0.0, "iris_mqtt_indexed_messages": 0.0}
for row in sys.stdin:
    name = row.split("{")[0].split(" ")[0]
    if name in sums: sums[name] += float(row.split()[-1])
print(json.dumps(sums))')
    fi
    stop_broker
    if [ "$broker" = irisd ]; then
        storage=$(for partition in "$dir"/partitions/*/; do "$BIN/iris-log" info "$partition" --json; done | python3 -c '
import json, sys
rows = [json.loads(row) for row in sys.stdin if row.strip()]
print(json.dumps({"data_bytes": sum(r["data_bytes"] for r in rows), "file_bytes": sum(r["file_bytes"] for r in rows),
                  "records": sum(r["records"] for r in rows)}))')
    fi
    python3 - "$broker" "$level" "$line" "$((ticks1 - ticks0))" "$CLK_TCK" "$index_metrics" "$storage" <<'PY' | tee -a "$OUT"
import json, sys
broker, level, line, ticks, clk, index, storage = sys.argv[1:]
bench = json.loads(line)
index, storage = json.loads(index), json.loads(storage)
messages = bench["acknowledged"] * (bench.get("subscribers", 1))
row = {"broker": broker, "level": level, "bench": bench, "server_cpu_s": int(ticks) / int(clk),
       "server_cpu_us_per_message": round(int(ticks) / int(clk) * 1e6 / max(messages, 1), 2)}
if storage:
    row["storage"] = storage
    row["bytes_per_stored_message"] = round(storage["data_bytes"] / max(bench["acknowledged"], 1), 1)
if index:
    row["index"] = index
    row["bytes_per_indexed_message"] = round(index["iris_mqtt_index_bytes"] / max(index["iris_mqtt_indexed_messages"], 1), 2)
print(json.dumps(row, sort_keys=True))
PY
}

LEVELS="1 16 256"
[ "$SMOKE" = 1 ] && LEVELS="1 16"
ROWS="$WORK/rows.jsonl"
: > "$ROWS"
WARMUP=1
[ "$SMOKE" = 1 ] && WARMUP=0.5
for pairs in $LEVELS; do
    for broker in mosquitto irisd; do
        run_level "$broker" "pairs-$pairs" pairs --pairs "$pairs" --qos 1 --size 1024 --warmup "$WARMUP" >> "$ROWS"
    done
done
if [ "$SMOKE" = 0 ]; then
    for broker in mosquitto irisd; do
        run_level "$broker" fanout-1000 fanout --subscribers 1000 --inflight 64 --qos 1 --size 1024 --warmup "$WARMUP" >> "$ROWS"
    done
fi

python3 - "$ROWS" "$JSON" "$SMOKE" <<'PY'
import json, sys
rows = [json.loads(r) for r in open(sys.argv[1]) if r.strip()]
print("| level | broker | msgs/s | ack p50/p99/p99.9 ms | e2e p50/p99/p99.9 ms | server CPU µs/msg | errors/lost/dup | B/stored | B/indexed |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
ms = lambda b, k: "/".join(f'{b[f"{k}_{q}_us"] / 1000:.2f}' for q in ("p50", "p99", "p999"))
bad = 0
for r in rows:
    b = r["bench"]
    rate = b.get("delivered_per_s", b.get("deliveries_per_s"))
    bad += b["errors"] + b["lost"] + b["duplicates"]
    print(f'| {r["level"]} | {r["broker"]} | {rate:,.0f} | {ms(b, "ack")} | {ms(b, "e2e")} | {r["server_cpu_us_per_message"]} '
          f'| {b["errors"]}/{b["lost"]}/{b["duplicates"]} | {r.get("bytes_per_stored_message", "")} | {r.get("bytes_per_indexed_message", "")} |')
if sys.argv[2] == "1":
    print(json.dumps({"rows": rows}, sort_keys=True))
if sys.argv[3] == "1" and bad:
    print(f"smoke: {bad} errors, lost or duplicated messages", file=sys.stderr)
    sys.exit(1)
PY
rm -rf "$WORK"
