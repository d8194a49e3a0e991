#!/usr/bin/env bash
# Installs the system libraries Iris builds against, only when missing (Debian; run as root).
set -euo pipefail
missing=()
# python3 runs the independent SPEC reader in the tests; SQLite and RocksDB are the peers
# Tools/iris-bench links (its smoke run is part of the tests).
for package in liburing-dev libzstd-dev pkg-config libsqlite3-dev librocksdb-dev; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
