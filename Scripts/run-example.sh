#!/usr/bin/env bash
# The main job: builds (release) and runs the example program that embeds IrisLog.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
swift build -c release --product iris-example
.build/release/iris-example "$@"
