#!/usr/bin/env bash
# Issue "iris-bench cluster": Iris (3 irisd nodes on loopback) against etcd (3 members) and NATS
# JetStream R3 in one session, with the same client counts and duration, then a table of ratios.
#   DURATION=10 LEVELS="1 16 256" PERF=1 IRIS_ARGS="--conns 256" Tools/iris-bench/cluster-vs-peers.sh [OUT_DIR]
# Runs iris-bench-cluster (3 nodes at each level, 1 node at 1 client, and with PERF=1 one more
# 256-client run under perf for the profile), then ../shared/peers/etcd3.sh (MODES=3) and
# nats-js.sh (NEWER=1: 2.15 with sync_interval: always) one after another. Each writes its JSON
# into OUT_DIR (default results/cluster-<UTC time>); the table goes to stdout and OUT_DIR/table.txt.
# Expects release builds in the main package:
#   swift build -c release --product irisd && swift build -c release --product iris-bench-cluster
# 2 cores: hold the build lock for the whole run so no build competes:
#   flock /tmp/iris-swift-build.lock Tools/iris-bench/cluster-vs-peers.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DURATION=${DURATION:-10}
LEVELS=${LEVELS:-"1 16 256"}
PERF=${PERF:-1}
BIN=${BIN:-$ROOT/.build/release}
PEERS_SRC=${PEERS:-$ROOT/../shared/peers}
OUT=${1:-$HERE/results/cluster-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

# The peer scripts write results/ beside themselves: run a copy when the folder is read-only.
PEERS=$PEERS_SRC
if [ ! -w "$PEERS_SRC" ]; then
    PEERS=$(mktemp -d /tmp/iris-bench-peers.XXXXXX)
    cp -r "$PEERS_SRC"/. "$PEERS"/
fi
PERF_DATA=""
if [ "$PERF" = 1 ] && command -v perf >/dev/null; then PERF_DATA=$(mktemp /tmp/iris-bench-cluster-perf.XXXXXX); fi
trap '[ "$PEERS" = "$PEERS_SRC" ] || rm -rf "$PEERS"; [ -z "$PERF_DATA" ] || rm -f "$PERF_DATA"' EXIT

echo "[$(date -u +%H:%M:%S)] iris: 3 nodes, clients ${LEVELS// /,}, ${DURATION}s each" >&2
"$BIN/iris-bench-cluster" --irisd "$BIN/irisd" --clients "${LEVELS// /,}" --single-clients 1 \
    --duration "$DURATION" ${PERF_DATA:+--perf-data "$PERF_DATA"} ${IRIS_ARGS:-} --json | tee "$OUT/iris.log" >&2
tail -n 1 "$OUT/iris.log" >"$OUT/iris.json"
if [ -n "$PERF_DATA" ]; then
    perf report -i "$PERF_DATA" --stdio --no-children --sort comm,dso 2>/dev/null | grep -v '^#' | grep -v '^$' \
        | head -n 40 >"$OUT/perf-dso.txt" || true
    perf report -i "$PERF_DATA" --stdio --no-children --sort comm,sym -g none --percent-limit 0.5 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | head -n 80 >"$OUT/perf-sym.txt" || true
    # Time by kernel entry point, callees included (thread hand-offs, fsync, TCP, reads of the log).
    perf report -i "$PERF_DATA" --stdio --children --sort sym -g none 2>/dev/null \
        | grep -E '\[k\] (__x64_sys_|schedule$|ext4_sync_file|tcp_sendmsg$|tcp_recvmsg$|asm_common_interrupt)' \
        | head -n 30 >"$OUT/perf-kernel.txt" || true
fi

echo "[$(date -u +%H:%M:%S)] etcd: 3 members" >&2
DURATION=$DURATION LEVELS=$LEVELS MODES=3 CRASH_N=0 bash "$PEERS/etcd3.sh" | tail -n 1 >"$OUT/etcd.json"
echo "[$(date -u +%H:%M:%S)] NATS JetStream R3" >&2
DURATION=$DURATION LEVELS=$LEVELS NEWER=1 EVIDENCE=0 CRASH_N=0 bash "$PEERS/nats-js.sh" | tail -n 1 >"$OUT/nats.json"

python3 "$HERE/cluster-table.py" "$OUT" | tee "$OUT/table.txt"
