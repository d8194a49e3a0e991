#!/usr/bin/env bash
# The main job: builds irisd and iris-log, starts a single irisd node on the embedded default
# (clients on 127.0.0.1:7100, MQTT on 127.0.0.1:1883, nothing to configure; data in
# ${IRIS_DATA:-./.iris-data}), shows it working (three records appended through the client
# protocol, committed, and read back; one MQTT message published and received), then keeps the
# node running until Ctrl-C or SIGTERM, which shut it down cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build --product irisd
swift build --product iris-log
data=${IRIS_DATA:-$PWD/.iris-data}
bin=.build/debug
"$bin/irisd" --data "$data" "$@" &
node=$!
trap 'kill -TERM "$node" 2>/dev/null; wait "$node"' INT TERM
ready=
for _ in $(seq 1 100); do
    if "$bin/iris-log" info --cluster 127.0.0.1:7100 --timeout 1 >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$node" 2>/dev/null || { echo "irisd exited; see its log above" >&2; exit 1; }
    sleep 0.2
done
[ -n "$ready" ] || { echo "irisd did not answer on 127.0.0.1:7100 within 20 s" >&2; kill -TERM "$node"; exit 1; }
echo
echo "== appending three records to partition 0 (offsets printed once committed)"
printf 'hello\nfrom\niris %s\n' "$(date -u +%H:%M:%S)" | "$bin/iris-log" append --cluster 127.0.0.1:7100 --partition 0
echo "== the last records of partition 0"
"$bin/iris-log" dump --cluster 127.0.0.1:7100 --partition 0 --json | tail -n 3
echo "== the node's partitions"
"$bin/iris-log" info --cluster 127.0.0.1:7100
if command -v mosquitto_sub >/dev/null; then
    echo "== MQTT: one QoS 1 message through 127.0.0.1:1883"
    for _ in $(seq 1 50); do
        mosquitto_pub -h 127.0.0.1 -p 1883 -t iris/ready -n -q 0 2>/dev/null && break
        sleep 0.2
    done
    mosquitto_sub -h 127.0.0.1 -p 1883 -t iris/hello -q 1 -C 1 -W 10 -v &
    subscriber=$!
    sleep 0.5
    mosquitto_pub -h 127.0.0.1 -p 1883 -t iris/hello -q 1 -m "hello over MQTT $(date -u +%H:%M:%S)"
    wait "$subscriber"
fi
echo
echo "irisd (pid $node) serves clients on 127.0.0.1:7100 and MQTT on 127.0.0.1:1883; data in $data. Ctrl-C stops it."
wait "$node"
