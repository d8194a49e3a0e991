#!/usr/bin/env bash
# Many MQTT connections on one box, counted three ways (issue 12; README "MQTT").
#   Tools/million/run.sh --connections N [--json] [--clean 0|1] [--keepalive S] [--hold S] [--rate R] ...
# Run as root: it raises and records fs.nr_open, fs.file-max, somaxconn, tcp_max_syn_backlog,
# nf_conntrack_max and RLIMIT_NOFILE of irisd and the generator (restoring the sysctls at the end),
# and fails loudly if one cannot be set. The driver is million.py; `--help` lists every option.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/million.py" "$@"
