#!/usr/bin/env bash
# Kill -9 durability of acknowledged MQTT messages against Mosquitto or irisd.
#   Tools/mqtt-durability/run.sh --broker mosquitto|irisd|iris-cluster [--count N] [--qos 1|2|both] [--json]
#                                [--expect-loss] [--irisd PATH] [--iris-log PATH] [--kill subscriber-leader|publisher-leader] [--data DIR]
#                                [--nodes N] [--replicas R] [--partitions P]   (iris-cluster: R < N makes nodes host only some partitions)
# The driver is durability.py (next to this script); `--help` lists every option.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/durability.py" "$@"
