#!/usr/bin/env bash
# Builds one libFuzzer target and runs it for SECONDS on a copy of its seed corpus.
#   Fuzz/run.sh TARGET SECONDS        e.g. Fuzz/run.sh FuzzFrameDecoder 60
# Targets: FuzzFrameDecoder FuzzRecordDecoder FuzzSegmentRecovery FuzzIndexFile FuzzCheckpoint FuzzPeerWire FuzzClientFrame FuzzMQTTPacket
# Exits non-zero on a crash, a hang (-timeout=10), an out-of-memory or any sanitizer report;
# the input that did it is left in Fuzz/artifacts/TARGET/ (git-ignored). To keep it as a
# regression, copy it to Fuzz/regressions/TARGET/: every run replays those inputs first.
# SKIP_BUILD=1 uses the binary already in .build-fuzz (Fuzz/run-all.sh builds all first).
# Builds take the machine-wide lock /tmp/iris-swift-build.lock (one Swift build at a time).
set -uo pipefail

TARGET=${1:?usage: Fuzz/run.sh TARGET SECONDS}
SECONDS_TO_RUN=${2:?usage: Fuzz/run.sh TARGET SECONDS}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

if [ ! -d "Fuzz/$TARGET" ]; then
    echo "run.sh: no fuzz target Fuzz/$TARGET" >&2
    exit 2
fi

fuzz_build() {
    # Only the fuzz product is built, alone in its own scratch path: -parse-as-library applies
    # to every target of the build, and the library must be instrumented too. The combined
    # -sanitize=fuzzer,address is what instruments the Swift code (SWIFT-NOTES.md section 5).
    flock /tmp/iris-swift-build.lock swift build -c release --product "$1" --scratch-path .build-fuzz \
        --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
}

BIN=.build-fuzz/release/$TARGET
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    mkdir -p .build-fuzz
    echo "building $TARGET (fuzzer + address sanitizer)..."
    if ! fuzz_build "$TARGET" > ".build-fuzz/build-$TARGET.log" 2>&1; then
        grep -E "error:" ".build-fuzz/build-$TARGET.log" | sort -u | head -20
        echo "run.sh: build of $TARGET failed; see .build-fuzz/build-$TARGET.log" >&2
        exit 2
    fi
fi
[ -x "$BIN" ] || { echo "run.sh: $BIN missing" >&2; exit 2; }

case "$TARGET" in
    FuzzSegmentRecovery) MAX_LEN=1048576 ;;
    *) MAX_LEN=65536 ;;
esac

WORK=$(mktemp -d "/tmp/iris-fuzz-$TARGET.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus" "Fuzz/artifacts/$TARGET"
# The run adds the inputs it finds to this copy, never to the repository.
[ -d "Fuzz/corpus/$TARGET" ] && cp -R "Fuzz/corpus/$TARGET/." "$WORK/corpus/"
CORPORA=("$WORK/corpus")
if [ -d "Fuzz/regressions/$TARGET" ] && [ -n "$(ls -A "Fuzz/regressions/$TARGET")" ]; then
    CORPORA+=("Fuzz/regressions/$TARGET")
fi

echo "fuzzing $TARGET for ${SECONDS_TO_RUN}s (max_len $MAX_LEN, $(ls "$WORK/corpus" | wc -l) seed inputs)"
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$BIN" \
    -max_total_time="$SECONDS_TO_RUN" -timeout=10 -max_len="$MAX_LEN" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="Fuzz/artifacts/$TARGET/" "${CORPORA[@]}" > "$WORK/fuzz.log" 2>&1
STATUS=$?

RUNS=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$WORK/fuzz.log" | grep -o '[0-9]*$' | tail -1)
RATE=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$WORK/fuzz.log" | grep -o '[0-9]*$' | tail -1)
COVERAGE=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$WORK/fuzz.log" | tail -1)
REPORT=$(grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: |Fatal error|Test unit written|==[0-9]+== ERROR' "$WORK/fuzz.log" | head -5)

echo "$TARGET: ${RUNS:-?} executions, ${RATE:-?} exec/s, $COVERAGE, exit $STATUS"
if [ "$STATUS" -ne 0 ] || [ -n "$REPORT" ]; then
    echo "---- $TARGET FAILED; last lines of the libFuzzer log:"
    grep -vE '^#[0-9]+|ld.gold' "$WORK/fuzz.log" | tail -40
    cp "$WORK/fuzz.log" "Fuzz/artifacts/$TARGET/last-failure.log"
    echo "---- inputs: $(ls Fuzz/artifacts/$TARGET/ | grep -E '^(crash|timeout|oom|leak)-' | sed "s|^|Fuzz/artifacts/$TARGET/|" | tr '\n' ' ')"
    exit 1
fi
exit 0
