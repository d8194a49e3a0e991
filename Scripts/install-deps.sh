#!/usr/bin/env bash
# Installs the system libraries Iris builds against, only when missing (Debian; run as root).
set -euo pipefail
missing=()
# python3 runs the independent SPEC reader in the tests; SQLite and RocksDB are the peers
# Tools/iris-bench links (its smoke run is part of the tests). Mosquitto and its clients are the
# reference broker and real clients of the MQTT suite (Tests/mqtt) and Tools/mqtt-durability; iproute2's
# `ss` reads a listener's backlog there.
for package in liburing-dev libzstd-dev pkg-config libsqlite3-dev librocksdb-dev mosquitto mosquitto-clients iproute2; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian starts the mosquitto service on 127.0.0.1:1883, irisd's default MQTT address; the
    # tests start their own Mosquitto on a free port, so the service we just installed is stopped.
    if [[ " ${missing[*]} " == *" mosquitto "* ]] && command -v systemctl >/dev/null; then
        systemctl disable --now mosquitto.service >/dev/null 2>&1 || true
    fi
fi
# The MQTT suite's Python clients and runner, from PyPI, only when missing.
python_missing=()
python3 -c 'import paho.mqtt, sys; sys.exit(int(paho.mqtt.__version__.split(".")[0]) < 2)' 2>/dev/null \
    || python_missing+=("paho-mqtt>=2,<3")
python3 -c 'import pytest' 2>/dev/null || python_missing+=(pytest)
if [ ${#python_missing[@]} -gt 0 ]; then
    echo "installing from PyPI: ${python_missing[*]}"
    python3 -m pip --version >/dev/null 2>&1 || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
    }
    python3 -m pip install -q "${python_missing[@]}" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "${python_missing[@]}"
fi
