#!/usr/bin/env bash
# Builds every fuzz target once, then runs each for SECONDS (default 60), two at a time.
#   Fuzz/run-all.sh [SECONDS [TARGET...]]     (no TARGET: all eight)
# Each libFuzzer run is one single-threaded process, so two side by side keep both cores busy; each
# target's output is printed as one block, in the order of TARGETS, once that target has finished.
# SKIP_BUILD=1 runs the binaries already in .build-fuzz (as Fuzz/run.sh does).
# Exits non-zero if any build fails or any target finds a crash, hang or sanitizer report.
set -uo pipefail
SECONDS_TO_RUN=${1:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TARGETS=(FuzzFrameDecoder FuzzRecordDecoder FuzzSegmentRecovery FuzzIndexFile FuzzCheckpoint FuzzPeerWire FuzzClientFrame FuzzMQTTPacket)
if [ $# -gt 1 ]; then TARGETS=("${@:2}"); fi
RUNS_AT_ONCE=2

mkdir -p .build-fuzz
START=$(date +%s)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    for target in "${TARGETS[@]}"; do
        # One scratch path for all: the library and its dependencies are compiled once, then each
        # further product only compiles its own file and links.
        echo "building $target..."
        # The time is measured inside the lock, so waiting for another build does not count.
        if ! flock /tmp/iris-swift-build.lock bash -c 'start=$(date +%s%N)
                swift build -c release --product "$1" --scratch-path .build-fuzz \
                    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
                status=$?
                echo "iris-fuzz-build-ms $(( ($(date +%s%N) - start) / 1000000 ))"
                exit $status' _ "$target" > ".build-fuzz/build-$target.log" 2>&1; then
            grep -E "error:" ".build-fuzz/build-$target.log" | sort -u | head -20
            echo "run-all.sh: build of $target failed; see .build-fuzz/build-$target.log" >&2
            exit 2
        fi
    done
    BUILD_MS=0
    for target in "${TARGETS[@]}"; do
        ms=$(grep -o 'iris-fuzz-build-ms [0-9]*' ".build-fuzz/build-$target.log" | grep -o '[0-9]*$')
        echo "  $target: $((ms / 1000)).$(( (ms % 1000) / 100 ))s"
        BUILD_MS=$((BUILD_MS + ms))
    done
    echo "built ${#TARGETS[@]} fuzz targets: $((BUILD_MS / 1000))s of building ($(( $(date +%s) - START ))s wall, waiting for the build lock included)"
fi

# The runs of one group start together; their logs are printed in order as each ends.
FAILED=()
LOGS=$(mktemp -d /tmp/iris-fuzz-logs.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
RUN_START=$(date +%s)
for ((first = 0; first < ${#TARGETS[@]}; first += RUNS_AT_ONCE)); do
    GROUP=("${TARGETS[@]:first:RUNS_AT_ONCE}")
    RUNNING=()
    for index in "${!GROUP[@]}"; do
        SKIP_BUILD=1 Fuzz/run.sh "${GROUP[index]}" "$SECONDS_TO_RUN" > "$LOGS/$((first + index)).log" 2>&1 &
        RUNNING+=($!)
    done
    for index in "${!GROUP[@]}"; do
        target=${GROUP[index]}
        wait "${RUNNING[index]}"
        status=$?
        cat "$LOGS/$((first + index)).log"
        [ "$status" -eq 0 ] || FAILED+=("$target")
    done
done
echo "ran ${#TARGETS[@]} targets ${RUNS_AT_ONCE} at a time in $(( $(date +%s) - RUN_START ))s"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "run-all.sh: FAILED: ${FAILED[*]}" >&2
    exit 1
fi
echo "run-all.sh: all ${#TARGETS[@]} targets ran ${SECONDS_TO_RUN}s each without a finding"
