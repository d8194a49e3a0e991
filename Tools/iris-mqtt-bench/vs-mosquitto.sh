#!/usr/bin/env bash
# iris-mqtt-bench against Mosquitto 2.0.11 (persistence on) and a single-node irisd, same session, same disk:
# 1:1 pairs (QoS 1, 1 KiB) at 1, 16 and 256 pairs, then fan-out (1 publisher, 1,000 subscribers). Each level gets
# a fresh broker and data directory; the server's CPU time per message comes from /proc/PID/stat (utime+stime).
# Prints a table and appends one JSON line per level to Tools/iris-mqtt-bench/results/DATE.jsonl.
#   vs-mosquitto.sh [--duration S] [--json] [--smoke] [--nodes N]
# --nodes N (3 or 5): irisd is a cluster of N nodes on loopback (R = 3, every node serving MQTT, PUBACK once
# the publish is fsynced on a quorum); clients are spread over the nodes round-robin, a pair's publisher on
# the node after its subscriber's. The server CPU is the sum over the nodes. Pairs only (no fan-out).
# IRISD=PATH benches that irisd binary instead of this tree's (an earlier build, for before/after in one session);
# IRISD_ARGS="..." adds flags to irisd (e.g. "--partitions 2"; word-split). SKIP_BUILD=1 skips the release build.
# --smoke: 2 s per level, pairs 1 and 16 only, no fan-out; exits 1 if any message is lost or duplicated or any
# error is counted.
set -euo pipefail

DURATION=10
JSON=0
SMOKE=0
NODES=1
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) DURATION="$2"; shift 2 ;;
        --json) JSON=1; shift ;;
        --smoke) SMOKE=1; DURATION=2; shift ;;
        --nodes) NODES="$2"; shift 2 ;;
        *) echo "usage: vs-mosquitto.sh [--duration S] [--json] [--smoke] [--nodes N]" >&2; exit 2 ;;
    esac
done

case "$NODES" in 1|3|5) ;; *) echo "--nodes must be 1, 3 or 5" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
# SKIP_BUILD=1: use the release binaries as they are (e.g. when the caller already holds the build lock).
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    flock /tmp/iris-swift-build.lock sh -c 'swift build -c release --product irisd >&2 &&
        swift build -c release --product iris-log >&2 && swift build -c release --product iris-mqtt-bench >&2'
fi
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
CLUSTER_PIDS=""
trap 'for pid in $BROKER_PID $CLUSTER_PIDS; do kill "$pid" 2>/dev/null || true; done' EXIT

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

# A cluster of $NODES irisd nodes (R = 3): DIR; sets CLUSTER_PIDS and MQTT_PORTS (comma-separated).
start_cluster() {
    local cluster="" mqtt="" id pid port
    for id in $(seq 1 "$NODES"); do
        cluster="$cluster${cluster:+,}$id=127.0.0.1:$(free_port)"
        mqtt="$mqtt${mqtt:+,}$id=127.0.0.1:$(free_port)"
    done
    MQTT_PORTS=$(echo "$mqtt" | tr ',' '\n' | sed 's/.*://' | paste -sd, -)
    CLUSTER_PIDS=""
    for id in $(seq 1 "$NODES"); do
        "$IRISD" --data "$1/n$id" --id "$id" --cluster "$cluster" --mqtt "$mqtt" --replicas 3 ${IRISD_ARGS:-} \
            > "$1/n$id.log" 2>&1 &
        CLUSTER_PIDS="$CLUSTER_PIDS $!"
    done
    # Leadership settled: the same leader for every partition over 5 s (leaders are balanced onto their
    # preferred nodes every 2 s, SPEC.md §14.5), so no leader transfer, which closes the moved shard's MQTT
    # connections, lands in the run.
    local clients previous="" current stable=0
    clients=$(echo "$cluster" | tr ',' '\n' | sed 's/^[0-9]*=//' | paste -sd, -)
    for attempt in $(seq 1 120); do
        current=$("$BIN/iris-log" info --cluster "$clients" --json 2>/dev/null | python3 -c '
import json, sys
print(",".join(str(p["leader"]) for p in json.load(sys.stdin)["partitions"]))' 2>/dev/null || true)
        if [ -n "$current" ] && [ "$current" = "$previous" ]; then stable=$((stable + 1)); else stable=0; fi
        previous=$current
        [ "$stable" -ge 10 ] && break
        sleep 0.5
    done
    [ "$stable" -ge 10 ] || { echo "cluster leadership did not settle within 60 s; see $1/n*.log" >&2; return 1; }
    # Ready when every node answers a QoS 1 publish (its partitions have leaders and settled).
    for port in $(echo "$MQTT_PORTS" | tr ',' ' '); do
        for attempt in $(seq 1 120); do
            if timeout 5 mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t ready -m x -i "ready-$port" 2>/dev/null; then break; fi
            [ "$attempt" = 120 ] && { echo "cluster node on $port not ready within 60 s; see $1/n*.log" >&2; return 1; }
            sleep 0.5
        done
    done
}

stop_cluster() {
    local pid
    for pid in $CLUSTER_PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in $CLUSTER_PIDS; do wait "$pid" || true; done
    CLUSTER_PIDS=""
}

cluster_cpu_ticks() {
    local pid total=0
    for pid in $CLUSTER_PIDS; do total=$((total + $(cpu_ticks "$pid"))); done
    echo "$total"
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
    if [ "$broker" = iris-cluster ]; then
        mkdir -p "$dir"; start_cluster "$dir"
        ticks0=$(cluster_cpu_ticks)
        line=$("$BIN/iris-mqtt-bench" "$@" --ports "$MQTT_PORTS" --duration "$DURATION" --json | tail -n 1) || {
            echo "iris-mqtt-bench failed against $broker at $level" >&2; stop_cluster; return 1; }
        ticks1=$(cluster_cpu_ticks)
        stop_cluster
    else
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
    fi
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
IRIS_BROKER=irisd
[ "$NODES" != 1 ] && IRIS_BROKER=iris-cluster
for pairs in $LEVELS; do
    for broker in mosquitto "$IRIS_BROKER"; do
        run_level "$broker" "pairs-$pairs" pairs --pairs "$pairs" --qos 1 --size 1024 --warmup "$WARMUP" >> "$ROWS"
    done
done
if [ "$SMOKE" = 0 ] && [ "$NODES" = 1 ]; then
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
