#!/usr/bin/env bash
# The test command: installs what is missing, builds once, runs the unit tests, then short
# crash-recovery and fuzz smoke runs. CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/install-deps.sh
started=$(date +%s)

# Power-loss simulation seeds for the unit test (issue: at least 10,000 in CI).
export IRIS_POWER_LOSS_SEEDS="${IRIS_POWER_LOSS_SEEDS:-10000}"
swift build --build-tests
swift test --skip-build --parallel --num-workers 2

echo "tests took $(( $(date +%s) - started )) s"
