#!/usr/bin/env bash
# Fan-out (1 publisher, 1,000 subscribers, QoS 1, 1 KiB, 64 in flight) against one broker (a single irisd
# node, or Mosquitto 2.0.11 with persistence on), with the CPU the broker and the load generator used over
# 6 s of the run (utime+stime from /proc) per delivery, and a perf profile of the broker (perf-BROKER.data,
# its top symbols in perf-BROKER-top.txt). CPU per delivery is a count of CPU time: usable on a busy machine.
#   Tools/iris-mqtt-bench/fanout-profile.sh irisd|mosquitto [IRISD] [OUTDIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/.build/release
broker=$1; IRISD=${2:-$BIN/irisd}; out=${3:-$(mktemp -d /tmp/iris-fanout.XXXXXX)}
mkdir -p "$out"
d=$(mktemp -d /var/tmp/fo.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$broker" = irisd ]; then
    "$IRISD" --data "$d/data" --id 1 --cluster "1=127.0.0.1:$cport" --mqtt "127.0.0.1:$port" > "$d/log" 2>&1 &
else
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\nmax_queued_messages 100000\n' "$port" "$d" > "$d/m.conf"
    /usr/sbin/mosquitto -c "$d/m.conf" > "$d/log" 2>&1 &
fi
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$d"' EXIT
for _ in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
sleep 1
ticks() { sed 's/.*) //' /proc/$1/stat | awk '{print $12 + $13}'; }
"$BIN/iris-mqtt-bench" fanout --subscribers 1000 --inflight 64 --qos 1 --size 1024 --warmup 2 --port "$port" --duration 10 --json > "$d/bench.out" 2>&1 &
bench=$!
sleep 4   # connected and warmed up
s0=$(ticks $pid); l0=$(ticks $bench); t0=$(date +%s.%N)
perf record -F 499 -g -o "$out/perf-$broker.data" -p $pid -- sleep 6 >/dev/null 2>&1 || true
s1=$(ticks $pid); l1=$(ticks $bench); t1=$(date +%s.%N)
wait $bench || true
kill "$pid"; wait "$pid" 2>/dev/null || true
line=$(tail -n 1 "$d/bench.out")
python3 - "$line" "$s0" "$s1" "$l0" "$l1" "$t0" "$t1" "$broker" <<'PY' | tee -a "$out/summary.txt"
import json, sys
row = json.loads(sys.argv[1]); s = (int(sys.argv[3]) - int(sys.argv[2])) / 100; l = (int(sys.argv[5]) - int(sys.argv[4])) / 100
wall = float(sys.argv[7]) - float(sys.argv[6]); rate = row["deliveries_per_s"]
print(f"{sys.argv[8]}: {rate:,.0f} deliveries/s; over {wall:.1f} s the broker used {s/wall:.2f} cores, the generator {l/wall:.2f} cores; "
      f"broker {s/wall*1e6/rate:.1f} µs/delivery, generator {l/wall*1e6/rate:.1f} µs/delivery; lost {row.get('lost')} dup {row.get('duplicates')} errors {row.get('errors')}")
PY
perf report -i "$out/perf-$broker.data" --stdio --no-children --sort dso,sym 2>/dev/null | grep -v '^#' | grep -v '^$' | grep '%' | head -40 > "$out/perf-$broker-top.txt" || true
echo "profile and summary: $out" >&2
