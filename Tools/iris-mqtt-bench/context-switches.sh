#!/usr/bin/env bash
# Context switches per delivered message of one single-node irisd under iris-mqtt-bench pairs (QoS 1, 1 KiB),
# from the voluntary + involuntary switch counts in /proc/PID/task/*/status before and after the measured run;
# prints the total and, on stderr, the split by thread name (NIO-ELT-*: event loops, iris-lane-N /
# iris-sync / iris-uring: the I/O engine shared by the logs, *default-qos: Swift's global executor). Counts, not times: usable on a
# loaded machine. Needs release builds of iris-mqtt-bench (and irisd, or pass another binary).
#   Tools/iris-mqtt-bench/context-switches.sh [IRISD] [PAIRS] [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/.build/release
IRISD=${1:-$BIN/irisd}; PAIRS=${2:-16}; DUR=${3:-5}
d=$(mktemp -d /var/tmp/cs.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$IRISD" --data "$d/data" --id 1 --cluster "1=127.0.0.1:$cport" --mqtt "127.0.0.1:$port" > "$d/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$d"' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
sleep 1; grep -q "serving MQTT" "$d/log" || { cat "$d/log" >&2; }
cs() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s+=$2} END {print s}'; }
bythread() { for t in /proc/$pid/task/*; do echo "$(cat $t/comm 2>/dev/null)|$(awk '/ctxt_switches/ {s+=$2} END {print s}' $t/status 2>/dev/null)"; done | awk -F'|' '{a[$1]+=$2} END {for (k in a) print k"|"a[k]}' | sort; }
ticks() { sed 's/.*) //' /proc/$pid/stat | awk '{print $12 + $13}'; }
"$BIN/iris-mqtt-bench" pairs --pairs "$PAIRS" --qos 1 --size 1024 --warmup 1 --port "$port" --duration 1 --json >/dev/null
c0=$(cs); t0=$(ticks); bythread > "$d/th0"
line=$("$BIN/iris-mqtt-bench" pairs --pairs "$PAIRS" --qos 1 --size 1024 --warmup 0 --port "$port" --duration "$DUR" --json | tail -n 1)
c1=$(cs); t1=$(ticks); bythread > "$d/th1"
n=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["delivered"])' "$line")
join -t'|' "$d/th0" "$d/th1" | awk -F'|' -v n="$n" '{printf "  %-24s %.2f/msg\n", $1, ($3-$2)/n}' >&2
kill "$pid"; wait "$pid" 2>/dev/null || true
python3 - "$line" "$c0" "$c1" "$t0" "$t1" "$(basename $IRISD)" "$PAIRS" <<'PY'
import json, sys
row = json.loads(sys.argv[1]); c = int(sys.argv[3]) - int(sys.argv[2]); t = (int(sys.argv[5]) - int(sys.argv[4])) * 10000
n = row["delivered"]
rate = row["delivered_per_s"]
print(f"{sys.argv[6]} pairs={sys.argv[7]} msgs={n} rate={rate} cswitch/msg={c/max(n,1):.2f} cpu_us/msg={t/max(n,1):.0f} ack_p50={row['ack_p50_us']} ack_p99={row['ack_p99_us']}")
PY
