#!/usr/bin/env bash
# The chaos harness for irisd: real processes, kill -9, SIGSTOP, nftables partitions on loopback,
# then the checker. Builds nothing: takes irisd and iris-log from --bin (default .build/debug).
#   Tools/iris-chaos/run.sh [--nodes 3|5] [--partitions P] [--duration S] [--seed S] [--json] [--bin DIR]
#   Tools/iris-chaos/run.sh --self-test     # the checker's own tests on synthetic evidence
# Exit 0 only when the run found no violation. See README.md "Chaos tests".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ "${1:-}" == "--self-test" ]]; then
    cd "$here"
    exec python3 -m unittest -v test_checker test_cluster_info
fi
# Network partitions need nft; install it like Scripts/install-deps.sh installs the rest. Without
# it the run still goes on and reports partition_faults_unavailable.
if ! command -v nft >/dev/null 2>&1 && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "iris-chaos: installing nftables" >&2
    (apt-get install -y -qq nftables >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq nftables >/dev/null 2>&1; }) \
        || echo "iris-chaos: could not install nftables" >&2
fi
exec python3 "$here/iris_chaos.py" "$@"
