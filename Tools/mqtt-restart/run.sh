#!/usr/bin/env bash
# How long irisd takes to serve MQTT again with many persistent sessions and much history, from its
# router checkpoints and without them (SPEC.md §16.8).
#   Tools/mqtt-restart/run.sh --irisd PATH [--sessions N] [--gib G] [--payload-bytes B] [--data DIR] [--json]
# The driver is restart.py (next to this script); `--help` lists every option.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/restart.py" "$@"
